/* SPDX-License-Identifier: Apache-2.0 */
/* remote_reviews.c: accuracy reviews through the server: `pivault review due` (GET
 * /v1/reviews/due?months=N) and `review confirm` (POST /v1/customers/{id}/confirmations),
 * with the local command's checks of its arguments and its output. */
#include "remote.h"

#include <stdio.h>

int cli_remote_review_due(struct cli_args *a)
{
	unsigned months = 0;
	int code = cli_review_months(a, &months);
	if (code)
		return code;
	char number[16];
	snprintf(number, sizeof number, "%u", months);
	struct cli_url u = { 0 };
	struct cli_reply r;
	cli_url_path(&u, "/v1/reviews/due", NULL);
	cli_url_arg(&u, "months", months ? number : NULL);
	cli_url_arg(&u, "role", a->common.role);
	if (!cli_remote_send(&u, "GET", NULL, 200, &r, &code))
		return code;
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(r.json, "customers"), i, c) {
		pv_review_info info = { cli_json_str(c, "id"), cli_json_str(c, "last_confirmed"),
					cli_json_str(c, "channels") };
		cli_print_review_due(&a->common.json, &info);
	}
	cli_reply_free(&r);
	return EXIT_OK;
}

int cli_remote_review_confirm(struct cli_args *a)
{
	const char *channel = cli_opt(a, "--channel");
	if (a->narg != 1 || !channel)
		return cli_usage(a->prog, "confirm needs ID and --channel");
	int code = cli_remote_post_done(&a->common, "/v1/customers", a->arg[0], "/confirmations",
					json_pack("{s:s}", "channel", channel));
	if (code == EXIT_OK)
		printf("confirmed %s\n", a->arg[0]);
	return code;
}
