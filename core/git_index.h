/*
 * git_index.h - git's index file (.git/index, versions 2 to 4), read and
 * patched by ar itself.  Internal to the git module (core/git.c,
 * core/git_status.c); no libgit2 types cross it.
 *
 * Why: libgit2 loads an index by checksumming the whole file with its
 * collision-detecting SHA-1 and building every entry, and writes it the
 * same way; in a 50,000-file repository that is tens of milliseconds for
 * what an experiment changes - one or two entries.  ar reads the entries
 * in place (the fast status of git_status.c), and rewrites a few entries
 * of a file it understands with one plain SHA-1 (ar_ix_update).  Anything
 * it does not understand is AR_IX_FALLBACK: the caller then asks libgit2.
 */
#ifndef AR_GIT_INDEX_H
#define AR_GIT_INDEX_H

#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "util.h"

#define AR_IX_FALLBACK 1       /* not an index this code handles */
#define AR_IX_OID 20           /* bytes of a raw SHA-1 object id */
#define AR_IX_MODE_LINK 0120000u
#define AR_IX_MODE_GITLINK 0160000u
#define AR_IX_MODE_TYPE 0170000u

struct ar_ix_entry {
	size_t at;            /* offset of the entry in the file */
	size_t off, len;      /* the path: ix->base + off, NUL-terminated */
	uint32_t ctime_s, ctime_ns, mtime_s, mtime_ns, ino, mode, uid, gid, size;
	unsigned char id[AR_IX_OID];
};

struct ar_ix_tree {           /* one node of the TREE extension */
	const char *name;     /* path component, into the file ("" at root) */
	size_t name_len;
	long count;           /* entries it covers; -1 when invalidated */
	size_t nsub;
	struct ar_ix_tree *sub; /* children (owned) */
	unsigned char id[AR_IX_OID];
};

struct ar_ix {
	char *data;           /* the index file (owned) */
	size_t len;
	const char *base;     /* paths: data (v2, v3) or arena.ptr (v4) */
	ar_buf arena;
	struct ar_ix_entry *e;/* sorted by path (owned) */
	size_t n;
	struct ar_ix_tree *tree; /* NULL without a TREE extension (owned) */
	size_t ext_at;        /* where the extensions begin */
	int ext_other;        /* an extension besides TREE, REUC and UNTR */
	struct timespec mtime;/* of the index file: newer entries are racy */
	unsigned char sum[AR_IX_OID]; /* the file's trailing checksum */
};

#define AR_IX_PATH(ix, e) ((ix)->base + (e)->off)

/* A parsed index, kept while its file stays the same. */
typedef struct ar_ix_cache ar_ix_cache;

/* gitdir/index, parsed: the one in *cache (created on first use) when the
 * file has the inode, size, modification and change times it had when
 * read, else read again.  NULL when it is absent or holds what this reader
 * does not handle: conflicts, assume-valid, skip-worktree or intent-to-add
 * entries, a split or sparse index.  Borrowed from the cache until the
 * next call with it. */
const struct ar_ix *ar_ix_get(ar_ix_cache **cache, const char *gitdir);
void ar_ix_cache_free(ar_ix_cache *cache);

/* First entry in [lo, hi) whose path does not sort before key[0..len). */
size_t ar_ix_lower(const struct ar_ix *ix, size_t lo, size_t hi,
                   const char *key, size_t len);
/* End of the entries from lo on that lie under directory path[0..n). */
size_t ar_ix_dir_end(const struct ar_ix *ix, size_t lo, size_t hi,
                     const char *path, size_t n);
/* The entry of `path`, or NULL. */
const struct ar_ix_entry *ar_ix_find(const struct ar_ix *ix, const char *path);

/* New contents of an existing entry: its blob, mode and stat data. */
struct ar_ix_change {
	const char *path;     /* borrowed */
	unsigned char id[AR_IX_OID];
	uint32_t mode;
	struct stat st;       /* of the work tree file, taken before hashing */
};

/*
 * Rewrite gitdir/index with the entries of ch[0..n) changed (each must
 * exist), the cached trees above them invalidated, under index.lock as
 * git does; the cache then holds what was written.  AR_IX_FALLBACK, with
 * nothing written, when the index is not
 * one this handles (see ar_ix_read; also unknown extensions) or a path
 * has no entry; negative (ar_error_set) when the lock is held or the
 * write fails.
 */
int ar_ix_update(ar_ix_cache **cache, const char *gitdir,
                 const struct ar_ix_change *ch, size_t n);

/*
 * Undo the last ar_ix_update of this cache when ch[0..n) asks exactly for
 * the entries it replaced (a revert right after a commit): the index it
 * replaced, kept as gitdir/ar-index.prev, is renamed back into place under
 * index.lock - no rewrite, no checksum.  The entries' stat data are then
 * the old ones, so git and ar re-hash those files once.  0 with the
 * restored file's checksum in sum; AR_IX_FALLBACK when anything differs
 * (the index was written since, another process touched the file, other
 * paths); negative (ar_error_set) when the lock is held.
 */
int ar_ix_restore(ar_ix_cache **cache, const char *gitdir,
                  const struct ar_ix_change *ch, size_t n,
                  unsigned char sum[AR_IX_OID]);

#endif
