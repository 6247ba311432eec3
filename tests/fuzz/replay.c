/* Replays saved inputs through a fuzz target without libFuzzer: each
 * argument (a file, or a directory of files) is read and handed to
 * LLVMFuzzerTestOneInput once. With no arguments it replays the target's
 * regression inputs and seed corpus (REPLAY_DIRS, set at build time), which
 * is how `make check` runs it. A crash, a sanitizer report or an invariant
 * the target checks ends the run with a failing status. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/fuzz/fuzz.h"

static int replayed;

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		perror(path);
		return 1;
	}
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			buf = realloc(buf, cap);
			if (!buf) {
				perror("realloc");
				exit(99);
			}
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n);
	fclose(f);
	printf("replay %s (%zu bytes)\n", path, len);
	fflush(stdout);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	replayed++;
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Directories in name order, so that a run is reproducible. */
static int replay_path(const char *path)
{
	struct stat st;
	struct dirent *de;
	char **names = NULL;
	size_t nr = 0;
	int err = 0;
	DIR *d;

	if (stat(path, &st) < 0) {
		perror(path);
		return 1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path);
	d = opendir(path);
	if (!d) {
		perror(path);
		return 1;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		names = realloc(names, (nr + 1) * sizeof(*names));
		if (!names || asprintf(&names[nr], "%s/%s", path, de->d_name) < 0) {
			perror("realloc");
			exit(99);
		}
		nr++;
	}
	closedir(d);
	if (nr)
		qsort(names, nr, sizeof(*names), cmp_names);
	for (size_t i = 0; i < nr; i++) {
		err |= replay_path(names[i]);
		free(names[i]);
	}
	free(names);
	return err;
}

int main(int argc, char **argv)
{
	int err = 0;

	LLVMFuzzerInitialize(&argc, &argv);
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			err |= replay_path(argv[i]);
	} else {
#ifdef REPLAY_DIRS
		static const char *const dirs[] = { REPLAY_DIRS };

		for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
			struct stat st;

			if (stat(dirs[i], &st) == 0)
				err |= replay_path(dirs[i]);
		}
#else
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 99;
#endif
	}
	printf("%d inputs replayed%s\n", replayed, err ? ", some unreadable" : "");
	return err ? 99 : 0;
}
