/* SPDX-License-Identifier: Apache-2.0 */
/* import_lock.c: one import at a time, across processes: the import lock is a lock
 * (flock) on the file import.lock beside the database, which the system drops when the
 * process dies, so a killed import leaves none behind. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define IMPORT_LOCK_NAME "import.lock"

/* Open the lock file beside the database (create: made when absent): a descriptor, or
 * -1 with errno. */
static int open_lock_file(struct pv_store *s, int create)
{
	const char *db = sqlite3_db_filename(s->db, "main");
	const char *slash = db ? strrchr(db, '/') : NULL;
	char path[4096];
	if (slash)
		snprintf(path, sizeof path, "%.*s/%s", (int)(slash - db), db, IMPORT_LOCK_NAME);
	else
		snprintf(path, sizeof path, "%s", IMPORT_LOCK_NAME);
	return open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0), 0600);
}

int pv_sqlite_import_lock(struct pv_store *s)
{
	if (s->import_lock_fd >= 0) {
		snprintf(s->err, sizeof s->err, "the import lock is held here already");
		return -1;
	}
	int fd = open_lock_file(s, 1);
	if (fd < 0) {
		snprintf(s->err, sizeof s->err, "cannot open the vault's import lock %s: %s",
			 IMPORT_LOCK_NAME, strerror(errno));
		return -1;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EINTR)
			continue;
		int held = errno == EWOULDBLOCK;
		if (!held)
			snprintf(s->err, sizeof s->err, "cannot take the vault's import lock: %s",
				 strerror(errno));
		close(fd);
		return held ? 1 : -1;
	}
	s->import_lock_fd = fd;
	return 0;
}

void pv_sqlite_import_unlock(struct pv_store *s)
{
	if (s->import_lock_fd < 0)
		return;
	close(s->import_lock_fd); /* the lock goes with it */
	s->import_lock_fd = -1;
}

int pv_sqlite_import_locked(struct pv_store *s)
{
	if (s->import_lock_fd >= 0)
		return 1;
	int fd = open_lock_file(s, 0);
	if (fd < 0)
		return 0; /* never imported since the lock came in */
	int held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
	close(fd);
	return held;
}
