/*
 * test_watch.c - the work tree watcher (core/watch.c, the real `ar watch
 * run` daemon) and the watched status of core/git_status.c.  The oracle for
 * every watched scan is ar's full scan of the same repository through a
 * second handle that does not watch; `git` (CLI) makes the changes a user
 * makes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "git.h"
#include "testutil.h"
#include "util.h"
#include "watch.h"

/* A command that must succeed; its output is not needed. */
#define SH(...) free(tu_sh_ok(__VA_ARGS__))


static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* 1 once a watcher answers for root (within 5 s). */
static int watcher_up(const char *root)
{
	for (int i = 0; i < 500; i++) {
		char *reply = NULL;
		int err = ar_watch_command(root, "status", &reply);
		free(reply);
		ar_error_clear();
		if (err == 0)
			return 1;
		sleep_ms(10);
	}
	return 0;
}

/* 1 once no watcher answers for root (within 5 s). */
static int watcher_gone(const char *root)
{
	for (int i = 0; i < 500; i++) {
		char *reply = NULL;
		int err = ar_watch_command(root, "status", &reply);
		free(reply);
		ar_error_clear();
		if (err == AR_ENOTFOUND)
			return 1;
		sleep_ms(10);
	}
	return 0;
}

struct fixture {
	char *dir;          /* the work tree (realpath) */
	ar_repo *watched;   /* watch on */
	ar_repo *plain;     /* watch off: the oracle */
};

static struct fixture *fixture_new(void)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char *dir = tu_git_repo(".gitignore", "*.log\nbuild/\n",
	                        "a/b/one.txt", "1\n", "a/b/two.txt", "2\n",
	                        "a/c/three.txt", "3\n", "d/four.txt", "4\n",
	                        "build/kept.txt", "tracked though ignored\n",
	                        "top.txt", "top\n", NULL);
	char *real = realpath(dir, NULL);

	free(dir);
	f->dir = real;
	assert_int_equal(ar_repo_open(&f->watched, real), 0);
	assert_int_equal(ar_repo_open(&f->plain, real), 0);
	ar_repo_set_watch(f->watched, AR_REPO_WATCH_ON);
	ar_watch_set_program(tu_env("AR_BIN"));
	return f;
}

static void fixture_free(struct fixture *f)
{
	char *reply = NULL;

	ar_watch_command(f->dir, "stop", &reply);
	free(reply);
	ar_error_clear();
	ar_repo_free(f->watched);
	ar_repo_free(f->plain);
	tu_rm_rf(f->dir);
	free(f->dir);
	free(f);
}

/* The watched scan equals the full scan; returns how it was taken. */
static int same_as_full(struct fixture *f, const char *step)
{
	ar_strvec w = AR_STRVEC_INIT, p = AR_STRVEC_INIT;
	char *jw, *jp;
	int how;

	if (ar_repo_changed_paths(f->watched, &w) != 0)
		fail_msg("%s: watched scan: %s", step, ar_error_last());
	how = ar_repo_last_scan(f->watched);
	if (ar_repo_changed_paths(f->plain, &p) != 0)
		fail_msg("%s: full scan: %s", step, ar_error_last());
	assert_int_equal(ar_repo_last_scan(f->plain), 'f');
	jw = tu_join_sorted(&w);
	jp = tu_join_sorted(&p);
	if (strcmp(jw, jp))
		fail_msg("%s: the watched scan (%c) says [%s], the full scan [%s]",
		         step, how, jw, jp);
	free(jw);
	free(jp);
	ar_strvec_release(&w);
	ar_strvec_release(&p);
	return how;
}

/* Start the watcher through a scan, as a step does, and get to the first
 * watched scan. */
static void warm_up(struct fixture *f)
{
	assert_int_equal(same_as_full(f, "first scan, starts the watcher"), 'f');
	assert_true(watcher_up(f->dir));
	assert_int_equal(same_as_full(f, "first answer: full"), 'f');
	assert_int_equal(same_as_full(f, "nothing changed"), 'w');
}

#define W(step) assert_int_equal(same_as_full(f, step), 'w')
#define F(step) assert_int_equal(same_as_full(f, step), 'f')

static void test_edits_files_and_directories(void **state)
{
	struct fixture *f = fixture_new();
	(void)state;

	warm_up(f);
	SH("cd '%s' && echo more >> a/b/one.txt", f->dir);
	W("a tracked file edited");
	SH("cd '%s' && echo x > new.txt && echo y > a/c/new.txt", f->dir);
	W("untracked files");
	SH("cd '%s' && mkdir -p n/m/k && echo z > n/m/k/deep.txt", f->dir);
	W("a new directory tree");
	SH("cd '%s' && rm d/four.txt", f->dir);
	W("a tracked file deleted");
	SH("cd '%s' && rm -rf a/c", f->dir);
	W("a directory with tracked files deleted");
	SH("cd '%s' && mv a/b a/moved", f->dir);
	W("a directory renamed");
	SH("cd '%s' && echo again > a/moved/two.txt", f->dir);
	W("an edit in the renamed directory");
	SH("cd '%s' && chmod +x top.txt", f->dir);
	W("a mode change");
	SH("cd '%s' && chmod -x top.txt && touch top.txt", f->dir);
	W("touched only: same content");
	SH("cd '%s' && echo l > x.log && mkdir -p build/out && echo o > build/out/o",
	         f->dir);
	W("ignored files");
	SH("cd '%s' && echo edit >> build/kept.txt", f->dir);
	W("a tracked file in an ignored directory");
	SH("cd '%s' && rm top.txt && mkdir top.txt && echo f > top.txt/f", f->dir);
	W("a tracked file replaced by a directory");
	SH("cd '%s' && mkdir -p u/sub && echo s > u/sub/s && git -C u/sub init -q",
	         f->dir);
	W("a repository of its own appears");
	SH("cd '%s' && ln -s a lnk", f->dir);
	W("a symbolic link to a directory");
	SH("cd '%s' && git checkout -q -- . && git clean -qfdx", f->dir);
	F("git checkout and clean rewrote the index");
	W("clean again");
	fixture_free(f);
}

static void test_rules_and_index_changes_rescan(void **state)
{
	struct fixture *f = fixture_new();
	(void)state;

	warm_up(f);
	SH("cd '%s' && echo x > new.log", f->dir);
	W("ignored");
	SH("cd '%s' && echo '*.txt' > .gitignore", f->dir);
	F("the ignore rules changed");
	W("and then watched again");
	SH("cd '%s' && git checkout -q -- .gitignore && echo e >> d/four.txt && "
	         "git add d/four.txt", f->dir);
	F("git add wrote the index");
	SH("cd '%s' && echo '*.md' >> .git/info/exclude", f->dir);
	F("info/exclude changed");
	W("settled");
	fixture_free(f);
}

/* ar's own commit and revert carry the watched state along. */
static void test_own_commit_and_revert_stay_watched(void **state)
{
	struct fixture *f = fixture_new();
	ar_strvec paths = AR_STRVEC_INIT;
	char oid[AR_OID_HEX], base[AR_OID_HEX];
	(void)state;

	warm_up(f);
	assert_int_equal(ar_repo_head(f->watched, base), 0);
	SH("cd '%s' && echo exp >> a/b/one.txt", f->dir);
	W("the experiment's edit");
	ar_strvec_push(&paths, "a/b/one.txt");
	assert_int_equal(ar_repo_commit_paths(f->watched, &paths, "exp", oid), 0);
	W("after ar's commit");
	assert_int_equal(ar_repo_reset_paths(f->watched, base, &paths), 0);
	W("after ar's revert");
	SH("cd '%s' && git diff --quiet HEAD && test -z \"$(git status --porcelain)\"",
	         f->dir);
	ar_strvec_release(&paths);
	fixture_free(f);
}

static void test_watcher_lifecycle(void **state)
{
	struct fixture *f = fixture_new();
	char *out = NULL, *reply = NULL;
	(void)state;

	assert_int_equal(tu_ar(f->dir, &out, "watch start"), 0);
	assert_true(tu_contains(out, "watching"));
	free(out);
	assert_int_equal(tu_ar(f->dir, &out, "watch run"), 0); /* one is enough */
	assert_true(tu_contains(out, "already runs"));
	free(out);
	assert_int_equal(tu_ar(f->dir, &out, "watch stop"), 0);
	free(out);
	assert_true(watcher_gone(f->dir));
	assert_int_equal(tu_ar(f->dir, &out, "watch status"), 0);
	assert_true(tu_contains(out, "no watcher runs"));
	free(out);
	assert_int_equal(tu_ar(f->dir, &out, "watch bogus"), 2);
	free(out);
	/* Deleting the work tree ends its watcher. */
	assert_int_equal(ar_watch_spawn(f->dir), 0);
	assert_true(watcher_up(f->dir));
	SH("rm -rf '%s'", f->dir);
	assert_true(watcher_gone(f->dir));
	assert_int_equal(ar_watch_command(f->dir, "status", &reply), AR_ENOTFOUND);
	ar_error_clear();
	fixture_free(f);
}

/* No watcher to be had: every scan is a full one, and right. */
static void test_no_watcher_means_full_scans(void **state)
{
	struct fixture *f = fixture_new();
	(void)state;

	ar_watch_set_program("/nonexistent/ar");
	F("no watcher");
	SH("cd '%s' && echo more >> a/b/one.txt", f->dir);
	F("still none");
	ar_watch_set_program(tu_env("AR_BIN"));
	fixture_free(f);
}

/* The watcher ends after --idle seconds without a question. */
static void test_watcher_idles_out(void **state)
{
	struct fixture *f = fixture_new();
	(void)state;

	SH("cd '%s' && (setsid '%s' watch run --idle 0.3 </dev/null >/dev/null 2>&1 &)",
	         f->dir, tu_env("AR_BIN"));
	assert_true(watcher_up(f->dir));
	assert_true(watcher_gone(f->dir));
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edits_files_and_directories),
		cmocka_unit_test(test_rules_and_index_changes_rescan),
		cmocka_unit_test(test_own_commit_and_revert_stay_watched),
		cmocka_unit_test(test_watcher_lifecycle),
		cmocka_unit_test(test_no_watcher_means_full_scans),
		cmocka_unit_test(test_watcher_idles_out),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
