/*
 * test_metric.c - core/metric.c on real files: the backwards block scan of
 * logs (big logs, long lines, lines across the block boundary, binary
 * garbage), the default conventions, and numbers in command output.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "metric.h"
#include "testutil.h"
#include "util.h"

/* The scan's block size, as in core/metric.c. */
#define BLOCK ((size_t)1 << 20)

/* cmocka 1.1 has no double comparison. */
#define assert_double_equal(a, b) assert_near((a), (b), #a)
static void assert_near(double a, double b, const char *what)
{
	if (!(fabs(a - b) <= 1e-12 * (fabs(b) > 1 ? fabs(b) : 1)))
		fail_msg("%s = %.17g, expected %.17g", what, a, b);
}

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

/* Write len bytes (may hold NULs) to dir/run.log; returns the path. */
static char *write_log(const char *dir, const char *data, size_t len)
{
	char *path = ar_path_join(dir, "run.log");
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static char *write_logs(const char *dir, const char *text)
{
	return write_log(dir, text, strlen(text));
}

/* Append `n` bytes of non-matching lines ("step ... loss ...\n", the last
 * one shortened so the total is exact; n >= 1). */
static void add_filler(ar_buf *b, size_t n)
{
	static const char line[] = "step 00042 | loss: 3.141592 | lr 0.0004 | "
	                           "tok/s 123456 | mfu 39.8 | dt 812ms ............\n";
	size_t k = sizeof(line) - 1;

	while (n > k + 1) {
		ar_buf_add(b, line, k);
		n -= k;
	}
	while (n-- > 1)
		ar_buf_addch(b, '.');
	ar_buf_addch(b, '\n');
}

static double default_ok(const char *path, const char *name)
{
	double v = -1;

	assert_int_equal(ar_metric_from_log_default(path, name, &v), 0);
	return v;
}

static double pattern_ok(const char *path, const char *pattern)
{
	double v = -1;

	assert_int_equal(ar_metric_from_log_pattern(path, pattern, &v), 0);
	return v;
}

static const char karpathy[] =
	"step 00950 (99.1%) | loss: 3.123456 | lrm: 0.01 | dt: 300ms\n"
	"---\n"
	"val_bpb:          0.997900\n"
	"training_seconds: 300.1\n"
	"total_seconds:    325.9\n"
	"peak_vram_mb:     45060.2\n"
	"mfu_percent:      39.80\n"
	"total_tokens_M:   499.6\n"
	"num_steps:        953\n"
	"num_params_M:     50.3\n"
	"depth:            8\n";

static void test_default_karpathy(void **state)
{
	char *path = write_logs(*state, karpathy);

	assert_double_equal(default_ok(path, "val_bpb"), 0.9979);
	assert_double_equal(default_ok(path, "training_seconds"), 300.1);
	assert_double_equal(default_ok(path, "num_steps"), 953);
	assert_double_equal(default_ok(path, "depth"), 8);
	free(path);
}

static void test_default_pi_autoresearch(void **state)
{
	char *path = write_logs(*state, "building...\nMETRIC total_us=15200\n"
	                        "METRIC bundle.kb=-3.5e2\nMETRIC total_us_p99=999\n");

	assert_double_equal(default_ok(path, "total_us"), 15200);
	assert_double_equal(default_ok(path, "bundle.kb"), -350);
	free(path);
}

static void test_default_later_line_wins(void **state)
{
	char *path = write_logs(*state, "val_bpb: 1.5\nMETRIC val_bpb=1.25\nx\n");

	assert_double_equal(default_ok(path, "val_bpb"), 1.25);
	free(path);
	path = write_logs(*state, "METRIC val_bpb=1.25\nval_bpb: 1.5\nx\n");
	assert_double_equal(default_ok(path, "val_bpb"), 1.5);
	free(path);
	path = write_logs(*state, "val_bpb: 1\nval_bpb: 2\nval_bpb : 3,\n"
	                  "  val_bpb:4 (best)\nval_bpb_ema: 9\nmy_val_bpb: 9\n");
	assert_double_equal(default_ok(path, "val_bpb"), 4);
	free(path);
}

static void test_default_name_is_quoted(void **state)
{
	char *path = write_logs(*state, "a.b: 1\naxb: 2\nloss(x)+1: 3\nMETRIC a+b=4\n"
	                        "METRIC aab=5\n");

	assert_double_equal(default_ok(path, "a.b"), 1);
	assert_double_equal(default_ok(path, "loss(x)+1"), 3);
	assert_double_equal(default_ok(path, "a+b"), 4);
	free(path);
}

static void test_default_not_found(void **state)
{
	char *path = write_logs(*state, "val_bpb = 0.9\nval_bpb: soon\nMETRIC val_bpb 3\n");
	char *want = ar_xprintf("no line 'val_bpb: <number>' or "
	                        "'METRIC val_bpb=<number>' in %s", path);
	double v = 0;

	assert_int_equal(ar_metric_from_log_default(path, "val_bpb", &v), AR_ENOTFOUND);
	assert_string_equal(ar_error_last(), want);
	assert_int_equal(ar_metric_from_log_default(path, "", &v), AR_EUSAGE);
	assert_int_equal(ar_metric_from_log_default(path, NULL, &v), AR_EUSAGE);
	free(want);
	free(path);
}

static void expect_not_finite(const char *dir, const char *log, const char *shown,
                              const char *line)
{
	char *path = write_logs(dir, log);
	char *want = ar_xprintf("metric 'val_bpb' is not a finite number: '%s' "
	                        "(%s line %s)", shown, path, line);
	double v = 7;

	assert_int_equal(ar_metric_from_log_default(path, "val_bpb", &v), AR_ERROR);
	assert_string_equal(ar_error_last(), want);
	assert_true(v == 7);
	free(want);
	free(path);
}

static void test_default_not_finite(void **state)
{
	/* The last line decides: an earlier good value is not used. */
	expect_not_finite(*state, "val_bpb: 0.9\nstep\nval_bpb: nan\n", "nan", "3");
	expect_not_finite(*state, "val_bpb: 0.9\nMETRIC val_bpb=inf\n", "inf", "2");
	expect_not_finite(*state, "val_bpb: -Infinity\n", "-Infinity", "1");
	expect_not_finite(*state, "x\ny\nz\nval_bpb: 1.2.3\n", "1.2.3", "4");
	expect_not_finite(*state, "val_bpb: 1e999\n", "1e999", "1");
	expect_not_finite(*state, "val_bpb: 0.5x\n", "0.5x", "1");
}

static void test_pattern(void **state)
{
	char *path = write_logs(*state, "val_bpb: 1.0\nepoch 1 loss=2.5 loss=2.25\n"
	                        "val_bpb:\t0.75  \r\nsummary\n");

	assert_double_equal(pattern_ok(path, "^val_bpb:\\s*(\\S+)"), 0.75);
	assert_double_equal(pattern_ok(path, "loss=(\\S+)"), 2.25);
	assert_double_equal(pattern_ok(path, "val_bpb:(.*)$"), 0.75); /* trimmed */
	assert_double_equal(pattern_ok(path, "[0-9]+\\.[0-9]+(?=\\s*$)"), 0.75);
	free(path);
	/* The empty "line" after the final newline is not a line. */
	path = write_logs(*state, "5\n");
	assert_double_equal(pattern_ok(path, "^(\\d*)$"), 5);
	free(path);
}

static void test_pattern_compiled(void **state)
{
	char *path = write_logs(*state, "score 1\nscore 2\n");
	ar_regex *re = NULL;
	double v = 0;

	assert_int_equal(ar_regex_compile(&re, "^score (\\d+)$"), 0);
	assert_int_equal(ar_metric_from_log(path, re, &v), 0);
	assert_double_equal(v, 2);
	ar_regex_free(re);
	free(path);
}

/* A match must lie within one line, even when \s could cross a newline. */
static void test_match_within_one_line(void **state)
{
	char *path = write_logs(*state, "val_bpb:\n0.5\n");
	double v = 0;

	assert_int_equal(ar_metric_from_log_pattern(path, "^val_bpb:\\s*(\\S+)", &v),
	                 AR_ENOTFOUND);
	free(path);
	path = write_logs(*state, "val_bpb: 0.25\nval_bpb:\nval_bpb: 0.5\nval_bpb:\n\n");
	assert_double_equal(pattern_ok(path, "^val_bpb:\\s*(\\S+)"), 0.5);
	free(path);
	path = write_logs(*state, "val_bpb: 0.25\nval_bpb:\n  \nnext\n");
	assert_double_equal(pattern_ok(path, "^val_bpb:\\s*(\\S+)"), 0.25);
	free(path);
}

static void test_pattern_errors(void **state)
{
	char *path = write_logs(*state, "val_bpb: nan\nloss: \n");
	char *want;
	double v = 0;

	assert_int_equal(ar_metric_from_log_pattern(path, "(x", &v), AR_EUSAGE);
	assert_string_equal(ar_error_last(),
	                    "bad regex '(x': missing closing parenthesis at offset 2");
	assert_int_equal(ar_metric_from_log_pattern(path, "^val_bpb: (\\S+)", &v),
	                 AR_ERROR);
	want = ar_xprintf("metric matched by '^val_bpb: (\\S+)' is not a finite "
	                  "number: 'nan' (%s line 1)", path);
	assert_string_equal(ar_error_last(), want);
	free(want);
	assert_int_equal(ar_metric_from_log_pattern(path, "^loss:(.*)", &v), AR_ERROR);
	assert_true(tu_contains(ar_error_last(), "not a finite number: ' ' ("));
	assert_int_equal(ar_metric_from_log_pattern(path, "^(x)?loss", &v), AR_ERROR);
	assert_true(tu_contains(ar_error_last(), "not a finite number: ''"));
	assert_int_equal(ar_metric_from_log_pattern(path, "^acc=(\\d+)", &v),
	                 AR_ENOTFOUND);
	want = ar_xprintf("no line matching '^acc=(\\d+)' in %s", path);
	assert_string_equal(ar_error_last(), want);
	free(want);
	free(path);
}

static void test_unreadable(void **state)
{
	char *path = ar_path_join(*state, "missing.log");
	double v = 0;

	assert_int_equal(ar_metric_from_log_default(path, "val_bpb", &v), AR_ERROR);
	assert_true(tu_contains(ar_error_last(), path));
	assert_true(tu_contains(ar_error_last(), "No such file"));
	assert_int_equal(ar_metric_from_log_default(*state, "val_bpb", &v), AR_ERROR);
	assert_true(tu_contains(ar_error_last(), "not a regular file"));
	free(path);
	path = ar_path_join(*state, "fifo.log"); /* a FIFO must not hang */
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(ar_metric_from_log_default(path, "val_bpb", &v), AR_ERROR);
	assert_true(tu_contains(ar_error_last(), "not a regular file"));
	free(path);
}

static void test_empty_and_no_newline(void **state)
{
	char *path = write_logs(*state, "");
	double v = 0;

	assert_int_equal(ar_metric_from_log_default(path, "val_bpb", &v), AR_ENOTFOUND);
	free(path);
	path = write_logs(*state, "val_bpb: 0.5\nval_bpb: 0.625");
	assert_double_equal(default_ok(path, "val_bpb"), 0.625);
	free(path);
	path = write_logs(*state, "\n\n\nval_bpb: 0.5\n\n\n\n");
	assert_double_equal(default_ok(path, "val_bpb"), 0.5);
	free(path);
}

static void test_binary_garbage(void **state)
{
	static const char log[] = "\0\0\0\xff\xfe garbage \0 val_bpb: 9\n"
		"val_bpb: 0.5\n\0\0\0\n\x1b[2K\r\xc3\x28 \0\0 val_bpb 3\n\0\0";
	static const char nul_in_value[] = "val_bpb: 1\nscore=2\0003\n";
	char *path = write_log(*state, log, sizeof(log) - 1);
	double v = 0;

	assert_double_equal(default_ok(path, "val_bpb"), 0.5);
	free(path);
	path = write_log(*state, nul_in_value, sizeof(nul_in_value) - 1);
	assert_int_equal(ar_metric_from_log_pattern(path, "^score=(.*)$", &v), AR_ERROR);
	assert_true(tu_contains(ar_error_last(), "not a finite number: '2?3'"));
	free(path);
}

/* A ~50 MB log: the metric at its end, then only at its start. */
static void test_big_log(void **state)
{
	ar_buf b = AR_BUF_INIT;
	char *path;

	ar_buf_adds(&b, "val_bpb: 1.5\n");
	add_filler(&b, 50u << 20);
	ar_buf_adds(&b, "val_bpb: 0.875\n");
	path = write_log(*state, b.ptr, b.len);
	assert_double_equal(default_ok(path, "val_bpb"), 0.875);
	free(path);
	b.len -= strlen("val_bpb: 0.875\n");
	path = write_log(*state, b.ptr, b.len);
	assert_double_equal(default_ok(path, "val_bpb"), 1.5);
	assert_double_equal(pattern_ok(path, "^val_bpb:\\s*(\\S+)"), 1.5);
	free(path);
	ar_buf_release(&b);
}

static long max_rss_kib(void)
{
	struct rusage ru;

	assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_maxrss;
}

/* A sparse 1 GiB log (NUL bytes) with the metric at its end: only the tail
 * is read, in bounded memory. */
static void test_gigabyte_log(void **state)
{
	static const char tail[] = "\nval_bpb:          0.997900\n";
	char *path = ar_path_join(*state, "run.log");
	long before = max_rss_kib();
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fseeko(f, (off_t)1 << 30, SEEK_SET), 0);
	assert_int_equal(fwrite(tail, 1, sizeof(tail) - 1, f), sizeof(tail) - 1);
	assert_int_equal(fclose(f), 0);
	assert_double_equal(default_ok(path, "val_bpb"), 0.9979);
	assert_true(max_rss_kib() - before < 16 * 1024);
	free(path);
}

/* A 5 MB line is longer than a block: it is skipped, and the lines around
 * it are still read. */
static void test_long_line(void **state)
{
	size_t n = 5u << 20;
	ar_buf b = AR_BUF_INIT;
	char *path, *line = ar_xmalloc(n);

	memset(line, 'x', n);
	ar_buf_adds(&b, "val_bpb: 0.25\n");
	ar_buf_add(&b, line, n);
	ar_buf_adds(&b, "\nafter\n");
	path = write_log(*state, b.ptr, b.len);
	assert_double_equal(default_ok(path, "val_bpb"), 0.25);
	free(path);

	b.len -= strlen("\nafter\n"); /* the long line ends the file */
	path = write_log(*state, b.ptr, b.len);
	assert_double_equal(default_ok(path, "val_bpb"), 0.25);
	free(path);

	ar_buf_adds(&b, "\nval_bpb: 0.5\n"); /* a metric after it */
	path = write_log(*state, b.ptr, b.len);
	assert_double_equal(default_ok(path, "val_bpb"), 0.5);
	free(path);

	/* A metric line that is itself too long is skipped. */
	ar_buf_clear(&b);
	ar_buf_adds(&b, "val_bpb: 0.25\nval_bpb: 0.75 ");
	ar_buf_add(&b, line, n);
	ar_buf_adds(&b, "\nafter\n");
	path = write_log(*state, b.ptr, b.len);
	assert_double_equal(default_ok(path, "val_bpb"), 0.25);
	free(path);
	ar_buf_release(&b);
	free(line);
}

/* Lines of content length BLOCK-2 (plus newline) are the longest seen
 * whole; BLOCK-1 is too long. */
static void test_longest_line(void **state)
{
	ar_buf b = AR_BUF_INIT;
	size_t head, len;
	char *path;

	for (len = BLOCK - 3; len <= BLOCK; len++) {
		ar_buf_clear(&b);
		ar_buf_adds(&b, "val_bpb: 0.25\n");
		head = b.len;
		ar_buf_adds(&b, "val_bpb: 0.5 ");
		while (b.len - head < len)
			ar_buf_addch(&b, '-');
		ar_buf_adds(&b, "\nend\n");
		path = write_log(*state, b.ptr, b.len);
		assert_double_equal(default_ok(path, "val_bpb"),
		                    len <= BLOCK - 2 ? 0.5 : 0.25);
		free(path);
	}
	ar_buf_release(&b);
}

/* The metric line crosses the first block boundary (BLOCK bytes from the
 * end of the file), at every byte of the line. */
static void test_line_across_block_boundary(void **state)
{
	static const char metric[] = "val_bpb:          0.997900\n";
	size_t m = sizeof(metric) - 1, k, cut;
	ar_buf b = AR_BUF_INIT;
	char *path;

	for (k = 0; k <= m; k++) {
		ar_buf_clear(&b);
		ar_buf_adds(&b, "val_bpb: 9.5\n");
		add_filler(&b, 4000);
		cut = b.len + k; /* file offset of the boundary */
		ar_buf_add(&b, metric, m);
		add_filler(&b, cut + BLOCK - b.len);
		assert_int_equal(b.len - BLOCK, cut);
		path = write_log(*state, b.ptr, b.len);
		assert_double_equal(default_ok(path, "val_bpb"), 0.9979);
		assert_double_equal(pattern_ok(path, "^val_bpb:\\s*(\\S+)"), 0.9979);
		free(path);
	}
	ar_buf_release(&b);
}

/* A match several blocks back from the end. */
static void test_match_several_blocks_back(void **state)
{
	ar_buf b = AR_BUF_INIT;
	char *path;

	ar_buf_adds(&b, "METRIC val_bpb=2\n");
	add_filler(&b, 3 * BLOCK + 12345);
	ar_buf_adds(&b, "METRIC val_bpb=1.125\n");
	add_filler(&b, 3 * BLOCK + 777);
	path = write_log(*state, b.ptr, b.len);
	assert_double_equal(default_ok(path, "val_bpb"), 1.125);
	free(path);
	ar_buf_release(&b);
}

/* ---- the literal search, the two halves, the pread fallback ---- */

/* Lines holding the literal (the name, or the pattern's "loss=") that the
 * regex rejects do not hide an earlier match, and one that passes only at
 * a later place in the line is still found. */
static void test_literal_in_rejected_lines(void **state)
{
	char *path = write_logs(*state, "val_bpb: 0.5\nnote: val_bpb: 9\n"
	                        "METRICval_bpb=8\nXMETRIC val_bpb=7\n  val_bpb : x\n"
	                        "val_bpb_ema: 3\n#val_bpb: 2\nval_bpb\n");

	assert_double_equal(default_ok(path, "val_bpb"), 0.5);
	free(path);
	path = write_logs(*state, "x\n \t METRIC \t val_bpb=0.25\nval_bpb val_bpb: 1\n");
	assert_double_equal(default_ok(path, "val_bpb"), 0.25);
	free(path);
	/* "TRIC" is first seen inside "METRIC", where it cannot match. */
	path = write_logs(*state, "METRIC TRIC=5\nTRICK: 6\nMETRICS TRIC=7\n");
	assert_double_equal(default_ok(path, "TRIC"), 5);
	free(path);
	/* A name starting with blanks is not searched for first: same answers. */
	path = write_logs(*state, "    val_bpb: 3\n val_bpb: 4\nx  val_bpb: 5\n");
	assert_double_equal(default_ok(path, "  val_bpb"), 3);
	free(path);
	path = write_logs(*state, "loss=1.5\nloss=abc\nmy loss=nan loss=\nloss=.\n");
	assert_double_equal(pattern_ok(path, "loss=(\\d+\\.\\d+)"), 1.5);
	assert_double_equal(pattern_ok(path, "^loss=(\\d\\S*)$"), 1.5);
	free(path);
	/* Several matches in the literal's line: the last one wins. */
	path = write_logs(*state, "a loss=1 b loss=2 c loss=3x\nloss=q\n");
	assert_double_equal(pattern_ok(path, "loss=(\\d+)"), 3);
	free(path);
}

/* The metric line at every offset near the end of a file without a
 * final newline, and near its start: the vector search's 64-byte steps
 * and its byte-wise tail. */
static void test_literal_at_every_offset(void **state)
{
	ar_buf b = AR_BUF_INIT;
	size_t k;
	char *path;

	for (k = 0; k < 150; k++) {
		ar_buf_clear(&b);
		add_filler(&b, 200 + k);
		ar_buf_adds(&b, "val_bpb: 0.5");
		path = write_log(*state, b.ptr, b.len);
		assert_double_equal(default_ok(path, "val_bpb"), 0.5);
		assert_double_equal(pattern_ok(path, "^val_bpb: (\\S+)"), 0.5);
		free(path);
		ar_buf_clear(&b);
		ar_buf_add(&b, "                ", k % 16);
		ar_buf_adds(&b, "val_bpb: 0.25\n");
		add_filler(&b, 1 + k);
		path = write_log(*state, b.ptr, b.len);
		assert_double_equal(default_ok(path, "val_bpb"), 0.25);
		free(path);
	}
	ar_buf_release(&b);
}

static void tune(uint64_t split_min, uint64_t chunk, int no_mmap, int no_literal)
{
	struct ar_metric__tuning t = { split_min, chunk, no_mmap, no_literal };

	ar_metric__tune(&t);
}

/* A chunk size for the tests: a log of a few blocks has several chunks. */
#define CHUNK (BLOCK + 12345)

/* A log scanned in chunks by several threads: a match only in the first
 * chunk, in the first and the last (the later wins), in none. */
static void test_chunks(void **state)
{
	ar_buf b = AR_BUF_INIT;
	char *path;

	tune(1, CHUNK, 0, 0);
	ar_buf_adds(&b, "METRIC val_bpb=2\nloss=4.5\n");
	add_filler(&b, 5 * BLOCK);
	path = write_log(*state, b.ptr, b.len);
	assert_double_equal(default_ok(path, "val_bpb"), 2);
	assert_double_equal(pattern_ok(path, "^loss=(\\S+)"), 4.5);
	free(path);
	ar_buf_adds(&b, "val_bpb: 1.5\n");
	add_filler(&b, 2000);
	path = write_log(*state, b.ptr, b.len);
	assert_double_equal(default_ok(path, "val_bpb"), 1.5);
	free(path);
	b.len = 0;
	add_filler(&b, 5 * BLOCK);
	path = write_log(*state, b.ptr, b.len);
	assert_int_equal(ar_metric_from_log_default(path, "val_bpb", &(double){ 0 }),
	                 AR_ENOTFOUND);
	free(path);
	ar_metric__tune(NULL);
	ar_buf_release(&b);
}

/* An error in the first chunk (PCRE2's match limit) is reported from its
 * thread when no later chunk has a match, and does not matter when one
 * has. */
static void test_error_in_first_chunk(void **state)
{
	static const char bad[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\n";
	ar_buf b = AR_BUF_INIT;
	char *path;
	double v = 0;

	tune(1, CHUNK, 0, 0);
	ar_buf_adds(&b, bad);
	add_filler(&b, 2 * BLOCK);
	path = write_log(*state, b.ptr, b.len);
	assert_int_equal(ar_metric_from_log_pattern(path, "^((a+)+|\\d+)$", &v),
	                 AR_ERROR);
	assert_true(tu_contains(ar_error_last(), "regex '^((a+)+|\\d+)$' failed"));
	free(path);
	ar_buf_adds(&b, "42\n");
	add_filler(&b, 100);
	path = write_log(*state, b.ptr, b.len);
	assert_double_equal(pattern_ok(path, "^((a+)+|\\d+)$"), 42);
	free(path);
	ar_metric__tune(NULL);
	ar_buf_release(&b);
}

/* Lines at the start of the second chunk (the file's first line start
 * from CHUNK on): the metric there, lines about a block long there (seen
 * whole up to BLOCK-2 bytes and a newline, as without chunks), and a long
 * line over the chunk's start (the chunks merge). */
static void test_line_at_a_chunk_start(void **state)
{
	static const struct ar_metric__tuning ways[] = {
		{ 1, CHUNK, 0, 0 }, { UINT64_MAX, 0, 0, 1 },
	};
	ar_buf b = AR_BUF_INIT;
	size_t len, w, over;
	char *path;

	for (len = BLOCK - 3; len <= BLOCK + 1; len++) { /* with the newline */
		for (over = 0; over <= 5000; over += 5000) {
			ar_buf_clear(&b);
			ar_buf_adds(&b, "val_bpb: 0.25\n");
			add_filler(&b, CHUNK - over - b.len);
			ar_buf_adds(&b, "val_bpb: 0.5 ");
			while (b.len < CHUNK - over + len - 1)
				ar_buf_addch(&b, '-');
			ar_buf_addch(&b, '\n');
			add_filler(&b, 2 * BLOCK);
			path = write_log(*state, b.ptr, b.len);
			for (w = 0; w < 2; w++) {
				ar_metric__tune(&ways[w]);
				assert_double_equal(default_ok(path, "val_bpb"),
				                    len <= BLOCK - 1 ? 0.5 : 0.25);
			}
			free(path);
		}
	}
	ar_metric__tune(NULL);
	ar_buf_release(&b);
}

/* A literal that ends the match and the file: " ms" in "(\d+) ms". */
static void test_literal_ends_the_file(void **state)
{
	char *path = write_logs(*state, "x\n5 ms\n12 ms");
	double v = 0;

	assert_double_equal(pattern_ok(path, "(\\d+) ms"), 12);
	free(path);
	/* The last line is the literal alone: found (and not a number). */
	path = write_logs(*state, "abc1\nabc");
	assert_int_equal(ar_metric_from_log_pattern(path, "abc(\\d*)", &v), AR_ERROR);
	assert_true(tu_contains(ar_error_last(), "is not a finite number: ''"));
	free(path);
}

/* Deterministic pseudo-random numbers (xorshift64), so a failure repeats. */
static uint64_t rnd_state = 88172645463325252ull;

static size_t rnd(size_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (size_t)(rnd_state % n);
}

/* A random line (with its newline) that the patterns below match, nearly
 * match, or fail on. */
static void add_random_line(ar_buf *b)
{
	static const char *const lines[] = {
		"val_bpb: 0.5", "METRIC val_bpb=%zu", "  val_bpb:\t1e-3", "x val_bpb: 1",
		"val_bpb: nan", "loss=%zu.5", "step %zu | loss=abc", "\tMETRIC\tval_bpb=-%zu",
		"val_bpb_ema: 3", "val_bpb : %zu,", "", "\r", "val_bpb: %zu\r",
		"loss=%zu.25 loss=7.5", "\x1b[2K\rval_bpb: 9", "METRICval_bpb=1",
		"val_bpb: 1.%zu (best)", "val_bpb:", "loss=", "val_bpb=%zu",
	};
	size_t k = rnd(sizeof(lines) / sizeof(lines[0]) + 3), n;

	if (k == sizeof(lines) / sizeof(lines[0])) { /* about a block long */
		n = BLOCK - 4 + rnd(6);
		ar_buf_adds(b, rnd(2) ? "val_bpb: 6 " : "loss=6.5 ");
		while (n-- > 11)
			ar_buf_addch(b, 'x');
	} else if (k == sizeof(lines) / sizeof(lines[0]) + 1) { /* NULs */
		ar_buf_add(b, "\0val_bpb: 3\0", 12);
	} else if (k < sizeof(lines) / sizeof(lines[0])) {
		ar_buf_printf(b, lines[k], rnd(1000));
	}
	ar_buf_addch(b, '\n');
}

/* A random log: filler with random lines in it, 2 KiB to 3 MiB, with or
 * without a final newline. */
static void random_log(ar_buf *b)
{
	size_t size = rnd(3) == 0 ? 2048 : 1 + rnd(3 * BLOCK), lines = 1 + rnd(8), i;

	ar_buf_clear(b);
	for (i = 0; i < lines; i++) {
		add_filler(b, 1 + rnd(size / lines + 1));
		add_random_line(b);
	}
	if (rnd(2))
		b->len--;
}

struct outcome {
	int rc;
	double v;
	char *msg;
};

static struct outcome outcome(const char *path, const char *pattern)
{
	struct outcome o = { 0, 0, NULL };

	if (pattern[0] == '=')
		o.rc = ar_metric_from_log_default(path, pattern + 1, &o.v);
	else
		o.rc = ar_metric_from_log_pattern(path, pattern, &o.v);
	o.msg = ar_xstrdup(o.rc < 0 ? ar_error_last() : "");
	return o;
}

/* Random logs read every way - a block at a time with pread and the regex
 * on every line (as before mmap, literals and threads), mapped, in chunks
 * (also smaller than a block), with pread in chunks, without the literal
 * search - give the same answers and messages. */
static void test_every_way_same_answer(void **state)
{
	static const char *const patterns[] = {
		"=val_bpb", "^val_bpb:\\s*(\\S+)", "loss=(\\d+\\.\\d+)", "val_bpb[:=]\\s*(\\S+)",
		"(?:^val_bpb:)\\s*([-+]?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][-+]?[0-9]+)?)",
	};
	static const struct ar_metric__tuning ways[] = {
		{ UINT64_MAX, 0, 1, 1 }, { 0, 0, 0, 0 }, { 1, CHUNK, 0, 0 },
		{ 1, BLOCK / 3, 0, 0 }, { 1, CHUNK, 1, 0 }, { UINT64_MAX, 0, 0, 1 },
	};
	ar_buf b = AR_BUF_INIT;
	struct outcome want, got;
	size_t n, i, w;
	char *path;

	for (n = 0; n < 24; n++) {
		random_log(&b);
		path = write_log(*state, b.ptr, b.len);
		for (i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
			ar_metric__tune(&ways[0]);
			want = outcome(path, patterns[i]);
			for (w = 1; w < sizeof(ways) / sizeof(ways[0]); w++) {
				ar_metric__tune(&ways[w]);
				got = outcome(path, patterns[i]);
				if (got.rc != want.rc || got.v != want.v || strcmp(got.msg, want.msg))
					fail_msg("log %zu (%zu bytes), '%s', way %zu: rc %d %.17g '%s', "
					         "expected rc %d %.17g '%s'", n, b.len, patterns[i], w,
					         got.rc, got.v, got.msg, want.rc, want.v, want.msg);
				free(got.msg);
			}
			free(want.msg);
		}
		free(path);
	}
	ar_metric__tune(NULL);
	ar_buf_release(&b);
}

static double text_ok(const char *text, int want_rate)
{
	double v = -1;

	assert_int_equal(ar_metric_from_text(text, strlen(text), want_rate, &v), 0);
	return v;
}

static void test_text_last_number(void **state)
{
	(void)state;
	assert_double_equal(text_ok("0.93\n", 0), 0.93);
	assert_double_equal(text_ok("42", 0), 42);
	assert_double_equal(text_ok("result: -1.5e-3\n", 0), -0.0015);
	assert_double_equal(text_ok("a 1 b 2.5 c 3E2 done", 0), 300);
	assert_double_equal(text_ok("x=-5;", 0), -5);
	assert_double_equal(text_ok("3-2", 0), 2);
	assert_double_equal(text_ok("took 12ms", 0), 12);
	assert_double_equal(text_ok("size .5 (v1.2.3)", 0), 0.5);
	assert_double_equal(text_ok("score [0.71]\n\n", 0), 0.71);
	assert_double_equal(text_ok("2 passed in 1s\nscore 0.93\n", 0), 0.93);
	assert_double_equal(text_ok("found 3 errors, score 0.7", 1), 0.7);
	assert_double_equal(text_ok("value: 8\n", 1), 8); /* not pytest */
}

static void test_text_pytest(void **state)
{
	(void)state;
	assert_double_equal(text_ok("12 passed, 3 failed", 0), 12);
	assert_double_equal(text_ok("12 passed, 3 failed", 1), 0.8);
	assert_double_equal(text_ok("3 failed, 12 passed in 0.5s\n", 0), 12);
	assert_double_equal(text_ok("3 failed, 12 passed in 0.5s\n", 1), 0.8);
	assert_double_equal(text_ok("12 passed", 0), 12);
	assert_double_equal(text_ok("12 passed", 1), 1);
	assert_double_equal(text_ok("1 error", 0), 0);
	assert_double_equal(text_ok("1 error", 1), 0);
	assert_double_equal(text_ok("....F..\n===== 2 failed, 6 passed, 1 skipped, "
	                            "2 errors, 3 warnings in 1.23s =====\n", 1), 0.6);
	assert_double_equal(text_ok("1 xfailed, 1 xpassed, 4 passed in 0.1s", 1), 1);
	assert_double_equal(text_ok("5 skipped in 0.1s", 0), 0);
}

static void test_text_errors(void **state)
{
	double v = 5;
	static const char nul[] = "\0abc\0 17\0\0";

	(void)state;
	assert_int_equal(ar_metric_from_text("no number here", 14, 0, &v), AR_ENOTFOUND);
	assert_int_equal(ar_metric_from_text("", 0, 0, &v), AR_ENOTFOUND);
	assert_int_equal(ar_metric_from_text(NULL, 0, 0, &v), AR_ENOTFOUND);
	assert_int_equal(ar_metric_from_text("v1.2.3 x86", 10, 0, &v), AR_ENOTFOUND);
	assert_int_equal(ar_metric_from_text("1e999", 5, 0, &v), AR_ERROR);
	assert_int_equal(ar_metric_from_text("no tests ran in 0.01s", 21, 0, &v), AR_ERROR);
	assert_true(tu_contains(ar_error_last(), "no tests ran"));
	assert_int_equal(ar_metric_from_text("5 skipped in 0.1s", 17, 1, &v), AR_ERROR);
	assert_true(v == 5);
	/* Only len bytes count, NULs included. */
	assert_int_equal(ar_metric_from_text("12 34", 2, 0, &v), 0);
	assert_double_equal(v, 12);
	assert_int_equal(ar_metric_from_text(nul, sizeof(nul) - 1, 0, &v), 0);
	assert_double_equal(v, 17);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_default_karpathy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_pi_autoresearch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_later_line_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_name_is_quoted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_not_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_not_finite, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pattern, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pattern_compiled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match_within_one_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pattern_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_and_no_newline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_binary_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gigabyte_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_longest_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_across_block_boundary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match_several_blocks_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_literal_in_rejected_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_literal_at_every_offset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chunks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_in_first_chunk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_at_a_chunk_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_literal_ends_the_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_way_same_answer, setup, teardown),
		cmocka_unit_test(test_text_last_number),
		cmocka_unit_test(test_text_pytest),
		cmocka_unit_test(test_text_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
