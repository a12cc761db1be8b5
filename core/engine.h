/*
 * engine.h - one experiment, end to end: scope check, commit, run, measure,
 * decide, keep or revert, log.  `ar step`, `ar baseline` and the loop all
 * call ar_engine_step; there is no other copy of this logic.
 *
 * A session lives on branch autoresearch/<tag>.  Its invariant: the branch
 * tip is the best commit.  Every experiment's commit stays reachable as
 * refs/autoresearch/<tag>/<N>.  State that must survive a kill is in
 * .autoresearch/state (fixed-file hashes, the experiment in flight), and the
 * ledger (autoresearch.jsonl) is the source of truth for what happened.
 */
#ifndef AR_ENGINE_H
#define AR_ENGINE_H

#include <signal.h>
#include "ledger.h"
#include "workspace.h"

#define AR_STATE_DIR ".autoresearch"

struct ar_session {
	struct ar_workspace *ws;     /* borrowed */
	char *tag;
	char *branch;                /* autoresearch/<tag> */
	char *base_branch;           /* the branch it was created from, or NULL */
	char *state_dir;             /* <root>/.autoresearch */
	long last_iteration;
	int has_baseline;
	double baseline;
	int has_best;
	double best;
	long best_iteration;
	char best_commit[41];
	struct ar_value *baseline_values; /* guard values of the baseline */
	size_t nbaseline_values;
	ar_strvec fixed_paths;       /* recorded at baseline */
	ar_strvec fixed_hashes;
	ar_strvec notes;             /* what recovery did, for the caller to print */
	volatile sig_atomic_t *interrupt; /* set by a signal handler, or NULL */
	struct ar_pending *pending;  /* read from the state file; session_state.c */
	const char **guard_names;    /* borrowed from the config, for the ledger */
	/* The best's samples, for decisions under noise (engine_repeat.h):
	 * its ledger row's "samples" (or its score), refreshed by re-running
	 * it.  best_refreshed: iteration of the best or of the last refresh. */
	double *best_samples;
	size_t nbest_samples;
	long best_refreshed;
	/* The ledger as read when the session opened, and every result it
	 * logged since: read once, not again at every step. */
	struct ar_result *rows;
	size_t nrows;
};

/* The default tag for today: "nov23", or "nov23-2"... when taken. */
char *ar_session_default_tag(ar_repo *repo);

/*
 * `ar init`: create autoresearch/<tag> from HEAD and check it out, or resume
 * it when it exists.  Refuses (AR_EDIRTY, listing the files) when tracked
 * files have uncommitted changes.  Creates the ledger, excludes ar's files
 * through .git/info/exclude.  *resumed tells which happened.
 */
int ar_session_init(struct ar_session *s, struct ar_workspace *ws,
                    const char *tag, int *resumed);
/*
 * Open the session of the checked-out branch (autoresearch/<tag>) and
 * recover: finish or roll back an experiment interrupted half-way.
 */
int ar_session_open(struct ar_session *s, struct ar_workspace *ws);
void ar_session_release(struct ar_session *s);

struct ar_step_opts {
	unsigned int version;
	const char *description;
	int baseline;          /* `ar baseline`: run the tip as the baseline */
	int force;             /* with baseline: even when one exists */
	int record_no_change;  /* the loop records "nothing changed" attempts */
	/* Why nothing changed, when the caller knows better than "no change
	 * to the target files" (e.g. "agent `claude` exited 1"). */
	const char *no_change_reason;
	/* The proposer that made the change, for the ledger (NULL: none). */
	const char *agent;
	int has_agent_cost;
	double agent_cost_usd;
	double agent_s;
	/* Called when the run starts and about every 0.5 s (may be NULL). */
	void (*progress)(long iteration, double elapsed, double timeout,
	                 const char *log_path, void *payload);
	void *payload;
};
#define AR_STEP_OPTS_VERSION 1
#define AR_STEP_OPTS_INIT { AR_STEP_OPTS_VERSION, NULL, 0, 0, 0, NULL, NULL, \
                            0, 0.0, 0.0, NULL, NULL }

/* AR_EUSAGE, saying which key to set, when there is no run command or no
 * metric (what running anything needs; experiments need target files too). */
int ar_engine_need_run_config(const struct ar_config *c);

/* Returned (positive) when nothing was run because nothing changed. */
#define AR_STEP_NO_CHANGE 1

/*
 * Run one experiment.  0: recorded (any verdict) and *out filled;
 * AR_STEP_NO_CHANGE: no change in the target files (recorded only with
 * record_no_change); negative: ar could not run it (message set).
 * out->reason holds a crash/violation reason; `warnings` receives notes such
 * as out-of-scope files left out of the commit.
 */
int ar_engine_step(struct ar_session *s, const struct ar_step_opts *o,
                   struct ar_result *out, ar_strvec *warnings);

/* The pure decision (decide.c), unit-tested on its own. */
struct ar_decision_in {
	int crashed;             /* exit != 0, timeout, or no metric */
	int guard_failed;
	int checks_failed;       /* only consulted when the result would keep */
	int is_baseline;
	int has_best;
	double best, score;
	int direction;           /* AR_LOWER_IS_BETTER / AR_HIGHER_IS_BETTER */
	double min_delta;
	int min_delta_relative;
	int net_lines;           /* lines added - removed vs the best commit */
	/* Under noise (repeats: k or auto): score and best are aggregates of
	 * samples, and a keep also needs Welch's test (stats.h) to reject
	 * "not better" at alpha: p_value <= alpha. */
	int use_test;
	double p_value;
	double alpha;
};
/* One of the AR_ST_* status words.  Also says whether checks must run. */
const char *ar_decide(const struct ar_decision_in *in);
/* 1 when the candidate would be kept, before checks. */
int ar_decide_would_keep(const struct ar_decision_in *in);

#endif
