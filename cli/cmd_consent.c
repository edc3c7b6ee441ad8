/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_consent.c: `pivault consent grant|withdraw|show`: consent per customer and purpose,
 * with channel and consent-text version; withdrawing stops reads for that purpose. */
#include "cli.h"

#include <string.h>

int cli_print_consent_event(void *ctx, const pv_consent_event *e)
{
	if (*(int *)ctx) {
		printf("{\"purpose\":\"%s\",\"granted\":%s,\"at\":\"%s\",\"channel\":", e->purpose,
		       e->granted ? "true" : "false", e->at);
		cli_json_string(stdout, e->channel);
		fputs(",\"text_version\":", stdout);
		cli_json_string(stdout, e->text_version);
		fputs(",\"recorded_by\":", stdout);
		cli_json_string(stdout, e->recorded_by);
		puts("}");
	} else {
		printf("%s  %-10s %-9s by %s%s%s (recorded by %s)\n", e->at, e->purpose,
		       e->granted ? "given" : "withdrawn", e->channel, *e->text_version ? ", text " : "",
		       e->text_version, e->recorded_by);
	}
	return 0;
}

/* grant and withdraw: a consent event for a purpose (the consent's purpose, declared
 * here, not the common --purpose of a read). */
static int run_set(struct cli_args *a)
{
	int grant = strcmp(a->cmd->name, "grant") == 0;
	const char *purpose = cli_opt(a, "--purpose"), *channel = cli_opt(a, "--channel");
	const char *version = grant ? cli_opt(a, "--text-version") : NULL;
	if (a->narg != 1)
		return cli_usage(a->prog, "a customer id is required");
	if (!purpose || !channel)
		return cli_usage(a->prog, "grant and withdraw need --purpose and --channel");
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	const char *id = a->arg[0];
	pv_rc rc = pv_consent_set(v, &who, id, purpose,
				   grant ? PV_CONSENT_GRANTED : PV_CONSENT_WITHDRAWN, channel, version);
	if (rc)
		code = cli_fail(v, rc);
	else
		printf("consent of %s for %s %s\n", id, purpose, grant ? "given" : "withdrawn");
	pv_vault_close(v);
	return code;
}

static int run_show(struct cli_args *a)
{
	if (a->narg != 1)
		return cli_usage(a->prog, "a customer id is required");
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	a->common.purpose = NULL; /* a consent's purpose is named in its events, not read for */
	pv_access who = cli_access(&a->common);
	pv_rc rc = pv_consent_history(v, &who, a->arg[0], cli_print_consent_event,
					&a->common.json);
	if (rc)
		code = cli_fail(v, rc);
	pv_vault_close(v);
	return code;
}

#define PURPOSE_OPT { "--purpose", NULL, "P", "the purpose consented to (or withdrawn)", NULL }
#define CHANNEL_OPT { "--channel", NULL, "C", "how: web, paper, phone, ...", NULL }
#define END_OPTS { NULL, NULL, NULL, NULL, NULL }

static const struct cli_cmd subs[] = {
	{ "grant", "ID --purpose P --channel C [--text-version V]", "record consent given", NULL,
	  (const struct cli_opt[]){ PURPOSE_OPT, CHANNEL_OPT,
				    { "--text-version", NULL, "V", "the consent text's version",
				      NULL },
				    END_OPTS },
	  CLI_COMMON, run_set, NULL },
	{ "withdraw", "ID --purpose P --channel C", "record consent withdrawn: reads for that "
	  "purpose stop at once", NULL,
	  (const struct cli_opt[]){ PURPOSE_OPT, CHANNEL_OPT, END_OPTS }, CLI_COMMON, run_set, NULL },
	{ "show", "ID [--json]", "a customer's consent history", NULL, NULL, CLI_COMMON, run_show,
	  NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL },
};

const struct cli_cmd cli_cmd_consent = {
	.name = "consent",
	.summary = "consent per customer and purpose: grant, withdraw, show",
	.about = "Record consent given or withdrawn for a purpose (by web, paper, phone, ...). A\n"
		 "purpose marked 'consent: required' in the schema then reaches only customers whose\n"
		 "consent is in force: withdrawing stops such reads at once.\n",
	.subs = subs,
};
