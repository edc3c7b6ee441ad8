/* SPDX-License-Identifier: Apache-2.0 */
/* routes_handover.c: the sealed handover package, as `pivault handover` does it. The
 * sender writes a plan's package (POST, four eyes) into the server's handover directory
 * and downloads it streamed from there (GET: never the whole package in memory); the
 * recipient's server takes a package uploaded to it (spooled to that directory, then
 * verified and imported all or nothing with the server's age identity) and answers the
 * signed receipt; the sender checks a receipt and confirms it, which shreds its copy and
 * answers the destruction certificates. The library writes and reads packages by path
 * only, hence the directory; the package in it is sealed to the recipient's key. */
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
	if (bad || !plan_id_ok(c->param)) {
		pvs_error(c->out, bad ? 400 : 404, bad ? "bad_request" : "not_found",
			  bad ? "\"role\" is a string" : "no such transfer plan");
	} else if (!path) {
		pvs_error(c->out, 500, "out_of_memory", "out of memory");
	} else if (pvs_approval_begin(c, body, "POST /v1/transfers/{id}/package") == PV_OK) {
		pv_handover_summary s;
		pv_rc rc = pv_handover_export(c->v, &who, c->param, path, &s);
		if (!pvs_approval_end(c, rc))
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

static long file_read(void *stream, uint64_t pos, char *buf, size_t max)
{
	ssize_t n = pread((int)(intptr_t)stream, buf, max, (off_t)pos);
	return n < 0 ? -1 : (long)n;
}

static void file_close(void *stream)
{
	close((int)(intptr_t)stream);
}

/* The package streamed from its file, 64 KiB at a time. */
static void download_package(struct pvs_call *c)
{
	pv_access who = pvs_role_of(c);
	if (!plan_id_ok(c->param)) {
		pvs_error(c->out, 404, "not_found", "no such transfer plan");
		return;
	}
	char *path = recorded_package(c, &who);
	if (!path)
		return;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		pvs_error(c->out, 410, "package_gone", "the package file is no longer on the server: "
			  "export it again");
	} else {
		c->out->status = 200;
		c->out->type = "application/octet-stream";
		c->out->read = file_read;
		c->out->close = file_close;
		c->out->stream = (void *)(intptr_t)fd;
		c->out->size = (uint64_t)st.st_size;
	}
	free(path);
}

/* ---- Import on the recipient's server ---- */

/* 1 when the query argument name is "true". */
static int flag(const struct pvs_call *c, const char *name)
{
	const char *v = pvs_arg(c, name);
	return v && strcmp(v, "true") == 0;
}

/* The body is the package (spooled); ?role=, ?sender_key= (the sender's minisign public
 * key, its base64 line), ?drop_unmapped=true, ?archive=true: 201 {"package": summary,
 * "receipt": the signed receipt}. */
static void import_package(struct pvs_call *c)
{
	if (!c->ctx->handover_identity) {
		pvs_error(c->out, 503, "not_configured", "this server has no age identity for "
			  "handover packages (pivault serve --handover-identity FILE)");
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
	if (bad) {
		pvs_error(c->out, 400, "bad_request", "\"role\" is a string");
	} else if (text && pvs_approval_begin(c, body, "POST /v1/handover/confirmations") == PV_OK) {
		uint64_t n = 0;
		pv_rc rc = pv_handover_confirm(c->v, &who, text, keep_certificate, certs, &n);
		if (rc == PV_ERR_CORRUPT || rc == PV_ERR_INPUT) {
			receipt_failed(c, rc);
			pvs_approval_drop(c);
		} else if (!pvs_approval_end(c, rc)) {
			pvs_json(c->out, 200, json_pack("{s:I,s:O}", "shredded", (json_int_t)n,
							"certificates", certs));
		}
	}
	json_decref(certs);
	free(text);
	json_decref(body);
}

static const struct pvs_route routes[] = {
	{ "POST", "/v1/transfers/{id}/package", PVS_SESSION, export_package, 0 },
	{ "GET", "/v1/transfers/{id}/package", PVS_SESSION, download_package, 0 },
	{ "POST", "/v1/handover/imports", PVS_SESSION_FILE, import_package, 0 },
	{ "POST", "/v1/handover/receipt-checks", PVS_SESSION, check_receipt, 0 },
	{ "POST", "/v1/handover/confirmations", PVS_SESSION, confirm_receipt, 0 },
};
PVS_ROUTE_TABLE(pvs_routes_handover, routes);
