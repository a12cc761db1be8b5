/*
 * workspace.h - everything a command needs before it can work on a
 * repository, assembled in one place: the repository, the loaded adapters,
 * the merged configuration (built-in defaults < adapter < file < flags) and
 * the detected adapter.  Commands call ar_workspace_load and print what it
 * reports; the core never prints.
 */
#ifndef AR_WORKSPACE_H
#define AR_WORKSPACE_H

#include "config.h"
#include "git.h"
#include "plugin.h"

struct ar_workspace_opts {
	unsigned int version;
	const char *dir;             /* -C DIR, NULL = current directory */
	const ar_strvec *plugin_dirs;/* --plugin-dir flags */
	const char *exe;             /* argv[0], to find <exe>/../lib/ar/plugins */
	const char *adapter;         /* --adapter, NULL when not given */
	const ar_strvec *overrides;  /* "key=value" from -c / flags */
	int need_repo;               /* fail with AR_ENOREPO outside a repo */
};
#define AR_WORKSPACE_OPTS_VERSION 1
#define AR_WORKSPACE_OPTS_INIT { AR_WORKSPACE_OPTS_VERSION, NULL, NULL, NULL, NULL, NULL, 1 }

struct ar_workspace {
	char *root;                  /* absolute repository (or directory) root */
	ar_repo *repo;               /* NULL outside a repository */
	struct ar_plugins plugins;
	struct ar_config cfg;
	char *config_path;           /* the config file read, NULL when none */
	struct ar_detection detection;
	const struct ar_plugin *adapter; /* borrowed from plugins; may be NULL */
};

/* Fills *ws; on failure *ws is still safe to release.  Plugin warnings are
 * in ws->plugins.warnings for the caller to print. */
int ar_workspace_load(struct ar_workspace *ws, const struct ar_workspace_opts *o);
void ar_workspace_release(struct ar_workspace *ws);

#endif
