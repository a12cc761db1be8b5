/*
 * test_host.c - the host services (core/host.c) called through the public
 * struct ar_host table, as an adapter calls them, on real files in
 * temporary directories.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin.h"
#include "testutil.h"

struct fx {
	char *root;
	struct ar_host_call call;
	const struct ar_host *h;
	struct ar_ctx *ctx;
};

static int setup(void **state)
{
	struct fx *f = ar_xcalloc(1, sizeof(*f));

	f->root = tu_tmpdir();
	ar_host_call_init(&f->call, f->root, NULL, "hostie");
	f->h = f->call.ctx.host;
	f->ctx = &f->call.ctx;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	ar_strvec drop = AR_STRVEC_INIT;

	ar_host_call_release(&f->call);
	ar_host_drain_log(&drop);
	ar_strvec_release(&drop);
	tu_rm_rf(f->root);
	free(f->root);
	free(f);
	return 0;
}

static void test_table(void **state)
{
	const struct ar_host *h = ar_host_table();
	struct fx *f = *state;
	char *real = realpath(f->root, NULL);

	assert_int_equal(h->abi_version, AR_ABI_VERSION);
	assert_int_equal(h->size, sizeof(struct ar_host));
	assert_non_null(h->log);
	assert_non_null(h->set_error);
	assert_non_null(h->set_reason);
	assert_non_null(h->config_get);
	assert_non_null(h->push);
	assert_non_null(h->exists);
	assert_non_null(h->is_dir);
	assert_non_null(h->file_size);
	assert_non_null(h->tree_size);
	assert_non_null(h->read_file);
	assert_non_null(h->find_files);
	assert_non_null(h->which);
	assert_non_null(h->log_metric);
	assert_ptr_equal(f->ctx->host, h);
	assert_string_equal(f->ctx->root, real);
	free(real);
}

static void test_relative_root(void **state)
{
	struct fx *f = *state;
	struct ar_host_call c;
	char cwd[PATH_MAX], *real = realpath(f->root, NULL);

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(f->root), 0);
	tu_write(f->root, "sub/x", "1");
	ar_host_call_init(&c, "sub", NULL, "rel");
	assert_int_equal(chdir(cwd), 0);
	assert_true(c.ctx.root[0] == '/');
	assert_true(tu_contains(c.ctx.root, real));
	assert_int_equal(c.ctx.host->exists(&c.ctx, "x"), 1); /* cwd moved on */
	ar_host_call_release(&c);
	free(real);
}

static void test_exists_is_dir(void **state)
{
	struct fx *f = *state;
	char *abs = ar_path_join(f->root, "a.txt");

	tu_write(f->root, "a.txt", "hello");
	tu_write(f->root, "d/b.txt", "x");
	assert_int_equal(f->h->exists(f->ctx, "a.txt"), 1);
	assert_int_equal(f->h->exists(f->ctx, abs), 1);
	assert_int_equal(f->h->exists(f->ctx, "d"), 1);
	assert_int_equal(f->h->exists(f->ctx, "missing"), 0);
	assert_int_equal(f->h->exists(f->ctx, ""), 0);
	assert_int_equal(f->h->exists(f->ctx, NULL), 0);
	assert_int_equal(f->h->is_dir(f->ctx, "d"), 1);
	assert_int_equal(f->h->is_dir(f->ctx, "a.txt"), 0);
	assert_int_equal(f->h->is_dir(f->ctx, "missing"), 0);
	assert_int_equal(f->h->is_dir(f->ctx, NULL), 0);
	free(abs);
}

static void test_file_size(void **state)
{
	struct fx *f = *state;
	uint64_t n = 0;

	tu_write(f->root, "five", "12345");
	tu_write(f->root, "d/x", "");
	assert_int_equal(f->h->file_size(f->ctx, "five", &n), AR_OK);
	assert_int_equal(n, 5);
	assert_int_equal(f->h->file_size(f->ctx, "nope", &n), AR_ENOTFOUND);
	assert_true(tu_contains(ar_buf_cstr(&f->call.error), "file_size: nope: "));
	assert_int_equal(f->h->file_size(f->ctx, "d", &n), AR_ERROR);
	assert_true(tu_contains(ar_buf_cstr(&f->call.error), "not a regular file"));
	assert_int_equal(f->h->file_size(f->ctx, "five", NULL), AR_ERROR);
	assert_int_equal(f->h->file_size(f->ctx, NULL, &n), AR_ERROR);
}

static void test_tree_size(void **state)
{
	struct fx *f = *state;
	uint64_t n = 0;
	char *outside = tu_tmpdir();

	tu_write(outside, "big", "0123456789012345678901234567890123456789");
	tu_write(f->root, "t/a", "abc");
	tu_write(f->root, "t/sub/deeper/b", "defg");
	tu_write(f->root, "t/empty/.keep", "");
	assert_int_equal(tu_sh("ln -s '%s/big' '%s/t/link' && ln -s '%s' '%s/t/dirlink'",
	                       outside, f->root, outside, f->root), 0);
	assert_int_equal(f->h->tree_size(f->ctx, "t", &n), AR_OK);
	assert_int_equal(n, 7); /* symlinks not followed */
	assert_int_equal(f->h->tree_size(f->ctx, "t/a", &n), AR_OK);
	assert_int_equal(n, 3); /* a file is its own tree */
	assert_int_equal(f->h->tree_size(f->ctx, "t/empty", &n), AR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(f->h->tree_size(f->ctx, "nope", &n), AR_ENOTFOUND);
	assert_int_equal(f->h->tree_size(f->ctx, "t", NULL), AR_ERROR);
	tu_rm_rf(outside);
	free(outside);
}

static void test_read_file(void **state)
{
	struct fx *f = *state;
	const char *text = NULL, *again = NULL;
	size_t len = 99;

	tu_write(f->root, "msg", "hello world");
	tu_write(f->root, "d/x", "");
	assert_int_equal(f->h->read_file(f->ctx, "msg", 5, &text, &len), AR_OK);
	assert_int_equal(len, 5);
	assert_string_equal(text, "hello"); /* bounded and NUL-terminated */
	assert_int_equal(f->h->read_file(f->ctx, "msg", 1000, &again, NULL), AR_OK);
	assert_string_equal(again, "hello world");
	assert_string_equal(text, "hello"); /* still valid during the call */
	assert_int_equal(f->h->read_file(f->ctx, "msg", 0, &text, &len), AR_OK);
	assert_int_equal(len, 0);
	assert_string_equal(text, "");
	assert_int_equal(f->h->read_file(f->ctx, "nope", 10, &text, &len),
	                 AR_ENOTFOUND);
	assert_null(text);
	assert_int_equal(f->h->read_file(f->ctx, "d", 10, &text, &len), AR_ERROR);
	assert_int_equal(f->h->read_file(f->ctx, NULL, 10, &text, &len), AR_ERROR);
	assert_int_equal(f->h->read_file(f->ctx, "msg", 10, NULL, &len), AR_ERROR);
	assert_int_equal(tu_sh("mkfifo '%s/fifo'", f->root), 0);
	assert_int_equal(f->h->read_file(f->ctx, "fifo", 10, &text, &len), AR_ERROR);
}

static void test_find_files(void **state)
{
	struct fx *f = *state;
	ar_strvec v = AR_STRVEC_INIT;
	char *abs = ar_path_join(f->root, "sub"), *want;

	tu_write(f->root, "a.py", "");
	tu_write(f->root, "b.txt", "");
	tu_write(f->root, "sub/c.py", "");
	tu_write(f->root, "sub/deep/e.py", "");
	tu_write(f->root, ".git/x.py", "");
	tu_write(f->root, ".venv/y.py", "");
	tu_write(f->root, "node_modules/z.py", "");
	assert_int_equal(tu_sh("cd '%s' && ln -s a.py link.py && ln -s sub linkdir",
	                       f->root), 0);
	assert_int_equal(f->h->find_files(f->ctx, ".", ".py", AR_LIST(&v)), AR_OK);
	assert_int_equal(v.n, 3);
	assert_string_equal(v.items[0], "a.py");
	assert_string_equal(v.items[1], "sub/c.py");
	assert_string_equal(v.items[2], "sub/deep/e.py");
	ar_strvec_clear(&v);

	assert_int_equal(f->h->find_files(f->ctx, "./sub/", ".py", AR_LIST(&v)),
	                 AR_OK);
	assert_int_equal(v.n, 2);
	assert_string_equal(v.items[0], "sub/c.py");
	ar_strvec_clear(&v);

	assert_int_equal(f->h->find_files(f->ctx, abs, ".py", AR_LIST(&v)), AR_OK);
	assert_int_equal(v.n, 2);
	want = ar_xprintf("%s/c.py", abs);
	assert_string_equal(v.items[0], want); /* absolute in, absolute out */
	ar_strvec_clear(&v);

	assert_int_equal(f->h->find_files(f->ctx, NULL, NULL, AR_LIST(&v)), AR_OK);
	assert_int_equal(v.n, 4); /* every regular file */
	assert_string_equal(v.items[1], "b.txt");
	ar_strvec_clear(&v);

	assert_int_equal(f->h->find_files(f->ctx, "nope", ".py", AR_LIST(&v)),
	                 AR_ENOTFOUND);
	assert_int_equal(f->h->find_files(f->ctx, "a.py", ".py", AR_LIST(&v)),
	                 AR_ERROR);
	assert_int_equal(f->h->find_files(f->ctx, ".", ".py", NULL), AR_ERROR);
	assert_int_equal(v.n, 0);
	ar_strvec_release(&v);
	free(abs);
	free(want);
}

static void test_which(void **state)
{
	struct fx *f = *state;
	char *old = ar_xstrdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	char *bin = ar_path_join(f->root, "bin"), *tool, *path, cwd[PATH_MAX];

	assert_int_equal(f->h->which(f->ctx, "sh"), 1);
	assert_int_equal(f->h->which(f->ctx, "no-such-command-for-ar-tests"), 0);
	assert_int_equal(f->h->which(f->ctx, ""), 0);
	assert_int_equal(f->h->which(f->ctx, NULL), 0);

	tu_write(f->root, "bin/tool", "#!/bin/sh\n");
	tool = ar_path_join(bin, "tool");
	assert_int_equal(chmod(tool, 0644), 0);
	path = ar_xprintf("/nonexistent:%s", bin);
	setenv("PATH", path, 1);
	assert_int_equal(f->h->which(f->ctx, "tool"), 0); /* not executable */
	assert_int_equal(chmod(tool, 0755), 0);
	assert_int_equal(f->h->which(f->ctx, "tool"), 1);
	assert_int_equal(f->h->which(f->ctx, "bin"), 0);  /* a directory */
	assert_int_equal(f->h->which(f->ctx, "bin/tool"), 1); /* from the root */

	/* an empty PATH entry is not the current directory */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(bin), 0);
	setenv("PATH", "::/nonexistent:", 1);
	assert_int_equal(f->h->which(f->ctx, "tool"), 0);
	assert_int_equal(chdir(cwd), 0);
	setenv("PATH", old, 1);
	free(old);
	free(bin);
	free(tool);
	free(path);
}

static void test_log_metric(void **state)
{
	struct fx *f = *state;
	double v = 0;

	tu_write(f->root, "run.log", "loss: 2.5\nMETRIC loss=1.25\nother: 9\n");
	assert_int_equal(f->h->log_metric(f->ctx, "run.log", "loss", &v), AR_OK);
	assert_true(v == 1.25);
	ar_buf_clear(&f->call.error);
	assert_int_equal(f->h->log_metric(f->ctx, "run.log", "acc", &v),
	                 AR_ENOTFOUND);
	assert_true(f->call.error.len > 0);
	assert_int_equal(f->h->log_metric(f->ctx, "run.log", NULL, &v), AR_ERROR);
	assert_int_equal(f->h->log_metric(f->ctx, NULL, "loss", &v), AR_ERROR);
	assert_int_equal(f->h->log_metric(f->ctx, "run.log", "loss", NULL),
	                 AR_ERROR);
	ar_buf_clear(&f->call.error);
	assert_true(f->h->log_metric(f->ctx, "missing.log", "loss", &v) < 0);
	assert_true(f->call.error.len > 0);
}

static void test_config_get(void **state)
{
	struct fx *f = *state;
	struct ar_origin flag = { AR_ORIGIN_FLAG, NULL, 0 };
	struct ar_config cfg;
	struct ar_host_call c;
	const char *a, *b;

	assert_null(f->h->config_get(f->ctx, "metric.name")); /* no config */
	ar_config_init(&cfg);
	assert_int_equal(ar_config_set(&cfg, "metric.name", "val_bpb", &flag), 0);
	ar_host_call_init(&c, f->root, &cfg, "cfg");
	a = c.ctx.host->config_get(&c.ctx, "metric.name");
	b = c.ctx.host->config_get(&c.ctx, "metric_name"); /* an alias */
	assert_non_null(a);
	assert_string_equal(a, "val_bpb");
	assert_non_null(b);
	assert_string_equal(b, "val_bpb");
	assert_string_equal(a, "val_bpb"); /* both live until the call ends */
	assert_null(c.ctx.host->config_get(&c.ctx, "no.such.key"));
	assert_null(c.ctx.host->config_get(&c.ctx, NULL));
	ar_host_call_release(&c);
	ar_config_release(&cfg);
}

static void test_push(void **state)
{
	struct fx *f = *state;
	ar_strvec v = AR_STRVEC_INIT;

	assert_int_equal(f->h->push(f->ctx, AR_LIST(&v), "one"), AR_OK);
	assert_int_equal(f->h->push(f->ctx, AR_LIST(&v), ""), AR_OK);
	assert_int_equal(f->h->push(f->ctx, AR_LIST(&v), NULL), AR_ERROR);
	assert_int_equal(f->h->push(f->ctx, NULL, "x"), AR_ERROR);
	assert_int_equal(v.n, 2);
	assert_string_equal(v.items[0], "one");
	assert_string_equal(v.items[1], "");
	ar_strvec_release(&v);
}

static void test_messages(void **state)
{
	struct fx *f = *state;
	char *longer = ar_xmalloc(5001);

	f->h->set_reason(f->ctx, "found %s and %d more", "train.py", 2);
	assert_string_equal(ar_buf_cstr(&f->call.reason), "found train.py and 2 more");
	f->h->set_reason(f->ctx, "second");
	assert_string_equal(ar_buf_cstr(&f->call.reason), "second"); /* replaced */
	f->h->set_error(f->ctx, "line1\nline2\tx\x1b[31mred\x7f");
	assert_string_equal(ar_buf_cstr(&f->call.error), "line1 line2 x?[31mred?");
	memset(longer, 'a', 5000);
	longer[5000] = '\0';
	f->h->set_error(f->ctx, "%s", longer);
	assert_int_equal(f->call.error.len, 2000);
	f->h->set_error(f->ctx, NULL);
	f->h->set_reason(f->ctx, NULL);
	free(longer);
}

static void test_log(void **state)
{
	struct fx *f = *state;
	ar_strvec v = AR_STRVEC_INIT;
	int i;

	ar_host_drain_log(&v);
	ar_strvec_clear(&v);
	f->h->log(f->ctx, AR_LOG_INFO, "hello %d", 1);
	f->h->log(f->ctx, AR_LOG_WARN, "careful\nnow");
	f->h->log(f->ctx, AR_LOG_DEBUG, "details");
	f->h->log(f->ctx, AR_LOG_INFO, NULL);
	ar_host_drain_log(&v);
	assert_int_equal(v.n, 3);
	assert_string_equal(v.items[0], "adapter hostie: hello 1");
	assert_string_equal(v.items[1], "adapter hostie: warning: careful now");
	assert_string_equal(v.items[2], "adapter hostie: debug: details");
	ar_strvec_clear(&v);

	for (i = 0; i < 1005; i++) /* a chatty adapter is capped */
		f->h->log(f->ctx, AR_LOG_INFO, "n%d", i);
	ar_host_drain_log(&v);
	assert_int_equal(v.n, 1001);
	assert_string_equal(v.items[999], "adapter hostie: n999");
	assert_string_equal(v.items[1000], "adapter log: 5 more messages dropped");
	ar_strvec_clear(&v);
	ar_host_drain_log(&v);
	assert_int_equal(v.n, 0);
	ar_strvec_release(&v);
}

/* An adapter passing a NULL or foreign ctx gets errors, not a crash. */
static void test_bad_ctx(void **state)
{
	const struct ar_host *h = ar_host_table();
	struct ar_ctx foreign = { NULL, "/", NULL };
	struct ar_ctx *bad[2] = { NULL, &foreign };
	ar_strvec v = AR_STRVEC_INIT;
	const char *s;
	uint64_t n;
	double d;
	size_t i, len;

	(void)state;
	foreign.host = h;
	for (i = 0; i < 2; i++) {
		struct ar_ctx *c = bad[i];
		h->log(c, AR_LOG_INFO, "x");
		h->set_error(c, "x");
		h->set_reason(c, "x");
		assert_null(h->config_get(c, "metric.name"));
		assert_int_equal(h->push(c, AR_LIST(&v), "x"), AR_ERROR);
		assert_int_equal(h->exists(c, "/"), 0);
		assert_int_equal(h->is_dir(c, "/"), 0);
		assert_int_equal(h->file_size(c, "/etc/hostname", &n), AR_ERROR);
		assert_int_equal(h->tree_size(c, "/", &n), AR_ERROR);
		assert_int_equal(h->read_file(c, "/etc/hostname", 9, &s, &len),
		                 AR_ERROR);
		assert_int_equal(h->find_files(c, "/", ".x", AR_LIST(&v)), AR_ERROR);
		assert_int_equal(h->which(c, "sh"), 0);
		assert_int_equal(h->log_metric(c, "/x", "m", &d), AR_ERROR);
	}
	assert_int_equal(v.n, 0);
	ar_host_drain_log(&v);
	assert_int_equal(v.n, 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_table),
		T(test_relative_root),
		T(test_exists_is_dir),
		T(test_file_size),
		T(test_tree_size),
		T(test_read_file),
		T(test_find_files),
		T(test_which),
		T(test_log_metric),
		T(test_config_get),
		T(test_push),
		T(test_messages),
		T(test_log),
		cmocka_unit_test(test_bad_ctx),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
