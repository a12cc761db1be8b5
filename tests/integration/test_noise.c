/*
 * test_noise.c - decisions under noise, end to end: the real `ar` binary on
 * real repositories whose run command prints a metric with noise.
 *
 * The noise is scripted, so every test is exact: noisy.sh (the harness)
 * prints `score: <value + noise>`, where the noise of the k-th run is line
 * k of noise.txt (0 past its end) and k counts runs in .count; both files
 * are ignored by git.  train.sh (the target) is `sh noisy.sh <value>`.
 * Tests write noise.txt and reset the count before each command.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include "testutil.h"
#include "../fixtures/engine/engine_tu.h"

static const char noisy_sh[] =
	"c=$(cat .count 2>/dev/null || echo 0); c=$((c+1)); echo $c > .count\n"
	"n=$(sed -n \"${c}p\" noise.txt 2>/dev/null); [ -n \"$n\" ] || n=0\n"
	"awk -v b=\"$1\" -v n=\"$n\" 'BEGIN { printf \"score: %.6f\\n\", b + n }'\n";

#define NOISE_YAML_BASE                                \
	"# the noise tests' session\n"                     \
	"adapter: custom\n"                                \
	"target_files: [train.sh]   # what experiments change\n" \
	"fixed_files: [noisy.sh]\n"                        \
	"run_command: \"sh train.sh\"\n"                   \
	"time_budget: 10\n"                                \
	"metric: {name: score, direction: lower}\n"        \
	"agent_backoff: 0\n"

/* A repository with the noisy harness and train.sh at 5.0; yaml_extra is
 * appended to the config.  Caller frees; remove with tu_rm_rf. */
static char *noise_repo(const char *yaml_extra)
{
	char *yaml = ar_xprintf("%s%s", NOISE_YAML_BASE, yaml_extra);
	char *dir = tu_git_repo(".autoresearch.yaml", yaml, "noisy.sh", noisy_sh,
	                        "train.sh", "sh noisy.sh 5.0\n",
	                        ".gitignore", ".count\nnoise.txt\n", NULL);
	free(yaml);
	return dir;
}

/* The noise of the next runs, one per line, from run 1. */
static void set_noise(const char *dir, const char *lines)
{
	tu_write(dir, "noise.txt", lines);
	tu_write(dir, ".count", "0\n");
}

static void set_value(const char *dir, const char *value)
{
	char *s = ar_xprintf("sh noisy.sh %s\n", value);
	tu_write(dir, "train.sh", s);
	free(s);
}

static char *session(const char *yaml_extra, const char *baseline_noise)
{
	char *dir = noise_repo(yaml_extra);
	eng_init(dir, "t");
	set_noise(dir, baseline_noise);
	free(eng_ok(dir, "baseline"));
	return dir;
}

/* The numbers of array `key` of object o. */
static size_t jnums(json_t *o, const char *key, double *out, size_t max)
{
	json_t *a = json_object_get(o, key), *v;
	size_t i, n = 0;

	if (!json_is_array(a))
		return 0;
	json_array_foreach(a, i, v)
		if (n < max)
			out[n++] = json_number_value(v);
	return json_array_size(a);
}

static double jnum(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_number(v))
		fail_msg("\"%s\" is not a number", key);
	return json_number_value(v);
}

static void assert_near(double got, double want)
{
	if (fabs(got - want) > 1e-9)
		fail_msg("got %.12g, expected %.12g", got, want);
}

/* step -m desc with the given noise; returns the last result (decref). */
static json_t *step(const char *dir, const char *value, const char *noise,
                    const char *desc, char **out)
{
	set_value(dir, value);
	set_noise(dir, noise);
	char *o = eng_ok(dir, "step -m '%s'", desc);
	if (out)
		*out = o;
	else
		free(o);
	return eng_last(dir);
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void done(char *dir)
{
	eng_check_ledger(dir);
	tu_rm_rf(dir);
	free(dir);
}

/* ---- repeats: k --------------------------------------------------------------- */

static void test_repeats_record_samples_and_mean(void **state)
{
	(void)state;
	char *dir = session("repeats: 3\n", "0.1\n-0.1\n0\n"), *out = NULL;
	json_t *r = eng_last(dir), *k;
	double s[8];

	/* The baseline: 3 samples, their mean, their spread. */
	assert_int_equal(jnums(r, "samples", s, 8), 3);
	assert_near(s[0], 5.1);
	assert_near(s[1], 4.9);
	assert_near(s[2], 5.0);
	assert_near(jnum(r, "score"), 5.0);
	assert_near(jnum(r, "spread"), 0.1);
	assert_null(json_object_get(r, "p_value")); /* nothing to compare with */
	assert_true(tu_exists(dir, ".autoresearch/logs/1.log"));
	assert_true(tu_exists(dir, ".autoresearch/logs/1.3.log"));
	assert_false(tu_exists(dir, ".autoresearch/logs/1.4.log"));
	json_decref(r);

	/* A clear improvement: kept, with its p-value and effect; the line
	 * shows the spread and p. */
	k = step(dir, "4.0", "0.05\n-0.05\n0\n", "halve it", &out);
	eng_assert_str(eng_jstr(k, "status"), "keep");
	assert_int_equal(jnums(k, "samples", s, 8), 3);
	assert_near(jnum(k, "score"), 4.0);
	assert_near(jnum(k, "delta"), -1.0);
	assert_near(jnum(k, "effect"), 1.0);
	assert_true(jnum(k, "p_value") < 0.01);
	assert_int_equal(jnums(k, "best_samples", s, 8), 3);
	assert_true(tu_contains(out, "4.000000 ± 0.05 (p="));
	assert_true(tu_contains(out, " keep halve it"));
	/* The TSV keeps karpathy's five columns, with the mean. */
	ar_strvec tsv = AR_STRVEC_INIT;
	eng_tsv(dir, &tsv);
	assert_true(tu_contains(tsv.items[2], "\t4.000000\t"));
	assert_true(tu_contains(tsv.items[2], "\tkeep\thalve it"));
	ar_strvec_release(&tsv);
	/* ar status and ar results show the noise too. */
	free(out);
	out = eng_ok(dir, "status");
	assert_true(tu_contains(out, "4.000000  ± 0.05 p="));
	free(out);
	out = eng_ok(dir, "results");
	assert_true(tu_contains(out, "± 0.05 p="));
	json_decref(k);
	free(out);
	done(dir);
}

static void test_aggregate_median(void **state)
{
	(void)state;
	char *dir = session("repeats: 3\naggregate: median\n", "0.9\n0\n0.1\n");
	json_t *r = eng_last(dir);

	assert_near(jnum(r, "score"), 5.1); /* median of 5.9, 5.0, 5.1 */
	json_decref(r);
	done(dir);
}

/* ---- the t-test ------------------------------------------------------------------ */

static void test_lucky_run_discarded_by_the_test(void **state)
{
	(void)state;
	/* The same change and the same noise, judged two ways. */
	char *naive = session("", "0\n"), *out = NULL;
	json_t *r = step(naive, "5.00", "-0.3\n", "nothing really", NULL);
	/* One run: the lucky -0.3 is taken for progress. */
	eng_assert_str(eng_jstr(r, "status"), "keep");
	assert_null(json_object_get(r, "samples"));
	json_decref(r);
	done(naive);

	char *dir = session("repeats: 3\n", "0.3\n-0.3\n0\n");
	r = step(dir, "5.00", "-0.3\n-0.2\n0.35\n", "nothing really", &out);
	/* Three runs: mean 4.95 beats 5.0, but not beyond the noise. */
	eng_assert_str(eng_jstr(r, "status"), "discard");
	assert_near(jnum(r, "score"), 4.95);
	assert_near(jnum(r, "effect"), 0.05);
	assert_true(jnum(r, "p_value") > 0.3 && jnum(r, "p_value") < 0.5);
	assert_true(tu_contains(eng_jstr(r, "reason"), "not significantly better"));
	assert_true(tu_contains(out, "(p=0.4"));
	/* Reverted: the branch tip is still the baseline. */
	char *tip = eng_git(dir, "show HEAD:train.sh");
	eng_assert_str(tip, "sh noisy.sh 5.0");
	free(tip);
	json_decref(r);
	free(out);
	done(dir);
}

static void test_min_delta_still_applies(void **state)
{
	(void)state;
	/* Significant, but smaller than min_delta: discarded. */
	char *dir = session("repeats: 3\nmin_delta: 0.5\n", "0.01\n-0.01\n0\n");
	json_t *r = step(dir, "4.7", "0.01\n-0.01\n0\n", "a little", NULL);

	eng_assert_str(eng_jstr(r, "status"), "discard");
	assert_true(jnum(r, "p_value") < 0.001);
	assert_null(json_object_get(r, "reason"));
	json_decref(r);
	done(dir);
}

/* ---- repeats: auto and confirm ------------------------------------------------ */

/*
 * repeats: auto (stats.h): after each run Welch's p against the level of
 * that look (K = 5, alpha 0.05: 0.00084, 0.0132, 0.0349, 0.0581, 0.0801),
 * a stop for futility at p >= 0.2266, and a kept change measured afresh.
 * The p-values below are python3's (bench/noise/policy_sim.py's welch).
 */
static void test_auto_stops_early(void **state)
{
	(void)state;
	char *dir = session("repeats: auto\n", "0.1\n-0.1\n0\n0.05\n-0.05\n");
	json_t *b = eng_last(dir), *r;
	double s[8];

	/* The baseline learns the noise: max_repeats (5) runs; mean 5.0,
	 * sd 0.079. */
	assert_int_equal(jnums(b, "samples", s, 8), 5);
	json_decref(b);
	r = step(dir, "6.0", "0\n0\n0\n", "much worse", NULL);
	eng_assert_str(eng_jstr(r, "status"), "discard");
	assert_int_equal(jnums(r, "samples", s, 8), 1);
	assert_near(s[0], 6.0);
	assert_true(jnum(r, "p_value") > 0.99);
	assert_true(tu_exists(dir, ".autoresearch/logs/2.log"));
	assert_false(tu_exists(dir, ".autoresearch/logs/2.2.log"));
	json_decref(r);

	/* Better, but well within the noise (p 0.41): one run too. */
	r = step(dir, "4.98", "0\n0\n", "a hair", NULL);
	eng_assert_str(eng_jstr(r, "status"), "discard");
	assert_int_equal(jnums(r, "samples", s, 8), 1);
	assert_true(jnum(r, "p_value") > 0.4);
	assert_false(tu_exists(dir, ".autoresearch/logs/3.2.log"));
	json_decref(r);

	/* Promising after one run (p 0.0026 > 0.00084): another; the second
	 * decides (p 0.00003).  Then the new best runs five more times, and
	 * those runs, not the two lucky enough to pass, are its samples. */
	r = step(dir, "4.5", "0.02\n-0.02\n0.1\n-0.1\n0\n0.05\n-0.05\n", "better", NULL);
	eng_assert_str(eng_jstr(r, "status"), "keep");
	assert_int_equal(jnums(r, "samples", s, 8), 2);
	assert_true(tu_exists(dir, ".autoresearch/logs/4.best.log"));
	assert_true(tu_exists(dir, ".autoresearch/logs/4.best5.log"));
	assert_false(tu_exists(dir, ".autoresearch/logs/4.best6.log"));
	assert_false(tu_exists(dir, ".autoresearch/logs/4.refresh.log"));
	assert_int_equal(eng_nresults(dir), 4); /* they are not experiments */
	json_decref(r);

	/* A lucky first run (p 0.041), then the truth: stops at two, worse
	 * than the best's fresh samples. */
	r = step(dir, "4.50", "-0.2\n0.3\n", "lucky", NULL);
	eng_assert_str(eng_jstr(r, "status"), "discard");
	assert_int_equal(jnums(r, "samples", s, 8), 2);
	assert_int_equal(jnums(r, "best_samples", s, 8), 5);
	assert_near(s[0], 4.6);
	assert_near(s[4], 4.45);
	json_decref(r);
	done(dir);
}

static void test_auto_stops_at_max_repeats(void **state)
{
	(void)state;
	/* max_repeats 3: levels 0.0040, 0.0304, 0.0628; the best 5.0 +- 0.5. */
	char *dir = session("repeats: auto\nmax_repeats: 3\n", "0.5\n-0.5\n0\n");
	/* Promising at every look, never significant: p 0.20, 0.097, 0.21;
	 * three runs, then a discard. */
	json_t *r = step(dir, "4.9", "-0.5\n-0.4\n0.2\n0\n", "maybe", NULL);
	double s[8];

	assert_int_equal(jnums(r, "samples", s, 8), 3);
	eng_assert_str(eng_jstr(r, "status"), "discard");
	assert_true(tu_contains(eng_jstr(r, "reason"), "not significantly better"));
	assert_false(tu_exists(dir, ".autoresearch/logs/2.4.log"));
	json_decref(r);
	done(dir);
}

static void test_confirm_reruns(void **state)
{
	(void)state;
	const char *base = "0.1\n-0.1\n0\n0.05\n-0.05\n";
	double s[8];

	/* Without confirm: better by far more than the noise (p 0.00017 <=
	 * 0.00084), it passes on its first run. */
	char *dir = session("repeats: auto\n", base);
	json_t *r = step(dir, "4.0", "0.01\n-0.01\n0\n", "better", NULL);
	eng_assert_str(eng_jstr(r, "status"), "keep");
	assert_int_equal(jnums(r, "samples", s, 8), 1);
	json_decref(r);
	done(dir);

	/* With confirm: once more before it becomes the best. */
	dir = session("repeats: auto\nconfirm: true\n", base);
	r = step(dir, "4.0", "0.01\n0.02\n0.1\n-0.1\n0\n0.05\n-0.05\n", "better", NULL);
	eng_assert_str(eng_jstr(r, "status"), "keep");
	assert_int_equal(jnums(r, "samples", s, 8), 2);
	assert_near(s[1], 4.02);
	assert_true(tu_exists(dir, ".autoresearch/logs/2.2.log"));
	assert_true(tu_exists(dir, ".autoresearch/logs/2.best5.log"));
	json_decref(r);

	/* A confirmation that fails to confirm: the pass (p 0.00023 against
	 * the fresh 4.0 +- 0.079) was luck. */
	r = step(dir, "3.99", "-0.9\n1.5\n", "lucky once", NULL);
	eng_assert_str(eng_jstr(r, "status"), "discard");
	assert_int_equal(jnums(r, "samples", s, 8), 2);
	assert_near(s[1], 5.49);
	json_decref(r);
	done(dir);
}

static void test_new_best_when_its_runs_fail(void **state)
{
	(void)state;
	char *dir = session("repeats: auto\n", "0.1\n-0.1\n0\n0.05\n-0.05\n");
	char *out = NULL, *err = NULL;
	double s[8];
	json_t *r;

	/* Kept on its first run; every run after it exits 1, so the fresh
	 * measurement fails: the best keeps the experiment's sample, and ar
	 * says why. */
	set_value(dir, "4.0; [ \"$(cat .count)\" -ge 2 ] && exit 1; true");
	set_noise(dir, "0\n");
	assert_int_equal(eng_ar(dir, &out, &err, "step -m better"), 0);
	assert_true(tu_contains(err, "re-running the best to renew its samples failed"));
	assert_true(tu_contains(err, "2.best.log"));
	r = eng_last(dir);
	eng_assert_str(eng_jstr(r, "status"), "keep");
	json_decref(r);
	free(out);
	free(err);
	r = step(dir, "6.0", "0\n", "worse", NULL);
	assert_int_equal(jnums(r, "best_samples", s, 8), 1);
	assert_near(s[0], 4.0);
	json_decref(r);
	done(dir);
}

/* ---- the best's samples ------------------------------------------------------- */

static void test_refresh_best(void **state)
{
	(void)state;
	char *dir = session("repeats: 2\nrefresh_best: 2\n", "0.1\n-0.1\n");
	json_t *r;
	double s[16];

	r = step(dir, "6.0", "0\n0\n", "worse 1", NULL);
	assert_int_equal(jnums(r, "best_samples", s, 16), 2);
	json_decref(r);
	/* The second experiment since the best: the best runs again (twice,
	 * as repeats says) after it, not as an experiment. */
	r = step(dir, "6.0", "0\n0\n0.02\n-0.02\n", "worse 2", NULL);
	assert_int_equal(jnums(r, "best_samples", s, 16), 2);
	json_decref(r);
	assert_true(tu_exists(dir, ".autoresearch/logs/3.refresh.log"));
	assert_true(tu_exists(dir, ".autoresearch/logs/3.refresh2.log"));
	assert_int_equal(eng_nresults(dir), 3);
	/* The next experiment is compared with all four. */
	r = step(dir, "6.0", "0\n0\n", "worse 3", NULL);
	assert_int_equal(jnums(r, "best_samples", s, 16), 4);
	assert_near(s[2], 5.02);
	assert_near(s[3], 4.98);
	json_decref(r);
	/* The samples survive a restart (each `ar step` is one). */
	char *best = tu_read(dir, ".autoresearch/best");
	assert_non_null(best);
	assert_true(tu_contains(best, "samples 5.0"));
	free(best);
	/* Without that file, the best's samples come from its ledger row. */
	tu_sh("rm '%s/.autoresearch/best'", dir);
	r = step(dir, "6.0", "0\n0\n", "worse 4", NULL);
	assert_int_equal(jnums(r, "best_samples", s, 16), 2);
	assert_near(s[0], 5.1);
	assert_near(s[1], 4.9);
	json_decref(r);
	done(dir);
}

/* ---- repeats: 1 is unchanged ------------------------------------------------------- */

static void test_repeats_one_writes_no_noise_fields(void **state)
{
	(void)state;
	char *dir = session("", "0.2\n"), *out = NULL;
	json_t *r = step(dir, "4.0", "0.3\n", "better", &out);

	eng_assert_str(eng_jstr(r, "status"), "keep");
	assert_null(json_object_get(r, "samples"));
	assert_null(json_object_get(r, "spread"));
	assert_null(json_object_get(r, "p_value"));
	assert_null(json_object_get(r, "effect"));
	assert_false(tu_contains(out, "±"));
	assert_false(tu_exists(dir, ".autoresearch/logs/2.2.log"));
	assert_false(tu_exists(dir, ".autoresearch/best"));
	json_decref(r);
	free(out);
	done(dir);
}

/* ---- a crash among the repeats ---------------------------------------------------- */

static void test_crash_in_second_run(void **state)
{
	(void)state;
	char *dir = session("repeats: 3\n", "0\n0\n0\n");
	/* The second run exits 1: the experiment is a crash. */
	set_value(dir, "4.0; [ \"$(cat .count)\" = 2 ] && exit 1; true");
	set_noise(dir, "0\n");
	free(eng_ok(dir, "step -m flaky"));
	json_t *r = eng_last(dir);
	double s[8];

	eng_assert_str(eng_jstr(r, "status"), "crash");
	assert_true(tu_contains(eng_jstr(r, "reason"), "exit status 1"));
	assert_true(tu_contains(eng_jstr(r, "reason"), "2.2.log"));
	assert_int_equal(jnums(r, "samples", s, 8), 1);
	assert_false(tu_exists(dir, ".autoresearch/logs/2.3.log"));
	json_decref(r);
	done(dir);
}

/* ---- ar calibrate ------------------------------------------------------------------ */

static void test_calibrate_reports_and_writes(void **state)
{
	(void)state;
	char *dir = session("min_delta: 0   # set by hand\n", "0\n"), *out = NULL, *err = NULL;
	char *head = eng_head(dir), *yaml, *cal;
	size_t rows = eng_nresults(dir);

	set_noise(dir, "0.1\n-0.1\n0.05\n-0.05\n0\n");
	out = eng_ok(dir, "calibrate -n 5 --effect 5%%");
	assert_true(tu_contains(out, "5 runs of"));
	assert_true(tu_contains(out, "mean      5"));
	assert_true(tu_contains(out, "sd        0.07906"));
	assert_true(tu_contains(out, "(cv 1.58%)"));
	assert_true(tu_contains(out, "min/max   4.9 / 5.1"));
	/* 5% of 5 is 0.25 = 3.16 sd: 2 (1.645 + 0.842)^2 / 3.16^2 -> 2 runs. */
	assert_true(tu_contains(out, "repeats: 2"));
	assert_true(tu_contains(out, "min_delta: "));
	/* Not experiments: no ledger row, no commit; the result is kept. */
	assert_int_equal(eng_nresults(dir), rows);
	char *now = eng_head(dir);
	eng_assert_str(now, head);
	free(now);
	cal = tu_read(dir, ".autoresearch/calibration");
	assert_non_null(cal);
	assert_true(tu_contains(cal, "samples 5.0999"));
	assert_true(tu_contains(cal, "repeats 2\n"));
	free(cal);
	assert_true(tu_exists(dir, ".autoresearch/logs/calibrate-5.log"));
	free(out);

	/* --write: min_delta replaced in place (its comment kept), repeats
	 * added, every other line as it was. */
	set_noise(dir, "0.1\n-0.1\n0.05\n-0.05\n0\n");
	out = eng_ok(dir, "calibrate -n 5 --effect 5%% --write");
	assert_true(tu_contains(out, "Wrote min_delta"));
	yaml = tu_read(dir, ".autoresearch.yaml");
	assert_true(tu_contains(yaml, "# the noise tests' session\n"));
	assert_true(tu_contains(yaml, "target_files: [train.sh]   # what experiments change\n"));
	assert_true(tu_contains(yaml, "min_delta: 2.6%   # set by hand\n"));
	assert_true(tu_contains(yaml, "\n# ar calibrate, "));
	assert_true(tu_contains(yaml, "\nrepeats: 2\n"));
	free(yaml);
	free(out);
	/* ar reads it: `ar config` shows the new values. */
	out = eng_ok(dir, "config repeats");
	assert_true(tu_contains(out, "2"));
	free(out);

	/* Again: replaced, not added twice. */
	set_noise(dir, "0.1\n-0.1\n0.05\n-0.05\n0\n");
	free(eng_ok(dir, "calibrate -n 5 --effect 5%% --write"));
	yaml = tu_read(dir, ".autoresearch.yaml");
	assert_int_equal(count(yaml, "\nrepeats:"), 1);
	assert_int_equal(count(yaml, "\nmin_delta:"), 1);
	assert_int_equal(count(yaml, "# ar calibrate"), 1);
	free(yaml);
	free(err);
	free(head);
	done(dir);
}

static void test_calibrate_outside_a_session_creates_the_config(void **state)
{
	(void)state;
	/* No session branch, no .autoresearch.yaml: HEAD is measured and the
	 * file is created. */
	char *dir = tu_git_repo("noisy.sh", noisy_sh, "train.sh", "sh noisy.sh 2.0\n",
	                        ".gitignore", ".count\nnoise.txt\n", NULL), *out;

	set_noise(dir, "0.2\n-0.2\n");
	out = eng_ok(dir, "-c adapter=custom -c target_files=train.sh -c "
	             "'run_command=sh train.sh' -c metric.name=score "
	             "calibrate -n 2 --effect 0.1 --write");
	assert_true(tu_contains(out, "(HEAD)"));
	char *yaml = tu_read(dir, ".autoresearch.yaml");
	assert_non_null(yaml);
	assert_true(tu_contains(yaml, "# ar calibrate, "));
	assert_true(tu_contains(yaml, "\nmin_delta: "));
	assert_true(tu_contains(yaml, "\nrepeats: 30\n"));
	free(yaml);
	free(out);
	tu_rm_rf(dir);
	free(dir);
}

static void test_calibrate_bad_input(void **state)
{
	(void)state;
	char *dir = session("", "0\n"), *err = NULL;

	assert_int_equal(eng_ar(dir, NULL, &err, "calibrate -n 1"), 2);
	assert_true(tu_contains(err, "-n takes"));
	free(err);
	assert_int_equal(eng_ar(dir, NULL, &err, "calibrate --effect abc"), 2);
	assert_true(tu_contains(err, "--effect"));
	free(err);
	assert_int_equal(eng_ar(dir, NULL, &err, "calibrate --effect -1%%"), 2);
	free(err);
	assert_int_equal(eng_ar(dir, NULL, &err, "calibrate extra"), 2);
	free(err);
	/* Uncommitted changes to the target files: it measures a commit. */
	set_value(dir, "4.0");
	assert_int_equal(eng_ar(dir, NULL, &err, "calibrate"), 2);
	assert_true(tu_contains(err, "train.sh has uncommitted changes"));
	free(err);
	set_value(dir, "5.0");
	/* A run that fails: exit 1, the log named, nothing saved. */
	tu_write(dir, "noise.txt", "x\n");
	tu_write(dir, ".count", "0\n");
	assert_int_equal(eng_ar_env(NULL, dir, NULL, &err, "-c 'run_command=exit 3' calibrate"), 1);
	assert_true(tu_contains(err, "calibration run 1"));
	assert_true(tu_contains(err, "calibrate-1.log"));
	assert_false(tu_exists(dir, ".autoresearch/calibration"));
	free(err);
	done(dir);
}

static void test_calibrate_write_refuses_json_config(void **state)
{
	(void)state;
	char *dir = tu_git_repo(".autoresearch.json",
	                        "{\"target_file\": \"train.sh\", \"run_command\": \"sh train.sh\","
	                        " \"metric_name\": \"score\", \"metric_direction\": \"lower\"}\n",
	                        "noisy.sh", noisy_sh, "train.sh", "sh noisy.sh 2.0\n",
	                        ".gitignore", ".count\nnoise.txt\n", NULL), *err = NULL;

	set_noise(dir, "0\n");
	assert_int_equal(eng_ar(dir, NULL, &err, "--adapter custom calibrate -n 2 --write"), 2);
	assert_true(tu_contains(err, ".autoresearch.json"));
	assert_true(tu_contains(err, "yourself"));
	assert_false(tu_exists(dir, ".autoresearch.yaml"));
	free(err);
	tu_rm_rf(dir);
	free(dir);
}

/* ---- bare `ar`: the noise warning ---------------------------------------------------- */

static const char propose_sh[] =
	"echo 'sh noisy.sh 4.0' > train.sh; echo 'DESCRIPTION: lower it'\n";

static void test_run_warns_about_noise(void **state)
{
	(void)state;
	char *dir = noise_repo(""), *out = NULL, *err = NULL;

	tu_write(dir, "propose.sh", propose_sh);
	set_noise(dir, "0\n0.2\n0\n");
	assert_int_equal(eng_ar(dir, &out, &err, "run --max 1 --agent 'sh propose.sh'"), 0);
	/* Two baseline runs differ by 0.2 > min_delta 0: warned. */
	assert_true(tu_contains(err, "the metric is noisy"));
	assert_true(tu_contains(err, "ar calibrate"));
	/* The second run is not an experiment. */
	assert_int_equal(eng_nresults(dir), 2);
	assert_true(tu_exists(dir, ".autoresearch/logs/1.noise.log"));
	free(out);
	free(err);
	done(dir);

	/* Quiet when the runs agree within min_delta... */
	dir = noise_repo("min_delta: 0.5\n");
	tu_write(dir, "propose.sh", propose_sh);
	set_noise(dir, "0\n0.2\n0\n");
	assert_int_equal(eng_ar(dir, &out, &err, "run --max 1 --agent 'sh propose.sh'"), 0);
	assert_false(tu_contains(err, "noisy"));
	free(out);
	free(err);
	done(dir);

	/* ...and when a calibration exists (no second run then). */
	dir = noise_repo("");
	tu_write(dir, "propose.sh", propose_sh);
	set_noise(dir, "0\n0\n");
	free(eng_ok(dir, "calibrate -n 2"));
	tu_sh("git -C '%s' checkout -q main", dir);
	set_noise(dir, "0\n0.2\n0\n");
	assert_int_equal(eng_ar(dir, &out, &err, "run --max 1 --agent 'sh propose.sh'"), 0);
	assert_false(tu_contains(err, "noisy"));
	assert_false(tu_exists(dir, ".autoresearch/logs/1.noise.log"));
	free(out);
	free(err);
	done(dir);
}

/* ---- ar analyze and ar calibrate --json (added with the analysis of noise) ------- */

static void test_analyze_shows_the_noise(void **state)
{
	(void)state;
	char *dir = session("repeats: 3\n", "0.1\n-0.1\n0\n"), *md, *head, *want;
	json_t *r;

	r = step(dir, "4.0", "0.05\n-0.05\n0\n", "halve it", NULL);
	eng_assert_str(eng_jstr(r, "status"), "keep");
	json_decref(r);
	head = eng_head(dir);
	/* Better by 0.01 on average, with a spread of 0.3: not beyond the noise. */
	r = step(dir, "4.00", "-0.31\n0.3\n-0.02\n", "nothing really", NULL);
	eng_assert_str(eng_jstr(r, "status"), "discard");
	assert_true(tu_contains(eng_jstr(r, "reason"), "not significantly better"));
	json_decref(r);
	set_noise(dir, "0.1\n-0.1\n0\n");
	free(eng_ok(dir, "calibrate -n 3"));
	free(eng_ok(dir, "analyze"));
	md = tu_read(dir, "autoresearch-t-analysis.md");
	assert_non_null(md);
	/* The numbers carry their spread, runs and p. */
	assert_true(tu_contains(md, "- Baseline: 5.000000 \xc2\xb1 0.1 (3 runs)\n"));
	want = ar_xprintf("- Best: 4.000000 \xc2\xb1 0.05 (#2, commit %.7s: halve it), 3 runs, "
	                  "p = ", head);
	assert_true(tu_contains(md, want));
	free(want);
	assert_true(tu_contains(md, "  - #2 halve it: +1.000000, measured 4.000000 \xc2\xb1 0.05 "
	                            "(3 runs, p = "));
	assert_true(tu_contains(md, "| 2 | 4.000000 \xc2\xb1 0.05 | +1.000000 (p = "));
	/* The Noise section: 9 runs for 3 experiments, the discard that was
	 * better but not significantly, the calibration of the best. */
	assert_true(tu_contains(md, "\n## Noise\n"));
	assert_true(tu_contains(md, "- Runs: 9 measured runs for 3 experiments"));
	assert_true(tu_contains(md, "- Kept after the test: 1, p = "));
	assert_true(tu_contains(md, "(discarded): #3 (p = 0."));
	assert_true(tu_contains(md, "1 discard that more runs might tell from noise"));
	want = ar_xprintf("3 runs of %.7s, mean 4, sd 0.1 (cv 2.50%%), min/max 3.9 / 4.1;", head);
	assert_true(tu_contains(md, "- Calibration (`ar calibrate`, "));
	assert_true(tu_contains(md, want));
	free(want);
	free(md);
	free(head);
	done(dir);

	/* One run each: the analysis has no noise to show. */
	dir = session("", "0\n");
	json_decref(step(dir, "4.0", "0\n", "halve it", NULL));
	free(eng_ok(dir, "analyze"));
	md = tu_read(dir, "autoresearch-t-analysis.md");
	assert_non_null(md);
	assert_true(tu_contains(md, "- Baseline: 5.000000\n"));
	assert_false(tu_contains(md, "\xc2\xb1"));
	assert_false(tu_contains(md, "p = "));
	assert_false(tu_contains(md, "## Noise"));
	free(md);
	done(dir);
}

static void test_calibrate_json(void **state)
{
	(void)state;
	char *dir = session("", "0\n"), *out = NULL, *err = NULL, *head = eng_head(dir);
	double sd = 0.07905694150420949, s[8]; /* python3 statistics.stdev */
	json_error_t jerr;
	json_t *o;

	set_noise(dir, "0.1\n-0.1\n0.05\n-0.05\n0\n");
	assert_int_equal(eng_ar(dir, &out, &err, "calibrate -n 5 --effect 5%% --json"), 0);
	/* stdout is the one object; the runs' progress went to stderr. */
	o = json_loads(out, 0, &jerr);
	if (!o)
		fail_msg("stdout is not one JSON object (%s): %s", jerr.text, out);
	assert_int_equal(count(out, "\n"), 1);
	assert_true(tu_contains(err, "run 5/5"));
	eng_assert_str(json_string_value(json_object_get(o, "commit")), head);
	assert_int_equal(json_integer_value(json_object_get(o, "n")), 5);
	assert_int_equal(jnums(o, "samples", s, 8), 5);
	assert_near(s[0], 5.1);
	assert_near(s[1], 4.9);
	assert_near(s[4], 5.0);
	assert_near(jnum(o, "mean"), 5.0);
	assert_near(jnum(o, "sd"), sd);
	assert_near(jnum(o, "cv"), sd / 5.0);
	assert_near(jnum(o, "min"), 4.9);
	assert_near(jnum(o, "max"), 5.1);
	assert_near(jnum(o, "effect"), 0.25); /* 5% of 5 */
	assert_near(jnum(o, "alpha"), 0.05);
	/* 0.25 = 3.16 sd: 2 runs per side; min_delta = z_0.95 sd sqrt(2/2). */
	assert_int_equal(json_integer_value(json_object_get(o, "repeats")), 2);
	assert_int_equal(json_integer_value(json_object_get(o, "repeats_needed")), 2);
	assert_near(jnum(o, "min_delta"), 1.6448536269514722 * sd);
	eng_assert_str(json_string_value(json_object_get(o, "min_delta_setting")), "2.6%");
	assert_true(tu_contains(json_string_value(json_object_get(o, "calibration")),
	                        ".autoresearch/calibration"));
	assert_true(json_is_false(json_object_get(o, "written")));
	assert_true(tu_exists(dir, ".autoresearch/calibration"));
	json_decref(o);
	free(out);
	free(err);

	/* --write: written, and nothing but the object on stdout. */
	set_noise(dir, "0.1\n-0.1\n0.05\n-0.05\n0\n");
	assert_int_equal(eng_ar(dir, &out, &err, "calibrate -n 5 --effect 5%% --write --json"), 0);
	o = json_loads(out, 0, &jerr);
	assert_non_null(o);
	assert_true(json_is_true(json_object_get(o, "written")));
	char *yaml = tu_read(dir, ".autoresearch.yaml");
	assert_true(tu_contains(yaml, "\nrepeats: 2\n"));
	assert_true(tu_contains(yaml, "\nmin_delta: 2.6%\n"));
	free(yaml);
	json_decref(o);
	free(out);
	free(err);
	free(head);
	done(dir);
}

static void test_calibrate_json_bad_input(void **state)
{
	(void)state;
	char *dir = session("", "0\n"), *out = NULL, *err = NULL;

	/* An unknown flag: a usage error, nothing on stdout. */
	assert_int_equal(eng_ar(dir, &out, &err, "calibrate --json --jsno"), 2);
	assert_true(tu_contains(err, "--jsno"));
	eng_assert_str(out, "");
	free(out);
	free(err);
	assert_int_equal(eng_ar(dir, &out, &err, "calibrate --json -n 1"), 2);
	assert_true(tu_contains(err, "-n takes"));
	eng_assert_str(out, "");
	free(out);
	free(err);
	/* A run that fails: exit 1, the reason on stderr, no object. */
	set_noise(dir, "0\n");
	assert_int_equal(eng_ar(dir, &out, &err, "-c 'run_command=exit 3' calibrate --json"), 1);
	assert_true(tu_contains(err, "calibration run 1"));
	eng_assert_str(out, "");
	free(out);
	free(err);
	done(dir);

	/* --write that cannot write (a JSON configuration): the object says
	 * written false, the message says why, exit 2. */
	dir = tu_git_repo(".autoresearch.json",
	                  "{\"target_file\": \"train.sh\", \"run_command\": \"sh train.sh\","
	                  " \"metric_name\": \"score\", \"metric_direction\": \"lower\"}\n",
	                  "noisy.sh", noisy_sh, "train.sh", "sh noisy.sh 2.0\n",
	                  ".gitignore", ".count\nnoise.txt\n", NULL);
	set_noise(dir, "0\n");
	assert_int_equal(eng_ar(dir, &out, &err, "--adapter custom calibrate -n 2 --write --json"), 2);
	json_t *o = json_loads(out, 0, NULL);
	assert_non_null(o);
	assert_true(json_is_false(json_object_get(o, "written")));
	assert_true(tu_contains(err, "yourself"));
	json_decref(o);
	free(out);
	free(err);
	tu_rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_repeats_record_samples_and_mean),
		cmocka_unit_test(test_aggregate_median),
		cmocka_unit_test(test_lucky_run_discarded_by_the_test),
		cmocka_unit_test(test_min_delta_still_applies),
		cmocka_unit_test(test_auto_stops_early),
		cmocka_unit_test(test_auto_stops_at_max_repeats),
		cmocka_unit_test(test_confirm_reruns),
		cmocka_unit_test(test_new_best_when_its_runs_fail),
		cmocka_unit_test(test_refresh_best),
		cmocka_unit_test(test_repeats_one_writes_no_noise_fields),
		cmocka_unit_test(test_crash_in_second_run),
		cmocka_unit_test(test_calibrate_reports_and_writes),
		cmocka_unit_test(test_calibrate_outside_a_session_creates_the_config),
		cmocka_unit_test(test_calibrate_bad_input),
		cmocka_unit_test(test_calibrate_write_refuses_json_config),
		cmocka_unit_test(test_run_warns_about_noise),
		cmocka_unit_test(test_analyze_shows_the_noise),
		cmocka_unit_test(test_calibrate_json),
		cmocka_unit_test(test_calibrate_json_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
