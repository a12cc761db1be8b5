/*
 * test_recovery.c - `ar` killed at each stage of an experiment, for real
 * (kill -9 while the run, a check or the metric command is in progress;
 * SIGTERM during the run), at every fault point of core/fault.h (ar sends
 * itself SIGKILL there when AR_TEST_KILL_AT names it), and a few states a
 * kill would leave written by hand.  The next `ar`
 * command must recover: the branch tip back at the best commit, the
 * unrecorded experiment logged as `interrupted` under its own number,
 * numbering going on, no duplicate or missing iteration in the JSONL, and
 * results.tsv with exactly the JSONL's rows.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <signal.h>
#include "testutil.h"
#include "../fixtures/engine/engine_tu.h"

/* A script that tells the test it is running (its pid, atomically, into
 * `marker`) and then sleeps as `sleep <n>`. */
static char *announcer(const char *marker, int n)
{
	return ar_xprintf("echo $$ > '%s.tmp' && mv '%s.tmp' '%s'\nexec sleep %d\n",
	                  marker, marker, marker, n);
}

/* A session on autoresearch/t whose baseline (#1) scored 5; extra_yaml is
 * appended to the config, `file`/`content` (may be NULL) added. */
static char *session(const char *extra_yaml, const char *file, const char *content)
{
	char *yaml = ar_xprintf("%s%s", ENG_YAML, extra_yaml ? extra_yaml : "");
	char *dir = tu_git_repo(".autoresearch.yaml", yaml, "train.sh", "echo 'score: 5'\n",
	                        "eval.sh", "echo evaluating\n", file ? file : NULL,
	                        content, NULL);
	free(yaml);
	eng_init(dir, "t");
	free(eng_ok(dir, "baseline"));
	return dir;
}

/*
 * Start `ar step -m desc` in dir; once `marker` appears, send `sig` to ar
 * and wait for it.  Returns ar's exit status as the shell reports it (128+n
 * when killed by signal n); *child gets the pid the marker holds.
 */
static int step_until_marker(const char *dir, const char *desc, const char *marker,
                             const char *sig, long *child)
{
	char *out = NULL, *pid = NULL;
	int rc = -1;

	tu_sh_out(&out, "'%s' -C '%s' step -m '%s' </dev/null >/dev/null 2>&1 & pid=$!; "
	          "i=0; while [ ! -s '%s' ] && [ $i -lt 1000 ]; do sleep 0.01; "
	          "i=$((i+1)); done; kill -%s $pid; wait $pid; echo \"rc=$?\"",
	          tu_env("AR_BIN"), dir, desc, marker, sig);
	const char *p = strstr(out, "rc=");
	assert_non_null(p);
	rc = atoi(p + 3);
	pid = tu_read("/", marker);
	if (!pid)
		fail_msg("the experiment never started (no %s); ar said: %s", marker, out);
	*child = atol(pid);
	assert_true(*child > 1);
	free(pid);
	free(out);
	return rc;
}

/* SIGKILL the run left behind by a killed ar (by its pid), and make sure
 * nothing with its marker survives. */
static void kill_leftover(long child, const char *pattern)
{
	kill((pid_t)child, SIGKILL);
	for (int i = 0; i < 200 && eng_alive(pattern); i++)
		usleep(10000);
	assert_false(eng_alive(pattern));
}

/* After recovery and one more step: #1 baseline, #2 interrupted (its
 * commit kept under refs/autoresearch/t/2), #3 `status3` built on `best`. */
static void assert_recovered(const char *dir, const char *best, const char *status3)
{
	json_t *r = eng_results(dir), *two, *three;

	eng_check_ledger(dir); /* 1..n, no gap, no duplicate, TSV == JSONL */
	assert_int_equal(json_array_size(r), 3);
	two = json_array_get(r, 1);
	three = json_array_get(r, 2);
	eng_assert_str(eng_jstr(two, "status"), "interrupted");
	eng_assert_str(eng_jstr(three, "status"), status3);
	assert_non_null(eng_jstr(two, "reason"));
	const char *c2 = eng_jstr(two, "commit");
	assert_non_null(c2);
	char *ref = eng_git(dir, "rev-parse refs/autoresearch/t/2");
	eng_assert_str(ref, c2);
	assert_int_equal(tu_sh("git -C '%s' cat-file -e %s^{commit}", dir, c2), 0);
	char *parent = eng_git(dir, "rev-parse refs/autoresearch/t/3~1");
	eng_assert_str(parent, best);
	char *porcelain = eng_git(dir, "status --porcelain");
	eng_assert_str(porcelain, "");
	char *st = tu_read(dir, ".autoresearch/state");
	assert_false(tu_contains(st, "pending")); /* nothing left in flight */
	free(st);
	free(porcelain);
	free(parent);
	free(ref);
	json_decref(r);
}

/* ---- real kills ---------------------------------------------------------------- */

static void test_kill9_during_run(void **state)
{
	(void)state;
	char *mk = tu_tmpdir(), *marker = ar_path_join(mk, "started");
	char *dir = session(NULL, NULL, NULL);
	char *best = eng_head(dir), *train = announcer(marker, 1004);
	long child = 0;

	tu_write(dir, "train.sh", train);
	assert_int_equal(step_until_marker(dir, "doomed", marker, "9", &child), 128 + 9);
	kill_leftover(child, "slee[p] 1004");
	char *head = eng_head(dir);
	assert_string_not_equal(head, best); /* killed with the experiment committed */

	/* A new change: the next step recovers, then runs it as #3. */
	eng_score(dir, "3");
	char *out = NULL, *err = NULL;
	assert_int_equal(eng_ar(dir, &out, &err, "step -m next"), 0);
	assert_true(tu_contains(out, "#3 "));
	assert_true(tu_contains(out, " keep next"));
	assert_true(tu_contains(err, "interrupted"));
	assert_recovered(dir, best, "keep");
	free(out);
	free(err);
	free(head);
	free(train);
	free(best);
	free(marker);
	tu_rm_rf(mk);
	free(mk);
	tu_rm_rf(dir);
	free(dir);
}

/* Killed, and nothing new: the next step recovers (train.sh back to the
 * best's), logs the interruption and finds nothing to run. */
static void test_kill9_then_nothing_to_run(void **state)
{
	(void)state;
	char *mk = tu_tmpdir(), *marker = ar_path_join(mk, "started");
	char *dir = session(NULL, NULL, NULL);
	char *best = eng_head(dir), *train = announcer(marker, 1007);
	char *out = NULL, *err = NULL;
	long child = 0;

	tu_write(dir, "train.sh", train);
	assert_int_equal(step_until_marker(dir, "doomed", marker, "9", &child), 128 + 9);
	kill_leftover(child, "slee[p] 1007");
	assert_int_equal(eng_ar(dir, &out, &err, "step -m again"), 1);
	assert_true(tu_contains(err, "nothing"));
	char *head = eng_head(dir), *now = tu_read(dir, "train.sh");
	eng_assert_str(head, best);
	eng_assert_str(now, "echo 'score: 5'\n");
	assert_int_equal(eng_nresults(dir), 2);
	json_t *last = eng_last(dir);
	eng_assert_str(eng_jstr(last, "status"), "interrupted");
	json_decref(last);
	eng_check_ledger(dir);

	/* Numbering goes on. */
	eng_score(dir, "4");
	free(out);
	out = eng_ok(dir, "step -m after");
	assert_true(tu_contains(out, "#3 "));
	eng_check_ledger(dir);
	free(now);
	free(head);
	free(out);
	free(err);
	free(train);
	free(best);
	free(marker);
	tu_rm_rf(mk);
	free(mk);
	tu_rm_rf(dir);
	free(dir);
}

/* Killed while a check runs: measured, not yet logged. */
static void test_kill9_during_checks(void **state)
{
	(void)state;
	char *mk = tu_tmpdir(), *marker = ar_path_join(mk, "checking");
	char *wait = announcer(marker, 1005);
	char *check = ar_xprintf("if grep -q slow train.sh; then\n%sfi\nexit 0\n", wait);
	char *dir = session("checks: [\"sh check.sh\"]\n", "check.sh", check);
	char *best = eng_head(dir);
	long child = 0;

	tu_write(dir, "train.sh", "echo 'score: 4' # slow\n");
	assert_int_equal(step_until_marker(dir, "checked", marker, "9", &child), 128 + 9);
	kill_leftover(child, "slee[p] 1005");
	assert_true(tu_exists(dir, ".autoresearch/logs/2.log")); /* it had run */

	eng_score(dir, "3");
	char *out = eng_ok(dir, "step -m next");
	assert_true(tu_contains(out, "#3 "));
	assert_recovered(dir, best, "keep");
	free(out);
	free(check);
	free(wait);
	free(best);
	free(marker);
	tu_rm_rf(mk);
	free(mk);
	tu_rm_rf(dir);
	free(dir);
}

/* Killed while the metric command runs. */
static void test_kill9_during_metric_command(void **state)
{
	(void)state;
	char *mk = tu_tmpdir(), *marker = ar_path_join(mk, "measuring");
	char *wait = announcer(marker, 1006);
	char *metric = ar_xprintf("if grep -q slow train.sh; then\n%sfi\n"
	                          "sed -n 's/^score: //p' run.log\n", wait);
	char *dir = session("metric_parse: \"sh metric.sh\"\n", "metric.sh", metric);
	char *best = eng_head(dir);
	long child = 0;

	tu_write(dir, "train.sh", "echo 'score: 4' # slow\n");
	assert_int_equal(step_until_marker(dir, "slow metric", marker, "9", &child), 128 + 9);
	kill_leftover(child, "slee[p] 1006");

	eng_score(dir, "3");
	char *out = eng_ok(dir, "step -m next");
	assert_true(tu_contains(out, "#3 "));
	assert_recovered(dir, best, "keep");
	free(out);
	free(metric);
	free(wait);
	free(best);
	free(marker);
	tu_rm_rf(mk);
	free(mk);
	tu_rm_rf(dir);
	free(dir);
}

/* SIGTERM: ar itself stops the run, kills its tree, records the
 * experiment as interrupted and reverts. */
static void test_sigterm_during_run(void **state)
{
	(void)state;
	char *mk = tu_tmpdir(), *marker = ar_path_join(mk, "started");
	char *dir = session(NULL, NULL, NULL);
	char *best = eng_head(dir), *train = announcer(marker, 1008);
	long child = 0;

	tu_write(dir, "train.sh", train);
	assert_int_equal(step_until_marker(dir, "stopped", marker, "TERM", &child), 0);
	assert_true(eng_gone("slee[p] 1008", 2.0));
	json_t *last = eng_last(dir);
	eng_assert_str(eng_jstr(last, "status"), "interrupted");
	assert_int_equal(json_integer_value(json_object_get(last, "iteration")), 2);
	json_decref(last);
	char *head = eng_head(dir), *now = tu_read(dir, "train.sh");
	eng_assert_str(head, best);
	eng_assert_str(now, "echo 'score: 5'\n");
	eng_check_ledger(dir);

	eng_score(dir, "4");
	char *out = eng_ok(dir, "step -m next");
	assert_true(tu_contains(out, "#3 "));
	assert_int_equal(eng_nresults(dir), 3); /* nothing logged twice */
	eng_check_ledger(dir);
	free(out);
	free(now);
	free(head);
	free(train);
	free(best);
	free(marker);
	tu_rm_rf(mk);
	free(mk);
	tu_rm_rf(dir);
	free(dir);
}

/* ---- kills simulated through the state they leave ----------------------------- */

static void write_state(const char *dir, long n, const char *best, const char *exp)
{
	char *old = tu_read(dir, ".autoresearch/state"), *save = NULL;
	ar_buf b = AR_BUF_INIT;

	/* Keep the fixed-file hashes; replace the experiment in flight. */
	assert_non_null(old);
	for (char *l = strtok_r(old, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save))
		if (!strncmp(l, "fixed ", 6) || l[0] == '#')
			ar_buf_printf(&b, "%s\n", l);
	ar_buf_printf(&b, "pending %ld %s %s\npath train.sh\n", n, best, exp ? exp : "-");
	tu_write(dir, ".autoresearch/state", b.ptr);
	ar_buf_release(&b);
	free(old);
}

/* Killed between the commit and the state update that names it: the
 * state says "no commit yet" but HEAD has moved. */
static void test_killed_after_commit_before_state_update(void **state)
{
	(void)state;
	char *mk = tu_tmpdir(), *marker = ar_path_join(mk, "started");
	char *dir = session(NULL, NULL, NULL);
	char *best = eng_head(dir), *train = announcer(marker, 1009);
	long child = 0;

	tu_write(dir, "train.sh", train);
	assert_int_equal(step_until_marker(dir, "doomed", marker, "9", &child), 128 + 9);
	kill_leftover(child, "slee[p] 1009");
	char *exp = eng_head(dir);
	assert_string_not_equal(exp, best);
	write_state(dir, 2, best, NULL);
	assert_int_equal(tu_sh("git -C '%s' update-ref -d refs/autoresearch/t/2", dir), 0);

	eng_score(dir, "3");
	free(eng_ok(dir, "step -m next"));
	assert_recovered(dir, best, "keep");
	json_t *r = eng_results(dir);
	eng_assert_str(eng_jstr(json_array_get(r, 1), "commit"), exp);
	json_decref(r);
	free(exp);
	free(train);
	free(best);
	free(marker);
	tu_rm_rf(mk);
	free(mk);
	tu_rm_rf(dir);
	free(dir);
}

/* Killed after the state said "pending" but before the commit: nothing
 * ran, nothing is logged, the change runs as that number. */
static void test_killed_before_commit(void **state)
{
	(void)state;
	char *dir = session(NULL, NULL, NULL);
	char *best = eng_head(dir);

	write_state(dir, 2, best, NULL);
	eng_score(dir, "4");
	char *out = eng_ok(dir, "step -m first-try");
	assert_true(tu_contains(out, "#2 "));
	assert_true(tu_contains(out, " keep first-try"));
	assert_int_equal(eng_nresults(dir), 2);
	eng_check_ledger(dir);
	free(out);
	free(best);
	tu_rm_rf(dir);
	free(dir);
}

/* Killed after the result was logged but before the revert (a discard)
 * or the state update (a keep): recovery finishes the job, logs nothing
 * twice. */
static void test_killed_after_log(void **state)
{
	(void)state;
	char *dir = session(NULL, NULL, NULL);
	char *best = eng_head(dir), *out = NULL, *err = NULL;

	eng_score(dir, "6");
	free(eng_ok(dir, "step -m worse"));                /* #2 discard */
	char *exp = eng_git(dir, "rev-parse refs/autoresearch/t/2");
	assert_int_equal(tu_sh("git -C '%s' reset -q --hard %s", dir, exp), 0);
	write_state(dir, 2, best, exp);
	assert_int_equal(eng_ar(dir, &out, &err, "step -m again"), 1); /* nothing new */
	char *head = eng_head(dir), *now = tu_read(dir, "train.sh");
	eng_assert_str(head, best);
	eng_assert_str(now, "echo 'score: 5'\n");
	assert_int_equal(eng_nresults(dir), 2);
	eng_check_ledger(dir);
	free(now);
	free(head);
	free(exp);
	free(out);
	free(err);

	eng_score(dir, "4");
	free(eng_ok(dir, "step -m better"));               /* #3 keep */
	char *kept = eng_head(dir);
	write_state(dir, 3, best, kept);
	assert_int_equal(eng_ar(dir, &out, &err, "step -m again"), 1);
	head = eng_head(dir);
	eng_assert_str(head, kept);                        /* the keep stands */
	assert_int_equal(eng_nresults(dir), 3);
	eng_check_ledger(dir);
	free(head);
	free(kept);
	free(out);
	free(err);
	free(best);
	tu_rm_rf(dir);
	free(dir);
}

/* ---- the ledger after a kill ---------------------------------------------------- */

/* Killed between the JSONL append and the TSV append: the next command
 * rebuilds the TSV from the JSONL. */
static void test_tsv_row_missing_is_repaired(void **state)
{
	(void)state;
	char *dir = session(NULL, NULL, NULL);
	char *out = NULL, *err = NULL;

	eng_score(dir, "4");
	free(eng_ok(dir, "step -m better"));
	eng_score(dir, "4.5");
	free(eng_ok(dir, "step -m worse"));
	char *before = tu_read(dir, "results.tsv");
	assert_int_equal(tu_sh("sed -i '$d' '%s/results.tsv'", dir), 0);
	assert_int_equal(eng_tsv_rows(dir), 2);
	assert_int_equal(eng_ar(dir, &out, &err, "step -m 'nothing new'"), 1);
	char *after = tu_read(dir, "results.tsv");
	eng_assert_str(after, before);
	eng_check_ledger(dir);
	free(after);
	free(out);
	free(err);

	/* A row cut in the middle; `ar init` (resume) repairs it too. */
	assert_int_equal(tu_sh("truncate -s -10 '%s/results.tsv'", dir), 0);
	free(eng_ok(dir, "init --tag t"));
	after = tu_read(dir, "results.tsv");
	eng_assert_str(after, before);
	free(after);
	free(before);
	tu_rm_rf(dir);
	free(dir);
}

/* A result line cut short (a crash of some older writer): skipped with a
 * warning, and the next result goes on a line of its own. */
static void test_truncated_jsonl_line(void **state)
{
	(void)state;
	char *dir = session(NULL, NULL, NULL);
	char *out = NULL, *err = NULL;

	assert_int_equal(tu_sh("printf '{\"type\":\"result\",\"iteration\":2,\"com' >> "
	                       "'%s/autoresearch.jsonl'", dir), 0);
	eng_score(dir, "4");
	assert_int_equal(eng_ar(dir, &out, &err, "step -m after-cut"), 0);
	assert_true(tu_contains(out, "#2 "));
	assert_true(tu_contains(err, "autoresearch.jsonl"));
	char *data = tu_read(dir, "autoresearch.jsonl");
	assert_true(tu_contains(data, "\"com\n{\"type\":\"result\""));
	/* Every line but the cut one parses; the TSV has the whole ones. */
	size_t good = 0, bad = 0;
	char *save = NULL;
	for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		json_t *o = json_loads(l, 0, NULL);
		o ? good++ : bad++;
		json_decref(o);
	}
	assert_int_equal(good, 3);
	assert_int_equal(bad, 1);
	assert_int_equal(eng_tsv_rows(dir), 2);
	free(data);
	free(out);
	free(err);
	tu_rm_rf(dir);
	free(dir);
}

/* ---- injected kills: every point of fault.h, then `ar run` ----------------------- */

/* The points of core/fault.h, in the order an experiment reaches them. */
static const char *const kill_points[] = {
	"before-commit", "after-commit", "before-run", "after-run",
	"after-jsonl", "after-log", "during-revert", "after-revert",
};

/* The best commit as the ledger says: the last baseline or keep. */
static char *ledger_best(const char *dir)
{
	json_t *r = eng_results(dir), *o;
	char *best = NULL;
	size_t i;

	json_array_foreach(r, i, o) {
		const char *st = eng_jstr(o, "status");
		if (!strcmp(st, "keep") || !strcmp(st, "baseline")) {
			free(best);
			best = ar_xstrdup(eng_jstr(o, "commit"));
		}
	}
	json_decref(r);
	return best;
}

/*
 * `ar step` killed (AR_TEST_KILL_AT, a real SIGKILL) at `point` while
 * trying `score` (4 is a keep, 6 a discard against the baseline's 5); then
 * `ar run --max 1` with a scripted agent (a TEST DOUBLE of an agent CLI:
 * a shell script that writes a worse train.sh).  The ledger has no gap or
 * duplicate, the killed experiment is either recorded once or was never
 * committed, HEAD is the ledger's best, and no user file changed.
 */
static void kill_at(const char *point, const char *score)
{
	char *tmp = tu_tmpdir(), *agent = ar_path_join(tmp, "agent.sh");
	tu_write(tmp, "agent.sh", "echo \"echo 'score: 9'\" > train.sh\n"
	         "echo 'DESCRIPTION: after the kill'\n");
	char *yaml = ar_xprintf("agent: \"sh %s\"\n", agent);
	char *dir = session(yaml, "notes.txt", "the user's notes\n");
	char *env = ar_xprintf("AR_TEST_KILL_AT=%s", point), *out = NULL, *err = NULL;
	int reached = strcmp(point, "during-revert") || strcmp(score, "4");

	tu_write(dir, "mine.txt", "untracked, the user's\n");
	eng_score(dir, score);
	int rc = eng_ar_env(env, dir, &out, &err, "step -m doomed");
	if (rc != (reached ? 137 : 0))
		fail_msg("kill at %s (score %s): ar exited %d: %s%s", point, score, rc, out, err);
	free(out);
	free(err);
	rc = eng_ar(dir, &out, &err, "run --max 1");
	if (rc != 0)
		fail_msg("`ar run` after a kill at %s (score %s) exited %d: %s%s", point,
		         score, rc, out, err);
	eng_check_ledger(dir);

	json_t *r = eng_results(dir), *two = eng_find(r, 2);
	size_t n = json_array_size(r);
	if (!strcmp(point, "before-commit")) {
		/* Never committed: the change was still in the work tree, and
		 * the agent's change ran as #2. */
		assert_int_equal(n, 2);
		eng_assert_str(eng_jstr(two, "description"), "after the kill");
	} else {
		const char *want = !reached ? "keep"
		                 : !strcmp(point, "after-commit") || !strcmp(point, "before-run") ||
		                   !strcmp(point, "after-run") ? "interrupted"
		                 : !strcmp(score, "4") ? "keep" : "discard";
		assert_int_equal(n, 3);
		eng_assert_str(eng_jstr(two, "description"), "doomed");
		eng_assert_str(eng_jstr(two, "status"), want);
		eng_assert_str(eng_jstr(eng_find(r, 3), "status"), "discard");
	}
	char *best = ledger_best(dir), *head = eng_head(dir);
	char *porcelain = eng_git(dir, "status --porcelain");
	eng_assert_str(head, best);
	eng_assert_str(porcelain, "?? mine.txt"); /* train.sh as in the best */
	char *notes = tu_read(dir, "notes.txt"), *mine = tu_read(dir, "mine.txt");
	eng_assert_str(notes, "the user's notes\n");
	eng_assert_str(mine, "untracked, the user's\n");
	free(notes);
	free(mine);
	free(porcelain);
	free(head);
	free(best);
	json_decref(r);
	free(out);
	free(err);
	free(env);
	tu_rm_rf(dir);
	free(dir);
	free(yaml);
	free(agent);
	tu_rm_rf(tmp);
	free(tmp);
}

static void test_kill_at_every_point(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(kill_points) / sizeof(*kill_points); i++) {
		kill_at(kill_points[i], "4");
		kill_at(kill_points[i], "6");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill9_during_run),
		cmocka_unit_test(test_kill9_then_nothing_to_run),
		cmocka_unit_test(test_kill9_during_checks),
		cmocka_unit_test(test_kill9_during_metric_command),
		cmocka_unit_test(test_sigterm_during_run),
		cmocka_unit_test(test_killed_after_commit_before_state_update),
		cmocka_unit_test(test_killed_before_commit),
		cmocka_unit_test(test_killed_after_log),
		cmocka_unit_test(test_tsv_row_missing_is_repaired),
		cmocka_unit_test(test_truncated_jsonl_line),
		cmocka_unit_test(test_kill_at_every_point),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
