/*
 * fuzz_config - the config loaders: every input is loaded as
 * .autoresearch.yaml, as .autoresearch.json and as CLAUDE.md, each into a
 * fresh struct ar_config; whatever loads is validated and every key read
 * back with its origin.
 */
#include "fuzz_common.h"

#include "config.h"
#include "error.h"

typedef int (*loader)(struct ar_config *, const char *);

static void load(loader fn, const char *name, const uint8_t *data, size_t size)
{
	struct ar_config cfg;
	const char *path = fuzz_file(name, data, size);
	const char *key;
	size_t i;

	ar_config_init(&cfg);
	if (fn(&cfg, path) == 0) {
		ar_config_validate(&cfg);
		for (i = 0; (key = ar_config_key_at(i)) != NULL; i++) {
			const struct ar_origin *o = ar_config_origin(&cfg, key);
			char *v = ar_config_get(&cfg, key);
			char *where = o ? ar_origin_describe(o) : NULL;
			double d;

			ar_config_get_number(&cfg, key, &d);
			free(v);
			free(where);
		}
	}
	ar_config_release(&cfg);
	ar_error_clear();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	load(ar_config_load_yaml, ".autoresearch.yaml", data, size);
	load(ar_config_load_json, ".autoresearch.json", data, size);
	load(ar_config_load_claude, "CLAUDE.md", data, size);
	return 0;
}
