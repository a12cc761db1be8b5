/*
 * proc.c - the one place `ar` runs child processes (see proc.h).
 *
 * A run:
 *   - the parent opens the log (and tee) file, builds the child's
 *     environment and makes the pipes: output, stdin, and an exec-error
 *     pipe that tells the parent why the child could not start;
 *   - the child resets its signals, makes its own process group, wires the
 *     pipes to fds 0/1/2, closes every other fd and execs /bin/sh -c;
 *   - the parent loops on poll(): it streams the output through a fixed
 *     64 KiB buffer into the sink (files or memory), feeds stdin without
 *     blocking, reaps, and every sample interval walks /proc for the tree
 *     (every process descending from `ar`, which as the child subreaper
 *     inherits orphans), sums its RSS and calls the sample callback;
 *   - when the main child exits, times out or is interrupted, whatever is
 *     left of the tree gets SIGTERM (and SIGCONT), a grace period, then
 *     SIGKILL until nothing is left.
 *
 * The parent reaps with wait4(-1): during a run every child of `ar` belongs
 * to the run (nothing else in `ar` starts processes, but for the detached
 * daemons of ar_proc_spawn_detached, which leave ar's tree at once).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "proc.h"
#include "util.h"

extern char **environ;

/* Set once ar_proc_setup made us the child subreaper. */
static int proc_subreaper;

#define PROC_BUF_SIZE (64 * 1024)
#define PROC_DEFAULT_GRACE 2.0    /* seconds from SIGTERM to SIGKILL */
#define PROC_DEFAULT_INTERVAL 0.1 /* seconds between samples */
#define PROC_MIN_INTERVAL 0.01    /* never scan /proc more often */
#define PROC_TICK 0.02            /* polling step while the tree dies */
#define PROC_KILL_ROUNDS 10       /* SIGKILL rounds before giving up */
#define PROC_KILL_WAIT 0.5        /* seconds to wait after each round */
#define PROC_SETTLE_WAIT 0.5      /* seconds to wait for zombies to go */
#define PROC_DRAIN_READS 1024     /* final reads of the output pipe */

/* Where the child's output goes: up to two files, or memory. */
struct proc_sink {
	int fd[2];            /* log, tee (owned); -1 when unused */
	int dead[2];          /* a write failed: stop writing there */
	const char *path[2];  /* borrowed from the options */
	int err;              /* errno of the first failed write, or 0 */
	const char *err_path; /* borrowed: the file that failed */
	ar_buf *mem;          /* capture: the caller's buffer, or NULL */
	size_t max;           /* capture: at most this many bytes kept */
};
#define PROC_SINK_INIT { { -1, -1 }, { 0, 0 }, { NULL, NULL }, 0, NULL, NULL, 0 }

/* One line of /proc/<pid>/stat, as much as we need. */
struct proc_stat {
	int pid, ppid, pgrp;
	char state;
	int in_tree; /* 0: not known yet, 1: ours, 2: not ours */
};

/* The tree as of the last scan of /proc. */
struct proc_tree {
	struct proc_stat *all; /* scratch: every process on the machine */
	size_t nall, capall;
	int *pids;             /* live (non-zombie) members */
	size_t npids, cappids;
	size_t nzombies;       /* dead members not reaped yet */
	int group_alive;       /* a live member is in the run's group */
	uint64_t rss;          /* summed resident memory of the live ones */
};

/* The parent's view of one run; everything here is owned by it. */
struct proc_run {
	pid_t child;          /* the main child, also its process group */
	int child_done;       /* reaped; status is valid */
	int status;
	int pidfd;            /* readable when the child exits, or -1 */
	int out_fd;           /* read end of the output pipe, -1 at EOF */
	int in_fd;            /* write end of the stdin pipe, -1 when done */
	const char *in_data;  /* borrowed from the options */
	size_t in_len, in_off;
	struct proc_sink *sink;
	char *buf;            /* PROC_BUF_SIZE bytes */
	struct proc_tree tree;
	uint64_t peak_rss;
	double start, end;    /* monotonic; end = when the child was reaped */
};

/* What the child needs, prepared by the parent (the child only calls
 * async-signal-safe functions). */
struct proc_child_args {
	const char *cwd;
	char *argv[4];
	char **envp;
	int in_fd, out_fd, err_fd;
	int max_fd;
};

/* What the child reports through the exec-error pipe. */
struct proc_child_err {
	int stage; /* 0: setting up fds, 1: chdir, 2: exec */
	int err;
};

int ar_proc_setup(void)
{
	struct sigaction sa;

	/* A child closing its stdin must not kill us: writes get EPIPE. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGPIPE, &sa, NULL) < 0)
		return ar_error_set(AR_ERROR, "cannot ignore SIGPIPE: %s", strerror(errno));
#ifdef __linux__
	if (prctl(PR_SET_CHILD_SUBREAPER, 1UL, 0UL, 0UL, 0UL) < 0)
		return ar_error_set(AR_ERROR,
		                    "cannot become the child subreaper "
		                    "(prctl PR_SET_CHILD_SUBREAPER): %s",
		                    strerror(errno));
	proc_subreaper = 1;
#endif
	return 0;
}

/* ---- the sink ---------------------------------------------------------- */

static int sink_open(struct proc_sink *s, int i, const char *path)
{
	int fd, fl;

	/* O_NONBLOCK only for the open: a FIFO with no reader fails (ENXIO)
	 * instead of hanging. */
	do
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY |
		                O_NONBLOCK, 0644);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return ar_error_set(AR_ERROR, "cannot open log file %s: %s", path,
		                    strerror(errno));
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	s->fd[i] = fd;
	s->path[i] = path;
	return 0;
}

static void sink_fail(struct proc_sink *s, int i, int err)
{
	s->dead[i] = 1;
	if (!s->err) {
		s->err = err;
		s->err_path = s->path[i];
	}
}

static void sink_write(struct proc_sink *s, const char *data, size_t len)
{
	for (int i = 0; i < 2; i++) {
		const char *p = data;
		size_t left = len;

		while (s->fd[i] >= 0 && !s->dead[i] && left) {
			ssize_t n = write(s->fd[i], p, left);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				sink_fail(s, i, n < 0 ? errno : EIO);
				break;
			}
			p += n;
			left -= (size_t)n;
		}
	}
	if (s->mem && s->mem->len < s->max) {
		size_t room = s->max - s->mem->len;
		ar_buf_add(s->mem, data, len < room ? len : room);
	}
}

/* Close the files; a close that fails (NFS, quota) counts as a write error. */
static void sink_close(struct proc_sink *s)
{
	for (int i = 0; i < 2; i++) {
		if (s->fd[i] >= 0 && close(s->fd[i]) < 0 && errno != EINTR && !s->dead[i])
			sink_fail(s, i, errno);
		s->fd[i] = -1;
	}
}

static int sink_error(const struct proc_sink *s)
{
	int code = s->err == ENOSPC || s->err == EDQUOT ? AR_ENOSPACE : AR_ERROR;
	return ar_error_set(code, "writing %s: %s", s->err_path, strerror(s->err));
}

/* ---- the child --------------------------------------------------------- */

static void close_from(int lowfd, int max_fd)
{
#if defined(__linux__) && defined(SYS_close_range)
	if (syscall(SYS_close_range, (unsigned int)lowfd, ~0U, 0U) == 0)
		return;
#endif
	for (int fd = lowfd; fd < max_fd; fd++)
		close(fd);
}

static void child_fail(int err_fd, int stage)
{
	struct proc_child_err e;

	e.stage = stage;
	e.err = errno;
	if (write(err_fd, &e, sizeof(e)) < 0) {
		/* nothing more we can do */
	}
	_exit(127);
}

/* Runs between fork and exec: async-signal-safe calls only. */
static void proc_child(const struct proc_child_args *a)
{
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setpgid(0, 0);
	/* The parent put every fd here above 2, so these cannot clobber. */
	if (dup2(a->in_fd, 0) < 0 || dup2(a->out_fd, 1) < 0 ||
	    dup2(a->out_fd, 2) < 0 || dup2(a->err_fd, 3) < 0 ||
	    fcntl(3, F_SETFD, FD_CLOEXEC) < 0)
		child_fail(a->err_fd, 0);
	close_from(4, a->max_fd);
	if (a->cwd && chdir(a->cwd) < 0)
		child_fail(3, 1);
	execve("/bin/sh", a->argv, a->envp);
	child_fail(3, 2);
}

/* ---- starting ---------------------------------------------------------- */

/* 1 when the NAME parts of "NAME=..." entries a and b are equal. */
static int env_key_eq(const char *a, const char *b)
{
	size_t ka = strcspn(a, "="), kb = strcspn(b, "=");
	return ka == kb && !memcmp(a, b, ka);
}

static int env_overridden(const char *const *extra, const char *entry)
{
	for (; *extra; extra++)
		if (env_key_eq(*extra, entry))
			return 1;
	return 0;
}

/* The child's environment: ours, with extra's entries replacing or added
 * (the last of duplicates wins).  *envp points into v or at environ. */
static int proc_env(const char *const *extra, ar_strvec *v, char ***envp)
{
	static char *empty[] = { NULL };

	*envp = environ;
	if (!extra)
		return 0;
	for (const char *const *e = extra; *e; e++) {
		const char *eq = strchr(*e, '=');
		if (!eq || eq == *e)
			return ar_error_set(AR_EUSAGE,
			                    "environment entry \"%s\" is not NAME=VALUE", *e);
	}
	for (char **e = environ; e && *e; e++)
		if (!env_overridden(extra, *e))
			ar_strvec_push(v, *e);
	for (const char *const *e = extra; *e; e++)
		if (!env_overridden(e + 1, *e))
			ar_strvec_push(v, *e);
	*envp = v->items ? v->items : empty;
	return 0;
}

/* Move fd above 2 (keeping FD_CLOEXEC) so the child's dup2 cannot clobber. */
static int fd_high(int fd)
{
	int nfd;

	if (fd < 0 || fd > 2)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return nfd;
}

static void fd_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void fd_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int proc_pidfd(pid_t pid)
{
#if defined(__linux__) && defined(SYS_pidfd_open)
	long fd = syscall(SYS_pidfd_open, pid, 0U);
	if (fd >= 0)
		return (int)fd; /* pidfd_open sets FD_CLOEXEC */
#else
	(void)pid;
#endif
	return -1;
}

/* pipe2(O_CLOEXEC) is not in POSIX.1-2008; nothing else in ar forks
 * concurrently, so setting the flag afterwards is not racy. */
static int pipe_cloexec(int p[2])
{
	if (pipe(p) < 0)
		return -1;
	fcntl(p[0], F_SETFD, FD_CLOEXEC);
	fcntl(p[1], F_SETFD, FD_CLOEXEC);
	return 0;
}

/* Make the pipes: p[0..1] output, p[2..3] stdin (or /dev/null in p[2]),
 * p[4..5] exec errors.  The child's ends are moved above 2. */
static int proc_pipes(int p[6], int want_stdin)
{
	if (pipe_cloexec(p) < 0 || pipe_cloexec(p + 4) < 0)
		return ar_error_set(AR_ERROR, "cannot create a pipe: %s", strerror(errno));
	if (want_stdin && pipe_cloexec(p + 2) < 0)
		return ar_error_set(AR_ERROR, "cannot create a pipe: %s", strerror(errno));
	if (!want_stdin && (p[2] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
		return ar_error_set(AR_ERROR, "cannot open /dev/null: %s", strerror(errno));
	p[1] = fd_high(p[1]);
	p[2] = fd_high(p[2]);
	p[5] = fd_high(p[5]);
	if (p[1] < 0 || p[2] < 0 || p[5] < 0)
		return ar_error_set(AR_ERROR, "cannot duplicate a pipe: %s", strerror(errno));
	fd_nonblock(p[0]);
	if (p[3] >= 0)
		fd_nonblock(p[3]);
	return 0;
}

/* Wait for the exec-error pipe: EOF means exec succeeded.  A failure is
 * written to the log, as the child's own output would have been. */
static void proc_exec_report(struct proc_run *r, int fd, const char *cwd)
{
	static const char *what[] = { "cannot set up the child's files",
	                              "cannot change to directory",
	                              "cannot execute /bin/sh" };
	struct proc_child_err e;
	ssize_t n;
	char *msg;

	do
		n = read(fd, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(e) || e.stage < 0 || e.stage > 2)
		return;
	msg = ar_xprintf("ar: %s%s%s: %s\n", what[e.stage], e.stage == 1 ? " " : "",
	                 e.stage == 1 ? cwd : "", strerror(e.err));
	sink_write(r->sink, msg, strlen(msg));
	free(msg);
}

static int proc_spawn(struct proc_run *r, const struct ar_proc_opts *opts, char **envp)
{
	int p[6] = { -1, -1, -1, -1, -1, -1 };
	struct proc_child_args a;
	sigset_t all, old;
	long max_fd = sysconf(_SC_OPEN_MAX);
	int err, fork_errno;
	pid_t pid;

	if ((err = proc_pipes(p, opts->stdin_data != NULL)) < 0)
		goto done;
	a.cwd = opts->cwd;
	a.argv[0] = "sh";
	a.argv[1] = "-c";
	a.argv[2] = (char *)opts->command;
	a.argv[3] = NULL;
	a.envp = envp;
	a.in_fd = p[2];
	a.out_fd = p[1];
	a.err_fd = p[5];
	a.max_fd = max_fd < 0 || max_fd > 65536 ? 65536 : (int)max_fd;
	/* No handler of ours may run in the child before it resets them. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0)
		proc_child(&a);
	fork_errno = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		err = ar_error_set(AR_ERROR, "cannot start `%s`: fork: %s", opts->command,
		                   strerror(fork_errno));
		goto done;
	}
	setpgid(pid, pid); /* also here: no race with our first kill */
	r->child = pid;
	r->pidfd = proc_pidfd(pid);
	fd_close(&p[5]);
	proc_exec_report(r, p[4], opts->cwd);
	r->out_fd = p[0];
	p[0] = -1;
	if (opts->stdin_data && r->in_len) {
		r->in_fd = p[3];
		p[3] = -1;
	}
done:
	for (int i = 0; i < 6; i++)
		fd_close(&p[i]);
	return err;
}

/* ---- watching ---------------------------------------------------------- */

/* Read a small file whole into buf (NUL-terminated); -1 when unreadable. */
static ssize_t read_small(const char *path, char *buf, size_t cap)
{
	ssize_t n;
	int fd;

	do
		fd = open(path, O_RDONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -1;
	do
		n = read(fd, buf, cap - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* "pid (comm) S ppid pgrp ...": comm may hold spaces and parentheses. */
static int parse_stat(const char *text, struct proc_stat *st)
{
	const char *rp = strrchr(text, ')');

	if (!rp || sscanf(rp + 1, " %c %d %d", &st->state, &st->ppid, &st->pgrp) != 3)
		return -1;
	st->in_tree = 0;
	return 0;
}

static void tree_read_all(struct proc_tree *t, DIR *d)
{
	struct dirent *de;
	char path[64], text[1024];

	t->nall = 0;
	while ((de = readdir(d))) {
		struct proc_stat st;
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0 || pid > 0x7fffffffL)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		if (read_small(path, text, sizeof(text)) < 0 || parse_stat(text, &st) < 0)
			continue; /* gone meanwhile */
		st.pid = (int)pid;
		if (t->nall == t->capall) {
			t->capall = t->capall ? 2 * t->capall : 256;
			t->all = ar_xrealloc(t->all, t->capall * sizeof(*t->all));
		}
		t->all[t->nall++] = st;
	}
}

static int stat_cmp(const void *a, const void *b)
{
	int x = ((const struct proc_stat *)a)->pid, y = ((const struct proc_stat *)b)->pid;
	return (x > y) - (x < y);
}

static struct proc_stat *tree_find(struct proc_tree *t, int pid)
{
	struct proc_stat key;

	key.pid = pid;
	return bsearch(&key, t->all, t->nall, sizeof(*t->all), stat_cmp);
}

/* Mark (in_tree = 1) every process whose parent chain leads to self; the
 * others get 2.  Each chain is walked once; the snapshot may be
 * inconsistent (processes come and go), hence the depth limit. */
static void tree_mark(struct proc_tree *t, int self)
{
	qsort(t->all, t->nall, sizeof(*t->all), stat_cmp);
	for (size_t i = 0; i < t->nall; i++) {
		struct proc_stat *p = &t->all[i];
		int verdict = 2;

		for (int depth = 0; p && depth < 4096; depth++) {
			if (p->in_tree || p->ppid == self) {
				verdict = p->in_tree ? p->in_tree : 1;
				break;
			}
			p = tree_find(t, p->ppid);
		}
		for (p = &t->all[i]; p && !p->in_tree; p = tree_find(t, p->ppid)) {
			p->in_tree = verdict;
			if (p->ppid == self)
				break;
		}
	}
}

static uint64_t pid_rss(int pid)
{
	char path[64], text[256];
	unsigned long long size, resident;
	long page = sysconf(_SC_PAGESIZE);

	snprintf(path, sizeof(path), "/proc/%d/statm", pid);
	if (read_small(path, text, sizeof(text)) < 0 ||
	    sscanf(text, "%llu %llu", &size, &resident) != 2)
		return 0;
	return (uint64_t)resident * (uint64_t)(page > 0 ? page : 4096);
}

static void tree_push(struct proc_tree *t, int pid)
{
	if (t->npids == t->cappids) {
		t->cappids = t->cappids ? 2 * t->cappids : 16;
		t->pids = ar_xrealloc(t->pids, t->cappids * sizeof(*t->pids));
	}
	t->pids[t->npids++] = pid;
}

/* Rebuild r->tree from /proc.  Without /proc, the tree is the main child. */
static void proc_scan(struct proc_run *r)
{
	struct proc_tree *t = &r->tree;
	DIR *d = opendir("/proc");

	t->npids = t->nzombies = 0;
	t->group_alive = 0;
	t->rss = 0;
	if (!d) {
		if (!r->child_done) {
			tree_push(t, (int)r->child);
			t->group_alive = 1;
		}
		return;
	}
	tree_read_all(t, d);
	closedir(d);
	tree_mark(t, (int)getpid());
	for (size_t i = 0; i < t->nall; i++) {
		const struct proc_stat *st = &t->all[i];
		if (st->in_tree != 1)
			continue;
		if (st->state == 'Z' || st->state == 'X') {
			t->nzombies++;
			continue;
		}
		tree_push(t, st->pid);
		t->group_alive |= st->pgrp == (int)r->child;
		t->rss += pid_rss(st->pid);
	}
}

/* Reap every child that has exited; only the main child's status counts. */
static void proc_reap(struct proc_run *r)
{
	for (;;) {
		struct rusage ru;
		int st;
		pid_t pid = wait4(-1, &st, WNOHANG, &ru);

		if (pid < 0 && errno == EINTR)
			continue;
		if (pid <= 0)
			return;
		if ((uint64_t)ru.ru_maxrss * 1024 > r->peak_rss)
			r->peak_rss = (uint64_t)ru.ru_maxrss * 1024;
		if (pid == r->child) {
			r->child_done = 1;
			r->status = st;
			r->end = ar_now();
			fd_close(&r->pidfd);
		}
	}
}

static void proc_read(struct proc_run *r)
{
	ssize_t n = read(r->out_fd, r->buf, PROC_BUF_SIZE);

	if (n > 0)
		sink_write(r->sink, r->buf, (size_t)n);
	else if (n == 0 || (errno != EINTR && errno != EAGAIN))
		fd_close(&r->out_fd);
}

static void proc_feed(struct proc_run *r)
{
	ssize_t n = write(r->in_fd, r->in_data + r->in_off, r->in_len - r->in_off);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n > 0)
		r->in_off += (size_t)n;
	/* Done, or the child closed its stdin (EPIPE): either way, stop. */
	if (n <= 0 || r->in_off == r->in_len)
		fd_close(&r->in_fd);
}

/* Wait up to timeout_s for output, room on stdin or the child's exit;
 * handle whatever came, then reap. */
static void proc_pump(struct proc_run *r, double timeout_s)
{
	struct pollfd pf[3];
	nfds_t n = 0;
	int io = -1, ii = -1, ms;

	if (r->out_fd >= 0) {
		io = (int)n;
		pf[n++] = (struct pollfd){ r->out_fd, POLLIN, 0 };
	}
	if (r->in_fd >= 0) {
		ii = (int)n;
		pf[n++] = (struct pollfd){ r->in_fd, POLLOUT, 0 };
	}
	if (r->pidfd >= 0)
		pf[n++] = (struct pollfd){ r->pidfd, POLLIN, 0 };
	timeout_s = timeout_s < 0 ? 0 : timeout_s > 60 ? 60 : timeout_s;
	ms = (int)(timeout_s * 1000.0 + 0.999);
	if (poll(pf, n, ms) > 0) {
		if (io >= 0 && pf[io].revents)
			proc_read(r);
		if (ii >= 0 && pf[ii].revents)
			proc_feed(r);
	}
	proc_reap(r);
}

static void proc_sample(struct proc_run *r, const struct ar_proc_opts *opts)
{
	proc_scan(r);
	if (r->tree.rss > r->peak_rss)
		r->peak_rss = r->tree.rss;
	if (opts->sample && r->tree.npids)
		opts->sample(r->tree.pids, r->tree.npids, opts->payload);
}

/* Run until the main child exits, the deadline passes or we are told to
 * stop; sample the tree on the way. */
static void proc_loop(struct proc_run *r, const struct ar_proc_opts *opts,
                      struct ar_proc_result *out)
{
	double interval = opts->sample_interval_s > 0 ? opts->sample_interval_s
	                                              : PROC_DEFAULT_INTERVAL;
	int has_deadline = opts->timeout_s > 0;
	double deadline = r->start + (has_deadline ? opts->timeout_s : 0);
	double next, now, wait;

	if (interval < PROC_MIN_INTERVAL)
		interval = PROC_MIN_INTERVAL;
	next = r->start + interval;
	while (!r->child_done) {
		now = ar_now();
		if (opts->interrupt && *opts->interrupt) {
			out->interrupted = 1;
			return;
		}
		if (has_deadline && now >= deadline) {
			out->timed_out = 1;
			return;
		}
		if (now >= next) {
			proc_sample(r, opts);
			next = now + interval;
			continue;
		}
		wait = next - now;
		if (has_deadline && deadline - now < wait)
			wait = deadline - now;
		proc_pump(r, wait);
	}
}

/* ---- stopping ---------------------------------------------------------- */

static void proc_signal(struct proc_run *r, int sig)
{
	/* The group catches what was forked since the scan; the pids catch
	 * members that left the group (setsid). */
	if (r->tree.group_alive)
		kill(-r->child, sig);
	for (size_t i = 0; i < r->tree.npids; i++)
		kill(r->tree.pids[i], sig);
}

/* Keep pumping until no live member is left or limit_s passes; 1 when the
 * tree is empty. */
static int proc_wait_tree(struct proc_run *r, double limit_s)
{
	double now = ar_now(), until = now + limit_s, next = now;

	for (;;) {
		now = ar_now();
		if (now >= next) {
			proc_scan(r);
			if (!r->tree.npids)
				return 1;
			next = now + PROC_TICK;
		}
		if (now >= until)
			return 0;
		proc_pump(r, (next < until ? next : until) - now);
	}
}

/*
 * 1 when `ar` has no child at all, live or zombie.  As the subreaper, every
 * live descendant of a run is a child of ours or below one, so then the tree
 * is empty - the common end of a run, known without reading /proc.
 */
static int proc_childless(void)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	return proc_subreaper &&
	       waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 &&
	       errno == ECHILD;
}

/* SIGTERM, grace, then SIGKILL until the tree is gone; then reap. */
static void proc_terminate(struct proc_run *r, double grace)
{
	if (r->child_done && proc_childless())
		return;
	proc_scan(r);
	if (r->tree.npids) {
		proc_signal(r, SIGTERM);
		proc_signal(r, SIGCONT); /* a stopped process must see it */
		if (!proc_wait_tree(r, grace)) {
			for (int i = 0; i < PROC_KILL_ROUNDS; i++) {
				proc_signal(r, SIGKILL);
				if (proc_wait_tree(r, PROC_KILL_WAIT))
					break;
			}
		}
	}
	/* The dead reparent to us as zombies: reap them. */
	for (double until = ar_now() + PROC_SETTLE_WAIT;;) {
		proc_reap(r);
		proc_scan(r);
		if (!r->tree.nzombies || ar_now() >= until)
			break;
		proc_pump(r, PROC_TICK);
	}
}

/* Read what is left in the output pipe, without waiting for writers. */
static void proc_drain(struct proc_run *r)
{
	for (int i = 0; r->out_fd >= 0 && i < PROC_DRAIN_READS; i++) {
		ssize_t n = read(r->out_fd, r->buf, PROC_BUF_SIZE);
		if (n > 0)
			sink_write(r->sink, r->buf, (size_t)n);
		else if (n < 0 && errno == EINTR)
			continue;
		else
			break;
	}
}

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void proc_result(const struct proc_run *r, const struct rusage *before,
                        struct ar_proc_result *out)
{
	struct rusage after;

	out->exit_status = -1;
	out->term_signal = 0;
	if (r->child_done && WIFEXITED(r->status))
		out->exit_status = WEXITSTATUS(r->status);
	else if (r->child_done && WIFSIGNALED(r->status))
		out->term_signal = WTERMSIG(r->status);
	out->wall_s = (r->child_done ? r->end : ar_now()) - r->start;
	out->cpu_s = 0;
	if (getrusage(RUSAGE_CHILDREN, &after) == 0)
		out->cpu_s = tv_s(after.ru_utime) + tv_s(after.ru_stime) -
		             tv_s(before->ru_utime) - tv_s(before->ru_stime);
	if (out->cpu_s < 0)
		out->cpu_s = 0;
	out->peak_rss_bytes = r->peak_rss;
	out->survivors = (int)r->tree.npids;
}

/* ---- the runs ---------------------------------------------------------- */

static int proc_check(const struct ar_proc_opts *opts)
{
	struct stat st;

	if (!opts || opts->version != AR_PROC_OPTS_VERSION)
		return ar_error_set(AR_EUSAGE, "ar_proc_opts: version %u, expected %u",
		                    opts ? opts->version : 0u, AR_PROC_OPTS_VERSION);
	if (!opts->command)
		return ar_error_set(AR_EUSAGE, "no command to run");
	if (opts->cwd && stat(opts->cwd, &st) < 0)
		return ar_error_set(AR_ERROR, "cannot run `%s` in %s: %s", opts->command,
		                    opts->cwd, strerror(errno));
	if (opts->cwd && !S_ISDIR(st.st_mode))
		return ar_error_set(AR_ERROR, "cannot run `%s` in %s: %s", opts->command,
		                    opts->cwd, strerror(ENOTDIR));
	return 0;
}

static void proc_run_release(struct proc_run *r)
{
	fd_close(&r->pidfd);
	fd_close(&r->out_fd);
	fd_close(&r->in_fd);
	free(r->buf);
	free(r->tree.all);
	free(r->tree.pids);
}

/* Start opts->command with its output going to sink, see it through to the
 * end and fill *out.  Write errors are left in the sink for the caller. */
static int proc_exec(const struct ar_proc_opts *opts, struct proc_sink *sink,
                     struct ar_proc_result *out)
{
	struct proc_run r;
	ar_strvec env = AR_STRVEC_INIT;
	struct rusage before;
	char **envp;
	int err;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	r.pidfd = r.out_fd = r.in_fd = -1;
	r.sink = sink;
	r.in_data = opts->stdin_data;
	r.in_len = opts->stdin_data ? strlen(opts->stdin_data) : 0;
	if ((err = proc_env(opts->env, &env, &envp)) < 0)
		goto done;
	r.buf = ar_xmalloc(PROC_BUF_SIZE);
	memset(&before, 0, sizeof(before));
	getrusage(RUSAGE_CHILDREN, &before);
	r.start = ar_now();
	if ((err = proc_spawn(&r, opts, envp)) < 0)
		goto done;
	proc_loop(&r, opts, out);
	fd_close(&r.in_fd);
	proc_terminate(&r, opts->grace_s > 0 ? opts->grace_s : PROC_DEFAULT_GRACE);
	proc_drain(&r);
	proc_result(&r, &before, out);
done:
	proc_run_release(&r);
	ar_strvec_release(&env);
	return err;
}

int ar_proc_run(const struct ar_proc_opts *opts, struct ar_proc_result *out)
{
	struct proc_sink sink = PROC_SINK_INIT;
	struct ar_proc_result local;
	int err;

	if ((err = proc_check(opts)) < 0)
		return err;
	if (opts->log_path && (err = sink_open(&sink, 0, opts->log_path)) < 0)
		goto done;
	if (opts->tee_path && (err = sink_open(&sink, 1, opts->tee_path)) < 0)
		goto done;
	err = proc_exec(opts, &sink, out ? out : &local);
done:
	sink_close(&sink);
	if (!err && sink.err)
		err = sink_error(&sink);
	return err;
}

int ar_proc_capture(const char *command, const char *cwd, double timeout_s,
                    size_t max_bytes, char **out, size_t *len,
                    struct ar_proc_result *res)
{
	struct ar_proc_opts opts = AR_PROC_OPTS_INIT;
	struct proc_sink sink = PROC_SINK_INIT;
	struct ar_proc_result local;
	ar_buf buf = AR_BUF_INIT;
	int err;

	if (!out)
		return ar_error_set(AR_EUSAGE, "ar_proc_capture: no place for the output");
	*out = NULL;
	if (len)
		*len = 0;
	opts.command = command;
	opts.cwd = cwd;
	opts.timeout_s = timeout_s;
	sink.mem = &buf;
	sink.max = max_bytes;
	if ((err = proc_check(&opts)) < 0 ||
	    (err = proc_exec(&opts, &sink, res ? res : &local)) < 0) {
		ar_buf_release(&buf);
		return err;
	}
	if (len)
		*len = buf.len;
	*out = ar_buf_detach(&buf);
	return 0;
}

/* ---- detached --------------------------------------------------------- */

int ar_proc_spawn_detached(const char *path, char *const argv[])
{
	int status = 0, err = 0;
	pid_t pid;

#ifdef __linux__
	if (proc_subreaper)
		prctl(PR_SET_CHILD_SUBREAPER, 0UL, 0UL, 0UL, 0UL);
#endif
	/* Between fork and exec only async-signal-safe calls. */
	pid = fork();
	if (pid < 0)
		err = ar_error_set(AR_ERROR, "fork: %s", strerror(errno));
	if (pid == 0) {
		int fd;
		setsid();
		if (fork() != 0)
			_exit(0);
		fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(path, argv);
		_exit(127);
	}
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
#ifdef __linux__
	if (proc_subreaper)
		prctl(PR_SET_CHILD_SUBREAPER, 1UL, 0UL, 0UL, 0UL);
#endif
	return err;
}
