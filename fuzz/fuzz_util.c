/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_util.c: input splitting and a private temporary directory for the fuzz targets. */
#include "fuzz.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *fuzz_parts(const uint8_t *data, size_t size, char **buf, const char **parts,
		       size_t n, size_t *rest_len)
{
	char *copy = malloc(size + 1);
	if (!copy)
		abort();
	if (size)
		memcpy(copy, data, size);
	copy[size] = '\0';
	*buf = copy;
	size_t at = 0;
	for (size_t i = 0; i < n; i++) {
		if (at > size) {
			parts[i] = NULL;
			continue;
		}
		parts[i] = copy + at;
		at += strlen(copy + at) + 1;
	}
	*rest_len = at < size ? size - at : 0;
	return copy + (at < size ? at : size);
}

static char tempdir[64];

void fuzz_remove_tree(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *e;
		while (d && (e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			char sub[4096];
			snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
			fuzz_remove_tree(sub);
		}
		if (d)
			closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

static void remove_tempdir(void)
{
	fuzz_remove_tree(tempdir);
}

const char *fuzz_tempdir(void)
{
	if (!tempdir[0]) {
		const char *base = getenv("TMPDIR");
		snprintf(tempdir, sizeof tempdir, "%s/pvfuzz.XXXXXX",
			 base && strlen(base) < 40 ? base : "/tmp");
		if (!mkdtemp(tempdir))
			abort();
		atexit(remove_tempdir);
	}
	return tempdir;
}

int fuzz_write(const char *path, const void *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	const char *p = data;
	while (size) {
		ssize_t w = write(fd, p, size);
		if (w <= 0) {
			close(fd);
			return -1;
		}
		p += w;
		size -= (size_t)w;
	}
	return close(fd);
}

void fuzz_report(const char *target, int rc, const char *why)
{
	static int verbose = -1;
	if (verbose < 0)
		verbose = getenv("FUZZ_VERBOSE") != NULL;
	if (verbose)
		fprintf(stderr, "%s: %d %s\n", target, rc, why);
}
