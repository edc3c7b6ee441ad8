/* SPDX-License-Identifier: Apache-2.0 */
/* tokens.c: the tokens other systems hold in place of values (tokens.c of the library
 * makes them), in the PostgreSQL store: one row per token and customer, the value only as
 * the library sealed it. */
#include "internal.h"
#include "pg_store.h"

#include <stdio.h>

const char pv_pg_token_tables[] =
	"CREATE TABLE tokens(token text COLLATE \"C\" NOT NULL, customer text COLLATE \"C\" NOT NULL,"
	"  field bigint NOT NULL, purpose text NOT NULL, kind bigint NOT NULL,"
	"  created text NOT NULL, vtag bytea, sealed bytea NOT NULL,"
	"  PRIMARY KEY (token, customer));";

int pv_pg_token_add(struct pv_store *s, const struct pv_stored_token *t)
{
	char field[16], kind[16];
	snprintf(field, sizeof field, "%d", t->field);
	snprintf(kind, sizeof kind, "%d", t->kind);
	const char *values[8] = { t->token, t->customer, field, t->purpose, kind, t->created,
				  (const char *)t->vtag, (const char *)t->sealed };
	const int lengths[8] = { [6] = (int)t->vtag_len, [7] = (int)t->sealed_len };
	const int binary[8] = { [6] = 1, [7] = 1 };
	PGresult *r = pv_pg_query(pg_of(s), "INSERT INTO tokens(token, customer, field, purpose, "
				  "kind, created, vtag, sealed) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) "
				  "ON CONFLICT DO NOTHING", 8, values, lengths, binary,
				  "write a token");
	if (!r)
		return -1;
	int added = PQcmdTuples(r)[0] == '1';
	PQclear(r);
	return added ? 0 : 1;
}

struct token_walk {
	int (*fn)(void *ctx, const struct pv_stored_token *t);
	void *ctx;
};

static int token_row(void *ctx, const PGresult *r, int i)
{
	struct token_walk *w = ctx;
	int bad = 0, no_tag = PQgetisnull(r, i, 6);
	struct pv_stored_token t = {
		.token = PQgetvalue(r, i, 0),
		.customer = PQgetvalue(r, i, 1),
		.field = (int)pv_pg_int8(r, i, 2, &bad),
		.purpose = PQgetvalue(r, i, 3),
		.kind = (int)pv_pg_int8(r, i, 4, &bad),
		.created = PQgetvalue(r, i, 5),
		.vtag = no_tag ? NULL : (const uint8_t *)PQgetvalue(r, i, 6),
		.vtag_len = no_tag ? 0 : (size_t)PQgetlength(r, i, 6),
		.sealed = (const uint8_t *)PQgetvalue(r, i, 7),
		.sealed_len = (size_t)PQgetlength(r, i, 7),
	};
	return w->fn(w->ctx, bad ? NULL : &t); /* a number a DBA broke: malformed */
}

int pv_pg_token_scan(struct pv_store *s, const char *token,
		     int (*fn)(void *ctx, const struct pv_stored_token *t), void *ctx)
{
	struct token_walk w = { fn, ctx };
	return pv_pg_rows(pg_of(s), "SELECT token, customer, field, purpose, kind, created, vtag, "
			  "sealed FROM tokens WHERE token = $1 ORDER BY customer", 1, &token,
			  token_row, &w, "read a token");
}
