/* SPDX-License-Identifier: Apache-2.0 */
/* import_lock.c: one import at a time, across every node: the import lock is a
 * session-level advisory lock keyed by the vault's schema (apart from the write lock's
 * key), held by the connection across the import's many transactions; PostgreSQL drops it
 * when the connection ends, so a killed import, or a lost node, leaves none behind. */
#include "internal.h"
#include "pg_store.h"

#include <stdio.h>
#include <string.h>

/* The lock's key: the schema's name hashed with a seed of its own (the write lock's is 0). */
#define IMPORT_KEY "hashtextextended($1, 1)"

/* Run a lock function of the import key: its boolean answer (1 or 0), or -1. */
static int lock_call(struct pv_pg_store *s, const char *sql, const char *what)
{
	const char *schema = s->schema;
	PGresult *r = pv_pg_query(s, sql, 1, &schema, NULL, NULL, what);
	if (!r)
		return -1;
	int yes = PQntuples(r) == 1 && PQgetlength(r, 0, 0) == 1 && PQgetvalue(r, 0, 0)[0] == 1;
	PQclear(r);
	return yes;
}

int pv_pg_import_lock(struct pv_store *store)
{
	struct pv_pg_store *s = pg_of(store);
	if (s->import_locked) {
		snprintf(s->err, sizeof s->err, "the import lock is held here already");
		return -1;
	}
	static const char take[] = "SELECT pg_try_advisory_lock(" IMPORT_KEY ")";
	int known_lost = pv_pg_lost(s); /* made again before the first try (pv_pg_query) */
	int got = lock_call(s, take, "take the vault's import lock");
	if (got < 0 && !known_lost && s->depth == 0 && pv_pg_lost(s)) /* found lost by the try */
		got = pv_pg_reconnect(s) != 0 ? -1 : lock_call(s, take, "take the vault's import lock");
	if (got < 0)
		return -1;
	s->import_locked = got;
	return got ? 0 : 1;
}

void pv_pg_import_unlock(struct pv_store *store)
{
	struct pv_pg_store *s = pg_of(store);
	if (!s->import_locked)
		return;
	s->import_locked = 0;
	if (pv_pg_lost(s)) /* the lock went with the connection */
		return;
	/* a failure here (a lost connection) has dropped the lock already */
	(void)lock_call(s, "SELECT pg_advisory_unlock(" IMPORT_KEY ")",
			"release the vault's import lock");
}

int pv_pg_import_locked(struct pv_store *store)
{
	struct pv_pg_store *s = pg_of(store);
	if (s->import_locked)
		return 1;
	/* a shared hold is refused while any other connection holds the lock */
	int free_now = lock_call(s, "SELECT pg_try_advisory_lock_shared(" IMPORT_KEY ")",
				 "look at the vault's import lock");
	if (free_now < 0)
		return -1;
	if (free_now)
		(void)lock_call(s, "SELECT pg_advisory_unlock_shared(" IMPORT_KEY ")",
				"look at the vault's import lock");
	return !free_now;
}
