/* SPDX-License-Identifier: Apache-2.0 */
/* ledger_outbox.c: the shred ledger's outbox in the PostgreSQL store: ledger lines an
 * operation commits with its data and ledger.c then appends to the ledger file. */
#include "internal.h"
#include "pg_store.h"

#include <inttypes.h>
#include <stdio.h>

const char pv_pg_ledger_tables[] =
	"CREATE TABLE ledger_outbox(intent text COLLATE \"C\" NOT NULL, seq bigint NOT NULL,"
	"  ledger_size bigint NOT NULL, chunk bytea NOT NULL, PRIMARY KEY (intent, seq));";

int pv_pg_outbox_put(struct pv_store *s, const char *intent, uint32_t seq, uint64_t ledger_size,
		     const void *chunk, size_t len)
{
	char q[24], size[24];
	snprintf(q, sizeof q, "%" PRIu32, seq);
	snprintf(size, sizeof size, "%" PRIu64, ledger_size);
	const char *values[4] = { intent, q, size, len ? chunk : "" };
	const int lengths[4] = { 0, 0, 0, (int)len }, binary[4] = { 0, 0, 0, 1 };
	PGresult *r = pv_pg_query(pg_of(s), "INSERT INTO ledger_outbox(intent, seq, ledger_size, "
				  "chunk) VALUES ($1, $2, $3, $4)", 4, values, lengths, binary,
				  "keep the shred ledger's lines");
	PQclear(r);
	return r ? 0 : -1;
}

int pv_pg_outbox_pending(struct pv_store *s)
{
	PGresult *r = pv_pg_query(pg_of(s), "SELECT 1 FROM ledger_outbox LIMIT 1", 0, NULL, NULL,
				  NULL, "read the shred ledger's outbox");
	if (!r)
		return -1;
	int pending = PQntuples(r) > 0;
	PQclear(r);
	return pending;
}

struct outbox_walk {
	pv_store_outbox_fn fn;
	void *ctx;
};

static int outbox_row(void *ctx, const PGresult *r, int i)
{
	struct outbox_walk *w = ctx;
	int bad = 0;
	return w->fn(w->ctx, PQgetvalue(r, i, 0), (uint32_t)pv_pg_int8(r, i, 1, &bad),
		     (uint64_t)pv_pg_int8(r, i, 2, &bad), PQgetvalue(r, i, 3),
		     (size_t)PQgetlength(r, i, 3));
}

int pv_pg_outbox_scan(struct pv_store *s, pv_store_outbox_fn fn, void *ctx)
{
	struct outbox_walk w = { fn, ctx };
	return pv_pg_rows(pg_of(s), "SELECT intent, seq, ledger_size, chunk FROM ledger_outbox "
			  "ORDER BY intent, seq", 0, NULL, outbox_row, &w,
			  "read the shred ledger's outbox");
}

int pv_pg_outbox_drop(struct pv_store *s, const char *intent)
{
	PGresult *r = pv_pg_query(pg_of(s), "DELETE FROM ledger_outbox WHERE intent = $1", 1, &intent,
				  NULL, NULL, "empty the shred ledger's outbox");
	PQclear(r);
	return r ? 0 : -1;
}
