/* SPDX-License-Identifier: Apache-2.0 */
/* routes_retention.c: legal holds (placed, released, listed, as `pivault hold`) and
 * retention (the plan of what is due, undetermined values included, and carrying it out,
 * as `pivault retention plan|apply`). Carrying it out needs four eyes as in the CLI: asked
 * for (202 with the request) unless the body names an approved request to run under. */
#include "route.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- Holds ---- */

/* Customers a hold names in one call at most. */
#define HOLD_IDS_MAX 1000

/* The body's "customers" (a non-empty array of strings) into ids (borrowed); the count,
 * or 0 when it is not such an array. */
static size_t ids_of(json_t *list, const char **ids, size_t max)
{
	size_t i;
	json_t *id;
	if (!json_is_array(list) || json_array_size(list) > max)
		return 0;
	json_array_foreach(list, i, id) {
		if (!json_is_string(id))
			return 0;
		ids[i] = json_string_value(id);
	}
	return json_array_size(list);
}

/* POST /v1/holds {"customers": [...], "reason", "role"?} (placed) and POST
 * /v1/holds/release {"customers": [...], "reason"?, "role"?}: 204. */
static void change_holds(struct pvs_call *c, int add)
{
	json_t *body = pvs_body_object(c);
	if (!body)
		return;
	const char *ids[HOLD_IDS_MAX];
	int bad = 0;
	const char *reason = pvs_member(body, "reason", &bad);
	const char *role = pvs_member(body, "role", &bad);
	size_t n = ids_of(json_object_get(body, "customers"), ids, HOLD_IDS_MAX);
	if (bad || n == 0) {
		pvs_error(c->out, 400, "bad_request", "the body needs \"customers\" (an array of 1 "
			  "to 1000 ids); \"reason\" and \"role\" are strings");
	} else {
		pv_access who = { role ? role : pvs_arg(c, "role"), NULL, PV_WANT_MASKED };
		pvs_done(c, add ? pv_hold_add(c->v, &who, ids, n, reason)
				: pv_hold_release(c->v, &who, ids, n, reason));
	}
	json_decref(body);
}

static void add_holds(struct pvs_call *c)
{
	change_holds(c, 1);
}

static void release_holds(struct pvs_call *c)
{
	change_holds(c, 0);
}

static int hold_json(void *ctx, const pv_hold_info *h)
{
	return json_array_append_new(ctx, json_pack("{s:s,s:s,s:s,s:o,s:o,s:s}", "customer",
						    h->customer, "reason", h->reason, "placed_by",
						    h->placed_by, "since", pvs_time_json(h->since),
						    "released", pvs_time_json(h->released),
						    "released_by", h->released_by)) != 0;
}

/* GET /v1/holds?role=R: {"holds": [...]}, current and released (released null while in
 * force). */
static void list_holds(struct pvs_call *c)
{
	pv_access who = pvs_role_of(c);
	json_t *holds = json_array();
	pv_rc rc = pv_hold_list(c->v, &who, hold_json, holds);
	if (rc) {
		json_decref(holds);
		pvs_fail(c->out, c->v, rc);
		return;
	}
	pvs_json(c->out, 200, json_pack("{s:o}", "holds", holds));
}

/* ---- Retention ---- */

static int item_json(void *ctx, const pv_retention_item *it)
{
	return json_array_append_new(ctx, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "id", it->id,
						    "action", it->action, "fields", it->fields,
						    "rule", it->rule, "due", it->due, "held",
						    it->held, "missing", it->missing)) != 0;
}

/* GET /v1/retention/plan?as_of=YYYY-MM-DD&role=R: {"items": [...], "summary": {...}};
 * ids and field names only. */
static void retention_plan(struct pvs_call *c)
{
	pv_access who = pvs_role_of(c);
	json_t *items = json_array();
	pv_retention_summary s;
	pv_rc rc = pv_retention_plan(c->v, &who, pvs_arg(c, "as_of"), item_json, items, &s);
	if (rc) {
		json_decref(items);
		pvs_fail(c->out, c->v, rc);
		return;
	}
	pvs_json(c->out, 200, json_pack("{s:o,s:{s:s,s:I,s:I,s:I,s:I,s:I}}", "items", items,
					 "summary", "as_of", s.as_of, "shred", (json_int_t)s.shred,
					 "erase", (json_int_t)s.erase, "held", (json_int_t)s.held,
					 "undetermined", (json_int_t)s.undetermined,
					 "undetermined_customers",
					 (json_int_t)s.undetermined_customers));
}

/* A destruction certificate kept for the reply (as JSON when it parses, else as text). */
static int keep_certificate(void *ctx, const char *certificate)
{
	json_t *cert = json_loads(certificate, 0, NULL);
	return json_array_append_new(ctx, cert ? cert : json_string(certificate)) != 0;
}

/* What an apply answers: its counts and certificates. */
struct applied {
	uint64_t shredded, erased, held, undetermined;
	json_t *certificates;
};

static void applied_reply(struct pvs_call *c, pv_rc rc, struct applied *a)
{
	if (rc) { /* certificates of batches that did commit are lost to the reply, not to
		   * the shred ledger (GET of the certificates gives them) */
		pvs_fail(c->out, c->v, rc);
		json_decref(a->certificates);
		return;
	}
	pvs_json(c->out, 200, json_pack("{s:I,s:I,s:I,s:I,s:o}", "shredded",
					 (json_int_t)a->shredded, "erased", (json_int_t)a->erased,
					 "held", (json_int_t)a->held, "undetermined",
					 (json_int_t)a->undetermined, "certificates",
					 a->certificates));
}

/* POST /v1/retention/apply {"as_of"?, "role"?, "reason"?, "request"?}: without "request",
 * asked for (202 with the request's id; another user approves it); with the id of the
 * caller's approved request, carried out: 200 with the counts and certificates. */
static void retention_apply(struct pvs_call *c)
{
	json_t *body = pvs_body_object(c);
	if (!body)
		return;
	int bad = 0;
	const char *as_of = pvs_member(body, "as_of", &bad), *role = pvs_member(body, "role", &bad);
	enum pvs_guard mode;
	char command[64];
	snprintf(command, sizeof command, "POST /v1/retention/apply as_of=%.10s",
		 as_of ? as_of : "today");
	if (bad) {
		pvs_error(c->out, 400, "bad_request", "\"as_of\" and \"role\" are strings");
	} else if (pvs_guard_begin_as(c, body, command, &mode) == 0) {
		pv_access who = { role ? role : pvs_arg(c, "role"), NULL, PV_WANT_MASKED };
		struct applied a = { 0, 0, 0, 0, json_array() };
		pv_rc rc = pv_retention_apply(c->v, &who, as_of, keep_certificate, a.certificates,
					      &a.shredded, &a.erased, &a.held, &a.undetermined);
		if (pvs_guard_end(c, mode, rc))
			json_decref(a.certificates);
		else
			applied_reply(c, rc, &a);
	}
	json_decref(body);
}

static const struct pvs_route routes[] = {
	{ "POST", "/v1/holds", PVS_SESSION, add_holds, 0 },
	{ "POST", "/v1/holds/release", PVS_SESSION, release_holds, 0 },
	{ "GET", "/v1/holds", PVS_SESSION, list_holds, 0 },
	{ "GET", "/v1/retention/plan", PVS_SESSION, retention_plan, 0 },
	{ "POST", "/v1/retention/apply", PVS_SESSION, retention_apply, 0 },
};
PVS_ROUTE_TABLE(pvs_routes_retention, routes);
