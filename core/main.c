/*
 * main.c - `ar`'s entry point: global options, then one command from the
 * table below.  Bare `ar`, `ar --max 5` and the one-line form
 * `ar "minimize X" CMD FILES` are `ar run`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "git.h"
#include "objective.h"
#include "proc.h"

struct ar_command {
	const char *name;
	int (*fn)(int argc, char **argv, struct ar_cli *cli);
	const char *summary;
};

static const struct ar_command commands[] = {
	{ "init", cmd_init, "start or resume a session on branch autoresearch/<tag>" },
	{ "baseline", cmd_baseline, "run the unmodified branch tip as the baseline" },
	{ "step", cmd_step, "turn the working tree's change into one recorded experiment" },
	{ "run", cmd_run, "the autonomous loop (also bare `ar`, and `ar \"minimize X\" CMD FILES`)" },
	{ "detect", cmd_detect, "show each adapter's score for this repository" },
	{ "adapters", cmd_adapters, "list the adapters found and where" },
	{ "config", cmd_config, "show the effective configuration and its origins" },
	{ "status", cmd_status, "the session at a glance: progress, best, recent experiments" },
	{ "results", cmd_results, "every experiment as a table (or --json)" },
	{ "show", cmd_show, "one experiment: metric, diff, log; --apply brings it back" },
	{ "analyze", cmd_analyze, "write autoresearch-<tag>-analysis.md: what worked, what did not" },
	{ "plot", cmd_plot, "draw the progress chart as SVG" },
	{ "calibrate", cmd_calibrate, "measure the metric's noise; advise min_delta and repeats" },
	{ "watch", cmd_watch, "the work tree watcher that speeds up steps in large repositories" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fputs("usage: ar [-C DIR] [--plugin-dir DIR] [-c KEY=VALUE] [--adapter NAME]\n"
	      "          [<command>] [options]\n"
	      "       ar \"minimize METRIC\" \"COMMAND\" FILES...   (the one-line form)\n"
	      "       ar --version | --help\n\n"
	      "Bare `ar` detects the project and runs the loop (`ar run`).\n\ncommands:\n", f);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "    %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("\n`ar <command> --help` describes a command's options.\n", f);
}

/* Global options before the command; returns the index of the command or
 * a negative exit code. */
static int parse_global(int argc, char **argv, struct ar_cli *cli)
{
	int i;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		const char *next = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--version")) {
			printf("ar %s (adapter ABI %d.%d)\n", AR_VERSION, AR_ABI_MAJOR, AR_ABI_MINOR);
			return -AR_EXIT_OK - 100;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return -AR_EXIT_OK - 100;
		}
		if (!next && (!strcmp(a, "-C") || !strcmp(a, "--plugin-dir") ||
		              !strcmp(a, "-c") || !strcmp(a, "--adapter"))) {
			fprintf(stderr, "ar: option '%s' needs a value\n", a);
			usage(stderr);
			return -AR_EXIT_USAGE - 100;
		}
		if (!next)
			break;
		if (!strcmp(a, "-C"))
			cli->dir = next;
		else if (!strcmp(a, "--plugin-dir"))
			ar_strvec_push(&cli->plugin_dirs, next);
		else if (!strcmp(a, "-c"))
			ar_strvec_push(&cli->overrides, next);
		else if (!strcmp(a, "--adapter"))
			cli->adapter = next;
		else
			break; /* bare `ar --max 5`: the loop's options */
		i++;
	}
	return i;
}

/* Bare `ar [options]` and the one-line form are `ar run`. */
static int run_implicit(int argc, char **argv, struct ar_cli *cli)
{
	char **args = ar_xcalloc((size_t)argc + 2, sizeof(char *));
	int rc;

	args[0] = (char *)"run";
	for (int i = 0; i < argc; i++)
		args[i + 1] = argv[i];
	rc = cmd_run(argc + 1, args, cli);
	free(args);
	return rc;
}

static int dispatch(int argc, char **argv, struct ar_cli *cli)
{
	if (argc == 0 || argv[0][0] == '-' || ar_objective_is(argv[0]))
		return run_implicit(argc, argv, cli);
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(argv[0], commands[i].name))
			return commands[i].fn(argc, argv, cli);
	fprintf(stderr, "ar: '%s' is not an ar command; see `ar --help`\n", argv[0]);
	return AR_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	struct ar_cli cli;
	int i, rc;

	memset(&cli, 0, sizeof(cli));
	cli.exe = argv[0];
	i = parse_global(argc, argv, &cli);
	if (i < 0) {
		rc = -i - 100;
		goto done;
	}
	if (cli.adapter)
		ar_strvec_pushf(&cli.overrides, "adapter=%s", cli.adapter);
	ar_proc_setup();
	ar_git_init();
	rc = dispatch(argc - i, argv + i, &cli);
	ar_git_shutdown();
done:
	ar_strvec_release(&cli.plugin_dirs);
	ar_strvec_release(&cli.overrides);
	return rc;
}
