/* SPDX-License-Identifier: Apache-2.0 */
/* compliance_html.c: the compliance report as one self-contained HTML page: inline CSS,
 * no script, no font, style sheet or image fetched from anywhere; the charts (values by
 * category and sensitivity, customers read per day, values falling due per month, data-
 * subject request deadlines) drawn as inline SVG; the findings and the facts as tables.
 * Every text from the report is escaped (formats/html.c). */
#include "compliance_report.h"

#include "formats/html.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BARS_MAX 40
#define PLOT_H 150

struct bar {
	char label[40];
	json_int_t value;
};

struct chart {
	const char *title;
	struct bar bar[BARS_MAX];
	size_t n;
};

static void bar_add(struct chart *c, const char *label, json_int_t value)
{
	if (c->n == BARS_MAX)
		return;
	snprintf(c->bar[c->n].label, sizeof c->bar[c->n].label, "%s", label);
	c->bar[c->n++].value = value;
}

/* A vertical bar chart: one bar per label, its value above it, the label below. */
static void chart_svg(FILE *out, const struct chart *c)
{
	json_int_t max = 1;
	for (size_t i = 0; i < c->n; i++)
		max = c->bar[i].value > max ? c->bar[i].value : max;
	unsigned step = 34, width = 60 + (unsigned)c->n * step, height = PLOT_H + 110;
	fputs("<figure><figcaption>", out);
	pv_html_text(out, c->title);
	fprintf(out, "</figcaption>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" "
		"height=\"%u\" role=\"img\" class=\"chart\"><title>", width, height);
	pv_html_text(out, c->title);
	fprintf(out, "</title><line x1=\"40\" y1=\"%u\" x2=\"%u\" y2=\"%u\" stroke=\"#333\"/>\n",
		PLOT_H + 20, width - 10, PLOT_H + 20);
	for (size_t i = 0; i < c->n; i++) {
		unsigned x = 45 + (unsigned)i * step;
		unsigned h = (unsigned)(c->bar[i].value * PLOT_H / max);
		fprintf(out, "<rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\" fill=\"#3a6ea5\"/>"
			"<text x=\"%u\" y=\"%u\" font-size=\"10\" text-anchor=\"middle\">%lld</text>"
			"<text font-size=\"10\" transform=\"translate(%u,%u) rotate(50)\">", x,
			PLOT_H + 20 - h, step - 8, h, x + (step - 8) / 2, PLOT_H + 16 - h,
			(long long)c->bar[i].value, x + 4, PLOT_H + 30);
		pv_html_text(out, c->bar[i].label);
		fputs("</text>\n", out);
	}
	fputs("</svg></figure>\n", out);
}

/* ---- The four charts ---- */

static void chart_categories(FILE *out, const json_t *doc)
{
	struct chart c = { "个人信息分类 / Values by category and sensitivity", { { "", 0 } }, 0 };
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(json_object_get(doc, "inventory"), "by_category"), i, x) {
		char label[40];
		snprintf(label, sizeof label, "%s/%s",
			 json_string_value(json_object_get(x, "category")),
			 json_string_value(json_object_get(x, "sensitivity")));
		bar_add(&c, label, json_integer_value(json_object_get(x, "values")));
	}
	chart_svg(out, &c);
}

/* A chart of array key of section: label member lkey, value member vkey. */
static void chart_series(FILE *out, const json_t *doc, const char *title, const char *section,
			 const char *key, const char *lkey, const char *vkey)
{
	struct chart c = { title, { { "", 0 } }, 0 };
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(json_object_get(doc, section), key), i, x)
		bar_add(&c, json_string_value(json_object_get(x, lkey)),
			json_integer_value(json_object_get(x, vkey)));
	chart_svg(out, &c);
}

static void chart_deadlines(FILE *out, const json_t *doc)
{
	struct chart c = { "个人权利请求期限 / Open data-subject requests by days to deadline",
			   { { "", 0 } }, 0 };
	static const char *const names[] = { "overdue", "0-3 days", "4-7 days", "8-15 days",
					     "over 15 days" };
	json_int_t count[5] = { 0 };
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(json_object_get(doc, "dsr"), "pending"), i, x) {
		json_int_t left = json_integer_value(json_object_get(x, "days_left"));
		count[left < 0 ? 0 : left <= 3 ? 1 : left <= 7 ? 2 : left <= 15 ? 3 : 4]++;
	}
	for (int k = 0; k < 5; k++)
		bar_add(&c, names[k], count[k]);
	chart_svg(out, &c);
}

/* ---- Tables ---- */

static void table(FILE *out, const char *title, const json_t *doc, const char *section,
		  const char *key, const char *const *cols)
{
	json_t *sec = json_object_get(doc, section);
	pv_html_table(out, title, key ? json_object_get(sec, key) : sec, cols);
}

/* One object's scalar members as a one-row table. */
static void table_of(FILE *out, const char *title, const json_t *doc, const char *section,
		     const char *const *cols)
{
	json_t *rows = json_array();
	json_array_append(rows, json_object_get(doc, section));
	pv_html_table(out, title, rows, cols);
	json_decref(rows);
}

/* A list of names as a one-column table. */
static void names_table(FILE *out, const char *title, const json_t *names)
{
	json_t *rows = json_array();
	size_t i;
	json_t *x;
	json_array_foreach(names, i, x)
		json_array_append_new(rows, json_pack("{s:O}", "name", x));
	static const char *const cols[] = { "name", NULL };
	pv_html_table(out, title, rows, cols);
	json_decref(rows);
}

static void tables_data(FILE *out, const json_t *doc)
{
	static const char *const cat[] = { "category", "sensitivity", "fields", "values", NULL };
	static const char *const fld[] = { "field", "category", "sensitivity", "values", NULL };
	static const char *const enc[] = { "customers", "opened", "failed", "sealed_groups",
					   "values", NULL };
	static const char *const ret[] = { "as_of", "past_due_customers", "past_due_values",
					   "held_past_due", "undetermined_values", NULL };
	static const char *const con[] = { "purpose", "consent_required", "granted", "withdrawn",
					   NULL };
	table(out, "分类 / Inventory by category and sensitivity", doc, "inventory", "by_category",
	      cat);
	table(out, "字段 / Fields", doc, "inventory", "fields", fld);
	table_of(out, "加密覆盖 / Encryption coverage (every stored value checked)", doc,
		 "encryption", enc);
	names_table(out, "无保存期限的字段 / Fields without retention",
		    json_object_get(json_object_get(doc, "fields"), "without_retention"));
	names_table(out, "无处理目的的字段 / Fields without purpose",
		    json_object_get(json_object_get(doc, "fields"), "without_purpose"));
	table_of(out, "保存期限 / Retention", doc, "retention", ret);
	table(out, "同意 / Consents by purpose", doc, "consents", NULL, con);
}

static void tables_work(FILE *out, const json_t *doc)
{
	static const char *const dsr[] = { "total", "open", "overdue", "closed", "closed_late",
					   NULL };
	static const char *const pend[] = { "id", "type", "due", "days_left", NULL };
	static const char *const rd[] = { "user", "purpose", "entries", "customers",
					  "all_customers", NULL };
	static const char *const al[] = { "seq", "at", "user", "kind", NULL };
	static const char *const ap[] = { "total", "pending", "approved", "used", "rejected",
					  "expired", NULL };
	static const char *const inc[] = { "id", "kind", "state", "detected_at", "customers",
					   NULL };
	static const char *const tr[] = { "id", "state", "created", "country", NULL };
	table_of(out, "个人权利请求 / Data-subject requests", doc, "dsr", dsr);
	table(out, "未结请求 / Open requests", doc, "dsr", "pending", pend);
	table(out, "访问 / Reads per user and purpose", doc, "reads", "by_user_purpose", rd);
	table(out, "批量读取警报 / Bulk-read alerts", doc, "alerts", "items", al);
	table_of(out, "审批 / Four-eyes approvals", doc, "approvals", ap);
	table(out, "事件 / Incidents", doc, "incidents", "items", inc);
	table(out, "转移 / Transfers", doc, "transfers", "items", tr);
}

static void tables_keeping(FILE *out, const json_t *doc)
{
	static const char *const cert[] = { "count", "customers", "last", NULL };
	static const char *const aud[] = { "entries", "verified", "last_checkpoint_exported",
					   "last_checkpoint_stored", "checkpoint_size", NULL };
	static const char *const keys[] = { "vault_created", "last_bucket_rotation",
					    "bucket_key_age_days", "last_root_rotation",
					    "root_key_age_days", NULL };
	static const char *const bk[] = { "last", "age_days", "file", "verification", NULL };
	table_of(out, "销毁证明 / Destruction certificates", doc, "certificates", cert);
	table_of(out, "审计日志 / Audit log", doc, "audit", aud);
	table_of(out, "密钥 / Keys", doc, "keys", keys);
	table_of(out, "备份 / Backup", doc, "backup", bk);
	const json_t *staff = json_object_get(doc, "staff");
	names_table(out, "未签保密协议 / Staff without a confidentiality agreement",
		    json_object_get(staff, "without_agreement"));
	names_table(out, "未完成培训 / Staff without current training",
		    json_object_get(staff, "without_training"));
}

static void write_page(FILE *out, const json_t *doc)
{
	static const char *const fnd[] = { "severity", "article", "id", "what", NULL };
	pv_html_head(out, "合规审计报告 / Compliance audit report");
	fputs("<h1>个人信息保护合规审计报告 / Personal information protection compliance audit "
	      "report</h1>\n<p>Vault ", out);
	pv_html_text(out, json_string_value(json_object_get(doc, "vault")));
	fputs(", as of ", out);
	pv_html_text(out, json_string_value(json_object_get(doc, "as_of")));
	fputs(", made ", out);
	pv_html_text(out, json_string_value(json_object_get(doc, "made")));
	fputs(" by ", out);
	pv_html_text(out, json_string_value(json_object_get(doc, "made_by")));
	fputs(" (PIPL art. 54). Counts and ids only; no personal value.</p>\n", out);
	pv_html_table(out, "发现 / Findings", json_object_get(doc, "findings"), fnd);
	fputs("<h2>图表 / Charts</h2>\n", out);
	chart_categories(out, doc);
	chart_series(out, doc, "每日读取 / Customers read per day (30 days)", "reads", "by_day",
		     "day", "customers");
	chart_series(out, doc, "到期 / Values falling due per month", "retention",
		     "due_by_month", "month", "values");
	chart_deadlines(out, doc);
	tables_data(out, doc);
	tables_work(out, doc);
	tables_keeping(out, doc);
	fputs("</body></html>\n", out);
}

char *pv_report_html(const json_t *doc)
{
	char *text = NULL;
	size_t len;
	FILE *out = open_memstream(&text, &len);
	if (!out)
		return NULL;
	write_page(out, doc);
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
