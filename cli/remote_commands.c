/* SPDX-License-Identifier: Apache-2.0 */
/* remote_commands.c: which commands go to the server under PIVAULT_SERVER: those with an
 * API twin (run by their remote_<area>.c function) and the few that touch no vault; every
 * other command is refused, naming itself, and never opens a local vault or reads a key. */
#include "remote.h"

#include <curl/curl.h>
#include <string.h>

/* A command (as its messages name it) and its twin; NULL: it runs here (it needs no
 * vault). request: it takes --request (run under an approved request). */
static const struct {
	const char *prog;
	int (*run)(struct cli_args *a);
	int request;
} twins[] = {
	{ "login", cli_remote_login, 0 },
	{ "logout", cli_remote_logout, 0 },
	{ "get", cli_remote_get, 1 },
	{ "find", cli_remote_find, 1 },
	{ "tokenize", cli_remote_tokenize, 0 },
	{ "detokenize", cli_remote_detokenize, 0 },
	{ "token create", cli_remote_token_create, 0 },
	{ "token list", cli_remote_token_list, 0 },
	{ "token revoke", cli_remote_token_revoke, 0 },
	{ "audit verify", cli_remote_audit_verify, 0 },
	{ "audit log", cli_remote_audit_log, 0 },
	{ "request", NULL, 0 }, /* here: it runs the command's twin asking (cli_remote_set_asking) */
	{ "requests", cli_remote_requests, 0 },
	{ "approve", cli_remote_decide, 0 },
	{ "reject", cli_remote_decide, 0 },
	{ "dsr list", cli_remote_dsr_list, 0 },
	{ "list", cli_remote_list, 1 },
	{ "update", cli_remote_update, 0 },
	{ "consent grant", cli_remote_consent_set, 0 },
	{ "consent withdraw", cli_remote_consent_set, 0 },
	{ "consent show", cli_remote_consent_show, 0 },
	{ "hold add", cli_remote_hold_change, 0 },
	{ "hold release", cli_remote_hold_change, 0 },
	{ "hold list", cli_remote_hold_list, 0 },
	{ "export", cli_remote_export, 1 },
	{ "import", cli_remote_import, 0 },
	{ "dsr open", cli_remote_dsr_open, 0 },
	{ "dsr close", cli_remote_dsr_close, 0 },
	{ "dsr correct", cli_remote_dsr_correct, 0 },
	{ "dsr restrict", cli_remote_dsr_fulfil, 0 },
	{ "dsr object", cli_remote_dsr_fulfil, 0 },
	{ "dsr lift", cli_remote_dsr_lift, 0 },
	{ "dsr report", cli_remote_dsr_report, 0 },
	{ "dsr delete", cli_remote_dsr_delete, 1 },
	{ "retention plan", cli_remote_retention_plan, 0 },
	{ "retention apply", cli_remote_retention_apply, 1 },
	{ "user list", cli_remote_user_list, 0 },
	{ "user add", cli_remote_user_add_reset, 1 },
	{ "user reset", cli_remote_user_add_reset, 1 },
	{ "user disable", cli_remote_user_disable, 0 },
	{ "user attest", cli_remote_user_attest, 0 },
	{ "user enrol", cli_remote_user_enrol, 0 },
	{ "user passwd", cli_remote_user_passwd, 0 },
	{ "report", cli_remote_report, 0 },
	{ "transfer plan", cli_remote_transfer_plan, 0 },
	{ "transfer list", cli_remote_transfer_list, 0 },
	{ "transfer show", cli_remote_transfer_list, 0 },
	{ "transfer assess", cli_remote_transfer_assess, 0 },
	{ "transfer consent", cli_remote_transfer_consent, 0 },
	{ "transfer exclusions", cli_remote_transfer_exclusions, 0 },
	{ "transfer notify", cli_remote_transfer_notify, 1 },
	{ "transfer pin-key", cli_remote_transfer_pin_key, 1 },
	{ "transfer shred-excluded", cli_remote_transfer_shred_excluded, 1 },
	{ "handover export", cli_remote_handover_export, 1 },
	{ "handover import", cli_remote_handover_import, 0 },
	{ "handover confirm", cli_remote_handover_confirm, 1 },
	{ "handover verify-receipt", cli_remote_handover_verify_receipt, 0 },
	{ "audit check-proof", NULL, 0 },
	{ "scan", cli_remote_scan, 0 },
	{ "incident open", cli_remote_incident_open, 0 },
	{ "incident list", cli_remote_incident_show_list, 0 },
	{ "incident show", cli_remote_incident_show_list, 0 },
	{ "incident scope", cli_remote_incident_scope, 0 },
	{ "incident state", cli_remote_incident_state, 0 },
	{ "incident seal", cli_remote_incident_seal_release, 0 },
	{ "incident release", cli_remote_incident_seal_release, 1 },
	{ "incident notify", cli_remote_incident_notify, 1 },
	{ "decommission plan", cli_remote_decommission_plan, 0 },
	{ "decommission run", cli_remote_decommission_run, 1 },
	{ "audit checkpoint", cli_remote_audit_checkpoint, 0 },
	{ "audit checkpoints", cli_remote_audit_checkpoints, 0 },
	{ "audit prove", cli_remote_audit_prove, 0 },
	{ "audit consistency", cli_remote_audit_consistency, 0 },
	{ "audit alerts", cli_remote_audit_alerts, 0 },
	{ "audit threshold", cli_remote_audit_threshold, 1 },
	{ "notice record", cli_remote_notice_record, 0 },
	{ "notice state", cli_remote_notice_state, 0 },
	{ "notice list", cli_remote_notice_list, 0 },
	{ "review due", cli_remote_review_due, 0 },
	{ "review confirm", cli_remote_review_confirm, 0 },
};

/* Common options that name local files or local requests: no meaning through a server. */
static int local_option(const struct cli_args *a, int request_ok)
{
	const char *which = a->common.request && !request_ok ? "--request" : NULL;
	if (!which)
		return EXIT_OK;
	fprintf(stderr, "pivault %s: %s is not available through a server (PIVAULT_SERVER)\n",
		a->prog, which);
	return EXIT_USAGE;
}

int cli_remote_run(struct cli_args *a)
{
	for (size_t i = 0; i < sizeof twins / sizeof *twins; i++) {
		if (strcmp(twins[i].prog, a->prog) != 0)
			continue;
		if (!twins[i].run)
			return a->cmd->run(a);
		int code = local_option(a, twins[i].request);
		if (code)
			return code;
		cli_session_expect_user(a->common.user);
		cli_remote_answers_json(a->common.json);
		curl_global_init(CURL_GLOBAL_DEFAULT);
		code = twins[i].run(a);
		curl_global_cleanup();
		return code;
	}
	fprintf(stderr, "pivault %s: not available through a server (PIVAULT_SERVER is set): "
		"run it where the vault is, or unset PIVAULT_SERVER\n", a->prog);
	return EXIT_USAGE;
}
