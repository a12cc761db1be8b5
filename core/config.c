/*
 * config.c - the one configuration model.
 *
 * One table of keys drives everything: the type of each key decides how its
 * string form is parsed and checked, where it is stored in struct
 * ar_config, and how ar_config_get prints it.  Aliases (the flat keys of
 * .autoresearch.json and CLAUDE.md) resolve onto that table.  The file
 * readers build a small tree (struct ar_cnode) that ar_config__apply()
 * walks, so YAML, JSON and CLAUDE.md mean exactly the same thing.
 *
 * Every error is AR_EUSAGE and starts with where the value came from:
 * "file:line:col", "adapter ml", "command line" or "default".
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "metric.h"
#include "regex.h"

#define CONFIG_MAX_BYTES (1024 * 1024)

/* ---- the key table ------------------------------------------------------ */

enum ktype {
	T_STRING,    /* char * */
	T_LIST,      /* ar_strvec */
	T_SECONDS,   /* double, with an optional unit: 90, 90s, 5m, 1h */
	T_NUMBER,    /* double */
	T_INT,       /* long (whole number) */
	T_COUNT,     /* whole number >= 0, or a boolean (true = 1) */
	T_CHOICE,    /* one of the words in keydef.choices */
	T_DIRECTION, /* int AR_LOWER_IS_BETTER / AR_HIGHER_IS_BETTER */
	T_DELTA,     /* min_delta: number or "0.5%" */
	T_REPEATS,   /* int >= 1 or "auto" */
	T_GUARDS,    /* struct ar_guard array */
};

#define K_SPLIT 0x01   /* list: a string value is split on commas */
#define K_REGEX 0x02   /* string: a regex; a number group is added if missing */
#define K_EXPR 0x04    /* string: an arithmetic expression over `values` */
#define K_MEMORY 0x08  /* string: "rss" or a regex */
#define K_REF 0x10     /* string: part of a git branch name */
#define K_LO 0x20      /* number >= lo */
#define K_LO_EXCL 0x40 /* number > lo */
#define K_HI_EXCL 0x80 /* number < hi */

struct keydef {
	const char *name;
	enum ktype type;
	size_t off;          /* into struct ar_config (canonical keys only) */
	unsigned flags;
	double lo, hi;
	const char *what;    /* the message says "'<key>' must be <what>" */
	const char *choices; /* T_CHOICE: "a|b|c" */
};

#define OFF(f) offsetof(struct ar_config, f)
#define W_NAME "a name of letters, digits, '.', '_', '-' or '/'"
#define W_SECONDS "a positive number of seconds (90, 90s, 5m, 1h)"

/* Rows 0 .. AR_KEY__COUNT-1 are the canonical keys in enum order; the rest
 * are the extra keys of later features, stored as strings. */
static const struct keydef keys[] = {
	{ "tag", T_STRING, OFF(tag), K_REF, 0, 0, W_NAME, NULL },
	{ "adapter", T_STRING, OFF(adapter), 0, 0, 0, NULL, NULL },
	{ "branch", T_STRING, OFF(branch), K_REF, 0, 0, W_NAME, NULL },
	{ "target_files", T_LIST, OFF(target_files), K_SPLIT, 0, 0, NULL, NULL },
	{ "fixed_files", T_LIST, OFF(fixed_files), K_SPLIT, 0, 0, NULL, NULL },
	{ "context_files", T_LIST, OFF(context_files), K_SPLIT, 0, 0, NULL, NULL },
	{ "run_command", T_STRING, OFF(run_command), 0, 0, 0, "a shell command", NULL },
	{ "metric.name", T_STRING, OFF(metric_name), 0, 0, 0, NULL, NULL },
	{ "metric.pattern", T_STRING, OFF(metric_pattern), K_REGEX, 0, 0, "a regex", NULL },
	{ "metric.command", T_STRING, OFF(metric_command), 0, 0, 0, "a shell command", NULL },
	{ "metric.expr", T_STRING, OFF(metric_expr), K_EXPR, 0, 0, "an expression", NULL },
	{ "metric.direction", T_DIRECTION, OFF(metric_direction), 0, 0, 0,
	  "lower or higher (or min/max, minimize/maximize, lower_is_better/"
	  "higher_is_better)", NULL },
	{ "values", T_LIST, OFF(values), K_SPLIT, 0, 0, NULL, NULL },
	{ "guards", T_GUARDS, 0, 0, 0, 0, NULL, NULL },
	{ "checks", T_LIST, OFF(checks), 0, 0, 0, NULL, NULL },
	{ "check_timeout", T_SECONDS, OFF(check_timeout), K_LO_EXCL, 0, 0, W_SECONDS, NULL },
	{ "time_budget", T_SECONDS, OFF(time_budget), K_LO_EXCL, 0, 0, W_SECONDS, NULL },
	{ "timeout_multiplier", T_NUMBER, OFF(timeout_multiplier), K_LO, 1, 0,
	  "a number of at least 1 (the run is killed at time_budget times it)", NULL },
	{ "max_experiments", T_INT, OFF(max_experiments), K_LO, 0, 0,
	  "a whole number (0 = unlimited)", NULL },
	{ "min_delta", T_DELTA, 0, 0, 0, 0,
	  "a number >= 0 or a percentage like '0.5%'", NULL },
	{ "repeats", T_REPEATS, 0, 0, 0, 0, "a whole number of at least 1, or 'auto'", NULL },
	{ "agent", T_STRING, OFF(agent), 0, 0, 0, NULL, NULL },
	{ "memory", T_STRING, OFF(memory), K_MEMORY, 0, 0, "'rss' or a regex", NULL },
	/* Extra keys. */
	{ "max_hours", T_NUMBER, 0, K_LO_EXCL, 0, 0, "a positive number of hours", NULL },
	{ "target", T_NUMBER, 0, 0, 0, 0, "a number", NULL },
	{ "plateau", T_INT, 0, K_LO, 0, 0,
	  "a whole number of experiments (0 = off)", NULL },
	{ "max_agent_cost", T_NUMBER, 0, K_LO, 0, 0, "a number >= 0", NULL },
	{ "agent_timeout", T_SECONDS, 0, K_LO_EXCL, 0, 0, W_SECONDS, NULL },
	{ "prompt_template", T_STRING, 0, 0, 0, 0, NULL, NULL },
	{ "seed", T_INT, 0, 0, 0, 0, "a whole number", NULL },
	{ "aggregate", T_CHOICE, 0, 0, 0, 0, "one of median, mean, min, max",
	  "median|mean|min|max" },
	{ "max_repeats", T_INT, 0, K_LO, 1, 0, "a whole number of at least 1", NULL },
	{ "alpha", T_NUMBER, 0, K_LO_EXCL | K_HI_EXCL, 0, 1,
	  "a number between 0 and 1 (exclusive)", NULL },
	{ "refresh_best", T_COUNT, 0, 0, 0, 0,
	  "a whole number >= 0 or true/false", NULL },
	{ "confirm", T_COUNT, 0, 0, 0, 0, "a whole number >= 0 or true/false", NULL },
	{ "agent.prompt", T_CHOICE, 0, 0, 0, 0, "one of stdin, file, arg",
	  "stdin|file|arg" },
	{ "metric.last_number", T_COUNT, 0, 0, 0, 0, "true or false", NULL },
	{ "agent_failures", T_INT, 0, K_LO, 1, 0, "a whole number of at least 1", NULL },
	{ "agent_backoff", T_SECONDS, 0, K_LO, 0, 0,
	  "a number of seconds >= 0 (0, 5s, 1m)", NULL },
	{ "watch", T_CHOICE, 0, 0, 0, 0, "one of auto, true, false",
	  "auto|true|false" },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

_Static_assert(AR_KEY__COUNT <= 32, "struct ar_config.origin is too small");

enum akind { A_PLAIN, A_MINUTES, A_TIMEOUT_MINUTES, A_GREP };

static const struct alias {
	const char *name;
	const char *canonical;
	enum akind kind;
} aliases[] = {
	{ "target_file", "target_files", A_PLAIN },
	{ "script_path", "target_files", A_PLAIN },
	{ "editable_files", "target_files", A_PLAIN },
	{ "readonly_files", "fixed_files", A_PLAIN },
	{ "metric_name", "metric.name", A_PLAIN },
	{ "metric_direction", "metric.direction", A_PLAIN },
	{ "metric_pattern", "metric.pattern", A_PLAIN },
	{ "metric_command", "metric.command", A_PLAIN },
	{ "metric_parse", "metric.command", A_PLAIN },
	{ "metric_grep", "metric.pattern", A_GREP },
	{ "agent.command", "agent", A_PLAIN },
	{ "time_budget_minutes", "time_budget", A_MINUTES },
	{ "timeout_minutes", "timeout_multiplier", A_TIMEOUT_MINUTES },
};
#define NALIASES (sizeof(aliases) / sizeof(aliases[0]))

/* Keys files may carry that mean nothing to ar (the ML skill's JSON). */
static const char *const ignored_keys[] = { "created_at" };

static const struct ar_origin origin_flag = { AR_ORIGIN_FLAG, NULL, 0 };
static const struct ar_origin origin_unset = { AR_ORIGIN_UNSET, NULL, 0 };

static int key_index(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].name, name))
			return (int)i;
	return -1;
}

/* Resolve a canonical, alias or extra name: index into keys[], alias kind. */
static int resolve(const char *name, enum akind *kind)
{
	int i = key_index(name);

	*kind = A_PLAIN;
	if (i >= 0)
		return i;
	for (size_t a = 0; a < NALIASES; a++)
		if (!strcmp(aliases[a].name, name)) {
			*kind = aliases[a].kind;
			return key_index(aliases[a].canonical);
		}
	return -1;
}

const char *ar_config_key_name(enum ar_config_key key)
{
	if ((int)key < 0 || key >= AR_KEY__COUNT)
		return NULL;
	return keys[key].name;
}

int ar_config_key_lookup(const char *name)
{
	enum akind kind;
	int i = name ? resolve(name, &kind) : -1;
	return i >= 0 && i < AR_KEY__COUNT ? i : -1;
}

const char *ar_config_key_at(size_t i)
{
	return i < NKEYS ? keys[i].name : NULL;
}

/* ---- locations and errors ----------------------------------------------- */

char *ar_config__where(const char *path, int line, int col)
{
	if (line > 0 && col > 0)
		return ar_xprintf("%s:%d:%d", path, line, col);
	if (line > 0)
		return ar_xprintf("%s:%d", path, line);
	return ar_xstrdup(path);
}

char *ar_origin_describe(const struct ar_origin *o)
{
	if (!o)
		return ar_xstrdup("command line");
	switch (o->kind) {
	case AR_ORIGIN_DEFAULT:
		return ar_xstrdup("default");
	case AR_ORIGIN_ADAPTER:
		return ar_xprintf("adapter %s", o->file ? o->file : "(unnamed)");
	case AR_ORIGIN_FILE:
		return ar_config__where(o->file ? o->file : "config file", o->line, 0);
	case AR_ORIGIN_FLAG:
		return ar_xstrdup("command line");
	default:
		return ar_xstrdup("unset");
	}
}

/* Where a value is, for an error message: the origin plus a column. */
static char *where_of(const struct ar_origin *o, int col)
{
	if (o && o->kind == AR_ORIGIN_FILE)
		return ar_config__where(o->file ? o->file : "config file", o->line, col);
	return ar_origin_describe(o);
}

static int fail(const struct ar_origin *o, int col, const char *fmt, ...) AR_PRINTF(3, 4);
static int fail(const struct ar_origin *o, int col, const char *fmt, ...)
{
	ar_buf msg = AR_BUF_INIT;
	char *w = where_of(o, col);
	va_list ap;

	va_start(ap, fmt);
	ar_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	ar_error_set(AR_EUSAGE, "%s: %s", w, ar_buf_cstr(&msg));
	free(w);
	ar_buf_release(&msg);
	return AR_EUSAGE;
}

/* Prefix the message left by regex/expr code with the location and key. */
static int fail_prefix(const struct ar_origin *o, int col, const char *key)
{
	char *w = where_of(o, col);
	ar_error_prefix(AR_EUSAGE, "%s: '%s'", w, key);
	free(w);
	return AR_EUSAGE;
}

static size_t levenshtein(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[65], prev;

	if (la > 64 || lb > 64)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = prev + cost, tmp = row[j];
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			prev = tmp;
			row[j] = best;
		}
	}
	return row[lb];
}

static void consider(const char *name, const char *cand, const char **best,
                     size_t *bestd)
{
	size_t d = levenshtein(name, cand);
	if (d < *bestd) {
		*bestd = d;
		*best = cand;
	}
}

/* The closest known name, or NULL when nothing is close.  `extra` (may be
 * NULL) is a NULL-terminated list of more candidates. */
static const char *suggest(const char *name, const char *const *extra)
{
	const char *best = NULL;
	size_t bestd = (size_t)-1, len = strlen(name);

	if (extra) {
		for (size_t i = 0; extra[i]; i++)
			consider(name, extra[i], &best, &bestd);
	} else {
		consider(name, "metric", &best, &bestd);
		for (size_t i = 0; i < NKEYS; i++)
			consider(name, keys[i].name, &best, &bestd);
		for (size_t i = 0; i < NALIASES; i++)
			consider(name, aliases[i].name, &best, &bestd);
	}
	if (best && (bestd <= 2 || bestd * 3 <= len) && bestd < len)
		return best;
	return NULL;
}

static int fail_unknown(const struct ar_origin *o, int col, const char *what,
                        const char *name, const char *const *cands)
{
	const char *s = suggest(name, cands);
	if (s)
		return fail(o, col, "unknown %s '%s' (did you mean '%s'?)", what, name, s);
	return fail(o, col, "unknown %s '%s'", what, name);
}

/* ---- origins -------------------------------------------------------------- */

static void origin_assign(struct ar_origin *dst, const struct ar_origin *src)
{
	free(dst->file);
	dst->kind = src->kind;
	dst->file = src->file ? ar_xstrdup(src->file) : NULL;
	dst->line = src->line;
}

static void origin_release(struct ar_origin *o)
{
	free(o->file);
	o->file = NULL;
	o->kind = AR_ORIGIN_UNSET;
	o->line = 0;
}

/* Slot of an extra key, or -1. */
static int extra_slot(const struct ar_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->extra_keys.n; i++)
		if (!strcmp(cfg->extra_keys.items[i], name))
			return (int)i;
	return -1;
}

static const struct ar_origin *origin_at(const struct ar_config *cfg, int idx)
{
	int slot;

	if (idx < AR_KEY__COUNT)
		return &cfg->origin[idx];
	slot = extra_slot(cfg, keys[idx].name);
	return slot < 0 ? &origin_unset : &cfg->extra_origins[slot];
}

/* 1 when a value from `o` must give way to the current one. */
static int outranked(const struct ar_config *cfg, int idx, const struct ar_origin *o)
{
	return o->kind < origin_at(cfg, idx)->kind;
}

const struct ar_origin *ar_config_origin(const struct ar_config *cfg,
                                         const char *key)
{
	enum akind kind;
	int idx = key ? resolve(key, &kind) : -1;
	return idx < 0 ? NULL : origin_at(cfg, idx);
}

/* ---- init / release ------------------------------------------------------- */

static void set_default(struct ar_config *cfg, enum ar_config_key k)
{
	cfg->origin[k].kind = AR_ORIGIN_DEFAULT;
}

void ar_config_init(struct ar_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->metric_direction = AR_LOWER_IS_BETTER;
	cfg->check_timeout = 600;
	cfg->time_budget = 300;
	cfg->timeout_multiplier = 2;
	cfg->max_experiments = 0;
	cfg->min_delta = 0;
	cfg->repeats = 1;
	cfg->agent = ar_xstrdup("auto");
	set_default(cfg, AR_KEY_METRIC_DIRECTION);
	set_default(cfg, AR_KEY_CHECK_TIMEOUT);
	set_default(cfg, AR_KEY_TIME_BUDGET);
	set_default(cfg, AR_KEY_TIMEOUT_MULTIPLIER);
	set_default(cfg, AR_KEY_MAX_EXPERIMENTS);
	set_default(cfg, AR_KEY_MIN_DELTA);
	set_default(cfg, AR_KEY_REPEATS);
	set_default(cfg, AR_KEY_AGENT);
}

static void guard_release(struct ar_guard *g)
{
	free(g->name);
	free(g->pattern);
	g->name = g->pattern = NULL;
}

static void guards_clear(struct ar_config *cfg)
{
	for (size_t i = 0; i < cfg->nguards; i++)
		guard_release(&cfg->guards[i]);
	free(cfg->guards);
	cfg->guards = NULL;
	cfg->nguards = 0;
}

void ar_config_release(struct ar_config *cfg)
{
	for (size_t i = 0; i < AR_KEY__COUNT; i++) {
		char *base = (char *)cfg + keys[i].off;
		if (keys[i].type == T_STRING)
			free(*(char **)base);
		else if (keys[i].type == T_LIST)
			ar_strvec_release((ar_strvec *)base);
		origin_release(&cfg->origin[i]);
	}
	guards_clear(cfg);
	for (size_t i = 0; i < cfg->extra_keys.n; i++)
		origin_release(&cfg->extra_origins[i]);
	free(cfg->extra_origins);
	ar_strvec_release(&cfg->extra_keys);
	ar_strvec_release(&cfg->extra_values);
	memset(cfg, 0, sizeof(*cfg));
}

/* ---- parsing values ------------------------------------------------------- */

/* A parsed value: s (owned) for strings, d for numbers, l for whole
 * numbers, directions and repeats, rel for a relative min_delta. */
struct kval {
	char *s;
	double d;
	long l;
	int rel;
};

static char *trimmed(const char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return ar_xstrndup(s, n);
}

static int word_in(const char *w, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (!strcasecmp(w, list[i]))
			return 1;
	return 0;
}

int ar_parse_seconds(const char *s, double *out)
{
	static const char *const sec[] = { "", "s", "sec", "secs", "second", "seconds", NULL };
	static const char *const min[] = { "m", "min", "mins", "minute", "minutes", NULL };
	static const char *const hour[] = { "h", "hr", "hrs", "hour", "hours", NULL };
	char *end, *unit;
	double v;
	int rc = 0;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno == ERANGE || !isfinite(v))
		return -1;
	unit = trimmed(end);
	if (word_in(unit, sec))
		*out = v;
	else if (word_in(unit, min))
		*out = v * 60;
	else if (word_in(unit, hour))
		*out = v * 3600;
	else
		rc = -1;
	free(unit);
	return rc;
}

static int parse_whole(const char *s, long *out)
{
	double v;

	if (ar_parse_double(s, &v) < 0 || v != floor(v) || fabs(v) > 1e15)
		return -1;
	*out = (long)v;
	return 0;
}

static int parse_bool(const char *s, long *out)
{
	static const char *const yes[] = { "true", "yes", "on", NULL };
	static const char *const no[] = { "false", "no", "off", NULL };

	if (word_in(s, yes))
		*out = 1;
	else if (word_in(s, no))
		*out = 0;
	else
		return -1;
	return 0;
}

static int parse_direction(const char *s, long *out)
{
	static const char *const lower[] = { "lower", "lower_is_better",
		"lower-is-better", "min", "minimize", "minimise", NULL };
	static const char *const higher[] = { "higher", "higher_is_better",
		"higher-is-better", "max", "maximize", "maximise", NULL };

	if (word_in(s, lower))
		*out = AR_LOWER_IS_BETTER;
	else if (word_in(s, higher))
		*out = AR_HIGHER_IS_BETTER;
	else
		return -1;
	return 0;
}

/* "0.01" (absolute) or "0.5%" (relative, stored as the fraction 0.005). */
static int parse_delta(const char *s, double *out, int *rel)
{
	char *t = trimmed(s);
	size_t n = strlen(t);
	int rc;

	*rel = n && t[n - 1] == '%';
	if (*rel)
		t[n - 1] = '\0';
	rc = ar_parse_double(t, out);
	if (!rc && *rel)
		*out /= 100;
	free(t);
	return rc < 0 || *out < 0 ? -1 : 0;
}

static int parse_choice(const char *s, const char *choices)
{
	size_t n = strlen(s);
	const char *p = choices;

	while (n && *p) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		if (len == n && !strncasecmp(p, s, n))
			return 0;
		p += len + (bar ? 1 : 0);
	}
	return -1;
}

static int in_range(const struct keydef *k, double v)
{
	if ((k->flags & K_LO) && !(v >= k->lo))
		return 0;
	if ((k->flags & K_LO_EXCL) && !(v > k->lo))
		return 0;
	if ((k->flags & K_HI_EXCL) && !(v < k->hi))
		return 0;
	return 1;
}

/* 1 when a regex has a capturing group: an unescaped '(' outside a class
 * that is not "(?" - except the named groups (?<n> (?'n' (?P<n>. */
static int has_group(const char *p)
{
	for (; *p; p++) {
		if (*p == '\\') {
			if (p[1] == 'Q') {
				const char *e = strstr(p, "\\E");
				if (!e)
					return 0;
				p = e + 1;
			} else if (p[1]) {
				p++;
			}
		} else if (*p == '[') {
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			while (*p && *p != ']')
				p += *p == '\\' && p[1] ? 2 : 1;
			if (!*p)
				return 0;
		} else if (*p == '(') {
			if (p[1] == '*')
				continue;
			if (p[1] != '?')
				return 1;
			if ((p[2] == '<' && p[3] != '=' && p[3] != '!') || p[2] == '\'' ||
			    (p[2] == 'P' && p[3] == '<'))
				return 1;
		}
	}
	return 0;
}

/* Check a regex and give it a number group when it has none: *out is the
 * pattern to store (caller frees).  AR_EUSAGE with the regex message. */
static int normalize_regex(const char *pattern, char **out)
{
	ar_regex *re = NULL;
	int err = ar_regex_compile(&re, pattern);

	*out = NULL;
	if (err < 0)
		return AR_EUSAGE;
	ar_regex_free(re);
	if (has_group(pattern)) {
		*out = ar_xstrdup(pattern);
		return 0;
	}
	*out = ar_xprintf("(?:%s)\\s*([-+]?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)"
	                  "(?:[eE][-+]?[0-9]+)?)", pattern);
	err = ar_regex_compile(&re, *out);
	ar_regex_free(re);
	if (err < 0) {
		free(*out);
		*out = NULL;
		return AR_EUSAGE;
	}
	return 0;
}

/* A name that can follow "autoresearch/" in a git branch name. */
static int valid_ref(const char *s)
{
	size_t n = strlen(s);

	if (!n || s[0] == '-' || s[0] == '.' || s[0] == '/' || s[n - 1] == '/' ||
	    s[n - 1] == '.' || strstr(s, "..") || strstr(s, "//") ||
	    strstr(s, "/.") || (n >= 5 && !strcmp(s + n - 5, ".lock")))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-/", *s))
			return 0;
	return 1;
}

static const char *what_of(const struct keydef *k)
{
	if (k->what)
		return k->what;
	return k->type == T_LIST ? "a list of strings" : "a non-empty string";
}

static int parse_string(const struct keydef *k, const char *shown, const char *v,
                        const struct ar_origin *o, int col, struct kval *out)
{
	char *t = trimmed(v);
	ar_expr *e = NULL;
	int err = 0;

	if (!*t)
		err = fail(o, col, "'%s' must be %s, got '%s'", shown, what_of(k), v);
	else if ((k->flags & K_REF) && !valid_ref(t))
		err = fail(o, col, "'%s' must be %s, got '%s'", shown, what_of(k), v);
	else if ((k->flags & K_REGEX) ||
	         ((k->flags & K_MEMORY) && strcasecmp(t, "rss"))) {
		if (normalize_regex(v, &out->s) < 0)
			err = fail_prefix(o, col, shown);
	} else if ((k->flags & K_EXPR) && ar_expr_parse(&e, t) < 0) {
		err = fail_prefix(o, col, shown);
	}
	ar_expr_free(e);
	if (!err && !out->s) {
		out->s = t;
		t = NULL;
	}
	free(t);
	return err;
}

/* Parse `v` as key k (named `shown` in messages) into *out. */
static int parse_value(const struct keydef *k, const char *shown, const char *v,
                       const struct ar_origin *o, int col, struct kval *out)
{
	char *t;
	int bad = 0;

	memset(out, 0, sizeof(*out));
	if (k->type == T_STRING)
		return parse_string(k, shown, v, o, col, out);
	t = trimmed(v);
	switch (k->type) {
	case T_SECONDS:
		bad = ar_parse_seconds(t, &out->d) < 0 || !in_range(k, out->d);
		break;
	case T_NUMBER:
		bad = ar_parse_double(t, &out->d) < 0 || !in_range(k, out->d);
		break;
	case T_INT:
		bad = parse_whole(t, &out->l) < 0 || !in_range(k, (double)out->l);
		break;
	case T_COUNT:
		bad = parse_bool(t, &out->l) < 0 &&
		      (parse_whole(t, &out->l) < 0 || out->l < 0);
		break;
	case T_CHOICE:
		bad = parse_choice(t, k->choices) < 0;
		for (char *c = t; !bad && *c; c++)
			*c = (char)tolower((unsigned char)*c);
		break;
	case T_DIRECTION:
		bad = parse_direction(t, &out->l) < 0;
		break;
	case T_DELTA:
		bad = parse_delta(t, &out->d, &out->rel) < 0;
		break;
	case T_REPEATS:
		if (!strcasecmp(t, "auto"))
			out->l = AR_REPEATS_AUTO;
		else
			bad = parse_whole(t, &out->l) < 0 || out->l < 1 || out->l > 1000000;
		break;
	default:
		bad = 1;
	}
	if (!bad && k->type == T_CHOICE)
		out->s = ar_xstrdup(t);
	free(t);
	if (bad)
		return fail(o, col, "'%s' must be %s, got '%s'", shown, what_of(k), v);
	return 0;
}

/* ---- storing values --------------------------------------------------------- */

static ar_strvec *list_at(struct ar_config *cfg, int idx)
{
	return (ar_strvec *)((char *)cfg + keys[idx].off);
}

/* Store an extra key's normalised string form. */
static void store_extra(struct ar_config *cfg, int idx, struct kval *v,
                        const struct ar_origin *o)
{
	const struct keydef *k = &keys[idx];
	int slot = extra_slot(cfg, k->name);
	char *s;

	if (k->type == T_SECONDS || k->type == T_NUMBER)
		s = ar_xprintf("%.15g", v->d);
	else if (k->type == T_INT || k->type == T_COUNT)
		s = ar_xprintf("%ld", v->l);
	else
		s = v->s ? v->s : ar_xstrdup("");
	v->s = NULL;
	if (slot < 0) {
		slot = (int)cfg->extra_keys.n;
		ar_strvec_push(&cfg->extra_keys, k->name);
		ar_strvec_push_nodup(&cfg->extra_values, s);
		cfg->extra_origins = ar_xrealloc(cfg->extra_origins,
		                                 cfg->extra_keys.n * sizeof(struct ar_origin));
		memset(&cfg->extra_origins[slot], 0, sizeof(struct ar_origin));
	} else {
		free(cfg->extra_values.items[slot]);
		cfg->extra_values.items[slot] = s;
	}
	origin_assign(&cfg->extra_origins[slot], o);
}

/* Names metric.expr uses that `values` lacks are appended to it. */
static void add_expr_names(struct ar_config *cfg, const struct ar_origin *o)
{
	ar_expr *e = NULL;
	const char *name;

	if (ar_expr_parse(&e, cfg->metric_expr) < 0) {
		ar_error_clear();
		return;
	}
	for (size_t i = 0; (name = ar_expr_name(e, i)); i++)
		if (!ar_strvec_contains(&cfg->values, name))
			ar_strvec_push(&cfg->values, name);
	if (cfg->values.n && cfg->origin[AR_KEY_VALUES].kind == AR_ORIGIN_UNSET)
		origin_assign(&cfg->origin[AR_KEY_VALUES], o);
	ar_expr_free(e);
}

/* Store a parsed scalar value (the caller checked precedence). */
static void store(struct ar_config *cfg, int idx, struct kval *v,
                  const struct ar_origin *o)
{
	char *base = (char *)cfg + keys[idx].off;

	if (idx >= AR_KEY__COUNT) {
		store_extra(cfg, idx, v, o);
		return;
	}
	switch (keys[idx].type) {
	case T_STRING:
		free(*(char **)base);
		*(char **)base = v->s;
		v->s = NULL;
		break;
	case T_SECONDS:
	case T_NUMBER:
		*(double *)base = v->d;
		break;
	case T_INT:
		*(long *)base = v->l;
		break;
	case T_DIRECTION:
		*(int *)base = (int)v->l;
		break;
	case T_DELTA:
		cfg->min_delta = v->d;
		cfg->min_delta_relative = v->rel;
		break;
	case T_REPEATS:
		cfg->repeats = (int)v->l;
		break;
	default:
		break;
	}
	origin_assign(&cfg->origin[idx], o);
	if (idx == AR_KEY_TIME_BUDGET && cfg->timeout_s > 0)
		cfg->timeout_multiplier = cfg->timeout_s / cfg->time_budget;
	if (idx == AR_KEY_TIMEOUT_MULTIPLIER)
		cfg->timeout_s = 0;
	if (idx == AR_KEY_METRIC_EXPR)
		add_expr_names(cfg, o);
}

/* ---- set / add ------------------------------------------------------------ */

/* Does a metric_grep value look like a shell command rather than a regex?
 * Yes when its first word is a common text tool, or it has a '|' with a
 * space beside it (a pipe, not a regex alternation). */
static int looks_like_command(const char *s)
{
	static const char *const tools[] = { "grep", "egrep", "fgrep", "rg",
		"awk", "gawk", "mawk", "sed", "tail", "head", "cat", "cut", "tr",
		"jq", "perl", "python", "python3", "sh", "bash", "echo", "printf",
		"sort", NULL };
	const char *w, *e, *base;

	for (const char *p = s; *p; p++)
		if (*p == '|' && ((p > s && isspace((unsigned char)p[-1])) ||
		                  isspace((unsigned char)p[1])))
			return 1;
	while (isspace((unsigned char)*s))
		s++;
	for (w = e = s; *e && !isspace((unsigned char)*e); e++)
		;
	if (!*e)
		return 0;
	base = w;
	for (const char *p = w; p < e; p++)
		if (*p == '/')
			base = p + 1;
	for (size_t i = 0; tools[i]; i++)
		if (strlen(tools[i]) == (size_t)(e - base) &&
		    !strncmp(tools[i], base, (size_t)(e - base)))
			return 1;
	return 0;
}

/* Add one item to a list key: the first add from a higher origin replaces
 * what a lower one put there; one from a lower origin is ignored. */
static int list_add(struct ar_config *cfg, int idx, const char *item,
                    const struct ar_origin *o, int col, const char *shown)
{
	ar_strvec *l = list_at(cfg, idx);
	struct ar_origin *cur = &cfg->origin[idx];
	char *t = trimmed(item);

	if (!*t) {
		free(t);
		return fail(o, col, "'%s' must not have an empty item", shown);
	}
	if (o->kind < cur->kind) {
		free(t);
		return 0;
	}
	if (o->kind > cur->kind) {
		ar_strvec_clear(l);
		origin_assign(cur, o);
	}
	if (ar_strvec_contains(l, t))
		free(t);
	else
		ar_strvec_push_nodup(l, t);
	return 0;
}

/* Add `value`, split on commas for the lists that allow it. */
static int list_add_split(struct ar_config *cfg, int idx, const char *value,
                          const struct ar_origin *o, int col, const char *shown)
{
	char *copy, *p, *comma;
	int err = 0;

	if (!(keys[idx].flags & K_SPLIT))
		return list_add(cfg, idx, value, o, col, shown);
	copy = ar_xstrdup(value);
	for (p = copy; p && !err; p = comma ? comma + 1 : NULL) {
		comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		char *t = trimmed(p);
		if (*t)
			err = list_add(cfg, idx, t, o, col, shown);
		free(t);
	}
	free(copy);
	return err;
}

/* Set a list key: replace its contents (when `o` ranks high enough). */
static int list_set(struct ar_config *cfg, int idx, const char *value,
                    const struct ar_origin *o, int col, const char *shown)
{
	if (outranked(cfg, idx, o))
		return 0;
	ar_strvec_clear(list_at(cfg, idx));
	origin_assign(&cfg->origin[idx], o);
	return list_add_split(cfg, idx, value, o, col, shown);
}

/* time_budget_minutes and timeout_minutes. */
static int set_minutes(struct ar_config *cfg, int idx, enum akind kind,
                       const char *shown, const char *value,
                       const struct ar_origin *o, int col)
{
	static const struct keydef minutes = { "minutes", T_NUMBER, 0, K_LO_EXCL,
		0, 0, "a positive number of minutes", NULL };
	struct kval v;
	int err = parse_value(&minutes, shown, value, o, col, &v);

	if (err < 0 || outranked(cfg, idx, o))
		return err;
	if (kind == A_MINUTES) {
		v.d *= 60;
		store(cfg, idx, &v, o);
		return 0;
	}
	cfg->timeout_s = v.d * 60;
	cfg->timeout_multiplier = cfg->timeout_s / cfg->time_budget;
	origin_assign(&cfg->origin[AR_KEY_TIMEOUT_MULTIPLIER], o);
	return 0;
}

static int set_at(struct ar_config *cfg, const char *key, const char *value,
                  const struct ar_origin *o, int col)
{
	enum akind kind;
	int idx = resolve(key, &kind), err;
	struct kval v;

	if (idx < 0)
		return fail_unknown(o, col, "key", key, NULL);
	if (!value)
		return fail(o, col, "'%s' needs a value", key);
	if (kind == A_GREP && looks_like_command(value))
		idx = AR_KEY_METRIC_COMMAND;
	if (kind == A_MINUTES || kind == A_TIMEOUT_MINUTES)
		return set_minutes(cfg, idx, kind, key, value, o, col);
	if (keys[idx].type == T_GUARDS)
		return fail(o, col, "'guards' is a list of mappings (name, pattern, "
		            "max, min, max_regression): write it in .autoresearch.yaml");
	if (keys[idx].type == T_LIST)
		return list_set(cfg, idx, value, o, col, key);
	err = parse_value(&keys[idx], key, value, o, col, &v);
	if (err < 0)
		return err;
	if (!outranked(cfg, idx, o))
		store(cfg, idx, &v, o);
	free(v.s);
	return 0;
}

int ar_config_set(struct ar_config *cfg, const char *key, const char *value,
                  const struct ar_origin *origin)
{
	if (!key)
		return ar_error_set(AR_EUSAGE, "no configuration key given");
	return set_at(cfg, key, value, origin ? origin : &origin_flag, 0);
}

int ar_config_add(struct ar_config *cfg, const char *key, const char *value,
                  const struct ar_origin *origin)
{
	const struct ar_origin *o = origin ? origin : &origin_flag;
	enum akind kind;
	int idx = key ? resolve(key, &kind) : -1;

	if (!key)
		return ar_error_set(AR_EUSAGE, "no configuration key given");
	if (idx < 0)
		return fail_unknown(o, 0, "key", key, NULL);
	if (keys[idx].type != T_LIST)
		return fail(o, 0, "'%s' is not a list (set it instead)", key);
	if (!value)
		return fail(o, 0, "'%s' needs a value", key);
	return list_add(cfg, idx, value, o, 0, key);
}

/* ---- guards --------------------------------------------------------------- */

static int add_guard_at(struct ar_config *cfg, struct ar_guard *g,
                        const struct ar_origin *o, int col)
{
	struct ar_origin *cur = &cfg->origin[AR_KEY_GUARDS];
	char *pat = NULL;
	size_t i;

	if (!g->name || !*g->name)
		return fail(o, col, "a guard needs a 'name'");
	if (!g->has_max && !g->has_min && !g->has_max_regression)
		return fail(o, col, "guard '%s' needs max, min or max_regression", g->name);
	if (g->has_max_regression && !(g->max_regression >= 0))
		return fail(o, col, "guard '%s': max_regression must be >= 0", g->name);
	if (g->pattern && normalize_regex(g->pattern, &pat) < 0) {
		char *w = where_of(o, col);
		ar_error_prefix(AR_EUSAGE, "%s: guard '%s' pattern", w, g->name);
		free(w);
		return AR_EUSAGE;
	}
	if (o->kind < cur->kind) {
		free(pat);
		guard_release(g);
		return 0;
	}
	if (o->kind > cur->kind) {
		guards_clear(cfg);
		origin_assign(cur, o);
	}
	free(g->pattern);
	g->pattern = pat;
	for (i = 0; i < cfg->nguards; i++)
		if (!strcmp(cfg->guards[i].name, g->name))
			break;
	if (i == cfg->nguards) {
		cfg->guards = ar_xrealloc(cfg->guards, (i + 1) * sizeof(*g));
		cfg->nguards++;
	} else {
		guard_release(&cfg->guards[i]);
	}
	cfg->guards[i] = *g;
	g->name = g->pattern = NULL;
	return 0;
}

int ar_config_add_guard(struct ar_config *cfg, struct ar_guard *g,
                        const struct ar_origin *origin)
{
	return add_guard_at(cfg, g, origin ? origin : &origin_flag, 0);
}

/* ---- get -------------------------------------------------------------- */

static void describe_guard(ar_buf *b, const struct ar_guard *g)
{
	const char *sep = "";

	ar_buf_printf(b, "%s (", g->name);
	if (g->has_min) {
		ar_buf_printf(b, "min %g", g->min);
		sep = ", ";
	}
	if (g->has_max) {
		ar_buf_printf(b, "%smax %g", sep, g->max);
		sep = ", ";
	}
	if (g->has_max_regression) {
		if (g->max_regression_relative)
			ar_buf_printf(b, "%smax_regression %g%%", sep, g->max_regression * 100);
		else
			ar_buf_printf(b, "%smax_regression %g", sep, g->max_regression);
	}
	ar_buf_addch(b, ')');
}

static char *get_list(const ar_strvec *v)
{
	ar_buf b = AR_BUF_INIT;

	if (!v->n)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		ar_buf_printf(&b, "%s%s", i ? ", " : "", v->items[i]);
	return ar_buf_detach(&b);
}

static char *get_guards(const struct ar_config *cfg)
{
	ar_buf b = AR_BUF_INIT;

	if (!cfg->nguards)
		return NULL;
	for (size_t i = 0; i < cfg->nguards; i++) {
		if (i)
			ar_buf_adds(&b, ", ");
		describe_guard(&b, &cfg->guards[i]);
	}
	return ar_buf_detach(&b);
}

char *ar_config_get(const struct ar_config *cfg, const char *key)
{
	enum akind kind;
	int idx = key ? resolve(key, &kind) : -1, slot;
	const char *base;

	if (idx < 0 || kind == A_MINUTES || kind == A_TIMEOUT_MINUTES)
		return NULL;
	if (idx >= AR_KEY__COUNT) {
		slot = extra_slot(cfg, keys[idx].name);
		return slot < 0 ? NULL : ar_xstrdup(cfg->extra_values.items[slot]);
	}
	base = (const char *)cfg + keys[idx].off;
	switch (keys[idx].type) {
	case T_STRING:
		return *(char *const *)base ? ar_xstrdup(*(char *const *)base) : NULL;
	case T_LIST:
		return get_list((const ar_strvec *)base);
	case T_SECONDS:
	case T_NUMBER:
		return ar_xprintf("%g", *(const double *)base);
	case T_INT:
		return ar_xprintf("%ld", *(const long *)base);
	case T_DIRECTION:
		return ar_xstrdup(*(const int *)base == AR_HIGHER_IS_BETTER ? "higher" : "lower");
	case T_DELTA:
		if (cfg->min_delta_relative)
			return ar_xprintf("%g%%", cfg->min_delta * 100);
		return ar_xprintf("%g", cfg->min_delta);
	case T_REPEATS:
		if (cfg->repeats == AR_REPEATS_AUTO)
			return ar_xstrdup("auto");
		return ar_xprintf("%d", cfg->repeats);
	case T_GUARDS:
		return get_guards(cfg);
	default:
		return NULL;
	}
}

int ar_config_get_number(const struct ar_config *cfg, const char *key,
                         double *out)
{
	enum akind kind;
	int idx = key ? resolve(key, &kind) : -1, slot;
	const char *base;

	if (idx >= AR_KEY__COUNT) {
		slot = extra_slot(cfg, keys[idx].name);
		if (slot >= 0 && ar_parse_double(cfg->extra_values.items[slot], out) == 0)
			return 0;
	} else if (idx >= 0 && kind == A_PLAIN) {
		base = (const char *)cfg + keys[idx].off;
		switch (keys[idx].type) {
		case T_SECONDS:
		case T_NUMBER:
			*out = *(const double *)base;
			return 0;
		case T_INT:
			*out = (double)*(const long *)base;
			return 0;
		case T_DELTA:
			*out = cfg->min_delta;
			return 0;
		case T_REPEATS:
			*out = cfg->repeats;
			return 0;
		default:
			break;
		}
	}
	return ar_error_set(AR_ENOTFOUND, "'%s' is not set or not a number",
	                    key ? key : "(null)");
}

/* ---- validate ------------------------------------------------------------- */

static int check_regex(const char *pattern, const struct ar_origin *o,
                       const char *shown)
{
	ar_regex *re = NULL;

	if (ar_regex_compile(&re, pattern) < 0)
		return fail_prefix(o, 0, shown);
	ar_regex_free(re);
	return 0;
}

static int validate_expr(const struct ar_config *cfg)
{
	const struct ar_origin *o = &cfg->origin[AR_KEY_METRIC_EXPR];
	ar_expr *e = NULL;
	const char *name;
	int err = 0;

	if (!cfg->metric_expr)
		return 0;
	if (ar_expr_parse(&e, cfg->metric_expr) < 0)
		return fail_prefix(o, 0, "metric.expr");
	for (size_t i = 0; !err && (name = ar_expr_name(e, i)); i++) {
		if (ar_strvec_contains(&cfg->values, name))
			continue;
		char *vo = ar_origin_describe(&cfg->origin[AR_KEY_VALUES]);
		err = fail(o, 0, "'metric.expr' uses '%s', which is not in 'values' "
		           "(set at %s): add it there", name, vo);
		free(vo);
	}
	ar_expr_free(e);
	return err;
}

static int validate_guards(const struct ar_config *cfg)
{
	const struct ar_origin *o = &cfg->origin[AR_KEY_GUARDS];

	for (size_t i = 0; i < cfg->nguards; i++) {
		const struct ar_guard *g = &cfg->guards[i];
		if (!g->name || !*g->name)
			return fail(o, 0, "a guard needs a 'name'");
		if (!g->has_max && !g->has_min && !g->has_max_regression)
			return fail(o, 0, "guard '%s' needs max, min or max_regression",
			            g->name);
		if (g->pattern && check_regex(g->pattern, o, "guards") < 0)
			return AR_EUSAGE;
	}
	return 0;
}

static int validate_timeout(const struct ar_config *cfg)
{
	const struct ar_origin *o = &cfg->origin[AR_KEY_TIMEOUT_MULTIPLIER];

	if (cfg->timeout_multiplier >= 1)
		return 0;
	if (cfg->timeout_s > 0)
		return fail(o, 0, "timeout_minutes (%g) is shorter than the time budget "
		            "(%g minutes): make it at least as long",
		            cfg->timeout_s / 60, cfg->time_budget / 60);
	return fail(o, 0, "'timeout_multiplier' must be at least 1, got %g",
	            cfg->timeout_multiplier);
}

static int validate_numbers(const struct ar_config *cfg)
{
	const struct ar_origin *o = cfg->origin;

	if (!(cfg->time_budget > 0))
		return fail(&o[AR_KEY_TIME_BUDGET], 0, "'time_budget' must be %s, got %g",
		            W_SECONDS, cfg->time_budget);
	if (!(cfg->check_timeout > 0))
		return fail(&o[AR_KEY_CHECK_TIMEOUT], 0, "'check_timeout' must be %s, "
		            "got %g", W_SECONDS, cfg->check_timeout);
	if (validate_timeout(cfg) < 0)
		return AR_EUSAGE;
	if (cfg->max_experiments < 0)
		return fail(&o[AR_KEY_MAX_EXPERIMENTS], 0, "'max_experiments' must be "
		            ">= 0, got %ld", cfg->max_experiments);
	if (!(cfg->min_delta >= 0))
		return fail(&o[AR_KEY_MIN_DELTA], 0, "'min_delta' must be >= 0, got %g",
		            cfg->min_delta);
	if (cfg->repeats < 1 && cfg->repeats != AR_REPEATS_AUTO)
		return fail(&o[AR_KEY_REPEATS], 0, "'repeats' must be %s, got %d",
		            keys[AR_KEY_REPEATS].what, cfg->repeats);
	if (cfg->metric_direction != AR_LOWER_IS_BETTER &&
	    cfg->metric_direction != AR_HIGHER_IS_BETTER)
		return fail(&o[AR_KEY_METRIC_DIRECTION], 0, "'metric.direction' must be "
		            "lower or higher");
	return 0;
}

int ar_config_validate(const struct ar_config *cfg)
{
	const struct ar_origin *o = cfg->origin;

	if (cfg->metric_pattern &&
	    check_regex(cfg->metric_pattern, &o[AR_KEY_METRIC_PATTERN], "metric.pattern") < 0)
		return AR_EUSAGE;
	if (cfg->memory && strcasecmp(cfg->memory, "rss") &&
	    check_regex(cfg->memory, &o[AR_KEY_MEMORY], "memory") < 0)
		return AR_EUSAGE;
	if (validate_guards(cfg) < 0 || validate_expr(cfg) < 0)
		return AR_EUSAGE;
	return validate_numbers(cfg);
}

/* ---- the tree the readers build ------------------------------------------ */

struct ar_cnode *ar_config__node_push(struct ar_cnode *n)
{
	n->kids = ar_xrealloc(n->kids, (n->nkids + 1) * sizeof(*n->kids));
	memset(&n->kids[n->nkids], 0, sizeof(*n->kids));
	return &n->kids[n->nkids++];
}

void ar_config__node_release(struct ar_cnode *n)
{
	for (size_t i = 0; i < n->nkids; i++)
		ar_config__node_release(&n->kids[i]);
	free(n->kids);
	free(n->scalar);
	free(n->key);
	memset(n, 0, sizeof(*n));
}

static const char *node_kind(const struct ar_cnode *n)
{
	switch (n->type) {
	case AR_CNODE_SEQ:
		return "a list";
	case AR_CNODE_MAP:
		return "a mapping";
	case AR_CNODE_SCALAR:
		return "a single value";
	default:
		return "nothing";
	}
}

/* Origin FILE at a node's value (line) or key (line). */
static struct ar_origin at_value(const char *path, const struct ar_cnode *n)
{
	struct ar_origin o = { AR_ORIGIN_FILE, (char *)path, n->line };
	return o;
}

static struct ar_origin at_key(const char *path, const struct ar_cnode *n)
{
	struct ar_origin o = { AR_ORIGIN_FILE, (char *)path,
	                       n->key_line ? n->key_line : n->line };
	return o;
}

static int key_col(const struct ar_cnode *n)
{
	return n->key_line ? n->key_col : n->col;
}

/* A key given twice in one mapping is an error. */
static int check_dups(const struct ar_cnode *map, const char *path)
{
	for (size_t i = 1; i < map->nkids; i++)
		for (size_t j = 0; j < i; j++) {
			const struct ar_cnode *a = &map->kids[j], *b = &map->kids[i];
			if (!a->key || !b->key || strcmp(a->key, b->key))
				continue;
			struct ar_origin o = at_key(path, b);
			return fail(&o, key_col(b), "'%s' is given twice (first at line %d)",
			            b->key, a->key_line);
		}
	return 0;
}

/* ---- applying a tree -------------------------------------------------------- */

static int apply_map(struct ar_config *cfg, const struct ar_cnode *map,
                     const char *prefix, const char *path);

static int guard_number(const struct ar_cnode *kid, const char *path,
                        const char *gname, double *out)
{
	struct ar_origin o = at_value(path, kid);

	if (ar_parse_double(kid->scalar, out) < 0)
		return fail(&o, kid->col, "guard '%s': '%s' must be a number, got '%s'",
		            gname, kid->key, kid->scalar);
	return 0;
}

/* One guard mapping's field into g. */
static int guard_field(struct ar_guard *g, const struct ar_cnode *kid,
                       const char *path)
{
	static const char *const gkeys[] = { "name", "pattern", "max", "min",
		"max_regression", NULL };
	struct ar_origin o = at_value(path, kid), ko = at_key(path, kid);
	const char *gname = g->name ? g->name : "(unnamed)";

	for (size_t i = 0;; i++) {
		if (!gkeys[i])
			return fail_unknown(&ko, key_col(kid), "guard key", kid->key, gkeys);
		if (!strcmp(gkeys[i], kid->key))
			break;
	}
	if (kid->type != AR_CNODE_SCALAR)
		return fail(&o, kid->col, "guard '%s': '%s' must be a single value, got %s",
		            gname, kid->key, node_kind(kid));
	if (!strcmp(kid->key, "name")) {
		free(g->name);
		g->name = trimmed(kid->scalar);
	} else if (!strcmp(kid->key, "pattern")) {
		free(g->pattern);
		g->pattern = ar_xstrdup(kid->scalar);
	} else if (!strcmp(kid->key, "max")) {
		g->has_max = 1;
		return guard_number(kid, path, gname, &g->max);
	} else if (!strcmp(kid->key, "min")) {
		g->has_min = 1;
		return guard_number(kid, path, gname, &g->min);
	} else {
		g->has_max_regression = 1;
		if (parse_delta(kid->scalar, &g->max_regression,
		                &g->max_regression_relative) < 0)
			return fail(&o, kid->col, "guard '%s': 'max_regression' must be a "
			            "number >= 0 or a percentage like '5%%', got '%s'",
			            gname, kid->scalar);
	}
	return 0;
}

static int apply_guard(struct ar_config *cfg, const struct ar_cnode *item,
                       const char *path)
{
	struct ar_origin o = at_value(path, item);
	struct ar_guard g;
	int err = check_dups(item, path);

	memset(&g, 0, sizeof(g));
	/* The name first, so that messages about the other fields can use it. */
	for (size_t i = 0; !err && i < item->nkids; i++)
		if (item->kids[i].key && !strcmp(item->kids[i].key, "name") &&
		    item->kids[i].type != AR_CNODE_NULL)
			err = guard_field(&g, &item->kids[i], path);
	for (size_t i = 0; !err && i < item->nkids; i++)
		if (item->kids[i].type != AR_CNODE_NULL &&
		    strcmp(item->kids[i].key, "name"))
			err = guard_field(&g, &item->kids[i], path);
	if (!err)
		err = add_guard_at(cfg, &g, &o, item->col);
	guard_release(&g);
	return err;
}

static int apply_guards(struct ar_config *cfg, const struct ar_cnode *n,
                        const char *path)
{
	struct ar_origin o = at_value(path, n);
	int err = 0;

	if (n->type == AR_CNODE_MAP)
		return apply_guard(cfg, n, path);
	if (n->type != AR_CNODE_SEQ)
		return fail(&o, n->col, "'guards' must be a list of mappings like "
		            "'- name: memory_gb' with max, min or max_regression, got %s",
		            node_kind(n));
	for (size_t i = 0; !err && i < n->nkids; i++) {
		const struct ar_cnode *item = &n->kids[i];
		struct ar_origin io = at_value(path, item);
		if (item->type == AR_CNODE_MAP)
			err = apply_guard(cfg, item, path);
		else if (item->type != AR_CNODE_NULL)
			err = fail(&io, item->col, "each guard must be a mapping like "
			           "'- name: memory_gb', got %s", node_kind(item));
	}
	return err;
}

static int apply_list(struct ar_config *cfg, int idx, const char *name,
                      const struct ar_cnode *n, const char *path)
{
	struct ar_origin o = at_value(path, n);
	int err = 0;

	if (n->type == AR_CNODE_SCALAR)
		return list_add_split(cfg, idx, n->scalar, &o, n->col, name);
	if (n->type != AR_CNODE_SEQ)
		return fail(&o, n->col, "'%s' must be a list of strings or one string, "
		            "got %s", name, node_kind(n));
	for (size_t i = 0; !err && i < n->nkids; i++) {
		const struct ar_cnode *item = &n->kids[i];
		struct ar_origin io = at_value(path, item);
		if (item->type == AR_CNODE_SCALAR)
			err = list_add(cfg, idx, item->scalar, &io, item->col, name);
		else if (item->type != AR_CNODE_NULL)
			err = fail(&io, item->col, "the items of '%s' must be strings, got %s",
			           name, node_kind(item));
	}
	return err;
}

static int is_ignored(const char *name)
{
	for (size_t i = 0; i < sizeof(ignored_keys) / sizeof(ignored_keys[0]); i++)
		if (!strcmp(ignored_keys[i], name))
			return 1;
	return 0;
}

/* One key (its full dotted name) and its value node. */
static int apply_entry(struct ar_config *cfg, const char *name,
                       const struct ar_cnode *n, const char *path)
{
	struct ar_origin o = at_value(path, n), ko = at_key(path, n);
	enum akind kind;
	int idx;

	if (n->type == AR_CNODE_NULL || is_ignored(name))
		return 0;
	if (n->type == AR_CNODE_MAP && (!strcmp(name, "metric") || !strcmp(name, "agent")))
		return apply_map(cfg, n, name, path);
	if (!strcmp(name, "metric"))
		name = "metric.name";
	idx = resolve(name, &kind);
	if (idx < 0)
		return fail_unknown(&ko, key_col(n), "key", name, NULL);
	if (keys[idx].type == T_GUARDS)
		return apply_guards(cfg, n, path);
	if (keys[idx].type == T_LIST && kind == A_PLAIN)
		return apply_list(cfg, idx, name, n, path);
	if (n->type != AR_CNODE_SCALAR)
		return fail(&o, n->col, "'%s' must be %s, got %s", name,
		            what_of(&keys[idx]), node_kind(n));
	return set_at(cfg, name, n->scalar, &o, n->col);
}

static int apply_map(struct ar_config *cfg, const struct ar_cnode *map,
                     const char *prefix, const char *path)
{
	int err = check_dups(map, path);

	for (size_t i = 0; !err && i < map->nkids; i++) {
		const struct ar_cnode *kid = &map->kids[i];
		char *name = prefix ? ar_xprintf("%s.%s", prefix, kid->key)
		                    : ar_xstrdup(kid->key);
		err = apply_entry(cfg, name, kid, path);
		free(name);
	}
	return err;
}

int ar_config__apply(struct ar_config *cfg, const struct ar_cnode *root,
                     const char *path)
{
	struct ar_origin o;

	if (!root || root->type == AR_CNODE_NULL)
		return 0;
	o = at_value(path, root);
	if (root->type != AR_CNODE_MAP)
		return fail(&o, root->col, "the top level must be a mapping of keys "
		            "(like 'run_command: ...'), not %s", node_kind(root));
	return apply_map(cfg, root, NULL, path);
}

/* ---- files -------------------------------------------------------------- */

int ar_config__read(const char *path, char **out, size_t *len)
{
	char msg[512];
	int err;

	*out = NULL;
	if (!ar_path_exists(path))
		return ar_error_set(AR_EUSAGE, "%s: no such config file", path);
	err = ar_file_read(path, CONFIG_MAX_BYTES + 1, out, len);
	if (err < 0) {
		snprintf(msg, sizeof(msg), "%s", ar_error_last());
		return ar_error_set(AR_EUSAGE, "%s", msg);
	}
	if (*len > CONFIG_MAX_BYTES) {
		free(*out);
		*out = NULL;
		return ar_error_set(AR_EUSAGE, "%s: config file too large (over %d bytes)",
		                    path, CONFIG_MAX_BYTES);
	}
	return 0;
}

int ar_config_load_repo(struct ar_config *cfg, const char *root, char **found_path)
{
	static const char *const names[] = { ".autoresearch.yaml",
		".autoresearch.yml", ".autoresearch.json", "CLAUDE.md" };
	int err = 0;

	if (found_path)
		*found_path = NULL;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *path = ar_path_join(root, names[i]);
		if (!ar_path_exists(path)) {
			free(path);
			continue;
		}
		if (i < 2)
			err = ar_config_load_yaml(cfg, path);
		else if (i == 2)
			err = ar_config_load_json(cfg, path);
		else
			err = ar_config_load_claude(cfg, path);
		if (err == AR_ENOTFOUND) { /* CLAUDE.md without a section */
			ar_error_clear();
			err = 0;
		} else if (!err && found_path) {
			*found_path = path;
			path = NULL;
		}
		free(path);
		break;
	}
	return err;
}
