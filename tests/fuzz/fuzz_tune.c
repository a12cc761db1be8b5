/*
 * fuzz_tune - the tuner's constant finder (ar_tune_scan) on any text.
 * Every constant it reports must lie inside the text, on a line that
 * exists, with a finite value that its literal reads back as, and a sane
 * range: anything else aborts.
 */
#include <math.h>

#include "fuzz_common.h"

#include "error.h"
#include "tune.h"
#include "util.h"

/* The literal's bytes must read back as the value reported. */
static int same_value(const uint8_t *data, const struct ar_tune_const *c)
{
	char *lit = ar_xstrndup((const char *)data + c->offset, c->len);
	double v;
	int ok = ar_parse_double(lit, &v) == 0 && v == c->value;

	free(lit);
	return ok;
}

static void check(const struct ar_tune_const *c, size_t n, size_t size,
                  const uint8_t *data)
{
	size_t i, lines = 1, k;

	for (k = 0; k < size; k++)
		lines += data[k] == '\n';
	for (i = 0; i < n; i++) {
		if (c[i].offset > size || c[i].len == 0 ||
		    c[i].len > size - c[i].offset || c[i].line < 1 ||
		    (size_t)c[i].line > lines || !c[i].name ||
		    !isfinite(c[i].value) ||
		    (c[i].has_range && !(c[i].lo < c[i].hi)) ||
		    !same_value(data, &c[i]))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ar_tune_const *c = NULL;
	size_t n = 0;

	if (ar_tune_scan("train.py", (const char *)data, size, &c, &n) == 0)
		check(c, n, size, data);
	ar_tune_consts_free(c, n);
	ar_error_clear();
	return 0;
}
