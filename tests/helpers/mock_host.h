/*
 * mock_host.h - TEST DOUBLE of the host side of the adapter ABI.
 *
 * A struct ar_host whose services work directly on a temporary directory
 * with plain C (stat, opendir, fopen), independent of the core's host.c, so
 * the built-in adapters can be unit-tested through the public ABI only:
 * the test dlopens a plugin, calls ar_adapter_init_v1 with mock_host_table()
 * and calls the slots with a mock context.
 *
 * It records what the adapter said (set_reason, set_error, log), answers
 * config_get from a small key/value table and `which` from a list of names,
 * and implements log_metric with its own simple reader of the last
 * `<name>: <number>` or `METRIC <name>=<number>` line.
 */
#ifndef AR_MOCK_HOST_H
#define AR_MOCK_HOST_H

#include <stddef.h>
#include "ar/adapter.h"

#define MOCK_MAX_PAIRS 16
#define MOCK_MSG_MAX 1024

/* The mock's struct ar_list: a growable array of owned strings. */
struct ar_list {
	char **items;
	size_t n, cap;
};

struct mock_host {
	struct ar_ctx ctx;            /* hand &m->ctx to slots */
	char *root;                   /* owned copy */
	char reason[MOCK_MSG_MAX];    /* last set_reason, "" when none */
	char error[MOCK_MSG_MAX];     /* last set_error, "" when none */
	char log[MOCK_MSG_MAX];       /* last log message */
	int nreason, nerror, nlog;    /* how many times each was called */
	const char *config_keys[MOCK_MAX_PAIRS];
	const char *config_vals[MOCK_MAX_PAIRS]; /* borrowed: keep them alive */
	size_t nconfig;
	const char *which_names[MOCK_MAX_PAIRS]; /* borrowed */
	size_t nwhich;
	struct ar_list scratch;       /* buffers handed out by read_file */
};

/* The services table (abi_version = AR_ABI_VERSION). */
const struct ar_host *mock_host_table(void);

void mock_host_init(struct mock_host *m, const char *root);
/* Forget messages and scratch buffers, as the host does after a slot. */
void mock_host_reset(struct mock_host *m);
void mock_host_release(struct mock_host *m);
/* Answer config_get(key) with value (both borrowed). */
void mock_host_config(struct mock_host *m, const char *key, const char *value);
/* Make which(name) answer 1 (name borrowed). */
void mock_host_which(struct mock_host *m, const char *name);

/* Lists handed to default_targets / run_command / find_files. */
#define MOCK_LIST_INIT { NULL, 0, 0 }
void mock_list_clear(struct ar_list *l);
int mock_list_has(const struct ar_list *l, const char *s);

#endif
