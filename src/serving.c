/* SPDX-License-Identifier: Apache-2.0 */
/* serving.c: a server's handle acting for a user (serving.h): the tokens' keys, acting
 * for nobody between requests, taking a user's checked row, and auditing a use or a
 * refusal of a token under the user it names. */
#include "serving.h"
#include "approvals.h"

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

/* The handle's token keys, derived once from the vault's authorisation key (again when
 * that key changed: the master was replaced), and a guarded place for a token's bytes,
 * so that a request allocates no guarded memory (each allocation maps and unmaps pages,
 * which stops every other thread of a server to flush its address translations). */
#define NKEYS 4
struct session_secrets {
	uint8_t from[PV_KEY_BYTES]; /* the authorisation key they derive from */
	uint8_t key[NKEYS][PV_KEY_BYTES]; /* by enum pv_serving_key, from 1 */
	uint8_t token[TOKEN_BYTES];
};

static struct session_secrets *secrets(pv_vault *v)
{
	if (!v->session_secrets && !(v->session_secrets = pv_secret_alloc(sizeof *v->session_secrets)))
		return NULL;
	struct session_secrets *k = v->session_secrets;
	if (memcmp(k->from, v->keys->authz_mac, PV_KEY_BYTES) != 0) {
		memcpy(k->from, v->keys->authz_mac, PV_KEY_BYTES);
		for (uint64_t i = 0; i < NKEYS; i++)
			pv_derive_key(k->key[i], PV_KEY_BYTES, i + 1, KEY_CONTEXT, k->from);
	}
	return k;
}

uint8_t *pv_serving_token_buffer(pv_vault *v)
{
	struct session_secrets *k = secrets(v);
	return k ? k->token : NULL;
}

int pv_serving_tag(pv_vault *v, enum pv_serving_key number, const void *msg, size_t len,
		   uint8_t tag[32])
{
	struct session_secrets *k = secrets(v);
	if (!k || number < 1 || number > NKEYS)
		return -1;
	pv_keyed_hash(tag, 32, msg, len, k->key[number - 1]);
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
	uint8_t *raw = pv_serving_token_buffer(v);
	char *text = malloc(2 * TOKEN_BYTES + 1);
	if (!raw || !text || (pv_random(raw, TOKEN_BYTES),
			      pv_serving_token_hash(v, number, raw, TOKEN_BYTES, hash) != 0)) {
		if (raw)
			pv_wipe(raw, TOKEN_BYTES);
		free(text);
		return NULL;
	}
	pv_hex(text, raw, TOKEN_BYTES);
	pv_wipe(raw, TOKEN_BYTES);
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
	pv_approval_close(v); /* a request asked for and never submitted is forgotten */
	/* no read of the request left holding a snapshot while the handle waits for the
	 * next: a snapshot held would keep a shred's checkpoint waiting on the server */
	pv_store_release_rows(v->store);
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
