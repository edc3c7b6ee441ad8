/* SPDX-License-Identifier: Apache-2.0 */
/* test_audit.c: the tamper-evident audit log. A vault with a few dozen audited operations
 * and an exported checkpoint is copied for each test and its log changed behind the
 * library's back (by its DBA, dba.h: the SQLite file or the PostgreSQL schema; or by an
 * attacker who recomputes the hash chain): an edited, removed, inserted or reordered entry
 * is reported by number, a truncated log is caught by the exported checkpoint, a
 * recomputed chain by the signed checkpoints. Operations fail closed when their audit
 * entry cannot be written (a test fault, or a real storage failure). Inclusion and
 * consistency proofs check out against their signed checkpoints only, also from the
 * command line without any vault. A checkpoint is signed automatically every 1024
 * entries. And a long log, verified in two threads split at a signed checkpoint, is
 * judged exactly as in one: a break in either half is named, the lower one first; a
 * checkpoint whose frontier is forged is not a split point; bad signatures and truncation
 * are still caught. */
#include "dba.h"
#include "testutil.h"

#include <sodium.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "formats/merkle.h"
#include "pivault.h"

#define SCHEMA PV_SOURCE_DIR "/examples/schema.yaml"
#define NCUST 20

static char *g_base;        /* vault/, vault.keyring, root.key, ckpt.txt, more.csv */
static char *g_key_path;
static char *g_ckpt;        /* the exported checkpoint */
static char *g_ckpt_path;
static char *g_csv_path;    /* 5 new customers (C00000201..) */
static uint64_t g_ck_size;  /* entries it covers */
static uint64_t g_n;        /* entries in the pristine log */
static uint64_t g_read_seq; /* a read in the middle of the log */
static uint64_t g_upd_seq;  /* the first update */
static char g_pk[65];       /* the vault's public key, pinned by whoever checks a proof */

struct fx {
	char *tmp;
	char *dir;
};

/* ---- helpers ----------------------------------------------------------------------- */

static pv_vault *open_root(const char *dir)
{
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(g_key_path, &key), PV_OK);
	pv_vault *v = NULL;
	pv_rc rc = pv_vault_open(dir, NULL, key, &v);
	pv_key_free(key);
	if (rc)
		fail_msg("pv_vault_open: %s", pv_errmsg(v));
	return v;
}

static const pv_access ADMIN = { "admin", "all", 0 };

/* statements as the vault's store takes them: in PostgreSQL the column `user` (a reserved
 * word there) is named user_name (malloc'd). */
static char *dialect(const char *dir, const char *statements)
{
	size_t n = strlen(statements), at = 0;
	char *out = malloc(2 * n + 1);
	assert_non_null(out);
	int pg = pvt_dba_pg(dir), quoted = 0;
	for (const char *p = statements; *p; p++) {
		int word = !quoted && strncmp(p, "user", 4) == 0 && !isalnum((unsigned char)p[4]) &&
			   p[4] != '_' && (p == statements || (!isalnum((unsigned char)p[-1]) &&
							      p[-1] != '_'));
		if (*p == '\'')
			quoted = !quoted;
		if (pg && word) {
			memcpy(out + at, "user_name", 9);
			at += 9;
			p += 3;
			continue;
		}
		out[at++] = *p;
	}
	out[at] = '\0';
	return out;
}

/* Run SQL on the vault's store as its DBA would (dba.h; the vault closed). */
static void sql(const char *dir, const char *statements)
{
	char *q = dialect(dir, statements);
	if (pvt_dba(NULL, dir, "%s", q) != 0)
		fail_msg("the DBA's SQL failed on: %s", q);
	free(q);
}

/* A single number from SQL. */
static uint64_t sql_u64(const char *dir, const char *query)
{
	char *q = dialect(dir, query);
	char *out = pvt_dba_value(dir, "%s", q);
	uint64_t x = strtoull(out, NULL, 10);
	free(out);
	free(q);
	return x;
}

/* pv_audit_verify on a closed vault at dir; returns the result and the report (malloc'd,
 * "" when none). */
static pv_rc verify(const char *dir, const char *checkpoint, char **report)
{
	pv_vault *v = open_root(dir);
	char *r = NULL;
	pv_rc rc = pv_audit_verify(v, NULL, checkpoint, &r);
	*report = strdup(r ? r : "");
	if (rc && !r)
		fprintf(stderr, "verify: %s\n", pv_errmsg(v));
	pv_free(r);
	pv_vault_close(v);
	return rc;
}

/* Verify must fail with PV_ERR_CORRUPT and a report containing every given phrase. */
static void expect_break(const char *dir, const char *checkpoint, const char *phrase1,
			 const char *phrase2)
{
	char *report = NULL;
	pv_rc rc = verify(dir, checkpoint, &report);
	if (rc != PV_ERR_CORRUPT)
		fail_msg("verify: expected PV_ERR_CORRUPT, got %d (report: %s)", rc, report);
	if (!strstr(report, phrase1) || (phrase2 && !strstr(report, phrase2)))
		fail_msg("verify report lacks \"%s\"%s%s%s: %s", phrase1, phrase2 ? " / \"" : "",
			 phrase2 ? phrase2 : "", phrase2 ? "\"" : "", report);
	free(report);
}

static void expect_intact(const char *dir, const char *checkpoint)
{
	char *report = NULL;
	pv_rc rc = verify(dir, checkpoint, &report);
	if (rc != PV_OK)
		fail_msg("verify: expected PV_OK, got %d: %s", rc, report);
	assert_non_null(strstr(report, "chain intact"));
	free(report);
}

static uint64_t checkpoint_size(const char *text)
{
	const char *p = strstr(text, "\nsize ");
	assert_non_null(p);
	return strtoull(p + 6, NULL, 10);
}

/* The preferences field of a customer, as the admin sees it in clear (malloc'd). */
static char *preferences_of(pv_vault *v, const char *id)
{
	pv_access who = { "admin", "all", 1 };
	pv_record *r = NULL;
	pv_rc rc = pv_get(v, &who, id, &r);
	if (rc)
		fail_msg("pv_get(%s): %s", id, pv_errmsg(v));
	char *out = NULL;
	for (size_t i = 0; i < pv_record_field_count(r); i++)
		if (strcmp(pv_record_field_name(r, i), "preferences") == 0)
			out = strdup(pv_record_field_value(r, i));
	pv_record_free(r);
	assert_non_null(out);
	return out;
}

static int count_id(void *ctx, const char *id)
{
	(void)id;
	++*(int *)ctx;
	return 0;
}

static int count_record(void *ctx, const pv_record *r)
{
	(void)r;
	++*(int *)ctx;
	return 0;
}

/* Change one lower-case hex digit of the line starting with `line` (e.g. "leaf ") of a
 * proof; returns a malloc'd copy. */
static char *flip_hex(const char *text, const char *line, size_t offset)
{
	char *t = strdup(text);
	assert_non_null(t);
	char *p = strstr(t, line);
	assert_non_null(p);
	p += strlen(line) + offset;
	assert_true((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'));
	*p = *p == '0' ? '1' : '0';
	return t;
}

/* ---- fixtures ----------------------------------------------------------------------- */

static int group_setup(void **state)
{
	(void)state;
	g_base = pvt_tempdir();
	char *dir = pvt_path(g_base, "vault");
	g_key_path = pvt_path(g_base, "root.key");
	g_ckpt_path = pvt_path(g_base, "ckpt.txt");
	g_csv_path = pvt_path(g_base, "more.csv");
	char *csv = NULL;
	pv_vault *v = pvt_sample_vault(dir, g_key_path, NCUST, 7, &csv); /* init, import */
	struct pvt_csv t;
	assert_int_equal(pvt_csv_parse(csv, &t), 0);
	assert_int_equal(pvt_run(NULL, "'%s' -n 5 --start 201 --seed 7 --canonical -o '%s'",
				 pvt_program("pvgen"), g_csv_path), 0);

	/* About thirty audited operations: reads, finds, updates, a list, an import, an
	 * export. */
	char id[16];
	for (int i = 1; i <= 12; i++) {
		snprintf(id, sizeof id, "C%08d", i);
		pv_record *r = NULL;
		pv_access who = { i % 2 ? "admin" : "dpo", i % 3 ? "service" : "all", i % 4 == 0 };
		if (pv_get(v, &who, id, &r))
			fail_msg("pv_get: %s", pv_errmsg(v));
		pv_record_free(r);
	}
	for (int i = 1; i <= 6; i++) {
		int n = 0;
		const char *f = i % 2 ? "name" : "phone";
		if (pv_find(v, &ADMIN, f, pvt_csv_get(&t, (size_t)i, f), count_id, &n))
			fail_msg("pv_find: %s", pv_errmsg(v));
		assert_true(n >= 1);
	}
	for (int i = 1; i <= 6; i++) {
		snprintf(id, sizeof id, "C%08d", i + 10);
		char val[64];
		snprintf(val, sizeof val, "updated preference %d", i);
		if (pv_update(v, &ADMIN, id, "preferences", val))
			fail_msg("pv_update: %s", pv_errmsg(v));
	}
	int n = 0;
	assert_int_equal(pv_list(v, &ADMIN, NULL, 5, count_record, &n, NULL), PV_OK);
	pv_import_opts io = { 0 };
	io.threads = 1;
	pv_import_result *res = NULL;
	if (pv_import_csv(v, &ADMIN, g_csv_path, &io, &res))
		fail_msg("pv_import_csv: %s", pv_errmsg(v));
	assert_int_equal(pv_import_rows_imported(res), 5);
	pv_import_free(res);
	FILE *out = tmpfile();
	assert_non_null(out);
	assert_int_equal(pv_export(v, &ADMIN, PV_EXPORT_JSONL, out), PV_OK);
	fclose(out);
	pvt_csv_free(&t);
	free(csv);

	char *report = NULL;
	if (pv_audit_verify(v, NULL, NULL, &report))
		fail_msg("pv_audit_verify: %s", pv_errmsg(v));
	assert_non_null(strstr(report, "chain intact"));
	pv_free(report);

	/* The exported checkpoint, then a few more entries. */
	char *ck = NULL;
	assert_int_equal(pv_audit_checkpoint(v, NULL, &ck), PV_OK);
	assert_int_equal(pvt_write_file(g_ckpt_path, ck, strlen(ck)), 0);
	pv_free(ck);
	assert_int_equal(pv_vault_public_key(v, g_pk), PV_OK);
	for (int i = 1; i <= 4; i++) {
		pv_record *r = NULL;
		assert_int_equal(pv_get(v, &ADMIN, "C00000020", &r), PV_OK);
		pv_record_free(r);
	}
	pv_vault_close(v);

	g_ckpt = pvt_read_file(g_ckpt_path, NULL);
	assert_non_null(g_ckpt);
	assert_true(strncmp(g_ckpt, "pivault-audit-checkpoint v1\n", 28) == 0);
	g_ck_size = checkpoint_size(g_ckpt);
	g_n = sql_u64(dir, "SELECT max(seq) FROM audit");
	assert_int_equal(sql_u64(dir, "SELECT count(*) FROM audit"), g_n);
	assert_true(g_ck_size >= 30);
	assert_int_equal(g_n, g_ck_size + 4);
	g_read_seq = sql_u64(dir, "SELECT seq FROM audit WHERE op = 'read' ORDER BY seq "
			     "LIMIT 1 OFFSET 4");
	g_upd_seq = sql_u64(dir, "SELECT min(seq) FROM audit WHERE op = 'update'");
	assert_true(g_read_seq > 2 && g_read_seq < g_upd_seq && g_upd_seq < g_ck_size);
	free(dir);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	pvt_rmtree(g_base);
	free(g_base);
	free(g_key_path);
	free(g_ckpt);
	free(g_ckpt_path);
	free(g_csv_path);
	return 0;
}

/* A private copy of the pristine vault. */
static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->tmp = pvt_tempdir();
	f->dir = pvt_path(f->tmp, "vault");
	pvt_copy_vault(g_base, f->tmp);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	pvt_rmtree(f->tmp);
	free(f->tmp);
	free(f->dir);
	free(f);
	return 0;
}

/* ---- an attacker recomputing the chain ---------------------------------------------- */

/* Append x as an unsigned LEB128 varint to the BLAKE2b state. */
static void hash_varint(crypto_generichash_state *st, uint64_t x)
{
	uint8_t b[10];
	size_t n = 0;
	do {
		b[n] = (uint8_t)(x & 0x7f);
		x >>= 7;
		if (x)
			b[n] |= 0x80;
		n++;
	} while (x);
	crypto_generichash_update(st, b, n);
}

/* One entry of the audit table as stored: seq, its eight text fields' bytes, its hash. */
struct stored_entry {
	int64_t seq;
	uint8_t *field[8];
	size_t len[8];
	uint8_t hash[32];
	size_t hash_len;
};

/* The bytes of the hex column at *p (up to '|' or the end of line) into a new buffer;
 * *p moves past it. */
static uint8_t *hex_column(const char **p, size_t *len)
{
	size_t n = strcspn(*p, "|\n");
	uint8_t *b = malloc(n / 2 + 1);
	assert_non_null(b);
	assert_int_equal(sodium_hex2bin(b, n / 2 + 1, *p, n, NULL, len, NULL), 0);
	*p += n + ((*p)[n] == '|');
	return b;
}

/* Every entry of the vault's log in seq order (as read by its DBA, each column in hex so
 * that any byte of it survives); *n their number. */
static struct stored_entry *audit_entries(const char *dir, size_t *n)
{
	char *q = dialect(dir, "SELECT seq, hex(at), hex(user), hex(op), hex(ids), hex(purpose), "
			  "hex(request), hex(outcome), hex(detail), hex(hash) FROM audit "
			  "ORDER BY seq");
	char *rows = NULL;
	assert_int_equal(pvt_dba(&rows, dir, "%s", q), 0);
	free(q);
	size_t cap = 0;
	struct stored_entry *all = NULL;
	*n = 0;
	for (const char *p = rows; *p; p++) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 256;
			all = realloc(all, cap * sizeof *all);
			assert_non_null(all);
		}
		struct stored_entry *e = &all[(*n)++];
		e->seq = strtoll(p, (char **)&p, 10);
		assert_int_equal(*p++, '|');
		for (int c = 0; c < 8; c++)
			e->field[c] = hex_column(&p, &e->len[c]);
		uint8_t *h = hex_column(&p, &e->hash_len);
		memcpy(e->hash, h, e->hash_len == 32 ? 32 : 0);
		free(h);
		assert_int_equal(*p, '\n');
	}
	free(rows);
	return all;
}

static void entries_free(struct stored_entry *all, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < 8; c++)
			free(all[i].field[c]);
	free(all);
}

/* The chain hash (which is also the Merkle leaf hash) of entry e (seq, at, user, op, ids,
 * purpose, request, outcome, detail), by the format of docs/formats.md:
 * BLAKE2b-256(0x00 || previous hash || canonical bytes), the canonical bytes "PVA2", seq
 * as a varint, then each text field as its length (a varint) and bytes; zeros before
 * entry 1. */
static void chain_hash(const struct stored_entry *e, const uint8_t prev[32], uint8_t out[32])
{
	static const uint8_t zero = 0x00;
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, &zero, 1);
	crypto_generichash_update(&st, prev, 32);
	crypto_generichash_update(&st, (const uint8_t *)"PVA2", 4);
	hash_varint(&st, (uint64_t)e->seq);
	for (int c = 0; c < 8; c++) {
		hash_varint(&st, e->len[c]);
		if (e->len[c])
			crypto_generichash_update(&st, e->field[c], e->len[c]);
	}
	crypto_generichash_final(&st, out, 32);
}

/* Recompute every entry's chain hash. With write == 0, only count the entries whose
 * stored hash differs from the recomputed one; else store the recomputed ones (one
 * transaction, as the DBA would). */
static int rechain(const char *dir, int write)
{
	size_t rows = 0;
	struct stored_entry *all = audit_entries(dir, &rows);
	uint8_t prev[32] = { 0 }, h[32];
	int differ = 0;
	char *updates = NULL;
	size_t len = 0;
	FILE *u = open_memstream(&updates, &len);
	assert_non_null(u);
	fputs("BEGIN;", u);
	for (size_t i = 0; i < rows; i++) {
		chain_hash(&all[i], prev, h);
		if (all[i].hash_len != 32 || memcmp(all[i].hash, h, 32) != 0) {
			differ++;
			char hx[65];
			sodium_bin2hex(hx, sizeof hx, h, 32);
			fprintf(u, "UPDATE audit SET hash = x'%s' WHERE seq = %lld;", hx,
				(long long)all[i].seq);
		}
		memcpy(prev, h, 32);
	}
	fputs("COMMIT;", u);
	fclose(u);
	if (write && differ)
		sql(dir, updates);
	free(updates);
	entries_free(all, rows);
	assert_true(rows > 0);
	return differ;
}

/* ---- tests: verification and tampering ---------------------------------------------- */

/* The untouched log verifies, with its signed checkpoint and the exported one. */
static void test_verify_intact(void **state)
{
	struct fx *f = *state;
	char *report = NULL;
	assert_int_equal(verify(f->dir, NULL, &report), PV_OK);
	char want[64];
	snprintf(want, sizeof want, "%llu entries, chain intact", (unsigned long long)g_n);
	assert_non_null(strstr(report, want));
	assert_non_null(strstr(report, "1 signed checkpoint"));
	free(report);
	assert_int_equal(verify(f->dir, g_ckpt, &report), PV_OK);
	assert_non_null(strstr(report, "exported checkpoint matches"));
	free(report);
	/* Each verification is itself audited. */
	assert_int_equal(sql_u64(f->dir, "SELECT count(*) FROM audit WHERE op = 'audit verify'"),
			 3);
	/* The canonical format here is the library's: recomputing changes nothing. */
	assert_int_equal(rechain(f->dir, 0), 0);

	/* A checkpoint of another vault, or a damaged one, is refused as input. */
	char *other = pvt_path(f->tmp, "other"), *okey = pvt_path(f->tmp, "other.key");
	pv_vault *o = pvt_sample_vault(other, okey, 1, 1, NULL);
	char *ock = NULL;
	assert_int_equal(pv_audit_checkpoint(o, NULL, &ock), PV_OK);
	pv_vault_close(o);
	free(okey);
	pv_vault *v = open_root(f->dir);
	assert_int_equal(pv_audit_verify(v, NULL, ock, &report), PV_ERR_INPUT);
	pv_free(report);
	char *bad = flip_hex(g_ckpt, "\nhead ", 5);
	assert_int_equal(pv_audit_verify(v, NULL, bad, &report), PV_ERR_INPUT);
	assert_non_null(strstr(pv_errmsg(v), "signature"));
	pv_free(report);
	pv_vault_close(v);
	free(bad);
	pv_free(ock);
	free(other);
}

/* Editing any one field of entry k is reported as a break at entry k. */
static void test_edit_entry(void **state)
{
	struct fx *f = *state;
	static const char *const cols[] = { "at", "user", "op", "ids", "purpose", "request",
					    "outcome", "detail" };
	uint64_t k = g_read_seq;
	char want[32], q[512];
	snprintf(want, sizeof want, "entry %llu ", (unsigned long long)k);
	for (size_t i = 0; i < sizeof cols / sizeof *cols; i++) {
		snprintf(q, sizeof q, "UPDATE audit SET %s = %s || 'x' WHERE seq = %llu", cols[i],
			 cols[i], (unsigned long long)k);
		sql(f->dir, q);
		expect_break(f->dir, NULL, want, "chain hash");
		snprintf(q, sizeof q, "UPDATE audit SET %s = substr(%s, 1, length(%s) - 1) WHERE "
			 "seq = %llu", cols[i], cols[i], cols[i], (unsigned long long)k);
		sql(f->dir, q);
		expect_intact(f->dir, NULL);
	}
	/* The stored hash itself. */
	snprintf(q, sizeof q, "UPDATE audit SET hash = (SELECT hash FROM audit WHERE seq = %llu) "
		 "WHERE seq = %llu", (unsigned long long)k + 1, (unsigned long long)k);
	sql(f->dir, q);
	expect_break(f->dir, NULL, want, NULL);
}

/* Editing the first or the last entry is caught too. */
static void test_edit_ends(void **state)
{
	struct fx *f = *state;
	char q[256], want[32];
	snprintf(q, sizeof q, "UPDATE audit SET user = 'someone else' WHERE seq = %llu",
		 (unsigned long long)g_n);
	sql(f->dir, q);
	snprintf(want, sizeof want, "entry %llu ", (unsigned long long)g_n);
	expect_break(f->dir, NULL, want, NULL);
	sql(f->dir, "UPDATE audit SET detail = 'nothing happened' WHERE seq = 1");
	expect_break(f->dir, g_ckpt, "entry 1 ", NULL);
	sql(f->dir, "UPDATE audit SET detail = 'vault created' WHERE seq = 1");
	expect_break(f->dir, NULL, want, NULL); /* entry 1 restored: the last one remains */
}

/* Deleting entry k is reported as entry k missing. */
static void test_delete_entry(void **state)
{
	struct fx *f = *state;
	char q[128], want[64];
	snprintf(q, sizeof q, "DELETE FROM audit WHERE seq = %llu", (unsigned long long)g_read_seq);
	sql(f->dir, q);
	snprintf(want, sizeof want, "entry %llu is missing", (unsigned long long)g_read_seq);
	expect_break(f->dir, NULL, want, NULL);
	expect_break(f->dir, g_ckpt, want, NULL);
}

/* A forged entry inserted at k (later entries renumbered, a real hash copied in) is
 * reported at k. */
static void test_insert_entry(void **state)
{
	struct fx *f = *state;
	uint64_t k = g_read_seq;
	char q[1024], want[32];
	snprintf(q, sizeof q,
		 "UPDATE audit SET seq = -seq - 1 WHERE seq >= %llu; "
		 "UPDATE audit SET seq = -seq WHERE seq < 0; "
		 "INSERT INTO audit(seq, at, user, op, ids, purpose, request, outcome, detail, hash) "
		 "SELECT %llu, at, user, 'read', 'C00000009', 'service', '', 'ok', 'masked', hash "
		 "FROM audit WHERE seq = %llu;",
		 (unsigned long long)k, (unsigned long long)k, (unsigned long long)k - 1);
	sql(f->dir, q);
	assert_int_equal(sql_u64(f->dir, "SELECT count(*) FROM audit"), g_n + 1);
	assert_int_equal(sql_u64(f->dir, "SELECT max(seq) FROM audit"), g_n + 1);
	snprintf(want, sizeof want, "entry %llu ", (unsigned long long)k);
	expect_break(f->dir, NULL, want, NULL);
	expect_break(f->dir, g_ckpt, want, NULL);
}

/* Two entries swapped (contents moved, sequence numbers kept): reported at the first. */
static void test_reorder_entries(void **state)
{
	struct fx *f = *state;
	uint64_t a = g_read_seq, b = g_upd_seq;
	char q[1024], want[32];
	snprintf(q, sizeof q,
		 "CREATE TABLE swap AS SELECT * FROM audit WHERE seq IN (%llu, %llu); "
		 "UPDATE audit SET (at, user, op, ids, purpose, request, outcome, detail, hash) = "
		 "(SELECT at, user, op, ids, purpose, request, outcome, detail, hash FROM swap "
		 "WHERE swap.seq = %llu - audit.seq) WHERE seq IN (%llu, %llu); DROP TABLE swap;",
		 (unsigned long long)a, (unsigned long long)b, (unsigned long long)(a + b),
		 (unsigned long long)a, (unsigned long long)b);
	sql(f->dir, q);
	snprintf(q, sizeof q, "SELECT count(*) FROM audit WHERE seq = %llu AND op = 'update'",
		 (unsigned long long)a);
	assert_int_equal(sql_u64(f->dir, q), 1); /* the swap happened */
	snprintf(want, sizeof want, "entry %llu ", (unsigned long long)a);
	expect_break(f->dir, NULL, want, NULL);
}

/* Truncation: dropping the last entries is caught by the signed checkpoint; dropping the
 * stored checkpoints too, by the exported one. */
static void test_truncate(void **state)
{
	struct fx *f = *state;
	char q[256];
	snprintf(q, sizeof q, "DELETE FROM audit WHERE seq > %llu",
		 (unsigned long long)g_ck_size - 3);
	sql(f->dir, q);
	expect_break(f->dir, NULL, "truncated", NULL);
	sql(f->dir, "DELETE FROM audit_checkpoints");
	expect_break(f->dir, g_ckpt, "truncated", "exported checkpoint");
}

/* An attacker who edits an entry and recomputes the whole chain is caught by the signed
 * stored checkpoint, and, with those removed, by the exported checkpoint. */
static void test_recomputed_chain(void **state)
{
	struct fx *f = *state;
	char q[256];
	snprintf(q, sizeof q, "UPDATE audit SET ids = 'C00000001', detail = 'masked' WHERE seq = %llu",
		 (unsigned long long)g_read_seq);
	sql(f->dir, q);
	assert_true(rechain(f->dir, 0) > 0);
	rechain(f->dir, 1);
	assert_int_equal(rechain(f->dir, 0), 0); /* a chain that adds up */
	char *report = NULL;
	assert_int_equal(verify(f->dir, NULL, &report), PV_ERR_CORRUPT);
	assert_non_null(strstr(report, "signed checkpoint"));
	assert_null(strstr(report, "chain hash")); /* the chain itself passed */
	free(report);

	sql(f->dir, "DELETE FROM audit_checkpoints");
	rechain(f->dir, 1); /* the failed verification's entry, too */
	assert_int_equal(verify(f->dir, g_ckpt, &report), PV_ERR_CORRUPT);
	assert_non_null(strstr(report, "exported checkpoint"));
	assert_null(strstr(report, "chain hash"));
	free(report);
}

/* ---- tests: failing closed ---------------------------------------------------------- */

#define AUDIT_FAULT_NOTE " (and the audit entry could not be written: the audit log cannot " \
			 "be written (simulated failure); the operation was not carried out)"

/* A failure whose audit entry cannot be written either: the message keeps the failure
 * whole and then says why its entry is missing (it was built from the handle's own
 * message buffer, overwritten while it was read). */
static void test_failure_unaudited_message_whole(void **state)
{
	struct fx *f = *state;
	pv_vault *v = open_root(f->dir);
	const char *ids[] = { "C99999999" };
	char *cert = NULL;
	/* the failure as it reads when its entry is written */
	assert_int_equal(pv_shred(v, &ADMIN, ids, 1, &cert), PV_ERR_NOT_FOUND);
	char first[1024];
	snprintf(first, sizeof first, "%s", pv_errmsg(v));
	assert_non_null(strstr(first, "C99999999"));
	char want[2048];
	snprintf(want, sizeof want, "%s" AUDIT_FAULT_NOTE, first);

	assert_int_equal(pv_test_control(v, PV_TEST_AUDIT_FAULT, 1, NULL), PV_OK);
	assert_int_equal(pv_shred(v, &ADMIN, ids, 1, &cert), PV_ERR_NOT_FOUND);
	assert_null(cert);
	assert_string_equal(pv_errmsg(v), want);
	/* once more on the same handle: the message of the last failure stays out of it */
	assert_int_equal(pv_shred(v, &ADMIN, ids, 1, &cert), PV_ERR_NOT_FOUND);
	assert_string_equal(pv_errmsg(v), want);
	assert_int_equal(pv_test_control(v, PV_TEST_AUDIT_FAULT, 0, NULL), PV_OK);
	pv_vault_close(v);
}

/* A failure that is itself the audit log's (the shred's entry), audited in vain: said once,
 * not nested. */
static void test_audit_failure_not_nested(void **state)
{
	struct fx *f = *state;
	pv_vault *v = open_root(f->dir);
	assert_int_equal(pv_test_control(v, PV_TEST_AUDIT_FAULT, 1, NULL), PV_OK);
	const char *ids[] = { "C00000004" };
	char *cert = NULL;
	assert_int_equal(pv_shred(v, &ADMIN, ids, 1, &cert), PV_ERR_STORE);
	assert_null(cert);
	const char *m = pv_errmsg(v);
	const char *note = "the audit log cannot be written (simulated failure); the operation "
			   "was not carried out";
	const char *at = strstr(m, note);
	if (!at || strstr(at + 1, note) || strstr(m, "(and the audit entry"))
		fail_msg("the audit failure is not said exactly once: %s", m);
	assert_int_equal(pv_test_control(v, PV_TEST_AUDIT_FAULT, 0, NULL), PV_OK);
	pv_vault_close(v);
}

static void expect_not_carried_out(pv_vault *v, pv_rc rc)
{
	if (rc == PV_OK)
		fail_msg("the operation ran although its audit entry could not be written");
	if (!strstr(pv_errmsg(v), "not carried out"))
		fail_msg("message does not say the operation was not carried out: %s", pv_errmsg(v));
}

/* With the audit log unwritable (test fault), reads, finds, updates, imports and exports
 * refuse to run and change nothing. */
static void test_fault_fails_closed(void **state)
{
	struct fx *f = *state;
	pv_vault *v = open_root(f->dir);
	char *old = preferences_of(v, "C00000004");
	uint64_t entries = sql_u64(f->dir, "SELECT count(*) FROM audit");
	assert_int_equal(pv_test_control(v, PV_TEST_AUDIT_FAULT, 1, NULL), PV_OK);

	pv_record *r = NULL;
	expect_not_carried_out(v, pv_get(v, &ADMIN, "C00000004", &r));
	assert_null(r);
	int n = 0;
	expect_not_carried_out(v, pv_find(v, &ADMIN, "phone", "+8613800000000", count_id, &n));
	assert_int_equal(n, 0);
	expect_not_carried_out(v, pv_list(v, &ADMIN, NULL, 3, count_record, &n, NULL));
	assert_int_equal(n, 0);
	expect_not_carried_out(v, pv_update(v, &ADMIN, "C00000004", "preferences", "tampered"));
	FILE *out = tmpfile();
	assert_non_null(out);
	expect_not_carried_out(v, pv_export(v, &ADMIN, PV_EXPORT_CSV, out));
	assert_int_equal(ftell(out), 0);
	fclose(out);
	pv_import_result *res = NULL;
	pv_import_opts io = { 0 };
	io.threads = 1;
	char *more = pvt_path(f->tmp, "more.csv");
	assert_int_equal(pvt_run(NULL, "'%s' -n 3 --start 301 --seed 7 --canonical -o '%s'",
				 pvt_program("pvgen"), more), 0);
	expect_not_carried_out(v, pv_import_csv(v, &ADMIN, more, &io, &res));
	pv_import_free(res);
	res = NULL;
	uint64_t count = 0;
	assert_int_equal(pv_vault_count(v, &count), PV_OK);
	assert_int_equal(count, NCUST + 5);

	/* Back to normal: nothing was changed, nothing was logged. */
	assert_int_equal(pv_test_control(v, PV_TEST_AUDIT_FAULT, 0, NULL), PV_OK);
	char *now = preferences_of(v, "C00000004");
	assert_string_equal(now, old);
	pv_vault_close(v);
	assert_int_equal(sql_u64(f->dir, "SELECT count(*) FROM audit"), entries + 1);
	expect_intact(f->dir, g_ckpt);
	free(old);
	free(now);

	/* An import into an empty vault leaves no customers. */
	char *dir2 = pvt_path(f->tmp, "empty");
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(g_key_path, &key), PV_OK);
	pv_create_opts opts = { .schema_path = SCHEMA, .keyring_slots = 1024,
				.kdf_cost = PV_KDF_FAST };
	pv_vault *e = NULL;
	pv_rc rc = pv_vault_create(dir2, &opts, key, &e);
	pv_key_free(key);
	if (rc)
		fail_msg("pv_vault_create: %s", pv_errmsg(e));
	assert_int_equal(pv_test_control(e, PV_TEST_AUDIT_FAULT, 1, NULL), PV_OK);
	expect_not_carried_out(e, pv_import_csv(e, &ADMIN, more, &io, &res));
	assert_true(res == NULL || pv_import_rows_imported(res) == 0);
	pv_import_free(res);
	res = NULL;
	assert_int_equal(pv_test_control(e, PV_TEST_AUDIT_FAULT, 0, NULL), PV_OK);
	assert_int_equal(pv_vault_count(e, &count), PV_OK);
	assert_int_equal(count, 0);
	/* The file was good: without the fault it imports. */
	assert_int_equal(pv_import_csv(e, &ADMIN, more, &io, &res), PV_OK);
	pv_import_free(res);
	assert_int_equal(pv_vault_count(e, &count), PV_OK);
	assert_int_equal(count, 3);
	pv_vault_close(e);
	free(dir2);
	free(more);
}

/* The audit functions act as the role the caller names, as every other operation does: a
 * user holding both a role without 'audit' and one with it is refused under the first
 * (the refusal naming the permission), served under the second, and a role the user does
 * not hold is refused whatever it grants. */
static void test_audit_as_named_role(void **state)
{
	struct fx *f = *state;
	char *dir2 = pvt_path(f->tmp, "roles");
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(g_key_path, &key), PV_OK);
	pv_create_opts opts = { .schema_path = SCHEMA, .keyring_slots = 16,
				.kdf_cost = PV_KDF_FAST };
	pv_vault *root = NULL;
	pv_rc rc = pv_vault_create(dir2, &opts, key, &root);
	pv_key_free(key);
	if (rc)
		fail_msg("pv_vault_create: %s", pv_errmsg(root));
	assert_ok(root, pvt_user_add(root, &ADMIN, "dora", "clerk,auditor", "dora-pass-1", 11));
	pv_vault_close(root);
	pv_vault *v = pvt_open_user(dir2, "dora", "dora-pass-1");
	const pv_access clerk = { "clerk", NULL, 0 }, auditor = { "auditor", NULL, 0 },
			admin = { "admin", NULL, 0 };
	char *text = NULL;
	assert_int_equal(pv_audit_checkpoint(v, &clerk, &text), PV_ERR_DENIED);
	assert_null(text);
	assert_non_null(strstr(pv_errmsg(v), "lacks permission 'audit'"));
	assert_int_equal(pv_audit_verify(v, &clerk, NULL, &text), PV_ERR_DENIED);
	assert_int_equal(pv_audit_prove(v, &clerk, 1, &text), PV_ERR_DENIED);
	assert_int_equal(pv_audit_verify(v, &admin, NULL, &text), PV_ERR_DENIED);
	assert_non_null(strstr(pv_errmsg(v), "does not have role 'admin'"));
	assert_ok(v, pv_audit_checkpoint(v, &auditor, &text));
	pv_free(text);
	assert_ok(v, pv_audit_verify(v, &auditor, NULL, &text));
	pv_free(text);
	assert_ok(v, pv_audit_verify(v, NULL, NULL, &text)); /* no role named: any of hers */
	pv_free(text);
	pv_vault_close(v);
	free(dir2);
}

/* A real storage failure (a trigger refusing audit inserts): the update is refused and its
 * change is absent. */
static void test_storage_failure_fails_closed(void **state)
{
	struct fx *f = *state;
	pv_vault *v = open_root(f->dir);
	char *old = preferences_of(v, "C00000005");
	pv_vault_close(v);
	uint64_t entries = sql_u64(f->dir, "SELECT count(*) FROM audit");
	int pg = pvt_dba_pg(f->dir);
	if (pg)
		sql(f->dir, "CREATE FUNCTION t() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN "
			    "RAISE EXCEPTION 'audit storage failed'; END$$; CREATE TRIGGER t BEFORE "
			    "INSERT ON audit FOR EACH ROW EXECUTE FUNCTION t()");
	else
		sql(f->dir, "CREATE TRIGGER t BEFORE INSERT ON audit BEGIN "
			    "SELECT RAISE(ABORT, 'audit storage failed'); END");

	v = open_root(f->dir);
	pv_rc rc = pv_update(v, &ADMIN, "C00000005", "preferences", "changed without a trace");
	expect_not_carried_out(v, rc);
	assert_non_null(strstr(pv_errmsg(v), "audit storage failed"));
	pv_record *r = NULL;
	expect_not_carried_out(v, pv_get(v, &ADMIN, "C00000005", &r));
	assert_null(r);
	pv_vault_close(v);

	sql(f->dir, pg ? "DROP TRIGGER t ON audit; DROP FUNCTION t()" : "DROP TRIGGER t");
	assert_int_equal(sql_u64(f->dir, "SELECT count(*) FROM audit"), entries);
	v = open_root(f->dir);
	char *now = preferences_of(v, "C00000005");
	assert_string_equal(now, old);
	pv_vault_close(v);
	expect_intact(f->dir, g_ckpt);
	free(old);
	free(now);
}

/* ---- tests: proofs ------------------------------------------------------------------ */

static pv_rc check_by(const char *proof, const char *ck, const char *old, const char *key,
		      char *why, size_t n)
{
	why[0] = '\0';
	return pvt_audit_check_proof(proof, ck, old, key, why, n);
}

/* Checked against the vault's own key, pinned. */
static pv_rc check(const char *proof, const char *ck, const char *old, char *why, size_t n)
{
	return check_by(proof, ck, old, g_pk, why, n);
}

static void test_inclusion_proofs(void **state)
{
	struct fx *f = *state;
	pv_vault *v = open_root(f->dir);
	for (int i = 0; i < 3; i++) {
		pv_record *r = NULL;
		assert_int_equal(pv_get(v, &ADMIN, "C00000001", &r), PV_OK);
		pv_record_free(r);
	}
	char *ck = NULL;
	assert_int_equal(pv_audit_checkpoint(v, NULL, &ck), PV_OK);
	uint64_t size = checkpoint_size(ck);
	assert_true(size > g_n);

	/* Another vault's checkpoint. */
	char *other = pvt_path(f->tmp, "other");
	char *okey = pvt_path(f->tmp, "other.key");
	pv_vault *o = pvt_sample_vault(other, okey, 2, 9, NULL);
	char *ock = NULL;
	assert_int_equal(pv_audit_checkpoint(o, NULL, &ock), PV_OK);
	pv_vault_close(o);

	const uint64_t seqs[] = { 1, 2, g_read_seq, g_upd_seq, g_ck_size, size - 1, size };
	char why[256];
	for (size_t i = 0; i < sizeof seqs / sizeof *seqs; i++) {
		char *proof = NULL;
		pv_rc rc = pv_audit_prove(v, NULL, seqs[i], &proof);
		if (rc)
			fail_msg("pv_audit_prove(%llu): %s", (unsigned long long)seqs[i], pv_errmsg(v));
		assert_true(strncmp(proof, "pivault-inclusion-proof v2\n", 27) == 0);
		if (check(proof, ck, NULL, why, sizeof why) != PV_OK)
			fail_msg("proof of %llu: %s", (unsigned long long)seqs[i], why);
		char want[64];
		snprintf(want, sizeof want, "entry %llu is in the log of %llu",
			 (unsigned long long)seqs[i], (unsigned long long)size);
		assert_non_null(strstr(why, want));
		assert_int_equal(check(proof, NULL, NULL, why, sizeof why), PV_OK);

		/* One hex digit changed: in the leaf, the root, or a path hash. */
		char *bad = flip_hex(proof, "\nleaf ", 7);
		assert_int_not_equal(check(bad, ck, NULL, why, sizeof why), PV_OK);
		assert_int_not_equal(check(bad, NULL, NULL, why, sizeof why), PV_OK);
		free(bad);
		bad = flip_hex(proof, "\nroot ", 63);
		assert_int_not_equal(check(bad, ck, NULL, why, sizeof why), PV_OK);
		free(bad);
		if (strstr(proof, "\npath ")) {
			bad = flip_hex(proof, "\npath ", 0);
			assert_int_not_equal(check(bad, ck, NULL, why, sizeof why), PV_OK);
			free(bad);
		}
		/* Against another vault's checkpoint, or the older exported one. */
		assert_int_not_equal(check(proof, ock, NULL, why, sizeof why), PV_OK);
		assert_int_not_equal(check(proof, g_ckpt, NULL, why, sizeof why), PV_OK);
		/* Against a checkpoint whose text was altered (its signature then fails). */
		bad = flip_hex(ck, "\nroot ", 10);
		assert_int_not_equal(check(proof, bad, NULL, why, sizeof why), PV_OK);
		free(bad);
		pv_free(proof);
	}
	char *proof = NULL;
	assert_int_equal(pv_audit_prove(v, NULL, 0, &proof), PV_ERR_NOT_FOUND);
	assert_int_equal(pv_audit_prove(v, NULL, 1000000, &proof), PV_ERR_NOT_FOUND);
	assert_null(proof);
	pv_vault_close(v);
	pv_free(ck);
	pv_free(ock);
	free(other);
	free(okey);
}

static void test_consistency_proofs(void **state)
{
	struct fx *f = *state;
	pv_vault *v = open_root(f->dir);
	for (int i = 0; i < 5; i++) {
		pv_record *r = NULL;
		assert_int_equal(pv_get(v, &ADMIN, "C00000002", &r), PV_OK);
		pv_record_free(r);
	}
	char *ck = NULL;
	assert_int_equal(pv_audit_checkpoint(v, NULL, &ck), PV_OK);
	char *proof = NULL;
	pv_rc rc = pv_audit_consistency(v, NULL, g_ckpt, &proof);
	if (rc)
		fail_msg("pv_audit_consistency: %s", pv_errmsg(v));
	assert_true(strncmp(proof, "pivault-consistency-proof v2\n", 29) == 0);
	char why[256];
	if (check(proof, ck, g_ckpt, why, sizeof why) != PV_OK)
		fail_msg("consistency proof: %s", why);
	assert_non_null(strstr(why, "both signed"));
	/* The wrong way round, against another vault, or altered: refused. */
	assert_int_not_equal(check(proof, g_ckpt, ck, why, sizeof why), PV_OK);
	char *other = pvt_path(f->tmp, "other");
	char *okey = pvt_path(f->tmp, "other.key");
	pv_vault *o = pvt_sample_vault(other, okey, 2, 9, NULL);
	char *ock = NULL;
	assert_int_equal(pv_audit_checkpoint(o, NULL, &ock), PV_OK);
	pv_vault_close(o);
	assert_int_not_equal(check(proof, ck, ock, why, sizeof why), PV_OK);
	assert_int_not_equal(check(proof, ock, g_ckpt, why, sizeof why), PV_OK);
	char *bad = flip_hex(proof, "\nold-root ", 3);
	assert_int_not_equal(check(bad, ck, g_ckpt, why, sizeof why), PV_OK);
	free(bad);
	if (strstr(proof, "\npath ")) {
		bad = flip_hex(proof, "\npath ", 20);
		assert_int_not_equal(check(bad, ck, g_ckpt, why, sizeof why), PV_OK);
		free(bad);
	}
	/* An inclusion proof is not a consistency proof. */
	char *inc = NULL;
	assert_int_equal(pv_audit_prove(v, NULL, 3, &inc), PV_OK);
	assert_int_not_equal(check(inc, ck, g_ckpt, why, sizeof why), PV_OK);
	pv_free(inc);
	/* The old checkpoint of another vault is refused. */
	char *p2 = NULL;
	assert_int_equal(pv_audit_consistency(v, NULL, ock, &p2), PV_ERR_INPUT);
	assert_null(p2);
	pv_vault_close(v);
	pv_free(proof);
	pv_free(ck);
	pv_free(ock);
	free(other);
	free(okey);
}

/* After an early entry is tampered with, the log is no longer an extension of the old
 * checkpoint: the consistency proof (and an inclusion proof of that entry) fails. */
static void test_consistency_after_tamper(void **state)
{
	struct fx *f = *state;
	sql(f->dir, "UPDATE audit SET detail = 'nothing to see' WHERE seq = 3");
	pv_vault *v = open_root(f->dir);
	for (int i = 0; i < 3; i++) {
		pv_record *r = NULL;
		assert_int_equal(pv_get(v, &ADMIN, "C00000003", &r), PV_OK);
		pv_record_free(r);
	}
	char *ck = NULL;
	assert_int_equal(pv_audit_checkpoint(v, NULL, &ck), PV_OK);
	assert_true(checkpoint_size(ck) > g_ck_size);
	char *proof = NULL;
	pv_rc rc = pv_audit_consistency(v, NULL, g_ckpt, &proof);
	assert_int_not_equal(rc, PV_OK);
	assert_null(proof);
	rc = pv_audit_prove(v, NULL, 3, &proof);
	assert_int_not_equal(rc, PV_OK);
	assert_null(proof);
	pv_vault_close(v);
	pv_free(ck);
}

/* `pivault audit check-proof` needs no vault: no environment, no vault options; it exits 0
 * on a good proof and 1 on a tampered one. */
static void test_cli_check_proof(void **state)
{
	struct fx *f = *state;
	pv_vault *v = open_root(f->dir);
	char *ck = NULL, *proof = NULL, *cons = NULL;
	assert_int_equal(pv_audit_checkpoint(v, NULL, &ck), PV_OK);
	assert_int_equal(pv_audit_prove(v, NULL, g_read_seq, &proof), PV_OK);
	assert_int_equal(pv_audit_consistency(v, NULL, g_ckpt, &cons), PV_OK);
	pv_vault_close(v);
	char *ck_path = pvt_path(f->tmp, "ck.txt"), *p_path = pvt_path(f->tmp, "proof.txt");
	char *c_path = pvt_path(f->tmp, "cons.txt"), *bad_path = pvt_path(f->tmp, "bad.txt");
	char *bad = flip_hex(proof, "\nleaf ", 30);
	assert_int_equal(pvt_write_file(ck_path, ck, strlen(ck)), 0);
	assert_int_equal(pvt_write_file(p_path, proof, strlen(proof)), 0);
	assert_int_equal(pvt_write_file(c_path, cons, strlen(cons)), 0);
	assert_int_equal(pvt_write_file(bad_path, bad, strlen(bad)), 0);
	/* The vault itself is moved away: nothing could open it. */
	assert_int_equal(pvt_run(NULL, "mv '%s' '%s.gone'", f->dir, f->dir), 0);

	char *out = NULL;
	const char *env = "cd / && env -u PIVAULT_VAULT -u PIVAULT_KEY_FILE -u PIVAULT_KEYRING "
			  "-u PIVAULT_USER -u PIVAULT_PASSWORD_FILE -u PIVAULT_PASSPHRASE_FILE";
	int st = pvt_run(&out, "%s '%s' audit check-proof '%s' --checkpoint '%s' --public-key %s "
			 "2>&1", env, pvt_program("pivault-test"), p_path, ck_path, g_pk);
	if (st != 0)
		fail_msg("check-proof exited %d: %s", st, out);
	assert_non_null(strstr(out, "valid"));
	char fp[PV_FINGERPRINT_SIZE];
	assert_int_equal(pv_key_fingerprint(g_pk, fp), PV_OK);
	assert_non_null(strstr(out, fp)); /* whose key it was */
	free(out);
	/* a checkpoint without the key to check it against: a usage error, never its own key */
	st = pvt_run(&out, "%s '%s' audit check-proof '%s' --checkpoint '%s' 2>&1", env,
		     pvt_program("pivault-test"), p_path, ck_path);
	assert_int_equal(st, 2);
	assert_non_null(strstr(out, "--public-key"));
	free(out);
	/* another vault's key pinned: the checkpoint is refused, naming both fingerprints */
	char other[65];
	memset(other, 'b', 64);
	other[64] = '\0';
	st = pvt_run(&out, "%s '%s' audit check-proof '%s' --checkpoint '%s' --public-key %s 2>&1",
		     env, pvt_program("pivault-test"), p_path, ck_path, other);
	assert_int_equal(st, 1);
	assert_non_null(strstr(out, "not by the expected key"));
	assert_non_null(strstr(out, fp));
	free(out);
	st = pvt_run(&out, "%s '%s' audit check-proof '%s' 2>&1", env, pvt_program("pivault-test"),
		     p_path);
	assert_int_equal(st, 0);
	free(out);
	st = pvt_run(&out, "%s '%s' audit check-proof '%s' --checkpoint '%s' --old-checkpoint '%s' "
		     "--public-key %s 2>&1", env, pvt_program("pivault-test"), c_path, ck_path,
		     g_ckpt_path, g_pk);
	if (st != 0)
		fail_msg("check-proof (consistency) exited %d: %s", st, out);
	free(out);
	st = pvt_run(&out, "%s '%s' audit check-proof '%s' --checkpoint '%s' --public-key %s 2>&1",
		     env, pvt_program("pivault-test"), bad_path, ck_path, g_pk);
	assert_int_equal(st, 1);
	assert_non_null(strstr(out, "invalid"));
	free(out);
	st = pvt_run(&out, "%s '%s' audit check-proof '%s' --checkpoint '%s' --public-key %s 2>&1",
		     env, pvt_program("pivault-test"), p_path, g_ckpt_path, g_pk);
	assert_int_equal(st, 1);
	free(out);
	assert_int_equal(pvt_run(NULL, "mv '%s.gone' '%s'", f->dir, f->dir), 0);
	pv_free(ck);
	pv_free(proof);
	pv_free(cons);
	free(bad);
	free(ck_path);
	free(p_path);
	free(c_path);
	free(bad_path);
}

/* ---- tests: the automatic checkpoint ------------------------------------------------ */

static void test_automatic_checkpoint(void **state)
{
	struct fx *f = *state;
	assert_int_equal(sql_u64(f->dir, "SELECT count(*) FROM audit_checkpoints"), 1);
	pv_vault *v = open_root(f->dir);
	for (int i = 0; i < 1100; i++) {
		char id[16];
		snprintf(id, sizeof id, "C%08d", i % NCUST + 1);
		pv_record *r = NULL;
		if (pv_get(v, &ADMIN, id, &r))
			fail_msg("pv_get %d: %s", i, pv_errmsg(v));
		pv_record_free(r);
	}
	pv_vault_close(v);
	assert_true(sql_u64(f->dir, "SELECT count(*) FROM audit") > 1024);
	assert_int_equal(sql_u64(f->dir, "SELECT count(*) FROM audit_checkpoints WHERE size = 1024"),
			 1);
	assert_int_equal(sql_u64(f->dir, "SELECT count(*) FROM audit_checkpoints"), 2);
	char *report = NULL;
	assert_int_equal(verify(f->dir, g_ckpt, &report), PV_OK);
	assert_non_null(strstr(report, "2 signed checkpoints"));
	free(report);
	/* Entries before and after the automatic checkpoint prove against the latest one. */
	v = open_root(f->dir);
	char *ck = NULL;
	assert_int_equal(pv_audit_checkpoint(v, NULL, &ck), PV_OK);
	char why[256];
	const uint64_t seqs[] = { 5, 1024, 1025, 1100 };
	for (size_t i = 0; i < 4; i++) {
		char *proof = NULL;
		assert_int_equal(pv_audit_prove(v, NULL, seqs[i], &proof), PV_OK);
		if (check(proof, ck, NULL, why, sizeof why) != PV_OK)
			fail_msg("proof of %llu: %s", (unsigned long long)seqs[i], why);
		pv_free(proof);
	}
	char *cons = NULL;
	assert_int_equal(pv_audit_consistency(v, NULL, g_ckpt, &cons), PV_OK);
	assert_int_equal(check(cons, ck, g_ckpt, why, sizeof why), PV_OK);
	pv_free(cons);
	pv_vault_close(v);
	pv_free(ck);
	/* Tampering before the automatic checkpoint, chain recomputed: caught by it. */
	sql(f->dir, "DELETE FROM audit_checkpoints WHERE size <> 1024");
	sql(f->dir, "UPDATE audit SET outcome = 'denied' WHERE seq = 500");
	rechain(f->dir, 1);
	expect_break(f->dir, NULL, "signed checkpoint at 1024", NULL);
}

/* The Merkle state (frontier) stored with a checkpoint is not covered by its signature.
 * When it has been altered, the library must not sign a new checkpoint built on it: a
 * checkpoint it signs must hold the log's real Merkle root (merkle.h: "compare the
 * restored root with a trusted one"). Either the new checkpoint is refused, or the log
 * still verifies after it. */
static void test_forged_frontier_not_signed(void **state)
{
	struct fx *f = *state;
	char q[256];
	snprintf(q, sizeof q, "UPDATE audit_checkpoints SET frontier = substr(frontier, 1, "
		 "length(frontier) - 32) || randomblob(32) WHERE size = %llu",
		 (unsigned long long)g_ck_size);
	sql(f->dir, q);
	expect_intact(f->dir, g_ckpt); /* no entry was touched */
	pv_vault *v = open_root(f->dir);
	char *ck = NULL;
	pv_rc rc = pv_audit_checkpoint(v, NULL, &ck);
	pv_vault_close(v);
	pv_free(ck);
	if (rc == PV_OK) {
		char *report = NULL, msg[800];
		pv_rc vr = verify(f->dir, g_ckpt, &report);
		snprintf(msg, sizeof msg, "%s", report);
		free(report);
		if (vr != PV_OK)
			fail_msg("a checkpoint was signed over a forged Merkle state: the untouched "
				 "log no longer verifies: %s", msg);
	}
}

/* ---- tests: verification in two threads ------------------------------------------ */

/* Grow the copy's log by `extra` entries in one transaction (automatic checkpoints every
 * 1024), then make verification split logs of 1000 entries or more. Returns the log's
 * length. */
static uint64_t grow_log(const char *dir, unsigned extra)
{
	pv_vault *v = open_root(dir);
	assert_int_equal(pv_store_begin(v->store), 0);
	struct pv_audit_event e = { "read", "C00000007", "service", NULL, "ok", "masked" };
	for (unsigned i = 0; i < extra; i++)
		assert_int_equal(pv_audit_append(v, &e), PV_OK);
	assert_int_equal(pv_store_commit(v->store), 0);
	pv_vault_close(v);
	assert_int_equal(pv_test_control(NULL, PV_TEST_AUDIT_SPLIT_MIN, 1000, NULL), PV_OK);
	return sql_u64(dir, "SELECT max(seq) FROM audit");
}

/* The verify report of an intact log (fails the test otherwise); malloc'd. */
static char *intact_report(const char *dir, const char *checkpoint)
{
	char *report = NULL;
	pv_rc rc = verify(dir, checkpoint, &report);
	if (rc != PV_OK)
		fail_msg("verify: expected PV_OK, got %d: %s", rc, report);
	assert_non_null(strstr(report, "chain intact"));
	return report;
}

static int split_teardown(void **state)
{
	assert_int_equal(pv_test_control(NULL, PV_TEST_AUDIT_SPLIT_MIN, 0, NULL), PV_OK);
	return fx_teardown(state);
}

/* A long log verifies in two parts, split at a signed checkpoint near its middle, and
 * says so; the same log in one run gives the same verdict. */
static void test_split_intact(void **state)
{
	struct fx *f = *state;
	uint64_t n = grow_log(f->dir, 4100);
	assert_true(n > 4096);
	char *report = intact_report(f->dir, g_ckpt);
	char want[96];
	snprintf(want, sizeof want, "%llu entries, chain intact", (unsigned long long)n);
	assert_non_null(strstr(report, want));
	assert_non_null(strstr(report, "in two parts, split at the signed checkpoint at 2048"));
	assert_non_null(strstr(report, "exported checkpoint matches"));
	free(report);
	/* the default: this log is too short to split */
	assert_int_equal(pv_test_control(NULL, PV_TEST_AUDIT_SPLIT_MIN, 0, NULL), PV_OK);
	report = intact_report(f->dir, NULL);
	assert_null(strstr(report, "two parts"));
	free(report);
}

/* An entry edited, or removed, in the second half is found and named by number. */
static void test_split_break_in_second_half(void **state)
{
	struct fx *f = *state;
	grow_log(f->dir, 4100);
	sql(f->dir, "UPDATE audit SET ids = 'C00000008' WHERE seq = 3500");
	expect_break(f->dir, NULL, "entry 3500 ", "chain hash");
	sql(f->dir, "UPDATE audit SET ids = 'C00000007' WHERE seq = 3500");
	expect_intact(f->dir, NULL);
	/* The entry just after the split point, and the last of the first half. */
	sql(f->dir, "DELETE FROM audit WHERE seq = 2049");
	expect_break(f->dir, NULL, "entry 2049 is missing", NULL);
	sql(f->dir, "UPDATE audit SET detail = 'x' WHERE seq = 2048");
	expect_break(f->dir, NULL, "entry 2048 ", "chain hash");
}

/* Breaks in both halves: the lower one is reported, whichever thread ends first. */
static void test_split_breaks_in_both_halves(void **state)
{
	struct fx *f = *state;
	grow_log(f->dir, 4100);
	sql(f->dir, "UPDATE audit SET detail = 'x' WHERE seq = 3900; "
		    "UPDATE audit SET detail = 'x' WHERE seq = 1500");
	expect_break(f->dir, NULL, "entry 1500 ", "chain hash");
	sql(f->dir, "UPDATE audit SET detail = 'masked' WHERE seq = 1500; "
		    "DELETE FROM audit WHERE seq = 3000; DELETE FROM audit WHERE seq = 10");
	expect_break(f->dir, NULL, "entry 10 is missing", NULL);
	sql(f->dir, "DELETE FROM audit WHERE seq = 9");
	expect_break(f->dir, NULL, "entry 9 is missing", NULL);
}

/* A checkpoint whose stored frontier was altered (the signature does not cover it) is
 * not used as the split point: another one is, or none; every break is still found. */
static void test_split_forged_frontier(void **state)
{
	struct fx *f = *state;
	grow_log(f->dir, 4100);
	sql(f->dir, "UPDATE audit_checkpoints SET frontier = substr(frontier, 1, "
		    "length(frontier) - 32) || randomblob(32) WHERE size = 2048");
	char *report = intact_report(f->dir, g_ckpt);
	assert_non_null(strstr(report, "two parts"));
	assert_null(strstr(report, "split at the signed checkpoint at 2048"));
	free(report);
	/* A frontier of the wrong size (the right root of a different tree shape). */
	sql(f->dir, "UPDATE audit_checkpoints SET frontier = (SELECT frontier FROM "
		    "audit_checkpoints WHERE size = 1024) WHERE size = 3072");
	report = intact_report(f->dir, NULL);
	assert_null(strstr(report, "split at the signed checkpoint at 2048"));
	assert_null(strstr(report, "split at the signed checkpoint at 3072"));
	free(report);
	/* Every frontier forged: one run. */
	sql(f->dir, "UPDATE audit_checkpoints SET frontier = randomblob(length(frontier))");
	report = intact_report(f->dir, NULL);
	assert_null(strstr(report, "two parts"));
	free(report);
	sql(f->dir, "UPDATE audit SET detail = 'x' WHERE seq = 3500");
	expect_break(f->dir, NULL, "entry 3500 ", "chain hash");
}

/* A checkpoint with a bad signature is reported, in either half, before any entry. */
static void test_split_bad_signature(void **state)
{
	struct fx *f = *state;
	grow_log(f->dir, 4100);
	sql(f->dir, "UPDATE audit_checkpoints SET signature = randomblob(64) WHERE size = 2048");
	expect_break(f->dir, NULL, "checkpoint at 2048 has a bad signature", NULL);
	sql(f->dir, "UPDATE audit_checkpoints SET head = randomblob(32) WHERE size = 2048");
	expect_break(f->dir, NULL, "checkpoint at 2048 has a bad signature", NULL);
	sql(f->dir, "DELETE FROM audit_checkpoints WHERE size = 2048; "
		    "UPDATE audit_checkpoints SET signature = randomblob(64) WHERE size = 4096; "
		    "UPDATE audit SET detail = 'x' WHERE seq = 100");
	expect_break(f->dir, NULL, "checkpoint at 4096 has a bad signature", NULL);
	sql(f->dir, "DELETE FROM audit_checkpoints WHERE size = 4096; "
		    "UPDATE audit SET detail = 'masked' WHERE seq = 100");
	expect_intact(f->dir, NULL);
}

/* An attacker who edits an entry of the second half and recomputes the whole chain is
 * caught by the signed checkpoint after it. */
static void test_split_recomputed_chain(void **state)
{
	struct fx *f = *state;
	grow_log(f->dir, 4100);
	sql(f->dir, "UPDATE audit SET ids = 'C00000001' WHERE seq = 3500");
	rechain(f->dir, 1);
	char *report = NULL;
	assert_int_equal(verify(f->dir, NULL, &report), PV_ERR_CORRUPT);
	assert_non_null(strstr(report, "signed checkpoint at 4096"));
	assert_null(strstr(report, "chain hash"));
	free(report);
}

/* A truncated long log is caught: by the stored checkpoints past its end, or, with them
 * removed, by the exported checkpoint. */
static void test_split_truncated(void **state)
{
	struct fx *f = *state;
	uint64_t n = grow_log(f->dir, 4100);
	char *ck = NULL;
	pv_vault *v = open_root(f->dir);
	assert_int_equal(pv_audit_checkpoint(v, NULL, &ck), PV_OK);
	pv_vault_close(v);
	sql(f->dir, "DELETE FROM audit WHERE seq > 4000");
	expect_break(f->dir, ck, "covers 4096 entries but the log has only 4000", "truncated");
	sql(f->dir, "DELETE FROM audit WHERE seq > 3000");
	expect_break(f->dir, ck, "covers 3072 entries but the log has only 3000", "truncated");
	sql(f->dir, "DELETE FROM audit_checkpoints WHERE size > 2048");
	char want[96];
	snprintf(want, sizeof want, "exported checkpoint covers %llu entries",
		 (unsigned long long)n + 1);
	expect_break(f->dir, ck, want, "truncated");
	pv_free(ck);
}

/* Leaf hashes (RFC 6962 over BLAKE2b-256: each entry's chain hash, BLAKE2b-256(0x00 ||
 * previous hash || canonical bytes)) of every entry of a closed vault's log, in order. */
struct leaves {
	uint8_t (*h)[32];
	uint64_t n;
};

static void read_leaves(const char *dir, struct leaves *l)
{
	size_t rows = 0;
	struct stored_entry *all = audit_entries(dir, &rows);
	memset(l, 0, sizeof *l);
	l->h = calloc(rows ? rows : 1, sizeof *l->h);
	assert_non_null(l->h);
	uint8_t prev[32] = { 0 };
	for (size_t i = 0; i < rows; i++) {
		assert_int_equal((uint64_t)all[i].seq, l->n + 1);
		chain_hash(&all[i], prev, l->h[l->n]);
		memcpy(prev, l->h[l->n++], 32);
	}
	entries_free(all, rows);
}

static int leaf_at(void *ctx, uint64_t index, uint8_t out[PV_MERKLE_HASH])
{
	const struct leaves *l = ctx;
	if (index >= l->n)
		return -1;
	memcpy(out, l->h[index], 32);
	return 0;
}

/* A consistency proof ties two checkpoints of one vault. Anyone who can read vault A's
 * (unencrypted) audit table can start a vault B of their own whose log begins with A's
 * entries, and sign B's checkpoints. check-proof must not then accept B's checkpoint as
 * the continuation of A's ("both signed"): the two checkpoints name different vaults and
 * keys. */
static void test_consistency_across_vaults(void **state)
{
	struct fx *f = *state;
	char *bdir = pvt_path(f->tmp, "forged"), *bkey = pvt_path(f->tmp, "forged.key");
	assert_int_equal(pv_key_generate_file(bkey), PV_OK);
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(bkey, &key), PV_OK);
	pv_create_opts opts = { .schema_path = SCHEMA, .keyring_slots = 1024,
				.kdf_cost = PV_KDF_FAST };
	pv_vault *b = NULL;
	pv_rc rc = pv_vault_create(bdir, &opts, key, &b);
	if (rc)
		fail_msg("pv_vault_create: %s", pv_errmsg(b));
	pv_vault_close(b);
	char q[1024];
	/* A's entries read into B's store: SQLite's file attached, or A's PostgreSQL schema */
	char *from = pvt_dba_pg(f->dir) ? pvt_dba_value(f->dir, "SELECT current_schema()") : NULL;
	if (from)
		snprintf(q, sizeof q, "DELETE FROM audit; DELETE FROM audit_checkpoints; INSERT "
			 "INTO audit SELECT * FROM %s.audit WHERE seq <= %llu;", from,
			 (unsigned long long)g_ck_size);
	else
		snprintf(q, sizeof q, "ATTACH '%s/vault.db' AS a; DELETE FROM audit; DELETE FROM "
			 "audit_checkpoints; INSERT INTO audit SELECT * FROM a.audit WHERE seq <= "
			 "%llu;", f->dir, (unsigned long long)g_ck_size);
	free(from);
	sql(bdir, q);
	assert_int_equal(pv_vault_open(bdir, NULL, key, &b), PV_OK);
	pv_key_free(key);
	char *ckb = NULL, bpk[65];
	assert_int_equal(pv_audit_checkpoint(b, NULL, &ckb), PV_OK);
	assert_int_equal(pv_vault_public_key(b, bpk), PV_OK);
	pv_vault_close(b);
	uint64_t n = checkpoint_size(ckb);
	assert_int_equal(n, g_ck_size + 1);

	/* The consistency proof from A's exported checkpoint to B's, built from B's log. */
	struct leaves l;
	read_leaves(bdir, &l);
	assert_int_equal(l.n, n);
	struct pv_merkle_proof *p = calloc(1, sizeof *p);
	assert_non_null(p);
	p->kind = PV_MERKLE_CONSISTENCY;
	p->hash = PV_MERKLE_BLAKE2B;
	p->old_size = g_ck_size;
	p->size = n;
	assert_int_equal(pv_merkle_root_with(PV_MERKLE_BLAKE2B, g_ck_size, leaf_at, &l,
					     p->old_root), 0);
	assert_int_equal(pv_merkle_root_with(PV_MERKLE_BLAKE2B, n, leaf_at, &l, p->root), 0);
	assert_int_equal(pv_merkle_consistency_proof_with(PV_MERKLE_BLAKE2B, g_ck_size, n, leaf_at,
							  &l, p->path, &p->path_len), 0);
	char *proof = pv_merkle_proof_to_text(p);
	assert_non_null(proof);
	char why[256];
	/* The proof is sound for B's checkpoint on its own, for whoever pins B's key... */
	assert_int_equal(check_by(proof, ckb, NULL, bpk, why, sizeof why), PV_OK);
	/* ...but not for whoever pinned A's: B's checkpoint is signed by another key. */
	assert_int_equal(check(proof, ckb, NULL, why, sizeof why), PV_ERR_CORRUPT);
	assert_non_null(strstr(why, "not by the expected key"));
	/* ...and A's and B's checkpoints together must be refused, whichever key is pinned. */
	assert_int_not_equal(check_by(proof, ckb, g_ckpt, bpk, why, sizeof why), PV_OK);
	rc = check(proof, ckb, g_ckpt, why, sizeof why);
	free(p);
	free(l.h);
	free(proof);
	pv_free(ckb);
	free(bdir);
	free(bkey);
	if (rc == PV_OK)
		fail_msg("check-proof accepted vault B's checkpoint as the continuation of vault A's "
			 "(different vault ids and signing keys): \"%s\"", why);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_verify_intact, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_edit_entry, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_edit_ends, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_delete_entry, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_insert_entry, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_reorder_entries, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_truncate, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_recomputed_chain, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_fault_fails_closed, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_failure_unaudited_message_whole, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_audit_failure_not_nested, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_storage_failure_fails_closed, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_audit_as_named_role, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_inclusion_proofs, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_consistency_proofs, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_consistency_after_tamper, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_cli_check_proof, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_automatic_checkpoint, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_forged_frontier_not_signed, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_consistency_across_vaults, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_split_intact, fx_setup, split_teardown),
		cmocka_unit_test_setup_teardown(test_split_break_in_second_half, fx_setup,
						split_teardown),
		cmocka_unit_test_setup_teardown(test_split_breaks_in_both_halves, fx_setup,
						split_teardown),
		cmocka_unit_test_setup_teardown(test_split_forged_frontier, fx_setup, split_teardown),
		cmocka_unit_test_setup_teardown(test_split_bad_signature, fx_setup, split_teardown),
		cmocka_unit_test_setup_teardown(test_split_recomputed_chain, fx_setup,
						split_teardown),
		cmocka_unit_test_setup_teardown(test_split_truncated, fx_setup, split_teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
