/*
 * engine_repeat.c - one run of the run command, an experiment's runs, and
 * the samples of the best (see engine_repeat.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "engine_repeat.h"

/* ---- one run ----------------------------------------------------------------- */

struct runner {
	struct ar_session *s;
	const struct ar_runner_opts *o;
	struct ar_run_once *r;
	double run_at, progress_at; /* monotonic */
};

void ar_run_once_release(struct ar_run_once *r)
{
	ar_measurement_release(&r->m);
	free(r->log_path);
	memset(r, 0, sizeof(*r));
}

static void report_progress(struct runner *rn, int first)
{
	const struct ar_runner_opts *o = rn->o;
	const struct ar_config *c = &rn->s->ws->cfg;
	double now = ar_now();

	if (!o->progress || (!first && now - rn->progress_at < 0.5))
		return;
	rn->progress_at = now;
	o->progress(o->iteration, first ? 0.0 : now - rn->run_at,
	            c->time_budget * c->timeout_multiplier, rn->r->log_path, o->payload);
}

static void sample_memory(const int *pids, size_t n, void *payload)
{
	struct runner *rn = payload;
	struct ar_session *s = rn->s;
	uint64_t bytes = 0;

	report_progress(rn, 0);
	if (s->ws->adapter &&
	    ar_plugin_sample_memory(s->ws->adapter, s->ws->root, &s->ws->cfg, pids, n,
	                            &bytes) == AR_OK &&
	    bytes > rn->r->m.memory_bytes)
		rn->r->m.memory_bytes = bytes;
}

static double wall_clock(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void measure(struct ar_session *s, struct ar_run_once *r)
{
	struct ar_run run;

	memset(&run, 0, sizeof(run));
	run.size = sizeof(run);
	run.root = s->ws->root;
	run.log_path = r->log_path;
	run.wall_s = r->proc.wall_s;
	run.exit_status = r->proc.exit_status;
	run.term_signal = r->proc.term_signal;
	run.timed_out = r->proc.timed_out;
	run.peak_rss_bytes = r->proc.peak_rss_bytes;
	run.sampled_bytes = r->m.memory_bytes;
	run.started_at = r->started_at;
	r->m.memory_bytes = 0;
	ar_measure_run(s, &run, &r->m);
}

int ar_engine_run_once(struct ar_session *s, const struct ar_runner_opts *o,
                       struct ar_run_once *out)
{
	const struct ar_config *c = &s->ws->cfg;
	struct ar_proc_opts po = AR_PROC_OPTS_INIT;
	struct runner rn = { s, o, out, 0, 0 };
	char *logs = ar_path_join(s->state_dir, "logs");
	char *tee = ar_path_join(s->ws->root, "run.log");
	int err;

	memset(out, 0, sizeof(*out));
	out->log_path = ar_path_join(logs, o->log_name);
	if ((err = ar_mkdir_p(logs)) < 0)
		goto done;
	po.command = c->run_command;
	po.cwd = s->ws->root;
	po.log_path = out->log_path;
	po.tee_path = tee;
	po.timeout_s = c->time_budget * c->timeout_multiplier;
	po.sample = sample_memory;
	po.payload = &rn;
	po.interrupt = s->interrupt;
	out->started_at = wall_clock();
	rn.run_at = ar_now();
	report_progress(&rn, 1);
	if ((err = ar_proc_run(&po, &out->proc)) == 0)
		measure(s, out);
done:
	free(logs);
	free(tee);
	return err;
}

char *ar_engine_run_failure(const struct ar_session *s, const struct ar_run_once *r)
{
	const struct ar_proc_result *p = &r->proc;
	const struct ar_config *c = &s->ws->cfg;

	if (p->interrupted)
		return ar_xstrdup("interrupted");
	if (p->timed_out)
		return ar_xprintf("timed out after %.0f s (time_budget %g s x "
		                  "timeout_multiplier %g); the whole process tree was killed",
		                  p->wall_s, c->time_budget, c->timeout_multiplier);
	if (p->exit_status == 127)
		return ar_xprintf("command not found: `%s` exited 127 (see %s)",
		                  c->run_command, r->log_path);
	if (p->exit_status != 0 && p->term_signal == 0)
		return ar_xprintf("exit status %d (see %s)", p->exit_status, r->log_path);
	if (p->term_signal)
		return ar_xprintf("killed by signal %d", p->term_signal);
	return NULL;
}

/* ---- the noise settings ------------------------------------------------------- */

static double number(const struct ar_config *c, const char *key, double dflt)
{
	double v;

	if (ar_config_get_number(c, key, &v) == 0)
		return v;
	ar_error_clear();
	return dflt;
}

void ar_noise_from_config(struct ar_noise *n, const struct ar_config *c)
{
	char *agg = ar_config_get(c, "aggregate");
	size_t most;

	memset(n, 0, sizeof(*n));
	n->on = c->repeats != 1;
	n->sampling.adaptive = c->repeats == AR_REPEATS_AUTO;
	n->sampling.repeats = c->repeats > 1 ? c->repeats : 1;
	n->sampling.max_repeats = (int)number(c, "max_repeats", AR_MAX_REPEATS_DEFAULT);
	n->sampling.alpha = number(c, "alpha", AR_ALPHA_DEFAULT);
	n->sampling.direction = c->metric_direction;
	n->confirm = (long)number(c, "confirm", 0);
	n->refresh_best = (long)number(c, "refresh_best", AR_REFRESH_BEST_DEFAULT);
	if (ar_stats_aggregate_parse(agg, &n->aggregate) < 0) {
		ar_error_clear(); /* the config checked it: cannot happen */
		n->aggregate = AR_AGG_MEAN;
	}
	free(agg);
	most = (size_t)(n->sampling.adaptive ? n->sampling.max_repeats
	                                     : n->sampling.repeats) + (size_t)n->confirm;
	n->window = most > AR_BEST_WINDOW ? most : AR_BEST_WINDOW;
}

double ar_noise_min_delta(const struct ar_config *c, double best)
{
	return c->min_delta_relative ? fabs(best) * c->min_delta : c->min_delta;
}

/* ---- an experiment's runs ------------------------------------------------------ */

void ar_sampled_release(struct ar_sampled *sm)
{
	ar_run_once_release(&sm->last);
	free(sm->samples);
	memset(sm, 0, sizeof(*sm));
}

/* One more run of experiment `iteration`; 1 when sampling must stop
 * (the run failed, or was interrupted), 0 to go on, negative on error. */
static int one_more(struct ar_session *s, const struct ar_step_opts *o,
                    long iteration, struct ar_sampled *sm)
{
	struct ar_runner_opts ro = { iteration, NULL, o->progress, o->payload };
	char *name = sm->runs ? ar_xprintf("%ld.%d.log", iteration, sm->runs + 1)
	                      : ar_xprintf("%ld.log", iteration);
	char *failure;
	int err;

	ar_run_once_release(&sm->last);
	ro.log_name = name;
	err = ar_engine_run_once(s, &ro, &sm->last);
	free(name);
	if (err < 0)
		return err;
	sm->runs++;
	sm->wall_s += sm->last.proc.wall_s;
	sm->cpu_s += sm->last.proc.cpu_s;
	if (sm->last.m.memory_bytes > sm->memory_bytes)
		sm->memory_bytes = sm->last.m.memory_bytes;
	failure = ar_engine_run_failure(s, &sm->last);
	sm->failed = failure || !sm->last.m.has_score || sm->last.m.guard_failed;
	free(failure);
	if (sm->failed)
		return 1;
	sm->samples = ar_xrealloc(sm->samples, (sm->n + 1) * sizeof(*sm->samples));
	sm->samples[sm->n++] = sm->last.m.score;
	return 0;
}

/* 1 (and sm->interrupted) when the user stopped ar before another run. */
static int stopped(struct ar_session *s, struct ar_sampled *sm)
{
	sm->interrupted = s->interrupt && *s->interrupt;
	return sm->interrupted;
}

int ar_engine_sample(struct ar_session *s, const struct ar_step_opts *o,
                     long iteration, int is_baseline, struct ar_sampled *out)
{
	const struct ar_config *c = &s->ws->cfg;
	const double *best = is_baseline ? NULL : s->best_samples;
	size_t nb = is_baseline ? 0 : s->nbest_samples;
	struct ar_noise nz;
	int err;

	memset(out, 0, sizeof(*out));
	ar_noise_from_config(&nz, c);
	nz.sampling.min_delta = ar_noise_min_delta(
		c, nb ? ar_stats_aggregate(nz.aggregate, best, nb) : 0.0);
	do {
		if ((err = one_more(s, o, iteration, out)) != 0)
			return err < 0 ? err : 0;
	} while (nz.on && ar_stats_more(&nz.sampling, out->samples, out->n, best, nb) &&
	         !stopped(s, out));
	if (!nz.on || is_baseline || !nb || out->interrupted ||
	    !ar_stats_passes(&nz.sampling, out->samples, out->n, best, nb))
		return 0;
	for (long i = 0; i < nz.confirm && !stopped(s, out); i++)
		if ((err = one_more(s, o, iteration, out)) != 0)
			return err < 0 ? err : 0;
	return 0;
}

/* ---- the best's samples ------------------------------------------------------- */

void ar_best_samples_set(struct ar_session *s, const double *v, size_t n,
                         double score, long iteration)
{
	free(s->best_samples);
	if (!n) {
		v = &score;
		n = 1;
	}
	s->best_samples = ar_xmalloc(n * sizeof(*v));
	memcpy(s->best_samples, v, n * sizeof(*v));
	s->nbest_samples = n;
	s->best_refreshed = iteration;
}

static char *best_path(struct ar_session *s)
{
	return ar_path_join(s->state_dir, "best");
}

/* Parse the file's text; 1 when it is about the best commit. */
static int parse_best(struct ar_session *s, char *text, ar_buf *samples, long *refreshed)
{
	char *save = NULL, *line, *end;
	int ours = 0;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "commit ", 7))
			ours = !strcmp(line + 7, s->best_commit);
		else if (!strncmp(line, "refreshed ", 10))
			*refreshed = strtol(line + 10, NULL, 10);
		else if (!strncmp(line, "samples", 7))
			for (char *p = line + 7;; p = end) {
				double v = strtod(p, &end);
				if (end == p || !isfinite(v))
					break;
				ar_buf_add(samples, &v, sizeof(v));
			}
	}
	return ours;
}

int ar_best_samples_load(struct ar_session *s)
{
	char *path = best_path(s), *text = NULL;
	ar_buf samples = AR_BUF_INIT;
	long refreshed = s->best_refreshed;
	int err = ar_file_read(path, 1 << 20, &text, NULL);

	if (err == AR_ENOTFOUND) {
		ar_error_clear();
		err = 0;
	} else if (err == 0 && parse_best(s, text, &samples, &refreshed) &&
	           samples.len >= sizeof(double)) {
		ar_best_samples_set(s, (const double *)(const void *)samples.ptr,
		                    samples.len / sizeof(double), 0, refreshed);
	}
	ar_buf_release(&samples);
	free(text);
	free(path);
	return err;
}

int ar_best_samples_save(struct ar_session *s)
{
	ar_buf b = AR_BUF_INIT;
	char *path = best_path(s);
	int err;

	ar_buf_printf(&b, "# ar: samples of the best commit; rewritten by ar\n"
	              "commit %s\nrefreshed %ld\nsamples", s->best_commit,
	              s->best_refreshed);
	for (size_t i = 0; i < s->nbest_samples; i++)
		ar_buf_printf(&b, " %.17g", s->best_samples[i]);
	ar_buf_addch(&b, '\n');
	err = ar_mkdir_p(s->state_dir);
	if (err == 0)
		err = ar_file_write_atomic(path, b.ptr, b.len, AR_VOLATILE);
	ar_buf_release(&b);
	free(path);
	return err;
}

int ar_best_samples_update(struct ar_session *s, int noise_on)
{
	char *path;

	if (noise_on)
		return ar_best_samples_save(s);
	path = best_path(s);
	unlink(path); /* samples of an old best would be stale */
	free(path);
	return 0;
}

/* Add v to the best's samples, keeping the latest `window`. */
static void best_add(struct ar_session *s, double v, size_t window)
{
	s->best_samples = ar_xrealloc(s->best_samples,
	                              (s->nbest_samples + 1) * sizeof(double));
	s->best_samples[s->nbest_samples++] = v;
	if (s->nbest_samples > window) {
		size_t drop = s->nbest_samples - window;
		memmove(s->best_samples, s->best_samples + drop, window * sizeof(double));
		s->nbest_samples = window;
	}
}

/*
 * Run the best (the tree is at it) `runs` times, logs <N>.<stem>.log,
 * <N>.<stem>2.log, ...; the metric of each clean run goes to out[] (the
 * caller's, `runs` long).  Returns how many.  Failures are notes in
 * `warnings`; stops when the user interrupts.
 */
static size_t run_best(struct ar_session *s, const struct ar_step_opts *o, long iteration,
                       const char *stem, int runs, double *out, ar_strvec *warnings)
{
	size_t n = 0;

	for (int i = 0; i < runs && !(s->interrupt && *s->interrupt); i++) {
		struct ar_run_once r;
		struct ar_runner_opts ro = { iteration, NULL, o->progress, o->payload };
		char *name = i ? ar_xprintf("%ld.%s%d.log", iteration, stem, i + 1)
		               : ar_xprintf("%ld.%s.log", iteration, stem);
		char *failure = NULL;
		ro.log_name = name;
		int err = ar_engine_run_once(s, &ro, &r);
		if (err == 0 && !(failure = ar_engine_run_failure(s, &r)) && r.m.has_score)
			out[n++] = r.m.score;
		else if (!(s->interrupt && *s->interrupt))
			ar_strvec_pushf(warnings, "re-running the best to %s its samples "
			                "failed (%s); see %s", strcmp(stem, "best") ? "refresh"
			                : "renew", err < 0 ? ar_error_last()
			                : failure ? failure : "no metric", r.log_path);
		ar_error_clear();
		free(failure);
		free(name);
		ar_run_once_release(&r);
	}
	return n;
}

static void save_best(struct ar_session *s, ar_strvec *warnings)
{
	if (ar_best_samples_save(s) < 0) {
		ar_strvec_pushf(warnings, "could not save the best's samples: %s",
		                ar_error_last());
		ar_error_clear();
	}
}

void ar_engine_refresh_best(struct ar_session *s, const struct ar_step_opts *o,
                            long iteration, ar_strvec *warnings)
{
	struct ar_noise nz;
	double *got;
	size_t n;
	int runs;

	ar_noise_from_config(&nz, &s->ws->cfg);
	if (!nz.on || nz.refresh_best <= 0 || !s->has_best ||
	    iteration - s->best_refreshed < nz.refresh_best)
		return;
	runs = nz.sampling.adaptive ? 1 : nz.sampling.repeats;
	got = ar_xmalloc((size_t)runs * sizeof(*got));
	n = run_best(s, o, iteration, "refresh", runs, got, warnings);
	for (size_t i = 0; i < n; i++)
		best_add(s, got[i], nz.window);
	free(got);
	s->best_refreshed = iteration;
	save_best(s, warnings);
}

void ar_engine_measure_new_best(struct ar_session *s, const struct ar_step_opts *o,
                                long iteration, ar_strvec *warnings)
{
	struct ar_noise nz;
	double *got;
	size_t n;

	ar_noise_from_config(&nz, &s->ws->cfg);
	if (!nz.on || !nz.sampling.adaptive || !s->has_best || s->best_iteration != iteration)
		return;
	got = ar_xmalloc((size_t)nz.sampling.max_repeats * sizeof(*got));
	n = run_best(s, o, iteration, "best", nz.sampling.max_repeats, got, warnings);
	if (n >= 2 || (n == 1 && nz.sampling.max_repeats == 1)) {
		ar_best_samples_set(s, got, n, s->best, iteration);
		save_best(s, warnings);
	}
	free(got);
}
