/*
 * make_size.c - an example third-party adapter for `ar`: a make-based C
 * project whose metric is the size of the binary it builds.  Build and
 * install with the Makefile next to this file.
 */
#include <ar/adapter.h>

static int detect(struct ar_ctx *ctx, int *score)
{
	*score = ctx->host->exists(ctx, "Makefile") ? 40 : 0;
	ctx->host->set_reason(ctx, *score ? "found Makefile" : "no Makefile");
	return AR_OK;
}

static int run_command(struct ar_ctx *ctx, struct ar_list *out)
{
	return ctx->host->push(ctx, out, "make");
}

static int measure(struct ar_ctx *ctx, const struct ar_run *run, struct ar_metric *out)
{
	const char *binary = ctx->host->config_get(ctx, "binary");
	uint64_t bytes;

	if (!binary)
		binary = "app"; /* set `binary: <path>` in the config for another name */
	if (run->exit_status != 0 || ctx->host->file_size(ctx, binary, &bytes) != AR_OK) {
		ctx->host->set_error(ctx, "make did not produce %s (exit %d)", binary,
		                     run->exit_status);
		return AR_ERROR;
	}
	out->value = (double)bytes;
	return AR_OK;
}

static const struct ar_adapter make_size = {
	AR_ADAPTER_HEAD, "make_size", "0.1.0", "make-based C projects: binary size",
	20, "binary_bytes", AR_LOWER_IS_BETTER,
	detect, NULL, NULL, run_command, measure, NULL, NULL,
};

AR_ADAPTER_DECLARE(make_size)
