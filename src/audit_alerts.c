/* SPDX-License-Identifier: Apache-2.0 */
/* audit_alerts.c: bulk reads found in the audit log: every export, every list shown in
 * clear, and every user who read more customers in one clock hour than the threshold
 * (meta "alert_reads_per_hour", default 100). */
#include "audit_alerts.h"

#include "approvals.h"
#include "audit.h"
#include "bulk_reads.h"
#include "authz_mac.h"
#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* Customers an entry read: ids listed, or "N customers" in a list's detail. */
static uint64_t customers_read(const struct pv_audit_row *e)
{
	if (strcmp(e->outcome, "ok") != 0)
		return 0;
	if (strcmp(e->op, "read") && strcmp(e->op, "find") && strcmp(e->op, "list"))
		return 0;
	if (!*e->ids)
		return 0;
	uint64_t n = 1;
	for (const char *p = e->ids; *p; p++)
		n += *p == ',';
	return n;
}

/* Per user and hour, the running count (a small open list: users are few). */
struct hour_count {
	char user[72];
	char hour[14]; /* "YYYY-MM-DDTHH" */
	uint64_t n;
	int reported;
	uint64_t first_seq;
};

struct alert_ctx {
	uint64_t limit;
	pv_alert_fn fn;
	void *ctx;
	struct hour_count *hc;
	size_t nhc, caphc;
	int stop;
};

static int emit(struct alert_ctx *a, uint64_t seq, const char *at, const char *user,
		const char *kind, const char *detail)
{
	pv_audit_alert al = { seq, at, user, kind, detail };
	a->stop = a->fn(a->ctx, &al);
	return a->stop;
}

static int alert_one(void *p, const struct pv_audit_row *e)
{
	struct alert_ctx *a = p;
	char detail[256];
	if (strcmp(e->op, "export") == 0 && strcmp(e->outcome, "ok") == 0) {
		snprintf(detail, sizeof detail, "bulk export: %s", e->detail);
		return emit(a, e->seq, e->at, e->user, "bulk export", detail);
	}
	if (strcmp(e->op, "list") == 0 && strcmp(e->outcome, "ok") == 0 &&
	    strstr(e->detail, "clear")) {
		snprintf(detail, sizeof detail, "list with clear values: %s", e->detail);
		if (emit(a, e->seq, e->at, e->user, "clear list", detail))
			return 1;
	}
	uint64_t n = customers_read(e);
	if (!n)
		return 0;
	struct hour_count *h = NULL;
	for (size_t i = 0; i < a->nhc; i++)
		if (strcmp(a->hc[i].user, e->user) == 0)
			h = &a->hc[i];
	if (!h) {
		if (a->nhc == a->caphc) {
			size_t cap = a->caphc ? 2 * a->caphc : 16;
			struct hour_count *nh = realloc(a->hc, cap * sizeof *nh);
			if (!nh)
				return -1;
			a->hc = nh;
			a->caphc = cap;
		}
		h = &a->hc[a->nhc++];
		memset(h, 0, sizeof *h);
		snprintf(h->user, sizeof h->user, "%s", e->user);
	}
	if (strncmp(h->hour, e->at, 13) != 0) { /* a new hour for this user */
		snprintf(h->hour, sizeof h->hour, "%.13s", e->at);
		h->n = 0;
		h->reported = 0;
		h->first_seq = e->seq;
	}
	h->n += n;
	if (h->n > a->limit && !h->reported) {
		h->reported = 1;
		snprintf(detail, sizeof detail, "more than %llu customers read in the hour from "
			 "%s:00 (entries from %llu)", (unsigned long long)a->limit, h->hour,
			 (unsigned long long)h->first_seq);
		return emit(a, e->seq, e->at, e->user, "many reads", detail);
	}
	return 0;
}

pv_rc pv_audit_alerts_each(pv_vault *v, pv_alert_fn fn, void *ctx)
{
	pv_audit_fresh(v); /* the log as it is now */
	struct alert_ctx a = { 0, fn, ctx, NULL, 0, 0, 0 };
	pv_rc rc = pv_bulk_limit(v, &a.limit);
	if (rc != PV_OK)
		return rc;
	int st = pv_store_audit_scan(v->store, 1, alert_one, &a);
	free(a.hc);
	if (st < 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return PV_OK;
}

pv_rc pv_audit_alerts(pv_vault *v, const pv_access *who, pv_alert_fn fn, void *ctx)
{
	pv_audit_fresh(v); /* the log as it is now */
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_AUDIT, &role);
	if (rc)
		return pv_audit_failure(v, rc, "audit alerts", NULL, NULL);
	struct pv_audit_event e = { "audit alerts", NULL, NULL, NULL, "ok", NULL };
	if ((rc = pv_audit_append(v, &e)) != PV_OK)
		return rc;
	rc = pv_audit_alerts_each(v, fn, ctx);
	return rc ? rc : pv_ok(v);
}

pv_rc pv_audit_set_alert_threshold(pv_vault *v, const pv_access *who, unsigned per_hour)
{
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_AUDIT, &role);
	if (rc)
		return pv_audit_failure(v, rc, "audit threshold", NULL, NULL);
	if (per_hour == 0 || per_hour > PV_BULK_LIMIT_MAX)
		return pv_fail(v, PV_ERR_USAGE, "the threshold must be at least 1 and at most %u",
			       PV_BULK_LIMIT_MAX);
	char buf[24], detail[128];
	int n = snprintf(buf, sizeof buf, "%u", per_hour);
	snprintf(detail, sizeof detail, "bulk limit %u customers in clear a session, and an "
		 "hour before an alert", per_hour);
	struct pv_params ap; /* it bounds reads in clear: a second person agrees */
	pv_params_init(&ap);
	pv_params_add(&ap, "limit", buf);
	rc = pv_store_begin(v->store) ? pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store))
				      : pv_approval_consume(v, "audit threshold", &ap);
	pv_params_free(&ap);
	if (!rc && pv_authz_meta_put(v, "alert_reads_per_hour", buf, (size_t)n))
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	v->bulk_limit = 0; /* read anew */
	struct pv_audit_event e = { "audit threshold", NULL, NULL, NULL, "ok", detail };
	rc = pv_audit_commit(v, &e, rc);
	return rc ? pv_audit_failure(v, rc, "audit threshold", NULL, NULL) : pv_ok(v);
}
