/* SPDX-License-Identifier: Apache-2.0 */
/* routes_incidents.c: breach incidents (信息泄露应急), the API twin of `pivault incident`:
 * open, list, show (state, times, scope and seal), scope, seal, release (four eyes: asked
 * for with 202, run with an approved request), notify and state. The library decides
 * everything; times it gives as ISO 8601 ("opened_at") are printed as Unix seconds
 * ("opened"). */
#define _GNU_SOURCE /* timegm, open_memstream */
#include "route.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- Reading and printing ---- */

/* The body as a JSON object; an empty body is an empty object. NULL after a 400 reply. */
static json_t *body_or_empty(struct pvs_call *c)
{
	return c->q->len ? pvs_body_object(c) : json_object();
}

/* Who acts: "role" and "purpose" from the body, else the query's. */
static pv_access acting(const struct pvs_call *c, json_t *body, int *bad)
{
	const char *role = pvs_member(body, "role", bad), *purpose = pvs_member(body, "purpose", bad);
	pv_access who = { role ? role : pvs_arg(c, "role"), purpose ? purpose : pvs_arg(c, "purpose"),
			  PV_WANT_MASKED };
	return who;
}

/* "YYYY-MM-DDTHH:MM:SSZ" as Unix seconds; -1 when it is not one. */
static long long unix_seconds(const char *iso)
{
	struct tm tm = { 0 };
	char z = 0;
	if (sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z) != 7 || z != 'Z')
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (long long)timegm(&tm);
}

/* Each member "X_at" holding an ISO time becomes "X" in Unix seconds, in o and in the
 * objects it holds. */
static void times_as_seconds(json_t *o)
{
	const char *key;
	json_t *val;
	void *tmp;
	json_object_foreach_safe(o, tmp, key, val) {
		size_t n = strlen(key);
		if (json_is_object(val)) {
			times_as_seconds(val);
		} else if (n > 3 && strcmp(key + n - 3, "_at") == 0 && json_is_string(val)) {
			long long t = unix_seconds(json_string_value(val));
			char plain[64];
			snprintf(plain, sizeof plain, "%.*s", (int)(n - 3), key);
			if (t >= 0) {
				json_object_set_new(o, plain, json_integer((json_int_t)t));
				json_object_del(o, key);
			}
		}
	}
}

/* The library's JSON text (pv_free'd here) as the reply: one incident, or {key: list}. */
static void reply_incidents(struct pvs_call *c, char *text, const char *key)
{
	json_t *doc = json_loads(text, 0, NULL);
	pv_free(text);
	size_t i;
	json_t *one;
	if (json_is_array(doc))
		json_array_foreach(doc, i, one)
			times_as_seconds(one);
	else
		times_as_seconds(doc);
	if (!doc)
		pvs_error(c->out, 500, "internal_error", "the reply could not be made");
	else
		pvs_json(c->out, 200, key ? json_pack("{s:o}", key, doc) : doc);
}

/* ---- open, list, show ---- */

/* The body {"kind", "detected_at" (ISO 8601), "description", "role"?}: 201 {"id"}. */
static void open_incident(struct pvs_call *c)
{
	json_t *body = pvs_body_object(c);
	if (!body)
		return;
	int bad = 0;
	const char *kind = pvs_member(body, "kind", &bad), *at = pvs_member(body, "detected_at", &bad);
	const char *text = pvs_member(body, "description", &bad);
	pv_access who = acting(c, body, &bad);
	int k = kind ? pv_incident_kind_from_name(kind) : -1;
	if (bad || k < 0 || !at || !text) {
		pvs_error(c->out, 400, "bad_request", "the body needs \"kind\" (leak, tamper, loss "
			  "or unauthorised-access), \"detected_at\" (ISO 8601) and \"description\"");
	} else {
		char *id = NULL;
		pv_rc rc = pv_incident_open(c->v, &who, (pv_incident_kind)k, at, text, &id);
		if (rc)
			pvs_fail(c->out, c->v, rc);
		else
			pvs_json(c->out, 201, json_pack("{s:s}", "id", id));
		pv_free(id);
	}
	json_decref(body);
}

static void list_incidents(struct pvs_call *c)
{
	pv_access who = pvs_role_of(c);
	char *text = NULL;
	pv_rc rc = pv_incident_list(c->v, &who, &text);
	if (rc)
		pvs_fail(c->out, c->v, rc);
	else
		reply_incidents(c, text, "incidents");
}

static void show_incident(struct pvs_call *c)
{
	pv_access who = pvs_role_of(c);
	char *text = NULL;
	pv_rc rc = pv_incident_get(c->v, &who, c->param, &text);
	if (rc)
		pvs_fail(c->out, c->v, rc);
	else
		reply_incidents(c, text, NULL);
}

/* ---- scope, state, seal ---- */

/* The body's "customers" (an array of strings) into a new array of their texts (free
 * it); *n their count. -1 when it is there but not such an array. */
static int customer_list(json_t *body, const char ***list, size_t *n)
{
	json_t *arr = json_object_get(body, "customers"), *one;
	size_t i;
	*list = NULL;
	*n = 0;
	if (!arr)
		return 0;
	if (!json_is_array(arr) || !(*list = calloc(json_array_size(arr) + 1, sizeof **list)))
		return -1;
	json_array_foreach(arr, i, one) {
		if (!json_is_string(one))
			return -1;
		(*list)[(*n)++] = json_string_value(one);
	}
	return 0;
}

/* The body {"user"?, "since"?, "until"?, "operation"?, "customers"?: [ids], "role"?}:
 * {"incident", "entries", "customers", "categories"}. */
static void scope_incident(struct pvs_call *c)
{
	json_t *body = body_or_empty(c);
	if (!body)
		return;
	int bad = 0;
	pv_incident_filter f = { pvs_member(body, "user", &bad), pvs_member(body, "since", &bad),
				 pvs_member(body, "until", &bad), pvs_member(body, "operation", &bad),
				 NULL, 0 };
	const char **ids = NULL;
	pv_access who = acting(c, body, &bad);
	if (customer_list(body, &ids, &f.ncustomers) != 0 || bad) {
		pvs_error(c->out, 400, "bad_request", "\"user\", \"since\", \"until\" and "
			  "\"operation\" are strings, \"customers\" an array of ids");
	} else {
		f.customers = ids;
		pv_incident_counts n;
		pv_rc rc = pv_incident_scope(c->v, &who, c->param, &f, &n);
		if (rc)
			pvs_fail(c->out, c->v, rc);
		else
			pvs_json(c->out, 200, json_pack("{s:s,s:I,s:I,s:I}", "incident", c->param,
							 "entries", (json_int_t)n.entries,
							 "customers", (json_int_t)n.customers,
							 "categories", (json_int_t)n.categories));
	}
	free(ids);
	json_decref(body);
}

/* The body {"to": "contained" | "notified" | "closed", "role"?}: {"incident", "state"}. */
static void set_state(struct pvs_call *c)
{
	json_t *body = pvs_body_object(c);
	if (!body)
		return;
	int bad = 0;
	const char *to = pvs_member(body, "to", &bad);
	pv_access who = acting(c, body, &bad);
	int s = to ? pv_incident_state_from_name(to) : -1;
	if (bad || s < 0) {
		pvs_error(c->out, 400, "bad_request", "the body needs \"to\": contained, notified "
			  "or closed");
	} else {
		pv_rc rc = pv_incident_set_state(c->v, &who, c->param, (pv_incident_state)s);
		if (rc)
			pvs_fail(c->out, c->v, rc);
		else
			pvs_json(c->out, 200, json_pack("{s:s,s:s}", "incident", c->param, "state",
							 to));
	}
	json_decref(body);
}

/* No body needed ({"role"?}): {"incident", "sealed": customers}. */
static void seal_incident(struct pvs_call *c)
{
	json_t *body = body_or_empty(c);
	if (!body)
		return;
	int bad = 0;
	pv_access who = acting(c, body, &bad);
	size_t n = 0;
	pv_rc rc = bad ? PV_ERR_USAGE : pv_incident_seal(c->v, &who, c->param, &n);
	if (bad)
		pvs_error(c->out, 400, "bad_request", "\"role\" is a string");
	else if (rc)
		pvs_fail(c->out, c->v, rc);
	else
		pvs_json(c->out, 200, json_pack("{s:s,s:I}", "incident", c->param, "sealed",
						 (json_int_t)n));
	json_decref(body);
}

/* ---- release: four eyes ---- */

/* The body {"request"?: "R-...", "reason"?, "expires_in"?, "role"?}: without a request,
 * the release is asked for (202 {"request": {...}}, approved with POST
 * /v1/requests/{id}/approve by another user); with an approved one it runs:
 * {"incident", "released": customers}. */
static void release_incident(struct pvs_call *c)
{
	json_t *body = body_or_empty(c);
	if (!body)
		return;
	int bad = 0;
	pv_access who = acting(c, body, &bad);
	enum pvs_guard mode;
	if (bad) {
		pvs_error(c->out, 400, "bad_request", "\"role\" is a string");
	} else if (pvs_guard_begin(c, body, &mode) == 0) {
		size_t n = 0;
		pv_rc rc = pv_incident_release(c->v, &who, c->param, &n);
		if (pvs_guard_end(c, mode, rc))
			; /* asked for: answered */
		else if (rc)
			pvs_fail(c->out, c->v, rc);
		else
			pvs_json(c->out, 200, json_pack("{s:s,s:I}", "incident", c->param,
							 "released", (json_int_t)n));
	}
	json_decref(body);
}

/* ---- notify ---- */

/* A memory stream's text (NUL-terminated) or NULL. */
struct mem_out {
	char *text;
	size_t len;
	FILE *f;
};

static void notified(struct pvs_call *c, const pv_breach_counts *n, struct mem_out *notices,
		     struct mem_out *report)
{
	pvs_json(c->out, 200,
		 json_pack("{s:s,s:I,s:I,s:I,s:I,s:{s:I,s:I,s:I},s:{s:I,s:I,s:I},s:b,s:s,s:s}",
			   "incident", c->param, "customers", (json_int_t)n->customers, "notices",
			   (json_int_t)n->notices, "skipped", (json_int_t)n->skipped, "gone",
			   (json_int_t)n->gone, "by_category", "basic",
			   (json_int_t)n->by_category[0], "financial",
			   (json_int_t)n->by_category[1], "other", (json_int_t)n->by_category[2],
			   "by_sensitivity", "public", (json_int_t)n->by_sensitivity[0],
			   "sensitive", (json_int_t)n->by_sensitivity[1], "confidential",
			   (json_int_t)n->by_sensitivity[2], "report_recorded",
			   n->report_recorded, "notices_text", notices->text, "report_text",
			   report->text));
}

/* What the body says of the company's words, as `incident notify`'s options. */
static pv_breach_text breach_text(json_t *body, int *bad)
{
	pv_breach_text t = { pvs_member(body, "notice", bad), "notice",
			     pvs_member(body, "company", bad), pvs_member(body, "contact", bad),
			     pvs_member(body, "cause", bad), pvs_member(body, "harm", bad),
			     pvs_member(body, "remedies", bad), pvs_member(body, "actions", bad),
			     pvs_member(body, "measures", bad) };
	return t;
}

/* The body {"purpose", "role"?, "lang"?, "format"?: "csv" | "jsonl", "notice"?: the
 * notice file's text, "company"?, "contact"?, "cause"?, "harm"?, "remedies"?, "actions"?,
 * "measures"?}: the counts, the notices (names and contacts in clear: a mail-merge text)
 * and the regulator's report. */
static void notify_incident(struct pvs_call *c)
{
	json_t *body = pvs_body_object(c);
	if (!body)
		return;
	int bad = 0;
	const char *lang = pvs_member(body, "lang", &bad), *form = pvs_member(body, "format", &bad);
	pv_breach_text t = breach_text(body, &bad);
	pv_access who = acting(c, body, &bad);
	who.want_clear = PV_WANT_CLEAR; /* notices name and reach the customer */
	if (bad || (form && strcmp(form, "csv") && strcmp(form, "jsonl"))) {
		pvs_error(c->out, 400, "bad_request", "the body's members are strings; \"format\" "
			  "is csv or jsonl");
		json_decref(body);
		return;
	}
	enum pvs_guard mode;
	int guarded;
	if (pvs_clear_guard_begin(c, body, NULL, &mode, &guarded) != 0) {
		json_decref(body);
		return;
	}
	struct mem_out notices = { NULL, 0, NULL }, report = { NULL, 0, NULL };
	notices.f = open_memstream(&notices.text, &notices.len);
	report.f = open_memstream(&report.text, &report.len);
	pv_breach_counts n = { 0 };
	pv_rc rc = notices.f && report.f
			   ? pv_incident_notify(c->v, &who, c->param, &t, lang,
						form && !strcmp(form, "jsonl") ? PV_EXPORT_JSONL
									       : PV_EXPORT_CSV,
						notices.f, report.f, &n)
			   : PV_ERR_NOMEM;
	int closed = (notices.f ? fclose(notices.f) : -1) | (report.f ? fclose(report.f) : -1);
	if (!rc && !closed)
		notified(c, &n, &notices, &report);
	else if (!rc || !notices.f || !report.f)
		pvs_error(c->out, 500, "out_of_memory", "out of memory");
	else
		pvs_clear_guard_failed(c, mode, guarded, rc);
	free(notices.text);
	free(report.text);
	json_decref(body);
}

static const struct pvs_route routes[] = {
	{ "POST", "/v1/incidents", PVS_SESSION, open_incident, 0 },
	{ "GET", "/v1/incidents", PVS_SESSION, list_incidents, 0 },
	{ "GET", "/v1/incidents/{id}", PVS_SESSION, show_incident, 0 },
	{ "POST", "/v1/incidents/{id}/scope", PVS_SESSION, scope_incident, 0 },
	{ "POST", "/v1/incidents/{id}/state", PVS_SESSION, set_state, 0 },
	{ "POST", "/v1/incidents/{id}/seal", PVS_SESSION, seal_incident, 0 },
	{ "POST", "/v1/incidents/{id}/release", PVS_SESSION, release_incident, 0 },
	{ "POST", "/v1/incidents/{id}/notify", PVS_SESSION, notify_incident, 1 },
};
PVS_ROUTE_TABLE(pvs_routes_incidents, routes);
