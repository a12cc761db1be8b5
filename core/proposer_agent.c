/*
 * proposer_agent.c - one run of a coding-agent CLI (see proposer.h): the
 * command's placeholders filled, the prompt passed the way the CLI wants
 * it, the run bounded by agent_timeout, and its reply read back for the
 * "DESCRIPTION:" line and, from claude's JSON, the cost.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "proc.h"
#include "prompt.h"
#include "proposer.h"

#define REPLY_MAX (1u << 20) /* bytes of the agent's output read back */

static void quoted_list(ar_buf *b, const ar_strvec *v)
{
	for (size_t i = 0; v && i < v->n; i++) {
		if (i)
			ar_buf_addch(b, ' ');
		ar_sh_quote(b, v->items[i]);
	}
}

/* The command with its placeholders filled (values shell-quoted). */
static char *expand(const struct ar_agent *a, const struct ar_propose_in *in,
                    const char *prompt_file)
{
	ar_buf b = AR_BUF_INIT;
	const char *p = a->command;
	int used_file = 0, used_prompt = 0;

	while (*p) {
		if (!strncmp(p, "{prompt_file}", 13)) {
			ar_sh_quote(&b, prompt_file);
			used_file = 1;
			p += 13;
		} else if (!strncmp(p, "{targets}", 9)) {
			quoted_list(&b, in->target_paths);
			p += 9;
		} else if (!strncmp(p, "{iteration}", 11)) {
			ar_buf_printf(&b, "%ld", in->iteration);
			p += 11;
		} else if (!strncmp(p, "{prompt}", 8)) {
			ar_sh_quote(&b, in->prompt ? in->prompt : "");
			used_prompt = 1;
			p += 8;
		} else {
			ar_buf_addch(&b, *p++);
		}
	}
	if (a->prompt_mode == AR_PROMPT_FILE && !used_file) {
		ar_buf_addch(&b, ' ');
		ar_sh_quote(&b, prompt_file);
	} else if (a->prompt_mode == AR_PROMPT_ARG && !used_prompt) {
		ar_buf_addch(&b, ' ');
		ar_sh_quote(&b, in->prompt ? in->prompt : "");
	}
	return ar_buf_detach(&b);
}

/* The last non-blank line of text, cut to 200 bytes (caller frees). */
static char *last_line(const char *text)
{
	size_t end = strlen(text), start;

	while (end && strchr(" \t\r\n", text[end - 1]))
		end--;
	start = end;
	while (start && text[start - 1] != '\n')
		start--;
	if (end - start > 200)
		end = start + 200;
	return ar_xstrndup(text + start, end - start);
}

/* claude --output-format json: {"type":"result","result":"...",
 * "total_cost_usd":0.01,"is_error":false}, the last JSON line. */
static void read_claude_json(const char *reply, struct ar_proposal *out, char **text)
{
	const char *p = reply + strlen(reply);

	while (p > reply) {
		const char *line = p;
		while (line > reply && line[-1] != '\n')
			line--;
		if (*line == '{') {
			json_t *o = json_loadb(line, (size_t)(p - line), 0, NULL);
			json_t *r = o ? json_object_get(o, "result") : NULL;
			json_t *c = o ? json_object_get(o, "total_cost_usd") : NULL;
			if (json_is_number(c)) {
				out->has_cost = 1;
				out->cost_usd = json_number_value(c);
			}
			if (json_is_string(r))
				*text = ar_xstrdup(json_string_value(r));
			if (o && json_is_true(json_object_get(o, "is_error")) && !out->failure)
				out->failure = ar_xprintf("claude reported an error: %.200s",
				                          *text ? *text : "(no text)");
			json_decref(o);
			if (o)
				return;
		}
		p = line > reply ? line - 1 : reply;
	}
}

static char *failure_of(const struct ar_agent *a, const struct ar_proc_result *r,
                        const char *reply)
{
	char *last, *why;

	if (r->interrupted)
		return ar_xprintf("agent `%s` interrupted", a->name);
	if (r->timed_out)
		return ar_xprintf("agent `%s` timed out after %.0f s (agent_timeout); "
		                  "its process tree was killed", a->name, r->wall_s);
	if (r->exit_status == 0 && !r->term_signal)
		return NULL;
	if (r->exit_status == 127)
		return ar_xprintf("agent command not found: `%s` exited 127; install "
		                  "it or set `agent:` to another", a->command);
	last = last_line(reply);
	why = r->term_signal ? ar_xprintf("agent `%s` killed by signal %d: %s", a->name,
	                                  r->term_signal, last)
	                     : ar_xprintf("agent `%s` exited %d: %s", a->name,
	                                  r->exit_status, last);
	free(last);
	return why;
}

int ar_agent_run(const struct ar_agent *a, const struct ar_propose_in *in,
                 struct ar_proposal *out)
{
	struct ar_proc_opts po = AR_PROC_OPTS_INIT;
	struct ar_proc_result res;
	char *prompt_file = ar_xprintf("%s.prompt.md", in->log_path);
	char *command = NULL, *reply = NULL, *text = NULL;
	char iter_env[40], *file_env = ar_xprintf("AR_PROMPT_FILE=%s", prompt_file);
	const char *env[] = { iter_env, file_env, NULL };
	size_t len;
	double t0 = ar_now();
	int err;

	memset(out, 0, sizeof(*out));
	snprintf(iter_env, sizeof(iter_env), "AR_ITERATION=%ld", in->iteration);
	if ((err = ar_file_write_atomic(prompt_file, in->prompt ? in->prompt : "",
	                                in->prompt ? strlen(in->prompt) : 0,
	                                AR_VOLATILE)) < 0)
		goto done;
	command = expand(a, in, prompt_file);
	po.command = command;
	po.cwd = a->root;
	po.log_path = in->log_path;
	po.stdin_data = a->prompt_mode == AR_PROMPT_STDIN ? in->prompt : NULL;
	po.env = env;
	po.timeout_s = a->timeout_s;
	po.interrupt = in->interrupt;
	if ((err = ar_proc_run(&po, &res)) < 0) {
		ar_error_prefix(err, "running agent `%s`", a->name);
		goto done;
	}
	out->seconds = ar_now() - t0;
	if (ar_file_read(in->log_path, REPLY_MAX, &reply, &len) < 0) {
		ar_error_clear();
		reply = ar_xstrdup("");
	}
	out->failure = failure_of(a, &res, reply);
	if (a->json_output)
		read_claude_json(reply, out, &text);
	out->description = ar_prompt_description(text ? text : reply);
done:
	free(text);
	free(reply);
	free(command);
	free(file_env);
	free(prompt_file);
	return err;
}
