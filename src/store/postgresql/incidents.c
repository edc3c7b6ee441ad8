/* SPDX-License-Identifier: Apache-2.0 */
/* incidents.c: breach incidents in the PostgreSQL store (their states and times), each
 * one's scope (customers by id, with the categories touched) and the customers sealed
 * while it runs (incident_seal.c in the library keeps their count and digest under an
 * integrity code). */
#include "internal.h"
#include "pg_store.h"

const char pv_pg_incident_tables[] =
	"CREATE TABLE incidents(id text COLLATE \"C\" PRIMARY KEY, kind text NOT NULL,"
	"  state text NOT NULL, detected_at text NOT NULL, description text NOT NULL,"
	"  opened_by text NOT NULL, opened_at text COLLATE \"C\" NOT NULL,"
	"  contained_at text NOT NULL DEFAULT '', notified_at text NOT NULL DEFAULT '',"
	"  closed_at text NOT NULL DEFAULT '', scope_filter text NOT NULL DEFAULT '');"
	"CREATE TABLE incident_scope(incident text COLLATE \"C\" NOT NULL,"
	"  customer text COLLATE \"C\" NOT NULL, categories text NOT NULL,"
	"  PRIMARY KEY (incident, customer));"
	"CREATE TABLE incident_seals(incident text COLLATE \"C\" NOT NULL,"
	"  customer text COLLATE \"C\" NOT NULL, PRIMARY KEY (incident, customer));";

#define COLUMNS \
	"id, kind, state, detected_at, description, opened_by, opened_at, contained_at, " \
	"notified_at, closed_at, scope_filter"
#define NCOLUMNS 11
#define TEXTS(c)                                                                           \
	{ &(c)->id, &(c)->kind, &(c)->state, &(c)->detected_at, &(c)->description,           \
	  &(c)->opened_by, &(c)->opened_at, &(c)->contained_at, &(c)->notified_at,          \
	  &(c)->closed_at, &(c)->scope_filter }

static void row_to_incident(const PGresult *r, int i, struct pv_stored_incident *c)
{
	const char **t[NCOLUMNS] = TEXTS(c);
	for (int k = 0; k < NCOLUMNS; k++)
		*t[k] = PQgetvalue(r, i, k);
}

int pv_pg_incident_put(struct pv_store *s, const struct pv_stored_incident *c)
{
	struct pv_stored_incident w = *c;
	const char **t[NCOLUMNS] = TEXTS(&w);
	const char *values[NCOLUMNS];
	for (int k = 0; k < NCOLUMNS; k++)
		values[k] = *t[k] ? *t[k] : "";
	return pv_pg_upsert(pg_of(s), "incidents", "id", COLUMNS, NCOLUMNS, values, NULL, NULL,
			    "write an incident");
}

int pv_pg_incident_get(struct pv_store *s, const char *id, struct pv_stored_incident *c)
{
	PGresult *row = NULL;
	int got = pv_pg_row(pg_of(s), "SELECT " COLUMNS " FROM incidents WHERE id = $1", id, &row,
			    "read an incident");
	if (got == 0)
		row_to_incident(row, 0, c);
	return got;
}

struct incident_walk {
	int (*fn)(void *ctx, const struct pv_stored_incident *c);
	void *ctx;
};

static int incident_row(void *ctx, const PGresult *r, int i)
{
	struct incident_walk *w = ctx;
	struct pv_stored_incident c;
	row_to_incident(r, i, &c);
	return w->fn(w->ctx, &c);
}

int pv_pg_incident_scan(struct pv_store *s,
			int (*fn)(void *ctx, const struct pv_stored_incident *c), void *ctx)
{
	struct incident_walk w = { fn, ctx };
	return pv_pg_rows(pg_of(s), "SELECT " COLUMNS " FROM incidents ORDER BY opened_at, id", 0,
			  NULL, incident_row, &w, "scan incidents");
}

/* Run a statement with text parameters and no rows: 0 or -1. */
static int run(struct pv_store *s, const char *sql, int n, const char *const *values,
	       const char *what)
{
	PGresult *r = pv_pg_query(pg_of(s), sql, n, values, NULL, NULL, what);
	PQclear(r);
	return r ? 0 : -1;
}

int pv_pg_incident_scope_clear(struct pv_store *s, const char *incident)
{
	return run(s, "DELETE FROM incident_scope WHERE incident = $1", 1, &incident,
		   "clear an incident's scope");
}

int pv_pg_incident_scope_add(struct pv_store *s, const char *incident, const char *customer,
			     const char *categories)
{
	const char *values[3] = { incident, customer, categories };
	return run(s, "INSERT INTO incident_scope(incident, customer, categories) VALUES "
		   "($1, $2, $3) ON CONFLICT (incident, customer) DO UPDATE SET "
		   "categories = EXCLUDED.categories", 3, values, "add to an incident's scope");
}

struct pair_walk {
	int (*fn)(void *ctx, const char *a, const char *b);
	int (*one)(void *ctx, const char *a);
	void *ctx;
};

static int pair_row(void *ctx, const PGresult *r, int i)
{
	struct pair_walk *w = ctx;
	return w->one ? w->one(w->ctx, PQgetvalue(r, i, 0))
		      : w->fn(w->ctx, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
}

int pv_pg_incident_scope_scan(struct pv_store *s, const char *incident, pv_store_scope_fn fn,
			      void *ctx)
{
	struct pair_walk w = { fn, NULL, ctx };
	return pv_pg_rows(pg_of(s), "SELECT customer, categories FROM incident_scope WHERE "
			  "incident = $1 ORDER BY customer", 1, &incident, pair_row, &w,
			  "scan an incident's scope");
}

int pv_pg_seal_add(struct pv_store *s, const char *incident, const char *customer)
{
	const char *values[2] = { incident, customer };
	return run(s, "INSERT INTO incident_seals(incident, customer) VALUES ($1, $2) "
		   "ON CONFLICT DO NOTHING", 2, values, "seal a customer");
}

int pv_pg_seal_clear(struct pv_store *s, const char *incident)
{
	return run(s, "DELETE FROM incident_seals WHERE incident = $1", 1, &incident,
		   "clear an incident's seal");
}

int pv_pg_seal_scan(struct pv_store *s, const char *incident,
		    int (*fn)(void *ctx, const char *customer), void *ctx)
{
	struct pair_walk w = { NULL, fn, ctx };
	return pv_pg_rows(pg_of(s), "SELECT customer FROM incident_seals WHERE incident = $1 "
			  "ORDER BY customer", 1, &incident, pair_row, &w,
			  "scan an incident's seal");
}

unsigned pv_pg_data_version(struct pv_store *s)
{
	(void)s;
	return 0; /* PostgreSQL cannot tell cheaply: callers check every time (store.h) */
}
