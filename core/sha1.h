/*
 * sha1.h - SHA-1 (FIPS 180-4) for the checksum that ends git's index file.
 *
 * ar writes the index itself when an experiment changes a few entries of
 * a large one (core/git_index.c); the file must end with the SHA-1 of all
 * that precedes it.  libgit2 hashes it with the collision-detecting
 * SHA-1, which costs several milliseconds on a 50,000-entry index; this
 * is the plain function, using the CPU's SHA instructions where it has
 * them.  It gives the same digest as git's for any input that is not a
 * crafted collision, and it is never used for object ids (libgit2 makes
 * those).
 */
#ifndef AR_SHA1_H
#define AR_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define AR_SHA1_RAWSZ 20

typedef struct {
	uint32_t h[5];
	uint64_t total;             /* bytes hashed so far */
	unsigned char block[64];    /* a partial block */
	size_t nblock;
} ar_sha1_ctx;

void ar_sha1_init(ar_sha1_ctx *c);
void ar_sha1_update(ar_sha1_ctx *c, const void *data, size_t n);
void ar_sha1_final(ar_sha1_ctx *c, unsigned char out[AR_SHA1_RAWSZ]);

/* The digest of data[0..n) in one call. */
void ar_sha1(const void *data, size_t n, unsigned char out[AR_SHA1_RAWSZ]);

/* Which block function runs: "sha-ni" or "portable". */
const char *ar_sha1_impl(void);

/* For tests and benchmarks: 1 forces the portable block function, 0
 * returns to choosing by the CPU. */
void ar_sha1__force_portable(int on);

#endif
