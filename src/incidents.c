/* SPDX-License-Identifier: Apache-2.0 */
/* incidents.c: breach response (信息泄露应急), its first part: an incident is opened with
 * its kind and the time it was detected, which starts its clock; its states (open,
 * contained, notified, closed) only move forward, each with its time; and the customers
 * and field categories it touched are found from the audit log, kept as ids and category
 * names only. Every step is audited. Sealing and notices are not here. */
#include "audit.h"
#include "crypto.h"
#include "dates.h"
#include "incident_digest.h"
#include "incident_scope.h"
#include "policy.h"
#include "seal_gate.h"
#include "seal_history.h"
#include "validate.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const kind_names[] = { "leak", "tamper", "loss", "unauthorised-access" };
static const char *const state_names[] = { "open", "contained", "notified", "closed" };
#define NKINDS (sizeof kind_names / sizeof *kind_names)
#define NSTATES (sizeof state_names / sizeof *state_names)

static int name_index(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

const char *pv_incident_kind_name(pv_incident_kind kind)
{
	return (unsigned)kind < NKINDS ? kind_names[kind] : "?";
}

int pv_incident_kind_from_name(const char *name)
{
	return name_index(kind_names, NKINDS, name);
}

const char *pv_incident_state_name(pv_incident_state state)
{
	return (unsigned)state < NSTATES ? state_names[state] : "?";
}

int pv_incident_state_from_name(const char *name)
{
	return name_index(state_names, NSTATES, name);
}

/* ------------------------------------------------------------------ times ---- */

/* Parse an ISO 8601 timestamp (seconds and Z or an offset) to seconds since the epoch;
 * 0, or -1 for anything else. */
static int parse_time(const char *s, time_t *t)
{
	char norm[64];
	size_t len;
	if (!s || pv_validate(PV_T_TIMESTAMP, s, strlen(s), norm, sizeof norm, &len) || !len)
		return -1;
	int y, mo, d, h, mi, sec, oh = 0, om = 0;
	char sign = 'Z';
	if (sscanf(norm, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) != 6)
		return -1;
	if (norm[19] == '+' || norm[19] == '-') {
		sign = norm[19];
		if (sscanf(norm + 20, "%2d:%2d", &oh, &om) != 2)
			return -1;
	}
	long off = (oh * 60L + om) * 60L * (sign == '-' ? -1 : 1);
	*t = (time_t)(pv_days_from_civil(y, mo, d) * 86400L + h * 3600L + mi * 60L + sec - off);
	return 0;
}

/* A bound of a time window, as the audit log writes times (UTC, Z) into out: a date
 * YYYY-MM-DD as it is, a timestamp turned to UTC; -1 for anything else. */
static int window_bound(const char *s, char *out, size_t n)
{
	int y, m, d;
	time_t t;
	if (strlen(s) == 10 && pv_date_parse(s, &y, &m, &d) == 0) {
		snprintf(out, n, "%s", s);
		return 0;
	}
	if (parse_time(s, &t) != 0)
		return -1;
	pv_time_iso(out, n, t);
	return 0;
}

/* ---------------------------------------------------------- common steps ---- */

/* A failed read or write of the store: PV_ERR_CORRUPT when it was a failed integrity check
 * of a protected table or setting (authz_mac.c), PV_ERR_STORE otherwise. */
static pv_rc store_failed(pv_vault *v)
{
	return pv_fail(v, v->authz_tampered ? PV_ERR_CORRUPT : PV_ERR_STORE, "%s",
		       pv_store_errmsg(v->store));
}

/* Incident id into c (borrowed until the next store call), or a refusal naming it. */
static pv_rc load(pv_vault *v, const char *id, struct pv_stored_incident *c)
{
	if (!id || !*id)
		return pv_fail(v, PV_ERR_USAGE, "name the incident (id)");
	int got = pv_store_incident_get(v->store, id, c);
	if (got != 0)
		return got < 0 ? store_failed(v) : pv_fail(v, PV_ERR_NOT_FOUND, "no incident %s", id);
	return PV_OK;
}

/* Run change(v, ctx) in a transaction that commits with the audit entry (op, ids, detail);
 * a failure is audited. */
static pv_rc with_entry(pv_vault *v, const char *op, const char *ids, const char *detail,
			pv_rc (*change)(pv_vault *, void *), void *ctx)
{
	if (pv_store_begin(v->store) != 0)
		return store_failed(v);
	pv_rc rc = pv_incident_digests_check(v); /* incident_digest.h: checked, then kept */
	if (!rc && !(rc = change(v, ctx)))
		rc = pv_incident_digests_record(v);
	struct pv_audit_event e = { op, ids, NULL, NULL, "ok", detail };
	rc = pv_audit_commit(v, &e, rc);
	return rc ? pv_audit_failure(v, rc, op, NULL, NULL) : pv_ok(v);
}

static pv_rc authorize(pv_vault *v, const pv_access *who, const char *op)
{
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_INCIDENT, &role);
	return rc ? pv_audit_failure(v, rc, op, NULL, NULL) : PV_OK;
}

/* ------------------------------------------------------------------- open ---- */

/* The longest text an incident keeps in a field (its description): every later change
 * rewrites the row from copies of this size, so a longer one is refused at open rather
 * than cut at the first change. */
#define INCIDENT_TEXT_MAX 255

static pv_rc check_open(pv_vault *v, pv_incident_kind kind, const char *detected_at,
			const char *description)
{
	time_t t;
	if ((unsigned)kind >= NKINDS)
		return pv_fail(v, PV_ERR_USAGE, "kind: unknown incident kind (leak, tamper, loss, "
				"unauthorised-access)");
	if (!detected_at || parse_time(detected_at, &t) != 0)
		return pv_fail(v, PV_ERR_USAGE, "detected_at: not an ISO 8601 time with seconds "
				"and Z or an offset (YYYY-MM-DDTHH:MM:SSZ)");
	if (t > time(NULL))
		return pv_fail(v, PV_ERR_USAGE, "detected_at: in the future");
	if (!description || !*description)
		return pv_fail(v, PV_ERR_USAGE, "description: say what happened");
	if (strlen(description) > INCIDENT_TEXT_MAX)
		return pv_fail(v, PV_ERR_USAGE, "description: at most %d bytes", INCIDENT_TEXT_MAX);
	return PV_OK;
}

static pv_rc do_put(pv_vault *v, void *p)
{
	return pv_store_incident_put(v->store, p) ? store_failed(v) : PV_OK;
}

pv_rc pv_incident_open(pv_vault *v, const pv_access *who, pv_incident_kind kind,
		       const char *detected_at, const char *description, char **id)
{
	*id = NULL;
	pv_rc rc = authorize(v, who, "incident open");
	if (rc)
		return rc;
	if ((rc = check_open(v, kind, detected_at, description)) != PV_OK)
		return pv_audit_failure(v, rc, "incident open", NULL, NULL);
	uint8_t rnd[4];
	char hex[9], iid[16], now[32], detected[32];
	time_t t;
	pv_random(rnd, sizeof rnd);
	pv_hex(hex, rnd, sizeof rnd);
	snprintf(iid, sizeof iid, "INC-%s", hex);
	pv_time_now(now, sizeof now);
	parse_time(detected_at, &t);
	pv_time_iso(detected, sizeof detected, t);
	struct pv_stored_incident c = { iid, kind_names[kind], "open", detected, description,
					v->principal, now, "", "", "", "" };
	char detail[64];
	snprintf(detail, sizeof detail, "%s, %s", iid, kind_names[kind]);
	if ((rc = with_entry(v, "incident open", NULL, detail, do_put, &c)) != PV_OK)
		return rc;
	*id = strdup(iid);
	return *id ? PV_OK : pv_fail(v, PV_ERR_NOMEM, "out of memory");
}

/* ------------------------------------------------------------------ state ---- */

struct state_args {
	const char *id;
	pv_incident_state to;
};

/* The incident's row copied so it outlives the next store call. */
struct incident_copy {
	char f[11][INCIDENT_TEXT_MAX + 1];
	struct pv_stored_incident c;
};

static void copy_incident(struct incident_copy *k, const struct pv_stored_incident *c)
{
	const char *from[11] = { c->id,		 c->kind,	 c->state,     c->detected_at,
				 c->description, c->opened_by,	 c->opened_at, c->contained_at,
				 c->notified_at, c->closed_at,	 c->scope_filter };
	const char **to[11] = { &k->c.id,	   &k->c.kind,	    &k->c.state,
				&k->c.detected_at, &k->c.description, &k->c.opened_by,
				&k->c.opened_at,   &k->c.contained_at, &k->c.notified_at,
				&k->c.closed_at,   &k->c.scope_filter };
	for (int i = 0; i < 11; i++) {
		snprintf(k->f[i], sizeof k->f[i], "%s", from[i]);
		*to[i] = k->f[i];
	}
}

static pv_rc do_state(pv_vault *v, void *p)
{
	struct state_args *a = p;
	struct pv_stored_incident c;
	pv_rc rc = load(v, a->id, &c);
	if (rc)
		return rc;
	int from = pv_incident_state_from_name(c.state);
	if ((int)a->to <= from)
		return pv_fail(v, PV_ERR_USAGE, "state: incident %s is %s; it only moves forward "
				"(open, contained, notified, closed)", a->id, c.state);
	struct incident_copy *k = malloc(sizeof *k);
	if (!k)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	copy_incident(k, &c);
	char now[32];
	pv_time_now(now, sizeof now);
	const char **at[] = { NULL, &k->c.contained_at, &k->c.notified_at, &k->c.closed_at };
	*at[a->to] = now;
	k->c.state = state_names[a->to];
	rc = pv_store_incident_put(v->store, &k->c) ? store_failed(v) : PV_OK;
	free(k);
	return rc;
}

pv_rc pv_incident_set_state(pv_vault *v, const pv_access *who, const char *id,
			    pv_incident_state state)
{
	pv_rc rc = authorize(v, who, "incident state");
	if (rc)
		return rc;
	if ((unsigned)state >= NSTATES || state == PV_INCIDENT_OPEN)
		return pv_audit_failure(v, pv_fail(v, PV_ERR_USAGE, "state: must be contained, "
						   "notified or closed"), "incident state", NULL,
					NULL);
	char detail[64];
	snprintf(detail, sizeof detail, "%.20s: %s", id ? id : "", state_names[state]);
	struct state_args a = { id, state };
	return with_entry(v, "incident state", NULL, detail, do_state, &a);
}

/* ------------------------------------------------------------------ scope ---- */

/* The filter with its window bounds checked and written as the log writes times. */
struct scope_args {
	const char *id;
	pv_incident_filter f;
	char since[32], until[32], described[512];
	struct pv_scope_found found;
};

static pv_rc check_filter(pv_vault *v, const pv_incident_filter *f, struct scope_args *a)
{
	a->f = *f;
	if (f->since && window_bound(f->since, a->since, sizeof a->since) != 0)
		return pv_fail(v, PV_ERR_USAGE, "since: not an ISO 8601 date or time");
	if (f->until && window_bound(f->until, a->until, sizeof a->until) != 0)
		return pv_fail(v, PV_ERR_USAGE, "until: not an ISO 8601 date or time");
	if (f->since && f->until && strcmp(a->since, a->until) >= 0)
		return pv_fail(v, PV_ERR_USAGE, "until: not after since");
	a->f.since = f->since ? a->since : NULL;
	a->f.until = f->until ? a->until : NULL;
	if (f->operation && !pv_scope_operation_known(f->operation))
		return pv_fail(v, PV_ERR_USAGE, "operation: must be read, find, list, export or "
				"update");
	snprintf(a->described, sizeof a->described, "user=%s since=%s until=%s operation=%s "
		 "customers=%zu", f->user ? f->user : "*", f->since ? a->since : "*",
		 f->until ? a->until : "*", f->operation ? f->operation : "*", f->ncustomers);
	return PV_OK;
}

/* customer's category names, comma-separated, into out. */
static void categories_of(const struct pv_scope_found *s, const char *customer, char *out,
			  size_t n)
{
	out[0] = '\0';
	for (int c = 0; c < PV_CATEGORY_COUNT; c++) {
		if (!pv_idset_has(&s->by_category[c], customer))
			continue;
		size_t l = strlen(out);
		snprintf(out + l, n - l, "%s%s", l ? "," : "", pv_category_name(c));
	}
}

static pv_rc do_scope(pv_vault *v, void *p)
{
	struct scope_args *a = p;
	struct pv_stored_incident c;
	pv_rc rc = load(v, a->id, &c);
	if (rc)
		return rc;
	if (strcmp(c.state, "closed") == 0)
		return pv_fail(v, PV_ERR_USAGE, "state: incident %s is closed; its scope stays as "
				"it was", a->id);
	struct incident_copy *k = malloc(sizeof *k);
	if (!k)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	copy_incident(k, &c);
	k->c.scope_filter = a->described;
	int st = pv_store_incident_put(v->store, &k->c) || pv_store_incident_scope_clear(v->store,
											  a->id);
	free(k);
	char cats[64];
	for (size_t i = 0; !st && i < a->found.all.n; i++) {
		categories_of(&a->found, a->found.all.ids[i], cats, sizeof cats);
		st = pv_store_incident_scope_add(v->store, a->id, a->found.all.ids[i], cats);
	}
	return st ? store_failed(v) : PV_OK;
}

pv_rc pv_incident_scope(pv_vault *v, const pv_access *who, const char *id,
			const pv_incident_filter *f, pv_incident_counts *counts)
{
	pv_audit_fresh(v); /* the log as it is now */
	memset(counts, 0, sizeof *counts);
	pv_rc rc = authorize(v, who, "incident scope");
	if (rc)
		return rc;
	static const pv_incident_filter any = { 0 };
	struct scope_args *a = calloc(1, sizeof *a);
	if (!a)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	a->id = id;
	if (!(rc = check_filter(v, f ? f : &any, a)) && !(rc = pv_scope_find(v, &a->f, &a->found))) {
		char detail[96];
		snprintf(detail, sizeof detail, "%.20s: %zu entries, %zu customers", id ? id : "",
			 a->found.entries, a->found.all.n);
		rc = with_entry(v, "incident scope", NULL, detail, do_scope, a);
		counts->entries = a->found.entries;
		counts->customers = a->found.all.n;
		for (int c = 0; c < PV_CATEGORY_COUNT; c++)
			counts->categories += a->found.by_category[c].n > 0;
		pv_scope_found_free(&a->found);
	} else {
		rc = pv_audit_failure(v, rc, "incident scope", NULL, NULL);
	}
	free(a);
	if (rc)
		memset(counts, 0, sizeof *counts);
	return rc;
}

/* ------------------------------------------------------------- get, list ---- */

/* The incident's row as a JSON object (no scope). */
static json_t *incident_json(const struct pv_stored_incident *c)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?}", "id",
			 c->id, "kind", c->kind, "state", c->state, "detected_at", c->detected_at,
			 "description", c->description, "opened_by", c->opened_by, "opened_at",
			 c->opened_at, "contained_at", *c->contained_at ? c->contained_at : NULL,
			 "notified_at", *c->notified_at ? c->notified_at : NULL, "closed_at",
			 *c->closed_at ? c->closed_at : NULL, "scope_filter",
			 *c->scope_filter ? c->scope_filter : NULL);
}

struct scope_json {
	json_t *list;
	struct pv_idset ids;
	int failed;
};

static int scope_one(void *p, const char *customer, const char *categories)
{
	struct scope_json *s = p;
	json_t *cats = json_array();
	char *copy = strdup(categories), *save = NULL;
	for (char *c = copy ? strtok_r(copy, ",", &save) : NULL; c; c = strtok_r(NULL, ",", &save))
		json_array_append_new(cats, json_string(c));
	json_t *one = json_pack("{s:s, s:o}", "customer", customer, "categories", cats);
	if (!copy || !one || json_array_append_new(s->list, one) != 0 ||
	    pv_idset_add(&s->ids, customer) < 0)
		s->failed = 1;
	free(copy);
	return s->failed ? -1 : 0;
}

/* *json gets the text of doc (consumed); PV_ERR_NOMEM when it cannot be made. */
static pv_rc dump(pv_vault *v, json_t *doc, char **json)
{
	*json = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(doc);
	return *json ? PV_OK : pv_fail(v, PV_ERR_NOMEM, "out of memory");
}

/* The seal state of incident id as JSON into *out: "sealed" (since when, by whom, how
 * many customers), "released" (the last seal's time, and when, by whom and under whose
 * approval it was lifted) or "never". A seal state that fails its check fails. */
static pv_rc seal_json(pv_vault *v, const char *id, json_t **out)
{
	struct pv_seal_history h;
	pv_rc rc = pv_seal_reload(v);
	if (rc)
		return rc;
	int got = pv_seal_history_get(v, id, &h);
	if (got < 0)
		return pv_fail(v, v->authz_tampered ? PV_ERR_CORRUPT : PV_ERR_STORE, "%s",
			       pv_store_errmsg(v->store));
	const struct pv_sealed_incident *now = pv_seal_incident(v, id);
	const char *state = now ? "sealed" : got == 0 && h.released_at[0] ? "released" : "never";
	json_t *o = json_pack("{s:s, s:I}", "state", state, "customers",
			      (json_int_t)(now ? now->n : 0));
	const char *keys[] = { "sealed_at", "sealed_by", "released_at", "released_by",
			       "approved_by" };
	const char *vals[] = { h.sealed_at, h.sealed_by, h.released_at, h.released_by,
			       h.approved_by };
	for (size_t i = 0; o && got == 0 && i < 5; i++)
		if (*vals[i] && (!now || i < 2)) /* sealed now: the earlier release is history */
			json_object_set_new(o, keys[i], json_string(vals[i]));
	*out = o;
	return o ? PV_OK : pv_fail(v, PV_ERR_NOMEM, "out of memory");
}

/* Incident id with its scope as a JSON object into *doc; s gathers the scope's ids. */
static pv_rc build_one(pv_vault *v, const char *id, struct scope_json *s, json_t **doc)
{
	struct pv_stored_incident c;
	pv_rc rc = load(v, id, &c);
	if (rc)
		return rc;
	*doc = incident_json(&c);
	s->list = json_array();
	if (!*doc || !s->list)
		s->failed = 1;
	else if (pv_store_incident_scope_scan(v->store, id, scope_one, s) < 0 && !s->failed)
		rc = store_failed(v);
	json_object_set_new(*doc, "scope", s->list);
	if (s->failed)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	json_object_set_new(*doc, "scope_customers", json_integer((json_int_t)s->ids.n));
	json_t *seal = NULL;
	if (!rc && (rc = seal_json(v, id, &seal)) == PV_OK)
		json_object_set_new(*doc, "seal", seal);
	return rc;
}

pv_rc pv_incident_get(pv_vault *v, const pv_access *who, const char *id, char **json)
{
	*json = NULL;
	pv_rc rc = authorize(v, who, "incident show");
	if (rc)
		return rc;
	struct scope_json s = { NULL, { 0 }, 0 };
	json_t *doc = NULL;
	if ((rc = pv_incident_digests_check(v)) || (rc = build_one(v, id, &s, &doc)) != PV_OK) {
		json_decref(doc);
		pv_idset_free(&s.ids);
		return pv_audit_failure(v, rc, "incident show", NULL, NULL);
	}
	pv_idset_sort(&s.ids);
	char *ids = s.ids.n ? pv_idset_join(&s.ids) : NULL;
	struct pv_audit_event e = { "incident show", ids, NULL, NULL, "ok", id };
	if (s.ids.n && !ids)
		rc = pv_fail(v, PV_ERR_NOMEM, "out of memory");
	else
		rc = pv_audit_append(v, &e);
	free(ids);
	pv_idset_free(&s.ids);
	if (rc) {
		json_decref(doc);
		return rc;
	}
	return dump(v, doc, json);
}

struct list_json {
	pv_vault *v;
	json_t *list;
	int failed;
};

static int count_one(void *p, const char *customer, const char *categories)
{
	(void)customer;
	(void)categories;
	(*(size_t *)p)++;
	return 0;
}

static int list_one(void *p, const struct pv_stored_incident *c)
{
	struct list_json *l = p;
	json_t *one = incident_json(c);
	if (!one || json_array_append_new(l->list, one) != 0)
		l->failed = 1;
	return l->failed ? -1 : 0;
}

/* Each listed incident's scope size (after the scan: one statement at a time). */
static int add_sizes(pv_vault *v, json_t *list)
{
	size_t i;
	json_t *one;
	json_array_foreach(list, i, one) {
		size_t n = 0;
		const char *id = json_string_value(json_object_get(one, "id"));
		if (pv_store_incident_scope_scan(v->store, id, count_one, &n) < 0)
			return -1;
		json_object_set_new(one, "scope_customers", json_integer((json_int_t)n));
	}
	return 0;
}

pv_rc pv_incident_list(pv_vault *v, const pv_access *who, char **json)
{
	*json = NULL;
	pv_rc rc = authorize(v, who, "incident list");
	if (!rc && (rc = pv_incident_digests_check(v)) != PV_OK)
		return pv_audit_failure(v, rc, "incident list", NULL, NULL);
	if (rc)
		return rc;
	struct list_json l = { v, json_array(), 0 };
	l.failed = !l.list;
	int st = l.list ? pv_store_incident_scan(v->store, list_one, &l) : 0;
	if (st >= 0 && !l.failed)
		st = add_sizes(v, l.list);
	if (l.failed || st < 0) {
		json_decref(l.list);
		rc = l.failed ? pv_fail(v, PV_ERR_NOMEM, "out of memory") : store_failed(v);
		return pv_audit_failure(v, rc, "incident list", NULL, NULL);
	}
	struct pv_audit_event e = { "incident list", NULL, NULL, NULL, "ok", NULL };
	if ((rc = pv_audit_append(v, &e)) != PV_OK) {
		json_decref(l.list);
		return rc;
	}
	return dump(v, l.list, json);
}
