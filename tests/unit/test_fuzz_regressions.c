/*
 * test_fuzz_regressions.c - every crash the libFuzzer harnesses in
 * tests/fuzz/ found, as a plain test of the public API on the input that
 * found it (reduced).  Each test names the harness, the module and the
 * fix.  Out-of-bounds reads only show under the sanitizer build
 * (scripts/test.sh runs this binary in both).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "ledger.h"
#include "testutil.h"
#include "util.h"

static int setup(void **state)
{
	*state = tu_tmpdir();
	return 0;
}

static int teardown(void **state)
{
	tu_rm_rf(*state);
	free(*state);
	return 0;
}

/*
 * fuzz_ledger: a result line with a key longer than a known field that
 * starts like one ("status_of_...") made ledger_scan.c's field_is compare
 * past the end of the field's name (memcmp of the key's length).  Fixed:
 * the lengths are compared first.  The unknown key is ignored.
 */
static void test_ledger_long_unknown_key(void **state)
{
	const char *dir = *state;
	struct ar_result *r = NULL;
	char *warning = NULL;
	size_t n = 0;

	tu_write(dir, AR_LEDGER_JSONL,
	         "{\"type\":\"config\",\"tag\":null,\"metric\":{\"name\":\"x\"},"
	         "\"target_files\":\"a\"}\n"
	         "{\"type\":\"result\",\"iteration\":1,\"score\":1.5,"
	         "\"status_of_the_experiment_and_then_some\":\"x\","
	         "\"iterationiterationiterationiteration\":2,"
	         "\"status\":\"keep\"}\n");
	assert_int_equal(ar_ledger_read(dir, &r, &n, &warning), 0);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].iteration, 1);
	assert_string_equal(r[0].status, "keep");
	ar_ledger_results_free(r, n);
	free(warning);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ledger_long_unknown_key, setup,
		                                teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
