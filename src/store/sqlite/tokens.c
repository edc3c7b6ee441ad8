/* SPDX-License-Identifier: Apache-2.0 */
/* tokens.c: the tokens other systems hold in place of values (tokens.c of the library
 * makes them), in the SQLite store: one row per token and customer, the value only as the
 * library sealed it. */
#include "internal.h"

const char pv_sqlite_token_tables[] =
	"CREATE TABLE IF NOT EXISTS tokens("
	"  token TEXT NOT NULL, customer TEXT NOT NULL, field INTEGER NOT NULL,"
	"  purpose TEXT NOT NULL, kind INTEGER NOT NULL, created TEXT NOT NULL,"
	"  vtag BLOB, sealed BLOB NOT NULL, PRIMARY KEY(token, customer)) WITHOUT ROWID;";

int pv_sqlite_token_add(struct pv_store *s, const struct pv_stored_token *t)
{
	static const char sql[] =
		"INSERT OR IGNORE INTO tokens(token, customer, field, purpose, kind, created, vtag, "
		"sealed) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, t->token, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, t->customer, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(q, 3, t->field);
	sqlite3_bind_text(q, 4, t->purpose, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(q, 5, t->kind);
	sqlite3_bind_text(q, 6, t->created, -1, SQLITE_TRANSIENT);
	if (t->vtag)
		sqlite3_bind_blob(q, 7, t->vtag, (int)t->vtag_len, SQLITE_TRANSIENT);
	sqlite3_bind_blob(q, 8, t->sealed, (int)t->sealed_len, SQLITE_TRANSIENT);
	if (pv_sqlite_run(s, q, "write a token") != 0)
		return -1;
	return sqlite3_changes(s->db) == 0 ? 1 : 0;
}

struct token_walk {
	int (*fn)(void *ctx, const struct pv_stored_token *t);
	void *ctx;
};

static int token_row(void *p, sqlite3_stmt *q)
{
	struct token_walk *w = p;
	struct pv_stored_token t = {
		.token = (const char *)sqlite3_column_text(q, 0),
		.customer = (const char *)sqlite3_column_text(q, 1),
		.field = sqlite3_column_int(q, 2),
		.purpose = (const char *)sqlite3_column_text(q, 3),
		.kind = sqlite3_column_int(q, 4),
		.created = (const char *)sqlite3_column_text(q, 5),
		.vtag = sqlite3_column_blob(q, 6),
		.vtag_len = (size_t)sqlite3_column_bytes(q, 6),
		.sealed = sqlite3_column_blob(q, 7),
		.sealed_len = (size_t)sqlite3_column_bytes(q, 7),
	};
	if (!t.token || !t.customer || !t.purpose || !t.created || !t.sealed)
		return w->fn(w->ctx, NULL); /* a row with a column emptied: malformed */
	return w->fn(w->ctx, &t);
}

int pv_sqlite_token_scan(struct pv_store *s, const char *token,
			int (*fn)(void *ctx, const struct pv_stored_token *t), void *ctx)
{
	static const char sql[] = "SELECT token, customer, field, purpose, kind, created, vtag, "
				  "sealed FROM tokens WHERE token = ?1 ORDER BY customer";
	/* the cached statement (a token has a row or two): stepped here, reset before return */
	struct token_walk w = { fn, ctx };
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	int got = pv_sqlite_row_by_key(s, q, token, "read a token");
	if (got != 0)
		return got < 0 ? -1 : 0;
	int stop = 0, st = SQLITE_ROW;
	while (st == SQLITE_ROW && !(stop = token_row(&w, q)))
		st = sqlite3_step(q);
	if (!stop && st != SQLITE_DONE)
		stop = pv_sqlite_fail(s, "read a token");
	sqlite3_reset(q);
	return stop;
}
