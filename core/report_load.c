/*
 * report_load.c - a session read back for the reporting commands: the
 * config line, the results, their summary, and what is wrong with the
 * ledger's files (as warnings, never as a reason to show nothing).
 */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_scan.h"


/* Split a multi-line warning into rep->warnings. */
static void add_warnings(struct ar_report *rep, const char *text)
{
	const char *p = text, *nl;

	while (p && *p) {
		nl = strchr(p, '\n');
		ar_strvec_push_nodup(&rep->warnings,
		                     nl ? ar_xstrndup(p, (size_t)(nl - p)) : ar_xstrdup(p));
		p = nl ? nl + 1 : NULL;
	}
}

static void tsv_mismatch(struct ar_report *rep, const char *what)
{
	ar_strvec_pushf(&rep->warnings, "%s %s; shown is %s, the record ar keeps "
	                "(remove %s and the next `ar step` writes it again from it)",
	                AR_LEDGER_TSV, what, AR_LEDGER_JSONL, AR_LEDGER_TSV);
}

/*
 * "%.<dec>f" of v into out without printf, for the values where rounding
 * v * 10^dec to the nearest integer cannot be in doubt; 0 otherwise.
 */
static int fixed_fast(char *out, double v, int dec)
{
	static const unsigned long long pow10[] = { 1, 10, 100, 1000, 10000, 100000, 1000000 };
	double scaled, fl;
	unsigned long long q, div;
	char digits[32];
	int k = 0, i;

	if (dec < 1 || dec > 6 || !isfinite(v))
		return 0;
	div = pow10[dec];
	scaled = fabs(v) * (double)div;
	fl = floor(scaled);
	if (scaled >= 1e12 || fabs(scaled - fl - 0.5) < 1e-3)
		return 0;
	q = (unsigned long long)(scaled - fl > 0.5 ? fl + 1 : fl);
	if (signbit(v))
		*out++ = '-';
	for (unsigned long long ip = q / div; k == 0 || ip; ip /= 10)
		digits[k++] = (char)('0' + ip % 10);
	while (k)
		*out++ = digits[--k];
	*out++ = '.';
	for (i = dec - 1, q %= div; i >= 0; i--, q /= 10)
		out[i] = (char)('0' + q % 10);
	out[dec] = '\0';
	return 1;
}

void ar_report_fixed(char *out, double v, int dec)
{
	if (!fixed_fast(out, v, dec))
		snprintf(out, 48, "%.*f", dec, v);
}

/*
 * The row ar_ledger_tsv_row writes for r, built without printf when it
 * can be (1), for a quick comparison; 0 when it cannot.  A row that
 * differs is compared again with ar_ledger_tsv_row itself, so this only
 * has to be fast, never the judge.
 */
static int quick_row(ar_buf *b, const struct ar_result *r)
{
	int has = r->has_score && isfinite(r->score);
	char num[48], mem[48];
	const char *d = r->description && *r->description ? r->description
	                : (r->status && !strcmp(r->status, AR_ST_BASELINE) ? "baseline" : "");

	if (!fixed_fast(num, has ? r->score : 0.0, 6) ||
	    !fixed_fast(mem, has && isfinite(r->memory_gb) ? r->memory_gb : 0.0, 1) ||
	    strpbrk(d, "\t\r\n") || (r->status && strpbrk(r->status, "\t\r\n")))
		return 0;
	ar_buf_add(b, r->commit[0] ? r->commit : "-------", 7);
	ar_buf_addch(b, '\t');
	ar_buf_adds(b, num);
	ar_buf_addch(b, '\t');
	ar_buf_adds(b, mem);
	ar_buf_addch(b, '\t');
	ar_buf_adds(b, r->status ? r->status : "");
	ar_buf_addch(b, '\t');
	ar_buf_adds(b, d);
	ar_buf_addch(b, '\n');
	return 1;
}

/* Whether the TSV line (without its newline) is r's row. */
static int row_matches(ar_buf *row, const struct ar_result *r, const char *p, size_t len)
{
	ar_buf_clear(row);
	if (quick_row(row, r) && row->len == len + 1 && !memcmp(p, row->ptr, len))
		return 1;
	ar_buf_clear(row);
	ar_ledger_tsv_row(row, r);
	return row->len == len + 1 && !memcmp(p, row->ptr, len);
}

/*
 * results.tsv must hold one row per result, as ar_ledger_tsv_row writes
 * it.  A row edited by hand, a missing or extra row is reported once (the
 * first), since the JSONL is what is shown.  The file is streamed.
 */
static void check_tsv(struct ar_report *rep)
{
	char *path = ar_path_join(rep->dir, AR_LEDGER_TSV), what[160];
	struct ar_ledger_lines lr;
	struct ar_ledger_line l;
	ar_buf row = AR_BUF_INIT;
	size_t i = 0;
	int rc;

	if (ar_ledger_lines_open(&lr, path) < 0) {
		if (rep->n)
			ar_strvec_pushf(&rep->warnings, "%s; shown is %s, the record ar "
			                "keeps (the next `ar step` writes %s again)",
			                ar_error_last(), AR_LEDGER_JSONL, AR_LEDGER_TSV);
		ar_error_clear();
		goto out;
	}
	rc = ar_ledger_lines_next(&lr, path, &l);
	if (rc <= 0 || l.lineno != 1 || l.len < 7 || strncmp(l.text, "commit\t", 7)) {
		tsv_mismatch(rep, "has no `commit<TAB>...` header on line 1");
		goto close;
	}
	while ((rc = ar_ledger_lines_next(&lr, path, &l)) > 0 && i < rep->n) {
		if (l.lineno != i + 2 || !row_matches(&row, &rep->r[i], l.text, l.len)) {
			snprintf(what, sizeof(what), "line %zu does not match experiment "
			         "#%ld (edited by hand?)", i + 2, rep->r[i].iteration);
			tsv_mismatch(rep, what);
			goto close;
		}
		i++;
	}
	if (rc >= 0 && (i < rep->n || rc > 0)) {
		snprintf(what, sizeof(what), "has %s rows than the %zu results "
		         "(edited by hand?)", i < rep->n ? "fewer" : "more", rep->n);
		tsv_mismatch(rep, what);
	}
close:
	ar_ledger_lines_close(&lr);
	ar_error_clear();
out:
	ar_buf_release(&row);
	free(path);
}

int ar_report_load(struct ar_report *rep, const char *dir, int check)
{
	struct ar_ledger_info empty = AR_LEDGER_INFO_INIT;
	char *path = ar_path_join(dir, AR_LEDGER_JSONL), *warning = NULL;
	int rc = 0;

	memset(rep, 0, sizeof(*rep));
	rep->info = empty;
	rep->dir = ar_xstrdup(dir);
	if (!ar_path_exists(path)) {
		rc = ar_error_set(AR_ENOTFOUND, "no session here: %s does not exist; "
		                  "start one with `ar init` and `ar baseline`", path);
		goto out;
	}
	if (ar_ledger_read_header(dir, &rep->info) == 0) {
		rep->has_info = 1;
	} else {
		ar_strvec_pushf(&rep->warnings, "%s; the metric's name and direction "
		                "are unknown (lower is better is assumed)", ar_error_last());
		ar_error_clear();
	}
	if ((rc = ar_ledger_read(dir, &rep->r, &rep->n, &warning)) < 0)
		goto out;
	add_warnings(rep, warning);
	ar_summary_compute(&rep->sum, rep->r, rep->n, rep->info.direction,
	                   rep->info.has_baseline, rep->info.baseline);
	if (check)
		check_tsv(rep);
out:
	free(warning);
	free(path);
	return rc;
}

void ar_report_release(struct ar_report *rep)
{
	ar_summary_release(&rep->sum);
	ar_ledger_results_free(rep->r, rep->n);
	ar_ledger_info_release(&rep->info);
	ar_strvec_release(&rep->warnings);
	free(rep->dir);
	memset(rep, 0, sizeof(*rep));
}

long ar_report_find(const struct ar_report *rep, long iteration)
{
	size_t i;

	/* Rows are numbered 1..n in order; look there first. */
	if (iteration >= 1 && (size_t)iteration <= rep->n &&
	    rep->r[iteration - 1].iteration == iteration)
		return iteration - 1;
	for (i = 0; i < rep->n; i++)
		if (rep->r[i].iteration == iteration)
			return (long)i;
	return -1;
}

const char *ar_report_metric(const struct ar_report *rep)
{
	return rep->info.metric_name && *rep->info.metric_name
	       ? rep->info.metric_name : "metric";
}

const char *ar_report_direction(const struct ar_report *rep)
{
	return rep->info.direction == AR_HIGHER_IS_BETTER ? "higher" : "lower";
}
