/* SPDX-License-Identifier: Apache-2.0 */
/* test_vault.c: creating and reopening vaults with a key file and with a passphrase, and
 * every way an open or a create can be refused (wrong key, wrong kind of key, foreign,
 * damaged or missing keyring, non-empty directory, bad schema), each with a clear error
 * and with the vault's files left byte for byte as they were. */
#include "dba.h"
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pivault.h"

#define SLOTS 1024u
#define KEYRING_BYTES(slots) (64u + 80u * (uint64_t)(slots))
#define SCHEMA PV_SOURCE_DIR "/examples/schema.yaml"
#define BAD_SCHEMA PV_SOURCE_DIR "/tests/schemas/unknown_type.yaml"

static const char PASS[] = "correct horse battery staple";
static const char WRONG_PASS[] = "correct horse battery stapl3";

/* ---- helpers ----------------------------------------------------------------------- */

/* Per-test state: a scratch root removed by the teardown, whatever the outcome. */
struct fx {
	char *root;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	f->root = pvt_tempdir();
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	pvt_rmtree(f->root);
	free(f->root);
	free(f);
	return 0;
}

static int exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static long long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* Names in dir (sorted, '/'-separated) in a malloc'd string; NULL if dir is absent.
 * SQLite's shared-memory index (vault.db-shm) is left out: it holds no data and may come
 * and go with any reader. */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *dir_listing(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	char *names[256];
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && n < 256)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    strcmp(e->d_name, "vault.db-shm"))
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof *names, cmp_str);
	size_t len = 1;
	for (size_t i = 0; i < n; i++)
		len += strlen(names[i]) + 1;
	char *out = calloc(1, len);
	assert_non_null(out);
	for (size_t i = 0; i < n; i++) {
		strcat(out, names[i]);
		strcat(out, "/");
		free(names[i]);
	}
	return out;
}

/* The operation and outcome of the last audit entry listed before the listing's own. */
struct last_entry {
	char op_outcome[96], prev[96];
};

static int keep_last_entry(void *ctx, const pv_audit_entry *e)
{
	struct last_entry *l = ctx;
	memcpy(l->op_outcome, l->prev, sizeof l->prev);
	snprintf(l->prev, sizeof l->prev, "%s %s", e->op, e->outcome);
	return 0;
}

/* What a vault in PostgreSQL holds: its record (the file store), then every row of its
 * schema (malloc'd). */
static char *store_text(const char *dir)
{
	char *record = pvt_path(dir, "store");
	char *text = pvt_read_file(record, NULL);
	free(record);
	assert_non_null(text);
	char *rows = pvt_dba_pg_dump(dir);
	char *all = malloc(strlen(text) + strlen(rows) + 1);
	assert_non_null(all);
	strcpy(all, text);
	strcat(all, rows);
	free(text);
	free(rows);
	return all;
}

/* Everything a failed open must leave alone: the directory's listing, vault.db, its
 * -wal (when present) and the keyring, byte for byte. A vault kept in PostgreSQL: its
 * record and every row of its schema, as its DBA reads them (there is no -wal). */
struct snap {
	char *listing;
	char *db, *wal, *kr;
	size_t dblen, wallen, krlen;
};

static void snap_take(struct snap *s, const char *dir, const char *keyring)
{
	memset(s, 0, sizeof *s);
	char *db = pvt_path(dir, "vault.db"), *wal = pvt_path(dir, "vault.db-wal");
	s->listing = dir_listing(dir);
	s->db = pvt_dba_pg(dir) ? store_text(dir) : pvt_read_file(db, &s->dblen);
	if (pvt_dba_pg(dir))
		s->dblen = strlen(s->db);
	s->wal = pvt_read_file(wal, &s->wallen);
	s->kr = keyring ? pvt_read_file(keyring, &s->krlen) : NULL;
	free(db);
	free(wal);
}

static void snap_free(struct snap *s)
{
	free(s->listing);
	free(s->db);
	free(s->wal);
	free(s->kr);
	memset(s, 0, sizeof *s);
}

static void blob_same(const char *what, const char *a, size_t alen, const char *b, size_t blen)
{
	if (!a || !b) {
		if (a != b)
			fail_msg("%s: %s before, %s after", what, a ? "present" : "absent",
				 b ? "present" : "absent");
		return;
	}
	if (alen != blen)
		fail_msg("%s: %zu bytes before, %zu after", what, alen, blen);
	if (memcmp(a, b, alen) != 0)
		fail_msg("%s: contents changed", what);
}

/* Fail unless dir and keyring are exactly as in before. */
static void snap_check(const struct snap *before, const char *dir, const char *keyring)
{
	struct snap now;
	snap_take(&now, dir, keyring);
	assert_non_null(before->db);
	blob_same("vault.db", before->db, before->dblen, now.db, now.dblen);
	blob_same("vault.db-wal", before->wal, before->wallen, now.wal, now.wallen);
	if (keyring)
		blob_same("keyring", before->kr, before->krlen, now.kr, now.krlen);
	assert_non_null(before->listing);
	assert_non_null(now.listing);
	assert_string_equal(before->listing, now.listing);
	snap_free(&now);
}

/* A new random key file at path, loaded. */
static pv_key *new_key_file(const char *path)
{
	assert_int_equal(pv_key_generate_file(path), PV_OK);
	pv_key *k = NULL;
	assert_int_equal(pv_key_from_file(path, &k), PV_OK);
	assert_non_null(k);
	return k;
}

static pv_key *passphrase(const char *p)
{
	pv_key *k = NULL;
	assert_int_equal(pv_key_from_passphrase(p, strlen(p), &k), PV_OK);
	assert_non_null(k);
	return k;
}

/* Create a vault at dir (keyring keyring or the default) and return it open. */
static pv_vault *create_ok(const char *dir, const char *keyring, const pv_key *key,
			   int kdf_fast)
{
	pv_create_opts o = { .schema_path = SCHEMA, .keyring_path = keyring, .keyring_slots = SLOTS,
			     .kdf_cost = kdf_fast };
	pv_vault *v = NULL;
	pv_rc rc = pv_vault_create(dir, &o, key, &v);
	if (rc != PV_OK)
		fail_msg("pv_vault_create(%s): %s: %s", dir, pv_strerror(rc), pv_errmsg(v));
	assert_non_null(v);
	return v;
}

/* Open must fail with want_rc and a message containing each of the NULL-terminated
 * parts, and must set *out even so. */
static void open_fails(const char *dir, const char *keyring, const pv_key *key, pv_rc want_rc,
		       const char *const *parts)
{
	pv_vault *v = NULL;
	pv_rc rc = pv_vault_open(dir, keyring, key, &v);
	assert_non_null(v);
	if (rc != want_rc)
		fail_msg("pv_vault_open(%s): got %d (%s: %s), want %d (%s)", dir, (int)rc,
			 pv_strerror(rc), pv_errmsg(v), (int)want_rc, pv_strerror(want_rc));
	const char *msg = pv_errmsg(v);
	assert_non_null(msg);
	for (size_t i = 0; parts && parts[i]; i++)
		if (!strstr(msg, parts[i]))
			fail_msg("message \"%s\" does not mention \"%s\"", msg, parts[i]);
	/* never the secret */
	assert_null(strstr(msg, PASS));
	assert_null(strstr(msg, WRONG_PASS));
	pv_vault_close(v);
}

/* Write a few customers (pvgen) and import them as admin. */
static void import_sample(pv_vault *v, const char *root, unsigned n)
{
	char *csv = pvt_path(root, "sample.csv");
	assert_int_equal(pvt_run(NULL, "'%s' -n %u --seed 11 -o '%s'", pvt_program("pvgen"), n,
				 csv), 0);
	pv_access admin = { "admin", NULL, 1 };
	pv_import_opts io = { 0 };
	io.threads = 2;
	pv_import_result *res = NULL;
	pv_rc rc = pv_import_csv(v, &admin, csv, &io, &res);
	if (rc != PV_OK)
		fail_msg("import: %s", pv_errmsg(v));
	assert_int_equal(pv_import_rows_imported(res), n);
	pv_import_free(res);
	free(csv);
}

static uint64_t count_of(pv_vault *v)
{
	uint64_t n = 12345;
	assert_int_equal(pv_vault_count(v, &n), PV_OK);
	return n;
}

/* ---- create and reopen -------------------------------------------------------------- */

static void test_create_reopen_key_file(void **state)
{
	struct fx *f = *state;
	char *dir = pvt_path(f->root, "v"), *kr = pvt_path(f->root, "v.keyring");
	char *keyp = pvt_path(f->root, "root.key");
	pv_key *key = new_key_file(keyp);
	assert_int_equal(file_size(keyp), 32);

	assert_false(exists(dir));
	pv_vault *v = create_ok(dir, NULL, key, 0);
	char id[33];
	assert_int_equal(strlen(pv_vault_id(v)), 32);
	assert_int_equal(strspn(pv_vault_id(v), "0123456789abcdef"), 32);
	memcpy(id, pv_vault_id(v), 33);
	size_t slen;
	char *schema = pvt_read_file(SCHEMA, &slen);
	assert_non_null(schema);
	assert_string_equal(pv_vault_schema_text(v), schema);
	free(schema);
	assert_int_equal(count_of(v), 0);
	import_sample(v, f->root, 5);
	assert_int_equal(count_of(v), 5);
	pv_vault_close(v);

	/* The keyring sits beside the directory, not in it, with the documented size. */
	assert_true(exists(kr));
	assert_int_equal(file_size(kr), (long long)KEYRING_BYTES(SLOTS));
	char *listing = dir_listing(dir);
	assert_non_null(listing);
	assert_null(strstr(listing, "keyring"));
	if (pvt_dba_pg(dir)) /* the data is in the schema: the directory holds only its record */
		assert_string_equal(listing, "store/");
	else
		assert_non_null(strstr(listing, "vault.db/"));
	free(listing);

	v = NULL;
	assert_int_equal(pv_vault_open(dir, NULL, key, &v), PV_OK);
	assert_string_equal(pv_vault_id(v), id);
	assert_int_equal(count_of(v), 5);
	pv_access admin = { "admin", "all", 1 };
	pv_record *r = NULL;
	assert_int_equal(pv_get(v, &admin, "C00000003", &r), PV_OK);
	assert_string_equal(pv_record_id(r), "C00000003");
	pv_record_free(r);
	pv_vault_close(v);

	/* The same key loaded again from the file opens it too; the keyring named explicitly
	 * as well. */
	pv_key *again = NULL;
	assert_int_equal(pv_key_from_file(keyp, &again), PV_OK);
	v = NULL;
	assert_int_equal(pv_vault_open(dir, kr, again, &v), PV_OK);
	assert_string_equal(pv_vault_id(v), id);
	pv_vault_close(v);
	pv_key_free(again);

	pv_key_free(key);
	free(dir);
	free(kr);
	free(keyp);
}

static void test_create_reopen_passphrase(void **state)
{
	struct fx *f = *state;
	char *dir = pvt_path(f->root, "pv"), *kr = pvt_path(f->root, "pv.keyring");
	pv_key *key = passphrase(PASS);
	pv_vault *v = create_ok(dir, NULL, key, 1);
	char id[33];
	memcpy(id, pv_vault_id(v), 33);
	import_sample(v, f->root, 3);
	pv_vault_close(v);
	pv_key_free(key);

	assert_int_equal(file_size(kr), (long long)KEYRING_BYTES(SLOTS));
	/* The passphrase is stretched, never stored: it appears in no file (in PostgreSQL, in
	 * no row of the vault's schema nor in its record). */
	char *dbp = pvt_path(dir, "vault.db");
	size_t n;
	char *db = pvt_dba_pg(dir) ? store_text(dir) : pvt_read_file(dbp, &n);
	if (pvt_dba_pg(dir))
		n = strlen(db);
	assert_non_null(db);
	for (size_t i = 0; i + strlen(PASS) <= n; i++)
		assert_false(memcmp(db + i, PASS, strlen(PASS)) == 0);
	free(db);
	free(dbp);

	key = passphrase(PASS);
	v = NULL;
	assert_int_equal(pv_vault_open(dir, NULL, key, &v), PV_OK);
	assert_string_equal(pv_vault_id(v), id);
	assert_int_equal(count_of(v), 3);
	pv_access admin = { "admin", "all", 1 };
	pv_record *r = NULL;
	assert_int_equal(pv_get(v, &admin, "C00000002", &r), PV_OK);
	pv_record_free(r);
	pv_vault_close(v);
	pv_key_free(key);
	free(dir);
	free(kr);
}

static void test_keyring_default_path_trailing_slash(void **state)
{
	struct fx *f = *state;
	char *dir = pvt_path(f->root, "slashed/"), *kr = pvt_path(f->root, "slashed.keyring");
	char *keyp = pvt_path(f->root, "k");
	pv_key *key = new_key_file(keyp);
	pv_vault *v = create_ok(dir, NULL, key, 0);
	pv_vault_close(v);
	assert_int_equal(file_size(kr), (long long)KEYRING_BYTES(SLOTS));
	struct stat st;
	assert_int_equal(stat(kr, &st), 0);
	assert_int_equal(st.st_mode & 077, 0); /* key material: owner only */
	assert_int_equal(stat(keyp, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	v = NULL;
	assert_int_equal(pv_vault_open(dir, NULL, key, &v), PV_OK);
	pv_vault_close(v);

	/* An explicit keyring path elsewhere, with another slot count. */
	char *dir2 = pvt_path(f->root, "v2"), *kr2 = pvt_path(f->root, "elsewhere.kr");
	pv_create_opts o = { .schema_path = SCHEMA, .keyring_path = kr2, .keyring_slots = 16,
			     .kdf_cost = PV_KDF_STANDARD };
	v = NULL;
	assert_int_equal(pv_vault_create(dir2, &o, key, &v), PV_OK);
	pv_vault_close(v);
	assert_int_equal(file_size(kr2), (long long)KEYRING_BYTES(16));
	char *defkr2 = pvt_path(f->root, "v2.keyring");
	assert_false(exists(defkr2));
	const char *const want[] = { "keyring", NULL };
	open_fails(dir2, NULL, key, PV_ERR_NOT_FOUND, want); /* default path has none */
	v = NULL;
	assert_int_equal(pv_vault_open(dir2, kr2, key, &v), PV_OK);
	pv_vault_close(v);

	pv_key_free(key);
	free(defkr2);
	free(dir2);
	free(kr2);
	free(dir);
	free(kr);
	free(keyp);
}

/* ---- refused opens change nothing --------------------------------------------------- */

static void test_wrong_key_file(void **state)
{
	struct fx *f = *state;
	char *dir = pvt_path(f->root, "v"), *kr = pvt_path(f->root, "v.keyring");
	char *k1 = pvt_path(f->root, "right.key"), *k2 = pvt_path(f->root, "wrong.key");
	pv_key *key = new_key_file(k1), *wrong = new_key_file(k2);
	pv_vault *v = create_ok(dir, NULL, key, 0);
	import_sample(v, f->root, 4);
	pv_vault_close(v);

	struct snap before;
	snap_take(&before, dir, kr);
	const char *const want[] = { "wrong key file", NULL };
	open_fails(dir, NULL, wrong, PV_ERR_BAD_KEY, want);
	snap_check(&before, dir, kr);
	open_fails(dir, kr, wrong, PV_ERR_BAD_KEY, want);
	snap_check(&before, dir, kr);

	/* The right key still opens it and nothing was lost. */
	v = NULL;
	assert_int_equal(pv_vault_open(dir, NULL, key, &v), PV_OK);
	assert_int_equal(count_of(v), 4);
	pv_vault_close(v);
	snap_free(&before);
	pv_key_free(key);
	pv_key_free(wrong);
	free(dir);
	free(kr);
	free(k1);
	free(k2);
}

static void copy_file(const char *from, const char *to)
{
	size_t n;
	char *buf = pvt_read_file(from, &n);
	assert_non_null(buf);
	assert_int_equal(pvt_write_file(to, buf, n), 0);
	free(buf);
}

/* A vault left with committed data still in its write-ahead log (the process holding it
 * stopped before a checkpoint, as after a crash): a refused open must not checkpoint or
 * delete that log either. In PostgreSQL, whose log is the server's own, the
 * twin: the schema copied while the vault is open, and a refused open leaves its rows as
 * they were. */
static void test_wrong_key_with_pending_wal(void **state)
{
	struct fx *f = *state;
	char *dir = pvt_path(f->root, "live"), *keyp = pvt_path(f->root, "right.key");
	char *k2 = pvt_path(f->root, "wrong.key");
	pv_key *key = new_key_file(keyp), *wrong = new_key_file(k2);
	pv_vault *v = create_ok(dir, NULL, key, 0);
	import_sample(v, f->root, 20);

	/* Copy the files as they are while the vault is open: the log holds the import. */
	char *crash = pvt_path(f->root, "crashed"), *ckr = pvt_path(f->root, "crashed.keyring");
	char *src_db = pvt_path(dir, "vault.db"), *src_wal = pvt_path(dir, "vault.db-wal");
	char *src_kr = pvt_path(f->root, "live.keyring");
	char *dst_db = pvt_path(crash, "vault.db"), *dst_wal = pvt_path(crash, "vault.db-wal");
	int pg = pvt_dba_pg(dir);
	assert_int_equal(mkdir(crash, 0700), 0);
	if (pg) { /* the record, and the schema as it is (a copy of its own) */
		char *rec = pvt_path(dir, "store"), *crec = pvt_path(crash, "store");
		copy_file(rec, crec);
		pvt_vault_copied(crash);
		free(rec);
		free(crec);
	} else {
		assert_true(file_size(src_wal) > 0);
		copy_file(src_db, dst_db);
		copy_file(src_wal, dst_wal);
	}
	copy_file(src_kr, ckr);
	pv_vault_close(v);

	struct snap before;
	snap_take(&before, crash, ckr);
	if (!pg) {
		assert_non_null(before.wal);
		assert_true(before.wallen > 0);
	}
	const char *const want[] = { "wrong key file", NULL };
	open_fails(crash, NULL, wrong, PV_ERR_BAD_KEY, want);
	snap_check(&before, crash, ckr);
	snap_free(&before);

	/* The log was sound: the right key sees the 20 customers. */
	v = NULL;
	assert_int_equal(pv_vault_open(crash, NULL, key, &v), PV_OK);
	assert_int_equal(count_of(v), 20);
	pv_vault_close(v);

	pv_key_free(key);
	pv_key_free(wrong);
	free(dir);
	free(keyp);
	free(k2);
	free(crash);
	free(ckr);
	free(src_db);
	free(src_wal);
	free(src_kr);
	free(dst_db);
	free(dst_wal);
}

static void test_wrong_passphrase(void **state)
{
	struct fx *f = *state;
	char *dir = pvt_path(f->root, "v"), *kr = pvt_path(f->root, "v.keyring");
	pv_key *key = passphrase(PASS);
	pv_vault *v = create_ok(dir, NULL, key, 1);
	import_sample(v, f->root, 2);
	pv_vault_close(v);

	struct snap before;
	snap_take(&before, dir, kr);
	pv_key *wrong = passphrase(WRONG_PASS);
	const char *const want[] = { "wrong passphrase", NULL };
	open_fails(dir, NULL, wrong, PV_ERR_BAD_KEY, want);
	snap_check(&before, dir, kr);
	pv_key_free(wrong);
	/* A prefix of the right passphrase is wrong too. */
	pv_key *prefix = NULL;
	assert_int_equal(pv_key_from_passphrase(PASS, strlen(PASS) - 1, &prefix), PV_OK);
	open_fails(dir, NULL, prefix, PV_ERR_BAD_KEY, want);
	snap_check(&before, dir, kr);
	pv_key_free(prefix);

	v = NULL;
	assert_int_equal(pv_vault_open(dir, NULL, key, &v), PV_OK);
	assert_int_equal(count_of(v), 2);
	pv_vault_close(v);
	snap_free(&before);
	pv_key_free(key);
	free(dir);
	free(kr);
}

static void test_passphrase_key_file_mismatch(void **state)
{
	struct fx *f = *state;
	char *pdir = pvt_path(f->root, "pv"), *pkr = pvt_path(f->root, "pv.keyring");
	char *kdir = pvt_path(f->root, "kv"), *kkr = pvt_path(f->root, "kv.keyring");
	char *keyp = pvt_path(f->root, "k.key");
	pv_key *pass = passphrase(PASS), *file = new_key_file(keyp);
	pv_vault_close(create_ok(pdir, NULL, pass, 1));
	pv_vault_close(create_ok(kdir, NULL, file, 0));

	struct snap pb, kb;
	snap_take(&pb, pdir, pkr);
	snap_take(&kb, kdir, kkr);
	/* A vault made with a passphrase, opened with a key file, and the other way round. */
	const char *const want_p[] = { "passphrase", "key file", NULL };
	open_fails(pdir, NULL, file, PV_ERR_BAD_KEY, want_p);
	open_fails(kdir, NULL, pass, PV_ERR_BAD_KEY, want_p);
	snap_check(&pb, pdir, pkr);
	snap_check(&kb, kdir, kkr);

	/* A passphrase whose bytes equal the key file's 32 bytes is still a passphrase. */
	size_t n;
	char *raw = pvt_read_file(keyp, &n);
	assert_int_equal(n, 32);
	pv_key *same_bytes = NULL;
	assert_int_equal(pv_key_from_passphrase(raw, n, &same_bytes), PV_OK);
	open_fails(kdir, NULL, same_bytes, PV_ERR_BAD_KEY, want_p);
	snap_check(&kb, kdir, kkr);
	pv_key_free(same_bytes);
	free(raw);

	snap_free(&pb);
	snap_free(&kb);
	pv_key_free(pass);
	pv_key_free(file);
	free(pdir);
	free(pkr);
	free(kdir);
	free(kkr);
	free(keyp);
}

static void test_key_file_wrong_size_or_missing(void **state)
{
	struct fx *f = *state;
	char *p = pvt_path(f->root, "short.key");
	static const size_t sizes[] = { 0, 1, 31, 33, 64, 4096 };
	char buf[4096];
	memset(buf, 0x5a, sizeof buf);
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		assert_int_equal(pvt_write_file(p, buf, sizes[i]), 0);
		pv_key *k = (pv_key *)buf; /* must be reset to NULL */
		pv_rc rc = pv_key_from_file(p, &k);
		if (rc != PV_ERR_BAD_KEY)
			fail_msg("key file of %zu bytes: got %d, want PV_ERR_BAD_KEY", sizes[i],
				 (int)rc);
		assert_null(k);
	}
	char *missing = pvt_path(f->root, "no-such.key");
	pv_key *k = (pv_key *)buf;
	assert_int_equal(pv_key_from_file(missing, &k), PV_ERR_NOT_FOUND);
	assert_null(k);
	/* A directory is no key file. */
	k = (pv_key *)buf;
	assert_int_not_equal(pv_key_from_file(f->root, &k), PV_OK);
	assert_null(k);
	/* Generating refuses to overwrite. */
	char *gen = pvt_path(f->root, "gen.key");
	assert_int_equal(pv_key_generate_file(gen), PV_OK);
	size_t n1;
	char *before = pvt_read_file(gen, &n1);
	assert_int_equal(pv_key_generate_file(gen), PV_ERR_EXISTS);
	size_t n2;
	char *after = pvt_read_file(gen, &n2);
	assert_int_equal(n1, 32);
	assert_int_equal(n2, 32);
	assert_memory_equal(before, after, 32);
	/* An empty passphrase is refused. */
	k = (pv_key *)buf;
	assert_int_equal(pv_key_from_passphrase("", 0, &k), PV_ERR_USAGE);
	assert_null(k);
	free(before);
	free(after);
	free(gen);
	free(missing);
	free(p);
}

static void test_keyring_of_another_vault(void **state)
{
	struct fx *f = *state;
	char *a = pvt_path(f->root, "a"), *akr = pvt_path(f->root, "a.keyring");
	char *b = pvt_path(f->root, "b"), *bkr = pvt_path(f->root, "b.keyring");
	char *keyp = pvt_path(f->root, "k.key"), *key2p = pvt_path(f->root, "k2.key");
	pv_key *key = new_key_file(keyp), *key2 = new_key_file(key2p);
	/* Same root key for both: only the keyring's binding to the vault can tell. */
	pv_vault *v = create_ok(a, NULL, key, 0);
	import_sample(v, f->root, 3);
	pv_vault_close(v);
	pv_vault_close(create_ok(b, NULL, key, 0));
	char *c = pvt_path(f->root, "c"), *ckr = pvt_path(f->root, "c.keyring");
	pv_vault_close(create_ok(c, NULL, key2, 0));

	struct snap sa, sb, sc;
	snap_take(&sa, a, akr);
	snap_take(&sb, b, bkr);
	snap_take(&sc, c, ckr);
	const char *const want[] = { "another vault", NULL };
	open_fails(a, bkr, key, PV_ERR_BAD_KEY, want);
	open_fails(b, akr, key, PV_ERR_BAD_KEY, want);
	/* another vault with another key, too */
	open_fails(a, ckr, key, PV_ERR_BAD_KEY, want);
	snap_check(&sa, a, akr);
	snap_check(&sb, b, bkr);
	snap_check(&sc, c, ckr);
	/* The data directory of one vault with the keyring of the other copied into the
	 * default place: refused as well. */
	char *akr_saved = pvt_path(f->root, "a.keyring.saved");
	assert_int_equal(rename(akr, akr_saved), 0);
	size_t n;
	char *braw = pvt_read_file(bkr, &n);
	assert_int_equal(pvt_write_file(akr, braw, n), 0);
	struct snap sa2;
	snap_take(&sa2, a, akr);
	open_fails(a, NULL, key, PV_ERR_BAD_KEY, want);
	snap_check(&sa2, a, akr);
	snap_free(&sa2);
	free(braw);
	assert_int_equal(rename(akr_saved, akr), 0);

	v = NULL;
	assert_int_equal(pv_vault_open(a, NULL, key, &v), PV_OK);
	assert_int_equal(count_of(v), 3);
	pv_vault_close(v);
	snap_free(&sa);
	snap_free(&sb);
	snap_free(&sc);
	pv_key_free(key);
	pv_key_free(key2);
	free(akr_saved);
	free(a);
	free(akr);
	free(b);
	free(bkr);
	free(c);
	free(ckr);
	free(keyp);
	free(key2p);
}

/* Replace the keyring with damaged, open, and require refusal with nothing changed. */
static void damaged_keyring_case(const char *dir, const char *kr, const pv_key *key,
				 const char *good, size_t goodlen, const char *damaged,
				 size_t dlen, const char *const *want)
{
	assert_int_equal(pvt_write_file(kr, damaged, dlen), 0);
	struct snap before;
	snap_take(&before, dir, kr);
	open_fails(dir, NULL, key, PV_ERR_BAD_KEY, want);
	snap_check(&before, dir, kr);
	snap_free(&before);
	assert_int_equal(pvt_write_file(kr, good, goodlen), 0);
}

static void test_damaged_keyring(void **state)
{
	struct fx *f = *state;
	char *dir = pvt_path(f->root, "v"), *kr = pvt_path(f->root, "v.keyring");
	char *keyp = pvt_path(f->root, "k.key");
	pv_key *key = new_key_file(keyp);
	pv_vault *v = create_ok(dir, NULL, key, 0);
	import_sample(v, f->root, 3);
	pv_vault_close(v);
	size_t n;
	char *good = pvt_read_file(kr, &n);
	assert_int_equal(n, KEYRING_BYTES(SLOTS));
	char *bad = malloc(n + 80);
	assert_non_null(bad);

	const char *const trunc[] = { "damaged or truncated", NULL };
	/* truncated by one byte, by one slot, to the header only, to half a header */
	memcpy(bad, good, n);
	damaged_keyring_case(dir, kr, key, good, n, bad, n - 1, trunc);
	damaged_keyring_case(dir, kr, key, good, n, bad, n - 80, trunc);
	damaged_keyring_case(dir, kr, key, good, n, bad, 64, trunc);
	/* one slot too many (appended) */
	memset(bad + n, 0, 80);
	damaged_keyring_case(dir, kr, key, good, n, bad, n + 80, trunc);
	const char *const notkr[] = { "not a pivault keyring", NULL };
	damaged_keyring_case(dir, kr, key, good, n, bad, 20, notkr);
	damaged_keyring_case(dir, kr, key, good, n, bad, 0, notkr);
	/* bad magic */
	memcpy(bad, good, n);
	bad[0] ^= 0x01;
	damaged_keyring_case(dir, kr, key, good, n, bad, n, notkr);
	/* the header's MAC */
	memcpy(bad, good, n);
	bad[40] ^= 0x01;
	const char *const mac[] = { "does not open", NULL };
	damaged_keyring_case(dir, kr, key, good, n, bad, n, mac);
	/* the slot count (still a power of two, so only the size check can tell) */
	memcpy(bad, good, n);
	bad[12] = 0x00;
	bad[13] = 0x08; /* 2048 slots */
	damaged_keyring_case(dir, kr, key, good, n, bad, n, trunc);
	/* the vault id inside the keyring */
	memcpy(bad, good, n);
	bad[20] ^= 0x80;
	const char *const other[] = { "another vault", NULL };
	damaged_keyring_case(dir, kr, key, good, n, bad, n, other);

	/* After all that, the original keyring still opens the vault. */
	v = NULL;
	assert_int_equal(pv_vault_open(dir, NULL, key, &v), PV_OK);
	assert_int_equal(count_of(v), 3);
	assert_int_equal(pv_vault_load_keys(v), PV_OK); /* every slot unseals */
	pv_vault_close(v);

	/* A damaged slot: slots are unwrapped lazily, on their first use, so the open may
	 * succeed; loading every key at once names the slot, and nothing changes. */
	memcpy(bad, good, n);
	bad[64 + 80 * 7 + 30] ^= 0x01;
	assert_int_equal(pvt_write_file(kr, bad, n), 0);
	struct snap before;
	snap_take(&before, dir, kr);
	v = NULL;
	pv_rc rc = pv_vault_open(dir, NULL, key, &v);
	if (rc == PV_OK) {
		assert_int_equal(pv_vault_load_keys(v), PV_ERR_BAD_KEY);
		assert_non_null(strstr(pv_errmsg(v), "slot 7"));
	} else {
		assert_int_equal(rc, PV_ERR_BAD_KEY);
	}
	pv_vault_close(v);
	snap_check(&before, dir, kr);
	snap_free(&before);

	/* Every slot damaged: an import, whose customers need their buckets' keys, is refused
	 * as a keyring fault naming a slot (not as bad rows), imports nothing, leaves the
	 * keyring as it was and is audited as failed. */
	memcpy(bad, good, n);
	for (size_t at = 64 + 30; at < n; at += 80)
		bad[at] ^= 0x01;
	assert_int_equal(pvt_write_file(kr, bad, n), 0);
	v = NULL;
	rc = pv_vault_open(dir, NULL, key, &v);
	if (rc == PV_OK) {
		char *csv = pvt_path(f->root, "more.csv");
		assert_int_equal(pvt_run(NULL, "'%s' -n 3 --start 100 -o '%s'",
					 pvt_program("pvgen"), csv), 0);
		pv_access admin = { "admin", NULL, 1 };
		rc = pv_import_csv(v, &admin, csv, NULL, NULL);
		assert_int_equal(rc, PV_ERR_BAD_KEY);
		assert_non_null(strstr(pv_errmsg(v), "keyring slot"));
		assert_non_null(strstr(pv_errmsg(v), "fails authentication"));
		assert_int_equal(count_of(v), 3);
		struct last_entry last = { 0 };
		assert_int_equal(pv_audit_log(v, &admin, NULL, keep_last_entry, &last), PV_OK);
		assert_string_equal(last.op_outcome, "import failed");
		free(csv);
	} else {
		assert_int_equal(rc, PV_ERR_BAD_KEY);
	}
	pv_vault_close(v);
	size_t krlen = 0;
	char *kr_after = pvt_read_file(kr, &krlen);
	assert_true(krlen == n && memcmp(kr_after, bad, n) == 0);
	free(kr_after);

	free(good);
	free(bad);
	pv_key_free(key);
	free(dir);
	free(kr);
	free(keyp);
}

static void test_missing_keyring_and_vault(void **state)
{
	struct fx *f = *state;
	char *dir = pvt_path(f->root, "v"), *kr = pvt_path(f->root, "v.keyring");
	char *moved = pvt_path(f->root, "moved.keyring"), *keyp = pvt_path(f->root, "k.key");
	pv_key *key = new_key_file(keyp);
	pv_vault *v = create_ok(dir, NULL, key, 0);
	import_sample(v, f->root, 2);
	pv_vault_close(v);

	assert_int_equal(rename(kr, moved), 0);
	struct snap before;
	snap_take(&before, dir, NULL);
	const char *const want[] = { "keyring", "v.keyring", NULL };
	open_fails(dir, NULL, key, PV_ERR_NOT_FOUND, want);
	snap_check(&before, dir, NULL);
	assert_false(exists(kr)); /* not re-created */
	char *nowhere = pvt_path(f->root, "nowhere.keyring");
	const char *const want2[] = { "nowhere.keyring", NULL };
	open_fails(dir, nowhere, key, PV_ERR_NOT_FOUND, want2);
	assert_false(exists(nowhere));
	snap_check(&before, dir, NULL);
	snap_free(&before);
	/* Found again under the name given. */
	v = NULL;
	assert_int_equal(pv_vault_open(dir, moved, key, &v), PV_OK);
	assert_int_equal(count_of(v), 2);
	pv_vault_close(v);

	/* No vault at all: a missing directory, an empty one, a file. */
	char *none = pvt_path(f->root, "none");
	const char *const nv[] = { "not a vault", NULL };
	open_fails(none, NULL, key, PV_ERR_NOT_FOUND, nv);
	assert_false(exists(none));
	assert_int_equal(mkdir(none, 0700), 0);
	open_fails(none, NULL, key, PV_ERR_NOT_FOUND, nv);
	char *listing = dir_listing(none);
	assert_string_equal(listing, ""); /* no database created by the attempt */
	free(listing);

	free(none);
	free(nowhere);
	pv_key_free(key);
	free(dir);
	free(kr);
	free(moved);
	free(keyp);
}

/* ---- refused creates leave nothing -------------------------------------------------- */

static void test_create_non_empty_dir_refused(void **state)
{
	struct fx *f = *state;
	char *dir = pvt_path(f->root, "busy"), *kr = pvt_path(f->root, "busy.keyring");
	char *keyp = pvt_path(f->root, "k.key"), *other = pvt_path(dir, "notes.txt");
	pv_key *key = new_key_file(keyp);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(pvt_write_file(other, "hello\n", 6), 0);

	pv_create_opts o = { .schema_path = SCHEMA, .keyring_path = NULL, .keyring_slots = SLOTS,
			     .kdf_cost = PV_KDF_STANDARD };
	pv_vault *v = NULL;
	assert_int_equal(pv_vault_create(dir, &o, key, &v), PV_ERR_EXISTS);
	assert_non_null(v);
	assert_non_null(strstr(pv_errmsg(v), "not empty"));
	pv_vault_close(v);
	char *listing = dir_listing(dir);
	assert_string_equal(listing, "notes.txt/");
	free(listing);
	size_t n;
	char *txt = pvt_read_file(other, &n);
	assert_string_equal(txt, "hello\n");
	free(txt);
	assert_false(exists(kr));

	/* Over an existing vault: refused, the vault intact. */
	char *vd = pvt_path(f->root, "v"), *vkr = pvt_path(f->root, "v.keyring");
	v = create_ok(vd, NULL, key, 0);
	import_sample(v, f->root, 2);
	pv_vault_close(v);
	struct snap before;
	snap_take(&before, vd, vkr);
	v = NULL;
	assert_int_equal(pv_vault_create(vd, &o, key, &v), PV_ERR_EXISTS);
	pv_vault_close(v);
	snap_check(&before, vd, vkr);
	snap_free(&before);

	/* An empty existing directory is fine. */
	char *empty = pvt_path(f->root, "empty");
	assert_int_equal(mkdir(empty, 0700), 0);
	pv_vault_close(create_ok(empty, NULL, key, 0));

	free(empty);
	free(vd);
	free(vkr);
	pv_key_free(key);
	free(dir);
	free(kr);
	free(keyp);
	free(other);
}

static void test_create_existing_keyring_refused(void **state)
{
	struct fx *f = *state;
	char *dir = pvt_path(f->root, "v"), *kr = pvt_path(f->root, "v.keyring");
	char *keyp = pvt_path(f->root, "k.key");
	pv_key *key = new_key_file(keyp);
	assert_int_equal(pvt_write_file(kr, "precious", 8), 0);
	pv_create_opts o = { .schema_path = SCHEMA, .keyring_path = NULL, .keyring_slots = SLOTS,
			     .kdf_cost = PV_KDF_STANDARD };
	pv_vault *v = NULL;
	assert_int_equal(pv_vault_create(dir, &o, key, &v), PV_ERR_EXISTS);
	assert_non_null(strstr(pv_errmsg(v), "keyring"));
	pv_vault_close(v);
	assert_false(exists(dir));
	size_t n;
	char *txt = pvt_read_file(kr, &n);
	assert_int_equal(n, 8);
	assert_memory_equal(txt, "precious", 8);
	free(txt);
	pv_key_free(key);
	free(dir);
	free(kr);
	free(keyp);
}

static void test_create_invalid_schema_leaves_nothing(void **state)
{
	struct fx *f = *state;
	char *dir = pvt_path(f->root, "v"), *kr = pvt_path(f->root, "v.keyring");
	char *keyp = pvt_path(f->root, "k.key");
	pv_key *key = new_key_file(keyp);
	char *root_before = dir_listing(f->root);

	pv_create_opts o = { .schema_path = BAD_SCHEMA, .keyring_path = NULL,
			     .keyring_slots = SLOTS, .kdf_cost = PV_KDF_STANDARD };
	pv_vault *v = NULL;
	assert_int_equal(pv_vault_create(dir, &o, key, &v), PV_ERR_SCHEMA);
	assert_non_null(v);
	assert_non_null(strstr(pv_errmsg(v), "mobile"));
	pv_vault_close(v);
	assert_false(exists(dir));
	assert_false(exists(kr));
	char *root_after = dir_listing(f->root);
	assert_string_equal(root_before, root_after);
	free(root_after);

	/* Into an existing empty directory: it stays, empty. */
	assert_int_equal(mkdir(dir, 0700), 0);
	v = NULL;
	assert_int_equal(pv_vault_create(dir, &o, key, &v), PV_ERR_SCHEMA);
	pv_vault_close(v);
	char *listing = dir_listing(dir);
	assert_string_equal(listing, "");
	free(listing);
	assert_false(exists(kr));
	assert_int_equal(rmdir(dir), 0);

	/* A schema that is not there, an empty one, and one that is not YAML at all. */
	char *missing = pvt_path(f->root, "missing.yaml");
	o.schema_path = missing;
	v = NULL;
	assert_int_equal(pv_vault_create(dir, &o, key, &v), PV_ERR_IO);
	assert_non_null(strstr(pv_errmsg(v), "missing.yaml"));
	pv_vault_close(v);
	char *junk = pvt_path(f->root, "junk.yaml");
	assert_int_equal(pvt_write_file(junk, "\x01\x02: [", 5), 0);
	o.schema_path = junk;
	v = NULL;
	assert_int_equal(pv_vault_create(dir, &o, key, &v), PV_ERR_SCHEMA);
	pv_vault_close(v);
	assert_false(exists(dir));
	assert_false(exists(kr));
	assert_int_equal(unlink(junk), 0);

	/* A failure after the directory was made (the keyring cannot be written): the
	 * directory, the database and the keyring are all removed again. */
	char *badkr = pvt_path(f->root, "no-such-dir/v.keyring");
	pv_create_opts o2 = { .schema_path = SCHEMA, .keyring_path = badkr, .keyring_slots = SLOTS,
			      .kdf_cost = PV_KDF_STANDARD };
	v = NULL;
	pv_rc rc = pv_vault_create(dir, &o2, key, &v);
	assert_int_not_equal(rc, PV_OK);
	pv_vault_close(v);
	assert_false(exists(dir));
	assert_false(exists(badkr));

	/* Bad slot counts are refused before anything is made. */
	static const uint32_t bad_slots[] = { 1, 8, 15, 1000, 3u << 10 };
	for (size_t i = 0; i < sizeof bad_slots / sizeof *bad_slots; i++) {
		pv_create_opts o3 = { .schema_path = SCHEMA, .keyring_path = NULL,
				      .keyring_slots = bad_slots[i], .kdf_cost = PV_KDF_STANDARD };
		v = NULL;
		assert_int_equal(pv_vault_create(dir, &o3, key, &v), PV_ERR_USAGE);
		pv_vault_close(v);
		assert_false(exists(dir));
		assert_false(exists(kr));
	}
	/* No schema or no key: a usage error. */
	pv_create_opts o4 = { .schema_path = NULL, .keyring_path = NULL, .keyring_slots = SLOTS,
			      .kdf_cost = PV_KDF_STANDARD };
	v = NULL;
	assert_int_equal(pv_vault_create(dir, &o4, key, &v), PV_ERR_USAGE);
	pv_vault_close(v);
	o4.schema_path = SCHEMA;
	v = NULL;
	assert_int_equal(pv_vault_create(dir, &o4, NULL, &v), PV_ERR_USAGE);
	pv_vault_close(v);
	assert_false(exists(dir));
	assert_false(exists(kr));
	char *root_end = dir_listing(f->root);
	assert_string_equal(root_before, root_end);
	free(root_end);

	free(root_before);
	free(badkr);
	free(missing);
	free(junk);
	pv_key_free(key);
	free(dir);
	free(kr);
	free(keyp);
}

static int stop_at_first(void *ctx, const pv_record *r)
{
	(void)r;
	++*(int *)ctx;
	return 0;
}

static int count_id(void *ctx, const char *id)
{
	(void)id;
	++*(int *)ctx;
	return 0;
}

/* pv_vault_checkpoint empties the write-ahead log, also after reads of every kind. In
 * PostgreSQL, where the log is the server's and a commit is durable when it returns, the
 * backend-neutral part: the checkpoint succeeds after reads of every kind, and the change
 * is there for another connection (the -wal file's size is SQLite's own). */
static void test_checkpoint_after_reads(void **state)
{
	struct fx *f = *state;
	char *dir = pvt_path(f->root, "v"), *keyp = pvt_path(f->root, "k.key");
	char *wal = pvt_path(dir, "vault.db-wal");
	pv_key *key = new_key_file(keyp);
	pv_vault *v = create_ok(dir, NULL, key, 0);
	import_sample(v, f->root, 30);
	int pg = pvt_dba_pg(dir);
	assert_true(pg || file_size(wal) > 0);
	pv_rc rc = pv_vault_checkpoint(v);
	if (rc != PV_OK)
		fail_msg("checkpoint after import: %s", pv_errmsg(v));
	assert_int_equal(file_size(wal), pg ? -1 : 0);

	pv_access admin = { "admin", "all", 1 };
	pv_record *r = NULL;
	assert_int_equal(pv_get(v, &admin, "C00000007", &r), PV_OK);
	pv_record_free(r);
	r = NULL;
	assert_int_equal(pv_get(v, &admin, "C99999999", &r), PV_ERR_NOT_FOUND);
	assert_null(r);
	int seen = 0;
	char *next = NULL;
	assert_int_equal(pv_list(v, &admin, NULL, 10, stop_at_first, &seen, &next), PV_OK);
	assert_int_equal(seen, 10);
	free(next);
	int found = 0;
	assert_int_equal(pv_find(v, &admin, "email", "nobody@example.com", count_id, &found), PV_OK);
	assert_int_equal(found, 0);
	assert_int_equal(count_of(v), 30);
	/* A change after the reads goes to the log; the checkpoint moves it out. */
	assert_int_equal(pv_update(v, &admin, "C00000008", "contract_no", "HT-1"), PV_OK);
	rc = pv_vault_checkpoint(v);
	if (rc != PV_OK)
		fail_msg("checkpoint after reads (pv_get, pv_list, pv_find): %s: %s",
			 pv_strerror(rc), pv_errmsg(v));
	assert_int_equal(file_size(wal), pg ? -1 : 0);
	char *updates = pvt_dba_value(dir, "SELECT count(*) FROM audit WHERE op = 'update' AND "
				      "ids = 'C00000008' AND outcome = 'ok'");
	assert_string_equal(updates, "1"); /* committed: another connection sees it */
	free(updates);
	pv_vault_close(v);
	pv_key_free(key);
	free(dir);
	free(keyp);
	free(wal);
}

static void test_null_handles_harmless(void **state)
{
	(void)state;
	pv_vault_close(NULL);
	pv_key_free(NULL);
	pv_record_free(NULL);
	pv_import_free(NULL);
	assert_non_null(pv_errmsg(NULL));
	for (int rc = 0; rc <= 12; rc++) {
		assert_non_null(pv_strerror((pv_rc)rc));
		assert_true(strlen(pv_strerror((pv_rc)rc)) > 0);
	}
	assert_non_null(pv_strerror((pv_rc)999));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_create_reopen_key_file),
		T(test_create_reopen_passphrase),
		T(test_keyring_default_path_trailing_slash),
		T(test_wrong_key_file),
		T(test_wrong_key_with_pending_wal),
		T(test_wrong_passphrase),
		T(test_passphrase_key_file_mismatch),
		T(test_key_file_wrong_size_or_missing),
		T(test_keyring_of_another_vault),
		T(test_damaged_keyring),
		T(test_missing_keyring_and_vault),
		T(test_create_non_empty_dir_refused),
		T(test_create_existing_keyring_refused),
		T(test_create_invalid_schema_leaves_nothing),
		T(test_checkpoint_after_reads),
		cmocka_unit_test(test_null_handles_harmless),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
