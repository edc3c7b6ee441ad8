/* SPDX-License-Identifier: Apache-2.0 */
/* complaints.c: complaints (投诉, 争议) in the SQLite store: the record, and its notes
 * sealed by the caller under the customer's data key. */
#include "internal.h"

const char pv_sqlite_complaint_tables[] =
	"CREATE TABLE IF NOT EXISTS complaints("
	"  id TEXT PRIMARY KEY, customer TEXT NOT NULL, dsr TEXT NOT NULL, opened TEXT NOT NULL,"
	"  due TEXT NOT NULL, resolved TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE IF NOT EXISTS complaint_notes("
	"  note INTEGER PRIMARY KEY, complaint TEXT NOT NULL, note_id TEXT NOT NULL,"
	"  at TEXT NOT NULL, written_by TEXT NOT NULL, kind TEXT NOT NULL, sealed BLOB NOT NULL);"
	"CREATE INDEX IF NOT EXISTS complaint_notes_by ON complaint_notes(complaint, note);";

int pv_sqlite_complaint_put(struct pv_store *s, const struct pv_stored_complaint *c)
{
	static const char sql[] =
		"INSERT OR REPLACE INTO complaints(id, customer, dsr, opened, due, resolved) "
		"VALUES (?1,?2,?3,?4,?5,?6)";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	const char *t[] = { c->id, c->customer, c->dsr, c->opened, c->due, c->resolved };
	for (int i = 0; i < 6; i++)
		sqlite3_bind_text(q, i + 1, t[i] ? t[i] : "", -1, SQLITE_TRANSIENT);
	return pv_sqlite_run(s, q, "write a complaint");
}

static void row_to_complaint(sqlite3_stmt *q, struct pv_stored_complaint *c)
{
	const char **t[] = { &c->id, &c->customer, &c->dsr, &c->opened, &c->due, &c->resolved };
	for (int i = 0; i < 6; i++) {
		const unsigned char *x = sqlite3_column_text(q, i);
		*t[i] = x ? (const char *)x : "";
	}
}

int pv_sqlite_complaint_get(struct pv_store *s, const char *id, struct pv_stored_complaint *c)
{
	static const char sql[] =
		"SELECT id, customer, dsr, opened, due, resolved FROM complaints WHERE id = ?1";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	int got = pv_sqlite_row_by_key(s, q, id, "read a complaint");
	if (got == 0)
		row_to_complaint(q, c);
	return got;
}

struct complaint_walk {
	int (*fn)(void *ctx, const struct pv_stored_complaint *c);
	void *ctx;
};

static int complaint_row(void *p, sqlite3_stmt *q)
{
	struct complaint_walk *w = p;
	struct pv_stored_complaint c;
	row_to_complaint(q, &c);
	return w->fn(w->ctx, &c);
}

int pv_sqlite_complaint_scan(struct pv_store *s,
			    int (*fn)(void *ctx, const struct pv_stored_complaint *c), void *ctx)
{
	static const char sql[] =
		"SELECT id, customer, dsr, opened, due, resolved FROM complaints ORDER BY due, id";
	struct complaint_walk w = { fn, ctx };
	return pv_sqlite_rows(s, sql, NULL, complaint_row, &w, "scan complaints");
}

int pv_sqlite_complaint_note_add(struct pv_store *s, const char *complaint, const char *note_id,
				const char *at, const char *by, const char *kind,
				const uint8_t *sealed, size_t len)
{
	static const char sql[] =
		"INSERT INTO complaint_notes(complaint, note_id, at, written_by, kind, sealed) "
		"VALUES (?1,?2,?3,?4,?5,?6)";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	const char *t[] = { complaint, note_id, at, by, kind };
	for (int i = 0; i < 5; i++)
		sqlite3_bind_text(q, i + 1, t[i], -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(q, 6, sealed, (int)len, SQLITE_TRANSIENT);
	return pv_sqlite_run(s, q, "write a complaint note");
}

struct note_walk {
	int (*fn)(void *ctx, const char *note_id, const char *at, const char *by,
		  const char *kind, const uint8_t *sealed, size_t len);
	void *ctx;
};

static int note_row(void *p, sqlite3_stmt *q)
{
	struct note_walk *w = p;
	return w->fn(w->ctx, (const char *)sqlite3_column_text(q, 0),
		     (const char *)sqlite3_column_text(q, 1), (const char *)sqlite3_column_text(q, 2),
		     (const char *)sqlite3_column_text(q, 3), sqlite3_column_blob(q, 4),
		     (size_t)sqlite3_column_bytes(q, 4));
}

int pv_sqlite_complaint_note_scan(struct pv_store *s, const char *complaint,
				 int (*fn)(void *ctx, const char *note_id, const char *at,
					   const char *by, const char *kind, const uint8_t *sealed,
					   size_t len),
				 void *ctx)
{
	static const char sql[] = "SELECT note_id, at, written_by, kind, sealed FROM "
				  "complaint_notes WHERE complaint = ?1 ORDER BY note";
	struct note_walk w = { fn, ctx };
	return pv_sqlite_rows(s, sql, complaint, note_row, &w, "scan notes");
}
