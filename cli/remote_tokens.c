/* SPDX-License-Identifier: Apache-2.0 */
/* remote_tokens.c: tokens through the server: `pivault tokenize` and `detokenize` (POST
 * /v1/tokenize, /v1/detokenize), and API tokens for scripts, `pivault token create|list|
 * revoke` (POST, GET /v1/tokens, DELETE /v1/tokens/{id}), printed as locally. */
#include "remote.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* method path?role=ROLE with body (a JSON object, decref'd; NULL: none); 1 with the
 * reply of the expected status, else 0 with *code. */
static int call(const char *method, const char *prefix, const char *segment, const char *role,
		json_t *body, long status, struct cli_reply *r, int *code)
{
	struct cli_url u = { 0 };
	cli_url_path(&u, prefix, segment);
	cli_url_arg(&u, "role", role);
	char *path = cli_url_take(&u), *text = body ? cli_json_text(body) : NULL;
	*code = EXIT_FAIL;
	int ok = path && (!body || text) && cli_remote_expect(method, path, text, status, r, code);
	if (!path)
		free(text);
	free(path);
	return ok;
}

int cli_remote_tokenize(struct cli_args *a)
{
	const char *id = cli_opt(a, "--customer"), *field = cli_opt(a, "--field");
	if (!id || !field)
		return cli_usage(a->prog, "--customer ID and --field NAME are required");
	if (a->narg)
		return cli_usage(a->prog, "tokenize takes no arguments besides its options");
	json_t *body = json_pack("{s:s,s:s,s:s*,s:s*,s:s,s:s}", "customer", id, "field", field,
				 "purpose", a->common.purpose, "role", a->common.role, "mode",
				 cli_flag(a, "--deterministic") ? "deterministic" : "random",
				 "shape", cli_flag(a, "--shaped") ? "like-field" : "opaque");
	struct cli_reply r;
	int code;
	if (!call("POST", "/v1/tokenize", NULL, NULL, body, 200, &r, &code))
		return code;
	if (a->common.json) {
		fputs("{\"token\":", stdout);
		cli_json_string(stdout, cli_json_str(r.json, "token"));
		puts("}");
	} else {
		puts(cli_json_str(r.json, "token"));
	}
	cli_reply_free(&r);
	return EXIT_OK;
}

int cli_remote_detokenize(struct cli_args *a)
{
	int code = EXIT_USAGE;
	const char *token = cli_one_arg(a, "one token is expected", "name the token", &code);
	if (!token)
		return code;
	json_t *body = json_pack("{s:s,s:s*,s:s*}", "token", token, "purpose", a->common.purpose,
				 "role", a->common.role);
	struct cli_reply r;
	if (!call("POST", "/v1/detokenize", NULL, NULL, body, 200, &r, &code))
		return code;
	json_t *value = json_object_get(r.json, "value");
	if (a->common.json) {
		fputs("{\"value\":", stdout);
		cli_json_string(stdout, cli_json_str(r.json, "value"));
		puts("}");
	} else {
		puts(cli_json_str(r.json, "value"));
	}
	if (json_is_string(value))
		sodium_memzero((char *)json_string_value(value), json_string_length(value));
	cli_reply_free(&r);
	return EXIT_OK;
}

/* "a,b" as the JSON array ["a", "b"]. */
static json_t *purpose_list(const char *text)
{
	json_t *list = json_array();
	char copy[512], *save = NULL;
	snprintf(copy, sizeof copy, "%s", text);
	for (char *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save))
		json_array_append_new(list, json_string(p));
	return list;
}

/* The made token printed once, as `pivault token create` prints it locally. */
static void print_made(const json_t *reply, const char *user, const char *role,
		       unsigned long days, int json)
{
	const char *id = cli_json_str(reply, "id"), *token = cli_json_str(reply, "token");
	if (json) {
		printf("{\"id\":\"%s\",\"token\":\"%s\",\"user\":", id, token);
		cli_json_string(stdout, user);
		printf(",\"expires_in\":%lu}\n", days * 86400);
	} else {
		printf("%s\n", token);
		fprintf(stderr, "API token %s for %s as %s, for %lu days: shown this once\n", id,
			user, role, days);
	}
	fflush(stdout);
	json_t *t = json_object_get(reply, "token");
	if (json_is_string(t))
		sodium_memzero((char *)json_string_value(t), json_string_length(t));
}

int cli_remote_token_create(struct cli_args *a)
{
	const char *user = cli_opt(a, "--for"), *role = cli_opt(a, "--token-role"),
		   *purposes = cli_opt(a, "--purposes"), *days = cli_opt(a, "--days");
	if (!user || !role || !purposes || !days || a->narg)
		return cli_usage(a->prog, "create needs --for, --token-role, --purposes and --days");
	char *end = NULL;
	unsigned long n = strtoul(days, &end, 10);
	if (end == days || *end || n < 1 || n > 365)
		return cli_usage(a->prog, "--days: a whole number of days from 1 to 365");
	json_t *body = json_pack("{s:s,s:s,s:o,s:I}", "user", user, "role", role, "purposes",
				 purpose_list(purposes), "expires_in", (json_int_t)(n * 86400));
	struct cli_reply r;
	int code;
	if (!call("POST", "/v1/tokens", NULL, a->common.role, body, 201, &r, &code))
		return code;
	print_made(r.json, user, role, n, a->common.json);
	cli_reply_free(&r);
	return EXIT_OK;
}

/* A token of the reply's list printed as `pivault token list` prints it. */
static void print_listed(const json_t *t, int json)
{
	char purposes[512] = "";
	size_t i, used = 0;
	json_t *p;
	json_array_foreach(json_object_get(t, "purposes"), i, p) {
		int w = snprintf(purposes + used, sizeof purposes - used, "%s%s", i ? "," : "",
				 json_string_value(p) ? json_string_value(p) : "");
		if (w > 0 && (size_t)w < sizeof purposes - used)
			used += (size_t)w;
	}
	pv_api_token_info info = {
		cli_json_str(t, "id"), cli_json_str(t, "user"), cli_json_str(t, "role"), purposes,
		cli_json_str(t, "created_by"), cli_json_str(t, "state"),
		json_integer_value(json_object_get(t, "created")),
		json_integer_value(json_object_get(t, "expires")),
		json_integer_value(json_object_get(t, "revoked")),
	};
	cli_print_api_token(&json, &info);
}

int cli_remote_token_list(struct cli_args *a)
{
	if (a->narg)
		return cli_usage(a->prog, "list takes no argument");
	struct cli_url u = { 0 };
	cli_url_path(&u, "/v1/tokens", NULL);
	cli_url_arg(&u, "role", a->common.role);
	cli_url_arg(&u, "user", cli_opt(a, "--for"));
	char *path = cli_url_take(&u);
	struct cli_reply r;
	int code = EXIT_FAIL;
	if (!path || !cli_remote_expect("GET", path, NULL, 200, &r, &code)) {
		free(path);
		return code;
	}
	free(path);
	size_t i;
	json_t *t;
	json_array_foreach(json_object_get(r.json, "tokens"), i, t)
		print_listed(t, a->common.json);
	cli_reply_free(&r);
	return EXIT_OK;
}

int cli_remote_token_revoke(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *id = cli_one_arg(a, "one token id is expected", "name the token (ID)", &code);
	if (!id)
		return code;
	struct cli_reply r;
	if (!call("DELETE", "/v1/tokens/", id, a->common.role, NULL, 204, &r, &code))
		return code;
	printf(a->common.json ? "{\"revoked\":\"%s\"}\n" : "revoked %s\n", id);
	cli_reply_free(&r);
	return EXIT_OK;
}
