/* SPDX-License-Identifier: Apache-2.0 */
/* approvals.c: four-eyes approvals (审批). An operation that can do lasting harm runs
 * only under a request that names it and its exact arguments, that another user with the
 * 'approve' permission approved, that has not expired and that the requester has not used
 * yet. Creating, deciding and using a request are all audited. */
#include "dates.h"
#include "approvals.h"
#include "audit.h"
#include "authz_mac.h"
#include "policy.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TTL_DEFAULT (24 * 3600)
#define TTL_MAX (30 * 24 * 3600)

/* The operations that need a second person, and the permission each needs. */
static const struct {
	const char *name;
	enum pv_operation op;
} guarded[] = {
	{ "export", PV_OP_EXPORT },        /* bulk export in clear */
	{ "user add", PV_OP_USERS },       /* a role granted */
	{ "shred", PV_OP_SHRED },
	{ "retention apply", PV_OP_RETENTION },
	{ "dsr delete", PV_OP_DSR },
	{ "schema", PV_OP_SCHEMA },
	{ "handover export", PV_OP_HANDOVER },
	{ "handover confirm", PV_OP_SHRED },
	{ "transfer shred-excluded", PV_OP_SHRED },
	{ "decommission run", PV_OP_DECOMMISSION },
};

static int guarded_op(const char *name, enum pv_operation *op)
{
	for (size_t i = 0; i < sizeof guarded / sizeof *guarded; i++)
		if (strcmp(guarded[i].name, name) == 0) {
			*op = guarded[i].op;
			return 1;
		}
	return 0;
}

/* Options that say who runs a command or how it prints, not what it does. */
static int is_context_option(const char *a, int *takes_value)
{
	static const char *const valued[] = { "--vault", "--keyring", "--key-file", "--user",
					      "--as", "--request", "--reason", "--expires-in",
					      "--password-file", "-o", "--certificates", "--report" };
	*takes_value = 0;
	for (size_t i = 0; i < sizeof valued / sizeof *valued; i++) {
		size_t n = strlen(valued[i]);
		if (strncmp(a, valued[i], n) == 0 && (a[n] == '\0' || a[n] == '=')) {
			*takes_value = a[n] == '\0';
			return 1;
		}
	}
	return strcmp(a, "--json") == 0;
}

char *pv_request_args(int argc, char *const *argv)
{
	json_t *arr = json_array();
	for (int i = 0; arr && i < argc; i++) {
		int valued;
		if (is_context_option(argv[i], &valued)) {
			i += valued;
			continue;
		}
		json_array_append_new(arr, json_string(argv[i]));
	}
	char *s = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
	json_decref(arr);
	return s;
}

pv_rc pv_request_create(pv_vault *v, const pv_access *who, const char *op, const char *args,
			const char *reason, unsigned ttl_seconds, char **id)
{
	*id = NULL;
	enum pv_operation need;
	if (!guarded_op(op, &need))
		return pv_fail(v, PV_ERR_USAGE, "'%s' does not go through approval (those that do: "
			       "export --clear, user add, shred, retention apply, dsr delete, schema, "
			       "handover export, handover confirm, transfer shred-excluded, "
			       "decommission run)", op);
	int role;
	pv_rc rc = pv_policy_permits(v, who, need, &role);
	if (rc)
		return pv_audit_failure(v, rc, "request", NULL, NULL);
	if (ttl_seconds == 0)
		ttl_seconds = TTL_DEFAULT;
	if (ttl_seconds > TTL_MAX)
		return pv_fail(v, PV_ERR_USAGE, "a request may live at most 30 days");
	uint8_t rnd[5];
	pv_random(rnd, sizeof rnd);
	char hex[11], rid[16], created[32];
	pv_hex(hex, rnd, sizeof rnd);
	snprintf(rid, sizeof rid, "R-%s", hex);
	time_t now = time(NULL);
	pv_time_iso(created, sizeof created, now);
	struct pv_stored_request r = { rid, v->principal, op, args, reason ? reason : "", created,
				       (int64_t)now + ttl_seconds, "pending", "", "", "" };
	char detail[600];
	snprintf(detail, sizeof detail, "%s %s", op, args);
	if (pv_store_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	rc = pv_authz_request_put(v, &r) ? pv_fail(v, PV_ERR_STORE, "%s",
						   pv_store_errmsg(v->store)) : PV_OK;
	struct pv_audit_event e = { "request", NULL, NULL, rid, "ok", detail };
	if ((rc = pv_audit_commit(v, &e, rc)) != PV_OK)
		return rc;
	*id = strdup(rid);
	return *id ? pv_ok(v) : pv_fail(v, PV_ERR_NOMEM, "out of memory");
}

/* A stored request copied out of the store's borrowed row. */
struct request_copy {
	struct pv_stored_request r;
	char buf[11][1024];
};

static pv_rc request_load(pv_vault *v, const char *id, struct request_copy *c)
{
	struct pv_stored_request r;
	int got = pv_authz_request_get(v, id, &r);
	if (got < 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (got > 0)
		return pv_fail(v, PV_ERR_NOT_FOUND, "no request %s", id);
	c->r = r;
	const char **f[] = { &c->r.id, &c->r.requester, &c->r.op, &c->r.args, &c->r.reason,
			     &c->r.created, &c->r.state, &c->r.approver, &c->r.decided, &c->r.used };
	for (int i = 0; i < 10; i++) {
		snprintf(c->buf[i], sizeof c->buf[i], "%s", *f[i]);
		*f[i] = c->buf[i];
	}
	return PV_OK;
}

pv_rc pv_request_decide(pv_vault *v, const pv_access *who, const char *id, int approve)
{
	const char *op = approve ? "approve" : "reject";
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_APPROVE, &role);
	if (rc)
		return pv_audit_failure(v, rc, op, NULL, NULL);
	if (pv_store_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	struct request_copy c;
	rc = request_load(v, id, &c);
	time_t now = time(NULL);
	if (!rc && strcmp(c.r.state, "pending") != 0)
		rc = pv_fail(v, PV_ERR_DENIED, "request %s is %s, not pending", id, c.r.state);
	if (!rc && c.r.expires <= (int64_t)now)
		rc = pv_fail(v, PV_ERR_DENIED, "request %s has expired", id);
	if (!rc && strcmp(c.r.requester, v->principal) == 0)
		rc = pv_fail(v, PV_ERR_DENIED, "request %s was made by %s, who cannot also %s it "
			     "(four eyes: a second person decides)", id, c.r.requester, op);
	char decided[32];
	pv_time_iso(decided, sizeof decided, now);
	if (!rc) {
		c.r.state = approve ? "approved" : "rejected";
		c.r.approver = v->principal;
		c.r.decided = decided;
		if (pv_authz_request_put(v, &c.r) != 0)
			rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	}
	if (!rc) {
		char detail[1200];
		snprintf(detail, sizeof detail, "%s %s by %s", c.r.op, c.r.args, c.r.requester);
		struct pv_audit_event e = { op, NULL, NULL, id, "ok", detail };
		rc = pv_audit_append(v, &e);
	}
	if (!rc && pv_store_commit(v->store) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (rc) {
		(void)pv_store_rollback(v->store);
		struct pv_audit_event e = { op, NULL, NULL, id, "denied", v->errmsg };
		char msg[sizeof v->errmsg];
		snprintf(msg, sizeof msg, "%s", v->errmsg);
		if (rc == PV_ERR_DENIED && pv_audit_append(v, &e) != PV_OK)
			return pv_fail(v, rc, "%s (and the audit entry could not be written)", msg);
		return pv_fail(v, rc, "%s", msg);
	}
	return pv_ok(v);
}

pv_rc pv_vault_use_request(pv_vault *v, const char *id, const char *op, const char *args)
{
	struct request_copy c;
	pv_rc rc = request_load(v, id, &c);
	if (rc)
		return rc;
	const char *why = NULL;
	if (strcmp(c.r.requester, v->principal) != 0)
		why = "only its requester may run it";
	else if (strcmp(c.r.state, "approved") != 0)
		why = strcmp(c.r.state, "used") == 0 ? "it has been used already" : "it is not approved";
	else if (c.r.expires <= (int64_t)time(NULL))
		why = "it has expired";
	else if (strcmp(c.r.op, op) != 0)
		why = "it is for another operation";
	else if (strcmp(c.r.args, args) != 0)
		why = "its arguments differ from the ones approved";
	if (why) {
		pv_fail(v, PV_ERR_DENIED, "request %s cannot run %s: %s", id, op, why);
		return pv_audit_failure(v, PV_ERR_DENIED, op, NULL, NULL);
	}
	snprintf(v->request_id, sizeof v->request_id, "%s", id);
	snprintf(v->request_op, sizeof v->request_op, "%s", op);
	return pv_ok(v);
}

pv_rc pv_approval_consume(pv_vault *v, const char *op)
{
	if (!v->user_roles && !v->request_id[0]) /* the root secret: break-glass */
		return PV_OK;
	if (!v->request_id[0] || strcmp(v->request_op, op) != 0)
		return pv_fail(v, PV_ERR_DENIED, "%s needs a four-eyes approval: ask with "
			       "'pivault request %s ...', have another user approve it, then run "
			       "it with 'pivault run REQ'", op, op);
	struct request_copy c;
	pv_rc rc = request_load(v, v->request_id, &c);
	if (rc)
		return rc;
	if (strcmp(c.r.state, "approved") != 0)
		return pv_fail(v, PV_ERR_DENIED, "request %s is %s", v->request_id, c.r.state);
	if (c.r.expires <= (int64_t)time(NULL))
		return pv_fail(v, PV_ERR_DENIED, "request %s has expired", v->request_id);
	char used[32];
	pv_time_iso(used, sizeof used, time(NULL));
	c.r.state = "used";
	c.r.used = used;
	if (pv_authz_request_put(v, &c.r) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	v->request_op[0] = '\0'; /* one request, one run */
	return PV_OK;
}

struct list_ctx {
	pv_request_fn fn;
	void *ctx;
	const char *only; /* a requester whose requests alone are listed, or NULL */
};

static int list_one(void *p, const struct pv_stored_request *r)
{
	struct list_ctx *l = p;
	if (l->only && strcmp(r->requester, l->only) != 0)
		return 0;
	const char *state = r->state;
	if ((strcmp(state, "pending") == 0 || strcmp(state, "approved") == 0) &&
	    r->expires <= (int64_t)time(NULL))
		state = "expired";
	pv_request_info info = { r->id, r->requester, r->op, r->args, r->reason, r->created,
				 r->expires, state, r->approver, r->decided };
	return l->fn(l->ctx, &info) ? 1 : 0;
}

pv_rc pv_request_list(pv_vault *v, pv_request_fn fn, void *ctx)
{
	/* Approvers and auditors see every request; anyone else their own. */
	struct list_ctx l = { fn, ctx, NULL };
	if (!pv_policy_user_may(v, PV_OP_APPROVE) && !pv_policy_user_may(v, PV_OP_AUDIT))
		l.only = v->principal;
	if (pv_authz_request_scan(v, list_one, &l) < 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return pv_ok(v);
}

pv_rc pv_request_get(pv_vault *v, const char *id, char **op, char **args)
{
	struct request_copy c;
	pv_rc rc = request_load(v, id, &c);
	if (rc)
		return rc;
	*op = strdup(c.r.op);
	*args = strdup(c.r.args);
	if (!*op || !*args) {
		free(*op);
		free(*args);
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	}
	return pv_ok(v);
}
