/* SPDX-License-Identifier: Apache-2.0 */
/* route.h: what the route files share. A route is a method, a path pattern ("{id}" matches
 * one segment), what it needs (no vault handle, a server's handle, or the caller's session)
 * and a handler; each file routes_<area>.c holds one area's handlers and its table, and
 * routes.c joins the tables and dispatches. Handlers parse, call the library, and print:
 * no rule is decided here. */
#ifndef PV_SERVER_ROUTE_H
#define PV_SERVER_ROUTE_H

#include <stddef.h>

#include "server.h"

#define PVS_MAX_PARAMS 3

/* One call of a route. */
struct pvs_call {
	struct pvs_routes_ctx *ctx;
	const struct pvs_request *q;
	struct pvs_reply *out;
	pv_vault *v;       /* a server's handle (in the session, for session routes) */
	const char *param; /* the path's last {name} segment, or NULL */
	const char *params[PVS_MAX_PARAMS]; /* each {name} segment, in order */
	size_t nparams;
};

/* PVS_STREAM: as PVS_SESSION on a handle of the streams' own (pvs_stream_enter: capped in
 * all and per user, 503 beyond; never a worker's), and a streamed reply the route starts
 * (pvs_stream_start) goes on using it: the handle and the session stay taken until the
 * reply ends (the route's end callback leaves and gives them back). A streamed reply of a PVS_SESSION
 * route (a file sent) needs neither: both are given back as the route returns. */
enum pvs_needs { PVS_NO_HANDLE, PVS_HANDLE, PVS_SESSION, PVS_STREAM };

/* What a route's table says of it besides its path (0: nothing). */
enum pvs_route_flags {
	PVS_READS = 1, /* under the read limit of the session's user */
	/* its audit entries are withheld (pv_vault_withhold_begin): the reply waits for their
	 * group's sync parked, without a thread (http.c); never for a streamed reply */
	PVS_PARKS = 2,
};

struct pvs_route {
	const char *method, *path;
	enum pvs_needs needs;
	void (*run)(struct pvs_call *c);
	unsigned flags; /* enum pvs_route_flags */
};

/* One area's routes (routes_<area>.c). */
struct pvs_route_table {
	const struct pvs_route *routes;
	size_t count;
};
#define PVS_ROUTE_TABLE(name, array) \
	const struct pvs_route_table name = { array, sizeof array / sizeof *array }

extern const struct pvs_route_table pvs_routes_sessions;  /* routes_sessions.c */
extern const struct pvs_route_table pvs_routes_customers; /* routes_customers.c */
extern const struct pvs_route_table pvs_routes_tokens;    /* routes_tokens.c */
extern const struct pvs_route_table pvs_routes_audit;     /* routes_audit.c */
extern const struct pvs_route_table pvs_routes_service;   /* routes_service.c */
extern const struct pvs_route_table pvs_routes_requests;  /* routes_requests.c */
extern const struct pvs_route_table pvs_routes_dsr;       /* routes_dsr.c */
extern const struct pvs_route_table pvs_routes_users;     /* routes_users.c */
extern const struct pvs_route_table pvs_routes_incidents; /* routes_incidents.c */
extern const struct pvs_route_table pvs_routes_scan;      /* routes_scan.c */
extern const struct pvs_route_table pvs_routes_report;    /* routes_report.c */
extern const struct pvs_route_table pvs_routes_transfers; /* routes_transfers.c */
extern const struct pvs_route_table pvs_routes_handover;   /* routes_handover.c */
extern const struct pvs_route_table pvs_routes_consent;   /* routes_consent.c */
extern const struct pvs_route_table pvs_routes_retention; /* routes_retention.c */
extern const struct pvs_route_table pvs_routes_bulk;      /* routes_bulk.c */
extern const struct pvs_route_table pvs_routes_complaints; /* routes_complaints.c */
extern const struct pvs_route_table pvs_routes_reviews;   /* routes_reviews.c */

/* ---- request.c: reading a request ---- */

/* The query argument name, or NULL. */
const char *pvs_arg(const struct pvs_call *c, const char *name);
/* Who reads customers: ?role=R&purpose=P&clear=true. */
pv_access pvs_reader_of(const struct pvs_call *c);
/* Who acts in a role without a purpose: ?role=R (NULL: the user's first). */
pv_access pvs_role_of(const struct pvs_call *c);
/* The body as a JSON object (json_t *; the caller decrefs), or NULL after a 400 reply. */
void *pvs_body_object(struct pvs_call *c);
/* Member key of a JSON object body: NULL when absent; NULL with *bad set when it is there
 * but not a string. */
const char *pvs_member(void *body, const char *key, int *bad);
/* The body as a JSON object (an empty one taken as {} when empty_ok) and who acts in it:
 * its "role", else ?role= (the role borrowed from the body: the caller decrefs it after
 * the call); NULL after a 400 reply. */
void *pvs_body_acting(struct pvs_call *c, int empty_ok, pv_access *who);
/* A record as JSON ({"id", "fields": {name: {"value", "shown"}}, "consents": {p: bool}};
 * hidden fields left out), as a json_t * the caller owns. */
void *pvs_record_json(const pv_record *r);

/* json_text.c: JSON text written straight into a buffer (the read path's replies), the
 * same text as jansson's compact dump. A failure (memory, text not UTF-8) is kept in
 * failed and makes pvs_text_reply answer 500. */
struct pvs_text {
	char *s;
	size_t len, cap;
	int failed;
};
void pvs_text_raw(struct pvs_text *t, const char *s, size_t n);
void pvs_text_str(struct pvs_text *t, const char *s);    /* as it is */
void pvs_text_string(struct pvs_text *t, const char *s); /* as a JSON string */
/* A record, as pvs_record_json's dump. */
void pvs_text_record(struct pvs_text *t, const pv_record *r);
/* The text as the reply's body with status (t is emptied). */
void pvs_text_reply(struct pvs_reply *out, unsigned status, struct pvs_text *t);
/* 204 No Content when rc is PV_OK, else the library's error. */
void pvs_done(struct pvs_call *c, pv_rc rc);
/* A library time ("YYYY-MM-DDTHH:MM:SSZ") as JSON Unix seconds; null when empty or not
 * such a time (json_t *, the caller owns it). */
void *pvs_time_json(const char *iso);
/* ---- routes_requests.c: four eyes for guarded routes ---- */

/* How a guarded operation is called: asked for (no "request" in the body), or run under
 * the approved request the body names. */
enum pvs_guard { PVS_ASK, PVS_RUN_APPROVED };
/* Before the library call, from the JSON object body's "request", "reason" and
 * "request_expires_in" (seconds: how long the request asked for stays valid), or with body
 * NULL from the query's ?request=, ?reason= and ?request_expires_in=: 0 to go on, -1 after
 * an error reply. The request asked for shows "METHOD PATH" as its command. */
int pvs_guard_begin(struct pvs_call *c, void *body, enum pvs_guard *mode);
/* As pvs_guard_begin, the request asked for showing command (NULL: "METHOD PATH"). */
int pvs_guard_begin_as(struct pvs_call *c, void *body, const char *command,
		       enum pvs_guard *mode);
/* After it returned rc: 1 when the operation was asked for (the request recorded and 202
 * {"request": {...}} answered, or the error), 0 when the caller answers rc. A request asked
 * for and not recorded (the operation refused) is forgotten when the session is left. */
int pvs_guard_end(struct pvs_call *c, enum pvs_guard mode, pv_rc rc);
/* A read in clear under the bulk limit (get, find, list, notices, detokenize) is guarded only
 * when the caller asks for it (the body's "ask": true, or ?ask=true without a body: what
 * `pivault request ...` sends through a server) or runs it under an approved request
 * ("request" or ?request=); else it runs as any read, refused past the limit. 0 to go on
 * (*guarded: whether it is), -1 after an error reply. */
int pvs_clear_guard_begin(struct pvs_call *c, void *body, const char *command,
			  enum pvs_guard *mode, int *guarded);
/* Its read failed with rc: the request asked for answered (202), or the failure. */
void pvs_clear_guard_failed(struct pvs_call *c, enum pvs_guard mode, int guarded, pv_rc rc);

/* ---- routes.c: rate limits (limits.c counts; the library audits) ---- */

/* Apply verdict d of limit: the refusals it says are due audited; 1 when the request is
 * refused (429 with Retry-After made), 0 when it may go on. what names the requests in
 * the message ("sign-in attempts"). */
int pvs_refused_by(struct pvs_call *c, struct pvs_verdict d, pv_rate_limit limit,
		   const char *user, const char *what);

#endif
