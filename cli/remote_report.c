/* SPDX-License-Identifier: Apache-2.0 */
/* remote_report.c: the compliance audit report through the server: `pivault report` (GET
 * /v1/report, its JSON rendered by the library exactly as the local command renders it:
 * the text summary, --json, or --html FILE). */
#include "remote.h"

#include <stdlib.h>

int cli_remote_report(struct cli_args *a)
{
	const char *html = cli_opt(a, "--html");
	if (a->narg)
		return cli_usage(a->prog, "report takes no argument");
	if (html && a->common.json)
		return cli_usage(a->prog, "--html and --json: one form at a time");
	pv_report_form form = html ? PV_REPORT_HTML
				   : a->common.json ? PV_REPORT_JSON : PV_REPORT_TEXT;
	struct cli_url u = { 0 };
	cli_url_path(&u, "/v1/report", NULL);
	cli_url_arg(&u, "as_of", cli_opt(a, "--as-of"));
	cli_url_arg(&u, "role", a->common.role);
	struct cli_reply r;
	int code;
	if (!cli_remote_send(&u, "GET", NULL, 200, &r, &code))
		return code;
	char *text = NULL;
	pv_rc rc = pv_compliance_report_render(r.body, form, &text);
	cli_reply_free(&r);
	code = rc ? cli_fail(NULL, rc) : cli_write_text(text, html);
	if (!rc && html && code == EXIT_OK)
		fprintf(stderr, "pivault: compliance report written to %s\n", html);
	pv_free(text);
	return code;
}
