/* SPDX-License-Identifier: Apache-2.0 */
/* remote_audit.c: `pivault audit verify` through the server (GET /v1/audit/verify). */
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
