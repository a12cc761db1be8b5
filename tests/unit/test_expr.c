/*
 * test_expr.c - the composite-metric expressions of core/expr.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "metric.h"
#include "testutil.h"
#include "util.h"

/* cmocka 1.1 has no double comparison. */
#define assert_double_equal(a, b, eps) assert_near((a), (b), (eps), #a)
static void assert_near(double a, double b, double eps, const char *what)
{
	if (!(fabs(a - b) <= eps))
		fail_msg("%s = %.17g, expected %.17g", what, a, b);
}

static const char *const names[] = { "precision", "mrr", "a", "b", "val.bpb",
	"_x1", "zero", "big", "nan_value" };
static double values[] = { 0.9, 0.5, 2, 3, 0.99, 10, 0, 1e300, 0 };
#define NVALUES (sizeof(names) / sizeof(names[0]))

static double eval_ok(const char *text)
{
	ar_expr *e = NULL;
	double v = -12345;

	values[8] = NAN;
	assert_int_equal(ar_expr_parse(&e, text), 0);
	assert_int_equal(ar_expr_eval(e, names, values, NVALUES, &v), 0);
	ar_expr_free(e);
	return v;
}

static void test_known_values(void **state)
{
	(void)state;
	assert_double_equal(eval_ok("1 + 2 * 3"), 7, 0);
	assert_double_equal(eval_ok("(1 + 2) * 3"), 9, 0);
	assert_double_equal(eval_ok("2 - 3 - 4"), -5, 0);
	assert_double_equal(eval_ok("8 / 2 / 2"), 2, 0);
	assert_double_equal(eval_ok("10/4"), 2.5, 0);
	assert_double_equal(eval_ok("-2 * -3"), 6, 0);
	assert_double_equal(eval_ok("--1"), 1, 0);
	assert_double_equal(eval_ok("+4 - -1"), 5, 0);
	assert_double_equal(eval_ok("-(1 + 2) * 2"), -6, 0);
	assert_double_equal(eval_ok("1e3 + .5 + 2.5E-1"), 1000.75, 0);
	assert_double_equal(eval_ok("  42  "), 42, 0);
	assert_double_equal(eval_ok("((((7))))"), 7, 0);
	assert_double_equal(eval_ok("\t1\n+\r\n2"), 3, 0);
}

static void test_names(void **state)
{
	(void)state;
	assert_double_equal(eval_ok("0.8*precision + 0.2*mrr"), 0.82, 1e-12);
	assert_double_equal(eval_ok("a*b - a/b*b"), 4, 1e-12);
	assert_double_equal(eval_ok("1 - val.bpb"), 0.01, 1e-12);
	assert_double_equal(eval_ok("_x1 * -a"), -20, 0);
}

static void test_name_enumeration(void **state)
{
	ar_expr *e = NULL;

	(void)state;
	assert_int_equal(ar_expr_parse(&e, "b + a*b + (c - a) / val.bpb"), 0);
	assert_string_equal(ar_expr_name(e, 0), "b");
	assert_string_equal(ar_expr_name(e, 1), "a");
	assert_string_equal(ar_expr_name(e, 2), "c");
	assert_string_equal(ar_expr_name(e, 3), "val.bpb");
	assert_null(ar_expr_name(e, 4));
	assert_null(ar_expr_name(e, 100));
	ar_expr_free(e);
	assert_int_equal(ar_expr_parse(&e, "1 + 2"), 0);
	assert_null(ar_expr_name(e, 0));
	ar_expr_free(e);
	ar_expr_free(NULL);
}

static void expect_bad(const char *text, const char *message)
{
	ar_expr *e = (ar_expr *)1;

	assert_int_equal(ar_expr_parse(&e, text), AR_EUSAGE);
	assert_null(e);
	assert_int_equal(ar_error_code(), AR_EUSAGE);
	assert_string_equal(ar_error_last(), message);
}

static void test_parse_errors(void **state)
{
	(void)state;
	expect_bad("", "bad expression '': expected a number, a name or '(', "
	           "but the expression ends at column 1");
	expect_bad("1 +", "bad expression '1 +': expected a number, a name or '(', "
	           "but the expression ends at column 4");
	expect_bad("(1 + 2", "bad expression '(1 + 2': expected ')', but the "
	           "expression ends at column 7");
	expect_bad("1 + 2)", "bad expression '1 + 2)': unmatched ')' at column 6");
	expect_bad("2 x", "bad expression '2 x': expected an operator, found 'x' "
	           "at column 3");
	expect_bad("1 $ 2", "bad expression '1 $ 2': expected an operator, found '$' "
	           "at column 3");
	expect_bad("1.2.3", "bad expression '1.2.3': expected an operator, found '.' "
	           "at column 4");
	expect_bad("* 3", "bad expression '* 3': expected a number, a name or '(', "
	           "found '*' at column 1");
	expect_bad("a ** b", "bad expression 'a ** b': expected a number, a name or "
	           "'(', found '*' at column 4");
	expect_bad("()", "bad expression '()': expected a number, a name or '(', "
	           "found ')' at column 2");
	expect_bad("1e999", "bad expression '1e999': number out of range at column 1");
	expect_bad("a\x01", "bad expression 'a\x01': expected an operator, found "
	           "byte 0x01 at column 2");
	expect_bad(".", "bad expression '.': expected a number, a name or '(', "
	           "found '.' at column 1");
}

static void test_parse_null(void **state)
{
	ar_expr *e = NULL;

	(void)state;
	assert_int_equal(ar_expr_parse(&e, NULL), AR_EUSAGE);
	assert_null(e);
}

/* Deep nesting is refused, not a stack overflow. */
static void test_nesting_limit(void **state)
{
	size_t n = 100000;
	char *deep = ar_xmalloc(2 * n + 2);
	ar_expr *e = NULL;

	(void)state;
	memset(deep, '(', n);
	deep[n] = '1';
	memset(deep + n + 1, ')', n);
	deep[2 * n + 1] = '\0';
	assert_int_equal(ar_expr_parse(&e, deep), AR_EUSAGE);
	assert_true(tu_contains(ar_error_last(), "nested too deeply"));
	assert_true(tu_contains(ar_error_last(), "(((...': nested")); /* quote cut */
	assert_true(strlen(ar_error_last()) < 200);
	memset(deep, '-', n);
	assert_int_equal(ar_expr_parse(&e, deep), AR_EUSAGE);
	assert_true(tu_contains(ar_error_last(), "nested too deeply"));
	free(deep);
	assert_double_equal(eval_ok("((((((((((((((((((((1))))))))))))))))))))"), 1, 0);
}

static void expect_eval_error(const char *text, const char *message)
{
	ar_expr *e = NULL;
	double v = 7;

	values[8] = NAN;
	assert_int_equal(ar_expr_parse(&e, text), 0);
	assert_int_equal(ar_expr_eval(e, names, values, NVALUES, &v), AR_ERROR);
	assert_double_equal(v, 7, 0); /* untouched */
	assert_true(tu_contains(ar_error_last(), message));
	ar_expr_free(e);
}

static void test_eval_errors(void **state)
{
	(void)state;
	expect_eval_error("precision + recall",
	                  "expression uses 'recall', which was not measured");
	expect_eval_error("1 / zero", "division by zero in expression '1 / zero'");
	expect_eval_error("a / (b - 3)", "division by zero");
	expect_eval_error("big * big", "expression 'big * big' is not a finite number");
	expect_eval_error("1e308 * 10", "not a finite number");
	expect_eval_error("nan_value + 1", "not a finite number");
	/* Even when a later step would make it finite again. */
	expect_eval_error("1 / (big * big)", "not a finite number");
}

static void test_eval_without_values(void **state)
{
	ar_expr *e = NULL;
	double v = 0;

	(void)state;
	assert_int_equal(ar_expr_parse(&e, "6 / 4"), 0);
	assert_int_equal(ar_expr_eval(e, NULL, NULL, 0, &v), 0);
	assert_double_equal(v, 1.5, 0);
	ar_expr_free(e);
	assert_int_equal(ar_expr_parse(&e, "x"), 0);
	assert_int_equal(ar_expr_eval(e, NULL, NULL, 0, &v), AR_ERROR);
	assert_string_equal(ar_error_last(), "expression uses 'x', which was not measured");
	ar_expr_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_values),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_name_enumeration),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_null),
		cmocka_unit_test(test_nesting_limit),
		cmocka_unit_test(test_eval_errors),
		cmocka_unit_test(test_eval_without_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
