/*
 * config_json.c - .autoresearch.json, as the ML-experiment skill writes it:
 *
 *   { "tag": "mar5", "branch": "autoresearch/mar5",
 *     "script_path": "train.py", "run_command": "uv run train.py",
 *     "metric_name": "val_loss", "metric_direction": "lower",
 *     "metric_grep": "^val_loss:", "time_budget_minutes": 5,
 *     "timeout_minutes": 10, "editable_files": ["train.py"],
 *     "readonly_files": ["prepare.py"], "max_experiments": 50,
 *     "created_at": "..." }
 *
 * The JSON is turned into the config tree (the aliases and the nested YAML
 * shape are both accepted; config.c decides what keys mean).  jansson keeps
 * no positions, so each key's line and column are found in the text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"

#define JSON_CONV_MAX_DEPTH 32
#define NOWHERE ((size_t)-1)

struct jconv {
	const char *text;
	size_t len;
	const char *path;
};

static void pos_of(const struct jconv *c, size_t off, int *line, int *col)
{
	*line = 0;
	*col = 0;
	if (off == NOWHERE)
		return;
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && i < c->len; i++) {
		if (c->text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static size_t skip_ws(const struct jconv *c, size_t i)
{
	while (i < c->len && strchr(" \t\r\n", c->text[i]) && c->text[i])
		i++;
	return i;
}

/* Offset of `"key"` followed by ':' at or after `from`; the offset of its
 * value goes to *value.  NOWHERE when not found (keys with escapes). */
static size_t find_key(const struct jconv *c, size_t from, const char *key,
                       size_t *value)
{
	char *needle = ar_xprintf("\"%s\"", key);
	size_t n = strlen(needle), found = NOWHERE;

	*value = NOWHERE;
	for (size_t i = from == NOWHERE ? 0 : from; i + n <= c->len; i++) {
		if (memcmp(c->text + i, needle, n))
			continue;
		size_t j = skip_ws(c, i + n);
		if (j < c->len && c->text[j] == ':') {
			found = i;
			*value = skip_ws(c, j + 1);
			break;
		}
	}
	free(needle);
	return found;
}

static int convert(const struct jconv *c, json_t *j, struct ar_cnode *out,
                   size_t at, int depth);

static int convert_object(const struct jconv *c, json_t *j, struct ar_cnode *out,
                          size_t at, int depth)
{
	const char *key;
	json_t *val;
	size_t from = at;
	int err = 0;

	out->type = AR_CNODE_MAP;
	json_object_foreach(j, key, val) {
		struct ar_cnode *kid = ar_config__node_push(out);
		size_t voff, koff = find_key(c, from, key, &voff);

		kid->key = ar_xstrdup(key);
		pos_of(c, koff, &kid->key_line, &kid->key_col);
		if (voff != NOWHERE)
			from = voff;
		err = convert(c, val, kid, voff, depth + 1);
		if (err < 0)
			break;
	}
	return err;
}

static int convert(const struct jconv *c, json_t *j, struct ar_cnode *out,
                   size_t at, int depth)
{
	pos_of(c, at, &out->line, &out->col);
	if (depth > JSON_CONV_MAX_DEPTH)
		return ar_error_set(AR_EUSAGE, "%s:%d:%d: the JSON is nested too deeply "
		                    "for a config file", c->path, out->line, out->col);
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		return convert_object(c, j, out, at, depth);
	case JSON_ARRAY:
		out->type = AR_CNODE_SEQ;
		for (size_t i = 0; i < json_array_size(j); i++) {
			struct ar_cnode *kid = ar_config__node_push(out);
			int err = convert(c, json_array_get(j, i), kid, at, depth + 1);
			if (err < 0)
				return err;
		}
		return 0;
	case JSON_STRING:
		out->type = AR_CNODE_SCALAR;
		out->scalar = ar_xstrndup(json_string_value(j), json_string_length(j));
		return 0;
	case JSON_INTEGER:
		out->type = AR_CNODE_SCALAR;
		out->scalar = ar_xprintf("%" JSON_INTEGER_FORMAT, json_integer_value(j));
		return 0;
	case JSON_REAL:
		out->type = AR_CNODE_SCALAR;
		out->scalar = ar_xprintf("%.17g", json_real_value(j));
		return 0;
	case JSON_TRUE:
	case JSON_FALSE:
		out->type = AR_CNODE_SCALAR;
		out->scalar = ar_xstrdup(json_is_true(j) ? "true" : "false");
		return 0;
	default: /* null: not given */
		return 0;
	}
}

int ar_config_load_json(struct ar_config *cfg, const char *path)
{
	struct jconv c = { NULL, 0, path };
	struct ar_cnode root;
	json_error_t jerr;
	json_t *j = NULL;
	char *text = NULL;
	size_t start;
	int err;

	memset(&root, 0, sizeof(root));
	err = ar_config__read(path, &text, &c.len);
	if (err < 0)
		return err;
	c.text = text;
	start = skip_ws(&c, 0);
	if (start == c.len)
		goto out; /* empty: nothing configured */
	j = json_loadb(text, c.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j) {
		err = ar_error_set(AR_EUSAGE, "%s:%d:%d: not valid JSON: %s", path,
		                   jerr.line, jerr.column, jerr.text);
		goto out;
	}
	if (!json_is_object(j)) {
		int line, col;
		pos_of(&c, start, &line, &col);
		err = ar_error_set(AR_EUSAGE, "%s:%d:%d: the top level must be a JSON "
		                   "object like {\"run_command\": \"...\"}", path, line, col);
		goto out;
	}
	err = convert(&c, j, &root, start, 0);
	if (!err)
		err = ar_config__apply(cfg, &root, path);
out:
	json_decref(j);
	ar_config__node_release(&root);
	free(text);
	return err;
}
