/* SPDX-License-Identifier: Apache-2.0 */
/* api_tokens.c: the server's API tokens for scripts in the PostgreSQL store: a keyed hash
 * of each token (never the token), its public id, its user, role and purposes, who made
 * it, when it was made, expires and was revoked, how many customers it was shown in clear,
 * and an integrity tag the library computes. */
#include "internal.h"
#include "pg_store.h"

#include <inttypes.h>
#include <stdio.h>

const char pv_pg_api_token_tables[] =
	"CREATE TABLE api_tokens(hash text COLLATE \"C\" PRIMARY KEY,"
	"  id text COLLATE \"C\" NOT NULL UNIQUE, user_name text NOT NULL, role text NOT NULL,"
	"  purposes text NOT NULL, created_by text NOT NULL, created bigint NOT NULL,"
	"  expires bigint NOT NULL, revoked bigint NOT NULL, clear_shown bigint NOT NULL,"
	"  tag bytea NOT NULL);";

#define TOKEN_COLUMNS \
	"hash, id, user_name, role, purposes, created_by, created, expires, revoked, " \
	"clear_shown, tag"

static void row_to_token(const PGresult *r, int i, struct pv_stored_api_token *x)
{
	int bad = 0;
	const char **text[] = { &x->hash, &x->id, &x->user, &x->role, &x->purposes,
				&x->created_by };
	for (int k = 0; k < 6; k++)
		*text[k] = PQgetvalue(r, i, k);
	x->created = pv_pg_int8(r, i, 6, &bad);
	x->expires = pv_pg_int8(r, i, 7, &bad);
	x->revoked = pv_pg_int8(r, i, 8, &bad);
	x->clear_shown = (uint64_t)pv_pg_int8(r, i, 9, &bad);
	x->tag = (const uint8_t *)PQgetvalue(r, i, 10);
	x->tag_len = (size_t)PQgetlength(r, i, 10);
}

static int token_by(struct pv_pg_store *s, const char *sql, const char *key,
		    struct pv_stored_api_token *x)
{
	PGresult *row = NULL;
	int got = pv_pg_row(s, sql, key, &row, "read an API token");
	if (got == 0)
		row_to_token(row, 0, x);
	return got;
}

int pv_pg_api_token_get(struct pv_store *s, const char *hash, struct pv_stored_api_token *x)
{
	return token_by(pg_of(s), "SELECT " TOKEN_COLUMNS " FROM api_tokens WHERE hash = $1", hash,
			x);
}

int pv_pg_api_token_get_by_id(struct pv_store *s, const char *id, struct pv_stored_api_token *x)
{
	return token_by(pg_of(s), "SELECT " TOKEN_COLUMNS " FROM api_tokens WHERE id = $1", id, x);
}

int pv_pg_api_token_put(struct pv_store *store, const struct pv_stored_api_token *x)
{
	char created[24], expires[24], revoked[24], shown[24];
	snprintf(created, sizeof created, "%" PRId64, x->created);
	snprintf(expires, sizeof expires, "%" PRId64, x->expires);
	snprintf(revoked, sizeof revoked, "%" PRId64, x->revoked);
	snprintf(shown, sizeof shown, "%" PRIu64, x->clear_shown);
	const char *values[11] = { x->hash, x->id, x->user, x->role, x->purposes, x->created_by,
				   created, expires, revoked, shown, (const char *)x->tag };
	const int lengths[11] = { [10] = (int)x->tag_len }, binary[11] = { [10] = 1 };
	PGresult *r = pv_pg_query(pg_of(store), "INSERT INTO api_tokens(" TOKEN_COLUMNS ") VALUES "
				  "($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) ON CONFLICT (hash) DO UPDATE "
				  "SET id = EXCLUDED.id, user_name = EXCLUDED.user_name, "
				  "role = EXCLUDED.role, purposes = EXCLUDED.purposes, "
				  "created_by = EXCLUDED.created_by, created = EXCLUDED.created, "
				  "expires = EXCLUDED.expires, revoked = EXCLUDED.revoked, "
				  "clear_shown = EXCLUDED.clear_shown, tag = EXCLUDED.tag",
				  11, values, lengths, binary, "write an API token");
	PQclear(r);
	return r ? 0 : -1;
}

struct token_walk {
	pv_store_api_token_fn fn;
	void *ctx;
};

static int token_row(void *ctx, const PGresult *r, int i)
{
	struct token_walk *w = ctx;
	struct pv_stored_api_token x;
	row_to_token(r, i, &x);
	return w->fn(w->ctx, &x);
}

int pv_pg_api_token_scan(struct pv_store *store, const char *user, pv_store_api_token_fn fn,
			 void *ctx)
{
	struct token_walk w = { fn, ctx };
	if (user)
		return pv_pg_rows(pg_of(store), "SELECT " TOKEN_COLUMNS " FROM api_tokens WHERE "
				  "user_name = $1 ORDER BY created, id", 1, &user, token_row, &w,
				  "scan API tokens");
	return pv_pg_rows(pg_of(store), "SELECT " TOKEN_COLUMNS " FROM api_tokens ORDER BY "
			  "created, id", 0, NULL, token_row, &w, "scan API tokens");
}
