/* SPDX-License-Identifier: Apache-2.0 */
/* pinned_key.c: expected public keys and their fingerprints. A fingerprint is the first
 * 10 bytes of the key's BLAKE2b-256 hash in five groups of four hex digits, short enough
 * to read out over the phone (80 bits: finding another key with the same fingerprint
 * takes about 2^80 tries). Anyone can recompute it from the 32 key bytes, e.g.
 * `xxd -r -p <<< KEY | b2sum -l 256 | cut -c1-20`. */
#include "pinned_key.h"

#include "crypto.h"
#include "errors.h"

#include <stdio.h>
#include <string.h>

#define FINGERPRINT_BYTES 10

int pv_pinned_key_parse(const char *hex, uint8_t pk[32])
{
	return hex && pv_unhex(pk, 32, hex, strlen(hex)) == 0 ? 0 : -1;
}

void pv_fingerprint_of(const uint8_t pk[32], char out[PV_FINGERPRINT_SIZE])
{
	uint8_t h[32];
	char hex[2 * FINGERPRINT_BYTES + 1];
	pv_hash2(h, pk, 32, NULL, 0);
	pv_hex(hex, h, FINGERPRINT_BYTES);
	size_t o = 0;
	for (size_t i = 0; i < 2 * FINGERPRINT_BYTES; i++) {
		if (i && i % 4 == 0)
			out[o++] = ' ';
		out[o++] = hex[i];
	}
	out[o] = '\0';
}

pv_rc pv_key_fingerprint(const char *public_key_hex, char out[PV_FINGERPRINT_SIZE])
{
	uint8_t pk[32];
	out[0] = '\0';
	if (pv_pinned_key_parse(public_key_hex, pk) != 0)
		return pv_fail(NULL, PV_ERR_USAGE, "a public key is 64 hex digits");
	pv_fingerprint_of(pk, out);
	return pv_ok(NULL);
}

void pv_key_mismatch(char *why, size_t whylen, const char *what, const uint8_t expected[32],
		     const uint8_t *found)
{
	char want[PV_FINGERPRINT_SIZE], got[PV_FINGERPRINT_SIZE];
	pv_fingerprint_of(expected, want);
	if (found) {
		pv_fingerprint_of(found, got);
		snprintf(why, whylen, "%s was signed by another key (%s), not by the expected key "
			 "%s", what, got, want);
	} else {
		snprintf(why, whylen, "%s names no readable signing key; the expected key is %s",
			 what, want);
	}
}
