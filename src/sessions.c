/* SPDX-License-Identifier: Apache-2.0 */
/* sessions.c: the server's sign-in sessions. A server opens the vault once with the root
 * secret (one handle per thread, pv_vault_serve) and acts for many users: a user signs in
 * with their password (checked as at any login, users.c) and gets a bearer token of 32
 * random bytes, shown once; the store keeps only a keyed hash of it, the user, the expiry
 * and how many customers the session was shown in clear, under an integrity tag a DBA
 * cannot recompute (a row moved to another user, or given a later expiry, is refused).
 * Each request enters the session: the handle then acts, is authorised and is audited as
 * the session's user, whose roles and obligations are read again from the checked users
 * row; every use of a token, accepted or refused, is audited. Signing out deletes the row.
 *
 * API tokens for scripts (api_tokens.c) are sessions of another lifetime and scope: a
 * bearer token starting "pvt_" is entered there, and acted in, left and counted the same
 * way. What both share (the keys, acting for a user or for nobody) is serving.c's. */
#include "api_tokens.h"
#include "dates.h"
#include "keyring_sync.h"
#include "serving.h"
#include "users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TOKEN_BYTES 32
#define TAG_BYTES 32
#define UNKNOWN_TOKEN "(unknown session)"
#define MAX_TTL 86400

static const char INVALID_TOKEN[] = "the session token is not valid (unknown, expired or "
				     "signed out): sign in again";

static void put_u64(uint8_t *p, uint64_t x)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(x >> (8 * i));
}

/* The row's tag: keyed BLAKE2b over vault id | id | user | created | expires | shown. */
static int row_tag(pv_vault *v, const struct pv_stored_session *x, uint8_t tag[TAG_BYTES])
{
	uint8_t msg[PV_VAULT_ID_BYTES + 65 + 72 + 24];
	size_t ulen = strlen(x->user), n = 0;
	if (strlen(x->id) != 64 || ulen >= 72)
		return -1;
	memcpy(msg, v->vault_id, PV_VAULT_ID_BYTES);
	n += PV_VAULT_ID_BYTES;
	memcpy(msg + n, x->id, 65); /* with its terminator */
	n += 65;
	memcpy(msg + n, x->user, ulen + 1);
	n += ulen + 1;
	put_u64(msg + n, (uint64_t)x->created);
	put_u64(msg + n + 8, (uint64_t)x->expires);
	put_u64(msg + n + 16, x->clear_shown);
	n += 24;
	return pv_serving_tag(v, PV_SERVING_SESSION_TAG, msg, n, tag);
}

/* Write x (in a transaction) with its tag. */
static pv_rc session_put(pv_vault *v, struct pv_stored_session *x)
{
	uint8_t tag[TAG_BYTES];
	if (row_tag(v, x, tag) != 0)
		return pv_fail(v, PV_ERR_USAGE, "a user name of at most 71 bytes is required");
	x->tag = tag;
	x->tag_len = sizeof tag;
	if (pv_store_session_put(v->store, x) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return PV_OK;
}

/* 1 when the stored row's tag is its own. */
static int tag_holds(pv_vault *v, const struct pv_stored_session *x)
{
	uint8_t tag[TAG_BYTES];
	return x->tag_len == TAG_BYTES && row_tag(v, x, tag) == 0 &&
	       pv_ct_compare(tag, x->tag, TAG_BYTES) == 0;
}

pv_rc pv_vault_serve(pv_vault *v)
{
	if (!v || !v->has_keys)
		return pv_fail(v, PV_ERR_USAGE, "an open vault is required");
	if (v->serving)
		return pv_ok(v);
	if (v->unlock_kind != PV_UNLOCK_ROOT || v->user_roles)
		return pv_fail(v, PV_ERR_USAGE, "a server's handle is opened with the root secret, "
			       "not as a user");
	pv_rc rc = pv_serving_act_for_nobody(v);
	if (!rc)
		v->serving = 1;
	return rc ? rc : pv_ok(v);
}

pv_rc pv_vault_linger_reads(pv_vault *v, unsigned ms)
{
	if (!v || !v->serving)
		return pv_fail(v, PV_ERR_USAGE, "only a server's handle lets its reads linger");
	pv_store_linger_reads(v->store, ms);
	return pv_ok(v);
}

void pv_vault_expire_lingering(pv_vault *v)
{
	if (v)
		pv_store_linger_expire(v->store);
}

/* In one transaction: expired sessions deleted, x stored, the sign-in audited. */
static pv_rc store_new_session(pv_vault *v, struct pv_stored_session *x)
{
	if (pv_store_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	pv_rc rc = PV_OK;
	if (pv_store_session_purge(v->store, (int64_t)time(NULL)) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (!rc)
		rc = session_put(v, x);
	char until[32], detail[96];
	pv_time_iso(until, sizeof until, (time_t)x->expires);
	snprintf(detail, sizeof detail, "session %.8s until %s", x->id, until);
	struct pv_audit_event e = { "sign in", NULL, NULL, NULL, "ok", detail };
	if (!rc)
		rc = pv_serving_audit_as(v, x->user, &e);
	if (!rc && pv_store_commit(v->store) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (rc)
		(void)pv_store_rollback(v->store);
	return rc;
}

pv_rc pv_session_create(pv_vault *v, const char *user, const char *password, size_t len,
			uint32_t ttl_seconds, char **token)
{
	pv_rc rc = pv_serving_need(v);
	if (rc)
		return rc;
	*token = NULL;
	if (!user || !*user || !password)
		return pv_fail(v, PV_ERR_USAGE, "a user name and a password are required");
	if (ttl_seconds == 0 || ttl_seconds > MAX_TTL)
		return pv_fail(v, PV_ERR_USAGE, "a session lasts from 1 to %d seconds", MAX_TTL);
	if (v->session_id[0])
		return pv_fail(v, PV_ERR_USAGE, "the handle is in a session: leave it first");
	if ((rc = pv_user_check_password(v, user, password, len)) != PV_OK ||
	    (rc = pv_user_row_verify(v, user)) != PV_OK)
		return rc;
	char id[65], *text = pv_serving_new_token(v, PV_SERVING_SESSION_HASH, id);
	if (!text)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	int64_t now = (int64_t)time(NULL);
	struct pv_stored_session x = { id, user, now, now + ttl_seconds, 0, NULL, 0 };
	if ((rc = store_new_session(v, &x)) != PV_OK) {
		pv_wipe(text, 2 * TOKEN_BYTES);
		free(text);
		return rc;
	}
	*token = text;
	return pv_ok(v);
}

/* Why a token is refused, for its audit entry (never said to the caller). */
struct refusal {
	const char *user;
	const char *why;
};

/* Read the session of token (hex) in a read transaction and check it: PV_OK with its
 * user's checked row applied to the handle, else why into r. */
static pv_rc session_load(pv_vault *v, const char *token, struct refusal *r, char *id,
			  struct pv_stored_session *x, char *user, size_t ulen)
{
	uint8_t *raw = pv_serving_token_buffer(v);
	if (!raw)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	int parsed = token && strlen(token) == 2 * TOKEN_BYTES &&
		     pv_unhex(raw, TOKEN_BYTES, token, 2 * TOKEN_BYTES) == 0;
	int made = parsed && pv_serving_token_hash(v, PV_SERVING_SESSION_HASH, raw, TOKEN_BYTES,
						   id) == 0;
	pv_wipe(raw, TOKEN_BYTES);
	if (!made) {
		r->why = parsed ? "out of memory" : "malformed token";
		return PV_ERR_DENIED;
	}
	int got = pv_store_session_get(v->store, id, x);
	if (got < 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (got > 0) {
		r->why = "unknown or signed-out token";
		return PV_ERR_DENIED;
	}
	snprintf(user, ulen, "%s", x->user);
	r->user = user;
	r->why = !tag_holds(v, x)		   ? "session row altered outside pivault"
		 : x->expires <= (int64_t)time(NULL) ? "expired token"
						   : NULL;
	return r->why ? PV_ERR_DENIED : PV_OK;
}

/* The accepted use, audited under the user; the handle acts for nobody if it cannot be. */
static pv_rc session_used(pv_vault *v, const char *id)
{
	char detail[64];
	snprintf(detail, sizeof detail, "token used (session %.8s)", id);
	struct pv_audit_event e = { "session", NULL, NULL, NULL, "ok", detail };
	pv_rc rc = pv_audit_append_showing_nothing(v, &e);
	if (rc)
		(void)pv_serving_act_for_nobody(v);
	return rc;
}

pv_rc pv_session_enter(pv_vault *v, const char *token)
{
	pv_rc rc = pv_serving_need(v);
	if (rc)
		return rc;
	if (v->session_id[0])
		return pv_fail(v, PV_ERR_USAGE, "the handle is in a session already");
	/* another node's shreds since this handle's last request: their new bucket keys
	 * taken in before anything is read (the handle stays open for many requests). A node
	 * that cannot take them in still serves the rest: a read of a bucket concerned says
	 * that this node's keyring lags, a change of keys refuses, pivault doctor names it. */
	(void)pv_keyring_keep_up(v);
	v->bulk_limit = 0; /* read again when needed: another handle or node may have set it */
	if (pv_api_token_shaped(token))
		return pv_api_token_enter(v, token);
	if (pv_store_read_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	struct refusal r = { NULL, NULL };
	struct pv_stored_session x;
	char id[65], user[72];
	rc = session_load(v, token, &r, id, &x, user, sizeof user);
	uint64_t shown = rc ? 0 : x.clear_shown;
	if (!rc)
		rc = pv_serving_take_user(v, user, &r.why);
	if (pv_store_commit(v->store) != 0) {
		if (!rc)
			rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
		(void)pv_store_rollback(v->store);
	}
	if (rc) {
		struct pv_serving_refusal no = { "session", r.user, UNKNOWN_TOKEN, r.why,
						 INVALID_TOKEN };
		return pv_serving_refused(v, rc, &no);
	}
	snprintf(v->session_id, sizeof v->session_id, "%s", id);
	v->clear_shown = v->session_clear_base = shown;
	rc = session_used(v, id);
	return rc ? rc : pv_ok(v);
}

/* Add more to the count of customers the session was shown in clear, on its row (in a
 * write transaction, so that concurrent requests of one session all count), unless the
 * stored count plus more passes cap (0: no cap). *count: the stored count after (as it
 * was, when not added); *added: whether it was (1 as well when the row is gone: signed
 * out meanwhile, nothing to count). */
static pv_rc add_clear(pv_vault *v, uint64_t more, uint64_t cap, uint64_t *count, int *added)
{
	*added = 1;
	*count = v->clear_shown;
	if (pv_store_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	struct pv_stored_session x;
	int got = pv_store_session_get(v->store, v->session_id, &x);
	pv_rc rc = got < 0 ? pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store)) : PV_OK;
	char user[72];
	if (!rc && got == 0 && tag_holds(v, &x)) {
		*added = !cap || x.clear_shown + more <= cap;
		*count = x.clear_shown + (*added ? more : 0);
		snprintf(user, sizeof user, "%s", x.user);
		struct pv_stored_session y = { v->session_id, user, x.created, x.expires, *count,
					       NULL, 0 };
		if (*added)
			rc = session_put(v, &y);
	}
	if (!rc && pv_store_commit(v->store) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (rc)
		(void)pv_store_rollback(v->store);
	return rc;
}

/* What the session was shown in clear since it was entered, added to its row. */
static pv_rc count_clear(pv_vault *v)
{
	uint64_t count;
	int added;
	return add_clear(v, v->clear_shown - v->session_clear_base, 0, &count, &added);
}

pv_rc pv_session_take_clear(pv_vault *v, uint64_t n, uint64_t cap, int *taken)
{
	uint64_t count = 0;
	pv_rc rc = PV_OK;
	if (v->clear_shown > v->session_clear_base) /* shown under an approval: counted first */
		rc = v->api_token[0] ? pv_api_token_count_clear(v) : count_clear(v);
	if (!rc)
		rc = v->api_token[0] ? pv_api_token_add_clear(v, n, cap, &count, taken)
				     : add_clear(v, n, cap, &count, taken);
	if (!rc)
		v->clear_shown = v->session_clear_base = count;
	return rc;
}

pv_rc pv_session_leave(pv_vault *v)
{
	pv_rc rc = pv_serving_need(v);
	if (rc || !v->session_id[0])
		return rc;
	if (v->clear_shown > v->session_clear_base)
		rc = v->api_token[0] ? pv_api_token_count_clear(v) : count_clear(v);
	pv_rc left = pv_serving_act_for_nobody(v);
	return rc ? rc : left ? left : pv_ok(v);
}

pv_rc pv_session_end(pv_vault *v)
{
	pv_rc rc = pv_serving_need(v);
	if (rc)
		return rc;
	if (!v->session_id[0])
		return pv_fail(v, PV_ERR_USAGE, "no session to sign out of: enter it first");
	if (v->api_token[0])
		return pv_fail(v, PV_ERR_USAGE, "an API token is not signed out of: revoke it "
			       "(pv_api_token_revoke)");
	if (pv_store_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	char detail[48];
	snprintf(detail, sizeof detail, "session %.8s", v->session_id);
	if (pv_store_session_delete(v->store, v->session_id) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	struct pv_audit_event e = { "sign out", NULL, NULL, NULL, "ok", detail };
	rc = pv_audit_commit(v, &e, rc);
	pv_rc left = pv_serving_act_for_nobody(v);
	return rc ? rc : left ? left : pv_ok(v);
}

pv_rc pv_session_enrol(pv_vault *v, const char *user, const char *half_a, const char *half_b,
		       const char *password, size_t len)
{
	pv_rc rc = pv_serving_need(v);
	if (rc)
		return rc;
	if (v->session_id[0])
		return pv_fail(v, PV_ERR_USAGE, "the handle is in a session: leave it first");
	if (!user || !*user || !half_a || !half_b || !*half_a || !*half_b)
		return pv_fail(v, PV_ERR_USAGE, "a user name and both halves of the enrolment code "
			       "are required");
	rc = pv_user_enrol_served(v, user, half_a, half_b, password, len);
	return rc ? rc : pv_ok(v);
}

pv_rc pv_session_passwd(pv_vault *v, const char *old_password, size_t old_len,
			const char *password, size_t len)
{
	pv_rc rc = pv_serving_need(v);
	if (rc)
		return rc;
	if (!v->session_id[0])
		return pv_fail(v, PV_ERR_USAGE, "no session: a password is changed in its user's "
			       "session");
	if (v->api_token[0])
		return pv_audit_failure(v, pv_fail(v, PV_ERR_DENIED, "an API token does not change "
						   "its user's password: sign in"),
					"user passwd", NULL, NULL);
	rc = pv_user_passwd_served(v, old_password, old_password ? old_len : 0, password, len);
	return rc ? rc : pv_ok(v);
}
