/* SPDX-License-Identifier: Apache-2.0 */
/* notices.c: notices sent to customers in the PostgreSQL store (a transfer's, a breach's,
 * ...): to whom, what kind, which text version, by what channel, when and by whom, and
 * its delivery state. No personal value: the customer by id. */
#include "internal.h"
#include "pg_store.h"

#include <inttypes.h>
#include <stdio.h>

const char pv_pg_notices_tables[] =
	"CREATE TABLE notices(notice bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	"  customer text COLLATE \"C\" NOT NULL, kind text NOT NULL, text_version text NOT NULL,"
	"  channel text NOT NULL, sent text NOT NULL, sent_by text NOT NULL, state text NOT NULL,"
	"  state_at text NOT NULL);"
	"CREATE INDEX notices_customer ON notices(customer, notice);";

#define COLUMNS "notice, customer, kind, text_version, channel, sent, sent_by, state, state_at"

int pv_pg_notice_add(struct pv_store *store, const struct pv_store_notice *n, int64_t *notice)
{
	struct pv_pg_store *s = pg_of(store);
	const char *values[7] = { n->customer, n->kind, n->text_version, n->channel, n->sent,
				  n->sent_by, n->state };
	PGresult *r = pv_pg_query(s, "INSERT INTO notices(customer, kind, text_version, channel, "
				  "sent, sent_by, state, state_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$5) "
				  "RETURNING notice", 7, values, NULL, NULL, "record a notice");
	if (!r)
		return -1;
	int bad = 0;
	*notice = pv_pg_int8(r, 0, 0, &bad);
	PQclear(r);
	return bad ? pv_pg_fail(s, "record a notice", "its number was not returned") : 0;
}

int pv_pg_notice_set_state(struct pv_store *store, int64_t notice, const char *state,
			   const char *when, char *customer, size_t clen)
{
	char num[24];
	snprintf(num, sizeof num, "%" PRId64, notice);
	const char *values[3] = { num, state, when };
	PGresult *r = pv_pg_query(pg_of(store), "UPDATE notices SET state = $2, state_at = $3 "
				  "WHERE notice = $1 RETURNING customer", 3, values, NULL, NULL,
				  "update a notice");
	if (!r)
		return -1;
	int got = PQntuples(r) == 1;
	if (got)
		snprintf(customer, clen, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return got ? 0 : 1;
}

int pv_pg_notice_kind(struct pv_store *store, int64_t notice, char *kind, size_t klen,
		      char *customer, size_t clen)
{
	char num[24];
	snprintf(num, sizeof num, "%" PRId64, notice);
	const char *values[1] = { num };
	PGresult *r = pv_pg_query(pg_of(store), "SELECT kind, customer FROM notices WHERE "
				  "notice = $1", 1, values, NULL, NULL, "read a notice");
	if (!r)
		return -1;
	int got = PQntuples(r) == 1;
	if (got) {
		snprintf(kind, klen, "%s", PQgetvalue(r, 0, 0));
		snprintf(customer, clen, "%s", PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	return got ? 0 : 1;
}

struct notice_walk {
	pv_store_notice_fn fn;
	void *ctx;
};

static int notice_row(void *ctx, const PGresult *r, int i)
{
	struct notice_walk *w = ctx;
	int bad = 0;
	struct pv_store_notice n = { PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), PQgetvalue(r, i, 3),
				     PQgetvalue(r, i, 4), PQgetvalue(r, i, 5), PQgetvalue(r, i, 6),
				     PQgetvalue(r, i, 7), PQgetvalue(r, i, 8) };
	return w->fn(w->ctx, pv_pg_int8(r, i, 0, &bad), &n);
}

int pv_pg_notice_rows(struct pv_pg_store *s, const char *sql, const char *key,
		      pv_store_notice_fn fn, void *ctx, const char *what)
{
	struct notice_walk w = { fn, ctx };
	return pv_pg_rows(s, sql, 1, &key, notice_row, &w, what);
}

int pv_pg_notice_scan(struct pv_store *store, const char *customer, pv_store_notice_fn fn,
		      void *ctx)
{
	struct notice_walk w = { fn, ctx };
	if (customer)
		return pv_pg_rows(pg_of(store), "SELECT " COLUMNS " FROM notices WHERE customer = $1 "
				  "ORDER BY notice", 1, &customer, notice_row, &w, "scan notices");
	return pv_pg_rows(pg_of(store), "SELECT " COLUMNS " FROM notices ORDER BY notice", 0, NULL,
			  notice_row, &w, "scan notices");
}
