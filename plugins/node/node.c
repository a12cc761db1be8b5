/*
 * node.c - the adapter for JavaScript/TypeScript packages: the metric is the
 * size of the build output (bundle_kb), the run is the package manager's
 * build script.
 *
 * package.json is read with a small scanner below that understands just
 * enough JSON to pull a few top-level string fields (and scripts.build).  It
 * never reads past the buffer, bounds its nesting, and treats anything it
 * does not understand as "field absent".
 */
#include <string.h>
#include "ar/adapter.h"
#include "../shared/adapter_util.h"

#define PKG_MAX_BYTES (4u << 20)
#define JSON_MAX_DEPTH 64
#define FIELD_MAX 1024

/* ---- a minimal JSON reader ------------------------------------------- */

struct js {
	const char *p, *end;
};

static void js_ws(struct js *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' ||
	                         *j->p == '\r'))
		j->p++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode one escape (j->p is after the backslash) into *c; -1 on bad input. */
static int js_escape(struct js *j, char *c)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit = j->p < j->end && *j->p ? strchr(from, *j->p) : NULL;
	unsigned u = 0;
	int i, h;

	if (hit) {
		j->p++;
		*c = to[hit - from];
		return 0;
	}
	if (j->end - j->p < 5 || *j->p != 'u')
		return -1;
	for (i = 1; i <= 4; i++) {
		if ((h = hexval(j->p[i])) < 0)
			return -1;
		u = u << 4 | (unsigned)h;
	}
	j->p += 5;
	if (u == 0 || u > 0x7f)
		return -1; /* only plain ASCII escapes make sense in a path */
	*c = (char)u;
	return 0;
}

/*
 * Read a string at j->p (which must be at '"').  With out != NULL (cap > 0)
 * the decoded text is stored, NUL-terminated, and *trunc says whether it had
 * to be cut to fit.  Returns 0, or -1 on malformed input.
 */
static int js_string(struct js *j, char *out, size_t cap, int *trunc)
{
	size_t n = 0;
	char c;

	if (j->p >= j->end || *j->p != '"')
		return -1;
	j->p++;
	while (j->p < j->end && *j->p != '"') {
		c = *j->p++;
		if ((unsigned char)c < 0x20)
			return -1;
		if (c == '\\' && js_escape(j, &c))
			return -1;
		if (out && n < cap - 1)
			out[n] = c;
		n++;
	}
	if (j->p >= j->end)
		return -1;
	j->p++;
	if (out) {
		out[n < cap ? n : cap - 1] = '\0';
		if (trunc)
			*trunc = n >= cap;
	}
	return 0;
}

static int js_skip(struct js *j, int depth);

/* Skip an object or array at j->p; -1 on malformed input or too deep. */
static int js_skip_container(struct js *j, int depth)
{
	char close = *j->p == '{' ? '}' : ']';
	int first = 1;

	if (depth > JSON_MAX_DEPTH)
		return -1;
	j->p++;
	for (;;) {
		js_ws(j);
		if (j->p < j->end && *j->p == close) {
			j->p++;
			return 0;
		}
		if (!first && (j->p >= j->end || *j->p++ != ','))
			return -1;
		first = 0;
		js_ws(j);
		if (close == '}') {
			if (js_string(j, NULL, 0, NULL))
				return -1;
			js_ws(j);
			if (j->p >= j->end || *j->p++ != ':')
				return -1;
		}
		if (js_skip(j, depth + 1))
			return -1;
	}
}

/* Skip any value at j->p. */
static int js_skip(struct js *j, int depth)
{
	js_ws(j);
	if (j->p >= j->end)
		return -1;
	if (*j->p == '"')
		return js_string(j, NULL, 0, NULL);
	if (*j->p == '{' || *j->p == '[')
		return js_skip_container(j, depth);
	/* number, true, false, null: the run of plain characters */
	if (!*j->p || !strchr("-0123456789tfn", *j->p))
		return -1;
	while (j->p < j->end && *j->p && strchr("+-.0123456789eEtruefalsn", *j->p))
		j->p++;
	return 0;
}

/*
 * Find `key` among the members of the object at j->p and leave j->p at its
 * value.  Returns 0 when found, -1 when absent or the input is malformed.
 */
static int js_member(struct js *j, const char *key)
{
	char name[FIELD_MAX];
	int first = 1, trunc = 0;

	js_ws(j);
	if (j->p >= j->end || *j->p++ != '{')
		return -1;
	for (;;) {
		js_ws(j);
		if (j->p >= j->end || *j->p == '}')
			return -1;
		if (!first && *j->p++ != ',')
			return -1;
		first = 0;
		js_ws(j);
		if (js_string(j, name, sizeof(name), &trunc))
			return -1;
		js_ws(j);
		if (j->p >= j->end || *j->p++ != ':')
			return -1;
		js_ws(j);
		if (!trunc && strcmp(name, key) == 0)
			return 0;
		if (js_skip(j, 1))
			return -1;
	}
}

/*
 * The string at path (one or two keys: "main", or "scripts" then "build")
 * in the JSON text; 0 with out filled, -1 when absent, not a string, too
 * long, or the text is malformed before it.
 */
static int json_get(const char *text, size_t len, const char *k1, const char *k2,
                    char *out, size_t cap)
{
	struct js j = { text, text + len };
	int trunc = 0;

	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
		j.p += 3; /* a UTF-8 byte order mark */
	if (js_member(&j, k1) || (k2 && js_member(&j, k2)))
		return -1;
	if (js_string(&j, out, cap, &trunc) || trunc)
		return -1;
	return 0;
}

/* ---- the adapter ----------------------------------------------------- */

static int read_pkg(struct ar_ctx *ctx, const char **text, size_t *len)
{
	return ctx->host->read_file(ctx, "package.json", PKG_MAX_BYTES, text, len);
}

static int node_detect(struct ar_ctx *ctx, int *score)
{
	const struct ar_host *h = ctx->host;
	char build[FIELD_MAX];
	const char *text;
	size_t len;

	*score = 0;
	if (!h->exists(ctx, "package.json")) {
		h->set_reason(ctx, "no package.json");
		return AR_OK;
	}
	*score = 80;
	if (read_pkg(ctx, &text, &len) == AR_OK &&
	    json_get(text, len, "scripts", "build", build, sizeof(build)) == 0)
		h->set_reason(ctx, "found package.json (build script: %s)", build);
	else
		h->set_reason(ctx, "found package.json (no \"build\" script)");
	return AR_OK;
}

/* A relative path inside the repository that is not build output. */
static const char *usable_source(const char *path)
{
	const char *p;

	while (path[0] == '.' && path[1] == '/')
		path += 2;
	if (!*path || path[0] == '/')
		return NULL;
	for (p = path; *p; p = strchr(p, '/') ? strchr(p, '/') + 1 : p + strlen(p))
		if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || !p[2]))
			return NULL;
	if (!strncmp(path, "dist/", 5) || !strncmp(path, "build/", 6) ||
	    !strncmp(path, "out/", 4) || !strncmp(path, "node_modules/", 13))
		return NULL;
	return path;
}

static int node_targets(struct ar_ctx *ctx, struct ar_list *out)
{
	static const char *const fields[] = { "source", "module", "main" };
	static const char *const guesses[] = { "src/index.ts", "src/index.tsx",
	                                       "src/index.js", "src/index.mjs" };
	const struct ar_host *h = ctx->host;
	char val[FIELD_MAX];
	const char *text, *path;
	size_t len, i;

	if (read_pkg(ctx, &text, &len) == AR_OK) {
		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			if (json_get(text, len, fields[i], NULL, val, sizeof(val)))
				continue;
			path = usable_source(val);
			if (path && h->exists(ctx, path) && !h->is_dir(ctx, path))
				return h->push(ctx, out, path);
		}
	}
	for (i = 0; i < sizeof(guesses) / sizeof(guesses[0]); i++)
		if (h->exists(ctx, guesses[i]))
			return h->push(ctx, out, guesses[i]);
	return AR_OK;
}

static int node_run_command(struct ar_ctx *ctx, struct ar_list *out)
{
	const struct ar_host *h = ctx->host;

	if (h->exists(ctx, "pnpm-lock.yaml"))
		return h->push(ctx, out, "pnpm build");
	if (h->exists(ctx, "yarn.lock"))
		return h->push(ctx, out, "yarn build");
	return h->push(ctx, out, "npm run build");
}

static int node_measure(struct ar_ctx *ctx, const struct ar_run *run,
                        struct ar_metric *out)
{
	static const char *const dirs[] = { "dist", "build", "out" };
	const struct ar_host *h = ctx->host;
	uint64_t bytes;
	size_t i;

	if (ar_util_user_metric(ctx, "bundle_kb"))
		return AR_PASS;
	if (ar_util_build_ok(ctx, run) != AR_OK)
		return AR_ERROR;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (!h->is_dir(ctx, dirs[i]))
			continue;
		if (!ar_util_written_by_run(ctx, run, dirs[i])) {
			h->set_error(ctx, "%s/ was not written by this build (its files are "
			             "older than the run): the build produced no output", dirs[i]);
			return AR_ERROR;
		}
		if (h->tree_size(ctx, dirs[i], &bytes) != AR_OK)
			return AR_ERROR;
		out->value = (double)bytes / 1024.0;
		return AR_OK;
	}
	h->set_error(ctx, "no build output: none of dist/, build/, out/ exists after the run");
	return AR_ERROR;
}

static const struct ar_adapter node_adapter = {
	AR_ADAPTER_HEAD,
	"node",
	"1.0.0",
	"JavaScript/TypeScript packages: bundle size of the build output",
	30,
	"bundle_kb",
	AR_LOWER_IS_BETTER,
	node_detect,
	node_targets,
	NULL,
	node_run_command,
	node_measure,
	NULL,
	NULL,
};

AR_ADAPTER_DECLARE(node_adapter)
