/* SPDX-License-Identifier: Apache-2.0 */
/* meta.c: the vault's metadata (key-value rows: salts, wrapped keys, settings) and the
 * stable numbers of field names that blind-index entries carry. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first format's tables, created with a new vault: a file without them is no vault. */
const char pv_sqlite_meta_first_tables[] =
	"CREATE TABLE meta(k TEXT PRIMARY KEY, v BLOB NOT NULL);"
	"CREATE TABLE fields(name TEXT PRIMARY KEY, num INTEGER NOT NULL UNIQUE);";

static const char SQL_META_GET[] = "SELECT v FROM meta WHERE k = ?1";
static const char SQL_META_PUT[] = "INSERT OR REPLACE INTO meta(k, v) VALUES (?1, ?2)";
static const char SQL_FIELD_GET[] = "SELECT num FROM fields WHERE name = ?1";
static const char SQL_FIELD_PUT[] = "INSERT INTO fields(name, num) "
				    "VALUES (?1, (SELECT coalesce(max(num), 0) + 1 FROM fields))";

int pv_sqlite_meta_get(struct pv_store *s, const char *key, uint8_t **val, size_t *len)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_META_GET);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(q);
		return 1;
	}
	if (rc != SQLITE_ROW)
		return pv_sqlite_fail(s, "read metadata");
	size_t n = (size_t)sqlite3_column_bytes(q, 0);
	uint8_t *p = malloc(n + 1);
	if (!p) {
		sqlite3_reset(q);
		snprintf(s->err, sizeof s->err, "out of memory");
		return -1;
	}
	if (n)
		memcpy(p, sqlite3_column_blob(q, 0), n);
	p[n] = 0;
	sqlite3_reset(q);
	*val = p;
	if (len)
		*len = n;
	return 0;
}

int pv_sqlite_meta_put(struct pv_store *s, const char *key, const void *val, size_t len)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_META_PUT);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 2, val, (int)len, SQLITE_STATIC);
	return pv_sqlite_run(s, q, "write metadata");
}

int pv_sqlite_meta_delete(struct pv_store *s, const char *key)
{
	static const char sql[] = "DELETE FROM meta WHERE k = ?1";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	return pv_sqlite_run(s, q, "delete metadata");
}

int pv_sqlite_field_number(struct pv_store *s, const char *name, int *num)
{
	for (int pass = 0; pass < 2; pass++) {
		sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_FIELD_GET);
		if (!q)
			return -1;
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
		int rc = sqlite3_step(q);
		if (rc == SQLITE_ROW) {
			*num = sqlite3_column_int(q, 0);
			sqlite3_reset(q);
			return 0;
		}
		sqlite3_reset(q);
		if (rc != SQLITE_DONE)
			return pv_sqlite_fail(s, "read field numbers");
		q = pv_sqlite_stmt(s, SQL_FIELD_PUT);
		if (!q)
			return -1;
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
		if (pv_sqlite_run(s, q, "number a field") != 0)
			return -1;
	}
	snprintf(s->err, sizeof s->err, "cannot number field");
	return -1;
}
