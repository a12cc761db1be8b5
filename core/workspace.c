/*
 * workspace.c - repository, adapters, configuration and detection,
 * assembled once for every command (see workspace.h).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "workspace.h"

static int open_root(struct ar_workspace *ws, const struct ar_workspace_opts *o)
{
	char buf[PATH_MAX];
	const char *dir = o->dir ? o->dir : ".";
	int err;

	if (!realpath(dir, buf))
		return ar_error_set(AR_EUSAGE, "cannot use directory '%s': no such directory",
		                    dir);
	err = ar_repo_open(&ws->repo, buf);
	if (err == AR_ENOREPO && !o->need_repo) {
		ar_error_clear();
		ws->root = ar_xstrdup(buf);
		return 0;
	}
	if (err < 0)
		return err;
	ws->root = ar_xstrdup(ar_repo_root(ws->repo));
	return 0;
}

/* "key=value" overrides from the command line. */
static int apply_overrides(struct ar_workspace *ws, const ar_strvec *ov)
{
	struct ar_origin flag = { AR_ORIGIN_FLAG, NULL, 0 };
	for (size_t i = 0; ov && i < ov->n; i++) {
		char *kv = ar_xstrdup(ov->items[i]);
		char *eq = strchr(kv, '=');
		int err;
		if (!eq) {
			err = ar_error_set(AR_EUSAGE, "bad -c '%s': expected key=value", kv);
			free(kv);
			return err;
		}
		*eq = '\0';
		int key = ar_config_key_lookup(kv);
		if (key == AR_KEY_TARGET_FILES || key == AR_KEY_FIXED_FILES ||
		    key == AR_KEY_CONTEXT_FILES || key == AR_KEY_VALUES || key == AR_KEY_CHECKS)
			err = ar_config_add(&ws->cfg, kv, eq + 1, &flag);
		else
			err = ar_config_set(&ws->cfg, kv, eq + 1, &flag);
		free(kv);
		if (err < 0)
			return err;
	}
	return 0;
}

static int choose_adapter(struct ar_workspace *ws, const struct ar_workspace_opts *o)
{
	const char *forced = o->adapter ? o->adapter : ws->cfg.adapter;
	int err = ar_detect(&ws->detection, &ws->plugins, ws->root, &ws->cfg, forced);
	if (err < 0)
		return err;
	ws->adapter = ws->detection.winner;
	if (!ws->adapter)
		return 0;
	return ar_plugin_apply_defaults(ws->adapter, ws->root, &ws->cfg);
}

int ar_workspace_load(struct ar_workspace *ws, const struct ar_workspace_opts *o)
{
	int err;

	memset(ws, 0, sizeof(*ws));
	ar_config_init(&ws->cfg);
	if ((err = open_root(ws, o)) < 0)
		return err;
	if ((err = ar_plugins_load(&ws->plugins, o->plugin_dirs, o->exe)) < 0)
		return err;
	/* File and flags first, so `adapter:` can force the choice; the
	 * adapter's defaults rank below them and fill only what is unset. */
	if ((err = ar_config_load_repo(&ws->cfg, ws->root, &ws->config_path)) < 0)
		return err;
	if ((err = apply_overrides(ws, o->overrides)) < 0)
		return err;
	if ((err = choose_adapter(ws, o)) < 0)
		return err;
	return ar_config_validate(&ws->cfg);
}

void ar_workspace_release(struct ar_workspace *ws)
{
	ar_detection_release(&ws->detection);
	ar_plugins_release(&ws->plugins);
	ar_config_release(&ws->cfg);
	ar_repo_free(ws->repo);
	free(ws->config_path);
	free(ws->root);
	memset(ws, 0, sizeof(*ws));
}
