/*
 * cmd_init.c - `ar init [--tag TAG]`: start a session on a new branch
 * autoresearch/<tag>, or resume the one that exists.
 */
#include <stdio.h>
#include "cmd.h"
#include "engine.h"

static const char *const init_usage =
	"ar init [--tag TAG]\n\n"
	"Creates branch autoresearch/<TAG> from HEAD and checks it out (TAG\n"
	"defaults to today's date, e.g. nov23), or resumes it when it exists.\n"
	"Refuses when tracked files have uncommitted changes.";

static void print_session(const struct ar_session *s, int resumed)
{
	for (size_t i = 0; i < s->notes.n; i++)
		printf("%s\n", s->notes.items[i]);
	if (!resumed) {
		printf("Started session '%s' on branch %s\n", s->tag, s->branch);
		return;
	}
	printf("Resumed session '%s' on branch %s: %ld experiments", s->tag, s->branch,
	       s->last_iteration);
	if (s->has_best)
		printf(", best %.6f (#%ld)", s->best, s->best_iteration);
	printf("\n");
}

int cmd_init(int argc, char **argv, struct ar_cli *cli)
{
	const char *tag = NULL;
	struct ar_option opts[] = {
		AR_OPT_STRING('t', "tag", &tag, "TAG", "session tag (default: today, e.g. nov23)"),
		AR_OPT_END(),
	};
	ar_strvec args = AR_STRVEC_INIT;
	struct ar_workspace ws;
	struct ar_session s = { 0 };
	int exit_now, resumed = 0, rc, err;

	if (ar_parse_options(argc, argv, opts, init_usage, &args, &exit_now)) {
		ar_strvec_release(&args);
		return exit_now;
	}
	ar_strvec_release(&args);
	if ((rc = ar_cmd_workspace(&ws, cli, 1)) != 0)
		goto done;
	err = ar_session_init(&s, &ws, tag, &resumed);
	if (err < 0) {
		rc = ar_cmd_fail("init");
		goto done;
	}
	print_session(&s, resumed);
done:
	ar_session_release(&s);
	ar_workspace_release(&ws);
	return rc;
}
