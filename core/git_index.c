/*
 * git_index.c - git's index file read in place and patched (see
 * git_index.h); the format is git's Documentation/gitformat-index.txt.
 */
#include "git_index.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "sha1.h"

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void ix_tree_free(struct ar_ix_tree *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nsub; i++)
		ix_tree_free(&t->sub[i]);
	free(t->sub);
}

static void ix_release(struct ar_ix *ix)
{
	ix_tree_free(ix->tree);
	free(ix->tree);
	free(ix->e);
	free(ix->data);
	ar_buf_release(&ix->arena);
}

/* A decimal number ending at `stop`; advances *p past the stop byte. */
static int ix_number(const char **p, const char *end, char stop, long *out)
{
	const char *q = *p;
	int neg = q < end && *q == '-';
	long v = 0;

	q += neg;
	if (q >= end || *q < '0' || *q > '9')
		return -1;
	while (q < end && *q >= '0' && *q <= '9' && v < 100000000L)
		v = v * 10 + (*q++ - '0');
	if (q >= end || *q != stop)
		return -1;
	*p = q + 1;
	*out = neg ? -v : v;
	return 0;
}

/* One node of the TREE extension and its children, from *p. */
static int ix_tree_node(const char **p, const char *end, struct ar_ix_tree *t,
                        int depth)
{
	const char *nul = memchr(*p, '\0', (size_t)(end - *p));
	long nsub;

	if (!nul || depth > 4096)
		return -1;
	t->name = *p;
	t->name_len = (size_t)(nul - *p);
	*p = nul + 1;
	if (ix_number(p, end, ' ', &t->count) < 0 ||
	    ix_number(p, end, '\n', &nsub) < 0 || nsub < 0 ||
	    nsub > end - *p)
		return -1;
	if (t->count >= 0) {
		if (end - *p < AR_IX_OID)
			return -1;
		memcpy(t->id, *p, AR_IX_OID);
		*p += AR_IX_OID;
	}
	t->sub = ar_xcalloc((size_t)nsub + 1, sizeof(*t->sub));
	for (long i = 0; i < nsub; i++) {
		if (ix_tree_node(p, end, &t->sub[i], depth + 1) < 0)
			return -1;
		t->nsub++;
	}
	return 0;
}

/* The extensions after the entries: TREE is read, other optional ones
 * skipped, a required one ("link", "sdir") means AR_IX_FALLBACK. */
static int ix_extensions(struct ar_ix *ix, size_t pos)
{
	const unsigned char *d = (const unsigned char *)ix->data;
	size_t end = ix->len - AR_IX_OID, size;
	const char *p;

	ix->ext_at = pos;
	while (pos + 8 <= end) {
		size = be32(d + pos + 4);
		if (size > end - pos - 8)
			return AR_IX_FALLBACK;
		if (d[pos] >= 'a' && d[pos] <= 'z')
			return AR_IX_FALLBACK;
		if (memcmp(d + pos, "TREE", 4) && memcmp(d + pos, "REUC", 4) &&
		    memcmp(d + pos, "UNTR", 4))
			ix->ext_other = 1;
		if (!memcmp(d + pos, "TREE", 4) && size && !ix->tree) {
			p = ix->data + pos + 8;
			ix->tree = ar_xcalloc(1, sizeof(*ix->tree));
			if (ix_tree_node(&p, p + size, ix->tree, 0) < 0)
				return AR_IX_FALLBACK;
		}
		pos += 8 + size;
	}
	return 0;
}

/* Varint of index version 4 (the bytes to drop from the previous path). */
static int ix_varint(const unsigned char **p, const unsigned char *end,
                     size_t *out)
{
	size_t v;
	unsigned char c;

	if (*p >= end)
		return -1;
	c = *(*p)++;
	v = c & 127;
	while (c & 128) {
		if (*p >= end || v > (SIZE_MAX >> 8))
			return -1;
		c = *(*p)++;
		v = ((v + 1) << 7) | (c & 127);
	}
	*out = v;
	return 0;
}

/* The path of entry e at *pos (just past its fixed part); moves *pos past
 * the entry. */
static int ix_path(struct ar_ix *ix, uint32_t version, size_t start, size_t *pos,
                   struct ar_ix_entry *e, const struct ar_ix_entry *prev)
{
	const unsigned char *d = (const unsigned char *)ix->data;
	const unsigned char *p = d + *pos, *end = d + ix->len - AR_IX_OID;
	const unsigned char *nul;
	size_t drop = 0, keep;

	if (version == 4 && ix_varint(&p, end, &drop) < 0)
		return AR_IX_FALLBACK;
	if (!(nul = memchr(p, '\0', (size_t)(end - p))))
		return AR_IX_FALLBACK;
	if (version != 4) {
		e->off = *pos;
		e->len = (size_t)(nul - p);
		*pos = start + ((*pos - start + e->len + 8) & ~(size_t)7);
		return *pos <= ix->len - AR_IX_OID ? 0 : AR_IX_FALLBACK;
	}
	if (drop > (prev ? prev->len : 0))
		return AR_IX_FALLBACK;
	keep = (prev ? prev->len : 0) - drop;
	ar_buf_grow(&ix->arena, keep + (size_t)(nul - p) + 1);
	e->off = ix->arena.len;
	if (keep)
		memmove(ix->arena.ptr + e->off, ix->arena.ptr + prev->off, keep);
	ix->arena.len += keep;
	ar_buf_add(&ix->arena, p, (size_t)(nul - p) + 1);
	e->len = ix->arena.len - 1 - e->off;
	*pos = (size_t)(nul + 1 - d);
	return 0;
}

/* Entry i at *pos. */
static int ix_entry_at(struct ar_ix *ix, uint32_t version, size_t *pos, size_t i)
{
	const unsigned char *d = (const unsigned char *)ix->data + *pos;
	struct ar_ix_entry *e = &ix->e[i];
	size_t start = *pos, fixed = 62;
	unsigned flags;

	if (ix->len - AR_IX_OID - *pos < 64)
		return AR_IX_FALLBACK;
	e->at = start;
	e->ctime_s = be32(d);
	e->ctime_ns = be32(d + 4);
	e->mtime_s = be32(d + 8);
	e->mtime_ns = be32(d + 12);
	e->ino = be32(d + 20);
	e->mode = be32(d + 24);
	e->uid = be32(d + 28);
	e->gid = be32(d + 32);
	e->size = be32(d + 36);
	memcpy(e->id, d + 40, AR_IX_OID);
	flags = (unsigned)d[60] << 8 | d[61];
	/* assume-valid, a conflict stage, or (v3+) extended flags:
	 * skip-worktree and intent-to-add. */
	if (flags & 0xb000u)
		return AR_IX_FALLBACK;
	if (flags & 0x4000u) {
		if (version < 3 || (d[62] & 0x60u))
			return AR_IX_FALLBACK;
		fixed = 64;
	}
	*pos += fixed;
	return ix_path(ix, version, start, pos, e, i ? &ix->e[i - 1] : NULL);
}

/* 1 when a sorts before b (git's index order: bytes, shorter first). */
static int ix_before(const struct ar_ix *ix, const struct ar_ix_entry *a,
                     const struct ar_ix_entry *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(AR_IX_PATH(ix, a), AR_IX_PATH(ix, b), n);

	return c < 0 || (c == 0 && a->len < b->len);
}

/* Read and parse gitdir/index into *ix (ix_release it even on failure).
 * AR_IX_FALLBACK when absent or not something this reader handles. */
static int ix_read(struct ar_ix *ix, const char *gitdir)
{
	char *path = ar_path_join(gitdir, "index");
	struct stat st;
	uint32_t version;
	size_t pos = 12, i;
	int err = AR_IX_FALLBACK;

	memset(ix, 0, sizeof(*ix));
	if (stat(path, &st) != 0 ||
	    ar_file_read(path, (size_t)1 << 31, &ix->data, &ix->len) < 0)
		goto done;
	ix->mtime = st.st_mtim;
	if (ix->len < 12 + AR_IX_OID || memcmp(ix->data, "DIRC", 4))
		goto done;
	memcpy(ix->sum, ix->data + ix->len - AR_IX_OID, AR_IX_OID);
	version = be32((const unsigned char *)ix->data + 4);
	ix->n = be32((const unsigned char *)ix->data + 8);
	if (version < 2 || version > 4 || ix->n > ix->len / 32)
		goto done;
	ix->e = ar_xcalloc(ix->n + 1, sizeof(*ix->e));
	for (i = 0; i < ix->n; i++) {
		if (ix_entry_at(ix, version, &pos, i) != 0)
			goto done;
		ix->base = version == 4 ? ix->arena.ptr : ix->data;
		if (i && !ix_before(ix, &ix->e[i - 1], &ix->e[i]))
			goto done;
	}
	if (!ix->base)
		ix->base = "";
	err = ix_extensions(ix, pos);
done:
	if (err)
		ar_error_clear(); /* libgit2's status will say what is wrong */
	free(path);
	return err;
}

/* What ar_ix_update replaced, kept for ar_ix_restore: the old file, linked
 * as gitdir/ar-index.prev, and the old entries of the paths it changed. */
struct ix_prev {
	int ok;
	struct stat st;       /* of ar-index.prev */
	struct stat cur;      /* of the index written over it */
	unsigned char sum[AR_IX_OID];
	size_t n;
	char **paths;         /* owned */
	unsigned char (*id)[AR_IX_OID];
	uint32_t *mode;
};

struct ar_ix_cache {
	struct ar_ix ix;
	int valid;            /* ix and st describe one state of the file */
	int ok;               /* ... and ix was parsed */
	struct stat st;
	struct ix_prev prev;
};

static void prev_release(struct ix_prev *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->paths[i]);
	free(p->paths);
	free(p->id);
	free(p->mode);
	memset(p, 0, sizeof(*p));
}

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

const struct ar_ix *ar_ix_get(ar_ix_cache **cache, const char *gitdir)
{
	char *path = ar_path_join(gitdir, "index");
	ar_ix_cache *c = *cache;
	struct stat st;

	if (!c)
		c = *cache = ar_xcalloc(1, sizeof(*c));
	if (stat(path, &st) != 0) {
		c->valid = c->ok = 0;
	} else if (!c->valid || !same_file(&c->st, &st)) {
		/* Changed since stat(): the next call sees a new stamp. */
		ix_release(&c->ix);
		c->ok = ix_read(&c->ix, gitdir) == 0;
		c->st = st;
		c->valid = 1;
	}
	free(path);
	return c->valid && c->ok ? &c->ix : NULL;
}

void ar_ix_cache_free(ar_ix_cache *cache)
{
	if (!cache)
		return;
	ix_release(&cache->ix);
	prev_release(&cache->prev);
	free(cache);
}

/* First entry in [lo, hi) whose path does not sort before key[0..len). */
size_t ar_ix_lower(const struct ar_ix *ix, size_t lo, size_t hi,
                       const char *key, size_t len)
{
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct ar_ix_entry *e = &ix->e[mid];
		int c = memcmp(AR_IX_PATH(ix, e), key, e->len < len ? e->len : len);

		if (c < 0 || (c == 0 && e->len < len))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* End of the entries from lo on that lie under directory path[0..n). */
size_t ar_ix_dir_end(const struct ar_ix *ix, size_t lo, size_t hi,
                         const char *path, size_t n)
{
	char *key = ar_xstrndup(path, n + 1);
	size_t end;

	key[n] = '/' + 1; /* just past every "path/..." */
	end = ar_ix_lower(ix, lo, hi, key, n + 1);
	free(key);
	return end;
}


const struct ar_ix_entry *ar_ix_find(const struct ar_ix *ix, const char *path)
{
	size_t len = strlen(path), k = ar_ix_lower(ix, 0, ix->n, path, len);

	if (k < ix->n && ix->e[k].len == len &&
	    !memcmp(AR_IX_PATH(ix, &ix->e[k]), path, len))
		return &ix->e[k];
	return NULL;
}

/* ---------------------------------------------------------------- write */

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* The fixed part of entry e (in ix->data) rewritten from c.  Its flags,
 * and so the entry's size, stay: the path is the same. */
static void patch_entry(struct ar_ix *ix, struct ar_ix_entry *e,
                        const struct ar_ix_change *c)
{
	unsigned char *d = (unsigned char *)ix->data + e->at;

	put32(d, (uint32_t)c->st.st_ctim.tv_sec);
	put32(d + 4, (uint32_t)c->st.st_ctim.tv_nsec);
	put32(d + 8, (uint32_t)c->st.st_mtim.tv_sec);
	put32(d + 12, (uint32_t)c->st.st_mtim.tv_nsec);
	put32(d + 16, (uint32_t)c->st.st_dev);
	put32(d + 20, (uint32_t)c->st.st_ino);
	put32(d + 24, c->mode);
	put32(d + 28, (uint32_t)c->st.st_uid);
	put32(d + 32, (uint32_t)c->st.st_gid);
	put32(d + 36, (uint32_t)c->st.st_size);
	memcpy(d + 40, c->id, AR_IX_OID);
	/* The parsed entry too: the cache holds what is written. */
	e->ctime_s = be32(d);
	e->ctime_ns = be32(d + 4);
	e->mtime_s = be32(d + 8);
	e->mtime_ns = be32(d + 12);
	e->ino = be32(d + 20);
	e->mode = c->mode;
	e->uid = be32(d + 28);
	e->gid = be32(d + 32);
	e->size = be32(d + 36);
	memcpy(e->id, c->id, AR_IX_OID);
}

/* The cached trees of the directories holding `path` are out of date. */
static void tree_invalidate(struct ar_ix_tree *t, const char *path)
{
	const char *slash;

	while (t) {
		struct ar_ix_tree *next = NULL;

		t->count = -1;
		if (!(slash = strchr(path, '/')))
			return;
		for (size_t i = 0; i < t->nsub && !next; i++)
			if (t->sub[i].name_len == (size_t)(slash - path) &&
			    !memcmp(t->sub[i].name, path, t->sub[i].name_len))
				next = &t->sub[i];
		t = next;
		path = slash + 1;
	}
}

/* The TREE extension's payload: t, then its children. */
static void tree_write(ar_buf *b, const struct ar_ix_tree *t)
{
	ar_buf_add(b, t->name, t->name_len);
	ar_buf_add(b, "", 1);
	ar_buf_printf(b, "%ld %zu\n", t->count, t->nsub);
	if (t->count >= 0)
		ar_buf_add(b, t->id, AR_IX_OID);
	for (size_t i = 0; i < t->nsub; i++)
		tree_write(b, &t->sub[i]);
}

/* The whole file: header and entries as patched, the extensions (TREE
 * rewritten), the checksum. */
static void ix_serialize(const struct ar_ix *ix, ar_buf *out)
{
	const unsigned char *d = (const unsigned char *)ix->data;
	size_t pos = ix->ext_at, end = ix->len - AR_IX_OID, size;
	unsigned char hdr[8] = "TREE", sum[AR_SHA1_RAWSZ];
	int tree_done = 0;

	ar_buf_grow(out, ix->len + 4096);
	ar_buf_add(out, ix->data, ix->ext_at);
	while (pos + 8 <= end) {
		size = be32(d + pos + 4);
		if (!memcmp(d + pos, "TREE", 4) && ix->tree && !tree_done) {
			size_t at = out->len + 8;
			ar_buf_add(out, hdr, 8);
			tree_write(out, ix->tree);
			put32((unsigned char *)out->ptr + at - 4,
			      (uint32_t)(out->len - at));
			tree_done = 1;
		} else {
			ar_buf_add(out, d + pos, 8 + size);
		}
		pos += 8 + size;
	}
	ar_sha1(out->ptr, out->len, sum);
	ar_buf_add(out, sum, sizeof(sum));
}

/* Take gitdir/index.lock as git does: created exclusively. */
static int lock_index(const char *lock)
{
	int fd = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);

	if (fd >= 0)
		return fd;
	if (errno == EEXIST)
		return ar_error_set(AR_ERROR, "%s exists: another git process "
		                    "seems to be running in this repository; if "
		                    "none is, remove the file and run again", lock);
	return ar_error_set(AR_ERROR, "creating %s: %s", lock, strerror(errno));
}

/* Patch ix with ch[0..n): AR_IX_FALLBACK when an entry is missing. */
static int ix_apply(struct ar_ix *ix, const struct ar_ix_change *ch, size_t n)
{
	if (ix->ext_other)
		return AR_IX_FALLBACK;
	for (size_t i = 0; i < n; i++) {
		const struct ar_ix_entry *e = ar_ix_find(ix, ch[i].path);
		if (!e)
			return AR_IX_FALLBACK;
		patch_entry(ix, &ix->e[e - ix->e], &ch[i]);
		tree_invalidate(ix->tree, ch[i].path);
	}
	return 0;
}

/* Before ch[0..n) patch the cached index: remember its entries there. */
static void prev_keep(ar_ix_cache *c, const struct ar_ix_change *ch, size_t n)
{
	struct ix_prev *p = &c->prev;

	prev_release(p);
	p->paths = ar_xcalloc(n + 1, sizeof(*p->paths));
	p->id = ar_xcalloc(n + 1, sizeof(*p->id));
	p->mode = ar_xcalloc(n + 1, sizeof(*p->mode));
	memcpy(p->sum, c->ix.sum, AR_IX_OID);
	for (size_t i = 0; i < n; i++) {
		const struct ar_ix_entry *e = ar_ix_find(&c->ix, ch[i].path);
		if (!e)
			return; /* ix_apply falls back; p->ok stays 0 */
		p->paths[i] = ar_xstrdup(ch[i].path);
		memcpy(p->id[i], e->id, AR_IX_OID);
		p->mode[i] = e->mode;
		p->n = i + 1;
	}
	p->ok = 1;
}

/* The index about to be replaced stays as gitdir/ar-index.prev. */
static void prev_link(struct ix_prev *p, const char *gitdir, const char *index)
{
	char *prev = ar_path_join(gitdir, "ar-index.prev");

	unlink(prev);
	if (p->ok)
		p->ok = link(index, prev) == 0;
	free(prev);
}

/* After the rename that dropped its other name (which changes its ctime). */
static void prev_stat(struct ix_prev *p, const char *gitdir)
{
	char *prev = ar_path_join(gitdir, "ar-index.prev");

	if (p->ok)
		p->ok = stat(prev, &p->st) == 0;
	free(prev);
}

/* 1 when the entries of ch[0..n) are exactly those prev changed, and as
 * they were before. */
static int prev_matches(const struct ix_prev *p, const struct ar_ix_change *ch,
                        size_t n)
{
	if (!p->ok || p->n != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		while (k < p->n && strcmp(p->paths[k], ch[i].path))
			k++;
		if (k == p->n || memcmp(p->id[k], ch[i].id, AR_IX_OID) ||
		    p->mode[k] != ch[i].mode)
			return 0;
	}
	return 1;
}

int ar_ix_restore(ar_ix_cache **cache, const char *gitdir,
                  const struct ar_ix_change *ch, size_t n,
                  unsigned char sum[AR_IX_OID])
{
	char *path = ar_path_join(gitdir, "index");
	char *prev = ar_path_join(gitdir, "ar-index.prev");
	char *lock = ar_xprintf("%s.lock", path);
	ar_ix_cache *c = *cache;
	struct stat st, pst;
	int fd, err = AR_IX_FALLBACK;

	if (!c || !prev_matches(&c->prev, ch, n) || stat(path, &st) != 0 ||
	    !same_file(&st, &c->prev.cur) || stat(prev, &pst) != 0 ||
	    !same_file(&pst, &c->prev.st))
		goto done;
	if ((err = fd = lock_index(lock)) < 0)
		goto done;
	if (rename(prev, path) != 0) {
		err = ar_error_set(AR_ERROR, "renaming %s into place: %s", prev,
		                   strerror(errno));
	} else {
		memcpy(sum, c->prev.sum, AR_IX_OID);
		c->valid = 0; /* read again when next asked */
		err = 0;
	}
	prev_release(&c->prev);
	close(fd);
	unlink(lock);
done:
	free(lock);
	free(prev);
	free(path);
	return err;
}

int ar_ix_update(ar_ix_cache **cache, const char *gitdir,
                 const struct ar_ix_change *ch, size_t n)
{
	char *path = ar_path_join(gitdir, "index");
	char *lock = ar_xprintf("%s.lock", path);
	ar_buf out = AR_BUF_INIT;
	int fd = lock_index(lock), err;
	struct stat st;

	if ((err = fd) < 0)
		goto done;
	err = ar_ix_get(cache, gitdir) ? 0 : AR_IX_FALLBACK;
	if (err == 0) {
		(*cache)->valid = 0; /* patched below: not the file until written */
		prev_keep(*cache, ch, n);
		err = ix_apply(&(*cache)->ix, ch, n);
	}
	if (err == 0) {
		ix_serialize(&(*cache)->ix, &out);
		memcpy((*cache)->ix.sum, out.ptr + out.len - AR_IX_OID, AR_IX_OID);
		if (ar_write_all(fd, out.ptr, out.len) < 0)
			err = ar_error_set(errno == ENOSPC ? AR_ENOSPACE : AR_ERROR,
			                   "writing %s: %s", lock, strerror(errno));
	}
	if (err == 0)
		prev_link(&(*cache)->prev, gitdir, path);
	if (err == 0 && rename(lock, path) != 0)
		err = ar_error_set(AR_ERROR, "renaming %s into place: %s", lock,
		                   strerror(errno));
	if (err == 0 && fstat(fd, &st) == 0) { /* what was written, renamed */
		(*cache)->st = st;
		(*cache)->ix.mtime = st.st_mtim;
		(*cache)->valid = 1;
		(*cache)->prev.cur = st;
		prev_stat(&(*cache)->prev, gitdir);
	} else {
		(*cache)->prev.ok = 0;
	}
	close(fd);
	if (err)
		unlink(lock);
done:
	ar_buf_release(&out);
	free(lock);
	free(path);
	return err;
}
