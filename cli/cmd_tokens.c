/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_tokens.c: tokens for other systems: `pivault tokenize` prints the token standing for
 * a customer's field value, `pivault detokenize` the value a token stands for. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int run_tokenize(struct cli_args *a)
{
	const char *id = cli_opt(a, "--customer"), *field = cli_opt(a, "--field");
	if (!id || !field)
		return cli_usage(a->prog, "--customer ID and --field NAME are required");
	if (a->narg)
		return cli_usage(a->prog, "tokenize takes no arguments besides its options");
	pv_token_mode mode = cli_flag(a, "--deterministic") ? PV_TOKEN_DETERMINISTIC
							    : PV_TOKEN_RANDOM;
	pv_token_shape shape = cli_flag(a, "--shaped") ? PV_TOKEN_LIKE_FIELD : PV_TOKEN_OPAQUE;
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	char *token = NULL;
	pv_rc rc = pv_tokenize(v, &who, id, field, mode, shape, &token);
	if (!rc && a->common.json) {
		fputs("{\"token\":", stdout);
		cli_json_string(stdout, token);
		puts("}");
	} else if (!rc) {
		puts(token);
	}
	pv_free(token);
	return cli_done(v, rc, EXIT_OK);
}

const struct cli_cmd cli_cmd_tokenize = {
	.name = "tokenize",
	.args = "--customer ID --field NAME --purpose P [--deterministic] [--shaped] [--json]",
	.summary = "print a token that stands for a customer's field value in another system",
	.about = "The value tokenized is the one the vault holds for the customer. The token is\n"
		 "made for one declared purpose the field serves; it dies with the customer (a\n"
		 "shred) and with the value (erased or changed). Needs 'tokenize'.\n"
		 "--deterministic: the same token for the same value, field and purpose (for\n"
		 "joins), keyed by the vault's secret keys; otherwise a new random token.\n"
		 "--shaped: a token shaped like the field (phone_cn: 11 digits starting 10, never\n"
		 "a mainland mobile number).\n",
	.opts = (const struct cli_opt[]){
		{ "--customer", NULL, "ID", "the customer whose value is tokenized", NULL },
		{ "--field", NULL, "NAME", "the declared field", NULL },
		{ "--deterministic", NULL, NULL, "the same token for the same value and purpose",
		  NULL },
		{ "--shaped", NULL, NULL, "a token shaped like the field's type", NULL },
		{ NULL, NULL, NULL, NULL, NULL } },
	.flags = CLI_COMMON,
	.run = run_tokenize,
};

static int run_detokenize(struct cli_args *a)
{
	int code = EXIT_USAGE;
	const char *token = cli_one_arg(a, "one token is expected", "name the token", &code);
	if (!token)
		return code;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	who.want_clear = PV_WANT_CLEAR;
	char *value = NULL;
	pv_rc rc = pv_detokenize(v, &who, token, &value);
	if (!rc && a->common.json) {
		fputs("{\"value\":", stdout);
		cli_json_string(stdout, value);
		puts("}");
	} else if (!rc) {
		puts(value);
	}
	if (value)
		cli_wipe_free(value);
	return cli_done(v, rc, EXIT_OK);
}

const struct cli_cmd cli_cmd_detokenize = {
	.name = "detokenize",
	.args = "TOKEN --purpose P [--json]",
	.summary = "print the value a token stands for",
	.about = "Needs 'read', the purpose the token was made for, and a role that sees the field\n"
		 "in clear; counts against the bulk limit of clear reads as 'get --clear' does.\n"
		 "A token whose customer was shredded, or whose value was erased or changed, is\n"
		 "dead: the command says so and fails.\n",
	.flags = CLI_COMMON,
	.run = run_detokenize,
};
