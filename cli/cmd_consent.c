/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_consent.c: `pivault consent grant|withdraw|show`: consent per customer and purpose,
 * with channel and consent-text version; withdrawing stops reads for that purpose. */
#include "cli.h"

#include <string.h>

static int print_event(void *ctx, const pv_consent_event *e)
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

int cmd_consent(int argc, char **argv)
{
	static const char help[] =
		"usage: pivault consent grant ID --purpose P --channel C [--text-version V]\n"
		"       pivault consent withdraw ID --purpose P --channel C\n"
		"       pivault consent show ID [--json]\n\n"
		"Record consent given or withdrawn for a purpose (by web, paper, phone, ...). A\n"
		"purpose marked 'consent: required' in the schema then reaches only customers whose\n"
		"consent is in force: withdrawing stops such reads at once.\n";
	static const char *const subs[] = { "grant", "withdraw", "show", NULL };
	int code;
	const char *sub = cli_subcommand(argc, argv, "consent", help, subs, &code);
	if (!sub)
		return code;
	struct cli_common c;
	cli_common_init(&c);
	const char *id = NULL, *channel = NULL, *version = NULL;
	for (int i = 2; i < argc; i++) {
		int k = cli_common_option(&c, argc, argv, &i);
		if (k < 0)
			return EXIT_USAGE;
		if (k)
			continue;
		if (strcmp(argv[i], "--channel") == 0 && i + 1 < argc)
			channel = argv[++i];
		else if (strcmp(argv[i], "--text-version") == 0 && i + 1 < argc)
			version = argv[++i];
		else if (!id && argv[i][0] != '-')
			id = argv[i];
		else
			return cli_usage("consent", "unknown argument");
	}
	if (!id)
		return cli_usage("consent", "a customer id is required");
	if (strcmp(sub, "show") != 0 && (!c.purpose || !channel))
		return cli_usage("consent", "grant and withdraw need --purpose and --channel");
	const char *purpose = c.purpose;
	c.purpose = NULL; /* the consent's purpose, not a purpose of reading */
	pv_vault *v = cli_open_vault(&c, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&c);
	pv_rc rc = strcmp(sub, "show") == 0
			   ? pv_consent_history(v, &who, id, print_event, &c.json)
			   : pv_consent_set(v, &who, id, purpose, strcmp(sub, "grant") == 0, channel,
					    version);
	if (rc)
		code = cli_fail(v, rc);
	else if (strcmp(sub, "show") != 0)
		printf("consent of %s for %s %s\n", id, purpose,
		       strcmp(sub, "grant") == 0 ? "given" : "withdrawn");
	pv_vault_close(v);
	return code;
}
