/* SPDX-License-Identifier: Apache-2.0 */
/* replay.c: a main() that runs a fuzz target's LLVMFuzzerTestOneInput over every file
 * named on the command line (directories: every file in them), without libFuzzer, so an
 * ordinary build's tests replay the seed corpus and every crash ever found. */
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "%s: cannot open\n", path);
		return -1;
	}
	size_t cap = 4096, len = 0;
	uint8_t *data = malloc(cap);
	size_t got;
	while (data && (got = fread(data + len, 1, cap - len, f)) > 0) {
		len += got;
		if (len == cap) {
			uint8_t *bigger = realloc(data, cap *= 2);
			if (!bigger)
				free(data);
			data = bigger;
		}
	}
	int bad = ferror(f) || !data;
	fclose(f);
	if (bad) {
		fprintf(stderr, "%s: cannot read\n", path);
		free(data);
		return -1;
	}
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of dir, in name order; the count replayed, or -1. */
static long replay_dir(const char *dir)
{
	struct dirent **list = NULL;
	int n = scandir(dir, &list, NULL, NULL);
	if (n < 0) {
		fprintf(stderr, "%s: cannot list\n", dir);
		return -1;
	}
	char **names = calloc((size_t)n + 1, sizeof *names);
	long count = names ? 0 : -1;
	for (int i = 0; i < n; i++) {
		if (names && list[i]->d_name[0] != '.')
			names[count++] = strdup(list[i]->d_name);
		free(list[i]);
	}
	free(list);
	if (count > 0)
		qsort(names, (size_t)count, sizeof *names, cmp_names);
	for (long i = 0; names && i < count; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		if (replay_file(path) != 0)
			count = -1;
		free(names[i]);
	}
	free(names);
	return count;
}

int main(int argc, char **argv)
{
	long total = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		long n = stat(argv[i], &st) != 0 ? -1
			 : S_ISDIR(st.st_mode)      ? replay_dir(argv[i])
						    : (replay_file(argv[i]) == 0 ? 1 : -1);
		if (n < 0)
			return 1;
		total += n;
	}
	printf("replayed %ld input(s)\n", total);
	return total > 0 ? 0 : 1;
}
