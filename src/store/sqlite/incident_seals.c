/* SPDX-License-Identifier: Apache-2.0 */
/* incident_seals.c: the customers a breach incident sealed (信息封存) in the SQLite store:
 * customer ids only, per incident. What is sealed is vouched for elsewhere (a protected
 * setting with each sealed incident's count and digest, incident_seal.c); the rows here
 * are only its list. Also the database's data version, so that a handle knows cheaply
 * whether anything may have changed since it last checked. */
#include "internal.h"

const char pv_sqlite_seal_tables[] =
	"CREATE TABLE IF NOT EXISTS incident_seals("
	"  incident TEXT NOT NULL, customer TEXT NOT NULL,"
	"  PRIMARY KEY(incident, customer)) WITHOUT ROWID;";

int pv_sqlite_seal_add(struct pv_store *s, const char *incident, const char *customer)
{
	static const char sql[] =
		"INSERT OR IGNORE INTO incident_seals(incident, customer) VALUES (?1,?2)";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, incident, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, customer, -1, SQLITE_TRANSIENT);
	return pv_sqlite_run(s, q, "write an incident's seal");
}

int pv_sqlite_seal_clear(struct pv_store *s, const char *incident)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, "DELETE FROM incident_seals WHERE incident = ?1");
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, incident, -1, SQLITE_TRANSIENT);
	return pv_sqlite_run(s, q, "clear an incident's seal");
}

struct seal_walk {
	int (*fn)(void *ctx, const char *customer);
	void *ctx;
};

static int seal_row(void *p, sqlite3_stmt *q)
{
	struct seal_walk *w = p;
	const unsigned char *c = sqlite3_column_text(q, 0);
	return w->fn(w->ctx, c ? (const char *)c : "");
}

int pv_sqlite_seal_scan(struct pv_store *s, const char *incident,
		       int (*fn)(void *ctx, const char *customer), void *ctx)
{
	static const char sql[] =
		"SELECT customer FROM incident_seals WHERE incident = ?1 ORDER BY customer";
	struct seal_walk w = { fn, ctx };
	return pv_sqlite_rows(s, sql, incident, seal_row, &w, "scan an incident's seal");
}

unsigned pv_sqlite_data_version(struct pv_store *s)
{
	unsigned version = 0;
	if (sqlite3_file_control(s->db, "main", SQLITE_FCNTL_DATA_VERSION, &version) != SQLITE_OK)
		return 0;
	return version;
}
