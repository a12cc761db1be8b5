/*
 * ledger_scan.c - the fast path of ar_ledger_read (see ledger_scan.h): a
 * streaming reader of the JSONL's lines, and a scanner for the result lines
 * ar writes that declines whatever it does not fully understand.
 */
#include "ledger_scan.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

/* ---- tokens --------------------------------------------------------------- */

struct scan {
	const char *p, *end;
};

static void skip_ws(struct scan *s)
{
	while (s->p < s->end &&
	       (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int eat(struct scan *s, char c)
{
	skip_ws(s);
	if (s->p < s->end && *s->p == c) {
		s->p++;
		return 1;
	}
	return 0;
}

static int word(struct scan *s, const char *w)
{
	size_t n = strlen(w);

	skip_ws(s);
	if ((size_t)(s->end - s->p) >= n && !memcmp(s->p, w, n)) {
		s->p += n;
		return 1;
	}
	return 0;
}

static int is_digit(const struct scan *s, const char *q)
{
	return q < s->end && *q >= '0' && *q <= '9';
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/* Length of the valid UTF-8 sequence at p (as jansson checks it: no
 * overlong forms, surrogates or code points past U+10FFFF), 0 if none. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	size_t n, i;
	unsigned cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07;
	else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * A string token: *start and *len span its raw contents; *esc is 0 without
 * escapes, 1 with simple ones (\" \\ \/ \b \f \n \r \t), 2 with \u.
 * 0 when it is not a valid JSON string.
 */
static int str_tok(struct scan *s, const char **start, size_t *len, int *esc)
{
	const unsigned char *p, *end = (const unsigned char *)s->end;
	size_t k;

	skip_ws(s);
	if (s->p >= s->end || *s->p != '"')
		return 0;
	p = (const unsigned char *)s->p + 1;
	*esc = 0;
	while (p < end && *p != '"') {
		if (*p >= 0x20 && *p < 0x80 && *p != '\\') {
			p++;
			continue;
		}
		if (*p < 0x20)
			return 0;
		if (*p == '\\') {
			if (p + 1 >= end)
				return 0;
			if (p[1] == 'u') {
				if (end - p < 6 || !is_hex((char)p[2]) || !is_hex((char)p[3]) ||
				    !is_hex((char)p[4]) || !is_hex((char)p[5]))
					return 0;
				*esc = 2;
				p += 6;
				continue;
			}
			if (!p[1] || !strchr("\"\\/bfnrt", p[1]))
				return 0;
			if (!*esc)
				*esc = 1;
			p += 2;
			continue;
		}
		if (!(k = utf8_len(p, end)))
			return 0;
		p += k;
	}
	if (p >= end)
		return 0;
	*start = s->p + 1;
	*len = (size_t)((const char *)p - *start);
	s->p = (const char *)p + 1;
	return 1;
}

/* The decoded copy of a string token with at most simple escapes. */
static char *str_dup(const char *start, size_t len, int esc)
{
	char *out, *o;
	size_t i;

	if (!esc)
		return ar_xstrndup(start, len);
	out = o = ar_xmalloc(len + 1);
	for (i = 0; i < len; i++) {
		if (start[i] != '\\') {
			*o++ = start[i];
			continue;
		}
		switch (start[++i]) {
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		default: *o++ = start[i]; break;
		}
	}
	*o = '\0';
	return out;
}

/*
 * A decimal without exponent whose digits fit in 2^53 and with at most 22
 * after the point is exactly m / 10^k with both exactly representable, so
 * one division gives the correctly rounded double, as strtod does
 * (Clinger's fast path).  0 when [p, end) is not such a number.
 */
static int exact_decimal(const char *p, const char *end, double *out)
{
	static const double pow10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8,
		1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
		1e21, 1e22 };
	unsigned long long m = 0;
	int neg = *p == '-', frac = -1;

	for (p += neg; p < end; p++) {
		if (*p == '.' && frac < 0) {
			frac = 0;
			continue;
		}
		if (*p < '0' || *p > '9' || m >= (1ULL << 53) / 10)
			return 0;
		m = 10 * m + (unsigned)(*p - '0');
		frac += frac >= 0;
	}
	if (frac > 22)
		return 0;
	*out = (double)m / pow10[frac < 0 ? 0 : frac];
	if (neg)
		*out = -*out;
	return 1;
}

/*
 * A number token in JSON's grammar.  *is_int when it has no fraction or
 * exponent (jansson's integer), then *ll holds it.  Declines integers of
 * more than 18 digits and reals that overflow, which jansson rejects or
 * reads as something else.
 */
static int num_tok(struct scan *s, double *d, long long *ll, int *is_int)
{
	char buf[64];
	const char *p, *q;
	size_t n;

	skip_ws(s);
	p = q = s->p;
	if (q < s->end && *q == '-')
		q++;
	if (!is_digit(s, q))
		return 0;
	if (*q == '0')
		q++;
	else
		while (is_digit(s, q))
			q++;
	*is_int = 1;
	if (q < s->end && *q == '.') {
		if (!is_digit(s, ++q))
			return 0;
		while (is_digit(s, q))
			q++;
		*is_int = 0;
	}
	if (q < s->end && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < s->end && (*q == '+' || *q == '-'))
			q++;
		if (!is_digit(s, q))
			return 0;
		while (is_digit(s, q))
			q++;
		*is_int = 0;
	}
	n = (size_t)(q - p);
	if (n >= sizeof(buf) || (*is_int && n > 18))
		return 0;
	s->p = q;
	if (*is_int) {
		*ll = 0;
		for (q = p + (*p == '-'); q < s->p; q++)
			*ll = 10 * *ll + (*q - '0');
		if (*p == '-')
			*ll = -*ll;
		*d = (double)*ll;
		return 1;
	}
	if (exact_decimal(p, s->p, d))
		return 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	*d = strtod(buf, NULL);
	if (!isfinite(*d)) {
		s->p = p;
		return 0;
	}
	return 1;
}

/* ---- result lines ------------------------------------------------------------ */

enum kind { F_TYPE, F_ITER, F_COMMIT, F_NUM, F_STR, F_INT, F_PASS, F_VALUES, F_NUMS };

struct field {
	const char *key;
	enum kind kind;
	size_t off;     /* of the member in struct ar_result */
	long has_off;   /* of its has_* flag (F_NUMS: its count), -1 when none */
};

#define OFF(m) offsetof(struct ar_result, m)
#define NOFLAG (-1L)

/* Every key ar_ledger_append writes, with what ledger.c's parse_result
 * makes of it.  Keep in step with result_json and parse_result. */
static const struct field fields[] = {
	{ "type", F_TYPE, 0, NOFLAG },
	{ "iteration", F_ITER, OFF(iteration), NOFLAG },
	{ "commit", F_COMMIT, OFF(commit), NOFLAG },
	{ "score", F_NUM, OFF(score), (long)OFF(has_score) },
	{ "delta", F_NUM, OFF(delta), (long)OFF(has_delta) },
	{ "guard_score", F_NUM, OFF(guard_score), (long)OFF(has_guard) },
	{ "guard_pass", F_PASS, OFF(guard_pass), NOFLAG },
	{ "status", F_STR, OFF(status), NOFLAG },
	{ "description", F_STR, OFF(description), NOFLAG },
	{ "memory_gb", F_NUM, OFF(memory_gb), NOFLAG },
	{ "duration_s", F_NUM, OFF(duration_s), NOFLAG },
	{ "timestamp", F_STR, OFF(timestamp), NOFLAG },
	{ "reason", F_STR, OFF(reason), NOFLAG },
	{ "cpu_s", F_NUM, OFF(cpu_s), NOFLAG },
	{ "exit_status", F_INT, OFF(exit_status), NOFLAG },
	{ "values", F_VALUES, 0, NOFLAG },
	{ "lines_added", F_INT, OFF(lines_added), NOFLAG },
	{ "lines_removed", F_INT, OFF(lines_removed), NOFLAG },
	{ "agent", F_STR, OFF(agent), NOFLAG },
	{ "agent_cost_usd", F_NUM, OFF(agent_cost_usd), (long)OFF(has_agent_cost) },
	{ "agent_s", F_NUM, OFF(agent_s), NOFLAG },
	{ "samples", F_NUMS, OFF(samples), (long)OFF(nsamples) },
	{ "spread", F_NUM, OFF(spread), (long)OFF(has_spread) },
	{ "p_value", F_NUM, OFF(p_value), (long)OFF(has_p_value) },
	{ "effect", F_NUM, OFF(effect), NOFLAG },
	{ "best_samples", F_NUMS, OFF(best_samples), (long)OFF(nbest_samples) },
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static int field_is(const struct field *f, const char *key, size_t len)
{
	return strlen(f->key) == len && !memcmp(f->key, key, len);
}

/* The field named key; lines list them in the table's order, so the one
 * after the previous (*hint) is tried first. */
static const struct field *find_field(const char *key, size_t len, size_t *hint)
{
	size_t i;

	if (*hint < NFIELDS && field_is(&fields[*hint], key, len))
		return &fields[(*hint)++];
	for (i = 0; i < NFIELDS; i++)
		if (field_is(&fields[i], key, len)) {
			*hint = i + 1;
			return &fields[i];
		}
	return NULL;
}

/* "values": an object of numbers or nulls, keys without escapes. */
static int scan_values(struct scan *s, struct ar_result *r)
{
	size_t cap = 4, i, len;
	const char *key;
	double d;
	long long ll;
	int esc, is_int;

	if (!eat(s, '{'))
		return 0;
	r->values = ar_xcalloc(cap + 1, sizeof(*r->values));
	if (eat(s, '}'))
		return 1;
	do {
		if (!str_tok(s, &key, &len, &esc) || esc || !eat(s, ':'))
			return 0;
		for (i = 0; i < r->nvalues; i++)
			if (!strncmp(r->values[i].name, key, len) &&
			    !r->values[i].name[len])
				return 0; /* a duplicate: jansson's rule applies */
		if (r->nvalues == cap) {
			r->values = ar_xrealloc(r->values, (2 * cap + 1) * sizeof(*r->values));
			memset(r->values + cap, 0, (cap + 1) * sizeof(*r->values));
			cap *= 2;
		}
		struct ar_value *v = &r->values[r->nvalues];
		if (!word(s, "null")) {
			if (!num_tok(s, &d, &ll, &is_int))
				return 0;
			v->has_value = 1;
			v->value = d;
		}
		v->name = ar_xstrndup(key, len);
		r->nvalues++;
	} while (eat(s, ','));
	return eat(s, '}');
}

/* An array of numbers and nulls; the nulls are skipped (as ledger.c's
 * get_numbers does).  *out is allocated even for "[]". */
static int scan_nums(struct scan *s, double **out, size_t *n)
{
	size_t cap = 4;
	double d;
	long long ll;
	int is_int;

	if (!eat(s, '['))
		return 0;
	*out = ar_xcalloc(cap, sizeof(**out));
	if (eat(s, ']'))
		return 1;
	do {
		if (word(s, "null"))
			continue;
		if (!num_tok(s, &d, &ll, &is_int))
			return 0;
		if (*n == cap) {
			cap *= 2;
			*out = ar_xrealloc(*out, cap * sizeof(**out));
		}
		(*out)[(*n)++] = d;
	} while (eat(s, ','));
	return eat(s, ']');
}

/* The value of field f into r; null keeps the default. */
static int scan_field(struct scan *s, const struct field *f,
                      struct ar_result *r, int *is_result)
{
	char *base = (char *)r, *tmp;
	const char *str;
	size_t len;
	double d;
	long long ll;
	int esc, is_int;

	if (f->kind != F_TYPE && f->kind != F_ITER && word(s, "null"))
		return 1;
	switch (f->kind) {
	case F_TYPE:
		*is_result = str_tok(s, &str, &len, &esc) && !esc && len == 6 &&
		             !memcmp(str, "result", 6);
		return *is_result;
	case F_ITER:
	case F_INT:
		if (!num_tok(s, &d, &ll, &is_int) || !is_int)
			return 0;
		if (f->kind == F_ITER)
			r->iteration = (long)ll;
		else
			*(int *)(base + f->off) = (int)(long)ll;
		return 1;
	case F_NUM:
		if (!num_tok(s, &d, &ll, &is_int))
			return 0;
		*(double *)(base + f->off) = d;
		if (f->has_off >= 0)
			*(int *)(base + f->has_off) = 1;
		return 1;
	case F_STR:
	case F_COMMIT:
		if (!str_tok(s, &str, &len, &esc) || esc > 1)
			return 0;
		tmp = str_dup(str, len, esc);
		if (f->kind == F_COMMIT) {
			snprintf(r->commit, sizeof(r->commit), "%s", tmp);
			free(tmp);
		} else {
			*(char **)(base + f->off) = tmp;
		}
		return 1;
	case F_PASS:
		if (word(s, "true") || word(s, "false")) {
			r->guard_pass = s->p[-2] == 'u'; /* tr(u)e, fal(s)e */
			return 1;
		}
		if (!num_tok(s, &d, &ll, &is_int) || !is_int)
			return 0;
		r->guard_pass = ll != 0;
		return 1;
	case F_VALUES:
		return scan_values(s, r);
	case F_NUMS:
		return scan_nums(s, (double **)(void *)(base + f->off),
		                 (size_t *)(void *)(base + f->has_off));
	}
	return 0;
}

int ar_ledger__scan_result(const char *text, size_t len, struct ar_result *r)
{
	struct scan s = { text, text + len };
	unsigned long seen = 0, bit;
	const struct field *f;
	const char *key;
	size_t klen, hint = 0;
	int esc, is_result = 0, ok = 0;

	memset(r, 0, sizeof(*r));
	r->guard_pass = -1;
	if (!eat(&s, '{') || eat(&s, '}'))
		goto out;
	do {
		if (!str_tok(&s, &key, &klen, &esc) || esc ||
		    !(f = find_field(key, klen, &hint)))
			goto out;
		bit = 1UL << (f - fields);
		if ((seen & bit) || !eat(&s, ':') || !scan_field(&s, f, r, &is_result))
			goto out;
		seen |= bit;
	} while (eat(&s, ','));
	if (!eat(&s, '}'))
		goto out;
	skip_ws(&s);
	ok = s.p == s.end && is_result && (seen & 2UL) && r->status;
out:
	if (!ok)
		ar_result_release(r);
	else if (!r->description)
		r->description = ar_xstrdup("");
	return ok;
}

/* ---- lines ---------------------------------------------------------------------- */

#define CHUNK ((size_t)1 << 20)

int ar_ledger_lines_open(struct ar_ledger_lines *lr, const char *path)
{
	struct stat st;

	memset(lr, 0, sizeof(*lr));
	/* O_NONBLOCK so a FIFO cannot hang the open; it is refused below. */
	lr->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (lr->fd < 0)
		return ar_error_set(errno == ENOENT ? AR_ENOTFOUND : AR_ERROR,
		                    "cannot read %s: %s", path, strerror(errno));
	if (fstat(lr->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		ar_ledger_lines_close(lr);
		return ar_error_set(AR_ERROR, "cannot read %s: not a regular file "
		                    "(a device, pipe or directory?)", path);
	}
	fcntl(lr->fd, F_SETFL, fcntl(lr->fd, F_GETFL) & ~O_NONBLOCK);
	return 0;
}

void ar_ledger_lines_close(struct ar_ledger_lines *lr)
{
	if (lr->fd >= 0)
		close(lr->fd);
	free(lr->buf);
	memset(lr, 0, sizeof(*lr));
	lr->fd = -1;
}

/*
 * Read more, first moving buf[keep..len) to the front (*shift says by how
 * much, for the caller's offsets).  1: read some; 0: end of file.
 */
static int fill(struct ar_ledger_lines *lr, const char *path, size_t keep,
                size_t *shift)
{
	ssize_t got;

	*shift = keep;
	if (keep)
		memmove(lr->buf, lr->buf + keep, lr->len - keep);
	lr->len -= keep;
	lr->start -= keep;
	if (lr->cap - lr->len < CHUNK) {
		lr->cap = lr->len + CHUNK + 1;
		lr->buf = ar_xrealloc(lr->buf, lr->cap);
	}
	while ((got = read(lr->fd, lr->buf + lr->len, lr->cap - lr->len - 1)) < 0)
		if (errno != EINTR)
			return ar_error_set(AR_ERROR, "reading %s: %s", path,
			                    strerror(errno));
	lr->len += (size_t)got;
	lr->eof = got == 0;
	return got > 0;
}

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0';
}

/* Whether a non-blank byte follows offset pos (reading ahead as needed,
 * keeping buf[*b..]); 1 when none does. */
static int is_last(struct ar_ledger_lines *lr, const char *path, size_t *b,
                   size_t *e, int *err)
{
	size_t pos = lr->start, shift;
	int rc;

	for (;;) {
		while (pos < lr->len && blank(lr->buf[pos]))
			pos++;
		if (pos < lr->len)
			return 0;
		if (lr->eof)
			return 1;
		if ((rc = fill(lr, path, *b, &shift)) < 0) {
			*err = rc;
			return 1;
		}
		*b -= shift;
		*e -= shift;
		pos -= shift;
	}
}

int ar_ledger_lines_next(struct ar_ledger_lines *lr, const char *path,
                         struct ar_ledger_line *out)
{
	size_t b, e, i, shift;
	const char *nl;
	int rc, err = 0;

	for (;;) {
		nl = lr->len > lr->start
		     ? memchr(lr->buf + lr->start, '\n', lr->len - lr->start) : NULL;
		if (!nl && !lr->eof) {
			if ((rc = fill(lr, path, lr->start, &shift)) < 0)
				return rc;
			continue;
		}
		if (!nl && lr->start >= lr->len)
			return 0;
		b = lr->start;
		e = nl ? (size_t)(nl - lr->buf) : lr->len;
		lr->start = nl ? e + 1 : lr->len;
		lr->lineno++;
		for (i = b; i < e && blank(lr->buf[i]); i++)
			;
		if (i < e)
			break;
	}
	out->last = is_last(lr, path, &b, &e, &err);
	if (err < 0)
		return err;
	out->text = lr->buf + b;
	out->len = e - b;
	out->lineno = lr->lineno;
	return 1;
}
