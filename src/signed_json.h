/* SPDX-License-Identifier: Apache-2.0 */
/* signed_json.h: the documents the vault signs (destruction certificates, handover
 * receipts, decommission reports, backup trailers): {"<name>": body, "signature": hex},
 * the signature Ed25519 by the vault key over the compact, key-sorted JSON of body, so
 * anyone holding the public key can check it. */
#ifndef PV_SIGNED_JSON_H
#define PV_SIGNED_JSON_H

#include "vault.h"

#include <jansson.h>

/* The document {name: body, "signature": ...} signed with v's key; takes body (also on
 * failure). NULL when out of memory. */
json_t *pv_signed_json(pv_vault *v, const char *name, json_t *body);

/* 0 when doc[name] is an object whose signature in doc["signature"] verifies under pk;
 * -1 when the signature is missing, malformed or wrong. */
int pv_signed_json_check(json_t *doc, const char *name, const uint8_t pk[PV_SIGN_PUBLIC]);

/* Check doc, a {member: body, "signature": ...} document from outside, against the key
 * the caller pinned (64 hex digits, as `pivault pubkey` prints), never against the key it
 * carries: the key the body names under named_field must be the pinned one, and the
 * signature must verify under it. PV_OK with fp the key's fingerprint; PV_ERR_USAGE when
 * no pinned key is given, PV_ERR_CORRUPT otherwise, with why naming what ("the receipt")
 * and the keys' fingerprints. */
pv_rc pv_signed_json_pinned(json_t *doc, const char *member, const char *named_field,
			    const char *pinned_hex, const char *what,
			    char fp[PV_FINGERPRINT_SIZE], char *why, size_t whylen);

/* o[key] as text for a message: "" when absent or not a string (a signed document may
 * still lack a field). */
const char *pv_json_text(const json_t *o, const char *key);

#endif
