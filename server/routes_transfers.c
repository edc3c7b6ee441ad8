/* SPDX-License-Identifier: Apache-2.0 */
/* routes_transfers.c: the transfer to a new holder, as `pivault transfer` and `pivault
 * notice` do it: the plan (made, listed, shown with the steps done), its impact assessment,
 * the notices to customers and the notices register, separate consents, who stays out,
 * the shredding of those who objected, and the recipient vault key pinned later. The
 * handover package itself: routes_handover.c. */
#define _GNU_SOURCE /* open_memstream */
#include "route.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The library's JSON text as a reply (an object or an array under "transfers"). */
static void json_text_reply(struct pvs_call *c, unsigned status, const char *text,
			    const char *list_name)
{
	json_error_t je;
	json_t *doc = json_loads(text, 0, &je);
	if (!doc) {
		pvs_error(c->out, 500, "internal_error", "the library's answer is not JSON");
		return;
	}
	pvs_json(c->out, status, list_name ? json_pack("{s:o}", list_name, doc) : doc);
}

/* The plan (or every plan, id NULL) as the library lists it. */
static void transfer_reply(struct pvs_call *c, const pv_access *who, const char *id,
			   unsigned status)
{
	char *text = NULL;
	pv_rc rc = pv_transfer_list(c->v, who, id, &text);
	if (rc)
		pvs_fail(c->out, c->v, rc);
	else
		json_text_reply(c, status, text, id ? NULL : "transfers");
	pv_free(text);
}

/* The body {"recipient_name", "recipient_contact", "recipient_key" (age1...), and optionally
 * "recipient_vault_key", "recipient_country", "legal_basis", "scope", "fields",
 * "purposes" (comma lists), "deadline", "role"}: 201 with the plan as listed. */
static void plan_transfer(struct pvs_call *c)
{
	json_t *body = pvs_body_object(c);
	if (!body)
		return;
	int bad = 0;
	pv_transfer_spec spec = {
		.recipient_name = pvs_member(body, "recipient_name", &bad),
		.recipient_contact = pvs_member(body, "recipient_contact", &bad),
		.recipient_key = pvs_member(body, "recipient_key", &bad),
		.recipient_vault_key = pvs_member(body, "recipient_vault_key", &bad),
		.recipient_country = pvs_member(body, "recipient_country", &bad),
		.legal_basis = pvs_member(body, "legal_basis", &bad),
		.scope = pvs_member(body, "scope", &bad),
		.fields = pvs_member(body, "fields", &bad),
		.purposes = pvs_member(body, "purposes", &bad),
		.deadline = pvs_member(body, "deadline", &bad),
	};
	pv_access who = { pvs_member(body, "role", &bad), NULL, PV_WANT_MASKED };
	char *id = NULL;
	if (bad || !spec.recipient_name || !spec.recipient_contact || !spec.recipient_key) {
		pvs_error(c->out, 400, "bad_request", "the body needs \"recipient_name\", "
			  "\"recipient_contact\" and \"recipient_key\"; every member is a string");
	} else if (strncmp(spec.recipient_key, "age1", 4) != 0) {
		/* the library also takes a file's path: never one a client names */
		pvs_error(c->out, 400, "bad_request", "\"recipient_key\" is the recipient's age "
			  "public key itself (age1...): the server opens no file a client names");
	} else {
		pv_rc rc = pv_transfer_plan(c->v, &who, &spec, &id);
		if (rc)
			pvs_fail(c->out, c->v, rc);
		else
			transfer_reply(c, &who, id, 201);
	}
	pv_free(id);
	json_decref(body);
}

static void list_transfers(struct pvs_call *c)
{
	pv_access who = pvs_role_of(c);
	transfer_reply(c, &who, NULL, 200);
}

static void show_transfer(struct pvs_call *c)
{
	pv_access who = pvs_role_of(c);
	transfer_reply(c, &who, c->param, 200);
}

/* ?format=html: the page; else the assessment as JSON (made the first time). */
static void transfer_assessment(struct pvs_call *c)
{
	pv_access who = pvs_role_of(c);
	const char *format = pvs_arg(c, "format");
	int html = format && strcmp(format, "html") == 0;
	if (format && !html && strcmp(format, "json") != 0) {
		pvs_error(c->out, 400, "bad_request", "format: json or html");
		return;
	}
	char *text = NULL;
	pv_rc rc = pv_transfer_assessment(c->v, &who, c->param,
					   html ? PV_RENDER_HTML : PV_RENDER_JSON, &text);
	if (rc) {
		pvs_fail(c->out, c->v, rc);
	} else if (!(c->out->body = strdup(text))) {
		pvs_error(c->out, 500, "out_of_memory", "out of memory");
	} else {
		c->out->status = 200;
		c->out->type = html ? "text/html; charset=utf-8" : "application/json";
	}
	pv_free(text);
}

/* The notices of the body's {"purpose", "role"?, "lang"?, "template"?, "format"?: "csv" |
 * "jsonl"} rendered into memory (contact details in clear: never on disk). */
static pv_rc render_notices(struct pvs_call *c, json_t *body, int jsonl, char **text,
			    size_t *len)
{
	int bad = 0;
	pv_access who = { pvs_member(body, "role", &bad), pvs_member(body, "purpose", &bad),
			  PV_WANT_MASKED };
	const char *lang = pvs_member(body, "lang", &bad), *tmpl = pvs_member(body, "template", &bad);
	if (bad || !who.purpose) {
		pvs_error(c->out, 400, "bad_request", "the body needs \"purpose\"; \"role\", "
			  "\"lang\", \"template\" and \"format\" are strings");
		return PV_ERR_USAGE;
	}
	enum pvs_guard mode;
	int guarded;
	if (pvs_clear_guard_begin(c, body, NULL, &mode, &guarded) != 0)
		return PV_ERR_USAGE;
	FILE *out = open_memstream(text, len);
	if (!out) {
		pvs_error(c->out, 500, "out_of_memory", "out of memory");
		return PV_ERR_NOMEM;
	}
	uint64_t n = 0;
	pv_rc rc = pv_transfer_notify(c->v, &who, c->param, tmpl, lang,
				      jsonl ? PV_EXPORT_JSONL : PV_EXPORT_CSV, out, &n);
	if (fclose(out) != 0 && !rc) {
		pvs_error(c->out, 500, "out_of_memory", "out of memory");
		return PV_ERR_NOMEM;
	}
	if (rc)
		pvs_clear_guard_failed(c, mode, guarded, rc);
	return rc;
}

/* The mail merge of the plan's notices (text/csv or application/jsonl), each notice
 * recorded as queued: what `transfer notify` writes to standard output. */
static void notify_transfer(struct pvs_call *c)
{
	json_t *body = pvs_body_object(c);
	if (!body)
		return;
	int bad = 0;
	const char *format = pvs_member(body, "format", &bad);
	int jsonl = format && strcmp(format, "jsonl") == 0;
	char *text = NULL;
	size_t len = 0;
	if (format && !jsonl && strcmp(format, "csv") != 0) {
		pvs_error(c->out, 400, "bad_request", "format: csv or jsonl");
	} else if (render_notices(c, body, jsonl, &text, &len) == PV_OK) {
		c->out->status = 200;
		c->out->type = jsonl ? "application/jsonl; charset=utf-8" : "text/csv; charset=utf-8";
		c->out->body = text;
		text = NULL;
	}
	free(text);
	json_decref(body);
}

/* The body {"customer", "granted": true|false, "channel", "role"?}. */
static void transfer_consent(struct pvs_call *c)
{
	json_t *body = pvs_body_object(c);
	if (!body)
		return;
	int bad = 0;
	const char *customer = pvs_member(body, "customer", &bad);
	const char *channel = pvs_member(body, "channel", &bad);
	json_t *granted = json_object_get(body, "granted");
	pv_access who = { pvs_member(body, "role", &bad), NULL, PV_WANT_MASKED };
	if (bad || !customer || !channel || !json_is_boolean(granted))
		pvs_error(c->out, 400, "bad_request", "the body needs \"customer\" and \"channel\" "
			  "(strings) and \"granted\" (true or false)");
	else
		pvs_done(c, pv_transfer_consent(c->v, &who, c->param, customer,
						json_is_true(granted) ? PV_CONSENT_GRANTED
								      : PV_CONSENT_WITHDRAWN,
						channel));
	json_decref(body);
}

static int listed_exclusion(void *ctx, const char *customer, const char *reason)
{
	return json_array_append_new(ctx, json_pack("{s:s,s:s}", "customer", customer, "reason",
						    reason)) != 0;
}

static void transfer_exclusions(struct pvs_call *c)
{
	pv_access who = pvs_role_of(c);
	json_t *list = json_array();
	pv_rc rc = pv_transfer_exclusions(c->v, &who, c->param, listed_exclusion, list);
	if (rc) {
		json_decref(list);
		pvs_fail(c->out, c->v, rc);
		return;
	}
	pvs_json(c->out, 200, json_pack("{s:o}", "exclusions", list));
}

/* The body {"role"?, "request"?, "reason"?}: {"shredded", "certificate"} (null when no
 * one objected), or 202 with the request to approve. When a step after the shred failed
 * (the customers are gone), the error comes with "shredded" and "certificate" beside it. */
static void shred_excluded(struct pvs_call *c)
{
	json_t *body = pvs_body_object(c);
	if (!body)
		return;
	int bad = 0;
	pv_access who = { pvs_member(body, "role", &bad), NULL, PV_WANT_MASKED };
	uint64_t n = 0;
	char *cert = NULL;
	enum pvs_guard mode;
	if (bad) {
		pvs_error(c->out, 400, "bad_request", "\"role\" is a string");
	} else if (pvs_guard_begin(c, body, &mode) == 0) {
		pv_rc rc = pv_transfer_shred_excluded(c->v, &who, c->param, &n, &cert);
		json_error_t je;
		json_t *doc = cert ? json_loads(cert, 0, &je) : json_null();
		json_t *done = rc && !cert ? NULL /* nothing was shredded: the error alone */
			       : json_pack("{s:I,s:O}", "shredded", (json_int_t)n, "certificate",
					   doc ? doc : json_null());
		if (pvs_guard_end(c, mode, rc))
			json_decref(done);
		else if (rc)
			pvs_fail_with(c->out, c->v, rc, done);
		else
			pvs_json(c->out, 200, done);
		json_decref(doc);
	}
	pv_free(cert);
	json_decref(body);
}

/* The body {"key", "role"?, "request"?, "reason"?}: the recipient vault key pinned. */
static void pin_vault_key(struct pvs_call *c)
{
	json_t *body = pvs_body_object(c);
	if (!body)
		return;
	int bad = 0;
	const char *key = pvs_member(body, "key", &bad);
	pv_access who = { pvs_member(body, "role", &bad), NULL, PV_WANT_MASKED };
	enum pvs_guard mode;
	if (bad || !key) {
		pvs_error(c->out, 400, "bad_request", "the body needs \"key\" (64 hex digits)");
	} else if (pvs_guard_begin(c, body, &mode) == 0) {
		pv_rc rc = pv_transfer_pin_vault_key(c->v, &who, c->param, key);
		if (!pvs_guard_end(c, mode, rc))
			pvs_done(c, rc);
	}
	json_decref(body);
}

/* ---- The notices register ---- */

static int listed_notice(void *ctx, const pv_notice_info *n)
{
	return json_array_append_new(ctx, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}",
						    "notice", (json_int_t)n->notice, "customer",
						    n->customer, "kind", n->kind, "text_version",
						    n->text_version, "channel", n->channel, "sent",
						    n->sent, "sent_by", n->sent_by, "state",
						    n->state, "state_at", n->state_at)) != 0;
}

/* ?customer=ID: one customer's notices; else every notice, oldest first. */
static void list_notices(struct pvs_call *c)
{
	pv_access who = pvs_role_of(c);
	json_t *list = json_array();
	pv_rc rc = pv_notice_list(c->v, &who, pvs_arg(c, "customer"), listed_notice, list);
	if (rc) {
		json_decref(list);
		pvs_fail(c->out, c->v, rc);
		return;
	}
	pvs_json(c->out, 200, json_pack("{s:o}", "notices", list));
}

/* The body {"customer", "kind", "text_version", "channel", "state"?, "role"?}: a notice sent
 * by hand recorded (pivault notice record); 201 {"notice": its number}. */
static void record_notice(struct pvs_call *c)
{
	pv_access who;
	json_t *body = pvs_body_acting(c, 0, &who);
	if (!body)
		return;
	int bad = 0;
	const char *customer = pvs_member(body, "customer", &bad),
		   *kind = pvs_member(body, "kind", &bad),
		   *version = pvs_member(body, "text_version", &bad),
		   *channel = pvs_member(body, "channel", &bad),
		   *state = pvs_member(body, "state", &bad);
	int64_t number = 0;
	pv_rc rc;
	if (bad || !customer || !kind || !version || !channel)
		pvs_error(c->out, 400, "bad_request", "the body needs \"customer\", \"kind\", "
			  "\"text_version\" and \"channel\" (strings; \"state\" one too if given)");
	else if ((rc = pv_notice_record(c->v, &who, customer, kind, version, channel, state,
					&number)) != PV_OK)
		pvs_fail(c->out, c->v, rc);
	else
		pvs_json(c->out, 201, json_pack("{s:I}", "notice", (json_int_t)number));
	json_decref(body);
}

/* The body {"state", "role"?}: a notice's delivery state. */
static void notice_state(struct pvs_call *c)
{
	json_t *body = pvs_body_object(c);
	if (!body)
		return;
	int bad = 0;
	const char *state = pvs_member(body, "state", &bad);
	pv_access who = { pvs_member(body, "role", &bad), NULL, PV_WANT_MASKED };
	char *end = NULL;
	long long number = strtoll(c->param, &end, 10);
	if (bad || !state || *end || number <= 0)
		pvs_error(c->out, 400, "bad_request", "a notice number in the path and \"state\" "
			  "in the body");
	else
		pvs_done(c, pv_notice_set_state(c->v, &who, number, state));
	json_decref(body);
}

static const struct pvs_route routes[] = {
	{ "POST", "/v1/transfers", PVS_SESSION, plan_transfer, 0 },
	{ "GET", "/v1/transfers", PVS_SESSION, list_transfers, 0 },
	{ "GET", "/v1/transfers/{id}", PVS_SESSION, show_transfer, 0 },
	{ "GET", "/v1/transfers/{id}/assessment", PVS_SESSION, transfer_assessment, 0 },
	{ "POST", "/v1/transfers/{id}/notices", PVS_SESSION, notify_transfer, 1 },
	{ "POST", "/v1/transfers/{id}/consents", PVS_SESSION, transfer_consent, 0 },
	{ "GET", "/v1/transfers/{id}/exclusions", PVS_SESSION, transfer_exclusions, 0 },
	{ "POST", "/v1/transfers/{id}/shred-excluded", PVS_SESSION, shred_excluded, 0 },
	{ "POST", "/v1/transfers/{id}/vault-key", PVS_SESSION, pin_vault_key, 0 },
	{ "POST", "/v1/notices", PVS_SESSION, record_notice, 0 },
	{ "GET", "/v1/notices", PVS_SESSION, list_notices, 0 },
	{ "POST", "/v1/notices/{number}/state", PVS_SESSION, notice_state, 0 },
};
PVS_ROUTE_TABLE(pvs_routes_transfers, routes);
