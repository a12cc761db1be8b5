/*
 * engine.c - one experiment end to end (see engine.h).  The steps:
 * scope -> commit -> run -> measure -> decide -> log -> keep or revert.
 * Before the commit the experiment is written to the state file as
 * "pending", so a kill at any instant can be finished or rolled back by
 * ar_session_recover().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "proc.h"
#include "session_state.h"

struct step {
	struct ar_session *s;
	const struct ar_step_opts *o;
	struct ar_result *r;
	ar_strvec *warnings;
	struct ar_scope scope;
	struct ar_pending pending;
	struct ar_proc_result proc;
	struct ar_measurement m;
	char *log_path;
	double started_at;       /* wall clock, for ar_run.started_at */
	int is_baseline;
	char exp[41];
};

static int need_config(const struct ar_config *c)
{
	if (!c->run_command || !*c->run_command)
		return ar_error_set(AR_EUSAGE, "no run command: set run_command in "
		                    ".autoresearch.yaml or pass -c run_command=...");
	if (!c->metric_name || !*c->metric_name)
		return ar_error_set(AR_EUSAGE, "no metric: set metric.name in "
		                    ".autoresearch.yaml or pass -c metric.name=...");
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
	err = record_attempt(st, AR_ST_NO_CHANGE,
	                     ar_xstrdup("no change to the target files"));
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
	if ((err = ar_session_state_save(s, &st->pending)) < 0)
		return err;
	if (!st->scope.targets.n) {
		memcpy(st->exp, s->best_commit, 41);
	} else {
		msg = ar_xprintf("experiment #%ld: %s", n,
		                 st->is_baseline ? "baseline" : st->o->description);
		err = ar_repo_commit_paths(repo, &st->scope.targets, msg, st->exp);
		free(msg);
		if (err < 0)
			return err;
		memcpy(st->pending.exp_commit, st->exp, 41);
		if ((err = ar_session_state_save(s, &st->pending)) < 0)
			return err;
	}
	ref = ar_xprintf("refs/autoresearch/%s/%ld", s->tag, n);
	err = ar_repo_ref_set(repo, ref, st->exp, "ar: experiment");
	free(ref);
	return err;
}

static void sample_memory(const int *pids, size_t n, void *payload)
{
	struct step *st = payload;
	struct ar_session *s = st->s;
	uint64_t bytes = 0;
	if (s->ws->adapter &&
	    ar_plugin_sample_memory(s->ws->adapter, s->ws->root, &s->ws->cfg, pids, n,
	                            &bytes) == AR_OK &&
	    bytes > st->m.memory_bytes)
		st->m.memory_bytes = bytes;
}

static double wall_clock(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run(struct step *st)
{
	struct ar_session *s = st->s;
	const struct ar_config *c = &s->ws->cfg;
	struct ar_proc_opts po = AR_PROC_OPTS_INIT;
	char *name = ar_xprintf("logs/%ld.log", s->last_iteration + 1);
	char *tee = ar_path_join(s->ws->root, "run.log");
	int err;

	char *logs = ar_path_join(s->state_dir, "logs");
	st->log_path = ar_path_join(s->state_dir, name);
	err = ar_mkdir_p(logs);
	free(logs);
	if (err < 0) {
		free(name);
		free(tee);
		return err;
	}
	po.command = c->run_command;
	po.cwd = s->ws->root;
	po.log_path = st->log_path;
	po.tee_path = tee;
	po.timeout_s = c->time_budget * c->timeout_multiplier;
	po.sample = sample_memory;
	po.payload = st;
	po.interrupt = s->interrupt;
	st->started_at = wall_clock();
	err = ar_proc_run(&po, &st->proc);
	free(name);
	free(tee);
	return err;
}

/* The crash reason of a run that did not finish cleanly, or NULL. */
static char *run_failure(struct step *st)
{
	const struct ar_proc_result *p = &st->proc;
	const struct ar_config *c = &st->s->ws->cfg;
	if (p->interrupted)
		return ar_xstrdup("interrupted");
	if (p->timed_out)
		return ar_xprintf("timed out after %.0f s (time_budget %g s x "
		                  "timeout_multiplier %g); the whole process tree was killed",
		                  p->wall_s, c->time_budget, c->timeout_multiplier);
	if (p->exit_status == 127)
		return ar_xprintf("command not found: `%s` exited 127 (see %s)",
		                  c->run_command, st->log_path);
	if (p->exit_status != 0 && p->term_signal == 0)
		return ar_xprintf("exit status %d (see %s)", p->exit_status, st->log_path);
	if (p->term_signal)
		return ar_xprintf("killed by signal %d", p->term_signal);
	return NULL;
}

static void measure(struct step *st)
{
	struct ar_run run;
	uint64_t sampled = st->m.memory_bytes;

	memset(&run, 0, sizeof(run));
	run.size = sizeof(run);
	run.root = st->s->ws->root;
	run.log_path = st->log_path;
	run.wall_s = st->proc.wall_s;
	run.exit_status = st->proc.exit_status;
	run.term_signal = st->proc.term_signal;
	run.timed_out = st->proc.timed_out;
	run.peak_rss_bytes = st->proc.peak_rss_bytes;
	run.sampled_bytes = sampled;
	run.started_at = st->started_at;
	st->m.memory_bytes = 0;
	ar_measure_run(st->s, &run, &st->m);
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
 * under test): they are restored; returns the reason, NULL when none. */
static char *run_tampered(struct step *st)
{
	struct ar_session *s = st->s;
	struct ar_scope after;
	ar_strvec bad = AR_STRVEC_INIT;
	ar_buf why = AR_BUF_INIT;

	memset(&after, 0, sizeof(after));
	if (ar_scope_compute(s, &after) == 0)
		ar_scope_tampered(s, &bad);
	for (size_t i = 0; i < after.fixed.n; i++)
		if (!ar_strvec_contains(&bad, after.fixed.items[i]))
			ar_strvec_push(&bad, after.fixed.items[i]);
	if (bad.n) {
		int restored = ar_repo_restore_paths(s->ws->repo, &bad) == 0;
		ar_buf_printf(&why, "the run changed fixed files (%s):",
		              restored ? "restored" : "could not restore them");
		for (size_t i = 0; i < bad.n; i++)
			ar_buf_printf(&why, " %s", bad.items[i]);
	}
	ar_error_clear();
	ar_scope_release(&after);
	ar_strvec_release(&bad);
	return why.len ? ar_buf_detach(&why) : NULL;
}

static void decide(struct step *st)
{
	struct ar_session *s = st->s;
	const struct ar_config *c = &s->ws->cfg;
	struct ar_result *r = st->r;
	struct ar_decision_in in;
	char *failure = run_failure(st);
	char *tampered = st->is_baseline ? NULL : run_tampered(st);

	memset(&in, 0, sizeof(in));
	in.crashed = failure != NULL || !st->m.has_score;
	in.guard_failed = st->m.guard_failed;
	in.is_baseline = st->is_baseline;
	in.has_best = s->has_best;
	in.best = s->best;
	in.score = st->m.score;
	in.direction = c->metric_direction;
	in.min_delta = c->min_delta;
	in.min_delta_relative = c->min_delta_relative;
	if (!st->is_baseline && st->scope.targets.n)
		ar_repo_diff_stat(s->ws->repo, s->best_commit, st->exp,
		                  &r->lines_added, &r->lines_removed);
	in.net_lines = r->lines_added - r->lines_removed;
	if (!tampered && ar_decide_would_keep(&in) && c->checks.n)
		in.checks_failed = run_checks(st, &r->reason);
	free(r->status);
	r->status = ar_xstrdup(st->proc.interrupted ? AR_ST_INTERRUPTED
	                       : tampered ? AR_ST_SCOPE_VIOLATION : ar_decide(&in));
	if (tampered) {
		free(r->reason);
		r->reason = tampered;
		free(failure);
	} else if (!r->reason && failure && st->m.reason) {
		/* Keep both: "exit status 127; ...apk not found after the run". */
		r->reason = ar_xprintf("%s; %s", failure, st->m.reason);
		free(failure);
	} else if (!r->reason) {
		r->reason = failure ? failure : st->m.reason ? ar_xstrdup(st->m.reason) : NULL;
	} else {
		free(failure);
	}
	if (st->is_baseline) {
		free(r->description);
		r->description = ar_xstrdup("baseline");
	}
}

static void fill_result(struct step *st)
{
	struct ar_session *s = st->s;
	struct ar_result *r = st->r;

	memcpy(r->commit, st->exp, 41);
	r->has_score = st->m.has_score;
	r->score = st->m.score;
	r->has_delta = st->m.has_score && s->has_best;
	r->delta = st->m.score - s->best;
	r->has_guard = st->m.has_guard;
	r->guard_score = st->m.guard_score;
	r->guard_pass = s->ws->cfg.nguards ? !st->m.guard_failed : -1;
	r->memory_gb = (double)st->m.memory_bytes / 1e9;
	r->duration_s = st->proc.wall_s;
	r->cpu_s = st->proc.cpu_s;
	r->exit_status = st->proc.exit_status;
	r->values = st->m.values;
	r->nvalues = st->m.nvalues;
	st->m.values = NULL;
	st->m.nvalues = 0;
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
	if ((err = keep_or_revert(st)) < 0)
		return err;
	if (st->is_baseline && !strcmp(st->r->status, AR_ST_BASELINE)) {
		struct ar_ledger_header h;
		if ((err = ar_scope_record_fixed(s, st->exp)) < 0)
			return err;
		ar_session_ledger_header(s, &h);
		if ((err = ar_ledger_update_header(s->ws->root, &h)) < 0)
			return err;
	}
	s->last_iteration = st->r->iteration;
	return ar_session_state_save(s, NULL);
}

static void step_release(struct step *st)
{
	ar_scope_release(&st->scope);
	ar_strvec_release(&st->pending.paths);
	ar_measurement_release(&st->m);
	free(st->log_path);
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
	if ((err = run(&st)) < 0) {
		roll_back(&st, err);
		goto done;
	}
	measure(&st);
	decide(&st);
	err = finish(&st);
done:
	step_release(&st);
	return err;
}
