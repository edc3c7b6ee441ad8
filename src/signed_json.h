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

/* o[key] as text for a message: "" when absent or not a string (a signed document may
 * still lack a field). */
const char *pv_json_text(const json_t *o, const char *key);

#endif
