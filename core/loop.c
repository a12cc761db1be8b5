/*
 * loop.c - the autonomous loop (see loop.h).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "loop.h"
#include "prompt.h"
#include "session_state.h"
#include "stop.h"

#define AGENT_FAILURES 3
#define BACKOFF_S 5.0
#define BACKOFF_MAX_S 300.0
#define CRASHES_PER_IDEA 3
#define TAIL_BYTES 4096

struct loop {
	struct ar_session *s;
	struct ar_proposer *p;
	const struct ar_loop_opts *o;
	struct ar_loop_summary *sum;
	struct ar_result *rows;  /* the ledger, grown as experiments finish */
	size_t nrows;
	struct ar_limits limits;
	char *created_at;        /* the ledger's, for max_hours */
	char *template_text;     /* prompt_template's contents, or NULL */
	double t0;
	int crash_streak;        /* crashes in a row of the idea being fixed */
	int fixing;              /* this proposal starts from a crashed change */
	char *abandoned;         /* an idea given up, for the next prompt */
	int fails_in_row;        /* failed or empty proposals in a row */
	int agent_failures;      /* ... that stop the loop */
	double backoff_s;        /* the first pause after one */
	ar_strvec warned;        /* warnings already reported */
};

static void emit(struct loop *l, enum ar_loop_event_kind kind, const char *msg,
                 const struct ar_result *r)
{
	struct ar_loop_event ev;

	if (!l->o->event)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.iteration = l->s->last_iteration + 1;
	ev.message = msg;
	ev.result = r;
	if (r)
		ev.iteration = r->iteration;
	l->o->event(&ev, l->o->payload);
}

static void on_progress(long it, double elapsed, double timeout,
                        const char *log_path, void *payload)
{
	struct loop *l = payload;
	struct ar_loop_event ev;

	if (!l->o->event)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = AR_LOOP_RUNNING;
	ev.iteration = it;
	ev.elapsed = elapsed;
	ev.timeout = timeout;
	ev.log_path = log_path;
	l->o->event(&ev, l->o->payload);
}

/* Tracked files of the best commit that match target_files. */
static int target_paths(struct loop *l, ar_strvec *out)
{
	ar_strvec all = AR_STRVEC_INIT;
	int err = ar_repo_tree_paths(l->s->ws->repo, l->s->best_commit, &all);

	for (size_t i = 0; err == 0 && i < all.n; i++)
		if (ar_glob_match_any(&l->s->ws->cfg.target_files, all.items[i]))
			ar_strvec_push(out, all.items[i]);
	ar_strvec_release(&all);
	return err;
}

/* Put back what a failed proposal changed: target files to the best,
 * fixed files to what they were.  Other files are the user's: left alone. */
static int discard_changes(struct loop *l)
{
	struct ar_scope sc;
	int err;

	memset(&sc, 0, sizeof(sc));
	if ((err = ar_scope_compute(l->s, &sc)) == 0 && sc.targets.n)
		err = ar_repo_reset_paths(l->s->ws->repo, l->s->best_commit, &sc.targets);
	if (err == 0 && sc.fixed.n)
		err = ar_repo_restore_paths(l->s->ws->repo, &sc.fixed);
	ar_scope_release(&sc);
	return err;
}

/* Bring a crashed experiment's target files back into the working tree
 * (not committed), for the agent to fix. */
static int restore_crashed(struct loop *l, const char *commit)
{
	ar_strvec paths = AR_STRVEC_INIT;
	int err = ar_repo_tree_paths(l->s->ws->repo, commit, &paths);

	for (size_t i = 0; err == 0 && i < paths.n; i++) {
		char *blob = NULL, *abs;
		size_t len = 0;
		if (!ar_glob_match_any(&l->s->ws->cfg.target_files, paths.items[i]))
			continue;
		if ((err = ar_repo_blob(l->s->ws->repo, commit, paths.items[i], &blob, &len)) < 0)
			break;
		abs = ar_path_join(l->s->ws->root, paths.items[i]);
		err = ar_file_write_atomic(abs, blob, len, AR_DURABLE);
		free(abs);
		free(blob);
	}
	ar_strvec_release(&paths);
	return err;
}

static const struct ar_result *last_row(const struct loop *l)
{
	return l->nrows ? &l->rows[l->nrows - 1] : NULL;
}

static char *crash_tail(struct loop *l, long iteration)
{
	char *path = ar_xprintf("%s/logs/%ld.log", l->s->state_dir, iteration), *tail = NULL;

	if (ar_file_tail(path, TAIL_BYTES, &tail) < 0)
		ar_error_clear();
	free(path);
	return tail;
}

/* Build the prompt for this proposal (agents only), restoring a crashed
 * change first when the agent is to fix it. */
static int prepare_prompt(struct loop *l, ar_buf *prompt)
{
	const struct ar_result *last = last_row(l);
	struct ar_prompt_in in;
	char *tail = NULL;
	int err = 0;

	l->fixing = 0;
	if (!ar_proposer_wants_prompt(l->p))
		return 0;
	memset(&in, 0, sizeof(in));
	in.cfg = &l->s->ws->cfg;
	in.iteration = l->s->last_iteration + 1;
	in.rows = l->rows;
	in.nrows = l->nrows;
	in.abandoned = l->abandoned;
	if (!l->abandoned && last && !strcmp(last->status, AR_ST_CRASH) && l->crash_streak) {
		tail = crash_tail(l, last->iteration);
		in.crash_tail = tail ? tail : "(no log)";
		in.crash_desc = last->description;
		if (ar_proposer_fixes_crashes(l->p) && last->commit[0] &&
		    (err = restore_crashed(l, last->commit)) == 0)
			l->fixing = 1;
		in.fix_attempt = l->fixing;
	}
	if (err == 0)
		ar_prompt_build(&in, l->template_text, prompt);
	free(tail);
	free(l->abandoned);
	l->abandoned = NULL;
	return err;
}

/* What the proposal changed, when it did not say: "edit a.py, b.py". */
static char *summarise(struct loop *l)
{
	struct ar_scope sc;
	ar_buf b = AR_BUF_INIT;

	memset(&sc, 0, sizeof(sc));
	if (ar_scope_compute(l->s, &sc) < 0)
		ar_error_clear();
	ar_buf_adds(&b, "edit");
	for (size_t i = 0; i < sc.targets.n && i < 3; i++)
		ar_buf_printf(&b, "%s %s", i ? "," : "", sc.targets.items[i]);
	if (sc.targets.n > 3)
		ar_buf_printf(&b, " and %zu more", sc.targets.n - 3);
	ar_buf_adds(&b, " (no DESCRIPTION line from the proposer)");
	ar_scope_release(&sc);
	return ar_buf_detach(&b);
}

/* .autoresearch/proposing holds the iteration while a proposer runs: a
 * kill then leaves its half-made change, which the next loop saves and
 * drops (see recover_proposal). */
static char *marker_path(struct loop *l)
{
	return ar_path_join(l->s->state_dir, "proposing");
}

static int mark_proposing(struct loop *l, long iteration)
{
	char *path = marker_path(l), *text = ar_xprintf("%ld\n", iteration);
	int err = ar_file_write_atomic(path, text, strlen(text), AR_DURABLE);

	free(text);
	free(path);
	return err;
}

static void unmark_proposing(struct loop *l)
{
	char *path = marker_path(l);
	unlink(path);
	free(path);
}

/* Copy the changed target files to .autoresearch/interrupted/<N>/. */
static int save_copies(struct loop *l, const ar_strvec *paths, long n, char **dir)
{
	int err = 0;

	*dir = ar_xprintf("%s/interrupted/%ld", l->s->state_dir, n);
	for (size_t i = 0; i < paths->n && !err; i++) {
		char *src = ar_path_join(l->s->ws->root, paths->items[i]);
		char *dst = ar_path_join(*dir, paths->items[i]), *slash, *data = NULL;
		size_t len = 0;
		if ((slash = strrchr(dst, '/')) != NULL) {
			*slash = '\0';
			err = ar_mkdir_p(dst);
			*slash = '/';
		}
		if (!err && (err = ar_file_read(src, (size_t)1 << 30, &data, &len)) == AR_ENOTFOUND)
			err = 0; /* deleted by the proposer: nothing to keep */
		else if (!err)
			err = ar_file_write_atomic(dst, data, len, AR_DURABLE);
		free(data);
		free(src);
		free(dst);
	}
	return err;
}

/* A proposer killed mid-way (kill -9, reboot) left its change: keep a copy,
 * put the target files back to the best, and say so. */
static int recover_proposal(struct loop *l)
{
	char *path = marker_path(l), *text = NULL, *dir = NULL;
	struct ar_scope sc;
	long n = 0;
	int err = 0;

	memset(&sc, 0, sizeof(sc));
	if (ar_file_read(path, 64, &text, NULL) < 0) {
		ar_error_clear();
		goto done;
	}
	n = strtol(text, NULL, 10);
	if ((err = ar_scope_compute(l->s, &sc)) == 0 && sc.targets.n &&
	    (err = save_copies(l, &sc.targets, n, &dir)) == 0 &&
	    (err = discard_changes(l)) == 0) {
		char *msg = ar_xprintf("the proposer of experiment #%ld was interrupted; "
		                       "its unfinished change was saved in %s and the "
		                       "target files put back to the best", n, dir);
		emit(l, AR_LOOP_NOTE, msg, NULL);
		free(msg);
	}
	if (err == 0)
		unlink(path);
done:
	ar_scope_release(&sc);
	free(dir);
	free(text);
	free(path);
	return err;
}

/* Sleep up to seconds, returning early when the user stops the loop. */
static void pause_for(struct loop *l, double seconds)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	double end = ar_now() + seconds;

	while (ar_now() < end && !(l->o->stop && *l->o->stop) &&
	       !(l->s->interrupt && *l->s->interrupt))
		nanosleep(&ts, NULL);
}

/* Learn from a recorded result: crash streaks, failed proposals, counts. */
static void account(struct loop *l, struct ar_result *r, const char *failure)
{
	int no_change = !strcmp(r->status, AR_ST_NO_CHANGE);

	ar_proposer_learn(l->p, r);
	l->sum->experiments++;
	if (r->has_agent_cost) {
		l->sum->has_agent_cost = 1;
		l->sum->agent_cost += r->agent_cost_usd;
	}
	if (!strcmp(r->status, AR_ST_CRASH)) {
		l->crash_streak = l->fixing ? l->crash_streak + 1 : 1;
		if (l->crash_streak >= CRASHES_PER_IDEA) {
			l->abandoned = ar_xstrdup(r->description);
			l->crash_streak = 0;
			emit(l, AR_LOOP_NOTE, "the same idea crashed 3 times in a row: "
			     "abandoned; the next proposal starts from the best", NULL);
		}
	} else if (!no_change) {
		l->crash_streak = 0;
	}
	l->fails_in_row = no_change || failure ? l->fails_in_row + 1 : 0;
	l->rows = ar_xrealloc(l->rows, (l->nrows + 1) * sizeof(*l->rows));
	l->rows[l->nrows++] = *r;
	memset(r, 0, sizeof(*r));
}

static void report_warnings(struct loop *l, const ar_strvec *w)
{
	for (size_t i = 0; i < w->n; i++) {
		if (ar_strvec_contains(&l->warned, w->items[i]))
			continue;
		ar_strvec_push(&l->warned, w->items[i]);
		emit(l, AR_LOOP_NOTE, w->items[i], NULL);
	}
}

static int propose(struct loop *l, struct ar_proposal *prop)
{
	struct ar_session *s = l->s;
	struct ar_propose_in in;
	ar_strvec targets = AR_STRVEC_INIT;
	ar_buf prompt = AR_BUF_INIT;
	char *logs = ar_path_join(s->state_dir, "logs"), *log = NULL;
	int err;

	memset(&in, 0, sizeof(in));
	if ((err = ar_mkdir_p(logs)) < 0 || (err = target_paths(l, &targets)) < 0 ||
	    (err = prepare_prompt(l, &prompt)) < 0)
		goto done;
	log = ar_xprintf("%s/%ld.agent.log", logs, s->last_iteration + 1);
	in.iteration = s->last_iteration + 1;
	in.prompt = prompt.len ? prompt.ptr : NULL;
	in.target_paths = &targets;
	in.log_path = log;
	in.interrupt = l->o->stop;
	emit(l, AR_LOOP_PROPOSING, ar_proposer_name(l->p), NULL);
	if ((err = mark_proposing(l, in.iteration)) < 0)
		goto done;
	err = ar_proposer_propose(l->p, &in, prop);
	if (err == 0 && prop->failure)
		err = discard_changes(l);
done:
	free(log);
	free(logs);
	ar_buf_release(&prompt);
	ar_strvec_release(&targets);
	return err;
}

/* One experiment: propose, then the engine.  Negative: ar cannot go on. */
static int one(struct loop *l)
{
	struct ar_step_opts so = AR_STEP_OPTS_INIT;
	struct ar_proposal prop;
	struct ar_result r;
	ar_strvec warnings = AR_STRVEC_INIT;
	char *desc = NULL;
	int err;

	memset(&r, 0, sizeof(r));
	memset(&prop, 0, sizeof(prop));
	if ((err = propose(l, &prop)) < 0)
		goto done;
	desc = prop.description ? ar_xstrdup(prop.description) : summarise(l);
	emit(l, AR_LOOP_PROPOSED, prop.failure ? prop.failure : desc, NULL);
	so.description = desc;
	so.record_no_change = 1;
	so.no_change_reason = prop.failure;
	so.agent = ar_proposer_name(l->p);
	so.has_agent_cost = prop.has_cost;
	so.agent_cost_usd = prop.cost_usd;
	so.agent_s = prop.seconds;
	so.progress = on_progress;
	so.payload = l;
	err = ar_engine_step(l->s, &so, &r, &warnings);
	if (err >= 0) /* recorded: the proposal is part of the ledger now */
		unmark_proposing(l);
	report_warnings(l, &warnings);
	if (err < 0)
		goto done;
	err = 0;
	emit(l, AR_LOOP_RESULT, NULL, &r);
	account(l, &r, prop.failure);
done:
	ar_result_release(&r);
	ar_strvec_release(&warnings);
	ar_proposal_release(&prop);
	free(desc);
	return err;
}

/* Why the loop must stop now, or NULL (caller frees). */
static char *should_stop(struct loop *l)
{
	const struct ar_loop_opts *o = l->o;
	int agent_failures = l->agent_failures;
	const struct ar_result *last = last_row(l);

	if (l->s->interrupt && *l->s->interrupt)
		return ar_xstrdup("interrupted (the running experiment was killed and reverted)");
	if (o->stop && *o->stop)
		return ar_xstrdup("stopped by the user (Ctrl-C)");
	if (l->fails_in_row >= agent_failures)
		return ar_xprintf("the proposer failed or changed nothing %d times in a row; "
		                  "last: %s", l->fails_in_row,
		                  last && last->reason ? last->reason : "no change");
	if (o->max_run > 0 && l->sum->experiments >= o->max_run)
		return ar_xprintf("--max reached: %ld experiments in this run", l->sum->experiments);
	if (o->max_run_s > 0 && ar_now() - l->t0 >= o->max_run_s)
		return ar_xprintf("--for reached: %.0f s", ar_now() - l->t0);
	return ar_limits_check(&l->limits, l->rows, l->nrows, ar_hours_since(l->created_at));
}

/* After a failed or empty proposal: wait longer each time. */
static void backoff(struct loop *l)
{
	double base = l->backoff_s, wait = base;

	if (base <= 0 || !l->fails_in_row)
		return;
	for (int i = 1; i < l->fails_in_row && wait < BACKOFF_MAX_S; i++)
		wait *= 2;
	pause_for(l, wait < BACKOFF_MAX_S ? wait : BACKOFF_MAX_S);
}

static double config_number(const struct ar_config *cfg, const char *key, double dflt)
{
	double v;

	if (ar_config_get_number(cfg, key, &v) == 0)
		return v;
	ar_error_clear();
	return dflt;
}

static int loop_init(struct loop *l)
{
	struct ar_ledger_info info = AR_LEDGER_INFO_INIT;
	const struct ar_workspace *ws = l->s->ws;
	char *warning = NULL, *tmpl = NULL;
	int err;

	if ((err = ar_ledger_read(ws->root, &l->rows, &l->nrows, &warning)) < 0)
		return err;
	if (warning)
		emit(l, AR_LOOP_NOTE, warning, NULL);
	free(warning);
	if (ar_ledger_read_header(ws->root, &info) == 0) {
		l->created_at = info.created_at;
		info.created_at = NULL;
	}
	ar_error_clear();
	ar_ledger_info_release(&info);
	for (size_t i = 0; i < l->nrows; i++)
		ar_proposer_learn(l->p, &l->rows[i]);
	if (l->nrows && !strcmp(l->rows[l->nrows - 1].status, AR_ST_CRASH))
		l->crash_streak = 1;
	if ((err = recover_proposal(l)) < 0)
		return err;
	ar_limits_from_config(&l->limits, &ws->cfg);
	l->agent_failures = (int)config_number(&ws->cfg, "agent_failures", AGENT_FAILURES);
	l->backoff_s = config_number(&ws->cfg, "agent_backoff", BACKOFF_S);
	if ((tmpl = ar_config_get(&ws->cfg, "prompt_template")) != NULL) {
		char *path = tmpl[0] == '/' ? ar_xstrdup(tmpl) : ar_path_join(ws->root, tmpl);
		size_t len;
		err = ar_file_read(path, 1u << 20, &l->template_text, &len);
		if (err < 0)
			ar_error_prefix(err, "prompt_template");
		free(path);
		free(tmpl);
	}
	return err;
}

int ar_loop_run(struct ar_session *s, struct ar_proposer *p,
                const struct ar_loop_opts *o, struct ar_loop_summary *sum)
{
	struct loop l;
	int err;

	memset(&l, 0, sizeof(l));
	memset(sum, 0, sizeof(*sum));
	l.s = s;
	l.p = p;
	l.o = o;
	l.sum = sum;
	l.t0 = ar_now();
	if ((err = loop_init(&l)) < 0) {
		sum->stop_reason = ar_xstrdup(ar_error_last());
		goto done;
	}
	while (!(sum->stop_reason = should_stop(&l))) {
		if ((err = one(&l)) < 0) {
			sum->stop_reason = ar_xstrdup(ar_error_last());
			break;
		}
		if (l.fails_in_row && !(sum->stop_reason = should_stop(&l)))
			backoff(&l);
		else if (sum->stop_reason)
			break;
	}
done:
	ar_ledger_results_free(l.rows, l.nrows);
	ar_strvec_release(&l.warned);
	free(l.created_at);
	free(l.template_text);
	free(l.abandoned);
	return err;
}

void ar_loop_summary_release(struct ar_loop_summary *sum)
{
	free(sum->stop_reason);
	memset(sum, 0, sizeof(*sum));
}
