/*
 * watch.h - the work tree watcher: a small daemon per work tree that keeps
 * inotify watches on every directory and tells `ar` which directories
 * changed since it last asked, so that a step's scope check looks at those
 * instead of lstat()-ing every tracked file (git's fsmonitor, for ar).
 *
 * The daemon is `ar watch run`, started in the background by the first
 * step that wants it (ar_watch_spawn) and gone after an idle hour, when its
 * work tree is deleted, or on `ar watch stop`.  It listens on an abstract
 * Unix socket named after the work tree and the user, and answers only its
 * own user (SO_PEERCRED), as the client trusts only a daemon of its own.
 *
 * The answer is a token to give back next time, and either "full" (the
 * token is not one of this daemon's, or events were lost: scan everything)
 * or the directories where something happened since the token - "" is the
 * root, others end in '/' - each marked 'd' (its own entries changed) or
 * 't' (the whole tree under it: created, deleted, moved or became a
 * repository).  Linux queues inotify events while the changing system call
 * runs, so everything done before the question was sent is in the answer.
 * Changes made through mmap, through a hard link from outside the tree, or
 * on another machine (network file systems: refused) are not seen.
 */
#ifndef AR_WATCH_H
#define AR_WATCH_H

#include "util.h"

#define AR_WATCH_TOKEN_MAX 64

struct ar_watch_answer {
	char token[AR_WATCH_TOKEN_MAX];
	int full;         /* scan everything */
	ar_strvec dirs;   /* "d<dir>" or "t<dir>", <dir> "" or ending in '/' */
};

/* Ask the daemon of work tree `root` what changed since `since` (NULL or
 * "": nothing known, the answer is full).  0 with *a filled (release it);
 * AR_ENOTFOUND when no daemon listens; another negative code (message set)
 * when the exchange fails. */
int ar_watch_query(const char *root, const char *since, struct ar_watch_answer *a);
void ar_watch_answer_release(struct ar_watch_answer *a);

/* Start `<program> -C root watch run` detached (its own session, no
 * terminal, not a child of this process).  The program is `ar`: this
 * process's own executable unless ar_watch_set_program named another. */
int ar_watch_spawn(const char *root);
void ar_watch_set_program(const char *path);

/* "stop" or "status" to the daemon of root: 0 with its one-line reply in
 * *reply (malloc'd), AR_ENOTFOUND when none listens. */
int ar_watch_command(const char *root, const char *cmd, char **reply);

/* The daemon itself, in the foreground: watches root until idle_seconds
 * pass without a question, the root goes away, or "stop" comes.  0, or a
 * negative code (message set) when it cannot start; 1 when another daemon
 * already watches root. */
int ar_watch_serve(const char *root, double idle_seconds);

#endif
