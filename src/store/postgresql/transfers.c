/* SPDX-License-Identifier: Apache-2.0 */
/* transfers.c: transfers to a new holder in the PostgreSQL store: each plan (a JSON
 * document with no personal value), its impact assessment, the package it produced and
 * the receipt that came back; the customers a package held (ids only), with their consent
 * history and notices; the separate consents a cross-border plan needs; and, on the
 * receiving side, the packages taken in. */
#include "internal.h"
#include "pg_store.h"

#include <inttypes.h>
#include <stdio.h>

const char pv_pg_transfer_tables[] =
	"CREATE TABLE transfers(id text COLLATE \"C\" PRIMARY KEY,"
	"  created text COLLATE \"C\" NOT NULL, created_by text NOT NULL, state text NOT NULL,"
	"  plan text NOT NULL, keep_until text NOT NULL, assessment text NOT NULL DEFAULT '',"
	"  package text NOT NULL DEFAULT '', receipt text NOT NULL DEFAULT '');"
	"CREATE TABLE transfer_members(transfer text COLLATE \"C\" NOT NULL,"
	"  customer text COLLATE \"C\" NOT NULL, PRIMARY KEY (transfer, customer));"
	"CREATE INDEX transfer_members_customer ON transfer_members(customer);"
	"CREATE TABLE transfer_consents(transfer text NOT NULL, customer text NOT NULL,"
	"  granted integer NOT NULL, at text NOT NULL, channel text NOT NULL,"
	"  PRIMARY KEY (transfer, customer));"
	"CREATE TABLE handovers_received(package text PRIMARY KEY, received text NOT NULL,"
	"  sender text NOT NULL, root text NOT NULL, records bigint NOT NULL,"
	"  receipt text NOT NULL);";

#define COLUMNS "id, created, created_by, state, plan, keep_until, assessment, package, receipt"
#define NCOLUMNS 9
#define TEXTS(t)                                                                            \
	{ &(t)->id, &(t)->created, &(t)->created_by, &(t)->state, &(t)->plan, &(t)->keep_until, \
	  &(t)->assessment, &(t)->package, &(t)->receipt }

/* Run a statement with text parameters and no rows: 0 or -1. */
static int run(struct pv_store *s, const char *sql, int n, const char *const *values,
	       const char *what)
{
	PGresult *r = pv_pg_query(pg_of(s), sql, n, values, NULL, NULL, what);
	PQclear(r);
	return r ? 0 : -1;
}

static void row_to_transfer(const PGresult *r, int i, struct pv_stored_transfer *t)
{
	const char **v[NCOLUMNS] = TEXTS(t);
	for (int k = 0; k < NCOLUMNS; k++)
		*v[k] = PQgetvalue(r, i, k);
}

int pv_pg_transfer_put(struct pv_store *s, const struct pv_stored_transfer *t)
{
	const char *values[6] = { t->id, t->created, t->created_by, t->state, t->plan,
				  t->keep_until };
	return run(s, "INSERT INTO transfers(id, created, created_by, state, plan, keep_until) "
		   "VALUES ($1, $2, $3, $4, $5, $6)", 6, values, "record a transfer plan");
}

int pv_pg_transfer_get(struct pv_store *s, const char *id, struct pv_stored_transfer *t)
{
	PGresult *row = NULL;
	int got = pv_pg_row(pg_of(s), "SELECT " COLUMNS " FROM transfers WHERE id = $1", id, &row,
			    "read a transfer plan");
	if (got == 0)
		row_to_transfer(row, 0, t);
	return got;
}

int pv_pg_transfer_set(struct pv_store *s, const char *id, enum pv_transfer_column col,
		       const char *value)
{
	const char *sql = col == PV_TRANSFER_STATE	? "UPDATE transfers SET state = $2 WHERE id = $1"
			  : col == PV_TRANSFER_ASSESSMENT ? "UPDATE transfers SET assessment = $2 "
							    "WHERE id = $1"
			  : col == PV_TRANSFER_PACKAGE	? "UPDATE transfers SET package = $2 WHERE id = $1"
			  : col == PV_TRANSFER_PLAN	? "UPDATE transfers SET plan = $2 WHERE id = $1"
							: "UPDATE transfers SET receipt = $2 WHERE id = $1";
	const char *values[2] = { id, value };
	return run(s, sql, 2, values, "update a transfer plan");
}

struct transfer_walk {
	pv_store_transfer_fn fn;
	void *ctx;
};

static int transfer_row(void *ctx, const PGresult *r, int i)
{
	struct transfer_walk *w = ctx;
	struct pv_stored_transfer t;
	row_to_transfer(r, i, &t);
	return w->fn(w->ctx, &t);
}

int pv_pg_transfer_scan(struct pv_store *s, pv_store_transfer_fn fn, void *ctx)
{
	struct transfer_walk w = { fn, ctx };
	return pv_pg_rows(pg_of(s), "SELECT " COLUMNS " FROM transfers ORDER BY created, id", 0,
			  NULL, transfer_row, &w, "scan transfer plans");
}

int pv_pg_customer_transfers(struct pv_store *s, const char *customer, pv_store_transfer_fn fn,
			     void *ctx)
{
	struct transfer_walk w = { fn, ctx };
	return pv_pg_rows(pg_of(s), "SELECT t.id, t.created, t.created_by, t.state, t.plan, "
			  "t.keep_until, t.assessment, t.package, t.receipt FROM transfer_members m "
			  "JOIN transfers t ON t.id = m.transfer WHERE m.customer = $1 "
			  "ORDER BY t.created, t.id", 1, &customer, transfer_row, &w,
			  "read a customer's transfers");
}

int pv_pg_transfer_member_add(struct pv_store *s, const char *transfer, const char *customer)
{
	const char *values[2] = { transfer, customer };
	return run(s, "INSERT INTO transfer_members(transfer, customer) VALUES ($1, $2) "
		   "ON CONFLICT DO NOTHING", 2, values, "record a handed-over customer");
}

int pv_pg_transfer_members_clear(struct pv_store *s, const char *transfer)
{
	return run(s, "DELETE FROM transfer_members WHERE transfer = $1", 1, &transfer,
		   "forget a package's customers");
}

struct id_walk {
	int (*fn)(void *ctx, const char *customer);
	void *ctx;
};

static int id_row(void *ctx, const PGresult *r, int i)
{
	struct id_walk *w = ctx;
	return w->fn(w->ctx, PQgetvalue(r, i, 0));
}

int pv_pg_transfer_member_scan(struct pv_store *s, const char *transfer,
			       int (*fn)(void *ctx, const char *customer), void *ctx)
{
	struct id_walk w = { fn, ctx };
	return pv_pg_rows(pg_of(s), "SELECT customer FROM transfer_members WHERE transfer = $1 "
			  "ORDER BY customer", 1, &transfer, id_row, &w,
			  "scan handed-over customers");
}

int pv_pg_transfer_consent_put(struct pv_store *s, const char *transfer, const char *customer,
			       int granted, const char *at, const char *channel)
{
	const char *values[5] = { transfer, customer, granted ? "1" : "0", at, channel };
	return pv_pg_upsert(pg_of(s), "transfer_consents", "transfer, customer",
			    "transfer, customer, granted, at, channel", 5, values, NULL, NULL,
			    "record a separate consent");
}

int pv_pg_transfer_consent_get(struct pv_store *s, const char *transfer, const char *customer)
{
	const char *values[2] = { transfer, customer };
	PGresult *r = pv_pg_query(pg_of(s), "SELECT 1 FROM transfer_consents WHERE transfer = $1 "
				  "AND customer = $2 AND granted <> 0", 2, values, NULL, NULL,
				  "read a separate consent");
	if (!r)
		return -1;
	int granted = PQntuples(r) == 1;
	PQclear(r);
	return granted;
}

int pv_pg_transfer_consent_log_scan(struct pv_store *s, const char *transfer,
				    int (*fn)(void *ctx, const struct pv_consent_event_row *e),
				    void *ctx)
{
	return pv_pg_consent_rows(pg_of(s), "SELECT c.customer, c.purpose, c.granted, c.at, "
				  "c.channel, c.text_version, c.recorded_by FROM transfer_members m "
				  "JOIN consent_log c ON c.customer = m.customer WHERE "
				  "m.transfer = $1 ORDER BY m.customer, c.entry", transfer, fn, ctx,
				  "read the handed-over customers' consents");
}

int pv_pg_transfer_notice_scan(struct pv_store *s, const char *transfer, pv_store_notice_fn fn,
			       void *ctx)
{
	return pv_pg_notice_rows(pg_of(s), "SELECT n.notice, n.customer, n.kind, n.text_version, "
				 "n.channel, n.sent, n.sent_by, n.state, n.state_at FROM "
				 "transfer_members m JOIN notices n ON n.customer = m.customer "
				 "WHERE m.transfer = $1 ORDER BY m.customer, n.notice", transfer, fn,
				 ctx, "read the handed-over customers' notices");
}

int pv_pg_handover_received_put(struct pv_store *s, const char *package, const char *received,
				const char *sender, const char *root, uint64_t records,
				const char *receipt)
{
	char n[24];
	snprintf(n, sizeof n, "%" PRIu64, records);
	const char *values[6] = { package, received, sender, root, n, receipt };
	return run(s, "INSERT INTO handovers_received(package, received, sender, root, records, "
		   "receipt) VALUES ($1, $2, $3, $4, $5, $6)", 6, values,
		   "record a received package");
}

int pv_pg_handover_received_get(struct pv_store *s, const char *package, char *received,
				size_t len)
{
	PGresult *row = NULL;
	int got = pv_pg_row(pg_of(s), "SELECT received FROM handovers_received WHERE package = $1",
			    package, &row, "read a received package");
	if (got == 0)
		snprintf(received, len, "%s", PQgetvalue(row, 0, 0));
	return got;
}
