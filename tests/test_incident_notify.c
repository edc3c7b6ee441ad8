/* SPDX-License-Identifier: Apache-2.0 */
/* test_incident_notify.c: breach notices (PIPL art. 57), end to end as the issue asks: a
 * user reads 500 customers (all under one purpose, 50 of them under a second one that
 * covers financial data); the incident is scoped to that user; notify gives exactly 500
 * notices and one regulator's report, counts per category and sensitivity right, 500
 * notices in the register; each notice names exactly the categories the scope recorded
 * for its customer; a customer outside the scope gets none; notify again adds none;
 * vault.db and the report hold no name or phone in clear; a malformed notice file is
 * refused naming file, line and field, and nothing is recorded; refusals (no
 * 'incident', no purpose, a purpose that does not show contacts, more than the bulk
 * limit without approval); the customer's own language field; the pivault command. */
#define _GNU_SOURCE
#include "dba.h"
#include "testutil.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pivault.h"

#define NCUST 520
#define NREAD 500
#define NBILLING 50
#define SEED 57

static const pv_access ROOT_SERVICE = { "admin", "service", 0 };
static const pv_access ADMIN = { "admin", NULL, 0 };
static const char PW[] = "correct horse battery";

static const char NOTICE[] =
	"# what the company says about incident\n"
	"company: 示例物流有限公司\n"
	"contact: dpo@example.com, 400-800-1234\n"
	"cause.zh: 员工账号被盗用后批量查询客户信息\n"
	"cause.en: a staff account was misused to look up customers in bulk\n"
	"harm.zh: 可能收到诈骗电话或短信\n"
	"harm.en: you may receive fraudulent calls or messages\n"
	"remedies.zh: 已停用该账号并重置所有密码\n"
	"remedies.en: the account was disabled and every password reset\n"
	"actions.zh: 请警惕自称本公司的来电，不要透露验证码\n"
	"actions.en: beware of callers claiming to be us; never give out a code\n"
	"measures: account disabled, passwords reset, bulk-read alert lowered\n";

struct fixture {
	char *tmp, *dir, *key, *err, *out;
	pv_vault *v;
	struct pvt_csv csv;
	char *read[NREAD]; /* the ids the reader listed, in order */
	char *incident;
};

static void ok(pv_vault *v, pv_rc rc, const char *what)
{
	if (rc != PV_OK)
		fail_msg("%s: %s: %s", what, pv_strerror(rc), pv_errmsg(v));
}

static void reopen_root(struct fixture *f)
{
	pv_vault_close(f->v);
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(f->key, &key), PV_OK);
	pv_rc rc = pv_vault_open(f->dir, NULL, key, &f->v);
	pv_key_free(key);
	ok(f->v, rc, "pv_vault_open");
}

static int note_listed(void *ctx, const pv_record *r)
{
	struct fixture *f = ctx;
	size_t i = 0;
	while (f->read[i])
		i++;
	f->read[i] = strdup(pv_record_id(r));
	return 0;
}

/* The reader (a dpo) lists the first 500 customers for service and reads the first 50
 * of them for billing, which covers financial fields too. */
static void reader_reads(struct fixture *f)
{
	ok(f->v, pvt_user_add(f->v, &ADMIN, "reader", "dpo", PW, strlen(PW)), "add reader");
	pv_vault_close(f->v);
	pv_vault *v = NULL;
	ok(v, pv_vault_open_user(f->dir, NULL, "reader", PW, strlen(PW), &v), "reader");
	pv_access service = { "dpo", "service", 0 }, billing = { "dpo", "billing", 0 };
	ok(v, pv_list(v, &service, NULL, NREAD, note_listed, f, NULL), "pv_list");
	for (int i = 0; i < NBILLING; i++) {
		pv_record *rec = NULL;
		ok(v, pv_get(v, &billing, f->read[i], &rec), "pv_get billing");
		pv_record_free(rec);
	}
	pv_vault_close(v);
	f->v = NULL;
	reopen_root(f);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->tmp = pvt_tempdir();
	f->dir = pvt_path(f->tmp, "vault");
	f->key = pvt_path(f->tmp, "root.key");
	f->err = pvt_path(f->tmp, "stderr.txt");
	f->out = pvt_path(f->tmp, "out");
	assert_int_equal(mkdir(f->out, 0700), 0);
	char *csv = NULL;
	f->v = pvt_sample_vault(f->dir, f->key, NCUST, SEED, &csv);
	assert_int_equal(pvt_csv_parse(csv, &f->csv), 0);
	free(csv);
	reader_reads(f);
	assert_non_null(f->read[NREAD - 1]);
	char at[32];
	time_t t = time(NULL) - 7200;
	strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	ok(f->v, pv_incident_open(f->v, &ADMIN, PV_INCIDENT_UNAUTHORISED_ACCESS, at,
				  "a staff account looked up customers in bulk", &f->incident),
	   "open");
	pv_incident_filter by = { "reader", NULL, NULL, NULL, NULL, 0 };
	pv_incident_counts n;
	ok(f->v, pv_incident_scope(f->v, &ADMIN, f->incident, &by, &n), "scope");
	assert_int_equal(n.customers, NREAD);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	pv_vault_close(f->v);
	pvt_csv_free(&f->csv);
	pvt_rmtree(f->tmp);
	for (int i = 0; i < NREAD; i++)
		free(f->read[i]);
	pv_free(f->incident);
	free(f->tmp);
	free(f->dir);
	free(f->key);
	free(f->err);
	free(f->out);
	free(f);
	return 0;
}

/* ------------------------------------------------------------- helpers ---- */

/* A notify run's outputs, read back. */
struct outputs {
	char *notices, *report;
	pv_breach_counts n;
	pv_rc rc;
};

static void outputs_free(struct outputs *o)
{
	free(o->notices);
	free(o->report);
}

/* Notify as who with text (NULL: the NOTICE above) in lang; outputs read back. */
static struct outputs notify_as(pv_vault *v, const pv_access *who, const char *id,
				const pv_breach_text *text, const char *lang)
{
	pv_breach_text t = { NOTICE, "notice.txt", NULL, NULL, NULL, NULL, NULL, NULL, NULL };
	FILE *a = tmpfile(), *b = tmpfile();
	assert_non_null(a);
	assert_non_null(b);
	struct outputs o = { NULL, NULL, { 0 }, PV_OK };
	o.rc = pv_incident_notify(v, who, id, text ? text : &t, lang, PV_EXPORT_CSV, a, b, &o.n);
	FILE *files[] = { a, b };
	char **to[] = { &o.notices, &o.report };
	for (int i = 0; i < 2; i++) {
		long len = ftell(files[i]);
		rewind(files[i]);
		*to[i] = calloc(1, (size_t)len + 1);
		assert_non_null(*to[i]);
		assert_int_equal(fread(*to[i], 1, (size_t)len, files[i]), (size_t)len);
		fclose(files[i]);
	}
	return o;
}

struct register_count {
	size_t breach, report;
	struct pvt_csv *unused;
};

static int count_notice(void *ctx, const pv_notice_info *n)
{
	struct register_count *c = ctx;
	if (strcmp(n->kind, "breach") == 0)
		c->breach++;
	if (strcmp(n->kind, "breach-report") == 0) {
		c->report++;
		assert_string_equal(n->customer, "");
	}
	return 0;
}

static struct register_count register_of(pv_vault *v)
{
	struct register_count c = { 0, 0, NULL };
	ok(v, pv_notice_list(v, &ADMIN, NULL, count_notice, &c), "pv_notice_list");
	return c;
}

/* The CSV row of customer id, or 0. */
static size_t row_of(const struct fixture *f, const char *id)
{
	for (size_t r = 1; r < f->csv.nrows; r++)
		if (strcmp(pvt_csv_get(&f->csv, r, "customer_id"), id) == 0)
			return r;
	return 0;
}

static int was_read(const struct fixture *f, const char *id, int upto)
{
	for (int i = 0; i < upto; i++)
		if (strcmp(f->read[i], id) == 0)
			return 1;
	return 0;
}

static json_t *incident_doc(pv_vault *v, const char *id)
{
	char *text = NULL;
	ok(v, pv_incident_get(v, &ADMIN, id, &text), "pv_incident_get");
	json_t *doc = json_loads(text, 0, NULL);
	pv_free(text);
	assert_non_null(doc);
	return doc;
}

static const char *state_of(json_t *doc)
{
	return json_string_value(json_object_get(doc, "state"));
}

/* The "incident notify" entries: refused, and those naming customers (how many ids). */
struct audit_count {
	size_t refused, named, ids, report, states;
};

static int count_entry(void *ctx, const pv_audit_entry *e)
{
	struct audit_count *c = ctx;
	if (strcmp(e->op, "incident state") == 0 && strstr(e->detail, "notified"))
		c->states++;
	if (strcmp(e->op, "incident notify") != 0)
		return 0;
	if (strcmp(e->outcome, "ok") != 0)
		c->refused++;
	else if (e->ids && *e->ids) {
		c->named++;
		c->ids = 1;
		for (const char *p = e->ids; (p = strchr(p, ',')) != NULL; p++)
			c->ids++;
	}
	if (strstr(e->detail, "regulator's report recorded"))
		c->report++;
	return 0;
}

static struct audit_count audit_of(pv_vault *v)
{
	struct audit_count c = { 0, 0, 0, 0, 0 };
	pv_audit_filter all = { NULL, NULL, NULL };
	ok(v, pv_audit_log(v, &ADMIN, &all, count_entry, &c), "pv_audit_log");
	return c;
}

/* No name or phone of rows 1..NCUST in clear in the n bytes at p (what: for the message). */
static void no_names_or_phones(const struct fixture *f, const char *p, size_t n,
			       const char *what)
{
	static const char *const cols[] = { "name", "phone" };
	for (size_t r = 1; r < f->csv.nrows; r++)
		for (size_t c = 0; c < 2; c++) {
			const char *value = pvt_csv_get(&f->csv, r, cols[c]);
			if (*value && memmem(p, n, value, strlen(value)))
				fail_msg("row %zu: its %s is in %s in clear", r, cols[c], what);
		}
}

/* ================================================================ the end to end ==== */

/* The end to end: 500 read, scoped by user, 500 notices and one report; the
 * categories of each notice are its customer's; no one outside the scope is told. */
static void test_500_notices_one_report(void **state)
{
	struct fixture *f = *state;
	struct outputs o = notify_as(f->v, &ROOT_SERVICE, f->incident, NULL, "zh");
	ok(f->v, o.rc, "pv_incident_notify");
	assert_int_equal(o.n.customers, NREAD);
	assert_int_equal(o.n.notices, NREAD);
	assert_int_equal(o.n.skipped, 0);
	assert_int_equal(o.n.gone, 0);
	assert_int_equal(o.n.report_recorded, 1);
	/* service covers basic and other fields; billing, for 50 of them, financial too */
	assert_int_equal(o.n.by_category[0], NREAD);
	assert_int_equal(o.n.by_category[1], NBILLING);
	assert_int_equal(o.n.by_category[2], NREAD);
	/* basic holds id_number (confidential) and names (sensitive); other created_at (public) */
	assert_int_equal(o.n.by_sensitivity[0], NREAD);
	assert_int_equal(o.n.by_sensitivity[1], NREAD);
	assert_int_equal(o.n.by_sensitivity[2], NREAD);

	struct pvt_csv notices;
	assert_int_equal(pvt_csv_parse(o.notices, &notices), 0);
	assert_int_equal(notices.nrows, NREAD + 1);
	for (size_t r = 1; r < notices.nrows; r++) {
		const char *id = pvt_csv_get(&notices, r, "customer_id");
		const char *text = pvt_csv_get(&notices, r, "text");
		assert_true(was_read(f, id, NREAD));
		size_t row = row_of(f, id);
		assert_true(row > 0);
		/* addressed to the customer, in its category list only what the scope holds */
		assert_non_null(strstr(text, pvt_csv_get(&f->csv, row, "name")));
		assert_non_null(strstr(text, "基本信息（name, phone, id_number, email, address）"));
		assert_non_null(strstr(text, "其他信息（"));
		int financial = strstr(text, "财务信息") != NULL;
		assert_int_equal(financial, was_read(f, id, NBILLING));
		assert_non_null(strstr(text, "员工账号被盗用后批量查询客户信息"));
		assert_non_null(strstr(text, "可能收到诈骗电话或短信"));
		assert_non_null(strstr(text, "已停用该账号并重置所有密码"));
		assert_non_null(strstr(text, "请警惕自称本公司的来电"));
		assert_non_null(strstr(text, "dpo@example.com, 400-800-1234"));
		assert_non_null(strstr(text, f->incident));
		assert_null(strstr(text, "{{"));
	}
	/* no one outside the scope is told */
	for (size_t r = 1; r < f->csv.nrows; r++) {
		const char *id = pvt_csv_get(&f->csv, r, "customer_id");
		if (!was_read(f, id, NREAD))
			assert_null(strstr(o.notices, id));
	}
	pvt_csv_free(&notices);

	/* one report, both languages, the counts and the timeline; no personal data */
	assert_non_null(strstr(o.report, "受影响的个人：共 500 人"));
	assert_non_null(strstr(o.report, "Individuals affected: 500"));
	assert_non_null(strstr(o.report, "  - financial: 50"));
	assert_non_null(strstr(o.report, "  - 财务信息: 50"));
	assert_non_null(strstr(o.report, "  - basic: 500"));
	assert_non_null(strstr(o.report, "  - confidential: 500"));
	assert_non_null(strstr(o.report, "account disabled, passwords reset"));
	json_t *doc = incident_doc(f->v, f->incident);
	assert_string_equal(state_of(doc), "notified");
	const char *notified = json_string_value(json_object_get(doc, "notified_at"));
	assert_non_null(notified);
	char line[96];
	snprintf(line, sizeof line, "Notified:  %s", notified);
	assert_non_null(strstr(o.report, line));
	snprintf(line, sizeof line, "Detected:  %s",
		 json_string_value(json_object_get(doc, "detected_at")));
	assert_non_null(strstr(o.report, line));
	assert_non_null(strstr(o.report, "Contained: (not recorded)"));
	json_decref(doc);
	no_names_or_phones(f, o.report, strlen(o.report), "the regulator's report");
	for (int i = 0; i < NREAD; i++)
		assert_null(strstr(o.report, f->read[i]));

	struct register_count c = register_of(f->v);
	assert_int_equal(c.breach, NREAD);
	assert_int_equal(c.report, 1);
	/* audited: the customers told named first, the state, the report */
	struct audit_count a = audit_of(f->v);
	assert_int_equal(a.named, 1);
	assert_int_equal(a.ids, NREAD);
	assert_int_equal(a.states, 1);
	assert_int_equal(a.report, 1);
	assert_int_equal(a.refused, 0);
	outputs_free(&o);
}

/* The attack of a careless operator: running notify twice must not tell anyone twice. */
static void test_again_tells_no_one_twice(void **state)
{
	struct fixture *f = *state;
	struct outputs o = notify_as(f->v, &ROOT_SERVICE, f->incident, NULL, "en");
	ok(f->v, o.rc, "first");
	outputs_free(&o);
	o = notify_as(f->v, &ROOT_SERVICE, f->incident, NULL, "en");
	ok(f->v, o.rc, "second");
	assert_int_equal(o.n.notices, 0);
	assert_int_equal(o.n.skipped, NREAD);
	assert_int_equal(o.n.report_recorded, 0);
	assert_string_equal(o.notices, "customer_id,channel,address,text\r\n");
	assert_non_null(strstr(o.report, "Individuals affected: 500"));
	struct register_count c = register_of(f->v);
	assert_int_equal(c.breach, NREAD);
	assert_int_equal(c.report, 1);
	outputs_free(&o);
	/* one more customer read and scoped again: only that one is told */
	pv_incident_filter all = { NULL, NULL, NULL, NULL, NULL, 0 };
	pv_record *rec = NULL;
	const char *extra = NULL;
	for (size_t r = 1; r < f->csv.nrows && !extra; r++)
		if (!was_read(f, pvt_csv_get(&f->csv, r, "customer_id"), NREAD))
			extra = pvt_csv_get(&f->csv, r, "customer_id");
	ok(f->v, pv_get(f->v, &ROOT_SERVICE, extra, &rec), "read one more");
	pv_record_free(rec);
	pv_incident_counts n;
	ok(f->v, pv_incident_scope(f->v, &ADMIN, f->incident, &all, &n), "scope again");
	assert_int_equal(n.customers, NREAD + 1);
	o = notify_as(f->v, &ROOT_SERVICE, f->incident, NULL, "en");
	ok(f->v, o.rc, "third");
	assert_int_equal(o.n.notices, 1);
	assert_int_equal(o.n.skipped, NREAD);
	assert_non_null(strstr(o.notices, extra));
	assert_non_null(strstr(o.notices, "Under article 57"));
	assert_int_equal(register_of(f->v).breach, NREAD + 1);
	outputs_free(&o);
}

/* A DBA's look at the file: the register and the incident hold ids, kinds and labels,
 * never a name or phone number told. In PostgreSQL, every row of the vault's schema, as
 * text or as a bytea's hex. */
static void test_vault_db_holds_no_contacts(void **state)
{
	struct fixture *f = *state;
	struct outputs o = notify_as(f->v, &ROOT_SERVICE, f->incident, NULL, NULL);
	ok(f->v, o.rc, "notify");
	outputs_free(&o);
	pv_vault_close(f->v);
	f->v = NULL;
	if (pvt_dba_pg(f->dir)) {
		char *rows = pvt_dba_pg_dump(f->dir);
		static const char *const cols[] = { "name", "phone" };
		for (size_t r = 1; r < f->csv.nrows; r++)
			for (size_t c = 0; c < 2; c++) {
				const char *value = pvt_csv_get(&f->csv, r, cols[c]);
				if (pvt_dba_pg_dump_holds(rows, value, strlen(value)))
					fail_msg("row %zu: its %s is in the PostgreSQL schema", r,
						 cols[c]);
			}
		free(rows);
		reopen_root(f);
		return;
	}
	static const char *const files[] = { "vault.db", "vault.db-wal" };
	for (size_t i = 0; i < 2; i++) {
		char *path = pvt_path(f->dir, files[i]);
		size_t len = 0;
		char *db = pvt_read_file(path, &len);
		if (db)
			no_names_or_phones(f, db, len, files[i]);
		assert_true(db || i == 1);
		free(db);
		free(path);
	}
	reopen_root(f);
}

/* Run sql on the closed vault's store as a DBA would (dba.h: in PostgreSQL the column user
 * is user_name; the root handle open again). */
static void dba(struct fixture *f, const char *sql)
{
	pv_vault_close(f->v);
	f->v = NULL;
	char *q = strdup(sql), *u;
	assert_non_null(q);
	if (pvt_dba_pg(f->dir) && (u = strstr(q, " user, ")) != NULL) {
		char *named = malloc(strlen(q) + 8);
		assert_non_null(named);
		snprintf(named, strlen(q) + 8, "%.*s user_name, %s", (int)(u - q), q, u + 7);
		free(q);
		q = named;
	}
	if (pvt_dba(NULL, f->dir, "%s", q) != 0)
		fail_msg("the DBA's SQL failed: %s", sql);
	free(q);
	reopen_root(f);
}

/* A DBA who wants some customers left untold adds "breach" rows of the incident for them
 * to the notices register before notify runs: before, they were skipped as told. Now a
 * customer counts as told only when an earlier run's audit entry named it too. */
static void test_dba_register_rows_do_not_silence(void **state)
{
	struct fixture *f = *state;
	char sql[1024];
	snprintf(sql, sizeof sql,
		 "INSERT INTO notices(customer, kind, text_version, channel, sent, sent_by, state,"
		 " state_at) VALUES ('%s', 'breach', '%s breach-notice.zh 0000', 'sms',"
		 " '2026-01-01T00:00:00Z', 'dba', 'sent', '2026-01-01T00:00:00Z'),"
		 " ('%s', 'breach', '%s breach-notice.zh 0000', 'sms', '2026-01-01T00:00:00Z',"
		 " 'dba', 'sent', '2026-01-01T00:00:00Z')",
		 f->read[0], f->incident, f->read[NBILLING], f->incident);
	dba(f, sql);
	struct outputs o = notify_as(f->v, &ROOT_SERVICE, f->incident, NULL, "zh");
	ok(f->v, o.rc, "notify");
	assert_int_equal(o.n.notices, NREAD);
	assert_int_equal(o.n.skipped, 0);
	assert_non_null(strstr(o.notices, f->read[0]));
	assert_non_null(strstr(o.notices, f->read[NBILLING]));
	outputs_free(&o);
	/* the variant: the register row and a forged audit entry naming the customer, for a
	 * customer scoped later. It is skipped, but the forged entry breaks the chain, which
	 * audit verify reports. */
	char *extra = NULL;
	for (size_t r = 1; r < f->csv.nrows && !extra; r++)
		if (!was_read(f, pvt_csv_get(&f->csv, r, "customer_id"), NREAD))
			extra = strdup(pvt_csv_get(&f->csv, r, "customer_id"));
	pv_record *rec = NULL;
	ok(f->v, pv_get(f->v, &ROOT_SERVICE, extra, &rec), "read one more");
	pv_record_free(rec);
	pv_incident_filter all = { NULL, NULL, NULL, NULL, NULL, 0 };
	pv_incident_counts n;
	ok(f->v, pv_incident_scope(f->v, &ADMIN, f->incident, &all, &n), "scope again");
	snprintf(sql, sizeof sql,
		 "INSERT INTO notices(customer, kind, text_version, channel, sent, sent_by, state,"
		 " state_at) VALUES ('%s', 'breach', '%s breach-notice.zh 0000', 'sms',"
		 " '2026-01-01T00:00:00Z', 'dba', 'sent', '2026-01-01T00:00:00Z');"
		 "INSERT INTO audit(seq, at, user, op, ids, purpose, request, outcome, detail, hash)"
		 " SELECT max(seq) + 1, '2026-01-01T00:00:00Z', 'dba', 'incident notify', '%s', '',"
		 " '', 'ok', '%s: 1 notices to render', zeroblob(32) FROM audit",
		 extra, f->incident, extra, f->incident);
	dba(f, sql);
	char *report = NULL;
	assert_int_equal(pv_audit_verify(f->v, &ADMIN, NULL, &report), PV_ERR_CORRUPT);
	pv_free(report);
	free(extra);
}

/* The notices and nothing else: a forged or careless notice file is refused naming file,
 * line and field (never its text), and nothing is recorded or moved. */
static void expect_refused(struct fixture *f, const char *notice, const char *needle)
{
	pv_breach_text t = { notice, "notice.txt", NULL, NULL, NULL, NULL, NULL, NULL, NULL };
	struct outputs o = notify_as(f->v, &ROOT_SERVICE, f->incident, &t, "zh");
	if (o.rc != PV_ERR_USAGE || !strstr(pv_errmsg(f->v), needle))
		fail_msg("notice file: %s: '%s' (want '%s')", pv_strerror(o.rc), pv_errmsg(f->v),
			 needle);
	assert_string_equal(o.notices, "");
	assert_int_equal(o.n.notices, 0);
	outputs_free(&o);
}

static void test_malformed_notice_named(void **state)
{
	struct fixture *f = *state;
	char text[4096];
	snprintf(text, sizeof text, "%scaus: typo\n", NOTICE);
	expect_refused(f, text, "notice.txt:13: unknown field");
	snprintf(text, sizeof text, "company: a\n\ncause: x\ncause: y\n");
	expect_refused(f, text, "notice.txt:4: field cause: given twice");
	snprintf(text, sizeof text, "company: a\nharm.en:\n");
	expect_refused(f, text, "notice.txt:2: field harm.en: empty");
	snprintf(text, sizeof text, "company: a\n13800138000\n");
	expect_refused(f, text, "notice.txt:2: not a 'field: text' line");
	assert_null(strstr(pv_errmsg(f->v), "13800138000"));
	snprintf(text, sizeof text, "contact: a\ncause: b\nharm: c\nremedies: d\nactions.zh: e\n");
	expect_refused(f, text, "notice.txt: field actions.en: missing");
	snprintf(text, sizeof text, "contact: a\x01secret\n");
	expect_refused(f, text, "notice.txt:1: field contact: empty, longer than");
	assert_null(strstr(pv_errmsg(f->v), "secret"));
	/* an option stands for both languages; an empty one is refused by its name */
	pv_breach_text t = { "contact: a\ncause: b\nharm: c\nremedies: d\n", "n.txt", NULL, NULL,
			     NULL, NULL, NULL, "", NULL };
	struct outputs o = notify_as(f->v, &ROOT_SERVICE, f->incident, &t, "zh");
	assert_int_equal(o.rc, PV_ERR_USAGE);
	assert_non_null(strstr(pv_errmsg(f->v), "actions: empty"));
	outputs_free(&o);
	json_t *doc = incident_doc(f->v, f->incident);
	assert_string_equal(state_of(doc), "open");
	json_decref(doc);
	struct register_count c = register_of(f->v);
	assert_int_equal(c.breach + c.report, 0);
	/* given as options alone, it works */
	pv_breach_text opts = { NULL, NULL, NULL, "c", "b", "h", "r", "a", NULL };
	o = notify_as(f->v, &ROOT_SERVICE, f->incident, &opts, "en");
	ok(f->v, o.rc, "options");
	assert_non_null(strstr(o.report, "Reported by: acme-logistics"));
	outputs_free(&o);
}

/* Notify as the user name (password PW) under access who: the refusal's code and a
 * needle in its message; nothing recorded, the incident still open. */
static void refused_as(struct fixture *f, const char *name, const pv_access *who, pv_rc want,
		       const char *needle)
{
	pv_vault *v = NULL;
	ok(v, pv_vault_open_user(f->dir, NULL, name, PW, strlen(PW), &v), name);
	struct outputs o = notify_as(v, who, f->incident, NULL, "zh");
	if (o.rc != want || !strstr(pv_errmsg(v), needle))
		fail_msg("%s as %s: %s: '%s' (want '%s')", name, who->role, pv_strerror(o.rc),
			 pv_errmsg(v), needle);
	assert_string_equal(o.notices, "");
	outputs_free(&o);
	pv_vault_close(v);
	json_t *doc = incident_doc(f->v, f->incident);
	assert_string_equal(state_of(doc), "open");
	json_decref(doc);
	assert_int_equal(register_of(f->v).breach, 0);
}

/* Insiders with an account: a clerk (no 'incident'); a dpo naming no purpose, a purpose
 * that does not show addresses in clear, or 500 customers' contacts in clear beyond the
 * bulk limit with no approval (the transfer notices' rules, copied). */
static void test_refusals(void **state)
{
	struct fixture *f = *state;
	ok(f->v, pvt_user_add(f->v, &ADMIN, "clerk1", "clerk", PW, strlen(PW)), "add clerk");
	char today[16];
	time_t t = time(NULL);
	strftime(today, sizeof today, "%Y-%m-%d", gmtime(&t));
	ok(f->v, pv_user_attest(f->v, &ADMIN, "reader", today, today, NULL), "attest");
	const pv_access clerk = { "clerk", "service", 0 }, none = { "dpo", NULL, 0 },
			billing = { "dpo", "billing", 0 }, service = { "dpo", "service", 0 };
	refused_as(f, "clerk1", &clerk, PV_ERR_DENIED, "'incident'");
	refused_as(f, "reader", &none, PV_ERR_DENIED, "name the purpose");
	refused_as(f, "reader", &billing, PV_ERR_DENIED, "does not see email in clear");
	refused_as(f, "reader", &service, PV_ERR_DENIED, "bulk limit");
	/* the refusals are audited */
	struct audit_count a = audit_of(f->v);
	assert_int_equal(a.refused, 4);
	assert_int_equal(a.named, 0);
}

/* A closed incident, or one with no scope, is refused; nothing is recorded. */
static void test_closed_or_unscoped_refused(void **state)
{
	struct fixture *f = *state;
	char *bare = NULL, at[32];
	time_t t = time(NULL) - 60;
	strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	ok(f->v, pv_incident_open(f->v, &ADMIN, PV_INCIDENT_LOSS, at, "a lost disk", &bare), "open");
	struct outputs o = notify_as(f->v, &ROOT_SERVICE, bare, NULL, "zh");
	assert_int_equal(o.rc, PV_ERR_USAGE);
	assert_non_null(strstr(pv_errmsg(f->v), "no customers in its scope"));
	outputs_free(&o);
	ok(f->v, pv_incident_set_state(f->v, &ADMIN, f->incident, PV_INCIDENT_CLOSED), "close");
	o = notify_as(f->v, &ROOT_SERVICE, f->incident, NULL, "zh");
	assert_int_equal(o.rc, PV_ERR_USAGE);
	assert_non_null(strstr(pv_errmsg(f->v), "closed"));
	outputs_free(&o);
	o = notify_as(f->v, &ROOT_SERVICE, "INC-nothere", NULL, "zh");
	assert_int_equal(o.rc, PV_ERR_NOT_FOUND);
	outputs_free(&o);
	assert_int_equal(register_of(f->v).breach, 0);
	pv_free(bare);
}

/* ============================================================= languages ==== */

/* field as one CSV field ("..." with quotes doubled) appended to b (n bytes). */
static void csv_field(char *b, size_t n, const char *field, const char *sep)
{
	size_t l = strlen(b);
	l += (size_t)snprintf(b + l, n - l, "\"");
	for (const char *p = field; *p && l + 3 < n; p++) {
		if (*p == '"')
			b[l++] = '"';
		b[l++] = *p;
	}
	snprintf(b + l, n - l, "\"%s", sep);
}

/* A schema with a "language" field: each customer told in its own language, those
 * without one in the language asked for (zh when none is). */
static void test_customer_language(void **state)
{
	struct fixture *f = *state;
	static const char *const cols[] = { "customer_id", "name", "phone", "id_number", "email",
					    "address", "last_order_amount", "last_order_date",
					    "created_at" };
	static const char *const langs[] = { "en", "zh-CN", "" };
	char *yaml = pvt_read_file(PV_SOURCE_DIR "/examples/schema.yaml", NULL);
	assert_non_null(yaml);
	char *at = strstr(yaml, "fields:\n"), *schema = NULL;
	assert_non_null(at);
	at += strlen("fields:\n");
	assert_true(asprintf(&schema, "%.*s  language: {type: text, category: other, sensitivity: "
			     "public, mask: none, purposes: [service], required: false}\n%s",
			     (int)(at - yaml), yaml, at) > 0);
	char *schema_path = pvt_path(f->tmp, "lang.yaml"), *csv_path = pvt_path(f->tmp, "l.csv");
	assert_int_equal(pvt_write_file(schema_path, schema, strlen(schema)), 0);
	static char csv[16384];
	csv[0] = '\0';
	for (size_t c = 0; c < 9; c++)
		csv_field(csv, sizeof csv, cols[c], ",");
	csv_field(csv, sizeof csv, "language", "\n");
	for (size_t r = 1; r <= 3; r++) {
		for (size_t c = 0; c < 9; c++)
			csv_field(csv, sizeof csv, pvt_csv_get(&f->csv, r, cols[c]), ",");
		csv_field(csv, sizeof csv, langs[r - 1], "\n");
	}
	assert_int_equal(pvt_write_file(csv_path, csv, strlen(csv)), 0);
	char *dir = pvt_path(f->tmp, "lang-vault");
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(f->key, &key), PV_OK);
	pv_create_opts opts = { .schema_path = schema_path, .keyring_slots = 1024,
				.kdf_cost = PV_KDF_FAST };
	pv_vault *v = NULL;
	pv_rc rc = pv_vault_create(dir, &opts, key, &v);
	pv_key_free(key);
	ok(v, rc, "create");
	pv_import_opts io = { 0 };
	pv_import_result *res = NULL;
	ok(v, pv_import_csv(v, &ADMIN, csv_path, &io, &res), "import");
	pv_import_free(res);
	char *id = NULL, when[32];
	time_t t = time(NULL) - 60;
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	for (size_t r = 1; r <= 3; r++) {
		pv_record *rec = NULL;
		ok(v, pv_get(v, &ROOT_SERVICE, pvt_csv_get(&f->csv, r, "customer_id"), &rec), "get");
		pv_record_free(rec);
	}
	ok(v, pv_incident_open(v, &ADMIN, PV_INCIDENT_LEAK, when, "leak", &id), "open");
	pv_incident_filter all = { NULL, NULL, NULL, NULL, NULL, 0 };
	pv_incident_counts n;
	ok(v, pv_incident_scope(v, &ADMIN, id, &all, &n), "scope");
	assert_int_equal(n.customers, 3);
	struct outputs o = notify_as(v, &ROOT_SERVICE, id, NULL, "en");
	ok(v, o.rc, "notify");
	struct pvt_csv out;
	assert_int_equal(pvt_csv_parse(o.notices, &out), 0);
	assert_int_equal(out.nrows, 4);
	for (size_t r = 1; r <= 3; r++) {
		const char *text = pvt_csv_get(&out, r, "text");
		const char *cid = pvt_csv_get(&out, r, "customer_id");
		size_t row = strcmp(cid, pvt_csv_get(&f->csv, 1, "customer_id")) == 0   ? 1
			     : strcmp(cid, pvt_csv_get(&f->csv, 2, "customer_id")) == 0 ? 2
											 : 3;
		int english = strstr(text, "Under article 57") != NULL;
		assert_int_equal(english, row != 2); /* en; zh-CN; none, so the one asked for */
		assert_int_equal(strstr(text, "根据《中华人民共和国个人信息保护法》第五十七条") != NULL,
				 row == 2);
	}
	pvt_csv_free(&out);
	outputs_free(&o);
	pv_vault_close(v);
	pv_free(id);
	free(dir);
	free(schema_path);
	free(csv_path);
	free(schema);
	free(yaml);
}

/* =================================================================== CLI ==== */

static int cli(const struct fixture *f, char **out, char **err, const char *fmt, ...)
{
	char args[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	int st = pvt_run(out, "env -u PIVAULT_USER -u PIVAULT_KEYRING -u PIVAULT_PASSPHRASE_FILE "
			 "PIVAULT_VAULT='%s' PIVAULT_KEY_FILE='%s' '%s' %s </dev/null 2>'%s'",
			 f->dir, f->key, pvt_program("pivault-test"), args, f->err);
	char *e = pvt_read_file(f->err, NULL);
	assert_non_null(e);
	if (err)
		*err = e;
	else
		free(e);
	return st;
}

static json_t *cli_json(const struct fixture *f, const char *args)
{
	char *out = NULL, *err = NULL;
	int st = cli(f, &out, &err, "%s", args);
	if (st != 0)
		fail_msg("pivault %s: exit %d: %s", args, st, err);
	json_t *doc = json_loads(out, 0, NULL);
	if (!doc)
		fail_msg("pivault %s: not JSON: %s", args, out);
	free(out);
	free(err);
	return doc;
}

static void cli_fails(const struct fixture *f, int want, const char *needle, const char *args)
{
	char *out = NULL, *err = NULL;
	int st = cli(f, &out, &err, "%s", args);
	if (st != want || !strstr(err, needle))
		fail_msg("pivault %s: exit %d, stderr '%s' (want %d, '%s')", args, st, err, want,
			 needle);
	free(out);
	free(err);
}

static size_t num(json_t *doc, const char *key)
{
	return (size_t)json_integer_value(json_object_get(doc, key));
}

static void test_cli(void **state)
{
	struct fixture *f = *state;
	ok(f->v, pvt_user_add(f->v, &ADMIN, "clerk1", "clerk", PW, strlen(PW)), "add clerk");
	pv_vault_close(f->v);
	f->v = NULL;
	char *notice = pvt_path(f->tmp, "notice.txt"), *bad = pvt_path(f->tmp, "bad.txt");
	char *one = pvt_path(f->tmp, "one.csv"), args[1024];
	assert_int_equal(pvt_write_file(notice, NOTICE, strlen(NOTICE)), 0);
	assert_int_equal(pvt_write_file(bad, "contact: a\nwho: b\n", 18), 0);
	const char *common = "--role admin --purpose service";

	snprintf(args, sizeof args, "incident notify %s %s --notice '%s'", f->incident, common,
		 notice);
	cli_fails(f, 2, "--out DIR or -o FILE", args);
	snprintf(args, sizeof args, "incident notify %s %s --notice '%s' --out '%s'", f->incident,
		 common, bad, f->out);
	cli_fails(f, 2, "bad.txt:2: unknown field", args);
	snprintf(args, sizeof args, "incident notify %s --role clerk --purpose service --notice "
		 "'%s' --out '%s'", f->incident, notice, f->out);
	cli_fails(f, 1, "'incident'", args);

	snprintf(args, sizeof args, "incident notify %s %s --notice '%s' --out '%s' --json",
		 f->incident, common, notice, f->out);
	json_t *doc = cli_json(f, args);
	assert_int_equal(num(doc, "notices"), NREAD);
	assert_int_equal(num(doc, "customers"), NREAD);
	assert_int_equal(num(json_object_get(doc, "by_category"), "financial"), NBILLING);
	assert_true(json_is_true(json_object_get(doc, "report_recorded")));
	char *notices = pvt_read_file(json_string_value(json_object_get(doc, "notices_file")), NULL);
	char *report = pvt_read_file(json_string_value(json_object_get(doc, "report_file")), NULL);
	assert_non_null(notices);
	assert_non_null(report);
	struct stat st;
	assert_int_equal(stat(json_string_value(json_object_get(doc, "notices_file")), &st), 0);
	assert_int_equal(st.st_mode & 077, 0); /* names and contacts: the owner's alone */
	assert_non_null(strstr(report, "Individuals affected: 500"));
	no_names_or_phones(f, report, strlen(report), "the report file");
	json_decref(doc);
	free(notices);
	free(report);
	/* the files are never written over; -o then puts them elsewhere, no one told twice */
	cli_fails(f, 1, "", args);
	snprintf(args, sizeof args, "incident notify %s %s --notice '%s' -o '%s' --json",
		 f->incident, common, notice, one);
	doc = cli_json(f, args);
	assert_int_equal(num(doc, "notices"), 0);
	assert_int_equal(num(doc, "skipped"), NREAD);
	assert_true(json_is_false(json_object_get(doc, "report_recorded")));
	json_decref(doc);
	char *beside = pvt_path(f->tmp, "one.csv.regulator-report.txt");
	assert_int_equal(access(beside, F_OK), 0);
	snprintf(args, sizeof args, "incident show %s --role admin --json", f->incident);
	doc = cli_json(f, args);
	assert_string_equal(state_of(doc), "notified");
	json_decref(doc);
	free(beside);
	free(notice);
	free(bad);
	free(one);
	reopen_root(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_500_notices_one_report, setup, teardown),
		cmocka_unit_test_setup_teardown(test_again_tells_no_one_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vault_db_holds_no_contacts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dba_register_rows_do_not_silence, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_malformed_notice_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_closed_or_unscoped_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_customer_language, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
