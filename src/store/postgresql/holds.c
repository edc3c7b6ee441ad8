/* SPDX-License-Identifier: Apache-2.0 */
/* holds.c: legal holds in the PostgreSQL store: placed on a customer (numbered in order),
 * released; one in force stops any shred of the customer (the library checks). */
#include "internal.h"
#include "pg_store.h"

#include <stdio.h>
#include <stdlib.h>

const char pv_pg_holds_tables[] =
	"CREATE TABLE holds(hold bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	"  customer text COLLATE \"C\" NOT NULL, reason text NOT NULL, placed_by text NOT NULL,"
	"  since text NOT NULL, released text NOT NULL DEFAULT '',"
	"  released_by text NOT NULL DEFAULT '');"
	"CREATE INDEX holds_customer ON holds(customer, hold);";

#define COLUMNS "hold, customer, reason, placed_by, since, released, released_by"

int pv_pg_hold_add(struct pv_store *s, const char *customer, const char *reason, const char *by,
		   const char *since)
{
	const char *values[4] = { customer, reason, by, since };
	PGresult *r = pv_pg_query(pg_of(s), "INSERT INTO holds(customer, reason, placed_by, since) "
				  "VALUES ($1, $2, $3, $4)", 4, values, NULL, NULL,
				  "place a legal hold");
	PQclear(r);
	return r ? 0 : -1;
}

int pv_pg_hold_release(struct pv_store *s, const char *customer, const char *when, const char *by,
		       int *released)
{
	const char *values[3] = { customer, when, by };
	PGresult *r = pv_pg_query(pg_of(s), "UPDATE holds SET released = $2, released_by = $3 "
				  "WHERE customer = $1 AND released = ''", 3, values, NULL, NULL,
				  "release legal holds");
	if (!r)
		return -1;
	*released = atoi(PQcmdTuples(r));
	PQclear(r);
	return 0;
}

int pv_pg_hold_active(struct pv_store *s, const char *customer, char *reason, size_t rlen,
		      char *since, size_t slen)
{
	PGresult *r = pv_pg_query(pg_of(s), "SELECT reason, since FROM holds WHERE customer = $1 "
				  "AND released = '' ORDER BY hold LIMIT 1", 1, &customer, NULL, NULL,
				  "read legal holds");
	if (!r)
		return -1;
	int held = PQntuples(r) == 1;
	if (held) {
		snprintf(reason, rlen, "%s", PQgetvalue(r, 0, 0));
		snprintf(since, slen, "%s", PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	return held;
}

struct hold_walk {
	pv_store_hold_fn fn;
	pv_store_hold_row_fn row_fn;
	void *ctx;
};

static int hold_row(void *ctx, const PGresult *r, int i)
{
	struct hold_walk *w = ctx;
	int bad = 0;
	struct pv_stored_hold h = { pv_pg_int8(r, i, 0, &bad), PQgetvalue(r, i, 1),
				    PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), PQgetvalue(r, i, 4),
				    PQgetvalue(r, i, 5), PQgetvalue(r, i, 6) };
	if (w->row_fn)
		return w->row_fn(w->ctx, &h);
	return w->fn(w->ctx, h.customer, h.reason, h.placed_by, h.since, h.released,
		     h.released_by);
}

int pv_pg_hold_scan(struct pv_store *s, pv_store_hold_fn fn, void *ctx)
{
	struct hold_walk w = { fn, NULL, ctx };
	return pv_pg_rows(pg_of(s), "SELECT " COLUMNS " FROM holds ORDER BY hold", 0, NULL, hold_row,
			  &w, "scan legal holds");
}

int pv_pg_hold_rows(struct pv_store *s, pv_store_hold_row_fn fn, void *ctx)
{
	struct hold_walk w = { NULL, fn, ctx };
	return pv_pg_rows(pg_of(s), "SELECT " COLUMNS " FROM holds ORDER BY hold", 0, NULL, hold_row,
			  &w, "scan legal holds");
}
