/* SPDX-License-Identifier: Apache-2.0 */
/* audit_log.c: the audit log's tables in the SQLite store: entries with their
 * chain hashes, and signed checkpoints; and a second, read-only connection for reading the
 * log in another thread. Entries carry ids and names, never values. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char pv_sqlite_audit_tables[] =
	"CREATE TABLE IF NOT EXISTS audit("
	"  seq INTEGER PRIMARY KEY, at TEXT NOT NULL, user TEXT NOT NULL, op TEXT NOT NULL,"
	"  ids TEXT NOT NULL, purpose TEXT NOT NULL, request TEXT NOT NULL,"
	"  outcome TEXT NOT NULL, detail TEXT NOT NULL, hash BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS audit_checkpoints("
	"  size INTEGER PRIMARY KEY, at TEXT NOT NULL, head BLOB NOT NULL, root BLOB NOT NULL,"
	"  frontier BLOB NOT NULL, signature BLOB NOT NULL);";

static const char SQL_APPEND[] =
	"INSERT INTO audit(seq, at, user, op, ids, purpose, request, outcome, detail, hash) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
static const char SQL_LAST[] = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1";
static const char SQL_SCAN[] =
	"SELECT seq, at, user, op, ids, purpose, request, outcome, detail, hash FROM audit "
	"WHERE seq >= ?1 ORDER BY seq";
static const char SQL_CKPT_PUT[] =
	"INSERT OR REPLACE INTO audit_checkpoints(size, at, head, root, frontier, signature) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_CKPT_LAST[] =
	"SELECT size, at, head, root, frontier, signature FROM audit_checkpoints "
	"WHERE size <= ?1 ORDER BY size DESC LIMIT 1";
static const char SQL_CKPT_SCAN[] =
	"SELECT size, at, head, root, frontier, signature FROM audit_checkpoints WHERE size > ?1 "
	"ORDER BY size";

int pv_sqlite_audit_append(struct pv_store *s, const struct pv_audit_row *e)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_APPEND);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, (sqlite3_int64)e->seq);
	const char *text[] = { e->at, e->user, e->op, e->ids, e->purpose, e->request, e->outcome,
			       e->detail };
	for (int i = 0; i < 8; i++)
		sqlite3_bind_text(q, 2 + i, text[i] ? text[i] : "",
				  e->has_len && text[i] ? (int)e->len[i] : -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 10, e->hash, PV_AUDIT_HASH, SQLITE_STATIC);
	s->audited = 1; /* its commit is made durable (pv_store_commit) */
	return pv_sqlite_run(s, q, "append audit entry");
}

int pv_sqlite_audit_last(struct pv_store *s, uint64_t *seq, uint8_t hash[PV_AUDIT_HASH])
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_LAST);
	if (!q)
		return -1;
	int rc = sqlite3_step(q);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(q);
		return 1;
	}
	if (rc != SQLITE_ROW)
		return pv_sqlite_fail(s, "read audit log");
	*seq = (uint64_t)sqlite3_column_int64(q, 0);
	int ok = sqlite3_column_bytes(q, 1) == PV_AUDIT_HASH;
	if (ok)
		memcpy(hash, sqlite3_column_blob(q, 1), PV_AUDIT_HASH);
	sqlite3_reset(q);
	if (!ok) {
		snprintf(s->err, sizeof s->err, "audit entry %llu: stored hash is malformed",
			 (unsigned long long)*seq);
		return -1;
	}
	return 0;
}

/* Fill e from the current row of a SQL_SCAN statement. */
static void row_to_entry(sqlite3_stmt *q, struct pv_audit_row *e)
{
	e->seq = (uint64_t)sqlite3_column_int64(q, 0);
	const char **text[] = { &e->at, &e->user, &e->op, &e->ids, &e->purpose, &e->request,
				&e->outcome, &e->detail };
	for (int i = 0; i < 8; i++) {
		const unsigned char *t = sqlite3_column_text(q, 1 + i);
		*text[i] = t ? (const char *)t : "";
		e->len[i] = t ? (size_t)sqlite3_column_bytes(q, 1 + i) : 0;
	}
	e->has_len = 1;
	e->hash = sqlite3_column_bytes(q, 9) == PV_AUDIT_HASH ? sqlite3_column_blob(q, 9) : NULL;
}

struct pv_store_audit_cursor {
	const struct pv_store_ops *ops; /* first: as the store's (store_ops.h) */
	sqlite3_stmt *q;
};

struct pv_store_audit_cursor *pv_sqlite_audit_cursor_open(struct pv_store *s, uint64_t from)
{
	pv_sqlite_walk_begins(s);
	struct pv_store_audit_cursor *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->ops = s->ops;
	if (s->depth == 0)
		pv_sqlite_linger_end(s); /* the log as it is now: every entry committed */
	pv_sqlite_fresh(s, NULL);
	if (sqlite3_prepare_v2(s->db, SQL_SCAN, -1, &c->q, NULL) != SQLITE_OK) {
		pv_sqlite_fail(s, "prepare audit cursor");
		free(c);
		return NULL;
	}
	sqlite3_bind_int64(c->q, 1, (sqlite3_int64)from);
	return c;
}

int pv_sqlite_audit_cursor_next(struct pv_store_audit_cursor *c, struct pv_audit_row *e)
{
	int rc = sqlite3_step(c->q);
	if (rc == SQLITE_ROW) {
		row_to_entry(c->q, e);
		return 0;
	}
	return rc == SQLITE_DONE ? 1 : -1;
}

void pv_sqlite_audit_cursor_close(struct pv_store_audit_cursor *c)
{
	if (!c)
		return;
	sqlite3_finalize(c->q);
	free(c);
}

struct audit_walk {
	pv_store_audit_fn fn;
	void *ctx;
};

static int audit_row(void *p, sqlite3_stmt *q)
{
	struct audit_walk *w = p;
	struct pv_audit_row e;
	row_to_entry(q, &e);
	return w->fn(w->ctx, &e);
}

int pv_sqlite_audit_scan(struct pv_store *s, uint64_t from, pv_store_audit_fn fn, void *ctx)
{
	pv_sqlite_walk_begins(s);
	const int64_t first = (int64_t)from; /* a statement of its own: fn may use the store */
	struct audit_walk w = { fn, ctx };
	return pv_sqlite_rows_with(s, SQL_SCAN, NULL, &first, 1, audit_row, &w, "scan audit log");
}

struct pv_store *pv_sqlite_audit_reader(struct pv_store *s)
{
	const char *path = sqlite3_db_filename(s->db, "main");
	if (!path || !*path) {
		snprintf(s->err, sizeof s->err, "the database has no file a second reader could open");
		return NULL;
	}
	struct pv_store *r = calloc(1, sizeof *r);
	if (!r) {
		snprintf(s->err, sizeof s->err, "out of memory");
		return NULL;
	}
	r->ops = s->ops;
	if (sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		snprintf(s->err, sizeof s->err, "cannot open a second reader of %s: %s", path,
			 r->db ? sqlite3_errmsg(r->db) : "out of memory");
		pv_sqlite_close(r);
		return NULL;
	}
	sqlite3_extended_result_codes(r->db, 1);
	pv_sqlite_wait_setup(r);
	return r;
}

int pv_sqlite_audit_checkpoint_put(struct pv_store *s, const struct pv_audit_checkpoint *c)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_CKPT_PUT);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, (sqlite3_int64)c->size);
	sqlite3_bind_text(q, 2, c->at, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 3, c->head, PV_AUDIT_HASH, SQLITE_STATIC);
	sqlite3_bind_blob(q, 4, c->root, PV_AUDIT_HASH, SQLITE_STATIC);
	sqlite3_bind_blob(q, 5, c->frontier, (int)c->frontier_len, SQLITE_STATIC);
	sqlite3_bind_blob(q, 6, c->signature, PV_AUDIT_SIG, SQLITE_STATIC);
	return pv_sqlite_run(s, q, "write audit checkpoint");
}

/* Fill c from a checkpoint row (pointers borrowed until the statement moves). */
static int row_to_checkpoint(struct pv_store *s, sqlite3_stmt *q, struct pv_audit_checkpoint *c)
{
	c->size = (uint64_t)sqlite3_column_int64(q, 0);
	c->at = (const char *)sqlite3_column_text(q, 1);
	c->head = sqlite3_column_blob(q, 2);
	c->root = sqlite3_column_blob(q, 3);
	c->frontier = sqlite3_column_blob(q, 4);
	c->frontier_len = (size_t)sqlite3_column_bytes(q, 4);
	c->signature = sqlite3_column_blob(q, 5);
	if (!c->at || sqlite3_column_bytes(q, 2) != PV_AUDIT_HASH ||
	    sqlite3_column_bytes(q, 3) != PV_AUDIT_HASH ||
	    sqlite3_column_bytes(q, 5) != PV_AUDIT_SIG) {
		snprintf(s->err, sizeof s->err, "audit checkpoint at %llu is malformed",
			 (unsigned long long)c->size);
		return -1;
	}
	return 0;
}

int pv_sqlite_audit_checkpoint_last(struct pv_store *s, uint64_t max_size,
				   struct pv_audit_checkpoint *c)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_CKPT_LAST);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, (sqlite3_int64)(max_size > INT64_MAX ? INT64_MAX : max_size));
	int rc = sqlite3_step(q);
	if (rc == SQLITE_DONE)
		return 1;
	if (rc != SQLITE_ROW)
		return pv_sqlite_fail(s, "read audit checkpoint");
	return row_to_checkpoint(s, q, c); /* valid until the statement is next reset */
}

struct checkpoint_walk {
	struct pv_store *s;
	pv_store_checkpoint_fn fn;
	void *ctx;
};

static int checkpoint_row(void *p, sqlite3_stmt *q)
{
	struct checkpoint_walk *w = p;
	struct pv_audit_checkpoint c;
	int stop = row_to_checkpoint(w->s, q, &c);
	return stop ? stop : w->fn(w->ctx, &c);
}

int pv_sqlite_audit_checkpoint_scan(struct pv_store *s, uint64_t after, pv_store_checkpoint_fn fn,
				   void *ctx)
{
	struct checkpoint_walk w = { s, fn, ctx };
	int64_t from = (int64_t)(after > INT64_MAX ? INT64_MAX : after);
	return pv_sqlite_rows_with(s, SQL_CKPT_SCAN, NULL, &from, 1, checkpoint_row, &w,
				   "scan audit checkpoints");
}
