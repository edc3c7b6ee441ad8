/* SPDX-License-Identifier: Apache-2.0 */
/* complaints.c: complaints and disputes about personal information (投诉, 争议), linked to
 * a customer and, where there is one, a data-subject request, with their own deadline
 * (15 days) so reports can count the open, late and resolved ones. What staff write in
 * them is sealed under the customer's data key: shredding the customer destroys it too. */
#include "dates.h"
#include "audit.h"
#include "policy.h"
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define COMPLAINT_DAYS 15

static void stamp(char *day, char *due, char *at, int add_days)
{
	if (day)
		pv_date_today(0, day);
	if (at)
		pv_time_now(at, 32);
	if (due)
		pv_date_today(add_days, due);
}

/* Seal text under customer's key and add it to complaint cid as a note of kind. */
static pv_rc add_note(pv_vault *v, const char *cid, const char *customer, const char *kind,
		      const char *text)
{
	struct pv_stored_customer c;
	int got = pv_store_customer_get(v->store, customer, &c);
	if (got != 0)
		return got < 0 ? pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store))
			       : pv_fail(v, PV_ERR_NOT_FOUND, "customer %s is no longer in the vault "
					 "(shredded?)", customer);
	char note_id[64], at[32];
	uint8_t rnd[6];
	pv_random(rnd, sizeof rnd);
	char hex[13];
	pv_hex(hex, rnd, sizeof rnd);
	snprintf(note_id, sizeof note_id, "%s/%s", cid, hex);
	stamp(NULL, NULL, at, 0);
	uint8_t *sealed;
	size_t len;
	pv_rc rc = pv_seal_note(v, &c, note_id, text, &sealed, &len);
	if (rc)
		return rc;
	if (pv_store_complaint_note_add(v->store, cid, note_id, at, v->principal, kind, sealed, len))
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	free(sealed);
	return rc;
}

/* Run change in a transaction with its audit entry (op, customer); audit failures too. */
static pv_rc with_entry(pv_vault *v, const char *op, const char *customer, const char *detail,
			pv_rc (*change)(pv_vault *, void *), void *ctx)
{
	if (pv_store_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	pv_rc rc = change(v, ctx);
	struct pv_audit_event e = { op, customer, NULL, NULL, "ok", detail };
	rc = pv_audit_commit(v, &e, rc);
	return rc ? pv_audit_failure(v, rc, op, customer, NULL) : pv_ok(v);
}

struct open_args {
	const char *id, *customer, *dsr, *text;
};

static pv_rc do_open(pv_vault *v, void *p)
{
	struct open_args *a = p;
	if (a->dsr && *a->dsr) {
		struct pv_stored_dsr d;
		int got = pv_store_dsr_get(v->store, a->dsr, &d);
		if (got != 0)
			return got < 0 ? pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store))
				       : pv_fail(v, PV_ERR_NOT_FOUND, "no data-subject request %s", a->dsr);
		if (strcmp(d.customer, a->customer) != 0)
			return pv_fail(v, PV_ERR_USAGE, "request %s is of another customer", a->dsr);
	}
	char day[11], due[11];
	stamp(day, due, NULL, COMPLAINT_DAYS);
	struct pv_stored_complaint c = { a->id, a->customer, a->dsr ? a->dsr : "", day, due, "" };
	if (pv_store_complaint_put(v->store, &c) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return add_note(v, a->id, a->customer, "opened", a->text);
}

pv_rc pv_complaint_open(pv_vault *v, const pv_access *who, const char *customer,
			const char *dsr, const char *text, char **id)
{
	*id = NULL;
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_DSR, &role);
	if (rc)
		return pv_audit_failure(v, rc, "complaint open", customer, NULL);
	if (!text || !*text)
		return pv_fail(v, PV_ERR_USAGE, "say what the complaint is about (--text)");
	uint8_t rnd[4];
	char hex[9], cid[16];
	pv_random(rnd, sizeof rnd);
	pv_hex(hex, rnd, sizeof rnd);
	snprintf(cid, sizeof cid, "K-%s", hex);
	struct open_args a = { cid, customer, dsr, text };
	rc = with_entry(v, "complaint open", customer, cid, do_open, &a);
	if (rc)
		return rc;
	*id = strdup(cid);
	return *id ? PV_OK : pv_fail(v, PV_ERR_NOMEM, "out of memory");
}

struct note_args {
	const char *id, *kind, *text;
	char customer[80];
};

static pv_rc do_note(pv_vault *v, void *p)
{
	struct note_args *a = p;
	struct pv_stored_complaint c;
	int got = pv_store_complaint_get(v->store, a->id, &c);
	if (got != 0)
		return got < 0 ? pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store))
			       : pv_fail(v, PV_ERR_NOT_FOUND, "no complaint %s", a->id);
	if (*c.resolved)
		return pv_fail(v, PV_ERR_USAGE, "complaint %s was resolved on %s", a->id, c.resolved);
	struct pv_stored_complaint copy = c;
	char buf[6][128];
	const char **f[] = { &copy.id, &copy.customer, &copy.dsr, &copy.opened, &copy.due,
			     &copy.resolved };
	for (int i = 0; i < 6; i++) {
		snprintf(buf[i], sizeof buf[i], "%s", *f[i]);
		*f[i] = buf[i];
	}
	snprintf(a->customer, sizeof a->customer, "%s", copy.customer);
	pv_rc rc = add_note(v, a->id, a->customer, a->kind, a->text);
	if (rc || strcmp(a->kind, "resolution") != 0)
		return rc;
	char day[11];
	stamp(day, NULL, NULL, 0);
	copy.resolved = day;
	if (pv_store_complaint_put(v->store, &copy) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return PV_OK;
}

static pv_rc note_or_resolve(pv_vault *v, const pv_access *who, const char *id,
			     const char *text, const char *kind, const char *op)
{
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_DSR, &role);
	if (rc)
		return pv_audit_failure(v, rc, op, NULL, NULL);
	if (!text || !*text)
		return pv_fail(v, PV_ERR_USAGE, "a note needs text (--text)");
	struct note_args a = { id, kind, text, "" };
	return with_entry(v, op, a.customer, id, do_note, &a); /* do_note fills a.customer */
}

pv_rc pv_complaint_note(pv_vault *v, const pv_access *who, const char *id, const char *text)
{
	return note_or_resolve(v, who, id, text, "note", "complaint note");
}

pv_rc pv_complaint_resolve(pv_vault *v, const pv_access *who, const char *id,
			   const char *outcome)
{
	return note_or_resolve(v, who, id, outcome, "resolution", "complaint resolve");
}

struct list_ctx {
	char today[11];
	pv_complaint_fn fn;
	void *ctx;
	struct pv_shown shown;
};

static int list_one(void *p, const struct pv_stored_complaint *c)
{
	struct list_ctx *l = p;
	const char *state = *c->resolved ? (strcmp(c->resolved, c->due) > 0 ? "resolved late"
									   : "resolved")
					 : strcmp(l->today, c->due) > 0 ? "late" : "open";
	int show = pv_shown_row(&l->shown, c->customer);
	if (show <= 0)
		return show;
	pv_complaint_info info = { c->id, c->customer, c->dsr, c->opened, c->due, state,
				   c->resolved };
	return l->fn(l->ctx, &info) ? 1 : 0;
}

pv_rc pv_complaint_list(pv_vault *v, const pv_access *who, pv_complaint_fn fn, void *ctx)
{
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_DSR, &role);
	if (rc)
		return pv_audit_failure(v, rc, "complaint list", NULL, NULL);
	struct pv_audit_event e = { "complaint list", NULL, NULL, NULL, "ok", NULL };
	struct list_ctx l = { "", fn, ctx, { { 0 }, 0 } };
	stamp(l.today, NULL, NULL, 0);
	if (pv_store_complaint_scan(v->store, list_one, &l) < 0) /* the ids, named first */
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (!rc)
		rc = pv_shown_audit(v, &l.shown, &e);
	if (!rc && pv_store_complaint_scan(v->store, list_one, &l) < 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	pv_shown_free(&l.shown);
	return rc ? rc : pv_ok(v);
}

struct show_ctx {
	pv_vault *v;
	char customer[80];
	pv_note_fn fn;
	void *ctx;
	pv_rc rc;
};

static int show_note(void *p, const char *note_id, const char *at, const char *by,
		     const char *kind, const uint8_t *sealed, size_t len)
{
	struct show_ctx *s = p;
	struct pv_stored_customer c;
	uint8_t *copy = malloc(len + 1);
	if (!copy) {
		s->rc = pv_fail(s->v, PV_ERR_NOMEM, "out of memory");
		return -1;
	}
	memcpy(copy, sealed, len);
	char nid[64], nat[32], nby[72], nkind[16];
	snprintf(nid, sizeof nid, "%s", note_id);
	snprintf(nat, sizeof nat, "%s", at);
	snprintf(nby, sizeof nby, "%s", by);
	snprintf(nkind, sizeof nkind, "%s", kind);
	char *text = NULL;
	int got = pv_store_customer_get(s->v->store, s->customer, &c);
	if (got == 0)
		s->rc = pv_open_note(s->v, &c, nid, copy, len, &text);
	free(copy);
	if (got == 0 && s->rc) /* the customer is there, so the note itself is damaged */
		return -1;
	/* a shredded customer: the note was destroyed with its key */
	pv_note_info n = { nat, nby, nkind, got == 0 ? text : NULL };
	int stop = s->fn(s->ctx, &n);
	if (text) {
		pv_wipe(text, strlen(text));
		free(text);
	}
	return stop ? 1 : 0;
}

pv_rc pv_complaint_show(pv_vault *v, const pv_access *who, const char *id, pv_note_fn fn,
			void *ctx)
{
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_DSR, &role);
	if (rc)
		return pv_audit_failure(v, rc, "complaint show", NULL, NULL);
	struct pv_stored_complaint c;
	int got = pv_store_complaint_get(v->store, id, &c);
	if (got != 0)
		return got < 0 ? pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store))
			       : pv_fail(v, PV_ERR_NOT_FOUND, "no complaint %s", id);
	struct show_ctx s = { v, "", fn, ctx, PV_OK };
	snprintf(s.customer, sizeof s.customer, "%s", c.customer);
	struct pv_audit_event e = { "complaint show", s.customer, NULL, NULL, "ok", id };
	if ((rc = pv_audit_append(v, &e)) != PV_OK)
		return rc;
	if (pv_store_complaint_note_scan(v->store, id, show_note, &s) < 0 && !s.rc)
		s.rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return s.rc ? s.rc : pv_ok(v);
}
