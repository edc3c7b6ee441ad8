/* SPDX-License-Identifier: Apache-2.0 */
/* connection.c: the PostgreSQL store's connection: connect (libpq), transactions as
 * store.h has them (a writer holds the vault's write lock, a transaction-scoped advisory
 * lock, so writers take turns as SQLite's do, across every node; a reader reads one
 * snapshot; savepoints nest), and the helpers every table file runs its SQL through, whose
 * failures name what failed, never a value. */
#include "internal.h"
#include "pg_store.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQLSTATE_LOCK_NOT_AVAILABLE "55P03"

int pv_pg_fail(struct pv_pg_store *s, const char *what, const char *detail)
{
	char first_line[256];
	snprintf(first_line, sizeof first_line, "%s", detail ? detail : "");
	first_line[strcspn(first_line, "\n")] = '\0';
	snprintf(s->err, sizeof s->err, "cannot %s: %s", what, first_line);
	return -1;
}

/* The failure of result r (NULL: of the connection) recorded; -1. */
static int fail_result(struct pv_pg_store *s, PGresult *r, const char *what)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	s->busy = state && strcmp(state, SQLSTATE_LOCK_NOT_AVAILABLE) == 0;
	/* the primary message only: PostgreSQL's DETAIL may quote a row's values */
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	pv_pg_fail(s, what, msg ? msg : PQerrorMessage(s->conn));
	PQclear(r);
	return -1;
}

void pv_pg_hold(struct pv_pg_store *s, PGresult *r)
{
	PQclear(s->held);
	s->held = r;
}

int64_t pv_pg_int8(const PGresult *r, int row, int col, int *bad)
{
	if (PQgetisnull(r, row, col) || PQgetlength(r, row, col) != 8) {
		*bad = 1;
		return 0;
	}
	const unsigned char *u = (const unsigned char *)PQgetvalue(r, row, col);
	uint64_t x = 0;
	for (int i = 0; i < 8; i++)
		x = x << 8 | u[i];
	return (int64_t)x;
}

PGresult *pv_pg_query(struct pv_pg_store *s, const char *sql, int n, const char *const *values,
		      const int *lengths, const int *binary, const char *what)
{
	pv_pg_hold(s, NULL); /* rows borrowed from the last read end at the next call */
	PGresult *r = PQexecParams(s->conn, sql, n, NULL, values, lengths, binary, 1);
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		fail_result(s, r, what);
		return NULL;
	}
	s->busy = 0;
	return r;
}

int pv_pg_exec(struct pv_pg_store *s, const char *sql, const char *what)
{
	PGresult *r = PQexec(s->conn, sql);
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		return fail_result(s, r, what);
	PQclear(r);
	s->busy = 0;
	return 0;
}

/* PostgreSQL's notices (a schema already there, ...) are not the library's to print. */
static void drop_notice(void *ctx, const char *message)
{
	(void)ctx;
	(void)message;
}

struct pv_pg_store *pv_pg_connect(const char *conninfo, const char *schema, char *err,
				  size_t errlen)
{
	struct pv_pg_store *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->conn = PQconnectdb(conninfo);
	if (!s->conn || PQstatus(s->conn) != CONNECTION_OK) {
		pv_pg_fail(s, "connect to PostgreSQL", s->conn ? PQerrorMessage(s->conn) : "no memory");
		snprintf(err, errlen, "%s", s->err);
		pv_pg_close((struct pv_store *)(void *)s);
		return NULL;
	}
	PQsetNoticeProcessor(s->conn, drop_notice, NULL);
	s->schema = PQescapeIdentifier(s->conn, schema, strlen(schema));
	s->schema_name = strdup(schema);
	s->conninfo = strdup(conninfo);
	if (!s->schema || !s->schema_name || !s->conninfo) {
		snprintf(err, errlen, "out of memory");
		pv_pg_close((struct pv_store *)(void *)s);
		return NULL;
	}
	return s;
}

void pv_pg_close(struct pv_store *store)
{
	if (!store)
		return;
	struct pv_pg_store *s = pg_of(store);
	if (s->depth > 0)
		(void)pv_pg_exec(s, "ROLLBACK", "roll back at close");
	pv_pg_hold(s, NULL);
	PQfreemem(s->schema);
	free(s->schema_name);
	if (s->conninfo) /* it may hold a password */
		sodium_memzero(s->conninfo, strlen(s->conninfo));
	free(s->conninfo);
	PQfinish(s->conn);
	free(s);
}

const char *pv_pg_errmsg(struct pv_store *s)
{
	return pg_of(s)->err;
}

int pv_pg_busy(const struct pv_store *s)
{
	return ((const struct pv_pg_store *)(const void *)s)->busy;
}

/* ---- Transactions ---- */

int pv_pg_begin(struct pv_store *store)
{
	struct pv_pg_store *s = pg_of(store);
	char sql[64];
	if (s->depth > 0) {
		snprintf(sql, sizeof sql, "SAVEPOINT pv%d", s->depth);
		if (pv_pg_exec(s, sql, "begin a savepoint") != 0)
			return -1;
		s->depth++;
		return 0;
	}
	if (pv_pg_exec(s, "BEGIN", "begin a transaction") != 0)
		return -1;
	/* the vault's write lock: one writer at a time on this schema, whichever node */
	const char *schema = s->schema;
	PGresult *r = pv_pg_query(s, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", 1,
				  &schema, NULL, NULL, "take the vault's write lock");
	if (!r) {
		(void)PQclear(PQexec(s->conn, "ROLLBACK"));
		return -1;
	}
	PQclear(r);
	s->txn = ++s->txn_counter;
	s->depth = 1;
	return 0;
}

int pv_pg_read_begin(struct pv_store *store)
{
	struct pv_pg_store *s = pg_of(store);
	if (s->depth > 0)
		return pv_pg_begin(store);
	if (pv_pg_exec(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
		       "begin a read transaction") != 0)
		return -1;
	s->txn = ++s->txn_counter;
	s->depth = 1;
	return 0;
}

int pv_pg_commit(struct pv_store *store)
{
	struct pv_pg_store *s = pg_of(store);
	if (s->depth == 0) {
		snprintf(s->err, sizeof s->err, "commit without a transaction");
		return -1;
	}
	char sql[64];
	if (s->depth == 1)
		snprintf(sql, sizeof sql, "COMMIT");
	else
		snprintf(sql, sizeof sql, "RELEASE SAVEPOINT pv%d", s->depth - 1);
	/* PostgreSQL answers COMMIT of a failed transaction with a rollback, not an error */
	PGresult *r = PQexec(s->conn, sql);
	const char *tag = r ? PQcmdStatus(r) : "";
	if (!r || PQresultStatus(r) != PGRES_COMMAND_OK || strcmp(tag, "ROLLBACK") == 0) {
		if (r && PQresultStatus(r) == PGRES_COMMAND_OK) {
			PQclear(r);
			s->depth = 0;
			s->txn = 0;
			snprintf(s->err, sizeof s->err, "cannot commit: the transaction had failed and "
				 "was rolled back");
			return -1;
		}
		return fail_result(s, r, "commit");
	}
	PQclear(r);
	if (--s->depth == 0)
		s->txn = 0;
	return 0;
}

int pv_pg_rollback(struct pv_store *store)
{
	struct pv_pg_store *s = pg_of(store);
	if (s->depth == 0)
		return 0;
	if (s->depth == 1) {
		s->depth = 0;
		s->txn = 0;
		return pv_pg_exec(s, "ROLLBACK", "roll back");
	}
	char sql[96];
	snprintf(sql, sizeof sql, "ROLLBACK TO SAVEPOINT pv%d; RELEASE SAVEPOINT pv%d", s->depth - 1,
		 s->depth - 1);
	s->depth--;
	return pv_pg_exec(s, sql, "roll back a savepoint");
}

uint64_t pv_pg_txn_id(struct pv_store *s)
{
	return pg_of(s)->depth ? pg_of(s)->txn : 0;
}
