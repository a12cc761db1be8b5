/*
 * regex.h - regular expressions.  regex.c is the only file that uses PCRE2
 * (8-bit, JIT when available).
 */
#ifndef AR_REGEX_H
#define AR_REGEX_H

#include <stddef.h>

typedef struct ar_regex ar_regex;

/*
 * Compile `pattern` (multiline: ^ and $ match at line ends, and a line
 * ends at "\n" whatever newline convention PCRE2 was built with).  On a bad
 * pattern returns AR_EUSAGE with PCRE2's message and the offset in
 * ar_error_last(): "bad regex '(x': missing closing parenthesis at offset 2".
 * *out is the caller's: ar_regex_free().
 */
int ar_regex_compile(ar_regex **out, const char *pattern);
void ar_regex_free(ar_regex *re);
/* The pattern as given to ar_regex_compile (borrowed from re). */
const char *ar_regex_pattern(const ar_regex *re);

/*
 * Find the first match in subject[0..len).  Returns 1 on a match, 0 on none,
 * negative on error.  On a match, *mstart and *mend delimit the whole match and
 * *gstart and *gend the first capture group (or the whole match if the pattern
 * has no group).  Any out pointer may be NULL.
 */
int ar_regex_search(const ar_regex *re, const char *subject, size_t len,
                    size_t offset, size_t *mstart, size_t *mend,
                    size_t *gstart, size_t *gend);

/*
 * A byte string that every match of `re` contains, read from the pattern
 * at compile time, so that a caller can skip text without it before
 * running the regex: the longest run of plain characters that no
 * alternative (|), optional quantifier (? * {0,...}) or class leaves out.
 * "loss=" for "^loss=(\S+)", "val_bpb:" for "(?:^val_bpb:)\s*(.*)",
 * NULL for "^(\d+|nan)$" (no byte is required there) and for
 * patterns using syntax this reading does not follow (lookarounds, inline
 * options, \Q...\E, backreferences, ...): NULL only means "no hint".  The
 * string has no newline.  Borrowed from re; *len gets its length (0 with NULL).
 */
const char *ar_regex_literal(const ar_regex *re, size_t *len);

#endif
