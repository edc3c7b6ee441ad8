/* SPDX-License-Identifier: Apache-2.0 */
/* keyring_journal.c: the keyring's nodes and journal in the PostgreSQL store: each node's
 * acknowledgement (applied_seq), and a shred's new bucket keys, each sealed under a key
 * derived from the slot's previous key, so that no WAL archive, base backup or standby
 * of these rows yields a bucket key once every node has overwritten the previous one. */
#include "internal.h"
#include "pg_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

const char pv_pg_keyring_journal_tables[] =
	"CREATE TABLE IF NOT EXISTS keyring_nodes(node_id text COLLATE \"C\" PRIMARY KEY, name text NOT NULL,"
	"  registered_at text NOT NULL, applied_seq bigint NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS keyring_nodes_retired(node_id text COLLATE \"C\" PRIMARY KEY,"
	"  name text NOT NULL, registered_at text NOT NULL, retired_at text NOT NULL,"
	"  applied_seq bigint NOT NULL);"
	"CREATE TABLE IF NOT EXISTS keyring_journal(seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	"  slot bigint NOT NULL, gen bigint NOT NULL, sealed bytea NOT NULL, at text NOT NULL,"
	"  shred_ref text NOT NULL);";

int pv_pg_node_register(struct pv_store *s, const char *node_id, const char *name,
			const char *at)
{
	const char *values[3] = { node_id, name, at };
	PGresult *r = pv_pg_query(pg_of(s), "INSERT INTO keyring_nodes(node_id, name, "
				  "registered_at) VALUES ($1, $2, $3) ON CONFLICT (node_id) DO NOTHING",
				  3, values, NULL, NULL, "register the keyring's node");
	PQclear(r);
	return r ? 0 : -1;
}

int pv_pg_node_applied(struct pv_store *s, const char *node_id, uint64_t *applied)
{
	PGresult *r = pv_pg_query(pg_of(s), "SELECT applied_seq FROM keyring_nodes WHERE "
				  "node_id = $1", 1, &node_id, NULL, NULL,
				  "read the keyring node's acknowledgement");
	if (!r)
		return -1;
	int bad = 0, found = PQntuples(r) > 0;
	if (found)
		*applied = (uint64_t)pv_pg_int8(r, 0, 0, &bad);
	PQclear(r);
	return bad ? pv_pg_fail(pg_of(s), "read the keyring node's acknowledgement", "bad row")
		   : found ? 0 : 1;
}

int pv_pg_node_ack(struct pv_store *s, const char *node_id, uint64_t seq)
{
	char at[24];
	snprintf(at, sizeof at, "%" PRIu64, seq);
	const char *values[2] = { node_id, at };
	PGresult *r = pv_pg_query(pg_of(s), "UPDATE keyring_nodes SET applied_seq = "
				  "greatest(applied_seq, $2::bigint) WHERE node_id = $1", 2, values,
				  NULL, NULL, "record the keyring node's acknowledgement");
	PQclear(r);
	return r ? 0 : -1;
}

struct node_walk {
	pv_store_node_fn fn;
	void *ctx;
};

static int node_row(void *ctx, const PGresult *r, int i)
{
	struct node_walk *w = ctx;
	int bad = 0;
	uint64_t applied = (uint64_t)pv_pg_int8(r, i, 3, &bad);
	return w->fn(w->ctx, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
		     applied);
}

int pv_pg_node_scan(struct pv_store *s, pv_store_node_fn fn, void *ctx)
{
	struct node_walk w = { fn, ctx };
	return pv_pg_rows(pg_of(s), "SELECT node_id, name, registered_at, applied_seq FROM "
			  "keyring_nodes ORDER BY registered_at, node_id", 0, NULL, node_row, &w,
			  "scan the keyring's nodes");
}

int pv_pg_node_retire(struct pv_store *s, const char *node_id, const char *at)
{
	const char *values[2] = { node_id, at };
	PGresult *r = pv_pg_query(pg_of(s), "WITH gone AS (DELETE FROM keyring_nodes WHERE "
				  "node_id = $1 RETURNING node_id, name, registered_at, applied_seq) "
				  "INSERT INTO keyring_nodes_retired(node_id, name, registered_at, "
				  "retired_at, applied_seq) SELECT node_id, name, registered_at, $2, "
				  "applied_seq FROM gone", 2, values, NULL, NULL,
				  "retire the keyring's node");
	if (!r)
		return -1;
	int moved = strcmp(PQcmdTuples(r), "0") != 0;
	PQclear(r);
	return moved ? 0 : 1;
}

int pv_pg_node_retired_scan(struct pv_store *s, pv_store_node_fn fn, void *ctx)
{
	struct node_walk w = { fn, ctx };
	return pv_pg_rows(pg_of(s), "SELECT node_id, name, retired_at, applied_seq FROM "
			  "keyring_nodes_retired ORDER BY retired_at, node_id", 0, NULL, node_row,
			  &w, "scan the keyring's retired nodes");
}


int pv_pg_kjournal_add(struct pv_store *s, uint32_t slot, uint32_t gen, const uint8_t *sealed,
		       size_t len, const char *at, const char *shred_ref, uint64_t *seq)
{
	char slot_text[16], gen_text[16];
	snprintf(slot_text, sizeof slot_text, "%u", (unsigned)slot);
	snprintf(gen_text, sizeof gen_text, "%u", (unsigned)gen);
	const char *values[5] = { slot_text, gen_text, (const char *)sealed, at, shred_ref };
	const int lengths[5] = { 0, 0, (int)len, 0, 0 }, binary[5] = { 0, 0, 1, 0, 0 };
	PGresult *r = pv_pg_query(pg_of(s), "INSERT INTO keyring_journal(slot, gen, sealed, at, "
				  "shred_ref) VALUES ($1, $2, $3, $4, $5) RETURNING seq", 5, values,
				  lengths, binary, "add to the keyring journal");
	if (!r)
		return -1;
	int bad = PQntuples(r) != 1;
	if (!bad)
		*seq = (uint64_t)pv_pg_int8(r, 0, 0, &bad);
	PQclear(r);
	return bad ? pv_pg_fail(pg_of(s), "add to the keyring journal", "no sequence number") : 0;
}

struct kjournal_walk {
	pv_store_kjournal_fn fn;
	void *ctx;
};

static int kjournal_row(void *ctx, const PGresult *r, int i)
{
	struct kjournal_walk *w = ctx;
	int bad = 0;
	uint64_t seq = (uint64_t)pv_pg_int8(r, i, 0, &bad);
	uint32_t slot = (uint32_t)pv_pg_int8(r, i, 1, &bad), gen = (uint32_t)pv_pg_int8(r, i, 2, &bad);
	if (bad)
		return -1;
	return w->fn(w->ctx, seq, slot, gen, (const uint8_t *)PQgetvalue(r, i, 3),
		     (size_t)PQgetlength(r, i, 3));
}

int pv_pg_kjournal_scan(struct pv_store *s, uint64_t after, pv_store_kjournal_fn fn, void *ctx)
{
	char from[24];
	snprintf(from, sizeof from, "%" PRIu64, after);
	const char *values[1] = { from };
	struct kjournal_walk w = { fn, ctx };
	return pv_pg_rows(pg_of(s), "SELECT seq, slot, gen, sealed FROM keyring_journal WHERE "
			  "seq > $1::bigint ORDER BY seq", 1, values, kjournal_row, &w,
			  "read the keyring journal");
}

int pv_pg_kjournal_last(struct pv_store *s, uint64_t *seq)
{
	PGresult *r = pv_pg_query(pg_of(s), "SELECT coalesce(max(seq), 0)::bigint FROM "
				  "keyring_journal", 0, NULL, NULL, NULL, "read the keyring journal");
	if (!r)
		return -1;
	int bad = PQntuples(r) != 1;
	*seq = bad ? 0 : (uint64_t)pv_pg_int8(r, 0, 0, &bad);
	PQclear(r);
	return bad ? pv_pg_fail(pg_of(s), "read the keyring journal", "bad row") : 0;
}
