/*
 * test_proc.c - the process runner, against real child processes.
 *
 * Every run gets a unique marker in its environment (AR_PROC_TEST_MARK),
 * inherited by everything it starts, so a scan of /proc/<pid>/environ and
 * cmdline tells whether any process of the run outlived it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "proc.h"
#include "testutil.h"
#include "util.h"

struct fx {
	char *dir;
	char *log;
	char *tee;
	char *mark;     /* unique per test */
	char *mark_env; /* "AR_PROC_TEST_MARK=<mark>" */
	const char *env[2];
};

static int counter;

static int fx_setup(void **state)
{
	struct fx *f = ar_xcalloc(1, sizeof(*f));

	f->dir = tu_tmpdir();
	f->log = ar_path_join(f->dir, "out.log");
	f->tee = ar_path_join(f->dir, "tee.log");
	f->mark = ar_xprintf("arprocmark%ldx%dend", (long)getpid(), ++counter);
	f->mark_env = ar_xprintf("AR_PROC_TEST_MARK=%s", f->mark);
	f->env[0] = f->mark_env;
	f->env[1] = NULL;
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	tu_rm_rf(f->dir);
	free(f->dir);
	free(f->log);
	free(f->tee);
	free(f->mark);
	free(f->mark_env);
	free(f);
	return 0;
}

static struct ar_proc_opts fx_opts(struct fx *f, const char *command)
{
	struct ar_proc_opts o = AR_PROC_OPTS_INIT;

	o.command = command;
	o.log_path = f->log;
	o.env = f->env;
	o.grace_s = 0.3;
	o.timeout_s = 10; /* a safety net: no test should get near it */
	return o;
}

static char *fx_log(struct fx *f)
{
	char *s = tu_read(f->dir, "out.log");
	assert_non_null(s);
	return s;
}

static int has_bytes(const char *hay, size_t n, const char *needle)
{
	size_t m = strlen(needle);

	for (size_t i = 0; m && i + m <= n; i++)
		if (!memcmp(hay + i, needle, m))
			return 1;
	return 0;
}

static int file_has(long pid, const char *name, const char *needle)
{
	char path[64], buf[65536];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/%s", pid, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n > 0 && has_bytes(buf, (size_t)n, needle);
}

/* How many live processes (not us, not zombies) carry the marker. */
static int marker_count(const char *mark)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int count = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0 || pid == (long)getpid() || file_has(pid, "stat", ") Z "))
			continue;
		if (file_has(pid, "environ", mark) || file_has(pid, "cmdline", mark))
			count++;
	}
	closedir(d);
	return count;
}

static off_t file_size(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/* ---- exit status ------------------------------------------------------- */

static void test_exit_status(void **state)
{
	struct fx *f = *state;
	struct ar_proc_opts o = fx_opts(f, "echo hello; echo oops >&2; exit 3");
	struct ar_proc_result r;
	char *log;

	assert_int_equal(ar_proc_run(&o, &r), 0);
	assert_int_equal(r.exit_status, 3);
	assert_int_equal(r.term_signal, 0);
	assert_int_equal(r.timed_out, 0);
	assert_int_equal(r.interrupted, 0);
	assert_int_equal(r.survivors, 0);
	assert_true(r.wall_s > 0 && r.wall_s < 10);
	log = fx_log(f);
	assert_string_equal(log, "hello\noops\n");
	free(log);

	o.command = "true";
	assert_int_equal(ar_proc_run(&o, &r), 0);
	assert_int_equal(r.exit_status, 0);
	log = fx_log(f); /* truncated by the second run */
	assert_string_equal(log, "");
	free(log);
}

static void test_signal_death(void **state)
{
	struct fx *f = *state;
	struct ar_proc_opts o = fx_opts(f, "kill -KILL $$");
	struct ar_proc_result r;

	assert_int_equal(ar_proc_run(&o, &r), 0);
	assert_int_equal(r.exit_status, -1);
	assert_int_equal(r.term_signal, SIGKILL);
	o.command = "kill -SEGV $$";
	assert_int_equal(ar_proc_run(&o, &r), 0);
	assert_int_equal(r.exit_status, -1);
	assert_int_equal(r.term_signal, SIGSEGV);
	assert_int_equal(r.timed_out, 0);
}

static void test_command_not_found(void **state)
{
	struct fx *f = *state;
	struct ar_proc_opts o = fx_opts(f, "ar_no_such_command_x7q");
	struct ar_proc_result r;
	char *log;

	assert_int_equal(ar_proc_run(&o, &r), 0);
	assert_int_equal(r.exit_status, 127);
	log = fx_log(f);
	assert_true(tu_contains(log, "ar_no_such_command_x7q"));
	assert_true(tu_contains(log, "not found"));
	free(log);
}

static void test_signals_reset_in_child(void **state)
{
	struct fx *f = *state;
	struct ar_proc_opts o = fx_opts(f, "kill -PIPE $$; sleep 5");
	struct ar_proc_result r;
	sigset_t block, old;

	/* We ignore SIGPIPE and block SIGUSR1; the child must get neither. */
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	o.timeout_s = 2; /* fails, but fast, when the child inherits them */
	assert_int_equal(ar_proc_run(&o, &r), 0);
	assert_int_equal(r.term_signal, SIGPIPE);
	o.command = "kill -USR1 $$; sleep 5";
	assert_int_equal(ar_proc_run(&o, &r), 0);
	assert_int_equal(r.term_signal, SIGUSR1);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* ---- cwd, env, stdin --------------------------------------------------- */

static void test_cwd(void **state)
{
	struct fx *f = *state;
	struct ar_proc_opts o = fx_opts(f, "pwd -P");
	struct ar_proc_result r;
	char *real = realpath(f->dir, NULL), *want, *log;

	o.cwd = f->dir;
	assert_int_equal(ar_proc_run(&o, &r), 0);
	assert_int_equal(r.exit_status, 0);
	want = ar_xprintf("%s\n", real);
	log = fx_log(f);
	assert_string_equal(log, want);
	free(log);
	free(want);
	free(real);

	o.cwd = "/nonexistent/ar_proc_dir";
	assert_true(ar_proc_run(&o, &r) < 0);
	assert_true(tu_contains(ar_error_last(), "/nonexistent/ar_proc_dir"));
	o.cwd = f->log; /* a file, not a directory */
	assert_true(ar_proc_run(&o, &r) < 0);
	assert_true(tu_contains(ar_error_last(), "Not a directory"));
}

static void test_env(void **state)
{
	struct fx *f = *state;
	const char *env[] = { "AR_T_A=one two", "AR_T_A=final", "HOME=/override",
	                      f->mark_env, NULL };
	struct ar_proc_opts o = fx_opts(
	    f, "printf '%s|%s|%s|%s' \"$AR_T_A\" \"$HOME\" \"$AR_T_INHERIT\" "
	       "\"$(env | grep -c '^HOME=')\"");
	struct ar_proc_result r;
	char *log;

	setenv("AR_T_INHERIT", "yes", 1);
	o.env = env;
	assert_int_equal(ar_proc_run(&o, &r), 0);
	log = fx_log(f);
	assert_string_equal(log, "final|/override|yes|1");
	free(log);
	unsetenv("AR_T_INHERIT");
}

static void test_env_bad_entry(void **state)
{
	struct fx *f = *state;
	const char *noeq[] = { "NOEQUALS", NULL };
	const char *noname[] = { "=value", NULL };
	struct ar_proc_opts o = fx_opts(f, "true");
	struct ar_proc_result r;

	o.env = noeq;
	assert_int_equal(ar_proc_run(&o, &r), AR_EUSAGE);
	assert_true(tu_contains(ar_error_last(), "NOEQUALS"));
	o.env = noname;
	assert_int_equal(ar_proc_run(&o, &r), AR_EUSAGE);
	assert_true(tu_contains(ar_error_last(), "=value"));
}

static void test_stdin(void **state)
{
	struct fx *f = *state;
	struct ar_proc_opts o = fx_opts(f, "cat");
	struct ar_proc_result r;
	char *big = ar_xmalloc(1000001), *log;

	o.stdin_data = "hello\nworld\n";
	assert_int_equal(ar_proc_run(&o, &r), 0);
	log = fx_log(f);
	assert_string_equal(log, "hello\nworld\n");
	free(log);

	/* No stdin_data: /dev/null, so cat ends at once. */
	o.stdin_data = NULL;
	o.command = "cat; echo end";
	assert_int_equal(ar_proc_run(&o, &r), 0);
	log = fx_log(f);
	assert_string_equal(log, "end\n");
	free(log);

	/* Far more than a pipe holds. */
	memset(big, 'a', 1000000);
	big[1000000] = '\0';
	o.stdin_data = big;
	o.command = "wc -c | tr -d ' '";
	assert_int_equal(ar_proc_run(&o, &r), 0);
	log = fx_log(f);
	assert_string_equal(log, "1000000\n");
	free(log);

	/* A child that never reads its stdin must not hang us (nor SIGPIPE). */
	o.command = "exit 4";
	assert_int_equal(ar_proc_run(&o, &r), 0);
	assert_int_equal(r.exit_status, 4);
	o.command = "sleep 0.2";
	assert_int_equal(ar_proc_run(&o, &r), 0);
	assert_int_equal(r.exit_status, 0);
	free(big);
}

/* ---- output ------------------------------------------------------------ */

static void test_tee(void **state)
{
	struct fx *f = *state;
	struct ar_proc_opts o = fx_opts(
	    f, "i=0; while [ $i -lt 3000 ]; do echo \"line $i\"; i=$((i+1)); done; "
	       "echo err >&2");
	struct ar_proc_result r;
	char *log, *tee;

	o.tee_path = f->tee;
	assert_int_equal(ar_proc_run(&o, &r), 0);
	log = fx_log(f);
	tee = tu_read(f->dir, "tee.log");
	assert_non_null(tee);
	assert_string_equal(log, tee);
	assert_true(tu_contains(log, "line 0\nline 1\n"));
	assert_true(tu_contains(log, "line 2999\nerr\n"));
	free(log);
	free(tee);
}

static void test_huge_line_and_binary(void **state)
{
	struct fx *f = *state;
	struct ar_proc_opts o = fx_opts(f, "head -c 20000000 /dev/zero | tr '\\0' x");
	struct ar_proc_result r;
	struct rusage before, after;

	getrusage(RUSAGE_SELF, &before);
	o.tee_path = f->tee;
	assert_int_equal(ar_proc_run(&o, &r), 0);
	getrusage(RUSAGE_SELF, &after);
	assert_int_equal(r.exit_status, 0);
	assert_int_equal(file_size(f->log), 20000000);
	assert_int_equal(file_size(f->tee), 20000000);
	/* Streamed through a fixed buffer: our own peak barely moves. */
	assert_true(after.ru_maxrss - before.ru_maxrss < 8 * 1024);

	o.tee_path = NULL;
	o.command = "head -c 3000000 /dev/urandom";
	assert_int_equal(ar_proc_run(&o, &r), 0);
	assert_int_equal(file_size(f->log), 3000000);
}

static void test_no_log_path(void **state)
{
	struct fx *f = *state;
	struct ar_proc_opts o = fx_opts(f, "echo discarded; exit 2");
	struct ar_proc_result r;

	o.log_path = NULL;
	assert_int_equal(ar_proc_run(&o, &r), 0);
	assert_int_equal(r.exit_status, 2);
	assert_false(tu_exists(f->dir, "out.log"));
}

static void test_log_unopenable(void **state)
{
	struct fx *f = *state;
	struct ar_proc_opts o = fx_opts(f, "echo x");
	struct ar_proc_result r;
	char *ro;

	o.log_path = "/nonexistent/ar_proc/out.log";
	assert_true(ar_proc_run(&o, &r) < 0);
	assert_true(tu_contains(ar_error_last(), "/nonexistent/ar_proc/out.log"));
	assert_true(tu_contains(ar_error_last(), "No such file"));

	o.log_path = f->dir; /* a directory */
	assert_true(ar_proc_run(&o, &r) < 0);
	assert_true(tu_contains(ar_error_last(), f->dir));

	o.log_path = f->log;
	o.tee_path = "/nonexistent/ar_proc/tee.log";
	assert_true(ar_proc_run(&o, &r) < 0);
	assert_true(tu_contains(ar_error_last(), "/nonexistent/ar_proc/tee.log"));

	if (geteuid() == 0)
		return; /* root opens anything: no EACCES to see */
	ro = ar_path_join(f->dir, "ro");
	assert_int_equal(mkdir(ro, 0500), 0);
	free(ro);
	ro = ar_path_join(f->dir, "ro/out.log");
	o.tee_path = NULL;
	o.log_path = ro;
	assert_true(ar_proc_run(&o, &r) < 0);
	assert_true(tu_contains(ar_error_last(), ro));
	assert_true(tu_contains(ar_error_last(), "Permission denied"));
	free(ro);
}

static void test_log_enospc(void **state)
{
	struct fx *f = *state;
	struct ar_proc_opts o = fx_opts(f, "head -c 1000000 /dev/zero; exit 5");
	struct ar_proc_result r;

	if (access("/dev/full", W_OK) != 0)
		skip();
	o.log_path = "/dev/full";
	assert_int_equal(ar_proc_run(&o, &r), AR_ENOSPACE);
	assert_string_equal(ar_error_last(), "writing /dev/full: No space left on device");
	assert_int_equal(r.exit_status, 5); /* the result is still filled */

	/* A full tee does not stop the log. */
	o.log_path = f->log;
	o.tee_path = "/dev/full";
	assert_int_equal(ar_proc_run(&o, &r), AR_ENOSPACE);
	assert_true(tu_contains(ar_error_last(), "/dev/full"));
	assert_int_equal(r.exit_status, 5);
	assert_int_equal(file_size(f->log), 1000000);
}

/* ---- killing the tree -------------------------------------------------- */

struct seen {
	const char *needle; /* a marker in some cmdline or environment */
	int found;          /* the needle was seen alive during the run */
	size_t want_npids;  /* stop once this many pids were seen (0: never) */
	int calls;
	size_t max_npids;
	int pids[256];
	size_t npids;
	volatile sig_atomic_t *stop; /* set when found or want_npids reached */
};

static void seen_cb(const int *pids, size_t npids, void *payload)
{
	struct seen *s = payload;

	s->calls++;
	if (npids > s->max_npids)
		s->max_npids = npids;
	for (size_t i = 0; i < npids && s->npids < 256; i++)
		s->pids[s->npids++] = pids[i];
	if (s->needle && !s->found && marker_count(s->needle) > 0)
		s->found = 1;
	if (s->stop && (s->found || (s->want_npids && s->max_npids >= s->want_npids)))
		*s->stop = 1;
}

/* The main shell ignores TERM, so does a child, and a daemonized
 * grandchild in its own session ignores it too.  The daemon's cmdline holds
 * *needle ("arproc<tag><our pid>"), which the main shell's own cmdline does
 * not.  Both strings are the caller's to free. */
static char *tree_cmd(const char *tag, char **needle)
{
	*needle = ar_xprintf("arproc%s%ld", tag, (long)getpid());
	return ar_xprintf("trap '' TERM; "
	                  "sh -c 'trap \"\" TERM; sleep 1000' & "
	                  "sleep 1000 & "
	                  "d=arproc; (setsid sh -c \"trap '' TERM; sleep 1000; "
	                  ": ${d}%s%ld\" &); "
	                  "echo started; sleep 1000",
	                  tag, (long)getpid());
}

static void test_timeout_kills_tree(void **state)
{
	struct fx *f = *state;
	char *needle, *cmd = tree_cmd("daemonT", &needle);
	struct ar_proc_opts o = fx_opts(f, cmd);
	struct seen s = { .needle = needle };
	struct ar_proc_result r;
	char *log;

	o.timeout_s = 1.0;
	o.sample_interval_s = 0.05;
	o.sample = seen_cb;
	o.payload = &s;
	assert_int_equal(ar_proc_run(&o, &r), 0);
	assert_true(s.found); /* the daemon did start */
	assert_true(s.max_npids >= 5);
	assert_int_equal(r.timed_out, 1);
	assert_int_equal(r.interrupted, 0);
	assert_int_equal(r.exit_status, -1);
	assert_int_equal(r.term_signal, SIGKILL); /* it ignored SIGTERM */
	assert_true(r.wall_s >= 1.0);
	assert_int_equal(r.survivors, 0);
	assert_int_equal(marker_count(f->mark), 0);
	assert_int_equal(marker_count(needle), 0);
	log = fx_log(f);
	assert_string_equal(log, "started\n");
	free(log);
	free(needle);
	free(cmd);
}

static void test_interrupt_flag_kills_tree(void **state)
{
	struct fx *f = *state;
	volatile sig_atomic_t stop = 0;
	char *needle, *cmd = tree_cmd("daemonI", &needle);
	struct ar_proc_opts o = fx_opts(f, cmd);
	struct seen s = { .needle = needle, .stop = &stop };
	struct ar_proc_result r;

	o.sample_interval_s = 0.02;
	o.sample = seen_cb;
	o.payload = &s;
	o.interrupt = &stop;
	assert_int_equal(ar_proc_run(&o, &r), 0);
	assert_true(s.found);
	assert_int_equal(r.interrupted, 1);
	assert_int_equal(r.timed_out, 0);
	assert_int_equal(r.survivors, 0);
	assert_int_equal(marker_count(f->mark), 0);
	assert_int_equal(marker_count(needle), 0);

	/* Already set before the start: the command is stopped at once. */
	o.sample = NULL;
	o.command = "sleep 1000";
	assert_int_equal(ar_proc_run(&o, &r), 0);
	assert_int_equal(r.interrupted, 1);
	assert_int_equal(r.survivors, 0);
	assert_int_equal(marker_count(f->mark), 0);
	free(needle);
	free(cmd);
}

static volatile sig_atomic_t alarm_flag;

static void on_alarm(int sig)
{
	(void)sig;
	alarm_flag = 1;
}

static void test_interrupt_by_signal(void **state)
{
	struct fx *f = *state;
	struct ar_proc_opts o = fx_opts(f, "sleep 1000 & sleep 1000");
	struct ar_proc_result r;
	struct sigaction sa, old;
	struct itimerval it = { { 0, 0 }, { 0, 300000 } };

	/* No SA_RESTART: poll() and friends see EINTR, as under `ar`. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old);
	alarm_flag = 0;
	o.interrupt = &alarm_flag;
	o.sample_interval_s = 5; /* the signal, not a tick, must wake us */
	setitimer(ITIMER_REAL, &it, NULL);
	assert_int_equal(ar_proc_run(&o, &r), 0);
	sigaction(SIGALRM, &old, NULL);
	assert_int_equal(r.interrupted, 1);
	assert_int_equal(r.term_signal, SIGTERM);
	assert_true(r.wall_s < 4);
	assert_int_equal(r.survivors, 0);
	assert_int_equal(marker_count(f->mark), 0);
}

static void test_leftovers_killed_after_exit(void **state)
{
	struct fx *f = *state;
	struct ar_proc_opts o = fx_opts(
	    f, "sleep 1000 & (setsid sh -c 'trap \"\" TERM; sleep 1000' &); echo done");
	struct ar_proc_result r;
	double t0 = ar_now();
	char *log;

	assert_int_equal(ar_proc_run(&o, &r), 0);
	/* The daemon holds the output pipe open: we must not wait for EOF. */
	assert_true(ar_now() - t0 < 5);
	assert_int_equal(r.exit_status, 0);
	assert_int_equal(r.timed_out, 0);
	assert_int_equal(r.survivors, 0);
	assert_int_equal(marker_count(f->mark), 0);
	log = fx_log(f);
	assert_string_equal(log, "done\n");
	free(log);
}

static void test_stopped_process_killed(void **state)
{
	struct fx *f = *state;
	struct ar_proc_opts o = fx_opts(f, "sh -c 'kill -STOP $$; sleep 1000' & sleep 1000");
	struct ar_proc_result r;

	o.timeout_s = 0.3;
	assert_int_equal(ar_proc_run(&o, &r), 0);
	assert_int_equal(r.timed_out, 1);
	assert_int_equal(r.survivors, 0);
	assert_int_equal(marker_count(f->mark), 0);
}

/* ---- measuring --------------------------------------------------------- */

static void test_sample_pids(void **state)
{
	struct fx *f = *state;
	volatile sig_atomic_t stop = 0;
	struct ar_proc_opts o = fx_opts(f, "echo $$; sleep 1000 & sleep 1000 & wait");
	struct seen s = { .want_npids = 3, .stop = &stop };
	struct ar_proc_result r;
	char *log;
	int sh_pid, found = 0;

	/* The callback stops the run once it saw the shell and both sleeps. */
	o.sample_interval_s = 0.02;
	o.sample = seen_cb;
	o.payload = &s;
	o.interrupt = &stop;
	assert_int_equal(ar_proc_run(&o, &r), 0);
	assert_int_equal(r.interrupted, 1);
	assert_true(s.calls >= 1);
	assert_true(s.max_npids >= 3);
	log = fx_log(f);
	sh_pid = atoi(log);
	free(log);
	assert_true(sh_pid > 0);
	for (size_t i = 0; i < s.npids; i++)
		found |= s.pids[i] == sh_pid;
	assert_true(found);
	assert_int_equal(r.survivors, 0);
	assert_int_equal(marker_count(f->mark), 0);
}

static int have_python(void)
{
	return tu_sh("python3 -c 'pass' >/dev/null 2>&1") == 0;
}

static void test_peak_rss(void **state)
{
	struct fx *f = *state;
	struct ar_proc_opts o = fx_opts(
	    f, "python3 -c \"x=bytearray(50_000_000); import time; time.sleep(0.5)\"");
	struct seen s = { .needle = NULL };
	struct ar_proc_result r;

	if (!have_python())
		skip();
	o.sample_interval_s = 0.05;
	o.sample = seen_cb;
	o.payload = &s;
	assert_int_equal(ar_proc_run(&o, &r), 0);
	assert_int_equal(r.exit_status, 0);
	assert_true(r.peak_rss_bytes >= 40000000);
	assert_true(r.peak_rss_bytes < 4000000000ULL);
	assert_true(s.calls >= 1);
}

static void test_cpu_time(void **state)
{
	struct fx *f = *state;
	struct ar_proc_opts o = fx_opts(
	    f, "python3 -c \"import time\nt=time.process_time()\n"
	       "while time.process_time()-t < 0.3: pass\"");
	struct ar_proc_result r;

	if (!have_python())
		skip();
	assert_int_equal(ar_proc_run(&o, &r), 0);
	assert_int_equal(r.exit_status, 0);
	assert_true(r.cpu_s >= 0.25);
	assert_true(r.wall_s >= 0.25);
}

/* ---- capture ----------------------------------------------------------- */

static void test_capture(void **state)
{
	struct fx *f = *state;
	struct ar_proc_result r;
	char *out;
	size_t len;

	assert_int_equal(ar_proc_capture("echo hi; echo there >&2", NULL, 5, 100, &out,
	                                 &len, &r), 0);
	assert_string_equal(out, "hi\nthere\n");
	assert_int_equal(len, 9);
	assert_int_equal(r.exit_status, 0);
	free(out);

	/* Truncated: the rest is read and dropped, the command still ends. */
	assert_int_equal(ar_proc_capture("printf abcdefghij; head -c 1000000 /dev/zero; "
	                                 "exit 6", NULL, 5, 5, &out, &len, &r), 0);
	assert_string_equal(out, "abcde");
	assert_int_equal(len, 5);
	assert_int_equal(r.exit_status, 6);
	free(out);

	/* Binary output, NULs included; no result wanted. */
	assert_int_equal(ar_proc_capture("printf 'a\\000b'", NULL, 5, 100, &out, &len,
	                                 NULL), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(out, "a\0b", 3);
	free(out);

	assert_int_equal(ar_proc_capture("pwd -P", f->dir, 5, 4096, &out, NULL, NULL), 0);
	assert_true(tu_contains(out, "ar-test-"));
	free(out);
}

static void test_capture_timeout_and_errors(void **state)
{
	struct fx *f = *state;
	struct ar_proc_result r;
	char *out = (char *)"untouched";
	size_t len = 7;

	assert_int_equal(ar_proc_capture("echo before; exec sleep 1000", NULL, 0.3, 100,
	                                 &out, &len, &r), 0);
	assert_int_equal(r.timed_out, 1);
	assert_int_equal(r.term_signal, SIGTERM);
	assert_string_equal(out, "before\n");
	free(out);

	out = (char *)"untouched";
	assert_true(ar_proc_capture("true", "/nonexistent/ar_proc_dir", 5, 100, &out,
	                            &len, &r) < 0);
	assert_null(out);
	assert_int_equal(len, 0);
	assert_true(tu_contains(ar_error_last(), "/nonexistent/ar_proc_dir"));
	assert_int_equal(ar_proc_capture(NULL, NULL, 5, 100, &out, &len, &r), AR_EUSAGE);
	assert_int_equal(ar_proc_capture("true", NULL, 5, 100, NULL, &len, &r), AR_EUSAGE);
	(void)f;
}

static void test_bad_opts(void **state)
{
	struct fx *f = *state;
	struct ar_proc_opts o = fx_opts(f, "true");
	struct ar_proc_result r;

	assert_int_equal(ar_proc_run(NULL, &r), AR_EUSAGE);
	o.version = 99;
	assert_int_equal(ar_proc_run(&o, &r), AR_EUSAGE);
	assert_true(tu_contains(ar_error_last(), "99"));
	o.version = AR_PROC_OPTS_VERSION;
	o.command = NULL;
	assert_int_equal(ar_proc_run(&o, &r), AR_EUSAGE);
	/* No result wanted is fine. */
	o.command = "true";
	assert_int_equal(ar_proc_run(&o, NULL), 0);
}

static int group_setup(void **state)
{
	(void)state;
	return ar_proc_setup();
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_exit_status),
		T(test_signal_death),
		T(test_command_not_found),
		T(test_signals_reset_in_child),
		T(test_cwd),
		T(test_env),
		T(test_env_bad_entry),
		T(test_stdin),
		T(test_tee),
		T(test_huge_line_and_binary),
		T(test_no_log_path),
		T(test_log_unopenable),
		T(test_log_enospc),
		T(test_timeout_kills_tree),
		T(test_interrupt_flag_kills_tree),
		T(test_interrupt_by_signal),
		T(test_leftovers_killed_after_exit),
		T(test_stopped_process_killed),
		T(test_sample_pids),
		T(test_peak_rss),
		T(test_cpu_time),
		T(test_capture),
		T(test_capture_timeout_and_errors),
		T(test_bad_opts),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
