/* SPDX-License-Identifier: Apache-2.0 */
/* routes_dsr.c: data-subject requests (PIPL art. 44-47, GDPR art. 15-21) over the API:
 * the queue with deadlines and overdue marks, one request, and their answers: open,
 * fulfil (restrict, object), delete (crypto-shred, under four eyes), correct, lift, close,
 * and the access report, whose clear values the library gives only to a role that may
 * read every field. Every rule is the library's (permission 'dsr' and the others). */
#include "route.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *dsr_json(const pv_dsr_info *d)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:s,s:b,s:s,s:s,s:s}", "id", d->id, "customer",
			 d->customer, "kind", d->type, "law", d->law, "opened",
			 (json_int_t)pv_time_unix(d->opened), "deadline",
			 (json_int_t)pv_time_unix(d->due), "due", d->due, "overdue",
			 strcmp(d->state, "overdue") == 0, "state", d->state, "closed", d->closed,
			 "outcome", d->outcome);
}

struct queue {
	json_t *list;
	const char *only_id; /* one request, or NULL */
	int open_only;
};

static int queued(void *ctx, const pv_dsr_info *d)
{
	struct queue *q = ctx;
	int open = !strcmp(d->state, "open") || !strcmp(d->state, "overdue");
	if ((q->only_id && strcmp(d->id, q->only_id) != 0) || (q->open_only && !open))
		return 0;
	return json_array_append_new(q->list, dsr_json(d)) != 0;
}

static pv_rc queue_of(struct pvs_call *c, const char *only_id, int open_only, json_t **list)
{
	pv_access who = pvs_role_of(c);
	struct queue q = { json_array(), only_id, open_only };
	pv_rc rc = pv_dsr_list(c->v, &who, PV_DSR_ALL, queued, &q);
	if (rc)
		json_decref(q.list);
	*list = rc ? NULL : q.list;
	return rc;
}

/* ?state=open (the default: open and overdue) or all. */
static void list_dsr(struct pvs_call *c)
{
	const char *state = pvs_arg(c, "state");
	if (state && strcmp(state, "open") && strcmp(state, "all")) {
		pvs_error(c->out, 400, "bad_request", "state: open or all");
		return;
	}
	json_t *list;
	pv_rc rc = queue_of(c, NULL, !state || !strcmp(state, "open"), &list);
	if (rc)
		pvs_fail(c->out, c->v, rc);
	else
		pvs_json(c->out, 200, json_pack("{s:o}", "dsr", list));
}

static void get_dsr(struct pvs_call *c)
{
	json_t *list;
	pv_rc rc = queue_of(c, c->param, 0, &list);
	if (rc)
		pvs_fail(c->out, c->v, rc);
	else if (json_array_size(list) == 0)
		pvs_error(c->out, 404, "not_found", "no such data-subject request");
	else
		pvs_json(c->out, 200, json_pack("{s:O}", "dsr", json_array_get(list, 0)));
	json_decref(list);
}

/* The body (empty: {}) and who acts (its "role" or ?role=); NULL after a 400. */
static json_t *body_and_actor(struct pvs_call *c, int empty_ok, pv_access *who)
{
	json_t *body = c->q->len || !empty_ok ? pvs_body_object(c) : json_object();
	if (!body)
		return NULL;
	int bad = 0;
	*who = pvs_role_of(c);
	const char *role = pvs_member(body, "role", &bad);
	if (role)
		who->role = role;
	if (bad) {
		pvs_error(c->out, 400, "bad_request", "\"role\" is a string");
		json_decref(body);
		return NULL;
	}
	return body;
}

/* {"customer", "kind": access|correct|delete|restrict|object, "law"?}: 201 {"id"}. */
static void open_dsr(struct pvs_call *c)
{
	pv_access who;
	json_t *body = body_and_actor(c, 0, &who);
	if (!body)
		return;
	int bad = 0;
	const char *customer = pvs_member(body, "customer", &bad);
	const char *kind = pvs_member(body, "kind", &bad), *law = pvs_member(body, "law", &bad);
	char *id = NULL;
	if (bad || !customer || !kind) {
		pvs_error(c->out, 400, "bad_request", "the body needs \"customer\" and \"kind\" "
			  "(strings); \"law\" is pipl, gdpr or ccpa");
	} else {
		pv_rc rc = pv_dsr_open(c->v, &who, customer, kind, law, &id);
		if (rc)
			pvs_fail(c->out, c->v, rc);
		else
			pvs_json(c->out, 201, json_pack("{s:s}", "id", id));
	}
	pv_free(id);
	json_decref(body);
}

/* restrict and object requests: fulfilled as their kind says. */
static void fulfil_dsr(struct pvs_call *c)
{
	pv_access who;
	json_t *body = body_and_actor(c, 1, &who);
	if (!body)
		return;
	pvs_done(c, pv_dsr_fulfil(c->v, &who, c->params[0]));
	json_decref(body);
}

/* A deletion request: the customer crypto-shredded under four eyes; 200 {"certificate"}. */
static void delete_dsr(struct pvs_call *c)
{
	pv_access who;
	json_t *body = body_and_actor(c, 1, &who);
	enum pvs_guard mode;
	if (!body || pvs_guard_begin(c, body, &mode) != 0) {
		json_decref(body);
		return;
	}
	char *cert = NULL;
	pv_rc rc = pv_dsr_delete(c->v, &who, c->params[0], &cert);
	if (!pvs_guard_end(c, mode, rc)) {
		json_error_t jerr;
		json_t *signed_cert = cert ? json_loads(cert, 0, &jerr) : NULL;
		if (rc) /* the certificate, when the shred was done, is in the audit log */
			pvs_fail(c->out, c->v, rc);
		else
			pvs_json(c->out, 200, json_pack("{s:o}", "certificate",
							signed_cert ? signed_cert : json_null()));
		if (rc)
			json_decref(signed_cert);
	}
	pv_free(cert);
	json_decref(body);
}

/* {"fields": {"name": "value", ...}}: each an audited, validated update. */
static void correct_dsr(struct pvs_call *c)
{
	pv_access who;
	json_t *body = body_and_actor(c, 0, &who);
	if (!body)
		return;
	json_t *fields = json_object_get(body, "fields"), *value;
	size_t n = json_is_object(fields) ? json_object_size(fields) : 0, i = 0;
	const char **names = calloc(n ? n : 1, sizeof *names), **values = calloc(n ? n : 1,
										   sizeof *values);
	const char *name;
	int bad = !n;
	json_object_foreach(fields, name, value) {
		bad |= !json_is_string(value);
		names[i] = name;
		values[i++] = json_string_value(value);
	}
	if (!names || !values)
		pvs_error(c->out, 500, "out_of_memory", "out of memory");
	else if (bad)
		pvs_error(c->out, 400, "bad_request", "the body needs \"fields\": an object of "
			  "field names to new values (strings)");
	else
		pvs_done(c, pv_dsr_correct(c->v, &who, c->params[0], names, values, n));
	free(names);
	free(values);
	json_decref(body);
}

/* {"customer", "what": "restriction"|"objection"}. */
static void lift_dsr(struct pvs_call *c)
{
	pv_access who;
	json_t *body = body_and_actor(c, 0, &who);
	if (!body)
		return;
	int bad = 0;
	const char *customer = pvs_member(body, "customer", &bad);
	const char *what = pvs_member(body, "what", &bad);
	if (bad || !customer || !what ||
	    (strcmp(what, "restriction") && strcmp(what, "objection")))
		pvs_error(c->out, 400, "bad_request", "the body needs \"customer\" and \"what\": "
			  "restriction or objection");
	else
		pvs_done(c, pv_dsr_lift(c->v, &who, customer, !strcmp(what, "objection")
								     ? PV_LIFT_OBJECTION
								     : PV_LIFT_RESTRICTION));
	json_decref(body);
}

/* {"outcome"}: how it was answered. */
static void close_dsr(struct pvs_call *c)
{
	pv_access who;
	json_t *body = body_and_actor(c, 0, &who);
	if (!body)
		return;
	int bad = 0;
	const char *outcome = pvs_member(body, "outcome", &bad);
	if (bad || !outcome)
		pvs_error(c->out, 400, "bad_request", "the body needs \"outcome\" (a string)");
	else
		pvs_done(c, pv_dsr_close(c->v, &who, c->params[0], outcome));
	json_decref(body);
}

/* The access report (?format=json, the default, or html; ?role=R), as the library
 * renders it: its clear values only for a role that may read every field. */
static void access_report(struct pvs_call *c)
{
	const char *format = pvs_arg(c, "format");
	int html = format && !strcmp(format, "html");
	if (format && !html && strcmp(format, "json")) {
		pvs_error(c->out, 400, "bad_request", "format: json or html");
		return;
	}
	pv_access who = pvs_role_of(c);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f) {
		pvs_error(c->out, 500, "out_of_memory", "out of memory");
		return;
	}
	pv_rc rc = pv_dsr_access_report(c->v, &who, c->params[0],
					 html ? PV_RENDER_HTML : PV_RENDER_JSON, f);
	if (fclose(f) != 0 && !rc)
		rc = PV_ERR_NOMEM;
	if (rc) {
		free(text);
		pvs_fail(c->out, c->v, rc);
		return;
	}
	c->out->status = 200;
	c->out->type = html ? "text/html; charset=utf-8" : "application/json";
	c->out->body = text;
}

static const struct pvs_route routes[] = {
	{ "GET", "/v1/dsr", PVS_SESSION, list_dsr, 0 },
	{ "POST", "/v1/dsr", PVS_SESSION, open_dsr, 0 },
	{ "POST", "/v1/dsr/lift", PVS_SESSION, lift_dsr, 0 },
	{ "GET", "/v1/dsr/{id}", PVS_SESSION, get_dsr, 0 },
	{ "POST", "/v1/dsr/{id}/fulfil", PVS_SESSION, fulfil_dsr, 0 },
	{ "POST", "/v1/dsr/{id}/delete", PVS_SESSION, delete_dsr, 0 },
	{ "POST", "/v1/dsr/{id}/correct", PVS_SESSION, correct_dsr, 0 },
	{ "POST", "/v1/dsr/{id}/close", PVS_SESSION, close_dsr, 0 },
	{ "GET", "/v1/dsr/{id}/report", PVS_SESSION, access_report, 1 },
};
PVS_ROUTE_TABLE(pvs_routes_dsr, routes);
