/* SPDX-License-Identifier: Apache-2.0 */
/* incident_notify.c: breach notices (告知, PIPL art. 57). Each customer of an incident's
 * scope not told before gets a notice, from a built-in template in Chinese or English,
 * naming the categories of personal information the scope recorded for that customer,
 * the cause, the possible harm, the remedies taken, what the customer can do and the
 * company's contact; delivered the way transfer notices are (a mail-merge stream on the
 * caller's output under the same clear-view and bulk rules), each recorded in the
 * notices register as queued. The regulator's report (counts per category and
 * sensitivity, the timeline from the incident's states, the measures) is written in
 * both languages and recorded once. The incident moves to notified. Every step is
 * audited; the audit entry naming the customers told is committed before the first
 * notice is written, and a customer already told is never told again. */
#include "incident_notify.h"

#include "audit.h"
#include "bulk_reads.h"
#include "crypto.h"
#include "customer_walk.h"
#include "dates.h"
#include "idset.h"
#include "notice_render.h"
#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

extern const char pv_template_breach_zh[], pv_template_breach_en[];
extern const char pv_template_breach_report_zh[], pv_template_breach_report_en[];

#define NCAT PV_CATEGORY_COUNT
#define NSENS 3
#define INCIDENT_FIELD_MAX 256

/* The incident's row, copied (the store's strings last only until its next call). */
struct incident {
	char id[32], kind[32], state[16], detected_at[32], description[INCIDENT_FIELD_MAX];
	char opened_at[32], contained_at[32], notified_at[32];
};

struct run {
	pv_vault *v;
	int role;
	struct incident inc;
	struct pv_breach_words w;
	struct pv_notice_contacts k;
	int lang_f;   /* the schema's "language" field, or -1 */
	int lang;     /* the language asked for, when the customer's is not known */
	int jsonl;
	FILE *out;
	struct pv_idset scope, by_cat[NCAT], told_before, to_tell;
	struct pv_idset audited; /* named by an earlier "incident notify" entry of this incident */
	size_t unbacked;         /* register rows of this incident no audit entry backs */
	int report_before;                 /* the register holds the report already */
	char label[PV_BREACH_LANGS][65];   /* recorded with each notice */
	char *categories[PV_BREACH_LANGS][1 << NCAT]; /* the text of each set of categories */
	struct pv_buf text, line;
	pv_breach_counts *counts;
	pv_rc rc;
};

static pv_rc store_failed(pv_vault *v)
{
	return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
}

/* ------------------------------------------------------- the incident ---- */

static pv_rc load_incident(pv_vault *v, const char *id, struct incident *inc)
{
	struct pv_stored_incident c;
	if (!id || !*id)
		return pv_fail(v, PV_ERR_USAGE, "name the incident (id)");
	int got = pv_store_incident_get(v->store, id, &c);
	if (got != 0)
		return got < 0 ? store_failed(v) : pv_fail(v, PV_ERR_NOT_FOUND, "no incident %s", id);
	snprintf(inc->id, sizeof inc->id, "%s", c.id);
	snprintf(inc->kind, sizeof inc->kind, "%s", c.kind);
	snprintf(inc->state, sizeof inc->state, "%s", c.state);
	snprintf(inc->detected_at, sizeof inc->detected_at, "%s", c.detected_at);
	snprintf(inc->description, sizeof inc->description, "%s", c.description);
	snprintf(inc->opened_at, sizeof inc->opened_at, "%s", c.opened_at);
	snprintf(inc->contained_at, sizeof inc->contained_at, "%s", c.contained_at);
	snprintf(inc->notified_at, sizeof inc->notified_at, "%s", c.notified_at);
	if (strcmp(inc->state, "closed") == 0)
		return pv_fail(v, PV_ERR_USAGE, "state: incident %s is closed", inc->id);
	return PV_OK;
}

static int scope_one(void *ctx, const char *customer, const char *categories)
{
	struct run *r = ctx;
	if (pv_idset_add(&r->scope, customer) < 0)
		return -1;
	for (int c = 0; c < NCAT; c++) {
		const char *name = pv_category_name((enum pv_category)c);
		size_t n = strlen(name);
		for (const char *p = categories; (p = strstr(p, name)) != NULL; p += n)
			if ((p == categories || p[-1] == ',') && (p[n] == ',' || p[n] == '\0') &&
			    pv_idset_add(&r->by_cat[c], customer) < 0)
				return -1;
	}
	return 0;
}

/* The scope's customers and each one's categories; none is refused. */
static pv_rc load_scope(struct run *r)
{
	if (pv_store_incident_scope_scan(r->v->store, r->inc.id, scope_one, r) < 0)
		return r->scope.oom ? pv_fail(r->v, PV_ERR_NOMEM, "out of memory")
				    : store_failed(r->v);
	for (int c = 0; c < NCAT; c++)
		if (r->by_cat[c].oom)
			return pv_fail(r->v, PV_ERR_NOMEM, "out of memory");
	if (r->scope.n == 0)
		return pv_fail(r->v, PV_ERR_USAGE, "scope: incident %s has no customers in its "
			       "scope (pivault incident scope %s ...)", r->inc.id, r->inc.id);
	pv_idset_sort(&r->scope);
	for (int c = 0; c < NCAT; c++)
		pv_idset_sort(&r->by_cat[c]);
	return PV_OK;
}

/* The set of categories (a bit each) the scope recorded for customer. */
static unsigned categories_of(const struct run *r, const char *customer)
{
	unsigned mask = 0;
	for (int c = 0; c < NCAT; c++)
		if (pv_idset_has(&r->by_cat[c], customer))
			mask |= 1u << c;
	return mask;
}

/* The sensitivities (a bit each) of the schema's fields in the categories of mask. */
static unsigned sensitivities_of(const pv_vault *v, unsigned mask)
{
	unsigned s = 0;
	for (size_t i = 0; i < v->schema->nfields; i++)
		if (mask & (1u << v->schema->fields[i].category))
			s |= 1u << v->schema->fields[i].sensitivity;
	return s;
}

static void count_scope(struct run *r)
{
	pv_breach_counts *n = r->counts;
	n->customers = r->scope.n;
	for (size_t i = 0; i < r->scope.n; i++) {
		unsigned cats = categories_of(r, r->scope.ids[i]);
		unsigned sens = sensitivities_of(r->v, cats);
		for (int c = 0; c < NCAT; c++)
			n->by_category[c] += (cats >> c) & 1;
		for (int s = 0; s < NSENS; s++)
			n->by_sensitivity[s] += (sens >> s) & 1;
	}
}

/* ------------------------------------------------- the notices register ---- */

/* A notice of this incident: its text version starts with the incident id and a space. */
static int of_incident(const struct run *r, const struct pv_store_notice *n)
{
	size_t k = strlen(r->inc.id);
	return strncmp(n->text_version, r->inc.id, k) == 0 && n->text_version[k] == ' ';
}

static int note_told(void *ctx, int64_t notice, const struct pv_store_notice *n)
{
	(void)notice;
	struct run *r = ctx;
	if (!of_incident(r, n))
		return 0;
	if (strcmp(n->kind, "breach-report") == 0)
		r->report_before = 1;
	else if (strcmp(n->kind, "breach") == 0 && pv_idset_add(&r->told_before, n->customer) < 0)
		return -1;
	return 0;
}

/* An earlier entry of this incident's notify that named customers: they were to be told
 * (the entry is committed before the notices are written). */
static int note_audited(void *ctx, const struct pv_audit_row *e)
{
	struct run *r = ctx;
	size_t k = strlen(r->inc.id);
	if (strcmp(e->op, "incident notify") != 0 || strcmp(e->outcome, "ok") != 0 || !*e->ids ||
	    strncmp(e->detail, r->inc.id, k) != 0 || e->detail[k] != ':')
		return 0;
	char *ids = strdup(e->ids), *save = NULL;
	if (!ids) {
		r->audited.oom = 1;
		return -1;
	}
	int st = 0;
	for (char *id = strtok_r(ids, ",", &save); id && !st; id = strtok_r(NULL, ",", &save))
		st = pv_idset_add(&r->audited, id);
	free(ids);
	return st;
}

/* Who of the scope was told before (skipped), and who is to be told now. Told before:
 * a breach notice of this incident in the register that an audit entry of an earlier run
 * names too, so that a row a DBA adds to the register cannot keep a customer untold
 * without breaking the audit chain as well. */
static pv_rc find_to_tell(struct run *r)
{
	if (pv_store_notice_scan(r->v->store, NULL, note_told, r) < 0 ||
	    pv_store_audit_scan(r->v->store, 1, note_audited, r) < 0)
		return r->told_before.oom || r->audited.oom
			       ? pv_fail(r->v, PV_ERR_NOMEM, "out of memory")
			       : store_failed(r->v);
	pv_idset_sort(&r->told_before);
	pv_idset_sort(&r->audited);
	for (size_t i = 0; i < r->scope.n; i++) {
		const char *id = r->scope.ids[i];
		int in_register = pv_idset_has(&r->told_before, id);
		if (in_register && pv_idset_has(&r->audited, id))
			r->counts->skipped++;
		else if (pv_idset_add(&r->to_tell, id) < 0)
			return pv_fail(r->v, PV_ERR_NOMEM, "out of memory");
		else
			r->unbacked += in_register;
	}
	pv_idset_sort(&r->to_tell);
	return PV_OK;
}

/* A short hash of the words of language l (l == PV_BREACH_LANGS: of both) into hex. */
static void words_hash(const struct run *r, int l, char hex[17])
{
	struct pv_buf all = { 0 };
	for (int k = 0; k < PV_BREACH_LANGS; k++)
		for (int f = 0; (k == l || l == PV_BREACH_LANGS) && f < PV_BF_COUNT; f++)
			pv_buf_add(&all, r->w.f[k][f], strlen(r->w.f[k][f]) + 1);
	uint8_t h[32];
	pv_hash2(h, all.p ? all.p : "", all.len, NULL, 0);
	pv_hex(hex, h, 8);
	pv_buf_free(&all);
}

/* The text version recorded with each notice: incident, template and its words. */
static void make_labels(struct run *r)
{
	static const char *const langs[] = { "zh", "en" };
	char hex[17];
	for (int l = 0; l < PV_BREACH_LANGS; l++) {
		words_hash(r, l, hex);
		snprintf(r->label[l], sizeof r->label[l], "%s breach-notice.%s %s", r->inc.id,
			 langs[l], hex);
	}
}

/* "基本信息（name, phone）" or "basic (name, phone)" for each category of mask, one a line. */
static char *categories_text(const pv_vault *v, unsigned mask, int l)
{
	static const char *const zh_cat[] = { "基本信息", "财务信息", "其他信息" };
	size_t len;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	for (int c = 0, lines = 0; c < NCAT; c++) {
		if (!(mask & (1u << c)))
			continue;
		fprintf(f, "%s  - %s%s", lines++ ? "\n" : "",
			l == PV_BREACH_ZH ? zh_cat[c] : pv_category_name((enum pv_category)c),
			l == PV_BREACH_ZH ? "（" : " (");
		int any = 0;
		for (size_t i = 0; i < v->schema->nfields; i++)
			if ((int)v->schema->fields[i].category == c)
				fprintf(f, "%s%s", any++ ? ", " : "", v->schema->fields[i].name);
		fputs(l == PV_BREACH_ZH ? "）" : ")", f);
	}
	return fclose(f) == 0 ? buf : (free(buf), NULL);
}

static pv_rc make_category_texts(struct run *r)
{
	for (int l = 0; l < PV_BREACH_LANGS; l++)
		for (unsigned m = 0; m < (1u << NCAT); m++)
			if (!(r->categories[l][m] = categories_text(r->v, m, l)))
				return pv_fail(r->v, PV_ERR_NOMEM, "out of memory");
	return PV_OK;
}

/* ------------------------------------------------------------ notices ---- */

/* Commit the audit entry naming everyone to be told, before anything is shown; more
 * customers in clear than the bulk limit take an approved "read clear". */
static pv_rc audit_who_is_told(struct run *r, const pv_access *who)
{
	pv_vault *v = r->v;
	char *ids = r->to_tell.n ? pv_idset_join(&r->to_tell) : NULL;
	if (r->to_tell.n && !ids)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	pv_access in_clear = *who;
	in_clear.want_clear = 1;
	pv_rc rc = pv_bulk_clear_gate(v, r->role, &in_clear, "incident notify", ids, r->to_tell.n);
	char detail[200];
	snprintf(detail, sizeof detail, "%s: %zu notices to render, %zu told before, %zu in the "
		 "register without an audit entry of their own (told again)", r->inc.id,
		 r->to_tell.n, r->counts->skipped, r->unbacked);
	struct pv_audit_event e = { "incident notify", ids, who->purpose, NULL, "ok", detail };
	if (!rc)
		rc = pv_audit_append(v, &e); /* committed in a transaction of its own */
	free(ids);
	return rc;
}

struct one {
	struct run *r;
	const struct pv_stored_customer *c;
	char **values;
	int l;
	unsigned cats;
};

/* The customer's own language when the schema keeps one, else the one asked for. */
static int language_of(const struct run *r, char **values)
{
	const char *s = r->lang_f >= 0 ? values[r->lang_f] : "";
	if (strncasecmp(s, "en", 2) == 0)
		return PV_BREACH_EN;
	if (strncasecmp(s, "zh", 2) == 0)
		return PV_BREACH_ZH;
	return r->lang;
}

static const char *notice_lookup(void *ctx, const char *name, size_t len)
{
	static const char *const words[] = { "company", "contact", "cause", "harm", "remedies",
					     "actions" };
	struct one *o = ctx;
	struct run *r = o->r;
#define IS(s) (len == strlen(s) && memcmp(name, s, len) == 0)
	for (int f = 0; f < (int)(sizeof words / sizeof *words); f++)
		if (IS(words[f]))
			return r->w.f[o->l][f];
	if (IS("customer_id"))
		return o->c->id;
	if (IS("customer_name"))
		return r->k.name_f >= 0 && o->values[r->k.name_f][0]
			       ? o->values[r->k.name_f]
			       : (o->l == PV_BREACH_ZH ? "客户" : "customer");
	if (IS("incident"))
		return r->inc.id;
	if (IS("detected_at"))
		return r->inc.detected_at;
	if (IS("categories"))
		return r->categories[o->l][o->cats];
#undef IS
	return NULL;
}

static int want(void *ctx, const struct pv_stored_customer *c)
{
	return pv_idset_has(&((struct run *)ctx)->to_tell, c->id);
}

/* Record customer's notice in the register, queued. */
static int record_notice(struct run *r, const char *customer, int l, const char *channel)
{
	char now[32];
	int64_t number;
	pv_time_now(now, sizeof now);
	struct pv_store_notice rec = { customer, "breach", r->label[l], channel, now,
				       r->v->principal, "queued", now };
	if (pv_store_notice_add(r->v->store, &rec, &number) != 0) {
		r->rc = store_failed(r->v);
		return -1;
	}
	return 0;
}

static int notify_one(void *ctx, const struct pv_stored_customer *c, char **values)
{
	struct run *r = ctx;
	struct one o = { r, c, values, language_of(r, values), categories_of(r, c->id) };
	const char *channel, *address;
	pv_notice_channel(&r->k, values, &channel, &address);
	pv_notice_render(&r->text, o.l == PV_BREACH_ZH ? pv_template_breach_zh
						       : pv_template_breach_en, notice_lookup, &o);
	pv_notice_line(&r->line, r->jsonl, c->id, channel, address, r->text.p ? r->text.p : "");
	int oom = r->text.oom || r->line.oom;
	if (!oom)
		fwrite(r->line.p, 1, r->line.len, r->out);
	pv_buf_clear(&r->text); /* names and addresses: wiped at once */
	pv_buf_clear(&r->line);
	if (oom) {
		r->rc = pv_fail(r->v, PV_ERR_NOMEM, "out of memory");
		return -1;
	}
	if (record_notice(r, c->id, o.l, channel) != 0)
		return -1;
	r->counts->notices++;
	if (ferror(r->out)) {
		r->rc = pv_fail(r->v, PV_ERR_IO, "cannot write the notices");
		return -1;
	}
	return 0;
}

/* Render and record the notices of those named, in one transaction with its entry. */
static pv_rc render_notices(struct run *r)
{
	pv_vault *v = r->v;
	if (!r->jsonl)
		fputs(PV_NOTICE_CSV_HEADER, r->out);
	if (pv_store_begin(v->store) != 0)
		return store_failed(v);
	pv_rc rc = r->to_tell.n ? pv_walk_opened(v, want, notify_one, r) : PV_OK;
	if (!rc && r->rc)
		rc = r->rc;
	if (!rc) /* shredded since the scope was found: no one left to tell */
		r->counts->gone = r->to_tell.n - r->counts->notices;
	if (!rc && fflush(r->out) != 0)
		rc = pv_fail(v, PV_ERR_IO, "cannot write the notices");
	char detail[320];
	snprintf(detail, sizeof detail, "%s: %zu notices rendered and queued, %zu no longer "
		 "stored (%s / %s)", r->inc.id, r->counts->notices, r->counts->gone, r->label[0],
		 r->label[1]);
	struct pv_audit_event e = { "incident notify", NULL, NULL, NULL, "ok", detail };
	return pv_audit_commit(v, &e, rc);
}

/* ------------------------------------------------ the regulator's report ---- */

struct report_ctx {
	const struct run *r;
	int l;
	char num[5][24];
	char *by_category, *by_sensitivity;
};

/* The incident's kind as the Chinese report names it. */
static const char *kind_zh(const char *kind)
{
	static const char *const zh[] = { "信息泄露", "信息篡改", "信息丢失", "未经授权的访问" };
	int k = pv_incident_kind_from_name(kind);
	return k >= 0 && k < (int)(sizeof zh / sizeof *zh) ? zh[k] : kind;
}

static const char *report_lookup(void *ctx, const char *name, size_t len)
{
	static const char *const words[] = { "company", "contact", "cause", "harm", NULL, NULL,
					     "measures" };
	static const char *const numbers[] = { "customers", "notified" };
	struct report_ctx *x = ctx;
	const struct incident *inc = &x->r->inc;
	const char *none = x->l == PV_BREACH_ZH ? "（未记录）" : "(not recorded)";
#define IS(s) (len == strlen(s) && memcmp(name, s, len) == 0)
	for (int f = 0; f < PV_BF_COUNT; f++)
		if (words[f] && IS(words[f]))
			return x->r->w.f[x->l][f];
	for (int i = 0; i < 2; i++)
		if (IS(numbers[i]))
			return x->num[i];
	if (IS("kind"))
		return x->l == PV_BREACH_ZH ? kind_zh(inc->kind) : inc->kind;
	const char *times[][2] = { { "incident", inc->id },
				   { "description", inc->description },
				   { "detected_at", inc->detected_at },
				   { "opened_at", inc->opened_at },
				   { "contained_at", inc->contained_at },
				   { "notified_at", inc->notified_at },
				   { "by_category", x->by_category },
				   { "by_sensitivity", x->by_sensitivity } };
	for (size_t i = 0; i < sizeof times / sizeof *times; i++)
		if (IS(times[i][0]))
			return *times[i][1] ? times[i][1] : none;
#undef IS
	return NULL;
}

/* "  - basic: 500" lines of the counts n (k of them, named by names). */
static char *count_lines(const size_t *n, int k, const char *const *names)
{
	size_t len;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	for (int i = 0; i < k; i++)
		fprintf(f, "%s  - %s: %zu", i ? "\n" : "", names[i], n[i]);
	return fclose(f) == 0 ? buf : (free(buf), NULL);
}

/* The report in language l appended to out. */
static pv_rc render_report(const struct run *r, int l, struct pv_buf *out)
{
	static const char *const zh_cat[] = { "基本信息", "财务信息", "其他信息" };
	static const char *const zh_sens[] = { "公开", "敏感", "保密" };
	const char *en_cat[NCAT], *en_sens[NSENS];
	for (int i = 0; i < NCAT; i++)
		en_cat[i] = pv_category_name((enum pv_category)i);
	for (int i = 0; i < NSENS; i++)
		en_sens[i] = pv_sensitivity_name((enum pv_sensitivity)i);
	struct report_ctx x = { r, l, { "" }, NULL, NULL };
	snprintf(x.num[0], sizeof x.num[0], "%zu", r->counts->customers);
	snprintf(x.num[1], sizeof x.num[1], "%zu", r->counts->customers - r->counts->gone);
	x.by_category = count_lines(r->counts->by_category, NCAT, l ? en_cat : zh_cat);
	x.by_sensitivity = count_lines(r->counts->by_sensitivity, NSENS, l ? en_sens : zh_sens);
	if (x.by_category && x.by_sensitivity)
		pv_notice_render(out, l ? pv_template_breach_report_en
					: pv_template_breach_report_zh, report_lookup, &x);
	int oom = !x.by_category || !x.by_sensitivity || out->oom;
	free(x.by_category);
	free(x.by_sensitivity);
	return oom ? pv_fail(r->v, PV_ERR_NOMEM, "out of memory") : PV_OK;
}

/* Write the report (Chinese, then English) to f; record it once in the register. */
static pv_rc write_report(struct run *r, FILE *f)
{
	pv_vault *v = r->v;
	struct pv_buf out = { 0 };
	pv_rc rc = render_report(r, PV_BREACH_ZH, &out);
	if (!rc)
		pv_buf_str(&out, "\n----------------------------------------------------------------\n\n");
	if (!rc)
		rc = render_report(r, PV_BREACH_EN, &out);
	if (!rc && (fwrite(out.p, 1, out.len, f) != out.len || fflush(f) != 0))
		rc = pv_fail(v, PV_ERR_IO, "cannot write the regulator's report");
	pv_buf_free(&out);
	if (rc || r->report_before)
		return rc;
	char hex[17], label[65], now[32], detail[200];
	words_hash(r, PV_BREACH_LANGS, hex);
	snprintf(label, sizeof label, "%s breach-report %s", r->inc.id, hex);
	pv_time_now(now, sizeof now);
	if (pv_store_begin(v->store) != 0)
		return store_failed(v);
	int64_t number = 0;
	struct pv_store_notice rec = { "", "breach-report", label, "letter", now, v->principal,
				       "queued", now };
	if (pv_store_notice_add(v->store, &rec, &number) != 0)
		rc = store_failed(v);
	snprintf(detail, sizeof detail, "%s: regulator's report recorded (notice %lld, %s)",
		 r->inc.id, (long long)number, label);
	struct pv_audit_event e = { "incident notify", NULL, NULL, NULL, "ok", detail };
	rc = pv_audit_commit(v, &e, rc);
	if (!rc)
		r->counts->report_recorded = 1;
	return rc;
}

/* ------------------------------------------------------------ the whole ---- */

static pv_rc check_call(pv_vault *v, const pv_access *who, const char *lang, pv_export_format fmt,
			FILE *notices, FILE *report, int *role)
{
	if (!who || !who->purpose)
		return pv_fail(v, PV_ERR_DENIED, "incident notify shows names and contact details: "
			       "name the purpose (--purpose P)");
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_INCIDENT, role);
	if (rc)
		return rc;
	if (lang && strcmp(lang, "zh") != 0 && strcmp(lang, "en") != 0)
		return pv_fail(v, PV_ERR_USAGE, "lang: notices are written in zh or en");
	if (fmt != PV_EXPORT_CSV && fmt != PV_EXPORT_JSONL)
		return pv_fail(v, PV_ERR_USAGE, "notices are written as CSV or JSON Lines");
	if (!notices || !report)
		return pv_fail(v, PV_ERR_USAGE, "incident notify writes the notices and the "
			       "regulator's report: give both outputs");
	if (pv_store_txn_id(v->store) != 0) /* a caller's batch would hold the entry back */
		return pv_fail(v, PV_ERR_USAGE, "incident notify cannot run inside a batch: its "
			       "audit entry is committed before the first notice is written");
	return PV_OK;
}

/* Everything up to the first byte shown: the incident, its scope, the words, who is
 * told; the audit entry naming them. */
static pv_rc prepare(struct run *r, const pv_access *who, const char *id, const pv_breach_text *t)
{
	pv_rc rc = load_incident(r->v, id, &r->inc);
	if (!rc)
		rc = pv_breach_words_read(r->v, t, &r->w);
	if (rc)
		return rc;
	pv_notice_contacts_find(r->v, &r->k);
	r->lang_f = pv_schema_field_index(r->v->schema, "language");
	if ((rc = pv_notice_may_see_contacts(r->v, r->role, who, &r->k)) != PV_OK)
		return rc;
	if ((rc = load_scope(r)) != PV_OK || (rc = find_to_tell(r)) != PV_OK ||
	    (rc = make_category_texts(r)) != PV_OK)
		return rc;
	count_scope(r);
	make_labels(r);
	return audit_who_is_told(r, who);
}

/* Move the incident to notified (once) and read its times again for the report. */
static pv_rc mark_notified(struct run *r, const pv_access *who)
{
	if (pv_incident_state_from_name(r->inc.state) < PV_INCIDENT_NOTIFIED) {
		pv_rc rc = pv_incident_set_state(r->v, who, r->inc.id, PV_INCIDENT_NOTIFIED);
		if (rc)
			return rc;
	}
	return load_incident(r->v, r->inc.id, &r->inc);
}

static void run_free(struct run *r)
{
	pv_breach_words_free(&r->w);
	pv_idset_free(&r->scope);
	pv_idset_free(&r->told_before);
	pv_idset_free(&r->to_tell);
	pv_idset_free(&r->audited);
	for (int c = 0; c < NCAT; c++)
		pv_idset_free(&r->by_cat[c]);
	for (int l = 0; l < PV_BREACH_LANGS; l++)
		for (unsigned m = 0; m < (1u << NCAT); m++)
			free(r->categories[l][m]);
	pv_buf_free(&r->text);
	pv_buf_free(&r->line);
}

pv_rc pv_incident_notify(pv_vault *v, const pv_access *who, const char *id,
			 const pv_breach_text *text, const char *lang, pv_export_format fmt,
			 FILE *notices, FILE *report, pv_breach_counts *counts)
{
	memset(counts, 0, sizeof *counts);
	struct run *r = calloc(1, sizeof *r);
	if (!r)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	r->v = v;
	r->counts = counts;
	r->out = notices;
	r->jsonl = fmt == PV_EXPORT_JSONL;
	r->lang = lang && strcmp(lang, "en") == 0 ? PV_BREACH_EN : PV_BREACH_ZH;
	pv_rc rc = check_call(v, who, lang, fmt, notices, report, &r->role);
	if (!rc)
		rc = prepare(r, who, id, text);
	if (!rc)
		rc = render_notices(r);
	if (!rc)
		rc = mark_notified(r, who);
	if (!rc)
		rc = write_report(r, report);
	run_free(r);
	free(r);
	if (rc) {
		pv_breach_counts zero = { 0 };
		*counts = zero;
		return pv_audit_failure(v, rc, "incident notify", NULL, who ? who->purpose : NULL);
	}
	return pv_ok(v);
}
