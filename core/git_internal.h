/*
 * git_internal.h - what the files of the git module share: the repository
 * handle and the helpers that both core/git.c and core/git_status.c call.
 *
 * Not part of ar's API (that is core/git.h): only core/git.c and
 * core/git_status.c include it, and through it <git2.h>.
 */
#ifndef AR_GIT_INTERNAL_H
#define AR_GIT_INTERNAL_H

#include <git2.h>

#include "git.h"
#include "git_index.h"

struct ar_repo {
	git_repository *git;
	char *root;   /* work tree, no trailing slash */
	char *gitdir; /* .git directory, no trailing slash */
	ar_ix_cache *ix; /* the index as ar last read or wrote it */
	int watch;       /* AR_REPO_WATCH_*: ask the watcher for changes */
	int last_scan;   /* 'w' watched, 'f' full, 0 none or libgit2's */
};

/* Set "<context>: <libgit2 message>" for libgit2 error `gcode` and return
 * its AR_* code (git.c). */
int ar_git__fail(int gcode, const char *fmt, ...) AR_PRINTF(2, 3);

/* HEAD's commit into *out (the caller's: git_commit_free); AR_ENOTFOUND
 * on an unborn branch (git.c). */
int ar_git__head_commit(ar_repo *repo, git_commit **out);

/* Lend libgit2 a stand-in index holding the entries of paths[0..n)
 * (sorted) and every .gitattributes; 1 when lent, 0 when the real index
 * stays (git.c, "partial index"). */
int ar_git__index_lend(ar_repo *repo, const char **paths, size_t n);
/* Give the real index back after ar_git__index_lend returned `lent`. */
void ar_git__index_return(ar_repo *repo, int lent);

/* ar replaced the index (checksum old) by one (checksum now) that differs
 * in paths ch[0..n): the watched status's state follows (git_status.c). */
void ar_git__watch_note_index(ar_repo *repo, const unsigned char old[AR_IX_OID],
                              const unsigned char now[AR_IX_OID],
                              const struct ar_ix_change *ch, size_t n);

#endif
