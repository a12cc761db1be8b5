/*
 * test_adapters.c - the built-in adapters (plugins/ml, node, flutter, jvm,
 * custom) tested as the host sees them: each built .so is dlopen'd from
 * $AR_BUILD_PLUGINDIR, initialised through ar_adapter_init_v1 and driven
 * through its slots with the mock host (tests/helpers/mock_host.c, a test
 * double) over real temporary directories.  Nothing here calls the core.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "ar/adapter.h"
#include "mock_host.h"
#include "testutil.h"

/* ---- loading --------------------------------------------------------- */

static const struct ar_adapter *load(const char *name)
{
	char path[4096];
	ar_adapter_init_fn init;
	const struct ar_adapter *ad = NULL;
	void *lib, *sym;

	snprintf(path, sizeof(path), "%s/%s.so", tu_env("AR_BUILD_PLUGINDIR"), name);
	lib = dlopen(path, RTLD_NOW | RTLD_LOCAL); /* stays loaded, like the host's */
	if (!lib)
		fail_msg("dlopen %s: %s", path, dlerror());
	sym = dlsym(lib, AR_ADAPTER_ENTRY_NAME);
	if (!sym)
		fail_msg("%s: no %s", path, AR_ADAPTER_ENTRY_NAME);
	memcpy(&init, &sym, sizeof(init));
	assert_int_equal(init(&ad, mock_host_table()), AR_OK);
	assert_non_null(ad);
	return ad;
}

/* ---- per-test state -------------------------------------------------- */

struct T {
	char *dir;
	char *log; /* dir/run.log */
	struct mock_host m;
	struct ar_list list;
	struct ar_run run;
};

static int setup(void **state)
{
	struct T *t = calloc(1, sizeof(*t));

	t->dir = tu_tmpdir();
	mock_host_init(&t->m, t->dir);
	t->log = malloc(strlen(t->dir) + 16);
	sprintf(t->log, "%s/run.log", t->dir);
	t->run.size = sizeof(t->run);
	t->run.root = t->dir;
	t->run.log_path = t->log;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct T *t = *state;

	mock_list_clear(&t->list);
	mock_host_release(&t->m);
	tu_rm_rf(t->dir);
	free(t->dir);
	free(t->log);
	free(t);
	return 0;
}

/* A file of exactly n bytes at dir/rel. */
static void write_bytes(struct T *t, const char *rel, size_t n)
{
	char *path;
	FILE *f;

	tu_write(t->dir, rel, "");
	path = malloc(strlen(t->dir) + strlen(rel) + 2);
	sprintf(path, "%s/%s", t->dir, rel);
	f = fopen(path, "wb");
	assert_non_null(f);
	while (n--)
		fputc('x', f);
	fclose(f);
	free(path);
}

static int detect(struct T *t, const struct ar_adapter *ad)
{
	int score = -1;

	mock_host_reset(&t->m);
	assert_int_equal(ad->detect(&t->m.ctx, &score), AR_OK);
	assert_true(score >= 0 && score <= 100);
	assert_true(t->m.nreason > 0); /* a reason every time */
	return score;
}

/* The single string a list-producing slot pushed, or NULL for none. */
static const char *one(struct T *t, int (*slot)(struct ar_ctx *, struct ar_list *))
{
	mock_list_clear(&t->list);
	mock_host_reset(&t->m);
	assert_int_equal(slot(&t->m.ctx, &t->list), AR_OK);
	assert_true(t->list.n <= 1);
	return t->list.n ? t->list.items[0] : NULL;
}

static int measure(struct T *t, const struct ar_adapter *ad, double *v)
{
	struct ar_metric out = { -1.0 };
	int rc;

	mock_host_reset(&t->m);
	rc = ad->measure(&t->m.ctx, &t->run, &out);
	*v = out.value;
	return rc;
}

/* ---- ABI ------------------------------------------------------------- */

/* The entry point of a plugin, opened again (dlopen counts references). */
static ar_adapter_init_fn entry(const char *name)
{
	char path[4096];
	ar_adapter_init_fn init;
	void *lib, *sym;

	snprintf(path, sizeof(path), "%s/%s.so", tu_env("AR_BUILD_PLUGINDIR"), name);
	lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	assert_non_null(lib);
	sym = dlsym(lib, AR_ADAPTER_ENTRY_NAME);
	assert_non_null(sym);
	memcpy(&init, &sym, sizeof(init));
	return init;
}

static void test_abi(void **state)
{
	static const struct { const char *name, *metric; int prio; } want[] = {
		{ "ml", "val_bpb", 50 }, { "node", "bundle_kb", 30 },
		{ "flutter", "apk_mb", 30 }, { "jvm", "build_s", 40 },
		{ "custom", "metric", 0 },
	};
	struct ar_host other_major = *mock_host_table();
	const struct ar_adapter *ad, *again;
	ar_adapter_init_fn init;
	void *self = dlopen(NULL, RTLD_NOW);
	size_t i;

	(void)state;
	other_major.abi_version = (AR_ABI_MAJOR + 1u) << 16;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ad = load(want[i].name);
		assert_string_equal(ad->name, want[i].name);
		assert_string_equal(ad->version, "1.0.0");
		assert_int_equal(ad->abi_version, AR_ABI_VERSION);
		assert_int_equal(ad->size, sizeof(struct ar_adapter));
		assert_non_null(ad->detect);
		assert_non_null(ad->description);
		assert_int_equal(ad->priority, want[i].prio);
		assert_string_equal(ad->metric_name, want[i].metric);
		assert_int_equal(ad->metric_direction, AR_LOWER_IS_BETTER);
		/* The entry point refuses another major and bad arguments. */
		init = entry(want[i].name);
		again = NULL;
		assert_int_equal(init(&again, &other_major), AR_ERROR);
		assert_null(again);
		assert_int_equal(init(NULL, mock_host_table()), AR_ERROR);
		assert_int_equal(init(&again, NULL), AR_ERROR);
		assert_int_equal(init(&again, mock_host_table()), AR_OK);
		assert_ptr_equal(again, ad);
	}
	/* RTLD_LOCAL plus hidden visibility: nothing joined the global scope. */
	assert_non_null(self);
	assert_null(dlsym(self, AR_ADAPTER_ENTRY_NAME));
}

/* ---- ml -------------------------------------------------------------- */

static void test_ml_detect(void **state)
{
	struct T *t = *state;
	const struct ar_adapter *ad = load("ml");

	assert_int_equal(detect(t, ad), 0);
	assert_string_equal(t->m.reason, "no train.py");
	tu_write(t->dir, "prepare.py", "");
	assert_int_equal(detect(t, ad), 0);
	tu_write(t->dir, "train.py", "print('hi')\n");
	assert_int_equal(detect(t, ad), 90);
	assert_string_equal(t->m.reason, "found train.py and prepare.py");
	tu_sh("rm '%s/prepare.py'", t->dir);
	assert_int_equal(detect(t, ad), 60);
	assert_true(tu_contains(t->m.reason, "train.py"));
}

static void test_ml_targets_fixed(void **state)
{
	struct T *t = *state;
	const struct ar_adapter *ad = load("ml");

	tu_write(t->dir, "train.py", "");
	assert_string_equal(one(t, ad->default_targets), "train.py");
	assert_null(one(t, ad->default_fixed)); /* no prepare.py: nothing fixed */
	tu_write(t->dir, "prepare.py", "");
	assert_string_equal(one(t, ad->default_fixed), "prepare.py");
}

static void test_ml_run_command(void **state)
{
	struct T *t = *state;
	const struct ar_adapter *ad = load("ml");

	tu_write(t->dir, "train.py", "");
	assert_string_equal(one(t, ad->run_command), "python3 train.py");
	mock_host_which(&t->m, "uv"); /* uv installed, but not a uv project */
	assert_string_equal(one(t, ad->run_command), "python3 train.py");
	tu_write(t->dir, "pyproject.toml", "[project]\nname='x'\n");
	assert_string_equal(one(t, ad->run_command), "uv run train.py");
	tu_sh("rm '%s/pyproject.toml'", t->dir);
	tu_write(t->dir, "uv.lock", "");
	assert_string_equal(one(t, ad->run_command), "uv run train.py");
}

static void test_ml_run_command_no_uv(void **state)
{
	struct T *t = *state;
	const struct ar_adapter *ad = load("ml");

	tu_write(t->dir, "pyproject.toml", "");
	tu_write(t->dir, "uv.lock", "");
	mock_host_which(&t->m, "python3");
	assert_string_equal(one(t, ad->run_command), "python3 train.py");
}

static const char summary[] =
	"step 00100 | loss 2.3\n"
	"---\n"
	"val_bpb:          1.234567\n"
	"training_seconds: 2.1\n"
	"peak_vram_mb:     45060.2\n"
	"depth:            8\n";

static void test_ml_measure(void **state)
{
	struct T *t = *state;
	const struct ar_adapter *ad = load("ml");
	double v;

	tu_write(t->dir, "run.log", summary);
	assert_int_equal(measure(t, ad, &v), AR_OK);
	assert_float_equal(v, 1.234567, 1e-9);
	/* The last line wins (an eval during training printed one earlier). */
	tu_write(t->dir, "run.log", "val_bpb: 3.5\nval_bpb: 0.997900\n");
	assert_int_equal(measure(t, ad, &v), AR_OK);
	assert_float_equal(v, 0.9979, 1e-9);
}

static void test_ml_measure_crash(void **state)
{
	struct T *t = *state;
	const struct ar_adapter *ad = load("ml");
	double v;

	tu_write(t->dir, "run.log", "Traceback (most recent call last):\nOOM\n");
	t->run.exit_status = 1;
	assert_int_equal(measure(t, ad, &v), AR_ERROR);
	assert_true(tu_contains(t->m.error, "val_bpb"));
	assert_true(tu_contains(t->m.error, "exit 1"));
	assert_true(tu_contains(t->m.error, t->log));
}

static void test_ml_measure_user_metric(void **state)
{
	struct T *t = *state;
	const struct ar_adapter *ad = load("ml");
	double v;

	tu_write(t->dir, "run.log", summary);
	mock_host_config(&t->m, "metric.name", "val_bpb"); /* ours: still measured */
	assert_int_equal(measure(t, ad, &v), AR_OK);
	t->m.nconfig = 0;
	mock_host_config(&t->m, "metric.name", "accuracy");
	assert_int_equal(measure(t, ad, &v), AR_PASS);
	t->m.nconfig = 0;
	mock_host_config(&t->m, "metric.pattern", "bpb=([0-9.]+)");
	assert_int_equal(measure(t, ad, &v), AR_PASS);
}

static void test_ml_memory(void **state)
{
	struct T *t = *state;
	const struct ar_adapter *ad = load("ml");
	uint64_t bytes = 0;

	tu_write(t->dir, "run.log", summary);
	assert_int_equal(ad->probe_memory(&t->m.ctx, &t->run, &bytes), AR_OK);
	assert_true(bytes == (uint64_t)(45060.2 * 1048576.0 + 0.5));
	/* No line: the host's sampled or RSS figure applies. */
	tu_write(t->dir, "run.log", "val_bpb: 1.0\n");
	assert_int_equal(ad->probe_memory(&t->m.ctx, &t->run, &bytes), AR_PASS);
	/* A CPU run says 0.0: not a measurement. */
	tu_write(t->dir, "run.log", "val_bpb: 1.0\npeak_vram_mb: 0.0\n");
	assert_int_equal(ad->probe_memory(&t->m.ctx, &t->run, &bytes), AR_PASS);
}

static void test_ml_sample_memory(void **state)
{
	struct T *t = *state;
	const struct ar_adapter *ad = load("ml");
	int pids[1] = { (int)getpid() };
	uint64_t bytes = 0;

	/* Without NVML (no GPU here), or with NVML but no GPU memory held by
	 * this process, the answer is AR_PASS so the host's RSS applies. */
	assert_int_equal(ad->sample_memory(&t->m.ctx, pids, 1, &bytes), AR_PASS);
	assert_int_equal(ad->sample_memory(&t->m.ctx, pids, 1, &bytes), AR_PASS);
	assert_int_equal(ad->sample_memory(&t->m.ctx, NULL, 0, &bytes), AR_PASS);
	assert_true(bytes == 0);
}

/* The bundled example (examples/ml) end to end: detected, run for real,
 * measured from its own summary block. */
static void test_ml_example(void **state)
{
	struct T *t = *state;
	const struct ar_adapter *ad = load("ml");
	const char *cmd;
	uint64_t bytes;
	double v;

	if (tu_sh("command -v python3 >/dev/null") != 0) {
		print_message("skipped: python3 is not installed\n");
		skip();
	}
	assert_int_equal(tu_sh("cp '%s/examples/ml/'*.py '%s'", tu_env("AR_SOURCE_DIR"),
	                       t->dir), 0);
	assert_int_equal(detect(t, ad), 90);
	cmd = one(t, ad->run_command);
	assert_string_equal(cmd, "python3 train.py");
	assert_int_equal(tu_sh("cd '%s' && %s > run.log 2>&1", t->dir, cmd), 0);
	assert_int_equal(measure(t, ad, &v), AR_OK);
	assert_true(v > 0.3 && v < 3.0);
	/* peak_vram_mb: 0.0 on a CPU: the host's RSS applies */
	assert_int_equal(ad->probe_memory(&t->m.ctx, &t->run, &bytes), AR_PASS);
	assert_int_equal(tu_exists(t->dir, "__pycache__"), 0);
}

/* ---- node ------------------------------------------------------------ */

static void test_node_detect(void **state)
{
	struct T *t = *state;
	const struct ar_adapter *ad = load("node");

	assert_int_equal(detect(t, ad), 0);
	assert_string_equal(t->m.reason, "no package.json");
	tu_write(t->dir, "package.json",
	         "{\"name\":\"x\",\"scripts\":{\"test\":\"jest\",\"build\":\"vite build\"}}");
	assert_int_equal(detect(t, ad), 80);
	assert_string_equal(t->m.reason, "found package.json (build script: vite build)");
	tu_write(t->dir, "package.json", "{\"name\":\"x\"}");
	assert_int_equal(detect(t, ad), 80);
	assert_true(tu_contains(t->m.reason, "no \"build\" script"));
	tu_write(t->dir, "package.json", "{\"scripts\": {\"build\": ");
	assert_int_equal(detect(t, ad), 80); /* broken JSON is still a package */
	assert_true(tu_contains(t->m.reason, "found package.json"));
}

static const char *node_target(struct T *t, const char *pkg)
{
	tu_write(t->dir, "package.json", pkg);
	return one(t, load("node")->default_targets);
}

static void test_node_targets_fields(void **state)
{
	struct T *t = *state;

	tu_write(t->dir, "src/main.ts", "");
	tu_write(t->dir, "src/lib.mjs", "");
	tu_write(t->dir, "lib/index.cjs", "");
	tu_write(t->dir, "dist/index.js", "");
	tu_write(t->dir, "src/index.ts", "");
	/* source, then module, then main */
	assert_string_equal(node_target(t, "{\"main\":\"lib/index.cjs\",\"module\":"
	                    "\"src/lib.mjs\",\"source\":\"src/main.ts\"}"), "src/main.ts");
	assert_string_equal(node_target(t, "{\"main\":\"lib/index.cjs\",\"module\":"
	                    "\"src/lib.mjs\"}"), "src/lib.mjs");
	assert_string_equal(node_target(t, "{ \"main\" : \"./lib/index.cjs\" }"),
	                    "lib/index.cjs");
	/* escapes are decoded */
	assert_string_equal(node_target(t, "{\"main\":\"lib\\/index.cjs\"}"), "lib/index.cjs");
	assert_string_equal(node_target(t, "{\"main\":\"lib/\\u0069ndex.cjs\"}"),
	                    "lib/index.cjs");
	/* build output, missing files, directories and paths leaving the repo
	 * are not targets: fall back to src/index.* */
	assert_string_equal(node_target(t, "{\"main\":\"dist/index.js\"}"), "src/index.ts");
	assert_string_equal(node_target(t, "{\"main\":\"./dist/index.js\"}"), "src/index.ts");
	assert_string_equal(node_target(t, "{\"main\":\"nope.js\"}"), "src/index.ts");
	assert_string_equal(node_target(t, "{\"main\":\"src\"}"), "src/index.ts");
	assert_string_equal(node_target(t, "{\"main\":\"../x/src/main.ts\"}"), "src/index.ts");
	assert_string_equal(node_target(t, "{\"main\":\"src/../src/main.ts\"}"), "src/index.ts");
	assert_string_equal(node_target(t, "{\"main\":\"/etc/passwd\"}"), "src/index.ts");
	/* only top-level fields count */
	assert_string_equal(node_target(t, "{\"exports\":{\"main\":\"src/main.ts\"},"
	                    "\"x\":[\"main\",\"src/lib.mjs\"]}"), "src/index.ts");
	assert_string_equal(node_target(t, "{\"exports\":{\"main\":\"src/main.ts\"},"
	                    "\"main\":\"src/lib.mjs\"}"), "src/lib.mjs");
	/* with a UTF-8 byte order mark */
	assert_string_equal(node_target(t, "\xEF\xBB\xBF{\"main\":\"src/lib.mjs\"}"),
	                    "src/lib.mjs");
}

static void test_node_targets_bad_json(void **state)
{
	static const char *const bad[] = {
		"", "   ", "null", "[]", "\"main\"", "{", "{\"main\"", "{\"main\":",
		"{\"main\":\"src/main.ts", "{\"main\":src/main.ts}", "{\"main\":42}",
		"{\"main\":null}", "{\"main\":[\"src/main.ts\"]}",
		"{\"a\":1 \"main\":\"src/main.ts\"}", "{\"a\":,\"main\":\"src/main.ts\"}",
		"{\"main\":\"src/\\qmain.ts\"}", "{\"main\":\"src/\\u00e9.ts\"}",
		"{\"main\":\"src/\\u0000.ts\"}", "{\"main\":\"src/\\u00\"}",
		"{\"main\":\"a\nb\"}", "{\"x\":\"\\\"}", "garbage{\"main\":\"src/main.ts\"}",
		"{\"a\":{\"b\":", "{\"a\":tru\x01e,\"main\":\"src/main.ts\"}",
	};
	struct T *t = *state;
	char deep[3000];
	size_t i;

	tu_write(t->dir, "src/main.ts", "");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *got = node_target(t, bad[i]);
		if (got)
			fail_msg("package.json %s gave target %s", bad[i], got);
	}
	/* Nesting deeper than the scanner's bound is refused, not recursed. */
	memset(deep, '[', sizeof(deep));
	memcpy(deep, "{\"a\":", 5);
	deep[sizeof(deep) - 1] = '\0';
	assert_null(node_target(t, deep));
	/* Valid nesting: fine at 10 levels, refused past the bound (64). */
	{
		char pkg[1024];
		int depth, k, n;

		for (depth = 10; depth <= 100; depth += 90) {
			n = sprintf(pkg, "{\"a\":");
			for (k = 0; k < depth; k++)
				pkg[n++] = '[';
			for (k = 0; k < depth; k++)
				pkg[n++] = ']';
			strcpy(pkg + n, ",\"main\":\"src/main.ts\"}");
			if (depth == 10)
				assert_string_equal(node_target(t, pkg), "src/main.ts");
			else
				assert_null(node_target(t, pkg));
		}
	}
	/* An over-long string value is refused, not truncated. */
	{
		char *pkg = malloc(5000);
		size_t n;

		strcpy(pkg, "{\"main\":\"src/main.ts");
		n = strlen(pkg);
		memset(pkg + n, 'x', 3000);
		strcpy(pkg + n + 3000, "\"}");
		assert_null(node_target(t, pkg));
		free(pkg);
	}
	/* Values that are fine around odd but valid JSON still parse. */
	assert_string_equal(node_target(t, "{\"a\":[1,-2.5e3,true,false,null,{\"b\":[]}],"
	                    "\"k\\\"ey\":\"v\\\\\",\"main\":\"src/main.ts\"}"), "src/main.ts");
}

static void test_node_targets_guess(void **state)
{
	struct T *t = *state;

	assert_null(node_target(t, "{}"));
	tu_write(t->dir, "src/index.mjs", "");
	assert_string_equal(node_target(t, "{}"), "src/index.mjs");
	tu_write(t->dir, "src/index.js", "");
	assert_string_equal(node_target(t, "{}"), "src/index.js");
	tu_write(t->dir, "src/index.tsx", "");
	assert_string_equal(node_target(t, "{}"), "src/index.tsx");
	tu_write(t->dir, "src/index.ts", "");
	assert_string_equal(node_target(t, "{}"), "src/index.ts");
	tu_sh("rm '%s/package.json'", t->dir);
	assert_string_equal(one(t, load("node")->default_targets), "src/index.ts");
}

static void test_node_run_command(void **state)
{
	struct T *t = *state;
	const struct ar_adapter *ad = load("node");

	tu_write(t->dir, "package.json", "{}");
	assert_string_equal(one(t, ad->run_command), "npm run build");
	tu_write(t->dir, "yarn.lock", "");
	assert_string_equal(one(t, ad->run_command), "yarn build");
	tu_write(t->dir, "pnpm-lock.yaml", "");
	assert_string_equal(one(t, ad->run_command), "pnpm build");
}

static void test_node_measure(void **state)
{
	struct T *t = *state;
	const struct ar_adapter *ad = load("node");
	double v;

	assert_int_equal(measure(t, ad, &v), AR_ERROR);
	assert_string_equal(t->m.error,
	                    "no build output: none of dist/, build/, out/ exists after the run");
	write_bytes(t, "out/a.js", 100);
	assert_int_equal(measure(t, ad, &v), AR_OK);
	assert_float_equal(v, 100.0 / 1024.0, 1e-12);
	write_bytes(t, "build/a.js", 1024);
	assert_int_equal(measure(t, ad, &v), AR_OK);
	assert_float_equal(v, 1.0, 1e-12);
	write_bytes(t, "dist/a.js", 2048);
	write_bytes(t, "dist/assets/b.css", 1024);
	write_bytes(t, "dist/assets/deep/c.map", 512);
	assert_int_equal(measure(t, ad, &v), AR_OK);
	assert_float_equal(v, 3.5, 1e-12);
	/* A failed build is not measured (dist/ may be stale). */
	t->run.exit_status = 2;
	assert_int_equal(measure(t, ad, &v), AR_ERROR);
	assert_string_equal(t->m.error, "build failed (exit 2)");
	t->run.exit_status = -1;
	t->run.term_signal = 9;
	assert_int_equal(measure(t, ad, &v), AR_ERROR);
	assert_string_equal(t->m.error, "build failed (killed by signal 9)");
	/* dist/ left by an earlier build is not this build's output. */
	t->run.exit_status = 0;
	t->run.term_signal = 0;
	t->run.started_at = (double)time(NULL) + 100;
	assert_int_equal(measure(t, ad, &v), AR_ERROR);
	assert_true(tu_contains(t->m.error, "not written by this build"));
	t->run.started_at = 0;
	/* Another configured metric: the host's extractor applies. */
	t->run.exit_status = 0;
	t->run.term_signal = 0;
	mock_host_config(&t->m, "metric.command", "wc -c dist/a.js");
	assert_int_equal(measure(t, ad, &v), AR_PASS);
	assert_null(ad->probe_memory);
	assert_null(ad->sample_memory);
}

/* ---- flutter --------------------------------------------------------- */

static const char flutter_pubspec[] =
	"name: my_app\n"
	"description: A new Flutter project.\n"
	"environment:\n"
	"  sdk: '>=3.0.0 <4.0.0'\n"
	"\n"
	"dependencies:\n"
	"  # the framework\n"
	"  flutter:\n"
	"    sdk: flutter\n"
	"  cupertino_icons: ^1.0.2\n"
	"\n"
	"flutter:\n"
	"  uses-material-design: true\n";

static void test_flutter_detect(void **state)
{
	struct T *t = *state;
	const struct ar_adapter *ad = load("flutter");

	assert_int_equal(detect(t, ad), 0);
	assert_string_equal(t->m.reason, "no pubspec.yaml");
	tu_write(t->dir, "pubspec.yaml", flutter_pubspec);
	assert_int_equal(detect(t, ad), 80);
	assert_true(tu_contains(t->m.reason, "pubspec.yaml"));
	/* CRLF line ends */
	tu_write(t->dir, "pubspec.yaml", "name: x\r\ndependencies:\r\n  flutter:\r\n"
	         "    sdk: flutter\r\n");
	assert_int_equal(detect(t, ad), 80);
	/* `sdk: flutter` alone (another layout) */
	tu_write(t->dir, "pubspec.yaml", "dependencies:\n  flutter: {sdk: flutter}\n");
	assert_int_equal(detect(t, ad), 80);
	/* A plain Dart package */
	tu_write(t->dir, "pubspec.yaml", "name: cli\nenvironment:\n  sdk: ^3.0.0\n"
	         "dependencies:\n  args: ^2.0.0\n  flutter_lints: ^2.0.0\n");
	assert_int_equal(detect(t, ad), 0);
	assert_true(tu_contains(t->m.reason, "no flutter dependency"));
	/* flutter: outside dependencies, or commented out, does not count */
	tu_write(t->dir, "pubspec.yaml", "name: x\nenvironment:\n  flutter:\n"
	         "dependencies:\n#  flutter:\n  #  sdk: flutter\n  path: any\n");
	assert_int_equal(detect(t, ad), 0);
	tu_write(t->dir, "pubspec.yaml", "");
	assert_int_equal(detect(t, ad), 0);
	tu_write(t->dir, "pubspec.yaml", "dependencies:\n  flutter:");
	assert_int_equal(detect(t, ad), 80); /* no final newline */
}

static void test_flutter_targets_run(void **state)
{
	struct T *t = *state;
	const struct ar_adapter *ad = load("flutter");

	tu_write(t->dir, "pubspec.yaml", flutter_pubspec);
	assert_null(one(t, ad->default_targets));
	tu_write(t->dir, "lib/main.dart", "void main() {}\n");
	assert_string_equal(one(t, ad->default_targets), "lib/main.dart");
	assert_string_equal(one(t, ad->run_command), "flutter build apk --release");
	assert_null(ad->default_fixed);
}

static void test_flutter_measure(void **state)
{
	struct T *t = *state;
	const struct ar_adapter *ad = load("flutter");
	double v;

	assert_int_equal(measure(t, ad, &v), AR_ERROR);
	assert_string_equal(t->m.error, "build/app/outputs/flutter-apk/app-release.apk "
	                    "not found after the run");
	write_bytes(t, "build/app/outputs/flutter-apk/app-release.apk", 3 * 1048576 / 2);
	assert_int_equal(measure(t, ad, &v), AR_OK);
	assert_float_equal(v, 1.5, 1e-12);
	t->run.exit_status = 1;
	assert_int_equal(measure(t, ad, &v), AR_ERROR);
	assert_string_equal(t->m.error, "build failed (exit 1)");
	/* An APK older than the run is a stale one: the build wrote nothing. */
	t->run.exit_status = 0;
	t->run.started_at = (double)time(NULL) + 100;
	assert_int_equal(measure(t, ad, &v), AR_ERROR);
	assert_true(tu_contains(t->m.error, "older than the run"));
	t->run.started_at = (double)time(NULL) - 100;
	assert_int_equal(measure(t, ad, &v), AR_OK);
}

/* ---- jvm ------------------------------------------------------------- */

static void test_jvm_detect(void **state)
{
	struct T *t = *state;
	const struct ar_adapter *ad = load("jvm");

	assert_int_equal(detect(t, ad), 0);
	tu_write(t->dir, "build.gradle.kts", "");
	assert_int_equal(detect(t, ad), 80);
	assert_string_equal(t->m.reason, "found build.gradle.kts (Gradle)");
	tu_write(t->dir, "build.gradle", "");
	assert_int_equal(detect(t, ad), 80);
	assert_string_equal(t->m.reason, "found build.gradle (Gradle)");
	tu_write(t->dir, "pom.xml", "<project/>");
	assert_int_equal(detect(t, ad), 80);
	assert_string_equal(t->m.reason, "found pom.xml (Maven)");
}

static void test_jvm_targets(void **state)
{
	struct T *t = *state;
	const struct ar_adapter *ad = load("jvm");

	tu_write(t->dir, "pom.xml", "<project/>");
	assert_null(one(t, ad->default_targets)); /* no sources: config decides */
	tu_write(t->dir, "src/main/java/com/acme/Util.java",
	         "package com.acme;\nclass Util { static int f() { return 1; } }\n");
	tu_write(t->dir, "src/test/java/com/acme/AppTest.java",
	         "class AppTest { public static void main(String[] a) {} }\n");
	tu_write(t->dir, "src/main/java/com/acme/notes.txt", "public static void main");
	assert_null(one(t, ad->default_targets));
	tu_write(t->dir, "src/main/java/com/acme/app/App.java",
	         "package com.acme.app;\npublic class App {\n"
	         "    public static void main(String[] args) { }\n}\n");
	assert_string_equal(one(t, ad->default_targets), "src/main/java/com/acme/app/App.java");
	/* Two mains: the first path in byte order, whatever readdir says. */
	tu_write(t->dir, "src/main/java/com/acme/Alpha.java",
	         "public class Alpha { public static void main(String[] a) {} }\n");
	assert_string_equal(one(t, ad->default_targets), "src/main/java/com/acme/Alpha.java");
	/* A symlink loop is not followed. */
	tu_sh("ln -s .. '%s/src/main/java/com/loop'", t->dir);
	assert_string_equal(one(t, ad->default_targets), "src/main/java/com/acme/Alpha.java");
}

static void test_jvm_targets_kotlin(void **state)
{
	struct T *t = *state;
	const struct ar_adapter *ad = load("jvm");

	tu_write(t->dir, "build.gradle.kts", "");
	tu_write(t->dir, "src/main/kotlin/Lib.kt", "fun helper() = 1\n");
	tu_write(t->dir, "src/main/kotlin/app/Main.kt",
	         "package app\n\nfun main(args: Array<String>) {\n}\n");
	assert_string_equal(one(t, ad->default_targets), "src/main/kotlin/app/Main.kt");
}

static void test_jvm_run_command(void **state)
{
	struct T *t = *state;
	const struct ar_adapter *ad = load("jvm");

	tu_write(t->dir, "build.gradle", "");
	assert_string_equal(one(t, ad->run_command), "gradle build -x test");
	tu_write(t->dir, "gradlew", "#!/bin/sh\n");
	assert_string_equal(one(t, ad->run_command), "./gradlew build -x test");
	tu_write(t->dir, "pom.xml", "<project/>");
	assert_string_equal(one(t, ad->run_command), "mvn -q -DskipTests package");
}

static void test_jvm_measure(void **state)
{
	struct T *t = *state;
	const struct ar_adapter *ad = load("jvm");
	double v;

	t->run.wall_s = 12.5;
	assert_int_equal(measure(t, ad, &v), AR_OK);
	assert_float_equal(v, 12.5, 1e-12);
	t->run.exit_status = 1;
	assert_int_equal(measure(t, ad, &v), AR_ERROR);
	assert_string_equal(t->m.error, "build failed (exit 1)");
	t->run.exit_status = -1;
	t->run.term_signal = 15;
	assert_int_equal(measure(t, ad, &v), AR_ERROR);
	assert_string_equal(t->m.error, "build failed (killed by signal 15)");
}

/* ---- custom ---------------------------------------------------------- */

static void test_custom_detect(void **state)
{
	struct T *t = *state;
	const struct ar_adapter *ad = load("custom");

	assert_int_equal(detect(t, ad), 0);
	tu_write(t->dir, "CLAUDE.md", "# Project\n\nSome autoresearch notes.\n");
	assert_int_equal(detect(t, ad), 0);
	tu_write(t->dir, "CLAUDE.md", "# Project\n\n## Autoresearch\nmetric_name: x\n");
	assert_int_equal(detect(t, ad), 10);
	assert_true(tu_contains(t->m.reason, "CLAUDE.md"));
	tu_write(t->dir, ".autoresearch.json", "{}");
	assert_int_equal(detect(t, ad), 10);
	assert_string_equal(t->m.reason, "found .autoresearch.json");
	tu_write(t->dir, ".autoresearch.yaml", "run_command: make\n");
	assert_int_equal(detect(t, ad), 10);
	assert_string_equal(t->m.reason, "found .autoresearch.yaml");
	/* Everything else is left to the config and the host. */
	assert_null(ad->default_targets);
	assert_null(ad->default_fixed);
	assert_null(ad->run_command);
	assert_null(ad->measure);
	assert_null(ad->sample_memory);
}

static void test_custom_memory(void **state)
{
	struct T *t = *state;
	const struct ar_adapter *ad = load("custom");
	uint64_t bytes = 0;

	tu_write(t->dir, "run.log", "score: 3\npeak_mem_mb: 100\n");
	assert_int_equal(ad->probe_memory(&t->m.ctx, &t->run, &bytes), AR_PASS);
	mock_host_config(&t->m, "memory", "rss");
	assert_int_equal(ad->probe_memory(&t->m.ctx, &t->run, &bytes), AR_PASS);
	t->m.config_vals[0] = "peak_mem_mb: ([0-9]+)"; /* a regex: the host's job */
	assert_int_equal(ad->probe_memory(&t->m.ctx, &t->run, &bytes), AR_PASS);
	t->m.config_vals[0] = "gpu_mb"; /* not in the log */
	assert_int_equal(ad->probe_memory(&t->m.ctx, &t->run, &bytes), AR_PASS);
	t->m.config_vals[0] = "peak_mem_mb";
	assert_int_equal(ad->probe_memory(&t->m.ctx, &t->run, &bytes), AR_OK);
	assert_true(bytes == 100u * 1048576u);
}

/* ---- the SDK example (sdk/example, built here as a third party would) -- */

static void test_sdk_example(void **state)
{
	struct T *t = *state;
	const struct ar_adapter *ad = NULL;
	ar_adapter_init_fn init;
	char so[4096];
	void *lib, *sym;
	double v;

	snprintf(so, sizeof(so), "%s/make_size.so", t->dir);
	assert_int_equal(tu_sh("cc -shared -fPIC -fvisibility=hidden -Wall -Wextra -Werror "
	                       "-I'%s/sdk' -o '%s' '%s/sdk/example/make_size.c'",
	                       tu_env("AR_SOURCE_DIR"), so, tu_env("AR_SOURCE_DIR")), 0);
	lib = dlopen(so, RTLD_NOW | RTLD_LOCAL);
	assert_non_null(lib);
	sym = dlsym(lib, AR_ADAPTER_ENTRY_NAME);
	assert_non_null(sym);
	memcpy(&init, &sym, sizeof(init));
	assert_int_equal(init(&ad, mock_host_table()), AR_OK);
	assert_string_equal(ad->metric_name, "binary_bytes");
	assert_int_equal(detect(t, ad), 0);
	tu_write(t->dir, "Makefile", "app: main.c\n\tcc -o app main.c\n");
	assert_int_equal(detect(t, ad), 40);
	assert_string_equal(one(t, ad->run_command), "make");
	assert_int_equal(measure(t, ad, &v), AR_ERROR); /* no app yet */
	assert_true(tu_contains(t->m.error, "app"));
	write_bytes(t, "app", 4321);
	assert_int_equal(measure(t, ad, &v), AR_OK);
	assert_float_equal(v, 4321.0, 0.0);
	mock_host_config(&t->m, "binary", "bin/tool");
	write_bytes(t, "bin/tool", 99);
	assert_int_equal(measure(t, ad, &v), AR_OK);
	assert_float_equal(v, 99.0, 0.0);
}

int main(void)
{
#define T_(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T_(test_abi),
		T_(test_ml_detect), T_(test_ml_targets_fixed), T_(test_ml_run_command),
		T_(test_ml_run_command_no_uv), T_(test_ml_measure), T_(test_ml_measure_crash),
		T_(test_ml_measure_user_metric), T_(test_ml_memory), T_(test_ml_sample_memory),
		T_(test_ml_example),
		T_(test_node_detect), T_(test_node_targets_fields),
		T_(test_node_targets_bad_json), T_(test_node_targets_guess),
		T_(test_node_run_command), T_(test_node_measure),
		T_(test_flutter_detect), T_(test_flutter_targets_run), T_(test_flutter_measure),
		T_(test_jvm_detect), T_(test_jvm_targets), T_(test_jvm_targets_kotlin),
		T_(test_jvm_run_command), T_(test_jvm_measure),
		T_(test_custom_detect), T_(test_custom_memory),
		T_(test_sdk_example),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
