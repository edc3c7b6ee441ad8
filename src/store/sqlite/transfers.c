/* SPDX-License-Identifier: Apache-2.0 */
/* transfers.c: transfers to a new holder in the SQLite store: each plan (a JSON document
 * with no personal value), its impact assessment, the package it produced and the receipt
 * that came back; the customers a package held (ids only), with their consent history and
 * notices; the separate consents a cross-border plan needs; and, on the receiving side,
 * the packages taken in. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

const char pv_sqlite_transfer_tables[] =
	"CREATE TABLE IF NOT EXISTS transfers("
	"  id TEXT PRIMARY KEY, created TEXT NOT NULL, created_by TEXT NOT NULL,"
	"  state TEXT NOT NULL, plan TEXT NOT NULL, keep_until TEXT NOT NULL,"
	"  assessment TEXT NOT NULL DEFAULT '', package TEXT NOT NULL DEFAULT '',"
	"  receipt TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE IF NOT EXISTS transfer_members("
	"  transfer TEXT NOT NULL, customer TEXT NOT NULL, PRIMARY KEY(transfer, customer))"
	"  WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS transfer_consents("
	"  transfer TEXT NOT NULL, customer TEXT NOT NULL, granted INTEGER NOT NULL,"
	"  at TEXT NOT NULL, channel TEXT NOT NULL, PRIMARY KEY(transfer, customer))"
	"  WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS handovers_received("
	"  package TEXT PRIMARY KEY, received TEXT NOT NULL, sender TEXT NOT NULL,"
	"  root TEXT NOT NULL, records INTEGER NOT NULL, receipt TEXT NOT NULL);";

int pv_sqlite_transfer_put(struct pv_store *s, const struct pv_stored_transfer *t)
{
	static const char sql[] =
		"INSERT INTO transfers(id, created, created_by, state, plan, keep_until)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	const char *v[] = { t->id, t->created, t->created_by, t->state, t->plan, t->keep_until };
	for (int i = 0; i < 6; i++)
		sqlite3_bind_text(q, i + 1, v[i], -1, SQLITE_TRANSIENT);
	return pv_sqlite_run(s, q, "record a transfer plan");
}

static void transfer_from_row(sqlite3_stmt *q, struct pv_stored_transfer *t)
{
	const char **v[] = { &t->id,	     &t->created,    &t->created_by, &t->state, &t->plan,
			     &t->keep_until, &t->assessment, &t->package,    &t->receipt };
	for (int i = 0; i < 9; i++)
		*v[i] = (const char *)sqlite3_column_text(q, i);
}

#define TRANSFER_COLUMNS \
	"id, created, created_by, state, plan, keep_until, assessment, package, receipt"

int pv_sqlite_transfer_get(struct pv_store *s, const char *id, struct pv_stored_transfer *t)
{
	static const char sql[] = "SELECT " TRANSFER_COLUMNS " FROM transfers WHERE id = ?1";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	int got = pv_sqlite_row_by_key(s, q, id, "read a transfer plan");
	if (got == 0)
		transfer_from_row(q, t); /* borrowed until the statement is next used */
	return got;
}

int pv_sqlite_transfer_set(struct pv_store *s, const char *id, enum pv_transfer_column col,
			  const char *value)
{
	static const char state_sql[] = "UPDATE transfers SET state = ?2 WHERE id = ?1";
	static const char assess_sql[] = "UPDATE transfers SET assessment = ?2 WHERE id = ?1";
	static const char package_sql[] = "UPDATE transfers SET package = ?2 WHERE id = ?1";
	static const char receipt_sql[] = "UPDATE transfers SET receipt = ?2 WHERE id = ?1";
	static const char plan_sql[] = "UPDATE transfers SET plan = ?2 WHERE id = ?1";
	const char *sql = col == PV_TRANSFER_STATE	? state_sql
			  : col == PV_TRANSFER_ASSESSMENT ? assess_sql
			  : col == PV_TRANSFER_PACKAGE	? package_sql
			  : col == PV_TRANSFER_PLAN	? plan_sql
							: receipt_sql;
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, value, -1, SQLITE_TRANSIENT);
	return pv_sqlite_run(s, q, "update a transfer plan");
}

struct transfer_walk {
	pv_store_transfer_fn fn;
	void *ctx;
};

static int transfer_row(void *p, sqlite3_stmt *q)
{
	struct transfer_walk *w = p;
	struct pv_stored_transfer t;
	transfer_from_row(q, &t);
	return w->fn(w->ctx, &t);
}

int pv_sqlite_transfer_scan(struct pv_store *s, pv_store_transfer_fn fn, void *ctx)
{
	static const char sql[] = "SELECT " TRANSFER_COLUMNS " FROM transfers ORDER BY created, id";
	struct transfer_walk w = { fn, ctx };
	return pv_sqlite_rows(s, sql, NULL, transfer_row, &w, "scan transfer plans");
}

int pv_sqlite_transfer_member_add(struct pv_store *s, const char *transfer, const char *customer)
{
	static const char sql[] =
		"INSERT OR IGNORE INTO transfer_members(transfer, customer) VALUES (?1, ?2)";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, transfer, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, customer, -1, SQLITE_TRANSIENT);
	return pv_sqlite_run(s, q, "record a handed-over customer");
}

int pv_sqlite_transfer_members_clear(struct pv_store *s, const char *transfer)
{
	static const char sql[] = "DELETE FROM transfer_members WHERE transfer = ?1";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, transfer, -1, SQLITE_TRANSIENT);
	return pv_sqlite_run(s, q, "forget a package's customers");
}

/* A row of customer ids handed to a callback. */
struct id_walk {
	int (*fn)(void *ctx, const char *customer);
	void *ctx;
};

static int id_row(void *p, sqlite3_stmt *q)
{
	struct id_walk *w = p;
	return w->fn(w->ctx, (const char *)sqlite3_column_text(q, 0));
}

int pv_sqlite_transfer_member_scan(struct pv_store *s, const char *transfer,
				  int (*fn)(void *ctx, const char *customer), void *ctx)
{
	static const char sql[] =
		"SELECT customer FROM transfer_members WHERE transfer = ?1 ORDER BY customer";
	struct id_walk w = { fn, ctx };
	return pv_sqlite_rows(s, sql, transfer, id_row, &w, "scan handed-over customers");
}

int pv_sqlite_transfer_consent_put(struct pv_store *s, const char *transfer, const char *customer,
				  int granted, const char *at, const char *channel)
{
	static const char sql[] =
		"INSERT OR REPLACE INTO transfer_consents(transfer, customer, granted, at, channel)"
		" VALUES (?1, ?2, ?3, ?4, ?5)";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, transfer, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, customer, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(q, 3, granted ? 1 : 0);
	sqlite3_bind_text(q, 4, at, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 5, channel, -1, SQLITE_TRANSIENT);
	return pv_sqlite_run(s, q, "record a separate consent");
}

int pv_sqlite_transfer_consent_get(struct pv_store *s, const char *transfer, const char *customer)
{
	static const char sql[] =
		"SELECT granted FROM transfer_consents WHERE transfer = ?1 AND customer = ?2";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, transfer, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, customer, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(q), granted = 0;
	if (rc == SQLITE_ROW)
		granted = sqlite3_column_int(q, 0) ? 1 : 0;
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return pv_sqlite_fail(s, "read a separate consent");
	return granted;
}

int pv_sqlite_handover_received_put(struct pv_store *s, const char *package, const char *received,
				   const char *sender, const char *root, uint64_t records,
				   const char *receipt)
{
	static const char sql[] =
		"INSERT INTO handovers_received(package, received, sender, root, records, receipt)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	const char *v[] = { package, received, sender, root };
	for (int i = 0; i < 4; i++)
		sqlite3_bind_text(q, i + 1, v[i], -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 5, (sqlite3_int64)records);
	sqlite3_bind_text(q, 6, receipt, -1, SQLITE_TRANSIENT);
	return pv_sqlite_run(s, q, "record a received package");
}

int pv_sqlite_handover_received_get(struct pv_store *s, const char *package, char *received,
				   size_t len)
{
	static const char sql[] = "SELECT received FROM handovers_received WHERE package = ?1";
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, package, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		snprintf(received, len, "%s", (const char *)sqlite3_column_text(q, 0));
	sqlite3_reset(q);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : pv_sqlite_fail(s, "read received packages");
}

int pv_sqlite_transfer_consent_log_scan(struct pv_store *s, const char *transfer,
				       int (*fn)(void *ctx, const struct pv_consent_event_row *e),
				       void *ctx)
{
	static const char sql[] =
		"SELECT c.customer, c.purpose, c.granted, c.at, c.channel, c.text_version,"
		"  c.recorded_by FROM transfer_members m JOIN consent_log c ON c.customer = m.customer"
		" WHERE m.transfer = ?1 ORDER BY m.customer, c.entry";
	return pv_sqlite_consent_rows(s, sql, transfer, fn, ctx,
				      "read the consent history of a package");
}

int pv_sqlite_transfer_notice_scan(struct pv_store *s, const char *transfer,
				  pv_store_notice_fn fn, void *ctx)
{
	static const char sql[] =
		"SELECT n.notice, n.customer, n.kind, n.text_version, n.channel, n.sent, n.sent_by,"
		"  n.state, n.state_at FROM transfer_members m JOIN notices n ON n.customer = m.customer"
		" WHERE m.transfer = ?1 ORDER BY m.customer, n.notice";
	struct pv_sqlite_notice_walk w = { fn, ctx };
	return pv_sqlite_rows(s, sql, transfer, pv_sqlite_notice_row, &w,
			      "read the notices of a package");
}

int pv_sqlite_customer_transfers(struct pv_store *s, const char *customer,
				pv_store_transfer_fn fn, void *ctx)
{
	static const char sql[] =
		"SELECT t.id, t.created, t.created_by, t.state, t.plan, t.keep_until, t.assessment,"
		"  t.package, t.receipt FROM transfer_members m JOIN transfers t ON t.id = m.transfer"
		" WHERE m.customer = ?1 ORDER BY t.created";
	struct transfer_walk w = { fn, ctx };
	return pv_sqlite_rows(s, sql, customer, transfer_row, &w, "read a customer's transfers");
}
