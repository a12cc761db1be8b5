/*
 * test_summary.c - a session's numbers (core/summary.c): counts, baseline,
 * best, improvement and the running best; they agree with
 * ar_ledger_best/ar_ledger_baseline, and autoresearch_dashboard.md shows
 * exactly them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "summary.h"
#include "testutil.h"

struct row {
	const char *status;
	int has_score;
	double score;
};

/* Results from rows (caller frees with ar_ledger_results_free). */
static struct ar_result *mk(const struct row *rows, size_t n)
{
	struct ar_result *r = ar_xcalloc(n ? n : 1, sizeof(*r));

	for (size_t i = 0; i < n; i++) {
		r[i].iteration = (long)i + 1;
		snprintf(r[i].commit, sizeof(r[i].commit), "%040zx", i + 1);
		r[i].status = ar_xstrdup(rows[i].status);
		r[i].has_score = rows[i].has_score;
		r[i].score = rows[i].score;
		r[i].guard_pass = -1;
		r[i].description = ar_xprintf("experiment %zu", i + 1);
	}
	return r;
}

static const struct row session[] = {
	{ AR_ST_BASELINE, 1, 1.0 },
	{ AR_ST_DISCARD, 1, 1.2 },
	{ AR_ST_KEEP, 1, 0.9 },
	{ AR_ST_CRASH, 0, 0 },
	{ "weird_status", 0, 0 },
	{ AR_ST_DISCARD, 1, 0.1 },     /* better but discarded: never best */
	{ AR_ST_KEEP, 1, 0.8 },
	{ AR_ST_DISCARD, 1, 0.85 },
	{ "weird_status", 0, 0 },
	{ AR_ST_GUARD_FAIL, 1, 0.5 },
};
#define NSESSION (sizeof(session) / sizeof(session[0]))

static void test_counts_best_improvement(void **state)
{
	struct ar_result *r = mk(session, NSESSION);
	struct ar_summary s = AR_SUMMARY_INIT;
	(void)state;

	ar_summary_compute(&s, r, NSESSION, AR_LOWER_IS_BETTER, 0, 0);
	assert_int_equal(s.n, NSESSION);
	assert_int_equal(s.baseline, 0);
	assert_true(s.has_baseline && s.baseline_value == 1.0);
	assert_int_equal(s.best, 6);
	assert_true(s.has_improvement && fabs(s.improvement - 0.2) < 1e-12);
	assert_true(s.has_improvement_pct && fabs(s.improvement_pct - 20.0) < 1e-9);
	/* Known statuses in their fixed order, zeros included, then others. */
	assert_string_equal(s.counts[0].status, AR_ST_BASELINE);
	assert_string_equal(s.counts[1].status, AR_ST_KEEP);
	assert_string_equal(s.counts[2].status, AR_ST_DISCARD);
	assert_string_equal(s.counts[s.ncounts - 1].status, "weird_status");
	assert_int_equal(ar_summary_count(&s, AR_ST_KEEP), 2);
	assert_int_equal(ar_summary_count(&s, AR_ST_DISCARD), 3);
	assert_int_equal(ar_summary_count(&s, "weird_status"), 2);
	assert_int_equal(ar_summary_count(&s, AR_ST_INTERRUPTED), 0);
	assert_int_equal(ar_summary_count(&s, "nonsense"), 0);
	/* The running best moves only on keeps. */
	static const long want[] = { 0, 0, 2, 2, 2, 2, 6, 6, 6, 6 };
	for (size_t i = 0; i < NSESSION; i++)
		assert_int_equal(s.running_best[i], want[i]);
	double v;
	assert_true(ar_summary_running(&s, r, 3, &v) && v == 0.9);
	assert_false(ar_summary_running(&s, r, NSESSION, &v));
	ar_summary_release(&s);

	/* Higher is better: the baseline stays the best, improvement 0. */
	ar_summary_compute(&s, r, NSESSION, AR_HIGHER_IS_BETTER, 0, 0);
	assert_int_equal(s.best, 0);
	assert_true(s.has_improvement && s.improvement == 0.0);
	ar_summary_release(&s);
	ar_ledger_results_free(r, NSESSION);
}

/* The one definition of best and baseline is the ledger's. */
static void test_agrees_with_the_ledger(void **state)
{
	struct ar_result *r = mk(session, NSESSION);
	struct ar_summary s = AR_SUMMARY_INIT;
	(void)state;

	/* Every prefix, both directions, with ties made on purpose. */
	r[6].score = 0.9;
	for (int dir = 0; dir < 2; dir++) {
		int d = dir ? AR_HIGHER_IS_BETTER : AR_LOWER_IS_BETTER;
		for (size_t n = 0; n <= NSESSION; n++) {
			ar_summary_compute(&s, r, n, d, 0, 0);
			assert_int_equal(s.best, ar_ledger_best(r, n, d));
			assert_int_equal(s.baseline, ar_ledger_baseline(r, n));
			if (n)
				assert_int_equal(s.running_best[n - 1], s.best);
			ar_summary_release(&s);
		}
	}
	ar_ledger_results_free(r, NSESSION);
}

static void test_header_baseline_and_edges(void **state)
{
	static const struct row only_keep[] = { { AR_ST_KEEP, 1, 3.0 } };
	static const struct row crashes[] = { { AR_ST_CRASH, 0, 0 }, { AR_ST_CRASH, 0, 0 } };
	static const struct row zero[] = { { AR_ST_BASELINE, 1, 0.0 }, { AR_ST_KEEP, 1, -1.0 } };
	struct ar_result *r = mk(only_keep, 1);
	struct ar_summary s = AR_SUMMARY_INIT;
	(void)state;

	/* No baseline row: the config line's baseline is used. */
	ar_summary_compute(&s, r, 1, AR_HIGHER_IS_BETTER, 1, 2.0);
	assert_int_equal(s.baseline, -1);
	assert_true(s.has_baseline && s.baseline_value == 2.0);
	assert_true(s.improvement == 1.0 && s.improvement_pct == 50.0);
	ar_summary_release(&s);
	/* A non-finite header baseline is no baseline. */
	ar_summary_compute(&s, r, 1, AR_HIGHER_IS_BETTER, 1, NAN);
	assert_false(s.has_baseline);
	assert_false(s.has_improvement);
	ar_summary_release(&s);
	ar_ledger_results_free(r, 1);

	r = mk(crashes, 2);
	ar_summary_compute(&s, r, 2, AR_LOWER_IS_BETTER, 0, 0);
	assert_int_equal(s.best, -1);
	assert_int_equal(s.running_best[1], -1);
	assert_false(s.has_improvement);
	ar_summary_release(&s);
	ar_ledger_results_free(r, 2);

	/* A baseline of 0: an improvement, but no percentage. */
	r = mk(zero, 2);
	ar_summary_compute(&s, r, 2, AR_LOWER_IS_BETTER, 0, 0);
	assert_true(s.has_improvement && s.improvement == 1.0);
	assert_false(s.has_improvement_pct);
	ar_summary_release(&s);
	ar_ledger_results_free(r, 2);

	/* Nothing at all. */
	ar_summary_compute(&s, NULL, 0, AR_LOWER_IS_BETTER, 0, 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(s.best, -1);
	ar_summary_release(&s);
	ar_summary_release(&s); /* released twice is harmless */
}

/* autoresearch_dashboard.md prints the summary's numbers. */
static void test_dashboard_uses_the_summary(void **state)
{
	char *dir = tu_tmpdir(), *md, want[128];
	struct ar_result *r = mk(session, NSESSION);
	struct ar_summary s = AR_SUMMARY_INIT;
	struct ar_ledger_header h;
	(void)state;

	memset(&h, 0, sizeof(h));
	h.tag = "t";
	h.direction = AR_LOWER_IS_BETTER;
	ar_summary_compute(&s, r, NSESSION, h.direction, 0, 0);
	assert_int_equal(ar_ledger_dashboard(dir, &h, r, NSESSION), 0);
	md = tu_read(dir, AR_LEDGER_DASHBOARD);
	snprintf(want, sizeof(want), "**Improvement:** %.6f (%.2f%%)", s.improvement,
	         s.improvement_pct);
	assert_true(tu_contains(md, want));
	snprintf(want, sizeof(want), "**Best:** %.6f (#%ld", r[s.best].score, r[s.best].iteration);
	assert_true(tu_contains(md, want));
	assert_true(tu_contains(md, "**Experiments:** 10 (baseline 1, keep 2, discard 3, "
	                            "crash 1, guard_fail 1, weird_status 2)\n"));
	free(md);
	ar_summary_release(&s);
	ar_ledger_results_free(r, NSESSION);
	tu_rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_best_improvement),
		cmocka_unit_test(test_agrees_with_the_ledger),
		cmocka_unit_test(test_header_baseline_and_edges),
		cmocka_unit_test(test_dashboard_uses_the_summary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
