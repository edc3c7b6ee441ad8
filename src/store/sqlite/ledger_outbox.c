/* SPDX-License-Identifier: Apache-2.0 */
/* ledger_outbox.c: the shred ledger's outbox in the SQLite store: ledger lines an
 * operation commits with its data and ledger.c then appends to the ledger file. */
#include "internal.h"

const char pv_sqlite_ledger_tables[] =
	"CREATE TABLE IF NOT EXISTS ledger_outbox(intent TEXT NOT NULL, seq INTEGER NOT NULL,"
	"  ledger_size INTEGER NOT NULL, chunk BLOB NOT NULL, PRIMARY KEY(intent, seq));";

int pv_sqlite_outbox_put(struct pv_store *s, const char *intent, uint32_t seq,
			uint64_t ledger_size, const void *chunk, size_t len)
{
	static const char sql[] = "INSERT INTO ledger_outbox(intent, seq, ledger_size, chunk) "
				  "VALUES (?1, ?2, ?3, ?4)";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, intent, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 2, seq);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)ledger_size);
	sqlite3_bind_blob(q, 4, len ? chunk : "", (int)len, SQLITE_STATIC);
	return pv_sqlite_run(s, q, "keep the shred ledger's lines");
}

int pv_sqlite_outbox_pending(struct pv_store *s)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, "SELECT EXISTS(SELECT 1 FROM ledger_outbox)");
	if (!q)
		return -1; /* the statement cache said why */
	if (sqlite3_step(q) != SQLITE_ROW)
		return pv_sqlite_fail(s, "read the shred ledger's outbox");
	int pending = sqlite3_column_int(q, 0) != 0;
	sqlite3_reset(q);
	return pending;
}

struct outbox_walk {
	pv_store_outbox_fn fn;
	void *ctx;
};

static int outbox_row(void *ctx, sqlite3_stmt *q)
{
	struct outbox_walk *w = ctx;
	return w->fn(w->ctx, (const char *)sqlite3_column_text(q, 0),
		     (uint32_t)sqlite3_column_int64(q, 1), (uint64_t)sqlite3_column_int64(q, 2),
		     sqlite3_column_blob(q, 3), (size_t)sqlite3_column_bytes(q, 3));
}

int pv_sqlite_outbox_scan(struct pv_store *s, pv_store_outbox_fn fn, void *ctx)
{
	static const char sql[] = "SELECT intent, seq, ledger_size, chunk FROM ledger_outbox "
				  "ORDER BY intent, seq";
	struct outbox_walk w = { fn, ctx };
	return pv_sqlite_rows(s, sql, NULL, outbox_row, &w, "read the shred ledger's outbox");
}

int pv_sqlite_outbox_drop(struct pv_store *s, const char *intent)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, "DELETE FROM ledger_outbox WHERE intent = ?1");
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, intent, -1, SQLITE_TRANSIENT);
	return pv_sqlite_run(s, q, "empty the shred ledger's outbox");
}
