/* SPDX-License-Identifier: Apache-2.0 */
/* vault_copy.c: copying a vault the way the tests copy one (a prepared vault copied for
 * each test, an old copy kept to try it later), whichever backend holds it. A directory
 * copied with cp holds the whole vault when it is kept in SQLite; one kept in PostgreSQL
 * holds only its record (the file `store`), so pvt_vault_copied gives the copy a schema of
 * its own: every table cloned with its rows and its identity counters, the record
 * rewritten to name it. Done as a DBA would, with libpq. */
#include "dba.h"
#include "testutil.h"

#include "store/store.h"

#include <libpq-fe.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void run_sql(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		fail_msg("copying a vault's schema: %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
}

/* Rows of sql (one text parameter) as a result the caller clears. */
static PGresult *rows_of(PGconn *c, const char *sql, const char *param)
{
	PGresult *r = PQexecParams(c, sql, 1, NULL, &param, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("copying a vault's schema: %s: %s", sql, PQerrorMessage(c));
	return r;
}

/* The tables of schema to (made like from's) emptied and filled with from's rows, their
 * identity counters going on from where from's are. */
static void fill_schema(PGconn *c, const char *from, const char *to)
{
	char sql[1024];
	PGresult *t = rows_of(c, "SELECT tablename FROM pg_tables WHERE schemaname = $1", from);
	for (int i = 0; i < PQntuples(t); i++) {
		const char *name = PQgetvalue(t, i, 0);
		snprintf(sql, sizeof sql, "TRUNCATE %s.%s; INSERT INTO %s.%s OVERRIDING SYSTEM VALUE "
			 "SELECT * FROM %s.%s", to, name, to, name, from, name);
		run_sql(c, sql);
	}
	PQclear(t);
	/* the identity counters go on from where the original's are */
	PGresult *ids = rows_of(c, "SELECT table_name, column_name FROM information_schema.columns "
				"WHERE table_schema = $1 AND is_identity = 'YES'", to);
	for (int i = 0; i < PQntuples(ids); i++) {
		const char *table = PQgetvalue(ids, i, 0), *col = PQgetvalue(ids, i, 1);
		char get[512];
		snprintf(get, sizeof get, "SELECT pg_get_serial_sequence('%s.%s', '%s')", from, table,
			 col);
		PGresult *seq = PQexec(c, get);
		if (PQresultStatus(seq) != PGRES_TUPLES_OK)
			fail_msg("copying a vault's schema: %s: %s", get, PQerrorMessage(c));
		snprintf(sql, sizeof sql, "SELECT setval(pg_get_serial_sequence('%s.%s', '%s'), "
			 "last_value, is_called) FROM %s", to, table, col, PQgetvalue(seq, 0, 0));
		PQclear(seq);
		run_sql(c, sql);
	}
	PQclear(ids);
}

/* Every table of schema from, with its rows, into the new schema to. */
static void clone_schema(PGconn *c, const char *from, const char *to)
{
	char sql[1024];
	snprintf(sql, sizeof sql, "SET client_min_messages = warning; CREATE SCHEMA %s", to);
	run_sql(c, sql);
	PGresult *t = rows_of(c, "SELECT tablename FROM pg_tables WHERE schemaname = $1", from);
	for (int i = 0; i < PQntuples(t); i++) {
		const char *name = PQgetvalue(t, i, 0);
		snprintf(sql, sizeof sql, "CREATE TABLE %s.%s (LIKE %s.%s INCLUDING ALL)", to, name,
			 from, name);
		run_sql(c, sql);
	}
	PQclear(t);
	fill_schema(c, from, to);
}

void pvt_vault_copied(const char *dir)
{
	char *record = pvt_path(dir, "store");
	char *text = pvt_read_file(record, NULL);
	if (!text) { /* kept in SQLite: the copy is whole */
		free(record);
		return;
	}
	text[strcspn(text, "\n")] = '\0';
	char from[64], to[64];
	char *conninfo = pv_store_location_conninfo(text, from, sizeof from);
	assert_non_null(conninfo);
	uint8_t r[8];
	randombytes_buf(r, sizeof r);
	snprintf(to, sizeof to, "pvcopy_%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3],
		 r[4], r[5], r[6], r[7]);
	PGconn *c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("copying a vault's schema: %s", PQerrorMessage(c));
	run_sql(c, "BEGIN");
	clone_schema(c, from, to);
	run_sql(c, "COMMIT");
	PQfinish(c);
	char *moved = pv_store_location_with_schema(text, to);
	assert_non_null(moved);
	char line[4200];
	snprintf(line, sizeof line, "%s\n", moved);
	assert_int_equal(pvt_write_file(record, line, strlen(line)), 0);
	free(moved);
	free(conninfo);
	free(text);
	free(record);
}

void pvt_copy_vault(const char *from, const char *to)
{
	assert_int_equal(pvt_run(NULL, "cp -a '%s/vault' '%s/vault.keyring' '%s/'", from, from, to),
			 0);
	char *dir = pvt_path(to, "vault");
	pvt_vault_copied(dir);
	free(dir);
}

/* The schema named by the record in dir and its connection (fails the test without one). */
static PGconn *schema_of(const char *dir, char *schema, size_t cap)
{
	char *record = pvt_path(dir, "store");
	char *text = pvt_read_file(record, NULL);
	free(record);
	assert_non_null(text);
	text[strcspn(text, "\n")] = '\0';
	char *conninfo = pv_store_location_conninfo(text, schema, cap);
	assert_non_null(conninfo);
	free(text);
	PGconn *c = PQconnectdb(conninfo);
	free(conninfo);
	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("restoring a vault's schema: %s", PQerrorMessage(c));
	return c;
}

void pvt_vault_restore(const char *copy, const char *dir)
{
	if (!pvt_dba_pg(dir)) { /* SQLite: the copy's file (and log) over the live one's */
		assert_int_equal(pvt_run(NULL, "rm -f '%s/vault.db-wal' '%s/vault.db-shm' && "
					 "cp '%s/vault.db' '%s/' && { [ ! -e '%s/vault.db-wal' ] || "
					 "cp '%s/vault.db-wal' '%s/'; }", dir, dir, copy, dir, copy,
					 copy, dir), 0);
		return;
	}
	char live[64], old[64];
	PGconn *c = schema_of(dir, live, sizeof live);
	PQfinish(schema_of(copy, old, sizeof old));
	char drop[128];
	snprintf(drop, sizeof drop, "DROP SCHEMA %s CASCADE", live);
	run_sql(c, "BEGIN");
	run_sql(c, drop);
	clone_schema(c, old, live);
	run_sql(c, "COMMIT");
	PQfinish(c);
}

void pvt_copy_vault_again(const char *from, const char *to)
{
	char *dir = pvt_path(to, "vault"), *record = pvt_path(dir, "store");
	char *text = pvt_read_file(record, NULL);
	if (!text) { /* the first copy, or a vault kept in SQLite: copied whole */
		assert_int_equal(pvt_run(NULL, "rm -rf '%s'/*", to), 0);
		pvt_copy_vault(from, to);
	} else { /* the copy's schema kept, its rows put back as from's */
		char kept[64], base[64];
		PGconn *c = schema_of(dir, kept, sizeof kept);
		assert_int_equal(pvt_run(NULL, "rm -rf '%s'/*", to), 0);
		assert_int_equal(pvt_run(NULL, "cp -a '%s/vault' '%s/vault.keyring' '%s/'", from,
					 from, to), 0);
		PQfinish(schema_of(dir, base, sizeof base));
		run_sql(c, "BEGIN");
		fill_schema(c, base, kept);
		run_sql(c, "COMMIT");
		PQfinish(c);
		text[strcspn(text, "\n")] = '\0';
		char line[4200];
		snprintf(line, sizeof line, "%s\n", text); /* the record naming the kept schema */
		assert_int_equal(pvt_write_file(record, line, strlen(line)), 0);
	}
	free(text);
	free(record);
	free(dir);
}
