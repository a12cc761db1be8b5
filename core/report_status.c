/*
 * report_status.c - the text of `ar status` (a terminal dashboard) and of
 * `ar results` (a table of every experiment, or JSON Lines).
 */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESET "\033[0m"
#define BOLD "\033[1m"
#define DIM "\033[2m"
#define GREEN "\033[32m"
#define RED "\033[31m"
#define CYAN "\033[36m"
#define MAGENTA "\033[35m"

#define RECENT 10

const char *ar_report_status_color(const char *status, int color)
{
	if (!color || !status)
		return "";
	if (!strcmp(status, AR_ST_KEEP))
		return GREEN;
	if (!strcmp(status, AR_ST_BASELINE))
		return CYAN;
	if (!strcmp(status, AR_ST_DISCARD))
		return DIM;
	if (!strcmp(status, AR_ST_CRASH))
		return RED;
	return MAGENTA;
}

static const char *c(int color, const char *code)
{
	return color ? code : "";
}

static void duration_str(char *out, size_t size, double s)
{
	if (!isfinite(s) || s < 0)
		snprintf(out, size, "-");
	else if (s < 60)
		snprintf(out, size, "%.1fs", s);
	else if (s < 3600)
		snprintf(out, size, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
	else
		snprintf(out, size, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
}

void ar_report_duration(ar_buf *b, double s)
{
	char out[48];

	duration_str(out, sizeof(out), s);
	ar_buf_adds(b, out);
}

/* Characters (UTF-8 sequences count as one) in s. */
static size_t nchars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static int has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/*
 * Append s on one line, at most `cols` characters, control characters as
 * spaces, ending in an ellipsis when cut.  cols < 0: no limit.
 */
static void add_line(ar_buf *b, const char *s, int cols)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t keep = (size_t)-1, used = 0;

	if (cols >= 0 && nchars((const char *)p) > (size_t)cols)
		keep = cols > 0 ? (size_t)cols - 1 : 0;
	if (keep == (size_t)-1 && !has_control((const char *)p)) {
		ar_buf_adds(b, (const char *)p);
		return;
	}
	for (; *p; p++) {
		if ((*p & 0xc0) != 0x80 && used++ == keep)
			break;
		ar_buf_addch(b, *p < 0x20 || *p == 0x7f ? ' ' : (char)*p);
	}
	if (keep != (size_t)-1)
		ar_buf_adds(b, "\xe2\x80\xa6");
}

static void add_score(ar_buf *b, const struct ar_result *r)
{
	if (r->has_score && isfinite(r->score))
		ar_buf_printf(b, "%.6f", r->score);
	else
		ar_buf_addch(b, '-');
}

/* Pad b with spaces from column `from` (a length of b) to width w. */
static void pad_to(ar_buf *b, size_t from, size_t w)
{
	while (b->len - from < w)
		ar_buf_addch(b, ' ');
}

static void add_commit(ar_buf *b, const struct ar_result *r)
{
	ar_buf_printf(b, "%.7s", r->commit[0] ? r->commit : "-------");
}

/* ---- ar status ------------------------------------------------------------------ */

static void header(ar_buf *b, const struct ar_report *rep,
                   const struct ar_report_style *st)
{
	const struct ar_ledger_info *in = &rep->info;
	const char *adapter = in->adapter ? in->adapter : st->adapter;
	size_t i;

	ar_buf_printf(b, "%sautoresearch %s%s", c(st->color, BOLD),
	              in->tag ? in->tag : "(untagged)", c(st->color, RESET));
	if (in->branch)
		ar_buf_printf(b, "  (branch %s)", in->branch);
	ar_buf_printf(b, "\n  adapter      %s\n  target       ", adapter ? adapter : "-");
	for (i = 0; i < in->target_files.n; i++)
		ar_buf_printf(b, "%s%s", i ? ", " : "", in->target_files.items[i]);
	ar_buf_printf(b, "%s\n  metric       %s (%s is better)\n",
	              in->target_files.n ? "" : "-", ar_report_metric(rep),
	              ar_report_direction(rep));
}

static void progress(ar_buf *b, const struct ar_report *rep,
                     const struct ar_report_style *st)
{
	const int w = 30;
	/* Experiments after the baseline, as max_experiments counts them (stop.h). */
	size_t n = rep->n - ar_summary_count(&rep->sum, AR_ST_BASELINE);
	long max = st->max_experiments;
	int fill, k;

	ar_buf_printf(b, "\n  experiments  %zu", n);
	if (max <= 0) {
		ar_buf_adds(b, "  (no limit: max_experiments is 0)\n");
		return;
	}
	fill = n >= (size_t)max ? w : (int)((double)n * w / (double)max);
	ar_buf_printf(b, " / %ld  %s", max, c(st->color, GREEN));
	for (k = 0; k < w; k++) {
		if (k == fill)
			ar_buf_adds(b, c(st->color, DIM));
		ar_buf_adds(b, k < fill ? "\xe2\x96\x88" : "\xe2\x96\x91"); /* █ ░ */
	}
	ar_buf_printf(b, "%s  %.0f%%\n", c(st->color, RESET),
	              100.0 * (double)n / (double)max);
}

/* "± 0.0123 p=0.03 " before a description, when the row has samples. */
static void add_noise(ar_buf *b, const struct ar_result *r)
{
	if (r->has_spread)
		ar_buf_printf(b, "± %.4g ", r->spread);
	if (r->has_p_value)
		ar_buf_printf(b, "p=%.2g ", r->p_value);
}

static void numbers(ar_buf *b, const struct ar_report *rep,
                    const struct ar_report_style *st)
{
	const struct ar_summary *s = &rep->sum;
	const struct ar_result *best = s->best >= 0 ? &rep->r[s->best] : NULL;

	if (!s->has_baseline)
		ar_buf_adds(b, "  baseline     none yet (run `ar baseline`)\n");
	else if (s->baseline >= 0)
		ar_buf_printf(b, "  baseline     %.6f  (#%ld)\n", s->baseline_value,
		              rep->r[s->baseline].iteration);
	else
		ar_buf_printf(b, "  baseline     %.6f  (from the config line)\n",
		              s->baseline_value);
	if (!best) {
		ar_buf_adds(b, "  best         none yet\n");
		return;
	}
	ar_buf_printf(b, "  best         %s%.6f%s  ", c(st->color, BOLD GREEN),
	              best->score, c(st->color, RESET));
	add_noise(b, best);
	ar_buf_printf(b, "(#%ld, commit ", best->iteration);
	add_commit(b, best);
	ar_buf_adds(b, ": ");
	add_line(b, best->description, 40);
	ar_buf_adds(b, ")\n");
	if (!s->has_improvement)
		return;
	ar_buf_printf(b, "  improvement  %.6f", fabs(s->improvement));
	if (s->has_improvement_pct)
		ar_buf_printf(b, " (%.2f%%)", fabs(s->improvement_pct));
	ar_buf_printf(b, " %s than the baseline\n", s->improvement < 0 ? "worse" : "better");
}

/* The running best in at most `w` characters of ▁▂▃▄▅▆▇█, one per bucket of
 * experiments (the best at the bucket's end). */
static void sparkline(ar_buf *b, const struct ar_report *rep,
                      const struct ar_report_style *st)
{
	static const char *const bars[] = { "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83",
		"\xe2\x96\x84", "\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88" };
	size_t n = rep->n, w = st->width > 50 ? (size_t)st->width - 30 : 20, k, i;
	double v, lo = INFINITY, hi = -INFINITY, first = NAN, last = NAN;

	if (rep->sum.best < 0)
		return;
	if (w > 60)
		w = 60;
	if (w > n)
		w = n;
	for (i = 0; i < n && isnan(first); i++)
		if (ar_summary_running(&rep->sum, rep->r, i, &v))
			first = v;
	for (k = 0; k < w; k++)
		if (ar_summary_running(&rep->sum, rep->r, (k + 1) * n / w - 1, &v)) {
			lo = fmin(lo, v);
			hi = fmax(hi, v);
			last = v;
		}
	ar_buf_printf(b, "  running best %s", c(st->color, GREEN));
	for (k = 0; k < w; k++) {
		i = (k + 1) * n / w - 1;
		if (!ar_summary_running(&rep->sum, rep->r, i, &v))
			ar_buf_addch(b, ' ');
		else
			ar_buf_adds(b, bars[hi > lo ? (int)lround((v - lo) / (hi - lo) * 7) : 3]);
	}
	ar_buf_printf(b, "%s  %.6f -> %.6f\n", c(st->color, RESET), first, last);
}

static void recent(ar_buf *b, const struct ar_report *rep,
                   const struct ar_report_style *st)
{
	size_t from = rep->n > RECENT ? rep->n - RECENT : 0, i, start;
	size_t mw = strlen(ar_report_metric(rep));
	int cols;

	if (mw < 9)
		mw = 9;
	ar_buf_printf(b, "\n  %slast %zu of %zu%s\n", c(st->color, BOLD), rep->n - from,
	              rep->n, c(st->color, RESET));
	start = b->len;
	ar_buf_adds(b, "       #  commit   ");
	ar_buf_adds(b, ar_report_metric(rep));
	pad_to(b, start, 19 + mw + 2);
	ar_buf_adds(b, "status           description\n");
	cols = st->width - (int)(19 + mw + 2 + 17);
	if (cols < 20)
		cols = 20;
	for (i = from; i < rep->n; i++) {
		const struct ar_result *r = &rep->r[i];
		start = b->len;
		ar_buf_printf(b, "  %6ld  ", r->iteration);
		add_commit(b, r);
		ar_buf_adds(b, "  ");
		add_score(b, r);
		pad_to(b, start, 19 + mw + 2);
		ar_buf_printf(b, "%s%-15s%s  ", ar_report_status_color(r->status, st->color),
		              r->status, c(st->color, RESET));
		add_noise(b, r);
		add_line(b, r->description, cols);
		ar_buf_addch(b, '\n');
	}
}

static void counts(ar_buf *b, const struct ar_report *rep,
                   const struct ar_report_style *st)
{
	const struct ar_summary *s = &rep->sum;
	size_t i;

	ar_buf_printf(b, "\n  %sstatuses%s\n", c(st->color, BOLD), c(st->color, RESET));
	for (i = 0; i < s->ncounts; i++) {
		if (!s->counts[i].count)
			continue;
		ar_buf_printf(b, "    %s%-16s%s %7zu  %5.1f%%\n",
		              ar_report_status_color(s->counts[i].status, st->color),
		              s->counts[i].status, c(st->color, RESET), s->counts[i].count,
		              100.0 * (double)s->counts[i].count / (double)s->n);
	}
}

void ar_report_status(ar_buf *b, const struct ar_report *rep,
                      const struct ar_report_style *st)
{
	header(b, rep, st);
	progress(b, rep, st);
	if (!rep->n) {
		ar_buf_adds(b, "\n  no experiments yet: run `ar baseline`, then `ar step` "
		               "or `ar run`\n");
		return;
	}
	numbers(b, rep, st);
	sparkline(b, rep, st);
	recent(b, rep, st);
	counts(b, rep, st);
}

/* ---- ar results ------------------------------------------------------------------- */

int ar_report_statuses(const struct ar_report *rep, const ar_strvec *args,
                       ar_strvec *out)
{
	const struct ar_summary *s = &rep->sum;
	ar_buf known = AR_BUF_INIT;
	size_t i, k;
	int rc = 0;

	for (i = 0; i < args->n && rc == 0; i++) {
		char *list = ar_xstrdup(args->items[i]), *save = NULL, *tok;
		for (tok = strtok_r(list, ", ", &save); tok && rc == 0;
		     tok = strtok_r(NULL, ", ", &save)) {
			for (k = 0; k < s->ncounts && strcmp(s->counts[k].status, tok); k++)
				;
			if (k < s->ncounts) {
				ar_strvec_push(out, tok);
				continue;
			}
			for (k = 0; k < s->ncounts; k++)
				ar_buf_printf(&known, "%s%s", k ? ", " : "", s->counts[k].status);
			rc = ar_error_set(AR_EUSAGE, "unknown status '%s'; statuses are: %s",
			                  tok, known.ptr);
		}
		free(list);
	}
	ar_buf_release(&known);
	return rc;
}

static int wanted(const ar_strvec *statuses, const struct ar_result *r)
{
	return !statuses || !statuses->n || ar_strvec_contains(statuses, r->status);
}

/* One row of the table, formatted on the stack and added at once (the
 * table of a long session has 100,000 of them). */
static void table_row(ar_buf *b, const struct ar_result *r, size_t mw, int color)
{
	char score[48] = "-", delta[48] = "-", mem[48] = "-", dur[48], line[256];
	int n;

	if (r->has_score && isfinite(r->score)) {
		ar_report_fixed(score, r->score, 6);
		if (isfinite(r->memory_gb))
			ar_report_fixed(mem, r->memory_gb, 1);
	}
	if (r->has_delta && isfinite(r->delta)) {
		delta[0] = '+';
		ar_report_fixed(delta + (r->delta >= 0 && !signbit(r->delta)), r->delta, 6);
	}
	duration_str(dur, sizeof(dur), r->duration_s);
	n = snprintf(line, sizeof(line), "%6ld  %.7s  %-*s  %-10s  %s%-15s%s  %6s  %-6s  ",
	             r->iteration, r->commit[0] ? r->commit : "-------", (int)mw, score,
	             delta, ar_report_status_color(r->status, color), r->status,
	             c(color, RESET), mem, dur);
	ar_buf_add(b, line, n > 0 && (size_t)n < sizeof(line) ? (size_t)n : 0);
	add_noise(b, r);
	add_line(b, r->description, -1);
	ar_buf_addch(b, '\n');
}

static size_t metric_width(const struct ar_report *rep)
{
	size_t mw = strlen(ar_report_metric(rep));

	return mw < 9 ? 9 : mw;
}

void ar_report_results_header(ar_buf *b, const struct ar_report *rep, int json)
{
	size_t start = b->len;

	if (json)
		return;
	ar_buf_adds(b, "     #  commit   ");
	ar_buf_adds(b, ar_report_metric(rep));
	pad_to(b, start, 17 + metric_width(rep) + 2);
	ar_buf_adds(b, "delta       status           mem GB  time    description\n");
}

int ar_report_results_row(ar_buf *b, const struct ar_report *rep, size_t i,
                          const ar_strvec *statuses, int json, int color)
{
	if (i >= rep->n || !wanted(statuses, &rep->r[i]))
		return 0;
	if (json) {
		ar_ledger_json_row(b, &rep->r[i]);
		ar_buf_addch(b, '\n');
	} else {
		table_row(b, &rep->r[i], metric_width(rep), color);
	}
	return 1;
}
