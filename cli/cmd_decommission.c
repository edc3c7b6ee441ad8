/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_decommission.c: `pivault decommission plan|run`: the wind-down of a deregistered
 * company: what the law keeps goes to the keeper's archive, the rest is shredded, and a
 * signed final report is written. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static int run_plan(struct cli_args *a)
{
	if (a->narg)
		return cli_usage(a->prog, "plan takes no argument");
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	char *text = NULL;
	pv_rc rc = pv_decommission_plan(v, &who, &text);
	code = rc ? cli_fail(v, rc) : cli_write_text(text, NULL);
	pv_free(text);
	pv_vault_close(v);
	return code;
}

int cli_keep_final_report(const char *text, const char *report_path)
{
	if (cli_write_text(text, report_path) == EXIT_OK)
		return EXIT_OK;
	fputs("pivault: the report follows on standard output\n", stderr);
	cli_write_text(text, NULL);
	return EXIT_FAIL;
}

static int run_run(struct cli_args *a)
{
	pv_decommission_spec spec = { .keeper_name = cli_opt(a, "--keeper-name"),
				      .keeper_contact = cli_opt(a, "--keeper-contact"),
				      .keeper_key = cli_opt(a, "--keeper-key"),
				      .archive_path = cli_opt(a, "-o") };
	if (a->narg || !spec.keeper_name || !spec.keeper_contact || !spec.keeper_key ||
	    !spec.archive_path)
		return cli_usage(a->prog, "run needs --keeper-name, --keeper-contact, "
				 "--keeper-key and -o ARCHIVE");
	int code = EXIT_FAIL;
	pv_vault *v = cli_open_vault(&a->common, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&a->common);
	struct cli_cert_sink sink;
	if (cli_cert_sink_open(&sink, cli_opt(a, "--certificates")) != 0) {
		pv_vault_close(v);
		return EXIT_FAIL;
	}
	char *text = NULL;
	cli_progress_begin(v, "decommission");
	pv_rc rc = pv_decommission_run(v, &who, &spec, cli_keep_certificate, &sink, &text);
	cli_progress_end(v);
	code = cli_cert_sink_close(&sink) != 0 ? EXIT_FAIL : EXIT_OK;
	if (!rc && cli_keep_final_report(text, cli_opt(a, "--report")) != EXIT_OK)
		code = EXIT_FAIL;
	if (!rc)
		fprintf(stderr, "decommissioned: %lu certificate%s; archive %s\n", sink.count,
			sink.count == 1 ? "" : "s", spec.archive_path);
	if (rc)
		code = cli_fail(v, rc);
	pv_free(text);
	pv_vault_close(v);
	return code;
}

static const struct cli_cmd subs[] = {
	{ "plan", NULL, "print (JSON) what a deregistration (注销) would do",
	  "Customers under a legal hold are kept whole, values a retention rule with law: still\n"
	  "keeps are kept until due, everything else is destroyed; and the requests still open.\n",
	  NULL, CLI_COMMON, run_plan, NULL },
	{ "run", "--keeper-name N --keeper-contact C --keeper-key FILE|age1... -o ARCHIVE "
	  "[--certificates FILE] [--report FILE] [--request REQ]",
	  "archive what must be kept, shred every customer, write the signed final report",
	  "ARCHIVE is an age package to the keeper's key, in the handover format (`age -d`\n"
	  "and `minisign -V` open and check it); the holds it covers are released. Users need\n"
	  "an approved request: pivault request decommission run --keeper-name ... (without\n"
	  "-o).\n",
	  (const struct cli_opt[]){
		  { "--keeper-name", NULL, "N", "who keeps the archive", NULL },
		  { "--keeper-contact", NULL, "C", "how to reach them", NULL },
		  { "--keeper-key", NULL, "FILE|age1...", "their age public key", NULL },
		  { "-o", NULL, "ARCHIVE", "the archive file to write", NULL },
		  { "--certificates", NULL, "FILE", "the destruction certificates (else standard "
		    "output)", NULL },
		  { "--report", NULL, "FILE", "the signed final report (else standard output)", NULL },
		  { NULL, NULL, NULL, NULL, NULL } },
	  CLI_COMMON, run_run, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL },
};

const struct cli_cmd cli_cmd_decommission = {
	.name = "decommission",
	.summary = "deregistration (注销): archive what the law keeps, shred the rest",
	.subs = subs,
};
