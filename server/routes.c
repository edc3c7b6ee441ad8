/* SPDX-License-Identifier: Apache-2.0 */
/* routes.c: the API's routes as one table (method, path, whether a session is needed,
 * handler) and their handlers: each reads its request, calls the library on a server's
 * handle (inside the caller's session where one is needed) and prints JSON. No rule is
 * decided here: who may read what, masking, the audit entries are the library's. */
#include "server.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One call of a route. */
struct call {
	struct pvs_routes_ctx *ctx;
	const struct pvs_request *q;
	struct pvs_reply *out;
	pv_vault *v;       /* a server's handle (in the session, for session routes) */
	const char *param; /* the path's {id}, or NULL */
};

/* What a reader of customers asks: ?role=R&purpose=P&clear=true. */
static pv_access access_of(const struct call *c)
{
	const char *clear = c->q->arg(c->q->conn, "clear");
	pv_access who = { c->q->arg(c->q->conn, "role"), c->q->arg(c->q->conn, "purpose"),
			  clear && strcmp(clear, "true") == 0 ? PV_WANT_CLEAR : PV_WANT_MASKED };
	return who;
}

static const char *view_name(pv_field_view view)
{
	return view == PV_SHOWN_CLEAR ? "clear" : "masked";
}

/* A record as JSON: {"id", "fields": {name: {"value", "shown"}}, "consents": {p: bool}};
 * hidden fields are left out. */
static json_t *record_json(const pv_record *r)
{
	json_t *fields = json_object(), *consents = json_object();
	for (size_t i = 0; i < pv_record_field_count(r); i++) {
		pv_field_view view = pv_record_field_view(r, i);
		if (view != PV_SHOWN_HIDDEN)
			json_object_set_new(fields, pv_record_field_name(r, i),
					    json_pack("{s:s,s:s}", "value",
						      pv_record_field_value(r, i), "shown",
						      view_name(view)));
	}
	for (size_t i = 0; i < pv_record_consent_count(r); i++)
		json_object_set_new(consents, pv_record_consent_purpose(r, i),
				    json_boolean(pv_record_consent_granted(r, i)));
	return json_pack("{s:s,s:o,s:o}", "id", pv_record_id(r), "fields", fields, "consents",
			 consents);
}

/* ---- Rate limits (limits.c counts; the library audits) ---- */

/* Apply verdict d of limit: the refusals it says are due audited (a failure to audit is
 * the reply); 1 when the request is refused (429 with Retry-After made), 0 when it may go
 * on. */
static int refused_by(struct call *c, struct pvs_verdict d, pv_rate_limit limit,
		      const char *user, const char *what)
{
	if (d.to_audit) {
		pv_rc rc = pv_audit_rate_limited(c->v, user, limit, c->q->client_class, d.to_audit);
		if (rc) {
			pvs_fail(c->out, c->v, rc);
			return 1;
		}
	}
	if (d.allowed)
		return 0;
	char msg[128];
	snprintf(msg, sizeof msg, "too many %s: try again after the seconds Retry-After gives",
		 what);
	pvs_error(c->out, 429, "rate_limited", msg);
	c->out->retry_after = d.retry_after;
	return 1;
}

/* The sign-in limits, per client address and then per user name (an attempt refused by
 * the first is not counted against the second); before any password is checked. */
static int sign_in_refused(struct call *c, const char *user)
{
	const char *what = "sign-in attempts";
	struct pvs_verdict d = pvs_limit_take(c->ctx->limits, PV_LIMIT_SIGN_IN_ADDRESS,
					      c->q->client, c->q->client_len);
	if (refused_by(c, d, PV_LIMIT_SIGN_IN_ADDRESS, user, what))
		return 1;
	d = pvs_limit_take(c->ctx->limits, PV_LIMIT_SIGN_IN_USER, user, strlen(user));
	return refused_by(c, d, PV_LIMIT_SIGN_IN_USER, user, what);
}

/* The read limit of the session's user. */
static int reads_refused(struct call *c)
{
	const char *user = pv_vault_user(c->v); /* the session's */
	struct pvs_verdict d = pvs_limit_take(c->ctx->limits, PV_LIMIT_READS, user, strlen(user));
	return refused_by(c, d, PV_LIMIT_READS, user, "reads");
}

/* ---- Sessions ---- */

/* The body {"user": string, "password": string}; the password is wiped after use. */
static void sign_in(struct call *c)
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

static void sign_out(struct call *c)
{
	pv_rc rc = pv_session_end(c->v);
	if (rc) {
		pvs_fail(c->out, c->v, rc);
		return;
	}
	c->out->status = 204;
}

/* ---- Customers ---- */

static void get_customer(struct call *c)
{
	pv_access who = access_of(c);
	pv_record *r = NULL;
	pv_rc rc = pv_get(c->v, &who, c->param, &r);
	if (rc)
		pvs_fail(c->out, c->v, rc);
	else
		pvs_json(c->out, 200, record_json(r));
	pv_record_free(r);
}

/* The one query argument that names a field (not role, purpose or clear). */
struct field_arg {
	const char *name, *value;
	int count;
};

static void pick_field(void *ctx, const char *k, const char *v)
{
	struct field_arg *f = ctx;
	if (strcmp(k, "role") == 0 || strcmp(k, "purpose") == 0 || strcmp(k, "clear") == 0)
		return;
	f->count++;
	f->name = k;
	f->value = v ? v : "";
}

static int found_record(void *ctx, const pv_record *r)
{
	return json_array_append_new(ctx, record_json(r)) != 0;
}

static int found_id(void *ctx, const char *id)
{
	return json_array_append_new(ctx, json_string(id)) != 0;
}

/* Find through the blind index, as `pivault find --FIELD VALUE`: the records, or only
 * their ids for a role that may find but not read. */
static void find_customers(struct call *c)
{
	struct field_arg f = { NULL, NULL, 0 };
	c->q->each_arg(c->q->conn, pick_field, &f);
	if (f.count != 1) {
		pvs_error(c->out, 400, "bad_request", "give exactly one indexed field to find by "
			  "(for example ?phone=...)");
		return;
	}
	pv_access who = access_of(c);
	json_t *list = json_array();
	pv_rc rc = pv_find_records(c->v, &who, f.name, f.value, found_record, list);
	const char *key = "customers";
	if (rc == PV_ERR_FIND_ONLY) {
		json_array_clear(list);
		rc = pv_find(c->v, &who, f.name, f.value, found_id, list);
		key = "ids";
	}
	if (rc) {
		json_decref(list);
		pvs_fail(c->out, c->v, rc);
		return;
	}
	pvs_json(c->out, 200, json_pack("{s:o}", key, list));
}

/* ---- API tokens for scripts ---- */

/* The role the caller manages tokens as: ?role=R (NULL: the user's first). */
static pv_access manager_of(const struct call *c)
{
	pv_access who = { c->q->arg(c->q->conn, "role"), NULL, PV_WANT_MASKED };
	return who;
}

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
static void token_made(struct call *c, char *id, char *token, json_int_t ttl)
{
	pvs_json(c->out, 201, json_pack("{s:s,s:s,s:s,s:I}", "id", id, "token", token,
					 "token_type", "Bearer", "expires_in", ttl));
	sodium_memzero(token, strlen(token));
	pv_free(token);
	pv_free(id);
}

/* The body {"user", "role", "purposes": [...], "expires_in": seconds}. */
static void create_token(struct call *c)
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
		pv_access who = manager_of(c);
		char *id = NULL, *token = NULL;
		pv_rc rc = pv_api_token_create(c->v, &who, json_string_value(user),
					       json_string_value(role), purposes,
					       (uint32_t)json_integer_value(ttl), &id, &token);
		if (rc)
			pvs_fail(c->out, c->v, rc);
		else
			token_made(c, id, token, json_integer_value(ttl));
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

static void list_tokens(struct call *c)
{
	pv_access who = manager_of(c);
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

static void revoke_token(struct call *c)
{
	pv_access who = manager_of(c);
	pv_rc rc = pv_api_token_revoke(c->v, &who, c->param);
	if (rc) {
		pvs_fail(c->out, c->v, rc);
		return;
	}
	c->out->status = 204;
}

/* ---- Tokens for other systems ---- */

/* The body as a JSON object, or NULL after a 400. */
static json_t *body_object(struct call *c)
{
	json_error_t jerr;
	json_t *body = json_loadb(c->q->body, c->q->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!body || !json_is_object(body)) {
		json_decref(body);
		pvs_error(c->out, 400, "malformed_json", "the body is not a JSON object");
		return NULL;
	}
	return body;
}

/* Member key of body: NULL when absent, "" (with *bad set) when not a string. */
static const char *member(json_t *body, const char *key, int *bad)
{
	json_t *m = json_object_get(body, key);
	if (m && !json_is_string(m))
		*bad = 1;
	return json_is_string(m) ? json_string_value(m) : NULL;
}

/* The body {"customer", "field", "purpose", "role"?, "mode"?: "random"|"deterministic",
 * "shape"?: "opaque"|"like-field"}: {"token"}. */
static void tokenize(struct call *c)
{
	json_t *body = body_object(c);
	if (!body)
		return;
	int bad = 0;
	const char *id = member(body, "customer", &bad), *field = member(body, "field", &bad);
	const char *mode = member(body, "mode", &bad), *shape = member(body, "shape", &bad);
	pv_access who = { member(body, "role", &bad), member(body, "purpose", &bad),
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
static void detokenize(struct call *c)
{
	json_t *body = body_object(c);
	if (!body)
		return;
	int bad = 0;
	const char *token = member(body, "token", &bad);
	pv_access who = { member(body, "role", &bad), member(body, "purpose", &bad),
			  PV_WANT_CLEAR };
	if (bad || !token || !who.purpose) {
		pvs_error(c->out, 400, "bad_request", "the body needs \"token\" and \"purpose\" "
			  "(strings)");
		json_decref(body);
		return;
	}
	char *value = NULL;
	pv_rc rc = pv_detokenize(c->v, &who, token, &value);
	if (rc)
		pvs_fail(c->out, c->v, rc);
	else
		pvs_json(c->out, 200, json_pack("{s:s}", "value", value));
	if (value)
		sodium_memzero(value, strlen(value));
	pv_free(value);
	json_decref(body);
}

/* ---- Audit, health, the document ---- */

static void audit_verify(struct call *c)
{
	pv_access who = { c->q->arg(c->q->conn, "role"), NULL, PV_WANT_MASKED };
	char *report = NULL;
	pv_rc rc = pv_audit_verify(c->v, &who, NULL, &report);
	if (rc == PV_OK || (rc == PV_ERR_CORRUPT && report))
		pvs_json(c->out, 200, json_pack("{s:b,s:s}", "verified", rc == PV_OK, "report",
						 report));
	else
		pvs_fail(c->out, c->v, rc);
	pv_free(report);
}

static void healthz(struct call *c)
{
	pvs_json(c->out, 200, json_pack("{s:s}", "status", "ok"));
}

static void readyz(struct call *c)
{
	int ready = c->ctx->ready;
	pvs_json(c->out, ready ? 200 : 503, json_pack("{s:s}", "status",
							ready ? "ready" : "stopping"));
}

static void openapi(struct call *c)
{
	c->out->status = 200;
	c->out->type = "application/json";
	c->out->body = strdup(pvs_openapi_json);
	if (!c->out->body)
		pvs_error(c->out, 500, "out_of_memory", "out of memory");
}

/* ---- The table ---- */

enum needs { NO_HANDLE, HANDLE, SESSION };

static const struct route {
	const char *method, *path;
	enum needs needs;
	void (*run)(struct call *c);
	int reads; /* under the read limit of the session's user */
} routes[] = {
	{ "POST", "/v1/sessions", HANDLE, sign_in, 0 },
	{ "DELETE", "/v1/sessions/current", SESSION, sign_out, 0 },
	{ "GET", "/v1/customers", SESSION, find_customers, 1 },
	{ "GET", "/v1/customers/{id}", SESSION, get_customer, 1 },
	{ "GET", "/v1/audit/verify", SESSION, audit_verify, 0 },
	{ "POST", "/v1/tokens", SESSION, create_token, 0 },
	{ "GET", "/v1/tokens", SESSION, list_tokens, 0 },
	{ "DELETE", "/v1/tokens/{id}", SESSION, revoke_token, 0 },
	/* tokens for other systems */
	{ "POST", "/v1/tokenize", SESSION, tokenize, 0 },
	{ "POST", "/v1/detokenize", SESSION, detokenize, 1 },
	{ "GET", "/v1/openapi.json", NO_HANDLE, openapi, 0 },
	{ "GET", "/healthz", NO_HANDLE, healthz, 0 },
	{ "GET", "/readyz", NO_HANDLE, readyz, 0 },
};
#define NROUTES (sizeof routes / sizeof *routes)

size_t pvs_route_count(void)
{
	return NROUTES;
}

void pvs_route_at(size_t i, const char **method, const char **path)
{
	*method = routes[i].method;
	*path = routes[i].path;
}

/* 1 when path matches pattern, whose "{name}" segments match one non-empty segment (the
 * last such into *param). */
static int path_matches(const char *pattern, const char *path, const char **param,
			char *buf, size_t buflen)
{
	while (*pattern && *path) {
		if (*pattern == '{') {
			size_t n = strcspn(path, "/");
			if (n == 0 || n >= buflen)
				return 0;
			memcpy(buf, path, n);
			buf[n] = '\0';
			*param = buf;
			path += n;
			pattern += strcspn(pattern, "}") + 1;
		} else if (*pattern++ != *path++) {
			return 0;
		}
	}
	return !*pattern && !*path;
}

/* Run r in the session of the request's bearer token (refused: 401, audited). */
static void in_session(struct call *c, const struct route *r)
{
	pv_rc rc = pv_session_enter(c->v, c->q->bearer ? c->q->bearer : "");
	if (rc) {
		pvs_error(c->out, rc == PV_ERR_DENIED ? 401 : 503,
			  rc == PV_ERR_DENIED ? "unauthenticated" : "store_unavailable",
			  pv_errmsg(c->v));
		return;
	}
	if (!(r->reads && reads_refused(c)))
		r->run(c);
	rc = pv_session_leave(c->v);
	if (rc) { /* what was shown could not be counted: the reply is withheld */
		free(c->out->body);
		pvs_fail(c->out, c->v, rc);
	}
}

static void run_route(struct call *c, const struct route *r)
{
	if (r->needs == NO_HANDLE) {
		r->run(c);
		return;
	}
	c->v = pvs_handle_take(c->ctx->handles);
	if (r->needs == SESSION)
		in_session(c, r);
	else
		r->run(c);
	pvs_handle_give(c->ctx->handles, c->v);
}

void pvs_route(struct pvs_routes_ctx *ctx, const struct pvs_request *q, struct pvs_reply *out)
{
	char buf[256];
	int path_known = 0;
	for (size_t i = 0; i < NROUTES; i++) {
		struct call c = { ctx, q, out, NULL, NULL };
		if (!path_matches(routes[i].path, q->path, &c.param, buf, sizeof buf))
			continue;
		path_known = 1;
		if (strcmp(routes[i].method, q->method) == 0) {
			run_route(&c, &routes[i]);
			return;
		}
	}
	if (path_known)
		pvs_error(out, 405, "method_not_allowed", "this path does not answer that method");
	else
		pvs_error(out, 404, "no_route", "no such route");
}
