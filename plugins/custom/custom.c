/*
 * custom.c - the adapter for repositories that describe themselves: a config
 * file (.autoresearch.yaml, .autoresearch.json, or a CLAUDE.md with a
 * "## autoresearch" section) names the targets, the run command and the
 * metric, and the host's own extractors apply.  It scores low and has the
 * lowest priority, so any adapter that recognises the project wins.
 *
 * Memory: a `memory:` config key naming a log value (in MB), e.g.
 * `memory: peak_mem_mb`, is read from the log; "rss", a regex, or nothing
 * leaves it to the host.
 */
#include <string.h>
#include "ar/adapter.h"

#define CLAUDE_MAX_BYTES (1u << 20)
#define MB 1048576.0

/* 1 when a line of text starts with "## autoresearch" (any case). */
static int has_section(const char *text, size_t len)
{
	static const char want[] = "## autoresearch";
	const size_t k = sizeof(want) - 1;
	const char *p = text, *stop = text + len;
	size_t i;

	while (p && (size_t)(stop - p) >= k) {
		for (i = 0; i < k; i++) {
			char c = p[i];
			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (c != want[i])
				break;
		}
		if (i == k)
			return 1;
		p = memchr(p, '\n', (size_t)(stop - p));
		if (p)
			p++;
	}
	return 0;
}

static int custom_detect(struct ar_ctx *ctx, int *score)
{
	static const char *const files[] = { ".autoresearch.yaml", ".autoresearch.json" };
	const struct ar_host *h = ctx->host;
	const char *text;
	size_t len, i;

	*score = 10;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (h->exists(ctx, files[i]) && !h->is_dir(ctx, files[i])) {
			h->set_reason(ctx, "found %s", files[i]);
			return AR_OK;
		}
	}
	if (h->read_file(ctx, "CLAUDE.md", CLAUDE_MAX_BYTES, &text, &len) == AR_OK &&
	    has_section(text, len)) {
		h->set_reason(ctx, "found CLAUDE.md with a \"## autoresearch\" section");
		return AR_OK;
	}
	*score = 0;
	h->set_reason(ctx, "no .autoresearch.yaml, .autoresearch.json or CLAUDE.md "
	              "\"## autoresearch\" section");
	return AR_OK;
}

/* 1 when s is a plain value name (letters, digits, _ . -), not a regex. */
static int is_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
			return 0;
	return 1;
}

static int custom_probe_memory(struct ar_ctx *ctx, const struct ar_run *run,
                               uint64_t *bytes)
{
	const char *name = ctx->host->config_get(ctx, "memory");
	double mb;

	if (!name || !is_name(name) || strcmp(name, "rss") == 0)
		return AR_PASS;
	if (ctx->host->log_metric(ctx, run->log_path, name, &mb) != AR_OK ||
	    !(mb >= 0.0) || mb > 1e12)
		return AR_PASS;
	*bytes = (uint64_t)(mb * MB + 0.5);
	return AR_OK;
}

static const struct ar_adapter custom_adapter = {
	AR_ADAPTER_HEAD,
	"custom",
	"1.0.0",
	"Any project described by .autoresearch.yaml/.json or CLAUDE.md",
	0,
	"metric",
	AR_LOWER_IS_BETTER,
	custom_detect,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	custom_probe_memory,
};

AR_ADAPTER_DECLARE(custom_adapter)
