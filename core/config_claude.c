/*
 * config_claude.c - the "## autoresearch" section of CLAUDE.md:
 *
 *   ## autoresearch
 *   - target_file: train.py
 *   - run_command: python train.py > run.log 2>&1
 *   - metric_name: accuracy
 *   - metric_parse: grep "accuracy:" run.log | tail -1 | awk '{print $2}'
 *   - metric_direction: higher
 *   - time_budget: 5m              (a bare number is seconds)
 *   - readonly_files: prepare.py, data/
 *
 * The section starts at a heading whose text is "autoresearch" (any case)
 * and ends at the next heading of level 1 or 2 (or of its own level, when
 * deeper).  Its config lines are list items "- key: value" whose key is a
 * lower-case name ([a-z][a-z0-9_.]*, optionally in `backticks` or
 * **bold**); other lines are prose and are skipped.  Inside a ``` fence in
 * the section, bare "key: value" lines count too, and '#' lines are not
 * headings.  A value wrapped in `backticks`, or in quotes with no quote of
 * the same kind inside, is unwrapped.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"

struct scan {
	int in_section, level, in_fence, found;
};

/* Heading level (1-6) of a line, its text in *text; 0 when not one. */
static int heading(const char *line, const char **text)
{
	int n = 0;

	for (int sp = 0; sp < 3 && *line == ' '; sp++)
		line++;
	while (line[n] == '#')
		n++;
	if (n < 1 || n > 6 || (line[n] && line[n] != ' ' && line[n] != '\t'))
		return 0;
	*text = line + n;
	return n;
}

static int is_fence(const char *line)
{
	for (int sp = 0; sp < 3 && *line == ' '; sp++)
		line++;
	return !strncmp(line, "```", 3) || !strncmp(line, "~~~", 3);
}

static int is_section_title(const char *text)
{
	size_t n;

	while (*text == ' ' || *text == '\t')
		text++;
	n = strlen(text);
	while (n && strchr(" \t#", text[n - 1]))
		n--;
	return n == 12 && !strncasecmp(text, "autoresearch", 12);
}

/* Strip one pair of enclosing backticks or quotes from [*s, *e). */
static void unwrap(const char **s, const char **e)
{
	size_t n = (size_t)(*e - *s);
	char q = n >= 2 ? **s : 0;

	if (!q || (*e)[-1] != q || !strchr("`\"'", q))
		return;
	if (memchr(*s + 1, q, n - 2))
		return;
	(*s)++;
	(*e)--;
}

/* Parse a config line into a child of root; lines that are not config are
 * skipped. */
static void item(const char *line, int lineno, int fenced, struct ar_cnode *root)
{
	const char *p = line, *k, *ke, *v, *ve;
	struct ar_cnode *kid;

	while (*p == ' ' || *p == '\t')
		p++;
	if ((*p == '-' || *p == '*' || *p == '+') && (p[1] == ' ' || p[1] == '\t'))
		p += 2;
	else if (!fenced)
		return;
	while (*p == ' ' || *p == '\t' || *p == '`' || *p == '*')
		p++;
	if (!islower((unsigned char)*p))
		return;
	for (k = ke = p; islower((unsigned char)*ke) || isdigit((unsigned char)*ke) ||
	                 *ke == '_' || *ke == '.'; ke++)
		;
	for (p = ke; *p == '`' || *p == '*'; p++)
		;
	if (*p != ':')
		return;
	for (p++; *p == '*' || *p == ' ' || *p == '\t'; p++)
		;
	v = p;
	ve = v + strlen(v);
	while (ve > v && isspace((unsigned char)ve[-1]))
		ve--;
	unwrap(&v, &ve);
	kid = ar_config__node_push(root);
	kid->key = ar_xstrndup(k, (size_t)(ke - k));
	kid->key_line = kid->line = lineno;
	kid->key_col = (int)(k - line) + 1;
	kid->col = (int)(v - line) + 1;
	if (ve > v) {
		kid->type = AR_CNODE_SCALAR;
		kid->scalar = ar_xstrndup(v, (size_t)(ve - v));
	}
}

/* One line of the file. */
static void scan_line(struct scan *s, char *line, int lineno, struct ar_cnode *root)
{
	const char *text;
	int level;

	if (is_fence(line)) {
		s->in_fence = !s->in_fence;
		return;
	}
	level = s->in_fence ? 0 : heading(line, &text);
	if (level && s->in_section &&
	    level <= (s->level > 2 ? s->level : 2)) {
		s->in_section = 0;
	} else if (level && !s->found && is_section_title(text)) {
		s->in_section = s->found = 1;
		s->level = level;
	} else if (s->in_section && !level) {
		item(line, lineno, s->in_fence, root);
	}
}

int ar_config_load_claude(struct ar_config *cfg, const char *path)
{
	struct ar_cnode root;
	struct scan s = { 0, 0, 0, 0 };
	char *text = NULL, *line, *next;
	size_t len;
	int lineno = 1, err;

	memset(&root, 0, sizeof(root));
	root.type = AR_CNODE_MAP;
	root.line = root.col = 1;
	err = ar_config__read(path, &text, &len);
	if (err < 0)
		return err;
	for (line = text; line && *line; line = next, lineno++) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		size_t n = strlen(line);
		if (n && line[n - 1] == '\r')
			line[n - 1] = '\0';
		scan_line(&s, line, lineno, &root);
	}
	if (!s.found)
		err = ar_error_set(AR_ENOTFOUND, "%s has no '## autoresearch' section",
		                   path);
	else
		err = ar_config__apply(cfg, &root, path);
	ar_config__node_release(&root);
	free(text);
	return err;
}
