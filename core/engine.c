/*
 * engine.c - one experiment end to end (see engine.h).  The steps:
 * scope -> commit -> run -> measure -> decide -> log -> keep or revert.
 * The run and measure steps are engine_repeat.c's: one run, or with
 * `repeats` several, whose aggregate is the value and whose samples are
 * tested against the best's (stats.h); after the verdict the best may be
 * re-run to refresh its samples.  Before the commit the experiment is written to the state file as
 * "pending", so a kill at any instant can be finished or rolled back by
 * ar_session_recover().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fault.h"
#include "engine_repeat.h"

struct step {
	struct ar_session *s;
	const struct ar_step_opts *o;
	struct ar_result *r;
	ar_strvec *warnings;
	struct ar_scope scope;
	struct ar_pending pending;
	struct ar_sampled smp;   /* the runs (engine_repeat.c) */
	struct ar_noise noise;
	double score;            /* the experiment's value: the runs' aggregate */
	double best_value;       /* what it was compared with */
	int is_baseline;
	char exp[41];
};

int ar_engine_need_run_config(const struct ar_config *c)
{
	if (!c->run_command || !*c->run_command)
		return ar_error_set(AR_EUSAGE, "no run command: set run_command in "
		                    ".autoresearch.yaml or pass -c run_command=...");
	if (!c->metric_name || !*c->metric_name)
		return ar_error_set(AR_EUSAGE, "no metric: set metric.name in "
		                    ".autoresearch.yaml or pass -c metric.name=...");
	return 0;
}

static int need_config(const struct ar_config *c)
{
	int err = ar_engine_need_run_config(c);

	if (err < 0)
		return err;
	if (!c->target_files.n)
		return ar_error_set(AR_EUSAGE, "no target files: set target_files in "
		                    ".autoresearch.yaml");
	return 0;
}

static void result_init(struct step *st, const char *status, const char *desc)
{
	struct ar_result *r = st->r;
	memset(r, 0, sizeof(*r));
	r->iteration = st->s->last_iteration + 1;
	r->status = ar_xstrdup(status);
	r->description = ar_xstrdup(desc && *desc ? desc : "(no description)");
	r->guard_pass = -1;
	if (st->o->agent) {
		r->agent = ar_xstrdup(st->o->agent);
		r->has_agent_cost = st->o->has_agent_cost;
		r->agent_cost_usd = st->o->agent_cost_usd;
		r->agent_s = st->o->agent_s;
	}
}

/* Record an attempt that ran nothing (scope violation, no change). */
static int record_attempt(struct step *st, const char *status, char *reason)
{
	int err;
	ar_result_release(st->r);
	result_init(st, status, st->o->description);
	st->r->reason = reason;
	if ((err = ar_session_log(st->s, st->r)) < 0)
		return err;
	st->s->last_iteration = st->r->iteration;
	return 0;
}

static int scope_violation(struct step *st, ar_strvec *bad)
{
	ar_buf why = AR_BUF_INIT;
	int err = ar_repo_restore_paths(st->s->ws->repo, bad);

	if (err < 0)
		return err;
	ar_buf_adds(&why, "changed fixed files (restored):");
	for (size_t i = 0; i < bad->n; i++)
		ar_buf_printf(&why, " %s", bad->items[i]);
	return record_attempt(st, AR_ST_SCOPE_VIOLATION, ar_buf_detach(&why));
}

static char *no_change_reason(struct step *st)
{
	ar_buf why = AR_BUF_INIT;
	const ar_strvec *other = &st->scope.other;

	if (st->o->no_change_reason)
		return ar_xstrdup(st->o->no_change_reason);
	if (!other->n)
		return ar_xstrdup("no change to the target files");
	ar_buf_adds(&why, "only files outside the target files changed (left as they are):");
	for (size_t i = 0; i < other->n && i < 5; i++)
		ar_buf_printf(&why, " %s", other->items[i]);
	if (other->n > 5)
		ar_buf_printf(&why, " and %zu more", other->n - 5);
	return ar_buf_detach(&why);
}

/* check_scope: the step is over and recorded (a scope violation). */
#define STEP_RECORDED 2

/* Scope: returns STEP_RECORDED after a violation, AR_STEP_NO_CHANGE when
 * nothing changed, 0 when the experiment goes on. */
static int check_scope(struct step *st)
{
	struct ar_session *s = st->s;
	ar_strvec bad = AR_STRVEC_INIT;
	int err = ar_scope_compute(s, &st->scope);

	if (err == 0 && !st->is_baseline)
		err = ar_scope_tampered(s, &bad);
	for (size_t i = 0; err == 0 && i < st->scope.fixed.n; i++)
		if (!ar_strvec_contains(&bad, st->scope.fixed.items[i]))
			ar_strvec_push(&bad, st->scope.fixed.items[i]);
	if (err == 0 && bad.n)
		err = scope_violation(st, &bad);
	if (err == 0 && bad.n)
		err = STEP_RECORDED;
	ar_strvec_release(&bad);
	if (err)
		return err;
	for (size_t i = 0; i < st->scope.other.n; i++)
		ar_strvec_pushf(st->warnings, "%s is not a target file; left out of "
		                "the experiment", st->scope.other.items[i]);
	if (st->scope.targets.n || st->is_baseline)
		return 0;
	if (!st->o->record_no_change)
		return AR_STEP_NO_CHANGE;
	err = record_attempt(st, AR_ST_NO_CHANGE, no_change_reason(st));
	return err < 0 ? err : AR_STEP_NO_CHANGE;
}

static int commit(struct step *st)
{
	struct ar_session *s = st->s;
	ar_repo *repo = s->ws->repo;
	long n = s->last_iteration + 1;
	char *msg, *ref;
	int err;

	st->pending.iteration = n;
	memcpy(st->pending.best_commit, s->best_commit, 41);
	ar_strvec_copy(&st->pending.paths, &st->scope.targets);
	st->pending.description = ar_xstrdup(st->is_baseline ? "baseline"
	                                     : st->o->description ? st->o->description : "");
	/* The record recovery works from: on disk before the branch moves. */
	if ((err = ar_session_state_save(s, &st->pending, AR_DURABLE)) < 0)
		return err;
	ar_fault_point("before-commit");
	if (!st->scope.targets.n) {
		memcpy(st->exp, s->best_commit, 41);
	} else {
		msg = ar_xprintf("experiment #%ld: %s", n,
		                 st->is_baseline ? "baseline" : st->o->description);
		err = ar_repo_commit_paths(repo, &st->scope.targets, msg, st->exp);
		free(msg);
		if (err < 0)
			return err;
		ar_fault_point("after-commit");
		memcpy(st->pending.exp_commit, st->exp, 41);
		if ((err = ar_session_state_save(s, &st->pending, AR_VOLATILE)) < 0)
			return err;
	}
	ref = ar_xprintf("refs/autoresearch/%s/%ld", s->tag, n);
	err = ar_repo_ref_set(repo, ref, st->exp, "ar: experiment");
	free(ref);
	return err;
}

/* Run the configured checks; returns 1 (with *why) when one fails. */
static int run_checks(struct step *st, char **why)
{
	struct ar_session *s = st->s;
	const struct ar_config *c = &s->ws->cfg;

	for (size_t i = 0; i < c->checks.n; i++) {
		struct ar_proc_opts po = AR_PROC_OPTS_INIT;
		struct ar_proc_result res;
		char *log = ar_xprintf("%s/logs/%ld.check%zu.log", s->state_dir,
		                       st->r->iteration, i + 1);
		po.command = c->checks.items[i];
		po.cwd = s->ws->root;
		po.log_path = log;
		po.timeout_s = c->check_timeout;
		po.interrupt = s->interrupt;
		int err = ar_proc_run(&po, &res);
		int failed = err < 0 || res.exit_status != 0 || res.timed_out;
		if (failed)
			*why = ar_xprintf("check `%s` failed (%s; see %s)", po.command,
			                  err < 0 ? ar_error_last()
			                  : res.timed_out ? "timed out" : "non-zero exit", log);
		free(log);
		if (failed)
			return 1;
	}
	return 0;
}

/* Fixed files the run itself changed (the harness, rewritten by the code
 * under test): they are restored; returns the reason, NULL when none.
 * Only the fixed files recorded at the baseline are hashed: no scan of the
 * whole tree after every run (what a run writes elsewhere is its output). */
static char *run_tampered(struct step *st)
{
	struct ar_session *s = st->s;
	ar_strvec bad = AR_STRVEC_INIT;
	ar_buf why = AR_BUF_INIT;

	ar_scope_tampered(s, &bad);
	if (bad.n) {
		int restored = ar_repo_restore_paths(s->ws->repo, &bad) == 0;
		ar_buf_printf(&why, "the run changed fixed files (%s):",
		              restored ? "restored" : "could not restore them");
		for (size_t i = 0; i < bad.n; i++)
			ar_buf_printf(&why, " %s", bad.items[i]);
	}
	ar_error_clear();
	ar_strvec_release(&bad);
	return why.len ? ar_buf_detach(&why) : NULL;
}

/*
 * Under noise: the value of the best is its samples' aggregate, and Welch's
 * test of the runs against those samples must pass too (stats.h).  The
 * p-value, the effect and the best's samples go into the result.
 */
static void noise_test(struct step *st, struct ar_decision_in *in)
{
	struct ar_session *s = st->s;
	struct ar_result *r = st->r;
	struct ar_welch w;

	in->best = ar_stats_aggregate(st->noise.aggregate, s->best_samples,
	                              s->nbest_samples);
	st->best_value = in->best;
	in->use_test = 1;
	/* alpha; under repeats: auto the level of this look (stats.h) */
	in->alpha = ar_stats_level(&st->noise.sampling, st->smp.n);
	in->p_value = 1.0; /* one run on each side: no evidence */
	if (ar_stats_welch(st->smp.samples, st->smp.n, s->best_samples,
	                   s->nbest_samples, in->direction, &w) == 0)
		in->p_value = w.p;
	ar_error_clear();
	r->has_p_value = 1;
	r->p_value = in->p_value;
	r->effect = in->direction == AR_HIGHER_IS_BETTER ? in->score - in->best
	                                                 : in->best - in->score;
	r->nbest_samples = s->nbest_samples;
	r->best_samples = ar_xmalloc(s->nbest_samples * sizeof(double));
	memcpy(r->best_samples, s->best_samples, s->nbest_samples * sizeof(double));
}

/* The numbers of the decision; tells whether the test alone said no. */
static void decision_input(struct step *st, struct ar_decision_in *in,
                           int crashed, int *test_said_no)
{
	struct ar_session *s = st->s;
	const struct ar_config *c = &s->ws->cfg;
	const struct ar_run_once *last = &st->smp.last;

	memset(in, 0, sizeof(*in));
	st->score = st->smp.failed || !st->smp.n
	            ? last->m.score
	            : ar_stats_aggregate(st->noise.aggregate, st->smp.samples, st->smp.n);
	st->best_value = s->best;
	in->crashed = crashed;
	in->guard_failed = last->m.guard_failed;
	in->is_baseline = st->is_baseline;
	in->has_best = s->has_best;
	in->best = s->best;
	in->score = st->score;
	in->direction = c->metric_direction;
	in->min_delta = c->min_delta;
	in->min_delta_relative = c->min_delta_relative;
	if (!st->is_baseline && st->scope.targets.n)
		ar_repo_diff_stat(s->ws->repo, s->best_commit, st->exp,
		                  &st->r->lines_added, &st->r->lines_removed);
	in->net_lines = st->r->lines_added - st->r->lines_removed;
	*test_said_no = 0;
	if (st->noise.on && !crashed && !st->is_baseline && s->has_best &&
	    s->nbest_samples && st->smp.n) {
		noise_test(st, in);
		in->use_test = 0;
		*test_said_no = ar_decide_would_keep(in);
		in->use_test = 1;
		*test_said_no = *test_said_no && !ar_decide_would_keep(in);
	}
}

static void decide(struct step *st)
{
	struct ar_session *s = st->s;
	const struct ar_config *c = &s->ws->cfg;
	struct ar_result *r = st->r;
	const struct ar_run_once *last = &st->smp.last;
	struct ar_decision_in in;
	char *failure = ar_engine_run_failure(s, last);
	char *tampered = st->is_baseline ? NULL : run_tampered(st);
	int test_said_no;

	decision_input(st, &in, failure != NULL || !last->m.has_score, &test_said_no);
	if (!tampered && ar_decide_would_keep(&in) && c->checks.n)
		in.checks_failed = run_checks(st, &r->reason);
	free(r->status);
	r->status = ar_xstrdup(last->proc.interrupted || st->smp.interrupted
	                       ? AR_ST_INTERRUPTED
	                       : tampered ? AR_ST_SCOPE_VIOLATION : ar_decide(&in));
	if (tampered) {
		free(r->reason);
		r->reason = tampered;
		free(failure);
	} else if (!r->reason && failure && last->m.reason) {
		/* Keep both: "exit status 127; ...apk not found after the run". */
		r->reason = ar_xprintf("%s; %s", failure, last->m.reason);
		free(failure);
	} else if (!r->reason) {
		r->reason = failure ? failure : last->m.reason ? ar_xstrdup(last->m.reason) : NULL;
	} else {
		free(failure);
	}
	if (!r->reason && test_said_no)
		r->reason = ar_xprintf("not significantly better than the best: p = %.3g "
		                       "> alpha %g (%zu runs against %zu)", in.p_value,
		                       in.alpha, st->smp.n, s->nbest_samples);
	if (st->is_baseline) {
		free(r->description);
		r->description = ar_xstrdup("baseline");
	}
}

static void fill_result(struct step *st)
{
	struct ar_session *s = st->s;
	struct ar_result *r = st->r;
	struct ar_sampled *sm = &st->smp;

	memcpy(r->commit, st->exp, 41);
	r->has_score = sm->last.m.has_score;
	r->score = st->score;
	r->has_delta = r->has_score && s->has_best;
	r->delta = st->score - st->best_value;
	r->has_guard = sm->last.m.has_guard;
	r->guard_score = sm->last.m.guard_score;
	r->guard_pass = s->ws->cfg.nguards ? !sm->last.m.guard_failed : -1;
	r->memory_gb = (double)sm->memory_bytes / 1e9;
	r->duration_s = sm->wall_s;
	r->cpu_s = sm->cpu_s;
	r->exit_status = sm->last.proc.exit_status;
	r->values = sm->last.m.values;
	r->nvalues = sm->last.m.nvalues;
	sm->last.m.values = NULL;
	sm->last.m.nvalues = 0;
	if (st->noise.on && sm->n) {
		r->nsamples = sm->n;
		r->samples = ar_xmalloc(sm->n * sizeof(double));
		memcpy(r->samples, sm->samples, sm->n * sizeof(double));
		r->has_spread = sm->n > 1;
		r->spread = ar_stats_stddev(sm->samples, sm->n);
	}
}

/* Advance the best, or put the branch and target files back to it. */
static int keep_or_revert(struct step *st)
{
	struct ar_session *s = st->s;
	const char *status = st->r->status;

	if (!strcmp(status, AR_ST_KEEP) || !strcmp(status, AR_ST_BASELINE)) {
		memcpy(s->best_commit, st->exp, 41);
		s->has_best = 1;
		s->best = st->r->score;
		s->best_iteration = st->r->iteration;
		if (st->is_baseline) {
			s->has_baseline = 1;
			s->baseline = st->r->score;
			ar_session_take_values(s, st->r);
		}
		ar_best_samples_set(s, st->smp.samples, st->smp.n, st->r->score,
		                    st->r->iteration);
		if (ar_best_samples_update(s, st->noise.on) < 0) {
			ar_strvec_pushf(st->warnings, "could not save the best's samples: %s",
			                ar_error_last());
			ar_error_clear();
		}
		return 0;
	}
	return ar_repo_reset_paths(s->ws->repo, s->best_commit, &st->scope.targets);
}

/* Put the branch and target files back to the best, keeping the message of
 * the error `err` that made the step fail. */
static int roll_back(struct step *st, int err)
{
	char *msg = ar_xstrdup(ar_error_last());
	ar_repo_reset_paths(st->s->ws->repo, st->s->best_commit, &st->scope.targets);
	ar_error_set(err, "%s", msg);
	free(msg);
	return err;
}

static int finish(struct step *st)
{
	struct ar_session *s = st->s;
	int err;

	size_t nnotes = s->notes.n;

	fill_result(st);
	err = ar_session_log(s, st->r);
	for (size_t i = nnotes; i < s->notes.n; i++)
		ar_strvec_push(st->warnings, s->notes.items[i]);
	if (err < 0) {
		/* Not recorded, so not kept whatever the verdict: back to the
		 * best; the pending entry lets a restart log it. */
		ar_error_prefix(err, "experiment #%ld ran but could not be recorded",
		                st->r->iteration);
		return roll_back(st, err);
	}
	ar_fault_point("after-log");
	if ((err = keep_or_revert(st)) < 0)
		return err;
	ar_fault_point("after-revert");
	if (st->is_baseline && !strcmp(st->r->status, AR_ST_BASELINE)) {
		struct ar_ledger_header h;
		if ((err = ar_scope_record_fixed(s, st->exp)) < 0)
			return err;
		ar_session_ledger_header(s, &h);
		if ((err = ar_ledger_update_header(s->ws->root, &h)) < 0)
			return err;
	}
	s->last_iteration = st->r->iteration;
	/* Losing this update leaves the pending record, which recovery finds
	 * already in the ledger; new fixed hashes must not be lost. */
	return ar_session_state_save(s, NULL, st->is_baseline ? AR_DURABLE
	                                                      : AR_VOLATILE);
}

static void step_release(struct step *st)
{
	ar_scope_release(&st->scope);
	ar_strvec_release(&st->pending.paths);
	free(st->pending.description);
	ar_sampled_release(&st->smp);
}

int ar_engine_step(struct ar_session *s, const struct ar_step_opts *o,
                   struct ar_result *out, ar_strvec *warnings)
{
	struct step st;
	int err;

	memset(&st, 0, sizeof(st));
	st.s = s;
	st.o = o;
	st.r = out;
	st.warnings = warnings;
	memset(out, 0, sizeof(*out));
	if ((err = need_config(&s->ws->cfg)) < 0)
		return err;
	if (o->baseline && s->has_baseline && !o->force)
		return ar_error_set(AR_EEXISTS, "a baseline exists (%g); use --force "
		                    "to run another", s->baseline);
	st.is_baseline = o->baseline || !s->has_baseline;
	result_init(&st, AR_ST_CRASH, o->description);
	if ((err = check_scope(&st)) != 0) {
		if (err == STEP_RECORDED)
			err = 0; /* a violation is recorded: *out is filled */
		goto done;
	}
	if ((err = commit(&st)) < 0)
		goto done;
	ar_noise_from_config(&st.noise, &s->ws->cfg);
	ar_fault_point("before-run");
	if ((err = ar_engine_sample(s, o, st.r->iteration, st.is_baseline, &st.smp)) < 0) {
		roll_back(&st, err);
		goto done;
	}
	ar_fault_point("after-run");
	decide(&st);
	if ((err = finish(&st)) == 0) {
		if (!strcmp(st.r->status, AR_ST_KEEP))
			ar_engine_measure_new_best(s, o, st.r->iteration, warnings);
		ar_engine_refresh_best(s, o, st.r->iteration, warnings);
	}
done:
	step_release(&st);
	return err;
}
