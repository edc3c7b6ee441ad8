/* SPDX-License-Identifier: Apache-2.0 */
/* decommission.c: the wind-down of a company that is deregistered (注销, PIPL art. 47):
 * what the law requires keeping (customers under a legal hold, whole; values a retention
 * rule with law: keeps, until due) is archived into an age package for the designated
 * keeper, in the handover package format; the holds so covered are released; every
 * customer is then crypto-shredded with destruction certificates; and a signed final
 * report gives the counts, the certificates, the notices sent, the requests still open
 * and the state of the audit log. After it, the vault holds no customer data. */
#include "handover.h"
#include "transfers.h"

#include "formats/age.h"
#include "approvals.h"
#include "audit.h"
#include "authz_mac.h"
#include "dates.h"
#include "policy.h"
#include "record.h"
#include "retention.h"
#include "signed_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SHRED_BATCH 100000
#define LISTED_MAX 1000 /* customers named in a plan, per kind */

/* What happens to one customer: kept whole (held), some values kept by law, or neither. */
struct verdict {
	int held;
	char hold_reason[256];
	int by_law;
	char until[11];
	const char *law;
};

struct winddown {
	pv_vault *v;
	char today[11];
	unsigned char *keep; /* per field, for the customer at hand */
	uint64_t total, whole, partial, destroyed;
	json_t *listed_whole, *listed_law;
	pv_plan_fn fn; /* the package writer, when archiving */
	void *fn_ctx;
	pv_rc rc;
};

static int judge(struct winddown *w, const struct pv_stored_customer *c, char **values,
		 struct verdict *d)
{
	char since[32];
	memset(d, 0, sizeof *d);
	int held = pv_authz_hold_active(w->v, c->id, d->hold_reason, sizeof d->hold_reason,
					since, sizeof since);
	if (held < 0) {
		w->rc = pv_fail(w->v, PV_ERR_STORE, "%s", pv_store_errmsg(w->v->store));
		return -1;
	}
	d->held = held;
	d->by_law = !held && pv_retention_legal_keep(w->v->schema, values, w->today, d->until,
						     &d->law, w->keep);
	return 0;
}

/* Note one customer's fate in the counts and the (bounded) lists of the plan. */
static void tally(struct winddown *w, const struct pv_stored_customer *c, const struct verdict *d)
{
	const struct pv_schema *s = w->v->schema;
	w->total++;
	if (d->held) {
		if (w->whole++ < LISTED_MAX)
			json_array_append_new(w->listed_whole, json_pack("{s:s, s:s}", "customer", c->id,
									 "hold", d->hold_reason));
	} else if (d->by_law) {
		if (w->partial++ < LISTED_MAX) {
			json_t *fields = json_array();
			for (size_t i = 0; i < s->nfields; i++)
				if (w->keep[i])
					json_array_append_new(fields, json_string(s->fields[i].name));
			json_array_append_new(w->listed_law,
					      json_pack("{s:s, s:o, s:s, s:s}", "customer", c->id,
							"fields", fields, "until", d->until, "law",
							d->law));
		}
	} else {
		w->destroyed++;
	}
}

static int visit(void *ctx, const struct pv_stored_customer *c)
{
	struct winddown *w = ctx;
	pv_vault *v = w->v;
	char **values;
	struct verdict d;
	pv_progress(v, "scan", w->total, 0);
	if ((w->rc = pv_open_customer(v, c, &values)) != PV_OK)
		return -1;
	int st = judge(w, c, values, &d);
	if (!st)
		tally(w, c, &d);
	if (!st && w->fn && (d.held || d.by_law)) {
		for (size_t i = 0; d.by_law && i < v->schema->nfields; i++)
			if (!w->keep[i]) { /* only what the law keeps goes to the keeper */
				pv_wipe(values[i], strlen(values[i]));
				values[i][0] = '\0';
			}
		st = w->fn(w->fn_ctx, c, values, NULL);
	}
	pv_values_wipe_free(values, v->schema->nfields);
	return st;
}

static pv_rc scan(struct winddown *w)
{
	int st = pv_store_customer_scan(w->v->store, NULL, 0, visit, w);
	if (st < 0 && !w->rc)
		w->rc = pv_fail(w->v, PV_ERR_STORE, "%s", pv_store_errmsg(w->v->store));
	return w->rc;
}

static int winddown_init(struct winddown *w, pv_vault *v)
{
	memset(w, 0, sizeof *w);
	w->v = v;
	pv_date_today(0, w->today);
	w->keep = calloc(v->schema->nfields + 1, 1);
	w->listed_whole = json_array();
	w->listed_law = json_array();
	return w->keep && w->listed_whole && w->listed_law ? 0 : -1;
}

static void winddown_free(struct winddown *w)
{
	free(w->keep);
	json_decref(w->listed_whole);
	json_decref(w->listed_law);
}

static int add_open_dsr(void *ctx, const struct pv_stored_dsr *d)
{
	if (!*d->closed)
		json_array_append_new(ctx, json_pack("{s:s, s:s, s:s, s:s}", "request", d->id,
						     "customer", d->customer, "type", d->type, "due",
						     d->due));
	return 0;
}

pv_rc pv_decommission_plan(pv_vault *v, const pv_access *who, char **json)
{
	*json = NULL;
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_DECOMMISSION, &role);
	if (rc)
		return pv_audit_failure(v, rc, "decommission plan", NULL, NULL);
	struct winddown w;
	json_t *open = json_array();
	if (winddown_init(&w, v) != 0 || !open)
		rc = pv_fail(v, PV_ERR_NOMEM, "out of memory");
	if (!rc)
		rc = scan(&w);
	if (!rc && pv_store_dsr_scan(v->store, add_open_dsr, open) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	json_t *doc = rc ? NULL : json_pack(
		"{s:s, s:s, s:s, s:I, s:{s:I, s:O, s:I, s:O}, s:I, s:O, s:s}", "type",
		"pivault decommission plan", "company",
		v->schema->vault_label ? v->schema->vault_label : "", "as_of", w.today, "customers",
		(json_int_t)w.total, "keep", "whole_under_legal_hold", (json_int_t)w.whole,
		"held", w.listed_whole, "values_kept_by_law", (json_int_t)w.partial, "by_law",
		w.listed_law, "destroy", (json_int_t)w.destroyed, "open_requests", open, "note",
		"kept data goes to the designated keeper in an encrypted archive; everything else "
		"is crypto-shredded with destruction certificates (lists name at most 1000 "
		"customers each)");
	json_decref(open);
	if (doc)
		*json = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(doc);
	winddown_free(&w);
	if (!rc && !*json)
		rc = pv_fail(v, PV_ERR_NOMEM, "out of memory");
	return rc ? rc : pv_ok(v);
}

/* ------------------------------------------------------------------- run ---- */

struct run {
	struct winddown w;
	struct pv_plan plan; /* the archive's "plan": the keeper and every field */
	pv_handover_summary archive;
	char manifest_hex[65];
	json_t *certificates; /* SHA-256 of each certificate */
	uint64_t released, shredded;
	pv_certificate_fn cert_fn;
	void *cert_ctx;
};

static pv_rc archive_walk(pv_vault *v, void *ctx, pv_plan_fn fn, void *fn_ctx)
{
	(void)v;
	struct run *r = ctx;
	r->w.fn = fn;
	r->w.fn_ctx = fn_ctx;
	return scan(&r->w);
}

/* The archive's plan: the keeper as recipient, every field. */
static pv_rc archive_plan(pv_vault *v, struct run *r, const pv_decommission_spec *sp)
{
	uint8_t pk[PV_AGE_KEY], rnd[4];
	char err[512], hex[9], now[32];
	if (!sp->keeper_key || !sp->keeper_name || !sp->keeper_contact || !sp->archive_path)
		return pv_fail(v, PV_ERR_USAGE, "decommissioning needs the keeper's name, contact "
			       "and age public key, and the archive's path");
	if (access(sp->archive_path, F_OK) == 0) /* before the approval is used up */
		return pv_fail(v, PV_ERR_EXISTS, "%s exists: the archive goes to a new file",
			       sp->archive_path);
	if (strncmp(sp->keeper_key, "age1", 4) == 0
		    ? pv_age_parse_recipient(sp->keeper_key, strlen(sp->keeper_key), pk) != 0
		    : pv_age_read_recipient_file(sp->keeper_key, pk, err, sizeof err) != 0)
		return pv_fail(v, PV_ERR_USAGE, "the keeper's key is not an age public key (age1...)");
	char *recipient = pv_age_format_recipient(pk);
	json_t *fields = json_array();
	for (size_t i = 0; fields && i < v->schema->nfields; i++)
		json_array_append_new(fields, json_string(v->schema->fields[i].name));
	pv_random(rnd, sizeof rnd);
	pv_hex(hex, rnd, sizeof rnd);
	snprintf(r->plan.id, sizeof r->plan.id, "A-%s", hex);
	pv_time_now(now, sizeof now);
	r->plan.doc = recipient && fields ? json_pack(
		"{s:s, s:i, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s}, s:o, s:s}", "type",
		"pivault decommission archive", "version", 1, "id", r->plan.id, "vault",
		v->vault_id_hex, "company", v->schema->vault_label ? v->schema->vault_label : "",
		"created", now, "recipient", "name", sp->keeper_name, "contact", sp->keeper_contact,
		"country", "CN", "age_recipient", recipient, "fields", fields, "scope",
		"customers under legal hold (whole) and values a law keeps (until due)") : NULL;
	free(recipient);
	json_t *rcp = json_object_get(r->plan.doc, "recipient");
	r->plan.recipient_key = json_string_value(json_object_get(rcp, "age_recipient"));
	r->plan.moves = malloc(v->schema->nfields + 1);
	if (!r->plan.doc || !r->plan.moves)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	memset(r->plan.moves, 1, v->schema->nfields + 1);
	return PV_OK;
}

/* Holds of archived customers end: the data they protect is with the keeper now. */
static int release_one(void *ctx, const char *customer, const char *reason, const char *by,
		       const char *since, const char *released, const char *released_by)
{
	(void)reason, (void)by, (void)since, (void)released_by;
	struct run *r = ctx;
	if (released[0])
		return 0;
	char now[32];
	int n = 0;
	pv_time_now(now, sizeof now);
	if (pv_authz_hold_release(r->w.v, customer, now, r->w.v->principal, &n) != 0)
		return -1;
	r->released += n > 0;
	return 0;
}

static pv_rc release_holds(pv_vault *v, struct run *r)
{
	if (pv_store_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	pv_rc rc = PV_OK;
	if (pv_authz_hold_scan(v, release_one, r) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	char detail[200];
	snprintf(detail, sizeof detail, "%llu legal holds released: the held customers are "
		 "archived for the keeper in %s", (unsigned long long)r->released,
		 r->archive.package_id);
	struct pv_audit_event e = { "decommission run", "*", NULL, NULL, "ok", detail };
	rc = pv_audit_commit(v, &e, rc);
	return rc;
}

struct page {
	char **ids;
	size_t n;
	char last[80];
};

static int page_add(void *ctx, const struct pv_stored_customer *c)
{
	struct page *p = ctx;
	if (!(p->ids[p->n] = strdup(c->id)))
		return -1;
	snprintf(p->last, sizeof p->last, "%s", c->id);
	p->n++;
	return 0;
}

/* Shred every customer, a page at a time, each with its certificate. */
static pv_rc shred_all(pv_vault *v, struct run *r, uint64_t total)
{
	char grounds[400];
	snprintf(grounds, sizeof grounds, "decommissioning (注销) of %s: what the law keeps was "
		 "archived for the keeper in package %s (root %s); everything else is destroyed",
		 v->schema->vault_label ? v->schema->vault_label : v->vault_id_hex,
		 r->archive.package_id, r->archive.root_hash);
	struct page p = { calloc(SHRED_BATCH, sizeof(char *)), 0, "" };
	pv_rc rc = p.ids ? PV_OK : pv_fail(v, PV_ERR_NOMEM, "out of memory");
	while (!rc) {
		/* shredded customers are gone: the first page is always the next one */
		p.n = 0;
		if (pv_store_customer_scan(v->store, NULL, SHRED_BATCH, page_add, &p) != 0) {
			rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
			break;
		}
		if (!p.n)
			break;
		char *cert = NULL;
		rc = pv_shred_run(v, (const char *const *)p.ids, p.n, NULL, NULL, grounds, &cert);
		if (cert) { /* the batch committed, even if a step after it failed (rc) */
			uint8_t h[32];
			char hex[65];
			pv_sha256(h, cert, strlen(cert), NULL, 0, NULL, 0);
			pv_hex(hex, h, sizeof h);
			json_array_append_new(r->certificates, json_string(hex));
			r->shredded += p.n;
			pv_progress(v, "shred", r->shredded, total);
			if (r->cert_fn && r->cert_fn(r->cert_ctx, cert) != 0 && !rc)
				rc = pv_fail(v, PV_ERR_IO, "a certificate could not be kept: stopped after "
					     "%llu customers", (unsigned long long)r->shredded);
		}
		pv_free(cert);
		for (size_t i = 0; i < p.n; i++)
			free(p.ids[i]);
	}
	free(p.ids);
	return rc;
}

static int count_notice(void *ctx, int64_t notice, const struct pv_store_notice *n)
{
	(void)notice;
	json_t *kinds = ctx, *kind = json_object_get(kinds, n->kind);
	if (!kind)
		json_object_set_new(kinds, n->kind, kind = json_object());
	json_t *c = json_object_get(kind, n->state);
	json_object_set_new(kind, n->state, json_integer((c ? json_integer_value(c) : 0) + 1));
	return 0;
}

/* The final report, signed with the vault key. */
static char *final_report(pv_vault *v, struct run *r, const pv_decommission_spec *sp)
{
	json_t *notices = json_object(), *open = json_array();
	pv_store_notice_scan(v->store, NULL, count_notice, notices);
	pv_store_dsr_scan(v->store, add_open_dsr, open);
	char *audit = NULL, now[32];
	pv_rc verified = pv_audit_verify(v, NULL, NULL, &audit);
	uint64_t left = 0;
	(void)pv_store_customer_count(v->store, &left);
	pv_time_now(now, sizeof now);
	json_t *body = json_pack(
		"{s:s, s:i, s:s, s:s, s:s, s:{s:I, s:I, s:I, s:I, s:I}, s:{s:s, s:s, s:s, s:s, s:I},"
		" s:I, s:o, s:o, s:o, s:{s:b, s:s}}",
		"type", "pivault decommission report", "version", 1, "vault", v->vault_id_hex,
		"company", v->schema->vault_label ? v->schema->vault_label : "", "time", now,
		"counts", "customers_before", (json_int_t)r->w.total, "archived_whole",
		(json_int_t)r->w.whole, "archived_values_kept_by_law", (json_int_t)r->w.partial,
		"shredded", (json_int_t)r->shredded, "customers_left", (json_int_t)left, "archive",
		"package", r->archive.package_id, "root_hash", r->archive.root_hash, "file",
		sp->archive_path, "keeper", sp->keeper_name, "records", (json_int_t)r->archive.records,
		"holds_released", (json_int_t)r->released, "certificates", r->certificates,
		"notices", notices, "open_requests", open, "audit", "verified", verified == PV_OK,
		"report", audit ? audit : v->errmsg);
	r->certificates = NULL; /* now the report's */
	pv_free(audit);
	char pkh[65];
	json_t *doc = body && pv_vault_public_key(v, pkh) == PV_OK
			      ? pv_signed_json(v, "report", body)
			      : (json_decref(body), NULL);
	if (doc)
		json_object_set_new(doc, "signed_by", json_string(pkh));
	char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(doc);
	return text;
}

/* The approval, for this keeper, their key (as read from the file now, when a file was
 * named) and this archive, used up with an audit entry before anything is done. */
static pv_rc begin_run(pv_vault *v, const struct run *r, const pv_decommission_spec *sp)
{
	struct pv_params ap;
	pv_params_init(&ap);
	pv_params_add(&ap, "keeper", sp->keeper_name);
	pv_params_add(&ap, "keeper_contact", sp->keeper_contact);
	pv_params_add(&ap, "keeper_key", r->plan.recipient_key);
	pv_params_add(&ap, "archive", sp->archive_path);
	pv_rc rc = pv_store_begin(v->store) ? pv_fail(v, PV_ERR_STORE, "%s",
						      pv_store_errmsg(v->store)) : PV_OK;
	if (!rc)
		rc = pv_approval_consume(v, "decommission run", &ap);
	pv_params_free(&ap);
	struct pv_audit_event e = { "decommission run", "*", NULL, NULL, "ok",
				    "wind-down started: archive, release holds, shred all" };
	rc = pv_audit_commit(v, &e, rc);
	return rc;
}

pv_rc pv_decommission_run(pv_vault *v, const pv_access *who, const pv_decommission_spec *sp,
			  pv_certificate_fn cert_fn, void *ctx, char **report)
{
	*report = NULL;
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_DECOMMISSION, &role);
	if (rc)
		return pv_audit_failure(v, rc, "decommission run", NULL, NULL);
	struct run r = { .cert_fn = cert_fn, .cert_ctx = ctx, .certificates = json_array() };
	if (winddown_init(&r.w, v) != 0 || !r.certificates)
		rc = pv_fail(v, PV_ERR_NOMEM, "out of memory");
	if (!rc)
		rc = archive_plan(v, &r, sp);
	if (!rc)
		rc = begin_run(v, &r, sp);
	if (!rc) { /* the archive is complete and synced before anything is destroyed */
		struct pv_package_source src = { .plan = &r.plan, .walk = archive_walk,
						 .walk_ctx = &r };
		rc = pv_package_write(v, &src, sp->archive_path, &r.archive, r.manifest_hex);
	}
	if (!rc)
		rc = release_holds(v, &r);
	if (!rc)
		rc = shred_all(v, &r, r.w.total);
	if (!rc && !(*report = final_report(v, &r, sp)))
		rc = pv_fail(v, PV_ERR_NOMEM, "cannot make the final report");
	json_decref(r.plan.doc);
	free(r.plan.moves);
	json_decref(r.certificates);
	winddown_free(&r.w);
	if (rc)
		return pv_audit_failure(v, rc, "decommission run", NULL, NULL);
	return pv_ok(v);
}
