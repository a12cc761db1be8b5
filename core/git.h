/*
 * git.h - every git operation `ar` performs.  git.c and git_status.c are
 * the only files that use libgit2; nothing in `ar` shells out to `git`.
 *
 * Object ids cross this API as 40-character hex strings (char[AR_OID_HEX]).
 */
#ifndef AR_GIT_H
#define AR_GIT_H

#include "util.h"

#define AR_OID_HEX 41 /* 40 hex digits + NUL */

typedef struct ar_repo ar_repo;

/* Global libgit2 init/shutdown; reference counted. */
int ar_git_init(void);
void ar_git_shutdown(void);

/*
 * Open the repository containing `path` (discovering upwards).
 * AR_ENOREPO when there is none; bare repositories are refused (AR_EUSAGE).
 * *out belongs to the caller: ar_repo_free().
 */
int ar_repo_open(ar_repo **out, const char *path);
void ar_repo_free(ar_repo *repo);
/* Absolute work tree path, no trailing slash.  Borrowed. */
const char *ar_repo_root(const ar_repo *repo);
/* Absolute path of the .git directory, no trailing slash.  Borrowed. */
const char *ar_repo_gitdir(const ar_repo *repo);

/* Short name of the checked-out branch ("main").  AR_EDETACHED if detached;
 * on an unborn branch (no commits), AR_ENOTFOUND. *out is the caller's. */
int ar_repo_current_branch(ar_repo *repo, char **out);
/* 1 when refs/heads/<name> exists, 0 when not, negative on error. */
int ar_repo_branch_exists(ar_repo *repo, const char *name);
/* Create refs/heads/<name> at HEAD's commit and check it out. */
int ar_repo_branch_create(ar_repo *repo, const char *name);
/* Switch HEAD to an existing branch (safe checkout: refuses to overwrite
 * local changes to tracked files). */
int ar_repo_branch_checkout(ar_repo *repo, const char *name);

/* HEAD's commit id.  AR_ENOTFOUND on an unborn branch. */
int ar_repo_head(ar_repo *repo, char out[AR_OID_HEX]);
/* Resolve any ref or revision ("refs/autoresearch/x/3", "HEAD~1"). */
int ar_repo_resolve(ar_repo *repo, const char *spec, char out[AR_OID_HEX]);
/* Create or overwrite a ref pointing at oid (with a reflog message). */
int ar_repo_ref_set(ar_repo *repo, const char *refname, const char *oid,
                    const char *log_message);
/* 1 when `ancestor` is `oid` or an ancestor of it. */
int ar_repo_is_ancestor(ar_repo *repo, const char *ancestor, const char *oid);

/*
 * Paths of tracked files whose work tree or index content differs from HEAD
 * (staged or not).  Untracked and ignored files are not listed.
 */
int ar_repo_dirty_tracked(ar_repo *repo, ar_strvec *out);
/*
 * Every path that differs from HEAD in the work tree: modified, deleted, and
 * untracked-but-not-ignored files.  Uses the index's stat cache.
 */
int ar_repo_changed_paths(ar_repo *repo, ar_strvec *out);
/*
 * Whether ar_repo_changed_paths asks the work tree watcher (core/watch.h)
 * which directories changed instead of lstat()-ing every tracked file,
 * starting it when none runs: AR_REPO_WATCH_AUTO does when the index has
 * AR_REPO_WATCH_AUTO_FILES entries or more.  Off until set.
 */
enum { AR_REPO_WATCH_OFF, AR_REPO_WATCH_ON, AR_REPO_WATCH_AUTO };
#define AR_REPO_WATCH_AUTO_FILES 10000
void ar_repo_set_watch(ar_repo *repo, int mode);
/* How the last fast status was taken: 'w' from the watcher's answer, 'f'
 * by looking at every file, 0 by libgit2 (or none yet). */
int ar_repo_last_scan(const ar_repo *repo);

/*
 * Commit the work tree's current content of `paths` (deleted files are
 * removed) on top of HEAD, advancing the checked-out branch, and update the
 * index for those paths only.  Author/committer from git config, falling
 * back to "ar <ar@localhost>".  out_oid receives the new commit.
 */
int ar_repo_commit_paths(ar_repo *repo, const ar_strvec *paths,
                         const char *message, char out_oid[AR_OID_HEX]);

/*
 * Move the checked-out branch to `oid` and make `paths` in the index and the
 * work tree match that commit (files absent there are deleted).  Nothing
 * else in the work tree is touched.
 */
int ar_repo_reset_paths(ar_repo *repo, const char *oid, const ar_strvec *paths);
/* Make `paths` in the work tree and index match HEAD (restore). */
int ar_repo_restore_paths(ar_repo *repo, const ar_strvec *paths);

/* The content of path in commit oid: AR_ENOTFOUND when absent.
 * *out (NUL-terminated) is the caller's. */
int ar_repo_blob(ar_repo *repo, const char *oid, const char *path,
                 char **out, size_t *len);
/* Lines added and removed between two commits (whole tree diff). */
int ar_repo_diff_stat(ar_repo *repo, const char *old_oid, const char *new_oid,
                      int *added, int *removed);
/* Unified diff text between two commits; *out is the caller's. */
int ar_repo_diff_text(ar_repo *repo, const char *old_oid, const char *new_oid,
                      char **out);
/*
 * Apply the change from commit old_oid to new_oid to the work tree only,
 * on top of what is there (like `git apply`): HEAD and the index do not
 * move.  Only files matching `globs` (NULL or empty: all) are touched;
 * their paths are appended to `changed`.  When a hunk does not apply,
 * nothing is written and the message names the file.
 */
int ar_repo_apply_workdir(ar_repo *repo, const char *old_oid, const char *new_oid,
                          const ar_strvec *globs, ar_strvec *changed);
/* The first line of a commit's message; *out is the caller's. */
int ar_repo_commit_summary(ar_repo *repo, const char *oid, char **out);

/* Add lines to .git/info/exclude unless already present. */
int ar_repo_exclude_add(ar_repo *repo, const char *const *patterns, size_t n);
/* Value of a git config key ("user.name"); AR_ENOTFOUND when unset. */
int ar_repo_config_get(ar_repo *repo, const char *key, char **out);

/* The git blob id the work tree file would have (hex); a missing file gives
 * AR_ENOTFOUND. */
int ar_repo_hash_file(ar_repo *repo, const char *path, char out[AR_OID_HEX]);
/* Every file path in commit oid's tree, recursively. */
int ar_repo_tree_paths(ar_repo *repo, const char *oid, ar_strvec *out);

#endif
