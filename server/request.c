/* SPDX-License-Identifier: Apache-2.0 */
/* request.c: reading a request as the route files do (query arguments, who acts, JSON
 * bodies) and printing the shapes several areas share (a record, "no content"). */
#include "route.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

const char *pvs_arg(const struct pvs_call *c, const char *name)
{
	return c->q->arg(c->q->conn, name);
}

pv_access pvs_reader_of(const struct pvs_call *c)
{
	const char *clear = pvs_arg(c, "clear");
	pv_access who = { pvs_arg(c, "role"), pvs_arg(c, "purpose"),
			  clear && strcmp(clear, "true") == 0 ? PV_WANT_CLEAR : PV_WANT_MASKED };
	return who;
}

pv_access pvs_role_of(const struct pvs_call *c)
{
	pv_access who = { pvs_arg(c, "role"), NULL, PV_WANT_MASKED };
	return who;
}

void *pvs_body_object(struct pvs_call *c)
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

const char *pvs_member(void *body, const char *key, int *bad)
{
	json_t *m = json_object_get(body, key);
	if (m && !json_is_string(m))
		*bad = 1;
	return json_is_string(m) ? json_string_value(m) : NULL;
}

void *pvs_body_acting(struct pvs_call *c, int empty_ok, pv_access *who)
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

static const char *view_name(pv_field_view view)
{
	return view == PV_SHOWN_CLEAR ? "clear" : "masked";
}

void *pvs_record_json(const pv_record *r)
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

void pvs_done(struct pvs_call *c, pv_rc rc)
{
	if (rc)
		pvs_fail(c->out, c->v, rc);
	else
		c->out->status = 204;
}

/* ---- Times ---- */

void *pvs_time_json(const char *iso)
{
	int64_t t = iso ? pv_time_unix(iso) : -1;
	return t < 0 ? json_null() : json_integer((json_int_t)t);
}
