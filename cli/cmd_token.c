/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_token.c: `pivault token create|list|revoke`: API tokens for scripts (the order
 * system, the call centre) that act through `pivault serve` as a user, with one of the
 * user's roles and some of its purposes, until they expire or are revoked. The token is
 * printed once, on standard output only. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static int run_create(struct cli_args *a)
{
	const char *user = cli_opt(a, "--for"), *role = cli_opt(a, "--token-role"),
		   *purposes = cli_opt(a, "--purposes"), *days = cli_opt(a, "--days");
	if (!user || !role || !purposes || !days || a->narg)
		return cli_usage(a->prog, "create needs --for, --token-role, --purposes and --days");
	char *end = NULL;
	unsigned long n = strtoul(days, &end, 10);
	if (end == days || *end || n < 1 || n > 365)
		return cli_usage(a->prog, "--days: a whole number of days from 1 to 365");
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	char *id = NULL, *token = NULL;
	pv_rc rc = pv_api_token_create(v, &who, user, role, purposes, (uint32_t)(n * 86400), &id,
				       &token);
	if (!rc && a->common.json) {
		printf("{\"id\":\"%s\",\"token\":\"%s\",\"user\":", id, token);
		cli_json_string(stdout, user);
		printf(",\"expires_in\":%lu}\n", n * 86400);
	} else if (!rc) {
		printf("%s\n", token);
		fprintf(stderr, "API token %s for %s as %s, for %lu days: shown this once\n", id,
			user, role, n);
	}
	fflush(stdout);
	cli_wipe_free(token);
	pv_free(id);
	return cli_done(v, rc, EXIT_OK);
}

static void print_time(const char *label, int64_t t)
{
	char when[32];
	time_t tt = (time_t)t;
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&tt));
	printf(" %s %s", label, when);
}

int cli_print_api_token(void *ctx, const pv_api_token_info *t)
{
	if (*(int *)ctx) {
		printf("{\"id\":\"%s\",\"user\":", t->id);
		cli_json_string(stdout, t->user);
		printf(",\"role\":");
		cli_json_string(stdout, t->role);
		printf(",\"purposes\":");
		cli_json_string(stdout, t->purposes);
		printf(",\"created_by\":");
		cli_json_string(stdout, t->created_by);
		printf(",\"state\":\"%s\",\"created\":%lld,\"expires\":%lld,\"revoked\":%lld}\n",
		       t->state, (long long)t->created, (long long)t->expires,
		       (long long)t->revoked);
		return 0;
	}
	printf("%s %-8s %s as %s for %s, by %s,", t->id, t->state, t->user, t->role, t->purposes,
	       t->created_by);
	print_time("expires", t->expires);
	if (t->revoked)
		print_time("revoked", t->revoked);
	printf("\n");
	return 0;
}

static int run_list(struct cli_args *a)
{
	if (a->narg)
		return cli_usage(a->prog, "list takes no argument");
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	int json = a->common.json;
	pv_rc rc = pv_api_token_list(v, &who, cli_opt(a, "--for"), cli_print_api_token, &json);
	return cli_done(v, rc, EXIT_OK);
}

static int run_revoke(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *id = cli_one_arg(a, "one token id is expected", "name the token (ID)", &code);
	if (!id)
		return code;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	pv_rc rc = pv_api_token_revoke(v, &who, id);
	if (!rc)
		printf(a->common.json ? "{\"revoked\":\"%s\"}\n" : "revoked %s\n", id);
	return cli_done(v, rc, EXIT_OK);
}

#define END_OPTS { NULL, NULL, NULL, NULL, NULL }

static const struct cli_cmd subs[] = {
	{ "create", "--for USER --token-role ROLE --purposes P[,Q] --days N [--json]",
	  "make an API token (printed once, on standard output)", NULL,
	  (const struct cli_opt[]){
		  { "--for", NULL, "USER", "the user the token acts as", NULL },
		  { "--token-role", NULL, "ROLE", "one of that user's roles: the token's only role",
		    NULL },
		  { "--purposes", NULL, "LIST", "purposes the role may use (comma-separated)",
		    NULL },
		  { "--days", NULL, "N", "days until it expires (1 to 365)", NULL },
		  END_OPTS },
	  CLI_COMMON, run_create, NULL },
	{ "list", "[--for USER] [--json]", "API tokens (never their secrets) and their states",
	  NULL,
	  (const struct cli_opt[]){ { "--for", NULL, "USER", "only this user's tokens", NULL },
				    END_OPTS },
	  CLI_COMMON, run_list, NULL },
	{ "revoke", "ID [--json]", "revoke an API token: refused from now on", NULL, NULL,
	  CLI_COMMON, run_revoke, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL },
};

const struct cli_cmd cli_cmd_token = {
	.name = "token",
	.summary = "API tokens for scripts using pivault serve: create, list, revoke",
	.about = "API tokens let another system (the order system, the call centre) use\n"
		 "`pivault serve` as a user, with one of the user's roles and some of its\n"
		 "purposes, until the token expires (at most 365 days) or is revoked. The vault\n"
		 "keeps only a keyed hash of a token: it is printed once, on standard output.\n"
		 "Making, listing and revoking need permission 'users'. Every use is audited\n"
		 "under the token's user, naming the token's id.\n",
	.subs = subs,
};
