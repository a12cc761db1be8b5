/*
 * regex.h - regular expressions.  regex.c is the only file that uses PCRE2
 * (8-bit, JIT when available).
 */
#ifndef AR_REGEX_H
#define AR_REGEX_H

#include <stddef.h>

typedef struct ar_regex ar_regex;

/*
 * Compile `pattern` (multiline: ^ and $ match at line ends).  On a bad
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

#endif
