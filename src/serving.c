/* SPDX-License-Identifier: Apache-2.0 */
/* serving.c: a server's handle acting for a user (serving.h): the tokens' keys, acting
 * for nobody between requests, taking a user's checked row, and auditing a use or a
 * refusal of a token under the user it names. */
#include "serving.h"

#include "authz_mac.h"
#include "users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_CONTEXT "pvsessn1"
#define TOKEN_BYTES 32
#define NO_SESSION "(no session)"

pv_rc pv_serving_need(pv_vault *v)
{
	if (!v)
		return pv_fail(NULL, PV_ERR_USAGE, "a vault handle is required");
	if (!v->serving)
		return pv_fail(v, PV_ERR_USAGE, "sessions need a server's handle (pv_vault_serve)");
	return PV_OK;
}

int pv_serving_tag(pv_vault *v, enum pv_serving_key number, const void *msg, size_t len,
		   uint8_t tag[32])
{
	uint8_t *key = pv_secret_alloc(PV_KEY_BYTES);
	if (!key)
		return -1;
	pv_derive_key(key, PV_KEY_BYTES, (uint64_t)number, KEY_CONTEXT, v->keys->authz_mac);
	pv_keyed_hash(tag, 32, msg, len, key);
	pv_secret_free(key);
	return 0;
}

int pv_serving_token_hash(pv_vault *v, enum pv_serving_key number, const uint8_t *raw,
			  size_t len, char hash[65])
{
	uint8_t h[32];
	if (pv_serving_tag(v, number, raw, len, h) != 0)
		return -1;
	pv_hex(hash, h, sizeof h);
	return 0;
}

char *pv_serving_new_token(pv_vault *v, enum pv_serving_key number, char hash[65])
{
	uint8_t *raw = pv_secret_alloc(TOKEN_BYTES);
	char *text = malloc(2 * TOKEN_BYTES + 1);
	if (!raw || !text || (pv_random(raw, TOKEN_BYTES),
			      pv_serving_token_hash(v, number, raw, TOKEN_BYTES, hash) != 0)) {
		pv_secret_free(raw);
		free(text);
		return NULL;
	}
	pv_hex(text, raw, TOKEN_BYTES);
	pv_secret_free(raw);
	return text;
}

pv_rc pv_serving_act_for_nobody(pv_vault *v)
{
	char *none = strdup("");
	if (!none)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	free(v->user_roles);
	v->user_roles = none;
	v->user_gaps = 0;
	v->user_gap_reason[0] = '\0';
	snprintf(v->principal, sizeof v->principal, "%s", NO_SESSION);
	v->session_id[0] = '\0';
	v->api_token[0] = '\0';
	v->api_token_purposes = 0;
	v->clear_shown = v->session_clear_base = 0;
	v->request_id[0] = v->request_op[0] = '\0';
	return PV_OK;
}

pv_rc pv_serving_take_user(pv_vault *v, const char *user, const char **why)
{
	struct pv_stored_user u;
	int got = pv_authz_user_get(v, user, &u);
	if (got < 0)
		return pv_fail(v, v->authz_tampered ? PV_ERR_CORRUPT : PV_ERR_STORE, "%s",
			       pv_store_errmsg(v->store));
	if (got > 0 || u.disabled) {
		*why = got > 0 ? "user removed" : "user disabled";
		return PV_ERR_DENIED;
	}
	char *roles = strdup(u.roles);
	if (!roles)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	free(v->user_roles);
	v->user_roles = roles;
	v->user_gaps = pv_user_obligation_gaps(&u, v->user_gap_reason,
					       sizeof v->user_gap_reason);
	snprintf(v->principal, sizeof v->principal, "%s", user);
	return PV_OK;
}

pv_rc pv_serving_audit_as(pv_vault *v, const char *user, const struct pv_audit_event *e)
{
	char was[sizeof v->principal];
	snprintf(was, sizeof was, "%s", v->principal);
	snprintf(v->principal, sizeof v->principal, "%s", user);
	pv_rc rc = pv_audit_append(v, e);
	snprintf(v->principal, sizeof v->principal, "%s", was);
	return rc;
}

pv_rc pv_serving_refused(pv_vault *v, pv_rc rc, const struct pv_serving_refusal *r)
{
	(void)pv_serving_act_for_nobody(v);
	if (rc != PV_ERR_DENIED)
		return pv_audit_failure(v, rc, r->op, NULL, NULL);
	struct pv_audit_event e = { r->op, NULL, NULL, NULL, "denied", r->why };
	pv_rc st = pv_serving_audit_as(v, r->user ? r->user : r->fallback, &e);
	if (st)
		return pv_fail(v, PV_ERR_DENIED, "%s (and the audit entry could not be written)",
			       r->message);
	return pv_fail(v, PV_ERR_DENIED, "%s", r->message);
}
