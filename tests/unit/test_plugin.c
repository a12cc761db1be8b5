/*
 * test_plugin.c - the adapter loader (core/plugin.c) against real shared
 * objects: the fixture plugins in $AR_FIXTURE_PLUGINDIR (each with one
 * deliberate fault, built from tests/fixtures/plugins/), copies of them in
 * temporary directories with unsafe permissions, garbage files, and the
 * real built-in adapters in $AR_BUILD_PLUGINDIR.  Then the slot wrappers,
 * through the working fixture "fixture_good".
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin.h"
#include "testutil.h"

static char *build_plugindir; /* $AR_BUILD_PLUGINDIR as ctest set it */

static char *fixture_path(const char *name)
{
	return ar_xprintf("%s/%s.so", tu_env("AR_FIXTURE_PLUGINDIR"), name);
}

/* Copy fixture `name` into dir as `as`, mode 0755. */
static char *copy_fixture(const char *name, const char *dir, const char *as)
{
	char *src = fixture_path(name);
	char *dst = ar_path_join(dir, as);

	assert_int_equal(tu_sh("cp '%s' '%s' && chmod 0755 '%s'", src, dst, dst), 0);
	free(src);
	return dst;
}

/* Load with the given --plugin-dir flags (NULL-terminated). */
static void load_flags(struct ar_plugins *ps, const char *dir, ...)
{
	ar_strvec flags = AR_STRVEC_INIT;
	va_list ap;

	va_start(ap, dir);
	for (; dir; dir = va_arg(ap, const char *))
		ar_strvec_push(&flags, dir);
	va_end(ap);
	assert_int_equal(ar_plugins_load(ps, &flags, NULL), 0);
	ar_strvec_release(&flags);
}

static size_t count_warnings(const struct ar_plugins *ps, const char *needle)
{
	size_t i, n = 0;

	for (i = 0; i < ps->warnings.n; i++)
		n += tu_contains(ps->warnings.items[i], needle) != 0;
	return n;
}

/* The one warning about `file`, which must also contain `reason`. */
static void assert_one_warning(const struct ar_plugins *ps, const char *file,
                               const char *reason)
{
	char *needle = ar_xprintf("/%s: ", file);
	size_t i, n = 0;

	for (i = 0; i < ps->warnings.n; i++) {
		const char *w = ps->warnings.items[i];
		size_t len = strlen(w);
		if (!tu_contains(w, needle))
			continue;
		n++;
		if (!tu_contains(w, reason) || !tu_contains(w, "plugin /") ||
		    len < 9 || strcmp(w + len - 9, "; skipped") != 0)
			fail_msg("warning for %s lacks '%s': %s", file, reason, w);
	}
	if (n != 1) {
		for (i = 0; i < ps->warnings.n; i++)
			print_message("warning: %s\n", ps->warnings.items[i]);
		fail_msg("%zu warnings name %s, want exactly 1", n, file);
	}
	free(needle);
}

static void test_fixture_faults(void **state)
{
	const char *dir = tu_env("AR_FIXTURE_PLUGINDIR");
	struct ar_plugins ps;
	char *shown = fixture_path("good"), *good = realpath(shown, NULL);
	char *minor = ar_xprintf("built for ABI %d.%d, this ar speaks %d.%d",
	                         AR_ABI_MAJOR, AR_ABI_MINOR + 1, AR_ABI_MAJOR,
	                         AR_ABI_MINOR);
	char *dup = ar_xprintf("adapter 'fixture_good' already loaded from %s",
	                       good);
	const struct { const char *file, *reason; } faults[] = {
		{ "bad_name.so", "adapter name is not a short name" },
		{ "init_fails.so", "entry point ar_adapter_init_v1 failed "
		                   "(returned -1)" },
		{ "missing_detect.so", "missing required slot 'detect'" },
		{ "newer_minor.so", minor },
		{ "no_entry.so", "no entry point ar_adapter_init_v1 (not an ar "
		                 "adapter, or built for another ABI major)" },
		{ "null_adapter.so", "returned no adapter" },
		{ "too_large.so", "bytes is newer than this ar" },
		{ "too_small.so", "bytes is too small" },
		{ "wrong_major.so", "built for ABI 2.0, this ar speaks 1.0" },
		{ "zz_dup_name.so", dup },
	};
	size_t i;

	(void)state;
	assert_non_null(good);
	load_flags(&ps, dir, NULL);
	assert_int_equal(ps.n, 1);
	assert_string_equal(ps.items[0].ad.name, "fixture_good");
	assert_string_equal(ps.items[0].ad.description, "a working fixture adapter");
	assert_string_equal(ps.items[0].path, good);
	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		assert_one_warning(&ps, faults[i].file, faults[i].reason);
	assert_int_equal(ps.warnings.n, sizeof(faults) / sizeof(faults[0]));
	assert_int_equal(count_warnings(&ps, "/good.so: "), 0);
	assert_int_equal(ps.searched.n, 1);
	ar_plugins_release(&ps);
	free(minor);
	free(dup);
	free(good);
	free(shown);
}

/* ar_plugins_load_file's codes and error state. */
static void test_load_file_codes(void **state)
{
	struct ar_plugins ps = AR_PLUGINS_INIT;
	char *good = fixture_path("good"), *dup = fixture_path("zz_dup_name");
	char *major = fixture_path("wrong_major");

	(void)state;
	assert_int_equal(ar_plugins_load_file(&ps, "/nonexistent/x.so"),
	                 AR_ENOTFOUND);
	assert_true(tu_contains(ar_error_last(), "/nonexistent/x.so"));
	assert_int_equal(ar_plugins_load_file(&ps, good), 0);
	assert_int_equal(ar_plugins_load_file(&ps, good), AR_EEXISTS);
	assert_int_equal(ar_plugins_load_file(&ps, dup), AR_EEXISTS);
	assert_int_equal(ar_plugins_load_file(&ps, major), AR_ERROR);
	assert_true(tu_contains(ar_error_last(), "built for ABI 2.0"));
	assert_int_equal(ps.n, 1);
	assert_int_equal(ps.warnings.n, 4);
	assert_non_null(ar_plugins_find(&ps, "fixture_good"));
	assert_null(ar_plugins_find(&ps, "nope"));
	assert_null(ar_plugins_find(&ps, NULL));
	ar_plugins_release(&ps);
	ar_plugins_release(&ps); /* twice is harmless */
	free(good);
	free(dup);
	free(major);
}

static void test_refuses_writable_file(void **state)
{
	char *dir = tu_tmpdir(), *so = copy_fixture("good", dir, "good.so");
	struct ar_plugins ps;

	(void)state;
	assert_int_equal(chmod(so, 0666), 0);
	load_flags(&ps, dir, NULL);
	assert_int_equal(ps.n, 0);
	assert_one_warning(&ps, "good.so", "refused: world-writable");
	ar_plugins_release(&ps);

	assert_int_equal(chmod(so, 0664), 0);
	load_flags(&ps, dir, NULL);
	assert_int_equal(ps.n, 0);
	assert_one_warning(&ps, "good.so", "refused: group-writable");
	ar_plugins_release(&ps);

	assert_int_equal(chmod(so, 0755), 0);
	load_flags(&ps, dir, NULL);
	assert_int_equal(ps.n, 1);
	assert_int_equal(ps.warnings.n, 0);
	ar_plugins_release(&ps);
	tu_rm_rf(dir);
	free(so);
	free(dir);
}

static void test_refuses_world_writable_dir(void **state)
{
	char *dir = tu_tmpdir(), *so = copy_fixture("good", dir, "good.so");
	char *real = realpath(dir, NULL);
	char *why = ar_xprintf("refused: directory %s is world-writable", real);
	struct ar_plugins ps;
	const mode_t modes[] = { 0777, 01777 }; /* sticky does not help */
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		assert_int_equal(chmod(dir, modes[i]), 0);
		load_flags(&ps, dir, NULL);
		assert_int_equal(ps.n, 0);
		assert_one_warning(&ps, "good.so", why);
		ar_plugins_release(&ps);
	}
	assert_int_equal(chmod(dir, 0755), 0); /* group-writable dir is fine */
	load_flags(&ps, dir, NULL);
	assert_int_equal(ps.n, 1);
	ar_plugins_release(&ps);
	tu_rm_rf(dir);
	free(why);
	free(real);
	free(so);
	free(dir);
}

static void test_refuses_foreign_owner(void **state)
{
	char *dir, *so;
	struct ar_plugins ps;

	(void)state;
	dir = tu_tmpdir();
	so = copy_fixture("good", dir, "good.so");
	if (geteuid() != 0) {
		/* only root can give a file away: check the user's own loads */
		print_message("not root: the foreign-owner refusal is not "
		              "exercised here\n");
		load_flags(&ps, dir, NULL);
		assert_int_equal(ps.n, 1);
		ar_plugins_release(&ps);
		tu_rm_rf(dir);
		free(so);
		free(dir);
		return;
	}
	assert_int_equal(chown(so, 65534, 65534), 0);
	load_flags(&ps, dir, NULL);
	assert_int_equal(ps.n, 0);
	assert_one_warning(&ps, "good.so", "refused: owned by uid 65534, "
	                                   "neither you (uid 0) nor root");
	ar_plugins_release(&ps);
	tu_rm_rf(dir);
	free(so);
	free(dir);
}

/* Files that are not loadable shared objects, and names that are ignored. */
static void test_garbage_files(void **state)
{
	char *dir = tu_tmpdir();
	struct ar_plugins ps;

	(void)state;
	tu_write(dir, "bad.so", "this is not an ELF file\n");
	tu_write(dir, "empty.so", "");
	tu_write(dir, "notes.txt", "not a plugin name");
	tu_write(dir, "dir.so/inner", "a directory called dir.so");
	tu_write(dir, ".hidden.so", "hidden files are not plugins");
	assert_int_equal(tu_sh("cd '%s' && chmod 0644 bad.so empty.so && "
	                       "ln -s missing-target dangling.so", dir), 0);
	load_flags(&ps, dir, NULL);
	assert_int_equal(ps.n, 0);
	assert_one_warning(&ps, "bad.so", "cannot load: ");
	assert_one_warning(&ps, "empty.so", "cannot load: ");
	assert_one_warning(&ps, "dir.so", "is not a regular file");
	assert_one_warning(&ps, "dangling.so", "cannot resolve path: ");
	assert_int_equal(ps.warnings.n, 4);
	ar_plugins_release(&ps);
	tu_rm_rf(dir);
	free(dir);
}

/* A symlinked plugin is loaded (and vetted) as the file it points to. */
static void test_symlink_is_resolved(void **state)
{
	char *a = tu_tmpdir(), *b = tu_tmpdir();
	char *so = copy_fixture("good", b, "real_good.so"), *real;
	struct ar_plugins ps;

	(void)state;
	assert_int_equal(tu_sh("ln -s '%s' '%s/link.so'", so, a), 0);
	real = realpath(so, NULL);
	load_flags(&ps, a, NULL);
	assert_int_equal(ps.n, 1);
	assert_string_equal(ps.items[0].path, real);
	ar_plugins_release(&ps);

	assert_int_equal(chmod(so, 0666), 0); /* the target's mode counts */
	load_flags(&ps, a, NULL);
	assert_int_equal(ps.n, 0);
	assert_one_warning(&ps, "link.so", "world-writable");
	ar_plugins_release(&ps);
	tu_rm_rf(a);
	tu_rm_rf(b);
	free(so);
	free(real);
	free(a);
	free(b);
}

/* --plugin-dir comes before $AR_PLUGIN_PATH; the first name wins. */
static void test_search_order(void **state)
{
	char *a = tu_tmpdir(), *b = tu_tmpdir(), *c = tu_tmpdir();
	char *ra = realpath(a, NULL), *rb = realpath(b, NULL);
	char *rc = realpath(c, NULL), *var = ar_xprintf("%s:%s", b, c);
	char *sa = copy_fixture("good", a, "good.so");
	char *sb = copy_fixture("zz_dup_name", b, "dup.so");
	struct ar_plugins ps;

	(void)state;
	setenv("AR_PLUGIN_PATH", var, 1);
	load_flags(&ps, a, NULL);
	assert_int_equal(ps.n, 1);
	assert_string_equal(ps.items[0].ad.description, "a working fixture adapter");
	assert_one_warning(&ps, "dup.so", "adapter 'fixture_good' already loaded");
	assert_int_equal(ps.searched.n, 3);
	assert_string_equal(ps.searched.items[0], ra);
	assert_string_equal(ps.searched.items[1], rb);
	assert_string_equal(ps.searched.items[2], rc);
	ar_plugins_release(&ps);

	setenv("AR_PLUGIN_PATH", a, 1); /* now the duplicate's directory is first */
	load_flags(&ps, b, NULL);
	assert_int_equal(ps.n, 1);
	assert_string_equal(ps.items[0].ad.description, "the duplicate");
	assert_one_warning(&ps, "good.so", "already loaded from");
	assert_int_equal(ps.searched.n, 2);
	assert_string_equal(ps.searched.items[0], rb);
	assert_string_equal(ps.searched.items[1], ra);
	ar_plugins_release(&ps);

	load_flags(&ps, b, a, b, NULL); /* a directory is searched once */
	assert_int_equal(ps.searched.n, 2);
	assert_int_equal(ps.warnings.n, 1);
	ar_plugins_release(&ps);
	unsetenv("AR_PLUGIN_PATH");
	tu_rm_rf(a);
	tu_rm_rf(b);
	tu_rm_rf(c);
	free(a); free(b); free(c); free(ra); free(rb); free(rc);
	free(var); free(sa); free(sb);
}

/* *path made real when it exists. */
static void resolve_in_place(char **path)
{
	char *r = realpath(*path, NULL);

	if (r) {
		free(*path);
		*path = r;
	}
}

/* Without AR_PLUGIN_ISOLATE the user's, the install's and the build tree's
 * directories are searched too; with it, only flags and AR_PLUGIN_PATH. */
static void test_isolate(void **state)
{
	char *home = tu_tmpdir(), *pfx = tu_tmpdir();
	char *user = ar_path_join(home, ".local/lib/ar/plugins");
	char *exe = ar_path_join(pfx, "bin/ar"), *so, *rlib, *rbin, *ruser;
	char *rinst;
	char *old_home = getenv("HOME") ? ar_xstrdup(getenv("HOME")) : NULL;
	struct ar_plugins ps;

	(void)state;
	tu_write(pfx, "bin/ar", "#!/bin/sh\n");
	tu_write(pfx, "lib/ar/plugins/.keep", "");
	tu_write(pfx, "bin/plugins/.keep", "");
	rlib = ar_path_join(pfx, "lib/ar/plugins");
	rbin = ar_path_join(pfx, "bin/plugins");
	resolve_in_place(&rlib);
	resolve_in_place(&rbin);
	assert_int_equal(ar_mkdir_p(user), 0);
	ruser = realpath(user, NULL);
	rinst = ar_xstrdup(AR_PLUGINDIR);
	resolve_in_place(&rinst);
	so = copy_fixture("good", user, "good.so");
	setenv("HOME", home, 1);

	setenv("AR_PLUGIN_ISOLATE", "1", 1);
	assert_int_equal(ar_plugins_load(&ps, NULL, exe), 0);
	assert_int_equal(ps.n, 0);
	assert_int_equal(ps.searched.n, 0);
	ar_plugins_release(&ps);

	setenv("AR_PLUGIN_ISOLATE", "0", 1);
	assert_int_equal(ar_plugins_load(&ps, NULL, exe), 0);
	/* (installed adapters in AR_PLUGINDIR, if any, may load too) */
	assert_non_null(ar_plugins_find(&ps, "fixture_good"));
	assert_true(tu_contains(ar_plugins_find(&ps, "fixture_good")->path,
	                        "/.local/lib/ar/plugins/good.so"));
	assert_int_equal(ps.searched.n, 4);
	assert_string_equal(ps.searched.items[0], ruser);
	assert_string_equal(ps.searched.items[1], rlib);
	assert_string_equal(ps.searched.items[2], rbin);
	assert_string_equal(ps.searched.items[3], rinst);
	ar_plugins_release(&ps);

	unsetenv("AR_PLUGIN_ISOLATE"); /* unset means not isolated */
	assert_int_equal(ar_plugins_load(&ps, NULL, NULL), 0);
	assert_non_null(ar_plugins_find(&ps, "fixture_good"));
	ar_plugins_release(&ps);

	setenv("AR_PLUGIN_ISOLATE", "1", 1);
	if (old_home)
		setenv("HOME", old_home, 1);
	tu_rm_rf(home);
	tu_rm_rf(pfx);
	free(home); free(pfx); free(user); free(exe); free(so);
	free(rlib); free(rbin); free(old_home); free(ruser); free(rinst);
}

/* Empty entries of AR_PLUGIN_PATH never mean the current directory. */
static void test_never_cwd(void **state)
{
	char *dir = tu_tmpdir(), *so = copy_fixture("good", dir, "good.so");
	char cwd[PATH_MAX];
	struct ar_plugins ps;

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	setenv("AR_PLUGIN_PATH", "::", 1);
	assert_int_equal(ar_plugins_load(&ps, NULL, NULL), 0);
	assert_int_equal(ps.n, 0);
	assert_int_equal(ps.searched.n, 0);
	ar_plugins_release(&ps);
	setenv("AR_PLUGIN_PATH", ":/nonexistent-ar-dir:", 1);
	assert_int_equal(ar_plugins_load(&ps, NULL, NULL), 0);
	assert_int_equal(ps.n, 0);
	assert_int_equal(ps.warnings.n, 0); /* a missing directory is quiet */
	assert_int_equal(ps.searched.n, 1);
	ar_plugins_release(&ps);
	unsetenv("AR_PLUGIN_PATH");
	assert_int_equal(chdir(cwd), 0);
	tu_rm_rf(dir);
	free(so);
	free(dir);
}

static size_t count_so(const char *dir)
{
	struct dirent *e;
	size_t n = 0;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		n += len > 3 && e->d_name[0] != '.' &&
		     strcmp(e->d_name + len - 3, ".so") == 0;
	}
	closedir(d);
	return n;
}

/* The real built-in adapters load cleanly. */
static void test_builtin_plugins(void **state)
{
	struct ar_plugins ps;
	size_t i, want = build_plugindir ? count_so(build_plugindir) : 0;

	(void)state;
	if (want == 0) {
		print_message("no built-in adapters in %s yet: only checking "
		              "that an empty directory loads nothing, quietly\n",
		              build_plugindir ? build_plugindir : "(unset)");
		load_flags(&ps, build_plugindir, NULL);
		assert_int_equal(ps.n, 0);
		assert_int_equal(ps.warnings.n, 0);
		ar_plugins_release(&ps);
		return;
	}
	load_flags(&ps, build_plugindir, NULL);
	for (i = 0; i < ps.warnings.n; i++)
		print_message("warning: %s\n", ps.warnings.items[i]);
	assert_int_equal(ps.warnings.n, 0);
	assert_int_equal(ps.n, want);
	for (i = 0; i < ps.n; i++)
		assert_true(*ps.items[i].ad.name != '\0');
	ar_plugins_release(&ps);
}

/* ---- slots through the working fixture ------------------------------- */

static struct ar_plugins fixture_plugins;

static const struct ar_plugin *good_plugin(void)
{
	const struct ar_plugin *p;

	if (fixture_plugins.n == 0)
		load_flags(&fixture_plugins, tu_env("AR_FIXTURE_PLUGINDIR"), NULL);
	p = ar_plugins_find(&fixture_plugins, "fixture_good");
	assert_non_null(p);
	return p;
}

static void test_slot_detect(void **state)
{
	const struct ar_plugin *p = good_plugin();
	char *root = tu_tmpdir(), *reason, cwd[PATH_MAX];
	ar_strvec log = AR_STRVEC_INIT;
	int score = -1;

	(void)state;
	ar_host_drain_log(&log);
	ar_strvec_clear(&log);
	assert_int_equal(ar_plugin_detect(p, root, NULL, &score, &reason), 0);
	assert_int_equal(score, 0);
	assert_string_equal(reason, "no fixture.marker");
	free(reason);

	tu_write(root, "fixture.marker", "77\n");
	assert_int_equal(ar_plugin_detect(p, root, NULL, &score, &reason), 0);
	assert_int_equal(score, 77);
	assert_string_equal(reason, "found fixture.marker");
	free(reason);
	ar_host_drain_log(&log);
	assert_int_equal(log.n, 1);
	assert_string_equal(log.items[0], "adapter fixture_good: detect scored 77");
	ar_strvec_clear(&log);
	ar_host_drain_log(&log);
	assert_int_equal(log.n, 0); /* drained */

	tu_write(root, "fixture.marker", "500");
	assert_int_equal(ar_plugin_detect(p, root, NULL, &score, NULL), 0);
	assert_int_equal(score, 100); /* clamped */

	/* a relative root is resolved against the current directory */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(root), 0);
	tu_write(root, "fixture.marker", "33");
	assert_int_equal(ar_plugin_detect(p, ".", NULL, &score, NULL), 0);
	assert_int_equal(score, 33);
	assert_int_equal(chdir(cwd), 0);

	tu_write(root, "detect.fail", "");
	assert_int_equal(ar_plugin_detect(p, root, NULL, &score, &reason), AR_ERROR);
	assert_int_equal(score, 0);
	assert_string_equal(reason, "detect failed: detect.fail is present");
	assert_true(tu_contains(ar_error_last(), "adapter fixture_good: detect failed"));
	free(reason);
	ar_host_drain_log(&log);
	ar_strvec_release(&log);
	tu_rm_rf(root);
	free(root);
}

static void test_slot_apply_defaults(void **state)
{
	const struct ar_plugin *p = good_plugin();
	struct ar_origin flag = { AR_ORIGIN_FLAG, NULL, 0 };
	struct ar_config cfg;
	char *root = tu_tmpdir();

	(void)state;
	tu_write(root, "src/a.py", "");
	tu_write(root, "src/sub/b.py", "");
	tu_write(root, "src/c.txt", "");
	tu_write(root, "src/.cache/d.py", "");
	ar_config_init(&cfg);
	assert_int_equal(ar_config_set(&cfg, "metric.name", "val_loss", &flag), 0);
	assert_int_equal(ar_plugin_apply_defaults(p, root, &cfg), 0);
	assert_int_equal(cfg.target_files.n, 3);
	assert_string_equal(cfg.target_files.items[0], "fixture_target.py");
	assert_string_equal(cfg.target_files.items[1], "src/a.py");
	assert_string_equal(cfg.target_files.items[2], "src/sub/b.py");
	assert_int_equal(cfg.fixed_files.n, 1);
	assert_string_equal(cfg.fixed_files.items[0], "fixture_fixed.py");
	/* config_get saw the flag's metric name, which also stays */
	assert_string_equal(cfg.run_command, "./run.sh --metric val_loss");
	assert_string_equal(cfg.metric_name, "val_loss");
	assert_int_equal(cfg.metric_direction, AR_HIGHER_IS_BETTER);
	assert_int_equal(cfg.origin[AR_KEY_RUN_COMMAND].kind, AR_ORIGIN_ADAPTER);
	assert_string_equal(cfg.origin[AR_KEY_RUN_COMMAND].file, "fixture_good");
	assert_int_equal(cfg.origin[AR_KEY_METRIC_DIRECTION].kind,
	                 AR_ORIGIN_ADAPTER);
	ar_config_release(&cfg);

	ar_config_init(&cfg);
	assert_int_equal(ar_plugin_apply_defaults(p, root, &cfg), 0);
	assert_string_equal(cfg.metric_name, "fixture_metric");
	assert_string_equal(cfg.run_command, "./run.sh --metric fixture_metric");
	ar_config_release(&cfg);

	tu_write(root, "two_commands", "");
	ar_config_init(&cfg);
	assert_int_equal(ar_plugin_apply_defaults(p, root, &cfg), AR_ERROR);
	assert_true(tu_contains(ar_error_last(), "adapter fixture_good: "
	                        "run_command gave 2 commands; exactly one"));
	ar_config_release(&cfg);
	tu_rm_rf(root);
	free(root);
}

static void test_slot_measure(void **state)
{
	const struct ar_plugin *p = good_plugin();
	char *root = tu_tmpdir(), *reason = NULL;
	struct ar_run run;
	double v = 0;

	(void)state;
	memset(&run, 0, sizeof(run));
	run.size = sizeof(run);
	run.root = root;
	run.log_path = "run.log"; /* relative: taken from the root */
	tu_write(root, "run.log", "step 1\nfixture_metric: 1.5\nbye\n");
	assert_int_equal(ar_plugin_measure(p, root, NULL, &run, &v, &reason), AR_OK);
	assert_true(v == 1.5);
	assert_null(reason);

	tu_write(root, "run.log", "nothing here\n");
	assert_int_equal(ar_plugin_measure(p, root, NULL, &run, &v, &reason),
	                 AR_PASS);
	assert_null(reason);

	tu_write(root, "measure.fail", "");
	assert_int_equal(ar_plugin_measure(p, root, NULL, &run, &v, &reason),
	                 AR_ERROR);
	assert_string_equal(reason, "measure.fail is present");
	assert_true(tu_contains(ar_error_last(), "adapter fixture_good: measure "
	                        "failed: measure.fail is present"));
	free(reason);

	/* tree_size through the ABI: 10 + 20 bytes; a symlink is not followed */
	tu_write(root, "measure_tree/a.bin", "0123456789");
	tu_write(root, "measure_tree/sub/b.bin", "01234567890123456789");
	assert_int_equal(tu_sh("ln -s '%s/run.log' '%s/measure_tree/link'",
	                       root, root), 0);
	assert_int_equal(ar_plugin_measure(p, root, NULL, &run, &v, NULL), AR_OK);
	assert_true(v == 30.0);
	tu_rm_rf(root);
	free(root);
}

static void test_slot_memory(void **state)
{
	const struct ar_plugin *p = good_plugin();
	const int pids[] = { 10, 11, 12 };
	struct ar_run run;
	uint64_t bytes = 0;

	(void)state;
	assert_int_equal(ar_plugin_sample_memory(p, "/", NULL, pids, 3, &bytes),
	                 AR_OK);
	assert_int_equal(bytes, 3000);
	assert_int_equal(ar_plugin_sample_memory(p, "/", NULL, pids, 0, &bytes),
	                 AR_PASS);
	memset(&run, 0, sizeof(run));
	run.size = sizeof(run);
	assert_int_equal(ar_plugin_probe_memory(p, "/", NULL, &run, &bytes),
	                 AR_PASS);
	run.sampled_bytes = 41;
	assert_int_equal(ar_plugin_probe_memory(p, "/", NULL, &run, &bytes), AR_OK);
	assert_int_equal(bytes, 42);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_faults),
		cmocka_unit_test(test_load_file_codes),
		cmocka_unit_test(test_refuses_writable_file),
		cmocka_unit_test(test_refuses_world_writable_dir),
		cmocka_unit_test(test_refuses_foreign_owner),
		cmocka_unit_test(test_garbage_files),
		cmocka_unit_test(test_symlink_is_resolved),
		cmocka_unit_test(test_search_order),
		cmocka_unit_test(test_isolate),
		cmocka_unit_test(test_never_cwd),
		cmocka_unit_test(test_builtin_plugins),
		cmocka_unit_test(test_slot_detect),
		cmocka_unit_test(test_slot_apply_defaults),
		cmocka_unit_test(test_slot_measure),
		cmocka_unit_test(test_slot_memory),
	};
	const char *b = getenv("AR_BUILD_PLUGINDIR");
	int rc;

	/* Only the directories each test names: never installed plugins. */
	build_plugindir = b ? ar_xstrdup(b) : NULL;
	setenv("AR_PLUGIN_ISOLATE", "1", 1);
	unsetenv("AR_PLUGIN_PATH");
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	ar_plugins_release(&fixture_plugins);
	free(build_plugindir);
	return rc;
}
