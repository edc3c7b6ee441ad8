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
#ifndef PV_STORE_POSTGRESQL_INTERNAL_H
#define PV_STORE_POSTGRESQL_INTERNAL_H

#include "store/store.h"
#include "store/store_ops.h"

#include <libpq-fe.h>

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
	PGresult *held;            /* the rows a read returned, borrowed until the next call */
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
/* Run sql with n text or binary parameters (lengths[i] > 0 or binary[i] set: as bytes);
 * the result (PGRES_COMMAND_OK or PGRES_TUPLES_OK) for the caller to PQclear, or NULL with
 * the reason in s->err, naming what (never a parameter's value). */
PGresult *pv_pg_query(struct pv_pg_store *s, const char *sql, int n, const char *const *values,
		      const int *lengths, const int *binary, const char *what);
/* Keep r as the result whose rows the caller borrows (the one kept before is freed). */
void pv_pg_hold(struct pv_pg_store *s, PGresult *r);
/* Field (row, col) of a binary result as an int8 / int4; *bad set when it is not one. */
int64_t pv_pg_int8(const PGresult *r, int row, int col, int *bad);
/* Record a failure (the message is formatted by the caller): -1. */
int pv_pg_fail(struct pv_pg_store *s, const char *what, const char *detail);

#endif
