/*
 * cmd_run.c - `ar run`, bare `ar`, and the one-line form: detect, start or
 * resume the session, run the baseline when there is none, then the loop
 * (loop.c) until a stop condition holds or Ctrl-C.  The first Ctrl-C lets
 * the running experiment finish; the second (or SIGTERM) kills it.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "calibrate.h"
#include "cmd_run.h"
#include "objective.h"

static const char *const run_usage =
	"ar [run] [--max N] [--for DURATION] [--agent NAME] [--seed N] [--tag TAG]\n"
	"         [--dry-run] [--json]\n"
	"   or: ar \"minimize METRIC\" \"COMMAND\" FILE|DIR|GLOB... [options]\n\n"
	"Detects the project, starts a session (or resumes the one of the\n"
	"checked-out autoresearch/<tag> branch), runs the baseline if there is\n"
	"none, then loops: the proposer changes the target files, ar commits,\n"
	"runs, measures, keeps or reverts, and logs, until a stop condition\n"
	"holds.  The session's limits (max_experiments, max_hours, target,\n"
	"plateau, max_agent_cost in the config) survive a restart; --max and\n"
	"--for limit this run only.  First Ctrl-C: finish the running experiment\n"
	"and stop.  Second Ctrl-C (or SIGTERM): kill it, revert, stop.\n"
	"Exit 0 when a limit ended the loop, 130 after Ctrl-C, 1 on an error.";

static volatile sig_atomic_t soft_stop, hard_stop;

static void on_signal(int sig)
{
	static const char msg[] = "\nar: stopping after this experiment "
	                          "(Ctrl-C again to kill it and revert)\n";
	if (sig == SIGINT && !soft_stop) {
		soft_stop = 1;
		(void)!write(2, msg, sizeof(msg) - 1);
		return;
	}
	soft_stop = 1;
	hard_stop = 1;
}

struct run_args {
	long max_run;
	const char *for_s;
	double max_run_s;
	const char *agent, *tag;
	long seed;
	int has_seed, dry_run, json, yes;
};

/* Flags that are config keys become overrides; positional arguments are
 * the one-line form. */
static int apply_args(struct run_args *a, const ar_strvec *pos, struct ar_cli *cli)
{
	if (a->for_s && (ar_parse_seconds(a->for_s, &a->max_run_s) < 0 || a->max_run_s <= 0)) {
		fprintf(stderr, "ar run: --for takes a duration such as 8h, 30m or 90s, "
		        "not '%s'\n", a->for_s);
		return AR_EXIT_USAGE;
	}
	if (a->max_run < 0) {
		fprintf(stderr, "ar run: --max takes a number of experiments >= 1\n");
		return AR_EXIT_USAGE;
	}
	if (a->agent)
		ar_strvec_pushf(&cli->overrides, "agent=%s", a->agent);
	if (a->seed != -1)
		ar_strvec_pushf(&cli->overrides, "seed=%ld", a->seed);
	if (pos->n && ar_objective_parse(pos->items[0], pos->n > 1 ? pos->items[1] : NULL,
	                                 (const char *const *)pos->items + (pos->n > 2 ? 2 : pos->n),
	                                 pos->n > 2 ? pos->n - 2 : 0, &cli->overrides) < 0) {
		fprintf(stderr, "ar: %s\n", ar_error_last());
		return AR_EXIT_USAGE;
	}
	return 0;
}

static int on_session_branch(struct ar_workspace *ws, char **tag)
{
	char *current = NULL;
	int yes;

	*tag = NULL;
	if (ar_repo_current_branch(ws->repo, &current) < 0) {
		ar_error_clear();
		return 0;
	}
	yes = !strncmp(current, "autoresearch/", 13);
	if (yes)
		*tag = ar_xstrdup(current + 13);
	free(current);
	return yes;
}

/* What the session will be, without touching anything (for the plan). */
static char *session_plan(struct ar_workspace *ws, const char *tag)
{
	char *cur = NULL, *t, *line;

	if (!tag && on_session_branch(ws, &cur)) {
		line = ar_xprintf("resume session '%s' (branch autoresearch/%s)", cur, cur);
		free(cur);
		return line;
	}
	t = tag ? ar_xstrdup(tag) : ar_session_default_tag(ws->repo);
	cur = ar_xprintf("autoresearch/%s", t);
	line = ar_repo_branch_exists(ws->repo, cur) > 0
	       ? ar_xprintf("resume session '%s' (branch %s)", t, cur)
	       : ar_xprintf("new session '%s' on branch %s", t, cur);
	free(cur);
	free(t);
	return line;
}

static int open_session(struct ar_session *s, struct ar_workspace *ws, const char *tag)
{
	char *cur = NULL;
	int resumed = 0, err;

	if (!tag && on_session_branch(ws, &cur))
		err = ar_session_open(s, ws); /* recovers an interrupted experiment */
	else
		err = ar_session_init(s, ws, tag, &resumed);
	free(cur);
	return err;
}

static void baseline_progress(long it, double elapsed, double timeout,
                              const char *log_path, void *payload)
{
	struct ar_loop_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = AR_LOOP_RUNNING;
	ev.iteration = it;
	ev.elapsed = elapsed;
	ev.timeout = timeout;
	ev.log_path = log_path;
	run_print_event(&ev, payload);
}

/* A noisy metric and no calibration: say so once, after the baseline. */
static void noise_check(struct run_out *out, struct ar_session *s)
{
	char *warning = NULL;

	if (ar_calibrate_noise_check(s, baseline_progress, out, &warning) == 0 && warning)
		run_print_note(out, "%s", warning);
	free(warning);
}

static int run_baseline(struct run_out *out, struct ar_session *s)
{
	struct ar_step_opts so = AR_STEP_OPTS_INIT;
	struct ar_result r;
	ar_strvec warnings = AR_STRVEC_INIT;
	int err, rc = 0;

	so.baseline = 1;
	so.description = "baseline";
	so.progress = baseline_progress;
	so.payload = out;
	err = ar_engine_step(s, &so, &r, &warnings);
	for (size_t i = 0; i < warnings.n; i++)
		run_print_note(out, "%s", warnings.items[i]);
	if (err < 0) {
		rc = ar_cmd_fail("baseline");
	} else {
		run_print_result(out, &r);
		if (strcmp(r.status, AR_ST_BASELINE)) {
			fprintf(stderr, "ar: the baseline did not give a metric (%s): fix the "
			        "run command or the metric settings (`ar config`), then run `ar` "
			        "again\n", r.reason ? r.reason : r.status);
			rc = AR_EXIT_FAIL;
		} else {
			noise_check(out, s); /* calibrate.h */
		}
	}
	ar_result_release(&r);
	ar_strvec_release(&warnings);
	return rc;
}

/* The session and its loop; the plan is printed already. */
static int run_session(struct run_out *out, struct ar_workspace *ws,
                       struct ar_proposer *p, const struct run_args *a)
{
	struct ar_session s = { 0 };
	struct ar_loop_opts lo;
	struct ar_loop_summary sum;
	int rc = 0, err;

	memset(&sum, 0, sizeof(sum));
	if (open_session(&s, ws, a->tag) < 0) {
		rc = ar_cmd_fail("run");
		goto done;
	}
	for (size_t i = 0; i < s.notes.n; i++)
		run_print_note(out, "%s", s.notes.items[i]);
	ar_cmd_catch_signals(on_signal);
	s.interrupt = &hard_stop;
	if (!s.has_baseline && (rc = run_baseline(out, &s)) != 0)
		goto done;
	memset(&lo, 0, sizeof(lo));
	lo.max_run = a->max_run;
	lo.max_run_s = a->max_run_s;
	lo.stop = &soft_stop;
	lo.event = run_print_event;
	lo.payload = out;
	err = ar_loop_run(&s, p, &lo, &sum);
	run_print_summary(out, &s, &sum);
	if (err < 0)
		rc = AR_EXIT_FAIL;
	else if (soft_stop || hard_stop)
		rc = 130;
	else if (sum.stop_reason && !strncmp(sum.stop_reason, "the proposer failed", 19))
		rc = AR_EXIT_FAIL;
done:
	ar_loop_summary_release(&sum);
	ar_session_release(&s);
	return rc;
}

int cmd_run(int argc, char **argv, struct ar_cli *cli)
{
	struct run_args a = { 0, NULL, 0, NULL, NULL, -1, 0, 0, 0, 0 };
	struct ar_option opts[] = {
		AR_OPT_LONG(0, "max", &a.max_run, "N", "stop after N experiments in this run"),
		AR_OPT_STRING(0, "for", &a.for_s, "DURATION", "stop after this long (8h, 30m)"),
		AR_OPT_STRING(0, "agent", &a.agent, "NAME",
		              "proposer: auto, tune, claude, codex, gemini, opencode, aider, or a command"),
		AR_OPT_LONG(0, "seed", &a.seed, "N", "the tuner's seed (same seed, same proposals)"),
		AR_OPT_STRING('t', "tag", &a.tag, "TAG", "session tag (default: resume or today's)"),
		AR_OPT_BOOL('n', "dry-run", &a.dry_run, "print what would run, then exit"),
		AR_OPT_BOOL(0, "json", &a.json, "one JSON event per line on stdout"),
		AR_OPT_BOOL('y', "yes", &a.yes, "accepted for compatibility; ar never asks"),
		AR_OPT_END(),
	};
	ar_strvec pos = AR_STRVEC_INIT;
	struct ar_workspace ws;
	struct ar_proposer *p = NULL;
	struct run_out out;
	char *how = NULL, *plan = NULL;
	int exit_now, rc;

	memset(&ws, 0, sizeof(ws));
	if (ar_parse_options(argc, argv, opts, run_usage, &pos, &exit_now)) {
		ar_strvec_release(&pos);
		return exit_now;
	}
	rc = apply_args(&a, &pos, cli);
	ar_strvec_release(&pos);
	if (rc || (rc = ar_cmd_workspace(&ws, cli, 1)) != 0)
		goto done;
	memset(&out, 0, sizeof(out));
	out.json = a.json;
	out.tty = !a.json && isatty(1);
	out.ws = &ws;
	if (ar_proposer_new(&p, &ws.cfg, ws.root, &how) < 0) {
		rc = ar_cmd_fail("run");
		goto done;
	}
	plan = session_plan(&ws, a.tag);
	run_print_plan(&out, &ws, how, plan, a.max_run, a.max_run_s);
	if (!a.dry_run)
		rc = run_session(&out, &ws, p, &a);
done:
	free(how);
	free(plan);
	ar_proposer_free(p);
	ar_workspace_release(&ws);
	return rc;
}
