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

static char *render(ar_buf *b, struct ar_cmd_report *c)
{
	ar_report_plot_svg(b, &c->rep);
	return ar_xstrdup("progress.svg");
}

static void wrote(const char *path, const struct ar_cmd_report *c)
{
	printf("wrote %s (%zu experiments, %zu kept)\n", path, c->rep.n,
	       ar_summary_count(&c->rep.sum, AR_ST_KEEP));
}

int cmd_plot(int argc, char **argv, struct ar_cli *cli)
{
	static const struct ar_cmd_document doc = { "plot", plot_usage, render, wrote };

	return ar_cmd_report_document(argc, argv, cli, &doc);
}
