/* SPDX-License-Identifier: Apache-2.0 */
/* query.c: reading and changing single customers: get by id, find through the blind
 * index, list in pages, update one field. Every read goes through the role's policy. */
#include "dates.h"
#include "audit.h"
#include "bulk_reads.h"
#include "consent.h"
#include "policy.h"
#include "record.h"
#include "seal_gate.h"
#include "erasure.h"
#include "validate.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Open stored customer c and build what who (role index role) is shown. */
static pv_rc show(pv_vault *v, int role, const pv_access *who,
		  const struct pv_stored_customer *c, pv_record **out)
{
	char **values;
	pv_rc rc = pv_open_customer(v, c, &values);
	if (rc)
		return rc;
	return pv_record_build(v, role, who, c->id, c->rid, values, out);
}

/* The purpose a caller declared, for the audit log. */
static const char *purpose_of(const pv_access *who)
{
	return who ? who->purpose : NULL;
}

/* Show customer id (row rid) only if nothing blocks the read (consent, restriction,
 * objection). */
static pv_rc consent_then_show(pv_vault *v, int role, const pv_access *who, const char *id,
			       int64_t rid, pv_record **out)
{
	int blocked = pv_read_blocked(v, who, rid, id);
	if (blocked < 0)
		return PV_ERR_STORE;
	if (blocked)
		return pv_read_refused(v, who, id, blocked);
	struct pv_stored_customer c; /* read again: the consent query ended the first read */
	if (pv_store_customer_get(v->store, id, &c) != 0)
		return pv_fail(v, PV_ERR_STORE, "customer %s: cannot be read again", id);
	return show(v, role, who, &c, out);
}

/* Read customer id for who (role index role), with its audit entry. */
static pv_rc read_one(pv_vault *v, int role, const pv_access *who, const char *id,
		      pv_record **out)
{
	*out = NULL;
	int gated = pv_read_gated(v, who); /* asked first: a query ends the row borrowed below */
	struct pv_stored_customer c;
	pv_rc rc = pv_customer_find(v, id, &c);
	if (!rc)
		rc = gated ? consent_then_show(v, role, who, id, c.rid, out)
			   : show(v, role, who, &c, out);
	if (rc)
		return pv_audit_failure(v, rc, "read", id, purpose_of(who));
	struct pv_audit_event e = { "read", id, purpose_of(who), NULL, "ok",
				    who->want_clear ? "clear where allowed" : "masked" };
	if ((rc = pv_audit_append(v, &e)) != PV_OK) { /* fail closed: nothing is shown */
		pv_record_free(*out);
		*out = NULL;
		return rc;
	}
	return pv_ok(v);
}

/* Lookups read a row or two anywhere in the file: mapped, they cost no copy. Not on a
 * handle whose audit entries go through a shared writer, outside a batch: there each
 * request's reads begin after other commits, which makes SQLite drop the handle's mapping;
 * unmapping stops every thread of the process to flush its address translations, and every
 * page touched since faults in again (a server's requests took three times the CPU). A
 * batch reads in a snapshot renewed only every 65536 lookups, so it maps. */
static void map_for_lookups(pv_vault *v)
{
	pv_store_map_reads(v->store, !v->audit_member.writer || v->audit_member.deferring);
}

pv_rc pv_get(pv_vault *v, const pv_access *who, const char *id, pv_record **out)
{
	*out = NULL;
	map_for_lookups(v);
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_READ, &role);
	if (!rc && strchr(id, ','))
		rc = pv_fail(v, PV_ERR_USAGE, "one customer id is expected");
	if (!rc)
		rc = pv_bulk_clear_gate(v, role, who, "get", id, 1);
	if (rc)
		return pv_audit_failure(v, rc, "read", id, purpose_of(who));
	return read_one(v, role, who, id, out);
}

/* A customer's stored row copied out of the store: its pointers point into buf. */
struct row_copy {
	struct pv_stored_customer c;
	uint8_t *buf;
};

static int copy_row(const struct pv_stored_customer *from, struct row_copy *to)
{
	size_t idl = strlen(from->id) + 1, n = idl + from->wdek_len;
	for (int g = 0; g < PV_GROUPS; g++)
		n += from->group[g] ? from->group_len[g] : 0;
	uint8_t *b = malloc(n);
	if (!b)
		return -1;
	to->c = *from;
	to->buf = b;
	memcpy(b, from->id, idl);
	to->c.id = (const char *)b;
	b += idl;
	if (from->wdek_len)
		memcpy(b, from->wdek, from->wdek_len);
	to->c.wdek = b;
	b += from->wdek_len;
	for (int g = 0; g < PV_GROUPS; g++) {
		to->c.group[g] = from->group[g] ? b : NULL;
		if (from->group[g] && from->group_len[g])
			memcpy(b, from->group[g], from->group_len[g]);
		b += from->group[g] ? from->group_len[g] : 0;
	}
	return 0;
}

/* Customer ids gathered before anything is shown, so the audit entry naming them is
 * written first. */
struct id_list {
	char *ids;  /* comma-separated */
	size_t n;
	int oom;
	pv_vault *v;           /* with who: leave out customers the purpose may not reach */
	const pv_access *who;
	int64_t *rids;         /* their row ids, when gathered from the blind index */
	int keep_rows;         /* and then copies of their rows too, to show them from */
	struct row_copy *rows;
	char *last;            /* the last customer scanned (listed or left out) */
	size_t scanned;
};

static void id_list_free(struct id_list *l)
{
	for (size_t i = 0; l->rows && i < l->n; i++)
		free(l->rows[i].buf);
	free(l->rows);
	free(l->ids);
	free(l->rids);
	free(l->last);
	l->last = NULL;
	l->rows = NULL;
	l->ids = NULL;
	l->rids = NULL;
}

static int gather_id(void *ctx, const char *id)
{
	struct id_list *l = ctx;
	size_t old = l->ids ? strlen(l->ids) : 0, add = strlen(id) + 1;
	char *p = realloc(l->ids, old + add + 1);
	if (!p) {
		l->oom = 1;
		return 1;
	}
	if (old)
		p[old++] = ',';
	memcpy(p + old, id, add);
	l->ids = p;
	l->n++;
	return 0;
}

/* gather_id for a customer the blind index names, keeping its row id (and a copy of
 * its row, when asked). */
static int gather_found(void *ctx, const struct pv_stored_customer *c)
{
	struct id_list *l = ctx;
	int64_t *r = realloc(l->rids, (l->n + 1) * sizeof *r);
	if (r)
		l->rids = r;
	struct row_copy *rows = l->keep_rows && r ? realloc(l->rows, (l->n + 1) * sizeof *rows)
						  : NULL;
	if (rows)
		l->rows = rows;
	if (!r || (l->keep_rows && (!rows || copy_row(c, &rows[l->n]) != 0))) {
		l->oom = 1;
		return 1;
	}
	r[l->n] = c->rid;
	if (gather_id(ctx, c->id) != 0) {
		if (l->keep_rows)
			free(rows[l->n].buf);
		return 1;
	}
	return 0;
}

/* Keep in l (gathered with gather_found) only the customers whose data the declared
 * purpose may reach (consent, restriction, objection). 0 or -1. */
static int consenting_only(pv_vault *v, const pv_access *who, struct id_list *l)
{
	char *ids = l->ids, *save = NULL;
	size_t k = 0, kept = 0;
	int failed = 0;
	l->ids = NULL;
	l->n = 0;
	for (char *id = ids ? strtok_r(ids, ",", &save) : NULL; id;
	     id = strtok_r(NULL, ",", &save), k++) {
		int blocked = failed ? 1 : pv_read_blocked(v, who, l->rids[k], id);
		if (blocked < 0)
			failed = blocked = 1;
		if (blocked && blocked != PV_BLOCK_SEALED) { /* a sealed one: refused after */
			if (l->rows)
				free(l->rows[k].buf);
			continue;
		}
		l->rids[kept] = l->rids[k];
		if (l->rows)
			l->rows[kept] = l->rows[k];
		kept++;
		failed |= gather_id(l, id) != 0;
	}
	free(ids);
	l->n = kept;
	if (failed) {
		id_list_free(l);
		return -1;
	}
	return 0;
}

pv_rc pv_get_many(pv_vault *v, const pv_access *who, const char *const *ids, size_t n,
		  pv_record_fn fn, void *ctx)
{
	map_for_lookups(v);
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_READ, &role);
	struct id_list all = { 0 };
	for (size_t i = 0; !rc && i < n; i++)
		if (strchr(ids[i], ',') || gather_id(&all, ids[i]) != 0)
			rc = all.oom ? pv_fail(v, PV_ERR_NOMEM, "out of memory")
				     : pv_fail(v, PV_ERR_USAGE, "one customer id each is expected");
	if (!rc) /* the customers asked for, counted against the bulk limit at once */
		rc = pv_bulk_clear_gate(v, role, who, "get", all.ids, all.n);
	free(all.ids);
	if (rc)
		return pv_audit_failure(v, rc, "read", NULL, purpose_of(who));
	for (size_t i = 0; i < n; i++) {
		pv_record *r = NULL;
		if ((rc = read_one(v, role, who, ids[i], &r)) != PV_OK)
			return rc;
		int stop = fn(ctx, r);
		pv_record_free(r);
		if (stop)
			break;
	}
	return pv_ok(v);
}

/* The ids of customers whose indexed field equals value, gathered before anything is
 * shown (so the audit entry naming them comes first). */
static pv_rc find_ids(pv_vault *v, int role, const pv_access *who, const char *field,
		      const char *value, struct id_list *found)
{
	map_for_lookups(v);
	int i = pv_schema_field_index(v->schema, field);
	if (i < 0)
		return pv_fail(v, PV_ERR_USAGE, "no field '%s' in the schema", field);
	/* Searching a field one may not see would test guesses of its values. */
	if (pv_policy_field_view(v, role, who, (size_t)i) == PV_VIEW_HIDDEN)
		return pv_audit_failure(v, pv_fail(v, PV_ERR_DENIED, "field '%s' is not shown to role "
						   "'%s' for purpose '%s', so it cannot be searched",
						   field, v->schema->roles[role].name,
						   who->purpose ? who->purpose : "(none)"),
					"find", NULL, purpose_of(who));
	if (!v->schema->fields[i].indexed)
		return pv_fail(v, PV_ERR_USAGE, "field '%s' has no index (index: true in the schema)",
			       field);
	char norm[PV_VALUE_MAX + 1];
	size_t len;
	const char *why = pv_validate(v->schema->fields[i].type, value, strlen(value), norm,
				      sizeof norm, &len);
	if (why)
		return pv_fail(v, PV_ERR_USAGE, "value for %s: %s", field, why);
	if (len == 0)
		return pv_fail(v, PV_ERR_USAGE, "value for %s is empty", field);
	uint8_t h[PV_BLIND_BYTES];
	pv_blind_hash(v, (size_t)i, norm, len, h);
	pv_wipe(norm, len);
	if (pv_store_index_lookup(v->store, v->field_nums[i], h, gather_found, found) != 0 ||
	    found->oom || (pv_read_gated(v, who) && consenting_only(v, who, found) != 0)) {
		id_list_free(found);
		return pv_audit_failure(v, pv_fail(v, found->oom ? PV_ERR_NOMEM : PV_ERR_STORE, "%s",
						   found->oom ? "out of memory"
							      : pv_store_errmsg(v->store)),
					"find", NULL, purpose_of(who));
	}
	pv_rc sealed = pv_seal_refuse_any(v, found->ids); /* seal_gate.h: refused, not left out */
	if (sealed)
		id_list_free(found);
	return sealed ? pv_audit_failure(v, sealed, "find", NULL, purpose_of(who)) : PV_OK;
}

/* Call each(ctx, id) for the ids of l in order until it returns non-zero. */
static int each_id(struct id_list *l, int (*each)(void *ctx, const char *id), void *ctx)
{
	int stop = 0;
	for (char *p = l->ids, *next; !stop && p && *p; p = next) {
		next = strchr(p, ',');
		if (next)
			*next++ = '\0';
		stop = each(ctx, p);
		if (!next)
			break;
	}
	return stop;
}

pv_rc pv_find(pv_vault *v, const pv_access *who, const char *field, const char *value,
	      pv_id_fn fn, void *ctx)
{
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_FIND, &role);
	if (rc)
		return pv_audit_failure(v, rc, "find", NULL, purpose_of(who));
	struct id_list found = { 0 };
	if ((rc = find_ids(v, role, who, field, value, &found)) != PV_OK)
		return rc;
	char detail[96];
	snprintf(detail, sizeof detail, "by %s: %zu match%s", field, found.n,
		 found.n == 1 ? "" : "es");
	struct pv_audit_event e = { "find", found.ids, purpose_of(who), NULL, "ok", detail };
	if ((rc = pv_audit_append(v, &e)) == PV_OK)
		each_id(&found, fn, ctx);
	id_list_free(&found);
	return rc ? rc : pv_ok(v);
}

struct show_ctx {
	pv_vault *v;
	int role;
	const pv_access *who;
	pv_record_fn fn;
	void *ctx;
	pv_rc rc;
};

static int show_one(struct show_ctx *s, const struct pv_stored_customer *c)
{
	pv_record *r;
	if ((s->rc = show(s->v, s->role, s->who, c, &r)) != PV_OK)
		return 1;
	int stop = s->fn(s->ctx, r);
	pv_record_free(r);
	return stop;
}

pv_rc pv_find_records(pv_vault *v, const pv_access *who, const char *field, const char *value,
		      pv_record_fn fn, void *ctx)
{
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_FIND, &role);
	if (!rc && pv_policy_permits(v, who, PV_OP_READ, &role) == PV_ERR_DENIED) {
		/* may find, not read: denied as such, with a code of its own for the caller */
		(void)pv_audit_failure(v, PV_ERR_DENIED, "find", NULL, purpose_of(who));
		return pv_fail(v, PV_ERR_FIND_ONLY, "%s", pv_errmsg(v));
	}
	if (!rc)
		rc = pv_policy_authorize(v, who, PV_OP_READ, &role);
	if (rc)
		return pv_audit_failure(v, rc, "find", NULL, purpose_of(who));
	struct id_list found = { .keep_rows = 1 }; /* shown from the rows read by the lookup */
	if ((rc = find_ids(v, role, who, field, value, &found)) != PV_OK)
		return rc;
	if ((rc = pv_bulk_clear_gate(v, role, who, "find", found.ids, found.n)) != PV_OK) {
		id_list_free(&found);
		return pv_audit_failure(v, rc, "find", NULL, purpose_of(who));
	}
	char detail[128];
	snprintf(detail, sizeof detail, "by %s: %zu match%s shown, %s", field, found.n,
		 found.n == 1 ? "" : "es", who->want_clear ? "clear where allowed" : "masked");
	struct pv_audit_event e = { "find", found.ids, purpose_of(who), NULL, "ok", detail };
	struct show_ctx s = { v, role, who, fn, ctx, PV_OK };
	if ((rc = pv_audit_append(v, &e)) == PV_OK)
		for (size_t k = 0; k < found.n && !show_one(&s, &found.rows[k].c); k++)
			;
	id_list_free(&found);
	if (!rc && s.rc)
		rc = pv_audit_failure(v, s.rc, "find", NULL, purpose_of(who));
	return rc ? rc : pv_ok(v);
}

static int gather_stored_id(void *ctx, const struct pv_stored_customer *c)
{
	struct id_list *l = ctx;
	char *last = strdup(c->id);
	if (!last) {
		l->oom = 1;
		return -1;
	}
	free(l->last);
	l->last = last;
	l->scanned++;
	if (l->v) {
		int blocked = pv_read_blocked(l->v, l->who, c->rid, c->id);
		if (blocked < 0) {
			l->oom = 1;
			return -1;
		}
		if (blocked == PV_BLOCK_SEALED) /* left out, and said so (seal_gate.h) */
			pv_seal_omitted_add(l->v, c->id);
		if (blocked)
			return 0;
	}
	return gather_id(ctx, c->id) ? -1 : 0;
}

struct list_ctx {
	pv_vault *v;
	int role;
	const pv_access *who;
	pv_record_fn fn;
	void *ctx;
	pv_rc rc;
	char *next;   /* the page's ids not shown yet, comma-separated, in id order */
};

/* Show c if it is the next customer of the page: exactly the customers the audit entry
 * names are shown, whatever changed between the two scans. */
static int list_one(void *p, const struct pv_stored_customer *c)
{
	struct list_ctx *l = p;
	size_t n = 0;
	int order = 1;
	while (l->next) { /* pass over page ids gone since the first scan */
		n = strcspn(l->next, ",");
		int cmp = strncmp(l->next, c->id, n);
		order = cmp ? cmp : c->id[n] ? -1 : 0;
		if (order >= 0)
			break;
		l->next = l->next[n] ? l->next + n + 1 : NULL;
	}
	if (!l->next)
		return 1;
	if (order != 0)
		return 0; /* not in the page (added since, or left out by the purpose) */
	l->next = l->next[n] ? l->next + n + 1 : NULL;
	pv_record *r;
	if ((l->rc = show(l->v, l->role, l->who, c, &r)) != PV_OK)
		return -1;
	int stop = l->fn(l->ctx, r);
	pv_record_free(r);
	return stop ? 1 : 0;
}

pv_rc pv_list(pv_vault *v, const pv_access *who, const char *after, size_t limit,
	      pv_record_fn fn, void *ctx, char **next_after)
{
	if (next_after)
		*next_after = NULL;
	struct list_ctx l = { v, 0, who, fn, ctx, PV_OK, NULL };
	pv_seal_omitted_reset(v);
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_LIST, &l.role);
	if (rc)
		return pv_audit_failure(v, rc, "list", NULL, purpose_of(who));
	/* First the ids of the page, for the bulk limit and the audit entry written before
	 * anything is shown; then those customers alone are shown. */
	struct id_list page = { .v = v, .who = who };
	if (pv_store_customer_scan(v->store, after, limit, gather_stored_id, &page) < 0 ||
	    page.oom) {
		id_list_free(&page);
		return pv_fail(v, page.oom ? PV_ERR_NOMEM : PV_ERR_STORE, "%s",
			       page.oom ? "out of memory" : pv_store_errmsg(v->store));
	}
	if ((rc = pv_bulk_clear_gate(v, l.role, who, "list", page.ids, page.n)) != PV_OK) {
		id_list_free(&page);
		return pv_audit_failure(v, rc, "list", NULL, purpose_of(who));
	}
	char detail[192];
	snprintf(detail, sizeof detail, "%s%zu customers, %s",
		 who->want_clear ? "bulk read: " : "", page.n,
		 who->want_clear ? "clear where allowed" : "masked");
	pv_seal_omitted_note(v, detail, sizeof detail);
	struct pv_audit_event e = { "list", page.ids, purpose_of(who), NULL, "ok", detail };
	rc = pv_audit_append(v, &e);
	l.next = page.n ? page.ids : NULL;
	int st = rc ? 0 : pv_store_customer_scan(v->store, after, limit, list_one, &l);
	if (!rc && st < 0 && !l.rc)
		l.rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (!rc)
		rc = l.rc;
	if (!rc && next_after && limit && page.scanned == limit) {
		*next_after = page.last;
		page.last = NULL;
	}
	id_list_free(&page);
	return rc ? rc : pv_ok(v);
}

/* Set a consent column (yes/no) of customer c. */
static pv_rc update_consent(pv_vault *v, const struct pv_stored_customer *c, int k,
			    const char *value)
{
	char norm[16];
	size_t len;
	const char *why = pv_validate(PV_T_BOOL, value, strlen(value), norm, sizeof norm, &len);
	if (why || len == 0)
		return pv_fail(v, PV_ERR_INPUT, "consent %s: %s", v->schema->consents[k].column,
			       why ? why : "a yes or no is required");
	char at[32];
	pv_time_now(at, sizeof at);
	const char *purpose = v->schema->purposes[v->schema->consents[k].purpose].name;
	int granted = strcmp(norm, "true") == 0;
	struct pv_consent_event_row e = { c->id, purpose, granted, at, "update", "",
					  v->principal };
	if (pv_store_consent_put(v->store, c->rid, purpose, granted, at, "update") != 0 ||
	    pv_store_consent_log(v->store, &e) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return PV_OK;
}

/* Set field i of customer c to value (validated), re-sealing its group; an empty value
 * for a required field only when erasing (retention). */
static pv_rc update_field(pv_vault *v, const struct pv_stored_customer *c, int i,
			  const char *value, int erasing)
{
	const struct pv_schema_field *f = &v->schema->fields[i];
	char norm[PV_VALUE_MAX + 1];
	size_t len;
	const char *why = pv_validate(f->type, value, strlen(value), norm, sizeof norm, &len);
	if (why)
		return pv_fail(v, PV_ERR_INPUT, "customer %s, field %s: %s", c->id, f->name, why);
	if (len == 0 && f->required && !erasing)
		return pv_fail(v, PV_ERR_INPUT, "customer %s, field %s: a value is required", c->id,
			       f->name);
	char **values;
	pv_rc rc = pv_open_customer(v, c, &values);
	if (rc)
		return rc;
	char *copy = malloc(len + 1);
	if (!copy) {
		pv_values_wipe_free(values, v->schema->nfields);
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	}
	memcpy(copy, norm, len + 1);
	uint8_t old_h[PV_BLIND_BYTES];
	size_t old_len = strlen(values[i]);
	if (f->indexed && old_len)
		pv_blind_hash(v, (size_t)i, values[i], old_len, old_h);
	pv_wipe(values[i], strlen(values[i]));
	free(values[i]);
	values[i] = copy;
	/* every group sealed again with the next version: an earlier copy opens no more */
	uint8_t wdek[PV_KEY_BYTES + PV_SEAL_OVERHEAD], *sealed[PV_GROUPS];
	size_t sealed_len[PV_GROUPS];
	rc = pv_reseal_next_version(v, c, values, wdek, sealed, sealed_len);
	pv_values_wipe_free(values, v->schema->nfields);
	if (rc) {
		pv_wipe(norm, len);
		return rc;
	}
	int64_t rid = c->rid; /* c's pointers die with the next store call */
	int st = pv_store_customer_set_sealed(v->store, rid, c->dek_version + 1, wdek, sizeof wdek,
					      (const uint8_t *const *)sealed, sealed_len);
	for (int g = 0; g < PV_GROUPS; g++)
		free(sealed[g]);
	if (st == 0 && f->indexed) {
		uint8_t h[PV_BLIND_BYTES];
		if (len)
			pv_blind_hash(v, (size_t)i, norm, len, h);
		st = pv_store_index_replace(v->store, rid, v->field_nums[i], old_len ? old_h : NULL,
					    len ? h : NULL);
	}
	pv_wipe(norm, len);
	if (st != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return PV_OK;
}

/* The detail of an update's audit entry: the fields changed, by name (never a value). */
static void fields_named(char *out, size_t len, const char *const *fields, size_t n)
{
	size_t at = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n && at < len; i++)
		at += (size_t)snprintf(out + at, len - at, "%s%s", i ? "," : "", fields[i]);
}

/* Every name a field or consent column of the schema, none twice. */
static pv_rc check_field_names(pv_vault *v, const char *const *fields, size_t n)
{
	if (n == 0)
		return pv_fail(v, PV_ERR_USAGE, "name at least one field to change");
	for (size_t i = 0; i < n; i++) {
		if (pv_schema_field_index(v->schema, fields[i]) < 0 &&
		    pv_schema_consent_index(v->schema, fields[i]) < 0)
			return pv_fail(v, PV_ERR_USAGE, "no field or consent column '%s' in the "
				       "schema", fields[i]);
		for (size_t j = 0; j < i; j++)
			if (strcmp(fields[i], fields[j]) == 0)
				return pv_fail(v, PV_ERR_USAGE, "field '%s' is given twice", fields[i]);
	}
	return PV_OK;
}

pv_rc pv_update_fields(pv_vault *v, const pv_access *who, const char *id,
		       const char *const *fields, const char *const *values, size_t n)
{
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_UPDATE, &role);
	if (rc)
		return pv_audit_failure(v, rc, "update", id, purpose_of(who));
	if ((rc = check_field_names(v, fields, n)))
		return rc;
	if (pv_store_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	for (size_t k = 0; !rc && k < n; k++) {
		int i = pv_schema_field_index(v->schema, fields[k]);
		struct pv_stored_customer c; /* read again: each change moves the row on */
		if (!(rc = pv_customer_find(v, id, &c)))
			rc = i >= 0 ? update_field(v, &c, i, values[k], 0)
				    : update_consent(v, &c, pv_schema_consent_index(v->schema,
										    fields[k]),
						     values[k]);
	}
	/* in the same transaction: every change and the entry stand or fall together */
	char named[512];
	fields_named(named, sizeof named, fields, n);
	pv_seal_note_write(v, id, named, sizeof named); /* a sealed customer's write says so */
	struct pv_audit_event e = { "update", id, purpose_of(who), NULL, "ok", named };
	rc = pv_audit_commit(v, &e, rc);
	return rc ? pv_audit_failure(v, rc, "update", id, purpose_of(who)) : pv_ok(v);
}

pv_rc pv_update(pv_vault *v, const pv_access *who, const char *id, const char *field,
		const char *value)
{
	return pv_update_fields(v, who, id, &field, &value, 1);
}

pv_rc pv_erase_fields(pv_vault *v, const char *id, const size_t *fields, size_t n,
		      const char *op, const char *detail)
{
	if (pv_store_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	pv_rc rc = pv_seal_forbids_erasure(v, id); /* a sealed customer's records are evidence */
	for (size_t k = 0; !rc && k < n; k++) {
		struct pv_stored_customer c; /* read again: each change moves the row on */
		if (!(rc = pv_customer_find(v, id, &c)))
			rc = update_field(v, &c, (int)fields[k], "", 1);
	}
	struct pv_audit_event e = { op, id, NULL, NULL, "ok", detail };
	rc = pv_audit_commit(v, &e, rc);
	return rc ? pv_audit_failure(v, rc, op, id, NULL) : pv_ok(v);
}
