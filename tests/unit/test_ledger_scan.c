/*
 * test_ledger_scan.c - the fast path of ar_ledger_read: the scanner takes
 * exactly the result lines ar writes and reads them as jansson does (jansson
 * is the independent oracle here), declines everything else, and the line
 * reader splits files as the old whole-file reader did.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ledger.h"
#include "ledger_scan.h"
#include "testutil.h"

#define SHA "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"

/* A result with every field ar writes set (owned strings). */
static struct ar_result full_result(void)
{
	struct ar_result r;

	memset(&r, 0, sizeof(r));
	r.iteration = 42;
	memcpy(r.commit, SHA, 41);
	r.has_score = 1;
	r.score = 0.9932;
	r.has_delta = 1;
	r.delta = 0.9932 - 0.9979;
	r.has_guard = 1;
	r.guard_score = 31.5;
	r.guard_pass = 1;
	r.status = ar_xstrdup(AR_ST_DISCARD);
	r.description = ar_xstrdup("tune \"LR\" 0.04 -> 0.05\tand\\more, caf\xc3\xa9");
	r.reason = ar_xstrdup("exit status 1: line one\nline two");
	r.memory_gb = 44.2;
	r.duration_s = 301.25;
	r.cpu_s = 290.5;
	r.exit_status = -3;
	r.timestamp = ar_xstrdup("2026-11-23T16:20:00Z");
	r.values = ar_xcalloc(2, sizeof(*r.values));
	r.values[0].name = ar_xstrdup("precision");
	r.values[0].has_value = 1;
	r.values[0].value = 0.75;
	r.values[1].name = ar_xstrdup("mrr");
	r.nvalues = 2;
	r.lines_added = 7;
	r.lines_removed = 3;
	r.agent = ar_xstrdup("claude");
	r.has_agent_cost = 1;
	r.agent_cost_usd = 0.125;
	r.agent_s = 41.5;
	r.samples = ar_xcalloc(3, sizeof(double));
	r.samples[0] = 0.9931;
	r.samples[1] = 0.9933;
	r.samples[2] = 0.9932;
	r.nsamples = 3;
	r.has_spread = 1;
	r.spread = 0.0001;
	r.has_p_value = 1;
	r.p_value = 0.03;
	r.effect = 0.0047;
	r.best_samples = ar_xcalloc(2, sizeof(double));
	r.best_samples[0] = 0.9979;
	r.best_samples[1] = 0.998;
	r.nbest_samples = 2;
	return r;
}

static char *json_row(const struct ar_result *r)
{
	ar_buf b = AR_BUF_INIT;

	ar_ledger_json_row(&b, r);
	return ar_buf_detach(&b);
}

/*
 * The tripwire: every key result_json writes must be one the scanner
 * knows, or every line takes the slow path.  When this fails after a field
 * was added to struct ar_result, add it to fields[] in core/ledger_scan.c.
 */
static void test_takes_every_key_ar_writes(void **state)
{
	struct ar_result r = full_result(), back;
	char *line = json_row(&r), *again;
	(void)state;

	if (!ar_ledger__scan_result(line, strlen(line), &back))
		fail_msg("core/ledger_scan.c declines a line ar writes; a key is missing "
		         "from its fields[] table:\n%s", line);
	again = json_row(&back);
	assert_string_equal(again, line);
	free(again);
	ar_result_release(&back);
	free(line);

	/* The sparse row: nulls everywhere they may be. */
	ar_result_release(&r);
	memset(&r, 0, sizeof(r));
	r.iteration = 1;
	r.guard_pass = -1;
	r.status = ar_xstrdup(AR_ST_CRASH);
	line = json_row(&r);
	assert_true(ar_ledger__scan_result(line, strlen(line), &back));
	assert_false(back.has_score);
	assert_int_equal(back.guard_pass, -1);
	assert_string_equal(back.commit, "");
	assert_string_equal(back.description, "");
	again = json_row(&back);
	assert_string_equal(again, line);
	free(again);
	free(line);
	ar_result_release(&back);
	ar_result_release(&r);
}

/* The scanner's reading of `line` equals jansson's, field by field. */
static void check_like_jansson(const char *line)
{
	struct ar_result r;
	json_t *o = json_loads(line, 0, NULL), *v;

	assert_non_null(o);
	if (!ar_ledger__scan_result(line, strlen(line), &r))
		fail_msg("declined: %s", line);
	assert_int_equal(r.iteration, json_integer_value(json_object_get(o, "iteration")));
	assert_string_equal(r.status, json_string_value(json_object_get(o, "status")));
	v = json_object_get(o, "description");
	assert_string_equal(r.description, json_is_string(v) ? json_string_value(v) : "");
	v = json_object_get(o, "score");
	assert_int_equal(r.has_score, json_is_number(v));
	if (json_is_number(v))
		assert_true(r.score == json_number_value(v));
	v = json_object_get(o, "guard_pass");
	assert_int_equal(r.guard_pass, json_is_null(v) || !v ? -1 : json_is_true(v) ||
	                 (json_is_integer(v) && json_integer_value(v) != 0));
	v = json_object_get(o, "exit_status");
	assert_int_equal(r.exit_status, v ? (int)json_integer_value(v) : 0);
	json_decref(o);
	ar_result_release(&r);
}

static void test_reads_like_jansson(void **state)
{
	(void)state;
	check_like_jansson("{\"type\":\"result\",\"iteration\":3,\"status\":\"keep\"}");
	check_like_jansson(" { \"status\" : \"discard\" , \"iteration\" : 7 ,"
	                   " \"type\" : \"result\", \"score\": -1.5e-3 } \r\n");
	check_like_jansson("{\"type\":\"result\",\"iteration\":1,\"status\":\"keep\","
	                   "\"description\":\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\","
	                   "\"score\":12,\"guard_pass\":0,\"exit_status\":-9}");
	check_like_jansson("{\"type\":\"result\",\"iteration\":2,\"status\":\"keep\","
	                   "\"guard_pass\":true,\"score\":0.1000000000000000055511}");
	check_like_jansson("{\"type\":\"result\",\"iteration\":2,\"status\":\"keep\","
	                   "\"guard_pass\":5,\"description\":\"\xe2\x86\x92 \xf0\x9f\x9a\x80\"}");

	/* Samples: nulls skipped, as ledger.c's jansson reader does. */
	const char *line = "{\"type\":\"result\",\"iteration\":4,\"status\":\"keep\","
	                   "\"samples\":[1.5,null,2],\"best_samples\":[]}";
	struct ar_result r;
	assert_true(ar_ledger__scan_result(line, strlen(line), &r));
	assert_int_equal(r.nsamples, 2);
	assert_true(r.samples[0] == 1.5 && r.samples[1] == 2);
	assert_non_null(r.best_samples);
	assert_int_equal(r.nbest_samples, 0);
	ar_result_release(&r);
}

/* Lines the scanner must leave to jansson. */
static void test_declines_what_it_does_not_know(void **state)
{
	static const char *const lines[] = {
		"{\"type\":\"config\",\"tag\":\"x\"}",
		"{\"type\":\"result\",\"iteration\":1,\"status\":\"keep\",\"future_key\":[1,2]}",
		"{\"type\":\"result\",\"iteration\":1,\"status\":\"keep\",\"samples\":[1,\"a\"]}",
		"{\"type\":\"result\",\"iteration\":1,\"status\":\"keep\",\"samples\":{}}",
		"{\"type\":\"result\",\"iteration\":1,\"status\":\"keep\",\"status\":\"crash\"}",
		"{\"type\":\"result\",\"iteration\":1,\"status\":\"k\\u00e9ep\"}",
		"{\"type\":\"result\",\"iteration\":1.0,\"status\":\"keep\"}",
		"{\"type\":\"result\",\"status\":\"keep\"}",
		"{\"type\":\"result\",\"iteration\":1,\"status\":null}",
		"{\"type\":\"result\",\"iteration\":1,\"status\":\"keep\"} x",
		"{\"type\":\"result\",\"iteration\":1234567890123456789,\"status\":\"keep\"}",
		"{\"type\":\"result\",\"iteration\":1,\"status\":\"keep\",\"score\":1e999}",
		"{\"type\":\"result\",\"iteration\":1,\"status\":\"k\xff\"}",
		"{\"type\":\"result\",\"iteration\":1,\"status\":\"k\x01\"}",
		"{\"type\":\"result\",\"iteration\":01,\"status\":\"keep\"}",
		"{\"type\":\"result\",\"iteration\":1,\"status\":\"keep\",\"score\":\"1\"}",
		"{\"type\":\"result\",\"iteration\":1,\"status\":\"keep\",\"values\":{\"a\":1,\"a\":2}}",
		"{\"type\":\"result\",\"iteration\":1,\"status\":\"keep\",\"values\":[1]}",
		"{\"type\":\"result\",\"iteration\":1,\"status\":\"keep\"",
		"{\"type\":\"result\",\"iteration\":1,\"status\":\"keep\",}",
		"[1,2]",
		"",
		"{}",
	};
	struct ar_result r;
	(void)state;

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		if (ar_ledger__scan_result(lines[i], strlen(lines[i]), &r))
			fail_msg("took a line it should decline: %s", lines[i]);
		assert_null(r.status);
		assert_null(r.values);
		assert_int_equal(r.guard_pass, -1);
	}
}

/* What the scanner declines, ar_ledger_read still reads through jansson. */
static void test_declined_lines_still_read(void **state)
{
	char *dir = tu_tmpdir(), *warning = NULL;
	struct ar_result *r = NULL;
	size_t n = 0;
	(void)state;

	tu_write(dir, AR_LEDGER_JSONL,
	         "{\"type\":\"config\",\"tag\":\"t\"}\n"
	         "{\"type\":\"result\",\"iteration\":1,\"status\":\"baseline\",\"score\":1,"
	         "\"later\":[1,1.01]}\n"
	         "{\"type\":\"result\",\"iteration\":2,\"status\":\"keep\","
	         "\"description\":\"caf\\u00e9\",\"score\":0.5}\n"
	         "{\"type\":\"result\",\"iteration\":3,\"status\":\"crash\",\"status\":\"discard\"}\n"
	         "{\"type\":\"result\",\"iteration\":4,\"status\":\"keep\",\"score\":\"bad\"}\n"
	         "{\"type\":\"result\",\"iteration\":5,\"status\":\"keep\"");
	assert_int_equal(ar_ledger_read(dir, &r, &n, &warning), 0);
	assert_int_equal(n, 3);
	assert_true(r[0].has_score && r[0].score == 1.0);
	assert_string_equal(r[1].description, "caf\xc3\xa9");
	assert_string_equal(r[2].status, "discard");
	assert_non_null(warning);
	assert_true(tu_contains(warning, "autoresearch.jsonl:5: malformed line ignored"));
	assert_true(tu_contains(warning, "autoresearch.jsonl:6: truncated last line ignored"));
	free(warning);
	ar_ledger_results_free(r, n);
	tu_rm_rf(dir);
	free(dir);
}

/* Lines across the reader's 1 MiB chunks, a line longer than a chunk,
 * blank lines and numbering. */
static void test_line_reader(void **state)
{
	char *dir = tu_tmpdir(), *path = ar_path_join(dir, "f"), *big;
	struct ar_ledger_lines lr;
	struct ar_ledger_line l;
	size_t i, count = 0, biglen = 3u << 20;
	FILE *f = fopen(path, "w");
	(void)state;

	assert_non_null(f);
	for (i = 0; i < 40000; i++)
		fprintf(f, "line %zu with some padding to cross chunks............\n", i);
	fputs("\n  \t\r\n", f);
	big = ar_xmalloc(biglen + 1);
	memset(big, 'x', biglen);
	big[biglen] = '\0';
	fprintf(f, "%s\nlast", big);
	fclose(f);
	assert_int_equal(ar_ledger_lines_open(&lr, path), 0);
	while (ar_ledger_lines_next(&lr, path, &l) > 0) {
		if (count < 40000) {
			char want[64];
			snprintf(want, sizeof(want), "line %zu ", count);
			assert_int_equal(strncmp(l.text, want, strlen(want)), 0);
			assert_int_equal(l.lineno, count + 1);
			assert_false(l.last);
		} else if (count == 40000) {
			assert_int_equal(l.len, biglen);
			assert_int_equal(l.lineno, 40003);
			assert_false(l.last);
		} else {
			assert_int_equal(l.len, 4);
			assert_memory_equal(l.text, "last", 4);
			assert_true(l.last);
		}
		count++;
	}
	assert_int_equal(count, 40002);
	ar_ledger_lines_close(&lr);
	assert_int_equal(ar_ledger_lines_open(&lr, dir), AR_ERROR);
	assert_true(tu_contains(ar_error_last(), "not a regular file"));
	assert_int_equal(ar_ledger_lines_open(&lr, "/nonexistent/x"), AR_ENOTFOUND);
	free(big);
	free(path);
	tu_rm_rf(dir);
	free(dir);
}

/* Numbers read on the fast path (Clinger's) equal strtod's, bit for bit. */
static void test_numbers_like_strtod(void **state)
{
	static const char *const fmts[] = { "%.1f", "%.3f", "%.6f", "%.15g", "%.17g", "%.9g", "%g" };
	char num[64], line[160];
	struct ar_result r;
	unsigned seed = 7;
	(void)state;

	for (int i = 0; i < 30000; i++) {
		seed = seed * 1103515245u + 12345u;
		double v = (double)(seed >> 8) / (double)(1u << 24) * pow(10, (int)(seed % 13) - 6);
		if (seed & 1)
			v = -v;
		snprintf(num, sizeof(num), fmts[i % 7], v);
		snprintf(line, sizeof(line), "{\"type\":\"result\",\"iteration\":1,"
		         "\"status\":\"keep\",\"score\":%s}", num);
		if (!ar_ledger__scan_result(line, strlen(line), &r)) /* e.g. "1e-05" */
			continue;
		if (r.score != strtod(num, NULL))
			fail_msg("%s read as %.17g, strtod says %.17g", num, r.score, strtod(num, NULL));
		ar_result_release(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_takes_every_key_ar_writes),
		cmocka_unit_test(test_reads_like_jansson),
		cmocka_unit_test(test_declines_what_it_does_not_know),
		cmocka_unit_test(test_declined_lines_still_read),
		cmocka_unit_test(test_line_reader),
		cmocka_unit_test(test_numbers_like_strtod),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
