/*
 * cmd_common.c - option parsing, workspace loading and error reporting
 * shared by the commands.
 */
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"

void ar_usage(FILE *f, const char *usage, const struct ar_option *opts)
{
	fprintf(f, "usage: %s\n", usage);
	if (opts && opts->type != AR_OPT_END)
		fputc('\n', f);
	for (const struct ar_option *o = opts; o && o->type != AR_OPT_END; o++) {
		char left[64];
		snprintf(left, sizeof(left), "%s%c%s--%s%s%s", o->short_name ? "-" : "",
		         o->short_name ? o->short_name : ' ', o->short_name ? ", " : "  ",
		         o->long_name, o->argh ? " " : "", o->argh ? o->argh : "");
		fprintf(f, "    %-28s %s\n", o->short_name ? left : left + 2, o->help);
	}
}

static const struct ar_option *find_long(const struct ar_option *opts, const char *name,
                                         size_t len)
{
	for (const struct ar_option *o = opts; o->type != AR_OPT_END; o++)
		if (strlen(o->long_name) == len && !strncmp(o->long_name, name, len))
			return o;
	return NULL;
}

static const struct ar_option *find_short(const struct ar_option *opts, char c)
{
	for (const struct ar_option *o = opts; o->type != AR_OPT_END; o++)
		if (o->short_name == c)
			return o;
	return NULL;
}

static int set_value(const struct ar_option *o, const char *arg, const char *cmd)
{
	char *end;
	switch (o->type) {
	case AR_OPT_BOOL:
		*(int *)o->value = 1;
		return 0;
	case AR_OPT_STRING:
		*(const char **)o->value = arg;
		return 0;
	case AR_OPT_LIST:
		ar_strvec_push(o->value, arg);
		return 0;
	case AR_OPT_LONG:
		*(long *)o->value = strtol(arg, &end, 10);
		if (*arg && !*end)
			return 0;
		fprintf(stderr, "ar %s: --%s expects a whole number, got '%s'\n", cmd,
		        o->long_name, arg);
		return -1;
	default:
		return -1;
	}
}

/* One option at argv[*i]; returns 0, -1 (error) or 1 (--help). */
static int parse_one(int argc, char **argv, int *i, const struct ar_option *opts)
{
	const char *a = argv[*i], *val = NULL;
	const struct ar_option *o;

	if (!strcmp(a, "-h") || !strcmp(a, "--help"))
		return 1;
	if (a[1] == '-') {
		const char *eq = strchr(a + 2, '=');
		o = find_long(opts, a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2));
		val = eq ? eq + 1 : NULL;
	} else {
		o = find_short(opts, a[1]);
		val = a[2] ? a + 2 : NULL;
	}
	if (!o) {
		fprintf(stderr, "ar %s: unknown option '%s'\n", argv[0], a);
		return -1;
	}
	if (o->type == AR_OPT_BOOL)
		return set_value(o, NULL, argv[0]);
	if (!val && *i + 1 >= argc) {
		fprintf(stderr, "ar %s: option '%s' needs a value (%s)\n", argv[0], a,
		        o->argh ? o->argh : "value");
		return -1;
	}
	return set_value(o, val ? val : argv[++*i], argv[0]);
}

int ar_parse_options(int argc, char **argv, const struct ar_option *opts,
                     const char *usage, ar_strvec *args, int *exit_now)
{
	int only_args = 0;
	*exit_now = -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (only_args || a[0] != '-' || !a[1]) {
			ar_strvec_push(args, a);
			continue;
		}
		if (!strcmp(a, "--")) {
			only_args = 1;
			continue;
		}
		int rc = parse_one(argc, argv, &i, opts);
		if (rc == 1) {
			ar_usage(stdout, usage, opts);
			*exit_now = AR_EXIT_OK;
			return 1;
		}
		if (rc < 0) {
			ar_usage(stderr, usage, opts);
			*exit_now = AR_EXIT_USAGE;
			return 1;
		}
	}
	return 0;
}

int ar_exit_code(int err)
{
	if (err == AR_EUSAGE)
		return AR_EXIT_USAGE;
	return err < 0 ? AR_EXIT_FAIL : AR_EXIT_OK;
}

int ar_cmd_fail(const char *what)
{
	const char *msg = ar_error_last();
	if (what)
		fprintf(stderr, "ar: %s: %s\n", what, *msg ? msg : "failed");
	else
		fprintf(stderr, "ar: %s\n", *msg ? msg : "failed");
	return ar_exit_code(ar_error_code() ? ar_error_code() : AR_ERROR);
}

void ar_cmd_warn(const char *fmt, ...)
{
	va_list ap;
	fputs("ar: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int ar_cmd_workspace(struct ar_workspace *ws, const struct ar_cli *cli, int need_repo)
{
	struct ar_workspace_opts o = AR_WORKSPACE_OPTS_INIT;
	ar_strvec log = AR_STRVEC_INIT;
	int err;

	o.dir = cli->dir;
	o.plugin_dirs = &cli->plugin_dirs;
	o.exe = cli->exe;
	o.adapter = cli->adapter;
	o.overrides = &cli->overrides;
	o.need_repo = need_repo;
	err = ar_workspace_load(ws, &o);
	for (size_t i = 0; i < ws->plugins.warnings.n; i++)
		ar_cmd_warn("%s", ws->plugins.warnings.items[i]);
	ar_host_drain_log(&log);
	for (size_t i = 0; i < log.n; i++)
		fprintf(stderr, "ar: %s\n", log.items[i]);
	ar_strvec_release(&log);
	if (err < 0)
		return ar_cmd_fail(NULL);
	return 0;
}

int cmd_not_implemented(int argc, char **argv, struct ar_cli *cli)
{
	(void)argc;
	(void)cli;
	fprintf(stderr, "ar %s: not implemented yet\n", argv[0]);
	return AR_EXIT_FAIL;
}

void ar_cmd_catch_signals(void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}
