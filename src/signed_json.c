/* SPDX-License-Identifier: Apache-2.0 */
/* signed_json.c: signing and checking the vault's JSON documents. */
#include "signed_json.h"
#include "pinned_key.h"

#include <stdio.h>

#include <stdlib.h>
#include <string.h>

json_t *pv_signed_json(pv_vault *v, const char *name, json_t *body)
{
	uint8_t sig[PV_SIGNATURE];
	char hex[2 * PV_SIGNATURE + 1];
	char *canon = body ? json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_t *doc = NULL;
	if (canon) {
		pv_sign(sig, canon, strlen(canon), v->keys->sign_secret);
		pv_hex(hex, sig, sizeof sig);
		doc = json_pack("{s:O, s:s}", name, body, "signature", hex);
	}
	free(canon);
	json_decref(body);
	return doc;
}

int pv_signed_json_check(json_t *doc, const char *name, const uint8_t pk[PV_SIGN_PUBLIC])
{
	json_t *body = json_object_get(doc, name);
	const char *hex = json_string_value(json_object_get(doc, "signature"));
	uint8_t sig[PV_SIGNATURE];
	if (!json_is_object(body) || !hex || pv_unhex(sig, sizeof sig, hex, strlen(hex)) != 0)
		return -1;
	char *canon = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	int ok = canon && pv_sign_verify(sig, canon, strlen(canon), pk) == 0;
	free(canon);
	return ok ? 0 : -1;
}

const char *pv_json_text(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

pv_rc pv_signed_json_pinned(json_t *doc, const char *member, const char *named_field,
			    const char *pinned_hex, const char *what,
			    char fp[PV_FINGERPRINT_SIZE], char *why, size_t whylen)
{
	uint8_t pk[PV_SIGN_PUBLIC], found[PV_SIGN_PUBLIC];
	const char *named = pv_json_text(json_object_get(doc, member), named_field);
	if (pv_pinned_key_parse(pinned_hex, pk) != 0) {
		snprintf(why, whylen, "the expected public key is needed (64 hex digits, as the "
			 "signer's `pivault pubkey` prints)");
		return PV_ERR_USAGE;
	}
	int named_ok = pv_pinned_key_parse(named, found) == 0;
	if (!named_ok || memcmp(found, pk, sizeof pk) != 0) {
		pv_key_mismatch(why, whylen, what, pk, named_ok ? found : NULL);
		return PV_ERR_CORRUPT;
	}
	pv_fingerprint_of(pk, fp);
	if (pv_signed_json_check(doc, member, pk) != 0) {
		snprintf(why, whylen, "the signature of %s does not verify with the expected key "
			 "%s: it was changed, or made by another key", what, fp);
		return PV_ERR_CORRUPT;
	}
	return PV_OK;
}
