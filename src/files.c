/* SPDX-License-Identifier: Apache-2.0 */
/* files.c: the one way pivault creates a file it writes (files.h): new, 0600, never
 * through a link, never over anything; and the sync of its directory that keeps it. */
#include "files.h"

#include "vault.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CREATE_FLAGS (O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC)

int pv_file_create_fd(const char *path)
{
	int fd;
	do
		fd = open(path, CREATE_FLAGS, 0600);
	while (fd < 0 && errno == EINTR);
	return fd;
}

pv_rc pv_file_create_for(pv_vault *v, const char *path, const char *what, int *fd)
{
	if ((*fd = pv_file_create_fd(path)) >= 0)
		return PV_OK;
	if (errno == EEXIST || errno == ELOOP)
		return pv_fail(v, PV_ERR_EXISTS, "%s %s exists: pivault writes only new files, "
			       "never over a file or through a link", what, path);
	return pv_fail(v, PV_ERR_IO, "cannot create %s %s: %s", what, path, strerror(errno));
}

int pv_file_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int pv_file_end_line(int fd)
{
	struct stat st;
	char last = '\n';
	if (fstat(fd, &st) != 0)
		return -1;
	if (st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) != 1)
		return -1;
	return last == '\n' || write(fd, "\n", 1) == 1 ? 0 : -1;
}

int pv_file_append_fd(const char *path)
{
	int fd;
	do
		fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	while (fd < 0 && errno == EINTR);
	if (fd >= 0 && pv_file_end_line(fd) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

pv_rc pv_file_create(const char *path, FILE **out)
{
	*out = NULL;
	if (!path)
		return pv_fail(NULL, PV_ERR_USAGE, "no file named");
	int fd = pv_file_create_fd(path);
	if (fd < 0 && (errno == EEXIST || errno == ELOOP))
		return pv_fail(NULL, PV_ERR_EXISTS, "%s already exists (pivault never writes over a "
			       "file or through a link)", path);
	if (fd < 0)
		return pv_fail(NULL, PV_ERR_IO, "cannot create %s: %s", path, strerror(errno));
	if (!(*out = fdopen(fd, "w"))) {
		int e = errno;
		close(fd);
		unlink(path);
		errno = e;
		return pv_fail(NULL, PV_ERR_IO, "cannot write %s: %s", path, strerror(e));
	}
	return pv_ok(NULL);
}

int pv_file_sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
	if (!dir)
		return -1;
	int fd;
	do
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	free(dir);
	if (fd < 0)
		return -1;
	int rc = fsync(fd), e = errno;
	close(fd);
	errno = e;
	return rc;
}
