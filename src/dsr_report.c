/* SPDX-License-Identifier: Apache-2.0 */
/* dsr_report.c: the answer to an access request: everything the vault holds on the
 * customer in clear, the purposes and consents, the retention rules that apply, who read
 * or changed the data and when (from the audit log), and to whom it was handed over; as
 * JSON or as a readable HTML page. Written to the caller's stream only. */
#include "audit.h"
#include "formats/buf.h"
#include "formats/html.h"
#include "policy.h"
#include "retention.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

struct access_ctx {
	json_t *accesses;
};

static int add_access(void *p, const pv_audit_entry *e)
{
	struct access_ctx *a = p;
	json_array_append_new(a->accesses,
			      json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "seq", (json_int_t)e->seq,
					"at", e->at, "by", e->user, "operation", e->op, "purpose",
					e->purpose, "outcome", e->outcome));
	return 0;
}

static int add_consent_event(void *p, const pv_consent_event *e)
{
	json_array_append_new((json_t *)p,
			      json_pack("{s:s, s:b, s:s, s:s, s:s}", "purpose", e->purpose, "given",
					e->granted, "at", e->at, "channel", e->channel,
					"text_version", e->text_version));
	return 0;
}

/* A transfer whose package held the customer: to whom, when, and where it stands. */
static int add_handover(void *p, const struct pv_stored_transfer *t)
{
	json_error_t je;
	json_t *plan = json_loads(t->plan, 0, &je), *pkg = json_loads(t->package, 0, &je);
	json_t *r = json_object_get(plan, "recipient");
	const char *at = json_string_value(json_object_get(pkg, "created"));
	json_array_append_new(p, json_pack("{s:s, s:s, s:s, s:s, s:s}", "recipient",
					   json_string_value(json_object_get(r, "name"))
						   ? json_string_value(json_object_get(r, "name")) : "",
					   "contact",
					   json_string_value(json_object_get(r, "contact"))
						   ? json_string_value(json_object_get(r, "contact")) : "",
					   "country",
					   json_string_value(json_object_get(r, "country"))
						   ? json_string_value(json_object_get(r, "country")) : "",
					   "at", at ? at : t->created, "state", t->state));
	json_decref(plan);
	json_decref(pkg);
	return 0;
}

static int add_notice(void *p, int64_t notice, const struct pv_store_notice *n)
{
	(void)notice;
	json_array_append_new(p, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "kind", n->kind,
					   "text_version", n->text_version, "channel", n->channel,
					   "sent", n->sent, "state", n->state, "state_at",
					   n->state_at));
	return 0;
}

static void write_html(FILE *out, json_t *doc)
{
	const char *id = json_string_value(json_object_get(doc, "customer"));
	pv_html_head(out, "个人信息查阅答复 / Access request reply");
	fputs("<h1>个人信息查阅答复 / Reply to your access request</h1>\n<p>Customer ", out);
	pv_html_text(out, id);
	fputs(", request ", out);
	pv_html_text(out, json_string_value(json_object_get(doc, "request")));
	fputs(", made ", out);
	pv_html_text(out, json_string_value(json_object_get(doc, "request_opened")));
	fputs(".</p>\n<h2>您的个人信息 / Your data</h2>\n<table>\n", out);
	const char *k;
	json_t *val;
	json_object_foreach(json_object_get(doc, "data"), k, val) {
		fputs("<tr><th>", out);
		pv_html_text(out, k);
		fputs("</th><td>", out);
		pv_html_text(out, json_string_value(val));
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n", out);
	static const char *const pcols[] = { "name", "description", "consent_required", NULL };
	static const char *const ccols[] = { "purpose", "given", "at", "channel", "text_version", NULL };
	static const char *const rcols[] = { "rule", NULL };
	static const char *const acols[] = { "at", "by", "operation", "purpose", "outcome", NULL };
	static const char *const hcols[] = { "recipient", "contact", "country", "at", "state",
					     NULL };
	static const char *const ncols[] = { "kind", "text_version", "channel", "sent", "state",
					     "state_at", NULL };
	pv_html_table(out, "处理目的 / Purposes", json_object_get(doc, "purposes"), pcols);
	fputs("<h2>同意现状 / Consents now</h2>\n<ul>\n", out);
	json_object_foreach(json_object_get(doc, "consent_state"), k, val) {
		fputs("<li>", out);
		pv_html_text(out, k);
		fputs(": ", out);
		pv_html_text(out, json_string_value(val));
		fputs("</li>\n", out);
	}
	fputs("</ul>\n", out);
	pv_html_table(out, "同意记录 / Consent history", json_object_get(doc, "consents"), ccols);
	pv_html_table(out, "保存期限 / Retention", json_object_get(doc, "retention"), rcols);
	pv_html_table(out, "谁访问过您的信息 / Who accessed your data",
		   json_object_get(doc, "accesses"), acols);
	pv_html_table(out, "提供给第三方 / Handed over to", json_object_get(doc, "handovers"), hcols);
	pv_html_table(out, "给您的通知 / Notices sent to you", json_object_get(doc, "notices"), ncols);
	fputs("</body></html>\n", out);
}

/* The customer's values in clear into data, its consent state into state. */
static void record_parts(const pv_record *r, json_t *data, json_t *state)
{
	for (size_t i = 0; i < pv_record_field_count(r); i++) {
		const char *val = pv_record_field_value(r, i);
		if (val && *val)
			json_object_set_new(data, pv_record_field_name(r, i), json_string(val));
	}
	for (size_t i = 0; i < pv_record_consent_count(r); i++)
		json_object_set_new(state, pv_record_consent_purpose(r, i),
				    json_string(pv_record_consent_granted(r, i) ? "given" : "not given"));
}

/* The schema's purposes, as the report lists them. */
static json_t *purposes_of(const struct pv_schema *s)
{
	json_t *purposes = json_array();
	for (size_t i = 0; i < s->npurposes; i++)
		json_array_append_new(purposes, json_pack("{s:s, s:s, s:b}", "name", s->purposes[i].name,
							  "description", s->purposes[i].description
									 ? s->purposes[i].description : "",
							  "consent_required",
							  s->purposes[i].consent_required));
	return purposes;
}

/* The schema's retention rules, in words. */
static json_t *retention_of(const struct pv_schema *s)
{
	json_t *retention = json_array();
	for (size_t i = 0; i < s->nretention; i++) {
		const struct pv_schema_retention *rt = &s->retention[i];
		char rule[400], from[200];
		pv_retention_from_text(s, rt, from, sizeof from);
		snprintf(rule, sizeof rule, "%s: kept %uy%um%ud from %s, then %s",
			 rt->is_default ? "everything else" : rt->has_category
				 ? pv_category_name(rt->category) : "listed fields",
			 rt->keep_years, rt->keep_months, rt->keep_days, from,
			 rt->then == PV_RET_SHRED ? "destroyed" : rt->then == PV_RET_ERASE ? "erased"
											   : "anonymised");
		json_array_append_new(retention, json_pack("{s:s}", "rule", rule));
	}
	return retention;
}

pv_rc pv_dsr_access_report(pv_vault *v, const pv_access *who, const char *dsr_id, pv_render form,
			   FILE *out)
{
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_DSR, &role);
	if (rc)
		return pv_audit_failure(v, rc, "dsr report", NULL, NULL);
	struct pv_stored_dsr d;
	char customer[80], generated[40];
	int got = pv_store_dsr_get(v->store, dsr_id, &d);
	if (got != 0)
		return got < 0 ? pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store))
			       : pv_fail(v, PV_ERR_NOT_FOUND, "no data-subject request %s", dsr_id);
	if (strcmp(d.type, "access") != 0)
		return pv_fail(v, PV_ERR_USAGE, "request %s is a %s request, not access", dsr_id, d.type);
	snprintf(customer, sizeof customer, "%s", d.customer);
	snprintf(generated, sizeof generated, "%s", d.opened);
	/* The customer's data in clear: the caller needs a role that reads every field. */
	pv_access all = { who ? who->role : NULL, "all", 1 };
	pv_record *r = NULL;
	struct pv_audit_event e = { "dsr report", customer, "all", NULL, "ok", dsr_id };
	if ((rc = pv_audit_append(v, &e)) != PV_OK || (rc = pv_get(v, &all, customer, &r)) != PV_OK)
		return rc;
	json_t *doc = json_object(), *data = json_object(), *consents = json_array(),
	       *accesses = json_array(), *state = json_object(), *notices = json_array();
	record_parts(r, data, state);
	pv_record_free(r);
	const struct pv_schema *s = v->schema;
	json_t *purposes = purposes_of(s), *retention = retention_of(s);
	if ((rc = pv_consent_history(v, who, customer, add_consent_event, consents)) == PV_OK) {
		pv_audit_filter f = { customer, NULL, NULL };
		struct access_ctx a = { accesses };
		rc = pv_audit_log(v, who, &f, add_access, &a);
	}
	json_t *handovers = json_array();
	if (!rc && pv_store_notice_scan(v->store, customer, add_notice, notices) < 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (!rc && pv_store_customer_transfers(v->store, customer, add_handover, handovers) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	json_object_set_new(doc, "request", json_string(dsr_id));
	json_object_set_new(doc, "customer", json_string(customer));
	json_object_set_new(doc, "request_opened", json_string(generated));
	json_object_set_new(doc, "controller", json_string(s->vault_label ? s->vault_label : ""));
	json_object_set_new(doc, "data", data);
	json_object_set_new(doc, "purposes", purposes);
	json_object_set_new(doc, "consent_state", state);
	json_object_set_new(doc, "consents", consents);
	json_object_set_new(doc, "retention", retention);
	json_object_set_new(doc, "accesses", accesses);
	json_object_set_new(doc, "handovers", handovers);
	json_object_set_new(doc, "notices", notices);
	if (!rc) {
		if (form == PV_RENDER_HTML)
			write_html(out, doc);
		else if (json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0 ||
			 fputc('\n', out) == EOF)
			rc = pv_fail(v, PV_ERR_IO, "cannot write the report");
		if (!rc && fflush(out) != 0)
			rc = pv_fail(v, PV_ERR_IO, "cannot write the report");
	}
	pv_json_wipe_strings(doc); /* the clear values in it, before they are freed */
	json_decref(doc);
	return rc ? rc : pv_ok(v);
}
