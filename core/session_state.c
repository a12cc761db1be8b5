/*
 * session_state.c - the state file (.autoresearch/state) and recovery of an
 * experiment interrupted half-way (see session.c for the format).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "session_state.h"

static char *state_path(struct ar_session *s)
{
	return ar_path_join(s->state_dir, "state");
}

void ar_session_state_release(struct ar_session *s)
{
	if (!s->pending)
		return;
	ar_strvec_release(&s->pending->paths);
	free(s->pending->description);
	free(s->pending);
	s->pending = NULL;
}

static void parse_line(struct ar_session *s, char *line)
{
	struct ar_pending *p = s->pending;
	char *sp;
	if (!strncmp(line, "fixed ", 6) && (sp = strchr(line + 6, ' '))) {
		*sp = '\0';
		ar_strvec_push(&s->fixed_hashes, line + 6);
		ar_strvec_push(&s->fixed_paths, sp + 1);
	} else if (!strncmp(line, "pending ", 8)) {
		char best[64] = "", exp[64] = "";
		long n = 0;
		if (sscanf(line + 8, "%ld %63s %63s", &n, best, exp) == 3 &&
		    strlen(best) == 40) {
			p->iteration = n;
			memcpy(p->best_commit, best, 41);
			if (strlen(exp) == 40)
				memcpy(p->exp_commit, exp, 41);
		}
	} else if (!strncmp(line, "path ", 5)) {
		ar_strvec_push(&p->paths, line + 5);
	} else if (!strncmp(line, "description ", 12)) {
		free(p->description);
		p->description = ar_xstrdup(line + 12);
	}
}

int ar_session_state_load(struct ar_session *s)
{
	char *path = state_path(s), *data = NULL, *line, *save = NULL;
	int err = ar_file_read(path, 16 << 20, &data, NULL);

	ar_session_state_release(s);
	s->pending = ar_xcalloc(1, sizeof(*s->pending));
	free(path);
	if (err == AR_ENOTFOUND) {
		ar_error_clear();
		return 0;
	}
	if (err < 0)
		return err;
	for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		parse_line(s, line);
	free(data);
	return 0;
}

int ar_session_state_save(struct ar_session *s, const struct ar_pending *p,
                          enum ar_sync sync)
{
	ar_buf b = AR_BUF_INIT;
	char *path = state_path(s);
	int err;

	ar_buf_adds(&b, "# ar session state; do not edit\n");
	for (size_t i = 0; i < s->fixed_paths.n; i++)
		ar_buf_printf(&b, "fixed %s %s\n", s->fixed_hashes.items[i],
		              s->fixed_paths.items[i]);
	if (p && p->iteration > 0) {
		ar_buf_printf(&b, "pending %ld %s %s\n", p->iteration, p->best_commit,
		              p->exp_commit[0] ? p->exp_commit : "-");
		for (size_t i = 0; i < p->paths.n; i++)
			ar_buf_printf(&b, "path %s\n", p->paths.items[i]);
		if (p->description) {
			ar_buf_adds(&b, "description ");
			for (const char *c = p->description; *c; c++)
				ar_buf_addch(&b, *c == '\n' || *c == '\r' ? ' ' : *c);
			ar_buf_addch(&b, '\n');
		}
	}
	err = ar_file_write_atomic(path, b.ptr, b.len, sync);
	ar_buf_release(&b);
	free(path);
	return err;
}

void ar_session_take_values(struct ar_session *s, const struct ar_result *r)
{
	for (size_t i = 0; i < s->nbaseline_values; i++)
		free(s->baseline_values[i].name);
	free(s->baseline_values);
	s->baseline_values = NULL;
	s->nbaseline_values = r->nvalues;
	if (!r->nvalues)
		return;
	s->baseline_values = ar_xcalloc(r->nvalues, sizeof(struct ar_value));
	for (size_t i = 0; i < r->nvalues; i++) {
		s->baseline_values[i] = r->values[i];
		s->baseline_values[i].name = ar_xstrdup(r->values[i].name);
	}
}

int ar_session_log(struct ar_session *s, struct ar_result *r)
{
	struct ar_ledger_header h;
	int err = ar_ledger_append(s->ws->root, s->ws->cfg.metric_name, r);

	if (err < 0)
		return err;
	s->rows = ar_xrealloc(s->rows, (s->nrows + 1) * sizeof(*s->rows));
	ar_result_copy(&s->rows[s->nrows++], r);
	ar_session_ledger_header(s, &h);
	err = ar_ledger_dashboard(s->ws->root, &h, s->rows, s->nrows);
	if (err < 0) { /* recorded all the same: the dashboard is only a view */
		ar_strvec_pushf(&s->notes, "could not update %s: %s",
		                AR_LEDGER_DASHBOARD, ar_error_last());
		ar_error_clear();
		err = 0;
	}
	return err;
}

/* Log experiment p->iteration as interrupted (its commit is kept). */
static int log_interrupted(struct ar_session *s, const struct ar_pending *p)
{
	struct ar_result r;
	int err;

	memset(&r, 0, sizeof(r));
	r.iteration = p->iteration;
	memcpy(r.commit, p->exp_commit, 41);
	r.status = ar_xstrdup(AR_ST_INTERRUPTED);
	r.description = p->description ? ar_xstrdup(p->description)
	                : ar_xprintf("experiment #%ld", p->iteration);
	r.reason = ar_xstrdup("interrupted: ar stopped during the experiment; "
	                      "rolled back to the best commit on restart");
	r.guard_pass = -1;
	err = ar_session_log(s, &r);
	ar_result_release(&r);
	if (err == 0)
		ar_strvec_pushf(&s->notes, "experiment #%ld was interrupted; recorded "
		                "it and rolled back to the best commit", p->iteration);
	return err;
}

/* Target files edited again after the kill: a new change to keep. */
struct edit {
	char *path;    /* absolute */
	char *data;
	size_t len;
	mode_t mode;
};

/* The paths of p whose work-tree content differs from the experiment's
 * commit (edited since the kill); they survive the rollback.  *out and
 * *n are the caller's: free_edits. */
static void save_edits(struct ar_session *s, const struct ar_pending *p,
                       struct edit **out, size_t *n)
{
	for (size_t i = 0; i < p->paths.n; i++) {
		struct edit e = { ar_path_join(s->ws->root, p->paths.items[i]), NULL, 0, 0 };
		char *then = NULL;
		size_t tlen = 0;
		struct stat st;
		int same = lstat(e.path, &st) < 0 || !S_ISREG(st.st_mode) ||
		           ar_file_read(e.path, (size_t)1 << 30, &e.data, &e.len) < 0;
		if (!same && ar_repo_blob(s->ws->repo, p->exp_commit, p->paths.items[i],
		                          &then, &tlen) == 0)
			same = tlen == e.len && !memcmp(then, e.data, tlen);
		free(then);
		ar_error_clear();
		if (same) {
			free(e.path);
			free(e.data);
			continue;
		}
		e.mode = st.st_mode & 07777;
		*out = ar_xrealloc(*out, (*n + 1) * sizeof(**out));
		(*out)[(*n)++] = e;
		ar_strvec_pushf(&s->notes, "kept %s as edited after the interruption",
		                p->paths.items[i]);
	}
}

static int restore_edits(struct edit *e, size_t n)
{
	int err = 0;
	for (size_t i = 0; i < n && err == 0; i++)
		if ((err = ar_file_write_atomic(e[i].path, e[i].data, e[i].len, AR_DURABLE)) == 0)
			chmod(e[i].path, e[i].mode);
	return err;
}

static void free_edits(struct edit *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].path);
		free(e[i].data);
	}
	free(e);
}

/* Back to the best commit, keeping what was edited since the kill. */
static int roll_back(struct ar_session *s, const struct ar_pending *p)
{
	struct edit *edits = NULL;
	size_t n = 0;
	int err;

	save_edits(s, p, &edits, &n);
	err = ar_repo_reset_paths(s->ws->repo, p->best_commit, &p->paths);
	if (err == 0)
		err = restore_edits(edits, n);
	free_edits(edits, n);
	return err;
}

/*
 * Bring the branch and the ledger back to a consistent state after a kill.
 * The branch tip must be the best commit; an experiment that ran but was not
 * logged is logged as interrupted; its commit stays under refs/autoresearch.
 */
int ar_session_recover(struct ar_session *s)
{
	struct ar_pending *p = s->pending;
	ar_repo *repo = s->ws->repo;
	char head[41];
	int err = 0, logged;

	if (!p || p->iteration <= 0)
		goto sync;
	if ((err = ar_repo_head(repo, head)) < 0)
		goto done;
	if (!p->exp_commit[0] && strcmp(head, p->best_commit))
		memcpy(p->exp_commit, head, 41); /* committed, then killed */
	logged = s->last_iteration >= p->iteration;
	if (p->exp_commit[0]) {
		char *ref = ar_xprintf("refs/autoresearch/%s/%ld", s->tag, p->iteration);
		err = ar_repo_ref_set(repo, ref, p->exp_commit, "ar: experiment");
		free(ref);
		if (err < 0)
			goto done;
	}
	/* Unless the experiment became the best, restore the best commit. */
	if (p->exp_commit[0] && (!logged || strcmp(head, p->exp_commit) ||
	    !s->has_best || s->best_iteration != p->iteration)) {
		if ((err = roll_back(s, p)) < 0)
			goto done;
		memcpy(s->best_commit, p->best_commit, 41);
	}
	if (!logged && p->exp_commit[0]) {
		if ((err = log_interrupted(s, p)) < 0)
			goto done;
		s->last_iteration = p->iteration;
	}
	if ((err = ar_session_state_save(s, NULL, AR_DURABLE)) < 0)
		goto done;
sync:
	err = ar_ledger_sync_tsv(s->ws->root, s->ws->cfg.metric_name, s->rows,
	                         s->nrows);
done:
	ar_session_state_release(s);
	return err;
}
