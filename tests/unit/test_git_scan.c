/*
 * test_git_scan.c - the fast status of core/git_status.c
 * (ar_repo_changed_paths and ar_repo_dirty_tracked read the index file
 * themselves) against `git status`, the independent oracle, on
 * repositories in every state the scan must get right: staged and
 * unstaged changes, deletions, type changes, symbolic links, the
 * executable bit, ignored and untracked files and directories, nested
 * repositories, submodules, odd path names, index version 4, a cached
 * tree that is invalid, attribute filters, a large index (the threaded
 * stat pass), and the indexes the scan hands to libgit2's status instead
 * (conflicts, skip-worktree, intent-to-add, an unborn branch).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "git.h"
#include "testutil.h"
#include "util.h"

/* Sorted, newline-separated. Caller frees. */
static char *lines(ar_strvec *v)
{
	ar_buf b = AR_BUF_INIT;

	tu_sort(v);
	for (size_t i = 0; i < v->n; i++)
		ar_buf_printf(&b, "%s\n", v->items[i]);
	return ar_buf_detach(&b);
}

/* What git says: the paths of `git status`, sorted, one a line. */
static char *oracle(const char *dir, int untracked)
{
	char *out = NULL;
	int rc = tu_sh_out(&out, "cd '%s' && git -c core.quotepath=false status "
	                   "--porcelain -z --no-renames --ignore-submodules=all "
	                   "--untracked-files=%s | tr '\\0' '\\n' | cut -c4- | "
	                   "LC_ALL=C sort -u", dir, untracked ? "all" : "no");

	if (rc != 0)
		fail_msg("git status in %s exited %d: %s", dir, rc, out);
	return out;
}

/* ar's two answers equal git's. */
static void check(const char *dir)
{
	ar_repo *repo = NULL;
	ar_strvec v = AR_STRVEC_INIT;
	char *got, *want;

	if (ar_repo_open(&repo, dir) != 0)
		fail_msg("ar_repo_open: %s", ar_error_last());
	for (int untracked = 0; untracked < 2; untracked++) {
		ar_strvec_clear(&v);
		if ((untracked ? ar_repo_changed_paths(repo, &v)
		               : ar_repo_dirty_tracked(repo, &v)) != 0)
			fail_msg("status of %s: %s", dir, ar_error_last());
		got = lines(&v);
		want = oracle(dir, untracked);
		if (strcmp(got, want))
			fail_msg("%s (untracked %s)\nar:\n%sgit:\n%s", dir,
			         untracked ? "listed" : "not listed", got, want);
		free(got);
		free(want);
	}
	ar_strvec_release(&v);
	ar_repo_free(repo);
}

static void sh_ok(const char *dir, const char *cmd)
{
	char *out = NULL;
	int rc = tu_sh_out(&out, "cd '%s' && { %s; }", dir, cmd);

	if (rc != 0)
		fail_msg("`%s` exited %d: %s", cmd, rc, out);
	free(out);
}

static char *repo(void)
{
	return tu_git_repo("a", "1\n", "b", "1\n", "c", "1\n", "src/x.c", "x\n",
	                   "src/y.c", "y\n", "src/deep/z.c", "z\n", "doc/r.md", "r\n",
	                   ".gitignore", "*.log\nbuild/\n!keep.log\n", NULL);
}

static void done(char *dir)
{
	tu_rm_rf(dir);
	free(dir);
}

static void test_clean_and_plain_changes(void **state)
{
	(void)state;
	char *dir = repo();

	check(dir);
	tu_write(dir, "a", "2\n");                 /* same size, same second */
	tu_write(dir, "src/deep/z.c", "zz\n");
	sh_ok(dir, "rm b && rm -r doc");
	check(dir);
	sh_ok(dir, "echo 3 > c && git add c && echo 1 > c"); /* staged, then back */
	sh_ok(dir, "echo n > src/new.c && git add src/new.c"); /* staged add */
	sh_ok(dir, "git rm -q --cached src/y.c");  /* staged deletion, untracked */
	check(dir);
	done(dir);
}

static void test_untracked_and_ignored(void **state)
{
	(void)state;
	char *dir = repo();

	tu_write(dir, "new.txt", "n\n");
	tu_write(dir, "src/more.c", "m\n");
	tu_write(dir, "fresh/dir/deep.txt", "d\n");
	tu_write(dir, "fresh/x.log", "ignored\n");
	tu_write(dir, "keep.log", "not ignored: negated\n");
	tu_write(dir, "run.log", "ignored\n");
	tu_write(dir, "build/out.o", "ignored dir\n");
	tu_write(dir, "src/build/gen.c", "ignored dir, deeper\n");
	tu_write(dir, "only_ignored/a.log", "x\n");
	sh_ok(dir, "mkdir -p empty/dir && echo 'secret*' >> .git/info/exclude && "
	      "echo s > secret.txt && echo s > src/secret2");
	check(dir);
	done(dir);
}

static void test_types_links_and_modes(void **state)
{
	(void)state;
	char *dir = repo();

	sh_ok(dir, "ln -s a link && ln -s src dirlink && git add link dirlink && "
	      "git commit -qm links");
	check(dir);
	sh_ok(dir, "ln -sf b link && chmod +x c && rm a && mkdir a && echo f > a/f && "
	      "rm -r src/deep && echo file > src/deep && ln -s nowhere dangling");
	check(dir);
	sh_ok(dir, "git config core.filemode false");
	check(dir);
	done(dir);
}

static void test_odd_names(void **state)
{
	(void)state;
	char *dir = tu_git_repo("a b", "1\n", "a.b", "1\n", "a-b", "1\n", "a0", "1\n",
	                        "a/b", "1\n", "a/b.c/d", "1\n", "\xc3\xa9t\xc3\xa9", "1\n",
	                        "z/a b/c", "1\n", NULL);

	check(dir);
	sh_ok(dir, "echo 2 > 'a b' && echo 2 > a/b && echo 2 > 'z/a b/c' && "
	      "echo n > 'a/b.c/e f' && echo n > a.c && echo 2 > \xc3\xa9t\xc3\xa9");
	check(dir);
	done(dir);
}

static void test_nested_repo_and_submodule(void **state)
{
	(void)state;
	char *dir = repo();
	char *sub = tu_git_repo("s", "1\n", NULL);

	sh_ok(dir, "git init -q nested && echo x > nested/f && mkdir -p lib && "
	      "git init -q lib/inner");
	check(dir);
	tu_sh("cd '%s' && git -c protocol.file.allow=always submodule -q add '%s' "
	      "mod >/dev/null 2>&1 && git commit -qm sub", dir, sub);
	sh_ok(dir, "echo change > mod/s 2>/dev/null || true");
	check(dir);
	done(sub);
	done(dir);
}

static void test_index_v4_and_cache_tree(void **state)
{
	(void)state;
	char *dir = repo();

	sh_ok(dir, "git update-index --index-version 4");
	check(dir);
	sh_ok(dir, "echo 2 > src/x.c && git add src/x.c && echo 3 > src/deep/z.c && "
	      "echo new > src/deep/w.c && git add src/deep/w.c");
	check(dir);
	sh_ok(dir, "git update-index --index-version 2 && git commit -qm c && "
	      "echo 4 > doc/r.md && git add doc/r.md && git rm -rq --cached src/deep");
	check(dir);
	done(dir);
}

static void test_filters(void **state)
{
	(void)state;
	char *dir = tu_git_repo(".gitattributes", "*.txt text eol=crlf\n",
	                        "t.txt", "line\n", "u.txt", "line\n", NULL);

	/* Only the stat data changes: the content, filtered, is the same. */
	sh_ok(dir, "touch t.txt && printf 'line\\r\\n' > u.txt");
	check(dir);
	sh_ok(dir, "printf 'other\\r\\n' > t.txt");
	check(dir);
	done(dir);
}

/* From 2 * WD_JOB_MIN (4096) entries on, with 2 CPUs or more, the stat
 * pass runs on threads. */
static void test_large_index(void **state)
{
	(void)state;
	char *dir = tu_git_repo("top", "1\n", NULL);

	sh_ok(dir, "git config gc.auto 0 && mkdir $(seq -f d%g 0 44) && "
	      "awk 'BEGIN { for (d = 0; d < 45; d++) for (f = 0; f < 100; f++) "
	      "{ p = \"d\" d \"/f\" f; print d \".\" f > p; close(p) } }' && "
	      "git add -A && git commit -qm big");
	check(dir);
	sh_ok(dir, "echo x > d0/f0 && echo x > d22/f50 && rm d44/f99 && "
	      "echo n > d30/new && chmod +x d30/f1");
	check(dir);
	done(dir);
}

/* Indexes the scan does not read: libgit2's status answers. */
static void test_fallbacks(void **state)
{
	(void)state;
	char *dir = repo();
	char *unborn = tu_tmpdir();

	/* (A split index is left out: libgit2 cannot read one at all.) */
	sh_ok(dir, "git update-index --skip-worktree b && echo n > new && "
	      "git add -N new && echo 2 > a");
	check(dir);
	sh_ok(dir, "git update-index --no-skip-worktree b && git reset -q && "
	      "git add -A && git commit -qm x && git checkout -qb other && "
	      "echo other > c && git commit -qam o && git checkout -q main && "
	      "echo main > c && git commit -qam m && "
	      "{ git merge -q other >/dev/null 2>&1 || true; }");
	check(dir); /* a conflict in c */
	sh_ok(unborn, "git init -q -b main . && echo a > a && git add a && echo u > u");
	check(unborn);
	done(unborn);
	done(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_and_plain_changes),
		cmocka_unit_test(test_untracked_and_ignored),
		cmocka_unit_test(test_types_links_and_modes),
		cmocka_unit_test(test_odd_names),
		cmocka_unit_test(test_nested_repo_and_submodule),
		cmocka_unit_test(test_index_v4_and_cache_tree),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_large_index),
		cmocka_unit_test(test_fallbacks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
