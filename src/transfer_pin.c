/* SPDX-License-Identifier: Apache-2.0 */
/* transfer_pin.c: the recipient vault's signing key a transfer plan pins, sealed by this
 * vault's signature over the plan id and the key, so that a key put into the plan's row
 * with SQL is not taken for one pinned here; and the check of that seal before a receipt
 * is checked against the key. */
#include "transfers.h"

#include "pinned_key.h"

#include <string.h>

/* The bytes the vault's seal on a pinned key covers: a label, the plan id, the key. */
#define SEAL_LABEL "pivault pinned recipient vault key v1\n"
static size_t seal_bytes(uint8_t *out, size_t cap, const char *id, const uint8_t pk[32])
{
	size_t ll = strlen(SEAL_LABEL), il = strlen(id);
	if (ll + il + 1 + 32 > cap)
		return 0;
	memcpy(out, SEAL_LABEL, ll);
	memcpy(out + ll, id, il);
	out[ll + il] = '\n';
	memcpy(out + ll + il + 1, pk, 32);
	return ll + il + 1 + 32;
}

/* Set recipient.vault_key (hex) and its seal, the vault's signature over plan id and key,
 * so that a key put into the row with SQL is not taken for one pinned here. */
int pv_plan_seal_pin(pv_vault *v, const char *id, json_t *recipient, const char *hex)
{
	uint8_t pk[PV_SIGN_PUBLIC], msg[128], sig[PV_SIGNATURE];
	char sighex[2 * PV_SIGNATURE + 1];
	size_t n = pv_pinned_key_parse(hex, pk) == 0 ? seal_bytes(msg, sizeof msg, id, pk) : 0;
	if (!n)
		return -1;
	pv_sign(sig, msg, n, v->keys->sign_secret);
	pv_hex(sighex, sig, sizeof sig);
	return json_object_set_new(recipient, "vault_key", json_string(hex)) ||
	       json_object_set_new(recipient, "vault_key_seal", json_string(sighex));
}

int pv_plan_vault_key(pv_vault *v, const char *id, json_t *plan_doc, const char **hex)
{
	json_t *r = json_object_get(plan_doc, "recipient");
	const char *key = json_string_value(json_object_get(r, "vault_key"));
	const char *seal = json_string_value(json_object_get(r, "vault_key_seal"));
	uint8_t pk[PV_SIGN_PUBLIC], msg[128], sig[PV_SIGNATURE];
	*hex = NULL;
	if (!json_object_get(r, "vault_key") && !json_object_get(r, "vault_key_seal"))
		return 0;
	size_t n = pv_pinned_key_parse(key, pk) == 0 ? seal_bytes(msg, sizeof msg, id, pk) : 0;
	if (!n || !seal || pv_unhex(sig, sizeof sig, seal, strlen(seal)) != 0 ||
	    pv_sign_verify(sig, msg, n, v->keys->sign_public) != 0) {
		pv_fail(v, PV_ERR_CORRUPT, "transfer %s: its pinned recipient vault key does not "
			"carry this vault's seal (it was changed outside pivault): no receipt is "
			"checked against it; make a new plan", id);
		return -1;
	}
	*hex = key;
	return 0;
}
