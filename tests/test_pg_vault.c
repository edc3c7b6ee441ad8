/* SPDX-License-Identifier: Apache-2.0 */
/* test_pg_vault.c: a vault kept in PostgreSQL, through the library as the command uses it
 * (pv_set_store, which `--store` and PIVAULT_STORE set): made in a schema of its own named
 * after the vault, recorded in its directory without a password, opened again from the
 * record alone, its customers' values in the database only as ciphertext (what a DBA with
 * psql sees), a store named at an open changing the connection but never the schema (a
 * schema named there, holding another vault or none, is not used), a named schema that
 * holds a vault already refused with nothing left behind, and a wrong password refused
 * without echoing it. Runs against the cluster scripts/test.sh starts (PIVAULT_TEST_PG);
 * without one it reports itself skipped, and fails where PV_REQUIRE_POSTGRESQL=1 (CI). */
#include "testutil.h"

#include "pivault.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *g_uri;

struct place {
	char *tmp, *dir, *key, *keyring;
};

static struct place place_new(void)
{
	struct place p;
	p.tmp = pvt_tempdir();
	p.dir = pvt_path(p.tmp, "v");
	p.key = pvt_path(p.tmp, "key");
	p.keyring = pvt_path(p.tmp, "v.keyring");
	return p;
}

static void place_free(struct place *p)
{
	pvt_rmtree(p->tmp);
	free(p->tmp);
	free(p->dir);
	free(p->key);
	free(p->keyring);
}

/* The store's location recorded in dir (malloc'd, its line end removed). */
static char *recorded(const char *dir)
{
	char *path = pvt_path(dir, "store");
	char *text = pvt_read_file(path, NULL);
	free(path);
	assert_non_null(text);
	text[strcspn(text, "\n")] = '\0';
	return text;
}

/* The number of rows of sql (one text parameter) run by a DBA's own connection. */
static long dba_count(const char *sql, const char *param)
{
	PGconn *c = PQconnectdb(g_uri);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	PGresult *r = PQexecParams(c, sql, 1, NULL, &param, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	long n = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	PQfinish(c);
	return n;
}

static pv_rc open_root(const struct place *p, pv_vault **v)
{
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(p->key, &key), PV_OK);
	pv_rc rc = pv_vault_open(p->dir, NULL, key, v);
	pv_key_free(key);
	return rc;
}

/* Made in a schema of its own, recorded without a password, opened from the record. */
static void test_made_recorded_opened(void **state)
{
	(void)state;
	struct place p = place_new();
	assert_int_equal(pv_set_store(g_uri), PV_OK);
	char *csv = NULL;
	pv_vault *v = pvt_sample_vault(p.dir, p.key, 40, 7, &csv);
	char schema[64];
	snprintf(schema, sizeof schema, "pv_%.16s", pv_vault_id(v));
	pvt_vclose(v);
	char *where = recorded(p.dir);
	assert_non_null(strstr(where, "schema="));
	assert_non_null(strstr(where, schema));
	assert_int_equal(strncmp(where, "postgresql://", 13), 0);
	assert_int_equal(access(pvt_keep(pvt_path(p.dir, "vault.db")), F_OK), -1);
	assert_int_equal(dba_count("SELECT count(*) FROM pg_namespace WHERE nspname = $1", schema),
			 1);
	/* the DBA's view: 40 rows, none holding a name or phone of the CSV in clear */
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s.customers WHERE $1 = $1", schema);
	assert_int_equal(dba_count(sql, "x"), 40);
	struct pvt_csv t;
	assert_int_equal(pvt_csv_parse(csv, &t), 0);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s.customers c WHERE position("
		 "convert_to($1, 'UTF8') IN c.g_basic || c.g_financial || c.g_other) > 0", schema);
	for (size_t r = 1; r < t.nrows; r++)
		assert_int_equal(dba_count(sql, pvt_csv_get(&t, r, "name")), 0);
	pvt_csv_free(&t);
	free(csv);

	/* a new process's view: no store set, the record alone */
	assert_int_equal(pv_set_store(NULL), PV_OK);
	assert_int_equal(open_root(&p, &v), PV_OK);
	uint64_t n = 0;
	assert_int_equal(pv_vault_count(v, &n), PV_OK);
	assert_int_equal(n, 40);
	pv_vault_close(v);
	free(where);
	place_free(&p);
}

/* A store named at an open replaces the connection, never the schema: the vault opens
 * from its recorded schema even when the location names another. */
static void test_open_keeps_schema(void **state)
{
	(void)state;
	struct place p = place_new();
	assert_int_equal(pv_set_store(g_uri), PV_OK);
	pvt_vclose(pvt_sample_vault(p.dir, p.key, 5, 3, NULL));
	char other[1024];
	snprintf(other, sizeof other, "%s%capplication_name=node2&schema=pv_someone_else", g_uri,
		 strchr(g_uri, '?') ? '&' : '?');
	assert_int_equal(pv_set_store(other), PV_OK);
	pv_vault *v = NULL;
	assert_int_equal(open_root(&p, &v), PV_OK);
	uint64_t n = 0;
	assert_int_equal(pv_vault_count(v, &n), PV_OK);
	assert_int_equal(n, 5);
	pv_vault_close(v);
	assert_int_equal(dba_count("SELECT count(*) FROM pg_namespace WHERE nspname = $1",
				   "pv_someone_else"), 0);
	assert_int_equal(pv_set_store(NULL), PV_OK);
	place_free(&p);
}

/* A schema named at create that holds a vault already: refused, nothing left behind,
 * the vault there untouched. */
static void test_named_schema_taken(void **state)
{
	(void)state;
	struct place a = place_new(), b = place_new();
	char named[1024], schema[48];
	snprintf(schema, sizeof schema, "pvnamed_%ld", (long)getpid());
	snprintf(named, sizeof named, "%s%cschema=%s", g_uri, strchr(g_uri, '?') ? '&' : '?',
		 schema);
	assert_int_equal(pv_set_store(named), PV_OK);
	pvt_vclose(pvt_sample_vault(a.dir, a.key, 4, 5, NULL));
	assert_non_null(strstr(pvt_keep(recorded(a.dir)), schema));

	assert_int_equal(pv_key_generate_file(b.key), PV_OK);
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(b.key, &key), PV_OK);
	pv_create_opts opts = { .schema_path = PV_SOURCE_DIR "/examples/schema.yaml",
				.keyring_slots = 1024, .kdf_cost = PV_KDF_FAST };
	pv_vault *v = NULL;
	assert_int_equal(pv_vault_create(b.dir, &opts, key, &v), PV_ERR_STORE);
	assert_non_null(strstr(pv_errmsg(v), "already holds a vault"));
	pv_vault_close(v);
	pv_key_free(key);
	assert_int_equal(access(b.dir, F_OK), -1);
	assert_int_equal(access(b.keyring, F_OK), -1);

	assert_int_equal(pv_set_store(NULL), PV_OK);
	assert_int_equal(open_root(&a, &v), PV_OK);
	uint64_t n = 0;
	assert_int_equal(pv_vault_count(v, &n), PV_OK);
	assert_int_equal(n, 4);
	pv_vault_close(v);
	place_free(&a);
	place_free(&b);
}

/* The password comes from PGPASSFILE; a wrong one is refused, never echoed. */
static void test_wrong_password(void **state)
{
	(void)state;
	struct place p = place_new();
	assert_int_equal(pv_set_store(g_uri), PV_OK);
	pvt_vclose(pvt_sample_vault(p.dir, p.key, 2, 9, NULL));
	char *passfile = pvt_path(p.tmp, "pgpass"), *good = getenv("PGPASSFILE");
	char *good_copy = good ? strdup(good) : NULL;
	char *line = pvt_read_file(good, NULL);
	assert_non_null(line);
	/* host:port:db:user:password -> the same with a wrong password */
	char *last = strrchr(line, ':');
	assert_non_null(last);
	snprintf(last + 1, strlen(last + 1) + 1, "%s", "WrongPw-5521\n");
	assert_int_equal(pvt_write_file(passfile, line, strlen(line)), 0);
	assert_int_equal(chmod(passfile, 0600), 0);
	setenv("PGPASSFILE", passfile, 1);
	pv_vault *v = NULL;
	assert_int_equal(open_root(&p, &v), PV_ERR_STORE);
	assert_non_null(strstr(pv_errmsg(v), "PostgreSQL"));
	assert_null(strstr(pv_errmsg(v), "WrongPw-5521"));
	pv_vault_close(v);
	setenv("PGPASSFILE", good_copy, 1);
	assert_int_equal(open_root(&p, &v), PV_OK);
	pv_vault_close(v);
	assert_int_equal(pv_set_store(NULL), PV_OK);
	free(good_copy);
	free(line);
	free(passfile);
	place_free(&p);
}

int main(void)
{
	g_uri = pvt_program_needs_postgresql();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_made_recorded_opened),
		cmocka_unit_test(test_open_keeps_schema),
		cmocka_unit_test(test_named_schema_taken),
		cmocka_unit_test(test_wrong_password),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	pvt_release_all();
	return failed;
}
