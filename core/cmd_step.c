/*
 * cmd_step.c - `ar step -m DESC` and `ar baseline`: one experiment through
 * the engine, reported as one line (or one JSON object with --json).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "engine.h"
#include "stop.h"

static const char *const step_usage =
	"ar step -m DESCRIPTION [--json]\n\n"
	"Commits the changes to the target files as experiment #N, runs it,\n"
	"measures it, keeps it if it improved the best, else reverts, and logs\n"
	"it.  Prints `#N commit metric status description`.  Exit 0 when the\n"
	"experiment was recorded (whatever its verdict), 3 when it was recorded\n"
	"and one of the session's limits now holds (max_experiments, max_hours,\n"
	"target, plateau, max_agent_cost: stop your loop), 1 when it could not\n"
	"be run, 2 on a usage or configuration error.";
static const char *const baseline_usage =
	"ar baseline [--force] [--json]\n\n"
	"Runs the unmodified branch tip as the session's baseline.";

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void report(const struct ar_result *r, int json)
{
	if (json) {
		ar_buf b = AR_BUF_INIT;
		ar_ledger_json_row(&b, r);
		printf("%s\n", b.ptr);
		ar_buf_release(&b);
		return;
	}
	printf("#%ld %.7s ", r->iteration, r->commit[0] ? r->commit : "-------");
	if (r->has_score)
		printf("%.6f", r->score);
	else
		printf("-");
	if (r->has_spread) /* repeated runs: their noise, and the test */
		printf(" ± %.4g", r->spread);
	if (r->has_p_value)
		printf(" (p=%.2g)", r->p_value);
	printf(" %s %s\n", r->status, r->description);
	if (r->reason)
		fprintf(stderr, "  reason: %s\n", r->reason);
}

/* After a recorded experiment: does one of the session's limits hold
 * (stop.h)?  Says which on stderr, for the agent driving `ar step`. */
static int stop_condition(const struct ar_session *s)
{
	struct ar_ledger_info info = AR_LEDGER_INFO_INIT;
	struct ar_limits lim;
	char *why = NULL;

	ar_limits_from_config(&lim, &s->ws->cfg);
	if (ar_ledger_read_header(s->ws->root, &info) == 0)
		why = ar_limits_check(&lim, s->rows, s->nrows,
		                      ar_hours_since(info.created_at));
	ar_error_clear();
	int stop = why != NULL;

	if (stop)
		fprintf(stderr, "ar: stop: %s (exit status 3)\n", why);
	free(why);
	ar_ledger_info_release(&info);
	return stop;
}

static int do_step(struct ar_cli *cli, struct ar_step_opts *so, int json)
{
	struct ar_workspace ws;
	struct ar_session s = { 0 };
	struct ar_result r;
	ar_strvec warnings = AR_STRVEC_INIT;
	int rc, err;

	memset(&r, 0, sizeof(r));
	if ((rc = ar_cmd_workspace(&ws, cli, 1)) != 0)
		goto done;
	if (ar_session_open(&s, &ws) < 0) {
		rc = ar_cmd_fail(so->baseline ? "baseline" : "step");
		goto done;
	}
	for (size_t i = 0; i < s.notes.n; i++)
		fprintf(stderr, "ar: %s\n", s.notes.items[i]);
	ar_cmd_catch_signals(on_signal);
	s.interrupt = &interrupted;
	err = ar_engine_step(&s, so, &r, &warnings);
	for (size_t i = 0; i < warnings.n; i++)
		ar_cmd_warn("%s", warnings.items[i]);
	if (err == AR_STEP_NO_CHANGE) {
		fprintf(stderr, "ar: nothing to run: no change to the target files (%s)\n",
		        ws.cfg.target_files.n ? ws.cfg.target_files.items[0] : "none");
		rc = AR_EXIT_FAIL;
	} else if (err < 0) {
		rc = ar_cmd_fail(so->baseline ? "baseline" : "step");
	} else {
		report(&r, json);
		rc = stop_condition(&s) ? AR_EXIT_STOP : AR_EXIT_OK;
	}
done:
	ar_result_release(&r);
	ar_strvec_release(&warnings);
	ar_session_release(&s);
	ar_workspace_release(&ws);
	return rc;
}

int cmd_step(int argc, char **argv, struct ar_cli *cli)
{
	const char *desc = NULL;
	int json = 0, exit_now;
	struct ar_option opts[] = {
		AR_OPT_STRING('m', "message", &desc, "DESC", "what this experiment tries (one line)"),
		AR_OPT_BOOL(0, "json", &json, "print the result as one JSON object"),
		AR_OPT_END(),
	};
	struct ar_step_opts so = AR_STEP_OPTS_INIT;
	ar_strvec args = AR_STRVEC_INIT;

	if (ar_parse_options(argc, argv, opts, step_usage, &args, &exit_now)) {
		ar_strvec_release(&args);
		return exit_now;
	}
	ar_strvec_release(&args);
	if (!desc || !*desc) {
		fprintf(stderr, "ar step: say what the experiment tries: -m \"DESCRIPTION\"\n");
		return AR_EXIT_USAGE;
	}
	so.description = desc;
	return do_step(cli, &so, json);
}

int cmd_baseline(int argc, char **argv, struct ar_cli *cli)
{
	int json = 0, force = 0, exit_now;
	struct ar_option opts[] = {
		AR_OPT_BOOL('f', "force", &force, "run a new baseline even when one exists"),
		AR_OPT_BOOL(0, "json", &json, "print the result as one JSON object"),
		AR_OPT_END(),
	};
	struct ar_step_opts so = AR_STEP_OPTS_INIT;
	ar_strvec args = AR_STRVEC_INIT;

	if (ar_parse_options(argc, argv, opts, baseline_usage, &args, &exit_now)) {
		ar_strvec_release(&args);
		return exit_now;
	}
	ar_strvec_release(&args);
	so.description = "baseline";
	so.baseline = 1;
	so.force = force;
	return do_step(cli, &so, json);
}
