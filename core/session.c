/*
 * session.c - a session's life outside one experiment: `ar init`, opening
 * the session of the checked-out branch, the state file, and recovery of an
 * experiment that was interrupted half-way.
 *
 * .autoresearch/state is a small line-oriented file, rewritten atomically:
 *   fixed <blob-hex> <path>          content hash of a fixed file at baseline
 *   pending <N> <best-commit> <exp-commit or ->   an experiment in flight
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "engine.h"
#include "engine_repeat.h"
#include "session_state.h"

static const char *const ar_excludes[] = {
	"/" AR_LEDGER_TSV, "/" AR_LEDGER_JSONL, "/" AR_LEDGER_DASHBOARD,
	"/run.log", "/" AR_STATE_DIR "/",
};

char *ar_session_default_tag(ar_repo *repo)
{
	static const char *months[] = { "jan", "feb", "mar", "apr", "may", "jun",
	                                "jul", "aug", "sep", "oct", "nov", "dec" };
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	char *base = ar_xprintf("%s%d", months[tm.tm_mon], tm.tm_mday);
	char *tag = ar_xstrdup(base);

	for (int i = 2; i < 1000; i++) {
		char *branch = ar_xprintf("autoresearch/%s", tag);
		int exists = ar_repo_branch_exists(repo, branch);
		free(branch);
		if (exists <= 0)
			break;
		free(tag);
		tag = ar_xprintf("%s-%d", base, i);
	}
	free(base);
	return tag;
}

static void ledger_header(struct ar_session *s, struct ar_ledger_header *h)
{
	const struct ar_config *c = &s->ws->cfg;
	memset(h, 0, sizeof(*h));
	h->tag = s->tag;
	h->branch = s->branch;
	h->base_branch = s->base_branch;
	h->adapter = s->ws->adapter ? s->ws->adapter->ad.name : "none";
	h->target_files = &c->target_files;
	h->fixed_files = &c->fixed_files;
	h->run_command = c->run_command;
	h->metric_name = c->metric_name;
	h->direction = c->metric_direction;
	if (!s->guard_names && c->nguards) {
		s->guard_names = ar_xcalloc(c->nguards, sizeof(*s->guard_names));
		for (size_t i = 0; i < c->nguards; i++)
			s->guard_names[i] = c->guards[i].name;
	}
	h->guard_names = s->guard_names;
	h->nguards = c->nguards;
	h->has_baseline = s->has_baseline;
	h->baseline = s->baseline;
}

void ar_session_ledger_header(struct ar_session *s, struct ar_ledger_header *h)
{
	ledger_header(s, h);
}

/* `watch`: whether the scans of experiments ask the work tree watcher. */
static void set_watch(struct ar_workspace *ws)
{
	char *v = ar_config_get(&ws->cfg, "watch");
	int mode = AR_REPO_WATCH_AUTO;

	if (v && !strcmp(v, "true"))
		mode = AR_REPO_WATCH_ON;
	else if (v && !strcmp(v, "false"))
		mode = AR_REPO_WATCH_OFF;
	ar_repo_set_watch(ws->repo, mode);
	free(v);
}

static int refuse_dirty(ar_repo *repo)
{
	ar_strvec dirty = AR_STRVEC_INIT;
	ar_buf msg = AR_BUF_INIT;
	int err = ar_repo_dirty_tracked(repo, &dirty);

	if (err < 0)
		return err;
	if (dirty.n) {
		ar_buf_adds(&msg, "tracked files have uncommitted changes; commit or "
		                  "stash them first (ar never commits, resets or "
		                  "overwrites your own work):");
		for (size_t i = 0; i < dirty.n && i < 20; i++)
			ar_buf_printf(&msg, "\n\t%s", dirty.items[i]);
		if (dirty.n > 20)
			ar_buf_printf(&msg, "\n\t... and %zu more", dirty.n - 20);
		err = ar_error_set(AR_EDIRTY, "%s", msg.ptr);
	}
	ar_buf_release(&msg);
	ar_strvec_release(&dirty);
	return err;
}

/* Pick the tag and switch to its branch, creating it when needed. */
static int enter_branch(struct ar_session *s, const char *tag, int *resumed)
{
	ar_repo *repo = s->ws->repo;
	char *current = NULL;
	int err = ar_repo_current_branch(repo, &current);

	if (err < 0)
		return err;
	if (!tag && !strncmp(current, "autoresearch/", 13))
		s->tag = ar_xstrdup(current + 13);
	else
		s->tag = tag ? ar_xstrdup(tag) : ar_session_default_tag(repo);
	s->branch = ar_xprintf("autoresearch/%s", s->tag);
	*resumed = ar_repo_branch_exists(repo, s->branch) > 0;
	if (!strcmp(current, s->branch))
		err = 0;
	else if (*resumed)
		err = ar_repo_branch_checkout(repo, s->branch);
	else if ((err = ar_repo_branch_create(repo, s->branch)) == 0) {
		s->base_branch = current; /* where the merge hint points */
		current = NULL;
	}
	free(current);
	return err;
}

int ar_session_init(struct ar_session *s, struct ar_workspace *ws,
                    const char *tag, int *resumed)
{
	struct ar_ledger_header h;
	char *logs = NULL;
	int err;

	memset(s, 0, sizeof(*s));
	s->ws = ws;
	if (!ws->repo)
		return ar_error_set(AR_ENOREPO, "not a git repository: %s", ws->root);
	if ((err = refuse_dirty(ws->repo)) < 0)
		return err;
	if ((err = enter_branch(s, tag, resumed)) < 0)
		return err;
	err = ar_repo_exclude_add(ws->repo, ar_excludes,
	                          sizeof(ar_excludes) / sizeof(ar_excludes[0]));
	if (err < 0)
		return err;
	s->state_dir = ar_path_join(ws->root, AR_STATE_DIR);
	logs = ar_path_join(s->state_dir, "logs");
	err = ar_mkdir_p(logs);
	free(logs);
	if (err < 0)
		return err;
	if (*resumed)
		return ar_session_open(s, ws);
	if ((err = ar_repo_head(ws->repo, s->best_commit)) < 0)
		return err;
	ledger_header(s, &h);
	return ar_ledger_create(ws->root, &h);
}

static int is_best_status(const char *st)
{
	return !strcmp(st, AR_ST_BASELINE) || !strcmp(st, AR_ST_KEEP);
}

/* Baseline, best and numbering from the ledger. */
static int load_ledger(struct ar_session *s)
{
	struct ar_result *r = NULL;
	size_t n = 0;
	char *warning = NULL;
	int err = ar_ledger_read(s->ws->root, &r, &n, &warning);

	if (err < 0)
		return err;
	ar_ledger_results_free(s->rows, s->nrows);
	s->rows = r;
	s->nrows = n;
	if (warning) {
		ar_strvec_push(&s->notes, warning);
		free(warning);
	}
	for (size_t i = 0; i < n; i++) {
		if (r[i].iteration > s->last_iteration)
			s->last_iteration = r[i].iteration;
		if (!r[i].has_score || !is_best_status(r[i].status))
			continue;
		if (!strcmp(r[i].status, AR_ST_BASELINE)) {
			s->has_baseline = 1;
			s->baseline = r[i].score;
			ar_session_take_values(s, &r[i]);
		}
		s->has_best = 1;
		s->best = r[i].score;
		s->best_iteration = r[i].iteration;
		ar_best_samples_set(s, r[i].samples, r[i].nsamples, r[i].score,
		                    r[i].iteration);
	}
	return 0;
}

int ar_session_open(struct ar_session *s, struct ar_workspace *ws)
{
	char *current = NULL;
	int err;

	if (!s->ws) {
		memset(s, 0, sizeof(*s));
		s->ws = ws;
	}
	if (!ws->repo)
		return ar_error_set(AR_ENOREPO, "not a git repository: %s", ws->root);
	set_watch(ws);
	if ((err = ar_repo_current_branch(ws->repo, &current)) < 0)
		return err;
	if (strncmp(current, "autoresearch/", 13)) {
		err = ar_error_set(AR_EUSAGE, "not on an ar session branch (on '%s'); "
		                   "run `ar init` first, or check out an "
		                   "autoresearch/<tag> branch", current);
		free(current);
		return err;
	}
	if (!s->tag) {
		s->tag = ar_xstrdup(current + 13);
		s->branch = current;
	} else {
		free(current);
	}
	if (!s->state_dir)
		s->state_dir = ar_path_join(ws->root, AR_STATE_DIR);
	if ((err = ar_session_state_load(s)) < 0)
		return err;
	if ((err = load_ledger(s)) < 0)
		return err;
	if ((err = ar_repo_head(ws->repo, s->best_commit)) < 0)
		return err;
	if ((err = ar_session_recover(s)) < 0)
		return err;
	return ar_best_samples_load(s);
}

void ar_session_release(struct ar_session *s)
{
	free(s->tag);
	free(s->branch);
	free(s->base_branch);
	free(s->state_dir);
	for (size_t i = 0; i < s->nbaseline_values; i++)
		free(s->baseline_values[i].name);
	free(s->baseline_values);
	ar_strvec_release(&s->fixed_paths);
	ar_strvec_release(&s->fixed_hashes);
	ar_strvec_release(&s->notes);
	ar_session_state_release(s);
	free(s->guard_names);
	free(s->best_samples);
	ar_ledger_results_free(s->rows, s->nrows);
	memset(s, 0, sizeof(*s));
}
