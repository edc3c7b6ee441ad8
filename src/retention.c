/* SPDX-License-Identifier: Apache-2.0 */
/* retention.c: what the schema's retention rules make due, and carrying it out. Each
 * value's due date comes from retention_due.c (the first matching rule, counted from the
 * first of its from date fields holding a date). A customer whose every value is due under
 * shred rules is shredded whole; fields under erase rules are erased once due; an
 * anonymise rule, once due, erases every field that is not public. Customers under a legal
 * hold are listed with the hold and left alone. A value whose due date cannot be computed
 * is listed as undetermined, counted, and never acted upon. */
#include "approvals.h"
#include "audit.h"
#include "authz_mac.h"
#include "dates.h"
#include "policy.h"
#include "record.h"
#include "erasure.h"
#include "retention.h"
#include "seal_gate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define APPLY_BATCH 10000   /* erasures per transaction */
#define SHRED_BATCH 1000000 /* shreds per batch: each rewrites the tables once, and re-keys
			     * each bucket once */

static void rule_text(const struct pv_schema *s, int r, char *out, size_t n)
{
	const struct pv_schema_retention *rt = &s->retention[r];
	char from[200];
	pv_retention_from_text(s, rt, from, sizeof from);
	snprintf(out, n, "rule %d (%s: keep %uy%um%ud from %s, then %s)", r + 1,
		 rt->is_default ? "default" : rt->has_category ? pv_category_name(rt->category)
							       : "listed fields",
		 rt->keep_years, rt->keep_months, rt->keep_days, from,
		 rt->then == PV_RET_SHRED ? "shred" : rt->then == PV_RET_ERASE ? "erase" : "anonymise");
}

struct plan_ctx {
	pv_vault *v;
	char as_of[11];
	pv_retention_fn fn;
	void *ctx;
	pv_rc rc;
	/* for apply: what to do */
	int collect;
	char **shred_ids;
	size_t nshred, capshred;
	struct erase_item {
		size_t *fields; /* one allocation: the field indexes, then the id */
		char *id;
		size_t n;
	} *erase;
	size_t nerase, caperase;
	int count_only; /* only the undetermined values are counted */
	pv_retention_summary sum;
	uint64_t scanned, total; /* for progress */
	/* for the plan: the items, kept until the audit entry naming them is written */
	pv_retention_item *items;
	size_t nitems, capitems;
};

/* Keep a copy of an item of the plan (its strings in one allocation with it). */
static int keep_item(struct plan_ctx *p, const pv_retention_item *it)
{
	if (p->nitems == p->capitems) {
		size_t cap = p->capitems ? 2 * p->capitems : 64;
		pv_retention_item *a = realloc(p->items, cap * sizeof *a);
		if (!a)
			return -1;
		p->items = a;
		p->capitems = cap;
	}
	const char *src[] = { it->id, it->action, it->fields, it->rule, it->due, it->held,
			      it->missing ? it->missing : "" };
	size_t len[7], total = 0;
	for (int k = 0; k < 7; k++)
		total += (len[k] = strlen(src[k]) + 1);
	char *mem = malloc(total), *at = mem;
	if (!mem)
		return -1;
	const char **dst[] = { &p->items[p->nitems].id, &p->items[p->nitems].action,
			       &p->items[p->nitems].fields, &p->items[p->nitems].rule,
			       &p->items[p->nitems].due, &p->items[p->nitems].held,
			       &p->items[p->nitems].missing };
	for (int k = 0; k < 7; k++) {
		memcpy(at, src[k], len[k]);
		*dst[k] = at;
		at += len[k];
	}
	p->nitems++;
	return 0;
}

/* An item of the plan: kept (plan) or passed on; non-zero stops. */
static int report(struct plan_ctx *p, const pv_retention_item *it)
{
	if (p->fn && keep_item(p, it) != 0) {
		p->rc = pv_fail(p->v, PV_ERR_NOMEM, "out of memory");
		return -1;
	}
	return 0;
}

static int keep_shred(struct plan_ctx *p, const char *id)
{
	if (p->nshred == p->capshred) {
		size_t cap = p->capshred ? 2 * p->capshred : 64;
		char **n = realloc(p->shred_ids, cap * sizeof *n);
		if (!n)
			return -1;
		p->shred_ids = n;
		p->capshred = cap;
	}
	return (p->shred_ids[p->nshred++] = strdup(id)) ? 0 : -1;
}

static int keep_erase(struct plan_ctx *p, const char *id, const size_t *fields, size_t n)
{
	if (p->nerase == p->caperase) {
		size_t cap = p->caperase ? 2 * p->caperase : 64;
		struct erase_item *e = realloc(p->erase, cap * sizeof *e);
		if (!e)
			return -1;
		p->erase = e;
		p->caperase = cap;
	}
	struct erase_item *e = &p->erase[p->nerase];
	size_t idlen = strlen(id) + 1;
	if (!(e->fields = malloc(n * sizeof *fields + idlen)))
		return -1;
	memcpy(e->fields, fields, n * sizeof *fields);
	e->id = (char *)(e->fields + n);
	memcpy(e->id, id, idlen);
	e->n = n;
	p->nerase++;
	return 0;
}

/* The names of fields[0..n), comma-separated, into out (cap bytes). */
static void field_names(const struct pv_schema *s, const size_t *fields, size_t n, char *out,
			size_t cap)
{
	out[0] = '\0';
	for (size_t k = 0; k < n; k++) {
		size_t used = strlen(out);
		snprintf(out + used, cap - used, "%s%s", used ? "," : "", s->fields[fields[k]].name);
	}
}

/* What the rules make due of one customer's values as of a date. */
struct customer_due {
	int all_due, any_shred;  /* whole customer: every value due, none anonymised; a shred */
	char latest[11];         /* the latest due date of the values due */
	size_t *erase, nerase;   /* fields to erase (room for every field) */
	char erase_due[11], erase_rule[300];
	size_t *undetermined, nundetermined; /* values without a due date (room for every field) */
};

/* Value i, due on d->due: what it adds to c. */
static void note_due(const struct pv_schema *s, char **values, size_t i,
		     const struct pv_value_due *d, const char *as_of, struct customer_due *c)
{
	const struct pv_schema_retention *rt = &s->retention[d->rule];
	if (strcmp(d->due, as_of) > 0 || rt->then == PV_RET_ANONYMISE)
		c->all_due = 0;
	if (strcmp(d->due, as_of) > 0)
		return;
	if (strcmp(d->due, c->latest) > 0)
		memcpy(c->latest, d->due, sizeof c->latest);
	if (rt->then == PV_RET_SHRED) {
		c->any_shred = 1;
		return;
	}
	/* erase: this field; anonymise: every field not public (each listed once) */
	for (size_t k = 0; k < s->nfields; k++) {
		int goes = rt->then == PV_RET_ERASE
				   ? k == i
				   : *values[k] && s->fields[k].sensitivity != PV_SENS_PUBLIC;
		size_t dup = 0;
		for (size_t m = 0; goes && m < c->nerase; m++)
			dup |= c->erase[m] == k;
		if (goes && !dup)
			c->erase[c->nerase++] = k;
	}
	if (strcmp(d->due, c->erase_due) > 0)
		memcpy(c->erase_due, d->due, sizeof c->erase_due);
	rule_text(s, d->rule, c->erase_rule, sizeof c->erase_rule);
}

/* Go over a customer's values (open): what is due, and what has no due date. */
static void customer_due(const struct pv_schema *s, char **values, const char *as_of,
			 struct customer_due *c)
{
	c->all_due = 1;
	for (size_t i = 0; i < s->nfields; i++) {
		if (!*values[i])
			continue;
		struct pv_value_due d;
		switch (pv_retention_due(s, values, i, &d)) {
		case PV_DUE_DATE:
			note_due(s, values, i, &d, as_of, c);
			break;
		case PV_DUE_UNDETERMINED:
			c->undetermined[c->nundetermined++] = i;
			c->all_due = 0; /* kept, and listed */
			break;
		case PV_DUE_NO_RULE:
			c->all_due = 0; /* kept: the schema sets no limit */
			break;
		}
	}
}

/* One item per value of c without a due date: its field, rule and missing date fields. */
static int report_undetermined(struct plan_ctx *p, const char *id, char **values,
			       const struct customer_due *c, const char *held)
{
	const struct pv_schema *s = p->v->schema;
	for (size_t k = 0; k < c->nundetermined; k++) {
		size_t i = c->undetermined[k];
		struct pv_value_due d;
		(void)pv_retention_due(s, values, i, &d);
		char rule[300], missing[400];
		rule_text(s, d.rule, rule, sizeof rule);
		pv_retention_missing_text(s, &d, missing, sizeof missing);
		pv_retention_item it = { id, "undetermined", s->fields[i].name, rule, "", held,
					 missing };
		if (report(p, &it))
			return -1;
	}
	p->sum.undetermined += c->nundetermined;
	p->sum.undetermined_customers += c->nundetermined > 0;
	return 0;
}

/* The item of a customer with something due, and (apply) what to do noted. */
static int report_due(struct plan_ctx *p, const char *id, const struct customer_due *c,
		      int held, const char *reason)
{
	pv_vault *v = p->v;
	int whole = c->any_shred && c->all_due;
	char fields[512];
	field_names(v->schema, c->erase, c->nerase, fields, sizeof fields);
	pv_retention_item it = { id, whole ? "shred" : "erase", whole ? "" : fields,
				 whole ? "every value due (shred, or erase)" : c->erase_rule,
				 whole ? c->latest : c->erase_due, held ? reason : "", "" };
	p->sum.held += held != 0;
	if (whole)
		p->sum.shred++;
	else
		p->sum.erase++;
	if (report(p, &it))
		return -1;
	int kept = 0;
	if (p->collect && !held)
		kept = whole ? keep_shred(p, id) : keep_erase(p, id, c->erase, c->nerase);
	if (kept != 0) {
		p->rc = pv_fail(v, PV_ERR_NOMEM, "out of memory");
		return -1;
	}
	return 0;
}

/* 1 with "held by incident INC-..." in reason when customer id is sealed, else 0. */
static int sealed_by(pv_vault *v, const char *id, char *reason, size_t n)
{
	char incident[96];
	if (!pv_seal_incident_of(v, id, incident, sizeof incident))
		return 0;
	snprintf(reason, n, "held by incident %s", incident);
	return 1;
}

/* Work out what is due for one customer (values open), report it, and (apply) note it. */
static int plan_one(struct plan_ctx *p, const char *id, char **values)
{
	pv_vault *v = p->v;
	size_t nf = v->schema->nfields;
	size_t erase[nf + 1], undetermined[nf + 1];
	struct customer_due c = { .erase = erase, .undetermined = undetermined };
	customer_due(v->schema, values, p->as_of, &c);
	if (p->count_only) {
		p->sum.undetermined += c.nundetermined;
		p->sum.undetermined_customers += c.nundetermined > 0;
		return 0;
	}
	char reason[256], since[32];
	int held = pv_authz_hold_active(v, id, reason, sizeof reason, since, sizeof since);
	if (held < 0) {
		p->rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
		return -1;
	}
	if (!held) /* an incident's seal keeps the records as evidence, as a hold does */
		held = sealed_by(v, id, reason, sizeof reason);
	if (((c.any_shred && c.all_due) || c.nerase) && report_due(p, id, &c, held, reason))
		return -1;
	return report_undetermined(p, id, values, &c, held ? reason : "");
}

static int scan_one(void *ctx, const struct pv_stored_customer *c)
{
	struct plan_ctx *p = ctx;
	char **values;
	char id[80];
	snprintf(id, sizeof id, "%s", c->id);
	p->rc = pv_open_customer(p->v, c, &values);
	if (p->rc)
		return -1;
	int st = plan_one(p, id, values);
	pv_values_wipe_free(values, p->v->schema->nfields);
	if (++p->scanned % 10000 == 0)
		pv_progress(p->v, "scan", p->scanned, p->total);
	return st;
}

static void plan_free(struct plan_ctx *p)
{
	for (size_t i = 0; i < p->nshred; i++)
		free(p->shred_ids[i]);
	free(p->shred_ids);
	for (size_t i = 0; i < p->nerase; i++)
		free(p->erase[i].fields);
	free(p->erase);
	for (size_t i = 0; i < p->nitems; i++)
		free((char *)p->items[i].id); /* the item's strings begin there */
	free(p->items);
}

/* The audit entry naming every customer of the plan, then the plan shown. */
static pv_rc show_plan(struct plan_ctx *p, struct pv_audit_event *e)
{
	struct pv_shown shown = { { 0 }, 0 };
	for (size_t i = 0; i < p->nitems; i++)
		(void)pv_shown_row(&shown, p->items[i].id);
	pv_rc rc = pv_shown_audit(p->v, &shown, e);
	pv_shown_free(&shown);
	for (size_t i = 0; !rc && i < p->nitems; i++)
		if (p->fn(p->ctx, &p->items[i]))
			break;
	return rc;
}

/* Go through every customer; 0, or the failure (message on v). */
static pv_rc plan_all(struct plan_ctx *p)
{
	if (pv_store_customer_count(p->v->store, &p->total) != 0)
		p->total = 0;
	if (pv_store_customer_scan(p->v->store, NULL, 0, scan_one, p) < 0 && !p->rc)
		p->rc = pv_fail(p->v, PV_ERR_STORE, "%s", pv_store_errmsg(p->v->store));
	if (!p->rc)
		pv_progress(p->v, "scan", p->scanned, p->total);
	return p->rc;
}

static pv_rc as_of_date(pv_vault *v, const char *as_of, char out[11])
{
	int y, m, d;
	if (!as_of) {
		pv_date_today(0, out);
		return PV_OK;
	}
	if (pv_date_parse(as_of, &y, &m, &d) != 0 || strlen(as_of) != 10)
		return pv_fail(v, PV_ERR_USAGE, "--as-of takes a date YYYY-MM-DD");
	memcpy(out, as_of, 11);
	return PV_OK;
}

pv_rc pv_retention_plan(pv_vault *v, const pv_access *who, const char *as_of,
			pv_retention_fn fn, void *ctx, pv_retention_summary *summary)
{
	if (summary)
		memset(summary, 0, sizeof *summary);
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_RETENTION, &role);
	if (rc)
		return pv_audit_failure(v, rc, "retention plan", NULL, NULL);
	struct plan_ctx p = { .v = v, .fn = fn, .ctx = ctx };
	if ((rc = as_of_date(v, as_of, p.as_of)) != PV_OK)
		return rc;
	rc = plan_all(&p);
	char detail[96];
	snprintf(detail, sizeof detail, "as of %s; %llu values undetermined", p.as_of,
		 (unsigned long long)p.sum.undetermined);
	struct pv_audit_event e = { "retention plan", NULL, NULL, NULL, "ok", detail };
	if (!rc)
		rc = show_plan(&p, &e);
	if (!rc && summary) {
		*summary = p.sum;
		memcpy(summary->as_of, p.as_of, sizeof summary->as_of);
	}
	plan_free(&p);
	return rc ? rc : pv_ok(v);
}

/* 'retention' or 'report' (the compliance report counts what the plan lists). */
static pv_rc may_count(pv_vault *v, const pv_access *who)
{
	if (pv_policy_may(v, who, PV_OP_RETENTION) || pv_policy_may(v, who, PV_OP_REPORT))
		return PV_OK;
	return who && who->role ? pv_fail(v, PV_ERR_DENIED, "role '%s' of user %s grants neither "
					  "permission 'retention' nor 'report'", who->role,
					  v->principal)
				: pv_fail(v, PV_ERR_DENIED, "user %s has no role with permission "
					  "'retention' or 'report'", v->principal);
}

pv_rc pv_retention_undetermined_count(pv_vault *v, const pv_access *who, uint64_t *values)
{
	*values = 0;
	pv_rc rc = may_count(v, who);
	if (rc)
		return pv_audit_failure(v, rc, "retention undetermined", NULL, NULL);
	struct plan_ctx p = { .v = v, .count_only = 1 };
	pv_date_today(0, p.as_of);
	rc = plan_all(&p);
	plan_free(&p);
	if (rc)
		return rc;
	char detail[96];
	snprintf(detail, sizeof detail, "%llu values on %llu customers",
		 (unsigned long long)p.sum.undetermined,
		 (unsigned long long)p.sum.undetermined_customers);
	struct pv_audit_event e = { "retention undetermined", NULL, NULL, NULL, "ok", detail };
	if ((rc = pv_audit_append(v, &e)) != PV_OK)
		return rc;
	*values = p.sum.undetermined;
	return pv_ok(v);
}

/* The approval of a run as of p's date, for exactly the customers it shreds and the
 * fields it erases, used up with its audit entry. */
static pv_rc consume_approval(struct plan_ctx *p)
{
	pv_vault *v = p->v;
	struct pv_params ap;
	pv_params_init(&ap);
	pv_params_add(&ap, "as_of", p->as_of);
	pv_params_add_ids(&ap, "shred", (const char *const *)p->shred_ids, p->nshred);
	char **erased = calloc(p->nerase ? p->nerase : 1, sizeof *erased);
	for (size_t i = 0; erased && i < p->nerase; i++) { /* "id:field,field" */
		char names[512];
		field_names(v->schema, p->erase[i].fields, p->erase[i].n, names, sizeof names);
		size_t n = strlen(p->erase[i].id) + strlen(names) + 2;
		if ((erased[i] = malloc(n)))
			snprintf(erased[i], n, "%s:%s", p->erase[i].id, names);
		else
			ap.oom = 1;
	}
	if (erased)
		pv_params_add_ids(&ap, "erase", (const char *const *)erased, p->nerase);
	else
		ap.oom = 1;
	for (size_t i = 0; erased && i < p->nerase; i++)
		free(erased[i]);
	free(erased);
	char detail[96];
	snprintf(detail, sizeof detail, "as of %s; %llu values undetermined, left alone",
		 p->as_of, (unsigned long long)p->sum.undetermined);
	pv_rc rc = pv_store_begin(v->store) ? pv_fail(v, PV_ERR_STORE, "%s",
						      pv_store_errmsg(v->store)) : PV_OK;
	if (!rc) {
		rc = pv_approval_consume(v, "retention apply", &ap);
		struct pv_audit_event e = { "retention apply", NULL, NULL, NULL, "ok", detail };
		rc = pv_audit_commit(v, &e, rc);
	}
	pv_params_free(&ap);
	return rc;
}

pv_rc pv_retention_apply(pv_vault *v, const pv_access *who, const char *as_of,
			 pv_certificate_fn cert_fn, void *ctx, uint64_t *shredded,
			 uint64_t *erased, uint64_t *held, uint64_t *undetermined)
{
	*shredded = *erased = *held = *undetermined = 0;
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_RETENTION, &role);
	if (rc)
		return pv_audit_failure(v, rc, "retention apply", NULL, NULL);
	struct plan_ctx p = { .v = v, .collect = 1 };
	if ((rc = as_of_date(v, as_of, p.as_of)) != PV_OK)
		return rc;
	/* what is due is found first: the approval (for users) is for exactly that, and is
	 * used up in a transaction of its own before anything is done */
	rc = plan_all(&p);
	if (!rc)
		rc = consume_approval(&p);
	if (rc) {
		plan_free(&p);
		return pv_audit_failure(v, rc, "retention apply", NULL, NULL);
	}
	*held = p.sum.held;
	*undetermined = p.sum.undetermined;
	/* erasures commit together, a batch at a time: each is a savepoint within it, so a
	 * failing one leaves the batch's others (and its own audit entry) to be committed */
	for (size_t i = 0; !rc && i < p.nerase; i += APPLY_BATCH) {
		size_t end = p.nerase - i < APPLY_BATCH ? p.nerase : i + APPLY_BATCH, done = 0;
		if ((rc = pv_vault_batch_begin(v)) != PV_OK)
			break;
		for (size_t k = i; !rc && k < end; k++, done++) {
			char names[512];
			field_names(v->schema, p.erase[k].fields, p.erase[k].n, names, sizeof names);
			rc = pv_erase_fields(v, p.erase[k].id, p.erase[k].fields, p.erase[k].n,
					     "retention erase", names);
		}
		if (rc) {
			done--;
			char msg[sizeof v->errmsg];
			snprintf(msg, sizeof msg, "%s", v->errmsg);
			if (pv_vault_batch_end(v, 1) == PV_OK)
				*erased += done;
			pv_fail(v, rc, "%s", msg);
		} else if ((rc = pv_vault_batch_end(v, 1)) == PV_OK) {
			*erased += done;
			pv_progress(v, "erase", *erased, p.nerase);
		}
	}
	/* whole customers, in batches, each batch with its certificate */
	for (size_t i = 0; !rc && i < p.nshred; i += SHRED_BATCH) {
		size_t n = p.nshred - i < SHRED_BATCH ? p.nshred - i : SHRED_BATCH;
		char *cert = NULL;
		rc = pv_shred_run(v, (const char *const *)p.shred_ids + i, n, NULL, NULL,
				  "retention rules of the schema", &cert);
		if (cert) { /* the batch committed, even if a step after it failed (rc) */
			*shredded += n;
			pv_progress(v, "shred", *shredded, p.nshred);
			if (cert_fn && cert_fn(ctx, cert) != 0 && !rc)
				rc = pv_fail(v, PV_ERR_IO, "shredded %llu customers, but could not "
					     "keep the certificate of the last batch",
					     (unsigned long long)*shredded);
		}
		pv_free(cert);
	}
	plan_free(&p);
	return rc ? rc : pv_ok(v);
}
