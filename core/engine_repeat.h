/*
 * engine_repeat.h - running an experiment's command once or many times
 * (internal to the engine, calibrate.c and session.c).
 *
 * Every run of the run command - an experiment's, a refresh of the best's
 * samples, a calibration run - goes through ar_engine_run_once: ar_proc_run
 * (teed to run.log), then ar_measure_run.  With `repeats: 1` (the default)
 * an experiment is exactly one such run, as it always was.  With
 * `repeats: k` or `repeats: auto` (see stats.h for the rule) it is several,
 * its value is their aggregate, and the decision is a Welch t-test against
 * the samples of the best, which the session keeps in memory and in
 * .autoresearch/best:
 *
 *     # ar: samples of the best commit; rewritten by ar
 *     commit <40 hex>
 *     refreshed <iteration of the last refresh, or of the best>
 *     samples <v1> <v2> ...
 *
 * Under repeats: auto a new best is measured afresh after its keep
 * (ar_engine_measure_new_best).  Every refresh_best experiments (default
 * 10) the best is run again and the
 * run added to its samples (the latest max(10, the most runs an experiment
 * may make) are kept), so that drift of the machine is not taken for
 * progress.  Those runs are not experiments: their logs are
 * .autoresearch/logs/<N>.refresh.log and the next result row lists them in
 * "best_samples".
 */
#ifndef AR_ENGINE_REPEAT_H
#define AR_ENGINE_REPEAT_H

#include "proc.h"
#include "session_state.h"
#include "stats.h"

/* Defaults of the noise keys (config.h lists them). */
#define AR_MAX_REPEATS_DEFAULT 5
#define AR_ALPHA_DEFAULT 0.05
#define AR_REFRESH_BEST_DEFAULT 10
#define AR_BEST_WINDOW 10

/* One run of the run command and its numbers. */
struct ar_run_once {
	struct ar_proc_result proc;
	struct ar_measurement m;
	char *log_path;          /* owned */
	double started_at;       /* wall clock */
};
void ar_run_once_release(struct ar_run_once *r);

struct ar_runner_opts {
	long iteration;          /* shown to progress */
	const char *log_name;    /* file name under <state_dir>/logs/ */
	/* Called when the run starts and about every 0.5 s (may be NULL). */
	void (*progress)(long iteration, double elapsed, double timeout,
	                 const char *log_path, void *payload);
	void *payload;
};

/*
 * Run the run command once and measure it.  0 with *out filled (whatever
 * the run did: see ar_engine_run_failure); negative when it could not be
 * started (message set).  *out is the caller's (ar_run_once_release).
 */
int ar_engine_run_once(struct ar_session *s, const struct ar_runner_opts *o,
                       struct ar_run_once *out);
/* Why the run did not finish cleanly (timeout, exit status, signal,
 * interrupted), or NULL; caller frees. */
char *ar_engine_run_failure(const struct ar_session *s, const struct ar_run_once *r);

/* The noise settings of the configuration. */
struct ar_noise {
	int on;                  /* repeats is not 1 */
	struct ar_sampling sampling; /* min_delta: set per decision */
	enum ar_aggregate aggregate;
	long confirm;            /* extra runs before a pass becomes the best */
	long refresh_best;       /* 0: never */
	size_t window;           /* samples of the best kept */
};
void ar_noise_from_config(struct ar_noise *n, const struct ar_config *c);
/* min_delta as an absolute amount, for a best whose value is `best`. */
double ar_noise_min_delta(const struct ar_config *c, double best);

/* The runs of one experiment. */
struct ar_sampled {
	struct ar_run_once last; /* the last run: reason, values, guards, log */
	double *samples;         /* the metric of each clean run (owned) */
	size_t n;
	int failed;              /* the last run crashed, had no metric or
	                          * failed a guard: sampling stopped there */
	double wall_s, cpu_s;    /* summed over the runs */
	uint64_t memory_bytes;   /* the largest */
	int runs;                /* runs made, confirmation included */
	int interrupted;         /* stopped between runs by s->interrupt */
};
void ar_sampled_release(struct ar_sampled *sm);

/*
 * Run experiment `iteration` as the configuration says: once (repeats: 1:
 * log <N>.log, exactly as a single run always was), k times, or
 * adaptively; then, with `confirm`, a candidate that passes runs again.
 * Logs: <N>.log, <N>.2.log, ...  Stops at the first run that fails or is
 * interrupted.  Negative: a run could not be started (message set).
 */
int ar_engine_sample(struct ar_session *s, const struct ar_step_opts *o,
                     long iteration, int is_baseline, struct ar_sampled *out);

/* The best's samples: set from the ledger's best row (session.c), from
 * .autoresearch/best when it is about the best commit, and after a keep. */
void ar_best_samples_set(struct ar_session *s, const double *v, size_t n,
                         double score, long iteration);
int ar_best_samples_load(struct ar_session *s);
int ar_best_samples_save(struct ar_session *s);
/* After a new best: save its samples (noise on), else remove the file. */
int ar_best_samples_update(struct ar_session *s, int noise_on);

/*
 * After experiment `iteration` (recorded, the tree back at the best): with
 * noise on, when refresh_best experiments have gone by since the best was
 * measured, run the best again and add the run to its samples.  Failures
 * are notes in `warnings`, not errors.
 */
void ar_engine_refresh_best(struct ar_session *s, const struct ar_step_opts *o,
                            long iteration, ar_strvec *warnings);

/*
 * repeats: auto, after experiment `iteration` was kept (the tree at it):
 * the runs that made it pass are, by selection, luckier than its true
 * value (regression to the mean), and later experiments would be judged
 * against a best that looks better than it is.  So the new best is
 * measured afresh, as the baseline was: max_repeats runs, logs
 * <N>.best.log, <N>.best2.log, ..., which become its samples (when at
 * least two succeed; else it keeps the experiment's).  Not experiments.
 * Nothing in other modes.  Failures are notes in `warnings`.
 */
void ar_engine_measure_new_best(struct ar_session *s, const struct ar_step_opts *o,
                                long iteration, ar_strvec *warnings);

#endif
