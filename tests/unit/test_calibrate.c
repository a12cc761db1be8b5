/*
 * test_calibrate.c - the calibration module's pure parts and files: the
 * summary and advice, the .autoresearch/calibration file, and setting keys
 * in a YAML config while keeping everything else (real files in a
 * temporary directory; the YAML reader is the oracle that they still
 * parse).  The runs themselves are tested end to end in test_noise.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "calibrate.h"
#include "testutil.h"

static const char *const keys[] = { "min_delta", "repeats" };
static const char *const values[] = { "0.35%", "4" };

static void near(double got, double want, double tol)
{
	if (!(fabs(got - want) <= tol))
		fail_msg("got %.15g, expected %.15g", got, want);
}

static void test_summary_and_advice(void **state)
{
	(void)state;
	double s[] = { 5.1, 4.9, 5.05, 4.95, 5.0 };
	struct ar_calibration c;

	memset(&c, 0, sizeof(c));
	c.samples = s;
	c.n = 5;
	ar_calibration_summarise(&c);
	/* python3 statistics: mean 5.0, stdev 0.07905694150420949 */
	near(c.mean, 5.0, 1e-12);
	near(c.sd, 0.07905694150420949, 1e-12);
	near(c.cv, 0.07905694150420949 / 5, 1e-12);
	near(c.min, 4.9, 0);
	near(c.max, 5.1, 0);
	/* An effect of 0.25 = 3.16 sd: ceil(12.365 / 10) = 2 runs per side;
	 * min_delta = 1.6449 sd sqrt(2/2) = 0.13004. */
	ar_calibration_recommend(&c, 0.25, 0.05);
	assert_int_equal(c.repeats, 2);
	near(c.min_delta, 1.6448536269514722 * 0.07905694150420949, 1e-12);
	/* One sd needs 13; a tenth of one sd is capped. */
	ar_calibration_recommend(&c, c.sd, 0.05);
	assert_int_equal(c.repeats, 13);
	near(c.min_delta, 1.6448536269514722 * c.sd * sqrt(2.0 / 13), 1e-12);
	ar_calibration_recommend(&c, c.sd / 10, 0.05);
	assert_int_equal(c.repeats_needed, 1237);
	assert_int_equal(c.repeats, AR_CALIBRATE_MAX_REPEATS);
	/* No noise: one run, min_delta 0. */
	double flat[] = { 3, 3, 3 };
	c.samples = flat;
	c.n = 3;
	ar_calibration_summarise(&c);
	ar_calibration_recommend(&c, 0.1, 0.05);
	assert_int_equal(c.repeats, 1);
	near(c.min_delta, 0, 0);
}

static void test_file_round_trip(void **state)
{
	(void)state;
	char *dir = tu_tmpdir(), *state_dir = ar_path_join(dir, "state");
	double s[] = { 1.25, 0.1 + 0.2 };
	struct ar_calibration c, back;

	memset(&c, 0, sizeof(c));
	strcpy(c.commit, "0123456789012345678901234567890123456789");
	c.samples = ar_xmalloc(sizeof(s));
	memcpy(c.samples, s, sizeof(s));
	c.n = 2;
	ar_calibration_summarise(&c);
	ar_calibration_recommend(&c, 0.5, 0.05);
	assert_int_equal(ar_calibration_load(state_dir, &back), AR_ENOTFOUND);
	ar_calibration_release(&back);
	assert_int_equal(ar_calibration_save(state_dir, &c), 0);
	assert_non_null(c.created_at);
	assert_int_equal(ar_calibration_load(state_dir, &back), 0);
	assert_string_equal(back.commit, c.commit);
	assert_int_equal(back.n, 2);
	assert_true(back.samples[1] == 0.1 + 0.2); /* exact, %.17g */
	assert_true(back.mean == c.mean && back.sd == c.sd && back.cv == c.cv);
	assert_true(back.min == c.min && back.max == c.max);
	assert_true(back.effect == c.effect && back.min_delta == c.min_delta);
	assert_int_equal(back.repeats, c.repeats);
	assert_string_equal(back.created_at, c.created_at);
	ar_calibration_release(&back);
	ar_calibration_release(&c);
	tu_rm_rf(dir);
	free(state_dir);
	free(dir);
}

/* Set the keys in a file holding `before`; returns the new text. */
static char *set_in(const char *dir, const char *before, int want)
{
	char *path = ar_path_join(dir, ".autoresearch.yaml");
	int err;

	if (before)
		tu_write(dir, ".autoresearch.yaml", before);
	err = ar_config_file_set(path, keys, values, 2, "ar calibrate, today");
	if (err != want)
		fail_msg("ar_config_file_set: %d (%s), expected %d", err, ar_error_last(), want);
	free(path);
	return tu_read(dir, ".autoresearch.yaml");
}

static void test_yaml_keys_replaced_and_added(void **state)
{
	(void)state;
	char *dir = tu_tmpdir(), *t;

	/* Replaced where they are, trailing comments kept; the rest as is. */
	t = set_in(dir, "# my config\nrun_command: \"sh x.sh\"  # the run\n"
	           "min_delta: 0.1   # chosen by hand\nrepeats:   3\ntime_budget: 60\n", 0);
	assert_string_equal(t, "# my config\nrun_command: \"sh x.sh\"  # the run\n"
	                    "min_delta: 0.35%   # chosen by hand\nrepeats: 4\n"
	                    "time_budget: 60\n");
	free(t);
	/* Missing keys appended after one comment line; no final newline. */
	t = set_in(dir, "metric: {name: x}\n# tail comment", 0);
	assert_string_equal(t, "metric: {name: x}\n# tail comment\n# ar calibrate, today\n"
	                    "min_delta: 0.35%\nrepeats: 4\n");
	free(t);
	/* One present, one missing. */
	t = set_in(dir, "repeats: auto # adaptive\n", 0);
	assert_string_equal(t, "repeats: 4 # adaptive\n# ar calibrate, today\n"
	                    "min_delta: 0.35%\n");
	free(t);
	/* Not fooled by '#' inside quotes. */
	t = set_in(dir, "min_delta: \"5 # not a comment\"  # real comment\nrepeats: 2\n", 0);
	assert_string_equal(t, "min_delta: 0.35%  # real comment\nrepeats: 4\n");
	free(t);
	t = set_in(dir, "metric:\n  name: x\nmin_delta: '0.5%'  # real comment\nrepeats: 2\n", 0);
	assert_string_equal(t, "metric:\n  name: x\nmin_delta: 0.35%  # real comment\n"
	                    "repeats: 4\n");
	free(t);
	tu_rm_rf(dir);
	free(dir);
}

static void test_yaml_block_value_and_new_file(void **state)
{
	(void)state;
	char *dir = tu_tmpdir(), *t;

	/* A value written as a block on the next lines is replaced whole. */
	t = set_in(dir, "repeats:\n  3\nmin_delta: 0\nagent: tune\n", 0);
	assert_string_equal(t, "repeats: 4\nmin_delta: 0.35%\nagent: tune\n");
	free(t);
	/* No file: created with the comment and the keys. */
	tu_sh("rm -f '%s/.autoresearch.yaml'", dir);
	t = set_in(dir, NULL, 0);
	assert_string_equal(t, "# ar calibrate, today\nmin_delta: 0.35%\nrepeats: 4\n");
	free(t);
	tu_rm_rf(dir);
	free(dir);
}

static void test_yaml_refused_when_it_would_not_read_back(void **state)
{
	(void)state;
	char *dir = tu_tmpdir(), *t;
	const char *flow = "{adapter: custom, target_files: [a.py]}\n";
	const char *broken = "target_files: [a.py\n";

	/* A flow mapping cannot take appended lines: the file is untouched. */
	t = set_in(dir, flow, AR_EUSAGE);
	assert_string_equal(t, flow);
	assert_true(tu_contains(ar_error_last(), "left as it was"));
	free(t);
	/* Neither is a file that did not parse to begin with. */
	t = set_in(dir, broken, AR_EUSAGE);
	assert_string_equal(t, broken);
	free(t);
	/* No temporary file is left behind. */
	char *ls = NULL;
	tu_sh_out(&ls, "ls -A '%s'", dir);
	assert_string_equal(ls, ".autoresearch.yaml\n");
	free(ls);
	tu_rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary_and_advice),
		cmocka_unit_test(test_file_round_trip),
		cmocka_unit_test(test_yaml_keys_replaced_and_added),
		cmocka_unit_test(test_yaml_block_value_and_new_file),
		cmocka_unit_test(test_yaml_refused_when_it_would_not_read_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
