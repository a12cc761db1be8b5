/*
 * plot_svg.c - `ar plot`: the progress chart, in the style of
 * karpathy/autoresearch's progress.png: every experiment a point in order,
 * kept ones highlighted and labelled, discarded ones faint, crashes marked
 * on the axis, the running best as a step line, the y axis zoomed between
 * the baseline and the best.  Plain SVG 1.1, no script, no external font.
 */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define W 1200
#define H 640
#define ML 96   /* margins: left, right, top, bottom */
#define MR 40
#define MT 84
#define MB 72
#define MAX_POINTS 20000  /* faint points drawn at most (a sample beyond) */
#define MAX_LABELS 40     /* kept experiments labelled at most */
#define LABEL_CHARS 32

#define C_KEEP "#1e8e3e"
#define C_BASE "#1a73e8"
#define C_FAINT "#9aa0a6"
#define C_CRASH "#d93025"
#define C_OTHER "#f29900"
#define C_TEXT "#202124"
#define C_GRID "#e8eaed"

struct frame {
	double x0, x1;   /* experiment numbers at the left and right edges */
	double y0, y1;   /* metric values at the bottom and the top */
};

static double px(const struct frame *f, double it)
{
	return ML + (it - f->x0) / (f->x1 - f->x0) * (W - ML - MR);
}

static double py(const struct frame *f, double v)
{
	return H - MB - (v - f->y0) / (f->y1 - f->y0) * (H - MT - MB);
}

static int scored(const struct ar_result *r)
{
	return r->has_score && isfinite(r->score);
}

static int is(const struct ar_result *r, const char *status)
{
	return r->status && !strcmp(r->status, status);
}

/* Text for SVG: XML-escaped, control characters as spaces, at most
 * max_chars characters (0: no limit) with an ellipsis when cut. */
static void xml(ar_buf *b, const char *s, size_t max_chars)
{
	size_t used = 0, total = 0, keep;
	const char *p;

	for (p = s ? s : ""; *p; p++)
		total += ((unsigned char)*p & 0xc0) != 0x80;
	keep = max_chars && total > max_chars ? max_chars - 1 : total;
	for (p = s ? s : ""; *p; p++) {
		if (((unsigned char)*p & 0xc0) != 0x80 && used++ == keep)
			break;
		switch (*p) {
		case '&': ar_buf_adds(b, "&amp;"); break;
		case '<': ar_buf_adds(b, "&lt;"); break;
		case '>': ar_buf_adds(b, "&gt;"); break;
		case '"': ar_buf_adds(b, "&quot;"); break;
		default: ar_buf_addch(b, (unsigned char)*p < 0x20 ? ' ' : *p);
		}
	}
	if (keep < total)
		ar_buf_adds(b, "\xe2\x80\xa6");
}

/* The score the chart starts from: the baseline, else the first best. */
static int start_value(const struct ar_report *rep, double *v)
{
	const struct ar_summary *s = &rep->sum;

	if (s->has_baseline) {
		*v = s->baseline_value;
		return 1;
	}
	for (size_t i = 0; i < s->n; i++)
		if (ar_summary_running(s, rep->r, i, v))
			return 1;
	return 0;
}

/* Zoom between the baseline and the best: a little room past the best,
 * more on the worse side, where the near misses are. */
static void make_frame(struct frame *f, const struct ar_report *rep)
{
	const struct ar_summary *s = &rep->sum;
	double base = 0, best, lo, hi, span;
	int lower = rep->info.direction != AR_HIGHER_IS_BETTER;

	f->x0 = 0;
	f->x1 = rep->n ? (double)rep->r[rep->n - 1].iteration + 1 : 1;
	if (f->x1 <= f->x0)
		f->x1 = f->x0 + 1;
	if (!start_value(rep, &base))
		base = 0;
	best = s->best >= 0 ? rep->r[s->best].score : base;
	lo = fmin(base, best);
	hi = fmax(base, best);
	span = hi - lo;
	if (span <= 0)
		span = fabs(hi) > 0 ? fabs(hi) * 0.02 : 1.0;
	f->y0 = lo - span * (lower ? 0.12 : 0.4);
	f->y1 = hi + span * (lower ? 0.4 : 0.12);
}

static double nice_step(double span, int want)
{
	double raw = span / want, mag = pow(10, floor(log10(raw))), norm = raw / mag;

	return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

static void y_axis(ar_buf *b, const struct frame *f, const struct ar_report *rep)
{
	double step = nice_step(f->y1 - f->y0, 6), v;
	int decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);

	for (v = ceil(f->y0 / step) * step; v <= f->y1 + step * 1e-9; v += step) {
		double y = py(f, v);
		ar_buf_printf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"" C_GRID
		              "\"/>\n<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" font-size=\"12\" "
		              "fill=\"" C_TEXT "\">%.*f</text>\n", ML, y, W - MR, y, ML - 8, y + 4,
		              decimals, fabs(v) < step * 1e-9 ? 0.0 : v);
	}
	ar_buf_printf(b, "<text transform=\"translate(22 %d) rotate(-90)\" text-anchor=\"middle\" "
	              "font-size=\"14\" fill=\"" C_TEXT "\">", (MT + H - MB) / 2);
	xml(b, ar_report_metric(rep), 0);
	ar_buf_printf(b, " (%s is better)</text>\n", ar_report_direction(rep));
}

static void x_axis(ar_buf *b, const struct frame *f)
{
	double step = nice_step(f->x1 - f->x0, 10), v;

	if (step < 1)
		step = 1;
	for (v = ceil(f->x0 / step) * step; v <= f->x1; v += step)
		ar_buf_printf(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" font-size=\"12\" "
		              "fill=\"" C_TEXT "\">%.0f</text>\n", px(f, v), H - MB + 20, v);
	ar_buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"14\" "
	              "fill=\"" C_TEXT "\">experiment #</text>\n", (ML + W - MR) / 2, H - 22);
}

static void title(ar_buf *b, const struct ar_report *rep)
{
	const struct ar_summary *s = &rep->sum;

	ar_buf_printf(b, "<text x=\"%d\" y=\"34\" font-size=\"22\" font-weight=\"bold\" "
	              "fill=\"" C_TEXT "\">%zu experiments, %zu kept</text>\n", ML, s->n,
	              ar_summary_count(s, AR_ST_KEEP));
	ar_buf_printf(b, "<text x=\"%d\" y=\"58\" font-size=\"13\" fill=\"#5f6368\">autoresearch ",
	              ML);
	xml(b, rep->info.tag ? rep->info.tag : "(untagged)", 0);
	ar_buf_adds(b, " \xc2\xb7 ");
	xml(b, ar_report_metric(rep), 0);
	if (s->has_improvement)
		ar_buf_printf(b, ": baseline %.6f \xe2\x86\x92 best %.6f (%.2f%% %s)", s->baseline_value,
		              rep->r[s->best].score, s->has_improvement_pct ? fabs(s->improvement_pct) : 0.0,
		              s->improvement >= 0 ? "better" : "worse");
	ar_buf_adds(b, "</text>\n");
}

static void legend(ar_buf *b, int has_samples)
{
	int x = W - MR - (has_samples ? 640 : 520), y = 76;

	ar_buf_printf(b, "<g font-size=\"12\" fill=\"" C_TEXT "\">"
	              "<circle cx=\"%d\" cy=\"%d\" r=\"6\" fill=\"" C_BASE "\"/>"
	              "<text x=\"%d\" y=\"%d\">baseline</text>", x, y - 4, x + 10, y);
	x += 80;
	ar_buf_printf(b, "<circle cx=\"%d\" cy=\"%d\" r=\"5\" fill=\"" C_KEEP "\"/>"
	              "<text x=\"%d\" y=\"%d\">kept</text>"
	              "<circle cx=\"%d\" cy=\"%d\" r=\"3\" fill=\"" C_FAINT "\" fill-opacity=\"0.6\"/>"
	              "<text x=\"%d\" y=\"%d\">discarded</text>"
	              "<path d=\"M%d %d l8 8 m0 -8 l-8 8\" stroke=\"" C_CRASH "\" stroke-width=\"2\"/>"
	              "<text x=\"%d\" y=\"%d\">crash</text>"
	              "<path d=\"M%d %d h10 v-6 h10\" stroke=\"" C_KEEP "\" stroke-width=\"2\" fill=\"none\"/>"
	              "<text x=\"%d\" y=\"%d\">running best</text>",
	              x, y - 4, x + 9, y, x + 70, y - 4, x + 79, y, x + 160, y - 8, x + 173, y,
	              x + 230, y - 1, x + 256, y);
	if (has_samples)
		ar_buf_printf(b, "<path d=\"M%d %d v-12\" stroke=\"" C_BASE "\" stroke-width=\"2\"/>"
		              "<text x=\"%d\" y=\"%d\">samples (spread)</text>", x + 360, y + 2,
		              x + 368, y);
	ar_buf_adds(b, "</g>\n");
}

/* Discarded (and other scored) experiments, faint; at most MAX_POINTS. */
static void faint_points(ar_buf *b, const struct frame *f, const struct ar_report *rep)
{
	size_t i, count = 0, stride;

	for (i = 0; i < rep->n; i++)
		count += scored(&rep->r[i]) && !is(&rep->r[i], AR_ST_KEEP) &&
		         !is(&rep->r[i], AR_ST_BASELINE);
	stride = count > MAX_POINTS ? (count + MAX_POINTS - 1) / MAX_POINTS : 1;
	ar_buf_printf(b, "<g fill=\"" C_FAINT "\" fill-opacity=\"0.65\">\n");
	for (i = 0, count = 0; i < rep->n; i++) {
		const struct ar_result *r = &rep->r[i];
		if (!scored(r) || is(r, AR_ST_KEEP) || is(r, AR_ST_BASELINE) || count++ % stride)
			continue;
		ar_buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\"/>\n",
		              px(f, (double)r->iteration), py(f, r->score));
	}
	ar_buf_adds(b, "</g>\n");
	if (stride > 1)
		ar_buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"11\" "
		              "fill=\"#5f6368\">faint points: 1 in %zu of %zu drawn</text>\n",
		              W - MR, H - 6, stride, count);
}

static void best_line(ar_buf *b, const struct frame *f, const struct ar_report *rep)
{
	const struct ar_summary *s = &rep->sum;
	size_t i;
	int started = 0;

	ar_buf_adds(b, "<path fill=\"none\" stroke=\"" C_KEEP "\" stroke-width=\"2\" d=\"");
	for (i = 0; i < s->n; i++) {
		if (s->running_best[i] != (long)i)
			continue;
		double x = px(f, (double)rep->r[i].iteration), y = py(f, rep->r[i].score);
		if (started)
			ar_buf_printf(b, " H%.1f V%.1f", x, y);
		else
			ar_buf_printf(b, "M%.1f %.1f", x, y);
		started = 1;
	}
	if (started)
		ar_buf_printf(b, " H%.1f", px(f, (double)rep->r[s->n - 1].iteration));
	ar_buf_adds(b, "\"/>\n");
}

/* Each repeated measurement, and the line from the lowest to the highest. */
static void samples_spread(ar_buf *b, const struct frame *f, const struct ar_report *rep)
{
	size_t i, k;

	ar_buf_adds(b, "<g stroke=\"" C_BASE "\" fill=\"" C_BASE "\">\n");
	for (i = 0; i < rep->n; i++) {
		const struct ar_result *r = &rep->r[i];
		double lo = INFINITY, hi = -INFINITY, x = px(f, (double)r->iteration);
		if (!r->nsamples || !r->samples)
			continue;
		for (k = 0; k < r->nsamples; k++) {
			lo = fmin(lo, r->samples[k]);
			hi = fmax(hi, r->samples[k]);
			ar_buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"1.6\" fill-opacity=\"0.5\" "
			              "stroke=\"none\"/>\n", x, py(f, r->samples[k]));
		}
		ar_buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
		              "stroke-opacity=\"0.55\" stroke-width=\"2\"/>\n", x, py(f, lo), x, py(f, hi));
	}
	ar_buf_adds(b, "</g>\n");
}

static int has_samples(const struct ar_report *rep)
{
	for (size_t i = 0; i < rep->n; i++)
		if (rep->r[i].nsamples)
			return 1;
	return 0;
}

static void kept_points(ar_buf *b, const struct frame *f, const struct ar_report *rep)
{
	size_t i;

	for (i = 0; i < rep->n; i++) {
		const struct ar_result *r = &rep->r[i];
		int base = is(r, AR_ST_BASELINE);
		if (!scored(r) || (!base && !is(r, AR_ST_KEEP)))
			continue;
		ar_buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%d\" fill=\"%s\" stroke=\"#fff\" "
		              "stroke-width=\"1.5\"/>\n", px(f, (double)r->iteration),
		              py(f, r->score), base ? 6 : 5, base ? C_BASE : C_KEEP);
	}
}

/* How much a kept experiment improved the best (its label's priority). */
static double kept_gain(const struct ar_result *r)
{
	return r->has_delta && isfinite(r->delta) ? fabs(r->delta) : 0.0;
}

static const struct ar_result *sort_rows; /* qsort has no payload */

static int by_gain_desc(const void *a, const void *b)
{
	double x = kept_gain(&sort_rows[*(const size_t *)a]);
	double y = kept_gain(&sort_rows[*(const size_t *)b]);

	if (x != y)
		return x < y ? 1 : -1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static void label(ar_buf *b, const struct frame *f, const struct ar_result *r)
{
	/* Near the right edge, the label goes to the left of its point. */
	int left = px(f, (double)r->iteration) > W - MR - 220;
	double x = px(f, (double)r->iteration) + (left ? -7 : 7), y = py(f, r->score) - 7;

	ar_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\"%s transform=\"rotate(%d %.1f %.1f)\">",
	              x, y, left ? " text-anchor=\"end\"" : "", left ? 28 : -28, x, y);
	xml(b, r->description, LABEL_CHARS);
	ar_buf_adds(b, "</text>\n");
}

/*
 * Shortened descriptions of the kept experiments, the largest gains first;
 * a label whose point is too close to one already placed is left out, and
 * at most MAX_LABELS are placed.
 */
static void labels(ar_buf *b, const struct frame *f, const struct ar_report *rep)
{
	size_t *idx = ar_xmalloc((rep->n ? rep->n : 1) * sizeof(*idx)), n = 0, i, k, placed = 0;
	double xs[MAX_LABELS], ys[MAX_LABELS];

	for (i = 0; i < rep->n; i++)
		if (is(&rep->r[i], AR_ST_KEEP) && scored(&rep->r[i]))
			idx[n++] = i;
	sort_rows = rep->r;
	qsort(idx, n, sizeof(*idx), by_gain_desc);
	ar_buf_adds(b, "<g font-size=\"11\" fill=\"#137333\">\n");
	for (i = 0; i < n && placed < MAX_LABELS; i++) {
		const struct ar_result *r = &rep->r[idx[i]];
		double x = px(f, (double)r->iteration), y = py(f, r->score);
		if (y < MT || y > H - MB)
			continue;
		for (k = 0; k < placed; k++)
			if (fabs(xs[k] - x) < 110 && fabs(ys[k] - y) < 16)
				break;
		if (k < placed)
			continue;
		xs[placed] = x;
		ys[placed++] = y;
		label(b, f, r);
	}
	ar_buf_adds(b, "</g>\n");
	free(idx);
}

/* Experiments without a metric, on the x axis: crashes as red crosses,
 * other failures (guard, checks, scope, interrupted) as orange ticks. */
static void failures(ar_buf *b, const struct frame *f, const struct ar_report *rep)
{
	size_t i;

	for (i = 0; i < rep->n; i++) {
		const struct ar_result *r = &rep->r[i];
		double x = px(f, (double)r->iteration);
		if (is(r, AR_ST_CRASH))
			ar_buf_printf(b, "<path d=\"M%.1f %d l8 8 m0 -8 l-8 8\" stroke=\"" C_CRASH
			              "\" stroke-width=\"2\"/>\n", x - 4, H - MB - 4);
		else if (!scored(r) && !is(r, AR_ST_KEEP) && !is(r, AR_ST_BASELINE) &&
		         !is(r, AR_ST_DISCARD))
			ar_buf_printf(b, "<path d=\"M%.1f %d v-10\" stroke=\"" C_OTHER
			              "\" stroke-width=\"2\"/>\n", x, H - MB);
	}
}

void ar_report_plot_svg(ar_buf *b, const struct ar_report *rep)
{
	struct frame f;

	make_frame(&f, rep);
	ar_buf_printf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	              "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	              "viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Helvetica, Arial, "
	              "sans-serif\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n"
	              "<defs><clipPath id=\"plot\"><rect x=\"%d\" y=\"%d\" width=\"%d\" "
	              "height=\"%d\"/></clipPath></defs>\n", W, H, W, H, ML, MT, W - ML - MR,
	              H - MT - MB);
	title(b, rep);
	legend(b, has_samples(rep));
	y_axis(b, &f, rep);
	x_axis(b, &f);
	ar_buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
	              "stroke=\"#bdc1c6\"/>\n<g clip-path=\"url(#plot)\">\n", ML, MT,
	              W - ML - MR, H - MT - MB);
	faint_points(b, &f, rep);
	samples_spread(b, &f, rep);
	best_line(b, &f, rep);
	kept_points(b, &f, rep);
	ar_buf_adds(b, "</g>\n");
	labels(b, &f, rep);
	failures(b, &f, rep);
	if (!rep->n)
		ar_buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"16\" "
		              "fill=\"#5f6368\">no experiments yet</text>\n", (ML + W - MR) / 2,
		              (MT + H - MB) / 2);
	ar_buf_adds(b, "</svg>\n");
}
