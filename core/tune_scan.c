/*
 * tune_scan.c - the tuner's constant finder (see tune.h for what counts).
 * A hand-written scanner, one line at a time: no regex engine, bounded
 * work per byte, safe on any input (it is fuzzed).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "tune.h"

struct line {
	const char *p;      /* start of the line */
	size_t len;
	int no;             /* 1-based */
	size_t at;          /* offset of p in the file */
};

static int is_ident_start(int c) { return isalpha(c) || c == '_'; }
static int is_ident(int c) { return isalnum(c) || c == '_'; }

static size_t skip_blanks(const struct line *l, size_t i)
{
	while (i < l->len && (l->p[i] == ' ' || l->p[i] == '\t'))
		i++;
	return i;
}

/* A number literal at i: [-+]digits[.digits][e[-+]digits].  Returns its
 * length (0 when none) and whether it is an integer / in exponent form. */
static size_t number_at(const struct line *l, size_t i, int *is_int, int *exp)
{
	size_t j = i, digits = 0;

	*is_int = 1;
	*exp = 0;
	if (j < l->len && (l->p[j] == '-' || l->p[j] == '+'))
		j++;
	while (j < l->len && isdigit((unsigned char)l->p[j]))
		j++, digits++;
	if (j < l->len && l->p[j] == '.') {
		*is_int = 0;
		for (j++; j < l->len && isdigit((unsigned char)l->p[j]); j++)
			digits++;
	}
	if (!digits)
		return 0;
	if (j < l->len && (l->p[j] == 'e' || l->p[j] == 'E')) {
		size_t k = j + 1;
		if (k < l->len && (l->p[k] == '-' || l->p[k] == '+'))
			k++;
		if (k < l->len && isdigit((unsigned char)l->p[k])) {
			while (k < l->len && isdigit((unsigned char)l->p[k]))
				k++;
			j = k;
			*is_int = 0;
			*exp = 1;
		}
	}
	/* 0x10, 12px, 3.5f, 1_000: not a plain constant. */
	if (j < l->len && (is_ident(l->p[j]) || l->p[j] == '.'))
		return 0;
	return j - i;
}

/* Where a comment starts at i, or 0. */
static int comment_at(const struct line *l, size_t i)
{
	if (l->p[i] == '#')
		return 1;
	return i + 1 < l->len && l->p[i] == '/' && (l->p[i + 1] == '/' || l->p[i + 1] == '*');
}

/* After the literal only ';' ',' blanks and a comment may follow. */
static int rest_is_empty(const struct line *l, size_t i)
{
	for (; i < l->len; i++) {
		if (l->p[i] == ';' || l->p[i] == ',' || l->p[i] == ' ' ||
		    l->p[i] == '\t' || l->p[i] == '\r')
			continue;
		return comment_at(l, i);
	}
	return 1;
}

/* The value after `NAME =`, `NAME:`, `"NAME":` or `#define NAME`: the
 * literal's start, or (size_t)-1. */
static size_t value_start(const struct line *l, size_t *name_at, size_t *name_len)
{
	size_t i = skip_blanks(l, 0), last = (size_t)-1, last_len = 0, j;
	int quoted;

	if (l->len - i > 7 && !strncmp(l->p + i, "#define", 7) &&
	    (l->p[i + 7] == ' ' || l->p[i + 7] == '\t')) {
		i = skip_blanks(l, i + 7);
		for (j = i; j < l->len && is_ident(l->p[j]); j++)
			;
		if (j == i || !is_ident_start(l->p[i]))
			return (size_t)-1;
		*name_at = i;
		*name_len = j - i;
		return skip_blanks(l, j);
	}
	if (i < l->len && comment_at(l, i))
		return (size_t)-1;
	/* Words up to '=' or ':'; the last identifier names the constant. */
	while (i < l->len) {
		quoted = l->p[i] == '"' || l->p[i] == '\'';
		j = i + quoted;
		if (j >= l->len || !is_ident_start(l->p[j]))
			return (size_t)-1;
		while (j < l->len && (is_ident(l->p[j]) ||
		       (l->p[j] == '.' && j + 1 < l->len && is_ident_start(l->p[j + 1]))))
			j++;
		last = i + quoted;
		last_len = j - last;
		if (quoted) {
			if (j >= l->len || l->p[j] != l->p[i])
				return (size_t)-1;
			j++;
		}
		i = skip_blanks(l, j);
		if (i >= l->len)
			return (size_t)-1;
		if (l->p[i] == '=' || l->p[i] == ':') {
			char op = l->p[i];
			if (i + 1 < l->len && (l->p[i + 1] == '=' || l->p[i + 1] == ':'))
				return (size_t)-1;
			if (op == ':') {
				/* `x: int = 3` - a type annotation: look for '='. */
				size_t k = i + 1;
				while (k < l->len && l->p[k] != '=' && l->p[k] != '#')
					k++;
				if (k < l->len && l->p[k] == '=' && (k + 1 >= l->len || l->p[k + 1] != '='))
					i = k;
			}
			*name_at = last;
			*name_len = last_len;
			return skip_blanks(l, i + 1);
		}
		if (quoted)
			return (size_t)-1;
	}
	return (size_t)-1;
}

/* Parse "lo..hi" and "log" after an "ar: tune" marker. */
static int parse_marker(const char *path, const struct line *l, size_t i,
                        struct ar_tune_const *c)
{
	char buf[128];
	size_t n = 0;
	char *tok, *save = NULL, *dots;

	while (i < l->len && n + 1 < sizeof(buf) && l->p[i] != '\r')
		buf[n++] = l->p[i++];
	buf[n] = '\0';
	for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (!strcmp(tok, "log")) {
			c->log_scale = 1;
			continue;
		}
		if (!(dots = strstr(tok, "..")))
			break; /* the rest of the comment is prose */
		*dots = '\0';
		if (ar_parse_double(tok, &c->lo) < 0 || ar_parse_double(dots + 2, &c->hi) < 0 ||
		    c->lo >= c->hi)
			return ar_error_set(AR_EUSAGE, "%s:%d: bad range in `ar: tune` "
			                    "marker: write LOW..HIGH with LOW < HIGH, "
			                    "e.g. `ar: tune 1e-4..1e-1 log`", path, l->no);
		c->has_range = 1;
	}
	if (c->log_scale && c->has_range && c->lo <= 0)
		return ar_error_set(AR_EUSAGE, "%s:%d: a `log` range must be positive "
		                    "(got %g..%g)", path, l->no, c->lo, c->hi);
	return 0;
}

/* The "ar: tune" marker in the line's comment: its index after the
 * words, or 0 when there is none. */
static size_t marker_at(const struct line *l)
{
	for (size_t i = 0; i + 8 <= l->len; i++)
		if (!memcmp(l->p + i, "ar: tune", 8) &&
		    (i + 8 == l->len || l->p[i + 8] == ' ' || l->p[i + 8] == '\t' ||
		     l->p[i + 8] == '\r'))
			return i + 8;
	return 0;
}

static int scan_line(const char *path, const struct line *l,
                     struct ar_tune_const **out, size_t *n)
{
	size_t name_at = 0, name_len = 0, v, len, m;
	struct ar_tune_const c;
	int is_int, exp;
	char *lit;

	v = value_start(l, &name_at, &name_len);
	if (v == (size_t)-1 || v >= l->len)
		return 0;
	if (!(len = number_at(l, v, &is_int, &exp)) || !rest_is_empty(l, v + len))
		return 0;
	memset(&c, 0, sizeof(c));
	lit = ar_xstrndup(l->p + v, len);
	if (ar_parse_double(lit, &c.value) < 0) {
		free(lit);
		return 0;
	}
	free(lit);
	if ((m = marker_at(l)) != 0) {
		int err;
		c.marked = 1;
		if ((err = parse_marker(path, l, m, &c)) < 0)
			return err;
	}
	c.name = ar_xstrndup(l->p + name_at, name_len);
	c.line = l->no;
	c.offset = l->at + v;
	c.len = len;
	c.is_int = is_int;
	c.exp_style = exp;
	*out = ar_xrealloc(*out, (*n + 1) * sizeof(**out));
	(*out)[(*n)++] = c;
	return 0;
}

int ar_tune_scan(const char *path, const char *text, size_t len,
                 struct ar_tune_const **out, size_t *n)
{
	struct line l;
	size_t pos = 0;
	int no = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		l.p = text + pos;
		l.len = end - pos;
		l.no = ++no;
		l.at = pos;
		if (memchr(l.p, '\0', l.len))
			return ar_error_set(AR_EUSAGE, "%s: a binary file cannot be tuned", path);
		int err = scan_line(path, &l, out, n);
		if (err < 0)
			return err;
		pos = nl ? end + 1 : len;
	}
	return 0;
}

void ar_tune_consts_free(struct ar_tune_const *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(c[i].name);
	free(c);
}
