/* SPDX-License-Identifier: Apache-2.0 */
/* sessions.c: the server's sign-in sessions in the SQLite store: a keyed hash of each
 * bearer token (never the token), its user, when it was made and when it expires, how
 * many customers it was shown in clear, and an integrity tag the library computes. */
#include "internal.h"

const char pv_sqlite_sessions_tables[] =
	"CREATE TABLE IF NOT EXISTS sessions("
	"  id TEXT PRIMARY KEY, user TEXT NOT NULL, created INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL, clear_shown INTEGER NOT NULL DEFAULT 0, tag BLOB NOT NULL);";

static const char SQL_GET[] =
	"SELECT id, user, created, expires, clear_shown, tag FROM sessions WHERE id = ?1";
static const char SQL_PUT[] =
	"INSERT OR REPLACE INTO sessions(id, user, created, expires, clear_shown, tag) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_DELETE[] = "DELETE FROM sessions WHERE id = ?1";
static const char SQL_PURGE[] = "DELETE FROM sessions WHERE expires <= ?1";
static const char SQL_END_USER[] = "DELETE FROM sessions WHERE user = ?1 AND id <> ?2";

int pv_sqlite_session_get(struct pv_store *s, const char *id, struct pv_stored_session *x)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_GET);
	int got = pv_sqlite_row_by_key(s, q, id, "read a session");
	if (got != 0)
		return got;
	x->id = (const char *)sqlite3_column_text(q, 0);
	x->user = (const char *)sqlite3_column_text(q, 1);
	x->created = sqlite3_column_int64(q, 2);
	x->expires = sqlite3_column_int64(q, 3);
	x->clear_shown = (uint64_t)sqlite3_column_int64(q, 4);
	x->tag = sqlite3_column_blob(q, 5);
	x->tag_len = x->tag ? (size_t)sqlite3_column_bytes(q, 5) : 0;
	return 0;
}

int pv_sqlite_session_put(struct pv_store *s, const struct pv_stored_session *x)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_PUT);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, x->id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, x->user, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 3, x->created);
	sqlite3_bind_int64(q, 4, x->expires);
	sqlite3_bind_int64(q, 5, (int64_t)x->clear_shown);
	sqlite3_bind_blob(q, 6, x->tag, (int)x->tag_len, SQLITE_TRANSIENT);
	return pv_sqlite_run(s, q, "write a session");
}

int pv_sqlite_session_delete(struct pv_store *s, const char *id)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_DELETE);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_TRANSIENT);
	return pv_sqlite_run(s, q, "delete a session");
}

int pv_sqlite_session_purge(struct pv_store *s, int64_t now)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_PURGE);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, now);
	return pv_sqlite_run(s, q, "delete expired sessions");
}

int pv_sqlite_session_end_user(struct pv_store *s, const char *user, const char *keep_id)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_END_USER);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, user, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, keep_id ? keep_id : "", -1, SQLITE_TRANSIENT);
	if (pv_sqlite_run(s, q, "end a user's sessions") != 0)
		return -1;
	return sqlite3_changes(s->db);
}
