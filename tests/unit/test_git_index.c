/*
 * test_git_index.c - ar writes git's index itself when a commit or a reset
 * changes entries that exist (core/git_index.c, and the stand-in index
 * lent to libgit2 in core/git.c).  The oracles are real git and libgit2
 * on real repositories: after every commit and reset, `git fsck` (which
 * verifies the index checksum) passes, libgit2 loads the index (it
 * verifies the checksum too), `git status` is clean, the index lists
 * exactly HEAD's blobs, and `git write-tree` - which trusts the cached
 * trees of the index - gives HEAD's tree, so a cached tree left valid
 * above a changed path would show.  Each case runs with index versions
 * 2 and 4, and with extensions ar does not patch (the libgit2 path).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "git.h"
#include "testutil.h"
#include "util.h"

#define sh tu_sh_ok

/* Everything the oracles say about dir's index agrees with HEAD. */
static void check_index(const char *dir)
{
	char *fsck = sh("git -C '%s' fsck --no-dangling 2>&1; echo rc=$?", dir);
	char *status = sh("git -C '%s' status --porcelain", dir);
	char *ls = sh("git -C '%s' ls-files -s | awk '{print $1, $2, $4}'", dir);
	char *tree = sh("git -C '%s' ls-tree -r HEAD | awk '{print $1, $3, $4}'", dir);
	char *wt = sh("git -C '%s' write-tree", dir);
	char *head = sh("git -C '%s' rev-parse 'HEAD^{tree}'", dir);
	char *path = ar_xprintf("%s/.git/index", dir);
	git_index *ix = NULL;

	if (!tu_contains(fsck, "rc=0"))
		fail_msg("git fsck in %s: %s", dir, fsck);
	assert_string_equal(status, "");
	assert_string_equal(ls, tree);
	assert_string_equal(wt, head);
	if (git_index_open(&ix, path) < 0)
		fail_msg("libgit2 cannot load %s: %s", path, git_error_last()->message);
	git_index_free(ix);
	free(path);
	free(fsck);
	free(status);
	free(ls);
	free(tree);
	free(wt);
	free(head);
}

/* ar's own status of repo (its cached index) finds nothing changed. */
static void assert_clean(ar_repo *repo)
{
	ar_strvec v = AR_STRVEC_INIT;

	if (ar_repo_changed_paths(repo, &v) != 0)
		fail_msg("status: %s", ar_error_last());
	if (v.n)
		fail_msg("ar sees %zu changed path(s), the first %s", v.n, v.items[0]);
	ar_strvec_release(&v);
}

/* A repository of nested directories, its index at `version`, the cached
 * trees filled in; `setup` runs in it first (git config, attributes). */
static char *make_repo(int version, const char *setup)
{
	char *dir = tu_git_repo("a/b/c.txt", "c\n", "a/d.txt", "d\n",
	                        "e/f.txt", "f\n", "top.txt", "top\n", NULL);

	if (setup && *setup)
		assert_int_equal(tu_sh("cd '%s' && %s", dir, setup), 0);
	assert_int_equal(tu_sh("cd '%s' && git update-index --index-version %d && "
	                       "git write-tree >/dev/null && "
	                       "git update-index -q --really-refresh", dir, version), 0);
	check_index(dir);
	return dir;
}

/* Commit two changed files, then reset to the parent: both leave an index
 * every oracle accepts. */
static const char *oid_parent(ar_repo *repo, const char *oid, char *out)
{
	char *spec = ar_xprintf("%s~1", oid);

	assert_int_equal(ar_repo_resolve(repo, spec, out), 0);
	free(spec);
	return out;
}

static void commit_and_reset(int version, const char *setup, int fast)
{
	char *dir = make_repo(version, setup);
	ar_repo *repo = NULL;
	ar_strvec paths = AR_STRVEC_INIT;
	char parent[AR_OID_HEX], oid[AR_OID_HEX], *content;

	assert_int_equal(ar_repo_open(&repo, dir), 0);
	assert_int_equal(ar_repo_head(repo, parent), 0);
	tu_write(dir, "a/b/c.txt", "c changed\n");
	tu_write(dir, "top.txt", "top changed, longer\n");
	ar_strvec_push(&paths, "a/b/c.txt");
	ar_strvec_push(&paths, "top.txt");
	if (ar_repo_commit_paths(repo, &paths, "exp", oid) != 0)
		fail_msg("commit: %s", ar_error_last());
	assert_clean(repo);
	check_index(dir); /* git status rewrites the index: no restore below */
	if (ar_repo_reset_paths(repo, parent, &paths) != 0)
		fail_msg("reset: %s", ar_error_last());
	/* The index ar keeps in memory agrees (asked before git refreshes
	 * and rewrites the file). */
	assert_clean(repo);
	check_index(dir);
	content = tu_read(dir, "a/b/c.txt");
	assert_string_equal(content, "c\n");
	free(content);
	/* And again from the reset state: the stat data ar wrote is right. */
	tu_write(dir, "a/b/c.txt", "c again\n");
	if (ar_repo_commit_paths(repo, &paths, "exp 2", oid) != 0)
		fail_msg("commit: %s", ar_error_last());
	/* ar patched the index itself: the one it replaced is kept ... */
	assert_int_equal(tu_exists(dir, ".git/ar-index.prev"), fast);
	if (ar_repo_reset_paths(repo, oid_parent(repo, oid, parent), &paths) != 0)
		fail_msg("reset: %s", ar_error_last());
	/* ... and the revert right after put it back instead of writing one. */
	if (fast)
		assert_false(tu_exists(dir, ".git/ar-index.prev"));
	assert_clean(repo);
	check_index(dir);
	content = tu_read(dir, "a/b/c.txt");
	assert_string_equal(content, "c\n");
	free(content);
	tu_write(dir, "top.txt", "top, third\n");
	if (ar_repo_commit_paths(repo, &paths, "exp 3", oid) != 0)
		fail_msg("commit: %s", ar_error_last());
	check_index(dir);
	ar_strvec_release(&paths);
	ar_repo_free(repo);
	tu_rm_rf(dir);
	free(dir);
}

/* The index changed behind ar's back after its commit (git add of
 * another file): the revert must not bring back the index of before. */
static void test_no_restore_after_foreign_write(void **state)
{
	char *dir = make_repo(2, NULL);
	ar_repo *repo = NULL;
	ar_strvec paths = AR_STRVEC_INIT;
	char parent[AR_OID_HEX], oid[AR_OID_HEX];
	char *staged;
	(void)state;

	assert_int_equal(ar_repo_open(&repo, dir), 0);
	assert_int_equal(ar_repo_head(repo, parent), 0);
	tu_write(dir, "top.txt", "top changed\n");
	ar_strvec_push(&paths, "top.txt");
	assert_int_equal(ar_repo_commit_paths(repo, &paths, "exp", oid), 0);
	tu_write(dir, "e/f.txt", "f staged by the user\n");
	free(sh("git -C '%s' add e/f.txt", dir));
	assert_int_equal(ar_repo_reset_paths(repo, parent, &paths), 0);
	staged = sh("git -C '%s' diff --cached --name-only", dir);
	assert_string_equal(staged, "e/f.txt\n"); /* the user's git add stands */
	free(staged);
	ar_strvec_release(&paths);
	ar_repo_free(repo);
	tu_rm_rf(dir);
	free(dir);
}

static void test_index_v2(void **state)
{
	(void)state;
	commit_and_reset(2, NULL, 1);
}

static void test_index_v4(void **state)
{
	(void)state;
	commit_and_reset(4, NULL, 1);
}

/* Extensions ar does not patch (EOIE, IEOT) go through libgit2. */
static void test_other_extensions(void **state)
{
	(void)state;
	commit_and_reset(2, "git config index.recordEndOfIndexEntries true && "
	                    "git config index.recordOffsetTable true && "
	                    "git config index.threads 2", 0);
}

/* Attributes held in the index reach libgit2 through the stand-in: the
 * ident filter collapses $Id...$ when the blob is made. */
static void test_attributes_apply(void **state)
{
	(void)state;
	char *dir = make_repo(2, "printf '*.txt ident\\n' > .gitattributes && "
	                         "git add .gitattributes && git commit -qm attrs");
	ar_repo *repo = NULL;
	ar_strvec paths = AR_STRVEC_INIT;
	char oid[AR_OID_HEX];
	char *blob;

	assert_int_equal(ar_repo_open(&repo, dir), 0);
	tu_write(dir, "e/f.txt", "$Id: 0123456789 $\n");
	ar_strvec_push(&paths, "e/f.txt");
	assert_int_equal(ar_repo_commit_paths(repo, &paths, "ident", oid), 0);
	blob = sh("git -C '%s' cat-file -p HEAD:e/f.txt", dir);
	assert_string_equal(blob, "$Id$\n");
	check_index(dir);
	free(blob);
	ar_strvec_release(&paths);
	ar_repo_free(repo);
	tu_rm_rf(dir);
	free(dir);
}

/* A held index.lock is an error that names it; nothing is half-written. */
static void test_lock_held(void **state)
{
	(void)state;
	char *dir = make_repo(2, NULL);
	ar_repo *repo = NULL;
	ar_strvec paths = AR_STRVEC_INIT;
	char oid[AR_OID_HEX], *before, *after;

	assert_int_equal(ar_repo_open(&repo, dir), 0);
	before = sh("git -C '%s' ls-files -s --debug | md5sum", dir);
	tu_write(dir, ".git/index.lock", "");
	tu_write(dir, "top.txt", "locked out\n");
	ar_strvec_push(&paths, "top.txt");
	assert_true(ar_repo_commit_paths(repo, &paths, "locked", oid) < 0);
	assert_true(tu_contains(ar_error_last(), "index.lock"));
	after = sh("git -C '%s' ls-files -s --debug | md5sum", dir);
	assert_string_equal(before, after);
	assert_true(tu_exists(dir, ".git/index.lock")); /* not ours to remove */
	free(before);
	free(after);
	ar_strvec_release(&paths);
	ar_repo_free(repo);
	tu_rm_rf(dir);
	free(dir);
}

static int setup(void **state)
{
	(void)state;
	git_libgit2_init();
	return ar_git_init() < 0;
}

static int teardown(void **state)
{
	(void)state;
	ar_git_shutdown();
	git_libgit2_shutdown();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_v2),
		cmocka_unit_test(test_no_restore_after_foreign_write),
		cmocka_unit_test(test_index_v4),
		cmocka_unit_test(test_other_extensions),
		cmocka_unit_test(test_attributes_apply),
		cmocka_unit_test(test_lock_held),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
