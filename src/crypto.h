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
/* SipHash-2-4 (crypto_shorthash) of in under a 16-byte key: a keyed hash for choosing a
 * table slot, where an outsider must not be able to tell which inputs share one. */
#define PV_SHORT_HASH_KEY_BYTES 16
uint64_t pv_short_hash(const void *in, size_t len, const uint8_t key[PV_SHORT_HASH_KEY_BYTES]);

/* Unkeyed BLAKE2b-256 of a | b (either may be NULL with length 0). */
void pv_hash2(uint8_t out[32], const void *a, size_t alen, const void *b, size_t blen);

#define PV_SIGN_PUBLIC 32
#define PV_SIGN_SECRET 64
#define PV_SIGNATURE 64
/* Ed25519 key pair from a 32-byte seed (sk in guarded memory is the caller's affair). */
void pv_sign_keypair(const uint8_t seed[32], uint8_t pk[PV_SIGN_PUBLIC], uint8_t sk[PV_SIGN_SECRET]);
/* Detached Ed25519 signature of msg. */
void pv_sign(uint8_t sig[PV_SIGNATURE], const void *msg, size_t len, const uint8_t sk[PV_SIGN_SECRET]);
/* 0 when sig is a valid signature of msg by pk, else -1. */
int pv_sign_verify(const uint8_t sig[PV_SIGNATURE], const void *msg, size_t len,
		   const uint8_t pk[PV_SIGN_PUBLIC]) __attribute__((warn_unused_result));

#define PV_BOX_PUBLIC 32
#define PV_BOX_SECRET 32
#define PV_BOX_SEAL_OVERHEAD 48
/* A new X25519 key pair (for escrow). */
void pv_box_keypair(uint8_t pk[PV_BOX_PUBLIC], uint8_t sk[PV_BOX_SECRET]);
/* Anonymous sealed box of in[0..len) to pk: len + PV_BOX_SEAL_OVERHEAD bytes to out. */
void pv_box_seal(uint8_t *out, const uint8_t *in, size_t len, const uint8_t pk[PV_BOX_PUBLIC]);
/* Open a sealed box of len bytes to (pk, sk) into out (len - PV_BOX_SEAL_OVERHEAD bytes).
 * 0, or -1 when it is not sealed to that key or was changed. */
int pv_box_seal_open(uint8_t *out, const uint8_t *in, size_t len, const uint8_t pk[PV_BOX_PUBLIC],
		     const uint8_t sk[PV_BOX_SECRET]);

/* Parse exactly 2n hex digits into out[0..n); 0 or -1. */
int pv_unhex(uint8_t *out, size_t n, const char *hex, size_t hexlen);

/* Argon2id: stretch a passphrase into a 32-byte key. Returns 0, or -1 when out of
 * memory for the given limits. */
int pv_stretch_passphrase(uint8_t out[PV_KEY_BYTES], const char *pw, size_t len,
			  const uint8_t salt[PV_SALT_BYTES], uint64_t opslimit, size_t memlimit);

/* Argon2id limits: the default (RFC 9106's second recommendation: t=3, 64 MiB) and a
 * fast setting, which only test builds accept (pv_kdf_fast_allowed). */
void pv_stretch_limits(int fast, uint64_t *opslimit, size_t *memlimit);

/* The floor under which a stored Argon2id setting (the root passphrase's, a user's slot)
 * is refused: the default setting, t=3 and 64 MiB. Stated in messages as PV_KDF_FLOOR. */
#define PV_KDF_FLOOR_OPS 3u
#define PV_KDF_FLOOR_MEM (64u * 1024 * 1024)
#define PV_KDF_FLOOR "Argon2id t=3, 64 MiB"
/* 1 in a test build (the library compiled with PV_TESTING, for the tests only): the fast
 * setting may be used and settings under the floor are accepted; 0 in every release
 * build (kdf_policy.c, compiled once each way). */
int pv_kdf_fast_allowed(void);
/* 1 when a stored setting may be used: at or over the floor, or a test build. */
int pv_kdf_acceptable(uint64_t opslimit, uint64_t memlimit);

/* Guarded, locked memory for secrets (zeroed); free with pv_secret_free, which wipes. */
void *pv_secret_alloc(size_t n);
void pv_secret_free(void *p);

/* Wipe memory the compiler may not optimise away. */
void pv_wipe(void *p, size_t n);

/* Constant-time comparison; 0 when equal. */
int pv_ct_compare(const void *a, const void *b, size_t n);

/* Lower-case hex of in[0..n) into out (2n+1 bytes). */
void pv_hex(char *out, const uint8_t *in, size_t n);

/* SHA-256 of the concatenation a[0..alen) | b[0..blen) | c[0..clen) into out; a part that
 * is NULL or of length 0 is skipped. out may overlap the inputs. (Public, unkeyed: for
 * the audit log's RFC 6962 Merkle tree, never for secrets.) */
void pv_sha256(uint8_t out[32], const void *a, size_t alen, const void *b, size_t blen,
	       const void *c, size_t clen);

/* SHA-256 of a stream (files): begin (NULL when out of memory), update, then end, which
 * writes the hash and frees the state. */
struct pv_sha256_stream;
struct pv_sha256_stream *pv_sha256_begin(void);
void pv_sha256_update(struct pv_sha256_stream *h, const void *p, size_t n);
void pv_sha256_end(struct pv_sha256_stream *h, uint8_t out[32]);

#endif
