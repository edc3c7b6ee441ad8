/* SPDX-License-Identifier: Apache-2.0 */
/* customers.c: the customers table (one row per customer: its id, bucket and generation,
 * wrapped data key and sealed field groups), read and written by row; the passes over it
 * (by id, by bucket) and the counts per bucket key; and the accuracy reviews, which are
 * read joined to it. */
#include "internal.h"

#include <stdio.h>

/* The first format's table, created with a new vault (a file without it is no vault). */
const char pv_sqlite_customers_first_tables[] =
	"CREATE TABLE customers("
	"  rid INTEGER PRIMARY KEY,"
	"  id TEXT NOT NULL UNIQUE,"
	"  bucket INTEGER NOT NULL,"
	"  bucket_gen INTEGER NOT NULL,"
	"  dek_version INTEGER NOT NULL,"
	"  wdek BLOB NOT NULL,"
	"  g_basic BLOB, g_financial BLOB, g_other BLOB,"
	"  confirmed TEXT NOT NULL DEFAULT CURRENT_DATE);";

/* Added since the first format, created when missing at every open. */
const char pv_sqlite_customers_tables[] =
	"CREATE TABLE IF NOT EXISTS reviews(customer TEXT PRIMARY KEY, confirmed TEXT NOT NULL,"
	"  channel TEXT NOT NULL, confirmed_by TEXT NOT NULL);"
	"DROP INDEX IF EXISTS customers_rekey;"; /* what a rekey under way once made */

/* Customers by bucket and generation: a keyring journal left by a crash is checked at
 * open by one index lookup per journalled slot (pv_store_bucket_behind), not one table
 * scan per slot, and the counts per bucket key are read off it. Its entries come in
 * random order (a bucket is a keyed hash of the id), so a bulk import drops it and builds
 * it once at its end (pv_sqlite_bucket_index_ensure), which costs less than keeping it up
 * row by row. Without it every query here still answers, by a scan. */
static const char SQL_BUCKET_INDEX[] =
	"CREATE INDEX IF NOT EXISTS customers_bucket ON customers(bucket, bucket_gen)";

int pv_sqlite_bucket_index_ensure(struct pv_store *s)
{
	static const char sql[] =
		"SELECT 1 FROM sqlite_schema WHERE type = 'index' AND name = 'customers_bucket'";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return pv_sqlite_fail(s, "look for the customers' bucket index");
	/* SQLite's sort for it may hold as much as the page cache: a smaller cache for it
	 * keeps a bulk import's memory under its bound (the rest spills to a file) */
	if (pv_sqlite_exec(s, "PRAGMA cache_size=" PV_SQLITE_SORT_CACHE) != 0)
		return -1;
	rc = pv_sqlite_exec(s, SQL_BUCKET_INDEX);
	if (pv_sqlite_exec(s, "PRAGMA cache_size=" PV_SQLITE_CACHE) != 0)
		rc = -1;
	return rc;
}

int pv_sqlite_bucket_index_drop(struct pv_store *s)
{
	return pv_sqlite_exec(s, "DROP INDEX IF EXISTS customers_bucket");
}

#define CUSTOMER_COLUMNS \
	"rid, id, bucket, bucket_gen, dek_version, wdek, g_basic, g_financial, g_other"

static const char SQL_CUST_INSERT[] =
	"INSERT INTO customers(id, bucket, bucket_gen, dek_version, wdek, g_basic, g_financial, "
	"g_other) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)";
static const char SQL_CUST_GET[] =
	"SELECT " CUSTOMER_COLUMNS " FROM customers WHERE id = ?1 AND" PV_SQL_VISIBLE("rid");
static const char SQL_CUST_GET_RID[] =
	"SELECT " CUSTOMER_COLUMNS " FROM customers WHERE rid = ?1 AND" PV_SQL_VISIBLE("rid");
static const char SQL_CUST_SCAN_FROM[] =
	"SELECT " CUSTOMER_COLUMNS " FROM customers WHERE id > ?1 AND" PV_SQL_VISIBLE("rid")
	"ORDER BY id LIMIT ?2";
static const char SQL_CUST_SCAN_ALL[] =
	"SELECT " CUSTOMER_COLUMNS " FROM customers WHERE" PV_SQL_VISIBLE("rid")
	"ORDER BY id LIMIT ?1";
static const char SQL_CUST_COUNT[] = "SELECT count(*) FROM customers WHERE" PV_SQL_VISIBLE("rid");
static const char SQL_CUST_ID[] = "SELECT id FROM customers WHERE rid = ?1"; /* an import's too */

int pv_sqlite_customer_insert(struct pv_store *s, const struct pv_stored_customer *c,
			     int64_t *rid)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_CUST_INSERT);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, c->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, c->bucket);
	sqlite3_bind_int64(q, 3, c->bucket_gen);
	sqlite3_bind_int64(q, 4, c->dek_version);
	sqlite3_bind_blob(q, 5, c->wdek, (int)c->wdek_len, SQLITE_STATIC);
	for (int g = 0; g < PV_GROUPS; g++) {
		if (c->group[g])
			sqlite3_bind_blob(q, 6 + g, c->group[g], (int)c->group_len[g], SQLITE_STATIC);
	}
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return 1;
	if (rc != SQLITE_DONE)
		return pv_sqlite_fail(s, "insert customer");
	*rid = sqlite3_last_insert_rowid(s->db);
	return 0;
}

/* Column i as a u32; sets *bad when the stored value is not one. */
static uint32_t column_u32(sqlite3_stmt *q, int i, int *bad)
{
	sqlite3_int64 x = sqlite3_column_int64(q, i);
	if (sqlite3_column_type(q, i) != SQLITE_INTEGER || x < 0 || x > (sqlite3_int64)UINT32_MAX)
		*bad = 1;
	return (uint32_t)x;
}

/* Fill out from the current row of a customer query (columns as in SQL_CUST_GET). */
static void row_to_customer(sqlite3_stmt *q, struct pv_stored_customer *out)
{
	out->malformed = 0;
	out->rid = sqlite3_column_int64(q, 0);
	out->id = (const char *)sqlite3_column_text(q, 1);
	out->bucket = column_u32(q, 2, &out->malformed);
	out->bucket_gen = column_u32(q, 3, &out->malformed);
	out->dek_version = column_u32(q, 4, &out->malformed);
	out->wdek = sqlite3_column_blob(q, 5);
	out->wdek_len = (size_t)sqlite3_column_bytes(q, 5);
	for (int g = 0; g < PV_GROUPS; g++) {
		out->group[g] = sqlite3_column_blob(q, 6 + g);
		out->group_len[g] = (size_t)sqlite3_column_bytes(q, 6 + g);
	}
}

int pv_sqlite_customer_get(struct pv_store *s, const char *id, struct pv_stored_customer *out)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_CUST_GET);
	int got = pv_sqlite_row_by_key(s, q, id, "read customer");
	if (got == 0)
		row_to_customer(q, out); /* valid until the statement is next reset */
	return got;
}

int pv_sqlite_customer_get_rid(struct pv_store *s, int64_t rid, struct pv_stored_customer *out)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_CUST_GET_RID);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, rid);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		row_to_customer(q, out); /* valid until the statement is next reset */
		return 0;
	}
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 1 : pv_sqlite_fail(s, "read customer");
}

int pv_sqlite_customer_set_group(struct pv_store *s, int64_t rid, int group,
				const uint8_t *sealed, size_t len)
{
	static const char *const sql[PV_GROUPS] = {
		"UPDATE customers SET g_basic = ?1 WHERE rid = ?2",
		"UPDATE customers SET g_financial = ?1 WHERE rid = ?2",
		"UPDATE customers SET g_other = ?1 WHERE rid = ?2",
	};
	if (group < 0 || group >= PV_GROUPS)
		return pv_sqlite_note_failure(s, "no sealed group %d", group);
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql[group]);
	if (!q)
		return -1;
	sqlite3_bind_blob(q, 1, sealed, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, rid);
	return pv_sqlite_run(s, q, "update customer");
}

struct customer_walk {
	pv_store_customer_fn fn;
	void *ctx;
};

static int customer_row(void *p, sqlite3_stmt *q)
{
	struct customer_walk *w = p;
	struct pv_stored_customer c;
	row_to_customer(q, &c);
	return w->fn(w->ctx, &c);
}

int pv_sqlite_customer_scan(struct pv_store *s, const char *after, size_t limit,
			   pv_store_customer_fn fn, void *ctx)
{
	pv_sqlite_walk_begins(s);
	/* A statement of its own, so fn may call other store functions. */
	const char *sql = after ? SQL_CUST_SCAN_FROM : SQL_CUST_SCAN_ALL;
	int64_t most = limit ? (int64_t)limit : -1;
	struct customer_walk w = { fn, ctx };
	return pv_sqlite_rows_with(s, sql, after, &most, 1, customer_row, &w, "scan customers");
}

int pv_sqlite_customer_count(struct pv_store *s, uint64_t *n)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_CUST_COUNT);
	if (!q)
		return -1;
	if (sqlite3_step(q) != SQLITE_ROW)
		return pv_sqlite_fail(s, "count customers");
	*n = (uint64_t)sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	return 0;
}

int pv_sqlite_customer_id(struct pv_store *s, int64_t rid, char *id, size_t cap)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_CUST_ID);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, rid);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		snprintf(id, cap, "%s", (const char *)sqlite3_column_text(q, 0));
	sqlite3_reset(q);
	if (rc == SQLITE_DONE)
		return 1;
	return rc == SQLITE_ROW ? 0 : pv_sqlite_fail(s, "read customer id");
}

int pv_sqlite_customer_set_wdek(struct pv_store *s, int64_t rid, uint32_t gen,
			       const uint8_t *wdek, size_t len)
{
	static const char sql[] = "UPDATE customers SET bucket_gen = ?2, wdek = ?3 WHERE rid = ?1";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, rid);
	sqlite3_bind_int64(q, 2, gen);
	sqlite3_bind_blob(q, 3, wdek, (int)len, SQLITE_STATIC);
	return pv_sqlite_run(s, q, "re-wrap a data key");
}

int pv_sqlite_customer_set_sealed(struct pv_store *s, int64_t rid, uint32_t dek_version,
				 const uint8_t *wdek, size_t wdek_len,
				 const uint8_t *const group[PV_GROUPS],
				 const size_t group_len[PV_GROUPS])
{
	static const char sql[] = "UPDATE customers SET dek_version = ?2, wdek = ?3, g_basic = ?4, "
				  "g_financial = ?5, g_other = ?6 WHERE rid = ?1";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, rid);
	sqlite3_bind_int64(q, 2, dek_version);
	sqlite3_bind_blob(q, 3, wdek, (int)wdek_len, SQLITE_STATIC);
	for (int g = 0; g < PV_GROUPS; g++)
		sqlite3_bind_blob(q, 4 + g, group[g], (int)group_len[g], SQLITE_STATIC);
	return pv_sqlite_run(s, q, "re-seal a customer");
}

int pv_sqlite_customer_scan_bucket_range(struct pv_store *s, uint32_t lo, uint32_t hi,
					pv_store_customer_fn fn, void *ctx)
{
	pv_sqlite_walk_begins(s);
	/* "+bucket": no index, a pass in row order (rows are rewritten as they come) */
	static const char sql[] =
		"SELECT rid, id, bucket, bucket_gen, dek_version, wdek, g_basic, g_financial, "
		"g_other FROM customers WHERE +bucket >= ?1 AND +bucket < ?2 ORDER BY rid";
	const int64_t range[2] = { lo, hi };
	struct customer_walk w = { fn, ctx };
	return pv_sqlite_rows_with(s, sql, NULL, range, 2, customer_row, &w, "scan buckets");
}

int pv_sqlite_bucket_behind(struct pv_store *s, uint32_t bucket, uint32_t gen)
{
	static const char sql[] = "SELECT EXISTS(SELECT 1 FROM customers "
				  "WHERE bucket = ?1 AND bucket_gen < ?2)";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, bucket);
	sqlite3_bind_int64(q, 2, gen);
	if (sqlite3_step(q) != SQLITE_ROW)
		return pv_sqlite_fail(s, "read bucket generations");
	int behind = sqlite3_column_int(q, 0) != 0;
	s->bucket_checks.queries++;
	s->bucket_checks.steps += (uint64_t)sqlite3_stmt_status(q, SQLITE_STMTSTATUS_VM_STEP, 1);
	s->bucket_checks.scan_steps +=
		(uint64_t)sqlite3_stmt_status(q, SQLITE_STMTSTATUS_FULLSCAN_STEP, 1);
	sqlite3_reset(q);
	return behind;
}

struct pv_store_bucket_checks pv_sqlite_bucket_check_counts(const struct pv_store *s)
{
	return s->bucket_checks;
}

struct gens_walk {
	int (*fn)(void *ctx, uint32_t bucket, uint32_t gen, uint64_t customers);
	void *ctx;
};

static int gens_row(void *ctx, sqlite3_stmt *q)
{
	struct gens_walk *w = ctx;
	return w->fn(w->ctx, (uint32_t)sqlite3_column_int64(q, 0),
		     (uint32_t)sqlite3_column_int64(q, 1), (uint64_t)sqlite3_column_int64(q, 2));
}

int pv_sqlite_bucket_gens(struct pv_store *s,
			 int (*fn)(void *ctx, uint32_t bucket, uint32_t gen, uint64_t customers),
			 void *ctx)
{
	/* read off the index customers_bucket(bucket, bucket_gen), not the table; an
	 * unfinished import's rows are not customers yet (the next import removes them) */
	static const char sql[] = "SELECT bucket, bucket_gen, count(*) FROM customers WHERE"
				  PV_SQL_VISIBLE("rid") "GROUP BY bucket, bucket_gen";
	struct gens_walk w = { fn, ctx };
	return pv_sqlite_rows(s, sql, NULL, gens_row, &w, "count customers per bucket key");
}

/* ---- Accuracy reviews ---- */

int pv_sqlite_review_confirm(struct pv_store *s, const char *customer, const char *day,
			    const char *channel, const char *by)
{
	static const char sql[] = "INSERT OR REPLACE INTO reviews(customer, confirmed, channel, "
				  "confirmed_by) VALUES (?1, ?2, ?3, ?4)";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	const char *t[] = { customer, day, channel, by };
	for (int i = 0; i < 4; i++)
		sqlite3_bind_text(q, i + 1, t[i], -1, SQLITE_TRANSIENT);
	return pv_sqlite_run(s, q, "record a confirmation");
}

struct review_walk {
	int (*fn)(void *ctx, const struct pv_stored_customer *c, const char *last);
	void *ctx;
};

static int review_row(void *p, sqlite3_stmt *q)
{
	struct review_walk *w = p;
	struct pv_stored_customer c;
	row_to_customer(q, &c);
	return w->fn(w->ctx, &c, (const char *)sqlite3_column_text(q, 9));
}

int pv_sqlite_review_due(struct pv_store *s, const char *before,
			int (*fn)(void *ctx, const struct pv_stored_customer *c, const char *last),
			void *ctx)
{
	static const char sql[] =
		"SELECT c.rid, c.id, c.bucket, c.bucket_gen, c.dek_version, c.wdek, c.g_basic, "
		"c.g_financial, c.g_other, coalesce(r.confirmed, c.confirmed) AS last "
		"FROM customers c LEFT JOIN reviews r ON r.customer = c.id "
		"WHERE last < ?1 AND" PV_SQL_VISIBLE("c.rid") "ORDER BY last, c.id";
	struct review_walk w = { fn, ctx };
	return pv_sqlite_rows(s, sql, before, review_row, &w, "scan reviews");
}
