/*
 * test_claude.c - the real `claude` CLI (npm package
 * @anthropic-ai/claude-code) as ar's proposer, with `agent: claude`.
 *
 * The CLI is real; the model is not: it talks to
 * tests/fixtures/claude/messages_server.py, a TEST DOUBLE of the Messages
 * API on 127.0.0.1 that answers with a Read tool call, then an Edit tool
 * call on the target file, then a final text ending in "DESCRIPTION: ...".
 * HOME is a temporary directory, so no user settings leak in.
 *
 * The CLI is installed with npm into the build directory (reused by later
 * runs).  The test skips, saying why, only when the npm registry cannot be
 * reached.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testutil.h"
#include "../fixtures/engine/engine_tu.h"

#define PKG "@anthropic-ai/claude-code"

/* The directory holding the `claude` executable, installing it when needed;
 * NULL (after skip()) when the registry cannot be reached. */
static char *claude_bin_dir(void)
{
	char *prefix = ar_xprintf("%s/npm-claude", tu_env("AR_BUILD_DIR"));
	char *bin = ar_xprintf("%s/node_modules/.bin", prefix), *out = NULL;

	if (tu_sh("test -x '%s/claude' && '%s/claude' --version >/dev/null 2>&1", bin, bin) == 0) {
		free(prefix);
		return bin;
	}
	if (tu_sh("command -v npm >/dev/null") != 0) {
		printf("skipped: npm is not installed, so the claude CLI cannot be fetched\n");
		free(prefix);
		free(bin);
		skip();
	}
	if (tu_sh_out(&out, "cd /tmp && timeout 60 npm view %s version", PKG) != 0) {
		printf("skipped: the npm registry cannot be reached (npm view %s): %s\n", PKG,
		       out ? out : "");
		free(out);
		free(prefix);
		free(bin);
		skip();
	}
	free(out);
	if (tu_sh_out(&out, "timeout 300 npm install --no-audit --no-fund --prefix '%s' %s",
	              prefix, PKG) != 0)
		fail_msg("npm install %s failed although the registry answers:\n%s", PKG, out);
	free(out);
	if (tu_sh("'%s/claude' --version >/dev/null 2>&1", bin) != 0)
		fail_msg("%s/claude does not run after npm install", bin);
	free(prefix);
	return bin;
}

/* Start the scripted Messages API server; returns its port. */
static int start_server(const char *logdir, const char *file)
{
	char *port = NULL;
	int p;

	tu_sh("python3 '%s/tests/fixtures/claude/messages_server.py' --file '%s' "
	      "--old \"echo 'score: 1.0'\" --new \"echo 'score: 0.5'\" "
	      "--description 'halve the score' --port-file '%s/port' --log '%s/requests.log' "
	      ">'%s/server.out' 2>&1 & echo $! > '%s/server.pid'",
	      tu_env("AR_SOURCE_DIR"), file, logdir, logdir, logdir, logdir);
	for (int i = 0; i < 500 && !port; i++) {
		port = tu_read(logdir, "port");
		if (!port || !*port) {
			free(port);
			port = NULL;
			usleep(20000);
		}
	}
	if (!port)
		fail_msg("the scripted Messages API server did not start");
	p = atoi(port);
	free(port);
	return p;
}

static void test_claude_drives_an_experiment(void **state)
{
	(void)state;
	char *bin, *dir;

	if (tu_sh("command -v python3 >/dev/null") != 0) {
		printf("skipped: python3 is needed for the scripted Messages API server\n");
		skip();
	}
	bin = claude_bin_dir();
	dir = eng_repo(ENG_YAML "agent: claude\nagent_timeout: 60\n", "echo 'score: 1.0'\n");
	char *logdir = tu_tmpdir(), *home = ar_xprintf("%s/home", logdir);
	char *file = ar_xprintf("%s/train.sh", dir), *env, *out = NULL, *err = NULL, *reqs;
	int port, rc;
	json_t *r, *o;

	tu_sh("mkdir -p '%s'", home);
	port = start_server(logdir, file);
	env = ar_xprintf("PATH='%s':\"$PATH\" HOME='%s' ANTHROPIC_BASE_URL=http://127.0.0.1:%d "
	                 "ANTHROPIC_API_KEY=sk-ant-test-dummy CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 "
	                 "DISABLE_AUTOUPDATER=1", bin, home, port);
	rc = eng_ar_env(env, dir, &out, &err, "run --max 1");
	tu_sh("kill $(cat '%s/server.pid') 2>/dev/null", logdir);
	reqs = tu_read(logdir, "requests.log");
	if (rc != 0)
		fail_msg("ar run exited %d\nstdout:\n%s\nstderr:\n%s\nrequests:\n%s", rc, out, err,
		         reqs ? reqs : "(none)");
	assert_true(tu_contains(out, "proposer  claude"));
	r = eng_results(dir);
	assert_int_equal(json_array_size(r), 2);
	o = eng_find(r, 2);
	eng_assert_str(eng_jstr(o, "status"), "keep");
	eng_assert_str(eng_jstr(o, "description"), "halve the score");
	eng_assert_str(eng_jstr(o, "agent"), "claude");
	assert_true(json_is_number(json_object_get(o, "agent_cost_usd")));
	assert_true(json_number_value(json_object_get(o, "agent_s")) > 0);
	assert_true(json_number_value(json_object_get(o, "score")) == 0.5);
	/* The CLI read, then edited, through the server. */
	assert_true(tu_contains(reqs, "\"reply\": [\"Read\"]"));
	assert_true(tu_contains(reqs, "\"reply\": [\"Edit\"]"));
	char *head = eng_git(dir, "show HEAD:train.sh");
	eng_assert_str(head, "echo 'score: 0.5'");
	free(head);
	json_decref(r);
	free(reqs);
	free(out);
	free(err);
	free(env);
	free(file);
	free(home);
	tu_rm_rf(logdir);
	free(logdir);
	tu_rm_rf(dir);
	free(dir);
	free(bin);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_claude_drives_an_experiment),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
