/*
 * cmd_config.c - `ar config [KEY]`: the effective configuration, each value
 * with where it came from (like `git config --show-origin`).
 */
#include <stdio.h>
#include <stdlib.h>
#include "cmd.h"

static const char *const config_usage =
	"ar config [KEY]\n\n"
	"Prints the effective configuration: built-in defaults < the adapter's\n"
	"defaults < .autoresearch.yaml (or .autoresearch.json, or CLAUDE.md's\n"
	"\"## autoresearch\" section) < -c KEY=VALUE flags.  With KEY, prints\n"
	"only that value.";

static void print_key(const struct ar_config *cfg, const char *name)
{
	char *value = ar_config_get(cfg, name);
	const struct ar_origin *o = ar_config_origin(cfg, name);
	char *origin = o ? ar_origin_describe(o) : ar_xstrdup("default");
	printf("%-20s %-44s %s\n", name, value ? value : "(unset)", origin);
	free(value);
	free(origin);
}

static int print_one(const struct ar_config *cfg, const char *key)
{
	int k = ar_config_key_lookup(key);
	char *value;
	if (k < 0) {
		fprintf(stderr, "ar config: unknown key '%s'\n", key);
		return AR_EXIT_USAGE;
	}
	value = ar_config_get(cfg, ar_config_key_name(k));
	if (!value)
		return AR_EXIT_FAIL;
	printf("%s\n", value);
	free(value);
	return AR_EXIT_OK;
}

int cmd_config(int argc, char **argv, struct ar_cli *cli)
{
	struct ar_option opts[] = { AR_OPT_END() };
	ar_strvec args = AR_STRVEC_INIT;
	struct ar_workspace ws;
	int exit_now, rc;

	if (ar_parse_options(argc, argv, opts, config_usage, &args, &exit_now)) {
		ar_strvec_release(&args);
		return exit_now;
	}
	if ((rc = ar_cmd_workspace(&ws, cli, 0)) != 0)
		goto done;
	if (args.n) {
		rc = print_one(&ws.cfg, args.items[0]);
		goto done;
	}
	printf("# config file: %s\n# adapter: %s\n", ws.config_path ? ws.config_path : "(none)",
	       ws.adapter ? ws.adapter->ad.name : "(none)");
	for (size_t i = 0; ar_config_key_at(i); i++)
		print_key(&ws.cfg, ar_config_key_at(i));
done:
	ar_strvec_release(&args);
	ar_workspace_release(&ws);
	return rc;
}
