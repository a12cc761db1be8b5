/*
 * test_ledger.c - results.tsv, autoresearch.jsonl and the dashboard, written
 * into real temporary directories and read back: the TSV byte for byte, the
 * JSONL through jansson as an independent reader.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "ledger.h"
#include "testutil.h"

#define TSV_HEADER "commit\tval_bpb\tmemory_gb\tstatus\tdescription\n"
#define SHA1 "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
#define SHA2 "b2c3d4e5f60718293a4b5c6d7e8f901234567890"
#define SHA3 "c3d4e5f60718293a4b5c6d7e8f90123456789012"

/* ---- helpers ----------------------------------------------------------- */

/* A result with owned strings; release with ar_result_release. */
static struct ar_result mkres(long it, const char *commit, int has_score,
                              double score, const char *status,
                              const char *desc)
{
	struct ar_result r;

	memset(&r, 0, sizeof(r));
	r.iteration = it;
	snprintf(r.commit, sizeof(r.commit), "%s", commit ? commit : "");
	r.has_score = has_score;
	r.score = score;
	r.guard_pass = -1;
	r.status = ar_xstrdup(status);
	r.description = desc ? ar_xstrdup(desc) : NULL;
	r.timestamp = ar_xstrdup("2026-11-23T16:20:00Z");
	return r;
}

static void append(const char *dir, struct ar_result r)
{
	assert_int_equal(ar_ledger_append(dir, "val_bpb", &r), 0);
	ar_result_release(&r);
}

static void create(const char *dir, int direction)
{
	ar_strvec targets = AR_STRVEC_INIT, fixed = AR_STRVEC_INIT;
	const char *guards[] = { "peak_vram", "tests" };
	struct ar_ledger_header h;

	ar_strvec_push(&targets, "train.py");
	ar_strvec_push(&fixed, "prepare.py");
	ar_strvec_push(&fixed, "eval/**");
	memset(&h, 0, sizeof(h));
	h.tag = "nov23";
	h.branch = "autoresearch/nov23";
	h.base_branch = "main";
	h.adapter = "nanochat";
	h.target_files = &targets;
	h.fixed_files = &fixed;
	h.run_command = "uv run train.py";
	h.metric_name = "val_bpb";
	h.direction = direction;
	h.guard_names = guards;
	h.nguards = 2;
	assert_int_equal(ar_ledger_create(dir, &h), 0);
	ar_strvec_release(&targets);
	ar_strvec_release(&fixed);
}

/* Line n (1-based) of dir/rel parsed by jansson; caller decrefs. */
static json_t *json_line(const char *dir, const char *rel, int n)
{
	char *text = tu_read(dir, rel), *p, *nl;
	json_error_t err;
	json_t *v;

	assert_non_null(text);
	for (p = text; --n > 0; p = nl + 1) {
		nl = strchr(p, '\n');
		assert_non_null(nl);
	}
	nl = strchr(p, '\n');
	assert_non_null(nl); /* every line is whole */
	v = json_loadb(p, (size_t)(nl - p), 0, &err);
	if (!v)
		fail_msg("line is not JSON: %s", err.text);
	free(text);
	return v;
}

/* The keys of o in order, joined by ','. */
static char *keys(json_t *o)
{
	ar_buf b = AR_BUF_INIT;
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		(void)v;
		if (b.len)
			ar_buf_addch(&b, ',');
		ar_buf_adds(&b, k);
	}
	return ar_buf_detach(&b);
}

static void assert_keys(json_t *o, const char *want)
{
	char *got = keys(o);

	assert_string_equal(got, want);
	free(got);
}

static void assert_json_null(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!v || !json_is_null(v))
		fail_msg("\"%s\" should be null", key);
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}


/* The baseline is written into the config line once known; results stay. */
static void test_update_header_sets_baseline(void **state)
{
	char *dir = tu_tmpdir(), *before, *after;
	struct ar_ledger_info info = AR_LEDGER_INFO_INIT;
	struct ar_result r;
	struct ar_ledger_header h;
	(void)state;

	create(dir, AR_LOWER_IS_BETTER);
	memset(&r, 0, sizeof(r));
	r.iteration = 1;
	r.has_score = 1;
	r.score = 0.75;
	r.status = "baseline";
	r.description = "baseline";
	r.guard_pass = -1;
	assert_int_equal(ar_ledger_append(dir, "val_bpb", &r), 0);
	free(r.timestamp); /* filled by the append; the rest are literals */
	assert_int_equal(ar_ledger_read_header(dir, &info), 0);
	before = ar_xstrdup(info.created_at);
	ar_ledger_info_header(&h, &info);
	h.has_baseline = 1;
	h.baseline = 0.75;
	h.base_branch = NULL; /* a resumed session does not know it: kept */
	assert_int_equal(ar_ledger_update_header(dir, &h), 0);
	ar_ledger_info_release(&info);

	assert_int_equal(ar_ledger_read_header(dir, &info), 0);
	assert_true(info.has_baseline && info.baseline == 0.75);
	assert_string_equal(info.created_at, before);
	assert_string_equal(info.tag, "nov23");
	assert_string_equal(info.base_branch, "main");
	ar_ledger_info_release(&info);
	after = tu_read(dir, AR_LEDGER_JSONL);
	assert_int_equal(count_lines(after), 2);
	json_t *res = json_line(dir, AR_LEDGER_JSONL, 2);
	assert_string_equal(json_string_value(json_object_get(res, "type")), "result");
	json_decref(res);
	free(after);
	free(before);
	tu_rm_rf(dir);
	free(dir);
}

/* ---- results.tsv --------------------------------------------------------- */

static void test_tsv_exact_bytes(void **state)
{
	char *dir = tu_tmpdir(), *tsv;
	struct ar_result r;
	(void)state;

	create(dir, AR_LOWER_IS_BETTER);
	tsv = tu_read(dir, AR_LEDGER_TSV);
	assert_string_equal(tsv, TSV_HEADER);
	free(tsv);

	r = mkres(1, SHA1, 1, 0.9979, AR_ST_BASELINE, NULL);
	r.memory_gb = 44.04;
	append(dir, r);
	r = mkres(2, SHA2, 1, 0.99312345678, AR_ST_KEEP, "raise LR\tto 0.04");
	r.memory_gb = 44.25;
	append(dir, r);
	r = mkres(3, "", 0, 0.0, AR_ST_CRASH, "double width\nOOM\r\n");
	r.memory_gb = 80.5; /* a crash still writes 0.0 */
	append(dir, r);

	tsv = tu_read(dir, AR_LEDGER_TSV);
	assert_string_equal(tsv, TSV_HEADER
	                    "a1b2c3d\t0.997900\t44.0\tbaseline\tbaseline\n"
	                    "b2c3d4e\t0.993123\t44.2\tkeep\traise LR to 0.04\n"
	                    "-------\t0.000000\t0.0\tcrash\tdouble width OOM  \n");
	free(tsv);
	tu_rm_rf(dir);
	free(dir);
}

static void test_tsv_row_format(void **state)
{
	ar_buf b = AR_BUF_INIT;
	struct ar_result r = mkres(7, SHA3, 1, NAN, AR_ST_DISCARD, "x");
	(void)state;

	/* A score that is not finite is written like a missing one. */
	ar_ledger_tsv_row(&b, &r);
	assert_string_equal(b.ptr, "c3d4e5f\t0.000000\t0.0\tdiscard\tx\n");
	ar_buf_clear(&b);
	r.score = -1.5;
	r.memory_gb = 0.05;
	ar_ledger_tsv_row(&b, &r);
	assert_string_equal(b.ptr, "c3d4e5f\t-1.500000\t0.1\tdiscard\tx\n");
	ar_buf_release(&b);
	ar_result_release(&r);
}

static void test_tsv_header_created_by_append(void **state)
{
	char *dir = tu_tmpdir(), *tsv;
	(void)state;

	/* No ar_ledger_create: the first append writes the TSV header. */
	append(dir, mkres(1, SHA1, 1, 1.25, AR_ST_BASELINE, "baseline"));
	tsv = tu_read(dir, AR_LEDGER_TSV);
	assert_string_equal(tsv, TSV_HEADER
	                    "a1b2c3d\t1.250000\t0.0\tbaseline\tbaseline\n");
	free(tsv);
	tu_rm_rf(dir);
	free(dir);
}

/* ---- autoresearch.jsonl ----------------------------------------------------- */

static void test_jsonl_config_line(void **state)
{
	char *dir = tu_tmpdir(), *text;
	json_t *o, *m;
	const char *created;
	(void)state;

	create(dir, AR_HIGHER_IS_BETTER);
	o = json_line(dir, AR_LEDGER_JSONL, 1);
	assert_keys(o, "type,tag,branch,base_branch,adapter,target_files,fixed_files,"
	               "run_command,metric,guards,baseline,created_at");
	assert_string_equal(json_string_value(json_object_get(o, "type")),
	                    "config");
	assert_string_equal(json_string_value(json_object_get(o, "tag")),
	                    "nov23");
	assert_string_equal(json_string_value(json_object_get(o, "branch")),
	                    "autoresearch/nov23");
	assert_string_equal(json_string_value(json_object_get(o, "base_branch")),
	                    "main");
	assert_string_equal(json_string_value(json_object_get(o, "adapter")),
	                    "nanochat");
	assert_int_equal(json_array_size(json_object_get(o, "fixed_files")), 2);
	assert_string_equal(json_string_value(json_array_get(
	                    json_object_get(o, "fixed_files"), 1)), "eval/**");
	assert_string_equal(json_string_value(json_array_get(
	                    json_object_get(o, "target_files"), 0)), "train.py");
	assert_string_equal(json_string_value(json_object_get(o, "run_command")),
	                    "uv run train.py");
	m = json_object_get(o, "metric");
	assert_keys(m, "name,direction");
	assert_string_equal(json_string_value(json_object_get(m, "name")),
	                    "val_bpb");
	assert_string_equal(json_string_value(json_object_get(m, "direction")),
	                    "higher");
	assert_string_equal(json_string_value(json_array_get(
	                    json_object_get(o, "guards"), 1)), "tests");
	assert_json_null(o, "baseline");
	created = json_string_value(json_object_get(o, "created_at"));
	assert_non_null(created);
	assert_int_equal(strlen(created), 20);
	assert_int_equal(created[10], 'T');
	assert_int_equal(created[19], 'Z');
	json_decref(o);

	/* Exactly one line, compact. */
	text = tu_read(dir, AR_LEDGER_JSONL);
	assert_int_equal(count_lines(text), 1);
	assert_true(tu_contains(text, "{\"type\":\"config\",\"tag\":\"nov23\","));
	free(text);
	tu_rm_rf(dir);
	free(dir);
}

static void test_jsonl_unknowns_are_null(void **state)
{
	char *dir = tu_tmpdir();
	struct ar_result r = mkres(4, "", 0, 0.0, AR_ST_CRASH, "OOM");
	json_t *o;
	(void)state;

	create(dir, AR_LOWER_IS_BETTER);
	r.reason = ar_xstrdup("exit status 137");
	r.exit_status = 137;
	r.duration_s = 12.5;
	append(dir, r);
	o = json_line(dir, AR_LEDGER_JSONL, 2);
	assert_keys(o, "type,iteration,commit,score,delta,guard_score,"
	               "guard_pass,status,description,memory_gb,duration_s,"
	               "timestamp,reason,cpu_s,exit_status,lines_added,"
	               "lines_removed");
	assert_string_equal(json_string_value(json_object_get(o, "type")),
	                    "result");
	assert_int_equal(json_integer_value(json_object_get(o, "iteration")), 4);
	assert_json_null(o, "commit");
	assert_json_null(o, "score");
	assert_json_null(o, "delta");
	assert_json_null(o, "guard_score");
	assert_json_null(o, "guard_pass");
	assert_string_equal(json_string_value(json_object_get(o, "status")),
	                    "crash");
	assert_string_equal(json_string_value(json_object_get(o, "reason")),
	                    "exit status 137");
	assert_int_equal(json_integer_value(json_object_get(o, "exit_status")),
	                 137);
	assert_true(json_real_value(json_object_get(o, "duration_s")) == 12.5);
	json_decref(o);
	tu_rm_rf(dir);
	free(dir);
}

static void test_jsonl_known_values(void **state)
{
	char *dir = tu_tmpdir(), *text;
	struct ar_result r = mkres(2, SHA2, 1, 0.1 + 0.2, AR_ST_KEEP, "x");
	json_t *o, *vals;
	(void)state;

	r.has_delta = 1;
	r.delta = -0.1;
	r.has_guard = 1;
	r.guard_score = 71.5;
	r.guard_pass = 0;
	r.memory_gb = 44.2;
	r.duration_s = 300.2;
	r.cpu_s = 301.75;
	r.lines_added = 12;
	r.lines_removed = 3;
	r.nvalues = 3;
	r.values = ar_xcalloc(3, sizeof(*r.values));
	r.values[0].name = ar_xstrdup("precision");
	r.values[0].value = 0.8;
	r.values[0].has_value = 1;
	r.values[1].name = ar_xstrdup("mrr");
	r.values[2].name = ar_xstrdup("odd \"name\"\t\xff");
	r.values[2].value = -2e-300;
	r.values[2].has_value = 1;
	append(dir, r);
	o = json_line(dir, AR_LEDGER_JSONL, 1);
	assert_keys(o, "type,iteration,commit,score,delta,guard_score,"
	               "guard_pass,status,description,memory_gb,duration_s,"
	               "timestamp,cpu_s,exit_status,values,lines_added,"
	               "lines_removed");
	assert_string_equal(json_string_value(json_object_get(o, "commit")),
	                    SHA2);
	/* Exact round trip, and no needless digits. */
	assert_true(json_real_value(json_object_get(o, "score")) == 0.1 + 0.2);
	assert_true(json_real_value(json_object_get(o, "delta")) == -0.1);
	assert_true(json_real_value(json_object_get(o, "guard_score")) == 71.5);
	assert_true(json_is_false(json_object_get(o, "guard_pass")));
	vals = json_object_get(o, "values");
	assert_keys(vals, "precision,mrr,odd \"name\"\t?");
	assert_true(json_real_value(json_object_get(vals, "precision")) == 0.8);
	assert_json_null(vals, "mrr");
	assert_true(json_real_value(json_object_get(vals, "odd \"name\"\t?")) ==
	            -2e-300);
	assert_int_equal(json_integer_value(json_object_get(o, "lines_added")),
	                 12);
	json_decref(o);
	text = tu_read(dir, AR_LEDGER_JSONL);
	/* Each number has its own precision: 0.1 + 0.2 needs 17 digits,
	 * the others do not. */
	assert_true(tu_contains(text, "\"score\":0.30000000000000004,"));
	assert_true(tu_contains(text, "\"delta\":-0.1,"));
	assert_true(tu_contains(text, "\"memory_gb\":44.2,"));
	assert_true(tu_contains(text, "\"duration_s\":300.2,"));
	assert_true(tu_contains(text, "\"precision\":0.8,"));
	free(text);
	tu_rm_rf(dir);
	free(dir);
}

static void test_json_row_invalid_utf8(void **state)
{
	ar_buf b = AR_BUF_INIT;
	struct ar_result r = mkres(1, SHA1, 1, 1.0, AR_ST_KEEP, "bad \xff\xfe ok \xc3\xa9");
	json_error_t err;
	json_t *o;
	(void)state;

	ar_ledger_json_row(&b, &r);
	o = json_loads(b.ptr, 0, &err);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "description")),
	                    "bad ?? ok \xc3\xa9");
	/* No timestamp given to the formatter: null, not invented. */
	free(r.timestamp);
	r.timestamp = NULL;
	json_decref(o);
	ar_buf_clear(&b);
	ar_ledger_json_row(&b, &r);
	assert_false(tu_contains(b.ptr, "\n"));
	o = json_loads(b.ptr, 0, &err);
	assert_json_null(o, "timestamp");
	json_decref(o);
	ar_buf_release(&b);
	ar_result_release(&r);
}

static void test_timestamp_filled_in(void **state)
{
	char *dir = tu_tmpdir();
	struct ar_result r = mkres(1, SHA1, 1, 1.0, AR_ST_BASELINE, NULL);
	json_t *o;
	const char *ts;
	int y, mo, d, h, mi, s;
	char z;
	(void)state;

	free(r.timestamp);
	r.timestamp = NULL;
	append(dir, r);
	o = json_line(dir, AR_LEDGER_JSONL, 1);
	ts = json_string_value(json_object_get(o, "timestamp"));
	assert_non_null(ts);
	assert_int_equal(strlen(ts), 20);
	assert_int_equal(sscanf(ts, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d,
	                        &h, &mi, &s, &z), 7);
	assert_int_equal(z, 'Z');
	assert_true(y >= 2024);
	json_decref(o);
	tu_rm_rf(dir);
	free(dir);
}

/* ---- reading ------------------------------------------------------------------ */

static void test_round_trip(void **state)
{
	char *dir = tu_tmpdir(), *warning = (char *)"unset";
	struct ar_result r, *out = NULL;
	size_t n = 0;
	(void)state;

	create(dir, AR_LOWER_IS_BETTER);
	append(dir, mkres(1, SHA1, 1, 0.9979, AR_ST_BASELINE, NULL));
	r = mkres(2, SHA2, 1, 0.1 + 0.2, AR_ST_GUARD_FAIL, "wider \"MLP\"");
	r.has_delta = 1;
	r.delta = 0.1 + 0.2 - 0.9979;
	r.has_guard = 1;
	r.guard_score = 81.25;
	r.guard_pass = 0;
	r.memory_gb = 50.5;
	r.duration_s = 300.125;
	r.cpu_s = 1234.5;
	r.exit_status = 0;
	r.lines_added = 5;
	r.lines_removed = 2;
	r.nvalues = 1;
	r.values = ar_xcalloc(1, sizeof(*r.values));
	r.values[0].name = ar_xstrdup("ppl");
	r.values[0].value = 12.75;
	r.values[0].has_value = 1;
	append(dir, r);
	r = mkres(3, "", 0, 0.0, AR_ST_SCOPE_VIOLATION, "edited prepare.py");
	r.reason = ar_xstrdup("prepare.py is a fixed file");
	r.exit_status = -1;
	append(dir, r);

	assert_int_equal(ar_ledger_read(dir, &out, &n, &warning), 0);
	assert_null(warning);
	assert_int_equal(n, 3);
	assert_int_equal(out[0].iteration, 1);
	assert_string_equal(out[0].commit, SHA1);
	assert_true(out[0].has_score && out[0].score == 0.9979);
	assert_false(out[0].has_delta);
	assert_false(out[0].has_guard);
	assert_int_equal(out[0].guard_pass, -1);
	assert_string_equal(out[0].status, "baseline");
	assert_string_equal(out[0].description, "baseline");
	assert_null(out[0].reason);
	assert_string_equal(out[0].timestamp, "2026-11-23T16:20:00Z");
	assert_int_equal(out[0].nvalues, 0);

	assert_true(out[1].score == 0.1 + 0.2);
	assert_true(out[1].has_delta && out[1].delta == 0.1 + 0.2 - 0.9979);
	assert_true(out[1].has_guard && out[1].guard_score == 81.25);
	assert_int_equal(out[1].guard_pass, 0);
	assert_string_equal(out[1].status, "guard_fail");
	assert_string_equal(out[1].description, "wider \"MLP\"");
	assert_true(out[1].memory_gb == 50.5);
	assert_true(out[1].duration_s == 300.125);
	assert_true(out[1].cpu_s == 1234.5);
	assert_int_equal(out[1].lines_added, 5);
	assert_int_equal(out[1].lines_removed, 2);
	assert_int_equal(out[1].nvalues, 1);
	assert_string_equal(out[1].values[0].name, "ppl");
	assert_true(out[1].values[0].has_value &&
	            out[1].values[0].value == 12.75);

	assert_string_equal(out[2].commit, "");
	assert_false(out[2].has_score);
	assert_string_equal(out[2].reason, "prepare.py is a fixed file");
	assert_int_equal(out[2].exit_status, -1);
	ar_ledger_results_free(out, n);
	tu_rm_rf(dir);
	free(dir);
}

static void test_read_missing_file(void **state)
{
	char *dir = tu_tmpdir(), *warning = (char *)"unset";
	struct ar_result *out = (struct ar_result *)&warning;
	size_t n = 99;
	(void)state;

	assert_int_equal(ar_ledger_read(dir, &out, &n, &warning), 0);
	assert_int_equal(n, 0);
	assert_null(warning);
	ar_ledger_results_free(out, n);
	/* A NULL warning pointer is allowed. */
	assert_int_equal(ar_ledger_read(dir, &out, &n, NULL), 0);
	ar_ledger_results_free(out, n);
	tu_rm_rf(dir);
	free(dir);
}

static void test_truncated_last_line(void **state)
{
	char *dir = tu_tmpdir(), *warning = NULL, *path, *text;
	const char *half;
	struct ar_result *out = NULL;
	size_t n = 0;
	(void)state;

	create(dir, AR_LOWER_IS_BETTER);
	append(dir, mkres(1, SHA1, 1, 1.0, AR_ST_BASELINE, NULL));
	append(dir, mkres(2, SHA2, 1, 0.9, AR_ST_KEEP, "a"));
	/* Killed in the middle of writing line 4. */
	path = ar_path_join(dir, AR_LEDGER_JSONL);
	half = "{\"type\":\"result\",\"iteration\":3,\"sco";
	assert_int_equal(ar_file_append(path, half, strlen(half), AR_DURABLE), 0);
	assert_int_equal(ar_ledger_read(dir, &out, &n, &warning), 0);
	assert_int_equal(n, 2);
	assert_string_equal(warning,
	                    "autoresearch.jsonl:4: truncated last line ignored");
	assert_int_equal(out[1].iteration, 2);
	ar_ledger_results_free(out, n);
	free(warning);

	/* The next append starts on a line of its own. */
	append(dir, mkres(3, SHA3, 1, 0.8, AR_ST_KEEP, "b"));
	text = tu_read(dir, AR_LEDGER_JSONL);
	assert_int_equal(count_lines(text), 5);
	free(text);
	assert_int_equal(ar_ledger_read(dir, &out, &n, &warning), 0);
	assert_int_equal(n, 3);
	assert_int_equal(out[2].iteration, 3);
	assert_true(tu_contains(warning, "autoresearch.jsonl:4: malformed line "
	                                 "ignored"));
	ar_ledger_results_free(out, n);
	free(warning);
	free(path);
	tu_rm_rf(dir);
	free(dir);
}

static void test_malformed_middle_lines(void **state)
{
	char *dir = tu_tmpdir(), *warning = NULL, *path;
	const char *text;
	struct ar_result *out = NULL;
	size_t n = 0;
	ar_buf b = AR_BUF_INIT;
	struct ar_result r = mkres(1, SHA1, 1, 1.0, AR_ST_BASELINE, NULL);
	(void)state;

	ar_ledger_json_row(&b, &r);
	ar_result_release(&r);
	ar_buf_adds(&b, "\n\n   \n"          /* blank lines: skipped quietly */
	                "not json at all\n"  /* line 4 */
	                "[1,2]\n"            /* line 5 */
	                "{\"type\":\"result\",\"iteration\":2,\"status\":\"keep\","
	                "\"score\":\"high\"}\n" /* line 6 */
	                "{\"type\":\"result\",\"status\":\"keep\"}\n" /* 7 */
	                "{\"type\":\"future\",\"x\":1}\n" /* unknown: skipped */
	                "{\"type\":\"result\",\"iteration\":9,\"status\":\"keep\","
	                "\"score\":0.5}\n");
	path = ar_path_join(dir, AR_LEDGER_JSONL);
	assert_int_equal(ar_file_write_atomic(path, b.ptr, b.len, AR_DURABLE), 0);
	assert_int_equal(ar_ledger_read(dir, &out, &n, &warning), 0);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].iteration, 1);
	assert_int_equal(out[1].iteration, 9);
	assert_true(out[1].score == 0.5);
	assert_string_equal(out[1].description, "");
	assert_non_null(warning);
	assert_true(tu_contains(warning, "autoresearch.jsonl:4: malformed line "
	                                 "ignored: "));
	assert_true(tu_contains(warning, "autoresearch.jsonl:5: malformed"));
	assert_true(tu_contains(warning, "autoresearch.jsonl:6: malformed line "
	                                 "ignored: \"score\""));
	assert_true(tu_contains(warning, "autoresearch.jsonl:7: malformed line "
	                                 "ignored: \"iteration\""));
	assert_false(tu_contains(warning, ":8:"));
	assert_false(tu_contains(warning, "truncated"));
	assert_int_equal(count_lines(warning), 3); /* four lines */
	ar_ledger_results_free(out, n);
	free(warning);

	/* Missing or non-object "values" and bad types in the middle. */
	text = "{\"type\":\"result\",\"iteration\":1,\"status\":\"keep\","
	       "\"values\":[1]}\n"
	       "{\"type\":\"result\",\"iteration\":2,\"status\":\"keep\","
	       "\"values\":{\"a\":\"x\"}}\n"
	       "{\"type\":\"result\",\"iteration\":3,\"status\":\"keep\","
	       "\"guard_pass\":\"yes\"}\n"
	       "{\"type\":\"result\",\"iteration\":4,\"status\":\"keep\","
	       "\"guard_pass\":true,\"values\":{\"a\":1,\"b\":null}}\n";
	assert_int_equal(ar_file_write_atomic(path, text, strlen(text), AR_DURABLE), 0);
	assert_int_equal(ar_ledger_read(dir, &out, &n, &warning), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].guard_pass, 1);
	assert_int_equal(out[0].nvalues, 2);
	assert_false(out[0].values[1].has_value);
	assert_true(tu_contains(warning, ":1: malformed line ignored: \"values\""));
	assert_true(tu_contains(warning, ":2: malformed line ignored: \"values\""));
	assert_true(tu_contains(warning, ":3: malformed line ignored: "
	                                 "\"guard_pass\""));
	ar_ledger_results_free(out, n);
	free(warning);
	ar_buf_release(&b);
	free(path);
	tu_rm_rf(dir);
	free(dir);
}

/* ---- the config line, read back ------------------------------------------------ */

static void test_read_header(void **state)
{
	char *dir = tu_tmpdir(), *path;
	struct ar_ledger_info info = AR_LEDGER_INFO_INIT;
	struct ar_ledger_header h;
	(void)state;

	assert_int_equal(ar_ledger_read_header(dir, &info), AR_ENOTFOUND);
	assert_true(tu_contains(ar_error_last(), "autoresearch.jsonl"));
	create(dir, AR_HIGHER_IS_BETTER);
	assert_int_equal(ar_ledger_read_header(dir, &info), 0);
	assert_string_equal(info.tag, "nov23");
	assert_string_equal(info.branch, "autoresearch/nov23");
	assert_string_equal(info.adapter, "nanochat");
	assert_string_equal(info.run_command, "uv run train.py");
	assert_string_equal(info.metric_name, "val_bpb");
	assert_int_equal(info.direction, AR_HIGHER_IS_BETTER);
	assert_int_equal(info.target_files.n, 1);
	assert_int_equal(info.fixed_files.n, 2);
	assert_string_equal(info.guards.items[0], "peak_vram");
	assert_false(info.has_baseline);
	assert_non_null(info.created_at);
	ar_ledger_info_header(&h, &info);
	assert_string_equal(h.tag, "nov23");
	assert_int_equal(h.nguards, 2);
	assert_string_equal(h.guard_names[1], "tests");
	assert_int_equal(h.direction, AR_HIGHER_IS_BETTER);
	ar_ledger_info_release(&info);
	assert_null(info.tag);

	path = ar_path_join(dir, AR_LEDGER_JSONL);
	tu_write(dir, AR_LEDGER_JSONL, "\n{\"type\":\"config\",\"tag\":\"t\","
	         "\"metric\":{\"name\":\"acc\",\"direction\":\"lower\"},"
	         "\"baseline\":0.25}\n");
	assert_int_equal(ar_ledger_read_header(dir, &info), 0);
	assert_string_equal(info.tag, "t");
	assert_null(info.branch);
	assert_int_equal(info.direction, AR_LOWER_IS_BETTER);
	assert_true(info.has_baseline && info.baseline == 0.25);
	ar_ledger_info_release(&info);

	tu_write(dir, AR_LEDGER_JSONL, "{\"type\":\"config\",\"tag\":");
	assert_int_equal(ar_ledger_read_header(dir, &info), AR_ERROR);
	assert_true(tu_contains(ar_error_last(), "autoresearch.jsonl:1: "));
	tu_write(dir, AR_LEDGER_JSONL, "{\"type\":\"config\",\"tag\":5}\n");
	assert_int_equal(ar_ledger_read_header(dir, &info), AR_ERROR);
	assert_true(tu_contains(ar_error_last(), ":1: \"tag\""));
	assert_null(info.tag);
	tu_write(dir, AR_LEDGER_JSONL, "{\"type\":\"result\",\"iteration\":1}\n");
	assert_int_equal(ar_ledger_read_header(dir, &info), AR_ENOTFOUND);
	tu_write(dir, AR_LEDGER_JSONL, "\n \n");
	assert_int_equal(ar_ledger_read_header(dir, &info), AR_ENOTFOUND);
	assert_true(tu_contains(ar_error_last(), "no config line"));
	free(path);
	tu_rm_rf(dir);
	free(dir);
}

static void test_create_keeps_existing_files(void **state)
{
	char *dir = tu_tmpdir(), *text;
	(void)state;

	tu_write(dir, AR_LEDGER_JSONL, "{\"type\":\"config\",\"tag\":\"old\"}\n");
	tu_write(dir, AR_LEDGER_TSV, "commit\tacc\tmemory_gb\tstatus\tdescription\n"
	                             "a1b2c3d\t1.000000\t0.0\tbaseline\tbaseline\n");
	create(dir, AR_LOWER_IS_BETTER);
	text = tu_read(dir, AR_LEDGER_JSONL);
	assert_string_equal(text, "{\"type\":\"config\",\"tag\":\"old\"}\n");
	free(text);
	text = tu_read(dir, AR_LEDGER_TSV);
	assert_true(tu_contains(text, "commit\tacc\t"));
	assert_int_equal(count_lines(text), 2);
	free(text);
	tu_rm_rf(dir);
	free(dir);
}

/* ---- repairing the TSV ----------------------------------------------------------- */

/* ar_ledger_sync_tsv as a session calls it: with the rows it read. */
static int sync_tsv(const char *dir)
{
	struct ar_result *r = NULL;
	size_t n = 0;
	int rc = ar_ledger_read(dir, &r, &n, NULL);

	if (rc == 0)
		rc = ar_ledger_sync_tsv(dir, "val_bpb", r, n);
	ar_ledger_results_free(r, n);
	return rc;
}

static void test_sync_tsv(void **state)
{
	char *dir = tu_tmpdir(), *full, *text, *cut;
	struct stat before, after;
	char *tpath;
	(void)state;

	create(dir, AR_LOWER_IS_BETTER);
	append(dir, mkres(1, SHA1, 1, 1.0, AR_ST_BASELINE, NULL));
	append(dir, mkres(2, SHA2, 1, 0.9, AR_ST_KEEP, "a"));
	append(dir, mkres(3, "", 0, 0.0, AR_ST_CRASH, "b"));
	full = tu_read(dir, AR_LEDGER_TSV);
	tpath = ar_path_join(dir, AR_LEDGER_TSV);

	/* In step: left alone (not even rewritten). */
	assert_int_equal(stat(tpath, &before), 0);
	assert_int_equal(sync_tsv(dir), 0);
	assert_int_equal(stat(tpath, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);

	/* Killed between the two appends: the last row is missing. */
	cut = ar_xstrdup(full);
	*strstr(cut, "-------") = '\0';
	tu_write(dir, AR_LEDGER_TSV, cut);
	assert_int_equal(sync_tsv(dir), 0);
	text = tu_read(dir, AR_LEDGER_TSV);
	assert_string_equal(text, full);
	free(text);

	/* Its last row cut short. */
	cut[strlen(cut) - 3] = '\0';
	tu_write(dir, AR_LEDGER_TSV, cut);
	assert_int_equal(sync_tsv(dir), 0);
	text = tu_read(dir, AR_LEDGER_TSV);
	assert_string_equal(text, full);
	free(text);

	/* Deleted. */
	assert_int_equal(unlink(tpath), 0);
	assert_int_equal(sync_tsv(dir), 0);
	text = tu_read(dir, AR_LEDGER_TSV);
	assert_string_equal(text, full);
	free(text);

	/* No JSONL to repair from: the TSV is left as it is. */
	tu_sh("rm '%s/%s'", dir, AR_LEDGER_JSONL);
	tu_write(dir, AR_LEDGER_TSV, "by hand\n");
	assert_int_equal(sync_tsv(dir), 0);
	text = tu_read(dir, AR_LEDGER_TSV);
	assert_string_equal(text, "by hand\n");
	free(text);
	free(cut);
	free(tpath);
	free(full);
	tu_rm_rf(dir);
	free(dir);
}

/* ---- best, baseline, dashboard -------------------------------------------------- */

static struct ar_result *five_results(void)
{
	struct ar_result *r = ar_xcalloc(5, sizeof(*r));

	r[0] = mkres(1, SHA1, 1, 1.0, AR_ST_BASELINE, NULL);
	r[1] = mkres(2, SHA2, 1, 0.9, AR_ST_KEEP, "lr 0.04");
	r[2] = mkres(3, SHA3, 1, 0.5, AR_ST_DISCARD, "better but discarded");
	r[3] = mkres(4, "", 0, 0.0, AR_ST_CRASH, "OOM");
	r[4] = mkres(5, SHA3, 1, 0.85, AR_ST_KEEP, "a|b\nc");
	r[1].has_delta = 1;
	r[1].delta = -0.1;
	r[1].memory_gb = 44.25;
	return r;
}

static void test_best_and_baseline(void **state)
{
	struct ar_result *r = five_results();
	(void)state;

	assert_int_equal(ar_ledger_baseline(r, 5), 0);
	assert_int_equal(ar_ledger_best(r, 5, AR_LOWER_IS_BETTER), 4);
	assert_int_equal(ar_ledger_best(r, 5, AR_HIGHER_IS_BETTER), 0);
	assert_int_equal(ar_ledger_best(r, 0, AR_LOWER_IS_BETTER), -1);
	assert_int_equal(ar_ledger_baseline(r + 1, 4), -1);
	/* Ties: the earliest wins. */
	r[4].score = 0.9;
	assert_int_equal(ar_ledger_best(r, 5, AR_LOWER_IS_BETTER), 1);
	/* A crash alone has no best. */
	assert_int_equal(ar_ledger_best(r + 3, 1, AR_LOWER_IS_BETTER), -1);
	ar_ledger_results_free(r, 5);
}

static void test_dashboard(void **state)
{
	char *dir = tu_tmpdir(), *md;
	struct ar_result *r = five_results();
	struct ar_ledger_header h;
	(void)state;

	memset(&h, 0, sizeof(h));
	h.tag = "nov23";
	h.metric_name = "val_bpb";
	h.direction = AR_LOWER_IS_BETTER;
	assert_int_equal(ar_ledger_dashboard(dir, &h, r, 5), 0);
	md = tu_read(dir, AR_LEDGER_DASHBOARD);
	assert_non_null(md);
	assert_true(tu_contains(md, "# autoresearch: nov23\n"));
	assert_true(tu_contains(md, "val_bpb (lower is better)"));
	assert_true(tu_contains(md, "**Baseline:** 1.000000\n"));
	assert_true(tu_contains(md, "**Best:** 0.850000 (#5, commit c3d4e5f)"));
	assert_true(tu_contains(md, "**Improvement:** 0.150000 (15.00%)"));
	assert_true(tu_contains(md, "**Experiments:** 5 (baseline 1, keep 2, "
	                            "discard 1, crash 1)\n"));
	assert_true(tu_contains(md, "| # | commit | metric | delta | status | "
	                            "memory | description |\n"));
	assert_true(tu_contains(md, "| 1 | a1b2c3d | 1.000000 | - | baseline | "
	                            "0.0 GB | baseline |\n"));
	assert_true(tu_contains(md, "| 2 | b2c3d4e | 0.900000 | -0.100000 | "
	                            "keep | 44.2 GB | lr 0.04 |\n"));
	assert_true(tu_contains(md, "| 4 | - | - | - | crash | - | OOM |\n"));
	assert_true(tu_contains(md, "| a\\|b c |\n"));
	free(md);

	/* Higher is better: the baseline stays best; no header at all. */
	h.direction = AR_HIGHER_IS_BETTER;
	assert_int_equal(ar_ledger_dashboard(dir, &h, r, 5), 0);
	md = tu_read(dir, AR_LEDGER_DASHBOARD);
	assert_true(tu_contains(md, "(higher is better)"));
	assert_true(tu_contains(md, "**Best:** 1.000000 (#1, commit a1b2c3d)"));
	assert_true(tu_contains(md, "**Improvement:** 0.000000 (0.00%)"));
	free(md);
	assert_int_equal(ar_ledger_dashboard(dir, NULL, NULL, 0), 0);
	md = tu_read(dir, AR_LEDGER_DASHBOARD);
	assert_true(tu_contains(md, "**Baseline:** none yet"));
	assert_true(tu_contains(md, "**Best:** none yet"));
	assert_true(tu_contains(md, "**Experiments:** 0\n"));
	free(md);
	ar_ledger_results_free(r, 5);
	tu_rm_rf(dir);
	free(dir);
}

/* A long session: the summary counts every row, the table shows the last
 * AR_DASHBOARD_ROWS and says where the rest are. */
static void test_dashboard_long_session(void **state)
{
	size_t n = AR_DASHBOARD_ROWS + 10;
	struct ar_result *r = ar_xcalloc(n, sizeof(*r));
	char *dir = tu_tmpdir(), *md, *want;
	(void)state;

	r[0] = mkres(1, SHA1, 1, 100.0, AR_ST_BASELINE, NULL);
	for (size_t i = 1; i < n; i++)
		r[i] = mkres((long)i + 1, SHA2, 1, 100.0 - (double)i,
		             i % 2 ? AR_ST_KEEP : AR_ST_DISCARD, "step");
	assert_int_equal(ar_ledger_dashboard(dir, NULL, r, n), 0);
	md = tu_read(dir, AR_LEDGER_DASHBOARD);
	want = ar_xprintf("## The last %d of %zu experiments\n", AR_DASHBOARD_ROWS, n);
	assert_true(tu_contains(md, want));
	assert_true(tu_contains(md, "`ar results` (or results.tsv) lists every one."));
	assert_true(tu_contains(md, "**Experiments:** 60 (baseline 1, keep 30, discard 29)"));
	assert_false(tu_contains(md, "| 1 | a1b2c3d |"));
	assert_false(tu_contains(md, "| 10 | "));
	assert_true(tu_contains(md, "| 11 | b2c3d4e | 90.000000 |"));
	assert_true(tu_contains(md, "| 60 | b2c3d4e | 41.000000 |"));
	free(want);
	free(md);

	/* At the limit, every row and the plain heading. */
	assert_int_equal(ar_ledger_dashboard(dir, NULL, r, AR_DASHBOARD_ROWS), 0);
	md = tu_read(dir, AR_LEDGER_DASHBOARD);
	assert_true(tu_contains(md, "## Experiments\n"));
	assert_true(tu_contains(md, "| 1 | a1b2c3d |"));
	assert_false(tu_contains(md, "The last"));
	free(md);
	ar_ledger_results_free(r, n);
	tu_rm_rf(dir);
	free(dir);
}

static void test_dashboard_header_baseline(void **state)
{
	char *dir = tu_tmpdir(), *md;
	struct ar_result r = mkres(1, SHA1, 1, 3.0, AR_ST_KEEP, "k");
	struct ar_ledger_header h;
	(void)state;

	/* No baseline row: the header's baseline is used. */
	memset(&h, 0, sizeof(h));
	h.direction = AR_HIGHER_IS_BETTER;
	h.has_baseline = 1;
	h.baseline = 2.0;
	assert_int_equal(ar_ledger_dashboard(dir, &h, &r, 1), 0);
	md = tu_read(dir, AR_LEDGER_DASHBOARD);
	assert_true(tu_contains(md, "**Baseline:** 2.000000"));
	assert_true(tu_contains(md, "**Improvement:** 1.000000 (50.00%)"));
	free(md);
	ar_result_release(&r);
	tu_rm_rf(dir);
	free(dir);
}

/* ---- a full disk --------------------------------------------------------------- */

static void test_enospc(void **state)
{
	char *dir = tu_tmpdir(), *text;
	struct ar_result r = mkres(3, SHA1, 1, 1.0, AR_ST_KEEP, "x");
	(void)state;

	if (access("/dev/full", W_OK) != 0)
		skip();
	create(dir, AR_LOWER_IS_BETTER);
	/* The JSONL's disk is full: nothing is recorded, the TSV is untouched. */
	tu_sh("rm '%s/%s' && ln -s /dev/full '%s/%s'", dir, AR_LEDGER_JSONL,
	      dir, AR_LEDGER_JSONL);
	assert_int_equal(ar_ledger_append(dir, "val_bpb", &r), AR_ENOSPACE);
	assert_true(tu_contains(ar_error_last(), "autoresearch.jsonl"));
	assert_true(tu_contains(ar_error_last(), "no space left"));
	assert_true(tu_contains(ar_error_last(), "experiment 3"));
	text = tu_read(dir, AR_LEDGER_TSV);
	assert_string_equal(text, TSV_HEADER);
	free(text);

	/* The TSV's disk is full: the JSONL has the result. */
	tu_sh("rm '%s/%s' '%s/%s' && ln -s /dev/full '%s/%s'", dir,
	      AR_LEDGER_JSONL, dir, AR_LEDGER_TSV, dir, AR_LEDGER_TSV);
	assert_int_equal(ar_ledger_append(dir, "val_bpb", &r), AR_ENOSPACE);
	assert_true(tu_contains(ar_error_last(), "results.tsv"));
	assert_true(tu_contains(ar_error_last(), "no space left"));
	text = tu_read(dir, AR_LEDGER_JSONL);
	assert_int_equal(count_lines(text), 1);
	assert_true(tu_contains(text, "\"iteration\":3"));
	free(text);
	ar_result_release(&r);
	tu_rm_rf(dir);
	free(dir);
}

static void test_failed_append_leaves_no_partial_line(void **state)
{
	char *dir = tu_tmpdir(), *jpath, *warning = NULL;
	struct ar_result r = mkres(2, SHA2, 1, 0.5, AR_ST_KEEP, "long enough");
	struct ar_result *out = NULL;
	struct rlimit old, lim;
	struct stat st;
	void (*old_handler)(int);
	off_t size;
	size_t n = 0;
	int rc;
	(void)state;

	append(dir, mkres(1, SHA1, 1, 1.0, AR_ST_BASELINE, NULL));
	jpath = ar_path_join(dir, AR_LEDGER_JSONL);
	assert_int_equal(stat(jpath, &st), 0);
	size = st.st_size;
	/* A file size limit lets the next write() go through only in part
	 * (then EFBIG): a real short write, like a disk filling up. */
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)size + 40;
	old_handler = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	rc = ar_ledger_append(dir, "val_bpb", &r);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, old_handler);

	assert_true(rc < 0);
	assert_true(tu_contains(ar_error_last(), "autoresearch.jsonl"));
	assert_int_equal(stat(jpath, &st), 0);
	assert_int_equal(st.st_size, size);
	assert_int_equal(ar_ledger_read(dir, &out, &n, &warning), 0);
	assert_int_equal(n, 1);
	assert_null(warning);
	ar_ledger_results_free(out, n);
	ar_result_release(&r);
	free(jpath);
	tu_rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tsv_exact_bytes),
		cmocka_unit_test(test_tsv_row_format),
		cmocka_unit_test(test_tsv_header_created_by_append),
		cmocka_unit_test(test_jsonl_config_line),
		cmocka_unit_test(test_jsonl_unknowns_are_null),
		cmocka_unit_test(test_jsonl_known_values),
		cmocka_unit_test(test_json_row_invalid_utf8),
		cmocka_unit_test(test_timestamp_filled_in),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_read_missing_file),
		cmocka_unit_test(test_truncated_last_line),
		cmocka_unit_test(test_malformed_middle_lines),
		cmocka_unit_test(test_read_header),
		cmocka_unit_test(test_update_header_sets_baseline),
		cmocka_unit_test(test_create_keeps_existing_files),
		cmocka_unit_test(test_sync_tsv),
		cmocka_unit_test(test_best_and_baseline),
		cmocka_unit_test(test_dashboard),
		cmocka_unit_test(test_dashboard_long_session),
		cmocka_unit_test(test_dashboard_header_baseline),
		cmocka_unit_test(test_enospc),
		cmocka_unit_test(test_failed_append_leaves_no_partial_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
