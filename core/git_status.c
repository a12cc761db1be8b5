/*
 * git_status.c - the status of the work tree: the paths that differ from
 * HEAD (ar_repo_changed_paths, ar_repo_dirty_tracked), through libgit2
 * and ar's own reading of the index (core/git_index.h).
 *
 * The status is read from the index file directly: its entries' stat data
 * against the work tree, and its cached tree against HEAD's (see "fast
 * status"); untracked files come from a walk of the work tree.  With the
 * watcher (core/watch.h) only the directories in its answer are looked at
 * again (see "watched status").  Whatever this does not handle goes to
 * libgit2's status (see "status").  bench/overhead measures it.
 */
#include "git.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "git_index.h"
#include "git_internal.h"
#include "watch.h"

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
			lent = 1 + ar_git__index_lend(s->repo, NULL, 0);
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
	ar_git__index_return(s->repo, lent == 2);
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
 * (commit, revert) carry the state along (ar_git__watch_note_index).
 * Each directory is judged as the full scan judges it: its entries' stat
 * data, and walk_dir over its files, if the full walk would reach it.
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
void ar_git__watch_note_index(ar_repo *repo, const unsigned char old[AR_IX_OID],
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
	    ar_git__head_commit(repo, &head) < 0 ||
	    git_commit_tree(&tree, head) < 0) {
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
		return ar_git__fail(err, "reading the status of %s",
		                    repo->root);
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
