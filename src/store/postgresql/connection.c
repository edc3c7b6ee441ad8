/* SPDX-License-Identifier: Apache-2.0 */
/* connection.c: the PostgreSQL store's connection: connect (libpq), transactions as
 * store.h has them (a writer holds the vault's write lock, a transaction-scoped advisory
 * lock, so writers take turns as SQLite's do, across every node, waiting for it as
 * pv_set_wait allows; a reader reads one snapshot; savepoints nest), and the helpers every
 * table file runs its SQL through, whose failures name what failed, never a value. */
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

/* 1 when the connection is gone (the server stopped or crashed, the network failed): what
 * was in flight has no answer; the next statement between transactions connects again. */
int pv_pg_lost(const struct pv_pg_store *s)
{
	return PQstatus(s->conn) == CONNECTION_BAD;
}

/* The failure of result r (NULL: of the connection) recorded; -1. */
static int fail_result(struct pv_pg_store *s, PGresult *r, const char *what)
{
	if (pv_pg_lost(s)) { /* libpq's words for it differ with how it was seen */
		PQclear(r);
		s->busy = 0;
		return pv_pg_fail(s, what, "the connection to the store was lost");
	}
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	s->busy = state && strcmp(state, SQLSTATE_LOCK_NOT_AVAILABLE) == 0;
	/* the primary message only: PostgreSQL's DETAIL may quote a row's values */
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	pv_pg_fail(s, what, msg ? msg : PQerrorMessage(s->conn));
	PQclear(r);
	return -1;
}

void pv_pg_on_rollback(struct pv_pg_store *s, void (*fn)(struct pv_pg_store *s))
{
	if (s->nrollback_hooks < PV_PG_HOOKS)
		s->rollback_hooks[s->nrollback_hooks++] = fn;
}

void pv_pg_on_close(struct pv_pg_store *s, void (*fn)(struct pv_pg_store *s))
{
	if (s->nclose_hooks < PV_PG_HOOKS)
		s->close_hooks[s->nclose_hooks++] = fn;
}

void pv_pg_before_statement(struct pv_pg_store *s, int (*fn)(struct pv_pg_store *s))
{
	if (s->nflush_hooks < PV_PG_HOOKS)
		s->flush_hooks[s->nflush_hooks++] = fn;
}

int pv_pg_flush(struct pv_pg_store *s)
{
	if (s->flushing)
		return 0; /* a hook's own statements */
	int rc = 0;
	s->flushing = 1;
	for (int i = 0; i < s->nflush_hooks && rc == 0; i++)
		rc = s->flush_hooks[i](s);
	s->flushing = 0;
	return rc;
}

void pv_pg_hold(struct pv_pg_store *s, const char *sql, PGresult *rows)
{
	if (!sql) {
		for (int i = 0; i < PV_PG_HELD; i++) {
			PQclear(s->held[i].rows);
			s->held[i].rows = NULL;
			s->held[i].sql = NULL;
		}
		return;
	}
	int at = -1;
	for (int i = 0; i < PV_PG_HELD && at < 0; i++)
		if (s->held[i].sql == sql)
			at = i;
	if (at < 0) {
		at = s->held_next;
		s->held_next = (s->held_next + 1) % PV_PG_HELD;
	}
	PQclear(s->held[at].rows);
	s->held[at].sql = sql;
	s->held[at].rows = rows;
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

/* Before a statement: outside a transaction, a connection known to be lost is made again
 * first (reads outside a transaction, the import lock), as a begin makes it; nothing was
 * sent on it yet. 0, or -1 (s->err says why). */
static int reconnect_between(struct pv_pg_store *s)
{
	if (s->depth > 0 || s->flushing || !pv_pg_lost(s))
		return 0;
	return pv_pg_reconnect(s);
}

PGresult *pv_pg_query(struct pv_pg_store *s, const char *sql, int n, const char *const *values,
		      const int *lengths, const int *binary, const char *what)
{
	if (reconnect_between(s) != 0 || pv_pg_flush(s) != 0) /* what an import buffered first */
		return NULL;
	PGresult *r = PQexecParams(s->conn, sql, n, NULL, values, lengths, binary, 1);
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		fail_result(s, r, what);
		return NULL;
	}
	s->busy = 0;
	return r;
}

int pv_pg_rows(struct pv_pg_store *s, const char *sql, int n, const char *const *values,
	       int (*row)(void *ctx, const PGresult *r, int i), void *ctx, const char *what)
{
	PGresult *r = pv_pg_query(s, sql, n, values, NULL, NULL, what);
	if (!r)
		return -1;
	int stop = 0;
	for (int i = 0, rows = PQntuples(r); i < rows && !stop; i++)
		stop = row(ctx, r, i);
	PQclear(r);
	return stop;
}

int pv_pg_upsert(struct pv_pg_store *s, const char *table, const char *key, const char *columns,
		 int n, const char *const *values, const int *lengths, const int *binary,
		 const char *what)
{
	char sql[2048], excluded[1024] = "", params[256] = "";
	char cols[1024];
	snprintf(cols, sizeof cols, "%s", columns);
	size_t e = 0;
	char *save = NULL;
	for (char *c = strtok_r(cols, ", ", &save); c; c = strtok_r(NULL, ", ", &save))
		e += (size_t)snprintf(excluded + e, sizeof excluded - e, "%sEXCLUDED.%s", e ? ", " : "",
				      c);
	for (int i = 1, p = 0; i <= n; i++)
		p += snprintf(params + p, sizeof params - (size_t)p, "%s$%d", i > 1 ? "," : "", i);
	snprintf(sql, sizeof sql, "INSERT INTO %s(%s) VALUES (%s) ON CONFLICT (%s) DO UPDATE SET "
		 "(%s) = ROW(%s)", table, columns, params, key, columns, excluded);
	PGresult *r = pv_pg_query(s, sql, n, values, lengths, binary, what);
	PQclear(r);
	return r ? 0 : -1;
}

int pv_pg_row(struct pv_pg_store *s, const char *sql, const char *key, PGresult **row,
	      const char *what)
{
	PGresult *r = pv_pg_query(s, sql, 1, &key, NULL, NULL, what);
	if (!r)
		return -1;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return 1;
	}
	pv_pg_hold(s, sql, r); /* borrowed until sql runs again */
	*row = r;
	return 0;
}

int pv_pg_exec(struct pv_pg_store *s, const char *sql, const char *what)
{
	if (reconnect_between(s) != 0 || pv_pg_flush(s) != 0)
		return -1;
	PGresult *r = PQexec(s->conn, sql);
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		return fail_result(s, r, what);
	PQclear(r);
	s->busy = 0;
	return 0;
}

int pv_pg_session(struct pv_pg_store *s, const char *sql, const char *what)
{
	snprintf(s->session, sizeof s->session, "%s", sql);
	return pv_pg_exec(s, sql, what);
}

/* Why a connection could not be made, into s->err: a location whose every server answers
 * read-only (target_session_attrs=read-write: standbys only, no primary yet) said so
 * plainly; otherwise libpq's first line. */
static void connect_failed(struct pv_pg_store *s, const char *what)
{
	const char *why = s->conn ? PQerrorMessage(s->conn) : "no memory";
	if (strstr(why, "read-only") || strstr(why, "hot standby"))
		snprintf(s->err, sizeof s->err, "cannot %s: the store has no writable server (the "
			 "servers its location names that answer are read-only standbys; writes "
			 "wait for a primary)", what);
	else
		pv_pg_fail(s, what, why);
}

/* The lost connection made again, between transactions, with the same location, and the
 * session set up again (pv_pg_session). An import's session lock went with the old
 * connection, so an import in progress is not continued on a new one: it fails. 0, or
 * -1 with the reason in s->err (no server takes writes yet: said so). */
int pv_pg_reconnect(struct pv_pg_store *s)
{
	if (s->import_locked) {
		snprintf(s->err, sizeof s->err, "the connection to the store was lost during an "
			 "import, and the import's lock with it: the import stops");
		return -1;
	}
	PQreset(s->conn); /* every host of the location in turn, as at the first connect */
	if (PQstatus(s->conn) != CONNECTION_OK) {
		connect_failed(s, "connect to the store again after the connection was lost");
		return -1;
	}
	s->busy = 0;
	return s->session[0] ? pv_pg_exec(s, s->session, "set the session up again") : 0;
}

/* Run sql, a transaction's BEGIN: on a connection known lost, pv_pg_exec connects again
 * first; on one this BEGIN finds lost (the server went while it was idle), connect again
 * and run it once more: nothing of a transaction was sent yet. 0 or -1. */
static int begin_anew(struct pv_pg_store *s, const char *sql, const char *what)
{
	int known_lost = pv_pg_lost(s);
	if (pv_pg_exec(s, sql, what) == 0)
		return 0;
	if (known_lost || !pv_pg_lost(s) || pv_pg_reconnect(s) != 0)
		return -1;
	return pv_pg_exec(s, sql, what);
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
		connect_failed(s, "connect to PostgreSQL");
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
	if (s->depth > 0) /* what was buffered is dropped, not sent */
		for (int i = 0; i < s->nrollback_hooks; i++)
			s->rollback_hooks[i](s);
	if (s->depth > 0)
		(void)pv_pg_exec(s, "ROLLBACK", "roll back at close");
	pv_pg_hold(s, NULL, NULL);
	for (int i = 0; i < s->nclose_hooks; i++)
		s->close_hooks[i](s);
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

/* ---- Waiting for another writer ---- */

/* Sleep between two tries of the vault's lock: each try is a round trip to the server, so
 * a little longer than SQLite's; a chunked writer's gap (import_pending.c) is longer
 * still, so that a waiter's try falls in it. */
#define WAIT_STEP_NS 3000000L

int pv_pg_wait_step(struct pv_store *s, int first, const char *what, const char *why)
{
	return pv_store_wait_next(&pg_of(s)->wait, first, what, why, WAIT_STEP_NS);
}

int pv_pg_note_busy(struct pv_store *store)
{
	struct pv_pg_store *s = pg_of(store);
	s->busy = 1;
	snprintf(s->err, sizeof s->err, "the vault is busy: another pivault process held its "
		 "write lock for the %.1f s this command could wait", s->wait.waited);
	return -1;
}

/* Take the vault's write lock in the transaction just begun: one writer at a time on this
 * schema, whichever node; tried again between waits as the process's policy allows
 * (pv_set_wait). 0, or -1 (busy when the wait ran out). */
static int take_write_lock(struct pv_pg_store *s)
{
	const char *schema = s->schema;
	for (int first = 1;; first = 0) {
		PGresult *r = pv_pg_query(s, "SELECT pg_try_advisory_xact_lock("
					  "hashtextextended($1, 0))", 1, &schema, NULL, NULL,
					  "take the vault's write lock");
		if (!r)
			return -1;
		int got = PQntuples(r) == 1 && PQgetlength(r, 0, 0) == 1 && PQgetvalue(r, 0, 0)[0];
		PQclear(r);
		if (got)
			return 0;
		if (!pv_pg_wait_step((struct pv_store *)(void *)s, first, "the vault",
				     "another pivault process holds the vault's write lock"))
			return pv_pg_note_busy((struct pv_store *)(void *)s);
	}
}

/* ---- Transactions ---- */

int pv_pg_begin(struct pv_store *store)
{
	struct pv_pg_store *s = pg_of(store);
	char sql[64];
	if (s->snapshot) {
		snprintf(s->err, sizeof s->err, "no change can be made inside a batch of reads on a "
			 "handle that shares an audit writer");
		return -1;
	}
	if (s->depth > 0) {
		snprintf(sql, sizeof sql, "SAVEPOINT pv%d", s->depth);
		if (pv_pg_exec(s, sql, "begin a savepoint") != 0)
			return -1;
		s->depth++;
		return 0;
	}
	if (begin_anew(s, "BEGIN", "begin a transaction") != 0)
		return -1;
	if (take_write_lock(s) != 0) {
		(void)PQclear(PQexec(s->conn, "ROLLBACK")); /* s->err and s->busy kept */
		return -1;
	}
	s->txn = ++s->txn_counter;
	s->depth = 1;
	return 0;
}

int pv_pg_read_begin(struct pv_store *store)
{
	struct pv_pg_store *s = pg_of(store);
	if (s->depth > 0)
		return pv_pg_begin(store);
	if (begin_anew(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
		       "begin a read transaction") != 0)
		return -1;
	s->txn = ++s->txn_counter;
	s->depth = 1;
	return 0;
}

/* A COMMIT sent on a connection lost before its answer came: the server may have made it
 * durable or not, so it is a failure, never a success, and says that the outcome is
 * unknown; the transaction is over on this side (a rollback has nothing to send). -1. */
static int commit_unanswered(struct pv_pg_store *s, PGresult *r)
{
	PQclear(r);
	s->depth = 0;
	s->txn = 0;
	snprintf(s->err, sizeof s->err, "cannot commit: the connection to the store was lost "
		 "before the server answered, so whether the change was made is unknown (it is "
		 "not reported as done; check before doing it again)");
	return -1;
}

int pv_pg_commit(struct pv_store *store)
{
	struct pv_pg_store *s = pg_of(store);
	if (s->depth == 0) {
		snprintf(s->err, sizeof s->err, "commit without a transaction");
		return -1;
	}
	if (pv_pg_flush(s) != 0)
		return -1; /* the transaction failed: the caller rolls back */
	char sql[64];
	if (s->depth == 1)
		snprintf(sql, sizeof sql, "COMMIT");
	else
		snprintf(sql, sizeof sql, "RELEASE SAVEPOINT pv%d", s->depth - 1);
	/* PostgreSQL answers COMMIT of a failed transaction with a rollback, not an error */
	PGresult *r = PQexec(s->conn, sql);
	const char *tag = r ? PQcmdStatus(r) : "";
	if (!r || PQresultStatus(r) != PGRES_COMMAND_OK || strcmp(tag, "ROLLBACK") == 0) {
		if (pv_pg_lost(s) && s->depth == 1)
			return commit_unanswered(s, r);
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
	for (int i = 0; i < s->nrollback_hooks; i++) /* what the layers above kept */
		s->rollback_hooks[i](s);
	if (s->depth == 0)
		return 0;
	if (pv_pg_lost(s)) { /* the server ended the transaction with the connection */
		s->depth = 0;
		s->txn = 0;
		return 0;
	}
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

/* ---- What SQLite needs and PostgreSQL does not ---- */

/* Reads linger in SQLite so that its page cache survives other connections' commits;
 * PostgreSQL's shared buffers do not depend on a connection's transactions: nothing to do. */
void pv_pg_linger_reads(struct pv_store *s, unsigned ms)
{
	(void)s;
	(void)ms;
}

void pv_pg_linger_end(struct pv_store *s)
{
	(void)s;
}

void pv_pg_linger_expire(struct pv_store *s)
{
	(void)s;
}

void pv_pg_writes_log(struct pv_store *s)
{
	(void)s;
}

void pv_pg_writes_data(struct pv_store *s)
{
	(void)s;
}

void pv_pg_map_reads(struct pv_store *s, int on)
{
	(void)s;
	(void)on; /* a hint SQLite's memory map follows (store.h) */
}

void pv_pg_release_rows(struct pv_store *s)
{
	pv_pg_hold(pg_of(s), NULL, NULL);
}

int pv_pg_checkpoint(struct pv_store *s)
{
	/* every commit is durable already (synchronous_commit); PostgreSQL checkpoints
	 * itself, and its CHECKPOINT is a superuser's */
	pv_pg_hold(pg_of(s), NULL, NULL);
	return 0;
}

void pv_pg_close_untouched(struct pv_store *s)
{
	pv_pg_close(s); /* nothing a close writes: the same */
}

int pv_pg_note_failure(struct pv_store *s, const char *message)
{
	snprintf(pg_of(s)->err, sizeof pg_of(s)->err, "%s", message);
	return -1;
}

int pv_pg_snapshot_begin(struct pv_store *store)
{
	struct pv_pg_store *s = pg_of(store);
	if (s->snapshot || s->depth || pv_pg_read_begin(store) != 0)
		return -1;
	s->snapshot = 1;
	return 0;
}

void pv_pg_snapshot_end(struct pv_store *store)
{
	struct pv_pg_store *s = pg_of(store);
	if (!s->snapshot)
		return;
	s->snapshot = 0;
	(void)pv_pg_rollback(store); /* reads only: nothing to keep */
}
