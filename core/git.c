/*
 * git.c - every git operation `ar` performs, through libgit2.
 *
 * This is the only file that includes <git2.h>.  libgit2 errors become
 * ar_error_set(code, "<what we were doing>: <libgit2's message>"), with
 * GIT_ENOTFOUND, GIT_EEXISTS, GIT_EINVALIDSPEC and GIT_ECONFLICT mapped to
 * AR_ENOTFOUND, AR_EEXISTS, AR_EUSAGE and AR_EDIRTY, the rest to AR_ERROR.
 *
 * Committing and resetting touch only the paths they are given: the new
 * tree is the parent's tree with those entries replaced (git_tree_create_
 * updated), and only those index entries are rewritten - by ar itself
 * (core/git_index.c) when they exist, with libgit2 lent a small stand-in
 * index meanwhile (see "partial index"), so a large index is neither
 * loaded nor checksummed by libgit2.  The status of the work tree is read
 * from the index file directly, with its stat data and cached tree (see
 * "fast status"), and diffs between commits read only the subtrees that
 * differ.  bench/overhead measures all of it.
 */
#include "git.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>
#include <git2/sys/repository.h>

#include "fault.h"
#include "git_index.h"
#include "watch.h"

struct ar_repo {
	git_repository *git;
	char *root;   /* work tree, no trailing slash */
	char *gitdir; /* .git directory, no trailing slash */
	ar_ix_cache *ix; /* the index as ar last read or wrote it */
	int watch;       /* AR_REPO_WATCH_*: ask the watcher for changes */
	int last_scan;   /* 'w' watched, 'f' full, 0 none or libgit2's */
};

/* ---------------------------------------------------------------- errors */

static int map_code(int gcode)
{
	switch (gcode) {
	case GIT_ENOTFOUND:
		return AR_ENOTFOUND;
	case GIT_EEXISTS:
		return AR_EEXISTS;
	case GIT_EINVALIDSPEC:
		return AR_EUSAGE;
	case GIT_ECONFLICT:
		return AR_EDIRTY;
	default:
		return AR_ERROR;
	}
}

/* Set "<context>: <libgit2 message>" for libgit2 error `gcode`. */
static int gfail(int gcode, const char *fmt, ...) AR_PRINTF(2, 3);
static int gfail(int gcode, const char *fmt, ...)
{
	ar_buf what = AR_BUF_INIT;
	const git_error *e = git_error_last();
	int code = map_code(gcode);
	va_list ap;

	va_start(ap, fmt);
	ar_buf_vprintf(&what, fmt, ap);
	va_end(ap);
	ar_error_set(code, "%s: %s", ar_buf_cstr(&what),
	             e && e->message ? e->message : "unknown libgit2 error");
	ar_buf_release(&what);
	return code;
}

/* ------------------------------------------------------------ lifecycle */

int ar_git_init(void)
{
	if (git_libgit2_init() < 0)
		return gfail(-1, "initialising libgit2");
	return 0;
}

void ar_git_shutdown(void)
{
	git_libgit2_shutdown();
}

/* Copy of `s` without its trailing slashes (except a lone "/"). */
static char *strip_slash(const char *s)
{
	char *out = ar_xstrdup(s);
	size_t n = strlen(out);

	while (n > 1 && out[n - 1] == '/')
		out[--n] = '\0';
	return out;
}

static int open_failed(int gcode, const char *path)
{
	char abs[PATH_MAX];
	const char *shown = realpath(path, abs) ? abs : path;
	struct stat st;

	if (stat(path, &st) != 0)
		return ar_error_set(AR_ENOREPO, "%s: no such directory", path);
	if (gcode == GIT_ENOTFOUND)
		return ar_error_set(AR_ENOREPO,
		                    "not a git repository (or any parent): %s; "
		                    "run `git init` first", shown);
	return gfail(gcode, "opening the git repository at %s", shown);
}

int ar_repo_open(ar_repo **out, const char *path)
{
	git_repository *git = NULL;
	ar_repo *repo;
	int err;

	*out = NULL;
	if (ar_git_init() < 0)
		return AR_ERROR;
	err = git_repository_open_ext(&git, path, 0, NULL);
	if (err < 0) {
		err = open_failed(err, path);
		goto fail;
	}
	if (git_repository_is_bare(git)) {
		err = ar_error_set(AR_EUSAGE, "%s is a bare repository; "
		                   "ar needs a work tree (clone it first)",
		                   git_repository_path(git));
		goto fail;
	}
	repo = ar_xcalloc(1, sizeof(*repo));
	repo->git = git;
	repo->root = strip_slash(git_repository_workdir(git));
	repo->gitdir = strip_slash(git_repository_path(git));
	*out = repo;
	return 0;
fail:
	git_repository_free(git);
	ar_git_shutdown();
	return err;
}

void ar_repo_free(ar_repo *repo)
{
	if (!repo)
		return;
	git_repository_free(repo->git);
	ar_ix_cache_free(repo->ix);
	free(repo->root);
	free(repo->gitdir);
	free(repo);
	ar_git_shutdown();
}

const char *ar_repo_root(const ar_repo *repo)
{
	return repo->root;
}

const char *ar_repo_gitdir(const ar_repo *repo)
{
	return repo->gitdir;
}

/* -------------------------------------------------------------- helpers */

/* Parse a full 40-digit object id. */
static int parse_oid(git_oid *out, const char *hex)
{
	size_t i;

	if (!hex || strlen(hex) != GIT_OID_HEXSZ)
		goto bad;
	for (i = 0; i < GIT_OID_HEXSZ; i++)
		if (!strchr("0123456789abcdefABCDEF", hex[i]))
			goto bad;
	if (git_oid_fromstr(out, hex) < 0)
		goto bad;
	return 0;
bad:
	return ar_error_set(AR_EUSAGE, "'%s' is not an object id "
	                    "(expected 40 hex digits)", hex ? hex : "(null)");
}

static int lookup_commit(ar_repo *repo, const char *hex, git_commit **out)
{
	git_oid oid;
	int err;

	if ((err = parse_oid(&oid, hex)) < 0)
		return err;
	err = git_commit_lookup(out, repo->git, &oid);
	if (err < 0)
		return gfail(err, "looking up commit %s", hex);
	return 0;
}

static int lookup_tree(ar_repo *repo, const char *hex, git_tree **out)
{
	git_commit *commit = NULL;
	int err;

	if ((err = lookup_commit(repo, hex, &commit)) < 0)
		return err;
	err = git_commit_tree(out, commit);
	git_commit_free(commit);
	if (err < 0)
		return gfail(err, "reading the tree of commit %s", hex);
	return 0;
}

/* AR_EDETACHED when HEAD is not a branch. */
static int require_branch(ar_repo *repo)
{
	git_oid oid;
	char shorthex[8];
	int err = git_repository_head_detached(repo->git);

	if (err < 0)
		return gfail(err, "reading HEAD in %s", repo->root);
	if (err == 0)
		return 0;
	if (git_reference_name_to_id(&oid, repo->git, "HEAD") < 0)
		return gfail(-1, "reading HEAD in %s", repo->root);
	git_oid_tostr(shorthex, sizeof(shorthex), &oid);
	return ar_error_set(AR_EDETACHED, "HEAD is detached at %s; "
	                    "check out a branch first", shorthex);
}

/* HEAD's commit; AR_ENOTFOUND on an unborn branch. */
static int head_commit(ar_repo *repo, git_commit **out)
{
	git_oid oid;
	int err = git_reference_name_to_id(&oid, repo->git, "HEAD");

	*out = NULL;
	if (err == GIT_ENOTFOUND || err == GIT_EUNBORNBRANCH)
		return ar_error_set(AR_ENOTFOUND, "the current branch in %s has "
		                    "no commits yet; make a first commit",
		                    repo->root);
	if (err < 0)
		return gfail(err, "reading HEAD in %s", repo->root);
	if ((err = git_commit_lookup(out, repo->git, &oid)) < 0)
		return gfail(err, "reading HEAD's commit in %s", repo->root);
	return 0;
}

/* A repository-relative path we are willing to touch. */
static int check_relpath(const char *path)
{
	const char *p = path;

	if (!path || !*path || *path == '/')
		goto bad;
	for (;;) {
		size_t n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			goto bad;
		if (!p[n])
			return 0;
		p += n + 1;
	}
bad:
	return ar_error_set(AR_EUSAGE, "'%s' is not a path inside the "
	                    "repository (use a relative path without '.', "
	                    "'..' or a trailing '/')", path ? path : "(null)");
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted, de-duplicated, validated view of `paths` (strings borrowed).
 * *out is the caller's (free()). */
static int sorted_paths(const ar_strvec *paths, const char ***out, size_t *n)
{
	const char **v = ar_xcalloc(paths->n + 1, sizeof(*v));
	size_t i, k = 0;
	int err;

	for (i = 0; i < paths->n; i++) {
		if ((err = check_relpath(paths->items[i])) < 0) {
			free(v);
			return err;
		}
		v[i] = paths->items[i];
	}
	qsort(v, paths->n, sizeof(*v), cmp_str);
	for (i = 0; i < paths->n; i++)
		if (k == 0 || strcmp(v[k - 1], v[i]) != 0)
			v[k++] = v[i];
	*out = v;
	*n = k;
	return 0;
}

/* ------------------------------------------------------------- branches */

int ar_repo_current_branch(ar_repo *repo, char **out)
{
	git_reference *head = NULL;
	const char *target;
	int err;

	*out = NULL;
	if ((err = require_branch(repo)) < 0)
		return err;
	err = git_reference_lookup(&head, repo->git, "HEAD");
	if (err < 0)
		return gfail(err, "reading HEAD in %s", repo->root);
	target = git_reference_symbolic_target(head);
	if (!target || strncmp(target, "refs/heads/", 11) != 0) {
		err = ar_error_set(AR_ERROR, "HEAD in %s does not point at a "
		                   "branch", repo->root);
		goto done;
	}
	if (git_repository_head_unborn(repo->git) == 1) {
		err = ar_error_set(AR_ENOTFOUND, "branch '%s' has no commits "
		                   "yet; make a first commit", target + 11);
		goto done;
	}
	*out = ar_xstrdup(target + 11);
	err = 0;
done:
	git_reference_free(head);
	return err;
}

static int check_branch_name(const char *name)
{
	int valid = 0;

	if (!name || git_branch_name_is_valid(&valid, name) < 0 || !valid)
		return ar_error_set(AR_EUSAGE, "'%s' is not a valid branch name",
		                    name ? name : "(null)");
	return 0;
}

int ar_repo_branch_exists(ar_repo *repo, const char *name)
{
	git_reference *ref = NULL;
	int err;

	if ((err = check_branch_name(name)) < 0)
		return err;
	err = git_branch_lookup(&ref, repo->git, name, GIT_BRANCH_LOCAL);
	git_reference_free(ref);
	if (err == GIT_ENOTFOUND)
		return 0;
	if (err < 0)
		return gfail(err, "looking up branch '%s'", name);
	return 1;
}

int ar_repo_branch_create(ar_repo *repo, const char *name)
{
	git_commit *head = NULL;
	git_reference *ref = NULL;
	int err;

	if ((err = check_branch_name(name)) < 0)
		return err;
	if ((err = head_commit(repo, &head)) < 0)
		return err;
	err = git_branch_create(&ref, repo->git, name, head, 0);
	if (err == GIT_EEXISTS) {
		err = ar_error_set(AR_EEXISTS, "branch '%s' already exists; "
		                   "pick another name or check it out", name);
		goto done;
	}
	if (err < 0) {
		err = gfail(err, "creating branch '%s'", name);
		goto done;
	}
	/* Same commit as before: the work tree and index stay as they are. */
	err = git_repository_set_head(repo->git, git_reference_name(ref));
	if (err < 0)
		err = gfail(err, "switching HEAD to branch '%s'", name);
done:
	git_reference_free(ref);
	git_commit_free(head);
	return err;
}

int ar_repo_branch_checkout(ar_repo *repo, const char *name)
{
	git_reference *ref = NULL;
	git_object *tree = NULL;
	git_checkout_options opts;
	int err;

	if ((err = check_branch_name(name)) < 0)
		return err;
	git_checkout_options_init(&opts, GIT_CHECKOUT_OPTIONS_VERSION);
	err = git_branch_lookup(&ref, repo->git, name, GIT_BRANCH_LOCAL);
	if (err < 0) {
		err = gfail(err, "looking up branch '%s'", name);
		goto done;
	}
	err = git_reference_peel(&tree, ref, GIT_OBJECT_TREE);
	if (err < 0) {
		err = gfail(err, "reading the tree of branch '%s'", name);
		goto done;
	}
	opts.checkout_strategy = GIT_CHECKOUT_SAFE;
	err = git_checkout_tree(repo->git, tree, &opts);
	if (err < 0) {
		err = gfail(err, "checking out branch '%s' (commit or stash "
		            "your changes first)", name);
		goto done;
	}
	err = git_repository_set_head(repo->git, git_reference_name(ref));
	if (err < 0)
		err = gfail(err, "switching HEAD to branch '%s'", name);
done:
	git_object_free(tree);
	git_reference_free(ref);
	return err;
}

/* ----------------------------------------------------------------- refs */

int ar_repo_head(ar_repo *repo, char out[AR_OID_HEX])
{
	git_commit *head = NULL;
	int err;

	out[0] = '\0';
	if ((err = head_commit(repo, &head)) < 0)
		return err;
	git_oid_tostr(out, AR_OID_HEX, git_commit_id(head));
	git_commit_free(head);
	return 0;
}

int ar_repo_resolve(ar_repo *repo, const char *spec, char out[AR_OID_HEX])
{
	git_object *obj = NULL, *peeled = NULL;
	int err;

	out[0] = '\0';
	if (!spec || !*spec)
		return ar_error_set(AR_EUSAGE, "empty revision");
	err = git_revparse_single(&obj, repo->git, spec);
	if (err < 0)
		return gfail(err, "resolving '%s'", spec);
	/* Tags resolve to their commit; other objects to themselves. */
	if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) == 0)
		git_oid_tostr(out, AR_OID_HEX, git_object_id(peeled));
	else
		git_oid_tostr(out, AR_OID_HEX, git_object_id(obj));
	git_error_clear();
	git_object_free(peeled);
	git_object_free(obj);
	return 0;
}

int ar_repo_ref_set(ar_repo *repo, const char *refname, const char *oid,
                    const char *log_message)
{
	git_reference *ref = NULL;
	git_oid id;
	int err, valid = 0;

	if ((err = parse_oid(&id, oid)) < 0)
		return err;
	if (!refname || git_reference_name_is_valid(&valid, refname) < 0 ||
	    !valid || strncmp(refname, "refs/", 5) != 0)
		return ar_error_set(AR_EUSAGE, "'%s' is not a valid ref name "
		                    "(expected refs/...)",
		                    refname ? refname : "(null)");
	err = git_reference_create(&ref, repo->git, refname, &id, 1,
	                           log_message);
	git_reference_free(ref);
	if (err < 0)
		return gfail(err, "setting %s to %s", refname, oid);
	return 0;
}

int ar_repo_is_ancestor(ar_repo *repo, const char *ancestor, const char *oid)
{
	git_oid a, b;
	int err;

	if ((err = parse_oid(&a, ancestor)) < 0 || (err = parse_oid(&b, oid)) < 0)
		return err;
	if (git_oid_equal(&a, &b))
		return 1;
	err = git_graph_descendant_of(repo->git, &b, &a);
	if (err < 0)
		return gfail(err, "checking whether %s is an ancestor of %s",
		             ancestor, oid);
	return err;
}

/* -------------------------------------------------------- partial index */

/*
 * Hashing a few paths for a commit or checking them out for a reset,
 * libgit2 consults the repository's index: for the attributes it may hold
 * (.gitattributes) and for the entries of those paths.  Loading a large
 * index costs more than the rest of the operation, so libgit2 is lent a
 * stand-in holding just that: the real index's entries for the paths and
 * for every .gitattributes.  Its file name is never written (checkouts run
 * with GIT_CHECKOUT_DONT_WRITE_INDEX), so libgit2 sees an index not yet on
 * disk.  The real index is then updated by ar_ix_update.
 */
static int is_attr_path(const char *path, size_t len)
{
	static const char name[] = ".gitattributes";
	size_t n = sizeof(name) - 1;

	return len >= n && !memcmp(path + len - n, name, n) &&
	       (len == n || path[len - n - 1] == '/');
}

static int stand_in_add(git_index *idx, const struct ar_ix *ix,
                        const struct ar_ix_entry *e)
{
	git_index_entry ge;

	memset(&ge, 0, sizeof(ge));
	ge.ctime.seconds = (int32_t)e->ctime_s;
	ge.ctime.nanoseconds = e->ctime_ns;
	ge.mtime.seconds = (int32_t)e->mtime_s;
	ge.mtime.nanoseconds = e->mtime_ns;
	ge.ino = e->ino;
	ge.mode = e->mode;
	ge.uid = e->uid;
	ge.gid = e->gid;
	ge.file_size = e->size;
	git_oid_fromraw(&ge.id, e->id);
	ge.path = AR_IX_PATH(ix, e);
	return git_index_add(idx, &ge);
}

/* Lend the stand-in for paths[0..n) (sorted); 1 when lent (give it back
 * with index_return), 0 when the real index stays (it is not one ar reads:
 * libgit2 then loads it as usual). */
static int index_lend(ar_repo *repo, const char **paths, size_t n)
{
	char *file = ar_path_join(repo->gitdir, "ar-stand-in-index");
	const struct ar_ix *ix = ar_ix_get(&repo->ix, repo->gitdir);
	const struct ar_ix_entry *e;
	git_index *idx = NULL;
	int err = ix ? 0 : AR_IX_FALLBACK;

	unlink(file); /* never written; a stray one must not be loaded */
	if (err == 0)
		err = git_index_open(&idx, file);
	for (size_t i = 0; err == 0 && i < ix->n; i++)
		if (is_attr_path(AR_IX_PATH(ix, &ix->e[i]), ix->e[i].len))
			err = stand_in_add(idx, ix, &ix->e[i]);
	for (size_t i = 0; err == 0 && i < n; i++)
		if ((e = ar_ix_find(ix, paths[i])) != NULL &&
		    !is_attr_path(paths[i], strlen(paths[i])))
			err = stand_in_add(idx, ix, e);
	if (err == 0)
		err = git_repository_set_index(repo->git, idx);
	git_index_free(idx); /* the repository holds it now */
	git_error_clear();
	ar_error_clear();
	free(file);
	return err == 0;
}

/* The real index again, loaded by libgit2 when next needed. */
static void index_return(ar_repo *repo, int lent)
{
	if (lent)
		git_repository_set_index(repo->git, NULL);
}

/* ---------------------------------------------------------- fast status */

/*
 * ar_repo_changed_paths and ar_repo_dirty_tracked read the index file
 * themselves instead of asking git_status_list_new: libgit2 checksums the
 * whole index, compares every entry of HEAD's tree with it and builds a
 * diff, which in a 50,000-file repository costs several times the lstat()
 * of every file that the answer really needs.  Read here: the entries
 * (index versions 2 to 4, checksum not verified) and the cached tree (the
 * TREE extension), whose valid subtrees equal to HEAD's are skipped whole.
 * Work tree files are compared with their entries' stat data as libgit2's
 * status does, and hashed (through the attribute filters) only when that
 * is inconclusive.  An index this does not handle - conflicts, a sparse or
 * split index, assume-valid, skip-worktree or intent-to-add entries - and a
 * case-insensitive or symlink-less repository or an unborn branch go to
 * libgit2's status (SCAN_FALLBACK).
 */
#define SCAN_FALLBACK AR_IX_FALLBACK

/* 1 when the raw id of an index entry (or cached tree) is `id`. */
static int ix_id_is(const unsigned char raw[AR_IX_OID], const git_oid *id)
{
	return !memcmp(raw, id->id, AR_IX_OID);
}

struct scan {
	ar_repo *repo;
	const struct ar_ix *ix; /* borrowed from repo->ix */
	ar_strvec found;      /* paths, in any order, maybe repeated */
	int filemode, trust_ctime;
	int shallow;          /* walk_dir: leave directories with tracked files */
	char *excludes;       /* core.excludesFile, or NULL */
};

static int is_gitlink(const struct ar_ix_entry *e)
{
	return (e->mode & AR_IX_MODE_TYPE) == AR_IX_MODE_GITLINK;
}

/* Index name ip[0..il) (a directory when idir) against a tree entry, in
 * git's tree order (a directory sorts as if its name ended in '/'). */
static int name_cmp(const char *ip, size_t il, int idir, const git_tree_entry *te)
{
	const char *tn = git_tree_entry_name(te);
	size_t tl = strlen(tn), n = il < tl ? il : tl;
	int c = memcmp(ip, tn, n);
	unsigned a, b;

	if (c)
		return c;
	a = n < il ? (unsigned char)ip[n] : idir ? '/' : 0;
	b = n < tl ? (unsigned char)tn[n] :
	    git_tree_entry_type(te) == GIT_OBJECT_TREE ? '/' : 0;
	return (a > b) - (a < b);
}

/* The cached tree of child directory name[0..len) of t, or NULL. */
static const struct ar_ix_tree *cache_child(const struct ar_ix_tree *t,
                                         const char *name, size_t len,
                                         size_t *hint)
{
	for (size_t k = 0; t && k < t->nsub; k++) {
		size_t i = (*hint + k) % t->nsub;
		if (t->sub[i].name_len == len && !memcmp(t->sub[i].name, name, len)) {
			*hint = i + 1;
			return &t->sub[i];
		}
	}
	return NULL;
}

struct gone_walk {
	ar_strvec *found;
	const char *prefix;
};

static int push_gone(const char *root, const git_tree_entry *te, void *payload)
{
	struct gone_walk *w = payload;

	if (git_tree_entry_type(te) == GIT_OBJECT_BLOB)
		ar_strvec_pushf(w->found, "%s%s%s", w->prefix, root,
		                git_tree_entry_name(te));
	return 0;
}

/* Tree entry te (under prefix) has no index entry: every file of it is
 * staged for deletion. */
static int staged_gone(struct scan *s, const git_tree_entry *te,
                       const char *prefix)
{
	char *dir;
	git_tree *sub = NULL;
	struct gone_walk w = { &s->found, NULL };
	int err;

	if (git_tree_entry_type(te) == GIT_OBJECT_BLOB)
		ar_strvec_pushf(&s->found, "%s%s", prefix, git_tree_entry_name(te));
	if (git_tree_entry_type(te) != GIT_OBJECT_TREE)
		return 0;
	if (git_tree_lookup(&sub, s->repo->git, git_tree_entry_id(te)) < 0)
		return SCAN_FALLBACK;
	dir = ar_xprintf("%s%s/", prefix, git_tree_entry_name(te));
	w.prefix = dir;
	err = git_tree_walk(sub, GIT_TREEWALK_PRE, push_gone, &w) < 0 ?
	      SCAN_FALLBACK : 0;
	free(dir);
	git_tree_free(sub);
	return err;
}

static int staged_walk(struct scan *s, git_tree *tree, const char *prefix,
                       size_t lo, size_t hi, const struct ar_ix_tree *cache);

/* Directory group [lo, hi) (named name[0..len) under prefix) against the
 * tree entry te of the same name. */
static int staged_dir(struct scan *s, const git_tree_entry *te,
                      const char *prefix, const char *name, size_t len,
                      size_t lo, size_t hi, const struct ar_ix_tree *cache,
                      size_t *hint)
{
	const struct ar_ix_tree *c = cache_child(cache, name, len, hint);
	git_tree *sub = NULL;
	char *dir;
	int err;

	if (c && c->count >= 0 && (size_t)c->count == hi - lo &&
	    ix_id_is(c->id, git_tree_entry_id(te)))
		return 0; /* the index's cached tree says: same as HEAD */
	if (git_tree_lookup(&sub, s->repo->git, git_tree_entry_id(te)) < 0)
		return SCAN_FALLBACK;
	dir = ar_xprintf("%s%.*s/", prefix, (int)len, name);
	err = staged_walk(s, sub, dir, lo, hi, c);
	free(dir);
	git_tree_free(sub);
	return err;
}

static void staged_file(struct scan *s, const struct ar_ix_entry *e,
                        const git_tree_entry *te)
{
	if (is_gitlink(e) || git_tree_entry_type(te) == GIT_OBJECT_COMMIT)
		return; /* submodules are left out */
	if (!ix_id_is(e->id, git_tree_entry_id(te)) ||
	    e->mode != (uint32_t)git_tree_entry_filemode(te))
		ar_strvec_push(&s->found, AR_IX_PATH(s->ix, e));
}

/* HEAD's tree (at prefix) against index entries [lo, hi): what is staged. */
static int staged_walk(struct scan *s, git_tree *tree, const char *prefix,
                       size_t lo, size_t hi, const struct ar_ix_tree *cache)
{
	size_t plen = strlen(prefix), i = lo, j = 0, hint = 0;
	size_t nt = git_tree_entrycount(tree);
	int err = 0;

	while (err == 0 && (i < hi || j < nt)) {
		const git_tree_entry *te = j < nt ? git_tree_entry_byindex(tree, j) : NULL;
		const struct ar_ix_entry *e = i < hi ? &s->ix->e[i] : NULL;
		const char *ip = e ? AR_IX_PATH(s->ix, e) + plen : "";
		size_t il = strcspn(ip, "/"), k = i + 1;
		int idir = ip[il] == '/';
		int c = !e ? 1 : !te ? -1 : name_cmp(ip, il, idir, te);

		if (e && idir)
			k = ar_ix_dir_end(s->ix, i, hi, AR_IX_PATH(s->ix, e), plen + il);
		if (c > 0) {
			err = staged_gone(s, te, prefix);
			j++;
			continue;
		}
		if (c < 0) { /* only in the index: staged additions */
			for (; i < k; i++)
				if (!is_gitlink(&s->ix->e[i]))
					ar_strvec_push(&s->found, AR_IX_PATH(s->ix, &s->ix->e[i]));
			continue;
		}
		if (idir)
			err = staged_dir(s, te, prefix, ip, il, i, k, cache, &hint);
		else
			staged_file(s, e, te);
		i = k;
		j++;
	}
	return err;
}

/* What the work tree says about entry e: 0 as in the index, 1 changed,
 * 2 only the content can tell (libgit2's status makes the same calls). */
static int wd_state(const struct scan *s, const struct ar_ix_entry *e,
                    const char *full)
{
	const struct timespec *ixt = &s->ix->mtime;
	struct stat st;
	uint32_t mode;

	if (is_gitlink(e))
		return 0;
	if (lstat(full, &st) != 0)
		return 1;
	if (S_ISLNK(st.st_mode))
		mode = AR_IX_MODE_LINK;
	else if (!S_ISREG(st.st_mode))
		return 1; /* now a directory, or something stranger */
	else if (!s->filemode && (e->mode & AR_IX_MODE_TYPE) == 0100000u)
		mode = e->mode;
	else
		mode = (st.st_mode & S_IXUSR) ? 0100755u : 0100644u;
	if (mode != e->mode)
		return 1;
	if ((uint32_t)st.st_size != e->size)
		return e->size == 0 ? 2 : 1;
	if ((uint32_t)st.st_mtim.tv_sec != e->mtime_s ||
	    (uint32_t)st.st_mtim.tv_nsec != e->mtime_ns ||
	    (s->trust_ctime && ((uint32_t)st.st_ctim.tv_sec != e->ctime_s ||
	                        (uint32_t)st.st_ctim.tv_nsec != e->ctime_ns)) ||
	    (uint32_t)st.st_ino != e->ino || (uint32_t)st.st_uid != e->uid ||
	    (uint32_t)st.st_gid != e->gid)
		return 2;
	/* Racy: the file may have changed in the instant the index was
	 * written; its stat data cannot tell. */
	if (e->mtime_s > (uint32_t)ixt->tv_sec ||
	    (e->mtime_s == (uint32_t)ixt->tv_sec &&
	     e->mtime_ns >= (uint32_t)ixt->tv_nsec))
		return 2;
	return 0;
}

/* 1 when the work tree file full (rel in the repository) hashes to e's
 * blob, through the attribute filters as git would add it. */
static int wd_same_content(struct scan *s, const struct ar_ix_entry *e,
                           const char *full, const char *rel)
{
	char link[PATH_MAX];
	struct stat st;
	git_oid id;
	ssize_t n;

	if (lstat(full, &st) != 0)
		return 0;
	if (S_ISLNK(st.st_mode)) {
		n = readlink(full, link, sizeof(link));
		if (n < 0 || (size_t)n >= sizeof(link) ||
		    git_odb_hash(&id, link, (size_t)n, GIT_OBJECT_BLOB) < 0)
			goto differs;
	} else if (git_repository_hashfile(&id, s->repo->git, full,
	                                   GIT_OBJECT_BLOB, rel) < 0) {
		goto differs;
	}
	return ix_id_is(e->id, &id);
differs:
	git_error_clear();
	return 0;
}

/* wd_state of entries [from, to): one share of the work, maybe on a
 * thread of its own (it only reads the scan and the file system). */
struct wd_job {
	const struct scan *s;
	size_t from, to;
	unsigned char *state;
};

static void *wd_job_run(void *arg)
{
	struct wd_job *j = arg;
	const struct scan *s = j->s;
	ar_buf full = AR_BUF_INIT;
	size_t rootlen;

	ar_buf_adds(&full, s->repo->root);
	ar_buf_addch(&full, '/');
	rootlen = full.len;
	for (size_t i = j->from; i < j->to; i++) {
		full.len = rootlen;
		ar_buf_add(&full, AR_IX_PATH(s->ix, &s->ix->e[i]), s->ix->e[i].len);
		j->state[i] = (unsigned char)wd_state(s, &s->ix->e[i], full.ptr);
	}
	ar_buf_release(&full);
	return NULL;
}

/* wd_state of every entry, into state[]: the lstat() of every tracked
 * file is most of a scan's time, so a large index is shared among up to
 * WD_JOBS threads (one per CPU). */
#define WD_JOBS 4
#define WD_JOB_MIN 2048 /* entries: below this a thread is not worth it */
static void wd_states(const struct scan *s, unsigned char *state)
{
	struct wd_job jobs[WD_JOBS];
	pthread_t tid[WD_JOBS];
	int started[WD_JOBS] = { 0 };
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = s->ix->n, k, njobs = n / WD_JOB_MIN;

	if (njobs > (size_t)(cpus > 0 ? cpus : 1))
		njobs = (size_t)(cpus > 0 ? cpus : 1);
	if (njobs > WD_JOBS)
		njobs = WD_JOBS;
	if (njobs < 1)
		njobs = 1;
	for (k = 0; k < njobs; k++)
		jobs[k] = (struct wd_job){ s, n * k / njobs, n * (k + 1) / njobs, state };
	for (k = 1; k < njobs; k++)
		started[k] = pthread_create(&tid[k], NULL, wd_job_run, &jobs[k]) == 0;
	for (k = 0; k < njobs; k++)
		if (!started[k])
			wd_job_run(&jobs[k]); /* this thread's share, or a failed start */
	for (k = 1; k < njobs; k++)
		if (started[k])
			pthread_join(tid[k], NULL);
}

/* The entries whose state[] (wd_state) is 1 go to found; those that are 2
 * are hashed here, on this thread (libgit2 objects are not shared). */
static void wd_collect(struct scan *s, const unsigned char *state)
{
	char *full;
	int lent = 0;

	for (size_t i = 0; i < s->ix->n && !lent; i++)
		if (state[i] == 2) /* hashing consults the attributes */
			lent = 1 + index_lend(s->repo, NULL, 0);
	for (size_t i = 0; i < s->ix->n; i++) {
		const char *rel = AR_IX_PATH(s->ix, &s->ix->e[i]);

		if (state[i] == 1) {
			ar_strvec_push(&s->found, rel);
		} else if (state[i] == 2) {
			full = ar_xprintf("%s/%s", s->repo->root, rel);
			if (!wd_same_content(s, &s->ix->e[i], full, rel))
				ar_strvec_push(&s->found, rel);
			free(full);
		}
	}
	index_return(s->repo, lent == 2);
}

/* Every index entry against the work tree. */
static void wd_entries(struct scan *s)
{
	unsigned char *state = ar_xcalloc(s->ix->n + 1, 1);

	wd_states(s, state);
	wd_collect(s, state);
	free(state);
}

static int is_ignored(struct scan *s, const char *rel)
{
	int ignored = 0;

	if (git_ignore_path_is_ignored(&ignored, s->repo->git, rel) < 0) {
		git_error_clear();
		return 0;
	}
	return ignored;
}

/* The type of directory entry d in dir (fd): 'd', 'f' (file or symbolic
 * link) or 0 (anything else). */
static int dirent_kind(DIR *dir, const struct dirent *d)
{
	struct stat st;

	switch (d->d_type) {
	case DT_DIR:
		return 'd';
	case DT_REG:
	case DT_LNK:
		return 'f';
	case DT_UNKNOWN:
		break;
	default:
		return 0;
	}
	if (fstatat(dirfd(dir), d->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return 0;
	return S_ISDIR(st.st_mode) ? 'd' :
	       S_ISREG(st.st_mode) || S_ISLNK(st.st_mode) ? 'f' : 0;
}

/* 1 when directory rel (ending in '/') is a repository of its own. */
static int is_nested_repo(struct scan *s, const char *rel)
{
	char *git = ar_xprintf("%s/%s.git", s->repo->root, rel);
	struct stat st;
	int yes = lstat(git, &st) == 0;

	free(git);
	return yes;
}

/* Files under rel (ending in '/', "" for the root) that the index does not
 * list and that are not ignored; [lo, hi) are the entries under rel. */
static void walk_dir(struct scan *s, const char *rel, size_t lo, size_t hi)
{
	char *full = ar_xprintf("%s/%s", s->repo->root, rel);
	DIR *dir = opendir(full);
	struct dirent *d;
	ar_buf path = AR_BUF_INIT;

	while (dir && (d = readdir(dir)) != NULL) {
		int kind = dirent_kind(dir, d);
		size_t k, dlo, dhi;

		if (!kind || !strcmp(d->d_name, ".") || !strcmp(d->d_name, "..") ||
		    (!*rel && !strcmp(d->d_name, ".git")))
			continue;
		ar_buf_clear(&path);
		ar_buf_adds(&path, rel);
		ar_buf_adds(&path, d->d_name);
		k = ar_ix_lower(s->ix, lo, hi, path.ptr, path.len);
		if (k < hi && s->ix->e[k].len == path.len &&
		    !memcmp(AR_IX_PATH(s->ix, &s->ix->e[k]), path.ptr, path.len) &&
		    (kind == 'f' || is_gitlink(&s->ix->e[k])))
			continue; /* tracked: wd_entries judged it */
		if (kind == 'f') {
			if (!is_ignored(s, path.ptr))
				ar_strvec_push(&s->found, path.ptr);
			continue;
		}
		dlo = ar_ix_lower(s->ix, k, hi, path.ptr, path.len);
		ar_buf_addch(&path, '/');
		dhi = dlo < hi ? ar_ix_dir_end(s->ix, dlo, hi, path.ptr, path.len - 1) : dlo;
		dlo = ar_ix_lower(s->ix, dlo, dhi, path.ptr, path.len);
		if (dlo < dhi) {
			if (!s->shallow) /* holds tracked files */
				walk_dir(s, path.ptr, dlo, dhi);
		} else if (is_ignored(s, path.ptr))
			continue;
		else if (is_nested_repo(s, path.ptr))
			ar_strvec_push(&s->found, path.ptr);
		else
			walk_dir(s, path.ptr, dhi, dhi);
	}
	if (dir)
		closedir(dir);
	ar_buf_release(&path);
	free(full);
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* core.* settings the scan depends on; SCAN_FALLBACK for a repository
 * where paths compare without case or links are plain files. */
static int scan_config(struct scan *s)
{
	git_config *cfg = NULL;
	git_buf buf = GIT_BUF_INIT;
	int ignorecase = 0, symlinks = 1, err = 0;

	s->filemode = 1;
	s->trust_ctime = 1;
	if (git_repository_config_snapshot(&cfg, s->repo->git) < 0) {
		err = SCAN_FALLBACK;
		goto done;
	}
	if (git_config_get_bool(&ignorecase, cfg, "core.ignorecase") < 0)
		ignorecase = 0;
	if (git_config_get_bool(&symlinks, cfg, "core.symlinks") < 0)
		symlinks = 1;
	if (git_config_get_bool(&s->filemode, cfg, "core.filemode") < 0)
		s->filemode = 1;
	if (git_config_get_bool(&s->trust_ctime, cfg, "core.trustctime") < 0)
		s->trust_ctime = 1;
	if (git_config_get_path(&buf, cfg, "core.excludesfile") == 0)
		s->excludes = ar_xstrdup(buf.ptr);
	git_buf_dispose(&buf);
	if (ignorecase || !symlinks)
		err = SCAN_FALLBACK;
done:
	git_config_free(cfg);
	git_error_clear();
	return err;
}

/* 1 when the index's cached root tree is valid and is HEAD's tree. */
static int cache_is_head(const struct ar_ix *ix, const git_tree *head)
{
	return ix->tree && ix->tree->count >= 0 &&
	       (size_t)ix->tree->count == ix->n &&
	       ix_id_is(ix->tree->id, git_tree_id(head));
}

/* Sorted, without repeats, appended to out. */
static void found_to(ar_strvec *found, ar_strvec *out)
{
	if (found->n)
		qsort(found->items, found->n, sizeof(char *), cmp_cstr);
	for (size_t i = 0; i < found->n; i++)
		if (i == 0 || strcmp(found->items[i - 1], found->items[i]))
			ar_strvec_push(out, found->items[i]);
}

/* ------------------------------------------------------- watched status */

/*
 * With the watcher (core/watch.h) a scan looks only at the directories it
 * names and at those of the paths the previous scan found; the rest of the
 * work tree is as that scan saw it.  What it found, and what its answer
 * rested on, is kept in gitdir/ar-watch.state:
 *
 *   ar-watch-state 1
 *   token <the watcher's token, taken before that scan>
 *   index <checksum of the index file it compared against>
 *   stamps <inode, size and times of the config and exclude files>
 *   <each path it found>
 *
 * Another index (git add, a checkout), other ignore rules or settings, a
 * new watcher or lost events each mean a full scan.  ar's own index writes
 * (commit, revert) carry the state along (watch_note_index).  Each
 * directory is judged as the full scan judges it: its entries' stat data,
 * and walk_dir over its files, if the full walk would reach it.
 */
#define WATCH_STATE "ar-watch.state"
#define WATCH_MAGIC "ar-watch-state 1\n"

struct watch_state {
	char *token, *index, *stamps;
	ar_strvec paths;
};

static void watch_state_release(struct watch_state *w)
{
	free(w->token);
	free(w->index);
	free(w->stamps);
	ar_strvec_release(&w->paths);
	memset(w, 0, sizeof(*w));
}

/* gitdir/ar-watch.state: 0, or -1 when absent or not understood. */
static int watch_state_read(const ar_repo *repo, struct watch_state *w)
{
	static const char *const keys[] = { "token ", "index ", "stamps " };
	char **vals[] = { &w->token, &w->index, &w->stamps };
	char *path = ar_path_join(repo->gitdir, WATCH_STATE), *data = NULL, *p, *nl;
	size_t len, k;
	int err = -1;

	memset(w, 0, sizeof(*w));
	if (ar_file_read(path, (size_t)64 << 20, &data, &len) < 0) {
		ar_error_clear();
		goto done;
	}
	if (strncmp(data, WATCH_MAGIC, strlen(WATCH_MAGIC)))
		goto done;
	p = data + strlen(WATCH_MAGIC);
	for (k = 0; k < 3; k++) {
		size_t kl = strlen(keys[k]);
		if (!(nl = strchr(p, '\n')) || strncmp(p, keys[k], kl))
			goto done;
		*vals[k] = ar_xstrndup(p + kl, (size_t)(nl - p) - kl);
		p = nl + 1;
	}
	for (; (nl = strchr(p, '\n')) != NULL; p = nl + 1)
		ar_strvec_push_nodup(&w->paths, ar_xstrndup(p, (size_t)(nl - p)));
	err = *p ? -1 : 0; /* a torn last line */
done:
	if (err)
		watch_state_release(w);
	free(data);
	free(path);
	return err;
}

static void watch_state_write(const ar_repo *repo, const struct watch_state *w)
{
	char *path = ar_path_join(repo->gitdir, WATCH_STATE);
	ar_buf b = AR_BUF_INIT;
	int ok = 1;

	ar_buf_printf(&b, "%stoken %s\nindex %s\nstamps %s\n", WATCH_MAGIC,
	              w->token, w->index, w->stamps);
	for (size_t i = 0; ok && i < w->paths.n; i++) {
		ok = !strchr(w->paths.items[i], '\n');
		ar_buf_printf(&b, "%s\n", w->paths.items[i]);
	}
	if (!ok || ar_file_write_atomic(path, b.ptr, b.len, AR_VOLATILE) < 0)
		unlink(path); /* the next scan is a full one */
	ar_error_clear();
	ar_buf_release(&b);
	free(path);
}

static char *hex_of(const unsigned char raw[AR_IX_OID])
{
	char *hex = ar_xmalloc(2 * AR_IX_OID + 1);

	for (size_t i = 0; i < AR_IX_OID; i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	return hex;
}

static void stamp(ar_buf *b, const char *path)
{
	struct stat st;

	if (path && stat(path, &st) == 0)
		ar_buf_printf(b, "%lu:%lld:%lld.%ld:%lld.%ld;", (unsigned long)st.st_ino,
		              (long long)st.st_size, (long long)st.st_mtim.tv_sec,
		              st.st_mtim.tv_nsec, (long long)st.st_ctim.tv_sec,
		              st.st_ctim.tv_nsec);
	else
		ar_buf_adds(b, "-;");
}

static void stamp_found(ar_buf *b, int (*find)(git_buf *))
{
	git_buf path = GIT_BUF_INIT;

	stamp(b, find(&path) == 0 ? path.ptr : NULL);
	git_buf_dispose(&path);
	git_error_clear();
}

/* What ignore rules, attributes and settings rest on, in one line. */
static char *watch_stamps(const struct scan *s)
{
	static const char *const local[] = { "config", "info/exclude",
	                                     "info/attributes" };
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	ar_buf b = AR_BUF_INIT;
	char *p;

	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
		p = ar_path_join(s->repo->gitdir, local[i]);
		stamp(&b, p);
		free(p);
	}
	stamp_found(&b, git_config_find_global);
	stamp_found(&b, git_config_find_xdg);
	stamp_found(&b, git_config_find_system);
	stamp(&b, s->excludes);
	p = xdg && *xdg ? ar_xprintf("%s/git/ignore", xdg) :
	    ar_xprintf("%s/.config/git/ignore", home ? home : "");
	stamp(&b, p);
	free(p);
	return ar_buf_detach(&b);
}

/* The directory of a found path: "a/b/c" -> "a/b/", "a/sub/" -> "a/". */
static char *dir_of(const char *path)
{
	size_t n = strlen(path);

	if (n && path[n - 1] == '/')
		n--;
	while (n && path[n - 1] != '/')
		n--;
	return ar_xstrndup(path, n);
}

/* 1 when the full walk reaches directory dir ("" or ending in '/'). */
static int dir_is_walked(struct scan *s, const char *dir)
{
	ar_buf full = AR_BUF_INIT;
	const char *p;
	int walked = 1;

	for (p = dir; walked && (p = strchr(p, '/')) != NULL; p++) {
		size_t len = (size_t)(p - dir) + 1, k;
		char *rel = ar_xstrndup(dir, len);
		struct stat st;

		ar_buf_clear(&full);
		ar_buf_printf(&full, "%s/%s", s->repo->root, rel);
		k = ar_ix_lower(s->ix, 0, s->ix->n, rel, len);
		if (lstat(full.ptr, &st) != 0 || !S_ISDIR(st.st_mode))
			walked = 0;
		else if (k < s->ix->n && s->ix->e[k].len > len &&
		         !memcmp(AR_IX_PATH(s->ix, &s->ix->e[k]), rel, len))
			; /* holds tracked files: always walked */
		else if (is_ignored(s, rel) || is_nested_repo(s, rel))
			walked = 0;
		free(rel);
	}
	ar_buf_release(&full);
	return walked;
}

/* Directory dir of a watched scan: its entries (tree: every entry under
 * it) against the work tree into state[], and its files not tracked. */
static void watched_dir(struct scan *s, const char *dir, int tree,
                        unsigned char *state)
{
	size_t len = strlen(dir), lo = 0, hi = s->ix->n, rootlen;
	ar_buf full = AR_BUF_INIT;

	if (len) {
		lo = ar_ix_lower(s->ix, 0, s->ix->n, dir, len);
		hi = ar_ix_dir_end(s->ix, lo, s->ix->n, dir, len - 1);
	}
	ar_buf_printf(&full, "%s/", s->repo->root);
	rootlen = full.len;
	for (size_t i = lo; i < hi; i++) {
		const struct ar_ix_entry *e = &s->ix->e[i];
		const char *path = AR_IX_PATH(s->ix, e);
		if (!tree && memchr(path + len, '/', e->len - len))
			continue;
		full.len = rootlen;
		ar_buf_add(&full, path, e->len);
		state[i] = (unsigned char)wd_state(s, e, full.ptr);
	}
	ar_buf_release(&full);
	if (dir_is_walked(s, dir)) {
		s->shallow = !tree;
		walk_dir(s, dir, lo, hi);
		s->shallow = 0;
	}
}

struct watched { char *dir; int tree; };

static int watched_cmp(const void *a, const void *b)
{
	const struct watched *x = a, *y = b;
	int c = strcmp(x->dir, y->dir);

	return c ? c : y->tree - x->tree; /* a tree first */
}

/* The scan of the directories in the watcher's answer and of the paths
 * the previous scan found. */
static void watched_scan(struct scan *s, const struct ar_watch_answer *a,
                         const struct watch_state *prev)
{
	size_t n = a->dirs.n + prev->paths.n, k = 0;
	struct watched *w = ar_xcalloc(n + 1, sizeof(*w));
	unsigned char *state = ar_xcalloc(s->ix->n + 1, 1);
	const char *tree = NULL, *last = NULL;

	for (size_t i = 0; i < a->dirs.n; i++, k++) {
		w[k].dir = ar_xstrdup(a->dirs.items[i] + 1);
		w[k].tree = a->dirs.items[i][0] == 't';
	}
	for (size_t i = 0; i < prev->paths.n; i++, k++)
		w[k].dir = dir_of(prev->paths.items[i]);
	qsort(w, n, sizeof(*w), watched_cmp);
	for (k = 0; k < n; k++) {
		if ((last && !strcmp(last, w[k].dir)) ||
		    (tree && !strncmp(w[k].dir, tree, strlen(tree))))
			continue; /* seen, or under a tree seen whole */
		watched_dir(s, w[k].dir, w[k].tree, state);
		last = w[k].dir;
		if (w[k].tree)
			tree = w[k].dir;
	}
	wd_collect(s, state);
	for (k = 0; k < n; k++)
		free(w[k].dir);
	free(w);
	free(state);
}

static int watch_wanted(const ar_repo *repo, const struct ar_ix *ix)
{
	return repo->watch == AR_REPO_WATCH_ON ||
	       (repo->watch == AR_REPO_WATCH_AUTO &&
	        ix->n >= AR_REPO_WATCH_AUTO_FILES);
}

/* Ask the watcher (starting one when none runs): 1 with *a and *now to
 * keep for watch_save, and *delta when a watched scan will do; 0 when
 * there is no answer. */
static int watch_ask(struct scan *s, struct watch_state *now,
                     struct ar_watch_answer *a, struct watch_state *prev,
                     int *delta)
{
	int have = watch_state_read(s->repo, prev) == 0;
	int err = ar_watch_query(s->repo->root, have ? prev->token : NULL, a);

	*delta = 0;
	if (err < 0) {
		if (err == AR_ENOTFOUND)
			ar_watch_spawn(s->repo->root); /* for the next scan */
		ar_error_clear();
		return 0;
	}
	now->token = ar_xstrdup(a->token);
	now->index = hex_of(s->ix->sum);
	now->stamps = watch_stamps(s);
	*delta = have && !a->full && !strcmp(prev->index, now->index) &&
	         !strcmp(prev->stamps, now->stamps);
	return 1;
}

/* ar replaced the index (checksum old) by one (checksum now) that differs
 * in paths ch[0..n): the watched state follows when it was about the old
 * index. */
static void watch_note_index(ar_repo *repo, const unsigned char old[AR_IX_OID],
                             const unsigned char now[AR_IX_OID],
                             const struct ar_ix_change *ch, size_t n)
{
	struct watch_state w;
	char *hex;

	if (repo->watch == AR_REPO_WATCH_OFF || watch_state_read(repo, &w) < 0)
		return;
	hex = hex_of(old);
	if (!strcmp(w.index, hex)) {
		free(w.index);
		w.index = hex_of(now);
		for (size_t i = 0; i < n; i++)
			ar_strvec_push(&w.paths, ch[i].path);
		watch_state_write(repo, &w);
	}
	free(hex);
	watch_state_release(&w);
}

void ar_repo_set_watch(ar_repo *repo, int mode)
{
	repo->watch = mode;
}

int ar_repo_last_scan(const ar_repo *repo)
{
	return repo->last_scan;
}

/* The fast status: 0 with the paths appended to out, or SCAN_FALLBACK. */
static int scan_status(ar_repo *repo, int untracked, ar_strvec *out)
{
	struct scan s;
	struct watch_state prev, now;
	struct ar_watch_answer ans;
	git_commit *head = NULL;
	git_tree *tree = NULL;
	size_t from = out->n;
	int err, watching = 0, delta = 0;

	memset(&s, 0, sizeof(s));
	memset(&prev, 0, sizeof(prev));
	memset(&now, 0, sizeof(now));
	memset(&ans, 0, sizeof(ans));
	s.repo = repo;
	repo->last_scan = 0;
	if ((err = scan_config(&s)) != 0)
		goto done;
	if (!(s.ix = ar_ix_get(&repo->ix, repo->gitdir))) {
		err = SCAN_FALLBACK;
		goto done;
	}
	if (git_repository_head_unborn(repo->git) != 0 ||
	    head_commit(repo, &head) < 0 || git_commit_tree(&tree, head) < 0) {
		err = SCAN_FALLBACK;
		goto done;
	}
	if (untracked && watch_wanted(repo, s.ix))
		watching = watch_ask(&s, &now, &ans, &prev, &delta);
	if (!cache_is_head(s.ix, tree) &&
	    (err = staged_walk(&s, tree, "", 0, s.ix->n, s.ix->tree)) != 0)
		goto done;
	repo->last_scan = delta ? 'w' : 'f';
	if (delta) {
		watched_scan(&s, &ans, &prev);
	} else {
		wd_entries(&s);
		if (untracked)
			walk_dir(&s, "", 0, s.ix->n);
	}
	found_to(&s.found, out);
	if (watching) {
		for (size_t i = from; i < out->n; i++)
			ar_strvec_push(&now.paths, out->items[i]);
		watch_state_write(repo, &now);
	}
done:
	if (err)
		ar_error_clear();
	git_error_clear();
	ar_strvec_release(&s.found);
	free(s.excludes);
	watch_state_release(&prev);
	watch_state_release(&now);
	ar_watch_answer_release(&ans);
	git_tree_free(tree);
	git_commit_free(head);
	return err;
}

/* --------------------------------------------------------------- status */

static int status_paths(ar_repo *repo, unsigned int flags, ar_strvec *out)
{
	git_status_options opts;
	git_status_list *list = NULL;
	size_t i, n;
	int err;

	git_status_options_init(&opts, GIT_STATUS_OPTIONS_VERSION);
	opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	opts.flags = flags | GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
	err = git_status_list_new(&list, repo->git, &opts);
	if (err < 0)
		return gfail(err, "reading the status of %s", repo->root);
	n = git_status_list_entrycount(list);
	for (i = 0; i < n; i++) {
		const git_status_entry *e = git_status_byindex(list, i);
		const git_diff_delta *d = e->index_to_workdir ?
		        e->index_to_workdir : e->head_to_index;

		if (e->status == GIT_STATUS_CURRENT ||
		    (e->status & GIT_STATUS_IGNORED) || !d)
			continue;
		ar_strvec_push(out, d->new_file.path); /* one entry a path */
	}
	git_status_list_free(list);
	return 0;
}

int ar_repo_dirty_tracked(ar_repo *repo, ar_strvec *out)
{
	if (scan_status(repo, 0, out) == 0)
		return 0;
	return status_paths(repo, 0, out);
}

/* Staged-only changes are listed too: committing such a path from the work
 * tree is harmless, missing it is not. */
int ar_repo_changed_paths(ar_repo *repo, ar_strvec *out)
{
	if (scan_status(repo, 1, out) == 0)
		return 0;
	return status_paths(repo, GIT_STATUS_OPT_INCLUDE_UNTRACKED |
	                    GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS, out);
}

/* --------------------------------------------------------------- commit */

/* One path of a commit: what goes into the tree and the index. */
struct change {
	const char *path;  /* borrowed */
	int remove;        /* 1: delete from tree and index */
	int base_has;      /* the parent has an entry here */
	int base_is_tree;  /* ... and it is a directory */
	git_oid id;        /* blob (upserts) */
	git_filemode_t mode;
	struct stat st;    /* taken before hashing (upserts) */
};

/* 1 when the repository tracks the executable bit (core.filemode). */
static int repo_filemode(ar_repo *repo)
{
	git_config *cfg = NULL;
	int value = 1;

	if (git_repository_config_snapshot(&cfg, repo->git) == 0 &&
	    git_config_get_bool(&value, cfg, "core.filemode") < 0)
		value = 1;
	git_config_free(cfg);
	git_error_clear();
	return value;
}

static git_filemode_t blob_mode(const struct stat *st, int filemode,
                                const git_tree_entry *base)
{
	if (S_ISLNK(st->st_mode))
		return GIT_FILEMODE_LINK;
	if (!filemode)
		return base && git_tree_entry_filemode(base) ==
		               GIT_FILEMODE_BLOB_EXECUTABLE ?
		       GIT_FILEMODE_BLOB_EXECUTABLE : GIT_FILEMODE_BLOB;
	return (st->st_mode & S_IXUSR) ? GIT_FILEMODE_BLOB_EXECUTABLE
	                               : GIT_FILEMODE_BLOB;
}

/* Decide what happens to c->path. */
static int prepare_change(ar_repo *repo, git_tree *base, int filemode,
                          struct change *c)
{
	git_tree_entry *entry = NULL;
	char *full = ar_path_join(repo->root, c->path);
	int err = 0, missing;

	if (base && git_tree_entry_bypath(&entry, base, c->path) < 0)
		entry = NULL;
	git_error_clear();
	c->base_has = entry != NULL;
	c->base_is_tree = entry && git_tree_entry_type(entry) == GIT_OBJECT_TREE;
	missing = lstat(full, &c->st) != 0;
	if (missing && errno != ENOENT && errno != ENOTDIR) {
		err = ar_error_set(AR_ERROR, "reading %s: %s", full,
		                   strerror(errno));
	} else if (missing || (S_ISDIR(c->st.st_mode) && entry &&
	                       !c->base_is_tree)) {
		/* Gone, or a file that became a directory. */
		c->remove = 1;
	} else if (S_ISDIR(c->st.st_mode)) {
		err = ar_error_set(AR_EUSAGE, "%s is a directory; list the files "
		                   "in it instead", full);
	} else if (!S_ISREG(c->st.st_mode) && !S_ISLNK(c->st.st_mode)) {
		err = ar_error_set(AR_EUSAGE, "%s is not a regular file or a "
		                   "symbolic link; it cannot be committed", full);
	} else {
		c->mode = blob_mode(&c->st, filemode, entry);
		if ((err = git_blob_create_from_workdir(&c->id, repo->git,
		                                        c->path)) < 0)
			err = gfail(err, "storing %s", full);
	}
	git_tree_entry_free(entry);
	free(full);
	return err;
}

/* Apply the removals (pass 0) or the upserts (pass 1) to *tree. Doing the
 * two apart lets a file become a directory and back. */
static int update_tree(ar_repo *repo, git_tree **tree,
                       const struct change *c, size_t n, int pass)
{
	git_tree_update *up = ar_xcalloc(n + 1, sizeof(*up));
	git_tree *next = NULL;
	git_oid id;
	size_t i, k = 0;
	int err = 0;

	for (i = 0; i < n; i++) {
		if (c[i].remove != (pass == 0) || (c[i].remove && !c[i].base_has))
			continue; /* removing what is not there fails */
		up[k].action = pass == 0 ? GIT_TREE_UPDATE_REMOVE
		                         : GIT_TREE_UPDATE_UPSERT;
		up[k].id = c[i].id;
		up[k].filemode = c[i].mode;
		up[k++].path = c[i].path;
	}
	if (k == 0 && *tree)
		goto done;
	err = git_tree_create_updated(&id, repo->git, *tree, k, up);
	if (err < 0) {
		err = gfail(err, "building the new tree");
		goto done;
	}
	if ((err = git_tree_lookup(&next, repo->git, &id)) < 0) {
		err = gfail(err, "reading the new tree");
		goto done;
	}
	git_tree_free(*tree);
	*tree = next;
done:
	free(up);
	return err;
}

static void fill_index_entry(git_index_entry *e, const struct change *c)
{
	memset(e, 0, sizeof(*e));
	e->ctime.seconds = (int32_t)c->st.st_ctim.tv_sec;
	e->ctime.nanoseconds = (uint32_t)c->st.st_ctim.tv_nsec;
	e->mtime.seconds = (int32_t)c->st.st_mtim.tv_sec;
	e->mtime.nanoseconds = (uint32_t)c->st.st_mtim.tv_nsec;
	e->dev = (uint32_t)c->st.st_dev;
	e->ino = (uint32_t)c->st.st_ino;
	e->mode = c->mode;
	e->uid = (uint32_t)c->st.st_uid;
	e->gid = (uint32_t)c->st.st_gid;
	e->file_size = (uint32_t)c->st.st_size;
	e->id = c->id;
	e->path = c->path;
}

/* Make the index entries of the committed paths match the new commit,
 * with the stat data taken before hashing (so a later edit shows). */
static int update_index(ar_repo *repo, const struct change *c, size_t n)
{
	git_index *index = NULL;
	git_index_entry e;
	size_t i;
	int err, pass;

	if ((err = git_repository_index(&index, repo->git)) < 0 ||
	    (err = git_index_read(index, 0)) < 0) {
		err = gfail(err, "reading the index of %s", repo->root);
		goto done;
	}
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < n && err >= 0; i++) {
			if (c[i].remove != (pass == 0))
				continue;
			git_index_conflict_remove(index, c[i].path);
			git_error_clear();
			if (c[i].remove) {
				err = git_index_remove_bypath(index, c[i].path);
				if (err >= 0 && c[i].base_is_tree)
					err = git_index_remove_directory(index,
					                                 c[i].path, 0);
			} else {
				fill_index_entry(&e, &c[i]);
				err = git_index_add(index, &e);
			}
			if (err < 0)
				err = gfail(err, "updating %s in the index",
				            c[i].path);
		}
	}
	if (err >= 0 && (err = git_index_write(index)) < 0)
		err = gfail(err, "writing the index of %s", repo->root);
done:
	git_index_free(index);
	return err < 0 ? err : 0;
}

/* ar_ix_update, and the watched state carried along. */
static int ix_update(ar_repo *repo, const struct ar_ix_change *ch, size_t n)
{
	const struct ar_ix *ix = ar_ix_get(&repo->ix, repo->gitdir);
	unsigned char old[AR_IX_OID];
	int err;

	if (ix)
		memcpy(old, ix->sum, sizeof(old));
	err = ar_ix_update(&repo->ix, repo->gitdir, ch, n);
	if (err == 0 && ix && (ix = ar_ix_get(&repo->ix, repo->gitdir)))
		watch_note_index(repo, old, ix->sum, ch, n);
	return err;
}

/* ar_ix_restore (a revert of ar's last index write), the watched state
 * carried along. */
static int ix_restore(ar_repo *repo, const struct ar_ix_change *ch, size_t n)
{
	const struct ar_ix *ix = ar_ix_get(&repo->ix, repo->gitdir);
	unsigned char old[AR_IX_OID], now[AR_IX_OID];
	int err;

	if (!ix)
		return AR_IX_FALLBACK;
	memcpy(old, ix->sum, sizeof(old));
	err = ar_ix_restore(&repo->ix, repo->gitdir, ch, n, now);
	if (err == 0)
		watch_note_index(repo, old, now, ch, n);
	return err;
}

/* The committed paths' index entries: patched in place by ar when each
 * is an existing entry given a new file, through libgit2 otherwise. */
static int index_after_commit(ar_repo *repo, const struct change *c, size_t n)
{
	struct ar_ix_change *ch = ar_xcalloc(n + 1, sizeof(*ch));
	int err = AR_IX_FALLBACK;
	size_t i;

	for (i = 0; i < n && !c[i].remove; i++) {
		ch[i].path = c[i].path;
		memcpy(ch[i].id, c[i].id.id, AR_IX_OID);
		ch[i].mode = (uint32_t)c[i].mode;
		ch[i].st = c[i].st;
	}
	if (i == n)
		err = ix_update(repo, ch, n);
	free(ch);
	if (err == AR_IX_FALLBACK)
		err = update_index(repo, c, n);
	return err;
}

static int make_signature(ar_repo *repo, git_signature **out)
{
	int err;

	if (git_signature_default(out, repo->git) == 0)
		return 0;
	/* user.name or user.email unset (or unusable): our own identity. */
	git_error_clear();
	if ((err = git_signature_now(out, "ar", "ar@localhost")) < 0)
		return gfail(err, "making a commit signature");
	return 0;
}

/* Build the tree of the new commit from `parent` plus the changed paths. */
static int build_tree(ar_repo *repo, git_commit *parent, struct change *c,
                      size_t n, git_tree **out)
{
	git_tree *tree = NULL;
	size_t i;
	int err = 0, filemode = repo_filemode(repo);

	if (parent && (err = git_commit_tree(&tree, parent)) < 0)
		return gfail(err, "reading the tree of HEAD");
	for (i = 0; i < n; i++)
		if ((err = prepare_change(repo, tree, filemode, &c[i])) < 0)
			goto done;
	if ((err = update_tree(repo, &tree, c, n, 0)) < 0 ||
	    (err = update_tree(repo, &tree, c, n, 1)) < 0)
		goto done;
	*out = tree;
	tree = NULL;
done:
	git_tree_free(tree);
	return err;
}

static char *message_with_newline(const char *message)
{
	size_t n = strlen(message);

	if (n && message[n - 1] == '\n')
		return ar_xstrdup(message);
	return ar_xprintf("%s\n", message);
}

int ar_repo_commit_paths(ar_repo *repo, const ar_strvec *paths,
                         const char *message, char out_oid[AR_OID_HEX])
{
	git_commit *parent = NULL;
	git_tree *tree = NULL;
	git_signature *sig = NULL;
	struct change *c = NULL;
	const char **sorted = NULL;
	char *msg = NULL;
	git_oid id;
	size_t i, n = 0;
	int err, lent;

	out_oid[0] = '\0';
	if (!message || !*message)
		return ar_error_set(AR_EUSAGE, "empty commit message");
	if ((err = require_branch(repo)) < 0 ||
	    (err = sorted_paths(paths, &sorted, &n)) < 0)
		goto done;
	err = head_commit(repo, &parent);
	if (err == AR_ENOTFOUND)
		err = 0; /* first commit on an unborn branch */
	if (err < 0)
		goto done;
	c = ar_xcalloc(n + 1, sizeof(*c));
	for (i = 0; i < n; i++)
		c[i].path = sorted[i];
	lent = index_lend(repo, sorted, n);
	err = build_tree(repo, parent, c, n, &tree);
	index_return(repo, lent);
	if (err < 0 || (err = make_signature(repo, &sig)) < 0)
		goto done;
	msg = message_with_newline(message);
	err = git_commit_create(&id, repo->git, "HEAD", sig, sig, NULL, msg,
	                        tree, parent ? 1 : 0,
	                        (const git_commit **)&parent);
	if (err < 0) {
		err = gfail(err, "committing in %s", repo->root);
		goto done;
	}
	git_oid_tostr(out_oid, AR_OID_HEX, &id);
	err = index_after_commit(repo, c, n);
done:
	free(msg);
	free(c);
	free(sorted);
	git_signature_free(sig);
	git_tree_free(tree);
	git_commit_free(parent);
	return err;
}

/* ---------------------------------------------------------------- reset */

/* Remove root/path and the directories it leaves empty. */
static int unlink_path(ar_repo *repo, const char *path)
{
	char *full = ar_path_join(repo->root, path);
	char *slash;
	struct stat st;
	int err = 0;

	if (lstat(full, &st) == 0 && S_ISDIR(st.st_mode))
		err = ar_error_set(AR_EUSAGE, "%s is a directory; list the files "
		                   "in it instead", full);
	else if (unlink(full) != 0 && errno != ENOENT && errno != ENOTDIR)
		err = ar_error_set(AR_ERROR, "removing %s: %s", full,
		                   strerror(errno));
	while (err == 0 && (slash = strrchr(full, '/')) != NULL &&
	       (size_t)(slash - full) > strlen(repo->root)) {
		*slash = '\0';
		if (rmdir(full) != 0)
			break;
	}
	free(full);
	return err;
}

/* Split `paths` into those present in `tree` (checked out) and those absent
 * (deleted from work tree and index). Both arrays borrow the strings. */
static int split_paths(ar_repo *repo, git_tree *tree, const char **sorted,
                       size_t n, git_strarray *present, ar_strvec *absent)
{
	git_tree_entry *entry;
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		err = git_tree_entry_bypath(&entry, tree, sorted[i]);
		if (err == GIT_ENOTFOUND) {
			git_error_clear();
			ar_strvec_push(absent, sorted[i]);
			if ((err = unlink_path(repo, sorted[i])) < 0)
				return err;
			continue;
		}
		if (err < 0)
			return gfail(err, "looking up %s", sorted[i]);
		git_tree_entry_free(entry);
		present->strings[present->count++] = (char *)sorted[i];
	}
	return 0;
}

/* After checkout, make sure each present path's index entry is the
 * target's blob (checkout leaves entries alone when the file matched). */
static int fix_index(ar_repo *repo, git_index *index, git_tree *tree,
                     const git_strarray *present, const ar_strvec *absent)
{
	git_tree_entry *te = NULL;
	const git_index_entry *ie;
	size_t i;
	int err = 0;

	for (i = 0; i < absent->n && err >= 0; i++) {
		git_index_conflict_remove(index, absent->items[i]);
		git_error_clear();
		err = git_index_remove_bypath(index, absent->items[i]);
	}
	for (i = 0; i < present->count && err >= 0; i++) {
		const char *p = present->strings[i];
		if ((err = git_tree_entry_bypath(&te, tree, p)) < 0)
			break;
		ie = git_index_get_bypath(index, p, 0);
		if (git_tree_entry_type(te) == GIT_OBJECT_BLOB &&
		    (!ie || !git_oid_equal(&ie->id, git_tree_entry_id(te)) ||
		     ie->mode != (uint32_t)git_tree_entry_filemode(te)))
			err = git_index_add_bypath(index, p);
		git_tree_entry_free(te);
		te = NULL;
	}
	if (err >= 0 && (err = git_index_write(index)) < 0)
		return gfail(err, "writing the index of %s", repo->root);
	if (err < 0)
		return gfail(err, "updating the index of %s", repo->root);
	return 0;
}

/* The checked-out paths' index entries set to the blobs of `tree`, with
 * the files' stat data, by ar; AR_IX_FALLBACK when it cannot. */
static int index_after_checkout(ar_repo *repo, git_tree *tree,
                                const git_strarray *present)
{
	struct ar_ix_change *ch;
	git_tree_entry *te = NULL;
	char *full;
	int err = 0;

	if (!present->count)
		return 0;
	ch = ar_xcalloc(present->count + 1, sizeof(*ch));
	for (size_t i = 0; err == 0 && i < present->count; i++) {
		ch[i].path = present->strings[i];
		full = ar_path_join(repo->root, ch[i].path);
		if (git_tree_entry_bypath(&te, tree, ch[i].path) < 0 ||
		    git_tree_entry_type(te) != GIT_OBJECT_BLOB ||
		    lstat(full, &ch[i].st) != 0) {
			err = AR_IX_FALLBACK;
		} else {
			memcpy(ch[i].id, git_tree_entry_id(te)->id, AR_IX_OID);
			ch[i].mode = (uint32_t)git_tree_entry_filemode(te);
		}
		git_tree_entry_free(te);
		te = NULL;
		free(full);
	}
	git_error_clear();
	if (err == 0)
		err = ix_restore(repo, ch, present->count);
	if (err == AR_IX_FALLBACK)
		err = ix_update(repo, ch, present->count);
	free(ch);
	return err;
}

/* Make `paths` in the work tree and index match `commit`. */
static int checkout_paths(ar_repo *repo, git_commit *commit,
                          const ar_strvec *paths)
{
	git_checkout_options opts;
	git_strarray present = { NULL, 0 };
	ar_strvec absent = AR_STRVEC_INIT;
	git_tree *tree = NULL;
	git_index *index = NULL;
	const char **sorted = NULL;
	size_t n;
	int err, lent = 0;

	if ((err = sorted_paths(paths, &sorted, &n)) < 0)
		return err;
	if ((err = git_commit_tree(&tree, commit)) < 0) {
		err = gfail(err, "reading the tree to check out");
		goto done;
	}
	present.strings = ar_xcalloc(n + 1, sizeof(char *));
	git_checkout_options_init(&opts, GIT_CHECKOUT_OPTIONS_VERSION);
	lent = index_lend(repo, sorted, n);
	if ((err = split_paths(repo, tree, sorted, n, &present, &absent)) < 0)
		goto done;
	/* The index is written once, by fix_index: writing it is what costs
	 * in a large repository (the whole file and its checksum). */
	opts.checkout_strategy = GIT_CHECKOUT_FORCE |
	        GIT_CHECKOUT_RECREATE_MISSING |
	        GIT_CHECKOUT_DISABLE_PATHSPEC_MATCH |
	        GIT_CHECKOUT_DONT_WRITE_INDEX;
	opts.paths = present;
	opts.baseline = tree;
	/* An empty path list would mean "everything": skip the checkout. */
	if (present.count &&
	    (err = git_checkout_tree(repo->git, (git_object *)tree, &opts)) < 0) {
		err = gfail(err, "checking out %zu path(s)", present.count);
		goto done;
	}
	index_return(repo, lent);
	lent = 0;
	if (!absent.n &&
	    (err = index_after_checkout(repo, tree, &present)) != AR_IX_FALLBACK)
		goto done;
	if ((err = git_repository_index(&index, repo->git)) < 0 ||
	    (err = git_index_read(index, 0)) < 0) {
		err = gfail(err, "reading the index of %s", repo->root);
		goto done;
	}
	err = fix_index(repo, index, tree, &present, &absent);
done:
	index_return(repo, lent);
	git_index_free(index);
	ar_strvec_release(&absent);
	free(present.strings);
	free(sorted);
	git_tree_free(tree);
	return err;
}

int ar_repo_reset_paths(ar_repo *repo, const char *oid, const ar_strvec *paths)
{
	git_commit *commit = NULL;
	git_reference *head = NULL, *moved = NULL;
	char *msg = NULL;
	int err;

	if ((err = require_branch(repo)) < 0 ||
	    (err = lookup_commit(repo, oid, &commit)) < 0)
		goto done;
	if ((err = git_repository_head(&head, repo->git)) < 0) {
		err = gfail(err, "reading the current branch of %s", repo->root);
		goto done;
	}
	msg = ar_xprintf("reset: moving to %s", oid);
	err = git_reference_set_target(&moved, head, git_commit_id(commit), msg);
	if (err < 0) {
		err = gfail(err, "moving %s to %s", git_reference_name(head), oid);
		goto done;
	}
	ar_fault_point("during-revert");
	err = checkout_paths(repo, commit, paths);
done:
	free(msg);
	git_reference_free(moved);
	git_reference_free(head);
	git_commit_free(commit);
	return err;
}

int ar_repo_restore_paths(ar_repo *repo, const ar_strvec *paths)
{
	git_commit *head = NULL;
	int err;

	if ((err = head_commit(repo, &head)) < 0)
		return err;
	err = checkout_paths(repo, head, paths);
	git_commit_free(head);
	return err;
}

/* ------------------------------------------------------------- contents */

int ar_repo_blob(ar_repo *repo, const char *oid, const char *path,
                 char **out, size_t *len)
{
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	size_t size;
	int err;

	*out = NULL;
	if (len)
		*len = 0;
	if ((err = check_relpath(path)) < 0 ||
	    (err = lookup_tree(repo, oid, &tree)) < 0)
		return err;
	err = git_tree_entry_bypath(&entry, tree, path);
	if (err == GIT_ENOTFOUND ||
	    (err == 0 && git_tree_entry_type(entry) != GIT_OBJECT_BLOB)) {
		err = ar_error_set(AR_ENOTFOUND, "%s is not a file in commit "
		                   "%.7s", path, oid);
		goto done;
	}
	if (err < 0 ||
	    (err = git_blob_lookup(&blob, repo->git, git_tree_entry_id(entry))) < 0) {
		err = gfail(err, "reading %s in commit %.7s", path, oid);
		goto done;
	}
	size = (size_t)git_blob_rawsize(blob);
	*out = ar_xmalloc(size + 1);
	memcpy(*out, git_blob_rawcontent(blob), size);
	(*out)[size] = '\0';
	if (len)
		*len = size;
done:
	git_blob_free(blob);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	return err;
}

/* Paths under prefix whose entries differ between trees a and b (either
 * may be NULL: absent).  Equal subtrees are skipped without being read,
 * so the cost follows the change, not the size of the repository. */
static int tree_changes(ar_repo *repo, git_tree *a, git_tree *b,
                        const char *prefix, ar_strvec *out);

/* One entry's side of a change: ea in a, eb in b (either may be NULL). */
static int entry_changes(ar_repo *repo, const git_tree_entry *ea,
                         const git_tree_entry *eb, const char *prefix,
                         ar_strvec *out)
{
	const git_tree_entry *any = ea ? ea : eb;
	git_tree *ta = NULL, *tb = NULL;
	char *dir;
	int err = 0;

	if (ea && eb && git_oid_equal(git_tree_entry_id(ea), git_tree_entry_id(eb)) &&
	    git_tree_entry_filemode(ea) == git_tree_entry_filemode(eb))
		return 0;
	if ((ea && git_tree_entry_type(ea) != GIT_OBJECT_TREE) ||
	    (eb && git_tree_entry_type(eb) != GIT_OBJECT_TREE))
		ar_strvec_pushf(out, "%s%s", prefix, git_tree_entry_name(any));
	if ((ea && git_tree_entry_type(ea) == GIT_OBJECT_TREE &&
	     (err = git_tree_lookup(&ta, repo->git, git_tree_entry_id(ea))) < 0) ||
	    (eb && git_tree_entry_type(eb) == GIT_OBJECT_TREE &&
	     (err = git_tree_lookup(&tb, repo->git, git_tree_entry_id(eb))) < 0)) {
		err = gfail(err, "reading tree %s%s", prefix, git_tree_entry_name(any));
		goto done;
	}
	if (ta || tb) {
		dir = ar_xprintf("%s%s/", prefix, git_tree_entry_name(any));
		err = tree_changes(repo, ta, tb, dir, out);
		free(dir);
	}
done:
	git_tree_free(ta);
	git_tree_free(tb);
	return err;
}

static int tree_changes(ar_repo *repo, git_tree *a, git_tree *b,
                        const char *prefix, ar_strvec *out)
{
	size_t i = 0, j = 0, na = a ? git_tree_entrycount(a) : 0;
	size_t nb = b ? git_tree_entrycount(b) : 0;
	int err = 0;

	while (err == 0 && (i < na || j < nb)) {
		const git_tree_entry *ea = i < na ? git_tree_entry_byindex(a, i) : NULL;
		const git_tree_entry *eb = j < nb ? git_tree_entry_byindex(b, j) : NULL;
		int c = !ea ? 1 : !eb ? -1 : git_tree_entry_cmp(ea, eb);

		/* Both orders are git's (a directory sorts as "name/"), so a
		 * file and a directory of the same name are two entries. */
		err = entry_changes(repo, c <= 0 ? ea : NULL, c >= 0 ? eb : NULL,
		                    prefix, out);
		i += c <= 0;
		j += c >= 0;
	}
	return err;
}

/* The diff between two commits, limited to the paths that differ (the
 * same deltas as a whole-tree diff, without reading equal subtrees). */
static int diff_commits(ar_repo *repo, const char *old_oid,
                        const char *new_oid, git_diff **out)
{
	git_tree *a = NULL, *b = NULL;
	git_diff_options opts;
	ar_strvec paths = AR_STRVEC_INIT;
	int err;

	*out = NULL;
	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
	if ((err = lookup_tree(repo, old_oid, &a)) < 0 ||
	    (err = lookup_tree(repo, new_oid, &b)) < 0 ||
	    (err = tree_changes(repo, a, b, "", &paths)) < 0)
		goto done;
	opts.flags |= GIT_DIFF_DISABLE_PATHSPEC_MATCH;
	opts.pathspec.strings = paths.items;
	opts.pathspec.count = paths.n;
	/* No path differs: an empty pathspec would mean every path, so diff a
	 * tree with itself. */
	err = git_diff_tree_to_tree(out, repo->git, paths.n ? a : b, b, &opts);
	if (err < 0)
		err = gfail(err, "diffing %.7s..%.7s", old_oid, new_oid);
done:
	ar_strvec_release(&paths);
	git_tree_free(a);
	git_tree_free(b);
	return err;
}

int ar_repo_diff_stat(ar_repo *repo, const char *old_oid, const char *new_oid,
                      int *added, int *removed)
{
	git_diff *diff = NULL;
	git_diff_stats *stats = NULL;
	int err, lent;

	*added = *removed = 0;
	if ((err = diff_commits(repo, old_oid, new_oid, &diff)) < 0)
		return err;
	lent = index_lend(repo, NULL, 0); /* attributes: binary, diff drivers */
	err = git_diff_get_stats(&stats, diff);
	index_return(repo, lent);
	if (err < 0) {
		err = gfail(err, "counting changes %.7s..%.7s", old_oid, new_oid);
	} else {
		*added = (int)git_diff_stats_insertions(stats);
		*removed = (int)git_diff_stats_deletions(stats);
	}
	git_diff_stats_free(stats);
	git_diff_free(diff);
	return err;
}

int ar_repo_diff_text(ar_repo *repo, const char *old_oid, const char *new_oid,
                      char **out)
{
	git_diff *diff = NULL;
	git_buf buf = GIT_BUF_INIT;
	int err, lent;

	*out = NULL;
	if ((err = diff_commits(repo, old_oid, new_oid, &diff)) < 0)
		return err;
	lent = index_lend(repo, NULL, 0);
	err = git_diff_to_buf(&buf, diff, GIT_DIFF_FORMAT_PATCH);
	index_return(repo, lent);
	if (err < 0)
		err = gfail(err, "formatting diff %.7s..%.7s", old_oid, new_oid);
	else
		*out = ar_xstrndup(buf.ptr ? buf.ptr : "", buf.size);
	git_buf_dispose(&buf);
	git_diff_free(diff);
	return err;
}

int ar_repo_commit_summary(ar_repo *repo, const char *oid, char **out)
{
	git_commit *commit = NULL;
	const char *msg;
	size_t n;
	int err;

	*out = NULL;
	if ((err = lookup_commit(repo, oid, &commit)) < 0)
		return err;
	msg = git_commit_message(commit);
	if (!msg)
		msg = "";
	n = strcspn(msg, "\n");
	while (n && (msg[n - 1] == '\r' || msg[n - 1] == ' ' ||
	             msg[n - 1] == '\t'))
		n--;
	*out = ar_xstrndup(msg, n);
	git_commit_free(commit);
	return 0;
}

/* --------------------------------------------------------------- config */

/* 1 when `text` has a line equal to `line` (ignoring trailing blanks). */
static int has_line(const char *text, const char *line)
{
	size_t want = strlen(line);

	while (*text) {
		size_t n = strcspn(text, "\n"), m = n;
		while (m && (text[m - 1] == '\r' || text[m - 1] == ' ' ||
		             text[m - 1] == '\t'))
			m--;
		if (m == want && memcmp(text, line, m) == 0)
			return 1;
		text += n + (text[n] == '\n');
	}
	return 0;
}

int ar_repo_exclude_add(ar_repo *repo, const char *const *patterns, size_t n)
{
	char *info = ar_path_join(git_repository_commondir(repo->git), "info");
	char *path = ar_path_join(info, "exclude");
	char *old = NULL;
	ar_buf text = AR_BUF_INIT;
	size_t i, len = 0, before;
	int err = 0;

	for (i = 0; i < n; i++)
		if (!patterns[i] || !*patterns[i] || strchr(patterns[i], '\n')) {
			err = ar_error_set(AR_EUSAGE, "bad exclude pattern '%s': "
			                   "it must be one non-empty line",
			                   patterns[i] ? patterns[i] : "(null)");
			goto done;
		}
	err = ar_file_read(path, 16u << 20, &old, &len);
	if (err == AR_ENOTFOUND)
		err = 0;
	if (err < 0)
		goto done;
	ar_buf_add(&text, old ? old : "", len);
	before = text.len;
	for (i = 0; i < n; i++) {
		if (has_line(ar_buf_cstr(&text), patterns[i]))
			continue;
		if (text.len && text.ptr[text.len - 1] != '\n')
			ar_buf_addch(&text, '\n');
		ar_buf_printf(&text, "%s\n", patterns[i]);
	}
	if (text.len == before)
		goto done;
	if ((err = ar_mkdir_p(info)) < 0 ||
	    (err = ar_file_write_atomic(path, text.ptr, text.len, AR_DURABLE)) < 0)
		ar_error_prefix(err, "adding to %s", path);
done:
	ar_buf_release(&text);
	free(old);
	free(path);
	free(info);
	return err;
}

int ar_repo_config_get(ar_repo *repo, const char *key, char **out)
{
	git_config *cfg = NULL;
	git_buf buf = GIT_BUF_INIT;
	int err;

	*out = NULL;
	if (!key || !*key)
		return ar_error_set(AR_EUSAGE, "empty git config key");
	if ((err = git_repository_config(&cfg, repo->git)) < 0)
		return gfail(err, "reading the git config of %s", repo->root);
	err = git_config_get_string_buf(&buf, cfg, key);
	if (err == GIT_ENOTFOUND)
		err = ar_error_set(AR_ENOTFOUND, "git config key '%s' is not set; "
		                   "set it with `git config %s VALUE`", key, key);
	else if (err < 0)
		err = gfail(err, "reading git config key '%s'", key);
	else
		*out = ar_xstrdup(buf.ptr ? buf.ptr : "");
	git_buf_dispose(&buf);
	git_config_free(cfg);
	return err;
}

/* ------------------------------------------------------- content hashes */

int ar_repo_hash_file(ar_repo *repo, const char *path, char out[AR_OID_HEX])
{
	char *full = ar_path_join(repo->root, path);
	struct stat st;
	git_oid oid;
	int err;

	if (lstat(full, &st) < 0) {
		err = ar_error_set(AR_ENOTFOUND, "%s does not exist", path);
		goto done;
	}
	if ((err = git_repository_hashfile(&oid, repo->git, full, GIT_OBJECT_BLOB, NULL)) < 0) {
		err = gfail(err, "hashing %s", path);
		goto done;
	}
	git_oid_tostr(out, AR_OID_HEX, &oid);
done:
	free(full);
	return err;
}

struct tree_walk {
	ar_strvec *out;
};

static int collect_blob(const char *root, const git_tree_entry *entry, void *payload)
{
	struct tree_walk *w = payload;
	if (git_tree_entry_type(entry) == GIT_OBJECT_BLOB)
		ar_strvec_pushf(w->out, "%s%s", root, git_tree_entry_name(entry));
	return 0;
}

int ar_repo_tree_paths(ar_repo *repo, const char *oid, ar_strvec *out)
{
	git_tree *tree = NULL;
	struct tree_walk w = { out };
	int err;

	if ((err = lookup_tree(repo, oid, &tree)) < 0)
		return err;
	err = git_tree_walk(tree, GIT_TREEWALK_PRE, collect_blob, &w);
	git_tree_free(tree);
	if (err < 0)
		return gfail(err, "listing the files of commit %s", oid);
	return 0;
}

/* ---- applying a change to the work tree --------------------------------- */

struct apply_filter {
	const ar_strvec *globs; /* NULL or empty: every path */
	ar_strvec touched;
};

static int apply_delta(const git_diff_delta *delta, void *payload)
{
	struct apply_filter *f = payload;
	const char *path = delta->new_file.path ? delta->new_file.path
	                                        : delta->old_file.path;

	if (f->globs && f->globs->n && !ar_glob_match_any(f->globs, path) &&
	    !(delta->old_file.path && ar_glob_match_any(f->globs, delta->old_file.path)))
		return 1; /* skip this file */
	ar_strvec_push(&f->touched, path);
	return 0;
}

int ar_repo_apply_workdir(ar_repo *repo, const char *old_oid, const char *new_oid,
                          const ar_strvec *globs, ar_strvec *changed)
{
	git_diff *diff = NULL;
	git_apply_options opts;
	struct apply_filter f = { globs, AR_STRVEC_INIT };
	int err;

	git_apply_options_init(&opts, GIT_APPLY_OPTIONS_VERSION);
	if ((err = diff_commits(repo, old_oid, new_oid, &diff)) < 0)
		return err;
	opts.delta_cb = apply_delta;
	opts.payload = &f;
	err = git_apply(repo->git, diff, GIT_APPLY_LOCATION_WORKDIR, &opts);
	if (err < 0)
		err = gfail(err, "applying the change %.7s..%.7s to the work tree",
		            old_oid, new_oid);
	else
		ar_strvec_copy(changed, &f.touched);
	ar_strvec_release(&f.touched);
	git_diff_free(diff);
	return err;
}
