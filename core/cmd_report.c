/*
 * cmd_report.c - opening a session for the reporting commands (see
 * cmd_report.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "cmd_report.h"
#include "plugin.h"

/* Like ar_cmd_workspace, but a configuration error only loses the
 * configuration: the ledger can be shown without it. */
static int open_workspace(struct ar_cmd_report *c, const struct ar_cli *cli)
{
	struct ar_workspace_opts o = AR_WORKSPACE_OPTS_INIT;
	ar_strvec log = AR_STRVEC_INIT;
	int err;

	o.dir = cli->dir;
	o.plugin_dirs = &cli->plugin_dirs;
	o.exe = cli->exe;
	o.adapter = cli->adapter;
	o.overrides = &cli->overrides;
	o.need_repo = 0;
	err = ar_workspace_load(&c->ws, &o);
	for (size_t i = 0; i < c->ws.plugins.warnings.n; i++)
		ar_cmd_warn("%s", c->ws.plugins.warnings.items[i]);
	ar_host_drain_log(&log);
	ar_strvec_release(&log); /* detection's notes: not this command's business */
	if (err < 0 && !c->ws.root)
		return ar_cmd_fail(NULL);
	if (err < 0)
		ar_cmd_warn("%s; showing the ledger without the configuration",
		            ar_error_last());
	ar_error_clear();
	c->has_config = err == 0;
	return 0;
}

int ar_cmd_report_open(struct ar_cmd_report *c, const struct ar_cli *cli,
                       int check_tsv)
{
	int rc;

	memset(c, 0, sizeof(*c));
	if ((rc = open_workspace(c, cli)) != 0)
		return rc;
	rc = ar_report_load(&c->rep, c->ws.root, check_tsv);
	for (size_t i = 0; i < c->rep.warnings.n; i++)
		ar_cmd_warn("%s", c->rep.warnings.items[i]);
	if (rc < 0)
		return ar_cmd_fail(NULL);
	return 0;
}

void ar_cmd_report_close(struct ar_cmd_report *c)
{
	ar_report_release(&c->rep);
	ar_workspace_release(&c->ws);
}

int ar_cmd_color(void)
{
	const char *no = getenv("NO_COLOR"), *term = getenv("TERM");

	if (no && *no)
		return 0;
	if (term && !strcmp(term, "dumb"))
		return 0;
	return isatty(STDOUT_FILENO);
}

int ar_cmd_width(void)
{
	struct winsize ws;
	const char *cols = getenv("COLUMNS");

	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
	    ws.ws_col >= 20)
		return ws.ws_col;
	if (cols && atoi(cols) >= 20)
		return atoi(cols);
	return 100;
}

int ar_cmd_report_document(int argc, char **argv, struct ar_cli *cli,
                           const struct ar_cmd_document *d)
{
	const char *out = NULL;
	struct ar_option opts[] = {
		AR_OPT_STRING('o', "output", &out, "FILE", "where to write it (- for stdout)"),
		AR_OPT_END(),
	};
	struct ar_cmd_report c;
	ar_strvec args = AR_STRVEC_INIT;
	ar_buf b = AR_BUF_INIT;
	char *path = NULL, *name = NULL;
	int rc, exit_now;

	memset(&c, 0, sizeof(c));
	if (ar_parse_options(argc, argv, opts, d->usage, &args, &exit_now)) {
		rc = exit_now;
		goto done;
	}
	if (args.n) {
		fprintf(stderr, "ar %s: unexpected argument '%s'\n", d->name, args.items[0]);
		ar_usage(stderr, d->usage, opts);
		rc = AR_EXIT_USAGE;
		goto done;
	}
	if ((rc = ar_cmd_report_open(&c, cli, 0)) != 0)
		goto done;
	name = d->render(&b, &c);
	if (out && !strcmp(out, "-")) {
		if (b.len)
			fwrite(b.ptr, 1, b.len, stdout);
		goto done;
	}
	path = out ? ar_xstrdup(out) : ar_path_join(c.ws.root, name);
	if (ar_file_write_atomic(path, b.ptr, b.len, AR_DURABLE) < 0) {
		rc = ar_cmd_fail(d->name);
		goto done;
	}
	d->wrote(path, &c);
done:
	free(name);
	free(path);
	ar_buf_release(&b);
	ar_cmd_report_close(&c);
	ar_strvec_release(&args);
	return rc;
}
