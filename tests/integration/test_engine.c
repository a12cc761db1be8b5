/*
 * test_engine.c - the experiment engine end to end: the real `ar` binary
 * against real temporary git repositories and real child processes.
 * `ar init`, `ar baseline`, `ar step`: scope, commits, running, the metric
 * (every way of reading it), guards, checks, the verdicts, keep/revert, and
 * the ledger's formats.  The real `git` CLI is the oracle for what ar did
 * to the repository; jansson reads the ledger back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <limits.h>
#include "testutil.h"
#include "regex.h"
#include "../fixtures/engine/engine_tu.h"

/* A session on autoresearch/t whose baseline (#1) scored 5. */
static char *session(const char *yaml)
{
	char *dir = eng_repo(yaml, "echo 'score: 5'\n");
	eng_init(dir, "t");
	free(eng_ok(dir, "baseline"));
	return dir;
}

/* Run `ar step -m desc` (which must record) and return the status. */
static char *step_status(const char *dir, const char *desc)
{
	char *out = eng_ok(dir, "step -m '%s'", desc);
	json_t *last = eng_last(dir);
	char *st = ar_xstrdup(eng_jstr(last, "status"));
	json_decref(last);
	free(out);
	return st;
}

static void expect_step(const char *dir, const char *score, const char *desc,
                        const char *status)
{
	eng_score(dir, score);
	char *st = step_status(dir, desc);
	if (strcmp(st, status))
		fail_msg("step '%s' (score %s): expected %s, got %s", desc, score, status, st);
	free(st);
}

static void assert_matches(const char *text, const char *pattern)
{
	ar_regex *re = NULL;
	assert_int_equal(ar_regex_compile(&re, pattern), 0);
	int rc = ar_regex_search(re, text, strlen(text), 0, NULL, NULL, NULL, NULL);
	ar_regex_free(re);
	if (rc != 1)
		fail_msg("\"%s\" does not match /%s/", text, pattern);
}

/*
 * After a discarded or crashed experiment n: the branch tip is `best`, the
 * target file has the best's content, and refs/autoresearch/t/<n> still
 * points at the experiment's commit, which exists.
 */
static void assert_reverted(const char *dir, const char *best, long n)
{
	json_t *r = eng_results(dir), *o = eng_find(r, n);
	char *head = eng_head(dir), *best_train, *now_train, *ref;

	assert_non_null(o);
	eng_assert_str(head, best);
	best_train = eng_git(dir, "show %s:train.sh", best);
	now_train = tu_read(dir, "train.sh");
	assert_non_null(best_train);
	assert_non_null(now_train);
	now_train[strcspn(now_train, "\n")] = '\0';
	best_train[strcspn(best_train, "\n")] = '\0';
	eng_assert_str(now_train, best_train);
	ref = eng_git(dir, "rev-parse refs/autoresearch/t/%ld", n);
	eng_assert_str(ref, eng_jstr(o, "commit"));
	assert_int_equal(tu_sh("git -C '%s' cat-file -e %s^{commit}", dir, ref), 0);
	assert_string_not_equal(ref, best);
	free(ref);
	free(best_train);
	free(now_train);
	free(head);
	json_decref(r);
}

/* ---- init ---------------------------------------------------------------- */

static void test_init_creates_branch_and_ledger(void **state)
{
	(void)state;
	char *dir = eng_repo(ENG_YAML, "echo 'score: 5'\n");
	char *main_head = eng_head(dir), *out = NULL, *err = NULL;

	assert_int_equal(eng_ar(dir, &out, &err, "init --tag t"), 0);
	assert_true(tu_contains(out, "autoresearch/t"));
	char *branch = eng_git(dir, "symbolic-ref --short HEAD");
	eng_assert_str(branch, "autoresearch/t");
	char *head = eng_head(dir);
	eng_assert_str(head, main_head);

	char *tsv = tu_read(dir, "results.tsv");
	eng_assert_str(tsv, "commit\tscore\tmemory_gb\tstatus\tdescription\n");
	json_t *all = eng_jsonl_all(dir), *cfg = json_array_get(all, 0);
	assert_int_equal(json_array_size(all), 1);
	eng_assert_str(eng_jstr(cfg, "type"), "config");
	eng_assert_str(eng_jstr(cfg, "tag"), "t");
	eng_assert_str(eng_jstr(cfg, "branch"), "autoresearch/t");
	eng_assert_str(eng_jstr(cfg, "base_branch"), "main");
	eng_assert_str(eng_jstr(json_object_get(cfg, "metric"), "name"), "score");
	eng_assert_str(eng_jstr(json_object_get(cfg, "metric"), "direction"), "lower");

	char *exclude = tu_read(dir, ".git/info/exclude");
	assert_true(tu_contains(exclude, "/results.tsv"));
	assert_true(tu_contains(exclude, "/autoresearch.jsonl"));
	assert_true(tu_contains(exclude, "/autoresearch_dashboard.md"));
	assert_true(tu_contains(exclude, "/run.log"));
	assert_true(tu_contains(exclude, "/.autoresearch/"));
	char *porcelain = eng_git(dir, "status --porcelain");
	eng_assert_str(porcelain, "");
	json_decref(all);

	/* The baseline rewrites the config line; the base branch stays. */
	free(eng_ok(dir, "baseline"));
	all = eng_jsonl_all(dir);
	cfg = json_array_get(all, 0);
	eng_assert_str(eng_jstr(cfg, "base_branch"), "main");
	assert_true(json_is_number(json_object_get(cfg, "baseline")));

	json_decref(all);
	free(porcelain);
	free(exclude);
	free(tsv);
	free(head);
	free(branch);
	free(out);
	free(err);
	free(main_head);
	tu_rm_rf(dir);
	free(dir);
}

static void test_init_default_tag(void **state)
{
	(void)state;
	char *dir = eng_repo(ENG_YAML, "echo 'score: 5'\n");
	char *out = eng_ok(dir, "init");
	char *branch = eng_git(dir, "symbolic-ref --short HEAD");

	assert_non_null(branch);
	/* autoresearch/<mon><day>, e.g. autoresearch/nov23 */
	assert_matches(branch, "^autoresearch/[a-z]{3}[0-9]{1,2}(-[0-9]+)?$");
	assert_true(tu_contains(out, branch));
	free(branch);
	free(out);
	tu_rm_rf(dir);
	free(dir);
}

static void test_init_resumes_existing_branch(void **state)
{
	(void)state;
	char *dir = session(ENG_YAML);
	char *best = eng_head(dir);

	assert_int_equal(tu_sh("git -C '%s' checkout -q main", dir), 0);
	char *out = eng_ok(dir, "init --tag t");
	assert_true(tu_contains(out, "Resumed"));
	char *branch = eng_git(dir, "symbolic-ref --short HEAD");
	eng_assert_str(branch, "autoresearch/t");
	char *head = eng_head(dir);
	eng_assert_str(head, best);
	assert_int_equal(eng_nresults(dir), 1);
	free(out);

	/* Again while on the branch: still a resume, the ledger untouched. */
	out = eng_ok(dir, "init --tag t");
	assert_true(tu_contains(out, "Resumed"));
	assert_int_equal(eng_nresults(dir), 1);
	assert_int_equal(eng_tsv_rows(dir), 1);

	free(out);
	free(head);
	free(branch);
	free(best);
	tu_rm_rf(dir);
	free(dir);
}

static void test_init_refuses_dirty_tracked_files(void **state)
{
	(void)state;
	char *dir = eng_repo(ENG_YAML, "echo 'score: 5'\n");
	char *out = NULL, *err = NULL;

	tu_write(dir, "README", "my own work in progress\n");
	tu_write(dir, "notes.txt", "untracked\n");
	assert_int_equal(eng_ar(dir, &out, &err, "init --tag t"), 1);
	assert_true(tu_contains(err, "uncommitted"));
	assert_true(tu_contains(err, "README"));
	assert_false(tu_contains(err, "notes.txt"));
	char *branch = eng_git(dir, "symbolic-ref --short HEAD");
	eng_assert_str(branch, "main");
	assert_int_not_equal(tu_sh("git -C '%s' rev-parse -q --verify "
	                           "refs/heads/autoresearch/t >/dev/null", dir), 0);
	assert_false(tu_exists(dir, "results.tsv"));
	char *readme = tu_read(dir, "README");
	eng_assert_str(readme, "my own work in progress\n");
	free(readme);
	free(out);
	free(err);

	/* Untracked files alone do not block. */
	assert_int_equal(tu_sh("git -C '%s' checkout -q -- README", dir), 0);
	eng_init(dir, "t");
	free(branch);
	branch = eng_git(dir, "symbolic-ref --short HEAD");
	eng_assert_str(branch, "autoresearch/t");
	free(branch);
	tu_rm_rf(dir);
	free(dir);
}

/* Untracked and ignored files survive init, keep, discard and crash
 * byte for byte, and ar's own files never show in `git status`. */
static void test_untracked_and_ignored_never_touched(void **state)
{
	(void)state;
	char *dir = eng_repo(ENG_YAML, "echo 'score: 5'\n");

	tu_write(dir, "notes.txt", "my notes\n");
	tu_write(dir, "ignored.txt", "ignored data\n");
	tu_write(dir, "data/cache.bin", "cache\n");
	eng_init(dir, "t");
	free(eng_ok(dir, "baseline"));
	expect_step(dir, "4", "keep me", "keep");
	expect_step(dir, "6", "discard me", "discard");
	tu_write(dir, "train.sh", "exit 3\n");
	char *st = step_status(dir, "crash me");
	eng_assert_str(st, "crash");
	free(st);

	char *a = tu_read(dir, "notes.txt"), *b = tu_read(dir, "ignored.txt");
	char *c = tu_read(dir, "data/cache.bin");
	eng_assert_str(a, "my notes\n");
	eng_assert_str(b, "ignored data\n");
	eng_assert_str(c, "cache\n");
	char *porcelain = eng_git(dir, "status --porcelain");
	eng_assert_str(porcelain, "?? data/\n?? notes.txt");
	free(porcelain);
	free(a);
	free(b);
	free(c);
	tu_rm_rf(dir);
	free(dir);
}

/* ---- step: scope ---------------------------------------------------------- */

static void test_step_commits_only_target_files(void **state)
{
	(void)state;
	char *dir = session(ENG_YAML);
	char *out = NULL, *err = NULL;

	eng_score(dir, "4");
	tu_write(dir, "README", "edited by hand\n");
	tu_write(dir, "notes.txt", "scratch\n");
	assert_int_equal(eng_ar(dir, &out, &err, "step -m 'lower it'"), 0);
	assert_true(tu_contains(out, " keep "));
	assert_true(tu_contains(err, "README is not a target file"));
	assert_true(tu_contains(err, "notes.txt is not a target file"));

	char *files = eng_git(dir, "show --name-only --format= HEAD");
	eng_assert_str(files, "train.sh");
	char *stat = eng_git(dir, "show --stat --format= HEAD");
	assert_true(tu_contains(stat, "train.sh"));
	assert_false(tu_contains(stat, "README"));
	assert_false(tu_contains(stat, "notes.txt"));
	/* Left in the work tree, untouched. */
	char *readme = tu_read(dir, "README"), *notes = tu_read(dir, "notes.txt");
	eng_assert_str(readme, "edited by hand\n");
	eng_assert_str(notes, "scratch\n");
	char *porcelain = eng_git(dir, "status --porcelain");
	eng_assert_str(porcelain, " M README\n?? notes.txt");

	free(porcelain);
	free(readme);
	free(notes);
	free(stat);
	free(files);
	free(out);
	free(err);
	tu_rm_rf(dir);
	free(dir);
}

static void test_step_fixed_file_change_is_scope_violation(void **state)
{
	(void)state;
	char *dir = session(ENG_YAML);
	char *best = eng_head(dir), *out = NULL, *err = NULL;

	eng_score(dir, "1");
	tu_write(dir, "eval.sh", "echo 'score: 0'; exit 0\n");
	assert_int_equal(eng_ar(dir, &out, &err, "step -m 'cheat'"), 0);
	assert_true(tu_contains(out, "scope_violation"));
	assert_true(tu_contains(err, "eval.sh"));

	char *eval = tu_read(dir, "eval.sh");
	eng_assert_str(eval, "echo evaluating\n");           /* restored */
	assert_false(tu_exists(dir, ".autoresearch/logs/2.log")); /* nothing ran */
	char *head = eng_head(dir);
	eng_assert_str(head, best);                          /* nothing committed */
	json_t *last = eng_last(dir);
	eng_assert_str(eng_jstr(last, "status"), "scope_violation");
	assert_int_equal(json_integer_value(json_object_get(last, "iteration")), 2);
	assert_true(json_is_null(json_object_get(last, "commit")));
	assert_true(tu_contains(eng_jstr(last, "reason"), "eval.sh"));
	eng_check_ledger(dir);

	/* The target change is still there; the next step runs it as #3. */
	char *st = step_status(dir, "honest");
	eng_assert_str(st, "keep");
	json_decref(last);
	last = eng_last(dir);
	assert_int_equal(json_integer_value(json_object_get(last, "iteration")), 3);
	eng_check_ledger(dir);

	free(st);
	json_decref(last);
	free(head);
	free(eval);
	free(best);
	free(out);
	free(err);
	tu_rm_rf(dir);
	free(dir);
}

/* A fixed file changed between steps - committed behind ar's back, or
 * edited by the run itself - is caught at the next step. */
static void test_step_fixed_file_tampering_between_steps(void **state)
{
	(void)state;
	char *dir = session(ENG_YAML);

	/* The run rewrites the harness to fake its score: caught at once,
	 * the harness restored, the experiment reverted. */
	char *best = eng_head(dir);
	tu_write(dir, "train.sh", "echo \"echo 'score: 0'\" > eval.sh; sh eval.sh\n");
	char *st = step_status(dir, "rewrites eval.sh");
	eng_assert_str(st, "scope_violation");
	free(st);
	json_t *last = eng_last(dir);
	assert_true(tu_contains(eng_jstr(last, "reason"), "eval.sh"));
	json_decref(last);
	char *eval = tu_read(dir, "eval.sh");
	eng_assert_str(eval, "echo evaluating\n");
	free(eval);
	assert_reverted(dir, best, 2);
	free(best);

	/* Edited between steps: the next step refuses to run. */
	tu_write(dir, "eval.sh", "echo 'score: 0'\n");
	eng_score(dir, "3");
	st = step_status(dir, "next");
	eng_assert_str(st, "scope_violation");
	free(st);
	eval = tu_read(dir, "eval.sh");
	eng_assert_str(eval, "echo evaluating\n");
	free(eval);

	/* Committed with git between steps: the hash recorded at baseline. */
	tu_write(dir, "eval.sh", "echo tampered\n");
	assert_int_equal(tu_sh("git -C '%s' commit -q -m tamper eval.sh", dir), 0);
	st = step_status(dir, "after tamper");
	eng_assert_str(st, "scope_violation");
	last = eng_last(dir);
	assert_true(tu_contains(eng_jstr(last, "reason"), "eval.sh"));
	json_decref(last);
	eng_check_ledger(dir);
	free(st);
	tu_rm_rf(dir);
	free(dir);
}

static void test_step_without_change_runs_nothing(void **state)
{
	(void)state;
	char *dir = session(ENG_YAML);
	char *head = eng_head(dir), *out = NULL, *err = NULL;

	assert_int_equal(eng_ar(dir, &out, &err, "step -m 'same'"), 1);
	assert_true(tu_contains(err, "nothing"));
	eng_assert_str(out, "");
	assert_int_equal(eng_nresults(dir), 1);
	assert_int_equal(eng_tsv_rows(dir), 1);
	assert_false(tu_exists(dir, ".autoresearch/logs/2.log"));
	assert_int_not_equal(tu_sh("git -C '%s' rev-parse -q --verify "
	                           "refs/autoresearch/t/2 >/dev/null", dir), 0);
	char *now = eng_head(dir);
	eng_assert_str(now, head);

	/* The number was not used up. */
	expect_step(dir, "4", "real change", "keep");
	json_t *last = eng_last(dir);
	assert_int_equal(json_integer_value(json_object_get(last, "iteration")), 2);
	json_decref(last);
	free(now);
	free(head);
	free(out);
	free(err);
	tu_rm_rf(dir);
	free(dir);
}

/* ---- commits ---------------------------------------------------------------- */

static void test_commit_message_and_author(void **state)
{
	(void)state;
	char *dir = session(ENG_YAML);

	expect_step(dir, "4", "try four", "keep");
	char *subject = eng_git(dir, "log -1 --format=%%s refs/autoresearch/t/2");
	eng_assert_str(subject, "experiment #2: try four");
	char *author = eng_git(dir, "log -1 --format='%%an <%%ae>' HEAD");
	eng_assert_str(author, "AR Test <test@example.com>");
	char *parent = eng_git(dir, "rev-parse HEAD~1"), *base = eng_git(dir, "rev-parse main");
	eng_assert_str(parent, base);
	free(parent);
	free(base);
	free(author);
	free(subject);
	tu_rm_rf(dir);
	free(dir);

	/* No identity anywhere: ar's fallback. */
	dir = eng_repo(ENG_YAML, "echo 'score: 5'\n");
	char *home = tu_tmpdir();
	char *env = ar_xprintf("HOME='%s' XDG_CONFIG_HOME='%s' GIT_CONFIG_NOSYSTEM=1 "
	                       "GIT_CONFIG_GLOBAL=/dev/null", home, home);
	char *out = NULL, *err = NULL;
	assert_int_equal(tu_sh("git -C '%s' config --unset user.name && git -C '%s' "
	                       "config --unset user.email", dir, dir), 0);
	assert_int_equal(eng_ar_env(env, dir, &out, &err, "init --tag t"), 0);
	free(out);
	free(err);
	assert_int_equal(eng_ar_env(env, dir, &out, &err, "baseline"), 0);
	free(out);
	free(err);
	eng_score(dir, "4");
	assert_int_equal(eng_ar_env(env, dir, &out, &err, "step -m anon"), 0);
	author = eng_git(dir, "log -1 --format='%%an <%%ae>' refs/autoresearch/t/2");
	eng_assert_str(author, "ar <ar@localhost>");
	free(author);
	free(out);
	free(err);
	free(env);
	tu_rm_rf(home);
	free(home);
	tu_rm_rf(dir);
	free(dir);
}

/* ---- running ------------------------------------------------------------------ */

static void test_run_in_repo_root_through_sh(void **state)
{
	(void)state;
	char *dir = eng_repo("adapter: custom\ntarget_files: [train.sh]\n"
	                     "metric: {name: score}\ntime_budget: 5\n"
	                     "run_command: \"echo cwd=$(pwd); X=5; echo score: $X\"\n",
	                     "echo unused\n");
	char real[PATH_MAX];

	assert_non_null(realpath(dir, real));
	eng_init(dir, "t");
	char *out = eng_ok(dir, "baseline");
	assert_true(tu_contains(out, "5.000000 baseline"));
	char *log = tu_read(dir, ".autoresearch/logs/1.log");
	char *want = ar_xprintf("cwd=%s\n", real);
	assert_true(tu_contains(log, want));
	char *runlog = tu_read(dir, "run.log");
	eng_assert_str(runlog, log);
	free(runlog);
	free(want);
	free(log);
	free(out);
	tu_rm_rf(dir);
	free(dir);
}

/*
 * time_budget x timeout_multiplier bounds the run; the whole tree dies,
 * including a daemonized grandchild that ignores SIGTERM.
 */
static void test_timeout_kills_whole_tree(void **state)
{
	(void)state;
	char *dir = session(ENG_YAML);
	char *best = eng_head(dir), *out = NULL, *err = NULL;

	tu_write(dir, "train.sh",
	         "setsid sh -c 'trap \"\" TERM; sleep 1002' &\n"
	         "sh -c 'trap \"\" TERM; sleep 1003' &\n"
	         "sleep 1001\n");
	double t0 = eng_now();
	assert_int_equal(eng_ar(dir, &out, &err, "-c time_budget=1 -c "
	                        "timeout_multiplier=1 step -m sleepy"), 0);
	double took = eng_now() - t0;
	assert_true(tu_contains(out, " crash sleepy"));
	assert_true(tu_contains(err, "timed out"));
	if (took > 15.0)
		fail_msg("a 1 s budget took %.1f s", took);
	/* The bracket keeps pgrep's own shell from matching. */
	assert_true(eng_gone("slee[p] 1001", 2.0));
	assert_true(eng_gone("slee[p] 1002", 2.0));
	assert_true(eng_gone("slee[p] 1003", 2.0));
	json_t *last = eng_last(dir);
	eng_assert_str(eng_jstr(last, "status"), "crash");
	assert_true(tu_contains(eng_jstr(last, "reason"), "timed out"));
	assert_true(json_is_null(json_object_get(last, "score")));
	json_decref(last);
	assert_reverted(dir, best, 2);
	free(best);
	free(out);
	free(err);
	tu_rm_rf(dir);
	free(dir);
}

/* ---- the metric -------------------------------------------------------------- */

static double last_score(const char *dir)
{
	json_t *last = eng_last(dir);
	json_t *s = json_object_get(last, "score");
	if (!json_is_number(s))
		fail_msg("last score is not a number (status %s, reason %s)",
		         eng_jstr(last, "status"), eng_jstr(last, "reason"));
	double v = json_number_value(s);
	json_decref(last);
	return v;
}

static void test_metric_pattern(void **state)
{
	(void)state;
	char *dir = eng_repo(ENG_YAML_BASE
	                     "metric: {name: acc, pattern: \"^acc=(\\\\S+)\", direction: higher}\n",
	                     "echo 'score: 1'; echo 'acc=0.75'; echo 'xacc=0.99'\n");
	eng_init(dir, "t");
	free(eng_ok(dir, "baseline"));
	assert_float_equal(last_score(dir), 0.75, 1e-9);
	tu_write(dir, "train.sh", "echo 'acc=0.8'\n");
	char *st = step_status(dir, "better acc");
	eng_assert_str(st, "keep");
	assert_float_equal(last_score(dir), 0.8, 1e-9);
	free(st);
	tu_rm_rf(dir);
	free(dir);
}

static void test_metric_command(void **state)
{
	(void)state;
	char *dir = eng_repo(ENG_YAML_BASE
	                     "metric:\n  name: score\n  direction: lower\n"
	                     "  command: \"grep '^final' run.log | awk '{print $2}'\"\n",
	                     "echo 'score: 9'; echo 'final 3.5'\n");
	eng_init(dir, "t");
	free(eng_ok(dir, "baseline"));
	assert_float_equal(last_score(dir), 3.5, 1e-9);
	tu_rm_rf(dir);
	free(dir);

	/* The flat key of the older workflows. */
	dir = eng_repo("adapter: custom\ntarget_files: [train.sh]\n"
	               "run_command: sh train.sh\nmetric_name: loss\n"
	               "metric_direction: lower\ntime_budget: 5\n"
	               "metric_parse: \"tail -n 1 run.log | awk '{print $3}'\"\n",
	               "echo 'loss: 7'; echo 'the loss 2.25'\n");
	eng_init(dir, "t");
	free(eng_ok(dir, "baseline"));
	assert_float_equal(last_score(dir), 2.25, 1e-9);
	tu_rm_rf(dir);
	free(dir);
}

static void test_metric_default_conventions(void **state)
{
	(void)state;
	char *dir = eng_repo(ENG_YAML, "echo 'METRIC score=2.5'\n");
	eng_init(dir, "t");
	free(eng_ok(dir, "baseline"));
	assert_float_equal(last_score(dir), 2.5, 1e-9);
	expect_step(dir, "2", "colon form", "keep");
	assert_float_equal(last_score(dir), 2.0, 1e-9);
	tu_rm_rf(dir);
	free(dir);
}

static void test_metric_missing_or_nan_is_crash(void **state)
{
	(void)state;
	char *dir = session(ENG_YAML);
	char *best = eng_head(dir);
	ar_strvec tsv = AR_STRVEC_INIT;

	tu_write(dir, "train.sh", "echo 'loss: 3'\n");
	char *st = step_status(dir, "no metric");
	eng_assert_str(st, "crash");
	free(st);
	json_t *last = eng_last(dir);
	assert_true(json_is_null(json_object_get(last, "score")));
	const char *reason = eng_jstr(last, "reason");
	assert_non_null(reason);
	assert_true(tu_contains(reason, "score"));
	json_decref(last);
	eng_tsv(dir, &tsv);
	assert_matches(tsv.items[2], "^[0-9a-f]{7}\t0\\.000000\t0\\.0\tcrash\tno metric$");
	ar_strvec_release(&tsv);
	assert_reverted(dir, best, 2);

	eng_score(dir, "nan");
	st = step_status(dir, "not a number");
	eng_assert_str(st, "crash");
	free(st);
	last = eng_last(dir);
	assert_true(json_is_null(json_object_get(last, "score")));
	json_decref(last);
	assert_reverted(dir, best, 3);
	eng_check_ledger(dir);
	free(best);
	tu_rm_rf(dir);
	free(dir);
}

static void test_metric_composite_records_values(void **state)
{
	(void)state;
	char *dir = eng_repo(ENG_YAML_BASE "values: [precision, mrr]\n"
	                     "metric: {expr: \"0.8*precision + 0.2*mrr\", name: combined, "
	                     "direction: higher}\n",
	                     "echo 'precision: 0.5'; echo 'mrr: 1'\n");
	eng_init(dir, "t");
	char *out = eng_ok(dir, "baseline");
	assert_true(tu_contains(out, "0.600000 baseline"));
	json_t *last = eng_last(dir), *values = json_object_get(last, "values");
	assert_float_equal(json_number_value(json_object_get(last, "score")), 0.6, 1e-9);
	assert_true(json_is_object(values));
	assert_float_equal(json_number_value(json_object_get(values, "precision")), 0.5, 1e-9);
	assert_float_equal(json_number_value(json_object_get(values, "mrr")), 1.0, 1e-9);
	json_decref(last);
	char *tsv = tu_read(dir, "results.tsv");
	assert_true(!strncmp(tsv, "commit\tcombined\tmemory_gb\t", 26));
	free(tsv);

	tu_write(dir, "train.sh", "echo 'precision: 0.75'; echo 'mrr: 0.5'\n");
	char *st = step_status(dir, "more precise");
	eng_assert_str(st, "keep");
	assert_float_equal(last_score(dir), 0.7, 1e-9);
	free(st);
	free(out);
	tu_rm_rf(dir);
	free(dir);
}

/* ---- guards and checks ----------------------------------------------------- */

static void test_guard_fail(void **state)
{
	(void)state;
	char *dir = eng_repo(ENG_YAML "guards: [{name: mem, max: 100}]\n",
	                     "echo 'score: 5'; echo 'mem: 50'\n");
	eng_init(dir, "t");
	free(eng_ok(dir, "baseline"));
	char *best = eng_head(dir);
	json_t *last = eng_last(dir);
	assert_true(json_is_true(json_object_get(last, "guard_pass")));
	assert_float_equal(json_number_value(json_object_get(last, "guard_score")), 50, 1e-9);
	json_decref(last);

	tu_write(dir, "train.sh", "echo 'score: 4'; echo 'mem: 150'\n");
	char *st = step_status(dir, "hungry");
	eng_assert_str(st, "guard_fail");
	free(st);
	last = eng_last(dir);
	assert_true(json_is_false(json_object_get(last, "guard_pass")));
	assert_float_equal(json_number_value(json_object_get(last, "guard_score")), 150, 1e-9);
	assert_true(tu_contains(eng_jstr(last, "reason"), "mem"));
	json_decref(last);
	assert_reverted(dir, best, 2);

	tu_write(dir, "train.sh", "echo 'score: 4'; echo 'mem: 90'\n");
	st = step_status(dir, "lean");
	eng_assert_str(st, "keep");
	free(st);
	free(best);
	tu_rm_rf(dir);
	free(dir);
}

/* max_regression "10%": at most 10% worse than the baseline's value. */
static void test_guard_max_regression_relative(void **state)
{
	(void)state;
	char *dir = eng_repo(ENG_YAML "guards: [{name: mem, max_regression: \"10%\"}]\n",
	                     "echo 'score: 5'; echo 'mem: 100'\n");
	eng_init(dir, "t");
	free(eng_ok(dir, "baseline"));
	tu_write(dir, "train.sh", "echo 'score: 4'; echo 'mem: 115'\n");
	char *st = step_status(dir, "15 percent more");
	eng_assert_str(st, "guard_fail");
	free(st);
	tu_write(dir, "train.sh", "echo 'score: 4'; echo 'mem: 105'\n");
	st = step_status(dir, "5 percent more");
	eng_assert_str(st, "keep");
	free(st);
	tu_rm_rf(dir);
	free(dir);
}

static void test_checks(void **state)
{
	(void)state;
	char *dir = tu_git_repo(".autoresearch.yaml", ENG_YAML "checks: [\"sh check.sh\"]\n",
	                        "train.sh", "echo 'score: 5'\n",
	                        "eval.sh", "echo evaluating\n",
	                        "check.sh", "if grep -q bad train.sh; then exit 1; fi\nexit 0\n",
	                        NULL);
	eng_init(dir, "t");
	free(eng_ok(dir, "baseline"));
	char *best = eng_head(dir);

	tu_write(dir, "train.sh", "echo 'score: 4' # bad\n");
	char *st = step_status(dir, "breaks the checks");
	eng_assert_str(st, "checks_failed");
	free(st);
	json_t *last = eng_last(dir);
	assert_true(tu_contains(eng_jstr(last, "reason"), "sh check.sh"));
	json_decref(last);
	assert_reverted(dir, best, 2);

	eng_score(dir, "4");
	st = step_status(dir, "passes");
	eng_assert_str(st, "keep");
	free(st);
	free(best);
	tu_rm_rf(dir);
	free(dir);
}

/* ---- decisions, keep and revert --------------------------------------------- */

static void test_decide_lower_is_better(void **state)
{
	(void)state;
	char *dir = session(ENG_YAML);

	expect_step(dir, "4", "better", "keep");
	char *best = eng_head(dir);
	char *ref2 = eng_git(dir, "rev-parse refs/autoresearch/t/2");
	eng_assert_str(ref2, best);
	json_t *last = eng_last(dir);
	assert_float_equal(json_number_value(json_object_get(last, "delta")), -1.0, 1e-9);
	json_decref(last);
	expect_step(dir, "4.5", "worse", "discard");
	assert_reverted(dir, best, 3);
	expect_step(dir, "4.0", "equal", "discard");
	assert_reverted(dir, best, 4);
	expect_step(dir, "3", "better again", "keep");
	eng_check_ledger(dir);
	free(ref2);
	free(best);
	tu_rm_rf(dir);
	free(dir);
}

static void test_decide_higher_is_better(void **state)
{
	(void)state;
	char *dir = session(ENG_YAML_BASE "metric: {name: score, direction: higher}\n");

	expect_step(dir, "6", "higher", "keep");
	char *best = eng_head(dir);
	expect_step(dir, "5.5", "lower", "discard");
	assert_reverted(dir, best, 3);
	expect_step(dir, "6.0", "equal", "discard");
	expect_step(dir, "7", "higher again", "keep");
	free(best);
	tu_rm_rf(dir);
	free(dir);
}

static void test_decide_min_delta(void **state)
{
	(void)state;
	char *dir = session(ENG_YAML "min_delta: 1\n");
	expect_step(dir, "4.5", "too small a gain", "discard");
	expect_step(dir, "3.9", "big enough", "keep");
	tu_rm_rf(dir);
	free(dir);

	dir = eng_repo(ENG_YAML "min_delta: \"5%\"\n", "echo 'score: 100'\n");
	eng_init(dir, "t");
	free(eng_ok(dir, "baseline"));
	expect_step(dir, "97", "3 percent", "discard");
	expect_step(dir, "94", "6 percent", "keep");
	tu_rm_rf(dir);
	free(dir);
}

/* A gain under 0.1% is not worth 20 more lines; the same score with
 * fewer lines is worth keeping. */
static void test_decide_simplicity(void **state)
{
	(void)state;
	char *dir = eng_repo(ENG_YAML, "# a\n# b\n# c\necho 'score: 100'\n");
	ar_buf big = AR_BUF_INIT;

	eng_init(dir, "t");
	free(eng_ok(dir, "baseline"));
	char *best = eng_head(dir);
	ar_buf_adds(&big, "# a\n# b\n# c\n");
	for (int i = 0; i < 25; i++)
		ar_buf_printf(&big, "# padding line %d\n", i);
	ar_buf_adds(&big, "echo 'score: 99.95'\n");
	tu_write(dir, "train.sh", big.ptr);
	char *st = step_status(dir, "tiny gain, many lines");
	eng_assert_str(st, "discard");
	free(st);
	assert_reverted(dir, best, 2);

	tu_write(dir, "train.sh", "# a\n# b\n# c\necho 'score: 99.95'\n");
	st = step_status(dir, "tiny gain, same size");
	eng_assert_str(st, "keep");
	free(st);
	tu_write(dir, "train.sh", "echo 'score: 99.95'\n");
	st = step_status(dir, "same score, simpler");
	eng_assert_str(st, "keep");
	free(st);
	ar_buf_release(&big);
	free(best);
	tu_rm_rf(dir);
	free(dir);
}

static void test_crash_reverts(void **state)
{
	(void)state;
	char *dir = session(ENG_YAML);
	char *best = eng_head(dir);

	tu_write(dir, "train.sh", "echo 'score: 1'; exit 7\n");
	char *st = step_status(dir, "exits 7");
	eng_assert_str(st, "crash");
	json_t *last = eng_last(dir);
	assert_true(tu_contains(eng_jstr(last, "reason"), "exit status 7"));
	json_decref(last);
	assert_reverted(dir, best, 2);
	char *porcelain = eng_git(dir, "status --porcelain");
	eng_assert_str(porcelain, "");
	free(porcelain);
	free(st);
	free(best);
	tu_rm_rf(dir);
	free(dir);
}

/* ---- baseline ------------------------------------------------------------------ */

static void test_baseline_idempotent_unless_forced(void **state)
{
	(void)state;
	char *dir = eng_repo(ENG_YAML, "echo 'score: 5'\n");
	char *out = NULL, *err = NULL;

	eng_init(dir, "t");
	out = eng_ok(dir, "baseline");
	assert_matches(out, "^#1 [0-9a-f]{7} 5\\.000000 baseline baseline$");
	free(out);
	assert_int_equal(eng_ar(dir, &out, &err, "baseline"), 1);
	assert_true(tu_contains(err, "--force"));
	eng_assert_str(out, "");
	assert_int_equal(eng_nresults(dir), 1);
	free(out);
	free(err);

	out = eng_ok(dir, "baseline --force --json");
	json_error_t je;
	json_t *o = json_loads(out, 0, &je);
	assert_non_null(o);
	eng_assert_str(eng_jstr(o, "status"), "baseline");
	assert_int_equal(json_integer_value(json_object_get(o, "iteration")), 2);
	json_decref(o);
	assert_int_equal(eng_nresults(dir), 2);
	eng_check_ledger(dir);
	free(out);
	tu_rm_rf(dir);
	free(dir);
}

/* The first `ar step` records the baseline when there is none. */
static void test_first_step_is_baseline(void **state)
{
	(void)state;
	char *dir = eng_repo(ENG_YAML, "echo 'score: 5'\n");
	eng_init(dir, "t");
	char *st = step_status(dir, "first");
	eng_assert_str(st, "baseline");
	free(st);
	json_t *last = eng_last(dir);
	eng_assert_str(eng_jstr(last, "description"), "baseline");
	json_decref(last);
	expect_step(dir, "4", "second", "keep");
	tu_rm_rf(dir);
	free(dir);
}

/* ---- report line, --json, ledger formats ----------------------------------- */

static void test_report_line_and_json(void **state)
{
	(void)state;
	char *dir = session(ENG_YAML);

	eng_score(dir, "4");
	char *out = eng_ok(dir, "step -m 'try four'");
	char *head = eng_head(dir);
	char *want = ar_xprintf("#2 %.7s 4.000000 keep try four\n", head);
	eng_assert_str(out, want);
	free(want);
	free(out);

	eng_score(dir, "4.25");
	out = eng_ok(dir, "step --json -m 'json please'");
	json_error_t je;
	json_t *o = json_loads(out, 0, &je);
	if (!o)
		fail_msg("--json output does not parse (%s): %s", je.text, out);
	eng_assert_str(eng_jstr(o, "type"), "result");
	assert_int_equal(json_integer_value(json_object_get(o, "iteration")), 3);
	assert_int_equal(strlen(eng_jstr(o, "commit")), 40);
	assert_float_equal(json_number_value(json_object_get(o, "score")), 4.25, 1e-9);
	assert_float_equal(json_number_value(json_object_get(o, "delta")), 0.25, 1e-9);
	eng_assert_str(eng_jstr(o, "status"), "discard");
	eng_assert_str(eng_jstr(o, "description"), "json please");
	/* The same object as the ledger's line. */
	json_t *last = eng_last(dir);
	eng_assert_str(eng_jstr(last, "commit"), eng_jstr(o, "commit"));
	json_decref(last);
	json_decref(o);
	free(out);
	free(head);
	tu_rm_rf(dir);
	free(dir);
}

static void test_ledger_formats(void **state)
{
	(void)state;
	char *dir = session(ENG_YAML);
	ar_strvec tsv = AR_STRVEC_INIT;

	expect_step(dir, "4", "keep it", "keep");
	expect_step(dir, "4.5", "drop it", "discard");
	tu_write(dir, "train.sh", "exit 1\n");
	char *st = step_status(dir, "crash it");
	eng_assert_str(st, "crash");
	free(st);

	eng_tsv(dir, &tsv);
	assert_int_equal(tsv.n, 5);
	eng_assert_str(tsv.items[0], "commit\tscore\tmemory_gb\tstatus\tdescription");
	assert_matches(tsv.items[1], "^[0-9a-f]{7}\t5\\.000000\t[0-9]+\\.[0-9]\tbaseline\tbaseline$");
	assert_matches(tsv.items[2], "^[0-9a-f]{7}\t4\\.000000\t[0-9]+\\.[0-9]\tkeep\tkeep it$");
	assert_matches(tsv.items[3], "^[0-9a-f]{7}\t4\\.500000\t[0-9]+\\.[0-9]\tdiscard\tdrop it$");
	assert_matches(tsv.items[4], "^[0-9a-f]{7}\t0\\.000000\t0\\.0\tcrash\tcrash it$");
	ar_strvec_release(&tsv);

	json_t *all = eng_jsonl_all(dir), *o;
	size_t i;
	eng_assert_str(eng_jstr(json_array_get(all, 0), "type"), "config");
	assert_int_equal(json_array_size(all), 5);
	static const char *const keys[] = { "iteration", "commit", "score", "delta",
		"guard_score", "guard_pass", "status", "description", "memory_gb",
		"duration_s", "timestamp" };
	json_array_foreach(all, i, o) {
		if (i == 0)
			continue;
		eng_assert_str(eng_jstr(o, "type"), "result");
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (!json_object_get(o, keys[k]))
				fail_msg("result %zu lacks \"%s\"", i, keys[k]);
		assert_matches(eng_jstr(o, "timestamp"),
		               "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}");
		assert_int_equal(strlen(eng_jstr(o, "commit")), 40);
		assert_true(json_is_null(json_object_get(o, "guard_pass")));
	}
	o = json_array_get(all, 1);
	eng_assert_str(eng_jstr(o, "description"), "baseline");
	assert_true(json_is_null(json_object_get(o, "delta")));
	o = json_array_get(all, 4);
	assert_true(json_is_null(json_object_get(o, "score")));
	assert_true(tu_contains(eng_jstr(o, "reason"), "exit status 1"));
	char *last = ar_xprintf("- **Last experiment:** #4 at %s\n",
	                        eng_jstr(o, "timestamp"));
	json_decref(all);
	eng_check_ledger(dir);

	/* The dashboard is rendered from the rows the session holds (read once,
	 * grown as it logs), so it must agree with the ledger on disk: every
	 * experiment counted, the last one's timestamp as written. */
	char *dash = tu_read(dir, "autoresearch_dashboard.md");
	assert_non_null(dash);
	assert_true(tu_contains(dash, "drop it"));
	assert_true(tu_contains(dash, "- **Experiments:** 4 ("));
	assert_true(tu_contains(dash, last));
	free(last);
	free(dash);
	for (int n = 1; n <= 4; n++) {
		char *log = ar_xprintf(".autoresearch/logs/%d.log", n);
		assert_true(tu_exists(dir, log));
		free(log);
	}
	assert_true(tu_exists(dir, "run.log"));
	char *porcelain = eng_git(dir, "status --porcelain");
	eng_assert_str(porcelain, "");
	free(porcelain);
	tu_rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_creates_branch_and_ledger),
		cmocka_unit_test(test_init_default_tag),
		cmocka_unit_test(test_init_resumes_existing_branch),
		cmocka_unit_test(test_init_refuses_dirty_tracked_files),
		cmocka_unit_test(test_untracked_and_ignored_never_touched),
		cmocka_unit_test(test_step_commits_only_target_files),
		cmocka_unit_test(test_step_fixed_file_change_is_scope_violation),
		cmocka_unit_test(test_step_fixed_file_tampering_between_steps),
		cmocka_unit_test(test_step_without_change_runs_nothing),
		cmocka_unit_test(test_commit_message_and_author),
		cmocka_unit_test(test_run_in_repo_root_through_sh),
		cmocka_unit_test(test_timeout_kills_whole_tree),
		cmocka_unit_test(test_metric_pattern),
		cmocka_unit_test(test_metric_command),
		cmocka_unit_test(test_metric_default_conventions),
		cmocka_unit_test(test_metric_missing_or_nan_is_crash),
		cmocka_unit_test(test_metric_composite_records_values),
		cmocka_unit_test(test_guard_fail),
		cmocka_unit_test(test_guard_max_regression_relative),
		cmocka_unit_test(test_checks),
		cmocka_unit_test(test_decide_lower_is_better),
		cmocka_unit_test(test_decide_higher_is_better),
		cmocka_unit_test(test_decide_min_delta),
		cmocka_unit_test(test_decide_simplicity),
		cmocka_unit_test(test_crash_reverts),
		cmocka_unit_test(test_baseline_idempotent_unless_forced),
		cmocka_unit_test(test_first_step_is_baseline),
		cmocka_unit_test(test_report_line_and_json),
		cmocka_unit_test(test_ledger_formats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
