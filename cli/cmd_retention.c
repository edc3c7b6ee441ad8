/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_retention.c: `pivault retention plan|apply`: what the schema's retention rules
 * make due, and carrying it out (approved), with destruction certificates. */
#include "cli.h"

#include <string.h>
#include <unistd.h>

static int print_item(void *ctx, const pv_retention_item *it)
{
	if (*(int *)ctx) {
		printf("{\"id\":\"%s\",\"action\":\"%s\",\"fields\":\"%s\",\"rule\":", it->id,
		       it->action, it->fields);
		cli_json_string(stdout, it->rule);
		printf(",\"due\":\"%s\",\"held\":", it->due);
		cli_json_string(stdout, it->held);
		puts("}");
	} else {
		printf("%-12s %-6s %-24s due %s  %s%s%s\n", it->id, it->action,
		       *it->fields ? it->fields : "(whole customer)", it->due, it->rule,
		       *it->held ? "  HELD: " : "", it->held);
	}
	return 0;
}

int cmd_retention(int argc, char **argv)
{
	static const char help[] =
		"usage: pivault retention plan [--as-of DATE] [--json]\n"
		"       pivault retention apply [--as-of DATE] [-o CERTIFICATES]\n\n"
		"plan lists what the schema's retention rules make due (ids, fields, rule, due\n"
		"date; no values), and why a held customer is left alone. apply carries it out:\n"
		"erases due fields, shreds due customers with destruction certificates (printed,\n"
		"or written to -o). Users need an approved request: pivault request retention\n"
		"apply ...\n";
	static const char *const subs[] = { "plan", "apply", NULL };
	int code;
	const char *sub = cli_subcommand(argc, argv, "retention", help, subs, &code);
	if (!sub)
		return code;
	struct cli_common c;
	cli_common_init(&c);
	const char *as_of = NULL, *out_path = NULL;
	for (int i = 2; i < argc; i++) {
		int k = cli_common_option(&c, argc, argv, &i);
		if (k < 0)
			return EXIT_USAGE;
		if (k)
			continue;
		if (strcmp(argv[i], "--as-of") == 0 && i + 1 < argc)
			as_of = argv[++i];
		else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			out_path = argv[++i];
		else
			return cli_usage("retention", "unknown argument");
	}
	pv_vault *v = cli_open_vault(&c, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&c);
	pv_rc rc;
	if (strcmp(sub, "plan") == 0) {
		rc = pv_retention_plan(v, &who, as_of, print_item, &c.json);
	} else {
		uint64_t shredded, erased, held;
		struct cli_cert_sink sink;
		if (cli_cert_sink_open(&sink, out_path) != 0) {
			pv_vault_close(v);
			return EXIT_FAIL;
		}
		cli_progress_begin(v, "retention");
		rc = pv_retention_apply(v, &who, as_of, cli_keep_certificate, &sink, &shredded,
					&erased, &held);
		cli_progress_end(v);
		if (cli_cert_sink_close(&sink) != 0)
			code = EXIT_FAIL;
		if (!rc)
			fprintf(stderr, "retention: %llu customers shredded, %llu erased, %llu held back\n",
				(unsigned long long)shredded, (unsigned long long)erased,
				(unsigned long long)held);
	}
	if (rc)
		code = cli_fail(v, rc);
	pv_vault_close(v);
	return code;
}
