/*
 * metric.h - reading numbers out of a run: from its log, from a command's
 * output, and combined by an expression.
 *
 * The log is scanned from its end backwards in blocks, so the last match in
 * a 1 GiB log costs a read of the last few MiB, with bounded memory.  A
 * line longer than a block (1 MiB) is skipped.  Where the whole log must
 * be read (the only match is near its start), a big log is scanned by
 * several threads at once, in chunks.
 */
#ifndef AR_METRIC_H
#define AR_METRIC_H

#include <stddef.h>
#include <stdint.h>
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

/*
 * Internal, for tests and benchmarks: how ar_metric_from_log* read a log.
 * The answers never depend on it, only the speed.  split_min: logs from
 * this many bytes on are scanned in chunks of `chunk` bytes by several
 * threads (0: the defaults, 64 MiB and 16 MiB, chunks only when there is
 * more than one CPU; other values apply on one CPU too, with one thread;
 * UINT64_MAX: never); no_mmap: read with pread, as when mmap is refused;
 * no_literal: run the regex over every line, without first searching for
 * a literal its matches must hold.  NULL restores the defaults.
 * Process-wide and not thread-safe: set it before scanning.
 */
struct ar_metric__tuning {
	uint64_t split_min;
	uint64_t chunk;
	int no_mmap;
	int no_literal;
};
void ar_metric__tune(const struct ar_metric__tuning *t);

#endif
