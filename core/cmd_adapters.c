/*
 * cmd_adapters.c - `ar adapters`: every adapter found, its version, file
 * and what it detects, plus the directories searched.
 */
#include <stdio.h>
#include "cmd.h"

static const char *const adapters_usage = "ar adapters [-v]";

int cmd_adapters(int argc, char **argv, struct ar_cli *cli)
{
	int verbose = 0, exit_now, rc;
	struct ar_option opts[] = {
		AR_OPT_BOOL('v', "verbose", &verbose, "also list the directories searched"),
		AR_OPT_END(),
	};
	ar_strvec args = AR_STRVEC_INIT;
	struct ar_workspace ws;

	if (ar_parse_options(argc, argv, opts, adapters_usage, &args, &exit_now)) {
		ar_strvec_release(&args);
		return exit_now;
	}
	ar_strvec_release(&args);
	if ((rc = ar_cmd_workspace(&ws, cli, 0)) != 0)
		goto done;
	printf("%-10s %-8s %-8s %-46s %s\n", "NAME", "VERSION", "METRIC", "FILE",
	       "DETECTS");
	for (size_t i = 0; i < ws.plugins.n; i++) {
		const struct ar_plugin *p = &ws.plugins.items[i];
		printf("%-10s %-8s %-8s %-46s %s\n", p->ad.name,
		       p->ad.version ? p->ad.version : "-",
		       p->ad.metric_name ? p->ad.metric_name : "-", p->path,
		       p->ad.description ? p->ad.description : "-");
	}
	if (!ws.plugins.n)
		printf("(no adapters found)\n");
	if (verbose)
		for (size_t i = 0; i < ws.plugins.searched.n; i++)
			printf("searched: %s\n", ws.plugins.searched.items[i]);
done:
	ar_workspace_release(&ws);
	return rc;
}
