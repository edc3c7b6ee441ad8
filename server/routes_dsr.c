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

/* ---- The answers: one handler, a table of actions ---- */

/* What an action answers once the library call succeeded. */
enum dsr_answer {
	DSR_DONE,       /* 204 */
	DSR_ID,         /* 201 {"id"}: the request opened */
	DSR_CERTIFICATE /* 200 {"certificate"}: the shred's signed certificate */
};

#define DSR_STRINGS 3

/* One action on data-subject requests: the body it takes and the library call. */
struct dsr_action {
	const char *verb; /* the path's last segment ("dsr": open one) */
	int empty_ok;     /* an empty body is taken as {} */
	const char *strings[DSR_STRINGS]; /* the body's string members the call takes */
	unsigned required; /* how many of them (the first) must be there */
	int (*body_ok)(json_t *body, const char *const *s); /* a further check, or NULL */
	const char *bad_body; /* the 400's message when the body is not as said */
	int guarded;          /* under four eyes (pvs_guard_begin and pvs_guard_end) */
	/* the call on the request id (NULL for open and lift) with the strings s; *made (an
	 * id or a certificate, pv_free) for the answers that give one */
	pv_rc (*call)(pv_vault *v, const pv_access *who, const char *id, const char *const *s,
		      json_t *body, char **made);
	enum dsr_answer answer;
};

static pv_rc open_call(pv_vault *v, const pv_access *who, const char *id, const char *const *s,
		       json_t *body, char **made)
{
	(void)id, (void)body;
	return pv_dsr_open(v, who, s[0], s[1], s[2], made);
}

/* restrict and object requests: fulfilled as their kind says. */
static pv_rc fulfil_call(pv_vault *v, const pv_access *who, const char *id,
			 const char *const *s, json_t *body, char **made)
{
	(void)s, (void)body, (void)made;
	return pv_dsr_fulfil(v, who, id);
}

/* A deletion request: the customer crypto-shredded (the certificate, when the shred was
 * done and the reply failed, is in the audit log). */
static pv_rc delete_call(pv_vault *v, const pv_access *who, const char *id,
			 const char *const *s, json_t *body, char **made)
{
	(void)s, (void)body;
	return pv_dsr_delete(v, who, id, made);
}

/* "fields": an object of field names to new values (strings), at least one. */
static int fields_ok(json_t *body, const char *const *s)
{
	(void)s;
	json_t *fields = json_object_get(body, "fields"), *value;
	const char *name;
	if (!json_is_object(fields) || json_object_size(fields) == 0)
		return 0;
	json_object_foreach(fields, name, value)
		if (!json_is_string(value))
			return 0;
	return 1;
}

/* Each field an audited, validated update. */
static pv_rc correct_call(pv_vault *v, const pv_access *who, const char *id,
			  const char *const *s, json_t *body, char **made)
{
	(void)s, (void)made;
	json_t *fields = json_object_get(body, "fields"), *value;
	size_t n = json_object_size(fields), i = 0;
	const char **names = calloc(n, sizeof *names), **values = calloc(n, sizeof *values);
	const char *name;
	pv_rc rc = PV_ERR_NOMEM;
	if (names && values) {
		json_object_foreach(fields, name, value) {
			names[i] = name;
			values[i++] = json_string_value(value);
		}
		rc = pv_dsr_correct(v, who, id, names, values, n);
	}
	free(names);
	free(values);
	return rc;
}

static int lift_ok(json_t *body, const char *const *s)
{
	(void)body;
	return !strcmp(s[1], "restriction") || !strcmp(s[1], "objection");
}

static pv_rc lift_call(pv_vault *v, const pv_access *who, const char *id, const char *const *s,
		       json_t *body, char **made)
{
	(void)id, (void)body, (void)made;
	return pv_dsr_lift(v, who, s[0], !strcmp(s[1], "objection") ? PV_LIFT_OBJECTION
								    : PV_LIFT_RESTRICTION);
}

static pv_rc close_call(pv_vault *v, const pv_access *who, const char *id,
			const char *const *s, json_t *body, char **made)
{
	(void)body, (void)made;
	return pv_dsr_close(v, who, id, s[0]);
}

static const struct dsr_action actions[] = {
	{ "dsr", 0, { "customer", "kind", "law" }, 2, NULL, "the body needs \"customer\" and "
	  "\"kind\" (strings); \"law\" is pipl, gdpr or ccpa", 0, open_call, DSR_ID },
	{ "fulfil", 1, { NULL }, 0, NULL, "", 0, fulfil_call, DSR_DONE },
	{ "delete", 1, { NULL }, 0, NULL, "", 1, delete_call, DSR_CERTIFICATE },
	{ "correct", 0, { NULL }, 0, fields_ok, "the body needs \"fields\": an object of field "
	  "names to new values (strings)", 0, correct_call, DSR_DONE },
	{ "lift", 0, { "customer", "what" }, 2, lift_ok, "the body needs \"customer\" and "
	  "\"what\": restriction or objection", 0, lift_call, DSR_DONE },
	{ "close", 0, { "outcome" }, 1, NULL, "the body needs \"outcome\" (a string)", 0,
	  close_call, DSR_DONE },
};

/* The action the path names by its last segment; NULL: none. */
static const struct dsr_action *action_of(const char *path)
{
	const char *verb = strrchr(path, '/') + 1;
	for (size_t i = 0; i < sizeof actions / sizeof *actions; i++)
		if (strcmp(actions[i].verb, verb) == 0)
			return &actions[i];
	return NULL;
}

/* The body's strings of a into s: 0, or -1 when one is not a string, one required is
 * missing, or a's further check refuses the body. */
static int body_strings(json_t *body, const struct dsr_action *a, const char **s)
{
	int bad = 0;
	for (unsigned i = 0; i < DSR_STRINGS && a->strings[i]; i++) {
		s[i] = pvs_member(body, a->strings[i], &bad);
		if (!s[i] && i < a->required)
			bad = 1;
	}
	return bad || (a->body_ok && !a->body_ok(body, s)) ? -1 : 0;
}

static void answer(struct pvs_call *c, const struct dsr_action *a, pv_rc rc, const char *made)
{
	if (rc || a->answer == DSR_DONE) {
		pvs_done(c, rc);
	} else if (a->answer == DSR_ID) {
		pvs_json(c->out, 201, json_pack("{s:s}", "id", made));
	} else {
		json_error_t jerr;
		json_t *cert = made ? json_loads(made, 0, &jerr) : NULL;
		pvs_json(c->out, 200, json_pack("{s:o}", "certificate", cert ? cert : json_null()));
	}
}

/* POST /v1/dsr {"customer", "kind": access|correct|delete|restrict|object, "law"?}: 201
 * {"id"}; POST /v1/dsr/lift {"customer", "what": "restriction"|"objection"}; POST
 * /v1/dsr/{id}/fulfil; .../delete (under four eyes): 200 {"certificate"}; .../correct
 * {"fields": {"name": "value", ...}}; .../close {"outcome"}. Each with "role"? */
static void act_on_dsr(struct pvs_call *c)
{
	const struct dsr_action *a = action_of(c->q->path);
	pv_access who;
	json_t *body = a ? pvs_body_acting(c, a->empty_ok, &who) : NULL;
	const char *s[DSR_STRINGS] = { NULL };
	enum pvs_guard mode = PVS_RUN_APPROVED;
	if (!a)
		pvs_error(c->out, 404, "not_found", "no such route");
	if (!body)
		return;
	if (body_strings(body, a, s) != 0) {
		pvs_error(c->out, 400, "bad_request", a->bad_body);
	} else if (!a->guarded || pvs_guard_begin(c, body, &mode) == 0) {
		char *made = NULL;
		pv_rc rc = a->call(c->v, &who, c->param, s, body, &made);
		if (!a->guarded || !pvs_guard_end(c, mode, rc))
			answer(c, a, rc, made);
		pv_free(made);
	}
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
	{ "POST", "/v1/dsr", PVS_SESSION, act_on_dsr, 0 },
	{ "POST", "/v1/dsr/lift", PVS_SESSION, act_on_dsr, 0 },
	{ "GET", "/v1/dsr/{id}", PVS_SESSION, get_dsr, 0 },
	{ "POST", "/v1/dsr/{id}/fulfil", PVS_SESSION, act_on_dsr, 0 },
	{ "POST", "/v1/dsr/{id}/delete", PVS_SESSION, act_on_dsr, 0 },
	{ "POST", "/v1/dsr/{id}/correct", PVS_SESSION, act_on_dsr, 0 },
	{ "POST", "/v1/dsr/{id}/close", PVS_SESSION, act_on_dsr, 0 },
	{ "GET", "/v1/dsr/{id}/report", PVS_SESSION, access_report, 1 },
};
PVS_ROUTE_TABLE(pvs_routes_dsr, routes);
