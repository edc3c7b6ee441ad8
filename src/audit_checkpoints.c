/* SPDX-License-Identifier: Apache-2.0 */
/* audit_checkpoints.c: the audit log's signed checkpoints listed a page at a time, each
 * with its position (the log's size it covers), Merkle root, time, and whether its
 * signature verifies now under the vault's key (a row a DBA altered or forged does not). */
#include "audit.h"
#include "policy.h"

#include <stdio.h>
#include <string.h>

#define LIMIT_MAX 1000

struct listing {
	pv_checkpoint_fn fn;
	void *ctx;
	pv_vault *v;
	size_t limit, shown;
	uint64_t last; /* the size of the last one shown */
	int more, stopped;
};

static int list_one(void *p, const struct pv_audit_checkpoint *c)
{
	struct listing *l = p;
	if (l->shown == l->limit) {
		l->more = 1;
		return 1;
	}
	char root[2 * PV_AUDIT_HASH + 1];
	pv_hex(root, c->root, PV_AUDIT_HASH);
	pv_audit_checkpoint_info info = { c->size, root, c->at,
					  pv_audit_checkpoint_signed(l->v, c) };
	l->shown++;
	l->last = c->size;
	if (l->fn(l->ctx, &info) != 0) {
		l->stopped = 1;
		return 1;
	}
	return 0;
}

pv_rc pv_audit_checkpoints(pv_vault *v, const pv_access *who, uint64_t after, size_t limit,
			   pv_checkpoint_fn fn, void *ctx, uint64_t *next_after)
{
	pv_audit_fresh(v); /* the log as it is now */
	if (next_after)
		*next_after = 0;
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_AUDIT, &role);
	if (rc)
		return pv_audit_failure(v, rc, "audit checkpoints", NULL, NULL);
	if (limit < 1 || limit > LIMIT_MAX || !fn)
		return pv_fail(v, PV_ERR_USAGE, "a page holds 1 to %d checkpoints", LIMIT_MAX);
	char detail[64];
	snprintf(detail, sizeof detail, "after %llu, at most %zu", (unsigned long long)after,
		 limit);
	struct pv_audit_event e = { "audit checkpoints", NULL, NULL, NULL, "ok", detail };
	if ((rc = pv_audit_append(v, &e)) != PV_OK)
		return rc;
	struct listing l = { fn, ctx, v, limit, 0, 0, 0, 0 };
	if (pv_store_audit_checkpoint_scan(v->store, after, list_one, &l) < 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (next_after && l.more && !l.stopped)
		*next_after = l.last;
	return pv_ok(v);
}
