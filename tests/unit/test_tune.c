/*
 * test_tune.c - the built-in tuner: its constant finder on the shapes of
 * constants people write, and its search (determinism for a seed, moves
 * within ranges, learning from keeps and discards, replay from a ledger).
 * Real files in a temporary directory; no doubles.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "tune.h"

static struct ar_tune_const *scan(const char *text, size_t *n)
{
	struct ar_tune_const *c = NULL;
	*n = 0;
	assert_int_equal(ar_tune_scan("t.py", text, strlen(text), &c, n), 0);
	return c;
}

static void test_scan_shapes(void **state)
{
	(void)state;
	const char *text =
		"LR = 0.04\n"                     /* python */
		"#define BLOCK 64\n"              /* C preprocessor */
		"  \"depth\": 8,\n"               /* JSON */
		"width: 128\n"                    /* YAML */
		"static const int N = -3;  // c\n"
		"const eps = 1e-5;\n"
		"lr: float = 3.0  # annotated\n"
		"self.momentum = 0.9\n"
		"x = y + 1\n"                     /* an expression: not a constant */
		"if a == 3:\n"                    /* a comparison */
		"url = 'http://x:80'\n"           /* a string */
		"# K = 5\n"                       /* a comment */
		"H = 0x10\n"                      /* hex: left alone */
		"size = 12px\n";
	size_t n;
	struct ar_tune_const *c = scan(text, &n);

	assert_int_equal(n, 8);
	assert_string_equal(c[0].name, "LR");
	assert_true(c[0].value == 0.04 && !c[0].is_int);
	assert_string_equal(c[1].name, "BLOCK");
	assert_true(c[1].value == 64 && c[1].is_int && c[1].line == 2);
	assert_string_equal(c[2].name, "depth");
	assert_string_equal(c[3].name, "width");
	assert_string_equal(c[4].name, "N");
	assert_true(c[4].value == -3);
	assert_string_equal(c[5].name, "eps");
	assert_true(c[5].exp_style && c[5].value == 1e-5);
	assert_string_equal(c[6].name, "lr");
	assert_true(c[6].value == 3.0);
	assert_string_equal(c[7].name, "self.momentum");
	/* offset/len point at the literal itself */
	assert_memory_equal(text + c[1].offset, "64", 2);
	assert_int_equal(c[1].len, 2);
	ar_tune_consts_free(c, n);
}

static void test_scan_markers(void **state)
{
	(void)state;
	size_t n;
	struct ar_tune_const *c = scan("A = 1  # ar: tune 1..8\n"
	                               "B = 0.01  # ar: tune 1e-4..1e-1 log\n"
	                               "C = 5  # ar: tune   (any prose)\n"
	                               "D = 7\n", &n);
	assert_int_equal(n, 4);
	assert_true(c[0].marked && c[0].has_range && c[0].lo == 1 && c[0].hi == 8);
	assert_false(c[0].log_scale);
	assert_true(c[1].marked && c[1].log_scale && c[1].lo == 1e-4 && c[1].hi == 1e-1);
	assert_true(c[2].marked && !c[2].has_range);
	assert_false(c[3].marked);
	ar_tune_consts_free(c, n);
}

static void test_scan_bad_marker_is_located(void **state)
{
	(void)state;
	struct ar_tune_const *c = NULL;
	size_t n = 0;
	const char *t = "A = 1\nB = 2  # ar: tune 8..1\n";
	assert_int_equal(ar_tune_scan("model.py", t, strlen(t), &c, &n), AR_EUSAGE);
	assert_true(tu_contains(ar_error_last(), "model.py:2"));
	assert_true(tu_contains(ar_error_last(), "LOW..HIGH"));
	ar_tune_consts_free(c, n);
	c = NULL;
	n = 0;
	t = "B = 2  # ar: tune -1..1 log\n";
	assert_int_equal(ar_tune_scan("m.py", t, strlen(t), &c, &n), AR_EUSAGE);
	assert_true(tu_contains(ar_error_last(), "positive"));
	ar_tune_consts_free(c, n);
	c = NULL;
	n = 0;
	assert_int_equal(ar_tune_scan("bin", "A = 1\n\0\n", 8, &c, &n), AR_EUSAGE);
	assert_true(tu_contains(ar_error_last(), "binary"));
	ar_tune_consts_free(c, n);
}

/* A directory with train.py = text; the file list for the tuner. */
static char *dir_with(const char *text, ar_strvec *files)
{
	char *dir = tu_tmpdir();
	tu_write(dir, "train.py", text);
	ar_strvec_push(files, "train.py");
	return dir;
}

static char *propose(const char *text, unsigned long long seed, long it, char **desc)
{
	struct ar_tuner *t;
	ar_strvec files = AR_STRVEC_INIT;
	char *dir = dir_with(text, &files), *out;

	ar_tuner_new(&t, seed);
	assert_int_equal(ar_tuner_propose(t, dir, &files, it, desc), 0);
	out = tu_read(dir, "train.py");
	ar_tuner_free(t);
	ar_strvec_release(&files);
	tu_rm_rf(dir);
	free(dir);
	return out;
}

static void test_propose_is_deterministic_per_seed(void **state)
{
	(void)state;
	const char *text = "A = 1.0\nB = 2.0\nC = 3.0\nD = 4.0\nE = 5.0\n";
	char *d1, *d2, *d3 = NULL, *f1 = propose(text, 7, 3, &d1), *f2 = propose(text, 7, 3, &d2);
	int differs = 0;

	assert_string_equal(f1, f2);
	assert_string_equal(d1, d2);
	assert_string_not_equal(f1, text);
	assert_true(!strncmp(d1, "tune ", 5));
	/* Another seed or iteration proposes something else at least once. */
	for (long it = 1; it < 20 && !differs; it++) {
		char *f = propose(text, 8, it, &d3);
		differs = strcmp(f, f1) != 0;
		free(f);
		free(d3);
	}
	assert_true(differs);
	free(f1);
	free(f2);
	free(d1);
	free(d2);
}

static void test_only_marked_lines_move_within_range(void **state)
{
	(void)state;
	const char *text = "X = 100\nK = 8  # ar: tune 1..8\nY = 3\n";
	for (long it = 1; it <= 30; it++) {
		char *d, *f = propose(text, 1, it, &d);
		/* Only K moves, and only down (it is at the top of its range). */
		assert_true(tu_contains(f, "X = 100\n") && tu_contains(f, "Y = 3\n"));
		assert_true(tu_contains(d, "tune K 8 -> "));
		long k = strtol(strstr(f, "K = ") + 4, NULL, 10);
		assert_true(k >= 1 && k < 8);
		free(f);
		free(d);
	}
}

static void test_literal_style_is_kept(void **state)
{
	(void)state;
	char *d, *f = propose("EPS = 1e-3  # ar: tune\n", 3, 1, &d);
	/* exponent form stays exponent form; the comment stays */
	assert_true(tu_contains(f, "EPS = ") && tu_contains(f, "e-") &&
	            tu_contains(f, "  # ar: tune\n"));
	free(f);
	free(d);
	f = propose("W = 2.0\n", 3, 1, &d);
	/* 2.0 -> 4.0 or 1.0: still a float literal */
	assert_true(tu_contains(f, "W = 4.0\n") || tu_contains(f, "W = 1.0\n"));
	free(f);
	free(d);
}

static void test_learns_direction_and_step(void **state)
{
	(void)state;
	struct ar_tuner *t;
	ar_strvec files = AR_STRVEC_INIT;
	char *dir = dir_with("LR = 1.0\n", &files), *desc;

	ar_tuner_new(&t, 5);
	/* 1.0 -> 2.0 was kept: the next move goes up again, by a larger step. */
	tu_write(dir, "train.py", "LR = 2.0\n");
	ar_tuner_learn(t, "tune LR 1.0 -> 2.0", "keep");
	assert_int_equal(ar_tuner_propose(t, dir, &files, 2, &desc), 0);
	assert_true(tu_contains(desc, "tune LR 2.0 -> "));
	double v = strtod(strstr(desc, "-> ") + 3, NULL);
	assert_true(v > 2.0 * 2.0); /* more than x2: the step grew */
	free(desc);
	/* That move was discarded: the next one goes the other way. */
	char *text = ar_xprintf("LR = 2.0\n");
	tu_write(dir, "train.py", text);
	free(text);
	ar_tuner_learn(t, "tune LR 2.0 -> 5.657", "discard");
	assert_int_equal(ar_tuner_propose(t, dir, &files, 3, &desc), 0);
	v = strtod(strstr(desc, "-> ") + 3, NULL);
	assert_true(v < 2.0);
	free(desc);
	ar_tuner_free(t);
	ar_strvec_release(&files);
	tu_rm_rf(dir);
	free(dir);
}

static void test_two_constants_after_a_run_of_misses(void **state)
{
	(void)state;
	struct ar_tuner *t;
	ar_strvec files = AR_STRVEC_INIT;
	char *dir = dir_with("A = 1.0\nB = 1.0\nC = 1.0\n", &files), *desc;

	ar_tuner_new(&t, 9);
	for (int i = 0; i < 6; i++)
		ar_tuner_learn(t, i % 2 ? "tune A 1.0 -> 2.0" : "tune B 1.0 -> 0.5", "discard");
	assert_int_equal(ar_tuner_propose(t, dir, &files, 8, &desc), 0);
	assert_non_null(strchr(desc, ',')); /* "tune X a -> b, Y c -> d" */
	free(desc);
	ar_tuner_free(t);
	ar_strvec_release(&files);
	tu_rm_rf(dir);
	free(dir);
}

static void test_nothing_to_tune_says_how(void **state)
{
	(void)state;
	struct ar_tuner *t;
	ar_strvec files = AR_STRVEC_INIT;
	char *dir = dir_with("print('hello')\n", &files), *desc = NULL;

	ar_tuner_new(&t, 1);
	assert_int_equal(ar_tuner_propose(t, dir, &files, 1, &desc), AR_ENOTFOUND);
	assert_null(desc);
	assert_true(tu_contains(ar_error_last(), "ar: tune"));
	assert_true(tu_contains(ar_error_last(), "train.py"));
	ar_tuner_free(t);
	ar_strvec_release(&files);
	tu_rm_rf(dir);
	free(dir);
}

/* Replaying the ledger rebuilds the same memory: a resumed session proposes
 * what the uninterrupted one would have. */
static void test_replay_equals_live(void **state)
{
	(void)state;
	const char *rows[][2] = {
		{ "tune A 1.0 -> 2.0", "keep" }, { "tune B 3 -> 6", "discard" },
		{ "tune A 2.0 -> 5.657", "discard" }, { "edit by hand", "keep" },
		{ "tune B 3 -> 2", "crash" },
	};
	struct ar_tuner *live, *replayed;
	ar_strvec files = AR_STRVEC_INIT;
	char *dir = dir_with("A = 2.0\nB = 3\n", &files), *d1, *d2;

	ar_tuner_new(&live, 11);
	ar_tuner_new(&replayed, 11);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		ar_tuner_learn(live, rows[i][0], rows[i][1]);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		ar_tuner_learn(replayed, rows[i][0], rows[i][1]);
	assert_int_equal(ar_tuner_propose(live, dir, &files, 7, &d1), 0);
	tu_write(dir, "train.py", "A = 2.0\nB = 3\n");
	assert_int_equal(ar_tuner_propose(replayed, dir, &files, 7, &d2), 0);
	assert_string_equal(d1, d2);
	free(d1);
	free(d2);
	ar_tuner_free(live);
	ar_tuner_free(replayed);
	ar_strvec_release(&files);
	tu_rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_shapes),
		cmocka_unit_test(test_scan_markers),
		cmocka_unit_test(test_scan_bad_marker_is_located),
		cmocka_unit_test(test_propose_is_deterministic_per_seed),
		cmocka_unit_test(test_only_marked_lines_move_within_range),
		cmocka_unit_test(test_literal_style_is_kept),
		cmocka_unit_test(test_learns_direction_and_step),
		cmocka_unit_test(test_two_constants_after_a_run_of_misses),
		cmocka_unit_test(test_nothing_to_tune_says_how),
		cmocka_unit_test(test_replay_equals_live),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
