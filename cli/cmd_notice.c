/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_notice.c: `pivault notice record|state|list`: the record of notices sent to
 * customers (transfer, breach, DSR reply, consent, policy) and their delivery. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static int print_notice(void *ctx, const pv_notice_info *n)
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

int cmd_notice(int argc, char **argv)
{
	static const char help[] =
		"usage: pivault notice record ID --kind KIND --text-version V --channel CH "
		"[--state S] [--json]\n"
		"       pivault notice state NOTICE STATE\n"
		"       pivault notice list [--customer ID] [--json]\n\n"
		"Keeps the record of every notice sent to a customer: KIND is transfer (new\n"
		"holder; needs 'handover'), breach ('incident'), dsr-reply ('dsr'), consent or\n"
		"policy ('consent'); V names the version of the text sent (the text stays outside\n"
		"pivault); CH is sms, email, letter, phone, app or in-person; STATE is queued,\n"
		"sent (the default), delivered, failed or returned. list needs 'report'.\n";
	static const char *const subs[] = { "record", "state", "list", NULL };
	int code;
	const char *sub = cli_subcommand(argc, argv, "notice", help, subs, &code);
	if (!sub)
		return code;
	struct cli_common c;
	cli_common_init(&c);
	const char *kind = NULL, *version = NULL, *channel = NULL, *state = NULL;
	const char *customer = NULL, *pos[2] = { NULL, NULL };
	size_t npos = 0;
	for (int i = 2; i < argc; i++) {
		int k = cli_common_option(&c, argc, argv, &i);
		if (k < 0)
			return EXIT_USAGE;
		if (k)
			continue;
		if (strcmp(argv[i], "--kind") == 0 && i + 1 < argc)
			kind = argv[++i];
		else if (strcmp(argv[i], "--text-version") == 0 && i + 1 < argc)
			version = argv[++i];
		else if (strcmp(argv[i], "--channel") == 0 && i + 1 < argc)
			channel = argv[++i];
		else if (strcmp(argv[i], "--state") == 0 && i + 1 < argc)
			state = argv[++i];
		else if (strcmp(argv[i], "--customer") == 0 && i + 1 < argc)
			customer = argv[++i];
		else if (argv[i][0] == '-' || npos == 2)
			return cli_usage("notice", "unknown argument");
		else
			pos[npos++] = argv[i];
	}
	int64_t number = 0;
	if (strcmp(sub, "record") == 0 && (npos != 1 || !kind || !version || !channel))
		return cli_usage("notice", "record takes ID --kind --text-version --channel");
	if (strcmp(sub, "state") == 0) {
		char *end;
		number = npos == 2 ? strtoll(pos[0], &end, 10) : 0;
		if (npos != 2 || *end || number <= 0)
			return cli_usage("notice", "state takes a notice number and a state");
	}
	if (strcmp(sub, "list") == 0 && npos)
		return cli_usage("notice", "list takes --customer ID");
	pv_vault *v = cli_open_vault(&c, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&c);
	pv_rc rc;
	if (strcmp(sub, "list") == 0) {
		rc = pv_notice_list(v, &who, customer, print_notice, &c.json);
	} else if (strcmp(sub, "record") == 0) {
		rc = pv_notice_record(v, &who, pos[0], kind, version, channel, state, &number);
		if (!rc && c.json)
			printf("{\"notice\":%lld}\n", (long long)number);
		else if (!rc)
			printf("notice %lld recorded\n", (long long)number);
	} else {
		rc = pv_notice_set_state(v, &who, number, pos[1]);
		if (!rc)
			printf("notice %lld: %s\n", (long long)number, pos[1]);
	}
	if (rc)
		code = cli_fail(v, rc);
	pv_vault_close(v);
	return code;
}
