/* SPDX-License-Identifier: Apache-2.0 */
/* holds.c: legal holds (litigation, a regulator's request): a held customer is never
 * shredded, whatever retention or a deletion request says, until the hold is released. */
#include "audit.h"
#include "authz_mac.h"
#include "record.h"
#include "validate.h"
#include "dates.h"
#include "holds.h"
#include "policy.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

pv_rc pv_hold_check(pv_vault *v, const char *id)
{
	char reason[256], since[32];
	int held = pv_authz_hold_active(v, id, reason, sizeof reason, since, sizeof since);
	if (held < 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (held)
		return pv_fail(v, PV_ERR_DENIED, "customer %s is under a legal hold since %s (%s); "
			       "it cannot be destroyed until the hold is released", id, since, reason);
	return PV_OK;
}

/* Place (add = 1) or release holds on ids, in one transaction with its audit entry. */
static pv_rc change(pv_vault *v, const pv_access *who, const char *const *ids, size_t n,
		    const char *reason, int add)
{
	const char *op = add ? "hold add" : "hold release";
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_HOLD, &role);
	if (rc)
		return pv_audit_failure(v, rc, op, NULL, NULL);
	if (n == 0)
		return pv_fail(v, PV_ERR_USAGE, "at least one customer id is required");
	if (add && (!reason || !*reason))
		return pv_fail(v, PV_ERR_USAGE, "a legal hold needs a reason (--reason)");
	char now[32], ids_text[4096] = "";
	pv_time_now(now, sizeof now);
	if (pv_store_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	for (size_t i = 0; !rc && i < n; i++) {
		struct pv_stored_customer c;
		int got = pv_store_customer_get(v->store, ids[i], &c);
		if (got != 0 && add) {
			rc = got < 0 ? pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store))
				     : pv_no_customer(v, ids[i]);
			break;
		}
		int released = 0;
		if (add ? pv_authz_hold_add(v, ids[i], reason, v->principal, now)
			: pv_authz_hold_release(v, ids[i], now, v->principal, &released))
			rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
		else if (!add && !released)
			rc = pv_customer_id_ok(ids[i])
				     ? pv_fail(v, PV_ERR_NOT_FOUND, "customer %s has no legal hold in "
					       "force", ids[i])
				     : pv_fail(v, PV_ERR_NOT_FOUND, "no legal hold in force for the id "
					       "given (not repeated: it is not the shape of an id)");
		size_t l = strlen(ids_text);
		snprintf(ids_text + l, sizeof ids_text - l, "%s%s", l ? "," : "", ids[i]);
	}
	struct pv_audit_event e = { op, ids_text, NULL, NULL, "ok", reason };
	rc = pv_audit_commit(v, &e, rc);
	return rc ? pv_audit_failure(v, rc, op, ids_text, NULL) : pv_ok(v);
}

pv_rc pv_hold_add(pv_vault *v, const pv_access *who, const char *const *ids, size_t n,
		  const char *reason)
{
	return change(v, who, ids, n, reason, 1);
}

pv_rc pv_hold_release(pv_vault *v, const pv_access *who, const char *const *ids, size_t n,
		      const char *reason)
{
	return change(v, who, ids, n, reason, 0);
}

struct list_ctx {
	pv_hold_fn fn;
	void *ctx;
	struct pv_shown shown;
};

static int list_one(void *p, const char *customer, const char *reason, const char *by,
		    const char *since, const char *released, const char *released_by)
{
	struct list_ctx *l = p;
	int show = pv_shown_row(&l->shown, customer);
	if (show <= 0)
		return show;
	pv_hold_info h = { customer, reason, by, since, released, released_by };
	return l->fn(l->ctx, &h) ? 1 : 0;
}

pv_rc pv_hold_list(pv_vault *v, const pv_access *who, pv_hold_fn fn, void *ctx)
{
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_HOLD, &role);
	if (rc)
		return pv_audit_failure(v, rc, "hold list", NULL, NULL);
	struct pv_audit_event e = { "hold list", NULL, NULL, NULL, "ok", NULL };
	struct list_ctx l = { fn, ctx, { { 0 }, 0 } };
	if (pv_authz_hold_scan(v, list_one, &l) < 0) /* the ids, named first */
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (!rc)
		rc = pv_shown_audit(v, &l.shown, &e);
	if (!rc && pv_authz_hold_scan(v, list_one, &l) < 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	pv_shown_free(&l.shown);
	return rc ? rc : pv_ok(v);
}
