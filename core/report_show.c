/*
 * report_show.c - `ar show N`: one experiment in detail (its record, its
 * diff against its parent, the tail of its log), and `ar show N --apply`.
 */
#include "report.h"

#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"

#define DIFF_MAX_LINES 2000
#define LOG_TAIL_BYTES ((off_t)256 * 1024)

static const char *paint(int color, const char *code)
{
	return color ? code : "";
}

/*
 * The experiment's commit: the ledger's, else the ref that keeps it
 * (refs/autoresearch/<tag>/<N>).  0, or AR_ENOTFOUND with the message set.
 */
static int exp_commit(const struct ar_report *rep, ar_repo *repo, size_t i,
                      char out[AR_OID_HEX])
{
	const struct ar_result *r = &rep->r[i];
	char *ref = NULL;
	int err = AR_ENOTFOUND;

	if (r->commit[0] && ar_repo_resolve(repo, r->commit, out) == 0)
		return 0;
	if (rep->info.tag) {
		ref = ar_xprintf("refs/autoresearch/%s/%ld", rep->info.tag, r->iteration);
		err = ar_repo_resolve(repo, ref, out);
	}
	if (err < 0 && r->commit[0])
		err = ar_error_set(AR_ENOTFOUND, "commit %.7s of experiment #%ld is not in "
		                   "this repository (%s was deleted?)", r->commit,
		                   r->iteration, ref ? ref : "its ref");
	else if (err < 0)
		err = ar_error_set(AR_ENOTFOUND, "experiment #%ld has no commit (%s: "
		                   "nothing was committed)", r->iteration, r->status);
	free(ref);
	return err;
}

static int parent_of(ar_repo *repo, const char *oid, char out[AR_OID_HEX])
{
	char *spec = ar_xprintf("%s^", oid);
	int err = ar_repo_resolve(repo, spec, out);

	free(spec);
	if (err < 0)
		err = ar_error_set(AR_ENOTFOUND, "commit %.7s has no parent", oid);
	return err;
}

/* Repeated measurements: the samples, their spread, the comparison. */
static void samples(ar_buf *b, const struct ar_result *r)
{
	size_t k;

	if (r->nsamples) {
		ar_buf_printf(b, "  samples      %zu:", r->nsamples);
		for (k = 0; k < r->nsamples && k < 10; k++)
			ar_buf_printf(b, " %.6f", r->samples[k]);
		if (k < r->nsamples)
			ar_buf_adds(b, " ...");
		if (r->has_spread)
			ar_buf_printf(b, " (spread %.6f)", r->spread);
		ar_buf_addch(b, '\n');
	}
	if (r->has_p_value)
		ar_buf_printf(b, "  p-value      %.4f that it is not better than the best "
		              "(effect %+.6f)\n", r->p_value, r->effect);
}

static void fields(ar_buf *b, const struct ar_report *rep, const struct ar_result *r)
{
	ar_buf_printf(b, "  description  %s\n  %-12s ", r->description,
	              ar_report_metric(rep));
	if (r->has_score && isfinite(r->score))
		ar_buf_printf(b, "%.6f", r->score);
	else
		ar_buf_adds(b, "- (no metric)");
	if (r->has_delta && isfinite(r->delta))
		ar_buf_printf(b, "  (%+.6f against the best before it)", r->delta);
	ar_buf_printf(b, "\n  status       %s\n", r->status);
	samples(b, r);
	if (r->reason)
		ar_buf_printf(b, "  reason       %s\n", r->reason);
	ar_buf_adds(b, "  duration     ");
	ar_report_duration(b, r->duration_s);
	ar_buf_adds(b, " (cpu ");
	ar_report_duration(b, r->cpu_s);
	ar_buf_printf(b, "), exit status %d\n", r->exit_status);
	ar_buf_printf(b, "  memory       %.1f GB\n", isfinite(r->memory_gb) ? r->memory_gb : 0.0);
	if (r->has_guard)
		ar_buf_printf(b, "  guard        %.6f (%s)\n", r->guard_score,
		              r->guard_pass > 0 ? "passed" : r->guard_pass == 0 ? "failed" : "-");
	ar_buf_printf(b, "  lines        +%d -%d\n", r->lines_added, r->lines_removed);
	if (r->agent) {
		ar_buf_printf(b, "  agent        %s, ", r->agent);
		ar_report_duration(b, r->agent_s);
		if (r->has_agent_cost)
			ar_buf_printf(b, ", $%.4f", r->agent_cost_usd);
		ar_buf_addch(b, '\n');
	}
	if (r->timestamp)
		ar_buf_printf(b, "  when         %s\n", r->timestamp);
}

/* The diff text, coloured, cut after DIFF_MAX_LINES lines. */
static void add_diff(ar_buf *b, const char *diff, const char *oid, int color)
{
	const char *p = diff, *nl;
	size_t lines = 0, total = 0;

	for (nl = diff; (nl = strchr(nl, '\n')); nl++)
		total++;
	for (; *p && lines < DIFF_MAX_LINES; p = nl ? nl + 1 : p + strlen(p), lines++) {
		nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		const char *code = "";
		if (!strncmp(p, "+++", 3) || !strncmp(p, "---", 3) || !strncmp(p, "diff ", 5))
			code = "\033[1m";
		else if (*p == '+')
			code = "\033[32m";
		else if (*p == '-')
			code = "\033[31m";
		else if (!strncmp(p, "@@", 2))
			code = "\033[36m";
		ar_buf_adds(b, paint(color, code));
		ar_buf_add(b, p, len);
		ar_buf_printf(b, "%s\n", *code ? paint(color, "\033[0m") : "");
	}
	if (lines < total)
		ar_buf_printf(b, "... %zu more lines: git show %.12s\n", total - lines, oid);
}

static void show_diff(ar_buf *b, const struct ar_report *rep, ar_repo *repo,
                      size_t i, int color)
{
	const struct ar_result *r = &rep->r[i];
	char oid[AR_OID_HEX], parent[AR_OID_HEX], *diff = NULL;

	if (!strcmp(r->status, AR_ST_BASELINE)) {
		ar_buf_printf(b, "\nthe baseline: the unmodified code at commit %.7s\n",
		              r->commit[0] ? r->commit : "-------");
		return;
	}
	if (!repo) {
		ar_buf_adds(b, "\n(no diff: not inside a git repository)\n");
		return;
	}
	if (exp_commit(rep, repo, i, oid) < 0 || parent_of(repo, oid, parent) < 0 ||
	    ar_repo_diff_text(repo, parent, oid, &diff) < 0) {
		ar_buf_printf(b, "\n(no diff: %s)\n", ar_error_last());
		ar_error_clear();
		return;
	}
	ar_buf_printf(b, "\n%sdiff against its parent %.7s%s (commit %.7s):\n",
	              paint(color, "\033[1m"), parent, paint(color, "\033[0m"), oid);
	if (*diff)
		add_diff(b, diff, oid, color);
	else
		ar_buf_adds(b, "(no change)\n");
	free(diff);
}

/* The last `want` lines of the file's last LOG_TAIL_BYTES, control
 * characters made visible ('\r' as a line break). */
static int log_tail(ar_buf *b, const char *path, int want)
{
	struct stat st;
	off_t from;
	char *data;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), lines = 0;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	from = st.st_size > LOG_TAIL_BYTES ? st.st_size - LOG_TAIL_BYTES : 0;
	data = ar_xmalloc((size_t)(st.st_size - from) + 1);
	got = pread(fd, data, (size_t)(st.st_size - from), from);
	close(fd);
	got = got < 0 ? 0 : got;
	data[got] = '\0';
	for (ssize_t k = 0; k < got; k++)
		if (data[k] == '\r')
			data[k] = '\n';
		else if (((unsigned char)data[k] < 0x20 && data[k] != '\n' && data[k] != '\t') ||
		         data[k] == 0x7f)
			data[k] = '?';
	ssize_t k = got;
	while (k > 0 && data[k - 1] == '\n')
		k--;
	ssize_t end = k;
	while (k > 0 && lines < want)
		if (data[--k] == '\n' && ++lines == want)
			k++;
	if (end > k)
		ar_buf_add(b, data + k, (size_t)(end - k));
	if (end > k)
		ar_buf_addch(b, '\n');
	free(data);
	return 0;
}

static void show_log(ar_buf *b, const struct ar_report *rep, long iteration,
                     int want, int color)
{
	char *rel = ar_xprintf("%s/logs/%ld.log", AR_STATE_DIR, iteration);
	char *path = ar_path_join(rep->dir, rel);
	size_t before;

	ar_buf_printf(b, "\n%slog %s%s (last %d lines):\n", paint(color, "\033[1m"), rel,
	              paint(color, "\033[0m"), want);
	before = b->len;
	if (log_tail(b, path, want) < 0)
		ar_buf_printf(b, "(no log: %s does not exist; nothing ran, or the "
		              "logs were removed)\n", rel);
	else if (b->len == before)
		ar_buf_adds(b, "(empty)\n");
	free(path);
	free(rel);
}

void ar_report_show(ar_buf *b, const struct ar_report *rep, ar_repo *repo,
                    size_t i, int log_lines, int color)
{
	const struct ar_result *r = &rep->r[i];

	ar_buf_printf(b, "%sexperiment #%ld%s of %zu  %s%s%s", paint(color, "\033[1m"),
	              r->iteration, paint(color, "\033[0m"), rep->n,
	              ar_report_status_color(r->status, color), r->status,
	              paint(color, "\033[0m"));
	if (r->commit[0])
		ar_buf_printf(b, "  commit %.7s", r->commit);
	if (rep->sum.best == (long)i)
		ar_buf_adds(b, "  (the best)");
	ar_buf_addch(b, '\n');
	fields(b, rep, r);
	show_diff(b, rep, repo, i, color);
	if (log_lines > 0)
		show_log(b, rep, r->iteration, log_lines, color);
}

/* ---- --apply ------------------------------------------------------------------- */

/* AR_EDIRTY when target files (any tracked file when targets is empty)
 * have uncommitted changes. */
static int check_clean(ar_repo *repo, const ar_strvec *targets)
{
	ar_strvec changed = AR_STRVEC_INIT;
	ar_buf list = AR_BUF_INIT;
	size_t i, k = 0;
	int err = targets->n ? ar_repo_changed_paths(repo, &changed)
	                     : ar_repo_dirty_tracked(repo, &changed);

	for (i = 0; err == 0 && i < changed.n; i++)
		if (!targets->n || ar_glob_match_any(targets, changed.items[i]))
			ar_buf_printf(&list, "%s%s", k++ ? ", " : "", changed.items[i]);
	if (err == 0 && k)
		err = ar_error_set(AR_EDIRTY, "the target files have uncommitted "
		                   "changes (%s); record them with `ar step`, or undo "
		                   "them with `git checkout -- <file>`, then try again",
		                   list.ptr);
	ar_buf_release(&list);
	ar_strvec_release(&changed);
	return err;
}

int ar_report_apply(const struct ar_report *rep, ar_repo *repo, size_t i,
                    const ar_strvec *targets, ar_strvec *changed)
{
	const struct ar_result *r = &rep->r[i];
	char oid[AR_OID_HEX], parent[AR_OID_HEX];
	int err;

	if (!strcmp(r->status, AR_ST_BASELINE))
		return ar_error_set(AR_EUSAGE, "experiment #%ld is the baseline: it "
		                    "changed nothing, so there is nothing to apply",
		                    r->iteration);
	if ((err = exp_commit(rep, repo, i, oid)) < 0 ||
	    (err = parent_of(repo, oid, parent)) < 0 ||
	    (err = check_clean(repo, targets)) < 0)
		return err;
	err = ar_repo_apply_workdir(repo, parent, oid, targets, changed);
	if (err < 0) {
		char *why = ar_xstrdup(ar_error_last());
		err = ar_error_set(err, "experiment #%ld's change does not apply on top "
		                   "of the current code (%s): later experiments changed the "
		                   "same lines or the lines around them; nothing was "
		                   "written; `ar show %ld` shows the change to redo by hand",
		                   r->iteration, why, r->iteration);
		free(why);
	}
	return err;
}
