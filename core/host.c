/*
 * host.c - struct ar_host: the services the core hands to adapters, and the
 * per-call context (struct ar_host_call) every slot runs in.
 *
 * Every service checks its arguments (an adapter's NULL is an error, never
 * a crash), resolves relative paths against the repository root, and keeps
 * what it returns in the call's scratch list, so it lives until the slot
 * returns and is freed by the host.  Messages from adapters are made into
 * one printable line each.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "metric.h"
#include "plugin.h"

#define HOST_LOG_MAX 1000      /* lines kept until the command layer drains */
#define HOST_LINE_MAX 2000     /* bytes of one message */
#define HOST_TREE_DEPTH 64     /* directory levels tree_size/find_files walk */

static ar_strvec host_log = AR_STRVEC_INIT;
static size_t host_log_dropped;

static struct ar_host_call *call_of(struct ar_ctx *ctx)
{
	return ctx ? (struct ar_host_call *)ctx->host_private : NULL;
}

/* Make b one printable line: newlines and tabs become spaces, other control
 * bytes '?', and it is cut (on a UTF-8 boundary) at HOST_LINE_MAX. */
static void one_line(ar_buf *b)
{
	size_t i;

	if (b->len > HOST_LINE_MAX) {
		b->len = HOST_LINE_MAX;
		while (b->len > 0 && ((unsigned char)b->ptr[b->len] & 0xc0) == 0x80)
			b->len--;
		b->ptr[b->len] = '\0';
	}
	for (i = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)b->ptr[i];
		if (c == '\n' || c == '\r' || c == '\t')
			b->ptr[i] = ' ';
		else if (c < 0x20 || c == 0x7f)
			b->ptr[i] = '?';
	}
}

static void set_message(ar_buf *b, const char *fmt, va_list ap)
{
	ar_buf_clear(b);
	ar_buf_vprintf(b, fmt, ap);
	one_line(b);
}

/* The host's own error for a failed service, in the call's error buffer. */
static void call_error(struct ar_host_call *c, const char *fmt, ...)
	AR_PRINTF(2, 3);
static void call_error(struct ar_host_call *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_message(&c->error, fmt, ap);
	va_end(ap);
}

static void host_log_fn(struct ar_ctx *ctx, int level, const char *fmt, ...)
{
	struct ar_host_call *c = call_of(ctx);
	ar_buf b = AR_BUF_INIT;
	const char *tag = level == AR_LOG_WARN ? "warning: "
	                  : level == AR_LOG_DEBUG ? "debug: " : "";
	va_list ap;

	if (!c || !fmt)
		return;
	if (host_log.n >= HOST_LOG_MAX) {
		host_log_dropped++;
		return;
	}
	va_start(ap, fmt);
	set_message(&b, fmt, ap);
	va_end(ap);
	ar_strvec_pushf(&host_log, "adapter %s: %s%s",
	                c->adapter_name ? c->adapter_name : "?", tag,
	                ar_buf_cstr(&b));
	ar_buf_release(&b);
}

void ar_host_drain_log(ar_strvec *out)
{
	size_t i;

	for (i = 0; i < host_log.n; i++) {
		ar_strvec_push_nodup(out, host_log.items[i]);
		host_log.items[i] = NULL;
	}
	host_log.n = 0;
	ar_strvec_release(&host_log);
	if (host_log_dropped)
		ar_strvec_pushf(out, "adapter log: %zu more messages dropped",
		                host_log_dropped);
	host_log_dropped = 0;
}

static void host_set_error(struct ar_ctx *ctx, const char *fmt, ...)
{
	struct ar_host_call *c = call_of(ctx);
	va_list ap;

	if (!c || !fmt)
		return;
	va_start(ap, fmt);
	set_message(&c->error, fmt, ap);
	va_end(ap);
}

static void host_set_reason(struct ar_ctx *ctx, const char *fmt, ...)
{
	struct ar_host_call *c = call_of(ctx);
	va_list ap;

	if (!c || !fmt)
		return;
	va_start(ap, fmt);
	set_message(&c->reason, fmt, ap);
	va_end(ap);
}

static const char *host_config_get(struct ar_ctx *ctx, const char *key)
{
	struct ar_host_call *c = call_of(ctx);
	char *v;

	if (!c || !c->cfg || !key)
		return NULL;
	v = ar_config_get(c->cfg, key);
	if (v)
		ar_strvec_push_nodup(&c->scratch, v);
	return v;
}

static int host_push(struct ar_ctx *ctx, struct ar_list *list, const char *s)
{
	if (!call_of(ctx) || !list || !s)
		return AR_ERROR;
	ar_strvec_push((ar_strvec *)(void *)list, s);
	return AR_OK;
}

/* `path` when absolute, else root/path; caller frees; NULL for NULL/"". */
static char *resolve(const struct ar_host_call *c, const char *path)
{
	if (!path || !*path)
		return NULL;
	if (path[0] == '/' || !c->ctx.root)
		return ar_xstrdup(path);
	return ar_path_join(c->ctx.root, path);
}

/* stat() the resolved path; 0, or -1 with errno (EINVAL for no path). */
static int stat_at(const struct ar_host_call *c, const char *path,
                   struct stat *st)
{
	char *p = resolve(c, path);
	int rc;

	if (!p) {
		errno = EINVAL;
		return -1;
	}
	rc = stat(p, st);
	free(p);
	return rc;
}

static int host_exists(struct ar_ctx *ctx, const char *path)
{
	struct ar_host_call *c = call_of(ctx);
	struct stat st;

	return c && stat_at(c, path, &st) == 0;
}

static int host_is_dir(struct ar_ctx *ctx, const char *path)
{
	struct ar_host_call *c = call_of(ctx);
	struct stat st;

	return c && stat_at(c, path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The code and error for a failed stat of `path`. */
static int stat_failed(struct ar_host_call *c, const char *what,
                       const char *path)
{
	int e = errno;

	call_error(c, "%s: %s: %s", what, path ? path : "(no path)", strerror(e));
	return e == ENOENT || e == ENOTDIR ? AR_ENOTFOUND : AR_ERROR;
}

static int host_file_size(struct ar_ctx *ctx, const char *path, uint64_t *out)
{
	struct ar_host_call *c = call_of(ctx);
	struct stat st;

	if (!c || !out)
		return AR_ERROR;
	if (stat_at(c, path, &st) != 0)
		return stat_failed(c, "file_size", path);
	if (!S_ISREG(st.st_mode)) {
		call_error(c, "file_size: %s is not a regular file", path);
		return AR_ERROR;
	}
	*out = (uint64_t)st.st_size;
	return AR_OK;
}

/* Call fn for every regular file under dir, without following symlinks;
 * unreadable subdirectories are skipped.  tree_size and newest_mtime share
 * this walk. */
typedef void (*file_fn)(const struct stat *st, void *payload);

static void tree_walk(const char *dir, int depth, file_fn fn, void *payload)
{
	struct dirent *e;
	DIR *d;

	if (depth > HOST_TREE_DEPTH || !(d = opendir(dir)))
		return;
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		char *child;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		child = ar_path_join(dir, e->d_name);
		if (lstat(child, &st) == 0) {
			if (S_ISREG(st.st_mode))
				fn(&st, payload);
			else if (S_ISDIR(st.st_mode))
				tree_walk(child, depth + 1, fn, payload);
		}
		free(child);
	}
	closedir(d);
}

static void add_size(const struct stat *st, void *payload)
{
	*(uint64_t *)payload += (uint64_t)st->st_size;
}

static double mtime_of(const struct stat *st)
{
	return (double)st->st_mtim.tv_sec + (double)st->st_mtim.tv_nsec / 1e9;
}

static void keep_newest(const struct stat *st, void *payload)
{
	double *newest = payload, t = mtime_of(st);
	if (t > *newest)
		*newest = t;
}

static int host_tree_size(struct ar_ctx *ctx, const char *path, uint64_t *out)
{
	struct ar_host_call *c = call_of(ctx);
	struct stat st;
	uint64_t sum = 0;
	char *p;

	if (!c || !out)
		return AR_ERROR;
	if (stat_at(c, path, &st) != 0)
		return stat_failed(c, "tree_size", path);
	if (S_ISREG(st.st_mode)) {
		*out = (uint64_t)st.st_size;
		return AR_OK;
	}
	if (!S_ISDIR(st.st_mode)) {
		call_error(c, "tree_size: %s is neither a directory nor a file", path);
		return AR_ERROR;
	}
	p = resolve(c, path);
	tree_walk(p, 0, add_size, &sum);
	free(p);
	*out = sum;
	return AR_OK;
}

/* Read at most max bytes of fd into b.  0, or -1 with errno. */
static int read_bounded(int fd, size_t max, ar_buf *b)
{
	char chunk[8192];

	while (b->len < max) {
		size_t want = max - b->len < sizeof(chunk) ? max - b->len
		                                           : sizeof(chunk);
		ssize_t n = read(fd, chunk, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		ar_buf_add(b, chunk, (size_t)n);
	}
	return 0;
}

static int host_read_file(struct ar_ctx *ctx, const char *path,
                          size_t max_bytes, const char **out, size_t *len)
{
	struct ar_host_call *c = call_of(ctx);
	ar_buf b = AR_BUF_INIT;
	struct stat st;
	char *p;
	int fd, rc = AR_OK;

	if (!c || !out)
		return AR_ERROR;
	*out = NULL;
	if (len)
		*len = 0;
	p = resolve(c, path);
	fd = p ? open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC) : -1;
	if (fd < 0 && !p)
		errno = EINVAL;
	if (fd < 0)
		rc = stat_failed(c, "read_file", path);
	else if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		call_error(c, "read_file: %s is not a regular file", path);
		rc = AR_ERROR;
	} else if (read_bounded(fd, max_bytes, &b) != 0) {
		call_error(c, "read_file: %s: %s", path, strerror(errno));
		rc = AR_ERROR;
	}
	if (fd >= 0)
		close(fd);
	if (rc == AR_OK) {
		if (len)
			*len = b.len;
		*out = ar_buf_detach(&b);
		ar_strvec_push_nodup(&c->scratch, (char *)*out);
	}
	ar_buf_release(&b);
	free(p);
	return rc;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Directories find_files does not descend into: hidden ones (.git, .venv,
 * caches) and node_modules. */
static int skipped_dir(const char *name)
{
	return name[0] == '.' || strcmp(name, "node_modules") == 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Entry names of dir, sorted, without "." and "..". */
static void list_dir(const char *dir, ar_strvec *names)
{
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			ar_strvec_push(names, e->d_name);
	closedir(d);
	if (names->n)
		qsort(names->items, names->n, sizeof(*names->items), cmp_str);
}

/* Walk dir (on disk); push shown/name for matches ("" shown: bare name). */
static void find_walk(const char *dir, const char *shown, const char *suffix,
                      int depth, ar_strvec *out)
{
	ar_strvec names = AR_STRVEC_INIT;
	size_t i;

	if (depth > HOST_TREE_DEPTH)
		return;
	list_dir(dir, &names);
	for (i = 0; i < names.n; i++) {
		const char *name = names.items[i];
		char *disk = ar_path_join(dir, name);
		char *show = *shown ? ar_xprintf("%s/%s", shown, name)
		                    : ar_xstrdup(name);
		struct stat st;

		if (lstat(disk, &st) == 0) {
			if (S_ISREG(st.st_mode) && ends_with(name, suffix))
				ar_strvec_push(out, show);
			else if (S_ISDIR(st.st_mode) && !skipped_dir(name))
				find_walk(disk, show, suffix, depth + 1, out);
		}
		free(disk);
		free(show);
	}
	ar_strvec_release(&names);
}

/* How find_files shows paths under dir: as given, without "./" and trailing
 * slashes; "" for the root itself.  Caller frees. */
static char *shown_prefix(const char *dir)
{
	size_t n;

	while (dir[0] == '.' && dir[1] == '/')
		dir += 2;
	if (!strcmp(dir, "."))
		dir = "";
	n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	return ar_xstrndup(dir, n);
}

static int host_find_files(struct ar_ctx *ctx, const char *dir,
                           const char *suffix, struct ar_list *out)
{
	struct ar_host_call *c = call_of(ctx);
	struct stat st;
	char *disk, *shown;

	if (!c || !out)
		return AR_ERROR;
	if (!dir || !*dir)
		dir = ".";
	if (stat_at(c, dir, &st) != 0)
		return stat_failed(c, "find_files", dir);
	if (!S_ISDIR(st.st_mode)) {
		call_error(c, "find_files: %s is not a directory", dir);
		return AR_ERROR;
	}
	disk = resolve(c, dir);
	shown = shown_prefix(dir);
	find_walk(disk, shown, suffix ? suffix : "", 0,
	          (ar_strvec *)(void *)out);
	free(disk);
	free(shown);
	return AR_OK;
}

/* Searches $PATH (util.c); a name with a '/' is resolved in the root. */
static int host_which(struct ar_ctx *ctx, const char *name)
{
	struct ar_host_call *c = call_of(ctx);
	int found;

	if (!c || !name || !*name)
		return 0;
	if (strchr(name, '/')) {
		char *r = resolve(c, name);
		found = ar_is_executable(r);
		free(r);
		return found;
	}
	return ar_which(name);
}

static int host_log_metric(struct ar_ctx *ctx, const char *log_path,
                           const char *name, double *out)
{
	struct ar_host_call *c = call_of(ctx);
	char *p;
	int rc;

	if (!c || !out)
		return AR_ERROR;
	if (!name || !*name || !log_path || !*log_path) {
		call_error(c, "log_metric: no %s given", !name || !*name ? "metric name"
		                                                         : "log path");
		return AR_ERROR;
	}
	p = resolve(c, log_path);
	rc = ar_metric_from_log_default(p, name, out);
	free(p);
	if (rc == 0)
		return AR_OK;
	call_error(c, "%s", ar_error_last());
	return rc == AR_ENOTFOUND ? AR_ENOTFOUND : AR_ERROR;
}

static int host_newest_mtime(struct ar_ctx *ctx, const char *path, double *out)
{
	struct ar_host_call *c = call_of(ctx);
	struct stat st;
	double newest = 0;

	if (!c || !out)
		return AR_ERROR;
	if (stat_at(c, path, &st) != 0)
		return stat_failed(c, "newest_mtime", path);
	if (S_ISDIR(st.st_mode)) {
		char *full = resolve(c, path);
		if (full)
			tree_walk(full, 0, keep_newest, &newest);
		free(full);
	} else {
		newest = mtime_of(&st);
	}
	*out = newest;
	return AR_OK;
}

static const struct ar_host host_table = {
	AR_ABI_VERSION,
	(uint32_t)sizeof(struct ar_host),
	host_log_fn,
	host_set_error,
	host_set_reason,
	host_config_get,
	host_push,
	host_exists,
	host_is_dir,
	host_file_size,
	host_tree_size,
	host_read_file,
	host_find_files,
	host_which,
	host_log_metric,
	host_newest_mtime,
};

const struct ar_host *ar_host_table(void)
{
	return &host_table;
}

void ar_host_call_init(struct ar_host_call *c, const char *root,
                       const struct ar_config *cfg, const char *adapter_name)
{
	ar_buf empty_buf = AR_BUF_INIT;
	ar_strvec empty_vec = AR_STRVEC_INIT;
	char *abs;

	c->ctx.host = &host_table;
	c->ctx.host_private = c;
	c->cfg = cfg;
	c->adapter_name = adapter_name;
	c->error = empty_buf;
	c->reason = empty_buf;
	c->scratch = empty_vec;
	abs = realpath(root && *root ? root : ".", NULL);
	if (abs)
		ar_strvec_push_nodup(&c->scratch, abs);
	c->ctx.root = abs ? abs : root;
}

void ar_host_call_release(struct ar_host_call *c)
{
	ar_buf_release(&c->error);
	ar_buf_release(&c->reason);
	ar_strvec_release(&c->scratch);
	c->ctx.root = NULL;
}
