/*
 * mock_host.c - TEST DOUBLE of struct ar_host; see mock_host.h.
 *
 * Deliberately simple and independent of the core: every service is a few
 * lines of libc over the mock's root directory.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "mock_host.h"

static struct mock_host *M(struct ar_ctx *ctx)
{
	return ctx->host_private;
}

/* root/path, or path when it is absolute; caller frees. */
static char *full_path(struct ar_ctx *ctx, const char *path)
{
	size_t n = strlen(ctx->root) + strlen(path) + 2;
	char *s = malloc(n);

	if (!s)
		abort();
	if (path[0] == '/')
		snprintf(s, n, "%s", path);
	else
		snprintf(s, n, "%s/%s", ctx->root, path);
	return s;
}

static void list_push(struct ar_list *l, char *owned)
{
	if (l->n + 1 >= l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->items = realloc(l->items, l->cap * sizeof(*l->items));
		if (!l->items)
			abort();
	}
	l->items[l->n++] = owned;
	l->items[l->n] = NULL;
}

void mock_list_clear(struct ar_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = l->cap = 0;
}

int mock_list_has(const struct ar_list *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->items[i], s) == 0)
			return 1;
	return 0;
}

static void m_log(struct ar_ctx *ctx, int level, const char *fmt, ...)
{
	va_list ap;

	(void)level;
	va_start(ap, fmt);
	vsnprintf(M(ctx)->log, MOCK_MSG_MAX, fmt, ap);
	va_end(ap);
	M(ctx)->nlog++;
}

static void m_set_error(struct ar_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(M(ctx)->error, MOCK_MSG_MAX, fmt, ap);
	va_end(ap);
	M(ctx)->nerror++;
}

static void m_set_reason(struct ar_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(M(ctx)->reason, MOCK_MSG_MAX, fmt, ap);
	va_end(ap);
	M(ctx)->nreason++;
}

static const char *m_config_get(struct ar_ctx *ctx, const char *key)
{
	struct mock_host *m = M(ctx);
	size_t i;

	for (i = 0; i < m->nconfig; i++)
		if (strcmp(m->config_keys[i], key) == 0)
			return m->config_vals[i];
	return NULL;
}

static int m_push(struct ar_ctx *ctx, struct ar_list *list, const char *s)
{
	char *copy;

	(void)ctx;
	if (!list || !s || !(copy = strdup(s)))
		return AR_ERROR;
	list_push(list, copy);
	return AR_OK;
}

static int m_stat(struct ar_ctx *ctx, const char *path, struct stat *st)
{
	char *full = full_path(ctx, path);
	int rc = stat(full, st);

	free(full);
	return rc;
}

static int m_exists(struct ar_ctx *ctx, const char *path)
{
	struct stat st;

	return m_stat(ctx, path, &st) == 0;
}

static int m_is_dir(struct ar_ctx *ctx, const char *path)
{
	struct stat st;

	return m_stat(ctx, path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int m_file_size(struct ar_ctx *ctx, const char *path, uint64_t *out)
{
	struct stat st;

	if (m_stat(ctx, path, &st) != 0 || !S_ISREG(st.st_mode)) {
		m_set_error(ctx, "%s: not a file", path);
		return AR_ENOTFOUND;
	}
	*out = (uint64_t)st.st_size;
	return AR_OK;
}

/* Sum regular files under an absolute directory; symlinks not followed. */
static uint64_t tree_bytes(const char *dir)
{
	struct dirent *de;
	struct stat st;
	uint64_t sum = 0;
	char child[4096];
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(child, sizeof(child), "%s/%s", dir, de->d_name);
		if (lstat(child, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			sum += tree_bytes(child);
		else if (S_ISREG(st.st_mode))
			sum += (uint64_t)st.st_size;
	}
	closedir(d);
	return sum;
}

static int m_tree_size(struct ar_ctx *ctx, const char *path, uint64_t *out)
{
	char *full;

	if (!m_is_dir(ctx, path)) {
		m_set_error(ctx, "%s: not a directory", path);
		return AR_ENOTFOUND;
	}
	full = full_path(ctx, path);
	*out = tree_bytes(full);
	free(full);
	return AR_OK;
}

static int m_read_file(struct ar_ctx *ctx, const char *path, size_t max_bytes,
                       const char **out, size_t *len)
{
	char *full = full_path(ctx, path), *buf = malloc(max_bytes + 1);
	FILE *f = fopen(full, "rb");
	size_t n = 0;

	free(full);
	if (!buf)
		abort();
	if (!f) {
		free(buf);
		m_set_error(ctx, "%s: %s", path, strerror(errno));
		return AR_ENOTFOUND;
	}
	n = fread(buf, 1, max_bytes, f);
	fclose(f);
	buf[n] = '\0';
	list_push(&M(ctx)->scratch, buf); /* lives until mock_host_reset */
	*out = buf;
	if (len)
		*len = n;
	return AR_OK;
}

static void find_under(const char *abs, const char *rel, const char *suffix,
                       struct ar_list *out)
{
	char a[4096], r[4096];
	struct dirent *de;
	struct stat st;
	size_t n, k = strlen(suffix);
	DIR *d = opendir(abs);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(a, sizeof(a), "%s/%s", abs, de->d_name);
		snprintf(r, sizeof(r), "%s/%s", rel, de->d_name);
		if (lstat(a, &st) != 0)
			continue;
		n = strlen(r);
		if (S_ISDIR(st.st_mode))
			find_under(a, r, suffix, out);
		else if (S_ISREG(st.st_mode) && n >= k && !strcmp(r + n - k, suffix))
			list_push(out, strdup(r));
	}
	closedir(d);
}

static int m_find_files(struct ar_ctx *ctx, const char *dir, const char *suffix,
                        struct ar_list *out)
{
	char *full = full_path(ctx, dir);

	find_under(full, dir, suffix, out);
	free(full);
	return AR_OK;
}

static int m_which(struct ar_ctx *ctx, const char *name)
{
	struct mock_host *m = M(ctx);
	size_t i;

	for (i = 0; i < m->nwhich; i++)
		if (strcmp(m->which_names[i], name) == 0)
			return 1;
	return 0;
}

/* The number after `name: ` or `METRIC name=` at the start of line, if any. */
static int line_value(const char *line, const char *name, double *out)
{
	size_t k = strlen(name);
	char *end;

	while (*line == ' ' || *line == '\t')
		line++;
	if (!strncmp(line, "METRIC ", 7) && !strncmp(line + 7, name, k) && line[7 + k] == '=')
		line += 8 + k;
	else if (!strncmp(line, name, k) && line[k] == ':')
		line += k + 1;
	else
		return 0;
	*out = strtod(line, &end);
	return end != line;
}

static int m_log_metric(struct ar_ctx *ctx, const char *log_path, const char *name,
                        double *out)
{
	char line[4096], *full = full_path(ctx, log_path);
	double v;
	int found = 0;
	FILE *f = fopen(full, "r");

	free(full);
	if (!f) {
		m_set_error(ctx, "%s: %s", log_path, strerror(errno));
		return AR_ERROR;
	}
	while (fgets(line, sizeof(line), f))
		if (line_value(line, name, &v)) {
			*out = v;
			found = 1;
		}
	fclose(f);
	if (!found) {
		m_set_error(ctx, "no line '%s: <number>' in %s", name, log_path);
		return AR_ENOTFOUND;
	}
	return AR_OK;
}

/* Test double of newest_mtime: a file's mtime, or the newest among the
 * regular files directly or indirectly under a directory. */
static double newest_under(const char *path)
{
	struct stat st;
	double t = 0;

	if (lstat(path, &st) != 0)
		return 0;
	if (S_ISREG(st.st_mode))
		return (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *de;
		char child[4096];
		while (d && (de = readdir(d)) != NULL) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			snprintf(child, sizeof(child), "%s/%s", path, de->d_name);
			double c = newest_under(child);
			if (c > t)
				t = c;
		}
		if (d)
			closedir(d);
	}
	return t;
}

static int m_newest_mtime(struct ar_ctx *ctx, const char *path, double *out)
{
	struct stat st;
	char *full;

	if (m_stat(ctx, path, &st) != 0)
		return AR_ENOTFOUND;
	full = full_path(ctx, path);
	*out = newest_under(full);
	free(full);
	return AR_OK;
}

static const struct ar_host mock_table = {
	AR_ABI_VERSION,
	(uint32_t)sizeof(struct ar_host),
	m_log,
	m_set_error,
	m_set_reason,
	m_config_get,
	m_push,
	m_exists,
	m_is_dir,
	m_file_size,
	m_tree_size,
	m_read_file,
	m_find_files,
	m_which,
	m_log_metric,
	m_newest_mtime,
};

const struct ar_host *mock_host_table(void)
{
	return &mock_table;
}

void mock_host_init(struct mock_host *m, const char *root)
{
	memset(m, 0, sizeof(*m));
	m->root = strdup(root);
	if (!m->root)
		abort();
	m->ctx.host = &mock_table;
	m->ctx.root = m->root;
	m->ctx.host_private = m;
}

void mock_host_reset(struct mock_host *m)
{
	m->reason[0] = m->error[0] = m->log[0] = '\0';
	m->nreason = m->nerror = m->nlog = 0;
	mock_list_clear(&m->scratch);
}

void mock_host_release(struct mock_host *m)
{
	mock_host_reset(m);
	free(m->root);
	m->root = NULL;
}

void mock_host_config(struct mock_host *m, const char *key, const char *value)
{
	if (m->nconfig < MOCK_MAX_PAIRS) {
		m->config_keys[m->nconfig] = key;
		m->config_vals[m->nconfig++] = value;
	}
}

void mock_host_which(struct mock_host *m, const char *name)
{
	if (m->nwhich < MOCK_MAX_PAIRS)
		m->which_names[m->nwhich++] = name;
}
