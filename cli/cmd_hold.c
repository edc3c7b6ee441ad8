/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_hold.c: `pivault hold add|release|list`: legal holds (litigation, a regulator's
 * request), under which customers are never shredded. */
#include "cli.h"

#include <string.h>

int cli_print_hold(void *ctx, const pv_hold_info *h)
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

static int run_list(struct cli_args *a)
{
	if (a->narg)
		return cli_usage(a->prog, "list takes no argument");
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	pv_rc rc = pv_hold_list(v, &who, cli_print_hold, &a->common.json);
	if (rc)
		code = cli_fail(v, rc);
	pv_vault_close(v);
	return code;
}

/* add and release: the customers named, with the reason. */
static int run_add_release(struct cli_args *a)
{
	int add = strcmp(a->cmd->name, "add") == 0;
	const char *reason = cli_opt(a, "--reason");
	size_t n = (size_t)a->narg;
	if (n == 0)
		return cli_usage(a->prog, "at least one customer id is required");
	if (add && !reason)
		return cli_usage(a->prog, "a hold needs --reason");
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	const char *const *ids = (const char *const *)a->arg;
	pv_rc rc = add ? pv_hold_add(v, &who, ids, n, reason)
		       : pv_hold_release(v, &who, ids, n, reason);
	if (rc)
		code = cli_fail(v, rc);
	else
		printf("%s %zu customer%s\n", add ? "held" : "released", n, n == 1 ? "" : "s");
	pv_vault_close(v);
	return code;
}

static const struct cli_cmd subs[] = {
	{ "add", "ID... --reason TEXT", "hold customers", NULL,
	  (const struct cli_opt[]){ { "--reason", NULL, "TEXT", "why (litigation, a regulator's "
				      "request ...)", NULL },
				    { NULL, NULL, NULL, NULL, NULL } },
	  CLI_COMMON, run_add_release, NULL },
	{ "release", "ID... [--reason TEXT]", "release their hold", NULL,
	  (const struct cli_opt[]){ { "--reason", NULL, "TEXT", "why", NULL },
				    { NULL, NULL, NULL, NULL, NULL } },
	  CLI_COMMON, run_add_release, NULL },
	{ "list", "[--json]", "the holds, current and released", NULL, NULL, CLI_COMMON, run_list,
	  NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL },
};

const struct cli_cmd cli_cmd_hold = {
	.name = "hold",
	.summary = "legal holds: customers that must not be destroyed",
	.about = "A legal hold keeps customers from being shredded (by retention, a deletion request\n"
		 "or a decommissioning) until it is released.\n",
	.subs = subs,
};
