/*
 * calibrate.c - the noise of the metric, its advice, and writing that
 * advice into .autoresearch.yaml (see calibrate.h).
 */
#include "calibrate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine_repeat.h"

void ar_calibration_release(struct ar_calibration *c)
{
	free(c->samples);
	free(c->created_at);
	memset(c, 0, sizeof(*c));
}

/* ---- runs ------------------------------------------------------------------- */

/* One run through the engine's runner; 0 with *value, or AR_ERROR with why. */
static int run_measured(struct ar_session *s, long iteration, const char *log_name,
                        const struct ar_runner_opts *tmpl, double *value)
{
	struct ar_runner_opts ro = *tmpl;
	struct ar_run_once r;
	char *failure;
	int err;

	ro.iteration = iteration;
	ro.log_name = log_name;
	if ((err = ar_engine_run_once(s, &ro, &r)) < 0) {
		ar_run_once_release(&r);
		return err;
	}
	failure = ar_engine_run_failure(s, &r);
	if (failure)
		err = ar_error_set(AR_ERROR, "%s", failure);
	else if (!r.m.has_score)
		err = ar_error_set(AR_ERROR, "%s (see %s)", r.m.reason ? r.m.reason
		                   : "no metric", r.log_path);
	else
		*value = r.m.score;
	free(failure);
	ar_run_once_release(&r);
	return err;
}

int ar_calibrate_run_one(struct ar_session *s, int i, double *value)
{
	struct ar_runner_opts ro = { 0, NULL, NULL, NULL };
	char *name;
	int err;

	if ((err = ar_engine_need_run_config(&s->ws->cfg)) < 0)
		return err;
	name = ar_xprintf("calibrate-%d.log", i);
	err = run_measured(s, i, name, &ro, value);
	free(name);
	if (err < 0)
		ar_error_prefix(err, "calibration run %d", i);
	return err;
}

/* ---- numbers ------------------------------------------------------------------- */

void ar_calibration_summarise(struct ar_calibration *c)
{
	c->mean = ar_stats_mean(c->samples, c->n);
	c->sd = ar_stats_stddev(c->samples, c->n);
	c->cv = c->mean != 0.0 ? c->sd / fabs(c->mean) : 0.0;
	c->min = ar_stats_min(c->samples, c->n);
	c->max = ar_stats_max(c->samples, c->n);
}

void ar_calibration_recommend(struct ar_calibration *c, double effect, double alpha)
{
	long k = ar_stats_runs_needed(c->sd, effect, alpha);

	c->effect = effect;
	c->repeats_needed = k < 1 ? 1 : k;
	c->repeats = c->repeats_needed > AR_CALIBRATE_MAX_REPEATS
	             ? AR_CALIBRATE_MAX_REPEATS : c->repeats_needed;
	c->min_delta = ar_stats_normal_quantile(1.0 - alpha) * c->sd *
	               sqrt(2.0 / (double)c->repeats);
}

/* ---- the calibration file -------------------------------------------------------- */

static char *calibration_path(const char *state_dir)
{
	return ar_path_join(state_dir, AR_CALIBRATION_FILE);
}

int ar_calibration_save(const char *state_dir, struct ar_calibration *c)
{
	ar_buf b = AR_BUF_INIT;
	char now[32], *path = calibration_path(state_dir);
	time_t t = time(NULL);
	struct tm tm;
	int err;

	if (!gmtime_r(&t, &tm) || !strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(now, sizeof(now), "1970-01-01T00:00:00Z");
	free(c->created_at);
	c->created_at = ar_xstrdup(now);
	ar_buf_printf(&b, "# ar calibrate: the noise of the metric; rewritten by "
	              "`ar calibrate`\ncommit %s\nsamples", c->commit);
	for (size_t i = 0; i < c->n; i++)
		ar_buf_printf(&b, " %.17g", c->samples[i]);
	ar_buf_printf(&b, "\nmean %.17g\nsd %.17g\ncv %.17g\nmin %.17g\nmax %.17g\n"
	              "effect %.17g\nmin_delta %.17g\nrepeats %ld\ncreated_at %s\n",
	              c->mean, c->sd, c->cv, c->min, c->max, c->effect, c->min_delta,
	              c->repeats, now);
	err = ar_mkdir_p(state_dir);
	if (err == 0)
		err = ar_file_write_atomic(path, b.ptr, b.len, AR_DURABLE);
	ar_buf_release(&b);
	free(path);
	return err;
}

static void parse_calibration_line(struct ar_calibration *c, char *line)
{
	struct { const char *key; double *v; } nums[] = {
		{ "mean ", &c->mean }, { "sd ", &c->sd }, { "cv ", &c->cv },
		{ "min ", &c->min }, { "max ", &c->max }, { "effect ", &c->effect },
		{ "min_delta ", &c->min_delta },
	};
	char *end;

	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		if (!strncmp(line, nums[i].key, strlen(nums[i].key)))
			*nums[i].v = strtod(line + strlen(nums[i].key), NULL);
	if (!strncmp(line, "commit ", 7))
		snprintf(c->commit, sizeof(c->commit), "%s", line + 7);
	else if (!strncmp(line, "repeats ", 8))
		c->repeats = strtol(line + 8, NULL, 10);
	else if (!strncmp(line, "created_at ", 11))
		c->created_at = ar_xstrdup(line + 11);
	else if (!strncmp(line, "samples", 7))
		for (char *p = line + 7;; p = end) {
			double v = strtod(p, &end);
			if (end == p)
				break;
			c->samples = ar_xrealloc(c->samples, (c->n + 1) * sizeof(double));
			c->samples[c->n++] = v;
		}
}

int ar_calibration_load(const char *state_dir, struct ar_calibration *out)
{
	char *path = calibration_path(state_dir), *text = NULL, *save = NULL, *line;
	int err = ar_file_read(path, 1 << 20, &text, NULL);

	memset(out, 0, sizeof(*out));
	if (err == 0)
		for (line = strtok_r(text, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			parse_calibration_line(out, line);
	free(text);
	free(path);
	return err;
}

/* ---- the warning of bare `ar` ------------------------------------------------------ */

int ar_calibrate_noise_check(struct ar_session *s,
                             void (*progress)(long iteration, double elapsed,
                                              double timeout, const char *log_path,
                                              void *payload),
                             void *payload, char **warning)
{
	struct ar_calibration cal;
	struct ar_runner_opts ro = { 0, NULL, progress, payload };
	double a, b, limit;
	char *name;
	int err;

	*warning = NULL;
	if (ar_calibration_load(s->state_dir, &cal) == 0) {
		ar_calibration_release(&cal);
		return 0;
	}
	ar_error_clear();
	if (!s->has_best || !s->nbest_samples)
		return 0;
	a = s->best_samples[0];
	if (s->nbest_samples >= 2) {
		b = s->best_samples[1];
	} else {
		name = ar_xprintf("%ld.noise.log", s->best_iteration);
		err = run_measured(s, s->best_iteration, name, &ro, &b);
		free(name);
		if (err < 0) {
			ar_error_clear();
			return 0;
		}
		s->best_samples = ar_xrealloc(s->best_samples, 2 * sizeof(double));
		s->best_samples[s->nbest_samples++] = b;
		if (ar_best_samples_save(s) < 0)
			ar_error_clear(); /* only a cache of samples */
	}
	limit = ar_noise_min_delta(&s->ws->cfg, a);
	if (fabs(a - b) > limit)
		*warning = ar_xprintf(
			"the baseline measured %g, then %g on a second run: the metric is "
			"noisy (a difference of %g, more than min_delta %g), so one run can "
			"make a change look better than it is.  Run `ar calibrate` to "
			"measure the noise and get the min_delta and repeats to use (or set "
			"repeats: auto)", a, b, fabs(a - b), limit);
	return 0;
}

/* ---- writing the advice into .autoresearch.yaml ------------------------------------ */

/* Where the trailing comment of a YAML value starts ('#' after a blank,
 * outside quotes), or the end of the line. */
static const char *comment_start(const char *v, const char *end)
{
	char quote = 0;

	for (const char *p = v; p < end; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '"' || *p == '\'') {
			quote = *p;
		} else if (*p == '#' && (p == v || p[-1] == ' ' || p[-1] == '\t')) {
			while (p > v && (p[-1] == ' ' || p[-1] == '\t'))
				p--;
			return p;
		}
	}
	return end;
}

/* The index of the key that line (of length len) sets at the top level,
 * or -1. */
static int line_key(const char *line, size_t len, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(keys[i]);
		const char *p = line + k;
		if (len <= k || strncmp(line, keys[i], k))
			continue;
		while (p < line + len && (*p == ' ' || *p == '\t'))
			p++;
		if (p < line + len && *p == ':' &&
		    (p + 1 == line + len || p[1] == ' ' || p[1] == '\t'))
			return (int)i;
	}
	return -1;
}

/* Replace the value of a `key: value  # comment` line. */
static void replace_value(ar_buf *out, const char *line, size_t len, const char *value)
{
	const char *colon = memchr(line, ':', len), *end = line + len, *v = colon + 1;
	const char *c;

	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	c = comment_start(v, end);
	ar_buf_add(out, line, (size_t)(colon + 1 - line));
	ar_buf_addch(out, ' ');
	ar_buf_adds(out, value);
	ar_buf_add(out, c, (size_t)(end - c));
}

/* The new text of the file: every line kept but the keys' own (and their
 * indented block values), missing keys appended. */
static void yaml_with_keys(ar_buf *out, const char *text, const char *const *keys,
                           const char *const *values, size_t n, const char *comment)
{
	char *done = ar_xcalloc(n + 1, 1);
	int skipping = 0, appended = 0;

	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		int k = line_key(p, len, keys, n);
		if (skipping && len && (*p == ' ' || *p == '\t')) {
			p += len + (nl != NULL); /* the old block value of a key */
			continue;
		}
		skipping = 0;
		if (k >= 0) {
			replace_value(out, p, len, values[k]);
			skipping = done[k] = 1;
		} else {
			ar_buf_add(out, p, len);
		}
		if (nl)
			ar_buf_addch(out, '\n');
		p += len + (nl != NULL);
	}
	for (size_t i = 0; i < n; i++) {
		if (done[i])
			continue;
		if (out->len && out->ptr[out->len - 1] != '\n')
			ar_buf_addch(out, '\n');
		if (!appended++ && comment)
			ar_buf_printf(out, "# %s\n", comment);
		ar_buf_printf(out, "%s: %s\n", keys[i], values[i]);
	}
	free(done);
}

/* Read path back as the YAML config and check it gives the values. */
static int check_yaml(const char *path, const char *shown, const char *const *keys,
                      const char *const *values, size_t n)
{
	struct ar_config cfg, want;
	int err;

	ar_config_init(&cfg);
	ar_config_init(&want);
	err = ar_config_load_yaml(&cfg, path);
	for (size_t i = 0; err == 0 && i < n; i++) {
		char *got, *expect;
		if ((err = ar_config_set(&want, keys[i], values[i], NULL)) < 0)
			break;
		got = ar_config_get(&cfg, keys[i]);
		expect = ar_config_get(&want, keys[i]);
		if (!got || !expect || strcmp(got, expect))
			err = ar_error_set(AR_EUSAGE, "%s: `%s` reads back as '%s', not '%s'",
			                   shown, keys[i], got ? got : "(unset)", values[i]);
		free(got);
		free(expect);
	}
	if (err < 0 && ar_error_code() != AR_EUSAGE)
		ar_error_set(AR_EUSAGE, "%s", ar_error_last());
	ar_config_release(&cfg);
	ar_config_release(&want);
	return err < 0 ? AR_EUSAGE : 0;
}

int ar_config_file_set(const char *path, const char *const *keys,
                       const char *const *values, size_t n, const char *comment)
{
	char *text = NULL, *tmp = ar_xprintf("%s.ar-new.%ld", path, (long)getpid());
	ar_buf out = AR_BUF_INIT;
	int err = ar_file_read(path, 1 << 20, &text, NULL);

	if (err == AR_ENOTFOUND) {
		ar_error_clear();
		text = ar_xstrdup("");
		err = 0;
	}
	if (err < 0)
		goto done;
	yaml_with_keys(&out, text, keys, values, n, comment);
	if ((err = ar_file_write_atomic(tmp, out.ptr ? out.ptr : "", out.len, AR_DURABLE)) < 0)
		goto done;
	if ((err = check_yaml(tmp, path, keys, values, n)) < 0) {
		ar_error_prefix(err, "%s left as it was (add the keys yourself)", path);
		goto done;
	}
	if (rename(tmp, path) < 0)
		err = ar_error_set(AR_ERROR, "renaming %s to %s failed", tmp, path);
done:
	unlink(tmp);
	ar_buf_release(&out);
	free(text);
	free(tmp);
	return err;
}
