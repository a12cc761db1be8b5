/*
 * test_cli.c - the CLI frame, detection, configuration and the adapter SDK,
 * driven through the real `ar` binary on real directories and repositories.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"

static void test_version_and_help(void **state)
{
	char *out = NULL;
	(void)state;
	assert_int_equal(tu_ar("/", &out, "--version"), 0);
	assert_true(tu_contains(out, "ar 0."));
	free(out);
	assert_int_equal(tu_ar("/", &out, "--help"), 0);
	assert_true(tu_contains(out, "detect"));
	free(out);
	assert_int_equal(tu_ar("/", &out, "step --help"), 0);
	assert_true(tu_contains(out, "usage: ar step"));
	free(out);
	assert_int_equal(tu_ar("/", &out, "frobnicate"), 2);
	assert_true(tu_contains(out, "not an ar command"));
	free(out);
	assert_int_equal(tu_ar("/", &out, "step --bogus"), 2);
	assert_true(tu_contains(out, "unknown option"));
	free(out);
}

static void test_detect_ml_with_yaml_overlay(void **state)
{
	char *repo = tu_git_repo("train.py", "print('val_bpb: 1.0')\n",
	                         "prepare.py", "# harness\n",
	                         ".autoresearch.yaml", "time_budget: 42\n"
	                         "run_command: python3 train.py --fast\n", NULL);
	char *out = NULL;
	(void)state;
	assert_int_equal(tu_ar(repo, &out, "detect"), 0);
	assert_true(tu_contains(out, "chosen: ml"));
	assert_true(tu_contains(out, "train.py and prepare.py"));
	free(out);
	/* The YAML overrides the adapter's defaults, with origins shown. */
	assert_int_equal(tu_ar(repo, &out, "config"), 0);
	assert_true(tu_contains(out, "python3 train.py --fast"));
	assert_true(tu_contains(out, ".autoresearch.yaml:2"));
	assert_true(tu_contains(out, "val_bpb"));
	assert_true(tu_contains(out, "prepare.py"));
	free(out);
	/* Flags beat the file. */
	assert_int_equal(tu_ar(repo, &out, "-c time_budget=7 config time_budget"), 0);
	assert_true(tu_contains(out, "7"));
	free(out);
	tu_rm_rf(repo);
	free(repo);
}

static void test_custom_only_when_nothing_else(void **state)
{
	char *repo = tu_git_repo(".autoresearch.yaml",
	                         "target_files: [a.sh]\nrun_command: sh a.sh\n"
	                         "metric: {name: score, direction: lower}\n", NULL);
	char *out = NULL;
	(void)state;
	assert_int_equal(tu_ar(repo, &out, "detect"), 0);
	assert_true(tu_contains(out, "chosen: custom"));
	free(out);
	/* package.json makes node win although a config exists. */
	tu_write(repo, "package.json", "{\"name\":\"x\",\"scripts\":{\"build\":\"true\"}}\n");
	assert_int_equal(tu_ar(repo, &out, "detect"), 0);
	assert_true(tu_contains(out, "chosen: node"));
	free(out);
	/* --adapter forces. */
	assert_int_equal(tu_ar(repo, &out, "--adapter custom detect"), 0);
	assert_true(tu_contains(out, "chosen: custom"));
	free(out);
	assert_int_equal(tu_ar(repo, &out, "--adapter nosuch detect"), 1);
	assert_true(tu_contains(out, "nosuch"));
	free(out);
	tu_rm_rf(repo);
	free(repo);
}

static void test_config_errors_are_located(void **state)
{
	char *repo = tu_git_repo(".autoresearch.yaml", "time_budget: 5\nmetrc: {name: x}\n", NULL);
	char *out = NULL;
	(void)state;
	assert_int_equal(tu_ar(repo, &out, "config"), 2);
	assert_true(tu_contains(out, ".autoresearch.yaml:2"));
	assert_true(tu_contains(out, "did you mean 'metric'"));
	free(out);
	tu_write(repo, ".autoresearch.yaml", "metric:\n  pattern: \"(unclosed\"\n");
	assert_int_equal(tu_ar(repo, &out, "config"), 2);
	assert_true(tu_contains(out, "offset"));
	free(out);
	tu_write(repo, ".autoresearch.yaml", "time_budget: soon\n");
	assert_int_equal(tu_ar(repo, &out, "config"), 2);
	assert_true(tu_contains(out, "time_budget"));
	free(out);
	tu_write(repo, ".autoresearch.yaml", "key: [unclosed\n");
	assert_int_equal(tu_ar(repo, &out, "detect"), 2);
	assert_true(tu_contains(out, ".autoresearch.yaml"));
	free(out);
	tu_write(repo, ".autoresearch.yaml", "just a string\n");
	assert_int_equal(tu_ar(repo, &out, "config"), 2);
	free(out);
	tu_sh("rm -f '%s/.autoresearch.yaml'", repo);
	assert_int_equal(tu_ar(repo, &out, "-c nokey=1 config"), 2);
	assert_true(tu_contains(out, "nokey"));
	free(out);
	tu_rm_rf(repo);
	free(repo);
}

static void test_adapters_lists_and_refuses(void **state)
{
	char *dir = tu_tmpdir();
	char *out = NULL;
	(void)state;
	assert_int_equal(tu_ar(dir, &out, "adapters"), 0);
	const char *names[] = { "ml", "node", "flutter", "jvm", "custom" };
	for (size_t i = 0; i < 5; i++)
		assert_true(tu_contains(out, names[i]));
	free(out);
	/* A world-writable plugin directory is refused with a warning. */
	assert_int_equal(tu_sh("mkdir -p '%s/ww' && cp '%s/good.so' '%s/ww/' && chmod 0777 '%s/ww'",
	                       dir, tu_env("AR_FIXTURE_PLUGINDIR"), dir, dir), 0);
	assert_int_equal(tu_ar(dir, &out, "--plugin-dir '%s/ww' adapters", dir), 0);
	assert_true(tu_contains(out, "writable"));
	assert_false(tu_contains(out, "fixture_good "));
	free(out);
	/* The fixtures with deliberate faults each give a warning, no crash. */
	assert_int_equal(tu_ar(dir, &out, "--plugin-dir '%s' adapters",
	                       tu_env("AR_FIXTURE_PLUGINDIR")), 0);
	assert_true(tu_contains(out, "wrong_major.so"));
	assert_true(tu_contains(out, "fixture_good"));
	free(out);
	tu_rm_rf(dir);
	free(dir);
}

/* The SDK example builds out of tree against an installed ar, through
 * pkg-config, and `ar adapters` loads it through AR_PLUGIN_PATH. */
static void test_sdk_example_out_of_tree(void **state)
{
	char *dir = tu_tmpdir();
	char *out = NULL;
	(void)state;
	assert_int_equal(tu_sh("cmake --install '%s' --prefix '%s/prefix' >/dev/null",
	                       tu_env("AR_BUILD_DIR"), dir), 0);
	assert_true(tu_exists(dir, "prefix/bin/ar"));
	assert_true(tu_exists(dir, "prefix/include/ar/adapter.h"));
	assert_true(tu_exists(dir, "prefix/lib/ar/plugins/ml.so"));
	int rc = tu_sh_out(&out, "cp -r '%s/sdk/example' '%s/ex' && cd '%s/ex' && "
	                   "PKG_CONFIG_PATH='%s/prefix/lib/pkgconfig' make",
	                   tu_env("AR_SOURCE_DIR"), dir, dir, dir);
	if (rc != 0)
		fail_msg("building the SDK example failed:\n%s", out);
	free(out);
	assert_int_equal(tu_sh_out(&out, "env -u AR_PLUGIN_ISOLATE AR_PLUGIN_PATH='%s/ex' '%s/prefix/bin/ar' -C '%s' adapters",
	                           dir, dir, dir), 0);
	assert_true(tu_contains(out, "make_size"));
	assert_true(tu_contains(out, "ml"));
	free(out);
	/* The installed pkg-config file names the plugin directory. */
	assert_int_equal(tu_sh_out(&out, "d=$(PKG_CONFIG_PATH='%s/prefix/lib/pkgconfig' "
	                           "pkg-config --variable=plugindir ar-adapter) && "
	                           "test -f \"$d/ml.so\" && echo found", dir), 0);
	assert_true(tu_contains(out, "found"));
	free(out);
	tu_rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_and_help),
		cmocka_unit_test(test_detect_ml_with_yaml_overlay),
		cmocka_unit_test(test_custom_only_when_nothing_else),
		cmocka_unit_test(test_config_errors_are_located),
		cmocka_unit_test(test_adapters_lists_and_refuses),
		cmocka_unit_test(test_sdk_example_out_of_tree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
