/*
 * prompt.h - what a coding agent is told before each experiment.
 *
 * The prompt is a template (ar's default, or the file named by
 * prompt_template) whose placeholders are filled from the session:
 *   {iteration} {objective} {metric} {direction} {baseline} {best}
 *   {targets} {fixed} {context} {history} {crash} {rules}
 * An unknown {word} is left as it is.  Its size stays bounded however long
 * the history grows: the last results, the kept ones, the directions that
 * kept failing and the last crash's log tail are each cut to a fixed size.
 */
#ifndef AR_PROMPT_H
#define AR_PROMPT_H

#include "config.h"
#include "ledger.h"

struct ar_prompt_in {
	const struct ar_config *cfg;
	long iteration;              /* the experiment about to be proposed */
	const struct ar_result *rows;/* the ledger so far */
	size_t nrows;
	const char *crash_tail;      /* the last crash's log tail, or NULL */
	const char *crash_desc;      /* what crashed */
	int fix_attempt;             /* the working tree holds the crashed change */
	const char *abandoned;       /* an idea dropped after 3 crashes, or NULL */
};

/* The default template (its text documents the placeholders' use). */
extern const char ar_prompt_default_template[];

/* Fill template (NULL: the default) into out. */
void ar_prompt_build(const struct ar_prompt_in *in, const char *template_text,
                     ar_buf *out);

/* The text of the last "DESCRIPTION: ..." line of an agent's reply, cut to
 * one line of at most 200 bytes; NULL when there is none.  Caller frees. */
char *ar_prompt_description(const char *reply);

#endif
