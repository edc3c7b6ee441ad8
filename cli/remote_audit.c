/* SPDX-License-Identifier: Apache-2.0 */
/* remote_audit.c: the audit log through the server: `pivault audit verify` (GET
 * /v1/audit/verify, with --checkpoint the checkpoint's text sent as ?checkpoint=), `audit
 * log` (GET /v1/audit, page by page), `audit checkpoint` and `audit checkpoints` (POST and
 * GET /v1/audit/checkpoints), `audit prove` (GET /v1/audit/proofs/{seq}) and `audit
 * consistency` (POST /v1/audit/consistency): the checkpoints and proofs written as the
 * library made them, for `audit check-proof` where no vault is; `audit alerts` (GET
 * /v1/audit/alerts) and `audit threshold` (POST /v1/audit/threshold, four eyes). */
#include "remote.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Checkpoints and proofs are a few kilobytes (as the local command reads them). */
#define PROOF_MAX 65535

/* The number of arguments the subcommand takes (n), checked as the local command checks
 * them: EXIT_OK, or the usage's exit status. */
static int takes(struct cli_args *a, int n)
{
	if (a->narg == n)
		return EXIT_OK;
	return cli_usage(a->prog, a->narg > n ? "unexpected argument" : "an argument is missing");
}

/* The library's text under key of a reply of the expected status written to -o FILE (a
 * new file) or standard output, as the local command writes it. */
static int put_text(struct cli_args *a, struct cli_url *u, const char *method, char *body,
		    long status, const char *key)
{
	struct cli_reply r;
	int code;
	if (!cli_remote_send(u, method, body, status, &r, &code))
		return code;
	const char *text = cli_json_str(r.json, key), *path = cli_opt(a, "-o");
	FILE *out = path ? cli_create(path) : stdout;
	code = out ? EXIT_OK : EXIT_FAIL;
	if (out && (fputs(text, out) < 0 || (out != stdout && fclose(out) != 0)))
		code = EXIT_FAIL;
	cli_reply_free(&r);
	return code;
}

int cli_remote_audit_verify(struct cli_args *a)
{
	int code = takes(a, 0);
	const char *ck_path = cli_opt(a, "--checkpoint");
	if (code)
		return code;
	char *checkpoint = ck_path ? cli_read_text(ck_path, PROOF_MAX) : NULL;
	if (ck_path && !checkpoint)
		return EXIT_FAIL;
	struct cli_url u = { 0 };
	cli_url_path(&u, "/v1/audit/verify", NULL);
	cli_url_arg(&u, "role", a->common.role);
	cli_url_arg(&u, "checkpoint", checkpoint);
	free(checkpoint);
	char *path = cli_url_take(&u);
	struct cli_reply r;
	code = EXIT_FAIL;
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

int cli_remote_audit_checkpoint(struct cli_args *a)
{
	int code = takes(a, 0);
	if (code)
		return code;
	struct cli_url u = { 0 };
	cli_url_path(&u, "/v1/audit/checkpoints", NULL);
	cli_url_arg(&u, "role", a->common.role);
	return put_text(a, &u, "POST", cli_json_text(json_object()), 201, "checkpoint");
}

/* A listed checkpoint printed as `pivault audit checkpoints` prints the library's. */
static void print_checkpoint(const json_t *k, int json)
{
	json_t *ms = json_object_get(k, "at_ms");
	time_t t = (time_t)(json_integer_value(ms) / 1000);
	struct tm tm;
	char at[40] = "", whole[32];
	if (json_is_integer(ms) && gmtime_r(&t, &tm) &&
	    strftime(whole, sizeof whole, "%Y-%m-%dT%H:%M:%S", &tm))
		snprintf(at, sizeof at, "%s.%03dZ", whole, (int)(json_integer_value(ms) % 1000));
	pv_audit_checkpoint_info info = { (uint64_t)json_integer_value(json_object_get(k, "size")),
					  cli_json_str(k, "root"), at,
					  json_is_true(json_object_get(k, "verified")) };
	cli_print_checkpoint(&json, &info);
}

int cli_remote_audit_checkpoints(struct cli_args *a)
{
	unsigned long long after = 0, limit = 100;
	int code = cli_checkpoint_page(a, &after, &limit);
	if (code || (code = takes(a, 0)))
		return code;
	char from[32], most[32];
	snprintf(from, sizeof from, "%llu", after);
	snprintf(most, sizeof most, "%llu", limit);
	struct cli_url u = { 0 };
	struct cli_reply r;
	cli_url_path(&u, "/v1/audit/checkpoints", NULL);
	cli_url_arg(&u, "after", from);
	cli_url_arg(&u, "limit", most);
	cli_url_arg(&u, "role", a->common.role);
	if (!cli_remote_send(&u, "GET", NULL, 200, &r, &code))
		return code;
	size_t i;
	json_t *k, *next = json_object_get(r.json, "next");
	json_array_foreach(json_object_get(r.json, "checkpoints"), i, k)
		print_checkpoint(k, a->common.json);
	if (json_integer_value(next) && !a->common.json)
		printf("more: --after %lld\n", (long long)json_integer_value(next));
	cli_reply_free(&r);
	return EXIT_OK;
}

int cli_remote_audit_prove(struct cli_args *a)
{
	char *end = NULL;
	unsigned long long seq = a->narg == 1 ? strtoull(a->arg[0], &end, 10) : 0;
	if (a->narg == 1 && (*end || end == a->arg[0]))
		return cli_usage(a->prog, "SEQ must be a number");
	int code = takes(a, 1);
	if (code)
		return code;
	char number[32];
	snprintf(number, sizeof number, "%llu", seq);
	struct cli_url u = { 0 };
	cli_url_path(&u, "/v1/audit/proofs/", number);
	cli_url_arg(&u, "role", a->common.role);
	return put_text(a, &u, "GET", NULL, 200, "proof");
}

int cli_remote_audit_consistency(struct cli_args *a)
{
	int code = takes(a, 1);
	if (code)
		return code;
	char *old = cli_read_text(a->arg[0], PROOF_MAX);
	if (!old)
		return EXIT_FAIL;
	json_t *obj = json_pack("{s:s}", "checkpoint", old);
	free(old);
	struct cli_url u = { 0 };
	cli_url_path(&u, "/v1/audit/consistency", NULL);
	cli_url_arg(&u, "role", a->common.role);
	return put_text(a, &u, "POST", cli_json_text(obj), 200, "proof");
}

/* GET /v1/audit/alerts, each alert printed as `pivault audit alerts` prints the library's. */
int cli_remote_audit_alerts(struct cli_args *a)
{
	int code = takes(a, 0);
	if (code)
		return code;
	struct cli_url u = { 0 };
	struct cli_reply r;
	cli_url_path(&u, "/v1/audit/alerts", NULL);
	cli_url_arg(&u, "role", a->common.role);
	if (!cli_remote_send(&u, "GET", NULL, 200, &r, &code))
		return code;
	size_t i;
	json_t *al;
	json_array_foreach(json_object_get(r.json, "alerts"), i, al) {
		pv_audit_alert alert = { (uint64_t)json_integer_value(json_object_get(al, "seq")),
					 cli_json_str(al, "at"), cli_json_str(al, "user"),
					 cli_json_str(al, "kind"), cli_json_str(al, "detail") };
		cli_print_audit_alert(&a->common.json, &alert);
	}
	cli_reply_free(&r);
	return EXIT_OK;
}

/* POST /v1/audit/threshold {"per_hour"}: under four eyes, asked for without --request (the
 * request's id printed as locally) and run with it; nothing printed when done. */
int cli_remote_audit_threshold(struct cli_args *a)
{
	if (a->narg == 1 && cli_positive(a->arg[0]) == 0)
		return cli_usage(a->prog, "threshold needs a positive number");
	int code = takes(a, 1);
	if (code)
		return code;
	json_t *obj = json_pack("{s:I}", "per_hour", (json_int_t)cli_positive(a->arg[0]));
	return cli_remote_post_done(&a->common, "/v1/audit/threshold", NULL, "", obj);
}
