/*
 * stats.h - the numbers behind decisions under noise: summaries of
 * repeated measurements, Welch's t-test, and the sequential design and
 * sampling rule of repeats: auto.
 * Pure functions of their arguments (no I/O, no global state besides the
 * error message); only libm.
 *
 * The test.  An experiment's samples (the candidate, c) are compared with
 * the best's samples (b) by Welch's unequal-variances t-test, one-sided:
 *
 *     gain = mean(b) - mean(c)          (lower is better; flipped for higher)
 *     se   = sqrt(var(c)/n_c + var(b)/n_b)   (sample variances, n - 1)
 *     t    = gain / se
 *     df   = se^4 / ((var(c)/n_c)^2/(n_c-1) + (var(b)/n_b)^2/(n_b-1))
 *                                            (Welch-Satterthwaite)
 *     p    = P(T_df >= t)                    H0: the candidate is not better
 *
 * The Student t CDF is computed here from the regularized incomplete beta
 * function, P(T_df <= -|t|) = I_{df/(df+t^2)}(df/2, 1/2) / 2, evaluated with
 * its continued fraction (modified Lentz).  A side with one sample has no
 * variance of its own: it borrows the other side's, and df is the other
 * side's n - 1 (a t-test of one new observation against a sample).  With no
 * variance on either side (every sample equal) p is 0 when the candidate
 * is better and 1 otherwise.
 */
#ifndef AR_STATS_H
#define AR_STATS_H

#include <stddef.h>

/* Summaries; x has n values.  mean, median, min, max of nothing are 0. */
double ar_stats_mean(const double *x, size_t n);
double ar_stats_median(const double *x, size_t n);
double ar_stats_min(const double *x, size_t n);
double ar_stats_max(const double *x, size_t n);
/* Sample standard deviation (divisor n - 1); 0 when n < 2. */
double ar_stats_stddev(const double *x, size_t n);

/* How repeated samples become an experiment's value (`aggregate:`). */
enum ar_aggregate { AR_AGG_MEAN = 0, AR_AGG_MEDIAN, AR_AGG_MIN, AR_AGG_MAX };
/* "mean", "median", "min", "max" (NULL: mean).  AR_EUSAGE otherwise. */
int ar_stats_aggregate_parse(const char *s, enum ar_aggregate *out);
double ar_stats_aggregate(enum ar_aggregate a, const double *x, size_t n);

/* The regularized incomplete beta function I_x(a, b), a, b > 0, x in
 * [0, 1]; NaN outside that domain. */
double ar_stats_betai(double a, double b, double x);
/* P(T <= t) for Student's t with df > 0 degrees of freedom (df need not be
 * whole); NaN when df <= 0 or t is NaN. */
double ar_stats_t_cdf(double t, double df);

struct ar_welch {
	double gain;  /* mean improvement of the candidate (> 0: better) */
	double se;    /* standard error of gain */
	double t;     /* gain / se (+-INFINITY when se is 0 and gain is not) */
	double df;    /* Welch-Satterthwaite degrees of freedom */
	double p;     /* one-sided p-value of "the candidate is not better" */
};

/*
 * Welch's one-sided test of "cand is better than best" (see above);
 * direction is AR_LOWER_IS_BETTER (0) or AR_HIGHER_IS_BETTER (1).
 * 0 with *out filled; AR_EUSAGE when a side is empty or neither side has
 * two samples (no variance to judge the noise by).
 */
int ar_stats_welch(const double *cand, size_t nc, const double *best, size_t nb,
                   int direction, struct ar_welch *out);

/* How many runs an experiment gets (repeats:, max_repeats:, alpha:). */
struct ar_sampling {
	int adaptive;        /* repeats: auto */
	int repeats;         /* not adaptive: exactly this many runs (>= 1) */
	int max_repeats;     /* adaptive: at most this many runs */
	double alpha;        /* significance level of the test */
	double min_delta;    /* absolute: the smallest gain worth keeping */
	int direction;
};

/*
 * The sequential design of repeats: auto.  An experiment is tested after
 * each of its runs n = 1..K (K = max_repeats) with Welch's one-sided p_n:
 *
 *   p_n <= level[n]       pass: stop, it is better (the efficacy boundary)
 *   else p_n >= futility_p  stop, it is not better (futility: p of z = 0.75,
 *                         a gain under 0.75 standard errors)
 *   otherwise             run it again; at n = K, a pass or a discard
 *
 * The levels are nominal one-sided p-values of the boundary
 * z_n = c sqrt(K / n) (O'Brien-Fleming's shape: strict early, looser
 * late), and c is set so that a candidate exactly as good as the best
 * passes at some look with probability alpha, counting the futility
 * stops (which the engine always makes: a binding futility boundary).
 * The probability is that of the canonical model of group-sequential
 * tests - the n-th look sees the sum of n independent standard normal
 * runs (known noise, a best known exactly) - computed by numerical
 * integration over the looks (Simpson's rule, the density of the sum
 * carried from look to look, 81 points) and solved for c by regula
 * falsi.  The looks compare Welch's p with the levels (nominal p-value
 * boundaries): the t distribution pays for the noise being estimated.
 *
 * Because the futility stops remove paths that could pass later, the
 * later levels can exceed alpha (for K = 5, alpha = 0.05: 0.0008, 0.013,
 * 0.035, 0.058, 0.080; from K = 23 the last one even exceeds the futility
 * p) while the chance of keeping a change that is no better stays alpha.
 * With K = 1 the single level is alpha.
 */
#define AR_STATS_FUTILITY_Z 0.75

/* The levels of the design for `looks` looks at `alpha` into level[0..
 * looks-1].  0; AR_EUSAGE when looks < 1 or alpha is not in (0, 1). */
int ar_stats_sequential_levels(int looks, double alpha, double *level);
/* The p-value at or above which repeats: auto stops for futility:
 * P(Z >= AR_STATS_FUTILITY_Z) = 0.2266. */
double ar_stats_futility_p(void);

/*
 * The level an experiment with nc runs is held to: alpha with repeats: k;
 * with repeats: auto the level of look min(nc, max_repeats) of the design
 * (a confirmed candidate has more runs than max_repeats: the last level).
 * ar_decide compares the p-value with this (the engine passes it as
 * alpha).
 */
double ar_stats_level(const struct ar_sampling *p, size_t nc);

/*
 * The stopping rule, called after each run of a candidate: 1 to run it
 * again, 0 when its samples are enough to decide.
 *  - repeats: k  -> exactly k runs.
 *  - repeats: auto -> the baseline (nb == 0) runs max_repeats times, to
 *    learn the noise.  An experiment stops when it passes (gain >
 *    min_delta and p <= its level, see above), when it measures no better
 *    than the best's mean (gain <= 0) or p >= the futility p (a change
 *    that is not clearly promising costs one run), or at max_repeats.
 *    When the test cannot be made yet (one run against a best with one
 *    sample) it runs again if its gain is positive.
 */
int ar_stats_more(const struct ar_sampling *p, const double *cand, size_t nc,
                  const double *best, size_t nb);

/* 1 when cand passes against best: gain > min_delta and p <= its level
 * (ar_stats_level; the test of the stopping rule; the engine's verdict is
 * ar_decide's). */
int ar_stats_passes(const struct ar_sampling *p, const double *cand, size_t nc,
                    const double *best, size_t nb);

/*
 * Runs per side for a one-sided test at alpha to detect an improvement of
 * `effect` with 80% power when one run's standard deviation is sd:
 * ceil(2 (z_{1-alpha} + z_{0.8})^2 sd^2 / effect^2), at least 1; 0 when
 * effect <= 0 (nothing to detect).  The normal approximation: with few
 * runs the t-test needs a little more.
 */
long ar_stats_runs_needed(double sd, double effect, double alpha);

/* The standard normal quantile: z with P(Z <= z) = p, 0 < p < 1. */
double ar_stats_normal_quantile(double p);

#endif
