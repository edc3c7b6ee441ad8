/* SPDX-License-Identifier: Apache-2.0 */
/* compliance_report.h: the parts of the compliance audit report (pv_compliance_report,
 * compliance_report.c). Each part gathers its facts into the report's JSON document, counts
 * and ids only; the findings are read off the facts (compliance_findings.c); the text and
 * HTML forms render the document (compliance_text.c, compliance_html.c). */
#ifndef PV_COMPLIANCE_REPORT_H
#define PV_COMPLIANCE_REPORT_H

#include "vault.h"

#include <jansson.h>

/* At most this many ids are listed for one fact (the count is always whole). */
#define PV_REPORT_IDS_MAX 50

/* A report being made. */
struct pv_report {
	pv_vault *v;
	char as_of[11]; /* the day ages and deadlines are judged on */
	long today;	/* its day number */
	json_t *doc;	/* the facts, section by section, then "findings" */
};

/* Every customer opened (compliance_customers.c): "inventory" (values per field, category
 * and sensitivity), "encryption" (every sealed value checked), "retention" (values past
 * their due date, held, undetermined, due by month), "consents" by purpose. */
pv_rc pv_report_customers(struct pv_report *r);

/* The vault's registers (compliance_registers.c): "holds", "dsr", "approvals",
 * "incidents", "transfers", "certificates", "staff", and the schema's "fields" without
 * retention or purpose. */
pv_rc pv_report_registers(struct pv_report *r);

/* The audit log (compliance_log.c): "reads" per user and purpose and per day, "alerts",
 * "audit" (chain verified, last checkpoint), "keys" (ages, last rotations), "backup"
 * (last one and its verification). */
pv_rc pv_report_log(struct pv_report *r);

/* The findings read off the facts (compliance_findings.c): "findings", each with id,
 * severity (info, low, medium, high), the PIPL article and what was found. */
pv_rc pv_report_findings(struct pv_report *r);

/* The document as a text summary, and as one self-contained HTML page with inline SVG
 * charts (malloc'd; NULL when out of memory). */
char *pv_report_text(const json_t *doc);
char *pv_report_html(const json_t *doc);

/* A list of ids kept short: id appended while the array holds fewer than the maximum. */
static inline void pv_report_add_id(json_t *ids, const char *id)
{
	if (json_array_size(ids) < PV_REPORT_IDS_MAX)
		json_array_append_new(ids, json_string(id));
}

#endif
