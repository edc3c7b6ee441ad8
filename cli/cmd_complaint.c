/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_complaint.c: `pivault complaint open|note|resolve|list|show`: complaints and
 * disputes about personal information, with deadlines; their text is sealed. */
#include "cli.h"

#include <string.h>

static int print_complaint(void *ctx, const pv_complaint_info *c)
{
	if (*(int *)ctx)
		printf("{\"id\":\"%s\",\"customer\":\"%s\",\"dsr\":\"%s\",\"opened\":\"%s\","
		       "\"due\":\"%s\",\"state\":\"%s\",\"resolved\":\"%s\"}\n", c->id, c->customer,
		       c->dsr, c->opened, c->due, c->state, c->resolved);
	else
		printf("%-11s %-12s %-11s opened %s due %s  %s\n", c->id, c->customer,
		       *c->dsr ? c->dsr : "-", c->opened, c->due, c->state);
	return 0;
}

static int print_note(void *ctx, const pv_note_info *n)
{
	(void)ctx;
	printf("%s  %-10s %-12s %s\n", n->at, n->kind, n->by,
	       n->text ? n->text : "(destroyed with the customer)");
	return 0;
}

/* The complaint the subcommand names (its one argument); NULL after the message. */
static const char *the_complaint(struct cli_args *a, int *code)
{
	return cli_one_arg(a, "one complaint id is expected", "name the complaint (ID)", code);
}

static int run_open(struct cli_args *a)
{
	const char *customer = cli_opt(a, "--customer"), *text = cli_opt(a, "--text");
	if (!customer || !text || a->narg)
		return cli_usage(a->prog, "open needs --customer and --text");
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	char *cid = NULL;
	pv_rc rc = pv_complaint_open(v, &who, customer, cli_opt(a, "--dsr"), text, &cid);
	if (!rc)
		printf(a->common.json ? "{\"complaint\":\"%s\"}\n" : "opened %s\n", cid);
	pv_free(cid);
	return cli_done(v, rc, EXIT_OK);
}

/* note ID --text and resolve ID --outcome (either spelling in both, as before). */
static int run_note_resolve(struct cli_args *a)
{
	int code = EXIT_FAIL, resolve = strcmp(a->cmd->name, "resolve") == 0;
	const char *id = the_complaint(a, &code), *text = cli_opt(a, "--text");
	if (!id)
		return code;
	if (!text)
		return cli_usage(a->prog, "note and resolve need ID and --text / --outcome");
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	pv_rc rc = resolve ? pv_complaint_resolve(v, &who, id, text)
			   : pv_complaint_note(v, &who, id, text);
	if (!rc && resolve)
		printf("resolved %s\n", id);
	return cli_done(v, rc, EXIT_OK);
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
	return cli_done(v, pv_complaint_list(v, &who, print_complaint, &a->common.json), EXIT_OK);
}

static int run_show(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *id = the_complaint(a, &code);
	if (!id)
		return code;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	return cli_done(v, pv_complaint_show(v, &who, id, print_note, NULL), EXIT_OK);
}

#define TEXT_OPT(help) { "--text", "--outcome", "TEXT", help, NULL }
#define END_OPTS { NULL, NULL, NULL, NULL, NULL }

static const struct cli_cmd subs[] = {
	{ "open", "--customer ID [--dsr REQ] --text TEXT", "open a complaint, due in 15 days", NULL,
	  (const struct cli_opt[]){ { "--customer", NULL, "ID", "the customer concerned", NULL },
				    { "--dsr", NULL, "REQ", "the data-subject request it is about",
				      NULL },
				    TEXT_OPT("what the complaint says (sealed)"), END_OPTS },
	  CLI_COMMON, run_open, NULL },
	{ "note", "ID --text TEXT", "add a note to a complaint", NULL,
	  (const struct cli_opt[]){ TEXT_OPT("the note (sealed)"), END_OPTS }, CLI_COMMON,
	  run_note_resolve, NULL },
	{ "resolve", "ID --outcome TEXT", "resolve a complaint with its outcome", NULL,
	  (const struct cli_opt[]){ TEXT_OPT("the outcome (sealed)"), END_OPTS }, CLI_COMMON,
	  run_note_resolve, NULL },
	{ "list", "[--json]", "the complaints and their deadlines", NULL, NULL, CLI_COMMON,
	  run_list, NULL },
	{ "show", "ID", "a complaint's notes, on standard output", NULL, NULL, CLI_COMMON,
	  run_show, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL },
};

const struct cli_cmd cli_cmd_complaint = {
	.name = "complaint",
	.summary = "complaints and disputes about personal information",
	.about = "Complaints and disputes about personal information (投诉, 争议), due in 15 days.\n"
		 "What is written in them is sealed under the customer's key.\n",
	.subs = subs,
};
