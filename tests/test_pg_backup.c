/* SPDX-License-Identifier: Apache-2.0 */
/* test_pg_backup.c: a backup of a PostgreSQL vault (pv_pg_backup_to) is the SQLite
 * database the SQLite store would hold for the same vault: filled through the pv_pg_*
 * functions, backed up, and read back through the SQLite store byte for byte (customers
 * and their sealed groups, consent, flags, the blind index regrouped into postings, audit
 * entries and checkpoints, users, sessions, tokens, requests, holds, notices, requests of
 * data subjects, complaints, incidents, transfers, the ledger's outbox, metadata, dates of
 * confirmation); large tables streamed across batches; one snapshot (a write committed
 * after it is absent, and the caller's transaction goes on); the file in rollback-journal
 * mode; a path that exists refused and left as it was; schemas that drift apart (a column
 * or table on one side only, a type with no SQLite image) refused by name with nothing
 * left behind; and the two schemas checked to agree table by table, column by column.
 * Runs against the cluster scripts/test.sh starts (PIVAULT_TEST_PG); without one it
 * reports itself skipped, and fails where PV_REQUIRE_POSTGRESQL=1 (CI) says it must run. */
#include "testutil.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/postgresql/pg_store.h"
#include "store/store_ops.h"

static const char *g_conninfo;
static char g_schema[64];
static int g_made;
static char *g_dir;

static int setup(void **state)
{
	(void)state;
	snprintf(g_schema, sizeof g_schema, "pvbackup_%ld_%d", (long)getpid(), ++g_made);
	g_dir = pvt_tempdir();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	PGconn *c = PQconnectdb(g_conninfo);
	char sql[160];
	snprintf(sql, sizeof sql,
		 "SET client_min_messages = warning; SET lock_timeout = '3s'; "
		 "DROP SCHEMA IF EXISTS %s CASCADE",
		 g_schema);
	PQclear(PQexec(c, sql));
	PQfinish(c);
	pvt_rmtree(g_dir);
	free(g_dir);
	return 0;
}

static struct pv_store *open_pg(int create)
{
	char err[512] = "";
	struct pv_store *s = pv_pg_open(g_conninfo, g_schema, create, err, sizeof err);
	if (!s)
		fail_msg("open %s: %s", g_schema, err);
	return s;
}

static struct pv_store *open_image(const char *path)
{
	char err[512] = "";
	struct pv_store *s = pv_sqlite_open(path, 0, err, sizeof err);
	if (!s)
		fail_msg("open the image: %s", err);
	return s;
}

/* Run sql on the vault's schema as a DBA would (psql). */
static void dba(const char *fmt, const char *arg)
{
	char body[1024], sql[1200];
	snprintf(body, sizeof body, fmt, arg ? arg : "");
	snprintf(sql, sizeof sql, "SET client_min_messages = warning; SET search_path TO %s; %s",
		 g_schema, body);
	PGconn *c = PQconnectdb(g_conninfo);
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		fail_msg("%s: %s", body, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
}

static char *image_path(const char *name)
{
	return pvt_keep(pvt_path(g_dir, name));
}

/* ---- Filling a vault through the pv_pg_* functions ---- */

static const uint8_t wdek[] = { 0, 9, 8, 0xff, 0 };
static const uint8_t basic[] = { 1, 0, 2, 0 };
static const uint8_t other[] = { 0xfe, 0 };
static const uint8_t meta_val[] = { 'k', 0, 0xff, 7 };
static const uint8_t slot[] = { 0, 1, 2, 0 }, access_key[] = { 9, 0, 9 };
static const uint8_t tag[] = { 0xaa, 0, 0xbb }, mac[] = { 1, 2, 3, 0 };
static const uint8_t sealed_note[] = { 0, 0, 5 }, chunk[] = { 'l', 0, 'n' };
static const uint8_t vtag[] = { 7, 7, 0 }, sealed_tok[] = { 0, 3 };

/* Hashes sharing their first two bytes (one postings row), and one apart. */
static void hash_of(uint8_t h[PV_BLIND_BYTES], uint8_t first, uint8_t last)
{
	memset(h, 0x11, PV_BLIND_BYTES);
	h[0] = first;
	h[PV_BLIND_BYTES - 1] = last;
}

static int64_t add_customer(struct pv_store *s, const char *id, uint32_t bucket, int groups)
{
	struct pv_stored_customer c = { .id = id,
					.bucket = bucket,
					.bucket_gen = 3,
					.dek_version = 2,
					.wdek = wdek,
					.wdek_len = sizeof wdek };
	if (groups) {
		c.group[0] = basic;
		c.group_len[0] = sizeof basic;
		c.group[1] = (const uint8_t *)""; /* empty, not none */
		c.group[2] = other;
		c.group_len[2] = sizeof other;
	}
	int64_t rid = 0;
	assert_int_equal(pv_pg_customer_insert(s, &c, &rid), 0);
	return rid;
}

static void fill_customers(struct pv_store *s, int64_t rid[2])
{
	rid[0] = add_customer(s, "C001", 4000000000u, 1);
	rid[1] = add_customer(s, "C002", 5, 0);
	assert_int_equal(pv_pg_consent_put(s, rid[0], "marketing", 1, "2026-01-02", "web"), 0);
	assert_int_equal(pv_pg_consent_put(s, rid[0], "analytics", 0, "2026-01-03", "mail"), 0);
	struct pv_consent_event_row e = { "C001", "analytics", 0,      "2026-01-03",
					  "mail", "v2",	       "clerk" };
	assert_int_equal(pv_pg_consent_log(s, &e), 0);
	assert_int_equal(pv_pg_customer_flag_set(s, "C002", 1, "2026-02-01"), 0);
	assert_int_equal(pv_pg_review_confirm(s, "C002", "2026-03-04", "phone", "clerk"), 0);
	int num = 0;
	assert_int_equal(pv_pg_field_number(s, "email", &num), 0);
	uint8_t h[PV_BLIND_BYTES];
	hash_of(h, 0x42, 1);
	assert_int_equal(pv_pg_index_add(s, num, h, rid[1]), 0);
	assert_int_equal(pv_pg_index_add(s, num, h, rid[0]), 0);
	hash_of(h, 0x42, 2); /* the same postings row */
	assert_int_equal(pv_pg_index_add(s, num, h, rid[0]), 0);
	hash_of(h, 0x43, 1);
	assert_int_equal(pv_pg_index_add(s, num, h, rid[1]), 0);
	assert_int_equal(pv_pg_meta_put(s, "kdf_salt", meta_val, sizeof meta_val), 0);
	assert_int_equal(pv_pg_meta_put(s, "empty", "", 0), 0);
}

static void fill_audit(struct pv_store *s)
{
	uint8_t hash[PV_AUDIT_HASH], head[PV_AUDIT_HASH], root[PV_AUDIT_HASH], sig[PV_AUDIT_SIG];
	memset(hash, 0, sizeof hash);
	memset(head, 0xab, sizeof head);
	memset(root, 0xcd, sizeof root);
	memset(sig, 0x5a, sizeof sig);
	for (uint64_t seq = 1; seq <= 3; seq++) {
		hash[0] = (uint8_t)seq;
		struct pv_audit_row e = {
			seq,  "2026-12-07T10:00:00Z", "adm", "read", "C001", "service", "",
			"ok", seq == 2 ? "two" : "",  hash,  0,	     { 0 }
		};
		assert_int_equal(pv_pg_audit_append(s, &e), 0);
	}
	const uint8_t frontier[] = { 0, 1, 0, 2 };
	struct pv_audit_checkpoint c = {
		3, "2026-12-07", head, root, frontier, sizeof frontier, sig
	};
	assert_int_equal(pv_pg_audit_checkpoint_put(s, &c), 0);
}

static void fill_people(struct pv_store *s)
{
	struct pv_stored_user u = { .name = "zoe",
				    .roles = "dpo",
				    .slot = slot,
				    .slot_len = sizeof slot,
				    .created = "2026-12-07" };
	assert_int_equal(pv_pg_user_put(s, &u), 0);
	u.name = "adm";
	u.access = access_key;
	u.access_len = sizeof access_key;
	assert_int_equal(pv_pg_user_put(s, &u), 0);
	assert_int_equal(pv_pg_user_set_failures(s, "adm", 2, 1790000000), 0);
	struct pv_stored_session x = { "sess1", "adm", 100, 200, 3, tag, sizeof tag };
	assert_int_equal(pv_pg_session_put(s, &x), 0);
	struct pv_stored_api_token t = { "hash1", "id1", "adm", "clerk", "service", "adm",
					 10,	  20,	 0,	4,	 tag,	    sizeof tag };
	assert_int_equal(pv_pg_api_token_put(s, &t), 0);
	assert_int_equal(pv_pg_authz_put(s, "users", "adm", mac, sizeof mac), 0);
	struct pv_stored_request r = { "r1",	   "clerk",
				       "export",   "{}",
				       "ab12",	   "pivault export",
				       "audit",	   "2026-12-01",
				       1790000000, "pending",
				       "",	   "",
				       "",	   "" };
	assert_int_equal(pv_pg_request_put(s, &r), 0);
}

static void fill_cases(struct pv_store *s)
{
	assert_int_equal(pv_pg_hold_add(s, "C001", "litigation", "dpo", "2026-01-01"), 0);
	assert_int_equal(pv_pg_escrow_add(s, "2026-01-01", "age1xyz", "d1", "adm"), 0);
	struct pv_store_notice n = { "C001",	   "breach", "v1",   "mail",
				     "2026-02-02", "dpo",    "sent", "2026-02-02" };
	int64_t notice = 0;
	assert_int_equal(pv_pg_notice_add(s, &n, &notice), 0);
	struct pv_stored_dsr d = { "dsr1",	 "C001",  "access", "gdpr", "2026-01-01",
				   "2026-02-01", "clerk", "",	    "" };
	assert_int_equal(pv_pg_dsr_put(s, &d), 0);
	struct pv_stored_complaint c = { "cp1", "C001", "dsr1", "2026-01-05", "2026-02-05", "" };
	assert_int_equal(pv_pg_complaint_put(s, &c), 0);
	assert_int_equal(pv_pg_complaint_note_add(s, "cp1", "n1", "2026-01-06", "dpo", "note",
						  sealed_note, sizeof sealed_note),
			 0);
	struct pv_stored_incident i = { "inc1", "breach",     "open", "2026-03-01", "lost laptop",
					"dpo",	"2026-03-01", "",     "",	    "",
					"" };
	assert_int_equal(pv_pg_incident_put(s, &i), 0);
	assert_int_equal(pv_pg_incident_scope_add(s, "inc1", "C001", "basic,financial"), 0);
	assert_int_equal(pv_pg_seal_add(s, "inc1", "C002"), 0);
	struct pv_stored_transfer t = { "tr1",	      "2026-04-01", "dpo", "planned", "{\"a\":1}",
					"2027-01-01", "",	    "",	   "" };
	assert_int_equal(pv_pg_transfer_put(s, &t), 0);
	assert_int_equal(pv_pg_transfer_member_add(s, "tr1", "C001"), 0);
	assert_int_equal(pv_pg_transfer_consent_put(s, "tr1", "C001", 1, "2026-04-02", "web"), 0);
	assert_int_equal(
	    pv_pg_handover_received_put(s, "pkg1", "2026-04-03", "k1", "r1", 12, "rc1"), 0);
	assert_int_equal(pv_pg_outbox_put(s, "intent1", 0, 4096, chunk, sizeof chunk), 0);
	struct pv_stored_token k = { "tok1", "C002", "service",	  "2026-01-01", 3,
				     1,	     vtag,   sizeof vtag, sealed_tok,	sizeof sealed_tok };
	assert_int_equal(pv_pg_token_add(s, &k), 0);
}

static void fill_vault(struct pv_store *s, int64_t rid[2])
{
	fill_customers(s, rid);
	fill_audit(s);
	fill_people(s);
	fill_cases(s);
}

/* ---- Reading the image back through the SQLite store ---- */

static void expect_meta(struct pv_store *s, const char *key, const void *want, size_t n)
{
	uint8_t *val = NULL;
	size_t len = 99;
	assert_int_equal(pv_store_meta_get(s, key, &val, &len), 0);
	assert_int_equal(len, n);
	if (n)
		assert_memory_equal(val, want, n);
	free(val);
}

static void expect_customers(struct pv_store *s, const int64_t rid[2])
{
	struct pv_stored_customer c;
	assert_int_equal(pv_store_customer_get(s, "C001", &c), 0);
	assert_int_equal(c.rid, rid[0]);
	assert_int_equal(c.bucket, 4000000000u);
	assert_int_equal(c.bucket_gen, 3);
	assert_int_equal(c.dek_version, 2);
	assert_int_equal(c.malformed, 0);
	assert_int_equal(c.wdek_len, sizeof wdek);
	assert_memory_equal(c.wdek, wdek, sizeof wdek);
	assert_int_equal(c.group_len[0], sizeof basic);
	assert_memory_equal(c.group[0], basic, sizeof basic);
	assert_int_equal(c.group_len[1], 0); /* empty (a blob of no bytes: typeof_column) */
	assert_int_equal(c.group_len[2], sizeof other);
	assert_memory_equal(c.group[2], other, sizeof other);
	assert_int_equal(pv_store_customer_get_rid(s, rid[1], &c), 0);
	assert_string_equal(c.id, "C002");
	assert_null(c.group[0]);
	assert_null(c.group[2]);
	uint64_t n = 0;
	assert_int_equal(pv_store_customer_count(s, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(pv_store_consent_state(s, rid[0], "marketing"), 1);
	assert_int_equal(pv_store_consent_state(s, rid[0], "analytics"), 0);
	int restricted = -1, objected = -1;
	assert_int_equal(pv_store_customer_flags(s, "C002", &restricted, &objected), 0);
	assert_int_equal(restricted, 0);
	assert_int_equal(objected, 1);
	assert_int_equal(pv_store_customer_flags_any(s), 1);
	int num = 0;
	assert_int_equal(pv_store_field_number(s, "email", &num), 0);
	assert_int_equal(num, 1);
	assert_int_equal(pv_store_field_number(s, "phone", &num), 0);
	assert_int_equal(num, 2); /* the next after the highest copied */
}

struct ids {
	char id[4][16];
	char last[4][16];
	int n;
};

static int add_id(void *ctx, const struct pv_stored_customer *c)
{
	struct ids *x = ctx;
	if (x->n < 4)
		snprintf(x->id[x->n++], sizeof x->id[0], "%s", c->id);
	return 0;
}

static int add_due(void *ctx, const struct pv_stored_customer *c, const char *last)
{
	struct ids *x = ctx;
	if (x->n < 4) {
		snprintf(x->last[x->n], sizeof x->last[0], "%s", last);
		snprintf(x->id[x->n++], sizeof x->id[0], "%s", c->id);
	}
	return 0;
}

/* Index lookups of the regrouped postings find what PostgreSQL's entries named. */
static void expect_index(struct pv_store *s, const int64_t rid[2])
{
	uint8_t h[PV_BLIND_BYTES];
	struct ids x = { .n = 0 };
	hash_of(h, 0x42, 1);
	assert_int_equal(pv_store_index_lookup(s, 1, h, add_id, &x), 0);
	assert_int_equal(x.n, 2);
	assert_string_equal(x.id[0], "C001");
	assert_string_equal(x.id[1], "C002");
	x.n = 0;
	hash_of(h, 0x42, 2);
	assert_int_equal(pv_store_index_lookup(s, 1, h, add_id, &x), 0);
	assert_int_equal(x.n, 1);
	assert_string_equal(x.id[0], "C001");
	int64_t rids[4];
	size_t n = 0;
	hash_of(h, 0x43, 1);
	assert_int_equal(pv_store_index_rids_below(s, 1, h, rid[1] + 1, rids, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rids[0], rid[1]);
	hash_of(h, 0x42, 3); /* in a postings row, not an entry of it */
	x.n = 0;
	assert_int_equal(pv_store_index_lookup(s, 1, h, add_id, &x), 0);
	assert_int_equal(x.n, 0);
	/* the image goes on as a vault: an entry removed and one added */
	hash_of(h, 0x42, 1);
	assert_int_equal(pv_store_index_replace(s, rid[0], 1, h, NULL), 0);
	x.n = 0;
	assert_int_equal(pv_store_index_lookup(s, 1, h, add_id, &x), 0);
	assert_int_equal(x.n, 1);
	assert_string_equal(x.id[0], "C002");
}

static int audit_row(void *ctx, const struct pv_audit_row *e)
{
	int *n = ctx;
	(*n)++;
	assert_int_equal(e->seq, (uint64_t)*n);
	assert_string_equal(e->user, "adm");
	assert_string_equal(e->detail, e->seq == 2 ? "two" : "");
	assert_non_null(e->hash);
	assert_int_equal(e->hash[0], (uint8_t)e->seq);
	return 0;
}

static void expect_audit(struct pv_store *s)
{
	int n = 0;
	assert_int_equal(pv_store_audit_scan(s, 1, audit_row, &n), 0);
	assert_int_equal(n, 3);
	uint64_t seq = 0;
	uint8_t hash[PV_AUDIT_HASH];
	assert_int_equal(pv_store_audit_last(s, &seq, hash), 0);
	assert_int_equal(seq, 3);
	struct pv_audit_checkpoint c;
	assert_int_equal(pv_store_audit_checkpoint_last(s, 100, &c), 0);
	assert_int_equal(c.size, 3);
	assert_string_equal(c.at, "2026-12-07");
	assert_int_equal(c.frontier_len, 4);
	assert_memory_equal(c.frontier, ((const uint8_t[]){ 0, 1, 0, 2 }), 4);
	assert_int_equal(c.head[31], 0xab);
	assert_int_equal(c.signature[63], 0x5a);
}

static void expect_people(struct pv_store *s)
{
	struct pv_stored_user u;
	assert_int_equal(pv_store_user_get(s, "zoe", &u), 0);
	assert_null(u.access);
	assert_int_equal(u.slot_len, sizeof slot);
	assert_memory_equal(u.slot, slot, sizeof slot);
	assert_int_equal(pv_store_user_get(s, "adm", &u), 0);
	assert_int_equal(u.failures, 2);
	assert_int_equal(u.locked_until, 1790000000);
	assert_int_equal(u.access_len, sizeof access_key);
	assert_memory_equal(u.access, access_key, sizeof access_key);
	struct pv_stored_session x;
	assert_int_equal(pv_store_session_get(s, "sess1", &x), 0);
	assert_string_equal(x.user, "adm");
	assert_int_equal(x.expires, 200);
	assert_int_equal(x.clear_shown, 3);
	assert_memory_equal(x.tag, tag, sizeof tag);
	struct pv_stored_api_token t;
	assert_int_equal(pv_store_api_token_get_by_id(s, "id1", &t), 0);
	assert_string_equal(t.user, "adm");
	assert_int_equal(t.clear_shown, 4);
	assert_int_equal(t.tag_len, sizeof tag);
	uint8_t got[8];
	size_t len = 0;
	assert_int_equal(pv_store_authz_get(s, "users", "adm", got, sizeof got, &len), 0);
	assert_int_equal(len, sizeof mac);
	assert_memory_equal(got, mac, sizeof mac);
	struct pv_stored_request r;
	assert_int_equal(pv_store_request_get(s, "r1", &r), 0);
	assert_string_equal(r.command, "pivault export");
	assert_int_equal(r.expires, 1790000000);
}

static int note_row(void *ctx, const char *note_id, const char *at, const char *by,
		    const char *kind, const uint8_t *sealed, size_t len)
{
	(void)at;
	(void)by;
	(void)kind;
	int *n = ctx;
	(*n)++;
	assert_string_equal(note_id, "n1");
	assert_int_equal(len, sizeof sealed_note);
	assert_memory_equal(sealed, sealed_note, len);
	return 0;
}

static int outbox_row(void *ctx, const char *intent, uint32_t seq, uint64_t ledger_size,
		      const void *data, size_t len)
{
	int *n = ctx;
	(*n)++;
	assert_string_equal(intent, "intent1");
	assert_int_equal(seq, 0);
	assert_int_equal(ledger_size, 4096);
	assert_int_equal(len, sizeof chunk);
	assert_memory_equal(data, chunk, len);
	return 0;
}

static int token_row(void *ctx, const struct pv_stored_token *t)
{
	int *n = ctx;
	(*n)++;
	assert_non_null(t);
	assert_int_equal(t->field, 3);
	assert_int_equal(t->vtag_len, sizeof vtag);
	assert_memory_equal(t->sealed, sealed_tok, sizeof sealed_tok);
	return 0;
}

static void expect_cases(struct pv_store *s)
{
	char reason[32], since[32], kind[16], customer[16];
	assert_int_equal(
	    pv_store_hold_active(s, "C001", reason, sizeof reason, since, sizeof since), 1);
	assert_string_equal(reason, "litigation");
	assert_int_equal(pv_store_notice_kind(s, 1, kind, sizeof kind, customer, sizeof customer),
			 0);
	assert_string_equal(kind, "breach");
	struct pv_stored_dsr d;
	assert_int_equal(pv_store_dsr_get(s, "dsr1", &d), 0);
	assert_string_equal(d.due, "2026-02-01");
	struct pv_stored_complaint c;
	assert_int_equal(pv_store_complaint_get(s, "cp1", &c), 0);
	assert_string_equal(c.dsr, "dsr1");
	int n = 0;
	assert_int_equal(pv_store_complaint_note_scan(s, "cp1", note_row, &n), 0);
	assert_int_equal(n, 1);
	struct pv_stored_incident i;
	assert_int_equal(pv_store_incident_get(s, "inc1", &i), 0);
	assert_string_equal(i.description, "lost laptop");
	struct pv_stored_transfer t;
	assert_int_equal(pv_store_transfer_get(s, "tr1", &t), 0);
	assert_string_equal(t.plan, "{\"a\":1}");
	assert_int_equal(pv_store_transfer_consent_get(s, "tr1", "C001"), 1);
	char received[32];
	assert_int_equal(pv_store_handover_received_get(s, "pkg1", received, sizeof received), 0);
	assert_string_equal(received, "2026-04-03");
	n = 0;
	assert_int_equal(pv_store_outbox_scan(s, outbox_row, &n), 0);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(pv_store_token_scan(s, "tok1", token_row, &n), 0);
	assert_int_equal(n, 1);
}

/* The file is a plain database: rollback journal (header bytes 18-19 = 1), no log beside. */
static void expect_plain_file(const char *path)
{
	size_t len = 0;
	uint8_t *f = (uint8_t *)pvt_read_file(path, &len);
	assert_non_null(f);
	assert_true(len >= 100);
	assert_memory_equal(f, "SQLite format 3", 16);
	assert_int_equal(f[18], 1);
	assert_int_equal(f[19], 1);
	free(f);
	char side[4096];
	snprintf(side, sizeof side, "%s-wal", path);
	assert_int_not_equal(access(side, F_OK), 0);
	snprintf(side, sizeof side, "%s-journal", path);
	assert_int_not_equal(access(side, F_OK), 0);
}

/* The SQLite type of sql's one value in the image (blob, text, integer, null). */
static void expect_type(const char *path, const char *sql, const char *want)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 0), want);
	sqlite3_finalize(q);
	sqlite3_close(db);
}

static void test_backup_reads_the_same(void **state)
{
	(void)state;
	struct pv_store *s = open_pg(1);
	int64_t rid[2];
	fill_vault(s, rid);
	/* a confirmation date before PostgreSQL's day 0 and one after */
	dba("UPDATE customers SET confirmed = '1999-12-31' WHERE id = 'C001'", NULL);
	const char *path = image_path("image.db");
	assert_int_equal(pv_pg_backup_to(s, path), 0);
	assert_int_equal(pv_pg_txn_id(s), 0); /* its own snapshot, ended */
	pv_pg_close(s);
	expect_plain_file(path);
	struct stat st;
	expect_type(path, "SELECT typeof(g_financial) FROM customers WHERE id = 'C001'", "blob");
	expect_type(path, "SELECT typeof(g_basic) FROM customers WHERE id = 'C002'", "null");
	expect_type(path, "SELECT typeof(id) FROM customers WHERE id = 'C002'", "text");
	expect_type(path, "SELECT typeof(v) FROM meta WHERE k = 'empty'", "blob");
	expect_type(path, "SELECT typeof(bucket) FROM customers WHERE id = 'C002'", "integer");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	struct pv_store *lite = open_image(path);
	expect_meta(lite, "kdf_salt", meta_val, sizeof meta_val);
	expect_meta(lite, "empty", "", 0);
	expect_customers(lite, rid);
	expect_audit(lite);
	expect_people(lite);
	expect_cases(lite);
	struct ids x = { .n = 0 };
	assert_int_equal(pv_store_review_due(lite, "2100-01-01", add_due, &x), 0);
	assert_int_equal(x.n, 2);
	assert_string_equal(x.id[0], "C001");
	assert_string_equal(x.last[0], "1999-12-31");
	assert_string_equal(x.last[1], "2026-03-04");
	expect_index(lite, rid);
	pv_store_close(lite);
}

static void test_empty_vault(void **state)
{
	(void)state;
	struct pv_store *s = open_pg(1);
	const char *path = image_path("empty.db");
	assert_int_equal(pv_pg_backup_to(s, path), 0);
	pv_pg_close(s);
	expect_plain_file(path);
	struct pv_store *lite = open_image(path);
	uint64_t n = 9;
	assert_int_equal(pv_store_customer_count(lite, &n), 0);
	assert_int_equal(n, 0);
	uint64_t seq;
	uint8_t hash[PV_AUDIT_HASH];
	assert_int_equal(pv_store_audit_last(lite, &seq, hash), 1);
	pv_store_close(lite);
}

/* ---- One snapshot ---- */

static void test_backup_in_callers_snapshot(void **state)
{
	(void)state;
	struct pv_store *s = open_pg(1), *writer = open_pg(0);
	add_customer(s, "C001", 1, 1);
	assert_int_equal(pv_pg_read_begin(s), 0);
	uint64_t n = 0;
	assert_int_equal(pv_pg_customer_count(s, &n), 0); /* the snapshot is taken */
	uint64_t txn = pv_pg_txn_id(s);
	/* another connection writes and commits after it */
	assert_int_equal(pv_pg_begin(writer), 0);
	add_customer(writer, "C002", 2, 0);
	assert_int_equal(pv_pg_meta_put(writer, "later", "x", 1), 0);
	assert_int_equal(pv_pg_commit(writer), 0);

	const char *path = image_path("snap.db");
	assert_int_equal(pv_pg_backup_to(s, path), 0);
	assert_int_equal(pv_pg_txn_id(s), txn); /* the caller's transaction goes on */
	assert_int_equal(pv_pg_customer_count(s, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(pv_pg_commit(s), 0);

	struct pv_store *lite = open_image(path);
	assert_int_equal(pv_store_customer_count(lite, &n), 0);
	assert_int_equal(n, 1);
	struct pv_stored_customer c;
	assert_int_equal(pv_store_customer_get(lite, "C002", &c), 1);
	uint8_t *val = NULL;
	assert_int_equal(pv_store_meta_get(lite, "later", &val, NULL), 1);
	pv_store_close(lite);

	/* outside any transaction: its own snapshot, with everything committed */
	const char *now = image_path("now.db");
	assert_int_equal(pv_pg_backup_to(s, now), 0);
	lite = open_image(now);
	assert_int_equal(pv_store_customer_count(lite, &n), 0);
	assert_int_equal(n, 2);
	pv_store_close(lite);
	pv_pg_close(writer);
	pv_pg_close(s);
}

/* A backup that fails inside the caller's transaction leaves it as it was. */
static void test_failure_leaves_callers_transaction(void **state)
{
	(void)state;
	struct pv_store *s = open_pg(1);
	add_customer(s, "C001", 1, 1);
	dba("ALTER TABLE holds ADD COLUMN extra text", NULL);
	assert_int_equal(pv_pg_read_begin(s), 0);
	uint64_t txn = pv_pg_txn_id(s), n = 0;
	const char *path = image_path("bad.db");
	assert_int_equal(pv_pg_backup_to(s, path), -1);
	assert_non_null(strstr(pv_pg_errmsg(s), "holds"));
	assert_non_null(strstr(pv_pg_errmsg(s), "extra"));
	assert_int_not_equal(access(path, F_OK), 0);
	assert_int_equal(pv_pg_txn_id(s), txn);
	assert_int_equal(pv_pg_customer_count(s, &n), 0);
	assert_int_equal(n, 1);
	/* the caller's empty file (as backup.c makes it) is left empty, not half-written */
	const char *made = image_path("made.db");
	assert_int_equal(pvt_write_file(made, "", 0), 0);
	assert_int_equal(pv_pg_backup_to(s, made), -1);
	struct stat st;
	assert_int_equal(lstat(made, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(pv_pg_commit(s), 0);
	pv_pg_close(s);
}

/* ---- Paths ---- */

static void expect_refused(struct pv_store *s, const char *path)
{
	assert_int_equal(pv_pg_backup_to(s, path), -1);
	assert_non_null(strstr(pv_pg_errmsg(s), "backup"));
}

static void test_existing_path_refused(void **state)
{
	(void)state;
	struct pv_store *s = open_pg(1);
	add_customer(s, "C001", 1, 1);
	const char *kept = image_path("kept.db");
	assert_int_equal(pvt_write_file(kept, "not mine", 8), 0);
	expect_refused(s, kept);
	size_t len = 0;
	char *text = pvt_read_file(kept, &len);
	assert_int_equal(len, 8);
	assert_memory_equal(text, "not mine", 8);
	free(text);
	/* a link (to a file that is not there, or to an empty one) is never followed */
	const char *target = image_path("target.db"), *link = image_path("link.db");
	assert_int_equal(symlink(target, link), 0);
	expect_refused(s, link);
	assert_int_not_equal(access(target, F_OK), 0);
	assert_int_equal(pvt_write_file(target, "", 0), 0);
	expect_refused(s, link);
	struct stat st;
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 0);
	/* a directory; a log or journal of an earlier database beside the path */
	expect_refused(s, g_dir);
	const char *fresh = image_path("fresh.db"), *wal = image_path("fresh.db-wal");
	assert_int_equal(pvt_write_file(wal, "old log", 7), 0);
	expect_refused(s, fresh);
	assert_int_not_equal(access(fresh, F_OK), 0);
	/* an empty file the caller made for it (as backup.c does) is taken */
	const char *empty = image_path("empty.db");
	assert_int_equal(pvt_write_file(empty, "", 0), 0);
	assert_int_equal(pv_pg_backup_to(s, empty), 0);
	struct pv_store *lite = open_image(empty);
	uint64_t n = 0;
	assert_int_equal(pv_store_customer_count(lite, &n), 0);
	assert_int_equal(n, 1);
	pv_store_close(lite);
	pv_pg_close(s);
}

/* ---- Schemas that drift apart ---- */

/* After change (made on the vault's schema), the backup fails naming both words, and
 * leaves no file; undo puts the schema back, and the backup works again. */
static void expect_drift(struct pv_store *s, const char *change, const char *undo,
			 const char *word1, const char *word2)
{
	dba(change, NULL);
	const char *path = image_path("drift.db");
	assert_int_equal(pv_pg_backup_to(s, path), -1);
	if (!strstr(pv_pg_errmsg(s), word1) || !strstr(pv_pg_errmsg(s), word2))
		fail_msg("after %s: %s", change, pv_pg_errmsg(s));
	assert_null(strstr(pv_pg_errmsg(s), "C001")); /* never a value */
	assert_int_not_equal(access(path, F_OK), 0);
	char side[4096];
	snprintf(side, sizeof side, "%s-wal", path);
	assert_int_not_equal(access(side, F_OK), 0);
	snprintf(side, sizeof side, "%s-journal", path);
	assert_int_not_equal(access(side, F_OK), 0);
	dba(undo, NULL);
	assert_int_equal(pv_pg_backup_to(s, path), 0);
	assert_int_equal(unlink(path), 0);
}

static void test_drifted_schemas_refused(void **state)
{
	(void)state;
	struct pv_store *s = open_pg(1);
	add_customer(s, "C001", 1, 1);
	assert_int_equal(pv_pg_hold_add(s, "C001", "r", "dpo", "2026-01-01"), 0);
	expect_drift(s, "ALTER TABLE holds ADD COLUMN extra text",
		     "ALTER TABLE holds DROP COLUMN extra", "holds", "extra");
	expect_drift(s, "ALTER TABLE escrow_copies DROP COLUMN made_by",
		     "ALTER TABLE escrow_copies ADD COLUMN made_by text NOT NULL DEFAULT ''",
		     "escrow_copies", "made_by");
	expect_drift(s, "ALTER TABLE sessions RENAME COLUMN user_name TO who",
		     "ALTER TABLE sessions RENAME COLUMN who TO user_name", "sessions", "user");
	expect_drift(s, "CREATE TABLE extra_rows(x text)", "DROP TABLE extra_rows", "extra_rows",
		     "SQLite");
	expect_drift(s, "ALTER TABLE tokens RENAME TO tokens_old",
		     "ALTER TABLE tokens_old RENAME TO tokens", "tokens", "table");
	expect_drift(s, "ALTER TABLE holds ALTER COLUMN reason TYPE numeric USING 0",
		     "ALTER TABLE holds ALTER COLUMN reason TYPE text", "holds", "reason");
	expect_drift(s, "ALTER TABLE blind_index ADD COLUMN extra text",
		     "ALTER TABLE blind_index DROP COLUMN extra", "blind_index", "field, h, rid");
	expect_drift(s, "UPDATE customers SET confirmed = 'infinity'",
		     "UPDATE customers SET confirmed = CURRENT_DATE", "customers", "confirmed");
	pv_pg_close(s);
}

/* ---- The two schemas agree ---- */

/* Tables the backup does not copy column by column, and why (backup_copy.c). */
static const char *const regrouped[] = {
	"blind_index", /* PostgreSQL: a row per entry (field, h, rid); SQLite: postings rows */
};

/* The name PostgreSQL gives a column SQLite names (user is reserved there). */
static const char *pg_column(const char *sqlite_column)
{
	return strcmp(sqlite_column, "user") == 0 ? "user_name" : sqlite_column;
}

/* "table.column" names of every table (SQLite's columns under their PostgreSQL names), the
 * regrouped tables' apart; compared as sorted text. */
struct layout {
	char line[512][96];
	int n, regrouped_seen;
};

static void layout_add(struct layout *l, const char *table, const char *column)
{
	for (size_t i = 0; i < sizeof regrouped / sizeof *regrouped; i++)
		if (strcmp(table, regrouped[i]) == 0) {
			l->regrouped_seen |= 1 << i;
			return;
		}
	assert_true(l->n < 512);
	snprintf(l->line[l->n++], sizeof l->line[0], "%s.%s", table, column);
}

static int by_text(const void *a, const void *b)
{
	return strcmp(a, b);
}

static char *layout_text(struct layout *l)
{
	qsort(l->line, (size_t)l->n, sizeof l->line[0], by_text);
	char *out = calloc((size_t)l->n + 1, sizeof l->line[0] + 1);
	for (int i = 0; i < l->n; i++) {
		strcat(out, l->line[i]);
		strcat(out, "\n");
	}
	return out;
}

static char *sqlite_layout(const char *path, int *regrouped_seen)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *q = NULL;
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT m.name, p.name FROM sqlite_schema m, "
					    "pragma_table_info(m.name) p WHERE m.type = 'table'",
					    -1, &q, NULL),
			 SQLITE_OK);
	struct layout *l = calloc(1, sizeof *l);
	while (sqlite3_step(q) == SQLITE_ROW)
		layout_add(l, (const char *)sqlite3_column_text(q, 0),
			   pg_column((const char *)sqlite3_column_text(q, 1)));
	sqlite3_finalize(q);
	sqlite3_close(db);
	char *out = layout_text(l);
	*regrouped_seen = l->regrouped_seen;
	free(l);
	return out;
}

static char *pg_layout(int *regrouped_seen)
{
	PGconn *c = PQconnectdb(g_conninfo);
	const char *params[] = { g_schema };
	PGresult *r = PQexecParams(c,
				   "SELECT table_name::text, column_name::text "
				   "FROM information_schema.columns WHERE table_schema = $1",
				   1, NULL, params, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	struct layout *l = calloc(1, sizeof *l);
	for (int i = 0; i < PQntuples(r); i++)
		layout_add(l, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
	PQclear(r);
	PQfinish(c);
	char *out = layout_text(l);
	*regrouped_seen = l->regrouped_seen;
	free(l);
	return out;
}

/* Every table and column of a new SQLite vault is in a new PostgreSQL vault, and the other
 * way round, the regrouped tables aside (each there on both sides). */
static void test_schemas_aligned(void **state)
{
	(void)state;
	pv_pg_close(open_pg(1));
	const char *path = image_path("new.db");
	char err[512];
	struct pv_store *lite = pv_sqlite_open(path, 1, err, sizeof err);
	assert_non_null(lite);
	pv_store_close(lite);
	int lite_seen = 0, pg_seen = 0;
	char *lite_text = sqlite_layout(path, &lite_seen), *pg_text = pg_layout(&pg_seen);
	assert_string_equal(lite_text, pg_text);
	int all = (1 << (sizeof regrouped / sizeof *regrouped)) - 1;
	assert_int_equal(lite_seen, all);
	assert_int_equal(pg_seen, all);
	assert_non_null(strstr(lite_text, "customers.g_basic\n")); /* it read something */
	free(lite_text);
	free(pg_text);
}

/* ---- Large tables go a batch at a time ---- */

static int count_log(void *ctx, const struct pv_consent_event_row *e)
{
	int *n = ctx;
	char want[16];
	snprintf(want, sizeof want, "p%05d", *n + 1);
	assert_string_equal(e->purpose, want);
	(*n)++;
	return 0;
}

static void test_large_tables_streamed(void **state)
{
	(void)state;
	struct pv_store *s = open_pg(1);
	int64_t rid = add_customer(s, "C001", 1, 1);
	int num = 0;
	assert_int_equal(pv_pg_field_number(s, "email", &num), 0);
	char sql[512];
	snprintf(sql, sizeof sql,
		 "INSERT INTO consent_log(customer, purpose, granted, at, "
		 "channel, text_version, recorded_by) SELECT 'C001', 'p' || lpad(i::text, 5, '0'), "
		 "i %% 2, '2026-01-01', 'web', 'v1', 'clerk' FROM generate_series(1, 10000) i");
	dba("%s", sql);
	/* 9000 entries of one customer: hashes i (big-endian in the first 4 bytes) */
	snprintf(sql, sizeof sql,
		 "INSERT INTO blind_index(field, h, rid) SELECT %d, "
		 "int4send(i) || '\\x000000000000000000000000'::bytea, %lld "
		 "FROM generate_series(1, 9000) i",
		 num, (long long)rid);
	dba("%s", sql);
	const char *path = image_path("large.db");
	assert_int_equal(pv_pg_backup_to(s, path), 0);
	pv_pg_close(s);
	struct pv_store *lite = open_image(path);
	int n = 0;
	assert_int_equal(pv_store_consent_log_scan(lite, "C001", count_log, &n), 0);
	assert_int_equal(n, 10000);
	for (uint32_t i = 1; i <= 9000; i += 997) {
		uint8_t h[PV_BLIND_BYTES] = { (uint8_t)(i >> 24), (uint8_t)(i >> 16),
					      (uint8_t)(i >> 8), (uint8_t)i };
		struct ids x = { .n = 0 };
		assert_int_equal(pv_store_index_lookup(lite, num, h, add_id, &x), 0);
		assert_int_equal(x.n, 1);
	}
	pv_store_close(lite);
}

int main(void)
{
	g_conninfo = pvt_program_needs_postgresql();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_backup_reads_the_same, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_vault, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup_in_callers_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_leaves_callers_transaction, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_existing_path_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drifted_schemas_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schemas_aligned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_tables_streamed, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
