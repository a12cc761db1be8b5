/*
 * cmd_plot.c - `ar plot`: the progress chart as SVG.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd_report.h"

static const char *const plot_usage =
	"ar plot [-o FILE]\n\n"
	"Draws the session's progress as SVG (default progress.svg in the\n"
	"repository root; - for stdout): every experiment as a point in order,\n"
	"kept ones highlighted and labelled, discarded ones faint, crashes\n"
	"marked on the axis, the running best as a step line, the y axis zoomed\n"
	"between the baseline and the best.  Experiments measured several times\n"
	"(repeats: in the configuration) show their spread.  Open it in a\n"
	"browser, or convert it: `chromium --headless --screenshot ...`.";

int cmd_plot(int argc, char **argv, struct ar_cli *cli)
{
	const char *out = NULL;
	struct ar_option opts[] = {
		AR_OPT_STRING('o', "output", &out, "FILE", "where to write it (- for stdout)"),
		AR_OPT_END(),
	};
	struct ar_cmd_report c;
	ar_strvec args = AR_STRVEC_INIT;
	ar_buf b = AR_BUF_INIT;
	char *path = NULL;
	int rc, exit_now;

	memset(&c, 0, sizeof(c));
	if (ar_parse_options(argc, argv, opts, plot_usage, &args, &exit_now)) {
		rc = exit_now;
		goto done;
	}
	if (args.n) {
		fprintf(stderr, "ar plot: unexpected argument '%s'\n", args.items[0]);
		ar_usage(stderr, plot_usage, opts);
		rc = AR_EXIT_USAGE;
		goto done;
	}
	if ((rc = ar_cmd_report_open(&c, cli, 0)) != 0)
		goto done;
	ar_report_plot_svg(&b, &c.rep);
	if (out && !strcmp(out, "-")) {
		if (b.len)
			fwrite(b.ptr, 1, b.len, stdout);
		goto done;
	}
	path = out ? ar_xstrdup(out) : ar_path_join(c.ws.root, "progress.svg");
	if (ar_file_write_atomic(path, b.ptr, b.len) < 0) {
		rc = ar_cmd_fail("plot");
		goto done;
	}
	printf("wrote %s (%zu experiments, %zu kept)\n", path, c.rep.n,
	       ar_summary_count(&c.rep.sum, AR_ST_KEEP));
done:
	free(path);
	ar_buf_release(&b);
	ar_cmd_report_close(&c);
	ar_strvec_release(&args);
	return rc;
}
