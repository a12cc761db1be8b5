/*
 * metric.h - reading numbers out of a run: from its log, from a command's
 * output, and combined by an expression.
 *
 * The log is scanned from its end backwards in blocks, so the last match in
 * a 1 GiB log costs a read of the last few MiB, with bounded memory.
 */
#ifndef AR_METRIC_H
#define AR_METRIC_H

#include <stddef.h>
#include "regex.h"

/*
 * The value of the last match of `re` in the file at `path`: the first
 * capture group (or the whole match) must be a finite number.  Returns 0,
 * AR_ENOTFOUND ("no line matching '...' in run.log"), or AR_ERROR (the match
 * is not a number, NaN, inf; unreadable file) with the reason set.
 */
int ar_metric_from_log(const char *path, const ar_regex *re, double *out);
/* Same, on a string pattern (compiled here). */
int ar_metric_from_log_pattern(const char *path, const char *pattern, double *out);

/*
 * The default convention when no pattern is configured: the last line that
 * is `<name>: <number>` (karpathy) or `METRIC <name>=<number>`
 * (pi-autoresearch), whichever is later in the file.
 */
int ar_metric_from_log_default(const char *path, const char *name, double *out);

/*
 * The last number in a piece of text (the output of a metric command).
 * `pytest -q` style "12 passed, 3 failed": with want_rate = 0 the pass count,
 * with want_rate = 1 the pass rate passed/(passed+failed).
 */
int ar_metric_from_text(const char *text, size_t len, int want_rate, double *out);

/*
 * Arithmetic expressions over named values: + - * / ( ), numbers, names.
 * ar_expr_eval looks names up in (names[i], values[i]).
 */
typedef struct ar_expr ar_expr;
int ar_expr_parse(ar_expr **out, const char *text);
int ar_expr_eval(const ar_expr *e, const char *const *names,
                 const double *values, size_t n, double *out);
/* The i-th distinct name used by the expression, or NULL past the end. */
const char *ar_expr_name(const ar_expr *e, size_t i);
void ar_expr_free(ar_expr *e);

#endif
