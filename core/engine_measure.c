/*
 * engine_measure.c - the numbers of a finished run: the metric (through the
 * adapter, else the configured command, expression, pattern or the default
 * `<name>: <number>` convention), the named values, the guards and memory.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "metric.h"
#include "proc.h"
#include "session_state.h"

#define AR_METRIC_COMMAND_TIMEOUT 120.0

void ar_measurement_release(struct ar_measurement *m)
{
	for (size_t i = 0; i < m->nvalues; i++)
		free(m->values[i].name);
	free(m->values);
	free(m->reason);
	memset(m, 0, sizeof(*m));
}

static struct ar_value *add_value(struct ar_measurement *m, const char *name)
{
	for (size_t i = 0; i < m->nvalues; i++)
		if (!strcmp(m->values[i].name, name))
			return &m->values[i];
	m->values = ar_xrealloc(m->values, (m->nvalues + 1) * sizeof(*m->values));
	struct ar_value *v = &m->values[m->nvalues++];
	memset(v, 0, sizeof(*v));
	v->name = ar_xstrdup(name);
	return v;
}

static void set_reason(struct ar_measurement *m, const char *reason)
{
	if (!m->reason)
		m->reason = ar_xstrdup(reason);
}

static int from_command(struct ar_session *s, double *out)
{
	const struct ar_config *c = &s->ws->cfg;
	struct ar_proc_result res;
	char *text = NULL;
	size_t len = 0;
	int want_rate = c->metric_name && strstr(c->metric_name, "rate") != NULL;
	int err = ar_proc_capture(c->metric_command, s->ws->root,
	                          AR_METRIC_COMMAND_TIMEOUT, 1 << 20, &text, &len, &res);
	if (err < 0)
		return err;
	if (res.timed_out)
		err = ar_error_set(AR_ERROR, "metric command timed out: %s", c->metric_command);
	else if ((err = ar_metric_from_text(text, len, want_rate, out)) < 0)
		err = ar_error_prefix(err, "metric command `%s` printed no number",
		                      c->metric_command);
	free(text);
	return err;
}

static int from_expr(struct ar_session *s, const char *log, struct ar_measurement *m,
                     double *out)
{
	ar_expr *e = NULL;
	const char **names = NULL;
	double *vals = NULL;
	size_t n = 0;
	int err = ar_expr_parse(&e, s->ws->cfg.metric_expr);

	if (err < 0)
		return err;
	for (const char *name; (name = ar_expr_name(e, n)); n++) {
		struct ar_value *v = add_value(m, name);
		names = ar_xrealloc(names, (n + 1) * sizeof(*names));
		vals = ar_xrealloc(vals, (n + 1) * sizeof(*vals));
		names[n] = name;
		if (ar_metric_from_log_default(log, name, &vals[n]) < 0) {
			err = AR_ERROR;
			goto done;
		}
		v->value = vals[n];
		v->has_value = 1;
	}
	err = ar_expr_eval(e, names, vals, n, out);
done:
	free(names);
	free(vals);
	ar_expr_free(e);
	return err;
}

/* metric.last_number: the last number the run printed (a pytest summary
 * gives the pass count, or the pass rate for a metric named "...rate"). */
static int from_log_text(struct ar_session *s, const char *log, double *out)
{
	const char *name = s->ws->cfg.metric_name;
	char *text = NULL;
	int err = ar_file_tail(log, 1u << 20, &text);

	if (err == 0 && (err = ar_metric_from_text(text, strlen(text),
	                                           name && strstr(name, "rate") != NULL,
	                                           out)) < 0)
		err = ar_error_prefix(err, "the run printed no number (metric.last_number)");
	free(text);
	return err;
}

/* The primary metric when the adapter passed. */
static int core_metric(struct ar_session *s, const char *log,
                       struct ar_measurement *m, double *out)
{
	const struct ar_config *c = &s->ws->cfg;
	double last = 0;

	if (ar_config_get_number(c, "metric.last_number", &last) == 0 && last)
		return from_log_text(s, log, out);
	ar_error_clear();
	if (c->metric_command)
		return from_command(s, out);
	if (c->metric_expr)
		return from_expr(s, log, m, out);
	if (c->metric_pattern)
		return ar_metric_from_log_pattern(log, c->metric_pattern, out);
	return ar_metric_from_log_default(log, c->metric_name, out);
}

static void measure_values(struct ar_session *s, const char *log,
                           struct ar_measurement *m)
{
	const ar_strvec *names = &s->ws->cfg.values;
	for (size_t i = 0; i < names->n; i++) {
		struct ar_value *v = add_value(m, names->items[i]);
		if (!v->has_value &&
		    ar_metric_from_log_default(log, v->name, &v->value) == 0)
			v->has_value = 1;
	}
}

static const struct ar_value *baseline_value(struct ar_session *s, const char *name)
{
	for (size_t i = 0; i < s->nbaseline_values; i++)
		if (!strcmp(s->baseline_values[i].name, name) &&
		    s->baseline_values[i].has_value)
			return &s->baseline_values[i];
	return NULL;
}

/* Check one guard's value against its limits; returns 1 when it fails. */
static int guard_fails(struct ar_session *s, const struct ar_guard *g, double v,
                       ar_buf *why)
{
	const struct ar_value *base = baseline_value(s, g->name);
	if (g->has_max && v > g->max) {
		ar_buf_printf(why, "guard %s = %g is above its max %g", g->name, v, g->max);
		return 1;
	}
	if (g->has_min && v < g->min) {
		ar_buf_printf(why, "guard %s = %g is below its min %g", g->name, v, g->min);
		return 1;
	}
	if (g->has_max_regression && base) {
		double limit = g->max_regression_relative
		                   ? fabs(base->value) * g->max_regression /* a fraction */
		                   : g->max_regression;
		if (v - base->value > limit) {
			ar_buf_printf(why, "guard %s = %g regressed by %g from the "
			              "baseline's %g (allowed %g)", g->name, v,
			              v - base->value, base->value, limit);
			return 1;
		}
	}
	return 0;
}

static void measure_guards(struct ar_session *s, const char *log,
                           struct ar_measurement *m)
{
	const struct ar_config *c = &s->ws->cfg;
	for (size_t i = 0; i < c->nguards; i++) {
		const struct ar_guard *g = &c->guards[i];
		struct ar_value *v = add_value(m, g->name);
		ar_buf why = AR_BUF_INIT;
		int err = g->pattern ? ar_metric_from_log_pattern(log, g->pattern, &v->value)
		                     : ar_metric_from_log_default(log, g->name, &v->value);
		if (err < 0) {
			ar_buf_printf(&why, "guard %s not measured: %s", g->name, ar_error_last());
			m->guard_failed = 1;
		} else {
			v->has_value = 1;
			if (!m->has_guard) {
				m->has_guard = 1;
				m->guard_score = v->value;
			}
			m->guard_failed |= guard_fails(s, g, v->value, &why);
		}
		if (why.len)
			set_reason(m, why.ptr);
		ar_buf_release(&why);
	}
}

static void measure_memory(struct ar_session *s, const struct ar_run *run,
                           struct ar_measurement *m)
{
	const struct ar_plugin *p = s->ws->adapter;
	uint64_t bytes = 0;
	if (p && ar_plugin_probe_memory(p, s->ws->root, &s->ws->cfg, run, &bytes) == AR_OK)
		m->memory_bytes = bytes;
	else
		m->memory_bytes = run->sampled_bytes ? run->sampled_bytes : run->peak_rss_bytes;
}

int ar_measure_run(struct ar_session *s, const struct ar_run *run,
                   struct ar_measurement *m)
{
	const struct ar_plugin *p = s->ws->adapter;
	char *reason = NULL;
	int err = AR_PASS;

	if (p)
		err = ar_plugin_measure(p, s->ws->root, &s->ws->cfg, run, &m->score, &reason);
	if (err == AR_PASS) {
		ar_error_clear();
		err = core_metric(s, run->log_path, m, &m->score);
		if (err < 0)
			reason = ar_xstrdup(ar_error_last());
	}
	if (err == AR_OK) {
		m->has_score = 1;
	} else {
		set_reason(m, reason ? reason : "the metric could not be measured");
	}
	free(reason);
	measure_values(s, run->log_path, m);
	measure_guards(s, run->log_path, m);
	measure_memory(s, run, m);
	return 0;
}
