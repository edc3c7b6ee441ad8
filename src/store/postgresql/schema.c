/* SPDX-License-Identifier: Apache-2.0 */
/* schema.c: the PostgreSQL store's top: a vault is one PostgreSQL schema; pv_pg_open
 * checks that the schema named holds one, or makes it with every family's tables (in one
 * transaction under the vault's lock: two nodes creating at once, one makes it, the other
 * is refused), then reads every name in it. */
#include "internal.h"
#include "pg_store.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define SCHEMA_MAX 48

/* A schema name pivault makes: a lowercase letter, then lowercase letters, digits, _. */
static int schema_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > SCHEMA_MAX || !islower((unsigned char)name[0]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)name[i]) && !isdigit((unsigned char)name[i]) &&
		    name[i] != '_')
			return 0;
	return 1;
}

/* 1 when the schema holds a vault (its meta table), 0 when not, -1 on error. */
static int holds_vault(struct pv_pg_store *s, const char *schema)
{
	const char *sql = "SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = $1 "
			  "AND tablename = 'meta'";
	PGresult *r = pv_pg_query(s, sql, 1, &schema, NULL, NULL, "look for the vault's tables");
	if (!r)
		return -1;
	int found = PQntuples(r) > 0;
	PQclear(r);
	return found;
}

/* Every family's tables (each table file's), made with a new vault. */
static const char *const family_tables[] = {
	pv_pg_meta_tables,	   pv_pg_customers_tables, pv_pg_audit_tables,
	pv_pg_blind_index_tables, pv_pg_consents_tables,  pv_pg_flags_tables,
	pv_pg_users_tables,	   pv_pg_authz_tables,	   pv_pg_sessions_tables,
	pv_pg_api_token_tables,   pv_pg_requests_tables,  pv_pg_holds_tables,
	pv_pg_escrow_tables,	   pv_pg_notices_tables,   pv_pg_dsr_tables,
	pv_pg_complaint_tables,   pv_pg_incident_tables,  pv_pg_transfer_tables,
	pv_pg_ledger_tables,	   pv_pg_token_tables,
	pv_pg_keyring_journal_tables,
};

/* Make the vault's schema and its tables, in one transaction under the vault's lock (two
 * nodes creating at once: one makes it, the other is refused). */
static int create_schema(struct pv_pg_store *s)
{
	char make[128], use[128];
	snprintf(make, sizeof make, "CREATE SCHEMA IF NOT EXISTS %s", s->schema);
	snprintf(use, sizeof use, "SET LOCAL search_path TO %s", s->schema);
	if (pv_pg_begin((struct pv_store *)(void *)s) != 0)
		return -1;
	/* a schema a DBA made empty beforehand is used; one whose vault another node made
	 * meanwhile fails at its first table (its lock was waited for) */
	int failed = pv_pg_exec(s, make, "create the vault's schema") != 0 ||
		     pv_pg_exec(s, use, "use the vault's schema") != 0;
	for (size_t i = 0; !failed && i < sizeof family_tables / sizeof *family_tables; i++)
		failed = pv_pg_exec(s, family_tables[i], "create the vault's tables") != 0;
	if (failed || pv_pg_commit((struct pv_store *)(void *)s) != 0) {
		(void)pv_pg_rollback((struct pv_store *)(void *)s);
		return -1;
	}
	return 0;
}

/* 0 when the database keeps UTF-8 (the client speaks it too), else -1 saying so. */
static int utf8_database(struct pv_pg_store *s)
{
	PGresult *r = pv_pg_query(s, "SELECT pg_encoding_to_char(encoding) FROM pg_database "
				  "WHERE datname = current_database()", 0, NULL, NULL, NULL,
				  "read the database's encoding");
	if (!r)
		return -1;
	int utf8 = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "UTF8") == 0;
	PQclear(r);
	if (!utf8) {
		snprintf(s->err, sizeof s->err, "the database does not keep UTF-8 (CREATE DATABASE "
			 "... ENCODING 'UTF8'): pivault stores UTF-8 text");
		return -1;
	}
	return pv_pg_exec(s, "SET client_encoding TO 'UTF8'", "speak UTF-8");
}

/* Check or make the schema, then use it (search_path) with the session's settings. 0, or
 * -1 with err set. */
/* Tables a later version added, made in a vault made before it (each DDL with IF NOT
 * EXISTS; looked for first, so an open that needs none takes no lock). */
static int add_later_tables(struct pv_pg_store *s)
{
	static const struct {
		const char *table, *ddl;
	} later[] = { { "keyring_journal", pv_pg_keyring_journal_tables },
		      { "keyring_nodes_retired", pv_pg_keyring_journal_tables } };
	for (size_t i = 0; i < sizeof later / sizeof *later; i++) {
		const char *values[2] = { s->schema_name, later[i].table };
		PGresult *r = pv_pg_query(s, "SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = "
					  "$1 AND tablename = $2", 2, values, NULL, NULL,
					  "look for the vault's tables");
		if (!r)
			return -1;
		int found = PQntuples(r) > 0;
		PQclear(r);
		if (!found && pv_pg_exec(s, later[i].ddl, "add the vault's newer tables") != 0)
			return -1;
	}
	return 0;
}

static int open_schema(struct pv_pg_store *s, const char *name, int create)
{
	int held = utf8_database(s) == 0 ? holds_vault(s, name) : -1;
	if (held < 0)
		return -1;
	if (create && held) {
		snprintf(s->err, sizeof s->err, "schema %s already holds a vault", name);
		return -1;
	}
	if (!create && !held) {
		snprintf(s->err, sizeof s->err, "schema %s holds no vault", name);
		return -1;
	}
	if (create && create_schema(s) != 0)
		return -1;
	/* synchronous_commit on: a commit (an audit entry's) is on disk, and on a synchronous
	 * standby where the cluster names one, before it returns, whatever the server's
	 * default; UTC: dates as SQLite's CURRENT_DATE gives them. The session's settings,
	 * set again on a new connection after a lost one (a failover). */
	char sql[200];
	snprintf(sql, sizeof sql, "SET client_encoding TO 'UTF8'; SET search_path TO %s; "
		 "SET synchronous_commit TO on; SET TIME ZONE 'UTC'", s->schema);
	if (pv_pg_session(s, sql, "use the vault's schema") != 0)
		return -1;
	return create ? 0 : add_later_tables(s);
}

struct pv_store *pv_pg_open(const char *conninfo, const char *schema, int create, char *err,
			    size_t errlen)
{
	if (!schema_name_ok(schema)) {
		snprintf(err, errlen, "schema name '%s': a lowercase letter, then lowercase letters, "
			 "digits or _ (at most %d)", schema, SCHEMA_MAX);
		return NULL;
	}
	struct pv_pg_store *s = pv_pg_connect(conninfo, schema, err, errlen);
	if (s)
		s->ops = &pv_pg_ops; /* from here on it is reached through store.h */
	if (s && open_schema(s, schema, create) != 0) {
		snprintf(err, errlen, "%s", s->err);
		pv_pg_close((struct pv_store *)(void *)s);
		return NULL;
	}
	return (struct pv_store *)(void *)s;
}
