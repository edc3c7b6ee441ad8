/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_notice.c: `pivault notice record|state|list`: the record of notices sent to
 * customers (transfer, breach, DSR reply, consent, policy) and their delivery. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

int cli_print_notice(void *ctx, const pv_notice_info *n)
{
	if (*(int *)ctx) {
		printf("{\"notice\":%lld,\"customer\":", (long long)n->notice);
		cli_json_string(stdout, n->customer);
		printf(",\"kind\":\"%s\",\"text_version\":", n->kind);
		cli_json_string(stdout, n->text_version);
		printf(",\"channel\":\"%s\",\"sent\":\"%s\",\"sent_by\":", n->channel, n->sent);
		cli_json_string(stdout, n->sent_by);
		printf(",\"state\":\"%s\",\"state_at\":\"%s\"}\n", n->state, n->state_at);
	} else {
		printf("%6lld  %-12s %-9s %-24s %-9s sent %s by %s; %s %s\n", (long long)n->notice,
		       n->customer, n->kind, n->text_version, n->channel, n->sent, n->sent_by,
		       n->state, n->state_at);
	}
	return 0;
}

static int run_record(struct cli_args *a)
{
	const char *kind = cli_opt(a, "--kind"), *version = cli_opt(a, "--text-version"),
		   *channel = cli_opt(a, "--channel");
	if (a->narg != 1 || !kind || !version || !channel)
		return cli_usage(a->prog, "record takes ID --kind --text-version --channel");
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	int64_t number = 0;
	pv_rc rc = pv_notice_record(v, &who, a->arg[0], kind, version, channel,
				    cli_opt(a, "--state"), &number);
	if (!rc && a->common.json)
		printf("{\"notice\":%lld}\n", (long long)number);
	else if (!rc)
		printf("notice %lld recorded\n", (long long)number);
	return cli_done(v, rc, EXIT_OK);
}

static int run_state(struct cli_args *a)
{
	char *end = NULL;
	long long number = a->narg == 2 ? strtoll(a->arg[0], &end, 10) : 0;
	if (a->narg != 2 || *end || number <= 0)
		return cli_usage(a->prog, "state takes a notice number and a state");
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	pv_rc rc = pv_notice_set_state(v, &who, number, a->arg[1]);
	if (!rc)
		printf("notice %lld: %s\n", number, a->arg[1]);
	return cli_done(v, rc, EXIT_OK);
}

static int run_list(struct cli_args *a)
{
	if (a->narg)
		return cli_usage(a->prog, "list takes --customer ID");
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	pv_rc rc = pv_notice_list(v, &who, cli_opt(a, "--customer"), cli_print_notice,
				  &a->common.json);
	return cli_done(v, rc, EXIT_OK);
}

static const struct cli_cmd subs[] = {
	{ "record", "ID --kind KIND --text-version V --channel CH [--state S] [--json]",
	  "record a notice sent to a customer", NULL,
	  (const struct cli_opt[]){
		  { "--kind", NULL, "KIND", "transfer, breach, dsr-reply, consent or policy", NULL },
		  { "--text-version", NULL, "V", "the version of the text sent", NULL },
		  { "--channel", NULL, "CH", "sms, email, letter, phone, app or in-person", NULL },
		  { "--state", NULL, "S", "queued, sent (the default), delivered, failed or returned",
		    NULL },
		  { NULL, NULL, NULL, NULL, NULL } },
	  CLI_COMMON, run_record, NULL },
	{ "state", "NOTICE STATE", "record a notice's delivery state", NULL, NULL, CLI_COMMON,
	  run_state, NULL },
	{ "list", "[--customer ID] [--json]", "the notices (needs 'report')", NULL,
	  (const struct cli_opt[]){ { "--customer", NULL, "ID", "only this customer's", NULL },
				    { NULL, NULL, NULL, NULL, NULL } },
	  CLI_COMMON, run_list, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL },
};

const struct cli_cmd cli_cmd_notice = {
	.name = "notice",
	.summary = "the record of notices sent to customers and their delivery",
	.about = "Keeps the record of every notice sent to a customer: KIND is transfer (new\n"
		 "holder; needs 'handover'), breach ('incident'), dsr-reply ('dsr'), consent or\n"
		 "policy ('consent'); V names the version of the text sent (the text stays outside\n"
		 "pivault); CH is sms, email, letter, phone, app or in-person; STATE is queued,\n"
		 "sent (the default), delivered, failed or returned. list needs 'report'.\n",
	.subs = subs,
};
