/*
 * test_objective.c - the one-line form: objective, command, scope into
 * the configuration model's settings, and the messages for bad ones.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "objective.h"
#include "testutil.h"

static void test_minimize_bundle_size(void **state)
{
	(void)state;
	const char *scope[] = { "src/**/*.ts", "lib" };
	ar_strvec o = AR_STRVEC_INIT;

	assert_int_equal(ar_objective_parse("minimize bundle size",
	                                    "npm run build 2>&1 | grep 'Total size'",
	                                    scope, 2, &o), 0);
	assert_int_equal(o.n, 7);
	assert_string_equal(o.items[0], "adapter=custom");
	assert_string_equal(o.items[1], "metric.name=bundle_size");
	assert_string_equal(o.items[2], "metric.direction=lower");
	assert_string_equal(o.items[3], "metric.last_number=true");
	assert_string_equal(o.items[4], "run_command=npm run build 2>&1 | grep 'Total size'");
	assert_string_equal(o.items[5], "target_files=src/**/*.ts");
	assert_string_equal(o.items[6], "target_files=lib");
	ar_strvec_release(&o);
}

static void test_directions_and_names(void **state)
{
	(void)state;
	static const struct { const char *obj, *name, *dir; } cases[] = {
		{ "Maximize the test pass rate", "test_pass_rate", "higher" },
		{ "reduce p99 latency (ms)", "p99_latency_ms", "lower" },
		{ "increase throughput", "throughput", "higher" },
		{ "SHRINK apk", "apk", "lower" },
	};
	const char *scope[] = { "." };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ar_strvec o = AR_STRVEC_INIT;
		char *want_name = ar_xprintf("metric.name=%s", cases[i].name);
		char *want_dir = ar_xprintf("metric.direction=%s", cases[i].dir);
		assert_int_equal(ar_objective_parse(cases[i].obj, "true", scope, 1, &o), 0);
		assert_string_equal(o.items[1], want_name);
		assert_string_equal(o.items[2], want_dir);
		free(want_name);
		free(want_dir);
		ar_strvec_release(&o);
	}
}

static void test_is_objective(void **state)
{
	(void)state;
	assert_true(ar_objective_is("minimize bundle size"));
	assert_true(ar_objective_is("Maximize score"));
	assert_false(ar_objective_is("minimize"));     /* no metric: not the form */
	assert_false(ar_objective_is("status"));
	assert_false(ar_objective_is("make it faster"));
	assert_false(ar_objective_is(NULL));
}

static void test_bad_forms_say_how(void **state)
{
	(void)state;
	const char *scope[] = { "src" };
	ar_strvec o = AR_STRVEC_INIT;

	assert_int_equal(ar_objective_parse("make it faster", "x", scope, 1, &o), AR_EUSAGE);
	assert_true(tu_contains(ar_error_last(), "does not start with minimize"));
	assert_true(tu_contains(ar_error_last(), "ar \"minimize bundle size\""));
	assert_int_equal(ar_objective_parse("minimize !!!", "x", scope, 1, &o), AR_EUSAGE);
	assert_true(tu_contains(ar_error_last(), "names no metric"));
	assert_int_equal(ar_objective_parse("minimize size", "x", scope, 0, &o), AR_EUSAGE);
	assert_true(tu_contains(ar_error_last(), "the files to edit"));
	assert_int_equal(ar_objective_parse("minimize size", NULL, NULL, 0, &o), AR_EUSAGE);
	assert_int_equal(o.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimize_bundle_size),
		cmocka_unit_test(test_directions_and_names),
		cmocka_unit_test(test_is_objective),
		cmocka_unit_test(test_bad_forms_say_how),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
