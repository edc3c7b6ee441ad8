/* SPDX-License-Identifier: Apache-2.0 */
/* test_retention_undetermined.c: values whose retention due date cannot be computed, and
 * fallback date fields. The sample schema's rules (examples/schema.yaml, the same as
 * ../shared/schema.example.yaml: financial kept 10y from last_order_date then shred;
 * preferences 2y from created_at then erase; the rest 5y from created_at then shred), with
 * last_order_date made optional, as a new user does for customers who never ordered.
 * Customers (dates chosen; every expected due date below is worked out by hand):
 *   U1 bank card, no last order, created 2020-01-15
 *      from last_order_date: bank_card and last_order_amount undetermined, never acted on
 *      from [last_order_date, created_at]: financial due 2020-01-15 + 10y = 2030-01-15
 *   U2 last order 2019-06-01, created 2020-01-15: financial due 2029-06-01 (the first
 *      present field wins; created_at first would give 2030-01-15)
 *   U3 last order 2023-05-05, created 2020-01-15: financial due 2033-05-05 (created_at
 *      first: 2030-01-15)
 *   U4 (created_at optional too) neither date: every value undetermined, the financial
 *      ones missing both fields, the others created_at.
 * Also: malformed from lists refused naming file, line and field; the CLI's plan --json
 * parsed line by line (items and the summary) and its text; apply reports the count. */
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pivault.h"
#include "retention.h"
#include "schema.h"

#define SCHEMA PV_SOURCE_DIR "/examples/schema.yaml"
#define HEADER                                                                               \
	"customer_id,name,phone,id_number,email,address,bank_card,company_uscc,contract_no,"  \
	"last_order_amount,last_order_date,preferences,created_at,consent_marketing\n"
#define U1 "U1,李航泽,+8618454174663,510107198905120119,,四川省成都市武侯区朝阳路34号," \
	   "6228485961249359447,,,339.79,,,2020-01-15T10:00:00+08:00,no\n"
#define U2 "U2,魏文斌,+8615753996866,340104196801142532,,安徽省合肥市蜀山区复兴路74号," \
	   "6217008054363600050,,,36496.00,2019-06-01,,2020-01-15T09:00:00+08:00,yes\n"
#define U3 "U3,宁文,+8613486858639,510104200509290483,,四川省成都市锦江区创业路45号," \
	   "6222623331779576008,,,4491.16,2023-05-05,,2020-01-15T12:00:00+08:00,yes\n"
#define U4 "U4,李清丽,+8613427198533,500103195408149729,,重庆市渝中区和平路98弄16号," \
	   "4367422369903633,,,437.00,,,,yes\n"

#define LOD_LINE "purposes: [billing]}\n  preferences:"
#define CREATED_LINE "purposes: [service, billing]}\n"
#define FINANCIAL_FROM "{category: financial, keep: 10y, from: last_order_date,"

static const pv_access ADMIN = { "admin", NULL, 0 };
static const pv_access READ_ALL = { "admin", "all", 1 };

struct fx {
	char *tmp, *dir, *key_path;
};

/* examples/schema.yaml with last_order_date optional, created_at too when asked, and the
 * financial rule's from written as from_financial; written into the fixture. */
static char *schema_with(struct fx *f, const char *from_financial, int created_optional)
{
	char *text = pvt_keep(pvt_read_file(SCHEMA, NULL));
	assert_non_null(text);
	char lod[64], created[64], rule[128];
	snprintf(lod, sizeof lod, "purposes: [billing], required: false}\n  preferences:");
	snprintf(created, sizeof created, "purposes: [service, billing]%s}\n",
		 created_optional ? ", required: false" : "");
	snprintf(rule, sizeof rule, "{category: financial, keep: 10y, from: %s,", from_financial);
	const char *edit[][2] = { { LOD_LINE, lod }, { CREATED_LINE, created },
				  { FINANCIAL_FROM, rule } };
	for (size_t k = 0; k < 3; k++) {
		char *at = strstr(text, edit[k][0]);
		if (!at)
			fail_msg("examples/schema.yaml has no '%s'", edit[k][0]);
		char *out = pvt_keep(malloc(strlen(text) + strlen(edit[k][1]) + 1));
		assert_non_null(out);
		sprintf(out, "%.*s%s%s", (int)(at - text), text, edit[k][1],
			at + strlen(edit[k][0]));
		text = out;
	}
	char *path = pvt_keep(pvt_path(f->tmp, "schema.yaml"));
	assert_int_equal(pvt_write_file(path, text, strlen(text)), 0);
	return path;
}

/* A new vault (its directory and key named in f) of schema with the
 * customers of csv (rows after the header), under a new root key. */
static pv_vault *vault_with(struct fx *f, const char *schema, const char *rows)
{
	static unsigned serial;
	char name[32];
	snprintf(name, sizeof name, "vault%u", ++serial);
	free(f->dir);
	free(f->key_path);
	f->dir = pvt_path(f->tmp, name);
	strcat(name, ".key");
	f->key_path = pvt_path(f->tmp, name);
	char *csv_path = pvt_keep(pvt_path(f->tmp, "in.csv"));
	char *csv = pvt_keep(malloc(strlen(HEADER) + strlen(rows) + 1));
	assert_non_null(csv);
	sprintf(csv, "%s%s", HEADER, rows);
	assert_int_equal(pvt_write_file(csv_path, csv, strlen(csv)), 0);
	pv_key *key = NULL;
	assert_int_equal(pv_key_generate_file(f->key_path), PV_OK);
	assert_int_equal(pv_key_from_file(f->key_path, &key), PV_OK);
	pv_create_opts opts = { .schema_path = schema, .keyring_slots = 1024 };
	pv_vault *v = NULL;
	pv_rc rc = pv_vault_create(f->dir, &opts, key, &v);
	pv_key_free(key);
	if (rc)
		fail_msg("pv_vault_create: %s", pv_errmsg(v));
	pvt_track(v);
	pv_import_opts io = { .threads = 1 };
	pv_import_result *res = NULL;
	assert_ok(v, pv_import_csv(v, &ADMIN, csv_path, &io, &res));
	pv_import_free(res);
	return v;
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->tmp = pvt_tempdir();
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	pvt_release_all();
	pvt_rmtree(f->tmp);
	free(f->tmp);
	free(f->dir);
	free(f->key_path);
	free(f);
	return 0;
}

/* ---- plans ---- */

struct item {
	char id[16], action[16], fields[64], rule[256], due[16], held[64], missing[128];
};

struct plan {
	size_t n;
	struct item it[32];
	pv_retention_summary sum;
};

static int collect(void *ctx, const pv_retention_item *it)
{
	struct plan *p = ctx;
	if (p->n == sizeof p->it / sizeof *p->it)
		return 1;
	struct item *d = &p->it[p->n++];
	snprintf(d->id, sizeof d->id, "%s", it->id);
	snprintf(d->action, sizeof d->action, "%s", it->action);
	snprintf(d->fields, sizeof d->fields, "%s", it->fields);
	snprintf(d->rule, sizeof d->rule, "%s", it->rule);
	snprintf(d->due, sizeof d->due, "%s", it->due);
	snprintf(d->held, sizeof d->held, "%s", it->held);
	snprintf(d->missing, sizeof d->missing, "%s", it->missing);
	return 0;
}

static void plan_ok(pv_vault *v, const char *as_of, struct plan *p)
{
	memset(p, 0, sizeof *p);
	assert_ok(v, pv_retention_plan(v, &ADMIN, as_of, collect, p, &p->sum));
	assert_string_equal(p->sum.as_of, as_of);
}

/* The item of id with action (and for "undetermined", of field); NULL if none. */
static const struct item *find(const struct plan *p, const char *id, const char *action,
			       const char *field)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->it[i].id, id) == 0 && strcmp(p->it[i].action, action) == 0 &&
		    (!field || strcmp(p->it[i].fields, field) == 0))
			return &p->it[i];
	return NULL;
}

static size_t items_of(const struct plan *p, const char *id)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n; i++)
		n += strcmp(p->it[i].id, id) == 0;
	return n;
}

/* id's value of field is listed undetermined under rule (a prefix of the item's rule),
 * missing exactly these date fields. */
static void expect_undetermined(const struct plan *p, const char *id, const char *field,
				const char *rule, const char *missing)
{
	const struct item *it = find(p, id, "undetermined", field);
	if (!it)
		fail_msg("%s's %s is not listed undetermined (%zu items)", id, field, p->n);
	assert_string_equal(it->missing, missing);
	assert_string_equal(it->due, "");
	assert_string_equal(it->held, "");
	if (strncmp(it->rule, rule, strlen(rule)) != 0)
		fail_msg("%s's %s: rule '%s', want '%s...'", id, field, it->rule, rule);
}

/* id is to be shredded whole, due on due. */
static void expect_shred(const struct plan *p, const char *id, const char *due)
{
	const struct item *it = find(p, id, "shred", NULL);
	if (!it)
		fail_msg("%s is not to be shredded (%zu items)", id, p->n);
	assert_string_equal(it->due, due);
	assert_string_equal(it->missing, "");
}

static uint64_t undetermined_count(pv_vault *v, const pv_access *who)
{
	uint64_t n = 99;
	assert_ok(v, pv_retention_undetermined_count(v, who, &n));
	return n;
}

/* Value of field of customer id, read in clear ("" when erased); NULL when the customer is
 * gone. Kept until teardown. */
static const char *value_of(pv_vault *v, const char *id, const char *field)
{
	pv_record *r = NULL;
	pv_rc rc = pv_get(v, &READ_ALL, id, &r);
	if (rc == PV_ERR_NOT_FOUND)
		return NULL;
	assert_ok(v, rc);
	char *out = NULL;
	for (size_t i = 0; i < pv_record_field_count(r); i++)
		if (strcmp(pv_record_field_name(r, i), field) == 0)
			out = strdup(pv_record_field_value(r, i));
	pv_record_free(r);
	assert_non_null(out);
	return pvt_keep(out);
}

/* ---- 1. the new user's case ------------------------------------------------------------ */

/* U1 has a bank card and no last order date under "financial: keep 10y from
 * last_order_date": its two financial values are listed undetermined with the missing
 * field, at any date; counted in the summary and by pv_retention_undetermined_count; no
 * item ever shreds or erases U1, and a run leaves its values as they are. */
static void test_new_user_case(void **state)
{
	struct fx *f = *state;
	pv_vault *v = vault_with(f, schema_with(f, "last_order_date", 0), U1 U2);
	static const char *const dates[] = { "2026-03-10", "2040-01-01", "2090-01-01" };
	for (size_t i = 0; i < 3; i++) {
		struct plan p;
		plan_ok(v, dates[i], &p);
		expect_undetermined(&p, "U1", "bank_card", "rule 1 (financial: keep 10y0m0d from "
				    "last_order_date, then shred)", "last_order_date");
		expect_undetermined(&p, "U1", "last_order_amount", "rule 1 (financial",
				    "last_order_date");
		assert_int_equal(items_of(&p, "U1"), 2); /* nothing else: not shredded */
		assert_int_equal(p.sum.undetermined, 2);
		assert_int_equal(p.sum.undetermined_customers, 1);
		for (size_t k = 0; k < p.n; k++) /* no value in an item */
			assert_null(strstr(p.it[k].rule, "6228485961249359447"));
	}
	struct plan p;
	plan_ok(v, "2090-01-01", &p);
	expect_shred(&p, "U2", "2029-06-01");
	assert_int_equal(p.sum.shred, 1);
	assert_int_equal(undetermined_count(v, &ADMIN), 2);
	/* the auditor's role (report, no retention) counts too */
	const pv_access auditor = { "auditor", NULL, 0 };
	assert_int_equal(undetermined_count(v, &auditor), 2);
	const pv_access clerk = { "clerk", NULL, 0 };
	uint64_t n = 99;
	assert_int_equal(pv_retention_undetermined_count(v, &clerk, &n), PV_ERR_DENIED);
	assert_int_equal(n, 0);

	/* a run acts on none of them, and says how many there are */
	uint64_t shredded = 9, erased = 9, held = 9, undetermined = 9;
	assert_ok(v, pv_retention_apply(v, &ADMIN, "2090-01-01", NULL, NULL, &shredded, &erased,
					&held, &undetermined));
	assert_int_equal(shredded, 1);
	assert_int_equal(erased, 0);
	assert_int_equal(held, 0);
	assert_int_equal(undetermined, 2);
	assert_null(value_of(v, "U2", "name"));
	assert_string_equal(value_of(v, "U1", "bank_card"), "6228485961249359447");
	assert_string_equal(value_of(v, "U1", "last_order_amount"), "339.79");
	assert_string_equal(value_of(v, "U1", "name"), "李航泽");
	assert_int_equal(undetermined_count(v, &ADMIN), 2);
}

/* ---- 2. fallbacks -------------------------------------------------------------------- */

/* from: [last_order_date, created_at]: U1 counts from created_at; nothing undetermined. */
static void test_fallback_due_date(void **state)
{
	struct fx *f = *state;
	pv_vault *v = vault_with(f, schema_with(f, "[last_order_date, created_at]", 0), U1 U2);
	struct plan p;
	/* U1's basic values fell due 2025-01-15 (created_at + 5y); its financial ones on
	 * 2030-01-15 (created_at + 10y): the whole customer then */
	plan_ok(v, "2030-01-14", &p);
	assert_int_equal(items_of(&p, "U1"), 0);
	assert_int_equal(p.sum.undetermined, 0);
	plan_ok(v, "2030-01-15", &p);
	expect_shred(&p, "U1", "2030-01-15");
	assert_int_equal(items_of(&p, "U1"), 1);
	assert_null(strstr(p.it[0].rule, "?"));
	assert_int_equal(p.sum.undetermined, 0);
	assert_int_equal(undetermined_count(v, &ADMIN), 0);
	uint64_t shredded = 9, erased = 9, held = 9, undetermined = 9;
	assert_ok(v, pv_retention_apply(v, &ADMIN, "2030-01-15", NULL, NULL, &shredded, &erased,
					&held, &undetermined));
	assert_int_equal(shredded, 2); /* U1, and U2 (due 2029-06-01) */
	assert_int_equal(undetermined, 0);
	assert_null(value_of(v, "U1", "bank_card"));
}

/* The first field that holds a date wins, whichever is earlier or later. */
static void test_fallback_order(void **state)
{
	struct fx *f = *state;
	pv_vault *v = vault_with(f, schema_with(f, "[last_order_date, created_at]", 0),
				 U1 U2 U3);
	struct plan p;
	plan_ok(v, "2040-01-01", &p);
	expect_shred(&p, "U1", "2030-01-15"); /* no last order: created_at + 10y */
	expect_shred(&p, "U2", "2029-06-01"); /* last order + 10y, earlier than created_at's */
	expect_shred(&p, "U3", "2033-05-05"); /* last order + 10y, later than created_at's */
	plan_ok(v, "2029-05-31", &p);
	assert_int_equal(p.n, 0);
	plan_ok(v, "2033-05-04", &p);
	assert_int_equal(items_of(&p, "U3"), 0);
	pvt_vclose(v);

	/* the other order: created_at always holds a date, so it alone counts */
	v = vault_with(f, schema_with(f, "[created_at, last_order_date]", 0), U1 U2 U3);
	plan_ok(v, "2040-01-01", &p);
	expect_shred(&p, "U1", "2030-01-15");
	expect_shred(&p, "U2", "2030-01-15");
	expect_shred(&p, "U3", "2030-01-15");
	plan_ok(v, "2030-01-14", &p);
	assert_int_equal(p.n, 0);
}

/* Every fallback empty: undetermined, missing each of them, in order. */
static void test_every_fallback_missing(void **state)
{
	struct fx *f = *state;
	pv_vault *v = vault_with(f, schema_with(f, "[last_order_date, created_at]", 1), U4 U2);
	struct plan p;
	plan_ok(v, "2090-01-01", &p);
	expect_undetermined(&p, "U4", "bank_card", "rule 1 (financial: keep 10y0m0d from "
			    "last_order_date, else created_at, then shred)",
			    "last_order_date,created_at");
	expect_undetermined(&p, "U4", "last_order_amount", "rule 1", "last_order_date,created_at");
	static const char *const basic[] = { "name", "phone", "id_number", "address" };
	for (size_t k = 0; k < 4; k++)
		expect_undetermined(&p, "U4", basic[k], "rule 3 (default", "created_at");
	assert_int_equal(items_of(&p, "U4"), 6); /* its six values, and no shred */
	expect_shred(&p, "U2", "2029-06-01");
	assert_int_equal(p.sum.undetermined, 6);
	assert_int_equal(p.sum.undetermined_customers, 1);
	assert_int_equal(undetermined_count(v, &ADMIN), 6);
}

/* The computation itself (retention_due.c), on a small schema: opened, started, closed
 * dates; "notes" kept 1y from [closed, opened], "card" 2y from started, "misc" under no
 * rule. Expected dates by hand. */
static const char SMALL[] =
	"version: 1\nvault: t\nrecord: {id: customer_id}\n"
	"fields:\n"
	"  notes:   {type: text, category: other, sensitivity: sensitive, purposes: [s]}\n"
	"  card:    {type: bank_card, category: financial, sensitivity: confidential, "
	"purposes: [s]}\n"
	"  misc:    {type: text, category: basic, sensitivity: public, purposes: [s]}\n"
	"  opened:  {type: date, category: other, sensitivity: public, purposes: [s]}\n"
	"  started: {type: date, category: financial, sensitivity: public, purposes: [s]}\n"
	"  closed:  {type: date, category: other, sensitivity: public, purposes: [s]}\n"
	"purposes: {s: {description: x}}\n"
	"retention:\n"
	"  - {category: other, keep: 1y, from: [closed, opened], then: erase}\n"
	"  - {category: financial, keep: 2y, from: started, then: shred}\n"
	"roles: {a: {clear: all, purposes: all, operations: all}}\n";

static void test_due_computation(void **state)
{
	(void)state;
	struct pv_schema *s = pv_schema_parse(SMALL, strlen(SMALL), "small", NULL, NULL);
	assert_non_null(s);
	assert_int_equal(s->retention[0].nfrom, 2);
	/* notes, card, misc, opened, started, closed */
	char *v[] = { "n", "c", "m", "2021-02-28", "", "2022-03-31" };
	struct pv_value_due d;
	char due[11], missing[128];
	assert_int_equal(pv_retention_due(s, v, 0, &d), PV_DUE_DATE); /* closed first */
	assert_string_equal(d.due, "2023-03-31");
	assert_int_equal(d.tried, 1);
	v[5] = ""; /* no closed: opened, the fallback */
	assert_int_equal(pv_retention_value_due(s, v, 0, due), 0);
	assert_string_equal(due, "2022-02-28");
	assert_int_equal(pv_retention_due(s, v, 1, &d), PV_DUE_UNDETERMINED); /* no started */
	assert_int_equal(d.rule, 1);
	pv_retention_missing_text(s, &d, missing, sizeof missing);
	assert_string_equal(missing, "started");
	assert_int_equal(pv_retention_value_due(s, v, 1, due), 1);
	assert_int_equal(pv_retention_due(s, v, 2, &d), PV_DUE_NO_RULE);
	assert_int_equal(pv_retention_value_due(s, v, 2, due), -1);
	v[3] = ""; /* neither closed nor opened */
	assert_int_equal(pv_retention_due(s, v, 0, &d), PV_DUE_UNDETERMINED);
	pv_retention_missing_text(s, &d, missing, sizeof missing);
	assert_string_equal(missing, "closed,opened");
	v[5] = "not a date"; /* unreadable: the search stops there, no fallback taken */
	v[3] = "2021-02-28";
	assert_int_equal(pv_retention_due(s, v, 0, &d), PV_DUE_UNDETERMINED);
	pv_retention_missing_text(s, &d, missing, sizeof missing);
	assert_string_equal(missing, "closed (not a date)");
	v[0] = ""; /* an empty value: nothing to count */
	assert_int_equal(pv_retention_value_due(s, v, 0, due), -1);
	char from[64];
	pv_retention_from_text(s, &s->retention[0], from, sizeof from);
	assert_string_equal(from, "closed, else opened");
	pv_schema_free(s);
}

/* ---- 3. the schema: from lists refused naming file, line and field ----------------- */

/* The 1-based line and column of the first occurrence of what in the file at path. */
static void position_of(const char *path, const char *what, int *line, int *column)
{
	char *text = pvt_keep(pvt_read_file(path, NULL));
	assert_non_null(text);
	const char *at = strstr(text, what);
	assert_non_null(at);
	*line = 1;
	const char *start = text;
	for (const char *c = text; c < at; c++)
		if (*c == '\n') {
			(*line)++;
			start = c + 1;
		}
	*column = (int)(at - start) + 1;
}

/* `pivault schema check` refuses a from list naming an undeclared field, a field that is
 * not a date, no field, or a field twice: the one problem as FILE:LINE:COLUMN: message
 * naming the field (line and column found in the file's text here). */
static void test_schema_from_lists_refused(void **state)
{
	struct fx *f = *state;
	const char *pv = pvt_program("pivault-test");
	static const struct {
		const char *from, *at, *message;
	} bad[] = {
		{ "[last_order_date, last_contact]", "last_contact",
		  "retention rule 1: from names undeclared field 'last_contact'" },
		{ "[last_order_date, name]", "name]",
		  "retention rule 1: from field 'name' is of type text, not a date or timestamp" },
		{ "[]", "[]", "retention rule 1: from lists no field" },
		{ "[created_at, created_at]", "created_at]",
		  "retention rule 1: from lists field 'created_at' twice" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char *path = schema_with(f, bad[i].from, 0);
		char rule[128];
		int line, column;
		snprintf(rule, sizeof rule, "from: %s", bad[i].from);
		position_of(path, rule, &line, &column);
		column += (int)(strstr(rule, bad[i].at) - rule);
		char *err = pvt_keep(pvt_path(f->tmp, "err.txt"));
		int st = pvt_run(NULL, "'%s' schema check '%s' 2>'%s'", pv, path, err);
		assert_int_not_equal(st, 0);
		char *msg = pvt_keep(pvt_read_file(err, NULL));
		char want[512];
		snprintf(want, sizeof want, "%s:%d:%d: %s", path, line, column, bad[i].message);
		if (!msg || strncmp(msg, want, strlen(want)) != 0 || !strstr(msg, ": 1 problem"))
			fail_msg("schema check of from: %s said '%s', want '%s'", bad[i].from,
				 msg ? msg : "(nothing)", want);
	}
	/* and the good list passes */
	char *path = schema_with(f, "[last_order_date, created_at]", 0);
	assert_int_equal(pvt_run(NULL, "'%s' schema check '%s' >/dev/null 2>&1", pv, path), 0);
}

/* ---- 4. the pivault retention command ------------------------------------------------ */

#define CLI_ENV "PIVAULT_VAULT='%s' PIVAULT_KEY_FILE='%s' '%s' retention "

/* plan --json: one object a line, parsed with jansson: U1's undetermined values with the
 * missing field, then the summary line; the text form says the same; apply reports the
 * count and leaves U1 as it was. */
static void test_cli(void **state)
{
	struct fx *f = *state;
	pv_vault *v = vault_with(f, schema_with(f, "last_order_date", 0), U1 U2);
	pvt_vclose(v);
	const char *pv = pvt_program("pivault-test");
	char *err = pvt_keep(pvt_path(f->tmp, "stderr.txt"));
	char *out = NULL;
	assert_int_equal(pvt_run(&out, CLI_ENV "plan --as-of 2090-01-01 --json --role admin "
				 "2>'%s'", f->dir, f->key_path, pv, err), 0);
	pvt_keep(out);
	size_t undetermined = 0, shred = 0, summaries = 0;
	char *save = NULL;
	for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_error_t je;
		json_t *o = json_loads(line, 0, &je);
		if (!o)
			fail_msg("not JSON: '%s': %s", line, je.text);
		json_t *sum = json_object_get(o, "summary");
		if (sum) {
			assert_null(strtok_r(NULL, "\n", &save)); /* the last line */
			assert_string_equal(json_string_value(json_object_get(sum, "as_of")),
					    "2090-01-01");
			assert_int_equal(json_integer_value(json_object_get(sum, "undetermined")), 2);
			assert_int_equal(json_integer_value(json_object_get(sum,
						"undetermined_customers")), 1);
			assert_int_equal(json_integer_value(json_object_get(sum, "shred")), 1);
			summaries++;
		} else {
			const char *id = json_string_value(json_object_get(o, "id"));
			const char *action = json_string_value(json_object_get(o, "action"));
			const char *missing = json_string_value(json_object_get(o, "missing"));
			assert_true(id && action && missing);
			if (strcmp(action, "undetermined") == 0) {
				assert_string_equal(id, "U1");
				assert_string_equal(missing, "last_order_date");
				assert_string_equal(json_string_value(json_object_get(o, "due")), "");
				const char *field = json_string_value(json_object_get(o, "fields"));
				assert_true(strcmp(field, "bank_card") == 0 ||
					    strcmp(field, "last_order_amount") == 0);
				undetermined++;
			} else {
				assert_string_equal(action, "shred");
				assert_string_equal(id, "U2");
				assert_string_equal(missing, "");
				shred++;
			}
		}
		json_decref(o);
	}
	assert_int_equal(undetermined, 2);
	assert_int_equal(shred, 1);
	assert_int_equal(summaries, 1);

	char *text = NULL;
	assert_int_equal(pvt_run(&text, CLI_ENV "plan --as-of 2090-01-01 --role admin 2>'%s'",
				 f->dir, f->key_path, pv, err), 0);
	pvt_keep(text);
	const char *line = strstr(text, "U1 ");
	assert_non_null(line);
	assert_non_null(strstr(line, "undetermined"));
	assert_non_null(strstr(line, "bank_card"));
	assert_non_null(strstr(line, "no due date (missing last_order_date)"));
	assert_non_null(strstr(text, "2 values undetermined"));
	assert_null(strstr(text, "6228485961249359447"));

	assert_int_equal(pvt_run(NULL, CLI_ENV "apply --as-of 2090-01-01 --role admin "
				 ">/dev/null 2>'%s'", f->dir, f->key_path, pv, err), 0);
	char *msg = pvt_keep(pvt_read_file(err, NULL));
	assert_non_null(msg);
	assert_non_null(strstr(msg, "1 customers shredded, 0 erased, 0 held back, 2 values "
				    "undetermined"));
	v = pvt_open_root(f->dir, NULL, f->key_path);
	assert_string_equal(value_of(v, "U1", "bank_card"), "6228485961249359447");
	assert_null(value_of(v, "U2", "bank_card"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_due_computation),
		cmocka_unit_test_setup_teardown(test_new_user_case, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_fallback_due_date, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_fallback_order, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_every_fallback_missing, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_schema_from_lists_refused, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_cli, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
