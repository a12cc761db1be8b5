/*
 * summary.h - a session's numbers, computed in one place: counts per
 * status, baseline, best, improvement and the running best.  Used by
 * autoresearch_dashboard.md (ledger.c) and by `ar status`, `ar analyze` and
 * `ar plot`, so they always agree.  Pure computation: no I/O.
 *
 * Best and baseline follow ar_ledger_best / ar_ledger_baseline: the best is
 * the lowest (or highest) score among baseline and keep rows, the earliest
 * winning a tie; the baseline is the first baseline row with a score, else
 * the config line's baseline.
 */
#ifndef AR_SUMMARY_H
#define AR_SUMMARY_H

#include <stddef.h>
#include "ledger.h"

struct ar_status_count {
	const char *status;     /* borrowed: a static name or a result's */
	size_t count;
};

struct ar_summary {
	size_t n;               /* experiments (result rows) */
	int direction;          /* AR_LOWER_IS_BETTER / AR_HIGHER_IS_BETTER */
	long baseline;          /* index of the baseline row, -1 when none */
	int has_baseline;       /* a baseline value: the row's, else the header's */
	double baseline_value;
	long best;              /* index of the best row, -1 when none */
	int has_improvement;    /* baseline and best both known */
	double improvement;     /* how much better than the baseline (>= 0 is better) */
	int has_improvement_pct;/* the baseline is not 0 */
	double improvement_pct; /* improvement / |baseline| * 100 */
	/* The known statuses in a fixed order (baseline, keep, discard, crash,
	 * ...), then others as they first appear; zero counts included. */
	struct ar_status_count *counts;
	size_t ncounts;
	/* Per row i: index of the best row among rows 0..i, -1 before any. */
	long *running_best;
};
#define AR_SUMMARY_INIT { 0, 0, -1, 0, 0.0, -1, 0, 0.0, 0, 0.0, NULL, 0, NULL }

/*
 * Compute *s (AR_SUMMARY_INIT or released) from the n results r, which it
 * borrows status names from: release s before r.  header_baseline is the
 * config line's baseline, used when no row is a scored baseline.
 */
void ar_summary_compute(struct ar_summary *s, const struct ar_result *r,
                        size_t n, int direction, int has_header_baseline,
                        double header_baseline);
void ar_summary_release(struct ar_summary *s);

/* How many rows have this status (0 for an unknown one). */
size_t ar_summary_count(const struct ar_summary *s, const char *status);
/* 1 when r counts for the best: a keep or baseline with a finite score. */
int ar_summary_is_candidate(const struct ar_result *r);
/* 1 when a is better than b in this direction (strictly). */
int ar_summary_better(int direction, double a, double b);
/* The score of running best at row i; 0 when there is none yet. */
int ar_summary_running(const struct ar_summary *s, const struct ar_result *r,
                       size_t i, double *out);

#endif
