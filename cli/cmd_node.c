/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_node.c: `pivault node list` shows the keyring nodes (vault directories with keyrings
 * of their own over one store: how far each lags the keyring journal, which are retired);
 * `pivault node retire ID` retires one that is gone for good (four eyes), so that shreds'
 * certificates stop waiting for it. */
#include "cli.h"

#include <string.h>

struct listing {
	int json;
	size_t count;
};

static int node_printed(void *ctx, const pv_node_info *n)
{
	struct listing *l = ctx;
	if (l->json) {
		fputs(l->count ? ",\n  {\"node\":" : "[\n  {\"node\":", stdout);
		cli_json_string(stdout, n->id);
		fputs(",\"name\":", stdout);
		cli_json_string(stdout, n->name);
		fputs(n->retired_at ? ",\"retired\":" : ",\"registered\":", stdout);
		cli_json_string(stdout, n->retired_at ? n->retired_at : n->registered_at);
		printf(",\"applied\":%llu,\"behind\":%llu,\"self\":%s}",
		       (unsigned long long)n->applied, (unsigned long long)n->behind,
		       n->self ? "true" : "false");
	} else if (n->retired_at) {
		printf("%s  %-20s  retired %s\n", n->id, n->name, n->retired_at);
	} else {
		printf("%s  %-20s  registered %s  %s", n->id, n->name, n->registered_at,
		       n->behind ? "lags the keyring journal by " : "up to date");
		if (n->behind)
			printf("%llu entr%s", (unsigned long long)n->behind,
			       n->behind == 1 ? "y" : "ies");
		puts(n->self ? "  (this node)" : "");
	}
	l->count++;
	return 0;
}

static int run_list(struct cli_args *a)
{
	if (a->narg)
		return cli_usage(a->prog, "list takes no arguments");
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	struct listing l = { a->common.json, 0 };
	pv_rc rc = pv_node_list(v, &who, node_printed, &l);
	if (rc)
		code = cli_fail(v, rc);
	else if (l.json)
		fputs(l.count ? "\n]\n" : "[]\n", stdout);
	pv_vault_close(v);
	return code;
}

static int run_retire(struct cli_args *a)
{
	if (a->narg != 1)
		return cli_usage(a->prog, "retire takes one node id (pivault node list)");
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	pv_rc rc = pv_node_retire(v, &who, a->arg[0]);
	if (rc)
		code = cli_fail(v, rc);
	else
		printf("node %s retired: shreds' certificates no longer wait for it, and its "
		       "keyring is refused from now on\n", a->arg[0]);
	pv_vault_close(v);
	return code;
}

static const struct cli_cmd subs[] = {
	{ "list", "[--json]", "the keyring nodes: how far each lags, which are retired",
	  "A node is a vault directory with a keyring file of its own over one store (its id is\n"
	  "in KEYRING.node). One that lags the keyring journal still holds bucket keys that\n"
	  "shreds replaced: their certificates are not complete until it opens the vault.\n"
	  "Needs 'audit'.\n",
	  NULL, CLI_COMMON, run_list, NULL },
	{ "retire", "ID [--request REQ]", "retire a node that is gone for good",
	  "Say that node ID's machine is gone and its keyring file and every copy of it are\n"
	  "destroyed: shreds' certificates stop waiting for it (they name it as retired),\n"
	  "pivault doctor stops naming it, and its keyring is refused from then on. Not the\n"
	  "node you run on. Needs 'shred'; users need an approved request: pivault request\n"
	  "node retire ID.\n",
	  NULL, CLI_COMMON, run_retire, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL },
};

const struct cli_cmd cli_cmd_node = {
	.name = "node",
	.summary = "keyring nodes over a shared store: list, retire",
	.subs = subs,
};
