/* SPDX-License-Identifier: Apache-2.0 */
/* keys.c: the key hierarchy of a vault (docs/formats.md, "Keys"). The root secret, an
 * Argon2id passphrase or a raw key file, gives the wrap key that seals a random master
 * key; the master seals the stable data root and derives the keys that rotate with it;
 * the data root derives the keys that stay for the vault's life. Here are the derivations,
 * the sealing and opening of the master and data root rows, the key check that refuses a
 * wrong master, the handle's random pool and the paths of the keyring's files. Opening
 * and creating vaults, and replacing the root secret, are vault.c's. */
#include "keys.h"
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* crypto_kdf contexts of the three levels (docs/formats.md, "Keys"). */
#define ROOT_CONTEXT "pvroot03"   /* the root secret's key: seals the master */
#define MASTER_CONTEXT "pvmastr3" /* the master key: keys that rotate with it */
#define DATA_CONTEXT "pvdata03"   /* the data root: keys stable for the vault's life */

enum { ROOT_MASTER_WRAP = 1 };
enum { MASTER_KEYRING = 1, MASTER_CHECK, MASTER_DATA_WRAP, MASTER_AUTHZ, MASTER_USER_BIND };
enum { DATA_BLIND = 1, DATA_BUCKET, DATA_AUDIT, DATA_SIGN, DATA_TOKENS };

/* The master key is random, made at creation and at each rekey --root, and stored only
 * sealed: under the root secret's wrap key ("master_sealed") and to each active user's
 * public key (users.c). The data root is random, made once, stored sealed under the
 * master ("data_root_sealed"). There is no other way to either: a missing row is an
 * error, never a fallback. */

/* ---- the root secret ---- */

pv_rc pv_key_from_passphrase(const char *passphrase, size_t len, pv_key **out)
{
	*out = NULL;
	if (!passphrase || len == 0)
		return pv_fail(NULL, PV_ERR_USAGE, "the passphrase is empty");
	pv_key *k = calloc(1, sizeof *k);
	if (!k || pv_crypto_init() != 0 || !(k->bytes = pv_secret_alloc(len))) {
		free(k);
		return pv_fail(NULL, PV_ERR_NOMEM, "out of locked memory for the passphrase");
	}
	memcpy(k->bytes, passphrase, len);
	k->len = len;
	k->is_passphrase = 1;
	*out = k;
	return pv_ok(NULL);
}

pv_rc pv_key_from_file(const char *path, pv_key **out)
{
	*out = NULL;
	if (pv_crypto_init() != 0)
		return pv_fail(NULL, PV_ERR_CRYPTO, "libsodium cannot start");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pv_fail(NULL, errno == ENOENT ? PV_ERR_NOT_FOUND : PV_ERR_IO,
			       "cannot read key file %s: %s", path, strerror(errno));
	pv_key *k = calloc(1, sizeof *k);
	uint8_t *buf = pv_secret_alloc(PV_KEY_BYTES + 1);
	pv_rc rc = PV_OK;
	if (!k || !buf) {
		rc = pv_fail(NULL, PV_ERR_NOMEM, "out of locked memory for the key");
	} else {
		ssize_t n = read(fd, buf, PV_KEY_BYTES + 1);
		if (n < 0)
			rc = pv_fail(NULL, PV_ERR_IO, "cannot read key file %s: %s", path,
				     strerror(errno));
		else if (n != PV_KEY_BYTES)
			rc = pv_fail(NULL, PV_ERR_BAD_KEY, "key file %s does not hold exactly %d "
				     "bytes", path, PV_KEY_BYTES);
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
	return pv_ok(NULL);
}

pv_rc pv_key_generate_file(const char *path)
{
	if (pv_crypto_init() != 0)
		return pv_fail(NULL, PV_ERR_CRYPTO, "libsodium cannot start");
	int fd = pv_file_create_fd(path);
	if (fd < 0 && (errno == EEXIST || errno == ELOOP))
		return pv_fail(NULL, PV_ERR_EXISTS, "%s already exists (a key file is never "
			       "written over)", path);
	if (fd < 0)
		return pv_fail(NULL, PV_ERR_IO, "cannot create key file %s: %s", path,
			       strerror(errno));
	uint8_t key[PV_KEY_BYTES];
	pv_random(key, sizeof key);
	ssize_t n = write(fd, key, sizeof key);
	pv_wipe(key, sizeof key);
	int ok = n == (ssize_t)sizeof key && fsync(fd) == 0;
	int e = errno;
	if (close(fd) != 0 || !ok) {
		unlink(path);
		return pv_fail(NULL, PV_ERR_IO, "cannot write key file %s: %s", path,
			       strerror(ok ? errno : e));
	}
	return pv_ok(NULL);
}

void pv_key_free(pv_key *key)
{
	if (!key)
		return;
	pv_secret_free(key->bytes);
	free(key);
}

/* ---- derivation and sealing ---- */

void pv_keys_derive_master(struct pv_vault_keys *k, const uint8_t *master)
{
	pv_derive_key(k->keyring_wrap, PV_KEY_BYTES, MASTER_KEYRING, MASTER_CONTEXT, master);
	pv_derive_key(k->key_check, PV_KEY_BYTES, MASTER_CHECK, MASTER_CONTEXT, master);
	pv_derive_key(k->authz_mac, PV_KEY_BYTES, MASTER_AUTHZ, MASTER_CONTEXT, master);
	pv_user_bind_key(k->user_bind, master);
}

void pv_user_bind_key(uint8_t out[PV_KEY_BYTES], const uint8_t *master)
{
	pv_derive_key(out, PV_KEY_BYTES, MASTER_USER_BIND, MASTER_CONTEXT, master);
}

/* The keys that stay for the vault's life, from the data root. */
static void derive_data_keys(pv_vault *v, const uint8_t *data_root)
{
	struct pv_vault_keys *k = v->keys;
	pv_derive_key(k->blind_master, PV_KEY_BYTES, DATA_BLIND, DATA_CONTEXT, data_root);
	pv_derive_key(k->bucket_hash, PV_SHORT_HASH_KEY_BYTES, DATA_BUCKET, DATA_CONTEXT,
		      data_root);
	pv_derive_key(k->audit_mac, PV_KEY_BYTES, DATA_AUDIT, DATA_CONTEXT, data_root);
	pv_derive_key(k->token_master, PV_KEY_BYTES, DATA_TOKENS, DATA_CONTEXT, data_root);
	/* The signing key is bound to this vault: two vaults sharing a root key file still
	 * sign with different keys. */
	uint8_t sign_master[PV_KEY_BYTES], sign_seed[PV_KEY_BYTES];
	pv_derive_key(sign_master, PV_KEY_BYTES, DATA_SIGN, DATA_CONTEXT, data_root);
	pv_keyed_hash(sign_seed, PV_KEY_BYTES, v->vault_id, sizeof v->vault_id, sign_master);
	pv_sign_keypair(sign_seed, k->sign_public, k->sign_secret);
	pv_wipe(sign_master, sizeof sign_master);
	pv_wipe(sign_seed, sizeof sign_seed);
}

/* The value stored to recognise the current master key: keyed hash of the vault id. */
static void key_check_value(const pv_vault *v, const struct pv_vault_keys *k, uint8_t out[32])
{
	pv_keyed_hash(out, 32, v->vault_id, sizeof v->vault_id, k->key_check);
}

/* Associated data binding a sealed key to this vault and its use. */
static size_t sealed_key_ad(uint8_t ad[32], const pv_vault *v, const char *use)
{
	size_t n = strlen(use);
	memcpy(ad, v->vault_id, PV_VAULT_ID_BYTES);
	memcpy(ad + PV_VAULT_ID_BYTES, use, n);
	return PV_VAULT_ID_BYTES + n;
}

/* Seal key (32 bytes) under wrap, bound to this vault and use. */
static void seal_key(const pv_vault *v, uint8_t out[PV_SEALED_KEY_BYTES], const uint8_t *key,
		     const uint8_t *wrap, const char *use)
{
	uint8_t ad[32];
	pv_seal(out, key, PV_KEY_BYTES, ad, sealed_key_ad(ad, v, use), wrap, NULL);
}

/* Open a sealed key row of the meta table into out: 0, 1 when the row is missing, -1
 * when it does not open under wrap. */
static int open_key_row(pv_vault *v, const char *row, const uint8_t *wrap, const char *use,
			uint8_t *out)
{
	uint8_t *sealed = NULL, ad[32];
	size_t len = 0;
	if (pv_store_meta_get(v->store, row, &sealed, &len) != 0)
		return 1;
	int bad = len != PV_SEALED_KEY_BYTES ||
		  pv_open_sealed(out, sealed, len, ad, sealed_key_ad(ad, v, use), wrap) != 0;
	free(sealed);
	return bad ? -1 : 0;
}

void pv_root_wrap_of(uint8_t out[PV_KEY_BYTES], const uint8_t *root)
{
	pv_derive_key(out, PV_KEY_BYTES, ROOT_MASTER_WRAP, ROOT_CONTEXT, root);
}

pv_rc pv_root_from_key(pv_vault *v, const pv_key *key, const uint8_t salt[PV_SALT_BYTES],
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

void pv_keys_derive_fields(pv_vault *v)
{
	for (size_t i = 0; i < v->schema->nfields; i++) {
		const char *fname = v->schema->fields[i].name;
		pv_keyed_hash(v->field_keys + i * PV_KEY_BYTES, PV_KEY_BYTES, fname, strlen(fname),
			      v->keys->blind_master);
	}
}

/* ---- the master and data root rows ---- */

/* The master's key that seals the data root. */
static void data_wrap_of(uint8_t out[PV_KEY_BYTES], const uint8_t *master)
{
	pv_derive_key(out, PV_KEY_BYTES, MASTER_DATA_WRAP, MASTER_CONTEXT, master);
}

pv_rc pv_keys_create(pv_vault *v, const uint8_t *root, struct pv_master_rows *rows)
{
	uint8_t *data_root = pv_secret_alloc(PV_KEY_BYTES);
	if (!data_root)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	uint8_t data_wrap[PV_KEY_BYTES];
	pv_random(v->master, PV_KEY_BYTES);
	pv_random(data_root, PV_KEY_BYTES);
	pv_root_wrap_of(v->unlock, root);
	v->unlock_kind = PV_UNLOCK_ROOT;
	pv_keys_derive_master(v->keys, v->master);
	derive_data_keys(v, data_root);
	pv_keys_derive_fields(v);
	seal_key(v, rows->master, v->master, v->unlock, "master");
	data_wrap_of(data_wrap, v->master);
	seal_key(v, rows->data_root, data_root, data_wrap, "data-root");
	key_check_value(v, v->keys, rows->check);
	pv_wipe(data_wrap, sizeof data_wrap);
	pv_secret_free(data_root);
	v->has_keys = 1;
	return PV_OK;
}

pv_rc pv_keys_reseal_master(pv_vault *v, const uint8_t *master, const struct pv_vault_keys *k,
			    const uint8_t *root_wrap, struct pv_master_rows *rows, int *st)
{
	uint8_t wrap[PV_KEY_BYTES];
	uint8_t *data_root = pv_secret_alloc(PV_KEY_BYTES);
	if (!data_root)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	data_wrap_of(wrap, v->master);
	*st = open_key_row(v, "data_root_sealed", wrap, "data-root", data_root);
	if (*st == 0) {
		data_wrap_of(wrap, master);
		seal_key(v, rows->data_root, data_root, wrap, "data-root");
		seal_key(v, rows->master, master, root_wrap, "master");
		key_check_value(v, k, rows->check);
	}
	pv_wipe(wrap, sizeof wrap);
	pv_secret_free(data_root);
	return PV_OK;
}

int pv_keys_open_master(pv_vault *v, const uint8_t *root_wrap, uint8_t *master)
{
	return open_key_row(v, "master_sealed", root_wrap, "master", master);
}

pv_rc pv_keys_use_master(pv_vault *v, const uint8_t *master)
{
	uint8_t data_wrap[PV_KEY_BYTES];
	uint8_t *data_root = pv_secret_alloc(PV_KEY_BYTES);
	if (!data_root)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	data_wrap_of(data_wrap, master);
	int st = open_key_row(v, "data_root_sealed", data_wrap, "data-root", data_root);
	pv_wipe(data_wrap, sizeof data_wrap);
	pv_rc rc = PV_OK;
	if (st != 0)
		rc = pv_fail(v, PV_ERR_CORRUPT, "vault header: the sealed data root "
			     "(data_root_sealed) is %s", st > 0 ? "missing" : "not sealed under "
			     "the master key");
	if (!rc) {
		if (master != v->master)
			memcpy(v->master, master, PV_KEY_BYTES);
		pv_keys_derive_master(v->keys, v->master);
		derive_data_keys(v, data_root);
	}
	pv_secret_free(data_root);
	return rc;
}

int pv_master_matches(pv_vault *v, const uint8_t *master)
{
	uint8_t *check = NULL, want[32];
	size_t check_len = 0;
	if (pv_store_meta_get(v->store, "key_check", &check, &check_len) != 0 || check_len != 32) {
		free(check);
		return -1;
	}
	struct pv_vault_keys *k = pv_secret_alloc(sizeof *k);
	int rc = -1;
	if (k) {
		pv_keys_derive_master(k, master);
		key_check_value(v, k, want);
		rc = pv_ct_compare(want, check, 32) == 0 ? 0 : -1;
	}
	pv_secret_free(k);
	free(check);
	return rc;
}

/* ---- what the handle offers from its keys ---- */

pv_rc pv_vault_public_key(pv_vault *v, char hex[2 * PV_SIGN_PUBLIC + 1])
{
	pv_hex(hex, v->keys->sign_public, PV_SIGN_PUBLIC);
	return pv_ok(v);
}

struct pv_rng *pv_vault_rng(pv_vault *v)
{
	if (!v->rng)
		v->rng = pv_rng_new();
	return v->rng;
}

char *pv_keyring_sibling(const pv_vault *v, const char *suffix)
{
	size_t n = strlen(v->keyring_path) + strlen(suffix) + 1;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s%s", v->keyring_path, suffix);
	return p;
}
