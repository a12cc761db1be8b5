/*
 * objective.c - the one-line form (see objective.h).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "objective.h"

static const char *const lower_words[] = {
	"minimize", "minimise", "reduce", "decrease", "lower", "shrink", "cut", NULL
};
static const char *const higher_words[] = {
	"maximize", "maximise", "increase", "raise", "improve", "grow", NULL
};

static const char *const usage_hint =
	"write it as: ar \"minimize bundle size\" \"npm run build 2>&1 | grep 'Total size'\" "
	"\"src/**/*.ts\"";

/* "higher", "lower" or NULL for the first word of s (its length in *n). */
static const char *direction_of(const char *s, size_t *n)
{
	const char *const *w;

	*n = 0;
	while (s[*n] && !isspace((unsigned char)s[*n]))
		(*n)++;
	for (w = lower_words; *w; w++)
		if (strlen(*w) == *n && !strncasecmp(s, *w, *n))
			return "lower";
	for (w = higher_words; *w; w++)
		if (strlen(*w) == *n && !strncasecmp(s, *w, *n))
			return "higher";
	return NULL;
}

int ar_objective_is(const char *first)
{
	size_t n;

	return first && strchr(first, ' ') && direction_of(first, &n) != NULL;
}

/* "the bundle size" -> "bundle_size": lower case, words joined by '_'. */
static char *metric_name(const char *rest)
{
	ar_buf b = AR_BUF_INIT;

	while (*rest && isspace((unsigned char)*rest))
		rest++;
	if (!strncasecmp(rest, "the ", 4))
		rest += 4;
	for (; *rest; rest++) {
		unsigned char c = (unsigned char)*rest;
		if (isalnum(c))
			ar_buf_addch(&b, (char)tolower(c));
		else if (b.len && b.ptr[b.len - 1] != '_')
			ar_buf_addch(&b, '_');
	}
	while (b.len && b.ptr[b.len - 1] == '_')
		b.ptr[--b.len] = '\0';
	return ar_buf_detach(&b);
}

int ar_objective_parse(const char *objective, const char *command,
                       const char *const *scope, size_t nscope, ar_strvec *out)
{
	size_t n;
	const char *dir = direction_of(objective ? objective : "", &n);
	char *name;

	if (!dir)
		return ar_error_set(AR_EUSAGE, "the objective \"%s\" does not start with "
		                    "minimize/reduce/... or maximize/increase/...; %s",
		                    objective ? objective : "", usage_hint);
	name = metric_name(objective + n);
	if (!*name) {
		free(name);
		return ar_error_set(AR_EUSAGE, "the objective \"%s\" names no metric; %s",
		                    objective, usage_hint);
	}
	if (!command || !*command || !nscope) {
		free(name);
		return ar_error_set(AR_EUSAGE, "the one-line form needs a command and "
		                    "the files to edit after the objective; %s", usage_hint);
	}
	ar_strvec_push(out, "adapter=custom");
	ar_strvec_pushf(out, "metric.name=%s", name);
	ar_strvec_pushf(out, "metric.direction=%s", dir);
	ar_strvec_push(out, "metric.last_number=true");
	ar_strvec_pushf(out, "run_command=%s", command);
	for (size_t i = 0; i < nscope; i++)
		ar_strvec_pushf(out, "target_files=%s", scope[i]);
	free(name);
	return 0;
}
