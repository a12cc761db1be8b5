/*
 * ar/adapter.h - the public contract between `ar` and a project adapter.
 *
 * This header is the whole SDK.  It is self-contained C99, compiles alone
 * under -std=c99 -Wall -Wextra -pedantic -Werror and as C++, and mentions no
 * type of any library `ar` itself uses.
 *
 * An adapter is a shared object exporting exactly one symbol, emitted by
 * AR_ADAPTER_DECLARE().  The host calls it once after dlopen(); the adapter
 * hands back a pointer to a static `struct ar_adapter` describing itself.
 *
 * Rules for adapters:
 *   - never fork, print, exit or install signal handlers: return data and let
 *     the host run processes and talk to the user;
 *   - never free in the adapter what the host allocated, or vice versa; use
 *     host->push() to hand strings to the host;
 *   - every slot except `detect` may be NULL; the host then uses its own
 *     default (see each slot).
 *
 * Versioning: AR_ABI_VERSION is (major << 16 | minor).  The host loads an
 * adapter when its major equals the host's and its minor is not newer.
 * Structs only ever grow at their end; the host reads only the first `size`
 * bytes of `struct ar_adapter` and zero-fills the rest, so a slot added in a
 * later minor version reads as NULL in an older adapter.
 */
#ifndef AR_ADAPTER_H
#define AR_ADAPTER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AR_ABI_MAJOR 1
#define AR_ABI_MINOR 0
#define AR_ABI_VERSION ((uint32_t)((AR_ABI_MAJOR << 16) | AR_ABI_MINOR))
#define AR_ABI_VERSION_MAJOR(v) ((uint32_t)(v) >> 16)
#define AR_ABI_VERSION_MINOR(v) ((uint32_t)(v) & 0xffffu)

/* Return codes of adapter slots and host services. */
#define AR_OK 0
#define AR_ERROR (-1)      /* failed; the reason was given to set_error() */
#define AR_ENOTFOUND (-3)  /* the thing asked for does not exist */
#define AR_PASS (-30)      /* "not mine": the host applies its own default */

/* Metric direction. */
#define AR_LOWER_IS_BETTER 0
#define AR_HIGHER_IS_BETTER 1

/* Log levels for host->log(). */
#define AR_LOG_DEBUG 0
#define AR_LOG_INFO 1
#define AR_LOG_WARN 2

struct ar_host;
struct ar_list; /* host-owned list of strings; fill it with host->push() */

/*
 * Passed to every slot.  The host owns it and everything it points to; it is
 * valid only for the duration of the call.
 */
struct ar_ctx {
	const struct ar_host *host; /* services back into the core; never NULL */
	const char *root;           /* absolute path of the repository root */
	void *host_private;         /* the host's; adapters must not touch it */
};

/* What the host knows about a finished run, handed to measure/probe_memory. */
struct ar_run {
	uint32_t size;          /* sizeof(struct ar_run) as the host knows it */
	const char *root;       /* repository root (absolute) */
	const char *log_path;   /* combined stdout+stderr of the run */
	double wall_s;          /* wall-clock seconds */
	int exit_status;        /* exit code, or -1 when killed by a signal */
	int term_signal;        /* the signal that ended it, or 0 */
	int timed_out;          /* non-zero when the host killed it for time */
	uint64_t peak_rss_bytes; /* peak resident memory of the process tree */
	uint64_t sampled_bytes;  /* largest value sample_memory() returned, or 0 */
	double started_at;       /* wall clock when the run started (s since the
	                            Epoch); compare with host->newest_mtime() to
	                            tell fresh build output from a stale one */
};

/* A measured value. */
struct ar_metric {
	double value;
};

/*
 * Host services.  Every function takes the ctx of the slot being served.
 * Strings returned are borrowed and valid until the slot returns unless said
 * otherwise.
 */
struct ar_host {
	uint32_t abi_version;
	uint32_t size;

	/* A message for the user, prefixed with the adapter's name. */
	void (*log)(struct ar_ctx *ctx, int level, const char *fmt, ...);
	/* The reason a slot failed (or, for detect, why it scored what it did). */
	void (*set_error)(struct ar_ctx *ctx, const char *fmt, ...);
	void (*set_reason)(struct ar_ctx *ctx, const char *fmt, ...);
	/* The configured value of a key (e.g. "metric.name"), or NULL. */
	const char *(*config_get)(struct ar_ctx *ctx, const char *key);
	/* Append a copy of `s` to a host-owned list.  AR_OK or AR_ERROR. */
	int (*push)(struct ar_ctx *ctx, struct ar_list *list, const char *s);

	/* Files.  Relative paths are taken from the repository root. */
	int (*exists)(struct ar_ctx *ctx, const char *path);      /* 1 or 0 */
	int (*is_dir)(struct ar_ctx *ctx, const char *path);      /* 1 or 0 */
	int (*file_size)(struct ar_ctx *ctx, const char *path, uint64_t *out);
	/* Total bytes of regular files under a directory, recursively. */
	int (*tree_size)(struct ar_ctx *ctx, const char *path, uint64_t *out);
	/*
	 * Read a whole file (at most max_bytes) into a host buffer that lives
	 * until the slot returns.  *out is NUL-terminated.
	 */
	int (*read_file)(struct ar_ctx *ctx, const char *path, size_t max_bytes,
	                 const char **out, size_t *len);
	/* Push every regular file under dir whose name ends in suffix. */
	int (*find_files)(struct ar_ctx *ctx, const char *dir, const char *suffix,
	                  struct ar_list *out);
	/* 1 when an executable called `name` is on PATH, else 0. */
	int (*which)(struct ar_ctx *ctx, const char *name);

	/*
	 * The core's metric extractor: the last line `<name>: <number>` or
	 * `METRIC <name>=<number>` in the file.  AR_OK, or AR_ENOTFOUND with
	 * the reason set.
	 */
	int (*log_metric)(struct ar_ctx *ctx, const char *log_path, const char *name,
	                  double *out);
	/*
	 * The newest modification time (s since the Epoch) of a file, or of any
	 * regular file under a directory.  AR_ENOTFOUND when absent.
	 */
	int (*newest_mtime)(struct ar_ctx *ctx, const char *path, double *out);
};

/* 1 when `s` (a struct whose first member is its uint32_t size) is large
 * enough to hold `field` of `type`: test before reading a later field. */
#define AR_HAS_FIELD(s, type, field) \
	((s)->size >= offsetof(type, field) + sizeof(((type *)0)->field))

struct ar_adapter {
	uint32_t abi_version; /* AR_ABI_VERSION the adapter was built against */
	uint32_t size;        /* sizeof(struct ar_adapter) as built */

	const char *name;        /* short, unique: "ml", "node", ... */
	const char *version;     /* the adapter's own version string */
	const char *description; /* one line */
	int priority;            /* breaks ties between equal detect scores */

	/* The metric this adapter measures by default. */
	const char *metric_name;
	int metric_direction;    /* AR_LOWER_IS_BETTER or AR_HIGHER_IS_BETTER */

	/*
	 * Required.  Score 0 (not mine) to 100 (certainly mine), with a reason
	 * given to host->set_reason() ("found train.py and prepare.py").
	 */
	int (*detect)(struct ar_ctx *ctx, int *score);

	/* Files the experiment may change.  NULL: the config must name them. */
	int (*default_targets)(struct ar_ctx *ctx, struct ar_list *out);
	/* Files no experiment may change (the evaluation harness). */
	int (*default_fixed)(struct ar_ctx *ctx, struct ar_list *out);
	/* Push exactly one shell command string.  NULL: the config's. */
	int (*run_command)(struct ar_ctx *ctx, struct ar_list *out);

	/*
	 * Measure the metric of a finished run.  AR_OK with out->value set;
	 * AR_ERROR with a reason (it becomes the crash reason); or AR_PASS to
	 * let the host's pattern/command extractor apply.  NULL: AR_PASS.
	 */
	int (*measure)(struct ar_ctx *ctx, const struct ar_run *run,
	               struct ar_metric *out);

	/*
	 * Called by the host every few hundred milliseconds during a run with
	 * the live process ids of the experiment's tree.  Return AR_OK with the
	 * memory in use now (e.g. GPU memory), or AR_PASS.  May be NULL.
	 */
	int (*sample_memory)(struct ar_ctx *ctx, const int *pids, size_t npids,
	                     uint64_t *bytes);
	/*
	 * Peak memory of the finished run in bytes.  AR_PASS or NULL: the host
	 * uses run->sampled_bytes if non-zero, else run->peak_rss_bytes.
	 */
	int (*probe_memory)(struct ar_ctx *ctx, const struct ar_run *run,
	                    uint64_t *bytes);
};

/* The one exported entry point.  The ABI major is part of its name. */
#define AR_ADAPTER_ENTRY ar_adapter_init_v1
#define AR_ADAPTER_ENTRY_NAME "ar_adapter_init_v1"
typedef int (*ar_adapter_init_fn)(const struct ar_adapter **out,
                                  const struct ar_host *host);

#if defined(_WIN32)
#define AR_EXPORT __declspec(dllexport)
#elif defined(__GNUC__)
#define AR_EXPORT __attribute__((visibility("default")))
#else
#define AR_EXPORT
#endif

#ifdef __cplusplus
#define AR__EXTERN_C extern "C"
#else
#define AR__EXTERN_C
#endif

/*
 * Emit the entry point for `adapter_var`, a `struct ar_adapter` whose first
 * two fields are left for this macro's initializer helper AR_ADAPTER_HEAD:
 *
 *     static const struct ar_adapter my = { AR_ADAPTER_HEAD, "mine", ... };
 *     AR_ADAPTER_DECLARE(my)
 */
#define AR_ADAPTER_HEAD AR_ABI_VERSION, (uint32_t)sizeof(struct ar_adapter)
#define AR_ADAPTER_DECLARE(adapter_var)                                     \
	AR__EXTERN_C AR_EXPORT int AR_ADAPTER_ENTRY(                            \
	    const struct ar_adapter **out, const struct ar_host *host);         \
	AR__EXTERN_C AR_EXPORT int AR_ADAPTER_ENTRY(                            \
	    const struct ar_adapter **out, const struct ar_host *host)          \
	{                                                                       \
		if (!out || !host ||                                                \
		    AR_ABI_VERSION_MAJOR(host->abi_version) != AR_ABI_MAJOR)        \
			return AR_ERROR;                                                \
		*out = &(adapter_var);                                              \
		return AR_OK;                                                       \
	}

#ifdef __cplusplus
}
#endif

#endif /* AR_ADAPTER_H */
