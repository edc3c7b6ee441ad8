/* SPDX-License-Identifier: Apache-2.0 */
/* routes_sessions.c: signing in with a password (under the sign-in rate limits, checked
 * before any password is), who the session acts for, and signing out. */
#include "route.h"

#include <jansson.h>
#include <sodium.h>
#include <string.h>

/* The sign-in limits, per client address and then per user name (an attempt refused by
 * the first is not counted against the second); before any password is checked. */
static int sign_in_refused(struct pvs_call *c, const char *user)
{
	const char *what = "sign-in attempts";
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
	} else if (!sign_in_refused(c, json_string_value(user))) {
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

static const struct pvs_route routes[] = {
	{ "POST", "/v1/sessions", PVS_HANDLE, sign_in, 0 },
	{ "GET", "/v1/sessions/current", PVS_SESSION, who_am_i, 0 },
	{ "DELETE", "/v1/sessions/current", PVS_SESSION, sign_out, 0 },
};
PVS_ROUTE_TABLE(pvs_routes_sessions, routes);
