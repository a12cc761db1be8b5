/*
 * test_adapters_real.c - each built-in adapter end to end through the real
 * `ar` binary on a real project: `ar detect` picks it, `ar baseline` and
 * `ar step` run the project's real build or training and record the
 * adapter's metric and the memory in the ledger, and the keep/discard
 * verdicts move the branch.
 *
 *   ml       examples/ml, a real python3 training run (val_bpb)
 *   node     tests/fixtures/projects/node bundled by a real esbuild from the
 *            npm registry, installed once into a cache reused across runs:
 *            $AR_TEST_CACHE/node, else ${TMPDIR:-/tmp}/ar-test-cache/node
 *            (bundle_kb); skipped with a printed reason when the registry
 *            cannot be reached
 *   jvm      tests/fixtures/projects/jvm built by a real javac through a
 *            run_command overlay (build_s); Maven's plugins cannot be
 *            downloaded here, so `mvn` itself never runs
 *   flutter  tests/fixtures/projects/flutter with a TEST DOUBLE of the
 *            `flutter` command first on PATH (apk_mb)
 * and a missing tool, which is a crash with a reason, never a hang.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "testutil.h"
#include "util.h"

#define ESBUILD_SPEC "esbuild@0.x"
#define APK "build/app/outputs/flutter-apk/app-release.apk"

/* ---- helpers ------------------------------------------------------------ */

/* A git repository (branch main, one commit) holding a copy of the
 * directory src; caller frees, remove with tu_rm_rf. */
static char *project_repo(const char *src)
{
	char *dir = tu_tmpdir();

	if (tu_sh("cp -R '%s/.' '%s' && cd '%s' && git init -q -b main . && "
	          "git config user.name 'AR Test' && git config user.email test@example.com && "
	          "git config commit.gpgsign false && git add -A && git commit -q -m initial",
	          src, dir, dir) != 0)
		fail_msg("cannot make a repository from %s in %s", src, dir);
	return dir;
}

/* A repository from tests/fixtures/projects/<name>. */
static char *fixture_repo(const char *name)
{
	char *src = ar_xprintf("%s/tests/fixtures/projects/%s", tu_env("AR_SOURCE_DIR"), name);
	char *dir = project_repo(src);

	free(src);
	return dir;
}

/* Run ar in repo with PATH set to path: `ar -C repo <args>`. */
static int ar_path(const char *repo, const char *path, char **out, const char *args)
{
	return tu_sh_out(out, "PATH='%s' '%s' -C '%s' %s </dev/null", path,
	                 tu_env("AR_BIN"), repo, args);
}

/* The last result line of repo's autoresearch.jsonl; caller frees. */
static char *last_result(const char *repo)
{
	char *text = tu_read(repo, "autoresearch.jsonl"), *hit, *nl, *line;

	if (!text)
		fail_msg("no autoresearch.jsonl in %s", repo);
	hit = text;
	for (char *p = text; (p = strstr(p, "{\"type\":\"result\"")); p++)
		hit = p;
	if (hit == text && !tu_contains(text, "{\"type\":\"result\""))
		fail_msg("no result line in %s/autoresearch.jsonl:\n%s", repo, text);
	nl = strchr(hit, '\n');
	if (nl)
		*nl = '\0';
	line = ar_xstrdup(hit);
	free(text);
	return line;
}

/* The number after "key": in a JSON line; NAN when null or absent. */
static double jnum(const char *line, const char *key)
{
	char *pat = ar_xprintf("\"%s\":", key);
	const char *p = strstr(line, pat);
	char *end;
	double v = NAN;

	if (p) {
		p += strlen(pat);
		v = strtod(p, &end);
		if (end == p)
			v = NAN;
	}
	free(pat);
	return v;
}

/* The string after "key": in a JSON line, up to its closing quote (escapes
 * kept as written); "" when absent; caller frees. */
static char *jstr(const char *line, const char *key)
{
	char *pat = ar_xprintf("\"%s\":\"", key);
	const char *p = strstr(line, pat), *q;
	char *s;

	if (!p) {
		free(pat);
		return ar_xstrdup("");
	}
	p += strlen(pat);
	for (q = p; *q && *q != '"'; q++)
		if (*q == '\\' && q[1])
			q++;
	s = ar_xprintf("%.*s", (int)(q - p), p);
	free(pat);
	return s;
}

static void assert_status(const char *line, const char *want)
{
	char *st = jstr(line, "status");

	if (strcmp(st, want) != 0)
		fail_msg("status %s, wanted %s: %s", st, want, line);
	free(st);
}

static void assert_reason_has(const char *line, const char *needle)
{
	char *reason = jstr(line, "reason");

	if (!tu_contains(reason, needle))
		fail_msg("reason lacks \"%s\": %s", needle, line);
	free(reason);
}

/* The first line of the output of a shell command (printf-style); caller
 * frees. */
static char *sh_line(const char *fmt, ...)
{
	ar_buf cmd = AR_BUF_INIT;
	char *out = NULL;
	va_list ap;

	va_start(ap, fmt);
	ar_buf_vprintf(&cmd, fmt, ap);
	va_end(ap);
	if (tu_sh_out(&out, "%s", cmd.ptr) != 0)
		fail_msg("`%s` failed: %s", cmd.ptr, out ? out : "");
	out[strcspn(out, "\n")] = '\0';
	ar_buf_release(&cmd);
	return out;
}

/* The subject of the tip of branch autoresearch/t. */
static char *tip_subject(const char *repo)
{
	return sh_line("git -C '%s' log -1 --format=%%s autoresearch/t", repo);
}

/* The size of repo/rel in bytes, failing when absent. */
static double file_bytes(const char *repo, const char *rel)
{
	char *path = ar_xprintf("%s/%s", repo, rel);
	struct stat st;

	if (stat(path, &st) != 0)
		fail_msg("stat %s: %s", path, strerror(errno));
	free(path);
	return (double)st.st_size;
}

/* 1 when the tracked files of repo have no changes. */
static int tree_clean(const char *repo)
{
	char *out = NULL;
	int clean = tu_sh_out(&out, "git -C '%s' status --porcelain --untracked-files=no",
	                      repo) == 0 && out[0] == '\0';

	free(out);
	return clean;
}

/* ---- ml: examples/ml, a real python3 training run ------------------------ */

static void test_ml_example_end_to_end(void **state)
{
	char *src = ar_xprintf("%s/examples/ml", tu_env("AR_SOURCE_DIR"));
	char *repo = project_repo(src), *out = NULL, *line, *printed, *subject;
	double score;
	(void)state;

	/* The oracle: what train.py itself prints, before ar touches anything. */
	printed = sh_line("cd '%s' && python3 train.py | sed -n 's/^val_bpb: *//p'", repo);
	assert_true(fabs(strtod(printed, NULL) - 1.389224) < 1e-6);

	assert_int_equal(tu_ar(repo, &out, "detect"), 0);
	assert_true(tu_contains(out, "chosen: ml"));
	assert_true(tu_contains(out, "train.py and prepare.py"));
	free(out);
	assert_int_equal(tu_ar(repo, &out, "init --tag t"), 0);
	free(out);

	assert_int_equal(tu_ar(repo, &out, "baseline"), 0);
	assert_true(tu_contains(out, "1.389224 baseline"));
	free(out);
	line = last_result(repo);
	assert_status(line, "baseline");
	assert_true(fabs(jnum(line, "score") - strtod(printed, NULL)) < 1e-6);
	/* peak_vram_mb: 0.0 is no measurement: the process tree's RSS is. */
	assert_true(jnum(line, "memory_gb") > 0.0);
	free(line);
	out = tu_read(repo, "results.tsv");
	assert_true(tu_contains(out, "commit\tval_bpb\tmemory_gb\tstatus\tdescription"));
	free(out);

	assert_int_equal(tu_sh("sed -i 's/^CONTEXT = 2 /CONTEXT = 4 /' '%s/train.py'", repo), 0);
	assert_int_equal(tu_ar(repo, &out, "step -m ctx4"), 0);
	assert_true(tu_contains(out, "0.803680 keep ctx4"));
	free(out);
	line = last_result(repo);
	assert_status(line, "keep");
	score = jnum(line, "score");
	assert_true(fabs(score - 0.80368) < 1e-6);
	assert_true(jnum(line, "memory_gb") > 0.0);
	free(line);
	subject = tip_subject(repo);
	assert_true(tu_contains(subject, "ctx4"));
	free(subject);
	assert_int_equal(tu_sh("git -C '%s' show autoresearch/t:train.py | "
	                       "grep -q '^CONTEXT = 4 '", repo), 0);
	assert_true(tree_clean(repo));

	free(printed);
	tu_rm_rf(repo);
	free(repo);
	free(src);
}

/* The score on the table row of adapter name in `ar detect` output. */
static int detect_score(const char *out, const char *name)
{
	char *pat = ar_xprintf("\n%s ", name);
	const char *p = strstr(out, pat);
	int score = -1;

	if (p)
		sscanf(p + strlen(pat), "%d", &score);
	free(pat);
	return score;
}

static void test_ml_plain_train_py_scores_lower(void **state)
{
	char *both = tu_git_repo("train.py", "print('val_bpb: 1.0')\n",
	                         "prepare.py", "# harness\n", NULL);
	char *plain = tu_git_repo("train.py", "print('val_bpb: 1.0')\n", NULL);
	char *out = NULL;
	int with_prepare, without;
	(void)state;

	assert_int_equal(tu_ar(both, &out, "detect"), 0);
	with_prepare = detect_score(out, "ml");
	free(out);
	assert_int_equal(tu_ar(plain, &out, "detect"), 0);
	assert_true(tu_contains(out, "chosen: ml"));
	assert_true(tu_contains(out, "found train.py (no prepare.py)"));
	without = detect_score(out, "ml");
	free(out);
	assert_true(without > 0);
	assert_true(without < with_prepare);
	/* No prepare.py: nothing is fixed (unset: exit 1, like git config). */
	assert_int_equal(tu_ar(plain, &out, "config fixed_files"), 1);
	assert_string_equal(out, "");
	free(out);
	assert_int_equal(tu_ar(both, &out, "config fixed_files"), 0);
	assert_true(tu_contains(out, "prepare.py"));
	free(out);
	tu_rm_rf(both);
	tu_rm_rf(plain);
	free(both);
	free(plain);
}

/* ---- node: a real esbuild bundle ----------------------------------------- */

/* Install esbuild from the npm registry into dir; NULL, or why not
 * (caller frees). */
static char *npm_install_esbuild(const char *dir)
{
	char *out = NULL, *why = NULL;
	int rc;

	if (tu_sh("command -v npm >/dev/null") != 0)
		return ar_xstrdup("npm is not installed");
	rc = tu_sh_out(&out, "cd '%s' && npm install --prefix '%s' " ESBUILD_SPEC
	               " --no-audit --no-fund --loglevel=error --fetch-retries=1"
	               " --fetch-retry-mintimeout=1000 --fetch-retry-maxtimeout=2000"
	               " --fetch-timeout=20000", dir, dir);
	if (rc != 0) /* its first line says why */
		why = ar_xprintf("npm registry unreachable: npm install " ESBUILD_SPEC
		                 " exited %d: %.*s", rc, (int)strcspn(out, "\n"), out);
	else if (tu_sh("'%s/node_modules/.bin/esbuild' --version >/dev/null", dir) != 0)
		why = ar_xprintf("esbuild from the npm registry does not run in %s", dir);
	free(out);
	return why;
}

/* The directory holding node_modules/.bin/esbuild, installed on first use
 * (under a lock: the normal and the sanitizer runs may race); NULL with
 * *why when it cannot be had.  Caller frees both. */
static char *esbuild_cache(char **why)
{
	const char *base = getenv("AR_TEST_CACHE"), *tmp = getenv("TMPDIR");
	char *dir = base && *base ? ar_xprintf("%s/node", base)
	          : ar_xprintf("%s/ar-test-cache/node", tmp && *tmp ? tmp : "/tmp");
	char *lock = ar_xprintf("%s/.lock", dir);
	int fd = -1;

	*why = NULL;
	if (ar_mkdir_p(dir) == 0)
		fd = open(lock, O_RDWR | O_CREAT, 0644);
	if (fd < 0)
		fail_msg("cannot create the cache %s", dir);
	if (flock(fd, LOCK_EX) != 0)
		fail_msg("flock %s: %s", lock, strerror(errno));
	if (tu_sh("'%s/node_modules/.bin/esbuild' --version >/dev/null 2>&1", dir) != 0)
		*why = npm_install_esbuild(dir);
	flock(fd, LOCK_UN);
	close(fd);
	free(lock);
	if (*why) {
		free(dir);
		return NULL;
	}
	return dir;
}

static void test_node_esbuild_end_to_end(void **state)
{
	char *why = NULL, *cache = esbuild_cache(&why), *repo, *out = NULL, *line;
	char *subject, *src, *grown;
	double base, shrunk;
	(void)state;

	if (!cache) {
		printf("SKIP: %s\n", why);
		free(why);
		skip();
	}
	repo = fixture_repo("node");
	assert_int_equal(tu_sh("ln -s '%s/node_modules' '%s/node_modules'", cache, repo), 0);
	assert_true(tree_clean(repo)); /* node_modules/ and dist/ are ignored */

	assert_int_equal(tu_ar(repo, &out, "detect"), 0);
	assert_true(tu_contains(out, "chosen: node"));
	assert_true(tu_contains(out, "esbuild src/index.js"));
	free(out);
	assert_int_equal(tu_ar(repo, &out, "config target_files"), 0);
	assert_true(tu_contains(out, "src/index.js"));
	free(out);
	assert_int_equal(tu_ar(repo, &out, "init --tag t"), 0);
	free(out);

	/* The metric is dist/'s real size, in KiB. */
	assert_int_equal(tu_ar(repo, &out, "-c time_budget=60 baseline"), 0);
	free(out);
	line = last_result(repo);
	assert_status(line, "baseline");
	base = jnum(line, "score");
	assert_true(base > 0.0);
	assert_true(fabs(base - file_bytes(repo, "dist/out.js") / 1024.0) < 1e-6);
	assert_true(jnum(line, "memory_gb") > 0.0);
	free(line);
	out = tu_read(repo, "results.tsv");
	assert_true(tu_contains(out, "commit\tbundle_kb\t"));
	free(out);

	/* Removing a big function shrinks the bundle: keep. */
	assert_int_equal(tu_sh("cd '%s' && sed -i -e '/^function formatReport/,/^}/d' "
	                       "-e 's/formatReport(makeRows(8))/makeRows(8).length/' "
	                       "src/index.js", repo), 0);
	assert_int_equal(tu_ar(repo, &out, "-c time_budget=60 step -m shrink"), 0);
	assert_true(tu_contains(out, "keep shrink"));
	free(out);
	line = last_result(repo);
	assert_status(line, "keep");
	shrunk = jnum(line, "score");
	assert_true(shrunk < base);
	assert_true(fabs(shrunk - file_bytes(repo, "dist/out.js") / 1024.0) < 1e-6);
	free(line);
	subject = tip_subject(repo);
	assert_true(tu_contains(subject, "shrink"));
	free(subject);

	/* Adding a long string grows it: discard, the tip and the file stay. */
	src = tu_read(repo, "src/index.js");
	grown = ar_xprintf("%sconsole.log(\"%0*d\");\n", src, 3000, 7);
	tu_write(repo, "src/index.js", grown);
	assert_int_equal(tu_ar(repo, &out, "-c time_budget=60 step -m grow"), 0);
	assert_true(tu_contains(out, "discard grow"));
	free(out);
	line = last_result(repo);
	assert_status(line, "discard");
	assert_true(jnum(line, "score") > base);
	free(line);
	subject = tip_subject(repo);
	assert_true(tu_contains(subject, "shrink"));
	free(subject);
	out = tu_read(repo, "src/index.js");
	assert_string_equal(out, src);
	free(out);
	assert_true(tree_clean(repo));
	/* The discarded code stays reachable. */
	assert_int_equal(tu_sh("git -C '%s' show refs/autoresearch/t/3:src/index.js | "
	                       "grep -q 00000000007", repo), 0);

	free(src);
	free(grown);
	tu_rm_rf(repo);
	free(repo);
	free(cache);
}

/* ---- jvm: a real javac build through a run_command overlay --------------- */

static void test_jvm_default_commands(void **state)
{
	char *repo = tu_git_repo("pom.xml", "<project/>\n", NULL), *out = NULL;
	(void)state;

	assert_int_equal(tu_ar(repo, &out, "config run_command"), 0);
	assert_true(tu_contains(out, "mvn -q -DskipTests package"));
	free(out);
	assert_int_equal(tu_sh("cd '%s' && rm pom.xml && touch build.gradle && "
	                       "printf '#!/bin/sh\\n' > gradlew && chmod +x gradlew", repo), 0);
	assert_int_equal(tu_ar(repo, &out, "detect"), 0);
	assert_true(tu_contains(out, "chosen: jvm"));
	free(out);
	assert_int_equal(tu_ar(repo, &out, "config run_command"), 0);
	assert_true(tu_contains(out, "./gradlew build -x test"));
	free(out);
	assert_int_equal(tu_sh("rm '%s/gradlew'", repo), 0);
	assert_int_equal(tu_ar(repo, &out, "config run_command"), 0);
	assert_true(tu_contains(out, "gradle build -x test"));
	assert_false(tu_contains(out, "./gradlew"));
	free(out);
	tu_rm_rf(repo);
	free(repo);
}

/* The line of `ar config` output for key (up to the newline); caller frees. */
static char *config_row(const char *out, const char *key)
{
	char *pat = ar_xprintf("\n%s ", key);
	const char *p = strstr(out, pat);
	char *row;

	if (!p)
		fail_msg("no %s row in:\n%s", key, out);
	p++;
	row = ar_xprintf("%.*s", (int)strcspn(p, "\n"), p);
	free(pat);
	return row;
}

static void test_jvm_javac_end_to_end(void **state)
{
	char *repo, *out = NULL, *line, *row, *subject;
	(void)state;

	if (tu_sh("command -v javac >/dev/null") != 0) {
		printf("SKIP: javac is not installed\n");
		skip();
	}
	repo = fixture_repo("jvm");
	assert_int_equal(tu_ar(repo, &out, "detect"), 0);
	assert_true(tu_contains(out, "chosen: jvm"));
	assert_true(tu_contains(out, "pom.xml"));
	free(out);
	/* The command from the file, the target (the class with main(), not
	 * the alphabetically first Greeting.java) and metric from the adapter. */
	assert_int_equal(tu_ar(repo, &out, "config"), 0);
	row = config_row(out, "run_command");
	assert_true(tu_contains(row, "javac -d out -sourcepath src/main/java"));
	assert_true(tu_contains(row, ".autoresearch.yaml:3"));
	free(row);
	row = config_row(out, "target_files");
	assert_true(tu_contains(row, "src/main/java/app/Main.java"));
	assert_false(tu_contains(row, "Greeting"));
	assert_true(tu_contains(row, "adapter jvm"));
	free(row);
	row = config_row(out, "metric.name");
	assert_true(tu_contains(row, "build_s"));
	free(row);
	free(out);

	assert_int_equal(tu_ar(repo, &out, "init --tag t"), 0);
	free(out);
	assert_int_equal(tu_ar(repo, &out, "baseline"), 0);
	free(out);
	line = last_result(repo);
	assert_status(line, "baseline");
	/* build_s is the run's wall time. */
	assert_true(jnum(line, "score") > 0.0);
	assert_true(fabs(jnum(line, "score") - jnum(line, "duration_s")) < 1e-6);
	assert_true(jnum(line, "memory_gb") > 0.0);
	free(line);
	assert_true(tu_exists(repo, "out/app/Main.class"));
	assert_true(tu_exists(repo, "out/app/Greeting.class"));
	out = tu_read(repo, "results.tsv");
	assert_true(tu_contains(out, "commit\tbuild_s\t"));
	free(out);

	/* A change that does not compile is a crash, and is reverted. */
	assert_int_equal(tu_sh("sed -i 's/Greeting.of/Greeting.nosuch/' "
	                       "'%s/src/main/java/app/Main.java'", repo), 0);
	assert_int_equal(tu_ar(repo, &out, "step -m broken"), 0);
	assert_true(tu_contains(out, "crash broken"));
	free(out);
	line = last_result(repo);
	assert_status(line, "crash");
	assert_true(isnan(jnum(line, "score")));
	assert_reason_has(line, "exit status 1");
	free(line);
	subject = tip_subject(repo);
	assert_string_equal(subject, "initial");
	free(subject);
	assert_true(tree_clean(repo));

	tu_rm_rf(repo);
	free(repo);
}

/* ---- flutter: a test double of the flutter command ------------------------ */

/* A directory holding the TEST DOUBLE of `flutter`
 * (tests/fixtures/projects/doubles/flutter), made executable; caller frees. */
static char *flutter_double_bin(void)
{
	char *bin = tu_tmpdir();

	if (tu_sh("cp '%s/tests/fixtures/projects/doubles/flutter' '%s/flutter' && "
	          "chmod 0755 '%s/flutter'", tu_env("AR_SOURCE_DIR"), bin, bin) != 0)
		fail_msg("cannot install the flutter test double in %s", bin);
	return bin;
}

static void set_apk_size(const char *repo, const char *size)
{
	assert_int_equal(tu_sh("sed -i 's|^// size: .*|// size: %s|' '%s/lib/main.dart'",
	                       size, repo), 0);
}

static void test_flutter_double_end_to_end(void **state)
{
	const char *env_path = getenv("PATH");
	char *bin = flutter_double_bin(), *repo = fixture_repo("flutter"), *out = NULL;
	char *path = ar_xprintf("%s:%s", bin, env_path ? env_path : "/usr/bin:/bin");
	char *line, *subject, *dart;
	(void)state;

	assert_int_equal(ar_path(repo, path, &out, "detect"), 0);
	assert_true(tu_contains(out, "chosen: flutter"));
	free(out);
	assert_int_equal(ar_path(repo, path, &out, "config target_files"), 0);
	assert_true(tu_contains(out, "lib/main.dart"));
	free(out);
	assert_int_equal(ar_path(repo, path, &out, "init --tag t"), 0);
	free(out);

	/* 20 MiB: apk_mb 20. */
	assert_int_equal(ar_path(repo, path, &out, "baseline"), 0);
	assert_true(tu_contains(out, "20.000000 baseline"));
	free(out);
	line = last_result(repo);
	assert_status(line, "baseline");
	assert_true(fabs(jnum(line, "score") - 20.0) < 1e-9);
	assert_true(jnum(line, "memory_gb") > 0.0);
	free(line);
	assert_true(file_bytes(repo, APK) == 20971520.0);
	out = tu_read(repo, "results.tsv");
	assert_true(tu_contains(out, "commit\tapk_mb\t"));
	free(out);

	set_apk_size(repo, "10485760");
	assert_int_equal(ar_path(repo, path, &out, "step -m smaller"), 0);
	assert_true(tu_contains(out, "10.000000 keep smaller"));
	free(out);

	set_apk_size(repo, "31457280");
	assert_int_equal(ar_path(repo, path, &out, "step -m bigger"), 0);
	assert_true(tu_contains(out, "30.000000 discard bigger"));
	free(out);
	line = last_result(repo);
	assert_status(line, "discard");
	free(line);
	subject = tip_subject(repo);
	assert_true(tu_contains(subject, "smaller"));
	free(subject);
	dart = tu_read(repo, "lib/main.dart");
	assert_true(tu_contains(dart, "// size: 10485760\n"));
	free(dart);
	assert_true(tree_clean(repo));

	tu_rm_rf(repo);
	tu_rm_rf(bin);
	free(repo);
	free(bin);
	free(path);
}

/* A build that succeeds without an APK is a crash naming the APK. */
static void test_flutter_no_apk_is_a_crash(void **state)
{
	const char *env_path = getenv("PATH");
	char *bin = flutter_double_bin(), *repo, *out = NULL, *line;
	char *path = ar_xprintf("%s:%s", bin, env_path ? env_path : "/usr/bin:/bin");
	(void)state;

	repo = fixture_repo("flutter");
	set_apk_size(repo, "none");
	assert_int_equal(tu_sh("cd '%s' && git commit -q -am 'no apk'", repo), 0);
	assert_int_equal(ar_path(repo, path, &out, "init --tag t"), 0);
	free(out);
	assert_int_equal(ar_path(repo, path, &out, "baseline"), 0);
	assert_true(tu_contains(out, "crash"));
	free(out);
	line = last_result(repo);
	assert_status(line, "crash");
	assert_true(isnan(jnum(line, "score")));
	assert_true(jnum(line, "exit_status") == 0.0);
	assert_reason_has(line, APK " not found after the run");
	free(line);
	tu_rm_rf(repo);
	tu_rm_rf(bin);
	free(repo);
	free(bin);
	free(path);
}

/* Without flutter on PATH the default command fails at once: a crash whose
 * reason says the command was not found. */
static void test_flutter_missing_is_a_crash(void **state)
{
	static const char path[] = "/usr/bin:/bin";
	char *repo, *out = NULL, *line;
	(void)state;

	if (tu_sh("env PATH=%s sh -c 'command -v flutter' >/dev/null", path) == 0) {
		printf("SKIP: a real flutter is on %s\n", path);
		skip();
	}
	repo = fixture_repo("flutter");
	assert_int_equal(ar_path(repo, path, &out, "init --tag t"), 0);
	free(out);
	assert_int_equal(ar_path(repo, path, &out, "-c time_budget=30 baseline"), 0);
	assert_true(tu_contains(out, "crash"));
	free(out);
	line = last_result(repo);
	assert_status(line, "crash");
	assert_true(isnan(jnum(line, "score")));
	assert_true(jnum(line, "exit_status") == 127.0);
	assert_reason_has(line, "command not found");
	assert_reason_has(line, "flutter build apk --release");
	assert_true(jnum(line, "duration_s") < 30.0);
	free(line);
	assert_false(tu_exists(repo, APK));
	tu_rm_rf(repo);
	free(repo);
}

/* ---- a missing tool in general ------------------------------------------ */

static void test_missing_tool_is_a_crash(void **state)
{
	char *repo = fixture_repo("node"), *out = NULL, *line;
	(void)state;

	assert_int_equal(tu_ar(repo, &out, "init --tag t"), 0);
	free(out);
	assert_int_equal(tu_ar(repo, &out, "-c 'run_command=definitely-not-a-command-xyz build' "
	                       "-c time_budget=30 baseline"), 0);
	assert_true(tu_contains(out, "crash"));
	free(out);
	line = last_result(repo);
	assert_status(line, "crash");
	assert_true(isnan(jnum(line, "score")));
	assert_true(jnum(line, "exit_status") == 127.0);
	assert_reason_has(line, "command not found");
	assert_reason_has(line, "definitely-not-a-command-xyz build");
	free(line);
	out = tu_read(repo, "results.tsv");
	assert_true(tu_contains(out, "\tcrash\tbaseline"));
	free(out);
	tu_rm_rf(repo);
	free(repo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ml_example_end_to_end),
		cmocka_unit_test(test_ml_plain_train_py_scores_lower),
		cmocka_unit_test(test_node_esbuild_end_to_end),
		cmocka_unit_test(test_jvm_default_commands),
		cmocka_unit_test(test_jvm_javac_end_to_end),
		cmocka_unit_test(test_flutter_double_end_to_end),
		cmocka_unit_test(test_flutter_no_apk_is_a_crash),
		cmocka_unit_test(test_flutter_missing_is_a_crash),
		cmocka_unit_test(test_missing_tool_is_a_crash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
