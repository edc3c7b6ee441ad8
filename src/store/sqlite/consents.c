/* SPDX-License-Identifier: Apache-2.0 */
/* consents.c: consent in the SQLite store: each customer's current state per purpose
 * (consents, by row id) and the history of every change (consent_log, by customer id). */
#include "internal.h"

/* The first format's table, created with a new vault. */
const char pv_sqlite_consents_first_tables[] =
	"CREATE TABLE consents(rid INTEGER NOT NULL, purpose TEXT NOT NULL,"
	"  granted INTEGER NOT NULL, at TEXT NOT NULL, channel TEXT NOT NULL,"
	"  PRIMARY KEY(rid, purpose)) WITHOUT ROWID;";

/* Added since the first format, created when missing at every open. */
const char pv_sqlite_consents_tables[] =
	"CREATE TABLE IF NOT EXISTS consent_log(entry INTEGER PRIMARY KEY,"
	"  customer TEXT NOT NULL, purpose TEXT NOT NULL, granted INTEGER NOT NULL,"
	"  at TEXT NOT NULL, channel TEXT NOT NULL, text_version TEXT NOT NULL,"
	"  recorded_by TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS consent_log_customer ON consent_log(customer, entry);";

static const char SQL_CONSENT_PUT[] =
	"INSERT OR REPLACE INTO consents(rid, purpose, granted, at, channel) "
	"VALUES (?1, ?2, ?3, ?4, ?5)";
static const char SQL_CONSENT_SCAN[] =
	"SELECT purpose, granted FROM consents WHERE rid = ?1 ORDER BY purpose";

int pv_sqlite_consent_put(struct pv_store *s, int64_t rid, const char *purpose, int granted,
			 const char *at, const char *channel)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_CONSENT_PUT);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, rid);
	sqlite3_bind_text(q, 2, purpose, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 3, granted ? 1 : 0);
	sqlite3_bind_text(q, 4, at, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, channel, -1, SQLITE_STATIC);
	return pv_sqlite_run(s, q, "write consent");
}

int pv_sqlite_consent_scan(struct pv_store *s, int64_t rid,
			  int (*fn)(void *ctx, const char *purpose, int granted), void *ctx)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_CONSENT_SCAN);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, rid);
	int rc, stop = 0;
	while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW)
		stop = fn(ctx, (const char *)sqlite3_column_text(q, 0), sqlite3_column_int(q, 1));
	if (!stop && rc != SQLITE_DONE)
		stop = pv_sqlite_fail(s, "read consents");
	sqlite3_reset(q);
	return stop < 0 ? -1 : 0;
}

int pv_sqlite_consent_state(struct pv_store *s, int64_t rid, const char *purpose)
{
	static const char sql[] = "SELECT granted FROM consents WHERE rid = ?1 AND purpose = ?2";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, rid);
	sqlite3_bind_text(q, 2, purpose, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q), state = 0;
	if (rc == SQLITE_ROW)
		state = sqlite3_column_int(q, 0) ? 1 : 0;
	sqlite3_reset(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? state : pv_sqlite_fail(s, "read consent");
}

int pv_sqlite_consent_log(struct pv_store *s, const struct pv_consent_event_row *e)
{
	static const char sql[] =
		"INSERT INTO consent_log(customer, purpose, granted, at, channel, text_version, "
		"recorded_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, e->customer, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, e->purpose, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 3, e->granted ? 1 : 0);
	sqlite3_bind_text(q, 4, e->at, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, e->channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 6, e->text_version, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 7, e->recorded_by, -1, SQLITE_STATIC);
	return pv_sqlite_run(s, q, "record a consent");
}

struct consent_walk {
	int (*fn)(void *ctx, const struct pv_consent_event_row *e);
	void *ctx;
};

static int consent_row(void *p, sqlite3_stmt *q)
{
	struct consent_walk *w = p;
	struct pv_consent_event_row e = {
		(const char *)sqlite3_column_text(q, 0), (const char *)sqlite3_column_text(q, 1),
		sqlite3_column_int(q, 2), (const char *)sqlite3_column_text(q, 3),
		(const char *)sqlite3_column_text(q, 4), (const char *)sqlite3_column_text(q, 5),
		(const char *)sqlite3_column_text(q, 6) };
	return w->fn(w->ctx, &e);
}

int pv_sqlite_consent_rows(struct pv_store *s, const char *sql, const char *key,
			   int (*fn)(void *ctx, const struct pv_consent_event_row *e), void *ctx,
			   const char *what)
{
	struct consent_walk w = { fn, ctx };
	return pv_sqlite_rows(s, sql, key, consent_row, &w, what);
}

int pv_sqlite_consent_log_scan(struct pv_store *s, const char *customer,
			      int (*fn)(void *ctx, const struct pv_consent_event_row *e), void *ctx)
{
	static const char sql[] =
		"SELECT customer, purpose, granted, at, channel, text_version, recorded_by "
		"FROM consent_log WHERE customer = ?1 ORDER BY entry";
	return pv_sqlite_consent_rows(s, sql, customer, fn, ctx, "read consent history");
}

struct withdrawal_walk {
	int (*fn)(void *ctx, const char *customer, const char *purpose);
	void *ctx;
};

static int withdrawal_row(void *p, sqlite3_stmt *q)
{
	struct withdrawal_walk *w = p;
	return w->fn(w->ctx, (const char *)sqlite3_column_text(q, 0),
		     (const char *)sqlite3_column_text(q, 1));
}

int pv_sqlite_consent_withdrawals(struct pv_store *s,
				 int (*fn)(void *ctx, const char *customer, const char *purpose),
				 void *ctx)
{
	static const char sql[] = "SELECT DISTINCT customer, purpose FROM consent_log "
				  "WHERE granted = 0 ORDER BY customer";
	struct withdrawal_walk w = { fn, ctx };
	return pv_sqlite_rows(s, sql, NULL, withdrawal_row, &w, "read the withdrawals of consent");
}
