/* SPDX-License-Identifier: Apache-2.0 */
/* routes.c: the API's route tables joined (each area's in its routes_<area>.c) and one
 * request dispatched: the path matched, the method checked (405 otherwise), a vault handle
 * taken where the route needs one, the bearer token's session entered where it needs the
 * caller's, the read limit applied to reads, and the session left (a reply whose use could
 * not be counted is withheld). No rule is decided here: they are the library's. */
#include "route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a 503 for busy streams asks the client to wait. */
#define STREAM_RETRY_SECONDS 5

static const struct pvs_route_table *const tables[] = {
	&pvs_routes_sessions, &pvs_routes_customers, &pvs_routes_tokens, &pvs_routes_audit,
	&pvs_routes_service,
	&pvs_routes_requests, &pvs_routes_dsr, &pvs_routes_users,
	&pvs_routes_incidents,
	&pvs_routes_scan,
	&pvs_routes_report,
	&pvs_routes_transfers,
	&pvs_routes_handover,
	&pvs_routes_consent, &pvs_routes_retention, &pvs_routes_bulk,
	&pvs_routes_complaints,
	&pvs_routes_reviews,
};
#define NTABLES (sizeof tables / sizeof *tables)

size_t pvs_route_count(void)
{
	size_t n = 0;
	for (size_t t = 0; t < NTABLES; t++)
		n += tables[t]->count;
	return n;
}

static const struct pvs_route *route_at(size_t i)
{
	for (size_t t = 0; t < NTABLES; t++) {
		if (i < tables[t]->count)
			return &tables[t]->routes[i];
		i -= tables[t]->count;
	}
	return NULL;
}

void pvs_route_at(size_t i, const char **method, const char **path)
{
	const struct pvs_route *r = route_at(i);
	*method = r->method;
	*path = r->path;
}

/* ---- Rate limits (limits.c counts; the library audits) ---- */

int pvs_refused_by(struct pvs_call *c, struct pvs_verdict d, pv_rate_limit limit,
		   const char *user, const char *what)
{
	if (d.to_audit) {
		pv_rc rc = pv_audit_rate_limited(c->v, user, limit, c->q->client_class, d.to_audit);
		if (rc) {
			pvs_fail(c->out, c->v, rc);
			return 1;
		}
	}
	if (d.allowed)
		return 0;
	char msg[128];
	snprintf(msg, sizeof msg, "too many %s: try again after the seconds Retry-After gives",
		 what);
	pvs_error(c->out, 429, "rate_limited", msg);
	c->out->retry_after = d.retry_after;
	return 1;
}

/* The read limit of the session's user. */
static int reads_refused(struct pvs_call *c)
{
	const char *user = pv_vault_user(c->v); /* the session's */
	struct pvs_verdict d = pvs_limit_take(c->ctx->limits, PV_LIMIT_READS, user, strlen(user));
	return pvs_refused_by(c, d, PV_LIMIT_READS, user, "reads");
}

/* The segments a pattern's "{name}"s matched, copied for the handler. */
struct matched {
	char text[256];
	size_t used;
	const char *params[PVS_MAX_PARAMS];
	size_t count;
};

/* 1 when path matches pattern, whose "{name}" segments match one non-empty segment each
 * (into m). */
static int path_matches(const char *pattern, const char *path, struct matched *m)
{
	m->used = m->count = 0;
	while (*pattern && *path) {
		if (*pattern == '{') {
			size_t n = strcspn(path, "/");
			if (n == 0 || m->count == PVS_MAX_PARAMS || m->used + n + 1 > sizeof m->text)
				return 0;
			char *seg = m->text + m->used;
			memcpy(seg, path, n);
			seg[n] = '\0';
			m->params[m->count++] = seg;
			m->used += n + 1;
			path += n;
			pattern += strcspn(pattern, "}") + 1;
		} else if (*pattern++ != *path++) {
			return 0;
		}
	}
	return !*pattern && !*path;
}

/* The bearer token's session entered on v: 0, or -1 with the reply (401, audited) made. */
static int session_entered(pv_vault *v, const struct pvs_request *q, struct pvs_reply *out)
{
	pv_rc rc = pv_session_enter(v, q->bearer ? q->bearer : "");
	if (!rc)
		return 0;
	pvs_error(out, rc == PV_ERR_DENIED ? 401 : 503,
		  rc == PV_ERR_DENIED ? "unauthenticated" : "store_unavailable", pv_errmsg(v));
	return -1;
}

/* Leave the session: a reply whose use could not be counted is withheld. */
static void session_left(struct pvs_call *c)
{
	pv_rc rc = pv_session_leave(c->v);
	if (rc) {
		if (c->out->stream)
			pvs_stream_cancel(c->out);
		free(c->out->body);
		pvs_fail(c->out, c->v, rc);
	}
}

/* Run r in the session; a PVS_STREAM route's streamed reply leaves it at its end. */
static void run_in_session(struct pvs_call *c, const struct pvs_route *r)
{
	if (!((r->flags & PVS_READS) && reads_refused(c)))
		r->run(c);
	if (!(c->out->stream && r->needs == PVS_STREAM))
		session_left(c);
}

static void streams_busy(struct pvs_reply *out, const char *whose)
{
	char msg[160];
	snprintf(msg, sizeof msg, "%s exports and imports are all under way: try again after "
		 "the seconds Retry-After gives", whose);
	pvs_error(out, 503, "streams_busy", msg);
	out->retry_after = STREAM_RETRY_SECONDS;
}

/* Every stream is in use: the caller is told so once its bearer is known (on a worker's
 * handle), else it gets the 401 any request without a valid one gets, never a hint about
 * the server's load. */
static void streams_full(struct pvs_routes_ctx *ctx, const struct pvs_request *q,
			 struct pvs_reply *out)
{
	pv_vault *v = pvs_handle_take(ctx->handles);
	if (session_entered(v, q, out) == 0) {
		pv_rc rc = pv_session_leave(v);
		(void)rc; /* nothing was shown */
		streams_busy(out, "the server's");
	}
	pvs_handle_give(ctx->handles, v);
}

pv_vault *pvs_stream_enter(struct pvs_routes_ctx *ctx, const struct pvs_request *q,
			   struct pvs_reply *out)
{
	pv_vault *v = pvs_stream_handle_take(ctx->handles);
	if (!v) {
		streams_full(ctx, q, out);
		return NULL;
	}
	if (session_entered(v, q, out) != 0) {
		pvs_handle_give(ctx->handles, v);
		return NULL;
	}
	if (pvs_stream_handle_bind(ctx->handles, v, pv_vault_user(v)) != 0) {
		pv_rc rc = pv_session_leave(v);
		(void)rc; /* nothing was shown */
		pvs_handle_give(ctx->handles, v);
		streams_busy(out, "this user's");
		return NULL;
	}
	return v;
}

static void run_route(struct pvs_call *c, const struct pvs_route *r)
{
	if (r->needs == PVS_NO_HANDLE) {
		r->run(c);
		return;
	}
	if (r->needs == PVS_STREAM) {
		if ((c->v = pvs_stream_enter(c->ctx, c->q, c->out)))
			run_in_session(c, r);
	} else {
		c->v = pvs_handle_take(c->ctx->handles);
		/* a parked reply's entries are durable before it is sent (http.c), not before
		 * the handle serves the next request */
		int parks = (r->flags & PVS_PARKS) && pv_vault_withhold_begin(c->v) == PV_OK;
		if (r->needs == PVS_HANDLE)
			r->run(c);
		else if (session_entered(c->v, c->q, c->out) == 0)
			run_in_session(c, r);
		if (parks)
			c->out->withheld = pv_vault_withhold_end(c->v);
	}
	if (c->v && !(c->out->stream && r->needs == PVS_STREAM)) /* else at the stream's end */
		pvs_handle_give(c->ctx->handles, c->v);
}

void pvs_route(struct pvs_routes_ctx *ctx, const struct pvs_request *q, struct pvs_reply *out)
{
	if (pvs_console_serve(q, out)) /* the web console's files (console.c) */
		return;
	struct matched m;
	int path_known = 0;
	for (size_t i = 0, n = pvs_route_count(); i < n; i++) {
		const struct pvs_route *r = route_at(i);
		if (!path_matches(r->path, q->path, &m))
			continue;
		path_known = 1;
		if (strcmp(r->method, q->method) == 0) {
			struct pvs_call c = { ctx, q, out, NULL, NULL, { NULL }, m.count };
			memcpy(c.params, m.params, m.count * sizeof *m.params);
			c.param = m.count ? m.params[m.count - 1] : NULL;
			run_route(&c, r);
			return;
		}
	}
	if (path_known)
		pvs_error(out, 405, "method_not_allowed", "this path does not answer that method");
	else
		pvs_error(out, 404, "no_route", "no such route");
}
