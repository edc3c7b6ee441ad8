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

/* Run r in the session of the request's bearer token (refused: 401, audited). */
static void in_session(struct pvs_call *c, const struct pvs_route *r)
{
	pv_rc rc = pv_session_enter(c->v, c->q->bearer ? c->q->bearer : "");
	if (rc) {
		pvs_error(c->out, rc == PV_ERR_DENIED ? 401 : 503,
			  rc == PV_ERR_DENIED ? "unauthenticated" : "store_unavailable",
			  pv_errmsg(c->v));
		return;
	}
	if (!((r->flags & PVS_READS) && reads_refused(c)))
		r->run(c);
	if (c->out->stream) /* a streamed reply leaves the session at its end (pvs_stream_start) */
		return;
	rc = pv_session_leave(c->v);
	if (rc) { /* what was shown could not be counted: the reply is withheld */
		free(c->out->body);
		pvs_fail(c->out, c->v, rc);
	}
}

static void run_route(struct pvs_call *c, const struct pvs_route *r)
{
	if (r->needs == PVS_NO_HANDLE) {
		r->run(c);
		return;
	}
	c->v = pvs_handle_take(c->ctx->handles);
	/* a parked reply's entries are durable before it is sent (http.c), not before the
	 * handle serves the next request */
	int parks = (r->flags & PVS_PARKS) && pv_vault_withhold_begin(c->v) == PV_OK;
	if (r->needs == PVS_SESSION || r->needs == PVS_SESSION_FILE)
		in_session(c, r);
	else
		r->run(c);
	if (parks)
		c->out->withheld = pv_vault_withhold_end(c->v);
	if (!c->out->stream) /* a streamed reply gives its handle back at its end */
		pvs_handle_give(c->ctx->handles, c->v);
}

int pvs_route_takes_file(const char *method, const char *path)
{
	struct matched m;
	for (size_t i = 0, n = pvs_route_count(); i < n; i++) {
		const struct pvs_route *r = route_at(i);
		if (r->needs == PVS_SESSION_FILE && strcmp(r->method, method) == 0 &&
		    path_matches(r->path, path, &m))
			return 1;
	}
	return 0;
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
