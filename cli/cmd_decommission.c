/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_decommission.c: `pivault decommission plan|run`: the wind-down of a deregistered
 * company: what the law keeps goes to the keeper's archive, the rest is shredded, and a
 * signed final report is written. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char help[] =
	"usage: pivault decommission plan\n"
	"       pivault decommission run --keeper-name N --keeper-contact C\n"
	"                                --keeper-key FILE|age1... -o ARCHIVE\n"
	"                                [--certificates FILE] [--report FILE] [--request REQ]\n\n"
	"plan prints (JSON) what a deregistration (注销) would do: customers under a legal\n"
	"hold are kept whole, values a retention rule with law: still keeps are kept until\n"
	"due, everything else is destroyed; and the requests still open.\n"
	"run archives what must be kept into ARCHIVE (an age package to the keeper's key,\n"
	"in the handover format: `age -d` and `minisign -V` open and check it), releases the\n"
	"holds it covers, crypto-shreds every customer with destruction certificates\n"
	"(--certificates FILE, else standard output) and writes the signed final report\n"
	"(--report FILE, else standard output). Users need an approved request:\n"
	"pivault request decommission run --keeper-name ... (without -o).\n";

int cmd_decommission(int argc, char **argv)
{
	static const char *const subs[] = { "plan", "run", NULL };
	int code;
	const char *sub = cli_subcommand(argc, argv, "decommission", help, subs, &code);
	if (!sub)
		return code;
	struct cli_common c;
	cli_common_init(&c);
	pv_decommission_spec spec = { 0 };
	const char *certs = NULL, *report_path = NULL;
	for (int i = 2; i < argc; i++) {
		int k = cli_common_option(&c, argc, argv, &i);
		if (k < 0)
			return EXIT_USAGE;
		if (k)
			continue;
		const char **slot = !strcmp(argv[i], "--keeper-name")	 ? &spec.keeper_name
				    : !strcmp(argv[i], "--keeper-contact") ? &spec.keeper_contact
				    : !strcmp(argv[i], "--keeper-key")	 ? &spec.keeper_key
				    : !strcmp(argv[i], "-o")		 ? &spec.archive_path
				    : !strcmp(argv[i], "--certificates")	 ? &certs
				    : !strcmp(argv[i], "--report")	 ? &report_path
									 : NULL;
		if (!slot || i + 1 >= argc)
			return cli_usage("decommission", "unknown argument");
		*slot = argv[++i];
	}
	int run = strcmp(sub, "run") == 0;
	if (run && (!spec.keeper_name || !spec.keeper_contact || !spec.keeper_key ||
		    !spec.archive_path))
		return cli_usage("decommission", "run needs --keeper-name, --keeper-contact, "
				 "--keeper-key and -o ARCHIVE");
	pv_vault *v = cli_open_vault(&c, &code);
	if (!v)
		return code;
	pv_access who = cli_access(&c);
	char *text = NULL;
	pv_rc rc;
	code = EXIT_OK;
	if (!run) {
		rc = pv_decommission_plan(v, &who, &text);
		if (!rc)
			code = cli_write_text(text, NULL);
	} else {
		struct cli_cert_sink sink;
		if (cli_cert_sink_open(&sink, certs) != 0) {
			pv_vault_close(v);
			return EXIT_FAIL;
		}
		cli_progress_begin(v, "decommission");
		rc = pv_decommission_run(v, &who, &spec, cli_keep_certificate, &sink, &text);
		cli_progress_end(v);
		if (cli_cert_sink_close(&sink) != 0)
			code = EXIT_FAIL;
		if (!rc && cli_write_text(text, report_path) != EXIT_OK) {
			/* The vault is gone: the report must not be lost with the file. */
			fputs("pivault: the report follows on standard output\n", stderr);
			cli_write_text(text, NULL);
			code = EXIT_FAIL;
		}
		if (!rc)
			fprintf(stderr, "decommissioned: %lu certificate%s; archive %s\n", sink.count,
				sink.count == 1 ? "" : "s", spec.archive_path);
	}
	if (rc)
		code = cli_fail(v, rc);
	pv_free(text);
	pv_vault_close(v);
	return code;
}
