/* SPDX-License-Identifier: Apache-2.0 */
/* dba.c: SQL on a vault's store as its DBA would run it (dba.h): the SQLite file through
 * SQLite's own API, printed as the sqlite3 tool prints; the PostgreSQL schema through
 * libpq, with the few SQLite functions the tests' SQL uses provided in a schema of the
 * tests' own (pvt_compat), so one statement serves both backends where they agree. */
#include "dba.h"
#include "testutil.h"

#include "formats/buf.h"
#include "store/store.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SQLite's functions the tests' SQL calls, for PostgreSQL; made once per database under
 * an advisory lock, as test programs run in parallel. */
static const char compat_sql[] =
	"CREATE SCHEMA pvt_compat;"
	"CREATE FUNCTION pvt_compat.hex(bytea) RETURNS text LANGUAGE sql IMMUTABLE "
	"  AS $$SELECT upper(encode($1, 'hex'))$$;"
	"CREATE FUNCTION pvt_compat.hex(text) RETURNS text LANGUAGE sql IMMUTABLE "
	"  AS $$SELECT upper(encode(convert_to($1, 'UTF8'), 'hex'))$$;"
	"CREATE FUNCTION pvt_compat.hex(bigint) RETURNS text LANGUAGE sql IMMUTABLE "
	"  AS $$SELECT upper(encode(convert_to($1::text, 'UTF8'), 'hex'))$$;"
	"CREATE FUNCTION pvt_compat.instr(text, text) RETURNS int LANGUAGE sql IMMUTABLE "
	"  AS $$SELECT strpos($1, $2)$$;"
	"CREATE FUNCTION pvt_compat.instr(bytea, bytea) RETURNS int LANGUAGE sql IMMUTABLE "
	"  AS $$SELECT position($2 IN $1)$$;"
	"CREATE FUNCTION pvt_compat.zeroblob(int) RETURNS bytea LANGUAGE sql IMMUTABLE "
	"  AS $$SELECT decode(repeat('00', $1), 'hex')$$;"
	"CREATE FUNCTION pvt_compat.randomblob(int) RETURNS bytea LANGUAGE sql VOLATILE "
	"  AS $$SELECT coalesce(decode(string_agg(lpad(to_hex((random() * 255)::int), 2, '0'), "
	"  ''), 'hex'), ''::bytea) FROM generate_series(1, $1)$$;";

int pvt_dba_pg(const char *dir)
{
	char *record = pvt_path(dir, "store");
	char *text = pvt_read_file(record, NULL);
	free(record);
	free(text);
	return text != NULL;
}

/* ---- SQLite ---- */

static int sqlite_row(void *out_buf, int n, char **values, char **names)
{
	(void)names;
	struct pv_buf *out = out_buf;
	for (int i = 0; i < n; i++) {
		if (i)
			pv_buf_add(out, "|", 1);
		if (values[i])
			pv_buf_str(out, values[i]);
	}
	pv_buf_add(out, "\n", 1);
	return 0;
}

static int sqlite_run(struct pv_buf *out, const char *dir, const char *sql)
{
	char *path = pvt_path(dir, "vault.db");
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
	free(path);
	char *err = NULL;
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(db, 10000);
		rc = sqlite3_exec(db, sql, sqlite_row, out, &err);
	}
	if (rc != SQLITE_OK)
		fprintf(stderr, "pvt_dba (sqlite): %s: %s\n", sql, err ? err : sqlite3_errmsg(db));
	sqlite3_free(err);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : 1;
}

/* ---- PostgreSQL ---- */

/* sql with each blob literal x'..' (outside strings) written as PostgreSQL's bytea. */
static char *pg_dialect(const char *sql)
{
	struct pv_buf b = { 0 };
	int in_string = 0;
	for (const char *p = sql; *p; p++) {
		int ident_before = p > sql && (p[-1] == '_' || isalnum((unsigned char)p[-1]));
		if (!in_string && (*p | 32) == 'x' && p[1] == '\'' && !ident_before) {
			const char *end = strchr(p + 2, '\'');
			assert_non_null(end);
			pv_buf_str(&b, "'\\x");
			pv_buf_add(&b, p + 2, (size_t)(end - p - 2));
			pv_buf_str(&b, "'::bytea");
			p = end;
			continue;
		}
		if (*p == '\'')
			in_string = !in_string;
		pv_buf_add(&b, p, 1);
	}
	pv_buf_add(&b, "", 1);
	assert_false(b.oom);
	return b.p;
}

static int pg_exec(PGconn *c, const char *sql, struct pv_buf *out)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	if (!ok)
		fprintf(stderr, "pvt_dba (postgresql): %s: %s", sql, PQerrorMessage(c));
	for (int row = 0; ok && out && row < PQntuples(r); row++) {
		for (int col = 0; col < PQnfields(r); col++) {
			if (col)
				pv_buf_add(out, "|", 1);
			pv_buf_str(out, PQgetvalue(r, row, col));
		}
		pv_buf_add(out, "\n", 1);
	}
	PQclear(r);
	return ok ? 0 : 1;
}

static int pg_has_compat(PGconn *c)
{
	PGresult *r = PQexec(c, "SELECT 1 FROM pg_namespace WHERE nspname = 'pvt_compat'");
	int has = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
	PQclear(r);
	return has;
}

/* The connection to the vault's server, its schema first on the search path, with the
 * compatibility functions made once. NULL (message printed) when it cannot be reached. */
static PGconn *pg_connect(const char *dir)
{
	char *record = pvt_path(dir, "store");
	char *text = pvt_read_file(record, NULL);
	free(record);
	assert_non_null(text);
	text[strcspn(text, "\n")] = '\0';
	char schema[64], set[160];
	char *conninfo = pv_store_location_conninfo(text, schema, sizeof schema);
	free(text);
	assert_non_null(conninfo);
	PGconn *c = PQconnectdb(conninfo);
	free(conninfo);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "pvt_dba (postgresql): %s", PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	snprintf(set, sizeof set, "SET client_min_messages = warning; "
		 "SET search_path TO %s, pvt_compat", schema);
	int rc = pg_exec(c, "SELECT pg_advisory_lock(7242117)", NULL);
	if (rc == 0 && !pg_has_compat(c))
		rc = pg_exec(c, compat_sql, NULL);
	rc |= pg_exec(c, "SELECT pg_advisory_unlock(7242117)", NULL) | pg_exec(c, set, NULL);
	if (rc) {
		PQfinish(c);
		return NULL;
	}
	return c;
}

static int pg_run(struct pv_buf *out, const char *dir, const char *sql)
{
	PGconn *c = pg_connect(dir);
	if (!c)
		return 1;
	char *dialect = pg_dialect(sql);
	int rc = pg_exec(c, dialect, out);
	free(dialect);
	PQfinish(c);
	return rc;
}

static int dba_run(char **out, const char *dir, const char *fmt, va_list ap)
{
	va_list again;
	va_copy(again, ap);
	int len = vsnprintf(NULL, 0, fmt, ap);
	assert_true(len >= 0);
	char *sql = malloc((size_t)len + 1);
	assert_non_null(sql);
	vsnprintf(sql, (size_t)len + 1, fmt, again);
	va_end(again);
	struct pv_buf rows = { 0 };
	int rc = pvt_dba_pg(dir) ? pg_run(&rows, dir, sql) : sqlite_run(&rows, dir, sql);
	free(sql);
	pv_buf_add(&rows, "", 1);
	assert_false(rows.oom);
	if (out)
		*out = rows.p;
	else
		free(rows.p);
	return rc;
}

int pvt_dba(char **out, const char *dir, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = dba_run(out, dir, fmt, ap);
	va_end(ap);
	return rc;
}

char *pvt_dba_value(const char *dir, const char *fmt, ...)
{
	char *rows = NULL;
	va_list ap;
	va_start(ap, fmt);
	int rc = dba_run(&rows, dir, fmt, ap);
	va_end(ap);
	assert_int_equal(rc, 0);
	rows[strcspn(rows, "|\n")] = '\0';
	return rows;
}

/* ---- The write lock held ---- */

struct pvt_dba_lock {
	sqlite3 *db;
	PGconn *pg;
};

struct pvt_dba_lock *pvt_dba_write_lock(const char *dir)
{
	struct pvt_dba_lock *lock = calloc(1, sizeof *lock);
	assert_non_null(lock);
	if (pvt_dba_pg(dir)) {
		lock->pg = pg_connect(dir);
		assert_non_null(lock->pg);
		/* the key the store takes: its schema as a quoted identifier (connection.c) */
		assert_int_equal(pg_exec(lock->pg, "BEGIN; SELECT pg_advisory_xact_lock("
					 "hashtextextended('\"' || current_schema() || '\"', 0))",
					 NULL), 0);
		return lock;
	}
	char *path = pvt_path(dir, "vault.db");
	assert_int_equal(sqlite3_open_v2(path, &lock->db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	free(path);
	sqlite3_busy_timeout(lock->db, 10000);
	assert_int_equal(sqlite3_exec(lock->db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	return lock;
}

void pvt_dba_unlock(struct pvt_dba_lock *lock)
{
	if (lock->pg) {
		assert_int_equal(pg_exec(lock->pg, "ROLLBACK", NULL), 0);
		PQfinish(lock->pg);
	} else {
		assert_int_equal(sqlite3_exec(lock->db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(lock->db);
	}
	free(lock);
}

/* ---- everything the store holds, as text ---- */

char *pvt_dba_pg_dump(const char *dir)
{
	assert_true(pvt_dba_pg(dir));
	char *tables = NULL;
	assert_int_equal(pvt_dba(&tables, dir, "SELECT tablename FROM pg_tables WHERE "
				 "schemaname = current_schema() ORDER BY 1"), 0);
	struct pv_buf sql = { 0 };
	size_t n = 0;
	for (char *t = strtok(tables, "\n"); t; t = strtok(NULL, "\n")) {
		pv_buf_str(&sql, n++ ? " UNION ALL " : "SELECT * FROM (");
		pv_buf_str(&sql, "SELECT '");
		pv_buf_str(&sql, t);
		pv_buf_str(&sql, "' AS t, r::text AS row FROM ");
		pv_buf_str(&sql, t);
		pv_buf_str(&sql, " r");
	}
	pv_buf_str(&sql, ") AS every_row ORDER BY 1, 2");
	pv_buf_add(&sql, "", 1);
	assert_false(sql.oom);
	assert_true(n >= 10);
	char *rows = NULL;
	assert_int_equal(pvt_dba(&rows, dir, "%s", sql.p), 0);
	free(sql.p);
	free(tables);
	return rows;
}

int pvt_dba_pg_dump_holds(const char *dump, const void *needle, size_t m)
{
	if (m == 0)
		return 0;
	size_t n = strlen(dump);
	for (size_t i = 0; i + m <= n; i++)
		if (memcmp(dump + i, needle, m) == 0)
			return 1;
	char *hex = malloc(2 * m + 1);
	assert_non_null(hex);
	for (size_t i = 0; i < m; i++)
		snprintf(hex + 2 * i, 3, "%02x", ((const unsigned char *)needle)[i]);
	int found = strstr(dump, hex) != NULL;
	free(hex);
	return found;
}
