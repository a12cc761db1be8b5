/*
 * test_faults.c - the engine against bad input and faults, through the real
 * `ar` binary: no repository, a detached HEAD, dirty files, bad options and
 * configuration, commands that are missing or print 100 MB on one line or
 * binary garbage, a metric that never appears, and a full disk (through
 * /dev/full, and a real tiny tmpfs when this machine lets us mount one).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <ctype.h>
#include <errno.h>
#include <sys/mount.h>
#include "testutil.h"
#include "../fixtures/engine/engine_tu.h"

static char *session(void)
{
	char *dir = eng_repo(ENG_YAML, "echo 'score: 5'\n");
	eng_init(dir, "t");
	free(eng_ok(dir, "baseline"));
	return dir;
}

/* 1 when haystack contains needle, ignoring case. */
static int contains_nocase(const char *haystack, const char *needle)
{
	char *h = ar_xstrdup(haystack ? haystack : ""), *n = ar_xstrdup(needle);
	for (char *p = h; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	for (char *p = n; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	int r = strstr(h, n) != NULL;
	free(h);
	free(n);
	return r;
}

static char *last_status(const char *dir)
{
	json_t *last = eng_last(dir);
	char *st = ar_xstrdup(eng_jstr(last, "status"));
	json_decref(last);
	return st;
}

/* ---- where ar is run ------------------------------------------------------ */

static void test_not_a_git_repo(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	static const char *const cmds[] = { "init --tag t", "baseline", "step -m x" };

	tu_write(dir, ".autoresearch.yaml", ENG_YAML);
	tu_write(dir, "train.sh", "echo 'score: 1'\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char *out = NULL;
		int rc = tu_ar(dir, &out, "%s", cmds[i]);
		if (rc != 1 || !tu_contains(out, "not a git repository"))
			fail_msg("`ar %s` outside a repository: exit %d: %s", cmds[i], rc, out);
		free(out);
	}
	assert_false(tu_exists(dir, "results.tsv"));
	assert_false(tu_exists(dir, "autoresearch.jsonl"));
	assert_false(tu_exists(dir, ".autoresearch"));
	tu_rm_rf(dir);
	free(dir);
}

static void test_detached_head(void **state)
{
	(void)state;
	char *dir = eng_repo(ENG_YAML, "echo 'score: 5'\n");
	char *out = NULL, *err = NULL;

	assert_int_equal(tu_sh("git -C '%s' checkout -q --detach", dir), 0);
	assert_int_equal(eng_ar(dir, &out, &err, "init --tag t"), 1);
	assert_true(contains_nocase(err, "detached"));
	assert_int_not_equal(tu_sh("git -C '%s' rev-parse -q --verify "
	                           "refs/heads/autoresearch/t >/dev/null", dir), 0);
	free(out);
	free(err);

	/* A session whose HEAD got detached: step refuses, runs nothing. */
	assert_int_equal(tu_sh("git -C '%s' checkout -q main", dir), 0);
	eng_init(dir, "t");
	free(eng_ok(dir, "baseline"));
	assert_int_equal(tu_sh("git -C '%s' checkout -q --detach", dir), 0);
	eng_score(dir, "4");
	assert_int_equal(eng_ar(dir, &out, &err, "step -m detached"), 1);
	assert_true(contains_nocase(err, "detached"));
	assert_int_equal(eng_nresults(dir), 1);
	assert_false(tu_exists(dir, ".autoresearch/logs/2.log"));
	free(out);
	free(err);
	tu_rm_rf(dir);
	free(dir);
}

static void test_step_outside_a_session(void **state)
{
	(void)state;
	char *dir = eng_repo(ENG_YAML, "echo 'score: 5'\n");
	char *out = NULL, *err = NULL;

	eng_score(dir, "4");
	assert_int_equal(eng_ar(dir, &out, &err, "step -m nosession"), 2);
	assert_true(tu_contains(err, "ar init"));
	char *log = eng_git(dir, "log --oneline");
	assert_int_equal(strchr(log, '\n') == NULL, 1); /* still one commit */
	assert_false(tu_exists(dir, "results.tsv"));
	free(log);
	free(out);
	free(err);
	tu_rm_rf(dir);
	free(dir);
}

static void test_dirty_tracked_files(void **state)
{
	(void)state;
	char *dir = eng_repo(ENG_YAML, "echo 'score: 5'\n");
	char *out = NULL, *err = NULL;

	/* Staged only, and a deletion: both are uncommitted changes. */
	tu_write(dir, "README", "staged\n");
	assert_int_equal(tu_sh("git -C '%s' add README && rm '%s/eval.sh'", dir, dir), 0);
	assert_int_equal(eng_ar(dir, &out, &err, "init --tag t"), 1);
	assert_true(tu_contains(err, "README"));
	assert_true(tu_contains(err, "eval.sh"));
	assert_false(tu_exists(dir, "eval.sh")); /* nothing was reset */
	char *staged = eng_git(dir, "diff --cached --name-only");
	eng_assert_str(staged, "README");
	free(staged);
	free(out);
	free(err);
	tu_rm_rf(dir);
	free(dir);
}

/* ---- bad options and configuration ---------------------------------------- */

static void test_usage_errors(void **state)
{
	(void)state;
	char *dir = session();
	char *out = NULL, *err = NULL;

	eng_score(dir, "4");
	assert_int_equal(eng_ar(dir, &out, &err, "step"), 2);
	assert_true(tu_contains(err, "-m"));
	free(out);
	free(err);
	assert_int_equal(eng_ar(dir, &out, &err, "step -m ''"), 2);
	free(out);
	free(err);
	assert_int_equal(eng_ar(dir, &out, &err, "step --bogus -m x"), 2);
	free(out);
	free(err);
	assert_int_equal(eng_ar(dir, &out, &err, "baseline --bogus"), 2);
	free(out);
	free(err);
	assert_int_equal(eng_ar(dir, &out, &err, "-c nonsense step -m x"), 2);
	free(out);
	free(err);
	assert_int_equal(eng_ar(dir, &out, &err, "-c time_budget=soon step -m x"), 2);
	assert_true(tu_contains(err, "time_budget"));
	free(out);
	free(err);
	assert_int_equal(eng_nresults(dir), 1);
	char *st = eng_git(dir, "status --porcelain");
	eng_assert_str(st, " M train.sh"); /* the change waits, untouched */
	free(st);
	tu_rm_rf(dir);
	free(dir);
}

static void test_missing_run_command_or_metric(void **state)
{
	(void)state;
	char *out = NULL, *err = NULL;
	char *dir = eng_repo("adapter: custom\ntarget_files: [train.sh]\n"
	                     "metric: {name: score}\n", "echo 'score: 5'\n");

	eng_init(dir, "t");
	assert_int_equal(eng_ar(dir, &out, &err, "baseline"), 2);
	assert_true(tu_contains(err, "run_command"));
	assert_int_equal(eng_nresults(dir), 0);
	free(out);
	free(err);
	/* An override supplies it. */
	assert_int_equal(eng_ar(dir, &out, &err, "-c 'run_command=sh train.sh' baseline"), 0);
	assert_true(tu_contains(out, "5.000000 baseline"));
	free(out);
	free(err);
	tu_rm_rf(dir);
	free(dir);

	dir = eng_repo("adapter: custom\ntarget_files: [train.sh]\n"
	               "metric: {direction: sideways}\n", "echo 'score: 5'\n");
	assert_int_equal(eng_ar(dir, &out, &err, "init --tag t"), 2);
	assert_true(tu_contains(err, "direction"));
	free(out);
	free(err);
	tu_rm_rf(dir);
	free(dir);
}

/* Descriptions with tabs, newlines and invalid UTF-8 keep both ledger
 * files well-formed. */
static void test_hostile_description(void **state)
{
	(void)state;
	char *dir = session();
	ar_strvec tsv = AR_STRVEC_INIT;

	eng_score(dir, "4");
	free(eng_ok(dir, "step -m \"$(printf 'a\\tb\\nc \\377\\376 \"q\" \\\\ end')\""));
	eng_tsv(dir, &tsv);
	assert_int_equal(tsv.n, 3);
	assert_true(tu_contains(tsv.items[2], "\tkeep\ta b c "));
	ar_strvec_release(&tsv);
	json_t *last = eng_last(dir); /* parses: valid JSON */
	const char *d = eng_jstr(last, "description");
	assert_non_null(d);
	assert_true(!strncmp(d, "a\tb\nc ", 6));
	assert_true(tu_contains(d, "\"q\" \\ end"));
	json_decref(last);
	eng_check_ledger(dir);
	tu_rm_rf(dir);
	free(dir);
}

/* ---- what the run does ------------------------------------------------------ */

static void test_command_not_found(void **state)
{
	(void)state;
	char *dir = session();
	char *best = eng_head(dir), *out = NULL, *err = NULL;

	tu_write(dir, "train.sh", "no_such_command_ar_test_42 --train\n");
	assert_int_equal(eng_ar(dir, &out, &err, "step -m missing"), 0);
	assert_true(tu_contains(out, " crash missing"));
	char *st = last_status(dir);
	eng_assert_str(st, "crash");
	json_t *last = eng_last(dir);
	assert_true(tu_contains(eng_jstr(last, "reason"), "command not found"));
	json_decref(last);
	char *head = eng_head(dir);
	eng_assert_str(head, best);
	free(head);

	/* The run command itself missing. */
	free(out);
	free(err);
	eng_score(dir, "4");
	assert_int_equal(eng_ar(dir, &out, &err, "-c run_command=no_such_command_ar_test_43 "
	                        "step -m 'no runner'"), 0);
	last = eng_last(dir);
	eng_assert_str(eng_jstr(last, "status"), "crash");
	assert_true(tu_contains(eng_jstr(last, "reason"), "command not found"));
	json_decref(last);
	eng_check_ledger(dir);
	free(st);
	free(out);
	free(err);
	free(best);
	tu_rm_rf(dir);
	free(dir);
}

static void test_huge_single_line_output(void **state)
{
	(void)state;
	char *dir = session();

	tu_write(dir, "train.sh", "head -c 100000000 /dev/zero | tr '\\0' x; echo\n"
	                          "echo 'score: 1'\n");
	char *out = eng_ok(dir, "step -m 'one huge line'");
	assert_true(tu_contains(out, " 1.000000 keep one huge line"));
	free(out);
	/* The log has it all; the ledger stays small. */
	char *log = ar_path_join(dir, ".autoresearch/logs/2.log");
	assert_int_equal(tu_sh("test $(wc -c < '%s') -ge 100000000", log), 0);
	free(log);
	assert_int_equal(tu_sh("test $(wc -c < '%s/autoresearch.jsonl') -lt 10000", dir), 0);
	eng_check_ledger(dir);
	tu_rm_rf(dir);
	free(dir);
}

static void test_binary_garbage_output(void **state)
{
	(void)state;
	char *dir = session();

	tu_write(dir, "train.sh", "head -c 1000000 /dev/urandom; echo; echo 'score: 2'\n");
	char *out = eng_ok(dir, "step -m garbage");
	assert_true(tu_contains(out, " 2.000000 keep garbage"));
	free(out);

	tu_write(dir, "train.sh", "head -c 1000000 /dev/urandom\n");
	out = eng_ok(dir, "step -m 'only garbage'");
	assert_true(tu_contains(out, " crash only garbage"));
	free(out);
	eng_check_ledger(dir); /* every line still parses */
	char *dash = tu_read(dir, "autoresearch_dashboard.md");
	assert_non_null(dash);
	free(dash);
	tu_rm_rf(dir);
	free(dir);
}

static void test_metric_never_appears(void **state)
{
	(void)state;
	char *dir = eng_repo(ENG_YAML_BASE "metric: {name: acc, pattern: \"^acc=(\\\\S+)\"}\n",
	                     "echo 'acc=1'\n");
	eng_init(dir, "t");
	free(eng_ok(dir, "baseline"));
	char *best = eng_head(dir);

	tu_write(dir, "train.sh", "echo 'training...'; echo 'accuracy 0.9'; echo done\n");
	char *out = eng_ok(dir, "step -m 'no acc line'");
	assert_true(tu_contains(out, " crash no acc line"));
	json_t *last = eng_last(dir);
	assert_true(json_is_null(json_object_get(last, "score")));
	assert_non_null(eng_jstr(last, "reason"));
	assert_true(strlen(eng_jstr(last, "reason")) > 0);
	json_decref(last);
	char *head = eng_head(dir), *train = tu_read(dir, "train.sh");
	eng_assert_str(head, best);
	eng_assert_str(train, "echo 'acc=1'\n");
	free(train);
	free(head);
	free(out);
	free(best);
	tu_rm_rf(dir);
	free(dir);
}

/* The dashboard is only a view: when it cannot be written the result is
 * still recorded, kept and reported, with a warning. */
static void test_dashboard_unwritable(void **state)
{
	(void)state;
	char *dir = session();
	char *out = NULL, *err = NULL;

	assert_int_equal(tu_sh("cd '%s' && rm autoresearch_dashboard.md && "
	                       "mkdir -p autoresearch_dashboard.md/x", dir), 0);
	eng_score(dir, "4");
	assert_int_equal(eng_ar(dir, &out, &err, "step -m 'no dashboard'"), 0);
	assert_true(tu_contains(out, " keep no dashboard"));
	assert_true(tu_contains(err, "autoresearch_dashboard.md"));
	char *files = eng_git(dir, "show --name-only --format= HEAD");
	eng_assert_str(files, "train.sh");
	char *st = tu_read(dir, ".autoresearch/state");
	assert_false(tu_contains(st, "pending"));
	eng_check_ledger(dir);
	free(st);
	free(files);
	free(out);
	free(err);
	tu_rm_rf(dir);
	free(dir);
}

/* ---- a full disk -------------------------------------------------------------- */

/*
 * The ledger cannot be written (autoresearch.jsonl is /dev/full): ar says so
 * and fails, and the experiment is not kept: the branch stays at the best
 * and the target file is restored.
 */
static void test_disk_full_dev_full(void **state)
{
	(void)state;
	char *dir = session();
	char *best = eng_head(dir), *out = NULL, *err = NULL;

	assert_int_equal(tu_sh("cd '%s' && mv autoresearch.jsonl saved.jsonl && "
	                       "ln -s /dev/full autoresearch.jsonl", dir), 0);
	eng_score(dir, "4");
	int rc = eng_ar(dir, &out, &err, "step -m 'no room'");
	assert_int_not_equal(rc, 0);
	/* The ledger is refused before anything runs: not a regular file. */
	if (!contains_nocase(err, "not a regular file"))
		fail_msg("no \"not a regular file\" message: %s", err);
	char *head = eng_head(dir), *train = tu_read(dir, "train.sh");
	eng_assert_str(head, best);
	/* Nothing ran, so the user's uncommitted change is still there. */
	eng_assert_str(train, "echo 'score: 4'\n");
	free(train);
	free(head);
	free(out);
	free(err);

	/* Space again: the session goes on, its ledger consistent. */
	assert_int_equal(tu_sh("cd '%s' && rm autoresearch.jsonl && "
	                       "mv saved.jsonl autoresearch.jsonl", dir), 0);
	eng_score(dir, "3");
	free(eng_ok(dir, "step -m 'room again'"));
	eng_check_ledger(dir);
	json_t *last = eng_last(dir);
	eng_assert_str(eng_jstr(last, "status"), "keep");
	json_decref(last);
	char *parent = eng_git(dir, "rev-parse HEAD~1");
	eng_assert_str(parent, best);
	free(parent);
	free(best);
	tu_rm_rf(dir);
	free(dir);
}

/*
 * A real full disk: the repository on a 2 MB tmpfs that a check fills
 * after the run, so the ledger append hits ENOSPC.  ar fails with a clear
 * message and leaves no partial line; once space is freed the next step
 * recovers (the unrecorded experiment is logged as interrupted).
 */
static int tmpfs_setup(void **state)
{
	char *mnt = tu_tmpdir();
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=2m") != 0) {
		print_message("cannot mount a tmpfs here (%s)\n", strerror(errno));
		tu_rm_rf(mnt);
		free(mnt);
		mnt = NULL;
	}
	*state = mnt;
	return 0;
}

/* Unmounts even when the test failed half-way. */
static int tmpfs_teardown(void **state)
{
	char *mnt = *state;
	if (mnt) {
		umount2(mnt, MNT_DETACH);
		tu_rm_rf(mnt);
		free(mnt);
	}
	return 0;
}

static void test_disk_full_tmpfs(void **state)
{
	const char *mnt = *state;
	char *old = getenv("TMPDIR") ? ar_xstrdup(getenv("TMPDIR")) : NULL;
	char *out = NULL, *err = NULL;

	if (!mnt) {
		print_message("skipped: needs a tmpfs mount (root)\n");
		free(old);
		skip();
	}
	setenv("TMPDIR", mnt, 1);
	char *dir = tu_git_repo(".autoresearch.yaml", ENG_YAML "checks: [\"sh fill.sh\"]\n",
	                        "train.sh", "echo 'score: 5'\n", "eval.sh", "echo eval\n",
	                        "fill.sh", "if grep -q fill train.sh; then\n"
	                        "  dd if=/dev/zero of=../filler bs=4096 2>/dev/null\nfi\n"
	                        "exit 0\n", NULL);
	if (old)
		setenv("TMPDIR", old, 1);
	else
		unsetenv("TMPDIR");
	eng_init(dir, "t");
	free(eng_ok(dir, "baseline"));
	char *best = eng_head(dir);

	/* A long description: the line needs fresh pages of the tmpfs. */
	ar_buf desc = AR_BUF_INIT;
	for (int i = 0; i < 800; i++)
		ar_buf_adds(&desc, "fill ");
	tu_write(dir, "train.sh", "echo 'score: 4' # fill\n");
	int rc = eng_ar(dir, &out, &err, "step -m '%s'", desc.ptr);
	assert_int_not_equal(rc, 0);
	if (!contains_nocase(err, "no space left"))
		fail_msg("no \"No space left\" message: %s", err);
	assert_int_equal(eng_nresults(dir), 1); /* every line whole, none added */
	free(out);
	free(err);

	/* Space again. */
	tu_sh("rm -f '%s/filler'", mnt);
	eng_score(dir, "3");
	out = eng_ok(dir, "step -m 'after the disk was full'");
	json_t *r = eng_results(dir);
	assert_int_equal(json_array_size(r), 3);
	eng_assert_str(eng_jstr(json_array_get(r, 1), "status"), "interrupted");
	eng_assert_str(eng_jstr(json_array_get(r, 2), "status"), "keep");
	json_decref(r);
	eng_check_ledger(dir);
	char *parent = eng_git(dir, "rev-parse HEAD~1");
	eng_assert_str(parent, best);
	char *ref = eng_git(dir, "rev-parse refs/autoresearch/t/2");
	assert_non_null(ref);
	assert_int_equal(tu_sh("git -C '%s' cat-file -e %s", dir, ref), 0);
	free(ref);
	free(parent);
	free(out);
	free(best);
	ar_buf_release(&desc);
	free(dir); /* removed with the mount */
	free(old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_a_git_repo),
		cmocka_unit_test(test_detached_head),
		cmocka_unit_test(test_step_outside_a_session),
		cmocka_unit_test(test_dirty_tracked_files),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_missing_run_command_or_metric),
		cmocka_unit_test(test_hostile_description),
		cmocka_unit_test(test_command_not_found),
		cmocka_unit_test(test_huge_single_line_output),
		cmocka_unit_test(test_binary_garbage_output),
		cmocka_unit_test(test_metric_never_appears),
		cmocka_unit_test(test_dashboard_unwritable),
		cmocka_unit_test(test_disk_full_dev_full),
		cmocka_unit_test_setup_teardown(test_disk_full_tmpfs, tmpfs_setup,
		                                tmpfs_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
