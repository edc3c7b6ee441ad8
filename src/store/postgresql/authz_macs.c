/* SPDX-License-Identifier: Apache-2.0 */
/* authz_macs.c: the integrity codes of authorisation state in the PostgreSQL store, one
 * per (table, row key); authz_mac.c in the library makes and checks them. */
#include "internal.h"
#include "pg_store.h"

#include <string.h>

const char pv_pg_authz_tables[] =
	"CREATE TABLE authz_macs(tbl text COLLATE \"C\" NOT NULL, k text COLLATE \"C\" NOT NULL,"
	"  mac bytea NOT NULL, PRIMARY KEY (tbl, k));";

int pv_pg_authz_put(struct pv_store *store, const char *tbl, const char *k, const uint8_t *mac,
		    size_t len)
{
	const char *values[3] = { tbl, k, (const char *)mac };
	const int lengths[3] = { 0, 0, (int)len }, binary[3] = { 0, 0, 1 };
	PGresult *r = pv_pg_query(pg_of(store), "INSERT INTO authz_macs(tbl, k, mac) VALUES "
				  "($1, $2, $3) ON CONFLICT (tbl, k) DO UPDATE SET mac = EXCLUDED.mac",
				  3, values, lengths, binary, "write an integrity code");
	PQclear(r);
	return r ? 0 : -1;
}

int pv_pg_authz_get(struct pv_store *store, const char *tbl, const char *k, uint8_t *mac,
		    size_t cap, size_t *len)
{
	const char *values[2] = { tbl, k };
	PGresult *r = pv_pg_query(pg_of(store), "SELECT mac FROM authz_macs WHERE tbl = $1 AND "
				  "k = $2", 2, values, NULL, NULL, "read an integrity code");
	if (!r)
		return -1;
	int got = PQntuples(r) == 1;
	if (got) {
		*len = (size_t)PQgetlength(r, 0, 0);
		if (*len <= cap)
			memcpy(mac, PQgetvalue(r, 0, 0), *len);
	}
	PQclear(r);
	return got ? 0 : 1;
}

int pv_pg_authz_delete(struct pv_store *store, const char *tbl, const char *k)
{
	const char *values[2] = { tbl, k };
	PGresult *r = pv_pg_query(pg_of(store), "DELETE FROM authz_macs WHERE tbl = $1 AND k = $2", 2,
				  values, NULL, NULL, "delete an integrity code");
	PQclear(r);
	return r ? 0 : -1;
}

struct mac_walk {
	pv_store_authz_fn fn;
	void *ctx;
};

static int mac_row(void *ctx, const PGresult *r, int i)
{
	struct mac_walk *w = ctx;
	return w->fn(w->ctx, PQgetvalue(r, i, 0), (const uint8_t *)PQgetvalue(r, i, 1),
		     (size_t)PQgetlength(r, i, 1));
}

int pv_pg_authz_scan(struct pv_store *store, const char *tbl, pv_store_authz_fn fn, void *ctx)
{
	struct mac_walk w = { fn, ctx };
	return pv_pg_rows(pg_of(store), "SELECT k, mac FROM authz_macs WHERE tbl = $1 ORDER BY k", 1,
			  &tbl, mac_row, &w, "scan integrity codes");
}
