/*
 * test_sha1.c - core/sha1.c against the FIPS 180-4 / NIST example digests
 * and, differentially, against libgit2's own SHA-1: git_odb_hash of a
 * blob is the SHA-1 of "blob <n>\0" followed by the data, so ar_sha1 over
 * those bytes must give the same 20 bytes.  libgit2 appears here only as
 * that oracle; core/sha1.c does not use it.
 *
 * Every test runs twice: once with ar_sha1__force_portable(1) (the plain C
 * block function) and once with the choice left to the CPU.  On a CPU with
 * the SHA extensions the second run uses them (test_impl checks that it
 * does, against /proc/cpuinfo); on one without them, or off x86-64, the
 * second run is the portable path again.
 *
 * The random sizes, data and split points come from a fixed seed (SEED),
 * so a failure repeats; the messages name the size.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <git2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha1.h"

#define SEED 0x5ea1f00dcafe1234ull

/* The mode the current test runs in, set by its setup. */
static int forced_portable;

/* splitmix64: a small seeded generator. */
static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform enough in [lo, hi] for sizes and cut points. */
static size_t rng_range(size_t lo, size_t hi)
{
	return lo + (size_t)(rng() % (uint64_t)(hi - lo + 1));
}

static void rng_fill(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(rng() >> 56);
}

static void to_hex(const unsigned char d[AR_SHA1_RAWSZ], char hex[41])
{
	for (int i = 0; i < AR_SHA1_RAWSZ; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

#define assert_digest(got, want_hex, what)                                 \
	do {                                                                   \
		char hex_[41];                                                     \
		to_hex(got, hex_);                                                 \
		if (strcmp(hex_, want_hex))                                        \
			fail_msg("%s (%s path): got %s, want %s", what, ar_sha1_impl(), \
			         hex_, want_hex);                                      \
	} while (0)

/* ---- fixtures -------------------------------------------------------- */

static int use_portable(void **state)
{
	(void)state;
	forced_portable = 1;
	ar_sha1__force_portable(1);
	return 0;
}

static int use_auto(void **state)
{
	(void)state;
	forced_portable = 0;
	ar_sha1__force_portable(0);
	return 0;
}

static int restore_auto(void **state)
{
	(void)state;
	ar_sha1__force_portable(0);
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	return git_libgit2_init() < 0 ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	git_libgit2_shutdown();
	return 0;
}

/* ---- which path runs -------------------------------------------------- */

/* 1 when the kernel lists sha_ni among the CPU's flags: an oracle for
 * the choice independent of __builtin_cpu_supports.  -1 when
 * /proc/cpuinfo cannot be read. */
static int cpuinfo_has_sha_ni(void)
{
	char line[8192];
	int found = 0;
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5) && strstr(line, " sha_ni"))
			found = 1;
	fclose(f);
	return found;
}

static void test_impl(void **state)
{
	const char *impl = ar_sha1_impl();
	int ni = cpuinfo_has_sha_ni();

	(void)state;
	if (forced_portable) {
		assert_string_equal(impl, "portable");
		return;
	}
#if defined(__x86_64__)
	if (ni >= 0)
		assert_string_equal(impl, ni ? "sha-ni" : "portable");
	else
		assert_true(!strcmp(impl, "sha-ni") || !strcmp(impl, "portable"));
#else
	(void)ni;
	assert_string_equal(impl, "portable");
#endif
	/* Forcing and releasing returns to the same choice. */
	ar_sha1__force_portable(1);
	assert_string_equal(ar_sha1_impl(), "portable");
	ar_sha1__force_portable(0);
	assert_string_equal(ar_sha1_impl(), impl);
}

/* ---- FIPS 180-4 / NIST examples ------------------------------------- */

static void check_vector(const char *msg, const char *want)
{
	unsigned char d[AR_SHA1_RAWSZ];
	ar_sha1_ctx c;
	size_t n = strlen(msg);

	ar_sha1(msg, n, d);
	assert_digest(d, want, msg);
	/* Byte by byte: the partial-block path only. */
	ar_sha1_init(&c);
	for (size_t i = 0; i < n; i++)
		ar_sha1_update(&c, msg + i, 1);
	ar_sha1_final(&c, d);
	assert_digest(d, want, msg);
}

static void test_fips_vectors(void **state)
{
	(void)state;
	check_vector("", "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	check_vector("abc", "a9993e364706816aba3e25717850c26c9cd0d89d");
	/* 448 bits: the padding needs a second block. */
	check_vector("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	             "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	/* 896 bits */
	check_vector("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
	             "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
	             "a49b2446a02c645bf419f995b67091253a04a259");
}

/* One million 'a', in chunks of uneven sizes (1 byte to a few blocks). */
static void test_million_a(void **state)
{
	static const size_t sizes[] = { 1, 63, 64, 65, 7, 128, 200, 3, 1000, 4099 };
	unsigned char a[4099], d[AR_SHA1_RAWSZ];
	ar_sha1_ctx c;
	size_t left = 1000000;

	(void)state;
	memset(a, 'a', sizeof(a));
	ar_sha1_init(&c);
	for (size_t i = 0; left; i++) {
		size_t k = sizes[i % (sizeof(sizes) / sizeof(sizes[0]))];

		k = k < left ? k : left;
		ar_sha1_update(&c, a, k);
		left -= k;
	}
	ar_sha1_final(&c, d);
	assert_digest(d, "34aa973cd4c4daa4f61eeb2bdbad27316534016f",
	              "one million 'a'");
}

/* ---- odd calls ------------------------------------------------------ */

/* Updates of no bytes, with a NULL pointer, change nothing; a context
 * initialised again after final starts afresh. */
static void test_empty_updates(void **state)
{
	unsigned char d[AR_SHA1_RAWSZ];
	ar_sha1_ctx c;

	(void)state;
	ar_sha1_init(&c);
	ar_sha1_update(&c, NULL, 0);
	ar_sha1_update(&c, "ab", 2);
	ar_sha1_update(&c, NULL, 0);
	ar_sha1_update(&c, "c", 1);
	ar_sha1_update(&c, "xyz", 0);
	ar_sha1_final(&c, d);
	assert_digest(d, "a9993e364706816aba3e25717850c26c9cd0d89d", "abc");

	ar_sha1_init(&c);
	ar_sha1_final(&c, d);
	assert_digest(d, "da39a3ee5e6b4b0d3255bfef95601890afd80709", "reused ctx");
	ar_sha1(NULL, 0, d);
	assert_digest(d, "da39a3ee5e6b4b0d3255bfef95601890afd80709", "NULL, 0");
}

/* The same bytes at every alignment give the same digest (both block
 * functions read the caller's buffer in place). */
static void test_alignment(void **state)
{
	unsigned char buf[64 * 9 + 16], want[AR_SHA1_RAWSZ], got[AR_SHA1_RAWSZ];
	const size_t n = 64 * 9;

	(void)state;
	rng_state = SEED;
	rng_fill(buf, n);
	ar_sha1(buf, n, want);
	for (size_t off = 1; off < 16; off++) {
		memmove(buf + off, buf + off - 1, n);
		ar_sha1(buf + off, n, got);
		assert_memory_equal(got, want, AR_SHA1_RAWSZ);
	}
}

/* ---- against libgit2 -------------------------------------------------- */

/* git_odb_hash(data) against ar_sha1 over "blob <n>\0" + data, in one call
 * and split at 1 to 8 random points (empty pieces included). */
static void check_blob(const unsigned char *data, size_t n)
{
	unsigned char got[AR_SHA1_RAWSZ], *all;
	char hdr[32], what[64];
	size_t hlen, cuts[9], at = 0;
	int ncut = (int)rng_range(1, 8);
	ar_sha1_ctx c;
	git_oid oid;

	hlen = (size_t)snprintf(hdr, sizeof(hdr), "blob %zu", n) + 1;
	snprintf(what, sizeof(what), "blob of %zu bytes", n);
	assert_int_equal(git_odb_hash(&oid, data, n, GIT_OBJECT_BLOB), 0);

	all = malloc(hlen + n);
	assert_non_null(all);
	memcpy(all, hdr, hlen);
	if (n)
		memcpy(all + hlen, data, n);
	ar_sha1(all, hlen + n, got);
	free(all);
	if (memcmp(got, oid.id, AR_SHA1_RAWSZ))
		fail_msg("%s in one call (%s path) differs from libgit2", what,
		         ar_sha1_impl());

	for (int i = 0; i < ncut; i++)
		cuts[i] = rng_range(0, n);
	cuts[ncut] = n;
	ar_sha1_init(&c);
	ar_sha1_update(&c, hdr, hlen);
	for (int i = 0; i <= ncut; i++) {
		size_t to = cuts[i] > at ? cuts[i] : at;   /* unsorted: some empty */

		ar_sha1_update(&c, data + at, to - at);
		at = to;
	}
	ar_sha1_final(&c, got);
	if (memcmp(got, oid.id, AR_SHA1_RAWSZ))
		fail_msg("%s split %d times (%s path) differs from libgit2", what,
		         ncut, ar_sha1_impl());
}

/* 200 sizes up to 300 bytes: every size from 40 to 135 (so the message,
 * with its 8- or 9-byte header, ends at every offset of a block, on both
 * sides of the 56 bytes where padding needs another block), the rest
 * random. */
static void test_libgit2_small(void **state)
{
	unsigned char data[300];

	(void)state;
	rng_state = SEED;
	for (size_t i = 0; i < 200; i++) {
		size_t n = i < 96 ? 40 + i : rng_range(0, 300);

		rng_fill(data, n);
		check_blob(data, n);
	}
}

/* A few sizes of 1 to 5 MiB, not multiples of the block size. */
static void test_libgit2_large(void **state)
{
	const size_t mib = 1 << 20;
	unsigned char *data = malloc(5 * mib);
	size_t sizes[4] = { mib, 5 * mib };

	(void)state;
	assert_non_null(data);
	rng_state = SEED ^ 1;
	sizes[2] = rng_range(mib, 5 * mib);
	sizes[3] = rng_range(mib, 5 * mib);
	rng_fill(data, 5 * mib);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		check_blob(data, sizes[i]);
		check_blob(data + 1, sizes[i] - 1);   /* unaligned */
	}
	free(data);
}

#define BOTH_PATHS(f)                                                   \
	{ #f " [portable]", f, use_portable, restore_auto, NULL },          \
	{ #f " [auto]", f, use_auto, restore_auto, NULL }

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH_PATHS(test_impl),
		BOTH_PATHS(test_fips_vectors),
		BOTH_PATHS(test_million_a),
		BOTH_PATHS(test_empty_updates),
		BOTH_PATHS(test_alignment),
		BOTH_PATHS(test_libgit2_small),
		BOTH_PATHS(test_libgit2_large),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
