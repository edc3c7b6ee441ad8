/* SPDX-License-Identifier: Apache-2.0 */
/* transfer_notify.c: the notice of transfer each affected customer must receive (告知,
 * PIPL art. 22): rendered from a template the company can change (Chinese and English
 * defaults ship inside the library) with the recipient's name and contact, the data that
 * moves, the purposes, where the data goes when abroad, and how to object or ask for
 * deletion before the deadline. The result is a mail-merge stream (CSV or JSON Lines)
 * on the caller's output; each notice is recorded as queued. The vault sends nothing.
 * The customers are found first (ids only) and the audit entry naming them is committed
 * before the first byte goes out; only those customers are then rendered. */
#include "transfers.h"

#include "audit.h"
#include "bulk_reads.h"
#include "dates.h"
#include "notice_render.h"
#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const char pv_template_transfer_zh[], pv_template_transfer_en[];

struct notify {
	pv_vault *v;
	struct pv_plan *p;
	const char *tmpl;
	int zh, jsonl;
	FILE *out;
	char label[65];
	struct pv_notice_contacts k;
	char *data, *purposes, *cross_border;	 /* the plan's parts of the text */
	struct pv_buf text, line;		 /* one notice, then its output line */
	struct pv_idset told; /* the ids the audit entry names, sorted: no one else is shown */
	uint64_t count;
	pv_rc rc;
};

/* "name, phone (basic); bank_card (financial)": the fields that move, by category. */
static char *data_text(const pv_vault *v, const struct pv_plan *p, int zh)
{
	static const char *const zh_cat[] = { "基本信息", "财务信息", "其他信息" };
	size_t len;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	int first_cat = 1;
	for (int c = 0; c < PV_CATEGORY_COUNT; c++) {
		int any = 0;
		for (size_t i = 0; i < v->schema->nfields; i++) {
			if (!p->moves[i] || (int)v->schema->fields[i].category != c)
				continue;
			if (!any)
				fprintf(f, "%s%s: ", first_cat ? "" : "; ",
					zh ? zh_cat[c] : pv_category_name((enum pv_category)c));
			fprintf(f, "%s%s", any ? ", " : "", v->schema->fields[i].name);
			any = 1;
			first_cat = 0;
		}
	}
	return fclose(f) == 0 ? buf : (free(buf), NULL);
}

static char *purposes_text(const struct pv_plan *p, int zh)
{
	size_t len, i;
	char *buf = NULL;
	json_t *it;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	json_array_foreach(json_object_get(p->doc, "purposes"), i, it)
		fprintf(f, "%s%s", i ? ", " : "", json_string_value(it));
	if (p->same_purposes)
		fputs(zh ? "（与收集时的目的相同）" : " (the same purposes as when collected)", f);
	else
		fputs(zh ? "（包含新的目的，接收方将重新征得您的同意）"
			 : " (including new purposes: the recipient will ask for your consent again)",
		      f);
	return fclose(f) == 0 ? buf : (free(buf), NULL);
}

static char *cross_border_text(const struct pv_plan *p, int zh)
{
	char buf[512] = "";
	if (p->cross_border)
		snprintf(buf, sizeof buf,
			 zh ? "您的个人信息将被提供至中华人民共和国境外（%s），法律依据：%s；"
			      "此项提供需要您的单独同意。\n"
			    : "Your information will go outside mainland China (%s), on the basis "
			      "of %s; this needs your separate consent.\n",
			 p->country, p->legal_basis ? p->legal_basis : "");
	return strdup(buf);
}

struct one {
	struct notify *n;
	const struct pv_stored_customer *c;
	char **values;
};

static const char *lookup(void *ctx, const char *name, size_t len)
{
	struct one *o = ctx;
	struct notify *n = o->n;
	struct pv_plan *p = n->p;
#define IS(s) (len == sizeof(s) - 1 && memcmp(name, s, len) == 0)
	if (IS("customer_id"))
		return o->c->id;
	if (IS("customer_name"))
		return n->k.name_f >= 0 && o->values[n->k.name_f][0] ? o->values[n->k.name_f]
								     : (n->zh ? "客户" : "customer");
	if (IS("company"))
		return n->v->schema->vault_label ? n->v->schema->vault_label : "";
	if (IS("recipient_name"))
		return p->recipient_name;
	if (IS("recipient_contact"))
		return p->recipient_contact;
	if (IS("recipient_country"))
		return p->country;
	if (IS("data"))
		return n->data;
	if (IS("purposes"))
		return n->purposes;
	if (IS("deadline"))
		return p->deadline;
	if (IS("cross_border"))
		return n->cross_border;
#undef IS
	return NULL;
}

static int notify_one(void *ctx, const struct pv_stored_customer *c, char **values,
		      const char *excluded)
{
	(void)excluded; /* everyone in scope is told, whether or not they stay out */
	struct notify *n = ctx;
	if (!pv_idset_has(&n->told, c->id))
		return 0; /* in scope since the entry was written: not named, so not shown */
	struct one o = { n, c, values };
	const char *channel, *address;
	pv_notice_channel(&n->k, values, &channel, &address);
	pv_notice_render(&n->text, n->tmpl, lookup, &o);
	pv_notice_line(&n->line, n->jsonl, c->id, channel, address, n->text.p ? n->text.p : "");
	int oom = n->text.oom || n->line.oom;
	if (!oom)
		fwrite(n->line.p, 1, n->line.len, n->out);
	pv_buf_clear(&n->text); /* names and addresses: wiped at once */
	pv_buf_clear(&n->line);
	if (oom) {
		n->rc = pv_fail(n->v, PV_ERR_NOMEM, "out of memory");
		return -1;
	}
	char now[32];
	pv_time_now(now, sizeof now);
	int64_t number;
	struct pv_store_notice rec = { c->id, "transfer", n->label, channel, now, n->v->principal,
				       "queued", now };
	if (pv_store_notice_add(n->v->store, &rec, &number) != 0) {
		n->rc = pv_fail(n->v, PV_ERR_STORE, "%s", pv_store_errmsg(n->v->store));
		return -1;
	}
	n->count++;
	return ferror(n->out) ? (n->rc = pv_fail(n->v, PV_ERR_IO, "cannot write the notices"), -1)
			      : 0;
}

/* The version label recorded with each notice: the plan and the template used. */
static void template_label(struct notify *n, const char *custom)
{
	if (!custom) {
		snprintf(n->label, sizeof n->label, "%.23s transfer-notice.%s", n->p->id,
			 n->zh ? "zh" : "en");
		return;
	}
	uint8_t h[32];
	char hex[17];
	pv_hash2(h, custom, strlen(custom), NULL, 0);
	pv_hex(hex, h, 8);
	snprintf(n->label, sizeof n->label, "%.23s template %s", n->p->id, hex);
}

/* Everyone the notices will go to (ids only). */
static int collect_told(void *ctx, const struct pv_stored_customer *c, char **values,
			const char *excluded)
{
	(void)values, (void)excluded;
	return pv_idset_add(ctx, c->id);
}

/* Find who is told and commit the audit entry naming them, before anything is shown. */
static pv_rc audit_who_is_told(pv_vault *v, int role, const pv_access *who, struct notify *n)
{
	if (pv_store_txn_id(v->store) != 0) /* a caller's batch would hold the entry back */
		return pv_fail(v, PV_ERR_USAGE, "transfer notify cannot run inside a batch: its "
			       "audit entry is committed before the first notice is written");
	pv_rc rc = pv_plan_walk(v, n->p, 0, collect_told, &n->told);
	if (!rc && n->told.oom)
		rc = pv_fail(v, PV_ERR_NOMEM, "out of memory");
	if (rc)
		return rc;
	pv_idset_sort(&n->told);
	char *ids = pv_idset_join(&n->told);
	if (!ids)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	/* names and contacts in clear: more customers than the bulk limit take four eyes */
	pv_access in_clear = *who;
	in_clear.want_clear = 1;
	rc = pv_bulk_clear_gate(v, role, &in_clear, "transfer notify", ids, n->told.n);
	if (rc) {
		free(ids);
		return rc;
	}
	char detail[200];
	snprintf(detail, sizeof detail, "%zu notices of %s to render (%s)", n->told.n, n->p->id,
		 n->label);
	struct pv_audit_event e = { "transfer notify", ids, who->purpose, NULL, "ok", detail };
	rc = pv_audit_append(v, &e); /* committed (durably) in a transaction of its own */
	free(ids);
	return rc;
}

/* Render the notices of the customers named, recording each as queued. */
static pv_rc render_all(pv_vault *v, struct notify *n)
{
	pv_rc rc = PV_OK;
	if (!n->jsonl)
		fputs(PV_NOTICE_CSV_HEADER, n->out);
	if (pv_store_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	rc = pv_plan_walk(v, n->p, 1, notify_one, n);
	if (!rc && fflush(n->out) != 0)
		rc = pv_fail(v, PV_ERR_IO, "cannot write the notices");
	char detail[200];
	snprintf(detail, sizeof detail, "%llu notices of %s rendered and queued (%s)",
		 (unsigned long long)n->count, n->p->id, n->label);
	struct pv_audit_event e = { "transfer notify", NULL, NULL, NULL, "ok", detail };
	if (!rc && strcmp(n->p->state, "planned") == 0 &&
	    pv_store_transfer_set(v->store, n->p->id, PV_TRANSFER_STATE, "notified") != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return pv_audit_commit(v, &e, rc);
}

pv_rc pv_transfer_notify(pv_vault *v, const pv_access *who, const char *id,
			 const char *template_text, const char *lang, pv_export_format fmt,
			 FILE *out, uint64_t *count)
{
	*count = 0;
	int role;
	pv_rc rc = who && who->purpose ? PV_OK
				       : pv_fail(v, PV_ERR_DENIED, "transfer notify shows names and "
						 "contact details: name the purpose (--purpose P)");
	if (!rc)
		rc = pv_policy_authorize(v, who, PV_OP_HANDOVER, &role);
	if (rc)
		return pv_audit_failure(v, rc, "transfer notify", NULL, who ? who->purpose : NULL);
	if (lang && strcmp(lang, "zh") != 0 && strcmp(lang, "en") != 0)
		return pv_fail(v, PV_ERR_USAGE, "notices are written in zh or en");
	if (fmt != PV_EXPORT_CSV && fmt != PV_EXPORT_JSONL)
		return pv_fail(v, PV_ERR_USAGE, "notices are written as CSV or JSON Lines");
	struct pv_plan p;
	if ((rc = pv_plan_load(v, id, &p)))
		return rc;
	struct notify n = { .v = v, .p = &p, .jsonl = (fmt == PV_EXPORT_JSONL), .out = out };
	n.zh = !lang || strcmp(lang, "zh") == 0;
	n.tmpl = template_text ? template_text : n.zh ? pv_template_transfer_zh
						      : pv_template_transfer_en;
	template_label(&n, template_text);
	pv_notice_contacts_find(v, &n.k);
	if ((rc = pv_notice_may_see_contacts(v, role, who, &n.k)) != PV_OK) {
		pv_plan_free(&p);
		return pv_audit_failure(v, rc, "transfer notify", NULL, who->purpose);
	}
	n.data = data_text(v, &p, n.zh);
	n.purposes = purposes_text(&p, n.zh);
	n.cross_border = cross_border_text(&p, n.zh);
	if (!n.data || !n.purposes || !n.cross_border)
		rc = pv_fail(v, PV_ERR_NOMEM, "out of memory");
	if (!rc)
		rc = audit_who_is_told(v, role, who, &n);
	if (!rc)
		rc = render_all(v, &n);
	free(n.data);
	free(n.purposes);
	free(n.cross_border);
	pv_idset_free(&n.told);
	pv_buf_free(&n.text);
	pv_buf_free(&n.line);
	pv_plan_free(&p);
	if (rc)
		return pv_audit_failure(v, rc, "transfer notify", NULL, who->purpose);
	*count = n.count;
	return pv_ok(v);
}
