/* SPDX-License-Identifier: Apache-2.0 */
/* test_pg_import.c: a bulk import into the PostgreSQL store sent with binary COPY
 * (customer_copy.c, issue 15): its customers and consents stored byte for byte as the
 * row-by-row inserts store them, row ids contiguous from the import's mark and the row ids'
 * sequence caught up after; a duplicate id told at once (of the same batch, of an earlier
 * batch, of a customer the vault held before); a read in the middle sees the rows before
 * it; a rollback in the middle of a batch (or a close) leaves nothing and the next import
 * works; index entries written after the customers they name. Runs against the cluster
 * scripts/test.sh starts (PIVAULT_TEST_PG, the password from PGPASSFILE); without one it
 * reports itself skipped, and fails where PV_REQUIRE_POSTGRESQL=1 (CI). */
#include "testutil.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/postgresql/pg_store.h"
#include "store/store_ops.h"

static const char *g_conninfo;
static char g_schema[64], g_other[64];
static int g_made;

/* Fresh schema names for each test (the bulk one and the row-by-row one), dropped after. */
static int setup(void **state)
{
	(void)state;
	g_made++;
	snprintf(g_schema, sizeof g_schema, "pvimp_%ld_%d", (long)getpid(), g_made);
	snprintf(g_other, sizeof g_other, "pvimp_%ld_%d_rows", (long)getpid(), g_made);
	return 0;
}

/* Run sql on a DBA's own connection; its first value as a number (0 without one). */
static long long dba_value(const char *sql)
{
	PGconn *c = PQconnectdb(g_conninfo);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	long long n = st == PGRES_TUPLES_OK && PQntuples(r) ? atoll(PQgetvalue(r, 0, 0)) : 0;
	PQclear(r);
	PQfinish(c);
	return n;
}

static int teardown(void **state)
{
	(void)state;
	char sql[256];
	snprintf(sql, sizeof sql, "SET client_min_messages = warning; SET lock_timeout = '3s'; "
		 "DROP SCHEMA IF EXISTS %s CASCADE; DROP SCHEMA IF EXISTS %s CASCADE", g_schema,
		 g_other);
	dba_value(sql);
	return 0;
}

static struct pv_store *open_schema(const char *schema, int create)
{
	char err[512] = "";
	struct pv_store *s = pv_pg_open(g_conninfo, schema, create, err, sizeof err);
	if (!s)
		fail_msg("open %s: %s", schema, err);
	return s;
}

/* A DBA's number of sql with %s the schema. */
static long long count_in(const char *schema, const char *fmt)
{
	char sql[512];
	snprintf(sql, sizeof sql, fmt, schema);
	return dba_value(sql);
}

/* Customer i's bytes: sealed groups of varied lengths, none, or empty. */
struct fake {
	char id[16];
	uint8_t wdek[40], g[PV_GROUPS][300];
	struct pv_stored_customer c;
};

static void fake_customer(struct fake *f, int i)
{
	memset(f, 0, sizeof *f);
	snprintf(f->id, sizeof f->id, "C%07d", i);
	for (size_t k = 0; k < sizeof f->wdek; k++)
		f->wdek[k] = (uint8_t)(i * 7 + (int)k); /* zero bytes among them */
	f->c = (struct pv_stored_customer){ .id = f->id, .bucket = (uint32_t)(i % 97),
					    .bucket_gen = (uint32_t)(i % 3), .dek_version = 1,
					    .wdek = f->wdek, .wdek_len = sizeof f->wdek };
	for (int g = 0; g < PV_GROUPS; g++) {
		size_t len = (size_t)((i * 31 + g * 17) % 300);
		for (size_t k = 0; k < len; k++)
			f->g[g][k] = (uint8_t)(i + g + (int)k);
		if ((i + g) % 5 == 0)
			continue; /* none */
		f->c.group[g] = f->g[g];
		f->c.group_len[g] = (i + g) % 7 == 0 ? 0 : len; /* or empty */
	}
}

/* Put customers from..to (with a consent for every other one) as an import would: 0 as
 * the rid of each is the one before plus one. */
static void put_customers(struct pv_store *s, int from, int to, int64_t *first)
{
	for (int i = from; i <= to; i++) {
		struct fake f;
		fake_customer(&f, i);
		int64_t rid = 0;
		assert_int_equal(pv_pg_customer_insert(s, &f.c, &rid), 0);
		if (i == from)
			*first = rid;
		else
			assert_int_equal(rid, *first + (i - from));
		if (i % 2 == 0)
			assert_int_equal(pv_pg_consent_put(s, rid, i % 4 ? "news" : "calls", i % 3 == 0,
							   "2026-12-07T10:00:00Z", "import"), 0);
	}
}

/* One import of customers from..to into s: bulk (COPY) or row by row. */
static void import_customers(struct pv_store *s, int bulk, int from, int to)
{
	int64_t mark = 0, first = 0;
	assert_int_equal(pv_pg_begin(s), 0);
	assert_int_equal(pv_pg_import_mark(s, &mark), 0);
	if (bulk)
		assert_int_equal(pv_pg_import_bulk(s), 0);
	put_customers(s, from, to, &first);
	assert_int_equal(first, mark);
	assert_int_equal(pv_pg_import_done(s), 0);
	assert_int_equal(pv_pg_commit(s), 0);
}

#define DIGEST_CUSTOMERS \
	"SELECT md5(string_agg(concat_ws('|', rid, id, bucket, bucket_gen, dek_version, " \
	"encode(wdek, 'hex'), coalesce(encode(g_basic, 'hex'), 'none'), " \
	"coalesce(encode(g_financial, 'hex'), 'none'), coalesce(encode(g_other, 'hex'), 'none'), " \
	"confirmed), ',' ORDER BY rid)) FROM %s.customers"
#define DIGEST_CONSENTS \
	"SELECT md5(string_agg(concat_ws('|', rid, purpose, granted, at, channel), ',' ORDER BY " \
	"rid, purpose)) FROM %s.consents"

/* A digest of sql (DIGEST_*) in schema, as text. */
static char *digest(const char *schema, const char *fmt)
{
	char sql[1024];
	snprintf(sql, sizeof sql, fmt, schema);
	PGconn *c = PQconnectdb(g_conninfo);
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	char *d = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return d;
}

/* Thousands of customers (many COPY pieces: more than one stream's bytes) in two imports,
 * byte for byte as row-by-row inserts keep them, in the same row ids; the sequence caught
 * up: a customer put in after is the next row id. */
static void test_bulk_as_row_by_row(void **state)
{
	(void)state;
	struct pv_store *b = open_schema(g_schema, 1), *r = open_schema(g_other, 1);
	import_customers(b, 1, 1, 4000);
	import_customers(r, 0, 1, 4000);
	import_customers(b, 1, 4001, 5000);
	import_customers(r, 0, 4001, 5000);
	assert_int_equal(count_in(g_schema, "SELECT count(*) FROM %s.customers"), 5000);
	assert_int_equal(count_in(g_schema, "SELECT max(rid) - min(rid) + 1 FROM %s.customers"),
			 5000);
	assert_int_equal(count_in(g_schema, "SELECT count(*) FROM %s.consents"), 2500);
	assert_int_equal(count_in(g_schema, "SELECT count(*) FROM %s.import_pending"), 0);
	for (int k = 0; k < 2; k++) {
		const char *fmt = k ? DIGEST_CONSENTS : DIGEST_CUSTOMERS;
		char *want = digest(g_other, fmt), *got = digest(g_schema, fmt);
		assert_string_equal(got, want);
		free(want);
		free(got);
	}
	struct fake f;
	fake_customer(&f, 9999);
	int64_t rid = 0;
	assert_int_equal(pv_pg_begin(b), 0);
	assert_int_equal(pv_pg_customer_insert(b, &f.c, &rid), 0);
	assert_int_equal(pv_pg_commit(b), 0);
	assert_int_equal(rid, 5001);
	pv_pg_close(b);
	pv_pg_close(r);
}

/* A duplicate id is told at once (1) and takes no row id: one of the same batch, one sent
 * already, one the vault held before the import; a read in the middle sees the import's
 * rows before it; the import's customers are hidden from others until done. */
static void test_duplicates_and_reads(void **state)
{
	(void)state;
	struct pv_store *s = open_schema(g_schema, 1), *o = open_schema(g_schema, 0);
	import_customers(s, 0, 1, 10); /* held before */
	int64_t mark = 0, first = 0, rid = 0;
	assert_int_equal(pv_pg_begin(s), 0);
	assert_int_equal(pv_pg_import_mark(s, &mark), 0);
	assert_int_equal(pv_pg_import_bulk(s), 0);
	put_customers(s, 11, 20, &first);
	assert_int_equal(first, 11);
	struct fake f;
	fake_customer(&f, 15); /* in the batch, not sent */
	assert_int_equal(pv_pg_customer_insert(s, &f.c, &rid), 1);
	fake_customer(&f, 3); /* held before */
	assert_int_equal(pv_pg_customer_insert(s, &f.c, &rid), 1);
	fake_customer(&f, 21);
	assert_int_equal(pv_pg_customer_insert(s, &f.c, &rid), 0);
	assert_int_equal(rid, 21); /* the duplicates took none */
	char id[16];
	assert_int_equal(pv_pg_customer_id(s, 21, id, sizeof id), 0); /* a read: sent first */
	assert_string_equal(id, "C0000021");
	assert_int_equal(pv_pg_consent_state(s, 20, "news") >= 0, 1);
	fake_customer(&f, 21); /* sent already */
	assert_int_equal(pv_pg_customer_insert(s, &f.c, &rid), 1);
	fake_customer(&f, 22);
	assert_int_equal(pv_pg_customer_insert(s, &f.c, &rid), 0);
	assert_int_equal(rid, 22);
	uint64_t n = 0;
	assert_int_equal(pv_pg_customer_count(o, &n), 0);
	assert_int_equal(n, 10);
	assert_int_equal(pv_pg_import_done(s), 0);
	assert_int_equal(pv_pg_commit(s), 0);
	assert_int_equal(pv_pg_customer_count(o, &n), 0);
	assert_int_equal(n, 22);
	assert_int_equal(count_in(g_schema, "SELECT count(*) FROM %s.consents"), 10);
	pv_pg_close(s);
	pv_pg_close(o);
}

/* A rollback in the middle of a batch (part of it handed to COPY already) leaves nothing
 * of it; so does a close; the next import works and its row ids follow on. */
static void test_rollback_and_close_mid_batch(void **state)
{
	(void)state;
	struct pv_store *s = open_schema(g_schema, 1);
	int64_t mark = 0, first = 0;
	assert_int_equal(pv_pg_begin(s), 0);
	assert_int_equal(pv_pg_import_mark(s, &mark), 0);
	assert_int_equal(pv_pg_import_bulk(s), 0);
	put_customers(s, 1, 3000, &first); /* more than one stream's bytes */
	assert_int_equal(pv_pg_rollback(s), 0);
	assert_int_equal(count_in(g_schema, "SELECT count(*) FROM %s.customers"), 0);
	assert_int_equal(count_in(g_schema, "SELECT count(*) FROM %s.consents"), 0);
	assert_int_equal(count_in(g_schema, "SELECT count(*) FROM %s.import_pending"), 0);

	assert_int_equal(pv_pg_begin(s), 0);
	assert_int_equal(pv_pg_import_mark(s, &mark), 0);
	assert_int_equal(pv_pg_import_bulk(s), 0);
	put_customers(s, 1, 2000, &first);
	pv_pg_close(s); /* never committed */
	assert_int_equal(count_in(g_schema, "SELECT count(*) FROM %s.customers"), 0);

	s = open_schema(g_schema, 0);
	import_customers(s, 1, 1, 3000);
	assert_int_equal(count_in(g_schema, "SELECT count(*) FROM %s.customers"), 3000);
	assert_int_equal(count_in(g_schema, "SELECT count(*) FROM %s.consents"), 1500);
	assert_true(count_in(g_schema, "SELECT min(rid) FROM %s.customers") >= 1);
	assert_int_equal(count_in(g_schema, "SELECT max(rid) - min(rid) + 1 FROM %s.customers"),
			 3000);
	pv_pg_close(s);
}

/* A chunk's commit sends the batch; a rollback after it drops only what came after, and
 * the import is discarded whole as before; index entries sent in bulk after the
 * customers name rows that are there. */
static void test_chunks_and_index(void **state)
{
	(void)state;
	struct pv_store *s = open_schema(g_schema, 1);
	int64_t mark = 0, first = 0;
	assert_int_equal(pv_pg_begin(s), 0);
	assert_int_equal(pv_pg_import_mark(s, &mark), 0);
	assert_int_equal(pv_pg_import_bulk(s), 0);
	put_customers(s, 1, 100, &first);
	assert_int_equal(pv_pg_chunk(s, NULL, NULL), 0);
	assert_int_equal(count_in(g_schema, "SELECT count(*) FROM %s.customers"), 100);
	put_customers(s, 101, 200, &first);
	assert_int_equal(first, 101);
	assert_int_equal(pv_pg_rollback(s), 0);
	assert_int_equal(count_in(g_schema, "SELECT count(*) FROM %s.customers"), 100);
	uint64_t removed = 0;
	assert_int_equal(pv_pg_begin(s), 0);
	assert_int_equal(pv_pg_import_discard(s, &removed), 0);
	assert_int_equal(pv_pg_commit(s), 0);
	assert_int_equal(removed, 100);

	assert_int_equal(pv_pg_begin(s), 0);
	assert_int_equal(pv_pg_import_mark(s, &mark), 0);
	assert_int_equal(pv_pg_import_bulk(s), 0);
	put_customers(s, 1, 50, &first);
	uint8_t h[PV_BLIND_BYTES];
	for (int i = 0; i < 50; i++) {
		memset(h, i / 10, sizeof h); /* five hashes, ten customers each */
		assert_int_equal(pv_pg_index_add_sorted(s, 1, h, first + i), 0);
	}
	assert_int_equal(pv_pg_index_flush(s), 0);
	assert_int_equal(pv_pg_import_done(s), 0);
	assert_int_equal(pv_pg_commit(s), 0);
	assert_int_equal(count_in(g_schema, "SET search_path = %s; SELECT count(*) FROM "
				  "blind_index b JOIN customers c ON c.rid = b.rid"), 50);
	pv_pg_close(s);
}

int main(void)
{
	g_conninfo = pvt_program_needs_postgresql();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bulk_as_row_by_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates_and_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_and_close_mid_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chunks_and_index, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
