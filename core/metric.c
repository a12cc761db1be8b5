/*
 * metric.c - reading a run's number out of its log or a command's output.
 *
 * A log is scanned from its end backwards in windows of AR_METRIC_BLOCK
 * bytes, so finding the last match in a 1 GiB log reads only its tail and
 * memory stays bounded.  Only whole lines are matched: each window drops
 * its first (possibly cut) line, which the next window, ending where that
 * line ends, sees whole.  A line longer than a block cannot be seen whole
 * and is skipped.  A regex match must lie within one line: a match the
 * window search finds running over a newline is retried on its line alone.
 *
 * When the only match is at the start, the whole file is read, so that
 * read is made cheap: a window is a view into the file, mapped and its
 * page table filled a piece at a time (nothing is copied; pread into a
 * buffer where mmap is refused); a pattern with a required literal
 * (ar_regex_literal; the metric's name for the default convention) runs
 * only on the lines holding that literal, found by a vector search for two
 * of its bytes; and a big log is scanned in chunks by several threads at
 * once, the highest chunk with a match winning (scan_chunks).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "metric.h"
#include "util.h"

#define AR_METRIC_BLOCK ((size_t)1 << 20)
/* A scanning thread fills the page table of this much of the file at a
 * time, below its window, and unmaps what is above: what it keeps mapped
 * (one of these and a window) counts in the process's resident memory. */
#define AR_METRIC_MAP ((size_t)1 << 20)
/* Logs from this size on are scanned in chunks of AR_METRIC_CHUNK bytes
 * by up to AR_METRIC_THREADS threads (see scan_chunks, ar_metric__tune). */
#define AR_METRIC_SPLIT ((uint64_t)64 << 20)
#define AR_METRIC_CHUNK ((uint64_t)16 << 20)
#define AR_METRIC_THREADS 4
#define AR_METRIC_CHUNKS_MAX 1024
/* How far from a chunk's nominal start its first line start is looked for. */
#define AR_METRIC_CUT_LOOK 4096
/* A literal shorter than this is not worth searching for: the regex
 * scans the window itself. */
#define AR_METRIC_LIT_MIN 3
/* How far ahead of the literal search memory is fetched. */
#define AR_METRIC_PREFETCH 16384
/* Past this offset an error names the byte offset, not the line number
 * (counting lines would read the whole prefix of the file). */
#define AR_METRIC_LINE_COUNT_MAX ((uint64_t)256 << 20)

static struct ar_metric__tuning tuning = { AR_METRIC_SPLIT, AR_METRIC_CHUNK, 0, 0 };

void ar_metric__tune(const struct ar_metric__tuning *t)
{
	tuning = (struct ar_metric__tuning){ 0, 0, 0, 0 };
	if (t)
		tuning = *t;
	if (!tuning.split_min)
		tuning.split_min = AR_METRIC_SPLIT;
	if (!tuning.chunk)
		tuning.chunk = AR_METRIC_CHUNK;
}

/* How a window is searched: with the regex over its whole lines, or only
 * on the lines holding `lit`. */
struct finder {
	const ar_regex *re;
	const char *lit; /* borrowed: in every match; NULL: no literal search */
	size_t litlen;
	int conv;        /* the default convention: lit is the name (below) */
	size_t i1, i2;   /* lit[i1], lit[i2]: the bytes the vector search compares */
};

/* The last match seen: offsets into the current window. */
struct span {
	int found;
	size_t gs, ge; /* the group (or whole match) */
	size_t ms;     /* start of the match */
};

/* The last match found in the file, owned by the scan's caller. */
struct hit {
	int found;
	uint64_t off; /* file offset where the match starts */
	char *text;   /* the group's bytes (may hold NULs), NUL-terminated */
	size_t len;
};

static size_t line_start(const char *r, size_t pos)
{
	while (pos > 0 && r[pos - 1] != '\n')
		pos--;
	return pos;
}

static size_t line_end(const char *r, size_t len, size_t pos)
{
	const char *nl = memchr(r + pos, '\n', len - pos);
	return nl ? (size_t)(nl - r) : len;
}

/* Every match within line r[ls..le) starting at `from` or later; the last
 * goes into *last.  1 when one was found, 0 when none, negative on error. */
static int line_last(const ar_regex *re, const char *r, size_t ls, size_t le,
                     size_t from, struct span *last)
{
	size_t pos = from - ls, ms, me, gs, ge;
	int rc, found = 0;

	while (pos <= le - ls) {
		rc = ar_regex_search(re, r + ls, le - ls, pos, &ms, &me, &gs, &ge);
		if (rc <= 0)
			return rc < 0 ? rc : found;
		*last = (struct span){ 1, ls + gs, ls + ge, ls + ms };
		found = 1;
		pos = me > ms ? me : ms + 1;
	}
	return found;
}

/* The last match within region r[0..len) of whole lines, into *last. */
static int region_last(const ar_regex *re, const char *r, size_t len,
                       struct span *last)
{
	size_t pos = 0, ms, me, gs, ge, ls, le;
	int rc;

	while (pos <= len) {
		rc = ar_regex_search(re, r, len, pos, &ms, &me, &gs, &ge);
		if (rc <= 0)
			return rc;
		if (ms == len && len > 0 && r[len - 1] == '\n')
			return 0; /* past the final newline is not a line */
		ls = line_start(r, ms);
		le = line_end(r, len, ms);
		if (me <= le) {
			*last = (struct span){ 1, gs, ge, ms };
			pos = me > ms ? me : ms + 1;
			continue;
		}
		/* The match runs over a newline: retry on its line alone. */
		rc = line_last(re, r, ls, le, ms, last);
		if (rc < 0)
			return rc;
		pos = le + 1;
	}
	return 0;
}

/* ---- the literal search ---- */

/* How common a byte is in logs, 0 for rare: the vector search compares
 * the two rarest bytes of the literal, so that few places pass it. */
static size_t commonness(unsigned char c)
{
	static const char order[] = "ZQJXKVBYWGPFMUCDLHRSNIOATE"
		"zqjxkvbywgpfmucdlhrsnioate\t_/|()[]-,=:.9876543210 ";
	const char *p = c ? strchr(order, c) : NULL;

	return p ? (size_t)(p - order) + 1 : 0;
}

/* Search for lit (borrowed, len >= 1) from now on. */
static void finder_set_literal(struct finder *f, const char *lit, size_t len)
{
	size_t i;

	f->lit = lit;
	f->litlen = len;
	f->i1 = 0;
	for (i = 1; i < len; i++)
		if (commonness((unsigned char)lit[i]) < commonness((unsigned char)lit[f->i1]))
			f->i1 = i;
	f->i2 = f->i1;
	for (i = 0; i < len; i++)
		if (i != f->i1 && (f->i2 == f->i1 || commonness((unsigned char)lit[i]) <
		                   commonness((unsigned char)lit[f->i2])))
			f->i2 = i;
}

#if defined(__SSE2__)
/* The first place in mask m (bit j: h[j..] may start lit) where lit
 * really starts, within h[0..n); 64 when none. */
static size_t lit_verify(const struct finder *f, const char *h, uint64_t m,
                         size_t n)
{
	size_t j;

	for (; m; m &= m - 1) {
		j = (size_t)__builtin_ctzll(m);
		if (j + f->litlen <= n && !memcmp(h + j, f->lit, f->litlen))
			return j;
	}
	return 64;
}

/* Bit j set when p1[j] and p2[j] are lit's bytes, for j < 16. */
#define LIT_MASK16(j) _mm_and_si128( \
	_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p1 + (j))), v1), \
	_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p2 + (j))), v2))
#endif

/* The first occurrence of f->lit in h[from..n), n when none. */
static size_t lit_find(const struct finder *f, const char *h, size_t n, size_t from)
{
	size_t i = from, k = f->litlen;
	const char *p;
#if defined(__SSE2__)
	const __m128i v1 = _mm_set1_epi8(f->lit[f->i1]), v2 = _mm_set1_epi8(f->lit[f->i2]);
	size_t far = (f->i1 > f->i2 ? f->i1 : f->i2) + 64, j;
	const char *p1, *p2, *stop;
	__m128i a, b, c, d;
	uint64_t m;

	if (i <= n && n - i >= far) {
		p1 = h + i + f->i1;
		p2 = h + i + f->i2;
		stop = p1 + (n - i - far);
		for (; p1 <= stop; p1 += 64, p2 += 64) {
			/* Fetching ahead, past page ends, keeps more loads in
			 * flight than the hardware's prefetcher alone (10-20%). */
			_mm_prefetch((const char *)(uintptr_t)((uintptr_t)p1 + AR_METRIC_PREFETCH),
			             _MM_HINT_T1);
			a = LIT_MASK16(0);
			b = LIT_MASK16(16);
			c = LIT_MASK16(32);
			d = LIT_MASK16(48);
			if (!_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(a, b), _mm_or_si128(c, d))))
				continue;
			m = (uint64_t)(unsigned)_mm_movemask_epi8(a) |
			    (uint64_t)(unsigned)_mm_movemask_epi8(b) << 16 |
			    (uint64_t)(unsigned)_mm_movemask_epi8(c) << 32 |
			    (uint64_t)(unsigned)_mm_movemask_epi8(d) << 48;
			i = (size_t)(p1 - h) - f->i1;
			j = lit_verify(f, h + i, m, n - i);
			if (j < 64)
				return i + j;
		}
		i = (size_t)(p1 - h) - f->i1;
	}
#endif
	for (; i <= n && n - i >= k; i++) { /* the tail, or no vectors */
		p = memchr(h + i + f->i1, f->lit[f->i1], n - k + 1 - i);
		if (!p)
			break;
		i = (size_t)(p - h) - f->i1;
		if (!memcmp(h + i, f->lit, k))
			return i;
	}
	return n;
}

static size_t blanks_before(const char *r, size_t p)
{
	while (p > 0 && (r[p - 1] == ' ' || r[p - 1] == '\t'))
		p--;
	return p;
}

/* The default convention (see default_pattern): the name at r[p] follows
 * only blanks from its line's start, or blanks, "METRIC" and blanks.  1
 * with the line's start in *ls, 0 when the line cannot match there. */
static int conv_line_start(const char *r, size_t p, size_t *ls)
{
	size_t q = blanks_before(r, p);

	if (q > 0 && r[q - 1] != '\n') {
		if (q == p || q < 6 || memcmp(r + q - 6, "METRIC", 6))
			return 0;
		q = blanks_before(r, q - 6);
		if (q > 0 && r[q - 1] != '\n')
			return 0;
	}
	*ls = q;
	return 1;
}

/* As region_last, running the regex only on the lines holding f->lit:
 * every match does (and lies within its line), so the answer is the same. */
static int region_last_lit(const struct finder *f, const char *r, size_t len,
                           struct span *last)
{
	size_t pos = 0, p, ls, le;
	int rc;

	while ((p = lit_find(f, r, len, pos)) < len) {
		if (!f->conv) {
			ls = line_start(r, p);
		} else if (!conv_line_start(r, p, &ls)) {
			pos = p + 1;
			continue;
		}
		le = line_end(r, len, p);
		rc = line_last(f->re, r, ls, le, ls, last);
		if (rc < 0 || le == len)
			return rc < 0 ? rc : 0;
		pos = le + 1;
	}
	return 0;
}

static int find_last(const struct finder *f, const char *r, size_t len,
                     struct span *last)
{
	return f->lit ? region_last_lit(f, r, len, last)
	              : region_last(f->re, r, len, last);
}

/* ---- reading the file ---- */

static int read_at(int fd, const char *path, char *buf, size_t n, uint64_t off)
{
	ssize_t got;
	size_t done = 0;

	while (done < n) {
		got = pread(fd, buf + done, n - done, (off_t)(off + done));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return ar_error_set(AR_ERROR, "cannot read %s: %s", path,
			                    strerror(errno));
		if (got == 0)
			return ar_error_set(AR_ERROR, "cannot read %s: it shrank while "
			                    "being read", path);
		done += (size_t)got;
	}
	return 0;
}

/*
 * Views of a file's bytes, a window at a time, for a backward scan: the
 * file is mapped once, and the page table is filled a piece of
 * AR_METRIC_MAP bytes at a time just below the window (one call instead of
 * a fault per 16 pages) and emptied above it (unmapped), so that what is
 * resident stays within a piece and a window.  Where mmap is refused,
 * windows are read into a buffer.  (A file truncated by someone else while
 * mapped would raise SIGBUS; reader_fill notices a truncation before it
 * maps, and logs are read after their run has ended.)
 */
struct reader {
	int fd;           /* borrowed */
	const char *path; /* borrowed, for messages */
	char *map;        /* owned: file[0..map_hi) mapped, NULL when not */
	uint64_t map_hi;  /* page-aligned: what was above is unmapped (and the
	                     addresses may hold anything now) */
	uint64_t fill_lo; /* the page table is filled from here to map_hi */
	char *buf;        /* owned: a block, when mmap was refused */
};

static uint64_t page_size(void)
{
	long n = sysconf(_SC_PAGESIZE);

	return n > 0 ? (uint64_t)n : 4096;
}

/* Views of the file (size > 0).  Cannot fail. */
static void reader_open(struct reader *rd, int fd, const char *path,
                        uint64_t size)
{
	void *m = MAP_FAILED;

	memset(rd, 0, sizeof(*rd));
	rd->fd = fd;
	rd->path = path;
	rd->map_hi = size + page_size() - 1;
	rd->map_hi -= rd->map_hi % page_size();
	rd->fill_lo = rd->map_hi;
	if (!tuning.no_mmap && (uint64_t)(size_t)size == size)
		m = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m != MAP_FAILED)
		rd->map = m;
	else
		rd->buf = ar_xmalloc(AR_METRIC_BLOCK);
}

/* Only file[0..map_hi) is still this reader's: the addresses above were
 * given back and may hold other mappings by now (another thread's heap),
 * which is why unmapping only ever cuts the mapping's top off. */
static void reader_release(struct reader *rd)
{
	if (rd->map && rd->map_hi > 0)
		munmap(rd->map, (size_t)rd->map_hi);
	rd->map = NULL;
	free(rd->buf);
	rd->buf = NULL;
}

/* Make file[start..end) resident: fill the page table from a piece below
 * end (or from start, if lower) up to what is filled already, and unmap
 * what is above end.  0, or negative when the file has shrunk below what
 * is mapped (touching those pages would raise SIGBUS). */
static int reader_fill(struct reader *rd, uint64_t start, uint64_t end)
{
	uint64_t page = page_size(), top, lo, fill_hi;

	top = end + page - 1;
	top -= top % page;
	lo = top > AR_METRIC_MAP ? top - AR_METRIC_MAP : 0;
	lo = start < lo ? start : lo;
	lo -= lo % page;
	/* Going on down from what is filled: only the new pages. */
	fill_hi = rd->fill_lo > lo && rd->fill_lo < top ? rd->fill_lo : top;
#ifdef MADV_POPULATE_READ
	/* Refused by kernels before 5.14 (EINVAL): then pages fault in. */
	if (madvise(rd->map + lo, (size_t)(fill_hi - lo), MADV_POPULATE_READ) < 0 &&
	    errno == EFAULT)
		return ar_error_set(AR_ERROR, "cannot read %s: it shrank while "
		                    "being read", rd->path);
#endif
	if (rd->map_hi > top) { /* off the top: see reader_release */
		munmap(rd->map + top, (size_t)(rd->map_hi - top));
		rd->map_hi = top;
	}
	rd->fill_lo = lo;
	return 0;
}

/* file[start..start+n), 0 < n <= a block, into *out: valid until the next
 * call.  Views go down the file (a later one never above an earlier one:
 * what is above is unmapped).  0 or negative. */
static int reader_view(struct reader *rd, uint64_t start, size_t n,
                       const char **out)
{
	if (rd->buf) {
		*out = rd->buf;
		return read_at(rd->fd, rd->path, rd->buf, n, start);
	}
	if (start < rd->fill_lo && reader_fill(rd, start, start + n) < 0)
		return AR_ERROR;
	*out = rd->map + start;
	return 0;
}

/* ---- the backward scan ---- */

/*
 * Handle the window w[0..n) = file[start..start+n) whose end is *end: find
 * its whole lines, search them, and move *end back to where the next
 * window must end.  *skipping is set while inside a line longer than a
 * block.  Returns 0 or negative; a match fills *hit.
 */
static int scan_window(const struct finder *f, const char *w, size_t n,
                       uint64_t start, uint64_t *end, int *skipping,
                       struct hit *hit)
{
	struct span last = { 0, 0, 0, 0 };
	const char *nl;
	size_t lo = 0;
	int rc;

	if (*skipping) { /* find where the over-long line begins */
		nl = w + n;
		while (nl > w && nl[-1] != '\n')
			nl--;
		*skipping = nl == w && start > 0;
		*end = start + (uint64_t)(nl - w);
		return 0;
	}
	if (start > 0) { /* drop the first line: it may be cut */
		nl = memchr(w, '\n', n - 1); /* w[n-1] ends the last line */
		if (!nl) { /* the last line alone fills the block */
			*skipping = 1;
			*end = start;
			return 0;
		}
		lo = (size_t)(nl - w) + 1;
	}
	*end = start + lo;
	rc = find_last(f, w + lo, n - lo, &last);
	if (rc < 0 || !last.found)
		return rc;
	hit->found = 1;
	hit->off = start + lo + last.ms;
	hit->len = last.ge - last.gs;
	hit->text = ar_xstrndup(w + lo + last.gs, hit->len);
	return 0;
}

/* What scanning a part of the file found. */
struct outcome {
	int rc;        /* 1 a match (hit), 0 none, negative an error (errmsg) */
	struct hit hit; /* text owned */
	char *errmsg;  /* owned: the error, set again on the caller's thread */
};

/*
 * The last match in the lines of file[lo..hi), where lo is 0 or the start
 * of a line and hi the end of the file or of a line, backwards a window at
 * a time into *o.  Past lo > 0 the window may reach back to the newline
 * before it, so that lines are dropped and skipped exactly as in a scan
 * of the whole file.  Stops early, as if nothing was found, once *done
 * (when given) is above `self`.
 */
static void scan_range(const struct finder *f, struct reader *rd, uint64_t lo,
                       uint64_t hi, const atomic_long *done, long self,
                       struct outcome *o)
{
	uint64_t floor = lo > 0 ? lo - 1 : 0, end = hi, start;
	const char *w;
	int skipping = 0;

	o->rc = 0;
	while (end > lo && !o->hit.found && o->rc == 0) {
		if (done && atomic_load(done) > self)
			return;
		start = end - floor > AR_METRIC_BLOCK ? end - AR_METRIC_BLOCK : floor;
		o->rc = reader_view(rd, start, (size_t)(end - start), &w);
		if (o->rc == 0)
			o->rc = scan_window(f, w, (size_t)(end - start), start, &end,
			                    &skipping, &o->hit);
	}
	o->rc = o->rc < 0 ? o->rc : o->hit.found;
}

/*
 * A big log is scanned in chunks of about csize bytes by several threads
 * at once, each taking the highest chunk not yet taken: the answer is that
 * of the highest chunk with one (a match or an error), as a scan from the
 * end would find it, and no chunk below an answer is started.  Chunk k is
 * the lines of file[cut(k)..cut(k+1)), cut(k) being the first line start in
 * [k*csize, k*csize + AR_METRIC_CUT_LOOK), or else cut(k+1): all threads
 * agree on it, and a long line only merges two chunks.
 */
struct chunks {
	const struct finder *f;
	int fd;
	const char *path;
	uint64_t size, csize;
	long n;                  /* chunks */
	atomic_long next;        /* chunks [0, next) are not taken yet */
	atomic_long done;        /* the highest chunk with an answer, or -1 */
	_Atomic uint64_t *cuts;  /* cuts[k] once known, else UINT64_MAX */
	struct outcome *out;     /* out[k]: chunk k's, written by its thread */
};

/* cut(k), described above: file offsets, the line starts found through
 * cuts[] (each look done once in all). */
static uint64_t chunk_cut(struct chunks *c, long k)
{
	char buf[AR_METRIC_CUT_LOOK];
	uint64_t at, cut = c->size;
	const char *nl;
	long j;
	size_t n;

	if (k == 0)
		return 0;
	for (j = k; j < c->n && cut == c->size; j++) {
		if ((cut = atomic_load(&c->cuts[j])) != UINT64_MAX)
			break;
		cut = c->size;
		at = (uint64_t)j * c->csize - 1; /* a newline there: a start at j*csize */
		n = c->size - at < sizeof(buf) ? (size_t)(c->size - at) : sizeof(buf);
		if (read_at(c->fd, c->path, buf, n, at) < 0)
			ar_error_clear(); /* the scan meets the error again */
		else if ((nl = memchr(buf, '\n', n)))
			cut = at + (uint64_t)(nl - buf) + 1;
	}
	while (j > k)
		atomic_store(&c->cuts[--j], cut);
	return cut;
}

/* The highest chunk not yet taken and not below an answer; -1 when none. */
static long chunk_take(struct chunks *c)
{
	long k = atomic_load(&c->next);

	do {
		if (k == 0 || k - 1 < atomic_load(&c->done))
			return -1;
	} while (!atomic_compare_exchange_weak(&c->next, &k, k - 1));
	return k - 1;
}

/* One scanning thread: chunk after chunk. */
static void *chunks_run(void *arg)
{
	struct chunks *c = arg;
	struct reader rd;
	struct outcome *o;
	long k, d;

	reader_open(&rd, c->fd, c->path, c->size);
	while ((k = chunk_take(c)) >= 0) {
		o = &c->out[k];
		scan_range(c->f, &rd, chunk_cut(c, k), chunk_cut(c, k + 1), &c->done,
		           k, o);
		if (o->rc < 0)
			o->errmsg = ar_xstrdup(ar_error_last());
		d = atomic_load(&c->done);
		while (o->rc != 0 && d < k &&
		       !atomic_compare_exchange_weak(&c->done, &d, k))
			;
	}
	reader_release(&rd);
	return NULL;
}

/* Scan in chunks with up to `threads` threads; the answer into *o. */
static void scan_chunks(const struct finder *f, int fd, const char *path,
                        uint64_t size, long threads, struct outcome *o)
{
	struct chunks c = { f, fd, path, size, tuning.chunk, 0, 0, -1, NULL, NULL };
	pthread_t tid[AR_METRIC_THREADS];
	int started[AR_METRIC_THREADS] = { 0 };
	long k;

	if (size / c.csize > AR_METRIC_CHUNKS_MAX) /* few chunks of a huge log */
		c.csize = size / AR_METRIC_CHUNKS_MAX + 1;
	c.n = (long)((size + c.csize - 1) / c.csize);
	atomic_store(&c.next, c.n);
	c.cuts = ar_xmalloc((size_t)c.n * sizeof(*c.cuts));
	for (k = 0; k < c.n; k++)
		atomic_store(&c.cuts[k], UINT64_MAX);
	c.out = ar_xcalloc((size_t)c.n, sizeof(*c.out));
	for (k = 1; k < threads && k < AR_METRIC_THREADS; k++)
		started[k] = pthread_create(&tid[k], NULL, chunks_run, &c) == 0;
	chunks_run(&c);
	for (k = 1; k < AR_METRIC_THREADS; k++)
		if (started[k])
			pthread_join(tid[k], NULL);
	for (k = c.n - 1; k >= 0 && c.out[k].rc == 0; k--)
		;
	if (k >= 0) { /* the answer: take it over */
		*o = c.out[k];
		c.out[k] = (struct outcome){ 0, { 0, 0, NULL, 0 }, NULL };
	}
	if (o->rc < 0) /* from its thread */
		ar_error_set(o->rc, "%s", o->errmsg);
	for (k = 0; k < c.n; k++) {
		free(c.out[k].hit.text);
		free(c.out[k].errmsg);
	}
	free(c.out);
	free((void *)c.cuts);
}

/* The last match of f in the file, into *o (o->hit.text for the caller). */
static void scan_file(const char *path, const struct finder *f, struct outcome *o)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	struct reader rd;
	struct stat st;
	int fd;

	/* O_NONBLOCK: opening a FIFO must not hang; it is refused below. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		o->rc = ar_error_set(AR_ERROR, "cannot open %s: %s", path,
		                     strerror(errno));
		return;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		o->rc = ar_error_set(AR_ERROR, "cannot read %s: not a regular file", path);
	} else if (st.st_size == 0) {
		o->rc = 0;
	} else if ((uint64_t)st.st_size >= tuning.split_min &&
	           (cpus > 1 || tuning.split_min != AR_METRIC_SPLIT)) {
		scan_chunks(f, fd, path, (uint64_t)st.st_size, cpus, o);
	} else {
		reader_open(&rd, fd, path, (uint64_t)st.st_size);
		scan_range(f, &rd, 0, (uint64_t)st.st_size, NULL, 0, o);
		reader_release(&rd);
	}
	close(fd);
}

/* "run.log line 12" or, far into a big file, "run.log byte 123456789";
 * caller frees. */
static char *describe_place(const char *path, uint64_t off)
{
	uint64_t pos = 0, line = 1;
	char *buf = NULL, *p;
	int fd = -1;
	size_t n;

	if (off > AR_METRIC_LINE_COUNT_MAX ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		goto out;
	buf = ar_xmalloc(AR_METRIC_BLOCK);
	while (pos < off) {
		n = off - pos < AR_METRIC_BLOCK ? (size_t)(off - pos) : AR_METRIC_BLOCK;
		if (read_at(fd, path, buf, n, pos) < 0)
			goto out;
		for (p = buf; (p = memchr(p, '\n', n - (size_t)(p - buf))); p++)
			line++;
		pos += n;
	}
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	if (fd < 0 || pos < off)
		return ar_xprintf("%s byte %llu", path, (unsigned long long)off);
	return ar_xprintf("%s line %llu", path, (unsigned long long)line);
}

/* Matched text for a message: at most 60 bytes, unprintables as '?'. */
static char *printable(const char *s, size_t len)
{
	size_t n = len > 60 ? 60 : len, i;
	char *p = ar_xmalloc(n + 4);

	for (i = 0; i < n; i++)
		p[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
	strcpy(p + n, len > n ? "..." : "");
	return p;
}

/* The value of the last match of f in path.  1 with *out set, 0 when
 * nothing matches, negative on error.  `what` names the metric in
 * messages ("'val_bpb'"). */
static int log_value(const char *path, const struct finder *f,
                     const char *what, double *out)
{
	struct outcome o = { 0, { 0, 0, NULL, 0 }, NULL };
	char *shown = NULL, *place = NULL;
	struct hit *hit = &o.hit;
	int rc;

	scan_file(path, f, &o);
	rc = o.rc;
	if (rc <= 0)
		goto out;
	if (memchr(hit->text, '\0', hit->len) || ar_parse_double(hit->text, out) < 0) {
		shown = printable(hit->text, hit->len);
		place = describe_place(path, hit->off);
		rc = ar_error_set(AR_ERROR, "metric %s is not a finite number: '%s' (%s)",
		                  what, shown, place);
	}
out:
	free(hit->text);
	free(o.errmsg);
	free(shown);
	free(place);
	return rc;
}

int ar_metric_from_log(const char *path, const ar_regex *re, double *out)
{
	struct finder f = { re, NULL, 0, 0, 0, 0 };
	char *what = ar_xprintf("matched by '%s'", ar_regex_pattern(re));
	size_t len;
	const char *lit = ar_regex_literal(re, &len);
	int rc;

	if (lit && len >= AR_METRIC_LIT_MIN && !tuning.no_literal)
		finder_set_literal(&f, lit, len);
	rc = log_value(path, &f, what, out);

	free(what);
	if (rc == 0)
		return ar_error_set(AR_ENOTFOUND, "no line matching '%s' in %s",
		                    ar_regex_pattern(re), path);
	return rc < 0 ? rc : 0;
}

int ar_metric_from_log_pattern(const char *path, const char *pattern, double *out)
{
	ar_regex *re = NULL;
	int rc = ar_regex_compile(&re, pattern);

	if (rc == 0)
		rc = ar_metric_from_log(path, re, out);
	ar_regex_free(re);
	return rc;
}

/*
 * A number-looking token for the default conventions: it starts like a
 * number (or nan/inf, so a diverged run is reported, not skipped) and runs
 * to the next space or punctuation; the strict parse judges it.
 */
#define AR_NUMBER_TOKEN "([-+]?(?:[0-9.][0-9A-Za-z.+-]*|(?i:nan|inf)[A-Za-z]*))" \
	"(?=[\\s,;)\\]]|$)"

/* `name: <number>` or `METRIC name=<number>`, one regex (a branch reset
 * makes both numbers group 1), so the later line wins.  Caller frees. */
static char *default_pattern(const char *name)
{
	ar_buf b = AR_BUF_INIT;
	ar_buf q = AR_BUF_INIT;
	const char *p;

	for (p = name; *p; p++) {
		if (ispunct((unsigned char)*p) || *p == ' ')
			ar_buf_addch(&q, '\\');
		ar_buf_addch(&q, *p);
	}
	ar_buf_printf(&b, "^[ \\t]*(?|%s[ \\t]*:[ \\t]*%s|METRIC[ \\t]+%s=%s)",
	              ar_buf_cstr(&q), AR_NUMBER_TOKEN, ar_buf_cstr(&q),
	              AR_NUMBER_TOKEN);
	ar_buf_release(&q);
	return ar_buf_detach(&b);
}

int ar_metric_from_log_default(const char *path, const char *name, double *out)
{
	struct finder f = { NULL, NULL, 0, 1, 0, 0 };
	char *pattern = NULL, *what = NULL;
	ar_regex *re = NULL;
	int rc;

	if (!name || !*name)
		return ar_error_set(AR_EUSAGE, "no metric name given; set metric.name");
	pattern = default_pattern(name);
	rc = ar_regex_compile(&re, pattern);
	if (rc < 0)
		goto out;
	what = ar_xprintf("'%s'", name);
	f.re = re;
	/* Every match holds the name, after only blanks or METRIC: the lines
	 * without it there are not tried (conv_line_start, whose walks back
	 * over blanks stay linear only for a name not starting with one). */
	if (strlen(name) >= AR_METRIC_LIT_MIN && !strchr(name, '\n') &&
	    name[0] != ' ' && name[0] != '\t' && !tuning.no_literal)
		finder_set_literal(&f, name, strlen(name));
	rc = log_value(path, &f, what, out);
	if (rc == 0)
		rc = ar_error_set(AR_ENOTFOUND, "no line '%s: <number>' or "
		                  "'METRIC %s=<number>' in %s", name, name, path);
	else if (rc > 0)
		rc = 0;
out:
	ar_regex_free(re);
	free(pattern);
	free(what);
	return rc;
}

/* ---- numbers in a command's output ---- */

static int word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Length of the number token starting at t[i] (a sign, digits with an
 * optional fraction, an optional exponent), 0 when none starts there.
 * Digits inside a word ("v1", "x86") are not numbers. */
static size_t number_at(const char *t, size_t len, size_t i)
{
	size_t j = i, k, digits = 0;

	if (i > 0 && (word_char(t[i - 1]) || t[i - 1] == '.'))
		return 0;
	if (j < len && (t[j] == '-' || t[j] == '+'))
		j++;
	for (; j < len && isdigit((unsigned char)t[j]); j++)
		digits++;
	if (j < len && t[j] == '.') {
		for (k = j + 1; k < len && isdigit((unsigned char)t[k]); k++)
			digits++;
		if (digits)
			j = k;
	}
	if (!digits)
		return 0;
	if (j < len && (t[j] == 'e' || t[j] == 'E')) {
		k = j + 1;
		if (k < len && (t[k] == '-' || t[k] == '+'))
			k++;
		if (k < len && isdigit((unsigned char)t[k])) {
			while (k < len && isdigit((unsigned char)t[k]))
				k++;
			j = k;
		}
	}
	return j - i;
}

/* The last number token in t[0..len): 1 with *at and *n set, else 0. */
static int last_number(const char *t, size_t len, size_t *at, size_t *n)
{
	size_t i = 0, m;
	int found = 0;

	while (i < len) {
		m = number_at(t, len, i);
		if (!m) {
			i++;
			continue;
		}
		*at = i;
		*n = m;
		found = 1;
		i += m;
	}
	return found;
}

struct pytest {
	long passed, failed, errors;
	int counts;    /* how many "<n> <word>" counts the line has */
	int last_kind; /* what the line's last number was: 0 other, 1 count or duration */
};

/* When t[i..i+n) is "<digits>" followed by " <pytest word>", add it. */
static int pytest_count(const char *t, size_t len, size_t i, size_t n,
                        struct pytest *pt)
{
	static const char *const words[] = { "passed", "failed", "error", "errors",
		"skipped", "deselected", "xfailed", "xpassed", "warning", "warnings",
		"rerun" };
	size_t j = i + n, k, w;
	long v;

	if (n > 9 || !isdigit((unsigned char)t[i]) || j >= len || t[j] != ' ')
		return 0;
	for (k = j + 1; k < len && word_char(t[k]); k++)
		;
	for (w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
		if (k - j - 1 != strlen(words[w]) || memcmp(t + j + 1, words[w], k - j - 1))
			continue;
		v = strtol(t + i, NULL, 10);
		if (w == 0)
			pt->passed += v;
		else if (w == 1)
			pt->failed += v;
		else if (w <= 3)
			pt->errors += v;
		pt->counts++;
		return 1;
	}
	return 0;
}

/* Is line t[0..len) a pytest summary ("3 failed, 12 passed in 0.5s")?
 * It is when it has counts and its last number is a count or the
 * duration after "in ", so "found 3 errors, score 0.7" is not. */
static int pytest_line(const char *t, size_t len, struct pytest *pt)
{
	size_t i = 0, n;

	memset(pt, 0, sizeof(*pt));
	while (i < len) {
		n = number_at(t, len, i);
		if (!n) {
			i++;
			continue;
		}
		pt->last_kind = pytest_count(t, len, i, n, pt) ||
		                (i >= 3 && !memcmp(t + i - 3, "in ", 3));
		i += n;
	}
	return pt->counts > 0 && pt->last_kind;
}

static int contains(const char *t, size_t len, const char *s)
{
	size_t n = strlen(s), i;

	for (i = 0; i + n <= len; i++)
		if (!memcmp(t + i, s, n))
			return 1;
	return 0;
}

/* The pytest answer from a summary line. */
static int pytest_value(const struct pytest *pt, int want_rate, double *out)
{
	long total = pt->passed + pt->failed + pt->errors;

	if (!want_rate) {
		*out = (double)pt->passed;
		return 0;
	}
	if (total == 0)
		return ar_error_set(AR_ERROR, "the test summary counts no passed, failed "
		                    "or errored tests, so there is no pass rate");
	*out = (double)pt->passed / (double)total;
	return 0;
}

int ar_metric_from_text(const char *text, size_t len, int want_rate, double *out)
{
	size_t at = 0, n = 0, ls, le;
	struct pytest pt;
	char *tok;
	int rc = 0;

	if (!text || !last_number(text, len, &at, &n))
		return ar_error_set(AR_ENOTFOUND, "no number in the output");
	ls = line_start(text, at);
	le = line_end(text, len, at);
	if (contains(text + ls, le - ls, "no tests ran"))
		return ar_error_set(AR_ERROR, "the output says 'no tests ran'; "
		                    "check the test command");
	if (pytest_line(text + ls, le - ls, &pt))
		return pytest_value(&pt, want_rate, out);
	tok = ar_xstrndup(text + at, n);
	if (ar_parse_double(tok, out) < 0)
		rc = ar_error_set(AR_ERROR, "the last number in the output, '%s', is "
		                  "out of range", tok);
	free(tok);
	return rc;
}
