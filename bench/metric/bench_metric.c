/*
 * bench_metric - one metric extraction through the core's API, for
 * bench/metric/run.
 *
 *   bench_metric default LOG NAME      ar_metric_from_log_default (what
 *                                      `ar step` does with metric.name only)
 *   bench_metric pattern LOG REGEX     ar_metric_from_log_pattern
 *
 * With AR_BENCH_METRIC_WAY=one-thread the log is scanned by one thread
 * only; with AR_BENCH_METRIC_WAY=plain also without mmap or the literal
 * search (pread and the regex on every line, as before they were added).
 *
 * Prints "<value> <milliseconds> <peak RSS KiB>" on stdout; exit 0 when a
 * number was found, 1 when not (the message on stderr), 2 on bad usage.
 * The peak RSS is VmHWM from /proc/self/status: this process's own high-water
 * mark (getrusage's ru_maxrss would include the parent's, inherited through
 * fork across exec).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "metric.h"
#include "util.h"

/* VmHWM in KiB, -1 when unknown. */
static long peak_rss_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

/* AR_BENCH_METRIC_WAY: 0 when understood. */
static int set_way(void)
{
	const char *way = getenv("AR_BENCH_METRIC_WAY");
	struct ar_metric__tuning t = { UINT64_MAX, 0, 0, 0 };

	if (!way || !*way)
		return 0;
	if (!strcmp(way, "plain"))
		t.no_mmap = t.no_literal = 1;
	else if (strcmp(way, "one-thread"))
		return -1;
	ar_metric__tune(&t);
	return 0;
}

int main(int argc, char **argv)
{
	double value = 0, t0;
	int rc;

	if (argc != 4 || (strcmp(argv[1], "default") && strcmp(argv[1], "pattern")) ||
	    set_way() < 0) {
		fprintf(stderr, "usage: [AR_BENCH_METRIC_WAY=one-thread|plain] "
		        "bench_metric default|pattern LOG NAME|REGEX\n");
		return 2;
	}
	t0 = ar_now();
	if (!strcmp(argv[1], "default"))
		rc = ar_metric_from_log_default(argv[2], argv[3], &value);
	else
		rc = ar_metric_from_log_pattern(argv[2], argv[3], &value);
	t0 = ar_now() - t0;
	if (rc < 0) {
		fprintf(stderr, "bench_metric: %s\n", ar_error_last());
		return 1;
	}
	printf("%.17g %.3f %ld\n", value, t0 * 1e3, peak_rss_kib());
	return 0;
}
