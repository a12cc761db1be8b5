/*
 * cmd_calibrate.c - `ar calibrate [-n N] [--effect E] [--write] [--json]`:
 * run the best N times, report the metric's noise and the min_delta and
 * repeats to use (calibrate.h), and with --write put them into
 * .autoresearch.yaml.  --json prints the report as one JSON object.
 */
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "calibrate.h"
#include "cmd.h"
#include "engine_repeat.h"

static const char *const calibrate_usage =
	"ar calibrate [-n N] [--effect E] [--write] [--json]\n\n"
	"Runs the best commit (the tip of the session branch, or HEAD) N times\n"
	"(default 5) the way experiments run, and reports the metric's noise:\n"
	"mean, standard deviation, coefficient of variation, min and max, with\n"
	"the `repeats` and `min_delta` that tell an improvement of E from noise\n"
	"(--effect: a percentage such as 0.5% or an absolute amount; default 1%).\n"
	"The runs are not experiments: nothing is committed or logged in the\n"
	"ledger; the result is kept in .autoresearch/calibration.  --write sets\n"
	"min_delta and repeats in .autoresearch.yaml (created when absent),\n"
	"keeping the rest of the file and its comments.\n\n"
	"--json prints one JSON object on stdout instead of the report (the runs'\n"
	"progress goes to stderr): commit, n, samples, mean, sd, cv, min, max,\n"
	"effect, alpha, repeats, repeats_needed, min_delta, min_delta_setting\n"
	"(the text --write writes, e.g. \"0.35%\"), calibration (the file's\n"
	"path) and written (true when --write set the configuration).";

#define DEFAULT_RUNS 5

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

struct effect {
	double value;
	int relative; /* value is a fraction of |mean| */
};

struct calibrate_opts {
	long n;           /* runs */
	struct effect e;
	int write;        /* --write: into .autoresearch.yaml */
	int json;         /* --json: one object on stdout, progress on stderr */
};

static int parse_effect(const char *s, struct effect *e)
{
	size_t n = s ? strlen(s) : 0;
	char *num;
	int ok;

	e->relative = 1;
	e->value = 0.01;
	if (!s)
		return 0;
	e->relative = n && s[n - 1] == '%';
	num = ar_xstrndup(s, e->relative ? n - 1 : n);
	ok = ar_parse_double(num, &e->value) == 0 && e->value > 0 && isfinite(e->value);
	free(num);
	if (e->relative)
		e->value /= 100.0;
	if (!ok)
		fprintf(stderr, "ar calibrate: --effect takes a positive amount such as "
		        "0.5%% or 0.01, not '%s'\n", s);
	return ok ? 0 : -1;
}

/* The session of the checked-out branch, or the bare repository's HEAD. */
static int open_best(struct ar_session *s, struct ar_workspace *ws, int *in_session)
{
	char *branch = NULL;
	int err = ar_repo_current_branch(ws->repo, &branch);

	*in_session = err == 0 && !strncmp(branch, "autoresearch/", 13);
	free(branch);
	ar_error_clear();
	if (*in_session)
		return ar_session_open(s, ws);
	memset(s, 0, sizeof(*s));
	s->ws = ws;
	s->state_dir = ar_path_join(ws->root, AR_STATE_DIR);
	return ar_repo_head(ws->repo, s->best_commit);
}

/* Calibration measures a commit: refuse uncommitted target changes. */
static int refuse_changes(struct ar_session *s)
{
	struct ar_scope sc;
	int err;

	memset(&sc, 0, sizeof(sc));
	if ((err = ar_scope_compute(s, &sc)) == 0 && sc.targets.n)
		err = ar_error_set(AR_EUSAGE, "%s has uncommitted changes; calibrate "
		                   "measures the best commit: record them with `ar step` "
		                   "or put them back first", sc.targets.items[0]);
	ar_scope_release(&sc);
	return err;
}

/* Progress goes to `out`: stdout, or stderr with --json. */
static int run_all(struct ar_session *s, long n, struct ar_calibration *cal, FILE *out)
{
	int err;

	cal->samples = ar_xcalloc((size_t)n, sizeof(double));
	for (long i = 1; i <= n; i++) {
		fprintf(out, "  run %ld/%ld ", i, n);
		fflush(out);
		if ((err = ar_calibrate_run_one(s, (int)i, &cal->samples[cal->n])) < 0) {
			fprintf(out, "failed\n");
			return err;
		}
		fprintf(out, "%.6g\n", cal->samples[cal->n++]);
		if (interrupted)
			return ar_error_set(AR_ERROR, "interrupted after %ld runs", i);
	}
	return 0;
}

/* "0.35%" or "0.0123": min_delta in the form --effect was given in. */
static char *min_delta_text(const struct ar_calibration *c, const struct effect *e)
{
	if (e->relative && c->mean != 0.0)
		return ar_xprintf("%.2g%%", 100.0 * c->min_delta / fabs(c->mean));
	return ar_xprintf("%.3g", c->min_delta);
}

static void print_report(const struct ar_calibration *c, const struct effect *e,
                         double alpha, const char *md)
{
	printf("\n  mean      %.6g\n  sd        %.4g   (cv %.2f%%)\n"
	       "  min/max   %.6g / %.6g\n\n", c->mean, c->sd, 100.0 * c->cv, c->min, c->max);
	if (e->relative)
		printf("To tell an improvement of %g%% (%.4g) from this noise\n",
		       100.0 * e->value, c->effect);
	else
		printf("To tell an improvement of %.4g from this noise\n", c->effect);
	printf("(one-sided test at alpha %g, 80%% power):\n", alpha);
	printf("  repeats: %ld\n  min_delta: %s\n", c->repeats, md);
	if (c->repeats_needed > c->repeats)
		printf("An improvement this small needs about %ld runs per side; the advice\n"
		       "stops at %ld.  Look for larger improvements (--effect) or make the\n"
		       "metric less noisy (fixed seeds, more evaluation data).\n",
		       c->repeats_needed, c->repeats);
	else if (c->repeats == 1)
		printf("One run is enough: the noise is small next to that improvement.\n");
	else
		printf("(`repeats: auto` with `max_repeats: %ld` instead spends one run on\n"
		       "a change that measures worse than the best.)\n", c->repeats);
}

/* A number, or null when it is not finite (JSON has no NaN). */
static json_t *jreal(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/* A string, or null when it is not UTF-8 (a path may not be). */
static json_t *jstr(const char *v)
{
	json_t *s = json_string(v);

	return s ? s : json_null();
}

/* The report as one JSON object on a line of stdout. */
static void print_json(const struct ar_calibration *c, const struct ar_session *s,
                       double alpha, const char *md, int written)
{
	json_t *o = json_object(), *samples = json_array();
	char *path = ar_path_join(s->state_dir, AR_CALIBRATION_FILE), *text;

	for (size_t i = 0; i < c->n; i++)
		json_array_append_new(samples, jreal(c->samples[i]));
	json_object_set_new(o, "commit", jstr(c->commit));
	json_object_set_new(o, "n", json_integer((json_int_t)c->n));
	json_object_set_new(o, "samples", samples);
	json_object_set_new(o, "mean", jreal(c->mean));
	json_object_set_new(o, "sd", jreal(c->sd));
	json_object_set_new(o, "cv", jreal(c->cv));
	json_object_set_new(o, "min", jreal(c->min));
	json_object_set_new(o, "max", jreal(c->max));
	json_object_set_new(o, "effect", jreal(c->effect));
	json_object_set_new(o, "alpha", jreal(alpha));
	json_object_set_new(o, "repeats", json_integer(c->repeats));
	json_object_set_new(o, "repeats_needed", json_integer(c->repeats_needed));
	json_object_set_new(o, "min_delta", jreal(c->min_delta));
	json_object_set_new(o, "min_delta_setting", jstr(md));
	json_object_set_new(o, "calibration", jstr(path));
	json_object_set_new(o, "written", json_boolean(written));
	/* 15 digits: 4.1 rather than 4.0999999999999996 (a metric's value
	 * never has more). */
	text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(15));
	if (text)
		printf("%s\n", text);
	fflush(stdout);
	free(text);
	free(path);
	json_decref(o);
}

/* quiet: say nothing on success (--json says it with "written"). */
static int write_config(struct ar_workspace *ws, const struct ar_calibration *c,
                        const char *md, int quiet)
{
	const char *keys[] = { "min_delta", "repeats" };
	char *rep = ar_xprintf("%ld", c->repeats), *comment, *path;
	const char *values[] = { md, rep };
	const char *cp = ws->config_path;
	size_t n = cp ? strlen(cp) : 0;
	int err;

	if (cp && !(n > 5 && !strcmp(cp + n - 5, ".yaml")) &&
	    !(n > 4 && !strcmp(cp + n - 4, ".yml"))) {
		free(rep);
		return ar_error_set(AR_EUSAGE, "the configuration is in %s, and ar writes "
		                    "only .autoresearch.yaml: add `min_delta: %s` and "
		                    "`repeats: %ld` there yourself", cp, md, c->repeats);
	}
	path = cp ? ar_xstrdup(cp) : ar_path_join(ws->root, ".autoresearch.yaml");
	comment = ar_xprintf("ar calibrate, %s: sd %.4g over %zu runs of %.7s",
	                     c->created_at ? c->created_at : "", c->sd, c->n, c->commit);
	err = ar_config_file_set(path, keys, values, 2, comment);
	if (err == 0 && !quiet)
		printf("Wrote min_delta: %s and repeats: %ld to %s\n(commit it: it is "
		       "part of the project).\n", md, c->repeats, path);
	free(comment);
	free(path);
	free(rep);
	return err;
}

/* After the runs: the advice, saved, reported, and written with --write. */
static int conclude(struct ar_workspace *ws, struct ar_session *s,
                    struct ar_calibration *cal, const struct calibrate_opts *o,
                    double alpha)
{
	const struct effect *e = &o->e;
	char *md;
	int rc = 0, written = 0;

	ar_calibration_summarise(cal);
	/* A relative effect of a mean of 0 means nothing: use one sd. */
	ar_calibration_recommend(cal, !e->relative ? e->value : cal->mean != 0.0
	                         ? e->value * fabs(cal->mean) : cal->sd, alpha);
	md = min_delta_text(cal, e);
	if (ar_calibration_save(s->state_dir, cal) < 0) {
		free(md);
		return ar_cmd_fail("calibrate");
	}
	if (!o->json)
		print_report(cal, e, alpha, md);
	if (o->write && write_config(ws, cal, md, o->json) < 0)
		rc = -1;
	else
		written = o->write;
	if (o->json)
		print_json(cal, s, alpha, md, written);
	else if (!o->write)
		printf("Saved in .autoresearch/calibration; `ar calibrate --write` puts\n"
		       "them into .autoresearch.yaml.\n");
	if (rc < 0)
		rc = ar_cmd_fail("calibrate");
	free(md);
	return rc;
}

static int calibrate(struct ar_cli *cli, const struct calibrate_opts *o)
{
	struct ar_workspace ws;
	struct ar_session s = { 0 };
	struct ar_calibration cal;
	struct ar_noise nz;
	FILE *out = o->json ? stderr : stdout;
	int rc = 0, in_session = 0;

	memset(&cal, 0, sizeof(cal));
	if ((rc = ar_cmd_workspace(&ws, cli, 1)) != 0)
		goto done;
	if (open_best(&s, &ws, &in_session) < 0 || refuse_changes(&s) < 0) {
		rc = ar_cmd_fail("calibrate");
		goto done;
	}
	ar_cmd_catch_signals(on_signal);
	s.interrupt = &interrupted;
	memcpy(cal.commit, s.best_commit, 41);
	fprintf(out, "ar calibrate: %ld runs of %.7s (%s)\n", o->n, s.best_commit,
	        in_session ? "the best of this session" : "HEAD");
	ar_noise_from_config(&nz, &ws.cfg);
	if (run_all(&s, o->n, &cal, out) < 0)
		rc = ar_cmd_fail("calibrate");
	else
		rc = conclude(&ws, &s, &cal, o, nz.sampling.alpha);
done:
	ar_calibration_release(&cal);
	ar_session_release(&s);
	ar_workspace_release(&ws);
	return rc;
}

int cmd_calibrate(int argc, char **argv, struct ar_cli *cli)
{
	struct calibrate_opts o = { DEFAULT_RUNS, { 0, 0 }, 0, 0 };
	const char *effect_s = NULL;
	int exit_now;
	struct ar_option opts[] = {
		AR_OPT_LONG('n', "runs", &o.n, "N", "how many runs (default 5, at least 2)"),
		AR_OPT_STRING(0, "effect", &effect_s, "E",
		              "the improvement to detect: 0.5% or an absolute amount (default 1%)"),
		AR_OPT_BOOL(0, "write", &o.write, "set min_delta and repeats in .autoresearch.yaml"),
		AR_OPT_BOOL(0, "json", &o.json, "print the result as one JSON object"),
		AR_OPT_END(),
	};
	ar_strvec args = AR_STRVEC_INIT;

	if (ar_parse_options(argc, argv, opts, calibrate_usage, &args, &exit_now)) {
		ar_strvec_release(&args);
		return exit_now;
	}
	if (args.n) {
		fprintf(stderr, "ar calibrate: unexpected argument '%s'\n", args.items[0]);
		ar_strvec_release(&args);
		return AR_EXIT_USAGE;
	}
	ar_strvec_release(&args);
	if (o.n < 2 || o.n > 1000) {
		fprintf(stderr, "ar calibrate: -n takes a number of runs from 2 to 1000, "
		        "not %ld\n", o.n);
		return AR_EXIT_USAGE;
	}
	if (parse_effect(effect_s, &o.e) < 0)
		return AR_EXIT_USAGE;
	return calibrate(cli, &o);
}
