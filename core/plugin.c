/*
 * plugin.c - finding, vetting and loading adapter shared objects, and the
 * wrappers that call their slots.  The only file that uses dlopen.
 *
 * A plugin is refused (one warning, never a crash of ar on our side) when
 * its file is unsafe to load, when it is not an ar adapter, when it speaks
 * another ABI, or when its struct is malformed.  Every refusal after dlopen
 * closes the handle; a loaded plugin stays resident until exit, because the
 * host keeps pointers into it (its name, its slots).
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin.h"

#ifndef AR_PLUGINDIR
#define AR_PLUGINDIR "/usr/local/lib/ar/plugins"
#endif

/* The fields an adapter of any 1.x minor must provide: up to `detect`. */
#define AR_ADAPTER_MIN_SIZE                                                  \
	(offsetof(struct ar_adapter, detect) +                               \
	 sizeof(((struct ar_adapter *)0)->detect))
#define AR_ADAPTER_NAME_MAX 64

/*
 * Record a refusal of the plugin at `shown`: one line in ps->warnings
 * ("plugin <path>: <reason>; skipped") and the error state.  Returns code.
 */
static int refuse(struct ar_plugins *ps, const char *shown, int code,
                  const char *fmt, ...) AR_PRINTF(4, 5);
static int refuse(struct ar_plugins *ps, const char *shown, int code,
                  const char *fmt, ...)
{
	ar_buf why = AR_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	ar_buf_vprintf(&why, fmt, ap);
	va_end(ap);
	ar_strvec_pushf(&ps->warnings, "plugin %s: %s; skipped", shown,
	                ar_buf_cstr(&why));
	ar_error_set(code, "plugin %s: %s", shown, ar_buf_cstr(&why));
	ar_buf_release(&why);
	return code;
}

/* The directory part of a path (caller frees); "/" for "/x". */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return ar_xstrdup(".");
	if (slash == path)
		return ar_xstrdup("/");
	return ar_xstrndup(path, (size_t)(slash - path));
}

/* sudo-style checks on the resolved file `real` and its directory. */
static int check_safe(struct ar_plugins *ps, const char *shown, const char *real)
{
	struct stat st;
	char *dir;
	int rc = 0;

	if (stat(real, &st) != 0)
		return refuse(ps, shown, AR_ERROR, "cannot stat %s: %s", real,
		              strerror(errno));
	if (!S_ISREG(st.st_mode))
		return refuse(ps, shown, AR_ERROR, "refused: %s is not a regular file",
		              real);
	if (st.st_uid != geteuid() && st.st_uid != 0)
		return refuse(ps, shown, AR_ERROR,
		              "refused: owned by uid %u, neither you (uid %u) nor root",
		              (unsigned)st.st_uid, (unsigned)geteuid());
	if (st.st_mode & S_IWOTH)
		return refuse(ps, shown, AR_ERROR,
		              "refused: world-writable (chmod o-w %s)", real);
	if (st.st_mode & S_IWGRP)
		return refuse(ps, shown, AR_ERROR,
		              "refused: group-writable (chmod g-w %s)", real);
	dir = dir_of(real);
	if (stat(dir, &st) != 0)
		rc = refuse(ps, shown, AR_ERROR, "cannot stat directory %s: %s", dir,
		            strerror(errno));
	else if (st.st_mode & S_IWOTH)
		rc = refuse(ps, shown, AR_ERROR,
		            "refused: directory %s is world-writable (chmod o-w %s)",
		            dir, dir);
	free(dir);
	return rc;
}

static int valid_name(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > AR_ADAPTER_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

/* The fields of a copied adapter struct. */
static int check_fields(struct ar_plugins *ps, const char *shown,
                        struct ar_adapter *ad)
{
	if (!ad->name || !*ad->name)
		return refuse(ps, shown, AR_ERROR, "adapter has no name");
	if (!valid_name(ad->name))
		return refuse(ps, shown, AR_ERROR,
		              "adapter name is not a short name (at most %d letters, "
		              "digits, '-', '_', '.')", AR_ADAPTER_NAME_MAX);
	if (!ad->detect)
		return refuse(ps, shown, AR_ERROR, "missing required slot 'detect'");
	if (ad->metric_direction != AR_LOWER_IS_BETTER &&
	    ad->metric_direction != AR_HIGHER_IS_BETTER)
		return refuse(ps, shown, AR_ERROR,
		              "metric_direction %d is neither AR_LOWER_IS_BETTER nor "
		              "AR_HIGHER_IS_BETTER", ad->metric_direction);
	if (!ad->version)
		ad->version = "";
	if (!ad->description)
		ad->description = "";
	return 0;
}

/* Version and size of the adapter's struct; copy it into *ad. */
static int check_adapter(struct ar_plugins *ps, const char *shown,
                         const struct ar_adapter *got, struct ar_adapter *ad)
{
	uint32_t v = got->abi_version, size = got->size;

	if (AR_ABI_VERSION_MAJOR(v) != AR_ABI_MAJOR ||
	    AR_ABI_VERSION_MINOR(v) > AR_ABI_MINOR)
		return refuse(ps, shown, AR_ERROR,
		              "built for ABI %u.%u, this ar speaks %u.%u",
		              (unsigned)AR_ABI_VERSION_MAJOR(v),
		              (unsigned)AR_ABI_VERSION_MINOR(v),
		              (unsigned)AR_ABI_MAJOR, (unsigned)AR_ABI_MINOR);
	if (size < AR_ADAPTER_MIN_SIZE)
		return refuse(ps, shown, AR_ERROR,
		              "struct ar_adapter of %u bytes is too small "
		              "(at least %zu expected)", (unsigned)size,
		              (size_t)AR_ADAPTER_MIN_SIZE);
	if (size > sizeof(struct ar_adapter))
		return refuse(ps, shown, AR_ERROR,
		              "struct ar_adapter of %u bytes is newer than this ar "
		              "(%zu bytes)", (unsigned)size, sizeof(struct ar_adapter));
	memset(ad, 0, sizeof(*ad));
	memcpy(ad, got, size);
	return check_fields(ps, shown, ad);
}

/* dlerror() without a leading "<path>: ", which the warning already has. */
static const char *dl_reason(const char *real)
{
	const char *e = dlerror();
	size_t n = strlen(real);

	if (!e)
		return "unknown dlopen error";
	if (strncmp(e, real, n) == 0 && e[n] == ':' && e[n + 1] == ' ')
		return e + n + 2;
	return e;
}

/* dlopen `real`, call its entry point, vet the result into *ad.  *handle is
 * set as soon as dlopen succeeds, so the caller closes it on failure. */
static int open_adapter(struct ar_plugins *ps, const char *shown,
                        const char *real, void **handle, struct ar_adapter *ad)
{
	const struct ar_adapter *got = NULL;
	ar_adapter_init_fn init;
	void *sym;
	int rc;

	dlerror();
	*handle = dlopen(real, RTLD_NOW | RTLD_LOCAL);
	if (!*handle)
		return refuse(ps, shown, AR_ERROR, "cannot load: %s", dl_reason(real));
	sym = dlsym(*handle, AR_ADAPTER_ENTRY_NAME);
	if (!sym)
		return refuse(ps, shown, AR_ERROR,
		              "no entry point " AR_ADAPTER_ENTRY_NAME " (not an ar "
		              "adapter, or built for another ABI major)");
	memcpy(&init, &sym, sizeof(init)); /* POSIX: dlsym yields code too */
	rc = init(&got, ar_host_table());
	if (rc != AR_OK)
		return refuse(ps, shown, AR_ERROR,
		              "its entry point " AR_ADAPTER_ENTRY_NAME " failed "
		              "(returned %d)", rc);
	if (!got)
		return refuse(ps, shown, AR_ERROR,
		              "its entry point " AR_ADAPTER_ENTRY_NAME " returned no "
		              "adapter");
	return check_adapter(ps, shown, got, ad);
}

static int check_unique(struct ar_plugins *ps, const char *shown,
                        const struct ar_adapter *ad)
{
	const struct ar_plugin *first = ar_plugins_find(ps, ad->name);

	if (first)
		return refuse(ps, shown, AR_EEXISTS,
		              "adapter '%s' already loaded from %s", ad->name,
		              first->path);
	return 0;
}

int ar_plugins_load_file(struct ar_plugins *ps, const char *path)
{
	struct ar_adapter ad;
	void *handle = NULL;
	char *real;
	int rc;

	real = realpath(path, NULL);
	if (!real)
		return refuse(ps, path, errno == ENOENT ? AR_ENOTFOUND : AR_ERROR,
		              "cannot resolve path: %s", strerror(errno));
	rc = check_safe(ps, path, real);
	if (rc == 0)
		rc = open_adapter(ps, path, real, &handle, &ad);
	if (rc == 0)
		rc = check_unique(ps, path, &ad);
	if (rc == 0) {
		ps->items = ar_xrealloc(ps->items, (ps->n + 1) * sizeof(*ps->items));
		ps->items[ps->n].ad = ad;
		ps->items[ps->n].path = real;
		ps->n++;
		return 0; /* handle stays open for the life of the process */
	}
	if (handle)
		dlclose(handle);
	free(real);
	return rc;
}

static int is_so_name(const char *name)
{
	size_t n = strlen(name);

	return n > 3 && name[0] != '.' && strcmp(name + n - 3, ".so") == 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.so in dir, by name.  A missing directory is silently skipped. */
static void load_dir(struct ar_plugins *ps, const char *dir)
{
	ar_strvec names = AR_STRVEC_INIT;
	struct dirent *e;
	size_t i;
	DIR *d;

	d = opendir(dir);
	if (!d) {
		if (errno != ENOENT && errno != ENOTDIR)
			ar_strvec_pushf(&ps->warnings,
			                "plugin directory %s: cannot read: %s; skipped",
			                dir, strerror(errno));
		return;
	}
	while ((e = readdir(d)) != NULL)
		if (is_so_name(e->d_name))
			ar_strvec_push(&names, e->d_name);
	closedir(d);
	if (names.n)
		qsort(names.items, names.n, sizeof(*names.items), cmp_str);
	for (i = 0; i < names.n; i++) {
		char *path = ar_path_join(dir, names.items[i]);
		ar_plugins_load_file(ps, path);
		free(path);
	}
	ar_strvec_release(&names);
}

/* Add a search directory (resolved when it exists); never "" (the cwd). */
static void add_dir(ar_strvec *dirs, const char *dir)
{
	char *real;

	if (!dir || !*dir)
		return;
	real = realpath(dir, NULL);
	if (!real)
		real = ar_xstrdup(dir);
	if (ar_strvec_contains(dirs, real))
		free(real);
	else
		ar_strvec_push_nodup(dirs, real);
}

/* The colon-separated entries of $AR_PLUGIN_PATH; empty ones are skipped. */
static void add_path_var(ar_strvec *dirs, const char *var)
{
	const char *p = var, *colon;

	while (p && *p) {
		char *one;

		colon = strchr(p, ':');
		one = colon ? ar_xstrndup(p, (size_t)(colon - p)) : ar_xstrdup(p);
		add_dir(dirs, one);
		free(one);
		p = colon ? colon + 1 : NULL;
	}
}

static int isolated(void)
{
	const char *v = getenv("AR_PLUGIN_ISOLATE");

	return v && *v && strcmp(v, "0") != 0;
}

/* ~/.local/lib/ar/plugins, <exe>/../lib/ar/plugins, <exe>/plugins, and
 * the compiled-in directory. */
static void add_system_dirs(ar_strvec *dirs, const char *exe_path)
{
	const char *home = getenv("HOME");
	char *exe, *dir;

	if (home && *home) {
		char *d = ar_path_join(home, ".local/lib/ar/plugins");
		add_dir(dirs, d);
		free(d);
	}
	exe = exe_path ? realpath(exe_path, NULL) : NULL;
	if (exe) {
		char *d;

		dir = dir_of(exe);
		d = ar_path_join(dir, "../lib/ar/plugins");
		add_dir(dirs, d);
		free(d);
		d = ar_path_join(dir, "plugins");
		add_dir(dirs, d);
		free(d);
		free(dir);
		free(exe);
	}
	add_dir(dirs, AR_PLUGINDIR);
}

int ar_plugins_load(struct ar_plugins *out, const ar_strvec *flag_dirs,
                    const char *exe_path)
{
	struct ar_plugins empty = AR_PLUGINS_INIT;
	size_t i;

	*out = empty;
	for (i = 0; flag_dirs && i < flag_dirs->n; i++)
		add_dir(&out->searched, flag_dirs->items[i]);
	add_path_var(&out->searched, getenv("AR_PLUGIN_PATH"));
	if (!isolated())
		add_system_dirs(&out->searched, exe_path);
	for (i = 0; i < out->searched.n; i++)
		load_dir(out, out->searched.items[i]);
	return 0;
}

void ar_plugins_release(struct ar_plugins *ps)
{
	size_t i;

	if (!ps)
		return;
	for (i = 0; i < ps->n; i++)
		free(ps->items[i].path);
	free(ps->items);
	ps->items = NULL;
	ps->n = 0;
	ar_strvec_release(&ps->warnings);
	ar_strvec_release(&ps->searched);
}

const struct ar_plugin *ar_plugins_find(const struct ar_plugins *ps,
                                        const char *name)
{
	size_t i;

	if (!ps || !name)
		return NULL;
	for (i = 0; i < ps->n; i++)
		if (strcmp(ps->items[i].ad.name, name) == 0)
			return &ps->items[i];
	return NULL;
}

/* ---- calling slots ---------------------------------------------------- */

/* The adapter's error for a failed slot, caller-owned, never empty. */
static char *slot_error(const struct ar_host_call *c, int rc)
{
	if (c->error.len)
		return ar_xstrdup(ar_buf_cstr(&c->error));
	return ar_xprintf("no reason given (returned %d)", rc);
}

int ar_plugin_detect(const struct ar_plugin *p, const char *root,
                     const struct ar_config *cfg, int *score, char **reason)
{
	struct ar_host_call c;
	int s = 0, rc;

	ar_host_call_init(&c, root, cfg, p->ad.name);
	rc = p->ad.detect(&c.ctx, &s);
	if (rc != AR_OK) {
		char *err = slot_error(&c, rc);
		*score = 0;
		if (reason)
			*reason = ar_xprintf("detect failed: %s", err);
		ar_error_set(AR_ERROR, "adapter %s: detect failed: %s", p->ad.name,
		             err);
		free(err);
		rc = AR_ERROR;
	} else {
		*score = s < 0 ? 0 : s > 100 ? 100 : s;
		if (reason)
			*reason = ar_xstrdup(ar_buf_cstr(&c.reason));
	}
	ar_host_call_release(&c);
	return rc;
}

typedef int (*list_slot)(struct ar_ctx *, struct ar_list *);

/* Call a list slot into *out.  AR_OK, AR_PASS (NULL slot too), AR_ERROR. */
static int call_list(const struct ar_plugin *p, list_slot fn, const char *slot,
                     const char *root, const struct ar_config *cfg,
                     ar_strvec *out)
{
	struct ar_host_call c;
	int rc;

	if (!fn)
		return AR_PASS;
	ar_host_call_init(&c, root, cfg, p->ad.name);
	rc = fn(&c.ctx, AR_LIST(out));
	if (rc != AR_OK && rc != AR_PASS) {
		char *err = slot_error(&c, rc);
		ar_error_set(AR_ERROR, "adapter %s: %s failed: %s", p->ad.name, slot,
		             err);
		free(err);
		rc = AR_ERROR;
	}
	if (rc == AR_PASS)
		ar_strvec_clear(out);
	ar_host_call_release(&c);
	return rc;
}

/* Add each item of a list slot's answer to the list key `key`. */
static int apply_list(const struct ar_plugin *p, list_slot fn, const char *slot,
                      enum ar_config_key key, const char *root,
                      struct ar_config *cfg, const struct ar_origin *o)
{
	ar_strvec v = AR_STRVEC_INIT;
	size_t i;
	int rc;

	rc = call_list(p, fn, slot, root, cfg, &v);
	for (i = 0; rc == AR_OK && i < v.n; i++)
		rc = ar_config_add(cfg, ar_config_key_name(key), v.items[i], o);
	ar_strvec_release(&v);
	return rc == AR_PASS ? 0 : rc;
}

static int apply_run_command(const struct ar_plugin *p, const char *root,
                             struct ar_config *cfg, const struct ar_origin *o)
{
	ar_strvec v = AR_STRVEC_INIT;
	int rc;

	rc = call_list(p, p->ad.run_command, "run_command", root, cfg, &v);
	if (rc == AR_OK && v.n != 1)
		rc = ar_error_set(AR_ERROR,
		                  "adapter %s: run_command gave %zu commands; exactly "
		                  "one expected", p->ad.name, v.n);
	if (rc == AR_OK)
		rc = ar_config_set(cfg, ar_config_key_name(AR_KEY_RUN_COMMAND),
		                   v.items[0], o);
	ar_strvec_release(&v);
	return rc == AR_PASS ? 0 : rc;
}

/* metric.name and, with it, metric.direction (meaningless without a name). */
static int apply_metric(const struct ar_plugin *p, struct ar_config *cfg,
                        const struct ar_origin *o)
{
	const char *dir;
	int rc;

	if (!p->ad.metric_name || !*p->ad.metric_name)
		return 0;
	rc = ar_config_set(cfg, ar_config_key_name(AR_KEY_METRIC_NAME),
	                   p->ad.metric_name, o);
	dir = p->ad.metric_direction == AR_HIGHER_IS_BETTER ? "higher" : "lower";
	if (rc == 0)
		rc = ar_config_set(cfg, ar_config_key_name(AR_KEY_METRIC_DIRECTION),
		                   dir, o);
	return rc;
}

int ar_plugin_apply_defaults(const struct ar_plugin *p, const char *root,
                             struct ar_config *cfg)
{
	struct ar_origin o;
	char *name = ar_xstrdup(p->ad.name);
	int rc;

	o.kind = AR_ORIGIN_ADAPTER;
	o.file = name;
	o.line = 0;
	rc = apply_metric(p, cfg, &o);
	if (rc == 0)
		rc = apply_list(p, p->ad.default_targets, "default_targets",
		                AR_KEY_TARGET_FILES, root, cfg, &o);
	if (rc == 0)
		rc = apply_list(p, p->ad.default_fixed, "default_fixed",
		                AR_KEY_FIXED_FILES, root, cfg, &o);
	if (rc == 0)
		rc = apply_run_command(p, root, cfg, &o);
	free(name);
	return rc;
}

int ar_plugin_measure(const struct ar_plugin *p, const char *root,
                      const struct ar_config *cfg, const struct ar_run *run,
                      double *out, char **reason)
{
	struct ar_host_call c;
	struct ar_metric m = { 0 };
	int rc, got;

	if (reason)
		*reason = NULL;
	if (!p->ad.measure)
		return AR_PASS;
	ar_host_call_init(&c, root, cfg, p->ad.name);
	rc = got = p->ad.measure(&c.ctx, run, &m);
	if (rc == AR_OK && !isfinite(m.value)) {
		ar_buf_clear(&c.error);
		ar_buf_adds(&c.error, "measure gave a value that is not a finite "
		                      "number");
		rc = AR_ERROR;
	} else if (rc != AR_OK && rc != AR_PASS) {
		rc = AR_ERROR;
	}
	if (rc == AR_OK)
		*out = m.value;
	if (rc == AR_ERROR) {
		char *err = slot_error(&c, got);
		ar_error_set(AR_ERROR, "adapter %s: measure failed: %s",
		             p->ad.name, err);
		if (reason)
			*reason = err;
		else
			free(err);
	}
	ar_host_call_release(&c);
	return rc;
}

int ar_plugin_sample_memory(const struct ar_plugin *p, const char *root,
                            const struct ar_config *cfg, const int *pids,
                            size_t npids, uint64_t *bytes)
{
	struct ar_host_call c;
	uint64_t b = 0;
	int rc;

	if (!p->ad.sample_memory)
		return AR_PASS;
	ar_host_call_init(&c, root, cfg, p->ad.name);
	rc = p->ad.sample_memory(&c.ctx, pids, npids, &b);
	ar_host_call_release(&c);
	if (rc != AR_OK)
		return AR_PASS;
	*bytes = b;
	return AR_OK;
}

int ar_plugin_probe_memory(const struct ar_plugin *p, const char *root,
                           const struct ar_config *cfg, const struct ar_run *run,
                           uint64_t *bytes)
{
	struct ar_host_call c;
	uint64_t b = 0;
	int rc;

	if (!p->ad.probe_memory)
		return AR_PASS;
	ar_host_call_init(&c, root, cfg, p->ad.name);
	rc = p->ad.probe_memory(&c.ctx, run, &b);
	ar_host_call_release(&c);
	if (rc != AR_OK)
		return AR_PASS;
	*bytes = b;
	return AR_OK;
}
