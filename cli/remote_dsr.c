/* SPDX-License-Identifier: Apache-2.0 */
/* remote_dsr.c: answering data-subject requests through the server: `pivault dsr open`
 * (POST /v1/dsr), `close`, `correct`, `restrict` and `object` (POST
 * /v1/dsr/{id}/close|correct|fulfil), `lift` (POST /v1/dsr/lift), `report` (GET
 * /v1/dsr/{id}/report, printed as the library renders it) and `delete` (POST
 * /v1/dsr/{id}/delete: asked for under four eyes, then run with --request), printed as
 * the local commands print them. (`dsr list` is in remote_requests.c.) */
#include "remote.h"

#include <stdlib.h>
#include <string.h>

/* The request the subcommand names (its one argument); NULL after the usage message. */
static const char *the_request(struct cli_args *a, int *code)
{
	return cli_one_arg(a, "one request id is expected", "name the request (REQ)", code);
}

int cli_remote_dsr_open(struct cli_args *a)
{
	const char *customer = cli_opt(a, "--customer"), *type = cli_opt(a, "--type");
	const char *law = cli_opt(a, "--law");
	if (!customer || !type || a->narg)
		return cli_usage(a->prog, "open needs --customer and --type");
	json_t *obj = json_pack("{s:s,s:s}", "customer", customer, "kind", type);
	if (obj && law)
		json_object_set_new(obj, "law", json_string(law));
	struct cli_reply r;
	int code;
	if (!cli_remote_post(&a->common, "/v1/dsr", NULL, "", obj, 201, &r, &code))
		return code;
	printf(a->common.json ? "{\"request\":\"%s\"}\n" : "opened %s\n", cli_json_str(r.json, "id"));
	cli_reply_free(&r);
	return EXIT_OK;
}

int cli_remote_dsr_close(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *id = the_request(a, &code), *outcome = cli_opt(a, "--outcome");
	if (!id)
		return code;
	if (!outcome)
		return cli_usage(a->prog, "close needs REQ and --outcome");
	code = cli_remote_post_done(&a->common, "/v1/dsr", id, "/close",
				    json_pack("{s:s}", "outcome", outcome));
	if (code == EXIT_OK)
		printf("closed %s\n", id);
	return code;
}

int cli_remote_dsr_correct(struct cli_args *a)
{
	size_t n = a->narg > 1 ? (size_t)a->narg - 1 : 0;
	for (size_t k = 0; k < n; k++)
		if (!strchr(a->arg[k + 1], '='))
			n = 0;
	if (a->narg < 1 || !n)
		return cli_usage(a->prog, "correct takes REQ FIELD=VALUE...");
	json_t *fields = json_object(), *obj = json_pack("{s:o}", "fields", fields);
	for (size_t k = 0; obj && k < n; k++) {
		const char *pair = a->arg[k + 1], *eq = strchr(pair, '=');
		char *name = strndup(pair, (size_t)(eq - pair));
		if (!name || json_object_set_new(fields, name, json_string(eq + 1)) != 0) {
			json_decref(obj);
			obj = NULL;
		}
		free(name);
	}
	int code = cli_remote_post_done(&a->common, "/v1/dsr", a->arg[0], "/correct", obj);
	if (code == EXIT_OK)
		printf("request %s fulfilled: %zu field%s corrected, request closed\n", a->arg[0], n,
		       n == 1 ? "" : "s");
	return code;
}

/* restrict and object: the request fulfilled as its type says. */
int cli_remote_dsr_fulfil(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *id = the_request(a, &code);
	if (!id)
		return code;
	code = cli_remote_post_done(&a->common, "/v1/dsr", id, "/fulfil", json_object());
	if (code == EXIT_OK)
		printf("request %s fulfilled: %s, request closed\n", id,
		       strcmp(a->cmd->name, "object") == 0 ? "objection recorded"
							   : "processing restricted");
	return code;
}

int cli_remote_dsr_lift(struct cli_args *a)
{
	int objection = cli_flag(a, "--objection");
	if (a->narg != 1)
		return cli_usage(a->prog, "name the customer");
	if (objection == cli_flag(a, "--restriction"))
		return cli_usage(a->prog, "lift takes --restriction or --objection");
	json_t *obj = json_pack("{s:s,s:s}", "customer", a->arg[0], "what",
				objection ? "objection" : "restriction");
	int code = cli_remote_post_done(&a->common, "/v1/dsr", NULL, "/lift", obj);
	if (code == EXIT_OK)
		printf("%s of %s lifted\n", objection ? "objection" : "restriction", a->arg[0]);
	return code;
}

/* The access report as the library renders it (JSON or HTML), on standard output only. */
int cli_remote_dsr_report(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *id = the_request(a, &code);
	if (!id)
		return code;
	struct cli_url u = { 0 };
	cli_url_path(&u, "/v1/dsr/", id);
	cli_url_path(&u, "/report", NULL);
	cli_url_arg(&u, "format", cli_flag(a, "--html") ? "html" : "json");
	cli_url_arg(&u, "role", a->common.role);
	char *path = cli_url_take(&u);
	struct cli_reply r;
	code = path ? cli_remote_call("GET", path, NULL, CLI_SIGNED_IN, &r) : EXIT_FAIL;
	free(path);
	if (code)
		return code;
	if (r.status == 200)
		fwrite(r.body ? r.body : "", 1, r.len, stdout);
	else
		code = cli_remote_failed(&r);
	cli_reply_free(&r);
	return code;
}

/* A deletion request: asked for (four eyes) without --request, run with an approved one;
 * the destruction certificate printed or written to -o FILE as locally. */
int cli_remote_dsr_delete(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *id = the_request(a, &code), *out_path = cli_opt(a, "-o");
	if (!id)
		return code;
	struct cli_reply r;
	if (!cli_remote_post(&a->common, "/v1/dsr", id, "/delete", json_object(), 200, &r,
			     &code))
		return code;
	json_t *cert = json_object_get(r.json, "certificate");
	char *text = json_is_object(cert) ? json_dumps(cert, JSON_INDENT(2) | JSON_SORT_KEYS)
					  : NULL;
	code = text ? cli_write_certificate(text, out_path) : EXIT_OK;
	if (code == EXIT_OK)
		printf("request %s fulfilled: customer shredded, request closed\n", id);
	free(text);
	cli_reply_free(&r);
	return code;
}
