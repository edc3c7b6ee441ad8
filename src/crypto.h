/* SPDX-License-Identifier: Apache-2.0 */
/* crypto.h: the only door to libsodium's primitives: authenticated encryption
 * (XChaCha20-Poly1305-IETF), keyed BLAKE2b, sub-key derivation, Argon2id, randomness and
 * guarded memory for secrets. No primitive is written here, only composed. */
#ifndef PV_CRYPTO_H
#define PV_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define PV_KEY_BYTES 32
#define PV_NONCE_BYTES 24
#define PV_TAG_BYTES 16
/* A sealed message is nonce | ciphertext | tag. */
#define PV_SEAL_OVERHEAD (PV_NONCE_BYTES + PV_TAG_BYTES)
#define PV_SALT_BYTES 16

/* Initialise libsodium once (thread-safe); 0 on success. */
int pv_crypto_init(void);

/* Fill buf with n random bytes. */
void pv_random(void *buf, size_t n);

/* A per-thread pool of random bytes: one getrandom() seed per refill, expanded with
 * libsodium's ChaCha20-based randombytes_buf_deterministic, so bulk work (a nonce and a
 * data key per record) does not pay a system call each time. Lives in guarded memory;
 * consumed bytes are wiped. */
struct pv_rng;
struct pv_rng *pv_rng_new(void);
void pv_rng_free(struct pv_rng *rng);
/* n random bytes from rng, or straight from the system when rng is NULL. */
void pv_rng_bytes(struct pv_rng *rng, void *out, size_t n);

/* Seal pt[0..len) under key with associated data ad: writes len + PV_SEAL_OVERHEAD
 * bytes to out (random nonce first, from rng or the system when rng is NULL). */
void pv_seal(uint8_t *out, const uint8_t *pt, size_t len, const uint8_t *ad, size_t adlen,
	     const uint8_t key[PV_KEY_BYTES], struct pv_rng *rng);

/* Open a sealed message of sealed_len bytes into out (sealed_len - PV_SEAL_OVERHEAD
 * bytes). Returns 0, or -1 when it fails authentication (out is then wiped). */
int pv_open_sealed(uint8_t *out, const uint8_t *sealed, size_t sealed_len, const uint8_t *ad,
		   size_t adlen, const uint8_t key[PV_KEY_BYTES]);

/* Derive sub-key number id (of the 8-character context ctx) from a 32-byte master key. */
void pv_derive_key(uint8_t *out, size_t outlen, uint64_t id, const char ctx[8],
		   const uint8_t master[PV_KEY_BYTES]);

/* Keyed BLAKE2b of in[0..len) into out[0..outlen) (16..64 bytes). */
void pv_keyed_hash(uint8_t *out, size_t outlen, const void *in, size_t len,
		   const uint8_t key[PV_KEY_BYTES]);

/* Argon2id: stretch a passphrase into a 32-byte key. Returns 0, or -1 when out of
 * memory for the given limits. */
int pv_stretch_passphrase(uint8_t out[PV_KEY_BYTES], const char *pw, size_t len,
			  const uint8_t salt[PV_SALT_BYTES], uint64_t opslimit, size_t memlimit);

/* Argon2id limits: the default (RFC 9106's second recommendation: t=3, 64 MiB) and a
 * fast setting for tests. */
void pv_stretch_limits(int fast, uint64_t *opslimit, size_t *memlimit);

/* Guarded, locked memory for secrets (zeroed); free with pv_secret_free, which wipes. */
void *pv_secret_alloc(size_t n);
void pv_secret_free(void *p);

/* Wipe memory the compiler may not optimise away. */
void pv_wipe(void *p, size_t n);

/* Constant-time comparison; 0 when equal. */
int pv_ct_compare(const void *a, const void *b, size_t n);

/* Lower-case hex of in[0..n) into out (2n+1 bytes). */
void pv_hex(char *out, const uint8_t *in, size_t n);

#endif
