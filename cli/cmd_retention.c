/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_retention.c: `pivault retention plan|apply`: what the schema's retention rules
 * make due, and carrying it out (approved), with destruction certificates. */
#include "cli.h"

#include <string.h>
#include <unistd.h>

int cli_print_retention_item(void *ctx, const pv_retention_item *it)
{
	if (*(int *)ctx) {
		printf("{\"id\":\"%s\",\"action\":\"%s\",\"fields\":\"%s\",\"rule\":", it->id,
		       it->action, it->fields);
		cli_json_string(stdout, it->rule);
		printf(",\"due\":\"%s\",\"held\":", it->due);
		cli_json_string(stdout, it->held);
		fputs(",\"missing\":", stdout);
		cli_json_string(stdout, it->missing);
		puts("}");
	} else if (*it->missing) {
		printf("%-12s %-6s %-24s no due date (missing %s)  %s%s%s\n", it->id, it->action,
		       it->fields, it->missing, it->rule, *it->held ? "  HELD: " : "", it->held);
	} else {
		printf("%-12s %-6s %-24s due %s  %s%s%s\n", it->id, it->action,
		       *it->fields ? it->fields : "(whole customer)", it->due, it->rule,
		       *it->held ? "  HELD: " : "", it->held);
	}
	return 0;
}

/* The plan's counts: a last JSON line, or a last text line. */
void cli_print_retention_summary(int json, const pv_retention_summary *s)
{
	if (json) {
		printf("{\"summary\":{\"as_of\":\"%s\",\"shred\":%llu,\"erase\":%llu,\"held\":%llu,"
		       "\"undetermined\":%llu,\"undetermined_customers\":%llu}}\n", s->as_of,
		       (unsigned long long)s->shred, (unsigned long long)s->erase,
		       (unsigned long long)s->held, (unsigned long long)s->undetermined,
		       (unsigned long long)s->undetermined_customers);
		return;
	}
	printf("as of %s: %llu customers to shred, %llu with fields to erase, %llu of them held; "
	       "%llu values undetermined (no due date; kept until fixed) on %llu customers\n",
	       s->as_of, (unsigned long long)s->shred, (unsigned long long)s->erase,
	       (unsigned long long)s->held, (unsigned long long)s->undetermined,
	       (unsigned long long)s->undetermined_customers);
}

static int run_plan(struct cli_args *a)
{
	if (a->narg)
		return cli_usage(a->prog, "plan takes no argument");
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	pv_retention_summary sum;
	pv_rc rc = pv_retention_plan(v, &who, cli_opt(a, "--as-of"), cli_print_retention_item,
				     &a->common.json, &sum);
	if (rc)
		code = cli_fail(v, rc);
	else
		cli_print_retention_summary(a->common.json, &sum);
	pv_vault_close(v);
	return code;
}

static int run_apply(struct cli_args *a)
{
	if (a->narg)
		return cli_usage(a->prog, "apply takes no argument");
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	uint64_t shredded, erased, held, undetermined;
	struct cli_cert_sink sink;
	if (cli_cert_sink_open(&sink, cli_opt(a, "-o")) != 0) {
		pv_vault_close(v);
		return EXIT_FAIL;
	}
	cli_progress_begin(v, "retention");
	pv_rc rc = pv_retention_apply(v, &who, cli_opt(a, "--as-of"), cli_keep_certificate, &sink,
				      &shredded, &erased, &held, &undetermined);
	cli_progress_end(v);
	if (cli_cert_sink_close(&sink) != 0)
		code = EXIT_FAIL;
	if (!rc)
		fprintf(stderr, "retention: %llu customers shredded, %llu erased, %llu held back, "
			"%llu values undetermined (no due date; left alone: see retention plan)\n",
			(unsigned long long)shredded, (unsigned long long)erased,
			(unsigned long long)held, (unsigned long long)undetermined);
	if (rc)
		code = cli_fail(v, rc);
	pv_vault_close(v);
	return code;
}

#define AS_OF_OPT { "--as-of", NULL, "DATE", "what is due on this date (default: today)", NULL }

static const struct cli_cmd subs[] = {
	{ "plan", "[--as-of DATE] [--json]", "what the retention rules make due",
	  "Ids, fields, rule, due date (no values), and why a held customer is left alone.\n"
	  "Values without a due date (a rule applies, but its from date fields are empty) are\n"
	  "listed as undetermined with the date fields they miss; a last line counts it all\n"
	  "(with --json: one object a line, the last {\"summary\": {...}}).\n",
	  (const struct cli_opt[]){ AS_OF_OPT, { NULL, NULL, NULL, NULL, NULL } }, CLI_COMMON,
	  run_plan, NULL },
	{ "apply", "[--as-of DATE] [-o CERTIFICATES]", "carry it out",
	  "Erases due fields, shreds due customers with destruction certificates (printed, or\n"
	  "written to -o). Users need an approved request: pivault request retention apply ...\n",
	  (const struct cli_opt[]){ AS_OF_OPT,
				    { "-o", NULL, "FILE", "write the certificates to FILE", NULL },
				    { NULL, NULL, NULL, NULL, NULL } },
	  CLI_COMMON, run_apply, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL },
};

const struct cli_cmd cli_cmd_retention = {
	.name = "retention",
	.summary = "what retention makes due, and carrying it out",
	.subs = subs,
};
