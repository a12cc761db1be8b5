/*
 * testutil.c - see testutil.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testutil.h"
#include "util.h"

char *tu_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *tmpl = ar_xprintf("%s/ar-test-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(tmpl))
		fail_msg("mkdtemp %s: %s", tmpl, strerror(errno));
	return tmpl;
}

void tu_rm_rf(const char *path)
{
	if (path && strlen(path) > 8)
		tu_sh("chmod -R u+w '%s' 2>/dev/null; rm -rf '%s'", path, path);
}

static int status_code(int st)
{
	if (st == -1)
		return -1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return -1;
}

static int vsh_out(char **out, const char *fmt, va_list ap)
{
	ar_buf cmd = AR_BUF_INIT, res = AR_BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *f;
	int st;

	ar_buf_vprintf(&cmd, fmt, ap);
	ar_buf_adds(&cmd, " 2>&1");
	f = popen(cmd.ptr, "r"); /* test code only: ar itself never uses popen */
	if (!f)
		fail_msg("popen: %s", strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		ar_buf_add(&res, chunk, n);
	st = pclose(f);
	ar_buf_release(&cmd);
	if (out)
		*out = ar_buf_detach(&res);
	else
		ar_buf_release(&res);
	return status_code(st);
}

char *tu_sh_ok(const char *fmt, ...)
{
	ar_buf cmd = AR_BUF_INIT;
	char *out = NULL;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	ar_buf_vprintf(&cmd, fmt, ap);
	va_end(ap);
	if ((rc = tu_sh_out(&out, "%s", cmd.ptr)) != 0)
		fail_msg("`%s` exited %d: %s", cmd.ptr, rc, out);
	ar_buf_release(&cmd);
	return out;
}

int tu_sh(const char *fmt, ...)
{
	ar_buf cmd = AR_BUF_INIT;
	va_list ap;
	int st;

	va_start(ap, fmt);
	ar_buf_vprintf(&cmd, fmt, ap);
	va_end(ap);
	st = system(cmd.ptr); /* test code only */
	ar_buf_release(&cmd);
	return status_code(st);
}

int tu_sh_out(char **out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vsh_out(out, fmt, ap);
	va_end(ap);
	return rc;
}

void tu_write(const char *dir, const char *rel, const char *content)
{
	char *path = ar_path_join(dir, rel);
	char *slash = strrchr(path, '/');
	FILE *f;

	if (slash) {
		*slash = '\0';
		ar_mkdir_p(path);
		*slash = '/';
	}
	f = fopen(path, "w");
	if (!f)
		fail_msg("cannot write %s: %s", path, strerror(errno));
	fputs(content, f);
	fclose(f);
	free(path);
}

char *tu_read(const char *dir, const char *rel)
{
	char *path = ar_path_join(dir, rel), *data = NULL;
	if (ar_file_read(path, (size_t)1 << 30, &data, NULL) < 0)
		data = NULL;
	free(path);
	return data;
}

int tu_exists(const char *dir, const char *rel)
{
	char *path = ar_path_join(dir, rel);
	int r = ar_path_exists(path);
	free(path);
	return r;
}

char *tu_git_repo(const char *rel, ...)
{
	char *dir = tu_tmpdir();
	va_list ap;

	if (tu_sh("cd '%s' && git init -q -b main . && git config user.name 'AR Test' "
	          "&& git config user.email test@example.com && git config commit.gpgsign false",
	          dir) != 0)
		fail_msg("git init failed in %s", dir);
	va_start(ap, rel);
	for (const char *r = rel; r; r = va_arg(ap, const char *)) {
		const char *content = va_arg(ap, const char *);
		tu_write(dir, r, content);
	}
	va_end(ap);
	if (tu_sh("cd '%s' && git add -A && git commit -q --allow-empty -m initial", dir) != 0)
		fail_msg("git commit failed in %s", dir);
	return dir;
}

const char *tu_env(const char *name)
{
	const char *v = getenv(name);
	if (!v || !*v)
		fail_msg("environment variable %s is not set (run the tests through ctest)", name);
	return v;
}

int tu_ar(const char *dir, char **out, const char *args_fmt, ...)
{
	ar_buf args = AR_BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, args_fmt);
	ar_buf_vprintf(&args, args_fmt, ap);
	va_end(ap);
	rc = tu_sh_out(out, "'%s' -C '%s' %s </dev/null", tu_env("AR_BIN"), dir, args.ptr);
	ar_buf_release(&args);
	return rc;
}

int tu_contains(const char *haystack, const char *needle)
{
	return haystack && needle && strstr(haystack, needle) != NULL;
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void tu_sort(ar_strvec *v)
{
	if (v->n)
		qsort(v->items, v->n, sizeof(char *), cmp_path);
}

char *tu_join_sorted(ar_strvec *v)
{
	ar_buf b = AR_BUF_INIT;

	tu_sort(v);
	for (size_t i = 0; i < v->n; i++)
		ar_buf_printf(&b, "%s%s", i ? " " : "", v->items[i]);
	return ar_buf_detach(&b);
}
