/*
 * bench_metric - one metric extraction through the core's API, for
 * bench/metric/run.
 *
 *   bench_metric default LOG NAME      ar_metric_from_log_default (what
 *                                      `ar step` does with metric.name only)
 *   bench_metric pattern LOG REGEX     ar_metric_from_log_pattern
 *
 * Prints "<value> <milliseconds> <peak RSS KiB>" on stdout; exit 0 when a
 * number was found, 1 when not (the message on stderr), 2 on bad usage.
 * The peak RSS is VmHWM from /proc/self/status: this process's own high-water
 * mark (getrusage's ru_maxrss would include the parent's, inherited through
 * fork across exec).
 */
#include <stdio.h>
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

int main(int argc, char **argv)
{
	double value = 0, t0;
	int rc;

	if (argc != 4 || (strcmp(argv[1], "default") && strcmp(argv[1], "pattern"))) {
		fprintf(stderr, "usage: bench_metric default|pattern LOG NAME|REGEX\n");
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
