/*
 * config_yaml.c - .autoresearch.yaml, the only user of libyaml.
 *
 * The file is loaded with libyaml's document API and turned into the config
 * tree (struct ar_cnode) with the line and column of every key and value
 * taken from libyaml's marks; config.c applies the tree.  Only the first
 * document of the stream is read.  An empty file, or one with only
 * comments, configures nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "config.h"

#define YAML_MAX_DEPTH 32
#define YAML_MAX_NODES 20000 /* guards against alias bombs */

struct conv {
	yaml_document_t *doc;
	const char *path;
	size_t nodes;
};

/* A plain empty, "~" or "null" scalar: the key is given no value. */
static int is_null(const yaml_node_t *n)
{
	const char *v = (const char *)n->data.scalar.value;

	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") ||
	       !strcmp(v, "Null") || !strcmp(v, "NULL");
}

static void mark(const yaml_mark_t *m, int *line, int *col)
{
	*line = (int)m->line + 1;
	*col = (int)m->column + 1;
}

static int convert(struct conv *c, yaml_node_t *yn, struct ar_cnode *out, int depth);

static int convert_seq(struct conv *c, yaml_node_t *yn, struct ar_cnode *out,
                       int depth)
{
	int err = 0;

	out->type = AR_CNODE_SEQ;
	for (yaml_node_item_t *it = yn->data.sequence.items.start;
	     !err && it < yn->data.sequence.items.top; it++) {
		struct ar_cnode *kid = ar_config__node_push(out);
		err = convert(c, yaml_document_get_node(c->doc, *it), kid, depth + 1);
	}
	return err;
}

static int convert_map(struct conv *c, yaml_node_t *yn, struct ar_cnode *out,
                       int depth)
{
	int err = 0;

	out->type = AR_CNODE_MAP;
	for (yaml_node_pair_t *p = yn->data.mapping.pairs.start;
	     !err && p < yn->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
		struct ar_cnode *kid;
		int line, col;

		mark(&k->start_mark, &line, &col);
		if (k->type != YAML_SCALAR_NODE)
			return ar_error_set(AR_EUSAGE, "%s:%d:%d: a key must be a plain "
			                    "name, not a list or mapping", c->path, line, col);
		kid = ar_config__node_push(out);
		kid->key = ar_xstrndup((const char *)k->data.scalar.value,
		                       k->data.scalar.length);
		kid->key_line = line;
		kid->key_col = col;
		err = convert(c, v, kid, depth + 1);
	}
	return err;
}

static int convert(struct conv *c, yaml_node_t *yn, struct ar_cnode *out, int depth)
{
	mark(&yn->start_mark, &out->line, &out->col);
	if (++c->nodes > YAML_MAX_NODES || depth > YAML_MAX_DEPTH)
		return ar_error_set(AR_EUSAGE, "%s:%d:%d: the YAML is nested too deeply "
		                    "or has too many values for a config file",
		                    c->path, out->line, out->col);
	switch (yn->type) {
	case YAML_SCALAR_NODE:
		if (!is_null(yn)) {
			out->type = AR_CNODE_SCALAR;
			out->scalar = ar_xstrndup((const char *)yn->data.scalar.value,
			                          yn->data.scalar.length);
		}
		return 0;
	case YAML_SEQUENCE_NODE:
		return convert_seq(c, yn, out, depth);
	case YAML_MAPPING_NODE:
		return convert_map(c, yn, out, depth);
	default:
		return 0;
	}
}

/* Line and column of a byte offset (for reader errors, which have none). */
static void offset_pos(const char *text, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && text[i]; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int parse_error(const yaml_parser_t *p, const char *path, const char *text)
{
	int line, col;
	ar_buf msg = AR_BUF_INIT;
	int err;

	if (p->error == YAML_MEMORY_ERROR)
		return ar_error_set(AR_ERROR, "%s: out of memory reading YAML", path);
	if (p->error == YAML_READER_ERROR)
		offset_pos(text, p->problem_offset, &line, &col);
	else
		mark(&p->problem_mark, &line, &col);
	ar_buf_printf(&msg, "%s:%d:%d: not valid YAML: %s", path, line, col,
	              p->problem ? p->problem : "syntax error");
	if (p->context)
		ar_buf_printf(&msg, " (%s at line %d)", p->context,
		              (int)p->context_mark.line + 1);
	if (p->problem && strstr(p->problem, "mapping values are not allowed"))
		ar_buf_adds(&msg, "; put quotes around a value that contains ': ' or "
		                  "ends with ':', like '^val_loss:'");
	err = ar_error_set(AR_EUSAGE, "%s", msg.ptr);
	ar_buf_release(&msg);
	return err;
}

int ar_config_load_yaml(struct ar_config *cfg, const char *path)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct ar_cnode root;
	yaml_node_t *top;
	char *text = NULL;
	size_t len = 0;
	int err, have_doc = 0;

	memset(&root, 0, sizeof(root));
	err = ar_config__read(path, &text, &len);
	if (err < 0)
		return err;
	if (!yaml_parser_initialize(&parser)) {
		free(text);
		return ar_error_set(AR_ERROR, "%s: out of memory reading YAML", path);
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		err = parse_error(&parser, path, text);
		goto out;
	}
	have_doc = 1;
	top = yaml_document_get_root_node(&doc);
	if (top) {
		struct conv c = { &doc, path, 0 };
		err = convert(&c, top, &root, 0);
	}
	if (!err)
		err = ar_config__apply(cfg, &root, path);
out:
	if (have_doc)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	ar_config__node_release(&root);
	free(text);
	return err;
}
