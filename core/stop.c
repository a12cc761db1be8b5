/*
 * stop.c - the session's stop conditions (see stop.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "plugin.h"
#include "stop.h"

static double number(const struct ar_config *cfg, const char *key, int *has)
{
	double v = 0;
	*has = ar_config_get_number(cfg, key, &v) == 0;
	if (!*has)
		ar_error_clear();
	return v;
}

void ar_limits_from_config(struct ar_limits *l, const struct ar_config *cfg)
{
	int has;

	memset(l, 0, sizeof(*l));
	l->max_experiments = cfg->max_experiments;
	l->max_hours = number(cfg, "max_hours", &has);
	l->target = number(cfg, "target", &l->has_target);
	l->plateau = (long)number(cfg, "plateau", &has);
	l->max_agent_cost = number(cfg, "max_agent_cost", &l->has_max_cost);
	l->direction = cfg->metric_direction;
}

static int is_experiment(const struct ar_result *r)
{
	return strcmp(r->status, AR_ST_BASELINE) != 0;
}

/* An experiment that ran (not a no-change attempt or a violation). */
static int ran(const struct ar_result *r)
{
	return strcmp(r->status, AR_ST_NO_CHANGE) && strcmp(r->status, AR_ST_SCOPE_VIOLATION) &&
	       strcmp(r->status, AR_ST_INTERRUPTED);
}

static char *check_target(const struct ar_limits *l, const struct ar_result *rows,
                          size_t n)
{
	long b = ar_ledger_best(rows, n, l->direction);
	int up = l->direction == AR_HIGHER_IS_BETTER;

	if (!l->has_target || b < 0)
		return NULL;
	if (up ? rows[b].score < l->target : rows[b].score > l->target)
		return NULL;
	return ar_xprintf("target reached: best %.6g %s %.6g (experiment #%ld)",
	                  rows[b].score, up ? ">=" : "<=", l->target, rows[b].iteration);
}

char *ar_limits_check(const struct ar_limits *l, const struct ar_result *rows,
                      size_t n, double hours)
{
	long done = 0, since_keep = 0;
	double cost = 0;
	char *why;

	for (size_t i = 0; i < n; i++) {
		done += is_experiment(&rows[i]);
		if (!strcmp(rows[i].status, AR_ST_KEEP) || !strcmp(rows[i].status, AR_ST_BASELINE))
			since_keep = 0;
		else if (ran(&rows[i]))
			since_keep++;
		cost += rows[i].has_agent_cost ? rows[i].agent_cost_usd : 0;
	}
	if ((why = check_target(l, rows, n)) != NULL)
		return why;
	if (l->max_experiments > 0 && done >= l->max_experiments)
		return ar_xprintf("max_experiments reached: %ld experiments", done);
	if (l->max_hours > 0 && hours >= l->max_hours)
		return ar_xprintf("max_hours reached: the session is %.2f h old (limit %g h)",
		                  hours, l->max_hours);
	if (l->plateau > 0 && since_keep >= l->plateau)
		return ar_xprintf("plateau: %ld experiments in a row without a keep", since_keep);
	if (l->has_max_cost && cost >= l->max_agent_cost)
		return ar_xprintf("max_agent_cost reached: the agent has cost $%.2f (limit $%.2f)",
		                  cost, l->max_agent_cost);
	return NULL;
}

double ar_hours_since(const char *iso)
{
	struct tm tm;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (!iso || sscanf(iso, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon,
	                   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	if ((t = timegm(&tm)) == (time_t)-1)
		return 0;
	return difftime(time(NULL), t) / 3600.0;
}
