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
	"the first line the experiment's diff changes.";

int cmd_analyze(int argc, char **argv, struct ar_cli *cli)
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
	if (ar_parse_options(argc, argv, opts, analyze_usage, &args, &exit_now)) {
		rc = exit_now;
		goto done;
	}
	if (args.n) {
		fprintf(stderr, "ar analyze: unexpected argument '%s'\n", args.items[0]);
		ar_usage(stderr, analyze_usage, opts);
		rc = AR_EXIT_USAGE;
		goto done;
	}
	if ((rc = ar_cmd_report_open(&c, cli, 0)) != 0)
		goto done;
	ar_report_analysis(&b, &c.rep, c.ws.repo);
	if (out && !strcmp(out, "-")) {
		if (b.len)
			fwrite(b.ptr, 1, b.len, stdout);
		goto done;
	}
	if (out) {
		path = ar_xstrdup(out);
	} else {
		char *name = ar_report_analysis_name(&c.rep);
		path = ar_path_join(c.ws.root, name);
		free(name);
	}
	if (ar_file_write_atomic(path, b.ptr, b.len) < 0) {
		rc = ar_cmd_fail("analyze");
		goto done;
	}
	printf("wrote %s (%zu experiments)\n", path, c.rep.n);
done:
	free(path);
	ar_buf_release(&b);
	ar_cmd_report_close(&c);
	ar_strvec_release(&args);
	return rc;
}
