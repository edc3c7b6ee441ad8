/* SPDX-License-Identifier: Apache-2.0 */
/* remote_notices.c: the notices register through the server: `pivault notice record` (POST
 * /v1/notices), `notice state` (POST /v1/notices/{number}/state) and `notice list` (GET
 * /v1/notices), with the local command's checks of its arguments and its output. */
#include "remote.h"

#include <stdlib.h>

int cli_remote_notice_record(struct cli_args *a)
{
	const char *kind = cli_opt(a, "--kind"), *version = cli_opt(a, "--text-version"),
		   *channel = cli_opt(a, "--channel"), *state = cli_opt(a, "--state");
	if (a->narg != 1 || !kind || !version || !channel)
		return cli_usage(a->prog, "record takes ID --kind --text-version --channel");
	json_t *obj = json_pack("{s:s,s:s,s:s,s:s}", "customer", a->arg[0], "kind", kind,
				"text_version", version, "channel", channel);
	if (obj && state)
		json_object_set_new(obj, "state", json_string(state));
	struct cli_reply r;
	int code;
	if (!cli_remote_post(&a->common, "/v1/notices", NULL, "", obj, 201, &r, &code))
		return code;
	long long number = (long long)json_integer_value(json_object_get(r.json, "notice"));
	if (a->common.json)
		printf("{\"notice\":%lld}\n", number);
	else
		printf("notice %lld recorded\n", number);
	cli_reply_free(&r);
	return EXIT_OK;
}

int cli_remote_notice_state(struct cli_args *a)
{
	char *end = NULL;
	long long number = a->narg == 2 ? strtoll(a->arg[0], &end, 10) : 0;
	if (a->narg != 2 || *end || number <= 0)
		return cli_usage(a->prog, "state takes a notice number and a state");
	char path[32];
	snprintf(path, sizeof path, "%lld", number);
	int code = cli_remote_post_done(&a->common, "/v1/notices", path, "/state",
					json_pack("{s:s}", "state", a->arg[1]));
	if (code == EXIT_OK)
		printf("notice %lld: %s\n", number, a->arg[1]);
	return code;
}

int cli_remote_notice_list(struct cli_args *a)
{
	if (a->narg)
		return cli_usage(a->prog, "list takes --customer ID");
	struct cli_url u = { 0 };
	struct cli_reply r;
	int code;
	cli_url_path(&u, "/v1/notices", NULL);
	cli_url_arg(&u, "customer", cli_opt(a, "--customer"));
	cli_url_arg(&u, "role", a->common.role);
	if (!cli_remote_send(&u, "GET", NULL, 200, &r, &code))
		return code;
	size_t i;
	json_t *n;
	json_array_foreach(json_object_get(r.json, "notices"), i, n) {
		pv_notice_info info = {
			(int64_t)json_integer_value(json_object_get(n, "notice")),
			cli_json_str(n, "customer"), cli_json_str(n, "kind"),
			cli_json_str(n, "text_version"), cli_json_str(n, "channel"),
			cli_json_str(n, "sent"), cli_json_str(n, "sent_by"), cli_json_str(n, "state"),
			cli_json_str(n, "state_at")
		};
		cli_print_notice(&a->common.json, &info);
	}
	cli_reply_free(&r);
	return EXIT_OK;
}
