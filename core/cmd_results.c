/*
 * cmd_results.c - `ar results`: every experiment as a table, or as JSON
 * Lines, optionally only some statuses.
 */
#include <stdio.h>
#include <string.h>
#include "cmd_report.h"

static const char *const results_usage =
	"ar results [--json] [--status STATUS[,STATUS...]]...\n\n"
	"Every experiment of the session, from autoresearch.jsonl: number,\n"
	"commit, metric, delta against the best before it, status, memory,\n"
	"duration and description.\n\n"
	"--json prints JSON Lines: one object per experiment, one per line, each\n"
	"its record as ar writes it to autoresearch.jsonl (the keys of\n"
	"`ar step --json`); nothing else is printed to stdout.\n"
	"--status keeps only the statuses given (repeat it, or give a comma\n"
	"list): baseline keep discard crash guard_fail checks_failed\n"
	"scope_violation no_change interrupted.";

int cmd_results(int argc, char **argv, struct ar_cli *cli)
{
	int json = 0, color, rc, exit_now;
	ar_strvec status_args = AR_STRVEC_INIT, statuses = AR_STRVEC_INIT;
	struct ar_option opts[] = {
		AR_OPT_BOOL(0, "json", &json, "JSON Lines: one ledger record per experiment"),
		AR_OPT_LIST('s', "status", &status_args, "STATUS",
		            "only these statuses (repeatable, or a comma list)"),
		AR_OPT_END(),
	};
	struct ar_cmd_report c;
	ar_strvec args = AR_STRVEC_INIT;
	ar_buf b = AR_BUF_INIT;

	memset(&c, 0, sizeof(c));
	rc = ar_parse_options(argc, argv, opts, results_usage, &args, &exit_now);
	if (rc || args.n) {
		if (!rc) {
			fprintf(stderr, "ar results: unexpected argument '%s'\n", args.items[0]);
			ar_usage(stderr, results_usage, opts);
		}
		rc = rc ? exit_now : AR_EXIT_USAGE;
		goto done;
	}
	if ((rc = ar_cmd_report_open(&c, cli, 0)) != 0)
		goto done;
	if (ar_report_statuses(&c.rep, &status_args, &statuses) < 0) {
		rc = ar_cmd_fail("results");
		goto done;
	}
	color = !json && ar_cmd_color();
	ar_report_results_header(&b, &c.rep, json);
	for (size_t i = 0; i < c.rep.n; i++) {
		ar_report_results_row(&b, &c.rep, i, &statuses, json, color);
		if (b.len >= 1 << 16) { /* a long session streams */
			fwrite(b.ptr, 1, b.len, stdout);
			ar_buf_clear(&b);
		}
	}
	if (b.len)
		fwrite(b.ptr, 1, b.len, stdout);
done:
	ar_buf_release(&b);
	ar_cmd_report_close(&c);
	ar_strvec_release(&args);
	ar_strvec_release(&status_args);
	ar_strvec_release(&statuses);
	return rc;
}
