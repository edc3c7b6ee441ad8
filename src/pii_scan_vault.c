/* SPDX-License-Identifier: Apache-2.0 */
/* pii_scan_vault.c: pv_scan_vault, undeclared personal information in the vault's fields
 * declared as plain text: every customer opened (customer_walk.c), the text fields the
 * role sees in clear scanned by the detector, counts kept, values wiped by the walk. The
 * scan is audited before the first value is opened. */
#include "pii_scan.h"

#include "audit.h"
#include "customer_walk.h"
#include "errors.h"
#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct text_field {
	int index;   /* in the schema */
	int read;    /* 0: the role does not see it in clear */
	char declared[48];
	struct pv_pii_tally tally;
};

struct vault_scan {
	struct text_field *f;
	size_t n, nread;
	int min_conf;
	uint64_t customers, total;
	pv_vault *v;
};

/* The text fields of the schema, each marked read when who's role (index role) sees it in
 * clear for the declared purpose. */
static pv_rc text_fields(pv_vault *v, int role, const pv_access *who, struct vault_scan *s)
{
	const struct pv_schema *schema = v->schema;
	pv_access clear = *who;
	clear.want_clear = PV_WANT_CLEAR;
	s->f = calloc(schema->nfields ? schema->nfields : 1, sizeof *s->f);
	if (!s->f)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < schema->nfields; i++) {
		const struct pv_schema_field *fd = &schema->fields[i];
		if (fd->type != PV_T_TEXT)
			continue;
		struct text_field *t = &s->f[s->n++];
		t->index = (int)i;
		t->read = pv_policy_field_view(v, role, &clear, i) == PV_VIEW_CLEAR;
		s->nread += (size_t)t->read;
		snprintf(t->declared, sizeof t->declared, "text, mask %s", pv_mask_name(fd->mask));
		pv_pii_tally_init(&t->tally, fd->mask);
	}
	return PV_OK;
}

static int scan_customer(void *ctx, const struct pv_stored_customer *c, char **values)
{
	struct vault_scan *s = ctx;
	(void)c;
	pv_progress(s->v, "scan", ++s->customers, s->total);
	for (size_t k = 0; k < s->n; k++) {
		const char *val = s->f[k].read ? values[s->f[k].index] : NULL;
		if (s->f[k].read)
			pv_pii_tally_value(&s->f[k].tally, val ? val : "", val ? strlen(val) : 0,
					   s->min_conf);
	}
	return 0;
}

/* The audit entry written before any value is opened: the fields read and left, counts. */
static pv_rc audit_scan(pv_vault *v, const pv_access *who, const struct vault_scan *s)
{
	char detail[128];
	snprintf(detail, sizeof detail, "pii scan: %zu text fields read, %zu not seen in clear, "
		 "%llu customers", s->nread, s->n - s->nread, (unsigned long long)s->total);
	struct pv_audit_event e = { "scan", "*", who->purpose, NULL, "ok", detail };
	return pv_audit_append(v, &e);
}

/* Pass the fields to fn: those read that hold something undeclared, and those not read. */
static void report_fields(pv_vault *v, struct vault_scan *s, pv_scan_column_fn fn, void *ctx)
{
	for (size_t k = 0; k < s->n; k++) {
		struct text_field *t = &s->f[k];
		const char *name = v->schema->fields[t->index].name;
		pv_scan_column out;
		char why[128];
		if (t->read && !pv_pii_tally_found(&t->tally))
			continue;
		pv_pii_tally_report(&t->tally, name, t->declared, &out, why, sizeof why);
		if (!t->read) {
			out.rows = 0;
			out.suggestion = "not read: the role does not see this field in clear";
		}
		if (fn && fn(ctx, &out) != 0)
			return;
	}
}

pv_rc pv_scan_vault(pv_vault *v, const pv_access *who, const pv_scan_opts *o,
		    pv_scan_column_fn fn, void *ctx, uint64_t *customers)
{
	int role = -1;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_SCAN, &role);
	if (rc)
		return pv_audit_failure(v, rc, "scan", "*", who ? who->purpose : NULL);
	struct vault_scan s = { NULL, 0, 0, PV_PII_MIN_CONFIDENCE, 0, 0, v };
	if (o && o->min_confidence > 0)
		s.min_conf = o->min_confidence;
	rc = text_fields(v, role, who, &s);
	if (!rc)
		rc = pv_vault_count(v, &s.total);
	if (!rc)
		rc = audit_scan(v, who, &s); /* fail closed: nothing is opened without it */
	if (!rc && s.nread > 0)
		rc = pv_walk_opened(v, NULL, scan_customer, &s);
	if (customers)
		*customers = s.customers;
	if (!rc)
		report_fields(v, &s, fn, ctx);
	free(s.f);
	return rc ? rc : pv_ok(v);
}

pv_rc pv_scan_csv_stream(pv_vault *v, const pv_access *who, FILE *in, const char *name,
			 const pv_scan_opts *o, pv_scan_column_fn fn, void *ctx, uint64_t *rows)
{
	int role = -1;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_SCAN, &role);
	if (rc)
		return pv_audit_failure(v, rc, "scan", NULL, who ? who->purpose : NULL);
	uint64_t n = 0;
	rc = pv_scan_csv_read(in, name ? name : "the CSV text", v->schema,
			      o ? o->min_confidence : 0, fn, ctx, &n);
	if (rows)
		*rows = n;
	if (rc) {
		rc = pv_fail(v, rc, "%s", pv_errmsg(NULL));
		return pv_audit_failure(v, rc, "scan", NULL, who ? who->purpose : NULL);
	}
	char detail[96];
	snprintf(detail, sizeof detail, "pii scan of a CSV text: %llu data rows",
		 (unsigned long long)n);
	struct pv_audit_event e = { "scan", NULL, who ? who->purpose : NULL, NULL, "ok", detail };
	return (rc = pv_audit_append(v, &e)) ? rc : pv_ok(v);
}
