/* SPDX-License-Identifier: Apache-2.0 */
/* users.c: the users table in the PostgreSQL store: name, roles, key slot, access to the
 * master key, disabled flag, failure count and lock-out time, staff obligations. No
 * customer data. */
#include "internal.h"
#include "pg_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

const char pv_pg_users_tables[] =
	"CREATE TABLE users(name text COLLATE \"C\" PRIMARY KEY, roles text NOT NULL,"
	"  slot bytea NOT NULL, disabled bigint NOT NULL DEFAULT 0,"
	"  failures bigint NOT NULL DEFAULT 0, locked_until bigint NOT NULL DEFAULT 0,"
	"  agreement text NOT NULL DEFAULT '', training text NOT NULL DEFAULT '',"
	"  training_expires text NOT NULL DEFAULT '', created text NOT NULL, access bytea,"
	"  enrol bytea);";

#define USER_COLUMNS \
	"name, roles, slot, disabled, failures, locked_until, agreement, training, " \
	"training_expires, created, access, enrol"

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

/* Row i into u (its pointers into r); a stored number out of range reads as 0. */
static void row_to_user(const PGresult *r, int i, struct pv_stored_user *u)
{
	int bad = 0;
	u->name = PQgetvalue(r, i, 0);
	u->roles = PQgetvalue(r, i, 1);
	u->slot = (const uint8_t *)PQgetvalue(r, i, 2);
	u->slot_len = (size_t)PQgetlength(r, i, 2);
	u->disabled = (int)pv_pg_int8(r, i, 3, &bad);
	u->failures = (int)pv_pg_int8(r, i, 4, &bad);
	u->locked_until = pv_pg_int8(r, i, 5, &bad);
	u->agreement = PQgetvalue(r, i, 6);
	u->training = PQgetvalue(r, i, 7);
	u->training_expires = PQgetvalue(r, i, 8);
	u->created = PQgetvalue(r, i, 9);
	int no_access = PQgetisnull(r, i, 10), no_enrol = PQgetisnull(r, i, 11);
	u->access = no_access ? NULL : (const uint8_t *)PQgetvalue(r, i, 10);
	u->access_len = no_access ? 0 : (size_t)PQgetlength(r, i, 10);
	u->enrol = no_enrol ? NULL : (const uint8_t *)PQgetvalue(r, i, 11);
	u->enrol_len = no_enrol ? 0 : (size_t)PQgetlength(r, i, 11);
}

int pv_pg_user_get(struct pv_store *store, const char *name, struct pv_stored_user *u)
{
	PGresult *row = NULL;
	int got = pv_pg_row(pg_of(store), "SELECT " USER_COLUMNS " FROM users WHERE name = $1", name,
			    &row, "read user");
	if (got == 0)
		row_to_user(row, 0, u);
	return got;
}

int pv_pg_user_put(struct pv_store *store, const struct pv_stored_user *u)
{
	char disabled[24], failures[24], locked[24];
	snprintf(disabled, sizeof disabled, "%d", u->disabled);
	snprintf(failures, sizeof failures, "%d", u->failures);
	snprintf(locked, sizeof locked, "%" PRId64, u->locked_until);
	int has_access = u->access && u->access_len, has_enrol = u->enrol && u->enrol_len;
	const char *values[12] = { u->name, u->roles, (const char *)u->slot, disabled, failures,
				   locked, or_empty(u->agreement), or_empty(u->training),
				   or_empty(u->training_expires), or_empty(u->created),
				   has_access ? (const char *)u->access : NULL,
				   has_enrol ? (const char *)u->enrol : NULL };
	const int lengths[12] = { 0, 0, (int)u->slot_len, 0, 0, 0, 0, 0, 0, 0, (int)u->access_len,
				  (int)u->enrol_len };
	const int binary[12] = { 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1 };
	PGresult *r = pv_pg_query(pg_of(store), "INSERT INTO users(" USER_COLUMNS ") VALUES "
				  "($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) ON CONFLICT (name) DO "
				  "UPDATE SET roles = EXCLUDED.roles, slot = EXCLUDED.slot, "
				  "disabled = EXCLUDED.disabled, failures = EXCLUDED.failures, "
				  "locked_until = EXCLUDED.locked_until, agreement = EXCLUDED.agreement, "
				  "training = EXCLUDED.training, "
				  "training_expires = EXCLUDED.training_expires, "
				  "created = EXCLUDED.created, access = EXCLUDED.access, "
				  "enrol = EXCLUDED.enrol", 12, values, lengths, binary, "write user");
	PQclear(r);
	return r ? 0 : -1;
}

/* Set one bytea column of a user's row (NULL, 0: clear it). */
static int set_bytes(struct pv_store *store, const char *sql, const char *name,
		     const uint8_t *bytes, size_t len)
{
	const char *values[2] = { name, bytes && len ? (const char *)bytes : NULL };
	const int lengths[2] = { 0, (int)len }, binary[2] = { 0, 1 };
	PGresult *r = pv_pg_query(pg_of(store), sql, 2, values, lengths, binary,
				  "write a user's key");
	PQclear(r);
	return r ? 0 : -1;
}

int pv_pg_user_set_access(struct pv_store *s, const char *name, const uint8_t *access, size_t len)
{
	return set_bytes(s, "UPDATE users SET access = $2 WHERE name = $1", name, access, len);
}

int pv_pg_user_set_enrol(struct pv_store *s, const char *name, const uint8_t *enrol, size_t len)
{
	return set_bytes(s, "UPDATE users SET enrol = $2 WHERE name = $1", name, enrol, len);
}

int pv_pg_user_set_failures(struct pv_store *store, const char *name, int failures,
			    int64_t locked_until)
{
	char f[24], l[24];
	snprintf(f, sizeof f, "%d", failures);
	snprintf(l, sizeof l, "%" PRId64, locked_until);
	const char *values[3] = { name, f, l };
	PGresult *r = pv_pg_query(pg_of(store), "UPDATE users SET failures = $2, locked_until = $3 "
				  "WHERE name = $1", 3, values, NULL, NULL, "count a failed login");
	PQclear(r);
	return r ? 0 : -1;
}

struct user_walk {
	pv_store_user_fn fn;
	void *ctx;
};

static int user_row(void *ctx, const PGresult *r, int i)
{
	struct user_walk *w = ctx;
	struct pv_stored_user u;
	row_to_user(r, i, &u);
	return w->fn(w->ctx, &u);
}

int pv_pg_user_scan(struct pv_store *store, pv_store_user_fn fn, void *ctx)
{
	struct user_walk w = { fn, ctx };
	return pv_pg_rows(pg_of(store), "SELECT " USER_COLUMNS " FROM users ORDER BY name", 0, NULL,
			  user_row, &w, "scan users");
}
