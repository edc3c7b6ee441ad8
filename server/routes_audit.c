/* SPDX-License-Identifier: Apache-2.0 */
/* routes_audit.c: the audit log's routes (its verification). */
#include "route.h"

#include <jansson.h>

static void audit_verify(struct pvs_call *c)
{
	pv_access who = { c->q->arg(c->q->conn, "role"), NULL, PV_WANT_MASKED };
	char *report = NULL;
	pv_rc rc = pv_audit_verify(c->v, &who, NULL, &report);
	if (rc == PV_OK || (rc == PV_ERR_CORRUPT && report))
		pvs_json(c->out, 200, json_pack("{s:b,s:s}", "verified", rc == PV_OK, "report",
						 report));
	else
		pvs_fail(c->out, c->v, rc);
	pv_free(report);
}

static const struct pvs_route routes[] = {
	{ "GET", "/v1/audit/verify", PVS_SESSION, audit_verify, 0 },
};
PVS_ROUTE_TABLE(pvs_routes_audit, routes);
