/* SPDX-License-Identifier: Apache-2.0 */
/* routes_handover.c: the sealed handover package, as `pivault handover` does it. The
 * sender writes a plan's package (POST, four eyes) into the server's handover directory
 * and downloads it streamed from there (GET: never the whole package in memory); the
 * recipient's server takes a package uploaded to it (spooled to that directory, then
 * verified and imported all or nothing with the server's age identity) and answers the
 * signed receipt; the sender checks a receipt and confirms it, which shreds its copy and
 * answers the destruction certificates. Deregistration: its plan, its run (four eyes) and
 * the keeper's archive, downloaded the same way. The library writes and reads packages
 * by path only, hence the directory; a package in it is sealed to its recipient's key. */
#include "route.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* 1 when id is a transfer plan's id as the library makes them ("T-" and hex digits), the
 * only ids that name a file here. */
static int plan_id_ok(const char *id)
{
	size_t n = strlen(id);
	return n > 2 && n < 40 && strncmp(id, "T-", 2) == 0 &&
	       strspn(id + 2, "0123456789abcdef") == n - 2;
}

/* A new package's path: "<dir>/<plan>.<seconds>-<nanoseconds>.age" (malloc'd). */
static char *new_package_path(const char *dir, const char *plan)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	size_t n = strlen(dir) + strlen(plan) + 48;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s.%lld-%09ld.age", dir, plan, (long long)t.tv_sec, t.tv_nsec);
	return p;
}

/* 1 when path is a package of plan in dir, as new_package_path names them: a path the
 * transfer's row names is trusted no further (a row changed with SQL could name any
 * file the server may read). */
static int package_path_ok(const char *dir, const char *plan, const char *path)
{
	size_t d = strlen(dir), p = strlen(plan), n = strlen(path);
	return n > d + p + 6 && strncmp(path, dir, d) == 0 && path[d] == '/' &&
	       strncmp(path + d + 1, plan, p) == 0 && path[d + 1 + p] == '.' &&
	       strspn(path + d + p + 2, "0123456789-") == n - d - p - 6 &&
	       strcmp(path + n - 4, ".age") == 0;
}

static json_t *summary_json(const pv_handover_summary *s)
{
	return json_pack("{s:s,s:s,s:I,s:I,s:I,s:f}", "package", s->package_id, "root_hash",
			 s->root_hash, "records", (json_int_t)s->records, "excluded",
			 (json_int_t)s->excluded, "bytes", (json_int_t)s->bytes, "seconds",
			 s->seconds);
}

/* ---- Export: written here, downloaded streamed ---- */

/* The body {"role"?, "request"?, "reason"?}: 201 {"package": summary}, or 202 with the
 * request to approve. */
static void export_package(struct pvs_call *c)
{
	json_t *body = pvs_body_object(c);
	if (!body)
		return;
	int bad = 0;
	pv_access who = { pvs_member(body, "role", &bad), NULL, PV_WANT_MASKED };
	char *path = plan_id_ok(c->param) ? new_package_path(c->ctx->handover_dir, c->param)
					  : NULL;
	enum pvs_guard mode;
	if (bad || !plan_id_ok(c->param)) {
		pvs_error(c->out, bad ? 400 : 404, bad ? "bad_request" : "not_found",
			  bad ? "\"role\" is a string" : "no such transfer plan");
	} else if (!path) {
		pvs_error(c->out, 500, "out_of_memory", "out of memory");
	} else if (pvs_guard_begin(c, body, &mode) == 0) {
		pv_handover_summary s;
		pv_rc rc = pv_handover_export(c->v, &who, c->param, path, &s);
		if (!pvs_guard_end(c, mode, rc) && rc)
			pvs_fail(c->out, c->v, rc);
		else if (!rc)
			pvs_json(c->out, 201, json_pack("{s:o}", "package", summary_json(&s)));
	}
	free(path);
	json_decref(body);
}

/* The file of the package the plan records, checked to be one this directory holds. */
static char *recorded_package(struct pvs_call *c, const pv_access *who)
{
	char *text = NULL, *path = NULL;
	pv_rc rc = pv_transfer_list(c->v, who, c->param, &text);
	if (rc) {
		pvs_fail(c->out, c->v, rc);
		return NULL;
	}
	json_error_t je;
	json_t *doc = json_loads(text, 0, &je);
	const char *file = json_string_value(json_object_get(json_object_get(doc, "package"),
							     "file"));
	if (!file || !package_path_ok(c->ctx->handover_dir, c->param, file))
		pvs_error(c->out, 404, "not_found", "this transfer has no package the server wrote "
			  "(POST /v1/transfers/{id}/package writes it)");
	else if (!(path = strdup(file)))
		pvs_error(c->out, 500, "out_of_memory", "out of memory");
	json_decref(doc);
	pv_free(text);
	return path;
}

/* A file sent as a streamed reply: copied to the reply as the client takes it. */
static pv_rc copy_file(void *cls, FILE *out)
{
	char buf[16384];
	for (;;) {
		ssize_t n = read((int)(intptr_t)cls, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? PV_ERR_IO : PV_OK;
		if (fwrite(buf, 1, (size_t)n, out) != (size_t)n)
			return PV_ERR_IO; /* the client is gone */
	}
}

static void file_sent(void *cls)
{
	close((int)(intptr_t)cls);
}

/* The file at path (a link is not followed) as the streamed reply, with its length. */
static void serve_file(struct pvs_call *c, const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	pv_rc rc;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		pvs_error(c->out, 410, "file_gone", "the file is no longer on the server");
	} else if (!pvs_stream_start(c->out, "application/octet-stream", (uint64_t)st.st_size,
				     copy_file, file_sent, (void *)(intptr_t)fd, &rc)) {
		close(fd);
		pvs_error(c->out, 500, "io_error", "the file could not be read");
	}
}

/* The package streamed from its file. */
static void download_package(struct pvs_call *c)
{
	pv_access who = pvs_role_of(c);
	if (!plan_id_ok(c->param)) {
		pvs_error(c->out, 404, "not_found", "no such transfer plan");
		return;
	}
	char *path = recorded_package(c, &who);
	if (path)
		serve_file(c, path);
	free(path);
}

/* ---- Import on the recipient's server ---- */

/* 1 when the query argument name is "true". */
static int flag(const struct pvs_call *c, const char *name)
{
	const char *v = pvs_arg(c, name);
	return v && strcmp(v, "true") == 0;
}

/* The body is the package (kept in a file by the upload below); ?role=, ?sender_key= (the sender's minisign public
 * key, its base64 line), ?drop_unmapped=true, ?archive=true: 201 {"package": summary,
 * "receipt": the signed receipt}. */
static void import_package(struct pvs_call *c)
{
	if (!c->ctx->handover_identity) {
		pvs_error(c->out, 503, "not_configured", "this server has no age identity for "
			  "handover packages (pivault serve --handover-identity FILE)");
		return;
	}
	if (!c->q->body_file) { /* cannot be: http.c takes the route as an upload */
		pvs_error(c->out, 500, "internal_error", "the package is taken as an upload");
		return;
	}
	pv_access who = pvs_role_of(c);
	pv_handover_import_opts o = { .identity_file = c->ctx->handover_identity,
				      .sender_key = pvs_arg(c, "sender_key") };
	if (flag(c, "drop_unmapped"))
		o.flags |= PV_HANDOVER_DROP_UNMAPPED;
	if (flag(c, "archive"))
		o.flags |= PV_HANDOVER_ARCHIVE;
	char *receipt = NULL;
	pv_handover_summary s;
	pv_rc rc = pv_handover_import(c->v, &who, c->q->body_file, &o, &receipt, &s);
	json_error_t je;
	json_t *doc = rc ? NULL : json_loads(receipt, 0, &je);
	if (rc == PV_ERR_CORRUPT || rc == PV_ERR_INPUT) /* changed, truncated, not a package */
		pvs_error(c->out, 422, "package_refused", pv_errmsg(c->v));
	else if (rc)
		pvs_fail(c->out, c->v, rc);
	else if (!doc)
		pvs_error(c->out, 500, "internal_error", "the receipt is not JSON");
	else
		pvs_json(c->out, 201, json_pack("{s:o,s:o}", "package", summary_json(&s), "receipt",
						doc));
	pv_free(receipt);
}

/* The package's upload (http.c feeds it): kept as it arrives in a file of the handover
 * directory (0600; a package is sealed to this vault's key), which the route above
 * imports once the body is whole; the file is removed at the end either way, so a client
 * that stops half-way, or a body over the package cap, leaves nothing. */
struct package_file {
	struct pvs_routes_ctx *ctx;
	char *path;
	int fd, failed;
};

static void *package_begin(struct pvs_routes_ctx *ctx, const struct pvs_request *q,
			   struct pvs_reply *out)
{
	(void)q;
	struct package_file *p = calloc(1, sizeof *p);
	size_t n = strlen(ctx->handover_dir) + 32;
	if (p && (p->path = malloc(n))) {
		snprintf(p->path, n, "%s/upload-XXXXXX", ctx->handover_dir);
		p->ctx = ctx;
		if ((p->fd = mkstemp(p->path)) >= 0)
			return p;
		free(p->path);
	}
	free(p);
	pvs_error(out, 503, "io_error", "the server cannot keep an uploaded package now");
	return NULL;
}

static int package_feed(void *upload, const char *data, size_t n)
{
	struct package_file *p = upload;
	while (n) {
		ssize_t w = write(p->fd, data, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			p->failed = 1;
			return -1;
		}
		data += w;
		n -= (size_t)w;
	}
	return 0;
}

static void package_end(void *upload, const struct pvs_request *q, struct pvs_reply *out)
{
	struct package_file *p = upload;
	close(p->fd);
	if (out && p->failed) {
		pvs_error(out, 500, "io_error", "the uploaded body could not be kept");
	} else if (out) {
		struct pvs_request req = *q;
		req.body_file = p->path;
		pvs_route(p->ctx, &req, out); /* import_package, in the caller's session */
	}
	unlink(p->path);
	free(p->path);
	free(p);
}

const struct pvs_upload_route pvs_package_upload = { "POST", "/v1/handover/imports",
						      PVS_CAP_PACKAGE, package_begin,
						      package_feed, package_end };

/* ---- The receipt, on the sender's server ---- */

/* The body's "receipt" (the receipt as an object, or its text) as text (malloc'd); NULL
 * after a 400 reply. */
static char *receipt_text(struct pvs_call *c, json_t *body)
{
	json_t *r = json_object_get(body, "receipt");
	char *text = json_is_string(r) ? strdup(json_string_value(r))
		     : json_is_object(r) ? json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (!text)
		pvs_error(c->out, 400, "bad_request", "the body needs \"receipt\": the receipt the "
			  "recipient's import answered (an object, or its text)");
	return text;
}

/* A receipt refused (changed, signed by another key, for another package, not a
 * receipt) is 422 receipt_refused; other failures as the library says. */
static void receipt_failed(struct pvs_call *c, pv_rc rc)
{
	if (rc == PV_ERR_CORRUPT || rc == PV_ERR_INPUT)
		pvs_error(c->out, 422, "receipt_refused", pv_errmsg(c->v));
	else
		pvs_fail(c->out, c->v, rc);
}

/* The body {"receipt", "role"?, "recipient_vault_key"?}: confirm's checks without
 * confirming (against the transfer it names), or with recipient_vault_key the signature
 * by that key alone. 200 {"summary"}. */
static void check_receipt(struct pvs_call *c)
{
	json_t *body = pvs_body_object(c);
	if (!body)
		return;
	int bad = 0;
	pv_access who = { pvs_member(body, "role", &bad), NULL, PV_WANT_MASKED };
	const char *key = pvs_member(body, "recipient_vault_key", &bad);
	char *text = bad ? NULL : receipt_text(c, body), *summary = NULL;
	if (bad) {
		pvs_error(c->out, 400, "bad_request", "\"role\" and \"recipient_vault_key\" are "
			  "strings");
	} else if (text) {
		pv_rc rc = key ? pv_receipt_verify(text, key, &summary)
			       : pv_handover_check_receipt(c->v, &who, text, &summary);
		if (rc && key)
			pvs_error(c->out, rc == PV_ERR_USAGE ? 400 : 422, rc == PV_ERR_USAGE
				  ? "bad_request" : "receipt_refused", pv_errmsg(NULL));
		else if (rc)
			receipt_failed(c, rc);
		else
			pvs_json(c->out, 200, json_pack("{s:s}", "summary", summary ? summary : ""));
	}
	pv_free(summary);
	free(text);
	json_decref(body);
}

static int keep_certificate(void *ctx, const char *cert)
{
	json_error_t je;
	json_t *doc = json_loads(cert, 0, &je);
	return json_array_append_new(ctx, doc ? doc : json_string(cert)) != 0;
}

/* The body {"receipt", "role"?, "request"?, "reason"?}: the receipt checked, then every
 * handed-over customer shredded: 200 {"shredded", "certificates": [...]}, or 202. */
static void confirm_receipt(struct pvs_call *c)
{
	json_t *body = pvs_body_object(c);
	if (!body)
		return;
	int bad = 0;
	pv_access who = { pvs_member(body, "role", &bad), NULL, PV_WANT_MASKED };
	char *text = bad ? NULL : receipt_text(c, body);
	json_t *certs = json_array();
	enum pvs_guard mode;
	if (bad) {
		pvs_error(c->out, 400, "bad_request", "\"role\" is a string");
	} else if (text && pvs_guard_begin(c, body, &mode) == 0) {
		uint64_t n = 0;
		pv_rc rc = pv_handover_confirm(c->v, &who, text, keep_certificate, certs, &n);
		if (!pvs_guard_end(c, mode, rc) && rc)
			receipt_failed(c, rc);
		else if (!rc)
			pvs_json(c->out, 200, json_pack("{s:I,s:O}", "shredded", (json_int_t)n,
							"certificates", certs));
	}
	json_decref(certs);
	free(text);
	json_decref(body);
}

/* ---- Deregistration (注销): the wind-down, its archive for the keeper ---- */

static void decommission_plan(struct pvs_call *c)
{
	pv_access who = pvs_role_of(c);
	char *text = NULL;
	pv_rc rc = pv_decommission_plan(c->v, &who, &text);
	json_error_t je;
	json_t *doc = rc ? NULL : json_loads(text, 0, &je);
	if (rc)
		pvs_fail(c->out, c->v, rc);
	else if (!doc)
		pvs_error(c->out, 500, "internal_error", "the library's answer is not JSON");
	else
		pvs_json(c->out, 200, doc);
	pv_free(text);
}

/* The keeper's archive, one per vault (a wound-down vault runs no second wind-down): a
 * fixed name, as the approval binds the path (malloc'd). */
static char *archive_path(const struct pvs_call *c)
{
	size_t n = strlen(c->ctx->handover_dir) + 24;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/decommission.age", c->ctx->handover_dir);
	return p;
}

/* The run's reply: the signed report and the certificates. */
static void decommissioned(struct pvs_call *c, const char *report, json_t *certs)
{
	json_error_t je;
	json_t *doc = json_loads(report, 0, &je);
	pvs_json(c->out, 200, json_pack("{s:o,s:O}", "report", doc ? doc : json_string(report),
					"certificates", certs));
}

/* The body {"keeper_name", "keeper_contact", "keeper_key", "role"?, "request"?,
 * "reason"?}: the archive written into the handover directory (GET
 * /v1/decommission/archive), every customer shredded; or 202. */
static void decommission_run(struct pvs_call *c)
{
	json_t *body = pvs_body_object(c);
	if (!body)
		return;
	int bad = 0;
	pv_decommission_spec spec = { pvs_member(body, "keeper_name", &bad),
				      pvs_member(body, "keeper_contact", &bad),
				      pvs_member(body, "keeper_key", &bad), NULL };
	pv_access who = { pvs_member(body, "role", &bad), NULL, PV_WANT_MASKED };
	char *path = archive_path(c), *report = NULL;
	json_t *certs = json_array();
	enum pvs_guard mode;
	spec.archive_path = path;
	if (bad || !spec.keeper_name || !spec.keeper_contact || !spec.keeper_key) {
		pvs_error(c->out, 400, "bad_request", "the body needs \"keeper_name\", "
			  "\"keeper_contact\" and \"keeper_key\" (strings)");
	} else if (strncmp(spec.keeper_key, "age1", 4) != 0) {
		/* the library also takes a file's path there: never one a client names */
		pvs_error(c->out, 400, "bad_request", "\"keeper_key\" is the keeper's age public "
			  "key itself (age1...): the server opens no file a client names");
	} else if (!path) {
		pvs_error(c->out, 500, "out_of_memory", "out of memory");
	} else if (pvs_guard_begin(c, body, &mode) == 0) {
		pv_rc rc = pv_decommission_run(c->v, &who, &spec, keep_certificate, certs, &report);
		if (!pvs_guard_end(c, mode, rc) && rc)
			pvs_fail(c->out, c->v, rc);
		else if (!rc)
			decommissioned(c, report, certs);
	}
	pv_free(report);
	json_decref(certs);
	free(path);
	json_decref(body);
}

/* An archive streamed from the handover directory; needs what the plan needs. */
static void download_archive(struct pvs_call *c)
{
	pv_access who = pvs_role_of(c);
	char *plan = NULL;
	pv_rc rc = pv_decommission_plan(c->v, &who, &plan);
	pv_free(plan);
	if (rc) {
		pvs_fail(c->out, c->v, rc);
		return;
	}
	char *path = archive_path(c);
	if (!path) {
		pvs_error(c->out, 500, "out_of_memory", "out of memory");
		return;
	}
	serve_file(c, path);
	free(path);
}

static const struct pvs_route routes[] = {
	{ "POST", "/v1/transfers/{id}/package", PVS_SESSION, export_package, 0 },
	{ "GET", "/v1/transfers/{id}/package", PVS_SESSION, download_package, 0 },
	{ "POST", "/v1/handover/imports", PVS_SESSION, import_package, 0 },
	{ "POST", "/v1/handover/receipt-checks", PVS_SESSION, check_receipt, 0 },
	{ "POST", "/v1/handover/confirmations", PVS_SESSION, confirm_receipt, 0 },
	{ "GET", "/v1/decommission", PVS_SESSION, decommission_plan, 0 },
	{ "POST", "/v1/decommission", PVS_SESSION, decommission_run, 0 },
	{ "GET", "/v1/decommission/archive", PVS_SESSION, download_archive, 0 },
};
PVS_ROUTE_TABLE(pvs_routes_handover, routes);
