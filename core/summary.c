/*
 * summary.c - a session's numbers (see summary.h).
 */
#include "summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const known[] = {
	AR_ST_BASELINE, AR_ST_KEEP, AR_ST_DISCARD, AR_ST_CRASH,
	AR_ST_GUARD_FAIL, AR_ST_CHECKS_FAILED, AR_ST_SCOPE_VIOLATION,
	AR_ST_NO_CHANGE, AR_ST_INTERRUPTED,
};
#define NKNOWN (sizeof(known) / sizeof(known[0]))

int ar_summary_is_candidate(const struct ar_result *r)
{
	return r->has_score && isfinite(r->score) && r->status &&
	       (!strcmp(r->status, AR_ST_BASELINE) || !strcmp(r->status, AR_ST_KEEP));
}

int ar_summary_better(int direction, double a, double b)
{
	return direction == AR_LOWER_IS_BETTER ? a < b : a > b;
}

/* Count r's status; the last status counted is tried first, as runs of one
 * status are common. */
static void count(struct ar_summary *s, const char *status, size_t *cap,
                  size_t *last)
{
	size_t i;

	if (!status)
		return;
	if (*last < s->ncounts && !strcmp(s->counts[*last].status, status)) {
		s->counts[*last].count++;
		return;
	}
	for (i = 0; i < s->ncounts; i++)
		if (!strcmp(s->counts[i].status, status))
			break;
	if (i == s->ncounts) {
		if (s->ncounts == *cap) {
			*cap *= 2;
			s->counts = ar_xrealloc(s->counts, *cap * sizeof(*s->counts));
		}
		s->counts[s->ncounts].status = status;
		s->counts[s->ncounts++].count = 0;
	}
	s->counts[i].count++;
	*last = i;
}

static void improvement(struct ar_summary *s, const struct ar_result *r)
{
	double base = s->baseline_value, best;

	if (!s->has_baseline || s->best < 0)
		return;
	best = r[s->best].score;
	s->has_improvement = 1;
	s->improvement = s->direction == AR_LOWER_IS_BETTER ? base - best : best - base;
	if (base != 0.0) {
		s->has_improvement_pct = 1;
		s->improvement_pct = 100.0 * s->improvement / fabs(base);
	}
}

void ar_summary_compute(struct ar_summary *s, const struct ar_result *r,
                        size_t n, int direction, int has_header_baseline,
                        double header_baseline)
{
	struct ar_summary init = AR_SUMMARY_INIT;
	size_t i, cap = NKNOWN + 4, last = 0;

	*s = init;
	s->n = n;
	s->direction = direction;
	s->counts = ar_xcalloc(cap, sizeof(*s->counts));
	for (i = 0; i < NKNOWN; i++)
		s->counts[i].status = known[i];
	s->ncounts = NKNOWN;
	s->running_best = ar_xmalloc((n ? n : 1) * sizeof(*s->running_best));
	for (i = 0; i < n; i++) {
		count(s, r[i].status, &cap, &last);
		if (ar_summary_is_candidate(&r[i])) {
			if (s->baseline < 0 && !strcmp(r[i].status, AR_ST_BASELINE))
				s->baseline = (long)i;
			if (s->best < 0 || ar_summary_better(direction, r[i].score,
			                                     r[s->best].score))
				s->best = (long)i;
		}
		s->running_best[i] = s->best;
	}
	if (s->baseline >= 0) {
		s->has_baseline = 1;
		s->baseline_value = r[s->baseline].score;
	} else if (has_header_baseline && isfinite(header_baseline)) {
		s->has_baseline = 1;
		s->baseline_value = header_baseline;
	}
	improvement(s, r);
}

void ar_summary_release(struct ar_summary *s)
{
	struct ar_summary init = AR_SUMMARY_INIT;

	free(s->counts);
	free(s->running_best);
	*s = init;
}

size_t ar_summary_count(const struct ar_summary *s, const char *status)
{
	size_t i;

	for (i = 0; i < s->ncounts; i++)
		if (!strcmp(s->counts[i].status, status))
			return s->counts[i].count;
	return 0;
}

int ar_summary_running(const struct ar_summary *s, const struct ar_result *r,
                       size_t i, double *out)
{
	if (i >= s->n || s->running_best[i] < 0)
		return 0;
	*out = r[s->running_best[i]].score;
	return 1;
}
