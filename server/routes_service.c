/* SPDX-License-Identifier: Apache-2.0 */
/* routes_service.c: what needs no vault: /healthz and /readyz (which reveal nothing) and
 * the OpenAPI document. */
#include "route.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void healthz(struct pvs_call *c)
{
	pvs_json(c->out, 200, json_pack("{s:s}", "status", "ok"));
}

static void readyz(struct pvs_call *c)
{
	int ready = c->ctx->ready;
	pvs_json(c->out, ready ? 200 : 503, json_pack("{s:s}", "status",
							ready ? "ready" : "stopping"));
}

static void openapi(struct pvs_call *c)
{
	c->out->status = 200;
	c->out->type = "application/json";
	c->out->body = strdup(pvs_openapi_json);
	if (!c->out->body)
		pvs_error(c->out, 500, "out_of_memory", "out of memory");
}

static const struct pvs_route routes[] = {
	{ "GET", "/v1/openapi.json", PVS_NO_HANDLE, openapi, 0 },
	{ "GET", "/healthz", PVS_NO_HANDLE, healthz, 0 },
	{ "GET", "/readyz", PVS_NO_HANDLE, readyz, 0 },
};
PVS_ROUTE_TABLE(pvs_routes_service, routes);
