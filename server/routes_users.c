/* SPDX-License-Identifier: Apache-2.0 */
/* routes_users.c: the vault's users over the API: listed with their roles, state and
 * staff obligations; added and reset under four eyes (202 with the request, then run under
 * the approved request, answering the requester's half of the enrolment code); disabled;
 * their obligations attested. The library decides who may do each (permission 'users'). */
#include "route.h"

#include <jansson.h>
#include <sodium.h>
#include <string.h>
#include <time.h>

static int listed_user(void *ctx, const pv_user_info *u)
{
	int locked = u->locked_until > (int64_t)time(NULL);
	const char *state = u->disabled ? "disabled" : u->waiting ? "waiting" : locked ? "locked"
										   : "active";
	return json_array_append_new(
		       ctx, json_pack("{s:s,s:s,s:s,s:b,s:I,s:i,s:s,s:s,s:s,s:b,s:s}", "name",
				      u->name, "roles", u->roles, "state", state, "locked", locked,
				      "locked_until", (json_int_t)u->locked_until, "failures",
				      u->failures, "agreement", u->agreement, "training",
				      u->training, "training_expires", u->training_expires,
				      "obligations_current", *u->gaps == '\0', "gaps",
				      u->gaps)) != 0;
}

/* ?gaps=true: only those missing an obligation. */
static void list_users(struct pvs_call *c)
{
	const char *gaps = pvs_arg(c, "gaps");
	pv_access who = pvs_role_of(c);
	json_t *list = json_array();
	pv_rc rc = pv_user_list(c->v, &who, gaps && !strcmp(gaps, "true") ? PV_USERS_WITH_GAPS
									  : PV_USERS_ALL,
				listed_user, list);
	if (rc) {
		json_decref(list);
		pvs_fail(c->out, c->v, rc);
		return;
	}
	pvs_json(c->out, 200, json_pack("{s:o}", "users", list));
}

/* Who acts: the body's "role" or ?role=. */
static pv_access actor(struct pvs_call *c, json_t *body, int *bad)
{
	pv_access who = pvs_role_of(c);
	const char *role = pvs_member(body, "role", bad);
	if (role)
		who.role = role;
	return who;
}

/* The half of the enrolment code the caller may see, wiped once printed. */
static void enrolment_answer(struct pvs_call *c, const char *name, char *half)
{
	pvs_json(c->out, 200, json_pack("{s:s,s:s,s:s}", "name", name, "state", "waiting",
					 "enrol_half", half));
	sodium_memzero(half, strlen(half));
	pv_free(half);
}

/* add ({"name", "roles"}) or reset (the path's name), under four eyes. */
static void add_or_reset(struct pvs_call *c, int add)
{
	json_t *body = c->q->len || add ? pvs_body_object(c) : json_object();
	if (!body)
		return;
	int bad = 0;
	const char *name = add ? pvs_member(body, "name", &bad) : c->param;
	const char *roles = add ? pvs_member(body, "roles", &bad) : NULL;
	pv_access who = actor(c, body, &bad);
	enum pvs_guard mode;
	if (bad || !name || (add && !roles)) {
		pvs_error(c->out, 400, "bad_request", add ? "the body needs \"name\" and \"roles\" "
			  "(strings; roles comma-separated)" : "\"role\" is a string");
	} else if (pvs_guard_begin(c, body, &mode) == 0) {
		char *half = NULL;
		pv_rc rc = add ? pv_user_add(c->v, &who, name, roles, &half)
			       : pv_user_reset(c->v, &who, name, &half);
		if (!pvs_guard_end(c, mode, rc)) {
			if (rc) {
				pvs_fail(c->out, c->v, rc);
			} else {
				enrolment_answer(c, name, half);
				half = NULL;
			}
		}
		if (half) {
			sodium_memzero(half, strlen(half));
			pv_free(half);
		}
	}
	json_decref(body);
}

static void add_user(struct pvs_call *c)
{
	add_or_reset(c, 1);
}

static void reset_user(struct pvs_call *c)
{
	add_or_reset(c, 0);
}

static void disable_user(struct pvs_call *c)
{
	json_t *body = c->q->len ? pvs_body_object(c) : json_object();
	if (!body)
		return;
	int bad = 0;
	pv_access who = actor(c, body, &bad);
	if (bad)
		pvs_error(c->out, 400, "bad_request", "\"role\" is a string");
	else
		pvs_done(c, pv_user_disable(c->v, &who, c->param));
	json_decref(body);
}

/* {"agreement"?, "training"?, "training_expires"?} as YYYY-MM-DD. */
static void attest_user(struct pvs_call *c)
{
	json_t *body = pvs_body_object(c);
	if (!body)
		return;
	int bad = 0;
	pv_access who = actor(c, body, &bad);
	const char *agreement = pvs_member(body, "agreement", &bad);
	const char *training = pvs_member(body, "training", &bad);
	const char *expires = pvs_member(body, "training_expires", &bad);
	if (bad || (!agreement && !training && !expires))
		pvs_error(c->out, 400, "bad_request", "the body needs \"agreement\", \"training\" "
			  "or \"training_expires\" (YYYY-MM-DD strings)");
	else
		pvs_done(c, pv_user_attest(c->v, &who, c->param, agreement, training, expires));
	json_decref(body);
}

static const struct pvs_route routes[] = {
	{ "GET", "/v1/users", PVS_SESSION, list_users, 0 },
	{ "POST", "/v1/users", PVS_SESSION, add_user, 0 },
	{ "POST", "/v1/users/{name}/reset", PVS_SESSION, reset_user, 0 },
	{ "POST", "/v1/users/{name}/disable", PVS_SESSION, disable_user, 0 },
	{ "POST", "/v1/users/{name}/attest", PVS_SESSION, attest_user, 0 },
};
PVS_ROUTE_TABLE(pvs_routes_users, routes);
