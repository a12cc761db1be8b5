/*
 * test_detect.c - choosing the adapter (core/detect.c), and the slot
 * wrappers' defaults for adapters with empty slots (core/plugin.c).
 *
 * The adapters here are TEST DOUBLES: struct ar_plugin values built in this
 * file whose detect slots return scores the test sets, so the ranking rules
 * (score, priority, load order, the custom fallback, forcing) can be
 * checked exactly.  They still go through the real host (set_reason,
 * set_error).  The last test detects with the real fixture plugin.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plugin.h"
#include "testutil.h"

/* Scores the test doubles' detect slots return; -1000: fail. */
static int score_a, score_b, score_custom;

static int double_detect(struct ar_ctx *ctx, int score)
{
	if (score == -1000) {
		ctx->host->set_error(ctx, "boom");
		return AR_ERROR;
	}
	if (score == -2000)
		return -7; /* fails without a reason */
	ctx->host->set_reason(ctx, "scored %d", score);
	return AR_OK;
}

static int detect_a(struct ar_ctx *ctx, int *score)
{
	*score = score_a;
	return double_detect(ctx, score_a);
}

static int detect_b(struct ar_ctx *ctx, int *score)
{
	*score = score_b;
	return double_detect(ctx, score_b);
}

static int detect_custom(struct ar_ctx *ctx, int *score)
{
	*score = score_custom;
	return double_detect(ctx, score_custom);
}

static struct ar_plugin make(const char *name, int priority,
                             int (*detect)(struct ar_ctx *, int *))
{
	struct ar_plugin p;

	memset(&p, 0, sizeof(p));
	p.ad.abi_version = AR_ABI_VERSION;
	p.ad.size = sizeof(p.ad);
	p.ad.name = name;
	p.ad.version = "";
	p.ad.description = "test double";
	p.ad.priority = priority;
	p.ad.detect = detect;
	p.path = (char *)"(test double)";
	return p;
}

/* a (priority pa), b (priority pb), custom: in that load order. */
static struct ar_plugin doubles[3];
static struct ar_plugins set_of(int pa, int pb)
{
	struct ar_plugins ps = AR_PLUGINS_INIT;

	doubles[0] = make("a", pa, detect_a);
	doubles[1] = make("b", pb, detect_b);
	doubles[2] = make("custom", 0, detect_custom);
	ps.items = doubles;
	ps.n = 3;
	return ps;
}

static const char *run(struct ar_detection *d, int pa, int pb, int sa, int sb,
                       int sc, const char *forced)
{
	struct ar_plugins ps = set_of(pa, pb);

	score_a = sa;
	score_b = sb;
	score_custom = sc;
	assert_int_equal(ar_detect(d, &ps, "/", NULL, forced), 0);
	assert_int_equal(d->n, 3);
	assert_non_null(d->why);
	return d->winner ? d->winner->ad.name : NULL;
}

static void test_highest_score(void **state)
{
	struct ar_detection d;

	(void)state;
	assert_string_equal(run(&d, 0, 0, 30, 80, 10, NULL), "b");
	assert_string_equal(d.why, "b: scored 80 (score 80)");
	assert_int_equal(d.entries[0].score, 30);
	assert_string_equal(d.entries[0].reason, "scored 30");
	assert_ptr_equal(d.entries[2].plugin, &doubles[2]);
	ar_detection_release(&d);
	ar_detection_release(&d); /* twice is harmless */
}

static void test_tie_priority_then_order(void **state)
{
	struct ar_detection d;

	(void)state;
	assert_string_equal(run(&d, 1, 3, 50, 50, 0, NULL), "b");
	assert_string_equal(d.why, "b: scored 50 (score 50, ahead of a by priority)");
	ar_detection_release(&d);
	assert_string_equal(run(&d, 3, 1, 50, 50, 0, NULL), "a");
	ar_detection_release(&d);
	assert_string_equal(run(&d, 2, 2, 50, 50, 0, NULL), "a");
	assert_string_equal(d.why, "a: scored 50 (score 50, ahead of b by load order)");
	ar_detection_release(&d);
	/* priority never beats a higher score */
	assert_string_equal(run(&d, 0, 99, 51, 50, 0, NULL), "a");
	ar_detection_release(&d);
}

static void test_custom_is_the_fallback(void **state)
{
	struct ar_detection d;

	(void)state;
	assert_string_equal(run(&d, 0, 0, 10, 0, 100, NULL), "a");
	ar_detection_release(&d);
	assert_string_equal(run(&d, 0, 0, 0, 0, 100, NULL), "custom");
	assert_string_equal(d.why, "custom: scored 100 (score 100; no other "
	                           "adapter recognised this repository)");
	ar_detection_release(&d);
	assert_null(run(&d, 0, 0, 0, 0, 0, NULL));
	assert_string_equal(d.why, "no adapter recognised this repository");
	ar_detection_release(&d);
	assert_null(run(&d, 0, 0, -5, 0, 0, NULL)); /* clamped to 0 */
	assert_int_equal(d.entries[0].score, 0);
	ar_detection_release(&d);
	assert_string_equal(run(&d, 0, 0, 0, 500, 0, NULL), "b");
	assert_int_equal(d.entries[1].score, 100); /* clamped to 100 */
	ar_detection_release(&d);
}

static void test_forced(void **state)
{
	struct ar_detection d;

	(void)state;
	assert_string_equal(run(&d, 0, 0, 90, 0, 0, "custom"), "custom");
	assert_string_equal(d.why, "custom: forced by --adapter/config");
	assert_int_equal(d.entries[0].score, 90); /* detection still ran */
	ar_detection_release(&d);
	assert_string_equal(run(&d, 0, 0, 90, 0, 0, "b"), "b");
	ar_detection_release(&d);
	assert_string_equal(run(&d, 0, 0, 90, 0, 0, ""), "a"); /* "" = not forced */
	ar_detection_release(&d);
}

static void test_forced_unknown(void **state)
{
	struct ar_plugins ps = set_of(0, 0), none = AR_PLUGINS_INIT;
	struct ar_detection d;

	(void)state;
	assert_int_equal(ar_detect(&d, &ps, "/", NULL, "mll"), AR_ENOTFOUND);
	assert_string_equal(ar_error_last(),
	                    "no adapter named 'mll' (loaded: a, b, custom)");
	assert_null(d.entries);
	assert_null(d.winner);
	ar_detection_release(&d);
	assert_int_equal(ar_detect(&d, &none, "/", NULL, "ml"), AR_ENOTFOUND);
	assert_string_equal(ar_error_last(),
	                    "no adapter named 'ml' (no adapters loaded)");
	ar_detection_release(&d);
	assert_int_equal(ar_detect(&d, &none, "/", NULL, NULL), 0);
	assert_null(d.winner);
	assert_int_equal(d.n, 0);
	ar_detection_release(&d);
}

static void test_failing_detect(void **state)
{
	struct ar_detection d;

	(void)state;
	assert_string_equal(run(&d, 0, 0, -1000, 20, 0, NULL), "b");
	assert_int_equal(d.entries[0].score, 0);
	assert_string_equal(d.entries[0].reason, "detect failed: boom");
	ar_detection_release(&d);
	assert_string_equal(run(&d, 0, 0, -2000, 20, 0, NULL), "b");
	assert_string_equal(d.entries[0].reason,
	                    "detect failed: no reason given (returned -7)");
	ar_detection_release(&d);
}

/* ---- wrappers' defaults for empty slots, and slot misbehaviour -------- */

static double measured;
static int measure_rc;

static int measure_double(struct ar_ctx *ctx, const struct ar_run *run,
                          struct ar_metric *out)
{
	(void)ctx;
	(void)run;
	out->value = measured;
	return measure_rc;
}

static int no_command(struct ar_ctx *ctx, struct ar_list *out)
{
	(void)ctx;
	(void)out;
	return AR_OK; /* breaks the contract: exactly one command */
}

static int failing_list(struct ar_ctx *ctx, struct ar_list *out)
{
	ctx->host->push(ctx, out, "half");
	ctx->host->set_error(ctx, "cannot list targets");
	return AR_ERROR;
}

static int passing_list(struct ar_ctx *ctx, struct ar_list *out)
{
	ctx->host->push(ctx, out, "ignored");
	return AR_PASS;
}

static void test_empty_slots(void **state)
{
	struct ar_plugin p = make("bare", 0, detect_a);
	struct ar_config cfg;
	struct ar_run r;
	uint64_t bytes = 7;
	double v = 3;
	char *reason = (char *)"unchanged";
	int pid = 1;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(ar_plugin_measure(&p, "/", NULL, &r, &v, &reason), AR_PASS);
	assert_null(reason);
	assert_true(v == 3);
	assert_int_equal(ar_plugin_sample_memory(&p, "/", NULL, &pid, 1, &bytes),
	                 AR_PASS);
	assert_int_equal(ar_plugin_probe_memory(&p, "/", NULL, &r, &bytes), AR_PASS);
	assert_int_equal(bytes, 7);
	ar_config_init(&cfg);
	assert_int_equal(ar_plugin_apply_defaults(&p, "/", &cfg), 0);
	assert_null(cfg.run_command);
	assert_int_equal(cfg.target_files.n, 0);
	assert_int_not_equal(cfg.origin[AR_KEY_METRIC_NAME].kind, AR_ORIGIN_ADAPTER);
	ar_config_release(&cfg);
}

static void test_misbehaving_slots(void **state)
{
	struct ar_plugin p = make("rude", 0, detect_a);
	struct ar_config cfg;
	struct ar_run r;
	char *reason = NULL;
	double v = 0;

	(void)state;
	memset(&r, 0, sizeof(r));
	p.ad.measure = measure_double;
	measure_rc = AR_OK;
	measured = NAN;
	assert_int_equal(ar_plugin_measure(&p, "/", NULL, &r, &v, &reason), AR_ERROR);
	assert_string_equal(reason, "measure gave a value that is not a finite number");
	free(reason);
	measured = 2.5;
	measure_rc = -5;
	assert_int_equal(ar_plugin_measure(&p, "/", NULL, &r, &v, &reason), AR_ERROR);
	assert_string_equal(reason, "no reason given (returned -5)");
	free(reason);
	measure_rc = AR_OK;
	assert_int_equal(ar_plugin_measure(&p, "/", NULL, &r, &v, NULL), AR_OK);
	assert_true(v == 2.5);

	p.ad.run_command = no_command;
	ar_config_init(&cfg);
	assert_int_equal(ar_plugin_apply_defaults(&p, "/", &cfg), AR_ERROR);
	assert_string_equal(ar_error_last(), "adapter rude: run_command gave 0 "
	                                     "commands; exactly one expected");
	ar_config_release(&cfg);

	p.ad.run_command = NULL;
	p.ad.default_targets = failing_list;
	p.ad.default_fixed = passing_list;
	ar_config_init(&cfg);
	assert_int_equal(ar_plugin_apply_defaults(&p, "/", &cfg), AR_ERROR);
	assert_string_equal(ar_error_last(), "adapter rude: default_targets "
	                                     "failed: cannot list targets");
	assert_int_equal(cfg.target_files.n, 0); /* nothing half-applied */
	ar_config_release(&cfg);

	p.ad.default_targets = NULL;
	ar_config_init(&cfg);
	assert_int_equal(ar_plugin_apply_defaults(&p, "/", &cfg), 0);
	assert_int_equal(cfg.fixed_files.n, 0); /* AR_PASS: its pushes dropped */
	ar_config_release(&cfg);
}

/* The real fixture plugin, loaded from disk, detected in a temp repo. */
static void test_with_fixture_plugin(void **state)
{
	struct ar_plugins ps;
	struct ar_detection d;
	ar_strvec flags = AR_STRVEC_INIT, log = AR_STRVEC_INIT;
	char *root = tu_tmpdir();

	(void)state;
	ar_strvec_push(&flags, tu_env("AR_FIXTURE_PLUGINDIR"));
	assert_int_equal(ar_plugins_load(&ps, &flags, NULL), 0);
	assert_int_equal(ar_detect(&d, &ps, root, NULL, NULL), 0);
	assert_null(d.winner);
	ar_detection_release(&d);
	tu_write(root, "fixture.marker", "");
	assert_int_equal(ar_detect(&d, &ps, root, NULL, NULL), 0);
	assert_non_null(d.winner);
	assert_string_equal(d.winner->ad.name, "fixture_good");
	assert_string_equal(d.why, "fixture_good: found fixture.marker (score 50)");
	ar_detection_release(&d);
	assert_int_equal(ar_detect(&d, &ps, root, NULL, "nope"), AR_ENOTFOUND);
	assert_string_equal(ar_error_last(),
	                    "no adapter named 'nope' (loaded: fixture_good)");
	ar_detection_release(&d);
	ar_host_drain_log(&log);
	ar_strvec_release(&log);
	ar_plugins_release(&ps);
	ar_strvec_release(&flags);
	tu_rm_rf(root);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_highest_score),
		cmocka_unit_test(test_tie_priority_then_order),
		cmocka_unit_test(test_custom_is_the_fallback),
		cmocka_unit_test(test_forced),
		cmocka_unit_test(test_forced_unknown),
		cmocka_unit_test(test_failing_detect),
		cmocka_unit_test(test_empty_slots),
		cmocka_unit_test(test_misbehaving_slots),
		cmocka_unit_test(test_with_fixture_plugin),
	};

	setenv("AR_PLUGIN_ISOLATE", "1", 1);
	unsetenv("AR_PLUGIN_PATH");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
