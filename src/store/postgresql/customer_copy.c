/* SPDX-License-Identifier: Apache-2.0 */
/* customer_copy.c: a bulk import's customers, and their consents, sent to PostgreSQL with
 * binary COPY a batch at a time instead of one INSERT each. Row ids are given here, one
 * after another from the import's mark (the import holds the write lock and the import
 * lock: nobody else inserts), so insert answers at once; the identity sequence is brought
 * up to the last row id sent. A duplicate id is told at once too: the hashes (keyed
 * SipHash) of the ids the vault held and of those given are kept, and a hash seen before is
 * looked up in the table, after the batch is sent. Before any other statement the batch is
 * sent (pv_pg_flush); a rollback drops it and ends the buffering. */
#include "internal.h"
#include "pg_store.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STREAM_BYTES (256u << 10) /* a batch's bytes handed to its COPY this many at a time */
#define CONSENT_PURPOSES 8     /* a customer's consents buffered, at most */

struct copy_buffer {
	unsigned char *b;
	size_t len, cap, rows;
};

struct pv_pg_customer_copy {
	int on;
	int64_t next_rid;          /* the row id the next customer gets */
	int64_t batch_from;        /* the first row id of the batch not yet ended */
	int streaming;             /* COPY customers is open: the batch goes as it grows */
	struct copy_buffer rows, consents;
	uint64_t *seen;            /* open addressing; 0 is an empty slot */
	size_t nslots, nseen;
	unsigned char key[crypto_shorthash_KEYBYTES];
	int64_t consent_rid;       /* the customer whose consents are the last buffered */
	char purposes[CONSENT_PURPOSES][64];
	int npurposes;
	int hooked;
};

static int put(struct copy_buffer *c, const void *p, size_t n)
{
	if (c->len + n > c->cap) {
		size_t cap = c->cap ? c->cap : 64 * 1024;
		while (cap < c->len + n)
			cap *= 2;
		unsigned char *b = realloc(c->b, cap);
		if (!b)
			return -1;
		c->b = b;
		c->cap = cap;
	}
	memcpy(c->b + c->len, p, n);
	c->len += n;
	return 0;
}

static int put_u16(struct copy_buffer *c, uint16_t x)
{
	unsigned char u[2] = { (unsigned char)(x >> 8), (unsigned char)x };
	return put(c, u, 2);
}

static int put_u32(struct copy_buffer *c, uint32_t x)
{
	unsigned char u[4] = { (unsigned char)(x >> 24), (unsigned char)(x >> 16),
			       (unsigned char)(x >> 8), (unsigned char)x };
	return put(c, u, 4);
}

/* A field: its length then its bytes; NULL as length -1. */
static int put_field(struct copy_buffer *c, const void *p, size_t n)
{
	if (!p)
		return put_u32(c, 0xffffffffu);
	return put_u32(c, (uint32_t)n) || put(c, p, n);
}

static int put_int8(struct copy_buffer *c, int64_t x)
{
	return put_u32(c, 8) || put_u32(c, (uint32_t)((uint64_t)x >> 32)) ||
	       put_u32(c, (uint32_t)x);
}

/* COPY's binary header: signature, flags, no extension. */
static int put_header(struct copy_buffer *c)
{
	static const unsigned char sig[11] = { 'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r',
					       '\n', 0 };
	return put(c, sig, sizeof sig) || put_u32(c, 0) || put_u32(c, 0);
}

/* A failure of the COPY on the connection: its primary message (r may be NULL). -1. */
static int copy_fail(struct pv_pg_store *s, const PGresult *r, const char *what)
{
	const char *m = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	return pv_pg_fail(s, what, m ? m : PQerrorMessage(s->conn));
}

static int copy_open(struct pv_pg_store *s, const char *sql, const char *what)
{
	PGresult *r = PQexec(s->conn, sql);
	int ok = r && PQresultStatus(r) == PGRES_COPY_IN;
	if (!ok)
		copy_fail(s, r, what);
	PQclear(r);
	return ok ? 0 : -1;
}

/* Hand c's bytes to the open COPY; c is emptied of them (its row count kept). */
static int copy_put(struct pv_pg_store *s, struct copy_buffer *c, const char *what)
{
	int ok = c->len == 0 || PQputCopyData(s->conn, (const char *)c->b, (int)c->len) == 1;
	sodium_memzero(c->b, c->len); /* sealed, yet not kept longer than needed */
	c->len = 0;
	return ok ? 0 : copy_fail(s, NULL, what);
}

/* End the open COPY, or abort it with why (a rollback's), and read its outcome: 0 or -1. */
static int copy_end(struct pv_pg_store *s, const char *why, const char *what)
{
	int ok = PQputCopyEnd(s->conn, why) == 1, reported = !ok;
	if (!ok && !why)
		copy_fail(s, NULL, what);
	PGresult *r;
	while ((r = PQgetResult(s->conn))) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && !reported) {
			if (!why)
				copy_fail(s, r, what);
			reported = 1;
		}
		PQclear(r);
	}
	return reported ? -1 : 0;
}

/* Send c's tuples with sql (a COPY ... FROM STDIN (FORMAT binary)) at once, then empty c. */
static int send_copy(struct pv_pg_store *s, struct copy_buffer *c, const char *sql,
		     const char *what)
{
	if (c->rows == 0)
		return 0;
	c->rows = 0;
	if (put_u16(c, 0xffff) != 0)
		return pv_pg_fail(s, what, "out of memory");
	if (copy_open(s, sql, what) != 0)
		return -1;
	if (copy_put(s, c, what) != 0) {
		(void)copy_end(s, "the rows could not be sent", what);
		return -1;
	}
	return copy_end(s, NULL, what);
}

/* The batch's customers so far handed to COPY customers, opened at its first bytes: the
 * server stores them while the next are sealed. */
static int stream_rows(struct pv_pg_store *s, struct pv_pg_customer_copy *k)
{
	if (!k->streaming) {
		if (copy_open(s, "COPY customers(rid, id, bucket, bucket_gen, dek_version, wdek, "
			      "g_basic, g_financial, g_other) FROM STDIN (FORMAT binary)",
			      "insert customers") != 0)
			return -1;
		k->streaming = 1;
	}
	if (copy_put(s, &k->rows, "insert customers") == 0)
		return 0;
	k->streaming = 0;
	(void)copy_end(s, "the rows could not be sent", "insert customers");
	return -1;
}

/* The batch's customers sent to their end (the trailer), their row ids caught up. */
static int end_rows(struct pv_pg_store *s, struct pv_pg_customer_copy *k)
{
	if (k->rows.rows == 0)
		return 0;
	if (put_u16(&k->rows, 0xffff) != 0)
		return pv_pg_fail(s, "insert customers", "out of memory");
	if (stream_rows(s, k) != 0)
		return -1;
	k->streaming = 0;
	k->rows.rows = 0;
	k->batch_from = k->next_rid;
	return copy_end(s, NULL, "insert customers");
}

/* The flush hook: the customers, then their consents, then the sequence caught up. */
static int send_all(struct pv_pg_store *s)
{
	struct pv_pg_customer_copy *k = s->customer_copy;
	if (!k || !k->on || (k->rows.rows == 0 && k->consents.rows == 0))
		return 0;
	int had_rows = k->rows.rows > 0;
	if (end_rows(s, k) != 0 ||
	    send_copy(s, &k->consents, "COPY consents(rid, purpose, granted, at, channel) FROM "
		      "STDIN (FORMAT binary)", "record consents") != 0)
		return -1;
	if (!had_rows)
		return 0;
	char last[24];
	snprintf(last, sizeof last, "%" PRId64, k->next_rid - 1);
	const char *value = last;
	PGresult *r = pv_pg_query(s, "SELECT setval(pg_get_serial_sequence('customers', 'rid'), "
				  "$1::bigint)", 1, &value, NULL, NULL, "insert customers");
	PQclear(r);
	return r ? 0 : -1;
}

static void free_buffers(struct pv_pg_customer_copy *k)
{
	free(k->rows.b);
	free(k->consents.b);
	free(k->seen);
	k->rows = k->consents = (struct copy_buffer){ 0 };
	k->seen = NULL;
	k->nslots = k->nseen = 0;
	k->on = 0;
}

/* At a rollback: what was not sent is forgotten, and the buffering ends. */
static void drop_all(struct pv_pg_store *s)
{
	struct pv_pg_customer_copy *k = s->customer_copy;
	if (!k)
		return;
	if (k->streaming) /* PostgreSQL drops what it was sent of the batch */
		(void)copy_end(s, "rolled back", "roll back");
	k->streaming = 0;
	if (k->rows.b)
		sodium_memzero(k->rows.b, k->rows.len);
	free_buffers(k);
}

static void free_copy(struct pv_pg_store *s)
{
	drop_all(s);
	free(s->customer_copy);
	s->customer_copy = NULL;
}

static uint64_t id_hash(const struct pv_pg_customer_copy *k, const char *id)
{
	unsigned char h[crypto_shorthash_BYTES];
	crypto_shorthash(h, (const unsigned char *)id, strlen(id), k->key);
	uint64_t x = 0;
	for (int i = 0; i < 8; i++)
		x = x << 8 | h[i];
	return x ? x : 1; /* 0 marks an empty slot */
}

/* Add hash x to the set: 1 when it was there, 0 when added, -1 out of memory. */
static int seen_add(struct pv_pg_customer_copy *k, uint64_t x)
{
	if (2 * (k->nseen + 1) > k->nslots) {
		size_t n = k->nslots ? 2 * k->nslots : 1u << 16;
		uint64_t *t = calloc(n, sizeof *t);
		if (!t)
			return -1;
		for (size_t i = 0; i < k->nslots; i++)
			for (size_t j = k->seen[i] & (n - 1); k->seen[i]; j = (j + 1) & (n - 1))
				if (!t[j]) {
					t[j] = k->seen[i];
					break;
				}
		free(k->seen);
		k->seen = t;
		k->nslots = n;
	}
	size_t j = x & (k->nslots - 1);
	for (; k->seen[j]; j = (j + 1) & (k->nslots - 1))
		if (k->seen[j] == x)
			return 1;
	k->seen[j] = x;
	k->nseen++;
	return 0;
}

static int note_id(void *ctx, const PGresult *r, int i)
{
	struct pv_pg_customer_copy *k = ctx;
	return seen_add(k, id_hash(k, PQgetvalue(r, i, 0))) < 0 ? -1 : 0;
}

int pv_pg_customer_copy_begin(struct pv_pg_store *s, int64_t rid_from)
{
	struct pv_pg_customer_copy *k = s->customer_copy;
	if (!k && !(k = s->customer_copy = calloc(1, sizeof *k)))
		return pv_pg_fail(s, "begin a bulk import", "out of memory");
	if (!k->hooked) {
		pv_pg_before_statement(s, send_all);
		pv_pg_on_rollback(s, drop_all);
		pv_pg_on_close(s, free_copy);
		k->hooked = 1;
	}
	free_buffers(k);
	crypto_shorthash_keygen(k->key);
	/* the ids the vault holds (a bulk import is as large as the vault, or it is empty) */
	if (pv_pg_rows(s, "SELECT id FROM customers", 0, NULL, note_id, k,
		       "read the customers' ids") != 0)
		return -1;
	k->next_rid = k->batch_from = rid_from;
	k->streaming = 0;
	k->consent_rid = 0;
	k->on = 1;
	return 0;
}

void pv_pg_customer_copy_end(struct pv_pg_store *s)
{
	if (s->customer_copy)
		free_buffers(s->customer_copy);
}

/* Whether id is in the table already (or in the batch, sent first): 1, 0, -1. */
static int id_taken(struct pv_pg_store *s, const char *id)
{
	PGresult *r = pv_pg_query(s, "SELECT 1 FROM customers WHERE id = $1", 1, &id, NULL, NULL,
				  "look for a customer id");
	if (!r)
		return -1;
	int taken = PQntuples(r) > 0;
	PQclear(r);
	return taken;
}

/* Append customer c as a tuple with row id rid. */
static int put_customer(struct copy_buffer *b, const struct pv_stored_customer *c, int64_t rid,
			int first)
{
	if ((first && put_header(b)) || put_u16(b, 9) || put_int8(b, rid) ||
	    put_field(b, c->id, strlen(c->id)) || put_int8(b, c->bucket) ||
	    put_int8(b, c->bucket_gen) || put_int8(b, c->dek_version) ||
	    put_field(b, c->wdek, c->wdek_len))
		return -1;
	for (int g = 0; g < PV_GROUPS; g++)
		if (put_field(b, c->group[g], c->group_len[g]))
			return -1;
	b->rows++;
	return 0;
}

int pv_pg_customer_copy_insert(struct pv_pg_store *s, const struct pv_stored_customer *c,
			       int64_t *rid)
{
	struct pv_pg_customer_copy *k = s->customer_copy;
	if (!k || !k->on || s->depth == 0)
		return -2;
	int again = seen_add(k, id_hash(k, c->id));
	if (again < 0)
		return pv_pg_fail(s, "insert customer", "out of memory");
	if (again) { /* the same hash: the same id, unless two ids' hashes meet */
		int taken = id_taken(s, c->id);
		if (taken != 0)
			return taken;
	}
	size_t len = k->rows.len;
	if (put_customer(&k->rows, c, k->next_rid, k->rows.rows == 0) != 0) {
		k->rows.len = len;
		return pv_pg_fail(s, "insert customer", "out of memory");
	}
	*rid = k->next_rid++;
	if (k->rows.len >= STREAM_BYTES)
		return stream_rows(s, k);
	return 0;
}

/* Whether purpose was buffered for rid already (then the statement runs instead). */
static int consent_again(struct pv_pg_customer_copy *k, int64_t rid, const char *purpose)
{
	if (rid != k->consent_rid) {
		k->consent_rid = rid;
		k->npurposes = 0;
	}
	for (int i = 0; i < k->npurposes; i++)
		if (strcmp(k->purposes[i], purpose) == 0)
			return 1;
	if (k->npurposes == CONSENT_PURPOSES || strlen(purpose) >= sizeof k->purposes[0])
		return 1;
	snprintf(k->purposes[k->npurposes++], sizeof k->purposes[0], "%s", purpose);
	return 0;
}

int pv_pg_consent_copy(struct pv_pg_store *s, int64_t rid, const char *purpose, int granted,
		       const char *at, const char *channel)
{
	struct pv_pg_customer_copy *k = s->customer_copy;
	/* only a customer of this batch's, whose consents are all new */
	if (!k || !k->on || rid < k->batch_from ||
	    rid >= k->next_rid || consent_again(k, rid, purpose))
		return -2;
	struct copy_buffer *b = &k->consents;
	size_t len = b->len;
	if ((b->len == 0 && put_header(b)) || put_u16(b, 5) || put_int8(b, rid) ||
	    put_field(b, purpose, strlen(purpose)) || put_u32(b, 4) ||
	    put_u32(b, granted ? 1 : 0) || put_field(b, at, strlen(at)) ||
	    put_field(b, channel, strlen(channel))) {
		b->len = len;
		return pv_pg_fail(s, "record a consent", "out of memory");
	}
	b->rows++;
	return 0;
}

int pv_pg_customer_copy_on(const struct pv_pg_store *s)
{
	return s->customer_copy && s->customer_copy->on;
}
