/*
 * test_report.c - the reporting commands (`ar status`, `ar results`,
 * `ar show`, `ar analyze`, `ar plot`) through the real `ar` binary: on a
 * real session made with `ar init`/`ar baseline`/`ar step` in a real git
 * repository, and on ledgers written directly (malformed, empty, missing,
 * 100,000 experiments).  The real `git` CLI is the oracle for what
 * `ar show --apply` did; headless Chromium renders the chart.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "testutil.h"
#include "../fixtures/engine/engine_tu.h"

/*
 * train.sh: the score is 100 - DEPTH + LR (lower is better), with the two
 * constants far enough apart that a change to one applies over a change to
 * the other.
 */
static const char *train(int lr, int depth, int crash)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "LR=%d\n# 1\n# 2\n# 3\n# 4\n# 5\n# 6\n# 7\nDEPTH=%d\n%s"
	         "echo \"score: $((100 - DEPTH + LR))\"\necho done training\n", lr, depth,
	         crash ? "exit 3\n" : "");
	return buf;
}

static void step(const char *dir, int lr, int depth, int crash, const char *desc,
                 const char *want)
{
	char *out;

	tu_write(dir, "train.sh", train(lr, depth, crash));
	out = eng_ok(dir, "step -m '%s'", desc);
	if (!tu_contains(out, want))
		fail_msg("step '%s': expected '%s' in: %s", desc, want, out);
	free(out);
}

/*
 * The shared session (made once): #1 baseline 96, #2 keep 94 (DEPTH 10),
 * #3 discard 98 (LR 8), #4 crash, #5 keep 92 (DEPTH 12).
 */
static char *made;

static int make_session(void **state)
{
	(void)state;
	made = eng_repo(ENG_YAML "max_experiments: 20\n", train(4, 8, 0));
	eng_init(made, "rep");
	free(eng_ok(made, "baseline"));
	step(made, 4, 10, 0, "increase DEPTH from 8 to 10", " keep ");
	step(made, 8, 10, 0, "increase LR 4 -> 8", " discard ");
	step(made, 4, 10, 1, "add an early exit", " crash ");
	step(made, 4, 12, 0, "tune DEPTH 10 -> 12", " keep ");
	return 0;
}

static int remove_session(void **state)
{
	(void)state;
	tu_rm_rf(made);
	free(made);
	return 0;
}

/* A copy of the session for a test that changes it; caller removes it. */
static char *copy_session(void)
{
	char *dir = tu_tmpdir();

	assert_int_equal(tu_sh("cp -a '%s/.' '%s/'", made, dir), 0);
	return dir;
}

static char *commit_of(const char *dir, long n)
{
	json_t *r = eng_results(dir);
	char *c = ar_xstrdup(eng_jstr(eng_find(r, n), "commit"));
	json_decref(r);
	return c;
}

/* ---- ar status --------------------------------------------------------------- */

static void test_status(void **state)
{
	char *out = eng_ok(made, "status"), *c2 = commit_of(made, 5), *want, *dash;
	(void)state;

	assert_true(tu_contains(out, "autoresearch rep  (branch autoresearch/rep)"));
	assert_true(tu_contains(out, "adapter      custom"));
	assert_true(tu_contains(out, "target       train.sh"));
	assert_true(tu_contains(out, "metric       score (lower is better)"));
	assert_true(tu_contains(out, "experiments  4 / 20  "));
	assert_true(tu_contains(out, "20%"));
	assert_true(tu_contains(out, "baseline     96.000000  (#1)"));
	want = ar_xprintf("best         92.000000  (#5, commit %.7s: tune DEPTH 10 -> 12)", c2);
	assert_true(tu_contains(out, want));
	assert_true(tu_contains(out, "improvement  4.000000 (4.17%) better than the baseline"));
	assert_true(tu_contains(out, "running best "));
	assert_true(tu_contains(out, "96.000000 -> 92.000000"));
	assert_true(tu_contains(out, "last 5 of 5"));
	assert_true(tu_contains(out, "crash            add an early exit"));
	assert_true(tu_contains(out, "discard          increase LR 4 -> 8"));
	assert_true(tu_contains(out, "keep                   2   40.0%"));
	assert_true(tu_contains(out, "crash                  1   20.0%"));
	/* Not a terminal: no colour. */
	assert_false(tu_contains(out, "\033["));
	/* The dashboard file has the same numbers. */
	dash = tu_read(made, "autoresearch_dashboard.md");
	assert_true(tu_contains(dash, "**Improvement:** 4.000000 (4.17%)"));
	assert_true(tu_contains(dash, "**Best:** 92.000000 (#5"));
	assert_true(tu_contains(dash, "**Experiments:** 5 (baseline 1, keep 2, discard 1, crash 1)"));
	free(dash);
	free(want);
	free(c2);
	free(out);
}

/* On a terminal (a pty from script(1)) there is colour, unless NO_COLOR. */
static void test_status_colour(void **state)
{
	char *out = NULL;
	(void)state;

	if (tu_sh("command -v script >/dev/null") != 0)
		skip();
	assert_int_equal(tu_sh_out(&out, "TERM=xterm script -qec \"'%s' -C '%s' status\" /dev/null",
	                           tu_env("AR_BIN"), made), 0);
	assert_true(tu_contains(out, "\033[32m"));
	assert_true(tu_contains(out, "experiments  4 / 20"));
	free(out);
	assert_int_equal(tu_sh_out(&out, "NO_COLOR=1 TERM=xterm script -qec \"'%s' -C '%s' "
	                           "status\" /dev/null", tu_env("AR_BIN"), made), 0);
	assert_false(tu_contains(out, "\033["));
	assert_true(tu_contains(out, "experiments  4 / 20"));
	free(out);
}

/* ---- ar results ---------------------------------------------------------------- */

static size_t lines_of(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_results(void **state)
{
	char *out = eng_ok(made, "results"), *err = NULL;
	json_t *o;
	(void)state;

	assert_true(tu_contains(out, "     #  commit   score      delta       status"));
	assert_true(tu_contains(out, "  96.000000  -           baseline"));
	assert_true(tu_contains(out, "  94.000000  -2.000000   keep"));
	assert_true(tu_contains(out, "  98.000000  +4.000000   discard"));
	assert_true(tu_contains(out, "increase DEPTH from 8 to 10\n"));
	assert_int_equal(lines_of(out), 6);
	free(out);
	/* JSON Lines: the ledger's records, one per line. */
	out = eng_ok(made, "results --json");
	assert_int_equal(lines_of(out), 5);
	char *save = NULL, *line = strtok_r(out, "\n", &save);
	for (long n = 1; line; line = strtok_r(NULL, "\n", &save), n++) {
		assert_non_null(o = json_loads(line, 0, NULL));
		assert_int_equal(json_integer_value(json_object_get(o, "iteration")), n);
		json_decref(o);
	}
	free(out);
	out = eng_ok(made, "results --json --status keep");
	assert_int_equal(lines_of(out), 2);
	free(out);
	out = eng_ok(made, "results --status keep,crash");
	assert_int_equal(lines_of(out), 4);
	assert_true(tu_contains(out, "add an early exit"));
	free(out);
	out = eng_ok(made, "results -s discard --status=baseline");
	assert_int_equal(lines_of(out), 3);
	free(out);
	assert_int_equal(eng_ar(made, &out, &err, "results --status kept"), 2);
	assert_true(tu_contains(err, "unknown status 'kept'; statuses are: baseline, keep"));
	free(out);
	free(err);
	assert_int_equal(eng_ar(made, &out, &err, "results extra"), 2);
	free(out);
	free(err);
}

/* ---- ar show --------------------------------------------------------------------- */

static void test_show(void **state)
{
	char *out = eng_ok(made, "show 3"), *err = NULL;
	(void)state;

	assert_true(tu_contains(out, "experiment #3 of 5  discard"));
	assert_true(tu_contains(out, "description  increase LR 4 -> 8"));
	assert_true(tu_contains(out, "score        98.000000  (+4.000000 against the best before it)"));
	assert_true(tu_contains(out, "duration     "));
	assert_true(tu_contains(out, "memory       "));
	assert_true(tu_contains(out, "diff against its parent"));
	assert_true(tu_contains(out, "-LR=4\n+LR=8\n"));
	assert_true(tu_contains(out, "log .autoresearch/logs/3.log (last 20 lines):\nscore: 98\n"
	                             "done training\n"));
	free(out);
	/* A crash: its reason, its diff, its log. */
	out = eng_ok(made, "show '#4' --log-lines 1");
	assert_true(tu_contains(out, "crash"));
	assert_true(tu_contains(out, "reason       "));
	assert_true(tu_contains(out, "+exit 3\n"));
	assert_true(tu_contains(out, "(last 1 lines):\n"));
	free(out);
	out = eng_ok(made, "show 1");
	assert_true(tu_contains(out, "the baseline: the unmodified code at commit"));
	free(out);
	/* Bad numbers. */
	assert_int_equal(eng_ar(made, &out, &err, "show 9"), 1);
	assert_true(tu_contains(err, "experiment #9 does not exist; experiments are 1..5"));
	free(out);
	free(err);
	assert_int_equal(eng_ar(made, &out, &err, "show x3"), 2);
	assert_true(tu_contains(err, "'x3' is not an experiment number"));
	free(out);
	free(err);
	assert_int_equal(eng_ar(made, &out, &err, "show"), 2);
	assert_true(tu_contains(err, "which experiment?"));
	free(out);
	free(err);
}

static void test_show_apply(void **state)
{
	char *dir = copy_session(), *head = eng_head(dir), *out = NULL, *err = NULL, *t, *h2;
	(void)state;

	/* #3 (LR 4 -> 8) over the current best (DEPTH 12): both changes. */
	out = eng_ok(dir, "show 3 --apply");
	assert_true(tu_contains(out, "applied experiment #3's change, uncommitted:\n    train.sh\n"));
	free(out);
	t = tu_read(dir, "train.sh");
	assert_true(tu_contains(t, "LR=8\n"));
	assert_true(tu_contains(t, "DEPTH=12\n"));
	free(t);
	h2 = eng_head(dir);
	eng_assert_str(h2, head); /* nothing committed */
	free(h2);
	out = eng_git(dir, "diff --cached --name-only");
	eng_assert_str(out, ""); /* the index did not move */
	free(out);
	out = eng_git(dir, "status --porcelain --untracked-files=no");
	eng_assert_str(out, " M train.sh");
	free(out);
	/* Again: refused, the target file has uncommitted changes. */
	assert_int_equal(eng_ar(dir, &out, &err, "show 3 --apply"), 1);
	assert_true(tu_contains(err, "the target files have uncommitted changes (train.sh)"));
	free(out);
	free(err);
	/* It can be recorded as an experiment. */
	out = eng_ok(dir, "step -m 'retry #3'");
	assert_true(tu_contains(out, " discard retry #3"));
	free(out);
	/* #2's change is already in (DEPTH 8 -> 10, now 12): it does not apply,
	 * and nothing is written. */
	assert_int_equal(eng_ar(dir, &out, &err, "show 2 --apply"), 1);
	assert_true(tu_contains(err, "experiment #2's change does not apply on top of the "
	                             "current code"));
	free(out);
	free(err);
	out = eng_git(dir, "status --porcelain --untracked-files=no");
	eng_assert_str(out, "");
	free(out);
	/* The baseline changed nothing. */
	assert_int_equal(eng_ar(dir, &out, &err, "show 1 --apply"), 2);
	assert_true(tu_contains(err, "is the baseline"));
	free(out);
	free(err);
	free(head);
	tu_rm_rf(dir);
	free(dir);
}

/* ---- ar analyze, ar plot ------------------------------------------------------------ */

static void test_analyze(void **state)
{
	char *dir = copy_session(), *out = eng_ok(dir, "analyze"), *md;
	(void)state;

	assert_true(tu_contains(out, "autoresearch-rep-analysis.md (5 experiments)"));
	free(out);
	md = tu_read(dir, "autoresearch-rep-analysis.md");
	assert_non_null(md);
	assert_true(tu_contains(md, "# autoresearch rep: analysis"));
	assert_true(tu_contains(md, "- Baseline -> best: 96.000000 -> 92.000000, better by "
	                            "4.000000 (4.17%)"));
	assert_true(tu_contains(md, "- **DEPTH**: 2 of 2 kept, together +4.000000 (+4.17%)"));
	assert_true(tu_contains(md, "| LR | 1 | 0 | 1 | 0 | #3 (-4.000000) |"));
	assert_true(tu_contains(md, "- crash: "));
	assert_true(tu_contains(md, "## Progression of the best"));
	assert_true(tu_contains(md, "## Recommendations"));
	free(md);
	/* -o - prints it. */
	out = eng_ok(dir, "analyze -o -");
	assert_true(tu_contains(out, "## What worked"));
	free(out);
	tu_rm_rf(dir);
	free(dir);
}

static void test_plot(void **state)
{
	char *dir = copy_session(), *out = eng_ok(dir, "plot"), *svg;
	(void)state;

	assert_true(tu_contains(out, "progress.svg (5 experiments, 2 kept)"));
	free(out);
	svg = tu_read(dir, "progress.svg");
	assert_true(tu_contains(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
	assert_true(tu_contains(svg, ">5 experiments, 2 kept</text>"));
	assert_true(tu_contains(svg, "score (lower is better)"));
	assert_true(tu_contains(svg, ">tune DEPTH 10 -&gt; 12</text>"));
	assert_true(tu_contains(svg, "stroke=\"#d93025\"")); /* the crash */
	assert_true(tu_contains(svg, "</svg>\n"));
	free(svg);
	out = eng_ok(dir, "plot -o '%s/other.svg'", dir);
	assert_true(tu_exists(dir, "other.svg"));
	free(out);
	tu_rm_rf(dir);
	free(dir);
}

/* The chart rendered by headless Chromium is a real picture: a PNG of the
 * window's size with many colours. */
static void test_plot_renders(void **state)
{
	char *dir = tu_tmpdir(), *out = NULL, *chromium = NULL;
	(void)state;

	if (tu_sh_out(&chromium, "command -v chromium || command -v chromium-browser || "
	              "command -v google-chrome") != 0) {
		print_message("skipped: chromium is not installed (scripts/deps.sh --tests "
		              "installs it)\n");
		free(chromium);
		tu_rm_rf(dir);
		free(dir);
		skip();
	}
	chromium[strcspn(chromium, "\n")] = '\0';
	free(eng_ok(made, "plot -o '%s/p.svg'", dir));
	tu_write(dir, "png.py",
	         "import struct, sys, zlib\n"
	         "d = open(sys.argv[1], 'rb').read()\n"
	         "assert d[:8] == b'\\x89PNG\\r\\n\\x1a\\n', 'not a PNG'\n"
	         "pos, idat = 8, b''\n"
	         "while pos < len(d):\n"
	         "    n, t = struct.unpack('>I4s', d[pos:pos + 8])\n"
	         "    if t == b'IHDR': w, h = struct.unpack('>II', d[pos + 8:pos + 16])\n"
	         "    if t == b'IDAT': idat += d[pos + 8:pos + 8 + n]\n"
	         "    pos += 12 + n\n"
	         "print('size %dx%d distinct %d' % (w, h, len(set(zlib.decompress(idat)))))\n");
	assert_int_equal(tu_sh_out(&out, "cd '%s' && timeout 120 '%s' --headless --no-sandbox "
	                           "--disable-gpu --hide-scrollbars --user-data-dir='%s/profile' "
	                           "--window-size=1200,640 --screenshot='%s/p.png' "
	                           "'file://%s/p.svg' >/dev/null 2>&1; python3 png.py p.png",
	                           dir, chromium, dir, dir, dir), 0);
	assert_true(tu_contains(out, "size 1200x640"));
	int distinct = atoi(strstr(out, "distinct ") + 9);
	if (distinct < 64) /* a blank or one-colour page has a handful */
		fail_msg("the rendered chart looks blank: %s", out);
	free(out);
	free(chromium);
	tu_rm_rf(dir);
	free(dir);
}

/* ---- read-only ---------------------------------------------------------------------- */

static void test_read_only(void **state)
{
	char *dir = copy_session(), *before[3], *head = eng_head(dir), *h2, *out, *err;
	const char *files[3] = { "autoresearch.jsonl", "results.tsv", "autoresearch_dashboard.md" };
	const char *cmds[] = { "status", "results", "results --json", "show 3", "analyze -o -",
	                       "plot -o -" };
	(void)state;

	for (int i = 0; i < 3; i++)
		before[i] = tu_read(dir, files[i]);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		int rc = eng_ar(dir, &out, &err, "-c run_command='touch RAN' -c "
		                "metric.command='touch MEASURED' -c checks='touch CHECKED' %s", cmds[i]);
		if (rc != 0)
			fail_msg("ar %s: exit %d: %s", cmds[i], rc, err);
		free(out);
		free(err);
	}
	assert_false(tu_exists(dir, "RAN"));
	assert_false(tu_exists(dir, "MEASURED"));
	assert_false(tu_exists(dir, "CHECKED"));
	for (int i = 0; i < 3; i++) {
		char *now = tu_read(dir, files[i]);
		eng_assert_str(now, before[i]);
		free(now);
		free(before[i]);
	}
	h2 = eng_head(dir);
	eng_assert_str(h2, head);
	out = eng_git(dir, "status --porcelain --untracked-files=no");
	eng_assert_str(out, "");
	free(out);
	free(h2);
	free(head);
	tu_rm_rf(dir);
	free(dir);
}

/* ---- ledgers written directly ---------------------------------------------------------- */

#define CONFIG_LINE "{\"type\":\"config\",\"tag\":\"w\",\"branch\":\"autoresearch/w\"," \
	"\"adapter\":\"custom\",\"target_files\":[\"train.py\"],\"fixed_files\":[]," \
	"\"run_command\":\"true\",\"metric\":{\"name\":\"val_bpb\",\"direction\":\"lower\"}," \
	"\"guards\":[],\"baseline\":null,\"created_at\":\"2026-11-23T16:00:00Z\"}\n"

/* A result line as ar writes it, and its TSV row; score < 0: none. */
static void add_row(ar_buf *jsonl, ar_buf *tsv, long n, double score, const char *status,
                    const char *desc, const char *extra)
{
	char commit[41];

	snprintf(commit, sizeof(commit), "%040lx", (unsigned long)n);
	ar_buf_printf(jsonl, "{\"type\":\"result\",\"iteration\":%ld,\"commit\":\"%s\",", n, commit);
	if (score >= 0)
		ar_buf_printf(jsonl, "\"score\":%.6f,", score);
	else
		ar_buf_adds(jsonl, "\"score\":null,");
	ar_buf_printf(jsonl, "\"delta\":null,\"guard_score\":null,\"guard_pass\":null,"
	              "\"status\":\"%s\",\"description\":\"%s\",\"memory_gb\":12.5,"
	              "\"duration_s\":300.0,\"timestamp\":\"2026-11-23T16:20:00Z\",\"cpu_s\":290.0,"
	              "\"exit_status\":0,\"lines_added\":1,\"lines_removed\":1%s}\n",
	              status, desc, extra ? extra : "");
	ar_buf_printf(tsv, "%.7s\t%.6f\t%.1f\t%s\t%s\n", commit, score >= 0 ? score : 0.0,
	              score >= 0 ? 12.5 : 0.0, status, desc);
}

/* A directory (a git repository) with a ledger of three results. */
static char *written(ar_buf *jsonl, ar_buf *tsv)
{
	char *dir = tu_git_repo("README", "x\n", NULL);

	ar_buf_adds(jsonl, CONFIG_LINE);
	ar_buf_adds(tsv, "commit\tval_bpb\tmemory_gb\tstatus\tdescription\n");
	add_row(jsonl, tsv, 1, 1.0, "baseline", "baseline", NULL);
	add_row(jsonl, tsv, 2, 0.9, "keep", "increase DEPTH to 10", NULL);
	add_row(jsonl, tsv, 3, -1, "crash", "huge batch", ",\"reason\":\"OOM\"");
	tu_write(dir, "autoresearch.jsonl", jsonl->ptr);
	tu_write(dir, "results.tsv", tsv->ptr);
	return dir;
}

static void test_no_ledger(void **state)
{
	char *dir = tu_git_repo("README", "x\n", NULL), *out, *err;
	const char *cmds[] = { "status", "results", "show 1", "analyze", "plot" };
	(void)state;

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		assert_int_equal(eng_ar(dir, &out, &err, "%s", cmds[i]), 1);
		if (!tu_contains(err, "no session here: ") ||
		    !tu_contains(err, "autoresearch.jsonl does not exist; start one with `ar init`"))
			fail_msg("ar %s: %s", cmds[i], err);
		free(out);
		free(err);
	}
	assert_int_equal(eng_ar("/nonexistent-dir", &out, &err, "status"), 2);
	free(out);
	free(err);
	tu_rm_rf(dir);
	free(dir);
}

static void test_empty_ledger(void **state)
{
	char *dir = tu_git_repo("README", "x\n", NULL), *out, *err;
	(void)state;

	tu_write(dir, "autoresearch.jsonl", CONFIG_LINE);
	out = eng_ok(dir, "status");
	assert_true(tu_contains(out, "autoresearch w"));
	assert_true(tu_contains(out, "no experiments yet: run `ar baseline`"));
	free(out);
	out = eng_ok(dir, "results");
	assert_int_equal(lines_of(out), 1);
	free(out);
	assert_int_equal(eng_ar(dir, &out, &err, "show 1"), 1);
	assert_true(tu_contains(err, "experiment #1 does not exist; there are no experiments yet"));
	free(out);
	free(err);
	out = eng_ok(dir, "plot -o -");
	assert_true(tu_contains(out, ">0 experiments, 0 kept</text>"));
	assert_true(tu_contains(out, "no experiments yet"));
	free(out);
	free(eng_ok(dir, "analyze"));
	assert_true(tu_exists(dir, "autoresearch-w-analysis.md"));
	/* A file with nothing in it at all: said, and still shown. */
	tu_write(dir, "autoresearch.jsonl", "");
	assert_int_equal(eng_ar(dir, &out, &err, "status"), 0);
	assert_true(tu_contains(err, "autoresearch.jsonl is empty: it has no config line"));
	assert_true(tu_contains(out, "no experiments yet"));
	free(out);
	free(err);
	tu_rm_rf(dir);
	free(dir);
}

static void test_truncated_and_malformed_lines(void **state)
{
	ar_buf j = AR_BUF_INIT, t = AR_BUF_INIT;
	char *dir = written(&j, &t), *out, *err;
	(void)state;

	/* A loop appending right now: the last line is cut short. */
	ar_buf_adds(&j, "{\"type\":\"result\",\"iteration\":4,\"commit\":\"ab");
	tu_write(dir, "autoresearch.jsonl", j.ptr);
	assert_int_equal(eng_ar(dir, &out, &err, "status"), 0);
	assert_true(tu_contains(err, "autoresearch.jsonl:5: truncated last line ignored"));
	assert_true(tu_contains(out, "experiments  2"));
	assert_true(tu_contains(out, "best         0.900000  (#2"));
	free(out);
	free(err);
	/* A bad line in the middle: said with its line number. */
	ar_buf_clear(&j);
	ar_buf_clear(&t);
	tu_rm_rf(dir);
	free(dir);
	dir = written(&j, &t);
	char *data = ar_xprintf("%.*s{\"type\":\"result\",oops}\n%s", (int)(strchr(j.ptr, '\n') - j.ptr + 1),
	                        j.ptr, strchr(j.ptr, '\n') + 1);
	tu_write(dir, "autoresearch.jsonl", data);
	free(data);
	assert_int_equal(eng_ar(dir, &out, &err, "results"), 0);
	assert_true(tu_contains(err, "autoresearch.jsonl:2: malformed line ignored"));
	assert_int_equal(lines_of(out), 4);
	free(out);
	free(err);
	ar_buf_release(&j);
	ar_buf_release(&t);
	tu_rm_rf(dir);
	free(dir);
}

static void test_hand_edited_tsv(void **state)
{
	ar_buf j = AR_BUF_INIT, t = AR_BUF_INIT;
	char *dir = written(&j, &t), *out, *err, *edited;
	(void)state;

	/* Untouched: no warning. */
	assert_int_equal(eng_ar(dir, &out, &err, "status"), 0);
	eng_assert_str(err, "");
	free(out);
	free(err);
	/* A description changed by hand on line 3 (experiment #2). */
	edited = ar_xstrdup(t.ptr);
	char *p = strstr(edited, "increase DEPTH");
	memcpy(p, "INCREASE", 8);
	tu_write(dir, "results.tsv", edited);
	assert_int_equal(eng_ar(dir, &out, &err, "status"), 0);
	assert_true(tu_contains(err, "results.tsv line 3 does not match experiment #2 (edited "
	                             "by hand?); shown is autoresearch.jsonl"));
	assert_true(tu_contains(out, "increase DEPTH to 10"));
	free(out);
	free(err);
	/* A row deleted. */
	free(edited);
	edited = ar_xstrdup(t.ptr);
	*strrchr(edited, '\n') = '\0';
	*(strrchr(edited, '\n') + 1) = '\0';
	tu_write(dir, "results.tsv", edited);
	assert_int_equal(eng_ar(dir, &out, &err, "status"), 0);
	assert_true(tu_contains(err, "has fewer rows than the 3 results"));
	free(out);
	free(err);
	/* No header, and no file at all. */
	tu_write(dir, "results.tsv", "garbage\n");
	assert_int_equal(eng_ar(dir, &out, &err, "status"), 0);
	assert_true(tu_contains(err, "no `commit<TAB>...` header"));
	free(out);
	free(err);
	assert_int_equal(tu_sh("rm '%s/results.tsv'", dir), 0);
	assert_int_equal(eng_ar(dir, &out, &err, "status"), 0);
	assert_true(tu_contains(err, "results.tsv"));
	assert_true(tu_contains(out, "experiments  2"));
	free(out);
	free(err);
	free(edited);
	ar_buf_release(&j);
	ar_buf_release(&t);
	tu_rm_rf(dir);
	free(dir);
}

/* A configuration that does not load loses the configuration, not the
 * ledger. */
static void test_broken_config(void **state)
{
	ar_buf j = AR_BUF_INIT, t = AR_BUF_INIT;
	char *dir = written(&j, &t), *out, *err;
	(void)state;

	tu_write(dir, ".autoresearch.yaml", "time_budget: soon\n");
	assert_int_equal(eng_ar(dir, &out, &err, "status"), 0);
	assert_true(tu_contains(err, "time_budget"));
	assert_true(tu_contains(err, "showing the ledger without the configuration"));
	assert_true(tu_contains(out, "experiments  2  (no limit"));
	free(out);
	free(err);
	ar_buf_release(&j);
	ar_buf_release(&t);
	tu_rm_rf(dir);
	free(dir);
}

/* Repeated samples ("samples": [...]) show as their spread in the chart. */
static void test_plot_samples(void **state)
{
	ar_buf j = AR_BUF_INIT, t = AR_BUF_INIT;
	char *dir, *out;
	(void)state;

	ar_buf_adds(&j, CONFIG_LINE);
	add_row(&j, &t, 1, 1.0, "baseline", "baseline", ",\"samples\":[0.99,1.0,1.01]");
	add_row(&j, &t, 2, 0.9, "keep", "increase DEPTH", ",\"samples\":[0.89,0.91]");
	add_row(&j, &t, 3, 0.95, "discard", "raise LR", NULL);
	dir = tu_git_repo("README", "x\n", NULL);
	tu_write(dir, "autoresearch.jsonl", j.ptr);
	out = eng_ok(dir, "plot -o -");
	assert_true(tu_contains(out, "samples (spread)"));
	const char *p = out;
	size_t dots = 0;
	while ((p = strstr(p, "r=\"1.6\"")))
		dots++, p++;
	assert_int_equal(dots, 5);
	free(out);
	/* The other commands read such lines too. */
	out = eng_ok(dir, "results --json");
	assert_int_equal(lines_of(out), 3);
	assert_true(tu_contains(out, "\"samples\":[0.89,0.91]"));
	free(out);
	out = eng_ok(dir, "show 2");
	assert_true(tu_contains(out, "samples      2: 0.890000 0.910000\n"));
	free(out);
	ar_buf_release(&j);
	ar_buf_release(&t);
	tu_rm_rf(dir);
	free(dir);
}

/* 100,000 experiments: everything is shown, the numbers add up. */
static void test_long_session(void **state)
{
	char *dir = tu_git_repo("README", "x\n", NULL), *path, *out, *err;
	FILE *f;
	size_t keeps = 0;
	double best = 1.0;
	(void)state;

	path = ar_path_join(dir, "autoresearch.jsonl");
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(CONFIG_LINE, f);
	for (long n = 1; n <= 100000; n++) {
		const char *st = n == 1 ? "baseline" : n % 50 == 0 ? "keep" : n % 7 == 0 ? "crash"
		                                                                          : "discard";
		double score = n % 50 == 0 ? (best *= 0.999) : best + 0.001 * (double)(n % 5);
		char sc[32] = "null";
		if (strcmp(st, "crash"))
			snprintf(sc, sizeof(sc), "%.6f", score);
		keeps += n % 50 == 0;
		fprintf(f, "{\"type\":\"result\",\"iteration\":%ld,\"commit\":\"%040lx\",\"score\":%s,"
		        "\"delta\":null,\"guard_score\":null,\"guard_pass\":null,\"status\":\"%s\","
		        "\"description\":\"tune DEPTH %ld -> %ld\",\"memory_gb\":1.5,\"duration_s\":1.0,"
		        "\"timestamp\":\"2026-11-23T16:20:00Z\",\"cpu_s\":1.0,\"exit_status\":0,"
		        "\"lines_added\":1,\"lines_removed\":1}\n", n, (unsigned long)n, sc, st, n,
		        n + 1);
	}
	fclose(f);
	assert_int_equal(eng_ar(dir, &out, &err, "status"), 0);
	assert_true(tu_contains(out, "experiments  99999"));
	assert_true(tu_contains(out, "last 10 of 100000"));
	assert_true(tu_contains(out, "100000  "));
	free(out);
	free(err);
	out = eng_ok(dir, "results --status keep");
	assert_int_equal(lines_of(out), keeps + 1);
	free(out);
	free(path);
	tu_rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_status_colour),
		cmocka_unit_test(test_results),
		cmocka_unit_test(test_show),
		cmocka_unit_test(test_show_apply),
		cmocka_unit_test(test_analyze),
		cmocka_unit_test(test_plot),
		cmocka_unit_test(test_plot_renders),
		cmocka_unit_test(test_read_only),
		cmocka_unit_test(test_no_ledger),
		cmocka_unit_test(test_empty_ledger),
		cmocka_unit_test(test_truncated_and_malformed_lines),
		cmocka_unit_test(test_hand_edited_tsv),
		cmocka_unit_test(test_broken_config),
		cmocka_unit_test(test_plot_samples),
		cmocka_unit_test(test_long_session),
	};
	return cmocka_run_group_tests(tests, make_session, remove_session);
}
