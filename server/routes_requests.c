/* SPDX-License-Identifier: Apache-2.0 */
/* routes_requests.c: four-eyes requests (审批) over the API: the queue with the exact
 * arguments each request binds, one request, a second person's approval or rejection; and
 * what every guarded route shares: an operation asked for answers 202 with the request the
 * library recorded, and runs later under that request once another user approved it. The
 * library decides who may list, approve and run (the requester never approves their own,
 * an approval is used once): nothing is decided here. */
#include "route.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- A request as JSON ---- */

static json_t *decision_json(const pv_request_info *r)
{
	return json_pack("{s:s,s:I}", "by", r->approver, "at", (json_int_t)r->decided_at);
}

/* The command a request kept to run it again: the CLI's words (a JSON array), another front
 * end's text (a string), or [] when none. */
static json_t *command_json(const pv_request_info *r)
{
	json_error_t jerr;
	json_t *words = *r->command ? json_loads(r->command, 0, &jerr) : NULL;
	if (json_is_array(words))
		return words;
	json_decref(words); /* another front end's text (the API's "METHOD path") */
	return *r->command ? json_string(r->command) : json_array();
}

static json_t *request_json(const pv_request_info *r)
{
	json_error_t jerr;
	json_t *args = json_loads(r->args, JSON_DECODE_ANY, &jerr);
	int rejected = strcmp(r->state, "rejected") == 0, decided = *r->approver != '\0';
	json_t *approvals = json_array();
	if (decided && !rejected)
		json_array_append_new(approvals, decision_json(r));
	return json_pack("{s:s,s:s,s:o,s:o,s:s,s:I,s:I,s:s,s:s,s:o,s:o,s:i}", "id", r->id, "op",
			 r->op, "args", args ? args : json_object(), "command", command_json(r),
			 "requested_by", r->requester,
			 "created", (json_int_t)r->created_at, "expires", (json_int_t)r->expires,
			 "state", r->state, "reason", r->reason, "approvals", approvals,
			 "rejection", rejected && decided ? decision_json(r) : json_null(),
			 "needed", strcmp(r->state, "pending") == 0 ? 1 : 0);
}

/* ---- Listing ---- */

struct listing {
	json_t *list;
	const char *only_id; /* one request, or NULL */
	int pending_only;
};

static int listed(void *ctx, const pv_request_info *r)
{
	struct listing *l = ctx;
	if ((l->only_id && strcmp(r->id, l->only_id) != 0) ||
	    (l->pending_only && strcmp(r->state, "pending") != 0))
		return 0;
	return json_array_append_new(l->list, request_json(r)) != 0;
}

/* The requests who may see (only_id: that one), into *list; PV_OK or the library's. */
static pv_rc requests_of(struct pvs_call *c, const pv_access *who, const char *only_id,
			 int pending_only, json_t **list)
{
	struct listing l = { json_array(), only_id, pending_only };
	pv_rc rc = pv_request_list(c->v, who, listed, &l);
	if (rc)
		json_decref(l.list);
	*list = rc ? NULL : l.list;
	return rc;
}

/* ?state=pending (the default) or all. */
static void list_requests(struct pvs_call *c)
{
	const char *state = pvs_arg(c, "state");
	if (state && strcmp(state, "pending") && strcmp(state, "all")) {
		pvs_error(c->out, 400, "bad_request", "state: pending or all");
		return;
	}
	pv_access who = pvs_role_of(c);
	json_t *list;
	pv_rc rc = requests_of(c, &who, NULL, !state || !strcmp(state, "pending"), &list);
	if (rc)
		pvs_fail(c->out, c->v, rc);
	else
		pvs_json(c->out, 200, json_pack("{s:o}", "requests", list));
}

/* {"request": {...}} of request id as who sees it, with status; 404 when not seen. */
static void answer_request(struct pvs_call *c, const pv_access *who, const char *id,
			   unsigned status, json_t *extra)
{
	json_t *list;
	pv_rc rc = requests_of(c, who, id, 0, &list);
	if (rc) {
		pvs_fail(c->out, c->v, rc);
	} else if (json_array_size(list) == 0) {
		pvs_error(c->out, 404, "not_found", "no such request (or not one of yours)");
	} else {
		json_t *reply = json_pack("{s:O}", "request", json_array_get(list, 0));
		if (extra)
			json_object_update(reply, extra);
		pvs_json(c->out, status, reply);
	}
	json_decref(list);
}

static void get_request(struct pvs_call *c)
{
	pv_access who = pvs_role_of(c);
	answer_request(c, &who, c->params[0], 200, NULL);
}

/* ---- Deciding ---- */

/* The body {"role"?, "reason"?} (empty: {}), as who and reason; NULL after a 400. */
static json_t *decision_body(struct pvs_call *c, pv_access *who, const char **reason)
{
	json_t *body = c->q->len ? pvs_body_object(c) : json_object();
	if (!body)
		return NULL;
	int bad = 0;
	const char *role = pvs_member(body, "role", &bad);
	*reason = pvs_member(body, "reason", &bad);
	if (bad) {
		pvs_error(c->out, 400, "bad_request", "\"role\" and \"reason\" are strings");
		json_decref(body);
		return NULL;
	}
	*who = pvs_role_of(c);
	if (role)
		who->role = role;
	return body;
}

static void decide(struct pvs_call *c, pv_decision decision)
{
	pv_access who;
	const char *reason;
	json_t *body = decision_body(c, &who, &reason);
	if (!body)
		return;
	char *half = NULL; /* approving "user add"/"user reset": the approver's half */
	pv_rc rc = pv_request_decide_why(c->v, &who, c->params[0], decision, reason, &half);
	if (rc) {
		pvs_fail(c->out, c->v, rc);
	} else {
		json_t *extra = half ? json_pack("{s:s}", "enrol_half", half) : NULL;
		answer_request(c, &who, c->params[0], 200, extra);
		json_decref(extra);
	}
	if (half) {
		sodium_memzero(half, strlen(half));
		pv_free(half);
	}
	json_decref(body);
}

static void approve_request(struct pvs_call *c)
{
	decide(c, PV_APPROVE);
}

static void reject_request(struct pvs_call *c)
{
	decide(c, PV_REJECT);
}

/* ---- What guarded routes share ---- */

/* What a guarded call names: "request", "reason" and "request_expires_in" from the JSON
 * object body, or (body NULL) from the query. 0, or -1 after a 400 reply. */
struct guard_args {
	const char *request, *reason;
	unsigned ttl;
};

static int ttl_of(const char *text, unsigned *ttl)
{
	char *end;
	unsigned long n = strtoul(text, &end, 10);
	if (!*text || *end || n < 1 || n > 30 * 86400)
		return -1;
	*ttl = (unsigned)n;
	return 0;
}

static int guard_args_of(struct pvs_call *c, void *body, struct guard_args *g)
{
	int bad = 0;
	g->ttl = 0;
	if (!body) {
		const char *ttl = pvs_arg(c, "request_expires_in");
		g->request = pvs_arg(c, "request");
		g->reason = pvs_arg(c, "reason");
		bad = ttl && ttl_of(ttl, &g->ttl) != 0;
	} else {
		g->request = pvs_member(body, "request", &bad);
		g->reason = pvs_member(body, "reason", &bad);
		json_t *ttl = json_object_get(body, "request_expires_in");
		if (ttl && (!json_is_integer(ttl) || json_integer_value(ttl) < 1 ||
			    json_integer_value(ttl) > 30 * 86400))
			bad = 1;
		else if (ttl)
			g->ttl = (unsigned)json_integer_value(ttl);
	}
	if (bad)
		pvs_error(c->out, 400, "bad_request", "\"request\" and \"reason\" are strings, "
			  "\"request_expires_in\" seconds up to 30 days");
	return bad ? -1 : 0;
}

int pvs_guard_begin_as(struct pvs_call *c, void *body, const char *command,
		       enum pvs_guard *mode)
{
	struct guard_args g;
	if (guard_args_of(c, body, &g) != 0)
		return -1;
	*mode = g.request ? PVS_RUN_APPROVED : PVS_ASK;
	char line[160];
	if (!command) {
		snprintf(line, sizeof line, "%s %s", c->q->method, c->q->path);
		command = line;
	}
	pv_rc rc = g.request ? pv_vault_use_request(c->v, g.request)
			     : pv_request_begin(c->v, g.reason, g.ttl, command);
	if (rc) {
		pvs_fail(c->out, c->v, rc);
		return -1;
	}
	return 0;
}

int pvs_guard_begin(struct pvs_call *c, void *body, enum pvs_guard *mode)
{
	return pvs_guard_begin_as(c, body, NULL, mode);
}

int pvs_clear_guard_begin(struct pvs_call *c, void *body, const char *command,
			  enum pvs_guard *mode, int *guarded)
{
	*mode = PVS_RUN_APPROVED;
	*guarded = body ? json_is_true(json_object_get(body, "ask")) ||
				  json_object_get(body, "request") != NULL
			: pvs_arg(c, "ask") || pvs_arg(c, "request");
	return *guarded ? pvs_guard_begin_as(c, body, command, mode) : 0;
}

void pvs_clear_guard_failed(struct pvs_call *c, enum pvs_guard mode, int guarded, pv_rc rc)
{
	if (!guarded || !pvs_guard_end(c, mode, rc))
		pvs_fail(c->out, c->v, rc);
}

int pvs_guard_end(struct pvs_call *c, enum pvs_guard mode, pv_rc rc)
{
	if (mode != PVS_ASK || rc != PV_REQUESTED)
		return 0; /* the operation ran (or failed): the caller answers */
	char *id = NULL;
	pv_access who = pvs_role_of(c);
	rc = pv_request_submit(c->v, &id);
	if (rc)
		pvs_fail(c->out, c->v, rc);
	else
		answer_request(c, &who, id, 202, NULL);
	pv_free(id);
	return 1;
}

static const struct pvs_route routes[] = {
	{ "GET", "/v1/requests", PVS_SESSION, list_requests, 0 },
	{ "GET", "/v1/requests/{id}", PVS_SESSION, get_request, 0 },
	{ "POST", "/v1/requests/{id}/approve", PVS_SESSION, approve_request, 0 },
	{ "POST", "/v1/requests/{id}/reject", PVS_SESSION, reject_request, 0 },
};
PVS_ROUTE_TABLE(pvs_routes_requests, routes);
