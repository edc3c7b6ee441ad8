/* SPDX-License-Identifier: Apache-2.0 */
/* compliance_report.c: pv_compliance_report, what a DPO hands to an auditor (合规审计, PIPL
 * art. 54). Needs 'report'; one audit entry (all customers, since every stored value is
 * opened to be checked) is written before anything is read. The parts gather their facts
 * (compliance_customers.c, compliance_registers.c, compliance_log.c), the findings are
 * read off them (compliance_findings.c), and the document is rendered as JSON, a text
 * summary or an HTML page. Counts and ids only: no personal value leaves the library. */
#include "compliance_report.h"

#include "audit.h"
#include "dates.h"
#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pv_rc report_day(struct pv_report *r, const char *as_of)
{
	int y, m, d;
	if (!as_of)
		pv_date_today(0, r->as_of);
	else if (strlen(as_of) != 10 || pv_date_parse(as_of, &y, &m, &d) != 0)
		return pv_fail(r->v, PV_ERR_USAGE, "as_of: not a date (YYYY-MM-DD)");
	else
		memcpy(r->as_of, as_of, sizeof r->as_of);
	if (pv_date_parse(r->as_of, &y, &m, &d) != 0)
		return pv_fail(r->v, PV_ERR_USAGE, "as_of: not a date (YYYY-MM-DD)");
	r->today = pv_days_from_civil(y, m, d);
	return PV_OK;
}

static pv_rc gather(struct pv_report *r)
{
	char made[32];
	pv_time_now(made, sizeof made);
	const char *label = r->v->schema->vault_label;
	if (json_object_set_new(r->doc, "vault", json_string(label ? label : "")) ||
	    json_object_set_new(r->doc, "as_of", json_string(r->as_of)) ||
	    json_object_set_new(r->doc, "made", json_string(made)) ||
	    json_object_set_new(r->doc, "made_by", json_string(r->v->principal)))
		return pv_fail(r->v, PV_ERR_NOMEM, "out of memory");
	pv_rc rc = pv_report_customers(r);
	if (!rc)
		rc = pv_report_registers(r);
	if (!rc)
		rc = pv_report_log(r);
	if (!rc)
		rc = pv_report_findings(r);
	return rc;
}

static char *render(const json_t *doc, pv_report_form form)
{
	switch (form) {
	case PV_REPORT_JSON: return json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	case PV_REPORT_HTML: return pv_report_html(doc);
	case PV_REPORT_TEXT: return pv_report_text(doc);
	}
	return NULL;
}

pv_rc pv_compliance_report(pv_vault *v, const pv_access *who, const char *as_of,
			   pv_report_form form, char **out)
{
	pv_audit_fresh(v); /* the log as it is now */
	if (out)
		*out = NULL;
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_REPORT, &role);
	if (rc)
		return pv_audit_failure(v, rc, "report", "*", who ? who->purpose : NULL);
	if (!out || (form != PV_REPORT_TEXT && form != PV_REPORT_JSON && form != PV_REPORT_HTML))
		return pv_fail(v, PV_ERR_USAGE, "a report needs a form (text, JSON or HTML) and "
			       "a place for it");
	struct pv_report r = { .v = v };
	if ((rc = report_day(&r, as_of)) != PV_OK)
		return rc;
	char detail[64];
	snprintf(detail, sizeof detail, "compliance report as of %s", r.as_of);
	const char *purpose = who ? who->purpose : NULL;
	struct pv_audit_event e = { "report", "*", purpose, NULL, "ok", detail };
	if ((rc = pv_audit_append(v, &e)) != PV_OK) /* fail closed: nothing read without it */
		return rc;
	r.doc = json_object();
	rc = r.doc ? gather(&r) : pv_fail(v, PV_ERR_NOMEM, "out of memory");
	if (!rc && !(*out = render(r.doc, form)))
		rc = pv_fail(v, PV_ERR_NOMEM, "out of memory");
	json_decref(r.doc);
	if (rc)
		return pv_audit_failure(v, rc, "report", "*", purpose);
	return pv_ok(v);
}

pv_rc pv_compliance_report_render(const char *json, pv_report_form form, char **out)
{
	*out = NULL;
	json_t *doc = json ? json_loads(json, 0, NULL) : NULL;
	if (!json_is_object(doc)) {
		json_decref(doc);
		return pv_fail(NULL, PV_ERR_INPUT, "the compliance report is not a JSON object");
	}
	*out = render(doc, form);
	json_decref(doc);
	return *out ? pv_ok(NULL) : pv_fail(NULL, PV_ERR_NOMEM, "out of memory");
}
