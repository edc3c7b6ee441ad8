/* SPDX-License-Identifier: Apache-2.0 */
/* api_tokens.c: API tokens for scripts: sessions of another lifetime and scope (see
 * pivault.h). A token is "pvt_" and 32 random bytes in hex, shown once; the store keeps
 * a keyed hash of it, its public id (the hash's first 16 hex characters), its user, role,
 * purposes, maker, times and count of clear reads, under an integrity tag a DBA cannot
 * recompute: a token minted, moved, extended, widened or un-revoked with sqlite3 is
 * refused. A revoked token's id also goes into the setting "api_tokens_revoked", which
 * authz_mac.c seals with the rest of the authorisation state, so a row copied back from
 * before its revocation is refused too. Entering a token (from pv_session_enter) leaves
 * the handle acting as its user with the token's one role and its purposes only
 * (policy.c refuses any other purpose); leaving counts its clear reads (sessions.c). */
#include "api_tokens.h"
#include "approvals.h"

#include "authz_mac.h"
#include "dates.h"
#include "policy.h"
#include "serving.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PREFIX_LEN (sizeof PV_API_TOKEN_PREFIX - 1)
#define SECRET_BYTES 32
#define TAG_BYTES 32
#define REVOKED_SETTING "api_tokens_revoked"
#define UNKNOWN_TOKEN "(unknown API token)"

static const char INVALID_TOKEN[] = "the API token is not valid (unknown, expired or revoked)";

int pv_api_token_shaped(const char *token)
{
	return token && strncmp(token, PV_API_TOKEN_PREFIX, PREFIX_LEN) == 0;
}

/* ---- The row's integrity tag ---- */

struct enc {
	uint8_t buf[1024];
	size_t n;
	int over;
};

/* Each field length-prefixed, so no two rows encode alike. */
static void enc_put(struct enc *e, const void *p, size_t len)
{
	if (e->over || e->n + 8 + len > sizeof e->buf) {
		e->over = 1;
		return;
	}
	for (int i = 0; i < 8; i++)
		e->buf[e->n++] = (uint8_t)((uint64_t)len >> (8 * i));
	memcpy(e->buf + e->n, p, len);
	e->n += len;
}

static void enc_text(struct enc *e, const char *s)
{
	enc_put(e, s ? s : "", s ? strlen(s) : 0);
}

static void enc_u64(struct enc *e, uint64_t x)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(x >> (8 * i));
	enc_put(e, b, sizeof b);
}

/* Keyed BLAKE2b over vault id | hash | id | user | role | purposes | maker | created |
 * expires | revoked | clear_shown. -1 when a field is too long or out of memory. */
static int row_tag(pv_vault *v, const struct pv_stored_api_token *x, uint8_t tag[TAG_BYTES])
{
	struct enc *e = calloc(1, sizeof *e);
	if (!e)
		return -1;
	enc_put(e, v->vault_id, PV_VAULT_ID_BYTES);
	const char *texts[] = { x->hash, x->id, x->user, x->role, x->purposes, x->created_by };
	for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
		enc_text(e, texts[i]);
	enc_u64(e, (uint64_t)x->created);
	enc_u64(e, (uint64_t)x->expires);
	enc_u64(e, (uint64_t)x->revoked);
	enc_u64(e, x->clear_shown);
	int rc = e->over ? -1 : pv_serving_tag(v, PV_SERVING_API_TAG, e->buf, e->n, tag);
	free(e);
	return rc;
}

static int tag_holds(pv_vault *v, const struct pv_stored_api_token *x)
{
	uint8_t tag[TAG_BYTES];
	return x->tag_len == TAG_BYTES && row_tag(v, x, tag) == 0 &&
	       pv_ct_compare(tag, x->tag, TAG_BYTES) == 0;
}

/* Write x with its tag (inside the caller's transaction). */
static pv_rc token_put(pv_vault *v, struct pv_stored_api_token *x)
{
	uint8_t tag[TAG_BYTES];
	if (row_tag(v, x, tag) != 0)
		return pv_fail(v, PV_ERR_USAGE, "the token's user, role or purposes are too long");
	x->tag = tag;
	x->tag_len = sizeof tag;
	if (pv_store_api_token_put(v->store, x) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return PV_OK;
}

/* A copy of a stored row that outlives the store's next call. */
struct token_copy {
	char hash[65], id[PV_API_TOKEN_ID_CHARS + 1], user[72], role[72], by[72];
	char purposes[512];
	struct pv_stored_api_token x;
};

/* Copy x into c; 0, or -1 when a field is longer than any pivault writes. */
static int token_copy(struct token_copy *c, const struct pv_stored_api_token *x)
{
	struct {
		char *to;
		size_t n;
		const char *from;
	} f[] = { { c->hash, sizeof c->hash, x->hash },	  { c->id, sizeof c->id, x->id },
		  { c->user, sizeof c->user, x->user },	  { c->role, sizeof c->role, x->role },
		  { c->by, sizeof c->by, x->created_by }, { c->purposes, sizeof c->purposes,
							    x->purposes } };
	for (size_t i = 0; i < sizeof f / sizeof *f; i++)
		if (!f[i].from || strlen(f[i].from) >= f[i].n)
			return -1;
		else
			strcpy(f[i].to, f[i].from);
	c->x = *x;
	c->x.hash = c->hash;
	c->x.id = c->id;
	c->x.user = c->user;
	c->x.role = c->role;
	c->x.created_by = c->by;
	c->x.purposes = c->purposes;
	c->x.tag = NULL;
	c->x.tag_len = 0;
	return 0;
}

/* ---- The revoked ids, under the vault's seal: "id expires\n" lines ---- */

/* 1 when id is listed, 0 when not, -1 on failure (message on the store). */
static int revoked_listed(pv_vault *v, const char *id)
{
	uint8_t *val = NULL;
	size_t len = 0;
	int got = pv_authz_meta_get(v, REVOKED_SETTING, &val, &len);
	if (got != 0)
		return got > 0 ? 0 : -1;
	size_t n = strlen(id);
	int found = 0;
	for (size_t at = 0; at + n < len && !found; at++) {
		found = (at == 0 || val[at - 1] == '\n') && memcmp(val + at, id, n) == 0 &&
			val[at + n] == ' ';
	}
	free(val);
	return found;
}

/* Add id (expiring at expires) to the list, dropping ids whose tokens expired before
 * now (they are refused as expired anyway). Inside the caller's transaction. */
static pv_rc revoked_add(pv_vault *v, const char *id, int64_t expires, int64_t now)
{
	uint8_t *val = NULL;
	size_t len = 0;
	int got = pv_authz_meta_get(v, REVOKED_SETTING, &val, &len);
	if (got < 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	char *out = malloc(len + 64), *line = NULL, *save = NULL;
	char *text = malloc(len + 1);
	size_t n = 0;
	if (!out || !text) {
		free(out), free(text), free(val);
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	}
	if (len)
		memcpy(text, val, len);
	text[len] = '\0';
	free(val);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *sp = strchr(line, ' ');
		if (sp && strtoll(sp + 1, NULL, 10) >= now)
			n += (size_t)sprintf(out + n, "%s\n", line);
	}
	n += (size_t)sprintf(out + n, "%s %lld\n", id, (long long)expires);
	free(text);
	int put = pv_authz_meta_put(v, REVOKED_SETTING, out, n);
	free(out);
	return put ? pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store)) : PV_OK;
}

/* ---- Making a token ---- */

/* 1 if role is in the comma-separated list. */
static int listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; n && (p = strstr(p, name)) != NULL; p += n)
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return 1;
	return 0;
}

/* purposes (comma-separated) checked against what role r may use, each once, into out. */
static pv_rc purposes_check(pv_vault *v, int r, const char *purposes, char *out, size_t n)
{
	const struct pv_schema *s = v->schema;
	char *copy = strdup(purposes), *save = NULL;
	if (!copy)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	pv_rc rc = PV_OK;
	out[0] = '\0';
	for (char *p = strtok_r(copy, ",", &save); p && !rc; p = strtok_r(NULL, ",", &save)) {
		int i = pv_schema_purpose_index(s, p);
		if (i < 0)
			rc = pv_fail(v, PV_ERR_USAGE, "purposes: '%s' is not a declared purpose", p);
		else if (!(s->roles[r].purposes & (1ULL << i)))
			rc = pv_fail(v, PV_ERR_USAGE, "purposes: role '%s' may not use '%s'",
				     s->roles[r].name, p);
		else if (!listed(out, p) && strlen(out) + strlen(p) + 2 > n)
			rc = pv_fail(v, PV_ERR_USAGE, "purposes: too many");
		else if (!listed(out, p))
			snprintf(out + strlen(out), n - strlen(out), "%s%s", out[0] ? "," : "", p);
	}
	free(copy);
	if (!rc && !out[0])
		rc = pv_fail(v, PV_ERR_USAGE, "purposes: at least one declared purpose is required");
	return rc;
}

/* The token's owner and role: user exists, is enabled and holds role. */
static pv_rc owner_check(pv_vault *v, const char *user, const char *role, int *r)
{
	if (!user || !*user || !role || !*role)
		return pv_fail(v, PV_ERR_USAGE, "a user and a role are required");
	if ((*r = pv_schema_role_index(v->schema, role)) < 0)
		return pv_fail(v, PV_ERR_USAGE, "role: '%s' is not a role of the schema", role);
	struct pv_stored_user u;
	int got = pv_authz_user_get(v, user, &u);
	if (got < 0)
		return pv_fail(v, v->authz_tampered ? PV_ERR_CORRUPT : PV_ERR_STORE, "%s",
			       pv_store_errmsg(v->store));
	if (got > 0)
		return pv_fail(v, PV_ERR_NOT_FOUND, "user: no user %s", user);
	if (u.disabled)
		return pv_fail(v, PV_ERR_USAGE, "user: %s is disabled", user);
	if (!listed(u.roles, role))
		return pv_fail(v, PV_ERR_USAGE, "role: user %s does not hold role '%s'", user, role);
	return PV_OK;
}

/* Token management: permission 'users', and never from inside a token. */
static pv_rc may_manage(pv_vault *v, const pv_access *who, const char *op)
{
	if (!v)
		return pv_fail(NULL, PV_ERR_USAGE, "a vault handle is required");
	int role;
	pv_rc rc = v->api_token[0]
			   ? pv_fail(v, PV_ERR_DENIED, "an API token cannot make, list or revoke "
				     "API tokens: sign in as a user")
			   : pv_policy_authorize(v, who, PV_OP_USERS, &role);
	return rc ? pv_audit_failure(v, rc, op, NULL, NULL) : PV_OK;
}

struct made {
	const char *user, *role, *purposes;
	uint32_t ttl;
	char *secret; /* hex of the 32 bytes */
	char hash[65], id[PV_API_TOKEN_ID_CHARS + 1];
};

int pv_api_token_needs_approval(const pv_vault *v, const char *user)
{
	return v && user && !pv_approval_waived(v) && strcmp(user, v->principal) != 0;
}

/* A token for another user is a credential issued in their name: it takes two people,
 * bound to its user, role, purposes and life. */
static pv_rc four_eyes(pv_vault *v, const struct made *m, const char *purposes)
{
	if (!pv_api_token_needs_approval(v, m->user))
		return PV_OK; /* one's own (asked for, it is refused as needing no approval) */
	struct pv_params p;
	pv_params_init(&p);
	pv_params_add(&p, "user", m->user);
	pv_params_add(&p, "role", m->role);
	pv_params_add(&p, "purposes", purposes);
	pv_params_addf(&p, "expires_in", "%lu", (unsigned long)m->ttl);
	pv_rc rc = pv_approval_consume(v, "api token create", &p);
	pv_params_free(&p);
	return rc;
}

static pv_rc do_create(pv_vault *v, struct made *m)
{
	int r = -1;
	char purposes[512], detail[800], until[32];
	pv_rc rc = owner_check(v, m->user, m->role, &r);
	if (!rc)
		rc = purposes_check(v, r, m->purposes, purposes, sizeof purposes);
	if (!rc)
		rc = four_eyes(v, m, purposes);
	if (rc)
		return rc;
	if (!(m->secret = pv_serving_new_token(v, PV_SERVING_API_HASH, m->hash)))
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	snprintf(m->id, sizeof m->id, "%.*s", PV_API_TOKEN_ID_CHARS, m->hash);
	int64_t now = (int64_t)time(NULL);
	struct pv_stored_api_token x = { m->hash, m->id, m->user, m->role, purposes,
					 v->principal, now, now + m->ttl, 0, 0, NULL, 0 };
	if ((rc = token_put(v, &x)) != PV_OK)
		return rc;
	pv_time_iso(until, sizeof until, (time_t)x.expires);
	snprintf(detail, sizeof detail, "api token %s for %s as %s for %s until %s", m->id,
		 m->user, m->role, purposes, until);
	struct pv_audit_event e = { "api token create", NULL, NULL, NULL, "ok", detail };
	return pv_audit_append(v, &e);
}

/* "pvt_" and the secret, malloc'd; the secret wiped and freed. */
static char *token_text(char *secret)
{
	size_t n = strlen(secret);
	char *t = malloc(PREFIX_LEN + n + 1);
	if (t)
		snprintf(t, PREFIX_LEN + n + 1, "%s%s", PV_API_TOKEN_PREFIX, secret);
	pv_wipe(secret, n);
	free(secret);
	return t;
}

pv_rc pv_api_token_create(pv_vault *v, const pv_access *who, const char *user,
			  const char *role, const char *purposes, uint32_t ttl_seconds,
			  char **id, char **token)
{
	if (id)
		*id = NULL;
	if (token)
		*token = NULL;
	pv_rc rc = may_manage(v, who, "api token create");
	if (rc)
		return rc;
	if (!id || !token || !purposes)
		rc = pv_fail(v, PV_ERR_USAGE, "purposes and places for the id and token are "
			     "required");
	else if (ttl_seconds == 0 || ttl_seconds > PV_API_TOKEN_MAX_SECONDS)
		rc = pv_fail(v, PV_ERR_USAGE, "expiry: a token lasts from 1 second to 365 days");
	if (rc)
		return pv_audit_failure(v, rc, "api token create", NULL, NULL);
	struct made m = { user, role, purposes, ttl_seconds, NULL, "", "" };
	if (pv_store_begin(v->store) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	else
		rc = do_create(v, &m);
	if (!rc && pv_store_commit(v->store) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (rc) {
		(void)pv_store_rollback(v->store);
		if (m.secret)
			pv_wipe(m.secret, strlen(m.secret));
		free(m.secret);
		return pv_audit_failure(v, rc, "api token create", NULL, NULL);
	}
	*token = token_text(m.secret);
	*id = strdup(m.id);
	if (!*token || !*id) {
		free(*token), free(*id);
		*token = *id = NULL;
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	}
	return pv_ok(v);
}

/* ---- Listing and revoking ---- */

/* What a stored row is now: "altered", "revoked", "expired" or "active". -1: failure. */
static int token_state(pv_vault *v, const struct pv_stored_api_token *x, int64_t now,
		       const char **state)
{
	int holds = tag_holds(v, x);
	int listed_revoked = holds ? revoked_listed(v, x->id) : 0;
	if (listed_revoked < 0)
		return -1;
	*state = !holds				   ? "altered"
		 : x->revoked || listed_revoked ? "revoked"
		 : x->expires <= now		   ? "expired"
						   : "active";
	return 0;
}

struct listing {
	pv_vault *v;
	pv_api_token_fn fn;
	void *ctx;
	int64_t now;
	size_t count;
	int stopped;
};

static int list_row(void *p, const struct pv_stored_api_token *x)
{
	struct listing *l = p;
	struct token_copy c;
	const char *state = "altered";
	if (token_copy(&c, x) != 0) /* too long for pivault to have written it */
		c.x = *x;
	else if (token_state(l->v, x, l->now, &state) != 0)
		return -1;
	pv_api_token_info t = { c.x.id, c.x.user, c.x.role, c.x.purposes, c.x.created_by, state,
				c.x.created, c.x.expires, c.x.revoked };
	l->count++;
	if (l->fn(l->ctx, &t) != 0)
		l->stopped = 1;
	return l->stopped;
}

pv_rc pv_api_token_list(pv_vault *v, const pv_access *who, const char *user,
			pv_api_token_fn fn, void *ctx)
{
	pv_rc rc = may_manage(v, who, "api token list");
	if (rc)
		return rc;
	if (!fn)
		return pv_audit_failure(v, pv_fail(v, PV_ERR_USAGE, "a callback is required"),
					"api token list", NULL, NULL);
	struct listing l = { v, fn, ctx, (int64_t)time(NULL), 0, 0 };
	if (pv_store_read_begin(v->store) != 0)
		return pv_audit_failure(v, pv_fail(v, PV_ERR_STORE, "%s",
						   pv_store_errmsg(v->store)),
					"api token list", NULL, NULL);
	int st = pv_store_api_token_scan(v->store, user, list_row, &l);
	if (st < 0 && !l.stopped)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	(void)pv_store_commit(v->store);
	if (rc)
		return pv_audit_failure(v, rc, "api token list", NULL, NULL);
	char detail[120];
	snprintf(detail, sizeof detail, "%zu tokens of %s", l.count, user ? user : "every user");
	struct pv_audit_event e = { "api token list", NULL, NULL, NULL, "ok", detail };
	rc = pv_audit_append(v, &e);
	return rc ? rc : pv_ok(v);
}

static pv_rc do_revoke(pv_vault *v, const char *id, char *detail, size_t n)
{
	struct pv_stored_api_token x;
	struct token_copy c;
	int got = pv_store_api_token_get_by_id(v->store, id, &x);
	if (got < 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (got > 0)
		return pv_fail(v, PV_ERR_NOT_FOUND, "id: no API token %s", id);
	int holds = tag_holds(v, &x);
	if (token_copy(&c, &x) != 0)
		return pv_fail(v, PV_ERR_CORRUPT, "API token %s: its row was altered outside "
			       "pivault", id);
	snprintf(detail, n, "api token %s of %s%s", c.id, c.user,
		 holds ? "" : " (row altered outside pivault)");
	int64_t now = (int64_t)time(NULL);
	pv_rc rc = PV_OK;
	if (holds && !c.x.revoked) { /* an altered row is not tagged anew, only listed */
		c.x.revoked = now;
		rc = token_put(v, &c.x);
	}
	int already = rc ? 0 : revoked_listed(v, c.id);
	if (already < 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (!rc && !already)
		rc = revoked_add(v, c.id, holds ? c.x.expires : INT64_MAX, now);
	return rc;
}

pv_rc pv_api_token_revoke(pv_vault *v, const pv_access *who, const char *id)
{
	pv_rc rc = may_manage(v, who, "api token revoke");
	if (rc)
		return rc;
	if (!id || strlen(id) != PV_API_TOKEN_ID_CHARS || strspn(id, "0123456789abcdef") !=
	    PV_API_TOKEN_ID_CHARS)
		return pv_audit_failure(v, pv_fail(v, PV_ERR_USAGE, "id: 16 lowercase hexadecimal "
						   "characters are required"),
					"api token revoke", NULL, NULL);
	char detail[160] = "";
	if (pv_store_begin(v->store) != 0)
		return pv_audit_failure(v, pv_fail(v, PV_ERR_STORE, "%s",
						   pv_store_errmsg(v->store)),
					"api token revoke", NULL, NULL);
	rc = do_revoke(v, id, detail, sizeof detail);
	struct pv_audit_event e = { "api token revoke", NULL, NULL, NULL, "ok", detail };
	rc = pv_audit_commit(v, &e, rc);
	if (rc)
		return pv_audit_failure(v, rc, "api token revoke", NULL, NULL);
	return pv_ok(v);
}

/* ---- Entering a token (pv_session_enter) ---- */

/* The keyed hash of token ("pvt_" and 64 hex), into hash; why set when malformed. */
static pv_rc token_hash(pv_vault *v, const char *token, char hash[65], const char **why)
{
	uint8_t *raw = pv_serving_token_buffer(v);
	if (!raw)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	const char *hex = token + PREFIX_LEN;
	int parsed = strlen(token) == PV_API_TOKEN_CHARS &&
		     pv_unhex(raw, SECRET_BYTES, hex, 2 * SECRET_BYTES) == 0;
	int made = parsed && pv_serving_token_hash(v, PV_SERVING_API_HASH, raw, SECRET_BYTES,
						   hash) == 0;
	pv_wipe(raw, SECRET_BYTES);
	if (made)
		return PV_OK;
	if (parsed)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	*why = "malformed token";
	return PV_ERR_DENIED;
}

/* Why the stored row c may not be used now (NULL: it may). -1 in *failed on failure. */
static const char *row_refusal(pv_vault *v, const struct token_copy *c,
			       const struct pv_stored_api_token *x, int *failed)
{
	if (!tag_holds(v, x))
		return "API token row altered outside pivault";
	int listed_revoked = revoked_listed(v, c->id);
	if (listed_revoked < 0) {
		*failed = 1;
		return NULL;
	}
	if (c->x.revoked || listed_revoked)
		return "revoked token";
	if (c->x.expires <= (int64_t)time(NULL))
		return "expired token";
	return NULL;
}

/* The handle takes the token's scope: its one role (still its user's) and purposes. */
static pv_rc take_scope(pv_vault *v, const struct token_copy *c, const char **why)
{
	if (!listed(v->user_roles, c->role)) {
		*why = "the token's role is no longer its user's";
		return PV_ERR_DENIED;
	}
	char *role = strdup(c->role), *names = strdup(c->purposes), *save = NULL;
	if (!role || !names) {
		free(role), free(names);
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	}
	free(v->user_roles);
	v->user_roles = role;
	uint64_t mask = 0; /* a purpose the schema no longer declares gives nothing */
	for (char *p = strtok_r(names, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		int i = pv_schema_purpose_index(v->schema, p);
		if (i >= 0 && i < 64)
			mask |= 1ULL << i;
	}
	free(names);
	v->api_token_purposes = mask;
	snprintf(v->api_token, sizeof v->api_token, "%s", c->id);
	return PV_OK;
}

/* In a read transaction: the row of hash checked, its user and scope taken. */
static pv_rc token_load(pv_vault *v, const char *hash, struct token_copy *c,
			struct pv_serving_refusal *r)
{
	struct pv_stored_api_token x;
	int got = pv_store_api_token_get(v->store, hash, &x);
	if (got < 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (got > 0 || token_copy(c, &x) != 0) {
		r->why = got > 0 ? "unknown token" : "API token row altered outside pivault";
		return PV_ERR_DENIED;
	}
	r->user = c->user;
	int failed = 0;
	r->why = row_refusal(v, c, &x, &failed);
	if (failed)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (r->why)
		return PV_ERR_DENIED;
	pv_rc rc = pv_serving_take_user(v, c->user, &r->why);
	return rc ? rc : take_scope(v, c, &r->why);
}

pv_rc pv_api_token_enter(pv_vault *v, const char *token)
{
	struct pv_serving_refusal r = { "api token", NULL, UNKNOWN_TOKEN, NULL, INVALID_TOKEN };
	struct token_copy *c = calloc(1, sizeof *c);
	char hash[65];
	if (!c)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	pv_rc rc = token_hash(v, token, hash, &r.why);
	if (!rc && pv_store_read_begin(v->store) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	else if (!rc) {
		rc = token_load(v, hash, c, &r);
		if (pv_store_commit(v->store) != 0) {
			if (!rc)
				rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
			(void)pv_store_rollback(v->store);
		}
	}
	if (rc) {
		rc = pv_serving_refused(v, rc, &r);
		free(c);
		return rc;
	}
	snprintf(v->session_id, sizeof v->session_id, "%s", hash);
	v->clear_shown = v->session_clear_base = c->x.clear_shown;
	char detail[64];
	snprintf(detail, sizeof detail, "token used (api token %s)", c->id);
	free(c);
	struct pv_audit_event e = { "api token", NULL, NULL, NULL, "ok", detail };
	if ((rc = pv_audit_append_showing_nothing(v, &e)) != PV_OK)
		(void)pv_serving_act_for_nobody(v);
	return rc ? rc : pv_ok(v);
}

pv_rc pv_api_token_add_clear(pv_vault *v, uint64_t more, uint64_t cap, uint64_t *count,
			     int *added)
{
	*added = 1;
	*count = v->clear_shown;
	if (pv_store_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	struct pv_stored_api_token x;
	struct token_copy c;
	int got = pv_store_api_token_get(v->store, v->session_id, &x);
	pv_rc rc = got < 0 ? pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store)) : PV_OK;
	if (!rc && got == 0 && tag_holds(v, &x) && token_copy(&c, &x) == 0) {
		*added = !cap || c.x.clear_shown + more <= cap;
		*count = c.x.clear_shown + (*added ? more : 0);
		c.x.clear_shown = *count;
		if (*added)
			rc = token_put(v, &c.x);
	}
	if (!rc && pv_store_commit(v->store) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (rc)
		(void)pv_store_rollback(v->store);
	return rc;
}

pv_rc pv_api_token_count_clear(pv_vault *v)
{
	uint64_t count;
	int added;
	return pv_api_token_add_clear(v, v->clear_shown - v->session_clear_base, 0, &count,
				      &added);
}
