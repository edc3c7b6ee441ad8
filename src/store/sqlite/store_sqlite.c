/* SPDX-License-Identifier: Apache-2.0 */
/* store_sqlite.c: the embedded storage: one SQLite database in WAL mode with
 * secure_delete on, holding only sealed data, blind-index hashes and metadata. */
#include "store_sqlite.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum stmt_id {
	ST_META_GET, ST_META_PUT, ST_FIELD_GET, ST_FIELD_PUT, ST_CUST_INSERT, ST_CUST_GET,
	ST_CUST_GET_RID, ST_CUST_SCAN_FROM, ST_CUST_SCAN_ALL, ST_CUST_COUNT, ST_CUST_ID,
	ST_CONSENT_PUT, ST_CONSENT_SCAN, ST_COUNT_
};

static const char *const stmt_sql[ST_COUNT_] = {
	[ST_META_GET] = "SELECT v FROM meta WHERE k = ?1",
	[ST_META_PUT] = "INSERT OR REPLACE INTO meta(k, v) VALUES (?1, ?2)",
	[ST_FIELD_GET] = "SELECT num FROM fields WHERE name = ?1",
	[ST_FIELD_PUT] = "INSERT INTO fields(name, num) "
			 "VALUES (?1, (SELECT coalesce(max(num), 0) + 1 FROM fields))",
	[ST_CUST_INSERT] = "INSERT INTO customers(id, bucket, bucket_gen, dek_version, wdek, "
			   "g_basic, g_financial, g_other) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
	[ST_CUST_GET] = "SELECT rid, id, bucket, bucket_gen, dek_version, wdek, g_basic, "
			"g_financial, g_other FROM customers WHERE id = ?1 AND"
			PV_SQL_VISIBLE("rid"),
	[ST_CUST_GET_RID] = "SELECT rid, id, bucket, bucket_gen, dek_version, wdek, g_basic, "
			    "g_financial, g_other FROM customers WHERE rid = ?1 AND"
			    PV_SQL_VISIBLE("rid"),
	[ST_CUST_SCAN_FROM] = "SELECT rid, id, bucket, bucket_gen, dek_version, wdek, g_basic, "
			      "g_financial, g_other FROM customers WHERE id > ?1 AND"
			      PV_SQL_VISIBLE("rid") "ORDER BY id LIMIT ?2",
	[ST_CUST_SCAN_ALL] = "SELECT rid, id, bucket, bucket_gen, dek_version, wdek, g_basic, "
			     "g_financial, g_other FROM customers WHERE" PV_SQL_VISIBLE("rid")
			     "ORDER BY id LIMIT ?1",
	[ST_CUST_COUNT] = "SELECT count(*) FROM customers WHERE" PV_SQL_VISIBLE("rid"),
	[ST_CUST_ID] = "SELECT id FROM customers WHERE rid = ?1", /* an import's own too */
	[ST_CONSENT_PUT] = "INSERT OR REPLACE INTO consents(rid, purpose, granted, at, channel) "
			   "VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_CONSENT_SCAN] = "SELECT purpose, granted FROM consents WHERE rid = ?1 "
			    "ORDER BY purpose",
};

static const char schema_sql[] =
	"CREATE TABLE meta(k TEXT PRIMARY KEY, v BLOB NOT NULL);"
	"CREATE TABLE fields(name TEXT PRIMARY KEY, num INTEGER NOT NULL UNIQUE);"
	"CREATE TABLE customers("
	"  rid INTEGER PRIMARY KEY,"
	"  id TEXT NOT NULL UNIQUE,"
	"  bucket INTEGER NOT NULL,"
	"  bucket_gen INTEGER NOT NULL,"
	"  dek_version INTEGER NOT NULL,"
	"  wdek BLOB NOT NULL,"
	"  g_basic BLOB, g_financial BLOB, g_other BLOB,"
	"  confirmed TEXT NOT NULL DEFAULT CURRENT_DATE);"
	"CREATE TABLE consents(rid INTEGER NOT NULL, purpose TEXT NOT NULL,"
	"  granted INTEGER NOT NULL, at TEXT NOT NULL, channel TEXT NOT NULL,"
	"  PRIMARY KEY(rid, purpose)) WITHOUT ROWID;";

/* Tables added since the first format, created when missing at every open. */
static const char later_sql[] =
	"CREATE TABLE IF NOT EXISTS reviews(customer TEXT PRIMARY KEY, confirmed TEXT NOT NULL,"
	"  channel TEXT NOT NULL, confirmed_by TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS consent_log(entry INTEGER PRIMARY KEY,"
	"  customer TEXT NOT NULL, purpose TEXT NOT NULL, granted INTEGER NOT NULL,"
	"  at TEXT NOT NULL, channel TEXT NOT NULL, text_version TEXT NOT NULL,"
	"  recorded_by TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS consent_log_customer ON consent_log(customer, entry);"
	/* customers by bucket and generation: a keyring journal left by a crash is checked
	 * at open by one index lookup per journalled slot (pv_store_bucket_behind), not one
	 * table scan per slot; it replaces the index a rekey made while under way */
	"CREATE INDEX IF NOT EXISTS customers_bucket ON customers(bucket, bucket_gen);"
	"DROP INDEX IF EXISTS customers_rekey;";

/* What the disk said, when SQLite's own message hides it: an I/O error whose cause is a
 * full disk (ENOSPC, as when the shared-memory or log file cannot grow) reads "disk I/O
 * error" alone. "" when there is nothing to add. */
static const char *os_cause(sqlite3 *db)
{
	if ((sqlite3_extended_errcode(db) & 0xff) != SQLITE_IOERR)
		return "";
	int e = sqlite3_system_errno(db);
	return e == ENOSPC ? " (no space left on device: the disk is full)"
	       : e == EDQUOT ? " (disk quota exceeded: the disk is full for this user)" : "";
}

int pv_sqlite_fail(struct pv_store *s, const char *what)
{
	if (pv_sqlite_failed_busy(s))
		return pv_store_note_busy(s);
	s->busy = 0;
	snprintf(s->err, sizeof s->err, "%s: %s%s", what, sqlite3_errmsg(s->db), os_cause(s->db));
	return -1;
}

int pv_sqlite_row_by_key(struct pv_store *s, sqlite3_stmt *q, const char *key,
			 const char *what)
{
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		return 0;
	int got = rc == SQLITE_DONE ? 1 : pv_sqlite_fail(s, what);
	sqlite3_reset(q);
	return got;
}

void pv_sqlite_fresh(struct pv_store *s, const char *keep)
{
	if (!sqlite3_get_autocommit(s->db))
		return;
	for (size_t i = 0; i < s->ncache; i++)
		if (s->cache[i].sql != keep && sqlite3_stmt_busy(s->cache[i].q))
			sqlite3_reset(s->cache[i].q);
}

sqlite3_stmt *pv_sqlite_stmt(struct pv_store *s, const char *sql)
{
	pv_sqlite_fresh(s, sql);
	for (size_t i = 0; i < s->ncache; i++) {
		if (s->cache[i].sql == sql) {
			sqlite3_reset(s->cache[i].q);
			sqlite3_clear_bindings(s->cache[i].q);
			return s->cache[i].q;
		}
	}
	if (s->ncache == s->capcache) {
		size_t cap = s->capcache ? 2 * s->capcache : 32;
		struct pv_sqlite_cached *c = realloc(s->cache, cap * sizeof *c);
		if (!c) {
			snprintf(s->err, sizeof s->err, "out of memory");
			return NULL;
		}
		s->cache = c;
		s->capcache = cap;
	}
	sqlite3_stmt *q;
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &q, NULL) != SQLITE_OK) {
		pv_sqlite_fail(s, "prepare");
		return NULL;
	}
	s->cache[s->ncache++] = (struct pv_sqlite_cached){ sql, q };
	return q;
}

int pv_sqlite_run(struct pv_store *s, sqlite3_stmt *q, const char *what)
{
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : pv_sqlite_fail(s, what);
}

int pv_sqlite_exec(struct pv_store *s, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int busy = pv_sqlite_failed_busy(s);
		s->busy = 0;
		snprintf(s->err, sizeof s->err, "%s%s", msg ? msg : "database error",
			 os_cause(s->db));
		sqlite3_free(msg);
		return busy ? pv_store_note_busy(s) : -1;
	}
	return 0;
}

/* Shorthands for this file. */
#define fail pv_sqlite_fail
#define run pv_sqlite_run
#define exec pv_sqlite_exec

static sqlite3_stmt *stmt(struct pv_store *s, enum stmt_id id)
{
	return pv_sqlite_stmt(s, stmt_sql[id]);
}

struct pv_store *pv_store_open(const char *path, int create, char *err, size_t errlen)
{
	struct pv_store *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open database %s: %s", path,
			 s->db ? sqlite3_errmsg(s->db) : "out of memory");
		pv_store_close(s);
		return NULL;
	}
	sqlite3_extended_result_codes(s->db, 1);
	pv_sqlite_wait_setup(s);
	/* secure_delete: freed pages are zeroed, so deleted rows leave no ciphertext behind;
	 * the cache is bounded so memory does not grow with the vault. */
	const char *setup = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			    "PRAGMA secure_delete=ON; PRAGMA foreign_keys=ON;"
			    "PRAGMA cache_size=-16384; PRAGMA temp_store=FILE;";
	/* Records are a few hundred bytes: 16 KiB pages hold them with less waste and fewer
	 * B-tree levels than the default 4 KiB (set before the first table exists). */
	if ((create && exec(s, "PRAGMA page_size=16384") != 0) || exec(s, setup) != 0 ||
	    (create && exec(s, schema_sql) != 0) || exec(s, pv_sqlite_index_tables) != 0 ||
	    exec(s, pv_sqlite_audit_tables) != 0 || exec(s, pv_sqlite_users_tables) != 0 ||
	    exec(s, pv_sqlite_requests_tables) != 0 || exec(s, pv_sqlite_holds_tables) != 0 ||
	    exec(s, pv_sqlite_notices_tables) != 0 || exec(s, pv_sqlite_dsr_tables) != 0 ||
	    exec(s, pv_sqlite_complaint_tables) != 0 || exec(s, pv_sqlite_transfer_tables) != 0 ||
	    exec(s, pv_sqlite_authz_tables) != 0 || exec(s, pv_sqlite_ledger_tables) != 0 ||
	    exec(s, pv_sqlite_import_tables) != 0 ||
	    exec(s, later_sql) != 0) {
		snprintf(err, errlen, "cannot set up database %s: %s", path, s->err);
		int busy = s->busy;
		pv_store_close(s);
		errno = busy ? EBUSY : 0;
		return NULL;
	}
	if (!create) { /* one row or none is enough to know the table is there (a count
			* would read the whole table) */
		sqlite3_stmt *q = pv_sqlite_stmt(s, "SELECT rid FROM customers LIMIT 1");
		int st = q ? sqlite3_step(q) : SQLITE_ERROR;
		if (st != SQLITE_ROW && st != SQLITE_DONE) {
			snprintf(err, errlen, "%s is not a pivault database: %s", path,
				 sqlite3_errmsg(s->db));
			pv_store_close(s);
			return NULL;
		}
		sqlite3_reset(q);
	}
	return s;
}

void pv_store_close_untouched(struct pv_store *s)
{
	if (s)
		sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	pv_store_close(s);
}

void pv_store_close(struct pv_store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ncache; i++)
		sqlite3_finalize(s->cache[i].q);
	free(s->cache);
	pv_store_index_group_free(s);
	sqlite3_close(s->db);
	free(s);
}

const char *pv_store_errmsg(struct pv_store *s)
{
	return s->err;
}

/* Transactions nest: the outermost is a real one, inner ones are savepoints, so an
 * operation can run inside a caller's batch (pv_vault_batch_begin). */
int pv_store_begin(struct pv_store *s)
{
	if (s->depth > 0 && sqlite3_get_autocommit(s->db))
		s->depth = 0; /* SQLite rolled the outer transaction back on an error */
	if (s->depth == 0) {
		/* A statement left on a borrowed row holds an older read snapshot, which could
		 * not become a write transaction: end those reads first. */
		for (size_t i = 0; i < s->ncache; i++)
			sqlite3_reset(s->cache[i].q);
		s->busy = 0;
		s->wait.waited = 0;
		if (exec(s, "BEGIN IMMEDIATE") != 0)
			return -1;
		s->txn = ++s->txn_counter;
	} else {
		char sql[32];
		snprintf(sql, sizeof sql, "SAVEPOINT pv%d", s->depth);
		if (exec(s, sql) != 0)
			return -1;
	}
	s->depth++;
	return 0;
}

/* The most SQLite maps (its default SQLITE_MAX_MMAP_SIZE); a larger vault's tail is read
 * as usual. */
#define MAP_BYTES "2147418112"

void pv_store_map_reads(struct pv_store *s, int on)
{
	if (s->mapped == !!on)
		return;
	/* a failure only leaves reads as they were: nothing to report */
	if (exec(s, on ? "PRAGMA mmap_size=" MAP_BYTES : "PRAGMA mmap_size=0") == 0)
		s->mapped = !!on;
}

void pv_sqlite_walk_begins(struct pv_store *s)
{
	pv_store_map_reads(s, 0);
}

uint64_t pv_store_txn_id(struct pv_store *s)
{
	return sqlite3_get_autocommit(s->db) ? 0 : s->txn;
}

/* In the write-ahead log with synchronous=NORMAL a commit reaches the disk only at the
 * next checkpoint: a power loss could take back an audit entry for data already shown. A
 * commit carrying an entry is therefore followed by a sync of the log (one fdatasync, on
 * SQLite's own handle of it) before it returns; other commits keep NORMAL's cost. */
static int sync_log(struct pv_store *s)
{
	sqlite3_file *log = NULL;
	if (sqlite3_file_control(s->db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &log) != SQLITE_OK)
		return 0;
	if (!log || !log->pMethods)
		return 0; /* no log open: nothing was written to one */
	if (log->pMethods->xSync(log, SQLITE_SYNC_NORMAL) != SQLITE_OK) {
		snprintf(s->err, sizeof s->err, "the audit entry could not be synced to disk");
		return -1;
	}
	return 0;
}

void pv_store_release_rows(struct pv_store *s)
{
	for (size_t i = 0; i < s->ncache; i++)
		sqlite3_reset(s->cache[i].q);
}

int pv_store_commit(struct pv_store *s)
{
	if (s->depth == 0) {
		snprintf(s->err, sizeof s->err, "commit without a transaction");
		return -1;
	}
	char sql[32];
	if (s->depth == 1)
		snprintf(sql, sizeof sql, "COMMIT");
	else
		snprintf(sql, sizeof sql, "RELEASE pv%d", s->depth - 1);
	if (exec(s, sql) != 0)
		return -1; /* still open: the caller rolls back */
	s->depth--;
	if (s->depth == 0 && s->audited) {
		s->audited = 0;
		return sync_log(s);
	}
	return 0;
}

int pv_store_rollback(struct pv_store *s)
{
	s->flags_known = 0; /* what the transaction saw of the flags may not stand */
	pv_store_index_group_discard(s);
	if (sqlite3_get_autocommit(s->db)) {
		s->depth = 0;
		s->audited = 0;
		return 0;
	}
	if (s->depth <= 1) {
		s->depth = 0;
		s->audited = 0;
		return exec(s, "ROLLBACK");
	}
	s->depth--;
	char sql[64];
	snprintf(sql, sizeof sql, "ROLLBACK TO pv%d; RELEASE pv%d", s->depth, s->depth);
	return exec(s, sql);
}

int pv_store_meta_get(struct pv_store *s, const char *key, uint8_t **val, size_t *len)
{
	sqlite3_stmt *q = stmt(s, ST_META_GET);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(q);
		return 1;
	}
	if (rc != SQLITE_ROW)
		return fail(s, "read metadata");
	size_t n = (size_t)sqlite3_column_bytes(q, 0);
	uint8_t *p = malloc(n + 1);
	if (!p) {
		sqlite3_reset(q);
		snprintf(s->err, sizeof s->err, "out of memory");
		return -1;
	}
	if (n)
		memcpy(p, sqlite3_column_blob(q, 0), n);
	p[n] = 0;
	sqlite3_reset(q);
	*val = p;
	if (len)
		*len = n;
	return 0;
}

int pv_store_meta_put(struct pv_store *s, const char *key, const void *val, size_t len)
{
	sqlite3_stmt *q = stmt(s, ST_META_PUT);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 2, val, (int)len, SQLITE_STATIC);
	return run(s, q, "write metadata");
}

int pv_store_field_number(struct pv_store *s, const char *name, int *num)
{
	for (int pass = 0; pass < 2; pass++) {
		sqlite3_stmt *q = stmt(s, ST_FIELD_GET);
		if (!q)
			return -1;
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
		int rc = sqlite3_step(q);
		if (rc == SQLITE_ROW) {
			*num = sqlite3_column_int(q, 0);
			sqlite3_reset(q);
			return 0;
		}
		sqlite3_reset(q);
		if (rc != SQLITE_DONE)
			return fail(s, "read field numbers");
		q = stmt(s, ST_FIELD_PUT);
		if (!q)
			return -1;
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
		if (run(s, q, "number a field") != 0)
			return -1;
	}
	snprintf(s->err, sizeof s->err, "cannot number field");
	return -1;
}

int pv_store_customer_insert(struct pv_store *s, const struct pv_stored_customer *c,
			     int64_t *rid)
{
	sqlite3_stmt *q = stmt(s, ST_CUST_INSERT);
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
		return fail(s, "insert customer");
	*rid = sqlite3_last_insert_rowid(s->db);
	return 0;
}

/* Fill out from the current row of a customer query (columns as in ST_CUST_GET). */
/* Column i as a u32; sets *bad when the stored value is not one. */
static uint32_t column_u32(sqlite3_stmt *q, int i, int *bad)
{
	sqlite3_int64 x = sqlite3_column_int64(q, i);
	if (sqlite3_column_type(q, i) != SQLITE_INTEGER || x < 0 || x > (sqlite3_int64)UINT32_MAX)
		*bad = 1;
	return (uint32_t)x;
}

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

int pv_store_customer_get(struct pv_store *s, const char *id, struct pv_stored_customer *out)
{
	sqlite3_stmt *q = stmt(s, ST_CUST_GET);
	int got = pv_sqlite_row_by_key(s, q, id, "read customer");
	if (got == 0)
		row_to_customer(q, out); /* valid until the statement is next reset */
	return got;
}

int pv_store_customer_get_rid(struct pv_store *s, int64_t rid, struct pv_stored_customer *out)
{
	sqlite3_stmt *q = stmt(s, ST_CUST_GET_RID);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, rid);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		row_to_customer(q, out); /* valid until the statement is next reset */
		return 0;
	}
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 1 : fail(s, "read customer");
}

int pv_store_customer_set_group(struct pv_store *s, int64_t rid, int group,
				const uint8_t *sealed, size_t len)
{
	static const char *const sql[PV_GROUPS] = {
		"UPDATE customers SET g_basic = ?1 WHERE rid = ?2",
		"UPDATE customers SET g_financial = ?1 WHERE rid = ?2",
		"UPDATE customers SET g_other = ?1 WHERE rid = ?2",
	};
	if (group < 0 || group >= PV_GROUPS)
		return -1;
	sqlite3_stmt *q;
	pv_sqlite_fresh(s, NULL);
	if (sqlite3_prepare_v2(s->db, sql[group], -1, &q, NULL) != SQLITE_OK)
		return fail(s, "prepare update");
	sqlite3_bind_blob(q, 1, sealed, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, rid);
	int rc = run(s, q, "update customer");
	sqlite3_finalize(q);
	return rc;
}

int pv_store_customer_scan(struct pv_store *s, const char *after, size_t limit,
			   pv_store_customer_fn fn, void *ctx)
{
	pv_sqlite_walk_begins(s);
	/* A statement of its own, so fn may call other store functions. */
	sqlite3_stmt *q;
	const char *sql = stmt_sql[after ? ST_CUST_SCAN_FROM : ST_CUST_SCAN_ALL];
	pv_sqlite_fresh(s, NULL);
	if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK)
		return fail(s, "prepare scan");
	int p = 1;
	if (after)
		sqlite3_bind_text(q, p++, after, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, p, limit ? (sqlite3_int64)limit : -1);
	int rc, stop = 0;
	while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct pv_stored_customer c;
		row_to_customer(q, &c);
		stop = fn(ctx, &c);
	}
	if (!stop && rc != SQLITE_DONE)
		stop = fail(s, "scan customers");
	sqlite3_finalize(q);
	return stop;
}

int pv_store_customer_count(struct pv_store *s, uint64_t *n)
{
	sqlite3_stmt *q = stmt(s, ST_CUST_COUNT);
	if (!q)
		return -1;
	if (sqlite3_step(q) != SQLITE_ROW)
		return fail(s, "count customers");
	*n = (uint64_t)sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	return 0;
}

int pv_store_customer_id(struct pv_store *s, int64_t rid, char *id, size_t cap)
{
	sqlite3_stmt *q = stmt(s, ST_CUST_ID);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, rid);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		snprintf(id, cap, "%s", (const char *)sqlite3_column_text(q, 0));
	sqlite3_reset(q);
	if (rc == SQLITE_DONE)
		return 1;
	return rc == SQLITE_ROW ? 0 : fail(s, "read customer id");
}

int pv_store_consent_put(struct pv_store *s, int64_t rid, const char *purpose, int granted,
			 const char *at, const char *channel)
{
	sqlite3_stmt *q = stmt(s, ST_CONSENT_PUT);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, rid);
	sqlite3_bind_text(q, 2, purpose, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 3, granted ? 1 : 0);
	sqlite3_bind_text(q, 4, at, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, channel, -1, SQLITE_STATIC);
	return run(s, q, "write consent");
}

int pv_store_consent_scan(struct pv_store *s, int64_t rid,
			  int (*fn)(void *ctx, const char *purpose, int granted), void *ctx)
{
	sqlite3_stmt *q = stmt(s, ST_CONSENT_SCAN);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, rid);
	int rc, stop = 0;
	while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW)
		stop = fn(ctx, (const char *)sqlite3_column_text(q, 0), sqlite3_column_int(q, 1));
	if (!stop && rc != SQLITE_DONE)
		stop = fail(s, "read consents");
	sqlite3_reset(q);
	return stop < 0 ? -1 : 0;
}

int pv_store_checkpoint(struct pv_store *s)
{
	for (size_t i = 0; i < s->ncache; i++) /* end any read a borrowed row still holds */
		sqlite3_reset(s->cache[i].q);
	int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	return rc == SQLITE_OK ? 0 : fail(s, "checkpoint");
}

int pv_store_customer_set_wdek(struct pv_store *s, int64_t rid, uint32_t gen,
			       const uint8_t *wdek, size_t len)
{
	static const char sql[] = "UPDATE customers SET bucket_gen = ?2, wdek = ?3 WHERE rid = ?1";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, rid);
	sqlite3_bind_int64(q, 2, gen);
	sqlite3_bind_blob(q, 3, wdek, (int)len, SQLITE_STATIC);
	return run(s, q, "re-wrap a data key");
}

/* ---- Re-wrapping in one pass (shreds) ---- */

struct rewrap_pass {
	const struct pv_store_rewrap *how;
	int failed;
};

static uint32_t value_u32(sqlite3_value *v, int *bad)
{
	sqlite3_int64 x = sqlite3_value_int64(v);
	if (x < 0 || x > UINT32_MAX)
		*bad = 1;
	return (uint32_t)x;
}

/* pv_rewrap_affected(bucket): 1 for a bucket whose data keys are re-wrapped. */
static void sql_affected(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	(void)argc;
	struct rewrap_pass *p = sqlite3_user_data(cx);
	int bad = 0;
	uint32_t bucket = value_u32(argv[0], &bad);
	sqlite3_result_int(cx, !bad && p->how->new_gen(p->how->ctx, bucket) != 0);
}

/* pv_rewrap_gen(bucket): the bucket's new generation. */
static void sql_new_gen(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	(void)argc;
	struct rewrap_pass *p = sqlite3_user_data(cx);
	int bad = 0;
	sqlite3_result_int64(cx, p->how->new_gen(p->how->ctx, value_u32(argv[0], &bad)));
}

/* pv_rewrap(rid, id, bucket, bucket_gen, dek_version, wdek): the data key re-wrapped. */
static void sql_rewrap(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	(void)argc;
	struct rewrap_pass *p = sqlite3_user_data(cx);
	struct pv_stored_customer c = { 0 };
	uint8_t out[PV_KEY_BYTES + PV_SEAL_OVERHEAD];
	c.rid = sqlite3_value_int64(argv[0]);
	c.id = (const char *)sqlite3_value_text(argv[1]);
	c.bucket = value_u32(argv[2], &c.malformed);
	c.bucket_gen = value_u32(argv[3], &c.malformed);
	c.dek_version = value_u32(argv[4], &c.malformed);
	c.wdek = sqlite3_value_blob(argv[5]);
	c.wdek_len = (size_t)sqlite3_value_bytes(argv[5]);
	if (!c.id || p->how->fn(p->how->ctx, &c, out) != 0) {
		p->failed = 1;
		sqlite3_result_error(cx, "re-wrapping a data key failed", -1);
		return;
	}
	sqlite3_result_blob(cx, out, sizeof out, SQLITE_TRANSIENT);
}

#define REWRAP_ROWS 8192 /* rows removed and re-wrapped at a time: a few MiB of pages */

/* Within [lo, hi) of the row ids: remove the doomed customers, then re-wrap the data keys
 * of the others in re-keyed buckets. */
static int remove_rewrap_range(struct pv_store *s, sqlite3_stmt *del, sqlite3_stmt *upd,
			       int64_t lo, int64_t hi)
{
	sqlite3_stmt *q[2] = { del, upd };
	for (int i = 0; i < 2; i++) {
		sqlite3_bind_int64(q[i], 1, lo);
		sqlite3_bind_int64(q[i], 2, hi);
		int rc = sqlite3_step(q[i]);
		sqlite3_reset(q[i]);
		if (rc != SQLITE_DONE)
			return fail(s, i ? "re-wrap data keys" : "remove customers");
	}
	return 0;
}

int pv_store_doomed_remove_rewrap(struct pv_store *s, const struct pv_store_rewrap *how)
{
	pv_sqlite_walk_begins(s);
	static const char del_sql[] =
		"DELETE FROM customers WHERE rid IN "
		"  (SELECT rid FROM temp.doomed WHERE rid >= ?1 AND rid < ?2)";
	static const char upd_sql[] =
		"UPDATE customers SET wdek = pv_rewrap(rid, id, bucket, bucket_gen, dek_version, wdek),"
		"  bucket_gen = pv_rewrap_gen(bucket)"
		"  WHERE rid >= ?1 AND rid < ?2 AND pv_rewrap_affected(bucket)";
	struct rewrap_pass p = { how, 0 };
	const int flags = SQLITE_UTF8 | SQLITE_DIRECTONLY;
	if (pv_sqlite_doomed_remove_related(s) != 0)
		return -1;
	int64_t top = 0;
	sqlite3_stmt *q = pv_sqlite_stmt(s, "SELECT max(rid) FROM customers");
	if (!q || sqlite3_step(q) != SQLITE_ROW)
		return q ? fail(s, "read customers") : -1;
	top = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	int rc = sqlite3_create_function_v2(s->db, "pv_rewrap", 6, flags, &p, sql_rewrap, NULL,
					    NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function_v2(s->db, "pv_rewrap_gen", 1, flags, &p, sql_new_gen,
						NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function_v2(s->db, "pv_rewrap_affected", 1, flags, &p,
						sql_affected, NULL, NULL, NULL);
	/* statements of their own: they name functions that live only for this pass */
	sqlite3_stmt *del = NULL, *upd = NULL;
	int st = rc == SQLITE_OK ? 0 : fail(s, "register re-wrap functions");
	if (!st && (sqlite3_prepare_v2(s->db, del_sql, -1, &del, NULL) != SQLITE_OK ||
		    sqlite3_prepare_v2(s->db, upd_sql, -1, &upd, NULL) != SQLITE_OK))
		st = fail(s, "prepare the removal");
	for (int64_t lo = 1; !st && lo <= top; lo += REWRAP_ROWS)
		st = remove_rewrap_range(s, del, upd, lo, lo + REWRAP_ROWS);
	sqlite3_finalize(del);
	sqlite3_finalize(upd);
	sqlite3_create_function_v2(s->db, "pv_rewrap", 6, flags, NULL, NULL, NULL, NULL, NULL);
	sqlite3_create_function_v2(s->db, "pv_rewrap_gen", 1, flags, NULL, NULL, NULL, NULL, NULL);
	sqlite3_create_function_v2(s->db, "pv_rewrap_affected", 1, flags, NULL, NULL, NULL, NULL,
				   NULL);
	if (st || p.failed)
		return -1;
	if (pv_sqlite_index_remove_doomed(s) != 0)
		return -1;
	return pv_sqlite_exec(s, "DELETE FROM temp.doomed;");
}

int pv_store_bucket_behind(struct pv_store *s, uint32_t bucket, uint32_t gen)
{
	static const char sql[] = "SELECT EXISTS(SELECT 1 FROM customers "
				  "WHERE bucket = ?1 AND bucket_gen < ?2)";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, bucket);
	sqlite3_bind_int64(q, 2, gen);
	if (sqlite3_step(q) != SQLITE_ROW)
		return fail(s, "read bucket generations");
	int behind = sqlite3_column_int(q, 0) != 0;
	s->bucket_checks.queries++;
	s->bucket_checks.steps += (uint64_t)sqlite3_stmt_status(q, SQLITE_STMTSTATUS_VM_STEP, 1);
	s->bucket_checks.scan_steps +=
		(uint64_t)sqlite3_stmt_status(q, SQLITE_STMTSTATUS_FULLSCAN_STEP, 1);
	sqlite3_reset(q);
	return behind;
}

struct pv_store_bucket_checks pv_store_bucket_check_counts(const struct pv_store *s)
{
	return s->bucket_checks;
}

int pv_store_consent_state(struct pv_store *s, int64_t rid, const char *purpose)
{
	static const char sql[] = "SELECT granted FROM consents WHERE rid = ?1 AND purpose = ?2";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, rid);
	sqlite3_bind_text(q, 2, purpose, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q), state = 0;
	if (rc == SQLITE_ROW)
		state = sqlite3_column_int(q, 0) ? 1 : 0;
	sqlite3_reset(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? state : fail(s, "read consent");
}

int pv_store_consent_log(struct pv_store *s, const struct pv_consent_event_row *e)
{
	static const char sql[] =
		"INSERT INTO consent_log(customer, purpose, granted, at, channel, text_version, "
		"recorded_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, e->customer, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, e->purpose, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 3, e->granted ? 1 : 0);
	sqlite3_bind_text(q, 4, e->at, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, e->channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 6, e->text_version, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 7, e->recorded_by, -1, SQLITE_STATIC);
	return run(s, q, "record a consent");
}

int pv_sqlite_rows(struct pv_store *s, const char *sql, const char *key,
		   int (*row)(void *ctx, sqlite3_stmt *q), void *ctx, const char *what)
{
	sqlite3_stmt *q;
	pv_sqlite_fresh(s, NULL);
	if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK)
		return fail(s, what);
	if (key)
		sqlite3_bind_text(q, 1, key, -1, SQLITE_TRANSIENT);
	int rc, stop = 0;
	while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW)
		stop = row(ctx, q);
	if (!stop && rc != SQLITE_DONE)
		stop = fail(s, what);
	sqlite3_finalize(q);
	return stop;
}

struct consent_walk {
	int (*fn)(void *ctx, const struct pv_consent_event_row *e);
	void *ctx;
};

static int consent_row(void *p, sqlite3_stmt *q)
{
	struct consent_walk *w = p;
	struct pv_consent_event_row e = {
		(const char *)sqlite3_column_text(q, 0), (const char *)sqlite3_column_text(q, 1),
		sqlite3_column_int(q, 2), (const char *)sqlite3_column_text(q, 3),
		(const char *)sqlite3_column_text(q, 4), (const char *)sqlite3_column_text(q, 5),
		(const char *)sqlite3_column_text(q, 6) };
	return w->fn(w->ctx, &e);
}

int pv_sqlite_consent_rows(struct pv_store *s, const char *sql, const char *key,
			   int (*fn)(void *ctx, const struct pv_consent_event_row *e), void *ctx,
			   const char *what)
{
	struct consent_walk w = { fn, ctx };
	return pv_sqlite_rows(s, sql, key, consent_row, &w, what);
}

int pv_store_consent_log_scan(struct pv_store *s, const char *customer,
			      int (*fn)(void *ctx, const struct pv_consent_event_row *e), void *ctx)
{
	static const char sql[] =
		"SELECT customer, purpose, granted, at, channel, text_version, recorded_by "
		"FROM consent_log WHERE customer = ?1 ORDER BY entry";
	return pv_sqlite_consent_rows(s, sql, customer, fn, ctx, "read consent history");
}

int pv_store_review_confirm(struct pv_store *s, const char *customer, const char *day,
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
	return run(s, q, "record a confirmation");
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

int pv_store_review_due(struct pv_store *s, const char *before,
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

/* ---- Key rotation (rekey.c) ---- */

int pv_store_meta_delete(struct pv_store *s, const char *key)
{
	static const char sql[] = "DELETE FROM meta WHERE k = ?1";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	return run(s, q, "delete metadata");
}

int pv_store_customer_scan_bucket_range(struct pv_store *s, uint32_t lo, uint32_t hi,
					pv_store_customer_fn fn, void *ctx)
{
	pv_sqlite_walk_begins(s);
	/* "+bucket": no index, a pass in row order (rows are rewritten as they come) */
	static const char sql[] =
		"SELECT rid, id, bucket, bucket_gen, dek_version, wdek, g_basic, g_financial, "
		"g_other FROM customers WHERE +bucket >= ?1 AND +bucket < ?2 ORDER BY rid";
	sqlite3_stmt *q;
	pv_sqlite_fresh(s, NULL);
	if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK)
		return fail(s, "prepare bucket scan");
	sqlite3_bind_int64(q, 1, lo);
	sqlite3_bind_int64(q, 2, hi);
	int rc, stop = 0;
	while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct pv_stored_customer c;
		row_to_customer(q, &c);
		stop = fn(ctx, &c);
	}
	if (!stop && rc != SQLITE_DONE)
		stop = fail(s, "scan buckets");
	sqlite3_finalize(q);
	return stop;
}

int pv_store_customer_set_sealed(struct pv_store *s, int64_t rid, uint32_t dek_version,
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
	return run(s, q, "re-seal a customer");
}
