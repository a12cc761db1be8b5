/*
 * expr.c - arithmetic expressions for composite metrics:
 * "0.8*precision + 0.2*mrr".
 *
 *   expr    := term (('+' | '-') term)*
 *   term    := unary (('*' | '/') unary)*
 *   unary   := ('-' | '+') unary | primary
 *   primary := number | name | '(' expr ')'
 *   number  := digits ['.' digits] [('e'|'E') ['+'|'-'] digits] | '.' digits
 *   name    := [A-Za-z_][A-Za-z0-9_.]*
 *
 * A recursive-descent parser compiles the text to a postfix program that
 * ar_expr_eval runs on a stack.  Nesting is limited so hostile input cannot
 * exhaust the C stack.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metric.h"
#include "util.h"

#define AR_EXPR_MAX_DEPTH 200

enum op_kind { OP_NUM, OP_NAME, OP_NEG, OP_ADD, OP_SUB, OP_MUL, OP_DIV };

struct op {
	enum op_kind kind;
	double num;  /* OP_NUM */
	size_t name; /* OP_NAME: index into names */
};

struct ar_expr {
	struct op *ops; /* postfix program, owned */
	size_t n, cap;
	ar_strvec names; /* distinct names, in order of first use */
	char *text;      /* the source, for messages */
};

struct parser {
	const char *s;
	size_t pos;
	int depth;
	ar_expr *e;
};

/* Messages quote at most this much of the expression. */
#define AR_EXPR_QUOTE 100

static int bad(const struct parser *p, const char *what)
{
	int cut = strlen(p->s) > AR_EXPR_QUOTE;

	return ar_error_set(AR_EUSAGE, "bad expression '%.*s%s': %s at column %zu",
	                    AR_EXPR_QUOTE, p->s, cut ? "..." : "", what, p->pos + 1);
}

/* "unexpected 'x'" or "unexpected end", for the character at p->pos. */
static int bad_here(const struct parser *p, const char *expected)
{
	char what[96];
	unsigned char c = (unsigned char)p->s[p->pos];

	if (!c)
		snprintf(what, sizeof(what), "%s, but the expression ends", expected);
	else if (isprint(c))
		snprintf(what, sizeof(what), "%s, found '%c'", expected, c);
	else
		snprintf(what, sizeof(what), "%s, found byte 0x%02x", expected, c);
	return bad(p, what);
}

static void emit(ar_expr *e, enum op_kind kind, double num, size_t name)
{
	if (e->n == e->cap) {
		e->cap = e->cap ? 2 * e->cap : 16;
		e->ops = ar_xrealloc(e->ops, e->cap * sizeof(*e->ops));
	}
	e->ops[e->n++] = (struct op){ kind, num, name };
}

static void skip_space(struct parser *p)
{
	while (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
	       p->s[p->pos] == '\n' || p->s[p->pos] == '\r')
		p->pos++;
}

static size_t digits(const char *s)
{
	size_t n = 0;

	while (isdigit((unsigned char)s[n]))
		n++;
	return n;
}

static int parse_number(struct parser *p)
{
	const char *s = p->s + p->pos;
	size_t n = digits(s), m;
	double v;
	char *tok;
	int rc = 0;

	if (s[n] == '.')
		n += 1 + digits(s + n + 1);
	if (s[n] == 'e' || s[n] == 'E') {
		m = n + 1 + (s[n + 1] == '+' || s[n + 1] == '-');
		if (digits(s + m))
			n = m + digits(s + m);
	}
	tok = ar_xstrndup(s, n);
	if (ar_parse_double(tok, &v) < 0)
		rc = bad(p, "number out of range");
	else
		emit(p->e, OP_NUM, v, 0);
	free(tok);
	p->pos += n;
	return rc;
}

static void parse_name(struct parser *p)
{
	const char *s = p->s + p->pos;
	size_t n = 1, i;
	char *name;

	while (isalnum((unsigned char)s[n]) || s[n] == '_' || s[n] == '.')
		n++;
	name = ar_xstrndup(s, n);
	for (i = 0; i < p->e->names.n; i++)
		if (!strcmp(p->e->names.items[i], name))
			break;
	if (i == p->e->names.n)
		ar_strvec_push_nodup(&p->e->names, name);
	else
		free(name);
	emit(p->e, OP_NAME, 0, i);
	p->pos += n;
}

static int parse_expr(struct parser *p);

static int parse_primary(struct parser *p)
{
	const char *s = p->s + p->pos;
	int rc;

	if (isdigit((unsigned char)*s) || (*s == '.' && isdigit((unsigned char)s[1])))
		return parse_number(p);
	if (isalpha((unsigned char)*s) || *s == '_') {
		parse_name(p);
		return 0;
	}
	if (*s != '(')
		return bad_here(p, "expected a number, a name or '('");
	p->pos++;
	rc = parse_expr(p);
	if (rc < 0)
		return rc;
	skip_space(p);
	if (p->s[p->pos] != ')')
		return bad_here(p, "expected ')'");
	p->pos++;
	return 0;
}

static int parse_unary(struct parser *p)
{
	char c;
	int rc;

	skip_space(p);
	if (++p->depth > AR_EXPR_MAX_DEPTH)
		return bad(p, "nested too deeply");
	c = p->s[p->pos];
	if (c == '-' || c == '+') {
		p->pos++;
		rc = parse_unary(p);
		if (rc == 0 && c == '-')
			emit(p->e, OP_NEG, 0, 0);
	} else {
		rc = parse_primary(p);
	}
	p->depth--;
	return rc;
}

static int parse_term(struct parser *p)
{
	int rc = parse_unary(p);
	char c;

	while (rc == 0) {
		skip_space(p);
		c = p->s[p->pos];
		if (c != '*' && c != '/')
			break;
		p->pos++;
		rc = parse_unary(p);
		if (rc == 0)
			emit(p->e, c == '*' ? OP_MUL : OP_DIV, 0, 0);
	}
	return rc;
}

static int parse_expr(struct parser *p)
{
	int rc = parse_term(p);
	char c;

	while (rc == 0) {
		skip_space(p);
		c = p->s[p->pos];
		if (c != '+' && c != '-')
			break;
		p->pos++;
		rc = parse_term(p);
		if (rc == 0)
			emit(p->e, c == '+' ? OP_ADD : OP_SUB, 0, 0);
	}
	return rc;
}

int ar_expr_parse(ar_expr **out, const char *text)
{
	struct parser p = { text, 0, 0, NULL };
	int rc;

	*out = NULL;
	if (!text)
		return ar_error_set(AR_EUSAGE, "no expression given");
	p.e = ar_xcalloc(1, sizeof(*p.e));
	p.e->text = ar_xstrdup(text);
	rc = parse_expr(&p);
	if (rc == 0 && p.s[p.pos] == ')')
		rc = bad(&p, "unmatched ')'");
	else if (rc == 0 && p.s[p.pos])
		rc = bad_here(&p, "expected an operator");
	if (rc < 0) {
		ar_expr_free(p.e);
		return rc;
	}
	*out = p.e;
	return 0;
}

/* Look every name up; *vals (caller frees) gets their values. */
static int resolve(const ar_expr *e, const char *const *names,
                   const double *values, size_t n, double **vals)
{
	size_t i, j;

	*vals = ar_xcalloc(e->names.n + 1, sizeof(**vals));
	for (i = 0; i < e->names.n; i++) {
		for (j = 0; j < n && strcmp(names[j], e->names.items[i]); j++)
			;
		if (j == n)
			return ar_error_set(AR_ERROR, "expression uses '%s', which was "
			                    "not measured", e->names.items[i]);
		(*vals)[i] = values[j];
	}
	return 0;
}

/* Apply one operator to the top of the stack (sp items). */
static int step(const ar_expr *e, const struct op *op, double *st, size_t *sp)
{
	double a, b;

	if (op->kind == OP_NEG) {
		st[*sp - 1] = -st[*sp - 1];
		return 0;
	}
	b = st[--*sp];
	a = st[*sp - 1];
	if (op->kind == OP_DIV && b == 0)
		return ar_error_set(AR_ERROR, "division by zero in expression '%.*s'",
		                    AR_EXPR_QUOTE, e->text);
	st[*sp - 1] = op->kind == OP_ADD ? a + b : op->kind == OP_SUB ? a - b :
	              op->kind == OP_MUL ? a * b : a / b;
	return 0;
}

int ar_expr_eval(const ar_expr *e, const char *const *names,
                 const double *values, size_t n, double *out)
{
	double *vals = NULL, *st;
	size_t i, sp = 0;
	int rc;

	st = ar_xcalloc(e->n + 1, sizeof(*st));
	rc = resolve(e, names, values, n, &vals);
	for (i = 0; rc == 0 && i < e->n; i++) {
		if (e->ops[i].kind == OP_NUM)
			st[sp++] = e->ops[i].num;
		else if (e->ops[i].kind == OP_NAME)
			st[sp++] = vals[e->ops[i].name];
		else
			rc = step(e, &e->ops[i], st, &sp);
		if (rc == 0 && !isfinite(st[sp - 1]))
			rc = ar_error_set(AR_ERROR, "expression '%.*s' is not a finite "
			                  "number (a value is not finite, or it "
			                  "overflows)", AR_EXPR_QUOTE, e->text);
	}
	if (rc == 0)
		*out = st[0];
	free(vals);
	free(st);
	return rc;
}

const char *ar_expr_name(const ar_expr *e, size_t i)
{
	return e && i < e->names.n ? e->names.items[i] : NULL;
}

void ar_expr_free(ar_expr *e)
{
	if (!e)
		return;
	free(e->ops);
	ar_strvec_release(&e->names);
	free(e->text);
	free(e);
}
