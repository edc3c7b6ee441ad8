/* SPDX-License-Identifier: Apache-2.0 */
/* routes_report.c: the compliance audit report (合规审计, PIPL art. 54), the API twin of
 * `pivault report`: the library's JSON, or (?format=html) the same self-contained HTML
 * page `pivault report --html` writes. Counts, ids and staff names only. */
#include "route.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* ?format=json|html (default json) and ?as_of=YYYY-MM-DD. */
static void report(struct pvs_call *c)
{
	const char *format = pvs_arg(c, "format");
	int html = format && strcmp(format, "html") == 0;
	if (format && !html && strcmp(format, "json") != 0) {
		pvs_error(c->out, 400, "bad_request", "format: json or html");
		return;
	}
	pv_access who = pvs_role_of(c);
	char *text = NULL;
	pv_rc rc = pv_compliance_report(c->v, &who, pvs_arg(c, "as_of"),
					html ? PV_REPORT_HTML : PV_REPORT_JSON, &text);
	if (rc) {
		pvs_fail(c->out, c->v, rc);
	} else if (html) {
		c->out->status = 200;
		c->out->type = "text/html; charset=utf-8";
		if (!(c->out->body = strdup(text)))
			pvs_error(c->out, 500, "out_of_memory", "out of memory");
	} else {
		json_t *doc = json_loads(text, 0, NULL);
		if (doc)
			pvs_json(c->out, 200, doc);
		else
			pvs_error(c->out, 500, "internal_error", "the reply could not be made");
	}
	pv_free(text);
}

static const struct pvs_route routes[] = {
	{ "GET", "/v1/report", PVS_SESSION, report, 0 },
};
PVS_ROUTE_TABLE(pvs_routes_report, routes);
