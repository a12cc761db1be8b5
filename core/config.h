/*
 * config.h - the one configuration model.
 *
 * Every source fills the same struct ar_config through ar_config_set*():
 * built-in defaults, the adapter's defaults, a config file
 * (.autoresearch.yaml, else .autoresearch.json, else CLAUDE.md's
 * "## autoresearch" section) and command-line flags, in that order of
 * precedence.  Every key remembers where its value came from.
 *
 * Keys are named canonically with dots ("metric.name"); the flat keys of the
 * workflows `ar` replaces are accepted as aliases (see ar_config_set).
 *
 * The file shape (.autoresearch.yaml; .autoresearch.json may use the same
 * nesting, CLAUDE.md has "- key: value" lines only):
 *
 *   target_files: [train.py]        # a list, or one string
 *   run_command: uv run train.py
 *   metric:                         # or "metric: val_bpb" for the name
 *     name: val_bpb
 *     pattern: '^val_bpb:'          # quote a value ending in ':'
 *     direction: lower
 *   guards:
 *     - name: peak_mem_gb
 *       max: 40                     # or min: / max_regression: 5%
 *   agent: claude                   # or {command: ..., prompt: ...}
 *   repeats: auto
 *
 * A key given "~"/null/nothing is not set.  A JSON or CLAUDE.md value for
 * time_budget without a unit is seconds.  created_at (written by the ML
 * skill) is accepted and ignored.
 */
#ifndef AR_CONFIG_H
#define AR_CONFIG_H

#include "util.h"

enum ar_origin_kind {
	AR_ORIGIN_UNSET = 0,
	AR_ORIGIN_DEFAULT,  /* ar's built-in default */
	AR_ORIGIN_ADAPTER,  /* the chosen adapter's default */
	AR_ORIGIN_FILE,     /* a config file (file, line) */
	AR_ORIGIN_FLAG,     /* the command line */
};

struct ar_origin {
	enum ar_origin_kind kind;
	char *file; /* FILE: path as given; ADAPTER: adapter name; else NULL */
	int line;   /* FILE: 1-based line, 0 when unknown */
};

struct ar_guard {
	char *name;
	char *pattern;        /* regex; NULL: default `<name>: <number>` */
	int has_max, has_min, has_max_regression;
	double max, min;
	double max_regression; /* allowed worsening vs the baseline's guard value */
	int max_regression_relative; /* written as "5%": stored as 0.05 */
};

struct ar_config {
	char *tag;
	char *adapter;
	char *branch;              /* default autoresearch/<tag> */
	ar_strvec target_files;    /* globs */
	ar_strvec fixed_files;     /* globs: the evaluation harness */
	ar_strvec context_files;
	char *run_command;
	char *metric_name;
	char *metric_pattern;      /* regex, first group is the number; a
	                            * pattern written without a capture group
	                            * ("^val_loss:") means "the number after
	                            * the match" and is stored rewritten as
	                            * (?:^val_loss:)\s*(<number>) (the same
	                            * for guard patterns and memory) */
	char *metric_command;      /* shell command printing the number */
	char *metric_expr;         /* composite: "0.8*precision + 0.2*mrr" */
	int metric_direction;      /* AR_LOWER_IS_BETTER / AR_HIGHER_IS_BETTER */
	ar_strvec values;          /* named values for metric_expr */
	struct ar_guard *guards;
	size_t nguards;
	ar_strvec checks;          /* commands that must pass before a keep */
	double check_timeout;      /* seconds, default 600 */
	double time_budget;        /* seconds, default 300 */
	double timeout_multiplier; /* default 2 */
	long max_experiments;      /* 0 = unlimited */
	double min_delta;          /* absolute, or relative when min_delta_relative */
	int min_delta_relative;    /* "0.5%": min_delta is the fraction 0.005 */
	int repeats;               /* default 1; AR_REPEATS_AUTO for "auto" */
	char *agent;               /* proposer: auto, claude, tune, a command */
	char *memory;              /* "rss" or a regex on the log */

	/* Where each key's value came from, indexed by enum ar_config_key. */
	struct ar_origin origin[32];

	/*
	 * Keys of later features (see ar_config_key_at), stored generically in
	 * their checked, normalised string form: numbers "%.15g", whole
	 * numbers "%ld", booleans/counts as whole numbers.  Parallel arrays;
	 * read them with ar_config_get / ar_config_get_number.
	 */
	ar_strvec extra_keys;
	ar_strvec extra_values;
	struct ar_origin *extra_origins;

	/* timeout_minutes of .autoresearch.json as seconds (0 = not given):
	 * while set, timeout_multiplier follows it as timeout_s / time_budget,
	 * also when time_budget changes later.  Setting timeout_multiplier
	 * itself clears it. */
	double timeout_s;
};

#define AR_REPEATS_AUTO (-1) /* repeats: auto */

enum ar_config_key {
	AR_KEY_TAG, AR_KEY_ADAPTER, AR_KEY_BRANCH, AR_KEY_TARGET_FILES,
	AR_KEY_FIXED_FILES, AR_KEY_CONTEXT_FILES, AR_KEY_RUN_COMMAND,
	AR_KEY_METRIC_NAME, AR_KEY_METRIC_PATTERN, AR_KEY_METRIC_COMMAND,
	AR_KEY_METRIC_EXPR, AR_KEY_METRIC_DIRECTION, AR_KEY_VALUES,
	AR_KEY_GUARDS, AR_KEY_CHECKS, AR_KEY_CHECK_TIMEOUT, AR_KEY_TIME_BUDGET,
	AR_KEY_TIMEOUT_MULTIPLIER, AR_KEY_MAX_EXPERIMENTS, AR_KEY_MIN_DELTA,
	AR_KEY_REPEATS, AR_KEY_AGENT, AR_KEY_MEMORY,
	AR_KEY__COUNT
};

/* Fills built-in defaults (origin DEFAULT).  No allocation beyond them. */
void ar_config_init(struct ar_config *cfg);
void ar_config_release(struct ar_config *cfg);

/* Canonical name of a key ("metric.name"); NULL when out of range. */
const char *ar_config_key_name(enum ar_config_key key);
/* Look a key up by canonical name or alias; -1 when unknown (and for the
 * extra keys below, which have no enum value). */
int ar_config_key_lookup(const char *name);
/*
 * Every key ar knows, for listing: i < AR_KEY__COUNT gives the canonical
 * keys in enum order, then the extra keys of later features (max_hours,
 * target, plateau, max_agent_cost, agent_timeout, prompt_template, seed,
 * aggregate, max_repeats, alpha, refresh_best, confirm, agent.prompt,
 * metric.last_number, agent_failures, agent_backoff, watch);
 * NULL past the end.
 */
const char *ar_config_key_at(size_t i);

/*
 * Set a scalar key from its string form, replacing the value only when
 * `origin` ranks at least as high as the current one.  Aliases:
 *   target_file -> target_files, metric_name -> metric.name,
 *   metric_direction -> metric.direction,
 *   metric_grep -> metric.pattern, or metric.command when it looks like a
 *     shell command (starts with grep/awk/sed/tail/cat/python/... or has a
 *     '|' with a space beside it: a pipe, not a regex alternation),
 *   metric_parse -> metric.command, script_path -> target_files,
 *   editable_files -> target_files, readonly_files -> fixed_files,
 *   time_budget_minutes -> time_budget (x60), timeout_minutes ->
 *   timeout_multiplier (relative to time_budget), metric_pattern ->
 *   metric.pattern, metric_command -> metric.command, agent.command -> agent.
 * Directions accept lower/higher/lower_is_better/higher_is_better/min/max/
 * minimize/maximize (any case).
 * Errors (AR_EUSAGE): unknown key (with a did-you-mean), wrong type, bad
 * regex; the message is located with the origin's file:line.
 */
int ar_config_set(struct ar_config *cfg, const char *key, const char *value,
                  const struct ar_origin *origin);
/*
 * More about ar_config_set:
 *  - origin NULL means the command line.  A set from a lower-ranked origin
 *    than the key's current one is ignored (returns 0).
 *  - Setting a list key replaces the list with `value` split on commas
 *    ("a.py, b.py"); checks are not split (a command may hold commas).
 *  - Numbers of seconds (time_budget, check_timeout, agent_timeout) take
 *    an optional unit: "90", "90s", "5m", "5 min", "1h".
 *  - min_delta: "0.01" (absolute) or "0.5%" (relative).
 *  - repeats: a whole number >= 1 or "auto".
 *  - timeout_minutes sets timeout_s (see struct ar_config).
 *  - metric.expr is parsed; names it uses that are missing from `values`
 *    are appended to `values`.
 *  - guards cannot be set from a string (use ar_config_add_guard).
 */
/* Append to a list key (target_files, fixed_files, context_files, values,
 * checks).  The first append from a given origin replaces a lower one. */
int ar_config_add(struct ar_config *cfg, const char *key, const char *value,
                  const struct ar_origin *origin);
/* Add a guard (takes ownership of g's strings on success, and clears
 * them in *g).  A guard with the name of an existing one replaces it.  The
 * pattern is checked (and rewritten, see metric_pattern); a guard needs a
 * name and at least one of max, min, max_regression. */
int ar_config_add_guard(struct ar_config *cfg, struct ar_guard *g,
                        const struct ar_origin *origin);

/* The value of a key in its string form, for `ar config` and adapters'
 * config_get.  Lists are joined with ", ".  *out is the caller's; NULL when
 * unset. */
char *ar_config_get(const struct ar_config *cfg, const char *key);
/* A numeric key's value (time_budget, seed, alpha, ...): 0, or AR_ENOTFOUND
 * when unset, unknown or not a number. */
int ar_config_get_number(const struct ar_config *cfg, const char *key,
                         double *out);
/* Where a key's value came from (canonical, alias or extra key); NULL for
 * an unknown key.  Borrowed from cfg. */
const struct ar_origin *ar_config_origin(const struct ar_config *cfg,
                                         const char *key);

/*
 * Find and load the repository's config file into cfg (origin FILE):
 * .autoresearch.yaml (or .yml), else .autoresearch.json, else CLAUDE.md
 * when it has an "## autoresearch" section.  *found_path
 * (may be NULL) receives the file's path, caller-owned, NULL when none.
 * Returns 0 also when there is no file.
 */
int ar_config_load_repo(struct ar_config *cfg, const char *root, char **found_path);
int ar_config_load_yaml(struct ar_config *cfg, const char *path);   /* config_yaml.c */
int ar_config_load_json(struct ar_config *cfg, const char *path);   /* config_json.c */
/* Returns AR_ENOTFOUND when the file has no "## autoresearch" section. */
int ar_config_load_claude(struct ar_config *cfg, const char *path); /* config_claude.c */

/* Check the merged result: regexes compile, metric.expr parses and uses
 * only names in `values`, guards are complete, numbers in range (including
 * a timeout_minutes shorter than time_budget).  run_command and the metric
 * are NOT required here: the engine checks them when it needs them.
 * AR_EUSAGE with a message naming the key and its origin. */
int ar_config_validate(const struct ar_config *cfg);

/* A number of seconds with an optional unit: "90", "90s", "5m", "1.5h".
 * 0, or -1 when s is not one. */
int ar_parse_seconds(const char *s, double *out);

/* Print-ready "file:line", "adapter ml", "default", "command line"
 * ("unset" for UNSET).  Caller frees. */
char *ar_origin_describe(const struct ar_origin *o);

/*
 * Internals shared by config.c and the file readers (config_yaml.c,
 * config_json.c, config_claude.c): each reader turns its file into this
 * small tree and ar_config__apply() applies it, so every format means the
 * same thing.  Not for other modules.
 */
enum ar_cnode_type {
	AR_CNODE_NULL = 0, /* YAML ~ / empty, JSON null: "not given" */
	AR_CNODE_SCALAR,
	AR_CNODE_SEQ,
	AR_CNODE_MAP,
};
struct ar_cnode {
	enum ar_cnode_type type;
	char *scalar;             /* SCALAR: the text (owned) */
	char *key;                /* its key when a MAP's child (owned) */
	int line, col;            /* of the value, 1-based; 0 = unknown */
	int key_line, key_col;    /* of the key */
	struct ar_cnode *kids;    /* SEQ items, MAP values (owned) */
	size_t nkids;
};
/* Append a zeroed child to n (SEQ or MAP) and return it (borrowed; valid
 * until the next push on n). */
struct ar_cnode *ar_config__node_push(struct ar_cnode *n);
void ar_config__node_release(struct ar_cnode *n);
/* Apply a MAP (top level of a file at `path`) with origin FILE.  A NULL
 * node applies nothing. */
int ar_config__apply(struct ar_config *cfg, const struct ar_cnode *root,
                     const char *path);
/* "path:line:col" ("path:line" when col is 0, "path" when line is 0) for
 * messages; caller frees. */
char *ar_config__where(const char *path, int line, int col);
/* Read a config file (at most 1 MiB) into *out (caller frees).  A missing
 * or unreadable file is AR_EUSAGE naming it. */
int ar_config__read(const char *path, char **out, size_t *len);

#endif
