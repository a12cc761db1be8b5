/*
 * engine_scope.c - scope enforcement: which working-tree changes belong to
 * an experiment (target files), which are forbidden (fixed files: the
 * evaluation harness) and which are left alone (everything else).
 */
#include <stdlib.h>
#include <string.h>
#include "session_state.h"

void ar_scope_release(struct ar_scope *sc)
{
	ar_strvec_release(&sc->targets);
	ar_strvec_release(&sc->fixed);
	ar_strvec_release(&sc->other);
}

int ar_scope_compute(struct ar_session *s, struct ar_scope *out)
{
	const struct ar_config *c = &s->ws->cfg;
	ar_strvec changed = AR_STRVEC_INIT;
	int err = ar_repo_changed_paths(s->ws->repo, &changed);

	if (err < 0)
		return err;
	for (size_t i = 0; i < changed.n; i++) {
		const char *p = changed.items[i];
		if (ar_glob_match_any(&c->fixed_files, p) ||
		    ar_strvec_contains(&s->fixed_paths, p))
			ar_strvec_push(&out->fixed, p);
		else if (ar_glob_match_any(&c->target_files, p))
			ar_strvec_push(&out->targets, p);
		else
			ar_strvec_push(&out->other, p);
	}
	ar_strvec_release(&changed);
	return 0;
}

int ar_scope_tampered(struct ar_session *s, ar_strvec *out)
{
	for (size_t i = 0; i < s->fixed_paths.n; i++) {
		char hex[AR_OID_HEX];
		int err = ar_repo_hash_file(s->ws->repo, s->fixed_paths.items[i], hex);
		if (err == AR_ENOTFOUND)
			strcpy(hex, "-");
		else if (err < 0)
			return err;
		if (strcmp(hex, s->fixed_hashes.items[i]))
			ar_strvec_push(out, s->fixed_paths.items[i]);
	}
	return 0;
}

int ar_scope_record_fixed(struct ar_session *s, const char *commit)
{
	const ar_strvec *globs = &s->ws->cfg.fixed_files;
	ar_strvec paths = AR_STRVEC_INIT;
	int err = 0;

	ar_strvec_clear(&s->fixed_paths);
	ar_strvec_clear(&s->fixed_hashes);
	if (!globs->n)
		return 0;
	if ((err = ar_repo_tree_paths(s->ws->repo, commit, &paths)) < 0)
		return err;
	for (size_t i = 0; i < paths.n; i++) {
		char hex[AR_OID_HEX];
		if (!ar_glob_match_any(globs, paths.items[i]))
			continue;
		err = ar_repo_hash_file(s->ws->repo, paths.items[i], hex);
		if (err == AR_ENOTFOUND)
			strcpy(hex, "-");
		else if (err < 0)
			break;
		err = 0;
		ar_strvec_push(&s->fixed_paths, paths.items[i]);
		ar_strvec_push(&s->fixed_hashes, hex);
	}
	ar_strvec_release(&paths);
	return err;
}
