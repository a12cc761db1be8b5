/*
 * cmd_analyze.c - `ar analyze`: write the session up as
 * autoresearch-<tag>-analysis.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd_report.h"

static const char *const analyze_usage =
	"ar analyze [-o FILE]\n\n"
	"Writes autoresearch-<tag>-analysis.md in the repository root (or FILE;\n"
	"- for stdout): a summary (counts, baseline -> best, improvement), what\n"
	"worked (kept experiments grouped by the kind of change, with their\n"
	"gains), what did not (discards grouped, directions that repeatedly\n"
	"failed), crashes and their reasons, how the best progressed, and\n"
	"recommendations (near misses worth retrying, a plateau).  Grouping reads\n"
	"the descriptions (the constant or word they name, e.g. LEARNING_RATE in\n"
	"\"increase LEARNING_RATE to 0.05\") and, when a description names none,\n"
	"the first line the experiment's diff changes.  When experiments were\n"
	"repeated (repeats:), every value shows its spread and p-value and a\n"
	"Noise section adds the runs spent, the discards that were not\n"
	"significantly better and the calibration.";

static char *render(ar_buf *b, struct ar_cmd_report *c)
{
	ar_report_analysis(b, &c->rep, c->ws.repo);
	return ar_report_analysis_name(&c->rep);
}

static void wrote(const char *path, const struct ar_cmd_report *c)
{
	printf("wrote %s (%zu experiments)\n", path, c->rep.n);
}

int cmd_analyze(int argc, char **argv, struct ar_cli *cli)
{
	static const struct ar_cmd_document doc = { "analyze", analyze_usage, render, wrote };

	return ar_cmd_report_document(argc, argv, cli, &doc);
}
