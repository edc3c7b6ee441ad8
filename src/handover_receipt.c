/* SPDX-License-Identifier: Apache-2.0 */
/* handover_receipt.c: the recipient's signed receipt, checked on the sender's side. The
 * signature is checked with the recipient vault key the transfer plan pinned (confirmed
 * by fingerprint out of band), never with the key the receipt carries: anyone can sign a
 * receipt with a key of their own. Then the receipt must answer the package this vault
 * exported for that transfer (package id, manifest hash, root hash, record count), every
 * record imported. */
#include "handover.h"
#include "pinned_key.h"
#include "audit.h"
#include "policy.h"
#include "signed_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pv_rc receipt_verify(const char *text, const char *recipient_key_hex, char *why,
			    size_t whylen)
{
	json_error_t je;
	json_t *doc = text ? json_loads(text, JSON_REJECT_DUPLICATES, &je) : NULL;
	json_t *body = json_object_get(doc, "receipt");
	const char *sigh = json_string_value(json_object_get(doc, "signature"));
	const char *type = json_string_value(json_object_get(body, "type"));
	char fp[PV_FINGERPRINT_SIZE];
	pv_rc rc = PV_OK;
	if (!json_is_object(body) || !sigh || !type || strcmp(type, PV_RECEIPT_TYPE) != 0 ||
	    json_object_size(doc) != 2) {
		snprintf(why, whylen, "not a pivault handover receipt");
		rc = PV_ERR_INPUT;
	} else if ((rc = pv_signed_json_pinned(doc, "receipt", "recipient_public_key",
					       recipient_key_hex, "the receipt", fp, why,
					       whylen)) == PV_OK) {
		snprintf(why, whylen, "valid: package %s, %lld records received %s by vault %s, "
			 "signed by the expected key %s",
			 pv_json_text(body, "package"),
			 (long long)json_integer_value(json_object_get(body, "imported")),
			 pv_json_text(body, "received"),
			 pv_json_text(body, "recipient_vault"), fp);
	}
	json_decref(doc);
	return rc;
}

/* The receipt must answer the package this vault sent for the transfer. */
static pv_rc matches_package(pv_vault *v, json_t *body, const char *t_id, const char *package)
{
	json_error_t je;
	json_t *pkg = package[0] ? json_loads(package, 0, &je) : NULL;
	static const char *const same[] = { "package", "manifest_sha256", "root_hash", "records" };
	pv_rc rc = PV_OK;
	if (!pkg)
		rc = pv_fail(v, PV_ERR_USAGE, "transfer %s has no exported package", t_id);
	for (size_t i = 0; !rc && i < sizeof same / sizeof *same; i++)
		if (!json_equal(json_object_get(pkg, same[i]), json_object_get(body, same[i])))
			rc = pv_fail(v, PV_ERR_CORRUPT, "the receipt's %s is not that of the package "
				     "exported for %s", same[i], t_id);
	if (!rc && !json_equal(json_object_get(body, "records"), json_object_get(body, "imported")))
		rc = pv_fail(v, PV_ERR_CORRUPT, "the receipt says only %lld of %lld records were "
			     "imported", (long long)json_integer_value(json_object_get(body, "imported")),
			     (long long)json_integer_value(json_object_get(body, "records")));
	json_decref(pkg);
	return rc;
}

/* The transfer the receipt names, copied out of the store's borrowed row. */
static pv_rc load_transfer(pv_vault *v, json_t *body, struct pv_receipt_facts *out,
			   char **package)
{
	const char *transfer = json_string_value(json_object_get(body, "transfer"));
	struct pv_stored_transfer t;
	int got = transfer && strlen(transfer) < sizeof out->transfer
			  ? pv_store_transfer_get(v->store, transfer, &t) : 1;
	if (got != 0)
		return got < 0 ? pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store))
			       : pv_fail(v, PV_ERR_NOT_FOUND, "the receipt names no transfer of this "
					 "vault");
	snprintf(out->transfer, sizeof out->transfer, "%s", t.id);
	snprintf(out->state, sizeof out->state, "%s", t.state);
	json_error_t je;
	json_t *plan = json_loads(t.plan, 0, &je);
	const char *key = NULL;
	int sealed = pv_plan_vault_key(v, out->transfer, plan, &key) == 0;
	snprintf(out->key_hex, sizeof out->key_hex, "%s", key ? key : "");
	json_decref(plan);
	if (!sealed)
		return PV_ERR_CORRUPT; /* the pin was changed outside pivault (pv_errmsg) */
	if (!(*package = strdup(t.package)))
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	if (!out->key_hex[0])
		return pv_fail(v, PV_ERR_USAGE, "transfer %s has no recipient vault key pinned, so "
			       "no receipt can be checked: ask the recipient for the key its `pivault "
			       "pubkey` prints, compare its fingerprint by phone, and pin it with "
			       "`pivault request transfer pin-key %s --recipient-vault-key KEY` (four "
			       "eyes)", out->transfer, out->transfer);
	if (pv_key_fingerprint(out->key_hex, out->key_fp) != PV_OK)
		return pv_fail(v, PV_ERR_CORRUPT, "transfer %s: its recipient vault key is "
			       "malformed", out->transfer);
	return PV_OK;
}

pv_rc pv_receipt_check(pv_vault *v, const char *receipt, struct pv_receipt_facts *out)
{
	memset(out, 0, sizeof *out);
	json_error_t je;
	json_t *doc = receipt ? json_loads(receipt, JSON_REJECT_DUPLICATES, &je) : NULL;
	json_t *body = json_object_get(doc, "receipt");
	char *package = NULL, why[300];
	pv_rc rc = json_is_object(body) ? load_transfer(v, body, out, &package)
					: pv_fail(v, PV_ERR_INPUT, "receipt refused: not a pivault "
						  "handover receipt");
	if (!rc && (rc = receipt_verify(receipt, out->key_hex, why, sizeof why)) != PV_OK)
		rc = pv_fail(v, rc, "receipt refused for transfer %s: %s", out->transfer, why);
	if (!rc)
		rc = matches_package(v, body, out->transfer, package);
	if (!rc)
		snprintf(out->package, sizeof out->package, "%s",
			 pv_json_text(body, "package"));
	free(package);
	json_decref(doc);
	return rc;
}

pv_rc pv_receipt_verify(const char *text, const char *recipient_key_hex, char **summary)
{
	char why[600];
	return pv_lone_outcome(receipt_verify(text, recipient_key_hex, why, sizeof why), why,
			       summary);
}

pv_rc pv_handover_check_receipt(pv_vault *v, const pv_access *who, const char *receipt,
				char **summary)
{
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_HANDOVER, &role);
	if (rc)
		return pv_audit_failure(v, rc, "handover verify-receipt", NULL, NULL);
	struct pv_receipt_facts f;
	if ((rc = pv_receipt_check(v, receipt, &f)))
		return rc;
	char text[600];
	snprintf(text, sizeof text, "valid for transfer %s (%s): package %s, signed by the "
		 "recipient vault key the plan pinned, %s", f.transfer, f.state, f.package,
		 f.key_fp);
	if (!(*summary = strdup(text)))
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	return pv_ok(v);
}
