/* SPDX-License-Identifier: Apache-2.0 */
/* escrow.c: the record of escrow copies of the keyring in the PostgreSQL store: when, to
 * whom, the copy's digest, by whom. The copies themselves are never stored here. */
#include "internal.h"
#include "pg_store.h"

const char pv_pg_escrow_tables[] =
	"CREATE TABLE escrow_copies(copy bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	"  made text NOT NULL, recipient text NOT NULL, digest text NOT NULL,"
	"  made_by text NOT NULL);";

int pv_pg_escrow_add(struct pv_store *s, const char *made, const char *recipient,
		     const char *digest, const char *by)
{
	const char *values[4] = { made, recipient, digest, by };
	PGresult *r = pv_pg_query(pg_of(s), "INSERT INTO escrow_copies(made, recipient, digest, "
				  "made_by) VALUES ($1, $2, $3, $4)", 4, values, NULL, NULL,
				  "record an escrow copy");
	PQclear(r);
	return r ? 0 : -1;
}

struct escrow_walk {
	int (*fn)(void *ctx, const char *made, const char *recipient, const char *digest);
	void *ctx;
};

static int escrow_row(void *ctx, const PGresult *r, int i)
{
	struct escrow_walk *w = ctx;
	return w->fn(w->ctx, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
}

int pv_pg_escrow_scan(struct pv_store *s,
		      int (*fn)(void *ctx, const char *made, const char *recipient,
				const char *digest),
		      void *ctx)
{
	struct escrow_walk w = { fn, ctx };
	return pv_pg_rows(pg_of(s), "SELECT made, recipient, digest FROM escrow_copies ORDER BY copy",
			  0, NULL, escrow_row, &w, "scan escrow copies");
}
