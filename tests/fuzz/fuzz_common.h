/*
 * fuzz_common.h - what the libFuzzer harnesses share: a scratch directory
 * made once per process (on /dev/shm when it exists, so the fsyncs of the
 * code under test cost nothing) and removed at exit, and writing an input
 * to a file in it.
 */
#ifndef AR_FUZZ_COMMON_H
#define AR_FUZZ_COMMON_H

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fuzz_dir_path[64];

/* At exit: the scratch directory's files (the harnesses make no
 * subdirectories), then the directory. */
static inline void fuzz_dir_remove(void)
{
	char path[512];
	struct dirent *e;
	DIR *d = opendir(fuzz_dir_path);

	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' && (!e->d_name[1] || !strcmp(e->d_name, "..")))
			continue;
		snprintf(path, sizeof(path), "%s/%s", fuzz_dir_path, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(fuzz_dir_path);
}

/* The scratch directory (created on first use; never NULL). */
static inline const char *fuzz_dir(void)
{
	if (!fuzz_dir_path[0]) {
		const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
		snprintf(fuzz_dir_path, sizeof(fuzz_dir_path), "%s/ar-fuzz-XXXXXX", base);
		if (!mkdtemp(fuzz_dir_path))
			abort();
		atexit(fuzz_dir_remove);
	}
	return fuzz_dir_path;
}

/* dir/name, filled with data[0..size) (or removed when data is NULL);
 * returns the path (static buffer, valid until the next call). */
static inline const char *fuzz_file(const char *name, const uint8_t *data, size_t size)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fuzz_dir(), name);
	if (!data) {
		unlink(path);
		return path;
	}
	if (!(f = fopen(path, "wb")) || (size && fwrite(data, 1, size, f) != size) ||
	    fclose(f) != 0)
		abort();
	return path;
}

#endif
