/* SPDX-License-Identifier: Apache-2.0 */
/* routes_customers.c: customers: one by id, finding through the blind index (the records,
 * or only their ids for a role that may find but not read), the list a page at a time
 * (GET /v1/customers without a field), changing fields (PATCH /v1/customers/{id}), and
 * crypto-shredding one (POST /v1/customers/{id}/shred, under four eyes as `pivault shred`).
 * A read in clear beyond the bulk limit is asked for with ?ask=true and runs with
 * ?request=ID (four eyes, as `pivault request get|find|list ...` locally). */
#include "route.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static void get_customer(struct pvs_call *c)
{
	enum pvs_guard mode;
	int guarded;
	if (pvs_clear_guard_begin(c, NULL, "GET /v1/customers", &mode, &guarded) != 0)
		return;
	pv_access who = pvs_reader_of(c);
	pv_record *r = NULL;
	pv_rc rc = pv_get(c->v, &who, c->param, &r);
	if (rc) {
		pvs_clear_guard_failed(c, mode, guarded, rc);
	} else {
		struct pvs_text t = { 0 };
		pvs_text_record(&t, r);
		pvs_text_reply(c->out, 200, &t);
	}
	pv_record_free(r);
}

/* The query arguments that name a field (not role, purpose, clear, after or limit). */
struct field_arg {
	const char *name, *value;
	int count;
};

static void pick_field(void *ctx, const char *k, const char *v)
{
	struct field_arg *f = ctx;
	static const char *const others[] = { "role",  "purpose", "clear",  "after",
					      "limit", "ask",     "request", "reason",
					      "request_expires_in" };
	for (size_t i = 0; i < sizeof others / sizeof *others; i++)
		if (strcmp(k, others[i]) == 0)
			return;
	f->count++;
	f->name = k;
	f->value = v ? v : "";
}

static int found_record(void *ctx, const pv_record *r)
{
	return json_array_append_new(ctx, pvs_record_json(r)) != 0;
}

/* The records found, as {"customers":[...]} text. */
static const char FOUND_OPEN[] = "{\"customers\":[";

static int found_record_text(void *ctx, const pv_record *r)
{
	struct pvs_text *t = ctx;
	pvs_text_str(t, t->len > sizeof FOUND_OPEN - 1 ? "," : "");
	pvs_text_record(t, r);
	return t->failed;
}

static int found_id(void *ctx, const char *id)
{
	return json_array_append_new(ctx, json_string(id)) != 0;
}

/* Find through the blind index, as `pivault find --FIELD VALUE`: the records, or only
 * their ids for a role that may find but not read. */
static void find_by(struct pvs_call *c, const struct field_arg *f, enum pvs_guard mode,
		    int guarded)
{
	pv_access who = pvs_reader_of(c);
	struct pvs_text t = { 0 };
	pvs_text_str(&t, FOUND_OPEN);
	pv_rc rc = pv_find_records(c->v, &who, f->name, f->value, found_record_text, &t);
	if (rc == PV_ERR_FIND_ONLY) {
		json_t *list = json_array();
		rc = pv_find(c->v, &who, f->name, f->value, found_id, list);
		if (!rc)
			pvs_json(c->out, 200, json_pack("{s:o}", "ids", list));
		else
			json_decref(list);
	} else if (!rc) {
		pvs_text_str(&t, "]}");
		pvs_text_reply(c->out, 200, &t);
	}
	if (rc)
		pvs_clear_guard_failed(c, mode, guarded, rc);
	if (t.s)
		sodium_memzero(t.s, t.len);
	free(t.s);
}

/* Customers a page may hold: a cap on the reply's size (the CLI's pages are its own). */
#define LIST_MAX 1000

/* ?limit=N into *limit (default 50); 0, or -1 after a 400 reply. */
static int page_limit(struct pvs_call *c, size_t *limit)
{
	const char *lim = pvs_arg(c, "limit");
	*limit = 50;
	if (!lim)
		return 0;
	char *end;
	unsigned long n = strtoul(lim, &end, 10);
	if (!*lim || *end || *lim == '-' || n == 0 || n > LIST_MAX) {
		pvs_error(c->out, 400, "bad_request", "limit: a number from 1 to 1000");
		return -1;
	}
	*limit = n;
	return 0;
}

/* The list, as `pivault list --after ID --limit N`: {"customers": [...], "next": ID or
 * null} (next: the ?after= of the following page), and "sealed_left_out": {"customers",
 * "incident"} when customers sealed by a breach incident were left out of the page. */
static void list_page(struct pvs_call *c, enum pvs_guard mode, int guarded)
{
	size_t limit;
	if (page_limit(c, &limit) != 0)
		return;
	pv_access who = pvs_reader_of(c);
	json_t *list = json_array();
	char *next = NULL;
	pv_rc rc = pv_list(c->v, &who, pvs_arg(c, "after"), limit, found_record, list, &next);
	if (rc) {
		json_decref(list);
		pvs_clear_guard_failed(c, mode, guarded, rc);
		return;
	}
	json_t *page = json_pack("{s:o,s:o}", "customers", list, "next",
				 next ? json_string(next) : json_null());
	char incident[64];
	uint64_t sealed = pv_sealed_left_out(c->v, incident, sizeof incident);
	if (sealed) /* the omission said, as the command says it */
		json_object_set_new(page, "sealed_left_out",
				    json_pack("{s:I,s:s}", "customers", (json_int_t)sealed,
					      "incident", incident));
	pvs_json(c->out, 200, page);
	pv_free(next);
}

/* GET /v1/customers: the list without a field argument, finding by one field with it. */
static void customers(struct pvs_call *c)
{
	struct field_arg f = { NULL, NULL, 0 };
	c->q->each_arg(c->q->conn, pick_field, &f);
	enum pvs_guard mode;
	int guarded;
	if (f.count <= 1 && pvs_clear_guard_begin(c, NULL, "GET /v1/customers", &mode, &guarded) != 0)
		return;
	if (f.count == 0)
		list_page(c, mode, guarded);
	else if (f.count == 1)
		find_by(c, &f, mode, guarded);
	else
		pvs_error(c->out, 400, "bad_request", "give at most one indexed field to find by "
			  "(for example ?phone=...); none lists the customers");
}

/* The body's "fields" object into names and values (borrowed from it); its count, or -1
 * (with what was wrong in *why) when it is not an object of strings. */
static long changes_of(json_t *fields, const char **names, const char **values, size_t max,
		       const char **why)
{
	const char *k;
	json_t *val;
	size_t n = 0;
	*why = "the body needs \"fields\": an object of field names and their new values";
	if (!json_is_object(fields) || json_object_size(fields) == 0 ||
	    json_object_size(fields) > max)
		return -1;
	json_object_foreach(fields, k, val) {
		if (!json_is_string(val)) {
			*why = "each value in \"fields\" is a string";
			return -1;
		}
		names[n] = k;
		values[n++] = json_string_value(val);
	}
	return (long)n;
}

/* Fields changed together in one PATCH at most (the schema's fields and consent columns
 * are fewer). */
#define CHANGES_MAX 256

/* PATCH /v1/customers/{id} {"fields": {name: value, ...}, "role"?, "purpose"?}: every
 * change or none, as `pivault update ID FIELD=VALUE...` (204). */
static void update_customer(struct pvs_call *c)
{
	json_t *body = pvs_body_object(c);
	if (!body)
		return;
	const char *names[CHANGES_MAX], *values[CHANGES_MAX], *why;
	int bad = 0;
	const char *role = pvs_member(body, "role", &bad);
	const char *purpose = pvs_member(body, "purpose", &bad);
	long n = changes_of(json_object_get(body, "fields"), names, values, CHANGES_MAX, &why);
	if (bad)
		pvs_error(c->out, 400, "bad_request", "\"role\" and \"purpose\" are strings");
	else if (n < 0)
		pvs_error(c->out, 400, "bad_request", why);
	else {
		pv_access who = { role ? role : pvs_arg(c, "role"),
				  purpose ? purpose : pvs_arg(c, "purpose"), PV_WANT_MASKED };
		pvs_done(c, pv_update_fields(c->v, &who, c->param, names, values, (size_t)n));
	}
	json_decref(body);
}

/* {"reason"?, "role"?, "request"?}: without "request", 202 with the request asked for;
 * under an approved one, the customer crypto-shredded: 200 {"certificate"} (when a step
 * after the commit failed, the error: the certificate is in the shred ledger). */
static void shred_customer(struct pvs_call *c)
{
	pv_access who;
	json_t *body = pvs_body_acting(c, 1, &who);
	enum pvs_guard mode;
	if (body && pvs_guard_begin(c, body, &mode) == 0) {
		const char *ids[] = { c->param };
		char *cert = NULL;
		pv_rc rc = pv_shred(c->v, &who, ids, 1, &cert);
		json_t *signed_cert = !rc && cert ? json_loads(cert, 0, NULL) : NULL;
		if (pvs_guard_end(c, mode, rc))
			json_decref(signed_cert);
		else if (rc)
			pvs_fail(c->out, c->v, rc);
		else
			pvs_json(c->out, 200, json_pack("{s:o}", "certificate",
							signed_cert ? signed_cert : json_null()));
		pv_free(cert);
	}
	json_decref(body);
}

static const struct pvs_route routes[] = {
	{ "GET", "/v1/customers", PVS_SESSION, customers, PVS_READS | PVS_PARKS },
	{ "GET", "/v1/customers/{id}", PVS_SESSION, get_customer, PVS_READS | PVS_PARKS },
	{ "PATCH", "/v1/customers/{id}", PVS_SESSION, update_customer, 0 },
	{ "POST", "/v1/customers/{id}/shred", PVS_SESSION, shred_customer, 0 },
};
PVS_ROUTE_TABLE(pvs_routes_customers, routes);
