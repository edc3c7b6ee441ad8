/* SPDX-License-Identifier: Apache-2.0 */
/* keys.h: the vault's key hierarchy, apart from opening and creating vaults. The root
 * secret (a passphrase stretched by Argon2id, or a 32-byte key file) gives the wrap key
 * that seals the random master key; the master seals the random data root and derives
 * the keys that rotate with it (keyring wrap, key check, authorisation codes, user
 * binding); the data root derives the keys that stay for the vault's life (blind
 * indexes, buckets, audit codes, the signing pair). Also the key check that refuses a
 * wrong master, the handle's random pool, and the paths of the keyring's files. */
#ifndef PV_KEYS_H
#define PV_KEYS_H

#include "vault.h"

/* The root secret as the caller gave it (pv_key_from_passphrase, pv_key_from_file). */
struct pv_key {
	int is_passphrase;
	size_t len;
	uint8_t *bytes; /* guarded */
};

/* A master key sealed under a wrap key, bound to the vault and its use. */
#define PV_SEALED_KEY_BYTES (PV_KEY_BYTES + PV_SEAL_OVERHEAD)

/* The header rows that hold a master key: the master sealed under the root secret's
 * wrap key ("master_sealed"), the data root sealed under the master ("data_root_sealed")
 * and the master's key check ("key_check"). */
struct pv_master_rows {
	uint8_t master[PV_SEALED_KEY_BYTES];
	uint8_t data_root[PV_SEALED_KEY_BYTES];
	uint8_t check[32];
};

/* The root key (32 bytes, into guarded root) from key: a key file's bytes as they are, a
 * passphrase stretched with salt and the Argon2id setting ops, mem. PV_ERR_NOMEM (message
 * on v) when Argon2id cannot have its memory. */
pv_rc pv_root_from_key(pv_vault *v, const pv_key *key, const uint8_t salt[PV_SALT_BYTES],
		       uint64_t ops, size_t mem, uint8_t *root);

/* The root secret's wrap key (which seals the master) from its 32-byte root key. */
void pv_root_wrap_of(uint8_t out[PV_KEY_BYTES], const uint8_t *root);

/* The keys that rotate with master, into k. */
void pv_keys_derive_master(struct pv_vault_keys *k, const uint8_t *master);

/* The user-binding key of a master key (user slots are bound to it, users.c). */
void pv_user_bind_key(uint8_t out[PV_KEY_BYTES], const uint8_t *master);

/* Each schema field's blind-index key, from the blind-index master key: once the data
 * root's keys are derived and the schema loaded. */
void pv_keys_derive_fields(pv_vault *v);

/* A new vault's keys from its root key: a random master and data root, the root's wrap
 * key into v->unlock, every derived key into the handle, and the rows that hold them. The
 * vault id must be set. PV_ERR_NOMEM (message on v) when guarded memory runs out. */
pv_rc pv_keys_create(pv_vault *v, const uint8_t *root, struct pv_master_rows *rows);

/* The rows of master (with its keys k) for the same data root, this vault's, sealed under
 * the new root secret's wrap key root_wrap. *st is 1 when the stored data root row is
 * missing, -1 when it does not open under the handle's master, else 0 and rows filled.
 * PV_ERR_NOMEM when guarded memory runs out. */
pv_rc pv_keys_reseal_master(pv_vault *v, const uint8_t *master, const struct pv_vault_keys *k,
			    const uint8_t *root_wrap, struct pv_master_rows *rows, int *st);

/* Open the stored master key ("master_sealed") under the root secret's wrap key into
 * master: 0, 1 when the row is missing, -1 when it does not open under root_wrap. */
int pv_keys_open_master(pv_vault *v, const uint8_t *root_wrap, uint8_t *master);

/* Take up master: open the data root it seals and derive every key of both into the
 * handle (v->master becomes master). PV_ERR_CORRUPT (message on v) when the data root's
 * row is missing or not sealed under master. */
pv_rc pv_keys_use_master(pv_vault *v, const uint8_t *master);

/* 0 when master is this vault's current master key (the stored key check matches), else
 * -1. */
int pv_master_matches(pv_vault *v, const uint8_t *master);

/* The handle's random pool for bulk sealing (re-wrapping many data keys), made on first
 * use; NULL (then the system's generator serves) when it cannot be made. Only for the
 * thread that uses the handle. */
struct pv_rng *pv_vault_rng(pv_vault *v);

/* A file beside the keyring, its path with suffix added: KEYRING.ledger (the shred and
 * re-wrap ledger), KEYRING.next (the keyring sealed under a new wrap key, renamed over
 * the keyring once the store committed that key). malloc'd; NULL when out of
 * memory. */
char *pv_keyring_sibling(const pv_vault *v, const char *suffix);

#endif
