/* SPDX-License-Identifier: Apache-2.0 */
/* routes_bulk.c: every customer at once: the export, streamed as it is made (never whole in
 * memory), as `pivault export` writes it to its standard output. The response goes to the
 * caller as a command's standard output does, and no file is written on the server, so the
 * library's rule for files (pv_export_file: masked only) is not the one that applies:
 * pv_export's is (clear values where the role may see them, and an export in clear only
 * under an approved request, asked for here as in `pivault request export --clear`). */
#include "route.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One export under way: its handle and session stay taken until the reply ends. */
struct export_job {
	pv_vault *v;
	struct pvs_handles *handles;
	pv_access who;
	pv_export_format fmt;
	char role[128], purpose[128];
};

static pv_rc produce_export(void *cls, FILE *out)
{
	struct export_job *j = cls;
	return pv_export(j->v, &j->who, j->fmt, out);
}

static void export_end(void *cls)
{
	struct export_job *j = cls;
	pv_rc rc = pv_session_leave(j->v);
	(void)rc; /* the reply is gone already; the export's audit entry was written first */
	pvs_handle_give(j->handles, j->v);
	free(j);
}

/* The job of c (who copied: the query's text lives with the connection only); NULL after
 * an error reply. */
static struct export_job *export_job_of(struct pvs_call *c, pv_export_format fmt)
{
	pv_access who = pvs_reader_of(c);
	struct export_job *j = calloc(1, sizeof *j);
	if (!j || (who.role && strlen(who.role) >= sizeof j->role) ||
	    (who.purpose && strlen(who.purpose) >= sizeof j->purpose)) {
		pvs_error(c->out, 400, "bad_request", "role or purpose: too long");
		free(j);
		return NULL;
	}
	j->v = c->v;
	j->handles = c->ctx->handles;
	j->fmt = fmt;
	j->who = who;
	if (who.role)
		j->who.role = strcpy(j->role, who.role);
	if (who.purpose)
		j->who.purpose = strcpy(j->purpose, who.purpose);
	return j;
}

/* ?format=csv|jsonl into *fmt and its content type; 0, or -1 after a 400 reply. */
static int format_of(struct pvs_call *c, pv_export_format *fmt, const char **type)
{
	const char *f = pvs_arg(c, "format");
	*fmt = PV_EXPORT_CSV;
	*type = "text/csv; charset=utf-8";
	if (f && strcmp(f, "jsonl") == 0) {
		*fmt = PV_EXPORT_JSONL;
		*type = "application/x-ndjson";
	} else if (f && strcmp(f, "csv") != 0) {
		pvs_error(c->out, 400, "bad_request", "format is csv or jsonl");
		return -1;
	}
	return 0;
}

/* Ready the handle: under the caller's approved ?request=ID, or asking (an export in
 * clear without one: the library decides whether it needs four eyes). */
static pv_rc export_request(struct pvs_call *c, const char *request, int asking)
{
	if (request)
		return pv_vault_use_request(c->v, request);
	if (!asking)
		return PV_OK;
	const char *reason = pvs_arg(c, "reason");
	return pv_request_begin(c->v, reason ? reason : "", 0, "GET /v1/export?clear=true");
}

/* GET /v1/export?format=csv|jsonl&role=R&purpose=P&clear=true&request=ID: every customer
 * streamed, as `pivault export` prints it; an export in clear without ?request= is asked
 * for (202 with the request's id). */
static void export_all(struct pvs_call *c)
{
	pv_export_format fmt;
	const char *type, *request = pvs_arg(c, "request");
	if (format_of(c, &fmt, &type) != 0)
		return;
	pv_access who = pvs_reader_of(c);
	int asking = !request && who.want_clear;
	pv_rc rc = export_request(c, request, asking);
	if (rc) {
		pvs_fail(c->out, c->v, rc);
		return;
	}
	struct export_job *j = export_job_of(c, fmt);
	if (!j) {
		if (asking)
			pvs_ask_dropped(c);
		return;
	}
	if (pvs_stream_start(c->out, type, produce_export, export_end, j, &rc))
		return; /* streaming: the handle and the session are the job's until its end */
	free(j);
	if (asking && rc == PV_REQUESTED) {
		pvs_asked(c);
		return;
	}
	pvs_fail(c->out, c->v, rc);
	if (asking)
		pvs_ask_dropped(c);
}

static const struct pvs_route routes[] = {
	{ "GET", "/v1/export", PVS_SESSION, export_all, 1 },
};
PVS_ROUTE_TABLE(pvs_routes_bulk, routes);
