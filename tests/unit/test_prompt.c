/*
 * test_prompt.c - the proposer's prompt: what it says, that it stays
 * bounded however long the history, user templates, and reading the
 * DESCRIPTION line back from a reply.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "plugin.h"
#include "prompt.h"
#include "testutil.h"

static struct ar_config cfg;

static int setup(void **state)
{
	(void)state;
	ar_config_init(&cfg);
	ar_config_set(&cfg, "metric.name", "val_bpb", NULL);
	ar_config_set(&cfg, "run_command", "python3 train.py", NULL);
	ar_config_add(&cfg, "target_files", "train.py", NULL);
	ar_config_add(&cfg, "fixed_files", "prepare.py", NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ar_config_release(&cfg);
	return 0;
}

/* n rows: a baseline at 2.0, then discards of "tune LR ..." and every
 * tenth a keep that lowers the score. */
static struct ar_result *rows_of(size_t n)
{
	struct ar_result *r = calloc(n, sizeof(*r));
	double best = 2.0;
	for (size_t i = 0; i < n; i++) {
		int keep = i && i % 10 == 0;
		r[i].iteration = (long)i + 1;
		r[i].has_score = 1;
		if (keep)
			best -= 0.01;
		r[i].score = i == 0 ? 2.0 : keep ? best : best + 0.5;
		r[i].status = (char *)(i == 0 ? AR_ST_BASELINE : keep ? AR_ST_KEEP : AR_ST_DISCARD);
		r[i].description = (char *)(keep ? "keep something that works well"
		                                 : "tune LR a bit higher than before, a long description "
		                                   "that goes on and on and on and on and on and on and on");
	}
	return r;
}

static void test_default_prompt_says_what_matters(void **state)
{
	(void)state;
	struct ar_result *r = rows_of(25);
	struct ar_prompt_in in = { &cfg, 26, r, 25, NULL, NULL, 0, NULL };
	ar_buf b = AR_BUF_INIT;

	ar_prompt_build(&in, NULL, &b);
	assert_true(tu_contains(b.ptr, "experiment #26"));
	assert_true(tu_contains(b.ptr, "Minimize the metric `val_bpb`"));
	assert_true(tu_contains(b.ptr, "Baseline: 2."));
	assert_true(tu_contains(b.ptr, "Best so far: 1.98 (experiment #21)"));
	assert_true(tu_contains(b.ptr, "You may edit only: train.py"));
	assert_true(tu_contains(b.ptr, "Never touch (the evaluation harness): prepare.py"));
	assert_true(tu_contains(b.ptr, "Directions that kept failing: \"tune lr...\" (22 times)"));
	assert_true(tu_contains(b.ptr, "DESCRIPTION: <"));
	assert_true(tu_contains(b.ptr, "One idea per experiment"));
	ar_buf_release(&b);
	free(r);
}

static void test_size_is_bounded(void **state)
{
	(void)state;
	struct ar_result *r10 = rows_of(1000), *r10k = rows_of(10000);
	struct ar_prompt_in a = { &cfg, 1001, r10, 1000, NULL, NULL, 0, NULL };
	struct ar_prompt_in b = { &cfg, 10001, r10k, 10000, NULL, NULL, 0, NULL };
	ar_buf pa = AR_BUF_INIT, pb = AR_BUF_INIT;

	ar_prompt_build(&a, NULL, &pa);
	ar_prompt_build(&b, NULL, &pb);
	assert_true(pb.len < 8192);
	assert_true(pb.len < pa.len + 200); /* the same size, give or take numbers */
	ar_buf_release(&pa);
	ar_buf_release(&pb);
	free(r10);
	free(r10k);
}

static void test_crash_tail_and_abandoned(void **state)
{
	(void)state;
	struct ar_result *r = rows_of(3);
	char big[6000];
	memset(big, 'x', sizeof(big) - 20);
	strcpy(big + sizeof(big) - 20, "\nTypeError: boom\n");
	struct ar_prompt_in in = { &cfg, 4, r, 3, big, "add dropout", 1, NULL };
	ar_buf b = AR_BUF_INIT;

	ar_prompt_build(&in, NULL, &b);
	assert_true(tu_contains(b.ptr, "The last experiment crashed"));
	assert_true(tu_contains(b.ptr, "It tried: add dropout"));
	assert_true(tu_contains(b.ptr, "back in the working tree"));
	assert_true(tu_contains(b.ptr, "TypeError: boom"));
	assert_true(b.len < 2000 + 4000); /* the tail is cut */
	ar_buf_clear(&b);
	in.abandoned = "add dropout";
	ar_prompt_build(&in, NULL, &b);
	assert_true(tu_contains(b.ptr, "crashed three times in a row and was abandoned"));
	assert_false(tu_contains(b.ptr, "TypeError"));
	ar_buf_release(&b);
	free(r);
}

static void test_user_template(void **state)
{
	(void)state;
	struct ar_prompt_in in = { &cfg, 2, NULL, 0, NULL, NULL, 0, NULL };
	ar_buf b = AR_BUF_INIT;

	ar_prompt_build(&in, "Improve {metric} ({direction}) in {targets}; #{iteration}. "
	                "{unknown} {best} {", &b);
	assert_string_equal(b.ptr, "Improve val_bpb (lower) in train.py; #2. {unknown} unknown {");
	ar_buf_release(&b);
}

static void test_description_line(void **state)
{
	(void)state;
	char *d = ar_prompt_description("I did it.\nDESCRIPTION: wider MLP (4x)  \nthanks");
	assert_string_equal(d, "wider MLP (4x)");
	free(d);
	d = ar_prompt_description("DESCRIPTION: first\n**DESCRIPTION:** `second`\n");
	assert_string_equal(d, "second");
	free(d);
	assert_null(ar_prompt_description("no such line"));
	assert_null(ar_prompt_description("DESCRIPTION:   \n"));
	assert_null(ar_prompt_description(NULL));
	char long_line[400];
	memset(long_line, 'a', sizeof(long_line));
	memcpy(long_line, "DESCRIPTION: ", 13);
	long_line[sizeof(long_line) - 1] = '\0';
	d = ar_prompt_description(long_line);
	assert_int_equal(strlen(d), 200);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_prompt_says_what_matters),
		cmocka_unit_test(test_size_is_bounded),
		cmocka_unit_test(test_crash_tail_and_abandoned),
		cmocka_unit_test(test_user_template),
		cmocka_unit_test(test_description_line),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
