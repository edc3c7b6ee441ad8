/* SPDX-License-Identifier: Apache-2.0 */
/* doomed.c: removing many customers at once, without opening them (their keys may be
 * gone), as shreds, restores and a discarded import do: the customers are listed in the
 * temporary table doomed, then their rows go with everything that names them (consents
 * and their history, reviews, flags, blind-index entries); a shred re-wraps the data keys
 * of those who stay in its buckets in the same pass. Above the blind index (it calls the
 * index's removal of the doomed entries); only import_pending.c, above it, calls it. */
#include "internal.h"

int pv_sqlite_doomed_begin(struct pv_store *s)
{
	return pv_sqlite_exec(s, "CREATE TEMP TABLE IF NOT EXISTS doomed("
				 "  rid INTEGER PRIMARY KEY, id TEXT NOT NULL);"
				 "DELETE FROM temp.doomed;");
}

int pv_sqlite_doomed_add(struct pv_store *s, int64_t rid, const char *id)
{
	static const char sql[] = "INSERT OR IGNORE INTO temp.doomed(rid, id) VALUES (?1, ?2)";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, rid);
	sqlite3_bind_text(q, 2, id, -1, SQLITE_TRANSIENT);
	return pv_sqlite_run(s, q, "note a customer to remove");
}

static int remove_related(struct pv_store *s)
{
	static const char sql[] =
		"DELETE FROM consents WHERE rid IN (SELECT rid FROM temp.doomed);"
		"DELETE FROM consent_log WHERE customer IN (SELECT id FROM temp.doomed);"
		"DELETE FROM reviews WHERE customer IN (SELECT id FROM temp.doomed);"
		"DELETE FROM customer_flags WHERE customer IN (SELECT id FROM temp.doomed);";
	pv_sqlite_release_rows(s); /* no statement may still be reading */
	return pv_sqlite_exec(s, sql);
}

int pv_sqlite_doomed_remove(struct pv_store *s)
{
	/* Rows go with secure_delete on, so their pages are zeroed where they stood; the
	 * blind index's rows are rewritten without the doomed entries. */
	if (remove_related(s) != 0 ||
	    pv_sqlite_exec(s, "DELETE FROM customers WHERE rid IN (SELECT rid FROM temp.doomed);") !=
		    0 ||
	    pv_sqlite_index_remove_doomed(s) != 0)
		return -1;
	return pv_sqlite_exec(s, "DELETE FROM temp.doomed;");
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
			return pv_sqlite_fail(s, i ? "re-wrap data keys" : "remove customers");
	}
	return 0;
}

int pv_sqlite_doomed_remove_rewrap(struct pv_store *s, const struct pv_store_rewrap *how)
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
	if (remove_related(s) != 0)
		return -1;
	int64_t top = 0;
	sqlite3_stmt *q = pv_sqlite_stmt(s, "SELECT max(rid) FROM customers");
	if (!q || sqlite3_step(q) != SQLITE_ROW)
		return q ? pv_sqlite_fail(s, "read customers") : -1;
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
	int st = rc == SQLITE_OK ? 0 : pv_sqlite_fail(s, "register re-wrap functions");
	if (!st && (sqlite3_prepare_v2(s->db, del_sql, -1, &del, NULL) != SQLITE_OK ||
		    sqlite3_prepare_v2(s->db, upd_sql, -1, &upd, NULL) != SQLITE_OK))
		st = pv_sqlite_fail(s, "prepare the removal");
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
