/* SPDX-License-Identifier: Apache-2.0 */
/* meta.c: the vault's metadata in PostgreSQL (key-value rows: salts, wrapped keys,
 * settings) and the stable numbers of field names that blind-index entries carry. */
#include "internal.h"
#include "pg_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char pv_pg_meta_tables[] =
	"CREATE TABLE meta(k text PRIMARY KEY, v bytea NOT NULL);"
	"CREATE TABLE fields(name text PRIMARY KEY, num integer NOT NULL UNIQUE);";

int pv_pg_meta_get(struct pv_store *store, const char *key, uint8_t **val, size_t *len)
{
	struct pv_pg_store *s = pg_of(store);
	PGresult *r = pv_pg_query(s, "SELECT v FROM meta WHERE k = $1", 1, &key, NULL, NULL,
				  "read metadata");
	if (!r)
		return -1;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return 1;
	}
	size_t n = (size_t)PQgetlength(r, 0, 0); /* binary results: the bytes themselves */
	uint8_t *p = malloc(n + 1);
	if (!p) {
		PQclear(r);
		snprintf(s->err, sizeof s->err, "out of memory");
		return -1;
	}
	memcpy(p, PQgetvalue(r, 0, 0), n);
	p[n] = 0;
	PQclear(r);
	*val = p;
	if (len)
		*len = n;
	return 0;
}

int pv_pg_meta_put(struct pv_store *store, const char *key, const void *val, size_t len)
{
	struct pv_pg_store *s = pg_of(store);
	if (len > (size_t)0x7fffffff)
		return pv_pg_fail(s, "write metadata", "value too long");
	const char *values[2] = { key, val };
	const int lengths[2] = { 0, (int)len }, binary[2] = { 0, 1 };
	PGresult *r = pv_pg_query(s, "INSERT INTO meta(k, v) VALUES ($1, $2) "
				  "ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v",
				  2, values, lengths, binary, "write metadata");
	PQclear(r);
	return r ? 0 : -1;
}

int pv_pg_meta_delete(struct pv_store *store, const char *key)
{
	PGresult *r = pv_pg_query(pg_of(store), "DELETE FROM meta WHERE k = $1", 1, &key, NULL, NULL,
				  "delete metadata");
	PQclear(r);
	return r ? 0 : -1;
}

/* Big-endian int4 of a binary result. */
static int int4_of(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	return (int)((uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3]);
}

int pv_pg_field_number(struct pv_store *store, const char *name, int *num)
{
	struct pv_pg_store *s = pg_of(store);
	/* numbered under the vault's write lock when new (pv_pg_begin), so two nodes never
	 * give two names one number or one name two */
	PGresult *r = pv_pg_query(s, "SELECT num FROM fields WHERE name = $1", 1, &name, NULL, NULL,
				  "read field numbers");
	if (r && PQntuples(r) == 1 && PQgetlength(r, 0, 0) == 4) {
		*num = int4_of(PQgetvalue(r, 0, 0));
		PQclear(r);
		return 0;
	}
	PQclear(r);
	if (!r || pv_pg_begin(store) != 0)
		return -1;
	r = pv_pg_query(s, "INSERT INTO fields(name, num) SELECT $1, coalesce(max(num), 0) + 1 "
			"FROM fields ON CONFLICT (name) DO NOTHING", 1, &name, NULL, NULL,
			"number a field");
	PQclear(r);
	if (!r || pv_pg_commit(store) != 0) {
		(void)pv_pg_rollback(store);
		return -1;
	}
	r = pv_pg_query(s, "SELECT num FROM fields WHERE name = $1", 1, &name, NULL, NULL,
			"read field numbers");
	int ok = r && PQntuples(r) == 1 && PQgetlength(r, 0, 0) == 4;
	if (ok)
		*num = int4_of(PQgetvalue(r, 0, 0));
	PQclear(r);
	return ok ? 0 : pv_pg_fail(s, "number a field", "its number was not kept");
}
