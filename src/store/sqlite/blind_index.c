/* SPDX-License-Identifier: Apache-2.0 */
/* blind_index.c: the blind index as postings rows. One row per (field, first two
 * bytes of the blind hash) holds that group's entries, each the 16-byte hash and the
 * customer's row id (8 bytes, big-endian), sorted, so a lookup reads one row and a bulk
 * load writes each row once instead of a B-tree entry per value. The B-tree's keys are
 * only (field, prefix) numbers: no hash stands as a divider in an interior page. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENTRY 24 /* hash (PV_BLIND_BYTES) | row id, big-endian */

const char pv_sqlite_index_tables[] =
	"CREATE TABLE IF NOT EXISTS blind_index(k INTEGER PRIMARY KEY, entries BLOB NOT NULL);";

static const char SQL_GET[] = "SELECT entries FROM blind_index WHERE k = ?1";
static const char SQL_PUT[] = "INSERT OR REPLACE INTO blind_index(k, entries) VALUES (?1, ?2)";
static const char SQL_SET[] = "UPDATE blind_index SET entries = ?2 WHERE k = ?1";
static const char SQL_DEL[] = "DELETE FROM blind_index WHERE k = ?1";
static const char SQL_CUST_ID[] =
	"SELECT id FROM customers WHERE rid = ?1 AND" PV_SQL_VISIBLE("rid");
static const char SQL_SCAN[] =
	"SELECT k, entries FROM blind_index WHERE k > ?1 ORDER BY k LIMIT 512";
static const char SQL_DOOMED[] = "SELECT rid FROM temp.doomed";
static const char SQL_DOOMED_MAX[] = "SELECT max(rid) FROM temp.doomed";

static int64_t key_of(int field_num, const uint8_t *h)
{
	return ((int64_t)field_num << 16) | ((int64_t)h[0] << 8) | h[1];
}

static void entry_make(uint8_t e[ENTRY], const uint8_t *h, int64_t rid)
{
	memcpy(e, h, PV_BLIND_BYTES);
	for (int i = 0; i < 8; i++)
		e[PV_BLIND_BYTES + i] = (uint8_t)((uint64_t)rid >> (56 - 8 * i));
}

static int64_t entry_rid(const uint8_t *e)
{
	uint64_t r = 0;
	for (int i = 0; i < 8; i++)
		r = r << 8 | e[PV_BLIND_BYTES + i];
	return (int64_t)r;
}

/* The first entry of a sorted postings array (n entries) not below key (klen bytes). */
static size_t lower_bound(const uint8_t *p, size_t n, const uint8_t *key, size_t klen)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (memcmp(p + mid * ENTRY, key, klen) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The postings of row k: a borrowed pointer into q's row (valid until q is next used)
 * and the entry count; 1 when there is no row. */
static int postings_get(struct pv_store *s, int64_t k, sqlite3_stmt **qp, const uint8_t **p,
			size_t *n)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_GET);
	*qp = q;
	*p = NULL;
	*n = 0;
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, k);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(q);
		return 1;
	}
	if (rc != SQLITE_ROW)
		return pv_sqlite_fail(s, "read the blind index");
	*p = sqlite3_column_blob(q, 0);
	*n = (size_t)sqlite3_column_bytes(q, 0) / ENTRY;
	return 0;
}

/* Write row k with n entries (none: the row goes); `exists` when row k is there already,
 * so it is changed in place. */
static int postings_put(struct pv_store *s, int64_t k, const uint8_t *p, size_t n, int exists)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, !n ? SQL_DEL : exists ? SQL_SET : SQL_PUT);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, k);
	if (n)
		sqlite3_bind_blob(q, 2, p, (int)(n * ENTRY), SQLITE_STATIC);
	return pv_sqlite_run(s, q, "write the blind index");
}

static int reserve(struct pv_index_group *g, size_t n)
{
	if (n <= g->cap)
		return 0;
	size_t cap = g->cap ? g->cap : 64;
	while (cap < n)
		cap *= 2;
	uint8_t *b = realloc(g->buf, cap * ENTRY);
	if (!b)
		return -1;
	g->buf = b;
	g->cap = cap;
	return 0;
}

/* Row k with the entries of `add` (sorted, n of them) merged in; duplicates kept once. */
static int merge_into_row(struct pv_store *s, int64_t k, const uint8_t *add, size_t n)
{
	sqlite3_stmt *q;
	const uint8_t *old;
	size_t nold;
	int st = postings_get(s, k, &q, &old, &nold);
	if (st < 0)
		return -1;
	if (st == 1)
		return postings_put(s, k, add, n, 0);
	uint8_t *out = malloc((nold + n) * ENTRY);
	if (!out) {
		sqlite3_reset(q);
		snprintf(s->err, sizeof s->err, "out of memory");
		return -1;
	}
	size_t i = 0, j = 0, m = 0;
	while (i < nold || j < n) {
		int c = i == nold ? 1 : j == n ? -1 : memcmp(old + i * ENTRY, add + j * ENTRY, ENTRY);
		const uint8_t *e = c <= 0 ? old + i++ * ENTRY : add + j++ * ENTRY;
		if (c == 0)
			j++;
		memcpy(out + m++ * ENTRY, e, ENTRY);
	}
	sqlite3_reset(q);
	st = postings_put(s, k, out, m, 1);
	free(out);
	return st;
}

int pv_sqlite_index_add_sorted(struct pv_store *s, int field_num, const uint8_t *h, int64_t rid)
{
	struct pv_index_group *g = &s->group;
	int64_t k = key_of(field_num, h);
	if (g->n && g->k != k && pv_sqlite_index_flush(s) != 0)
		return -1;
	if (reserve(g, g->n + 1) != 0) {
		snprintf(s->err, sizeof s->err, "out of memory");
		return -1;
	}
	g->k = k;
	entry_make(g->buf + g->n++ * ENTRY, h, rid);
	return 0;
}

int pv_sqlite_index_flush(struct pv_store *s)
{
	struct pv_index_group *g = &s->group;
	if (!g->n)
		return 0;
	int st = merge_into_row(s, g->k, g->buf, g->n);
	g->n = 0;
	return st;
}

void pv_sqlite_index_group_discard(struct pv_store *s)
{
	s->group.n = 0;
}

void pv_sqlite_index_group_free(struct pv_store *s)
{
	free(s->group.buf);
	memset(&s->group, 0, sizeof s->group);
}

int pv_sqlite_index_add(struct pv_store *s, int field_num, const uint8_t *h, int64_t rid)
{
	uint8_t e[ENTRY];
	entry_make(e, h, rid);
	return merge_into_row(s, key_of(field_num, h), e, 1);
}

static int remove_entry(struct pv_store *s, int field_num, const uint8_t *h, int64_t rid)
{
	int64_t k = key_of(field_num, h);
	sqlite3_stmt *q;
	const uint8_t *p;
	size_t n;
	int st = postings_get(s, k, &q, &p, &n);
	if (st != 0)
		return st < 0 ? -1 : 0;
	uint8_t e[ENTRY];
	entry_make(e, h, rid);
	size_t at = lower_bound(p, n, e, ENTRY);
	if (at == n || memcmp(p + at * ENTRY, e, ENTRY) != 0) {
		sqlite3_reset(q);
		return 0;
	}
	uint8_t *out = malloc(n * ENTRY);
	if (!out) {
		sqlite3_reset(q);
		snprintf(s->err, sizeof s->err, "out of memory");
		return -1;
	}
	memcpy(out, p, at * ENTRY);
	memcpy(out + at * ENTRY, p + (at + 1) * ENTRY, (n - at - 1) * ENTRY);
	sqlite3_reset(q);
	st = postings_put(s, k, out, n - 1, 1);
	free(out);
	return st;
}

int pv_sqlite_index_replace(struct pv_store *s, int64_t rid, int field_num,
			   const uint8_t *old_h, const uint8_t *h)
{
	if (old_h && remove_entry(s, field_num, old_h, rid) != 0)
		return -1;
	return h ? pv_sqlite_index_add(s, field_num, h, rid) : 0;
}

/* The row ids of entries for h in row k, ascending, into a malloc'd array. */
static int rids_of(struct pv_store *s, int field_num, const uint8_t *h, int64_t **rids,
		   size_t *n)
{
	sqlite3_stmt *q;
	const uint8_t *p;
	size_t np;
	*rids = NULL;
	*n = 0;
	int st = postings_get(s, key_of(field_num, h), &q, &p, &np);
	if (st != 0)
		return st < 0 ? -1 : 0;
	size_t at = lower_bound(p, np, h, PV_BLIND_BYTES), end = at;
	while (end < np && memcmp(p + end * ENTRY, h, PV_BLIND_BYTES) == 0)
		end++;
	if (end > at && !(*rids = malloc((end - at) * sizeof **rids))) {
		sqlite3_reset(q);
		snprintf(s->err, sizeof s->err, "out of memory");
		return -1;
	}
	for (size_t i = at; i < end; i++)
		(*rids)[(*n)++] = entry_rid(p + i * ENTRY);
	sqlite3_reset(q);
	return 0;
}

/* A customer the index names: its row id and its id. */
struct found {
	int64_t rid;
	char *id;
};

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct found *)a)->id, ((const struct found *)b)->id);
}

/* Put rids[0..n) (n > 1) in the order of their customers' ids. */
static int order_by_id(struct pv_store *s, int64_t *rids, size_t n)
{
	struct found *f = calloc(n, sizeof *f);
	size_t nf = 0;
	int out_of_memory = !f, rc = f ? 0 : -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_CUST_ID);
		if (!q) {
			rc = -1;
			break;
		}
		sqlite3_bind_int64(q, 1, rids[i]);
		int st = sqlite3_step(q);
		if (st == SQLITE_ROW) {
			f[nf].rid = rids[i];
			if (!(f[nf++].id = strdup((const char *)sqlite3_column_text(q, 0)))) {
				rc = -1;
				out_of_memory = 1;
			}
		} else if (st != SQLITE_DONE) {
			rc = pv_sqlite_fail(s, "look up index");
		}
		sqlite3_reset(q);
	}
	if (rc == 0) {
		qsort(f, nf, sizeof *f, by_id);
		for (size_t i = 0; i < n; i++) /* rows gone meanwhile: none, at the end */
			rids[i] = i < nf ? f[i].rid : 0;
	}
	for (size_t i = 0; f && i < nf; i++)
		free(f[i].id);
	free(f);
	if (out_of_memory) /* not a message left by an earlier failure */
		snprintf(s->err, sizeof s->err, "out of memory");
	return rc;
}

int pv_sqlite_index_lookup(struct pv_store *s, int field_num, const uint8_t *h,
			  int (*fn)(void *ctx, const struct pv_stored_customer *c), void *ctx)
{
	int64_t *rids;
	size_t n;
	if (rids_of(s, field_num, h, &rids, &n) != 0)
		return -1;
	int rc = n > 1 ? order_by_id(s, rids, n) : 0;
	/* One read of each row, handed over as it is read (most values name one customer) */
	for (size_t i = 0; i < n && rc == 0 && rids[i]; i++) {
		struct pv_stored_customer c;
		int got = pv_sqlite_customer_get_rid(s, rids[i], &c);
		if (got < 0)
			rc = -1;
		else if (got == 0 && fn(ctx, &c))
			break;
	}
	free(rids);
	return rc;
}

int pv_sqlite_index_rids_below(struct pv_store *s, int field_num, const uint8_t *h,
			      int64_t below, int64_t *rids, size_t max, size_t *n)
{
	int64_t *all;
	size_t nall;
	*n = 0;
	if (rids_of(s, field_num, h, &all, &nall) != 0)
		return -1;
	for (size_t i = 0; i < nall && all[i] < below; i++)
		if (*n < max)
			rids[(*n)++] = all[i];
	free(all);
	return 0;
}

/* ---- Removing the doomed customers' entries ---- */

struct doomed_set {
	uint8_t *bits;
	int64_t max;
};

static int doomed_load(struct pv_store *s, struct doomed_set *d)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_DOOMED_MAX);
	if (!q || sqlite3_step(q) != SQLITE_ROW)
		return q ? pv_sqlite_fail(s, "read the removal list") : -1;
	d->max = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	if (d->max <= 0)
		return 0;
	if (!(d->bits = calloc((size_t)d->max / 8 + 1, 1))) {
		snprintf(s->err, sizeof s->err, "out of memory");
		return -1;
	}
	if (!(q = pv_sqlite_stmt(s, SQL_DOOMED)))
		return -1;
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t r = sqlite3_column_int64(q, 0);
		if (r > 0)
			d->bits[r / 8] |= (uint8_t)(1u << (r % 8));
	}
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : pv_sqlite_fail(s, "read the removal list");
}

static int doomed_has(const struct doomed_set *d, int64_t rid)
{
	return rid > 0 && rid <= d->max && (d->bits[rid / 8] >> (rid % 8) & 1);
}

/* A postings row to rewrite: its key and what remains of it. */
struct rewrite {
	int64_t k;
	uint8_t *kept;
	size_t n;
};

int pv_sqlite_index_remove_doomed(struct pv_store *s)
{
	struct doomed_set d = { NULL, 0 };
	pv_sqlite_walk_begins(s);
	if (doomed_load(s, &d) != 0)
		return -1;
	if (!d.bits)
		return 0;
	struct rewrite batch[512];
	int64_t after = -1;
	int rc = 0;
	for (;;) {
		/* A page of rows is read, then rewritten once the read is over. */
		sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_SCAN);
		if (!q) {
			rc = -1;
			break;
		}
		sqlite3_bind_int64(q, 1, after);
		size_t nb = 0, rows = 0;
		int st;
		while ((st = sqlite3_step(q)) == SQLITE_ROW) {
			rows++;
			after = sqlite3_column_int64(q, 0);
			const uint8_t *p = sqlite3_column_blob(q, 1);
			size_t n = (size_t)sqlite3_column_bytes(q, 1) / ENTRY, gone = 0;
			for (size_t i = 0; i < n; i++)
				gone += doomed_has(&d, entry_rid(p + i * ENTRY));
			if (!gone)
				continue;
			struct rewrite *w = &batch[nb++];
			w->k = after;
			w->n = 0;
			w->kept = n > gone ? malloc((n - gone) * ENTRY) : NULL;
			if (n > gone && !w->kept) {
				rc = -1;
				snprintf(s->err, sizeof s->err, "out of memory");
				break;
			}
			for (size_t i = 0; i < n; i++)
				if (!doomed_has(&d, entry_rid(p + i * ENTRY)))
					memcpy(w->kept + w->n++ * ENTRY, p + i * ENTRY, ENTRY);
		}
		if (rc == 0 && st != SQLITE_ROW && st != SQLITE_DONE)
			rc = pv_sqlite_fail(s, "read the blind index");
		sqlite3_reset(q);
		for (size_t i = 0; i < nb; i++) {
			if (rc == 0)
				rc = postings_put(s, batch[i].k, batch[i].kept, batch[i].n, 1);
			free(batch[i].kept);
		}
		if (rc || rows == 0)
			break;
	}
	free(d.bits);
	return rc;
}
