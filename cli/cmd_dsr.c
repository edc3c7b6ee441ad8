/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_dsr.c: `pivault dsr open|list|close|report|delete|correct|restrict|object|lift`:
 * data-subject requests, their deadlines and their fulfilment. */
#include "cli.h"

#include <string.h>

int cli_print_dsr(void *ctx, const pv_dsr_info *d)
{
	if (*(int *)ctx) {
		printf("{\"id\":\"%s\",\"customer\":\"%s\",\"type\":\"%s\",\"law\":\"%s\","
		       "\"opened\":\"%s\",\"due\":\"%s\",\"state\":\"%s\",\"closed\":\"%s\",\"outcome\":",
		       d->id, d->customer, d->type, d->law, d->opened, d->due, d->state, d->closed);
		cli_json_string(stdout, d->outcome);
		puts("}");
	} else {
		printf("%-11s %-12s %-8s %-5s opened %s due %s  %s%s%s\n", d->id, d->customer, d->type,
		       d->law, d->opened, d->due, d->state, *d->outcome ? ": " : "", d->outcome);
	}
	return 0;
}

/* The request the subcommand names (its one argument); NULL after the usage message. */
static const char *the_request(struct cli_args *a, int *code)
{
	return cli_one_arg(a, "one request id is expected", "name the request (REQ)", code);
}

/* The vault opened for the subcommand, with who acts; NULL (with *code) when not. */
static pv_vault *open_for(struct cli_args *a, pv_access *who, int *code)
{
	pv_vault *v = cli_open_vault(&a->common, code);
	*who = cli_access(&a->common);
	return v;
}

static int run_open(struct cli_args *a)
{
	const char *customer = cli_opt(a, "--customer"), *type = cli_opt(a, "--type");
	if (!customer || !type || a->narg)
		return cli_usage(a->prog, "open needs --customer and --type");
	int code = EXIT_FAIL;
	pv_access who;
	pv_vault *v = open_for(a, &who, &code);
	if (!v)
		return code;
	char *rid = NULL;
	pv_rc rc = pv_dsr_open(v, &who, customer, type, cli_opt(a, "--law"), &rid);
	if (!rc)
		printf(a->common.json ? "{\"request\":\"%s\"}\n" : "opened %s\n", rid);
	pv_free(rid);
	return cli_done(v, rc, code);
}

static int run_list(struct cli_args *a)
{
	if (a->narg)
		return cli_usage(a->prog, "list takes no argument");
	int code = EXIT_FAIL;
	pv_access who;
	pv_vault *v = open_for(a, &who, &code);
	if (!v)
		return code;
	pv_rc rc = pv_dsr_list(v, &who, cli_flag(a, "--overdue") ? PV_DSR_OVERDUE : PV_DSR_ALL,
			       cli_print_dsr, &a->common.json);
	return cli_done(v, rc, code);
}

static int run_close(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *id = the_request(a, &code), *outcome = cli_opt(a, "--outcome");
	if (!id)
		return code;
	if (!outcome)
		return cli_usage(a->prog, "close needs REQ and --outcome");
	pv_access who;
	pv_vault *v = open_for(a, &who, &code);
	if (!v)
		return code;
	pv_rc rc = pv_dsr_close(v, &who, id, outcome);
	if (!rc)
		printf("closed %s\n", id);
	return cli_done(v, rc, code);
}

static int run_report(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *id = the_request(a, &code);
	if (!id)
		return code;
	pv_access who;
	pv_vault *v = open_for(a, &who, &code);
	if (!v)
		return code;
	pv_rc rc = pv_dsr_access_report(v, &who, id,
					 cli_flag(a, "--html") ? PV_RENDER_HTML : PV_RENDER_JSON, stdout);
	return cli_done(v, rc, code);
}

static int run_delete(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *id = the_request(a, &code), *out_path = cli_opt(a, "-o");
	if (!id)
		return code;
	pv_access who;
	pv_vault *v = open_for(a, &who, &code);
	if (!v)
		return code;
	char *cert = NULL;
	pv_rc rc = pv_dsr_delete(v, &who, id, &cert);
	code = cli_shredded(v, rc, cert, out_path);
	if (!rc && code == EXIT_OK)
		printf("request %s fulfilled: customer shredded, request closed\n", id);
	pv_free(cert);
	pv_vault_close(v);
	return code;
}

static int run_correct(struct cli_args *a)
{
	size_t n = a->narg > 1 ? (size_t)a->narg - 1 : 0;
	for (size_t k = 0; k < n; k++)
		if (!strchr(a->arg[k + 1], '='))
			n = 0;
	if (a->narg < 1 || !n)
		return cli_usage(a->prog, "correct takes REQ FIELD=VALUE...");
	const char *id = a->arg[0], *fields[n], *values[n];
	for (size_t k = 0; k < n; k++) { /* FIELD=VALUE, split in place */
		char *eq = strchr(a->arg[k + 1], '=');
		*eq = '\0';
		fields[k] = a->arg[k + 1];
		values[k] = eq + 1;
	}
	int code = EXIT_FAIL;
	pv_access who;
	pv_vault *v = open_for(a, &who, &code);
	if (!v)
		return code;
	pv_rc rc = pv_dsr_correct(v, &who, id, fields, values, n);
	if (!rc)
		printf("request %s fulfilled: %zu field%s corrected, request closed\n", id, n,
		       n == 1 ? "" : "s");
	return cli_done(v, rc, code);
}

/* restrict and object: the request fulfilled as its type says. */
static int run_fulfil(struct cli_args *a)
{
	int code = EXIT_FAIL;
	const char *id = the_request(a, &code);
	if (!id)
		return code;
	pv_access who;
	pv_vault *v = open_for(a, &who, &code);
	if (!v)
		return code;
	pv_rc rc = pv_dsr_fulfil(v, &who, id);
	if (!rc)
		printf("request %s fulfilled: %s, request closed\n", id,
		       strcmp(a->cmd->name, "object") == 0 ? "objection recorded"
							   : "processing restricted");
	return cli_done(v, rc, code);
}

static int run_lift(struct cli_args *a)
{
	int objection = cli_flag(a, "--objection");
	if (a->narg != 1)
		return cli_usage(a->prog, "name the customer");
	if (objection == cli_flag(a, "--restriction"))
		return cli_usage(a->prog, "lift takes --restriction or --objection");
	int code = EXIT_FAIL;
	pv_access who;
	pv_vault *v = open_for(a, &who, &code);
	if (!v)
		return code;
	pv_rc rc = pv_dsr_lift(v, &who, a->arg[0],
			       objection ? PV_LIFT_OBJECTION : PV_LIFT_RESTRICTION);
	if (!rc)
		printf("%s of %s lifted\n", objection ? "objection" : "restriction", a->arg[0]);
	return cli_done(v, rc, code);
}

static const struct cli_opt no_opts[] = { { NULL, NULL, NULL, NULL, NULL } };

static const struct cli_cmd subs[] = {
	{ "open", "--customer ID --type access|correct|delete|restrict|object [--law pipl|gdpr|ccpa]",
	  "open a data-subject request, due by its law's deadline", NULL,
	  (const struct cli_opt[]){
		  { "--customer", NULL, "ID", "the customer who asks", NULL },
		  { "--type", NULL, "TYPE", "access, correct, delete, restrict or object", NULL },
		  { "--law", NULL, "LAW", "pipl (the default), gdpr or ccpa", NULL },
		  { NULL, NULL, NULL, NULL, NULL } },
	  CLI_COMMON, run_open, NULL },
	{ "list", "[--overdue] [--json]", "the requests in due order", NULL,
	  (const struct cli_opt[]){ { "--overdue", NULL, NULL, "only those past their deadline", NULL },
				    { NULL, NULL, NULL, NULL, NULL } },
	  CLI_COMMON, run_list, NULL },
	{ "close", "REQ --outcome TEXT", "close a request with its outcome", NULL,
	  (const struct cli_opt[]){ { "--outcome", NULL, "TEXT", "what was done", NULL },
				    { NULL, NULL, NULL, NULL, NULL } },
	  CLI_COMMON, run_close, NULL },
	{ "report", "REQ [--html]", "an access request's reply, on standard output", NULL,
	  (const struct cli_opt[]){
		  { "--html", NULL, NULL, "the reply as an HTML page (default: JSON)", NULL },
		  { "-o", NULL, "FILE", NULL, "report prints the reply on standard output only: it "
		    "holds clear values, which never go straight to a file" },
		  { NULL, NULL, NULL, NULL, NULL } },
	  CLI_COMMON, run_report, NULL },
	{ "delete", "REQ [-o CERTIFICATE]", "a deletion request: shred the customer, close the "
	  "request (users need an approved request: pivault request dsr delete REQ)", NULL,
	  (const struct cli_opt[]){
		  { "-o", NULL, "FILE", "write the destruction certificate to FILE", NULL },
		  { NULL, NULL, NULL, NULL, NULL } },
	  CLI_COMMON, run_delete, NULL },
	{ "correct", "REQ FIELD=VALUE...", "audited updates, all or none, then the request closed",
	  NULL, no_opts, CLI_COMMON, run_correct, NULL },
	{ "restrict", "REQ", "data kept, read only for purpose legal-claims", NULL, no_opts,
	  CLI_COMMON, run_fulfil, NULL },
	{ "object", "REQ", "no handover, no purpose that needs consent", NULL, no_opts, CLI_COMMON,
	  run_fulfil, NULL },
	{ "lift", "ID --restriction|--objection", "lift a customer's restriction or objection",
	  NULL,
	  (const struct cli_opt[]){ { "--restriction", NULL, NULL, "lift the restriction", NULL },
				    { "--objection", NULL, NULL, "lift the objection", NULL },
				    { NULL, NULL, NULL, NULL, NULL } },
	  CLI_COMMON, run_lift, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL },
};

const struct cli_cmd cli_cmd_dsr = {
	.name = "dsr",
	.summary = "data-subject requests and their deadlines",
	.about = "Data-subject requests with their legal deadline: 15 days under PIPL practice, 30\n"
		 "under GDPR, 45 under CCPA (the default law is PIPL).\n",
	.subs = subs,
};
