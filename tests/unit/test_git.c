/*
 * test_git.c - core/git.c against real repositories made and checked with
 * the real `git` CLI, which serves as the independent oracle.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "git.h"
#include "testutil.h"
#include "util.h"

/* ------------------------------------------------------------- helpers */

/* Output of a command that must succeed, trailing newlines removed.
 * Caller frees. */
#define sh(...) chomp(tu_sh_ok(__VA_ARGS__))
static char *chomp(char *out)
{
	size_t n = strlen(out);

	while (n && out[n - 1] == '\n')
		out[--n] = '\0';
	return out;
}

/* Assert that shell output equals `want`. */
#define assert_sh(want, ...) do {                  \
		char *got_ = sh(__VA_ARGS__);          \
		assert_string_equal(got_, (want));     \
		free(got_);                            \
	} while (0)

static ar_repo *open_ok(const char *dir)
{
	ar_repo *repo = NULL;
	int err = ar_repo_open(&repo, dir);
	if (err != 0)
		fail_msg("ar_repo_open(%s) = %d: %s", dir, err, ar_error_last());
	return repo;
}

#define assert_ok(call) do {                                           \
		int rc_ = (call);                                          \
		if (rc_ != 0)                                              \
			fail_msg("%s = %d: %s", #call, rc_, ar_error_last()); \
	} while (0)

/* Sort a strvec and join it with spaces, for comparisons. Caller frees. */

static void set_paths(ar_strvec *v, const char *first, ...)
{
	va_list ap;

	ar_strvec_clear(v);
	va_start(ap, first);
	for (const char *p = first; p; p = va_arg(ap, const char *))
		ar_strvec_push(v, p);
	va_end(ap);
}

/* ----------------------------------------------------------------- open */

static void test_open_not_a_repo(void **state)
{
	(void)state;
	char *dir = tu_tmpdir(), *missing = ar_path_join(dir, "nope");
	ar_repo *repo = (ar_repo *)1;

	assert_int_equal(ar_repo_open(&repo, dir), AR_ENOREPO);
	assert_null(repo);
	assert_true(tu_contains(ar_error_last(), "not a git repository"));
	assert_true(tu_contains(ar_error_last(), dir));
	assert_true(tu_contains(ar_error_last(), "git init"));

	assert_int_equal(ar_repo_open(&repo, missing), AR_ENOREPO);
	assert_true(tu_contains(ar_error_last(), missing));
	free(missing);
	tu_rm_rf(dir);
	free(dir);
}

static void test_open_discovers_from_subdir(void **state)
{
	(void)state;
	char *dir = tu_git_repo("src/deep/x.c", "int x;\n", NULL);
	char *sub = ar_path_join(dir, "src/deep");
	char *top = sh("git -C '%s' rev-parse --show-toplevel", dir);
	char *gitdir = ar_path_join(top, ".git");
	ar_repo *repo = open_ok(sub);

	assert_string_equal(ar_repo_root(repo), top);
	assert_string_equal(ar_repo_gitdir(repo), gitdir);
	ar_repo_free(repo);
	free(gitdir);
	free(top);
	free(sub);
	tu_rm_rf(dir);
	free(dir);
}

static void test_open_bare_refused(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	ar_repo *repo = NULL;

	assert_int_equal(tu_sh("git init -q --bare '%s/b.git'", dir), 0);
	char *bare = ar_path_join(dir, "b.git");
	assert_int_equal(ar_repo_open(&repo, bare), AR_EUSAGE);
	assert_null(repo);
	assert_true(tu_contains(ar_error_last(), "bare"));
	free(bare);
	tu_rm_rf(dir);
	free(dir);
}

/* ------------------------------------------------------------- branches */

static void test_current_branch_and_detached(void **state)
{
	(void)state;
	char *dir = tu_git_repo("a", "1\n", NULL);
	ar_repo *repo = open_ok(dir);
	char *name = NULL, oid[AR_OID_HEX];

	assert_ok(ar_repo_current_branch(repo, &name));
	assert_string_equal(name, "main");
	free(name);

	assert_int_equal(tu_sh("git -C '%s' checkout -q --detach", dir), 0);
	char *shorthex = sh("git -C '%s' rev-parse --short=7 HEAD", dir);
	assert_int_equal(ar_repo_current_branch(repo, &name), AR_EDETACHED);
	assert_null(name);
	assert_true(tu_contains(ar_error_last(), "detached"));
	assert_true(tu_contains(ar_error_last(), shorthex));
	/* Commits and resets need a branch too. */
	ar_strvec paths = AR_STRVEC_INIT;
	set_paths(&paths, "a", NULL);
	assert_int_equal(ar_repo_commit_paths(repo, &paths, "x", oid),
	                 AR_EDETACHED);
	ar_strvec_release(&paths);
	free(shorthex);
	ar_repo_free(repo);
	tu_rm_rf(dir);
	free(dir);
}

static void test_unborn_branch(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	char oid[AR_OID_HEX], *name = NULL;
	ar_repo *repo;

	assert_int_equal(tu_sh("git init -q -b main '%s'", dir), 0);
	repo = open_ok(dir);
	assert_int_equal(ar_repo_current_branch(repo, &name), AR_ENOTFOUND);
	assert_true(tu_contains(ar_error_last(), "main"));
	assert_int_equal(ar_repo_head(repo, oid), AR_ENOTFOUND);

	/* The first commit works on an unborn branch. */
	tu_write(dir, "f", "first\n");
	ar_strvec paths = AR_STRVEC_INIT;
	set_paths(&paths, "f", NULL);
	assert_ok(ar_repo_commit_paths(repo, &paths, "first", oid));
	assert_sh(oid, "git -C '%s' rev-parse main", dir);
	assert_sh("", "git -C '%s' status --porcelain", dir);
	assert_sh("first", "git -C '%s' show -s --format=%%s HEAD", dir);
	ar_strvec_release(&paths);
	ar_repo_free(repo);
	tu_rm_rf(dir);
	free(dir);
}

static void test_branch_create_exists_checkout(void **state)
{
	(void)state;
	char *dir = tu_git_repo("f", "base\n", NULL);
	ar_repo *repo = open_ok(dir);
	char *head = sh("git -C '%s' rev-parse HEAD", dir), *name = NULL;

	assert_int_equal(ar_repo_branch_exists(repo, "ar/exp"), 0);
	assert_int_equal(ar_repo_branch_exists(repo, "main"), 1);
	assert_int_equal(ar_repo_branch_exists(repo, "bad..name"), AR_EUSAGE);

	tu_write(dir, "f", "local edit\n"); /* carried over: same commit */
	assert_ok(ar_repo_branch_create(repo, "ar/exp"));
	assert_sh("refs/heads/ar/exp", "git -C '%s' symbolic-ref HEAD", dir);
	assert_sh(head, "git -C '%s' rev-parse ar/exp", dir);
	assert_sh(" M f", "git -C '%s' status --porcelain", dir);
	assert_int_equal(ar_repo_branch_exists(repo, "ar/exp"), 1);
	assert_ok(ar_repo_current_branch(repo, &name));
	assert_string_equal(name, "ar/exp");
	free(name);

	assert_int_equal(ar_repo_branch_create(repo, "ar/exp"), AR_EEXISTS);
	assert_int_equal(ar_repo_branch_create(repo, "-bad"), AR_EUSAGE);

	/* Commit on ar/exp, then go back to main: f returns to "base". */
	assert_int_equal(tu_sh("git -C '%s' commit -qam exp", dir), 0);
	assert_ok(ar_repo_branch_checkout(repo, "main"));
	assert_sh("refs/heads/main", "git -C '%s' symbolic-ref HEAD", dir);
	assert_sh("base", "cat '%s/f'", dir);
	assert_sh("", "git -C '%s' status --porcelain", dir);

	/* Safe checkout refuses to overwrite a local change. */
	tu_write(dir, "f", "precious\n");
	assert_true(ar_repo_branch_checkout(repo, "ar/exp") < 0);
	assert_sh("precious", "cat '%s/f'", dir);
	assert_sh("refs/heads/main", "git -C '%s' symbolic-ref HEAD", dir);
	assert_int_equal(ar_repo_branch_checkout(repo, "missing"), AR_ENOTFOUND);

	free(head);
	ar_repo_free(repo);
	tu_rm_rf(dir);
	free(dir);
}

/* --------------------------------------------------------------- status */

static void test_dirty_tracked_ignores_untracked(void **state)
{
	(void)state;
	char *dir = tu_git_repo("a", "1\n", "b", "1\n", "c", "1\n",
	                        ".gitignore", "*.log\n", NULL);
	ar_repo *repo = open_ok(dir);
	ar_strvec v = AR_STRVEC_INIT;
	char *s;

	assert_ok(ar_repo_dirty_tracked(repo, &v));
	assert_int_equal(v.n, 0);

	tu_write(dir, "untracked.txt", "u\n");
	tu_write(dir, "new/dir/deep.txt", "u\n");
	tu_write(dir, "run.log", "ignored\n");
	assert_ok(ar_repo_dirty_tracked(repo, &v));
	assert_int_equal(v.n, 0);

	tu_write(dir, "a", "2\n");                       /* work tree */
	tu_write(dir, "b", "2\n");
	assert_int_equal(tu_sh("git -C '%s' add b", dir), 0); /* staged */
	assert_int_equal(tu_sh("rm '%s/c'", dir), 0);    /* deleted */
	assert_ok(ar_repo_dirty_tracked(repo, &v));
	s = tu_join_sorted(&v);
	assert_string_equal(s, "a b c");
	free(s);
	/* The oracle agrees. */
	assert_sh(" M a\nM  b\n D c",
	          "git -C '%s' status --porcelain --untracked-files=no", dir);

	ar_strvec_release(&v);
	ar_repo_free(repo);
	tu_rm_rf(dir);
	free(dir);
}

static void test_changed_paths_lists_untracked(void **state)
{
	(void)state;
	char *dir = tu_git_repo("a", "1\n", "b", "1\n", "keep", "1\n",
	                        ".gitignore", "*.log\nbuild/\n", NULL);
	ar_repo *repo = open_ok(dir);
	ar_strvec v = AR_STRVEC_INIT;
	char *s;

	assert_ok(ar_repo_changed_paths(repo, &v));
	assert_int_equal(v.n, 0);

	tu_write(dir, "a", "2\n");
	assert_int_equal(tu_sh("rm '%s/b'", dir), 0);
	tu_write(dir, "new.txt", "n\n");
	tu_write(dir, "nested/dir/f.txt", "n\n");
	tu_write(dir, "x.log", "ignored\n");
	tu_write(dir, "build/out.o", "ignored\n");
	assert_ok(ar_repo_changed_paths(repo, &v));
	s = tu_join_sorted(&v);
	assert_string_equal(s, "a b nested/dir/f.txt new.txt");
	free(s);

	ar_strvec_release(&v);
	ar_repo_free(repo);
	tu_rm_rf(dir);
	free(dir);
}

/* --------------------------------------------------------------- commit */

static void test_commit_paths_only_given_paths(void **state)
{
	(void)state;
	char *dir = tu_git_repo("a", "a1\n", "b", "b1\n", "c", "c1\n",
	                        "s", "s1\n", "sub/d", "d1\n", NULL);
	ar_repo *repo = open_ok(dir);
	ar_strvec paths = AR_STRVEC_INIT;
	char oid[AR_OID_HEX];
	char *parent = sh("git -C '%s' rev-parse HEAD", dir);

	tu_write(dir, "a", "a2\n");
	tu_write(dir, "b", "b2\n");                 /* modified, not committed */
	tu_write(dir, "s", "s2\n");                 /* staged, not committed */
	assert_int_equal(tu_sh("git -C '%s' add s", dir), 0);
	tu_write(dir, "tool.sh", "#!/bin/sh\necho hi\n");
	assert_int_equal(tu_sh("chmod +x '%s/tool.sh'", dir), 0);
	tu_write(dir, "newdir/inner/e", "e1\n");
	assert_int_equal(tu_sh("rm '%s/c' '%s/sub/d'", dir, dir), 0);
	tu_write(dir, "untracked", "u\n");          /* not committed */

	set_paths(&paths, "a", "tool.sh", "c", "sub/d", "newdir/inner/e",
	          "a" /* duplicate */, "never-existed", NULL);
	assert_ok(ar_repo_commit_paths(repo, &paths, "ar: try 1", oid));

	assert_sh(oid, "git -C '%s' rev-parse main", dir);
	assert_sh(parent, "git -C '%s' rev-parse HEAD~1", dir);
	assert_sh("M\ta\nD\tc\nA\tnewdir/inner/e\nD\tsub/d\nA\ttool.sh",
	          "git -C '%s' diff-tree --no-commit-id --name-status -r HEAD",
	          dir);
	assert_sh("a2", "git -C '%s' cat-file -p HEAD:a", dir);
	assert_sh("100755", "git -C '%s' ls-tree HEAD tool.sh | cut -c1-6", dir);
	assert_sh("ar: try 1", "git -C '%s' log -1 --format=%%B", dir);
	assert_sh("AR Test <test@example.com>",
	          "git -C '%s' log -1 --format='%%an <%%ae>'", dir);
	/* Committed paths are clean; the rest is exactly as it was. */
	assert_sh(" M b\nM  s\n?? untracked", "git -C '%s' status --porcelain",
	          dir);
	assert_sh("s", "git -C '%s' diff --cached --name-only", dir);
	assert_int_equal(tu_sh("git -C '%s' fsck --strict --no-dangling "
	                       ">/dev/null 2>&1", dir), 0);
	assert_int_equal(tu_sh("git -C '%s' reset -q s", dir), 0);

	/* A same-size edit right after the commit still shows (the index's
	 * stat data must not hide it). */
	tu_write(dir, "a", "a3\n");
	assert_sh(" M a\n M b\n M s\n?? untracked",
	          "git -C '%s' status --porcelain", dir);
	ar_strvec dirty = AR_STRVEC_INIT;
	assert_ok(ar_repo_dirty_tracked(repo, &dirty));
	char *d = tu_join_sorted(&dirty);
	assert_string_equal(d, "a b s");
	free(d);
	ar_strvec_release(&dirty);
	tu_write(dir, "a", "a2\n");

	/* The executable bit alone is a change too. */
	assert_int_equal(tu_sh("chmod -x '%s/tool.sh'", dir), 0);
	set_paths(&paths, "tool.sh", NULL);
	assert_ok(ar_repo_commit_paths(repo, &paths, "mode", oid));
	assert_sh("100644", "git -C '%s' ls-tree HEAD tool.sh | cut -c1-6", dir);
	assert_sh(" M b\n M s\n?? untracked", "git -C '%s' status --porcelain",
	          dir);

	free(parent);
	ar_strvec_release(&paths);
	ar_repo_free(repo);
	tu_rm_rf(dir);
	free(dir);
}

static void test_commit_paths_reflog(void **state)
{
	(void)state;
	char *dir = tu_git_repo("a", "1\n", NULL);
	ar_repo *repo = open_ok(dir);
	ar_strvec paths = AR_STRVEC_INIT;
	char oid[AR_OID_HEX], *log;

	tu_write(dir, "a", "2\n");
	set_paths(&paths, "a", NULL);
	assert_ok(ar_repo_commit_paths(repo, &paths, "ar: reflog me\n\nbody", oid));
	log = sh("git -C '%s' reflog -1 --format=%%gs main", dir);
	assert_true(tu_contains(log, "ar: reflog me"));
	free(log);
	log = sh("git -C '%s' reflog -1 --format=%%gs HEAD", dir);
	assert_true(tu_contains(log, "ar: reflog me"));
	free(log);
	ar_strvec_release(&paths);
	ar_repo_free(repo);
	tu_rm_rf(dir);
	free(dir);
}

/* A path added to the index but deleted from the work tree, committed: it
 * is in neither the commit nor the index afterwards. */
static void test_commit_paths_staged_then_deleted(void **state)
{
	(void)state;
	char *dir = tu_git_repo("a", "1\n", NULL);
	ar_repo *repo = open_ok(dir);
	ar_strvec paths = AR_STRVEC_INIT;
	char oid[AR_OID_HEX];

	tu_write(dir, "ghost", "boo\n");
	assert_int_equal(tu_sh("git -C '%s' add ghost && rm '%s/ghost'",
	                       dir, dir), 0);
	tu_write(dir, "a", "2\n");
	set_paths(&paths, "a", "ghost", NULL);
	assert_ok(ar_repo_commit_paths(repo, &paths, "m", oid));
	assert_sh("a", "git -C '%s' ls-tree --name-only HEAD", dir);
	assert_sh("a", "git -C '%s' ls-files", dir);
	assert_sh("", "git -C '%s' status --porcelain", dir);
	ar_strvec_release(&paths);
	ar_repo_free(repo);
	tu_rm_rf(dir);
	free(dir);
}

static void test_commit_paths_file_becomes_dir(void **state)
{
	(void)state;
	char *dir = tu_git_repo("x", "file\n", "y/z", "in dir\n", NULL);
	ar_repo *repo = open_ok(dir);
	ar_strvec changed = AR_STRVEC_INIT;
	char oid[AR_OID_HEX], *s;

	assert_int_equal(tu_sh("cd '%s' && rm x && mkdir x && echo f > x/f && "
	                       "rm -r y && echo g > y", dir), 0);
	assert_ok(ar_repo_changed_paths(repo, &changed));
	s = tu_join_sorted(&changed);
	assert_string_equal(s, "x x/f y y/z");
	free(s);
	assert_ok(ar_repo_commit_paths(repo, &changed, "swap", oid));
	assert_sh("100644 blob x/f\n100644 blob y",
	          "git -C '%s' ls-tree -r HEAD | awk '{print $1, $2, $4}'", dir);
	assert_sh("", "git -C '%s' status --porcelain", dir);
	ar_strvec_release(&changed);
	ar_repo_free(repo);
	tu_rm_rf(dir);
	free(dir);
}

static void test_commit_paths_bad_input(void **state)
{
	(void)state;
	char *dir = tu_git_repo("a", "1\n", "d/e", "1\n", NULL);
	ar_repo *repo = open_ok(dir);
	ar_strvec paths = AR_STRVEC_INIT;
	char oid[AR_OID_HEX];
	char *head = sh("git -C '%s' rev-parse HEAD", dir);
	const char *bad[] = { "/etc/passwd", "../x", "a/../a", "./a", "d/",
	                      "", "d//e" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		set_paths(&paths, bad[i], NULL);
		assert_int_equal(ar_repo_commit_paths(repo, &paths, "m", oid),
		                 AR_EUSAGE);
		assert_true(tu_contains(ar_error_last(), bad[i]));
	}
	set_paths(&paths, "a", NULL);
	assert_int_equal(ar_repo_commit_paths(repo, &paths, "", oid), AR_EUSAGE);
	assert_int_equal(ar_repo_commit_paths(repo, &paths, NULL, oid), AR_EUSAGE);
	/* A directory is not a file list. */
	set_paths(&paths, "d", NULL);
	assert_int_equal(ar_repo_commit_paths(repo, &paths, "m", oid), AR_EUSAGE);
	assert_true(tu_contains(ar_error_last(), "directory"));
	/* Nothing moved. */
	assert_sh(head, "git -C '%s' rev-parse HEAD", dir);
	free(head);
	ar_strvec_release(&paths);
	ar_repo_free(repo);
	tu_rm_rf(dir);
	free(dir);
}

/* main() points HOME at an empty directory, so with the repository's own
 * identity removed there is none anywhere. */
static void test_commit_fallback_identity(void **state)
{
	(void)state;
	char *dir = tu_git_repo("a", "1\n", NULL);
	ar_strvec paths = AR_STRVEC_INIT;
	char oid[AR_OID_HEX], *sys = NULL;
	ar_repo *repo;

	if (tu_sh_out(&sys, "env -u GIT_CONFIG_NOSYSTEM git config --system "
	              "user.name") == 0) {
		free(sys);
		skip(); /* the machine sets an identity system-wide */
	}
	free(sys);
	assert_int_equal(tu_sh("git -C '%s' config --unset user.name && "
	                       "git -C '%s' config --unset user.email",
	                       dir, dir), 0);
	repo = open_ok(dir);
	tu_write(dir, "a", "2\n");
	set_paths(&paths, "a", NULL);
	assert_ok(ar_repo_commit_paths(repo, &paths, "anon", oid));
	assert_sh("ar <ar@localhost> ar <ar@localhost>",
	          "git -C '%s' log -1 --format='%%an <%%ae> %%cn <%%ce>'", dir);
	ar_repo_free(repo);
	ar_strvec_release(&paths);
	tu_rm_rf(dir);
	free(dir);
}

/* ---------------------------------------------------------------- reset */

static void test_reset_paths_leaves_others_alone(void **state)
{
	(void)state;
	char *dir = tu_git_repo("a", "a1\n", "b", "b1\n", "gone", "g1\n", NULL);
	ar_repo *repo = open_ok(dir);
	ar_strvec paths = AR_STRVEC_INIT;
	char base[AR_OID_HEX], oid[AR_OID_HEX];

	assert_ok(ar_repo_head(repo, base));
	assert_sh(base, "git -C '%s' rev-parse HEAD", dir);

	/* The experiment: change a, add new/dir/f, delete gone; commit. */
	tu_write(dir, "a", "a2\n");
	tu_write(dir, "new/dir/f", "f\n");
	assert_int_equal(tu_sh("rm '%s/gone'", dir), 0);
	set_paths(&paths, "a", "new/dir/f", "gone", NULL);
	assert_ok(ar_repo_commit_paths(repo, &paths, "experiment", oid));
	/* Meanwhile, unrelated local work that must survive the reset. */
	tu_write(dir, "b", "b-local\n");
	tu_write(dir, "scratch.txt", "mine\n");
	tu_write(dir, "new/keep.txt", "mine too\n");

	assert_ok(ar_repo_reset_paths(repo, base, &paths));
	assert_sh(base, "git -C '%s' rev-parse main", dir);
	assert_sh("refs/heads/main", "git -C '%s' symbolic-ref HEAD", dir);
	assert_sh("a1", "cat '%s/a'", dir);
	assert_sh("g1", "cat '%s/gone'", dir);
	assert_false(tu_exists(dir, "new/dir/f"));
	assert_false(tu_exists(dir, "new/dir"));   /* emptied: removed */
	assert_true(tu_exists(dir, "new/keep.txt")); /* not emptied: kept */
	assert_sh("b-local", "cat '%s/b'", dir);
	assert_sh(" M b\n?? new/\n?? scratch.txt",
	          "git -C '%s' status --porcelain", dir);
	assert_sh("", "git -C '%s' diff --cached --name-only", dir);

	ar_strvec_release(&paths);
	ar_repo_free(repo);
	tu_rm_rf(dir);
	free(dir);
}

static void test_reset_paths_exec_bit_and_bad_input(void **state)
{
	(void)state;
	char *dir = tu_git_repo("run.sh", "echo 1\n", NULL);
	ar_repo *repo = open_ok(dir);
	ar_strvec paths = AR_STRVEC_INIT;
	char base[AR_OID_HEX], oid[AR_OID_HEX];

	assert_ok(ar_repo_head(repo, base));
	assert_int_equal(tu_sh("chmod +x '%s/run.sh'", dir), 0);
	tu_write(dir, "run.sh", "echo 2\n");
	set_paths(&paths, "run.sh", NULL);
	assert_ok(ar_repo_commit_paths(repo, &paths, "exec", oid));
	assert_sh("100755", "git -C '%s' ls-tree HEAD run.sh | cut -c1-6", dir);
	assert_ok(ar_repo_reset_paths(repo, base, &paths));
	assert_sh("echo 1", "cat '%s/run.sh'", dir);
	assert_int_equal(tu_sh("test -x '%s/run.sh'", dir), 1);
	assert_sh("", "git -C '%s' status --porcelain", dir);

	assert_int_equal(ar_repo_reset_paths(repo, "zzz", &paths), AR_EUSAGE);
	assert_int_equal(ar_repo_reset_paths(repo,
	                 "0123456789012345678901234567890123456789", &paths),
	                 AR_ENOTFOUND);
	set_paths(&paths, "../escape", NULL);
	assert_int_equal(ar_repo_reset_paths(repo, base, &paths), AR_EUSAGE);
	assert_sh(base, "git -C '%s' rev-parse HEAD", dir);
	ar_strvec_release(&paths);
	ar_repo_free(repo);
	tu_rm_rf(dir);
	free(dir);
}

static void test_restore_paths(void **state)
{
	(void)state;
	char *dir = tu_git_repo("a", "a1\n", "b", "b1\n", "c", "c1\n",
	                        "d", "d1\n", NULL);
	ar_repo *repo = open_ok(dir);
	ar_strvec paths = AR_STRVEC_INIT;
	char *head = sh("git -C '%s' rev-parse HEAD", dir);

	tu_write(dir, "a", "a2\n");                         /* modified */
	tu_write(dir, "b", "b2\n");
	assert_int_equal(tu_sh("git -C '%s' add b", dir), 0); /* staged */
	assert_int_equal(tu_sh("rm '%s/c'", dir), 0);       /* deleted */
	tu_write(dir, "n", "new\n");                        /* untracked */
	tu_write(dir, "d", "d2\n");                         /* left alone */
	tu_write(dir, "other", "untouched\n");

	set_paths(&paths, "a", "b", "c", "n", NULL);
	assert_ok(ar_repo_restore_paths(repo, &paths));
	assert_sh("a1", "cat '%s/a'", dir);
	assert_sh("b1", "cat '%s/b'", dir);
	assert_sh("c1", "cat '%s/c'", dir);
	assert_false(tu_exists(dir, "n"));
	assert_sh(" M d\n?? other", "git -C '%s' status --porcelain", dir);
	assert_sh(head, "git -C '%s' rev-parse HEAD", dir);

	/* Staged, then put back by hand: the index must still be restored. */
	tu_write(dir, "a", "a3\n");
	assert_int_equal(tu_sh("git -C '%s' add a", dir), 0);
	tu_write(dir, "a", "a1\n");
	set_paths(&paths, "a", NULL);
	assert_ok(ar_repo_restore_paths(repo, &paths));
	assert_sh(" M d\n?? other", "git -C '%s' status --porcelain", dir);

	free(head);
	ar_strvec_release(&paths);
	ar_repo_free(repo);
	tu_rm_rf(dir);
	free(dir);
}

/* ----------------------------------------------------------------- refs */

static void test_refs_resolve_ancestor(void **state)
{
	(void)state;
	char *dir = tu_git_repo("a", "1\n", NULL);
	ar_repo *repo = open_ok(dir);
	char first[AR_OID_HEX], second[AR_OID_HEX], got[AR_OID_HEX];
	char *s;

	assert_ok(ar_repo_head(repo, first));
	tu_write(dir, "a", "2\n");
	assert_int_equal(tu_sh("git -C '%s' commit -qam two", dir), 0);
	assert_ok(ar_repo_head(repo, second));
	s = sh("git -C '%s' rev-parse HEAD", dir);
	assert_string_equal(second, s);
	free(s);

	assert_ok(ar_repo_resolve(repo, "HEAD~1", got));
	assert_string_equal(got, first);
	assert_ok(ar_repo_resolve(repo, "main", got));
	assert_string_equal(got, second);
	assert_int_equal(tu_sh("git -C '%s' tag -a -m t v1 HEAD~1", dir), 0);
	assert_ok(ar_repo_resolve(repo, "v1", got)); /* peeled to the commit */
	assert_string_equal(got, first);
	assert_int_equal(ar_repo_resolve(repo, "no-such-ref", got), AR_ENOTFOUND);
	assert_int_equal(ar_repo_resolve(repo, "", got), AR_EUSAGE);

	assert_ok(ar_repo_ref_set(repo, "refs/autoresearch/s1/1", first, "keep"));
	assert_sh(first, "git -C '%s' rev-parse refs/autoresearch/s1/1", dir);
	assert_ok(ar_repo_ref_set(repo, "refs/autoresearch/s1/1", second, "move"));
	assert_sh(second, "git -C '%s' rev-parse refs/autoresearch/s1/1", dir);
	assert_ok(ar_repo_resolve(repo, "refs/autoresearch/s1/1", got));
	assert_string_equal(got, second);
	assert_int_equal(ar_repo_ref_set(repo, "refs/bad..name", first, "x"),
	                 AR_EUSAGE);
	assert_int_equal(ar_repo_ref_set(repo, "refs/ok", "abc", "x"), AR_EUSAGE);
	assert_true(ar_repo_ref_set(repo, "refs/ok",
	            "0000000000000000000000000000000000000001", "x") < 0);

	assert_int_equal(ar_repo_is_ancestor(repo, first, second), 1);
	assert_int_equal(ar_repo_is_ancestor(repo, second, second), 1);
	assert_int_equal(ar_repo_is_ancestor(repo, second, first), 0);
	assert_int_equal(ar_repo_is_ancestor(repo, "nothex", first), AR_EUSAGE);

	ar_repo_free(repo);
	tu_rm_rf(dir);
	free(dir);
}

/* ------------------------------------------------------- content, diffs */

static void test_blob_summary_diff(void **state)
{
	(void)state;
	char *dir = tu_git_repo("f", "one\ntwo\nthree\n", "g", "g\n", NULL);
	ar_repo *repo = open_ok(dir);
	char a[AR_OID_HEX], b[AR_OID_HEX], *out = NULL, *want;
	size_t len = 0;
	int added = -1, removed = -1;

	assert_ok(ar_repo_head(repo, a));
	tu_write(dir, "f", "one\nTWO\nthree\nfour\nfive\n");
	assert_int_equal(tu_sh("git -C '%s' rm -q g && git -C '%s' commit -qam "
	                       "'subject line\n\nbody text'", dir, dir), 0);
	assert_ok(ar_repo_head(repo, b));

	assert_ok(ar_repo_diff_stat(repo, a, b, &added, &removed));
	want = sh("git -C '%s' diff --numstat %s %s | "
	          "awk '{a+=$1; d+=$2} END {print a, d}'", dir, a, b);
	char gotstat[64];
	snprintf(gotstat, sizeof(gotstat), "%d %d", added, removed);
	assert_string_equal(gotstat, want);
	assert_string_equal(gotstat, "3 2");
	free(want);

	assert_ok(ar_repo_diff_text(repo, a, b, &out));
	assert_true(tu_contains(out, "diff --git a/f b/f"));
	assert_true(tu_contains(out, "-two\n+TWO\n"));
	assert_true(tu_contains(out, "+five\n"));
	assert_true(tu_contains(out, "deleted file mode"));
	free(out);
	assert_ok(ar_repo_diff_stat(repo, b, b, &added, &removed));
	assert_int_equal(added + removed, 0);

	assert_ok(ar_repo_blob(repo, a, "f", &out, &len));
	assert_string_equal(out, "one\ntwo\nthree\n");
	assert_int_equal(len, 14);
	free(out);
	assert_int_equal(ar_repo_blob(repo, b, "g", &out, &len), AR_ENOTFOUND);
	assert_null(out);
	assert_int_equal(ar_repo_blob(repo, b, "nope/x", &out, NULL), AR_ENOTFOUND);

	assert_ok(ar_repo_commit_summary(repo, b, &out));
	assert_string_equal(out, "subject line");
	free(out);
	assert_int_equal(ar_repo_commit_summary(repo, "xyz", &out), AR_EUSAGE);
	assert_int_equal(ar_repo_diff_stat(repo, "bad", b, &added, &removed),
	                 AR_EUSAGE);

	ar_repo_free(repo);
	tu_rm_rf(dir);
	free(dir);
}

/* --------------------------------------------------------------- config */

static void test_exclude_add_idempotent(void **state)
{
	(void)state;
	char *dir = tu_git_repo("a", "1\n", NULL);
	ar_repo *repo = open_ok(dir);
	const char *pats[] = { ".autoresearch/", "*.ar.log" };
	ar_strvec v = AR_STRVEC_INIT;

	/* No info/ directory to begin with. */
	assert_int_equal(tu_sh("rm -rf '%s/.git/info'", dir), 0);
	assert_ok(ar_repo_exclude_add(repo, pats, 2));
	assert_ok(ar_repo_exclude_add(repo, pats, 2));
	assert_ok(ar_repo_exclude_add(repo, pats + 1, 1));
	assert_sh(".autoresearch/\n*.ar.log", "cat '%s/.git/info/exclude'", dir);

	/* A file without a final newline keeps its line intact. */
	assert_int_equal(tu_sh("printf 'mine' > '%s/.git/info/exclude'", dir), 0);
	assert_ok(ar_repo_exclude_add(repo, pats, 2));
	assert_ok(ar_repo_exclude_add(repo, pats, 2));
	assert_sh("mine\n.autoresearch/\n*.ar.log",
	          "cat '%s/.git/info/exclude'", dir);

	/* git and we both honour it. */
	tu_write(dir, ".autoresearch/state.json", "{}\n");
	tu_write(dir, "x.ar.log", "log\n");
	assert_sh("", "git -C '%s' status --porcelain", dir);
	assert_ok(ar_repo_changed_paths(repo, &v));
	assert_int_equal(v.n, 0);

	const char *bad[] = { "two\nlines" };
	assert_int_equal(ar_repo_exclude_add(repo, bad, 1), AR_EUSAGE);
	ar_strvec_release(&v);
	ar_repo_free(repo);
	tu_rm_rf(dir);
	free(dir);
}

static void test_config_get(void **state)
{
	(void)state;
	char *dir = tu_git_repo("a", "1\n", NULL);
	ar_repo *repo = open_ok(dir);
	char *val = NULL;

	assert_ok(ar_repo_config_get(repo, "user.name", &val));
	assert_string_equal(val, "AR Test");
	free(val);
	assert_int_equal(ar_repo_config_get(repo, "ar.nosuchkey", &val),
	                 AR_ENOTFOUND);
	assert_null(val);
	assert_true(tu_contains(ar_error_last(), "ar.nosuchkey"));
	assert_true(ar_repo_config_get(repo, "nodot", &val) < 0);
	assert_int_equal(ar_repo_config_get(repo, "", &val), AR_EUSAGE);
	ar_repo_free(repo);
	tu_rm_rf(dir);
	free(dir);
}

int main(void)
{
	/* Neither git nor libgit2 may see the user's own configuration. */
	char *home = tu_tmpdir();
	int failed;

	setenv("HOME", home, 1);
	setenv("XDG_CONFIG_HOME", home, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_not_a_repo),
		cmocka_unit_test(test_open_discovers_from_subdir),
		cmocka_unit_test(test_open_bare_refused),
		cmocka_unit_test(test_current_branch_and_detached),
		cmocka_unit_test(test_unborn_branch),
		cmocka_unit_test(test_branch_create_exists_checkout),
		cmocka_unit_test(test_dirty_tracked_ignores_untracked),
		cmocka_unit_test(test_changed_paths_lists_untracked),
		cmocka_unit_test(test_commit_paths_only_given_paths),
		cmocka_unit_test(test_commit_paths_reflog),
		cmocka_unit_test(test_commit_paths_staged_then_deleted),
		cmocka_unit_test(test_commit_paths_file_becomes_dir),
		cmocka_unit_test(test_commit_paths_bad_input),
		cmocka_unit_test(test_commit_fallback_identity),
		cmocka_unit_test(test_reset_paths_leaves_others_alone),
		cmocka_unit_test(test_reset_paths_exec_bit_and_bad_input),
		cmocka_unit_test(test_restore_paths),
		cmocka_unit_test(test_refs_resolve_ancestor),
		cmocka_unit_test(test_blob_summary_diff),
		cmocka_unit_test(test_exclude_add_idempotent),
		cmocka_unit_test(test_config_get),
	};
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	tu_rm_rf(home);
	free(home);
	return failed;
}
