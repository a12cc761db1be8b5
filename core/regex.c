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

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "regex.h"
#include "util.h"

struct ar_regex {
	pcre2_code *code; /* owned */
	char *pattern;    /* owned copy of the source text */
	int jit;          /* 1 when pcre2_jit_compile succeeded */
	char *lit;        /* owned: what ar_regex_literal answers, or NULL */
	size_t litlen;
};

static void required_literal(ar_regex *re);

int ar_regex_compile(ar_regex **out, const char *pattern)
{
	pcre2_compile_context *cc;
	pcre2_code *code;
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE erroff = 0;
	int errcode = 0;
	ar_regex *re;

	*out = NULL;
	if (!pattern)
		return ar_error_set(AR_EUSAGE, "no regex given");
	/* Lines end at "\n", as metric.c splits them, whatever the library's
	 * default newline convention. */
	cc = pcre2_compile_context_create(NULL);
	if (!cc || pcre2_set_newline(cc, PCRE2_NEWLINE_LF) != 0) {
		pcre2_compile_context_free(cc);
		return ar_error_set(AR_ERROR, "out of memory compiling regex '%s'",
		                    pattern);
	}
	code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	                     PCRE2_MULTILINE, &errcode, &erroff, cc);
	pcre2_compile_context_free(cc);
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
	required_literal(re);
	*out = re;
	return 0;
}

void ar_regex_free(ar_regex *re)
{
	if (!re)
		return;
	pcre2_code_free(re->code);
	free(re->pattern);
	free(re->lit);
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

/* ---- a literal that every match contains ---- */

/*
 * The pattern is read left to right, one group at a time.  A run is a
 * sequence of plain characters in one group; it ends at anything else (a
 * class, an escape like \d, a group, ^ $ .), and a quantifier that allows
 * zero repeats takes its character back out of the run.  A group's best
 * run is required only if the group has no alternatives and is not
 * optional.  Anything this reading does not follow gives up: no hint is
 * always a correct answer.
 */
struct litscan {
	const char *p; /* the next pattern byte */
	int bad;       /* gave up */
};

/* Keep the longer of *best and run (the earlier when as long). */
static void lit_keep(ar_buf *best, const ar_buf *run)
{
	if (run->len > best->len) {
		ar_buf_clear(best);
		ar_buf_add(best, run->ptr, run->len);
	}
}

/* After a backslash: the byte a literal escape stands for, -1 for a
 * non-literal one that is one character (\d \s \b ...), -2 to give up. */
static int lit_escape(struct litscan *s)
{
	static const char simple[] = "dDsSwWhHvVRbBn";
	unsigned char c = (unsigned char)*s->p;

	if (c == '\0')
		return -2;
	s->p++;
	if (!isalnum(c))
		return c; /* \. \: \  \\ and bytes >= 0x80 */
	if (strchr(simple, c) || (c == 'N' && *s->p != '{'))
		return -1;
	if (c == 't')
		return '\t';
	if (c == 'r')
		return '\r';
	if (c == 'f')
		return '\f';
	if (c == 'e')
		return 27;
	if (c == 'a')
		return 7;
	return -2; /* \x \o \c \Q \E \p \g \k \K \A \z \G digits ... */
}

/* The end of a POSIX class "[:name:]" at p (just after its ':]'), or
 * NULL when p does not start one: as PCRE2 reads it, a ']' or "[:" before
 * the ":]" means p's '[' is a plain member. */
static const char *posix_class_end(const char *p)
{
	if (p[0] != '[' || p[1] != ':')
		return NULL;
	for (p += 2; *p; p++) {
		if (*p == '\\' && (p[1] == ']' || p[1] == '\\'))
			p++;
		else if ((p[0] == '[' && p[1] == ':') || *p == ']')
			return NULL;
		else if (p[0] == ':' && p[1] == ']')
			return p + 2;
	}
	return NULL;
}

/* Skip a class; s->p is just after its '['. */
static void lit_class(struct litscan *s)
{
	const char *p = s->p, *end;

	if (*p == '^')
		p++;
	if (*p == ']')
		p++; /* a leading ']' is a member */
	while (*p && *p != ']') {
		if (*p == '\\') {
			if (!p[1] || p[1] == 'Q' || p[1] == 'E')
				break;
			p += 2;
		} else if ((end = posix_class_end(p))) {
			p = end; /* [:alpha:] */
		} else {
			p++;
		}
	}
	s->bad |= *p != ']';
	s->p = *p ? p + 1 : p;
}

/* A quantifier at s->p, skipped with its lazy or possessive suffix: its
 * minimum (0, or 1 standing for any more), -1 when there is none, -2 to
 * give up (a '{' that is not a plain {n}, {n,} or {n,m}). */
static int lit_quant(struct litscan *s)
{
	const char *p = s->p;
	int min;

	if (*p == '*' || *p == '?') {
		min = 0;
		p++;
	} else if (*p == '+') {
		min = 1;
		p++;
	} else if (*p == '{') {
		if (!isdigit((unsigned char)*++p))
			return -2;
		min = 0;
		for (; isdigit((unsigned char)*p); p++)
			min |= *p != '0';
		if (*p == ',')
			for (p++; isdigit((unsigned char)*p); p++)
				;
		if (*p++ != '}')
			return -2;
	} else {
		return -1;
	}
	if (*p == '?' || *p == '+')
		p++;
	s->p = p;
	return min;
}

static int lit_seq(struct litscan *s, ar_buf *best, int depth);

/* A group; s->p is just after its '('.  Its best run goes into *best
 * when the group is required.  Returns 1 when a quantifier followed it. */
static int lit_group(struct litscan *s, ar_buf *best, int depth)
{
	ar_buf inner = AR_BUF_INIT;
	const char *p = s->p;
	int alt, min = -1;

	if (*p == '?') { /* (?: (?| (?> (?<name> (?P<name> (?'name' */
		p++;
		if (*p == ':' || *p == '|' || *p == '>')
			p++;
		else if ((*p == '<' && (isalpha((unsigned char)p[1]) || p[1] == '_')) ||
		         (*p == 'P' && p[1] == '<') || *p == '\'')
			p += strcspn(p + 1, ">'") + 2;
		else
			s->bad = 1; /* lookarounds, options, comments, calls ... */
	} else if (*p == '*') {
		s->bad = 1; /* (*VERB) */
	}
	s->bad |= depth > 250 || p[-1] == '\0';
	if (s->bad)
		goto out;
	s->p = p;
	alt = lit_seq(s, &inner, depth + 1);
	if (*s->p != ')') {
		s->bad = 1;
		goto out;
	}
	s->p++;
	min = lit_quant(s);
	s->bad |= min == -2;
	if (!alt && min != 0)
		lit_keep(best, &inner);
out:
	ar_buf_release(&inner);
	return min >= 0;
}

/* A sequence up to its group's ')' or the pattern's end: its longest
 * required run into *best.  Returns 1 when it has alternatives. */
static int lit_seq(struct litscan *s, ar_buf *best, int depth)
{
	enum { NONE, BYTE, OTHER, ANCHOR, REPEATED } atom = NONE;
	ar_buf run = AR_BUF_INIT;
	int alt = 0, c, min;

	while (!s->bad && *s->p && *s->p != ')') {
		c = (unsigned char)*s->p;
		if (strchr("*+?{", c)) {
			min = lit_quant(s);
			s->bad |= min < 0 || atom == NONE || atom == ANCHOR ||
			          atom == REPEATED;
			if (atom == BYTE && min == 0)
				run.len--; /* x? x* x{0}: x is not required */
			atom = REPEATED;
		} else if (c == '\\') {
			s->p++;
			c = lit_escape(s);
			s->bad |= c == -2;
			atom = c >= 0 && c != '\n' ? BYTE : OTHER;
		} else {
			s->p++;
			atom = strchr("|([.^$\n", c) ? OTHER : BYTE;
			if (c == '^' || c == '$')
				atom = ANCHOR;
			else if (c == '|')
				atom = NONE;
			else if (c == '(' && lit_group(s, best, depth))
				atom = REPEATED;
			else if (c == '[')
				lit_class(s);
			alt |= c == '|';
		}
		if (atom == BYTE) {
			ar_buf_addch(&run, (char)c);
		} else {
			lit_keep(best, &run);
			ar_buf_clear(&run);
		}
	}
	lit_keep(best, &run);
	ar_buf_release(&run);
	return alt;
}

static void required_literal(ar_regex *re)
{
	struct litscan s = { re->pattern, 0 };
	ar_buf best = AR_BUF_INIT;
	int alt = lit_seq(&s, &best, 0);

	if (!s.bad && !alt && !*s.p && best.len > 0) {
		re->litlen = best.len;
		re->lit = ar_buf_detach(&best);
	}
	ar_buf_release(&best);
}

const char *ar_regex_literal(const ar_regex *re, size_t *len)
{
	*len = re ? re->litlen : 0;
	return re ? re->lit : NULL;
}
