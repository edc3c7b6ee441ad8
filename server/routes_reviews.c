/* SPDX-License-Identifier: Apache-2.0 */
/* routes_reviews.c: accuracy reviews (定期审查) over the API, as `pivault review` has them:
 * the customers whose data should be re-confirmed (ids, when last confirmed, the channels
 * to reach them: never a value), and a customer's confirmation recorded. Every rule is the
 * library's ('list' for the first, 'update' for the second). */
#include "route.h"

#include <jansson.h>
#include <limits.h>
#include <stdlib.h>

static int listed_due(void *ctx, const pv_review_info *r)
{
	return json_array_append_new(ctx, json_pack("{s:s,s:s,s:s}", "id", r->id,
						    "last_confirmed", r->last_confirmed,
						    "channels", r->channels)) != 0;
}

/* ?months=N (absent or 0: the library's default): {"customers": [...]}, oldest first. */
static void reviews_due(struct pvs_call *c)
{
	const char *arg = pvs_arg(c, "months");
	char *end = NULL;
	unsigned long months = arg ? strtoul(arg, &end, 10) : 0;
	if (arg && (*end || end == arg || *arg == '-' || months > UINT_MAX)) {
		pvs_error(c->out, 400, "bad_request", "?months= takes a number of months");
		return;
	}
	pv_access who = pvs_role_of(c);
	json_t *list = json_array();
	pv_rc rc = pv_review_due(c->v, &who, (unsigned)months, listed_due, list);
	if (rc) {
		json_decref(list);
		pvs_fail(c->out, c->v, rc);
		return;
	}
	pvs_json(c->out, 200, json_pack("{s:o}", "customers", list));
}

/* The body {"channel", "role"?}: the customer confirmed its data today (204). */
static void confirm_review(struct pvs_call *c)
{
	pv_access who;
	json_t *body = pvs_body_acting(c, 0, &who);
	if (!body)
		return;
	int bad = 0;
	const char *channel = pvs_member(body, "channel", &bad);
	if (bad || !channel)
		pvs_error(c->out, 400, "bad_request", "the body needs \"channel\" (a string)");
	else
		pvs_done(c, pv_review_confirm(c->v, &who, c->param, channel));
	json_decref(body);
}

static const struct pvs_route routes[] = {
	{ "GET", "/v1/reviews/due", PVS_SESSION, reviews_due, 0 },
	{ "POST", "/v1/customers/{id}/confirmations", PVS_SESSION, confirm_review, 0 },
};
PVS_ROUTE_TABLE(pvs_routes_reviews, routes);
