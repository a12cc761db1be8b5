/*
 * tune.h - the built-in tuner: a proposer that needs no model and no
 * network.  It finds the numeric constants of the target files, changes
 * one (or two, after a run of discards) per experiment, and learns per
 * constant which way to move it and how far.
 *
 * What counts as a constant, one per line:
 *   LR = 0.04            NAME [: type] = number   (also const/let/var/final
 *   static const int B = 64;                       and C declarations)
 *   #define BLOCK 64
 *   "depth": 8,          "key": number / key: number (JSON, YAML)
 * followed only by ';' or ',', blanks and a comment.  When any target file
 * marks a line with a comment "ar: tune", only marked lines count.  A
 * marker may give a range and a scale: "ar: tune 1e-4..1e-1 log",
 * "ar: tune 1..8".
 *
 * The tuner keeps no state file: its memory is rebuilt from the ledger
 * (ar_tuner_learn on every past row), and each proposal's randomness comes
 * from (seed, iteration), so a resumed session proposes what an
 * uninterrupted one would have.
 */
#ifndef AR_TUNE_H
#define AR_TUNE_H

#include <stddef.h>
#include "util.h"

struct ar_tune_const {
	char *name;         /* LR, BLOCK, depth; "line N" when unnamed (owned) */
	int line;           /* 1-based */
	size_t offset, len; /* the literal's bytes in the file's text */
	double value;
	int is_int;         /* written without '.' or exponent */
	int exp_style;      /* written with an exponent: 1e-3 */
	int marked;         /* the line carries an "ar: tune" marker */
	int has_range;
	double lo, hi;
	int log_scale;      /* "log" in the marker */
};

/*
 * Scan one file's text (path only for messages).  Appends to *out and *n
 * (caller frees with ar_tune_consts_free).  A marker with a malformed range
 * is AR_EUSAGE located at path:line; nothing found is not an error.
 */
int ar_tune_scan(const char *path, const char *text, size_t len,
                 struct ar_tune_const **out, size_t *n);
void ar_tune_consts_free(struct ar_tune_const *c, size_t n);

struct ar_tuner;

int ar_tuner_new(struct ar_tuner **out, unsigned long long seed);
void ar_tuner_free(struct ar_tuner *t);

/*
 * Learn from one recorded experiment: its description (the tuner's own
 * "tune NAME a -> b[, NAME c -> d]"; others are ignored) and status word.
 */
void ar_tuner_learn(struct ar_tuner *t, const char *description,
                    const char *status);

/*
 * Change the constants of `files` (repository-relative paths under root)
 * for experiment `iteration`, and say what changed in *description
 * (caller frees).  AR_ENOTFOUND, with a message saying how to mark
 * constants, when the files hold none.
 */
int ar_tuner_propose(struct ar_tuner *t, const char *root, const ar_strvec *files,
                     long iteration, char **description);

#endif
