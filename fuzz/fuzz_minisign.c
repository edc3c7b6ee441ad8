/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_minisign.c: the minisign public key and signature file parsers. Input: a public key
 * text, NUL, a signature text, NUL, the signed message (the rest). The signature is
 * checked with the key parsed when it parses, else with a fixed key, whole and prehashed. */
#include "fuzz.h"

#include "formats/minisign.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf;
	const char *part[2];
	size_t msg_len;
	const char *msg = fuzz_parts(data, size, &buf, part, 2, &msg_len);
	uint8_t pk[32], id[PV_MINISIGN_KEYID];
	char err[256];
	int have_id = part[0] &&
		      pv_minisign_parse_public_key(part[0], strlen(part[0]), pk, id, err,
						   sizeof err) == 0;
	if (!have_id)
		memset(pk, 0x5a, sizeof pk);
	if (part[1]) {
		char *trusted = NULL;
		size_t sig_len = strlen(part[1]);
		if (pv_minisign_verify_id(part[1], sig_len, msg, msg_len, pk, have_id ? id : NULL,
					  &trusted, err, sizeof err) == 0)
			free(trusted);
		trusted = NULL;
		pv_minisign_hash h;
		uint8_t prehash[PV_MINISIGN_PREHASH];
		pv_minisign_hash_init(&h);
		pv_minisign_hash_update(&h, msg, msg_len);
		pv_minisign_hash_final(&h, prehash);
		if (pv_minisign_verify_prehashed(part[1], sig_len, prehash, pk, &trusted, err,
						 sizeof err) == 0)
			free(trusted);
	}
	free(buf);
	return 0;
}
