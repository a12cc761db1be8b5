/*
 * cmd_detect.c - `ar detect`: every adapter's score and reason, and the
 * winner.
 */
#include <stdio.h>
#include "cmd.h"

static const char *const detect_usage = "ar detect";

int cmd_detect(int argc, char **argv, struct ar_cli *cli)
{
	struct ar_option opts[] = { AR_OPT_END() };
	ar_strvec args = AR_STRVEC_INIT;
	struct ar_workspace ws;
	int exit_now, rc;

	if (ar_parse_options(argc, argv, opts, detect_usage, &args, &exit_now)) {
		ar_strvec_release(&args);
		return exit_now;
	}
	ar_strvec_release(&args);
	if ((rc = ar_cmd_workspace(&ws, cli, 0)) != 0)
		goto done;
	printf("%-10s %5s  %s\n", "ADAPTER", "SCORE", "REASON");
	for (size_t i = 0; i < ws.detection.n; i++) {
		const struct ar_detect_entry *e = &ws.detection.entries[i];
		printf("%-10s %5d  %s\n", e->plugin->ad.name, e->score,
		       e->reason && *e->reason ? e->reason : "-");
	}
	if (ws.adapter)
		printf("\nchosen: %s (%s)\n", ws.adapter->ad.name, ws.detection.why);
	else
		printf("\nchosen: none: no adapter recognises %s; write a "
		       ".autoresearch.yaml (see `ar config --help`)\n", ws.root);
	rc = ws.adapter ? AR_EXIT_OK : AR_EXIT_FAIL;
done:
	ar_workspace_release(&ws);
	return rc;
}
