/*
 * test_plot_svg.c - the progress chart (core/plot_svg.c) from in-memory
 * sessions: what is drawn for each kind of experiment, the zoom between
 * baseline and best, escaping, the label budget, samples, and a session
 * too long to draw every point.  (test_report.c renders one in Chromium.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "testutil.h"

/* n experiments: #1 baseline 1.0, then every 5th a keep 1% better, every
 * 7th a crash, the rest discards slightly worse than the best. */
static void session(struct ar_report *rep, size_t n, int direction)
{
	struct ar_ledger_info info = AR_LEDGER_INFO_INIT;
	double best = 1.0;

	memset(rep, 0, sizeof(*rep));
	rep->dir = ar_xstrdup("/nonexistent");
	rep->info = info;
	rep->info.tag = ar_xstrdup("t");
	rep->info.metric_name = ar_xstrdup("val_bpb");
	rep->info.direction = direction;
	rep->r = ar_xcalloc(n, sizeof(*rep->r));
	rep->n = n;
	for (size_t i = 0; i < n; i++) {
		struct ar_result *r = &rep->r[i];
		int keep = i && i % 5 == 0, crash = i && !keep && i % 7 == 0;
		double better = direction == AR_LOWER_IS_BETTER ? 0.99 : 1.01;
		r->iteration = (long)i + 1;
		r->guard_pass = -1;
		r->status = ar_xstrdup(!i ? "baseline" : keep ? "keep" : crash ? "crash" : "discard");
		r->description = ar_xprintf("change <%zu> & \"more\"", i + 1);
		r->has_score = !crash;
		r->score = keep ? best * better : i ? best / better : 1.0;
		if (i && !crash) {
			r->has_delta = 1;
			r->delta = r->score - best;
		}
		if (keep)
			best = r->score;
	}
	ar_summary_compute(&rep->sum, rep->r, n, direction, 0, 0);
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_what_is_drawn(void **state)
{
	struct ar_report rep;
	ar_buf b = AR_BUF_INIT;
	(void)state;

	session(&rep, 12, AR_LOWER_IS_BETTER);
	ar_report_plot_svg(&b, &rep);
	assert_true(tu_contains(b.ptr, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg "));
	assert_true(tu_contains(b.ptr, ">12 experiments, 2 kept</text>"));
	assert_true(tu_contains(b.ptr, ">val_bpb (lower is better)</text>"));
	/* Kept (#6, #11) labelled, escaped; the discards are not. */
	assert_true(tu_contains(b.ptr, ">change &lt;6&gt; &amp; &quot;more&quot;</text>"));
	assert_true(tu_contains(b.ptr, ">change &lt;11&gt; &amp; &quot;more&quot;</text>"));
	assert_false(tu_contains(b.ptr, ">change &lt;2&gt;"));
	assert_false(tu_contains(b.ptr, "<6>"));
	/* One crash (#8) on the axis, the baseline, the discards faint. */
	assert_int_equal(count(b.ptr, "stroke=\"#d93025\" stroke-width=\"2\"/>\n"), 1);
	assert_int_equal(count(b.ptr, "<circle cx="), 3 + 1 + 2 + 8 /* legend, base, keeps, faint */);
	assert_true(tu_contains(b.ptr, "<path fill=\"none\" stroke=\"#1e8e3e\" stroke-width=\"2\" d=\"M"));
	assert_true(tu_contains(b.ptr, "</svg>\n"));
	assert_false(tu_contains(b.ptr, "samples (spread)"));
	ar_buf_release(&b);
	ar_report_release(&rep);
}

/* The baseline and the best are inside the plot area (y 84..568), the
 * best near the bottom when lower is better, near the top when higher. */
static double y_of_point(const char *svg, const char *fill, int nth)
{
	const char *p = svg;
	char key[64];
	double cy = NAN;

	snprintf(key, sizeof(key), "fill=\"%s\" stroke=\"#fff\"", fill);
	for (int i = 0; i <= nth && p; i++) {
		p = strstr(p, key);
		if (p)
			p++;
	}
	assert_non_null(p);
	while (p > svg && strncmp(p, "cy=\"", 4))
		p--;
	sscanf(p, "cy=\"%lf\"", &cy);
	return cy;
}

static void test_zoom(void **state)
{
	struct ar_report rep;
	ar_buf b = AR_BUF_INIT;
	(void)state;

	session(&rep, 12, AR_LOWER_IS_BETTER);
	ar_report_plot_svg(&b, &rep);
	double base = y_of_point(b.ptr, "#1a73e8", 0), best = y_of_point(b.ptr, "#1e8e3e", 1);
	assert_true(base > 84 && base < 568 && best > 84 && best < 568);
	assert_true(best > base + 300); /* the best is low, the baseline high */
	ar_buf_release(&b);
	ar_report_release(&rep);

	session(&rep, 12, AR_HIGHER_IS_BETTER);
	ar_report_plot_svg(&b, &rep);
	assert_true(tu_contains(b.ptr, ">val_bpb (higher is better)</text>"));
	base = y_of_point(b.ptr, "#1a73e8", 0);
	best = y_of_point(b.ptr, "#1e8e3e", 1);
	assert_true(best < base - 300);
	ar_buf_release(&b);
	ar_report_release(&rep);
}

static void test_samples(void **state)
{
	struct ar_report rep;
	ar_buf b = AR_BUF_INIT;
	(void)state;

	session(&rep, 6, AR_LOWER_IS_BETTER);
	rep.r[0].samples = ar_xcalloc(3, sizeof(double));
	rep.r[0].samples[0] = 0.99;
	rep.r[0].samples[1] = 1.0;
	rep.r[0].samples[2] = 1.01;
	rep.r[0].nsamples = 3;
	ar_report_plot_svg(&b, &rep);
	assert_true(tu_contains(b.ptr, "samples (spread)"));
	assert_int_equal(count(b.ptr, "r=\"1.6\""), 3);
	assert_int_equal(count(b.ptr, "stroke-opacity=\"0.55\""), 1);
	ar_buf_release(&b);
	ar_report_release(&rep);
}

/* A long session: at most 40 labels, none on top of another, and a sample
 * of the faint points, said on the chart. */
static void test_long_session(void **state)
{
	struct ar_report rep;
	ar_buf b = AR_BUF_INIT;
	(void)state;

	session(&rep, 60000, AR_LOWER_IS_BETTER);
	ar_report_plot_svg(&b, &rep);
	assert_true(tu_contains(b.ptr, ">60000 experiments, 11999 kept</text>"));
	size_t labels = count(b.ptr, "transform=\"rotate(");
	assert_true(labels >= 5 && labels <= 40);
	assert_true(tu_contains(b.ptr, "faint points: 1 in 3 of 41143 drawn"));
	assert_true(count(b.ptr, "r=\"3\"/>") <= 20001);
	assert_true(b.len < 8u << 20);
	ar_buf_release(&b);
	ar_report_release(&rep);
}

static void test_empty(void **state)
{
	struct ar_report rep;
	ar_buf b = AR_BUF_INIT;
	(void)state;

	session(&rep, 0, AR_LOWER_IS_BETTER);
	ar_report_plot_svg(&b, &rep);
	assert_true(tu_contains(b.ptr, ">0 experiments, 0 kept</text>"));
	assert_true(tu_contains(b.ptr, ">no experiments yet</text>"));
	assert_false(tu_contains(b.ptr, "nan"));
	assert_false(tu_contains(b.ptr, "inf"));
	ar_buf_release(&b);
	ar_report_release(&rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_what_is_drawn),
		cmocka_unit_test(test_zoom),
		cmocka_unit_test(test_samples),
		cmocka_unit_test(test_long_session),
		cmocka_unit_test(test_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
