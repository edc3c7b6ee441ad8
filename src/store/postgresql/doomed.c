/* SPDX-License-Identifier: Apache-2.0 */
/* doomed.c: removing many customers at once in PostgreSQL, without opening them (their
 * keys may be gone), as shreds, restores and a discarded import do: the customers are
 * listed in the connection's temporary table doomed (emptied at each commit), then their
 * rows go with everything that names them (consents and their history, reviews, flags,
 * blind-index entries); a shred re-wraps the data keys of those who stay in its buckets,
 * a page of rows at a time: read, re-wrapped here, written back with one statement. */
#include "internal.h"
#include "pg_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REWRAP_ROWS 8192 /* customers read, re-wrapped and written back at a time */
#define WDEK_BYTES (PV_KEY_BYTES + PV_SEAL_OVERHEAD)

int pv_pg_doomed_begin(struct pv_store *s)
{
	/* one per connection (pg_temp), empty again at every commit */
	return pv_pg_exec(pg_of(s), "CREATE TEMP TABLE IF NOT EXISTS doomed("
			  "  rid bigint PRIMARY KEY, id text COLLATE \"C\" NOT NULL) "
			  "ON COMMIT DELETE ROWS; DELETE FROM pg_temp.doomed",
			  "begin a list of customers to remove");
}

int pv_pg_doomed_add(struct pv_store *s, int64_t rid, const char *id)
{
	char r[24];
	snprintf(r, sizeof r, "%" PRId64, rid);
	const char *values[2] = { r, id };
	PGresult *res = pv_pg_query(pg_of(s), "INSERT INTO pg_temp.doomed(rid, id) VALUES ($1, $2) "
				    "ON CONFLICT DO NOTHING", 2, values, NULL, NULL,
				    "note a customer to remove");
	PQclear(res);
	return res ? 0 : -1;
}

/* What names the doomed besides their rows: consents and their history, reviews, flags.
 * The list's size is measured first (a temporary table has no statistics), so that a
 * short list goes through the tables' indexes, not a scan of each. */
static int remove_related(struct pv_pg_store *s)
{
	return pv_pg_exec(s, "ANALYZE pg_temp.doomed;"
			  "DELETE FROM consents WHERE rid IN (SELECT rid FROM pg_temp.doomed);"
			  "DELETE FROM consent_log WHERE customer IN (SELECT id FROM pg_temp.doomed);"
			  "DELETE FROM reviews WHERE customer IN (SELECT id FROM pg_temp.doomed);"
			  "DELETE FROM customer_flags WHERE customer IN "
			  "  (SELECT id FROM pg_temp.doomed);",
			  "remove the customers' consents, reviews and flags");
}

/* The doomed customers' rows, then their blind-index entries (the index is keyed by
 * field and hash: one pass over it), then the list. */
static int remove_rows(struct pv_pg_store *s)
{
	return pv_pg_exec(s, "DELETE FROM customers WHERE rid IN (SELECT rid FROM pg_temp.doomed);"
			  "DELETE FROM blind_index WHERE rid IN (SELECT rid FROM pg_temp.doomed);"
			  "DELETE FROM pg_temp.doomed;",
			  "remove customers");
}

int pv_pg_doomed_remove(struct pv_store *store)
{
	struct pv_pg_store *s = pg_of(store);
	return remove_related(s) == 0 ? remove_rows(s) : -1;
}

/* ---- Re-wrapping a page at a time (shreds) ---- */

/* A page's new data keys, as the text of three array parameters (row ids, keys in hex,
 * generations) for one UPDATE ... FROM unnest(...). */
struct rewrap_page {
	char *rids, *wdeks, *gens;
	size_t nrids, nwdeks, ngens, rows;
};

static int page_reserve(struct rewrap_page *p)
{
	size_t rids = REWRAP_ROWS * 22 + 3, wdeks = REWRAP_ROWS * (2 * WDEK_BYTES + 8) + 3;
	p->rids = malloc(rids);
	p->wdeks = malloc(wdeks);
	p->gens = malloc(REWRAP_ROWS * 12 + 3);
	return p->rids && p->wdeks && p->gens ? 0 : -1;
}

static void page_free(struct rewrap_page *p)
{
	free(p->rids);
	free(p->wdeks);
	free(p->gens);
}

static void page_start(struct rewrap_page *p)
{
	p->rows = 0;
	p->nrids = (size_t)sprintf(p->rids, "{");
	p->nwdeks = (size_t)sprintf(p->wdeks, "{");
	p->ngens = (size_t)sprintf(p->gens, "{");
}

/* One customer's new key: row id, key (an array element "\\x...": bytea's hex form) and
 * generation appended. */
static void page_add(struct rewrap_page *p, int64_t rid, const uint8_t wdek[WDEK_BYTES],
		     uint32_t gen)
{
	const char *sep = p->rows ? "," : "";
	p->nrids += (size_t)sprintf(p->rids + p->nrids, "%s%" PRId64, sep, rid);
	p->ngens += (size_t)sprintf(p->gens + p->ngens, "%s%" PRIu32, sep, gen);
	p->nwdeks += (size_t)sprintf(p->wdeks + p->nwdeks, "%s\"\\\\x", sep);
	for (size_t i = 0; i < WDEK_BYTES; i++)
		p->nwdeks += (size_t)sprintf(p->wdeks + p->nwdeks, "%02x", wdek[i]);
	p->nwdeks += (size_t)sprintf(p->wdeks + p->nwdeks, "\"");
	p->rows++;
}

/* Write the page's new keys back with one statement. */
static int page_write(struct pv_pg_store *s, struct rewrap_page *p)
{
	if (p->rows == 0)
		return 0;
	strcpy(p->rids + p->nrids, "}");
	strcpy(p->wdeks + p->nwdeks, "}");
	strcpy(p->gens + p->ngens, "}");
	const char *values[3] = { p->rids, p->wdeks, p->gens };
	PGresult *r = pv_pg_query(s, "UPDATE customers c SET wdek = u.wdek, bucket_gen = u.gen "
				  "FROM unnest($1::bigint[], $2::bytea[], $3::bigint[]) "
				  "AS u(rid, wdek, gen) WHERE c.rid = u.rid", 3, values, NULL, NULL,
				  "re-wrap data keys");
	PQclear(r);
	return r ? 0 : -1;
}

/* The customers (an import's too) of the page after row id *after, their keys re-wrapped
 * where how says so into p; *after moved on. Rows read, or -1. */
static int rewrap_read_page(struct pv_pg_store *s, const struct pv_store_rewrap *how,
			    int64_t *after, struct rewrap_page *p)
{
	char a[24], n[24];
	snprintf(a, sizeof a, "%" PRId64, *after);
	snprintf(n, sizeof n, "%d", REWRAP_ROWS);
	const char *values[2] = { a, n };
	/* the columns pv_pg_row_to_customer reads, the sealed groups left out */
	PGresult *r = pv_pg_query(s, "SELECT c.rid, c.id, c.bucket, c.bucket_gen, c.dek_version, "
				  "c.wdek, NULL::bytea, NULL::bytea, NULL::bytea FROM customers c "
				  "WHERE c.rid > $1 ORDER BY c.rid LIMIT $2", 2, values, NULL, NULL,
				  "read customers to re-wrap");
	if (!r)
		return -1;
	int rows = PQntuples(r), failed = 0;
	page_start(p);
	for (int i = 0; i < rows && !failed; i++) {
		struct pv_stored_customer c;
		int bad = 0;
		int64_t bucket = pv_pg_int8(r, i, 2, &bad);
		pv_pg_row_to_customer(r, i, &c);
		*after = c.rid;
		uint32_t gen = bad || bucket < 0 || bucket > (int64_t)UINT32_MAX
				       ? 0 : how->new_gen(how->ctx, (uint32_t)bucket);
		if (gen == 0)
			continue; /* a bucket left as it is */
		uint8_t out[WDEK_BYTES];
		if (how->fn(how->ctx, &c, out) != 0)
			failed = 1;
		else
			page_add(p, c.rid, out, gen);
	}
	PQclear(r);
	if (failed)
		return pv_pg_fail(s, "re-wrap data keys", "re-wrapping a data key failed");
	return rows;
}

int pv_pg_doomed_remove_rewrap(struct pv_store *store, const struct pv_store_rewrap *how)
{
	struct pv_pg_store *s = pg_of(store);
	struct rewrap_page p = { 0 };
	if (page_reserve(&p) != 0) {
		page_free(&p);
		return pv_pg_fail(s, "re-wrap data keys", "out of memory");
	}
	/* the doomed go first: the pass then reads only those who stay */
	int st = remove_related(s) == 0 &&
			 pv_pg_exec(s, "DELETE FROM customers WHERE rid IN "
				    "(SELECT rid FROM pg_temp.doomed)", "remove customers") == 0
		 ? 0 : -1;
	int64_t after = 0;
	while (st == 0) {
		int rows = rewrap_read_page(s, how, &after, &p);
		if (rows < 0 || page_write(s, &p) != 0)
			st = -1;
		else if (rows < REWRAP_ROWS)
			break;
	}
	page_free(&p);
	return st == 0 ? remove_rows(s) : -1;
}
