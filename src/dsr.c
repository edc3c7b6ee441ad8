/* SPDX-License-Identifier: Apache-2.0 */
/* dsr.c: data-subject requests (PIPL art. 44-47, GDPR art. 15-21): access, correction,
 * deletion, restriction and objection, each recorded with its legal deadline (15 days
 * under PIPL practice, 30 under GDPR, 45 under CCPA; per vault, meta "dsr_days_<law>"),
 * listed with what is overdue, and closed with its outcome. */
#include "approvals.h"
#include "audit.h"
#include "dates.h"
#include "holds.h"
#include "seal_gate.h"
#include "policy.h"
#include "record.h"
#include "erasure.h"
#include "retention.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct {
	const char *law;
	int days;
} deadlines[] = { { "pipl", 15 }, { "gdpr", 30 }, { "ccpa", 45 } };

static const char *const types[] = { "access", "correct", "delete", "restrict", "object" };

/* Today (UTC) as YYYY-MM-DD, and that date plus n days. */
static void dates(int n, char today[11], char due[11])
{
	pv_date_today(0, today);
	pv_date_today(n, due);
}

/* The deadline in days for law: the vault's setting, else the default; -1 if unknown. */
static int deadline_days(pv_vault *v, const char *law)
{
	int days = -1;
	for (size_t i = 0; i < sizeof deadlines / sizeof *deadlines; i++)
		if (strcmp(deadlines[i].law, law) == 0)
			days = deadlines[i].days;
	if (days < 0)
		return -1;
	char key[40];
	uint8_t *val = NULL;
	snprintf(key, sizeof key, "dsr_days_%s", law);
	if (pv_store_meta_get(v->store, key, &val, NULL) == 0) {
		int n = atoi((char *)val);
		if (n > 0)
			days = n;
	}
	free(val);
	return days;
}

pv_rc pv_dsr_open(pv_vault *v, const pv_access *who, const char *customer, const char *type,
		  const char *law, char **id)
{
	*id = NULL;
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_DSR, &role);
	if (rc)
		return pv_audit_failure(v, rc, "dsr open", customer, NULL);
	int known = 0;
	for (size_t i = 0; i < sizeof types / sizeof *types; i++)
		known |= strcmp(types[i], type) == 0;
	if (!known)
		return pv_fail(v, PV_ERR_USAGE, "a request is one of access, correct, delete, "
			       "restrict, object");
	law = law ? law : "pipl";
	int days = deadline_days(v, law);
	if (days < 0)
		return pv_fail(v, PV_ERR_USAGE, "unknown jurisdiction '%s' (pipl, gdpr, ccpa)", law);
	char today[11], due[11], rid[16], detail[96];
	dates(days, today, due);
	uint8_t rnd[4];
	pv_random(rnd, sizeof rnd);
	char hex[9];
	pv_hex(hex, rnd, sizeof rnd);
	snprintf(rid, sizeof rid, "D-%s", hex);
	snprintf(detail, sizeof detail, "%s request %s under %s, due %s", type, rid, law, due);
	if (pv_store_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	struct pv_stored_customer c;
	rc = pv_customer_find(v, customer, &c);
	struct pv_stored_dsr d = { rid, customer, type, law, today, due, v->principal, "", "" };
	if (!rc && pv_store_dsr_put(v->store, &d) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	struct pv_audit_event e = { "dsr open", customer, NULL, NULL, "ok", detail };
	if ((rc = pv_audit_commit(v, &e, rc)) != PV_OK)
		return pv_audit_failure(v, rc, "dsr open", customer, NULL);
	*id = strdup(rid);
	return *id ? pv_ok(v) : pv_fail(v, PV_ERR_NOMEM, "out of memory");
}

pv_rc pv_dsr_close(pv_vault *v, const pv_access *who, const char *id, const char *outcome)
{
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_DSR, &role);
	if (rc)
		return pv_audit_failure(v, rc, "dsr close", NULL, NULL);
	if (!outcome || !*outcome)
		return pv_fail(v, PV_ERR_USAGE, "say how the request was answered (--outcome)");
	if (pv_store_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	struct pv_stored_dsr d;
	char customer[80], today[11], unused[11], copy[9][256];
	int got = pv_store_dsr_get(v->store, id, &d);
	if (got != 0)
		rc = got < 0 ? pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store))
			     : pv_fail(v, PV_ERR_NOT_FOUND, "no data-subject request %s", id);
	else if (*d.closed)
		rc = pv_fail(v, PV_ERR_USAGE, "request %s was closed on %s", id, d.closed);
	if (!rc) {
		const char **f[] = { &d.id, &d.customer, &d.type, &d.jurisdiction, &d.opened, &d.due,
				     &d.opened_by, &d.closed, &d.outcome };
		for (int i = 0; i < 9; i++) {
			snprintf(copy[i], sizeof copy[i], "%s", *f[i]);
			*f[i] = copy[i];
		}
		snprintf(customer, sizeof customer, "%s", d.customer);
		dates(0, today, unused);
		d.closed = today;
		d.outcome = outcome;
		if (pv_store_dsr_put(v->store, &d) != 0)
			rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	}
	char detail[160];
	snprintf(detail, sizeof detail, "%s closed%s", id,
		 !rc && strcmp(today, d.due) > 0 ? " late" : "");
	struct pv_audit_event e = { "dsr close", customer, NULL, NULL, "ok", detail };
	rc = pv_audit_commit(v, &e, rc);
	return rc ? pv_audit_failure(v, rc, "dsr close", NULL, NULL) : pv_ok(v);
}

/* A law (a retention rule with law:) that still requires keeping the customer's data
 * wins over the request too: the refusal names the law and the date. */
static pv_rc legal_retention(pv_vault *v, const char *customer)
{
	struct pv_stored_customer c;
	char **values, today[11], until[11];
	const char *law;
	pv_rc rc = pv_customer_find(v, customer, &c);
	if (!rc)
		rc = pv_open_customer(v, &c, &values);
	if (rc)
		return rc;
	pv_date_today(0, today);
	if (pv_retention_legal_keep(v->schema, values, today, until, &law, NULL))
		rc = pv_fail(v, PV_ERR_DENIED, "customer %s must be kept until %s under %s: the "
			     "request stays open; answer the customer with this law and date",
			     customer, until, law);
	pv_values_wipe_free(values, v->schema->nfields);
	return rc;
}

/* A sealed customer's deletion waits for the incident's release; the request stays open. */
static pv_rc sealed_until_release(pv_vault *v, const char *customer, const char *dsr_id)
{
	pv_rc rc = pv_seal_forbids_erasure(v, customer);
	if (rc == PV_ERR_SEALED) {
		char why[sizeof v->errmsg];
		snprintf(why, sizeof why, "%s", v->errmsg);
		return pv_fail(v, rc, "%.700s; request %s stays open: delete after the release",
			       why, dsr_id);
	}
	return rc;
}

pv_rc pv_dsr_delete(pv_vault *v, const pv_access *who, const char *dsr_id,
		    char **certificate)
{
	*certificate = NULL;
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_DSR, &role);
	if (!rc)
		rc = pv_policy_authorize(v, who, PV_OP_SHRED, &role);
	if (rc)
		return pv_audit_failure(v, rc, "dsr delete", NULL, NULL);
	struct pv_stored_dsr d;
	char customer[80];
	int got = pv_store_dsr_get(v->store, dsr_id, &d);
	if (got != 0)
		return got < 0 ? pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store))
			       : pv_fail(v, PV_ERR_NOT_FOUND, "no data-subject request %s", dsr_id);
	if (strcmp(d.type, "delete") != 0)
		return pv_fail(v, PV_ERR_USAGE, "request %s asks for %s, not deletion", dsr_id,
			       d.type);
	if (*d.closed)
		return pv_fail(v, PV_ERR_USAGE, "request %s was closed on %s", dsr_id, d.closed);
	snprintf(customer, sizeof customer, "%s", d.customer);
	/* a legal hold wins over the request: say so, and leave it open for the reply; so
	 * does an incident's seal, until its release (then the request is answered) */
	if ((rc = pv_hold_check(v, customer)) != PV_OK || (rc = legal_retention(v, customer)) ||
	    (rc = sealed_until_release(v, customer, dsr_id)) != PV_OK)
		return pv_audit_failure(v, rc, "dsr delete", customer, NULL);
	const char *ids[] = { customer };
	char grounds[96];
	snprintf(grounds, sizeof grounds, "deletion request %.40s of the customer", dsr_id);
	struct pv_params p; /* what is approved: this request's customer */
	pv_params_init(&p);
	pv_params_add(&p, "request", dsr_id);
	pv_params_add(&p, "customer", customer);
	rc = pv_shred_run(v, ids, 1, "dsr delete", &p, grounds, certificate);
	pv_params_free(&p);
	if (!*certificate) /* nothing shredded */
		return rc;
	char after[sizeof v->errmsg]; /* what failed after the shred's commit, if anything */
	snprintf(after, sizeof after, "%s", rc ? v->errmsg : "");
	pv_rc closed = pv_dsr_close(v, who, dsr_id,
				    "customer crypto-shredded; destruction certificate issued");
	if (closed)
		return pv_fail(v, closed, "customer %s was shredded (certificate issued), but request "
			       "%s could not be closed: %.600s%s%.300s", customer, dsr_id,
			       v->errmsg, rc ? "; and " : "", after);
	return rc ? pv_fail(v, rc, "%s", after) : PV_OK;
}

struct list_ctx {
	int overdue_only;
	char today[11];
	pv_dsr_fn fn;
	void *ctx;
	struct pv_shown shown;
};

static int list_one(void *p, const struct pv_stored_dsr *d)
{
	struct list_ctx *l = p;
	int overdue = !*d->closed && strcmp(l->today, d->due) > 0;
	if (l->overdue_only && !overdue)
		return 0;
	const char *state = *d->closed ? (strcmp(d->closed, d->due) > 0 ? "closed late" : "closed")
					: overdue ? "overdue" : "open";
	int show = pv_shown_row(&l->shown, d->customer);
	if (show <= 0)
		return show;
	pv_dsr_info info = { d->id, d->customer, d->type, d->jurisdiction, d->opened, d->due,
			     state, d->closed, d->outcome };
	return l->fn(l->ctx, &info) ? 1 : 0;
}

pv_rc pv_dsr_list(pv_vault *v, const pv_access *who, pv_dsr_filter which, pv_dsr_fn fn, void *ctx)
{
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_DSR, &role);
	if (rc)
		return pv_audit_failure(v, rc, "dsr list", NULL, NULL);
	struct pv_audit_event e = { "dsr list", NULL, NULL, NULL, "ok",
				    (which == PV_DSR_OVERDUE) ? "overdue only" : NULL };
	struct list_ctx l = { (which == PV_DSR_OVERDUE), "", fn, ctx, { { 0 }, 0 } };
	char unused[11];
	dates(0, l.today, unused);
	if (pv_store_dsr_scan(v->store, list_one, &l) < 0) /* the ids, named first */
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (!rc)
		rc = pv_shown_audit(v, &l.shown, &e);
	if (!rc && pv_store_dsr_scan(v->store, list_one, &l) < 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	pv_shown_free(&l.shown);
	return rc ? rc : pv_ok(v);
}
