/*
 * fault.h - named points where a test can kill `ar` (fault injection).
 *
 * Set AR_TEST_KILL_AT=<point> in the environment and `ar` sends itself
 * SIGKILL when it reaches that point, as if the machine had died there
 * (the convention of git's GIT_TEST_* variables).  The points of an
 * experiment, in order:
 *
 *   before-commit   the state says "pending", nothing committed yet
 *   after-commit    the commit exists, the state does not name it yet
 *   before-run      committed and recorded as pending, no run started
 *   after-run       the runs are done, nothing logged
 *   after-jsonl     the result is in autoresearch.jsonl, not in results.tsv
 *   after-log       the result is logged, the branch not yet kept/reverted
 *   during-revert   the branch moved back to the best, files not checked out
 *   after-revert    kept or reverted, the state still says "pending"
 *
 * Unset (always, for users) a point costs one getenv() per process.
 */
#ifndef AR_FAULT_H
#define AR_FAULT_H

/* SIGKILL this process when AR_TEST_KILL_AT names `point`. */
void ar_fault_point(const char *point);

#endif
