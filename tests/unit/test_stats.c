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
 *  [design]  the levels of the sequential design of repeats: auto, from
 *            python3 bench/noise/policy_sim.py's sequential_levels (the
 *            same integration, bisection instead of regula falsi), and
 *            checked by simulating 10^6 candidates with no gain in python3:
 *            K = 5 passes 0.0502 +- 0.0002, K = 2 0.0499 +- 0.0002.  The
 *            test below simulates the design again in C.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdint.h>
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

/* The levels of the design for K = 5 and 2, alpha 0.05 ([design]). */
static const double levels5[] = { 0.000841724, 0.0131736, 0.0348786, 0.0581467, 0.0800524 };
static const double levels2[] = { 0.0122181, 0.0557898 };

static void test_sequential_levels(void **state)
{
	(void)state;
	double lv[30];

	/* One look: a plain test at alpha. */
	assert_int_equal(ar_stats_sequential_levels(1, 0.05, lv), 0);
	near(lv[0], 0.05, 1e-9);
	assert_int_equal(ar_stats_sequential_levels(5, 0.05, lv), 0);
	for (int i = 0; i < 5; i++)
		near(lv[i], levels5[i], 2e-6 + 1e-4 * levels5[i]);
	assert_int_equal(ar_stats_sequential_levels(2, 0.05, lv), 0);
	near(lv[0], levels2[0], 2e-6);
	near(lv[1], levels2[1], 2e-6);
	/* Strict early, looser late.  Up to K = 22 every level is under the
	 * futility p; from 23 the last may exceed it (a pass is checked first). */
	near(ar_stats_futility_p(), 0.2266273523768682, 1e-12);
	for (int k = 1; k <= 30; k++) {
		assert_int_equal(ar_stats_sequential_levels(k, 0.05, lv), 0);
		for (int i = 1; i < k; i++)
			assert_true(lv[i] > lv[i - 1]);
		assert_true(lv[k - 1] < 0.27);
		assert_true(k > 22 || lv[k - 1] < ar_stats_futility_p());
	}
	assert_true(lv[29] > ar_stats_futility_p());
	/* A smaller alpha, smaller levels. */
	assert_int_equal(ar_stats_sequential_levels(5, 0.01, lv), 0);
	assert_true(lv[4] < levels5[4] && lv[0] < levels5[0]);
	/* Bad input. */
	assert_int_equal(ar_stats_sequential_levels(0, 0.05, lv), AR_EUSAGE);
	assert_int_equal(ar_stats_sequential_levels(5, 0, lv), AR_EUSAGE);
	assert_int_equal(ar_stats_sequential_levels(5, 1, lv), AR_EUSAGE);
	assert_int_equal(ar_stats_sequential_levels(5, NAN, lv), AR_EUSAGE);
	ar_error_clear();
}

/* A fixed-seed generator for the simulation below (xorshift64*, then
 * Box-Muller): a test double for real randomness. */
static uint64_t rng_state = 88172645463325252ULL;

static double uniform01(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return ((rng_state * 2685821657736338717ULL) >> 11) * (1.0 / 9007199254740992.0) +
	       1e-17;
}

static double gauss(void)
{
	return sqrt(-2.0 * log(uniform01())) * cos(6.283185307179586 * uniform01());
}

/* The share of 200000 simulated candidates with no gain (known noise, a
 * best known exactly) that the design passes. */
static double simulated_type1(const double *level, int looks)
{
	const int trials = 200000;
	double u[32];
	int passed = 0;

	for (int n = 0; n < looks; n++) /* the level as a z boundary */
		u[n] = -ar_stats_normal_quantile(level[n]);
	for (int t = 0; t < trials; t++) {
		double sum = 0.0;
		for (int n = 1; n <= looks; n++) {
			double z = (sum += gauss()) / sqrt((double)n);
			if (z >= u[n - 1]) {
				passed++;
				break;
			}
			if (z <= AR_STATS_FUTILITY_Z)
				break;
		}
	}
	return (double)passed / trials;
}

static void test_sequential_levels_hold_alpha(void **state)
{
	(void)state;
	double lv[8];

	/* An independent check of the integration: simulate the design. The
	 * standard error of the share is 0.0005; allow 4 of them. */
	for (int looks = 2; looks <= 8; looks += 3) {
		assert_int_equal(ar_stats_sequential_levels(looks, 0.05, lv), 0);
		near(simulated_type1(lv, looks), 0.05, 0.002);
	}
	assert_int_equal(ar_stats_sequential_levels(5, 0.2, lv), 0);
	near(simulated_type1(lv, 5), 0.2, 0.004);
}

static void test_level(void **state)
{
	(void)state;
	struct ar_sampling p = sampling(0, 3);

	/* repeats: k: alpha, whatever the runs. */
	near(ar_stats_level(&p, 3), 0.05, 0);
	near(ar_stats_level(&p, 1), 0.05, 0);
	/* repeats: auto: the level of the look; more runs than max_repeats
	 * (confirmations): the last level. */
	p = sampling(1, 0);
	near(ar_stats_level(&p, 1), levels5[0], 2e-6);
	near(ar_stats_level(&p, 3), levels5[2], 2e-6);
	near(ar_stats_level(&p, 5), levels5[4], 2e-6);
	near(ar_stats_level(&p, 7), levels5[4], 2e-6);
	near(ar_stats_level(&p, 0), levels5[0], 2e-6);
	p.max_repeats = 1;
	near(ar_stats_level(&p, 1), 0.05, 1e-9);
	p.max_repeats = 0; /* nonsense is one look */
	near(ar_stats_level(&p, 2), 0.05, 1e-9);
}

/*
 * The rule of repeats: auto on fixed samples.  The best: mean 1.004, sd
 * 0.011402.  Welch's p of each candidate ([stats] + [simpson]):
 *   meh {0.998}            0.328   (t 0.480, df 4)
 *   promising {0.985}      0.101   (t 1.521, df 4)
 *   strong {0.95}          0.00621 (t 4.32, df 4)
 *   huge {0.85}            0.000124 (t 12.3, df 4)
 *   good {0.96, 0.95}      0.00238 (t 6.86, df 3.28)
 *   lucky {0.985, 1.01}    0.348   (t 0.481, df 1.35)
 *   slow {0.99, 0.985}     0.0168  (t 2.91, df 5.00)
 *   slow {.., 0.99}        0.0174  (t 2.92, df 4.79)
 *   {1.05}, higher better  0.0106  (t 3.68, df 4)
 * against the levels of K = 5 (levels5) and the futility p 0.2266.
 */
static void test_more_adaptive(void **state)
{
	(void)state;
	struct ar_sampling p = sampling(1, 0);
	const double best[] = { 1.00, 1.02, 0.99, 1.01, 1.00 };
	const double worse[] = { 1.05 }, flat[] = { 1.004 }, meh[] = { 0.998 };
	const double promising[] = { 0.985 }, strong[] = { 0.95 }, huge[] = { 0.85 };
	const double good[] = { 0.96, 0.95 }, lucky[] = { 0.985, 1.01 };
	const double slow[] = { 0.99, 0.985, 0.99 };

	/* The baseline runs max_repeats times. */
	assert_int_equal(ar_stats_more(&p, best, 4, NULL, 0), 1);
	assert_int_equal(ar_stats_more(&p, best, 5, NULL, 0), 0);
	/* No better than the best's mean: stop after one run. */
	assert_int_equal(ar_stats_more(&p, worse, 1, best, 5), 0);
	assert_int_equal(ar_stats_more(&p, flat, 1, best, 5), 0);
	/* Better, but p 0.33 >= 0.2266: futility, one run. */
	assert_int_equal(ar_stats_more(&p, meh, 1, best, 5), 0);
	assert_int_equal(ar_stats_passes(&p, meh, 1, best, 5), 0);
	/* Promising: run again, even at p = 0.006 (the first level is 0.0008). */
	assert_int_equal(ar_stats_more(&p, promising, 1, best, 5), 1);
	assert_int_equal(ar_stats_more(&p, strong, 1, best, 5), 1);
	assert_int_equal(ar_stats_passes(&p, strong, 1, best, 5), 0);
	/* Better by far more than the noise: decided on one run. */
	assert_int_equal(ar_stats_passes(&p, huge, 1, best, 5), 1);
	assert_int_equal(ar_stats_more(&p, huge, 1, best, 5), 0);
	/* Two clearly better runs pass (0.0024 <= 0.0132). */
	assert_int_equal(ar_stats_passes(&p, good, 2, best, 5), 1);
	assert_int_equal(ar_stats_more(&p, good, 2, best, 5), 0);
	/* A lucky first run, then the truth: futility at two. */
	assert_int_equal(ar_stats_more(&p, lucky, 1, best, 5), 1);
	assert_int_equal(ar_stats_more(&p, lucky, 2, best, 5), 0);
	/* The same evidence passes later, not sooner: p 0.017 > 0.0132 at two
	 * runs (run again), p 0.017 <= 0.0349 at three (pass). */
	assert_int_equal(ar_stats_passes(&p, slow, 2, best, 5), 0);
	assert_int_equal(ar_stats_more(&p, slow, 2, best, 5), 1);
	assert_int_equal(ar_stats_passes(&p, slow, 3, best, 5), 1);
	assert_int_equal(ar_stats_more(&p, slow, 3, best, 5), 0);
	/* At the cap, stop whatever the samples say; with K = 2 the second
	 * look's level is 0.0558, so slow passes there. */
	p.max_repeats = 2;
	assert_int_equal(ar_stats_more(&p, slow, 2, best, 5), 0);
	assert_int_equal(ar_stats_passes(&p, slow, 2, best, 5), 1);
	/* min_delta: a significant gain (0.049) below it is not a pass, and
	 * it is still promising. */
	p.max_repeats = 5;
	p.min_delta = 0.05;
	assert_int_equal(ar_stats_passes(&p, good, 2, best, 5), 0);
	assert_int_equal(ar_stats_more(&p, good, 2, best, 5), 1);
	/* Higher is better flips the sense. */
	p.min_delta = 0;
	p.direction = AR_HIGHER_IS_BETTER;
	assert_int_equal(ar_stats_more(&p, worse, 1, best, 5), 1);
	assert_int_equal(ar_stats_more(&p, huge, 1, best, 5), 0);
	assert_int_equal(ar_stats_passes(&p, huge, 1, best, 5), 0);
	/* A best with one sample (a session that ran with repeats: 1): one
	 * run against one cannot be tested; a gain runs again. */
	p.direction = AR_LOWER_IS_BETTER;
	assert_int_equal(ar_stats_more(&p, promising, 1, best, 1), 1);
	assert_int_equal(ar_stats_more(&p, worse, 1, best, 1), 0);
	assert_int_equal(ar_stats_passes(&p, huge, 1, best, 1), 0);
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
		cmocka_unit_test(test_sequential_levels),
		cmocka_unit_test(test_sequential_levels_hold_alpha),
		cmocka_unit_test(test_level),
		cmocka_unit_test(test_more_adaptive),
		cmocka_unit_test(test_runs_needed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
