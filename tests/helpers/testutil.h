/*
 * testutil.h - helpers shared by the unit and integration tests: temporary
 * directories, real git repositories (made with the real `git` CLI, an
 * independent oracle for what ar does through libgit2), running the real
 * `ar` binary, reading and writing files.
 *
 * Include after <stdarg.h> <stddef.h> <setjmp.h> <cmocka.h>.
 */
#ifndef AR_TESTUTIL_H
#define AR_TESTUTIL_H

#include <stddef.h>

#include "error.h" /* AR_PRINTF */
#include "util.h"    /* ar_strvec */

/* A fresh directory under $TMPDIR (or /tmp); caller frees the string and
 * removes it with tu_rm_rf. */
char *tu_tmpdir(void);
void tu_rm_rf(const char *path);

/* Run a shell command (printf-style); returns its exit status (or 128+sig). */
int tu_sh(const char *fmt, ...);
/* Same, capturing stdout+stderr into *out (caller frees). */
int tu_sh_out(char **out, const char *fmt, ...);
/* The stdout+stderr of a command that must succeed: the test fails with
 * the command and its output otherwise.  Caller frees. */
char *tu_sh_ok(const char *fmt, ...) AR_PRINTF(1, 2);

/* Write/read a file at dir/rel (parent dirs created).  tu_read returns NULL
 * when absent; caller frees. */
void tu_write(const char *dir, const char *rel, const char *content);
char *tu_read(const char *dir, const char *rel);
int tu_exists(const char *dir, const char *rel);

/* A new git repository in a fresh temp dir with user.name/email set, the
 * given files (rel, content pairs, NULL-terminated) committed on branch
 * `main`.  Caller frees; remove with tu_rm_rf. */
char *tu_git_repo(const char *rel, ...);

/* Run the real ar binary ($AR_BIN) in dir: `ar -C dir <args>` with args a
 * shell-quoted string.  Captures stdout+stderr into *out when out != NULL.
 * Returns ar's exit code. */
int tu_ar(const char *dir, char **out, const char *args_fmt, ...);

/* Environment helpers. */
const char *tu_env(const char *name); /* fails the test when unset */

/* Sort a list of paths in place (strcmp order); tu_join_sorted also
 * joins them with single spaces, for comparing lists.  Caller frees. */
void tu_sort(ar_strvec *v);
char *tu_join_sorted(ar_strvec *v);

/* 1 when `haystack` contains `needle`. */
int tu_contains(const char *haystack, const char *needle);

#endif
