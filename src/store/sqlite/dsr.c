/* SPDX-License-Identifier: Apache-2.0 */
/* dsr.c: data-subject requests in the SQLite store: which customer asked for what, under
 * which law, when it is due, how it was closed. */
#include "internal.h"

const char pv_sqlite_dsr_tables[] =
	"CREATE TABLE IF NOT EXISTS dsr("
	"  id TEXT PRIMARY KEY, customer TEXT NOT NULL, type TEXT NOT NULL,"
	"  jurisdiction TEXT NOT NULL, opened TEXT NOT NULL, due TEXT NOT NULL,"
	"  opened_by TEXT NOT NULL, closed TEXT NOT NULL DEFAULT '',"
	"  outcome TEXT NOT NULL DEFAULT '');";


static const char SQL_PUT[] =
	"INSERT OR REPLACE INTO dsr(id, customer, type, jurisdiction, opened, due, opened_by, "
	"closed, outcome) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)";
static const char SQL_SCAN[] =
	"SELECT id, customer, type, jurisdiction, opened, due, opened_by, closed, outcome "
	"FROM dsr ORDER BY due, id";
static const char SQL_GET[] =
	"SELECT id, customer, type, jurisdiction, opened, due, opened_by, closed, outcome "
	"FROM dsr WHERE id = ?1";

int pv_sqlite_dsr_put(struct pv_store *s, const struct pv_stored_dsr *d)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_PUT);
	if (!q)
		return -1;
	const char *t[] = { d->id, d->customer, d->type, d->jurisdiction, d->opened, d->due,
			    d->opened_by, d->closed, d->outcome };
	for (int i = 0; i < 9; i++)
		sqlite3_bind_text(q, i + 1, t[i] ? t[i] : "", -1, SQLITE_TRANSIENT);
	return pv_sqlite_run(s, q, "write a data-subject request");
}

static void row_to_dsr(sqlite3_stmt *q, struct pv_stored_dsr *d)
{
	const char **t[] = { &d->id, &d->customer, &d->type, &d->jurisdiction, &d->opened,
			     &d->due, &d->opened_by, &d->closed, &d->outcome };
	for (int i = 0; i < 9; i++) {
		const unsigned char *x = sqlite3_column_text(q, i);
		*t[i] = x ? (const char *)x : "";
	}
}

int pv_sqlite_dsr_get(struct pv_store *s, const char *id, struct pv_stored_dsr *d)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_GET);
	int got = pv_sqlite_row_by_key(s, q, id, "read a data-subject request");
	if (got == 0)
		row_to_dsr(q, d);
	return got;
}

struct dsr_walk {
	int (*fn)(void *ctx, const struct pv_stored_dsr *d);
	void *ctx;
};

static int dsr_row(void *p, sqlite3_stmt *q)
{
	struct dsr_walk *w = p;
	struct pv_stored_dsr d;
	row_to_dsr(q, &d);
	return w->fn(w->ctx, &d);
}

int pv_sqlite_dsr_scan(struct pv_store *s, int (*fn)(void *ctx, const struct pv_stored_dsr *d),
		      void *ctx)
{
	struct dsr_walk w = { fn, ctx };
	return pv_sqlite_rows(s, SQL_SCAN, NULL, dsr_row, &w, "scan data-subject requests");
}
