/*
 * cmd_calibrate.c - `ar calibrate [-n N] [--effect E] [--write]`: run the
 * best N times, report the metric's noise and the min_delta and repeats
 * to use (calibrate.h), and with --write put them into .autoresearch.yaml.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "calibrate.h"
#include "cmd.h"
#include "engine_repeat.h"

static const char *const calibrate_usage =
	"ar calibrate [-n N] [--effect E] [--write]\n\n"
	"Runs the best commit (the tip of the session branch, or HEAD) N times\n"
	"(default 5) the way experiments run, and reports the metric's noise:\n"
	"mean, standard deviation, coefficient of variation, min and max, with\n"
	"the `repeats` and `min_delta` that tell an improvement of E from noise\n"
	"(--effect: a percentage such as 0.5% or an absolute amount; default 1%).\n"
	"The runs are not experiments: nothing is committed or logged in the\n"
	"ledger; the result is kept in .autoresearch/calibration.  --write sets\n"
	"min_delta and repeats in .autoresearch.yaml (created when absent),\n"
	"keeping the rest of the file and its comments.";

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

static int run_all(struct ar_session *s, long n, struct ar_calibration *cal)
{
	int err;

	cal->samples = ar_xcalloc((size_t)n, sizeof(double));
	for (long i = 1; i <= n; i++) {
		printf("  run %ld/%ld ", i, n);
		fflush(stdout);
		if ((err = ar_calibrate_run_one(s, (int)i, &cal->samples[cal->n])) < 0) {
			printf("failed\n");
			return err;
		}
		printf("%.6g\n", cal->samples[cal->n++]);
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

static int write_config(struct ar_workspace *ws, const struct ar_calibration *c,
                        const char *md)
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
	if (err == 0)
		printf("Wrote min_delta: %s and repeats: %ld to %s\n(commit it: it is "
		       "part of the project).\n", md, c->repeats, path);
	free(comment);
	free(path);
	free(rep);
	return err;
}

static int calibrate(struct ar_cli *cli, long n, const struct effect *e, int write)
{
	struct ar_workspace ws;
	struct ar_session s = { 0 };
	struct ar_calibration cal;
	struct ar_noise nz;
	char *md = NULL;
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
	printf("ar calibrate: %ld runs of %.7s (%s)\n", n, s.best_commit,
	       in_session ? "the best of this session" : "HEAD");
	ar_noise_from_config(&nz, &ws.cfg);
	if (run_all(&s, n, &cal) < 0) {
		rc = ar_cmd_fail("calibrate");
		goto done;
	}
	ar_calibration_summarise(&cal);
	/* A relative effect of a mean of 0 means nothing: use one sd. */
	ar_calibration_recommend(&cal, !e->relative ? e->value : cal.mean != 0.0
	                         ? e->value * fabs(cal.mean) : cal.sd, nz.sampling.alpha);
	md = min_delta_text(&cal, e);
	if (ar_calibration_save(s.state_dir, &cal) < 0) {
		rc = ar_cmd_fail("calibrate");
		goto done;
	}
	print_report(&cal, e, nz.sampling.alpha, md);
	if (write && write_config(&ws, &cal, md) < 0)
		rc = ar_cmd_fail("calibrate");
	else if (!write)
		printf("Saved in .autoresearch/calibration; `ar calibrate --write` puts\n"
		       "them into .autoresearch.yaml.\n");
done:
	free(md);
	ar_calibration_release(&cal);
	ar_session_release(&s);
	ar_workspace_release(&ws);
	return rc;
}

int cmd_calibrate(int argc, char **argv, struct ar_cli *cli)
{
	long n = DEFAULT_RUNS;
	const char *effect_s = NULL;
	int write = 0, exit_now;
	struct ar_option opts[] = {
		AR_OPT_LONG('n', "runs", &n, "N", "how many runs (default 5, at least 2)"),
		AR_OPT_STRING(0, "effect", &effect_s, "E",
		              "the improvement to detect: 0.5% or an absolute amount (default 1%)"),
		AR_OPT_BOOL(0, "write", &write, "set min_delta and repeats in .autoresearch.yaml"),
		AR_OPT_END(),
	};
	ar_strvec args = AR_STRVEC_INIT;
	struct effect e;

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
	if (n < 2 || n > 1000) {
		fprintf(stderr, "ar calibrate: -n takes a number of runs from 2 to 1000, "
		        "not %ld\n", n);
		return AR_EXIT_USAGE;
	}
	if (parse_effect(effect_s, &e) < 0)
		return AR_EXIT_USAGE;
	return calibrate(cli, n, &e, write);
}
