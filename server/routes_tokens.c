/* SPDX-License-Identifier: Apache-2.0 */
/* routes_tokens.c: API tokens for scripts (made, listed, revoked) and tokens for other
 * systems (tokenize, detokenize). */
#include "route.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* The body's "purposes" (an array of strings) comma-separated into buf; 0, or -1. */
static int purposes_text(json_t *list, char *buf, size_t n)
{
	size_t i, used = 0;
	json_t *p;
	buf[0] = '\0';
	if (!json_is_array(list) || json_array_size(list) == 0)
		return -1;
	json_array_foreach(list, i, p) {
		if (!json_is_string(p))
			return -1;
		int w = snprintf(buf + used, n - used, "%s%s", i ? "," : "", json_string_value(p));
		if (w < 0 || (size_t)w >= n - used)
			return -1;
		used += (size_t)w;
	}
	return 0;
}

/* The made token as the reply; the secret wiped once printed. */
static void token_made(struct pvs_call *c, char *id, char *token, json_int_t ttl)
{
	pvs_json(c->out, 201, json_pack("{s:s,s:s,s:s,s:I}", "id", id, "token", token,
					 "token_type", "Bearer", "expires_in", ttl));
	sodium_memzero(token, strlen(token));
	pv_free(token);
	pv_free(id);
}

/* A token for another user than the caller is asked for (202 {"request"}) and made under
 * the approved request the body names ("request"); one's own is made at once. */
static void make_token(struct pvs_call *c, json_t *body, const char *user, const char *role,
		       const char *purposes, json_int_t ttl)
{
	enum pvs_guard mode = PVS_RUN_APPROVED;
	int guarded = json_object_get(body, "request") || pv_api_token_needs_approval(c->v, user);
	if (guarded && pvs_guard_begin(c, body, &mode) != 0)
		return;
	pv_access who = pvs_role_of(c);
	char *id = NULL, *token = NULL;
	pv_rc rc = pv_api_token_create(c->v, &who, user, role, purposes, (uint32_t)ttl, &id,
				       &token);
	if (guarded && pvs_guard_end(c, mode, rc))
		return;
	if (rc)
		pvs_fail(c->out, c->v, rc);
	else
		token_made(c, id, token, ttl);
}

/* The body {"user", "role", "purposes": [...], "expires_in": seconds, "request"?,
 * "reason"?, "request_expires_in"?}. */
static void create_token(struct pvs_call *c)
{
	json_error_t jerr;
	json_t *body = json_loadb(c->q->body, c->q->len, JSON_REJECT_DUPLICATES, &jerr);
	json_t *user = json_object_get(body, "user"), *role = json_object_get(body, "role");
	json_t *ttl = json_object_get(body, "expires_in");
	char purposes[512];
	if (!body || !json_is_object(body)) {
		pvs_error(c->out, 400, "malformed_json", "the body is not a JSON object");
	} else if (!json_is_string(user) || !json_is_string(role) || !json_is_integer(ttl) ||
		   purposes_text(json_object_get(body, "purposes"), purposes, sizeof purposes)) {
		pvs_error(c->out, 400, "bad_request", "the body needs \"user\" and \"role\" "
			  "(strings), \"purposes\" (a non-empty array of strings) and "
			  "\"expires_in\" (seconds)");
	} else if (json_integer_value(ttl) < 1 ||
		   json_integer_value(ttl) > (json_int_t)PV_API_TOKEN_MAX_SECONDS) {
		pvs_error(c->out, 400, "bad_request", "expires_in: from 1 second to 365 days");
	} else {
		make_token(c, body, json_string_value(user), json_string_value(role), purposes,
			   json_integer_value(ttl));
	}
	json_decref(body);
}

static int listed_token(void *ctx, const pv_api_token_info *t)
{
	json_t *purposes = json_array();
	char copy[512], *save = NULL;
	snprintf(copy, sizeof copy, "%s", t->purposes);
	for (char *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save))
		json_array_append_new(purposes, json_string(p));
	return json_array_append_new(ctx, json_pack("{s:s,s:s,s:s,s:o,s:s,s:s,s:I,s:I,s:I}",
						    "id", t->id, "user", t->user, "role",
						    t->role, "purposes", purposes, "created_by",
						    t->created_by, "state", t->state, "created",
						    (json_int_t)t->created, "expires",
						    (json_int_t)t->expires, "revoked",
						    (json_int_t)t->revoked)) != 0;
}

static void list_tokens(struct pvs_call *c)
{
	pv_access who = pvs_role_of(c);
	json_t *list = json_array();
	pv_rc rc = pv_api_token_list(c->v, &who, c->q->arg(c->q->conn, "user"), listed_token,
				     list);
	if (rc) {
		json_decref(list);
		pvs_fail(c->out, c->v, rc);
		return;
	}
	pvs_json(c->out, 200, json_pack("{s:o}", "tokens", list));
}

static void revoke_token(struct pvs_call *c)
{
	pv_access who = pvs_role_of(c);
	pv_rc rc = pv_api_token_revoke(c->v, &who, c->param);
	if (rc) {
		pvs_fail(c->out, c->v, rc);
		return;
	}
	c->out->status = 204;
}

/* The body {"customer", "field", "purpose", "role"?, "mode"?: "random"|"deterministic",
 * "shape"?: "opaque"|"like-field"}: {"token"}. */
static void tokenize(struct pvs_call *c)
{
	json_t *body = pvs_body_object(c);
	if (!body)
		return;
	int bad = 0;
	const char *id = pvs_member(body, "customer", &bad), *field = pvs_member(body, "field", &bad);
	const char *mode = pvs_member(body, "mode", &bad), *shape = pvs_member(body, "shape", &bad);
	pv_access who = { pvs_member(body, "role", &bad), pvs_member(body, "purpose", &bad),
			  PV_WANT_MASKED };
	if (bad || !id || !field || !who.purpose ||
	    (mode && strcmp(mode, "random") && strcmp(mode, "deterministic")) ||
	    (shape && strcmp(shape, "opaque") && strcmp(shape, "like-field"))) {
		pvs_error(c->out, 400, "bad_request", "the body needs \"customer\", \"field\" and "
			  "\"purpose\" (strings); \"mode\" is random or deterministic, \"shape\" "
			  "opaque or like-field");
		json_decref(body);
		return;
	}
	char *token = NULL;
	pv_rc rc = pv_tokenize(c->v, &who, id, field,
			       mode && !strcmp(mode, "deterministic") ? PV_TOKEN_DETERMINISTIC
								      : PV_TOKEN_RANDOM,
			       shape && !strcmp(shape, "like-field") ? PV_TOKEN_LIKE_FIELD
								     : PV_TOKEN_OPAQUE, &token);
	if (rc)
		pvs_fail(c->out, c->v, rc);
	else
		pvs_json(c->out, 200, json_pack("{s:s}", "token", token));
	pv_free(token);
	json_decref(body);
}

/* The body {"token", "purpose", "role"?}: {"value"}; a dead token is 410 token_dead. */
static void detokenize(struct pvs_call *c)
{
	json_t *body = pvs_body_object(c);
	if (!body)
		return;
	int bad = 0;
	const char *token = pvs_member(body, "token", &bad);
	pv_access who = { pvs_member(body, "role", &bad), pvs_member(body, "purpose", &bad),
			  PV_WANT_CLEAR };
	if (bad || !token || !who.purpose) {
		pvs_error(c->out, 400, "bad_request", "the body needs \"token\" and \"purpose\" "
			  "(strings)");
		json_decref(body);
		return;
	}
	enum pvs_guard mode;
	int guarded;
	if (pvs_clear_guard_begin(c, body, NULL, &mode, &guarded) != 0) {
		json_decref(body);
		return;
	}
	char *value = NULL;
	pv_rc rc = pv_detokenize(c->v, &who, token, &value);
	if (rc)
		pvs_clear_guard_failed(c, mode, guarded, rc);
	else
		pvs_json(c->out, 200, json_pack("{s:s}", "value", value));
	if (value)
		sodium_memzero(value, strlen(value));
	pv_free(value);
	json_decref(body);
}

static const struct pvs_route routes[] = {
	{ "POST", "/v1/tokens", PVS_SESSION, create_token, 0 },
	{ "GET", "/v1/tokens", PVS_SESSION, list_tokens, 0 },
	{ "DELETE", "/v1/tokens/{id}", PVS_SESSION, revoke_token, 0 },
	{ "POST", "/v1/tokenize", PVS_SESSION, tokenize, PVS_PARKS },
	{ "POST", "/v1/detokenize", PVS_SESSION, detokenize, PVS_READS | PVS_PARKS },
};
PVS_ROUTE_TABLE(pvs_routes_tokens, routes);
