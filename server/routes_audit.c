/* SPDX-License-Identifier: Apache-2.0 */
/* routes_audit.c: the audit log's routes: its entries (filtered and paged), its
 * verification, signed checkpoints (made and listed), inclusion and consistency proofs, the bulk-read
 * alerts and their threshold (under four eyes). The library needs 'audit' for each. */
#include "route.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* ?checkpoint=TEXT (an exported checkpoint, as `audit verify --checkpoint` reads it): the
 * log also proved to still hold what that checkpoint signed. */
static void audit_verify(struct pvs_call *c)
{
	pv_access who = { c->q->arg(c->q->conn, "role"), NULL, PV_WANT_MASKED };
	char *report = NULL;
	pv_rc rc = pv_audit_verify(c->v, &who, pvs_arg(c, "checkpoint"), &report);
	if (rc == PV_OK || (rc == PV_ERR_CORRUPT && report))
		pvs_json(c->out, 200, json_pack("{s:b,s:s}", "verified", rc == PV_OK, "report",
						 report));
	else
		pvs_fail(c->out, c->v, rc);
	pv_free(report);
}

/* A decimal query argument: def when absent, 0 with *bad set when not a number. */
static unsigned long long number_arg(struct pvs_call *c, const char *name,
				     unsigned long long def, int *bad)
{
	const char *s = pvs_arg(c, name);
	if (!s)
		return def;
	char *end;
	errno = 0;
	unsigned long long n = strtoull(s, &end, 10);
	if (!*s || *end || errno || *s == '-')
		*bad = 1;
	return n;
}

#define PAGE_DEFAULT 100
#define PAGE_MAX 1000

struct page {
	json_t *entries;
	unsigned long long after, limit;
	uint64_t last;
	int more;
};

static int paged(void *ctx, const pv_audit_entry *e)
{
	struct page *p = ctx;
	if (e->seq <= p->after)
		return 0;
	if (json_array_size(p->entries) == p->limit) {
		p->more = 1;
		return 1;
	}
	p->last = e->seq;
	return json_array_append_new(
		       p->entries,
		       json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "seq", (json_int_t)e->seq,
				 "at", e->at, "user", e->user, "op", e->op, "ids",
				 e->ids ? e->ids : "", "purpose", e->purpose ? e->purpose : "",
				 "request", e->request ? e->request : "", "outcome", e->outcome,
				 "detail", e->detail ? e->detail : "")) != 0;
}

/* ?customer=&user=&since= (the CLI's filters), ?after=SEQ&limit=N: {"entries", "next"}
 * (next: the after= of the following page, null on the last). */
static void audit_log(struct pvs_call *c)
{
	int bad = 0;
	struct page p = { json_array(), number_arg(c, "after", 0, &bad),
			  number_arg(c, "limit", PAGE_DEFAULT, &bad), 0, 0 };
	if (bad || p.limit < 1 || p.limit > PAGE_MAX) {
		json_decref(p.entries);
		pvs_error(c->out, 400, "bad_request", "after: a sequence number; limit: 1 to 1000");
		return;
	}
	pv_access who = pvs_role_of(c);
	pv_audit_filter f = { pvs_arg(c, "customer"), pvs_arg(c, "user"), pvs_arg(c, "since") };
	pv_rc rc = pv_audit_log(c->v, &who, &f, paged, &p);
	if (rc) {
		json_decref(p.entries);
		pvs_fail(c->out, c->v, rc);
		return;
	}
	pvs_json(c->out, 200, json_pack("{s:o,s:o}", "entries", p.entries, "next",
					p.more ? json_integer((json_int_t)p.last) : json_null()));
}

/* A text the library made ("checkpoint", "proof") as {name: text}, with status. */
static void text_answer(struct pvs_call *c, pv_rc rc, const char *name, char *text,
			unsigned status)
{
	if (rc)
		pvs_fail(c->out, c->v, rc);
	else
		pvs_json(c->out, status, json_pack("{s:s}", name, text));
	pv_free(text);
}

static void make_checkpoint(struct pvs_call *c)
{
	pv_access who = pvs_role_of(c);
	char *text = NULL;
	pv_rc rc = pv_audit_checkpoint(c->v, &who, &text);
	text_answer(c, rc, "checkpoint", text, 201);
}

/* The library's checkpoint time (YYYY-MM-DDTHH:MM:SS.mmmZ) as Unix seconds. */
static json_t *signed_at(const char *at)
{
	char whole[21];
	if (strlen(at) < 20)
		return json_null();
	memcpy(whole, at, 19);
	memcpy(whole + 19, "Z", 2);
	return pvs_time_json(whole);
}

/* The same time to the millisecond (Unix milliseconds), as the library signed it. */
static json_t *signed_at_ms(const char *at)
{
	json_t *whole = signed_at(at);
	if (!json_is_integer(whole) || strlen(at) < 24 || at[19] != '.')
		return whole;
	json_int_t ms = (at[20] - '0') * 100 + (at[21] - '0') * 10 + (at[22] - '0');
	json_int_t t = json_integer_value(whole) * 1000 + ms;
	json_decref(whole);
	return json_integer(t);
}

static int checkpoint_listed(void *ctx, const pv_audit_checkpoint_info *k)
{
	return json_array_append_new(ctx, json_pack("{s:I,s:s,s:o,s:o,s:b}", "size",
						    (json_int_t)k->size, "root", k->root, "at",
						    signed_at(k->at), "at_ms", signed_at_ms(k->at),
						    "verified", k->verified)) != 0;
}

/* ?after=SIZE&limit=N: {"checkpoints": [{"size", "root", "at", "verified"}], "next"} (next:
 * the after= of the following page, null on the last). */
static void list_checkpoints(struct pvs_call *c)
{
	int bad = 0;
	unsigned long long after = number_arg(c, "after", 0, &bad),
			   limit = number_arg(c, "limit", PAGE_DEFAULT, &bad);
	if (bad || limit < 1 || limit > PAGE_MAX) {
		pvs_error(c->out, 400, "bad_request", "after: a size; limit: 1 to 1000");
		return;
	}
	pv_access who = pvs_role_of(c);
	json_t *list = json_array();
	uint64_t next = 0;
	pv_rc rc = pv_audit_checkpoints(c->v, &who, after, (size_t)limit, checkpoint_listed, list,
					&next);
	if (rc) {
		json_decref(list);
		pvs_fail(c->out, c->v, rc);
		return;
	}
	pvs_json(c->out, 200, json_pack("{s:o,s:o}", "checkpoints", list, "next",
					next ? json_integer((json_int_t)next) : json_null()));
}

static void inclusion_proof(struct pvs_call *c)
{
	char *end;
	errno = 0;
	unsigned long long seq = strtoull(c->param, &end, 10);
	if (*end || errno || *c->param == '-') {
		pvs_error(c->out, 400, "bad_request", "the sequence number is not a number");
		return;
	}
	pv_access who = pvs_role_of(c);
	char *text = NULL;
	pv_rc rc = pv_audit_prove(c->v, &who, seq, &text);
	text_answer(c, rc, "proof", text, 200);
}

/* {"checkpoint": an exported checkpoint}: a consistency proof to the latest one. */
static void consistency_proof(struct pvs_call *c)
{
	json_t *body = pvs_body_object(c);
	if (!body)
		return;
	int bad = 0;
	const char *old = pvs_member(body, "checkpoint", &bad);
	if (bad || !old) {
		pvs_error(c->out, 400, "bad_request", "the body needs \"checkpoint\" (its text)");
	} else {
		pv_access who = pvs_role_of(c);
		char *text = NULL;
		pv_rc rc = pv_audit_consistency(c->v, &who, old, &text);
		text_answer(c, rc, "proof", text, 200);
	}
	json_decref(body);
}

static int alerted(void *ctx, const pv_audit_alert *a)
{
	return json_array_append_new(ctx, json_pack("{s:I,s:s,s:s,s:s,s:s}", "seq",
						    (json_int_t)a->seq, "at", a->at, "user",
						    a->user, "kind", a->kind, "detail",
						    a->detail)) != 0;
}

static void audit_alerts(struct pvs_call *c)
{
	pv_access who = pvs_role_of(c);
	json_t *list = json_array();
	pv_rc rc = pv_audit_alerts(c->v, &who, alerted, list);
	if (rc) {
		json_decref(list);
		pvs_fail(c->out, c->v, rc);
		return;
	}
	pvs_json(c->out, 200, json_pack("{s:o}", "alerts", list));
}

/* {"per_hour": N, "role"?, "request"?}: the bulk limit, under four eyes. */
static void set_threshold(struct pvs_call *c)
{
	json_t *body = pvs_body_object(c);
	if (!body)
		return;
	int bad = 0;
	pv_access who = pvs_role_of(c);
	const char *role = pvs_member(body, "role", &bad);
	json_t *n = json_object_get(body, "per_hour");
	enum pvs_guard mode;
	if (role)
		who.role = role;
	if (bad || !json_is_integer(n) || json_integer_value(n) < 1 ||
	    json_integer_value(n) > UINT_MAX) {
		pvs_error(c->out, 400, "bad_request", "the body needs \"per_hour\" (a positive "
			  "number)");
	} else if (pvs_guard_begin(c, body, &mode) == 0) {
		pv_rc rc = pv_audit_set_alert_threshold(c->v, &who,
							(unsigned)json_integer_value(n));
		if (!pvs_guard_end(c, mode, rc))
			pvs_done(c, rc);
	}
	json_decref(body);
}

static const struct pvs_route routes[] = {
	{ "GET", "/v1/audit/verify", PVS_SESSION, audit_verify, 0 },
	{ "GET", "/v1/audit", PVS_SESSION, audit_log, 0 },
	{ "POST", "/v1/audit/checkpoints", PVS_SESSION, make_checkpoint, 0 },
	{ "GET", "/v1/audit/checkpoints", PVS_SESSION, list_checkpoints, 0 },
	{ "GET", "/v1/audit/proofs/{seq}", PVS_SESSION, inclusion_proof, 0 },
	{ "POST", "/v1/audit/consistency", PVS_SESSION, consistency_proof, 0 },
	{ "GET", "/v1/audit/alerts", PVS_SESSION, audit_alerts, 0 },
	{ "POST", "/v1/audit/threshold", PVS_SESSION, set_threshold, 0 },
};
PVS_ROUTE_TABLE(pvs_routes_audit, routes);
