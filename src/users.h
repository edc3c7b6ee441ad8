/* SPDX-License-Identifier: Apache-2.0 */
/* users.h: the vault's users. Each user's password (Argon2id) opens the user's own key
 * slot, which holds the vault's root key, as LUKS key slots do: adding, disabling or
 * re-keying a user never re-encrypts data. Wrong passwords are counted and lock the user
 * out for a growing delay. Users carry their staff obligations (agreement, training). */
#ifndef PV_USERS_H
#define PV_USERS_H

#include "vault.h"

/* Failures in a row before a lock-out; the first lock lasts this many seconds, each
 * further failure doubles it, up to a day. */
#define PV_LOCK_AFTER 5
#define PV_LOCK_FIRST_SECONDS 60
#define PV_LOCK_MAX_SECONDS 86400

/* Open user's key slot with password into root (PV_KEY_BYTES, guarded). Counts failures,
 * locks out, audits every failure, and on success sets the handle's principal, roles and
 * obligation gaps. PV_ERR_BAD_KEY for an unknown user or wrong password (the same message
 * for both), PV_ERR_DENIED when disabled or locked. */
pv_rc pv_user_unlock(pv_vault *v, const char *user, const char *password, size_t len,
		     uint8_t *root);

/* Once the keys are derived after pv_user_unlock: the user's row must pass its integrity
 * check (authz_mac.c), and the handle's roles and obligation gaps are taken again from the
 * checked row; a disabled user is refused. PV_ERR_CORRUPT (audited "tampered") when the
 * row or the users table was edited outside pivault. */
pv_rc pv_user_session_verify(pv_vault *v);

/* Create the first administrator at vault creation (inside its transaction). */
pv_rc pv_user_create_first(pv_vault *v, const char *name, const char *role,
			   const char *password, size_t len, int kdf_fast);

#endif
