/*
 * stats.c - summaries, Welch's t-test and the sampling rule (see stats.h).
 */
#include "stats.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

double ar_stats_mean(const double *x, size_t n)
{
	double sum = 0.0;

	for (size_t i = 0; i < n; i++)
		sum += x[i];
	return n ? sum / (double)n : 0.0;
}

double ar_stats_stddev(const double *x, size_t n)
{
	double m = ar_stats_mean(x, n), ss = 0.0;

	if (n < 2)
		return 0.0;
	for (size_t i = 0; i < n; i++)
		ss += (x[i] - m) * (x[i] - m);
	return sqrt(ss / (double)(n - 1));
}

double ar_stats_min(const double *x, size_t n)
{
	double v = n ? x[0] : 0.0;

	for (size_t i = 1; i < n; i++)
		if (x[i] < v)
			v = x[i];
	return v;
}

double ar_stats_max(const double *x, size_t n)
{
	double v = n ? x[0] : 0.0;

	for (size_t i = 1; i < n; i++)
		if (x[i] > v)
			v = x[i];
	return v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double ar_stats_median(const double *x, size_t n)
{
	double *s, m;

	if (!n)
		return 0.0;
	s = malloc(n * sizeof(*s));
	if (!s)
		abort();
	memcpy(s, x, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
	free(s);
	return m;
}

int ar_stats_aggregate_parse(const char *s, enum ar_aggregate *out)
{
	static const char *const names[] = { "mean", "median", "min", "max" };

	if (!s) {
		*out = AR_AGG_MEAN;
		return 0;
	}
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i])) {
			*out = (enum ar_aggregate)i;
			return 0;
		}
	return ar_error_set(AR_EUSAGE, "aggregate: '%s' is not one of mean, median, "
	                    "min, max", s);
}

double ar_stats_aggregate(enum ar_aggregate a, const double *x, size_t n)
{
	switch (a) {
	case AR_AGG_MEDIAN:
		return ar_stats_median(x, n);
	case AR_AGG_MIN:
		return ar_stats_min(x, n);
	case AR_AGG_MAX:
		return ar_stats_max(x, n);
	case AR_AGG_MEAN:
	default:
		return ar_stats_mean(x, n);
	}
}

/* ---- the incomplete beta function -------------------------------------- */

#define CF_TINY 1e-300
#define CF_EPS 1e-15
#define CF_MAX_TERMS 500

static double not_tiny(double v)
{
	return fabs(v) < CF_TINY ? CF_TINY : v;
}

/*
 * The continued fraction of I_x(a,b) (x below the mean a/(a+b), where it
 * converges fast), by the modified Lentz method:
 *   I_x(a,b) = x^a (1-x)^b / (a B(a,b)) * 1/(1+ d1/(1+ d2/(1+ ...)))
 *   d_{2m+1} = -(a+m)(a+b+m) x / ((a+2m)(a+2m+1))
 *   d_{2m}   =  m(b-m) x / ((a+2m-1)(a+2m))
 * Returns the fraction (without the prefactor).
 */
static double beta_fraction(double a, double b, double x)
{
	double f, c = 1.0, d = 1.0 / not_tiny(1.0 - (a + b) * x / (a + 1.0));

	f = d;
	for (int m = 1; m <= CF_MAX_TERMS; m++) {
		double even = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
		double odd = -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
		d = 1.0 / not_tiny(1.0 + even * d);
		c = not_tiny(1.0 + even / c);
		f *= c * d;
		d = 1.0 / not_tiny(1.0 + odd * d);
		c = not_tiny(1.0 + odd / c);
		f *= c * d;
		if (fabs(c * d - 1.0) < CF_EPS)
			break;
	}
	return f;
}

double ar_stats_betai(double a, double b, double x)
{
	double lfront;

	if (!(a > 0.0) || !(b > 0.0) || !(x >= 0.0 && x <= 1.0))
		return NAN;
	if (x == 0.0 || x == 1.0)
		return x;
	lfront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
	/* I_x(a,b) = 1 - I_{1-x}(b,a): use the side where the fraction
	 * converges. */
	if (x < (a + 1.0) / (a + b + 2.0))
		return exp(lfront) * beta_fraction(a, b, x) / a;
	return 1.0 - exp(lfront) * beta_fraction(b, a, 1.0 - x) / b;
}

double ar_stats_t_cdf(double t, double df)
{
	double tail;

	if (!(df > 0.0) || isnan(t))
		return NAN;
	if (isinf(t))
		return t > 0 ? 1.0 : 0.0;
	/* P(T <= -|t|) = I_{df/(df+t^2)}(df/2, 1/2) / 2 */
	tail = 0.5 * ar_stats_betai(df / 2.0, 0.5, df / (df + t * t));
	return t > 0 ? 1.0 - tail : tail;
}

/* ---- Welch's test -------------------------------------------------------- */

static double sample_var(const double *x, size_t n)
{
	double sd = ar_stats_stddev(x, n);
	return sd * sd;
}

int ar_stats_welch(const double *cand, size_t nc, const double *best, size_t nb,
                   int direction, struct ar_welch *out)
{
	double vc, vb, qc, qb, diff;

	memset(out, 0, sizeof(*out));
	if (!nc || !nb || (nc < 2 && nb < 2))
		return ar_error_set(AR_EUSAGE, "a t-test needs samples on both sides "
		                    "and two on one side (got %zu and %zu)", nc, nb);
	vc = nc > 1 ? sample_var(cand, nc) : sample_var(best, nb);
	vb = nb > 1 ? sample_var(best, nb) : vc;
	diff = ar_stats_mean(cand, nc) - ar_stats_mean(best, nb);
	out->gain = direction == 1 /* AR_HIGHER_IS_BETTER */ ? diff : -diff;
	qc = vc / (double)nc;
	qb = vb / (double)nb;
	out->se = sqrt(qc + qb);
	if (nc < 2)
		out->df = (double)(nb - 1);
	else if (nb < 2)
		out->df = (double)(nc - 1);
	else if (qc + qb > 0.0)
		out->df = (qc + qb) * (qc + qb) /
		          (qc * qc / (double)(nc - 1) + qb * qb / (double)(nb - 1));
	else
		out->df = (double)(nc + nb - 2);
	if (out->se == 0.0) {
		out->t = out->gain > 0 ? INFINITY : out->gain < 0 ? -INFINITY : 0.0;
		out->p = out->gain > 0 ? 0.0 : 1.0;
		return 0;
	}
	out->t = out->gain / out->se;
	out->p = ar_stats_t_cdf(-out->t, out->df);
	return 0;
}

int ar_stats_passes(const struct ar_sampling *p, const double *cand, size_t nc,
                    const double *best, size_t nb)
{
	struct ar_welch w;

	if (ar_stats_welch(cand, nc, best, nb, p->direction, &w) < 0) {
		ar_error_clear();
		return 0;
	}
	return w.gain > p->min_delta && w.p <= p->alpha;
}

int ar_stats_more(const struct ar_sampling *p, const double *cand, size_t nc,
                  const double *best, size_t nb)
{
	double diff;

	if (!p->adaptive)
		return nc < (size_t)(p->repeats > 1 ? p->repeats : 1);
	if (nc >= (size_t)(p->max_repeats > 1 ? p->max_repeats : 1))
		return 0;
	if (!nb)
		return 1; /* the baseline: learn the noise */
	if (!nc)
		return 1;
	diff = ar_stats_mean(cand, nc) - ar_stats_mean(best, nb);
	if ((p->direction == 1 ? diff : -diff) <= 0.0)
		return 0; /* no better than the best: it cannot pass */
	return !(nc >= 2 && ar_stats_passes(p, cand, nc, best, nb));
}

/* ---- planning ------------------------------------------------------------ */

double ar_stats_normal_quantile(double p)
{
	double lo = -40.0, hi = 40.0;

	if (!(p > 0.0 && p < 1.0))
		return NAN;
	/* Bisection on P(Z <= z) = erfc(-z / sqrt 2) / 2, to double precision. */
	for (int i = 0; i < 200 && hi - lo > 1e-15 * (1.0 + fabs(lo)); i++) {
		double mid = (lo + hi) / 2.0;
		if (0.5 * erfc(-mid / sqrt(2.0)) < p)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2.0;
}

long ar_stats_runs_needed(double sd, double effect, double alpha)
{
	double z, n;

	if (!(effect > 0.0))
		return 0;
	if (!(sd > 0.0))
		return 1;
	z = ar_stats_normal_quantile(1.0 - alpha) + ar_stats_normal_quantile(0.8);
	n = ceil(2.0 * z * z * sd * sd / (effect * effect) - 1e-9);
	if (n > 1e9)
		return 1000000000L;
	return n < 1.0 ? 1 : (long)n;
}
