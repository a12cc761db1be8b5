/*
 * detect.c - which adapter a repository belongs to.
 *
 * Every loaded adapter's detect slot runs on the root.  The winner has the
 * highest score above 0; equal scores go to the higher priority, then to
 * the adapter loaded first.  The adapter named "custom" (the config-driven
 * fallback) wins only when no other adapter scores above 0, or when forced.
 */
#include <stdlib.h>
#include <string.h>

#include "plugin.h"

#define AR_CUSTOM_ADAPTER "custom"

static int is_custom(const struct ar_detect_entry *e)
{
	return strcmp(e->plugin->ad.name, AR_CUSTOM_ADAPTER) == 0;
}

/* 1 when a ranks above b; on equal score and priority the earlier (b)
 * stays ahead. */
static int ranks_above(const struct ar_detect_entry *a,
                       const struct ar_detect_entry *b)
{
	if (!b)
		return 1;
	if (a->score != b->score)
		return a->score > b->score;
	return a->plugin->ad.priority > b->plugin->ad.priority;
}

/* The best entry scoring above 0 among the custom (want_custom = 1) or the
 * other adapters. */
static const struct ar_detect_entry *best_of(const struct ar_detection *d,
                                             int want_custom)
{
	const struct ar_detect_entry *best = NULL;
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct ar_detect_entry *e = &d->entries[i];
		if (e->score > 0 && is_custom(e) == want_custom && ranks_above(e, best))
			best = e;
	}
	return best;
}

/* ", ahead of node by priority" when another candidate had the same score. */
static void explain_tie(ar_buf *b, const struct ar_detection *d,
                        const struct ar_detect_entry *w)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct ar_detect_entry *e = &d->entries[i];
		if (e == w || e->score != w->score || is_custom(e) != is_custom(w))
			continue;
		ar_buf_printf(b, ", ahead of %s by %s", e->plugin->ad.name,
		              e->plugin->ad.priority == w->plugin->ad.priority
		                  ? "load order" : "priority");
		return;
	}
}

/* "ml: found train.py and prepare.py (score 90)". */
static char *explain(const struct ar_detection *d,
                     const struct ar_detect_entry *w)
{
	ar_buf b = AR_BUF_INIT;

	ar_buf_printf(&b, "%s: %s (score %d", w->plugin->ad.name,
	              w->reason && *w->reason ? w->reason : "detected", w->score);
	explain_tie(&b, d, w);
	if (is_custom(w))
		ar_buf_adds(&b, "; no other adapter recognised this repository");
	ar_buf_addch(&b, ')');
	return ar_buf_detach(&b);
}

static int not_found(const struct ar_plugins *ps, const char *forced)
{
	ar_buf names = AR_BUF_INIT;
	size_t i;
	int rc;

	for (i = 0; i < ps->n; i++)
		ar_buf_printf(&names, "%s%s", i ? ", " : "", ps->items[i].ad.name);
	rc = ar_error_set(AR_ENOTFOUND, "no adapter named '%s' (%s%s)", forced,
	                  ps->n ? "loaded: " : "no adapters loaded",
	                  ar_buf_cstr(&names));
	ar_buf_release(&names);
	return rc;
}

int ar_detect(struct ar_detection *out, const struct ar_plugins *ps,
              const char *root, const struct ar_config *cfg, const char *forced)
{
	struct ar_detection empty = { NULL, 0, NULL, NULL };
	const struct ar_detect_entry *w;
	size_t i;

	*out = empty;
	if (forced && *forced && !ar_plugins_find(ps, forced))
		return not_found(ps, forced);
	out->entries = ar_xcalloc(ps->n ? ps->n : 1, sizeof(*out->entries));
	out->n = ps->n;
	for (i = 0; i < ps->n; i++) {
		struct ar_detect_entry *e = &out->entries[i];
		e->plugin = &ps->items[i];
		/* a failed detect scores 0; its reason says why */
		ar_plugin_detect(e->plugin, root, cfg, &e->score, &e->reason);
	}
	if (forced && *forced) {
		out->winner = ar_plugins_find(ps, forced);
		out->why = ar_xprintf("%s: forced by --adapter/config", forced);
		return 0;
	}
	w = best_of(out, 0);
	if (!w)
		w = best_of(out, 1);
	out->winner = w ? w->plugin : NULL;
	out->why = w ? explain(out, w)
	             : ar_xstrdup("no adapter recognised this repository");
	return 0;
}

void ar_detection_release(struct ar_detection *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->n; i++)
		free(d->entries[i].reason);
	free(d->entries);
	free(d->why);
	d->entries = NULL;
	d->n = 0;
	d->winner = NULL;
	d->why = NULL;
}
