/* SPDX-License-Identifier: Apache-2.0 */
/* store_sqlite_backup.c: what backups and restores need of the SQLite store: an online
 * copy of the whole database (SQLite's backup API, a consistent snapshot while others
 * write), and removing many customers at once, without opening them (their keys may be
 * gone), as shreds and restores do. */
#include "store_sqlite.h"

#include <stdio.h>

int pv_store_backup_to(struct pv_store *s, const char *path)
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

/* ---- Removing many customers at once (shreds, restores) ---- */

int pv_store_doomed_begin(struct pv_store *s)
{
	return pv_sqlite_exec(s, "CREATE TEMP TABLE IF NOT EXISTS doomed("
				 "  rid INTEGER PRIMARY KEY, id TEXT NOT NULL);"
				 "DELETE FROM temp.doomed;");
}

int pv_store_doomed_add(struct pv_store *s, int64_t rid, const char *id)
{
	static const char sql[] = "INSERT OR IGNORE INTO temp.doomed(rid, id) VALUES (?1, ?2)";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, rid);
	sqlite3_bind_text(q, 2, id, -1, SQLITE_TRANSIENT);
	return pv_sqlite_run(s, q, "note a customer to remove");
}

int pv_sqlite_doomed_remove_related(struct pv_store *s)
{
	static const char sql[] =
		"DELETE FROM consents WHERE rid IN (SELECT rid FROM temp.doomed);"
		"DELETE FROM consent_log WHERE customer IN (SELECT id FROM temp.doomed);"
		"DELETE FROM reviews WHERE customer IN (SELECT id FROM temp.doomed);"
		"DELETE FROM customer_flags WHERE customer IN (SELECT id FROM temp.doomed);";
	for (size_t i = 0; i < s->ncache; i++) /* no statement may still be reading */
		sqlite3_reset(s->cache[i].q);
	return pv_sqlite_exec(s, sql);
}

int pv_store_doomed_remove(struct pv_store *s)
{
	/* Rows go with secure_delete on, so their pages are zeroed where they stood; the
	 * blind index's rows are rewritten without the doomed entries. */
	if (pv_sqlite_doomed_remove_related(s) != 0 ||
	    pv_sqlite_exec(s, "DELETE FROM customers WHERE rid IN (SELECT rid FROM temp.doomed);") !=
		    0 ||
	    pv_sqlite_index_remove_doomed(s) != 0)
		return -1;
	return pv_sqlite_exec(s, "DELETE FROM temp.doomed;");
}
