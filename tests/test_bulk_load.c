/* SPDX-License-Identifier: Apache-2.0 */
/* test_bulk_load.c: large imports stay in the write-ahead log (so that readers never wait
 * on them; issue 11 ended the rollback-journal bulk loads, which locked every reader out)
 * and commit in chunks that the log checkpoints as it goes; a refused or killed large
 * import leaves the vault as it was; with another connection open both see the
 * result. On PostgreSQL the log's twin is the import's chunks committed and hidden by its
 * mark (import_pending), gone once it ends or is undone, as the DBA sees the tables. */
#include "dba.h"
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pivault.h"

#define SCHEMA PV_SOURCE_DIR "/examples/schema.yaml"
#define BULK_ROWS 40000u /* about 10 MB of CSV: over the bulk-load threshold */

static const pv_access ADMIN = { "admin", NULL, 1 };

struct fx {
	char *root, *dir, *key_path;
	pv_vault *v;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	f->root = pvt_tempdir();
	f->dir = pvt_path(f->root, "v");
	f->key_path = pvt_path(f->root, "root.key");
	pv_key *key = NULL;
	pv_create_opts o = { .schema_path = SCHEMA, .keyring_slots = 1024 };
	if (pv_key_generate_file(f->key_path) != PV_OK || pv_key_from_file(f->key_path, &key) ||
	    pv_vault_create(f->dir, &o, key, &f->v) != PV_OK) {
		fprintf(stderr, "create: %s\n", pv_errmsg(f->v));
		return -1;
	}
	pv_key_free(key);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	pv_vault_close(f->v);
	pvt_rmtree(f->root);
	free(f->root);
	free(f->dir);
	free(f->key_path);
	free(f);
	return 0;
}

/* pvgen ARGS into root/name; malloc'd path. */
static char *generate(struct fx *f, const char *name, const char *args)
{
	char *path = pvt_path(f->root, name);
	assert_int_equal(pvt_run(NULL, "'%s' %s -o '%s' 2>/dev/null", pvt_program("pvgen"), args,
				 path), 0);
	return path;
}

/* The vault opened with the root key (the caller closes it). */
static pv_vault *open_vault(struct fx *f)
{
	pv_key *key = NULL;
	pv_vault *v = NULL;
	assert_int_equal(pv_key_from_file(f->key_path, &key), PV_OK);
	pv_rc rc = pv_vault_open(f->dir, NULL, key, &v);
	pv_key_free(key);
	if (rc)
		fail_msg("pv_vault_open: %s", pv_errmsg(v));
	return v;
}

static pv_rc import(pv_vault *v, const char *path)
{
	pv_import_opts o = { .threads = 2 };
	return pv_import_csv(v, &ADMIN, path, &o, NULL);
}

static uint64_t count_of(pv_vault *v)
{
	uint64_t n = 999999;
	assert_int_equal(pv_vault_count(v, &n), PV_OK);
	return n;
}

static long long file_size(const char *dir, const char *name)
{
	char *p = pvt_path(dir, name);
	struct stat st;
	long long n = stat(p, &st) == 0 ? (long long)st.st_size : -1;
	free(p);
	return n;
}

/* The database header's read and write format versions: 2 and 2 in WAL mode. */
static void expect_wal_header(const char *dir)
{
	if (pvt_dba_pg(dir))
		return; /* SQLite's own: PostgreSQL has no such header (its twin: expect_settled) */
	char *p = pvt_path(dir, "vault.db");
	FILE *fp = fopen(p, "rb");
	assert_non_null(fp);
	unsigned char h[20];
	assert_int_equal(fread(h, 1, sizeof h, fp), sizeof h);
	fclose(fp);
	free(p);
	assert_int_equal(h[18], 2);
	assert_int_equal(h[19], 2);
}

/* The store as its DBA sees it once an import has ended or been undone: rows customers in
 * the customers table, and no rollback journal (SQLite) or no unfinished import's mark
 * (PostgreSQL: its chunks committed, hidden until the mark goes). */
static void expect_settled(const char *dir, long long rows)
{
	char *n = pvt_dba_value(dir, "SELECT count(*) FROM customers");
	assert_int_equal(strtoll(n, NULL, 10), rows);
	free(n);
	if (!pvt_dba_pg(dir)) {
		assert_int_equal(file_size(dir, "vault.db-journal"), -1);
		return;
	}
	n = pvt_dba_value(dir, "SELECT count(*) FROM import_pending");
	assert_string_equal(n, "0");
	free(n);
}

/* Chunks of a running import are committed (and hidden): SQLite's log has grown past 2
 * MiB, or PostgreSQL holds the import's mark and more rows than before it (as its DBA sees
 * them). */
static int chunks_committed(const char *dir, long long before)
{
	if (!pvt_dba_pg(dir))
		return file_size(dir, "vault.db-wal") > 2 * 1024 * 1024;
	char *n = pvt_dba_value(dir, "SELECT count(*) FROM customers WHERE EXISTS (SELECT 1 "
				"FROM import_pending)");
	int seen = strtoll(n, NULL, 10) > before + 1000;
	free(n);
	return seen;
}

static int note_id(void *ctx, const char *id)
{
	if (strcmp(id, ctx) == 0)
		((char *)ctx)[0] = '*';
	return 0;
}

/* Customer C%08u of the generated file is readable, and its phone in the index. */
static void expect_readable(pv_vault *v, unsigned k)
{
	char id[16];
	snprintf(id, sizeof id, "C%08u", k);
	pv_record *r = NULL;
	pv_access reader = { "admin", "all", 1 };
	if (pv_get(v, &reader, id, &r) != PV_OK)
		fail_msg("pv_get(%s): %s", id, pv_errmsg(v));
	const char *phone = NULL;
	for (size_t i = 0; i < pv_record_field_count(r); i++)
		if (strcmp(pv_record_field_name(r, i), "phone") == 0)
			phone = pv_record_field_value(r, i);
	assert_non_null(phone);
	char want[16];
	memcpy(want, id, sizeof want);
	assert_int_equal(pv_find(v, &reader, "phone", phone, note_id, want), PV_OK);
	if (want[0] != '*')
		fail_msg("finding %s by its phone does not give it", id);
	pv_record_free(r);
}

static void test_bulk_import_stays_in_the_log(void **state)
{
	struct fx *f = *state;
	char args[64];
	snprintf(args, sizeof args, "-n %u --seed 5", BULK_ROWS);
	char *csv = generate(f, "big.csv", args);
	assert_int_equal(import(f->v, csv), PV_OK);
	assert_int_equal(count_of(f->v), BULK_ROWS);
	/* Chunks were checkpointed into the database file as the import went: most of it is
	 * there already, and no rollback journal was used. */
	if (!pvt_dba_pg(f->dir))
		assert_true(file_size(f->dir, "vault.db") > 5 * 1024 * 1024);
	expect_settled(f->dir, BULK_ROWS);
	expect_wal_header(f->dir); /* never out of the log, even while open */
	expect_readable(f->v, 1);
	expect_readable(f->v, BULK_ROWS / 2);
	expect_readable(f->v, BULK_ROWS);
	/* Later writes are in the log again, and the header says so after a close. */
	pv_vault_close(f->v);
	expect_wal_header(f->dir);
	f->v = open_vault(f);
	char *small = generate(f, "small.csv", "-n 5 --start 900000 --seed 6");
	assert_int_equal(import(f->v, small), PV_OK);
	if (!pvt_dba_pg(f->dir))
		assert_true(file_size(f->dir, "vault.db-wal") > 0);
	expect_settled(f->dir, BULK_ROWS + 5);
	char *report = NULL;
	assert_int_equal(pv_audit_verify(f->v, NULL, NULL, &report), PV_OK);
	pv_free(report);
	free(small);
	free(csv);
}

static void test_refused_bulk_import_changes_nothing(void **state)
{
	struct fx *f = *state;
	char *first = generate(f, "first.csv", "-n 10 --start 500000 --seed 7");
	assert_int_equal(import(f->v, first), PV_OK);
	char args[80];
	snprintf(args, sizeof args, "-n %u --seed 8 --bad-every %u", BULK_ROWS, BULK_ROWS - 5);
	char *bad = generate(f, "bad.csv", args);
	assert_int_equal(import(f->v, bad), PV_ERR_INPUT);
	assert_int_equal(count_of(f->v), 10);
	expect_settled(f->dir, 10);
	expect_readable(f->v, 500000);
	pv_record *r = NULL;
	pv_access reader = { "admin", "all", 1 };
	assert_int_equal(pv_get(f->v, &reader, "C00000001", &r), PV_ERR_NOT_FOUND);
	pv_vault_close(f->v);
	expect_wal_header(f->dir);
	f->v = open_vault(f);
	char *good = generate(f, "good.csv", "-n 40000 --seed 8");
	assert_int_equal(import(f->v, good), PV_OK);
	assert_int_equal(count_of(f->v), 10 + BULK_ROWS);
	free(first);
	free(bad);
	free(good);
}

static int exists(const char *dir, const char *name)
{
	return file_size(dir, name) >= 0;
}

static void test_killed_bulk_import_rolls_back(void **state)
{
	struct fx *f = *state;
	char *first = generate(f, "first.csv", "-n 10 --start 500000 --seed 7");
	assert_int_equal(import(f->v, first), PV_OK);
	pv_vault_close(f->v);
	f->v = NULL;
	char *big = generate(f, "big.csv", "-n 150000 --seed 9");
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pv_key *key = NULL;
		pv_vault *v = NULL;
		if (pv_key_from_file(f->key_path, &key) || pv_vault_open(f->dir, NULL, key, &v))
			_exit(3);
		pv_import_opts o = { .threads = 2 };
		_exit(pv_import_csv(v, &ADMIN, big, &o, NULL) == PV_OK ? 0 : 4);
	}
	/* Kill it once chunks are in the log: inside the import, which has not ended. */
	int seen = 0;
	for (int i = 0; i < 20000 && !seen; i++) {
		seen = chunks_committed(f->dir, 10);
		if (!seen) {
			struct timespec t = { 0, 1000000 };
			nanosleep(&t, NULL);
		}
	}
	if (seen) {
		struct timespec t = { 0, 30000000 };
		nanosleep(&t, NULL);
	}
	kill(pid, SIGKILL);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!seen || !WIFSIGNALED(status))
		fail_msg("the import was not caught half-way (chunks seen %d, status %d)", seen,
			 status);
	f->v = open_vault(f);
	assert_int_equal(count_of(f->v), 10);
	assert_int_equal(exists(f->dir, "vault.db-journal"), 0);
	expect_readable(f->v, 500007);
	assert_int_equal(import(f->v, big), PV_OK);
	assert_int_equal(count_of(f->v), 150010);
	expect_settled(f->dir, 150010); /* what the killed import left is gone */
	expect_readable(f->v, 149999);
	free(first);
	free(big);
}

static void test_bulk_import_beside_another_connection(void **state)
{
	struct fx *f = *state;
	pv_vault *other = open_vault(f);
	assert_int_equal(count_of(other), 0);
	char args[64];
	snprintf(args, sizeof args, "-n %u --seed 10", BULK_ROWS);
	char *csv = generate(f, "big.csv", args);
	assert_int_equal(import(f->v, csv), PV_OK);
	/* It could not leave the log while the other connection was open: the load is in
	 * the log, and the other connection reads it from there. */
	if (!pvt_dba_pg(f->dir)) /* SQLite's own; PostgreSQL: the other's count below */
		assert_true(file_size(f->dir, "vault.db-wal") > 5 * 1024 * 1024);
	assert_int_equal(count_of(other), BULK_ROWS);
	expect_readable(other, 1234);
	pv_vault_close(other);
	free(csv);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_bulk_import_stays_in_the_log),
		T(test_refused_bulk_import_changes_nothing),
		T(test_killed_bulk_import_rolls_back),
		T(test_bulk_import_beside_another_connection),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
