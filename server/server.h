/* SPDX-License-Identifier: Apache-2.0 */
/* server.h: `pivault serve`, the HTTPS JSON API over libpivault. The server opens the vault
 * with the root secret (one handle per worker thread, each a server's handle: see
 * pv_vault_serve), signs users in with their passwords and acts for them through
 * sessions; it only parses requests and prints replies: every rule is the library's.
 * Files: http.c (libmicrohttpd: connections, limits, start and graceful stop), routes.c
 * (the route tables joined; each area's handlers in routes_<area>.c, see route.h),
 * reply.c (JSON replies, pv_rc to HTTP status), handles.c (the pool of vault handles),
 * limits.c (rate limits on sign-in and reads), openapi.json (the API's description). */
#ifndef PV_SERVER_H
#define PV_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pivault.h"

/* How a server is started; zero fields take the defaults named. */
struct pvs_config {
	const char *vault, *keyring; /* keyring NULL: beside the vault */
	const pv_key *key;           /* the root secret (only read at start) */
	const char *host;            /* an IPv4 or IPv6 address to listen on */
	unsigned port;               /* 0: any free port (pvs_port says which) */
	const char *tls_cert;        /* PEM files; both, or neither with plain_http */
	const char *tls_key;
	int plain_http;              /* plain HTTP: only on a loopback address */
	unsigned threads;            /* worker threads and vault handles (4) */
	unsigned session_seconds;    /* a session's life (900) */
	size_t max_body;             /* bytes of a request body (65536); more: 413 */
	unsigned max_connections;    /* connections served at once (256); more wait to be accepted */
	unsigned timeout_seconds;    /* idle seconds before a connection is closed (30) */
	unsigned grace_seconds;      /* at stop, how long in-flight requests may take (30) */
	size_t max_import;           /* bytes of an import's streamed body (1 GiB); more: 413 */
	unsigned streams;            /* exports and imports at once, each on a handle of its
				      * own besides the workers' (4); more: 503 */
	unsigned streams_per_user;   /* ...of them for one user at once (2); more: 503 */
	/* Rate limits (429 beyond; each refusal audited, once per key per window). */
	unsigned sign_in_per_address;    /* sign-in attempts per client address (10) */
	unsigned sign_in_per_user;       /* sign-in attempts per user name (5) */
	unsigned sign_in_window_seconds; /* ...per this many seconds; also the audit window (60) */
	unsigned reads_per_second;       /* reads per session user (20) */
	unsigned reads_burst;            /* reads a user may make at once (40) */
	/* Handover packages (routes_handover.c): the directory the server writes the packages
	 * it exports to and spools those uploaded to it into (NULL: "<vault>.handover", made
	 * 0700), the age identity file a package sent to this vault is opened with (NULL:
	 * imports are refused), and the largest package accepted (bytes; 1 GiB). */
	const char *handover_dir, *handover_identity;
	size_t max_package;
};

struct pvs_server;

/* Open the handles and start listening. NULL with the reason in err (never a secret). */
struct pvs_server *pvs_start(const struct pvs_config *cfg, char *err, size_t errlen);
/* The port listened on. */
unsigned pvs_port(const struct pvs_server *s);
/* Stop: no new connection is accepted, requests in flight finish (for at most the grace
 * seconds), then the daemon stops and every handle is closed (their keys wiped). */
void pvs_stop(struct pvs_server *s);

/* ---- Inside the server (http.c, routes.c, reply.c, handles.c) ---- */

/* A request as the routes see it. */
struct pvs_request {
	const char *method, *path;
	const char *body; /* NUL-terminated; len bytes */
	size_t len;
	const char *bearer; /* the Authorization header's token, or NULL */
	/* the client's address as a rate-limit key (IPv4: 4 bytes; IPv6: its /64) and its
	 * class ("loopback", "private", "public") */
	unsigned char client[8];
	size_t client_len;
	const char *client_class;
	/* query arguments: one by name (NULL when absent), or each in turn */
	const char *(*arg)(void *conn, const char *name);
	void (*each_arg)(void *conn, void (*fn)(void *ctx, const char *k, const char *v),
			 void *ctx);
	void *conn;
	/* a body an upload route kept in a file (the handover package: routes_handover.c):
	 * its path (body is then empty); NULL otherwise */
	const char *body_file;
};

/* A reply: status, JSON body (malloc'd; NULL: none), and a static content type. */
struct pvs_reply {
	unsigned status;
	char *body;
	const char *type;
	unsigned retry_after; /* seconds, sent as Retry-After when not 0 */
	struct pvs_stream *stream; /* not NULL: the body is streamed from it (http.c) */
	pv_audit_span withheld; /* its audit entries still to be durable before it is sent */
	const char *csp; /* Content-Security-Policy (static); NULL: the API's, which loads nothing */
};

/* reply.c: the body {"error":{"code":code,"message":message}} with status. */
void pvs_error(struct pvs_reply *out, unsigned status, const char *code, const char *message);
/* The error of a library call that failed with rc on v (message pv_errmsg(v)). */
void pvs_fail(struct pvs_reply *out, pv_vault *v, pv_rc rc);
/* The same error with the members of the JSON object more (taken; NULL: none) beside
 * "error": what a call that failed after doing something lasting still gives back. */
void pvs_fail_with(struct pvs_reply *out, pv_vault *v, pv_rc rc, void *more);
/* A JSON value as the reply's body (takes the reference). */
void pvs_json(struct pvs_reply *out, unsigned status, void *json);

/* handles.c: a pool of server's handles on one vault, one per worker thread. */
struct pvs_handles;
struct pvs_handles *pvs_handles_open(const struct pvs_config *cfg, char *err, size_t errlen);
pv_vault *pvs_handle_take(struct pvs_handles *h);
/* Give back a handle, a worker's or a stream's. */
void pvs_handle_give(struct pvs_handles *h, pv_vault *v);
/* One of the streams' handles (never a worker's, never waited for): NULL when all are in
 * use. Then, in the session, bind it to its user: -1 when that user holds as many as
 * one user may (give it back). */
pv_vault *pvs_stream_handle_take(struct pvs_handles *h);
int pvs_stream_handle_bind(struct pvs_handles *h, pv_vault *v, const char *user);
void pvs_handles_close(struct pvs_handles *h);
/* The audit writer the handles share (for parked replies: pv_audit_writer_when_durable). */
pv_audit_writer *pvs_handles_audit(struct pvs_handles *h);

/* limits.c: token buckets per key in a table of fixed size, safe across threads. */
struct pvs_limits;
struct pvs_verdict {
	int allowed;
	unsigned retry_after;   /* when refused: seconds until a request would be allowed */
	unsigned long to_audit; /* refusals to audit now (pv_audit_rate_limited); 0: none */
};
struct pvs_limits *pvs_limits_new(const struct pvs_config *cfg);
void pvs_limits_free(struct pvs_limits *l);
/* Take one request of key under limit. */
struct pvs_verdict pvs_limit_take(struct pvs_limits *l, pv_rate_limit limit, const void *key,
				  size_t len);

/* routes.c: answer one request. */
struct pvs_routes_ctx {
	struct pvs_handles *handles;
	struct pvs_limits *limits;
	unsigned session_seconds;
	_Atomic int ready; /* 0 once the server is stopping */
	const char *handover_dir, *handover_identity; /* as configured (the directory made) */
};
void pvs_route(struct pvs_routes_ctx *ctx, const struct pvs_request *q, struct pvs_reply *out);
/* A long stream's handle (an export's, an import's) in the session of q's bearer, taken
 * from the streams' own under their caps: the handle, or NULL with the reply made in out
 * (401 for a bearer that is not valid, whatever the load; then 503 with Retry-After when
 * the streams, or the user's, are all in use). The caller
 * leaves the session and gives the handle back (pvs_handle_give) when the stream ends. */
pv_vault *pvs_stream_enter(struct pvs_routes_ctx *ctx, const struct pvs_request *q,
			   struct pvs_reply *out);
/* The route table, for the test that holds it against openapi.json. */
size_t pvs_route_count(void);
void pvs_route_at(size_t i, const char **method, const char **path);

/* ---- Streamed replies (http.c, H-data) ---- */

/* A reply whose body a producer writes as it goes, never held whole: produce(cls, out)
 * runs in a thread of its own and writes to out, a stream of bounded memory that the reply
 * reads (a producer is held back while the client is slow). pvs_stream_start returns
 * once the producer has written its first bytes or returned: 1 when the reply is now the
 * stream (status 200, content type type), and end(cls) will be called once the reply is
 * done or the client gone and the producer returned; 0 when the producer returned an
 * error before anything was sent (*rc: its result; nothing started: the caller answers,
 * and end is not called). A producer's failure after bytes were sent cuts the reply short
 * (the client sees no end of the body). size: the body's length when known (sent as
 * Content-Length: a file), else PVS_SIZE_UNKNOWN (chunked). */
#define PVS_SIZE_UNKNOWN UINT64_MAX
int pvs_stream_start(struct pvs_reply *out, const char *type, uint64_t size,
		     pv_rc (*produce)(void *cls, FILE *out), void (*end)(void *cls), void *cls,
		     pv_rc *rc);
/* A stream started in out and not yet sent, stopped: the producer stopped and waited
 * for, end called, out->stream NULL. */
void pvs_stream_cancel(struct pvs_reply *out);

/* ---- Streamed uploads (http.c feeds, the route consumes; H-data) ---- */

/* A route whose body is handed over as it arrives, never collected whole, under its own
 * cap (max_import, or max_package for a package) instead of max_body. http.c calls begin when the headers are in, feed
 * with each piece of the body, and end once: with out when the body is whole (the reply
 * to make), or with out NULL when it is not (the client gone, or the body over the cap:
 * 413). */
enum pvs_upload_cap { PVS_CAP_IMPORT, PVS_CAP_PACKAGE };
struct pvs_upload_route {
	const char *method, *path;
	enum pvs_upload_cap cap;
	/* The upload's state; or NULL with the reply made in out (sent at once, the body
	 * unread). */
	void *(*begin)(struct pvs_routes_ctx *ctx, const struct pvs_request *q,
		       struct pvs_reply *out);
	/* 0; or -1 when the route takes no more (the rest is read and dropped, end still
	 * called). */
	int (*feed)(void *upload, const char *data, size_t n);
	void (*end)(void *upload, const struct pvs_request *q, struct pvs_reply *out);
};
extern const struct pvs_upload_route pvs_import_upload;  /* routes_bulk.c */
extern const struct pvs_upload_route pvs_package_upload; /* routes_handover.c */

/* The OpenAPI document (openapi.json, embedded at build time). */
extern const char pvs_openapi_json[];

/* console.c: the web console's files (server/console/, embedded at build time by
 * cmake/embed_assets.cmake), served under /console/. */
struct pvs_asset {
	const char *name, *type, *text;
	size_t len;
};
extern const struct pvs_asset pvs_console_assets[];
extern const size_t pvs_console_asset_count;
/* Answer q when it asks for the console (GET or HEAD of /console or /console/NAME): 1 with
 * out made (the file, or 404), 0 when the path is not the console's. */
int pvs_console_serve(const struct pvs_request *q, struct pvs_reply *out);

#endif
