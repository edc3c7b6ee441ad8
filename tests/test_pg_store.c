/* SPDX-License-Identifier: Apache-2.0 */
/* test_pg_store.c: the PostgreSQL store as far as it is built (issue 15): a vault's own
 * schema made and found again, metadata kept byte for byte, transactions and savepoints
 * that keep or undo, writers that take turns on the vault's lock across connections (a
 * second one waits, and is refused as busy when its wait runs out), readers on one
 * snapshot, field numbers that two connections agree on, customers kept byte for byte and
 * scanned in the SQLite store's order (an unfinished import's hidden), the audit log in
 * order across pages with its checkpoints and a read-only second reader, and refusals (a schema that holds
 * a vault made again, one that holds none opened, names that could be SQL, a database
 * not in UTF-8, a wrong password) that never echo a secret. Runs against the cluster scripts/test.sh starts
 * (PIVAULT_TEST_PG: its connection string; the password from PGPASSFILE); without one it
 * reports itself skipped, and fails where PV_REQUIRE_POSTGRESQL=1 (CI) says it must run. */
#include "testutil.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/postgresql/pg_store.h"

static const char *g_conninfo;
static char g_schema[64];
static int g_made;

/* A fresh schema name for each test, dropped at its end. */
static int setup(void **state)
{
	(void)state;
	snprintf(g_schema, sizeof g_schema, "pvtest_%ld_%d", (long)getpid(), ++g_made);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	PGconn *c = PQconnectdb(g_conninfo);
	char sql[160];
	snprintf(sql, sizeof sql, "SET client_min_messages = warning; "
		 "DROP SCHEMA IF EXISTS %s CASCADE", g_schema);
	PQclear(PQexec(c, sql));
	PQfinish(c);
	return 0;
}

static struct pv_store *open_store(const char *conninfo, int create)
{
	char err[512] = "";
	struct pv_store *s = pv_pg_open(conninfo, g_schema, create, err, sizeof err);
	if (!s)
		fail_msg("open %s: %s", g_schema, err);
	return s;
}

/* A second connection whose lock waits end after ms. */
static char *conninfo_waiting(unsigned ms)
{
	char *c = malloc(strlen(g_conninfo) + 64);
	sprintf(c, "%s options='-c lock_timeout=%u'", g_conninfo, ms);
	return c;
}

static void expect_meta(struct pv_store *s, const char *key, const void *want, size_t n)
{
	uint8_t *val = NULL;
	size_t len = 0;
	assert_int_equal(pv_pg_meta_get(s, key, &val, &len), 0);
	assert_int_equal(len, n);
	assert_memory_equal(val, want, n);
	assert_int_equal(val[n], 0);
	free(val);
}

static void expect_no_meta(struct pv_store *s, const char *key)
{
	uint8_t *val = NULL;
	assert_int_equal(pv_pg_meta_get(s, key, &val, NULL), 1);
	assert_null(val);
}

/* Made, kept byte for byte (NULs and high bytes too), found again by a new connection;
 * made twice refused; a schema without a vault not opened. */
static void test_schema_made_and_found(void **state)
{
	(void)state;
	struct pv_store *s = open_store(g_conninfo, 1);
	const uint8_t salt[] = { 0, 1, 0xff, 0, 'x', 0x80 };
	assert_int_equal(pv_pg_meta_put(s, "salt", salt, sizeof salt), 0);
	assert_int_equal(pv_pg_meta_put(s, "empty", "", 0), 0);
	assert_int_equal(pv_pg_meta_put(s, "salt2", "v1", 2), 0);
	assert_int_equal(pv_pg_meta_put(s, "salt2", "v22", 3), 0); /* put replaces */
	assert_int_equal(pv_pg_meta_delete(s, "gone"), 0);         /* absent: nothing */
	pv_pg_close(s);

	s = open_store(g_conninfo, 0);
	expect_meta(s, "salt", salt, sizeof salt);
	expect_meta(s, "empty", "", 0);
	expect_meta(s, "salt2", "v22", 3);
	assert_int_equal(pv_pg_meta_delete(s, "salt2"), 0);
	expect_no_meta(s, "salt2");
	pv_pg_close(s);

	char err[512] = "";
	assert_null(pv_pg_open(g_conninfo, g_schema, 1, err, sizeof err));
	assert_non_null(strstr(err, "already holds a vault"));
	assert_null(pv_pg_open(g_conninfo, "pvtest_no_such_vault", 0, err, sizeof err));
	assert_non_null(strstr(err, "holds no vault"));
}

/* Names that are not plain identifiers are refused before any SQL is sent. */
static void test_schema_names_refused(void **state)
{
	(void)state;
	const char *bad[] = { "", "Vault", "1vault", "v; DROP SCHEMA public", "v\"x", "v-x",
			      "a_name_longer_than_forty_eight_characters_is_refused_here" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char err[512] = "";
		assert_null(pv_pg_open(g_conninfo, bad[i], 1, err, sizeof err));
		assert_non_null(strstr(err, "a lowercase letter"));
	}
}

/* A database that does not keep UTF-8 is refused, naming what it needs. */
static void test_non_utf8_database_refused(void **state)
{
	(void)state;
	char db[64], sql[192];
	snprintf(db, sizeof db, "pvtest_ascii_%ld", (long)getpid());
	PGconn *raw = PQconnectdb(g_conninfo);
	snprintf(sql, sizeof sql, "CREATE DATABASE %s ENCODING 'SQL_ASCII' TEMPLATE template0 "
		 "LC_COLLATE 'C' LC_CTYPE 'C'", db);
	PGresult *r = PQexec(raw, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(raw));
	PQclear(r);
	char *c = malloc(strlen(g_conninfo) + 80);
	sprintf(c, "%s dbname=%s", g_conninfo, db);
	char err[512] = "";
	assert_null(pv_pg_open(c, g_schema, 1, err, sizeof err));
	assert_non_null(strstr(err, "does not keep UTF-8"));
	free(c);
	snprintf(sql, sizeof sql, "DROP DATABASE %s", db);
	PQclear(PQexec(raw, sql));
	PQfinish(raw);
}

/* A wrong password is refused, and the message does not hold it. */
static void test_wrong_password(void **state)
{
	(void)state;
	char *c = malloc(strlen(g_conninfo) + 64);
	sprintf(c, "%s password=not-the-secret-7731", g_conninfo);
	char err[512] = "";
	assert_null(pv_pg_open(c, g_schema, 1, err, sizeof err));
	assert_non_null(strstr(err, "cannot connect to PostgreSQL"));
	assert_null(strstr(err, "not-the-secret-7731"));
	free(c);
}

/* A savepoint rolled back undoes only what it did; the transaction's commit keeps the
 * rest; a whole rollback keeps nothing; txn_id names the open transaction. */
static void test_transactions_and_savepoints(void **state)
{
	(void)state;
	struct pv_store *s = open_store(g_conninfo, 1);
	assert_int_equal(pv_pg_txn_id(s), 0);
	assert_int_equal(pv_pg_begin(s), 0);
	uint64_t t = pv_pg_txn_id(s);
	assert_true(t > 0);
	assert_int_equal(pv_pg_meta_put(s, "outer", "1", 1), 0);
	assert_int_equal(pv_pg_begin(s), 0);
	assert_int_equal(pv_pg_txn_id(s), t); /* a savepoint: the same transaction */
	assert_int_equal(pv_pg_meta_put(s, "inner", "2", 1), 0);
	assert_int_equal(pv_pg_rollback(s), 0);
	expect_no_meta(s, "inner");
	assert_int_equal(pv_pg_begin(s), 0);
	assert_int_equal(pv_pg_meta_put(s, "kept", "3", 1), 0);
	assert_int_equal(pv_pg_commit(s), 0); /* released into the transaction */
	assert_int_equal(pv_pg_commit(s), 0);
	assert_int_equal(pv_pg_txn_id(s), 0);
	expect_meta(s, "outer", "1", 1);
	expect_meta(s, "kept", "3", 1);

	assert_int_equal(pv_pg_begin(s), 0);
	assert_true(pv_pg_txn_id(s) > t);
	assert_int_equal(pv_pg_meta_put(s, "undone", "4", 1), 0);
	assert_int_equal(pv_pg_rollback(s), 0);
	expect_no_meta(s, "undone");
	assert_int_equal(pv_pg_commit(s), -1); /* none open */
	pv_pg_close(s);
}

/* A statement that fails inside a transaction fails its commit too: nothing of it kept,
 * and the caller is told (PostgreSQL answers such a COMMIT with a rollback). */
static void test_failed_transaction_not_committed(void **state)
{
	(void)state;
	struct pv_store *s = open_store(g_conninfo, 1);
	assert_int_equal(pv_pg_begin(s), 0);
	assert_int_equal(pv_pg_meta_put(s, "before", "1", 1), 0);
	assert_int_equal(pv_pg_meta_put(s, NULL, "x", 1), -1); /* NOT NULL key: refused */
	assert_non_null(strstr(pv_pg_errmsg(s), "cannot write metadata"));
	assert_int_equal(pv_pg_commit(s), -1);
	assert_non_null(strstr(pv_pg_errmsg(s), "rolled back"));
	assert_int_equal(pv_pg_txn_id(s), 0);
	expect_no_meta(s, "before");
	pv_pg_close(s);
}

/* Writers take turns: while one holds the vault's lock, another's begin waits, and is
 * refused as busy when its wait runs out; after the first commits, it begins. */
static void test_writers_take_turns(void **state)
{
	(void)state;
	struct pv_store *a = open_store(g_conninfo, 1);
	char *waiting = conninfo_waiting(300);
	struct pv_store *b = open_store(waiting, 0);
	assert_int_equal(pv_pg_begin(a), 0);
	assert_int_equal(pv_pg_begin(b), -1);
	assert_true(pv_pg_busy(b));
	assert_non_null(strstr(pv_pg_errmsg(b), "write lock"));
	assert_int_equal(pv_pg_txn_id(b), 0);
	assert_int_equal(pv_pg_meta_put(a, "k", "a", 1), 0);
	assert_int_equal(pv_pg_commit(a), 0);
	assert_int_equal(pv_pg_begin(b), 0);
	assert_false(pv_pg_busy(b));
	expect_meta(b, "k", "a", 1); /* the writer before it is seen */
	assert_int_equal(pv_pg_meta_put(b, "k", "b", 1), 0);
	assert_int_equal(pv_pg_commit(b), 0);
	expect_meta(a, "k", "b", 1);
	pv_pg_close(a);
	pv_pg_close(b);
	free(waiting);
}

/* A reader reads one snapshot: a commit elsewhere is seen only by its next transaction. */
static void test_reader_snapshot(void **state)
{
	(void)state;
	struct pv_store *a = open_store(g_conninfo, 1), *b = open_store(g_conninfo, 0);
	assert_int_equal(pv_pg_meta_put(b, "k", "old", 3), 0);
	assert_int_equal(pv_pg_read_begin(a), 0);
	expect_meta(a, "k", "old", 3);
	assert_int_equal(pv_pg_meta_put(b, "k", "new", 3), 0);
	expect_meta(a, "k", "old", 3);
	assert_int_equal(pv_pg_meta_put(a, "w", "x", 1), -1); /* a read transaction writes nothing */
	assert_int_equal(pv_pg_rollback(a), 0);
	expect_meta(a, "k", "new", 3);
	pv_pg_close(a);
	pv_pg_close(b);
}

/* Field numbers: the next after the highest, never changed, the same from every
 * connection. */
static void test_field_numbers(void **state)
{
	(void)state;
	struct pv_store *a = open_store(g_conninfo, 1), *b = open_store(g_conninfo, 0);
	int n = 0;
	assert_int_equal(pv_pg_field_number(a, "phone", &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(pv_pg_field_number(b, "email", &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(pv_pg_field_number(a, "email", &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(pv_pg_field_number(b, "phone", &n), 0);
	assert_int_equal(n, 1);
	pv_pg_close(a);
	pv_pg_close(b);
}

/* ---- Customers ---- */

/* Run sql as a DBA with psql would, beside the store. */
static void dba(const char *fmt, const char *arg)
{
	char sql[512];
	snprintf(sql, sizeof sql, fmt, g_schema, arg);
	PGconn *c = PQconnectdb(g_conninfo);
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
}

static const uint8_t wdek[] = { 0, 9, 8, 0xff, 0 };
static const uint8_t basic[] = { 1, 0, 2 };

static int64_t insert(struct pv_store *s, const char *id, uint32_t bucket, int with_groups)
{
	struct pv_stored_customer c = { .id = id, .bucket = bucket, .bucket_gen = 7,
					.dek_version = 2, .wdek = wdek, .wdek_len = sizeof wdek };
	if (with_groups) {
		c.group[0] = basic;
		c.group_len[0] = sizeof basic;
		c.group[1] = (const uint8_t *)""; /* an empty group, not none */
	}
	int64_t rid = 0;
	assert_int_equal(pv_pg_customer_insert(s, &c, &rid), 0);
	assert_true(rid > 0);
	return rid;
}

/* Inserted, read back byte for byte by id and by row id; a second insert of an id writes
 * nothing; row ids grow; the id of a row; absent rows are 1. */
static void test_customers_kept(void **state)
{
	(void)state;
	struct pv_store *s = open_store(g_conninfo, 1);
	int64_t a = insert(s, "C001", 4000000000u, 1), b = insert(s, "C002", 3, 0);
	assert_true(b > a);
	struct pv_stored_customer again = { .id = "C001", .wdek = wdek, .wdek_len = 1 };
	int64_t rid = -5;
	assert_int_equal(pv_pg_customer_insert(s, &again, &rid), 1);
	assert_int_equal(rid, -5);

	struct pv_stored_customer c;
	assert_int_equal(pv_pg_customer_get(s, "C001", &c), 0);
	assert_int_equal(c.rid, a);
	assert_string_equal(c.id, "C001");
	assert_int_equal(c.bucket, 4000000000u);
	assert_int_equal(c.bucket_gen, 7);
	assert_int_equal(c.dek_version, 2);
	assert_int_equal(c.malformed, 0);
	assert_int_equal(c.wdek_len, sizeof wdek);
	assert_memory_equal(c.wdek, wdek, sizeof wdek); /* the first insert's, not the second's */
	assert_int_equal(c.group_len[0], sizeof basic);
	assert_memory_equal(c.group[0], basic, sizeof basic);
	assert_non_null(c.group[1]);
	assert_int_equal(c.group_len[1], 0);
	assert_null(c.group[2]);
	assert_int_equal(pv_pg_customer_get_rid(s, b, &c), 0);
	assert_string_equal(c.id, "C002");
	assert_null(c.group[0]);
	assert_int_equal(pv_pg_customer_get(s, "C404", &c), 1);
	assert_int_equal(pv_pg_customer_get_rid(s, b + 100, &c), 1);
	char id[16];
	assert_int_equal(pv_pg_customer_id(s, b, id, sizeof id), 0);
	assert_string_equal(id, "C002");
	assert_int_equal(pv_pg_customer_id(s, b + 100, id, sizeof id), 1);
	uint64_t n = 0;
	assert_int_equal(pv_pg_customer_count(s, &n), 0);
	assert_int_equal(n, 2);
	pv_pg_close(s);
}

struct seen {
	char ids[8][16];
	int n, stop_at;
};

static int see(void *ctx, const struct pv_stored_customer *c)
{
	struct seen *w = ctx;
	snprintf(w->ids[w->n], sizeof w->ids[w->n], "%s", c->id);
	return ++w->n == w->stop_at ? 42 : 0;
}

/* Scans go in byte order of the ids (as SQLite's), after a given id, at most a limit, and
 * stop when fn answers nonzero, returning its answer. */
static void test_customers_scanned_in_order(void **state)
{
	(void)state;
	struct pv_store *s = open_store(g_conninfo, 1);
	const char *ids[] = { "a1", "C9", "B", "C10" };
	for (size_t i = 0; i < 4; i++)
		insert(s, ids[i], 1, 0);
	struct seen w = { .stop_at = -1 };
	assert_int_equal(pv_pg_customer_scan(s, NULL, 0, see, &w), 0);
	assert_int_equal(w.n, 4);
	const char *order[] = { "B", "C10", "C9", "a1" };
	for (int i = 0; i < 4; i++)
		assert_string_equal(w.ids[i], order[i]);
	w = (struct seen){ .stop_at = -1 };
	assert_int_equal(pv_pg_customer_scan(s, "C10", 1, see, &w), 0);
	assert_int_equal(w.n, 1);
	assert_string_equal(w.ids[0], "C9");
	w = (struct seen){ .stop_at = 2 };
	assert_int_equal(pv_pg_customer_scan(s, NULL, 0, see, &w), 42);
	assert_int_equal(w.n, 2);
	pv_pg_close(s);
}

/* Writes by row id replace what they name and nothing else; an absent row: nothing, 0. */
static void test_customers_rewritten(void **state)
{
	(void)state;
	struct pv_store *s = open_store(g_conninfo, 1);
	int64_t a = insert(s, "C001", 5, 1);
	const uint8_t g2[] = { 7, 7 }, w2[] = { 3 };
	assert_int_equal(pv_pg_customer_set_group(s, a, 2, g2, sizeof g2), 0);
	assert_int_equal(pv_pg_customer_set_group(s, a, 3, g2, sizeof g2), -1);
	assert_int_equal(pv_pg_customer_set_wdek(s, a, 8, w2, sizeof w2), 0);
	struct pv_stored_customer c;
	assert_int_equal(pv_pg_customer_get_rid(s, a, &c), 0);
	assert_int_equal(c.bucket_gen, 8);
	assert_int_equal(c.dek_version, 2);
	assert_memory_equal(c.wdek, w2, sizeof w2);
	assert_memory_equal(c.group[0], basic, sizeof basic);
	assert_memory_equal(c.group[2], g2, sizeof g2);
	const uint8_t *groups[PV_GROUPS] = { g2, g2, g2 };
	const size_t lens[PV_GROUPS] = { 1, 2, 0 };
	assert_int_equal(pv_pg_customer_set_sealed(s, a, 3, wdek, sizeof wdek, groups, lens), 0);
	assert_int_equal(pv_pg_customer_get(s, "C001", &c), 0);
	assert_int_equal(c.dek_version, 3);
	assert_int_equal(c.bucket, 5);
	assert_int_equal(c.bucket_gen, 8);
	assert_int_equal(c.group_len[0], 1);
	assert_int_equal(c.group_len[1], 2);
	assert_int_equal(c.group_len[2], 0);
	assert_int_equal(pv_pg_customer_set_wdek(s, a + 100, 1, w2, 1), 0);
	pv_pg_close(s);
}

/* An unfinished import's rows (from import_pending's row id up) are in no read but the
 * id of a row; a number a DBA made out of range is marked malformed, not trusted. */
static void test_customers_pending_and_malformed(void **state)
{
	(void)state;
	struct pv_store *s = open_store(g_conninfo, 1);
	int64_t a = insert(s, "C001", 1, 0);
	char from[24];
	snprintf(from, sizeof from, "%lld", (long long)a + 1);
	dba("INSERT INTO %s.import_pending(rid_from) VALUES (%s)", from);
	int64_t b = insert(s, "C002", 1, 0);
	struct pv_stored_customer c;
	assert_int_equal(pv_pg_customer_get(s, "C002", &c), 1);
	assert_int_equal(pv_pg_customer_get_rid(s, b, &c), 1);
	uint64_t n = 0;
	assert_int_equal(pv_pg_customer_count(s, &n), 0);
	assert_int_equal(n, 1);
	struct seen w = { .stop_at = -1 };
	assert_int_equal(pv_pg_customer_scan(s, NULL, 0, see, &w), 0);
	assert_int_equal(w.n, 1);
	char id[16];
	assert_int_equal(pv_pg_customer_id(s, b, id, sizeof id), 0);
	assert_string_equal(id, "C002");
	dba("DELETE FROM %s.import_pending%s", "");
	assert_int_equal(pv_pg_customer_get(s, "C002", &c), 0);

	dba("UPDATE %s.customers SET bucket = -1 WHERE id = 'C001'%s", "");
	assert_int_equal(pv_pg_customer_get(s, "C001", &c), 0);
	assert_int_equal(c.malformed, 1);
	dba("UPDATE %s.customers SET bucket = 4294967296 WHERE id = 'C002'%s", "");
	assert_int_equal(pv_pg_customer_get(s, "C002", &c), 0);
	assert_int_equal(c.malformed, 1);
	pv_pg_close(s);
}

/* ---- Audit log ---- */

static void hash_of(uint64_t seq, uint8_t h[PV_AUDIT_HASH])
{
	for (int i = 0; i < PV_AUDIT_HASH; i++)
		h[i] = (uint8_t)(seq * 31 + (uint64_t)i);
}

static void append(struct pv_store *s, uint64_t seq)
{
	uint8_t h[PV_AUDIT_HASH];
	hash_of(seq, h);
	struct pv_audit_row e = { .seq = seq, .at = "2026-12-07T10:00:00Z", .user = "审计员",
				  .op = "get", .ids = "C001", .purpose = "service", .request = NULL,
				  .outcome = "ok", .detail = "", .hash = h };
	assert_int_equal(pv_pg_audit_append(s, &e), 0);
}

struct entries {
	uint64_t first, last;
	int n, stop_at;
	struct pv_store *s;
};

static int entry_seen(void *ctx, const struct pv_audit_row *e)
{
	struct entries *w = ctx;
	uint8_t h[PV_AUDIT_HASH];
	hash_of(e->seq, h);
	assert_non_null(e->hash);
	assert_memory_equal(e->hash, h, PV_AUDIT_HASH);
	assert_string_equal(e->user, "审计员");
	assert_int_equal(e->len[1], strlen("审计员"));
	assert_string_equal(e->request, "");
	if (w->n == 0)
		w->first = e->seq;
	else
		assert_int_equal(e->seq, w->last + 1); /* in order, none missed across pages */
	w->last = e->seq;
	if (w->s) { /* another call of the store between two rows */
		uint64_t seq;
		uint8_t last[PV_AUDIT_HASH];
		assert_int_equal(pv_pg_audit_last(w->s, &seq, last), 0);
	}
	return ++w->n == w->stop_at ? 9 : 0;
}

/* Entries appended in order come back in order, across the pages a scan or a cursor
 * fetches, with other calls between rows; a seq already there is refused; the last
 * entry's seq and hash; an empty log says so. */
static void test_audit_log_in_order(void **state)
{
	(void)state;
	struct pv_store *s = open_store(g_conninfo, 1);
	uint64_t seq = 0;
	uint8_t h[PV_AUDIT_HASH], want[PV_AUDIT_HASH];
	assert_int_equal(pv_pg_audit_last(s, &seq, h), 1);
	assert_int_equal(pv_pg_begin(s), 0);
	for (uint64_t i = 1; i <= 600; i++)
		append(s, i);
	assert_int_equal(pv_pg_commit(s), 0);
	struct pv_audit_row dup = { .seq = 600, .hash = h };
	assert_int_equal(pv_pg_audit_append(s, &dup), -1);
	assert_non_null(strstr(pv_pg_errmsg(s), "cannot append audit entry"));
	assert_int_equal(pv_pg_audit_last(s, &seq, h), 0);
	assert_int_equal(seq, 600);
	hash_of(600, want);
	assert_memory_equal(h, want, PV_AUDIT_HASH);

	struct entries w = { .stop_at = -1, .s = s };
	assert_int_equal(pv_pg_audit_scan(s, 1, entry_seen, &w), 0);
	assert_int_equal(w.n, 600);
	w = (struct entries){ .stop_at = 300 };
	assert_int_equal(pv_pg_audit_scan(s, 2, entry_seen, &w), 9);
	assert_int_equal(w.first, 2);
	assert_int_equal(w.last, 301);

	struct pv_store_audit_cursor *c = pv_pg_audit_cursor_open(s, 250);
	assert_non_null(c);
	struct pv_audit_row e;
	w = (struct entries){ .stop_at = -1, .s = s };
	int rc;
	while ((rc = pv_pg_audit_cursor_next(c, &e)) == 0)
		entry_seen(&w, &e);
	assert_int_equal(rc, 1);
	assert_int_equal(w.first, 250);
	assert_int_equal(w.last, 600);
	assert_int_equal(pv_pg_audit_cursor_next(c, &e), 1);
	pv_pg_audit_cursor_close(c);

	/* a hash a DBA shortened is malformed, not trusted */
	dba("UPDATE %s.audit SET hash = '\\x00' WHERE seq = 600%s", "");
	assert_int_equal(pv_pg_audit_last(s, &seq, h), -1);
	assert_non_null(strstr(pv_pg_errmsg(s), "malformed"));
	pv_pg_close(s);
}

static int count_checkpoint(void *ctx, const struct pv_audit_checkpoint *c)
{
	uint64_t *sizes = ctx;
	sizes[sizes[0] + 1] = c->size;
	sizes[0]++;
	return 0;
}

/* Checkpoints: the latest at or below a size, one of the same size replaced, a scan
 * after a size; one a DBA broke is malformed. */
static void test_audit_checkpoints(void **state)
{
	(void)state;
	struct pv_store *s = open_store(g_conninfo, 1);
	uint8_t head[PV_AUDIT_HASH] = { 1 }, root[PV_AUDIT_HASH] = { 2 }, sig[PV_AUDIT_SIG] = { 3 };
	const uint8_t frontier[] = { 4, 0, 4 };
	struct pv_audit_checkpoint c = { 10, "2026-12-07", head, root, frontier, sizeof frontier,
					 sig };
	assert_int_equal(pv_pg_audit_checkpoint_put(s, &c), 0);
	c.size = 20;
	assert_int_equal(pv_pg_audit_checkpoint_put(s, &c), 0);
	c.at = "2026-12-08"; /* the same size again: replaced */
	assert_int_equal(pv_pg_audit_checkpoint_put(s, &c), 0);
	struct pv_audit_checkpoint got;
	assert_int_equal(pv_pg_audit_checkpoint_last(s, 15, &got), 0);
	assert_int_equal(got.size, 10);
	assert_int_equal(pv_pg_audit_checkpoint_last(s, UINT64_MAX, &got), 0);
	assert_int_equal(got.size, 20);
	assert_string_equal(got.at, "2026-12-08");
	assert_int_equal(got.frontier_len, sizeof frontier);
	assert_memory_equal(got.frontier, frontier, sizeof frontier);
	assert_memory_equal(got.signature, sig, PV_AUDIT_SIG);
	assert_int_equal(pv_pg_audit_checkpoint_last(s, 9, &got), 1);
	uint64_t sizes[4] = { 0 };
	assert_int_equal(pv_pg_audit_checkpoint_scan(s, 10, count_checkpoint, sizes), 0);
	assert_int_equal(sizes[0], 1);
	assert_int_equal(sizes[1], 20);
	dba("UPDATE %s.audit_checkpoints SET signature = '\\x01' WHERE size = 20%s", "");
	assert_int_equal(pv_pg_audit_checkpoint_last(s, 100, &got), -1);
	assert_non_null(strstr(pv_pg_errmsg(s), "malformed"));
	sizes[0] = 0;
	assert_int_equal(pv_pg_audit_checkpoint_scan(s, 0, count_checkpoint, sizes), -1);
	assert_int_equal(sizes[0], 1); /* the good one, then the malformed one stopped it */
	pv_pg_close(s);
}

/* A second, read-only connection reads what is committed, and writes nothing. */
static void test_audit_reader(void **state)
{
	(void)state;
	struct pv_store *s = open_store(g_conninfo, 1);
	append(s, 1);
	struct pv_store *r = pv_pg_audit_reader(s);
	assert_non_null(r);
	assert_int_equal(pv_pg_begin(s), 0);
	append(s, 2);
	struct entries w = { .stop_at = -1 };
	assert_int_equal(pv_pg_audit_scan(r, 1, entry_seen, &w), 0);
	assert_int_equal(w.n, 1); /* 2 is not committed yet */
	assert_int_equal(pv_pg_commit(s), 0);
	w = (struct entries){ .stop_at = -1 };
	assert_int_equal(pv_pg_audit_scan(r, 1, entry_seen, &w), 0);
	assert_int_equal(w.n, 2);
	uint8_t h[PV_AUDIT_HASH] = { 0 };
	struct pv_audit_row e = { .seq = 3, .hash = h };
	assert_int_equal(pv_pg_audit_append(r, &e), -1);
	assert_non_null(strstr(pv_pg_errmsg(r), "read-only"));
	pv_pg_close(r);
	pv_pg_close(s);
}

int main(void)
{
	g_conninfo = getenv("PIVAULT_TEST_PG");
	if (!g_conninfo || !*g_conninfo) {
		const char *must = getenv("PV_REQUIRE_POSTGRESQL");
		if (must && strcmp(must, "1") == 0) {
			fprintf(stderr, "FAILED: no PostgreSQL cluster (PIVAULT_TEST_PG), and "
				"PV_REQUIRE_POSTGRESQL=1 says the tests must run\n");
			return 1;
		}
		fprintf(stderr, "skipped: no PostgreSQL cluster (scripts/test.sh starts one where "
			"PostgreSQL is installed)\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_schema_made_and_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_names_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_password, setup, teardown),
		cmocka_unit_test_setup_teardown(test_non_utf8_database_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transactions_and_savepoints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_transaction_not_committed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_writers_take_turns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reader_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_field_numbers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_customers_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_customers_scanned_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_customers_rewritten, setup, teardown),
		cmocka_unit_test_setup_teardown(test_customers_pending_and_malformed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_audit_log_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_checkpoints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_reader, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
