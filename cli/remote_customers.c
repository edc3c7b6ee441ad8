/* SPDX-License-Identifier: Apache-2.0 */
/* remote_customers.c: reading customers through the server: `pivault get` (GET
 * /v1/customers/{id}, one per id) and `pivault find` (GET /v1/customers?FIELD=VALUE),
 * printed as the command prints them from a local vault; the server masks. */
#include "remote.h"

#include <stdlib.h>
#include <string.h>

void cli_remote_reader_args(struct cli_url *u, const struct cli_common *c)
{
	cli_url_arg(u, "role", c->role);
	cli_url_arg(u, "purpose", c->purpose);
	cli_url_arg(u, "clear", c->clear ? "true" : NULL);
	cli_url_arg(u, "request", c->request);
}

void cli_remote_print_customer(const json_t *rec, int json, int line_mode)
{
	json_t *fields = json_object_get(rec, "fields"), *consents = json_object_get(rec, "consents");
	size_t n = json_object_size(fields), k = json_object_size(consents), i = 0, j = 0;
	const char *names[n + 1], *values[n + 1], *purposes[k + 1];
	int granted[k + 1];
	const char *key;
	json_t *val;
	json_object_foreach(fields, key, val) {
		names[i] = key;
		values[i++] = json_string_value(json_object_get(val, "value"));
	}
	json_object_foreach(consents, key, val) {
		purposes[j] = key;
		granted[j++] = json_is_true(val);
	}
	struct cli_customer c = { cli_json_str(rec, "id"), n, k, names, values, purposes, granted };
	cli_print_customer(&c, json, line_mode);
}

/* GET path; 1 with the reply, else 0 with *code. */
static int get_json(struct cli_url *u, struct cli_reply *r, int *code)
{
	char *path = cli_url_take(u);
	*code = EXIT_FAIL;
	int ok = path && cli_remote_expect("GET", path, NULL, 200, r, code);
	free(path);
	return ok;
}

int cli_remote_get(struct cli_args *a)
{
	if (a->narg == 0)
		return cli_usage(a->prog, "a customer id is required");
	int code = EXIT_OK;
	for (int i = 0; i < a->narg && code == EXIT_OK; i++) {
		struct cli_url u = { 0 };
		struct cli_reply r;
		cli_url_path(&u, "/v1/customers/", a->arg[i]);
		cli_remote_reader_args(&u, &a->common);
		if (!get_json(&u, &r, &code))
			break;
		cli_remote_print_customer(r.json, a->common.json, 0);
		cli_reply_free(&r);
	}
	return code;
}

/* The customers found (or only their ids, for a role that may find but not read). */
static size_t print_found(const json_t *reply, int json)
{
	json_t *list = json_object_get(reply, "customers"), *ids = json_object_get(reply, "ids");
	json_t *one;
	size_t i;
	json_array_foreach(list, i, one)
		cli_remote_print_customer(one, json, 0);
	json_array_foreach(ids, i, one) {
		if (json) {
			fputs("{\"id\":", stdout);
			cli_json_string(stdout, json_string_value(one) ? json_string_value(one) : "");
			puts("}");
		} else {
			puts(json_string_value(one) ? json_string_value(one) : "");
		}
	}
	return json_array_size(list) + json_array_size(ids);
}

int cli_remote_find(struct cli_args *a)
{
	if (a->narg != 2 || strncmp(a->arg[0], "--", 2) != 0 || !a->arg[0][2])
		return cli_usage(a->prog, "give one --FIELD VALUE");
	struct cli_url u = { 0 };
	struct cli_reply r;
	int code;
	cli_url_path(&u, "/v1/customers", NULL);
	cli_url_arg(&u, a->arg[0] + 2, a->arg[1]);
	cli_remote_reader_args(&u, &a->common);
	if (!get_json(&u, &r, &code))
		return code;
	if (print_found(r.json, a->common.json) == 0) {
		fprintf(stderr, "pivault: no customer matches\n");
		code = EXIT_FAIL;
	}
	cli_reply_free(&r);
	return code;
}
