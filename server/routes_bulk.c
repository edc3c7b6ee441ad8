/* SPDX-License-Identifier: Apache-2.0 */
/* routes_bulk.c: customers in bulk. The import: a CSV body fed to the library's import as
 * it arrives (http.c's streamed uploads; never collected whole), all or nothing as
 * `pivault import` without a reject file (the server writes no file), answered with its
 * summary; a body that stops half-way imports nothing (pv_import_csv_fd's whole check).
 * The export: streamed as it is made (never whole in memory), as `pivault export` writes
 * it to its standard output. The response goes to the
 * caller as a command's standard output does, and no file is written on the server, so the
 * library's rule for files (pv_export_file: masked only) is not the one that applies:
 * pv_export's is (clear values where the role may see them, and an export in clear only
 * under an approved request, asked for here as in `pivault request export --clear`). */
#include "route.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

/* GET /v1/export?format=csv|jsonl&role=R&purpose=P&clear=true&request=ID: every customer
 * streamed, as `pivault export` prints it; an export in clear without ?request= is asked
 * for (202 with the request), and runs under the caller's approved ?request=ID. */
static void export_all(struct pvs_call *c)
{
	pv_export_format fmt;
	const char *type;
	if (format_of(c, &fmt, &type) != 0)
		return;
	pv_access who = pvs_reader_of(c);
	enum pvs_guard mode = PVS_RUN_APPROVED;
	int guarded = pvs_arg(c, "request") || who.want_clear;
	if (guarded && pvs_guard_begin_as(c, NULL, "GET /v1/export?clear=true", &mode) != 0)
		return;
	struct export_job *j = export_job_of(c, fmt);
	if (!j)
		return;
	pv_rc rc;
	if (pvs_stream_start(c->out, type, PVS_SIZE_UNKNOWN, produce_export, export_end, j, &rc))
		return; /* streaming: the handle and the session are the job's until its end */
	free(j);
	if (!guarded || !pvs_guard_end(c, mode, rc))
		pvs_fail(c->out, c->v, rc);
}

/* GET /v1/export/summary?role=R&purpose=P: {"sealed_left_out": {"customers", "incident"}},
 * what an export by the caller leaves out because breach incidents sealed it. Its own
 * route, asked before or after the export: the export's headers are sent before its
 * rows, so they cannot carry what the rows left out, and neither CSV nor JSON Lines has a
 * place for a summary that a reader of the rows would not take for one more row. */
static void export_summary(struct pvs_call *c)
{
	pv_access who = pvs_reader_of(c);
	uint64_t n = 0;
	char incident[64];
	pv_rc rc = pv_export_sealed(c->v, &who, &n, incident, sizeof incident);
	if (rc) {
		pvs_fail(c->out, c->v, rc);
		return;
	}
	pvs_json(c->out, 200, json_pack("{s:{s:I,s:s}}", "sealed_left_out", "customers",
					(json_int_t)n, "incident", incident));
}

/* ---- Import ---- */

/* One import under way: its handle and session taken from the headers to the end. */
struct import_job {
	struct pvs_routes_ctx *ctx;
	pv_vault *v;
	pv_access who;
	char role[128], purpose[128];
	pv_import_opts opts;
	int sv[2];               /* sv[1]: the body written in; sv[0]: the import reads */
	pthread_t thread;
	atomic_int whole;        /* the body came to its end */
	pv_rc rc;
	pv_import_result *res;
};

static int body_was_whole(void *ctx)
{
	struct import_job *j = ctx;
	return atomic_load(&j->whole);
}

static void *import_main(void *arg)
{
	struct import_job *j = arg;
	j->rc = pv_import_csv_fd(j->v, &j->who, j->sv[0], body_was_whole, j, &j->opts, &j->res);
	shutdown(j->sv[0], SHUT_RDWR); /* a writer still sending is refused, not left waiting */
	return NULL;
}

/* Who imports (?role=R&purpose=P) and how (?drop_undeclared=true), copied into j. */
static int import_who(struct import_job *j, const struct pvs_request *q, struct pvs_reply *out)
{
	const char *role = q->arg(q->conn, "role"), *purpose = q->arg(q->conn, "purpose");
	const char *drop = q->arg(q->conn, "drop_undeclared");
	if ((role && strlen(role) >= sizeof j->role) ||
	    (purpose && strlen(purpose) >= sizeof j->purpose)) {
		pvs_error(out, 400, "bad_request", "role or purpose: too long");
		return -1;
	}
	j->who.role = role ? strcpy(j->role, role) : NULL;
	j->who.purpose = purpose ? strcpy(j->purpose, purpose) : NULL;
	j->who.want_clear = PV_WANT_MASKED;
	j->opts.flags = drop && strcmp(drop, "true") == 0 ? PV_IMPORT_DROP_UNDECLARED : 0;
	return 0;
}

static void import_free(struct import_job *j)
{
	pv_import_free(j->res);
	free(j);
}

/* The headers are in: the session entered and the import started, reading the body. */
static void *import_begin(struct pvs_routes_ctx *ctx, const struct pvs_request *q,
			  struct pvs_reply *out)
{
	struct import_job *j = calloc(1, sizeof *j);
	if (!j) {
		pvs_error(out, 500, "out_of_memory", "out of memory");
		return NULL;
	}
	j->ctx = ctx;
	if (import_who(j, q, out) != 0 || !(j->v = pvs_stream_enter(ctx, q, out))) {
		import_free(j);
		return NULL;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, j->sv) == 0) {
		if (pthread_create(&j->thread, NULL, import_main, j) == 0)
			return j;
		close(j->sv[0]);
		close(j->sv[1]);
	}
	pvs_error(out, 503, "busy", "the import could not be started");
	pv_rc rc = pv_session_leave(j->v);
	(void)rc;
	pvs_handle_give(ctx->handles, j->v);
	import_free(j);
	return NULL;
}

static int import_feed(void *upload, const char *data, size_t n)
{
	struct import_job *j = upload;
	while (n) {
		ssize_t k = send(j->sv[1], data, n, MSG_NOSIGNAL);
		if (k < 0)
			return -1; /* the import ended (refused, or a bad row): the rest is dropped */
		data += k;
		n -= (size_t)k;
	}
	return 0;
}

/* The import's result as the reply: the summary the CLI prints (pv_import_json), or the
 * error with that summary in it when there is one (its errors name line, column and
 * reason: never a value). */
static void import_reply(struct import_job *j, struct pvs_reply *out)
{
	char *text = j->res ? pv_import_json(j->res) : NULL;
	json_t *summary = text ? json_loads(text, 0, NULL) : NULL;
	pv_free(text);
	if (!j->rc) {
		pvs_json(out, 200, summary);
		return;
	}
	pvs_fail(out, j->v, j->rc);
	json_t *err = summary ? json_loads(out->body, 0, NULL) : NULL;
	if (!err) {
		json_decref(summary);
		return;
	}
	json_object_set_new(json_object_get(err, "error"), "summary", summary);
	free(out->body);
	pvs_json(out, out->status, err);
}

/* The body is whole (out: the reply), or it is not (out NULL: nothing is imported). */
static void import_end(void *upload, const struct pvs_request *q, struct pvs_reply *out)
{
	(void)q;
	struct import_job *j = upload;
	atomic_store(&j->whole, out != NULL);
	shutdown(j->sv[1], SHUT_WR); /* the end of the input: the import finishes or rolls back */
	pthread_join(j->thread, NULL);
	close(j->sv[0]);
	close(j->sv[1]);
	if (out)
		import_reply(j, out);
	pv_rc rc = pv_session_leave(j->v);
	(void)rc; /* an import shows no value: nothing of the reply to withhold */
	pvs_handle_give(j->ctx->handles, j->v);
	import_free(j);
}

const struct pvs_upload_route pvs_import_upload = { "POST", "/v1/import", PVS_CAP_IMPORT,
						     import_begin, import_feed, import_end };

/* In the table for 405s and the OpenAPI check; http.c takes the route before it. */
static void import_not_streamed(struct pvs_call *c)
{
	pvs_error(c->out, 500, "internal_error", "the import is taken as a streamed upload");
}

static const struct pvs_route routes[] = {
	{ "GET", "/v1/export", PVS_STREAM, export_all, PVS_READS },
	{ "GET", "/v1/export/summary", PVS_SESSION, export_summary, 0 },
	{ "POST", "/v1/import", PVS_SESSION, import_not_streamed, 0 },
};
PVS_ROUTE_TABLE(pvs_routes_bulk, routes);
