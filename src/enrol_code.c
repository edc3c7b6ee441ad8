/* SPDX-License-Identifier: Apache-2.0 */
/* enrol_code.c: enrolment code halves: 128 random bits written in base32 (RFC 4648
 * alphabet) for reading aloud or typing, the X25519 key pair each one seeds, and a key
 * sealed so that both halves are needed to open it. */
#include "enrol_code.h"
#include "crypto.h"

#include <sodium.h>
#include <string.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

static void keys_of(const uint8_t half[PV_ENROL_HALF_BYTES], uint8_t pk[32], uint8_t sk[32])
{
	static const uint8_t context[] = "pivault enrolment half v1";
	uint8_t seed[crypto_box_SEEDBYTES];
	crypto_generichash(seed, sizeof seed, half, PV_ENROL_HALF_BYTES, context,
			   sizeof context - 1);
	crypto_box_seed_keypair(pk, sk, seed);
	sodium_memzero(seed, sizeof seed);
}

void pv_enrol_half_new(char text[PV_ENROL_HALF_TEXT], uint8_t pk[32])
{
	uint8_t half[PV_ENROL_HALF_BYTES], sk[32];
	randombytes_buf(half, sizeof half);
	size_t out = 0, chars = 0;
	for (size_t bit = 0; bit < 8 * sizeof half; bit += 5, chars++) {
		unsigned v = 0;
		for (size_t b = bit; b < bit + 5; b++)
			v = v << 1 | (b < 8 * sizeof half ? half[b / 8] >> (7 - b % 8) & 1 : 0);
		if (chars && chars % 5 == 0)
			text[out++] = '-';
		text[out++] = alphabet[v];
	}
	text[out] = '\0';
	keys_of(half, pk, sk);
	sodium_memzero(half, sizeof half);
	sodium_memzero(sk, sizeof sk);
}

int pv_enrol_half_keys(const char *text, uint8_t pk[32], uint8_t sk[32])
{
	uint8_t half[PV_ENROL_HALF_BYTES] = { 0 };
	size_t bit = 0;
	for (const char *p = text; *p; p++) {
		if (*p == '-' || *p == ' ')
			continue;
		char c = *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;
		const char *at = c ? strchr(alphabet, c) : NULL;
		if (!at || bit >= 130)
			return -1;
		unsigned v = (unsigned)(at - alphabet);
		for (int k = 4; k >= 0; k--, bit++)
			if (bit < 8 * sizeof half)
				half[bit / 8] |= (uint8_t)((v >> k & 1) << (7 - bit % 8));
			else if (v >> k & 1)
				return -1; /* the padding bits of the last character are zero */
	}
	if (bit != 130)
		return -1;
	keys_of(half, pk, sk);
	sodium_memzero(half, sizeof half);
	return 0;
}

void pv_enrol_seal(uint8_t out[PV_ENROL_SEALED], const uint8_t key[32], const uint8_t pk_a[32],
		   const uint8_t pk_b[32])
{
	uint8_t inner[32 + crypto_box_SEALBYTES];
	crypto_box_seal(inner, key, 32, pk_b);
	crypto_box_seal(out, inner, sizeof inner, pk_a);
}

int pv_enrol_open(uint8_t key[32], const uint8_t sealed[PV_ENROL_SEALED], const char *half_a,
		  const char *half_b)
{
	uint8_t pk_a[32], pk_b[32], inner[32 + crypto_box_SEALBYTES];
	uint8_t *sk = sodium_malloc(64);
	int rc = sk && half_a && half_b && pv_enrol_half_keys(half_a, pk_a, sk) == 0 &&
			 pv_enrol_half_keys(half_b, pk_b, sk + 32) == 0 &&
			 crypto_box_seal_open(inner, sealed, PV_ENROL_SEALED, pk_a, sk) == 0 &&
			 crypto_box_seal_open(key, inner, sizeof inner, pk_b, sk + 32) == 0
		 ? 0 : -1;
	sodium_memzero(inner, sizeof inner);
	if (sk)
		sodium_free(sk);
	if (rc)
		sodium_memzero(key, 32);
	return rc;
}
