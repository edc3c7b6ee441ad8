/* SPDX-License-Identifier: Apache-2.0 */
/* test_pg_pitr.c: a point-in-time restore of PostgreSQL cannot undo a shred (issue 15).
 *
 * A vault in a cluster that archives its WAL (scripts/pg-cluster.sh start-archived); a base
 * backup and a named restore point taken before a shred; the shred (its certificate
 * complete); the WAL switched so that the archive holds everything. The attacker then
 * restores the base backup and the archive into fresh clusters, up to the restore point
 * and to the archive's end, and opens them from a vault directory holding the node's
 * CURRENT keyring and the root key: the shredded customer never reads (its bucket key is
 * gone: the restored row is there, unreadable), every customer of the other buckets reads
 * in full, and once the shred ledger is re-applied (pv_vault_replay_ledger: an honest
 * operator after a point-in-time recovery) the bucket mates read too while the shredded
 * customer is removed again. With the root key alone, no keyring can be had: the bucket
 * keys are random, not derived from it, and the keyring journal's sealed keys do not open
 * with the key it gives. Starts its own clusters: skipped (77) where PostgreSQL is not
 * installed, failed then where PV_REQUIRE_POSTGRESQL=1 (CI). */
#include "testutil.h"

#include <libpq-fe.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pivault.h"
#include "keyring_sync.h"
#include "record.h"
#include "vault.h"

#define SCHEMA PV_SOURCE_DIR "/examples/schema.yaml"
#define CLUSTER_SCRIPT PV_SOURCE_DIR "/scripts/pg-cluster.sh"
#define NCUST 60
#define SLOTS 16
#define POINT "pivault_before_shred"

static const char ADMIN_PW[] = "admin-password-1";
static const pv_access ADMIN = { "admin", NULL, 0 };
static const pv_access READ_ALL = { "admin", "all", 1 };

/* One cluster of the scripts (DIR/conninfo, DIR/pgpass). */
struct cluster {
	char *dir, *uri;
};

struct fx {
	char *tmp;                  /* vault, keyring, root key, CSV (0700) */
	char *pgbase;               /* the clusters and the base backup (the server's owner
				     * must reach them) */
	char *pgpass;               /* every cluster's line, PGPASSFILE */
	struct cluster origin, at_point, at_end;
	char *dir, *key_path, *keyring, *backup;
	struct pvt_csv csv;
	char victim[64], schema[64];
	uint32_t bucket;            /* the victim's */
};

static struct fx *g;

/* Start a cluster in c->dir (pgbase/name) by the script's "command DIR tail"
 * (start-archived, or restore ORIGIN BACKUP NEW [POINT]); its password line appended to
 * the shared password file. */
static void cluster_up(struct cluster *c, const char *name, const char *command,
		       const char *tail)
{
	c->dir = pvt_path(g->pgbase, name);
	assert_int_equal(pvt_run(NULL, "bash '%s' %s '%s' %s", CLUSTER_SCRIPT, command, c->dir,
				 tail), 0);
	char *path = pvt_path(c->dir, "conninfo");
	c->uri = pvt_read_file(path, NULL);
	free(path);
	assert_non_null(c->uri);
	c->uri[strcspn(c->uri, "\n")] = '\0';
	assert_int_equal(pvt_run(NULL, "cat '%s/pgpass' >> '%s'", c->dir, g->pgpass), 0);
}

static void cluster_down(struct cluster *c)
{
	if (c->dir)
		(void)pvt_run(NULL, "bash '%s' stop '%s'", CLUSTER_SCRIPT, c->dir);
	free(c->dir);
	free(c->uri);
}

/* sql run by a DBA on c: its first value (malloc'd), NULL when it returns no row. */
static char *dba_value(const struct cluster *c, const char *sql)
{
	PGconn *conn = PQconnectdb(c->uri);
	assert_int_equal(PQstatus(conn), CONNECTION_OK);
	PGresult *r = PQexec(conn, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(conn));
	char *v = PQntuples(r) ? strdup(PQgetvalue(r, 0, 0)) : NULL;
	PQclear(r);
	PQfinish(conn);
	return v;
}

/* How many rows the vault's customers table holds for the victim, as a DBA sees them. */
static long victim_rows(const struct cluster *c)
{
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s.customers WHERE id = '%s'", g->schema,
		 g->victim);
	char *n = dba_value(c, sql);
	long rows = strtol(n, NULL, 10);
	free(n);
	return rows;
}

static void pick_victim(pv_vault *v)
{
	for (size_t a = 1; a < g->csv.nrows && !g->victim[0]; a++) {
		const char *id = pvt_csv_get(&g->csv, a, "customer_id");
		size_t mates = 0;
		for (size_t b = 1; b < g->csv.nrows; b++)
			mates += b != a && pv_bucket_of(v, pvt_csv_get(&g->csv, b, "customer_id")) ==
						   pv_bucket_of(v, id);
		if (mates >= 2) {
			snprintf(g->victim, sizeof g->victim, "%s", id);
			g->bucket = pv_bucket_of(v, id);
		}
	}
	assert_true(g->victim[0]);
}

/* The vault in the archiving cluster, NCUST customers, a keyring of SLOTS slots. */
static void make_vault(void)
{
	char *csv_path = pvt_path(g->tmp, "in.csv"), *text = NULL;
	assert_int_equal(pvt_run(&text, "'%s' -n %d --seed 11 --canonical", pvt_program("pvgen"),
				 NCUST), 0);
	assert_int_equal(pvt_write_file(csv_path, text, strlen(text)), 0);
	assert_int_equal(pvt_csv_parse(text, &g->csv), 0);
	free(text);
	assert_int_equal(pv_key_generate_file(g->key_path), PV_OK);
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(g->key_path, &key), PV_OK);
	pv_create_opts o = { .schema_path = SCHEMA, .keyring_slots = SLOTS, .kdf_cost = PV_KDF_FAST,
			     .admin_user = "admin", .admin_password = ADMIN_PW,
			     .admin_password_len = strlen(ADMIN_PW) };
	assert_int_equal(pv_set_store(g->origin.uri), PV_OK);
	pv_vault *v = NULL;
	if (pv_vault_create(g->dir, &o, key, &v) != PV_OK)
		fail_msg("pv_vault_create: %s", pv_errmsg(v));
	pv_key_free(key);
	assert_int_equal(pv_set_store(NULL), PV_OK);
	pv_import_opts io = { .threads = 1 };
	pv_import_result *res = NULL;
	if (pv_import_csv(v, &ADMIN, csv_path, &io, &res) != PV_OK)
		fail_msg("pv_import_csv: %s", pv_errmsg(v));
	pv_import_free(res);
	pick_victim(v);
	snprintf(g->schema, sizeof g->schema, "pv_%.16s", pv_vault_id(v));
	pv_vault_close(v);
	free(csv_path);
}

/* The shred, with its certificate complete (this is the only node). */
static void shred_victim(void)
{
	pv_vault *v = pvt_open_root(g->dir, NULL, g->key_path);
	const char *ids[1] = { g->victim };
	char *cert = NULL;
	if (pv_shred(v, &ADMIN, ids, 1, &cert) != PV_OK)
		fail_msg("pv_shred: %s", pv_errmsg(v));
	json_t *doc = json_loads(cert, 0, NULL);
	json_t *nodes = json_object_get(json_object_get(doc, "certificate"), "keyring_nodes");
	assert_true(json_is_true(json_object_get(nodes, "complete")));
	json_decref(doc);
	free(cert);
	pvt_vclose(v);
}

/* Archiving cluster, vault, base backup, restore point, shred, WAL switched; then the two
 * restores: up to the point, and to the archive's end. */
static int group_setup(void **state)
{
	(void)state;
	g = calloc(1, sizeof *g);
	assert_non_null(g);
	g->tmp = pvt_tempdir();
	char tmpl[] = "/tmp/pivault-pitr.XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	assert_int_equal(chmod(tmpl, 0711), 0);
	g->pgbase = strdup(tmpl);
	g->pgpass = pvt_path(g->tmp, "pgpass");
	assert_int_equal(pvt_write_file(g->pgpass, "", 0), 0);
	assert_int_equal(chmod(g->pgpass, 0600), 0);
	setenv("PGPASSFILE", g->pgpass, 1);
	g->dir = pvt_path(g->tmp, "vault");
	g->keyring = pvt_path(g->tmp, "vault.keyring");
	g->key_path = pvt_path(g->tmp, "root.key");
	g->backup = pvt_path(g->pgbase, "base");
	cluster_up(&g->origin, "origin", "start-archived", "");
	make_vault();
	assert_int_equal(pvt_run(NULL, "bash '%s' basebackup '%s' '%s'", CLUSTER_SCRIPT,
				 g->origin.dir, g->backup), 0);
	free(dba_value(&g->origin, "SELECT pg_create_restore_point('" POINT "')"));
	shred_victim();
	assert_int_equal(pvt_run(NULL, "bash '%s' switch-wal '%s'", CLUSTER_SCRIPT,
				 g->origin.dir), 0);
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "restore '%s' '%s'", g->origin.dir, g->backup);
	cluster_up(&g->at_point, "at-point", cmd, POINT);
	cluster_up(&g->at_end, "at-end", cmd, "");
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	pvt_release_all();
	cluster_down(&g->at_point);
	cluster_down(&g->at_end);
	cluster_down(&g->origin);
	pvt_rmtree(g->pgbase);
	pvt_rmtree(g->tmp);
	pvt_csv_free(&g->csv);
	free(g->pgbase);
	free(g->pgpass);
	free(g->tmp);
	free(g->dir);
	free(g->keyring);
	free(g->key_path);
	free(g->backup);
	free(g);
	g = NULL;
	return 0;
}

/* At exit after a setup that failed (cmocka then skips the teardown): no cluster is left
 * running. */
static void clusters_left(void)
{
	if (g)
		group_teardown(NULL);
}

/* The attacker's (or the operator's) vault directory over cluster c: a copy of the vault's
 * directory and of the node's CURRENT keyring files (after the shred), named name, opened
 * with the root key with c named as the store (its connection; the schema is the
 * vault's). */
static pv_vault *open_over(const struct cluster *c, const char *name)
{
	char *dir = pvt_keep(pvt_path(g->tmp, name));
	assert_int_equal(pvt_run(NULL, "cp -a '%s' '%s' && for f in '%s'*; do cp -a \"$f\" "
				 "\"%s.keyring${f#'%s'}\"; done", g->dir, dir, g->keyring, dir,
				 g->keyring), 0);
	size_t n = strlen(dir) + sizeof ".keyring";
	char *keyring = pvt_keep(malloc(n));
	assert_non_null(keyring);
	snprintf(keyring, n, "%s.keyring", dir);
	assert_int_equal(pv_set_store(c->uri), PV_OK);
	pv_vault *v = pvt_open_root(dir, keyring, g->key_path);
	assert_int_equal(pv_set_store(NULL), PV_OK);
	return v;
}

static pv_rc get_rc(pv_vault *v, const char *id)
{
	pv_record *r = NULL;
	pv_rc rc = pv_get(v, &READ_ALL, id, &r);
	pv_record_free(r);
	return rc;
}

/* Customer row r of the CSV reads in full: every field the CSV has, the CSV's value. */
static void reads_in_full(pv_vault *v, size_t row)
{
	const char *id = pvt_csv_get(&g->csv, row, "customer_id");
	pv_record *r = NULL;
	if (pv_get(v, &READ_ALL, id, &r) != PV_OK)
		fail_msg("customer %s: %s", id, pv_errmsg(v));
	size_t compared = 0;
	for (size_t i = 0; i < pv_record_field_count(r); i++) {
		const char *want = pvt_csv_get(&g->csv, row, pv_record_field_name(r, i));
		if (!want)
			continue;
		assert_int_equal(pv_record_field_view(r, i), PV_SHOWN_CLEAR);
		assert_string_equal(pv_record_field_value(r, i), want);
		compared++;
	}
	assert_true(compared >= 10);
	pv_record_free(r);
}

/* Every customer but the victim: those of other buckets read in full; the victim's bucket
 * mates read in full when mates_read, else fail as keys of an older generation. Returns how
 * many mates there are. */
static size_t others_read(pv_vault *v, int mates_read)
{
	size_t mates = 0;
	for (size_t row = 1; row < g->csv.nrows; row++) {
		const char *id = pvt_csv_get(&g->csv, row, "customer_id");
		if (strcmp(id, g->victim) == 0)
			continue;
		if (pv_bucket_of(v, id) == g->bucket) {
			mates++;
			if (!mates_read) {
				assert_rc_msg(v, get_rc(v, id), PV_ERR_CORRUPT, "another generation");
				continue;
			}
		}
		reads_in_full(v, row);
	}
	return mates;
}

/* Restored up to the point before the shred: the victim's row is back, but it does not
 * read with the current keyring (its bucket key is gone), while every customer of the
 * other buckets reads in full. The shred ledger re-applied (an operator's recovery), the
 * victim is removed again and the mates read too. */
static void test_point_before_shred(void **state)
{
	(void)state;
	assert_int_equal(victim_rows(&g->at_point), 1);
	pv_vault *v = open_over(&g->at_point, "attack-point");
	assert_rc_msg(v, get_rc(v, g->victim), PV_ERR_CORRUPT, "restored after a shred");
	assert_true(others_read(v, 0) >= 2);
	/* the operator's recovery: the ledger beside the live keyring */
	pv_restore_result out;
	assert_ok(v, pv_vault_replay_ledger(v, &out));
	assert_int_equal(out.removed, 1);
	assert_true(out.rewrapped >= 2);
	assert_int_equal(out.customers, NCUST - 1);
	assert_int_equal(get_rc(v, g->victim), PV_ERR_NOT_FOUND);
	assert_int_equal(victim_rows(&g->at_point), 0);
	others_read(v, 1);
	/* a second run changes nothing */
	assert_ok(v, pv_vault_replay_ledger(v, &out));
	assert_int_equal(out.removed, 0);
	assert_int_equal(out.rewrapped, 0);
	pvt_vclose(v);
}

/* Restored to the archive's end: the shred is in it; the victim is gone and every other
 * customer reads in full, with nothing for the ledger to do. */
static void test_archive_end(void **state)
{
	(void)state;
	assert_int_equal(victim_rows(&g->at_end), 0);
	pv_vault *v = open_over(&g->at_end, "attack-end");
	assert_int_equal(get_rc(v, g->victim), PV_ERR_NOT_FOUND);
	others_read(v, 1);
	pv_restore_result out;
	assert_ok(v, pv_vault_replay_ledger(v, &out));
	assert_int_equal(out.removed + out.rewrapped, 0);
	pvt_vclose(v);
}

struct tries {
	pv_vault *v;
	const uint8_t *key;
	size_t entries, opened;
};

static int try_entry(void *ctx, uint64_t seq, uint32_t slot, uint32_t gen,
		     const uint8_t *sealed, size_t len)
{
	struct tries *t = ctx;
	uint8_t key[PV_KEY_BYTES];
	(void)seq;
	t->entries++;
	t->opened += pv_kjournal_open(t->v, slot, gen, sealed, len, t->key, key) == 0;
	return 0;
}

/* The root key alone: the vault does not open without its keyring (missing, empty, or
 * made anew: pv_vault_create makes another vault), and the key it gives for the keyring
 * (keyring_wrap) opens none of the keyring journal's sealed keys in the archive. */
static void test_root_key_alone(void **state)
{
	(void)state;
	char *dir = pvt_keep(pvt_path(g->tmp, "root-only"));
	char *ring = pvt_keep(pvt_path(g->tmp, "root-only.keyring"));
	assert_int_equal(pvt_run(NULL, "cp -a '%s' '%s'", g->dir, dir), 0);
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(g->key_path, &key), PV_OK);
	assert_int_equal(pv_set_store(g->at_point.uri), PV_OK);
	pv_vault *v = NULL;
	assert_int_not_equal(pv_vault_open(dir, ring, key, &v), PV_OK);
	pv_vault_close(v);
	v = NULL;
	assert_int_equal(pvt_write_file(ring, "", 0), 0);
	assert_int_not_equal(pv_vault_open(dir, ring, key, &v), PV_OK);
	pv_vault_close(v);
	pv_key_free(key);
	/* the key the root key gives over the keyring, tried on the journal's entries */
	pv_vault *live = open_over(&g->at_end, "root-only-journal");
	struct tries t = { live, live->keys->keyring_wrap, 0, 0 };
	assert_int_equal(pv_store_kjournal_scan(live->store, 0, try_entry, &t), 0);
	assert_int_equal(t.entries, 1);
	assert_int_equal(t.opened, 0);
	/* nor with the current keyring's key of the slot: only its previous key opens one */
	t.key = pv_keyring_key(live->keyring, g->bucket, NULL);
	assert_int_equal(pv_store_kjournal_scan(live->store, 0, try_entry, &t), 0);
	assert_int_equal(t.opened, 0);
	pvt_vclose(live);
	assert_int_equal(pv_set_store(NULL), PV_OK);
}

/* 1 when the PostgreSQL binaries (with pg_basebackup) are installed. */
static int have_postgresql(void)
{
	return pvt_run(NULL, "ls /usr/lib/postgresql/*/bin/pg_basebackup >/dev/null 2>&1") == 0;
}

int main(void)
{
	unsetenv("PIVAULT_VAULT");
	unsetenv("PIVAULT_KEY_FILE");
	unsetenv("PIVAULT_KEYRING");
	unsetenv("PIVAULT_STORE");
	if (!have_postgresql()) {
		const char *must = getenv("PV_REQUIRE_POSTGRESQL");
		if (must && strcmp(must, "1") == 0) {
			fprintf(stderr, "FAILED: PostgreSQL is not installed, and "
				"PV_REQUIRE_POSTGRESQL=1 says the tests must run\n");
			return 1;
		}
		fprintf(stderr, "skipped: PostgreSQL is not installed\n");
		return 77;
	}
	if (sodium_init() < 0)
		return 1;
	atexit(clusters_left);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_point_before_shred),
		cmocka_unit_test(test_archive_end),
		cmocka_unit_test(test_root_key_alone),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
