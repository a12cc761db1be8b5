/*
 * cmd_show.c - `ar show N [--apply]`: one experiment in detail, discarded
 * and crashed ones included; --apply brings its change back into the work
 * tree, uncommitted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd_report.h"

static const char *const show_usage =
	"ar show N [--apply] [--log-lines K]\n\n"
	"Experiment #N in detail: description, metric, status, duration, memory,\n"
	"its diff against its parent commit (discarded and crashed experiments'\n"
	"commits are kept as refs/autoresearch/<tag>/<N>) and the last lines of\n"
	"its log (.autoresearch/logs/<N>.log).\n\n"
	"--apply brings the experiment's change to the target files back into\n"
	"the work tree, uncommitted, on top of the current code, to try it again\n"
	"or build on it (`ar step -m ...` records it).  It refuses while the\n"
	"target files have uncommitted changes.";

static int parse_n(const ar_strvec *args, long *n)
{
	const char *s;
	char *end;

	if (args->n != 1) {
		fprintf(stderr, "ar show: %s\n", args->n ? "give one experiment number"
		                                         : "which experiment? ar show N");
		return -1;
	}
	s = args->items[0] + (args->items[0][0] == '#');
	*n = strtol(s, &end, 10);
	if (*end || end == s) {
		fprintf(stderr, "ar show: '%s' is not an experiment number\n", args->items[0]);
		return -1;
	}
	return 0;
}

static int apply(struct ar_cmd_report *c, size_t i)
{
	const ar_strvec *targets = &c->rep.info.target_files;
	ar_strvec changed = AR_STRVEC_INIT;
	long n = c->rep.r[i].iteration;
	int rc = AR_EXIT_OK;

	if (!targets->n && c->has_config)
		targets = &c->ws.cfg.target_files;
	if (!c->ws.repo) {
		fprintf(stderr, "ar show: --apply needs the session's git repository; "
		        "%s is not inside one\n", c->ws.root);
		return AR_EXIT_FAIL;
	}
	if (ar_report_apply(&c->rep, c->ws.repo, i, targets, &changed) < 0) {
		rc = ar_cmd_fail("show --apply");
	} else if (!changed.n) {
		printf("experiment #%ld changed no target files: nothing to apply\n", n);
	} else {
		printf("applied experiment #%ld's change, uncommitted:\n", n);
		for (size_t k = 0; k < changed.n; k++)
			printf("    %s\n", changed.items[k]);
		printf("record it with: ar step -m \"retry #%ld: %s\"\n", n,
		       c->rep.r[i].description);
	}
	ar_strvec_release(&changed);
	return rc;
}

int cmd_show(int argc, char **argv, struct ar_cli *cli)
{
	int do_apply = 0, rc, exit_now;
	long n = 0, log_lines = 20, i;
	struct ar_option opts[] = {
		AR_OPT_BOOL(0, "apply", &do_apply,
		            "bring the change back into the work tree (uncommitted)"),
		AR_OPT_LONG('n', "log-lines", &log_lines, "K", "lines of the log to show (20)"),
		AR_OPT_END(),
	};
	struct ar_cmd_report c;
	ar_strvec args = AR_STRVEC_INIT;
	ar_buf b = AR_BUF_INIT;

	memset(&c, 0, sizeof(c));
	if (ar_parse_options(argc, argv, opts, show_usage, &args, &exit_now)) {
		rc = exit_now;
		goto done;
	}
	if (parse_n(&args, &n) < 0) {
		ar_usage(stderr, show_usage, opts);
		rc = AR_EXIT_USAGE;
		goto done;
	}
	if ((rc = ar_cmd_report_open(&c, cli, 0)) != 0)
		goto done;
	if ((i = ar_report_find(&c.rep, n)) < 0) {
		if (c.rep.n)
			fprintf(stderr, "ar show: experiment #%ld does not exist; experiments "
			        "are %ld..%ld\n", n, c.rep.r[0].iteration,
			        c.rep.r[c.rep.n - 1].iteration);
		else
			fprintf(stderr, "ar show: experiment #%ld does not exist; there are "
			        "no experiments yet\n", n);
		rc = AR_EXIT_FAIL;
		goto done;
	}
	if (do_apply) {
		rc = apply(&c, (size_t)i);
		goto done;
	}
	ar_report_show(&b, &c.rep, c.ws.repo, (size_t)i, log_lines < 0 ? 0 : (int)log_lines,
	               ar_cmd_color());
	if (b.len)
		fwrite(b.ptr, 1, b.len, stdout);
done:
	ar_buf_release(&b);
	ar_cmd_report_close(&c);
	ar_strvec_release(&args);
	return rc;
}
