/*
 * regex.c - regular expressions on PCRE2 (8-bit).  The only file in `ar`
 * that includes pcre2.h.
 *
 * Patterns compile with PCRE2_MULTILINE and are JIT-compiled when the
 * library supports it; when JIT is unavailable (not built in, or refused
 * by the system, e.g. no executable memory) matching falls back silently
 * to the interpreter.  A compiled ar_regex is read-only after compilation:
 * each search makes its own match data, so one ar_regex may be shared
 * between threads.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdlib.h>

#include "regex.h"
#include "util.h"

struct ar_regex {
	pcre2_code *code; /* owned */
	char *pattern;    /* owned copy of the source text */
	int jit;          /* 1 when pcre2_jit_compile succeeded */
};

int ar_regex_compile(ar_regex **out, const char *pattern)
{
	pcre2_code *code;
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE erroff = 0;
	int errcode = 0;
	ar_regex *re;

	*out = NULL;
	if (!pattern)
		return ar_error_set(AR_EUSAGE, "no regex given");
	code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	                     PCRE2_MULTILINE, &errcode, &erroff, NULL);
	if (!code) {
		if (pcre2_get_error_message(errcode, msg, sizeof(msg)) < 0)
			msg[0] = '\0';
		return ar_error_set(AR_EUSAGE, "bad regex '%s': %s at offset %zu",
		                    pattern, (const char *)msg, (size_t)erroff);
	}
	re = ar_xcalloc(1, sizeof(*re));
	re->code = code;
	re->pattern = ar_xstrdup(pattern);
	/* Any failure here (PCRE2_ERROR_JIT_BADOPTION when JIT is not built
	 * in, or no memory for executable code) just means: interpret. */
	re->jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
	*out = re;
	return 0;
}

void ar_regex_free(ar_regex *re)
{
	if (!re)
		return;
	pcre2_code_free(re->code);
	free(re->pattern);
	free(re);
}

const char *ar_regex_pattern(const ar_regex *re)
{
	return re ? re->pattern : "";
}

/* Run one match; JIT first, the interpreter when the JIT stack is too
 * small for this subject.  Returns PCRE2's code. */
static int run_match(const ar_regex *re, PCRE2_SPTR s, size_t len,
                     size_t offset, pcre2_match_data *md)
{
	int rc = PCRE2_ERROR_JIT_STACKLIMIT;

	if (re->jit)
		rc = pcre2_jit_match(re->code, s, len, offset, 0, md, NULL);
	if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
		rc = pcre2_match(re->code, s, len, offset, PCRE2_NO_JIT, md, NULL);
	return rc;
}

static void set_out(size_t *p, size_t v)
{
	if (p)
		*p = v;
}

int ar_regex_search(const ar_regex *re, const char *subject, size_t len,
                    size_t offset, size_t *mstart, size_t *mend,
                    size_t *gstart, size_t *gend)
{
	pcre2_match_data *md;
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE *ov;
	int rc;

	if (offset > len)
		return 0;
	md = pcre2_match_data_create_from_pattern(re->code, NULL);
	if (!md)
		return ar_error_set(AR_ERROR, "out of memory matching regex '%s'",
		                    re->pattern);
	rc = run_match(re, (PCRE2_SPTR)(subject ? subject : ""), len, offset, md);
	if (rc == PCRE2_ERROR_NOMATCH) {
		rc = 0;
	} else if (rc < 0) {
		if (pcre2_get_error_message(rc, msg, sizeof(msg)) < 0)
			msg[0] = '\0';
		rc = ar_error_set(AR_ERROR, "regex '%s' failed: %s; simplify the pattern",
		                  re->pattern, (const char *)msg);
	} else {
		ov = pcre2_get_ovector_pointer(md);
		set_out(mstart, ov[0]);
		set_out(mend, ov[1]);
		if (pcre2_get_ovector_count(md) < 2) {
			set_out(gstart, ov[0]);
			set_out(gend, ov[1]);
		} else if (ov[2] == PCRE2_UNSET) { /* group not taken: empty */
			set_out(gstart, ov[0]);
			set_out(gend, ov[0]);
		} else {
			set_out(gstart, ov[2]);
			set_out(gend, ov[3]);
		}
		rc = 1;
	}
	pcre2_match_data_free(md);
	return rc;
}
