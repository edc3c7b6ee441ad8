/* SPDX-License-Identifier: Apache-2.0 */
/* customer_flags.c: restriction and objection of customers (GDPR art. 18, 21; PIPL art.
 * 44) in the SQLite store, since a date each; and whether any customer has one, cached on
 * the connection as of the database version it was read at. */
#include "internal.h"

const char pv_sqlite_flags_tables[] =
	"CREATE TABLE IF NOT EXISTS customer_flags("
	"  customer TEXT PRIMARY KEY, restricted TEXT NOT NULL DEFAULT '',"
	"  objected TEXT NOT NULL DEFAULT '') WITHOUT ROWID;";

int pv_sqlite_customer_flag_set(struct pv_store *s, const char *customer, int objection,
			       const char *since)
{
	static const char restrict_sql[] =
		"INSERT INTO customer_flags(customer, restricted) VALUES (?1, ?2) "
		"ON CONFLICT(customer) DO UPDATE SET restricted = ?2";
	static const char object_sql[] =
		"INSERT INTO customer_flags(customer, objected) VALUES (?1, ?2) "
		"ON CONFLICT(customer) DO UPDATE SET objected = ?2";
	sqlite3_stmt *q = pv_sqlite_stmt(s, objection ? object_sql : restrict_sql);
	if (!q)
		return -1;
	s->flags_known = 0; /* this connection's own change, before it commits */
	sqlite3_bind_text(q, 1, customer, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, since, -1, SQLITE_TRANSIENT);
	return pv_sqlite_run(s, q, "set a restriction or objection");
}

int pv_sqlite_customer_flags(struct pv_store *s, const char *customer, int *restricted,
			    int *objected)
{
	static const char sql[] =
		"SELECT restricted, objected FROM customer_flags WHERE customer = ?1";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, customer, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(q);
	*restricted = *objected = 0;
	if (rc == SQLITE_ROW) {
		*restricted = sqlite3_column_text(q, 0)[0] != '\0';
		*objected = sqlite3_column_text(q, 1)[0] != '\0';
	}
	sqlite3_reset(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : pv_sqlite_fail(s, "read flags");
}

struct flag_walk {
	int (*fn)(void *ctx, const char *customer, int restricted, int objected);
	void *ctx;
};

static int flag_row(void *p, sqlite3_stmt *q)
{
	struct flag_walk *w = p;
	return w->fn(w->ctx, (const char *)sqlite3_column_text(q, 0),
		     sqlite3_column_text(q, 1)[0] != '\0', sqlite3_column_text(q, 2)[0] != '\0');
}

int pv_sqlite_customer_flag_scan(struct pv_store *s,
				int (*fn)(void *ctx, const char *customer, int restricted,
					  int objected),
				void *ctx)
{
	static const char sql[] = "SELECT customer, restricted, objected FROM customer_flags "
				  "WHERE restricted != '' OR objected != '' ORDER BY customer";
	struct flag_walk w = { fn, ctx };
	return pv_sqlite_rows(s, sql, NULL, flag_row, &w, "scan flags");
}

int pv_sqlite_customer_flags_any(struct pv_store *s)
{
	unsigned version = 0; /* changes with every commit, by any connection */
	if (sqlite3_file_control(s->db, "main", SQLITE_FCNTL_DATA_VERSION, &version) == SQLITE_OK &&
	    s->flags_known && version == s->flags_version)
		return s->flags_any;
	static const char sql[] = "SELECT EXISTS(SELECT 1 FROM customer_flags "
				  "WHERE restricted != '' OR objected != '')";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	int rc = sqlite3_step(q), any = rc == SQLITE_ROW && sqlite3_column_int(q, 0);
	sqlite3_reset(q);
	if (rc != SQLITE_ROW)
		return pv_sqlite_fail(s, "read flags");
	s->flags_known = 1;
	s->flags_any = any;
	s->flags_version = version;
	return any;
}

void pv_sqlite_flags_forget(struct pv_store *s)
{
	s->flags_known = 0; /* what a rolled-back transaction saw of the flags may not stand */
}
