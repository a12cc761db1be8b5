/*
 * flutter.c - the adapter for Flutter apps: the metric is the size of the
 * release APK a `flutter build apk --release` leaves behind (apk_mb).
 *
 * Detection reads pubspec.yaml line by line (no YAML library: a plugin may
 * use only the SDK header): a Flutter app depends on the Flutter SDK, which
 * pubspec.yaml spells `sdk: flutter` under a `flutter:` entry of its
 * `dependencies:` section.
 */
#include <string.h>
#include "ar/adapter.h"
#include "../shared/adapter_util.h"

#define PUBSPEC_MAX_BYTES (1u << 20)
#define APK_PATH "build/app/outputs/flutter-apk/app-release.apk"

/* The line starting at p, without the newline: [p, *end). */
static const char *line_end(const char *p, const char *stop)
{
	const char *nl = memchr(p, '\n', (size_t)(stop - p));

	return nl ? nl : stop;
}

/* 1 when [p, e) after leading blanks and before trailing blanks/comment is `key:`. */
static int is_key_line(const char *p, const char *e, const char *key)
{
	size_t k = strlen(key);

	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	if ((size_t)(e - p) <= k || memcmp(p, key, k) != 0 || p[k] != ':')
		return 0;
	for (p += k + 1; p < e && *p != '#'; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r')
			return 0;
	return 1;
}

/* 1 when the line contains `sdk:` followed by blanks and `flutter`. */
static int is_sdk_flutter(const char *p, const char *e)
{
	for (; e - p >= 4; p++) {
		const char *q;

		if (memcmp(p, "sdk:", 4) != 0)
			continue;
		for (q = p + 4; q < e && (*q == ' ' || *q == '\t'); q++)
			;
		if (e - q >= 7 && memcmp(q, "flutter", 7) == 0 &&
		    (e - q == 7 || (q[7] && strchr(" \t\r#,}", q[7]))))
			return 1;
	}
	return 0;
}

/* The end of a line's content: before a `#` comment that starts it or
 * follows a blank. */
static const char *content_end(const char *p, const char *e)
{
	const char *q;

	for (q = p; q < e; q++)
		if (*q == '#' && (q == p || q[-1] == ' ' || q[-1] == '\t'))
			return q;
	return e;
}

/* 1 when the pubspec text declares a dependency on Flutter. */
static int pubspec_has_flutter(const char *text, size_t len)
{
	const char *p = text, *stop = text + len, *line, *e;
	int in_deps = 0;

	for (; p < stop; p = line + 1) {
		line = line_end(p, stop);
		e = content_end(p, line);
		while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		if (e == p)
			; /* blank or comment lines keep the section */
		else if (*p != ' ' && *p != '\t')
			in_deps = is_key_line(p, e, "dependencies");
		else if (in_deps && (is_key_line(p, e, "flutter") || is_sdk_flutter(p, e)))
			return 1;
		if (line == stop)
			break;
	}
	return 0;
}

static int flutter_detect(struct ar_ctx *ctx, int *score)
{
	const struct ar_host *h = ctx->host;
	const char *text;
	size_t len;

	*score = 0;
	if (h->read_file(ctx, "pubspec.yaml", PUBSPEC_MAX_BYTES, &text, &len) != AR_OK) {
		h->set_reason(ctx, "no pubspec.yaml");
		return AR_OK;
	}
	if (!pubspec_has_flutter(text, len)) {
		h->set_reason(ctx, "pubspec.yaml has no flutter dependency (a plain Dart package)");
		return AR_OK;
	}
	*score = 80;
	h->set_reason(ctx, "found pubspec.yaml depending on flutter");
	return AR_OK;
}

static int flutter_targets(struct ar_ctx *ctx, struct ar_list *out)
{
	if (!ctx->host->exists(ctx, "lib/main.dart"))
		return AR_OK;
	return ctx->host->push(ctx, out, "lib/main.dart");
}

static int flutter_run_command(struct ar_ctx *ctx, struct ar_list *out)
{
	return ctx->host->push(ctx, out, "flutter build apk --release");
}

static int flutter_measure(struct ar_ctx *ctx, const struct ar_run *run,
                           struct ar_metric *out)
{
	const struct ar_host *h = ctx->host;
	uint64_t bytes;

	if (ar_util_user_metric(ctx, "apk_mb"))
		return AR_PASS;
	if (ar_util_build_ok(ctx, run) != AR_OK)
		return AR_ERROR;
	if (h->file_size(ctx, APK_PATH, &bytes) != AR_OK) {
		h->set_error(ctx, APK_PATH " not found after the run");
		return AR_ERROR;
	}
	if (!ar_util_written_by_run(ctx, run, APK_PATH)) {
		h->set_error(ctx, APK_PATH " is older than the run: the build did not "
		             "write a new APK");
		return AR_ERROR;
	}
	out->value = (double)bytes / (1024.0 * 1024.0);
	return AR_OK;
}

static const struct ar_adapter flutter_adapter = {
	AR_ADAPTER_HEAD,
	"flutter",
	"1.0.0",
	"Flutter apps: size of the release APK",
	30,
	"apk_mb",
	AR_LOWER_IS_BETTER,
	flutter_detect,
	flutter_targets,
	NULL,
	flutter_run_command,
	flutter_measure,
	NULL,
	NULL,
};

AR_ADAPTER_DECLARE(flutter_adapter)
