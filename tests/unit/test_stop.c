/*
 * test_stop.c - the session's stop conditions, measured on ledger rows.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "plugin.h"
#include "stop.h"
#include "testutil.h"

static struct ar_result row(long it, const char *status, double score)
{
	struct ar_result r;
	memset(&r, 0, sizeof(r));
	r.iteration = it;
	r.status = (char *)status;
	r.has_score = 1;
	r.score = score;
	return r;
}

static struct ar_limits none(void)
{
	struct ar_limits l;
	memset(&l, 0, sizeof(l));
	l.direction = AR_LOWER_IS_BETTER;
	return l;
}

static void expect(const struct ar_limits *l, struct ar_result *r, size_t n,
                   double hours, const char *want)
{
	char *why = ar_limits_check(l, r, n, hours);
	if (!want) {
		assert_null(why);
		return;
	}
	assert_non_null(why);
	if (!tu_contains(why, want))
		fail_msg("got '%s', want '%s'", why, want);
	free(why);
}

static void test_each_limit(void **state)
{
	(void)state;
	struct ar_result r[] = {
		row(1, AR_ST_BASELINE, 1.0), row(2, AR_ST_DISCARD, 1.2), row(3, AR_ST_KEEP, 0.9),
		row(4, AR_ST_DISCARD, 1.1), row(5, AR_ST_NO_CHANGE, 0), row(6, AR_ST_CRASH, 0),
	};
	struct ar_limits l = none();

	expect(&l, r, 6, 100, NULL);
	l.max_experiments = 5;
	expect(&l, r, 6, 0, "max_experiments reached: 5 experiments");
	l.max_experiments = 6;
	expect(&l, r, 6, 0, NULL);
	l = none();
	l.max_hours = 2;
	expect(&l, r, 6, 1.99, NULL);
	expect(&l, r, 6, 2.0, "max_hours reached");
	l = none();
	l.plateau = 2; /* discard, (no_change does not count), crash */
	expect(&l, r, 6, 0, "plateau: 2 experiments in a row without a keep");
	l.plateau = 3;
	expect(&l, r, 6, 0, NULL);
	l = none();
	l.has_target = 1;
	l.target = 0.95;
	expect(&l, r, 6, 0, "target reached: best 0.9 <= 0.95 (experiment #3)");
	l.target = 0.8;
	expect(&l, r, 6, 0, NULL);
	l.direction = AR_HIGHER_IS_BETTER; /* best is then 1.2? no: only keeps count */
	l.target = 1.0;
	expect(&l, r, 6, 0, "target reached: best 1 >= 1 (experiment #1)");
}

static void test_agent_cost(void **state)
{
	(void)state;
	struct ar_result r[] = { row(1, AR_ST_BASELINE, 1.0), row(2, AR_ST_DISCARD, 1.2),
	                         row(3, AR_ST_NO_CHANGE, 0) };
	struct ar_limits l = none();

	r[1].has_agent_cost = 1;
	r[1].agent_cost_usd = 0.60;
	r[2].has_agent_cost = 1;
	r[2].agent_cost_usd = 0.45;
	l.has_max_cost = 1;
	l.max_agent_cost = 1.10;
	expect(&l, r, 3, 0, NULL);
	l.max_agent_cost = 1.05;
	expect(&l, r, 3, 0, "max_agent_cost reached: the agent has cost $1.05");
}

static void test_from_config_and_hours(void **state)
{
	(void)state;
	struct ar_config c;
	struct ar_limits l;
	char iso[32];
	time_t t = time(NULL) - 3 * 3600;
	struct tm tm;

	ar_config_init(&c);
	ar_config_set(&c, "max_experiments", "40", NULL);
	ar_config_set(&c, "max_hours", "8", NULL);
	ar_config_set(&c, "target", "0.97", NULL);
	ar_config_set(&c, "plateau", "15", NULL);
	ar_config_set(&c, "metric.direction", "higher", NULL);
	ar_limits_from_config(&l, &c);
	assert_int_equal(l.max_experiments, 40);
	assert_true(l.max_hours == 8 && l.has_target && l.target == 0.97 && l.plateau == 15);
	assert_false(l.has_max_cost);
	assert_int_equal(l.direction, AR_HIGHER_IS_BETTER);
	ar_config_release(&c);
	gmtime_r(&t, &tm);
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
	double h = ar_hours_since(iso);
	assert_true(h > 2.99 && h < 3.1);
	assert_true(ar_hours_since("garbage") == 0);
	assert_true(ar_hours_since(NULL) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_limit),
		cmocka_unit_test(test_agent_cost),
		cmocka_unit_test(test_from_config_and_hours),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
