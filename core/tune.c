/*
 * tune.c - the built-in tuner's search (see tune.h).
 *
 * Per constant it keeps a step and what happened in each direction:
 *   - a keep: move the same way again, with a step 1.5x larger;
 *   - a discard or crash: try the other way at the same step; when both
 *     ways failed, halve the step;
 *   - a step below its floor: the constant has converged; it is picked
 *     less often and starts again from its first step.
 * Constants that kept are picked more often, ones that keep failing less.
 * After six experiments in a row without a keep, two constants move at
 * once, to get out of a valley one constant cannot leave.
 *
 * Scales: "log" markers and positive values without a range move by a
 * factor (x2 at first); a range without "log" moves by a fraction of the
 * range (1/4 at first); zero and negative values move by an amount.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tune.h"

#define LOG_STEP0 0.6931471805599453 /* ln 2 */
#define LOG_STEP_MIN 0.04            /* ~4 % */
#define LOG_STEP_MAX 2.0794415416798357 /* ln 8 */
#define LIN_STEP0 0.25
#define LIN_STEP_MIN 0.01
#define LIN_STEP_MAX 0.5

struct knob {
	char *key;         /* "path:NAME" */
	int moved;         /* a move of it has been recorded */
	double a, b;       /* the last move: a -> b */
	double mult;       /* the next step relative to the last move's */
	int failed[2];     /* [0] down, [1] up failed at the current step */
	int last_dir, last_kept;
	int keeps, fails_in_row;
};

struct ar_tuner {
	unsigned long long seed;
	struct knob *knobs;
	size_t nknobs;
	int misses_in_row;  /* experiments since the last keep */
};

/* A candidate: one constant of one file. */
struct cand {
	const char *path;
	struct ar_tune_const *c;
	size_t ki;         /* index of its knob (t->knobs may move) */
	struct knob *k;    /* set once every knob exists */
	double step;
	int converged;
};

/* splitmix64: one state per (seed, iteration, draw). */
static unsigned long long mix(unsigned long long x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static double uniform(unsigned long long *state)
{
	*state = mix(*state);
	return (double)(*state >> 11) / 9007199254740992.0;
}

int ar_tuner_new(struct ar_tuner **out, unsigned long long seed)
{
	*out = ar_xcalloc(1, sizeof(**out));
	(*out)->seed = seed;
	return 0;
}

void ar_tuner_free(struct ar_tuner *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nknobs; i++)
		free(t->knobs[i].key);
	free(t->knobs);
	free(t);
}

static struct knob *knob_get(struct ar_tuner *t, const char *key)
{
	for (size_t i = 0; i < t->nknobs; i++)
		if (!strcmp(t->knobs[i].key, key))
			return &t->knobs[i];
	t->knobs = ar_xrealloc(t->knobs, (t->nknobs + 1) * sizeof(*t->knobs));
	memset(&t->knobs[t->nknobs], 0, sizeof(*t->knobs));
	t->knobs[t->nknobs].key = ar_xstrdup(key);
	return &t->knobs[t->nknobs++];
}

static int uses_log(const struct ar_tune_const *c)
{
	return c->log_scale || (!c->has_range && c->value > 0);
}

static double step0(const struct ar_tune_const *c)
{
	if (uses_log(c))
		return LOG_STEP0;
	if (c->has_range)
		return LIN_STEP0;
	return c->is_int ? 1.0 : 0.1 * fmax(1.0, fabs(c->value));
}

/* The size of a move a -> b in c's scale. */
static double move_size(const struct ar_tune_const *c, double a, double b)
{
	if (uses_log(c))
		return a > 0 && b > 0 ? fabs(log(b / a)) : LOG_STEP0;
	if (c->has_range)
		return fabs(b - a) / (c->hi - c->lo);
	return fabs(b - a);
}

/* The next step for c, and whether c has converged (step below floor). */
static double next_step(const struct knob *k, const struct ar_tune_const *c,
                        int *converged)
{
	double m, lo, hi;

	*converged = 0;
	if (!k->moved)
		return step0(c);
	m = move_size(c, k->a, k->b) * k->mult;
	lo = uses_log(c) ? LOG_STEP_MIN : c->has_range ? LIN_STEP_MIN : step0(c) / 64;
	hi = uses_log(c) ? LOG_STEP_MAX : c->has_range ? LIN_STEP_MAX : step0(c) * 64;
	if (m < lo) {
		*converged = 1;
		return step0(c);
	}
	return fmin(m, hi);
}

/* Record the outcome of the move a -> b of one knob. */
static void knob_outcome(struct knob *k, double a, double b, int kept)
{
	int dir = b > a ? 1 : -1;

	k->moved = 1;
	k->a = a;
	k->b = b;
	k->last_dir = dir;
	k->last_kept = kept;
	k->mult = 1.0;
	if (kept) {
		k->keeps++;
		k->fails_in_row = 0;
		k->failed[0] = k->failed[1] = 0;
		k->mult = 1.5;
		return;
	}
	k->fails_in_row++;
	k->failed[dir > 0] = 1;
	if (k->failed[0] && k->failed[1]) {
		k->mult = 0.5;
		k->failed[0] = k->failed[1] = 0;
	}
}

/* "NAME a -> b" parts of "tune NAME a -> b, NAME2 c -> d".  The only
 * place the tuner's memory changes, so replaying a ledger rebuilds it. */
void ar_tuner_learn(struct ar_tuner *t, const char *desc, const char *status)
{
	int kept, failed;
	const char *p;

	if (!desc || !status || strncmp(desc, "tune ", 5))
		return;
	kept = !strcmp(status, "keep");
	failed = !strcmp(status, "discard") || !strcmp(status, "crash") ||
	         !strcmp(status, "guard_fail") || !strcmp(status, "checks_failed");
	if (!kept && !failed)
		return;
	t->misses_in_row = kept ? 0 : t->misses_in_row + 1;
	for (p = desc + 5; *p;) {
		char key[256];
		double a, b;
		int used = 0;
		if (sscanf(p, "%255s %lf -> %lf%n", key, &a, &b, &used) != 3 || !used ||
		    a == b)
			return;
		knob_outcome(knob_get(t, key), a, b, kept);
		p += used;
		while (*p == ',' || *p == ' ')
			p++;
	}
}

static double weight(const struct cand *c)
{
	double w = (1.0 + 2.0 * c->k->keeps) / (1.0 + c->k->fails_in_row);
	return c->converged ? w * 0.2 : w;
}

static size_t pick(struct cand *c, size_t n, const int *taken, unsigned long long *rng)
{
	double total = 0, r;
	size_t i, last = n;

	for (i = 0; i < n; i++)
		if (!taken[i])
			total += weight(&c[i]), last = i;
	r = uniform(rng) * total;
	for (i = 0; i < n; i++) {
		if (taken[i])
			continue;
		r -= weight(&c[i]);
		if (r < 0)
			return i;
	}
	return last;
}

/* The value after moving c by step in direction dir; 0 when it cannot
 * move that way (a bound, or a step too small to change it). */
static int moved_value(const struct ar_tune_const *c, double step, int dir,
                       double *out)
{
	double v = c->value, x;
	char buf[32];

	if (uses_log(c))
		x = v * exp(dir * step);
	else if (c->has_range)
		x = v + dir * step * (c->hi - c->lo);
	else
		x = v + dir * step;
	if (c->is_int) {
		x = round(x);
		if (x == v)
			x = v + dir;
	} else {
		snprintf(buf, sizeof(buf), "%.4g", x);
		x = strtod(buf, NULL);
	}
	if (c->has_range)
		x = fmin(fmax(x, c->lo), c->hi);
	if (c->is_int)
		x = round(x);
	if (x == v || !isfinite(x) || fabs(x) > 1e15)
		return 0;
	*out = x;
	return 1;
}

/* The literal for x, in c's style: 64, 0.005, 1e-04, 2.0. */
static char *literal(const struct ar_tune_const *c, double x)
{
	char buf[48];
	int p;

	if (c->is_int) {
		snprintf(buf, sizeof(buf), "%.0f", x);
		return ar_xstrdup(buf);
	}
	for (p = 1; p <= 6; p++) {
		snprintf(buf, sizeof(buf), c->exp_style ? "%.*e" : "%.*g",
		         c->exp_style ? p - 1 : p, x);
		if (strtod(buf, NULL) == x)
			break;
	}
	if (!strpbrk(buf, ".eEn"))
		strcat(buf, ".0");
	return ar_xstrdup(buf);
}

/* One file's text and constants. */
struct tfile {
	const char *path;
	char *text;
	size_t len;
	struct ar_tune_const *c;
	size_t n;
	int changed;
};

static void tfiles_free(struct tfile *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].text);
		ar_tune_consts_free(f[i].c, f[i].n);
	}
	free(f);
}

static int load_files(const char *root, const ar_strvec *files,
                      struct tfile **out, size_t *nout)
{
	struct tfile *f = ar_xcalloc(files->n + 1, sizeof(*f));
	int err = 0;

	for (size_t i = 0; i < files->n && !err; i++) {
		char *abs = ar_path_join(root, files->items[i]);
		f[i].path = files->items[i];
		err = ar_file_read(abs, 16u << 20, &f[i].text, &f[i].len);
		if (err == AR_ENOTFOUND) /* a glob's file deleted: nothing to tune */
			err = 0;
		else if (!err)
			err = ar_tune_scan(f[i].path, f[i].text, f[i].len, &f[i].c, &f[i].n);
		free(abs);
	}
	*out = f;
	*nout = files->n;
	return err;
}

/* The candidates: every constant, or only the marked ones if any is. */
static size_t candidates(struct ar_tuner *t, struct tfile *f, size_t nf,
                         struct cand **out)
{
	size_t n = 0, marked = 0, withc = 0;
	struct cand *c;

	for (size_t i = 0; i < nf; i++) {
		withc += f[i].n > 0;
		for (size_t j = 0; j < f[i].n; j++)
			marked += f[i].c[j].marked;
	}
	c = ar_xcalloc(1, sizeof(*c));
	for (size_t i = 0; i < nf; i++) {
		for (size_t j = 0; j < f[i].n; j++) {
			char *key;
			if (marked && !f[i].c[j].marked)
				continue;
			key = withc > 1 ? ar_xprintf("%s:%s", f[i].path, f[i].c[j].name)
			                : ar_xstrdup(f[i].c[j].name);
			c = ar_xrealloc(c, (n + 1) * sizeof(*c));
			c[n].path = f[i].path;
			c[n].c = &f[i].c[j];
			c[n].ki = (size_t)(knob_get(t, key) - t->knobs);
			n++;
			free(key);
		}
	}
	for (size_t i = 0; i < n; i++) {
		c[i].k = &t->knobs[c[i].ki];
		c[i].step = next_step(c[i].k, c[i].c, &c[i].converged);
	}
	*out = c;
	return n;
}

static int direction(const struct knob *k, unsigned long long *rng)
{
	if (k->moved && k->last_kept)
		return k->last_dir;
	if (k->moved && k->failed[k->last_dir > 0] && !k->failed[k->last_dir < 0])
		return -k->last_dir;
	return uniform(rng) < 0.5 ? -1 : 1;
}

/* Move candidate i of c: edit its file's text, add "KEY a -> b" to desc.
 * 0 when it cannot move (try another). */
static int move_one(struct cand *c, struct tfile *f, size_t nf, int dir, ar_buf *desc)
{
	double x;
	char *lit, *text;
	struct tfile *tf = NULL;

	if (!moved_value(c->c, c->step, dir, &x) &&
	    !moved_value(c->c, c->step, -dir, &x))
		return 0;
	for (size_t i = 0; i < nf && !tf; i++)
		if (f[i].path == c->path)
			tf = &f[i];
	lit = literal(c->c, x);
	ar_buf_printf(desc, "%s%s %.*s -> %s", desc->len ? ", " : "tune ", c->k->key,
	              (int)c->c->len, tf->text + c->c->offset, lit);
	text = ar_xprintf("%.*s%s%s", (int)c->c->offset, tf->text, lit,
	                  tf->text + c->c->offset + c->c->len);
	/* Later constants of this file move by the change in length. */
	for (size_t j = 0; j < tf->n; j++)
		if (tf->c[j].offset > c->c->offset)
			tf->c[j].offset = tf->c[j].offset + strlen(lit) - c->c->len;
	tf->len = tf->len + strlen(lit) - c->c->len;
	c->c->len = strlen(lit);
	free(tf->text);
	tf->text = text;
	tf->changed = 1;
	free(lit);
	return 1;
}

static int write_files(const char *root, struct tfile *f, size_t nf)
{
	for (size_t i = 0; i < nf; i++) {
		char *abs;
		int err;
		if (!f[i].changed)
			continue;
		abs = ar_path_join(root, f[i].path);
		err = ar_file_write_atomic(abs, f[i].text, f[i].len, AR_DURABLE);
		free(abs);
		if (err < 0)
			return err;
	}
	return 0;
}

int ar_tuner_propose(struct ar_tuner *t, const char *root, const ar_strvec *files,
                     long iteration, char **description)
{
	struct tfile *f = NULL;
	struct cand *c = NULL;
	size_t nf = 0, n = 0, moved = 0, want;
	unsigned long long rng = mix(t->seed ^ mix((unsigned long long)iteration));
	ar_buf desc = AR_BUF_INIT;
	int *taken = NULL, err;

	*description = NULL;
	if ((err = load_files(root, files, &f, &nf)) < 0)
		goto done;
	if (!(n = candidates(t, f, nf, &c))) {
		err = ar_error_set(AR_ENOTFOUND, "the tuner found no numeric constant "
		                   "in the target files (%s); write constants as "
		                   "`NAME = 0.1`, or mark the lines to tune with a "
		                   "comment `ar: tune`", files->n ? files->items[0] : "none");
		goto done;
	}
	taken = ar_xcalloc(n, sizeof(*taken));
	want = t->misses_in_row >= 6 && n > 1 ? 2 : 1;
	for (size_t tries = 0; tries < n && moved < want; tries++) {
		size_t i = pick(c, n, taken, &rng);
		taken[i] = 1;
		moved += (size_t)move_one(&c[i], f, nf, direction(c[i].k, &rng), &desc);
	}
	if (!moved) {
		err = ar_error_set(AR_ENOTFOUND, "the tuner cannot move any constant: "
		                   "each is at the end of its range");
		goto done;
	}
	if ((err = write_files(root, f, nf)) < 0)
		goto done;
	*description = ar_buf_detach(&desc);
done:
	ar_buf_release(&desc);
	free(taken);
	free(c);
	tfiles_free(f, nf);
	return err;
}
