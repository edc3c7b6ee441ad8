/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_hold.c: `pivault hold add|release|list`: legal holds (litigation, a regulator's
 * request), under which customers are never shredded. */
#include "cli.h"

#include <string.h>

static int print_hold(void *ctx, const pv_hold_info *h)
{
	if (*(int *)ctx) {
		fputs("{\"customer\":", stdout);
		cli_json_string(stdout, h->customer);
		fputs(",\"reason\":", stdout);
		cli_json_string(stdout, h->reason);
		fputs(",\"placed_by\":", stdout);
		cli_json_string(stdout, h->placed_by);
		printf(",\"since\":\"%s\",\"released\":\"%s\",\"released_by\":", h->since, h->released);
		cli_json_string(stdout, h->released_by);
		puts("}");
	} else {
		printf("%-12s %-8s since %s by %s%s%s: %s\n", h->customer,
		       *h->released ? "released" : "HELD", h->since, h->placed_by,
		       *h->released ? ", released " : "", h->released, h->reason);
	}
	return 0;
}

int cmd_hold(int argc, char **argv)
{
	static const char help[] =
		"usage: pivault hold add ID... --reason TEXT\n"
		"       pivault hold release ID... [--reason TEXT]\n"
		"       pivault hold list [--json]\n\n"
		"A legal hold keeps customers from being shredded (by retention, a deletion request\n"
		"or a decommissioning) until it is released.\n";
	static const char *const subs[] = { "add", "release", "list", NULL };
	int code;
	const char *sub = cli_subcommand(argc, argv, "hold", help, subs, &code);
	if (!sub)
		return code;
	struct cli_common c;
	cli_common_init(&c);
	const char *reason = NULL;
	char *ids[argc];
	size_t n = 0;
	for (int i = 2; i < argc; i++) {
		int k = cli_common_option(&c, argc, argv, &i);
		if (k < 0)
			return EXIT_USAGE;
		if (k)
			continue;
		if (strcmp(argv[i], "--reason") == 0 && i + 1 < argc)
			reason = argv[++i];
		else if (argv[i][0] == '-')
			return cli_usage("hold", "unknown option");
		else
			ids[n++] = argv[i];
	}
	if (strcmp(sub, "list") != 0 && n == 0)
		return cli_usage("hold", "at least one customer id is required");
	if (strcmp(sub, "add") == 0 && !reason)
		return cli_usage("hold", "a hold needs --reason");
	pv_vault *v = cli_open_vault(&c, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&c);
	pv_rc rc;
	if (strcmp(sub, "list") == 0)
		rc = pv_hold_list(v, &who, print_hold, &c.json);
	else if (strcmp(sub, "add") == 0)
		rc = pv_hold_add(v, &who, (const char *const *)ids, n, reason);
	else
		rc = pv_hold_release(v, &who, (const char *const *)ids, n, reason);
	if (rc)
		code = cli_fail(v, rc);
	else if (strcmp(sub, "list") != 0)
		printf("%s %zu customer%s\n", strcmp(sub, "add") == 0 ? "held" : "released", n,
		       n == 1 ? "" : "s");
	pv_vault_close(v);
	return code;
}
