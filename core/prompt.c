/*
 * prompt.c - the proposer's prompt (see prompt.h).
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "plugin.h"
#include "prompt.h"

#define HISTORY_ROWS 12   /* last results listed */
#define KEPT_ROWS 8       /* kept experiments listed */
#define FAILING_GROUPS 5  /* directions that kept failing */
#define DESC_MAX 120      /* bytes of a description in the prompt */
#define TAIL_MAX 2000     /* bytes of a crash's log tail */

const char ar_prompt_default_template[] =
	"You are proposing experiment #{iteration} of an autoresearch session run by `ar`.\n"
	"\n"
	"## Objective\n"
	"{objective}\n"
	"\n"
	"## Files\n"
	"You may edit only: {targets}\n"
	"Never touch (the evaluation harness): {fixed}\n"
	"Read for context: {context}\n"
	"\n"
	"## History\n"
	"{history}\n"
	"{crash}"
	"## Rules\n"
	"{rules}\n";

static const char rules[] =
	"- One idea per experiment: make one focused change to the files you may edit.\n"
	"- Simpler code wins at an equal metric: removing code that does not help is a good experiment.\n"
	"- Never touch the evaluation harness or any file outside the ones you may edit.\n"
	"- Do not run the experiment or commit: ar runs it, measures it, and keeps or reverts your change.\n"
	"- End your reply with one line: DESCRIPTION: <what you tried, in one line>";

static void add_cut(ar_buf *b, const char *s, size_t max)
{
	size_t n = 0;
	while (s[n] && s[n] != '\n' && n < max)
		n++;
	ar_buf_add(b, s, n);
	if (s[n] && n == max)
		ar_buf_adds(b, "...");
}

static void add_list(ar_buf *b, const ar_strvec *v, const char *none)
{
	if (!v->n)
		ar_buf_adds(b, none);
	for (size_t i = 0; i < v->n; i++)
		ar_buf_printf(b, "%s%s", i ? ", " : "", v->items[i]);
}

static void objective(ar_buf *b, const struct ar_prompt_in *in)
{
	const struct ar_config *c = in->cfg;
	long base = ar_ledger_baseline(in->rows, in->nrows);
	long best = ar_ledger_best(in->rows, in->nrows, c->metric_direction);
	int up = c->metric_direction == AR_HIGHER_IS_BETTER;

	ar_buf_printf(b, "%s the metric `%s` (%s is better), measured by `%s`.",
	              up ? "Maximize" : "Minimize", c->metric_name ? c->metric_name : "?",
	              up ? "higher" : "lower", c->run_command ? c->run_command : "?");
	if (base < 0)
		return;
	ar_buf_printf(b, "\nBaseline: %.6g.", in->rows[base].score);
	if (best >= 0 && best != base) {
		double d = in->rows[best].score - in->rows[base].score;
		ar_buf_printf(b, " Best so far: %.6g (experiment #%ld), %+.6g",
		              in->rows[best].score, in->rows[best].iteration, d);
		if (in->rows[base].score != 0)
			ar_buf_printf(b, " (%+.2f%%)", 100.0 * d / fabs(in->rows[base].score));
		ar_buf_adds(b, " from the baseline.");
	} else {
		ar_buf_adds(b, " Nothing has beaten it yet.");
	}
	if (c->min_delta > 0)
		ar_buf_printf(b, " A change must improve the best by at least %g%s to be kept.",
		              c->min_delta_relative ? c->min_delta * 100 : c->min_delta,
		              c->min_delta_relative ? "%" : "");
}

static void row_line(ar_buf *b, const struct ar_result *r)
{
	ar_buf_printf(b, "- #%ld %s", r->iteration, r->status);
	if (r->has_score)
		ar_buf_printf(b, " %.6g", r->score);
	ar_buf_adds(b, ": ");
	add_cut(b, r->description ? r->description : "", DESC_MAX);
	ar_buf_addch(b, '\n');
}

/* The first two words of a description, lowercased: its "direction". */
static void direction_key(const char *desc, char *out, size_t max)
{
	size_t n = 0;
	int words = 0;
	for (const char *p = desc; *p && n + 1 < max; p++) {
		if (isspace((unsigned char)*p)) {
			if (n && out[n - 1] != ' ' && ++words == 2)
				break;
			if (n && out[n - 1] != ' ')
				out[n++] = ' ';
			continue;
		}
		out[n++] = (char)tolower((unsigned char)*p);
	}
	while (n && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

static int is_failure(const char *st)
{
	return !strcmp(st, AR_ST_DISCARD) || !strcmp(st, AR_ST_CRASH) ||
	       !strcmp(st, AR_ST_GUARD_FAIL) || !strcmp(st, AR_ST_CHECKS_FAILED);
}

/* Directions tried at least twice that never kept, most tried first. */
static void failing(ar_buf *b, const struct ar_result *rows, size_t n)
{
	ar_strvec keys = AR_STRVEC_INIT;
	int *fails = ar_xcalloc(n + 1, sizeof(int)), *kept = ar_xcalloc(n + 1, sizeof(int));
	size_t shown = 0;

	for (size_t i = 0; i < n; i++) {
		char key[64];
		size_t k;
		if (!rows[i].description || !rows[i].status)
			continue;
		direction_key(rows[i].description, key, sizeof(key));
		for (k = 0; k < keys.n && strcmp(keys.items[k], key); k++)
			;
		if (k == keys.n)
			ar_strvec_push(&keys, key);
		fails[k] += is_failure(rows[i].status);
		kept[k] += !strcmp(rows[i].status, AR_ST_KEEP);
	}
	for (int want = (int)n; want >= 2 && shown < FAILING_GROUPS; want--)
		for (size_t k = 0; k < keys.n && shown < FAILING_GROUPS; k++)
			if (fails[k] == want && !kept[k]) {
				ar_buf_printf(b, "%s\"%s...\" (%d times)", shown ? ", " : "",
				              keys.items[k], want);
				shown++;
			}
	if (!shown)
		ar_buf_adds(b, "none yet");
	free(fails);
	free(kept);
	ar_strvec_release(&keys);
}

static void history(ar_buf *b, const struct ar_prompt_in *in)
{
	size_t n = in->nrows, from = n > HISTORY_ROWS ? n - HISTORY_ROWS : 0, nkept = 0;

	if (!n) {
		ar_buf_adds(b, "No experiments yet.");
		return;
	}
	ar_buf_printf(b, "Last results (of %zu):\n", n);
	for (size_t i = from; i < n; i++)
		row_line(b, &in->rows[i]);
	for (size_t i = 0; i < n; i++)
		nkept += !strcmp(in->rows[i].status, AR_ST_KEEP);
	if (nkept) {
		size_t seen = 0;
		ar_buf_printf(b, "Kept so far (%zu; the last %d listed):\n", nkept,
		              nkept < KEPT_ROWS ? (int)nkept : KEPT_ROWS);
		for (size_t i = 0; i < n; i++)
			if (!strcmp(in->rows[i].status, AR_ST_KEEP) &&
			    ++seen + KEPT_ROWS > nkept)
				row_line(b, &in->rows[i]);
	}
	ar_buf_adds(b, "Directions that kept failing: ");
	failing(b, in->rows, n);
}

static void crash(ar_buf *b, const struct ar_prompt_in *in)
{
	if (in->abandoned) {
		ar_buf_adds(b, "\nThe idea \"");
		add_cut(b, in->abandoned, DESC_MAX);
		ar_buf_adds(b, "\" crashed three times in a row and was abandoned: try something different.\n\n");
		return;
	}
	if (!in->crash_tail)
		return;
	ar_buf_adds(b, "\n## The last experiment crashed\n");
	if (in->crash_desc) {
		ar_buf_adds(b, "It tried: ");
		add_cut(b, in->crash_desc, DESC_MAX);
		ar_buf_addch(b, '\n');
	}
	if (in->fix_attempt)
		ar_buf_adds(b, "Its change is back in the working tree: fix it if the "
		            "idea is sound (a typo, a shape), or undo it and try something else.\n");
	ar_buf_adds(b, "The end of its log:\n```\n");
	size_t len = strlen(in->crash_tail);
	const char *t = in->crash_tail + (len > TAIL_MAX ? len - TAIL_MAX : 0);
	ar_buf_adds(b, t);
	if (len && in->crash_tail[len - 1] != '\n')
		ar_buf_addch(b, '\n');
	ar_buf_adds(b, "```\n\n");
}

static int fill(ar_buf *b, const char *name, size_t len, const struct ar_prompt_in *in)
{
	const struct ar_config *c = in->cfg;
#define IS(s) (len == sizeof(s) - 1 && !memcmp(name, s, len))
	if (IS("iteration"))
		ar_buf_printf(b, "%ld", in->iteration);
	else if (IS("objective"))
		objective(b, in);
	else if (IS("metric"))
		ar_buf_adds(b, c->metric_name ? c->metric_name : "");
	else if (IS("direction"))
		ar_buf_adds(b, c->metric_direction == AR_HIGHER_IS_BETTER ? "higher" : "lower");
	else if (IS("baseline") || IS("best")) {
		long i = IS("best") ? ar_ledger_best(in->rows, in->nrows, c->metric_direction)
		                    : ar_ledger_baseline(in->rows, in->nrows);
		if (i >= 0)
			ar_buf_printf(b, "%.6g", in->rows[i].score);
		else
			ar_buf_adds(b, "unknown");
	} else if (IS("targets"))
		add_list(b, &c->target_files, "(none)");
	else if (IS("fixed"))
		add_list(b, &c->fixed_files, "(none)");
	else if (IS("context"))
		add_list(b, &c->context_files, "(none)");
	else if (IS("history"))
		history(b, in);
	else if (IS("crash"))
		crash(b, in);
	else if (IS("rules"))
		ar_buf_adds(b, rules);
	else
		return 0;
	return 1;
#undef IS
}

void ar_prompt_build(const struct ar_prompt_in *in, const char *tmpl, ar_buf *out)
{
	const char *p = tmpl ? tmpl : ar_prompt_default_template;

	while (*p) {
		const char *open = strchr(p, '{'), *close;
		if (!open) {
			ar_buf_adds(out, p);
			break;
		}
		ar_buf_add(out, p, (size_t)(open - p));
		close = open + 1;
		while (*close && (isalnum((unsigned char)*close) || *close == '_'))
			close++;
		if (*close != '}' || !fill(out, open + 1, (size_t)(close - open - 1), in)) {
			ar_buf_addch(out, '{');
			p = open + 1;
			continue;
		}
		p = close + 1;
	}
}

char *ar_prompt_description(const char *reply)
{
	const char *found = NULL, *p = reply;
	size_t n = 0;

	if (!reply)
		return NULL;
	while ((p = strstr(p, "DESCRIPTION:")) != NULL) {
		if (p == reply || p[-1] == '\n' || p[-1] == ' ' || p[-1] == '*')
			found = p + 12;
		p += 12;
	}
	if (!found)
		return NULL;
	while (*found == ' ' || *found == '\t' || *found == '*' || *found == '`')
		found++;
	while (found[n] && found[n] != '\n' && found[n] != '\r' && n < 200)
		n++;
	while (n && (found[n - 1] == ' ' || found[n - 1] == '*' || found[n - 1] == '`'))
		n--;
	return n ? ar_xstrndup(found, n) : NULL;
}
