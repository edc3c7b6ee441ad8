/* SPDX-License-Identifier: Apache-2.0 */
/* remote_retention.c: retention through the server: `pivault retention plan` (GET
 * /v1/retention/plan) printed as locally, and `retention apply` (POST
 * /v1/retention/apply: asked for under four eyes, then run with --request), its
 * certificates printed or written to -o as locally and its counts on standard error. */
#include "remote.h"

#include <stdlib.h>
#include <string.h>

int cli_remote_retention_plan(struct cli_args *a)
{
	if (a->narg)
		return cli_usage(a->prog, "plan takes no argument");
	struct cli_url u = { 0 };
	struct cli_reply r;
	int code;
	cli_url_path(&u, "/v1/retention/plan", NULL);
	cli_url_arg(&u, "as_of", cli_opt(a, "--as-of"));
	cli_url_arg(&u, "role", a->common.role);
	if (!cli_remote_send(&u, "GET", NULL, 200, &r, &code))
		return code;
	size_t i;
	json_t *it, *sum = json_object_get(r.json, "summary");
	json_array_foreach(json_object_get(r.json, "items"), i, it) {
		pv_retention_item item = { cli_json_str(it, "id"), cli_json_str(it, "action"),
					   cli_json_str(it, "fields"), cli_json_str(it, "rule"),
					   cli_json_str(it, "due"), cli_json_str(it, "held"),
					   cli_json_str(it, "missing") };
		cli_print_retention_item(&a->common.json, &item);
	}
	pv_retention_summary s;
	memset(&s, 0, sizeof s);
	snprintf(s.as_of, sizeof s.as_of, "%s", cli_json_str(sum, "as_of"));
	s.shred = (uint64_t)json_integer_value(json_object_get(sum, "shred"));
	s.erase = (uint64_t)json_integer_value(json_object_get(sum, "erase"));
	s.held = (uint64_t)json_integer_value(json_object_get(sum, "held"));
	s.undetermined = (uint64_t)json_integer_value(json_object_get(sum, "undetermined"));
	s.undetermined_customers =
		(uint64_t)json_integer_value(json_object_get(sum, "undetermined_customers"));
	cli_print_retention_summary(a->common.json, &s);
	cli_reply_free(&r);
	return EXIT_OK;
}

/* The body of an apply: the date, who acts and the approved request it runs under. */
static char *apply_body(const struct cli_args *a)
{
	json_t *obj = json_object();
	const char *as_of = cli_opt(a, "--as-of");
	if (obj && as_of)
		json_object_set_new(obj, "as_of", json_string(as_of));
	if (obj && a->common.role)
		json_object_set_new(obj, "role", json_string(a->common.role));
	if (obj && a->common.request)
		json_object_set_new(obj, "request", json_string(a->common.request));
	return cli_json_text(obj);
}

void cli_remote_keep_certificates(const json_t *reply, struct cli_cert_sink *sink)
{
	size_t i;
	json_t *cert;
	json_array_foreach(json_object_get(reply, "certificates"), i, cert) {
		char *text = json_is_string(cert) ? strdup(json_string_value(cert))
						  : json_dumps(cert, JSON_INDENT(2) | JSON_SORT_KEYS);
		if (text)
			cli_keep_certificate(sink, text);
		free(text);
	}
}

static unsigned long long count_of(const json_t *reply, const char *key)
{
	return (unsigned long long)json_integer_value(json_object_get(reply, key));
}

int cli_remote_retention_apply(struct cli_args *a)
{
	if (a->narg)
		return cli_usage(a->prog, "apply takes no argument");
	char *body = apply_body(a);
	if (!body)
		return EXIT_FAIL;
	struct cli_cert_sink sink;
	if (cli_cert_sink_open(&sink, cli_opt(a, "-o")) != 0) {
		free(body);
		return EXIT_FAIL;
	}
	struct cli_url u = { 0 };
	struct cli_reply r;
	int code;
	cli_url_path(&u, "/v1/retention/apply", NULL);
	int ok = cli_remote_send(&u, "POST", body, 200, &r, &code);
	if (ok)
		cli_remote_keep_certificates(r.json, &sink);
	if (cli_cert_sink_close(&sink) != 0)
		code = EXIT_FAIL;
	if (!ok)
		return code;
	fprintf(stderr, "retention: %llu customers shredded, %llu erased, %llu held back, "
		"%llu values undetermined (no due date; left alone: see retention plan)\n",
		count_of(r.json, "shredded"), count_of(r.json, "erased"), count_of(r.json, "held"),
		count_of(r.json, "undetermined"));
	cli_reply_free(&r);
	return code;
}
