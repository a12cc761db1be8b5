/*
 * git.c - every git operation `ar` performs, through libgit2, but the
 * status of the work tree (core/git_status.c).
 *
 * git.c and git_status.c are the only files that include <git2.h> (through
 * core/git_internal.h, which they share).  libgit2 errors become
 * ar_error_set(code, "<what we were doing>: <libgit2's message>"), with
 * GIT_ENOTFOUND, GIT_EEXISTS, GIT_EINVALIDSPEC and GIT_ECONFLICT mapped to
 * AR_ENOTFOUND, AR_EEXISTS, AR_EUSAGE and AR_EDIRTY, the rest to AR_ERROR.
 *
 * Committing and resetting touch only the paths they are given: the new
 * tree is the parent's tree with those entries replaced (git_tree_create_
 * updated), and only those index entries are rewritten - by ar itself
 * (core/git_index.c) when they exist, with libgit2 lent a small stand-in
 * index meanwhile (see "partial index"), so a large index is neither
 * loaded nor checksummed by libgit2.  Diffs between commits read only the
 * subtrees that differ.  bench/overhead measures all of it.
 */
#include "git.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2/sys/repository.h>

#include "fault.h"
#include "git_index.h"
#include "git_internal.h"

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
int ar_git__fail(int gcode, const char *fmt, ...)
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
		return ar_git__fail(-1, "initialising libgit2");
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
	return ar_git__fail(gcode, "opening the git repository at %s", shown);
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
		return ar_git__fail(err, "looking up commit %s", hex);
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
		return ar_git__fail(err, "reading the tree of commit %s", hex);
	return 0;
}

/* AR_EDETACHED when HEAD is not a branch. */
static int require_branch(ar_repo *repo)
{
	git_oid oid;
	char shorthex[8];
	int err = git_repository_head_detached(repo->git);

	if (err < 0)
		return ar_git__fail(err, "reading HEAD in %s", repo->root);
	if (err == 0)
		return 0;
	if (git_reference_name_to_id(&oid, repo->git, "HEAD") < 0)
		return ar_git__fail(-1, "reading HEAD in %s", repo->root);
	git_oid_tostr(shorthex, sizeof(shorthex), &oid);
	return ar_error_set(AR_EDETACHED, "HEAD is detached at %s; "
	                    "check out a branch first", shorthex);
}

/* HEAD's commit; AR_ENOTFOUND on an unborn branch. */
int ar_git__head_commit(ar_repo *repo, git_commit **out)
{
	git_oid oid;
	int err = git_reference_name_to_id(&oid, repo->git, "HEAD");

	*out = NULL;
	if (err == GIT_ENOTFOUND || err == GIT_EUNBORNBRANCH)
		return ar_error_set(AR_ENOTFOUND, "the current branch in %s has "
		                    "no commits yet; make a first commit",
		                    repo->root);
	if (err < 0)
		return ar_git__fail(err, "reading HEAD in %s", repo->root);
	if ((err = git_commit_lookup(out, repo->git, &oid)) < 0)
		return ar_git__fail(err, "reading HEAD's commit in %s",
		                    repo->root);
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
		return ar_git__fail(err, "reading HEAD in %s", repo->root);
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
		return ar_git__fail(err, "looking up branch '%s'", name);
	return 1;
}

int ar_repo_branch_create(ar_repo *repo, const char *name)
{
	git_commit *head = NULL;
	git_reference *ref = NULL;
	int err;

	if ((err = check_branch_name(name)) < 0)
		return err;
	if ((err = ar_git__head_commit(repo, &head)) < 0)
		return err;
	err = git_branch_create(&ref, repo->git, name, head, 0);
	if (err == GIT_EEXISTS) {
		err = ar_error_set(AR_EEXISTS, "branch '%s' already exists; "
		                   "pick another name or check it out", name);
		goto done;
	}
	if (err < 0) {
		err = ar_git__fail(err, "creating branch '%s'", name);
		goto done;
	}
	/* Same commit as before: the work tree and index stay as they are. */
	err = git_repository_set_head(repo->git, git_reference_name(ref));
	if (err < 0)
		err = ar_git__fail(err, "switching HEAD to branch '%s'", name);
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
		err = ar_git__fail(err, "looking up branch '%s'", name);
		goto done;
	}
	err = git_reference_peel(&tree, ref, GIT_OBJECT_TREE);
	if (err < 0) {
		err = ar_git__fail(err, "reading the tree of branch '%s'",
		                   name);
		goto done;
	}
	opts.checkout_strategy = GIT_CHECKOUT_SAFE;
	err = git_checkout_tree(repo->git, tree, &opts);
	if (err < 0) {
		err = ar_git__fail(err, "checking out branch '%s' (commit or "
		                   "stash your changes first)", name);
		goto done;
	}
	err = git_repository_set_head(repo->git, git_reference_name(ref));
	if (err < 0)
		err = ar_git__fail(err, "switching HEAD to branch '%s'", name);
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
	if ((err = ar_git__head_commit(repo, &head)) < 0)
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
		return ar_git__fail(err, "resolving '%s'", spec);
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
		return ar_git__fail(err, "setting %s to %s", refname, oid);
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
		return ar_git__fail(err, "checking whether %s is an ancestor "
		                    "of %s", ancestor, oid);
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
 * with ar_git__index_return), 0 when the real index stays (it is not one
 * ar reads: libgit2 then loads it as usual). */
int ar_git__index_lend(ar_repo *repo, const char **paths, size_t n)
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
void ar_git__index_return(ar_repo *repo, int lent)
{
	if (lent)
		git_repository_set_index(repo->git, NULL);
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
			err = ar_git__fail(err, "storing %s", full);
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
		err = ar_git__fail(err, "building the new tree");
		goto done;
	}
	if ((err = git_tree_lookup(&next, repo->git, &id)) < 0) {
		err = ar_git__fail(err, "reading the new tree");
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
		err = ar_git__fail(err, "reading the index of %s", repo->root);
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
				err = ar_git__fail(err, "updating %s in the "
				                   "index", c[i].path);
		}
	}
	if (err >= 0 && (err = git_index_write(index)) < 0)
		err = ar_git__fail(err, "writing the index of %s", repo->root);
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
		ar_git__watch_note_index(repo, old, ix->sum, ch, n);
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
		ar_git__watch_note_index(repo, old, now, ch, n);
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
		return ar_git__fail(err, "making a commit signature");
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
		return ar_git__fail(err, "reading the tree of HEAD");
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
	err = ar_git__head_commit(repo, &parent);
	if (err == AR_ENOTFOUND)
		err = 0; /* first commit on an unborn branch */
	if (err < 0)
		goto done;
	c = ar_xcalloc(n + 1, sizeof(*c));
	for (i = 0; i < n; i++)
		c[i].path = sorted[i];
	lent = ar_git__index_lend(repo, sorted, n);
	err = build_tree(repo, parent, c, n, &tree);
	ar_git__index_return(repo, lent);
	if (err < 0 || (err = make_signature(repo, &sig)) < 0)
		goto done;
	msg = message_with_newline(message);
	err = git_commit_create(&id, repo->git, "HEAD", sig, sig, NULL, msg,
	                        tree, parent ? 1 : 0,
	                        (const git_commit **)&parent);
	if (err < 0) {
		err = ar_git__fail(err, "committing in %s", repo->root);
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
			return ar_git__fail(err, "looking up %s", sorted[i]);
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
		return ar_git__fail(err, "writing the index of %s", repo->root);
	if (err < 0)
		return ar_git__fail(err, "updating the index of %s",
		                    repo->root);
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
		err = ar_git__fail(err, "reading the tree to check out");
		goto done;
	}
	present.strings = ar_xcalloc(n + 1, sizeof(char *));
	git_checkout_options_init(&opts, GIT_CHECKOUT_OPTIONS_VERSION);
	lent = ar_git__index_lend(repo, sorted, n);
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
		err = ar_git__fail(err, "checking out %zu path(s)",
		                   present.count);
		goto done;
	}
	ar_git__index_return(repo, lent);
	lent = 0;
	if (!absent.n &&
	    (err = index_after_checkout(repo, tree, &present)) != AR_IX_FALLBACK)
		goto done;
	if ((err = git_repository_index(&index, repo->git)) < 0 ||
	    (err = git_index_read(index, 0)) < 0) {
		err = ar_git__fail(err, "reading the index of %s", repo->root);
		goto done;
	}
	err = fix_index(repo, index, tree, &present, &absent);
done:
	ar_git__index_return(repo, lent);
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
		err = ar_git__fail(err, "reading the current branch of %s",
		                   repo->root);
		goto done;
	}
	msg = ar_xprintf("reset: moving to %s", oid);
	err = git_reference_set_target(&moved, head, git_commit_id(commit), msg);
	if (err < 0) {
		err = ar_git__fail(err, "moving %s to %s",
		                   git_reference_name(head), oid);
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

	if ((err = ar_git__head_commit(repo, &head)) < 0)
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
		err = ar_git__fail(err, "reading %s in commit %.7s", path, oid);
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
		err = ar_git__fail(err, "reading tree %s%s", prefix,
		                   git_tree_entry_name(any));
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
		err = ar_git__fail(err, "diffing %.7s..%.7s", old_oid, new_oid);
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
	/* attributes: binary, diff drivers */
	lent = ar_git__index_lend(repo, NULL, 0);
	err = git_diff_get_stats(&stats, diff);
	ar_git__index_return(repo, lent);
	if (err < 0) {
		err = ar_git__fail(err, "counting changes %.7s..%.7s",
		                   old_oid, new_oid);
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
	lent = ar_git__index_lend(repo, NULL, 0);
	err = git_diff_to_buf(&buf, diff, GIT_DIFF_FORMAT_PATCH);
	ar_git__index_return(repo, lent);
	if (err < 0)
		err = ar_git__fail(err, "formatting diff %.7s..%.7s",
		                   old_oid, new_oid);
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
		return ar_git__fail(err, "reading the git config of %s",
		                    repo->root);
	err = git_config_get_string_buf(&buf, cfg, key);
	if (err == GIT_ENOTFOUND)
		err = ar_error_set(AR_ENOTFOUND, "git config key '%s' is not set; "
		                   "set it with `git config %s VALUE`", key, key);
	else if (err < 0)
		err = ar_git__fail(err, "reading git config key '%s'", key);
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
		err = ar_git__fail(err, "hashing %s", path);
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
		return ar_git__fail(err, "listing the files of commit %s", oid);
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
		err = ar_git__fail(err, "applying the change %.7s..%.7s to "
		                   "the work tree", old_oid, new_oid);
	else
		ar_strvec_copy(changed, &f.touched);
	ar_strvec_release(&f.touched);
	git_diff_free(diff);
	return err;
}
