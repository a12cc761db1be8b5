/*
 * jvm.c - the adapter for Maven and Gradle projects: the metric is the
 * build's wall time (build_s), the default target the class holding main().
 *
 * The host's find_files pushes into a host-owned list that an adapter cannot
 * read back, so the search for main() walks src/main/{java,kotlin} here with
 * opendir (bounded in depth, entries and bytes read; symlinks not followed)
 * and reads each candidate through host->read_file.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "ar/adapter.h"
#include "../shared/adapter_util.h"

#define WALK_MAX_DEPTH 24
#define WALK_MAX_ENTRIES 20000
#define SOURCE_MAX_BYTES (1u << 20)
#define READ_BUDGET_BYTES (64u << 20)
#define REL_MAX 4096

struct walk {
	struct ar_ctx *ctx;
	size_t entries, bytes_read;
	char best[REL_MAX]; /* smallest matching path so far, "" when none */
};

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* 1 when the source file at rel declares a program entry point. */
static int has_main(struct walk *w, const char *rel)
{
	const char *text;
	size_t len;

	if (w->bytes_read >= READ_BUDGET_BYTES ||
	    w->ctx->host->read_file(w->ctx, rel, SOURCE_MAX_BYTES, &text, &len) != AR_OK)
		return 0;
	w->bytes_read += len;
	if (ends_with(rel, ".java"))
		return strstr(text, "public static void main") != NULL;
	return strstr(text, "fun main(") != NULL;
}

static void walk_dir(struct walk *w, const char *rel, int depth)
{
	char full[REL_MAX * 2], child[REL_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (snprintf(full, sizeof(full), "%s/%s", w->ctx->root, rel) >= (int)sizeof(full) ||
	    !(d = opendir(full)))
		return;
	while ((de = readdir(d)) && w->entries++ < WALK_MAX_ENTRIES) {
		if (de->d_name[0] == '.' ||
		    snprintf(child, sizeof(child), "%s/%s", rel, de->d_name) >= (int)sizeof(child) ||
		    snprintf(full, sizeof(full), "%s/%s", w->ctx->root, child) >= (int)sizeof(full) ||
		    lstat(full, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode) && depth < WALK_MAX_DEPTH)
			walk_dir(w, child, depth + 1);
		else if (S_ISREG(st.st_mode) &&
		         (ends_with(child, ".java") || ends_with(child, ".kt")) &&
		         (!w->best[0] || strcmp(child, w->best) < 0) && has_main(w, child))
			memcpy(w->best, child, strlen(child) + 1);
	}
	closedir(d);
}

static int jvm_detect(struct ar_ctx *ctx, int *score)
{
	const struct ar_host *h = ctx->host;

	*score = 80;
	if (h->exists(ctx, "pom.xml"))
		h->set_reason(ctx, "found pom.xml (Maven)");
	else if (h->exists(ctx, "build.gradle"))
		h->set_reason(ctx, "found build.gradle (Gradle)");
	else if (h->exists(ctx, "build.gradle.kts"))
		h->set_reason(ctx, "found build.gradle.kts (Gradle)");
	else {
		*score = 0;
		h->set_reason(ctx, "no pom.xml, build.gradle or build.gradle.kts");
	}
	return AR_OK;
}

static int jvm_targets(struct ar_ctx *ctx, struct ar_list *out)
{
	struct walk w;

	memset(&w, 0, sizeof(w));
	w.ctx = ctx;
	walk_dir(&w, "src/main/java", 0);
	walk_dir(&w, "src/main/kotlin", 0);
	if (!w.best[0])
		return AR_OK; /* none found: the config must name the targets */
	return ctx->host->push(ctx, out, w.best);
}

static int jvm_run_command(struct ar_ctx *ctx, struct ar_list *out)
{
	const struct ar_host *h = ctx->host;

	if (h->exists(ctx, "pom.xml"))
		return h->push(ctx, out, "mvn -q -DskipTests package");
	if (h->exists(ctx, "gradlew"))
		return h->push(ctx, out, "./gradlew build -x test");
	return h->push(ctx, out, "gradle build -x test");
}

static int jvm_measure(struct ar_ctx *ctx, const struct ar_run *run,
                       struct ar_metric *out)
{
	if (ar_util_user_metric(ctx, "build_s"))
		return AR_PASS;
	if (ar_util_build_ok(ctx, run) != AR_OK)
		return AR_ERROR;
	out->value = run->wall_s;
	return AR_OK;
}

static const struct ar_adapter jvm_adapter = {
	AR_ADAPTER_HEAD,
	"jvm",
	"1.0.0",
	"Maven and Gradle projects: build wall time",
	40,
	"build_s",
	AR_LOWER_IS_BETTER,
	jvm_detect,
	jvm_targets,
	NULL,
	jvm_run_command,
	jvm_measure,
	NULL,
	NULL,
};

AR_ADAPTER_DECLARE(jvm_adapter)
