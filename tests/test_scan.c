/* SPDX-License-Identifier: Apache-2.0 */
/* test_scan.c: pv_scan_csv, pv_scan_vault and `pivault scan`: the columns and text fields
 * holding undeclared personal information are found and counted, declarations are
 * honoured, and nothing of a value leaks: not in the report, the messages, the audit log,
 * nor to a role that may not read the field or may not scan. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PHONE "13912342163"
#define CARD "6222021234567894"
#define NEIGHBOUR "邱波"

/* A CSV file of n rows whose notes column holds PII in one row in three, the phone column
 * phones, and the order column order and tracking numbers. */
static char *write_csv(const char *dir, int n)
{
	char *path = pvt_path(dir, "customers.csv");
	size_t cap = 256 + (size_t)n * 256, len = 0;
	char *text = malloc(cap);
	assert_non_null(text);
	len += (size_t)snprintf(text, cap, "customer_id,name,phone,notes,order_no\n");
	for (int i = 0; i < n; i++) {
		const char *notes = i % 3 == 0 ? "快递可交给邻居" NEIGHBOUR "（" PHONE "）代收"
				    : i % 3 == 1 ? "退款到卡号" CARD : "无";
		len += (size_t)snprintf(text + len, cap - len,
					"c%04d,张伟,+86138%08d,\"%s\",20240115%010d\n", i, i, notes,
					i);
	}
	assert_int_equal(pvt_write_file(path, text, len), 0);
	free(text);
	return path;
}

struct seen {
	char names[8][32];
	pv_scan_column col[8];
	char suggestion[8][160];
	size_t n;
};

static int keep_column(void *ctx, const pv_scan_column *c)
{
	struct seen *s = ctx;
	assert_true(s->n < 8);
	snprintf(s->names[s->n], sizeof s->names[0], "%s", c->name);
	snprintf(s->suggestion[s->n], sizeof s->suggestion[0], "%s", c->suggestion);
	s->col[s->n] = *c;
	s->col[s->n].name = s->names[s->n];
	s->col[s->n].suggestion = s->suggestion[s->n];
	s->col[s->n].declared = NULL;
	s->n++;
	return 0;
}

static const pv_scan_column *column(const struct seen *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->names[i], name) == 0)
			return &s->col[i];
	return NULL;
}

/* Nothing of the values is in text: the phone, the card, the neighbour's name. */
static void assert_no_value(const char *text)
{
	if (strstr(text, PHONE) || strstr(text, "2163") || strstr(text, CARD) ||
	    strstr(text, NEIGHBOUR) || strstr(text, "张伟") || strstr(text, "+86138"))
		fail_msg("a value in: %s", text);
}

static void test_csv_columns_counted(void **state)
{
	(void)state;
	char *tmp = pvt_tempdir(), *csv = write_csv(tmp, 300);
	struct seen s = { .n = 0 };
	uint64_t rows = 0;
	assert_int_equal(pv_scan_csv(csv, NULL, keep_column, &s, &rows), PV_OK);
	assert_int_equal(rows, 300);
	const pv_scan_column *notes = column(&s, "notes"), *phone = column(&s, "phone");
	assert_non_null(notes);
	assert_non_null(phone);
	assert_null(column(&s, "order_no")); /* order numbers are no card, no ID */
	assert_null(column(&s, "customer_id"));
	/* a column of names alone holds names, context or not */
	const pv_scan_column *names = column(&s, "name");
	assert_non_null(names);
	assert_int_equal(names->with[PV_PII_NAME], 300);
	assert_string_equal(names->suggestion, "declare it mask name");
	assert_int_equal(notes->rows, 300);
	assert_int_equal(notes->with[PV_PII_PHONE], 100);
	assert_int_equal(notes->with[PV_PII_NAME], 100);
	assert_int_equal(notes->with[PV_PII_BANK_CARD], 100);
	assert_non_null(strstr(notes->suggestion, "mask free_text"));
	assert_int_equal(phone->with[PV_PII_PHONE], 300);
	assert_string_equal(phone->suggestion, "declare it type phone_cn");
	for (size_t i = 0; i < s.n; i++)
		assert_no_value(s.suggestion[i]);
	free(csv);
	pvt_rmtree(tmp);
	free(tmp);
}

/* With the schema: phone is declared phone_cn (not read); name is text masked as a name,
 * which covers names; notes stays undeclared. */
static void test_csv_schema_declarations(void **state)
{
	(void)state;
	char *tmp = pvt_tempdir(), *csv = write_csv(tmp, 30);
	char schema[4096];
	snprintf(schema, sizeof schema, "%s/examples/schema.yaml", PV_SOURCE_DIR);
	pv_scan_opts o = { schema, 0 };
	struct seen s = { .n = 0 };
	assert_int_equal(pv_scan_csv(csv, &o, keep_column, &s, NULL), PV_OK);
	assert_null(column(&s, "phone"));
	assert_null(column(&s, "name"));
	assert_non_null(column(&s, "notes"));
	free(csv);
	pvt_rmtree(tmp);
	free(tmp);
}

/* A malformed file: the message names the file and the row, never a value of it. */
static void test_csv_errors_name_no_value(void **state)
{
	(void)state;
	char *tmp = pvt_tempdir(), *path = pvt_path(tmp, "bad.csv");
	const char *text = "id,notes\nc1,\"" PHONE "\"\nc2," CARD ",extra\n";
	assert_int_equal(pvt_write_file(path, text, strlen(text)), 0);
	assert_int_equal(pv_scan_csv(path, NULL, NULL, NULL, NULL), PV_ERR_INPUT);
	assert_non_null(strstr(pv_errmsg(NULL), "bad.csv"));
	assert_non_null(strstr(pv_errmsg(NULL), "row 2"));
	assert_no_value(pv_errmsg(NULL));
	text = "id,notes\nc1,\"" PHONE;
	assert_int_equal(pvt_write_file(path, text, strlen(text)), 0);
	assert_int_equal(pv_scan_csv(path, NULL, NULL, NULL, NULL), PV_ERR_INPUT);
	assert_no_value(pv_errmsg(NULL));
	char *none = pvt_path(tmp, "none.csv");
	assert_int_equal(pv_scan_csv(none, NULL, NULL, NULL, NULL), PV_ERR_IO);
	assert_non_null(strstr(pv_errmsg(NULL), "none.csv"));
	free(none);
	free(path);
	pvt_rmtree(tmp);
	free(tmp);
}

/* ---- the vault ---- */

struct audit_find {
	int scans;
	char detail[256];
	int leaked;
};

static int find_scan(void *ctx, const pv_audit_entry *e)
{
	struct audit_find *f = ctx;
	const char *parts[] = { e->ids, e->detail, e->purpose, e->outcome };
	for (size_t i = 0; i < 4; i++)
		if (parts[i] && (strstr(parts[i], PHONE) || strstr(parts[i], NEIGHBOUR)))
			f->leaked = 1;
	if (strcmp(e->op, "scan") == 0) {
		f->scans++;
		snprintf(f->detail, sizeof f->detail, "%s", e->detail);
	}
	return 0;
}

static pv_vault *vault_with_notes(const char *tmp, char **first_id)
{
	char *dir = pvt_path(tmp, "vault"), *key = pvt_path(tmp, "root.key"), *csv = NULL;
	pv_vault *v = pvt_sample_vault(dir, key, 40, 7, &csv);
	struct pvt_csv t;
	assert_int_equal(pvt_csv_parse(csv, &t), 0);
	pv_access admin = { "admin", "all", PV_WANT_CLEAR };
	for (size_t r = 1; r <= 3; r++) {
		const char *id = pvt_csv_get(&t, r, "customer_id");
		assert_ok(v, pv_update(v, &admin, id, "contract_no",
				       "快递可交给邻居" NEIGHBOUR "（" PHONE "）代收"));
		assert_ok(v, pv_update(v, &admin, id, "preferences", "电话" PHONE));
	}
	*first_id = strdup(pvt_csv_get(&t, 1, "customer_id"));
	pvt_csv_free(&t);
	free(csv);
	free(dir);
	free(key);
	return v;
}

static void test_vault_text_fields(void **state)
{
	(void)state;
	char *tmp = pvt_tempdir(), *id = NULL;
	pv_vault *v = vault_with_notes(tmp, &id);
	pv_access dpo = { "admin", "all", PV_WANT_MASKED };
	struct seen s = { .n = 0 };
	uint64_t customers = 0;
	assert_ok(v, pv_scan_vault(v, &dpo, NULL, keep_column, &s, &customers));
	assert_int_equal(customers, 40);
	const pv_scan_column *c = column(&s, "contract_no");
	assert_non_null(c);
	assert_int_equal(c->with[PV_PII_PHONE], 3);
	assert_int_equal(c->with[PV_PII_NAME], 3);
	/* preferences is masked free_text: its phones are covered */
	assert_null(column(&s, "preferences"));
	for (size_t i = 0; i < s.n; i++)
		assert_no_value(s.suggestion[i]);
	/* one audit entry, counts only */
	struct audit_find f = { 0, "", 0 };
	pv_access auditor = { "admin", NULL, PV_WANT_MASKED };
	assert_ok(v, pv_audit_log(v, &auditor, NULL, find_scan, &f));
	assert_int_equal(f.scans, 1);
	assert_non_null(strstr(f.detail, "40 customers"));
	assert_false(f.leaked);
	free(id);
	pv_vault_close(v);
	pvt_rmtree(tmp);
	free(tmp);
}

/* A clerk may read customers but not scan: refused, nothing reported. A role that may scan
 * does not get a field read that its purpose does not cover. */
static void test_vault_scan_refused(void **state)
{
	(void)state;
	char *tmp = pvt_tempdir(), *id = NULL;
	pv_vault *v = vault_with_notes(tmp, &id);
	pv_access clerk = { "clerk", "service", PV_WANT_CLEAR };
	struct seen s = { .n = 0 };
	assert_int_equal(pv_scan_vault(v, &clerk, NULL, keep_column, &s, NULL), PV_ERR_DENIED);
	assert_int_equal(s.n, 0);
	assert_non_null(strstr(pv_errmsg(v), "scan"));
	/* the auditor role sees everything masked and may not scan either */
	pv_access auditor = { "auditor", "all", PV_WANT_CLEAR };
	assert_int_equal(pv_scan_vault(v, &auditor, NULL, keep_column, &s, NULL), PV_ERR_DENIED);
	/* the dpo may scan, but under the purpose service it may not read contract_no
	 * (billing only): the field is named as not read, nothing of it counted */
	pv_access dpo_service = { "dpo", "service", PV_WANT_CLEAR };
	assert_ok(v, pv_scan_vault(v, &dpo_service, NULL, keep_column, &s, NULL));
	const pv_scan_column *c = column(&s, "contract_no");
	assert_non_null(c);
	assert_int_equal(c->rows, 0);
	for (int k = 0; k < PV_PII_TYPES; k++)
		assert_int_equal(c->with[k], 0);
	assert_non_null(strstr(c->suggestion, "not read"));
	free(id);
	pv_vault_close(v);
	pvt_rmtree(tmp);
	free(tmp);
}

/* ---- the command ---- */

static void test_cli_scan_file(void **state)
{
	(void)state;
	char *tmp = pvt_tempdir(), *csv = write_csv(tmp, 30), *out = NULL;
	assert_int_equal(pvt_run(&out, "'%s' scan '%s' 2>&1", pvt_program("pivault-test"), csv), 0);
	assert_non_null(strstr(out, "column notes (not in the schema): 10 of 30 rows hold phone "
				    "numbers"));
	assert_non_null(strstr(out, "column phone (not in the schema): 30 of 30 rows hold phone "
				    "numbers; declare it type phone_cn"));
	assert_non_null(strstr(out, "column name (not in the schema): 30 of 30 rows hold names; "
				    "declare it mask name"));
	assert_null(strstr(out, "order_no"));
	assert_no_value(out);
	free(out);
	assert_int_equal(pvt_run(&out, "'%s' scan '%s' --json 2>&1", pvt_program("pivault-test"),
				 csv), 0);
	assert_non_null(strstr(out, "\"name\":\"notes\",\"declared\":null,\"rows\":30,"
				    "\"found\":{\"phone\":10,\"bank_card\":10,\"name\":10}"));
	assert_non_null(strstr(out, "],\"rows\":30}"));
	assert_no_value(out);
	free(out);
	free(csv);
	pvt_rmtree(tmp);
	free(tmp);
}

static void test_cli_scan_vault(void **state)
{
	(void)state;
	char *tmp = pvt_tempdir(), *id = NULL, *out = NULL;
	pv_vault *v = vault_with_notes(tmp, &id);
	pv_vault_close(v);
	char *dir = pvt_path(tmp, "vault"), *key = pvt_path(tmp, "root.key");
	assert_int_equal(pvt_run(&out, "'%s' scan --vault '%s' --key-file '%s' --role admin "
				 "--purpose all 2>&1", pvt_program("pivault-test"), dir, key), 0);
	assert_non_null(strstr(out, "field contract_no (text, mask none): 3 of 40 rows hold "
				    "phone numbers, 3 names"));
	assert_no_value(out);
	free(out);
	assert_int_equal(pvt_run(&out, "'%s' scan --vault '%s' --key-file '%s' --role clerk "
				 "--purpose service 2>&1", pvt_program("pivault-test"), dir, key),
			 1);
	assert_no_value(out);
	free(out);
	free(dir);
	free(key);
	free(id);
	pvt_rmtree(tmp);
	free(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_columns_counted),
		cmocka_unit_test(test_csv_schema_declarations),
		cmocka_unit_test(test_csv_errors_name_no_value),
		cmocka_unit_test(test_vault_text_fields),
		cmocka_unit_test(test_vault_scan_refused),
		cmocka_unit_test(test_cli_scan_file),
		cmocka_unit_test(test_cli_scan_vault),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
