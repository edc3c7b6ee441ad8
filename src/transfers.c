/* SPDX-License-Identifier: Apache-2.0 */
/* transfers.c: the plan of a transfer to a new holder (PIPL art. 22): who receives (name,
 * contact, age public key, country), which customers (a scope) and which fields, for
 * which purposes, until when customers may object; a recipient abroad makes it a
 * cross-border provision (art. 38-39) that names its legal basis and needs each
 * customer's separate consent. Also the walk over the customers a plan covers, with the
 * reason each one is left out of the package (objection or deletion request by the
 * deadline, withdrawn consent, no separate consent, legal hold). */
#include "transfers.h"

#include "age.h"
#include "audit.h"
#include "customer_walk.h"
#include "dates.h"
#include "policy.h"
#include "record.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const legal_bases[] = { "standard-contract", "certification",
					   "security-assessment", NULL };

static int in_list(const char *s, const char *const *list)
{
	for (; s && *list; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

/* A label typed by a person (name, contact): 1 to 200 bytes, no control characters. */
static int label_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 200)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* Split a comma list into a JSON array of its items; NULL when an item is empty. */
static json_t *comma_list(const char *s)
{
	json_t *a = json_array();
	const char *p = s;
	while (a && p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0) {
			json_decref(a);
			return NULL;
		}
		json_array_append_new(a, json_stringn(p, n));
		p = e ? e + 1 : NULL;
	}
	return a;
}

/* Check the scope text against the schema: all, consent:PURPOSE, category:CAT or
 * FIELD=VALUE. */
static pv_rc check_scope(pv_vault *v, const char *scope)
{
	const struct pv_schema *s = v->schema;
	if (strcmp(scope, "all") == 0)
		return PV_OK;
	if (strncmp(scope, "consent:", 8) == 0) {
		if (pv_schema_purpose_index(s, scope + 8) < 0)
			return pv_fail(v, PV_ERR_USAGE, "scope %s: no purpose '%s' in the schema", scope,
				       scope + 8);
		return PV_OK;
	}
	if (strncmp(scope, "category:", 9) == 0) {
		for (int c = 0; c < PV_CATEGORY_COUNT; c++)
			if (strcmp(pv_category_name((enum pv_category)c), scope + 9) == 0)
				return PV_OK;
		return pv_fail(v, PV_ERR_USAGE, "scope %s: categories are basic, financial, other",
			       scope);
	}
	const char *eq = strchr(scope, '=');
	if (eq) {
		char name[64];
		snprintf(name, sizeof name, "%.*s", (int)(eq - scope), scope);
		if (pv_schema_field_index(s, name) >= 0)
			return PV_OK;
		return pv_fail(v, PV_ERR_USAGE, "scope: no field '%s' in the schema", name);
	}
	return pv_fail(v, PV_ERR_USAGE, "a scope is all, consent:PURPOSE, category:CATEGORY or "
		       "FIELD=VALUE");
}

/* The fields that move, as a JSON array of names (all when spec is NULL or "all"). */
static pv_rc fields_of(pv_vault *v, const char *spec, json_t **out)
{
	const struct pv_schema *s = v->schema;
	json_t *a = spec && strcmp(spec, "all") != 0 ? comma_list(spec) : json_array();
	if (!a)
		return pv_fail(v, PV_ERR_USAGE, "--fields takes names separated by commas");
	if (json_array_size(a) == 0)
		for (size_t i = 0; i < s->nfields; i++)
			json_array_append_new(a, json_string(s->fields[i].name));
	size_t i;
	json_t *f;
	json_array_foreach(a, i, f) if (pv_schema_field_index(s, json_string_value(f)) < 0)
	{
		pv_rc rc = pv_fail(v, PV_ERR_USAGE, "--fields: no field '%s' in the schema",
				   json_string_value(f));
		json_decref(a);
		return rc;
	}
	*out = a;
	return PV_OK;
}

/* The purposes the recipient will use: the schema's (same purposes) or those given. */
static pv_rc purposes_of(pv_vault *v, const char *spec, json_t **out, int *same)
{
	const struct pv_schema *s = v->schema;
	*same = 1;
	json_t *a = spec ? comma_list(spec) : json_array();
	if (!a)
		return pv_fail(v, PV_ERR_USAGE, "--purposes takes names separated by commas");
	if (!spec)
		for (size_t i = 0; i < s->npurposes; i++)
			json_array_append_new(a, json_string(s->purposes[i].name));
	size_t i;
	json_t *p;
	json_array_foreach(a, i, p)
	{
		const char *name = json_string_value(p);
		if (!label_ok(name) || strlen(name) > 64) {
			json_decref(a);
			return pv_fail(v, PV_ERR_USAGE, "--purposes: a purpose name is 1 to 64 "
				       "printable characters");
		}
		if (pv_schema_purpose_index(s, name) < 0)
			*same = 0; /* a new purpose: the notice asks for new consent */
	}
	*out = a;
	return PV_OK;
}

/* Check spec; *recipient gets the recipient's age key in canonical form (malloc'd). */
static pv_rc check_spec(pv_vault *v, const pv_transfer_spec *sp, int *cross_border,
			 char **recipient)
{
	if (!label_ok(sp->recipient_name) || !label_ok(sp->recipient_contact))
		return pv_fail(v, PV_ERR_USAGE, "a transfer needs the recipient's name and contact "
			       "(1 to 200 printable characters each)");
	uint8_t pk[PV_AGE_KEY];
	char err[512];
	if (!sp->recipient_key)
		return pv_fail(v, PV_ERR_USAGE, "a transfer needs the recipient's age public key");
	if (strncmp(sp->recipient_key, "age1", 4) == 0) {
		if (pv_age_parse_recipient(sp->recipient_key, strlen(sp->recipient_key), pk) != 0)
			return pv_fail(v, PV_ERR_USAGE, "the recipient key is not a valid age public "
				       "key (age1...)");
	} else if (pv_age_read_recipient_file(sp->recipient_key, pk, err, sizeof err) != 0) {
		return pv_fail(v, PV_ERR_USAGE, "%s", err);
	}
	if (!(*recipient = pv_age_format_recipient(pk)))
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	const char *cc = sp->recipient_country ? sp->recipient_country : "CN";
	if (strlen(cc) != 2 || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z')
		return pv_fail(v, PV_ERR_USAGE, "--recipient-country takes an ISO 3166 code such as "
			       "CN, HK, DE or US");
	/* Hong Kong, Macao and Taiwan are outside the mainland for PIPL art. 38 purposes. */
	*cross_border = strcmp(cc, "CN") != 0;
	if (*cross_border && !in_list(sp->legal_basis, legal_bases))
		return pv_fail(v, PV_ERR_USAGE, "a recipient outside mainland China makes this a "
			       "cross-border provision (PIPL art. 38): name its legal basis with "
			       "--legal-basis standard-contract, certification or security-assessment");
	if (!*cross_border && sp->legal_basis)
		return pv_fail(v, PV_ERR_USAGE, "--legal-basis is for a recipient outside mainland "
			       "China (give --recipient-country)");
	int y, m, d;
	if (sp->deadline && (pv_date_parse(sp->deadline, &y, &m, &d) != 0 ||
			     strlen(sp->deadline) != 10))
		return pv_fail(v, PV_ERR_USAGE, "--deadline takes a date YYYY-MM-DD");
	return check_scope(v, sp->scope ? sp->scope : "all");
}

static json_t *plan_document(pv_vault *v, const pv_transfer_spec *sp, const char *recipient_key,
			     const char *id, const char *now, int cross_border, json_t *fields,
			     json_t *purposes, int same)
{
	char deadline[11];
	if (sp->deadline)
		snprintf(deadline, sizeof deadline, "%s", sp->deadline);
	else
		pv_date_today(30, deadline);
	json_t *recipient = json_pack("{s:s, s:s, s:s, s:s}", "name", sp->recipient_name,
				      "contact", sp->recipient_contact, "country",
				      sp->recipient_country ? sp->recipient_country : "CN",
				      "age_recipient", recipient_key);
	return json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:o, s:b, s:o, s:s, s:o, s:o, "
			 "s:b, s:s}",
			 "type", "pivault transfer plan", "version", 1, "id", id, "vault",
			 v->vault_id_hex, "company", v->schema->vault_label ? v->schema->vault_label : "",
			 "created", now, "created_by", v->principal, "recipient", recipient,
			 "cross_border", cross_border, "legal_basis",
			 sp->legal_basis ? json_string(sp->legal_basis) : json_null(), "scope",
			 sp->scope ? sp->scope : "all", "fields", fields, "purposes", purposes,
			 "same_purposes", same, "deadline", deadline);
}

pv_rc pv_transfer_plan(pv_vault *v, const pv_access *who, const pv_transfer_spec *sp, char **id)
{
	*id = NULL;
	int role, cross_border = 0, same = 1;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_HANDOVER, &role);
	if (rc)
		return pv_audit_failure(v, rc, "transfer plan", NULL, NULL);
	json_t *fields = NULL, *purposes = NULL;
	char *recipient = NULL;
	if ((rc = check_spec(v, sp, &cross_border, &recipient)) ||
	    (rc = fields_of(v, sp->fields, &fields)) ||
	    (rc = purposes_of(v, sp->purposes, &purposes, &same))) {
		json_decref(fields);
		free(recipient);
		return rc;
	}
	uint8_t rnd[4];
	char hex[9], tid[16], now[32], keep[11];
	pv_random(rnd, sizeof rnd);
	pv_hex(hex, rnd, sizeof rnd);
	snprintf(tid, sizeof tid, "T-%s", hex);
	pv_time_now(now, sizeof now);
	pv_date_today(0, keep);
	(void)pv_date_add(keep, 3, 0, 0, keep); /* art. 56: the assessment is kept 3 years */
	json_t *doc = plan_document(v, sp, recipient, tid, now, cross_border, fields, purposes,
				    same);
	free(recipient);
	char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(doc);
	if (!text)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	if (pv_store_begin(v->store) != 0) {
		free(text);
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	}
	struct pv_stored_transfer t = { tid, now, v->principal, "planned", text, keep, "", "", "" };
	if (pv_store_transfer_put(v->store, &t) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	free(text);
	char detail[300];
	snprintf(detail, sizeof detail, "plan %s: to %s (%s)%s, scope %s", tid, sp->recipient_name,
		 sp->recipient_country ? sp->recipient_country : "CN",
		 cross_border ? ", cross-border" : "", sp->scope ? sp->scope : "all");
	struct pv_audit_event e = { "transfer plan", NULL, NULL, NULL, "ok", detail };
	rc = pv_audit_commit(v, &e, rc);
	if (rc)
		return pv_audit_failure(v, rc, "transfer plan", NULL, NULL);
	if (!(*id = strdup(tid)))
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	return pv_ok(v);
}

/* ---------------------------------------------------------------- loading ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int idset_add(struct pv_idset *set, const char *id)
{
	if (set->n == set->cap) {
		size_t cap = set->cap ? 2 * set->cap : 64;
		char **a = realloc(set->ids, cap * sizeof *a);
		if (!a)
			return set->oom = -1;
		set->ids = a;
		set->cap = cap;
	}
	if (!(set->ids[set->n] = strdup(id)))
		return set->oom = -1;
	set->n++;
	return 0;
}

static void idset_sort(struct pv_idset *set)
{
	if (set->n) /* an empty set has no array at all */
		qsort(set->ids, set->n, sizeof *set->ids, cmp_str);
}

static int idset_has(const struct pv_idset *set, const char *id)
{
	return set->n && bsearch(&id, set->ids, set->n, sizeof *set->ids, cmp_str) != NULL;
}

static void idset_free(struct pv_idset *set)
{
	for (size_t i = 0; i < set->n; i++)
		free(set->ids[i]);
	free(set->ids);
	memset(set, 0, sizeof *set);
}

/* An objection or a deletion request opened by the deadline keeps a customer out. */
static int add_objector(void *ctx, const struct pv_stored_dsr *d)
{
	struct pv_plan *p = ctx;
	if ((strcmp(d->type, "object") != 0 && strcmp(d->type, "delete") != 0) ||
	    strncmp(d->opened, p->deadline, 10) > 0)
		return 0;
	return idset_add(&p->objectors, d->customer);
}

static int add_withdrawn(void *ctx, const char *customer, const char *purpose)
{
	struct pv_plan *p = ctx;
	for (size_t i = 0; i < p->npurposes_withdrawable; i++)
		if (strcmp(purpose, p->purposes_withdrawable[i]) == 0)
			return idset_add(&p->withdrawn, customer);
	return 0;
}

static int add_held(void *ctx, const char *customer, const char *reason, const char *by,
		    const char *since, const char *released, const char *released_by)
{
	(void)reason, (void)by, (void)since, (void)released_by;
	return released[0] ? 0 : idset_add(&((struct pv_plan *)ctx)->held, customer);
}

/* An objection recorded on the customer (a fulfilled request) counts too. */
static int add_flagged(void *ctx, const char *customer, int restricted, int objected)
{
	struct pv_plan *p = ctx;
	if (objected && idset_add(&p->objectors, customer) != 0)
		return -1;
	return restricted ? idset_add(&p->restricted, customer) : 0;
}

/* Who stays out, read once: objectors, withdrawals, holds, restrictions. */
static pv_rc load_exclusions(pv_vault *v, struct pv_plan *p)
{
	if (pv_store_dsr_scan(v->store, add_objector, p) != 0 ||
	    pv_store_consent_withdrawals(v->store, add_withdrawn, p) != 0 ||
	    pv_store_hold_scan(v->store, add_held, p) != 0 ||
	    pv_store_customer_flag_scan(v->store, add_flagged, p) != 0)
		return p->objectors.oom || p->withdrawn.oom || p->held.oom || p->restricted.oom
			       ? pv_fail(v, PV_ERR_NOMEM, "out of memory")
			       : pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	idset_sort(&p->objectors);
	idset_sort(&p->withdrawn);
	idset_sort(&p->held);
	idset_sort(&p->restricted);
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
	idset_free(&p->objectors);
	idset_free(&p->withdrawn);
	idset_free(&p->held);
	idset_free(&p->restricted);
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
	if (idset_has(&p->objectors, c->id))
		return "objection or deletion request";
	if (idset_has(&p->restricted, c->id))
		return "processing restricted at the customer's request";
	if (idset_has(&p->withdrawn, c->id))
		return "consent withdrawn for a purpose the recipient will use";
	if (p->cross_border) {
		int st = pv_store_transfer_consent_get(w->v->store, p->id, c->id);
		if (st < 0)
			return "";
		if (st == 0)
			return "no separate consent to the cross-border transfer";
	}
	return idset_has(&p->held, c->id) ? "legal hold" : NULL;
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

/* ------------------------------------------------- separate consent (art. 39) ---- */

pv_rc pv_transfer_consent(pv_vault *v, const pv_access *who, const char *id, const char *customer,
			  int granted, const char *channel)
{
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_CONSENT, &role);
	if (rc)
		return pv_audit_failure(v, rc, "transfer consent", customer, NULL);
	if (!pv_customer_id_ok(customer))
		return pv_fail(v, PV_ERR_USAGE, "give the customer's id as at import");
	if (!label_ok(channel) || strlen(channel) > 32)
		return pv_fail(v, PV_ERR_USAGE, "name the channel the consent came by");
	struct pv_plan p;
	if ((rc = pv_plan_load(v, id, &p)))
		return rc;
	int cross = p.cross_border;
	pv_plan_free(&p);
	if (!cross)
		return pv_fail(v, PV_ERR_USAGE, "plan %s is not a cross-border transfer: it needs no "
			       "separate consent", id);
	if (pv_store_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	struct pv_stored_customer c;
	int got = pv_store_customer_get(v->store, customer, &c);
	char now[32], detail[96];
	pv_time_now(now, sizeof now);
	if (got != 0)
		rc = got < 0 ? pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store))
			     : pv_no_customer(v, customer);
	else if (pv_store_transfer_consent_put(v->store, id, customer, granted, now, channel) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	snprintf(detail, sizeof detail, "separate consent to %s %s by %s", id,
		 granted ? "given" : "refused", channel);
	struct pv_audit_event e = { "transfer consent", customer, NULL, NULL, "ok", detail };
	rc = pv_audit_commit(v, &e, rc);
	if (rc)
		return pv_audit_failure(v, rc, "transfer consent", customer, NULL);
	return pv_ok(v);
}

/* ------------------------------------------------------------ listing ---- */

static int list_one(void *ctx, const struct pv_stored_transfer *t)
{
	json_error_t je;
	json_t *plan = json_loads(t->plan, 0, &je);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", t->id, "created", t->created,
			      "created_by", t->created_by, "state", t->state, "plan",
			      plan ? plan : json_null());
	if (o && t->package[0])
		json_object_set_new(o, "package", json_loads(t->package, 0, &je));
	if (o && t->receipt[0])
		json_object_set_new(o, "receipt", json_loads(t->receipt, 0, &je));
	return o ? json_array_append_new(ctx, o) : -1;
}

pv_rc pv_transfer_list(pv_vault *v, const pv_access *who, const char *id, char **json)
{
	*json = NULL;
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_HANDOVER, &role);
	if (rc)
		return pv_audit_failure(v, rc, "transfer list", NULL, NULL);
	json_t *a = json_array();
	if (!a)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	if (id) {
		struct pv_stored_transfer t;
		int got = pv_store_transfer_get(v->store, id, &t);
		if (got != 0) {
			json_decref(a);
			return got < 0 ? pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store))
				       : pv_fail(v, PV_ERR_NOT_FOUND, "no transfer plan %s", id);
		}
		list_one(a, &t);
	} else if (pv_store_transfer_scan(v->store, list_one, a) != 0) {
		json_decref(a);
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	}
	*json = json_dumps(id ? json_array_get(a, 0) : a, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(a);
	return *json ? pv_ok(v) : pv_fail(v, PV_ERR_NOMEM, "out of memory");
}

/* ----------------------------------------------------- exclusions listing ---- */

struct excl_ctx {
	pv_exclusion_fn fn;
	void *ctx;
};

static int excl_one(void *ctx, const struct pv_stored_customer *c, char **values,
		    const char *excluded)
{
	(void)values;
	struct excl_ctx *e = ctx;
	return excluded ? e->fn(e->ctx, c->id, excluded) : 0;
}

pv_rc pv_transfer_exclusions(pv_vault *v, const pv_access *who, const char *id,
			     pv_exclusion_fn fn, void *ctx)
{
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_HANDOVER, &role);
	if (rc)
		return pv_audit_failure(v, rc, "transfer exclusions", NULL, NULL);
	struct pv_plan p;
	if ((rc = pv_plan_load(v, id, &p)))
		return rc;
	struct excl_ctx e = { fn, ctx };
	rc = pv_plan_walk(v, &p, 0, excl_one, &e);
	pv_plan_free(&p);
	return rc ? rc : pv_ok(v);
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
	if (!rc && o.n)
		rc = pv_shred_run(v, (const char *const *)o.ids, o.n, "transfer shred-excluded",
				  grounds, certificate);
	for (size_t i = 0; i < o.n; i++)
		free(o.ids[i]);
	free(o.ids);
	if (rc)
		return rc;
	*count = o.n;
	return pv_ok(v);
}
