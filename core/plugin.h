/*
 * plugin.h - finding, vetting and loading adapter shared objects, and
 * calling their slots.  plugin.c is the only file that uses dlopen; host.c
 * implements the services handed to adapters (struct ar_host).
 *
 * Search order (first name wins, a later duplicate is a warning):
 *   --plugin-dir flags, $AR_PLUGIN_PATH (colon-separated),
 *   ~/.local/lib/ar/plugins, <exe>/../lib/ar/plugins, <exe>/plugins (the
 *   build tree), and the compiled-in AR_PLUGINDIR.
 * With AR_PLUGIN_ISOLATE=1 in the environment only the first two are
 * searched (tests use it to ignore installed plugins).
 *
 * Before loading: realpath, regular file, owned by the user or root, not
 * group/world-writable, directory not world-writable.  A refused or broken
 * plugin is skipped with one warning naming the file and the reason.
 * Loaded plugins stay resident until exit (no dlclose).
 */
#ifndef AR_PLUGIN_H
#define AR_PLUGIN_H

#include "ar/adapter.h"
#include "config.h"
#include "util.h"

struct ar_plugin {
	/* the adapter's struct, `size` bytes, rest zero; a NULL version or
	 * description reads as "" */
	struct ar_adapter ad;
	char *path;           /* realpath of the .so */
};

struct ar_plugins {
	struct ar_plugin *items;
	size_t n;
	ar_strvec warnings; /* "plugin /x/y.so: refused: world-writable" */
	ar_strvec searched; /* the directories searched, in order */
};
#define AR_PLUGINS_INIT { NULL, 0, AR_STRVEC_INIT, AR_STRVEC_INIT }

/* exe_path: argv[0] resolved (for <exe>/../lib/ar/plugins), may be NULL.
 * *out is initialised here; free it with ar_plugins_release.  Returns 0
 * also when nothing loads: refusals are in out->warnings. */
int ar_plugins_load(struct ar_plugins *out, const ar_strvec *flag_dirs,
                    const char *exe_path);
/* Load one file (after the safety checks); used by ar_plugins_load.
 * 0 when loaded; else one line in ps->warnings, the same message in
 * ar_error_last(), and AR_ENOTFOUND, AR_EEXISTS (name taken) or AR_ERROR. */
int ar_plugins_load_file(struct ar_plugins *ps, const char *path);
void ar_plugins_release(struct ar_plugins *ps);
const struct ar_plugin *ar_plugins_find(const struct ar_plugins *ps,
                                        const char *name);

/* Calling slots.  cfg may be NULL.  Reasons are caller-owned strings. */
int ar_plugin_detect(const struct ar_plugin *p, const char *root,
                     const struct ar_config *cfg, int *score, char **reason);
/* Fill cfg with the adapter's defaults (origin ADAPTER): target_files,
 * fixed_files, run_command, metric.name, metric.direction. */
int ar_plugin_apply_defaults(const struct ar_plugin *p, const char *root,
                             struct ar_config *cfg);
/* AR_OK with *out, AR_PASS, or AR_ERROR with *reason set. */
int ar_plugin_measure(const struct ar_plugin *p, const char *root,
                      const struct ar_config *cfg, const struct ar_run *run,
                      double *out, char **reason);
/* AR_OK with *bytes, or AR_PASS. */
int ar_plugin_sample_memory(const struct ar_plugin *p, const char *root,
                            const struct ar_config *cfg, const int *pids,
                            size_t npids, uint64_t *bytes);
int ar_plugin_probe_memory(const struct ar_plugin *p, const char *root,
                           const struct ar_config *cfg, const struct ar_run *run,
                           uint64_t *bytes);

/* Detection over every loaded plugin. */
struct ar_detect_entry {
	const struct ar_plugin *plugin;
	int score;
	char *reason;
};
struct ar_detection {
	struct ar_detect_entry *entries; /* in load order */
	size_t n;
	const struct ar_plugin *winner;  /* NULL when nothing detects */
	char *why;                       /* "highest score (90): found ..." */
};
/*
 * Run every adapter's detect on root.  `forced` (from --adapter or the
 * config's adapter:) picks by name; AR_ENOTFOUND when no such adapter.
 * The custom adapter wins only when no other scores above 0 or when forced.
 */
int ar_detect(struct ar_detection *out, const struct ar_plugins *ps,
              const char *root, const struct ar_config *cfg, const char *forced);
void ar_detection_release(struct ar_detection *d);

/* host.c: the services table and per-call context. */
struct ar_host_call {
	struct ar_ctx ctx;          /* handed to the slot */
	const struct ar_config *cfg;
	const char *adapter_name;
	ar_buf error;               /* set_error */
	ar_buf reason;              /* set_reason */
	ar_strvec scratch;          /* strings returned by config_get/read_file */
};
const struct ar_host *ar_host_table(void);
/* c must not move between init and release (ctx.host_private points to it);
 * a relative root is made absolute.  cfg and adapter_name are borrowed. */
void ar_host_call_init(struct ar_host_call *c, const char *root,
                       const struct ar_config *cfg, const char *adapter_name);
void ar_host_call_release(struct ar_host_call *c);
/*
 * Lines adapters gave host->log(), "adapter ml: message" ("adapter ml:
 * warning: ..." / "adapter ml: debug: ..." for those levels), are kept by
 * the host (at most 1000 until drained) for the command layer to print.
 * This appends them to `out` and empties the host's list.
 */
void ar_host_drain_log(ar_strvec *out);
/* struct ar_list is a host-side ar_strvec. */
#define AR_LIST(v) ((struct ar_list *)(void *)(v))

#endif
