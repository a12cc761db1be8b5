/*
 * cmd_watch.c - `ar watch [status|start|stop|run]`: the work tree watcher
 * that spares a step the lstat() of every tracked file (core/watch.h).
 * Steps start it themselves when `watch` says so; this command shows it,
 * starts or stops it by hand, and `run` is the daemon in the foreground.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cmd.h"
#include "git.h"
#include "watch.h"

static const char *const watch_usage =
	"ar watch [status|start|stop|run] [--idle SECONDS]\n\n"
	"The watcher tells `ar step` and `ar run` which directories changed\n"
	"since the last experiment, so they need not lstat() every tracked\n"
	"file.  They start it themselves when `watch` is true, or `auto` (the\n"
	"default) and the index holds 10,000 files or more; it exits after an\n"
	"idle hour (--idle), when the work tree is deleted, or on `stop`.";

/* The work tree's root, as the scans name it. */
static int find_root(const struct ar_cli *cli, char **root)
{
	char buf[PATH_MAX];
	ar_repo *repo = NULL;
	int err;

	if (!realpath(cli->dir ? cli->dir : ".", buf))
		return ar_error_set(AR_EUSAGE, "cannot use directory '%s': no such "
		                    "directory", cli->dir ? cli->dir : ".");
	if ((err = ar_repo_open(&repo, buf)) < 0)
		return err;
	*root = ar_xstrdup(ar_repo_root(repo));
	ar_repo_free(repo);
	return 0;
}

static int watch_start(const char *root)
{
	char *reply = NULL;
	int err = ar_watch_command(root, "status", &reply);

	if (err == AR_ENOTFOUND) {
		ar_error_clear();
		if ((err = ar_watch_spawn(root)) < 0)
			return err;
		for (int i = 0; i < 500; i++) { /* up to 5 s for the first walk */
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			err = ar_watch_command(root, "status", &reply);
			if (err != AR_ENOTFOUND)
				break;
			ar_error_clear();
			nanosleep(&ts, NULL);
		}
		if (err == AR_ENOTFOUND)
			err = ar_error_set(AR_ERROR, "the watcher of %s did not come up "
			                   "in 5 s; try `ar watch run` to see why", root);
	}
	if (err == 0)
		fputs(reply, stdout);
	free(reply);
	return err;
}

static int watch_simple(const char *root, const char *cmd)
{
	char *reply = NULL;
	int err = ar_watch_command(root, cmd, &reply);

	if (err == AR_ENOTFOUND) {
		ar_error_clear();
		printf("no watcher runs for %s\n", root);
		return 0;
	}
	if (err == 0)
		fputs(reply, stdout);
	free(reply);
	return err;
}

int cmd_watch(int argc, char **argv, struct ar_cli *cli)
{
	const char *idle = NULL;
	struct ar_option opts[] = {
		AR_OPT_STRING(0, "idle", &idle, "SECONDS",
		              "run: exit after this long without a question "
		              "(3600, or $AR_WATCH_IDLE)"),
		AR_OPT_END()
	};
	ar_strvec args = AR_STRVEC_INIT;
	const char *what;
	char *root = NULL, *end = NULL;
	double idle_s = 3600;
	int exit_now, err = 0;

	if (getenv("AR_WATCH_IDLE")) /* the test suite's: strays go soon */
		idle = getenv("AR_WATCH_IDLE");

	if (ar_parse_options(argc, argv, opts, watch_usage, &args, &exit_now)) {
		ar_strvec_release(&args);
		return exit_now;
	}
	what = args.n ? args.items[0] : "status";
	if (args.n > 1 || (strcmp(what, "status") && strcmp(what, "start") &&
	                   strcmp(what, "stop") && strcmp(what, "run"))) {
		fprintf(stderr, "ar: watch: expected one of status, start, stop, run\n");
		ar_usage(stderr, watch_usage, opts);
		ar_strvec_release(&args);
		return AR_EXIT_USAGE;
	}
	if (idle && ((idle_s = strtod(idle, &end)) <= 0 || *end)) {
		fprintf(stderr, "ar: watch: --idle needs a positive number of "
		        "seconds, got '%s'\n", idle);
		ar_strvec_release(&args);
		return AR_EXIT_USAGE;
	}
	if ((err = find_root(cli, &root)) < 0)
		goto done;
	if (!strcmp(what, "run")) {
		err = ar_watch_serve(root, idle_s);
		if (err == 1) {
			fprintf(stderr, "ar: a watcher already runs for %s\n", root);
			err = 0;
		}
	} else if (!strcmp(what, "start")) {
		err = watch_start(root);
	} else {
		err = watch_simple(root, what);
	}
done:
	free(root);
	ar_strvec_release(&args);
	return err < 0 ? ar_cmd_fail(NULL) : AR_EXIT_OK;
}
