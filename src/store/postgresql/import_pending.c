/* SPDX-License-Identifier: Apache-2.0 */
/* import_pending.c: an import committed in chunks in PostgreSQL, yet all or nothing for
 * readers, as in the SQLite store. Only imports insert customers, one at a time, so an
 * import's customers are the rows from the first row id it was given up: while the
 * import_pending row (customers.c's tables) names that id, every read of customers stops
 * below it (VISIBLE in customers.c and blind_index.c), and deleting the row in the import's
 * last, short transaction shows them all at once. A killed import leaves the row and its
 * customers; the next import removes them (discard) before it begins. A bulk import drops
 * nothing here (see pv_pg_import_bulk). Above doomed.c, whose removal it uses. */
#include "internal.h"
#include "pg_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* The pause after each chunk's commit, in which a writer waiting on any node gets the lock:
 * longer than a waiter's sleep between two tries (connection.c) and its round trip. */
#define PV_PG_CHUNK_GAP_NS 10000000L

int pv_pg_import_pending(struct pv_store *store, int64_t *rid_from)
{
	struct pv_pg_store *s = pg_of(store);
	PGresult *r = pv_pg_query(s, "SELECT min(rid_from) FROM import_pending", 0, NULL, NULL, NULL,
				  "read the import under way");
	if (!r)
		return -1;
	int none = PQgetisnull(r, 0, 0), bad = 0;
	*rid_from = none ? 0 : pv_pg_int8(r, 0, 0, &bad);
	PQclear(r);
	if (bad)
		return pv_pg_fail(s, "read the import under way", "its row id is malformed");
	return none;
}

/* The customers' row ids come from their identity sequence: brought up to rid_from - 1
 * when it is behind (rows inserted with row ids of their own, as a restore might), so
 * that the import's customers get row ids from rid_from up. */
static int sequence_catch_up(struct pv_pg_store *s, int64_t rid_from)
{
	char last[24];
	snprintf(last, sizeof last, "%" PRId64, rid_from - 1);
	const char *value = last;
	PGresult *r = pv_pg_query(s, "SELECT setval(q, $1::bigint) FROM (SELECT "
				  "pg_get_serial_sequence('customers', 'rid')::regclass AS q) x "
				  "WHERE $1::bigint > coalesce(pg_sequence_last_value(q), 0)", 1,
				  &value, NULL, NULL, "mark the import under way");
	PQclear(r);
	return r ? 0 : -1;
}

int pv_pg_import_mark(struct pv_store *store, int64_t *rid_from)
{
	struct pv_pg_store *s = pg_of(store);
	PGresult *r = pv_pg_query(s, "INSERT INTO import_pending(rid_from) SELECT "
				  "coalesce(max(rid), 0) + 1 FROM customers RETURNING rid_from", 0,
				  NULL, NULL, NULL, "mark the import under way");
	if (!r)
		return -1;
	int bad = PQntuples(r) != 1;
	if (!bad)
		*rid_from = pv_pg_int8(r, 0, 0, &bad);
	PQclear(r);
	if (bad)
		return pv_pg_fail(s, "mark the import under way", "no row id was returned");
	return sequence_catch_up(s, *rid_from);
}

/* A bulk import's chunk before its last need not wait for the disk at its commit: its
 * rows are hidden, and lost with the import if the server stops (PostgreSQL's log keeps
 * its order, so the last chunk's commit, on disk, brings every earlier one with it). */
static int chunk_not_synced(struct pv_pg_store *s)
{
	return pv_pg_exec(s, "SET LOCAL synchronous_commit = off", "begin an import's chunk");
}

int pv_pg_import_bulk(struct pv_store *store)
{
	struct pv_pg_store *s = pg_of(store);
	int64_t from = 0;
	int st = pv_pg_import_pending(store, &from);
	if (st != 0) /* no mark: nothing to buffer */
		return st < 0 ? -1 : 0;
	/* Nothing to drop. The bucket index SQLite drops costs PostgreSQL little to keep up
	 * (two numbers a row, beside the id's unique index an import needs anyway for its
	 * duplicates), and dropping it would hold an exclusive lock on customers, so readers
	 * on every node would wait from the first chunk to its commit. */
	/* The customers and their consents are sent with COPY a batch at a time. */
	return pv_pg_customer_copy_begin(s, from) != 0 ? -1 : chunk_not_synced(s);
}

int pv_pg_import_done(struct pv_store *store)
{
	struct pv_pg_store *s = pg_of(store);
	/* the last transaction, which shows the import, is on disk before its commit returns */
	int rc = pv_pg_exec(s, "SET LOCAL synchronous_commit = on; DELETE FROM import_pending",
			    "end the import under way");
	pv_pg_customer_copy_end(s); /* what was buffered was sent first */
	return rc;
}

int pv_pg_import_discard(struct pv_store *store, uint64_t *removed)
{
	struct pv_pg_store *s = pg_of(store);
	int64_t from = 0;
	int st = pv_pg_import_pending(store, &from);
	*removed = 0;
	if (st != 0)
		return st < 0 ? -1 : 0;
	if (pv_pg_doomed_begin(store) != 0)
		return -1;
	char f[24];
	snprintf(f, sizeof f, "%" PRId64, from);
	const char *value = f;
	PGresult *r = pv_pg_query(s, "INSERT INTO pg_temp.doomed(rid, id) SELECT rid, id FROM "
				  "customers WHERE rid >= $1 ON CONFLICT DO NOTHING", 1, &value, NULL,
				  NULL, "list an unfinished import's customers");
	if (!r)
		return -1;
	*removed = strtoull(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	if (pv_pg_doomed_remove(store) != 0)
		return -1;
	return pv_pg_import_done(store);
}

int pv_pg_chunk(struct pv_store *store, void (*between)(void *ctx), void *ctx)
{
	struct pv_pg_store *s = pg_of(store);
	if (s->depth != 1)
		return 0; /* inside a caller's transaction: it commits */
	if (pv_pg_commit(store) != 0)
		return -1;
	if (between)
		between(ctx);
	/* a moment with the lock free: a waiter tries again every few milliseconds */
	struct timespec gap = { 0, PV_PG_CHUNK_GAP_NS };
	nanosleep(&gap, NULL);
	if (pv_pg_begin(store) != 0)
		return -1;
	return pv_pg_customer_copy_on(s) ? chunk_not_synced(s) : 0;
}
