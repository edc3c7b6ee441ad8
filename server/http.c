/* SPDX-License-Identifier: Apache-2.0 */
/* http.c: the server on libmicrohttpd: TLS from PEM files (plain HTTP only on a loopback
 * address, and only when asked), a thread pool, a cap on connections, an idle timeout, a
 * cap on the body (413), and a graceful stop (no new connection; requests in flight
 * finish). A request's body is collected over the handler's calls and the reply queued on
 * the call after the first (libmicrohttpd's keep-alive rule); bodies are wiped after use
 * (they carry passwords). A large body (an import, a package) is a streamed upload, a
 * large reply (an export, a package, an archive) a streamed reply: both are here once. */
#define _GNU_SOURCE /* fopencookie: a FILE over a streamed reply's buffer */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PEM_MAX (64 * 1024)

struct pvs_server {
	struct MHD_Daemon *daemon;
	struct pvs_routes_ctx routes;
	size_t max_body, max_import;
	unsigned grace_seconds, port;
	atomic_int in_flight;
	char *cert, *key; /* PEM, kept until the daemon stops; the key wiped then */
	size_t key_len;
	size_t max_package;			/* bytes of a package's upload */
	char *handover_dir, *handover_identity; /* the routes' copies (routes_handover.c) */
};

/* One request's state between the handler's calls. */
struct request {
	char *body;
	size_t len;
	int too_large;
	int answered;   /* a reply was queued on the first call */
	int routed;     /* its route ran: never again, whatever libmicrohttpd calls */
	size_t dropped; /* bytes dropped past the cap */
	/* a streamed upload (pvs_upload_route): its route, its state until ended, bytes */
	const struct pvs_upload_route *up;
	void *upload;
	size_t uploaded;
	int refused; /* the route takes no more of the body */
	/* a reply parked, its connection suspended, until its audit entries are durable */
	struct pvs_reply parked;
	int parking;
	struct MHD_Connection *conn;
	atomic_int woken; /* 0: not yet; 1: durable, sent as it is; 2: failed, withheld */
};

/* Past the cap, a body of unannounced length (chunked) is read on and dropped, to answer
 * 413 at its end (libmicrohttpd queues no reply in the middle of a body), for at most
 * this much; beyond, the connection is closed without a reply. */
#define DROP_MAX (1u << 20)

static const char *arg_of(void *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
}

struct each_ctx {
	void (*fn)(void *ctx, const char *k, const char *v);
	void *ctx;
};

static enum MHD_Result each_one(void *cls, enum MHD_ValueKind kind, const char *k, const char *v)
{
	(void)kind;
	struct each_ctx *e = cls;
	e->fn(e->ctx, k, v);
	return MHD_YES;
}

static void each_arg(void *conn, void (*fn)(void *ctx, const char *k, const char *v), void *ctx)
{
	struct each_ctx e = { fn, ctx };
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, each_one, &e);
}

/* The token of "Authorization: Bearer TOKEN", or NULL. */
static const char *bearer_of(struct MHD_Connection *conn)
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	return h + 7;
}

static struct MHD_Response *stream_response(struct pvs_reply *r);

static struct MHD_Response *buffer_response(struct pvs_reply *r)
{
	size_t len = r->body ? strlen(r->body) : 0;
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		len, r->body ? r->body : (char *)"", r->body ? MHD_RESPMEM_MUST_FREE
							    : MHD_RESPMEM_PERSISTENT);
	if (!resp)
		free(r->body);
	return resp;
}

/* What no reply may be: cached, sniffed as another type, framed, or let load anything
 * from elsewhere (an API reply loads nothing; a console page only from this origin). */
static void security_headers(struct MHD_Response *resp, const struct pvs_reply *r)
{
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Content-Security-Policy",
				r->csp ? r->csp : "default-src 'none'; frame-ancestors 'none'");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
}

static enum MHD_Result queue(struct MHD_Connection *conn, struct pvs_reply *r)
{
	struct MHD_Response *resp = r->stream ? stream_response(r) : buffer_response(r);
	if (!resp)
		return MHD_NO;
	if (r->body || r->stream)
		MHD_add_response_header(resp, "Content-Type", r->type ? r->type : "application/json");
	if (r->status == 401)
		MHD_add_response_header(resp, "WWW-Authenticate", "Bearer");
	if (r->retry_after) {
		char secs[16];
		snprintf(secs, sizeof secs, "%u", r->retry_after);
		MHD_add_response_header(resp, "Retry-After", secs);
	}
	security_headers(resp, r);
	enum MHD_Result ok = MHD_queue_response(conn, r->status, resp);
	MHD_destroy_response(resp);
	return ok;
}

/* Take a piece of the body; past the cap, what came is wiped and the rest dropped. */
static void take_body(struct request *q, const char *data, size_t n, size_t max)
{
	if (!q->too_large && q->len + n > max) {
		q->too_large = 1;
		if (q->body)
			sodium_memzero(q->body, q->len);
		free(q->body);
		q->body = NULL;
		q->len = 0;
	}
	if (q->too_large) {
		q->dropped += n;
		return;
	}
	char *more = realloc(q->body, q->len + n + 1);
	if (!more) {
		q->too_large = 1; /* answered as too large: nothing is run on half a body */
		return;
	}
	memcpy(more + q->len, data, n);
	q->body = more;
	q->len += n;
	q->body[q->len] = '\0';
}

static const char *class_v4(const unsigned char *a)
{
	if (a[0] == 127)
		return "loopback";
	if (a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) || (a[0] == 192 && a[1] == 168))
		return "private";
	return "public";
}

/* The client's address into q's rate-limit key (IPv4 whole, IPv6 by its /64, as one
 * holder gets) and class. */
static void client_of(struct MHD_Connection *conn, struct pvs_request *q)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = info ? info->client_addr : NULL;
	q->client_class = "other";
	q->client_len = 0;
	if (sa && sa->sa_family == AF_INET) {
		memcpy(q->client, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		q->client_len = 4;
		q->client_class = class_v4(q->client);
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		int mapped = IN6_IS_ADDR_V4MAPPED(a6);
		q->client_len = mapped ? 4 : 8;
		memcpy(q->client, a6->s6_addr + (mapped ? 12 : 0), q->client_len);
		q->client_class = mapped ? class_v4(q->client)
				  : IN6_IS_ADDR_LOOPBACK(a6) ? "loopback"
				  : (a6->s6_addr[0] & 0xfe) == 0xfc ? "private" : "public";
	}
}

/* The request as the routes see it. */
static struct pvs_request request_of(struct MHD_Connection *conn, const char *url,
				     const char *method, const struct request *q)
{
	struct pvs_request req = { method, url, q->body ? q->body : "", q->len, bearer_of(conn),
				   { 0 }, 0, NULL, arg_of, each_arg, conn, NULL };
	client_of(conn, &req);
	return req;
}

/* The writer's word on a parked reply's entries (in its thread, or at once). */
static void unpark(void *ctx, int ok)
{
	struct request *q = ctx;
	atomic_store(&q->woken, ok ? 1 : 2);
	MHD_resume_connection(q->conn);
}

/* Park reply r: the connection is suspended (the thread goes on with others) until the
 * audit writer says r's entries are durable; then libmicrohttpd calls the handler again
 * and the reply is sent (parked_reply). So many requests in flight share one sync while
 * few threads serve them. */
static enum MHD_Result park(struct pvs_server *s, struct MHD_Connection *conn,
			    struct request *q, struct pvs_reply *r)
{
	q->parked = *r;
	q->parking = 1;
	q->conn = conn;
	MHD_suspend_connection(conn);
	if (pv_audit_writer_when_durable(pvs_handles_audit(s->routes.handles), r->withheld,
					 unpark, q) != PV_OK)
		unpark(q, 0); /* nobody will say: withheld */
	return MHD_YES;
}

/* The parked reply once resumed: as it is when its entries are durable, else nothing of
 * it (the read failed, as it would have without parking). */
static enum MHD_Result parked_reply(struct MHD_Connection *conn, struct request *q)
{
	int woken = atomic_load(&q->woken);
	if (!woken)
		return MHD_YES; /* not yet resumed */
	struct pvs_reply r = q->parked;
	q->parking = 0;
	q->parked.body = NULL;
	if (woken != 1) {
		if (r.body)
			sodium_memzero(r.body, strlen(r.body));
		free(r.body);
		r = (struct pvs_reply){ 0 };
		pvs_error(&r, 503, "store_unavailable", "the audit log cannot be written; the "
			  "operation was not carried out");
	}
	return queue(conn, &r);
}

static enum MHD_Result answer(struct pvs_server *s, struct MHD_Connection *conn,
			      const char *url, const char *method, struct request *q)
{
	struct pvs_reply r = { 0 };
	struct pvs_request req = request_of(conn, url, method, q);
	q->routed = 1;
	pvs_route(&s->routes, &req, &r);
	if (r.withheld.last)
		return park(s, conn, q, &r);
	return queue(conn, &r);
}

/* 1 when the request announces a body over the cap (Content-Length). */
static int announces_too_much(struct MHD_Connection *conn, size_t max)
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
	if (!h)
		return 0;
	char *end;
	unsigned long long n = strtoull(h, &end, 10);
	return end != h && n > max;
}

static enum MHD_Result too_large(struct MHD_Connection *conn)
{
	struct pvs_reply r = { 0 };
	pvs_error(&r, 413, "body_too_large", "the request body is larger than the server accepts");
	return queue(conn, &r);
}

/* The first call of a request (headers only): a reply only when the body announced is
 * over the cap (413 at once: it is never read, and the connection is closed after). */
static enum MHD_Result first_call(struct pvs_server *s, struct MHD_Connection *conn,
				  struct request *q)
{
	if (announces_too_much(conn, s->max_body)) {
		q->too_large = q->answered = 1;
		return too_large(conn);
	}
	return MHD_YES;
}

static const struct pvs_upload_route *upload_route_of(const char *method, const char *url);
static enum MHD_Result upload_begin(struct pvs_server *s, struct MHD_Connection *conn,
				    const char *url, const char *method, struct request *q);
static enum MHD_Result upload_step(struct pvs_server *s, struct MHD_Connection *conn,
				   const char *url, const char *method, struct request *q,
				   const char *data, size_t *size);

/* The handler: the first call (headers only) queues nothing, unless the body announced is
 * over the cap (413 at once: it is never read, and the connection is closed after); the
 * calls with data collect the body, or drop it past the cap; the last one answers (413
 * for a body past the cap). */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **state)
{
	(void)version;
	struct pvs_server *s = cls;
	struct request *q = *state;
	if (!q) {
		if (!(q = calloc(1, sizeof *q)))
			return MHD_NO;
		*state = q;
		atomic_fetch_add(&s->in_flight, 1);
		if ((q->up = upload_route_of(method, url)))
			return upload_begin(s, conn, url, method, q);
		return first_call(s, conn, q);
	}
	if (q->parking)
		return parked_reply(conn, q);
	if (q->up)
		return upload_step(s, conn, url, method, q, upload_data, upload_size);
	if (*upload_size) {
		take_body(q, upload_data, *upload_size, s->max_body);
		*upload_size = 0;
		return q->dropped > DROP_MAX ? MHD_NO : MHD_YES;
	}
	if (q->answered)
		return MHD_YES;
	if (q->routed) /* called again after its reply (a parked one that could not be
			* queued while the server stops): the read is not made twice */
		return MHD_NO;
	return q->too_large ? too_large(conn) : answer(s, conn, url, method, q);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **state,
			 enum MHD_RequestTerminationCode why)
{
	(void)conn;
	(void)why;
	struct pvs_server *s = cls;
	struct request *q = *state;
	if (!q)
		return;
	if (q->upload) /* the body never came whole: the upload ends without a reply */
		q->up->end(q->upload, NULL, NULL);
	if (q->body)
		sodium_memzero(q->body, q->len);
	free(q->body);
	if (q->parked.body) /* the connection ended before its parked reply went */
		sodium_memzero(q->parked.body, strlen(q->parked.body));
	free(q->parked.body);
	free(q);
	*state = NULL;
	atomic_fetch_sub(&s->in_flight, 1);
}

/* ---- Start and stop ---- */

/* host:port into addr; 1 when the address is loopback. -1 when host is no address. */
static int address_of(const char *host, unsigned port, struct sockaddr_storage *addr,
		      socklen_t *len)
{
	memset(addr, 0, sizeof *addr);
	struct sockaddr_in *a4 = (struct sockaddr_in *)addr;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)addr;
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*len = sizeof *a4;
		return (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
	}
	if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof *a6;
		return IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr);
	}
	return -1;
}

/* A PEM file of at most PEM_MAX bytes, NUL-terminated; NULL with the reason in err. */
static char *read_pem(const char *path, const char *what, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = f ? malloc(PEM_MAX + 1) : NULL;
	size_t n = buf ? fread(buf, 1, PEM_MAX + 1, f) : 0;
	int bad = !f || !buf || ferror(f) || n == 0 || n > PEM_MAX;
	if (f)
		fclose(f);
	if (bad) {
		snprintf(err, errlen, "%s %s: %s", what, path, !f ? "cannot be read"
			 : !buf ? "out of memory" : "is empty, unreadable or over 64 KiB");
		if (buf)
			sodium_memzero(buf, PEM_MAX + 1);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* The transport: TLS files read, or plain HTTP allowed (loopback only). 0, or -1. */
static int transport(struct pvs_server *s, const struct pvs_config *cfg, int loopback,
		     char *err, size_t errlen)
{
	if (cfg->plain_http) {
		if (cfg->tls_cert || cfg->tls_key) {
			snprintf(err, errlen, "give either TLS files or plain HTTP, not both");
			return -1;
		}
		if (!loopback) {
			snprintf(err, errlen, "plain HTTP is served only on a loopback address "
				 "(127.0.0.1 or ::1); elsewhere give --tls-cert and --tls-key");
			return -1;
		}
		return 0;
	}
	if (!cfg->tls_cert || !cfg->tls_key) {
		snprintf(err, errlen, "TLS needs both a certificate and a key file (--tls-cert, "
			 "--tls-key)");
		return -1;
	}
	if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
		snprintf(err, errlen, "this libmicrohttpd was built without TLS");
		return -1;
	}
	size_t n;
	s->cert = read_pem(cfg->tls_cert, "TLS certificate", &n, err, errlen);
	s->key = s->cert ? read_pem(cfg->tls_key, "TLS key", &s->key_len, err, errlen) : NULL;
	return s->key ? 0 : -1;
}

static void server_free(struct pvs_server *s)
{
	if (!s)
		return;
	pvs_handles_close(s->routes.handles);
	pvs_limits_free(s->routes.limits);
	if (s->key)
		sodium_memzero(s->key, s->key_len);
	free(s->key);
	free(s->cert);
	free(s->handover_dir);
	free(s->handover_identity);
	free(s);
}

static unsigned or_default(unsigned x, unsigned d)
{
	return x ? x : d;
}

/* The daemon's options (terminated by MHD_OPTION_END) into o. */
static void daemon_options(struct pvs_server *s, const struct pvs_config *cfg,
			   const struct sockaddr_storage *addr, struct MHD_OptionItem *o)
{
	int n = 0;
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, (void *)addr };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE,
					   (intptr_t)or_default(cfg->threads, 4), NULL };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT,
					   (intptr_t)or_default(cfg->max_connections, 256), NULL };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT,
					   (intptr_t)or_default(cfg->timeout_seconds, 30), NULL };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, s };
	if (s->key) {
		o[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, s->cert };
		o[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, s->key };
		o[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
			(void *)"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2" };
	}
	o[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
}

static struct MHD_Daemon *daemon_start(struct pvs_server *s, const struct pvs_config *cfg,
				       const struct sockaddr_storage *addr)
{
	struct MHD_OptionItem o[12];
	daemon_options(s, cfg, addr, o);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_EPOLL |
			 MHD_ALLOW_SUSPEND_RESUME;
	if (s->key)
		flags |= MHD_USE_TLS;
	if (addr->ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	return MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_ARRAY, o,
				MHD_OPTION_END);
}

/* The parts of cfg checked before anything is opened: 0, or -1 with err. */
static int config_check(struct pvs_server *s, const struct pvs_config *cfg,
			struct sockaddr_storage *addr, char *err, size_t errlen)
{
	socklen_t alen;
	int loopback = cfg->host ? address_of(cfg->host, cfg->port, addr, &alen) : -1;
	if (loopback < 0) {
		snprintf(err, errlen, "listen address: give an IPv4 or IPv6 address, such as "
			 "127.0.0.1:8443 or [::1]:8443");
		return -1;
	}
	if (cfg->port > 65535) {
		snprintf(err, errlen, "listen address: the port is over 65535");
		return -1;
	}
	return transport(s, cfg, loopback, err, errlen);
}

/* The streams' caps (defaults applied): one user's within the server's. */
static int streams_check(const struct pvs_config *c, char *err, size_t errlen)
{
	if (c->streams_per_user <= c->streams)
		return 0;
	snprintf(err, errlen, "streams per user (%u) over the streams in all (%u)",
		 c->streams_per_user, c->streams);
	return -1;
}

/* The handover directory (made 0700 when absent) and identity, copied for the routes. */
static int handover_dir(struct pvs_server *s, const struct pvs_config *cfg, char *err,
			size_t errlen)
{
	size_t n = strlen(cfg->vault) + 16;
	if (cfg->handover_dir)
		s->handover_dir = strdup(cfg->handover_dir);
	else if ((s->handover_dir = malloc(n)))
		snprintf(s->handover_dir, n, "%s.handover", cfg->vault);
	if (cfg->handover_identity)
		s->handover_identity = strdup(cfg->handover_identity);
	if (!s->handover_dir || (cfg->handover_identity && !s->handover_identity)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	struct stat st;
	if ((mkdir(s->handover_dir, 0700) != 0 && errno != EEXIST) ||
	    lstat(s->handover_dir, &st) != 0 || !S_ISDIR(st.st_mode) || (st.st_mode & 077)) {
		snprintf(err, errlen, "handover directory %s: not a directory that only this user "
			 "may open (mode 0700)", s->handover_dir);
		return -1;
	}
	s->routes.handover_dir = s->handover_dir;
	s->routes.handover_identity = s->handover_identity;
	return 0;
}

/* The C library's heap as a server needs it: memory freed by one request is kept for the
 * next instead of being given back to the kernel and faulted in again (a trim and a
 * page fault per request cost more than the request's own work on a virtual machine). */
static void keep_heap(void)
{
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
}

struct pvs_server *pvs_start(const struct pvs_config *cfg, char *err, size_t errlen)
{
	keep_heap();
	struct pvs_server *s = calloc(1, sizeof *s);
	struct sockaddr_storage addr;
	if (!s || sodium_init() < 0) {
		snprintf(err, errlen, "out of memory");
		free(s);
		return NULL;
	}
	s->max_body = cfg->max_body ? cfg->max_body : 65536;
	s->max_package = cfg->max_package ? cfg->max_package : (size_t)1 << 30;
	s->max_import = cfg->max_import ? cfg->max_import : (size_t)1 << 30;
	s->grace_seconds = or_default(cfg->grace_seconds, 30);
	s->routes.session_seconds = or_default(cfg->session_seconds, 900);
	struct pvs_config c = *cfg;
	c.threads = or_default(cfg->threads, 4);
	c.streams = or_default(cfg->streams, 4);
	c.streams_per_user = or_default(cfg->streams_per_user, c.streams < 2 ? c.streams : 2);
	if (streams_check(&c, err, errlen) != 0 || config_check(s, &c, &addr, err, errlen) != 0 ||
	    handover_dir(s, &c, err, errlen) != 0 ||
	    !(s->routes.handles = pvs_handles_open(&c, err, errlen))) {
		server_free(s);
		return NULL;
	}
	if (!(s->routes.limits = pvs_limits_new(&c))) {
		snprintf(err, errlen, "out of memory");
		server_free(s);
		return NULL;
	}
	if (!(s->daemon = daemon_start(s, &c, &addr))) {
		snprintf(err, errlen, "cannot listen on %s port %u (in use, or not an address of "
			 "this machine; or the TLS files do not make a key pair)", cfg->host, cfg->port);
		server_free(s);
		return NULL;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : cfg->port;
	s->routes.ready = 1;
	return s;
}

unsigned pvs_port(const struct pvs_server *s)
{
	return s->port;
}

void pvs_stop(struct pvs_server *s)
{
	if (!s)
		return;
	s->routes.ready = 0;
	MHD_socket fd = MHD_quiesce_daemon(s->daemon);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	for (unsigned i = 0; i < s->grace_seconds * 100u && atomic_load(&s->in_flight) > 0; i++)
		nanosleep(&tick, NULL);
	/* A reply still parked past the grace (its group not yet synced) is dropped with its
	 * connection below: the writer must not call back into a request freed by then. */
	pv_audit_writer_close_waiters(pvs_handles_audit(s->routes.handles));
	MHD_stop_daemon(s->daemon);
	server_free(s);
}

/* ---- Streamed replies (H-data) ----
 * A producer thread writes through a FILE (fopencookie) into a ring buffer of STREAM_BUF
 * bytes; libmicrohttpd's content reader takes from it. The writer waits while the buffer
 * is full, the reader while it is empty; when the client is gone the writer's writes fail
 * (the producer stops), and the end callback runs once the producer has returned. */

#define STREAM_BUF (64 * 1024)

struct pvs_stream {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char buf[STREAM_BUF];
	char file_buf[8192]; /* the FILE's own buffer, wiped with the rest */
	size_t head, len;             /* the bytes waiting: buf[head..head+len) (wrapping) */
	int wrote, finished, gone;    /* bytes ever written; producer returned; client gone */
	pv_rc rc;                     /* the producer's result, once finished */
	uint64_t size;                /* the body's length, or PVS_SIZE_UNKNOWN */
	pthread_t thread;
	pv_rc (*produce)(void *cls, FILE *out);
	void (*end)(void *cls);
	void *cls;
};

static ssize_t stream_write(void *cookie, const char *data, size_t n)
{
	struct pvs_stream *s = cookie;
	size_t done = 0;
	pthread_mutex_lock(&s->mu);
	while (done < n && !s->gone) {
		if (s->len == STREAM_BUF) {
			pthread_cond_wait(&s->cv, &s->mu);
			continue;
		}
		size_t tail = (s->head + s->len) % STREAM_BUF;
		size_t room = tail >= s->head ? STREAM_BUF - tail : s->head - tail;
		size_t k = n - done < room ? n - done : room;
		memcpy(s->buf + tail, data + done, k);
		s->len += k;
		done += k;
		s->wrote = 1;
		pthread_cond_broadcast(&s->cv);
	}
	pthread_mutex_unlock(&s->mu);
	return done == n ? (ssize_t)n : 0; /* 0: an error to the FILE (the client is gone) */
}

static void *stream_main(void *arg)
{
	struct pvs_stream *s = arg;
	cookie_io_functions_t io = { NULL, stream_write, NULL, NULL };
	FILE *out = fopencookie(s, "w", io);
	if (out)
		setvbuf(out, s->file_buf, _IOFBF, sizeof s->file_buf);
	pv_rc rc = out ? s->produce(s->cls, out) : PV_ERR_NOMEM;
	if (out && fclose(out) != 0 && !rc)
		rc = PV_ERR_IO;
	pthread_mutex_lock(&s->mu);
	s->rc = rc;
	s->finished = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static void stream_free(struct pvs_stream *s)
{
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}

int pvs_stream_start(struct pvs_reply *out, const char *type, uint64_t size,
		     pv_rc (*produce)(void *cls, FILE *out), void (*end)(void *cls), void *cls,
		     pv_rc *rc)
{
	struct pvs_stream *s = calloc(1, sizeof *s);
	if (!s) {
		*rc = PV_ERR_NOMEM;
		return 0;
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->produce = produce;
	s->size = size;
	s->end = end;
	s->cls = cls;
	if (pthread_create(&s->thread, NULL, stream_main, s) != 0) {
		stream_free(s);
		*rc = PV_ERR_NOMEM;
		return 0;
	}
	pthread_mutex_lock(&s->mu);
	while (!s->wrote && !s->finished)
		pthread_cond_wait(&s->cv, &s->mu);
	int failed_unsent = s->finished && s->rc; /* nothing has left yet: a plain error */
	*rc = s->rc;
	pthread_mutex_unlock(&s->mu);
	if (failed_unsent) {
		pthread_join(s->thread, NULL);
		stream_free(s);
		return 0;
	}
	out->stream = s;
	out->status = 200;
	out->type = type;
	return 1;
}

/* libmicrohttpd's content reader: what the producer wrote, waiting for it. */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	struct pvs_stream *s = cls;
	pthread_mutex_lock(&s->mu);
	while (s->len == 0 && !s->finished)
		pthread_cond_wait(&s->cv, &s->mu);
	ssize_t n;
	if (s->len == 0) {
		n = s->rc ? MHD_CONTENT_READER_END_WITH_ERROR : MHD_CONTENT_READER_END_OF_STREAM;
	} else {
		size_t k = s->head + s->len > STREAM_BUF ? STREAM_BUF - s->head : s->len;
		if (k > max)
			k = max;
		memcpy(buf, s->buf + s->head, k);
		s->head = (s->head + k) % STREAM_BUF;
		s->len -= k;
		n = (ssize_t)k;
		pthread_cond_broadcast(&s->cv);
	}
	pthread_mutex_unlock(&s->mu);
	return n;
}

/* The reply is done (sent, or the client gone): stop the producer, wait for it, end. */
static void stream_done(void *cls)
{
	struct pvs_stream *s = cls;
	pthread_mutex_lock(&s->mu);
	s->gone = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	s->end(s->cls);
	sodium_memzero(s->buf, sizeof s->buf);
	sodium_memzero(s->file_buf, sizeof s->file_buf);
	stream_free(s);
}

void pvs_stream_cancel(struct pvs_reply *out)
{
	stream_done(out->stream);
	out->stream = NULL;
}

static struct MHD_Response *stream_response(struct pvs_reply *r)
{
	uint64_t size = r->stream->size == PVS_SIZE_UNKNOWN ? MHD_SIZE_UNKNOWN : r->stream->size;
	struct MHD_Response *resp = MHD_create_response_from_callback(
		size, 32 * 1024, stream_read, r->stream, stream_done);
	if (!resp)
		stream_done(r->stream);
	return resp;
}

/* ---- Streamed uploads (H-data) ----
 * A pvs_upload_route's body goes to the route piece by piece as it arrives, under its
 * cap (the import's or the package's): announced over it, 413 at once; going over it, the route is ended without
 * the body (nothing of it used), the rest dropped, and 413 at the end. A client that stops
 * half-way ends the upload without a reply (on_completed). */

static const struct pvs_upload_route *const upload_routes[] = { &pvs_import_upload,
								 &pvs_package_upload };

static size_t cap_of(const struct pvs_server *s, const struct pvs_upload_route *up)
{
	return up->cap == PVS_CAP_PACKAGE ? s->max_package : s->max_import;
}

static const struct pvs_upload_route *upload_route_of(const char *method, const char *url)
{
	for (size_t i = 0; i < sizeof upload_routes / sizeof *upload_routes; i++)
		if (strcmp(upload_routes[i]->method, method) == 0 &&
		    strcmp(upload_routes[i]->path, url) == 0)
			return upload_routes[i];
	return NULL;
}

static enum MHD_Result upload_begin(struct pvs_server *s, struct MHD_Connection *conn,
				    const char *url, const char *method, struct request *q)
{
	if (announces_too_much(conn, cap_of(s, q->up))) {
		q->too_large = q->answered = 1;
		return too_large(conn);
	}
	struct pvs_reply r = { 0 };
	struct pvs_request req = request_of(conn, url, method, q);
	if (!(q->upload = q->up->begin(&s->routes, &req, &r))) {
		q->answered = 1;
		return queue(conn, &r);
	}
	return MHD_YES;
}

/* A piece of an upload's body: to the route, or dropped once refused or over the cap. */
static enum MHD_Result upload_piece(struct pvs_server *s, struct request *q, const char *data,
				    size_t n)
{
	q->uploaded += n;
	if (q->upload && q->uploaded > cap_of(s, q->up)) {
		q->up->end(q->upload, NULL, NULL);
		q->upload = NULL;
		q->too_large = 1;
	}
	if (q->too_large || q->answered) {
		q->dropped += n;
		return q->dropped > DROP_MAX ? MHD_NO : MHD_YES;
	}
	if (!q->refused && q->up->feed(q->upload, data, n) != 0)
		q->refused = 1;
	return MHD_YES;
}

static enum MHD_Result upload_step(struct pvs_server *s, struct MHD_Connection *conn,
				   const char *url, const char *method, struct request *q,
				   const char *data, size_t *size)
{
	if (*size) {
		size_t n = *size;
		*size = 0;
		return upload_piece(s, q, data, n);
	}
	if (q->answered)
		return MHD_YES;
	q->answered = 1;
	if (q->too_large)
		return too_large(conn);
	struct pvs_reply r = { 0 };
	struct pvs_request req = request_of(conn, url, method, q);
	void *upload = q->upload;
	q->upload = NULL;
	q->up->end(upload, &req, &r);
	return queue(conn, &r);
}
