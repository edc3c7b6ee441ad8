/* SPDX-License-Identifier: Apache-2.0 */
/* escrow.c: the record of the keyring's escrow copies in the SQLite store (when, for
 * which recipient, the copy's digest, by whom); like the holds, it outlives data. */
#include "internal.h"

const char pv_sqlite_escrow_tables[] =
	"CREATE TABLE IF NOT EXISTS escrow_copies(copy INTEGER PRIMARY KEY, made TEXT NOT NULL,"
	"  recipient TEXT NOT NULL, digest TEXT NOT NULL, made_by TEXT NOT NULL);";

int pv_sqlite_escrow_add(struct pv_store *s, const char *made, const char *recipient,
			const char *digest, const char *by)
{
	static const char sql[] = "INSERT INTO escrow_copies(made, recipient, digest, made_by) "
				  "VALUES (?1, ?2, ?3, ?4)";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	const char *t[] = { made, recipient, digest, by };
	for (int i = 0; i < 4; i++)
		sqlite3_bind_text(q, i + 1, t[i], -1, SQLITE_TRANSIENT);
	return pv_sqlite_run(s, q, "record an escrow copy");
}

struct escrow_walk {
	int (*fn)(void *ctx, const char *made, const char *recipient, const char *digest);
	void *ctx;
};

static int escrow_row(void *p, sqlite3_stmt *q)
{
	struct escrow_walk *w = p;
	return w->fn(w->ctx, (const char *)sqlite3_column_text(q, 0),
		     (const char *)sqlite3_column_text(q, 1), (const char *)sqlite3_column_text(q, 2));
}

int pv_sqlite_escrow_scan(struct pv_store *s, int (*fn)(void *ctx, const char *made,
						       const char *recipient, const char *digest),
			 void *ctx)
{
	static const char sql[] = "SELECT made, recipient, digest FROM escrow_copies ORDER BY copy";
	struct escrow_walk w = { fn, ctx };
	return pv_sqlite_rows(s, sql, NULL, escrow_row, &w, "scan escrow copies");
}
