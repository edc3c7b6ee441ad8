/* SPDX-License-Identifier: Apache-2.0 */
/* users.h: the vault's users. Each user's password (Argon2id) opens the user's own key
 * pair, to whose public half the vault's master key is sealed: adding, disabling or
 * re-keying a user never re-encrypts data, and replacing the master key reseals every
 * active user's access without their passwords. Wrong passwords are counted and lock the
 * user out for a growing delay. Users carry their staff obligations (agreement, training). */
#ifndef PV_USERS_H
#define PV_USERS_H

#include "vault.h"

/* Failures in a row before a lock-out; the first lock lasts this many seconds, each
 * further failure doubles it, up to a day. */
#define PV_LOCK_AFTER 5
#define PV_LOCK_FIRST_SECONDS 60
#define PV_LOCK_MAX_SECONDS 86400

/* Open user's key slot with password, then the master key sealed to it into v->master
 * (checked against the key check); the key pair stays in v->unlock. Counts the attempt
 * before checking the password (at most PV_LOCK_AFTER wrong ones in a row are checked,
 * however many run at once), locks out, audits every failure, and on success sets the
 * handle's principal, roles and obligation gaps. PV_ERR_BAD_KEY for an unknown user or
 * wrong password (the same message, and the same Argon2id work, for both), PV_ERR_DENIED
 * when disabled, locked, or without access to the current master key. */
pv_rc pv_user_unlock(pv_vault *v, const char *user, const char *password, size_t len);

/* Check user's password on v (a server's handle, opened with the root secret) as
 * pv_user_unlock does (the attempt counted first, the lock-out, one message and the same
 * Argon2id work for an unknown user and a wrong password, every failure audited under the
 * attempted user), and that the user, not disabled, has access to the current master key;
 * the handle itself is left as it was. */
pv_rc pv_user_check_password(pv_vault *v, const char *user, const char *password, size_t len);
/* The user's row passes its integrity check (as pivault wrote it: a DBA's edit of its roles,
 * slot or flags is refused before a server's session is made for it); audited as
 * "tampered" when it does not. */
pv_rc pv_user_row_verify(pv_vault *v, const char *user);

/* The current master key from the handle's user key pair (v->unlock) and the user's
 * access row, checked against the key check. PV_ERR_DENIED when the user has none. */
pv_rc pv_user_open_access(pv_vault *v, uint8_t *master);

/* Inside a rotation's transaction: seal new_master to every active user's public key,
 * bound under new_bind (the new master's user-binding key), after checking each key's
 * binding under the current master; disabled users, and users without access, are left
 * without. A binding that does not verify refuses, naming the users row. *resealed counts
 * the users sealed to, names lists them (comma-separated, cut short with "..."), so that
 * whoever rotates can see that nobody disabled is among them. */
pv_rc pv_users_reseal(pv_vault *v, const uint8_t *new_master, const uint8_t *new_bind,
		      unsigned *resealed, char *names, size_t names_len);

/* Enrolment, step one (vault.c opens with it): count the attempt, then open user's
 * pending enrolment with both halves of the code into v->master, checked against the key
 * check, and set the handle's principal and roles. PV_ERR_BAD_KEY for an unknown user, no
 * enrolment or a wrong half (one message), PV_ERR_DENIED when locked. */
pv_rc pv_user_enrol_unlock(pv_vault *v, const char *user, const char *half_a,
			   const char *half_b);
/* Step two, once the keys are taken up: the user's own key pair sealed under password,
 * the master sealed to it, the enrolment deleted (audited). */
pv_rc pv_user_enrol_finish(pv_vault *v, const char *password, size_t len);

/* On a server's handle (which holds the master key), outside a session: enrol user as
 * pv_user_enrol does (password of at least 8 characters checked first; the attempt counted,
 * one message for an unknown user, no enrolment and a wrong half, PV_ERR_DENIED when
 * locked, every refusal audited; the new key pair, the code used up, audited under the
 * user); the handle's principal is left as it was. */
pv_rc pv_user_enrol_served(pv_vault *v, const char *user, const char *half_a,
			   const char *half_b, const char *password, size_t len);
/* In a server's session: the session user's own password changed, the old one checked as
 * at sign-in (the attempt counted first, lock-out, a wrong one PV_ERR_BAD_KEY, audited),
 * then as pv_user_passwd: the key pair sealed under the new one, the user's other sign-in
 * sessions ended. */
pv_rc pv_user_passwd_served(pv_vault *v, const char *old_password, size_t old_len,
			    const char *password, size_t len);

/* Once the keys are derived after pv_user_unlock: the user's row must pass its integrity
 * check (authz_mac.c), and the handle's roles and obligation gaps are taken again from the
 * checked row; a disabled user is refused. PV_ERR_CORRUPT (audited "tampered") when the
 * row or the users table was edited outside pivault. */
pv_rc pv_user_session_verify(pv_vault *v);

/* Create the first administrator at vault creation (inside its transaction). */
pv_rc pv_user_create_first(pv_vault *v, const char *name, const char *role,
			   const char *password, size_t len, int kdf_fast);

/* The staff obligations u does not meet today (PV_REQUIRES_* bits; 0 when none), with
 * the reason in why. */
unsigned pv_user_obligation_gaps(const struct pv_stored_user *u, char *why, size_t whylen);

/* The Argon2id setting u's key slot was sealed with; 0, or -1 when u has no well-formed
 * slot (a user waiting for enrolment). */
int pv_user_slot_kdf(const struct pv_stored_user *u, uint64_t *ops, uint64_t *mem);

#endif
