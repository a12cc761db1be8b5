/*
 * bench_timeout - experiments that time out, through ar_proc_run, for
 * bench/timeout/run.
 *
 *   bench_timeout N TIMEOUT_S GRACE_S
 *
 * Each experiment's command starts a tree of 20 long-running processes
 * under its /bin/sh: 6 plain children, 4 shells that ignore SIGTERM each
 * with a child that inherits that, 3 daemons in their own session (setsid),
 * one of them ignoring SIGTERM, and 3 orphans left by a double fork.  Every
 * process carries a marker unique to the experiment in its command line,
 * so the survivors are counted independently of ar: after ar_proc_run
 * returns, /proc is searched for the marker (and polled every millisecond
 * until it is gone, at most 10 s).
 *
 * Prints one line per experiment ("exp I gone_ms G survivors S tree T
 * ar_survivors A zombies Z"), where G is the time from the deadline
 * (start + TIMEOUT_S) to the last marked process gone, T the most tree
 * members ar's sampler saw, then "summary ..." with the same fields.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "proc.h"
#include "util.h"

/* The most tree members the sampler saw in this run. */
static void on_sample(const int *pids, size_t npids, void *payload)
{
	size_t *most = payload;

	(void)pids;
	if (npids > *most)
		*most = npids;
}

/* The command of one experiment; `m` is the marker (a sleep duration). */
static char *tree_command(const char *m)
{
	ar_buf b = AR_BUF_INIT;
	int i;

	for (i = 0; i < 6; i++)
		ar_buf_printf(&b, "sleep %s & ", m);
	for (i = 0; i < 4; i++)
		ar_buf_printf(&b, "sh -c \"trap '' TERM; sleep %s\" & ", m);
	for (i = 0; i < 2; i++)
		ar_buf_printf(&b, "setsid sleep %s & ", m);
	ar_buf_printf(&b, "setsid sh -c \"trap '' TERM; exec sleep %s\" & ", m);
	for (i = 0; i < 3; i++)
		ar_buf_printf(&b, "sh -c 'sleep %s & exit 0' & ", m);
	ar_buf_adds(&b, "wait");
	return ar_buf_detach(&b);
}

/* 1 when /proc/<pid>/cmdline contains the marker. */
static int has_marker(const char *pid, const char *m)
{
	char path[64], buf[4096];
	size_t n, i;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/cmdline", pid);
	if (!(f = fopen(path, "r")))
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	for (i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = ' ';
	buf[n] = '\0';
	return strstr(buf, m) != NULL;
}

/* 1 when /proc/<pid>/stat says zombie with us as parent. */
static int our_zombie(const char *pid)
{
	char path[64], buf[512], *p, state;
	int ppid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	if (!(f = fopen(path, "r")))
		return 0;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!p || !(p = strrchr(buf, ')')) ||
	    sscanf(p + 1, " %c %d", &state, &ppid) != 2)
		return 0;
	return state == 'Z' && ppid == (int)getpid();
}

/* Count live processes carrying the marker (and our zombies). */
static int count_marked(const char *m, int *zombies)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	*zombies = 0;
	while (d && (e = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		if (our_zombie(e->d_name))
			(*zombies)++;
		else if (has_marker(e->d_name, m))
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int n = argc == 4 ? atoi(argv[1]) : 0, total_surv = 0, total_zomb = 0;
	double timeout = n ? atof(argv[2]) : 0, grace = n ? atof(argv[3]) : 0;
	double *gone = NULL;
	size_t tree_min = (size_t)-1;
	char log[] = "/tmp/ar-bench-timeout-XXXXXX";
	int fd;

	if (n <= 0 || timeout <= 0 || grace <= 0) {
		fprintf(stderr, "usage: bench_timeout N TIMEOUT_S GRACE_S\n");
		return 2;
	}
	if (ar_proc_setup() < 0 || (fd = mkstemp(log)) < 0) {
		fprintf(stderr, "bench_timeout: cannot set up: %s\n", ar_error_last());
		return 1;
	}
	close(fd);
	gone = ar_xcalloc((size_t)n, sizeof(*gone));
	for (int i = 0; i < n; i++) {
		struct ar_proc_opts o = AR_PROC_OPTS_INIT;
		struct ar_proc_result res;
		char marker[32];
		char *cmd;
		size_t most = 0;
		int surv, zomb = 0, left;
		double t0, deadline, t;

		snprintf(marker, sizeof(marker), "9%05d.%04d",
		         (int)(getpid() % 100000), i);
		cmd = tree_command(marker);
		o.command = cmd;
		o.log_path = log;
		o.timeout_s = timeout;
		o.grace_s = grace;
		o.sample_interval_s = 0.02;
		o.sample = on_sample;
		o.payload = &most;
		t0 = ar_now();
		deadline = t0 + timeout;
		if (ar_proc_run(&o, &res) < 0) {
			fprintf(stderr, "bench_timeout: %s\n", ar_error_last());
			return 1;
		}
		t = ar_now();
		surv = left = count_marked(marker, &zomb);
		while (left && ar_now() < t + 10) {
			usleep(1000);
			left = count_marked(marker, &zomb);
		}
		if (surv)
			t = ar_now();
		gone[i] = t - deadline;
		total_surv += surv;
		total_zomb += zomb;
		if (most < tree_min)
			tree_min = most;
		printf("exp %d gone_ms %.1f survivors %d tree %zu ar_survivors %d "
		       "zombies %d timed_out %d\n", i, gone[i] * 1e3, surv, most,
		       res.survivors, zomb, res.timed_out);
		free(cmd);
	}
	qsort(gone, (size_t)n, sizeof(*gone), cmp_double);
	printf("summary n %d median_ms %.1f max_ms %.1f survivors %d "
	       "tree_min %zu zombies %d grace_ms %.0f\n", n,
	       (n % 2 ? gone[n / 2] : (gone[n / 2 - 1] + gone[n / 2]) / 2) * 1e3,
	       gone[n - 1] * 1e3, total_surv, tree_min, total_zomb, grace * 1e3);
	free(gone);
	unlink(log);
	return 0;
}
