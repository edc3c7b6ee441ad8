/* SPDX-License-Identifier: Apache-2.0 */
/* test_pg_store.c: the PostgreSQL store (issue 15): a vault's own
 * schema made and found again, metadata kept byte for byte, transactions and savepoints
 * that keep or undo, writers that take turns on the vault's lock across connections (a
 * second one waits as pv_set_wait allows, told once past PV_WAIT_NOTE_MS, and is refused
 * as busy when its wait runs out; the caller's own wait steps), readers on one
 * snapshot, field numbers that two connections agree on, customers kept byte for byte and
 * scanned in the SQLite store's order (an unfinished import's hidden), consent (state and
 * history), restriction and objection, users, integrity codes, sessions and API tokens,
 * approval requests, legal holds, escrow copies, notices, data-subject requests,
 * complaints, breach incidents with their scope and seals, transfers (plans, members,
 * separate consents, packages received), passes by bucket, reviews, the shred ledger's
 * outbox, tokens for other systems, the blind index
 * (single and bulk entries, a rollback forgetting unsent ones), the audit log in order
 * across pages with its checkpoints and a read-only second reader, many customers removed
 * at once with everything naming them (a shred's re-wrap of those who stay in its buckets,
 * across pages, all or nothing), imports committed in chunks yet hidden until done or
 * discarded exactly (the lock free between chunks, for a waiting process too), the table
 * of functions whole and carried by every store, a lost connection made again between
 * transactions (a commit it cut off failed as unknown, an import stopped), and refusals (a schema
 * that holds a vault made again, one that holds none opened, names that could be SQL, a
 * database not in UTF-8, a wrong password) that never echo a secret. Runs against the
 * cluster scripts/test.sh starts (PIVAULT_TEST_PG: its connection string; the password
 * from PGPASSFILE); without one it reports itself skipped, and fails where
 * PV_REQUIRE_POSTGRESQL=1 (CI) says it must run. */
#include "testutil.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/postgresql/pg_store.h"
#include "store/store_ops.h"

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
	pv_set_wait(PV_WAIT_DEFAULT, NULL, NULL); /* a test that set it may have failed */
	PGconn *c = PQconnectdb(g_conninfo);
	char sql[160];
	/* a failed test leaves its stores open, maybe inside a transaction: do not wait for
	 * their locks for ever (the schema is then left for the cluster's removal) */
	snprintf(sql, sizeof sql, "SET client_min_messages = warning; SET lock_timeout = '3s'; "
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

/* The notes of a wait for the vault's lock (pv_set_wait's function). */
struct wait_notes {
	int calls;
	char what[64];
	double max_seconds;
};

static void note_wait(void *ctx, const char *what, const char *why, double max_seconds)
{
	struct wait_notes *n = ctx;
	(void)why;
	n->calls++;
	snprintf(n->what, sizeof n->what, "%s", what);
	n->max_seconds = max_seconds;
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

/* Writers take turns: while one holds the vault's lock, another's begin waits as
 * pv_set_wait allows, and is refused as busy when its wait runs out (the note function
 * told only of a wait longer than PV_WAIT_NOTE_MS); after the first commits, it begins. */
static void test_writers_take_turns(void **state)
{
	(void)state;
	struct pv_store *a = open_store(g_conninfo, 1), *b = open_store(g_conninfo, 0);
	struct wait_notes notes = { 0 };
	pv_set_wait(0.3, note_wait, &notes);
	assert_int_equal(pv_pg_begin(a), 0);
	double t0 = pv_store_monotonic();
	assert_int_equal(pv_pg_begin(b), -1);
	double waited = pv_store_monotonic() - t0;
	assert_true(waited >= 0.3 && waited < 2.0);
	assert_true(pv_pg_busy(b));
	assert_non_null(strstr(pv_pg_errmsg(b), "write lock"));
	assert_non_null(strstr(pv_pg_errmsg(b), "0.3 s"));
	assert_int_equal(pv_pg_txn_id(b), 0);
	assert_int_equal(notes.calls, 0); /* too short a wait to be told of */

	pv_set_wait(0.8, note_wait, &notes);
	t0 = pv_store_monotonic();
	assert_int_equal(pv_pg_begin(b), -1);
	waited = pv_store_monotonic() - t0;
	assert_true(waited >= 0.8 && waited < 2.5);
	assert_true(pv_pg_busy(b));
	assert_int_equal(notes.calls, 1); /* once per wait */
	assert_string_equal(notes.what, "the vault");
	assert_true(notes.max_seconds > 0.79 && notes.max_seconds < 0.81);

	pv_set_wait(0, NULL, NULL); /* no wait at all: refused at once */
	t0 = pv_store_monotonic();
	assert_int_equal(pv_pg_begin(b), -1);
	assert_true(pv_store_monotonic() - t0 < 0.5);
	assert_true(pv_pg_busy(b));

	pv_set_wait(5, NULL, NULL);
	assert_int_equal(pv_pg_meta_put(a, "k", "a", 1), 0);
	assert_int_equal(pv_pg_commit(a), 0);
	assert_int_equal(pv_pg_begin(b), 0);
	assert_false(pv_pg_busy(b));
	expect_meta(b, "k", "a", 1); /* the writer before it is seen */
	assert_int_equal(pv_pg_meta_put(b, "k", "b", 1), 0);
	assert_int_equal(pv_pg_commit(b), 0);
	expect_meta(a, "k", "b", 1);
	pv_set_wait(PV_WAIT_DEFAULT, NULL, NULL);
	pv_pg_close(a);
	pv_pg_close(b);
}

/* The caller's own waits (pv_store_wait_step): a short sleep per try until the limit,
 * then 0; the note function told once, past PV_WAIT_NOTE_MS; note_busy says how long. */
static void test_wait_steps(void **state)
{
	(void)state;
	struct pv_store *s = open_store(g_conninfo, 1);
	struct wait_notes notes = { 0 };
	pv_set_wait(0.7, note_wait, &notes);
	double t0 = pv_store_monotonic();
	int tries = 0;
	for (int first = 1; pv_pg_wait_step(s, first, "the import under way", "a test"); first = 0)
		tries++;
	double waited = pv_store_monotonic() - t0;
	assert_true(waited >= 0.7 && waited < 2.0);
	assert_true(tries > 10); /* short sleeps, not one long one */
	assert_int_equal(notes.calls, 1);
	assert_string_equal(notes.what, "the import under way");
	assert_false(pv_pg_busy(s));
	assert_int_equal(pv_pg_note_busy(s), -1);
	assert_true(pv_pg_busy(s));
	assert_non_null(strstr(pv_pg_errmsg(s), "the vault is busy"));
	assert_non_null(strstr(pv_pg_errmsg(s), "0.7 s"));
	expect_no_meta(s, "x"); /* a call that works clears the flag */
	assert_false(pv_pg_busy(s));
	pv_set_wait(PV_WAIT_DEFAULT, NULL, NULL);
	pv_pg_close(s);
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

/* A snapshot for a batch of reads: one view of the data, no write transaction inside it,
 * none twice; after it, writes again. */
static void test_snapshot_for_reads(void **state)
{
	(void)state;
	struct pv_store *a = open_store(g_conninfo, 1), *b = open_store(g_conninfo, 0);
	assert_int_equal(pv_pg_meta_put(b, "k", "old", 3), 0);
	assert_int_equal(pv_pg_snapshot_begin(a), 0);
	assert_int_equal(pv_pg_snapshot_begin(a), -1);
	assert_true(pv_pg_txn_id(a) > 0);
	expect_meta(a, "k", "old", 3); /* the snapshot is taken at the first read, as SQLite's */
	assert_int_equal(pv_pg_meta_put(b, "k", "new", 3), 0);
	expect_meta(a, "k", "old", 3);
	assert_int_equal(pv_pg_begin(a), -1);
	assert_non_null(strstr(pv_pg_errmsg(a), "batch of reads"));
	pv_pg_release_rows(a);
	pv_pg_snapshot_end(a);
	assert_int_equal(pv_pg_txn_id(a), 0);
	assert_int_equal(pv_pg_begin(a), 0);
	expect_meta(a, "k", "new", 3);
	assert_int_equal(pv_pg_commit(a), 0);
	assert_int_equal(pv_pg_checkpoint(a), 0);
	assert_int_equal(pv_pg_note_failure(a, "found above the store"), -1);
	assert_string_equal(pv_pg_errmsg(a), "found above the store");
	pv_pg_close(a);
	pv_pg_close_untouched(b);
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

/* ---- Consent, restriction and objection ---- */

struct purposes {
	char text[128];
	int stop_negative;
};

static int add_purpose(void *ctx, const char *purpose, int granted)
{
	struct purposes *p = ctx;
	size_t n = strlen(p->text);
	snprintf(p->text + n, sizeof p->text - n, "%s=%d;", purpose, granted);
	return p->stop_negative ? -1 : 0;
}

static int add_event(void *ctx, const struct pv_consent_event_row *e)
{
	struct purposes *p = ctx;
	size_t n = strlen(p->text);
	snprintf(p->text + n, sizeof p->text - n, "%s/%s=%d@%s by %s (%s, %s);", e->customer,
		 e->purpose, e->granted, e->at, e->recorded_by, e->channel, e->text_version);
	return 0;
}

static int add_withdrawal(void *ctx, const char *customer, const char *purpose)
{
	struct purposes *p = ctx;
	size_t n = strlen(p->text);
	snprintf(p->text + n, sizeof p->text - n, "%s/%s;", customer, purpose);
	return 0;
}

static int add_withdrawal_like(void *ctx, const char *a, const char *b, const char *c)
{
	struct purposes *p = ctx;
	size_t n = strlen(p->text);
	snprintf(p->text + n, sizeof p->text - n, "%s/%s/%s;", a, b, c);
	return 0;
}

static int add_flagged(void *ctx, const char *customer, int restricted, int objected)
{
	struct purposes *p = ctx;
	size_t n = strlen(p->text);
	snprintf(p->text + n, sizeof p->text - n, "%s:%d%d;", customer, restricted, objected);
	return 0;
}

/* A purpose's state replaced, read in name order; the history kept in order; each
 * withdrawal named once; restriction and objection set, lifted and scanned. */
static void test_consents_and_flags(void **state)
{
	(void)state;
	struct pv_store *s = open_store(g_conninfo, 1);
	assert_int_equal(pv_pg_consent_put(s, 5, "marketing", 1, "2026-01-01", "web"), 0);
	assert_int_equal(pv_pg_consent_put(s, 5, "analytics", 1, "2026-01-01", "web"), 0);
	assert_int_equal(pv_pg_consent_put(s, 5, "marketing", 0, "2026-02-01", "phone"), 0);
	assert_int_equal(pv_pg_consent_state(s, 5, "marketing"), 0);
	assert_int_equal(pv_pg_consent_state(s, 5, "analytics"), 1);
	assert_int_equal(pv_pg_consent_state(s, 6, "analytics"), 0); /* never given */
	struct purposes p = { "", 0 };
	assert_int_equal(pv_pg_consent_scan(s, 5, add_purpose, &p), 0);
	assert_string_equal(p.text, "analytics=1;marketing=0;");
	p = (struct purposes){ "", 1 };
	assert_int_equal(pv_pg_consent_scan(s, 5, add_purpose, &p), -1);

	struct pv_consent_event_row e = { "C002", "marketing", 1, "2026-01-01", "web", "v1", "clerk" };
	assert_int_equal(pv_pg_consent_log(s, &e), 0);
	e.granted = 0;
	e.at = "2026-02-01";
	assert_int_equal(pv_pg_consent_log(s, &e), 0);
	assert_int_equal(pv_pg_consent_log(s, &e), 0); /* withdrawn twice: named once below */
	e.customer = "C001";
	assert_int_equal(pv_pg_consent_log(s, &e), 0);
	p = (struct purposes){ "", 0 };
	assert_int_equal(pv_pg_consent_log_scan(s, "C002", add_event, &p), 0);
	assert_non_null(strstr(p.text, "C002/marketing=1@2026-01-01 by clerk (web, v1);"
				       "C002/marketing=0@2026-02-01"));
	p = (struct purposes){ "", 0 };
	assert_int_equal(pv_pg_consent_withdrawals(s, add_withdrawal, &p), 0);
	assert_string_equal(p.text, "C001/marketing;C002/marketing;");

	int restricted = -1, objected = -1;
	assert_int_equal(pv_pg_customer_flags(s, "C001", &restricted, &objected), 0);
	assert_true(restricted == 0 && objected == 0);
	assert_int_equal(pv_pg_customer_flags_any(s), 0);
	assert_int_equal(pv_pg_customer_flag_set(s, "C002", 0, "2026-03-01"), 0);
	assert_int_equal(pv_pg_customer_flag_set(s, "C001", 1, "2026-03-02"), 0);
	assert_int_equal(pv_pg_customer_flag_set(s, "C001", 0, "2026-03-03"), 0);
	assert_int_equal(pv_pg_customer_flags_any(s), 1);
	assert_int_equal(pv_pg_customer_flags(s, "C001", &restricted, &objected), 0);
	assert_true(restricted == 1 && objected == 1);
	p = (struct purposes){ "", 0 };
	assert_int_equal(pv_pg_customer_flag_scan(s, add_flagged, &p), 0);
	assert_string_equal(p.text, "C001:11;C002:10;");
	assert_int_equal(pv_pg_customer_flag_set(s, "C001", 1, ""), 0); /* lifted */
	assert_int_equal(pv_pg_customer_flag_set(s, "C001", 0, ""), 0);
	assert_int_equal(pv_pg_customer_flag_set(s, "C002", 0, ""), 0);
	assert_int_equal(pv_pg_customer_flags_any(s), 0);
	p = (struct purposes){ "", 0 };
	assert_int_equal(pv_pg_customer_flag_scan(s, add_flagged, &p), 0);
	assert_string_equal(p.text, "");
	pv_pg_close(s);
}

/* ---- Users, integrity codes, sessions, API tokens ---- */

static int count_user(void *ctx, const struct pv_stored_user *u)
{
	struct purposes *p = ctx;
	size_t n = strlen(p->text);
	snprintf(p->text + n, sizeof p->text - n, "%s:%s;", u->name, u->roles);
	return 0;
}

/* A user kept whole (keys byte for byte, obligations, no access or enrolment as NULL),
 * replaced by put; failures and lock-out; access and enrolment set and cleared; scan in
 * name order. */
static void test_users(void **state)
{
	(void)state;
	struct pv_store *s = open_store(g_conninfo, 1);
	const uint8_t slot[] = { 0, 1, 2, 0 }, access[] = { 9, 0, 9 };
	struct pv_stored_user u = { .name = "zoe", .roles = "dpo,auditor", .slot = slot,
				    .slot_len = sizeof slot, .created = "2026-12-07" };
	assert_int_equal(pv_pg_user_put(s, &u), 0);
	u.name = "adm";
	u.roles = "admin";
	u.access = access;
	u.access_len = sizeof access;
	u.training = "2026-01-01";
	assert_int_equal(pv_pg_user_put(s, &u), 0);
	struct pv_stored_user got;
	assert_int_equal(pv_pg_user_get(s, "zoe", &got), 0);
	assert_string_equal(got.roles, "dpo,auditor");
	assert_int_equal(got.slot_len, sizeof slot);
	assert_memory_equal(got.slot, slot, sizeof slot);
	assert_null(got.access);
	assert_null(got.enrol);
	assert_string_equal(got.agreement, "");
	/* a row read stays borrowed through other reads and writes (the library checks its
	 * integrity code before copying it), until the same read runs again */
	uint8_t *other = NULL;
	(void)pv_pg_meta_get(s, "nothing", &other, NULL);
	for (int i = 0; i < 40; i++)
		assert_int_equal(pv_pg_meta_put(s, "filler", "0123456789abcdef", 16), 0);
	free(other);
	assert_string_equal(got.roles, "dpo,auditor");
	assert_memory_equal(got.slot, slot, sizeof slot);
	assert_int_equal(pv_pg_user_set_failures(s, "zoe", 3, 1790000000), 0);
	assert_int_equal(pv_pg_user_set_enrol(s, "zoe", access, sizeof access), 0);
	assert_int_equal(pv_pg_user_get(s, "zoe", &got), 0);
	assert_int_equal(got.failures, 3);
	assert_int_equal(got.locked_until, 1790000000);
	assert_memory_equal(got.enrol, access, sizeof access);
	assert_int_equal(pv_pg_user_set_access(s, "adm", NULL, 0), 0);
	assert_int_equal(pv_pg_user_get(s, "adm", &got), 0);
	assert_null(got.access);
	assert_string_equal(got.training, "2026-01-01");
	u.roles = "clerk"; /* put replaces the whole row */
	assert_int_equal(pv_pg_user_put(s, &u), 0);
	assert_int_equal(pv_pg_user_get(s, "adm", &got), 0);
	assert_string_equal(got.roles, "clerk");
	assert_int_equal(pv_pg_user_get(s, "nobody", &got), 1);
	struct purposes p = { "", 0 };
	assert_int_equal(pv_pg_user_scan(s, count_user, &p), 0);
	assert_string_equal(p.text, "adm:clerk;zoe:dpo,auditor;");
	pv_pg_close(s);
}

static int add_mac(void *ctx, const char *k, const uint8_t *mac, size_t len)
{
	struct purposes *p = ctx;
	size_t n = strlen(p->text);
	snprintf(p->text + n, sizeof p->text - n, "%s=%zu:%d;", k, len, mac[0]);
	return 0;
}

static void test_integrity_codes(void **state)
{
	(void)state;
	struct pv_store *s = open_store(g_conninfo, 1);
	uint8_t mac[32] = { 7 }, got[32];
	size_t len = 0;
	assert_int_equal(pv_pg_authz_put(s, "users", "zoe", mac, sizeof mac), 0);
	mac[0] = 8;
	assert_int_equal(pv_pg_authz_put(s, "users", "zoe", mac, sizeof mac), 0); /* replaced */
	assert_int_equal(pv_pg_authz_put(s, "users", "adm", mac, 16), 0);
	assert_int_equal(pv_pg_authz_put(s, "holds", "1", mac, 16), 0);
	assert_int_equal(pv_pg_authz_get(s, "users", "zoe", got, sizeof got, &len), 0);
	assert_int_equal(len, 32);
	assert_int_equal(got[0], 8);
	assert_int_equal(pv_pg_authz_get(s, "holds", "zoe", got, sizeof got, &len), 1);
	struct purposes p = { "", 0 };
	assert_int_equal(pv_pg_authz_scan(s, "users", add_mac, &p), 0);
	assert_string_equal(p.text, "adm=16:8;zoe=32:8;");
	assert_int_equal(pv_pg_authz_delete(s, "users", "zoe"), 0);
	assert_int_equal(pv_pg_authz_get(s, "users", "zoe", got, sizeof got, &len), 1);
	pv_pg_close(s);
}

static int add_token(void *ctx, const struct pv_stored_api_token *x)
{
	struct purposes *p = ctx;
	size_t n = strlen(p->text);
	snprintf(p->text + n, sizeof p->text - n, "%s/%s;", x->id, x->user);
	return 0;
}

/* Sessions: kept, replaced, deleted one by one, purged when expired, ended for a user
 * but one; API tokens by hash and by public id, replaced, scanned by creation time. */
static void test_sessions_and_api_tokens(void **state)
{
	(void)state;
	struct pv_store *s = open_store(g_conninfo, 1);
	const uint8_t tag[] = { 1, 2, 3 };
	struct pv_stored_session x = { "s1", "zoe", 100, 200, 0, tag, sizeof tag };
	assert_int_equal(pv_pg_session_put(s, &x), 0);
	x.clear_shown = 5;
	assert_int_equal(pv_pg_session_put(s, &x), 0);
	x = (struct pv_stored_session){ "s2", "zoe", 100, 300, 0, tag, sizeof tag };
	assert_int_equal(pv_pg_session_put(s, &x), 0);
	x = (struct pv_stored_session){ "s3", "zoe", 100, 400, 0, tag, sizeof tag };
	assert_int_equal(pv_pg_session_put(s, &x), 0);
	struct pv_stored_session got;
	assert_int_equal(pv_pg_session_get(s, "s1", &got), 0);
	assert_string_equal(got.user, "zoe");
	assert_int_equal(got.expires, 200);
	assert_int_equal(got.clear_shown, 5);
	assert_memory_equal(got.tag, tag, sizeof tag);
	assert_int_equal(pv_pg_session_purge(s, 200), 0);
	assert_int_equal(pv_pg_session_get(s, "s1", &got), 1);
	assert_int_equal(pv_pg_session_end_user(s, "zoe", "s3"), 1);
	assert_int_equal(pv_pg_session_get(s, "s2", &got), 1);
	assert_int_equal(pv_pg_session_get(s, "s3", &got), 0);
	assert_int_equal(pv_pg_session_delete(s, "s3"), 0);
	assert_int_equal(pv_pg_session_delete(s, "s3"), 0); /* none there: not an error */
	assert_int_equal(pv_pg_session_get(s, "s3", &got), 1);

	struct pv_stored_api_token t = { "h2", "id2", "zoe", "clerk", "service", "adm", 20, 90, 0,
					 0, tag, sizeof tag };
	assert_int_equal(pv_pg_api_token_put(s, &t), 0);
	t = (struct pv_stored_api_token){ "h1", "id1", "adm", "clerk", "service", "adm", 10, 90,
					  0, 0, tag, sizeof tag };
	assert_int_equal(pv_pg_api_token_put(s, &t), 0);
	t.revoked = 50;
	assert_int_equal(pv_pg_api_token_put(s, &t), 0);
	struct pv_stored_api_token gt;
	assert_int_equal(pv_pg_api_token_get_by_id(s, "id1", &gt), 0);
	assert_string_equal(gt.hash, "h1");
	assert_int_equal(gt.revoked, 50);
	assert_int_equal(pv_pg_api_token_get(s, "h2", &gt), 0);
	assert_string_equal(gt.purposes, "service");
	assert_int_equal(pv_pg_api_token_get(s, "h3", &gt), 1);
	struct purposes p = { "", 0 };
	assert_int_equal(pv_pg_api_token_scan(s, NULL, add_token, &p), 0);
	assert_string_equal(p.text, "id1/adm;id2/zoe;");
	p = (struct purposes){ "", 0 };
	assert_int_equal(pv_pg_api_token_scan(s, "zoe", add_token, &p), 0);
	assert_string_equal(p.text, "id2/zoe;");
	pv_pg_close(s);
}

/* ---- Requests, holds, escrow copies, notices, data-subject requests ---- */

static int add_request(void *ctx, const struct pv_stored_request *r)
{
	struct purposes *p = ctx;
	size_t n = strlen(p->text);
	snprintf(p->text + n, sizeof p->text - n, "%s:%s:%lld;", r->id, r->state,
		 (long long)r->expires);
	return 0;
}

static void test_requests(void **state)
{
	(void)state;
	struct pv_store *s = open_store(g_conninfo, 1);
	struct pv_stored_request r = { "r2", "clerk", "export", "{}", "ab12", "pivault export",
				       "audit", "2026-12-07T10:00:00Z", 1790000000, "pending", NULL,
				       NULL, NULL, NULL };
	assert_int_equal(pv_pg_request_put(s, &r), 0);
	r.id = "r1";
	r.created = "2026-12-07T09:00:00Z";
	assert_int_equal(pv_pg_request_put(s, &r), 0);
	r.state = "approved"; /* the whole row replaced */
	r.approver = "dpo";
	assert_int_equal(pv_pg_request_put(s, &r), 0);
	struct pv_stored_request got;
	assert_int_equal(pv_pg_request_get(s, "r1", &got), 0);
	assert_string_equal(got.state, "approved");
	assert_string_equal(got.approver, "dpo");
	assert_string_equal(got.used, ""); /* NULL written as "" */
	assert_string_equal(got.params_hash, "ab12");
	assert_int_equal(got.expires, 1790000000);
	assert_int_equal(pv_pg_request_get(s, "r9", &got), 1);
	struct purposes p = { "", 0 };
	assert_int_equal(pv_pg_request_scan(s, add_request, &p), 0);
	assert_string_equal(p.text, "r1:approved:1790000000;r2:pending:1790000000;");
	pv_pg_close(s);
}

static int add_hold(void *ctx, const char *customer, const char *reason, const char *by,
		    const char *since, const char *released, const char *released_by)
{
	struct purposes *p = ctx;
	size_t n = strlen(p->text);
	snprintf(p->text + n, sizeof p->text - n, "%s/%s/%s/%s/%s/%s;", customer, reason, by,
		 since, released, released_by);
	return 0;
}

static int add_numbered_hold(void *ctx, const struct pv_stored_hold *h)
{
	struct purposes *p = ctx;
	size_t n = strlen(p->text);
	snprintf(p->text + n, sizeof p->text - n, "%lld:%s;", (long long)h->hold, h->customer);
	return 0;
}

static void test_holds_and_escrow(void **state)
{
	(void)state;
	struct pv_store *s = open_store(g_conninfo, 1);
	assert_int_equal(pv_pg_hold_add(s, "C001", "lawsuit", "dpo", "2026-01-01"), 0);
	assert_int_equal(pv_pg_hold_add(s, "C001", "audit", "dpo", "2026-02-01"), 0);
	assert_int_equal(pv_pg_hold_add(s, "C002", "tax", "dpo", "2026-03-01"), 0);
	char reason[32], since[32];
	assert_int_equal(pv_pg_hold_active(s, "C001", reason, sizeof reason, since, sizeof since), 1);
	assert_string_equal(reason, "lawsuit"); /* the oldest */
	assert_string_equal(since, "2026-01-01");
	int released = -1;
	assert_int_equal(pv_pg_hold_release(s, "C001", "2026-04-01", "adm", &released), 0);
	assert_int_equal(released, 2);
	assert_int_equal(pv_pg_hold_active(s, "C001", reason, sizeof reason, since, sizeof since), 0);
	assert_int_equal(pv_pg_hold_release(s, "C001", "2026-04-02", "adm", &released), 0);
	assert_int_equal(released, 0);
	struct purposes p = { "", 0 };
	assert_int_equal(pv_pg_hold_scan(s, add_hold, &p), 0);
	assert_string_equal(p.text, "C001/lawsuit/dpo/2026-01-01/2026-04-01/adm;"
				    "C001/audit/dpo/2026-02-01/2026-04-01/adm;"
				    "C002/tax/dpo/2026-03-01//;");
	p = (struct purposes){ "", 0 };
	assert_int_equal(pv_pg_hold_rows(s, add_numbered_hold, &p), 0);
	assert_string_equal(p.text, "1:C001;2:C001;3:C002;");

	assert_int_equal(pv_pg_escrow_add(s, "2026-01-02", "age1b", "d2", "adm"), 0);
	assert_int_equal(pv_pg_escrow_add(s, "2026-01-01", "age1a", "d1", "adm"), 0);
	p = (struct purposes){ "", 0 };
	assert_int_equal(pv_pg_escrow_scan(s, add_withdrawal_like, &p), 0);
	assert_string_equal(p.text, "2026-01-02/age1b/d2;2026-01-01/age1a/d1;"); /* as made */
	pv_pg_close(s);
}

static int add_notice(void *ctx, int64_t notice, const struct pv_store_notice *n)
{
	struct purposes *p = ctx;
	size_t len = strlen(p->text);
	snprintf(p->text + len, sizeof p->text - len, "%lld:%s:%s:%s@%s;", (long long)notice,
		 n->customer, n->kind, n->state, n->state_at);
	return 0;
}

static int add_dsr(void *ctx, const struct pv_stored_dsr *d)
{
	struct purposes *p = ctx;
	size_t n = strlen(p->text);
	snprintf(p->text + n, sizeof p->text - n, "%s:%s:%s;", d->id, d->due, d->outcome);
	return 0;
}

static void test_notices_and_dsr(void **state)
{
	(void)state;
	struct pv_store *s = open_store(g_conninfo, 1);
	struct pv_store_notice n = { "C002", "transfer", "v1", "sms", "2026-05-01", "dpo", "sent",
				     NULL };
	int64_t first = 0, second = 0;
	assert_int_equal(pv_pg_notice_add(s, &n, &first), 0);
	n.customer = "C001";
	n.kind = "breach";
	assert_int_equal(pv_pg_notice_add(s, &n, &second), 0);
	assert_true(second > first);
	char customer[16], kind[16];
	assert_int_equal(pv_pg_notice_set_state(s, first, "delivered", "2026-05-02", customer,
						sizeof customer), 0);
	assert_string_equal(customer, "C002");
	assert_int_equal(pv_pg_notice_set_state(s, second + 9, "delivered", "x", customer,
						sizeof customer), 1);
	assert_int_equal(pv_pg_notice_kind(s, second, kind, sizeof kind, customer, sizeof customer),
			 0);
	assert_string_equal(kind, "breach");
	assert_string_equal(customer, "C001");
	assert_int_equal(pv_pg_notice_kind(s, second + 9, kind, sizeof kind, customer,
					   sizeof customer), 1);
	struct purposes p = { "", 0 };
	assert_int_equal(pv_pg_notice_scan(s, NULL, add_notice, &p), 0);
	char want[128];
	snprintf(want, sizeof want, "%lld:C002:transfer:delivered@2026-05-02;"
		 "%lld:C001:breach:sent@2026-05-01;", (long long)first, (long long)second);
	assert_string_equal(p.text, want);
	p = (struct purposes){ "", 0 };
	assert_int_equal(pv_pg_notice_scan(s, "C001", add_notice, &p), 0);
	assert_non_null(strstr(p.text, ":C001:breach"));
	assert_null(strstr(p.text, "C002"));

	struct pv_stored_dsr d = { "d2", "C001", "access", "CN", "2026-06-01", "2026-06-16", "clerk",
				   NULL, NULL };
	assert_int_equal(pv_pg_dsr_put(s, &d), 0);
	d.id = "d1";
	d.due = "2026-06-20";
	assert_int_equal(pv_pg_dsr_put(s, &d), 0);
	d.closed = "2026-06-10";
	d.outcome = "answered";
	assert_int_equal(pv_pg_dsr_put(s, &d), 0);
	struct pv_stored_dsr got;
	assert_int_equal(pv_pg_dsr_get(s, "d1", &got), 0);
	assert_string_equal(got.outcome, "answered");
	assert_string_equal(got.jurisdiction, "CN");
	assert_int_equal(pv_pg_dsr_get(s, "d9", &got), 1);
	p = (struct purposes){ "", 0 };
	assert_int_equal(pv_pg_dsr_scan(s, add_dsr, &p), 0);
	assert_string_equal(p.text, "d2:2026-06-16:;d1:2026-06-20:answered;"); /* by due date */
	pv_pg_close(s);
}

/* ---- Complaints, breach incidents and their scope and seals ---- */

static int add_complaint(void *ctx, const struct pv_stored_complaint *c)
{
	struct purposes *p = ctx;
	size_t n = strlen(p->text);
	snprintf(p->text + n, sizeof p->text - n, "%s:%s;", c->id, c->resolved);
	return 0;
}

static int add_note(void *ctx, const char *note_id, const char *at, const char *by,
		    const char *kind, const uint8_t *sealed, size_t len)
{
	struct purposes *p = ctx;
	size_t n = strlen(p->text);
	snprintf(p->text + n, sizeof p->text - n, "%s/%s/%s/%s/%zu:%d;", note_id, at, by, kind,
		 len, sealed[1]);
	return 0;
}

static int add_incident(void *ctx, const struct pv_stored_incident *c)
{
	struct purposes *p = ctx;
	size_t n = strlen(p->text);
	snprintf(p->text + n, sizeof p->text - n, "%s:%s;", c->id, c->state);
	return 0;
}

static int add_scope(void *ctx, const char *customer, const char *categories)
{
	return add_withdrawal(ctx, customer, categories);
}

static int add_sealed(void *ctx, const char *customer)
{
	return add_withdrawal(ctx, customer, "");
}

static void test_complaints_and_incidents(void **state)
{
	(void)state;
	struct pv_store *s = open_store(g_conninfo, 1);
	struct pv_stored_complaint c = { "k2", "C001", "", "2026-01-01", "2026-01-20", NULL };
	assert_int_equal(pv_pg_complaint_put(s, &c), 0);
	c.id = "k1";
	c.due = "2026-01-30";
	assert_int_equal(pv_pg_complaint_put(s, &c), 0);
	c.resolved = "2026-01-10";
	assert_int_equal(pv_pg_complaint_put(s, &c), 0);
	struct pv_stored_complaint got;
	assert_int_equal(pv_pg_complaint_get(s, "k1", &got), 0);
	assert_string_equal(got.resolved, "2026-01-10");
	assert_string_equal(got.dsr, "");
	assert_int_equal(pv_pg_complaint_get(s, "k3", &got), 1);
	struct purposes p = { "", 0 };
	assert_int_equal(pv_pg_complaint_scan(s, add_complaint, &p), 0);
	assert_string_equal(p.text, "k2:;k1:2026-01-10;");
	const uint8_t sealed[] = { 0, 0xee, 0 };
	assert_int_equal(pv_pg_complaint_note_add(s, "k1", "n2", "t2", "dpo", "reply", sealed,
						  sizeof sealed), 0);
	assert_int_equal(pv_pg_complaint_note_add(s, "k1", "n1", "t3", "dpo", "note", sealed, 2), 0);
	assert_int_equal(pv_pg_complaint_note_add(s, "k2", "n3", "t1", "dpo", "note", sealed, 1), 0);
	p = (struct purposes){ "", 0 };
	assert_int_equal(pv_pg_complaint_note_scan(s, "k1", add_note, &p), 0);
	assert_string_equal(p.text, "n2/t2/dpo/reply/3:238;n1/t3/dpo/note/2:238;"); /* as added */

	struct pv_stored_incident i = { "i2", "leak", "open", "2026-02-01", "laptop lost", "dpo",
					"2026-02-02", NULL, NULL, NULL, NULL };
	assert_int_equal(pv_pg_incident_put(s, &i), 0);
	i.id = "i1";
	i.opened_at = "2026-02-03";
	assert_int_equal(pv_pg_incident_put(s, &i), 0);
	i.state = "contained";
	i.contained_at = "2026-02-04";
	assert_int_equal(pv_pg_incident_put(s, &i), 0);
	struct pv_stored_incident gi;
	assert_int_equal(pv_pg_incident_get(s, "i1", &gi), 0);
	assert_string_equal(gi.contained_at, "2026-02-04");
	assert_string_equal(gi.closed_at, "");
	assert_int_equal(pv_pg_incident_get(s, "i3", &gi), 1);
	p = (struct purposes){ "", 0 };
	assert_int_equal(pv_pg_incident_scan(s, add_incident, &p), 0);
	assert_string_equal(p.text, "i2:open;i1:contained;"); /* by opening time */

	assert_int_equal(pv_pg_incident_scope_add(s, "i1", "C002", "basic"), 0);
	assert_int_equal(pv_pg_incident_scope_add(s, "i1", "C001", "basic"), 0);
	assert_int_equal(pv_pg_incident_scope_add(s, "i1", "C001", "basic,financial"), 0);
	assert_int_equal(pv_pg_incident_scope_add(s, "i2", "C009", "other"), 0);
	p = (struct purposes){ "", 0 };
	assert_int_equal(pv_pg_incident_scope_scan(s, "i1", add_scope, &p), 0);
	assert_string_equal(p.text, "C001/basic,financial;C002/basic;");
	assert_int_equal(pv_pg_incident_scope_clear(s, "i1"), 0);
	p = (struct purposes){ "", 0 };
	assert_int_equal(pv_pg_incident_scope_scan(s, "i1", add_scope, &p), 0);
	assert_string_equal(p.text, "");
	assert_int_equal(pv_pg_incident_scope_scan(s, "i2", add_scope, &p), 0);
	assert_string_equal(p.text, "C009/other;");

	assert_int_equal(pv_pg_seal_add(s, "i1", "C002"), 0);
	assert_int_equal(pv_pg_seal_add(s, "i1", "C001"), 0);
	assert_int_equal(pv_pg_seal_add(s, "i1", "C001"), 0); /* kept once */
	p = (struct purposes){ "", 0 };
	assert_int_equal(pv_pg_seal_scan(s, "i1", add_sealed, &p), 0);
	assert_string_equal(p.text, "C001/;C002/;");
	assert_int_equal(pv_pg_seal_clear(s, "i1"), 0);
	p = (struct purposes){ "", 0 };
	assert_int_equal(pv_pg_seal_scan(s, "i1", add_sealed, &p), 0);
	assert_string_equal(p.text, "");
	assert_int_equal(pv_pg_data_version(s), 0); /* callers check every time */
	pv_pg_close(s);
}

/* ---- Transfers ---- */

static int add_transfer(void *ctx, const struct pv_stored_transfer *t)
{
	struct purposes *p = ctx;
	size_t n = strlen(p->text);
	snprintf(p->text + n, sizeof p->text - n, "%s:%s:%s;", t->id, t->state, t->receipt);
	return 0;
}

static void test_transfers(void **state)
{
	(void)state;
	struct pv_store *s = open_store(g_conninfo, 1);
	struct pv_stored_transfer t = { "t2", "2026-03-02", "dpo", "planned", "{\"to\":\"B\"}",
					"2029-03-02", NULL, NULL, NULL };
	assert_int_equal(pv_pg_transfer_put(s, &t), 0);
	assert_int_equal(pv_pg_transfer_put(s, &t), -1); /* its id there already */
	t.id = "t1";
	t.created = "2026-03-01";
	assert_int_equal(pv_pg_transfer_put(s, &t), 0);
	assert_int_equal(pv_pg_transfer_set(s, "t1", PV_TRANSFER_STATE, "exported"), 0);
	assert_int_equal(pv_pg_transfer_set(s, "t1", PV_TRANSFER_RECEIPT, "{\"ok\":1}"), 0);
	assert_int_equal(pv_pg_transfer_set(s, "t9", PV_TRANSFER_STATE, "x"), 0); /* absent */
	struct pv_stored_transfer got;
	assert_int_equal(pv_pg_transfer_get(s, "t1", &got), 0);
	assert_string_equal(got.state, "exported");
	assert_string_equal(got.plan, "{\"to\":\"B\"}");
	assert_string_equal(got.assessment, "");
	assert_int_equal(pv_pg_transfer_get(s, "t9", &got), 1);
	struct purposes p = { "", 0 };
	assert_int_equal(pv_pg_transfer_scan(s, add_transfer, &p), 0);
	assert_string_equal(p.text, "t1:exported:{\"ok\":1};t2:planned:;");

	assert_int_equal(pv_pg_transfer_member_add(s, "t1", "C002"), 0);
	assert_int_equal(pv_pg_transfer_member_add(s, "t1", "C001"), 0);
	assert_int_equal(pv_pg_transfer_member_add(s, "t1", "C001"), 0); /* kept once */
	assert_int_equal(pv_pg_transfer_member_add(s, "t2", "C001"), 0);
	p = (struct purposes){ "", 0 };
	assert_int_equal(pv_pg_transfer_member_scan(s, "t1", add_sealed, &p), 0);
	assert_string_equal(p.text, "C001/;C002/;");
	p = (struct purposes){ "", 0 };
	assert_int_equal(pv_pg_customer_transfers(s, "C001", add_transfer, &p), 0);
	assert_string_equal(p.text, "t1:exported:{\"ok\":1};t2:planned:;");

	struct pv_consent_event_row e = { "C001", "marketing", 1, "2026-01-01", "web", "v1", "clerk" };
	assert_int_equal(pv_pg_consent_log(s, &e), 0);
	e.customer = "C003"; /* not in the package */
	assert_int_equal(pv_pg_consent_log(s, &e), 0);
	struct pv_store_notice n = { "C002", "transfer", "v1", "sms", "2026-03-03", "dpo", "sent",
				     NULL };
	int64_t num = 0;
	assert_int_equal(pv_pg_notice_add(s, &n, &num), 0);
	p = (struct purposes){ "", 0 };
	assert_int_equal(pv_pg_transfer_consent_log_scan(s, "t1", add_event, &p), 0);
	assert_non_null(strstr(p.text, "C001/marketing"));
	assert_null(strstr(p.text, "C003"));
	p = (struct purposes){ "", 0 };
	assert_int_equal(pv_pg_transfer_notice_scan(s, "t1", add_notice, &p), 0);
	assert_non_null(strstr(p.text, ":C002:transfer:sent"));
	assert_int_equal(pv_pg_transfer_members_clear(s, "t1"), 0);
	p = (struct purposes){ "", 0 };
	assert_int_equal(pv_pg_transfer_member_scan(s, "t1", add_sealed, &p), 0);
	assert_string_equal(p.text, "");

	assert_int_equal(pv_pg_transfer_consent_get(s, "t2", "C001"), 0);
	assert_int_equal(pv_pg_transfer_consent_put(s, "t2", "C001", 1, "2026-03-04", "web"), 0);
	assert_int_equal(pv_pg_transfer_consent_get(s, "t2", "C001"), 1);
	assert_int_equal(pv_pg_transfer_consent_put(s, "t2", "C001", 0, "2026-03-05", "web"), 0);
	assert_int_equal(pv_pg_transfer_consent_get(s, "t2", "C001"), 0);

	char received[32];
	assert_int_equal(pv_pg_handover_received_get(s, "pkg1", received, sizeof received), 1);
	assert_int_equal(pv_pg_handover_received_put(s, "pkg1", "2026-04-01", "age1x", "ab", 300,
						     "cd"), 0);
	assert_int_equal(pv_pg_handover_received_put(s, "pkg1", "2026-04-02", "age1x", "ab", 300,
						     "cd"), -1); /* taken in already */
	assert_int_equal(pv_pg_handover_received_get(s, "pkg1", received, sizeof received), 0);
	assert_string_equal(received, "2026-04-01");
	pv_pg_close(s);
}

/* ---- Passes by bucket, reviews, the ledger's outbox, tokens for other systems ---- */

static int add_bucket_row(void *ctx, const struct pv_stored_customer *c)
{
	return add_withdrawal(ctx, c->id, "");
}

static int add_gen(void *ctx, uint32_t bucket, uint32_t gen, uint64_t customers)
{
	struct purposes *p = ctx;
	size_t n = strlen(p->text);
	snprintf(p->text + n, sizeof p->text - n, "%u.%u=%llu;", bucket, gen,
		 (unsigned long long)customers);
	return 0;
}

static int add_due(void *ctx, const struct pv_stored_customer *c, const char *last)
{
	return add_withdrawal(ctx, c->id, last);
}

static int add_outbox(void *ctx, const char *intent, uint32_t seq, uint64_t ledger_size,
		      const void *chunk, size_t len)
{
	struct purposes *p = ctx;
	size_t n = strlen(p->text);
	snprintf(p->text + n, sizeof p->text - n, "%s.%u@%llu:%zu:%d;", intent, seq,
		 (unsigned long long)ledger_size, len, len ? ((const uint8_t *)chunk)[0] : -1);
	return 0;
}

static int add_token_row(void *ctx, const struct pv_stored_token *t)
{
	struct purposes *p = ctx;
	size_t n = strlen(p->text);
	if (!t)
		snprintf(p->text + n, sizeof p->text - n, "malformed;");
	else
		snprintf(p->text + n, sizeof p->text - n, "%s/%s/%d/%d/%zu/%zu;", t->token,
			 t->customer, t->field, t->kind, t->vtag_len, t->sealed_len);
	return 0;
}

static void test_buckets_reviews_outbox_tokens(void **state)
{
	(void)state;
	struct pv_store *s = open_store(g_conninfo, 1);
	insert(s, "C001", 5, 0); /* generation 7 (insert's) */
	int64_t b = insert(s, "C002", 6, 0);
	insert(s, "C003", 9, 0);
	assert_int_equal(pv_pg_customer_set_wdek(s, b, 8, wdek, sizeof wdek), 0);
	struct purposes p = { "", 0 };
	assert_int_equal(pv_pg_customer_scan_bucket_range(s, 5, 9, add_bucket_row, &p), 0);
	assert_string_equal(p.text, "C001/;C002/;"); /* 9 is outside [5, 9) */
	assert_int_equal(pv_pg_bucket_behind(s, 6, 8), 0);
	assert_int_equal(pv_pg_bucket_behind(s, 5, 8), 1);
	p = (struct purposes){ "", 0 };
	assert_int_equal(pv_pg_bucket_gens(s, add_gen, &p), 0);
	assert_non_null(strstr(p.text, "5.7=1;"));
	assert_non_null(strstr(p.text, "6.8=1;"));
	assert_non_null(strstr(p.text, "9.7=1;"));

	/* reviews: every customer was confirmed on the day it was imported (today); one
	 * confirmed on an old day is due first */
	assert_int_equal(pv_pg_review_confirm(s, "C002", "2020-01-01", "phone", "clerk"), 0);
	p = (struct purposes){ "", 0 };
	assert_int_equal(pv_pg_review_due(s, "2021-01-01", add_due, &p), 0);
	assert_string_equal(p.text, "C002/2020-01-01;");
	p = (struct purposes){ "", 0 };
	assert_int_equal(pv_pg_review_due(s, "9999-01-01", add_due, &p), 0);
	assert_non_null(strstr(p.text, "C002/2020-01-01;C001/"));
	assert_int_equal(pv_pg_review_confirm(s, "C002", "2030-01-01", "web", "clerk"), 0);
	p = (struct purposes){ "", 0 };
	assert_int_equal(pv_pg_review_due(s, "2021-01-01", add_due, &p), 0);
	assert_string_equal(p.text, "");

	assert_int_equal(pv_pg_outbox_pending(s), 0);
	const uint8_t line[] = { 0x41, 0 };
	assert_int_equal(pv_pg_outbox_put(s, "i2", 1, 900, line, sizeof line), 0);
	assert_int_equal(pv_pg_outbox_put(s, "i1", 2, 100, NULL, 0), 0);
	assert_int_equal(pv_pg_outbox_put(s, "i1", 1, 100, line, 1), 0);
	assert_int_equal(pv_pg_outbox_put(s, "i1", 1, 100, line, 1), -1); /* seq there */
	assert_int_equal(pv_pg_outbox_pending(s), 1);
	p = (struct purposes){ "", 0 };
	assert_int_equal(pv_pg_outbox_scan(s, add_outbox, &p), 0);
	assert_string_equal(p.text, "i1.1@100:1:65;i1.2@100:0:-1;i2.1@900:2:65;");
	assert_int_equal(pv_pg_outbox_drop(s, "i1"), 0);
	assert_int_equal(pv_pg_outbox_drop(s, "i2"), 0);
	assert_int_equal(pv_pg_outbox_pending(s), 0);

	const uint8_t vtag[] = { 1, 2 }, sealed[] = { 3, 4, 5 };
	struct pv_stored_token t = { "tok1", "C002", "service", "2026-01-01", 3, 1, vtag,
				     sizeof vtag, sealed, sizeof sealed };
	assert_int_equal(pv_pg_token_add(s, &t), 0);
	assert_int_equal(pv_pg_token_add(s, &t), 1); /* (token, customer) there: unchanged */
	t.customer = "C001";
	t.vtag = NULL;
	t.vtag_len = 0;
	assert_int_equal(pv_pg_token_add(s, &t), 0);
	p = (struct purposes){ "", 0 };
	assert_int_equal(pv_pg_token_scan(s, "tok1", add_token_row, &p), 0);
	assert_string_equal(p.text, "tok1/C001/3/1/0/3;tok1/C002/3/1/2/3;");
	p = (struct purposes){ "", 0 };
	assert_int_equal(pv_pg_token_scan(s, "tok2", add_token_row, &p), 0);
	assert_string_equal(p.text, "");
	pv_pg_close(s);
}

/* ---- Blind index ---- */

static void blind(uint8_t h[PV_BLIND_BYTES], int v)
{
	memset(h, 0, PV_BLIND_BYTES);
	h[0] = (uint8_t)v;
	h[15] = 0x5c; /* a backslash byte: COPY's escape character, sent as data */
}

static int see_found(void *ctx, const struct pv_stored_customer *c)
{
	struct seen *w = ctx;
	snprintf(w->ids[w->n], sizeof w->ids[w->n], "%s", c->id);
	return ++w->n == w->stop_at ? 1 : 0;
}

/* Entries added one by one (twice: kept once) and in bulk (sorted, sent by COPY in
 * batches) find their customers in id order, as visible; replace moves an entry; row ids
 * below a bound include an import's; a rollback forgets bulk entries not yet sent. */
static void test_blind_index(void **state)
{
	(void)state;
	struct pv_store *s = open_store(g_conninfo, 1);
	int64_t b = insert(s, "C002", 1, 0), a = insert(s, "C001", 1, 0);
	uint8_t h1[PV_BLIND_BYTES], h2[PV_BLIND_BYTES], h3[PV_BLIND_BYTES];
	blind(h1, 1);
	blind(h2, 2);
	blind(h3, 3);
	assert_int_equal(pv_pg_index_add(s, 1, h1, b), 0);
	assert_int_equal(pv_pg_index_add(s, 1, h1, b), 0); /* kept once */
	assert_int_equal(pv_pg_begin(s), 0);
	assert_int_equal(pv_pg_index_add_sorted(s, 1, h1, a), 0);
	assert_int_equal(pv_pg_index_add_sorted(s, 1, h1, a), 0); /* the same again: once */
	assert_int_equal(pv_pg_index_add_sorted(s, 2, h2, a), 0);
	assert_int_equal(pv_pg_index_flush(s), 0);
	assert_int_equal(pv_pg_commit(s), 0);
	struct seen w = { .stop_at = -1 };
	assert_int_equal(pv_pg_index_lookup(s, 1, h1, see_found, &w), 0);
	assert_int_equal(w.n, 2);
	assert_string_equal(w.ids[0], "C001"); /* id order, not row order */
	assert_string_equal(w.ids[1], "C002");
	w = (struct seen){ .stop_at = 1 };
	assert_int_equal(pv_pg_index_lookup(s, 1, h1, see_found, &w), 0);
	assert_int_equal(w.n, 1);
	w = (struct seen){ .stop_at = -1 };
	assert_int_equal(pv_pg_index_lookup(s, 2, h1, see_found, &w), 0); /* another field */
	assert_int_equal(w.n, 0);

	assert_int_equal(pv_pg_index_replace(s, a, 2, h2, h3), 0);
	w = (struct seen){ .stop_at = -1 };
	assert_int_equal(pv_pg_index_lookup(s, 2, h2, see_found, &w), 0);
	assert_int_equal(w.n, 0);
	assert_int_equal(pv_pg_index_lookup(s, 2, h3, see_found, &w), 0);
	assert_int_equal(w.n, 1);

	/* a bulk load of 10,000 entries (batches sent on the way), then rolled back: the
	 * batches sent go with the transaction, the rest is forgotten */
	assert_int_equal(pv_pg_begin(s), 0);
	for (int i = 0; i < 10000; i++) {
		uint8_t h[PV_BLIND_BYTES];
		blind(h, 9);
		h[1] = (uint8_t)(i >> 8);
		h[2] = (uint8_t)i;
		assert_int_equal(pv_pg_index_add_sorted(s, 3, h, a), 0);
	}
	assert_int_equal(pv_pg_rollback(s), 0);
	assert_int_equal(pv_pg_index_flush(s), 0); /* nothing left to send */
	uint8_t first[PV_BLIND_BYTES], last[PV_BLIND_BYTES];
	blind(first, 9); /* sent in the first batch, rolled back with the transaction */
	blind(last, 9);  /* never sent: forgotten, not sent by the flush after */
	last[1] = 9999 >> 8;
	last[2] = 9999 & 0xff;
	w = (struct seen){ .stop_at = -1 };
	assert_int_equal(pv_pg_index_lookup(s, 3, first, see_found, &w), 0);
	assert_int_equal(pv_pg_index_lookup(s, 3, last, see_found, &w), 0);
	assert_int_equal(w.n, 0);

	/* an unfinished import's row: not found, but among the row ids below a bound */
	char from[24];
	snprintf(from, sizeof from, "%lld", (long long)a + 1);
	dba("INSERT INTO %s.import_pending(rid_from) VALUES (%s)", from);
	int64_t c = insert(s, "C000", 1, 0);
	assert_int_equal(pv_pg_index_add(s, 1, h1, c), 0);
	w = (struct seen){ .stop_at = -1 };
	assert_int_equal(pv_pg_index_lookup(s, 1, h1, see_found, &w), 0);
	assert_int_equal(w.n, 2);
	int64_t rids[4];
	size_t n = 0;
	assert_int_equal(pv_pg_index_rids_below(s, 1, h1, c + 1, rids, 4, &n), 0);
	assert_int_equal(n, 3);
	assert_true(rids[0] == b && rids[1] == a && rids[2] == c);
	assert_int_equal(pv_pg_index_rids_below(s, 1, h1, c, rids, 1, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rids[0], b);
	pv_pg_close(s);
}

/* ---- Removing many customers at once, imports in chunks ---- */

/* A number sql gives (one row, one column), as a DBA with psql would read it. */
static long long dba_number(const char *fmt, const char *arg)
{
	char sql[512];
	snprintf(sql, sizeof sql, fmt, g_schema, arg);
	PGconn *c = PQconnectdb(g_conninfo);
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	long long n = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return n;
}

/* A customer with something in every table that names it: consents and their history,
 * a review, a restriction, two index entries. */
static int64_t customer_with_all(struct pv_store *s, const char *id, uint32_t bucket, int v)
{
	int64_t rid = insert(s, id, bucket, 1);
	struct pv_consent_event_row e = { .customer = id, .purpose = "news", .granted = 1,
					  .at = "2026-01-01", .channel = "web",
					  .text_version = "1", .recorded_by = "op" };
	uint8_t h[PV_BLIND_BYTES];
	assert_int_equal(pv_pg_consent_put(s, rid, "news", 1, "2026-01-01", "web"), 0);
	assert_int_equal(pv_pg_consent_log(s, &e), 0);
	assert_int_equal(pv_pg_review_confirm(s, id, "2026-02-01", "phone", "op"), 0);
	assert_int_equal(pv_pg_customer_flag_set(s, id, 0, "2026-03-01"), 0);
	blind(h, v);
	assert_int_equal(pv_pg_index_add(s, 1, h, rid), 0);
	blind(h, 100); /* an entry shared with other customers */
	assert_int_equal(pv_pg_index_add(s, 2, h, rid), 0);
	return rid;
}

/* Everything customer_with_all made for id is there (1) or gone (0), as reads see it. */
static void expect_customer(struct pv_store *s, const char *id, int64_t rid, int v, int there)
{
	struct pv_stored_customer c;
	assert_int_equal(pv_pg_customer_get(s, id, &c), there ? 0 : 1);
	assert_int_equal(pv_pg_consent_state(s, rid, "news"), there);
	struct purposes p = { "", 0 };
	assert_int_equal(pv_pg_consent_log_scan(s, id, add_event, &p), 0);
	assert_int_equal(p.text[0] != '\0', there);
	int restricted = -1, objected = -1;
	assert_int_equal(pv_pg_customer_flags(s, id, &restricted, &objected), 0);
	assert_int_equal(restricted, there);
	char rid_text[24];
	snprintf(rid_text, sizeof rid_text, "%lld", (long long)rid);
	assert_int_equal(dba_number("SELECT count(*) FROM %s.blind_index WHERE rid = %s", rid_text),
			 there ? 2 : 0);
	char quoted[40];
	snprintf(quoted, sizeof quoted, "'%s'", id);
	assert_int_equal(dba_number("SELECT count(*) FROM %s.reviews WHERE customer = %s", quoted),
			 there);
	uint8_t h[PV_BLIND_BYTES];
	blind(h, v);
	struct seen w = { .stop_at = -1 };
	assert_int_equal(pv_pg_index_lookup(s, 1, h, see_found, &w), 0);
	assert_int_equal(w.n, there);
}

/* The doomed go with everything that names them, the others stay whole; a rollback brings
 * them back; the list is empty after a removal. */
static void test_doomed_removed(void **state)
{
	(void)state;
	struct pv_store *s = open_store(g_conninfo, 1);
	int64_t a = customer_with_all(s, "C001", 1, 1), b = customer_with_all(s, "C002", 1, 2);
	int64_t c = customer_with_all(s, "C003", 2, 3);
	assert_int_equal(pv_pg_begin(s), 0);
	assert_int_equal(pv_pg_doomed_begin(s), 0);
	assert_int_equal(pv_pg_doomed_add(s, a, "C001"), 0);
	assert_int_equal(pv_pg_doomed_add(s, a, "C001"), 0); /* twice: once */
	assert_int_equal(pv_pg_doomed_add(s, c, "C003"), 0);
	assert_int_equal(pv_pg_doomed_remove(s), 0);
	struct pv_stored_customer got;
	assert_int_equal(pv_pg_customer_get(s, "C001", &got), 1);
	assert_int_equal(pv_pg_consent_state(s, a, "news"), 0);
	assert_int_equal(pv_pg_rollback(s), 0);
	expect_customer(s, "C001", a, 1, 1);
	expect_customer(s, "C003", c, 3, 1);

	assert_int_equal(pv_pg_begin(s), 0);
	assert_int_equal(pv_pg_doomed_begin(s), 0);
	assert_int_equal(pv_pg_doomed_add(s, a, "C001"), 0);
	assert_int_equal(pv_pg_doomed_add(s, c, "C003"), 0);
	assert_int_equal(pv_pg_doomed_remove(s), 0);
	assert_int_equal(pv_pg_doomed_remove(s), 0); /* the list is empty now: nothing more */
	assert_int_equal(pv_pg_commit(s), 0);
	expect_customer(s, "C001", a, 1, 0);
	expect_customer(s, "C003", c, 3, 0);
	expect_customer(s, "C002", b, 2, 1);
	uint8_t shared[PV_BLIND_BYTES];
	blind(shared, 100);
	struct seen w = { .stop_at = -1 };
	assert_int_equal(pv_pg_index_lookup(s, 2, shared, see_found, &w), 0);
	assert_int_equal(w.n, 1);
	assert_string_equal(w.ids[0], "C002");
	uint64_t n = 0;
	assert_int_equal(pv_pg_customer_count(s, &n), 0);
	assert_int_equal(n, 1);
	pv_pg_close(s);
}

/* How a test shred re-wraps: buckets 1 and 5 get generation 9; the new key is the row id's
 * low byte over the old key's first byte; fn fails for the row id fail_rid. */
struct rewrap_test {
	int64_t fail_rid;
	int calls;
};

static uint32_t test_new_gen(void *ctx, uint32_t bucket)
{
	(void)ctx;
	return bucket == 1 || bucket == 5 ? 9 : 0;
}

static int test_rewrap(void *ctx, const struct pv_stored_customer *c,
		       uint8_t out[PV_KEY_BYTES + PV_SEAL_OVERHEAD])
{
	struct rewrap_test *t = ctx;
	t->calls++;
	if (c->rid == t->fail_rid || c->wdek_len == 0 || c->malformed)
		return -1;
	memset(out, (int)(c->rid & 0xff), PV_KEY_BYTES + PV_SEAL_OVERHEAD);
	out[0] = c->wdek[0];
	return 0;
}

/* C's data key is the one test_rewrap makes (rewrapped) or the one insert gave, with
 * its generation. */
static void expect_wdek(struct pv_store *s, const char *id, int rewrapped)
{
	struct pv_stored_customer c;
	assert_int_equal(pv_pg_customer_get(s, id, &c), 0);
	if (!rewrapped) {
		assert_int_equal(c.bucket_gen, 7);
		assert_int_equal(c.wdek_len, sizeof wdek);
		assert_memory_equal(c.wdek, wdek, sizeof wdek);
		return;
	}
	uint8_t want[PV_KEY_BYTES + PV_SEAL_OVERHEAD];
	memset(want, (int)(c.rid & 0xff), sizeof want);
	want[0] = wdek[0];
	assert_int_equal(c.bucket_gen, 9);
	assert_int_equal(c.wdek_len, sizeof want);
	assert_memory_equal(c.wdek, want, sizeof want);
}

/* A shred's pass: the doomed go, the others of re-keyed buckets (an import's too) get new
 * keys and generation, other buckets are untouched; across pages of rows; a failing fn
 * is -1 and the rollback leaves everything as it was. */
static void test_doomed_rewrapped(void **state)
{
	(void)state;
	struct pv_store *s = open_store(g_conninfo, 1);
	int64_t a = customer_with_all(s, "C001", 1, 1);
	int64_t b = insert(s, "C002", 1, 0);
	insert(s, "C003", 2, 0);
	/* enough rows of bucket 5 for two pages */
	dba("INSERT INTO %s.customers(id, bucket, bucket_gen, dek_version, wdek) SELECT "
	    "'M' || g, 5, 7, 2, '\\x0009' FROM generate_series(1, 9000) g%s", "");
	int64_t from = 0;
	assert_int_equal(pv_pg_begin(s), 0);
	assert_int_equal(pv_pg_import_mark(s, &from), 0);
	int64_t d = insert(s, "C004", 1, 0); /* an unfinished import's */
	assert_true(d >= from);
	assert_int_equal(pv_pg_commit(s), 0);

	struct rewrap_test t = { .fail_rid = d };
	struct pv_store_rewrap how = { test_new_gen, test_rewrap, &t };
	assert_int_equal(pv_pg_begin(s), 0);
	assert_int_equal(pv_pg_doomed_begin(s), 0);
	assert_int_equal(pv_pg_doomed_add(s, a, "C001"), 0);
	assert_int_equal(pv_pg_doomed_remove_rewrap(s, &how), -1);
	assert_non_null(strstr(pv_pg_errmsg(s), "re-wrap"));
	assert_int_equal(pv_pg_rollback(s), 0);
	expect_customer(s, "C001", a, 1, 1);
	expect_wdek(s, "C002", 0);
	assert_int_equal(dba_number("SELECT count(*) FROM %s.customers WHERE bucket_gen = 9%s", ""),
			 0);

	t = (struct rewrap_test){ .fail_rid = -1 };
	assert_int_equal(pv_pg_begin(s), 0);
	assert_int_equal(pv_pg_doomed_begin(s), 0);
	assert_int_equal(pv_pg_doomed_add(s, a, "C001"), 0);
	assert_int_equal(pv_pg_doomed_remove_rewrap(s, &how), 0);
	assert_int_equal(pv_pg_commit(s), 0);
	assert_int_equal(t.calls, 9002); /* C002, C004 and bucket 5's: each once */
	expect_customer(s, "C001", a, 1, 0);
	expect_wdek(s, "C002", 1);
	expect_wdek(s, "C003", 0);
	char len[24];
	snprintf(len, sizeof len, "%d", PV_KEY_BYTES + PV_SEAL_OVERHEAD);
	assert_int_equal(dba_number("SELECT count(*) FROM %s.customers WHERE bucket = 5 AND "
				    "bucket_gen = 9 AND length(wdek) = %s", len), 9000);
	assert_int_equal(pv_pg_begin(s), 0);
	assert_int_equal(pv_pg_import_done(s), 0);
	assert_int_equal(pv_pg_commit(s), 0);
	expect_wdek(s, "C004", 1);
	(void)b;
	pv_pg_close(s);
}

/* An import marked: its customers (row ids from the mark up, even when rows were put in
 * with row ids of their own) are in no read until done, on this connection or another;
 * discard removes exactly its rows with what names them, and the mark. */
static void test_import_pending_and_discarded(void **state)
{
	(void)state;
	struct pv_store *s = open_store(g_conninfo, 1), *o = open_store(g_conninfo, 0);
	int64_t from = -1;
	uint64_t removed = 9;
	assert_int_equal(pv_pg_import_pending(s, &from), 1);
	assert_int_equal(from, 0);
	assert_int_equal(pv_pg_import_discard(s, &removed), 0); /* none under way */
	assert_int_equal(removed, 0);
	int64_t a = customer_with_all(s, "C001", 1, 1);
	/* a row put in with a row id of its own, ahead of the row ids' sequence */
	dba("INSERT INTO %s.customers(rid, id, bucket, bucket_gen, dek_version, wdek) "
	    "OVERRIDING SYSTEM VALUE VALUES (1000, 'C900', 1, 7, 2, '\\x00')%s", "");
	assert_int_equal(pv_pg_begin(s), 0);
	assert_int_equal(pv_pg_import_mark(s, &from), 0);
	assert_int_equal(from, 1001);
	assert_int_equal(pv_pg_import_bulk(s), 0);
	int64_t b = customer_with_all(s, "C002", 1, 2), c = insert(s, "C003", 2, 0);
	assert_true(b >= from && c > b);
	assert_int_equal(pv_pg_commit(s), 0);

	int64_t pending = 0;
	assert_int_equal(pv_pg_import_pending(o, &pending), 0);
	assert_int_equal(pending, from);
	struct pv_stored_customer got;
	uint64_t n = 0;
	for (int i = 0; i < 2; i++) {
		struct pv_store *r = i ? o : s;
		assert_int_equal(pv_pg_customer_get(r, "C002", &got), 1);
		assert_int_equal(pv_pg_customer_count(r, &n), 0);
		assert_int_equal(n, 2); /* C001 and C900 */
		uint8_t h[PV_BLIND_BYTES];
		blind(h, 2);
		struct seen w = { .stop_at = -1 };
		assert_int_equal(pv_pg_index_lookup(r, 1, h, see_found, &w), 0);
		assert_int_equal(w.n, 0);
	}
	char id[16];
	assert_int_equal(pv_pg_customer_id(o, c, id, sizeof id), 0); /* it sees an import's */
	assert_string_equal(id, "C003");

	assert_int_equal(pv_pg_begin(s), 0);
	assert_int_equal(pv_pg_import_discard(s, &removed), 0);
	assert_int_equal(pv_pg_commit(s), 0);
	assert_int_equal(removed, 2);
	assert_int_equal(pv_pg_import_pending(o, &pending), 1);
	assert_int_equal(pv_pg_customer_id(o, b, id, sizeof id), 1);
	assert_int_equal(pv_pg_customer_id(o, c, id, sizeof id), 1);
	expect_customer(o, "C002", b, 2, 0);
	expect_customer(o, "C001", a, 1, 1);
	assert_int_equal(pv_pg_customer_get(o, "C900", &got), 0);

	/* the next import, done: all its customers seen at once */
	assert_int_equal(pv_pg_begin(s), 0);
	assert_int_equal(pv_pg_import_mark(s, &from), 0);
	assert_int_equal(from, 1001); /* the discarded rows' ids are free again... */
	int64_t d = insert(s, "C004", 1, 0);
	assert_true(d >= from && d > c); /* ...but the sequence hands out new ones */
	assert_int_equal(pv_pg_commit(s), 0);
	assert_int_equal(pv_pg_customer_get(o, "C004", &got), 1);
	assert_int_equal(pv_pg_begin(s), 0);
	assert_int_equal(pv_pg_import_done(s), 0);
	assert_int_equal(pv_pg_commit(s), 0);
	assert_int_equal(pv_pg_customer_get(o, "C004", &got), 0);
	assert_int_equal(pv_pg_import_pending(o, &pending), 1);
	pv_pg_close(s);
	pv_pg_close(o);
}

/* What happens between two chunks, seen from another connection. */
struct between_check {
	struct pv_store *other;
	int calls, began, hidden;
	long long committed;
};

static void between_chunks(void *ctx)
{
	struct between_check *b = ctx;
	struct pv_stored_customer c;
	b->calls++;
	/* the lock is free: another writer begins at once, without waiting */
	b->began = pv_pg_begin(b->other) == 0 && pv_pg_commit(b->other) == 0;
	b->hidden = pv_pg_customer_get(b->other, "C001", &c) == 1;
	b->committed = dba_number("SELECT count(*) FROM %s.customers%s", "");
}

/* A chunk commits the transaction open and begins the next, with the lock free between
 * (between called then, with no transaction open); the import's rows are committed yet
 * unseen until done; inside a savepoint it does nothing. */
static void test_chunks(void **state)
{
	(void)state;
	struct pv_store *s = open_store(g_conninfo, 1), *o = open_store(g_conninfo, 0);
	struct between_check check = { .other = o };
	int64_t from = 0;
	pv_set_wait(0, NULL, NULL); /* any wait for the lock fails at once */
	assert_int_equal(pv_pg_begin(s), 0);
	assert_int_equal(pv_pg_import_mark(s, &from), 0);
	insert(s, "C001", 1, 0);
	uint64_t txn = pv_pg_txn_id(s);
	assert_int_equal(pv_pg_chunk(s, between_chunks, &check), 0);
	assert_int_equal(check.calls, 1);
	assert_true(check.began);
	assert_true(check.hidden);
	assert_int_equal(check.committed, 1);
	assert_true(pv_pg_txn_id(s) != 0 && pv_pg_txn_id(s) != txn); /* the next, open */
	assert_int_equal(pv_pg_begin(o), -1); /* s holds the lock again */
	assert_true(pv_pg_busy(o));

	assert_int_equal(pv_pg_begin(s), 0); /* a savepoint: the chunk does nothing */
	txn = pv_pg_txn_id(s);
	assert_int_equal(pv_pg_chunk(s, between_chunks, &check), 0);
	assert_int_equal(check.calls, 1);
	assert_int_equal(pv_pg_txn_id(s), txn);
	insert(s, "C002", 1, 0);
	assert_int_equal(pv_pg_commit(s), 0);
	assert_int_equal(pv_pg_import_done(s), 0);
	assert_int_equal(pv_pg_commit(s), 0);
	assert_int_equal(pv_pg_chunk(s, NULL, NULL), 0); /* no transaction: nothing */
	assert_int_equal(pv_pg_txn_id(s), 0);
	uint64_t n = 0;
	assert_int_equal(pv_pg_customer_count(o, &n), 0);
	assert_int_equal(n, 2);
	pv_set_wait(PV_WAIT_DEFAULT, NULL, NULL);
	pv_pg_close(s);
	pv_pg_close(o);
}

static void sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&t, NULL);
}

/* A writer waiting on another connection gets in between two chunks of a long writer. */
static void test_chunks_let_waiters_in(void **state)
{
	(void)state;
	struct pv_store *s = open_store(g_conninfo, 1);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) { /* a second process: waits up to 10 s for its turn */
		char err[256];
		pv_set_wait(10, NULL, NULL);
		sleep_ms(100);
		struct pv_store *o = pv_pg_open(g_conninfo, g_schema, 0, err, sizeof err);
		int ok = o && pv_pg_begin(o) == 0 && pv_pg_meta_put(o, "waiter", "in", 2) == 0 &&
			 pv_pg_commit(o) == 0;
		pv_pg_close(o);
		_exit(ok ? 0 : 1);
	}
	assert_int_equal(pv_pg_begin(s), 0);
	uint8_t *v = NULL;
	size_t len = 0;
	int chunks = 0, seen = 1;
	double t0 = pv_store_monotonic();
	/* chunks of 50 ms each, as an import's: the waiter's commit is seen between two */
	while (seen == 1 && pv_store_monotonic() - t0 < 8) {
		sleep_ms(50);
		assert_int_equal(pv_pg_chunk(s, NULL, NULL), 0);
		chunks++;
		seen = pv_pg_meta_get(s, "waiter", &v, &len);
		free(v);
		v = NULL;
	}
	assert_int_equal(seen, 0);
	assert_int_equal(pv_pg_commit(s), 0);
	int status = -1;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(chunks < 40);
	pv_pg_close(s);
}

/* ---- The table of functions ---- */

/* Every entry of pv_pg_ops is there (walked from store_functions.def), the stores it opens
 * and their audit readers and cursors carry it; the backup fails until it is built. */
static void test_ops_table(void **state)
{
	(void)state;
	int entries = 0;
#define PV_STORE_FN(ret, name, params, args) \
	assert_true(pv_pg_ops.name != NULL); \
	entries++;
#define PV_STORE_VOID(name, params, args) PV_STORE_FN(void, name, params, args)
#include "store/store_functions.def"
#undef PV_STORE_FN
#undef PV_STORE_VOID
	assert_true(entries > 140);
	assert_string_equal(pv_pg_ops.backend, "postgresql");
	assert_non_null(pv_pg_ops.note_failure);
	assert_non_null(pv_pg_ops.busy);
	assert_non_null(pv_pg_ops.audit_cursor_next);
	assert_non_null(pv_pg_ops.audit_cursor_close);
	struct pv_store *s = open_store(g_conninfo, 1);
	assert_ptr_equal(((const struct pv_store_head *)(const void *)s)->ops, &pv_pg_ops);
	struct pv_store *r = pv_pg_audit_reader(s);
	assert_non_null(r);
	assert_ptr_equal(((const struct pv_store_head *)(const void *)r)->ops, &pv_pg_ops);
	struct pv_store_audit_cursor *c = pv_pg_audit_cursor_open(s, 1);
	assert_non_null(c);
	assert_ptr_equal(((const struct pv_store_head *)(const void *)c)->ops, &pv_pg_ops);
	pv_pg_audit_cursor_close(c);
	/* through store.h, as the library calls it */
	assert_int_equal(pv_store_begin(s), 0);
	assert_int_equal(pv_store_meta_put(s, "via", "ops", 3), 0);
	assert_int_equal(pv_store_commit(s), 0);
	expect_meta(r, "via", "ops", 3);
	assert_int_equal(pv_store_note_failure(s, "step %d failed", 3), -1);
	assert_string_equal(pv_store_errmsg(s), "step 3 failed");
	assert_int_equal(pv_store_backup_to(s, "/nonexistent/backup"), -1);
	assert_non_null(strstr(pv_store_errmsg(s), "/nonexistent/backup"));
	pv_pg_close(r);
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
/* The store's connection, named application_name by its location, ended by a DBA
 * (pg_terminate_backend, which waits until it is gone), as a server's crash ends it. */
static void end_connection(const char *app)
{
	PGconn *c = PQconnectdb(g_conninfo);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	PGresult *r = PQexecParams(c, "SELECT count(pg_terminate_backend(pid, 10000)) FROM "
				   "pg_stat_activity WHERE application_name = $1", 1, NULL, &app,
				   NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || strcmp(PQgetvalue(r, 0, 0), "1") != 0)
		fail_msg("the store's connection was not ended: %s", PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
}

/* A lost connection is made again between transactions with the session's settings (the
 * vault's schema), whether the loss is found by a begin or by a read; a transaction it
 * ends fails at its commit (outcome unknown, never done) and its rollback has nothing to
 * send; an import's lock, a session lock gone with the connection, stops the import. */
static void test_lost_connection_made_again(void **state)
{
	(void)state;
	char app[64], conninfo[1024];
	snprintf(app, sizeof app, "pvlost_%ld_%d", (long)getpid(), g_made);
	snprintf(conninfo, sizeof conninfo, "%s application_name=%s", g_conninfo, app);
	struct pv_store *s = open_store(conninfo, 1);
	end_connection(app); /* found by the next begin: made again, the begin sent again */
	assert_int_equal(pv_pg_begin(s), 0);
	assert_int_equal(pv_pg_meta_put(s, "after", "1", 1), 0);
	assert_int_equal(pv_pg_commit(s), 0);
	expect_meta(s, "after", "1", 1);

	end_connection(app); /* found by a read outside a transaction: it fails, the next works */
	uint8_t *val = NULL;
	assert_int_equal(pv_pg_meta_get(s, "after", &val, NULL), -1);
	assert_non_null(strstr(pv_pg_errmsg(s), "connection to the store was lost"));
	expect_meta(s, "after", "1", 1);

	assert_int_equal(pv_pg_begin(s), 0); /* lost in a transaction: its commit fails */
	assert_int_equal(pv_pg_meta_put(s, "ended", "2", 1), 0);
	end_connection(app);
	assert_int_equal(pv_pg_commit(s), -1);
	assert_non_null(strstr(pv_pg_errmsg(s), "is unknown"));
	assert_int_equal(pv_pg_rollback(s), 0);
	expect_no_meta(s, "ended"); /* ended by the server before its commit */

	assert_int_equal(pv_pg_import_lock(s), 0); /* an import's lock goes with its connection */
	end_connection(app);
	assert_int_equal(pv_pg_begin(s), -1);
	assert_non_null(strstr(pv_pg_errmsg(s), "during an import"));
	pv_pg_import_unlock(s);
	assert_int_equal(pv_pg_begin(s), 0);
	assert_int_equal(pv_pg_meta_put(s, "later", "3", 1), 0);
	assert_int_equal(pv_pg_commit(s), 0);
	expect_meta(s, "later", "3", 1);
	pv_pg_close(s);
}

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

/* One import at a time across connections (nodes): the import lock taken by one is
 * refused to another, seen held by both, taken twice by one refused, and gone with its
 * connection (a killed import leaves none). */
static void test_import_lock(void **state)
{
	(void)state;
	struct pv_store *a = open_store(g_conninfo, 1), *b = open_store(g_conninfo, 0);
	assert_int_equal(pv_pg_import_locked(b), 0);
	assert_int_equal(pv_pg_import_lock(a), 0);
	assert_int_equal(pv_pg_import_lock(a), -1); /* held here already */
	assert_int_equal(pv_pg_import_lock(b), 1);
	assert_int_equal(pv_pg_import_locked(a), 1);
	assert_int_equal(pv_pg_import_locked(b), 1);
	/* transactions come and go under it: a chunked import commits many times */
	assert_int_equal(pv_pg_begin(a), 0);
	assert_int_equal(pv_pg_rollback(a), 0);
	assert_int_equal(pv_pg_import_lock(b), 1);
	pv_pg_import_unlock(a);
	assert_int_equal(pv_pg_import_locked(a), 0);
	assert_int_equal(pv_pg_import_lock(b), 0);
	assert_int_equal(pv_pg_import_lock(a), 1);
	pv_pg_close(b); /* the holder goes: so does its lock, once its server process ends */
	double until = pvt_now() + 10;
	while (pv_pg_import_locked(a) != 0 && pvt_now() < until)
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	assert_int_equal(pv_pg_import_locked(a), 0);
	assert_int_equal(pv_pg_import_lock(a), 0);
	pv_pg_import_unlock(a);
	pv_pg_import_unlock(a); /* not held: nothing */
	pv_pg_close(a);
}

/* The cluster's connection string (a URI, as scripts/pg-cluster.sh writes it) as
 * keywords and values, so that a test can add one ("dbname=...") by appending it. */
static char *conninfo_as_keywords(const char *given)
{
	char *why = NULL;
	PQconninfoOption *opts = PQconninfoParse(given, &why);
	if (!opts) {
		fprintf(stderr, "PIVAULT_TEST_PG: %s\n", why ? why : "cannot be parsed");
		PQfreemem(why);
		return NULL;
	}
	size_t cap = strlen(given) * 2 + 256, n = 0;
	char *out = calloc(1, cap);
	for (PQconninfoOption *o = opts; out && o->keyword; o++)
		if (o->val && *o->val && n < cap)
			n += (size_t)snprintf(out + n, cap - n, "%s%s='%s'", n ? " " : "", o->keyword,
					      o->val);
	PQconninfoFree(opts);
	return out;
}

int main(void)
{
	g_conninfo = conninfo_as_keywords(pvt_program_needs_postgresql());
	if (!g_conninfo)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_schema_made_and_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_names_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_password, setup, teardown),
		cmocka_unit_test_setup_teardown(test_non_utf8_database_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transactions_and_savepoints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_transaction_not_committed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_writers_take_turns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_steps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reader_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_for_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_field_numbers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_customers_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_customers_scanned_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_customers_rewritten, setup, teardown),
		cmocka_unit_test_setup_teardown(test_customers_pending_and_malformed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_consents_and_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_users, setup, teardown),
		cmocka_unit_test_setup_teardown(test_integrity_codes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sessions_and_api_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_holds_and_escrow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notices_and_dsr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_complaints_and_incidents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transfers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_buckets_reviews_outbox_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blind_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_doomed_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_doomed_rewrapped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_pending_and_discarded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chunks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chunks_let_waiters_in, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ops_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_log_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_checkpoints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_connection_made_again, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
