/*
 * ledger.c - results.tsv, autoresearch.jsonl and autoresearch_dashboard.md.
 *
 * autoresearch.jsonl is the source of truth: it is appended (and fsync'd)
 * first, results.tsv second, so a kill between the two leaves the TSV one
 * row short, which ar_ledger_sync_tsv repairs.  All JSON goes through
 * jansson; this is its only home besides config_json.c.
 */
#include "ledger.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "error.h"
#include "fault.h"
#include "ledger_scan.h"
#include "summary.h"

#define LEDGER_MAX_BYTES ((size_t)1 << 30)

/* ---- building JSON ---------------------------------------------------- */

/*
 * jansson constructors fail only for lack of memory once their input is
 * valid UTF-8 and finite; like ar_xmalloc, give up then.
 */
static json_t *jnew(json_t *v)
{
	if (!v)
		abort();
	return v;
}

static void jset(json_t *obj, const char *key, json_t *v)
{
	if (json_object_set_new(obj, key, jnew(v)) < 0)
		abort();
}

/* Length of the valid UTF-8 sequence at s, 0 when it is not one. */
static size_t utf8_seq(const unsigned char *s)
{
	size_t n, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* A copy of s with every byte that is not valid UTF-8 replaced by '?'. */
static char *utf8_clean(const char *s)
{
	char *out = ar_xstrdup(s);
	size_t i = 0, k;

	while (out[i]) {
		k = utf8_seq((const unsigned char *)out + i);
		if (k == 0) {
			out[i] = '?';
			k = 1;
		}
		i += k;
	}
	return out;
}

/* A JSON string for s (null when s is NULL); invalid UTF-8 becomes '?'. */
static json_t *jstr(const char *s)
{
	json_t *v;
	char *clean;

	if (!s)
		return json_null();
	v = json_string(s);
	if (v)
		return v;
	clean = utf8_clean(s);
	v = json_string(clean);
	free(clean);
	return v;
}

/* A JSON number, or null when unknown or not finite. */
static json_t *jnum(int has, double v)
{
	return has && isfinite(v) ? json_real(v) : json_null();
}

/* A copy of key fit to be an object key (valid UTF-8); caller frees. */
static char *jkey(const char *key)
{
	return utf8_clean(key ? key : "");
}

/* A jansson dump of a scalar or string; caller frees. */
static char *jscalar(const json_t *v, size_t flags)
{
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | flags);

	if (!s)
		abort();
	return s;
}

/*
 * Add a real with the fewest significant digits (15 to 17) that jansson
 * reads back as exactly the same double: 0.1 stays "0.1", while a delta
 * such as 0.9932 - 0.9979 keeps the 17 digits it needs.
 */
static void jemit_real(ar_buf *b, const json_t *v)
{
	char *s = NULL;
	json_t *back;
	int prec, same = 0;

	for (prec = 15; prec <= 17 && !same; prec++) {
		free(s);
		s = jscalar(v, JSON_REAL_PRECISION(prec));
		back = json_loads(s, JSON_DECODE_ANY, NULL);
		same = json_is_real(back) &&
		       json_real_value(back) == json_real_value(v);
		json_decref(back);
	}
	ar_buf_adds(b, s);
	free(s);
}

/*
 * Add v as compact JSON, keys in insertion order.  Every string, key and
 * number is encoded by jansson; only the separators are added here, so
 * that each real gets its own precision (json_dumps has one per call).
 */
static void jemit(ar_buf *b, const json_t *v)
{
	const char *key;
	json_t *item, *k;
	size_t i = 0;
	char *s;

	if (json_is_object(v)) {
		ar_buf_addch(b, '{');
		json_object_foreach((json_t *)v, key, item) {
			if (i++)
				ar_buf_addch(b, ',');
			k = jnew(json_string(key));
			s = jscalar(k, 0);
			ar_buf_adds(b, s);
			ar_buf_addch(b, ':');
			free(s);
			json_decref(k);
			jemit(b, item);
		}
		ar_buf_addch(b, '}');
	} else if (json_is_array(v)) {
		ar_buf_addch(b, '[');
		json_array_foreach(v, i, item) {
			if (i)
				ar_buf_addch(b, ',');
			jemit(b, item);
		}
		ar_buf_addch(b, ']');
	} else if (json_is_real(v)) {
		jemit_real(b, v);
	} else {
		s = jscalar(v, 0);
		ar_buf_adds(b, s);
		free(s);
	}
}

/* v as one compact line (no newline); caller frees. */
static char *jdump(const json_t *v)
{
	ar_buf b = AR_BUF_INIT;

	jemit(&b, v);
	return ar_buf_detach(&b);
}

static json_t *jstrvec(const ar_strvec *v)
{
	json_t *a = jnew(json_array());
	size_t i;

	for (i = 0; v && i < v->n; i++)
		if (json_array_append_new(a, jnew(jstr(v->items[i]))) < 0)
			abort();
	return a;
}

/* "2026-11-23T16:20:00Z" for now into buf. */
static void iso_now(char buf[32])
{
	time_t t = time(NULL);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, 32, "1970-01-01T00:00:00Z");
}

/* The description written for r: the baseline's defaults to "baseline". */
static const char *result_description(const struct ar_result *r)
{
	if (r->description && r->description[0])
		return r->description;
	if (r->status && !strcmp(r->status, AR_ST_BASELINE))
		return "baseline";
	return "";
}

static json_t *values_json(const struct ar_result *r)
{
	json_t *o = jnew(json_object());
	size_t i;
	char *key;

	for (i = 0; i < r->nvalues; i++) {
		key = jkey(r->values[i].name);
		jset(o, key, jnum(r->values[i].has_value, r->values[i].value));
		free(key);
	}
	return o;
}

/* An array of numbers (null for one that is not finite). */
static json_t *numbers_json(const double *v, size_t n)
{
	json_t *a = jnew(json_array());

	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(a, jnew(jnum(1, v[i]))) < 0)
			abort();
	return a;
}

/* The result object for r, keys in the documented order; caller decrefs. */
static json_t *result_json(const struct ar_result *r, const char *timestamp)
{
	json_t *o = jnew(json_object());

	jset(o, "type", json_string("result"));
	jset(o, "iteration", json_integer(r->iteration));
	jset(o, "commit", r->commit[0] ? jstr(r->commit) : json_null());
	jset(o, "score", jnum(r->has_score, r->score));
	jset(o, "delta", jnum(r->has_delta, r->delta));
	jset(o, "guard_score", jnum(r->has_guard, r->guard_score));
	jset(o, "guard_pass", r->guard_pass < 0 ? json_null()
	                                        : json_boolean(r->guard_pass));
	jset(o, "status", jstr(r->status));
	jset(o, "description", jstr(result_description(r)));
	jset(o, "memory_gb", jnum(1, r->memory_gb));
	jset(o, "duration_s", jnum(1, r->duration_s));
	jset(o, "timestamp", jstr(timestamp));
	if (r->reason)
		jset(o, "reason", jstr(r->reason));
	jset(o, "cpu_s", jnum(1, r->cpu_s));
	jset(o, "exit_status", json_integer(r->exit_status));
	if (r->nvalues)
		jset(o, "values", values_json(r));
	jset(o, "lines_added", json_integer(r->lines_added));
	jset(o, "lines_removed", json_integer(r->lines_removed));
	if (r->agent) {
		jset(o, "agent", jstr(r->agent));
		jset(o, "agent_cost_usd", jnum(r->has_agent_cost, r->agent_cost_usd));
		jset(o, "agent_s", jnum(1, r->agent_s));
	}
	if (r->nsamples) {
		jset(o, "samples", numbers_json(r->samples, r->nsamples));
		jset(o, "spread", jnum(r->has_spread, r->spread));
	}
	if (r->has_p_value) {
		jset(o, "p_value", jnum(1, r->p_value));
		jset(o, "effect", jnum(1, r->effect));
		jset(o, "best_samples", numbers_json(r->best_samples, r->nbest_samples));
	}
	return o;
}

void ar_ledger_json_row(ar_buf *b, const struct ar_result *r)
{
	json_t *o = result_json(r, r->timestamp);
	char *s = jdump(o);

	ar_buf_adds(b, s);
	free(s);
	json_decref(o);
}

/* The config line's object; caller decrefs. */
static json_t *config_json(const struct ar_ledger_header *h, const char *now)
{
	json_t *o = jnew(json_object()), *m = jnew(json_object());
	json_t *g = jnew(json_array());
	size_t i;

	jset(o, "type", json_string("config"));
	jset(o, "tag", jstr(h->tag));
	jset(o, "branch", jstr(h->branch));
	jset(o, "base_branch", jstr(h->base_branch));
	jset(o, "adapter", jstr(h->adapter));
	jset(o, "target_files", jstrvec(h->target_files));
	jset(o, "fixed_files", jstrvec(h->fixed_files));
	jset(o, "run_command", jstr(h->run_command));
	jset(m, "name", jstr(h->metric_name));
	jset(m, "direction", json_string(h->direction == AR_LOWER_IS_BETTER
	                                 ? "lower" : "higher"));
	jset(o, "metric", m);
	for (i = 0; h->guard_names && i < h->nguards; i++)
		if (json_array_append_new(g, jnew(jstr(h->guard_names[i]))) < 0)
			abort();
	jset(o, "guards", g);
	jset(o, "baseline", jnum(h->has_baseline, h->baseline));
	jset(o, "created_at", jstr(now));
	return o;
}

/* ---- TSV ---------------------------------------------------------------- */

/* Append s with tabs, newlines and carriage returns turned into spaces. */
static void tsv_add_clean(ar_buf *b, const char *s)
{
	for (; s && *s; s++)
		ar_buf_addch(b, (*s == '\t' || *s == '\n' || *s == '\r') ? ' ' : *s);
}

static void tsv_header(ar_buf *b, const char *metric_name)
{
	ar_buf_adds(b, "commit\t");
	tsv_add_clean(b, metric_name && *metric_name ? metric_name : "metric");
	ar_buf_adds(b, "\tmemory_gb\tstatus\tdescription\n");
}

void ar_ledger_tsv_row(ar_buf *b, const struct ar_result *r)
{
	int has = r->has_score && isfinite(r->score);
	double mem = has && isfinite(r->memory_gb) ? r->memory_gb : 0.0;

	if (r->commit[0])
		ar_buf_printf(b, "%.7s\t", r->commit);
	else
		ar_buf_adds(b, "-------\t");
	ar_buf_printf(b, "%.6f\t%.1f\t", has ? r->score : 0.0, mem);
	tsv_add_clean(b, r->status ? r->status : "");
	ar_buf_addch(b, '\t');
	tsv_add_clean(b, result_description(r));
	ar_buf_addch(b, '\n');
}

/* ---- creating and appending -------------------------------------------- */

static int write_new(const char *dir, const char *name, const char *data)
{
	char *path = ar_path_join(dir, name);
	int rc = 0;

	if (!ar_path_exists(path)) {
		rc = ar_file_write_atomic(path, data, strlen(data), AR_DURABLE);
		if (rc < 0)
			rc = ar_error_prefix(rc, "creating %s", path);
	}
	free(path);
	return rc;
}

int ar_ledger_create(const char *dir, const struct ar_ledger_header *h)
{
	ar_buf b = AR_BUF_INIT;
	char now[32], *line;
	json_t *o;
	int rc;

	iso_now(now);
	o = config_json(h, now);
	line = jdump(o);
	json_decref(o);
	ar_buf_adds(&b, line);
	ar_buf_addch(&b, '\n');
	free(line);
	rc = write_new(dir, AR_LEDGER_JSONL, b.ptr);
	if (rc == 0) {
		ar_buf_clear(&b);
		tsv_header(&b, h->metric_name);
		rc = write_new(dir, AR_LEDGER_TSV, b.ptr);
	}
	ar_buf_release(&b);
	return rc;
}

int ar_ledger_update_header(const char *dir, const struct ar_ledger_header *h)
{
	struct ar_ledger_info info = AR_LEDGER_INFO_INIT;
	struct ar_ledger_header kept;
	char *path = ar_path_join(dir, AR_LEDGER_JSONL), *data = NULL, *line;
	char now[32];
	const char *rest;
	ar_buf b = AR_BUF_INIT;
	json_t *o;
	int rc;

	iso_now(now);
	if (ar_ledger_read_header(dir, &info) < 0)
		ar_error_clear(); /* no usable header: write a fresh one */
	if ((rc = ar_file_read(path, (size_t)1 << 31, &data, NULL)) < 0)
		goto done;
	/* Replace line 1 when it is the config line, else put one before it. */
	static const char config_prefix[] = "{\"type\":\"config\"";
	if (!strncmp(data, config_prefix, strlen(config_prefix)))
		rest = strchr(data, '\n') ? strchr(data, '\n') + 1 : "";
	else
		rest = data;
	kept = *h; /* a resumed session does not know its base branch */
	if (!kept.base_branch)
		kept.base_branch = info.base_branch;
	o = config_json(&kept, info.created_at ? info.created_at : now);
	line = jdump(o);
	json_decref(o);
	ar_buf_printf(&b, "%s\n%s", line, rest);
	free(line);
	rc = ar_file_write_atomic(path, b.ptr, b.len, AR_DURABLE);
done:
	ar_buf_release(&b);
	ar_ledger_info_release(&info);
	free(data);
	free(path);
	return rc;
}

/* 0 when the regular file at path is non-empty and does not end in a
 * newline (a line cut short by hand or by an old crash); 1 otherwise. */
static int ends_in_newline(const char *path)
{
	struct stat st;
	char c = '\n';
	int fd;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
		return 1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (pread(fd, &c, 1, st.st_size - 1) != 1)
			c = '\n';
		close(fd);
	}
	return c == '\n';
}

/*
 * Append whole lines to dir/name.  A file whose last line was cut short gets
 * a newline first, so the new line stays whole.  The ledger is fsync'd;
 * results.tsv is a view of it and is not.  On failure ar_file_append cuts the file back to its previous size, so no partial
 * line is left; on_enospc says what a full disk means for the user.
 */
static int append_lines(const char *dir, const char *name, const char *data,
                        enum ar_sync sync, const char *on_enospc)
{
	char *path = ar_path_join(dir, name);
	ar_buf b = AR_BUF_INIT;
	int rc;

	if (!ends_in_newline(path))
		ar_buf_addch(&b, '\n');
	ar_buf_adds(&b, data);
	rc = ar_file_append(path, b.ptr, b.len, sync);
	if (rc == AR_ENOSPACE) /* else util's message names path already */
		ar_error_set(rc, "%s: no space left on device; %s", path,
		             on_enospc);
	ar_buf_release(&b);
	free(path);
	return rc;
}

int ar_ledger_append(const char *dir, const char *metric_name,
                     struct ar_result *r)
{
	ar_buf line = AR_BUF_INIT, tsv = AR_BUF_INIT;
	char now[32], lost[96], *path;
	int rc;

	if (!r->timestamp) {
		iso_now(now);
		r->timestamp = ar_xstrdup(now);
	}
	ar_ledger_json_row(&line, r);
	ar_buf_addch(&line, '\n');
	snprintf(lost, sizeof(lost), "experiment %ld was not recorded; free "
	         "some space before going on", r->iteration);
	rc = append_lines(dir, AR_LEDGER_JSONL, line.ptr, AR_DURABLE, lost);
	if (rc < 0)
		goto out;
	ar_fault_point("after-jsonl");
	path = ar_path_join(dir, AR_LEDGER_TSV);
	if (!ar_path_exists(path))
		tsv_header(&tsv, metric_name);
	free(path);
	ar_ledger_tsv_row(&tsv, r);
	rc = append_lines(dir, AR_LEDGER_TSV, tsv.ptr, AR_VOLATILE,
	                  "the result is in " AR_LEDGER_JSONL ", and "
	                  AR_LEDGER_TSV " is rebuilt from it when the session "
	                  "next starts");
out:
	ar_buf_release(&line);
	ar_buf_release(&tsv);
	return rc;
}

/* ---- reading ------------------------------------------------------------ */

void ar_result_release(struct ar_result *r)
{
	size_t i;

	if (!r)
		return;
	free(r->status);
	free(r->description);
	free(r->reason);
	free(r->timestamp);
	free(r->agent);
	free(r->samples);
	free(r->best_samples);
	for (i = 0; i < r->nvalues; i++)
		free(r->values[i].name);
	free(r->values);
	memset(r, 0, sizeof(*r));
	r->guard_pass = -1;
}

static double *copy_doubles(const double *v, size_t n)
{
	double *out = n ? ar_xmalloc(n * sizeof(*v)) : NULL;

	if (n)
		memcpy(out, v, n * sizeof(*v));
	return out;
}

void ar_result_copy(struct ar_result *dst, const struct ar_result *src)
{
	*dst = *src;
	dst->status = src->status ? ar_xstrdup(src->status) : NULL;
	dst->description = src->description ? ar_xstrdup(src->description) : NULL;
	dst->reason = src->reason ? ar_xstrdup(src->reason) : NULL;
	dst->timestamp = src->timestamp ? ar_xstrdup(src->timestamp) : NULL;
	dst->agent = src->agent ? ar_xstrdup(src->agent) : NULL;
	dst->samples = copy_doubles(src->samples, src->nsamples);
	dst->best_samples = copy_doubles(src->best_samples, src->nbest_samples);
	dst->values = src->nvalues ? ar_xcalloc(src->nvalues, sizeof(*dst->values))
	                           : NULL;
	for (size_t i = 0; i < src->nvalues; i++) {
		dst->values[i] = src->values[i];
		dst->values[i].name = src->values[i].name
		                      ? ar_xstrdup(src->values[i].name) : NULL;
	}
}

void ar_ledger_results_free(struct ar_result *r, size_t n)
{
	size_t i;

	for (i = 0; r && i < n; i++)
		ar_result_release(&r[i]);
	free(r);
}

/* Field readers: absent or null keys keep the default; a value of the wrong
 * type fails with *why naming the key. */
static int get_str(json_t *o, const char *key, char **out, const char **why)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		*why = key;
		return -1;
	}
	*out = ar_xstrdup(json_string_value(v));
	return 0;
}

static int get_num(json_t *o, const char *key, int *has, double *out,
                   const char **why)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_number(v)) {
		*why = key;
		return -1;
	}
	*out = json_number_value(v);
	if (has)
		*has = 1;
	return 0;
}

static int get_int(json_t *o, const char *key, long *out, const char **why)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v)) {
		*why = key;
		return -1;
	}
	*out = (long)json_integer_value(v);
	return 0;
}

static int get_values(json_t *o, struct ar_result *r, const char **why)
{
	json_t *vals = json_object_get(o, "values"), *v;
	const char *key;
	struct ar_value *dst;

	if (!vals || json_is_null(vals))
		return 0;
	if (!json_is_object(vals)) {
		*why = "values";
		return -1;
	}
	r->values = ar_xcalloc(json_object_size(vals) + 1, sizeof(*r->values));
	json_object_foreach(vals, key, v) {
		if (!json_is_null(v) && !json_is_number(v)) {
			*why = "values";
			return -1;
		}
		dst = &r->values[r->nvalues++];
		dst->name = ar_xstrdup(key);
		dst->has_value = json_is_number(v);
		dst->value = dst->has_value ? json_number_value(v) : 0.0;
	}
	return 0;
}

static int get_commit(json_t *o, struct ar_result *r, const char **why)
{
	json_t *v = json_object_get(o, "commit");

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		*why = "commit";
		return -1;
	}
	snprintf(r->commit, sizeof(r->commit), "%s", json_string_value(v));
	return 0;
}

static int get_guard_pass(json_t *o, struct ar_result *r, const char **why)
{
	json_t *v = json_object_get(o, "guard_pass");

	if (!v || json_is_null(v))
		return 0;
	if (json_is_boolean(v))
		r->guard_pass = json_is_true(v);
	else if (json_is_integer(v))
		r->guard_pass = json_integer_value(v) != 0;
	else
		*why = "guard_pass";
	return json_is_boolean(v) || json_is_integer(v) ? 0 : -1;
}

/* "samples", "best_samples": an array of numbers (null entries skipped). */
static int get_numbers(json_t *o, const char *key, double **out, size_t *n,
                       const char **why)
{
	json_t *a = json_object_get(o, key), *v;
	size_t i;

	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a)) {
		*why = key;
		return -1;
	}
	*out = ar_xcalloc(json_array_size(a) + 1, sizeof(**out));
	json_array_foreach(a, i, v) {
		if (!json_is_null(v) && !json_is_number(v)) {
			*why = key;
			return -1;
		}
		if (json_is_number(v))
			(*out)[(*n)++] = json_number_value(v);
	}
	return 0;
}

/* Fill *r (zeroed by the caller) from a result object. */
static int parse_result(json_t *o, struct ar_result *r, const char **why)
{
	long exit_status = 0, added = 0, removed = 0;

	if (!json_is_integer(json_object_get(o, "iteration"))) {
		*why = "iteration";
		return -1;
	}
	if (!json_is_string(json_object_get(o, "status"))) {
		*why = "status";
		return -1;
	}
	if (get_int(o, "iteration", &r->iteration, why) ||
	    get_commit(o, r, why) ||
	    get_num(o, "score", &r->has_score, &r->score, why) ||
	    get_num(o, "delta", &r->has_delta, &r->delta, why) ||
	    get_num(o, "guard_score", &r->has_guard, &r->guard_score, why) ||
	    get_guard_pass(o, r, why) ||
	    get_str(o, "status", &r->status, why) ||
	    get_str(o, "description", &r->description, why) ||
	    get_str(o, "reason", &r->reason, why) ||
	    get_num(o, "memory_gb", NULL, &r->memory_gb, why) ||
	    get_num(o, "duration_s", NULL, &r->duration_s, why) ||
	    get_num(o, "cpu_s", NULL, &r->cpu_s, why) ||
	    get_str(o, "timestamp", &r->timestamp, why) ||
	    get_int(o, "exit_status", &exit_status, why) ||
	    get_values(o, r, why) ||
	    get_int(o, "lines_added", &added, why) ||
	    get_int(o, "lines_removed", &removed, why) ||
	    get_str(o, "agent", &r->agent, why) ||
	    get_num(o, "agent_cost_usd", &r->has_agent_cost, &r->agent_cost_usd, why) ||
	    get_num(o, "agent_s", NULL, &r->agent_s, why) ||
	    get_numbers(o, "samples", &r->samples, &r->nsamples, why) ||
	    get_num(o, "spread", &r->has_spread, &r->spread, why) ||
	    get_num(o, "p_value", &r->has_p_value, &r->p_value, why) ||
	    get_num(o, "effect", NULL, &r->effect, why) ||
	    get_numbers(o, "best_samples", &r->best_samples, &r->nbest_samples, why))
		return -1;
	if (!r->description)
		r->description = ar_xstrdup("");
	r->exit_status = (int)exit_status;
	r->lines_added = (int)added;
	r->lines_removed = (int)removed;
	return 0;
}

/* Add "autoresearch.jsonl:N: what[: detail]" to the warnings. */
static void warn_line(ar_buf *warn, size_t lineno, const char *what,
                      const char *detail)
{
	if (warn->len)
		ar_buf_addch(warn, '\n');
	ar_buf_printf(warn, "%s:%zu: %s", AR_LEDGER_JSONL, lineno, what);
	if (detail)
		ar_buf_printf(warn, ": %s", detail);
}

/*
 * Parse one line.  Returns 1 with *r filled for a result, 0 for a line to
 * skip (the config line, an unknown type, or a bad line, warned about).
 */
static int parse_line(const struct ar_ledger_line *l, struct ar_result *r,
                      ar_buf *warn)
{
	json_error_t err;
	json_t *o;
	const char *type, *why = NULL;
	char detail[128];
	int rc = 0;

	/* The fast path takes the lines ar writes; jansson the rest. */
	if (ar_ledger__scan_result(l->text, l->len, r))
		return 1;
	o = json_loadb(l->text, l->len, 0, &err);
	if (!o) {
		if (l->last)
			warn_line(warn, l->lineno, "truncated last line ignored",
			          NULL);
		else
			warn_line(warn, l->lineno, "malformed line ignored",
			          err.text);
		return 0;
	}
	type = json_string_value(json_object_get(o, "type"));
	if (!json_is_object(o) || !type) {
		warn_line(warn, l->lineno, "malformed line ignored",
		          "not an object with a \"type\"");
	} else if (!strcmp(type, "result")) {
		memset(r, 0, sizeof(*r));
		r->guard_pass = -1;
		rc = parse_result(o, r, &why) == 0;
		if (!rc) {
			snprintf(detail, sizeof(detail),
			         "\"%s\" is missing or has the wrong type", why);
			warn_line(warn, l->lineno, "malformed line ignored",
			          detail);
			ar_result_release(r);
		}
	}
	json_decref(o);
	return rc;
}

/*
 * The file is streamed line by line (ledger_scan.c), so reading a long
 * session holds its results, not its text as well.
 */
int ar_ledger_read(const char *dir, struct ar_result **out, size_t *n,
                   char **warning)
{
	char *path = ar_path_join(dir, AR_LEDGER_JSONL);
	ar_buf warn = AR_BUF_INIT;
	struct ar_ledger_lines lr;
	struct ar_ledger_line l;
	size_t cap = 0;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (warning)
		*warning = NULL;
	if (!ar_path_exists(path))
		goto out;
	rc = ar_ledger_lines_open(&lr, path);
	if (rc < 0)
		goto out; /* the message names path */
	while ((rc = ar_ledger_lines_next(&lr, path, &l)) > 0) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			*out = ar_xrealloc(*out, cap * sizeof(**out));
		}
		if (parse_line(&l, &(*out)[*n], &warn))
			++*n;
	}
	ar_ledger_lines_close(&lr);
	if (rc < 0) {
		ar_ledger_results_free(*out, *n);
		*out = NULL;
		*n = 0;
	} else if (warning && warn.len) {
		*warning = ar_buf_detach(&warn);
	}
out:
	ar_buf_release(&warn);
	free(path);
	return rc;
}

/* ---- the config line ------------------------------------------------------ */

static void info_strvec(json_t *a, ar_strvec *out)
{
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v)
		if (json_is_string(v))
			ar_strvec_push(out, json_string_value(v));
}

/* Fill info from the config object; -1 with *why on a bad field. */
static int info_from_json(json_t *o, struct ar_ledger_info *info,
                          const char **why)
{
	json_t *m = json_object_get(o, "metric");
	const char *dir;

	if (get_str(o, "tag", &info->tag, why) ||
	    get_str(o, "branch", &info->branch, why) ||
	    get_str(o, "base_branch", &info->base_branch, why) ||
	    get_str(o, "adapter", &info->adapter, why) ||
	    get_str(o, "run_command", &info->run_command, why) ||
	    get_str(o, "created_at", &info->created_at, why) ||
	    get_num(o, "baseline", &info->has_baseline, &info->baseline, why))
		return -1;
	info_strvec(json_object_get(o, "target_files"), &info->target_files);
	info_strvec(json_object_get(o, "fixed_files"), &info->fixed_files);
	info_strvec(json_object_get(o, "guards"), &info->guards);
	if (m && !json_is_object(m)) {
		*why = "metric";
		return -1;
	}
	if (m && get_str(m, "name", &info->metric_name, why))
		return -1;
	dir = json_string_value(json_object_get(m, "direction"));
	info->direction = dir && !strcmp(dir, "higher") ? AR_HIGHER_IS_BETTER
	                                                : AR_LOWER_IS_BETTER;
	return 0;
}

void ar_ledger_info_release(struct ar_ledger_info *info)
{
	struct ar_ledger_info empty = AR_LEDGER_INFO_INIT;

	free(info->tag);
	free(info->branch);
	free(info->base_branch);
	free(info->adapter);
	free(info->run_command);
	free(info->metric_name);
	free(info->created_at);
	ar_strvec_release(&info->target_files);
	ar_strvec_release(&info->fixed_files);
	ar_strvec_release(&info->guards);
	*info = empty;
}

void ar_ledger_info_header(struct ar_ledger_header *out,
                           const struct ar_ledger_info *info)
{
	memset(out, 0, sizeof(*out));
	out->tag = info->tag;
	out->branch = info->branch;
	out->base_branch = info->base_branch;
	out->adapter = info->adapter;
	out->target_files = &info->target_files;
	out->fixed_files = &info->fixed_files;
	out->run_command = info->run_command;
	out->metric_name = info->metric_name;
	out->direction = info->direction;
	out->guard_names = (const char *const *)info->guards.items;
	out->nguards = info->guards.n;
	out->has_baseline = info->has_baseline;
	out->baseline = info->baseline;
}

int ar_ledger_read_header(const char *dir, struct ar_ledger_info *out)
{
	char *path = ar_path_join(dir, AR_LEDGER_JSONL);
	struct ar_ledger_lines lr = { -1, NULL, 0, 0, 0, 0, 0 };
	struct ar_ledger_line l;
	json_error_t err;
	json_t *o = NULL;
	const char *why = NULL;
	int rc;

	if (!ar_path_exists(path)) {
		rc = ar_error_set(AR_ENOTFOUND, "%s does not exist", path);
		goto out;
	}
	/* Only the first line is read, however long the session. */
	rc = ar_ledger_lines_open(&lr, path);
	if (rc == 0 && (rc = ar_ledger_lines_next(&lr, path, &l)) == 0)
		rc = ar_error_set(AR_ENOTFOUND, "%s is empty: it has no config "
		                  "line", path);
	if (rc < 0)
		goto out; /* the message names path */
	rc = 0;
	o = json_loadb(l.text, l.len, 0, &err);
	if (!o) {
		rc = ar_error_set(AR_ERROR, "%s:%zu: malformed config line: %s",
		                  path, l.lineno, err.text);
		goto out;
	}
	if (!json_is_object(o) ||
	    !json_is_string(json_object_get(o, "type")) ||
	    strcmp(json_string_value(json_object_get(o, "type")), "config")) {
		rc = ar_error_set(AR_ENOTFOUND, "%s:%zu: the first line is not "
		                  "the config line", path, l.lineno);
		goto out;
	}
	if (info_from_json(o, out, &why) < 0)
		rc = ar_error_set(AR_ERROR, "%s:%zu: \"%s\" has the wrong type",
		                  path, l.lineno, why);
out:
	if (rc < 0)
		ar_ledger_info_release(out);
	json_decref(o);
	ar_ledger_lines_close(&lr);
	free(path);
	return rc;
}

/* ---- repairing the TSV ------------------------------------------------------ */

/* Data rows of a TSV text, or -1 when it must be rewritten anyway (empty,
 * or its last line cut short). */
static long tsv_rows(const char *data, size_t len)
{
	long lines = 0;
	size_t i;

	if (len == 0 || data[len - 1] != '\n')
		return -1;
	for (i = 0; i < len; i++)
		lines += data[i] == '\n';
	return lines - 1;
}

static int tsv_rewrite(const char *path, const char *metric_name,
                       const struct ar_result *r, size_t n)
{
	ar_buf b = AR_BUF_INIT;
	size_t i;
	int rc;

	tsv_header(&b, metric_name);
	for (i = 0; i < n; i++)
		ar_ledger_tsv_row(&b, &r[i]);
	rc = ar_file_write_atomic(path, b.ptr, b.len, AR_VOLATILE);
	if (rc < 0)
		rc = ar_error_prefix(rc, "rewriting %s", path);
	ar_buf_release(&b);
	return rc;
}

int ar_ledger_sync_tsv(const char *dir, const char *metric_name,
                       const struct ar_result *r, size_t n)
{
	char *jpath = ar_path_join(dir, AR_LEDGER_JSONL);
	char *tpath = ar_path_join(dir, AR_LEDGER_TSV), *data = NULL;
	size_t len = 0;
	int rc = 0;

	if (!ar_path_exists(jpath))
		goto out; /* nothing to repair from */
	if (ar_path_exists(tpath)) {
		rc = ar_file_read(tpath, LEDGER_MAX_BYTES, &data, &len);
		if (rc < 0)
			goto out; /* the message names tpath */
		if (tsv_rows(data, len) == (long)n)
			goto out;
	}
	rc = tsv_rewrite(tpath, metric_name, r, n);
out:
	free(data);
	free(tpath);
	free(jpath);
	return rc;
}

/* ---- best and baseline ------------------------------------------------------ */

static int scored(const struct ar_result *r)
{
	return r->has_score && isfinite(r->score) && r->status;
}

long ar_ledger_best(const struct ar_result *r, size_t n, int direction)
{
	long best = -1;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!scored(&r[i]) || (strcmp(r[i].status, AR_ST_BASELINE) &&
		                       strcmp(r[i].status, AR_ST_KEEP)))
			continue;
		if (best < 0 ||
		    (direction == AR_LOWER_IS_BETTER ? r[i].score < r[best].score
		                                     : r[i].score > r[best].score))
			best = (long)i;
	}
	return best;
}

long ar_ledger_baseline(const struct ar_result *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (scored(&r[i]) && !strcmp(r[i].status, AR_ST_BASELINE))
			return (long)i;
	return -1;
}

/* ---- the dashboard ------------------------------------------------------------ */

/* Append s for a markdown table cell: '|' escaped, line breaks as spaces. */
static void md_cell(ar_buf *b, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			ar_buf_adds(b, "\\|");
		else
			ar_buf_addch(b, (*s == '\n' || *s == '\r' || *s == '\t')
			                ? ' ' : *s);
	}
}

static void md_commit(ar_buf *b, const struct ar_result *r)
{
	if (r->commit[0])
		ar_buf_printf(b, "%.7s", r->commit);
	else
		ar_buf_addch(b, '-');
}

/* "- Experiments: 12 (baseline 1, keep 3, ...)": the summary's order. */
static void md_counts(ar_buf *b, const struct ar_summary *sum)
{
	size_t i, j;

	ar_buf_printf(b, "- **Experiments:** %zu", sum->n);
	for (i = 0, j = 0; i < sum->ncounts; i++)
		if (sum->counts[i].count)
			ar_buf_printf(b, "%s%s %zu", j++ ? ", " : " (",
			              sum->counts[i].status, sum->counts[i].count);
	ar_buf_adds(b, j ? ")\n" : "\n");
}

/* Baseline, best and improvement lines. */
static void md_summary(ar_buf *b, const struct ar_summary *sum,
                       const struct ar_result *r)
{
	const struct ar_result *best = sum->best >= 0 ? &r[sum->best] : NULL;

	if (sum->has_baseline)
		ar_buf_printf(b, "- **Baseline:** %.6f\n", sum->baseline_value);
	else
		ar_buf_adds(b, "- **Baseline:** none yet\n");
	if (!best) {
		ar_buf_adds(b, "- **Best:** none yet\n");
		return;
	}
	ar_buf_printf(b, "- **Best:** %.6f (#%ld, commit ", best->score,
	              best->iteration);
	md_commit(b, best);
	ar_buf_adds(b, ")\n");
	if (!sum->has_improvement)
		return;
	ar_buf_printf(b, "- **Improvement:** %.6f", sum->improvement);
	if (sum->has_improvement_pct)
		ar_buf_printf(b, " (%.2f%%)", sum->improvement_pct);
	ar_buf_adds(b, " over the baseline\n");
}

static void md_table(ar_buf *b, const struct ar_result *r, size_t n)
{
	size_t i;

	ar_buf_adds(b, "| # | commit | metric | delta | status | memory | "
	               "description |\n"
	               "|---|--------|--------|-------|--------|--------|"
	               "-------------|\n");
	for (i = 0; i < n; i++) {
		ar_buf_printf(b, "| %ld | ", r[i].iteration);
		md_commit(b, &r[i]);
		if (scored(&r[i]))
			ar_buf_printf(b, " | %.6f | ", r[i].score);
		else
			ar_buf_adds(b, " | - | ");
		if (r[i].has_delta && isfinite(r[i].delta))
			ar_buf_printf(b, "%+.6f | ", r[i].delta);
		else
			ar_buf_adds(b, "- | ");
		md_cell(b, r[i].status);
		if (scored(&r[i]) && isfinite(r[i].memory_gb))
			ar_buf_printf(b, " | %.1f GB | ", r[i].memory_gb);
		else
			ar_buf_adds(b, " | - | ");
		md_cell(b, result_description(&r[i]));
		ar_buf_adds(b, " |\n");
	}
}

int ar_ledger_dashboard(const char *dir, const struct ar_ledger_header *h,
                        const struct ar_result *r, size_t n)
{
	ar_buf b = AR_BUF_INIT;
	char *path = ar_path_join(dir, AR_LEDGER_DASHBOARD);
	int direction = h ? h->direction : AR_LOWER_IS_BETTER;
	struct ar_summary sum = AR_SUMMARY_INIT;
	int rc;

	/* The numbers come from summary.c, as `ar status` shows them. */
	ar_summary_compute(&sum, r, n, direction, h && h->has_baseline,
	                   h ? h->baseline : 0.0);

	ar_buf_printf(&b, "# autoresearch: %s\n\n",
	              h && h->tag ? h->tag : "(untagged)");
	if (h && h->branch)
		ar_buf_printf(&b, "- **Branch:** %s\n", h->branch);
	ar_buf_printf(&b, "- **Metric:** %s (%s is better)\n",
	              h && h->metric_name ? h->metric_name : "metric",
	              direction == AR_LOWER_IS_BETTER ? "lower" : "higher");
	md_summary(&b, &sum, r);
	md_counts(&b, &sum);
	if (n && r[n - 1].timestamp)
		ar_buf_printf(&b, "- **Last experiment:** #%ld at %s\n",
		              r[n - 1].iteration, r[n - 1].timestamp);
	/* The table is bounded, so a long session does not rewrite a file
	 * that grows with every step; the ledger has every row. */
	if (n > AR_DASHBOARD_ROWS) {
		ar_buf_printf(&b, "\n## The last %d of %zu experiments\n\n"
		              "`ar results` (or results.tsv) lists every one.\n\n",
		              AR_DASHBOARD_ROWS, n);
		md_table(&b, r + n - AR_DASHBOARD_ROWS, AR_DASHBOARD_ROWS);
	} else {
		ar_buf_adds(&b, "\n## Experiments\n\n");
		md_table(&b, r, n);
	}
	/* A view of the ledger, rebuilt at every step: no fsync. */
	rc = ar_file_write_atomic(path, b.ptr, b.len, AR_VOLATILE);
	if (rc < 0)
		rc = ar_error_prefix(rc, "writing %s", path);
	ar_summary_release(&sum);
	ar_buf_release(&b);
	free(path);
	return rc;
}
