/* SPDX-License-Identifier: Apache-2.0 */
/* compliance_registers.c: the compliance report's facts read from the vault's registers,
 * never from a customer value: the schema's fields without a retention rule or a purpose;
 * legal holds in force; data-subject requests open, overdue and closed late, with their
 * deadlines; four-eyes requests by state; incidents with their states and scope sizes;
 * transfers (cross-border ones counted) and destruction certificates from the shred
 * ledger; staff without a current confidentiality agreement or privacy training. */
#include "compliance_report.h"

#include "authz_mac.h"
#include "dates.h"
#include "ledger.h"
#include "retention.h"
#include "users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pv_rc store_failed(struct pv_report *r, const char *what)
{
	return pv_fail(r->v, PV_ERR_STORE, "%s: %s", what, pv_store_errmsg(r->v->store));
}

static long day_of(const char *at)
{
	int y, m, d;
	return pv_date_parse(at, &y, &m, &d) == 0 ? pv_days_from_civil(y, m, d) : -1;
}

/* Add n to the integer member key of o. */
static void bump(json_t *o, const char *key, json_int_t n)
{
	json_object_set_new(o, key, json_integer(json_integer_value(json_object_get(o, key)) + n));
}

/* ---- The schema ---- */

static json_t *schema_gaps(const struct pv_schema *s)
{
	json_t *no_rule = json_array(), *no_purpose = json_array();
	for (size_t i = 0; i < s->nfields; i++) {
		int rule = pv_retention_rule_of(s, i);
		if (rule < 0)
			json_array_append_new(no_rule, json_string(s->fields[i].name));
		if (!s->fields[i].purposes)
			json_array_append_new(no_purpose, json_string(s->fields[i].name));
	}
	return json_pack("{s:I, s:o, s:o}", "declared", (json_int_t)s->nfields,
			 "without_retention", no_rule, "without_purpose", no_purpose);
}

/* ---- Legal holds ---- */

static int hold_one(void *ctx, const char *customer, const char *reason, const char *by,
		    const char *since, const char *released, const char *released_by)
{
	(void)reason, (void)by, (void)since, (void)released_by;
	json_t *o = ctx;
	if (*released)
		bump(o, "released", 1);
	else {
		bump(o, "in_force", 1);
		pv_report_add_id(json_object_get(o, "customers"), customer);
	}
	return 0;
}

/* ---- Data-subject requests ---- */

struct dsr_ctx {
	struct pv_report *r;
	json_t *o;
};

static int dsr_one(void *ctx, const struct pv_stored_dsr *d)
{
	struct dsr_ctx *x = ctx;
	json_t *o = x->o;
	bump(o, "total", 1);
	if (*d->closed) {
		bump(o, strcmp(d->closed, d->due) > 0 ? "closed_late" : "closed", 1);
		return 0;
	}
	long left = day_of(d->due) - x->r->today;
	bump(o, left < 0 ? "overdue" : "open", 1);
	if (json_array_size(json_object_get(o, "pending")) < PV_REPORT_IDS_MAX)
		json_array_append_new(json_object_get(o, "pending"),
			json_pack("{s:s, s:s, s:s, s:I}", "id", d->id, "type", d->type, "due",
				  d->due, "days_left", (json_int_t)left));
	return 0;
}

/* ---- Four-eyes requests ---- */

static int request_one(void *ctx, const struct pv_stored_request *q)
{
	const char *state = q->state;
	if ((strcmp(state, "pending") == 0 || strcmp(state, "approved") == 0) &&
	    q->expires <= (int64_t)time(NULL))
		state = "expired";
	bump(ctx, state, 1);
	bump(ctx, "total", 1);
	return 0;
}

/* ---- Incidents ---- */

static int incident_one(void *ctx, const struct pv_stored_incident *c)
{
	json_t *o = ctx;
	bump(o, "total", 1);
	bump(json_object_get(o, "by_state"), c->state, 1);
	json_array_append_new(json_object_get(o, "items"),
		json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}", "id", c->id, "kind", c->kind, "state",
			  c->state, "detected_at", c->detected_at, "opened_at", c->opened_at,
			  "customers", 0));
	return 0;
}

static int scope_one(void *ctx, const char *customer, const char *categories)
{
	(void)customer, (void)categories;
	bump(ctx, "customers", 1);
	return 0;
}

static pv_rc incidents(struct pv_report *r, json_t *o)
{
	if (pv_store_incident_scan(r->v->store, incident_one, o) < 0)
		return store_failed(r, "incidents");
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(o, "items"), i, it)
		if (pv_store_incident_scope_scan(r->v->store, json_string_value(json_object_get(it, "id")), scope_one, it) < 0)
			return store_failed(r, "incident scope");
	return PV_OK;
}

/* ---- Transfers and certificates ---- */

static int transfer_one(void *ctx, const struct pv_stored_transfer *t)
{
	json_t *o = ctx;
	json_t *plan = json_loads(t->plan, 0, NULL);
	const char *country = json_string_value(
		json_object_get(json_object_get(plan, "recipient"), "country"));
	country = country ? country : "not recorded";
	bump(o, "total", 1);
	if (strcmp(country, "CN") != 0)
		bump(o, "cross_border", 1);
	json_array_append_new(json_object_get(o, "items"),
		json_pack("{s:s, s:s, s:s, s:s}", "id", t->id, "state", t->state, "created",
			  t->created, "country", country));
	json_decref(plan);
	return 0;
}

static int certificate_line(void *ctx, json_t *line)
{
	json_t *o = ctx;
	const char *hash = json_string_value(json_object_get(line, "certificate"));
	const char *text = json_string_value(json_object_get(line, "certificate_text"));
	json_t *seen = json_object_get(o, "seen");
	if (!json_object_get(line, "intent") || !hash || !text || json_object_get(seen, hash))
		return 0;
	json_object_set_new(seen, hash, json_true());
	json_t *doc = json_loads(text, 0, NULL);
	bump(o, "count", 1);
	bump(o, "customers", json_integer_value(
		json_object_get(json_object_get(doc, "certificate"), "count")));
	const char *at = json_string_value(json_object_get(line, "time"));
	if (at)
		json_object_set_new(o, "last", json_string(at));
	json_decref(doc);
	return 0;
}

static pv_rc certificates(struct pv_report *r, json_t *o)
{
	char why[300];
	uint64_t damaged = 0;
	json_object_set_new(o, "seen", json_object());
	int st = pv_ledger_each(r->v, certificate_line, o, &damaged, why, sizeof why);
	json_object_del(o, "seen");
	json_object_set_new(o, "damaged_lines", json_integer((json_int_t)damaged));
	return st < 0 ? pv_fail(r->v, PV_ERR_IO, "%s", why) : PV_OK;
}

/* ---- Staff ---- */

static int user_one(void *ctx, const struct pv_stored_user *u)
{
	json_t *o = ctx;
	if (u->disabled) {
		bump(o, "disabled", 1);
		return 0;
	}
	bump(o, "active", 1);
	char why[160];
	unsigned gaps = pv_user_obligation_gaps(u, why, sizeof why);
	if (gaps & PV_REQUIRES_AGREEMENT)
		json_array_append_new(json_object_get(o, "without_agreement"), json_string(u->name));
	if (gaps & PV_REQUIRES_TRAINING)
		json_array_append_new(json_object_get(o, "without_training"), json_string(u->name));
	return 0;
}

/* ---- All of them ---- */

static pv_rc scan_registers(struct pv_report *r, json_t *holds, json_t *dsr, json_t *req,
			    json_t *inc, json_t *tr, json_t *cert, json_t *staff)
{
	struct dsr_ctx dc = { r, dsr };
	pv_rc rc = PV_OK;
	if (pv_authz_hold_scan(r->v, hold_one, holds) < 0)
		rc = store_failed(r, "holds");
	if (!rc && pv_store_dsr_scan(r->v->store, dsr_one, &dc) < 0)
		rc = store_failed(r, "dsr");
	if (!rc && pv_authz_request_scan(r->v, request_one, req) < 0)
		rc = store_failed(r, "requests");
	if (!rc)
		rc = incidents(r, inc);
	if (!rc && pv_store_transfer_scan(r->v->store, transfer_one, tr) < 0)
		rc = store_failed(r, "transfers");
	if (!rc)
		rc = certificates(r, cert);
	if (!rc && pv_authz_user_scan(r->v, user_one, staff) < 0)
		rc = store_failed(r, "users");
	return rc;
}

pv_rc pv_report_registers(struct pv_report *r)
{
	json_t *holds = json_pack("{s:i, s:i, s:[]}", "in_force", 0, "released", 0, "customers");
	json_t *dsr = json_pack("{s:i, s:i, s:i, s:i, s:i, s:[]}", "total", 0, "open", 0,
				"overdue", 0, "closed", 0, "closed_late", 0, "pending");
	json_t *req = json_pack("{s:i, s:i, s:i, s:i, s:i, s:i}", "total", 0, "pending", 0,
				"approved", 0, "rejected", 0, "used", 0, "expired", 0);
	json_t *inc = json_pack("{s:i, s:{}, s:[]}", "total", 0, "by_state", "items");
	json_t *tr = json_pack("{s:i, s:i, s:[]}", "total", 0, "cross_border", 0, "items");
	json_t *cert = json_pack("{s:i, s:i, s:s}", "count", 0, "customers", 0, "last",
				 "not recorded");
	json_t *staff = json_pack("{s:i, s:i, s:[], s:[]}", "active", 0, "disabled", 0,
				  "without_agreement", "without_training");
	pv_rc rc = PV_OK;
	if (!holds || !dsr || !req || !inc || !tr || !cert || !staff)
		rc = pv_fail(r->v, PV_ERR_NOMEM, "out of memory");
	if (!rc)
		rc = scan_registers(r, holds, dsr, req, inc, tr, cert, staff);
	json_t *doc = r->doc;
	json_object_set_new(doc, "fields", schema_gaps(r->v->schema));
	json_object_set_new(doc, "holds", holds);
	json_object_set_new(doc, "dsr", dsr);
	json_object_set_new(doc, "approvals", req);
	json_object_set_new(doc, "incidents", inc);
	json_object_set_new(doc, "transfers", tr);
	json_object_set_new(doc, "certificates", cert);
	json_object_set_new(doc, "staff", staff);
	return rc;
}
