/* SPDX-License-Identifier: Apache-2.0 */
/* incidents.c: breach incidents (信息泄露应急) in the SQLite store: the incident with the
 * time of each state, and its scope: customer ids and category names, never a value. */
#include "internal.h"

const char pv_sqlite_incident_tables[] =
	"CREATE TABLE IF NOT EXISTS incidents("
	"  id TEXT PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL,"
	"  detected_at TEXT NOT NULL, description TEXT NOT NULL, opened_by TEXT NOT NULL,"
	"  opened_at TEXT NOT NULL, contained_at TEXT NOT NULL DEFAULT '',"
	"  notified_at TEXT NOT NULL DEFAULT '', closed_at TEXT NOT NULL DEFAULT '',"
	"  scope_filter TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE IF NOT EXISTS incident_scope("
	"  incident TEXT NOT NULL, customer TEXT NOT NULL, categories TEXT NOT NULL,"
	"  PRIMARY KEY(incident, customer));";

#define INCIDENT_COLUMNS                                                                     \
	"id, kind, state, detected_at, description, opened_by, opened_at, contained_at, "      \
	"notified_at, closed_at, scope_filter"
#define INCIDENT_NCOLS 11

/* The row's texts in column order. */
static void incident_fields(const struct pv_stored_incident *c, const char *t[INCIDENT_NCOLS])
{
	const char *f[INCIDENT_NCOLS] = { c->id,	  c->kind,	   c->state,
					  c->detected_at, c->description,  c->opened_by,
					  c->opened_at,	  c->contained_at, c->notified_at,
					  c->closed_at,	  c->scope_filter };
	for (int i = 0; i < INCIDENT_NCOLS; i++)
		t[i] = f[i] ? f[i] : "";
}

int pv_sqlite_incident_put(struct pv_store *s, const struct pv_stored_incident *c)
{
	static const char sql[] = "INSERT OR REPLACE INTO incidents(" INCIDENT_COLUMNS ") "
				  "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	const char *t[INCIDENT_NCOLS];
	incident_fields(c, t);
	for (int i = 0; i < INCIDENT_NCOLS; i++)
		sqlite3_bind_text(q, i + 1, t[i], -1, SQLITE_TRANSIENT);
	return pv_sqlite_run(s, q, "write an incident");
}

static void row_to_incident(sqlite3_stmt *q, struct pv_stored_incident *c)
{
	const char **t[INCIDENT_NCOLS] = { &c->id,	    &c->kind,	      &c->state,
					   &c->detected_at, &c->description,  &c->opened_by,
					   &c->opened_at,   &c->contained_at, &c->notified_at,
					   &c->closed_at,   &c->scope_filter };
	for (int i = 0; i < INCIDENT_NCOLS; i++) {
		const unsigned char *x = sqlite3_column_text(q, i);
		*t[i] = x ? (const char *)x : "";
	}
}

int pv_sqlite_incident_get(struct pv_store *s, const char *id, struct pv_stored_incident *c)
{
	static const char sql[] = "SELECT " INCIDENT_COLUMNS " FROM incidents WHERE id = ?1";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	int got = pv_sqlite_row_by_key(s, q, id, "read an incident");
	if (got == 0)
		row_to_incident(q, c);
	return got;
}

struct incident_walk {
	int (*fn)(void *ctx, const struct pv_stored_incident *c);
	void *ctx;
};

static int incident_row(void *p, sqlite3_stmt *q)
{
	struct incident_walk *w = p;
	struct pv_stored_incident c;
	row_to_incident(q, &c);
	return w->fn(w->ctx, &c);
}

int pv_sqlite_incident_scan(struct pv_store *s,
			   int (*fn)(void *ctx, const struct pv_stored_incident *c), void *ctx)
{
	static const char sql[] =
		"SELECT " INCIDENT_COLUMNS " FROM incidents ORDER BY opened_at, id";
	struct incident_walk w = { fn, ctx };
	return pv_sqlite_rows(s, sql, NULL, incident_row, &w, "scan incidents");
}

int pv_sqlite_incident_scope_clear(struct pv_store *s, const char *incident)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, "DELETE FROM incident_scope WHERE incident = ?1");
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, incident, -1, SQLITE_TRANSIENT);
	return pv_sqlite_run(s, q, "clear an incident's scope");
}

int pv_sqlite_incident_scope_add(struct pv_store *s, const char *incident, const char *customer,
				const char *categories)
{
	static const char sql[] =
		"INSERT OR REPLACE INTO incident_scope(incident, customer, categories) "
		"VALUES (?1,?2,?3)";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	const char *t[] = { incident, customer, categories };
	for (int i = 0; i < 3; i++)
		sqlite3_bind_text(q, i + 1, t[i], -1, SQLITE_TRANSIENT);
	return pv_sqlite_run(s, q, "write an incident's scope");
}

struct scope_walk {
	pv_store_scope_fn fn;
	void *ctx;
};

static int scope_row(void *p, sqlite3_stmt *q)
{
	struct scope_walk *w = p;
	return w->fn(w->ctx, (const char *)sqlite3_column_text(q, 0),
		     (const char *)sqlite3_column_text(q, 1));
}

int pv_sqlite_incident_scope_scan(struct pv_store *s, const char *incident, pv_store_scope_fn fn,
				 void *ctx)
{
	static const char sql[] = "SELECT customer, categories FROM incident_scope "
				  "WHERE incident = ?1 ORDER BY customer";
	struct scope_walk w = { fn, ctx };
	return pv_sqlite_rows(s, sql, incident, scope_row, &w, "scan an incident's scope");
}
