/* SPDX-License-Identifier: Apache-2.0 */
/* consent.c: consent records per customer and purpose: given or withdrawn, when, by what
 * channel, under which version of the consent text, with their history. A purpose the
 * schema marks `consent: required` reaches only customers whose consent is in force. */
#include "dates.h"
#include "audit.h"
#include "record.h"
#include "consent.h"
#include "policy.h"
#include "seal_gate.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int pv_consent_needed(const pv_vault *v, const pv_access *who)
{
	if (!who || !who->purpose)
		return 0;
	int p = pv_schema_purpose_index(v->schema, who->purpose);
	return p >= 0 && v->schema->purposes[p].consent_required;
}

int pv_read_gated(pv_vault *v, const pv_access *who)
{
	return pv_consent_needed(v, who) || pv_store_customer_flags_any(v->store) != 0 ||
	       pv_seal_any(v);
}

int pv_read_blocked(pv_vault *v, const pv_access *who, int64_t rid, const char *id)
{
	if (pv_seal_holds(v, id)) /* before all: no purpose reads a sealed customer */
		return PV_BLOCK_SEALED;
	int needs_consent = pv_consent_needed(v, who);
	if (needs_consent) {
		int state = pv_store_consent_state(v->store, rid, who->purpose);
		if (state < 0) {
			pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
			return -1;
		}
		if (!state)
			return PV_BLOCK_CONSENT;
	}
	int restricted, objected;
	if (pv_store_customer_flags(v->store, id, &restricted, &objected) != 0) {
		pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
		return -1;
	}
	if (restricted && (!who || !who->purpose ||
			   strcmp(who->purpose, PV_PURPOSE_LEGAL_CLAIMS) != 0))
		return PV_BLOCK_RESTRICTED;
	return objected && needs_consent ? PV_BLOCK_OBJECTED : 0;
}

pv_rc pv_read_refused(pv_vault *v, const pv_access *who, const char *id, int block)
{
	const char *purpose = who && who->purpose ? who->purpose : "";
	switch (block) {
	case PV_BLOCK_SEALED:
		return pv_seal_refused(v, id);
	case PV_BLOCK_RESTRICTED:
		return pv_fail(v, PV_ERR_DENIED, "customer %s restricted the processing of their "
			       "data: it is read only for legal claims (purpose '%s')", id,
			       PV_PURPOSE_LEGAL_CLAIMS);
	case PV_BLOCK_OBJECTED:
		return pv_fail(v, PV_ERR_DENIED, "customer %s objected to processing for purpose "
			       "'%s'", id, purpose);
	default:
		return pv_fail(v, PV_ERR_DENIED, "customer %s has not given consent for purpose "
			       "'%s' (never given, or withdrawn)", id, purpose);
	}
}

pv_rc pv_consent_set(pv_vault *v, const pv_access *who, const char *id, const char *purpose,
		     pv_consent_state granted, const char *channel, const char *text_version)
{
	granted = granted != 0;
	const char *op = granted ? "consent grant" : "consent withdraw";
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_CONSENT, &role);
	if (rc)
		return pv_audit_failure(v, rc, op, id, NULL);
	if (pv_schema_purpose_index(v->schema, purpose) < 0)
		return pv_fail(v, PV_ERR_USAGE, "no purpose '%s' in the schema", purpose);
	if (!channel || !*channel)
		return pv_fail(v, PV_ERR_USAGE, "say by what channel the consent came (--channel)");
	char at[32], detail[200];
	pv_time_now(at, sizeof at);
	snprintf(detail, sizeof detail, "%s by %s%s%s", purpose, channel,
		 text_version && *text_version ? ", text " : "", text_version ? text_version : "");
	if (pv_store_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	struct pv_stored_customer c;
	rc = pv_customer_find(v, id, &c);
	struct pv_consent_event_row e = { id, purpose, granted, at, channel,
					  text_version ? text_version : "", v->principal };
	if (!rc && (pv_store_consent_put(v->store, c.rid, purpose, granted, at, channel) != 0 ||
		    pv_store_consent_log(v->store, &e) != 0))
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	struct pv_audit_event ev = { op, id, purpose, NULL, "ok", detail };
	rc = pv_audit_commit(v, &ev, rc);
	return rc ? pv_audit_failure(v, rc, op, id, purpose) : pv_ok(v);
}

struct history_ctx {
	pv_consent_fn fn;
	void *ctx;
};

static int history_one(void *p, const struct pv_consent_event_row *e)
{
	struct history_ctx *h = p;
	pv_consent_event out = { e->purpose, e->granted, e->at, e->channel, e->text_version,
				 e->recorded_by };
	return h->fn(h->ctx, &out) ? 1 : 0;
}

pv_rc pv_consent_history(pv_vault *v, const pv_access *who, const char *id, pv_consent_fn fn,
			 void *ctx)
{
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_CONSENT, &role);
	if (rc)
		return pv_audit_failure(v, rc, "consent show", id, NULL);
	struct pv_audit_event e = { "consent show", id, NULL, NULL, "ok", NULL };
	if ((rc = pv_audit_append(v, &e)) != PV_OK)
		return rc;
	struct history_ctx h = { fn, ctx };
	if (pv_store_consent_log_scan(v->store, id, history_one, &h) < 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return pv_ok(v);
}
