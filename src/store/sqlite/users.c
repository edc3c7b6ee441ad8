/* SPDX-License-Identifier: Apache-2.0 */
/* users.c: the users table in the SQLite store: name, roles, key slot,
 * access to the master key, disabled flag, failure count and lock-out time, staff
 * obligations. No customer data. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

const char pv_sqlite_users_tables[] =
	"CREATE TABLE IF NOT EXISTS users("
	"  name TEXT PRIMARY KEY, roles TEXT NOT NULL, slot BLOB NOT NULL,"
	"  disabled INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0,"
	"  locked_until INTEGER NOT NULL DEFAULT 0, agreement TEXT NOT NULL DEFAULT '',"
	"  training TEXT NOT NULL DEFAULT '', training_expires TEXT NOT NULL DEFAULT '',"
	"  created TEXT NOT NULL, access BLOB, enrol BLOB);";

static const char SQL_GET[] =
	"SELECT name, roles, slot, disabled, failures, locked_until, agreement, training, "
	"training_expires, created, access, enrol FROM users WHERE name = ?1";
static const char SQL_SCAN[] =
	"SELECT name, roles, slot, disabled, failures, locked_until, agreement, training, "
	"training_expires, created, access, enrol FROM users ORDER BY name";
static const char SQL_PUT[] =
	"INSERT OR REPLACE INTO users(name, roles, slot, disabled, failures, locked_until, "
	"agreement, training, training_expires, created, access, enrol) "
	"VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)";
static const char SQL_FAILURES[] =
	"UPDATE users SET failures = ?2, locked_until = ?3 WHERE name = ?1";
static const char SQL_ACCESS[] = "UPDATE users SET access = ?2 WHERE name = ?1";
static const char SQL_ENROL[] = "UPDATE users SET enrol = ?2 WHERE name = ?1";

static void row_to_user(sqlite3_stmt *q, struct pv_stored_user *u)
{
	const char **text[] = { &u->name, &u->roles };
	for (int i = 0; i < 2; i++)
		*text[i] = (const char *)sqlite3_column_text(q, i);
	u->slot = sqlite3_column_blob(q, 2);
	u->slot_len = (size_t)sqlite3_column_bytes(q, 2);
	u->disabled = sqlite3_column_int(q, 3);
	u->failures = sqlite3_column_int(q, 4);
	u->locked_until = sqlite3_column_int64(q, 5);
	const char **more[] = { &u->agreement, &u->training, &u->training_expires, &u->created };
	for (int i = 0; i < 4; i++) {
		const unsigned char *t = sqlite3_column_text(q, 6 + i);
		*more[i] = t ? (const char *)t : "";
	}
	u->access = sqlite3_column_blob(q, 10);
	u->access_len = u->access ? (size_t)sqlite3_column_bytes(q, 10) : 0;
	u->enrol = sqlite3_column_blob(q, 11);
	u->enrol_len = u->enrol ? (size_t)sqlite3_column_bytes(q, 11) : 0;
}

int pv_sqlite_user_get(struct pv_store *s, const char *name, struct pv_stored_user *u)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_GET);
	int got = pv_sqlite_row_by_key(s, q, name, "read user");
	if (got == 0)
		row_to_user(q, u); /* valid until the statement is next reset */
	return got;
}

int pv_sqlite_user_put(struct pv_store *s, const struct pv_stored_user *u)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_PUT);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, u->name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, u->roles, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(q, 3, u->slot, (int)u->slot_len, SQLITE_TRANSIENT);
	sqlite3_bind_int(q, 4, u->disabled);
	sqlite3_bind_int(q, 5, u->failures);
	sqlite3_bind_int64(q, 6, u->locked_until);
	sqlite3_bind_text(q, 7, u->agreement ? u->agreement : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 8, u->training ? u->training : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 9, u->training_expires ? u->training_expires : "", -1,
			  SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 10, u->created ? u->created : "", -1, SQLITE_TRANSIENT);
	if (u->access && u->access_len)
		sqlite3_bind_blob(q, 11, u->access, (int)u->access_len, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(q, 11);
	if (u->enrol && u->enrol_len)
		sqlite3_bind_blob(q, 12, u->enrol, (int)u->enrol_len, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(q, 12);
	return pv_sqlite_run(s, q, "write user");
}

/* Set one blob column of a user's row (NULL, 0: clear it). */
static int set_blob(struct pv_store *s, const char *sql, const char *name, const uint8_t *blob,
		    size_t len)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_TRANSIENT);
	if (blob && len)
		sqlite3_bind_blob(q, 2, blob, (int)len, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(q, 2);
	return pv_sqlite_run(s, q, "write a user's key");
}

int pv_sqlite_user_set_access(struct pv_store *s, const char *name, const uint8_t *access,
			     size_t len)
{
	return set_blob(s, SQL_ACCESS, name, access, len);
}

int pv_sqlite_user_set_enrol(struct pv_store *s, const char *name, const uint8_t *enrol,
			    size_t len)
{
	return set_blob(s, SQL_ENROL, name, enrol, len);
}

int pv_sqlite_user_set_failures(struct pv_store *s, const char *name, int failures,
			       int64_t locked_until)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, SQL_FAILURES);
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(q, 2, failures);
	sqlite3_bind_int64(q, 3, locked_until);
	return pv_sqlite_run(s, q, "count a failed login");
}

struct user_walk {
	pv_store_user_fn fn;
	void *ctx;
};

static int user_row(void *p, sqlite3_stmt *q)
{
	struct user_walk *w = p;
	struct pv_stored_user u;
	row_to_user(q, &u);
	return w->fn(w->ctx, &u);
}

int pv_sqlite_user_scan(struct pv_store *s, pv_store_user_fn fn, void *ctx)
{
	struct user_walk w = { fn, ctx };
	return pv_sqlite_rows(s, SQL_SCAN, NULL, user_row, &w, "scan users");
}
