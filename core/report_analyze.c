/*
 * report_analyze.c - `ar analyze`: the session written up as markdown.
 * Experiments are grouped by the kind of change they made, found with
 * keyword and identifier heuristics on their descriptions (and, when a
 * description names nothing, on the first line their diff changes); no
 * model is involved.
 */
#include "report.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "calibrate.h"

/* ---- reading descriptions ----------------------------------------------------------- */

static int word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* The next run of word characters at or after *p; 0 at the end. */
static int next_token(const char **p, const char **tok, size_t *len)
{
	const char *s = *p;

	while (*s && !word_char(*s))
		s++;
	if (!*s)
		return 0;
	*tok = s;
	while (word_char(*s))
		s++;
	*len = (size_t)(s - *tok);
	*p = s;
	return 1;
}

static int in_list(const char *const *list, const char *t, size_t n)
{
	for (; *list; list++)
		if (strlen(*list) == n && !strncasecmp(*list, t, n))
			return 1;
	return 0;
}

/* Acronyms that name a symptom or a device, not a knob. */
static const char *const acronyms[] = {
	"OOM", "GPU", "CPU", "CUDA", "RAM", "VRAM", "NAN", "INF", "API", "TODO",
	"FIXME", "BUG", "WIP", NULL,
};

/* Verbs and fillers that say how, not what. */
static const char *const fillers[] = {
	"a", "an", "the", "to", "from", "of", "in", "on", "at", "by", "for",
	"with", "and", "or", "into", "than", "as", "is", "it", "its", "this",
	"that", "back", "again", "try", "trying", "tried", "use", "using", "set",
	"change", "tune", "tweak", "adjust", "increase", "decrease", "reduce",
	"raise", "lower", "higher", "more", "less", "fewer", "bigger", "smaller",
	"larger", "halve", "double", "bump", "add", "remove", "drop", "switch",
	"replace", "enable", "disable", "make", "new", "retry", "revert", "undo",
	"fix", "slightly", "much", "bit", "up", "down", "instead", "per", "all",
	"each", "only", "some", "no", "not", "experiment", "baseline", "value",
	NULL,
};

static const char *const up_words[] = {
	"increase", "increased", "increasing", "raise", "raised", "bump",
	"double", "doubled", "more", "larger", "bigger", "higher", "grow",
	"deeper", "wider", "longer", "up", NULL,
};
static const char *const down_words[] = {
	"decrease", "decreased", "decreasing", "reduce", "reduced", "lower",
	"lowered", "halve", "halved", "less", "fewer", "smaller", "shrink",
	"shallower", "narrower", "shorter", "cut", "down", NULL,
};

/* LEARNING_RATE, DEPTH: capitals, digits and '_', at least two letters. */
static int is_constant(const char *t, size_t n, int need_underscore)
{
	size_t i, letters = 0, under = 0;

	if (n < 2 || !isupper((unsigned char)t[0]))
		return 0;
	for (i = 0; i < n; i++) {
		if (islower((unsigned char)t[i]))
			return 0;
		letters += isupper((unsigned char)t[i]) != 0;
		under += t[i] == '_';
	}
	return letters >= 2 && (!need_underscore || under) && !in_list(acronyms, t, n);
}

/* n_layer, batchSize: snake_case or camelCase. */
static int is_identifier(const char *t, size_t n)
{
	size_t i;

	if (!isalpha((unsigned char)t[0]) && t[0] != '_')
		return 0;
	for (i = 1; i < n; i++)
		if ((t[i] == '_' && i + 1 < n) ||
		    (isupper((unsigned char)t[i]) && islower((unsigned char)t[i - 1])))
			return 1;
	return 0;
}

static int is_word(const char *t, size_t n)
{
	size_t i;

	if (n < 3)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalpha((unsigned char)t[i]))
			return 0;
	return !in_list(fillers, t, n) && !in_list(up_words, t, n) &&
	       !in_list(down_words, t, n);
}

/* The first token passing test `pass` (0..3, see ar_report_change_kind). */
static int find_kind(const char *d, int pass, const char **tok, size_t *len)
{
	const char *p = d;

	while (next_token(&p, tok, len)) {
		if ((pass == 0 && is_constant(*tok, *len, 1)) ||
		    (pass == 1 && is_constant(*tok, *len, 0)) ||
		    (pass == 2 && is_identifier(*tok, *len)) ||
		    (pass == 3 && is_word(*tok, *len)))
			return 1;
	}
	return 0;
}

char *ar_report_change_kind(const char *description)
{
	const char *tok;
	size_t len, i;
	char *out;
	int pass;

	for (pass = 0; pass < 4; pass++)
		if (description && find_kind(description, pass, &tok, &len)) {
			out = ar_xstrndup(tok, len);
			for (i = 0; pass == 3 && out[i]; i++)
				out[i] = (char)tolower((unsigned char)out[i]);
			return out;
		}
	return ar_xstrdup("");
}

/* "a -> b", "a to b", "a => b", "a → b" at *p (a number); +1/-1/0 when
 * it is one, 2 when it is not. */
static int number_pair(const char *p, const char **next)
{
	char *end;
	double a = strtod(p, &end), b;
	const char *s = end;

	*next = end > p ? end : p + 1;
	while (*s == ' ')
		s++;
	if (!strncmp(s, "->", 2) || !strncmp(s, "=>", 2) || !strncmp(s, "to", 2))
		s += 2;
	else if (!strncmp(s, "\xe2\x86\x92", 3))
		s += 3;
	else
		return 2;
	while (*s == ' ')
		s++;
	b = strtod(s, &end);
	if (end == s || !isfinite(a) || !isfinite(b))
		return 2;
	return b > a ? 1 : b < a ? -1 : 0;
}

int ar_report_change_direction(const char *d)
{
	const char *p, *tok, *next;
	size_t len;
	int dir;

	for (p = d ? d : ""; *p; p = next) {
		next = p + 1;
		if (isdigit((unsigned char)*p) && (p == d || !word_char(p[-1])) &&
		    (dir = number_pair(p, &next)) != 2)
			return dir;
	}
	for (p = d ? d : ""; next_token(&p, &tok, &len);) {
		if (in_list(up_words, tok, len))
			return 1;
		if (in_list(down_words, tok, len))
			return -1;
	}
	return 0;
}

/* ---- grouping -------------------------------------------------------------------------- */

struct kind {
	char *name;            /* owned; "" for "unnamed" */
	size_t tried, kept, discarded, crashed;
	double gain;           /* sum of the keeps' gains */
	long closest;          /* the discard that came closest, -1 */
	long last_keep;        /* index, -1 */
	size_t dir_tried[2], dir_kept[2]; /* [0]: raising, [1]: lowering */
};

struct groups {
	struct kind *k;
	size_t n;
	long *of;              /* per result: index into k, -1 for the baseline */
	signed char *dir;      /* per result: ar_report_change_direction */
};

static int is(const struct ar_result *r, const char *status)
{
	return r->status && !strcmp(r->status, status);
}

/* How much better than the best before it (negative: worse). */
static int gain_of(const struct ar_report *rep, const struct ar_result *r, double *g)
{
	if (!r->has_delta || !isfinite(r->delta))
		return 0;
	*g = rep->info.direction == AR_HIGHER_IS_BETTER ? r->delta : -r->delta;
	return 1;
}

/* The identifier the diff's first added line names, "" when none. */
static char *kind_from_diff(ar_repo *repo, const struct ar_result *r)
{
	char parent[AR_OID_HEX], *spec, *diff = NULL, *kind = NULL;
	const char *p;

	if (!repo || !r->commit[0])
		return ar_xstrdup("");
	spec = ar_xprintf("%s^", r->commit);
	if (ar_repo_resolve(repo, spec, parent) == 0 &&
	    ar_repo_diff_text(repo, parent, r->commit, &diff) == 0) {
		for (p = diff; p && *p && !kind; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
			if (*p == '+' && strncmp(p, "+++", 3)) {
				char *line = ar_xstrndup(p + 1, strcspn(p + 1, "\n"));
				kind = ar_report_change_kind(line);
				free(line);
			}
	}
	ar_error_clear();
	free(diff);
	free(spec);
	return kind ? kind : ar_xstrdup("");
}

static size_t kind_index(struct groups *g, char *name, size_t *cap)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (!strcmp(g->k[i].name, name)) {
			free(name);
			return i;
		}
	if (g->n == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		g->k = ar_xrealloc(g->k, *cap * sizeof(*g->k));
	}
	memset(&g->k[g->n], 0, sizeof(g->k[g->n]));
	g->k[g->n].name = name;
	g->k[g->n].closest = g->k[g->n].last_keep = -1;
	return g->n++;
}

static void tally(const struct ar_report *rep, struct kind *k, size_t i, int dir)
{
	const struct ar_result *r = &rep->r[i];
	double g = 0, gc;
	int has = gain_of(rep, r, &g), d = dir > 0 ? 0 : 1;

	k->tried++;
	if (dir)
		k->dir_tried[d]++;
	if (is(r, AR_ST_KEEP)) {
		k->kept++;
		k->gain += has ? g : 0;
		k->last_keep = (long)i;
		if (dir)
			k->dir_kept[d]++;
	} else if (is(r, AR_ST_DISCARD)) {
		k->discarded++;
		if (has && (k->closest < 0 || (gain_of(rep, &rep->r[k->closest], &gc) && g > gc)))
			k->closest = (long)i;
	} else if (is(r, AR_ST_CRASH)) {
		k->crashed++;
	}
}

/* Group every experiment but the baseline; at most `diff_budget` diffs
 * are read for descriptions that name nothing. */
static void group(struct groups *g, const struct ar_report *rep, ar_repo *repo)
{
	size_t i, cap = 0, diff_budget = 500;
	char *name;

	memset(g, 0, sizeof(*g));
	g->of = ar_xmalloc((rep->n ? rep->n : 1) * sizeof(*g->of));
	g->dir = ar_xmalloc(rep->n ? rep->n : 1);
	for (i = 0; i < rep->n; i++) {
		const struct ar_result *r = &rep->r[i];
		g->of[i] = -1;
		g->dir[i] = (signed char)ar_report_change_direction(r->description);
		if (is(r, AR_ST_BASELINE))
			continue;
		name = ar_report_change_kind(r->description);
		if (!*name && diff_budget && repo) {
			diff_budget--;
			free(name);
			name = kind_from_diff(repo, r);
		}
		g->of[i] = (long)kind_index(g, name, &cap);
		tally(rep, &g->k[g->of[i]], i, g->dir[i]);
	}
}

static void groups_release(struct groups *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->k[i].name);
	free(g->k);
	free(g->of);
	free(g->dir);
}

/* ---- writing ----------------------------------------------------------------------------- */

/* s for a markdown table cell or list item: one line, '|' escaped. */
static void md(ar_buf *b, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			ar_buf_adds(b, "\\|");
		else
			ar_buf_addch(b, (unsigned char)*s < 0x20 ? ' ' : *s);
	}
}

static const char *kind_label(const struct kind *k)
{
	return *k->name ? k->name : "(unnamed changes)";
}

static void pct_of_base(ar_buf *b, const struct ar_report *rep, double gain)
{
	if (rep->sum.has_baseline && rep->sum.baseline_value != 0.0)
		ar_buf_printf(b, " (%+.2f%%)", 100.0 * gain / fabs(rep->sum.baseline_value));
}

/* ---- noise: what repeated runs add to a number ------------------------------------ */

/* 1 when r was measured with `repeats` (its ledger row has samples). */
static int repeated(const struct ar_result *r)
{
	return r->nsamples > 0 || r->has_spread || r->has_p_value;
}

/* " ± 0.0041" after a value, when r has a spread. */
static void spread_note(ar_buf *b, const struct ar_result *r)
{
	if (r->has_spread && isfinite(r->spread))
		ar_buf_printf(b, " \xc2\xb1 %.4g", r->spread);
}

/* 1 when r has a number of runs or a p-value to show. */
static int has_runs(const struct ar_result *r)
{
	return r->nsamples > 0 || r->has_p_value;
}

/* "3 runs, p = 0.0031": the parts r has. */
static void runs_note(ar_buf *b, const struct ar_result *r)
{
	if (r->nsamples)
		ar_buf_printf(b, "%zu run%s", r->nsamples, r->nsamples == 1 ? "" : "s");
	if (r->has_p_value)
		ar_buf_printf(b, "%sp = %.2g", r->nsamples ? ", " : "", r->p_value);
}

/* After a value: " ± 0.0041 (3 runs, p = 0.0031)"; nothing for one run. */
static void noise_note(ar_buf *b, const struct ar_result *r)
{
	spread_note(b, r);
	if (has_runs(r)) {
		ar_buf_adds(b, " (");
		runs_note(b, r);
		ar_buf_addch(b, ')');
	}
}

/* After a gain: ", measured 0.990000 ± 0.0041 (3 runs, p = 0.0031)". */
static void measured_note(ar_buf *b, const struct ar_result *r)
{
	if (!repeated(r) || !r->has_score || !isfinite(r->score))
		return;
	ar_buf_printf(b, ", measured %.6f", r->score);
	noise_note(b, r);
}

/* After a gain in a table cell: ", p = 0.0031". */
static void p_note(ar_buf *b, const struct ar_result *r)
{
	if (r->has_p_value)
		ar_buf_printf(b, ", p = %.2g", r->p_value);
}

static void summary(ar_buf *b, const struct ar_report *rep)
{
	const struct ar_summary *s = &rep->sum;
	size_t i, j, tried = s->n - ar_summary_count(s, AR_ST_BASELINE);

	ar_buf_printf(b, "## Summary\n\n- Experiments: %zu", s->n);
	for (i = 0, j = 0; i < s->ncounts; i++)
		if (s->counts[i].count)
			ar_buf_printf(b, "%s%s %zu", j++ ? ", " : " (", s->counts[i].status,
			              s->counts[i].count);
	ar_buf_adds(b, j ? ")\n" : "\n");
	if (s->has_baseline) {
		ar_buf_printf(b, "- Baseline: %.6f", s->baseline_value);
		if (s->baseline >= 0)
			noise_note(b, &rep->r[s->baseline]);
		ar_buf_addch(b, '\n');
	}
	if (s->best >= 0) {
		const struct ar_result *r = &rep->r[s->best];
		ar_buf_printf(b, "- Best: %.6f", r->score);
		spread_note(b, r);
		ar_buf_printf(b, " (#%ld, commit %.7s: ", r->iteration,
		              r->commit[0] ? r->commit : "-------");
		md(b, r->description);
		ar_buf_adds(b, ")");
		if (has_runs(r)) {
			ar_buf_adds(b, ", ");
			runs_note(b, r);
		}
		ar_buf_addch(b, '\n');
	}
	if (s->has_improvement) {
		ar_buf_printf(b, "- Baseline -> best: %.6f -> %.6f, %s by %.6f",
		              s->baseline_value, rep->r[s->best].score,
		              s->improvement >= 0 ? "better" : "worse", fabs(s->improvement));
		if (s->has_improvement_pct)
			ar_buf_printf(b, " (%.2f%%)", fabs(s->improvement_pct));
		ar_buf_addch(b, '\n');
	}
	if (tried)
		ar_buf_printf(b, "- Keep rate: %zu of %zu experiments (%.1f%%)\n",
		              ar_summary_count(s, AR_ST_KEEP), tried,
		              100.0 * (double)ar_summary_count(s, AR_ST_KEEP) / (double)tried);
}

/* ---- the Noise section ------------------------------------------------------------------ */

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The runs that gave a number, over the experiments that had one. */
static void runs_line(ar_buf *b, const struct ar_report *rep)
{
	size_t i, k, runs = 0, measured = 0;

	for (i = 0; i < rep->n; i++) {
		const struct ar_result *r = &rep->r[i];
		k = r->nsamples ? r->nsamples : r->has_score ? 1 : 0;
		runs += k;
		measured += k > 0;
	}
	ar_buf_printf(b, "- Runs: %zu measured runs for %zu experiments with a result, the "
	              "baseline included (%.1f each; re-runs of the best for `refresh_best` "
	              "not counted).\n", runs, measured,
	              measured ? (double)runs / (double)measured : 0.0);
}

/* The spread of the experiments that have one: median, min, max. */
static void spread_line(ar_buf *b, const struct ar_report *rep)
{
	double *v = ar_xmalloc((rep->n ? rep->n : 1) * sizeof(*v));
	size_t i, n = 0;

	for (i = 0; i < rep->n; i++)
		if (rep->r[i].has_spread && isfinite(rep->r[i].spread))
			v[n++] = rep->r[i].spread;
	qsort(v, n, sizeof(*v), by_value);
	if (n)
		ar_buf_printf(b, "- Spread of an experiment's runs (standard deviation): median "
		              "%.4g, from %.4g to %.4g, over %zu experiments with two runs or "
		              "more.\n", n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2,
		              v[0], v[n - 1], n);
	free(v);
}

static int not_significant(const struct ar_result *r)
{
	return is(r, AR_ST_DISCARD) && r->reason &&
	       strstr(r->reason, "not significantly better");
}

/* Keeps with their p-values; discards that were better, not significantly. */
static void tests_lines(ar_buf *b, const struct ar_report *rep)
{
	size_t i, kept = 0, unproven = 0;
	double lo = INFINITY, hi = -INFINITY;

	for (i = 0; i < rep->n; i++)
		if (is(&rep->r[i], AR_ST_KEEP) && rep->r[i].has_p_value) {
			kept++;
			lo = fmin(lo, rep->r[i].p_value);
			hi = fmax(hi, rep->r[i].p_value);
		}
	if (kept == 1 || (kept && lo == hi))
		ar_buf_printf(b, "- Kept after the test: %zu, p = %.2g.\n", kept, lo);
	else if (kept)
		ar_buf_printf(b, "- Kept after the test: %zu, p from %.2g to %.2g.\n", kept, lo, hi);
	for (i = 0; i < rep->n; i++) {
		if (!not_significant(&rep->r[i]))
			continue;
		if (unproven++ < 10) {
			ar_buf_printf(b, "%s#%ld", unproven > 1 ? ", " : "- Better than the best but "
			              "not significantly (discarded): ", rep->r[i].iteration);
			if (rep->r[i].has_p_value)
				ar_buf_printf(b, " (p = %.2g)", rep->r[i].p_value);
		}
	}
	if (unproven > 10)
		ar_buf_printf(b, " ... (%zu in all)", unproven);
	if (unproven)
		ar_buf_printf(b, ": %zu discard%s that more runs might tell from noise.\n",
		              unproven, unproven == 1 ? "" : "s");
	else
		ar_buf_adds(b, "- No discard was better than the best but not significantly.\n");
}

/* What `ar calibrate` measured, from .autoresearch/calibration. */
static void calibration_line(ar_buf *b, const struct ar_report *rep)
{
	struct ar_calibration c;
	char *dir = ar_path_join(rep->dir ? rep->dir : ".", AR_STATE_DIR);

	if (ar_calibration_load(dir, &c) == 0 && c.n)
		ar_buf_printf(b, "- Calibration (`ar calibrate`, %s): %zu runs of %.7s, mean "
		              "%.6g, sd %.4g (cv %.2f%%), min/max %.6g / %.6g; to tell an "
		              "improvement of %.4g from that noise it recommends repeats: %ld "
		              "and min_delta: %.3g.\n", c.created_at ? c.created_at : "undated",
		              c.n, c.commit[0] ? c.commit : "-------", c.mean, c.sd,
		              100.0 * c.cv, c.min, c.max, c.effect, c.repeats, c.min_delta);
	else
		ar_buf_adds(b, "- No calibration: `ar calibrate` measures the noise of the best "
		               "and recommends `repeats` and `min_delta`.\n");
	ar_error_clear();
	ar_calibration_release(&c);
	free(dir);
}

/* Only for sessions that repeated runs: with one run each there is no
 * noise to show. */
static void noise(ar_buf *b, const struct ar_report *rep)
{
	size_t i;

	for (i = 0; i < rep->n && !repeated(&rep->r[i]); i++)
		;
	if (i == rep->n)
		return;
	ar_buf_adds(b, "\n## Noise\n\nExperiments were measured more than once "
	            "(`repeats`): a value is the aggregate of its runs, \xc2\xb1 their "
	            "standard deviation, and p is the p-value of the test against the best "
	            "before it (small: unlikely to be noise; see docs/noise.md).\n\n");
	runs_line(b, rep);
	spread_line(b, rep);
	tests_lines(b, rep);
	calibration_line(b, rep);
}

static int by_gain(const void *a, const void *b)
{
	const struct kind *x = *(const struct kind *const *)a;
	const struct kind *y = *(const struct kind *const *)b;

	if (x->gain != y->gain)
		return x->gain < y->gain ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int by_failures(const void *a, const void *b)
{
	const struct kind *x = *(const struct kind *const *)a;
	const struct kind *y = *(const struct kind *const *)b;
	size_t fx = x->discarded + x->crashed, fy = y->discarded + y->crashed;

	if (fx != fy)
		return fx < fy ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* The kinds in the order cmp gives (pointers into g->k); caller frees. */
static const struct kind **sorted(const struct groups *g,
                                  int (*cmp)(const void *, const void *))
{
	const struct kind **order = ar_xmalloc((g->n ? g->n : 1) * sizeof(*order));

	for (size_t k = 0; k < g->n; k++)
		order[k] = &g->k[k];
	qsort(order, g->n, sizeof(*order), cmp);
	return order;
}

/* Up to `max` of the kept experiments of kind kd, as a list. */
static void list_kept(ar_buf *b, const struct ar_report *rep, const struct groups *g,
                      const struct kind *kd, size_t max)
{
	size_t i, listed = 0;
	double gain;

	for (i = 0; i < rep->n && listed < max; i++) {
		if (g->of[i] != kd - g->k || !is(&rep->r[i], AR_ST_KEEP))
			continue;
		ar_buf_printf(b, "  - #%ld ", rep->r[i].iteration);
		md(b, rep->r[i].description);
		if (gain_of(rep, &rep->r[i], &gain))
			ar_buf_printf(b, ": %+.6f", gain);
		measured_note(b, &rep->r[i]);
		ar_buf_addch(b, '\n');
		listed++;
	}
	if (listed < kd->kept)
		ar_buf_printf(b, "  - ... and %zu more\n", kd->kept - listed);
}

static void worked(ar_buf *b, const struct ar_report *rep, const struct groups *g)
{
	const struct kind **order = sorted(g, by_gain);

	ar_buf_adds(b, "\n## What worked\n\n");
	if (!ar_summary_count(&rep->sum, AR_ST_KEEP))
		ar_buf_adds(b, "Nothing was kept yet.\n");
	else
		ar_buf_adds(b, "Kept experiments by the kind of change, the largest total "
		               "gain first (gains: how much better than the best before).\n\n");
	for (size_t k = 0; k < g->n; k++) {
		const struct kind *kd = order[k];
		if (!kd->kept)
			continue;
		ar_buf_printf(b, "- **%s**: %zu of %zu kept, together %+.6f", kind_label(kd),
		              kd->kept, kd->tried, kd->gain);
		pct_of_base(b, rep, kd->gain);
		ar_buf_addch(b, '\n');
		list_kept(b, rep, g, kd, 8);
	}
	free(order);
}

static void closest(ar_buf *b, const struct ar_report *rep, long i)
{
	double gain;

	if (i < 0 || !gain_of(rep, &rep->r[i], &gain))
		ar_buf_adds(b, "-");
	else {
		ar_buf_printf(b, "#%ld (%+.6f", rep->r[i].iteration, gain);
		p_note(b, &rep->r[i]);
		ar_buf_addch(b, ')');
	}
}

static void failed_directions(ar_buf *b, const struct groups *g)
{
	static const char *const verb[2] = { "raising", "lowering" };
	size_t k, n = 0;
	int d;

	for (k = 0; k < g->n; k++) {
		const struct kind *kd = &g->k[k];
		for (d = 0; d < 2; d++)
			if (kd->dir_tried[d] >= 3 && !kd->dir_kept[d])
				ar_buf_printf(b, "%s- %s %s: %zu tries, none kept\n",
				              n++ ? "" : "\nDirections that repeatedly failed:\n\n",
				              verb[d], kind_label(kd), kd->dir_tried[d]);
		if (kd->tried >= 3 && !kd->kept && !kd->dir_tried[0] && !kd->dir_tried[1])
			ar_buf_printf(b, "%s- %s: %zu tries, none kept\n",
			              n++ ? "" : "\nDirections that repeatedly failed:\n\n",
			              kind_label(kd), kd->tried);
	}
}

static void didnt(ar_buf *b, const struct ar_report *rep, const struct groups *g)
{
	const struct kind **order = sorted(g, by_failures);
	size_t k, rows = 0;

	ar_buf_adds(b, "\n## What didn't work\n\n");
	for (k = 0; k < g->n && rows < 30; k++) {
		const struct kind *kd = order[k];
		if (!kd->discarded && !kd->crashed)
			continue;
		if (!rows++)
			ar_buf_adds(b, "| change | tried | kept | discarded | crashed | closest miss |\n"
			               "|---|---|---|---|---|---|\n");
		ar_buf_adds(b, "| ");
		md(b, kind_label(kd));
		ar_buf_printf(b, " | %zu | %zu | %zu | %zu | ", kd->tried, kd->kept,
		              kd->discarded, kd->crashed);
		closest(b, rep, kd->closest);
		ar_buf_adds(b, " |\n");
	}
	if (!rows)
		ar_buf_adds(b, "Nothing was discarded.\n");
	failed_directions(b, g);
	free(order);
}

static int failure(const struct ar_result *r)
{
	return !is(r, AR_ST_KEEP) && !is(r, AR_ST_DISCARD) && !is(r, AR_ST_BASELINE);
}

/* "status: first line of the reason", the key crashes are grouped by. */
static char *failure_key(const struct ar_result *r)
{
	const char *why = r->reason && *r->reason ? r->reason : "no reason recorded";

	return ar_xprintf("%s: %.*s", r->status, (int)strcspn(why, "\n"), why);
}

static void crashes(ar_buf *b, const struct ar_report *rep)
{
	char **key = ar_xcalloc(rep->n ? rep->n : 1, sizeof(*key));
	ar_strvec keys = AR_STRVEC_INIT;
	size_t i, k, listed;

	ar_buf_adds(b, "\n## Crashes and other failures\n\n");
	for (i = 0; i < rep->n; i++)
		if (failure(&rep->r[i])) {
			key[i] = failure_key(&rep->r[i]);
			if (keys.n < 40 && !ar_strvec_contains(&keys, key[i]))
				ar_strvec_push(&keys, key[i]);
		}
	for (k = 0; k < keys.n; k++) {
		ar_buf_adds(b, "- ");
		md(b, keys.items[k]);
		ar_buf_adds(b, ":");
		for (i = 0, listed = 0; i < rep->n; i++)
			if (key[i] && !strcmp(key[i], keys.items[k]) && listed++ < 12)
				ar_buf_printf(b, " #%ld", rep->r[i].iteration);
		ar_buf_printf(b, listed > 12 ? " ... (%zu in all)\n" : " (%zu)\n", listed);
	}
	if (!keys.n)
		ar_buf_adds(b, "None.\n");
	for (i = 0; i < rep->n; i++)
		free(key[i]);
	free(key);
	ar_strvec_release(&keys);
}

/* One row of the progression table. */
static void step_row(ar_buf *b, const struct ar_report *rep, size_t i)
{
	const struct ar_result *r = &rep->r[i];
	const struct ar_summary *s = &rep->sum;
	double gain, from;

	ar_buf_printf(b, "| %ld | %.6f", r->iteration, r->score);
	spread_note(b, r);
	ar_buf_adds(b, " | ");
	if (!is(r, AR_ST_BASELINE) && gain_of(rep, r, &gain)) {
		ar_buf_printf(b, "%+.6f", gain);
		if (r->has_p_value)
			ar_buf_printf(b, " (p = %.2g)", r->p_value);
	}
	ar_buf_adds(b, " | ");
	if (s->has_baseline && s->baseline_value != 0.0) {
		from = rep->info.direction == AR_HIGHER_IS_BETTER ? r->score - s->baseline_value
		                                                  : s->baseline_value - r->score;
		ar_buf_printf(b, "%+.2f%%", 100.0 * from / fabs(s->baseline_value));
	}
	ar_buf_adds(b, " | ");
	md(b, r->description);
	ar_buf_adds(b, " |\n");
}

static void progression(ar_buf *b, const struct ar_report *rep)
{
	const struct ar_summary *s = &rep->sum;
	size_t i, steps = 0, shown = 0;
	static const int quarters[] = { 25, 50, 75, 100 };
	double v;

	ar_buf_printf(b, "\n## Progression of the best\n\nEvery time the best %s "
	              "improved:\n\n| # | %s | gain | vs baseline | change |\n"
	              "|---|---|---|---|---|\n", ar_report_metric(rep), ar_report_metric(rep));
	for (i = 0; i < s->n; i++)
		steps += s->running_best[i] == (long)i;
	for (i = 0; i < s->n; i++) {
		if (s->running_best[i] != (long)i)
			continue;
		if (steps <= 40 || shown < 20 || shown >= steps - 20)
			step_row(b, rep, i);
		else if (shown == 20)
			ar_buf_printf(b, "| ... | | | | %zu more |\n", steps - 40);
		shown++;
	}
	ar_buf_adds(b, "\nThe best after");
	for (i = 0; i < 4 && s->n; i++) {
		size_t at = ((size_t)quarters[i] * s->n + 99) / 100 - 1;
		if (ar_summary_running(s, rep->r, at, &v)) {
			ar_buf_printf(b, "%s %d%% of the experiments (#%ld): %.6f", i ? ";" : "",
			              quarters[i], rep->r[at].iteration, v);
			spread_note(b, &rep->r[s->running_best[at]]);
		} else
			ar_buf_printf(b, "%s %d%%: none yet", i ? ";" : "", quarters[i]);
	}
	ar_buf_adds(b, ".\n");
}

/* ---- recommendations -------------------------------------------------------------------- */

static const struct ar_report *sort_rep; /* qsort has no payload: set for one call */

static int by_row_gain(const void *a, const void *b)
{
	double x = 0, y = 0;

	gain_of(sort_rep, &sort_rep->r[*(const size_t *)a], &x);
	gain_of(sort_rep, &sort_rep->r[*(const size_t *)b], &y);
	return x != y ? (x < y ? 1 : -1) : (*(const size_t *)a < *(const size_t *)b ? -1 : 1);
}

/* Discards that came within 0.5% of the baseline's value of the best
 * before them (or improved it, too little to keep). */
static void near_misses(ar_buf *b, const struct ar_report *rep)
{
	const struct ar_summary *s = &rep->sum;
	double limit = s->has_baseline && s->baseline_value != 0.0
	               ? 0.005 * fabs(s->baseline_value)
	               : (s->has_improvement ? 0.1 * fabs(s->improvement) : 0.0);
	size_t *idx = ar_xmalloc((rep->n ? rep->n : 1) * sizeof(*idx)), n = 0, i;
	double gain;

	for (i = 0; i < rep->n; i++)
		if (is(&rep->r[i], AR_ST_DISCARD) && gain_of(rep, &rep->r[i], &gain) &&
		    gain >= -limit)
			idx[n++] = i;
	sort_rep = rep;
	qsort(idx, n, sizeof(*idx), by_row_gain);
	if (n)
		ar_buf_adds(b, "- **Near misses worth retrying** (`ar show N --apply` brings "
		               "one back on top of the current best; measurements are noisy):\n");
	for (i = 0; i < n && i < 5; i++) {
		const struct ar_result *r = &rep->r[idx[i]];
		gain_of(rep, r, &gain);
		ar_buf_printf(b, "  - #%ld ", r->iteration);
		md(b, r->description);
		ar_buf_printf(b, ": %+.6f against the best before it", gain);
		measured_note(b, r);
		ar_buf_addch(b, '\n');
	}
	free(idx);
}

/* The three kinds tried most often from index `from` on. */
static void top_kinds(ar_buf *b, const struct ar_report *rep, const struct groups *g,
                      size_t from)
{
	size_t *count = ar_xcalloc(g->n ? g->n : 1, sizeof(*count)), i, k, best, shown;

	for (i = from; i < rep->n; i++)
		if (g->of[i] >= 0)
			count[g->of[i]]++;
	for (shown = 0; shown < 3; shown++) {
		for (k = 0, best = g->n; k < g->n; k++)
			if (count[k] && *g->k[k].name && (best == g->n || count[k] > count[best]))
				best = k;
		if (best == g->n)
			break;
		ar_buf_printf(b, "%s%s", shown ? ", " : "", g->k[best].name);
		count[best] = 0;
	}
	if (!shown)
		ar_buf_adds(b, "various changes");
	free(count);
}

static void plateau(ar_buf *b, const struct ar_report *rep, const struct groups *g)
{
	size_t n = rep->n, i, since, last = 0;
	int found = 0;

	for (i = n; i-- > 0 && !found;)
		if (is(&rep->r[i], AR_ST_KEEP) || is(&rep->r[i], AR_ST_BASELINE))
			last = i, found = 1;
	since = found ? n - 1 - last : n;
	if (n < 10 || since < 10 || since < n / 4)
		return;
	ar_buf_printf(b, "- **Plateau**: nothing was kept in the last %zu experiments", since);
	if (found)
		ar_buf_printf(b, " (since #%ld)", rep->r[last].iteration);
	ar_buf_adds(b, ". Tuning ");
	top_kinds(b, rep, g, last + (found ? 1 : 0));
	ar_buf_printf(b, " did not move %s: the remaining gains likely need a structural "
	              "change (the model's architecture or size, the data, the algorithm) "
	              "rather than another constant.\n", ar_report_metric(rep));
}

static void advice(ar_buf *b, const struct ar_report *rep, const struct groups *g)
{
	const struct kind **order = sorted(g, by_gain);
	size_t k, shown = 0, crashed = ar_summary_count(&rep->sum, AR_ST_CRASH);

	for (k = 0; k < g->n && shown < 3; k++) {
		const struct kind *kd = order[k];
		if (kd->kept >= 2 && *kd->name && kd->last_keep >= (long)rep->n / 2) {
			ar_buf_printf(b, "- **Keep exploring %s**: %zu of %zu kept, the last at #%ld.\n",
			              kd->name, kd->kept, kd->tried, rep->r[kd->last_keep].iteration);
			shown++;
		}
	}
	for (k = 0; k < g->n; k++) {
		const struct kind *kd = &g->k[k];
		if (kd->tried >= 4 && !kd->kept && *kd->name)
			ar_buf_printf(b, "- **Stop tuning %s**: %zu tries, none kept.\n",
			              kd->name, kd->tried);
	}
	if (rep->n >= 10 && crashed * 10 >= rep->n)
		ar_buf_printf(b, "- **Crashes are frequent** (%zu of %zu): see the reasons "
		              "above before spending more runs.\n", crashed, rep->n);
	free(order);
}

static void recommendations(ar_buf *b, const struct ar_report *rep, const struct groups *g)
{
	size_t before;

	ar_buf_adds(b, "\n## Recommendations\n\n");
	before = b->len;
	near_misses(b, rep);
	plateau(b, rep, g);
	advice(b, rep, g);
	if (b->len == before)
		ar_buf_adds(b, "Nothing stands out yet: run more experiments.\n");
}

/* ---- the document ------------------------------------------------------------------------ */

char *ar_report_analysis_name(const struct ar_report *rep)
{
	char *name = ar_xprintf("autoresearch-%s-analysis.md",
	                        rep->info.tag && *rep->info.tag ? rep->info.tag : "untagged");

	for (char *p = name; *p; p++)
		if (*p == '/' || *p == '\\' || (unsigned char)*p < 0x20)
			*p = '-';
	return name;
}

void ar_report_analysis(ar_buf *b, const struct ar_report *rep, ar_repo *repo)
{
	struct groups g;

	group(&g, rep, repo);
	ar_buf_printf(b, "# autoresearch %s: analysis\n\nWritten by `ar analyze` from "
	              "%s: %zu experiments, metric %s (%s is better).\n\n",
	              rep->info.tag ? rep->info.tag : "(untagged)", AR_LEDGER_JSONL,
	              rep->n, ar_report_metric(rep), ar_report_direction(rep));
	summary(b, rep);
	noise(b, rep);
	worked(b, rep, &g);
	didnt(b, rep, &g);
	crashes(b, rep);
	if (rep->n)
		progression(b, rep);
	recommendations(b, rep, &g);
	groups_release(&g);
}
