/*
 * util.c - allocation, buffers, string vectors, globs, files (see util.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "util.h"

static void die_oom(size_t n)
{
	fprintf(stderr, "ar: fatal: out of memory allocating %zu bytes\n", n);
	abort();
}

void *ar_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die_oom(n);
	return p;
}

void *ar_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		die_oom(n * size);
	return p;
}

void *ar_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		die_oom(n);
	return q;
}

char *ar_xstrdup(const char *s)
{
	return ar_xstrndup(s, strlen(s));
}

char *ar_xstrndup(const char *s, size_t n)
{
	char *p = ar_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *ar_xprintf(const char *fmt, ...)
{
	ar_buf b = AR_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	ar_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return ar_buf_detach(&b);
}

void ar_buf_grow(ar_buf *b, size_t extra)
{
	size_t want = b->len + extra + 1;
	if (want <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap *= 2;
	b->ptr = ar_xrealloc(b->ptr, cap);
	b->cap = cap;
}

void ar_buf_add(ar_buf *b, const void *data, size_t n)
{
	ar_buf_grow(b, n);
	if (n)
		memcpy(b->ptr + b->len, data, n);
	b->len += n;
	b->ptr[b->len] = '\0';
}

void ar_buf_adds(ar_buf *b, const char *s)
{
	ar_buf_add(b, s, strlen(s));
}

void ar_buf_addch(ar_buf *b, char c)
{
	ar_buf_add(b, &c, 1);
}

void ar_buf_vprintf(ar_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	ar_buf_grow(b, (size_t)n);
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void ar_buf_printf(ar_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ar_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void ar_buf_clear(ar_buf *b)
{
	b->len = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
}

void ar_buf_release(ar_buf *b)
{
	free(b->ptr);
	b->ptr = NULL;
	b->len = b->cap = 0;
}

char *ar_buf_detach(ar_buf *b)
{
	char *p = b->ptr ? b->ptr : ar_xstrdup("");
	b->ptr = NULL;
	b->len = b->cap = 0;
	return p;
}

const char *ar_buf_cstr(const ar_buf *b)
{
	return b->ptr ? b->ptr : "";
}

void ar_strvec_push_nodup(ar_strvec *v, char *s)
{
	if (v->n + 2 > v->cap) {
		v->cap = v->cap ? v->cap * 2 : 8;
		v->items = ar_xrealloc(v->items, v->cap * sizeof(char *));
	}
	v->items[v->n++] = s;
	v->items[v->n] = NULL;
}

void ar_strvec_push(ar_strvec *v, const char *s)
{
	ar_strvec_push_nodup(v, ar_xstrdup(s));
}

void ar_strvec_pushf(ar_strvec *v, const char *fmt, ...)
{
	ar_buf b = AR_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	ar_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	ar_strvec_push_nodup(v, ar_buf_detach(&b));
}

int ar_strvec_contains(const ar_strvec *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->items[i], s))
			return 1;
	return 0;
}

void ar_strvec_copy(ar_strvec *dst, const ar_strvec *src)
{
	for (size_t i = 0; i < src->n; i++)
		ar_strvec_push(dst, src->items[i]);
}

void ar_strvec_clear(ar_strvec *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->items[i]);
	v->n = 0;
	if (v->items)
		v->items[0] = NULL;
}

void ar_strvec_release(ar_strvec *v)
{
	ar_strvec_clear(v);
	free(v->items);
	v->items = NULL;
	v->cap = 0;
}

/* Match a bracket class at p against c; *end receives the char after ']'. */
static int class_match(const char *p, char c, const char **end)
{
	int negate = 0, found = 0;
	p++;
	if (*p == '!' || *p == '^') {
		negate = 1;
		p++;
	}
	const char *start = p;
	while (*p && (*p != ']' || p == start)) {
		if (p[1] == '-' && p[2] && p[2] != ']') {
			if (c >= p[0] && c <= p[2])
				found = 1;
			p += 3;
		} else {
			if (c == *p)
				found = 1;
			p++;
		}
	}
	if (*p != ']')
		return -1; /* unterminated: treat '[' literally */
	*end = p + 1;
	return found != negate;
}

static int glob_rec(const char *p, const char *s)
{
	for (; *p; p++, s++) {
		if (p[0] == '*' && p[1] == '*') {
			const char *rest = p + 2;
			if (*rest == '/')
				rest++;
			for (const char *t = s;; t++) {
				if ((t == s || t[-1] == '/') && glob_rec(rest, t))
					return 1;
				if (!*t)
					return 0;
			}
		}
		if (*p == '*') {
			for (const char *t = s;; t++) {
				if (glob_rec(p + 1, t))
					return 1;
				if (!*t || *t == '/')
					return 0;
			}
		}
		if (!*s)
			return 0;
		if (*p == '?') {
			if (*s == '/')
				return 0;
			continue;
		}
		if (*p == '[') {
			const char *end;
			int m = class_match(p, *s, &end);
			if (m >= 0) {
				if (!m || *s == '/')
					return 0;
				p = end - 1;
				continue;
			}
		}
		if (*p != *s)
			return 0;
	}
	return *s == '\0';
}

int ar_glob_match(const char *pattern, const char *path)
{
	size_t n;
	if (pattern[0] == '.' && pattern[1] == '/')
		pattern += 2;
	if (glob_rec(pattern, path))
		return 1;
	/* A directory pattern matches everything beneath it. */
	n = strlen(pattern);
	while (n && pattern[n - 1] == '/')
		n--;
	if (n && !strncmp(pattern, path, n) && path[n] == '/' &&
	    !strpbrk(pattern, "*?["))
		return 1;
	return 0;
}

int ar_glob_match_any(const ar_strvec *patterns, const char *path)
{
	for (size_t i = 0; i < patterns->n; i++)
		if (ar_glob_match(patterns->items[i], path))
			return 1;
	return 0;
}

int ar_file_read(const char *path, size_t max, char **out, size_t *len)
{
	ar_buf b = AR_BUF_INIT;
	char chunk[65536];
	ssize_t n;
	/* O_NONBLOCK so a FIFO cannot hang the open; it is refused below. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;

	if (fd < 0)
		return ar_error_set(errno == ENOENT ? AR_ENOTFOUND : AR_ERROR,
		                    "cannot read %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return ar_error_set(AR_ERROR, "cannot read %s: not a regular file "
		                    "(a device, pipe or directory?)", path);
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	/* A file of known size is read straight into one buffer; the loop
	 * below reads on when it grew (or was a /proc file, of size 0). */
	ar_buf_grow(&b, (size_t)st.st_size < max ? (size_t)st.st_size : max);
	while (b.len < max && b.cap - b.len > 1) {
		size_t room = b.cap - b.len - 1;
		n = read(fd, b.ptr + b.len, room < max - b.len ? room : max - b.len);
		if (n <= 0)
			break;
		b.len += (size_t)n;
	}
	b.ptr[b.len] = '\0';
	while (b.len < max && (n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			ar_buf_release(&b);
			return ar_error_set(AR_ERROR, "reading %s: %s", path, strerror(e));
		}
		size_t take = (size_t)n;
		if (b.len + take > max)
			take = max - b.len;
		ar_buf_add(&b, chunk, take);
	}
	close(fd);
	if (len)
		*len = b.len;
	*out = ar_buf_detach(&b);
	return 0;
}

int ar_write_all(int fd, const void *buf, size_t len)
{
	const char *data = buf;

	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_error(const char *what, const char *path)
{
	int e = errno;
	return ar_error_set(e == ENOSPC || e == EDQUOT ? AR_ENOSPACE : AR_ERROR,
	                    "%s %s: %s", what, path, strerror(e));
}

static void fsync_parent(const char *path)
{
	char *dir = ar_xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	int fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

int ar_file_write_atomic(const char *path, const char *data, size_t len,
                         enum ar_sync sync)
{
	char *tmp = ar_xprintf("%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	struct stat old;
	int err = 0;

	if (fd < 0) {
		err = write_error("cannot create", tmp);
		goto done;
	}
	/* Replacing a file keeps its mode (an executable script stays one). */
	if (stat(path, &old) == 0 && S_ISREG(old.st_mode))
		(void)fchmod(fd, old.st_mode & 07777);
	if (ar_write_all(fd, data, len) < 0 || (sync && fsync(fd) < 0)) {
		err = write_error("writing", tmp);
		close(fd);
		unlink(tmp);
		goto done;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		err = write_error("renaming into place", path);
		unlink(tmp);
		goto done;
	}
	if (sync)
		fsync_parent(path);
done:
	free(tmp);
	return err;
}

int ar_file_append(const char *path, const char *data, size_t len,
                   enum ar_sync sync)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	struct stat st;
	int err = 0;

	if (fd < 0)
		return write_error("cannot open", path);
	if (fstat(fd, &st) < 0) {
		err = write_error("cannot stat", path);
		goto done;
	}
	if (ar_write_all(fd, data, len) < 0 || (sync && fsync(fd) < 0)) {
		err = write_error("appending to", path);
		/* Never leave half a record behind. */
		if (S_ISREG(st.st_mode) && ftruncate(fd, st.st_size) == 0 && sync)
			fsync(fd);
	}
done:
	close(fd);
	return err;
}

int ar_path_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

int ar_mkdir_p(const char *path)
{
	char *p = ar_xstrdup(path);
	int err = 0;

	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			err = ar_error_set(AR_ERROR, "cannot create directory %s: %s",
			                   p, strerror(errno));
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return err;
}

char *ar_path_join(const char *a, const char *b)
{
	if (!a || !*a || b[0] == '/')
		return ar_xstrdup(b);
	size_t n = strlen(a);
	return ar_xprintf("%s%s%s", a, a[n - 1] == '/' ? "" : "/", b);
}

int ar_parse_double(const char *s, double *out)
{
	char *end;
	double v;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno == ERANGE)
		return -1;
	while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
		end++;
	if (*end || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

double ar_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void ar_sh_quote(ar_buf *b, const char *s)
{
	ar_buf_addch(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			ar_buf_adds(b, "'\\''");
		else
			ar_buf_addch(b, *s);
	}
	ar_buf_addch(b, '\'');
}

int ar_is_executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int ar_which(const char *name)
{
	const char *path = getenv("PATH"), *p, *colon;
	int found = 0;

	if (!name || !*name || strchr(name, '/'))
		return name && *name && ar_is_executable(name);
	for (p = path ? path : "/usr/bin:/bin"; p && !found; p = colon ? colon + 1 : NULL) {
		size_t n;
		char *cand;

		colon = strchr(p, ':');
		n = colon ? (size_t)(colon - p) : strlen(p);
		if (n == 0) /* the current directory: never searched */
			continue;
		cand = ar_xprintf("%.*s/%s", (int)n, p, name);
		found = ar_is_executable(cand);
		free(cand);
	}
	return found;
}

int ar_file_tail(const char *path, size_t max, char **out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	ar_buf b = AR_BUF_INIT;
	char chunk[8192];
	ssize_t n;

	*out = NULL;
	if (fd < 0)
		return errno == ENOENT ? ar_error_set(AR_ENOTFOUND, "%s does not exist", path)
		                       : ar_error_set(AR_ERROR, "cannot open %s: %s", path,
		                                      strerror(errno));
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size > max)
		(void)lseek(fd, st.st_size - (off_t)max, SEEK_SET);
	while (b.len < max && (n = read(fd, chunk, sizeof(chunk))) > 0)
		ar_buf_add(&b, chunk, (size_t)n);
	close(fd);
	if (b.len > max) { /* the file grew while read: keep its end */
		memmove(b.ptr, b.ptr + b.len - max, max);
		b.len = max;
		b.ptr[max] = '\0';
	}
	*out = ar_buf_detach(&b);
	return 0;
}
