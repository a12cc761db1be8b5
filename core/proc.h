/*
 * proc.h - the one place `ar` runs child processes.
 *
 * A command runs through /bin/sh -c in its own process group, with `ar` as
 * the child subreaper, so that nothing it starts - not even a daemonized
 * grandchild that ignores SIGTERM - outlives it: on timeout or interruption
 * the whole tree gets SIGTERM, a grace period, then SIGKILL.
 */
#ifndef AR_PROC_H
#define AR_PROC_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

/* Called during the run with the live pids of the tree; payload is yours. */
typedef void (*ar_proc_sample_cb)(const int *pids, size_t npids, void *payload);

struct ar_proc_opts {
	unsigned int version;
	const char *command;     /* passed to /bin/sh -c */
	const char *cwd;         /* working directory, NULL = current */
	const char *log_path;    /* stdout+stderr written here (truncated) */
	const char *tee_path;    /* optional second copy (e.g. run.log) */
	const char *stdin_data;  /* written to stdin, then closed; NULL: /dev/null */
	const char *const *env;  /* extra "K=V" entries, NULL-terminated, or NULL */
	double timeout_s;        /* <= 0: no limit */
	double grace_s;          /* SIGTERM -> SIGKILL delay; 0 means 2 s */
	double sample_interval_s;/* 0 means 0.1 s */
	ar_proc_sample_cb sample;
	void *payload;
	/* When this becomes non-zero the tree is killed ("interrupted"). */
	volatile sig_atomic_t *interrupt;
};
#define AR_PROC_OPTS_VERSION 1
#define AR_PROC_OPTS_INIT { AR_PROC_OPTS_VERSION, NULL, NULL, NULL, NULL, NULL, \
                            NULL, 0, 0, 0, NULL, NULL, NULL }

struct ar_proc_result {
	int exit_status;         /* exit code, or -1 when killed by a signal */
	int term_signal;         /* signal number, or 0 */
	int timed_out;
	int interrupted;
	double wall_s;
	double cpu_s;            /* user+system of the whole tree */
	uint64_t peak_rss_bytes; /* peak of the tree's summed RSS */
	int survivors;           /* processes still alive after the kill (0) */
};

/*
 * Become the child subreaper (prctl PR_SET_CHILD_SUBREAPER on Linux).
 * Called once at start-up by the command layer.
 */
int ar_proc_setup(void);

/*
 * Run opts->command to completion or timeout.  Returns 0 when the command
 * was started (whatever its exit), negative when it could not be (the log
 * path cannot be opened, fork fails...).
 */
int ar_proc_run(const struct ar_proc_opts *opts, struct ar_proc_result *out);

/*
 * Run a command and capture its stdout+stderr (at most max_bytes; the rest is
 * read and dropped).  *out is the caller's, NUL-terminated.
 */
int ar_proc_capture(const char *command, const char *cwd, double timeout_s,
                    size_t max_bytes, char **out, size_t *len,
                    struct ar_proc_result *res);

/*
 * Start the program at `path` with argv in the background, for good: its
 * own session, stdio on /dev/null, and not in ar's tree - twice forked,
 * with the subreaper flag off meanwhile, so it is adopted by init (or a
 * subreaper above ar) and no run's clean-up kills it.  0 once the
 * intermediate process is reaped; the exec itself is not waited for.
 */
int ar_proc_spawn_detached(const char *path, char *const argv[]);

#endif
