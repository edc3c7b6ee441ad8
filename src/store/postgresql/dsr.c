/* SPDX-License-Identifier: Apache-2.0 */
/* dsr.c: data-subject requests in the PostgreSQL store (access, correction, deletion,
 * ...): the customer by id, the type, where from, when opened and due, how closed. */
#include "internal.h"
#include "pg_store.h"

const char pv_pg_dsr_tables[] =
	"CREATE TABLE dsr(id text COLLATE \"C\" PRIMARY KEY, customer text NOT NULL,"
	"  type text NOT NULL, jurisdiction text NOT NULL, opened text NOT NULL,"
	"  due text COLLATE \"C\" NOT NULL, opened_by text NOT NULL,"
	"  closed text NOT NULL DEFAULT '', outcome text NOT NULL DEFAULT '');";

#define COLUMNS "id, customer, type, jurisdiction, opened, due, opened_by, closed, outcome"
#define NCOLUMNS 9
#define TEXTS(d)                                                                           \
	{ &(d)->id, &(d)->customer, &(d)->type, &(d)->jurisdiction, &(d)->opened, &(d)->due, \
	  &(d)->opened_by, &(d)->closed, &(d)->outcome }

static void row_to_dsr(const PGresult *r, int i, struct pv_stored_dsr *d)
{
	const char **t[NCOLUMNS] = TEXTS(d);
	for (int k = 0; k < NCOLUMNS; k++)
		*t[k] = PQgetvalue(r, i, k);
}

int pv_pg_dsr_put(struct pv_store *s, const struct pv_stored_dsr *d)
{
	struct pv_stored_dsr w = *d;
	const char **t[NCOLUMNS] = TEXTS(&w);
	const char *values[NCOLUMNS];
	for (int k = 0; k < NCOLUMNS; k++)
		values[k] = *t[k] ? *t[k] : "";
	return pv_pg_upsert(pg_of(s), "dsr", "id", COLUMNS, NCOLUMNS, values, NULL, NULL,
			    "write a data-subject request");
}

int pv_pg_dsr_get(struct pv_store *s, const char *id, struct pv_stored_dsr *d)
{
	PGresult *row = NULL;
	int got = pv_pg_row(pg_of(s), "SELECT " COLUMNS " FROM dsr WHERE id = $1", id, &row,
			    "read a data-subject request");
	if (got == 0)
		row_to_dsr(row, 0, d);
	return got;
}

struct dsr_walk {
	int (*fn)(void *ctx, const struct pv_stored_dsr *d);
	void *ctx;
};

static int dsr_row(void *ctx, const PGresult *r, int i)
{
	struct dsr_walk *w = ctx;
	struct pv_stored_dsr d;
	row_to_dsr(r, i, &d);
	return w->fn(w->ctx, &d);
}

int pv_pg_dsr_scan(struct pv_store *s, int (*fn)(void *ctx, const struct pv_stored_dsr *d),
		   void *ctx)
{
	struct dsr_walk w = { fn, ctx };
	return pv_pg_rows(pg_of(s), "SELECT " COLUMNS " FROM dsr ORDER BY due, id", 0, NULL, dsr_row,
			  &w, "scan data-subject requests");
}
