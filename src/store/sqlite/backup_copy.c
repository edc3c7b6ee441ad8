/* SPDX-License-Identifier: Apache-2.0 */
/* backup_copy.c: an online copy of the whole database into a new file (SQLite's backup
 * API: a consistent snapshot while others write), as backups take it. */
#include "internal.h"

#include <stdio.h>

int pv_sqlite_backup_to(struct pv_store *s, const char *path)
{
	pv_sqlite_walk_begins(s);
	sqlite3 *dest = NULL;
	int rc = sqlite3_open_v2(path, &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
					      SQLITE_OPEN_NOFOLLOW, NULL);
	sqlite3_backup *b = rc == SQLITE_OK ? sqlite3_backup_init(dest, "main", s->db, "main")
					    : NULL;
	if (b) {
		rc = sqlite3_backup_step(b, -1); /* all pages, from one read snapshot */
		sqlite3_backup_finish(b);
	}
	if (!b || rc != SQLITE_DONE) {
		snprintf(s->err, sizeof s->err, "backup: %s",
			 dest ? sqlite3_errmsg(dest) : "cannot create the file");
		sqlite3_close(dest);
		return -1;
	}
	/* a plain file: no write-ahead log beside it */
	rc = sqlite3_exec(dest, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
	if (sqlite3_close(dest) != SQLITE_OK || rc != SQLITE_OK) {
		snprintf(s->err, sizeof s->err, "backup: cannot finish the copy");
		return -1;
	}
	return 0;
}
