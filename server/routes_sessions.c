/* SPDX-License-Identifier: Apache-2.0 */
/* routes_sessions.c: signing in with a password (under the sign-in rate limits, checked
 * before any password is), who the session acts for, and signing out; and the other
 * credential routes under the same limits: enrolling with the two halves of an enrolment
 * code (no session), and changing one's own password in one's session. */
#include "route.h"

#include <jansson.h>
#include <sodium.h>
#include <string.h>

/* The sign-in limits, per client address and then per user name (an attempt refused by
 * the first is not counted against the second); before any password is checked. what
 * names the attempts in the refusal ("sign-in attempts"). */
static int refused_as_sign_in(struct pvs_call *c, const char *user, const char *what)
{
	struct pvs_verdict d = pvs_limit_take(c->ctx->limits, PV_LIMIT_SIGN_IN_ADDRESS,
					      c->q->client, c->q->client_len);
	if (pvs_refused_by(c, d, PV_LIMIT_SIGN_IN_ADDRESS, user, what))
		return 1;
	d = pvs_limit_take(c->ctx->limits, PV_LIMIT_SIGN_IN_USER, user, strlen(user));
	return pvs_refused_by(c, d, PV_LIMIT_SIGN_IN_USER, user, what);
}

/* The body {"user": string, "password": string}; the password is wiped after use. */
static void sign_in(struct pvs_call *c)
{
	json_error_t jerr;
	json_t *body = json_loadb(c->q->body, c->q->len, JSON_REJECT_DUPLICATES, &jerr);
	json_t *user = json_object_get(body, "user"), *pw = json_object_get(body, "password");
	if (!body || !json_is_object(body)) {
		pvs_error(c->out, 400, "malformed_json", "the body is not a JSON object");
	} else if (!json_is_string(user) || !json_is_string(pw)) {
		pvs_error(c->out, 400, "bad_request", "the body needs \"user\" and \"password\", "
			  "both strings");
	} else if (!refused_as_sign_in(c, json_string_value(user), "sign-in attempts")) {
		char *token = NULL;
		pv_rc rc = pv_session_create(c->v, json_string_value(user), json_string_value(pw),
					     json_string_length(pw), c->ctx->session_seconds, &token);
		if (rc)
			pvs_fail(c->out, c->v, rc);
		else
			pvs_json(c->out, 201, json_pack("{s:s,s:s,s:i}", "token", token,
							 "token_type", "Bearer", "expires_in",
							 (json_int_t)c->ctx->session_seconds));
		if (token)
			sodium_memzero(token, strlen(token));
		pv_free(token);
	}
	if (json_is_string(pw))
		sodium_memzero((char *)json_string_value(pw), json_string_length(pw));
	json_decref(body);
}

static void sign_out(struct pvs_call *c)
{
	pv_rc rc = pv_session_end(c->v);
	if (rc) {
		pvs_fail(c->out, c->v, rc);
		return;
	}
	c->out->status = 204;
}

/* Who the session acts for: {"user": name, "roles": [role, ...]}. */
static void who_am_i(struct pvs_call *c)
{
	const char *roles = pv_vault_user_roles(c->v);
	json_t *list = json_array();
	for (const char *p = roles ? roles : ""; *p;) {
		size_t n = strcspn(p, ",");
		if (n)
			json_array_append_new(list, json_stringn(p, n));
		p += n + (p[n] == ',');
	}
	pvs_json(c->out, 200, json_pack("{s:s,s:o}", "user", pv_vault_user(c->v), "roles", list));
}

/* Wipe the string members of body named in keys (secrets), then free body. */
static void wipe_body(json_t *body, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_t *m = json_object_get(body, keys[i]);
		if (json_is_string(m))
			sodium_memzero((char *)json_string_value(m), json_string_length(m));
	}
	json_decref(body);
}

/* POST /v1/users/{name}/enrol, no bearer: {"half_a", "half_b", "password"}; 204, then the
 * user signs in. */
static void enrol(struct pvs_call *c)
{
	static const char *const secrets[] = { "half_a", "half_b", "password" };
	json_t *body = pvs_body_object(c);
	if (!body)
		return;
	int bad = 0;
	const char *a = pvs_member(body, secrets[0], &bad), *b = pvs_member(body, secrets[1], &bad),
		   *pw = pvs_member(body, secrets[2], &bad);
	if (bad || !a || !b || !pw)
		pvs_error(c->out, 400, "bad_request", "the body needs \"half_a\", \"half_b\" and "
			  "\"password\", all strings");
	else if (!refused_as_sign_in(c, c->param, "enrolment attempts"))
		pvs_done(c, pv_session_enrol(c->v, c->param, a, b, pw,
					     json_string_length(json_object_get(body, secrets[2]))));
	wipe_body(body, secrets, 3);
}

/* POST /v1/sessions/current/password: {"old_password", "password"}; 204, the session
 * kept and the user's others ended. */
static void change_password(struct pvs_call *c)
{
	static const char *const secrets[] = { "old_password", "password" };
	json_t *body = pvs_body_object(c);
	if (!body)
		return;
	int bad = 0;
	const char *old = pvs_member(body, secrets[0], &bad), *pw = pvs_member(body, secrets[1],
										  &bad);
	if (bad || !old || !pw)
		pvs_error(c->out, 400, "bad_request", "the body needs \"old_password\" and "
			  "\"password\", both strings");
	else if (!refused_as_sign_in(c, pv_vault_user(c->v), "password attempts"))
		pvs_done(c, pv_session_passwd(c->v, old, json_string_length(json_object_get(
							    body, secrets[0])), pw,
					      json_string_length(json_object_get(body, secrets[1]))));
	wipe_body(body, secrets, 2);
}

static const struct pvs_route routes[] = {
	{ "POST", "/v1/sessions", PVS_HANDLE, sign_in, 0 },
	{ "GET", "/v1/sessions/current", PVS_SESSION, who_am_i, 0 },
	{ "DELETE", "/v1/sessions/current", PVS_SESSION, sign_out, 0 },
	{ "POST", "/v1/sessions/current/password", PVS_SESSION, change_password, 0 },
	{ "POST", "/v1/users/{name}/enrol", PVS_HANDLE, enrol, 0 },
};
PVS_ROUTE_TABLE(pvs_routes_sessions, routes);
