/* SPDX-License-Identifier: Apache-2.0 */
/* audit_log.c: the audit log's tables in PostgreSQL: entries with their chain hashes, and
 * signed checkpoints; scans and cursors that fetch the log a page at a time (other calls
 * may come between two rows); a second, read-only connection for reading the log in
 * another thread. Entries carry ids and names, never values. Appends are serialised by
 * the vault's write lock (connection.c), so the log has one order across every node. */
#include "internal.h"
#include "pg_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char pv_pg_audit_tables[] =
	"CREATE TABLE audit(seq bigint PRIMARY KEY, at text NOT NULL, user_name text NOT NULL,"
	"  op text NOT NULL, ids text NOT NULL, purpose text NOT NULL, request text NOT NULL,"
	"  outcome text NOT NULL, detail text NOT NULL, hash bytea NOT NULL);"
	"CREATE TABLE audit_checkpoints(size bigint PRIMARY KEY, at text NOT NULL,"
	"  head bytea NOT NULL, root bytea NOT NULL, frontier bytea NOT NULL,"
	"  signature bytea NOT NULL);";

#define ENTRY_COLUMNS "seq, at, user_name, op, ids, purpose, request, outcome, detail, hash"
#define CHECKPOINT_COLUMNS "size, at, head, root, frontier, signature"
#define PAGE 256 /* entries a scan or a cursor fetches at a time */

static void u64_text(char out[24], uint64_t x)
{
	snprintf(out, 24, "%" PRIu64, x > INT64_MAX ? (uint64_t)INT64_MAX : x);
}

int pv_pg_audit_append(struct pv_store *store, const struct pv_audit_row *e)
{
	char seq[24];
	u64_text(seq, e->seq);
	const char *text[8] = { e->at, e->user, e->op, e->ids, e->purpose, e->request, e->outcome,
				e->detail };
	const char *values[10] = { seq };
	int lengths[10] = { 0 }, binary[10] = { 0 };
	for (int i = 0; i < 8; i++)
		values[1 + i] = text[i] ? text[i] : "";
	values[9] = (const char *)e->hash;
	lengths[9] = PV_AUDIT_HASH;
	binary[9] = 1;
	PGresult *r = pv_pg_query(pg_of(store), "INSERT INTO audit(" ENTRY_COLUMNS ") VALUES "
				  "($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)", 10, values, lengths, binary,
				  "append audit entry");
	PQclear(r); /* durable at commit: synchronous_commit is on (schema.c) */
	return r ? 0 : -1;
}

int pv_pg_audit_last(struct pv_store *store, uint64_t *seq, uint8_t hash[PV_AUDIT_HASH])
{
	struct pv_pg_store *s = pg_of(store);
	PGresult *r = pv_pg_query(s, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", 0, NULL,
				  NULL, NULL, "read audit log");
	if (!r)
		return -1;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return 1;
	}
	int bad = 0;
	*seq = (uint64_t)pv_pg_int8(r, 0, 0, &bad);
	int ok = !bad && PQgetlength(r, 0, 1) == PV_AUDIT_HASH;
	if (ok)
		memcpy(hash, PQgetvalue(r, 0, 1), PV_AUDIT_HASH);
	PQclear(r);
	if (!ok) {
		snprintf(s->err, sizeof s->err, "audit entry %" PRIu64 ": stored hash is malformed",
			 *seq);
		return -1;
	}
	return 0;
}

/* Row i of an entries page into e (its pointers into r). */
static void row_to_entry(const PGresult *r, int i, struct pv_audit_row *e)
{
	int bad = 0;
	e->seq = (uint64_t)pv_pg_int8(r, i, 0, &bad);
	const char **text[] = { &e->at, &e->user, &e->op, &e->ids, &e->purpose, &e->request,
				&e->outcome, &e->detail };
	for (int k = 0; k < 8; k++) {
		*text[k] = PQgetvalue(r, i, 1 + k);
		e->len[k] = (size_t)PQgetlength(r, i, 1 + k);
	}
	e->has_len = 1;
	e->hash = PQgetlength(r, i, 9) == PV_AUDIT_HASH ? (const uint8_t *)PQgetvalue(r, i, 9)
							 : NULL;
}

/* The page of entries from seq from up (its own result, the caller's to clear). */
static PGresult *entries_from(struct pv_pg_store *s, uint64_t from)
{
	char first[24], page[24];
	u64_text(first, from);
	snprintf(page, sizeof page, "%d", PAGE);
	const char *values[2] = { first, page };
	PGresult *r = pv_pg_query(s, "SELECT " ENTRY_COLUMNS " FROM audit WHERE seq >= $1 "
				  "ORDER BY seq LIMIT $2", 2, values, NULL, NULL, "scan audit log");
	return r;
}

int pv_pg_audit_scan(struct pv_store *store, uint64_t from, pv_store_audit_fn fn, void *ctx)
{
	struct pv_pg_store *s = pg_of(store);
	for (;;) {
		PGresult *r = entries_from(s, from);
		if (!r)
			return -1;
		int n = PQntuples(r), stop = 0;
		for (int i = 0; i < n && !stop; i++) {
			struct pv_audit_row e;
			row_to_entry(r, i, &e);
			from = e.seq + 1;
			stop = fn(ctx, &e);
		}
		PQclear(r);
		if (stop || n < PAGE)
			return stop;
	}
}

struct pv_store_audit_cursor {
	const struct pv_store_ops *ops; /* first: as the store's (store_ops.h) */
	struct pv_pg_store *s;
	PGresult *page;
	int at, n;
	uint64_t next; /* the seq the next page starts at */
};

struct pv_store_audit_cursor *pv_pg_audit_cursor_open(struct pv_store *store, uint64_t from)
{
	struct pv_store_audit_cursor *c = calloc(1, sizeof *c);
	if (!c) {
		snprintf(pg_of(store)->err, sizeof pg_of(store)->err, "out of memory");
		return NULL;
	}
	c->ops = pg_of(store)->ops;
	c->s = pg_of(store);
	c->next = from;
	return c;
}

int pv_pg_audit_cursor_next(struct pv_store_audit_cursor *c, struct pv_audit_row *e)
{
	if (c->at == c->n) {
		if (c->page && c->n < PAGE)
			return 1; /* the last page was short: the end */
		PQclear(c->page);
		c->page = entries_from(c->s, c->next);
		c->at = 0;
		c->n = c->page ? PQntuples(c->page) : 0;
		if (!c->page)
			return -1;
		if (c->n == 0)
			return 1;
	}
	row_to_entry(c->page, c->at++, e);
	c->next = e->seq + 1;
	return 0;
}

void pv_pg_audit_cursor_close(struct pv_store_audit_cursor *c)
{
	if (!c)
		return;
	PQclear(c->page);
	free(c);
}

struct pv_store *pv_pg_audit_reader(struct pv_store *store)
{
	struct pv_pg_store *s = pg_of(store);
	struct pv_pg_store *r = pv_pg_connect(s->conninfo, s->schema_name, s->err, sizeof s->err);
	if (!r)
		return NULL;
	r->ops = s->ops; /* the same table as the store it reads beside */
	char sql[160];
	snprintf(sql, sizeof sql, "SET search_path TO %s; SET default_transaction_read_only = on",
		 r->schema);
	if (pv_pg_session(r, sql, "open a second reader") != 0) {
		snprintf(s->err, sizeof s->err, "%s", r->err);
		pv_pg_close((struct pv_store *)(void *)r);
		return NULL;
	}
	return (struct pv_store *)(void *)r;
}

int pv_pg_audit_checkpoint_put(struct pv_store *store, const struct pv_audit_checkpoint *c)
{
	char size[24];
	u64_text(size, c->size);
	const char *values[6] = { size, c->at, (const char *)c->head, (const char *)c->root,
				  (const char *)c->frontier, (const char *)c->signature };
	const int lengths[6] = { 0, 0, PV_AUDIT_HASH, PV_AUDIT_HASH, (int)c->frontier_len,
				 PV_AUDIT_SIG };
	const int binary[6] = { 0, 0, 1, 1, 1, 1 };
	PGresult *r = pv_pg_query(pg_of(store), "INSERT INTO audit_checkpoints(" CHECKPOINT_COLUMNS
				  ") VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (size) DO UPDATE SET "
				  "at = EXCLUDED.at, head = EXCLUDED.head, root = EXCLUDED.root, "
				  "frontier = EXCLUDED.frontier, signature = EXCLUDED.signature",
				  6, values, lengths, binary, "write audit checkpoint");
	PQclear(r);
	return r ? 0 : -1;
}

/* Row i of a checkpoints result into c (pointers into r); -1 when malformed. */
static int row_to_checkpoint(struct pv_pg_store *s, const PGresult *r, int i,
			     struct pv_audit_checkpoint *c)
{
	int bad = 0;
	c->size = (uint64_t)pv_pg_int8(r, i, 0, &bad);
	c->at = PQgetvalue(r, i, 1);
	c->head = (const uint8_t *)PQgetvalue(r, i, 2);
	c->root = (const uint8_t *)PQgetvalue(r, i, 3);
	c->frontier = (const uint8_t *)PQgetvalue(r, i, 4);
	c->frontier_len = (size_t)PQgetlength(r, i, 4);
	c->signature = (const uint8_t *)PQgetvalue(r, i, 5);
	if (bad || PQgetlength(r, i, 2) != PV_AUDIT_HASH || PQgetlength(r, i, 3) != PV_AUDIT_HASH ||
	    PQgetlength(r, i, 5) != PV_AUDIT_SIG) {
		snprintf(s->err, sizeof s->err, "audit checkpoint at %" PRIu64 " is malformed",
			 c->size);
		return -1;
	}
	return 0;
}

int pv_pg_audit_checkpoint_last(struct pv_store *store, uint64_t max_size,
				struct pv_audit_checkpoint *c)
{
	struct pv_pg_store *s = pg_of(store);
	char most[24];
	u64_text(most, max_size);
	const char *values[1] = { most };
	static const char sql[] = "SELECT " CHECKPOINT_COLUMNS " FROM audit_checkpoints "
				  "WHERE size <= $1 ORDER BY size DESC LIMIT 1";
	PGresult *r = pv_pg_query(s, sql, 1, values, NULL, NULL, "read audit checkpoint");
	if (!r)
		return -1;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return 1;
	}
	pv_pg_hold(s, sql, r); /* borrowed until sql runs again */
	return row_to_checkpoint(s, r, 0, c);
}

int pv_pg_audit_checkpoint_scan(struct pv_store *store, uint64_t after, pv_store_checkpoint_fn fn,
				void *ctx)
{
	struct pv_pg_store *s = pg_of(store);
	char from[24];
	u64_text(from, after);
	const char *values[1] = { from };
	/* checkpoints are few (one per signing): fetched at once */
	PGresult *r = pv_pg_query(s, "SELECT " CHECKPOINT_COLUMNS " FROM audit_checkpoints "
				  "WHERE size > $1 ORDER BY size", 1, values, NULL, NULL,
				  "scan audit checkpoints");
	if (!r)
		return -1;
	int stop = 0;
	for (int i = 0, n = PQntuples(r); i < n && !stop; i++) {
		struct pv_audit_checkpoint c;
		stop = row_to_checkpoint(s, r, i, &c);
		if (!stop)
			stop = fn(ctx, &c);
	}
	PQclear(r);
	return stop;
}
