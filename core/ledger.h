/*
 * ledger.h - the record of a session: results.tsv (karpathy's layout),
 * autoresearch.jsonl (a config header line, then one result per experiment)
 * and autoresearch_dashboard.md.  Appends are fsync'd; the dashboard is
 * written to a temporary file and renamed.
 */
#ifndef AR_LEDGER_H
#define AR_LEDGER_H

#include <stddef.h>
#include "util.h"

#define AR_LEDGER_TSV "results.tsv"
#define AR_LEDGER_JSONL "autoresearch.jsonl"
#define AR_LEDGER_DASHBOARD "autoresearch_dashboard.md"
/* The dashboard's table lists at most this many experiments, the latest. */
#define AR_DASHBOARD_ROWS 50

/* Status words, exactly as written in both files. */
#define AR_ST_BASELINE "baseline"
#define AR_ST_KEEP "keep"
#define AR_ST_DISCARD "discard"
#define AR_ST_CRASH "crash"
#define AR_ST_GUARD_FAIL "guard_fail"
#define AR_ST_CHECKS_FAILED "checks_failed"
#define AR_ST_SCOPE_VIOLATION "scope_violation"
#define AR_ST_NO_CHANGE "no_change"
#define AR_ST_INTERRUPTED "interrupted"

struct ar_value {
	char *name;
	double value;
	int has_value;
};

struct ar_result {
	long iteration;         /* 1-based experiment number */
	char commit[41];        /* full hex id, "" when none was made */
	int has_score;          /* 0: null in JSONL, 0.000000 in TSV */
	double score;
	int has_delta;
	double delta;           /* score - best before this experiment */
	int has_guard;
	double guard_score;
	int guard_pass;         /* 1/0; -1 when no guard */
	char *status;           /* one of AR_ST_* */
	char *description;
	char *reason;           /* crash/violation reason, NULL when none */
	double memory_gb;
	double duration_s;
	double cpu_s;
	int exit_status;
	char *timestamp;        /* ISO 8601 UTC, filled by ar_ledger_append if NULL */
	struct ar_value *values; /* composite metric parts */
	size_t nvalues;
	int lines_added, lines_removed;
	char *agent;            /* the proposer that made it, NULL for `ar step` */
	int has_agent_cost;     /* the proposer reported its cost */
	double agent_cost_usd;
	double agent_s;         /* the proposer's wall time; 0 when none */
	/* Repeated runs (repeats: k or auto; stats.h).  NULL/0 with repeats: 1,
	 * and then none of these is written. */
	double *samples;        /* every run's metric; score is their aggregate */
	size_t nsamples;
	int has_spread;         /* two samples or more */
	double spread;          /* their standard deviation */
	int has_p_value;        /* compared with the best by Welch's t-test */
	double p_value;         /* one-sided: "not better than the best" */
	double effect;          /* improvement over the best, metric units, > 0 better */
	double *best_samples;   /* the best's samples it was compared with */
	size_t nbest_samples;
};

void ar_result_release(struct ar_result *r);
/* *dst becomes a deep copy of *src (dst is overwritten, not released). */
void ar_result_copy(struct ar_result *dst, const struct ar_result *src);

struct ar_ledger_header {
	const char *tag;
	const char *branch;
	const char *base_branch; /* the branch it started from; NULL: keep the file's */
	const char *adapter;
	const ar_strvec *target_files;
	const ar_strvec *fixed_files;
	const char *run_command;
	const char *metric_name;
	int direction;
	const char *const *guard_names;
	size_t nguards;
	int has_baseline;
	double baseline;
};

/*
 * Create results.tsv (header) and autoresearch.jsonl (config line) in dir
 * when absent.  Existing files are left as they are.
 */
int ar_ledger_create(const char *dir, const struct ar_ledger_header *h);

/*
 * Rewrite the config line (line 1) of autoresearch.jsonl from h, keeping its
 * created_at and every result line; atomic (temporary file + rename).  Used
 * once, when the baseline becomes known.
 */
int ar_ledger_update_header(const char *dir, const struct ar_ledger_header *h);

/* Append one result to both files (the JSONL fsync'd, then the TSV); fills
 * r->timestamp when it is NULL. */
int ar_ledger_append(const char *dir, const char *metric_name,
                     struct ar_result *r);

/*
 * Read every result from autoresearch.jsonl.  A truncated or malformed last
 * line is skipped and reported through *warning (caller-owned, may be NULL).
 * *out is an array the caller frees with ar_ledger_results_free.
 */
int ar_ledger_read(const char *dir, struct ar_result **out, size_t *n,
                   char **warning);
void ar_ledger_results_free(struct ar_result *r, size_t n);

/*
 * Repair results.tsv so it has exactly the rows r[0..n) read from the JSONL
 * (the JSONL is the source of truth; the TSV is appended second and not
 * fsync'd, so a kill or a power cut can leave it short).
 */
int ar_ledger_sync_tsv(const char *dir, const char *metric_name,
                       const struct ar_result *r, size_t n);

/* Rewrite autoresearch_dashboard.md from the results: the summary of all
 * of them, and a table of the last AR_DASHBOARD_ROWS. */
int ar_ledger_dashboard(const char *dir, const struct ar_ledger_header *h,
                        const struct ar_result *r, size_t n);

/* Format helpers shared with the reporting commands. */
/* One TSV row (with trailing newline) into b. */
void ar_ledger_tsv_row(ar_buf *b, const struct ar_result *r);
/* One JSON object (no newline) for r, into b. */
void ar_ledger_json_row(ar_buf *b, const struct ar_result *r);

/*
 * The config line of autoresearch.jsonl, read back.  Every field is owned
 * (release with ar_ledger_info_release); strings are NULL when the line had
 * null or lacked the key.
 */
struct ar_ledger_info {
	char *tag;
	char *branch;
	char *base_branch;      /* the branch the session started from */
	char *adapter;
	char *run_command;
	char *metric_name;
	int direction;          /* AR_LOWER_IS_BETTER / AR_HIGHER_IS_BETTER */
	ar_strvec target_files;
	ar_strvec fixed_files;
	ar_strvec guards;       /* guard names */
	int has_baseline;       /* the config line's baseline (often null) */
	double baseline;
	char *created_at;
};
#define AR_LEDGER_INFO_INIT { NULL, NULL, NULL, NULL, NULL, NULL, 0, \
	AR_STRVEC_INIT, AR_STRVEC_INIT, AR_STRVEC_INIT, 0, 0.0, NULL }

/*
 * Read the config line (the first non-blank line) of dir/autoresearch.jsonl
 * into *out, which must be AR_LEDGER_INFO_INIT or released.  AR_ENOTFOUND
 * when the file is absent or has no config line; AR_ERROR when the line is
 * malformed.  On failure *out is left released.
 */
int ar_ledger_read_header(const char *dir, struct ar_ledger_info *out);
void ar_ledger_info_release(struct ar_ledger_info *info);
/* A header borrowing info's strings, e.g. for ar_ledger_dashboard. */
void ar_ledger_info_header(struct ar_ledger_header *out,
                           const struct ar_ledger_info *info);

/*
 * Index of the best result: among rows with status baseline or keep and a
 * score, the lowest (AR_LOWER_IS_BETTER) or highest score; the earliest wins
 * a tie.  -1 when there is none.
 */
long ar_ledger_best(const struct ar_result *r, size_t n, int direction);
/* Index of the first baseline row with a score; -1 when there is none. */
long ar_ledger_baseline(const struct ar_result *r, size_t n);

#endif
