/* SPDX-License-Identifier: Apache-2.0 */
/* import_pending.c: an import committed in chunks, yet all or nothing for readers.
 * Only imports insert customers, one at a time (import_chunks.c holds a lock for it), so
 * an import's customers are the rows from the first row id it was given up: while the
 * import_pending row names that id, every read of customers stops below it (see
 * PV_SQL_VISIBLE), and deleting the row in the import's last, short transaction shows
 * them all at once. A killed import leaves the row and its customers; the next import
 * removes them (pv_store_import_discard) before it begins. A bulk import also drops the
 * customers' bucket index, built again when it ends, whichever way; while any import is
 * pending, opening the vault leaves the index as it is. */
#include "internal.h"

#include <stdio.h>
#include <time.h>

/* The pause after each chunk's commit, in which a waiting process gets the lock. */
#define PV_CHUNK_GAP_NS 3000000L

const char pv_sqlite_import_tables[] =
	"CREATE TABLE IF NOT EXISTS import_pending(rid_from INTEGER NOT NULL);";

int pv_sqlite_import_pending(struct pv_store *s, int64_t *rid_from)
{
	static const char sql[] = "SELECT min(rid_from) FROM import_pending";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	if (sqlite3_step(q) != SQLITE_ROW)
		return pv_sqlite_fail(s, "read the import under way");
	int none = sqlite3_column_type(q, 0) == SQLITE_NULL;
	*rid_from = none ? 0 : sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	return none;
}

int pv_sqlite_import_mark(struct pv_store *s, int64_t *rid_from)
{
	pv_sqlite_walk_begins(s); /* a load: through the bounded page cache */
	static const char sql[] = "INSERT INTO import_pending(rid_from) "
				  "SELECT coalesce(max(rid), 0) + 1 FROM customers RETURNING rid_from";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	if (sqlite3_step(q) != SQLITE_ROW)
		return pv_sqlite_fail(s, "mark the import under way");
	*rid_from = sqlite3_column_int64(q, 0);
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : pv_sqlite_fail(s, "mark the import under way");
}

int pv_sqlite_import_bulk(struct pv_store *s)
{
	return pv_sqlite_bucket_index_drop(s);
}

int pv_sqlite_import_done(struct pv_store *s)
{
	if (pv_sqlite_exec(s, "DELETE FROM import_pending;") != 0)
		return -1;
	return pv_sqlite_bucket_index_ensure(s); /* a bulk import dropped it */
}

int pv_sqlite_import_discard(struct pv_store *s, uint64_t *removed)
{
	int64_t from = 0;
	int st = pv_sqlite_import_pending(s, &from);
	*removed = 0;
	if (st != 0)
		return st < 0 ? -1 : 0;
	static const char sql[] = "INSERT OR IGNORE INTO temp.doomed(rid, id) "
				  "SELECT rid, id FROM customers WHERE rid >= ?1";
	if (pv_sqlite_doomed_begin(s) != 0)
		return -1;
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, from);
	if (pv_sqlite_run(s, q, "list an unfinished import's customers") != 0)
		return -1;
	*removed = (uint64_t)sqlite3_changes(s->db);
	if (pv_sqlite_doomed_remove(s) != 0)
		return -1;
	return pv_sqlite_import_done(s);
}

int pv_sqlite_chunk(struct pv_store *s, void (*between)(void *ctx), void *ctx)
{
	if (s->depth != 1)
		return 0; /* inside a caller's transaction: it commits */
	if (pv_sqlite_commit(s) != 0)
		return -1;
	if (between)
		between(ctx);
	/* a moment with the lock free: a waiter's busy handler tries every millisecond */
	struct timespec gap = { 0, PV_CHUNK_GAP_NS };
	nanosleep(&gap, NULL);
	return pv_sqlite_begin(s);
}
