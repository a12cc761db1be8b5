/*
 * test_loop.c - the autonomous loop end to end: the real `ar` binary in
 * real git repositories, driven by a scripted proposer (a labelled test
 * double of a coding agent, tests/fixtures/loop/propose.sh) or by the
 * built-in tuner.  Ctrl-C once and twice, SIGTERM and kill -9 are real
 * signals to the real process.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testutil.h"
#include "../fixtures/engine/engine_tu.h"

#define LOOP_YAML ENG_YAML "agent_backoff: 0\n"

struct fx {
	char *dir;   /* the repository */
	char *log;   /* outside it: the proposer's notes, ar's output */
	char *agent; /* the agent: setting for the scripted proposer */
};

static struct fx *fx_new(const char *yaml, const char *train)
{
	struct fx *f = calloc(1, sizeof(*f));
	char *y = ar_xprintf("%sagent: \"sh %s/tests/fixtures/loop/propose.sh\"\n", yaml,
	                     tu_env("AR_SOURCE_DIR"));
	f->dir = eng_repo(y, train);
	f->log = tu_tmpdir();
	free(y);
	return f;
}

static void fx_free(struct fx *f)
{
	tu_rm_rf(f->dir);
	tu_rm_rf(f->log);
	free(f->dir);
	free(f->log);
	free(f);
}

/* `LOOP_MODE=mode ar <args>`; returns the exit status. */
static int loop_ar(struct fx *f, const char *mode, char **out, char **err, const char *args)
{
	char *env = ar_xprintf("LOOP_MODE=%s LOOP_LOG='%s'", mode, f->log);
	int rc = eng_ar_env(env, f->dir, out, err, "%s", args);
	free(env);
	return rc;
}

static const char *status_of(json_t *results, long it)
{
	json_t *o = eng_find(results, it);
	if (!o)
		fail_msg("no experiment #%ld in the ledger", it);
	return eng_jstr(o, "status");
}

/* The scripted proposer's whole repertoire in one loop. */
static void test_scripted_loop(void **state)
{
	(void)state;
	struct fx *f = fx_new(LOOP_YAML, "echo 'score: 1.0'\n");
	char *out = NULL, *err = NULL, *prompt, *train, *head, *eval;
	int rc = loop_ar(f, "script", &out, &err, "run --max 7");
	json_t *r;

	if (rc != 0)
		fail_msg("ar run exited %d\n%s\n%s", rc, out, err);
	eng_check_ledger(f->dir);
	r = eng_results(f->dir);
	assert_int_equal(json_array_size(r), 8);
	eng_assert_str(status_of(r, 1), "baseline");
	eng_assert_str(status_of(r, 2), "keep");
	eng_assert_str(status_of(r, 3), "discard");
	eng_assert_str(status_of(r, 4), "crash");
	eng_assert_str(status_of(r, 5), "keep");            /* the fix of #4 */
	eng_assert_str(status_of(r, 6), "scope_violation"); /* touched eval.sh */
	eng_assert_str(status_of(r, 7), "no_change");
	eng_assert_str(status_of(r, 8), "no_change");       /* the agent failed */
	eng_assert_str(eng_jstr(eng_find(r, 2), "description"), "lower the score to 0.9");
	eng_assert_str(eng_jstr(eng_find(r, 2), "agent"), "command");
	assert_true(tu_contains(eng_jstr(eng_find(r, 8), "reason"), "exited 9: stuck"));
	/* The fix started from the crashed change, and its prompt had the log. */
	assert_true(tu_exists(f->log, "saw-crashed-change"));
	prompt = tu_read(f->log, "prompt-5.txt");
	assert_true(tu_contains(prompt, "The last experiment crashed"));
	assert_true(tu_contains(prompt, "It tried: a change that crashes"));
	assert_true(tu_contains(prompt, "score: 0.8"));
	assert_true(tu_contains(prompt, "experiment #5"));
	/* The summary, and the branch at the best with the harness intact. */
	assert_true(tu_contains(out, "--max reached: 7 experiments"));
	assert_true(tu_contains(out, "7: 2 kept, 1 discarded, 1 crashed, 3 other"));
	assert_true(tu_contains(out, "baseline 1.000000 -> best 0.800000 (-0.200000, -20.00%)"));
	assert_true(tu_contains(out, "fix the crash — 0.800000"));
	assert_true(tu_contains(out, "to merge    git checkout main && git merge autoresearch/"));
	train = tu_read(f->dir, "train.sh");
	eng_assert_str(train, "echo 'score: 0.8'\n");
	eval = tu_read(f->dir, "eval.sh");
	eng_assert_str(eval, "echo evaluating\n");
	head = eng_git(f->dir, "show HEAD:train.sh");
	eng_assert_str(head, "echo 'score: 0.8'");
	free(head);
	free(eval);
	free(train);
	free(prompt);
	json_decref(r);
	free(out);
	free(err);
	fx_free(f);
}

/* An agent failing every time stops the loop with a clear message. */
static void test_failing_agent_stops(void **state)
{
	(void)state;
	struct fx *f = fx_new(LOOP_YAML "agent_failures: 3\n", "echo 'score: 1.0'\n");
	char *out = NULL, *err = NULL;
	int rc = loop_ar(f, "fail", &out, &err, "run --max 20");

	assert_int_equal(rc, 1);
	assert_true(tu_contains(out, "the proposer failed or changed nothing 3 times in a row"));
	assert_true(tu_contains(out, "no credits left"));
	assert_int_equal(eng_nresults(f->dir), 4); /* baseline + 3 recorded failures */
	eng_check_ledger(f->dir);
	free(out);
	free(err);
	fx_free(f);
}

/* The same idea crashing three times in a row is abandoned: the fourth
 * proposal starts from the best, with a prompt that says so. */
static void test_crashing_idea_abandoned(void **state)
{
	(void)state;
	struct fx *f = fx_new(LOOP_YAML, "echo 'score: 1.0'\n");
	char *out = NULL, *err = NULL, *p4, *p5;
	int rc = loop_ar(f, "crash", &out, &err, "run --max 4");

	assert_int_equal(rc, 0);
	p4 = tu_read(f->log, "prompt-4.txt");
	p5 = tu_read(f->log, "prompt-5.txt");
	assert_true(tu_contains(p4, "Its change is back in the working tree"));
	assert_true(tu_contains(p5, "crashed three times in a row and was abandoned"));
	assert_true(tu_contains(err, "abandoned"));
	free(p4);
	free(p5);
	free(out);
	free(err);
	fx_free(f);
}

/* ---- signals: Ctrl-C once, twice, SIGTERM, kill -9 then resume ---------- */

/* Start `ar run --max 3` in the background with the slow proposer, after
 * a baseline; wait until experiment #2's run has started. */
static void start_slow(struct fx *f)
{
	char *out = NULL, *err = NULL, *started;

	eng_init(f->dir, "sig");
	free(eng_ok(f->dir, "baseline"));
	tu_sh("(LOOP_MODE=slow LOOP_LOG='%s' sh -c 'echo $$ > \"%s/pid\"; exec \"%s\" -C \"%s\" "
	      "run --max 3 >\"%s/out\" 2>\"%s/err\" </dev/null'; echo $? > '%s/rc') &",
	      f->log, f->log, tu_env("AR_BIN"), f->dir, f->log, f->log, f->log);
	started = NULL;
	for (int i = 0; i < 500 && !started; i++) {
		if (tu_exists(f->dir, "ignored.txt"))
			started = "yes";
		else
			usleep(20000);
	}
	if (!started)
		fail_msg("experiment #2 never started");
	free(out);
	free(err);
}

static void sig(struct fx *f, const char *signame)
{
	char *pid = tu_read(f->log, "pid");
	assert_non_null(pid);
	tu_sh("kill -%s %ld", signame, strtol(pid, NULL, 10));
	free(pid);
}

static int wait_rc(struct fx *f)
{
	char *rc = eng_wait_file(f->log, "rc", 30);
	int v;
	if (!rc)
		fail_msg("ar did not stop");
	v = (int)strtol(rc, NULL, 10);
	free(rc);
	return v;
}

/* The branch is at the best commit, and the working tree's train.sh is it. */
static void assert_at_best(struct fx *f, const char *train)
{
	char *head = eng_git(f->dir, "show HEAD:train.sh"), *wt = tu_read(f->dir, "train.sh");
	char *want = ar_xstrdup(train);
	size_t n = strlen(want);
	while (n && want[n - 1] == '\n')
		want[--n] = '\0';
	eng_assert_str(head, want);
	eng_assert_str(wt, train);
	free(want);
	free(head);
	free(wt);
}

static void test_ctrl_c_once_finishes_the_experiment(void **state)
{
	(void)state;
	struct fx *f = fx_new(LOOP_YAML, "echo 'score: 1.0'\n");
	char *out;

	start_slow(f);
	sig(f, "INT");
	assert_int_equal(wait_rc(f), 130);
	eng_check_ledger(f->dir);
	json_t *r = eng_results(f->dir);
	assert_int_equal(json_array_size(r), 2);
	eng_assert_str(status_of(r, 2), "keep"); /* it ran to its end: 0.2 < 1.0 */
	assert_at_best(f, "touch ignored.txt\nsleep 3\necho 'score: 0.2'\n");
	out = tu_read(f->log, "out");
	assert_true(tu_contains(out, "stopped by the user (Ctrl-C)"));
	free(out);
	json_decref(r);
	fx_free(f);
}

static void kill_and_revert(const char *how)
{
	struct fx *f = fx_new(LOOP_YAML, "echo 'score: 1.0'\n");
	char *out;
	double t0;

	start_slow(f);
	t0 = eng_now();
	if (!strcmp(how, "twice")) {
		sig(f, "INT");
		usleep(200000);
		sig(f, "INT");
	} else {
		sig(f, "TERM");
	}
	assert_int_equal(wait_rc(f), 130);
	assert_true(eng_now() - t0 < 2.9); /* killed, not waited for */
	eng_check_ledger(f->dir);
	json_t *r = eng_results(f->dir);
	assert_int_equal(json_array_size(r), 2);
	eng_assert_str(status_of(r, 2), "interrupted");
	assert_at_best(f, "echo 'score: 1.0'\n");
	out = tu_read(f->log, "out");
	assert_true(tu_contains(out, "interrupted"));
	free(out);
	json_decref(r);
	fx_free(f);
}

static void test_ctrl_c_twice_kills_and_reverts(void **state)
{
	(void)state;
	kill_and_revert("twice");
}

static void test_sigterm_kills_and_reverts(void **state)
{
	(void)state;
	kill_and_revert("term");
}

static void test_kill_9_then_resume(void **state)
{
	(void)state;
	struct fx *f = fx_new(LOOP_YAML, "echo 'score: 1.0'\n");
	char *out = NULL, *err = NULL;

	start_slow(f);
	sig(f, "KILL");
	wait_rc(f);
	assert_int_equal(loop_ar(f, "slow", &out, &err, "run --max 1"), 0);
	eng_check_ledger(f->dir); /* 1..3, no gap, no duplicate */
	json_t *r = eng_results(f->dir);
	assert_int_equal(json_array_size(r), 3);
	eng_assert_str(status_of(r, 2), "interrupted");
	eng_assert_str(status_of(r, 3), "keep");
	assert_at_best(f, "touch ignored.txt\nsleep 3\necho 'score: 0.3'\n");
	/* A resumed session's merge hint comes from the ledger's header. */
	assert_true(tu_contains(out, "git checkout main && git merge autoresearch/"));
	json_decref(r);
	free(out);
	free(err);
	fx_free(f);
}

/* ---- ar step's exit status 3, the one-line form, --dry-run -------------- */

static void test_step_exit_3_when_a_limit_holds(void **state)
{
	(void)state;
	char *dir = eng_repo(ENG_YAML "max_experiments: 2\ntarget: 0.5\n", "echo 'score: 1.0'\n");
	char *out = NULL, *err = NULL;

	eng_init(dir, "x");
	free(eng_ok(dir, "baseline"));
	eng_score(dir, "0.9");
	assert_int_equal(eng_ar(dir, &out, &err, "step -m one"), 0);
	free(out);
	free(err);
	eng_score(dir, "0.95");
	assert_int_equal(eng_ar(dir, &out, &err, "step -m two"), 3);
	assert_true(tu_contains(err, "max_experiments reached: 2 experiments"));
	free(out);
	free(err);
	tu_rm_rf(dir);
	free(dir);
	/* target */
	dir = eng_repo(ENG_YAML "target: 0.5\n", "echo 'score: 1.0'\n");
	eng_init(dir, "x");
	free(eng_ok(dir, "baseline"));
	eng_score(dir, "0.4");
	assert_int_equal(eng_ar(dir, &out, &err, "step -m reach"), 3);
	assert_true(tu_contains(err, "target reached: best 0.4 <= 0.5"));
	free(out);
	free(err);
	tu_rm_rf(dir);
	free(dir);
}

static void test_one_line_form(void **state)
{
	(void)state;
	char *dir = tu_git_repo("size.txt", "120\n", "build.sh", "echo \"Total size: $(cat size.txt) kB\"\n",
	                        NULL);
	char *out = NULL, *err = NULL, *prop = ar_xprintf(
		"--agent \"sh -c 'echo \\$((\\$(cat size.txt) - 10)) > size.txt; echo DESCRIPTION: smaller'\"");
	json_t *r;

	/* --dry-run shows the same model as a config file would, and runs nothing. */
	assert_int_equal(eng_ar(dir, &out, &err, "'minimize bundle size' 'sh build.sh' size.txt "
	                        "--dry-run %s", prop), 0);
	assert_true(tu_contains(out, "metric    bundle_size, lower is better, from the last "
	                        "number the command prints"));
	assert_true(tu_contains(out, "targets   size.txt"));
	assert_true(tu_contains(out, "run       sh build.sh"));
	assert_false(tu_exists(dir, "autoresearch.jsonl"));
	free(out);
	free(err);
	assert_int_equal(eng_ar(dir, &out, &err, "-c agent_backoff=0 'minimize bundle size' "
	                        "'sh build.sh' size.txt --max 2 %s", prop), 0);
	r = eng_results(dir);
	assert_int_equal(json_array_size(r), 3);
	assert_true(json_number_value(json_object_get(eng_find(r, 1), "score")) == 120);
	eng_assert_str(status_of(r, 3), "keep");
	assert_true(json_number_value(json_object_get(eng_find(r, 3), "score")) == 100);
	json_decref(r);
	free(out);
	free(err);
	/* A bad objective says how to write it. */
	assert_int_equal(eng_ar(dir, &out, &err, "'minimize' 'sh build.sh' size.txt"), 2);
	free(out);
	free(err);
	assert_int_equal(eng_ar(dir, &out, &err, "run 'make it faster' 'sh build.sh' x"), 2);
	assert_true(tu_contains(err, "does not start with minimize"));
	free(out);
	free(err);
	free(prop);
	tu_rm_rf(dir);
	free(dir);
}

/* Bare `ar` with --dry-run prints the plan and touches nothing. */
static void test_bare_ar_dry_run(void **state)
{
	(void)state;
	char *dir = eng_repo(ENG_YAML "max_experiments: 9\n", "echo 'score: 1.0'\n");
	char *out = NULL, *err = NULL, *branch;

	assert_int_equal(eng_ar(dir, &out, &err, "--dry-run --agent tune"), 0);
	assert_true(tu_contains(out, "new session"));
	assert_true(tu_contains(out, "proposer  tune"));
	assert_true(tu_contains(out, "stops at  max_experiments 9, Ctrl-C"));
	assert_true(tu_contains(out, "fixed     eval.sh"));
	branch = eng_git(dir, "rev-parse --abbrev-ref HEAD");
	eng_assert_str(branch, "main");
	free(branch);
	free(out);
	free(err);
	tu_rm_rf(dir);
	free(dir);
}

/* ---- what cannot work says so -------------------------------------------- */

static void test_tuner_with_nothing_to_tune(void **state)
{
	(void)state;
	char *dir = eng_repo(ENG_YAML, "echo 'score: 1.0'\n");
	char *out = NULL, *err = NULL;

	assert_int_equal(eng_ar(dir, &out, &err, "run --agent tune --max 3"), 1);
	assert_true(tu_contains(out, "no numeric constant"));
	assert_true(tu_contains(out, "ar: tune"));
	eng_check_ledger(dir); /* the baseline only */
	assert_int_equal(eng_nresults(dir), 1);
	free(out);
	free(err);
	tu_rm_rf(dir);
	free(dir);
}

static void test_missing_agent_cli(void **state)
{
	(void)state;
	char *dir = eng_repo(LOOP_YAML "agent_failures: 2\n", "echo 'score: 1.0'\n");
	char *out = NULL, *err = NULL;

	assert_int_equal(eng_ar(dir, &out, &err, "run --agent no-such-agent-cli --max 5"), 1);
	assert_true(tu_contains(out, "agent command not found"));
	assert_int_equal(eng_nresults(dir), 3);
	free(out);
	free(err);
	tu_rm_rf(dir);
	free(dir);
}

static void test_bad_flags(void **state)
{
	(void)state;
	char *dir = eng_repo(ENG_YAML, "echo 'score: 1.0'\n");
	char *out = NULL, *err = NULL;

	assert_int_equal(eng_ar(dir, &out, &err, "run --for soon"), 2);
	assert_true(tu_contains(err, "--for takes a duration such as 8h"));
	free(out);
	free(err);
	assert_int_equal(eng_ar(dir, &out, &err, "--max -3"), 2);
	free(out);
	free(err);
	tu_rm_rf(dir);
	free(dir);
}

/* ---- output for programs and for people --------------------------------- */

static void test_json_events(void **state)
{
	(void)state;
	struct fx *f = fx_new(LOOP_YAML, "echo 'score: 1.0'\n");
	char *out = NULL, *err = NULL, *save = NULL;
	const char *want[] = { "plan", "result", "proposing", "proposed", "result", "stop" };
	size_t n = 0;

	assert_int_equal(loop_ar(f, "script", &out, &err, "run --max 1 --json"), 0);
	for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		json_error_t e;
		json_t *o = json_loads(l, 0, &e);
		if (!o)
			fail_msg("not JSON: %s", l);
		assert_true(n < 6);
		eng_assert_str(json_string_value(json_object_get(o, "event")), want[n++]);
		json_decref(o);
	}
	assert_int_equal(n, 6);
	free(out);
	free(err);
	fx_free(f);
}

/* On a terminal (script(1) gives ar one), a live line per experiment. */
static void test_live_line_on_a_terminal(void **state)
{
	(void)state;
	struct fx *f = fx_new(LOOP_YAML, "echo 'score: 1.0'\n");
	char *out = NULL, *cmd;

	if (tu_sh("command -v script >/dev/null") != 0) {
		printf("skipped: script(1) is not installed to give ar a terminal\n");
		fx_free(f);
		skip();
		return; /* skip() jumps out; the compiler does not know it */
	}
	cmd = ar_xprintf("LOOP_MODE=slow LOOP_LOG=%s '%s' -C %s run --max 1", f->log,
	                 tu_env("AR_BIN"), f->dir);
	tu_sh_out(&out, "script -qec \"%s\" /dev/null", cmd);
	assert_true(tu_contains(out, "\r\033[K#2   running "));
	assert_true(tu_contains(out, "s / 10s"));
	assert_true(tu_contains(out, "#2   "));
	free(cmd);
	free(out);
	fx_free(f);
}

/* ---- how the prompt reaches the agent, and a hung agent ------------------ */

static void test_prompt_modes(void **state)
{
	(void)state;
	char *dir = eng_repo(LOOP_YAML, "echo 'score: 1.0'\n"), *log = tu_tmpdir();
	char *out = NULL, *err = NULL, *got;

	/* file: {prompt_file}; {targets} and {iteration} filled in */
	assert_int_equal(eng_ar(dir, &out, &err,
	        "-c agent.prompt=file run --max 1 --agent \"cp {prompt_file} %s/p-{iteration}.md; "
	        "echo {targets} > %s/targets; echo 'echo score: 0.5' > train.sh\"", log, log), 0);
	got = tu_read(log, "p-2.md");
	assert_true(tu_contains(got, "experiment #2"));
	free(got);
	got = tu_read(log, "targets");
	eng_assert_str(got, "train.sh\n");
	free(got);
	free(out);
	free(err);
	/* arg: the prompt as the last argument */
	assert_int_equal(eng_ar(dir, &out, &err,
	        "-c agent.prompt=arg run --max 1 --agent \"sh -c 'printf %%s \\\"\\$0\\\" > %s/arg'\"",
	        log), 0);
	got = tu_read(log, "arg");
	assert_true(tu_contains(got, "experiment #3"));
	free(got);
	free(out);
	free(err);
	tu_rm_rf(log);
	free(log);
	tu_rm_rf(dir);
	free(dir);
}

static void test_hung_agent_is_killed(void **state)
{
	(void)state;
	char *dir = eng_repo(LOOP_YAML "agent_timeout: 1\nagent_failures: 1\n", "echo 'score: 1.0'\n");
	char *out = NULL, *err = NULL;
	double t0 = eng_now();

	assert_int_equal(eng_ar(dir, &out, &err, "run --max 3 --agent 'sleep 60 # hung-agent-x'"), 1);
	assert_true(eng_now() - t0 < 20);
	assert_false(eng_alive("[h]ung-agent-x")); /* [h]: not pgrep's own shell */
	json_t *last = eng_last(dir);
	eng_assert_str(eng_jstr(last, "status"), "no_change");
	assert_true(tu_contains(eng_jstr(last, "reason"), "timed out after 1 s (agent_timeout)"));
	json_decref(last);
	free(out);
	free(err);
	tu_rm_rf(dir);
	free(dir);
}

/* A proposer that changes only files outside the scope: recorded as such,
 * and the file is left as it is (it may be the user's). */
static void test_out_of_scope_only(void **state)
{
	(void)state;
	char *dir = eng_repo(LOOP_YAML, "echo 'score: 1.0'\n"), *readme;
	char *out = NULL, *err = NULL;

	assert_int_equal(eng_ar(dir, &out, &err, "run --max 1 --agent 'echo more >> README'"), 0);
	json_t *last = eng_last(dir);
	eng_assert_str(eng_jstr(last, "status"), "no_change");
	assert_true(tu_contains(eng_jstr(last, "reason"),
	                        "only files outside the target files changed (left as they are): README"));
	readme = tu_read(dir, "README");
	eng_assert_str(readme, "readme\nmore\n");
	free(readme);
	json_decref(last);
	free(out);
	free(err);
	tu_rm_rf(dir);
	free(dir);
}

/* ---- the tuner improves the bundled example ------------------------------ */

static void test_tuner_improves_ml_example(void **state)
{
	(void)state;
	char *dir, *out = NULL, *err = NULL;
	json_t *r;
	double base, best = 1e9;
	size_t i, keeps = 0;
	json_t *o;

	if (tu_sh("command -v python3 >/dev/null") != 0) {
		printf("skipped: python3 is not installed (the ml example is a Python program)\n");
		skip();
	}
	dir = tu_tmpdir();
	tu_sh("cp -r '%s/examples/ml/.' '%s/' && cd '%s' && git init -q -b main . && "
	      "git add -A && git -c user.name=t -c user.email=t@t commit -qm ml",
	      tu_env("AR_SOURCE_DIR"), dir, dir);
	if (eng_ar(dir, &out, &err, "--agent tune --seed 1 --max 6") != 0)
		fail_msg("ar failed:\n%s\n%s", out, err);
	r = eng_results(dir);
	assert_int_equal(json_array_size(r), 7);
	base = json_number_value(json_object_get(eng_find(r, 1), "score"));
	json_array_foreach(r, i, o) {
		if (!strcmp(eng_jstr(o, "status"), "keep")) {
			keeps++;
			double v = json_number_value(json_object_get(o, "score"));
			best = v < best ? v : best;
		}
		if (i)
			assert_true(!strncmp(eng_jstr(o, "description"), "tune ", 5));
	}
	assert_true(keeps >= 1);
	assert_true(best < base * 0.9); /* a real improvement of val_bpb */
	json_decref(r);
	free(out);
	free(err);
	tu_rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scripted_loop),
		cmocka_unit_test(test_failing_agent_stops),
		cmocka_unit_test(test_crashing_idea_abandoned),
		cmocka_unit_test(test_ctrl_c_once_finishes_the_experiment),
		cmocka_unit_test(test_ctrl_c_twice_kills_and_reverts),
		cmocka_unit_test(test_sigterm_kills_and_reverts),
		cmocka_unit_test(test_kill_9_then_resume),
		cmocka_unit_test(test_step_exit_3_when_a_limit_holds),
		cmocka_unit_test(test_one_line_form),
		cmocka_unit_test(test_bare_ar_dry_run),
		cmocka_unit_test(test_tuner_with_nothing_to_tune),
		cmocka_unit_test(test_missing_agent_cli),
		cmocka_unit_test(test_bad_flags),
		cmocka_unit_test(test_json_events),
		cmocka_unit_test(test_live_line_on_a_terminal),
		cmocka_unit_test(test_prompt_modes),
		cmocka_unit_test(test_hung_agent_is_killed),
		cmocka_unit_test(test_out_of_scope_only),
		cmocka_unit_test(test_tuner_improves_ml_example),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
