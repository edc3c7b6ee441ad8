/* SPDX-License-Identifier: Apache-2.0 */
/* holds.c: legal holds in the SQLite store (which customer, why, who put it, since when,
 * when released), also read with their numbers, which their integrity codes are keyed
 * by. */
#include "internal.h"

#include <stdio.h>

const char pv_sqlite_holds_tables[] =
	"CREATE TABLE IF NOT EXISTS holds("
	"  hold INTEGER PRIMARY KEY, customer TEXT NOT NULL, reason TEXT NOT NULL,"
	"  placed_by TEXT NOT NULL, since TEXT NOT NULL, released TEXT NOT NULL DEFAULT '',"
	"  released_by TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX IF NOT EXISTS holds_customer ON holds(customer, released);";

static const char SQL_ADD[] =
	"INSERT INTO holds(customer, reason, placed_by, since) VALUES (?1, ?2, ?3, ?4)";
static const char SQL_RELEASE[] =
	"UPDATE holds SET released = ?2, released_by = ?3 WHERE customer = ?1 AND released = ''";
static const char SQL_ACTIVE[] =
	"SELECT reason, since FROM holds WHERE customer = ?1 AND released = '' ORDER BY hold LIMIT 1";
static const char SQL_SCAN[] =
	"SELECT customer, reason, placed_by, since, released, released_by FROM holds ORDER BY hold";

int pv_sqlite_hold_add(struct pv_store *s, const char *customer, const char *reason,
		      const char *by, const char *since)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_ADD);
	if (!q)
		return -1;
	const char *t[] = { customer, reason, by, since };
	for (int i = 0; i < 4; i++)
		sqlite3_bind_text(q, i + 1, t[i], -1, SQLITE_TRANSIENT);
	return pv_sqlite_run(s, q, "place a legal hold");
}

int pv_sqlite_hold_release(struct pv_store *s, const char *customer, const char *when,
			  const char *by, int *released)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_RELEASE);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, customer, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, when, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 3, by, -1, SQLITE_TRANSIENT);
	if (pv_sqlite_run(s, q, "release a legal hold") != 0)
		return -1;
	*released = sqlite3_changes(s->db);
	return 0;
}

int pv_sqlite_hold_active(struct pv_store *s, const char *customer, char *reason, size_t rlen,
			 char *since, size_t slen)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_ACTIVE);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, customer, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		snprintf(reason, rlen, "%s", (const char *)sqlite3_column_text(q, 0));
		snprintf(since, slen, "%s", (const char *)sqlite3_column_text(q, 1));
	}
	sqlite3_reset(q);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : pv_sqlite_fail(s, "read legal holds");
}

struct hold_walk {
	pv_store_hold_fn fn;
	void *ctx;
};

static int hold_row(void *p, sqlite3_stmt *q)
{
	struct hold_walk *w = p;
	const char *t[6];
	for (int i = 0; i < 6; i++)
		t[i] = (const char *)sqlite3_column_text(q, i);
	return w->fn(w->ctx, t[0], t[1], t[2], t[3], t[4], t[5]);
}

int pv_sqlite_hold_scan(struct pv_store *s, pv_store_hold_fn fn, void *ctx)
{
	struct hold_walk w = { fn, ctx };
	return pv_sqlite_rows(s, SQL_SCAN, NULL, hold_row, &w, "scan legal holds");
}

/* ---- Legal holds with their numbers ---- */

struct numbered_hold_walk {
	pv_store_hold_row_fn fn;
	void *ctx;
};

static int numbered_hold_row(void *p, sqlite3_stmt *q)
{
	struct numbered_hold_walk *w = p;
	struct pv_stored_hold h;
	h.hold = sqlite3_column_int64(q, 0);
	const char **t[] = { &h.customer, &h.reason, &h.placed_by, &h.since, &h.released,
			     &h.released_by };
	for (int i = 0; i < 6; i++) {
		const unsigned char *x = sqlite3_column_text(q, 1 + i);
		*t[i] = x ? (const char *)x : "";
	}
	return w->fn(w->ctx, &h);
}

int pv_sqlite_hold_rows(struct pv_store *s, pv_store_hold_row_fn fn, void *ctx)
{
	static const char sql[] = "SELECT hold, customer, reason, placed_by, since, released, "
				  "released_by FROM holds ORDER BY hold";
	struct numbered_hold_walk w = { fn, ctx };
	return pv_sqlite_rows(s, sql, NULL, numbered_hold_row, &w, "scan legal holds");
}
