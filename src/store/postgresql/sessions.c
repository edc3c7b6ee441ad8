/* SPDX-License-Identifier: Apache-2.0 */
/* sessions.c: the server's sign-in sessions in the PostgreSQL store: a keyed hash of each
 * bearer token (never the token), its user, when it was made and when it expires, how
 * many customers it was shown in clear, and an integrity tag the library computes. Every
 * node of a cluster reads the same rows, so a session signed in on one is valid on all. */
#include "internal.h"
#include "pg_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

const char pv_pg_sessions_tables[] =
	"CREATE TABLE sessions(id text COLLATE \"C\" PRIMARY KEY, user_name text NOT NULL,"
	"  created bigint NOT NULL, expires bigint NOT NULL,"
	"  clear_shown bigint NOT NULL DEFAULT 0, tag bytea NOT NULL);";

int pv_pg_session_get(struct pv_store *store, const char *id, struct pv_stored_session *x)
{
	PGresult *r = NULL;
	int got = pv_pg_row(pg_of(store), "SELECT id, user_name, created, expires, clear_shown, tag "
			    "FROM sessions WHERE id = $1", id, &r, "read a session");
	if (got != 0)
		return got; /* else r is held for the caller until the next call */
	int bad = 0;
	x->id = PQgetvalue(r, 0, 0);
	x->user = PQgetvalue(r, 0, 1);
	x->created = pv_pg_int8(r, 0, 2, &bad);
	x->expires = pv_pg_int8(r, 0, 3, &bad);
	x->clear_shown = (uint64_t)pv_pg_int8(r, 0, 4, &bad);
	x->tag = (const uint8_t *)PQgetvalue(r, 0, 5);
	x->tag_len = (size_t)PQgetlength(r, 0, 5); /* the tag proves the row */
	return 0;
}

int pv_pg_session_put(struct pv_store *store, const struct pv_stored_session *x)
{
	char created[24], expires[24], shown[24];
	snprintf(created, sizeof created, "%" PRId64, x->created);
	snprintf(expires, sizeof expires, "%" PRId64, x->expires);
	snprintf(shown, sizeof shown, "%" PRIu64, x->clear_shown);
	const char *values[6] = { x->id, x->user, created, expires, shown, (const char *)x->tag };
	const int lengths[6] = { 0, 0, 0, 0, 0, (int)x->tag_len }, binary[6] = { 0, 0, 0, 0, 0, 1 };
	PGresult *r = pv_pg_query(pg_of(store), "INSERT INTO sessions(id, user_name, created, "
				  "expires, clear_shown, tag) VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT "
				  "(id) DO UPDATE SET user_name = EXCLUDED.user_name, "
				  "created = EXCLUDED.created, expires = EXCLUDED.expires, "
				  "clear_shown = EXCLUDED.clear_shown, tag = EXCLUDED.tag",
				  6, values, lengths, binary, "write a session");
	PQclear(r);
	return r ? 0 : -1;
}

/* Run a DELETE with text parameters: the rows it removed, or -1. */
static int delete_rows(struct pv_store *store, const char *sql, int n, const char *const *values,
		       const char *what)
{
	PGresult *r = pv_pg_query(pg_of(store), sql, n, values, NULL, NULL, what);
	if (!r)
		return -1;
	int gone = atoi(PQcmdTuples(r));
	PQclear(r);
	return gone;
}

int pv_pg_session_delete(struct pv_store *s, const char *id)
{
	return delete_rows(s, "DELETE FROM sessions WHERE id = $1", 1, &id, "delete a session") < 0
		       ? -1
		       : 0;
}

int pv_pg_session_purge(struct pv_store *s, int64_t now)
{
	char t[24];
	snprintf(t, sizeof t, "%" PRId64, now);
	const char *values[1] = { t };
	return delete_rows(s, "DELETE FROM sessions WHERE expires <= $1", 1, values,
			   "delete expired sessions") < 0
		       ? -1
		       : 0;
}

int pv_pg_session_end_user(struct pv_store *s, const char *user, const char *keep_id)
{
	const char *values[2] = { user, keep_id ? keep_id : "" };
	return delete_rows(s, "DELETE FROM sessions WHERE user_name = $1 AND id <> $2", 2, values,
			   "end a user's sessions");
}
