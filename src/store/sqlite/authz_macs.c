/* SPDX-License-Identifier: Apache-2.0 */
/* authz_macs.c: the integrity codes of authorisation state in the SQLite store: one MAC
 * per protected row (users, requests, holds, settings), keyed by its table and row key,
 * and one seal per table over all of its row MACs (authz_mac.c makes and checks both;
 * the store only keeps them). */
#include "internal.h"

#include <string.h>

const char pv_sqlite_authz_tables[] =
	"CREATE TABLE IF NOT EXISTS authz_macs(tbl TEXT NOT NULL, k TEXT NOT NULL,"
	"  mac BLOB NOT NULL, PRIMARY KEY(tbl, k)) WITHOUT ROWID;";

static const char SQL_PUT[] = "INSERT OR REPLACE INTO authz_macs(tbl, k, mac) VALUES (?1,?2,?3)";
static const char SQL_GET[] = "SELECT mac FROM authz_macs WHERE tbl = ?1 AND k = ?2";
static const char SQL_DELETE[] = "DELETE FROM authz_macs WHERE tbl = ?1 AND k = ?2";
static const char SQL_SCAN[] = "SELECT k, mac FROM authz_macs WHERE tbl = ?1 ORDER BY k";

int pv_sqlite_authz_put(struct pv_store *s, const char *tbl, const char *k, const uint8_t *mac,
		       size_t len)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_PUT);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, tbl, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, k, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(q, 3, mac, (int)len, SQLITE_TRANSIENT);
	return pv_sqlite_run(s, q, "write an integrity code");
}

int pv_sqlite_authz_delete(struct pv_store *s, const char *tbl, const char *k)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_DELETE);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, tbl, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, k, -1, SQLITE_TRANSIENT);
	return pv_sqlite_run(s, q, "delete an integrity code");
}

int pv_sqlite_authz_get(struct pv_store *s, const char *tbl, const char *k, uint8_t *mac,
		       size_t cap, size_t *len)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_GET);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, tbl, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, k, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(q, 0);
		*len = n;
		if (n <= cap && n)
			memcpy(mac, sqlite3_column_blob(q, 0), n);
	}
	sqlite3_reset(q);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : pv_sqlite_fail(s, "read an integrity code");
}

struct authz_walk {
	pv_store_authz_fn fn;
	void *ctx;
};

static int authz_row(void *p, sqlite3_stmt *q)
{
	struct authz_walk *w = p;
	const unsigned char *k = sqlite3_column_text(q, 0);
	return w->fn(w->ctx, k ? (const char *)k : "", sqlite3_column_blob(q, 1),
		     (size_t)sqlite3_column_bytes(q, 1));
}

int pv_sqlite_authz_scan(struct pv_store *s, const char *tbl, pv_store_authz_fn fn, void *ctx)
{
	struct authz_walk w = { fn, ctx };
	return pv_sqlite_rows_kept(s, SQL_SCAN, tbl, authz_row, &w, "scan integrity codes");
}
