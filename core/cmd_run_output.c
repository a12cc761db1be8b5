/*
 * cmd_run_output.c - what `ar run` prints: the plan before it starts, a
 * live status line per experiment on a terminal (plain lines otherwise),
 * the verdicts, JSON events with --json, and the closing summary.
 */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd_run.h"
#include "plugin.h"
#include "summary.h"

static void list(const ar_strvec *v, const char *none)
{
	if (!v->n)
		fputs(none, stdout);
	for (size_t i = 0; i < v->n; i++)
		printf("%s%s", i ? ", " : "", v->items[i]);
	putchar('\n');
}

static void json_event(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (s)
		printf("%s\n", s);
	free(s);
	json_decref(o);
	fflush(stdout);
}

static void close_line(struct run_out *o)
{
	if (o->line_open) {
		fputs("\r\033[K", stdout);
		o->line_open = 0;
	}
}

static const char *metric_source(const struct ar_config *c, char *buf, size_t n)
{
	double last = 0;

	if (ar_config_get_number(c, "metric.last_number", &last) == 0 && last)
		return "the last number the command prints";
	ar_error_clear();
	if (c->metric_command)
		snprintf(buf, n, "the output of `%s`", c->metric_command);
	else if (c->metric_expr)
		snprintf(buf, n, "%s", c->metric_expr);
	else if (c->metric_pattern)
		snprintf(buf, n, "the last log line matching /%s/", c->metric_pattern);
	else
		snprintf(buf, n, "the last `%s: <number>` line of the log",
		         c->metric_name ? c->metric_name : "?");
	return buf;
}

static void plan_limits(const struct ar_config *c, long max_run, double max_run_s)
{
	char *v;

	if (max_run > 0)
		printf("%ld experiments (--max), ", max_run);
	if (max_run_s > 0)
		printf("%.0f s (--for), ", max_run_s);
	if (c->max_experiments > 0)
		printf("max_experiments %ld, ", c->max_experiments);
	static const char *const keys[] = { "max_hours", "target", "plateau", "max_agent_cost" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if ((v = ar_config_get(c, keys[i])) != NULL) {
			printf("%s %s, ", keys[i], v);
			free(v);
		}
	printf("Ctrl-C\n");
}

void run_print_plan(struct run_out *o, const struct ar_workspace *ws,
                    const char *how, const char *session_line, long max_run,
                    double max_run_s)
{
	const struct ar_config *c = &ws->cfg;
	char buf[512];

	if (o->json) {
		json_t *e = json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s, s:s, s:f}", "event", "plan",
		                      "root", ws->root, "adapter",
		                      ws->adapter ? ws->adapter->ad.name : NULL, "run_command",
		                      c->run_command, "metric", c->metric_name, "direction",
		                      c->metric_direction == AR_HIGHER_IS_BETTER ? "higher" : "lower",
		                      "proposer", how, "time_budget_s", c->time_budget);
		json_event(e);
		return;
	}
	printf("ar: %s in %s\n", session_line, ws->root);
	printf("  adapter   %s\n", ws->detection.why ? ws->detection.why
	                       : ws->adapter ? ws->adapter->ad.name : "none");
	printf("  targets   ");
	list(&c->target_files, "(none: set target_files)");
	printf("  fixed     ");
	list(&c->fixed_files, "(none)");
	printf("  run       %s\n", c->run_command ? c->run_command : "(none: set run_command)");
	printf("  metric    %s, %s is better, from %s\n", c->metric_name ? c->metric_name : "?",
	       c->metric_direction == AR_HIGHER_IS_BETTER ? "higher" : "lower",
	       metric_source(c, buf, sizeof(buf)));
	printf("  budget    %g s per run (killed after %g s)\n", c->time_budget,
	       c->time_budget * c->timeout_multiplier);
	printf("  proposer  %s\n", how);
	printf("  stops at  ");
	plan_limits(c, max_run, max_run_s);
	fflush(stdout);
}

void run_print_note(struct run_out *o, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (o->json) {
		json_event(json_pack("{s:s, s:s}", "event", "note", "message", buf));
		return;
	}
	close_line(o);
	fprintf(stderr, "ar: %s\n", buf);
}

void run_print_result(struct run_out *o, const struct ar_result *r)
{
	if (o->json) {
		ar_buf b = AR_BUF_INIT;
		ar_ledger_json_row(&b, r);
		printf("{\"event\":\"result\",\"result\":%s}\n", b.ptr);
		fflush(stdout);
		ar_buf_release(&b);
		return;
	}
	close_line(o);
	printf("#%-3ld %.7s ", r->iteration, r->commit[0] ? r->commit : "-------");
	if (r->has_score)
		printf("%-10.6f", r->score);
	else
		printf("%-10s", "-");
	if (r->has_spread) /* repeated runs: their noise, and the test */
		printf(" ± %.4g", r->spread);
	if (r->has_p_value)
		printf(" (p=%.2g)", r->p_value);
	printf(" %-15s %s\n", r->status, r->description);
	if (r->reason)
		printf("       %s\n", r->reason);
	fflush(stdout);
}

/* The last line of the log, cut to fit the terminal line. */
static void log_last_line(const char *path, char *out, size_t n)
{
	char *tail = NULL, *end, *start;

	out[0] = '\0';
	if (!path || ar_file_tail(path, 4096, &tail) < 0) {
		ar_error_clear();
		return;
	}
	end = tail + strlen(tail);
	while (end > tail && strchr(" \t\r\n", end[-1]))
		end--;
	*end = '\0';
	start = end;
	while (start > tail && start[-1] != '\n' && start[-1] != '\r')
		start--;
	snprintf(out, n, "%s", start);
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < ' ')
			*p = ' ';
	free(tail);
}

static void running(struct run_out *o, const struct ar_loop_event *ev)
{
	char last[60];

	if (o->json) /* no progress events: one line per event that matters */
		return;
	if (!o->tty) {
		if (ev->elapsed == 0)
			printf("#%-3ld running (timeout %.0f s)\n", ev->iteration, ev->timeout);
		fflush(stdout);
		return;
	}
	log_last_line(ev->log_path, last, sizeof(last));
	printf("\r\033[K#%-3ld running %5.1fs / %.0fs  %s", ev->iteration, ev->elapsed,
	       ev->timeout, last);
	o->line_open = 1;
	fflush(stdout);
}

void run_print_event(const struct ar_loop_event *ev, void *payload)
{
	struct run_out *o = payload;

	switch (ev->kind) {
	case AR_LOOP_RUNNING:
		running(o, ev);
		break;
	case AR_LOOP_RESULT:
		run_print_result(o, ev->result);
		break;
	case AR_LOOP_NOTE:
		run_print_note(o, "%s", ev->message);
		break;
	case AR_LOOP_PROPOSING:
		if (o->json)
			json_event(json_pack("{s:s, s:I, s:s}", "event", "proposing", "iteration",
			                     (json_int_t)ev->iteration, "proposer", ev->message));
		else if (o->tty) {
			printf("\r\033[K#%-3ld %s is proposing...", ev->iteration, ev->message);
			o->line_open = 1;
			fflush(stdout);
		}
		break;
	case AR_LOOP_PROPOSED:
		if (o->json)
			json_event(json_pack("{s:s, s:I, s:s}", "event", "proposed", "iteration",
			                     (json_int_t)ev->iteration, "description", ev->message));
		else if (!o->tty)
			printf("#%-3ld proposed: %s\n", ev->iteration, ev->message);
		fflush(stdout);
		break;
	}
}

struct tally {
	long experiments, kept, discarded, crashed, other;
};

/* The counts of the closing summary, from summary.c (as `ar status`). */
static void count(const struct ar_summary *sum, struct tally *t)
{
	t->kept = (long)ar_summary_count(sum, AR_ST_KEEP);
	t->discarded = (long)ar_summary_count(sum, AR_ST_DISCARD);
	t->crashed = (long)ar_summary_count(sum, AR_ST_CRASH);
	t->experiments = (long)(sum->n - ar_summary_count(sum, AR_ST_BASELINE));
	t->other = t->experiments - t->kept - t->discarded - t->crashed;
}

/* Kept experiments, largest improvement first (at most 5 printed). */
static void top_improvements(const struct ar_result *r, size_t n, int dir)
{
	size_t *idx = ar_xcalloc(n + 1, sizeof(*idx)), k = 0;

	for (size_t i = 0; i < n; i++)
		if (!strcmp(r[i].status, AR_ST_KEEP) && r[i].has_score)
			idx[k++] = i;
	for (size_t i = 1; i < k; i++) /* insertion sort by gain */
		for (size_t j = i; j > 0; j--) {
			double a = r[idx[j]].delta * -dir, b = r[idx[j - 1]].delta * -dir;
			if (!(r[idx[j]].has_delta && (!r[idx[j - 1]].has_delta || a > b)))
				break;
			size_t t = idx[j];
			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
	if (k)
		printf("  top improvements:\n");
	for (size_t i = 0; i < k && i < 5; i++) {
		const struct ar_result *x = &r[idx[i]];
		printf("    %.7s — %s — %.6f", x->commit, x->description, x->score);
		if (x->has_delta)
			printf(" (%+.6f)", x->delta);
		putchar('\n');
	}
	free(idx);
}

/* The branch the session was created from (the ledger's header records
 * it), or NULL: where its branch is to be merged. */
static char *base_branch(const struct ar_session *s)
{
	struct ar_ledger_info info = AR_LEDGER_INFO_INIT;
	char *base = NULL;

	if (s->base_branch)
		return ar_xstrdup(s->base_branch);
	if (ar_ledger_read_header(s->ws->root, &info) == 0) {
		base = info.base_branch;
		info.base_branch = NULL;
	}
	ar_error_clear();
	ar_ledger_info_release(&info);
	return base;
}

static void summary_json(const struct ar_session *s, const struct ar_loop_summary *sum,
                         const struct tally *t, long base, long best,
                         const struct ar_result *r, const char *base_br)
{
	json_t *e = json_pack("{s:s, s:s?, s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "event", "stop",
	                      "reason", sum->stop_reason, "branch", s->branch,
	                      "experiments", (json_int_t)t->experiments, "kept",
	                      (json_int_t)t->kept, "discarded", (json_int_t)t->discarded,
	                      "crashed", (json_int_t)t->crashed, "other", (json_int_t)t->other,
	                      "this_run", (json_int_t)sum->experiments);
	json_object_set_new(e, "base_branch", base_br ? json_string(base_br) : json_null());
	json_object_set_new(e, "baseline", base >= 0 ? json_real(r[base].score) : json_null());
	json_object_set_new(e, "best", best >= 0 ? json_real(r[best].score) : json_null());
	json_object_set_new(e, "best_commit", best >= 0 ? json_string(r[best].commit) : json_null());
	json_object_set_new(e, "agent_cost_usd", sum->has_agent_cost ? json_real(sum->agent_cost)
	                                                               : json_null());
	json_event(e);
}

void run_print_summary(struct run_out *o, const struct ar_session *s,
                       const struct ar_loop_summary *sum)
{
	struct ar_result *r = NULL;
	struct ar_summary sm = AR_SUMMARY_INIT;
	size_t n = 0;
	char *warning = NULL;
	struct tally t;
	int dir = s->ws->cfg.metric_direction;
	char *base = base_branch(s);

	if (ar_ledger_read(s->ws->root, &r, &n, &warning) < 0)
		ar_error_clear();
	free(warning);
	ar_summary_compute(&sm, r, n, dir, s->has_baseline, s->baseline);
	count(&sm, &t);
	if (o->json) {
		summary_json(s, sum, &t, sm.baseline, sm.best, r, base);
		goto done;
	}
	close_line(o);
	printf("\n== ar stopped: %s\n", sum->stop_reason ? sum->stop_reason : "done");
	printf("  branch      %s (best commit %.7s)\n", s->branch, s->best_commit);
	printf("  experiments %ld: %ld kept, %ld discarded, %ld crashed, %ld other "
	       "(%ld in this run)\n", t.experiments, t.kept, t.discarded, t.crashed,
	       t.other, sum->experiments);
	if (sm.has_baseline && sm.best >= 0) {
		double d = r[sm.best].score - sm.baseline_value;
		printf("  metric      %s: baseline %.6f -> best %.6f (%+.6f", s->ws->cfg.metric_name,
		       sm.baseline_value, r[sm.best].score, d);
		if (sm.has_improvement_pct)
			printf(", %+.2f%%", d >= 0 ? fabs(sm.improvement_pct) : -fabs(sm.improvement_pct));
		printf(")\n");
	}
	if (sum->has_agent_cost)
		printf("  agent cost  $%.4f in this run\n", sum->agent_cost);
	top_improvements(r, n, dir == AR_HIGHER_IS_BETTER ? -1 : 1);
	if (base)
		printf("  to merge    git checkout %s && git merge %s\n", base, s->branch);
	else
		printf("  to merge    git merge %s   (from the branch you started on)\n",
		       s->branch);
	printf("  to resume   ar run\n");
	fflush(stdout);
done:
	free(base);
	ar_summary_release(&sm);
	ar_ledger_results_free(r, n);
}
