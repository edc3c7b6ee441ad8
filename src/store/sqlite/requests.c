/* SPDX-License-Identifier: Apache-2.0 */
/* requests.c: four-eyes approval requests in the SQLite store: who asked
 * for which operation with which exact arguments, who decided, when it expires and
 * whether it has been used. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

const char pv_sqlite_requests_tables[] =
	"CREATE TABLE IF NOT EXISTS requests("
	"  id TEXT PRIMARY KEY, requester TEXT NOT NULL, op TEXT NOT NULL, params TEXT NOT NULL,"
	"  params_hash TEXT NOT NULL, command TEXT NOT NULL, reason TEXT NOT NULL,"
	"  created TEXT NOT NULL, expires INTEGER NOT NULL, state TEXT NOT NULL,"
	"  approver TEXT NOT NULL DEFAULT '', decided TEXT NOT NULL DEFAULT '',"
	"  used TEXT NOT NULL DEFAULT '', enrol_key TEXT NOT NULL DEFAULT '');";

#define COLUMNS "id, requester, op, params, params_hash, command, reason, created, expires, " \
		"state, approver, decided, used, enrol_key"

static const char SQL_PUT[] = "INSERT OR REPLACE INTO requests(" COLUMNS ") VALUES "
			      "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)";
static const char SQL_GET[] = "SELECT " COLUMNS " FROM requests WHERE id = ?1";
static const char SQL_SCAN[] = "SELECT " COLUMNS " FROM requests ORDER BY created, id";

/* The text columns in table order, the expiry (column 8) aside. */
#define TEXTS(r) { &(r)->id, &(r)->requester, &(r)->op, &(r)->params, &(r)->params_hash,   \
		   &(r)->command, &(r)->reason, &(r)->created, NULL, &(r)->state,           \
		   &(r)->approver, &(r)->decided, &(r)->used, &(r)->enrol_key }
#define NCOLUMNS 14
#define EXPIRES_COLUMN 8

static void row_to_request(sqlite3_stmt *q, struct pv_stored_request *r)
{
	const char **t[NCOLUMNS] = TEXTS(r);
	for (int i = 0; i < NCOLUMNS; i++) {
		if (!t[i])
			continue;
		const unsigned char *x = sqlite3_column_text(q, i);
		*t[i] = x ? (const char *)x : "";
	}
	r->expires = sqlite3_column_int64(q, EXPIRES_COLUMN);
}

int pv_sqlite_request_put(struct pv_store *s, const struct pv_stored_request *r)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_PUT);
	if (!q)
		return -1;
	struct pv_stored_request w = *r;
	const char **t[NCOLUMNS] = TEXTS(&w);
	for (int i = 0; i < NCOLUMNS; i++)
		if (t[i])
			sqlite3_bind_text(q, 1 + i, *t[i] ? *t[i] : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 1 + EXPIRES_COLUMN, r->expires);
	return pv_sqlite_run(s, q, "write request");
}

int pv_sqlite_request_get(struct pv_store *s, const char *id, struct pv_stored_request *r)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_GET);
	int got = pv_sqlite_row_by_key(s, q, id, "read request");
	if (got == 0)
		row_to_request(q, r); /* valid until the statement is next reset */
	return got;
}

struct request_walk {
	pv_store_request_fn fn;
	void *ctx;
};

static int request_row(void *p, sqlite3_stmt *q)
{
	struct request_walk *w = p;
	struct pv_stored_request r;
	row_to_request(q, &r);
	return w->fn(w->ctx, &r);
}

int pv_sqlite_request_scan(struct pv_store *s, pv_store_request_fn fn, void *ctx)
{
	struct request_walk w = { fn, ctx };
	return pv_sqlite_rows(s, SQL_SCAN, NULL, request_row, &w, "scan requests");
}
