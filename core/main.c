/*
 * main.c - `ar`'s entry point: global options, then one command from the
 * table below.  Bare `ar` will become the zero-config loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "git.h"
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
	{ "run", cmd_not_implemented, "the autonomous loop (not implemented yet)" },
	{ "detect", cmd_detect, "show each adapter's score for this repository" },
	{ "adapters", cmd_adapters, "list the adapters found and where" },
	{ "config", cmd_config, "show the effective configuration and its origins" },
	{ "status", cmd_not_implemented, "session dashboard (not implemented yet)" },
	{ "results", cmd_not_implemented, "table of experiments (not implemented yet)" },
	{ "show", cmd_not_implemented, "one experiment in detail (not implemented yet)" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fputs("usage: ar [-C DIR] [--plugin-dir DIR] [-c KEY=VALUE] [--adapter NAME]\n"
	      "          <command> [options]\n"
	      "       ar --version | --help\n\ncommands:\n", f);
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
		if (!next) {
			fprintf(stderr, "ar: unknown option or missing value: '%s'\n", a);
			usage(stderr);
			return -AR_EXIT_USAGE - 100;
		}
		if (!strcmp(a, "-C"))
			cli->dir = next;
		else if (!strcmp(a, "--plugin-dir"))
			ar_strvec_push(&cli->plugin_dirs, next);
		else if (!strcmp(a, "-c"))
			ar_strvec_push(&cli->overrides, next);
		else if (!strcmp(a, "--adapter"))
			cli->adapter = next;
		else {
			fprintf(stderr, "ar: unknown option '%s'\n", a);
			usage(stderr);
			return -AR_EXIT_USAGE - 100;
		}
		i++;
	}
	return i;
}

static int dispatch(int argc, char **argv, struct ar_cli *cli)
{
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
	if (i >= argc) {
		usage(stderr);
		rc = AR_EXIT_USAGE;
	} else {
		rc = dispatch(argc - i, argv + i, &cli);
	}
	ar_git_shutdown();
done:
	ar_strvec_release(&cli.plugin_dirs);
	ar_strvec_release(&cli.overrides);
	return rc;
}
