/*
 * proposer.c - choosing the proposer and dispatching to it (proposer.h).
 */
#include <stdlib.h>
#include <string.h>
#include "proposer.h"
#include "tune.h"

/* The coding-agent CLIs people already use, each run non-interactively
 * with the prompt passed the way it expects.  claude's tools are limited
 * to reading and editing, so it cannot run the experiment itself; its JSON
 * output carries the reply and the cost. */
static const struct preset {
	const char *name;
	const char *command;
	int prompt_mode;
	int json_output;
} presets[] = {
	{ "claude", "claude -p --permission-mode acceptEdits "
	  "--allowedTools \"Read,Edit,Write,Glob,Grep\" --output-format json",
	  AR_PROMPT_STDIN, 1 },
	{ "codex", "codex exec --sandbox workspace-write -", AR_PROMPT_STDIN, 0 },
	{ "gemini", "gemini --approval-mode auto_edit -p {prompt}", AR_PROMPT_ARG, 0 },
	{ "opencode", "opencode run {prompt}", AR_PROMPT_ARG, 0 },
	{ "aider", "aider --yes-always --no-auto-commits --message-file {prompt_file} "
	  "{targets}", AR_PROMPT_FILE, 0 },
};
#define NPRESETS (sizeof(presets) / sizeof(presets[0]))

#define AGENT_TIMEOUT_S 600.0

struct ar_proposer {
	struct ar_agent agent;    /* agent.command is owned */
	struct ar_tuner *tuner;   /* the tuner, or NULL for an agent */
	char *name;
	char *root;
};

static const struct preset *preset_named(const char *name)
{
	for (size_t i = 0; i < NPRESETS; i++)
		if (!strcmp(presets[i].name, name))
			return &presets[i];
	return NULL;
}

static int prompt_mode(const struct ar_config *cfg, int dflt)
{
	char *m = ar_config_get(cfg, "agent.prompt");
	int mode = dflt;

	if (m && !strcmp(m, "file"))
		mode = AR_PROMPT_FILE;
	else if (m && !strcmp(m, "arg"))
		mode = AR_PROMPT_ARG;
	else if (m && !strcmp(m, "stdin"))
		mode = AR_PROMPT_STDIN;
	free(m);
	return mode;
}

static int new_tuner(struct ar_proposer *p, const struct ar_config *cfg)
{
	double seed = 0;

	if (ar_config_get_number(cfg, "seed", &seed) < 0)
		ar_error_clear();
	p->name = ar_xstrdup("tune");
	return ar_tuner_new(&p->tuner, (unsigned long long)(long long)seed);
}

static void set_agent(struct ar_proposer *p, const struct ar_config *cfg,
                      const char *name, const char *command, int mode, int json)
{
	double t = AGENT_TIMEOUT_S;

	if (ar_config_get_number(cfg, "agent_timeout", &t) < 0)
		ar_error_clear();
	p->name = ar_xstrdup(name);
	p->agent.name = p->name;
	p->agent.command = ar_xstrdup(command);
	p->agent.prompt_mode = prompt_mode(cfg, mode);
	p->agent.json_output = json;
	p->agent.timeout_s = t;
	p->agent.root = p->root;
}

int ar_proposer_new(struct ar_proposer **out, const struct ar_config *cfg,
                    const char *root, char **how)
{
	struct ar_proposer *p = ar_xcalloc(1, sizeof(*p));
	const char *spec = cfg->agent && *cfg->agent ? cfg->agent : "auto";
	const struct preset *pre = preset_named(spec);
	int err = 0;

	p->root = ar_xstrdup(root);
	*how = NULL;
	if (!strcmp(spec, "tune")) {
		err = new_tuner(p, cfg);
		*how = ar_xstrdup("tune (the built-in tuner: no model needed)");
	} else if (pre) {
		set_agent(p, cfg, pre->name, pre->command, pre->prompt_mode, pre->json_output);
		*how = ar_xprintf("%s (`%s`)", pre->name, pre->command);
	} else if (strcmp(spec, "auto")) {
		set_agent(p, cfg, "command", spec, AR_PROMPT_STDIN, 0);
		*how = ar_xprintf("the command `%s`", spec);
	} else {
		for (size_t i = 0; i < NPRESETS && !pre; i++)
			if (ar_which(presets[i].name))
				pre = &presets[i];
		if (pre) {
			set_agent(p, cfg, pre->name, pre->command, pre->prompt_mode,
			          pre->json_output);
			*how = ar_xprintf("%s (auto: the first agent CLI found on PATH)", pre->name);
		} else {
			err = new_tuner(p, cfg);
			*how = ar_xstrdup("tune (auto: no agent CLI - claude, codex, gemini, "
			                  "opencode, aider - on PATH; the built-in tuner needs none)");
		}
	}
	if (err < 0) {
		free(*how);
		*how = NULL;
		ar_proposer_free(p);
		p = NULL;
	}
	*out = p;
	return err;
}

void ar_proposer_free(struct ar_proposer *p)
{
	if (!p)
		return;
	ar_tuner_free(p->tuner);
	free((char *)p->agent.command);
	free(p->name);
	free(p->root);
	free(p);
}

const char *ar_proposer_name(const struct ar_proposer *p)
{
	return p->name;
}

int ar_proposer_fixes_crashes(const struct ar_proposer *p)
{
	return p->tuner == NULL;
}

int ar_proposer_wants_prompt(const struct ar_proposer *p)
{
	return p->tuner == NULL;
}

int ar_proposer_propose(struct ar_proposer *p, const struct ar_propose_in *in,
                        struct ar_proposal *out)
{
	double t0 = ar_now();
	int err;

	memset(out, 0, sizeof(*out));
	if (!p->tuner)
		return ar_agent_run(&p->agent, in, out);
	err = ar_tuner_propose(p->tuner, p->root, in->target_paths, in->iteration,
	                       &out->description);
	out->seconds = ar_now() - t0;
	return err;
}

void ar_proposer_learn(struct ar_proposer *p, const struct ar_result *r)
{
	if (p->tuner)
		ar_tuner_learn(p->tuner, r->description, r->status);
}

void ar_proposal_release(struct ar_proposal *p)
{
	free(p->description);
	free(p->failure);
	memset(p, 0, sizeof(*p));
}
