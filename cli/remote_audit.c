/* SPDX-License-Identifier: Apache-2.0 */
/* remote_audit.c: the audit log through the server: `pivault audit verify` (GET
 * /v1/audit/verify) and `pivault audit log` (GET /v1/audit, page by page). */
#include "remote.h"

#include <stdlib.h>

int cli_remote_audit_verify(struct cli_args *a)
{
	if (a->narg)
		return cli_usage(a->prog, "unexpected argument");
	if (cli_opt(a, "--checkpoint"))
		return cli_usage(a->prog, "--checkpoint is not available through a server: verify "
				 "against an exported checkpoint where the vault is");
	struct cli_url u = { 0 };
	cli_url_path(&u, "/v1/audit/verify", NULL);
	cli_url_arg(&u, "role", a->common.role);
	char *path = cli_url_take(&u);
	struct cli_reply r;
	int code = EXIT_FAIL;
	if (!path || !cli_remote_expect("GET", path, NULL, 200, &r, &code)) {
		free(path);
		return code;
	}
	free(path);
	const char *report = cli_json_str(r.json, "report");
	if (json_is_true(json_object_get(r.json, "verified"))) {
		printf("audit log verified: %s\n", report);
		code = EXIT_OK;
	} else {
		fprintf(stderr, "pivault: %s\n", report);
	}
	cli_reply_free(&r);
	return code;
}

/* The entries of one page printed as `pivault audit log` prints them; the next page's
 * after= (0: none). */
static unsigned long long print_page(const json_t *reply, int json)
{
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(reply, "entries"), i, e) {
		pv_audit_entry entry = { (uint64_t)json_integer_value(json_object_get(e, "seq")),
					 cli_json_str(e, "at"), cli_json_str(e, "user"),
					 cli_json_str(e, "op"), cli_json_str(e, "ids"),
					 cli_json_str(e, "purpose"), cli_json_str(e, "request"),
					 cli_json_str(e, "outcome"), cli_json_str(e, "detail") };
		cli_print_audit_entry(&json, &entry);
	}
	return (unsigned long long)json_integer_value(json_object_get(reply, "next"));
}

/* GET /v1/audit page by page (?after=), with the local command's filters. */
int cli_remote_audit_log(struct cli_args *a)
{
	if (a->narg)
		return cli_usage(a->prog, "unexpected argument");
	unsigned long long after = 0;
	int code = EXIT_OK;
	do {
		char from[32];
		snprintf(from, sizeof from, "%llu", after);
		struct cli_url u = { 0 };
		cli_url_path(&u, "/v1/audit", NULL);
		cli_url_arg(&u, "customer", cli_opt(a, "--customer"));
		cli_url_arg(&u, "user", cli_opt(a, "--user"));
		cli_url_arg(&u, "since", cli_opt(a, "--since"));
		cli_url_arg(&u, "role", a->common.role);
		cli_url_arg(&u, "limit", "1000");
		cli_url_arg(&u, "after", after ? from : NULL);
		char *path = cli_url_take(&u);
		struct cli_reply r;
		code = EXIT_FAIL;
		int ok = path && cli_remote_expect("GET", path, NULL, 200, &r, &code);
		free(path);
		if (!ok)
			return code;
		after = print_page(r.json, a->common.json);
		cli_reply_free(&r);
	} while (after);
	return EXIT_OK;
}
