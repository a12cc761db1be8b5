/*
 * cmd_status.c - `ar status`: the session at a glance, read from the
 * ledger.  Read-only: safe while a loop runs in another terminal.
 */
#include <stdio.h>
#include "cmd_report.h"

static const char *const status_usage =
	"ar status\n\n"
	"The session at a glance, from autoresearch.jsonl: tag, adapter, target,\n"
	"metric; experiments done against max_experiments; baseline, best and\n"
	"the improvement; the running best as a sparkline; the last experiments;\n"
	"how many ended in each status.  Reads only, so it is safe while `ar run`\n"
	"works in another terminal.  Colour on a terminal unless NO_COLOR is set.";

int cmd_status(int argc, char **argv, struct ar_cli *cli)
{
	struct ar_option opts[] = { AR_OPT_END() };
	struct ar_report_style st = { 0, 100, 0, NULL };
	struct ar_cmd_report c;
	ar_strvec args = AR_STRVEC_INIT;
	ar_buf b = AR_BUF_INIT;
	int rc, exit_now;

	rc = ar_parse_options(argc, argv, opts, status_usage, &args, &exit_now);
	if (rc || args.n) {
		if (!rc) {
			fprintf(stderr, "ar status: unexpected argument '%s'\n", args.items[0]);
			ar_usage(stderr, status_usage, opts);
		}
		ar_strvec_release(&args);
		return rc ? exit_now : AR_EXIT_USAGE;
	}
	ar_strvec_release(&args);
	if ((rc = ar_cmd_report_open(&c, cli, 1)) == 0) {
		st.color = ar_cmd_color();
		st.width = ar_cmd_width();
		if (c.has_config) {
			st.max_experiments = c.ws.cfg.max_experiments;
			st.adapter = c.ws.adapter ? c.ws.adapter->ad.name : c.ws.cfg.adapter;
		}
		ar_report_status(&b, &c.rep, &st);
		if (b.len)
			fwrite(b.ptr, 1, b.len, stdout);
	}
	ar_buf_release(&b);
	ar_cmd_report_close(&c);
	return rc;
}
