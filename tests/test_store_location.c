/* SPDX-License-Identifier: Apache-2.0 */
/* test_store_location.c: where a vault keeps its data, without a PostgreSQL server: the
 * store's location parsed (a postgresql:// URI, one host or several for a failover, its
 * schema parameter pivault's own, a password in it refused without being echoed),
 * pv_set_store refusing what the command's --store would pass wrongly, and a vault
 * directory's record of its store followed: none (the SQLite file), a damaged one
 * (refused, naming it), one pointing at a server that is not there (refused as a store
 * failure, nothing made). The vaults in PostgreSQL are
 * tested by test_pg_vault (CTest label postgresql). */
#include "testutil.h"

#include "pivault.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_postgresql_or_file(void **state)
{
	(void)state;
	assert_true(pv_store_location_is_postgresql("postgresql://h/db"));
	assert_true(pv_store_location_is_postgresql("postgres://u@h:5432/db?schema=x"));
	assert_false(pv_store_location_is_postgresql("/var/lib/pivault/v/vault.db"));
	assert_false(pv_store_location_is_postgresql("postgresql:/h/db"));
	assert_false(pv_store_location_is_postgresql("vault.db"));
}

/* A password in the URI is refused, and the message never repeats it. */
static void test_password_refused(void **state)
{
	(void)state;
	static const char *const with_password[] = {
		"postgresql://alice:s3cretPW@db.example/pv",
		"postgresql://alice:s3cretPW@db.example:5432/pv?schema=a",
		"postgresql://alice@db.example/pv?sslmode=require&password=s3cretPW",
		"postgresql://db.example/pv?password=s3cretPW",
	};
	char err[256];
	for (size_t i = 0; i < sizeof with_password / sizeof *with_password; i++) {
		err[0] = '\0';
		assert_int_equal(pv_store_location_check(with_password[i], err, sizeof err), -1);
		assert_non_null(strstr(err, "password"));
		assert_null(strstr(err, "s3cretPW"));
		assert_int_equal(pv_set_store(with_password[i]), PV_ERR_USAGE);
		assert_null(strstr(pv_errmsg(NULL), "s3cretPW"));
	}
	/* a user name, a port, an at sign in a parameter: no password */
	assert_int_equal(pv_store_location_check("postgresql://alice@db.example:5432/pv", err,
						 sizeof err), 0);
	assert_int_equal(pv_store_location_check("postgresql://h/pv?application_name=a@b", err,
						 sizeof err), 0);
	/* not a URI at all */
	assert_int_equal(pv_store_location_check("host=h dbname=pv", err, sizeof err), -1);
	assert_int_equal(pv_set_store("host=h dbname=pv"), PV_ERR_USAGE);
	assert_int_equal(pv_set_store(NULL), PV_OK);
}

static void expect_conninfo(const char *location, const char *conninfo, const char *schema)
{
	char got_schema[64] = "?";
	char *got = pv_store_location_conninfo(location, got_schema, sizeof got_schema);
	assert_non_null(got);
	assert_string_equal(got, conninfo);
	assert_string_equal(got_schema, schema);
	free(got);
}

/* schema= is pivault's: taken out wherever it stands; libpq's parameters stay in order. */
static void test_schema_parameter(void **state)
{
	(void)state;
	expect_conninfo("postgresql://h/db", "postgresql://h/db", "");
	expect_conninfo("postgresql://h/db?schema=pv_a", "postgresql://h/db", "pv_a");
	expect_conninfo("postgresql://h/db?sslmode=require&schema=pv_a&connect_timeout=5",
			"postgresql://h/db?sslmode=require&connect_timeout=5", "pv_a");
	expect_conninfo("postgresql://h/db?schema=pv_a&sslmode=require",
			"postgresql://h/db?sslmode=require", "pv_a");

	char *a = pv_store_location_with_schema("postgresql://h/db", "pv_b");
	char *b = pv_store_location_with_schema("postgresql://h/db?sslmode=require&schema=old",
						"pv_b");
	assert_string_equal(a, "postgresql://h/db?schema=pv_b");
	assert_string_equal(b, "postgresql://h/db?sslmode=require&schema=pv_b");
	free(a);
	free(b);
}

/* A failover's location: several hosts (libpq tries them in turn; target_session_attrs
 * picks the primary) is a location like any other: schema= taken out, the rest kept in
 * order; a password beside several hosts is refused all the same. */
static void test_several_hosts(void **state)
{
	(void)state;
	static const char two[] = "postgresql://pivault@10.0.0.1:5432,10.0.0.2:5433/pv?"
				  "target_session_attrs=read-write&schema=pv_a&connect_timeout=5";
	char err[256];
	assert_true(pv_store_location_is_postgresql(two));
	assert_int_equal(pv_store_location_check(two, err, sizeof err), 0);
	expect_conninfo(two, "postgresql://pivault@10.0.0.1:5432,10.0.0.2:5433/pv?"
			"target_session_attrs=read-write&connect_timeout=5", "pv_a");
	assert_int_equal(pv_store_location_check("postgresql://db1,db2:5433/pv", err,
						 sizeof err), 0);
	assert_int_equal(pv_set_store(two), PV_OK);
	assert_int_equal(pv_set_store(NULL), PV_OK);
	static const char *const with_password[] = {
		"postgresql://pivault:s3cretPW@10.0.0.1:5432,10.0.0.2:5433/pv",
		"postgresql://pivault@10.0.0.1,10.0.0.2/pv?target_session_attrs=read-write&"
		"password=s3cretPW",
	};
	for (size_t i = 0; i < sizeof with_password / sizeof *with_password; i++) {
		assert_int_equal(pv_store_location_check(with_password[i], err, sizeof err), -1);
		assert_null(strstr(err, "s3cretPW"));
		assert_int_equal(pv_set_store(with_password[i]), PV_ERR_USAGE);
	}
}

static pv_rc open_dir(const char *dir, const char *key_path, pv_vault **v)
{
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(key_path, &key), PV_OK);
	pv_rc rc = pv_vault_open(dir, NULL, key, v);
	pv_key_free(key);
	return rc;
}

/* A vault's directory says where its data is; what it says is checked before use. */
static void test_directory_record(void **state)
{
	(void)state;
	char *tmp = pvt_tempdir(), *dir = pvt_path(tmp, "v"), *key = pvt_path(tmp, "key");
	char *record = pvt_path(dir, "store"), *db = pvt_path(dir, "vault.db");
	pvt_vclose(pvt_sample_vault(dir, key, 3, 1, NULL));
	assert_int_equal(access(record, F_OK), -1); /* SQLite: no record */

	/* a process store set later changes nothing for a vault in its own file */
	assert_int_equal(pv_set_store("postgresql://127.0.0.1:1/none"), PV_OK);
	pv_vault *v = NULL;
	assert_int_equal(open_dir(dir, key, &v), PV_OK);
	pv_vault_close(v);
	assert_int_equal(pv_set_store(NULL), PV_OK);

	/* a damaged record: refused, naming the file, whatever else the directory holds */
	assert_int_equal(pvt_write_file(record, "not a location\n", 15), 0);
	assert_int_equal(open_dir(dir, key, &v), PV_ERR_CORRUPT);
	assert_non_null(strstr(pv_errmsg(v), "/store"));
	pv_vault_close(v);
	static const char no_schema[] = "postgresql://127.0.0.1:1/none\n";
	assert_int_equal(pvt_write_file(record, no_schema, strlen(no_schema)), 0);
	assert_int_equal(open_dir(dir, key, &v), PV_ERR_CORRUPT);
	pv_vault_close(v);
	static const char with_password[] = "postgresql://u:hunter22@127.0.0.1:1/x?schema=pv_a\n";
	assert_int_equal(pvt_write_file(record, with_password, strlen(with_password)), 0);
	assert_int_equal(open_dir(dir, key, &v), PV_ERR_CORRUPT);
	assert_null(strstr(pv_errmsg(v), "hunter22"));
	pv_vault_close(v);

	/* a record naming a server that is not there: a store failure, the SQLite file
	 * beside it never opened instead */
	static const char absent[] = "postgresql://pivault@127.0.0.1:1/none?schema=pv_a\n";
	assert_int_equal(pvt_write_file(record, absent, strlen(absent)), 0);
	assert_int_equal(open_dir(dir, key, &v), PV_ERR_STORE);
	assert_non_null(strstr(pv_errmsg(v), "PostgreSQL"));
	pv_vault_close(v);

	/* neither a record nor a file: not a vault */
	assert_int_equal(unlink(record), 0);
	assert_int_equal(unlink(db), 0);
	assert_int_equal(open_dir(dir, key, &v), PV_ERR_NOT_FOUND);
	pv_vault_close(v);
	pvt_rmtree(tmp);
	free(tmp);
	free(dir);
	free(key);
	free(record);
	free(db);
}

/* Creating in a server that is not there: refused, and nothing left behind (no record,
 * no keyring, no directory). */
static void test_create_unreachable(void **state)
{
	(void)state;
	char *tmp = pvt_tempdir(), *dir = pvt_path(tmp, "v"), *key = pvt_path(tmp, "key");
	char *keyring = pvt_path(tmp, "v.keyring");
	assert_int_equal(pv_key_generate_file(key), PV_OK);
	pv_key *k = NULL;
	assert_int_equal(pv_key_from_file(key, &k), PV_OK);
	assert_int_equal(pv_set_store("postgresql://pivault@127.0.0.1:1/none"), PV_OK);
	pv_create_opts opts = { .schema_path = PV_SOURCE_DIR "/examples/schema.yaml",
				.keyring_slots = 1024, .kdf_cost = PV_KDF_FAST };
	pv_vault *v = NULL;
	assert_int_equal(pv_vault_create(dir, &opts, k, &v), PV_ERR_STORE);
	pv_vault_close(v);
	pv_key_free(k);
	assert_int_equal(pv_set_store(NULL), PV_OK);
	assert_int_equal(access(dir, F_OK), -1);
	assert_int_equal(access(keyring, F_OK), -1);
	pvt_rmtree(tmp);
	free(tmp);
	free(dir);
	free(key);
	free(keyring);
}

int main(void)
{
	/* this test's own settings, whatever backend the suite runs on */
	if (pv_set_store(NULL) != PV_OK)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_postgresql_or_file),
		cmocka_unit_test(test_password_refused),
		cmocka_unit_test(test_schema_parameter),
		cmocka_unit_test(test_several_hosts),
		cmocka_unit_test(test_directory_record),
		cmocka_unit_test(test_create_unreachable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
