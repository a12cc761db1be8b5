/*
 * test_config_files.c - the config file readers (config_yaml.c with the
 * real libyaml, config_json.c with the real jansson, config_claude.c) on
 * real files in a temporary directory, and ar_config_load_repo.
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

struct fx {
	char *dir;
	char *path;
	struct ar_config cfg;
};

#define assert_error(rc, code, needle)                                        \
	do {                                                                  \
		int rc_ = (rc);                                               \
		if (rc_ != (code) || !tu_contains(ar_error_last(), (needle))) \
			fail_msg("rc %d (want %d), error: \"%s\", want \"%s\"", \
			         rc_, (code), ar_error_last(), (needle));     \
	} while (0)

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->dir = tu_tmpdir();
	ar_config_init(&f->cfg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	ar_config_release(&f->cfg);
	tu_rm_rf(f->dir);
	free(f->dir);
	free(f->path);
	free(f);
	return 0;
}

/* Write `content` as dir/name; f->path is its path. */
static const char *put(struct fx *f, const char *name, const char *content)
{
	tu_write(f->dir, name, content);
	free(f->path);
	f->path = ar_path_join(f->dir, name);
	return f->path;
}

static int yaml(struct fx *f, const char *content)
{
	return ar_config_load_yaml(&f->cfg, put(f, ".autoresearch.yaml", content));
}

/* The message must start with "<path>:<line>:<col>: " and contain `rest`. */
static void assert_located(struct fx *f, int rc, int line, int col, const char *rest)
{
	char *want = col ? ar_xprintf("%s:%d:%d: ", f->path, line, col)
	                 : ar_xprintf("%s:%d: ", f->path, line);
	const char *msg = ar_error_last();

	if (rc != AR_EUSAGE || strncmp(msg, want, strlen(want)) || !strstr(msg, rest))
		fail_msg("rc %d, error \"%s\", want \"%s...%s\"", rc, msg, want, rest);
	free(want);
}

static void assert_get(const struct ar_config *cfg, const char *key, const char *want)
{
	char *v = ar_config_get(cfg, key);
	if (!v || strcmp(v, want))
		fail_msg("%s: want '%s', got '%s'", key, want, v ? v : "(null)");
	free(v);
}

static void assert_origin(struct fx *f, const char *key, int line)
{
	char *d = ar_origin_describe(ar_config_origin(&f->cfg, key));
	char *want = ar_xprintf("%s:%d", f->path, line);
	if (strcmp(d, want))
		fail_msg("origin of %s: want '%s', got '%s'", key, want, d);
	free(d);
	free(want);
}

static void assert_number_after(const char *pattern, const char *line, const char *num)
{
	ar_regex *re = NULL;
	size_t gs, ge;

	assert_int_equal(ar_regex_compile(&re, pattern), 0);
	assert_int_equal(ar_regex_search(re, line, strlen(line), 0, NULL, NULL, &gs, &ge), 1);
	assert_int_equal(ge - gs, strlen(num));
	assert_memory_equal(line + gs, num, ge - gs);
	ar_regex_free(re);
}

/* ---- YAML ------------------------------------------------------------------- */

static void test_yaml_full(void **state)
{
	struct fx *f = *state;
	int rc = yaml(f,
		"# ar config\n"
		"tag: mar5\n"
		"adapter: ml\n"
		"target_files: [train.py, model/*.py]\n"
		"fixed_files:\n"
		"  - prepare.py\n"
		"  - data/\n"
		"context_files: README.md\n"
		"run_command: uv run train.py > run.log 2>&1\n"
		"metric:\n"
		"  name: val_bpb\n"
		"  pattern: '^val_bpb:'\n"
		"  direction: lower_is_better\n"
		"values: [precision, mrr]\n"
		"guards:\n"
		"  - name: peak_mem_gb\n"
		"    pattern: 'peak_mem_gb: ([0-9.]+)'\n"
		"    max: 40\n"
		"  - name: val_loss\n"
		"    max_regression: 5%\n"
		"checks:\n"
		"  - pytest -q tests/\n"
		"check_timeout: 2m\n"
		"time_budget: 300\n"
		"timeout_multiplier: 1.5\n"
		"max_experiments: 100\n"
		"min_delta: 0.1%\n"
		"repeats: auto\n"
		"agent:\n"
		"  command: claude -p\n"
		"  prompt: file\n"
		"memory: rss\n"
		"seed: 1234\n"
		"plateau: 20\n"
		"confirm: true\n");

	if (rc)
		fail_msg("%s", ar_error_last());
	assert_string_equal(f->cfg.tag, "mar5");
	assert_string_equal(f->cfg.adapter, "ml");
	assert_get(&f->cfg, "target_files", "train.py, model/*.py");
	assert_get(&f->cfg, "fixed_files", "prepare.py, data/");
	assert_get(&f->cfg, "context_files", "README.md");
	assert_string_equal(f->cfg.run_command, "uv run train.py > run.log 2>&1");
	assert_string_equal(f->cfg.metric_name, "val_bpb");
	assert_number_after(f->cfg.metric_pattern, "val_bpb: 0.9979", "0.9979");
	assert_int_equal(f->cfg.metric_direction, AR_LOWER_IS_BETTER);
	assert_int_equal(f->cfg.nguards, 2);
	assert_string_equal(f->cfg.guards[0].name, "peak_mem_gb");
	assert_true(f->cfg.guards[0].has_max && f->cfg.guards[0].max == 40);
	assert_true(f->cfg.guards[1].has_max_regression);
	assert_true(f->cfg.guards[1].max_regression_relative);
	assert_true(f->cfg.guards[1].max_regression > 0.0499 &&
	            f->cfg.guards[1].max_regression < 0.0501);
	assert_get(&f->cfg, "checks", "pytest -q tests/");
	assert_true(f->cfg.check_timeout == 120);
	assert_true(f->cfg.timeout_multiplier == 1.5);
	assert_int_equal(f->cfg.max_experiments, 100);
	assert_get(&f->cfg, "min_delta", "0.1%");
	assert_int_equal(f->cfg.repeats, AR_REPEATS_AUTO);
	assert_string_equal(f->cfg.agent, "claude -p");
	assert_get(&f->cfg, "agent.prompt", "file");
	assert_string_equal(f->cfg.memory, "rss");
	assert_get(&f->cfg, "seed", "1234");
	assert_get(&f->cfg, "plateau", "20");
	assert_get(&f->cfg, "confirm", "1");
	/* Origins point at the lines. */
	assert_origin(f, "tag", 2);
	assert_origin(f, "fixed_files", 6);
	assert_origin(f, "metric.name", 11);
	assert_origin(f, "metric.direction", 13);
	assert_origin(f, "guards", 16);
	assert_origin(f, "agent", 30);
	assert_origin(f, "seed", 33);
	assert_int_equal(ar_config_validate(&f->cfg), 0);
}

static void test_yaml_flat_aliases(void **state)
{
	struct fx *f = *state;
	int rc = yaml(f,
		"target_file: train.py\n"
		"readonly_files: prepare.py, data/\n"
		"metric_name: val_loss\n"
		"metric_direction: minimize\n"
		"metric_grep: '^val_loss:'\n"
		"time_budget_minutes: 5\n"
		"timeout_minutes: 15\n"
		"metric: accuracy\n"
		"agent: tune\n"
		"repeats: 3\n");

	if (rc)
		fail_msg("%s", ar_error_last());
	assert_get(&f->cfg, "target_files", "train.py");
	assert_get(&f->cfg, "fixed_files", "prepare.py, data/");
	assert_string_equal(f->cfg.metric_name, "accuracy"); /* metric: overrides */
	assert_number_after(f->cfg.metric_pattern, "val_loss: 2.5", "2.5");
	assert_true(f->cfg.time_budget == 300);
	assert_true(f->cfg.timeout_multiplier == 3);
	assert_string_equal(f->cfg.agent, "tune");
	assert_int_equal(f->cfg.repeats, 3);
	assert_origin(f, "timeout_multiplier", 7);
}

static void test_yaml_empty_and_comments(void **state)
{
	struct fx *f = *state;

	assert_int_equal(yaml(f, ""), 0);
	assert_int_equal(yaml(f, "# nothing here\n\n   # still nothing\n"), 0);
	assert_int_equal(yaml(f, "---\n...\n"), 0);
	assert_int_equal(yaml(f, "tag: ~\nmetric:\nrun_command: null\n"), 0);
	assert_null(f->cfg.tag);
	assert_null(f->cfg.metric_name);
	assert_null(f->cfg.run_command);
	assert_true(f->cfg.time_budget == 300);
	assert_int_equal(f->cfg.origin[AR_KEY_TIME_BUDGET].kind, AR_ORIGIN_DEFAULT);
}

static void test_yaml_unknown_keys(void **state)
{
	struct fx *f = *state;

	assert_located(f, yaml(f, "tag: x\nmetrc:\n  name: loss\n"), 2, 1,
	               "unknown key 'metrc' (did you mean 'metric'?)");
	assert_located(f, yaml(f, "metric:\n  nmae: loss\n"), 2, 3,
	               "unknown key 'metric.nmae' (did you mean 'metric.name'?)");
	assert_located(f, yaml(f, "agent:\n  comand: x\n"), 2, 3,
	               "unknown key 'agent.comand' (did you mean 'agent.command'?)");
	assert_located(f, yaml(f, "time_budget_minuts: 5\n"), 1, 1,
	               "(did you mean 'time_budget_minutes'?)");
	assert_located(f, yaml(f, "tag: a\ntag: b\n"), 2, 1,
	               "'tag' is given twice (first at line 1)");
}

static void test_yaml_type_errors(void **state)
{
	struct fx *f = *state;

	assert_located(f, yaml(f, "tag: x\ntime_budget: abc\n"), 2, 14,
	               "'time_budget' must be a positive number of seconds "
	               "(90, 90s, 5m, 1h), got 'abc'");
	assert_located(f, yaml(f, "time_budget: -5\n"), 1, 14, "got '-5'");
	assert_located(f, yaml(f, "timeout_multiplier: 0.5\n"), 1, 21,
	               "'timeout_multiplier' must be a number of at least 1");
	assert_located(f, yaml(f, "repeats: 0\n"), 1, 10, "'repeats' must be");
	assert_located(f, yaml(f, "run_command: [a, b]\n"), 1, 14,
	               "'run_command' must be a shell command, got a list");
	assert_located(f, yaml(f, "target_files:\n  a: b\n"), 2, 3,
	               "'target_files' must be a list of strings or one string, "
	               "got a mapping");
	assert_located(f, yaml(f, "checks:\n  - [x]\n"), 2, 5,
	               "the items of 'checks' must be strings, got a list");
	assert_located(f, yaml(f, "metric: [a]\n"), 1, 9, "'metric.name' must be");
	assert_located(f, yaml(f, "metric:\n  direction: sideways\n"), 2, 14,
	               "'metric.direction' must be lower or higher");
	assert_located(f, yaml(f, "min_delta: lots\n"), 1, 12,
	               "'min_delta' must be a number >= 0 or a percentage");
}

static void test_yaml_bad_regex_and_expr(void **state)
{
	struct fx *f = *state;

	assert_located(f, yaml(f, "metric:\n  name: x\n  pattern: 'val_(loss'\n"), 3, 12,
	               "'metric.pattern': bad regex 'val_(loss': missing closing "
	               "parenthesis at offset 9");
	assert_located(f, yaml(f, "metric:\n  expr: 0.8*precision +\n"), 2, 9,
	               "'metric.expr': bad expression");
	assert_located(f, yaml(f, "guards:\n  - name: m\n    pattern: '[x'\n    max: 1\n"),
	               2, 5, "guard 'm' pattern: bad regex '[x'");
}

static void test_yaml_guard_errors(void **state)
{
	struct fx *f = *state;

	assert_located(f, yaml(f, "guards:\n  - name: m\n    mx: 3\n"), 3, 5,
	               "unknown guard key 'mx' (did you mean 'max'?)");
	assert_located(f, yaml(f, "guards:\n  - pattern: x\n    max: 3\n"), 2, 5,
	               "a guard needs a 'name'");
	assert_located(f, yaml(f, "guards:\n  - name: m\n"), 2, 5,
	               "guard 'm' needs max, min or max_regression");
	assert_located(f, yaml(f, "guards:\n  - name: m\n    max: lots\n"), 3, 10,
	               "guard 'm': 'max' must be a number, got 'lots'");
	assert_located(f, yaml(f, "guards:\n  - max_regression: 5 percent\n    name: m\n"),
	               2, 21, "guard 'm': 'max_regression' must be a number >= 0 or a "
	               "percentage like '5%', got '5 percent'");
	assert_located(f, yaml(f, "guards: mem\n"), 1, 9,
	               "'guards' must be a list of mappings");
	assert_located(f, yaml(f, "guards:\n  - mem\n"), 2, 5,
	               "each guard must be a mapping");
	/* A single mapping is one guard. */
	assert_int_equal(yaml(f, "guards:\n  name: loss\n  min: 0\n"), 0);
	assert_int_equal(f->cfg.nguards, 1);
	assert_true(f->cfg.guards[0].has_min);
}

static void test_yaml_broken(void **state)
{
	struct fx *f = *state;

	assert_located(f, yaml(f, "tag: x\nfixed_files: [a, b\n"), 3, 1,
	               "not valid YAML: did not find expected ',' or ']'");
	assert_located(f, yaml(f, "tag: x\n  bad: indent: here\n"), 2, 6,
	               "not valid YAML: mapping values are not allowed in this context");
	assert_located(f, yaml(f, "metric_grep: ^val_loss:\n"), 1, 23,
	               "put quotes around a value that contains ': ' or ends with ':'");
	assert_located(f, yaml(f, "tag: \"open\n"), 2, 1, "not valid YAML");
	assert_located(f, yaml(f, "tag: x\n\x01\x02\n"), 2, 1, "not valid YAML");
	/* Valid YAML that is not a mapping. */
	assert_located(f, yaml(f, "- a\n- b\n"), 1, 1,
	               "the top level must be a mapping of keys (like 'run_command: "
	               "...'), not a list");
	assert_located(f, yaml(f, "just some text\n"), 1, 1, "not a single value");
	assert_located(f, yaml(f, "? [a]\n: b\n"), 1, 3, "a key must be a plain name");
}

static void test_yaml_aliases_bomb(void **state)
{
	struct fx *f = *state;
	ar_buf b = AR_BUF_INIT;

	ar_buf_adds(&b, "a: &a [x, x, x, x, x, x, x, x, x, x]\n");
	for (char c = 'b'; c <= 'h'; c++)
		ar_buf_printf(&b, "%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n",
		              c, c, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1,
		              c - 1, c - 1);
	assert_error(yaml(f, b.ptr), AR_EUSAGE, "too many values for a config file");
	ar_buf_release(&b);
}

static void test_missing_file(void **state)
{
	struct fx *f = *state;
	char *p = ar_path_join(f->dir, "nope.yaml");

	assert_error(ar_config_load_yaml(&f->cfg, p), AR_EUSAGE, "nope.yaml: no such config file");
	assert_error(ar_config_load_json(&f->cfg, p), AR_EUSAGE, "no such config file");
	assert_error(ar_config_load_claude(&f->cfg, p), AR_EUSAGE, "no such config file");
	free(p);
}

/* ---- JSON ------------------------------------------------------------------ */

/* Exactly as the ML-experiment skill writes it. */
static const char skill_json[] =
	"{\n"
	"  \"tag\": \"mar5\",\n"
	"  \"branch\": \"autoresearch/mar5\",\n"
	"  \"script_path\": \"train.py\",\n"
	"  \"run_command\": \"uv run train.py > run.log 2>&1\",\n"
	"  \"metric_name\": \"val_loss\",\n"
	"  \"metric_direction\": \"lower\",\n"
	"  \"metric_grep\": \"^val_loss:\",\n"
	"  \"time_budget_minutes\": 5,\n"
	"  \"timeout_minutes\": 10,\n"
	"  \"editable_files\": [\"train.py\", \"model.py\"],\n"
	"  \"readonly_files\": [\"prepare.py\"],\n"
	"  \"max_experiments\": 50,\n"
	"  \"created_at\": \"2025-03-05T10:00:00Z\"\n"
	"}\n";

static void test_json_skill_shape(void **state)
{
	struct fx *f = *state;
	int rc = ar_config_load_json(&f->cfg, put(f, ".autoresearch.json", skill_json));

	if (rc)
		fail_msg("%s", ar_error_last());
	assert_string_equal(f->cfg.tag, "mar5");
	assert_string_equal(f->cfg.branch, "autoresearch/mar5");
	assert_get(&f->cfg, "target_files", "train.py, model.py");
	assert_string_equal(f->cfg.run_command, "uv run train.py > run.log 2>&1");
	assert_string_equal(f->cfg.metric_name, "val_loss");
	assert_int_equal(f->cfg.metric_direction, AR_LOWER_IS_BETTER);
	assert_number_after(f->cfg.metric_pattern, "step 10\nval_loss: 1.875\n", "1.875");
	assert_true(f->cfg.time_budget == 300);
	assert_true(f->cfg.timeout_multiplier == 2);
	assert_get(&f->cfg, "fixed_files", "prepare.py");
	assert_int_equal(f->cfg.max_experiments, 50);
	assert_origin(f, "tag", 2);
	assert_origin(f, "metric.pattern", 8);
	assert_origin(f, "time_budget", 9);
	assert_origin(f, "fixed_files", 12);
	assert_int_equal(ar_config_validate(&f->cfg), 0);
}

static void test_json_nested_and_types(void **state)
{
	struct fx *f = *state;
	int rc = ar_config_load_json(&f->cfg, put(f, ".autoresearch.json",
		"{\"metric\": {\"name\": \"acc\", \"direction\": \"max\"},\n"
		" \"guards\": [{\"name\": \"mem\", \"max\": 4.5}],\n"
		" \"min_delta\": 0.25, \"confirm\": false, \"tag\": null,\n"
		" \"metric_grep\": \"grep acc: run.log | tail -1\"}\n"));

	if (rc)
		fail_msg("%s", ar_error_last());
	assert_string_equal(f->cfg.metric_name, "acc");
	assert_int_equal(f->cfg.metric_direction, AR_HIGHER_IS_BETTER);
	assert_true(f->cfg.nguards == 1 && f->cfg.guards[0].max == 4.5);
	assert_true(f->cfg.min_delta == 0.25);
	assert_get(&f->cfg, "confirm", "0");
	assert_null(f->cfg.tag);
	assert_string_equal(f->cfg.metric_command, "grep acc: run.log | tail -1");
	assert_null(f->cfg.metric_pattern);
	assert_int_equal(ar_config_load_json(&f->cfg, put(f, "e.json", " \n")), 0);
}

static void test_json_errors(void **state)
{
	struct fx *f = *state;
	const char *p;

	p = put(f, ".autoresearch.json", "{\n  \"tag\": \"x\",\n  \"run_command\": }\n");
	assert_located(f, ar_config_load_json(&f->cfg, p), 3, 18, "not valid JSON: ");
	p = put(f, ".autoresearch.json", "{\"tag\": \"a\", \"tag\": \"b\"}");
	assert_located(f, ar_config_load_json(&f->cfg, p), 1, 18,
	               "not valid JSON: duplicate object key");
	p = put(f, ".autoresearch.json", "\n  [1, 2]\n");
	assert_located(f, ar_config_load_json(&f->cfg, p), 2, 3,
	               "the top level must be a JSON object");
	p = put(f, ".autoresearch.json", "{\n  \"tag\": \"x\",\n  \"metric_nme\": \"loss\"\n}\n");
	assert_located(f, ar_config_load_json(&f->cfg, p), 3, 3,
	               "unknown key 'metric_nme' (did you mean 'metric_name'?)");
	p = put(f, ".autoresearch.json", "{\n  \"time_budget_minutes\": \"abc\"\n}\n");
	assert_located(f, ar_config_load_json(&f->cfg, p), 2, 26,
	               "'time_budget_minutes' must be a positive number of minutes, "
	               "got 'abc'");
	p = put(f, ".autoresearch.json", "{\"metric_grep\": \"^val_(loss:\"}");
	assert_located(f, ar_config_load_json(&f->cfg, p), 1, 17,
	               "'metric_grep': bad regex '^val_(loss:'");
	p = put(f, ".autoresearch.json", "{\"editable_files\": [\"a\", {\"b\": 1}]}");
	assert_located(f, ar_config_load_json(&f->cfg, p), 1, 20,
	               "the items of 'editable_files' must be strings, got a mapping");
	p = put(f, ".autoresearch.json", "not json at all");
	assert_located(f, ar_config_load_json(&f->cfg, p), 1, 3,
	               "not valid JSON: '[' or '{' expected");
}

/* ---- CLAUDE.md --------------------------------------------------------------- */

static const char claude_md[] =
	"# My project\n"
	"\n"
	"Some prose about the project.\n"
	"- target_file: not-this-one.py\n"
	"\n"
	"## autoresearch\n"
	"\n"
	"These settings drive the loop.\n"
	"- target_file: train.py\n"
	"- run_command: `python train.py > run.log 2>&1`\n"
	"- metric_name: accuracy\n"
	"- metric_parse: grep \"accuracy:\" run.log | tail -1 | awk '{print $2}'\n"
	"- metric_direction: higher\n"
	"- **time_budget**: 5 minutes\n"
	"- readonly_files: prepare.py, data/\n"
	"- Note that the data is fixed.\n"
	"\n"
	"### Details\n"
	"- `tag`: exp1\n"
	"\n"
	"## Other section\n"
	"- run_command: make other\n"
	"- unknown_thing: ignored because outside\n";

static void test_claude_section(void **state)
{
	struct fx *f = *state;
	int rc = ar_config_load_claude(&f->cfg, put(f, "CLAUDE.md", claude_md));

	if (rc)
		fail_msg("%s", ar_error_last());
	assert_get(&f->cfg, "target_files", "train.py");
	assert_string_equal(f->cfg.run_command, "python train.py > run.log 2>&1");
	assert_string_equal(f->cfg.metric_name, "accuracy");
	assert_string_equal(f->cfg.metric_command,
	                    "grep \"accuracy:\" run.log | tail -1 | awk '{print $2}'");
	assert_null(f->cfg.metric_pattern);
	assert_int_equal(f->cfg.metric_direction, AR_HIGHER_IS_BETTER);
	assert_true(f->cfg.time_budget == 300);
	assert_get(&f->cfg, "fixed_files", "prepare.py, data/");
	assert_string_equal(f->cfg.tag, "exp1");
	assert_origin(f, "metric.command", 12);
	assert_origin(f, "fixed_files", 15);
	assert_int_equal(ar_config_validate(&f->cfg), 0);
}

static void test_claude_fence_and_errors(void **state)
{
	struct fx *f = *state;
	const char *p;
	int rc;

	p = put(f, "CLAUDE.md",
	        "## Autoresearch ##\n"
	        "```yaml\n"
	        "# a comment, not a heading\n"
	        "run_command: ./run.sh\n"
	        "```\n"
	        "- metric_name: \"score\"\n"
	        "# Next\n"
	        "- metric_name: other\n");
	rc = ar_config_load_claude(&f->cfg, p);
	if (rc)
		fail_msg("%s", ar_error_last());
	assert_string_equal(f->cfg.run_command, "./run.sh");
	assert_string_equal(f->cfg.metric_name, "score");
	p = put(f, "CLAUDE.md", "## autoresearch\n- metric_nam: x\n");
	assert_located(f, ar_config_load_claude(&f->cfg, p), 2, 3,
	               "unknown key 'metric_nam' (did you mean 'metric_name'?)");
	p = put(f, "CLAUDE.md", "## autoresearch\n- time_budget: soon\n");
	assert_located(f, ar_config_load_claude(&f->cfg, p), 2, 16,
	               "'time_budget' must be a positive number of seconds");
	p = put(f, "CLAUDE.md", "# Project\n- run_command: x\n## autoresearchers\n");
	assert_error(ar_config_load_claude(&f->cfg, p), AR_ENOTFOUND,
	             "has no '## autoresearch' section");
}

/* ---- ar_config_load_repo ------------------------------------------------------- */

static void test_load_repo_order(void **state)
{
	struct fx *f = *state;
	char *found = NULL;

	/* Nothing there. */
	assert_int_equal(ar_config_load_repo(&f->cfg, f->dir, &found), 0);
	assert_null(found);
	/* CLAUDE.md without a section is no config. */
	tu_write(f->dir, "CLAUDE.md", "# Notes\n- run_command: no\n");
	assert_int_equal(ar_config_load_repo(&f->cfg, f->dir, &found), 0);
	assert_null(found);
	assert_null(f->cfg.run_command);
	tu_write(f->dir, "CLAUDE.md", "## autoresearch\n- run_command: from-claude\n");
	assert_int_equal(ar_config_load_repo(&f->cfg, f->dir, &found), 0);
	assert_true(tu_contains(found, "CLAUDE.md"));
	free(found);
	tu_write(f->dir, ".autoresearch.json", "{\"run_command\": \"from-json\"}");
	assert_int_equal(ar_config_load_repo(&f->cfg, f->dir, &found), 0);
	assert_true(tu_contains(found, ".autoresearch.json"));
	assert_string_equal(f->cfg.run_command, "from-json");
	free(found);
	tu_write(f->dir, ".autoresearch.yaml", "run_command: from-yaml\n");
	assert_int_equal(ar_config_load_repo(&f->cfg, f->dir, NULL), 0);
	assert_string_equal(f->cfg.run_command, "from-yaml");
	/* An error in the chosen file is reported, located. */
	tu_write(f->dir, ".autoresearch.yaml", "run_comand: x\n");
	found = NULL;
	assert_error(ar_config_load_repo(&f->cfg, f->dir, &found), AR_EUSAGE,
	             ".autoresearch.yaml:1:1: unknown key 'run_comand' (did you mean "
	             "'run_command'?)");
	assert_null(found);
}

static void test_file_then_flags(void **state)
{
	struct fx *f = *state;
	struct ar_origin flag = { AR_ORIGIN_FLAG, NULL, 0 };
	struct ar_origin adapter = { AR_ORIGIN_ADAPTER, "ml", 0 };

	assert_int_equal(yaml(f, "time_budget: 60\ntarget_files: [a.py]\n"), 0);
	/* Adapter defaults come after the file but rank below it. */
	assert_int_equal(ar_config_set(&f->cfg, "time_budget", "600", &adapter), 0);
	assert_int_equal(ar_config_add(&f->cfg, "target_files", "train.py", &adapter), 0);
	assert_int_equal(ar_config_set(&f->cfg, "run_command", "python x.py", &adapter), 0);
	assert_true(f->cfg.time_budget == 60);
	assert_get(&f->cfg, "target_files", "a.py");
	assert_get(&f->cfg, "run_command", "python x.py");
	assert_origin(f, "time_budget", 1);
	assert_int_equal(ar_config_set(&f->cfg, "time_budget", "30", &flag), 0);
	assert_true(f->cfg.time_budget == 30);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_yaml_full),
		T(test_yaml_flat_aliases),
		T(test_yaml_empty_and_comments),
		T(test_yaml_unknown_keys),
		T(test_yaml_type_errors),
		T(test_yaml_bad_regex_and_expr),
		T(test_yaml_guard_errors),
		T(test_yaml_broken),
		T(test_yaml_aliases_bomb),
		T(test_missing_file),
		T(test_json_skill_shape),
		T(test_json_nested_and_types),
		T(test_json_errors),
		T(test_claude_section),
		T(test_claude_fence_and_errors),
		T(test_load_repo_order),
		T(test_file_then_flags),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
