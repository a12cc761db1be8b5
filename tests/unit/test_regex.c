/*
 * test_regex.c - core/regex.c against the real PCRE2.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "regex.h"
#include "testutil.h"
#include "util.h"

static ar_regex *compile_ok(const char *pattern)
{
	ar_regex *re = NULL;

	assert_int_equal(ar_regex_compile(&re, pattern), 0);
	assert_non_null(re);
	return re;
}

static void test_group_offsets(void **state)
{
	const char *s = "loss=1.5 val_bpb=0.99 end";
	ar_regex *re = compile_ok("val_bpb=(\\S+)");
	size_t ms, me, gs, ge;

	(void)state;
	assert_int_equal(ar_regex_search(re, s, strlen(s), 0, &ms, &me, &gs, &ge), 1);
	assert_int_equal(ms, 9);
	assert_int_equal(me, 21);
	assert_int_equal(gs, 17);
	assert_int_equal(ge, 21);
	assert_string_equal(ar_regex_pattern(re), "val_bpb=(\\S+)");
	ar_regex_free(re);
}

static void test_no_group_is_whole_match(void **state)
{
	const char *s = "abc 42 def";
	ar_regex *re = compile_ok("\\d+");
	size_t ms, me, gs, ge;

	(void)state;
	assert_int_equal(ar_regex_search(re, s, strlen(s), 0, &ms, &me, &gs, &ge), 1);
	assert_int_equal(ms, 4);
	assert_int_equal(me, 6);
	assert_int_equal(gs, 4);
	assert_int_equal(ge, 6);
	ar_regex_free(re);
}

static void test_unset_group_is_empty(void **state)
{
	const char *s = "xb";
	ar_regex *re = compile_ok("(a)|b");
	size_t gs = 99, ge = 99;

	(void)state;
	assert_int_equal(ar_regex_search(re, s, 2, 0, NULL, NULL, &gs, &ge), 1);
	assert_int_equal(gs, ge);
	ar_regex_free(re);
}

static void test_multiline_anchors(void **state)
{
	const char *s = "a: 1\nval: 2\nval: 3";
	ar_regex *re = compile_ok("^val: (\\d)$");
	size_t ms, me, gs;

	(void)state;
	assert_int_equal(ar_regex_search(re, s, strlen(s), 0, &ms, &me, &gs, NULL), 1);
	assert_int_equal(s[gs], '2');
	assert_int_equal(ar_regex_search(re, s, strlen(s), me, &ms, &me, &gs, NULL), 1);
	assert_int_equal(s[gs], '3');
	assert_int_equal(ar_regex_search(re, s, strlen(s), me, NULL, NULL, NULL, NULL), 0);
	ar_regex_free(re);
}

static void test_no_match_and_offsets(void **state)
{
	ar_regex *re = compile_ok("z");

	(void)state;
	assert_int_equal(ar_regex_search(re, "abc", 3, 0, NULL, NULL, NULL, NULL), 0);
	assert_int_equal(ar_regex_search(re, "abz", 3, 4, NULL, NULL, NULL, NULL), 0);
	assert_int_equal(ar_regex_search(re, "abz", 3, 3, NULL, NULL, NULL, NULL), 0);
	assert_int_equal(ar_regex_search(re, "abz", 3, 2, NULL, NULL, NULL, NULL), 1);
	assert_int_equal(ar_regex_search(re, NULL, 0, 0, NULL, NULL, NULL, NULL), 0);
	ar_regex_free(re);
}

static void test_nul_bytes_in_subject(void **state)
{
	static const char s[] = "\0\0garbage\0\xff\xfe\nval=7\0";
	ar_regex *re = compile_ok("^val=(\\d)");
	size_t gs;

	(void)state;
	assert_int_equal(ar_regex_search(re, s, sizeof(s) - 1, 0, NULL, NULL, &gs, NULL), 1);
	assert_int_equal(s[gs], '7');
	ar_regex_free(re);
}

static void expect_bad(const char *pattern, const char *what, const char *offset)
{
	ar_regex *re = (ar_regex *)1;
	char *prefix = ar_xprintf("bad regex '%s': ", pattern);

	assert_int_equal(ar_regex_compile(&re, pattern), AR_EUSAGE);
	assert_null(re);
	assert_int_equal(ar_error_code(), AR_EUSAGE);
	assert_true(strncmp(ar_error_last(), prefix, strlen(prefix)) == 0);
	assert_true(tu_contains(ar_error_last(), what));
	assert_true(tu_contains(ar_error_last(), offset));
	free(prefix);
}

static void test_bad_patterns(void **state)
{
	(void)state;
	expect_bad("(x", "missing closing parenthesis", "at offset 2");
	expect_bad("val_bpb: [0-9", "missing terminating ]", "at offset 13");
	expect_bad("*a", "quantifier does not follow", "at offset 0");
	expect_bad("a{3,1}", "out of order", "at offset 5");
	expect_bad("x)", "unmatched closing parenthesis", "at offset 1");
	assert_string_equal(ar_error_last(),
	                    "bad regex 'x)': unmatched closing parenthesis at offset 1");
}

static void test_null_pattern(void **state)
{
	ar_regex *re = NULL;

	(void)state;
	assert_int_equal(ar_regex_compile(&re, NULL), AR_EUSAGE);
	assert_null(re);
	ar_regex_free(NULL);
}

/* A repeated group over a long subject overflows the default JIT stack;
 * the search must still answer (through the interpreter). */
static void test_deep_match_falls_back(void **state)
{
	size_t n = 200000, me = 0;
	char *s = ar_xmalloc(n + 2);
	ar_regex *re = compile_ok("^(?:a|b)*c");

	(void)state;
	memset(s, 'a', n);
	s[n] = 'c';
	s[n + 1] = '\0';
	assert_int_equal(ar_regex_search(re, s, n + 1, 0, NULL, &me, NULL, NULL), 1);
	assert_int_equal(me, n + 1);
	ar_regex_free(re);
	free(s);
}

/* Catastrophic backtracking hits PCRE2's match limit: an error, not a hang. */
static void test_match_limit_is_an_error(void **state)
{
	const char *s = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab";
	ar_regex *re = compile_ok("^(a+)+$");

	(void)state;
	assert_int_equal(ar_regex_search(re, s, strlen(s), 0, NULL, NULL, NULL, NULL),
	                 AR_ERROR);
	assert_true(tu_contains(ar_error_last(), "regex '^(a+)+$' failed"));
	ar_regex_free(re);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_group_offsets),
		cmocka_unit_test(test_no_group_is_whole_match),
		cmocka_unit_test(test_unset_group_is_empty),
		cmocka_unit_test(test_multiline_anchors),
		cmocka_unit_test(test_no_match_and_offsets),
		cmocka_unit_test(test_nul_bytes_in_subject),
		cmocka_unit_test(test_bad_patterns),
		cmocka_unit_test(test_null_pattern),
		cmocka_unit_test(test_deep_match_falls_back),
		cmocka_unit_test(test_match_limit_is_an_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
