/*
 * loop.h - the autonomous loop: propose -> (engine: scope, commit, run,
 * measure, decide, log, keep or revert) -> repeat, until a stop condition
 * holds or the user stops it.  Each experiment goes through ar_engine_step,
 * the code path of `ar step`.
 *
 * - A crash does not end the loop.  A coding agent gets the crashed change
 *   back in the working tree with its log tail in the prompt, to fix it;
 *   after three crashes in a row of the same idea it is abandoned.
 * - An agent that fails (non-zero exit, timeout) or changes nothing is
 *   recorded as `no_change` with the reason, and retried after a growing
 *   pause (agent_backoff, default 5 s, doubled each time up to 5 min);
 *   after agent_failures (default 3) such attempts in a row the loop stops.
 * - *stop set (the first Ctrl-C): the experiment running finishes and is
 *   recorded, then the loop stops.  s->interrupt set (the second Ctrl-C,
 *   SIGTERM): the engine kills the run, records it as interrupted and
 *   reverts.  Either way the branch is at the best commit.
 *
 * The core does not print: what happens is reported through `event`.
 */
#ifndef AR_LOOP_H
#define AR_LOOP_H

#include <signal.h>
#include "engine.h"
#include "proposer.h"

enum ar_loop_event_kind {
	AR_LOOP_PROPOSING,     /* iteration: the proposer starts */
	AR_LOOP_PROPOSED,      /* message: the description */
	AR_LOOP_RUNNING,       /* elapsed, timeout, log_path: about every 0.5 s */
	AR_LOOP_RESULT,        /* result: recorded */
	AR_LOOP_NOTE,          /* message: something worth saying */
};

struct ar_loop_event {
	enum ar_loop_event_kind kind;
	long iteration;
	const char *message;
	const struct ar_result *result;
	double elapsed, timeout;
	const char *log_path;
};

struct ar_loop_opts {
	long max_run;            /* experiments in this invocation; 0 = no limit */
	double max_run_s;        /* seconds for this invocation; 0 = no limit */
	volatile sig_atomic_t *stop; /* finish the experiment running, then stop */
	void (*event)(const struct ar_loop_event *ev, void *payload);
	void *payload;
};

struct ar_loop_summary {
	char *stop_reason;       /* why the loop ended (owned) */
	long experiments;        /* recorded by this invocation */
	double agent_cost;       /* reported by the proposer in this invocation */
	int has_agent_cost;
};
void ar_loop_summary_release(struct ar_loop_summary *sum);

/*
 * Run the loop on an open session with a baseline.  0 when it stopped for
 * one of the reasons above (sum->stop_reason says which); negative when ar
 * could not go on (the ledger cannot be written, the tuner has nothing to
 * tune...): the message is set and sum->stop_reason says the same.
 */
int ar_loop_run(struct ar_session *s, struct ar_proposer *p,
                const struct ar_loop_opts *o, struct ar_loop_summary *sum);

#endif
