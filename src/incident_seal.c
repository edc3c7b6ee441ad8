/* SPDX-License-Identifier: Apache-2.0 */
/* incident_seal.c: sealing a breach incident's customers (信息封存) and releasing them.
 * Sealing copies the customers of the incident's stored scope into its seal (a seal only
 * grows: sealing again adds the scope as it is now) and records the seal's count and
 * digest in the protected setting the reads check (seal_gate.c); an open incident
 * becomes contained. Releasing is a four-eyes operation: the request binds the incident
 * and the exact set it seals, so a release approved before the set changed is refused.
 * Both check the seal state whole first and are audited. */
#include "approvals.h"
#include "audit.h"
#include "authz_mac.h"
#include "dates.h"
#include "incident_digest.h"
#include "policy.h"
#include "seal_gate.h"
#include "seal_history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pv_rc store_failed(pv_vault *v)
{
	return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
}

/* The incident must exist and not be closed; an open one becomes contained (copied so
 * that the row outlives the store call that reads it). */
static pv_rc contain(pv_vault *v, const char *id)
{
	struct pv_stored_incident c;
	int got = pv_store_incident_get(v->store, id, &c);
	if (got != 0)
		return got < 0 ? store_failed(v) : pv_fail(v, PV_ERR_NOT_FOUND, "no incident %s", id);
	if (strcmp(c.state, "closed") == 0)
		return pv_fail(v, PV_ERR_USAGE, "state: incident %s is closed; it seals nothing",
			       id);
	if (strcmp(c.state, "open") != 0)
		return PV_OK;
	char f[11][256], now[32];
	const char *from[11] = { c.id,		c.kind,	       c.state,	      c.detected_at,
				 c.description, c.opened_by,   c.opened_at,   c.contained_at,
				 c.notified_at, c.closed_at,   c.scope_filter };
	for (int i = 0; i < 11; i++)
		snprintf(f[i], sizeof f[i], "%s", from[i]);
	pv_time_now(now, sizeof now);
	struct pv_stored_incident k = { f[0], f[1], "contained", f[3], f[4], f[5],
					f[6], now,  f[8],	 f[9], f[10] };
	return pv_store_incident_put(v->store, &k) ? store_failed(v) : PV_OK;
}

static int scope_id(void *ctx, const char *customer, const char *categories)
{
	(void)categories;
	return pv_idset_add(ctx, customer) < 0 ? -1 : 0;
}

struct seal_args {
	const char *id;
	size_t sealed, added;
	struct pv_idset ids;
};

/* In the transaction: the scope's customers and those sealed already, sealed. */
static pv_rc do_seal(pv_vault *v, struct seal_args *a)
{
	pv_rc rc = pv_seal_reload(v);
	if (rc || (rc = pv_incident_digests_check(v)) || (rc = contain(v, a->id)) != PV_OK)
		return rc;
	if (pv_store_incident_scope_scan(v->store, a->id, scope_id, &a->ids) < 0 || a->ids.oom)
		return a->ids.oom ? pv_fail(v, PV_ERR_NOMEM, "out of memory") : store_failed(v);
	if (a->ids.n == 0)
		return pv_fail(v, PV_ERR_USAGE, "incident %s has no scope: find it first "
			       "(incident scope)", a->id);
	const struct pv_sealed_incident *was = pv_seal_incident(v, a->id);
	size_t before = was ? was->n : 0;
	for (size_t i = 0; was && i < was->ids.n; i++)
		if (pv_idset_add(&a->ids, was->ids.ids[i]) < 0)
			return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	pv_idset_sort(&a->ids);
	for (size_t i = 0; i < a->ids.n; i++)
		if (pv_store_seal_add(v->store, a->id, a->ids.ids[i]) != 0)
			return store_failed(v);
	char digest[65];
	pv_seal_digest(a->id, &a->ids, digest);
	if (pv_seal_record(v, a->id, a->ids.n, digest) != 0 ||
	    pv_seal_history_sealed(v, a->id, before > 0) != 0)
		return store_failed(v);
	a->sealed = a->ids.n;
	a->added = a->ids.n - before;
	return pv_incident_digests_record(v); /* the incident may be contained now */
}

static pv_rc authorize(pv_vault *v, const pv_access *who, const char *op)
{
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_INCIDENT, &role);
	return rc ? pv_audit_failure(v, rc, op, NULL, NULL) : PV_OK;
}

/* End the operation's transaction with its audit entry; the handle forgets the seal
 * state it kept either way. */
static pv_rc finish(pv_vault *v, const char *op, const char *detail, pv_rc rc)
{
	struct pv_audit_event e = { op, NULL, NULL, v->request_id[0] ? v->request_id : NULL,
				    "ok", detail };
	rc = pv_audit_commit(v, &e, rc);
	pv_seal_forget(v);
	return rc ? pv_audit_failure(v, rc, op, NULL, NULL) : pv_ok(v);
}

pv_rc pv_incident_seal(pv_vault *v, const pv_access *who, const char *id, size_t *sealed)
{
	*sealed = 0;
	pv_rc rc = authorize(v, who, "incident seal");
	if (rc)
		return rc;
	if (!id || !*id)
		return pv_audit_failure(v, pv_fail(v, PV_ERR_USAGE, "name the incident (id)"),
					"incident seal", NULL, NULL);
	if (pv_store_begin(v->store) != 0)
		return store_failed(v);
	struct seal_args a = { id, 0, 0, { 0 } };
	rc = do_seal(v, &a);
	pv_idset_free(&a.ids);
	char detail[128];
	snprintf(detail, sizeof detail, "%.20s: %zu customers sealed (%zu added)", id, a.sealed,
		 a.added);
	if ((rc = finish(v, "incident seal", detail, rc)) == PV_OK)
		*sealed = a.sealed;
	return rc;
}

/* Who approved the request the handle runs under, into name ("" when none was needed). */
static const char *approver_of(pv_vault *v, char name[72])
{
	struct pv_stored_request r;
	name[0] = '\0';
	if (v->request_id[0] && pv_authz_request_get(v, v->request_id, &r) == 0)
		snprintf(name, 72, "%s", r.approver);
	return name;
}

/* In the transaction: the approval for exactly this set, then the seal lifted. */
static pv_rc do_release(pv_vault *v, const char *id, size_t *released)
{
	pv_rc rc = pv_seal_reload(v);
	if (rc || (rc = pv_incident_digests_check(v)) != PV_OK)
		return rc;
	const struct pv_sealed_incident *s = pv_seal_incident(v, id);
	if (!s)
		return pv_fail(v, PV_ERR_USAGE, "incident %s seals nothing", id);
	struct pv_params p;
	pv_params_init(&p);
	pv_params_add(&p, "incident", id);
	pv_params_add_ids(&p, "sealed", (const char *const *)s->ids.ids, s->ids.n);
	*released = s->n;
	rc = pv_approval_consume(v, "incident release", &p);
	pv_params_free(&p);
	char approver[72];
	if (rc)
		return rc;
	if (pv_store_seal_clear(v->store, id) != 0 || pv_seal_record(v, id, 0, NULL) != 0 ||
	    pv_seal_history_released(v, id, approver_of(v, approver)) != 0)
		return store_failed(v);
	return PV_OK;
}

pv_rc pv_incident_release(pv_vault *v, const pv_access *who, const char *id, size_t *released)
{
	*released = 0;
	pv_rc rc = authorize(v, who, "incident release");
	if (rc)
		return rc;
	if (!id || !*id)
		return pv_audit_failure(v, pv_fail(v, PV_ERR_USAGE, "name the incident (id)"),
					"incident release", NULL, NULL);
	if (pv_store_begin(v->store) != 0)
		return store_failed(v);
	size_t n = 0;
	rc = do_release(v, id, &n);
	char detail[96];
	snprintf(detail, sizeof detail, "%.20s: %zu customers released", id, n);
	if ((rc = finish(v, "incident release", detail, rc)) == PV_OK)
		*released = n;
	return rc;
}
