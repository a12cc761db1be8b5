/*
 * sha1.c - SHA-1 (FIPS 180-4, section 6.1) with two block functions: plain
 * C, and the x86 SHA extensions where the CPU has them (see sha1.h).
 *
 * The block functions take the state and any number of whole 64-byte
 * blocks.  ar_sha1_update hands them whole blocks straight from the
 * caller's buffer and copies only the partial block at either end into
 * the context.  Which function runs is decided once, on first use, from
 * the CPU's feature bits; ar_sha1__force_portable overrides it.
 */
#include "sha1.h"

#include <stdatomic.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define AR_SHA1_HAVE_NI 1
#include <immintrin.h>
#if defined(__clang__)
#include <cpuid.h>
#endif
#endif

typedef void sha1_blocks_fn(uint32_t h[5], const unsigned char *p,
                            size_t nblocks);

/* On a long buffer the hardware prefetchers fall behind: on this project's
 * Xeon the SHA instructions hash 64 MiB at 1.2 GB/s without this and
 * 2.1 GB/s with it (their speed on a buffer in cache).  Each block asks
 * for the cache line 16 blocks ahead, when that is still in the buffer. */
#define PREFETCH_BLOCKS 16

static inline void prefetch_ahead(const unsigned char *p, size_t nblocks)
{
	if (nblocks > PREFETCH_BLOCKS)
		__builtin_prefetch(p + 64 * PREFETCH_BLOCKS);
}

/* ---- portable block function ------------------------------------------ */

#define ROL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))

static inline uint32_t load_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline void store_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* The round functions of FIPS 180-4 4.1.1, in forms with fewer operations:
 * Ch as ((c ^ d) & b) ^ d, Maj as (b & c) + ((b ^ c) & d) (the two terms
 * never have a bit in common, so + is |). */
#define F_CH(b, c, d) ((((c) ^ (d)) & (b)) ^ (d))
#define F_PAR(b, c, d) ((b) ^ (c) ^ (d))
#define F_MAJ(b, c, d) (((b) & (c)) + (((b) ^ (c)) & (d)))

#define K0 0x5a827999u
#define K1 0x6ed9eba1u
#define K2 0x8f1bbcdcu
#define K3 0xca62c1d6u

/* Message schedule in a 16-word ring: W[t] for t < 16 is the block's word,
 * later W[t] = ROL1(W[t-3] ^ W[t-8] ^ W[t-14] ^ W[t-16]). */
#define W_IN(t) (w[t] = load_be32(p + 4 * (t)))
#define W_EXP(t)                                                         \
	(w[(t) & 15] = ROL(w[((t) + 13) & 15] ^ w[((t) + 8) & 15] ^          \
	                   w[((t) + 2) & 15] ^ w[(t) & 15], 1))

/* One round with the variables renamed instead of moved: e takes the new
 * a, and b is rotated in place. */
#define RND(a, b, c, d, e, f, k, wt)                                     \
	do {                                                                 \
		(e) += ROL(a, 5) + f(b, c, d) + (k) + (wt);                      \
		(b) = ROL(b, 30);                                                \
	} while (0)

/* Five rounds t..t+4, after which the names are back in place. */
#define RND5(t, f, k, W)                                                 \
	do {                                                                 \
		RND(a, b, c, d, e, f, k, W((t) + 0));                            \
		RND(e, a, b, c, d, f, k, W((t) + 1));                            \
		RND(d, e, a, b, c, f, k, W((t) + 2));                            \
		RND(c, d, e, a, b, f, k, W((t) + 3));                            \
		RND(b, c, d, e, a, f, k, W((t) + 4));                            \
	} while (0)

/* Rounds 15..19 straddle the block's last word and the first expanded
 * one. */
#define W_MIX(t) ((t) < 16 ? W_IN(t) : W_EXP(t))

static void sha1_blocks_portable(uint32_t h[5], const unsigned char *p,
                                 size_t nblocks)
{
	uint32_t w[16];

	for (; nblocks; nblocks--, p += 64) {
		uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];

		prefetch_ahead(p, nblocks);
		RND5(0, F_CH, K0, W_IN);
		RND5(5, F_CH, K0, W_IN);
		RND5(10, F_CH, K0, W_IN);
		RND5(15, F_CH, K0, W_MIX);
		RND5(20, F_PAR, K1, W_EXP);
		RND5(25, F_PAR, K1, W_EXP);
		RND5(30, F_PAR, K1, W_EXP);
		RND5(35, F_PAR, K1, W_EXP);
		RND5(40, F_MAJ, K2, W_EXP);
		RND5(45, F_MAJ, K2, W_EXP);
		RND5(50, F_MAJ, K2, W_EXP);
		RND5(55, F_MAJ, K2, W_EXP);
		RND5(60, F_PAR, K3, W_EXP);
		RND5(65, F_PAR, K3, W_EXP);
		RND5(70, F_PAR, K3, W_EXP);
		RND5(75, F_PAR, K3, W_EXP);
		h[0] += a;
		h[1] += b;
		h[2] += c;
		h[3] += d;
		h[4] += e;
	}
}

/* ---- SHA extensions block function (x86-64 only) ---------------------- */

#ifdef AR_SHA1_HAVE_NI
/*
 * The instructions keep a, b, c, d in one register with a in the top lane,
 * and e (plus the schedule words) in the top lane of another.  Each
 * sha1rnds4 does four rounds; sha1nexte gives the e of the next four from
 * the a before these (e after four rounds is ROL30 of that a) plus the
 * next four schedule words, which sha1msg1/sha1msg2 compute four at a
 * time: W[g] = msg2(msg1(W[g-4], W[g-3]) ^ W[g-2], W[g-1]) for the g-th
 * group of four words.
 */

/* Group g (1..19) of four rounds, with fn = g / 5 selecting the round
 * function: from group 4 on, m[g % 4] goes from W[g-4] to W[g]; e[g % 2]
 * holds a b c d from before group g - 1 and becomes e + W[g]; the other
 * e saves a b c d for group g + 1. */
#define NI_SCHED(g)                                                       \
	_mm_sha1msg2_epu32(_mm_xor_si128(_mm_sha1msg1_epu32(m[(g) & 3],       \
	                                                    m[((g) + 1) & 3]), \
	                                 m[((g) + 2) & 3]),                   \
	                   m[((g) + 3) & 3])
#define NI_GROUP(g)                                                       \
	do {                                                                  \
		if ((g) >= 4)                                                     \
			m[(g) & 3] = NI_SCHED(g);                                     \
		e[(g) & 1] = _mm_sha1nexte_epu32(e[(g) & 1], m[(g) & 3]);         \
		e[((g) + 1) & 1] = abcd;                                          \
		abcd = _mm_sha1rnds4_epu32(abcd, e[(g) & 1], (g) / 5);            \
	} while (0)

__attribute__((target("sha,sse4.1")))
static void sha1_blocks_ni(uint32_t h[5], const unsigned char *p,
                           size_t nblocks)
{
	/* Reverses the 16 bytes: big-endian words, word 0 in the top lane. */
	const __m128i bswap = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
	                                   11, 12, 13, 14, 15);
	__m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)h),
	                                 0x1b);
	__m128i e[2], abcd_in, e_in;

	e[0] = _mm_set_epi32((int)h[4], 0, 0, 0);
	for (; nblocks; nblocks--, p += 64) {
		__m128i m[4] = {
			_mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)p), bswap),
			_mm_shuffle_epi8(
			    _mm_loadu_si128((const __m128i *)(p + 16)), bswap),
			_mm_shuffle_epi8(
			    _mm_loadu_si128((const __m128i *)(p + 32)), bswap),
			_mm_shuffle_epi8(
			    _mm_loadu_si128((const __m128i *)(p + 48)), bswap),
		};

		prefetch_ahead(p, nblocks);
		abcd_in = abcd;
		e_in = e[0];
		/* Group 0: e is the state's own e, in the top lane. */
		e[0] = _mm_add_epi32(e[0], m[0]);
		e[1] = abcd;
		abcd = _mm_sha1rnds4_epu32(abcd, e[0], 0);
		NI_GROUP(1);  NI_GROUP(2);  NI_GROUP(3);  NI_GROUP(4);
		NI_GROUP(5);  NI_GROUP(6);  NI_GROUP(7);  NI_GROUP(8);
		NI_GROUP(9);  NI_GROUP(10); NI_GROUP(11); NI_GROUP(12);
		NI_GROUP(13); NI_GROUP(14); NI_GROUP(15); NI_GROUP(16);
		NI_GROUP(17); NI_GROUP(18); NI_GROUP(19);
		/* e[0] holds a b c d from before group 19, whose a rotated
		 * left by 30 is the e after round 79. */
		e[0] = _mm_sha1nexte_epu32(e[0], e_in);
		abcd = _mm_add_epi32(abcd, abcd_in);
	}
	_mm_storeu_si128((__m128i *)h, _mm_shuffle_epi32(abcd, 0x1b));
	h[4] = (uint32_t)_mm_extract_epi32(e[0], 3);
}
#endif

/* ---- choosing the block function ------------------------------------- */

enum { PICK_UNKNOWN, PICK_PORTABLE, PICK_NI };

/* What the CPU allows, found once; a second thread that races the first
 * finds and stores the same answer. */
static atomic_int cpu_pick = PICK_UNKNOWN;
static atomic_int force_portable;

#ifdef AR_SHA1_HAVE_NI
/* 1 when the CPU has the SHA extensions and SSE4.1.  clang before 16 does
 * not know "sha" in __builtin_cpu_supports (the fuzz harnesses build the
 * core with clang), so there the bit is read with cpuid: leaf 7, EBX bit
 * 29. */
static int cpu_has_sha_ni(void)
{
#if defined(__clang__)
	unsigned int a, b, c, d;

	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(b & (1u << 29)))
		return 0;
	__builtin_cpu_init();
#else
	__builtin_cpu_init();
	if (!__builtin_cpu_supports("sha"))
		return 0;
#endif
	return __builtin_cpu_supports("sse4.1") != 0;
}
#endif

static int pick(void)
{
	int p;

	if (atomic_load_explicit(&force_portable, memory_order_relaxed))
		return PICK_PORTABLE;
	p = atomic_load_explicit(&cpu_pick, memory_order_relaxed);
	if (p != PICK_UNKNOWN)
		return p;
	p = PICK_PORTABLE;
#ifdef AR_SHA1_HAVE_NI
	if (cpu_has_sha_ni())
		p = PICK_NI;
#endif
	atomic_store_explicit(&cpu_pick, p, memory_order_relaxed);
	return p;
}

static sha1_blocks_fn *blocks_fn(void)
{
#ifdef AR_SHA1_HAVE_NI
	if (pick() == PICK_NI)
		return sha1_blocks_ni;
#endif
	return sha1_blocks_portable;
}

const char *ar_sha1_impl(void)
{
	return pick() == PICK_NI ? "sha-ni" : "portable";
}

void ar_sha1__force_portable(int on)
{
	atomic_store_explicit(&force_portable, on != 0, memory_order_relaxed);
}

/* ---- the hash ------------------------------------------------------- */

void ar_sha1_init(ar_sha1_ctx *c)
{
	/* FIPS 180-4 5.3.1 */
	c->h[0] = 0x67452301u;
	c->h[1] = 0xefcdab89u;
	c->h[2] = 0x98badcfeu;
	c->h[3] = 0x10325476u;
	c->h[4] = 0xc3d2e1f0u;
	c->total = 0;
	c->nblock = 0;
}

void ar_sha1_update(ar_sha1_ctx *c, const void *data, size_t n)
{
	const unsigned char *p = data;
	sha1_blocks_fn *blocks;
	size_t take;

	if (n == 0)
		return;   /* data may be NULL */
	blocks = blocks_fn();
	c->total += n;
	if (c->nblock) {
		take = 64 - c->nblock < n ? 64 - c->nblock : n;
		memcpy(c->block + c->nblock, p, take);
		c->nblock += take;
		p += take;
		n -= take;
		if (c->nblock < 64)
			return;
		blocks(c->h, c->block, 1);
		c->nblock = 0;
	}
	if (n >= 64) {
		blocks(c->h, p, n / 64);
		p += n / 64 * 64;
		n %= 64;
	}
	if (n) {
		memcpy(c->block, p, n);
		c->nblock = n;
	}
}

/* Pads per FIPS 180-4 5.1.1 (a 1 bit, zeros, the length in bits as 64
 * bits big-endian) and writes h big-endian.  The context must be
 * initialised again before reuse. */
void ar_sha1_final(ar_sha1_ctx *c, unsigned char out[AR_SHA1_RAWSZ])
{
	sha1_blocks_fn *blocks = blocks_fn();
	uint64_t bits = c->total * 8;

	c->block[c->nblock++] = 0x80;
	if (c->nblock > 56) {
		memset(c->block + c->nblock, 0, 64 - c->nblock);
		blocks(c->h, c->block, 1);
		c->nblock = 0;
	}
	memset(c->block + c->nblock, 0, 56 - c->nblock);
	store_be32(c->block + 56, (uint32_t)(bits >> 32));
	store_be32(c->block + 60, (uint32_t)bits);
	blocks(c->h, c->block, 1);
	for (int i = 0; i < 5; i++)
		store_be32(out + 4 * i, c->h[i]);
	c->nblock = 0;
}

void ar_sha1(const void *data, size_t n, unsigned char out[AR_SHA1_RAWSZ])
{
	ar_sha1_ctx c;

	ar_sha1_init(&c);
	ar_sha1_update(&c, data, n);
	ar_sha1_final(&c, out);
}
