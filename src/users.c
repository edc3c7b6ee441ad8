/* SPDX-License-Identifier: Apache-2.0 */
/* users.c: users, their key pairs and their access to the master key. Each user has an
 * X25519 key pair: the secret half sealed under the password's Argon2id key (the slot),
 * the master key sealed to the public half (the access), so that a rotation reseals every
 * active user's access without their passwords and a disable deletes it. Logins are
 * counted before the password is checked, atomically, so guesses made in parallel cannot
 * outrun the lock-out; an unknown name costs the same Argon2id as a known one.
 *
 * slot   = u8 version (2) | 16-byte salt | u64 LE opslimit | u64 LE memlimit | public key
 *          (32) | secret key sealed (24 + 32 + 16), associated data vault id | "user-slot"
 *          | public key | user name
 * access = crypto_box_seal(master key) to the public key (80) | binding (32): keyed
 *          BLAKE2b-256 under the master's user-binding key of vault id | public key | name,
 *          so a rotation seals the new master only to keys the vault bound to their names
 * enrol  = a user made or reset by an approved request, until they set their password
 *          (slot empty, no access): half A's public key | half B's | the master sealed to
 *          B then A (enrol_code.h) | binding of vault id | "user-enrol" | both keys | name
 * Nobody sets another user's password: an approved "user add" or "user reset" gives the
 * approver half A and the requester half B of a one-time code, and the user enrols with
 * both (pv_user_enrol); one's own password changes only with the old one, and ends the
 * user's sign-in sessions on a server. A server's handle enrols and changes passwords
 * for its users too (pv_user_enrol_served, pv_user_passwd_served), the same rules. */
#include "keys.h"
#include "dates.h"
#include "enrol_code.h"
#include "users.h"
#include "approvals.h"
#include "audit.h"
#include "authz_mac.h"
#include "policy.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SLOT_VERSION 2
#define SLOT_PK (1 + PV_SALT_BYTES + 8 + 8)
#define SLOT_SEALED (SLOT_PK + PV_BOX_PUBLIC)
#define SLOT_BYTES (SLOT_SEALED + PV_BOX_SECRET + PV_SEAL_OVERHEAD)
#define ACCESS_BOX (PV_KEY_BYTES + PV_BOX_SEAL_OVERHEAD)
#define ACCESS_BYTES (ACCESS_BOX + 32)
#define ENROL_SEALED_AT (2 * PV_BOX_PUBLIC)
#define ENROL_BYTES (ENROL_SEALED_AT + PV_ENROL_SEALED + 32)
#define NAME_MAX_LEN 64
#define TRAINING_VALID_YEARS 1

static void put_u64(uint8_t *p, uint64_t x)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(x >> (8 * i));
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t x = 0;
	for (int i = 7; i >= 0; i--)
		x = x << 8 | p[i];
	return x;
}

/* vault id | tag | public key | name: the associated data of a slot, the input of a
 * binding. */
static size_t key_ad(uint8_t *ad, const pv_vault *v, const char *tag, const uint8_t *pk,
		     const char *name)
{
	size_t t = strlen(tag), n = strlen(name);
	memcpy(ad, v->vault_id, PV_VAULT_ID_BYTES);
	memcpy(ad + PV_VAULT_ID_BYTES, tag, t);
	memcpy(ad + PV_VAULT_ID_BYTES + t, pk, PV_BOX_PUBLIC);
	memcpy(ad + PV_VAULT_ID_BYTES + t + PV_BOX_PUBLIC, name, n);
	return PV_VAULT_ID_BYTES + t + PV_BOX_PUBLIC + n;
}
#define KEY_AD_MAX (PV_VAULT_ID_BYTES + 16 + PV_BOX_PUBLIC + NAME_MAX_LEN)

/* 1 if name is acceptable: 1..64 of [A-Za-z0-9._-], not starting with '-' or '('. */
static int name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > NAME_MAX_LEN || name[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* Argon2id limits for new slots: the default, or the fast setting when the vault was
 * made so by a test build (and only a test build takes it). */
static void slot_limits(pv_vault *v, uint64_t *ops, size_t *mem)
{
	uint8_t *val = NULL;
	int fast = pv_store_meta_get(v->store, "user_kdf", &val, NULL) == 0 &&
		   strcmp((char *)val, "fast") == 0;
	free(val);
	pv_stretch_limits(fast && pv_kdf_fast_allowed(), ops, mem);
}

/* The binding of pk to name under a user-binding key. */
static void bind_of(pv_vault *v, uint8_t out[32], const uint8_t *pk, const char *name,
		    const uint8_t *bind_key)
{
	uint8_t in[KEY_AD_MAX];
	pv_keyed_hash(out, 32, in, key_ad(in, v, "user-key", pk, name), bind_key);
}

/* The access of name (public key pk) to master: sealed to pk, bound under bind_key. */
static void access_make(pv_vault *v, const char *name, const uint8_t *pk, const uint8_t *master,
			const uint8_t *bind_key, uint8_t access[ACCESS_BYTES])
{
	pv_box_seal(access, master, PV_KEY_BYTES, pk);
	bind_of(v, access + ACCESS_BOX, pk, name, bind_key);
}

/* Seal the key pair kp (secret | public) of name under password into slot. */
static pv_rc slot_seal(pv_vault *v, const char *name, const char *password, size_t len,
		       const uint8_t *kp, uint8_t slot[SLOT_BYTES])
{
	uint64_t ops;
	size_t mem;
	slot_limits(v, &ops, &mem);
	uint8_t *kek = pv_secret_alloc(PV_KEY_BYTES);
	if (!kek)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	slot[0] = SLOT_VERSION;
	pv_random(slot + 1, PV_SALT_BYTES);
	put_u64(slot + 1 + PV_SALT_BYTES, ops);
	put_u64(slot + 1 + PV_SALT_BYTES + 8, mem);
	memcpy(slot + SLOT_PK, kp + PV_BOX_SECRET, PV_BOX_PUBLIC);
	pv_rc rc = PV_OK;
	if (pv_stretch_passphrase(kek, password, len, slot + 1, ops, mem) != 0) {
		rc = pv_fail(v, PV_ERR_NOMEM, "not enough memory for Argon2id");
	} else {
		uint8_t ad[KEY_AD_MAX];
		pv_seal(slot + SLOT_SEALED, kp, PV_BOX_SECRET, ad,
			key_ad(ad, v, "user-slot", slot + SLOT_PK, name), kek, NULL);
	}
	pv_secret_free(kek);
	return rc;
}

/* A new key pair for name: its secret half sealed under password into slot, and the
 * vault's master key sealed to its public half into access. */
static pv_rc slot_make(pv_vault *v, const char *name, const char *password, size_t len,
		       uint8_t slot[SLOT_BYTES], uint8_t access[ACCESS_BYTES])
{
	uint8_t *kp = pv_secret_alloc(PV_UNLOCK_BYTES);
	if (!kp)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	pv_box_keypair(kp + PV_BOX_SECRET, kp);
	pv_rc rc = slot_seal(v, name, password, len, kp, slot);
	if (!rc)
		access_make(v, name, slot + SLOT_PK, v->master, v->keys->user_bind, access);
	pv_secret_free(kp);
	return rc;
}

/* Run Argon2id as a slot of this vault would, on nothing: an unknown name takes the time
 * a known one does. */
static void stretch_for_nothing(pv_vault *v, const char *password, size_t len)
{
	uint64_t ops;
	size_t mem;
	slot_limits(v, &ops, &mem);
	uint8_t salt[PV_SALT_BYTES] = { 0 }, *out = pv_secret_alloc(PV_KEY_BYTES);
	if (out)
		(void)pv_stretch_passphrase(out, password, len, salt, ops, mem);
	pv_secret_free(out);
}

/* Open name's slot with password: its secret key and public key into kp (sk | pk). 0, -1
 * when the password is wrong (or the slot malformed or moved), -2 when its Argon2id
 * setting is under the floor. */
static int slot_open(pv_vault *v, const char *name, const uint8_t *slot, size_t slot_len,
		     const char *password, size_t len, uint8_t *kp)
{
	if (slot_len != SLOT_BYTES || slot[0] != SLOT_VERSION)
		return -1;
	uint64_t ops = get_u64(slot + 1 + PV_SALT_BYTES), mem = get_u64(slot + 1 + PV_SALT_BYTES + 8);
	if (ops > 100 || mem > ((uint64_t)4 << 30))
		return -1;
	if (!pv_kdf_acceptable(ops, mem))
		return -2;
	uint8_t *kek = pv_secret_alloc(PV_KEY_BYTES);
	if (!kek)
		return -1;
	uint8_t ad[KEY_AD_MAX];
	int rc = -1;
	if (pv_stretch_passphrase(kek, password, len, slot + 1, ops, (size_t)mem) == 0)
		rc = pv_open_sealed(kp, slot + SLOT_SEALED, PV_BOX_SECRET + PV_SEAL_OVERHEAD, ad,
				    key_ad(ad, v, "user-slot", slot + SLOT_PK, name), kek);
	if (rc == 0)
		memcpy(kp + PV_BOX_SECRET, slot + SLOT_PK, PV_BOX_PUBLIC);
	pv_secret_free(kek);
	return rc;
}

/* The master key from name's access row with the key pair kp (sk | pk), checked against
 * the key check: 0, or -1 (master wiped) when the user has none or it opens nothing
 * current; -2 when the store failed. */
static int access_open(pv_vault *v, const char *name, const uint8_t *kp, uint8_t *master)
{
	struct pv_stored_user u;
	int got = pv_store_user_get(v->store, name, &u);
	if (got < 0)
		return -2;
	const uint8_t *sk = kp, *pk = kp + PV_BOX_SECRET;
	int ok = got == 0 && !u.disabled && u.access_len == ACCESS_BYTES &&
		 u.slot_len == SLOT_BYTES && memcmp(u.slot + SLOT_PK, pk, PV_BOX_PUBLIC) == 0 &&
		 pv_box_seal_open(master, u.access, ACCESS_BOX, pk, sk) == 0;
	if (!ok || pv_master_matches(v, master) != 0) {
		pv_wipe(master, PV_KEY_BYTES);
		return -1;
	}
	return 0;
}

static pv_rc no_access(pv_vault *v, const char *name, int st)
{
	if (st == -2)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return pv_fail(v, PV_ERR_DENIED, "user %s has no access to the vault's current master "
		       "key (disabled, or left out of a key rotation): an administrator must "
		       "reset the user", name);
}

pv_rc pv_user_open_access(pv_vault *v, uint8_t *master)
{
	int st = access_open(v, v->principal, v->unlock, master);
	return st ? no_access(v, v->principal, st) : PV_OK;
}

/* The obligations u does not meet today, as PV_REQUIRES_* bits, with a reason. */
static unsigned obligation_gaps(const struct pv_stored_user *u, char *why, size_t whylen)
{
	char now[11];
	pv_date_today(0, now);
	unsigned gaps = 0;
	why[0] = '\0';
	if (!*u->agreement) {
		gaps |= PV_REQUIRES_AGREEMENT;
		snprintf(why, whylen, "no confidentiality agreement on record");
	}
	if (!*u->training || (*u->training_expires && strcmp(u->training_expires, now) < 0)) {
		size_t n = strlen(why);
		gaps |= PV_REQUIRES_TRAINING;
		if (!*u->training)
			snprintf(why + n, whylen - n, "%sno privacy training on record", n ? "; " : "");
		else
			snprintf(why + n, whylen - n, "%sprivacy training expired on %s",
				 n ? "; " : "", u->training_expires);
	}
	return gaps;
}

/* Record a failed or refused login: counts are already stored; the entry names the
 * attempted user. */
static pv_rc login_refused(pv_vault *v, const char *user, pv_rc rc, const char *outcome_detail)
{
	snprintf(v->principal, sizeof v->principal, "%s", user);
	struct pv_audit_event e = { "login", NULL, NULL, NULL,
				    rc == PV_ERR_DENIED ? "denied" : "failed", outcome_detail };
	char msg[sizeof v->errmsg];
	snprintf(msg, sizeof msg, "%s", v->errmsg);
	if (pv_audit_append(v, &e) != PV_OK)
		return pv_fail(v, rc, "%s (and the audit entry could not be written)", msg);
	return pv_fail(v, rc, "%s", msg);
}

/* The user's row as one attempt sees it, copied out of the statement. */
struct attempt {
	int known, disabled, failures;
	int64_t locked_until;
	uint8_t slot[SLOT_BYTES];
	size_t slot_len;
	char *roles;
	unsigned gaps;
	char why[160];
};

/* The lock-out after `failures` wrong passwords in a row: 0, or until when. */
static int64_t lock_until(int failures, time_t now)
{
	if (failures < PV_LOCK_AFTER)
		return 0;
	int shift = failures - PV_LOCK_AFTER;
	int64_t delay = shift > 20 ? PV_LOCK_MAX_SECONDS : (int64_t)PV_LOCK_FIRST_SECONDS << shift;
	return (int64_t)now + (delay > PV_LOCK_MAX_SECONDS ? PV_LOCK_MAX_SECONDS : delay);
}

/* In one write transaction, before any password is checked: read the user, refuse when
 * locked, else count this attempt as a failure (with the lock-out it would bring) and
 * commit, so that at most PV_LOCK_AFTER guesses in a row are ever checked, however many
 * run at once. A right password clears the count afterwards. */
static pv_rc count_attempt(pv_vault *v, const char *user, time_t now, struct attempt *a)
{
	if (pv_store_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	struct pv_stored_user u;
	int got = pv_store_user_get(v->store, user, &u);
	pv_rc rc = got < 0 ? pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store)) : PV_OK;
	a->known = got == 0;
	if (!rc && a->known) {
		a->disabled = u.disabled;
		a->failures = u.failures;
		a->locked_until = u.locked_until;
		a->slot_len = u.slot_len == SLOT_BYTES ? SLOT_BYTES : 0;
		if (a->slot_len)
			memcpy(a->slot, u.slot, SLOT_BYTES);
		a->gaps = obligation_gaps(&u, a->why, sizeof a->why);
		if (!(a->roles = strdup(u.roles)))
			rc = pv_fail(v, PV_ERR_NOMEM, "out of memory");
	}
	if (!rc && a->known && a->locked_until <= (int64_t)now) {
		a->failures++;
		a->locked_until = lock_until(a->failures, now);
		if (pv_store_user_set_failures(v->store, user, a->failures, a->locked_until) != 0)
			rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	} else if (!rc && a->known) {
		a->failures = -a->failures; /* locked: this attempt is not checked */
	}
	if (!rc && pv_store_commit(v->store) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (rc)
		(void)pv_store_rollback(v->store);
	return rc;
}

/* A wrong password, counted already: audited with the count and any lock-out. */
static pv_rc wrong_password(pv_vault *v, const char *user, const struct attempt *a)
{
	char detail[96];
	if (a->locked_until) {
		char t[32];
		pv_time_iso(t, sizeof t, (time_t)a->locked_until);
		snprintf(detail, sizeof detail, "wrong password (%d in a row); locked until %s",
			 a->failures, t);
	} else {
		snprintf(detail, sizeof detail, "wrong password (%d in a row)", a->failures);
	}
	pv_fail(v, PV_ERR_BAD_KEY, "unknown user or wrong password");
	return login_refused(v, user, PV_ERR_BAD_KEY, detail);
}

/* The password was right: the count is cleared, then the user's access opens the
 * master key (refused when disabled or left out). */
static pv_rc password_right(pv_vault *v, const char *user, struct attempt *a)
{
	if (pv_store_user_set_failures(v->store, user, 0, 0) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (a->disabled) { /* said only to someone who knows the password */
		pv_fail(v, PV_ERR_DENIED, "user %s is disabled", user);
		return login_refused(v, user, PV_ERR_DENIED, "user disabled");
	}
	snprintf(v->principal, sizeof v->principal, "%s", user);
	v->unlock_kind = PV_UNLOCK_USER;
	pv_rc rc = pv_user_open_access(v, v->master);
	if (rc)
		return login_refused(v, user, rc, "no access to the current master key");
	free(v->user_roles);
	v->user_roles = a->roles;
	a->roles = NULL;
	v->user_gaps = a->gaps;
	snprintf(v->user_gap_reason, sizeof v->user_gap_reason, "%s", a->why);
	return PV_OK;
}

/* Count the attempt, then open user's slot with password into kp (sk | pk): PV_OK when
 * the password is right (the count not yet cleared), else the refusal, audited. */
static pv_rc attempt_slot(pv_vault *v, const char *user, const char *password, size_t len,
			  struct attempt *a, uint8_t *kp)
{
	pv_rc rc = name_ok(user) ? count_attempt(v, user, time(NULL), a) : PV_OK;
	if (rc)
		return rc;
	if (!a->known) {
		stretch_for_nothing(v, password, len);
		pv_fail(v, PV_ERR_BAD_KEY, "unknown user or wrong password");
		return login_refused(v, name_ok(user) ? user : "(invalid name)", PV_ERR_BAD_KEY,
				     "unknown user");
	}
	if (a->failures >= 0 && a->slot_len != SLOT_BYTES) /* waiting for enrolment */
		stretch_for_nothing(v, password, len);
	if (a->failures < 0) {
		char until[32];
		pv_time_iso(until, sizeof until, (time_t)a->locked_until);
		pv_fail(v, PV_ERR_DENIED, "user %s is locked until %s after %d wrong passwords in a "
			"row", user, until, -a->failures);
		return login_refused(v, user, PV_ERR_DENIED, "locked out");
	}
	int st = slot_open(v, user, a->slot, a->slot_len, password, len, kp);
	if (st == -2)
		return pv_fail(v, PV_ERR_DENIED, "user %s: the slot's Argon2id setting is under the "
			       "floor of %s: an administrator must reset the user", user,
			       PV_KDF_FLOOR);
	return st ? wrong_password(v, user, a) : PV_OK;
}

pv_rc pv_user_unlock(pv_vault *v, const char *user, const char *password, size_t len)
{
	struct attempt a;
	memset(&a, 0, sizeof a);
	pv_rc rc = attempt_slot(v, user, password, len, &a, v->unlock);
	if (!rc)
		rc = password_right(v, user, &a);
	if (rc)
		pv_wipe(v->unlock, PV_UNLOCK_BYTES);
	free(a.roles);
	return rc;
}

/* The password was right (pv_user_check_password): the count is cleared; a disabled
 * user, or one whose access opens nothing current, is refused and audited. */
static pv_rc password_checked(pv_vault *v, const char *user, const struct attempt *a,
			      const uint8_t *kp)
{
	if (pv_store_user_set_failures(v->store, user, 0, 0) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (a->disabled) { /* said only to someone who knows the password */
		pv_fail(v, PV_ERR_DENIED, "user %s is disabled", user);
		return login_refused(v, user, PV_ERR_DENIED, "user disabled");
	}
	uint8_t *master = pv_secret_alloc(PV_KEY_BYTES);
	if (!master)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	int st = access_open(v, user, kp, master);
	pv_secret_free(master);
	if (st == 0)
		return PV_OK;
	pv_rc rc = no_access(v, user, st);
	return st == -2 ? rc : login_refused(v, user, rc, "no access to the current master key");
}

pv_rc pv_user_check_password(pv_vault *v, const char *user, const char *password, size_t len)
{
	char principal[sizeof v->principal];
	snprintf(principal, sizeof principal, "%s", v->principal);
	uint8_t *kp = pv_secret_alloc(PV_UNLOCK_BYTES);
	if (!kp)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	struct attempt a;
	memset(&a, 0, sizeof a);
	pv_rc rc = attempt_slot(v, user, password, len, &a, kp);
	if (!rc)
		rc = password_checked(v, user, &a, kp);
	pv_secret_free(kp);
	free(a.roles);
	snprintf(v->principal, sizeof v->principal, "%s", principal);
	return rc;
}

/* The checked row's roles, disabled flag and obligations, as the session's. */
static pv_rc session_from(pv_vault *v, const struct pv_stored_user *u)
{
	if (u->disabled)
		return pv_fail(v, PV_ERR_DENIED, "user %s is disabled", u->name);
	char *roles = strdup(u->roles);
	if (!roles)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	free(v->user_roles);
	v->user_roles = roles;
	v->user_gaps = obligation_gaps(u, v->user_gap_reason, sizeof v->user_gap_reason);
	return PV_OK;
}

pv_rc pv_user_session_verify(pv_vault *v)
{
	if (!v->user_roles)
		return PV_OK; /* opened with the root secret: no user row */
	if (pv_store_read_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	struct pv_stored_user u;
	int got = pv_authz_user_get(v, v->principal, &u);
	pv_rc rc = got < 0   ? pv_fail(v, v->authz_tampered ? PV_ERR_CORRUPT : PV_ERR_STORE, "%s",
				       pv_store_errmsg(v->store))
		   : got > 0 ? pv_fail(v, PV_ERR_CORRUPT, "users row '%s' was removed during "
				       "login", v->principal)
			     : session_from(v, &u);
	if (!rc && pv_store_commit(v->store) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (rc) {
		(void)pv_store_rollback(v->store);
		free(v->user_roles);
		v->user_roles = NULL;
		return pv_audit_failure(v, rc, "login", NULL, NULL); /* "tampered" when so */
	}
	return PV_OK;
}

pv_rc pv_user_row_verify(pv_vault *v, const char *user)
{
	if (pv_store_read_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	struct pv_stored_user u;
	int got = pv_authz_user_get(v, user, &u);
	pv_rc rc = got < 0   ? pv_fail(v, v->authz_tampered ? PV_ERR_CORRUPT : PV_ERR_STORE, "%s",
				       pv_store_errmsg(v->store))
		   : got > 0 ? pv_fail(v, PV_ERR_CORRUPT, "users row '%s' was removed during "
				       "sign-in", user)
			     : PV_OK;
	if (!rc && pv_store_commit(v->store) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (rc) {
		(void)pv_store_rollback(v->store);
		return pv_audit_failure(v, rc, "sign in", NULL, NULL); /* "tampered" when so */
	}
	return PV_OK;
}

/* Check every comma-separated role exists in the schema. */
static pv_rc roles_valid(pv_vault *v, const char *roles)
{
	char *copy = strdup(roles), *save = NULL;
	if (!copy)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	pv_rc rc = *roles ? PV_OK : pv_fail(v, PV_ERR_USAGE, "a user needs at least one role");
	for (char *r = strtok_r(copy, ",", &save); r && !rc; r = strtok_r(NULL, ",", &save))
		if (pv_schema_role_index(v->schema, r) < 0)
			rc = pv_fail(v, PV_ERR_USAGE, "no role '%s' in the schema", r);
	free(copy);
	return rc;
}

/* The binding of a pending enrolment's two public keys (pks: A | B) to name. */
static void enrol_bind(pv_vault *v, uint8_t out[32], const uint8_t *pks, const char *name,
		       const uint8_t *bind_key)
{
	uint8_t in[PV_VAULT_ID_BYTES + 10 + 2 * PV_BOX_PUBLIC + NAME_MAX_LEN];
	size_t n = strlen(name), at = PV_VAULT_ID_BYTES + 10 + 2 * PV_BOX_PUBLIC;
	memcpy(in, v->vault_id, PV_VAULT_ID_BYTES);
	memcpy(in + PV_VAULT_ID_BYTES, "user-enrol", 10);
	memcpy(in + PV_VAULT_ID_BYTES + 10, pks, 2 * PV_BOX_PUBLIC);
	memcpy(in + at, name, n);
	pv_keyed_hash(out, 32, in, at + n, bind_key);
}

/* name's pending enrolment: master sealed to both halves' keys (pks: A | B), bound. */
static void enrol_make(pv_vault *v, const char *name, const uint8_t *pks, const uint8_t *master,
		       const uint8_t *bind_key, uint8_t out[ENROL_BYTES])
{
	memcpy(out, pks, 2 * PV_BOX_PUBLIC);
	pv_enrol_seal(out + ENROL_SEALED_AT, master, pks, pks + PV_BOX_PUBLIC);
	enrol_bind(v, out + ENROL_SEALED_AT + PV_ENROL_SEALED, pks, name, bind_key);
}

/* The halves of a new enrolment code, as the caller receives them. */
struct halves {
	char a[PV_ENROL_HALF_TEXT], b[PV_ENROL_HALF_TEXT];
};

/* A pending enrolment for name into out: half A's public key from the approved request
 * being run (a root-secret session, break-glass with no request, makes half A itself,
 * into h->a), half B made now (h->b). */
static pv_rc pending_make(pv_vault *v, const char *name, uint8_t out[ENROL_BYTES],
			  struct halves *h)
{
	uint8_t pks[2 * PV_BOX_PUBLIC];
	h->a[0] = '\0';
	if (v->unlock_kind == PV_UNLOCK_ROOT && !v->user_roles) {
		pv_enrol_half_new(h->a, pks);
	} else {
		pv_rc rc = pv_approval_enrol_public(v, pks);
		if (rc)
			return rc;
	}
	pv_enrol_half_new(h->b, pks + PV_BOX_PUBLIC);
	enrol_make(v, name, pks, v->master, v->keys->user_bind, out);
	return PV_OK;
}

/* The halves for the caller (malloc'd): half B, or "A B" for a root-secret session. */
static pv_rc halves_out(pv_vault *v, const struct halves *h, char **out)
{
	size_t n = strlen(h->a) + strlen(h->b) + 2;
	if (!(*out = malloc(n)))
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	snprintf(*out, n, "%s%s%s", h->a, *h->a ? " " : "", h->b);
	return PV_OK;
}

static pv_rc name_valid(pv_vault *v, const char *name)
{
	return name_ok(name) ? PV_OK
			     : pv_fail(v, PV_ERR_USAGE, "user names are 1-64 of A-Z a-z 0-9 . _ - "
				       "(not starting with '-')");
}

/* 0 when name is free, else the refusal. */
static pv_rc name_free(pv_vault *v, const char *name)
{
	struct pv_stored_user old;
	int got = pv_authz_user_get(v, name, &old);
	if (got < 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return got == 0 ? pv_fail(v, PV_ERR_EXISTS, "user %s exists already", name) : PV_OK;
}

/* Write a new user: with a password (the first administrator, at creation), or waiting
 * for enrolment (h set). The transaction is the caller's. */
static pv_rc user_insert(pv_vault *v, const char *name, const char *roles, const char *password,
			 size_t len, struct halves *h)
{
	pv_rc rc = name_valid(v, name);
	if (!rc && !h && (!password || len < 8))
		rc = pv_fail(v, PV_ERR_USAGE, "a password of at least 8 characters is required");
	if (!rc)
		rc = roles_valid(v, roles);
	if (!rc)
		rc = name_free(v, name);
	uint8_t slot[SLOT_BYTES], access[ACCESS_BYTES], enrol[ENROL_BYTES];
	if (!rc)
		rc = h ? pending_make(v, name, enrol, h) : slot_make(v, name, password, len, slot, access);
	if (rc)
		return rc;
	char created[32];
	pv_time_iso(created, sizeof created, time(NULL));
	struct pv_stored_user u = { name, roles, slot, h ? 0 : sizeof slot, 0, 0, 0, "", "", "",
				    created, h ? NULL : access, h ? 0 : sizeof access,
				    h ? enrol : NULL, h ? sizeof enrol : 0 };
	if (pv_authz_user_put(v, &u) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return PV_OK;
}

pv_rc pv_user_create_first(pv_vault *v, const char *name, const char *role,
			   const char *password, size_t len, int kdf_fast)
{
	if (kdf_fast && pv_store_meta_put(v->store, "user_kdf", "fast", 4) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	pv_rc rc = user_insert(v, name, role, password, len, NULL);
	if (rc)
		return rc;
	struct pv_audit_event e = { "user add", NULL, NULL, NULL, "ok", NULL };
	char detail[160];
	snprintf(detail, sizeof detail, "first administrator %s, roles %s", name, role);
	e.detail = detail;
	return pv_audit_append(v, &e);
}

/* Run change inside a transaction with its audit entry; on failure roll back and audit
 * the failure. */
static pv_rc in_txn(pv_vault *v, const char *op, const char *detail,
		    pv_rc (*change)(pv_vault *v, void *ctx), void *ctx)
{
	if (pv_store_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	pv_rc rc = change(v, ctx);
	struct pv_audit_event e = { op, NULL, NULL, NULL, "ok", detail };
	rc = pv_audit_commit(v, &e, rc);
	return rc ? pv_audit_failure(v, rc, op, NULL, NULL) : pv_ok(v);
}

struct add_args {
	const char *name, *roles;
	struct halves h;
};

static pv_rc do_add(pv_vault *v, void *p)
{
	struct add_args *a = p;
	struct pv_params ap; /* granting a role takes two people: this user, these roles */
	pv_params_init(&ap);
	pv_params_add(&ap, "user", a->name);
	pv_params_add(&ap, "roles", a->roles);
	pv_rc rc = pv_approval_consume(v, "user add", &ap);
	pv_params_free(&ap);
	return rc ? rc : user_insert(v, a->name, a->roles, NULL, 0, &a->h);
}

pv_rc pv_user_add(pv_vault *v, const pv_access *who, const char *name, const char *roles,
		  char **enrol_half)
{
	*enrol_half = NULL;
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_USERS, &role);
	if (rc)
		return pv_audit_failure(v, rc, "user add", NULL, NULL);
	char detail[200];
	snprintf(detail, sizeof detail, "user %s, roles %s, waiting for enrolment", name, roles);
	struct add_args a = { name, roles, { "", "" } };
	rc = in_txn(v, "user add", detail, do_add, &a);
	if (!rc)
		rc = halves_out(v, &a.h, enrol_half);
	pv_wipe(&a.h, sizeof a.h);
	return rc;
}

/* Read a user into a copy the caller may change (strings point into `keep`). */
struct user_copy {
	struct pv_stored_user u;
	uint8_t slot[SLOT_BYTES];
	uint8_t access[ACCESS_BYTES];
	uint8_t enrol[ENROL_BYTES];
	char strings[7][200];
};

static pv_rc user_load(pv_vault *v, const char *name, struct user_copy *c)
{
	struct pv_stored_user u;
	int got = pv_authz_user_get(v, name, &u);
	if (got < 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (got > 0)
		return pv_fail(v, PV_ERR_NOT_FOUND, "no user %s", name);
	c->u = u;
	const char **s[] = { &c->u.name, &c->u.roles, &c->u.agreement, &c->u.training,
			     &c->u.training_expires, &c->u.created };
	for (int i = 0; i < 6; i++) {
		snprintf(c->strings[i], sizeof c->strings[i], "%s", *s[i]);
		*s[i] = c->strings[i];
	}
	if (u.slot_len != SLOT_BYTES && u.slot_len != 0)
		return pv_fail(v, PV_ERR_CORRUPT, "user %s: key slot is malformed", name);
	if (u.slot_len) /* an enrolling user has no slot yet */
		memcpy(c->slot, u.slot, u.slot_len);
	c->u.slot = c->slot;
	c->u.access_len = u.access_len == ACCESS_BYTES ? ACCESS_BYTES : 0;
	if (c->u.access_len)
		memcpy(c->access, u.access, ACCESS_BYTES);
	c->u.access = c->u.access_len ? c->access : NULL;
	c->u.enrol_len = u.enrol_len == ENROL_BYTES ? ENROL_BYTES : 0;
	if (c->u.enrol_len)
		memcpy(c->enrol, u.enrol, ENROL_BYTES);
	c->u.enrol = c->u.enrol_len ? c->enrol : NULL;
	return PV_OK;
}

struct one_name {
	const char *name;
	const char *a, *b, *c; /* per change */
	const char *password;
	size_t len;
};

static pv_rc do_disable(pv_vault *v, void *p)
{
	struct one_name *n = p;
	struct user_copy c;
	pv_rc rc = user_load(v, n->name, &c);
	if (rc)
		return rc;
	c.u.disabled = 1;
	c.u.access = NULL; /* the master key is no longer sealed to this user */
	c.u.access_len = 0;
	c.u.enrol = NULL;
	c.u.enrol_len = 0;
	if (pv_authz_user_put(v, &c.u) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return PV_OK;
}

pv_rc pv_user_disable(pv_vault *v, const pv_access *who, const char *name)
{
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_USERS, &role);
	if (rc)
		return pv_audit_failure(v, rc, "user disable", NULL, NULL);
	if (strcmp(name, v->principal) == 0)
		return pv_audit_failure(v, pv_fail(v, PV_ERR_USAGE, "a user cannot disable "
						    "themselves"), "user disable", NULL, NULL);
	char detail[100];
	snprintf(detail, sizeof detail, "user %s", name);
	struct one_name n = { name, NULL, NULL, NULL, NULL, 0 };
	return in_txn(v, "user disable", detail, do_disable, &n);
}

static pv_rc do_reset(pv_vault *v, void *p)
{
	struct add_args *a = p;
	struct pv_params ap; /* a credential reset takes two people: this user */
	pv_params_init(&ap);
	pv_params_add(&ap, "user", a->name);
	pv_rc rc = pv_approval_consume(v, "user reset", &ap);
	pv_params_free(&ap);
	struct user_copy c;
	if (!rc)
		rc = user_load(v, a->name, &c);
	if (!rc && c.u.disabled) /* a reset must not bring back a disabled user's access */
		rc = pv_fail(v, PV_ERR_USAGE, "user %s is disabled", a->name);
	if (!rc)
		rc = pending_make(v, a->name, c.enrol, &a->h);
	if (rc)
		return rc;
	c.u.slot_len = 0; /* the old password opens nothing from now on */
	c.u.access = NULL;
	c.u.access_len = 0;
	c.u.enrol = c.enrol;
	c.u.enrol_len = ENROL_BYTES;
	c.u.failures = 0;
	c.u.locked_until = 0;
	/* a credential reset because it leaked leaves its thief no session on a server */
	if (pv_authz_user_put(v, &c.u) != 0 || pv_store_session_end_user(v->store, a->name, NULL) < 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return PV_OK;
}

pv_rc pv_user_reset(pv_vault *v, const pv_access *who, const char *name, char **enrol_half)
{
	*enrol_half = NULL;
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_USERS, &role);
	if (rc)
		return pv_audit_failure(v, rc, "user reset", NULL, NULL);
	char detail[120];
	snprintf(detail, sizeof detail, "user %s, waiting for enrolment", name);
	struct add_args a = { name, NULL, { "", "" } };
	rc = in_txn(v, "user reset", detail, do_reset, &a);
	if (!rc)
		rc = halves_out(v, &a.h, enrol_half);
	pv_wipe(&a.h, sizeof a.h);
	return rc;
}

struct passwd_args {
	const char *old, *password;
	size_t old_len, len;
	const uint8_t *kp; /* a server's handle: the key pair the old password opened */
};

/* One's own key pair kp sealed under the new password into c (the access stays), and
 * every sign-in session of the user on a server ended but the one acted in: a password
 * changed because it leaked leaves its thief no session. */
static pv_rc reseal_own(pv_vault *v, struct user_copy *c, const struct passwd_args *n,
			const uint8_t *kp)
{
	pv_rc rc = slot_seal(v, v->principal, n->password, n->len, kp, c->slot);
	if (rc)
		return rc;
	if (pv_authz_user_put(v, &c->u) != 0 ||
	    pv_store_session_end_user(v->store, v->principal, v->session_id) < 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return PV_OK;
}

static pv_rc do_passwd(pv_vault *v, void *p)
{
	struct passwd_args *n = p;
	struct user_copy c;
	pv_rc rc = user_load(v, v->principal, &c);
	if (rc)
		return rc;
	if (!n->password || n->len < 8)
		return pv_fail(v, PV_ERR_USAGE, "a password of at least 8 characters is required");
	uint8_t *kp = pv_secret_alloc(PV_UNLOCK_BYTES);
	if (!kp)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	int st = slot_open(v, v->principal, c.slot, c.u.slot_len, n->old, n->old_len, kp);
	if (st != 0 || memcmp(kp, v->unlock, PV_UNLOCK_BYTES) != 0)
		rc = pv_fail(v, PV_ERR_BAD_KEY, "the old password is wrong");
	else
		rc = reseal_own(v, &c, n, v->unlock);
	pv_secret_free(kp);
	return rc;
}

pv_rc pv_user_passwd(pv_vault *v, const char *old_password, size_t old_len,
		     const char *password, size_t len)
{
	if (v->unlock_kind != PV_UNLOCK_USER)
		return pv_audit_failure(v, pv_fail(v, PV_ERR_USAGE, "only a user changes their own "
						    "password; another's is reset by an approved "
						    "request (user reset)"), "user passwd", NULL,
					NULL);
	char detail[120];
	snprintf(detail, sizeof detail, "user %s, own password", v->principal);
	struct passwd_args n = { old_password, password, old_password ? old_len : 0, len,
				  NULL };
	if (!old_password)
		n.old = "";
	return in_txn(v, "user passwd", detail, do_passwd, &n);
}

/* ---- Enrolment ---- */

/* Count the attempt, then open user's pending enrolment with both halves into master,
 * checked against the key check and bound to this user; a refusal wipes master and is
 * audited (one message for an unknown user, no enrolment and a wrong half). */
static pv_rc enrol_open(pv_vault *v, const char *user, const char *half_a, const char *half_b,
			uint8_t *master, struct attempt *a)
{
	pv_rc rc = name_ok(user) ? count_attempt(v, user, time(NULL), a) : PV_OK;
	struct pv_stored_user u;
	uint8_t bind_key[PV_KEY_BYTES], want[32], enrol[ENROL_BYTES];
	int ok = !rc && a->known && a->failures > 0 && !a->disabled &&
		 pv_store_user_get(v->store, user, &u) == 0 && u.enrol_len == ENROL_BYTES;
	if (ok) /* copied before any other store call */
		memcpy(enrol, u.enrol, ENROL_BYTES);
	ok = ok && pv_enrol_open(master, enrol + ENROL_SEALED_AT, half_a, half_b) == 0 &&
	     pv_master_matches(v, master) == 0;
	if (ok) { /* bound to this user: another's enrolment copied here opens nothing */
		pv_user_bind_key(bind_key, master);
		enrol_bind(v, want, enrol, user, bind_key);
		ok = pv_ct_compare(want, enrol + ENROL_SEALED_AT + PV_ENROL_SEALED, 32) == 0;
		pv_wipe(bind_key, sizeof bind_key);
	}
	if (!rc && !ok) {
		pv_wipe(master, PV_KEY_BYTES);
		if (a->failures < 0)
			pv_fail(v, PV_ERR_DENIED, "user %s is locked after %d failed attempts in a row",
				user, -a->failures);
		else
			pv_fail(v, PV_ERR_BAD_KEY, "unknown user, no enrolment waiting, or a wrong "
				"enrolment code");
		rc = login_refused(v, name_ok(user) ? user : "(invalid name)",
				   a->failures < 0 ? PV_ERR_DENIED : PV_ERR_BAD_KEY,
				   "enrolment refused");
	}
	return rc;
}

pv_rc pv_user_enrol_unlock(pv_vault *v, const char *user, const char *half_a, const char *half_b)
{
	struct attempt a;
	memset(&a, 0, sizeof a);
	pv_rc rc = enrol_open(v, user, half_a, half_b, v->master, &a);
	if (!rc) {
		snprintf(v->principal, sizeof v->principal, "%s", user);
		v->unlock_kind = PV_UNLOCK_USER;
		free(v->user_roles);
		v->user_roles = a.roles;
		a.roles = NULL;
		v->user_gaps = a.gaps;
		snprintf(v->user_gap_reason, sizeof v->user_gap_reason, "%s", a.why);
	}
	free(a.roles);
	return rc;
}

static pv_rc do_enrol(pv_vault *v, void *p)
{
	struct passwd_args *n = p;
	struct user_copy c;
	pv_rc rc = user_load(v, v->principal, &c);
	if (rc)
		return rc;
	if (c.u.enrol_len != ENROL_BYTES)
		return pv_fail(v, PV_ERR_USAGE, "user %s has no enrolment waiting", v->principal);
	if (!n->password || n->len < 8)
		return pv_fail(v, PV_ERR_USAGE, "a password of at least 8 characters is required");
	if ((rc = slot_make(v, v->principal, n->password, n->len, c.slot, c.access)) != PV_OK)
		return rc;
	c.u.slot_len = SLOT_BYTES;
	c.u.access = c.access;
	c.u.access_len = ACCESS_BYTES;
	c.u.enrol = NULL; /* one-time: the code opens nothing any more */
	c.u.enrol_len = 0;
	c.u.failures = 0;
	c.u.locked_until = 0;
	if (pv_authz_user_put(v, &c.u) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return PV_OK;
}

pv_rc pv_user_enrol_finish(pv_vault *v, const char *password, size_t len)
{
	char detail[160];
	snprintf(detail, sizeof detail, "user %s set their password with the enrolment code",
		 v->principal);
	struct passwd_args n = { NULL, password, 0, len, NULL };
	pv_rc rc = in_txn(v, "user enrol", detail, do_enrol, &n);
	if (rc)
		return rc;
	/* the handle's credential is now the new key pair */
	struct user_copy c;
	uint8_t *kp = pv_secret_alloc(PV_UNLOCK_BYTES);
	rc = kp ? user_load(v, v->principal, &c) : pv_fail(v, PV_ERR_NOMEM, "out of memory");
	if (!rc && slot_open(v, v->principal, c.slot, c.u.slot_len, password, len, kp) != 0)
		rc = pv_fail(v, PV_ERR_CORRUPT, "user %s: the new slot does not open", v->principal);
	if (!rc)
		memcpy(v->unlock, kp, PV_UNLOCK_BYTES);
	pv_secret_free(kp);
	return rc;
}

pv_rc pv_user_enrol_served(pv_vault *v, const char *user, const char *half_a,
			   const char *half_b, const char *password, size_t len)
{
	if (!password || len < 8) /* refused before the code is tried */
		return pv_fail(v, PV_ERR_USAGE, "a password of at least 8 characters is required");
	uint8_t *master = pv_secret_alloc(PV_KEY_BYTES);
	if (!master)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	char was[sizeof v->principal];
	snprintf(was, sizeof was, "%s", v->principal);
	struct attempt a;
	memset(&a, 0, sizeof a);
	pv_rc rc = enrol_open(v, user, half_a, half_b, master, &a);
	pv_secret_free(master); /* the same master the handle holds (the key check says so) */
	free(a.roles);
	if (!rc) {
		char detail[160];
		snprintf(v->principal, sizeof v->principal, "%s", user);
		snprintf(detail, sizeof detail, "user %s set their password with the enrolment "
			 "code", user);
		struct passwd_args n = { NULL, password, 0, len, NULL };
		rc = in_txn(v, "user enrol", detail, do_enrol, &n);
	}
	snprintf(v->principal, sizeof v->principal, "%s", was);
	return rc;
}

static pv_rc do_passwd_served(pv_vault *v, void *p)
{
	struct passwd_args *n = p;
	struct user_copy c;
	pv_rc rc = user_load(v, v->principal, &c);
	return rc ? rc : reseal_own(v, &c, n, n->kp);
}

pv_rc pv_user_passwd_served(pv_vault *v, const char *old_password, size_t old_len,
			    const char *password, size_t len)
{
	if (!password || len < 8)
		return pv_audit_failure(v, pv_fail(v, PV_ERR_USAGE, "a password of at least 8 "
						   "characters is required"), "user passwd", NULL,
					NULL);
	char user[sizeof v->principal];
	snprintf(user, sizeof user, "%s", v->principal);
	uint8_t *kp = pv_secret_alloc(PV_UNLOCK_BYTES);
	if (!kp)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	struct attempt a;
	memset(&a, 0, sizeof a);
	pv_rc rc = attempt_slot(v, user, old_password ? old_password : "", old_len, &a, kp);
	snprintf(v->principal, sizeof v->principal, "%s", user);
	if (rc == PV_ERR_BAD_KEY)
		pv_fail(v, rc, "the old password is wrong");
	if (!rc && pv_store_user_set_failures(v->store, user, 0, 0) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (!rc) {
		char detail[120];
		snprintf(detail, sizeof detail, "user %s, own password", user);
		struct passwd_args n = { NULL, password, 0, len, kp };
		rc = in_txn(v, "user passwd", detail, do_passwd_served, &n);
	}
	pv_secret_free(kp);
	free(a.roles);
	return rc;
}

static pv_rc do_attest(pv_vault *v, void *p)
{
	struct one_name *n = p;
	struct user_copy c;
	pv_rc rc = user_load(v, n->name, &c);
	if (rc)
		return rc;
	char norm[PV_VALUE_MAX + 1];
	size_t len;
	const char *dates[3] = { n->a, n->b, n->c };
	char *slots[3] = { c.strings[2], c.strings[3], c.strings[4] };
	static const char *const what[3] = { "agreement", "training", "training expiry" };
	for (int i = 0; i < 3; i++) {
		if (!dates[i])
			continue;
		if (pv_validate(PV_T_DATE, dates[i], strlen(dates[i]), norm, sizeof norm, &len) ||
		    len != 10)
			return pv_fail(v, PV_ERR_USAGE, "%s date must be YYYY-MM-DD", what[i]);
		snprintf(slots[i], sizeof c.strings[0], "%.10s", norm);
	}
	if (n->b && !n->c) { /* training is valid for a year unless told otherwise */
		int y = atoi(c.strings[3]);
		snprintf(c.strings[4], sizeof c.strings[4], "%04d%.6s", y + TRAINING_VALID_YEARS,
			 c.strings[3] + 4);
		if (strcmp(c.strings[4] + 4, "-02-29") == 0)
			memcpy(c.strings[4] + 8, "28", 2);
	}
	if (pv_authz_user_put(v, &c.u) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return PV_OK;
}

pv_rc pv_user_attest(pv_vault *v, const pv_access *who, const char *name, const char *agreement,
		     const char *training, const char *training_expires)
{
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_USERS, &role);
	if (rc)
		return pv_audit_failure(v, rc, "user attest", NULL, NULL);
	char detail[160];
	snprintf(detail, sizeof detail, "user %s%s%s%s%s", name, agreement ? ", agreement " : "",
		 agreement ? agreement : "", training ? ", training " : "", training ? training : "");
	struct one_name n = { name, agreement, training, training_expires, NULL, 0 };
	return in_txn(v, "user attest", detail, do_attest, &n);
}

/* One user as a rotation sees them. */
struct reseal_user {
	char name[NAME_MAX_LEN + 1];
	int active, pending;        /* access to reseal; enrolment to reseal */
	uint8_t pk[PV_BOX_PUBLIC];
	uint8_t pks[2 * PV_BOX_PUBLIC]; /* a pending enrolment's halves' keys */
};

struct reseal_list {
	struct reseal_user *u;
	size_t n, cap;
	pv_vault *v;
	const char *unbound; /* the first active user whose binding does not verify */
	char unbound_name[NAME_MAX_LEN + 1];
	int nomem;
};

/* 1 when u's pending enrolment is bound to u under the current master (pks copied). */
static int enrol_bound(pv_vault *v, const struct pv_stored_user *u, uint8_t *pks)
{
	uint8_t want[32];
	if (u->enrol_len != ENROL_BYTES)
		return 0;
	enrol_bind(v, want, u->enrol, u->name, v->keys->user_bind);
	memcpy(pks, u->enrol, 2 * PV_BOX_PUBLIC);
	return pv_ct_compare(want, u->enrol + ENROL_SEALED_AT + PV_ENROL_SEALED, 32) == 0;
}

/* Collect a user: active when not disabled and holding an access whose binding of the
 * slot's public key verifies under the current master; pending likewise with an
 * enrolment. */
static int reseal_collect(void *ctx, const struct pv_stored_user *u)
{
	struct reseal_list *l = ctx;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct reseal_user *t = realloc(l->u, cap * sizeof *t);
		if (!t) {
			l->nomem = 1;
			return -1;
		}
		l->u = t;
		l->cap = cap;
	}
	struct reseal_user *r = &l->u[l->n++];
	memset(r, 0, sizeof *r);
	snprintf(r->name, sizeof r->name, "%s", u->name);
	if (u->disabled || (u->access_len == 0 && u->enrol_len == 0))
		return 0;
	uint8_t want[32];
	if (u->enrol_len) {
		r->pending = enrol_bound(l->v, u, r->pks);
		if (!r->pending && !l->unbound) {
			snprintf(l->unbound_name, sizeof l->unbound_name, "%s", u->name);
			l->unbound = l->unbound_name;
		}
		return 0;
	}
	int bound = u->slot_len == SLOT_BYTES && u->access_len == ACCESS_BYTES;
	if (bound) {
		bind_of(l->v, want, u->slot + SLOT_PK, u->name, l->v->keys->user_bind);
		bound = pv_ct_compare(want, u->access + ACCESS_BOX, 32) == 0;
	}
	if (!bound && !l->unbound) {
		snprintf(l->unbound_name, sizeof l->unbound_name, "%s", u->name);
		l->unbound = l->unbound_name;
	}
	r->active = bound;
	if (bound)
		memcpy(r->pk, u->slot + SLOT_PK, PV_BOX_PUBLIC);
	return 0;
}

/* Add name to the comma-separated list out (size n), ending it with "..." when full. */
static void name_list_add(char *out, size_t n, const char *name)
{
	size_t used = strlen(out);
	if (used + strlen(name) + 6 < n)
		snprintf(out + used, n - used, "%s%s", used ? ", " : "", name);
	else if (used + 4 < n && (used < 3 || strcmp(out + used - 3, "...") != 0))
		snprintf(out + used, n - used, "...");
}

pv_rc pv_users_reseal(pv_vault *v, const uint8_t *new_master, const uint8_t *new_bind,
		      unsigned *resealed, char *names, size_t names_len)
{
	names[0] = '\0';
	struct reseal_list l = { .v = v };
	*resealed = 0;
	pv_rc rc = PV_OK;
	if (pv_authz_user_scan(v, reseal_collect, &l) != 0)
		rc = l.nomem ? pv_fail(v, PV_ERR_NOMEM, "out of memory")
			     : pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (!rc && l.unbound)
		rc = pv_fail(v, PV_ERR_CORRUPT, "users row %s: the public key is not the one the "
			     "vault bound to the user (the row was changed outside pivault): "
			     "disable the user, then replace the root secret", l.unbound);
	for (size_t i = 0; !rc && i < l.n; i++) {
		uint8_t access[ACCESS_BYTES], enrol[ENROL_BYTES];
		const struct reseal_user *r = &l.u[i];
		if (r->active)
			access_make(v, r->name, r->pk, new_master, new_bind, access);
		if (r->pending)
			enrol_make(v, r->name, r->pks, new_master, new_bind, enrol);
		struct user_copy c; /* written with its integrity code under the new key */
		if ((rc = user_load(v, r->name, &c)) != PV_OK)
			break;
		c.u.access = r->active ? access : NULL;
		c.u.access_len = r->active ? sizeof access : 0;
		c.u.enrol = r->pending ? enrol : NULL;
		c.u.enrol_len = r->pending ? sizeof enrol : 0;
		if (pv_authz_user_put(v, &c.u) != 0)
			rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
		*resealed += r->active || r->pending ? 1u : 0u;
		if (r->active || r->pending)
			name_list_add(names, names_len, r->name);
	}
	free(l.u);
	pv_store_release_rows(v->store); /* the last row read would hold its snapshot open */
	return rc;
}

unsigned pv_user_obligation_gaps(const struct pv_stored_user *u, char *why, size_t whylen)
{
	return obligation_gaps(u, why, whylen);
}

int pv_user_slot_kdf(const struct pv_stored_user *u, uint64_t *ops, uint64_t *mem)
{
	if (u->slot_len != SLOT_BYTES || u->slot[0] != SLOT_VERSION)
		return -1;
	*ops = get_u64(u->slot + 1 + PV_SALT_BYTES);
	*mem = get_u64(u->slot + 1 + PV_SALT_BYTES + 8);
	return 0;
}

struct list_ctx {
	int gaps_only;
	pv_user_fn fn;
	void *ctx;
};

static int list_one(void *p, const struct pv_stored_user *u)
{
	struct list_ctx *l = p;
	char why[160];
	unsigned gaps = obligation_gaps(u, why, sizeof why);
	if (l->gaps_only && !gaps)
		return 0;
	pv_user_info info = { u->name, u->roles, u->disabled, u->failures, u->locked_until,
			      u->agreement, u->training, u->training_expires, gaps ? why : "",
			      u->enrol_len > 0 };
	return l->fn(l->ctx, &info) ? 1 : 0;
}

pv_rc pv_user_list(pv_vault *v, const pv_access *who, pv_user_filter which, pv_user_fn fn,
		   void *ctx)
{
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_USERS, &role);
	if (rc)
		return pv_audit_failure(v, rc, "user list", NULL, NULL);
	struct pv_audit_event e = { "user list", NULL, NULL, NULL, "ok",
				    (which == PV_USERS_WITH_GAPS) ? "users with gaps" : NULL };
	if ((rc = pv_audit_append(v, &e)) != PV_OK)
		return rc;
	struct list_ctx l = { (which == PV_USERS_WITH_GAPS), fn, ctx };
	if (pv_authz_user_scan(v, list_one, &l) < 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return pv_ok(v);
}

const char *pv_vault_user(const pv_vault *v)
{
	return v->principal;
}

const char *pv_vault_user_roles(const pv_vault *v)
{
	return v->user_roles;
}
