/*
 * test_report_analyze.c - `ar analyze`'s heuristics: the kind of change a
 * description names, the direction it moves a value, and the analysis
 * built from an in-memory session (the grouping, the failed directions,
 * the crashes, near misses and a plateau), and what repeated runs add:
 * the spread and p-value beside each number and the Noise section.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calibrate.h"
#include "report.h"
#include "testutil.h"

static void kind_is(const char *description, const char *want)
{
	char *got = ar_report_change_kind(description);

	if (strcmp(got, want))
		fail_msg("kind of \"%s\": got \"%s\", want \"%s\"", description ? description : "(null)",
		         got, want);
	free(got);
}

static void test_change_kind(void **state)
{
	(void)state;
	kind_is("increase LEARNING_RATE from 0.04 to 0.05", "LEARNING_RATE");
	kind_is("tune CONTEXT 2 -> 4", "CONTEXT");
	kind_is("fix OOM: lower DEPTH to 6", "DEPTH");            /* OOM is a symptom */
	kind_is("DEPTH 8, keep WARMUP_STEPS", "WARMUP_STEPS");    /* a constant with _ first */
	kind_is("set n_layer to 12", "n_layer");
	kind_is("smaller batchSize", "batchSize");
	kind_is("add dropout 0.1", "dropout");
	kind_is("Switch Activation to gelu", "activation");
	kind_is("remove bias from linear layers", "bias");
	kind_is("try it again", "");
	kind_is("", "");
	kind_is(NULL, "");
	kind_is("caf\xc3\xa9 -> 3", "caf");
}

static void test_change_direction(void **state)
{
	(void)state;
	assert_int_equal(ar_report_change_direction("tune CONTEXT 2 -> 4"), 1);
	assert_int_equal(ar_report_change_direction("LR 0.04 to 0.02"), -1);
	assert_int_equal(ar_report_change_direction("LR 1e-3 => 1e-3"), 0);
	assert_int_equal(ar_report_change_direction("depth 8 \xe2\x86\x92 12"), 1);
	assert_int_equal(ar_report_change_direction("increase DEPTH"), 1);
	assert_int_equal(ar_report_change_direction("halve the batch"), -1);
	assert_int_equal(ar_report_change_direction("use GELU2 instead"), 0);
	assert_int_equal(ar_report_change_direction("layer3 to go"), 0);
	assert_int_equal(ar_report_change_direction(NULL), 0);
}

/* An in-memory session: lower is better, baseline 1.0. */
struct spec {
	const char *status;
	int has;
	double score;
	const char *desc;
	const char *reason;
};

static void build(struct ar_report *rep, const struct spec *sp, size_t n)
{
	struct ar_ledger_info info = AR_LEDGER_INFO_INIT;
	double best = NAN;

	memset(rep, 0, sizeof(*rep));
	rep->dir = ar_xstrdup("/nonexistent");
	rep->info = info;
	rep->info.tag = ar_xstrdup("t1");
	rep->info.metric_name = ar_xstrdup("val_bpb");
	rep->info.direction = AR_LOWER_IS_BETTER;
	rep->r = ar_xcalloc(n, sizeof(*rep->r));
	rep->n = n;
	for (size_t i = 0; i < n; i++) {
		struct ar_result *r = &rep->r[i];
		r->iteration = (long)i + 1;
		r->guard_pass = -1;
		r->status = ar_xstrdup(sp[i].status);
		r->description = ar_xstrdup(sp[i].desc);
		r->reason = sp[i].reason ? ar_xstrdup(sp[i].reason) : NULL;
		r->has_score = sp[i].has;
		r->score = sp[i].score;
		if (sp[i].has && !isnan(best)) {
			r->has_delta = 1;
			r->delta = sp[i].score - best;
		}
		if (sp[i].has && (!strcmp(sp[i].status, AR_ST_KEEP) ||
		                  !strcmp(sp[i].status, AR_ST_BASELINE)))
			best = sp[i].score;
	}
	ar_summary_compute(&rep->sum, rep->r, n, AR_LOWER_IS_BETTER, 0, 0);
}

static const struct spec session[] = {
	{ "baseline", 1, 1.000, "baseline", NULL },
	{ "keep", 1, 0.990, "increase DEPTH from 8 to 10", NULL },
	{ "discard", 1, 0.995, "increase LEARNING_RATE 0.04 -> 0.08", NULL },
	{ "discard", 1, 0.999, "raise LEARNING_RATE to 0.1", NULL },
	{ "crash", 0, 0, "increase BATCH_SIZE 64 -> 256", "exit status 1: CUDA out of memory\nTraceback" },
	{ "discard", 1, 0.9915, "increase LEARNING_RATE 0.04 -> 0.05", NULL },
	{ "keep", 1, 0.980, "tune DEPTH 10 -> 12", NULL },
	{ "crash", 0, 0, "increase BATCH_SIZE 64 -> 128", "exit status 1: CUDA out of memory" },
	{ "discard", 1, 0.9801, "add dropout 0.1", NULL },
	{ "discard", 1, 0.990, "add dropout 0.2", NULL },
	{ "discard", 1, 0.985, "add dropout 0.3", NULL },
	{ "discard", 1, 0.983, "add dropout 0.05", NULL },
	{ "guard_fail", 1, 0.95, "tune N_HEAD 8 -> 16", "peak_mem_gb 90 > 80" },
	{ "discard", 1, 0.99, "tune WARMUP 100 -> 200", NULL },
	{ "discard", 1, 0.99, "tune WARMUP 100 -> 300", NULL },
	{ "discard", 1, 0.99, "tune WARMUP 100 -> 400", NULL },
	{ "discard", 1, 0.99, "tune WARMUP 100 -> 50", NULL },
	{ "discard", 1, 0.99, "increase LEARNING_RATE a bit", NULL },
};
#define NSESSION (sizeof(session) / sizeof(session[0]))

static void test_analysis(void **state)
{
	struct ar_report rep;
	ar_buf b = AR_BUF_INIT;
	char *name;
	(void)state;

	build(&rep, session, NSESSION);
	ar_report_analysis(&b, &rep, NULL);
	const char *md = b.ptr;
	/* Summary: the same numbers as the summary module. */
	assert_true(tu_contains(md, "# autoresearch t1: analysis"));
	assert_true(tu_contains(md, "- Experiments: 18 (baseline 1, keep 2, discard 12, crash 2, "
	                            "guard_fail 1)"));
	assert_true(tu_contains(md, "- Baseline -> best: 1.000000 -> 0.980000, better by "
	                            "0.020000 (2.00%)"));
	assert_true(tu_contains(md, "- Keep rate: 2 of 17 experiments (11.8%)"));
	/* What worked: DEPTH, both keeps, with their gains. */
	assert_true(tu_contains(md, "- **DEPTH**: 2 of 2 kept, together +0.020000 (+2.00%)"));
	assert_true(tu_contains(md, "  - #2 increase DEPTH from 8 to 10: +0.010000"));
	/* What didn't: grouped, with the closest miss. */
	assert_true(tu_contains(md, "| LEARNING_RATE | 4 | 0 | 4 | 0 | #6 (-0.001500) |"));
	assert_true(tu_contains(md, "| dropout | 4 | 0 | 4 | 0 | #9 (-0.000100) |"));
	assert_true(tu_contains(md, "- raising LEARNING_RATE: 4 tries, none kept"));
	assert_true(tu_contains(md, "- raising BATCH_SIZE") == 0);
	/* Crashes grouped by the first line of their reason. */
	assert_true(tu_contains(md, "- crash: exit status 1: CUDA out of memory: #5 #8 (2)"));
	assert_true(tu_contains(md, "- guard_fail: peak_mem_gb 90 > 80: #13 (1)"));
	/* Progression: the baseline and both keeps. */
	assert_true(tu_contains(md, "| 7 | 0.980000 | +0.010000 | +2.00% | tune DEPTH 10 -> 12 |"));
	/* Recommendations: the near miss first, a plateau, what to stop. */
	assert_true(tu_contains(md, "- **Near misses worth retrying**"));
	assert_true(tu_contains(md, "  - #9 add dropout 0.1: -0.000100 against the best before it"));
	assert_true(tu_contains(md, "- **Plateau**: nothing was kept in the last 11 experiments "
	                            "(since #7)"));
	assert_true(tu_contains(md, "- **Stop tuning LEARNING_RATE**: 4 tries, none kept."));
	assert_true(tu_contains(md, "- **Crashes are frequent** (2 of 18)"));
	name = ar_report_analysis_name(&rep);
	assert_string_equal(name, "autoresearch-t1-analysis.md");
	free(name);
	ar_buf_release(&b);
	ar_report_release(&rep);
}

static void test_analysis_of_nothing(void **state)
{
	struct ar_report rep;
	ar_buf b = AR_BUF_INIT;
	char *name;
	(void)state;

	build(&rep, session, 0);
	free(rep.info.tag);
	rep.info.tag = ar_xstrdup("a/b");
	ar_report_analysis(&b, &rep, NULL);
	assert_true(tu_contains(b.ptr, "Nothing was kept yet."));
	assert_true(tu_contains(b.ptr, "Nothing was discarded."));
	assert_true(tu_contains(b.ptr, "Nothing stands out yet"));
	name = ar_report_analysis_name(&rep);
	assert_string_equal(name, "autoresearch-a-b-analysis.md");
	free(name);
	ar_buf_release(&b);
	ar_report_release(&rep);
}

/* ---- noise: sessions with repeated runs ------------------------------------------- */

/* Give row i of rep the fields `repeats` writes: n samples (their values
 * do not matter here), a spread when has_spread, a p-value when p >= 0. */
static void repeats_of(struct ar_report *rep, size_t i, size_t n, int has_spread,
                       double spread, double p, const char *reason)
{
	struct ar_result *r = &rep->r[i];

	r->samples = ar_xcalloc(n, sizeof(double));
	for (size_t k = 0; k < n; k++)
		r->samples[k] = r->score;
	r->nsamples = n;
	r->has_spread = has_spread;
	r->spread = spread;
	r->has_p_value = p >= 0;
	r->p_value = p;
	if (reason) {
		free(r->reason);
		r->reason = ar_xstrdup(reason);
	}
}

static const struct spec noisy[] = {
	{ "baseline", 1, 1.000, "baseline", NULL },
	{ "keep", 1, 0.990, "increase DEPTH from 8 to 10", NULL },
	{ "discard", 1, 0.997, "increase LEARNING_RATE 0.04 -> 0.08", NULL },
	{ "discard", 1, 0.988, "add dropout 0.1", NULL },
	{ "keep", 1, 0.980, "tune DEPTH 10 -> 12", NULL },
	{ "crash", 0, 0, "increase BATCH_SIZE 64 -> 256", "exit status 1 (see 6.2.log)" },
};
#define NNOISY (sizeof(noisy) / sizeof(noisy[0]))

/* The session above as `repeats: auto` records it. */
static void build_noisy(struct ar_report *rep)
{
	build(rep, noisy, NNOISY);
	repeats_of(rep, 0, 3, 1, 0.01, -1, NULL);
	repeats_of(rep, 1, 3, 1, 0.004, 0.0031, NULL);
	repeats_of(rep, 2, 1, 0, 0, 0.99, NULL);    /* worse at once: one run */
	repeats_of(rep, 3, 3, 1, 0.02, 0.41, "not significantly better than the best: "
	           "p = 0.41 > alpha 0.05 (3 runs against 3)");
	repeats_of(rep, 4, 2, 1, 0.003, 0.02, NULL);
	repeats_of(rep, 5, 1, 0, 0, -1, NULL);      /* crashed in its second run */
}

static void has(const char *md, const char *want)
{
	if (!tu_contains(md, want))
		fail_msg("the analysis lacks \"%s\":\n%s", want, md);
}

static void test_analysis_shows_the_noise(void **state)
{
	struct ar_report rep;
	ar_buf b = AR_BUF_INIT;
	(void)state;

	build_noisy(&rep);
	ar_report_analysis(&b, &rep, NULL);
	/* The summary: the baseline's runs, the best's spread, runs and p. */
	has(b.ptr, "- Baseline: 1.000000 \xc2\xb1 0.01 (3 runs)\n");
	has(b.ptr, "- Best: 0.980000 \xc2\xb1 0.003 (#5, commit -------: tune DEPTH 10 -> 12), "
	           "2 runs, p = 0.02\n");
	/* The Noise section, after the summary. */
	has(b.ptr, "\n## Noise\n");
	assert_true(strstr(b.ptr, "## Noise") < strstr(b.ptr, "## What worked"));
	has(b.ptr, "- Runs: 13 measured runs for 6 experiments with a result, the baseline "
	           "included (2.2 each;");
	has(b.ptr, "- Spread of an experiment's runs (standard deviation): median 0.007, "
	           "from 0.003 to 0.02, over 4 experiments with two runs or more.\n");
	has(b.ptr, "- Kept after the test: 2, p from 0.0031 to 0.02.\n");
	has(b.ptr, "- Better than the best but not significantly (discarded): #4 (p = 0.41): "
	           "1 discard that more runs might tell from noise.\n");
	has(b.ptr, "- No calibration: `ar calibrate`");
	/* What worked: the gain, then what was measured. */
	has(b.ptr, "  - #2 increase DEPTH from 8 to 10: +0.010000, measured 0.990000 "
	           "\xc2\xb1 0.004 (3 runs, p = 0.0031)\n");
	/* What didn't: the closest miss with its p; one run, no spread. */
	has(b.ptr, "| dropout | 1 | 0 | 1 | 0 | #4 (+0.002000, p = 0.41) |\n");
	has(b.ptr, "| LEARNING_RATE | 1 | 0 | 1 | 0 | #3 (-0.007000, p = 0.99) |\n");
	/* The progression: the value's spread, the gain's p. */
	has(b.ptr, "| 1 | 1.000000 \xc2\xb1 0.01 |  | +0.00% | baseline |\n");
	has(b.ptr, "| 5 | 0.980000 \xc2\xb1 0.003 | +0.010000 (p = 0.02) | +2.00% | "
	           "tune DEPTH 10 -> 12 |\n");
	has(b.ptr, "100% of the experiments (#6): 0.980000 \xc2\xb1 0.003.\n");
	/* The near miss, with its noise. */
	has(b.ptr, "  - #4 add dropout 0.1: +0.002000 against the best before it, measured "
	           "0.988000 \xc2\xb1 0.02 (3 runs, p = 0.41)\n");
	ar_buf_release(&b);
	ar_report_release(&rep);
}

static void test_analysis_reads_the_calibration(void **state)
{
	struct ar_report rep;
	struct ar_calibration c;
	double s[] = { 5.1, 4.9, 5.05, 4.95, 5.0 };
	ar_buf b = AR_BUF_INIT;
	char *dir = tu_tmpdir(), *state_dir = ar_path_join(dir, ".autoresearch");
	(void)state;

	memset(&c, 0, sizeof(c));
	snprintf(c.commit, sizeof(c.commit), "%s", "abcdef0123456789abcdef0123456789abcdef01");
	c.samples = ar_xmalloc(sizeof(s));
	memcpy(c.samples, s, sizeof(s));
	c.n = 5;
	ar_calibration_summarise(&c);
	ar_calibration_recommend(&c, 0.25, 0.05);
	assert_int_equal(ar_calibration_save(state_dir, &c), 0);
	ar_calibration_release(&c);

	build_noisy(&rep);
	free(rep.dir);
	rep.dir = ar_xstrdup(dir);
	ar_report_analysis(&b, &rep, NULL);
	has(b.ptr, "- Calibration (`ar calibrate`, 20");
	has(b.ptr, "Z): 5 runs of abcdef0, mean 5, sd 0.07906 (cv 1.58%), min/max 4.9 / 5.1; "
	           "to tell an improvement of 0.25 from that noise it recommends repeats: 2 "
	           "and min_delta: 0.13.\n");
	assert_false(tu_contains(b.ptr, "No calibration"));
	ar_buf_release(&b);
	ar_report_release(&rep);

	/* One run each: no noise to show, a calibration or not. */
	build(&rep, noisy, NNOISY);
	free(rep.dir);
	rep.dir = ar_xstrdup(dir);
	ar_report_analysis(&b, &rep, NULL);
	assert_false(tu_contains(b.ptr, "## Noise"));
	assert_false(tu_contains(b.ptr, "Calibration"));
	ar_buf_release(&b);
	ar_report_release(&rep);
	tu_rm_rf(dir);
	free(state_dir);
	free(dir);
}

/* repeats: 1 rows (no samples): not a character more than before. */
static void test_analysis_without_repeats_shows_no_noise(void **state)
{
	struct ar_report rep;
	ar_buf b = AR_BUF_INIT;
	(void)state;

	build(&rep, session, NSESSION);
	ar_report_analysis(&b, &rep, NULL);
	assert_false(tu_contains(b.ptr, "\xc2\xb1"));
	assert_false(tu_contains(b.ptr, "p = "));
	assert_false(tu_contains(b.ptr, " runs)"));
	assert_false(tu_contains(b.ptr, "Runs:"));
	assert_false(tu_contains(b.ptr, "measured"));
	assert_false(tu_contains(b.ptr, "## Noise"));
	has(b.ptr, "- Baseline: 1.000000\n");
	has(b.ptr, "- Best: 0.980000 (#7, commit -------: tune DEPTH 10 -> 12)\n");
	has(b.ptr, "| 1 | 1.000000 |  | +0.00% | baseline |\n");
	has(b.ptr, "| #9 (-0.000100) |\n");
	ar_buf_release(&b);
	ar_report_release(&rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_change_kind),
		cmocka_unit_test(test_change_direction),
		cmocka_unit_test(test_analysis),
		cmocka_unit_test(test_analysis_of_nothing),
		cmocka_unit_test(test_analysis_shows_the_noise),
		cmocka_unit_test(test_analysis_reads_the_calibration),
		cmocka_unit_test(test_analysis_without_repeats_shows_no_noise),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
