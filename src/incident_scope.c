/* SPDX-License-Identifier: Apache-2.0 */
/* incident_scope.c: the customers and field categories an incident touched, read from the
 * audit log: successful reads, finds, lists, exports and updates, narrowed by user, time
 * window, operation and customer ids. The categories of an entry are those of the fields
 * its purpose covers (every field for legal-claims or no purpose) or, for an update, of
 * the fields it names. An entry over all customers ("*") counts every customer stored. */
#include "incident_scope.h"
#include "policy.h"

#include <stdlib.h>
#include <string.h>

static const char *const data_ops[] = { "read", "find", "list", "export", "update" };

struct scan {
	pv_vault *v;
	const pv_incident_filter *f;
	struct pv_idset only; /* f->customers, sorted */
	struct pv_scope_found *out;
	unsigned star;	      /* categories touched for every customer */
};

int pv_scope_operation_known(const char *op)
{
	for (size_t i = 0; i < sizeof data_ops / sizeof *data_ops; i++)
		if (strcmp(op, data_ops[i]) == 0)
			return 1;
	return 0;
}

static int matches(const struct scan *s, const struct pv_audit_row *e)
{
	const pv_incident_filter *f = s->f;
	if (strcmp(e->outcome, "ok") != 0 || !pv_scope_operation_known(e->op))
		return 0;
	if (f->operation && strcmp(e->op, f->operation) != 0)
		return 0;
	if (f->user && strcmp(e->user, f->user) != 0)
		return 0;
	if (f->since && strcmp(e->at, f->since) < 0)
		return 0;
	return !(f->until && strcmp(e->at, f->until) >= 0);
}

static unsigned all_categories(void)
{
	return (1u << PV_CATEGORY_COUNT) - 1;
}

/* The categories of the fields named comma-separated in list (an update's detail). */
static unsigned named_categories(const struct pv_schema *sc, const char *list)
{
	unsigned mask = 0;
	for (size_t i = 0; i < sc->nfields; i++) {
		size_t n = strlen(sc->fields[i].name);
		for (const char *p = list; (p = strstr(p, sc->fields[i].name)) != NULL; p += n)
			if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
				mask |= 1u << sc->fields[i].category;
	}
	return mask;
}

/* The categories entry e touched. */
static unsigned entry_categories(const struct pv_schema *sc, const struct pv_audit_row *e)
{
	if (strcmp(e->op, "update") == 0)
		return named_categories(sc, e->detail);
	int p = pv_schema_purpose_index(sc, e->purpose);
	if (!*e->purpose || p < 0 || strcmp(e->purpose, PV_PURPOSE_LEGAL_CLAIMS) == 0)
		return all_categories();
	unsigned mask = 0;
	for (size_t i = 0; i < sc->nfields; i++)
		if (sc->fields[i].purposes & (1ULL << p))
			mask |= 1u << sc->fields[i].category;
	return mask;
}

static int add_customer(struct scan *s, const char *id, unsigned cats)
{
	if (s->f->ncustomers && !pv_idset_has(&s->only, id))
		return 0;
	if (pv_idset_add(&s->out->all, id) < 0)
		return -1;
	for (int c = 0; c < PV_CATEGORY_COUNT; c++)
		if ((cats & (1u << c)) && pv_idset_add(&s->out->by_category[c], id) < 0)
			return -1;
	return 0;
}

static int visit_entry(void *p, const struct pv_audit_row *e)
{
	struct scan *s = p;
	if (!matches(s, e))
		return 0;
	unsigned cats = entry_categories(s->v->schema, e);
	s->out->entries++;
	if (strcmp(e->ids, "*") == 0) {
		s->star |= cats;
		return 0;
	}
	char *ids = strdup(e->ids), *save = NULL;
	if (!ids) {
		s->out->all.oom = 1;
		return -1;
	}
	int st = 0;
	for (char *id = strtok_r(ids, ",", &save); id && !st; id = strtok_r(NULL, ",", &save))
		st = add_customer(s, id, cats);
	free(ids);
	return st;
}

static int visit_customer(void *p, const struct pv_stored_customer *c)
{
	struct scan *s = p;
	return add_customer(s, c->id, s->star);
}

static void sort_found(struct pv_scope_found *out)
{
	pv_idset_sort(&out->all);
	for (int c = 0; c < PV_CATEGORY_COUNT; c++)
		pv_idset_sort(&out->by_category[c]);
}

pv_rc pv_scope_find(pv_vault *v, const pv_incident_filter *f, struct pv_scope_found *out)
{
	memset(out, 0, sizeof *out);
	struct scan s = { v, f, { 0 }, out, 0 };
	int st = 0;
	for (size_t i = 0; i < f->ncustomers && !st; i++)
		st = pv_idset_add(&s.only, f->customers[i]);
	pv_idset_sort(&s.only);
	if (!st)
		st = pv_store_audit_scan(v->store, 1, visit_entry, &s);
	if (!st && s.star)
		st = pv_store_customer_scan(v->store, NULL, 0, visit_customer, &s);
	int oom = s.only.oom || out->all.oom;
	pv_idset_free(&s.only);
	sort_found(out);
	if (st >= 0 && !oom)
		return PV_OK;
	pv_scope_found_free(out);
	return oom ? pv_fail(v, PV_ERR_NOMEM, "out of memory")
		   : pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
}

void pv_scope_found_free(struct pv_scope_found *s)
{
	pv_idset_free(&s->all);
	for (int c = 0; c < PV_CATEGORY_COUNT; c++)
		pv_idset_free(&s->by_category[c]);
}
