/* SPDX-License-Identifier: Apache-2.0 */
/* dsr_fulfil.c: answering correction, restriction and objection requests (PIPL art.
 * 44-46, GDPR art. 16, 18, 21). A correction is an audited update of the fields the
 * customer names; a restriction leaves the data in place but readable only for legal
 * claims; an objection keeps the customer out of every handover and of every purpose that
 * needs consent, such as marketing. Each closes its request; restriction and objection
 * can be lifted again, audited. */
#include "audit.h"
#include "consent.h"
#include "dates.h"
#include "policy.h"
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The open request id of the given type; its customer into customer. */
static pv_rc open_request(pv_vault *v, const char *id, const char *type, char *customer,
			  size_t len)
{
	struct pv_stored_dsr d;
	int got = pv_store_dsr_get(v->store, id, &d);
	if (got != 0)
		return got < 0 ? pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store))
			       : pv_fail(v, PV_ERR_NOT_FOUND, "no data-subject request %s", id);
	if (strcmp(d.type, type) != 0)
		return pv_fail(v, PV_ERR_USAGE, "request %s asks for %s, not %s", id, d.type, type);
	if (*d.closed)
		return pv_fail(v, PV_ERR_USAGE, "request %s was closed on %s", id, d.closed);
	snprintf(customer, len, "%s", d.customer);
	return PV_OK;
}

/* Set or lift a flag with its audit entry, in one transaction. */
static pv_rc set_flag(pv_vault *v, const char *customer, int objection, const char *since,
		      const char *op, const char *detail)
{
	struct pv_stored_customer c;
	if (pv_store_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	pv_rc rc = pv_customer_find(v, customer, &c);
	if (!rc && pv_store_customer_flag_set(v->store, customer, objection, since) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	struct pv_audit_event e = { op, customer, NULL, NULL, "ok", detail };
	rc = pv_audit_commit(v, &e, rc);
	return rc;
}

pv_rc pv_dsr_fulfil(pv_vault *v, const pv_access *who, const char *dsr_id)
{
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_DSR, &role);
	if (rc)
		return pv_audit_failure(v, rc, "dsr fulfil", NULL, NULL);
	char customer[80], today[11], detail[160];
	struct pv_stored_dsr d;
	int got = pv_store_dsr_get(v->store, dsr_id, &d);
	if (got != 0)
		return got < 0 ? pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store))
			       : pv_fail(v, PV_ERR_NOT_FOUND, "no data-subject request %s", dsr_id);
	char type[16];
	snprintf(type, sizeof type, "%s", d.type); /* d is borrowed until the next store call */
	int objection = strcmp(type, "object") == 0;
	if (!objection && strcmp(type, "restrict") != 0)
		return pv_fail(v, PV_ERR_USAGE, "request %s asks for %s: fulfil restrict and object "
			       "requests here (correct: dsr correct; delete: dsr delete; access: dsr "
			       "report)", dsr_id, type);
	if ((rc = open_request(v, dsr_id, type, customer, sizeof customer)))
		return rc;
	pv_date_today(0, today);
	snprintf(detail, sizeof detail, "%s: %s", dsr_id,
		 objection ? "objection recorded: no handover, no purpose needing consent"
			   : "processing restricted: read only for legal claims");
	rc = set_flag(v, customer, objection, today, objection ? "dsr object" : "dsr restrict",
		      detail);
	if (rc)
		return pv_audit_failure(v, rc, objection ? "dsr object" : "dsr restrict", customer,
					NULL);
	return pv_dsr_close(v, who, dsr_id, objection
						    ? "objection recorded: left out of every handover "
						      "and of processing that needs consent"
						    : "processing restricted: the data is kept, read "
						      "only for legal claims");
}

pv_rc pv_dsr_lift(pv_vault *v, const pv_access *who, const char *customer, pv_dsr_lift_what what)
{
	int role;
	const char *op = (what == PV_LIFT_OBJECTION) ? "dsr lift objection" : "dsr lift restriction";
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_DSR, &role);
	if (rc)
		return pv_audit_failure(v, rc, op, customer, NULL);
	if (!pv_customer_id_ok(customer))
		return pv_no_customer(v, customer);
	rc = set_flag(v, customer, (what == PV_LIFT_OBJECTION), "", op,
		      (what == PV_LIFT_OBJECTION) ? "objection lifted" : "restriction lifted");
	return rc ? pv_audit_failure(v, rc, op, customer, NULL) : pv_ok(v);
}

pv_rc pv_dsr_correct(pv_vault *v, const pv_access *who, const char *dsr_id,
		     const char *const *fields, const char *const *values, size_t n)
{
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_DSR, &role);
	if (rc)
		return pv_audit_failure(v, rc, "dsr correct", NULL, NULL);
	char customer[80];
	if ((rc = open_request(v, dsr_id, "correct", customer, sizeof customer)))
		return rc;
	if (n == 0)
		return pv_fail(v, PV_ERR_USAGE, "name the corrected fields: FIELD=VALUE");
	/* the changes are one update, validated and audited as any other (needs 'update'):
	 * all of them or none */
	if ((rc = pv_update_fields(v, who, customer, fields, values, n)))
		return rc;
	char outcome[200] = "corrected: ";
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(outcome);
		snprintf(outcome + l, sizeof outcome - l, "%s%s", i ? ", " : "", fields[i]);
	}
	return pv_dsr_close(v, who, dsr_id, outcome);
}
