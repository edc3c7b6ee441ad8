/* SPDX-License-Identifier: Apache-2.0 */
/* routes_consent.c: a customer's consent: given or withdrawn for a purpose, by a channel,
 * under a consent text's version (as `pivault consent grant|withdraw`), and its history
 * (as `pivault consent show`). */
#include "route.h"

#include <jansson.h>

/* POST /v1/customers/{id}/consent {"purpose", "granted": bool, "channel",
 * "text_version"?, "role"?}: 204. */
static void set_consent(struct pvs_call *c)
{
	json_t *body = pvs_body_object(c);
	if (!body)
		return;
	int bad = 0;
	const char *purpose = pvs_member(body, "purpose", &bad);
	const char *channel = pvs_member(body, "channel", &bad);
	const char *version = pvs_member(body, "text_version", &bad);
	const char *role = pvs_member(body, "role", &bad);
	json_t *granted = json_object_get(body, "granted");
	if (bad || !purpose || !channel || !json_is_boolean(granted)) {
		pvs_error(c->out, 400, "bad_request", "the body needs \"purpose\" and \"channel\" "
			  "(strings) and \"granted\" (true or false); \"text_version\" and "
			  "\"role\" are strings");
	} else {
		pv_access who = { role ? role : pvs_arg(c, "role"), NULL, PV_WANT_MASKED };
		pvs_done(c, pv_consent_set(c->v, &who, c->param, purpose,
					   json_is_true(granted) ? PV_CONSENT_GRANTED
								 : PV_CONSENT_WITHDRAWN,
					   channel, version));
	}
	json_decref(body);
}

static int event_json(void *ctx, const pv_consent_event *e)
{
	return json_array_append_new(ctx, json_pack("{s:s,s:b,s:o,s:s,s:s,s:s}", "purpose",
						    e->purpose, "granted",
						    e->granted == PV_CONSENT_GRANTED, "at",
						    pvs_time_json(e->at), "channel", e->channel,
						    "text_version", e->text_version, "recorded_by",
						    e->recorded_by)) != 0;
}

/* GET /v1/customers/{id}/consent?role=R: {"events": [...]}, oldest first. */
static void consent_history(struct pvs_call *c)
{
	pv_access who = pvs_role_of(c);
	json_t *events = json_array();
	pv_rc rc = pv_consent_history(c->v, &who, c->param, event_json, events);
	if (rc) {
		json_decref(events);
		pvs_fail(c->out, c->v, rc);
		return;
	}
	pvs_json(c->out, 200, json_pack("{s:o}", "events", events));
}

static const struct pvs_route routes[] = {
	{ "POST", "/v1/customers/{id}/consent", PVS_SESSION, set_consent, 0 },
	{ "GET", "/v1/customers/{id}/consent", PVS_SESSION, consent_history, 0 },
};
PVS_ROUTE_TABLE(pvs_routes_consent, routes);
