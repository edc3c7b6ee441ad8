/* SPDX-License-Identifier: Apache-2.0 */
/* blind_index.c: the blind index in PostgreSQL: one row per (field, hash, row id), its
 * primary key the lookup's path. A bulk load's sorted entries are gathered and sent with
 * COPY a batch at a time (a rollback forgets those not sent); lookups join the customers
 * they name, as visible (an unfinished import's rows are not), in id order. */
#include "internal.h"
#include "pg_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char pv_pg_blind_index_tables[] =
	"CREATE TABLE blind_index(field integer NOT NULL, h bytea NOT NULL, rid bigint NOT NULL,"
	"  PRIMARY KEY (field, h, rid));";

#define VISIBLE \
	" c.rid < (SELECT coalesce(min(rid_from), 9223372036854775807) FROM import_pending) "
#define COPY_LINE_MAX 96 /* "field \t \\x + 32 hex \t rid \n" */

struct pv_pg_index_batch {
	char *text; /* COPY's text-format lines */
	size_t len, cap, lines;
	int last_field;
	uint8_t last_h[PV_BLIND_BYTES];
	int64_t last_rid;
};

/* An entry as the parameters of a statement: field and row id as text, the hash bytes. */
static void entry_values(int field, const uint8_t *h, int64_t rid, char f[16], char r[24],
			 const char *values[3])
{
	snprintf(f, 16, "%d", field);
	snprintf(r, 24, "%" PRId64, rid);
	values[0] = f;
	values[1] = (const char *)h;
	values[2] = r;
}

static const int entry_lengths[3] = { 0, PV_BLIND_BYTES, 0 }, entry_binary[3] = { 0, 1, 0 };

int pv_pg_index_add(struct pv_store *store, int field_num, const uint8_t *h, int64_t rid)
{
	char f[16], r[24];
	const char *values[3];
	entry_values(field_num, h, rid, f, r, values);
	PGresult *res = pv_pg_query(pg_of(store), "INSERT INTO blind_index(field, h, rid) VALUES "
				    "($1, $2, $3) ON CONFLICT DO NOTHING", 3, values, entry_lengths,
				    entry_binary, "add an index entry");
	PQclear(res);
	return res ? 0 : -1;
}

/* What a rollback does to the batch: forgotten. */
static void forget_batch(struct pv_pg_store *s)
{
	if (s->index_batch) {
		s->index_batch->len = 0;
		s->index_batch->lines = 0;
	}
}

static void free_batch(struct pv_pg_store *s)
{
	if (s->index_batch)
		free(s->index_batch->text);
	free(s->index_batch);
	s->index_batch = NULL;
}

/* Send the batch's lines with one COPY. */
static int send_batch(struct pv_pg_store *s)
{
	struct pv_pg_index_batch *b = s->index_batch;
	if (!b || b->lines == 0)
		return 0;
	if (pv_pg_flush(s) != 0) /* the customers an import buffered go first */
		return -1;
	PGresult *r = PQexec(s->conn, "COPY blind_index(field, h, rid) FROM STDIN");
	int ok = r && PQresultStatus(r) == PGRES_COPY_IN, reported = 0;
	PQclear(r);
	if (ok)
		ok = PQputCopyData(s->conn, b->text, (int)b->len) == 1;
	if (PQputCopyEnd(s->conn, ok ? NULL : "the entries could not be sent") != 1)
		ok = 0;
	while ((r = PQgetResult(s->conn))) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && !reported) {
			const char *m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
			pv_pg_fail(s, "write index entries", m ? m : PQerrorMessage(s->conn));
			ok = 0;
			reported = 1;
		}
		PQclear(r);
	}
	if (!ok && !reported)
		pv_pg_fail(s, "write index entries", PQerrorMessage(s->conn));
	b->len = 0;
	b->lines = 0;
	return ok ? 0 : -1;
}

int pv_pg_index_add_sorted(struct pv_store *store, int field_num, const uint8_t *h, int64_t rid)
{
	struct pv_pg_store *s = pg_of(store);
	struct pv_pg_index_batch *b = s->index_batch;
	if (!b) {
		if (!(b = s->index_batch = calloc(1, sizeof *b)))
			return pv_pg_fail(s, "add index entries", "out of memory");
		pv_pg_on_rollback(s, forget_batch);
		pv_pg_on_close(s, free_batch);
	}
	if (b->lines && b->last_field == field_num && b->last_rid == rid &&
	    memcmp(b->last_h, h, PV_BLIND_BYTES) == 0)
		return 0; /* the same entry again: kept once */
	if (b->len + COPY_LINE_MAX > b->cap) {
		if (b->lines >= 4096 && send_batch(s) != 0)
			return -1;
		if (b->len + COPY_LINE_MAX > b->cap) {
			size_t cap = b->cap ? 2 * b->cap : 64 * 1024;
			char *t = realloc(b->text, cap);
			if (!t)
				return pv_pg_fail(s, "add index entries", "out of memory");
			b->text = t;
			b->cap = cap;
		}
	}
	char *p = b->text + b->len;
	p += sprintf(p, "%d\t\\\\x", field_num);
	for (int i = 0; i < PV_BLIND_BYTES; i++)
		p += sprintf(p, "%02x", h[i]);
	p += sprintf(p, "\t%" PRId64 "\n", rid);
	b->len = (size_t)(p - b->text);
	b->lines++;
	b->last_field = field_num;
	b->last_rid = rid;
	memcpy(b->last_h, h, PV_BLIND_BYTES);
	return 0;
}

int pv_pg_index_flush(struct pv_store *store)
{
	return send_batch(pg_of(store));
}


int pv_pg_index_lookup(struct pv_store *store, int field_num, const uint8_t *h,
		       int (*fn)(void *ctx, const struct pv_stored_customer *c), void *ctx)
{
	struct pv_pg_store *s = pg_of(store);
	char f[16];
	snprintf(f, sizeof f, "%d", field_num);
	const char *values[2] = { f, (const char *)h };
	const int lengths[2] = { 0, PV_BLIND_BYTES }, binary[2] = { 0, 1 };
	PGresult *r = pv_pg_query(s, "SELECT " PV_PG_CUSTOMER_COLUMNS " FROM blind_index b "
				  "JOIN customers c ON c.rid = b.rid WHERE b.field = $1 AND b.h = $2 "
				  "AND" VISIBLE "ORDER BY c.id", 2, values, lengths, binary,
				  "look up the index");
	if (!r)
		return -1;
	int stop = 0;
	for (int i = 0, n = PQntuples(r); i < n && !stop; i++) {
		struct pv_stored_customer c;
		pv_pg_row_to_customer(r, i, &c);
		stop = fn(ctx, &c);
	}
	PQclear(r);
	return stop < 0 ? -1 : 0;
}

int pv_pg_index_replace(struct pv_store *store, int64_t rid, int field_num, const uint8_t *old_h,
			const uint8_t *h)
{
	struct pv_pg_store *s = pg_of(store);
	char f[16], r[24];
	const char *values[3];
	if (old_h) {
		entry_values(field_num, old_h, rid, f, r, values);
		PGresult *res = pv_pg_query(s, "DELETE FROM blind_index WHERE field = $1 AND h = $2 "
					    "AND rid = $3", 3, values, entry_lengths, entry_binary,
					    "remove an index entry");
		PQclear(res);
		if (!res)
			return -1;
	}
	return h ? pv_pg_index_add(store, field_num, h, rid) : 0;
}

int pv_pg_index_rids_below(struct pv_store *store, int field_num, const uint8_t *h, int64_t below,
			   int64_t *rids, size_t max, size_t *n)
{
	struct pv_pg_store *s = pg_of(store);
	char f[16], b[24], m[24];
	snprintf(f, sizeof f, "%d", field_num);
	snprintf(b, sizeof b, "%" PRId64, below);
	snprintf(m, sizeof m, "%zu", max);
	const char *values[4] = { f, (const char *)h, b, m };
	const int lengths[4] = { 0, PV_BLIND_BYTES, 0, 0 }, binary[4] = { 0, 1, 0, 0 };
	PGresult *r = pv_pg_query(s, "SELECT rid FROM blind_index WHERE field = $1 AND h = $2 "
				  "AND rid < $3 ORDER BY rid LIMIT $4", 4, values, lengths, binary,
				  "look up the index"); /* an import's rows too */
	if (!r)
		return -1;
	int bad = 0;
	*n = (size_t)PQntuples(r);
	for (size_t i = 0; i < *n; i++)
		rids[i] = pv_pg_int8(r, (int)i, 0, &bad);
	PQclear(r);
	return bad ? pv_pg_fail(s, "look up the index", "a row id is malformed") : 0;
}
