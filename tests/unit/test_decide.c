/*
 * test_decide.c - the verdict of an experiment as a pure function.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>
#include "engine.h"

static struct ar_decision_in lower(double best, double score)
{
	struct ar_decision_in in;
	memset(&in, 0, sizeof(in));
	in.has_best = 1;
	in.best = best;
	in.score = score;
	in.direction = AR_LOWER_IS_BETTER;
	return in;
}

static void test_order_of_verdicts(void **state)
{
	(void)state;
	struct ar_decision_in in = lower(1.0, 0.5);
	assert_string_equal(ar_decide(&in), AR_ST_KEEP);
	in.checks_failed = 1;
	assert_string_equal(ar_decide(&in), AR_ST_CHECKS_FAILED);
	in.guard_failed = 1;
	assert_string_equal(ar_decide(&in), AR_ST_GUARD_FAIL);
	in.crashed = 1;
	assert_string_equal(ar_decide(&in), AR_ST_CRASH);
	in = lower(0, 0);
	in.has_best = 0;
	in.is_baseline = 1;
	assert_string_equal(ar_decide(&in), AR_ST_BASELINE);
	in.crashed = 1;
	assert_string_equal(ar_decide(&in), AR_ST_CRASH);
}

static void test_direction(void **state)
{
	(void)state;
	struct ar_decision_in in = lower(1.0, 1.1);
	assert_string_equal(ar_decide(&in), AR_ST_DISCARD);
	in.direction = AR_HIGHER_IS_BETTER;
	assert_string_equal(ar_decide(&in), AR_ST_KEEP);
	in.score = 0.9;
	assert_string_equal(ar_decide(&in), AR_ST_DISCARD);
	in.score = 1.0; /* equal is not better */
	assert_string_equal(ar_decide(&in), AR_ST_DISCARD);
}

static void test_min_delta_absolute_and_relative(void **state)
{
	(void)state;
	struct ar_decision_in in = lower(2.0, 1.95);
	in.min_delta = 0.1;
	assert_string_equal(ar_decide(&in), AR_ST_DISCARD);
	in.score = 1.85;
	assert_string_equal(ar_decide(&in), AR_ST_KEEP);
	/* 5% of 2.0 is 0.1, stored as the fraction 0.05. */
	in = lower(2.0, 1.95);
	in.min_delta = 0.05;
	in.min_delta_relative = 1;
	assert_string_equal(ar_decide(&in), AR_ST_DISCARD);
	in.score = 1.89;
	assert_string_equal(ar_decide(&in), AR_ST_KEEP);
}

static void test_simplicity(void **state)
{
	(void)state;
	/* A gain under 0.1% adding 20 lines is not worth it... */
	struct ar_decision_in in = lower(1.0, 0.9995);
	in.net_lines = 20;
	assert_string_equal(ar_decide(&in), AR_ST_DISCARD);
	in.net_lines = 19;
	assert_string_equal(ar_decide(&in), AR_ST_KEEP);
	/* ...a bigger gain is, whatever it costs... */
	in = lower(1.0, 0.99);
	in.net_lines = 200;
	assert_string_equal(ar_decide(&in), AR_ST_KEEP);
	/* ...and an equal metric with fewer lines is kept. */
	in = lower(1.0, 1.0);
	in.net_lines = -3;
	assert_string_equal(ar_decide(&in), AR_ST_KEEP);
	in.net_lines = 0;
	assert_string_equal(ar_decide(&in), AR_ST_DISCARD);
}

static void test_significance_under_noise(void **state)
{
	(void)state;
	/* Better, but Welch's p above alpha: discarded as possible noise. */
	struct ar_decision_in in = lower(1.0, 0.9);
	in.use_test = 1;
	in.alpha = 0.05;
	in.p_value = 0.2;
	assert_int_equal(ar_decide_would_keep(&in), 0);
	assert_string_equal(ar_decide(&in), AR_ST_DISCARD);
	in.p_value = 0.05; /* at alpha: rejected, kept */
	assert_string_equal(ar_decide(&in), AR_ST_KEEP);
	in.p_value = 0.001;
	assert_string_equal(ar_decide(&in), AR_ST_KEEP);
	/* A significant gain still has to clear min_delta... */
	in.min_delta = 0.2;
	assert_string_equal(ar_decide(&in), AR_ST_DISCARD);
	/* ...and the verdicts before the comparison come first. */
	in.min_delta = 0;
	in.guard_failed = 1;
	assert_string_equal(ar_decide(&in), AR_ST_GUARD_FAIL);
	in.guard_failed = 0;
	in.checks_failed = 1;
	assert_string_equal(ar_decide(&in), AR_ST_CHECKS_FAILED);
	/* Without use_test the p-value is not consulted. */
	in = lower(1.0, 0.9);
	in.p_value = 0.9;
	in.alpha = 0.05;
	assert_string_equal(ar_decide(&in), AR_ST_KEEP);
	/* A NaN p-value is never significant. */
	in.use_test = 1;
	in.p_value = NAN;
	assert_string_equal(ar_decide(&in), AR_ST_DISCARD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_of_verdicts),
		cmocka_unit_test(test_direction),
		cmocka_unit_test(test_min_delta_absolute_and_relative),
		cmocka_unit_test(test_simplicity),
		cmocka_unit_test(test_significance_under_noise),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
