/* SPDX-License-Identifier: Apache-2.0 */
/* transfer_assessment.c: the personal information protection impact assessment (个人信息
 * 保护影响评估) PIPL art. 55-56 asks for before personal information goes to another
 * processor: the purposes and why each is needed, the fields by category and sensitivity
 * with counts, who is left out and why, the risks, and the protective measures in force
 * (encryption, roles, four-eyes approval, audit log state). Made once per plan, stored
 * in the vault with a keep-until date three years on; shown as JSON or as a page. */
#include "transfers.h"

#include "audit.h"
#include "dates.h"
#include "formats/html.h"
#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct counting {
	const pv_vault *v;
	const struct pv_plan *p;
	uint64_t in_scope, moving;
	uint64_t *values;	   /* per field: non-empty values that move */
	json_t *excluded;	   /* reason -> count */
};

static int count_one(void *ctx, const struct pv_stored_customer *c, char **values,
		     const char *excluded)
{
	(void)c;
	struct counting *k = ctx;
	k->in_scope++;
	if (excluded) {
		json_t *n = json_object_get(k->excluded, excluded);
		json_object_set_new(k->excluded, excluded,
				    json_integer((n ? json_integer_value(n) : 0) + 1));
		return 0;
	}
	k->moving++;
	for (size_t i = 0; i < k->v->schema->nfields; i++)
		if (k->p->moves[i] && values[i][0])
			k->values[i]++;
	return 0;
}

static json_t *fields_section(const pv_vault *v, const struct counting *k, json_t *by_cat,
			      json_t *by_sens)
{
	json_t *a = json_array();
	for (size_t i = 0; i < v->schema->nfields; i++) {
		const struct pv_schema_field *f = &v->schema->fields[i];
		if (!k->p->moves[i])
			continue;
		const char *cat = pv_category_name(f->category);
		const char *sens = pv_sensitivity_name(f->sensitivity);
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:I}", "name", f->name,
						   "category", cat, "sensitivity", sens, "values",
						   (json_int_t)k->values[i]));
		json_t *c = json_object_get(by_cat, cat), *s = json_object_get(by_sens, sens);
		json_object_set_new(by_cat, cat, json_integer((c ? json_integer_value(c) : 0) +
							      (json_int_t)k->values[i]));
		json_object_set_new(by_sens, sens, json_integer((s ? json_integer_value(s) : 0) +
								(json_int_t)k->values[i]));
	}
	return a;
}

static json_t *purposes_section(const pv_vault *v, const struct pv_plan *p)
{
	json_t *a = json_array();
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(p->doc, "purposes"), i, it)
	{
		const char *name = json_string_value(it);
		int k = pv_schema_purpose_index(v->schema, name);
		const struct pv_schema_purpose *sp = k >= 0 ? &v->schema->purposes[k] : NULL;
		json_array_append_new(
			a, json_pack("{s:s, s:s, s:b, s:s}", "name", name, "description",
				     sp && sp->description ? sp->description : "",
				     "consent_required", sp ? sp->consent_required : 1, "necessity",
				     sp ? "a purpose of collection the recipient continues (PIPL art. "
					  "22): the fields it uses are needed to keep serving the "
					  "customer"
					: "a new purpose: the recipient must obtain new consent before "
					  "using the data for it (PIPL art. 22)"));
	}
	return a;
}

static json_t *risks_section(const struct pv_plan *p, json_t *by_sens)
{
	json_t *a = json_array();
	json_array_append_new(a, json_string(
		"The package holds records in clear inside its encryption: whoever holds the "
		"recipient's age identity can read all of it. Keep that key offline and destroy "
		"the package file once imported."));
	if (json_object_get(by_sens, "confidential"))
		json_array_append_new(a, json_string(
			"Confidential fields (identity numbers, bank cards) move: sensitive personal "
			"information under PIPL art. 28; the recipient must give it the same "
			"protection."));
	if (p->cross_border)
		json_array_append_new(a, json_string(
			"Cross-border provision (PIPL art. 38-39): the data leaves mainland China; "
			"only customers with a recorded separate consent are included."));
	if (!p->same_purposes)
		json_array_append_new(a, json_string(
			"The recipient names purposes beyond those of collection: it must ask the "
			"customers' consent again before using the data for them."));
	json_array_append_new(a, json_string(
		"Until the recipient's receipt is confirmed and the seller's copy shredded, the "
		"data exists in two places."));
	return a;
}

static json_t *measures_section(pv_vault *v)
{
	uint64_t seq = 0;
	uint8_t head[PV_AUDIT_HASH];
	char headhex[2 * PV_AUDIT_HASH + 1] = "";
	int st = pv_store_audit_last(v->store, &seq, head);
	if (st == 0)
		pv_hex(headhex, head, sizeof head);
	struct pv_audit_checkpoint cp;
	int have_cp = pv_store_audit_checkpoint_last(v->store, UINT64_MAX, &cp) == 0;
	json_t *roles = json_array();
	for (size_t i = 0; i < v->schema->nroles; i++)
		json_array_append_new(roles, json_string(v->schema->roles[i].name));
	return json_pack(
		"{s:s, s:s, s:o, s:s, s:{s:I, s:s, s:s, s:I}}", "encryption",
		"every customer's values sealed with XChaCha20-Poly1305 under its own data key, "
		"wrapped by a bucket key held in a keyring apart from the data; blind indexes are "
		"keyed BLAKE2b; the package is age (X25519, ChaCha20-Poly1305) to the recipient "
		"only, its checklist signed (minisign, Ed25519)",
		"access", "default deny: each role sees only the fields and purposes it is granted, "
		"masked unless cleared; staff obligations (agreement, training) enforced",
		"roles", roles, "approvals",
		"handover export, shredding and decommissioning need a second person's approval",
		"audit", "entries", (json_int_t)seq, "head", headhex, "last_checkpoint",
		have_cp ? cp.at : "", "last_checkpoint_size", (json_int_t)(have_cp ? cp.size : 0));
}

/* Build the assessment document of plan p. */
static pv_rc build(pv_vault *v, struct pv_plan *p, json_t **out)
{
	struct counting k = { v, p, 0, 0, calloc(v->schema->nfields + 1, sizeof(uint64_t)),
			      json_object() };
	if (!k.values || !k.excluded) {
		free(k.values);
		json_decref(k.excluded);
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	}
	pv_rc rc = pv_plan_walk(v, p, 1, count_one, &k);
	char now[32], keep[11];
	pv_time_now(now, sizeof now);
	pv_date_today(0, keep);
	(void)pv_date_add(keep, 3, 0, 0, keep);
	json_t *by_cat = json_object(), *by_sens = json_object();
	json_t *fields = fields_section(v, &k, by_cat, by_sens);
	json_t *doc = rc ? NULL : json_pack(
		"{s:s, s:s, s:s, s:s, s:s, s:O, s:O, s:b, s:o, s:o, s:{s:I, s:I, s:o, s:o, s:o}, "
		"s:o, s:o, s:s}",
		"type", "pivault personal information protection impact assessment", "transfer",
		p->id, "made", now, "made_by", v->principal, "keep_until", keep, "recipient",
		json_object_get(p->doc, "recipient"), "legal_basis",
		json_object_get(p->doc, "legal_basis"), "cross_border", p->cross_border,
		"purposes", purposes_section(v, p), "fields", fields, "counts",
		"customers_in_scope", (json_int_t)k.in_scope, "customers_to_hand_over",
		(json_int_t)k.moving, "excluded", k.excluded, "values_by_category", by_cat,
		"values_by_sensitivity", by_sens, "risks", risks_section(p, by_sens), "measures",
		measures_section(v), "scope", json_string_value(json_object_get(p->doc, "scope")));
	char fp[PV_FINGERPRINT_SIZE];
	if (doc)
		json_object_set_new(doc, "recipient_vault_key_fingerprint",
				    p->recipient_vault_key &&
						    pv_key_fingerprint(p->recipient_vault_key, fp) == PV_OK
					    ? json_string(fp)
					    : json_null());
	if (!doc) {
		if (rc) {
			json_decref(fields);
			json_decref(by_cat);
			json_decref(by_sens);
			json_decref(k.excluded);
		}
		free(k.values);
		return rc ? rc : pv_fail(v, PV_ERR_NOMEM, "out of memory");
	}
	free(k.values);
	*out = doc;
	return PV_OK;
}

static void write_html(FILE *out, json_t *doc)
{
	json_t *r = json_object_get(doc, "recipient"), *c = json_object_get(doc, "counts");
	pv_html_head(out, "个人信息保护影响评估 / Impact assessment");
	fputs("<h1>个人信息保护影响评估 / Personal information protection impact assessment</h1>\n"
	      "<p>Transfer ", out);
	pv_html_text(out, json_string_value(json_object_get(doc, "transfer")));
	fputs(" to ", out);
	pv_html_text(out, json_string_value(json_object_get(r, "name")));
	fputs(" (", out);
	pv_html_text(out, json_string_value(json_object_get(r, "contact")));
	fputs(", ", out);
	pv_html_text(out, json_string_value(json_object_get(r, "country")));
	fputs("). Made ", out);
	pv_html_text(out, json_string_value(json_object_get(doc, "made")));
	fputs(" by ", out);
	pv_html_text(out, json_string_value(json_object_get(doc, "made_by")));
	fputs("; kept until ", out);
	pv_html_text(out, json_string_value(json_object_get(doc, "keep_until")));
	const char *fp = json_string_value(json_object_get(doc, "recipient_vault_key_fingerprint"));
	fputs(".</p>\n<p>Recipient vault signing key (its receipt is checked against it alone): ",
	      out);
	pv_html_text(out, fp ? fp : "not pinned yet: the transfer cannot be confirmed until it is");
	fprintf(out, ".</p>\n<p>Customers in scope: %lld; to hand over: %lld.%s</p>\n",
		(long long)json_integer_value(json_object_get(c, "customers_in_scope")),
		(long long)json_integer_value(json_object_get(c, "customers_to_hand_over")),
		json_is_true(json_object_get(doc, "cross_border"))
			? " Cross-border provision (PIPL art. 38-39)."
			: "");
	static const char *const pcols[] = { "name", "description", "consent_required",
					     "necessity", NULL };
	static const char *const fcols[] = { "name", "category", "sensitivity", "values", NULL };
	static const char *const xcols[] = { "reason", "customers", NULL };
	pv_html_table(out, "处理目的与必要性 / Purposes and necessity",
		      json_object_get(doc, "purposes"), pcols);
	pv_html_table(out, "字段 / Fields", json_object_get(doc, "fields"), fcols);
	json_t *ex = json_array();
	const char *k;
	json_t *val;
	json_object_foreach(json_object_get(c, "excluded"), k, val)
		json_array_append_new(ex, json_pack("{s:s, s:O}", "reason", k, "customers", val));
	pv_html_table(out, "排除 / Left out", ex, xcols);
	json_decref(ex);
	fputs("<h2>风险 / Risks</h2>\n<ul>\n", out);
	size_t i;
	json_array_foreach(json_object_get(doc, "risks"), i, val) {
		fputs("<li>", out);
		pv_html_text(out, json_string_value(val));
		fputs("</li>\n", out);
	}
	fputs("</ul>\n<h2>保护措施 / Measures in force</h2>\n<ul>\n", out);
	json_object_foreach(json_object_get(doc, "measures"), k, val) {
		if (!json_is_string(val))
			continue;
		fputs("<li>", out);
		pv_html_text(out, json_string_value(val));
		fputs("</li>\n", out);
	}
	json_t *audit = json_object_get(json_object_get(doc, "measures"), "audit");
	fprintf(out, "<li>audit log: %lld entries, hash-chained, last signed checkpoint ",
		(long long)json_integer_value(json_object_get(audit, "entries")));
	pv_html_text(out, json_string_value(json_object_get(audit, "last_checkpoint")));
	fputs("</li>\n</ul>\n</body></html>\n", out);
}

pv_rc pv_transfer_assessment(pv_vault *v, const pv_access *who, const char *id, pv_render form,
			     char **out)
{
	*out = NULL;
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_HANDOVER, &role);
	if (rc)
		return pv_audit_failure(v, rc, "transfer assess", NULL, NULL);
	struct pv_stored_transfer t;
	int got = pv_store_transfer_get(v->store, id, &t);
	if (got != 0)
		return got < 0 ? pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store))
			       : pv_fail(v, PV_ERR_NOT_FOUND, "no transfer plan %s", id);
	json_error_t je;
	json_t *doc = t.assessment[0] ? json_loads(t.assessment, 0, &je) : NULL;
	if (!doc) { /* made once, then kept as it was */
		struct pv_plan p;
		if ((rc = pv_plan_load(v, id, &p)))
			return rc;
		rc = build(v, &p, &doc);
		pv_plan_free(&p);
		char *text = rc ? NULL : json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
		if (!rc && !text)
			rc = pv_fail(v, PV_ERR_NOMEM, "out of memory");
		if (!rc && pv_store_begin(v->store) != 0)
			rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
		if (!rc) {
			char detail[64];
			snprintf(detail, sizeof detail, "impact assessment of %s made", id);
			struct pv_audit_event e = { "transfer assess", NULL, NULL, NULL, "ok", detail };
			if (pv_store_transfer_set(v->store, id, PV_TRANSFER_ASSESSMENT, text) != 0)
				rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
			rc = pv_audit_commit(v, &e, rc);
		}
		free(text);
		if (rc) {
			json_decref(doc);
			return pv_audit_failure(v, rc, "transfer assess", NULL, NULL);
		}
	}
	if (form == PV_RENDER_HTML) {
		size_t len;
		FILE *f = open_memstream(out, &len);
		if (f) {
			write_html(f, doc);
			if (fclose(f) != 0) {
				free(*out);
				*out = NULL;
			}
		}
	} else {
		*out = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	}
	json_decref(doc);
	return *out ? pv_ok(v) : pv_fail(v, PV_ERR_NOMEM, "out of memory");
}
