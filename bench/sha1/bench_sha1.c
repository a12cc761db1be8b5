/*
 * bench_sha1 - throughput of core/sha1.c's two block functions and of
 * libgit2's git_odb_hash (the collision-detecting SHA-1 libgit2 uses) on
 * one buffer.
 *
 *   bench_sha1 [MIB [REPS]]     default 64 MiB, 9 repetitions
 *
 * Each way hashes the whole buffer REPS times; the ways take turns so
 * that a slow spell of the machine falls on all of them.  Prints one line
 * per way, "<way> <median MB/s> MB/s", MB = 10^6 bytes, and exits 1 when
 * the two paths of ar_sha1 disagree (2 on bad usage).  git_odb_hash hashes
 * "blob <n>\0" before the buffer: 20 bytes more, nothing at this size.
 */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sha1.h"

enum { WAY_NI, WAY_PORTABLE, WAY_LIBGIT2, NWAYS };

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Seconds for one hash of buf[0..n) the given way; the digest in out. */
static double time_one(int way, const unsigned char *buf, size_t n,
                       unsigned char out[AR_SHA1_RAWSZ])
{
	git_oid oid;
	double t0 = now();

	if (way == WAY_LIBGIT2) {
		if (git_odb_hash(&oid, buf, n, GIT_OBJECT_BLOB) < 0)
			return -1.0;
		memcpy(out, oid.id, AR_SHA1_RAWSZ);
	} else {
		ar_sha1__force_portable(way == WAY_PORTABLE);
		ar_sha1(buf, n, out);
	}
	return now() - t0;
}

int main(int argc, char **argv)
{
	static const char *names[NWAYS] = { "ar_sha1 (auto)", "ar_sha1 portable",
	                                    "libgit2 git_odb_hash" };
	long mib = argc > 1 ? atol(argv[1]) : 64, reps = argc > 2 ? atol(argv[2]) : 9;
	unsigned char digest[NWAYS][AR_SHA1_RAWSZ];
	unsigned char *buf;
	double *t;
	size_t n;
	int rc = 0;

	if (argc > 3 || mib < 1 || mib > 4096 || reps < 1 || reps > 1000) {
		fprintf(stderr, "usage: bench_sha1 [MIB [REPS]]\n");
		return 2;
	}
	n = (size_t)mib << 20;
	buf = malloc(n);
	t = malloc(sizeof(*t) * NWAYS * (size_t)reps);
	if (!buf || !t) {
		fprintf(stderr, "bench_sha1: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < n; i++)  /* any bytes; touches every page */
		buf[i] = (unsigned char)(i * 2654435761u >> 13);
	git_libgit2_init();
	ar_sha1__force_portable(0);
	printf("bench_sha1: %ld MiB, %ld repetitions, auto path: %s\n", mib,
	       reps, ar_sha1_impl());
	for (long r = 0; r < reps; r++)
		for (int k = 0; k < NWAYS; k++) {
			int way = (int)((k + r) % NWAYS);

			t[way * reps + r] = time_one(way, buf, n, digest[way]);
		}
	for (int w = 0; w < NWAYS; w++) {
		qsort(t + w * reps, (size_t)reps, sizeof(*t), cmp_double);
		printf("%-22s %8.0f MB/s\n", names[w],
		       (double)n / t[w * reps + reps / 2] / 1e6);
	}
	if (memcmp(digest[WAY_NI], digest[WAY_PORTABLE], AR_SHA1_RAWSZ)) {
		fprintf(stderr, "bench_sha1: the two paths disagree\n");
		rc = 1;
	}
	git_libgit2_shutdown();
	free(t);
	free(buf);
	return rc;
}
