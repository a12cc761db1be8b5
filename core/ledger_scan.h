/*
 * ledger_scan.h - reading autoresearch.jsonl fast: a streaming line reader
 * and a scanner for the result lines `ar` writes, used by ledger.c's
 * ar_ledger_read (internal to the ledger and the reporting modules).
 *
 * The scanner is a fast path, not a second definition of the format: it
 * accepts a line only when every key is one it knows, with the type
 * ar_ledger_append writes, and no construct it does not decode (an unknown
 * or duplicate key, a \u escape, a number out of range, a syntax error).
 * Anything else it declines, and ledger.c parses that line with jansson as
 * before, so both paths read every line the same way.  A field added to
 * struct ar_result and to the JSON must be added to the table in
 * ledger_scan.c too, or lines carrying it take the (correct, slower)
 * jansson path; tests/unit/test_ledger_scan.c fails until it is.
 */
#ifndef AR_LEDGER_SCAN_H
#define AR_LEDGER_SCAN_H

#include <stddef.h>
#include "ledger.h"

/*
 * Scan one result line.  1: *r is filled (owned; ar_result_release);
 * 0: declined, *r is left zeroed (guard_pass -1) for the jansson path.
 */
int ar_ledger__scan_result(const char *text, size_t len, struct ar_result *r);

/* A streaming reader of the non-blank lines of a file. */
struct ar_ledger_lines {
	int fd;
	char *buf;      /* owned; holds the current line and what follows */
	size_t start;   /* where the unread part begins */
	size_t len;
	size_t cap;
	size_t lineno;  /* of the line last returned, 1-based */
	int eof;
};
struct ar_ledger_line {
	const char *text; /* borrowed; valid until the next call */
	size_t len;       /* without the newline */
	size_t lineno;    /* 1-based */
	int last;         /* no non-blank line follows */
};

/* Open path for reading; AR_ENOTFOUND when absent (message set). */
int ar_ledger_lines_open(struct ar_ledger_lines *lr, const char *path);
/* 1 with *out filled, 0 at the end, negative on a read error. */
int ar_ledger_lines_next(struct ar_ledger_lines *lr, const char *path,
                         struct ar_ledger_line *out);
void ar_ledger_lines_close(struct ar_ledger_lines *lr);

#endif
