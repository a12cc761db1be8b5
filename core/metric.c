/*
 * metric.c - reading a run's number out of its log or a command's output.
 *
 * A log is scanned from its end backwards in blocks of AR_METRIC_BLOCK
 * bytes, so finding the last match in a 1 GiB log reads only its tail and
 * memory stays at one block.  Only whole lines are matched: each window
 * drops its first (possibly cut) line, which the next window, ending where
 * that line ends, sees whole.  A line longer than a block cannot be seen
 * whole and is skipped.  A regex match must lie within one line: a match
 * the block search finds running over a newline is retried on its line
 * alone.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "metric.h"
#include "util.h"

#define AR_METRIC_BLOCK ((size_t)1 << 20)
/* Past this offset an error names the byte offset, not the line number
 * (counting lines would read the whole prefix of the file). */
#define AR_METRIC_LINE_COUNT_MAX ((uint64_t)256 << 20)

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
 * Handle the window w[0..n) = file[start..start+n) whose end is *end: find
 * its whole lines, search them, and move *end back to where the next
 * window must end.  *skipping is set while inside a line longer than a
 * block.  Returns 0 or negative; a match fills *hit.
 */
static int scan_window(const ar_regex *re, const char *w, size_t n,
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
	rc = region_last(re, w + lo, n - lo, &last);
	if (rc < 0 || !last.found)
		return rc;
	hit->found = 1;
	hit->off = start + lo + last.ms;
	hit->len = last.ge - last.gs;
	hit->text = ar_xstrndup(w + lo + last.gs, hit->len);
	return 0;
}

/* The last match of re in the file.  1 found (*hit filled, caller frees
 * hit->text), 0 none, negative on error. */
static int scan_file(const char *path, const ar_regex *re, struct hit *hit)
{
	uint64_t end, start;
	struct stat st;
	int fd, rc = 0, skipping = 0;
	char *w = NULL;

	/* O_NONBLOCK: opening a FIFO must not hang; it is refused below. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return ar_error_set(AR_ERROR, "cannot open %s: %s", path,
		                    strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = ar_error_set(AR_ERROR, "cannot read %s: not a regular file", path);
		goto out;
	}
	w = ar_xmalloc(AR_METRIC_BLOCK);
	end = (uint64_t)st.st_size;
	while (end > 0 && !hit->found) {
		start = end > AR_METRIC_BLOCK ? end - AR_METRIC_BLOCK : 0;
		rc = read_at(fd, path, w, (size_t)(end - start), start);
		if (rc < 0)
			goto out;
		rc = scan_window(re, w, (size_t)(end - start), start, &end,
		                 &skipping, hit);
		if (rc < 0)
			goto out;
	}
	rc = hit->found;
out:
	free(w);
	close(fd);
	return rc;
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

/* The value of the last match of re in path.  1 with *out set, 0 when
 * nothing matches, negative on error.  `what` names the metric in
 * messages ("'val_bpb'"). */
static int log_value(const char *path, const ar_regex *re, const char *what,
                     double *out)
{
	struct hit hit = { 0, 0, NULL, 0 };
	char *shown = NULL, *place = NULL;
	int rc;

	rc = scan_file(path, re, &hit);
	if (rc <= 0)
		goto out;
	if (memchr(hit.text, '\0', hit.len) || ar_parse_double(hit.text, out) < 0) {
		shown = printable(hit.text, hit.len);
		place = describe_place(path, hit.off);
		rc = ar_error_set(AR_ERROR, "metric %s is not a finite number: '%s' (%s)",
		                  what, shown, place);
	}
out:
	free(hit.text);
	free(shown);
	free(place);
	return rc;
}

int ar_metric_from_log(const char *path, const ar_regex *re, double *out)
{
	char *what = ar_xprintf("matched by '%s'", ar_regex_pattern(re));
	int rc = log_value(path, re, what, out);

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
	rc = log_value(path, re, what, out);
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
