/*
 * fuzz_metric - reading numbers out of runs: the input is a command's
 * output (ar_metric_from_text, count and rate), a log file (the default
 * convention and two configured patterns) and, its first line, an
 * expression (parsed and evaluated with every name set).  When the first
 * byte is 'L' the log is the input repeated past 1 MiB, so that the
 * backward block scan cuts lines at block edges (and, for an input
 * without a newline, meets a line longer than a block).  A value returned
 * with success must be finite: anything else aborts.
 */
#include <math.h>

#include "fuzz_common.h"

#include "error.h"
#include "metric.h"
#include "util.h"

#define BLOCK ((size_t)1 << 20)

static const char *const patterns[] = {
	/* what config.c makes of `pattern: '^loss:'` */
	"(?:^loss:)\\s*([-+]?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][-+]?[0-9]+)?)",
	"acc=(\\S+)",
};

static void check(int rc, double v)
{
	if (rc == 0 && !isfinite(v))
		abort(); /* a success must never carry NaN or inf */
}

static void from_log(const uint8_t *data, size_t size)
{
	const char *path;
	double v = 0;
	size_t i;

	if (size && data[0] == 'L') {
		ar_buf b = AR_BUF_INIT;
		while (b.len <= BLOCK + size)
			ar_buf_add(&b, data, size);
		path = fuzz_file("run.log", (const uint8_t *)b.ptr, b.len);
		ar_buf_release(&b);
	} else {
		path = fuzz_file("run.log", data, size);
	}
	check(ar_metric_from_log_default(path, "val_bpb", &v), v);
	for (i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
		check(ar_metric_from_log_pattern(path, patterns[i], &v), v);
}

static void expression(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	char *text = ar_xstrndup((const char *)data, nl ? (size_t)(nl - data) : size);
	const char *names[16];
	double values[16], v;
	ar_expr *e = NULL;
	size_t n = 0;

	if (strlen(text) < 256 && ar_expr_parse(&e, text) == 0) {
		while (n < 16 && (names[n] = ar_expr_name(e, n)) != NULL) {
			values[n] = 1.5 + (double)n;
			n++;
		}
		ar_expr_eval(e, names, values, n, &v);
		ar_expr_eval(e, names, values, 0, &v); /* names missing */
	}
	ar_expr_free(e);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	double v = 0;

	check(ar_metric_from_text((const char *)data, size, 0, &v), v);
	check(ar_metric_from_text((const char *)data, size, 1, &v), v);
	from_log(data, size);
	expression(data, size);
	ar_error_clear();
	return 0;
}
