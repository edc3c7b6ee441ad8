/* SPDX-License-Identifier: Apache-2.0 */
/* dba.h: what a database administrator does to a vault's store behind pivault's back,
 * whichever backend holds it: SQL run on the SQLite file (as with the sqlite3 tool) or in
 * the vault's PostgreSQL schema (as with psql). The tests that play the DBA (edits,
 * rollbacks, a look at what the store holds) call these, so they run on both backends. */
#ifndef PV_TEST_DBA_H
#define PV_TEST_DBA_H

#include <stddef.h>

/* Whether the vault at dir is kept in PostgreSQL (its directory holds the record `store`). */
int pvt_dba_pg(const char *dir);

/* Run the SQL built like printf on the store of the vault at dir, in one transaction, as
 * the DBA would. Its rows come back in *out (malloc'd; out may be NULL) as the sqlite3
 * tool prints them: one line per row, columns joined by '|', NULL as nothing. Returns 0,
 * or 1 when the SQL fails (its message on standard error), as the tools exit.
 *
 * One dialect serves both backends where SQLite's and PostgreSQL's agree; for PostgreSQL
 * the SQL is run with the vault's schema first on the search path, a blob literal x'..'
 * becomes a bytea, and SQLite's hex(), instr(), randomblob() and zeroblob() are provided
 * (hex gives upper case, as SQLite's). Where the backends differ (a column named `user` in
 * SQLite is `user_name` in PostgreSQL; SQLite's rowid), the caller asks pvt_dba_pg. */
int pvt_dba(char **out, const char *dir, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* pvt_dba's first row's first column (malloc'd, "" when there is no row); the SQL must
 * succeed. */
char *pvt_dba_value(const char *dir, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The vault's write lock held by the DBA as a writer holds it, until pvt_dba_unlock: on
 * SQLite an immediate transaction on the file; on PostgreSQL the store's own write lock
 * (its transaction-scoped advisory lock keyed by the vault's schema) in a transaction
 * of the DBA's. */
struct pvt_dba_lock;
struct pvt_dba_lock *pvt_dba_write_lock(const char *dir);
void pvt_dba_unlock(struct pvt_dba_lock *lock);

/* Every row of every table of the vault's PostgreSQL schema (the vault must be kept there),
 * as text: one line a row, its table's name, '|', the row as PostgreSQL writes a record
 * (a bytea as \x and lower-case hex), sorted; malloc'd. What the store holds, to compare
 * before and after, or to search for what must not be there. */
char *pvt_dba_pg_dump(const char *dir);
/* Whether such a dump holds needle (m bytes): as it is (in a text column), or as the hex of
 * a bytea. */
int pvt_dba_pg_dump_holds(const char *dump, const void *needle, size_t m);

#endif
