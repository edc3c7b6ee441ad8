/* SPDX-License-Identifier: Apache-2.0 */
/* test_schema.c: tests of the schema parser: the reference file parses unchanged with the
 * expected content, every kind of problem is reported at its line and column (the bad
 * schemas in tests/schemas/ carry their expected messages), and hostile input never crashes. */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "schema.h"

#define FIXTURE_DIR PV_SOURCE_DIR "/tests/schemas"

/* ------------------------------------------------------------------------------------ */
/* Collecting the problems reported                                                      */

struct diag_log {
	size_t n, cap;
	int *line, *column;
	char **msg;
};

/* The diag callback: keeps every problem reported. */
static void collect(void *ctx, int line, int column, const char *message)
{
	struct diag_log *d = ctx;
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 16;
		d->line = realloc(d->line, d->cap * sizeof *d->line);
		d->column = realloc(d->column, d->cap * sizeof *d->column);
		d->msg = realloc(d->msg, d->cap * sizeof *d->msg);
		assert_non_null(d->line);
		assert_non_null(d->column);
		assert_non_null(d->msg);
	}
	d->line[d->n] = line;
	d->column[d->n] = column;
	d->msg[d->n] = strdup(message);
	assert_non_null(d->msg[d->n]);
	d->n++;
}

/* Free what collect kept and empty the log. */
static void log_clear(struct diag_log *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->msg[i]);
	free(d->line);
	free(d->column);
	free(d->msg);
	memset(d, 0, sizeof *d);
}

/* Print the log, to explain a failure. */
static void log_print(const struct diag_log *d)
{
	for (size_t i = 0; i < d->n; i++)
		print_message("  reported: [%d:%d] %s\n", d->line[i], d->column[i], d->msg[i]);
}

/* Index of a reported problem at line:column whose message holds text; -1 if none. */
static int log_find(const struct diag_log *d, int line, int column, const char *text)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->line[i] == line && d->column[i] == column && strstr(d->msg[i], text))
			return (int)i;
	return -1;
}

/* 1 if some reported message holds text. */
static int log_has(const struct diag_log *d, const char *text)
{
	for (size_t i = 0; i < d->n; i++)
		if (strstr(d->msg[i], text))
			return 1;
	return 0;
}

/* Parse a NUL-terminated text named "inline.yaml" into the log. */
static struct pv_schema *parse_str(const char *text, struct diag_log *d)
{
	return pv_schema_parse(text, strlen(text), "inline.yaml", collect, d);
}

/* Parse text, which must fail with exactly one problem at line:column holding expect. */
static void expect_one(const char *text, int line, int column, const char *expect)
{
	struct diag_log d = {0};
	struct pv_schema *s = parse_str(text, &d);
	if (s || d.n != 1 || log_find(&d, line, column, expect) < 0) {
		print_message("expected one problem at %d:%d: %s\n", line, column, expect);
		log_print(&d);
	}
	assert_null(s);
	assert_int_equal(d.n, 1);
	assert_true(log_find(&d, line, column, expect) >= 0);
	log_clear(&d);
}

/* Parse text, which must succeed without any problem reported. */
static struct pv_schema *expect_ok(const char *text)
{
	struct diag_log d = {0};
	struct pv_schema *s = parse_str(text, &d);
	if (!s || d.n)
		log_print(&d);
	assert_non_null(s);
	assert_int_equal(d.n, 0);
	log_clear(&d);
	return s;
}

/* A small valid schema, used as a base by the inline tests. */
static const char base_schema[] =
	"version: 1\n"
	"vault: v\n"
	"record: {id: id}\n"
	"fields:\n"
	"  name: {type: text, category: basic, sensitivity: sensitive}\n"
	"  born: {type: date, category: basic, sensitivity: sensitive}\n";

/* ------------------------------------------------------------------------------------ */
/* The reference file                                                                    */

static void check_reference_content(const struct pv_schema *s)
{
	static const struct {
		const char *name;
		enum pv_ftype type;
		enum pv_category category;
		enum pv_sensitivity sensitivity;
		enum pv_mask mask;
		int indexed, required;
	} want[] = {
		{"name", PV_T_TEXT, PV_CAT_BASIC, PV_SENS_SENSITIVE, PV_MASK_NAME, 1, 1},
		{"phone", PV_T_PHONE, PV_CAT_BASIC, PV_SENS_SENSITIVE, PV_MASK_PHONE, 1, 1},
		{"id_number", PV_T_RESIDENT_ID, PV_CAT_BASIC, PV_SENS_CONFIDENTIAL,
		 PV_MASK_RESIDENT_ID, 1, 1},
		{"email", PV_T_EMAIL, PV_CAT_BASIC, PV_SENS_SENSITIVE, PV_MASK_EMAIL, 1, 0},
		{"address", PV_T_TEXT, PV_CAT_BASIC, PV_SENS_SENSITIVE, PV_MASK_ADDRESS, 0, 1},
		{"bank_card", PV_T_BANK_CARD, PV_CAT_FINANCIAL, PV_SENS_CONFIDENTIAL,
		 PV_MASK_BANK_CARD, 0, 0},
		{"company_uscc", PV_T_USCC, PV_CAT_FINANCIAL, PV_SENS_PUBLIC, PV_MASK_NONE, 0, 0},
		{"contract_no", PV_T_TEXT, PV_CAT_FINANCIAL, PV_SENS_SENSITIVE, PV_MASK_NONE, 0, 0},
		{"last_order_amount", PV_T_AMOUNT, PV_CAT_FINANCIAL, PV_SENS_SENSITIVE,
		 PV_MASK_AMOUNT, 0, 1},
		{"last_order_date", PV_T_DATE, PV_CAT_FINANCIAL, PV_SENS_SENSITIVE, PV_MASK_NONE,
		 0, 1},
		{"preferences", PV_T_TEXT, PV_CAT_OTHER, PV_SENS_SENSITIVE, PV_MASK_FREE_TEXT, 0, 0},
		{"created_at", PV_T_TIMESTAMP, PV_CAT_OTHER, PV_SENS_PUBLIC, PV_MASK_NONE, 0, 1},
	};
	assert_int_equal(s->version, 1);
	assert_string_equal(s->vault_label, "acme-logistics");
	assert_string_equal(s->id_column, "customer_id");

	assert_int_equal(s->nfields, 12);
	for (size_t i = 0; i < 12; i++) {
		const struct pv_schema_field *f = &s->fields[i];
		assert_string_equal(f->name, want[i].name);
		assert_int_equal(f->type, want[i].type);
		assert_int_equal(f->category, want[i].category);
		assert_int_equal(f->sensitivity, want[i].sensitivity);
		assert_int_equal(f->mask, want[i].mask);
		assert_int_equal(f->indexed, want[i].indexed);
		assert_int_equal(f->required, want[i].required);
		assert_int_equal(f->line, 18 + (int)i);
	}

	/* Purposes, in order: service, billing, marketing (the project's copy adds
	 * legal-claims after them). */
	assert_true(s->npurposes >= 3);
	int service = pv_schema_purpose_index(s, "service");
	int billing = pv_schema_purpose_index(s, "billing");
	int marketing = pv_schema_purpose_index(s, "marketing");
	assert_int_equal(service, 0);
	assert_int_equal(billing, 1);
	assert_int_equal(marketing, 2);
	assert_string_equal(s->purposes[service].description, "客户服务 / customer service");
	assert_int_equal(s->purposes[service].consent_required, 0);
	assert_int_equal(s->purposes[billing].consent_required, 0);
	assert_int_equal(s->purposes[marketing].consent_required, 1);
	assert_int_equal(s->fields[0].purposes,
			 (1ULL << service) | (1ULL << billing) | (1ULL << marketing));
	assert_int_equal(s->fields[2].purposes, 1ULL << billing);
	assert_int_equal(s->fields[11].purposes, (1ULL << service) | (1ULL << billing));

	/* The consent column grants marketing. */
	assert_int_equal(s->nconsents, 1);
	assert_int_equal(pv_schema_consent_index(s, "consent_marketing"), 0);
	assert_string_equal(s->consents[0].column, "consent_marketing");
	assert_int_equal(s->consents[0].purpose, marketing);

	/* Retention rules with their from fields. */
	int last_order_date = pv_schema_field_index(s, "last_order_date");
	int created_at = pv_schema_field_index(s, "created_at");
	assert_int_equal(last_order_date, 9);
	assert_int_equal(created_at, 11);
	assert_int_equal(s->nretention, 3);
	const struct pv_schema_retention *r = s->retention;
	assert_true(r[0].has_category);
	assert_int_equal(r[0].category, PV_CAT_FINANCIAL);
	assert_false(r[0].is_default);
	assert_int_equal(r[0].nfields, 0);
	assert_int_equal(r[0].keep_years, 10);
	assert_int_equal(r[0].keep_months, 0);
	assert_int_equal(r[0].keep_days, 0);
	assert_int_equal(r[0].nfrom, 1);
	assert_int_equal(r[0].from[0], last_order_date);
	assert_int_equal(r[0].then, PV_RET_SHRED);
	assert_false(r[1].has_category);
	assert_int_equal(r[1].nfields, 1);
	assert_int_equal(r[1].fields[0], (size_t)pv_schema_field_index(s, "preferences"));
	assert_int_equal(r[1].keep_years, 2);
	assert_int_equal(r[1].nfrom, 1);
	assert_int_equal(r[1].from[0], created_at);
	assert_int_equal(r[1].then, PV_RET_ERASE);
	assert_true(r[2].is_default);
	assert_int_equal(r[2].keep_years, 5);
	assert_int_equal(r[2].nfrom, 1);
	assert_int_equal(r[2].from[0], created_at);
	assert_int_equal(r[2].then, PV_RET_SHRED);

	/* Roles. */
	assert_int_equal(s->nroles, 5);
	const unsigned long long all_ops = (1ULL << PV_OP_COUNT) - 1;
	const struct pv_schema_role *admin = &s->roles[pv_schema_role_index(s, "admin")];
	assert_int_equal(admin->operations, all_ops);
	assert_int_equal(admin->purposes, (1ull << s->npurposes) - 1); /* all */
	assert_int_equal(admin->requires, 0);
	for (size_t i = 0; i < 12; i++)
		assert_int_equal(admin->view[i], PV_VIEW_CLEAR);

	int dpo_i = pv_schema_role_index(s, "dpo");
	assert_int_equal(dpo_i, 1);
	const struct pv_schema_role *dpo = &s->roles[dpo_i];
	assert_int_equal(dpo->requires, PV_REQUIRES_AGREEMENT | PV_REQUIRES_TRAINING);
	assert_int_equal(dpo->purposes, (1ull << s->npurposes) - 1);
	assert_false(dpo->operations & (1ULL << PV_OP_UPDATE));
	assert_false(dpo->operations & (1ULL << PV_OP_IMPORT));
	assert_true(dpo->operations & (1ULL << PV_OP_SCAN));

	static const enum pv_view clerk_view[12] = {
		PV_VIEW_CLEAR, PV_VIEW_MASKED, PV_VIEW_HIDDEN, PV_VIEW_MASKED, PV_VIEW_MASKED,
		PV_VIEW_HIDDEN, PV_VIEW_HIDDEN, PV_VIEW_HIDDEN, PV_VIEW_HIDDEN, PV_VIEW_HIDDEN,
		PV_VIEW_MASKED, PV_VIEW_HIDDEN,
	};
	const struct pv_schema_role *clerk = &s->roles[pv_schema_role_index(s, "clerk")];
	for (size_t i = 0; i < 12; i++)
		assert_int_equal(clerk->view[i], clerk_view[i]);
	assert_int_equal(clerk->purposes, 1ULL << service);
	assert_int_equal(clerk->operations,
			 (1ULL << PV_OP_READ) | (1ULL << PV_OP_FIND) | (1ULL << PV_OP_LIST));

	const struct pv_schema_role *finance = &s->roles[pv_schema_role_index(s, "finance")];
	assert_int_equal(finance->operations, (1ULL << PV_OP_READ) | (1ULL << PV_OP_FIND) |
						      (1ULL << PV_OP_LIST) | (1ULL << PV_OP_EXPORT));
	assert_int_equal(finance->purposes, 1ULL << billing);
	assert_int_equal(finance->view[pv_schema_field_index(s, "bank_card")], PV_VIEW_CLEAR);
	assert_int_equal(finance->view[pv_schema_field_index(s, "id_number")], PV_VIEW_MASKED);
	assert_int_equal(finance->view[pv_schema_field_index(s, "email")], PV_VIEW_HIDDEN);

	const struct pv_schema_role *auditor = &s->roles[pv_schema_role_index(s, "auditor")];
	for (size_t i = 0; i < 12; i++)
		assert_int_equal(auditor->view[i], PV_VIEW_MASKED);
	assert_int_equal(auditor->operations, (1ULL << PV_OP_AUDIT) | (1ULL << PV_OP_REPORT) |
						      (1ULL << PV_OP_LIST));
	assert_int_equal(auditor->requires, 0);
}

/* Parse a file that must be accepted without any problem; the caller frees the schema. */
static struct pv_schema *parse_file_ok(const char *path)
{
	size_t len = 0;
	char *text = pvt_read_file(path, &len);
	assert_non_null(text);
	struct diag_log d = {0};
	struct pv_schema *s = pv_schema_parse(text, len, path, collect, &d);
	if (!s || d.n)
		log_print(&d);
	assert_non_null(s);
	assert_int_equal(d.n, 0);
	log_clear(&d);
	free(text);
	return s;
}

/* examples/schema.yaml parses, with the content the reference declares. */
static void test_example_parses_with_content(void **state)
{
	(void)state;
	struct pv_schema *s = parse_file_ok(PV_SOURCE_DIR "/examples/schema.yaml");
	check_reference_content(s);
	assert_int_equal(s->npurposes, 4);
	assert_int_equal(pv_schema_purpose_index(s, "legal-claims"), 3);
	pv_schema_free(s);
}

/* diag and name may be NULL. */
static void test_example_without_diag_callback(void **state)
{
	(void)state;
	size_t len = 0;
	char *text = pvt_read_file(PV_SOURCE_DIR "/examples/schema.yaml", &len);
	assert_non_null(text);
	struct pv_schema *s = pv_schema_parse(text, len, NULL, NULL, NULL);
	assert_non_null(s);
	pv_schema_free(s);
	/* A bad schema with no callback fails quietly. */
	assert_null(pv_schema_parse("version: 2\n", 11, NULL, NULL, NULL));
	free(text);
}

/* ------------------------------------------------------------------------------------ */
/* Lookups, names and defaults                                                           */

/* The lookups and the enum names. */
static void test_lookups_and_names(void **state)
{
	(void)state;
	struct pv_schema *s = parse_file_ok(PV_SOURCE_DIR "/examples/schema.yaml");
	assert_int_equal(pv_schema_field_index(s, "name"), 0);
	assert_int_equal(pv_schema_field_index(s, "created_at"), 11);
	assert_int_equal(pv_schema_field_index(s, "customer_id"), -1);
	assert_int_equal(pv_schema_field_index(s, NULL), -1);
	assert_int_equal(pv_schema_role_index(s, "auditor"), 4);
	assert_int_equal(pv_schema_role_index(s, "root"), -1);
	assert_int_equal(pv_schema_purpose_index(s, "billing"), 1);
	assert_int_equal(pv_schema_purpose_index(s, "sales"), -1);
	assert_int_equal(pv_schema_consent_index(s, "consent_marketing"), 0);
	assert_int_equal(pv_schema_consent_index(s, "marketing"), -1);
	assert_int_equal(pv_schema_field_index(NULL, "name"), -1);
	pv_schema_free(s);
	pv_schema_free(NULL);

	/* Operation names: exactly the list in the reference file's comment, in enum order. */
	const char *ops = "read find list export update import shred retention consent dsr "
			  "hold approve audit report handover decommission incident users "
			  "schema backup rekey scan tokenize";
	char joined[512] = "";
	for (int i = 0; i < PV_OP_COUNT; i++) {
		if (i)
			strcat(joined, " ");
		strcat(joined, pv_operation_name((enum pv_operation)i));
	}
	assert_string_equal(joined, ops);

	static const char *const types[] = {"text", "cn_resident_id", "phone_cn", "email",
					    "bank_card", "uscc", "date", "timestamp", "amount",
					    "bool"};
	for (int i = 0; i <= PV_T_BOOL; i++)
		assert_string_equal(pv_ftype_name((enum pv_ftype)i), types[i]);
	assert_string_equal(pv_category_name(PV_CAT_BASIC), "basic");
	assert_string_equal(pv_category_name(PV_CAT_FINANCIAL), "financial");
	assert_string_equal(pv_category_name(PV_CAT_OTHER), "other");
	assert_string_equal(pv_sensitivity_name(PV_SENS_PUBLIC), "public");
	assert_string_equal(pv_sensitivity_name(PV_SENS_SENSITIVE), "sensitive");
	assert_string_equal(pv_sensitivity_name(PV_SENS_CONFIDENTIAL), "confidential");
}

/* Defaults of omitted keys, null purposes and roles, anonymize, masked: all with clear. */
static void test_defaults_and_variants(void **state)
{
	(void)state;
	char text[2048];
	snprintf(text, sizeof text, "%s%s", base_schema,
		 "purposes:\n"
		 "  service:\n"
		 "  billing: {}\n"
		 "retention:\n"
		 "  - fields: [name]\n"
		 "    keep: 1y6m15d\n"
		 "    from: born\n"
		 "    then: anonymize\n"
		 "  - {category: basic, keep: 18m, from: born, then: anonymise}\n"
		 "  - {default: true, keep: 30d, from: born, then: erase}\n"
		 "roles:\n"
		 "  nobody:\n"
		 "  empty: {}\n"
		 "  viewer: {masked: all, clear: [born], purposes: all, operations: all}\n"
		 "  flags: {operations: [], purposes: [], requires: [training]}\n");
	struct pv_schema *s = expect_ok(text);
	const struct pv_schema_field *f = &s->fields[0];
	assert_int_equal(f->mask, PV_MASK_NONE);
	assert_int_equal(f->indexed, 0);
	assert_int_equal(f->required, 1);
	assert_int_equal(f->purposes, 0);
	assert_int_equal(f->line, 5);
	assert_int_equal(s->npurposes, 2);
	assert_null(s->purposes[0].description);
	assert_int_equal(s->nconsents, 0);

	const struct pv_schema_retention *r = s->retention;
	assert_int_equal(r[0].keep_years, 1);
	assert_int_equal(r[0].keep_months, 6);
	assert_int_equal(r[0].keep_days, 15);
	assert_int_equal(r[0].then, PV_RET_ANONYMISE);
	assert_int_equal(r[0].nfrom, 1);
	assert_int_equal(r[0].from[0], 1);
	assert_int_equal(r[1].keep_months, 18);
	assert_int_equal(r[1].then, PV_RET_ANONYMISE);
	assert_int_equal(r[2].keep_days, 30);
	assert_int_equal(r[2].then, PV_RET_ERASE);

	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(s->roles[0].view[i], PV_VIEW_HIDDEN);
		assert_int_equal(s->roles[1].view[i], PV_VIEW_HIDDEN);
	}
	assert_int_equal(s->roles[0].operations, 0);
	assert_int_equal(s->roles[0].purposes, 0);
	const struct pv_schema_role *viewer = &s->roles[2];
	assert_int_equal(viewer->view[0], PV_VIEW_MASKED);
	assert_int_equal(viewer->view[1], PV_VIEW_CLEAR);
	assert_int_equal(viewer->purposes, 3);
	assert_int_equal(viewer->operations, (1ULL << PV_OP_COUNT) - 1);
	assert_int_equal(s->roles[3].requires, PV_REQUIRES_TRAINING);
	assert_int_equal(s->roles[3].operations, 0);
	pv_schema_free(s);
}

/* keep: y, m, d alone or combined in that order; anything else is reported at its value. */
static void test_keep_durations(void **state)
{
	(void)state;
	static const char *const good[] = {"10y", "18m", "30d", "1y6m", "1y6m15d", "6m15d",
					   "1y0m", "9999d"};
	static const char *const bad[] = {"10", "y", "6m1y", "1y1y", "10w", "99999y", "1.5y",
					  "-1y", "1Y", "1y 6m", "0d", "0y0m0d", "\"\""};
	char text[1024];
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		snprintf(text, sizeof text, "%sretention:\n  - {default: true, keep: %s, "
			 "from: born, then: shred}\n", base_schema, good[i]);
		pv_schema_free(expect_ok(text));
	}
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		snprintf(text, sizeof text, "%sretention:\n  - {default: true, keep: %s, "
			 "from: born, then: shred}\n", base_schema, bad[i]);
		expect_one(text, 8, 27, "keep duration");
	}
}

/* YAML 1.1 booleans in index and required. */
static void test_booleans(void **state)
{
	(void)state;
	char text[1024];
	snprintf(text, sizeof text,
		 "version: 1\nvault: v\nrecord: {id: id}\nfields:\n"
		 "  a: {type: bool, category: other, sensitivity: public, index: yes, "
		 "required: no}\n"
		 "  b: {type: amount, category: financial, sensitivity: public, index: True, "
		 "required: FALSE}\n");
	struct pv_schema *s = expect_ok(text);
	assert_int_equal(s->fields[0].indexed, 1);
	assert_int_equal(s->fields[0].required, 0);
	assert_int_equal(s->fields[1].indexed, 1);
	assert_int_equal(s->fields[1].required, 0);
	pv_schema_free(s);
}

/* ------------------------------------------------------------------------------------ */
/* Problems: the fixtures in tests/schemas/                                              */

/* Every bad schema; each holds "# expect: LINE:COLUMN: text" lines, one per problem. */
#define FIXTURE_LIST(X) X("anchors_aliases.yaml") X("bad_bool.yaml") \
	X("bad_consent_value.yaml") X("bad_field_name.yaml") X("bad_version.yaml") \
	X("consent_column_clash.yaml") X("consent_undeclared_purpose.yaml") \
	X("duplicate_field.yaml") X("duplicate_key_in_field.yaml") X("duplicate_purpose.yaml") \
	X("duplicate_role.yaml") X("duplicate_top_key.yaml") X("empty.yaml") \
	X("field_named_like_id.yaml") X("field_not_mapping.yaml") \
	X("field_undeclared_purpose.yaml") X("list_item_twice.yaml") X("many_problems.yaml") \
	X("missing_field_keys.yaml") X("missing_field_type.yaml") X("missing_record.yaml") \
	X("missing_record_id.yaml") X("missing_vault.yaml") X("missing_version.yaml") \
	X("reserved_field_name.yaml") X("retention_after_default.yaml") \
	X("retention_bad_keep.yaml") X("retention_from_not_date.yaml") \
	X("retention_from_undeclared.yaml") X("retention_missing_then.yaml") \
	X("retention_from_list_undeclared.yaml") X("retention_from_list_not_date.yaml") \
	X("retention_from_list_empty.yaml") X("retention_from_list_twice.yaml") \
	X("retention_from_list_bad_item.yaml") X("retention_from_list_too_long.yaml") \
	X("retention_no_selector.yaml") X("retention_two_selectors.yaml") \
	X("retention_undeclared_field.yaml") X("retention_zero_keep.yaml") \
	X("role_both_all.yaml") X("role_clear_all_and_masked.yaml") \
	X("role_clear_and_masked.yaml") X("role_list_expected.yaml") \
	X("role_undeclared_clear.yaml") X("role_undeclared_masked.yaml") \
	X("role_undeclared_purpose.yaml") X("syntax_indentation.yaml") X("syntax_tab.yaml") \
	X("syntax_unclosed_flow.yaml") X("top_level_list.yaml") X("two_documents.yaml") \
	X("unknown_category.yaml") X("unknown_field_key.yaml") X("unknown_mask.yaml") \
	X("unknown_operation.yaml") X("unknown_purpose_key.yaml") X("unknown_record_key.yaml") \
	X("unknown_requires.yaml") X("unknown_retention_key.yaml") X("unknown_role_key.yaml") \
	X("unknown_sensitivity.yaml") X("unknown_then.yaml") X("unknown_top_key.yaml") \
	X("unknown_type.yaml")

#define FIXTURE_NAME(f) f,
static const char *const fixture_names[] = {FIXTURE_LIST(FIXTURE_NAME)};
#define NFIXTURES (sizeof fixture_names / sizeof *fixture_names)

/* Parse one fixture: it must fail, with exactly the problems its expect lines list, each at
 * its line and column, each message starting with the expected text (messages are bare:
 * no file name or position in front). */
static void test_fixture(void **state)
{
	const char *fname = *state;
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", FIXTURE_DIR, fname);
	size_t len = 0;
	char *text = pvt_read_file(path, &len);
	if (!text)
		fail_msg("cannot read %s", path);

	struct diag_log d = {0};
	struct pv_schema *s = pv_schema_parse(text, len, fname, collect, &d);
	size_t nexpect = 0, matched = 0;
	char *used = calloc(d.n + 1, 1);
	assert_non_null(used);
	for (const char *line = text, *end; *line; line = end ? end + 1 : line + strlen(line)) {
		int l = 0, c = 0, off = 0;
		end = strchr(line, '\n');
		if (sscanf(line, "# expect: %d:%d: %n", &l, &c, &off) != 2 || off == 0)
			continue;
		size_t n = end ? (size_t)(end - line) - (size_t)off : strlen(line + off);
		char want[512];
		snprintf(want, sizeof want, "%.*s", (int)n, line + off);
		nexpect++;
		int hit = -1;
		for (size_t i = 0; i < d.n && hit < 0; i++)
			if (!used[i] && d.line[i] == l && d.column[i] == c &&
			    strstr(d.msg[i], want))
				hit = (int)i;
		if (hit < 0) {
			print_message("%s: not reported: %d:%d: %s\n", fname, l, c, want);
			continue;
		}
		used[hit] = 1;
		matched++;
		assert_true(strncmp(d.msg[hit], fname, strlen(fname)) != 0);
	}
	if (s || matched != nexpect || d.n != nexpect)
		log_print(&d);
	assert_null(s);
	assert_true(nexpect > 0);
	assert_int_equal(matched, nexpect);
	assert_int_equal(d.n, nexpect);
	free(used);
	log_clear(&d);
	free(text);
}

/* Every file in tests/schemas is listed above, so none is silently left untested. */
static void test_fixtures_all_listed(void **state)
{
	(void)state;
	DIR *dir = opendir(FIXTURE_DIR);
	assert_non_null(dir);
	size_t seen = 0;
	struct dirent *de;
	while ((de = readdir(dir))) {
		size_t n = strlen(de->d_name);
		if (n < 5 || strcmp(de->d_name + n - 5, ".yaml") != 0)
			continue;
		size_t i = 0;
		while (i < NFIXTURES && strcmp(fixture_names[i], de->d_name) != 0)
			i++;
		if (i == NFIXTURES)
			fail_msg("%s is not listed in fixture_names", de->d_name);
		seen++;
	}
	closedir(dir);
	assert_int_equal(seen, NFIXTURES);
}

/* ------------------------------------------------------------------------------------ */
/* Problems: inline                                                                      */

/* Messages are the bare problem text: the caller adds file, line and column (the CLI prints
 * "file:line:column: message" and also sends the message alone in JSON). */
static void test_messages_are_bare_text(void **state)
{
	(void)state;
	struct diag_log d = {0};
	assert_null(pv_schema_parse("version: 1\nbogus: 2\n", 20, "my.yaml", collect, &d));
	int i = log_find(&d, 2, 1, "unknown top-level key 'bogus'");
	assert_true(i >= 0);
	assert_true(strncmp(d.msg[i], "unknown top-level key 'bogus'", 29) == 0);
	assert_null(strstr(d.msg[i], "my.yaml"));
	log_clear(&d);
	assert_null(pv_schema_parse("version: 1\nbogus: 2\n", 20, NULL, collect, &d));
	assert_true(log_find(&d, 2, 1, "unknown top-level key 'bogus'") >= 0);
	log_clear(&d);
}

/* Problems are reported in order of position, not in the order they were found. */
static void test_problems_in_order_of_position(void **state)
{
	(void)state;
	/* Fields are checked after purposes, but problems come out in file order. */
	struct diag_log d = {0};
	const char *text = "version: 1\nvault: v\nrecord: {id: id}\n"
			   "fields:\n  a: {type: x, category: basic, sensitivity: public}\n"
			   "purposes:\n  p: {consent: maybe}\n";
	assert_null(parse_str(text, &d));
	assert_int_equal(d.n, 2);
	assert_int_equal(d.line[0], 5);
	assert_int_equal(d.line[1], 7);
	log_clear(&d);
}

/* 64 purposes are the most (one bit each). */
static void test_too_many_purposes(void **state)
{
	(void)state;
	size_t cap = 8192, o = 0;
	char *text = malloc(cap);
	assert_non_null(text);
	o += (size_t)snprintf(text + o, cap - o, "%spurposes:\n", base_schema);
	for (int i = 0; i < 65; i++)
		o += (size_t)snprintf(text + o, cap - o, "  p%d: {}\n", i);
	/* 64 purposes are fine, and "all" is then every bit. */
	char *cut = strstr(text, "  p64:");
	assert_non_null(cut);
	char saved = *cut;
	*cut = '\0';
	char *ok = malloc(cap);
	assert_non_null(ok);
	snprintf(ok, cap, "%sroles:\n  r: {purposes: all}\n", text);
	struct pv_schema *s = expect_ok(ok);
	assert_int_equal(s->npurposes, 64);
	assert_int_equal(s->roles[0].purposes, ~0ULL);
	pv_schema_free(s);
	*cut = saved;
	/* The 65th is refused where it is declared: p0 is on line 8, so p64 on line 72. */
	expect_one(text, 72, 3, "more than 64 purposes ('p64' is one too many)");
	free(ok);
	free(text);
}

/* A schema with n declared fields (n may exceed the limit). */
static char *many_fields(int n, const char *tail)
{
	size_t cap = (size_t)n * 80 + strlen(tail) + 128, o = 0;
	char *text = malloc(cap);
	assert_non_null(text);
	o += (size_t)snprintf(text + o, cap - o, "version: 1\nvault: v\nrecord: {id: id}\nfields:\n");
	for (int i = 0; i < n; i++)
		o += (size_t)snprintf(text + o, cap - o, "  f%d: {type: text, category: basic, "
				      "sensitivity: public}\n", i);
	snprintf(text + o, cap - o, "%s", tail);
	return text;
}

/* 1024 fields are accepted; the 1025th field or role is reported. */
static void test_too_many_fields_and_roles(void **state)
{
	(void)state;
	char *text = many_fields(1024, "");
	struct pv_schema *s = expect_ok(text);
	assert_int_equal(s->nfields, 1024);
	pv_schema_free(s);
	free(text);

	text = many_fields(1025, "");
	expect_one(text, 5 + 1024, 3, "more than 1024 fields ('f1024' is one too many)");
	free(text);

	size_t cap = 1025 * 32 + 1024, o = 0;
	char *roles = malloc(cap);
	assert_non_null(roles);
	o += (size_t)snprintf(roles + o, cap - o, "roles:\n");
	for (int i = 0; i < 1025; i++)
		o += (size_t)snprintf(roles + o, cap - o, "  r%d: {clear: [f0]}\n", i);
	text = many_fields(1, roles);
	expect_one(text, 7 + 1024, 3, "more than 1024 roles ('r1024' is one too many)");
	free(text);
	free(roles);
}

/* Values of the wrong kind where a mapping, list or name is expected. */
static void test_invalid_shapes(void **state)
{
	(void)state;
	char text[2048];
	snprintf(text, sizeof text, "%sroles:\n  r: [read]\n", base_schema);
	expect_one(text, 8, 6, "role 'r': expected a mapping");
	snprintf(text, sizeof text, "%sretention: {keep: 1y}\n", base_schema);
	expect_one(text, 7, 12, "retention must be a list of rules, not a mapping");
	snprintf(text, sizeof text, "%sretention:\n  - keep\n", base_schema);
	expect_one(text, 8, 5, "retention rule 1: expected a mapping");
	snprintf(text, sizeof text, "%sconsents: [a]\n", base_schema);
	expect_one(text, 7, 11, "consents must be a mapping");
	snprintf(text, sizeof text, "%s? [a, b]\n: 1\n", base_schema);
	expect_one(text, 7, 3, "a key must be a name, not a list");
	snprintf(text, sizeof text, "%sroles:\n  r: {operations: [[read]]}\n", base_schema);
	expect_one(text, 8, 20, "role 'r': each item of operations must be a operation name");
	snprintf(text, sizeof text, "%sroles:\n  r: {operations: [read, all]}\n", base_schema);
	expect_one(text, 8, 26, "'all' cannot be a list item");
	snprintf(text, sizeof text, "%sroles:\n  r: {requires: all}\n", base_schema);
	expect_one(text, 8, 17, "requires must be a list like [a, b], not 'all'");
	expect_one("version: 1\nvault: v\nrecord: {id: id}\nfields:\n", 4, 1,
		   "fields must be a mapping of field names, not a null value");
	expect_one("version: 1\nvault: v\nrecord: {id: id}\nfields: {}\n", 4, 9,
		   "fields: declare at least one field");
	expect_one("version: 1\nvault: [v]\nrecord: {id: id}\nfields: {a: {type: text, "
		   "category: basic, sensitivity: public}}\n", 2, 8,
		   "vault: the label must be a single value, not a list");
	expect_one("version: 1\nvault: v\nrecord: {id: \"a\\0b\"}\nfields: {a: {type: text, "
		   "category: basic, sensitivity: public}}\n", 3, 14, "record: id contains a NUL");
	expect_one("version: 1\nvault: v\nrecord: {id: id}\nfields: {a: {type: text, "
		   "category: basic, sensitivity: public}}\nconsents: {id: x}\npurposes: {x: }\n",
		   5, 12, "consent column 'id' clashes with record.id");
}

/* libyaml's syntax errors come with the position of the problem. */
static void test_syntax_errors(void **state)
{
	(void)state;
	expect_one("version: 1\nvault: \"open\n", 3, 1,
		   "YAML syntax error: found unexpected end of stream");
	expect_one("version: 1\n- a\n", 2, 1, "YAML syntax error");
	expect_one("version: [1, 2\n", 2, 1, "YAML syntax error");
	expect_one("a: b: c\n", 1, 5, "YAML syntax error: mapping values are not allowed");
	expect_one("version: 1\x01\n", 1, 11, "YAML syntax error: control characters are not "
		   "allowed");
	/* Invalid UTF-8 is a reader error: its position is counted from the byte offset. */
	expect_one("version: 1\nvault: \xff\n", 2, 8, "YAML syntax error: invalid leading "
		   "UTF-8 octet");
}

/* ------------------------------------------------------------------------------------ */
/* Hostile input                                                                         */

/* Deep nesting is refused before it costs memory or stack. */
static void test_deep_nesting(void **state)
{
	(void)state;
	/* 200000 nested lists: refused at the 17th level, the root mapping being the first. */
	size_t depth = 200000, o = 0;
	char *text = malloc(2 * depth + 16);
	assert_non_null(text);
	o += (size_t)sprintf(text, "a: ");
	for (size_t i = 0; i < depth; i++)
		text[o++] = '[';
	for (size_t i = 0; i < depth; i++)
		text[o++] = ']';
	text[o++] = '\n';
	struct diag_log d = {0};
	assert_null(pv_schema_parse(text, o, "deep.yaml", collect, &d));
	assert_int_equal(d.n, 1);
	assert_true(log_find(&d, 1, 19, "nesting deeper than 16 levels") >= 0);
	log_clear(&d);

	/* Block nesting likewise. */
	o = 0;
	for (int i = 0; i < 40; i++)
		o += (size_t)sprintf(text + o, "%*sk%d:\n", 2 * i, "", i);
	assert_null(pv_schema_parse(text, o, "deep.yaml", collect, &d));
	assert_true(log_has(&d, "nesting deeper than 16 levels"));
	log_clear(&d);

	/* 16 levels in all are read; the checks then refuse the shape, not the depth. */
	o = (size_t)sprintf(text, "a: ");
	for (int i = 0; i < 15; i++)
		text[o++] = '[';
	for (int i = 0; i < 15; i++)
		text[o++] = ']';
	text[o++] = '\n';
	assert_null(pv_schema_parse(text, o, "deep.yaml", collect, &d));
	assert_false(log_has(&d, "nesting"));
	assert_true(log_has(&d, "unknown top-level key 'a'"));
	log_clear(&d);
	free(text);
}

/* Anchors and aliases are refused, so an alias bomb never expands. */
static void test_billion_laughs(void **state)
{
	(void)state;
	char text[4096];
	size_t o = (size_t)sprintf(text, "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
	for (char c = 'b'; c <= 'z'; c++)
		o += (size_t)sprintf(text + o, "%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n", c,
				     c, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1,
				     c - 1);
	o += (size_t)sprintf(text + o, "fields: *z\n");
	struct diag_log d = {0};
	assert_null(pv_schema_parse(text, o, "laughs.yaml", collect, &d));
	assert_true(log_find(&d, 1, 4, "anchors are not allowed in a schema (&a)") >= 0);
	assert_true(log_find(&d, 2, 8, "aliases are not allowed in a schema (*a)") >= 0);
	log_clear(&d);
}

/* Size, value-count and problem-count limits. */
static void test_huge_documents(void **state)
{
	(void)state;
	size_t len = 0;
	char *ref = pvt_read_file(PV_SOURCE_DIR "/examples/schema.yaml", &len);
	assert_non_null(ref);
	const size_t mib = 1024 * 1024;
	char *text = malloc(mib + 2);
	assert_non_null(text);
	/* Exactly 1 MiB (the reference padded with a long comment) is accepted. */
	memcpy(text, ref, len);
	memset(text + len, ' ', mib - len);
	text[len] = '#';
	text[mib - 1] = '\n';
	struct diag_log d = {0};
	struct pv_schema *s = pv_schema_parse(text, mib, "big.yaml", collect, &d);
	assert_non_null(s);
	assert_int_equal(d.n, 0);
	pv_schema_free(s);
	/* One byte more is refused before parsing. */
	text[mib] = '\n';
	assert_null(pv_schema_parse(text, mib + 1, "big.yaml", collect, &d));
	assert_int_equal(d.n, 1);
	assert_int_equal(d.line[0], 0);
	assert_string_equal(d.msg[0], "the schema is larger than 1048576 bytes (1 MiB)");
	log_clear(&d);

	/* Many small values: refused by the value limit or by the checks, without trouble. */
	size_t o = (size_t)sprintf(text, "a: [");
	while (o + 4 < mib) {
		text[o++] = '1';
		text[o++] = ',';
	}
	text[o++] = ']';
	assert_null(pv_schema_parse(text, o, "wide.yaml", collect, &d));
	assert_true(log_has(&d, "too many values"));
	log_clear(&d);

	/* Thousands of problems: the first 1000 are reported, then a count of the rest. */
	o = 0;
	for (int i = 0; i < 5000; i++)
		o += (size_t)sprintf(text + o, "k%d: 1\n", i);
	assert_null(pv_schema_parse(text, o, "noisy.yaml", collect, &d));
	assert_int_equal(d.n, 1001);
	/* 5000 unknown keys and 4 missing required ones: 5004 problems, 4004 held back. */
	assert_string_equal(d.msg[1000], "4004 more problems not shown");
	log_clear(&d);
	free(text);
	free(ref);
}

/* NULL text, empty documents, NUL bytes, UTF-16, binary, tags, directives. */
static void test_odd_inputs(void **state)
{
	(void)state;
	struct diag_log d = {0};
	assert_null(pv_schema_parse(NULL, 0, "nothing", collect, &d));
	assert_true(log_find(&d, 1, 1, "the schema is empty") >= 0);
	log_clear(&d);
	assert_null(pv_schema_parse(NULL, 5, "nothing", collect, &d));
	assert_int_equal(d.n, 1);
	log_clear(&d);
	assert_null(pv_schema_parse("", 0, "empty", collect, &d));
	assert_null(pv_schema_parse("---\n...\n", 8, "null", collect, &d));
	assert_null(pv_schema_parse("\0\0\0\0", 4, "nuls", collect, &d));
	assert_null(pv_schema_parse("\xff\xfe" "v\0e\0r\0", 8, "utf16", collect, &d));
	unsigned char all[256];
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	assert_null(pv_schema_parse((const char *)all, sizeof all, "bytes", collect, &d));
	assert_null(pv_schema_parse("!!binary abc", 12, "tag", collect, &d));
	assert_null(pv_schema_parse("%YAML 1.1\n---\n[a]\n", 18, "directive", collect, &d));
	log_clear(&d);
}

/* Parse every prefix of the reference text: nothing may crash (under the sanitizers),
 * and a failed parse always reports at least one problem. */
static void test_every_truncation(void **state)
{
	(void)state;
	size_t len = 0;
	char *ref = pvt_read_file(PV_SOURCE_DIR "/examples/schema.yaml", &len);
	assert_non_null(ref);
	size_t accepted = 0;
	for (size_t n = 0; n <= len; n++) {
		char *copy = malloc(n ? n : 1); /* exact size, so ASan sees any overread */
		assert_non_null(copy);
		memcpy(copy, ref, n);
		struct diag_log d = {0};
		struct pv_schema *s = pv_schema_parse(copy, n, "cut.yaml", collect, &d);
		if (s) {
			assert_int_equal(d.n, 0);
			accepted++;
		} else {
			assert_true(d.n > 0);
		}
		pv_schema_free(s);
		log_clear(&d);
		free(copy);
	}
	assert_true(accepted >= 1); /* at least the whole text */
	free(ref);
}

/* Random byte changes to the reference text (a fixed seed, so runs repeat). */
static void test_mutations(void **state)
{
	(void)state;
	static const char alphabet[] = "{}[],:-&*!|>'\"#% \t\n\r\\0ay?";
	size_t len = 0;
	char *ref = pvt_read_file(PV_SOURCE_DIR "/examples/schema.yaml", &len);
	assert_non_null(ref);
	unsigned long long x = 0x9e3779b97f4a7c15ULL;
	for (int iter = 0; iter < 3000; iter++) {
		char *copy = malloc(len);
		assert_non_null(copy);
		memcpy(copy, ref, len);
		int changes = 1 + iter % 4;
		for (int k = 0; k < changes; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			size_t at = (size_t)(x % len);
			copy[at] = (x >> 32) % 3 ? alphabet[(x >> 40) % (sizeof alphabet - 1)]
						 : (char)(x >> 48);
		}
		struct diag_log d = {0};
		struct pv_schema *s = pv_schema_parse(copy, len, "mut.yaml", collect, &d);
		assert_true(s ? d.n == 0 : d.n > 0);
		pv_schema_free(s);
		log_clear(&d);
		free(copy);
	}
	free(ref);
}

/* One test per bad schema, named after its file. */
#define FIXTURE_TEST(f) {"fixture " f, test_fixture, NULL, NULL, (void *)(f)},

/* The ordinary tests, then one test per bad schema in tests/schemas/. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_parses_with_content),
		cmocka_unit_test(test_example_without_diag_callback),
		cmocka_unit_test(test_lookups_and_names),
		cmocka_unit_test(test_defaults_and_variants),
		cmocka_unit_test(test_keep_durations),
		cmocka_unit_test(test_booleans),
		cmocka_unit_test(test_fixtures_all_listed),
		cmocka_unit_test(test_messages_are_bare_text),
		cmocka_unit_test(test_problems_in_order_of_position),
		cmocka_unit_test(test_too_many_purposes),
		cmocka_unit_test(test_too_many_fields_and_roles),
		cmocka_unit_test(test_invalid_shapes),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_billion_laughs),
		cmocka_unit_test(test_huge_documents),
		cmocka_unit_test(test_odd_inputs),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_mutations),
		FIXTURE_LIST(FIXTURE_TEST)
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
