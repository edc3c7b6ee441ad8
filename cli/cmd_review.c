/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_review.c: `pivault review due|confirm`: customers whose data should be
 * re-confirmed, and recording a confirmation. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

int cli_print_review_due(void *ctx, const pv_review_info *r)
{
	if (*(int *)ctx)
		printf("{\"id\":\"%s\",\"last_confirmed\":\"%s\",\"channels\":\"%s\"}\n", r->id,
		       r->last_confirmed, r->channels);
	else
		printf("%-12s last confirmed %s  reach by: %s\n", r->id, r->last_confirmed,
		       *r->channels ? r->channels : "(no channel on record)");
	return 0;
}

int cli_review_months(struct cli_args *a, unsigned *months_out)
{
	unsigned months = 0; /* the library's default */
	const char *older = cli_opt(a, "--older-than");
	if (older) {
		char *end;
		months = (unsigned)strtoul(older, &end, 10);
		if (*end == 'y')
			months *= 12;
		else if (*end && strcmp(end, "m") != 0)
			return cli_usage(a->prog, "--older-than takes months (24m) or years (2y)");
		if (months == 0)
			return cli_usage(a->prog, "--older-than takes 1 to 1200 months");
	}
	if (a->narg)
		return cli_usage(a->prog, "due takes no argument");
	*months_out = months;
	return EXIT_OK;
}

static int run_due(struct cli_args *a)
{
	unsigned months = 0;
	int code = cli_review_months(a, &months);
	if (code)
		return code;
	code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	pv_rc rc = pv_review_due(v, &who, months, cli_print_review_due, &a->common.json);
	if (rc)
		code = cli_fail(v, rc);
	pv_vault_close(v);
	return code;
}

static int run_confirm(struct cli_args *a)
{
	const char *channel = cli_opt(a, "--channel");
	if (a->narg != 1 || !channel)
		return cli_usage(a->prog, "confirm needs ID and --channel");
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	pv_rc rc = pv_review_confirm(v, &who, a->arg[0], channel);
	if (rc)
		code = cli_fail(v, rc);
	else
		printf("confirmed %s\n", a->arg[0]);
	pv_vault_close(v);
	return code;
}

static const struct cli_cmd subs[] = {
	{ "due", "[--older-than 24m] [--json]", "customers whose data should be re-confirmed",
	  "Those whose data was last confirmed (or imported) longer ago than the period, with\n"
	  "the channels to reach them (no values).\n",
	  (const struct cli_opt[]){ { "--older-than", NULL, "PERIOD", "months (24m) or years "
				      "(2y); default: the library's", NULL },
				    { NULL, NULL, NULL, NULL, NULL } },
	  CLI_COMMON, run_due, NULL },
	{ "confirm", "ID --channel C", "record a confirmation", NULL,
	  (const struct cli_opt[]){ { "--channel", NULL, "C", "how the customer confirmed", NULL },
				    { NULL, NULL, NULL, NULL, NULL } },
	  CLI_COMMON, run_confirm, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL },
};

const struct cli_cmd cli_cmd_review = {
	.name = "review",
	.summary = "accuracy reviews: who to re-confirm, and confirmations",
	.about = "Keep data accurate (定期审查).\n",
	.subs = subs,
};
