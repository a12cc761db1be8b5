/*
 * session_state.h - internals shared by session.c, session_state.c and
 * engine.c: the state file and crash recovery.
 */
#ifndef AR_SESSION_STATE_H
#define AR_SESSION_STATE_H

#include "engine.h"

/* The experiment in flight, as written to the state file before commit. */
struct ar_pending {
	long iteration;          /* 0 when none */
	char best_commit[41];
	char exp_commit[41];     /* "" until the commit exists */
	ar_strvec paths;         /* the paths the experiment commits */
	char *description;       /* owned; NULL when not known */
};

int ar_session_state_load(struct ar_session *s);
void ar_session_state_release(struct ar_session *s);
/* Rewrite the state file with the fixed hashes and `pending` (may be NULL).
 * AR_DURABLE where a power cut must not lose it: the pending record written
 * before a commit, and new fixed hashes. */
int ar_session_state_save(struct ar_session *s, const struct ar_pending *p,
                          enum ar_sync sync);
int ar_session_recover(struct ar_session *s);
void ar_session_take_values(struct ar_session *s, const struct ar_result *r);
void ar_session_ledger_header(struct ar_session *s, struct ar_ledger_header *h);
/* Append a result (filling its timestamp) to the ledger and to s->rows, and
 * regenerate the dashboard (a dashboard that cannot be written is a note in
 * s->notes, not an error: the result is recorded). */
int ar_session_log(struct ar_session *s, struct ar_result *r);

/* engine_scope.c: which changes an experiment is made of. */
struct ar_scope {
	ar_strvec targets; /* changed paths matching target_files */
	ar_strvec fixed;   /* changed paths matching fixed_files */
	ar_strvec other;   /* everything else (left out of the commit) */
};
void ar_scope_release(struct ar_scope *sc);
int ar_scope_compute(struct ar_session *s, struct ar_scope *out);
/* Fixed files whose content differs from what was recorded at baseline. */
int ar_scope_tampered(struct ar_session *s, ar_strvec *out);
/* Record the content hashes of the fixed files (at baseline). */
int ar_scope_record_fixed(struct ar_session *s, const char *commit);

/* engine_measure.c: the numbers of a finished run. */
struct ar_measurement {
	int has_score;
	double score;
	char *reason;            /* why there is no score / the guard failed */
	struct ar_value *values; /* composite parts and guard values */
	size_t nvalues;
	int has_guard;
	double guard_score;      /* the first guard's value */
	int guard_failed;
	uint64_t memory_bytes;
};
int ar_measure_run(struct ar_session *s, const struct ar_run *run,
                   struct ar_measurement *m);
void ar_measurement_release(struct ar_measurement *m);

#endif
