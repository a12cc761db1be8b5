/*
 * watch.c - the work tree watcher (see watch.h): the client side of its
 * socket, starting it, and the daemon.
 */
#define _GNU_SOURCE /* struct ucred, SO_PEERCRED */
#include "watch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "proc.h"
#include "sha1.h"

#define WATCH_PROTO "ar-watch 1"
#define IO_TIMEOUT_MS 2000
#define MAX_DIRS 200000      /* more directories than this: always "full" */
#define MAX_REPLY (64u << 20)

/* ------------------------------------------------------------ the socket */

/* The abstract socket of root for this user: "\0ar-watch-<uid>-<sha1>". */
static socklen_t socket_name(const char *root, struct sockaddr_un *sa)
{
	unsigned char sum[AR_SHA1_RAWSZ];
	char hex[2 * AR_SHA1_RAWSZ + 1];
	int n;

	ar_sha1(root, strlen(root), sum);
	for (size_t i = 0; i < sizeof(sum); i++)
		snprintf(hex + 2 * i, 3, "%02x", sum[i]);
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	n = snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1, "ar-watch-%lu-%s",
	             (unsigned long)getuid(), hex);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

static void set_timeouts(int fd, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* 1 when the process at the other end of fd runs as this user. */
static int peer_is_me(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 &&
	       cr.uid == getuid();
}

/* Send request to root's daemon and read its whole reply into *out. */
static int exchange(const char *root, const char *request, ar_buf *out)
{
	struct sockaddr_un sa;
	socklen_t salen = socket_name(root, &sa);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), err = 0;
	char chunk[65536];
	ssize_t n;

	if (fd < 0)
		return ar_error_set(AR_ERROR, "watch: socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, salen) != 0) {
		err = errno == ECONNREFUSED || errno == ENOENT ?
		      ar_error_set(AR_ENOTFOUND, "no watcher runs for %s", root) :
		      ar_error_set(AR_ERROR, "watch: connecting: %s", strerror(errno));
		goto done;
	}
	if (!peer_is_me(fd)) {
		err = ar_error_set(AR_ERROR, "watch: the socket of %s belongs to "
		                   "another user; not trusting it", root);
		goto done;
	}
	set_timeouts(fd, IO_TIMEOUT_MS);
	if (ar_write_all(fd, request, strlen(request)) < 0) {
		err = ar_error_set(AR_ERROR, "watch: sending: %s", strerror(errno));
		goto done;
	}
	shutdown(fd, SHUT_WR);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0 && out->len < MAX_REPLY)
		ar_buf_add(out, chunk, (size_t)n);
	if (n < 0)
		err = ar_error_set(AR_ERROR, "watch: reading the answer: %s",
		                   strerror(errno));
done:
	close(fd);
	return err;
}

/* ------------------------------------------------------------ the client */

void ar_watch_answer_release(struct ar_watch_answer *a)
{
	ar_strvec_release(&a->dirs);
}

/* Reply: WATCH_PROTO NUL token NUL ("full" | "delta") NUL entries...,
 * every entry NUL-terminated. */
static int parse_answer(const ar_buf *b, struct ar_watch_answer *a)
{
	const char *p = b->ptr, *end = b->ptr + b->len, *f[3];
	size_t k;

	for (k = 0; k < 3 && p < end; k++) {
		f[k] = p;
		p += strnlen(p, (size_t)(end - p)) + 1;
	}
	if (k < 3 || p > end || strcmp(f[0], WATCH_PROTO) ||
	    strlen(f[1]) >= sizeof(a->token) ||
	    (strcmp(f[2], "full") && strcmp(f[2], "delta")))
		return ar_error_set(AR_ERROR, "watch: the watcher's answer is not "
		                    "one this ar understands");
	strcpy(a->token, f[1]);
	a->full = !strcmp(f[2], "full");
	while (p < end) {
		size_t n = strnlen(p, (size_t)(end - p));
		if (p + n == end || (*p != 'd' && *p != 't'))
			return ar_error_set(AR_ERROR, "watch: a torn answer");
		ar_strvec_push(&a->dirs, p);
		p += n + 1;
	}
	return 0;
}

int ar_watch_query(const char *root, const char *since, struct ar_watch_answer *a)
{
	ar_buf b = AR_BUF_INIT;
	char *req = ar_xprintf("query %s\n", since && *since ? since : "-");
	int err = exchange(root, req, &b);

	memset(a, 0, sizeof(*a));
	if (err == 0)
		err = parse_answer(&b, a);
	if (err < 0)
		ar_watch_answer_release(a);
	free(req);
	ar_buf_release(&b);
	return err;
}

int ar_watch_command(const char *root, const char *cmd, char **reply)
{
	ar_buf b = AR_BUF_INIT;
	char *req = ar_xprintf("%s\n", cmd);
	int err = exchange(root, req, &b);

	free(req);
	*reply = NULL;
	if (err == 0)
		*reply = ar_xstrndup(b.ptr ? b.ptr : "", b.len);
	ar_buf_release(&b);
	return err;
}

static char *watch_program;

void ar_watch_set_program(const char *path)
{
	free(watch_program);
	watch_program = path ? ar_xstrdup(path) : NULL;
}

int ar_watch_spawn(const char *root)
{
	const char *prog = watch_program ? watch_program : "/proc/self/exe";
	char *argv[] = { "ar", "-C", (char *)root, "watch", "run", NULL };

	return ar_proc_spawn_detached(prog, argv);
}

/* ------------------------------------------------------------ the daemon */

#define WATCH_MASK (IN_MODIFY | IN_ATTRIB | IN_CREATE | IN_DELETE | \
                    IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | \
                    IN_MOVE_SELF | IN_CLOSE_WRITE | IN_ONLYDIR | IN_DONT_FOLLOW)

struct touched {
	char *dir;         /* "" or "a/b/" (owned) */
	uint64_t seq;      /* last changed while this was the next token */
	uint64_t tree_seq; /* ... and the whole tree under it (0: never) */
};

struct watcher {
	const char *root;
	int ino, sock;
	char **bywd;       /* watch descriptor -> directory (owned) */
	size_t nwd, ndirs;
	struct touched *t; /* hashed by dir, open addressing */
	size_t tcap, tn;
	uint64_t epoch, seq;
	int broken;        /* watching is impossible: every answer is full */
	char why[160];     /* ... why, for "status" */
	int root_gone, stop;
	double last;       /* the last question */
	double started;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static void touched_clear(struct watcher *w)
{
	for (size_t i = 0; i < w->tcap; i++)
		free(w->t[i].dir);
	free(w->t);
	w->t = NULL;
	w->tcap = w->tn = 0;
}

static void touched_grow(struct watcher *w)
{
	struct touched *old = w->t;
	size_t oldcap = w->tcap;

	w->tcap = oldcap ? 2 * oldcap : 256;
	w->t = ar_xcalloc(w->tcap, sizeof(*w->t));
	w->tn = 0;
	for (size_t i = 0; i < oldcap; i++) {
		if (!old[i].dir)
			continue;
		size_t j = hash_str(old[i].dir) & (w->tcap - 1);
		while (w->t[j].dir)
			j = (j + 1) & (w->tcap - 1);
		w->t[j] = old[i];
		w->tn++;
	}
	free(old);
}

/* Something happened in dir (or, tree, under it) since the last token. */
static void touch(struct watcher *w, const char *dir, int tree)
{
	size_t j;

	if (2 * (w->tn + 1) > w->tcap)
		touched_grow(w);
	j = hash_str(dir) & (w->tcap - 1);
	while (w->t[j].dir && strcmp(w->t[j].dir, dir))
		j = (j + 1) & (w->tcap - 1);
	if (!w->t[j].dir) {
		w->t[j].dir = ar_xstrdup(dir);
		w->t[j].tree_seq = 0;
		w->tn++;
	}
	w->t[j].seq = w->seq;
	if (tree)
		w->t[j].tree_seq = w->seq;
}

/* Every earlier token becomes unknown: its holder scans everything. */
static void new_epoch(struct watcher *w)
{
	uint64_t r = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		r = (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL) ^ w->epoch;
	if (fd >= 0)
		close(fd);
	w->epoch = r ? r : 1;
	w->seq = 1;
	touched_clear(w);
}

static void set_broken(struct watcher *w, const char *fmt, const char *arg)
{
	if (!w->broken)
		snprintf(w->why, sizeof(w->why), fmt, arg);
	w->broken = 1;
}

/* Watch directory dir ("" or ending in '/') and everything under it. */
static void watch_tree(struct watcher *w, const char *dir)
{
	char *full = ar_xprintf("%s/%s", w->root, dir);
	int wd;
	DIR *d;
	struct dirent *e;

	if (w->broken)
		goto out;
	if (w->ndirs >= MAX_DIRS) {
		set_broken(w, "more than %s directories", "200000");
		goto out;
	}
	wd = inotify_add_watch(w->ino, full, WATCH_MASK);
	if (wd < 0) {
		if (errno == ENOSPC)
			set_broken(w, "the inotify watch limit is reached (raise "
			           "fs.inotify.max_user_watches)%s", "");
		goto out; /* gone already, or not a directory: nothing to watch */
	}
	if ((size_t)wd >= w->nwd) {
		size_t n = (size_t)wd * 2 + 64;
		w->bywd = ar_xrealloc(w->bywd, n * sizeof(char *));
		memset(w->bywd + w->nwd, 0, (n - w->nwd) * sizeof(char *));
		w->nwd = n;
	}
	if (!w->bywd[wd]) {
		w->ndirs++;
		w->bywd[wd] = ar_xstrdup(dir);
	} else if (strcmp(w->bywd[wd], dir)) {
		free(w->bywd[wd]); /* the same directory, now under a new name */
		w->bywd[wd] = ar_xstrdup(dir);
	}
	if (!(d = opendir(full)))
		goto out;
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		int isdir = e->d_type == DT_DIR;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    !strcmp(e->d_name, ".git"))
			continue;
		if (e->d_type == DT_UNKNOWN)
			isdir = fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			        S_ISDIR(st.st_mode);
		if (isdir) {
			char *sub = ar_xprintf("%s%s/", dir, e->d_name);
			watch_tree(w, sub);
			free(sub);
		}
	}
	closedir(d);
out:
	free(full);
}

/* Stop watching dir and everything under it (it moved away). */
static void unwatch_tree(struct watcher *w, const char *dir)
{
	size_t n = strlen(dir);

	for (size_t i = 0; i < w->nwd; i++) {
		if (w->bywd[i] && !strncmp(w->bywd[i], dir, n)) {
			inotify_rm_watch(w->ino, (int)i);
			free(w->bywd[i]);
			w->bywd[i] = NULL;
			w->ndirs--;
		}
	}
}

/* dir's parent: "a/b/" -> "a/", "a/" -> "". */
static char *parent_dir(const char *dir)
{
	size_t n = strlen(dir);

	if (n)
		n--;
	while (n && dir[n - 1] != '/')
		n--;
	return ar_xstrndup(dir, n);
}

static void on_event(struct watcher *w, const struct inotify_event *ev)
{
	const char *dir;
	char *sub;

	if (ev->mask & IN_Q_OVERFLOW) {
		new_epoch(w); /* events were lost */
		return;
	}
	if (ev->wd < 0 || (size_t)ev->wd >= w->nwd || !(dir = w->bywd[ev->wd]))
		return;
	if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
		if (!*dir)
			w->root_gone = 1;
		if (ev->mask & IN_IGNORED) {
			free(w->bywd[ev->wd]);
			w->bywd[ev->wd] = NULL;
			w->ndirs--;
		}
		return; /* the parent's watch reports the directory's fate */
	}
	touch(w, dir, 0);
	if (!ev->len || !ev->name[0])
		return;
	if (!strcmp(ev->name, ".gitignore") || !strcmp(ev->name, ".gitattributes")) {
		new_epoch(w); /* what is ignored or how files hash changed */
		return;
	}
	if (!strcmp(ev->name, ".git")) {
		/* dir becomes (or stops being) a repository of its own */
		char *up = parent_dir(dir);
		touch(w, up, 0);
		touch(w, dir, 1);
		free(up);
		return;
	}
	if (!(ev->mask & IN_ISDIR))
		return;
	sub = ar_xprintf("%s%s/", dir, ev->name);
	touch(w, sub, 1);
	if (ev->mask & IN_MOVED_FROM)
		unwatch_tree(w, sub);
	if (ev->mask & (IN_CREATE | IN_MOVED_TO))
		watch_tree(w, sub);
	free(sub);
}

/* Read every queued event (the inotify fd does not block). */
static void drain(struct watcher *w)
{
	char buf[65536] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(w->ino, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			on_event(w, ev);
			p += sizeof(*ev) + ev->len;
		}
	}
}

/* "<epoch>.<seq>" into epoch and seq; 0 when it is not a token. */
static int parse_token(const char *s, uint64_t *epoch, uint64_t *seq)
{
	char *end;

	*epoch = strtoull(s, &end, 16);
	if (end == s || *end != '.')
		return 0;
	s = end + 1;
	*seq = strtoull(s, &end, 10);
	return end != s && (*end == '\0' || *end == '\n');
}

static void answer_query(struct watcher *w, const char *since, ar_buf *out)
{
	uint64_t epoch = 0, seq = 0;
	int full = w->broken || !parse_token(since, &epoch, &seq) ||
	           epoch != w->epoch || seq >= w->seq;

	ar_buf_adds(out, WATCH_PROTO);
	ar_buf_addch(out, '\0');
	ar_buf_printf(out, "%016" PRIx64 ".%" PRIu64, w->epoch, w->seq);
	ar_buf_addch(out, '\0');
	ar_buf_adds(out, full ? "full" : "delta");
	ar_buf_addch(out, '\0');
	for (size_t i = 0; !full && i < w->tcap; i++) {
		if (!w->t[i].dir || w->t[i].seq <= seq)
			continue;
		ar_buf_addch(out, w->t[i].tree_seq > seq ? 't' : 'd');
		ar_buf_adds(out, w->t[i].dir);
		ar_buf_addch(out, '\0');
	}
	w->seq++; /* what happens from now on is after this token */
}

static void answer_status(struct watcher *w, ar_buf *out)
{
	ar_buf_printf(out, "pid %ld, watching %zu directories of %s for %.0f s",
	              (long)getpid(), w->ndirs, w->root, ar_now() - w->started);
	if (w->broken)
		ar_buf_printf(out, "; not usable: %s", w->why);
	ar_buf_addch(out, '\n');
}

static void serve_one(struct watcher *w, int fd)
{
	char req[256];
	size_t len = 0;
	ssize_t n;
	ar_buf out = AR_BUF_INIT;

	set_timeouts(fd, IO_TIMEOUT_MS);
	if (!peer_is_me(fd))
		goto done;
	while (len < sizeof(req) - 1 &&
	       (n = read(fd, req + len, sizeof(req) - 1 - len)) > 0)
		len += (size_t)n;
	req[len] = '\0';
	if (!strncmp(req, "query ", 6)) {
		w->last = ar_now(); /* only questions keep the watcher alive */
		drain(w);
		answer_query(w, req + 6, &out);
	} else if (!strcmp(req, "status\n")) {
		answer_status(w, &out);
	} else if (!strcmp(req, "stop\n")) {
		ar_buf_adds(&out, "stopping\n");
		w->stop = 1;
	}
	if (out.len)
		ar_write_all(fd, out.ptr, out.len);
done:
	ar_buf_release(&out);
	close(fd);
}

/* The file systems whose changes may come from elsewhere. */
static int is_remote_fs(const char *root)
{
	struct statfs sf;

	if (statfs(root, &sf) != 0)
		return 0;
	switch ((unsigned long)sf.f_type) {
	case 0x6969UL:     /* NFS */
	case 0x517BUL:     /* SMB */
	case 0xFF534D42UL: /* CIFS */
	case 0xFE534D42UL: /* SMB2 */
	case 0x65735546UL: /* FUSE */
	case 0x01021997UL: /* 9P */
		return 1;
	default:
		return 0;
	}
}

static void watcher_free(struct watcher *w)
{
	for (size_t i = 0; i < w->nwd; i++)
		free(w->bywd[i]);
	free(w->bywd);
	touched_clear(w);
	if (w->ino >= 0)
		close(w->ino);
	if (w->sock >= 0)
		close(w->sock);
}

static int watcher_start(struct watcher *w)
{
	struct sockaddr_un sa;
	socklen_t salen = socket_name(w->root, &sa);

	w->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (w->sock < 0)
		return ar_error_set(AR_ERROR, "watch: socket: %s", strerror(errno));
	if (bind(w->sock, (struct sockaddr *)&sa, salen) != 0)
		return errno == EADDRINUSE ? 1 :
		       ar_error_set(AR_ERROR, "watch: bind: %s", strerror(errno));
	new_epoch(w);
	w->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->ino < 0) /* answered "full" until idle, not started again */
		set_broken(w, "inotify is not available: %s", strerror(errno));
	if (is_remote_fs(w->root))
		set_broken(w, "%s is on a network file system, whose changes "
		           "from other machines inotify does not see", w->root);
	watch_tree(w, "");
	/* Listening only now: a question before the watches were all in place
	 * would get a token that promises too much. */
	if (listen(w->sock, 64) != 0)
		return ar_error_set(AR_ERROR, "watch: listen: %s", strerror(errno));
	return 0;
}

int ar_watch_serve(const char *root, double idle_seconds)
{
	struct watcher w;
	int err;

	memset(&w, 0, sizeof(w));
	w.root = root;
	w.ino = w.sock = -1;
	w.started = w.last = ar_now();
	signal(SIGPIPE, SIG_IGN);
	if (chdir("/") != 0) /* hold no directory busy */
		return ar_error_set(AR_ERROR, "watch: chdir /: %s", strerror(errno));
	if ((err = watcher_start(&w)) != 0)
		goto done;
	while (!w.stop && !w.root_gone) {
		/* A negative fd (no inotify) is skipped by poll. */
		struct pollfd p[2] = { { w.ino, POLLIN, 0 }, { w.sock, POLLIN, 0 } };
		double left = idle_seconds - (ar_now() - w.last);
		int ms = left <= 0 ? 0 : left > 60 ? 60000 : (int)(left * 1000) + 1;

		if (left <= 0)
			break;
		if (poll(p, 2, ms) < 0 && errno != EINTR) {
			err = ar_error_set(AR_ERROR, "watch: poll: %s", strerror(errno));
			break;
		}
		if (p[0].revents)
			drain(&w);
		if (p[1].revents & POLLIN) {
			int fd = accept4(w.sock, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0)
				serve_one(&w, fd);
		}
	}
done:
	watcher_free(&w);
	return err;
}
