/* SPDX-License-Identifier: Apache-2.0 */
/* approvals.c: four-eyes approvals (审批). An operation that can do lasting harm runs
 * only under a request that another user with the 'approve' permission approved, that
 * has not expired and that its requester has not used yet. The request binds the
 * operation and the hash of its canonical parameters, which the operation itself states
 * (the ids it acts on, its format and purpose, the hashes of the files it reads, the sets
 * it computes): what runs is compared in the library with what was approved, whatever
 * front end asked. A request is made by calling the operation on a handle that asks
 * (pv_request_begin): the operation checks everything it would check, states its
 * parameters and stops. Creating, deciding and using a request are all audited. */
#include "approvals.h"
#include "audit.h"
#include "authz_mac.h"
#include "dates.h"
#include "enrol_code.h"
#include "policy.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TTL_DEFAULT (24 * 3600)
#define TTL_MAX (30 * 24 * 3600)
#define PARAMS_SHOWN 1500 /* characters of the parameters kept for the approver to read */
#define IDS_SHOWN 50	  /* ids of a set listed for the approver (all are in its digest) */

/* The operations that need a second person, the permission each needs, and whether the
 * approver is given half of an enrolment code. */
static const struct {
	const char *name;
	enum pv_operation op;
	int enrols;
} guarded[] = {
	{ "export", PV_OP_EXPORT, 0 },	   /* bulk export in clear */
	{ "read clear", PV_OP_READ, 0 },   /* more customers in clear than the bulk limit */
	{ "user add", PV_OP_USERS, 1 },	   /* a role granted */
	{ "user reset", PV_OP_USERS, 1 },  /* a credential reset */
	{ "shred", PV_OP_SHRED, 0 },
	{ "retention apply", PV_OP_RETENTION, 0 },
	{ "dsr delete", PV_OP_DSR, 0 },
	{ "schema", PV_OP_SCHEMA, 0 },
	{ "handover export", PV_OP_HANDOVER, 0 },
	{ "handover confirm", PV_OP_SHRED, 0 },
	{ "transfer shred-excluded", PV_OP_SHRED, 0 },
	{ "transfer pin-key", PV_OP_HANDOVER, 0 }, /* the key a receipt is checked against */
	{ "decommission run", PV_OP_DECOMMISSION, 0 },
	{ "audit threshold", PV_OP_AUDIT, 0 },
	{ "node retire", PV_OP_SHRED, 0 }, /* certificates stop waiting for a keyring */
	{ "incident release", PV_OP_INCIDENT, 0 }, /* a breach incident's seal lifted */
	{ "api token create", PV_OP_USERS, 0 }, /* a credential for another user */
};

static int guarded_index(const char *name)
{
	for (size_t i = 0; i < sizeof guarded / sizeof *guarded; i++)
		if (strcmp(guarded[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* ------------------------------------------------------------- parameters ---- */

void pv_params_init(struct pv_params *p)
{
	memset(p, 0, sizeof *p);
}

static void put(struct pv_params *p, const char *s, size_t n)
{
	if (p->oom)
		return;
	if (p->len + n + 1 > p->cap) {
		size_t cap = p->cap ? p->cap : 256;
		while (cap < p->len + n + 1)
			cap *= 2;
		char *t = realloc(p->text, cap);
		if (!t) {
			p->oom = 1;
			return;
		}
		p->text = t;
		p->cap = cap;
	}
	memcpy(p->text + p->len, s, n);
	p->len += n;
	p->text[p->len] = '\0';
}

void pv_params_add(struct pv_params *p, const char *key, const char *value)
{
	put(p, key, strlen(key));
	put(p, "=", 1);
	for (const char *c = value ? value : ""; *c; c++) /* one line per parameter */
		if (*c == '\n' || *c == '\\')
			put(p, *c == '\n' ? "\\n" : "\\\\", 2);
		else
			put(p, c, 1);
	put(p, "\n", 1);
}

void pv_params_addf(struct pv_params *p, const char *key, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	pv_params_add(p, key, buf);
}

static int by_text(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void pv_params_add_ids(struct pv_params *p, const char *key, const char *const *ids, size_t n)
{
	const char **sorted = malloc((n ? n : 1) * sizeof *sorted);
	if (!sorted) {
		p->oom = 1;
		return;
	}
	if (n)
		memcpy(sorted, ids, n * sizeof *sorted);
	qsort(sorted, n, sizeof *sorted, by_text);
	crypto_generichash_state h;
	crypto_generichash_init(&h, NULL, 0, 32);
	size_t unique = 0;
	char shown[IDS_SHOWN * 24 + 8] = "";
	size_t at = 0;
	for (size_t i = 0; i < n; i++) {
		if (i && strcmp(sorted[i], sorted[i - 1]) == 0)
			continue;
		crypto_generichash_update(&h, (const uint8_t *)sorted[i], strlen(sorted[i]) + 1);
		if (unique < IDS_SHOWN && at < sizeof shown)
			at += (size_t)snprintf(shown + at, sizeof shown - at, "%s%s", unique ? "," : "",
					       sorted[i]);
		unique++;
	}
	uint8_t d[32];
	char hex[65];
	crypto_generichash_final(&h, d, sizeof d);
	pv_hex(hex, d, sizeof d);
	free(sorted);
	pv_params_addf(p, key, "%zu customers, blake2b %s: %s%s", unique, hex, shown,
		       unique > IDS_SHOWN ? ",..." : "");
}

void pv_params_add_bytes(struct pv_params *p, const char *key, const void *bytes, size_t len)
{
	uint8_t d[32];
	char hex[65];
	crypto_generichash(d, sizeof d, bytes, len, NULL, 0);
	pv_hex(hex, d, sizeof d);
	pv_params_addf(p, key, "%zu bytes, blake2b %s", len, hex);
}

void pv_params_free(struct pv_params *p)
{
	free(p->text);
	memset(p, 0, sizeof *p);
}

/* The hash a request binds: BLAKE2b-256 over the operation and its parameters. */
static void params_hash(const char *op, const struct pv_params *p, char hex[65])
{
	static const uint8_t context[] = "pivault approval v1";
	crypto_generichash_state h;
	crypto_generichash_init(&h, context, sizeof context - 1, 32);
	crypto_generichash_update(&h, (const uint8_t *)op, strlen(op) + 1);
	crypto_generichash_update(&h, (const uint8_t *)(p->text ? p->text : ""), p->len);
	uint8_t d[32];
	crypto_generichash_final(&h, d, sizeof d);
	pv_hex(hex, d, sizeof d);
}

/* The parameters as the approver reads them: one line, cut after PARAMS_SHOWN. */
static char *params_shown(const struct pv_params *p)
{
	size_t n = p->len < PARAMS_SHOWN ? p->len : PARAMS_SHOWN;
	char *s = malloc(n + 8);
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++)
		s[i] = p->text[i] == '\n' ? ';' : p->text[i];
	while (n && (s[n - 1] == ';'))
		n--;
	strcpy(s + n, p->len > PARAMS_SHOWN ? " ..." : "");
	return s;
}

/* ----------------------------------------------------------------- asking ---- */

/* What a handle that asks keeps: the request's reason, lifetime and command, and once
 * the operation stopped, what it stated. */
struct pv_asking {
	char *reason, *command;
	unsigned ttl;
	int stated;
	char op[32];
	char hash[65];
	char *params;
};

static void asking_free(pv_vault *v)
{
	if (!v->asking)
		return;
	free(v->asking->reason);
	free(v->asking->command);
	free(v->asking->params);
	free(v->asking);
	v->asking = NULL;
}

int pv_approval_asking(const pv_vault *v)
{
	return v->asking != NULL;
}

pv_rc pv_request_begin(pv_vault *v, const char *reason, unsigned ttl_seconds, const char *command)
{
	if (ttl_seconds > TTL_MAX)
		return pv_fail(v, PV_ERR_USAGE, "a request may live at most 30 days");
	asking_free(v);
	struct pv_asking *a = calloc(1, sizeof *a);
	if (!a || !(a->reason = strdup(reason ? reason : "")) ||
	    !(a->command = strdup(command ? command : ""))) {
		if (a)
			free(a->reason);
		free(a);
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	}
	a->ttl = ttl_seconds ? ttl_seconds : TTL_DEFAULT;
	v->asking = a;
	return pv_ok(v);
}

/* The operation stopped at its approval: keep what it stated. */
static pv_rc asking_state(pv_vault *v, const char *op, const struct pv_params *params)
{
	struct pv_asking *a = v->asking;
	if (a->stated)
		return pv_fail(v, PV_ERR_USAGE, "one request asks for one operation");
	free(a->params);
	if (!(a->params = params_shown(params)))
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	snprintf(a->op, sizeof a->op, "%s", op);
	params_hash(op, params, a->hash);
	a->stated = 1;
	return pv_fail(v, PV_REQUESTED, "%s is asked for, not run: it waits for a second "
		       "person's approval", op);
}

pv_rc pv_request_submit(pv_vault *v, char **id)
{
	*id = NULL;
	struct pv_asking *a = v->asking;
	if (!a || !a->stated) {
		asking_free(v);
		return pv_fail(v, PV_ERR_USAGE, "no operation was asked for: the command needs "
			       "no approval as given (run it without 'request')");
	}
	v->asking = NULL; /* from here on the handle runs again (and audits the request) */
	uint8_t rnd[5];
	pv_random(rnd, sizeof rnd);
	char hex[11], rid[16], created[32];
	pv_hex(hex, rnd, sizeof rnd);
	snprintf(rid, sizeof rid, "R-%s", hex);
	time_t now = time(NULL);
	pv_time_iso(created, sizeof created, now);
	struct pv_stored_request r = { rid, v->principal, a->op, a->params, a->hash, a->command,
				       a->reason, created, (int64_t)now + a->ttl, "pending", "",
				       "", "", "" };
	size_t dlen = strlen(a->op) + strlen(a->params) + 2;
	char *detail = malloc(dlen);
	pv_rc rc = PV_OK;
	if (!detail)
		rc = pv_fail(v, PV_ERR_NOMEM, "out of memory");
	else
		snprintf(detail, dlen, "%s %s", a->op, a->params);
	if (!rc && pv_store_begin(v->store) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (!rc) {
		rc = pv_authz_request_put(v, &r)
			     ? pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store)) : PV_OK;
		struct pv_audit_event e = { "request", NULL, NULL, rid, "ok", detail };
		rc = pv_audit_commit(v, &e, rc);
	}
	free(detail);
	v->asking = a;
	asking_free(v);
	if (rc)
		return rc;
	*id = strdup(rid);
	return *id ? pv_ok(v) : pv_fail(v, PV_ERR_NOMEM, "out of memory");
}

/* ---------------------------------------------------------------- deciding ---- */

/* A stored request copied out of the store's borrowed row. */
struct request_copy {
	struct pv_stored_request r;
	char *buf[13];
};

static void request_copy_free(struct request_copy *c)
{
	for (size_t i = 0; i < sizeof c->buf / sizeof *c->buf; i++)
		free(c->buf[i]);
	memset(c, 0, sizeof *c);
}

static pv_rc request_load(pv_vault *v, const char *id, struct request_copy *c)
{
	memset(c, 0, sizeof *c);
	struct pv_stored_request r;
	int got = pv_authz_request_get(v, id, &r);
	if (got < 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (got > 0)
		return pv_fail(v, PV_ERR_NOT_FOUND, "no request %s", id);
	c->r = r;
	const char **f[] = { &c->r.id,	     &c->r.requester, &c->r.op,	     &c->r.params,
			     &c->r.params_hash, &c->r.command,   &c->r.reason,  &c->r.created,
			     &c->r.state,    &c->r.approver,  &c->r.decided, &c->r.used,
			     &c->r.enrol_key };
	for (size_t i = 0; i < sizeof f / sizeof *f; i++)
		if (!(c->buf[i] = strdup(*f[i]))) {
			request_copy_free(c);
			return pv_fail(v, PV_ERR_NOMEM, "out of memory");
		}
	for (size_t i = 0; i < sizeof f / sizeof *f; i++)
		*f[i] = c->buf[i];
	return PV_OK;
}

/* Why the handle's principal may not decide request c, or NULL. */
static const char *decide_refusal(pv_vault *v, const struct request_copy *c)
{
	if (strcmp(c->r.state, "pending") != 0)
		return "it is not pending";
	if (c->r.expires <= (int64_t)time(NULL))
		return "it has expired";
	if (strcmp(c->r.requester, v->principal) == 0)
		return "its requester cannot also decide it (four eyes: a second person decides)";
	return NULL;
}

pv_rc pv_request_decide(pv_vault *v, const pv_access *who, const char *id, pv_decision decision,
			char **enrol_half)
{
	return pv_request_decide_why(v, who, id, decision, NULL, enrol_half);
}

/* The decision's audit detail: the operation, its parameters, the requester and the
 * decider's reason (malloc'd; NULL when out of memory). */
static char *decision_detail(const struct request_copy *c, const char *reason)
{
	size_t n = strlen(c->r.op) + strlen(c->r.params) + strlen(c->r.requester) +
		   (reason ? strlen(reason) : 0) + 24;
	char *detail = malloc(n);
	if (detail)
		snprintf(detail, n, "%s %s by %s%s%s", c->r.op, c->r.params, c->r.requester,
			 reason && *reason ? "; reason: " : "", reason ? reason : "");
	return detail;
}

pv_rc pv_request_decide_why(pv_vault *v, const pv_access *who, const char *id,
			    pv_decision decision, const char *reason, char **enrol_half)
{
	if (enrol_half)
		*enrol_half = NULL;
	const char *op = (decision == PV_APPROVE) ? "approve" : "reject";
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_APPROVE, &role);
	if (rc)
		return pv_audit_failure(v, rc, op, NULL, NULL);
	if (pv_store_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	struct request_copy c;
	rc = request_load(v, id, &c);
	const char *why = rc ? NULL : decide_refusal(v, &c);
	if (why)
		rc = pv_fail(v, PV_ERR_DENIED, "request %s (%s by %s) cannot be %sd: %s", id,
			     c.r.op, c.r.requester, op, why);
	int g = rc ? -1 : guarded_index(c.r.op);
	char half[PV_ENROL_HALF_TEXT] = "", pk_hex[65] = "", decided[32];
	if (!rc && (decision == PV_APPROVE) && g >= 0 && guarded[g].enrols) {
		uint8_t pk[32] = { 0 };
		if (!enrol_half)
			rc = pv_fail(v, PV_ERR_USAGE, "approving %s gives the approver half of the "
				     "new user's enrolment code: the caller must take it", c.r.op);
		else
			pv_enrol_half_new(half, pk);
		pv_hex(pk_hex, pk, sizeof pk);
		c.r.enrol_key = pk_hex;
	}
	pv_time_iso(decided, sizeof decided, time(NULL));
	if (!rc) {
		c.r.state = (decision == PV_APPROVE) ? "approved" : "rejected";
		c.r.approver = v->principal;
		c.r.decided = decided;
		if (pv_authz_request_put(v, &c.r) != 0)
			rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	}
	if (!rc) {
		char *detail = decision_detail(&c, reason);
		struct pv_audit_event e = { op, NULL, NULL, id, "ok", detail ? detail : c.r.op };
		rc = pv_audit_append(v, &e);
		free(detail);
	}
	if (!rc && pv_store_commit(v->store) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	request_copy_free(&c);
	if (rc) {
		sodium_memzero(half, sizeof half);
		(void)pv_store_rollback(v->store);
		struct pv_audit_event e = { op, NULL, NULL, id, "denied", v->errmsg };
		char msg[sizeof v->errmsg];
		snprintf(msg, sizeof msg, "%s", v->errmsg);
		if (rc == PV_ERR_DENIED && pv_audit_append(v, &e) != PV_OK)
			return pv_fail(v, rc, "%s (and the audit entry could not be written)", msg);
		return pv_fail(v, rc, "%s", msg);
	}
	if (half[0] && !(*enrol_half = strdup(half)))
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	sodium_memzero(half, sizeof half);
	return pv_ok(v);
}

/* ----------------------------------------------------------------- running ---- */

pv_rc pv_vault_use_request(pv_vault *v, const char *id)
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
	if (why) {
		pv_fail(v, PV_ERR_DENIED, "request %s cannot run: %s", id, why);
		request_copy_free(&c);
		return pv_audit_failure(v, PV_ERR_DENIED, "run", NULL, NULL);
	}
	snprintf(v->request_id, sizeof v->request_id, "%s", id);
	snprintf(v->request_op, sizeof v->request_op, "%s", c.r.op);
	request_copy_free(&c);
	return pv_ok(v);
}

/* Why request c cannot run op with hash: NULL when it can. */
static const char *consume_refusal(pv_vault *v, const struct request_copy *c, const char *op,
				   const char *hash)
{
	if (strcmp(c->r.requester, v->principal) != 0)
		return "only its requester may run it";
	if (strcmp(c->r.state, "approved") != 0)
		return strcmp(c->r.state, "used") == 0 ? "it has been used already"
							: "it is not approved";
	if (c->r.expires <= (int64_t)time(NULL))
		return "it has expired";
	if (strcmp(c->r.op, op) != 0)
		return "it is for another operation";
	if (strcmp(c->r.params_hash, hash) != 0)
		return "what would run differs from what was approved (another customer, file, "
		       "format or purpose, or a set that changed since)";
	return NULL;
}

int pv_approval_waived(const pv_vault *v)
{
	return !v->user_roles && !v->request_id[0] && !v->asking;
}

/* Use up the request in hand for op with hash, in the open transaction: read, checked
 * and marked used. */
static pv_rc consume_in_txn(pv_vault *v, const char *op, const char *hash)
{
	struct request_copy c;
	pv_rc rc = request_load(v, v->request_id, &c);
	if (rc)
		return rc;
	const char *why = consume_refusal(v, &c, op, hash);
	if (why) {
		rc = pv_fail(v, PV_ERR_DENIED, "request %s cannot run %s: %s (approved: %s)",
			     v->request_id, op, why, c.r.params);
		request_copy_free(&c);
		return rc;
	}
	char used[32];
	pv_time_iso(used, sizeof used, time(NULL));
	c.r.state = "used";
	c.r.used = used;
	v->request_has_enrol_key = pv_unhex(v->request_enrol_key, sizeof v->request_enrol_key,
					    c.r.enrol_key, strlen(c.r.enrol_key)) == 0;
	if (pv_authz_request_put(v, &c.r) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	request_copy_free(&c);
	return rc;
}

pv_rc pv_approval_consume(pv_vault *v, const char *op, const struct pv_params *params)
{
	if (params->oom)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	if (v->asking)
		return asking_state(v, op, params);
	if (pv_approval_waived(v))
		return PV_OK;
	if (!v->request_id[0] || strcmp(v->request_op, op) != 0)
		return pv_fail(v, PV_ERR_DENIED, "%s needs a four-eyes approval: ask with "
			       "'pivault request %s ...', have another user approve it, then run "
			       "it with 'pivault run REQ'", op, op);
	char hash[65];
	params_hash(op, params, hash);
	/* Outside a transaction (a read's gate), in one of its own: under the write lock the
	 * request is read as the last writer left it, so two processes or nodes running it at
	 * once cannot both find it approved. */
	int own = pv_store_txn_id(v->store) == 0;
	if (own && pv_store_begin(v->store) != 0)
		return pv_fail(v, pv_store_busy(v->store) ? PV_ERR_BUSY : PV_ERR_STORE, "%s",
			       pv_store_errmsg(v->store));
	pv_rc rc = consume_in_txn(v, op, hash);
	if (own && !rc && pv_store_commit(v->store) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (own && rc)
		(void)pv_store_rollback(v->store);
	if (!rc)
		v->request_op[0] = '\0'; /* one request, one run */
	return rc;
}

pv_rc pv_approval_enrol_public(pv_vault *v, uint8_t pk[32])
{
	if (!v->request_has_enrol_key)
		return pv_fail(v, PV_ERR_USAGE, "the request being run holds no enrolment key");
	memcpy(pk, v->request_enrol_key, 32);
	return PV_OK;
}

/* ----------------------------------------------------------------- listing ---- */

struct list_ctx {
	pv_request_fn fn;
	void *ctx;
	const char *only; /* a requester whose requests alone are listed, or NULL */
	int oom;
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
	char *args = pv_request_args_json(r->params);
	if (!args) {
		l->oom = 1;
		return 1;
	}
	int64_t decided = *r->decided ? pv_time_unix(r->decided) : 0;
	pv_request_info info = { r->id,	     r->requester, r->op,    r->params, r->command,
				 r->reason,  r->created,   r->expires, state,   r->approver,
				 r->decided, args, pv_time_unix(r->created), decided };
	int stop = l->fn(l->ctx, &info) ? 1 : 0;
	free(args);
	return stop;
}

pv_rc pv_request_list(pv_vault *v, const pv_access *who, pv_request_fn fn, void *ctx)
{
	/* Approvers and auditors see every request; anyone else their own. */
	struct list_ctx l = { fn, ctx, NULL, 0 };
	if (!pv_policy_may(v, who, PV_OP_APPROVE) && !pv_policy_may(v, who, PV_OP_AUDIT))
		l.only = v->principal;
	/* requests name customers in what they ask for: the listing is on record first */
	struct pv_audit_event e = { "request list", NULL, NULL, NULL, "ok",
				    l.only ? "own requests" : "every request" };
	pv_rc rc = pv_audit_append(v, &e);
	if (rc)
		return rc;
	if (pv_authz_request_scan(v, list_one, &l) < 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return l.oom ? pv_fail(v, PV_ERR_NOMEM, "out of memory") : pv_ok(v);
}

pv_rc pv_request_get(pv_vault *v, const char *id, char **op, char **command)
{
	struct request_copy c;
	pv_rc rc = request_load(v, id, &c);
	if (rc)
		return rc;
	*op = strdup(c.r.op);
	*command = strdup(c.r.command);
	request_copy_free(&c);
	if (!*op || !*command) {
		free(*op);
		free(*command);
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	}
	return pv_ok(v);
}

void pv_approval_close(pv_vault *v)
{
	asking_free(v);
}
