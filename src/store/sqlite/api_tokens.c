/* SPDX-License-Identifier: Apache-2.0 */
/* api_tokens.c: the server's API tokens for scripts in the SQLite store: a keyed hash of
 * each token (never the token), its public id, its user, role and purposes, who made it,
 * when it was made, expires and was revoked, how many customers it was shown in clear,
 * and an integrity tag the library computes. */
#include "internal.h"

const char pv_sqlite_api_token_tables[] =
	"CREATE TABLE IF NOT EXISTS api_tokens("
	"  hash TEXT PRIMARY KEY, id TEXT NOT NULL UNIQUE, user TEXT NOT NULL,"
	"  role TEXT NOT NULL, purposes TEXT NOT NULL, created_by TEXT NOT NULL,"
	"  created INTEGER NOT NULL, expires INTEGER NOT NULL, revoked INTEGER NOT NULL,"
	"  clear_shown INTEGER NOT NULL, tag BLOB NOT NULL);";

#define COLUMNS "hash, id, user, role, purposes, created_by, created, expires, revoked, " \
		"clear_shown, tag"

static void row_to_token(sqlite3_stmt *q, struct pv_stored_api_token *x)
{
	x->hash = (const char *)sqlite3_column_text(q, 0);
	x->id = (const char *)sqlite3_column_text(q, 1);
	x->user = (const char *)sqlite3_column_text(q, 2);
	x->role = (const char *)sqlite3_column_text(q, 3);
	x->purposes = (const char *)sqlite3_column_text(q, 4);
	x->created_by = (const char *)sqlite3_column_text(q, 5);
	x->created = sqlite3_column_int64(q, 6);
	x->expires = sqlite3_column_int64(q, 7);
	x->revoked = sqlite3_column_int64(q, 8);
	x->clear_shown = (uint64_t)sqlite3_column_int64(q, 9);
	x->tag = sqlite3_column_blob(q, 10);
	x->tag_len = x->tag ? (size_t)sqlite3_column_bytes(q, 10) : 0;
	if (!x->hash || !x->id || !x->user || !x->role || !x->purposes || !x->created_by)
		x->tag_len = 0; /* a NULL a DBA wrote: no tag holds */
}

int pv_sqlite_api_token_get(struct pv_store *s, const char *hash, struct pv_stored_api_token *x)
{
	static const char sql[] = "SELECT " COLUMNS " FROM api_tokens WHERE hash = ?1";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	int got = pv_sqlite_row_by_key(s, q, hash, "read an API token");
	if (got == 0)
		row_to_token(q, x);
	return got;
}

int pv_sqlite_api_token_get_by_id(struct pv_store *s, const char *id,
				 struct pv_stored_api_token *x)
{
	static const char sql[] = "SELECT " COLUMNS " FROM api_tokens WHERE id = ?1";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	int got = pv_sqlite_row_by_key(s, q, id, "read an API token");
	if (got == 0)
		row_to_token(q, x);
	return got;
}

int pv_sqlite_api_token_put(struct pv_store *s, const struct pv_stored_api_token *x)
{
	static const char sql[] = "INSERT OR REPLACE INTO api_tokens(" COLUMNS ") "
				  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	const char *text[] = { x->hash, x->id, x->user, x->role, x->purposes, x->created_by };
	for (int i = 0; i < 6; i++)
		sqlite3_bind_text(q, i + 1, text[i], -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 7, x->created);
	sqlite3_bind_int64(q, 8, x->expires);
	sqlite3_bind_int64(q, 9, x->revoked);
	sqlite3_bind_int64(q, 10, (int64_t)x->clear_shown);
	sqlite3_bind_blob(q, 11, x->tag, (int)x->tag_len, SQLITE_TRANSIENT);
	return pv_sqlite_run(s, q, "write an API token");
}

struct token_walk {
	pv_store_api_token_fn fn;
	void *ctx;
};

static int token_row(void *p, sqlite3_stmt *q)
{
	struct token_walk *w = p;
	struct pv_stored_api_token x;
	row_to_token(q, &x);
	return w->fn(w->ctx, &x);
}

int pv_sqlite_api_token_scan(struct pv_store *s, const char *user, pv_store_api_token_fn fn,
			    void *ctx)
{
	static const char all[] = "SELECT " COLUMNS " FROM api_tokens ORDER BY created, id";
	static const char one[] =
		"SELECT " COLUMNS " FROM api_tokens WHERE user = ?1 ORDER BY created, id";
	struct token_walk w = { fn, ctx };
	return pv_sqlite_rows(s, user ? one : all, user, token_row, &w, "scan API tokens");
}
