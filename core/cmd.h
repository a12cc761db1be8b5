/*
 * cmd.h - the command layer: the only code that prints and picks exit
 * codes.  One cmd_<name>.c per command; the table is in main.c.
 */
#ifndef AR_CMD_H
#define AR_CMD_H

#include <stdio.h>
#include "workspace.h"

#define AR_EXIT_OK 0
#define AR_EXIT_FAIL 1
#define AR_EXIT_USAGE 2
#define AR_EXIT_STOP 3 /* recorded, and a stop condition holds */

/* Options that come before the command name. */
struct ar_cli {
	const char *dir;        /* -C DIR */
	ar_strvec plugin_dirs;  /* --plugin-dir DIR */
	ar_strvec overrides;    /* -c key=value */
	const char *adapter;    /* --adapter NAME */
	const char *exe;        /* argv[0] */
};

enum ar_opt_type { AR_OPT_END, AR_OPT_BOOL, AR_OPT_STRING, AR_OPT_LONG, AR_OPT_LIST };
struct ar_option {
	enum ar_opt_type type;
	char short_name;        /* 0 when none */
	const char *long_name;
	void *value;            /* int *, const char **, long *, ar_strvec * */
	const char *argh;       /* name of the argument in help */
	const char *help;
};
#define AR_OPT_BOOL(s, l, v, h) { AR_OPT_BOOL, s, l, v, NULL, h }
#define AR_OPT_STRING(s, l, v, a, h) { AR_OPT_STRING, s, l, v, a, h }
#define AR_OPT_LONG(s, l, v, a, h) { AR_OPT_LONG, s, l, v, a, h }
#define AR_OPT_LIST(s, l, v, a, h) { AR_OPT_LIST, s, l, v, a, h }
#define AR_OPT_END() { AR_OPT_END, 0, NULL, NULL, NULL, NULL }

/*
 * Parse argv (argv[0] is the command name).  Positional arguments go to
 * `args`.  Returns 0, or the exit code to return at once (after --help: 0;
 * after an error: 2, with usage printed).
 */
int ar_parse_options(int argc, char **argv, const struct ar_option *opts,
                     const char *usage, ar_strvec *args, int *exit_now);
void ar_usage(FILE *f, const char *usage, const struct ar_option *opts);

/* Load the workspace; prints warnings; prints the error and returns the
 * exit code (non-zero) on failure. */
int ar_cmd_workspace(struct ar_workspace *ws, const struct ar_cli *cli, int need_repo);
/* Print "ar: error: <last error>" and return the matching exit code. */
int ar_cmd_fail(const char *what);
int ar_exit_code(int err);
void ar_cmd_warn(const char *fmt, ...) AR_PRINTF(1, 2);
/* Route SIGINT, SIGTERM and SIGHUP to handler: the commands that run
 * experiments stop cleanly on them. */
void ar_cmd_catch_signals(void (*handler)(int));

int cmd_init(int argc, char **argv, struct ar_cli *cli);
int cmd_step(int argc, char **argv, struct ar_cli *cli);
int cmd_baseline(int argc, char **argv, struct ar_cli *cli);
int cmd_detect(int argc, char **argv, struct ar_cli *cli);
int cmd_adapters(int argc, char **argv, struct ar_cli *cli);
int cmd_config(int argc, char **argv, struct ar_cli *cli);
int cmd_run(int argc, char **argv, struct ar_cli *cli);
int cmd_not_implemented(int argc, char **argv, struct ar_cli *cli);
int cmd_status(int argc, char **argv, struct ar_cli *cli);
int cmd_results(int argc, char **argv, struct ar_cli *cli);
int cmd_show(int argc, char **argv, struct ar_cli *cli);
int cmd_analyze(int argc, char **argv, struct ar_cli *cli);
int cmd_plot(int argc, char **argv, struct ar_cli *cli);
int cmd_calibrate(int argc, char **argv, struct ar_cli *cli);
int cmd_watch(int argc, char **argv, struct ar_cli *cli);

#endif
