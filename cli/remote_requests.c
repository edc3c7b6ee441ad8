/* SPDX-License-Identifier: Apache-2.0 */
/* remote_requests.c: four-eyes requests and data-subject requests through the server:
 * `pivault requests` (GET /v1/requests?state=all), `approve` and `reject` (POST
 * /v1/requests/{id}/approve|reject) and `pivault dsr list` (GET /v1/dsr?state=all),
 * printed as the local commands print them. */
#include "remote.h"

#include <stdlib.h>
#include <string.h>

/* GET prefix?state=all&role=ROLE; 1 with the reply, else 0 with *code. */
static int get_all(const char *prefix, const struct cli_common *c, struct cli_reply *r,
		   int *code)
{
	struct cli_url u = { 0 };
	cli_url_path(&u, prefix, NULL);
	cli_url_arg(&u, "state", "all");
	cli_url_arg(&u, "role", c->role);
	char *path = cli_url_take(&u);
	*code = EXIT_FAIL;
	int ok = path && cli_remote_expect("GET", path, NULL, 200, r, code);
	free(path);
	return ok;
}

/* The decision's user of a request ("" when undecided). */
static const char *decided_by(const json_t *q)
{
	json_t *rejection = json_object_get(q, "rejection");
	json_t *approval = json_array_get(json_object_get(q, "approvals"), 0);
	return json_is_object(rejection) ? cli_json_str(rejection, "by")
					 : cli_json_str(approval, "by");
}

/* Append s to the text at *at (escaping a newline and a backslash as the library keeps
 * them when esc); grows *buf. 0, or -1 out of memory. */
static int add_text(char **buf, size_t *at, const char *s, int esc)
{
	size_t n = strlen(s), need = *at + 2 * n + 1;
	char *grown = realloc(*buf, need);
	if (!grown)
		return -1;
	*buf = grown;
	for (; *s; s++) {
		if (esc && (*s == '\n' || *s == '\\'))
			grown[(*at)++] = '\\';
		grown[(*at)++] = esc && *s == '\n' ? 'n' : *s;
	}
	grown[*at] = '\0';
	return 0;
}

/* The request's bound parameters as the library keeps them for the approver ("key=value"
 * joined by ';', " ..." when cut), from the reply's "args" object. malloc'd or NULL. */
static char *params_text(const json_t *args)
{
	char *buf = calloc(1, 1);
	size_t at = 0;
	int truncated = 0, first = 1;
	const char *key;
	json_t *val;
	json_object_foreach((json_t *)args, key, val) {
		if (json_is_true(val) && strcmp(key, "truncated") == 0) {
			truncated = 1;
			continue;
		}
		if (!buf || (!first && add_text(&buf, &at, ";", 0)) || add_text(&buf, &at, key, 1) ||
		    add_text(&buf, &at, "=", 0) ||
		    add_text(&buf, &at, json_string_value(val) ? json_string_value(val) : "", 1))
			break;
		first = 0;
	}
	if (buf && truncated && add_text(&buf, &at, " ...", 0) != 0) {
		free(buf);
		buf = NULL;
	}
	return buf;
}

static void print_request(const json_t *q, int json)
{
	char *params = params_text(json_object_get(q, "args"));
	char *command = json_dumps(json_object_get(q, "command"), JSON_COMPACT);
	char created[32];
	cli_json_time(q, "created", CLI_TIME_FORMAT, created);
	pv_request_info info = { cli_json_str(q, "id"), cli_json_str(q, "requested_by"),
				 cli_json_str(q, "op"), params ? params : "",
				 command ? command : "", cli_json_str(q, "reason"), created,
				 json_integer_value(json_object_get(q, "expires")),
				 cli_json_str(q, "state"), decided_by(q), "", NULL,
				 json_integer_value(json_object_get(q, "created")), 0 };
	cli_print_request(&json, &info);
	free(params);
	free(command);
}

int cli_remote_requests(struct cli_args *a)
{
	if (a->narg)
		return cli_usage(a->prog, "requests takes no argument");
	struct cli_reply r;
	int code;
	if (!get_all("/v1/requests", &a->common, &r, &code))
		return code;
	size_t i;
	json_t *q;
	json_array_foreach(json_object_get(r.json, "requests"), i, q)
		print_request(q, a->common.json);
	cli_reply_free(&r);
	return EXIT_OK;
}

int cli_remote_decide(struct cli_args *a)
{
	int approve = strcmp(a->cmd->name, "approve") == 0;
	if (a->narg != 1)
		return cli_usage(a->prog, a->narg ? "one request id is expected"
						  : "a request id is required");
	struct cli_url u = { 0 };
	cli_url_path(&u, "/v1/requests/", a->arg[0]);
	cli_url_path(&u, approve ? "/approve" : "/reject", NULL);
	cli_url_arg(&u, "role", a->common.role);
	char *path = cli_url_take(&u), *body = path ? cli_json_text(json_object()) : NULL;
	struct cli_reply r;
	int code = EXIT_FAIL;
	if (!path || !body || !cli_remote_expect("POST", path, body, 200, &r, &code)) {
		free(path);
		return code;
	}
	free(path);
	printf("%s %s\n", approve ? "approved" : "rejected", a->arg[0]);
	const char *half = cli_json_str(r.json, "enrol_half");
	if (*half)
		printf("the new user's enrolment code, first half (give it to them in person; the "
		       "requester gets the second half when running the request):\n  %s\n", half);
	cli_reply_free(&r);
	return EXIT_OK;
}

static void print_dsr(const json_t *d, int json)
{
	char opened[32];
	cli_json_time(d, "opened", CLI_DATE_FORMAT, opened);
	pv_dsr_info info = { cli_json_str(d, "id"), cli_json_str(d, "customer"),
			     cli_json_str(d, "kind"), cli_json_str(d, "law"), opened,
			     cli_json_str(d, "due"), cli_json_str(d, "state"),
			     cli_json_str(d, "closed"), cli_json_str(d, "outcome") };
	cli_print_dsr(&json, &info);
}

int cli_remote_dsr_list(struct cli_args *a)
{
	if (a->narg)
		return cli_usage(a->prog, "list takes no argument");
	struct cli_reply r;
	int code, overdue = cli_flag(a, "--overdue");
	if (!get_all("/v1/dsr", &a->common, &r, &code))
		return code;
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(r.json, "dsr"), i, d)
		if (!overdue || strcmp(cli_json_str(d, "state"), "overdue") == 0)
			print_dsr(d, a->common.json);
	cli_reply_free(&r);
	return EXIT_OK;
}
