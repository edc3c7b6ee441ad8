/* SPDX-License-Identifier: Apache-2.0 */
/* authz_table.c: the roles and operations of the authorisation matrix (authz_table.h). */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "authz_table.h"
#include "pivault.h"

/* ---- the roles, from examples/schema.yaml -------------------------------------------
 *   admin:   {clear: all, purposes: all, operations: all}
 *   dpo:     {... purposes: all, operations: [read, find, list, export, shred, retention,
 *             consent, dsr, hold, approve, audit, report, handover, decommission,
 *             incident, scan]}
 *   clerk:   {... purposes: [service], operations: [read, find, list]}
 *   finance: {... purposes: [billing], operations: [read, find, list, export]}
 *   auditor: {masked: all, purposes: all, operations: [audit, report, list]} */
const struct pvat_role pvat_roles[] = {
	{ "admin", "all", "all" },
	{ "dpo", "all", "read find list export shred retention consent dsr hold approve audit "
			"report handover decommission incident scan" },
	{ "clerk", "service", "read find list" },
	{ "finance", "billing", "read find list export" },
	{ "auditor", "all", "audit report list" },
};
const size_t pvat_nroles = sizeof pvat_roles / sizeof *pvat_roles;

/* ---- the operations, from include/pivault.h ("Needs '...'") ------------------------------ */
#define NEEDS(...) { __VA_ARGS__, NULL }
const struct pvat_op pvat_ops[] = {
	{ "pv_get", NULL, NEEDS("read"), 0, 0 },
	{ "pv_get_many", NULL, NEEDS("read"), 0, 0 },
	{ "pv_find", NULL, NEEDS("find"), 0, 0 },
	{ "pv_find_records", NULL, NEEDS("find", "read"), 0, 0 },
	{ "pv_list", NULL, NEEDS("list"), 0, 0 },
	{ "pv_update_fields", NULL, NEEDS("update"), 0, 0 },
	{ "pv_update", NULL, NEEDS("update"), 0, 0 },
	{ "pv_export", "masked", NEEDS("export"), 0, 0 },
	{ "pv_export", "clear", NEEDS("export"), 1, 0 },
	{ "pv_export_file", NULL, NEEDS("export"), 0, 0 },
	{ "pv_import_csv", NULL, NEEDS("import"), 0, 0 },
	{ "pv_import_csv_fd", NULL, NEEDS("import"), 0, 0 },
	{ "pv_user_add", NULL, NEEDS("users"), 1, 0 },
	{ "pv_user_reset", NULL, NEEDS("users"), 1, 0 },
	{ "pv_user_disable", NULL, NEEDS("users"), 0, 0 },
	{ "pv_user_attest", NULL, NEEDS("users"), 0, 0 },
	{ "pv_user_list", NULL, NEEDS("users"), 0, 0 },
	{ "pv_request_decide", "unknown request", NEEDS("approve"), 0, 0 },
	{ "pv_request_decide_why", "unknown request", NEEDS("approve"), 0, 0 },
	{ "pv_shred", NULL, NEEDS("shred"), 1, 0 },
	{ "pv_consent_set", NULL, NEEDS("consent"), 0, 0 },
	{ "pv_consent_history", NULL, NEEDS("consent"), 0, 0 },
	{ "pv_dsr_open", NULL, NEEDS("dsr"), 0, 0 },
	{ "pv_dsr_delete", NULL, NEEDS("dsr", "shred"), 1, 0 },
	{ "pv_dsr_fulfil", NULL, NEEDS("dsr"), 0, 0 },
	{ "pv_dsr_lift", NULL, NEEDS("dsr"), 0, 0 },
	{ "pv_dsr_correct", NULL, NEEDS("dsr", "update"), 0, 0 },
	{ "pv_dsr_close", NULL, NEEDS("dsr"), 0, 0 },
	{ "pv_dsr_list", NULL, NEEDS("dsr"), 0, 0 },
	{ "pv_dsr_access_report", NULL, NEEDS("dsr", "read"), 0, 0 },
	{ "pv_review_confirm", NULL, NEEDS("update"), 0, 0 },
	{ "pv_review_due", NULL, NEEDS("list"), 0, 0 },
	{ "pv_complaint_open", NULL, NEEDS("dsr"), 0, 0 },
	{ "pv_complaint_note", NULL, NEEDS("dsr"), 0, 0 },
	{ "pv_complaint_resolve", NULL, NEEDS("dsr"), 0, 0 },
	{ "pv_complaint_list", NULL, NEEDS("dsr"), 0, 0 },
	{ "pv_complaint_show", NULL, NEEDS("dsr"), 0, 0 },
	{ "pv_incident_open", NULL, NEEDS("incident"), 0, 0 },
	{ "pv_incident_scope", NULL, NEEDS("incident"), 0, 0 },
	{ "pv_incident_set_state", NULL, NEEDS("incident"), 0, 0 },
	{ "pv_incident_get", NULL, NEEDS("incident"), 0, 0 },
	{ "pv_incident_list", NULL, NEEDS("incident"), 0, 0 },
	/* incident notify (H-notify) */
	{ "pv_incident_notify", NULL, NEEDS("incident"), 0, 0 },
	{ "pv_incident_seal", NULL, NEEDS("incident"), 0, 0 },
	{ "pv_incident_release", NULL, NEEDS("incident"), 1, 0 },
	{ "pv_retention_plan", NULL, NEEDS("retention"), 0, 0 },
	{ "pv_retention_apply", NULL, NEEDS("retention"), 1, 0 },
	{ "pv_retention_undetermined_count", "retention or report", NEEDS("retention", "report"), 0, 1 },
	{ "pv_transfer_plan", NULL, NEEDS("handover"), 0, 0 },
	{ "pv_transfer_pin_vault_key", NULL, NEEDS("handover"), 1, 0 },
	{ "pv_transfer_list", NULL, NEEDS("handover"), 0, 0 },
	{ "pv_transfer_assessment", NULL, NEEDS("handover"), 0, 0 },
	{ "pv_transfer_consent", NULL, NEEDS("consent"), 0, 0 },
	{ "pv_transfer_exclusions", NULL, NEEDS("handover"), 0, 0 },
	{ "pv_transfer_notify", NULL, NEEDS("handover"), 0, 0 },
	{ "pv_transfer_shred_excluded", NULL, NEEDS("shred"), 1, 0 },
	{ "pv_handover_export", NULL, NEEDS("handover"), 1, 0 },
	{ "pv_handover_import", "no package", NEEDS("import"), 0, 0 },
	{ "pv_handover_check_receipt", "not a receipt", NEEDS("handover"), 0, 0 },
	{ "pv_handover_confirm", "not a receipt", NEEDS("handover", "shred"), 1, 0 },
	{ "pv_decommission_plan", NULL, NEEDS("decommission"), 0, 0 },
	{ "pv_decommission_run", NULL, NEEDS("decommission"), 1, 0 },
	{ "pv_backup_create", NULL, NEEDS("backup"), 0, 0 },
	{ "pv_rekey", NULL, NEEDS("rekey"), 0, 0 },
	{ "pv_vault_rekey_root", "the current secret", NEEDS("rekey"), 0, 0 },
	{ "pv_notice_record", "transfer", NEEDS("handover"), 0, 0 },
	{ "pv_notice_record", "breach", NEEDS("incident"), 0, 0 },
	{ "pv_notice_record", "dsr-reply", NEEDS("dsr"), 0, 0 },
	{ "pv_notice_record", "consent", NEEDS("consent"), 0, 0 },
	{ "pv_notice_record", "policy", NEEDS("consent"), 0, 0 },
	{ "pv_notice_set_state", "breach", NEEDS("incident"), 0, 0 },
	{ "pv_notice_list", NULL, NEEDS("report"), 0, 0 },
	{ "pv_hold_add", NULL, NEEDS("hold"), 0, 0 },
	{ "pv_hold_release", NULL, NEEDS("hold"), 0, 0 },
	{ "pv_hold_list", NULL, NEEDS("hold"), 0, 0 },
	{ "pv_keyring_escrow", NULL, NEEDS("backup"), 0, 0 },
	{ "pv_audit_log", NULL, NEEDS("audit"), 0, 0 },
	{ "pv_audit_alerts", NULL, NEEDS("audit"), 0, 0 },
	{ "pv_audit_set_alert_threshold", NULL, NEEDS("audit"), 1, 0 },
	{ "pv_audit_checkpoint", NULL, NEEDS("audit"), 0, 0 },
	{ "pv_audit_verify", NULL, NEEDS("audit"), 0, 0 },
	{ "pv_audit_prove", NULL, NEEDS("audit"), 0, 0 },
	{ "pv_audit_consistency", NULL, NEEDS("audit"), 0, 0 },
	{ "pv_doctor", NULL, NEEDS("audit"), 0, 0 },
	{ "pv_scan_vault", NULL, NEEDS("scan"), 0, 0 },
	{ "pv_scan_csv_stream", NULL, NEEDS("scan"), 0, 0 },
	{ "pv_compliance_report", NULL, NEEDS("report"), 0, 0 },
	{ "pv_certificates", "audit or shred", NEEDS("audit", "shred"), 0, 1 },
	{ "pv_node_list", NULL, NEEDS("audit"), 0, 0 },
	{ "pv_node_retire", "unknown node", NEEDS("shred"), 1, 0 },
	{ "pv_api_token_create", NULL, NEEDS("users"), 0, 0 },
	{ "pv_api_token_list", NULL, NEEDS("users"), 0, 0 },
	{ "pv_api_token_revoke", "unknown token", NEEDS("users"), 0, 0 },
	/* tokens for other systems */
	{ "pv_tokenize", NULL, NEEDS("tokenize"), 0, 0 },
	{ "pv_detokenize", NULL, NEEDS("read"), 0, 0 },
	/* no refusal: every role lists (its own requests, or all with 'approve' or 'audit') */
	{ "pv_request_list", NULL, { NULL }, 0, 0 },
	/* issue 13's API gaps */
	{ "pv_audit_checkpoints", NULL, NEEDS("audit"), 0, 0 },
	{ "pv_export_sealed", NULL, NEEDS("export"), 0, 0 },
};
const size_t pvat_nops = sizeof pvat_ops / sizeof *pvat_ops;

int pvat_grants(const struct pvat_role *r, const char *perm)
{
	if (strcmp(r->grants, "all") == 0)
		return 1;
	size_t n = strlen(perm);
	for (const char *p = r->grants; (p = strstr(p, perm)) != NULL; p += n)
		if ((p == r->grants || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

const char *pvat_missing(const struct pvat_op *o, const struct pvat_role *r)
{
	const char *missing = NULL;
	int granted = 0;
	for (size_t i = 0; o->needs[i]; i++) {
		granted += pvat_grants(r, o->needs[i]);
		if (!pvat_grants(r, o->needs[i]) && !missing)
			missing = o->needs[i];
	}
	return o->any_of && granted ? NULL : missing;
}

int pvat_names_missing(const struct pvat_op *o, const struct pvat_role *r, const char *msg)
{
	int named = 0;
	for (size_t i = 0; o->needs[i]; i++) {
		char want[64];
		snprintf(want, sizeof want, "'%s'", o->needs[i]);
		named |= !pvat_grants(r, o->needs[i]) && strstr(msg, want) != NULL;
	}
	return named && strstr(msg, "permission") != NULL;
}

const struct pvat_op *pvat_find(const char *fn, const char *variant)
{
	for (size_t k = 0; k < pvat_nops; k++) {
		const struct pvat_op *o = &pvat_ops[k];
		if (strcmp(o->fn, fn) == 0 && (variant && o->variant
					       ? strcmp(o->variant, variant) == 0
					       : !variant && !o->variant))
			return o;
	}
	return NULL;
}

const struct pvat_role *pvat_role(const char *name)
{
	for (size_t r = 0; r < pvat_nroles; r++)
		if (strcmp(pvat_roles[r].name, name) == 0)
			return &pvat_roles[r];
	return NULL;
}

static int count_denied(void *ctx, const pv_audit_entry *e)
{
	if (strcmp(e->outcome, "denied") == 0)
		++*(int *)ctx;
	return 0;
}

int pvat_denied_entries(pv_vault *v)
{
	static const pv_access admin = { "admin", "all", 0 };
	int n = 0;
	assert_ok(v, pv_audit_log(v, &admin, NULL, count_denied, &n));
	return n;
}
