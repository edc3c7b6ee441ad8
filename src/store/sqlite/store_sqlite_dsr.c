/* SPDX-License-Identifier: Apache-2.0 */
/* store_sqlite_dsr.c: data-subject requests in the SQLite store (which customer asked
 * for what, under which law, when it is due, how it was closed), and complaints with
 * their notes (sealed by the caller under the customer's data key). */
#include "store_sqlite.h"

const char pv_sqlite_dsr_tables[] =
	"CREATE TABLE IF NOT EXISTS dsr("
	"  id TEXT PRIMARY KEY, customer TEXT NOT NULL, type TEXT NOT NULL,"
	"  jurisdiction TEXT NOT NULL, opened TEXT NOT NULL, due TEXT NOT NULL,"
	"  opened_by TEXT NOT NULL, closed TEXT NOT NULL DEFAULT '',"
	"  outcome TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE IF NOT EXISTS customer_flags("
	"  customer TEXT PRIMARY KEY, restricted TEXT NOT NULL DEFAULT '',"
	"  objected TEXT NOT NULL DEFAULT '') WITHOUT ROWID;";

static const char SQL_PUT[] =
	"INSERT OR REPLACE INTO dsr(id, customer, type, jurisdiction, opened, due, opened_by, "
	"closed, outcome) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)";
static const char SQL_SCAN[] =
	"SELECT id, customer, type, jurisdiction, opened, due, opened_by, closed, outcome "
	"FROM dsr ORDER BY due, id";
static const char SQL_GET[] =
	"SELECT id, customer, type, jurisdiction, opened, due, opened_by, closed, outcome "
	"FROM dsr WHERE id = ?1";

int pv_store_dsr_put(struct pv_store *s, const struct pv_stored_dsr *d)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_PUT);
	if (!q)
		return -1;
	const char *t[] = { d->id, d->customer, d->type, d->jurisdiction, d->opened, d->due,
			    d->opened_by, d->closed, d->outcome };
	for (int i = 0; i < 9; i++)
		sqlite3_bind_text(q, i + 1, t[i] ? t[i] : "", -1, SQLITE_TRANSIENT);
	return pv_sqlite_run(s, q, "write a data-subject request");
}

static void row_to_dsr(sqlite3_stmt *q, struct pv_stored_dsr *d)
{
	const char **t[] = { &d->id, &d->customer, &d->type, &d->jurisdiction, &d->opened,
			     &d->due, &d->opened_by, &d->closed, &d->outcome };
	for (int i = 0; i < 9; i++) {
		const unsigned char *x = sqlite3_column_text(q, i);
		*t[i] = x ? (const char *)x : "";
	}
}

int pv_store_dsr_get(struct pv_store *s, const char *id, struct pv_stored_dsr *d)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_GET);
	int got = pv_sqlite_row_by_key(s, q, id, "read a data-subject request");
	if (got == 0)
		row_to_dsr(q, d);
	return got;
}

struct dsr_walk {
	int (*fn)(void *ctx, const struct pv_stored_dsr *d);
	void *ctx;
};

static int dsr_row(void *p, sqlite3_stmt *q)
{
	struct dsr_walk *w = p;
	struct pv_stored_dsr d;
	row_to_dsr(q, &d);
	return w->fn(w->ctx, &d);
}

int pv_store_dsr_scan(struct pv_store *s, int (*fn)(void *ctx, const struct pv_stored_dsr *d),
		      void *ctx)
{
	struct dsr_walk w = { fn, ctx };
	return pv_sqlite_rows(s, SQL_SCAN, NULL, dsr_row, &w, "scan data-subject requests");
}

/* ---- Complaints (投诉, 争议): the record, and its notes sealed under the customer's key ---- */

const char pv_sqlite_complaint_tables[] =
	"CREATE TABLE IF NOT EXISTS complaints("
	"  id TEXT PRIMARY KEY, customer TEXT NOT NULL, dsr TEXT NOT NULL, opened TEXT NOT NULL,"
	"  due TEXT NOT NULL, resolved TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE IF NOT EXISTS complaint_notes("
	"  note INTEGER PRIMARY KEY, complaint TEXT NOT NULL, note_id TEXT NOT NULL,"
	"  at TEXT NOT NULL, written_by TEXT NOT NULL, kind TEXT NOT NULL, sealed BLOB NOT NULL);"
	"CREATE INDEX IF NOT EXISTS complaint_notes_by ON complaint_notes(complaint, note);";

int pv_store_complaint_put(struct pv_store *s, const struct pv_stored_complaint *c)
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

int pv_store_complaint_get(struct pv_store *s, const char *id, struct pv_stored_complaint *c)
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

int pv_store_complaint_scan(struct pv_store *s,
			    int (*fn)(void *ctx, const struct pv_stored_complaint *c), void *ctx)
{
	static const char sql[] =
		"SELECT id, customer, dsr, opened, due, resolved FROM complaints ORDER BY due, id";
	struct complaint_walk w = { fn, ctx };
	return pv_sqlite_rows(s, sql, NULL, complaint_row, &w, "scan complaints");
}

int pv_store_complaint_note_add(struct pv_store *s, const char *complaint, const char *note_id,
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

int pv_store_complaint_note_scan(struct pv_store *s, const char *complaint,
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

/* ---- Restriction and objection (GDPR art. 18, 21; PIPL art. 44) ---- */

int pv_store_customer_flag_set(struct pv_store *s, const char *customer, int objection,
			       const char *since)
{
	static const char restrict_sql[] =
		"INSERT INTO customer_flags(customer, restricted) VALUES (?1, ?2) "
		"ON CONFLICT(customer) DO UPDATE SET restricted = ?2";
	static const char object_sql[] =
		"INSERT INTO customer_flags(customer, objected) VALUES (?1, ?2) "
		"ON CONFLICT(customer) DO UPDATE SET objected = ?2";
	sqlite3_stmt *q = pv_sqlite_stmt(s, objection ? object_sql : restrict_sql);
	if (!q)
		return -1;
	s->flags_known = 0; /* this connection's own change, before it commits */
	sqlite3_bind_text(q, 1, customer, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, since, -1, SQLITE_TRANSIENT);
	return pv_sqlite_run(s, q, "set a restriction or objection");
}

int pv_store_customer_flags(struct pv_store *s, const char *customer, int *restricted,
			    int *objected)
{
	static const char sql[] =
		"SELECT restricted, objected FROM customer_flags WHERE customer = ?1";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, customer, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(q);
	*restricted = *objected = 0;
	if (rc == SQLITE_ROW) {
		*restricted = sqlite3_column_text(q, 0)[0] != '\0';
		*objected = sqlite3_column_text(q, 1)[0] != '\0';
	}
	sqlite3_reset(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : pv_sqlite_fail(s, "read flags");
}

struct flag_walk {
	int (*fn)(void *ctx, const char *customer, int restricted, int objected);
	void *ctx;
};

static int flag_row(void *p, sqlite3_stmt *q)
{
	struct flag_walk *w = p;
	return w->fn(w->ctx, (const char *)sqlite3_column_text(q, 0),
		     sqlite3_column_text(q, 1)[0] != '\0', sqlite3_column_text(q, 2)[0] != '\0');
}

int pv_store_customer_flag_scan(struct pv_store *s,
				int (*fn)(void *ctx, const char *customer, int restricted,
					  int objected),
				void *ctx)
{
	static const char sql[] = "SELECT customer, restricted, objected FROM customer_flags "
				  "WHERE restricted != '' OR objected != '' ORDER BY customer";
	struct flag_walk w = { fn, ctx };
	return pv_sqlite_rows(s, sql, NULL, flag_row, &w, "scan flags");
}

int pv_store_customer_flags_any(struct pv_store *s)
{
	unsigned version = 0; /* changes with every commit, by any connection */
	if (sqlite3_file_control(s->db, "main", SQLITE_FCNTL_DATA_VERSION, &version) == SQLITE_OK &&
	    s->flags_known && version == s->flags_version)
		return s->flags_any;
	static const char sql[] = "SELECT EXISTS(SELECT 1 FROM customer_flags "
				  "WHERE restricted != '' OR objected != '')";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	int rc = sqlite3_step(q), any = rc == SQLITE_ROW && sqlite3_column_int(q, 0);
	sqlite3_reset(q);
	if (rc != SQLITE_ROW)
		return pv_sqlite_fail(s, "read flags");
	s->flags_known = 1;
	s->flags_any = any;
	s->flags_version = version;
	return any;
}
