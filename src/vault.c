/* SPDX-License-Identifier: Apache-2.0 */
/* vault.c: creating and opening vaults: the root key (Argon2id passphrase or raw key
 * file), the sub-keys derived from it, the keyring beside the data directory, the
 * stored schema, and the key check that refuses a wrong key before anything changes. */
#include "vault.h"
#include "approvals.h"
#include "audit.h"
#include "authz_mac.h"
#include "files.h"
#include "policy.h"
#include "users.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define DB_NAME "vault.db"
#define FORMAT_TAG "pivault-2"
#define KDF_CONTEXT "pvroot01"

enum { SUBKEY_KEYRING = 1, SUBKEY_BLIND, SUBKEY_BUCKET, SUBKEY_CHECK, SUBKEY_AUDIT, SUBKEY_SIGN,
       SUBKEY_MASTER_WRAP, SUBKEY_KEYRING_SEAL, SUBKEY_AUTHZ };

/* After the root secret was first replaced, the vault's master key (the first root key,
 * from which the sub-keys derive and which users' key slots hold) is stored sealed under
 * a key derived from the current root secret ("master_sealed"), and the keyring's wrap
 * key, random since then, sealed under a key derived from the master ("keyring_sealed").
 * Before, the master is the root secret itself and the wrap key derives from it. */
#define SEALED_KEY_BYTES (PV_KEY_BYTES + PV_SEAL_OVERHEAD)

struct pv_key {
	int is_passphrase;
	size_t len;
	uint8_t *bytes; /* guarded */
};

pv_rc pv_key_from_passphrase(const char *passphrase, size_t len, pv_key **out)
{
	*out = NULL;
	if (!passphrase || len == 0)
		return PV_ERR_USAGE;
	pv_key *k = calloc(1, sizeof *k);
	if (!k || pv_crypto_init() != 0 || !(k->bytes = pv_secret_alloc(len))) {
		free(k);
		return PV_ERR_NOMEM;
	}
	memcpy(k->bytes, passphrase, len);
	k->len = len;
	k->is_passphrase = 1;
	*out = k;
	return PV_OK;
}

pv_rc pv_key_from_file(const char *path, pv_key **out)
{
	*out = NULL;
	if (pv_crypto_init() != 0)
		return PV_ERR_CRYPTO;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? PV_ERR_NOT_FOUND : PV_ERR_IO;
	pv_key *k = calloc(1, sizeof *k);
	uint8_t *buf = pv_secret_alloc(PV_KEY_BYTES + 1);
	pv_rc rc = PV_OK;
	if (!k || !buf) {
		rc = PV_ERR_NOMEM;
	} else {
		ssize_t n = read(fd, buf, PV_KEY_BYTES + 1);
		if (n != PV_KEY_BYTES)
			rc = n < 0 ? PV_ERR_IO : PV_ERR_BAD_KEY;
	}
	close(fd);
	if (rc != PV_OK) {
		pv_secret_free(buf);
		free(k);
		return rc;
	}
	k->bytes = buf;
	k->len = PV_KEY_BYTES;
	*out = k;
	return PV_OK;
}

pv_rc pv_key_generate_file(const char *path)
{
	if (pv_crypto_init() != 0)
		return PV_ERR_CRYPTO;
	int fd = pv_file_create_fd(path);
	if (fd < 0)
		return errno == EEXIST || errno == ELOOP ? PV_ERR_EXISTS : PV_ERR_IO;
	uint8_t key[PV_KEY_BYTES];
	pv_random(key, sizeof key);
	ssize_t n = write(fd, key, sizeof key);
	pv_wipe(key, sizeof key);
	int ok = n == (ssize_t)sizeof key && fsync(fd) == 0;
	if (close(fd) != 0 || !ok) {
		unlink(path);
		return PV_ERR_IO;
	}
	return PV_OK;
}

void pv_key_free(pv_key *key)
{
	if (!key)
		return;
	pv_secret_free(key->bytes);
	free(key);
}

/* Core dumps could hold keys and plaintext: switch them off for this process. */
static void disable_core_dumps(void)
{
	struct rlimit rl = { 0, 0 };
	setrlimit(RLIMIT_CORE, &rl);
}

static char *dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);
	if (p)
		memcpy(p, s, n);
	return p;
}

/* dir without trailing slashes + ".keyring" (malloc'd). */
static char *default_keyring_path(const char *dir)
{
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	char *p = malloc(n + 9);
	if (p) {
		memcpy(p, dir, n);
		memcpy(p + n, ".keyring", 9);
	}
	return p;
}

static char *db_path(const char *dir)
{
	size_t n = strlen(dir) + sizeof DB_NAME + 1;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", dir, DB_NAME);
	return p;
}

/* A fresh handle holding the paths; NULL when out of memory. */
static pv_vault *vault_new(const char *dir, const char *keyring_path)
{
	if (pv_crypto_init() != 0)
		return NULL;
	pv_vault *v = calloc(1, sizeof *v);
	if (!v)
		return NULL;
	v->dir = dup_str(dir);
	v->keyring_path = keyring_path ? dup_str(keyring_path) : default_keyring_path(dir);
	v->keys = pv_secret_alloc(sizeof *v->keys);
	snprintf(v->principal, sizeof v->principal, "(root key)");
	if (!v->dir || !v->keyring_path || !v->keys) {
		pv_vault_close(v);
		return NULL;
	}
	return v;
}

/* Derive every sub-key from the 32-byte root key. */
static void derive_keys(pv_vault *v, const uint8_t *root)
{
	struct pv_vault_keys *k = v->keys;
	pv_derive_key(k->keyring_wrap, PV_KEY_BYTES, SUBKEY_KEYRING, KDF_CONTEXT, root);
	pv_derive_key(k->blind_master, PV_KEY_BYTES, SUBKEY_BLIND, KDF_CONTEXT, root);
	pv_derive_key(k->bucket_hash, PV_SHORT_HASH_KEY_BYTES, SUBKEY_BUCKET, KDF_CONTEXT, root);
	pv_derive_key(k->key_check, PV_KEY_BYTES, SUBKEY_CHECK, KDF_CONTEXT, root);
	pv_derive_key(k->audit_mac, PV_KEY_BYTES, SUBKEY_AUDIT, KDF_CONTEXT, root);
	pv_derive_key(k->authz_mac, PV_KEY_BYTES, SUBKEY_AUTHZ, KDF_CONTEXT, root);
	/* The signing key is bound to this vault: two vaults sharing a root key file still
	 * sign with different keys. */
	uint8_t sign_master[PV_KEY_BYTES], sign_seed[PV_KEY_BYTES];
	pv_derive_key(sign_master, PV_KEY_BYTES, SUBKEY_SIGN, KDF_CONTEXT, root);
	pv_keyed_hash(sign_seed, PV_KEY_BYTES, v->vault_id, sizeof v->vault_id, sign_master);
	pv_sign_keypair(sign_seed, k->sign_public, k->sign_secret);
	pv_wipe(sign_master, sizeof sign_master);
	pv_wipe(sign_seed, sizeof sign_seed);
}

/* The value stored to recognise the right root key: keyed hash of the vault id. */
static void key_check_value(const pv_vault *v, uint8_t out[32])
{
	pv_keyed_hash(out, 32, v->vault_id, sizeof v->vault_id, v->keys->key_check);
}

/* Turn the caller's secret into the root key (in guarded memory root). */
static pv_rc root_from_key(pv_vault *v, const pv_key *key, const uint8_t salt[PV_SALT_BYTES],
			   uint64_t ops, size_t mem, uint8_t *root)
{
	if (!key->is_passphrase) {
		memcpy(root, key->bytes, PV_KEY_BYTES);
		return PV_OK;
	}
	if (pv_stretch_passphrase(root, (const char *)key->bytes, key->len, salt, ops, mem) != 0)
		return pv_fail(v, PV_ERR_NOMEM, "not enough memory for Argon2id (%zu MiB)",
			       mem >> 20);
	return PV_OK;
}

/* Parse the schema text into v->schema, reporting the first problems in the message. */
struct diag_buf {
	char *msg;
	size_t cap, len;
	int count;
};

static void diag_collect(void *ctx, int line, int column, const char *message)
{
	struct diag_buf *d = ctx;
	if (d->count++ < 5 && d->len < d->cap) {
		int n = snprintf(d->msg + d->len, d->cap - d->len, "%s%d:%d: %s",
				 d->len ? "; " : "", line, column, message);
		if (n > 0)
			d->len += (size_t)n;
		if (d->len > d->cap)
			d->len = d->cap;
	}
}

static pv_rc load_schema(pv_vault *v, const char *text, size_t len, const char *name)
{
	char msg[700] = "";
	struct diag_buf d = { msg, sizeof msg, 0, 0 };
	v->schema = pv_schema_parse(text, len, name, diag_collect, &d);
	if (!v->schema)
		return pv_fail(v, PV_ERR_SCHEMA, "schema %s: %d problem%s: %s", name, d.count,
			       d.count == 1 ? "" : "s", msg);
	v->schema_text = malloc(len + 1);
	size_t n = v->schema->nfields;
	v->field_keys = pv_secret_alloc(n * PV_KEY_BYTES + 1);
	v->field_nums = calloc(n + 1, sizeof *v->field_nums);
	if (!v->schema_text || !v->field_keys || !v->field_nums)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	memcpy(v->schema_text, text, len);
	v->schema_text[len] = '\0';
	return PV_OK;
}

/* Each field's blind-index key from the blind-index master key: only once the root key
 * has been derived (derive_keys) and the schema loaded (load_schema). */
static void derive_field_keys(pv_vault *v)
{
	for (size_t i = 0; i < v->schema->nfields; i++) {
		const char *fname = v->schema->fields[i].name;
		pv_keyed_hash(v->field_keys + i * PV_KEY_BYTES, PV_KEY_BYTES, fname, strlen(fname),
			      v->keys->blind_master);
	}
}

static pv_rc number_fields(pv_vault *v)
{
	for (size_t i = 0; i < v->schema->nfields; i++)
		if (pv_store_field_number(v->store, v->schema->fields[i].name, &v->field_nums[i]))
			return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return PV_OK;
}

/* Read a whole small file (the schema) into malloc'd memory. */
static char *read_small_file(const char *path, size_t *len, size_t max)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = malloc(max + 1);
	size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
	int bad = ferror(f) || n > max;
	fclose(f);
	if (!buf || bad) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* 1 if dir does not exist or is an empty directory. */
static int dir_is_free(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT;
	struct dirent *e;
	int empty = 1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	return empty;
}

/* Remove what a failed create left: the database files, the keyring, the directory. */
static void remove_partial(const char *dir, const char *keyring, int made_dir)
{
	static const char *const names[] = { DB_NAME, DB_NAME "-wal", DB_NAME "-shm",
					     DB_NAME "-journal" };
	char path[4096];
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		unlink(path);
	}
	if (keyring)
		unlink(keyring);
	if (made_dir)
		rmdir(dir);
}

static pv_rc put_u64_meta(pv_vault *v, const char *k, uint64_t x)
{
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%llu", (unsigned long long)x);
	if (pv_store_meta_put(v->store, k, buf, (size_t)n) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return PV_OK;
}

static pv_rc put_meta(pv_vault *v, const char *k, const void *val, size_t len)
{
	if (pv_store_meta_put(v->store, k, val, len) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return PV_OK;
}

/* Write the vault's metadata, inside one transaction. */
static pv_rc write_header(pv_vault *v, const pv_key *key, const uint8_t *salt, uint64_t ops,
			  size_t mem, uint32_t slots, const pv_create_opts *opts)
{
	uint8_t check[32];
	key_check_value(v, check);
	if (pv_store_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	pv_rc rc = put_meta(v, "format", FORMAT_TAG, strlen(FORMAT_TAG));
	if (!rc) rc = put_meta(v, "vault_id", v->vault_id, sizeof v->vault_id);
	if (!rc) rc = put_meta(v, "kdf", key->is_passphrase ? "argon2id" : "raw",
			       key->is_passphrase ? 8 : 3);
	if (!rc && key->is_passphrase) {
		rc = put_meta(v, "kdf_salt", salt, PV_SALT_BYTES);
		if (!rc) rc = put_u64_meta(v, "kdf_ops", ops);
		if (!rc) rc = put_u64_meta(v, "kdf_mem", mem);
	}
	if (!rc) rc = put_meta(v, "key_check", check, sizeof check);
	if (!rc) rc = put_u64_meta(v, "keyring_slots", slots);
	if (!rc) rc = put_meta(v, "schema", v->schema_text, strlen(v->schema_text));
	if (!rc) rc = number_fields(v);
	if (!rc) rc = pv_authz_seal_new_vault(v);
	if (!rc) {
		struct pv_audit_event e = { "init", NULL, NULL, NULL, "ok", "vault created" };
		rc = pv_audit_append(v, &e);
	}
	if (!rc && opts->admin_user) /* the first administrator, in the same transaction */
		rc = pv_user_create_first(v, opts->admin_user,
					  opts->admin_role ? opts->admin_role : "admin",
					  opts->admin_password, opts->admin_password_len,
					  opts->kdf_fast);
	if (!rc && pv_store_commit(v->store) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (rc)
		(void)pv_store_rollback(v->store);
	return rc;
}

pv_rc pv_vault_create(const char *dir, const pv_create_opts *opts, const pv_key *key,
		      pv_vault **out)
{
	pv_vault *v = *out = vault_new(dir, opts ? opts->keyring_path : NULL);
	if (!v)
		return PV_ERR_NOMEM;
	if (pv_crypto_init() != 0)
		return pv_fail(v, PV_ERR_CRYPTO, "cannot initialise libsodium");
	if (!opts || !opts->schema_path || !key)
		return pv_fail(v, PV_ERR_USAGE, "a schema file and a key are required");
	disable_core_dumps();
	uint32_t slots = opts->keyring_slots ? opts->keyring_slots : PV_KEYRING_DEFAULT_SLOTS;
	if (slots < 16 || (slots & (slots - 1)))
		return pv_fail(v, PV_ERR_USAGE, "keyring slots must be a power of two from 16");
	if (!dir_is_free(dir))
		return pv_fail(v, PV_ERR_EXISTS, "%s exists and is not empty", dir);
	if (access(v->keyring_path, F_OK) == 0)
		return pv_fail(v, PV_ERR_EXISTS, "keyring %s already exists", v->keyring_path);

	size_t len;
	char *text = read_small_file(opts->schema_path, &len, 1 << 20);
	if (!text)
		return pv_fail(v, PV_ERR_IO, "cannot read schema %s (missing, unreadable or over 1 MiB)",
			       opts->schema_path);
	pv_rc rc = load_schema(v, text, len, opts->schema_path);
	free(text);
	if (rc)
		return rc;

	int made_dir = 0;
	if (mkdir(dir, 0700) == 0)
		made_dir = 1;
	else if (errno != EEXIST)
		return pv_fail(v, PV_ERR_IO, "cannot create %s: %s", dir, strerror(errno));

	uint8_t salt[PV_SALT_BYTES];
	uint64_t ops;
	size_t mem;
	pv_stretch_limits(opts->kdf_fast, &ops, &mem);
	pv_random(salt, sizeof salt);
	pv_random(v->vault_id, sizeof v->vault_id);
	pv_hex(v->vault_id_hex, v->vault_id, sizeof v->vault_id);
	uint8_t *root = v->root = pv_secret_alloc(PV_KEY_BYTES);
	if (!root)
		rc = pv_fail(v, PV_ERR_NOMEM, "out of memory");
	if (!rc)
		rc = root_from_key(v, key, salt, ops, mem, root);
	if (!rc) {
		derive_keys(v, root);
		derive_field_keys(v);
		v->has_keys = 1;
	}

	char err[512];
	int keyring_made = 0;
	if (!rc) {
		if (pv_keyring_create(v->keyring_path, v->vault_id, slots, v->keys->keyring_wrap,
				      err, sizeof err) != 0)
			rc = pv_fail(v, PV_ERR_IO, "%s", err);
		else
			keyring_made = 1;
	}
	char *dbp = db_path(dir);
	if (!rc && !dbp)
		rc = pv_fail(v, PV_ERR_NOMEM, "out of memory");
	if (!rc && !(v->store = pv_store_open(dbp, 1, err, sizeof err)))
		rc = pv_fail(v, PV_ERR_STORE, "%s", err);
	free(dbp);
	if (!rc)
		rc = write_header(v, key, salt, ops, mem, slots, opts);
	if (!rc) {
		int bad;
		v->keyring = pv_keyring_open(v->keyring_path, v->vault_id, v->keys->keyring_wrap,
					     &bad, err, sizeof err);
		if (!v->keyring)
			rc = pv_fail(v, PV_ERR_IO, "%s", err);
	}
	if (rc) {
		pv_store_close(v->store);
		v->store = NULL;
		remove_partial(dir, keyring_made ? v->keyring_path : NULL, made_dir);
		return rc;
	}
	return pv_ok(v);
}

/* Read a decimal metadata value. */
static int meta_u64(pv_vault *v, const char *k, uint64_t *x)
{
	uint8_t *val;
	if (pv_store_meta_get(v->store, k, &val, NULL) != 0)
		return -1;
	char *end;
	errno = 0;
	unsigned long long n = strtoull((const char *)val, &end, 10);
	int bad = errno || *end || end == (char *)val;
	free(val);
	*x = n;
	return bad ? -1 : 0;
}

/* Who opens a vault: the root secret, or a user and password. */
struct credential {
	const pv_key *key;
	const char *user;
	const char *password;
	size_t password_len;
};

/* Make a rename in path's directory durable. */
static void sync_dir_of(const char *path)
{
	char *dir = strdup(path);
	char *slash = dir ? strrchr(dir, '/') : NULL;
	if (slash == dir && dir)
		dir[1] = '\0'; /* the root directory */
	else if (slash)
		*slash = '\0';
	int fd = dir ? open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
}

char *pv_keyring_sibling(const pv_vault *v, const char *suffix)
{
	size_t n = strlen(v->keyring_path) + strlen(suffix) + 1;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s%s", v->keyring_path, suffix);
	return p;
}

/* A root change interrupted between the store's commit and the keyring's rename is
 * finished here: KEYRING.next opens with the committed wrap key, so it becomes the
 * keyring. One left by a change that never committed is removed. */
static void finish_root_change(pv_vault *v)
{
	char *next = pv_keyring_sibling(v, ".next"), err[512];
	int bad = 0;
	struct pv_keyring *kr = next && access(next, F_OK) == 0
					? pv_keyring_open(next, v->vault_id, v->keys->keyring_wrap,
							  &bad, err, sizeof err)
					: NULL;
	if (kr) {
		pv_keyring_close(kr);
		if (rename(next, v->keyring_path) == 0)
			sync_dir_of(v->keyring_path);
	} else if (next && bad) {
		unlink(next);
	}
	free(next);
}

static pv_rc vault_open(pv_vault *v, const char *dir, const struct credential *cred);

/* Open with cred; a refused open leaves every file as it was, except that a user's
 * failed login is counted (and audited). */
static pv_rc open_with(const char *dir, const char *keyring_path, const struct credential *cred,
		       pv_vault **out)
{
	pv_vault *v = *out = vault_new(dir, keyring_path);
	if (!v)
		return PV_ERR_NOMEM;
	/* A log left by an earlier writer stays unmerged; a log this open created is empty
	 * and goes with the close. */
	char wal[4096];
	snprintf(wal, sizeof wal, "%s/%s-wal", dir, DB_NAME);
	int wal_existed = access(wal, F_OK) == 0;
	pv_rc rc = vault_open(v, dir, cred);
	if (rc) {
		if (wal_existed && !cred->user)
			pv_store_close_untouched(v->store);
		else
			pv_store_close(v->store);
		v->store = NULL;
	}
	return rc;
}

pv_rc pv_vault_open(const char *dir, const char *keyring_path, const pv_key *key,
		    pv_vault **out)
{
	struct credential cred = { key, NULL, NULL, 0 };
	if (!key) {
		*out = vault_new(dir, keyring_path);
		return pv_fail(*out, PV_ERR_USAGE, "a key is required");
	}
	return open_with(dir, keyring_path, &cred, out);
}

pv_rc pv_vault_open_user(const char *dir, const char *keyring_path, const char *user,
			 const char *password, size_t password_len, pv_vault **out)
{
	struct credential cred = { NULL, user, password, password_len };
	if (!user || !*user || !password) {
		*out = vault_new(dir, keyring_path);
		return pv_fail(*out, PV_ERR_USAGE, "a user name and a password are required");
	}
	return open_with(dir, keyring_path, &cred, out);
}

int pv_root_matches(pv_vault *v, const uint8_t *root)
{
	uint8_t *check = NULL, want[32], sub[PV_KEY_BYTES];
	size_t check_len = 0;
	if (pv_store_meta_get(v->store, "key_check", &check, &check_len) != 0 || check_len != 32) {
		free(check);
		return -1;
	}
	pv_derive_key(sub, sizeof sub, SUBKEY_CHECK, KDF_CONTEXT, root);
	pv_keyed_hash(want, 32, v->vault_id, sizeof v->vault_id, sub);
	pv_wipe(sub, sizeof sub);
	int rc = pv_ct_compare(want, check, 32) == 0 ? 0 : -1;
	free(check);
	return rc;
}

/* Associated data binding a sealed key to this vault and its use. */
static size_t sealed_key_ad(uint8_t ad[32], const pv_vault *v, const char *use)
{
	size_t n = strlen(use);
	memcpy(ad, v->vault_id, PV_VAULT_ID_BYTES);
	memcpy(ad + PV_VAULT_ID_BYTES, use, n);
	return PV_VAULT_ID_BYTES + n;
}

/* Turn the root secret in key into the master key, in place: the same bytes until the
 * root secret is first replaced, then the master sealed under it. 0 when it is this
 * vault's (the stored key check matches), else -1. */
static int master_from_root(pv_vault *v, uint8_t *key)
{
	uint8_t *sealed = NULL, wrap[PV_KEY_BYTES], ad[32], master[PV_KEY_BYTES];
	size_t len = 0;
	if (pv_store_meta_get(v->store, "master_sealed", &sealed, &len) == 0) {
		pv_derive_key(wrap, sizeof wrap, SUBKEY_MASTER_WRAP, KDF_CONTEXT, key);
		int bad = len != SEALED_KEY_BYTES ||
			  pv_open_sealed(master, sealed, len, ad, sealed_key_ad(ad, v, "master"),
					 wrap) != 0;
		free(sealed);
		pv_wipe(wrap, sizeof wrap);
		if (bad)
			return -1;
		memcpy(key, master, PV_KEY_BYTES);
		pv_wipe(master, sizeof master);
	}
	return pv_root_matches(v, key);
}

/* The keyring's wrap key, when the root secret was replaced since the vault was made:
 * unsealed with the master into v->keys->keyring_wrap. */
static pv_rc keyring_wrap_of(pv_vault *v)
{
	uint8_t *sealed = NULL, seal_key[PV_KEY_BYTES], ad[32];
	size_t len = 0;
	if (pv_store_meta_get(v->store, "keyring_sealed", &sealed, &len) != 0)
		return PV_OK; /* derived from the master, as at creation */
	pv_derive_key(seal_key, sizeof seal_key, SUBKEY_KEYRING_SEAL, KDF_CONTEXT, v->root);
	int bad = len != SEALED_KEY_BYTES ||
		  pv_open_sealed(v->keys->keyring_wrap, sealed, len, ad,
				 sealed_key_ad(ad, v, "keyring"), seal_key) != 0;
	free(sealed);
	pv_wipe(seal_key, sizeof seal_key);
	return bad ? pv_fail(v, PV_ERR_CORRUPT, "vault header: the keyring key does not open")
		   : PV_OK;
}

/* The root key from the vault's own secret (key file or passphrase), checked against
 * the stored key check. */
static pv_rc root_from_secret(pv_vault *v, const char *dir, const pv_key *key, uint8_t *root)
{
	uint8_t *salt = NULL, *kdf = NULL;
	size_t salt_len = 0;
	pv_rc rc = PV_OK;
	if (pv_store_meta_get(v->store, "kdf", &kdf, NULL) != 0)
		rc = pv_fail(v, PV_ERR_CORRUPT, "vault header: key parameters missing");
	int vault_uses_passphrase = kdf && strcmp((char *)kdf, "argon2id") == 0;
	if (!rc && vault_uses_passphrase != key->is_passphrase)
		rc = pv_fail(v, PV_ERR_BAD_KEY, "this vault is opened with a %s, not a %s",
			     vault_uses_passphrase ? "passphrase" : "key file",
			     key->is_passphrase ? "passphrase" : "key file");
	uint64_t ops = 0, mem = 0;
	if (!rc && vault_uses_passphrase &&
	    (pv_store_meta_get(v->store, "kdf_salt", &salt, &salt_len) != 0 ||
	     salt_len != PV_SALT_BYTES || meta_u64(v, "kdf_ops", &ops) != 0 ||
	     meta_u64(v, "kdf_mem", &mem) != 0 || mem > ((uint64_t)4 << 30)))
		rc = pv_fail(v, PV_ERR_CORRUPT, "vault header: Argon2id parameters missing or bad");
	if (!rc)
		rc = root_from_key(v, key, salt, ops, (size_t)mem, root);
	if (!rc && master_from_root(v, root) != 0)
		rc = pv_fail(v, PV_ERR_BAD_KEY, "wrong %s for vault %s",
			     key->is_passphrase ? "passphrase" : "key file", dir);
	free(kdf);
	free(salt);
	return rc;
}

/* For the keyring journal: 1 when the data store committed the change of bucket to
 * generation gen (no data key of it is still wrapped by an older generation). */
static int bucket_committed(void *ctx, uint32_t bucket, uint32_t gen)
{
	pv_vault *v = ctx;
	int behind = pv_store_bucket_behind(v->store, bucket, gen);
	return behind < 0 ? -1 : !behind;
}

static pv_rc vault_open(pv_vault *v, const char *dir, const struct credential *cred)
{
	if (pv_crypto_init() != 0)
		return pv_fail(v, PV_ERR_CRYPTO, "cannot initialise libsodium");
	disable_core_dumps();
	char err[512];
	char *dbp = db_path(dir);
	if (!dbp)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	if (access(dbp, F_OK) != 0) {
		free(dbp);
		return pv_fail(v, PV_ERR_NOT_FOUND, "%s is not a vault (no %s in it)", dir, DB_NAME);
	}
	v->store = pv_store_open(dbp, 0, err, sizeof err);
	free(dbp);
	if (!v->store)
		return pv_fail(v, PV_ERR_STORE, "%s", err);

	uint8_t *val = NULL;
	size_t len = 0;
	pv_rc rc = PV_OK;
	if (pv_store_meta_get(v->store, "format", &val, &len) != 0 ||
	    len != strlen(FORMAT_TAG) || memcmp(val, FORMAT_TAG, len) != 0)
		rc = pv_fail(v, PV_ERR_CORRUPT, "%s is not a pivault vault of a known format", dir);
	free(val);
	val = NULL;
	if (!rc && (pv_store_meta_get(v->store, "vault_id", &val, &len) != 0 ||
		    len != PV_VAULT_ID_BYTES))
		rc = pv_fail(v, PV_ERR_CORRUPT, "vault header: vault id missing");
	if (!rc) {
		memcpy(v->vault_id, val, PV_VAULT_ID_BYTES);
		pv_hex(v->vault_id_hex, v->vault_id, sizeof v->vault_id);
	}
	free(val);
	val = NULL;
	if (!rc && !(v->root = pv_secret_alloc(PV_KEY_BYTES)))
		rc = pv_fail(v, PV_ERR_NOMEM, "out of memory");
	if (!rc)
		rc = cred->key ? root_from_secret(v, dir, cred->key, v->root)
			       : pv_user_unlock(v, cred->user, cred->password, cred->password_len,
						v->root);
	if (rc)
		return rc;
	derive_keys(v, v->root);
	if ((rc = keyring_wrap_of(v)) != PV_OK)
		return rc;
	v->has_keys = 1;
	if ((rc = pv_user_session_verify(v)) != PV_OK)
		return rc;

	int got = pv_authz_meta_get(v, "schema", &val, &len);
	if (got != 0)
		return pv_fail(v, PV_ERR_CORRUPT, "%s", got < 0 ? pv_store_errmsg(v->store)
							    : "vault header: schema missing");
	rc = load_schema(v, (const char *)val, len, "(stored schema)");
	free(val);
	if (!rc) {
		derive_field_keys(v);
		rc = number_fields(v);
	}
	if (rc)
		return rc;
	int bad = 0;
	finish_root_change(v);
	v->keyring = pv_keyring_open(v->keyring_path, v->vault_id, v->keys->keyring_wrap, &bad,
				     err, sizeof err);
	if (!v->keyring)
		return pv_fail(v, bad ? PV_ERR_BAD_KEY : PV_ERR_NOT_FOUND, "%s", err);
	/* A shred interrupted between its commit and the keyring's overwrite is finished. */
	if (pv_keyring_recover(v->keyring, bucket_committed, v, err, sizeof err) != 0)
		return pv_fail(v, PV_ERR_IO, "%s", err);
	return pv_ok(v);
}

void pv_vault_close(pv_vault *v)
{
	if (!v)
		return;
	pv_approval_close(v);
	pv_store_close(v->store);
	pv_keyring_close(v->keyring);
	pv_schema_free(v->schema);
	free(v->schema_text);
	pv_rng_free(v->rng);
	pv_secret_free(v->keys);
	pv_secret_free(v->root);
	free(v->user_roles);
	pv_secret_free(v->field_keys);
	free(v->field_nums);
	free(v->dir);
	free(v->keyring_path);
	free(v);
}

const char *pv_vault_id(const pv_vault *v)
{
	return v->vault_id_hex;
}

const char *pv_vault_schema_text(const pv_vault *v)
{
	return v->schema_text ? v->schema_text : "";
}

pv_rc pv_vault_count(pv_vault *v, uint64_t *count)
{
	if (pv_store_customer_count(v->store, count) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return pv_ok(v);
}

pv_rc pv_vault_fresh_keys(pv_vault *v)
{
	char err[512];
	if (!pv_keyring_is_current(v->keyring)) { /* another process replaced the root secret */
		pv_rc rc = keyring_wrap_of(v);
		int bad = 0;
		if (rc)
			return rc;
		finish_root_change(v);
		struct pv_keyring *kr = pv_keyring_open(v->keyring_path, v->vault_id,
							v->keys->keyring_wrap, &bad, err, sizeof err);
		if (!kr)
			return pv_fail(v, PV_ERR_BAD_KEY, "%s", err);
		pv_keyring_close(v->keyring);
		v->keyring = kr;
	}
	if (pv_keyring_recover(v->keyring, bucket_committed, v, err, sizeof err) != 0 ||
	    pv_keyring_refresh(v->keyring, err, sizeof err) != 0)
		return pv_fail(v, PV_ERR_BAD_KEY, "%s", err);
	return PV_OK;
}

pv_rc pv_vault_batch_begin(pv_vault *v)
{
	if (pv_store_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return pv_ok(v);
}

pv_rc pv_vault_batch_end(pv_vault *v, int commit)
{
	if (commit && pv_store_commit(v->store) == 0)
		return pv_ok(v);
	pv_rc rc = commit ? pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store)) : PV_OK;
	(void)pv_store_rollback(v->store);
	v->audit_tail.valid = 0;
	return rc;
}

void pv_vault_on_progress(pv_vault *v, pv_progress_note_fn fn, void *ctx)
{
	v->progress = fn;
	v->progress_ctx = ctx;
}

void pv_progress(pv_vault *v, const char *stage, uint64_t done, uint64_t total)
{
	if (!v->progress)
		return;
	struct timespec t; /* a few reports a second, and the last one */
	clock_gettime(CLOCK_MONOTONIC, &t);
	double now = (double)t.tv_sec + (double)t.tv_nsec / 1e9;
	if (done != total && now - v->progress_last < 0.2)
		return;
	v->progress_last = now;
	v->progress(v->progress_ctx, stage, done, total);
}

struct pv_rng *pv_vault_rng(pv_vault *v)
{
	if (!v->rng)
		v->rng = pv_rng_new();
	return v->rng;
}

pv_rc pv_vault_checkpoint(pv_vault *v)
{
	if (pv_store_checkpoint(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return pv_ok(v);
}

pv_rc pv_vault_load_keys(pv_vault *v)
{
	char err[512];
	if (!v->keyring)
		return pv_fail(v, PV_ERR_USAGE, "the vault is not open with its keys");
	if (pv_keyring_load_all(v->keyring, err, sizeof err) != 0)
		return pv_fail(v, PV_ERR_BAD_KEY, "%s", err);
	return pv_ok(v);
}

/* ---- Replacing the root secret ---- */

/* Seal key under a key derived (sub) from base, bound to this vault and use. */
static void seal_key_under(const pv_vault *v, uint8_t out[SEALED_KEY_BYTES], const uint8_t *key,
			   const uint8_t *base, uint64_t sub, const char *use)
{
	uint8_t wrap[PV_KEY_BYTES], ad[32];
	pv_derive_key(wrap, sizeof wrap, sub, KDF_CONTEXT, base);
	pv_seal(out, key, PV_KEY_BYTES, ad, sealed_key_ad(ad, v, use), wrap, NULL);
	pv_wipe(wrap, sizeof wrap);
}

/* The new secret's key-stretching parameters and root key, written to the header. */
static pv_rc new_root_header(pv_vault *v, const pv_key *key, uint8_t *root)
{
	uint8_t salt[PV_SALT_BYTES];
	uint64_t ops = 0, mem = 0;
	size_t memlim = 0;
	pv_rc rc = PV_OK;
	if (key->is_passphrase) { /* as strong as the passphrase it replaces, at least */
		pv_random(salt, sizeof salt);
		pv_stretch_limits(0, &ops, &memlim);
		mem = memlim;
		uint64_t old_ops = 0, old_mem = 0;
		if (meta_u64(v, "kdf_ops", &old_ops) == 0 && meta_u64(v, "kdf_mem", &old_mem) == 0 &&
		    old_mem <= ((uint64_t)4 << 30)) {
			ops = old_ops;
			mem = old_mem;
		}
	}
	rc = root_from_key(v, key, salt, ops, (size_t)mem, root);
	if (!rc)
		rc = put_meta(v, "kdf", key->is_passphrase ? "argon2id" : "raw",
			      key->is_passphrase ? 8 : 3);
	if (!rc && key->is_passphrase) {
		rc = put_meta(v, "kdf_salt", salt, sizeof salt);
		if (!rc)
			rc = put_u64_meta(v, "kdf_ops", ops);
		if (!rc)
			rc = put_u64_meta(v, "kdf_mem", mem);
	} else if (!rc && (pv_store_meta_delete(v->store, "kdf_salt") != 0 ||
			   pv_store_meta_delete(v->store, "kdf_ops") != 0 ||
			   pv_store_meta_delete(v->store, "kdf_mem") != 0)) {
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	}
	return rc;
}

pv_rc pv_vault_rekey_root(pv_vault *v, const pv_access *who, const pv_key *new_key)
{
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_REKEY, &role);
	if (rc)
		return pv_audit_failure(v, rc, "rekey root", NULL, NULL);
	if (v->user_roles || !new_key) /* a user holds the master, not the root secret */
		return pv_fail(v, PV_ERR_DENIED, "only a session opened with the root secret may "
			       "replace it");
	char *next = pv_keyring_sibling(v, ".next"), err[512];
	uint8_t *root = pv_secret_alloc(PV_KEY_BYTES), *wrap = pv_secret_alloc(PV_KEY_BYTES);
	uint8_t sealed_master[SEALED_KEY_BYTES], sealed_wrap[SEALED_KEY_BYTES];
	if (!next || !root || !wrap)
		rc = pv_fail(v, PV_ERR_NOMEM, "out of memory");
	if (!rc && pv_store_begin(v->store) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	int in_txn = !rc;
	if (!rc)
		rc = pv_vault_fresh_keys(v); /* the writer lock, and the keyring as it is now */
	if (!rc)
		rc = new_root_header(v, new_key, root);
	if (!rc) { /* a new keyring wrap key: a copy of the keyring sealed under it */
		pv_random(wrap, PV_KEY_BYTES);
		if (pv_keyring_write_rewrapped(v->keyring, next, wrap, err, sizeof err) != 0)
			rc = pv_fail(v, PV_ERR_IO, "%s", err);
	}
	if (!rc) {
		seal_key_under(v, sealed_master, v->root, root, SUBKEY_MASTER_WRAP, "master");
		seal_key_under(v, sealed_wrap, wrap, v->root, SUBKEY_KEYRING_SEAL, "keyring");
		rc = put_meta(v, "master_sealed", sealed_master, sizeof sealed_master);
		if (!rc)
			rc = put_meta(v, "keyring_sealed", sealed_wrap, sizeof sealed_wrap);
	}
	struct pv_audit_event e = { "rekey root", NULL, NULL, NULL, "ok",
				    new_key->is_passphrase ? "root secret replaced by a passphrase; "
							     "keyring slots sealed anew"
							   : "root secret replaced by a key file; "
							     "keyring slots sealed anew" };
	if (in_txn)
		rc = pv_audit_commit(v, &e, rc);
	if (rc) {
		if (next)
			unlink(next);
	} else if (rename(next, v->keyring_path) != 0) { /* else finished at the next open */
		rc = pv_fail(v, PV_ERR_IO, "the new root secret is in place, but %s could not be "
			     "renamed: the next open finishes it", next);
	} else {
		sync_dir_of(v->keyring_path);
		memcpy(v->keys->keyring_wrap, wrap, PV_KEY_BYTES);
		int bad = 0;
		pv_keyring_close(v->keyring);
		v->keyring = pv_keyring_open(v->keyring_path, v->vault_id, wrap, &bad, err,
					     sizeof err);
		if (!v->keyring)
			rc = pv_fail(v, PV_ERR_IO, "%s", err);
	}
	pv_secret_free(root);
	pv_secret_free(wrap);
	free(next);
	if (rc)
		return pv_audit_failure(v, rc, "rekey root", NULL, NULL);
	return pv_ok(v);
}
