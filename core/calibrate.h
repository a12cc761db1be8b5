/*
 * calibrate.h - how noisy is the metric?  `ar calibrate` runs the best
 * (the tip of the session branch, or HEAD outside a session) n times
 * through the engine's one runner (ar_engine_run_once: ar_proc_run, then
 * ar_measure_run) and summarises the runs; the runs are not experiments:
 * nothing is committed and nothing goes into the ledger.  The result is
 * kept in .autoresearch/calibration (text, rewritten atomically):
 *
 *     # ar calibrate: the noise of the metric; rewritten by `ar calibrate`
 *     commit <hex>
 *     samples <v1> <v2> ...
 *     mean <m>   sd <s>   cv <s/|m|>   min <v>   max <v>   (one per line)
 *     effect <abs>   min_delta <abs>   repeats <k>   created_at <ISO 8601>
 *
 * The recommendation, for an improvement of `effect` that should be told
 * from noise (one-sided test at alpha, power 80%, normal approximation):
 *     repeats   k = ceil(2 (z_{1-alpha} + z_0.8)^2 sd^2 / effect^2), >= 1
 *     min_delta = z_{1-alpha} sd sqrt(2/k): the gain that noise alone
 *                 exceeds with probability alpha when k runs are compared
 *                 with k runs.
 */
#ifndef AR_CALIBRATE_H
#define AR_CALIBRATE_H

#include "engine.h"

#define AR_CALIBRATION_FILE "calibration"
#define AR_CALIBRATE_MAX_REPEATS 30 /* more is not a practical setting */

struct ar_calibration {
	char commit[41];
	double *samples;         /* owned */
	size_t n;
	double mean, sd, cv;     /* cv = sd / |mean| (0 when mean is 0) */
	double min, max;
	double effect;           /* absolute improvement the advice is for */
	double min_delta;        /* recommended, absolute */
	long repeats;            /* recommended (k above, at least 1) */
	long repeats_needed;     /* k before capping at AR_CALIBRATE_MAX_REPEATS */
	char *created_at;        /* owned; NULL until saved or loaded */
};
void ar_calibration_release(struct ar_calibration *c);

/*
 * One calibration run (number i, from 1): the run command through the
 * engine's runner, logged to .autoresearch/logs/calibrate-<i>.log.  0 with
 * *value; AR_ERROR when the run failed or gave no metric (the message says
 * why and names the log); other negative codes when it could not run.
 */
int ar_calibrate_run_one(struct ar_session *s, int i, double *value);

/* mean, sd, cv, min, max of c->samples (pure). */
void ar_calibration_summarise(struct ar_calibration *c);
/* effect (absolute), repeats and min_delta for it at alpha (pure). */
void ar_calibration_recommend(struct ar_calibration *c, double effect, double alpha);

int ar_calibration_save(const char *state_dir, struct ar_calibration *c);
/* AR_ENOTFOUND when there is none. */
int ar_calibration_load(const char *state_dir, struct ar_calibration *out);

/*
 * Set top-level keys of a YAML config file, keeping every other line and
 * comment as it is: a `key: value` line has its value replaced (its
 * trailing comment kept); a missing key is appended after the line
 * "# <comment>".  The file is created when absent.  The new text is read
 * back with the YAML reader before it replaces the file; AR_EUSAGE (file
 * untouched) when it does not parse or does not give the values.
 */
int ar_config_file_set(const char *path, const char *const *keys,
                       const char *const *values, size_t n, const char *comment);

/*
 * After the first baseline of `ar` (bare or run): when no calibration
 * exists, compare the baseline's first two runs - the best's samples, or
 * one more run of the best now (logged as <N>.noise.log and added to the
 * best's samples) - and set *warning (caller frees) when they differ by
 * more than min_delta.  Failures of the extra run are not errors: no
 * warning then.
 */
int ar_calibrate_noise_check(struct ar_session *s,
                             void (*progress)(long iteration, double elapsed,
                                              double timeout, const char *log_path,
                                              void *payload),
                             void *payload, char **warning);

#endif
