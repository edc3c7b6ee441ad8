/* SPDX-License-Identifier: Apache-2.0 */
/* routes_complaints.c: complaints and disputes about personal information (投诉, 争议)
 * over the API, as `pivault complaint` has them: open one (due in 15 days), add a note,
 * resolve it with its outcome, the list with deadlines, one complaint's notes. Their texts
 * are sealed under the customer's key by the library; every rule is the library's
 * (permission 'dsr'). */
#include "route.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* The body's string member key (required unless optional); NULL (after a 400) when it is
 * missing or not a string, or *absent set when an optional one is not there. */
static const char *string_of(struct pvs_call *c, json_t *body, const char *key, int optional,
			     int *absent)
{
	int bad = 0;
	const char *s = pvs_member(body, key, &bad);
	if (absent)
		*absent = !s && !bad;
	if (bad || (!s && !optional)) {
		char msg[96];
		snprintf(msg, sizeof msg, "the body needs \"%s\" (a string)", key);
		pvs_error(c->out, 400, "bad_request", msg);
		return NULL;
	}
	return s;
}

/* POST /v1/complaints {"customer", "text", "dsr"?, "role"?}: 201 {"id"}. */
static void open_complaint(struct pvs_call *c)
{
	pv_access who;
	json_t *body = pvs_body_acting(c, 0, &who);
	if (!body)
		return;
	int no_dsr = 0;
	const char *customer = string_of(c, body, "customer", 0, NULL);
	const char *text = customer ? string_of(c, body, "text", 0, NULL) : NULL;
	const char *dsr = text ? string_of(c, body, "dsr", 1, &no_dsr) : NULL;
	if (text && (dsr || no_dsr)) {
		char *id = NULL;
		pv_rc rc = pv_complaint_open(c->v, &who, customer, dsr, text, &id);
		if (rc)
			pvs_fail(c->out, c->v, rc);
		else
			pvs_json(c->out, 201, json_pack("{s:s}", "id", id));
		pv_free(id);
	}
	json_decref(body);
}

/* POST /v1/complaints/{id}/notes {"text"} and .../resolve {"outcome"}: 204. */
static void add_to_complaint(struct pvs_call *c)
{
	int resolve = strcmp(strrchr(c->q->path, '/') + 1, "resolve") == 0;
	pv_access who;
	json_t *body = pvs_body_acting(c, 0, &who);
	if (!body)
		return;
	const char *text = string_of(c, body, resolve ? "outcome" : "text", 0, NULL);
	if (text)
		pvs_done(c, resolve ? pv_complaint_resolve(c->v, &who, c->param, text)
				    : pv_complaint_note(c->v, &who, c->param, text));
	json_decref(body);
}

static int listed(void *ctx, const pv_complaint_info *i)
{
	json_t *o = json_pack("{s:s,s:s,s:s?,s:s,s:s,s:s,s:s?}", "id", i->id, "customer",
			      i->customer, "dsr", *i->dsr ? i->dsr : NULL, "opened", i->opened,
			      "due", i->due, "state", i->state, "resolved",
			      *i->resolved ? i->resolved : NULL);
	return json_array_append_new(ctx, o) != 0;
}

/* GET /v1/complaints?role=: {"complaints": [{"id", "customer", "dsr", "opened", "due",
 * "state": open|late|resolved|resolved late, "resolved"}]} (dates as YYYY-MM-DD). */
static void list_complaints(struct pvs_call *c)
{
	pv_access who = pvs_role_of(c);
	json_t *list = json_array();
	pv_rc rc = pv_complaint_list(c->v, &who, listed, list);
	if (rc) {
		json_decref(list);
		pvs_fail(c->out, c->v, rc);
		return;
	}
	pvs_json(c->out, 200, json_pack("{s:o}", "complaints", list));
}

static int noted(void *ctx, const pv_note_info *n)
{
	json_t *o = json_pack("{s:o,s:s,s:s,s:s?}", "at", pvs_time_json(n->at), "by", n->by,
			      "kind", n->kind, "text", n->text);
	return json_array_append_new(ctx, o) != 0;
}

/* GET /v1/complaints/{id}?role=: {"id", "notes": [{"at", "by", "kind", "text"}]}, oldest
 * first (text null once the customer has been shredded). */
static void show_complaint(struct pvs_call *c)
{
	pv_access who = pvs_role_of(c);
	json_t *notes = json_array();
	pv_rc rc = pv_complaint_show(c->v, &who, c->param, noted, notes);
	if (rc) {
		json_decref(notes);
		pvs_fail(c->out, c->v, rc);
		return;
	}
	pvs_json(c->out, 200, json_pack("{s:s,s:o}", "id", c->param, "notes", notes));
}

static const struct pvs_route routes[] = {
	{ "GET", "/v1/complaints", PVS_SESSION, list_complaints, 0 },
	{ "POST", "/v1/complaints", PVS_SESSION, open_complaint, 0 },
	{ "GET", "/v1/complaints/{id}", PVS_SESSION, show_complaint, 0 },
	{ "POST", "/v1/complaints/{id}/notes", PVS_SESSION, add_to_complaint, 0 },
	{ "POST", "/v1/complaints/{id}/resolve", PVS_SESSION, add_to_complaint, 0 },
};
PVS_ROUTE_TABLE(pvs_routes_complaints, routes);
