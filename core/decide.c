/*
 * decide.c - the verdict of one experiment, as a pure function of numbers.
 *
 * Order: crash, guard_fail, then the comparison with the best.  A candidate
 * that would be kept must also pass the configured checks.  Simplicity:
 * a gain under 0.1% that adds 20 or more lines is not worth it; an equal
 * metric with fewer lines is.  Under noise (use_test) a gain must also be
 * significant: Welch's one-sided p-value at most alpha (stats.h).
 */
#include <math.h>
#include "engine.h"

#define AR_SIMPLICITY_GAIN 0.001 /* 0.1% */
#define AR_SIMPLICITY_LINES 20

/* How much better score is than best (positive = better). */
static double improvement(const struct ar_decision_in *in)
{
	return in->direction == AR_HIGHER_IS_BETTER ? in->score - in->best
	                                            : in->best - in->score;
}

static double threshold(const struct ar_decision_in *in)
{
	if (in->min_delta_relative) /* "5%" is stored as the fraction 0.05 */
		return fabs(in->best) * in->min_delta;
	return in->min_delta;
}

int ar_decide_would_keep(const struct ar_decision_in *in)
{
	double gain, rel;

	if (in->crashed || in->guard_failed || in->is_baseline)
		return 0;
	if (!in->has_best)
		return 1;
	gain = improvement(in);
	if (gain == 0.0 && in->net_lines < 0)
		return 1; /* same result, simpler code */
	if (gain <= threshold(in) || gain <= 0.0)
		return 0;
	rel = in->best != 0.0 ? gain / fabs(in->best) : INFINITY;
	if (rel < AR_SIMPLICITY_GAIN && in->net_lines >= AR_SIMPLICITY_LINES)
		return 0; /* a tiny gain is not worth 20 more lines */
	if (in->use_test && !(in->p_value <= in->alpha))
		return 0; /* better, but not significantly: it may be noise */
	return 1;
}

const char *ar_decide(const struct ar_decision_in *in)
{
	if (in->crashed)
		return AR_ST_CRASH;
	if (in->is_baseline)
		return AR_ST_BASELINE;
	if (in->guard_failed)
		return AR_ST_GUARD_FAIL;
	if (!ar_decide_would_keep(in))
		return AR_ST_DISCARD;
	if (in->checks_failed)
		return AR_ST_CHECKS_FAILED;
	return AR_ST_KEEP;
}
