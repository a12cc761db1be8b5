/*
 * test_config.c - core/config.c: the key table, typed values, aliases,
 * precedence and origins, get, guards, validation and every error message.
 * (The file readers are in test_config_files.c.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "regex.h"
#include "testutil.h"
#include "util.h"

static const struct ar_origin o_default = { AR_ORIGIN_DEFAULT, NULL, 0 };
static const struct ar_origin o_adapter = { AR_ORIGIN_ADAPTER, "ml", 0 };
static const struct ar_origin o_file = { AR_ORIGIN_FILE, "file.yaml", 7 };
static const struct ar_origin o_flag = { AR_ORIGIN_FLAG, NULL, 0 };

#define assert_error(rc, code, needle)                                        \
	do {                                                                  \
		int rc_ = (rc);                                               \
		if (rc_ != (code) || !tu_contains(ar_error_last(), (needle))) \
			fail_msg("rc %d (want %d), error: \"%s\", want \"%s\"", \
			         rc_, (code), ar_error_last(), (needle));     \
	} while (0)

static int setup(void **state)
{
	struct ar_config *cfg = malloc(sizeof(*cfg));
	ar_config_init(cfg);
	*state = cfg;
	return 0;
}

static int teardown(void **state)
{
	ar_config_release(*state);
	free(*state);
	return 0;
}

static void assert_get(const struct ar_config *cfg, const char *key,
                       const char *want)
{
	char *v = ar_config_get(cfg, key);
	if (!want) {
		if (v)
			fail_msg("%s: want unset, got '%s'", key, v);
		return;
	}
	if (!v || strcmp(v, want))
		fail_msg("%s: want '%s', got '%s'", key, want, v ? v : "(null)");
	free(v);
}

static void assert_origin(const struct ar_config *cfg, const char *key,
                          const char *want)
{
	const struct ar_origin *o = ar_config_origin(cfg, key);
	char *d;

	assert_non_null(o);
	d = ar_origin_describe(o);
	if (strcmp(d, want))
		fail_msg("origin of %s: want '%s', got '%s'", key, want, d);
	free(d);
}

/* ---- defaults and the table ------------------------------------------- */

static void test_defaults(void **state)
{
	struct ar_config *cfg = *state;

	assert_true(cfg->time_budget == 300);
	assert_true(cfg->check_timeout == 600);
	assert_true(cfg->timeout_multiplier == 2);
	assert_int_equal(cfg->repeats, 1);
	assert_int_equal(cfg->max_experiments, 0);
	assert_int_equal(cfg->metric_direction, AR_LOWER_IS_BETTER);
	assert_null(cfg->metric_name);
	assert_null(cfg->run_command);
	assert_get(cfg, "time_budget", "300");
	assert_get(cfg, "metric.direction", "lower");
	assert_get(cfg, "repeats", "1");
	assert_get(cfg, "min_delta", "0");
	assert_get(cfg, "agent", "auto");
	assert_get(cfg, "metric.name", NULL);
	assert_get(cfg, "target_files", NULL);
	assert_get(cfg, "guards", NULL);
	assert_get(cfg, "seed", NULL);
	assert_origin(cfg, "time_budget", "default");
	assert_origin(cfg, "metric.name", "unset");
	assert_origin(cfg, "seed", "unset");
	assert_int_equal(ar_config_validate(cfg), 0); /* no run_command needed */
}

static void test_key_table(void **state)
{
	static const char *const names[] = { "tag", "adapter", "branch",
		"target_files", "fixed_files", "context_files", "run_command",
		"metric.name", "metric.pattern", "metric.command", "metric.expr",
		"metric.direction", "values", "guards", "checks", "check_timeout",
		"time_budget", "timeout_multiplier", "max_experiments", "min_delta",
		"repeats", "agent", "memory" };
	size_t i;

	(void)state;
	assert_int_equal(sizeof(names) / sizeof(names[0]), AR_KEY__COUNT);
	for (i = 0; i < AR_KEY__COUNT; i++) {
		assert_string_equal(ar_config_key_name((enum ar_config_key)i), names[i]);
		assert_string_equal(ar_config_key_at(i), names[i]);
		assert_int_equal(ar_config_key_lookup(names[i]), (int)i);
	}
	assert_null(ar_config_key_name(AR_KEY__COUNT));
	for (; ar_config_key_at(i); i++)
		assert_int_equal(ar_config_key_lookup(ar_config_key_at(i)), -1);
	assert_int_equal(i, AR_KEY__COUNT + 17);
	assert_int_equal(ar_config_key_lookup("target_file"), AR_KEY_TARGET_FILES);
	assert_int_equal(ar_config_key_lookup("script_path"), AR_KEY_TARGET_FILES);
	assert_int_equal(ar_config_key_lookup("editable_files"), AR_KEY_TARGET_FILES);
	assert_int_equal(ar_config_key_lookup("readonly_files"), AR_KEY_FIXED_FILES);
	assert_int_equal(ar_config_key_lookup("metric_name"), AR_KEY_METRIC_NAME);
	assert_int_equal(ar_config_key_lookup("metric_parse"), AR_KEY_METRIC_COMMAND);
	assert_int_equal(ar_config_key_lookup("time_budget_minutes"), AR_KEY_TIME_BUDGET);
	assert_int_equal(ar_config_key_lookup("metrc"), -1);
	assert_int_equal(ar_config_key_lookup(NULL), -1);
}

/* ---- typed values ------------------------------------------------------- */

static void test_seconds_and_numbers(void **state)
{
	struct ar_config *cfg = *state;

	assert_int_equal(ar_config_set(cfg, "time_budget", "90", &o_flag), 0);
	assert_true(cfg->time_budget == 90);
	assert_int_equal(ar_config_set(cfg, "time_budget", "5m", &o_flag), 0);
	assert_true(cfg->time_budget == 300);
	assert_int_equal(ar_config_set(cfg, "time_budget", "1.5 hours", &o_flag), 0);
	assert_true(cfg->time_budget == 5400);
	assert_int_equal(ar_config_set(cfg, "time_budget", " 45s ", &o_flag), 0);
	assert_get(cfg, "time_budget", "45");
	assert_int_equal(ar_config_set(cfg, "check_timeout", "2 min", &o_flag), 0);
	assert_true(cfg->check_timeout == 120);
	assert_int_equal(ar_config_set(cfg, "timeout_multiplier", "1.5", &o_flag), 0);
	assert_get(cfg, "timeout_multiplier", "1.5");
	assert_int_equal(ar_config_set(cfg, "max_experiments", "50", &o_flag), 0);
	assert_int_equal(cfg->max_experiments, 50);
	assert_get(cfg, "max_experiments", "50");
	assert_int_equal(ar_config_set(cfg, "repeats", "3", &o_flag), 0);
	assert_int_equal(cfg->repeats, 3);
	assert_int_equal(ar_config_set(cfg, "repeats", "auto", &o_flag), 0);
	assert_int_equal(cfg->repeats, AR_REPEATS_AUTO);
	assert_get(cfg, "repeats", "auto");
	assert_int_equal(ar_config_validate(cfg), 0);
}

static void test_min_delta(void **state)
{
	struct ar_config *cfg = *state;

	assert_int_equal(ar_config_set(cfg, "min_delta", "0.5%", &o_flag), 0);
	assert_int_equal(cfg->min_delta_relative, 1);
	assert_true(cfg->min_delta > 0.00499 && cfg->min_delta < 0.00501);
	assert_get(cfg, "min_delta", "0.5%");
	assert_int_equal(ar_config_set(cfg, "min_delta", "0.01", &o_flag), 0);
	assert_int_equal(cfg->min_delta_relative, 0);
	assert_true(cfg->min_delta == 0.01);
	assert_get(cfg, "min_delta", "0.01");
	assert_int_equal(ar_config_set(cfg, "min_delta", "2 %", &o_flag), 0);
	assert_get(cfg, "min_delta", "2%");
	assert_error(ar_config_set(cfg, "min_delta", "-1", &o_flag), AR_EUSAGE,
	             "command line: 'min_delta' must be a number >= 0 or a "
	             "percentage like '0.5%', got '-1'");
	assert_error(ar_config_set(cfg, "min_delta", "x%", &o_flag), AR_EUSAGE,
	             "got 'x%'");
}

static void test_directions(void **state)
{
	static const char *const lower[] = { "lower", "lower_is_better", "min",
		"minimize", "LOWER", NULL };
	static const char *const higher[] = { "higher", "higher_is_better", "max",
		"maximize", " Higher ", NULL };
	struct ar_config *cfg = *state;

	for (size_t i = 0; higher[i]; i++) {
		assert_int_equal(ar_config_set(cfg, "metric.direction", higher[i], &o_flag), 0);
		assert_int_equal(cfg->metric_direction, AR_HIGHER_IS_BETTER);
		assert_get(cfg, "metric.direction", "higher");
		assert_int_equal(ar_config_set(cfg, "metric_direction", lower[i], &o_flag), 0);
		assert_int_equal(cfg->metric_direction, AR_LOWER_IS_BETTER);
		assert_get(cfg, "metric.direction", "lower");
	}
	assert_error(ar_config_set(cfg, "metric_direction", "up", &o_file), AR_EUSAGE,
	             "file.yaml:7: 'metric_direction' must be lower or higher");
}

static void test_strings_and_refs(void **state)
{
	struct ar_config *cfg = *state;

	assert_int_equal(ar_config_set(cfg, "tag", "mar5-run.2", &o_flag), 0);
	assert_string_equal(cfg->tag, "mar5-run.2");
	assert_int_equal(ar_config_set(cfg, "branch", "autoresearch/mar5", &o_flag), 0);
	assert_int_equal(ar_config_set(cfg, "run_command", "  uv run train.py  ",
	                               &o_flag), 0);
	assert_string_equal(cfg->run_command, "uv run train.py");
	assert_error(ar_config_set(cfg, "tag", "a b", &o_flag), AR_EUSAGE,
	             "'tag' must be a name of letters, digits");
	assert_error(ar_config_set(cfg, "branch", "x..y", &o_flag), AR_EUSAGE,
	             "'branch' must be");
	assert_error(ar_config_set(cfg, "run_command", "  ", &o_flag), AR_EUSAGE,
	             "'run_command' must be a shell command, got '  '");
	assert_error(ar_config_set(cfg, "run_command", NULL, &o_flag), AR_EUSAGE,
	             "'run_command' needs a value");
	assert_string_equal(cfg->tag, "mar5-run.2");
}

/* ---- patterns ------------------------------------------------------------- */

static void assert_extracts(const char *pattern, const char *line, const char *num)
{
	ar_regex *re = NULL;
	size_t gs, ge;

	assert_int_equal(ar_regex_compile(&re, pattern), 0);
	assert_int_equal(ar_regex_search(re, line, strlen(line), 0, NULL, NULL, &gs, &ge), 1);
	if (ge - gs != strlen(num) || strncmp(line + gs, num, ge - gs))
		fail_msg("'%s' on '%s': got '%.*s', want '%s'", pattern, line,
		         (int)(ge - gs), line + gs, num);
	ar_regex_free(re);
}

static void test_pattern_without_group(void **state)
{
	struct ar_config *cfg = *state;

	assert_int_equal(ar_config_set(cfg, "metric.pattern", "^val_loss:", &o_flag), 0);
	assert_non_null(strstr(cfg->metric_pattern, "(?:^val_loss:)\\s*("));
	assert_extracts(cfg->metric_pattern, "step 5\nval_loss: 3.25e-1 done\n", "3.25e-1");
	assert_extracts(cfg->metric_pattern, "val_loss:-2", "-2");
	/* A group is kept as written. */
	assert_int_equal(ar_config_set(cfg, "metric.pattern", "acc=([0-9.]+)%", &o_flag), 0);
	assert_string_equal(cfg->metric_pattern, "acc=([0-9.]+)%");
	assert_int_equal(ar_config_set(cfg, "metric.pattern", "(?<v>[0-9]+) ok", &o_flag), 0);
	assert_string_equal(cfg->metric_pattern, "(?<v>[0-9]+) ok");
	/* Escaped parentheses, non-capturing groups and classes are no group. */
	assert_int_equal(ar_config_set(cfg, "metric.pattern", "loss \\(val\\) [(]x[)]",
	                               &o_flag), 0);
	assert_extracts(cfg->metric_pattern, "loss (val) (x) 1.5", "1.5");
	assert_int_equal(ar_config_set(cfg, "metric.pattern", "(?:val|test)_acc:",
	                               &o_flag), 0);
	assert_extracts(cfg->metric_pattern, "test_acc: 0.91", "0.91");
	assert_int_equal(ar_config_validate(cfg), 0);
}

static void test_bad_regex(void **state)
{
	struct ar_config *cfg = *state;

	assert_error(ar_config_set(cfg, "metric.pattern", "val_(loss", &o_file), AR_EUSAGE,
	             "file.yaml:7: 'metric.pattern': bad regex 'val_(loss': "
	             "missing closing parenthesis at offset 9");
	assert_null(cfg->metric_pattern);
	assert_error(ar_config_set(cfg, "memory", "peak[", &o_flag), AR_EUSAGE,
	             "command line: 'memory': bad regex 'peak['");
	assert_int_equal(ar_config_set(cfg, "memory", "rss", &o_flag), 0);
	assert_int_equal(ar_config_set(cfg, "memory", "^peak_mem_mb:", &o_flag), 0);
	assert_extracts(cfg->memory, "peak_mem_mb: 512", "512");
	/* validate catches a pattern put into the struct directly. */
	free(cfg->metric_pattern);
	cfg->metric_pattern = ar_xstrdup("(");
	assert_error(ar_config_validate(cfg), AR_EUSAGE, "'metric.pattern': bad regex '('");
}

/* ---- aliases -------------------------------------------------------------- */

static void test_list_aliases(void **state)
{
	struct ar_config *cfg = *state;

	assert_int_equal(ar_config_add(cfg, "script_path", "train.py", &o_file), 0);
	assert_int_equal(ar_config_add(cfg, "editable_files", "train.py", &o_file), 0);
	assert_int_equal(ar_config_add(cfg, "editable_files", "model.py", &o_file), 0);
	assert_int_equal(ar_config_add(cfg, "target_file", "opt.py", &o_file), 0);
	assert_get(cfg, "target_files", "train.py, model.py, opt.py");
	assert_int_equal(ar_config_add(cfg, "readonly_files", "prepare.py", &o_file), 0);
	assert_get(cfg, "fixed_files", "prepare.py");
	assert_get(cfg, "readonly_files", "prepare.py");
	/* set replaces and splits on commas; checks are not split. */
	assert_int_equal(ar_config_set(cfg, "target_files", "a.py, b.py,,c/", &o_file), 0);
	assert_get(cfg, "target_files", "a.py, b.py, c/");
	assert_int_equal(ar_config_set(cfg, "checks", "python -c 'print(1,2)'", &o_file), 0);
	assert_int_equal(cfg->checks.n, 1);
	assert_string_equal(cfg->checks.items[0], "python -c 'print(1,2)'");
	assert_error(ar_config_add(cfg, "tag", "x", &o_file), AR_EUSAGE,
	             "file.yaml:7: 'tag' is not a list");
	assert_error(ar_config_add(cfg, "values", " ", &o_file), AR_EUSAGE,
	             "'values' must not have an empty item");
}

static void test_metric_aliases(void **state)
{
	struct ar_config *cfg = *state;

	assert_int_equal(ar_config_set(cfg, "metric_name", "val_bpb", &o_file), 0);
	assert_string_equal(cfg->metric_name, "val_bpb");
	assert_get(cfg, "metric_name", "val_bpb");
	assert_int_equal(ar_config_set(cfg, "metric_parse",
	                 "grep \"accuracy:\" run.log | tail -1 | awk '{print $2}'", &o_file), 0);
	assert_string_equal(cfg->metric_command,
	                    "grep \"accuracy:\" run.log | tail -1 | awk '{print $2}'");
	/* metric_grep: a regex is a pattern ... */
	assert_int_equal(ar_config_set(cfg, "metric_grep", "^val_bpb:", &o_file), 0);
	assert_extracts(cfg->metric_pattern, "val_bpb: 0.997", "0.997");
	assert_int_equal(ar_config_set(cfg, "metric_grep", "^(val_loss|loss):", &o_file), 0);
	assert_string_equal(cfg->metric_pattern, "^(val_loss|loss):");
	/* ... a command (a known tool first, or a pipe) is a command. */
	assert_int_equal(ar_config_set(cfg, "metric_grep", "grep \"^val_bpb:\" run.log",
	                               &o_file), 0);
	assert_string_equal(cfg->metric_command, "grep \"^val_bpb:\" run.log");
	assert_int_equal(ar_config_set(cfg, "metric_grep", "./score.sh | cut -d' ' -f2",
	                               &o_file), 0);
	assert_string_equal(cfg->metric_command, "./score.sh | cut -d' ' -f2");
	assert_int_equal(ar_config_set(cfg, "metric_grep", "/usr/bin/tail -1 out.txt",
	                               &o_file), 0);
	assert_string_equal(cfg->metric_command, "/usr/bin/tail -1 out.txt");
	assert_string_equal(cfg->metric_pattern, "^(val_loss|loss):");
}

static void test_minutes_aliases(void **state)
{
	struct ar_config *cfg = *state;

	assert_int_equal(ar_config_set(cfg, "time_budget_minutes", "5", &o_file), 0);
	assert_true(cfg->time_budget == 300);
	assert_origin(cfg, "time_budget", "file.yaml:7");
	assert_int_equal(ar_config_set(cfg, "timeout_minutes", "10", &o_file), 0);
	assert_true(cfg->timeout_multiplier == 2);
	assert_true(cfg->timeout_s == 600);
	/* The timeout is absolute: a new time budget rescales the multiplier. */
	assert_int_equal(ar_config_set(cfg, "time_budget", "120", &o_flag), 0);
	assert_true(cfg->timeout_multiplier == 5);
	assert_int_equal(ar_config_validate(cfg), 0);
	assert_int_equal(ar_config_set(cfg, "time_budget", "15m", &o_flag), 0);
	assert_error(ar_config_validate(cfg), AR_EUSAGE,
	             "file.yaml:7: timeout_minutes (10) is shorter than the time "
	             "budget (15 minutes)");
	/* Setting the multiplier itself detaches it from timeout_minutes. */
	assert_int_equal(ar_config_set(cfg, "timeout_multiplier", "3", &o_flag), 0);
	assert_true(cfg->timeout_s == 0);
	assert_int_equal(ar_config_set(cfg, "time_budget", "60", &o_flag), 0);
	assert_true(cfg->timeout_multiplier == 3);
	assert_error(ar_config_set(cfg, "time_budget_minutes", "0", &o_file), AR_EUSAGE,
	             "file.yaml:7: 'time_budget_minutes' must be a positive number "
	             "of minutes, got '0'");
	assert_error(ar_config_set(cfg, "timeout_minutes", "soon", &o_file), AR_EUSAGE,
	             "'timeout_minutes' must be a positive number of minutes");
	/* Order does not matter: timeout first, budget later. */
	ar_config_release(cfg);
	ar_config_init(cfg);
	assert_int_equal(ar_config_set(cfg, "timeout_minutes", "10", &o_file), 0);
	assert_int_equal(ar_config_set(cfg, "time_budget_minutes", "2", &o_file), 0);
	assert_true(cfg->timeout_multiplier == 5);
}

/* ---- precedence and origins -------------------------------------------- */

static void test_precedence_scalar(void **state)
{
	struct ar_config *cfg = *state;

	assert_int_equal(ar_config_set(cfg, "metric.name", "loss", &o_adapter), 0);
	assert_origin(cfg, "metric.name", "adapter ml");
	assert_int_equal(ar_config_set(cfg, "metric.name", "val_bpb", &o_file), 0);
	assert_origin(cfg, "metric.name", "file.yaml:7");
	/* A lower origin is ignored, also when it comes later. */
	assert_int_equal(ar_config_set(cfg, "metric.name", "acc", &o_adapter), 0);
	assert_int_equal(ar_config_set(cfg, "metric.name", "acc", &o_default), 0);
	assert_string_equal(cfg->metric_name, "val_bpb");
	assert_int_equal(ar_config_set(cfg, "metric.name", "flagged", &o_flag), 0);
	assert_origin(cfg, "metric.name", "command line");
	assert_int_equal(ar_config_set(cfg, "metric.name", "file2", &o_file), 0);
	assert_string_equal(cfg->metric_name, "flagged");
	/* An equal origin replaces; NULL origin is the command line. */
	assert_int_equal(ar_config_set(cfg, "metric.name", "last", NULL), 0);
	assert_string_equal(cfg->metric_name, "last");
	/* Adapter over default for a defaulted key. */
	assert_int_equal(ar_config_set(cfg, "time_budget", "60", &o_adapter), 0);
	assert_true(cfg->time_budget == 60);
	assert_int_equal(ar_config_set(cfg, "time_budget", "30", &o_default), 0);
	assert_true(cfg->time_budget == 60);
	/* A bad value is an error even from an outranked origin. */
	assert_error(ar_config_set(cfg, "time_budget", "x", &o_default), AR_EUSAGE,
	             "default: 'time_budget'");
}

static void test_precedence_lists(void **state)
{
	struct ar_config *cfg = *state;

	assert_int_equal(ar_config_add(cfg, "target_files", "a.py", &o_adapter), 0);
	assert_int_equal(ar_config_add(cfg, "target_files", "b.py", &o_adapter), 0);
	assert_get(cfg, "target_files", "a.py, b.py");
	assert_int_equal(ar_config_add(cfg, "target_files", "c.py", &o_file), 0);
	assert_int_equal(ar_config_add(cfg, "target_files", "d.py", &o_file), 0);
	assert_get(cfg, "target_files", "c.py, d.py");
	assert_origin(cfg, "target_files", "file.yaml:7");
	assert_int_equal(ar_config_add(cfg, "target_files", "e.py", &o_adapter), 0);
	assert_int_equal(ar_config_set(cfg, "target_files", "e.py", &o_adapter), 0);
	assert_get(cfg, "target_files", "c.py, d.py");
	assert_int_equal(ar_config_add(cfg, "target_files", "f.py", &o_flag), 0);
	assert_get(cfg, "target_files", "f.py");
	assert_origin(cfg, "target_files", "command line");
}

static void test_origin_describe(void **state)
{
	struct ar_origin unset = { AR_ORIGIN_UNSET, NULL, 0 };
	struct ar_origin noline = { AR_ORIGIN_FILE, "CLAUDE.md", 0 };
	const struct ar_origin *all[] = { &o_default, &o_adapter, &o_file, &o_flag,
		&unset, &noline, NULL };
	const char *want[] = { "default", "adapter ml", "file.yaml:7", "command line",
		"unset", "CLAUDE.md", "command line" };

	(void)state;
	for (size_t i = 0; i < 7; i++) {
		char *d = ar_origin_describe(all[i]);
		assert_string_equal(d, want[i]);
		free(d);
	}
}

/* ---- errors ------------------------------------------------------------- */

static void test_unknown_keys(void **state)
{
	struct ar_config *cfg = *state;

	assert_error(ar_config_set(cfg, "metrc", "x", &o_file), AR_EUSAGE,
	             "file.yaml:7: unknown key 'metrc' (did you mean 'metric'?)");
	assert_error(ar_config_set(cfg, "time_budgt", "1", &o_flag), AR_EUSAGE,
	             "command line: unknown key 'time_budgt' (did you mean 'time_budget'?)");
	assert_error(ar_config_set(cfg, "metric.nmae", "x", &o_flag), AR_EUSAGE,
	             "unknown key 'metric.nmae' (did you mean 'metric.name'?)");
	assert_error(ar_config_set(cfg, "metric_grp", "x", &o_flag), AR_EUSAGE,
	             "(did you mean 'metric_grep'?)");
	assert_error(ar_config_add(cfg, "readonly_file", "x", &o_flag), AR_EUSAGE,
	             "(did you mean 'readonly_files'?)");
	ar_config_set(cfg, "zzzzzzzzzz", "x", &o_flag);
	assert_string_equal(ar_error_last(), "command line: unknown key 'zzzzzzzzzz'");
	assert_error(ar_config_set(cfg, NULL, "x", &o_flag), AR_EUSAGE, "no configuration key");
}

static void test_type_errors(void **state)
{
	struct ar_config *cfg = *state;

	assert_error(ar_config_set(cfg, "time_budget", "abc", &o_file), AR_EUSAGE,
	             "file.yaml:7: 'time_budget' must be a positive number of "
	             "seconds (90, 90s, 5m, 1h), got 'abc'");
	assert_error(ar_config_set(cfg, "time_budget", "0", &o_file), AR_EUSAGE,
	             "'time_budget' must be a positive number of seconds");
	assert_error(ar_config_set(cfg, "time_budget", "-5", &o_file), AR_EUSAGE, "got '-5'");
	assert_error(ar_config_set(cfg, "time_budget", "5 fortnights", &o_file), AR_EUSAGE,
	             "got '5 fortnights'");
	assert_error(ar_config_set(cfg, "time_budget", "nan", &o_file), AR_EUSAGE, "got 'nan'");
	assert_error(ar_config_set(cfg, "check_timeout", "0", &o_file), AR_EUSAGE,
	             "'check_timeout' must be a positive number");
	assert_error(ar_config_set(cfg, "timeout_multiplier", "0.5", &o_file), AR_EUSAGE,
	             "'timeout_multiplier' must be a number of at least 1");
	assert_error(ar_config_set(cfg, "repeats", "0", &o_file), AR_EUSAGE,
	             "'repeats' must be a whole number of at least 1, or 'auto', got '0'");
	assert_error(ar_config_set(cfg, "repeats", "2.5", &o_file), AR_EUSAGE, "got '2.5'");
	assert_error(ar_config_set(cfg, "max_experiments", "-1", &o_file), AR_EUSAGE,
	             "'max_experiments' must be a whole number (0 = unlimited), got '-1'");
	assert_error(ar_config_set(cfg, "max_experiments", "ten", &o_file), AR_EUSAGE,
	             "got 'ten'");
	assert_error(ar_config_set(cfg, "guards", "mem", &o_file), AR_EUSAGE,
	             "'guards' is a list of mappings");
	/* Nothing was changed by the failures. */
	assert_true(cfg->time_budget == 300);
	assert_int_equal(cfg->repeats, 1);
	assert_int_equal(ar_config_validate(cfg), 0);
}

static void test_validate_ranges(void **state)
{
	struct ar_config *cfg = *state;

	ar_config_set(cfg, "time_budget", "60", &o_file);
	cfg->time_budget = 0;
	assert_error(ar_config_validate(cfg), AR_EUSAGE,
	             "file.yaml:7: 'time_budget' must be a positive number");
	cfg->time_budget = 60;
	cfg->timeout_multiplier = 0.5;
	assert_error(ar_config_validate(cfg), AR_EUSAGE,
	             "default: 'timeout_multiplier' must be at least 1, got 0.5");
	cfg->timeout_multiplier = 1;
	cfg->repeats = 0;
	assert_error(ar_config_validate(cfg), AR_EUSAGE, "'repeats' must be");
	cfg->repeats = AR_REPEATS_AUTO;
	cfg->check_timeout = -1;
	assert_error(ar_config_validate(cfg), AR_EUSAGE, "'check_timeout'");
	cfg->check_timeout = 1;
	cfg->min_delta = -1;
	assert_error(ar_config_validate(cfg), AR_EUSAGE, "'min_delta' must be >= 0");
	cfg->min_delta = 0;
	cfg->max_experiments = -3;
	assert_error(ar_config_validate(cfg), AR_EUSAGE, "'max_experiments'");
	cfg->max_experiments = 0;
	assert_int_equal(ar_config_validate(cfg), 0);
}

/* ---- expressions --------------------------------------------------------- */

static void test_expr(void **state)
{
	struct ar_config *cfg = *state;

	assert_int_equal(ar_config_set(cfg, "metric.expr", "0.8*precision + 0.2*mrr",
	                               &o_file), 0);
	assert_get(cfg, "values", "precision, mrr");
	assert_origin(cfg, "values", "file.yaml:7");
	assert_int_equal(ar_config_validate(cfg), 0);
	/* values given later from the same origin add to them. */
	assert_int_equal(ar_config_add(cfg, "values", "recall", &o_file), 0);
	assert_get(cfg, "values", "precision, mrr, recall");
	/* A higher origin that leaves a name out breaks the expression. */
	assert_int_equal(ar_config_set(cfg, "values", "precision", &o_flag), 0);
	assert_error(ar_config_validate(cfg), AR_EUSAGE,
	             "file.yaml:7: 'metric.expr' uses 'mrr', which is not in 'values' "
	             "(set at command line)");
	assert_error(ar_config_set(cfg, "metric.expr", "0.8*(precision", &o_file),
	             AR_EUSAGE, "file.yaml:7: 'metric.expr': bad expression");
	assert_string_equal(cfg->metric_expr, "0.8*precision + 0.2*mrr");
}

/* ---- guards -------------------------------------------------------------- */

static void test_guards_api(void **state)
{
	struct ar_config *cfg = *state;
	struct ar_guard g;

	memset(&g, 0, sizeof(g));
	g.name = ar_xstrdup("peak_mem");
	g.pattern = ar_xstrdup("^peak_mem_gb:");
	g.has_max = 1;
	g.max = 40;
	assert_int_equal(ar_config_add_guard(cfg, &g, &o_file), 0);
	assert_null(g.name);
	assert_null(g.pattern);
	assert_int_equal(cfg->nguards, 1);
	assert_extracts(cfg->guards[0].pattern, "peak_mem_gb: 38.5", "38.5");
	memset(&g, 0, sizeof(g));
	g.name = ar_xstrdup("val_loss");
	g.has_max_regression = 1;
	g.max_regression = 0.05;
	g.max_regression_relative = 1;
	assert_int_equal(ar_config_add_guard(cfg, &g, &o_file), 0);
	assert_get(cfg, "guards", "peak_mem (max 40), val_loss (max_regression 5%)");
	/* Same name replaces; a lower origin is ignored (and freed). */
	memset(&g, 0, sizeof(g));
	g.name = ar_xstrdup("peak_mem");
	g.has_min = g.has_max = 1;
	g.min = 1;
	g.max = 30;
	assert_int_equal(ar_config_add_guard(cfg, &g, &o_file), 0);
	memset(&g, 0, sizeof(g));
	g.name = ar_xstrdup("ignored");
	g.has_max = 1;
	assert_int_equal(ar_config_add_guard(cfg, &g, &o_adapter), 0);
	assert_null(g.name);
	assert_get(cfg, "guards", "peak_mem (min 1, max 30), val_loss (max_regression 5%)");
	assert_origin(cfg, "guards", "file.yaml:7");
	assert_int_equal(ar_config_validate(cfg), 0);
}

static void test_guard_errors(void **state)
{
	struct ar_config *cfg = *state;
	struct ar_guard g;

	memset(&g, 0, sizeof(g));
	g.has_max = 1;
	assert_error(ar_config_add_guard(cfg, &g, &o_file), AR_EUSAGE,
	             "file.yaml:7: a guard needs a 'name'");
	g.name = ar_xstrdup("mem");
	g.has_max = 0;
	assert_error(ar_config_add_guard(cfg, &g, &o_file), AR_EUSAGE,
	             "guard 'mem' needs max, min or max_regression");
	g.has_max = 1;
	g.pattern = ar_xstrdup("mem(");
	assert_error(ar_config_add_guard(cfg, &g, &o_flag), AR_EUSAGE,
	             "command line: guard 'mem' pattern: bad regex 'mem(': missing "
	             "closing parenthesis at offset 4");
	/* On failure the strings stay the caller's. */
	assert_non_null(g.name);
	free(g.name);
	free(g.pattern);
	assert_int_equal(cfg->nguards, 0);
}

/* ---- extra keys ---------------------------------------------------------- */

static void test_extra_keys(void **state)
{
	struct ar_config *cfg = *state;
	double d;

	assert_int_equal(ar_config_set(cfg, "seed", "42", &o_file), 0);
	assert_int_equal(ar_config_set(cfg, "alpha", "0.05", &o_file), 0);
	assert_int_equal(ar_config_set(cfg, "agent_timeout", "2m", &o_file), 0);
	assert_int_equal(ar_config_set(cfg, "aggregate", "Median", &o_file), 0);
	assert_int_equal(ar_config_set(cfg, "confirm", "yes", &o_file), 0);
	assert_int_equal(ar_config_set(cfg, "refresh_best", "5", &o_file), 0);
	assert_int_equal(ar_config_set(cfg, "max_hours", "8", &o_file), 0);
	assert_int_equal(ar_config_set(cfg, "target", "-0.5", &o_file), 0);
	assert_int_equal(ar_config_set(cfg, "prompt_template", "prompt.md", &o_file), 0);
	assert_get(cfg, "seed", "42");
	assert_get(cfg, "alpha", "0.05");
	assert_get(cfg, "agent_timeout", "120");
	assert_get(cfg, "aggregate", "median");
	assert_get(cfg, "confirm", "1");
	assert_get(cfg, "target", "-0.5");
	assert_get(cfg, "prompt_template", "prompt.md");
	assert_origin(cfg, "seed", "file.yaml:7");
	assert_int_equal(ar_config_get_number(cfg, "max_hours", &d), 0);
	assert_true(d == 8);
	assert_int_equal(ar_config_get_number(cfg, "time_budget", &d), 0);
	assert_true(d == 300);
	assert_int_equal(ar_config_get_number(cfg, "plateau", &d), AR_ENOTFOUND);
	assert_int_equal(ar_config_get_number(cfg, "metric.name", &d), AR_ENOTFOUND);
	/* Precedence holds for them too. */
	assert_int_equal(ar_config_set(cfg, "seed", "7", &o_adapter), 0);
	assert_get(cfg, "seed", "42");
	assert_int_equal(ar_config_set(cfg, "seed", "7", &o_flag), 0);
	assert_get(cfg, "seed", "7");
	assert_error(ar_config_set(cfg, "alpha", "1", &o_file), AR_EUSAGE,
	             "'alpha' must be a number between 0 and 1 (exclusive), got '1'");
	assert_error(ar_config_set(cfg, "aggregate", "mode", &o_file), AR_EUSAGE,
	             "'aggregate' must be one of median, mean, min, max, got 'mode'");
	assert_int_equal(ar_config_set(cfg, "watch", "false", &o_file), 0);
	assert_get(cfg, "watch", "false");
	assert_error(ar_config_set(cfg, "watch", "sometimes", &o_file), AR_EUSAGE,
	             "'watch' must be one of auto, true, false, got 'sometimes'");
	assert_error(ar_config_set(cfg, "max_repeats", "0", &o_file), AR_EUSAGE,
	             "'max_repeats' must be a whole number of at least 1");
	assert_error(ar_config_set(cfg, "confirm", "maybe", &o_file), AR_EUSAGE,
	             "'confirm' must be a whole number >= 0 or true/false");
	assert_error(ar_config_set(cfg, "plateu", "3", &o_file), AR_EUSAGE,
	             "(did you mean 'plateau'?)");
	assert_null(ar_config_origin(cfg, "nope"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_defaults),
		T(test_key_table),
		T(test_seconds_and_numbers),
		T(test_min_delta),
		T(test_directions),
		T(test_strings_and_refs),
		T(test_pattern_without_group),
		T(test_bad_regex),
		T(test_list_aliases),
		T(test_metric_aliases),
		T(test_minutes_aliases),
		T(test_precedence_scalar),
		T(test_precedence_lists),
		T(test_origin_describe),
		T(test_unknown_keys),
		T(test_type_errors),
		T(test_validate_ranges),
		T(test_expr),
		T(test_guards_api),
		T(test_guard_errors),
		T(test_extra_keys),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
