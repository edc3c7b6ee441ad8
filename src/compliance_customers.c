/* SPDX-License-Identifier: Apache-2.0 */
/* compliance_customers.c: the compliance report's facts that need every customer opened
 * (customer_walk.c, the checking walk): how many values each field holds, by category and
 * sensitivity; encryption coverage, checked rather than assumed (each customer's data key
 * and sealed groups must authenticate; those that do not are counted and named by id);
 * values past their retention date, those under a legal hold, values whose due date cannot
 * be computed, values falling due in the next twelve months; consents in force and
 * withdrawn by purpose. Only counts and ids leave this file; the values are wiped by the
 * walk. */
#include "compliance_report.h"

#include "authz_mac.h"
#include "customer_walk.h"
#include "dates.h"
#include "retention.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MONTHS 12

struct tally {
	struct pv_report *r;
	const struct pv_schema *s;
	uint64_t customers, total, failed, groups, values;
	uint64_t *per_field;			 /* values held, per field */
	uint64_t past_customers, past_values, held_customers, undetermined;
	uint64_t due_month[MONTHS];		 /* values due in each coming month */
	uint64_t *granted, *withdrawn;		 /* per purpose */
	json_t *failed_ids, *past_ids, *held_ids;
	int month0;				 /* as_of's year * 12 + month - 1 */
	pv_rc rc;
};

static int month_number(const char *date)
{
	int y, m, d;
	return pv_date_parse(date, &y, &m, &d) == 0 ? y * 12 + m - 1 : -1;
}

/* One value's retention: 1 when past due as of the report's day. */
static int tally_due(struct tally *t, char **values, size_t i)
{
	char due[11];
	int kind = pv_retention_value_due(t->s, values, i, due);
	if (kind != 0) { /* 1: no date to count from, as the retention plan lists it; -1: no
			  * rule (a gap of the schema, its own finding) */
		t->undetermined += kind == 1;
		return 0;
	}
	if (strcmp(due, t->r->as_of) <= 0) {
		t->past_values++;
		return 1;
	}
	int k = month_number(due) - t->month0;
	if (k >= 0 && k < MONTHS)
		t->due_month[k]++;
	return 0;
}

static pv_rc tally_past(struct tally *t, const char *id)
{
	char reason[256], since[32];
	int held = pv_authz_hold_active(t->r->v, id, reason, sizeof reason, since, sizeof since);
	if (held < 0)
		return pv_fail(t->r->v, PV_ERR_STORE, "%s", pv_store_errmsg(t->r->v->store));
	t->past_customers++;
	if (held) {
		t->held_customers++;
		pv_report_add_id(t->held_ids, id);
	} else {
		pv_report_add_id(t->past_ids, id);
	}
	return PV_OK;
}

static int consent_one(void *ctx, const char *purpose, int granted)
{
	struct tally *t = ctx;
	int p = pv_schema_purpose_index(t->s, purpose);
	if (p >= 0) {
		t->granted[p] += granted != 0;
		t->withdrawn[p] += granted == 0;
	}
	return 0;
}

static int customer_one(void *ctx, const struct pv_stored_customer *c, char **values)
{
	struct tally *t = ctx;
	pv_progress(t->r->v, "scan", ++t->customers, t->total);
	for (int g = 0; g < PV_GROUPS; g++)
		t->groups += c->group_len[g] > 0;
	if (!values) { /* a data key or a sealed group that does not authenticate */
		t->failed++;
		pv_report_add_id(t->failed_ids, c->id);
		return 0;
	}
	int past = 0;
	for (size_t i = 0; i < t->s->nfields; i++) {
		if (!*values[i])
			continue;
		t->values++;
		t->per_field[i]++;
		past |= tally_due(t, values, i);
	}
	if (past && (t->rc = tally_past(t, c->id)) != PV_OK)
		return -1;
	if (pv_store_consent_scan(t->r->v->store, c->rid, consent_one, t) != 0) {
		t->rc = pv_fail(t->r->v, PV_ERR_STORE, "%s", pv_store_errmsg(t->r->v->store));
		return -1;
	}
	return 0;
}

/* ---- The facts as JSON ---- */

static json_t *inventory(const struct tally *t)
{
	json_t *fields = json_array(), *by = json_array();
	uint64_t nf[PV_CATEGORY_COUNT][3] = { { 0 } }, nv[PV_CATEGORY_COUNT][3] = { { 0 } };
	for (size_t i = 0; i < t->s->nfields; i++) {
		const struct pv_schema_field *f = &t->s->fields[i];
		json_array_append_new(fields, json_pack("{s:s, s:s, s:s, s:I}", "field", f->name,
			"category", pv_category_name(f->category), "sensitivity",
			pv_sensitivity_name(f->sensitivity), "values", (json_int_t)t->per_field[i]));
		nf[f->category][f->sensitivity]++;
		nv[f->category][f->sensitivity] += t->per_field[i];
	}
	for (int c = 0; c < PV_CATEGORY_COUNT; c++)
		for (int s = 0; s < 3; s++)
			json_array_append_new(by, json_pack("{s:s, s:s, s:I, s:I}", "category",
				pv_category_name((enum pv_category)c), "sensitivity",
				pv_sensitivity_name((enum pv_sensitivity)s), "fields",
				(json_int_t)nf[c][s], "values", (json_int_t)nv[c][s]));
	return json_pack("{s:I, s:o, s:o}", "customers", (json_int_t)t->customers, "fields",
			 fields, "by_category", by);
}

static json_t *encryption(struct tally *t)
{
	json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:O}", "customers",
			      (json_int_t)t->customers, "opened",
			      (json_int_t)(t->customers - t->failed), "failed",
			      (json_int_t)t->failed, "sealed_groups", (json_int_t)t->groups,
			      "values", (json_int_t)t->values, "failed_ids", t->failed_ids);
	return o;
}

static json_t *retention(struct tally *t)
{
	json_t *months = json_array();
	for (int k = 0; k < MONTHS; k++) {
		char label[24];
		int m = t->month0 + k;
		snprintf(label, sizeof label, "%04d-%02d", m / 12, m % 12 + 1);
		json_array_append_new(months, json_pack("{s:s, s:I}", "month", label, "values",
							(json_int_t)t->due_month[k]));
	}
	return json_pack("{s:s, s:I, s:I, s:I, s:I, s:O, s:O, s:o}", "as_of", t->r->as_of,
			 "past_due_customers", (json_int_t)(t->past_customers - t->held_customers),
			 "past_due_values", (json_int_t)t->past_values, "held_past_due",
			 (json_int_t)t->held_customers, "undetermined_values",
			 (json_int_t)t->undetermined, "past_due_ids", t->past_ids, "held_ids",
			 t->held_ids, "due_by_month", months);
}

static json_t *consents(const struct tally *t)
{
	json_t *a = json_array();
	for (size_t p = 0; p < t->s->npurposes; p++)
		json_array_append_new(a, json_pack("{s:s, s:b, s:I, s:I}", "purpose",
			t->s->purposes[p].name, "consent_required",
			t->s->purposes[p].consent_required, "granted", (json_int_t)t->granted[p],
			"withdrawn", (json_int_t)t->withdrawn[p]));
	return a;
}

static void tally_free(struct tally *t)
{
	free(t->per_field);
	free(t->granted);
	free(t->withdrawn);
	json_decref(t->failed_ids);
	json_decref(t->past_ids);
	json_decref(t->held_ids);
}

pv_rc pv_report_customers(struct pv_report *r)
{
	const struct pv_schema *s = r->v->schema;
	struct tally t = { .r = r, .s = s, .month0 = month_number(r->as_of) };
	size_t np = s->npurposes ? s->npurposes : 1;
	t.per_field = calloc(s->nfields ? s->nfields : 1, sizeof *t.per_field);
	t.granted = calloc(np, sizeof *t.granted);
	t.withdrawn = calloc(np, sizeof *t.withdrawn);
	t.failed_ids = json_array();
	t.past_ids = json_array();
	t.held_ids = json_array();
	pv_rc rc = PV_OK;
	if (!t.per_field || !t.granted || !t.withdrawn || !t.failed_ids || !t.past_ids ||
	    !t.held_ids)
		rc = pv_fail(r->v, PV_ERR_NOMEM, "out of memory");
	if (!rc)
		rc = pv_vault_count(r->v, &t.total);
	if (!rc)
		rc = pv_walk_checked(r->v, NULL, customer_one, &t);
	if (rc && t.rc)
		rc = t.rc;
	if (!rc)
		pv_progress(r->v, "scan", t.customers, t.total);
	if (!rc && (json_object_set_new(r->doc, "inventory", inventory(&t)) ||
		    json_object_set_new(r->doc, "encryption", encryption(&t)) ||
		    json_object_set_new(r->doc, "retention", retention(&t)) ||
		    json_object_set_new(r->doc, "consents", consents(&t))))
		rc = pv_fail(r->v, PV_ERR_NOMEM, "out of memory");
	tally_free(&t);
	return rc;
}
