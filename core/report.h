/*
 * report.h - what the reporting commands show (`ar status`, `ar results`,
 * `ar show`, `ar analyze`, `ar plot`), built as text into an ar_buf.
 * Nothing here prints; the cmd_*.c files do.  Everything here only reads:
 * the ledger, the logs and the repository's objects (ar_report_apply is the
 * one exception, and it writes target files only).
 */
#ifndef AR_REPORT_H
#define AR_REPORT_H

#include "git.h"
#include "ledger.h"
#include "summary.h"

/* A session read back from its ledger. */
struct ar_report {
	char *dir;                  /* the ledger's directory (the repo root) */
	struct ar_ledger_info info; /* the config line; see has_info */
	int has_info;
	struct ar_result *r;        /* every result, in the file's order */
	size_t n;
	struct ar_summary sum;      /* borrows from r */
	ar_strvec warnings;         /* what was wrong with the ledger's files */
};

/*
 * Read dir's autoresearch.jsonl.  AR_ENOTFOUND when it does not exist (the
 * message says how to start a session).  A bad config line, bad or
 * truncated result lines and (with check_tsv) a results.tsv that does not
 * match become warnings: what can still be shown, is.  On failure *rep is
 * still safe to release.
 */
int ar_report_load(struct ar_report *rep, const char *dir, int check_tsv);
void ar_report_release(struct ar_report *rep);

/* Index of experiment number `iteration`, -1 when there is none. */
long ar_report_find(const struct ar_report *rep, long iteration);
/* The metric's name ("metric" when unknown).  Borrowed. */
const char *ar_report_metric(const struct ar_report *rep);
/* "lower" or "higher". */
const char *ar_report_direction(const struct ar_report *rep);

/* ---- report_status.c: `ar status` and `ar results` ---------------------------- */

struct ar_report_style {
	int color;            /* ANSI colours */
	int width;            /* terminal columns */
	long max_experiments; /* 0: no limit */
	const char *adapter;  /* when the ledger does not name one, may be NULL */
};

void ar_report_status(ar_buf *b, const struct ar_report *rep,
                      const struct ar_report_style *st);

/*
 * `ar results`, a row at a time so that a long session streams: the
 * table's header line (nothing with json), then row i when its status is
 * one of `statuses` (NULL or empty: all); 1 when it was added.  With json
 * a row is the ledger's record for the experiment, on one line.
 */
void ar_report_results_header(ar_buf *b, const struct ar_report *rep, int json);
int ar_report_results_row(ar_buf *b, const struct ar_report *rep, size_t i,
                          const ar_strvec *statuses, int json, int color);
/* Split "keep,discard" lists into statuses; AR_EUSAGE naming an unknown
 * one (neither an ar status nor one found in the ledger). */
int ar_report_statuses(const struct ar_report *rep, const ar_strvec *args,
                       ar_strvec *out);

/* "%.<dec>f" (dec 1..6) of v into out (48 bytes), as printf writes it. */
void ar_report_fixed(char *out, double v, int dec);
/* "1.23 s", "4m05s", "1h02m". */
void ar_report_duration(ar_buf *b, double seconds);
/* ANSI colour escape for a status (or "" without colour). */
const char *ar_report_status_color(const char *status, int color);

/* ---- report_show.c: `ar show N` ------------------------------------------------- */

/*
 * Experiment index i in detail: description, metric, status, duration,
 * memory, the diff against its parent and the last `log_lines` lines of
 * .autoresearch/logs/<N>.log.  repo may be NULL (no diff).  Missing
 * pieces (a commit gone, no log) are said in the text.
 */
void ar_report_show(ar_buf *b, const struct ar_report *rep, ar_repo *repo,
                    size_t i, int log_lines, int color);

/*
 * Bring experiment i's change to the target files (the paths that differ
 * between its commit and its parent and match `targets`) into the work
 * tree, uncommitted.  AR_EDIRTY (listing them) when target files have
 * uncommitted changes; AR_ENOTFOUND when the experiment has no commit or it
 * is gone.  `changed` receives the paths written.
 */
int ar_report_apply(const struct ar_report *rep, ar_repo *repo, size_t i,
                    const ar_strvec *targets, ar_strvec *changed);

/* ---- report_analyze.c: `ar analyze` --------------------------------------------- */

/*
 * The markdown of autoresearch-<tag>-analysis.md.  Experiments are grouped
 * by the kind of change their description names (ar_report_change_kind);
 * when it names none and repo is not NULL, by the identifier the diff's
 * first changed line assigns.
 */
void ar_report_analysis(ar_buf *b, const struct ar_report *rep, ar_repo *repo);
/* The file name: "autoresearch-<tag>-analysis.md".  Caller frees. */
char *ar_report_analysis_name(const struct ar_report *rep);

/*
 * The kind of change a description names, for grouping: a constant
 * ("increase LEARNING_RATE to 0.05" -> "LEARNING_RATE"), else a snake_case
 * or camelCase identifier ("n_layer"), else the first word that is not a
 * verb or a filler ("add dropout 0.1" -> "dropout").  "" when it names
 * nothing.  Caller frees.
 */
char *ar_report_change_kind(const char *description);
/* +1 when the description raises a value ("increase", "2 -> 4"), -1 when
 * it lowers one, 0 when it says neither. */
int ar_report_change_direction(const char *description);

/* ---- plot_svg.c: `ar plot` -------------------------------------------------------- */

/*
 * The progress chart as an SVG document.  Experiments with repeated
 * measurements (struct ar_result's samples) show their spread.
 */
void ar_report_plot_svg(ar_buf *b, const struct ar_report *rep);

#endif
