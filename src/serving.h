/* SPDX-License-Identifier: Apache-2.0 */
/* serving.h: what a server's handle (pv_vault_serve) needs to act for a user, shared by
 * its two kinds of bearer token: sign-in sessions (sessions.c) and API tokens for scripts
 * (api_tokens.c), which are sessions of another lifetime and a narrower scope. */
#ifndef PV_SERVING_H
#define PV_SERVING_H

#include "audit.h"
#include "vault.h"

/* Sub-keys of the tokens (both from the authorisation key, so from the master key:
 * replacing the root secret ends every session and token). */
enum pv_serving_key {
	PV_SERVING_SESSION_HASH = 1, /* hashes session tokens */
	PV_SERVING_SESSION_TAG = 2,  /* tags session rows */
	PV_SERVING_API_HASH = 3,     /* hashes API tokens */
	PV_SERVING_API_TAG = 4       /* tags API token rows */
};

/* PV_OK when v is a server's handle, else PV_ERR_USAGE on v. */
pv_rc pv_serving_need(pv_vault *v);

/* The keyed hash of a token's bytes under sub-key number, as 64 hex characters.
 * -1 when out of memory. */
int pv_serving_token_hash(pv_vault *v, enum pv_serving_key number, const uint8_t *raw,
			  size_t len, char hash[65]);

/* A row's integrity tag: the keyed hash (32 bytes) of msg under sub-key number. -1 when
 * out of memory. */
int pv_serving_tag(pv_vault *v, enum pv_serving_key number, const void *msg, size_t len,
		   uint8_t tag[32]);

/* The handle's guarded place for a token's 32 bytes (wipe after use), or NULL when out
 * of memory. */
uint8_t *pv_serving_token_buffer(pv_vault *v);

/* 32 random bytes as 64 hex characters, malloc'd (NULL when out of memory); the raw
 * bytes' keyed hash under number into hash. */
char *pv_serving_new_token(pv_vault *v, enum pv_serving_key number, char hash[65]);

/* The handle acts for nobody: guarded operations are refused, as for a user without a
 * role, and nothing is waived as for the root secret. */
pv_rc pv_serving_act_for_nobody(pv_vault *v);

/* The user's checked row as the handle's principal, roles and obligations. PV_ERR_DENIED
 * with *why set when the user is removed or disabled (nothing said on v). */
pv_rc pv_serving_take_user(pv_vault *v, const char *user, const char **why);

/* Append e under user (the handle's principal for that entry only). */
pv_rc pv_serving_audit_as(pv_vault *v, const char *user, const struct pv_audit_event *e);

/* A refused token (rc): the handle acts for nobody; when rc is PV_ERR_DENIED, an entry
 * of operation op, outcome "denied" and detail why under user (NULL: fallback), and the
 * caller is told only message; any other rc is audited as a failure of op. */
struct pv_serving_refusal {
	const char *op, *user, *fallback, *why, *message;
};
pv_rc pv_serving_refused(pv_vault *v, pv_rc rc, const struct pv_serving_refusal *r);

/* In a session (or an API token's), take n more customers shown in clear on its stored
 * count, unless that passes cap: *taken says whether it did. The stored count is what
 * every request of the session shares, so requests made at the same time cannot each
 * stay under the cap and together pass it (sessions.c). */
pv_rc pv_session_take_clear(pv_vault *v, uint64_t n, uint64_t cap, int *taken);

#endif
