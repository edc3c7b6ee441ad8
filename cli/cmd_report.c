/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_report.c: `pivault report`: the compliance audit report (合规审计, PIPL art. 54) as a
 * text summary, as JSON (--json), or as one self-contained HTML page written to a file
 * (--html FILE). Counts and ids only; the library makes it, this prints it. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>

static int run_report(struct cli_args *a)
{
	const char *html = cli_opt(a, "--html");
	if (a->narg)
		return cli_usage(a->prog, "report takes no argument");
	if (html && a->common.json)
		return cli_usage(a->prog, "--html and --json: one form at a time");
	pv_report_form form = html ? PV_REPORT_HTML
				   : a->common.json ? PV_REPORT_JSON : PV_REPORT_TEXT;
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	char *text = NULL;
	cli_progress_begin(v, "checking");
	pv_rc rc = pv_compliance_report(v, &who, cli_opt(a, "--as-of"), form, &text);
	cli_progress_end(v);
	code = rc ? cli_fail(v, rc) : cli_write_text(text, html);
	if (!rc && html && code == EXIT_OK)
		fprintf(stderr, "pivault: compliance report written to %s\n", html);
	pv_free(text);
	pv_vault_close(v);
	return code;
}

const struct cli_cmd cli_cmd_report = {
	.name = "report",
	.args = "[--html FILE | --json] [--as-of DATE]",
	.summary = "the compliance audit report a DPO hands to an auditor (PIPL art. 54)",
	.about = "Inventory by category and sensitivity; encryption coverage (every stored\n"
		 "customer opened and checked); fields without retention or purpose; values past\n"
		 "retention and held; consents by purpose; open and overdue requests; reads per\n"
		 "user and purpose, bulk-read alerts; approvals; incidents; transfers and\n"
		 "destruction certificates; the audit chain and its last checkpoint; key ages;\n"
		 "the last backup and its verification; staff without a current agreement or\n"
		 "training. Each finding has a severity and the PIPL article it relates to.\n"
		 "Text summary by default; --json the structured result; --html FILE one\n"
		 "self-contained page with charts (no script, nothing fetched). Counts and ids\n"
		 "only, never a personal value. Needs 'report'; audited.\n",
	.opts = (const struct cli_opt[]){
		{ "--html", NULL, "FILE", "write the report as one HTML page to FILE (new file)",
		  NULL },
		{ "--as-of", NULL, "DATE", "judge ages and deadlines on this date (default: today)",
		  NULL },
		{ NULL, NULL, NULL, NULL, NULL } },
	.flags = CLI_COMMON,
	.run = run_report,
};
