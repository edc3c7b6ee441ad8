/* SPDX-License-Identifier: Apache-2.0 */
/* internal.h: what the files of the PostgreSQL store share, and nothing outside
 * src/store/postgresql/ includes: the handle and the connection's helpers (connection.c)
 * that every table file runs its SQL through. The files form one chain, each calling only
 * those below it: connection <- table files (meta, customers, ...) <- schema (pv_pg_open,
 * naming every family's tables). README.md says what is built. */

/* Each table file's tables, made with a new vault (schema.c). */
extern const char pv_pg_meta_tables[];
extern const char pv_pg_customers_tables[];
extern const char pv_pg_audit_tables[];
extern const char pv_pg_blind_index_tables[];
extern const char pv_pg_consents_tables[];
extern const char pv_pg_flags_tables[];
extern const char pv_pg_users_tables[];
extern const char pv_pg_authz_tables[];
extern const char pv_pg_sessions_tables[];
extern const char pv_pg_api_token_tables[];
extern const char pv_pg_requests_tables[];
extern const char pv_pg_holds_tables[];
extern const char pv_pg_escrow_tables[];
extern const char pv_pg_keyring_journal_tables[];
extern const char pv_pg_notices_tables[];
extern const char pv_pg_dsr_tables[];
extern const char pv_pg_complaint_tables[];
extern const char pv_pg_incident_tables[];
extern const char pv_pg_transfer_tables[];
extern const char pv_pg_ledger_tables[];
extern const char pv_pg_token_tables[];
#ifndef PV_STORE_POSTGRESQL_INTERNAL_H
#define PV_STORE_POSTGRESQL_INTERNAL_H

#include "store/store.h"
#include "store/store_ops.h"

#include <libpq-fe.h>

#define PV_PG_HOOKS 4
#define PV_PG_HELD 16 /* statements whose rows may be borrowed at once */

/* The PostgreSQL store's handle. The library sees it as struct pv_store (the SQLite
 * backend's own type); pg_of converts. */
struct pv_pg_store {
	const struct pv_store_ops *ops; /* first, as every backend's (store_ops.h) */
	PGconn *conn;
	char *schema;              /* the vault's PostgreSQL schema, as an identifier, quoted */
	char *schema_name;         /* ... as given (a second connection opens it again) */
	char *conninfo;            /* as given, for a second connection; wiped at close */
	int depth;                 /* nesting: 1 = a transaction, more = savepoints in it */
	uint64_t txn, txn_counter; /* the open transaction's number (pv_store_txn_id) */
	int busy;                  /* the last failure was a lock wait that ran out */
	struct pv_wait_state wait; /* the wait in progress, or the last (pv_pg_wait_step) */
	int snapshot;              /* a read-only snapshot is open (pv_store_snapshot_begin) */
	struct {                   /* rows reads returned, borrowed by the caller until the */
		const char *sql;   /* same read runs again (as an SQLite statement's row), or */
		PGresult *rows;    /* release_rows; kept per statement text, oldest replaced */
	} held[PV_PG_HELD];
	int held_next;             /* the place the next new statement's rows take */
	struct pv_pg_index_batch *index_batch; /* a bulk load's entries not yet sent */
	struct pv_pg_customer_copy *customer_copy; /* an import's customers not yet sent */
	/* what the layers above keep, forgotten at a rollback, freed at close */
	void (*rollback_hooks[PV_PG_HOOKS])(struct pv_pg_store *s);
	void (*close_hooks[PV_PG_HOOKS])(struct pv_pg_store *s);
	/* what must be sent before any other statement runs (pv_pg_flush) */
	int (*flush_hooks[PV_PG_HOOKS])(struct pv_pg_store *s);
	int nrollback_hooks, nclose_hooks, nflush_hooks;
	int flushing;              /* the flush hooks are running (their own statements) */
	int import_locked;         /* this connection holds the import lock (import_lock.c) */
	char session[256];         /* the session's settings (pv_pg_session), set again on a
				    * new connection after the last one was lost */
	uint64_t bucket_checks;    /* calls of pv_store_bucket_behind (its check counts) */
	char err[512];
};

static inline struct pv_pg_store *pg_of(struct pv_store *s)
{
	return (struct pv_pg_store *)(void *)s;
}

/* Connect (libpq; PostgreSQL's notices dropped) for the schema named schema, not yet used:
 * schema.c's pv_pg_open checks or makes it. NULL with the reason in err. */
struct pv_pg_store *pv_pg_connect(const char *conninfo, const char *schema, char *err,
				  size_t errlen);
/* Run sql (no parameters) and drop its result: 0, or -1 with the reason in s->err. */
int pv_pg_exec(struct pv_pg_store *s, const char *sql, const char *what);
/* pv_pg_exec of the session's settings (search_path, ...), remembered: when the connection
 * is lost, the next transaction's begin connects again (the same location: libpq tries
 * its hosts in turn, and target_session_attrs=read-write finds the primary after a
 * failover) and sets them again. */
int pv_pg_session(struct pv_pg_store *s, const char *sql, const char *what);
/* 1 when the connection is gone (the server stopped or crashed, the network failed). */
int pv_pg_lost(const struct pv_pg_store *s);
/* Between transactions, the lost connection made again with the same location and its
 * session set up again; refused while this connection held the import lock (the import
 * stops: its lock went with the old connection). 0, or -1 with the reason in s->err (no
 * server takes writes yet: "the store has no writable server"). */
int pv_pg_reconnect(struct pv_pg_store *s);
/* Run sql with n text or binary parameters (lengths[i] > 0 or binary[i] set: as bytes);
 * the result (PGRES_COMMAND_OK or PGRES_TUPLES_OK) for the caller to PQclear, or NULL with
 * the reason in s->err, naming what (never a parameter's value). */
PGresult *pv_pg_query(struct pv_pg_store *s, const char *sql, int n, const char *const *values,
		      const int *lengths, const int *binary, const char *what);
/* Run sql with n text parameters and hand row each row of its result (fetched whole, so
 * row may call the store) until it answers nonzero: that answer, 0, or -1 on error. */
int pv_pg_rows(struct pv_pg_store *s, const char *sql, int n, const char *const *values,
	       int (*row)(void *ctx, const PGresult *r, int i), void *ctx, const char *what);
/* Insert a row into table, or replace every column of the one with the same key: columns
 * (comma-separated) get values $1..$n in order. 0 or -1. */
int pv_pg_upsert(struct pv_pg_store *s, const char *table, const char *key, const char *columns,
		 int n, const char *const *values, const int *lengths, const int *binary,
		 const char *what);
/* The first row of sql run with one text parameter key: 0 with *row (held for the caller
 * until sql runs again: pv_pg_hold), 1 when there is none, -1 on error. */
int pv_pg_row(struct pv_pg_store *s, const char *sql, const char *key, PGresult **row,
	      const char *what);
/* Keep rows, the result of the read sql (its static text), as the result whose rows the
 * caller borrows: they live until sql's rows are kept again, or until every kept result is
 * freed (sql and rows NULL: release_rows, close). The library may read a row, then make
 * other calls (an integrity check) before copying it, as SQLite's statements allow. */
void pv_pg_hold(struct pv_pg_store *s, const char *sql, PGresult *rows);
/* Field (row, col) of a binary result as an int8 / int4; *bad set when it is not one. */
int64_t pv_pg_int8(const PGresult *r, int row, int col, int *bad);
/* Call fn at every rollback / at close (a layer above forgets or frees what it keeps). */
void pv_pg_on_rollback(struct pv_pg_store *s, void (*fn)(struct pv_pg_store *s));
void pv_pg_on_close(struct pv_pg_store *s, void (*fn)(struct pv_pg_store *s));
/* Call fn before every other statement on the connection (a layer above sends what it
 * buffered); pv_pg_flush runs them (not again from within one): 0, or -1 as fn failed. */
void pv_pg_before_statement(struct pv_pg_store *s, int (*fn)(struct pv_pg_store *s));
int pv_pg_flush(struct pv_pg_store *s);
/* customer_copy.c: an import's customers (and their consents) buffered and sent with
 * binary COPY, row ids given here from rid_from (import_pending.c starts and ends it);
 * insert and consent answer -2 when they are not buffered (the statement is then run). */
int pv_pg_customer_copy_begin(struct pv_pg_store *s, int64_t rid_from);
void pv_pg_customer_copy_end(struct pv_pg_store *s);
int pv_pg_customer_copy_on(const struct pv_pg_store *s);
int pv_pg_customer_copy_insert(struct pv_pg_store *s, const struct pv_stored_customer *c,
			       int64_t *rid);
int pv_pg_consent_copy(struct pv_pg_store *s, int64_t rid, const char *purpose, int granted,
		       const char *at, const char *channel);
/* A customer's columns (of customers as c) and row i of a result of them into out (its
 * pointers into r): customers.c, for the files that join customers. */
#define PV_PG_CUSTOMER_COLUMNS \
	"c.rid, c.id, c.bucket, c.bucket_gen, c.dek_version, c.wdek, c.g_basic, c.g_financial, " \
	"c.g_other"
void pv_pg_row_to_customer(const PGresult *r, int i, struct pv_stored_customer *out);
/* Rows of sql (one parameter, key) with the columns of consent_log's history / of
 * notices, handed to fn as the scans of their files do (for the files that join them). */
int pv_pg_consent_rows(struct pv_pg_store *s, const char *sql, const char *key,
		       int (*fn)(void *ctx, const struct pv_consent_event_row *e), void *ctx,
		       const char *what);
int pv_pg_notice_rows(struct pv_pg_store *s, const char *sql, const char *key,
		      pv_store_notice_fn fn, void *ctx, const char *what);
/* Record a failure (the message is formatted by the caller): -1. */
int pv_pg_fail(struct pv_pg_store *s, const char *what, const char *detail);
/* The backend's table of functions (ops.c): every store pv_pg_open opens carries it. */
extern const struct pv_store_ops pv_pg_ops;

#endif
