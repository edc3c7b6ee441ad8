/* SPDX-License-Identifier: Apache-2.0 */
/* crypto.c: thin, checked wrappers over libsodium; the only file that calls its
 * ciphers, hashes and key-derivation functions. */
#include "crypto.h"

#include <sodium.h>
#include <string.h>

int pv_crypto_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

void pv_random(void *buf, size_t n)
{
	randombytes_buf(buf, n);
}

#define RNG_POOL 16384

struct pv_rng {
	size_t pos;
	uint8_t pool[RNG_POOL];
};

struct pv_rng *pv_rng_new(void)
{
	struct pv_rng *r = pv_secret_alloc(sizeof *r);
	if (r)
		r->pos = RNG_POOL;
	return r;
}

void pv_rng_free(struct pv_rng *rng)
{
	pv_secret_free(rng);
}

void pv_rng_bytes(struct pv_rng *rng, void *out, size_t n)
{
	if (!rng || n > RNG_POOL) {
		randombytes_buf(out, n);
		return;
	}
	if (RNG_POOL - rng->pos < n) {
		uint8_t seed[randombytes_SEEDBYTES];
		randombytes_buf(seed, sizeof seed);
		randombytes_buf_deterministic(rng->pool, RNG_POOL, seed);
		sodium_memzero(seed, sizeof seed);
		rng->pos = 0;
	}
	memcpy(out, rng->pool + rng->pos, n);
	sodium_memzero(rng->pool + rng->pos, n);
	rng->pos += n;
}

void pv_seal(uint8_t *out, const uint8_t *pt, size_t len, const uint8_t *ad, size_t adlen,
	     const uint8_t key[PV_KEY_BYTES], struct pv_rng *rng)
{
	pv_rng_bytes(rng, out, PV_NONCE_BYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + PV_NONCE_BYTES, NULL, pt, len, ad,
						   adlen, NULL, out, key);
}

int pv_open_sealed(uint8_t *out, const uint8_t *sealed, size_t sealed_len, const uint8_t *ad,
		   size_t adlen, const uint8_t key[PV_KEY_BYTES])
{
	if (sealed_len < PV_SEAL_OVERHEAD)
		return -1;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL, sealed + PV_NONCE_BYTES,
						       sealed_len - PV_NONCE_BYTES, ad, adlen,
						       sealed, key) != 0) {
		sodium_memzero(out, sealed_len - PV_SEAL_OVERHEAD);
		return -1;
	}
	return 0;
}

void pv_derive_key(uint8_t *out, size_t outlen, uint64_t id, const char ctx[8],
		   const uint8_t master[PV_KEY_BYTES])
{
	crypto_kdf_derive_from_key(out, outlen, id, ctx, master);
}

void pv_keyed_hash(uint8_t *out, size_t outlen, const void *in, size_t len,
		   const uint8_t key[PV_KEY_BYTES])
{
	crypto_generichash(out, outlen, in, len, key, PV_KEY_BYTES);
}

uint64_t pv_short_hash(const void *in, size_t len, const uint8_t key[PV_SHORT_HASH_KEY_BYTES])
{
	uint8_t h[crypto_shorthash_BYTES];
	crypto_shorthash(h, in, len, key);
	uint64_t x = 0;
	for (int i = 0; i < 8; i++)
		x = x << 8 | h[i];
	return x;
}

void pv_hash2(uint8_t out[32], const void *a, size_t alen, const void *b, size_t blen)
{
	if (!blen || !alen) { /* one part: the one-shot call, without a state to set up */
		crypto_generichash(out, 32, blen ? b : a, blen ? blen : alen, NULL, 0);
		return;
	}
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, 32);
	if (alen)
		crypto_generichash_update(&st, a, alen);
	if (blen)
		crypto_generichash_update(&st, b, blen);
	crypto_generichash_final(&st, out, 32);
}

void pv_sign_keypair(const uint8_t seed[32], uint8_t pk[PV_SIGN_PUBLIC], uint8_t sk[PV_SIGN_SECRET])
{
	crypto_sign_seed_keypair(pk, sk, seed);
}

void pv_sign(uint8_t sig[PV_SIGNATURE], const void *msg, size_t len, const uint8_t sk[PV_SIGN_SECRET])
{
	crypto_sign_detached(sig, NULL, msg, len, sk);
}

int pv_sign_verify(const uint8_t sig[PV_SIGNATURE], const void *msg, size_t len,
		   const uint8_t pk[PV_SIGN_PUBLIC])
{
	return crypto_sign_verify_detached(sig, msg, len, pk) == 0 ? 0 : -1;
}

void pv_box_keypair(uint8_t pk[PV_BOX_PUBLIC], uint8_t sk[PV_BOX_SECRET])
{
	crypto_box_keypair(pk, sk);
}

void pv_box_seal(uint8_t *out, const uint8_t *in, size_t len, const uint8_t pk[PV_BOX_PUBLIC])
{
	crypto_box_seal(out, in, len, pk);
}

int pv_box_seal_open(uint8_t *out, const uint8_t *in, size_t len, const uint8_t pk[PV_BOX_PUBLIC],
		     const uint8_t sk[PV_BOX_SECRET])
{
	if (len < PV_BOX_SEAL_OVERHEAD)
		return -1;
	return crypto_box_seal_open(out, in, len, pk, sk) == 0 ? 0 : -1;
}

int pv_unhex(uint8_t *out, size_t n, const char *hex, size_t hexlen)
{
	size_t got = 0;
	if (hexlen != 2 * n)
		return -1;
	if (sodium_hex2bin(out, n, hex, hexlen, NULL, &got, NULL) != 0 || got != n)
		return -1;
	return 0;
}

int pv_stretch_passphrase(uint8_t out[PV_KEY_BYTES], const char *pw, size_t len,
			  const uint8_t salt[PV_SALT_BYTES], uint64_t opslimit, size_t memlimit)
{
	return crypto_pwhash(out, PV_KEY_BYTES, pw, len, salt, opslimit, memlimit,
			     crypto_pwhash_ALG_ARGON2ID13) == 0 ? 0 : -1;
}

void pv_stretch_limits(int fast, uint64_t *opslimit, size_t *memlimit)
{
	if (fast) {
		*opslimit = crypto_pwhash_OPSLIMIT_MIN;
		*memlimit = 8192 * 1024;
	} else {
		*opslimit = 3;
		*memlimit = 64u * 1024 * 1024;
	}
}

void *pv_secret_alloc(size_t n)
{
	void *p = sodium_malloc(n);
	if (p)
		sodium_memzero(p, n);
	return p;
}

void pv_secret_free(void *p)
{
	sodium_free(p); /* wipes before releasing; NULL harmless */
}

void pv_wipe(void *p, size_t n)
{
	sodium_memzero(p, n);
}

int pv_ct_compare(const void *a, const void *b, size_t n)
{
	return sodium_memcmp(a, b, n);
}

void pv_hex(char *out, const uint8_t *in, size_t n)
{
	sodium_bin2hex(out, 2 * n + 1, in, n);
}

void pv_sha256(uint8_t out[32], const void *a, size_t alen, const void *b, size_t blen,
	       const void *c, size_t clen)
{
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	if (a && alen)
		crypto_hash_sha256_update(&st, a, alen);
	if (b && blen)
		crypto_hash_sha256_update(&st, b, blen);
	if (c && clen)
		crypto_hash_sha256_update(&st, c, clen);
	crypto_hash_sha256_final(&st, out); /* after every input is read: out may overlap */
}

struct pv_sha256_stream {
	crypto_hash_sha256_state st;
};

struct pv_sha256_stream *pv_sha256_begin(void)
{
	struct pv_sha256_stream *h = malloc(sizeof *h);
	if (h)
		crypto_hash_sha256_init(&h->st);
	return h;
}

void pv_sha256_update(struct pv_sha256_stream *h, const void *p, size_t n)
{
	crypto_hash_sha256_update(&h->st, p, n);
}

void pv_sha256_end(struct pv_sha256_stream *h, uint8_t out[32])
{
	crypto_hash_sha256_final(&h->st, out);
	free(h);
}
