/* SPDX-License-Identifier: Apache-2.0 */
/* authz_mac.h: authorisation state a DBA cannot edit. Users, approval requests, legal
 * holds and the settings that govern access (the stored schema, the alert threshold) are
 * read and written only through these functions, which keep a MAC of every row (keyed by
 * the vault's authz key, bound to the vault, the table and the row key) and a seal of each
 * table over all of its row MACs, and check both before anything is returned.
 *
 * Each function answers as the store function it stands for: 0, 1 when absent, -1 on
 * failure with the message in pv_store_errmsg(v->store) (and on v). A failed check is -1
 * with a message naming the table and the row ("users row 'clerk' fails its integrity
 * check: edited outside pivault"); inside a caller's transaction it marks v so that the
 * caller's pv_audit_failure records the outcome "tampered"; outside one, the function
 * appends that audit entry itself. */
#ifndef PV_AUTHZ_MAC_H
#define PV_AUTHZ_MAC_H

#include "vault.h"

int pv_authz_user_get(pv_vault *v, const char *name, struct pv_stored_user *u);
int pv_authz_user_put(pv_vault *v, const struct pv_stored_user *u);
int pv_authz_user_scan(pv_vault *v, pv_store_user_fn fn, void *ctx);

int pv_authz_request_get(pv_vault *v, const char *id, struct pv_stored_request *r);
int pv_authz_request_put(pv_vault *v, const struct pv_stored_request *r);
int pv_authz_request_scan(pv_vault *v, pv_store_request_fn fn, void *ctx);

int pv_authz_hold_add(pv_vault *v, const char *customer, const char *reason, const char *by,
		      const char *since);
int pv_authz_hold_release(pv_vault *v, const char *customer, const char *when, const char *by,
			  int *released);
int pv_authz_hold_active(pv_vault *v, const char *customer, char *reason, size_t rlen,
			 char *since, size_t slen);
int pv_authz_hold_scan(pv_vault *v, pv_store_hold_fn fn, void *ctx);

/* Settings kept in the metadata table that govern access: "schema",
 * "alert_reads_per_hour", "incident_seals", "incident_digests", "incident_seal_history"
 * (authz_mac.c lists them).
 * Any other key is refused. */
int pv_authz_meta_get(pv_vault *v, const char *key, uint8_t **val, size_t *len);
int pv_authz_meta_put(pv_vault *v, const char *key, const void *val, size_t len);

/* A fingerprint of setting key's value and integrity code as they are stored, unchecked
 * (BLAKE2b over both, an absent one counted as such): while it equals one taken when
 * pv_authz_meta_get last passed, neither changed and that answer stands. 0 or -1. */
int pv_authz_meta_fingerprint(pv_vault *v, const char *key, uint8_t out[32]);

/* At vault creation only, inside its transaction: MAC what the new vault holds and seal
 * every table (an empty table is sealed too, so emptying one is seen). */
pv_rc pv_authz_seal_new_vault(pv_vault *v);

/* Drop what the handle remembers of verified seals (at close; a key change). */
void pv_authz_forget(pv_vault *v);

/* Check every protected table now (PV_ERR_CORRUPT naming the first bad row). */
pv_rc pv_authz_check_all(pv_vault *v);

/* Master key rotation, inside the caller's transaction: check every row and seal under
 * old_key, then write them all again under new_key (both authz keys, as struct
 * pv_vault_keys.authz_mac holds them before and after); the handle's authz key becomes
 * new_key. PV_ERR_CORRUPT, nothing rewritten, when a row fails its check under old_key. */
pv_rc pv_authz_rekey(pv_vault *v, const uint8_t *old_key, const uint8_t *new_key);

#endif
