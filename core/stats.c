/*
 * stats.c - summaries, Welch's t-test, the sequential design of repeats:
 * auto and the sampling rule (see stats.h).
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

/* ---- the sequential design of repeats: auto ------------------------------- */

#define SEQ_GRID 81       /* points per look (odd, for Simpson's rule) */
#define SEQ_STEPS 100     /* at most this many steps of the root finder */

static double upper_tail(double z)
{
	return 0.5 * erfc(z / sqrt(2.0));
}

static double normal_pdf(double z)
{
	return exp(-0.5 * z * z) / 2.5066282746310002; /* sqrt(2 pi) */
}

double ar_stats_futility_p(void)
{
	return upper_tail(AR_STATS_FUTILITY_Z);
}

/* Simpson's weight of point i of n (n odd) on a grid of step h. */
static double simpson(int i, int n, double h)
{
	if (i == 0 || i == n - 1)
		return h / 3.0;
	return (i % 2 ? 4.0 : 2.0) * h / 3.0;
}

/*
 * Carry the density f of S_{n-1} on the grid x (step h) one run on: g
 * gets the density of S_n = S_{n-1} + X at the points lo + j nh,
 * g(y) = integral f(s) phi(y - s) ds (Simpson's rule).
 */
static void carry(const double *f, const double *x, double h, double lo, double nh,
                  double *g)
{
	for (int j = 0; j < SEQ_GRID; j++) {
		double y = lo + j * nh, sum = 0.0;
		for (int i = 0; i < SEQ_GRID; i++)
			sum += simpson(i, SEQ_GRID, h) * f[i] * normal_pdf(y - x[i]);
		g[j] = sum;
	}
}

/*
 * P(pass) under "no gain" for the boundary constant c: S_n, the sum of n
 * standard normal runs, passes at look n when S_n >= c sqrt(K) (z_n =
 * c sqrt(K/n)), else stops when S_n <= l sqrt(n) (l: the futility z).
 * f holds the density of S_{n-1} on the grid x of its continuation
 * region (l sqrt(n-1), c sqrt(K)); g is scratch.  All SEQ_GRID long.
 */
static double type1(double c, int looks, double *f, double *g, double *x)
{
	double hi = c * sqrt((double)looks), lo = AR_STATS_FUTILITY_Z, h;
	double pass = upper_tail(hi); /* at the first run */

	if (looks < 2 || lo >= hi)
		return pass;
	h = (hi - lo) / (SEQ_GRID - 1);
	for (int i = 0; i < SEQ_GRID; i++) {
		x[i] = lo + i * h;
		f[i] = normal_pdf(x[i]);
	}
	for (int n = 2; n <= looks; n++) {
		/* Passes at run n: S_{n-1} = s, then X >= hi - s. */
		for (int i = 0; i < SEQ_GRID; i++)
			pass += simpson(i, SEQ_GRID, h) * f[i] * upper_tail(hi - x[i]);
		lo = AR_STATS_FUTILITY_Z * sqrt((double)n);
		if (n == looks || lo >= hi)
			break; /* the last look, or no path goes on */
		carry(f, x, h, lo, (hi - lo) / (SEQ_GRID - 1), g);
		h = (hi - lo) / (SEQ_GRID - 1);
		for (int j = 0; j < SEQ_GRID; j++) {
			f[j] = g[j];
			x[j] = lo + j * h;
		}
	}
	return pass;
}

/* The boundary constant c with type1(c) = alpha: regula falsi with the
 * Illinois modification on [-10, 10] (type1 falls as c grows: every
 * boundary rises). */
static double design_constant(int looks, double alpha)
{
	double f[SEQ_GRID], g[SEQ_GRID], x[SEQ_GRID];
	double a = -10.0, b = 10.0, c = 0.0;
	double fa = type1(a, looks, f, g, x) - alpha, fb = type1(b, looks, f, g, x) - alpha;
	int side = 0;

	for (int i = 0; i < SEQ_STEPS && b - a > 1e-12; i++) {
		double fc;
		c = (a * fb - b * fa) / (fb - fa);
		fc = type1(c, looks, f, g, x) - alpha;
		if (fc == 0.0)
			break;
		if ((fc > 0.0) == (fa > 0.0)) {
			a = c;
			fa = fc;
			if (side == -1)
				fb /= 2.0; /* the same end twice: Illinois */
			side = -1;
		} else {
			b = c;
			fb = fc;
			if (side == 1)
				fa /= 2.0;
			side = 1;
		}
		if (fabs(fc) < 1e-13)
			break;
	}
	return c;
}

int ar_stats_sequential_levels(int looks, double alpha, double *level)
{
	double c;

	if (looks < 1 || !(alpha > 0.0 && alpha < 1.0))
		return ar_error_set(AR_EUSAGE, "a sequential design needs at least one "
		                    "look and 0 < alpha < 1 (got %d looks, alpha %g)",
		                    looks, alpha);
	c = design_constant(looks, alpha);
	for (int n = 1; n <= looks; n++)
		level[n - 1] = upper_tail(c * sqrt((double)looks / n));
	return 0;
}

double ar_stats_level(const struct ar_sampling *p, size_t nc)
{
	int looks = p->max_repeats > 1 ? p->max_repeats : 1;
	size_t at = nc < 1 ? 1 : nc > (size_t)looks ? (size_t)looks : nc;
	double *level, v;

	if (!p->adaptive)
		return p->alpha;
	level = malloc((size_t)looks * sizeof(*level));
	if (!level)
		abort();
	if (ar_stats_sequential_levels(looks, p->alpha, level) < 0) {
		ar_error_clear(); /* alpha out of range: the config refuses it */
		free(level);
		return p->alpha;
	}
	v = level[at - 1];
	free(level);
	return v;
}

int ar_stats_passes(const struct ar_sampling *p, const double *cand, size_t nc,
                    const double *best, size_t nb)
{
	struct ar_welch w;

	if (ar_stats_welch(cand, nc, best, nb, p->direction, &w) < 0) {
		ar_error_clear();
		return 0;
	}
	return w.gain > p->min_delta && w.p <= ar_stats_level(p, nc);
}

int ar_stats_more(const struct ar_sampling *p, const double *cand, size_t nc,
                  const double *best, size_t nb)
{
	struct ar_welch w;
	double diff;

	if (!p->adaptive)
		return nc < (size_t)(p->repeats > 1 ? p->repeats : 1);
	if (nc >= (size_t)(p->max_repeats > 1 ? p->max_repeats : 1))
		return 0;
	if (!nb)
		return 1; /* the baseline: learn the noise */
	if (!nc)
		return 1;
	if (ar_stats_welch(cand, nc, best, nb, p->direction, &w) < 0) {
		ar_error_clear(); /* one run against one: no noise to judge by yet */
		diff = ar_stats_mean(cand, nc) - ar_stats_mean(best, nb);
		return (p->direction == 1 ? diff : -diff) > 0.0;
	}
	if (w.gain > p->min_delta && w.p <= ar_stats_level(p, nc))
		return 0; /* it passes */
	if (w.gain <= 0.0 || w.p >= ar_stats_futility_p())
		return 0; /* not better, or not promising enough: futility */
	return 1;
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
