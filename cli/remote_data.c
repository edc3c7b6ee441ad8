/* SPDX-License-Identifier: Apache-2.0 */
/* remote_data.c: the customers' data through the server: `pivault list` (GET
 * /v1/customers, page by page), `update` (PATCH /v1/customers/{id}), `consent
 * grant|withdraw|show` (POST and GET /v1/customers/{id}/consent) and `hold
 * add|release|list` (POST /v1/holds, POST /v1/holds/release, GET /v1/holds), printed as
 * the local commands print them. */
#include "remote.h"

#include <stdlib.h>
#include <string.h>

/* The server's largest page (GET /v1/customers?limit=); a longer list takes several. */
#define PAGE_MAX 1000

/* The sealed customers a list left out (summed over its pages) and under which incident. */
struct left_out {
	json_int_t customers;
	char incident[64];
};

/* One page of at most want customers after *after (NULL: from the start), printed; *after
 * becomes the next page's (malloc'd; NULL: none). 1, or 0 with *code. */
static int list_page(struct cli_args *a, size_t want, char **after, struct left_out *lo,
		     int *code)
{
	char n[24];
	snprintf(n, sizeof n, "%zu", want);
	struct cli_url u = { 0 };
	struct cli_reply r;
	cli_url_path(&u, "/v1/customers", NULL);
	cli_url_arg(&u, "after", *after);
	cli_url_arg(&u, "limit", n);
	cli_remote_reader_args(&u, &a->common);
	free(*after);
	*after = NULL;
	if (!cli_remote_send(&u, "GET", NULL, 200, &r, code))
		return 0;
	size_t i;
	json_t *one, *sealed = json_object_get(r.json, "sealed_left_out");
	json_array_foreach(json_object_get(r.json, "customers"), i, one)
		cli_remote_print_customer(one, a->common.json, 1);
	const char *next = json_string_value(json_object_get(r.json, "next"));
	*after = next ? strdup(next) : NULL;
	if (sealed) {
		lo->customers += json_integer_value(json_object_get(sealed, "customers"));
		snprintf(lo->incident, sizeof lo->incident, "%s", cli_json_str(sealed, "incident"));
	}
	cli_reply_free(&r);
	return 1;
}

/* What the list left out, and where it goes on, on standard error as the command says it. */
static void say_list_end(const struct cli_args *a, const struct left_out *lo, const char *next)
{
	fflush(stdout);
	if (lo->customers)
		fprintf(stderr, "pivault: %lld sealed customer%s left out (%s%s): not shown until "
			"an approved 'incident release'\n", (long long)lo->customers,
			lo->customers == 1 ? "" : "s",
			strncmp(lo->incident, "INC-", 4) ? "" : "incident ", lo->incident);
	if (next && !a->common.json)
		fprintf(stderr, "more: pivault list --after %s\n", next);
}

int cli_remote_list(struct cli_args *a)
{
	size_t limit = 50;
	const char *lim = cli_opt(a, "--limit");
	if (lim) {
		char *end;
		limit = strtoul(lim, &end, 10);
		if (*end || limit == 0)
			return cli_usage(a->prog, "--limit needs a positive number");
	}
	if (a->narg)
		return cli_usage(a->prog, "list takes no argument");
	const char *from = cli_opt(a, "--after");
	char *after = from ? strdup(from) : NULL;
	struct left_out lo = { 0, "" };
	int code = EXIT_OK;
	do {
		size_t want = limit > PAGE_MAX ? PAGE_MAX : limit;
		if (!list_page(a, want, &after, &lo, &code))
			return code;
		limit -= want;
	} while (limit > 0 && after);
	say_list_end(a, &lo, after);
	free(after);
	return EXIT_OK;
}

/* The changes FIELD=VALUE... as {"fields": {...}} with the reader's role and purpose. */
static json_t *changes_body(const struct cli_args *a)
{
	json_t *fields = json_object(), *body = json_pack("{s:o}", "fields", fields);
	for (int i = 1; body && i < a->narg; i++) {
		const char *eq = strchr(a->arg[i], '=');
		char *name = strndup(a->arg[i], (size_t)(eq - a->arg[i]));
		if (!name || json_object_set_new(fields, name, json_string(eq + 1)) != 0) {
			json_decref(body);
			body = NULL;
		}
		free(name);
	}
	if (body && a->common.role)
		json_object_set_new(body, "role", json_string(a->common.role));
	if (body && a->common.purpose)
		json_object_set_new(body, "purpose", json_string(a->common.purpose));
	return body;
}

int cli_remote_update(struct cli_args *a)
{
	int n = a->narg;
	if (n < 2)
		return cli_usage(a->prog, "an id and at least one FIELD=VALUE are required");
	for (int i = 1; i < n; i++)
		if (!strchr(a->arg[i], '=') || a->arg[i][0] == '=')
			return cli_usage(a->prog, "changes are written FIELD=VALUE");
	struct cli_url u = { 0 };
	struct cli_reply r;
	int code;
	cli_url_path(&u, "/v1/customers/", a->arg[0]);
	char *body = cli_json_text(changes_body(a));
	if (!body) {
		free(cli_url_take(&u));
		return EXIT_FAIL;
	}
	if (!cli_remote_send(&u, "PATCH", body, 204, &r, &code))
		return code;
	cli_reply_free(&r);
	for (int i = 1; i < n; i++)
		printf("updated %s: %.*s\n", a->arg[0], (int)strcspn(a->arg[i], "="), a->arg[i]);
	return EXIT_OK;
}

/* ---- Consent ---- */

int cli_remote_consent_set(struct cli_args *a)
{
	int grant = strcmp(a->cmd->name, "grant") == 0;
	const char *purpose = cli_opt(a, "--purpose"), *channel = cli_opt(a, "--channel");
	const char *version = grant ? cli_opt(a, "--text-version") : NULL;
	if (a->narg != 1)
		return cli_usage(a->prog, "a customer id is required");
	if (!purpose || !channel)
		return cli_usage(a->prog, "grant and withdraw need --purpose and --channel");
	json_t *obj = json_pack("{s:s,s:b,s:s}", "purpose", purpose, "granted", grant, "channel",
				channel);
	if (obj && version)
		json_object_set_new(obj, "text_version", json_string(version));
	if (obj && a->common.role)
		json_object_set_new(obj, "role", json_string(a->common.role));
	char *body = cli_json_text(obj);
	if (!body)
		return EXIT_FAIL;
	struct cli_url u = { 0 };
	struct cli_reply r;
	int code;
	cli_url_path(&u, "/v1/customers/", a->arg[0]);
	cli_url_path(&u, "/consent", NULL);
	if (!cli_remote_send(&u, "POST", body, 204, &r, &code))
		return code;
	cli_reply_free(&r);
	printf("consent of %s for %s %s\n", a->arg[0], purpose, grant ? "given" : "withdrawn");
	return EXIT_OK;
}

int cli_remote_consent_show(struct cli_args *a)
{
	if (a->narg != 1)
		return cli_usage(a->prog, "a customer id is required");
	struct cli_url u = { 0 };
	struct cli_reply r;
	int code;
	cli_url_path(&u, "/v1/customers/", a->arg[0]);
	cli_url_path(&u, "/consent", NULL);
	cli_url_arg(&u, "role", a->common.role);
	if (!cli_remote_send(&u, "GET", NULL, 200, &r, &code))
		return code;
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(r.json, "events"), i, e) {
		char at[32];
		cli_json_time(e, "at", CLI_TIME_FORMAT, at);
		pv_consent_event ev = { cli_json_str(e, "purpose"),
					json_is_true(json_object_get(e, "granted"))
						? PV_CONSENT_GRANTED : PV_CONSENT_WITHDRAWN,
					at, cli_json_str(e, "channel"),
					cli_json_str(e, "text_version"),
					cli_json_str(e, "recorded_by") };
		cli_print_consent_event(&a->common.json, &ev);
	}
	cli_reply_free(&r);
	return EXIT_OK;
}

/* ---- Legal holds ---- */

int cli_remote_hold_change(struct cli_args *a)
{
	int add = strcmp(a->cmd->name, "add") == 0;
	const char *reason = cli_opt(a, "--reason");
	size_t n = (size_t)a->narg;
	if (n == 0)
		return cli_usage(a->prog, "at least one customer id is required");
	if (add && !reason)
		return cli_usage(a->prog, "a hold needs --reason");
	json_t *ids = json_array(), *obj = json_pack("{s:o}", "customers", ids);
	for (size_t i = 0; obj && i < n; i++)
		json_array_append_new(ids, json_string(a->arg[i]));
	if (obj && reason)
		json_object_set_new(obj, "reason", json_string(reason));
	if (obj && a->common.role)
		json_object_set_new(obj, "role", json_string(a->common.role));
	char *body = cli_json_text(obj);
	if (!body)
		return EXIT_FAIL;
	struct cli_url u = { 0 };
	struct cli_reply r;
	int code;
	cli_url_path(&u, add ? "/v1/holds" : "/v1/holds/release", NULL);
	if (!cli_remote_send(&u, "POST", body, 204, &r, &code))
		return code;
	cli_reply_free(&r);
	printf("%s %zu customer%s\n", add ? "held" : "released", n, n == 1 ? "" : "s");
	return EXIT_OK;
}

int cli_remote_hold_list(struct cli_args *a)
{
	if (a->narg)
		return cli_usage(a->prog, "list takes no argument");
	struct cli_url u = { 0 };
	struct cli_reply r;
	int code;
	cli_url_path(&u, "/v1/holds", NULL);
	cli_url_arg(&u, "role", a->common.role);
	if (!cli_remote_send(&u, "GET", NULL, 200, &r, &code))
		return code;
	size_t i;
	json_t *h;
	json_array_foreach(json_object_get(r.json, "holds"), i, h) {
		char since[32], released[32];
		cli_json_time(h, "since", CLI_TIME_FORMAT, since);
		cli_json_time(h, "released", CLI_TIME_FORMAT, released);
		pv_hold_info info = { cli_json_str(h, "customer"), cli_json_str(h, "reason"),
				      cli_json_str(h, "placed_by"), since, released,
				      cli_json_str(h, "released_by") };
		cli_print_hold(&a->common.json, &info);
	}
	cli_reply_free(&r);
	return EXIT_OK;
}
