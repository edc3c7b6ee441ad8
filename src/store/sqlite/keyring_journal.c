/* SPDX-License-Identifier: Apache-2.0 */
/* keyring_journal.c: the keyring's nodes and journal in the SQLite store: each node's
 * acknowledgement (applied_seq), and a shred's new bucket keys, each sealed under a key
 * derived from the slot's previous key (never one the root key opens). Entries are never
 * deleted, so seq (the row id) only grows. */
#include "internal.h"

const char pv_sqlite_keyring_journal_tables[] =
	"CREATE TABLE IF NOT EXISTS keyring_nodes(node_id TEXT PRIMARY KEY, name TEXT NOT NULL,"
	"  registered_at TEXT NOT NULL, applied_seq INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS keyring_nodes_retired(node_id TEXT PRIMARY KEY, name TEXT NOT NULL,"
	"  registered_at TEXT NOT NULL, retired_at TEXT NOT NULL, applied_seq INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS keyring_journal(seq INTEGER PRIMARY KEY,"
	"  slot INTEGER NOT NULL, gen INTEGER NOT NULL, sealed BLOB NOT NULL, at TEXT NOT NULL,"
	"  shred_ref TEXT NOT NULL);";

int pv_sqlite_node_register(struct pv_store *s, const char *node_id, const char *name,
			    const char *at)
{
	static const char sql[] = "INSERT OR IGNORE INTO keyring_nodes(node_id, name, "
				  "registered_at) VALUES (?1, ?2, ?3)";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, node_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 3, at, -1, SQLITE_TRANSIENT);
	return pv_sqlite_run(s, q, "register the keyring's node");
}

int pv_sqlite_node_applied(struct pv_store *s, const char *node_id, uint64_t *applied)
{
	static const char sql[] = "SELECT applied_seq FROM keyring_nodes WHERE node_id = ?1";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	int got = pv_sqlite_row_by_key(s, q, node_id, "read the keyring node's acknowledgement");
	if (got == 0)
		*applied = (uint64_t)sqlite3_column_int64(q, 0);
	return got;
}

int pv_sqlite_node_ack(struct pv_store *s, const char *node_id, uint64_t seq)
{
	static const char sql[] = "UPDATE keyring_nodes SET applied_seq = max(applied_seq, ?2) "
				  "WHERE node_id = ?1";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, node_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)seq);
	return pv_sqlite_run(s, q, "record the keyring node's acknowledgement");
}

struct node_walk {
	pv_store_node_fn fn;
	void *ctx;
};

static int node_row(void *p, sqlite3_stmt *q)
{
	struct node_walk *w = p;
	return w->fn(w->ctx, (const char *)sqlite3_column_text(q, 0),
		     (const char *)sqlite3_column_text(q, 1), (const char *)sqlite3_column_text(q, 2),
		     (uint64_t)sqlite3_column_int64(q, 3));
}

int pv_sqlite_node_scan(struct pv_store *s, pv_store_node_fn fn, void *ctx)
{
	static const char sql[] = "SELECT node_id, name, registered_at, applied_seq FROM "
				  "keyring_nodes ORDER BY registered_at, node_id";
	struct node_walk w = { fn, ctx };
	return pv_sqlite_rows(s, sql, NULL, node_row, &w, "scan the keyring's nodes");
}

int pv_sqlite_node_retire(struct pv_store *s, const char *node_id, const char *at)
{
	static const char move[] = "INSERT INTO keyring_nodes_retired(node_id, name, "
				   "registered_at, retired_at, applied_seq) SELECT node_id, name, "
				   "registered_at, ?2, applied_seq FROM keyring_nodes WHERE node_id = ?1";
	static const char drop[] = "DELETE FROM keyring_nodes WHERE node_id = ?1";
	sqlite3_stmt *q = pv_sqlite_stmt(s, move);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, node_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, at, -1, SQLITE_TRANSIENT);
	if (pv_sqlite_run(s, q, "retire the keyring's node") != 0)
		return -1;
	if (sqlite3_changes(s->db) == 0)
		return 1;
	if (!(q = pv_sqlite_stmt(s, drop)))
		return -1;
	sqlite3_bind_text(q, 1, node_id, -1, SQLITE_TRANSIENT);
	return pv_sqlite_run(s, q, "retire the keyring's node");
}

int pv_sqlite_node_retired_scan(struct pv_store *s, pv_store_node_fn fn, void *ctx)
{
	static const char sql[] = "SELECT node_id, name, retired_at, applied_seq FROM "
				  "keyring_nodes_retired ORDER BY retired_at, node_id";
	struct node_walk w = { fn, ctx };
	return pv_sqlite_rows(s, sql, NULL, node_row, &w, "scan the keyring's retired nodes");
}

int pv_sqlite_kjournal_add(struct pv_store *s, uint32_t slot, uint32_t gen, const uint8_t *sealed,
			   size_t len, const char *at, const char *shred_ref, uint64_t *seq)
{
	static const char sql[] = "INSERT INTO keyring_journal(slot, gen, sealed, at, shred_ref) "
				  "VALUES (?1, ?2, ?3, ?4, ?5)";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	sqlite3_bind_int64(q, 1, slot);
	sqlite3_bind_int64(q, 2, gen);
	sqlite3_bind_blob(q, 3, sealed, (int)len, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 4, at, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 5, shred_ref, -1, SQLITE_TRANSIENT);
	if (pv_sqlite_run(s, q, "add to the keyring journal") != 0)
		return -1;
	*seq = (uint64_t)sqlite3_last_insert_rowid(s->db);
	return 0;
}

struct kjournal_walk {
	pv_store_kjournal_fn fn;
	void *ctx;
};

static int kjournal_row(void *p, sqlite3_stmt *q)
{
	struct kjournal_walk *w = p;
	return w->fn(w->ctx, (uint64_t)sqlite3_column_int64(q, 0),
		     (uint32_t)sqlite3_column_int64(q, 1), (uint32_t)sqlite3_column_int64(q, 2),
		     sqlite3_column_blob(q, 3), (size_t)sqlite3_column_bytes(q, 3));
}

int pv_sqlite_kjournal_scan(struct pv_store *s, uint64_t after, pv_store_kjournal_fn fn,
			    void *ctx)
{
	static const char sql[] = "SELECT seq, slot, gen, sealed FROM keyring_journal "
				  "WHERE seq > ?1 ORDER BY seq";
	struct kjournal_walk w = { fn, ctx };
	int64_t from = (int64_t)after;
	return pv_sqlite_rows_with(s, sql, NULL, &from, 1, kjournal_row, &w,
				   "read the keyring journal");
}

static int last_row(void *p, sqlite3_stmt *q)
{
	*(uint64_t *)p = (uint64_t)sqlite3_column_int64(q, 0);
	return 0;
}

int pv_sqlite_kjournal_last(struct pv_store *s, uint64_t *seq)
{
	static const char sql[] = "SELECT coalesce(max(seq), 0) FROM keyring_journal";
	*seq = 0;
	return pv_sqlite_rows(s, sql, NULL, last_row, seq, "read the keyring journal");
}
