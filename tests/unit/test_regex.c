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

/* The required literal ar_regex_literal reads from a pattern, or NULL. */
static void expect_literal(const char *pattern, const char *want)
{
	ar_regex *re = compile_ok(pattern);
	size_t len = 99;
	const char *lit = ar_regex_literal(re, &len);

	if (!want) {
		if (lit)
			fail_msg("'%s': literal '%.*s', expected none", pattern, (int)len, lit);
		assert_int_equal(len, 0);
	} else {
		if (!lit)
			fail_msg("'%s': no literal, expected '%s'", pattern, want);
		if (len != strlen(want) || memcmp(lit, want, len))
			fail_msg("'%s': literal '%.*s', expected '%s'", pattern, (int)len,
			         lit, want);
	}
	ar_regex_free(re);
}

static void test_literal_found(void **state)
{
	(void)state;
	/* what config.c makes of `pattern: '^val_bpb:'` */
	expect_literal("(?:^val_bpb:)\\s*([-+]?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)"
	               "(?:[eE][-+]?[0-9]+)?)", "val_bpb:");
	expect_literal("^loss=(\\S+)", "loss=");
	expect_literal("acc=(\\S+)", "acc=");
	expect_literal("epoch \\d+ val_loss=(\\S+)", " val_loss=");
	expect_literal("a|b", NULL);
	expect_literal("(a|b)cd", "cd");
	expect_literal("x(?:ab|cd)*yz", "yz");
	expect_literal("abc(?:defg)?", "abc");     /* optional group */
	expect_literal("ab(?:cdefg)*", "ab");
	expect_literal("ab(?:cdefg){0,3}", "ab");
	expect_literal("ab(?:cdefg){1,3}", "cdefg"); /* required group */
	expect_literal("ab(?:cdefg)+?x", "cdefg");
	expect_literal("abcd?", "abc");             /* d is optional */
	expect_literal("abcd*e", "abc");
	expect_literal("abcd+e", "abcd");
	expect_literal("abcd{0}xy", "abc");
	expect_literal("abcd{2,}xy", "abcd");
	expect_literal("abcd??", "abc");
	expect_literal("a[bcd]efg", "efg");         /* a class ends a run */
	expect_literal("x[]abcdef]yz", "yz");       /* ']' first is a member */
	expect_literal("x[^]abcdef]yz", "yz");
	expect_literal("x[[:alpha:]abcdef]yz", "yz");
	expect_literal("x[[:x]yz:]abcd", "yz:]abcd"); /* "[:x]" is no POSIX class */
	expect_literal("[[:x]|abc:]def", NULL);      /* so the '|' is outside */
	expect_literal("x[a\\]bcdef]yz", "yz");
	expect_literal("val\\.bpb\\: \\t(\\d+)", "val.bpb: \t");
	expect_literal("a.bcd\\sef", "bcd");
	expect_literal("^score: (\\d+)$", "score: ");
	expect_literal("(?<v>abc)de", "abc");
	expect_literal("(?P<v>abc)de", "abc");
	expect_literal("(?'v'abc)de", "abc");
	expect_literal("(?>abc)de", "abc");
	expect_literal("(?|abc|abd)", NULL);
	expect_literal("((abc|x)def)g", "def");
	expect_literal("]}#% x", "]}#% x");        /* plain outside a class */
	expect_literal("^(\\d+|nan)$", NULL);
	expect_literal("\\d+", NULL);
	expect_literal("", NULL);
}

/* Syntax the reading does not follow gives no literal, never a wrong one. */
static void test_literal_gives_up(void **state)
{
	(void)state;
	expect_literal("(?i)loss=(\\S+)", NULL);    /* options */
	expect_literal("(?i:abc)def", NULL);
	expect_literal("(?=abcdef)abc", NULL);      /* lookarounds */
	expect_literal("(?<=abc)def", NULL);
	expect_literal("(?!abc)def", NULL);
	expect_literal("(?#abcdef)xyz", NULL);      /* comment */
	expect_literal("(*LF)abcdef", NULL);        /* verbs */
	expect_literal("\\Qa.b\\Eabcdef", NULL);     /* quoting */
	expect_literal("(abc)\\1xyz", NULL);        /* backreference */
	expect_literal("\\x41bcdef", NULL);
	expect_literal("abc\\Kdef", NULL);
	expect_literal("ab{x}cd", NULL);            /* '{' not a quantifier */
	expect_literal("abc\\ndef", "abc");         /* \\n ends a run */
	expect_literal("abc\ndefg", "defg");        /* so does a raw newline */
}

/* Deterministic pseudo-random numbers (xorshift64), so a failure repeats. */
static unsigned long long rnd_state = 88172645463325252ull;

static size_t rnd(size_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (size_t)(rnd_state % n);
}

/* A random pattern over a small alphabet: literals, classes, groups,
 * alternatives, quantifiers, anchors. */
static void random_pattern(ar_buf *b, int depth)
{
	static const char *const atoms[] = { "a", "b", "ab", "ba", "c", "x", "\\.",
		".", "[ab]", "[^a]", "\\d", "\\s", "^", "$", "1", "abc", "\\b",
		"[[:alpha:]]", "[]a]", "[^]b]", "[a\\]]", "[[:x]", ":]", "]", "[.:]" };
	static const char *const quants[] = { "?", "*", "+", "{0,2}", "{1}", "{2,}",
		"??", "+?", "*+" };
	size_t n = 1 + rnd(5), i;

	for (i = 0; i < n; i++) {
		if (depth < 3 && rnd(4) == 0) {
			ar_buf_adds(b, rnd(2) ? "(" : "(?:");
			random_pattern(b, depth + 1);
			ar_buf_addch(b, ')');
		} else {
			ar_buf_adds(b, atoms[rnd(sizeof(atoms) / sizeof(atoms[0]))]);
		}
		if (rnd(3) == 0)
			ar_buf_adds(b, quants[rnd(sizeof(quants) / sizeof(quants[0]))]);
		if (rnd(8) == 0)
			ar_buf_addch(b, '|');
	}
}

static int holds(const char *s, size_t n, const char *lit, size_t k)
{
	size_t i;

	for (i = 0; i + k <= n; i++)
		if (!memcmp(s + i, lit, k))
			return 1;
	return 0;
}

/* Every match of a random pattern in random text holds its literal. */
static void test_literal_in_every_match(void **state)
{
	static const char alphabet[] = "abcx.1 \n:[]";
	ar_buf pat = AR_BUF_INIT, subj = AR_BUF_INIT;
	size_t n, t, i, len, k, pos, ms, me, with_literal = 0;
	const char *lit;
	ar_regex *re;

	(void)state;
	for (n = 0; n < 3000; n++) {
		ar_buf_clear(&pat);
		random_pattern(&pat, 0);
		if (ar_regex_compile(&re, pat.ptr) < 0)
			continue;
		lit = ar_regex_literal(re, &k);
		with_literal += lit != NULL;
		for (t = 0; lit && t < 40; t++) {
			ar_buf_clear(&subj);
			len = rnd(40);
			for (i = 0; i < len; i++)
				ar_buf_addch(&subj, alphabet[rnd(sizeof(alphabet) - 1)]);
			for (pos = 0; pos <= subj.len &&
			     ar_regex_search(re, subj.ptr, subj.len, pos, &ms, &me, NULL, NULL) == 1;
			     pos = me > ms ? me : ms + 1)
				if (!holds(subj.ptr + ms, me - ms, lit, k))
					fail_msg("'%s': match '%.*s' in '%s' lacks literal '%.*s'",
					         pat.ptr, (int)(me - ms), subj.ptr + ms, subj.ptr,
					         (int)k, lit);
		}
		ar_regex_free(re);
	}
	assert_true(with_literal > 300); /* the test tests something */
	ar_buf_release(&pat);
	ar_buf_release(&subj);
}

/* Lines end at "\n" only, whatever PCRE2's built-in default. */
static void test_newline_is_lf(void **state)
{
	const char *s = "x\rval: 1\r\nval: 2\n";
	ar_regex *re = compile_ok("^val: (\\d)$");
	size_t gs;

	(void)state;
	assert_int_equal(ar_regex_search(re, s, strlen(s), 0, NULL, NULL, &gs, NULL), 1);
	assert_int_equal(s[gs], '2'); /* not after "\r", not before "\r\n" */
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
		cmocka_unit_test(test_literal_found),
		cmocka_unit_test(test_literal_gives_up),
		cmocka_unit_test(test_literal_in_every_match),
		cmocka_unit_test(test_newline_is_lf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
