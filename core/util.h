/*
 * util.h - small value containers used throughout the core.
 *
 * ar_buf: a growable NUL-terminated byte buffer.  ar_strvec: a growable
 * NULL-terminated array of owned strings.  Both start with an _INIT macro,
 * need no allocation until used, and are emptied with _release.
 * Allocation failure aborts with a message (like git's xmalloc): `ar` cannot
 * do anything sensible without memory.
 */
#ifndef AR_UTIL_H
#define AR_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include "error.h"

void *ar_xmalloc(size_t n);
void *ar_xcalloc(size_t n, size_t size);
void *ar_xrealloc(void *p, size_t n);
char *ar_xstrdup(const char *s);
char *ar_xstrndup(const char *s, size_t n);
char *ar_xprintf(const char *fmt, ...) AR_PRINTF(1, 2);

typedef struct {
	char *ptr; /* always NUL-terminated once grown; "" when empty */
	size_t len;
	size_t cap;
} ar_buf;
#define AR_BUF_INIT { NULL, 0, 0 }

void ar_buf_grow(ar_buf *b, size_t extra);
void ar_buf_add(ar_buf *b, const void *data, size_t n);
void ar_buf_adds(ar_buf *b, const char *s);
void ar_buf_addch(ar_buf *b, char c);
void ar_buf_printf(ar_buf *b, const char *fmt, ...) AR_PRINTF(2, 3);
void ar_buf_vprintf(ar_buf *b, const char *fmt, va_list ap);
void ar_buf_clear(ar_buf *b);   /* len = 0, keeps memory */
void ar_buf_release(ar_buf *b); /* frees memory */
/* Take ownership of the contents (never NULL); b is left empty. */
char *ar_buf_detach(ar_buf *b);
/* "" when empty, never NULL. */
const char *ar_buf_cstr(const ar_buf *b);

typedef struct {
	char **items; /* NULL-terminated once non-empty */
	size_t n;
	size_t cap;
} ar_strvec;
#define AR_STRVEC_INIT { NULL, 0, 0 }

void ar_strvec_push(ar_strvec *v, const char *s);
void ar_strvec_pushf(ar_strvec *v, const char *fmt, ...) AR_PRINTF(2, 3);
void ar_strvec_push_nodup(ar_strvec *v, char *s); /* takes ownership */
int ar_strvec_contains(const ar_strvec *v, const char *s);
void ar_strvec_copy(ar_strvec *dst, const ar_strvec *src); /* appends */
void ar_strvec_clear(ar_strvec *v);   /* frees items, keeps v usable */
void ar_strvec_release(ar_strvec *v); /* frees everything */

/*
 * Glob match of a repository-relative path: `*` and `?` do not cross '/',
 * `**` matches any number of directories, `[...]` classes as in fnmatch.
 * A pattern naming a directory ("src/" or "src") also matches everything
 * under it.  Returns 1 on a match.
 */
int ar_glob_match(const char *pattern, const char *path);
int ar_glob_match_any(const ar_strvec *patterns, const char *path);

/* Files. */
int ar_file_read(const char *path, size_t max, char **out, size_t *len);
/* The last (at most) max bytes of a file, NUL-terminated; caller frees.
 * AR_ENOTFOUND when it does not exist. */
int ar_file_tail(const char *path, size_t max, char **out);
/* write(2) until all of data[0..len) is written: 0, or -1 with errno. */
int ar_write_all(int fd, const void *data, size_t len);
/*
 * Whether a write waits for the disk.  Both kinds are atomic for readers and
 * survive a killed ar (the page cache outlives the process).  AR_DURABLE also
 * survives a power cut: the file is fsync'd, and after a rename its directory
 * too.  It is for what must not be lost - the ledger, the journal of an
 * experiment about to be committed, a user's files.  AR_VOLATILE is for views
 * rebuilt from the ledger (results.tsv, the dashboard) and for journal
 * updates that only narrow a recovery; each fsync costs 0.2-20 ms.
 */
enum ar_sync { AR_VOLATILE = 0, AR_DURABLE = 1 };
/* Write to path.tmp.<pid> and rename it over path (keeping path's mode). */
int ar_file_write_atomic(const char *path, const char *data, size_t len,
                         enum ar_sync sync);
/* Append whole: on failure the file is cut back to its old size.
 * AR_ENOSPACE when the disk is full. */
int ar_file_append(const char *path, const char *data, size_t len,
                   enum ar_sync sync);
int ar_path_exists(const char *path);
int ar_mkdir_p(const char *path);
char *ar_path_join(const char *a, const char *b);

/* 1 when path is a regular file we may execute. */
int ar_is_executable(const char *path);
/* 1 when name (no '/') is an executable in $PATH; empty entries (the
 * current directory) are skipped.  A name with a '/' is checked as is. */
int ar_which(const char *name);

/* Append s to b quoted for /bin/sh: 'it'\''s' (always quoted). */
void ar_sh_quote(ar_buf *b, const char *s);

/* Parse a finite double strictly: the whole string, no NaN/inf. 0 or -1. */
int ar_parse_double(const char *s, double *out);
/* Monotonic seconds. */
double ar_now(void);

#endif
