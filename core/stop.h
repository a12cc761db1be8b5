/*
 * stop.h - when a session has done enough.  The session's budgets come
 * from the config and are measured on the ledger, so they survive a
 * restart: a loop killed after 40 of max_experiments: 100 does 60 more when
 * resumed.  `ar step` checks the same limits after each experiment (exit
 * status 3); `ar run` checks them before each one.
 *
 *   max_experiments  experiments recorded after the baseline
 *   max_hours        hours since the session's ledger was created
 *   target           the best reaches this value (in the metric's direction)
 *   plateau          this many experiments in a row without a keep
 *   max_agent_cost   the proposers' reported costs add up to this (USD)
 */
#ifndef AR_STOP_H
#define AR_STOP_H

#include "config.h"
#include "ledger.h"

struct ar_limits {
	long max_experiments;    /* 0: none */
	double max_hours;        /* 0: none */
	int has_target;
	double target;
	long plateau;            /* 0: none */
	int has_max_cost;
	double max_agent_cost;
	int direction;           /* AR_LOWER_IS_BETTER / AR_HIGHER_IS_BETTER */
};

void ar_limits_from_config(struct ar_limits *l, const struct ar_config *cfg);

/*
 * The limit that holds for the ledger rows, as a sentence for the summary
 * ("target reached: best 0.81 <= 0.85"), or NULL (caller frees).
 * hours: the session's age (see ar_ledger_age_hours).
 */
char *ar_limits_check(const struct ar_limits *l, const struct ar_result *rows,
                      size_t n, double hours);

/* Hours since an ISO 8601 UTC time ("2026-11-23T16:49:00Z"); 0 when it
 * cannot be read. */
double ar_hours_since(const char *iso);

#endif
