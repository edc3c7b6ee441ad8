/* SPDX-License-Identifier: Apache-2.0 */
/* test_compliance_report.c: the compliance audit report (合规审计, PIPL art. 54) on a vault
 * in a known state: customers imported with known dates, one past its retention date, one
 * past it and held, a request overdue (its due date edited in SQL, as test_dsr does), an
 * export (a bulk-read alert), reads by a clerk, an open incident, a user without training.
 * Each expected finding is asserted with its severity and article, and the figures behind
 * it. Attacks: a DBA corrupts sealed data of the first and last customers (a flipped byte,
 * a data key copied from another customer): the report does not stop or assume, it counts
 * both as failing and names them, every other customer checked; a backup changed where it
 * is kept is reported failing, not verified; an audit entry rewritten to hide a bulk read
 * makes the chain finding high. No clear value of the
 * vault is in the JSON, text or HTML; a role without 'report' is refused and audited; the
 * auditor's report is audited. The CLI: pivault report --json parsed, --html written. */
#define _GNU_SOURCE
#include "dba.h"
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pivault.h"

#define NCUST 10
#define SEED 54
#define PAST "C00000002"
#define HELD "C00000003"
#define LATE "C00000004"

static const pv_access ADMIN = { "admin", NULL, 0 };
static const pv_access ADMIN_ALL = { "admin", "all", 0 };
static const pv_access AUDITOR = { "auditor", NULL, 0 };
static const pv_access CLERK = { "clerk", "service", 0 };
static const char PW[] = "correct horse battery";

struct fixture {
	char *tmp, *dir, *key;
	pv_vault *v;
	struct pvt_csv csv;
	char today[11];
};

static void ok(pv_vault *v, pv_rc rc, const char *what)
{
	if (rc != PV_OK)
		fail_msg("%s: %s: %s", what, pv_strerror(rc), pv_errmsg(v));
}

/* The UTC date days from today. */
static void date_from_today(char out[11], long days)
{
	time_t t = time(NULL) + days * 86400;
	strftime(out, 11, "%Y-%m-%d", gmtime(&t));
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

/* Run SQL on the closed vault's store, as its DBA would (dba.h: the SQLite file or the
 * PostgreSQL schema): each statement (ending in ';') must change a row at least. */
static void dba(struct fixture *f, const char *stmt)
{
	pv_vault_close(f->v);
	f->v = NULL;
	for (const char *s = stmt; *s; s += strcspn(s, ";") + (s[strcspn(s, ";")] == ';')) {
		char *rows = NULL;
		if (pvt_dba(&rows, f->dir, "%.*s RETURNING 1", (int)strcspn(s, ";"), s) != 0)
			fail_msg("the DBA's SQL failed: %s", stmt);
		assert_true(rows[0] != '\0');
		free(rows);
	}
	reopen_root(f);
}

/* Every customer's dates set so that nothing is due but what the test makes due: made
 * 400 days ago (preferences fall due within the year), last order 30 days ago. */
static void set_dates(struct fixture *f)
{
	char made[11], made_at[40], ordered[11];
	date_from_today(made, -400);
	date_from_today(ordered, -30);
	snprintf(made_at, sizeof made_at, "%sT10:00:00+08:00", made);
	const char *fields[] = { "created_at", "last_order_date" };
	for (size_t r = 1; r <= NCUST; r++) {
		const char *id = pvt_csv_get(&f->csv, r, "customer_id");
		int old = strcmp(id, PAST) == 0 || strcmp(id, HELD) == 0;
		const char *values[] = { made_at, old ? "2010-03-01" : ordered };
		ok(f->v, pv_update_fields(f->v, &ADMIN, id, fields, values, 2), "pv_update_fields");
	}
}

static void add_users(struct fixture *f)
{
	ok(f->v, pvt_user_add(f->v, &ADMIN, "clerk1", "clerk", PW, strlen(PW)), "clerk1");
	ok(f->v, pvt_user_add(f->v, &ADMIN, "auditor1", "auditor", PW, strlen(PW)), "auditor1");
	ok(f->v, pv_user_attest(f->v, &ADMIN, "clerk1", f->today, NULL, NULL), "attest clerk1");
	ok(f->v, pv_user_attest(f->v, &ADMIN, "auditor1", f->today, f->today, NULL),
	   "attest auditor1");
}

/* The known state: see the head of the file. */
static void known_state(struct fixture *f)
{
	set_dates(f);
	const char *held[] = { HELD };
	ok(f->v, pv_hold_add(f->v, &ADMIN, held, 1, "litigation"), "pv_hold_add");
	char *late = NULL, *fresh = NULL;
	ok(f->v, pv_dsr_open(f->v, &ADMIN, LATE, "access", NULL, &late), "pv_dsr_open");
	ok(f->v, pv_dsr_open(f->v, &ADMIN, "C00000005", "correct", NULL, &fresh), "pv_dsr_open");
	char *out = pvt_path(f->tmp, "export.csv");
	ok(f->v, pv_export_file(f->v, &ADMIN_ALL, PV_EXPORT_CSV, out), "pv_export_file");
	free(out);
	char at[32], *inc = NULL;
	time_t t = time(NULL) - 3600;
	strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	ok(f->v, pv_incident_open(f->v, &ADMIN, PV_INCIDENT_LEAK, at, "a laptop lost", &inc),
	   "pv_incident_open");
	pv_free(inc);
	add_users(f);
	char stmt[200];
	snprintf(stmt, sizeof stmt, "UPDATE dsr SET due = '2020-01-01' WHERE id = '%s';", late);
	dba(f, stmt);
	pv_free(late);
	pv_free(fresh);
	pv_vault *c = pvt_open_user(f->dir, "clerk1", PW);
	for (int i = 6; i <= 8; i++) {
		char id[16];
		pv_record *r = NULL;
		snprintf(id, sizeof id, "C%08d", i);
		ok(c, pv_get(c, &CLERK, id, &r), "pv_get as clerk1");
		pv_record_free(r);
	}
	pvt_vclose(c);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->tmp = pvt_tempdir();
	f->dir = pvt_path(f->tmp, "vault");
	f->key = pvt_path(f->tmp, "root.key");
	date_from_today(f->today, 0);
	char *csv = NULL;
	f->v = pvt_sample_vault(f->dir, f->key, NCUST, SEED, &csv);
	assert_int_equal(pvt_csv_parse(csv, &f->csv), 0);
	free(csv);
	known_state(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	pvt_release_all();
	pv_vault_close(f->v);
	pvt_csv_free(&f->csv);
	pvt_rmtree(f->tmp);
	free(f->tmp);
	free(f->dir);
	free(f->key);
	free(f);
	return 0;
}

/* ---- Reading the report ---- */

static char *report_as(pv_vault *v, const pv_access *who, pv_report_form form)
{
	char *text = NULL;
	ok(v, pv_compliance_report(v, who, NULL, form, &text), "pv_compliance_report");
	assert_non_null(text);
	return text;
}

static json_t *report_json(pv_vault *v, const pv_access *who)
{
	char *text = report_as(v, who, PV_REPORT_JSON);
	json_error_t je;
	json_t *doc = json_loads(text, 0, &je);
	pv_free(text);
	if (!doc)
		fail_msg("the report is not JSON: %s", je.text);
	return doc;
}

static json_int_t num(const json_t *doc, const char *section, const char *key)
{
	json_t *x = json_object_get(json_object_get(doc, section), key);
	if (!json_is_integer(x))
		fail_msg("%s.%s is not a number", section, key);
	return json_integer_value(x);
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	if (!s)
		fail_msg("%s is not a string", key);
	return s;
}

/* The finding id (the first of that id) with want severity and article, what naming
 * needle (NULL: anything). */
static json_t *expect_finding(const json_t *doc, const char *id, const char *severity,
			      const char *article, const char *needle)
{
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(doc, "findings"), i, f) {
		if (strcmp(str(f, "id"), id) != 0)
			continue;
		if (strcmp(str(f, "severity"), severity) || strcmp(str(f, "article"), article))
			fail_msg("finding %s: %s, %s (want %s, %s): %s", id, str(f, "severity"),
				 str(f, "article"), severity, article, str(f, "what"));
		if (needle && !strstr(str(f, "what"), needle))
			fail_msg("finding %s does not name '%s': %s", id, needle, str(f, "what"));
		return f;
	}
	fail_msg("no finding %s", id);
	return NULL;
}

static int has_finding(const json_t *doc, const char *id)
{
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(doc, "findings"), i, f)
		if (strcmp(str(f, "id"), id) == 0)
			return 1;
	return 0;
}

static int array_has(const json_t *a, const char *s)
{
	size_t i;
	json_t *x;
	json_array_foreach(a, i, x)
		if (json_is_string(x) && strcmp(json_string_value(x), s) == 0)
			return 1;
	return 0;
}

/* Non-empty financial values of customer id in the generated CSV (the ones the test made
 * past due). */
static json_int_t financial_values(const struct fixture *f, const char *id)
{
	static const char *const cols[] = { "bank_card", "company_uscc", "contract_no",
					    "last_order_amount", "last_order_date" };
	for (size_t r = 1; r < f->csv.nrows; r++) {
		if (strcmp(pvt_csv_get(&f->csv, r, "customer_id"), id) != 0)
			continue;
		json_int_t n = 0;
		for (size_t k = 0; k < sizeof cols / sizeof *cols; k++)
			n += *pvt_csv_get(&f->csv, r, cols[k]) != '\0';
		return n;
	}
	fail_msg("no customer %s in the CSV", id);
	return 0;
}

/* ---- The known state's findings ---- */

static void test_known_state_findings(void **state)
{
	struct fixture *f = *state;
	pv_vault *a = pvt_open_user(f->dir, "auditor1", PW);
	json_t *doc = report_json(a, &AUDITOR);

	expect_finding(doc, "past-retention", "high", "art. 19, 47", PAST);
	assert_int_equal(num(doc, "retention", "past_due_customers"), 1);
	assert_int_equal(num(doc, "retention", "past_due_values"),
			 financial_values(f, PAST) + financial_values(f, HELD));
	json_t *ret = json_object_get(doc, "retention");
	assert_true(array_has(json_object_get(ret, "past_due_ids"), PAST));
	assert_false(array_has(json_object_get(ret, "past_due_ids"), HELD));
	expect_finding(doc, "held-past-retention", "info", "art. 19", HELD);
	assert_int_equal(num(doc, "retention", "held_past_due"), 1);
	assert_int_equal(num(doc, "holds", "in_force"), 1);
	assert_int_equal(num(doc, "retention", "undetermined_values"), 0);
	assert_false(has_finding(doc, "retention-undetermined"));

	expect_finding(doc, "dsr-overdue", "high", "art. 50", "1 data-subject");
	assert_int_equal(num(doc, "dsr", "overdue"), 1);
	assert_int_equal(num(doc, "dsr", "open"), 1);

	json_t *bulk = expect_finding(doc, "bulk-reads", "medium", "art. 51", "bulk export");
	(void)bulk;
	assert_true(num(doc, "alerts", "count") >= 1);

	expect_finding(doc, "incident", "high", "art. 57", "is open");
	assert_int_equal(num(doc, "incidents", "total"), 1);

	expect_finding(doc, "staff-training", "medium", "art. 51", "clerk1");
	json_t *staff = json_object_get(doc, "staff");
	assert_true(array_has(json_object_get(staff, "without_training"), "clerk1"));
	assert_false(array_has(json_object_get(staff, "without_training"), "auditor1"));
	assert_false(has_finding(doc, "staff-agreement"));

	expect_finding(doc, "encryption", "info", "art. 51", "10 customers");
	assert_int_equal(num(doc, "encryption", "failed"), 0);
	expect_finding(doc, "audit-chain", "info", "art. 54", NULL);
	expect_finding(doc, "checkpoint", "medium", "art. 54", "not recorded");
	expect_finding(doc, "backup", "medium", "art. 51", "not recorded");
	expect_finding(doc, "consent", "info", "art. 14, 15", "marketing");
	json_decref(doc);
	pvt_vclose(a);
}

/* The figures behind the findings: inventory, reads, months due, deadlines, order. */
static void test_known_state_figures(void **state)
{
	struct fixture *f = *state;
	json_t *doc = report_json(f->v, &ADMIN);
	assert_int_equal(num(doc, "inventory", "customers"), NCUST);
	size_t i;
	json_t *x;
	json_int_t total = 0, name = -1;
	json_array_foreach(json_object_get(json_object_get(doc, "inventory"), "fields"), i, x)
		if (strcmp(str(x, "field"), "name") == 0)
			name = json_integer_value(json_object_get(x, "values"));
	assert_int_equal(name, NCUST);
	json_array_foreach(json_object_get(json_object_get(doc, "inventory"), "by_category"), i, x)
		total += json_integer_value(json_object_get(x, "values"));
	assert_int_equal(total, num(doc, "encryption", "values"));
	int clerk_seen = 0;
	json_array_foreach(json_object_get(json_object_get(doc, "reads"), "by_user_purpose"), i, x)
		if (strcmp(str(x, "user"), "clerk1") == 0 && strcmp(str(x, "purpose"), "service") == 0) {
			assert_int_equal(json_integer_value(json_object_get(x, "customers")), 3);
			clerk_seen = 1;
		}
	assert_true(clerk_seen);
	json_t *days = json_object_get(json_object_get(doc, "reads"), "by_day");
	assert_int_equal(json_array_size(days), 30);
	json_t *last = json_array_get(days, 29);
	assert_string_equal(str(last, "day"), f->today);
	assert_true(json_integer_value(json_object_get(last, "customers")) >= 3);
	json_int_t due = 0;
	json_array_foreach(json_object_get(json_object_get(doc, "retention"), "due_by_month"), i, x)
		due += json_integer_value(json_object_get(x, "values"));
	assert_true(due > 0); /* the preferences made 400 days ago fall due within the year */
	/* high findings first */
	const char *prev = "high";
	static const char *const order = "high medium low info";
	json_array_foreach(json_object_get(doc, "findings"), i, x) {
		assert_true(strstr(order, str(x, "severity")) >= strstr(order, prev));
		prev = str(x, "severity");
	}
	json_decref(doc);
}

/* ---- Values kept with no end ---- */

/* Append cell to line as a quoted CSV field. */
static void csv_cell(char *line, size_t cap, const char *cell, int first)
{
	size_t n = strlen(line);
	n += (size_t)snprintf(line + n, cap - n, "%s\"", first ? "" : ",");
	for (; *cell && n + 3 < cap; cell++) {
		if (*cell == '"')
			line[n++] = '"';
		line[n++] = *cell;
	}
	snprintf(line + n, cap - n, "\"");
}

/* The case: a customer with a bank card but no last order date (an archive import
 * that lets a required value be empty). Its financial values have no due date under
 * "financial: keep 10y from last_order_date": counted, and a finding. */
static void test_undetermined_retention(void **state)
{
	struct fixture *f = *state;
	char text[8192] = "";
	for (size_t c = 0; c < f->csv.ncols; c++)
		csv_cell(text, sizeof text, f->csv.cell[c], c == 0);
	strcat(text, "\n");
	json_int_t expected = 0;
	char row[4096] = "";
	for (size_t c = 0; c < f->csv.ncols; c++) {
		const char *col = f->csv.cell[c], *val = pvt_csv_get(&f->csv, 1, col);
		if (strcmp(col, "customer_id") == 0)
			val = "C00000099";
		else if (strcmp(col, "last_order_date") == 0)
			val = "";
		else if (strcmp(col, "bank_card") == 0 || strcmp(col, "company_uscc") == 0 ||
			 strcmp(col, "contract_no") == 0 || strcmp(col, "last_order_amount") == 0)
			expected += *val != '\0';
		csv_cell(row, sizeof row, val, c == 0);
	}
	strcat(text, row);
	strcat(text, "\n");
	char *path = pvt_path(f->tmp, "archive.csv");
	assert_int_equal(pvt_write_file(path, text, strlen(text)), 0);
	pv_import_opts io = { .flags = PV_IMPORT_ALLOW_EMPTY_REQUIRED, .threads = 1 };
	ok(f->v, pv_import_csv(f->v, &ADMIN, path, &io, NULL), "pv_import_csv");
	free(path);
	json_t *doc = report_json(f->v, &ADMIN);
	assert_true(expected > 0);
	assert_int_equal(num(doc, "retention", "undetermined_values"), expected);
	char needle[32];
	snprintf(needle, sizeof needle, "%lld values", (long long)expected);
	expect_finding(doc, "retention-undetermined", "medium", "art. 19, 47", needle);
	json_decref(doc);
}

/* ---- Attack: a DBA corrupts stored customers ---- */

static void test_corrupt_rows_counted_not_assumed(void **state)
{
	struct fixture *f = *state;
	/* a flipped byte in the first customer's financial group; the last customer given
	 * another customer's wrapped data key */
	dba(f, "UPDATE customers SET g_financial = "
	       "substr(g_financial, 1, 20) || x'5a' || substr(g_financial, 22) "
	       "WHERE id = 'C00000001';"
	       "UPDATE customers SET wdek = (SELECT wdek FROM customers WHERE id = 'C00000005') "
	       "WHERE id = 'C00000010';");
	json_t *doc = report_json(f->v, &ADMIN);
	assert_int_equal(num(doc, "encryption", "customers"), NCUST);
	assert_int_equal(num(doc, "encryption", "failed"), 2);
	assert_int_equal(num(doc, "encryption", "opened"), NCUST - 2);
	json_t *ids = json_object_get(json_object_get(doc, "encryption"), "failed_ids");
	assert_true(array_has(ids, "C00000001"));
	assert_true(array_has(ids, "C00000010"));
	expect_finding(doc, "encryption", "high", "art. 51", "C00000001");
	expect_finding(doc, "encryption", "high", "art. 51", "C00000010");
	/* the others were still counted: the held one is still past due and held */
	assert_int_equal(num(doc, "retention", "held_past_due"), 1);
	json_decref(doc);
}

/* ---- Attack: a forged backup, an audit entry removed ---- */

static void test_backup_and_log_checked(void **state)
{
	struct fixture *f = *state;
	char *backup = pvt_path(f->tmp, "vault.backup"), *summary = NULL;
	ok(f->v, pv_backup_create(f->v, &ADMIN, backup, &summary), "pv_backup_create");
	pv_free(summary);
	json_t *doc = report_json(f->v, &ADMIN);
	expect_finding(doc, "backup", "info", "art. 51", "verifies");
	assert_string_equal(str(json_object_get(doc, "backup"), "verification"), "verified");
	json_decref(doc);
	/* a byte of the image changed where it is kept: the report must not call it good */
	size_t len = 0;
	char *bytes = pvt_read_file(backup, &len);
	assert_non_null(bytes);
	assert_true(len > 4096);
	bytes[len / 2] ^= 0x01;
	assert_int_equal(pvt_write_file(backup, bytes, len), 0);
	free(bytes);
	doc = report_json(f->v, &ADMIN);
	expect_finding(doc, "backup", "high", "art. 51", "does not verify");
	assert_string_equal(str(json_object_get(doc, "backup"), "verification"), "fails");
	json_decref(doc);
	/* a DBA rewrites the export's entry as a read, to hide the bulk-read alert it makes:
	 * the alert is gone, and the report says the log does not verify */
	dba(f, "UPDATE audit SET op = 'read' WHERE op = 'export';");
	doc = report_json(f->v, &ADMIN);
	expect_finding(doc, "audit-chain", "high", "art. 54", "does not verify");
	assert_false(has_finding(doc, "bulk-reads"));
	json_decref(doc);
	free(backup);
}

/* ---- No value in any form ---- */

static void assert_no_value(const struct fixture *f, const char *text, const char *form)
{
	static const char *const cols[] = { "name", "phone", "id_number", "email", "address",
					    "bank_card", "company_uscc", "contract_no",
					    "preferences" };
	for (size_t r = 1; r < f->csv.nrows; r++)
		for (size_t k = 0; k < sizeof cols / sizeof *cols; k++) {
			const char *val = pvt_csv_get(&f->csv, r, cols[k]);
			if (strlen(val) >= 4 && strstr(text, val))
				fail_msg("the %s report holds the %s of row %zu", form, cols[k], r);
		}
}

static void test_no_clear_value(void **state)
{
	struct fixture *f = *state;
	static const pv_report_form forms[] = { PV_REPORT_JSON, PV_REPORT_TEXT, PV_REPORT_HTML };
	static const char *const names[] = { "JSON", "text", "HTML" };
	for (int k = 0; k < 3; k++) {
		char *text = report_as(f->v, &ADMIN, forms[k]);
		assert_no_value(f, text, names[k]);
		pv_free(text);
	}
}

/* ---- Who may, and the audit ---- */

struct seen_entry {
	const char *user, *outcome;
	int found;
};

static int audit_entry(void *ctx, const pv_audit_entry *e)
{
	struct seen_entry *s = ctx;
	if (strcmp(e->op, "report") == 0 && strcmp(e->user, s->user) == 0 &&
	    strcmp(e->outcome, s->outcome) == 0 && strcmp(e->ids, "*") == 0)
		s->found = 1;
	return 0;
}

static int audited(struct fixture *f, const char *user, const char *outcome)
{
	struct seen_entry s = { user, outcome, 0 };
	ok(f->v, pv_audit_log(f->v, &ADMIN, NULL, audit_entry, &s), "pv_audit_log");
	return s.found;
}

static void test_permission_and_audit(void **state)
{
	struct fixture *f = *state;
	pv_vault *c = pvt_open_user(f->dir, "clerk1", PW);
	char *text = NULL;
	assert_rc_msg(c, pv_compliance_report(c, &CLERK, NULL, PV_REPORT_JSON, &text),
		      PV_ERR_DENIED, "report");
	assert_null(text);
	pvt_vclose(c);
	assert_true(audited(f, "clerk1", "denied"));
	pv_vault *a = pvt_open_user(f->dir, "auditor1", PW);
	text = report_as(a, &AUDITOR, PV_REPORT_TEXT);
	assert_non_null(strstr(text, "past-retention"));
	pv_free(text);
	assert_rc_msg(a, pv_compliance_report(a, &AUDITOR, "2026-13-01", PV_REPORT_JSON, &text),
		      PV_ERR_USAGE, "as_of");
	pvt_vclose(a);
	assert_true(audited(f, "auditor1", "ok"));
}

/* ---- The command ---- */

static void test_cli_json_and_html(void **state)
{
	struct fixture *f = *state;
	pv_vault_close(f->v);
	f->v = NULL;
	char *pwfile = pvt_path(f->tmp, "pw"), *html = pvt_path(f->tmp, "report.html");
	assert_int_equal(pvt_write_file(pwfile, PW, strlen(PW)), 0);
	char *out = NULL;
	int st = pvt_run(&out, "PIVAULT_PASSWORD_FILE='%s' '%s' report --vault '%s' --user "
			 "auditor1 --role auditor --json", pwfile, pvt_program("pivault-test"),
			 f->dir);
	assert_int_equal(st, 0);
	json_error_t je;
	json_t *doc = json_loads(out, 0, &je);
	if (!doc)
		fail_msg("pivault report --json: not JSON: %s", je.text);
	expect_finding(doc, "past-retention", "high", "art. 19, 47", PAST);
	expect_finding(doc, "dsr-overdue", "high", "art. 50", NULL);
	json_decref(doc);
	free(out);
	st = pvt_run(NULL, "PIVAULT_PASSWORD_FILE='%s' '%s' report --vault '%s' --user auditor1 "
		     "--role auditor --html '%s' 2>/dev/null", pwfile,
		     pvt_program("pivault-test"), f->dir, html);
	assert_int_equal(st, 0);
	char *page = pvt_read_file(html, NULL);
	assert_non_null(page);
	assert_non_null(strstr(page, "<svg"));
	assert_null(strstr(page, "<script"));
	assert_null(strstr(page, "http://www.w3.org/2000/svg\"/>")); /* nothing fetched */
	assert_no_value(f, page, "HTML (command)");
	free(page);
	/* the file is never written over */
	st = pvt_run(NULL, "PIVAULT_PASSWORD_FILE='%s' '%s' report --vault '%s' --user auditor1 "
		     "--role auditor --html '%s' 2>/dev/null", pwfile,
		     pvt_program("pivault-test"), f->dir, html);
	assert_int_not_equal(st, 0);
	free(pwfile);
	free(html);
	reopen_root(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_known_state_findings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_known_state_figures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_rows_counted_not_assumed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_undetermined_retention, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup_and_log_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_clear_value, setup, teardown),
		cmocka_unit_test_setup_teardown(test_permission_and_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli_json_and_html, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
