/* SPDX-License-Identifier: Apache-2.0 */
/* test_shred.c: crypto-shredding and destruction certificates.
 *
 * The central property: once a customer is shredded, no copy of the vault's data made
 * before (a backup of DIR/vault.db) yields it, even with the root key and the live
 * keyring, because the bucket key that wrapped its data key is gone (overwritten in place)
 * and its data key was never stored in clear. Bucket mates keep working in the live vault
 * (their data keys are re-wrapped) and the ledger beside the keyring holds their
 * re-wrapped keys for a later restore. Also: the signed destruction certificate and its
 * verification, several customers at once and all-or-nothing refusals, roles and four-eyes
 * approvals, the crash safety of the keyring journal (discard and apply paths), a shred
 * inside a discarded batch, a second session open during a shred, and the pivault shred /
 * pubkey / certificate verify commands.
 *
 * The test reaches into the library's internals (vault.h, keyring.h, record.h, store.h)
 * to capture the victim's bucket key and data key before the shred, and reads the store
 * directly as its DBA would (dba.h: the SQLite file, or the vault's PostgreSQL schema). */
#include "dba.h"
#include "testutil.h"

#include <dirent.h>
#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pivault.h"
#include "keyring.h"
#include "record.h"
#include "store/store.h"
#include "vault.h"

#define SCHEMA PV_SOURCE_DIR "/examples/schema.yaml"
#define NCUST 300
#define SLOTS 64
#define KR_HEADER 64
#define KR_SLOT 80
#define WDEK_BYTES (PV_KEY_BYTES + PV_SEAL_OVERHEAD)

static const char ADMIN_PW[] = "admin-password-1";
static const char DPO_PW[] = "dpo-password-1";
static const char CLERK_PW[] = "clerk-password-1";

static const pv_access ADMIN = { "admin", NULL, 0 };
static const pv_access READ_ALL = { "admin", "all", 1 };

static char *g_base;          /* pristine vault: vault/, vault.keyring, root.key */
static char *g_key_path;
static struct pvt_csv g_csv;  /* the customers imported */
static char g_other_pk[65];   /* another vault's public key */

struct fx {
	char *tmp;
	char *dir;     /* tmp/vault */
	char *keyring; /* tmp/vault.keyring */
	char *ledger;  /* tmp/vault.keyring.ledger */
	char *journal; /* tmp/vault.keyring.journal */
};



/* ---- reading customers ---- */

/* pv_get with every field in clear; the record is freed. */
static pv_rc get_rc(pv_vault *v, const char *id)
{
	pv_record *r = NULL;
	pv_rc rc = pv_get(v, &READ_ALL, id, &r);
	pv_record_free(r);
	return rc;
}

/* Customer row r's column col in the imported CSV. */
static const char *cust(size_t r, const char *col)
{
	const char *s = pvt_csv_get(&g_csv, r, col);
	assert_non_null(s);
	return s;
}

static size_t row_of(const char *id)
{
	for (size_t r = 1; r < g_csv.nrows; r++)
		if (strcmp(cust(r, "customer_id"), id) == 0)
			return r;
	fail_msg("no customer %s in the CSV", id);
	return 0;
}

/* The customer reads and its name is the imported one. */
static void assert_reads(pv_vault *v, const char *id)
{
	pv_record *r = NULL;
	pv_rc rc = pv_get(v, &READ_ALL, id, &r);
	if (rc)
		fail_msg("pv_get(%s): rc %d: %s", id, rc, pv_errmsg(v));
	const char *want = cust(row_of(id), "name");
	int ok = 0;
	for (size_t i = 0; i < pv_record_field_count(r); i++)
		if (strcmp(pv_record_field_name(r, i), "name") == 0)
			ok = pv_record_field_value(r, i) &&
			     strcmp(pv_record_field_value(r, i), want) == 0;
	pv_record_free(r);
	if (!ok)
		fail_msg("customer %s does not read back its name", id);
}

/* Bucket of every CSV customer (index = CSV row). malloc'd, kept. */
static uint32_t *buckets_of(pv_vault *v)
{
	uint32_t *b = pvt_keep(calloc(g_csv.nrows, sizeof *b));
	assert_non_null(b);
	for (size_t r = 1; r < g_csv.nrows; r++)
		b[r] = pv_bucket_of(v, cust(r, "customer_id"));
	return b;
}

static size_t bucket_size(const uint32_t *b, uint32_t bucket)
{
	size_t n = 0;
	for (size_t r = 1; r < g_csv.nrows; r++)
		n += b[r] == bucket;
	return n;
}

/* A customer after row skip with at least two bucket mates, an email and a bank card. */
static size_t pick_victim(const uint32_t *b, size_t skip)
{
	for (size_t r = 1; r < g_csv.nrows; r++) {
		if (r <= skip)
			continue;
		if (bucket_size(b, b[r]) >= 3 && *cust(r, "email") && *cust(r, "bank_card"))
			return r;
	}
	fail_msg("no customer with bucket mates");
	return 0;
}

/* ---- bytes and files ---- */

static int contains(const uint8_t *hay, size_t n, const uint8_t *needle, size_t m)
{
	if (m == 0 || n < m)
		return 0;
	for (size_t i = 0; i + m <= n; i++)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, m) == 0)
			return 1;
	return 0;
}

static uint8_t *read_bytes(const char *path, size_t *len)
{
	return (uint8_t *)pvt_read_file(path, len);
}

static int exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* In PostgreSQL the vault's data is rows of the cluster, not files of dir: the needle is
 * in none of them, as bytes (their hex in a bytea) or as text. The cluster's own files are
 * not scanned: a removed row's bytes stay in a table's files until written over, and in
 * its write-ahead log (src/store/postgresql/README.md, "Not as SQLite"); what a shred
 * promises there rests on the destroyed bucket key, checked on the old copy below. */
static void assert_not_in_store(const char *dir, const uint8_t *needle, size_t m,
				const char *what)
{
	char *rows = pvt_dba_pg_dump(dir);
	int hit = pvt_dba_pg_dump_holds(rows, needle, m);
	free(rows);
	if (hit)
		fail_msg("%s found in the vault's PostgreSQL schema", what);
}

/* Fail naming the file when any regular file of dir, or any of the extra files, holds
 * needle. */
static void assert_nowhere(const char *dir, const char *const *extra, size_t nextra,
			   const uint8_t *needle, size_t m, const char *what)
{
	char *paths[64];
	size_t np = 0;
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d)) != NULL && np < 48) {
		if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		paths[np++] = pvt_path(dir, e->d_name);
	}
	closedir(d);
	for (size_t i = 0; i < nextra; i++)
		paths[np++] = strdup(extra[i]);
	const char *hit = NULL;
	size_t scanned = 0;
	for (size_t i = 0; i < np; i++) {
		struct stat st;
		if (stat(paths[i], &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		size_t len = 0;
		uint8_t *buf = read_bytes(paths[i], &len);
		assert_non_null(buf);
		scanned++;
		if (!hit && contains(buf, len, needle, m))
			hit = paths[i];
		free(buf);
	}
	char msg[600];
	if (hit)
		snprintf(msg, sizeof msg, "%s found in %s", what, hit);
	for (size_t i = 0; i < np; i++)
		free(paths[i]);
	if (hit)
		fail_msg("%s", msg);
	assert_true(scanned >= 2);
	if (pvt_dba_pg(dir))
		assert_not_in_store(dir, needle, m, what);
}

/* ---- crypto as docs/formats.md describes it ---- */

static void put_u32(uint8_t *p, uint32_t x)
{
	p[0] = (uint8_t)x;
	p[1] = (uint8_t)(x >> 8);
	p[2] = (uint8_t)(x >> 16);
	p[3] = (uint8_t)(x >> 24);
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Open a wrapped data key: associated data vault id | u32 bucket | u32 gen | u32 version |
 * id. 0 or -1. */
static int unwrap(uint8_t dek[32], const uint8_t *wdek, size_t wlen, const uint8_t key[32],
		  const uint8_t vid[16], uint32_t bucket, uint32_t gen, const char *id)
{
	uint8_t ad[16 + 12 + 64];
	size_t il = strlen(id);
	assert_true(il <= 64);
	memcpy(ad, vid, 16);
	put_u32(ad + 16, bucket);
	put_u32(ad + 20, gen);
	put_u32(ad + 24, 1); /* the version: customers here are unchanged since their import */
	memcpy(ad + 28, id, il);
	if (wlen != WDEK_BYTES)
		return -1;
	return crypto_aead_xchacha20poly1305_ietf_decrypt(dek, NULL, NULL, wdek + 24, wlen - 24,
							  ad, 28 + il, wdek, key);
}

/* Open a field group: associated data vault id | u8 group | u32 version | id. */
static int open_group(uint8_t *pt, const uint8_t *sealed, size_t len, const uint8_t dek[32],
		      const uint8_t vid[16], int group, uint32_t version, const char *id)
{
	uint8_t ad[16 + 5 + 64];
	size_t il = strlen(id);
	memcpy(ad, vid, 16);
	ad[16] = (uint8_t)group;
	put_u32(ad + 17, version);
	memcpy(ad + 21, id, il);
	if (len < PV_SEAL_OVERHEAD)
		return -1;
	return crypto_aead_xchacha20poly1305_ietf_decrypt(pt, NULL, NULL, sealed + 24, len - 24, ad,
							  21 + il, sealed, dek);
}

static void hex_of(char *out, const uint8_t *in, size_t n)
{
	sodium_bin2hex(out, 2 * n + 1, in, n);
}

/* BLAKE2b-256 of a certificate's text, hex. */
static void cert_hash(const char *cert, char out[65])
{
	uint8_t h[32];
	crypto_generichash(h, sizeof h, (const uint8_t *)cert, strlen(cert), NULL, 0);
	hex_of(out, h, sizeof h);
}

/* ---- the store read directly, as its DBA would (dba.h: either backend) ---- */

struct raw_cust {
	int64_t rid;
	uint32_t bucket, gen, dekv;
	uint8_t wdek[WDEK_BYTES];
	size_t wdek_len;
	uint8_t *g_basic; /* malloc'd */
	size_t g_basic_len;
};

/* hex (up to '|', '\n' or the end) as bytes into out (cap bytes); their number. */
static size_t unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = 0;
	assert_int_equal(sodium_hex2bin(out, cap, hex, strcspn(hex, "|\n"), NULL, &n, NULL), 0);
	return n;
}

/* Customer id's stored row: 0, or 1 when absent. */
static int db_customer(const char *dir, const char *id, struct raw_cust *c)
{
	memset(c, 0, sizeof *c);
	char *row = NULL;
	assert_int_equal(pvt_dba(&row, dir, "SELECT rid, bucket, bucket_gen, dek_version, "
				 "hex(wdek), hex(g_basic) FROM customers WHERE id = '%s'", id), 0);
	if (!*row) {
		free(row);
		return 1;
	}
	long long rid = 0, bucket = 0, gen = 0, dekv = 0;
	int at = 0;
	assert_int_equal(sscanf(row, "%lld|%lld|%lld|%lld|%n", &rid, &bucket, &gen, &dekv, &at), 4);
	c->rid = rid;
	c->bucket = (uint32_t)bucket;
	c->gen = (uint32_t)gen;
	c->dekv = (uint32_t)dekv;
	const char *wdek = row + at, *basic = strchr(wdek, '|');
	assert_non_null(basic);
	c->wdek_len = unhex(c->wdek, WDEK_BYTES, wdek);
	assert_int_equal(c->wdek_len, WDEK_BYTES);
	size_t cap = strcspn(++basic, "\n") / 2;
	c->g_basic = pvt_keep(malloc(cap + 1));
	assert_non_null(c->g_basic);
	c->g_basic_len = unhex(c->g_basic, cap, basic);
	free(row);
	return 0;
}

static int sqlite_row(void *out_buf, int n, char **values, char **names)
{
	(void)names;
	FILE *out = out_buf;
	for (int i = 0; i < n; i++)
		fprintf(out, "%s%s", i ? "|" : "", values[i] ? values[i] : "");
	fputc('\n', out);
	return 0;
}

/* The rows of sql (printed as pvt_dba prints them; malloc'd), the blind index readable in
 * it as the table `entries` (field, h, rid): SQLite's postings rows unpacked into a
 * temporary table, PostgreSQL's index as it is. */
static char *db_entries_query(const char *dir, const char *sql)
{
	char *rows = NULL;
	if (pvt_dba_pg(dir)) {
		assert_int_equal(pvt_dba(&rows, dir, "WITH entries AS (SELECT field, h, rid FROM "
					 "blind_index) %s", sql), 0);
		return rows;
	}
	char *path = pvt_path(dir, "vault.db");
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		fail_msg("sqlite3_open %s: %s", path, db ? sqlite3_errmsg(db) : "?");
	free(path);
	pvt_blind_entries(db, "main", "entries");
	size_t len = 0;
	FILE *out = open_memstream(&rows, &len);
	assert_non_null(out);
	if (sqlite3_exec(db, sql, sqlite_row, out, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	fclose(out);
	sqlite3_close(db);
	return rows;
}

/* count(*) of a query on `entries` (or any table) with one integer, its %lld. */
static long long db_count(const char *dir, const char *fmt, int64_t param)
{
	char sql[512];
	snprintf(sql, sizeof sql, fmt, (long long)param);
	char *rows = db_entries_query(dir, sql);
	long long n = -1;
	assert_int_equal(sscanf(rows, "%lld", &n), 1);
	free(rows);
	return n;
}

/* The victim's blind-index hashes that no other customer shares (16 bytes each). */
static size_t db_unique_hashes(const char *dir, int64_t rid, uint8_t out[][PV_BLIND_BYTES],
			       size_t max)
{
	char sql[512];
	snprintf(sql, sizeof sql, "SELECT hex(b.h) FROM entries b WHERE b.rid = %lld AND "
		 "(SELECT count(*) FROM entries o WHERE o.field = b.field AND o.h = b.h) = 1",
		 (long long)rid);
	char *rows = db_entries_query(dir, sql);
	size_t n = 0;
	for (const char *line = rows; *line && n < max; line += strcspn(line, "\n") + 1)
		assert_int_equal(unhex(out[n++], PV_BLIND_BYTES, line), PV_BLIND_BYTES);
	free(rows);
	return n;
}

/* The vault's data without its keyring, copied into the new directory to as a backup
 * takes it: SQLite's file and its log, or (PostgreSQL) the record and a copy of the schema. */
static void copy_data(const char *dir, const char *to)
{
	assert_int_equal(mkdir(to, 0700), 0);
	assert_int_equal(pvt_run(NULL, "cd '%s' && for f in vault.db vault.db-wal store; do "
				 "[ ! -e $f ] || cp $f '%s/'; done", dir, to), 0);
	pvt_vault_copied(to);
}

/* ---- the ledger ---- */

struct ledger {
	json_t *lines; /* array of objects */
};

static struct ledger ledger_read(const char *path)
{
	struct ledger l = { pvt_ledger_read(path, NULL) };
	if (access(path, F_OK) != 0)
		fail_msg("no ledger at %s", path);
	return l;
}

static void ledger_free(struct ledger *l)
{
	json_decref(l->lines);
	l->lines = NULL;
}

/* Number of {"id":id,"certificate":hash} lines. */
static size_t ledger_id_lines(const struct ledger *l, const char *id, const char *hash)
{
	size_t n = 0, i;
	json_t *o;
	json_array_foreach(l->lines, i, o) {
		const char *lid = json_string_value(json_object_get(o, "id"));
		const char *c = json_string_value(json_object_get(o, "certificate"));
		if (lid && strcmp(lid, id) == 0 && c && (!hash || strcmp(c, hash) == 0) &&
		    json_string_value(json_object_get(o, "time")))
			n++;
	}
	return n;
}

/* The rewrap line of id (NULL if none; more than one fails). */
static json_t *ledger_rewrap(const struct ledger *l, const char *id)
{
	json_t *found = NULL, *o;
	size_t i;
	json_array_foreach(l->lines, i, o) {
		const char *r = json_string_value(json_object_get(o, "rewrap"));
		if (r && strcmp(r, id) == 0) {
			if (found)
				fail_msg("two rewrap lines for %s", id);
			found = o;
		}
	}
	return found;
}

/* ---- fixtures ---- */

static int group_setup(void **state)
{
	(void)state;
	unsetenv("PIVAULT_VAULT");
	unsetenv("PIVAULT_KEY_FILE");
	unsetenv("PIVAULT_KEYRING");
	unsetenv("PIVAULT_PASSPHRASE_FILE");
	unsetenv("PIVAULT_USER");
	unsetenv("PIVAULT_PASSWORD_FILE");
	assert_true(sodium_init() >= 0);
	g_base = pvt_tempdir();
	g_key_path = pvt_path(g_base, "root.key");
	char *dir = pvt_path(g_base, "vault");
	char *csv_path = pvt_path(g_base, "in.csv");
	char *text = NULL;
	assert_int_equal(pvt_run(&text, "'%s' -n %d --seed 11 --canonical", pvt_program("pvgen"),
				 NCUST), 0);
	assert_int_equal(pvt_write_file(csv_path, text, strlen(text)), 0);
	assert_int_equal(pvt_csv_parse(text, &g_csv), 0);
	assert_int_equal(g_csv.nrows, NCUST + 1);
	free(text);

	assert_int_equal(pv_key_generate_file(g_key_path), PV_OK);
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(g_key_path, &key), PV_OK);
	pv_create_opts o = { .schema_path = SCHEMA, .keyring_slots = SLOTS, .kdf_cost = PV_KDF_FAST,
			     .admin_user = "admin", .admin_password = ADMIN_PW,
			     .admin_password_len = strlen(ADMIN_PW) };
	pv_vault *v = NULL;
	pv_rc rc = pv_vault_create(dir, &o, key, &v);
	if (rc)
		fail_msg("pv_vault_create: %s", pv_errmsg(v));
	pv_import_opts io = { .threads = 2 };
	pv_import_result *res = NULL;
	rc = pv_import_csv(v, &ADMIN, csv_path, &io, &res);
	if (rc)
		fail_msg("pv_import_csv: %s", pv_errmsg(v));
	assert_int_equal(pv_import_rows_imported(res), NCUST);
	pv_import_free(res);
	assert_int_equal(pvt_user_add(v, &ADMIN, "dpo1", "dpo", DPO_PW, strlen(DPO_PW)), PV_OK);
	assert_int_equal(pvt_user_add(v, &ADMIN, "clerk1", "clerk", CLERK_PW, strlen(CLERK_PW)),
			 PV_OK);
	assert_int_equal(pv_vault_checkpoint(v), PV_OK);
	pv_vault_close(v);

	/* Another vault, for its public key. */
	char *other = pvt_path(g_base, "other");
	pv_create_opts o2 = { .schema_path = SCHEMA, .keyring_slots = 16, .kdf_cost = PV_KDF_FAST };
	v = NULL;
	rc = pv_vault_create(other, &o2, key, &v);
	if (rc)
		fail_msg("pv_vault_create (other): %s", pv_errmsg(v));
	assert_int_equal(pv_vault_public_key(v, g_other_pk), PV_OK);
	pv_vault_close(v);
	pv_key_free(key);
	free(other);
	free(dir);
	free(csv_path);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	pvt_rmtree(g_base);
	free(g_base);
	free(g_key_path);
	pvt_csv_free(&g_csv);
	return 0;
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->tmp = pvt_tempdir();
	f->dir = pvt_path(f->tmp, "vault");
	f->keyring = pvt_path(f->tmp, "vault.keyring");
	f->ledger = pvt_path(f->tmp, "vault.keyring.ledger");
	f->journal = pvt_path(f->tmp, "vault.keyring.journal");
	pvt_copy_vault(g_base, f->tmp);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	pvt_release_all();
	pvt_rmtree(f->tmp);
	free(f->tmp);
	free(f->dir);
	free(f->keyring);
	free(f->ledger);
	free(f->journal);
	free(f);
	return 0;
}

/* Shred ids with the root key; returns the certificate (kept). */
static char *shred_root(pv_vault *v, const char *const *ids, size_t n)
{
	char *cert = NULL;
	pv_rc rc = pv_shred(v, &ADMIN, ids, n, &cert);
	if (rc)
		fail_msg("pv_shred: rc %d: %s", rc, pv_errmsg(v));
	assert_non_null(cert);
	return pvt_keep(cert);
}

/* ---- 1. the central property ------------------------------------------------------- */

static void test_old_copy_cannot_yield_victim(void **state)
{
	struct fx *f = *state;
	pv_vault *v = pvt_open_root(f->dir, NULL, g_key_path);
	uint32_t *b = buckets_of(v);
	size_t vr = pick_victim(b, 0);
	const char *victim = cust(vr, "customer_id");
	uint32_t bucket = b[vr];
	uint8_t vid[16];
	memcpy(vid, v->vault_id, sizeof vid);

	/* The bucket key as it is now. */
	uint32_t gen0 = 0;
	const uint8_t *k = pv_keyring_key(v->keyring, bucket, &gen0);
	assert_non_null(k);
	uint8_t *old_bkey = pvt_keep(malloc(PV_KEY_BYTES));
	assert_non_null(old_bkey);
	memcpy(old_bkey, k, PV_KEY_BYTES);
	assert_reads(v, victim);

	/* Mates in the bucket, and customers of other buckets. */
	const char *mates[32], *others[8];
	size_t nmates = 0, nothers = 0;
	for (size_t r = 1; r < g_csv.nrows; r++) {
		if (r == vr)
			continue;
		if (b[r] == bucket && nmates < 32)
			mates[nmates++] = cust(r, "customer_id");
		else if (b[r] != bucket && nothers < 8) {
			int dup = 0;
			for (size_t i = 0; i < nothers; i++)
				dup |= b[row_of(others[i])] == b[r];
			if (!dup)
				others[nothers++] = cust(r, "customer_id");
		}
	}
	assert_true(nmates >= 2);
	assert_int_equal(nothers, 8);
	assert_ok(v, pv_vault_checkpoint(v));
	pvt_vclose(v);

	/* A copy of the data files (not the keyring), as a backup would take it. */
	const char *db = f->dir;
	char *old_dir = pvt_keep(pvt_path(f->tmp, "oldcopy"));
	copy_data(f->dir, old_dir);
	const char *old_db = old_dir;

	/* The victim's stored data key and the data key itself. */
	struct raw_cust oc;
	assert_int_equal(db_customer(db, victim, &oc), 0);
	assert_int_equal(oc.bucket, bucket);
	assert_int_equal(oc.gen, gen0);
	uint8_t *dek = pvt_keep(malloc(PV_KEY_BYTES));
	assert_non_null(dek);
	assert_int_equal(unwrap(dek, oc.wdek, oc.wdek_len, old_bkey, vid, bucket, gen0, victim), 0);
	/* ... and it is the right key: it opens the basic fields, which hold the name. */
	uint8_t *pt = pvt_keep(malloc(oc.g_basic_len));
	assert_non_null(pt);
	assert_int_equal(open_group(pt, oc.g_basic, oc.g_basic_len, dek, vid, 0, oc.dekv, victim), 0);
	const char *vname = cust(vr, "name");
	assert_true(contains(pt, oc.g_basic_len - PV_SEAL_OVERHEAD, (const uint8_t *)vname,
			     strlen(vname)));
	uint8_t hashes[8][PV_BLIND_BYTES];
	size_t nh = db_unique_hashes(db, oc.rid, hashes, 8);
	assert_true(nh >= 2); /* at least the phone and the resident id number */
	/* The mates' data keys as the old copy holds them. */
	uint8_t mate_dek[32][PV_KEY_BYTES];
	for (size_t i = 0; i < nmates; i++) {
		struct raw_cust mc;
		assert_int_equal(db_customer(old_db, mates[i], &mc), 0);
		assert_int_equal(mc.gen, gen0);
		assert_int_equal(unwrap(mate_dek[i], mc.wdek, mc.wdek_len, old_bkey, vid, bucket, gen0,
					mates[i]), 0);
	}

	/* Shred. */
	v = pvt_open_root(f->dir, NULL, g_key_path);
	const char *ids[] = { victim };
	char *cert = shred_root(v, ids, 1);
	assert_int_equal(get_rc(v, victim), PV_ERR_NOT_FOUND);
	for (size_t i = 0; i < nmates; i++) /* their data keys were re-wrapped */
		assert_reads(v, mates[i]);
	uint32_t gen1 = 0;
	assert_non_null(pv_keyring_key(v->keyring, bucket, &gen1));
	assert_int_equal(gen1, gen0 + 1);
	pvt_vclose(v);
	assert_false(exists(f->journal));
	assert_true(exists(f->ledger));

	/* Neither the old bucket key, nor the data key, nor the victim's stored data key,
	 * fields or blind-index hashes are anywhere in the live vault, keyring or ledger. */
	const char *extra[] = { f->keyring, f->ledger };
	assert_nowhere(f->dir, extra, 2, old_bkey, PV_KEY_BYTES, "the old bucket key");
	assert_nowhere(f->dir, extra, 2, dek, PV_KEY_BYTES, "the victim's data key");
	assert_nowhere(f->dir, extra, 2, oc.wdek, WDEK_BYTES, "the victim's wrapped data key");
	assert_nowhere(f->dir, extra, 2, oc.g_basic, oc.g_basic_len,
		       "the victim's sealed basic fields");
	for (size_t i = 0; i < nh; i++)
		assert_nowhere(f->dir, extra, 2, hashes[i], PV_BLIND_BYTES,
			       "a blind-index hash of the victim");
	/* Nor, written as hex, in the ledger or the vault's files. */
	char hx[2 * WDEK_BYTES + 1];
	hex_of(hx, old_bkey, PV_KEY_BYTES);
	assert_nowhere(f->dir, extra, 2, (const uint8_t *)hx, strlen(hx), "the old bucket key (hex)");
	hex_of(hx, dek, PV_KEY_BYTES);
	assert_nowhere(f->dir, extra, 2, (const uint8_t *)hx, strlen(hx), "the data key (hex)");
	hex_of(hx, oc.wdek, WDEK_BYTES);
	assert_nowhere(f->dir, extra, 2, (const uint8_t *)hx, strlen(hx),
		       "the victim's wrapped data key (hex)");

	/* The old copy, opened with the root key and the LIVE keyring. */
	pv_vault *ov = pvt_open_root(old_dir, f->keyring, g_key_path);
	assert_rc_msg(ov, get_rc(ov, victim), PV_ERR_CORRUPT, "generation");
	for (size_t i = 0; i < nothers; i++)
		assert_reads(ov, others[i]);
	/* Bucket mates cannot be read from the old copy either: their data keys there are
	 * wrapped by the destroyed key. A restore (a later step) brings them forward from
	 * the ledger's rewrap lines, checked below. */
	for (size_t i = 0; i < nmates; i++)
		assert_int_equal(get_rc(ov, mates[i]), PV_ERR_CORRUPT);

	/* Every slot key the live keyring has fails on the victim's old wrapped data key. */
	uint8_t out[PV_KEY_BYTES];
	for (uint32_t s = 0; s < SLOTS; s++) {
		uint32_t g = 0;
		const uint8_t *sk = pv_keyring_key(ov->keyring, s, &g);
		assert_non_null(sk);
		assert_false(sodium_memcmp(sk, old_bkey, PV_KEY_BYTES) == 0);
		assert_int_not_equal(unwrap(out, oc.wdek, oc.wdek_len, sk, vid, bucket, gen0, victim), 0);
		assert_int_not_equal(unwrap(out, oc.wdek, oc.wdek_len, sk, vid, bucket, g, victim), 0);
		assert_int_not_equal(unwrap(out, oc.wdek, oc.wdek_len, sk, vid, s, g, victim), 0);
	}

	/* The ledger: the shredded id with the certificate's hash, and for each bucket mate
	 * its data key re-wrapped under the live bucket key (the same data key). */
	uint32_t glive = 0;
	const uint8_t *live = pv_keyring_key(ov->keyring, bucket, &glive);
	assert_non_null(live);
	assert_int_equal(glive, gen1);
	char h[65];
	cert_hash(cert, h);
	struct ledger l = ledger_read(f->ledger);
	assert_int_equal(ledger_id_lines(&l, victim, h), 1);
	assert_null(ledger_rewrap(&l, victim));
	for (size_t i = 0; i < nmates; i++) {
		json_t *o = ledger_rewrap(&l, mates[i]);
		if (!o)
			fail_msg("no rewrap line for bucket mate %s", mates[i]);
		assert_int_equal(json_integer_value(json_object_get(o, "bucket")), bucket);
		assert_int_equal(json_integer_value(json_object_get(o, "gen")), glive);
		const char *hex = json_string_value(json_object_get(o, "wdek"));
		assert_non_null(hex);
		uint8_t w[WDEK_BYTES], d[PV_KEY_BYTES];
		size_t wl = 0;
		assert_int_equal(sodium_hex2bin(w, sizeof w, hex, strlen(hex), NULL, &wl, NULL), 0);
		assert_int_equal(wl, WDEK_BYTES);
		assert_int_equal(unwrap(d, w, wl, live, vid, bucket, glive, mates[i]), 0);
		assert_memory_equal(d, mate_dek[i], PV_KEY_BYTES);
	}
	ledger_free(&l);
	pvt_vclose(ov);
	sodium_memzero(dek, PV_KEY_BYTES);
	sodium_memzero(old_bkey, PV_KEY_BYTES);
}

/* ---- 2. the destruction certificate ------------------------------------------------ */

static char *dump(json_t *doc)
{
	char *s = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	assert_non_null(s);
	return pvt_keep(s);
}

/* The certificate with one change made by fn; verification must fail as CORRUPT. */
typedef void (*mutate_fn)(json_t *cert, json_t *doc);

static void expect_tamper_fails(const char *text, const char *pk, mutate_fn fn, const char *what)
{
	json_error_t err;
	json_t *doc = json_loads(text, 0, &err);
	assert_non_null(doc);
	fn(json_object_get(doc, "certificate"), doc);
	char *t = dump(doc);
	json_decref(doc);
	char why[256] = "";
	pv_rc rc = pvt_certificate_verify(t, pk, why, sizeof why);
	if (rc != PV_ERR_CORRUPT)
		fail_msg("certificate with %s changed: rc %d (%s), want PV_ERR_CORRUPT", what, rc, why);
	pvt_drop(t);
}

static void m_count(json_t *c, json_t *d)
{
	(void)d;
	json_object_set_new(c, "count", json_integer(json_integer_value(json_object_get(c, "count")) + 1));
}
static void m_customer(json_t *c, json_t *d)
{
	(void)d;
	json_array_set_new(json_object_get(c, "customers"), 0, json_string("C09999999"));
}
static void m_time(json_t *c, json_t *d)
{
	(void)d;
	json_object_set_new(c, "time", json_string("2001-01-01T00:00:00Z"));
}
static void m_categories(json_t *c, json_t *d)
{
	(void)d;
	json_t *a = json_object_get(c, "categories");
	json_array_remove(a, json_array_size(a) - 1);
}
static void m_method(json_t *c, json_t *d)
{
	(void)d;
	json_object_set_new(c, "method", json_string("deleted"));
}
static void m_approval(json_t *c, json_t *d)
{
	(void)d;
	json_object_set_new(c, "approval", json_string("R-0000000000"));
}
static void m_fingerprint(json_t *c, json_t *d)
{
	(void)d;
	char fp[65];
	snprintf(fp, sizeof fp, "%s",
		 json_string_value(json_object_get(c, "destroyed_key_material_fingerprint")));
	fp[0] = fp[0] == '0' ? '1' : '0';
	json_object_set_new(c, "destroyed_key_material_fingerprint", json_string(fp));
}
static void m_limits(json_t *c, json_t *d)
{
	(void)d;
	json_array_remove(json_object_get(c, "limits"), 0);
}
static void m_extra_field(json_t *c, json_t *d)
{
	(void)d;
	json_object_set_new(c, "note", json_string("added"));
}
static void m_signature(json_t *c, json_t *d)
{
	(void)c;
	char s[129];
	snprintf(s, sizeof s, "%s", json_string_value(json_object_get(d, "signature")));
	s[10] = s[10] == 'a' ? 'b' : 'a'; /* one byte of the signature */
	json_object_set_new(d, "signature", json_string(s));
}
static void m_signed_by(json_t *c, json_t *d)
{
	(void)d;
	json_object_set_new(c, "signed_by", json_string(g_other_pk));
}

/* Text with needle's first occurrence replaced by repl (kept). */
static char *replace_once(const char *text, const char *needle, const char *repl)
{
	const char *p = strstr(text, needle);
	if (!p)
		fail_msg("'%s' not in the certificate", needle);
	size_t n = strlen(text) - strlen(needle) + strlen(repl) + 1;
	char *out = pvt_keep(malloc(n));
	assert_non_null(out);
	snprintf(out, n, "%.*s%s%s", (int)(p - text), text, repl, p + strlen(needle));
	return out;
}

static void test_certificate(void **state)
{
	struct fx *f = *state;
	pv_vault *v = pvt_open_root(f->dir, NULL, g_key_path);
	uint32_t *b = buckets_of(v);
	size_t vr = pick_victim(b, 0);
	const char *victim = cust(vr, "customer_id");
	const char *ids[] = { victim };
	char *cert = shred_root(v, ids, 1);
	char pk[65];
	assert_ok(v, pv_vault_public_key(v, pk));
	assert_int_equal(strlen(pk), 64);
	assert_string_not_equal(pk, g_other_pk);
	char vault_id[33];
	snprintf(vault_id, sizeof vault_id, "%s", pv_vault_id(v));
	pvt_vclose(v);

	char why[256] = "";
	assert_int_equal(pvt_certificate_verify(cert, pk, why, sizeof why), PV_OK);
	assert_non_null(strstr(why, "valid"));
	char kfp[PV_FINGERPRINT_SIZE], other_fp[PV_FINGERPRINT_SIZE];
	assert_int_equal(pv_key_fingerprint(pk, kfp), PV_OK);
	assert_int_equal(pv_key_fingerprint(g_other_pk, other_fp), PV_OK);
	assert_non_null(strstr(why, kfp)); /* whose key it was */
	/* Another vault's key does not verify it, and both keys are named. */
	assert_int_equal(pvt_certificate_verify(cert, g_other_pk, why, sizeof why), PV_ERR_CORRUPT);
	assert_non_null(strstr(why, kfp));
	assert_non_null(strstr(why, other_fp));
	/* A forger's certificate: edited, re-signed by a fresh key that it names as its
	 * signer. Checked with the vault's key it is refused; its own key is never asked. */
	{
		json_error_t je;
		json_t *d = json_loads(cert, 0, &je), *body = json_object_get(d, "certificate");
		uint8_t fpk[32], fsk[64], sig[64];
		char fpkhex[65], sighex[129], ffp[PV_FINGERPRINT_SIZE];
		crypto_sign_keypair(fpk, fsk);
		sodium_bin2hex(fpkhex, sizeof fpkhex, fpk, sizeof fpk);
		json_object_set_new(body, "count", json_integer(1000));
		json_object_set_new(body, "signed_by", json_string(fpkhex));
		char *canon = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
		crypto_sign_detached(sig, NULL, (const unsigned char *)canon, strlen(canon), fsk);
		sodium_memzero(fsk, sizeof fsk);
		sodium_bin2hex(sighex, sizeof sighex, sig, sizeof sig);
		json_object_set_new(d, "signature", json_string(sighex));
		char *forged = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
		assert_int_equal(pvt_certificate_verify(forged, pk, why, sizeof why), PV_ERR_CORRUPT);
		assert_int_equal(pv_key_fingerprint(fpkhex, ffp), PV_OK);
		assert_non_null(strstr(why, ffp));
		assert_non_null(strstr(why, kfp));
		/* sound only for whoever pins the forger's key */
		assert_int_equal(pvt_certificate_verify(forged, fpkhex, why, sizeof why), PV_OK);
		assert_int_equal(pvt_certificate_verify(forged, NULL, why, sizeof why), PV_ERR_USAGE);
		free(canon);
		free(forged);
		json_decref(d);
	}

	/* What it says. */
	json_error_t err;
	json_t *doc = json_loads(cert, JSON_REJECT_DUPLICATES, &err);
	assert_non_null(doc);
	assert_int_equal(json_object_size(doc), 2);
	json_t *c = json_object_get(doc, "certificate");
	assert_true(json_is_object(c));
	assert_string_equal(json_string_value(json_object_get(c, "type")),
			    "pivault destruction certificate");
	assert_string_equal(json_string_value(json_object_get(c, "vault")), vault_id);
	json_t *cs = json_object_get(c, "customers");
	assert_int_equal(json_array_size(cs), 1);
	assert_string_equal(json_string_value(json_array_get(cs, 0)), victim);
	assert_int_equal(json_integer_value(json_object_get(c, "count")), 1);
	json_t *cats = json_object_get(c, "categories");
	assert_true(json_is_array(cats));
	int seen[3] = { 0 };
	for (size_t i = 0; i < json_array_size(cats); i++) {
		const char *s = json_string_value(json_array_get(cats, i));
		assert_non_null(s);
		seen[0] |= strcmp(s, "basic") == 0;
		seen[1] |= strcmp(s, "financial") == 0;
		seen[2] |= strcmp(s, "other") == 0;
	}
	/* name, phone... are basic; bank card, order amount financial; created_at other. */
	assert_true(seen[0] && seen[1] && seen[2]);
	const char *method = json_string_value(json_object_get(c, "method"));
	assert_non_null(method);
	assert_non_null(strstr(method, "crypto-shredding"));
	assert_true(json_array_size(json_object_get(c, "limits")) >= 1);
	const char *fp = json_string_value(json_object_get(c, "destroyed_key_material_fingerprint"));
	assert_non_null(fp);
	assert_int_equal(strlen(fp), 64);
	assert_string_equal(json_string_value(json_object_get(c, "signed_by")), pk);
	assert_string_equal(json_string_value(json_object_get(c, "approval")), ""); /* root key */
	assert_non_null(json_string_value(json_object_get(c, "time")));
	assert_true(json_is_array(json_object_get(c, "escrow_copies_holding_destroyed_keys")));
	json_decref(doc);

	/* No personal value of the victim in it. */
	static const char *const cols[] = { "name", "phone", "id_number", "email", "bank_card",
					    "address", "contract_no" };
	for (size_t i = 0; i < sizeof cols / sizeof *cols; i++) {
		const char *val = cust(vr, cols[i]);
		if (*val && strstr(cert, val))
			fail_msg("the certificate holds the victim's %s", cols[i]);
	}
	const char *phone = cust(vr, "phone"); /* also without +86 */
	assert_true(strncmp(phone, "+86", 3) == 0);
	assert_null(strstr(cert, phone + 3));

	/* A re-serialisation of the same content still verifies (the control). */
	doc = json_loads(cert, 0, &err);
	assert_non_null(doc);
	char *compact = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	assert_non_null(compact);
	pvt_keep(compact);
	assert_int_equal(pvt_certificate_verify(compact, pk, why, sizeof why), PV_OK);

	/* Any single change breaks it. */
	expect_tamper_fails(cert, pk, m_count, "count");
	expect_tamper_fails(cert, pk, m_customer, "a customer id");
	expect_tamper_fails(cert, pk, m_time, "time");
	expect_tamper_fails(cert, pk, m_categories, "categories");
	expect_tamper_fails(cert, pk, m_method, "method");
	expect_tamper_fails(cert, pk, m_approval, "approval");
	expect_tamper_fails(cert, pk, m_fingerprint, "fingerprint");
	expect_tamper_fails(cert, pk, m_limits, "limits");
	expect_tamper_fails(cert, pk, m_extra_field, "an added field");
	expect_tamper_fails(cert, pk, m_signature, "a signature byte");
	expect_tamper_fails(cert, pk, m_signed_by, "signed_by");

	/* Truncated, malformed, duplicate keys, wrong shape. */
	size_t len = strlen(cert);
	char *trunc = pvt_keep(strndup(cert, len / 2));
	assert_int_not_equal(pvt_certificate_verify(trunc, pk, why, sizeof why), PV_OK);
	char *trunc1 = pvt_keep(strndup(cert, len - 2));
	assert_int_not_equal(pvt_certificate_verify(trunc1, pk, why, sizeof why), PV_OK);
	assert_int_equal(pvt_certificate_verify("", pk, why, sizeof why), PV_ERR_INPUT);
	assert_int_equal(pvt_certificate_verify("not json at all", pk, why, sizeof why), PV_ERR_INPUT);
	assert_int_equal(pvt_certificate_verify("[1,2,3]", pk, why, sizeof why), PV_ERR_INPUT);
	assert_int_equal(pvt_certificate_verify("{\"certificate\":{},\"signature\":\"00\"}", pk, why,
					       sizeof why), PV_ERR_INPUT);
	char *dup1 = replace_once(cert, "\"count\": 1,", "\"count\": 1,\n    \"count\": 1,");
	assert_int_equal(pvt_certificate_verify(dup1, pk, why, sizeof why), PV_ERR_INPUT);
	char *dup2 = replace_once(cert, "\"count\": 1,", "\"count\": 7,\n    \"count\": 1,");
	assert_int_equal(pvt_certificate_verify(dup2, pk, why, sizeof why), PV_ERR_INPUT);
	char *dup3 = replace_once(cert, "\"signature\":", "\"signature\": \"00\",\n  \"signature\":");
	assert_int_equal(pvt_certificate_verify(dup3, pk, why, sizeof why), PV_ERR_INPUT);
	char *extra = replace_once(cert, "\"signature\":", "\"extra\": 1,\n  \"signature\":");
	assert_int_equal(pvt_certificate_verify(extra, pk, why, sizeof why), PV_ERR_INPUT);
	/* A malformed public key. */
	assert_int_equal(pvt_certificate_verify(cert, "xyz", why, sizeof why), PV_ERR_USAGE);
	assert_int_equal(pvt_certificate_verify(cert, NULL, why, sizeof why), PV_ERR_USAGE);

	/* The ledger: one line for the id, with the certificate's hash. */
	char h[65];
	cert_hash(cert, h);
	struct ledger l = ledger_read(f->ledger);
	assert_int_equal(ledger_id_lines(&l, victim, h), 1);
	assert_int_equal(ledger_id_lines(&l, victim, NULL), 1);
	ledger_free(&l);
}

/* ---- 3. several customers at once; unknown ids; the blind index ------------------------- */

struct find_ctx {
	size_t n;
	char first[72];
};

static int found_one(void *ctx, const char *id)
{
	struct find_ctx *c = ctx;
	if (c->n++ == 0)
		snprintf(c->first, sizeof c->first, "%s", id);
	return 0;
}

static void test_shred_many_and_unknown(void **state)
{
	struct fx *f = *state;
	pv_vault *v = pvt_open_root(f->dir, NULL, g_key_path);
	uint32_t *b = buckets_of(v);
	/* 10 customers: 9 of distinct buckets, the 10th sharing the first one's bucket. */
	const char *ids[10];
	size_t rows[10], n = 0;
	for (size_t r = 1; r < g_csv.nrows && n < 9; r++) {
		int dup = 0;
		for (size_t i = 0; i < n; i++)
			dup |= b[rows[i]] == b[r];
		if (!dup && bucket_size(b, b[r]) >= 3) {
			rows[n] = r;
			ids[n++] = cust(r, "customer_id");
		}
	}
	assert_int_equal(n, 9);
	for (size_t r = 1; r < g_csv.nrows && n < 10; r++)
		if (r != rows[0] && b[r] == b[rows[0]]) {
			rows[n] = r;
			ids[n++] = cust(r, "customer_id");
		}
	assert_int_equal(n, 10);
	const char *phone = cust(rows[0], "phone");
	pv_access finder = { "admin", "all", 0 };
	struct find_ctx fc = { 0, "" };
	assert_ok(v, pv_find(v, &finder, "phone", phone, found_one, &fc));
	assert_true(fc.n >= 1);
	assert_string_equal(fc.first, ids[0]);
	pvt_vclose(v);

	const char *db = f->dir;
	int64_t rids[10];
	for (size_t i = 0; i < 10; i++) {
		struct raw_cust rc;
		assert_int_equal(db_customer(db, ids[i], &rc), 0);
		rids[i] = rc.rid;
		assert_true(db_count(db, "SELECT count(*) FROM entries WHERE rid = %lld", rids[i]) >= 3);
	}
	size_t k0len = 0;
	uint8_t *k0 = pvt_keep(read_bytes(f->keyring, &k0len));
	assert_non_null(k0);
	assert_int_equal(k0len, KR_HEADER + SLOTS * KR_SLOT);

	/* An unknown id among known ones: nothing is shredded. */
	v = pvt_open_root(f->dir, NULL, g_key_path);
	const char *with_unknown[] = { ids[0], ids[1], "C09999999" };
	char *cert = NULL;
	assert_rc_msg(v, pv_shred(v, &ADMIN, with_unknown, 3, &cert), PV_ERR_NOT_FOUND, "C09999999");
	assert_null(cert);
	assert_reads(v, ids[0]);
	assert_reads(v, ids[1]);
	const char *bad_id[] = { "not an id!" };
	assert_int_equal(pv_shred(v, &ADMIN, bad_id, 1, &cert), PV_ERR_USAGE);
	assert_int_equal(pv_shred(v, &ADMIN, ids, 0, &cert), PV_ERR_USAGE);
	uint64_t count = 0;
	assert_ok(v, pv_vault_count(v, &count));
	assert_int_equal(count, NCUST);
	pvt_vclose(v);
	size_t klen = 0;
	uint8_t *k = read_bytes(f->keyring, &klen);
	assert_non_null(k);
	assert_int_equal(klen, k0len);
	assert_memory_equal(k, k0, k0len); /* no key replaced */
	free(k);
	assert_false(exists(f->journal));
	assert_false(exists(f->ledger));

	/* The ten at once. */
	v = pvt_open_root(f->dir, NULL, g_key_path);
	cert = shred_root(v, ids, 10);
	assert_ok(v, pv_vault_count(v, &count));
	assert_int_equal(count, NCUST - 10);
	for (size_t i = 0; i < 10; i++)
		assert_int_equal(get_rc(v, ids[i]), PV_ERR_NOT_FOUND);
	/* Everyone else reads, bucket mates of the re-keyed buckets included. */
	assert_ok(v, pv_vault_batch_begin(v));
	for (size_t r = 1; r < g_csv.nrows; r++) {
		int shredded = 0;
		for (size_t i = 0; i < 10; i++)
			shredded |= rows[i] == r;
		if (!shredded)
			assert_reads(v, cust(r, "customer_id"));
	}
	assert_ok(v, pv_vault_batch_end(v, 1));
	/* A second shred of the same id, alone or with others. */
	const char *again[] = { ids[3] };
	char *cert_again = NULL;
	assert_int_equal(pv_shred(v, &ADMIN, again, 1, &cert_again), PV_ERR_NOT_FOUND);
	assert_null(cert_again);
	/* The phone finds nothing any more. */
	fc.n = 0;
	assert_ok(v, pv_find(v, &finder, "phone", phone, found_one, &fc));
	assert_int_equal(fc.n, 0);
	pvt_vclose(v);

	/* The certificate lists the ten. */
	char pkx[65];
	json_error_t err;
	json_t *doc = json_loads(cert, 0, &err);
	assert_non_null(doc);
	json_t *c = json_object_get(doc, "certificate");
	assert_int_equal(json_integer_value(json_object_get(c, "count")), 10);
	json_t *cs = json_object_get(c, "customers");
	assert_int_equal(json_array_size(cs), 10);
	for (size_t i = 0; i < 10; i++)
		assert_string_equal(json_string_value(json_array_get(cs, i)), ids[i]);
	snprintf(pkx, sizeof pkx, "%s", json_string_value(json_object_get(c, "signed_by")));
	json_decref(doc);
	char why[256];
	assert_int_equal(pvt_certificate_verify(cert, pkx, why, sizeof why), PV_OK);

	/* Nothing of theirs is left in the database. */
	for (size_t i = 0; i < 10; i++) {
		struct raw_cust rc;
		assert_int_equal(db_customer(db, ids[i], &rc), 1);
		assert_int_equal(db_count(db, "SELECT count(*) FROM entries WHERE rid = %lld",
					  rids[i]), 0);
		assert_int_equal(db_count(db, "SELECT count(*) FROM consents WHERE rid = %lld",
					  rids[i]), 0);
	}
	/* Exactly the slots of the shredded customers' buckets changed, one generation on. */
	k = read_bytes(f->keyring, &klen);
	assert_non_null(k);
	assert_int_equal(klen, k0len);
	assert_memory_equal(k, k0, KR_HEADER);
	size_t changed = 0;
	for (uint32_t s = 0; s < SLOTS; s++) {
		const uint8_t *a = k0 + KR_HEADER + s * KR_SLOT, *z = k + KR_HEADER + s * KR_SLOT;
		int affected = 0;
		for (size_t i = 0; i < 10; i++)
			affected |= b[rows[i]] == s;
		if (affected) {
			changed++;
			assert_int_equal(get_u32(z), get_u32(a) + 1);
			assert_memory_not_equal(a + 4, z + 4, KR_SLOT - 4);
		} else {
			assert_memory_equal(a, z, KR_SLOT);
		}
	}
	free(k);
	assert_int_equal(changed, 9);
	/* The ledger: one line per id, each with the certificate's hash. */
	char h[65];
	cert_hash(cert, h);
	struct ledger l = ledger_read(f->ledger);
	for (size_t i = 0; i < 10; i++) {
		assert_int_equal(ledger_id_lines(&l, ids[i], h), 1);
		assert_null(ledger_rewrap(&l, ids[i]));
	}
	ledger_free(&l);
}

/* ---- 4. roles, four-eyes approvals, the audit entry -------------------------------- */

struct audit_find {
	const char *id, *hash;
	size_t ok_by_admin, denied;
	char request[32];
};

/* A record whose ciphertext was damaged cannot be read, but it can still be shredded:
 * the shred does not open it. Its certificate names its categories all the same. */
static void test_damaged_record_is_shredded(void **state)
{
	struct fx *f = *state;
	const char *id = cust(3, "customer_id");
	const char *db = f->dir;
	char *changed = NULL;
	/* byte 31 changed, whatever it was (a plain x'00' left it as it was 1 time in 256) */
	assert_int_equal(pvt_dba(&changed, db, "UPDATE customers SET g_basic = "
				 "substr(g_basic, 1, 30) || CASE WHEN substr(g_basic, 31, 1) = x'00' "
				 "THEN x'01' ELSE x'00' END || substr(g_basic, 32) WHERE id = '%s' "
				 "RETURNING 1", id), 0);
	assert_string_equal(changed, "1\n");
	free(changed);
	pv_vault *v = pvt_open_root(f->dir, NULL, g_key_path);
	assert_int_equal(get_rc(v, id), PV_ERR_CORRUPT);
	const char *ids[] = { id };
	char *cert = shred_root(v, ids, 1);
	assert_non_null(strstr(cert, "\"basic\""));
	assert_int_equal(get_rc(v, id), PV_ERR_NOT_FOUND);
	assert_reads(v, cust(4, "customer_id"));
	pvt_vclose(v);
	struct raw_cust rc;
	assert_int_equal(db_customer(db, id, &rc), 1);
}

static int audit_one(void *ctx, const pv_audit_entry *e)
{
	struct audit_find *a = ctx;
	if (strcmp(e->op, "shred") != 0)
		return 0;
	if (strcmp(e->outcome, "ok") == 0 && strstr(e->ids, a->id) && strstr(e->detail, a->hash) &&
	    strcmp(e->user, "admin") == 0) {
		a->ok_by_admin++;
		snprintf(a->request, sizeof a->request, "%s", e->request ? e->request : "");
	}
	if (strcmp(e->outcome, "denied") == 0)
		a->denied++;
	return 0;
}

static void test_roles_and_approval(void **state)
{
	struct fx *f = *state;
	pv_vault *rv = pvt_open_root(f->dir, NULL, g_key_path);
	uint32_t *b = buckets_of(rv);
	size_t vr = pick_victim(b, 0);
	const char *victim = cust(vr, "customer_id");
	size_t vr2 = pick_victim(b, vr);
	const char *second = cust(vr2, "customer_id");
	pvt_vclose(rv);
	const char *ids[] = { victim };
	char *cert = NULL;

	/* A user, even an admin, needs an approved request. */
	pv_vault *va = pvt_open_user(f->dir, "admin", ADMIN_PW);
	assert_rc_msg(va, pv_shred(va, &ADMIN, ids, 1, &cert), PV_ERR_DENIED, "four-eyes");
	assert_null(cert);
	pvt_vclose(va);

	/* The clerk lacks 'shred', and cannot act as admin. */
	pv_vault *vc = pvt_open_user(f->dir, "clerk1", CLERK_PW);
	pv_access clerk = { "clerk", NULL, 0 };
	assert_rc_msg(vc, pv_shred(vc, &clerk, ids, 1, &cert), PV_ERR_DENIED, "'shred'");
	assert_rc_msg(vc, pv_shred(vc, &ADMIN, ids, 1, &cert), PV_ERR_DENIED, "admin");
	assert_null(cert);
	pvt_vclose(vc);

	/* Ask, approve as another user, run. */
	va = pvt_open_user(f->dir, "admin", ADMIN_PW);
	char *req = NULL;
	assert_ok(va, pv_request_begin(va, "customer asked", 0, NULL));
	assert_int_equal(pv_shred(va, &ADMIN, ids, 1, &cert), PV_REQUESTED);
	assert_null(cert);
	assert_ok(va, pv_request_submit(va, &req));
	assert_int_equal(get_rc(va, victim), PV_OK); /* asking destroyed nothing */
	pvt_keep(req);
	assert_int_equal(pv_request_decide(va, &ADMIN, req, 1, NULL), PV_ERR_DENIED); /* own request */
	pvt_vclose(va);
	pv_vault *vd = pvt_open_user(f->dir, "dpo1", DPO_PW);
	pv_access dpo = { "dpo", NULL, 0 };
	assert_ok(vd, pv_request_decide(vd, &dpo, req, 1, NULL));
	pvt_vclose(vd);

	va = pvt_open_user(f->dir, "admin", ADMIN_PW);
	assert_ok(va, pv_vault_use_request(va, req));
	assert_ok(va, pv_shred(va, &ADMIN, ids, 1, &cert));
	assert_non_null(cert);
	pvt_keep(cert);
	assert_int_equal(get_rc(va, victim), PV_ERR_NOT_FOUND);
	/* One request, one run. */
	const char *ids2[] = { second };
	char *cert2 = NULL;
	assert_rc_msg(va, pv_shred(va, &ADMIN, ids2, 1, &cert2), PV_ERR_DENIED, "four-eyes");
	assert_null(cert2);
	assert_int_not_equal(pv_vault_use_request(va, req), PV_OK);
	char pk[65];
	assert_ok(va, pv_vault_public_key(va, pk));
	pvt_vclose(va);

	char why[256];
	assert_int_equal(pvt_certificate_verify(cert, pk, why, sizeof why), PV_OK);
	json_error_t err;
	json_t *doc = json_loads(cert, 0, &err);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "certificate"),
							      "approval")), req);
	json_decref(doc);

	/* The audit log: the shred with its ids and the certificate's hash; the refusals. */
	rv = pvt_open_root(f->dir, NULL, g_key_path);
	assert_reads(rv, second);
	char h[65];
	cert_hash(cert, h);
	struct audit_find af = { victim, h, 0, 0, "" };
	assert_ok(rv, pv_audit_log(rv, &ADMIN, NULL, audit_one, &af));
	assert_int_equal(af.ok_by_admin, 1);
	assert_true(af.denied >= 3);
	char *report = NULL;
	assert_ok(rv, pv_audit_verify(rv, NULL, NULL, &report));
	pv_free(report);
	pvt_vclose(rv);
	struct ledger l = ledger_read(f->ledger);
	assert_int_equal(ledger_id_lines(&l, victim, h), 1);
	ledger_free(&l);
}

/* ---- 5. crash safety of the keyring journal ---------------------------------------- */

/* A journal for a new key that the store never committed is dropped at open. */
static void test_journal_discarded_when_not_committed(void **state)
{
	struct fx *f = *state;
	pv_vault *v = pvt_open_root(f->dir, NULL, g_key_path);
	uint32_t *b = buckets_of(v);
	size_t vr = pick_victim(b, 0);
	uint32_t bucket = b[vr];
	pvt_vclose(v);
	size_t k0len = 0;
	uint8_t *k0 = pvt_keep(read_bytes(f->keyring, &k0len));
	assert_non_null(k0);

	/* Stage and journal a new key for the victim's bucket; no commit, no apply. */
	v = pvt_open_root(f->dir, NULL, g_key_path);
	uint8_t key[PV_KEY_BYTES];
	randombytes_buf(key, sizeof key);
	uint32_t gen = 0, newgen = 0;
	assert_non_null(pv_keyring_key(v->keyring, bucket, &gen));
	assert_int_equal(pv_keyring_stage(v->keyring, bucket, key, &newgen), 0);
	assert_int_equal(newgen, gen + 1);
	char err[512];
	assert_int_equal(pv_keyring_journal(v->keyring, err, sizeof err), 0);
	assert_true(exists(f->journal));
	pvt_vclose(v); /* the "crash": closed without apply */
	assert_true(exists(f->journal));

	v = pvt_open_root(f->dir, NULL, g_key_path);
	assert_false(exists(f->journal));
	for (size_t r = 1; r < g_csv.nrows; r++)
		if (b[r] == bucket)
			assert_reads(v, cust(r, "customer_id"));
	uint32_t g = 0;
	assert_non_null(pv_keyring_key(v->keyring, bucket, &g));
	assert_int_equal(g, gen);
	pvt_vclose(v);
	size_t klen = 0;
	uint8_t *k = read_bytes(f->keyring, &klen);
	assert_non_null(k);
	assert_int_equal(klen, k0len);
	assert_memory_equal(k, k0, klen);
	free(k);

	/* The same through pv_shred: the audit entry fails after the journal is written, so
	 * the store rolls back; the journal left behind is dropped at the next open. */
	v = pvt_open_root(f->dir, NULL, g_key_path);
	const char *victim = cust(vr, "customer_id");
	const char *ids[] = { victim };
	char *cert = NULL;
	assert_int_equal(pv_test_control(v, PV_TEST_AUDIT_FAULT, 1, NULL), PV_OK);
	assert_int_equal(pv_shred(v, &ADMIN, ids, 1, &cert), PV_ERR_STORE);
	assert_null(cert);
	assert_true(exists(f->journal)); /* left behind, as a failed commit leaves it */
	assert_int_equal(pv_test_control(v, PV_TEST_AUDIT_FAULT, 0, NULL), PV_OK);
	for (size_t r = 1; r < g_csv.nrows; r++)
		if (b[r] == bucket)
			assert_reads(v, cust(r, "customer_id"));
	pvt_vclose(v);
	v = pvt_open_root(f->dir, NULL, g_key_path);
	assert_false(exists(f->journal));
	for (size_t r = 1; r < g_csv.nrows; r++)
		if (b[r] == bucket)
			assert_reads(v, cust(r, "customer_id"));
	pvt_vclose(v);
	k = read_bytes(f->keyring, &klen);
	assert_non_null(k);
	assert_memory_equal(k, k0, k0len);
	free(k);
	assert_false(exists(f->ledger));
}

/* Slot images of the slots that differ between two keyrings, as a journal. */
static uint8_t *journal_from(const uint8_t *before, const uint8_t *after, size_t *len,
			     size_t *nslots)
{
	uint8_t *j = pvt_keep(malloc(SLOTS * (4 + KR_SLOT)));
	assert_non_null(j);
	size_t n = 0;
	for (uint32_t s = 0; s < SLOTS; s++) {
		const uint8_t *a = before + KR_HEADER + s * KR_SLOT, *z = after + KR_HEADER + s * KR_SLOT;
		if (memcmp(a, z, KR_SLOT) == 0)
			continue;
		put_u32(j + n * (4 + KR_SLOT), s);
		memcpy(j + n * (4 + KR_SLOT) + 4, z, KR_SLOT);
		n++;
	}
	*len = n * (4 + KR_SLOT);
	*nslots = n;
	return j;
}

/* A crash after the store committed and before the slots were overwritten: the journal
 * is applied at open. A crash before the commit (the old data files with the old keyring
 * and the journal): dropped. */
static void test_journal_applied_after_commit(void **state)
{
	struct fx *f = *state;
	pv_vault *v = pvt_open_root(f->dir, NULL, g_key_path);
	uint32_t *b = buckets_of(v);
	size_t vr = pick_victim(b, 0);
	const char *victim = cust(vr, "customer_id");
	uint32_t bucket = b[vr];
	pvt_vclose(v);
	/* A full copy from before the shred: data files and keyring. */
	char *pre = pvt_keep(pvt_path(f->tmp, "pre"));
	assert_int_equal(pvt_run(NULL, "mkdir '%s' && cp -a '%s' '%s' '%s/'", pre, f->dir, f->keyring,
				 pre), 0);
	pvt_vault_copied(pvt_keep(pvt_path(pre, "vault")));
	size_t k0len = 0;
	uint8_t *k0 = pvt_keep(read_bytes(f->keyring, &k0len));
	assert_non_null(k0);

	v = pvt_open_root(f->dir, NULL, g_key_path);
	const char *ids[] = { victim };
	shred_root(v, ids, 1);
	pvt_vclose(v);
	size_t k1len = 0;
	uint8_t *k1 = pvt_keep(read_bytes(f->keyring, &k1len));
	assert_non_null(k1);
	assert_int_equal(k1len, k0len);
	size_t jlen = 0, nslots = 0;
	uint8_t *journal = journal_from(k0, k1, &jlen, &nslots);
	assert_int_equal(nslots, 1);
	assert_int_equal(get_u32(journal), bucket);

	/* Committed store, keyring not yet overwritten: without the journal the bucket
	 * mates cannot be read ... */
	assert_int_equal(pvt_write_file(f->keyring, k0, k0len), 0);
	v = pvt_open_root(f->dir, NULL, g_key_path);
	for (size_t r = 1; r < g_csv.nrows; r++)
		if (b[r] == bucket && r != vr)
			assert_int_equal(get_rc(v, cust(r, "customer_id")), PV_ERR_CORRUPT);
	pvt_vclose(v);
	/* ... with it, the open finishes the shred. */
	assert_int_equal(pvt_write_file(f->journal, journal, jlen), 0);
	v = pvt_open_root(f->dir, NULL, g_key_path);
	assert_false(exists(f->journal));
	for (size_t r = 1; r < g_csv.nrows; r++)
		if (b[r] == bucket && r != vr)
			assert_reads(v, cust(r, "customer_id"));
	assert_int_equal(get_rc(v, victim), PV_ERR_NOT_FOUND);
	pvt_vclose(v);
	size_t klen = 0;
	uint8_t *k = read_bytes(f->keyring, &klen);
	assert_non_null(k);
	assert_int_equal(klen, k1len);
	assert_memory_equal(k, k1, klen);
	free(k);

	/* Crash before the commit: the data files and keyring from before, and the
	 * journal. Opening drops the journal; everyone, the victim included, reads. */
	char *pre_dir = pvt_keep(pvt_path(pre, "vault"));
	char *pre_kr = pvt_keep(pvt_path(pre, "vault.keyring"));
	char *pre_journal = pvt_keep(pvt_path(pre, "vault.keyring.journal"));
	assert_int_equal(pvt_write_file(pre_journal, journal, jlen), 0);
	v = pvt_open_root(pre_dir, NULL, g_key_path);
	assert_false(exists(pre_journal));
	for (size_t r = 1; r < g_csv.nrows; r++)
		if (b[r] == bucket)
			assert_reads(v, cust(r, "customer_id"));
	pvt_vclose(v);
	k = read_bytes(pre_kr, &klen);
	assert_non_null(k);
	assert_memory_equal(k, k0, k0len);
	free(k);
}

/* A shred of many buckets killed after its commit, before the keyring's overwrite: the
 * next open applies the journal at a cost that grows with the journal, not with the
 * number of customers (one index lookup per journalled slot, no table scan: it was one
 * full scan of the customers per slot, minutes on 100,000 customers). */
static void test_journal_recovery_cost(void **state)
{
	struct fx *f = *state;
	pv_vault *v = pvt_open_root(f->dir, NULL, g_key_path);
	uint32_t *b = buckets_of(v);
	pvt_vclose(v);
	/* one customer of every bucket that has mates: a journal of nearly every slot */
	const char *ids[SLOTS];
	size_t victim_row[SLOTS], n = 0;
	int taken[SLOTS] = { 0 };
	for (size_t r = 1; r < g_csv.nrows; r++)
		if (!taken[b[r]] && bucket_size(b, b[r]) >= 2) {
			taken[b[r]] = 1;
			victim_row[n] = r;
			ids[n++] = cust(r, "customer_id");
		}
	assert_true(n >= SLOTS / 2);
	size_t k0len = 0, k1len = 0;
	uint8_t *k0 = pvt_keep(read_bytes(f->keyring, &k0len));
	assert_non_null(k0);
	v = pvt_open_root(f->dir, NULL, g_key_path);
	shred_root(v, ids, n);
	pvt_vclose(v);
	uint8_t *k1 = pvt_keep(read_bytes(f->keyring, &k1len));
	assert_non_null(k1);
	size_t jlen = 0, nslots = 0;
	uint8_t *journal = journal_from(k0, k1, &jlen, &nslots);
	assert_int_equal(nslots, n);

	/* the state of a kill between the commit and the overwrite */
	assert_int_equal(pvt_write_file(f->keyring, k0, k0len), 0);
	assert_int_equal(pvt_write_file(f->journal, journal, jlen), 0);
	v = pvt_open_root(f->dir, NULL, g_key_path);
	assert_false(exists(f->journal));
	struct pv_store_bucket_checks c = pv_store_bucket_check_counts(v->store);
	if (c.queries != n || c.scan_steps != 0 || c.steps > 40 * n)
		fail_msg("recovering a journal of %zu slots over %zu customers took %llu queries, "
			 "%llu steps, %llu of them in table scans", n, g_csv.nrows - 1,
			 (unsigned long long)c.queries, (unsigned long long)c.steps,
			 (unsigned long long)c.scan_steps);
	if (pvt_dba_pg(f->dir)) {
		/* PostgreSQL counts the checks but tells no steps: the twin of "no table
		 * scan" is that an index serves the check (a sequential scan is what the
		 * planner still picks, scans disabled, when none can) */
		char *plan = NULL;
		assert_int_equal(pvt_dba(&plan, f->dir, "SET enable_seqscan = off; EXPLAIN "
					 "SELECT 1 FROM customers WHERE bucket = 3 AND "
					 "bucket_gen < 2 LIMIT 1"), 0);
		if (strstr(plan, "Seq Scan") || !strstr(plan, "Index"))
			fail_msg("no index serves a bucket's check: %s", plan);
		free(plan);
	}
	for (size_t r = 1; r < g_csv.nrows; r++) {
		int shredded = 0;
		for (size_t i = 0; i < n; i++)
			shredded |= victim_row[i] == r;
		if (shredded)
			assert_int_equal(get_rc(v, cust(r, "customer_id")), PV_ERR_NOT_FOUND);
		else
			assert_reads(v, cust(r, "customer_id"));
	}
	pvt_vclose(v);
	size_t klen = 0;
	uint8_t *k = pvt_keep(read_bytes(f->keyring, &klen));
	assert_non_null(k);
	assert_int_equal(klen, k1len);
	assert_memory_equal(k, k1, klen);
}

/* A shred run inside a batch (pv_vault_batch_begin) that the caller then discards must
 * not leave the bucket mates unreadable: either the shred is refused inside a batch, or
 * its keyring change follows the batch's fate. */
static void test_shred_in_discarded_batch(void **state)
{
	struct fx *f = *state;
	pv_vault *v = pvt_open_root(f->dir, NULL, g_key_path);
	uint32_t *b = buckets_of(v);
	size_t vr = pick_victim(b, 0);
	const char *victim = cust(vr, "customer_id");
	uint32_t bucket = b[vr];
	const char *ids[] = { victim };
	char *cert = NULL;
	assert_ok(v, pv_vault_batch_begin(v));
	pv_rc rc = pv_shred(v, &ADMIN, ids, 1, &cert);
	pvt_keep(cert);
	print_message("shred inside a batch: rc %d: %s\n", rc, pv_errmsg(v));
	assert_int_equal(pv_vault_batch_end(v, 0), PV_OK);
	for (size_t r = 1; r < g_csv.nrows; r++)
		if (b[r] == bucket && r != vr) {
			pv_rc mrc = get_rc(v, cust(r, "customer_id"));
			if (mrc != PV_OK)
				fail_msg("bucket mate %s unreadable after a shred in a discarded batch "
					 "(shred rc %d): rc %d: %s", cust(r, "customer_id"), rc, mrc,
					 pv_errmsg(v));
		}
	pv_rc vrc = get_rc(v, victim); /* rolled back (readable) or gone, not half-destroyed */
	if (vrc != PV_OK && vrc != PV_ERR_NOT_FOUND)
		fail_msg("victim after a shred in a discarded batch: rc %d: %s", vrc, pv_errmsg(v));
	pvt_vclose(v);
	v = pvt_open_root(f->dir, NULL, g_key_path);
	for (size_t r = 1; r < g_csv.nrows; r++)
		if (b[r] == bucket && r != vr)
			assert_reads(v, cust(r, "customer_id"));
	pvt_vclose(v);
}

/* Two sessions open at once (as at two desks): session A has read a customer of the
 * victim's bucket (so it holds that bucket's key), session S shreds the victim. A must
 * then still read the bucket mates, whose data keys S re-wrapped under the new key. */
static void test_shred_with_other_session_open(void **state)
{
	struct fx *f = *state;
	pv_vault *a = pvt_open_root(f->dir, NULL, g_key_path);
	uint32_t *b = buckets_of(a);
	size_t vr = pick_victim(b, 0);
	const char *victim = cust(vr, "customer_id");
	size_t mate = 0;
	for (size_t r = 1; r < g_csv.nrows && !mate; r++)
		if (b[r] == b[vr] && r != vr)
			mate = r;
	assert_reads(a, cust(mate, "customer_id"));
	pv_vault *s = pvt_open_root(f->dir, NULL, g_key_path);
	const char *ids[] = { victim };
	char *cert = shred_root(s, ids, 1);
	pvt_vclose(s);
	char h[65];
	cert_hash(cert, h);
	struct ledger l = ledger_read(f->ledger);
	assert_int_equal(ledger_id_lines(&l, victim, h), 1);
	ledger_free(&l);
	assert_int_equal(get_rc(a, victim), PV_ERR_NOT_FOUND);
	for (size_t r = 1; r < g_csv.nrows; r++)
		if (b[r] == b[vr] && r != vr)
			assert_reads(a, cust(r, "customer_id"));
	pvt_vclose(a);
}

/* The same two sessions: after S's shred, A imports customers, some of them into the
 * re-keyed bucket. They must read once the vault is opened again. */
static void test_import_in_other_session_after_shred(void **state)
{
	struct fx *f = *state;
	pv_vault *a = pvt_open_root(f->dir, NULL, g_key_path);
	uint32_t *b = buckets_of(a);
	/* 200 new customers C00001000..; the victim is one whose bucket some of them share
	 * (buckets come from the vault's random key, so it is looked for). */
	char newids[200][16];
	for (unsigned i = 0; i < 200; i++)
		snprintf(newids[i], sizeof newids[i], "C%08u", 1000 + i);
	size_t vr = 0, in_bucket = 0;
	for (size_t skip = 0; !in_bucket; skip = vr) {
		vr = pick_victim(b, skip); /* fails the test when there is none left */
		for (unsigned i = 0; i < 200; i++)
			in_bucket += pv_bucket_of(a, newids[i]) == b[vr];
	}
	const char *victim = cust(vr, "customer_id");
	size_t mate = 0;
	for (size_t r = 1; r < g_csv.nrows && !mate; r++)
		if (b[r] == b[vr] && r != vr)
			mate = r;
	assert_reads(a, cust(mate, "customer_id"));
	pv_vault *s = pvt_open_root(f->dir, NULL, g_key_path);
	const char *ids[] = { victim };
	shred_root(s, ids, 1);
	pvt_vclose(s);

	char *more = pvt_keep(pvt_path(f->tmp, "more.csv"));
	assert_int_equal(pvt_run(NULL, "'%s' -n 200 --start 1000 --seed 5 --canonical -o '%s'",
				 pvt_program("pvgen"), more), 0);
	pv_import_opts io = { .threads = 2 };
	pv_import_result *res = NULL;
	pv_rc rc = pv_import_csv(a, &ADMIN, more, &io, &res);
	if (rc)
		fail_msg("pv_import_csv: %s", pv_errmsg(a));
	assert_int_equal(pv_import_rows_imported(res), 200);
	pv_import_free(res);
	pvt_vclose(a);

	a = pvt_open_root(f->dir, NULL, g_key_path);
	for (unsigned i = 0; i < 200; i++) {
		rc = get_rc(a, newids[i]);
		if (rc)
			fail_msg("%s imported by a session opened before the shred, in %s bucket: "
				 "rc %d: %s", newids[i],
				 pv_bucket_of(a, newids[i]) == b[vr] ? "the re-keyed" : "another", rc,
				 pv_errmsg(a));
	}
	pvt_vclose(a);
}

/* ---- 6. a step after the commit fails ---------------------------------------------- */

static int find_incomplete(void *ctx, const pv_audit_entry *e)
{
	const char **want = ctx; /* [0] the id, [1] set to the detail when found */
	if (strcmp(e->op, "shred") == 0 && strcmp(e->outcome, "incomplete") == 0 &&
	    strcmp(e->ids, want[0]) == 0)
		want[1] = strdup(e->detail);
	return 0;
}

/* The ledger cannot be written (here a directory in its place) after the shred committed:
 * the customer is gone and cannot come back, so the certificate is returned all the
 * same, with a message that says what was done, what failed and what is left to do. The
 * lines committed with the shred: once the ledger can be written, the next open adds them,
 * with the certificate, once only even when the vault is opened again from a copy that
 * still holds them (a crash between the append and forgetting them). */
static void test_ledger_unwritable_after_commit(void **state)
{
	struct fx *f = *state;
	assert_int_equal(mkdir(f->ledger, 0700), 0);
	pv_vault *v = pvt_open_root(f->dir, NULL, g_key_path);
	uint32_t *b = buckets_of(v);
	size_t vr = pick_victim(b, 0);
	const char *victim = cust(vr, "customer_id");
	const char *ids[] = { victim };
	char *cert = NULL, pk[65], why[256];
	assert_ok(v, pv_vault_public_key(v, pk));
	assert_int_equal(pv_shred(v, &ADMIN, ids, 1, &cert), PV_ERR_IO);
	if (!cert)
		fail_msg("the shred committed but its certificate was lost: %s", pv_errmsg(v));
	pvt_keep(cert);
	assert_int_equal(pvt_certificate_verify(cert, pk, why, sizeof why), PV_OK);
	assert_non_null(strstr(cert, victim));
	char want[512];
	snprintf(want, sizeof want, "1 customer was shredded and the certificate issued, but the "
		 "shred ledger is not up to date (%s cannot be opened: Is a directory). Its lines "
		 "are kept in the vault and added at its next open; until then, restore no backup "
		 "made before now", f->ledger);
	const char *m = pv_errmsg(v);
	if (strncmp(m, want, strlen(want)) != 0 || !strstr(m, "unreadable"))
		fail_msg("the message does not say what happened and what is left: %s", m);
	char said[1024];
	snprintf(said, sizeof said, "%s", m);
	const char *logged[2] = { victim, NULL }; /* the log says so too */
	assert_ok(v, pv_audit_log(v, &ADMIN, NULL, find_incomplete, logged));
	if (!logged[1])
		fail_msg("no 'incomplete' shred entry in the audit log");
	assert_string_equal(logged[1], said);
	free((char *)logged[1]);
	assert_int_equal(get_rc(v, victim), PV_ERR_NOT_FOUND);
	for (size_t r = 1; r < g_csv.nrows; r++)
		if (b[r] == b[vr] && r != vr)
			assert_reads(v, cust(r, "customer_id"));
	pvt_vclose(v);
	/* a copy of the database as it is now, its ledger lines not yet in the file */
	char *copy = pvt_keep(pvt_path(f->tmp, "vault.copy"));
	assert_int_equal(pvt_run(NULL, "cp -a '%s' '%s'", f->dir, copy), 0);
	pvt_vault_copied(copy);
	/* still unwritable: the open works, the lines wait */
	v = pvt_open_root(f->dir, NULL, g_key_path);
	assert_false(exists(f->journal));
	assert_int_equal(get_rc(v, victim), PV_ERR_NOT_FOUND);
	for (size_t r = 1; r < g_csv.nrows; r++)
		if (b[r] == b[vr] && r != vr)
			assert_reads(v, cust(r, "customer_id"));
	pvt_vclose(v);
	/* writable again: the next open adds the shred's lines and its certificate */
	assert_int_equal(rmdir(f->ledger), 0);
	v = pvt_open_root(f->dir, NULL, g_key_path);
	pvt_vclose(v);
	char h[65];
	cert_hash(cert, h);
	json_t *heads = NULL;
	json_t *lines = pvt_ledger_read(f->ledger, (void **)&heads);
	struct ledger l = { lines };
	assert_int_equal(ledger_id_lines(&l, victim, h), 1);
	assert_int_equal(json_array_size(heads), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(heads, 0),
							      "certificate_text")), cert);
	json_decref(heads);
	ledger_free(&l);
	/* the copy still holds them: opened again, the lines are found in the file, not
	 * added twice */
	pvt_vault_restore(copy, f->dir);
	v = pvt_open_root(f->dir, NULL, g_key_path);
	pvt_vclose(v);
	l = ledger_read(f->ledger);
	assert_int_equal(ledger_id_lines(&l, victim, h), 1);
	ledger_free(&l);
}

/* A ledger whose last line was cut short (a kill or a full disk in the middle of an
 * append): the next shred's lines start on a line of their own, never glued onto the torn
 * one (which would lose the first of them: a customer a restore would not remove again). */
static void test_ledger_torn_line_not_glued(void **state)
{
	struct fx *f = *state;
	static const char torn[] = "{\"id\":\"C00000";
	assert_int_equal(pvt_write_file(f->ledger, torn, strlen(torn)), 0);
	pv_vault *v = pvt_open_root(f->dir, NULL, g_key_path);
	uint32_t *b = buckets_of(v);
	const char *victim = cust(pick_victim(b, 0), "customer_id");
	const char *ids[] = { victim };
	char h[65];
	cert_hash(shred_root(v, ids, 1), h);
	pvt_vclose(v);
	char *text = pvt_keep(pvt_read_file(f->ledger, NULL));
	assert_non_null(text);
	size_t tl = strlen(torn);
	if (strncmp(text, torn, tl) != 0 || text[tl] != '\n')
		fail_msg("the shred's lines were glued onto the torn line:\n%.300s", text);
	assert_int_equal(pvt_write_file(f->ledger, text + tl + 1, strlen(text + tl + 1)), 0);
	struct ledger l = ledger_read(f->ledger); /* every line after the torn one is whole */
	assert_int_equal(ledger_id_lines(&l, victim, h), 1);
	ledger_free(&l);
}

/* The same through the command, the ledger a symbolic link (never written through): the
 * certificate is written where asked, the message printed, exit status 3 (shredded, a
 * step left to do), and the link's target untouched. */
static void test_cli_ledger_unwritable(void **state)
{
	struct fx *f = *state;
	char *target = pvt_keep(pvt_path(f->tmp, "elsewhere.txt"));
	assert_int_equal(pvt_write_file(target, "kept\n", 5), 0);
	assert_int_equal(symlink(target, f->ledger), 0);
	pv_vault *v = pvt_open_root(f->dir, NULL, g_key_path);
	uint32_t *b = buckets_of(v);
	const char *victim = cust(pick_victim(b, 0), "customer_id");
	char pk[65], why[256];
	assert_ok(v, pv_vault_public_key(v, pk));
	pvt_vclose(v);
	const char *pv = pvt_program("pivault-test");
	char *certp = pvt_keep(pvt_path(f->tmp, "cert.json"));
	char *errp = pvt_keep(pvt_path(f->tmp, "stderr.txt"));
	assert_int_equal(pvt_run(NULL, "PIVAULT_VAULT='%s' PIVAULT_KEY_FILE='%s' '%s' shred %s "
				 "--role admin -o '%s' 2>'%s'", f->dir, g_key_path, pv, victim,
				 certp, errp), 3);
	char *cert = pvt_keep(pvt_read_file(certp, NULL));
	assert_non_null(cert);
	assert_int_equal(pvt_certificate_verify(cert, pk, why, sizeof why), PV_OK);
	char *err = pvt_keep(pvt_read_file(errp, NULL));
	assert_non_null(err);
	if (!strstr(err, "1 customer was shredded and the certificate issued, but the shred "
			 "ledger is not up to date") || !strstr(err, "kept in the vault"))
		fail_msg("stderr does not say what happened: %s", err);
	char *kept = pvt_keep(pvt_read_file(target, NULL));
	assert_string_equal(kept, "kept\n");
	/* shredded: a second run finds nothing to shred */
	assert_int_equal(pvt_run(NULL, "PIVAULT_VAULT='%s' PIVAULT_KEY_FILE='%s' '%s' shred %s "
				 "--role admin 2>'%s' >/dev/null", f->dir, g_key_path, pv, victim,
				 errp), 1);
}

/* ---- 6. the pivault command -------------------------------------------------------- */

static void test_cli(void **state)
{
	struct fx *f = *state;
	pv_vault *v = pvt_open_root(f->dir, NULL, g_key_path);
	uint32_t *b = buckets_of(v);
	size_t vr = pick_victim(b, 0);
	const char *victim = cust(vr, "customer_id");
	char pk_api[65];
	assert_ok(v, pv_vault_public_key(v, pk_api));
	pvt_vclose(v);
	const char *pv = pvt_program("pivault-test");
	char *certp = pvt_keep(pvt_path(f->tmp, "cert.json"));
	char *errp = pvt_keep(pvt_path(f->tmp, "stderr.txt"));
	char *out = NULL;

	assert_int_equal(pvt_run(NULL, "PIVAULT_VAULT='%s' PIVAULT_KEY_FILE='%s' '%s' shred %s "
				 "--role admin -o '%s' 2>'%s'", f->dir, g_key_path, pv, victim,
				 certp, errp), 0);
	assert_true(exists(certp));
	assert_int_equal(pvt_run(&out, "PIVAULT_VAULT='%s' PIVAULT_KEY_FILE='%s' '%s' pubkey "
				 "--role admin 2>'%s'", f->dir, g_key_path, pv, errp), 0);
	pvt_keep(out);
	assert_int_equal(strlen(out), 65);
	assert_int_equal(out[64], '\n');
	char pk[65];
	snprintf(pk, sizeof pk, "%s", out);
	assert_string_equal(pk, pk_api);
	/* The customer is gone. */
	assert_int_equal(pvt_run(NULL, "PIVAULT_VAULT='%s' PIVAULT_KEY_FILE='%s' '%s' get %s "
				 "--role admin --purpose all 2>'%s' >/dev/null", f->dir, g_key_path,
				 pv, victim, errp), 1);

	/* Verify without any vault in the environment. */
	char *vout = NULL;
	assert_int_equal(pvt_run(&vout, "cd '%s' && env -i PATH=\"$PATH\" '%s' certificate verify "
				 "cert.json --public-key %s 2>'%s'", f->tmp, pv, pk, errp), 0);
	pvt_keep(vout);
	assert_non_null(strstr(vout, "valid"));
	assert_int_equal(pvt_run(NULL, "cd '%s' && env -i PATH=\"$PATH\" '%s' certificate verify "
				 "cert.json --public-key %s 2>'%s'", f->tmp, pv, g_other_pk, errp), 1);
	assert_int_equal(pvt_run(NULL, "env -i PATH=\"$PATH\" '%s' certificate verify '%s' "
				 "2>'%s'", pv, certp, errp), 2);

	/* Tampered: one field, then one signature digit. */
	char *text = pvt_read_file(certp, NULL);
	assert_non_null(text);
	pvt_keep(text);
	char *t1 = replace_once(text, "\"count\": 1,", "\"count\": 2,");
	char *t1p = pvt_keep(pvt_path(f->tmp, "tampered.json"));
	assert_int_equal(pvt_write_file(t1p, t1, strlen(t1)), 0);
	assert_int_equal(pvt_run(NULL, "env -i PATH=\"$PATH\" '%s' certificate verify '%s' "
				 "--public-key %s 2>'%s'", pv, t1p, pk, errp), 1);
	char *serr = pvt_read_file(errp, NULL);
	assert_non_null(serr);
	pvt_keep(serr);
	assert_non_null(strstr(serr, "does not verify"));
	char *t2 = replace_once(text, victim, "C09999999");
	assert_int_equal(pvt_write_file(t1p, t2, strlen(t2)), 0);
	assert_int_equal(pvt_run(NULL, "env -i PATH=\"$PATH\" '%s' certificate verify '%s' "
				 "--public-key %s 2>'%s'", pv, t1p, pk, errp), 1);
	/* The untouched file still verifies. */
	assert_int_equal(pvt_run(NULL, "env -i PATH=\"$PATH\" '%s' certificate verify '%s' "
				 "--public-key %s >/dev/null 2>'%s'", pv, certp, pk, errp), 0);
	/* -o refuses to overwrite, and a second shred of the id fails. */
	assert_int_equal(pvt_run(NULL, "PIVAULT_VAULT='%s' PIVAULT_KEY_FILE='%s' '%s' shred %s "
				 "--role admin -o '%s' 2>'%s'", f->dir, g_key_path, pv, victim,
				 certp, errp), 1);
}

/* The certificate file is lost (or never written: a kill right after the commit): the
 * shred ledger keeps it, and `certificate list` / `certificate show` give it back, the
 * same bytes, still verifying. */
static void test_cli_certificate_kept(void **state)
{
	struct fx *f = *state;
	pv_vault *v = pvt_open_root(f->dir, NULL, g_key_path);
	uint32_t *b = buckets_of(v);
	const char *victim = cust(pick_victim(b, 0), "customer_id");
	char pk[65];
	assert_ok(v, pv_vault_public_key(v, pk));
	pvt_vclose(v);
	const char *pv = pvt_program("pivault-test");
	char *certp = pvt_keep(pvt_path(f->tmp, "cert.json"));
	char *again = pvt_keep(pvt_path(f->tmp, "again.json"));
	char *errp = pvt_keep(pvt_path(f->tmp, "stderr.txt"));
	assert_int_equal(pvt_run(NULL, "PIVAULT_VAULT='%s' PIVAULT_KEY_FILE='%s' '%s' shred %s "
				 "--role admin -o '%s' 2>'%s'", f->dir, g_key_path, pv, victim,
				 certp, errp), 0);
	char *text = pvt_keep(pvt_read_file(certp, NULL));
	assert_non_null(text);
	assert_int_equal(unlink(certp), 0);
	size_t tl = strlen(text);
	while (tl && text[tl - 1] == '\n')
		text[--tl] = '\0';
	char h[65];
	cert_hash(text, h);

	char *out = NULL;
	assert_int_equal(pvt_run(&out, "PIVAULT_VAULT='%s' PIVAULT_KEY_FILE='%s' '%s' certificate "
				 "list --json 2>'%s'", f->dir, g_key_path, pv, errp), 0);
	pvt_keep(out);
	json_t *list = json_loads(out, 0, NULL);
	if (!json_is_array(list))
		fail_msg("certificate list --json printed: %s", out);
	assert_int_equal(json_array_size(list), 1);
	json_t *one = json_array_get(list, 0);
	assert_string_equal(json_string_value(json_object_get(one, "hash")), h);
	assert_int_equal(json_integer_value(json_object_get(one, "customers")), 1);
	json_decref(list);

	char prefix[13];
	memcpy(prefix, h, 12);
	prefix[12] = '\0';
	assert_int_equal(pvt_run(NULL, "PIVAULT_VAULT='%s' PIVAULT_KEY_FILE='%s' '%s' certificate "
				 "show %s -o '%s' 2>'%s'", f->dir, g_key_path, pv, prefix, again,
				 errp), 0);
	char *back = pvt_keep(pvt_read_file(again, NULL));
	assert_non_null(back);
	size_t bl = strlen(back);
	while (bl && back[bl - 1] == '\n')
		back[--bl] = '\0';
	assert_string_equal(back, text);
	assert_int_equal(pvt_run(NULL, "'%s' certificate verify '%s' --public-key %s >/dev/null "
				 "2>'%s'", pv, again, pk, errp), 0);
	/* a hash it does not keep, and one too short to tell */
	assert_int_equal(pvt_run(NULL, "PIVAULT_VAULT='%s' PIVAULT_KEY_FILE='%s' '%s' certificate "
				 "show %s 2>'%s' >/dev/null", f->dir, g_key_path, pv,
				 h[0] == '0' ? "1111111111" : "0000000000", errp), 1);
	assert_int_equal(pvt_run(NULL, "PIVAULT_VAULT='%s' PIVAULT_KEY_FILE='%s' '%s' certificate "
				 "show abc 2>'%s' >/dev/null", f->dir, g_key_path, pv, errp), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_old_copy_cannot_yield_victim, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_certificate, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_cli_certificate_kept, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_shred_many_and_unknown, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_damaged_record_is_shredded, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_roles_and_approval, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_journal_discarded_when_not_committed, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_journal_applied_after_commit, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_journal_recovery_cost, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_shred_in_discarded_batch, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_shred_with_other_session_open, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_import_in_other_session_after_shred, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_ledger_unwritable_after_commit, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_cli_ledger_unwritable, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_ledger_torn_line_not_glued, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_cli, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
