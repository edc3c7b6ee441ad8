/* SPDX-License-Identifier: Apache-2.0 */
/* keyring_nodes.c: the nodes (vault directories with keyrings of their own over one store)
 * as people see and manage them: the list, with how far each lags the keyring journal,
 * and the retirement of a node that is gone for good, so that shreds' certificates stop
 * waiting for it. Retiring says that node's keyring and its copies are destroyed: a
 * certificate then names the retired nodes, and a retired node's keyring is refused at
 * open (keyring_sync.c). Four eyes: a retirement that was not true would let certificates
 * say complete while a keyring still holds destroyed keys. */
#include "approvals.h"
#include "audit.h"
#include "dates.h"
#include "policy.h"

#include <stdio.h>
#include <string.h>

struct node_walk {
	pv_vault *v;
	pv_node_fn fn;
	void *ctx;
	uint64_t last; /* the keyring journal's last entry */
	int retired;   /* walking the retired nodes */
	int stop;
};

static int node_shown(void *p, const char *node_id, const char *name, const char *at,
		      uint64_t applied_seq)
{
	struct node_walk *w = p;
	pv_node_info n = { .id = node_id, .name = name, .applied = applied_seq };
	if (w->retired) {
		n.retired_at = at;
	} else {
		n.registered_at = at;
		n.behind = applied_seq < w->last ? w->last - applied_seq : 0;
		n.self = strcmp(node_id, w->v->node_id) == 0;
	}
	w->stop = w->fn(w->ctx, &n);
	return w->stop;
}

pv_rc pv_node_list(pv_vault *v, const pv_access *who, pv_node_fn fn, void *ctx)
{
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_AUDIT, &role);
	if (rc)
		return pv_audit_failure(v, rc, "node list", NULL, NULL);
	struct pv_audit_event e = { "node list", NULL, NULL, NULL, "ok", NULL };
	if ((rc = pv_audit_append(v, &e)) != PV_OK)
		return rc;
	struct node_walk w = { v, fn, ctx, 0, 0, 0 };
	if (pv_store_kjournal_last(v->store, &w.last) != 0 ||
	    pv_store_node_scan(v->store, node_shown, &w) < 0)
		return pv_fail(v, PV_ERR_STORE, "keyring nodes: %s", pv_store_errmsg(v->store));
	w.retired = 1;
	if (!w.stop && pv_store_node_retired_scan(v->store, node_shown, &w) < 0)
		return pv_fail(v, PV_ERR_STORE, "keyring nodes: %s", pv_store_errmsg(v->store));
	return pv_ok(v);
}

/* 32 lowercase hex digits. */
static int node_id_ok(const char *id)
{
	if (!id || strlen(id) != 32)
		return 0;
	for (const char *p = id; *p; p++)
		if (!strchr("0123456789abcdef", *p))
			return 0;
	return 1;
}

pv_rc pv_node_retire(pv_vault *v, const pv_access *who, const char *node_id)
{
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_SHRED, &role);
	if (rc)
		return pv_audit_failure(v, rc, "node retire", NULL, NULL);
	if (!node_id_ok(node_id))
		return pv_fail(v, PV_ERR_USAGE, "not a node id: 32 hex digits, as pivault node list "
			       "shows them");
	if (strcmp(node_id, v->node_id) == 0)
		return pv_fail(v, PV_ERR_USAGE, "this is the node you run on: retire a node from "
			       "another one");
	struct pv_params ap; /* a second person agrees the machine and its keyring are gone */
	pv_params_init(&ap);
	pv_params_add(&ap, "node", node_id);
	rc = pv_store_begin(v->store) ? pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store))
				      : pv_approval_consume(v, "node retire", &ap);
	pv_params_free(&ap);
	char at[32], detail[128];
	pv_time_now(at, sizeof at);
	int st = rc ? 0 : pv_store_node_retire(v->store, node_id, at);
	if (st < 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	else if (st == 1)
		rc = pv_fail(v, PV_ERR_NOT_FOUND, "no node %s is registered (pivault node list)",
			     node_id);
	snprintf(detail, sizeof detail, "keyring node %s retired: its keyring is destroyed",
		 node_id);
	struct pv_audit_event e = { "node retire", NULL, NULL, NULL, "ok", detail };
	rc = pv_audit_commit(v, &e, rc);
	return rc ? pv_audit_failure(v, rc, "node retire", NULL, NULL) : pv_ok(v);
}
