/* SPDX-License-Identifier: Apache-2.0 */
/* requests.c: approval requests in the PostgreSQL store (four eyes): what was asked, bound
 * to the hash of its exact parameters, and its state; requests.c in the library decides. */
#include "internal.h"
#include "pg_store.h"

#include <inttypes.h>
#include <stdio.h>

const char pv_pg_requests_tables[] =
	"CREATE TABLE requests(id text COLLATE \"C\" PRIMARY KEY, requester text NOT NULL,"
	"  op text NOT NULL, params text NOT NULL, params_hash text NOT NULL,"
	"  command text NOT NULL, reason text NOT NULL, created text COLLATE \"C\" NOT NULL,"
	"  expires bigint NOT NULL, state text NOT NULL, approver text NOT NULL DEFAULT '',"
	"  decided text NOT NULL DEFAULT '', used text NOT NULL DEFAULT '',"
	"  enrol_key text NOT NULL DEFAULT '');";

#define COLUMNS \
	"id, requester, op, params, params_hash, command, reason, created, expires, state, " \
	"approver, decided, used, enrol_key"
#define NCOLUMNS 14
#define EXPIRES_COLUMN 8
/* The text columns in table order, the expiry aside. */
#define TEXTS(r)                                                                              \
	{ &(r)->id, &(r)->requester, &(r)->op, &(r)->params, &(r)->params_hash, &(r)->command, \
	  &(r)->reason, &(r)->created, NULL, &(r)->state, &(r)->approver, &(r)->decided,       \
	  &(r)->used, &(r)->enrol_key }

static void row_to_request(const PGresult *res, int i, struct pv_stored_request *r)
{
	const char **t[NCOLUMNS] = TEXTS(r);
	for (int k = 0; k < NCOLUMNS; k++)
		if (t[k])
			*t[k] = PQgetvalue(res, i, k);
	int bad = 0;
	r->expires = pv_pg_int8(res, i, EXPIRES_COLUMN, &bad);
}

int pv_pg_request_put(struct pv_store *s, const struct pv_stored_request *r)
{
	struct pv_stored_request w = *r;
	const char **t[NCOLUMNS] = TEXTS(&w);
	const char *values[NCOLUMNS];
	char expires[24];
	snprintf(expires, sizeof expires, "%" PRId64, r->expires);
	for (int k = 0; k < NCOLUMNS; k++)
		values[k] = t[k] ? (*t[k] ? *t[k] : "") : expires;
	return pv_pg_upsert(pg_of(s), "requests", "id", COLUMNS, NCOLUMNS, values, NULL, NULL,
			    "write request");
}

int pv_pg_request_get(struct pv_store *s, const char *id, struct pv_stored_request *r)
{
	PGresult *row = NULL;
	int got = pv_pg_row(pg_of(s), "SELECT " COLUMNS " FROM requests WHERE id = $1", id, &row,
			    "read request");
	if (got == 0)
		row_to_request(row, 0, r);
	return got;
}

struct request_walk {
	pv_store_request_fn fn;
	void *ctx;
};

static int request_row(void *ctx, const PGresult *res, int i)
{
	struct request_walk *w = ctx;
	struct pv_stored_request r;
	row_to_request(res, i, &r);
	return w->fn(w->ctx, &r);
}

int pv_pg_request_scan(struct pv_store *s, pv_store_request_fn fn, void *ctx)
{
	struct request_walk w = { fn, ctx };
	return pv_pg_rows(pg_of(s), "SELECT " COLUMNS " FROM requests ORDER BY created, id", 0, NULL,
			  request_row, &w, "scan requests");
}
