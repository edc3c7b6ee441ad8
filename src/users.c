/* SPDX-License-Identifier: Apache-2.0 */
/* users.c: users and their key slots. A slot is: version (1 byte), Argon2id salt (16),
 * opslimit and memlimit (u64 LE each), then the root key sealed under the password's
 * Argon2id key with associated data vault id | "user-slot" | user name, so a slot cannot
 * be moved to another user or vault. */
#include "dates.h"
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

#define SLOT_VERSION 1
#define SLOT_BYTES (1 + PV_SALT_BYTES + 8 + 8 + PV_KEY_BYTES + PV_SEAL_OVERHEAD)
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

static size_t slot_ad(uint8_t *ad, const pv_vault *v, const char *name)
{
	size_t n = strlen(name);
	memcpy(ad, v->vault_id, PV_VAULT_ID_BYTES);
	memcpy(ad + PV_VAULT_ID_BYTES, "user-slot", 9);
	memcpy(ad + PV_VAULT_ID_BYTES + 9, name, n);
	return PV_VAULT_ID_BYTES + 9 + n;
}

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

/* Argon2id limits for new slots: the vault's setting ("fast" for test vaults). */
static void slot_limits(pv_vault *v, uint64_t *ops, size_t *mem)
{
	uint8_t *val = NULL;
	int fast = pv_store_meta_get(v->store, "user_kdf", &val, NULL) == 0 &&
		   strcmp((char *)val, "fast") == 0;
	free(val);
	pv_stretch_limits(fast, ops, mem);
}

/* Seal the root key into a new slot for name under password. */
static pv_rc slot_make(pv_vault *v, const char *name, const char *password, size_t len,
		       uint8_t slot[SLOT_BYTES])
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
	if (pv_stretch_passphrase(kek, password, len, slot + 1, ops, mem) != 0) {
		pv_secret_free(kek);
		return pv_fail(v, PV_ERR_NOMEM, "not enough memory for Argon2id");
	}
	uint8_t ad[PV_VAULT_ID_BYTES + 9 + NAME_MAX_LEN];
	pv_seal(slot + 1 + PV_SALT_BYTES + 16, v->root, PV_KEY_BYTES, ad, slot_ad(ad, v, name),
		kek, NULL);
	pv_secret_free(kek);
	return PV_OK;
}

/* Open a slot with password into root. 0, or -1 when the password is wrong (or the slot
 * malformed or moved). */
static int slot_open(pv_vault *v, const char *name, const uint8_t *slot, size_t slot_len,
		     const char *password, size_t len, uint8_t *root)
{
	if (slot_len != SLOT_BYTES || slot[0] != SLOT_VERSION)
		return -1;
	uint64_t ops = get_u64(slot + 1 + PV_SALT_BYTES), mem = get_u64(slot + 1 + PV_SALT_BYTES + 8);
	if (ops > 100 || mem > ((uint64_t)4 << 30))
		return -1;
	uint8_t *kek = pv_secret_alloc(PV_KEY_BYTES);
	if (!kek)
		return -1;
	uint8_t ad[PV_VAULT_ID_BYTES + 9 + NAME_MAX_LEN];
	int rc = -1;
	if (pv_stretch_passphrase(kek, password, len, slot + 1, ops, (size_t)mem) == 0)
		rc = pv_open_sealed(root, slot + 1 + PV_SALT_BYTES + 16, PV_KEY_BYTES + PV_SEAL_OVERHEAD,
				    ad, slot_ad(ad, v, name), kek);
	pv_secret_free(kek);
	return rc;
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

/* Count one more wrong password for user, atomically (guesses made in parallel are each
 * counted), lock the user out once they reach PV_LOCK_AFTER in a row, and audit it, all
 * in one transaction. The caller is told only "unknown user or wrong password", the same
 * as for a user that does not exist. */
static pv_rc login_refused(pv_vault *v, const char *user, pv_rc rc, const char *detail);

static pv_rc count_failure(pv_vault *v, const char *user, time_t now)
{
	if (pv_store_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	struct pv_stored_user u;
	int got = pv_store_user_get(v->store, user, &u);
	int failures = got == 0 ? u.failures + 1 : 1;
	int64_t until = 0;
	if (failures >= PV_LOCK_AFTER) {
		int shift = failures - PV_LOCK_AFTER;
		int64_t delay = shift > 20 ? PV_LOCK_MAX_SECONDS : (int64_t)PV_LOCK_FIRST_SECONDS << shift;
		until = (int64_t)now + (delay > PV_LOCK_MAX_SECONDS ? PV_LOCK_MAX_SECONDS : delay);
	}
	char detail[96];
	if (until) {
		char t[32];
		pv_time_iso(t, sizeof t, (time_t)until);
		snprintf(detail, sizeof detail, "wrong password (%d in a row); locked until %s",
			 failures, t);
	} else {
		snprintf(detail, sizeof detail, "wrong password (%d in a row)", failures);
	}
	pv_rc rc = got != 0 || pv_store_user_set_failures(v->store, user, failures, until) != 0
			   ? pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store))
			   : PV_OK;
	if (!rc) {
		pv_fail(v, PV_ERR_BAD_KEY, "unknown user or wrong password");
		rc = login_refused(v, user, PV_ERR_BAD_KEY, detail);
	}
	if (rc == PV_ERR_BAD_KEY && pv_store_commit(v->store) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (rc != PV_ERR_BAD_KEY)
		(void)pv_store_rollback(v->store);
	return rc;
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

pv_rc pv_user_unlock(pv_vault *v, const char *user, const char *password, size_t len,
		     uint8_t *root)
{
	struct pv_stored_user u;
	int got = pv_store_user_get(v->store, user, &u);
	if (got < 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (got > 0 || !name_ok(user)) {
		pv_fail(v, PV_ERR_BAD_KEY, "unknown user or wrong password");
		return login_refused(v, name_ok(user) ? user : "(invalid name)", PV_ERR_BAD_KEY,
				     "unknown user");
	}
	time_t now = time(NULL);
	int disabled = u.disabled;
	if (u.locked_until > (int64_t)now) {
		char until[32];
		pv_time_iso(until, sizeof until, (time_t)u.locked_until);
		pv_fail(v, PV_ERR_DENIED, "user %s is locked until %s after %d wrong passwords in a "
			"row", user, until, u.failures);
		return login_refused(v, user, PV_ERR_DENIED, "locked out");
	}
	/* Copy what outlives the statement before any further store call. */
	uint8_t slot[SLOT_BYTES];
	size_t slot_len = u.slot_len;
	if (slot_len == SLOT_BYTES)
		memcpy(slot, u.slot, SLOT_BYTES);
	int failures = u.failures;
	char *roles = strdup(u.roles);
	char why[160];
	unsigned gaps = obligation_gaps(&u, why, sizeof why);
	if (!roles)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	if (slot_open(v, user, slot, slot_len, password, len, root) != 0 ||
	    pv_root_matches(v, root) != 0) {
		free(roles);
		pv_wipe(root, PV_KEY_BYTES);
		return count_failure(v, user, now);
	}
	if (disabled) { /* said only to someone who knows the password */
		free(roles);
		pv_wipe(root, PV_KEY_BYTES);
		pv_fail(v, PV_ERR_DENIED, "user %s is disabled", user);
		return login_refused(v, user, PV_ERR_DENIED, "user disabled");
	}
	if (failures && pv_store_user_set_failures(v->store, user, 0, 0) != 0) {
		free(roles);
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	}
	snprintf(v->principal, sizeof v->principal, "%s", user);
	free(v->user_roles);
	v->user_roles = roles;
	v->user_gaps = gaps;
	snprintf(v->user_gap_reason, sizeof v->user_gap_reason, "%s", why);
	return PV_OK;
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

/* Write a new user (the transaction is the caller's). */
static pv_rc user_insert(pv_vault *v, const char *name, const char *roles, const char *password,
			 size_t len)
{
	if (!name_ok(name))
		return pv_fail(v, PV_ERR_USAGE, "user names are 1-64 of A-Z a-z 0-9 . _ - "
			       "(not starting with '-')");
	if (!password || len < 8)
		return pv_fail(v, PV_ERR_USAGE, "a password of at least 8 characters is required");
	pv_rc rc = roles_valid(v, roles);
	if (rc)
		return rc;
	struct pv_stored_user old;
	int got = pv_authz_user_get(v, name, &old);
	if (got < 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (got == 0)
		return pv_fail(v, PV_ERR_EXISTS, "user %s exists already", name);
	uint8_t slot[SLOT_BYTES];
	if ((rc = slot_make(v, name, password, len, slot)) != PV_OK)
		return rc;
	char created[32];
	pv_time_iso(created, sizeof created, time(NULL));
	struct pv_stored_user u = { name, roles, slot, sizeof slot, 0, 0, 0, "", "", "", created };
	if (pv_authz_user_put(v, &u) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return PV_OK;
}

pv_rc pv_user_create_first(pv_vault *v, const char *name, const char *role,
			   const char *password, size_t len, int kdf_fast)
{
	if (kdf_fast && pv_store_meta_put(v->store, "user_kdf", "fast", 4) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	pv_rc rc = user_insert(v, name, role, password, len);
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
	const char *name, *roles, *password;
	size_t len;
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
	return rc ? rc : user_insert(v, a->name, a->roles, a->password, a->len);
}

pv_rc pv_user_add(pv_vault *v, const pv_access *who, const char *name, const char *roles,
		  const char *password, size_t len)
{
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_USERS, &role);
	if (rc)
		return pv_audit_failure(v, rc, "user add", NULL, NULL);
	char detail[200];
	snprintf(detail, sizeof detail, "user %s, roles %s", name, roles);
	struct add_args a = { name, roles, password, len };
	return in_txn(v, "user add", detail, do_add, &a);
}

/* Read a user into a copy the caller may change (strings point into `keep`). */
struct user_copy {
	struct pv_stored_user u;
	uint8_t slot[SLOT_BYTES];
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
	if (u.slot_len != SLOT_BYTES)
		return pv_fail(v, PV_ERR_CORRUPT, "user %s: key slot is malformed", name);
	memcpy(c->slot, u.slot, SLOT_BYTES);
	c->u.slot = c->slot;
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

static pv_rc do_passwd(pv_vault *v, void *p)
{
	struct one_name *n = p;
	struct user_copy c;
	pv_rc rc = user_load(v, n->name, &c);
	if (rc)
		return rc;
	if (!n->password || n->len < 8)
		return pv_fail(v, PV_ERR_USAGE, "a password of at least 8 characters is required");
	if ((rc = slot_make(v, n->name, n->password, n->len, c.slot)) != PV_OK)
		return rc;
	c.u.failures = 0;
	c.u.locked_until = 0;
	if (pv_authz_user_put(v, &c.u) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return PV_OK;
}

pv_rc pv_user_passwd(pv_vault *v, const pv_access *who, const char *name, const char *password,
		     size_t len)
{
	int role;
	if (strcmp(name, v->principal) != 0) { /* someone else's: an administrator's task */
		pv_rc rc = pv_policy_authorize(v, who, PV_OP_USERS, &role);
		if (rc)
			return pv_audit_failure(v, rc, "user passwd", NULL, NULL);
	}
	char detail[100];
	snprintf(detail, sizeof detail, "user %s", name);
	struct one_name n = { name, NULL, NULL, NULL, password, len };
	return in_txn(v, "user passwd", detail, do_passwd, &n);
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
			      u->agreement, u->training, u->training_expires, gaps ? why : "" };
	return l->fn(l->ctx, &info) ? 1 : 0;
}

pv_rc pv_user_list(pv_vault *v, const pv_access *who, int gaps_only, pv_user_fn fn, void *ctx)
{
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_USERS, &role);
	if (rc)
		return pv_audit_failure(v, rc, "user list", NULL, NULL);
	struct pv_audit_event e = { "user list", NULL, NULL, NULL, "ok",
				    gaps_only ? "users with gaps" : NULL };
	if ((rc = pv_audit_append(v, &e)) != PV_OK)
		return rc;
	struct list_ctx l = { gaps_only, fn, ctx };
	if (pv_authz_user_scan(v, list_one, &l) < 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return pv_ok(v);
}

const char *pv_vault_user(const pv_vault *v)
{
	return v->principal;
}
