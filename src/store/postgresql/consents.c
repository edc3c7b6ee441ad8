/* SPDX-License-Identifier: Apache-2.0 */
/* consents.c: consent in the PostgreSQL store: each customer's current state per purpose
 * (consents, by row id) and the history of every change (consent_log, by customer id). */
#include "internal.h"
#include "pg_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

const char pv_pg_consents_tables[] =
	"CREATE TABLE consents(rid bigint NOT NULL, purpose text COLLATE \"C\" NOT NULL,"
	"  granted integer NOT NULL, at text NOT NULL, channel text NOT NULL,"
	"  PRIMARY KEY (rid, purpose));"
	"CREATE TABLE consent_log(entry bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	"  customer text COLLATE \"C\" NOT NULL, purpose text COLLATE \"C\" NOT NULL,"
	"  granted integer NOT NULL, at text NOT NULL, channel text NOT NULL,"
	"  text_version text NOT NULL, recorded_by text NOT NULL);"
	"CREATE INDEX consent_log_customer ON consent_log(customer, entry);";

int pv_pg_consent_put(struct pv_store *store, int64_t rid, const char *purpose, int granted,
		      const char *at, const char *channel)
{
	int copied = pv_pg_consent_copy(pg_of(store), rid, purpose, granted, at, channel);
	if (copied != -2) /* a bulk import's new customer's: buffered */
		return copied;
	char r[24];
	snprintf(r, sizeof r, "%" PRId64, rid);
	const char *values[5] = { r, purpose, granted ? "1" : "0", at, channel };
	PGresult *res = pv_pg_query(pg_of(store), "INSERT INTO consents(rid, purpose, granted, at, "
				    "channel) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (rid, purpose) "
				    "DO UPDATE SET granted = EXCLUDED.granted, at = EXCLUDED.at, "
				    "channel = EXCLUDED.channel", 5, values, NULL, NULL,
				    "record a consent");
	PQclear(res);
	return res ? 0 : -1;
}

/* Binary int4 field (row i, column col). */
static int int4_at(const PGresult *r, int i, int col)
{
	const unsigned char *u = (const unsigned char *)PQgetvalue(r, i, col);
	return PQgetlength(r, i, col) == 4 ? (int)((uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 |
						   (uint32_t)u[2] << 8 | u[3])
					   : 0;
}

struct purpose_walk {
	int (*fn)(void *ctx, const char *purpose, int granted);
	void *ctx;
};

static int purpose_row(void *ctx, const PGresult *r, int i)
{
	struct purpose_walk *w = ctx;
	return w->fn(w->ctx, PQgetvalue(r, i, 0), int4_at(r, i, 1) != 0);
}

int pv_pg_consent_scan(struct pv_store *store, int64_t rid,
		       int (*fn)(void *ctx, const char *purpose, int granted), void *ctx)
{
	char r[24];
	snprintf(r, sizeof r, "%" PRId64, rid);
	const char *values[1] = { r };
	struct purpose_walk w = { fn, ctx };
	int stop = pv_pg_rows(pg_of(store), "SELECT purpose, granted FROM consents WHERE rid = $1 "
			      "ORDER BY purpose", 1, values, purpose_row, &w, "read consents");
	return stop < 0 ? -1 : 0;
}

int pv_pg_consent_state(struct pv_store *store, int64_t rid, const char *purpose)
{
	char r[24];
	snprintf(r, sizeof r, "%" PRId64, rid);
	const char *values[2] = { r, purpose };
	PGresult *res = pv_pg_query(pg_of(store), "SELECT granted FROM consents WHERE rid = $1 "
				    "AND purpose = $2", 2, values, NULL, NULL, "read consent");
	if (!res)
		return -1;
	int state = PQntuples(res) == 1 && int4_at(res, 0, 0) != 0;
	PQclear(res);
	return state;
}

int pv_pg_consent_log(struct pv_store *store, const struct pv_consent_event_row *e)
{
	const char *values[7] = { e->customer, e->purpose, e->granted ? "1" : "0", e->at,
				  e->channel, e->text_version, e->recorded_by };
	PGresult *res = pv_pg_query(pg_of(store), "INSERT INTO consent_log(customer, purpose, "
				    "granted, at, channel, text_version, recorded_by) VALUES "
				    "($1, $2, $3, $4, $5, $6, $7)", 7, values, NULL, NULL,
				    "record a consent");
	PQclear(res);
	return res ? 0 : -1;
}

struct event_walk {
	int (*fn)(void *ctx, const struct pv_consent_event_row *e);
	void *ctx;
};

static int event_row(void *ctx, const PGresult *r, int i)
{
	struct event_walk *w = ctx;
	struct pv_consent_event_row e = { PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
					  int4_at(r, i, 2) != 0, PQgetvalue(r, i, 3),
					  PQgetvalue(r, i, 4), PQgetvalue(r, i, 5),
					  PQgetvalue(r, i, 6) };
	return w->fn(w->ctx, &e);
}

int pv_pg_consent_rows(struct pv_pg_store *s, const char *sql, const char *key,
		       int (*fn)(void *ctx, const struct pv_consent_event_row *e), void *ctx,
		       const char *what)
{
	struct event_walk w = { fn, ctx };
	return pv_pg_rows(s, sql, 1, &key, event_row, &w, what);
}

int pv_pg_consent_log_scan(struct pv_store *store, const char *customer,
			   int (*fn)(void *ctx, const struct pv_consent_event_row *e), void *ctx)
{
	return pv_pg_consent_rows(pg_of(store), "SELECT customer, purpose, granted, at, channel, "
				  "text_version, recorded_by FROM consent_log WHERE customer = $1 "
				  "ORDER BY entry", customer, fn, ctx, "read consent history");
}

struct withdrawal_walk {
	int (*fn)(void *ctx, const char *customer, const char *purpose);
	void *ctx;
};

static int withdrawal_row(void *ctx, const PGresult *r, int i)
{
	struct withdrawal_walk *w = ctx;
	return w->fn(w->ctx, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
}

int pv_pg_consent_withdrawals(struct pv_store *store,
			      int (*fn)(void *ctx, const char *customer, const char *purpose),
			      void *ctx)
{
	struct withdrawal_walk w = { fn, ctx };
	return pv_pg_rows(pg_of(store), "SELECT DISTINCT customer, purpose FROM consent_log "
			  "WHERE granted = 0 ORDER BY customer, purpose", 0, NULL, withdrawal_row,
			  &w, "read the withdrawals of consent");
}
