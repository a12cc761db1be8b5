/*
 * proposer.h - the creative step of the loop: change the target files and
 * say in one line what was tried.  Everything else (scope, commit, run,
 * measure, keep or revert, the ledger) is the engine's.
 *
 * `agent:` (config) or --agent picks one:
 *   auto      the first of claude, codex, gemini, opencode, aider on PATH,
 *             else the tuner
 *   tune      the built-in tuner (tune.h): no model, no network
 *   claude | codex | gemini | opencode | aider   a preset (see proposer.c)
 *   anything else: a command run through /bin/sh, with the placeholders
 *             {prompt_file} {targets} {iteration} {prompt}, the prompt
 *             given as agent.prompt says: stdin (default), file or arg.
 * An agent runs in the repository root with at most agent_timeout
 * seconds (default 600); a hung agent's whole process tree is killed.
 */
#ifndef AR_PROPOSER_H
#define AR_PROPOSER_H

#include <signal.h>
#include "config.h"
#include "ledger.h"

struct ar_proposal {
	char *description;  /* one line; NULL: the loop summarises the diff */
	char *failure;      /* why the agent failed (exit, timeout); NULL: ok */
	int has_cost;       /* the agent reported its cost (claude's JSON) */
	double cost_usd;
	double seconds;     /* wall time of the proposal */
};
void ar_proposal_release(struct ar_proposal *p);

struct ar_propose_in {
	long iteration;
	const char *prompt;            /* for agents (prompt.h) */
	const ar_strvec *target_paths; /* tracked files matching target_files */
	const char *log_path;          /* where an agent's output goes */
	volatile sig_atomic_t *interrupt; /* kill the agent when set */
};

struct ar_proposer;

/*
 * Resolve cfg->agent for the repository at root.  *how (caller frees)
 * says what was chosen and why, e.g. "claude (auto: found on PATH)".
 * An unknown preset name is not an error: it is run as a command.
 */
int ar_proposer_new(struct ar_proposer **out, const struct ar_config *cfg,
                    const char *root, char **how);
void ar_proposer_free(struct ar_proposer *p);

/* "tune", "claude", ... or "command" for a custom one. */
const char *ar_proposer_name(const struct ar_proposer *p);
/* 1 for coding agents: they get a crashed change back to fix it. */
int ar_proposer_fixes_crashes(const struct ar_proposer *p);
/* 1 when the proposer reads a prompt (agents), 0 for the tuner. */
int ar_proposer_wants_prompt(const struct ar_proposer *p);

/*
 * Make one change.  0 with *out filled (out->failure set when the agent
 * failed: the caller discards whatever it changed); negative when ar
 * itself could not (message set), e.g. the tuner found no constant.
 */
int ar_proposer_propose(struct ar_proposer *p, const struct ar_propose_in *in,
                        struct ar_proposal *out);

/* Learn from a recorded experiment (the tuner adapts; agents read the
 * ledger through the prompt instead). */
void ar_proposer_learn(struct ar_proposer *p, const struct ar_result *r);

/* proposer_agent.c: one run of an agent command.  Internal. */
struct ar_agent {
	const char *name;       /* preset name, or "command" */
	const char *command;    /* with placeholders */
	int prompt_mode;        /* AR_PROMPT_STDIN / _FILE / _ARG */
	int json_output;        /* claude --output-format json: cost, result */
	double timeout_s;
	const char *root;
};
enum { AR_PROMPT_STDIN, AR_PROMPT_FILE, AR_PROMPT_ARG };
int ar_agent_run(const struct ar_agent *a, const struct ar_propose_in *in,
                 struct ar_proposal *out);

#endif
