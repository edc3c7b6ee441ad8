/* SPDX-License-Identifier: Apache-2.0 */
/* customers.c: the customers table in PostgreSQL (one row per customer: its id, bucket
 * and generation, wrapped data key and sealed field groups), read and written by row, and
 * the passes over it (by id, by bucket); the counts per bucket key; and the accuracy
 * reviews, read joined to it; an unfinished import's rows (from import_pending's row id up) are
 * in no read unless a function says so, as in the SQLite store. */
#include "internal.h"
#include "pg_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ids in byte order whatever the database's collation, as the SQLite store orders them */
const char pv_pg_customers_tables[] =
	"CREATE TABLE customers("
	"  rid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	"  id text COLLATE \"C\" NOT NULL UNIQUE,"
	"  bucket bigint NOT NULL, bucket_gen bigint NOT NULL, dek_version bigint NOT NULL,"
	"  wdek bytea NOT NULL, g_basic bytea, g_financial bytea, g_other bytea,"
	"  confirmed date NOT NULL DEFAULT CURRENT_DATE);"
	"CREATE INDEX customers_bucket ON customers(bucket, bucket_gen);"
	"CREATE TABLE import_pending(rid_from bigint NOT NULL);"
	"CREATE TABLE reviews(customer text COLLATE \"C\" PRIMARY KEY, confirmed text NOT NULL,"
	"  channel text NOT NULL, confirmed_by text NOT NULL);";

#define VISIBLE \
	" c.rid < (SELECT coalesce(min(rid_from), 9223372036854775807) FROM import_pending) "
#define SCAN_PAGE 512 /* rows a scan fetches at a time: its memory stays bounded */

/* A number as the text of a parameter. */
struct num_text {
	char s[24];
};

static struct num_text num(int64_t x)
{
	struct num_text t;
	snprintf(t.s, sizeof t.s, "%" PRId64, x);
	return t;
}

int pv_pg_customer_insert(struct pv_store *store, const struct pv_stored_customer *c, int64_t *rid)
{
	struct pv_pg_store *s = pg_of(store);
	int copied = pv_pg_customer_copy_insert(s, c, rid); /* a bulk import's: buffered */
	if (copied != -2)
		return copied;
	struct num_text b = num(c->bucket), g = num(c->bucket_gen), v = num(c->dek_version);
	const char *values[8] = { c->id, b.s, g.s, v.s, (const char *)c->wdek };
	int lengths[8] = { 0, 0, 0, 0, (int)c->wdek_len }, binary[8] = { 0, 0, 0, 0, 1 };
	for (int k = 0; k < PV_GROUPS; k++) {
		values[5 + k] = (const char *)c->group[k]; /* NULL: none */
		lengths[5 + k] = (int)c->group_len[k];
		binary[5 + k] = 1;
	}
	PGresult *r = pv_pg_query(s, "INSERT INTO customers(id, bucket, bucket_gen, dek_version, "
				  "wdek, g_basic, g_financial, g_other) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) "
				  "ON CONFLICT (id) DO NOTHING RETURNING rid",
				  8, values, lengths, binary, "insert customer");
	if (!r)
		return -1;
	int bad = 0, got = PQntuples(r) == 1;
	if (got)
		*rid = pv_pg_int8(r, 0, 0, &bad);
	PQclear(r);
	if (bad)
		return pv_pg_fail(s, "insert customer", "its row id was not returned");
	return got ? 0 : 1;
}

/* A stored number that must fit 32 bits; *bad set when it does not. */
static uint32_t u32_at(const PGresult *r, int row, int col, int *bad)
{
	int64_t x = pv_pg_int8(r, row, col, bad);
	if (x < 0 || x > (int64_t)UINT32_MAX)
		*bad = 1;
	return (uint32_t)x;
}

void pv_pg_row_to_customer(const PGresult *r, int i, struct pv_stored_customer *out)
{
	out->malformed = 0;
	out->rid = pv_pg_int8(r, i, 0, &out->malformed);
	out->id = PQgetvalue(r, i, 1);
	out->bucket = u32_at(r, i, 2, &out->malformed);
	out->bucket_gen = u32_at(r, i, 3, &out->malformed);
	out->dek_version = u32_at(r, i, 4, &out->malformed);
	out->wdek = (const uint8_t *)PQgetvalue(r, i, 5);
	out->wdek_len = (size_t)PQgetlength(r, i, 5);
	for (int g = 0; g < PV_GROUPS; g++) {
		int null = PQgetisnull(r, i, 6 + g);
		out->group[g] = null ? NULL : (const uint8_t *)PQgetvalue(r, i, 6 + g);
		out->group_len[g] = null ? 0 : (size_t)PQgetlength(r, i, 6 + g);
	}
}

/* One customer by sql's one parameter; its row held for the caller. 1 when absent. */
static int customer_by(struct pv_pg_store *s, const char *sql, const char *key,
		       struct pv_stored_customer *out)
{
	PGresult *row = NULL;
	int got = pv_pg_row(s, sql, key, &row, "read customer");
	if (got == 0)
		pv_pg_row_to_customer(row, 0, out); /* borrowed until the next call */
	return got;
}

int pv_pg_customer_get(struct pv_store *s, const char *id, struct pv_stored_customer *out)
{
	return customer_by(pg_of(s), "SELECT " PV_PG_CUSTOMER_COLUMNS " FROM customers c "
			   "WHERE id = $1 AND" VISIBLE, id, out);
}

int pv_pg_customer_get_rid(struct pv_store *s, int64_t rid, struct pv_stored_customer *out)
{
	return customer_by(pg_of(s), "SELECT " PV_PG_CUSTOMER_COLUMNS " FROM customers c "
			   "WHERE rid = $1 AND" VISIBLE, num(rid).s, out);
}

int pv_pg_customer_id(struct pv_store *store, int64_t rid, char *id, size_t cap)
{
	struct num_text t = num(rid);
	const char *key = t.s;
	PGresult *r = pv_pg_query(pg_of(store), "SELECT id FROM customers WHERE rid = $1", 1, &key,
				  NULL, NULL, "read customer id"); /* an import's too */
	if (!r)
		return -1;
	int got = PQntuples(r) == 1;
	if (got)
		snprintf(id, cap, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return got ? 0 : 1;
}

int pv_pg_customer_scan(struct pv_store *store, const char *after, size_t limit,
			pv_store_customer_fn fn, void *ctx)
{
	struct pv_pg_store *s = pg_of(store);
	char *last = strdup(after ? after : "");
	size_t left = limit ? limit : SIZE_MAX;
	int stop = 0;
	while (last && !stop && left) {
		struct num_text page = num(left < SCAN_PAGE ? (int64_t)left : SCAN_PAGE);
		const char *values[2] = { last, page.s };
		/* keyset pages, each fetched whole: fn may call the store between rows */
		PGresult *r = pv_pg_query(s, "SELECT " PV_PG_CUSTOMER_COLUMNS " FROM customers c "
					  "WHERE id > $1 AND" VISIBLE "ORDER BY id LIMIT $2", 2,
					  values, NULL, NULL, "scan customers");
		if (!r) {
			free(last);
			return -1;
		}
		int n = PQntuples(r);
		for (int i = 0; i < n && !stop; i++) {
			struct pv_stored_customer c;
			pv_pg_row_to_customer(r, i, &c);
			stop = fn(ctx, &c);
			left--;
		}
		free(last);
		last = n == 0 || stop ? NULL : strdup(PQgetvalue(r, n - 1, 1));
		if (n == 0 || stop)
			left = 0;
		PQclear(r);
	}
	free(last);
	return stop;
}

int pv_pg_customer_count(struct pv_store *store, uint64_t *n)
{
	struct pv_pg_store *s = pg_of(store);
	PGresult *r = pv_pg_query(s, "SELECT count(*) FROM customers c WHERE" VISIBLE, 0, NULL, NULL,
				  NULL, "count customers");
	if (!r)
		return -1;
	int bad = 0;
	int64_t x = pv_pg_int8(r, 0, 0, &bad);
	PQclear(r);
	if (bad)
		return pv_pg_fail(s, "count customers", "not a count");
	*n = (uint64_t)x;
	return 0;
}

/* Run an UPDATE of one row by id with its parameters: 0 (an absent row too), -1. */
static int update_row(struct pv_pg_store *s, const char *sql, int n, const char *const *values,
		      const int *lengths, const int *binary, const char *what)
{
	PGresult *r = pv_pg_query(s, sql, n, values, lengths, binary, what);
	PQclear(r);
	return r ? 0 : -1;
}

int pv_pg_customer_set_group(struct pv_store *store, int64_t rid, int group, const uint8_t *sealed,
			     size_t len)
{
	static const char *const sql[PV_GROUPS] = {
		"UPDATE customers SET g_basic = $1 WHERE rid = $2",
		"UPDATE customers SET g_financial = $1 WHERE rid = $2",
		"UPDATE customers SET g_other = $1 WHERE rid = $2",
	};
	struct pv_pg_store *s = pg_of(store);
	if (group < 0 || group >= PV_GROUPS)
		return pv_pg_fail(s, "update customer", "no such sealed group");
	struct num_text t = num(rid);
	const char *values[2] = { (const char *)sealed, t.s };
	const int lengths[2] = { (int)len, 0 }, binary[2] = { 1, 0 };
	return update_row(s, sql[group], 2, values, lengths, binary, "update customer");
}

int pv_pg_customer_set_wdek(struct pv_store *store, int64_t rid, uint32_t gen, const uint8_t *wdek,
			    size_t len)
{
	struct num_text t = num(rid), g = num(gen);
	const char *values[3] = { t.s, g.s, (const char *)wdek };
	const int lengths[3] = { 0, 0, (int)len }, binary[3] = { 0, 0, 1 };
	return update_row(pg_of(store), "UPDATE customers SET bucket_gen = $2, wdek = $3 "
			  "WHERE rid = $1", 3, values, lengths, binary, "re-wrap a data key");
}

int pv_pg_customer_set_sealed(struct pv_store *store, int64_t rid, uint32_t dek_version,
			      const uint8_t *wdek, size_t wdek_len,
			      const uint8_t *const group[PV_GROUPS], const size_t group_len[PV_GROUPS])
{
	struct num_text t = num(rid), v = num(dek_version);
	const char *values[6] = { t.s, v.s, (const char *)wdek };
	int lengths[6] = { 0, 0, (int)wdek_len }, binary[6] = { 0, 0, 1 };
	for (int k = 0; k < PV_GROUPS; k++) {
		values[3 + k] = (const char *)group[k];
		lengths[3 + k] = (int)group_len[k];
		binary[3 + k] = 1;
	}
	return update_row(pg_of(store), "UPDATE customers SET dek_version = $2, wdek = $3, "
			  "g_basic = $4, g_financial = $5, g_other = $6 WHERE rid = $1", 6, values,
			  lengths, binary, "replace a customer's data key");
}

/* ---- Passes by bucket (rekeys), and the counts per bucket key ---- */

int pv_pg_customer_scan_bucket_range(struct pv_store *store, uint32_t lo, uint32_t hi,
				     pv_store_customer_fn fn, void *ctx)
{
	struct pv_pg_store *s = pg_of(store);
	int64_t after = 0;
	struct num_text l = num(lo), h = num(hi);
	for (;;) { /* row-id pages, an import's rows too: a rekey rewrites them all */
		struct num_text a = num(after);
		const char *values[3] = { l.s, h.s, a.s };
		PGresult *r = pv_pg_query(s, "SELECT " PV_PG_CUSTOMER_COLUMNS " FROM customers c "
					  "WHERE bucket >= $1 AND bucket < $2 AND rid > $3 ORDER BY "
					  "rid LIMIT 512", 3, values, NULL, NULL,
					  "scan customers by bucket");
		if (!r)
			return -1;
		int n = PQntuples(r), stop = 0;
		for (int i = 0; i < n && !stop; i++) {
			struct pv_stored_customer c;
			pv_pg_row_to_customer(r, i, &c);
			after = c.rid;
			stop = fn(ctx, &c);
		}
		PQclear(r);
		if (stop || n < 512)
			return stop;
	}
}

int pv_pg_bucket_behind(struct pv_store *store, uint32_t bucket, uint32_t gen)
{
	pg_of(store)->bucket_checks++;
	struct num_text b = num(bucket), g = num(gen);
	const char *values[2] = { b.s, g.s };
	PGresult *r = pv_pg_query(pg_of(store), "SELECT 1 FROM customers WHERE bucket = $1 AND "
				  "bucket_gen < $2 LIMIT 1", 2, values, NULL, NULL,
				  "check a bucket's data keys");
	if (!r)
		return -1;
	int behind = PQntuples(r) > 0;
	PQclear(r);
	return behind;
}

struct pv_store_bucket_checks pv_pg_bucket_check_counts(const struct pv_store *s)
{
	/* the calls only: PostgreSQL tells no steps (store.h); an index serves each */
	const struct pv_pg_store *p = (const struct pv_pg_store *)(const void *)s;
	return (struct pv_store_bucket_checks){ p->bucket_checks, 0, 0 };
}

struct gens_walk {
	int (*fn)(void *ctx, uint32_t bucket, uint32_t gen, uint64_t customers);
	void *ctx;
};

static int gens_row(void *ctx, const PGresult *r, int i)
{
	struct gens_walk *w = ctx;
	int bad = 0;
	uint32_t bucket = (uint32_t)pv_pg_int8(r, i, 0, &bad);
	uint32_t gen = (uint32_t)pv_pg_int8(r, i, 1, &bad);
	return w->fn(w->ctx, bucket, gen, (uint64_t)pv_pg_int8(r, i, 2, &bad));
}

int pv_pg_bucket_gens(struct pv_store *s,
		      int (*fn)(void *ctx, uint32_t bucket, uint32_t gen, uint64_t customers),
		      void *ctx)
{
	struct gens_walk w = { fn, ctx };
	return pv_pg_rows(pg_of(s), "SELECT bucket, bucket_gen, count(*) FROM customers c WHERE"
			  VISIBLE "GROUP BY bucket, bucket_gen", 0, NULL, gens_row, &w,
			  "count customers per bucket key");
}

/* ---- Accuracy reviews (reviews, read joined to customers) ---- */

int pv_pg_review_confirm(struct pv_store *s, const char *customer, const char *day,
			 const char *channel, const char *by)
{
	const char *values[4] = { customer, day, channel, by };
	return pv_pg_upsert(pg_of(s), "reviews", "customer", "customer, confirmed, channel, "
			    "confirmed_by", 4, values, NULL, NULL, "record a review");
}

struct due_walk {
	int (*fn)(void *ctx, const struct pv_stored_customer *c, const char *last);
	void *ctx;
};

static int due_row(void *ctx, const PGresult *r, int i)
{
	struct due_walk *w = ctx;
	struct pv_stored_customer c;
	pv_pg_row_to_customer(r, i, &c);
	return w->fn(w->ctx, &c, PQgetvalue(r, i, 9));
}

int pv_pg_review_due(struct pv_store *s, const char *before,
		     int (*fn)(void *ctx, const struct pv_stored_customer *c, const char *last),
		     void *ctx)
{
	struct due_walk w = { fn, ctx };
	return pv_pg_rows(pg_of(s), "SELECT " PV_PG_CUSTOMER_COLUMNS ", last FROM (SELECT c.*, "
			  "coalesce(r.confirmed, to_char(c.confirmed, 'YYYY-MM-DD')) AS last "
			  "FROM customers c LEFT JOIN reviews r ON r.customer = c.id) c WHERE "
			  "last < $1 AND" VISIBLE "ORDER BY last, c.id", 1, &before, due_row, &w,
			  "read the reviews due");
}
