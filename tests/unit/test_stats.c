/*
 * test_stats.c - summaries, the Student t CDF, Welch's test and the
 * sampling rule, against values computed independently of stats.c.
 *
 * Sources of the expected values (scipy is not available here):
 *  [closed]  closed forms of the t CDF for small df: df=1 (Cauchy)
 *            1/2 + atan(t)/pi; df=2: 1/2 + t/(2 sqrt(t^2+2)); df=3:
 *            1/2 + (t/(sqrt3 (1+t^2/3)) + atan(t/sqrt3))/pi; df=4:
 *            1/2 + 3/8 t/sqrt(1+t^2/4) (1 - t^2/(12 (1+t^2/4))).
 *  [table]   printed t tables: t(0.95, 10) = 1.812461, so P(T10 <= it) = 0.95.
 *  [simpson] python3: Simpson's rule (200000 intervals) on the t density
 *            exp(lgamma((df+1)/2) - lgamma(df/2)) / sqrt(df pi)
 *            (1 + x^2/df)^(-(df+1)/2): a method independent of the
 *            incomplete beta function used by stats.c.
 *  [binom]   I_x(a,b) for whole a, b is a binomial tail:
 *            sum_{j=a}^{a+b-1} C(a+b-1, j) x^j (1-x)^(a+b-1-j).
 *  [stats]   python3's statistics module (mean, median, stdev, variance)
 *            for the Welch t and Welch-Satterthwaite df, with [simpson]
 *            for the p-value.
 *  [wiki]    Wikipedia, "Welch's t-test", example 1: t = 2.46, df = 25.0,
 *            two-sided p = 0.021 (so one-sided 0.0107).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include "stats.h"
#include "error.h"

#define near(got, want, tol)                                                     \
	do {                                                                         \
		double g_ = (got), w_ = (want);                                          \
		if (!(fabs(g_ - w_) <= (tol)))                                           \
			fail_msg("%s = %.15g, expected %.15g (+- %g)", #got, g_, w_,       \
			         (double)(tol));                                             \
	} while (0)

static void test_summaries(void **state)
{
	(void)state;
	/* [stats] mean 3.875, median 3.5, stdev 2.748376143938713 */
	const double x[] = { 3, 1, 4, 1, 5, 9, 2, 6 };
	near(ar_stats_mean(x, 8), 3.875, 1e-15);
	near(ar_stats_median(x, 8), 3.5, 1e-15);
	near(ar_stats_median(x, 7), 3.0, 1e-15); /* 1 1 2 3 4 5 9 */
	near(ar_stats_stddev(x, 8), 2.748376143938713, 1e-13);
	near(ar_stats_min(x, 8), 1, 0);
	near(ar_stats_max(x, 8), 9, 0);
	/* Edge cases: one value has no spread; nothing is 0. */
	near(ar_stats_stddev(x, 1), 0, 0);
	near(ar_stats_mean(x, 0), 0, 0);
	near(ar_stats_median(x, 0), 0, 0);
	near(ar_stats_median(x, 1), 3, 0);
	/* The input is not reordered by the median. */
	assert_true(x[0] == 3 && x[5] == 9);
}

static void test_aggregate(void **state)
{
	(void)state;
	const double x[] = { 2, 10, 3 };
	enum ar_aggregate a;

	assert_int_equal(ar_stats_aggregate_parse(NULL, &a), 0);
	assert_int_equal(a, AR_AGG_MEAN);
	near(ar_stats_aggregate(a, x, 3), 5, 1e-15);
	assert_int_equal(ar_stats_aggregate_parse("median", &a), 0);
	near(ar_stats_aggregate(a, x, 3), 3, 0);
	assert_int_equal(ar_stats_aggregate_parse("min", &a), 0);
	near(ar_stats_aggregate(a, x, 3), 2, 0);
	assert_int_equal(ar_stats_aggregate_parse("max", &a), 0);
	near(ar_stats_aggregate(a, x, 3), 10, 0);
	assert_int_equal(ar_stats_aggregate_parse("average", &a), AR_EUSAGE);
	assert_int_equal(ar_stats_aggregate_parse("", &a), AR_EUSAGE);
}

static void test_incomplete_beta(void **state)
{
	(void)state;
	/* [binom] I_x(a,1) = x^a; I_x(1,b) = 1-(1-x)^b; I_x(2,3) = 1 - (1-x)^4
	 * - 4x(1-x)^3; symmetry I_0.5(a,a) = 1/2. */
	near(ar_stats_betai(3, 1, 0.3), 0.027, 1e-14);
	near(ar_stats_betai(1, 4, 0.2), 1 - pow(0.8, 4), 1e-14);
	near(ar_stats_betai(2, 3, 0.4), 1 - pow(0.6, 4) - 4 * 0.4 * pow(0.6, 3), 1e-14);
	near(ar_stats_betai(7.5, 7.5, 0.5), 0.5, 1e-13);
	near(ar_stats_betai(2, 3, 0), 0, 0);
	near(ar_stats_betai(2, 3, 1), 1, 0);
	/* Both branches of the continued fraction: x below and above the mean. */
	near(ar_stats_betai(2, 3, 0.4), 0.5248, 1e-14); /* below the mean 3/7 */
	/* I_0.9(5,2) = 6 x^5 (1-x) + x^6 = 0.885735, above the mean 6/9 */
	near(ar_stats_betai(5, 2, 0.9), 0.885735, 1e-13);
	/* Outside the domain: NaN. */
	assert_true(isnan(ar_stats_betai(0, 1, 0.5)));
	assert_true(isnan(ar_stats_betai(1, -1, 0.5)));
	assert_true(isnan(ar_stats_betai(1, 1, 1.5)));
	assert_true(isnan(ar_stats_betai(1, 1, NAN)));
}

static void test_t_cdf_closed_forms(void **state)
{
	(void)state;
	/* [closed] */
	near(ar_stats_t_cdf(1, 1), 0.75, 1e-14);
	near(ar_stats_t_cdf(2, 1), 0.8524163823495667, 1e-13);
	near(ar_stats_t_cdf(-2, 1), 1 - 0.8524163823495667, 1e-13);
	near(ar_stats_t_cdf(1, 2), 0.7886751345948129, 1e-13);
	near(ar_stats_t_cdf(1, 3), 0.8044988905221148, 1e-13);
	near(ar_stats_t_cdf(-1.5, 4), 0.104, 1e-13);
	near(ar_stats_t_cdf(0, 5), 0.5, 1e-15);
}

static void test_t_cdf_numeric(void **state)
{
	(void)state;
	/* [table] */
	near(ar_stats_t_cdf(1.812461123, 10), 0.95, 1e-9);
	/* [simpson]: non-whole df, as Welch-Satterthwaite gives */
	near(ar_stats_t_cdf(1.3, 7.5), 0.8839366105921955, 1e-10);
	near(ar_stats_t_cdf(-0.7, 2.5), 0.27170247159477334, 1e-10);
	/* A very large df is the normal: Phi(1.96) = 0.9750021048517796 (erf). */
	near(ar_stats_t_cdf(1.96, 1e7), 0.9750021048517796, 1e-7);
	/* Far tails and the edges of the domain. */
	near(ar_stats_t_cdf(INFINITY, 3), 1, 0);
	near(ar_stats_t_cdf(-INFINITY, 3), 0, 0);
	assert_true(ar_stats_t_cdf(-50, 3) > 0 && ar_stats_t_cdf(-50, 3) < 1e-5);
	assert_true(isnan(ar_stats_t_cdf(1, 0)));
	assert_true(isnan(ar_stats_t_cdf(1, -2)));
	assert_true(isnan(ar_stats_t_cdf(NAN, 2)));
}

static void test_welch_textbook(void **state)
{
	(void)state;
	/* [wiki] example 1, higher is better: is A2 better than A1? */
	const double a1[] = { 27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9,
	                      22.6, 23.1, 19.6, 19.0, 21.7, 21.4 };
	const double a2[] = { 27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8,
	                      20.2, 21.9, 22.1, 22.9, 20.5, 24.4 };
	struct ar_welch w;

	assert_int_equal(ar_stats_welch(a2, 15, a1, 15, AR_HIGHER_IS_BETTER, &w), 0);
	/* [stats] t 2.455356398286006, df 24.98852929023142; [simpson] p */
	near(w.t, 2.455356398286006, 1e-12);
	near(w.df, 24.98852929023142, 1e-10);
	near(w.p, 0.010689000731430864, 1e-9);
	near(w.p * 2, 0.021, 0.0005); /* [wiki] */
	/* The other way round the candidate is worse: p near 1. */
	assert_int_equal(ar_stats_welch(a1, 15, a2, 15, AR_HIGHER_IS_BETTER, &w), 0);
	near(w.p, 1 - 0.010689000731430864, 1e-9);
	assert_true(w.gain < 0);
}

static void test_welch_small_samples(void **state)
{
	(void)state;
	/* Lower is better: c beats b by 0.0316667.  [stats] t
	 * 2.8974728363194817, df 3.9593147751605993; [simpson] p. */
	const double c[] = { 0.97, 0.99, 0.96 }, b[] = { 1.00, 1.02, 0.99, 1.01 };
	const double one[] = { 0.95 };
	struct ar_welch w;

	assert_int_equal(ar_stats_welch(c, 3, b, 4, AR_LOWER_IS_BETTER, &w), 0);
	near(w.gain, 0.03166666666666662, 1e-12);
	near(w.t, 2.8974728363194817, 1e-10);
	near(w.df, 3.9593147751605993, 1e-10);
	near(w.p, 0.022389106534306036, 1e-9);
	/* One run against a sample: the run borrows the sample's variance,
	 * df = 4 - 1.  [stats] se = sd(b) sqrt(1 + 1/4) = 0.01443375672974066,
	 * t = 3.8105117766515217; [simpson] p = 0.01588849028620487. */
	assert_int_equal(ar_stats_welch(one, 1, b, 4, AR_LOWER_IS_BETTER, &w), 0);
	near(w.se, 0.01443375672974066, 1e-12);
	near(w.t, 3.8105117766515217, 1e-10);
	near(w.df, 3, 0);
	near(w.p, 0.01588849028620487, 1e-9);
	/* The same the other way round (the best has one sample). */
	assert_int_equal(ar_stats_welch(b, 4, one, 1, AR_HIGHER_IS_BETTER, &w), 0);
	near(w.df, 3, 0);
	near(w.p, 0.01588849028620487, 1e-9);
}

static void test_welch_degenerate(void **state)
{
	(void)state;
	const double same[] = { 1, 1, 1 }, lower[] = { 0.5, 0.5 }, one[] = { 2 };
	struct ar_welch w;

	/* No variance anywhere: decided by the means alone. */
	assert_int_equal(ar_stats_welch(lower, 2, same, 3, AR_LOWER_IS_BETTER, &w), 0);
	near(w.p, 0, 0);
	assert_true(isinf(w.t) && w.t > 0);
	assert_int_equal(ar_stats_welch(same, 3, same, 3, AR_LOWER_IS_BETTER, &w), 0);
	near(w.p, 1, 0);
	near(w.t, 0, 0);
	assert_int_equal(ar_stats_welch(same, 3, lower, 2, AR_LOWER_IS_BETTER, &w), 0);
	near(w.p, 1, 0);
	/* Not enough samples to judge the noise. */
	assert_int_equal(ar_stats_welch(one, 1, one, 1, AR_LOWER_IS_BETTER, &w), AR_EUSAGE);
	assert_int_equal(ar_stats_welch(one, 0, same, 3, AR_LOWER_IS_BETTER, &w), AR_EUSAGE);
	assert_int_equal(ar_stats_welch(same, 3, one, 0, AR_LOWER_IS_BETTER, &w), AR_EUSAGE);
}

static struct ar_sampling sampling(int adaptive, int repeats)
{
	struct ar_sampling p = { adaptive, repeats, 5, 0.05, 0.0, AR_LOWER_IS_BETTER };
	return p;
}

static void test_more_fixed(void **state)
{
	(void)state;
	struct ar_sampling p = sampling(0, 3);
	const double x[] = { 1, 2, 3, 4 }, b[] = { 9, 9.1 };

	assert_int_equal(ar_stats_more(&p, x, 0, b, 2), 1);
	assert_int_equal(ar_stats_more(&p, x, 2, b, 2), 1);
	assert_int_equal(ar_stats_more(&p, x, 3, b, 2), 0);
	/* Fixed repeats run k times whatever the samples say. */
	assert_int_equal(ar_stats_more(&p, b, 2, x, 3), 1);
	p.repeats = 1;
	assert_int_equal(ar_stats_more(&p, x, 1, b, 0), 0);
	p.repeats = 0; /* nonsense is one run */
	assert_int_equal(ar_stats_more(&p, x, 1, b, 0), 0);
}

static void test_more_adaptive(void **state)
{
	(void)state;
	struct ar_sampling p = sampling(1, 0);
	const double best[] = { 1.00, 1.02, 0.99, 1.01, 1.00 };
	const double worse[] = { 1.05 }, flat[] = { 1.004 };
	const double good[] = { 0.96, 0.95, 0.97 }, lucky[] = { 0.985, 1.01 };

	/* The baseline runs max_repeats times. */
	assert_int_equal(ar_stats_more(&p, best, 4, NULL, 0), 1);
	assert_int_equal(ar_stats_more(&p, best, 5, NULL, 0), 0);
	/* Worse than the best's mean (1.004): stop after one run. */
	assert_int_equal(ar_stats_more(&p, worse, 1, best, 5), 0);
	assert_int_equal(ar_stats_more(&p, flat, 1, best, 5), 0);
	/* Promising after one run: never decided on one run. */
	assert_int_equal(ar_stats_more(&p, good, 1, best, 5), 1);
	/* Two clearly better runs pass: stop. */
	assert_int_equal(ar_stats_passes(&p, good, 2, best, 5), 1);
	assert_int_equal(ar_stats_more(&p, good, 2, best, 5), 0);
	/* Better but not significantly: one more run. */
	assert_int_equal(ar_stats_passes(&p, lucky, 2, best, 5), 0);
	assert_int_equal(ar_stats_more(&p, lucky, 2, best, 5), 1);
	/* ... at the cap, stop whatever the samples say. */
	p.max_repeats = 2;
	assert_int_equal(ar_stats_more(&p, good, 2, best, 5), 0);
	/* min_delta: a significant gain below it is not a pass. */
	p.max_repeats = 5;
	p.min_delta = 0.05;
	assert_int_equal(ar_stats_passes(&p, good, 3, best, 5), 0);
	assert_int_equal(ar_stats_more(&p, good, 3, best, 5), 1);
	/* Higher is better flips the sense. */
	p.min_delta = 0;
	p.direction = AR_HIGHER_IS_BETTER;
	assert_int_equal(ar_stats_more(&p, worse, 1, best, 5), 1);
	assert_int_equal(ar_stats_more(&p, good, 1, best, 5), 0);
	/* A best with one sample (a session that ran with repeats: 1): the
	 * candidate's own runs judge the noise. */
	p.direction = AR_LOWER_IS_BETTER;
	assert_int_equal(ar_stats_more(&p, good, 1, best, 1), 1);
	assert_int_equal(ar_stats_more(&p, good, 3, best, 1), 0);
}

static void test_runs_needed(void **state)
{
	(void)state;
	/* [closed] z_0.95 = 1.6448536269514722, z_0.8 = 0.8416212335729143:
	 * 2 (z + z)^2 = 12.37, so 13 runs for an effect of one sd. */
	near(ar_stats_normal_quantile(0.95), 1.6448536269514722, 1e-12);
	near(ar_stats_normal_quantile(0.8), 0.8416212335729143, 1e-12);
	near(ar_stats_normal_quantile(0.5), 0, 1e-14);
	assert_true(isnan(ar_stats_normal_quantile(0)));
	assert_true(isnan(ar_stats_normal_quantile(1)));
	assert_int_equal(ar_stats_runs_needed(1, 1, 0.05), 13);
	assert_int_equal(ar_stats_runs_needed(1, 2, 0.05), 4);   /* 12.37/4 */
	assert_int_equal(ar_stats_runs_needed(0.1, 1, 0.05), 1); /* no noise to speak of */
	assert_int_equal(ar_stats_runs_needed(0, 1, 0.05), 1);
	assert_int_equal(ar_stats_runs_needed(1, 0, 0.05), 0);
	assert_int_equal(ar_stats_runs_needed(1, -1, 0.05), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summaries),
		cmocka_unit_test(test_aggregate),
		cmocka_unit_test(test_incomplete_beta),
		cmocka_unit_test(test_t_cdf_closed_forms),
		cmocka_unit_test(test_t_cdf_numeric),
		cmocka_unit_test(test_welch_textbook),
		cmocka_unit_test(test_welch_small_samples),
		cmocka_unit_test(test_welch_degenerate),
		cmocka_unit_test(test_more_fixed),
		cmocka_unit_test(test_more_adaptive),
		cmocka_unit_test(test_runs_needed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
