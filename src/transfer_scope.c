/* SPDX-License-Identifier: Apache-2.0 */
/* transfer_scope.c: who a transfer plan covers. A plan is loaded with its scope parsed
 * and, read once, who stays out of its package: objections and deletion requests by the
 * deadline, consents withdrawn for a purpose the recipient will use, restrictions and
 * objections recorded on customers, legal holds, and (abroad) customers without separate
 * consent. The walk goes through the customers in scope, opening them when asked (on two
 * threads, customer_walk.c), each with the reason it stays out; on it are built the list
 * of exclusions and the shredding of those who objected. */
#include "transfers.h"

#include "approvals.h"
#include "audit.h"
#include "authz_mac.h"
#include "customer_walk.h"
#include "idset.h"
#include "policy.h"
#include "record.h"
#include "erasure.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- loading ---- */

/* An objection or a deletion request opened by the deadline keeps a customer out. */
static int add_objector(void *ctx, const struct pv_stored_dsr *d)
{
	struct pv_plan *p = ctx;
	if ((strcmp(d->type, "object") != 0 && strcmp(d->type, "delete") != 0) ||
	    strncmp(d->opened, p->deadline, 10) > 0)
		return 0;
	return pv_idset_add(&p->objectors, d->customer);
}

static int add_withdrawn(void *ctx, const char *customer, const char *purpose)
{
	struct pv_plan *p = ctx;
	for (size_t i = 0; i < p->npurposes_withdrawable; i++)
		if (strcmp(purpose, p->purposes_withdrawable[i]) == 0)
			return pv_idset_add(&p->withdrawn, customer);
	return 0;
}

static int add_held(void *ctx, const char *customer, const char *reason, const char *by,
		    const char *since, const char *released, const char *released_by)
{
	(void)reason, (void)by, (void)since, (void)released_by;
	return released[0] ? 0 : pv_idset_add(&((struct pv_plan *)ctx)->held, customer);
}

/* An objection recorded on the customer (a fulfilled request) counts too. */
static int add_flagged(void *ctx, const char *customer, int restricted, int objected)
{
	struct pv_plan *p = ctx;
	if (objected && pv_idset_add(&p->objectors, customer) != 0)
		return -1;
	return restricted ? pv_idset_add(&p->restricted, customer) : 0;
}

/* Who stays out, read once: objectors, withdrawals, holds, restrictions. */
static pv_rc load_exclusions(pv_vault *v, struct pv_plan *p)
{
	if (pv_store_dsr_scan(v->store, add_objector, p) != 0 ||
	    pv_store_consent_withdrawals(v->store, add_withdrawn, p) != 0 ||
	    pv_authz_hold_scan(v, add_held, p) != 0 ||
	    pv_store_customer_flag_scan(v->store, add_flagged, p) != 0)
		return p->objectors.oom || p->withdrawn.oom || p->held.oom || p->restricted.oom
			       ? pv_fail(v, PV_ERR_NOMEM, "out of memory")
			       : pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	pv_idset_sort(&p->objectors);
	pv_idset_sort(&p->withdrawn);
	pv_idset_sort(&p->held);
	pv_idset_sort(&p->restricted);
	return PV_OK;
}

static pv_rc parse_scope(pv_vault *v, struct pv_plan *p, const char *scope)
{
	const struct pv_schema *s = v->schema;
	if (strcmp(scope, "all") == 0) {
		p->scope = PV_SCOPE_ALL;
	} else if (strncmp(scope, "consent:", 8) == 0) {
		p->scope = PV_SCOPE_CONSENT;
		p->scope_purpose = scope + 8;
	} else if (strncmp(scope, "category:", 9) == 0) {
		p->scope = PV_SCOPE_CATEGORY;
		for (int c = 0; c < PV_CATEGORY_COUNT; c++)
			if (strcmp(pv_category_name((enum pv_category)c), scope + 9) == 0)
				p->scope_category = c;
	} else {
		const char *eq = strchr(scope, '=');
		char name[64], norm[4 * PV_VALUE_MAX + 1];
		snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - scope) : 0, scope);
		int f = pv_schema_field_index(s, name);
		size_t len;
		if (!eq || f < 0)
			return pv_fail(v, PV_ERR_CORRUPT, "plan %s: bad scope", p->id);
		if (pv_validate(s->fields[f].type, eq + 1, strlen(eq + 1), norm, sizeof norm, &len))
			return pv_fail(v, PV_ERR_USAGE, "plan %s: the scope's value is not a valid %s",
				       p->id, name);
		p->scope = PV_SCOPE_FIELD;
		p->scope_field = f;
		if (!(p->scope_value = strdup(norm)))
			return pv_fail(v, PV_ERR_NOMEM, "out of memory");
		pv_wipe(norm, sizeof norm);
	}
	return PV_OK;
}

/* The consent-needing purposes among those the recipient will use. */
static pv_rc withdrawable_purposes(pv_vault *v, struct pv_plan *p)
{
	json_t *purposes = json_object_get(p->doc, "purposes");
	size_t n = json_array_size(purposes), i;
	json_t *it;
	p->purposes_withdrawable = calloc(n + 1, sizeof *p->purposes_withdrawable);
	if (!p->purposes_withdrawable)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	json_array_foreach(purposes, i, it)
	{
		int k = pv_schema_purpose_index(v->schema, json_string_value(it));
		if (k >= 0 && v->schema->purposes[k].consent_required)
			p->purposes_withdrawable[p->npurposes_withdrawable++] =
				(char *)v->schema->purposes[k].name;
	}
	return PV_OK;
}

static const char *doc_str(json_t *doc, const char *a, const char *b)
{
	json_t *o = json_object_get(doc, a);
	if (b)
		o = json_object_get(o, b);
	return json_is_string(o) ? json_string_value(o) : NULL;
}

pv_rc pv_plan_load(pv_vault *v, const char *id, struct pv_plan *p)
{
	memset(p, 0, sizeof *p);
	struct pv_stored_transfer t;
	int got = id && strlen(id) < sizeof p->id ? pv_store_transfer_get(v->store, id, &t) : 1;
	if (got != 0)
		return got < 0 ? pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store))
			       : pv_fail(v, PV_ERR_NOT_FOUND, "no transfer plan %s", id ? id : "");
	snprintf(p->id, sizeof p->id, "%s", t.id);
	snprintf(p->state, sizeof p->state, "%s", t.state);
	json_error_t je;
	p->doc = json_loads(t.plan, 0, &je);
	p->recipient_name = doc_str(p->doc, "recipient", "name");
	p->recipient_contact = doc_str(p->doc, "recipient", "contact");
	p->recipient_key = doc_str(p->doc, "recipient", "age_recipient");
	p->country = doc_str(p->doc, "recipient", "country");
	if (pv_plan_vault_key(v, p->id, p->doc, &p->recipient_vault_key) != 0) {
		pv_plan_free(p);
		return PV_ERR_CORRUPT; /* the pinned key was changed outside pivault */
	}
	p->legal_basis = doc_str(p->doc, "legal_basis", NULL);
	p->deadline = doc_str(p->doc, "deadline", NULL);
	const char *scope = doc_str(p->doc, "scope", NULL);
	if (!p->recipient_name || !p->recipient_contact || !p->recipient_key || !p->country ||
	    !p->deadline || !scope) {
		pv_plan_free(p);
		return pv_fail(v, PV_ERR_CORRUPT, "transfer plan %s is malformed", id);
	}
	p->cross_border = json_is_true(json_object_get(p->doc, "cross_border"));
	p->same_purposes = json_is_true(json_object_get(p->doc, "same_purposes"));
	p->moves = calloc(v->schema->nfields + 1, 1);
	if (!p->moves) {
		pv_plan_free(p);
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	}
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(p->doc, "fields"), i, f)
	{
		int k = pv_schema_field_index(v->schema, json_string_value(f));
		if (k >= 0)
			p->moves[k] = 1;
	}
	pv_rc rc = parse_scope(v, p, scope);
	if (!rc)
		rc = withdrawable_purposes(v, p);
	if (!rc)
		rc = load_exclusions(v, p);
	if (rc)
		pv_plan_free(p);
	return rc;
}

void pv_plan_free(struct pv_plan *p)
{
	json_decref(p->doc);
	free(p->moves);
	if (p->scope_value) {
		pv_wipe(p->scope_value, strlen(p->scope_value));
		free(p->scope_value);
	}
	free(p->purposes_withdrawable);
	pv_idset_free(&p->objectors);
	pv_idset_free(&p->withdrawn);
	pv_idset_free(&p->held);
	pv_idset_free(&p->restricted);
	memset(p, 0, sizeof *p);
}

/* ---------------------------------------------------------------- the walk ---- */

struct walk {
	pv_vault *v;
	struct pv_plan *p;
	int want_values;
	pv_plan_fn fn;
	void *ctx;
	pv_rc rc;
	uint64_t done, total;
};

/* 1 if the opened customer falls in a category or field scope. */
static int values_in_scope(const pv_vault *v, const struct pv_plan *p, char **values)
{
	if (p->scope == PV_SCOPE_FIELD)
		return strcmp(values[p->scope_field], p->scope_value) == 0;
	for (size_t i = 0; i < v->schema->nfields; i++)
		if ((int)v->schema->fields[i].category == p->scope_category && values[i][0])
			return 1;
	return 0;
}

/* Why customer c stays out of the package, or NULL; "" on a store error. A customer
 * who never gave a consent-needing purpose is not left out: the consent columns travel
 * with the record and the recipient's vault enforces them; one who withdrew it is. */
static const char *exclusion(struct walk *w, const struct pv_stored_customer *c)
{
	struct pv_plan *p = w->p;
	if (pv_idset_has(&p->objectors, c->id))
		return "objection or deletion request";
	if (pv_idset_has(&p->restricted, c->id))
		return "processing restricted at the customer's request";
	if (pv_idset_has(&p->withdrawn, c->id))
		return "consent withdrawn for a purpose the recipient will use";
	if (p->cross_border) {
		int st = pv_store_transfer_consent_get(w->v->store, p->id, c->id);
		if (st < 0)
			return "";
		if (st == 0)
			return "no separate consent to the cross-border transfer";
	}
	return pv_idset_has(&p->held, c->id) ? "legal hold" : NULL;
}

/* Whether a customer is in a consent scope (asked before it is opened). */
static int in_consent_scope(void *ctx, const struct pv_stored_customer *c)
{
	struct walk *w = ctx;
	if (w->p->scope != PV_SCOPE_CONSENT)
		return 1;
	int st = pv_store_consent_state(w->v->store, c->rid, w->p->scope_purpose);
	if (st < 0)
		w->rc = pv_fail(w->v, PV_ERR_STORE, "%s", pv_store_errmsg(w->v->store));
	return st;
}

/* One customer in the consent scope (if any), values open when the walk needs them. */
static int walk_opened(void *ctx, const struct pv_stored_customer *c, char **values)
{
	struct walk *w = ctx;
	pv_vault *v = w->v;
	struct pv_plan *p = w->p;
	pv_progress(v, "scan", ++w->done, w->total);
	if (values && (p->scope == PV_SCOPE_FIELD || p->scope == PV_SCOPE_CATEGORY) &&
	    !values_in_scope(v, p, values))
		return 0;
	const char *why = exclusion(w, c);
	if (why && !*why) {
		w->rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
		return -1;
	}
	return w->fn(w->ctx, c, values, why);
}

static int walk_closed(void *ctx, const struct pv_stored_customer *c)
{
	struct walk *w = ctx;
	int in = in_consent_scope(w, c);
	return in < 0 ? -1 : in ? walk_opened(w, c, NULL) : 0;
}

pv_rc pv_plan_walk(pv_vault *v, struct pv_plan *p, int want_values, pv_plan_fn fn, void *ctx)
{
	struct walk w = { v, p, want_values, fn, ctx, PV_OK, 0, 0 };
	if (pv_store_customer_count(v->store, &w.total) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	int need = want_values || p->scope == PV_SCOPE_FIELD || p->scope == PV_SCOPE_CATEGORY;
	pv_rc rc = PV_OK;
	if (need) {
		rc = pv_walk_opened(v, in_consent_scope, walk_opened, &w);
	} else if (pv_store_customer_scan(v->store, NULL, 0, walk_closed, &w) < 0 && !w.rc) {
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	}
	pv_progress(v, "scan", w.done, w.total);
	return w.rc ? w.rc : rc;
}

/* ----------------------------------------------------- exclusions listing ---- */

/* Who stays out and why (the reasons are the walk's constant strings), gathered before
 * anything is shown so that the audit entry names them. */
struct excl_found {
	struct pv_idset ids; /* in walk order */
	const char **why;
	size_t cap;
};

static int excl_one(void *ctx, const struct pv_stored_customer *c, char **values,
		    const char *excluded)
{
	(void)values;
	struct excl_found *e = ctx;
	if (!excluded)
		return 0;
	if (e->ids.n == e->cap) {
		size_t cap = e->cap ? 2 * e->cap : 64;
		const char **a = realloc(e->why, cap * sizeof *a);
		if (!a)
			return e->ids.oom = -1;
		e->why = a;
		e->cap = cap;
	}
	e->why[e->ids.n] = excluded;
	return pv_idset_add(&e->ids, c->id);
}

pv_rc pv_transfer_exclusions(pv_vault *v, const pv_access *who, const char *id,
			     pv_exclusion_fn fn, void *ctx)
{
	int role;
	const char *purpose = who ? who->purpose : NULL;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_HANDOVER, &role);
	if (rc)
		return pv_audit_failure(v, rc, "transfer exclusions", NULL, purpose);
	struct pv_plan p;
	if ((rc = pv_plan_load(v, id, &p)))
		return rc;
	struct excl_found e = { 0 };
	rc = pv_plan_walk(v, &p, 0, excl_one, &e);
	if (!rc && e.ids.oom)
		rc = pv_fail(v, PV_ERR_NOMEM, "out of memory");
	char *ids = rc ? NULL : pv_idset_join(&e.ids);
	if (!rc && !ids)
		rc = pv_fail(v, PV_ERR_NOMEM, "out of memory");
	if (!rc) {
		char detail[120];
		snprintf(detail, sizeof detail, "%zu customers left out of %s", e.ids.n, p.id);
		struct pv_audit_event ev = { "transfer exclusions", ids, purpose, NULL, "ok",
					     detail };
		rc = pv_audit_append(v, &ev);
	}
	for (size_t i = 0; !rc && i < e.ids.n; i++)
		if (fn(ctx, e.ids.ids[i], e.why[i]) != 0)
			break;
	free(ids);
	free(e.why);
	pv_idset_free(&e.ids);
	pv_plan_free(&p);
	if (rc)
		return pv_audit_failure(v, rc, "transfer exclusions", NULL, purpose);
	return pv_ok(v);
}

/* ------------------------------------- shredding those who objected ---- */

struct objectors_found {
	char **ids;
	size_t n, cap;
	int oom;
};

static int collect_objector(void *ctx, const struct pv_stored_customer *c, char **values,
			    const char *excluded)
{
	(void)values;
	struct objectors_found *o = ctx;
	if (!excluded || strcmp(excluded, "objection or deletion request") != 0)
		return 0;
	if (o->n == o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 64;
		char **a = realloc(o->ids, cap * sizeof *a);
		if (!a)
			return o->oom = -1;
		o->ids = a;
		o->cap = cap;
	}
	if (!(o->ids[o->n] = strdup(c->id)))
		return o->oom = -1;
	o->n++;
	return 0;
}

pv_rc pv_transfer_shred_excluded(pv_vault *v, const pv_access *who, const char *id,
				 uint64_t *count, char **certificate)
{
	*count = 0;
	*certificate = NULL;
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_SHRED, &role);
	if (rc)
		return pv_audit_failure(v, rc, "transfer shred-excluded", NULL, NULL);
	struct pv_plan p;
	if ((rc = pv_plan_load(v, id, &p)))
		return rc;
	struct objectors_found o = { 0 };
	rc = pv_plan_walk(v, &p, 0, collect_objector, &o);
	if (!rc && o.oom)
		rc = pv_fail(v, PV_ERR_NOMEM, "out of memory");
	char grounds[160];
	snprintf(grounds, sizeof grounds, "objection or deletion request before the deadline %s "
		 "of transfer %s", p.deadline, p.id);
	pv_plan_free(&p);
	if (!rc && o.n > 100000)
		rc = pv_fail(v, PV_ERR_USAGE, "more than 100,000 objections: shred them in parts");
	struct pv_params ap; /* what is approved: the plan, and the set as it stands */
	pv_params_init(&ap);
	pv_params_add(&ap, "plan", id);
	pv_params_add_ids(&ap, "customers", (const char *const *)o.ids, o.n);
	if (!rc && o.n)
		rc = pv_shred_run(v, (const char *const *)o.ids, o.n, "transfer shred-excluded",
				  &ap, grounds, certificate);
	pv_params_free(&ap);
	for (size_t i = 0; i < o.n; i++)
		free(o.ids[i]);
	free(o.ids);
	if (*certificate) /* they were shredded, even if a step after it failed (rc) */
		*count = o.n;
	return rc ? rc : pv_ok(v);
}
