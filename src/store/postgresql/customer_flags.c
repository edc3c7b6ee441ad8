/* SPDX-License-Identifier: Apache-2.0 */
/* customer_flags.c: restriction and objection of customers (GDPR art. 18, 21; PIPL art.
 * 44) in the PostgreSQL store, since a date each. Whether any customer has one is asked by
 * every read: an index-only EXISTS over the flagged rows answers it. */
#include "internal.h"
#include "pg_store.h"

#include <stdio.h>
#include <string.h>

const char pv_pg_flags_tables[] =
	"CREATE TABLE customer_flags(customer text COLLATE \"C\" PRIMARY KEY,"
	"  restricted text NOT NULL DEFAULT '', objected text NOT NULL DEFAULT '');"
	"CREATE INDEX customer_flags_set ON customer_flags(customer) "
	"  WHERE restricted <> '' OR objected <> '';";

int pv_pg_customer_flag_set(struct pv_store *store, const char *customer, int objection,
			    const char *since)
{
	const char *values[2] = { customer, since };
	PGresult *r = pv_pg_query(pg_of(store),
				  objection ? "INSERT INTO customer_flags(customer, objected) VALUES "
					      "($1, $2) ON CONFLICT (customer) DO UPDATE SET "
					      "objected = EXCLUDED.objected"
					    : "INSERT INTO customer_flags(customer, restricted) VALUES "
					      "($1, $2) ON CONFLICT (customer) DO UPDATE SET "
					      "restricted = EXCLUDED.restricted",
				  2, values, NULL, NULL, "set a restriction or objection");
	PQclear(r);
	return r ? 0 : -1;
}

int pv_pg_customer_flags(struct pv_store *store, const char *customer, int *restricted,
			 int *objected)
{
	const char *values[1] = { customer };
	PGresult *r = pv_pg_query(pg_of(store), "SELECT restricted, objected FROM customer_flags "
				  "WHERE customer = $1", 1, values, NULL, NULL, "read flags");
	if (!r)
		return -1;
	*restricted = *objected = 0;
	if (PQntuples(r) == 1) {
		*restricted = PQgetvalue(r, 0, 0)[0] != '\0';
		*objected = PQgetvalue(r, 0, 1)[0] != '\0';
	}
	PQclear(r);
	return 0;
}

int pv_pg_customer_flags_any(struct pv_store *store)
{
	PGresult *r = pv_pg_query(pg_of(store), "SELECT 1 FROM customer_flags WHERE "
				  "restricted <> '' OR objected <> '' LIMIT 1", 0, NULL, NULL, NULL,
				  "read flags");
	if (!r)
		return -1;
	int any = PQntuples(r) > 0;
	PQclear(r);
	return any;
}

struct flag_walk {
	int (*fn)(void *ctx, const char *customer, int restricted, int objected);
	void *ctx;
};

static int flag_row(void *ctx, const PGresult *r, int i)
{
	struct flag_walk *w = ctx;
	return w->fn(w->ctx, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1)[0] != '\0',
		     PQgetvalue(r, i, 2)[0] != '\0');
}

int pv_pg_customer_flag_scan(struct pv_store *store,
			     int (*fn)(void *ctx, const char *customer, int restricted,
				       int objected),
			     void *ctx)
{
	struct flag_walk w = { fn, ctx };
	return pv_pg_rows(pg_of(store), "SELECT customer, restricted, objected FROM customer_flags "
			  "WHERE restricted <> '' OR objected <> '' ORDER BY customer", 0, NULL,
			  flag_row, &w, "scan flags");
}
