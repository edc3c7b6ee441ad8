/* SPDX-License-Identifier: Apache-2.0 */
/* notices.c: the record of every notice sent to a customer (告知): of a transfer to a new
 * holder (PIPL art. 22), of a breach (art. 57), a reply to a data-subject request, a
 * consent or policy notice. What was sent (its kind and text version), by which channel,
 * when and by whom, and where its delivery stands. Each kind needs the permission of the
 * work it belongs to; every change is audited. */
#include "audit.h"
#include "dates.h"
#include "policy.h"
#include "record.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *kind;
	enum pv_operation op;
} kinds[] = {
	{ "transfer", PV_OP_HANDOVER }, { "breach", PV_OP_INCIDENT }, { "dsr-reply", PV_OP_DSR },
	{ "consent", PV_OP_CONSENT },	{ "policy", PV_OP_CONSENT },
	{ "breach-report", PV_OP_INCIDENT }, /* to the regulator: no customer (incident notify) */
};
static const char *const channels[] = { "sms", "email", "letter", "phone", "app", "in-person",
					NULL };
static const char *const states[] = { "queued", "sent", "delivered", "failed", "returned", NULL };

static int one_of(const char *s, const char *const *list)
{
	for (; s && *list; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

/* The permission kind needs, or -1 for an unknown kind. */
static int op_of_kind(const char *kind)
{
	for (size_t i = 0; kind && i < sizeof kinds / sizeof *kinds; i++)
		if (strcmp(kind, kinds[i].kind) == 0)
			return (int)kinds[i].op;
	return -1;
}

/* A text version is a short label ("transfer-2026-11 v2"): printable, no newline. */
static int label_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* Write the change and its audit entry in one transaction. */
static pv_rc commit_with_audit(pv_vault *v, const char *op, const char *customer,
			       const char *detail, pv_rc rc)
{
	struct pv_audit_event e = { op, customer, NULL, NULL, "ok", detail };
	rc = pv_audit_commit(v, &e, rc);
	return rc ? pv_audit_failure(v, rc, op, customer, NULL) : pv_ok(v);
}

pv_rc pv_notice_record(pv_vault *v, const pv_access *who, const char *customer,
		       const char *kind, const char *text_version, const char *channel,
		       const char *state, int64_t *notice)
{
	*notice = 0;
	int op = op_of_kind(kind), role;
	if (!pv_customer_id_ok(customer)) /* checked first: only an id reaches the audit log */
		return pv_fail(v, PV_ERR_USAGE, "a notice needs a customer id as at import");
	if (op < 0)
		return pv_fail(v, PV_ERR_USAGE, "notice kind must be transfer, breach, dsr-reply, "
			       "consent or policy");
	pv_rc rc = pv_policy_authorize(v, who, (enum pv_operation)op, &role);
	if (rc)
		return pv_audit_failure(v, rc, "notice record", customer, NULL);
	if (!one_of(channel, channels))
		return pv_fail(v, PV_ERR_USAGE, "notice channel must be sms, email, letter, phone, "
			       "app or in-person");
	if (!state)
		state = "sent";
	if (!one_of(state, states))
		return pv_fail(v, PV_ERR_USAGE, "notice state must be queued, sent, delivered, "
			       "failed or returned");
	if (!label_ok(text_version))
		return pv_fail(v, PV_ERR_USAGE, "a notice needs the version of its text (1 to 64 "
			       "printable characters), not the text itself");
	if (pv_store_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	struct pv_stored_customer c;
	rc = pv_customer_find(v, customer, &c);
	char now[32], detail[200];
	pv_time_now(now, sizeof now);
	struct pv_store_notice n = { customer, kind, text_version, channel, now, v->principal,
				     state, now };
	if (!rc && pv_store_notice_add(v->store, &n, notice) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	snprintf(detail, sizeof detail, "notice %lld: %s, text %s, by %s, %s", (long long)*notice,
		 kind, text_version, channel, state);
	rc = commit_with_audit(v, "notice record", customer, detail, rc);
	if (rc)
		*notice = 0;
	return rc;
}

pv_rc pv_notice_set_state(pv_vault *v, const pv_access *who, int64_t notice, const char *state)
{
	if (!one_of(state, states))
		return pv_fail(v, PV_ERR_USAGE, "notice state must be queued, sent, delivered, "
			       "failed or returned");
	char kind[16], customer[80] = "", detail[96];
	int found = pv_store_notice_kind(v->store, notice, kind, sizeof kind, customer,
					 sizeof customer);
	if (found < 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (found > 0 || op_of_kind(kind) < 0)
		return pv_fail(v, PV_ERR_NOT_FOUND, "no notice %lld", (long long)notice);
	int role;
	pv_rc rc = pv_policy_authorize(v, who, (enum pv_operation)op_of_kind(kind), &role);
	if (rc) {
		char msg[sizeof v->errmsg];
		snprintf(msg, sizeof msg, "notice %lld: %.900s", (long long)notice, v->errmsg);
		pv_fail(v, rc, "%s", msg);
		return pv_audit_failure(v, rc, "notice state", customer, NULL);
	}
	if (pv_store_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	char now[32];
	pv_time_now(now, sizeof now);
	int st = pv_store_notice_set_state(v->store, notice, state, now, customer, sizeof customer);
	if (st < 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	else if (st > 0)
		rc = pv_fail(v, PV_ERR_NOT_FOUND, "no notice %lld", (long long)notice);
	snprintf(detail, sizeof detail, "notice %lld: %s", (long long)notice, state);
	return commit_with_audit(v, "notice state", *customer ? customer : NULL, detail, rc);
}

struct list_ctx {
	pv_notice_fn fn;
	void *ctx;
	struct pv_shown shown;
};

static int list_one(void *ctx, int64_t notice, const struct pv_store_notice *n)
{
	struct list_ctx *l = ctx;
	/* a regulator's report names no customer: nothing to add to the entry */
	int show = *n->customer ? pv_shown_row(&l->shown, n->customer) : l->shown.showing;
	if (show <= 0)
		return show;
	pv_notice_info i = { notice,	  n->customer, n->kind,  n->text_version, n->channel,
			     n->sent,	  n->sent_by,  n->state, n->state_at };
	return l->fn(l->ctx, &i) ? 1 : 0;
}

pv_rc pv_notice_list(pv_vault *v, const pv_access *who, const char *customer, pv_notice_fn fn,
		     void *ctx)
{
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_REPORT, &role);
	if (rc)
		return pv_audit_failure(v, rc, "notice list", customer, NULL);
	struct pv_audit_event e = { "notice list", NULL, NULL, NULL, "ok", NULL };
	struct list_ctx l = { fn, ctx, { { 0 }, 0 } };
	if (pv_store_notice_scan(v->store, customer, list_one, &l) < 0) /* ids named first */
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (!rc)
		rc = pv_shown_audit(v, &l.shown, &e);
	if (!rc && pv_store_notice_scan(v->store, customer, list_one, &l) < 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	pv_shown_free(&l.shown);
	return rc ? rc : pv_ok(v);
}
