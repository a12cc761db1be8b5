/*
 * adapter_util.h - small helpers the built-in adapters share.
 *
 * Header-only (static inline): each adapter is its own shared object built
 * against the public SDK alone, so shared code is compiled into each one
 * rather than linked from the core.  plugins/shared/ holds no .c file and so
 * is not built as a plugin.
 */
#ifndef AR_ADAPTER_UTIL_H
#define AR_ADAPTER_UTIL_H

#include <string.h>
#include "ar/adapter.h"

/* 1 when the user configured a metric other than `ours` (another name, or a
 * pattern, command or expression): measure then answers AR_PASS so the
 * host's extractor applies. */
static inline int ar_util_user_metric(struct ar_ctx *ctx, const char *ours)
{
	const struct ar_host *h = ctx->host;
	const char *name = h->config_get(ctx, "metric.name");

	if (h->config_get(ctx, "metric.pattern") || h->config_get(ctx, "metric.command") ||
	    h->config_get(ctx, "metric.expr"))
		return 1;
	return name && *name && strcmp(name, ours) != 0;
}

/* AR_ERROR with "build failed (...)" when the run did not exit 0, else AR_OK:
 * a failed build's output (possibly stale) is never measured. */
static inline int ar_util_build_ok(struct ar_ctx *ctx, const struct ar_run *run)
{
	if (run->exit_status == 0)
		return AR_OK;
	if (run->term_signal)
		ctx->host->set_error(ctx, "build failed (killed by signal %d)", run->term_signal);
	else
		ctx->host->set_error(ctx, "build failed (exit %d)", run->exit_status);
	return AR_ERROR;
}

/* 1 unless the host can tell that `path` was last written before the run
 * started (a stale artifact of an earlier build).  Works with hosts and runs
 * that predate started_at/newest_mtime by answering 1. */
static inline int ar_util_written_by_run(struct ar_ctx *ctx, const struct ar_run *run,
                                         const char *path)
{
	const struct ar_host *h = ctx->host;
	double t;

	if (!AR_HAS_FIELD(run, struct ar_run, started_at) || run->started_at <= 0 ||
	    !AR_HAS_FIELD(h, struct ar_host, newest_mtime) || !h->newest_mtime)
		return 1;
	if (h->newest_mtime(ctx, path, &t) != AR_OK)
		return 1;
	return t >= (double)(long long)run->started_at; /* coarse mtimes */
}

#endif
