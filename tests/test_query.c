/* SPDX-License-Identifier: Apache-2.0 */
/* test_query.c: reading and changing customers through the public API on a vault of
 * pvgen customers: pv_get as each role (clear, masked, hidden, purposes, default-deny
 * operations), pv_find on every indexed field with differently typed values, pv_list
 * paging, pv_update (validation, blind index, consents) and pv_export as CSV and JSONL. */
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pivault.h"
#include "validate.h"

#define NCUST 200
#define SEED 7
#define NFIELDS 12

/* The fields of examples/schema.yaml in schema order, as the schema declares them. */
enum mrule { M_NONE, M_NAME, M_PHONE, M_ID, M_CARD, M_EMAIL, M_ADDRESS, M_AMOUNT, M_FREE };
static const struct fspec {
	const char *name;
	enum pv_ftype type;
	enum mrule mask;
} fields[NFIELDS] = {
	{ "name", PV_T_TEXT, M_NAME },
	{ "phone", PV_T_PHONE, M_PHONE },
	{ "id_number", PV_T_RESIDENT_ID, M_ID },
	{ "email", PV_T_EMAIL, M_EMAIL },
	{ "address", PV_T_TEXT, M_ADDRESS },
	{ "bank_card", PV_T_BANK_CARD, M_CARD },
	{ "company_uscc", PV_T_USCC, M_NONE },
	{ "contract_no", PV_T_TEXT, M_NONE },
	{ "last_order_amount", PV_T_AMOUNT, M_AMOUNT },
	{ "last_order_date", PV_T_DATE, M_NONE },
	{ "preferences", PV_T_TEXT, M_FREE },
	{ "created_at", PV_T_TIMESTAMP, M_NONE },
};

/* ---- shared state: one read-only vault for the read tests ---- */

static char *g_tmp;
static pv_vault *g_v;
static struct pvt_csv g_csv;

/* Fresh state for the update tests (one small vault per test). */
struct small {
	char *tmp;
	pv_vault *v;
	struct pvt_csv csv;
};

static int field_index(const char *name)
{
	for (int i = 0; i < NFIELDS; i++)
		if (strcmp(fields[i].name, name) == 0)
			return i;
	fail_msg("no field %s in the test table", name);
	return -1;
}

/* The normal form of raw as a value of field f (static buffer). */
static const char *normal(int f, const char *raw)
{
	static char buf[PV_VALUE_MAX + 1];
	size_t len;
	const char *why = pv_validate(fields[f].type, raw, strlen(raw), buf, sizeof buf, &len);
	if (why)
		fail_msg("pvgen value of %s is invalid: %s", fields[f].name, why);
	return buf;
}

/* Expected normal form of field f of data row r (malloc'd). */
static char *expect(const struct pvt_csv *t, size_t r, int f)
{
	const char *raw = pvt_csv_get(t, r, fields[f].name);
	assert_non_null(raw);
	return strdup(normal(f, raw));
}

static const char *row_id(const struct pvt_csv *t, size_t r)
{
	return pvt_csv_get(t, r, "customer_id");
}

/* Row of customer id in t, or 0. */
static size_t row_of(const struct pvt_csv *t, const char *id)
{
	for (size_t r = 1; r < t->nrows; r++)
		if (strcmp(row_id(t, r), id) == 0)
			return r;
	return 0;
}

static size_t rec_index(const pv_record *rec, const char *name)
{
	for (size_t i = 0; i < pv_record_field_count(rec); i++)
		if (strcmp(pv_record_field_name(rec, i), name) == 0)
			return i;
	fail_msg("record has no field %s", name);
	return 0;
}

static const char *rec_value(const pv_record *rec, const char *name)
{
	return pv_record_field_value(rec, rec_index(rec, name));
}

static pv_field_view rec_view(const pv_record *rec, const char *name)
{
	return pv_record_field_view(rec, rec_index(rec, name));
}

/* Consent state of purpose in rec: 1, 0, or -1 when absent. */
static int rec_consent(const pv_record *rec, const char *purpose)
{
	for (size_t i = 0; i < pv_record_consent_count(rec); i++)
		if (strcmp(pv_record_consent_purpose(rec, i), purpose) == 0)
			return pv_record_consent_granted(rec, i);
	return -1;
}

static pv_record *get_ok(pv_vault *v, const pv_access *who, const char *id)
{
	pv_record *rec = NULL;
	pv_rc rc = pv_get(v, who, id, &rec);
	if (rc != PV_OK)
		fail_msg("pv_get %s as %s: %s: %s", id, who->role, pv_strerror(rc), pv_errmsg(v));
	assert_non_null(rec);
	return rec;
}

/* ---- masking expectations, written from the schema's documented rules ---- */

/* Decode one UTF-8 code point at s; returns its byte length (1 for ASCII). */
static size_t u8len(const char *s)
{
	unsigned char c = (unsigned char)*s;
	return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

static size_t u8count(const char *s)
{
	size_t n = 0;
	for (; *s; s += u8len(s))
		n++;
	return n;
}

static void check_mask_name(const char *clear, const char *m)
{
	assert_true(strlen(clear) > 0);
	if ((unsigned char)clear[0] < 0x80) { /* Latin: first letter of each word kept */
		assert_int_equal(strlen(m), strlen(clear));
		int start = 1;
		for (size_t i = 0; clear[i]; i++) {
			if (clear[i] == ' ') {
				assert_int_equal(m[i], ' ');
				start = 1;
			} else {
				assert_int_equal(m[i], start ? clear[i] : '*');
				start = 0;
			}
		}
		return;
	}
	/* Chinese: surname kept (two characters for a compound one), the rest '*' */
	assert_int_equal(u8count(m), u8count(clear));
	size_t k = u8len(clear);
	assert_memory_equal(m, clear, k);
	const char *mp = m + k, *cp = clear + k;
	if (*mp != '*') { /* a compound surname keeps its second character */
		size_t k2 = u8len(cp);
		assert_memory_equal(mp, cp, k2);
		mp += k2;
		assert_true(u8count(clear) >= 3);
	}
	assert_true(*mp == '*');
	for (; *mp; mp++)
		assert_int_equal(*mp, '*');
	assert_string_not_equal(m, clear);
}

static void check_masked(int f, const char *clear, const char *m)
{
	assert_non_null(m);
	char want[PV_VALUE_MAX + 16];
	if (!*clear) {
		assert_string_equal(m, "");
		return;
	}
	size_t n = strlen(clear);
	switch (fields[f].mask) {
	case M_NONE:
		assert_string_equal(m, clear);
		break;
	case M_NAME:
		check_mask_name(clear, m);
		break;
	case M_PHONE: /* +86 and 11 digits -> 138****5678 */
		assert_int_equal(n, 14);
		snprintf(want, sizeof want, "%.3s****%.4s", clear + 3, clear + 10);
		assert_string_equal(m, want);
		break;
	case M_ID:
		assert_int_equal(n, 18);
		snprintf(want, sizeof want, "%.6s********%.4s", clear, clear + 14);
		assert_string_equal(m, want);
		break;
	case M_CARD:
		assert_true(n >= 12);
		snprintf(want, sizeof want, "%.4s", clear);
		for (size_t i = 0; i < n - 8; i++)
			strcat(want, "*");
		strcat(want, clear + n - 4);
		assert_string_equal(m, want);
		break;
	case M_EMAIL: {
		const char *at = strrchr(clear, '@');
		assert_non_null(at);
		snprintf(want, sizeof want, "%c***@%s", clear[0], at + 1);
		assert_string_equal(m, want);
		break;
	}
	case M_ADDRESS: {
		size_t ml = strlen(m);
		assert_true(ml > 4);
		assert_string_equal(m + ml - 4, "****");
		size_t keep = ml - 4;
		assert_true(keep > 0 && keep < n);
		assert_memory_equal(m, clear, keep); /* a prefix of the address */
		assert_true(u8count(m) - 4 <= 20);
		break;
	}
	case M_AMOUNT: { /* range bucket by the number of integer digits */
		static const char *const b[] = { "0-100", "0-100", "0-100", "100-1000",
						 "1000-10000", "10000-100000", "100000-1000000" };
		size_t digits = 0;
		const char *p = clear;
		assert_true(*p != '-');
		while (*p == '0')
			p++;
		while (p[digits] >= '0' && p[digits] <= '9')
			digits++;
		assert_string_equal(m, digits < 7 ? b[digits] : ">=1000000");
		break;
	}
	case M_FREE: {
		/* no phone, ID or card number survives: no run of 11 digits */
		size_t run = 0;
		for (const char *p = m; *p; p++) {
			run = (*p >= '0' && *p <= '9') ? run + 1 : 0;
			assert_true(run < 11);
		}
		if (!strpbrk(clear, "0123456789@"))
			assert_string_equal(m, clear);
		break;
	}
	}
}

/* ---- setup ---- */

static int group_setup(void **state)
{
	(void)state;
	g_tmp = pvt_tempdir();
	char *dir = pvt_path(g_tmp, "vault"), *key = pvt_path(g_tmp, "root.key"), *csv = NULL;
	g_v = pvt_sample_vault(dir, key, NCUST, SEED, &csv);
	assert_int_equal(pvt_csv_parse(csv, &g_csv), 0);
	assert_int_equal(g_csv.nrows, NCUST + 1);
	free(csv);
	free(dir);
	free(key);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	pv_vault_close(g_v);
	pvt_csv_free(&g_csv);
	pvt_rmtree(g_tmp);
	free(g_tmp);
	return 0;
}

static int small_setup(void **state)
{
	struct small *s = calloc(1, sizeof *s);
	assert_non_null(s);
	s->tmp = pvt_tempdir();
	char *dir = pvt_path(s->tmp, "vault"), *key = pvt_path(s->tmp, "root.key"), *csv = NULL;
	s->v = pvt_sample_vault(dir, key, 20, 11, &csv);
	assert_int_equal(pvt_csv_parse(csv, &s->csv), 0);
	free(csv);
	free(dir);
	free(key);
	*state = s;
	return 0;
}

static int small_teardown(void **state)
{
	struct small *s = *state;
	pv_vault_close(s->v);
	pvt_csv_free(&s->csv);
	pvt_rmtree(s->tmp);
	free(s->tmp);
	free(s);
	return 0;
}

/* ---- pv_get and roles ---- */

/* pv_export_file: the rule that clear values never go straight to a file is the
 * library's (not only the command's); a refused export leaves no file behind; a masked
 * one is a new file only its owner reads. */
static void test_export_file(void **state)
{
	(void)state;
	char *tmp = pvt_tempdir();
	char *path = pvt_keep(pvt_path(tmp, "out.csv"));
	pv_access clear = { "admin", "all", 1 }, masked = { "admin", "all", 0 };
	pv_access clerk = { "clerk", "service", 0 };
	struct stat st;
	assert_int_equal(pv_export_file(g_v, &clear, PV_EXPORT_CSV, path), PV_ERR_USAGE);
	assert_non_null(strstr(pv_errmsg(g_v), "never straight to a file"));
	assert_int_not_equal(stat(path, &st), 0);
	assert_int_equal(pv_export_file(g_v, &clerk, PV_EXPORT_CSV, path), PV_ERR_DENIED);
	assert_int_not_equal(stat(path, &st), 0); /* created, then removed */
	assert_ok(g_v, pv_export_file(g_v, &masked, PV_EXPORT_JSONL, path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(pv_export_file(g_v, &masked, PV_EXPORT_JSONL, path), PV_ERR_EXISTS);
	pvt_rmtree(tmp);
	free(tmp);
}

static int add_id(void *ctx, const char *id)
{
	snprintf(ctx, 32, "%s", id);
	return 0;
}

/* A role that may find customers but not read them: pv_find_records says so with a code
 * of its own (no message to match), the refusal is audited as a denial, and pv_find gives
 * the ids; a role with neither gets a plain denial. */
static void test_find_only_role(void **state)
{
	(void)state;
	char *tmp = pvt_tempdir();
	char *schema_path = pvt_keep(pvt_path(tmp, "schema.yaml"));
	char *text = pvt_keep(pvt_read_file(PV_SOURCE_DIR "/examples/schema.yaml", NULL));
	assert_non_null(text);
	char *roles = strstr(text, "\nroles:\n");
	assert_non_null(roles);
	roles += strlen("\nroles:\n");
	FILE *out = fopen(schema_path, "w");
	assert_non_null(out);
	fprintf(out, "%.*s  lookup:   {masked: all, purposes: [service], operations: [find]}\n%s",
		(int)(roles - text), text, roles);
	assert_int_equal(fclose(out), 0);
	char *key_path = pvt_keep(pvt_path(tmp, "root.key")), *dir = pvt_keep(pvt_path(tmp, "v"));
	assert_int_equal(pv_key_generate_file(key_path), PV_OK);
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(key_path, &key), PV_OK);
	pv_create_opts o = { .schema_path = schema_path, .keyring_slots = 1024, .kdf_cost = PV_KDF_FAST,
			     .admin_user = "admin", .admin_password = "admin-pass-1",
			     .admin_password_len = 12 };
	pv_vault *v = NULL;
	pv_rc rc = pv_vault_create(dir, &o, key, &v);
	pv_key_free(key);
	if (rc)
		fail_msg("create: %s", pv_errmsg(v));
	pvt_track(v);
	char *csv = pvt_keep(pvt_path(tmp, "one.csv"));
	assert_int_equal(pvt_run(NULL, "'%s' -n 1 --seed 5 --canonical -o '%s'",
				 pvt_program("pvgen"), csv), 0);
	struct pvt_csv one;
	char *ctext = pvt_keep(pvt_read_file(csv, NULL));
	assert_int_equal(pvt_csv_parse(ctext, &one), 0);
	const char *id = pvt_keep(strdup(pvt_csv_get(&one, 1, "customer_id")));
	const char *phone = pvt_keep(strdup(pvt_csv_get(&one, 1, "phone")));
	pvt_csv_free(&one);
	pv_access admin = { "admin", "all", 0 };
	pv_import_opts io = { 0 };
	io.threads = 1;
	pv_import_result *res = NULL;
	assert_ok(v, pv_import_csv(v, &admin, csv, &io, &res));
	pv_import_free(res);

	pv_access lookup = { "lookup", "service", 0 };
	assert_int_equal(pv_find_records(v, &lookup, "phone", phone, NULL, NULL),
			 PV_ERR_FIND_ONLY);
	assert_non_null(strstr(pv_errmsg(v), "'read'"));
	char found[32] = "";
	assert_ok(v, pv_find(v, &lookup, "phone", phone, add_id, found));
	assert_string_equal(found, id);
	pv_access auditor = { "auditor", "service", 0 };
	assert_int_equal(pv_find_records(v, &auditor, "phone", phone, NULL, NULL), PV_ERR_DENIED);
	pvt_vclose(v);
	pvt_rmtree(tmp);
	free(tmp);
}

static void test_canonical_input_is_normal_form(void **state)
{
	(void)state;
	/* --canonical output is already in normal form for the identifying fields */
	for (size_t r = 1; r < g_csv.nrows; r++)
		for (int f = 0; f < 6; f++) {
			const char *raw = pvt_csv_get(&g_csv, r, fields[f].name);
			if (fields[f].type != PV_T_EMAIL)
				assert_string_equal(normal(f, raw), raw);
		}
	uint64_t count = 0;
	assert_int_equal(pv_vault_count(g_v, &count), PV_OK);
	assert_int_equal(count, NCUST);
}

static void test_get_admin_clear(void **state)
{
	(void)state;
	pv_access admin = { "admin", "all", 1 };
	for (size_t r = 1; r < g_csv.nrows; r++) {
		const char *id = row_id(&g_csv, r);
		pv_record *rec = get_ok(g_v, &admin, id);
		assert_string_equal(pv_record_id(rec), id);
		assert_int_equal(pv_record_field_count(rec), NFIELDS);
		for (int f = 0; f < NFIELDS; f++) {
			char *want = expect(&g_csv, r, f);
			assert_string_equal(pv_record_field_name(rec, (size_t)f), fields[f].name);
			assert_int_equal(pv_record_field_view(rec, (size_t)f), PV_SHOWN_CLEAR);
			assert_non_null(pv_record_field_value(rec, (size_t)f));
			if (strcmp(pv_record_field_value(rec, (size_t)f), want) != 0)
				fail_msg("%s field %s differs from the imported value", id,
					 fields[f].name);
			free(want);
		}
		const char *consent = pvt_csv_get(&g_csv, r, "consent_marketing");
		assert_int_equal(rec_consent(rec, "marketing"), strcmp(consent, "yes") == 0);
		/* out-of-range accessors are harmless */
		assert_null(pv_record_field_name(rec, NFIELDS));
		assert_null(pv_record_field_value(rec, NFIELDS));
		pv_record_free(rec);
	}
}

static void test_get_admin_masked(void **state)
{
	(void)state;
	pv_access admin = { "admin", "all", 0 };
	for (size_t r = 1; r < g_csv.nrows; r++) {
		pv_record *rec = get_ok(g_v, &admin, row_id(&g_csv, r));
		for (int f = 0; f < NFIELDS; f++) {
			char *clear = expect(&g_csv, r, f);
			assert_int_equal(pv_record_field_view(rec, (size_t)f), PV_SHOWN_MASKED);
			check_masked(f, clear, pv_record_field_value(rec, (size_t)f));
			free(clear);
		}
		pv_record_free(rec);
	}
	/* the documented shapes, on one customer with every field filled */
	pv_record *rec = get_ok(g_v, &admin, row_id(&g_csv, 1));
	const char *ph = rec_value(rec, "phone"), *idn = rec_value(rec, "id_number");
	assert_int_equal(strlen(ph), 11);
	assert_memory_equal(ph + 3, "****", 4);
	assert_int_equal(strlen(idn), 18);
	assert_memory_equal(idn + 6, "********", 8);
	pv_record_free(rec);
}

/* Check that rec shows, for each field, the view in views[] (as in fields[]) and the
 * right value for it. */
static void check_views(const pv_record *rec, const struct pvt_csv *t, size_t r,
			const pv_field_view views[NFIELDS])
{
	for (int f = 0; f < NFIELDS; f++) {
		char *clear = expect(t, r, f);
		pv_field_view got = pv_record_field_view(rec, (size_t)f);
		const char *val = pv_record_field_value(rec, (size_t)f);
		if (got != views[f])
			fail_msg("%s field %s: view %d, want %d", pv_record_id(rec), fields[f].name,
				 (int)got, (int)views[f]);
		if (views[f] == PV_SHOWN_HIDDEN)
			assert_null(val);
		else if (views[f] == PV_SHOWN_CLEAR)
			assert_string_equal(val, clear);
		else
			check_masked(f, clear, val);
		free(clear);
	}
}

#define H PV_SHOWN_HIDDEN
#define MK PV_SHOWN_MASKED
#define CL PV_SHOWN_CLEAR

static void test_get_clerk(void **state)
{
	(void)state;
	/* clerk: clear [name], masked [phone, email, address, preferences] */
	static const pv_field_view want[NFIELDS] = { CL, MK, H, MK, MK, H, H, H, H, H, MK, H };
	static const pv_field_view want_masked[NFIELDS] = { MK, MK, H, MK, MK, H, H, H, H, H, MK, H };
	pv_access clerk = { "clerk", "service", 1 }, clerk_m = { "clerk", "service", 0 };
	for (size_t r = 1; r < g_csv.nrows; r++) {
		pv_record *rec = get_ok(g_v, &clerk, row_id(&g_csv, r));
		check_views(rec, &g_csv, r, want);
		pv_record_free(rec);
		rec = get_ok(g_v, &clerk_m, row_id(&g_csv, r));
		check_views(rec, &g_csv, r, want_masked);
		pv_record_free(rec);
	}
}

static void test_get_finance(void **state)
{
	(void)state;
	/* finance: clear [name, bank_card, company_uscc, contract_no, last_order_amount,
	 * last_order_date], masked [phone, id_number] */
	static const pv_field_view want[NFIELDS] = { CL, MK, MK, H, H, CL, CL, CL, CL, CL, H, H };
	pv_access fin = { "finance", "billing", 1 };
	for (size_t r = 1; r < g_csv.nrows; r++) {
		pv_record *rec = get_ok(g_v, &fin, row_id(&g_csv, r));
		check_views(rec, &g_csv, r, want);
		pv_record_free(rec);
	}
}

static int collect_masked_all(void *ctx, const pv_record *rec)
{
	size_t *seen = ctx;
	size_t r = row_of(&g_csv, pv_record_id(rec));
	assert_true(r > 0);
	static const pv_field_view all_masked[NFIELDS] = { MK, MK, MK, MK, MK, MK,
							   MK, MK, MK, MK, MK, MK };
	check_views(rec, &g_csv, r, all_masked);
	(*seen)++;
	return 0;
}

static void test_auditor_masked(void **state)
{
	(void)state;
	/* auditor: masked all, even when asking for clear values */
	pv_access aud = { "auditor", "all", 1 };
	size_t seen = 0;
	char *next = (char *)"unset";
	assert_int_equal(pv_list(g_v, &aud, NULL, 0, collect_masked_all, &seen, &next), PV_OK);
	assert_int_equal(seen, NCUST);
	assert_null(next);
	/* its operations are audit, report, list: reading one customer is not granted */
	pv_record *rec = (pv_record *)&seen;
	assert_int_equal(pv_get(g_v, &aud, row_id(&g_csv, 1), &rec), PV_ERR_DENIED);
	assert_null(rec);
	assert_non_null(strstr(pv_errmsg(g_v), "read"));
}

/* Counts the ids pv_find passes. */
static int count_ids_q(void *ctx, const char *id)
{
	(void)id;
	(*(int *)ctx)++;
	return 0;
}

static void test_purpose_filter(void **state)
{
	(void)state;
	/* billing covers name, phone, id_number, bank_card, company_uscc, contract_no,
	 * last_order_amount, last_order_date, created_at (not email, address, preferences) */
	static const pv_field_view admin_billing[NFIELDS] = { CL, CL, CL, H, H, CL,
							      CL, CL, CL, CL, H, CL };
	static const pv_field_view admin_marketing[NFIELDS] = { CL, CL, H, CL, H, H,
								H, H, H, H, CL, H };
	static const pv_field_view fin_billing[NFIELDS] = { CL, MK, MK, H, H, CL,
							    CL, CL, CL, CL, H, H };
	/* service: name, phone, email, address, preferences, created_at */
	static const pv_field_view clerk_service[NFIELDS] = { CL, MK, H, MK, MK, H,
							      H, H, H, H, MK, H };
	pv_access a_bill = { "admin", "billing", 1 }, a_mkt = { "admin", "marketing", 1 };
	pv_access f_bill = { "finance", "billing", 1 }, c_serv = { "clerk", "service", 1 };
	int mkt_yes = 0, mkt_no = 0;
	for (size_t r = 1; r < g_csv.nrows; r += 13) {
		const char *id = row_id(&g_csv, r);
		pv_record *rec = get_ok(g_v, &a_bill, id);
		check_views(rec, &g_csv, r, admin_billing);
		pv_record_free(rec);
		/* marketing needs consent: only customers who said yes are reached */
		if (strcmp(pvt_csv_get(&g_csv, r, "consent_marketing"), "yes") == 0) {
			rec = get_ok(g_v, &a_mkt, id);
			check_views(rec, &g_csv, r, admin_marketing);
			pv_record_free(rec);
			mkt_yes++;
		} else {
			assert_int_equal(pv_get(g_v, &a_mkt, id, &rec), PV_ERR_DENIED);
			assert_null(rec);
			assert_non_null(strstr(pv_errmsg(g_v), "consent"));
			mkt_no++;
		}
		rec = get_ok(g_v, &f_bill, id);
		check_views(rec, &g_csv, r, fin_billing);
		pv_record_free(rec);
		rec = get_ok(g_v, &c_serv, id);
		check_views(rec, &g_csv, r, clerk_service);
		pv_record_free(rec);
	}
	assert_true(mkt_yes > 0 && mkt_no > 0); /* both sides of consent were tried */
	/* a purpose the role lacks, and an undeclared purpose */
	const char *id = row_id(&g_csv, 1);
	pv_record *rec = NULL;
	pv_access c_bill = { "clerk", "billing", 1 };
	assert_int_equal(pv_get(g_v, &c_bill, id, &rec), PV_ERR_DENIED);
	assert_null(rec);
	assert_non_null(strstr(pv_errmsg(g_v), "billing"));
	assert_non_null(strstr(pv_errmsg(g_v), "clerk"));
	pv_access f_mkt = { "finance", "marketing", 1 };
	assert_int_equal(pv_get(g_v, &f_mkt, id, &rec), PV_ERR_DENIED);
	pv_access a_bogus = { "admin", "fortune-telling", 1 };
	assert_int_equal(pv_get(g_v, &a_bogus, id, &rec), PV_ERR_DENIED);
	assert_non_null(strstr(pv_errmsg(g_v), "fortune-telling"));
	assert_null(rec);
	/* purposes apply to find and list as well */
	size_t listed = 0;
	assert_int_equal(pv_list(g_v, &c_bill, NULL, 5, collect_masked_all, &listed, NULL),
			 PV_ERR_DENIED);
	assert_int_equal(listed, 0);

	/* no purpose at all: every read of customer data is refused, naming the purpose,
	 * even for a role that has every purpose */
	static const pv_access no_purpose[] = { { "admin", NULL, 1 }, { "admin", NULL, 0 },
						{ "finance", NULL, 1 }, { "clerk", NULL, 0 } };
	for (size_t k = 0; k < sizeof no_purpose / sizeof *no_purpose; k++) {
		const pv_access *who = &no_purpose[k];
		rec = (pv_record *)&listed;
		assert_int_equal(pv_get(g_v, who, id, &rec), PV_ERR_DENIED);
		assert_null(rec);
		assert_non_null(strstr(pv_errmsg(g_v), "purpose"));
		int n = 0;
		assert_int_equal(pv_find(g_v, who, "phone", pvt_csv_get(&g_csv, 1, "phone"),
					 count_ids_q, &n), PV_ERR_DENIED);
		assert_non_null(strstr(pv_errmsg(g_v), "purpose"));
		assert_int_equal(n, 0);
		listed = 0;
		char *next = (char *)"unset";
		assert_int_equal(pv_list(g_v, who, NULL, 5, collect_masked_all, &listed, &next),
				 PV_ERR_DENIED);
		assert_non_null(strstr(pv_errmsg(g_v), "purpose"));
		assert_int_equal(listed, 0);
		if (strcmp(who->role, "clerk") != 0) { /* clerk may not export at all */
			FILE *out = tmpfile();
			assert_non_null(out);
			assert_int_equal(pv_export(g_v, who, PV_EXPORT_CSV, out), PV_ERR_DENIED);
			assert_non_null(strstr(pv_errmsg(g_v), "purpose"));
			assert_int_equal(ftell(out), 0); /* nothing written, not even a header */
			fclose(out);
		}
	}
	/* 'all' only for a role with every purpose */
	pv_access c_all = { "clerk", "all", 1 }, f_all = { "finance", "all", 1 };
	rec = NULL;
	assert_int_equal(pv_get(g_v, &c_all, id, &rec), PV_ERR_DENIED);
	assert_null(rec);
	assert_non_null(strstr(pv_errmsg(g_v), "all"));
	assert_int_equal(pv_get(g_v, &f_all, id, &rec), PV_ERR_DENIED);
	assert_null(rec);
}

static void test_unknown_role_denied(void **state)
{
	(void)state;
	pv_record *rec = NULL;
	pv_access who = { "intern", NULL, 1 };
	assert_int_equal(pv_get(g_v, &who, row_id(&g_csv, 1), &rec), PV_ERR_DENIED);
	assert_null(rec);
	assert_non_null(strstr(pv_errmsg(g_v), "intern"));
	/* a role name is matched exactly */
	pv_access upper = { "ADMIN", NULL, 1 };
	assert_int_equal(pv_get(g_v, &upper, row_id(&g_csv, 1), &rec), PV_ERR_DENIED);
	assert_non_null(strstr(pv_errmsg(g_v), "ADMIN"));
	pv_access none = { NULL, NULL, 1 };
	assert_int_equal(pv_get(g_v, &none, row_id(&g_csv, 1), &rec), PV_ERR_DENIED);
	assert_int_equal(pv_get(g_v, NULL, row_id(&g_csv, 1), &rec), PV_ERR_DENIED);
	assert_null(rec);
}

static int count_ids(void *ctx, const char *id)
{
	(void)id;
	(*(int *)ctx)++;
	return 0;
}

static void test_operations_default_deny(void **state)
{
	(void)state;
	pv_access clerk = { "clerk", "service", 1 };
	const char *id = row_id(&g_csv, 2);
	FILE *out = tmpfile();
	assert_non_null(out);
	assert_int_equal(pv_export(g_v, &clerk, PV_EXPORT_CSV, out), PV_ERR_DENIED);
	assert_non_null(strstr(pv_errmsg(g_v), "'export'"));
	assert_int_equal(ftell(out), 0); /* nothing written, not even a header */
	fclose(out);

	assert_int_equal(pv_update(g_v, &clerk, id, "name", "王小明"), PV_ERR_DENIED);
	assert_non_null(strstr(pv_errmsg(g_v), "'update'"));
	pv_access admin = { "admin", "all", 1 };
	pv_record *rec = get_ok(g_v, &admin, id);
	char *name = expect(&g_csv, 2, field_index("name"));
	assert_string_equal(rec_value(rec, "name"), name); /* unchanged */
	free(name);
	pv_record_free(rec);

	char *csv = pvt_path(g_tmp, "deny.csv");
	assert_int_equal(pvt_write_file(csv, "customer_id,name\r\n", 18), 0);
	pv_import_result *res = NULL;
	assert_int_equal(pv_import_csv(g_v, &clerk, csv, NULL, &res), PV_ERR_DENIED);
	assert_non_null(strstr(pv_errmsg(g_v), "'import'"));
	pv_import_free(res);
	free(csv);

	/* finance may export but not update; auditor may list but not find */
	pv_access fin = { "finance", "billing", 1 }, aud = { "auditor", "all", 0 };
	assert_int_equal(pv_update(g_v, &fin, id, "bank_card", ""), PV_ERR_DENIED);
	assert_non_null(strstr(pv_errmsg(g_v), "'update'"));
	int n = 0;
	assert_int_equal(pv_find(g_v, &aud, "phone", pvt_csv_get(&g_csv, 2, "phone"), count_ids,
				 &n), PV_ERR_DENIED);
	assert_non_null(strstr(pv_errmsg(g_v), "'find'"));
	assert_int_equal(n, 0);
}

static void test_get_not_found(void **state)
{
	(void)state;
	pv_access admin = { "admin", "all", 1 };
	pv_record *rec = NULL;
	assert_int_equal(pv_get(g_v, &admin, "C99999999", &rec), PV_ERR_NOT_FOUND);
	assert_null(rec);
	assert_non_null(strstr(pv_errmsg(g_v), "C99999999"));
	assert_int_equal(pv_get(g_v, &admin, "", &rec), PV_ERR_NOT_FOUND);
	/* ids are matched exactly */
	assert_int_equal(pv_get(g_v, &admin, "c00000001", &rec), PV_ERR_NOT_FOUND);
	assert_null(rec);
	/* a success clears the message */
	rec = get_ok(g_v, &admin, row_id(&g_csv, 1));
	assert_string_equal(pv_errmsg(g_v), "no error");
	pv_record_free(rec);
}

/* ---- pv_find ---- */

struct hits {
	int n;
	char ids[64][16];
};

static int collect_ids(void *ctx, const char *id)
{
	struct hits *h = ctx;
	if (h->n < 64)
		snprintf(h->ids[h->n], sizeof h->ids[0], "%s", id);
	h->n++;
	return 0;
}

static int hits_have(const struct hits *h, const char *id)
{
	for (int i = 0; i < h->n && i < 64; i++)
		if (strcmp(h->ids[i], id) == 0)
			return 1;
	return 0;
}

static void find_into(pv_vault *v, const char *field, const char *value, struct hits *h)
{
	pv_access admin = { "admin", "all", 0 };
	memset(h, 0, sizeof *h);
	pv_rc rc = pv_find(v, &admin, field, value, collect_ids, h);
	if (rc)
		fail_msg("pv_find %s: %s: %s", field, pv_strerror(rc), pv_errmsg(v));
	for (int i = 1; i < h->n && i < 64; i++) /* id order */
		assert_true(strcmp(h->ids[i - 1], h->ids[i]) < 0);
}

/* A phone number (+86 and 11 digits) spelled in one of several ways. */
static void phone_variant(const char *e164, int k, char *out, size_t cap)
{
	const char *d = e164 + 3;
	switch (k % 6) {
	case 0: snprintf(out, cap, "+86 %.3s %.4s %.4s", d, d + 3, d + 7); break;
	case 1: snprintf(out, cap, "%.3s-%.4s-%.4s", d, d + 3, d + 7); break;
	case 2: snprintf(out, cap, "0086%s", d); break;
	case 3: snprintf(out, cap, "(+86) %.3s-%.4s-%.4s", d, d + 3, d + 7); break;
	case 4: snprintf(out, cap, "%s", d); break;
	default: { /* full-width digits U+FF10..U+FF19 */
		size_t n = 0;
		for (const char *p = d; *p && n + 4 < cap; p++) {
			out[n++] = (char)0xEF;
			out[n++] = (char)0xBC;
			out[n++] = (char)(0x90 + (*p - '0'));
		}
		out[n] = '\0';
	}
	}
}

static void test_find_every_indexed_field(void **state)
{
	(void)state;
	int lower_x = 0;
	for (size_t r = 1; r < g_csv.nrows; r++) {
		const char *id = row_id(&g_csv, r);
		char buf[512];
		struct hits h;

		/* name: the same (padded with spaces on odd rows) */
		const char *name = pvt_csv_get(&g_csv, r, "name");
		snprintf(buf, sizeof buf, r % 2 ? "  %s " : "%s", name);
		find_into(g_v, "name", buf, &h);
		assert_true(hits_have(&h, id));

		/* phone: spaces, +86, 0086, hyphens, parentheses, full-width digits */
		phone_variant(pvt_csv_get(&g_csv, r, "phone"), (int)r, buf, sizeof buf);
		find_into(g_v, "phone", buf, &h);
		if (h.n != 1 || !hits_have(&h, id))
			fail_msg("find phone spelled variant %d for %s: %d hits", (int)(r % 6), id, h.n);

		/* id number: a final X typed lower-case */
		snprintf(buf, sizeof buf, "%s", pvt_csv_get(&g_csv, r, "id_number"));
		if (buf[17] == 'X') {
			buf[17] = 'x';
			lower_x++;
		}
		find_into(g_v, "id_number", buf, &h);
		assert_int_equal(h.n, 1);
		assert_string_equal(h.ids[0], id);

		/* email: all upper-case */
		const char *email = pvt_csv_get(&g_csv, r, "email");
		if (*email) {
			size_t i = 0;
			for (; email[i] && i + 1 < sizeof buf; i++)
				buf[i] = (char)((email[i] >= 'a' && email[i] <= 'z') ? email[i] - 32
										     : email[i]);
			buf[i] = '\0';
			find_into(g_v, "email", buf, &h);
			assert_true(hits_have(&h, id));
		}
	}
	assert_true(lower_x > 0); /* the sample has ID numbers ending in X */
}

static int stop_after_one(void *ctx, const char *id)
{
	(void)id;
	(*(int *)ctx)++;
	return 1;
}

static void test_find_errors(void **state)
{
	(void)state;
	pv_access admin = { "admin", "all", 0 };
	int n = 0;
	assert_int_equal(pv_find(g_v, &admin, "address", "北京市", count_ids, &n), PV_ERR_USAGE);
	assert_non_null(strstr(pv_errmsg(g_v), "address"));
	assert_int_equal(pv_find(g_v, &admin, "bank_card", pvt_csv_get(&g_csv, 1, "bank_card"),
				 count_ids, &n), PV_ERR_USAGE);
	assert_non_null(strstr(pv_errmsg(g_v), "bank_card"));
	assert_int_equal(pv_find(g_v, &admin, "shoe_size", "42", count_ids, &n), PV_ERR_USAGE);
	assert_non_null(strstr(pv_errmsg(g_v), "shoe_size"));
	assert_int_equal(n, 0);

	/* values that match nobody: no callback */
	assert_int_equal(pv_find(g_v, &admin, "name", "不存在的人", count_ids, &n), PV_OK);
	assert_int_equal(pv_find(g_v, &admin, "email", "nobody@nowhere.example", count_ids, &n),
			 PV_OK);
	char phone[32];
	int tries = 0;
	struct hits h;
	do { /* a valid mobile number that no sample customer has */
		snprintf(phone, sizeof phone, "+861990000%04d", tries++);
		int used = 0;
		for (size_t r = 1; r < g_csv.nrows; r++)
			used |= strcmp(pvt_csv_get(&g_csv, r, "phone"), phone) == 0;
		if (!used)
			break;
	} while (tries < 100);
	assert_int_equal(pv_find(g_v, &admin, "phone", phone, count_ids, &n), PV_OK);
	assert_int_equal(n, 0);
	/* another customer's value for a different field does not match */
	assert_int_equal(pv_find(g_v, &admin, "name", pvt_csv_get(&g_csv, 1, "email"), count_ids,
				 &n), PV_OK);
	assert_int_equal(n, 0);
	/* invalid values are refused, not looked up */
	assert_int_equal(pv_find(g_v, &admin, "phone", "12345", count_ids, &n), PV_ERR_USAGE);
	assert_non_null(strstr(pv_errmsg(g_v), "phone"));
	assert_int_equal(pv_find(g_v, &admin, "name", "   ", count_ids, &n), PV_ERR_USAGE);
	assert_int_equal(n, 0);
	/* fn returning non-zero stops */
	find_into(g_v, "id_number", pvt_csv_get(&g_csv, 3, "id_number"), &h);
	assert_int_equal(h.n, 1);
	assert_int_equal(pv_find(g_v, &admin, "id_number", pvt_csv_get(&g_csv, 3, "id_number"),
				 stop_after_one, &n), PV_OK);
	assert_int_equal(n, 1);
}

/* ---- pv_list ---- */

struct listing {
	char (*ids)[16];
	size_t n, cap;
	size_t page;
	pv_vault *v;
};

static int list_collect(void *ctx, const pv_record *rec)
{
	struct listing *l = ctx;
	assert_true(l->n < l->cap);
	snprintf(l->ids[l->n++], sizeof l->ids[0], "%s", pv_record_id(rec));
	l->page++;
	/* a listed record shows what pv_get shows */
	size_t r = row_of(&g_csv, pv_record_id(rec));
	assert_true(r > 0);
	char *name = expect(&g_csv, r, field_index("name"));
	assert_string_equal(rec_value(rec, "name"), name);
	assert_int_equal(rec_view(rec, "name"), PV_SHOWN_CLEAR);
	free(name);
	return 0;
}

static void list_all(size_t limit)
{
	pv_access admin = { "admin", "all", 1 };
	struct listing l = { calloc(NCUST + 10, 16), 0, NCUST + 10, 0, g_v };
	assert_non_null(l.ids);
	char *after = NULL;
	size_t pages = 0;
	for (;;) {
		char *next = (char *)"unset";
		l.page = 0;
		pv_rc rc = pv_list(g_v, &admin, after, limit, list_collect, &l, &next);
		if (rc)
			fail_msg("pv_list: %s", pv_errmsg(g_v));
		assert_true(l.page <= limit);
		pages++;
		assert_true(pages <= NCUST + 2);
		free(after);
		if (!next) {
			after = NULL;
			break;
		}
		assert_int_equal(l.page, limit);
		assert_string_equal(next, l.ids[l.n - 1]);
		after = next;
	}
	assert_int_equal(l.n, NCUST);
	for (size_t i = 1; i < l.n; i++)
		assert_true(strcmp(l.ids[i - 1], l.ids[i]) < 0);
	for (size_t r = 1; r < g_csv.nrows; r++) { /* each exactly once */
		int seen = 0;
		for (size_t i = 0; i < l.n; i++)
			seen += strcmp(l.ids[i], row_id(&g_csv, r)) == 0;
		assert_int_equal(seen, 1);
	}
	free(l.ids);
}

static int list_stop(void *ctx, const pv_record *rec)
{
	(void)rec;
	return ++*(int *)ctx >= 3;
}

static void test_list_paging(void **state)
{
	(void)state;
	list_all(7);
	list_all(1);
	list_all(50);  /* a limit that divides the count */
	list_all(NCUST + 1);
	/* after the last id: nothing, exhausted */
	pv_access admin = { "admin", "all", 0 };
	int n = 0;
	char *next = (char *)"unset";
	assert_int_equal(pv_list(g_v, &admin, row_id(&g_csv, NCUST), 10, list_stop, &n, &next),
			 PV_OK);
	assert_int_equal(n, 0);
	assert_null(next);
	/* fn returning non-zero stops the listing */
	n = 0;
	assert_int_equal(pv_list(g_v, &admin, NULL, 100, list_stop, &n, NULL), PV_OK);
	assert_int_equal(n, 3);
	/* starting between ids */
	struct listing l = { calloc(10, 16), 0, 10, 0, g_v };
	pv_access admin_c = { "admin", "all", 1 };
	assert_int_equal(pv_list(g_v, &admin_c, "C00000010a", 2, list_collect, &l, &next), PV_OK);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.ids[0], "C00000011");
	assert_string_equal(next, "C00000012");
	free(next);
	free(l.ids);
}

/* ---- pv_export ---- */

/* Run pv_export into memory. */
static char *export_text(pv_vault *v, const pv_access *who, pv_export_format fmt, pv_rc *rc)
{
	FILE *f = tmpfile();
	assert_non_null(f);
	*rc = pv_export(v, who, fmt, f);
	long n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	char *buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_export_csv_admin_clear(void **state)
{
	(void)state;
	pv_access admin = { "admin", "all", 1 };
	pv_rc rc;
	char *text = export_text(g_v, &admin, PV_EXPORT_CSV, &rc);
	assert_int_equal(rc, PV_OK);
	struct pvt_csv t;
	assert_int_equal(pvt_csv_parse(text, &t), 0);
	assert_int_equal(t.nrows, NCUST + 1);
	assert_int_equal(t.ncols, NFIELDS + 2);
	assert_string_equal(t.cell[0], "customer_id");
	for (int f = 0; f < NFIELDS; f++)
		assert_string_equal(t.cell[1 + f], fields[f].name);
	assert_string_equal(t.cell[NFIELDS + 1], "consent_marketing");
	for (size_t r = 1; r < t.nrows; r++) {
		const char *id = row_id(&t, r);
		size_t src = row_of(&g_csv, id);
		assert_true(src > 0);
		if (r > 1)
			assert_true(strcmp(row_id(&t, r - 1), id) < 0);
		for (int f = 0; f < NFIELDS; f++) {
			char *want = expect(&g_csv, src, f);
			assert_string_equal(pvt_csv_get(&t, r, fields[f].name), want);
			free(want);
		}
		assert_string_equal(pvt_csv_get(&t, r, "consent_marketing"),
				    pvt_csv_get(&g_csv, src, "consent_marketing"));
	}
	pvt_csv_free(&t);
	free(text);
}

static void test_export_csv_masked_roles(void **state)
{
	(void)state;
	/* finance with clear values: hidden fields are absent from the header */
	pv_access fin = { "finance", "billing", 1 };
	pv_rc rc;
	char *text = export_text(g_v, &fin, PV_EXPORT_CSV, &rc);
	assert_int_equal(rc, PV_OK);
	struct pvt_csv t;
	assert_int_equal(pvt_csv_parse(text, &t), 0);
	assert_int_equal(t.nrows, NCUST + 1);
	static const char *const absent[] = { "email", "address", "preferences", "created_at" };
	for (size_t k = 0; k < 4; k++)
		assert_int_equal(pvt_csv_col(&t, absent[k]), -1);
	assert_int_equal(t.ncols, 1 + 8 + 1);
	for (size_t r = 1; r < t.nrows; r++) {
		size_t src = row_of(&g_csv, row_id(&t, r));
		assert_true(src > 0);
		char *card = expect(&g_csv, src, field_index("bank_card"));
		char *idn = expect(&g_csv, src, field_index("id_number"));
		char *ph = expect(&g_csv, src, field_index("phone"));
		assert_string_equal(pvt_csv_get(&t, r, "bank_card"), card);
		check_masked(field_index("id_number"), idn, pvt_csv_get(&t, r, "id_number"));
		check_masked(field_index("phone"), ph, pvt_csv_get(&t, r, "phone"));
		assert_null(strstr(text, idn)); /* the clear ID number appears nowhere */
		free(card);
		free(idn);
		free(ph);
	}
	pvt_csv_free(&t);
	free(text);

	/* admin without want_clear: every value masked */
	pv_access admin = { "admin", "all", 0 };
	text = export_text(g_v, &admin, PV_EXPORT_CSV, &rc);
	assert_int_equal(rc, PV_OK);
	assert_int_equal(pvt_csv_parse(text, &t), 0);
	assert_int_equal(t.nrows, NCUST + 1);
	assert_int_equal(t.ncols, NFIELDS + 2);
	for (size_t r = 1; r < t.nrows; r++) {
		size_t src = row_of(&g_csv, row_id(&t, r));
		for (int f = 0; f < NFIELDS; f++) {
			char *clear = expect(&g_csv, src, f);
			check_masked(f, clear, pvt_csv_get(&t, r, fields[f].name));
			free(clear);
		}
	}
	pvt_csv_free(&t);
	free(text);
}

static void test_export_jsonl(void **state)
{
	(void)state;
	pv_access admin = { "admin", "all", 1 }, fin = { "finance", "billing", 0 };
	for (int pass = 0; pass < 2; pass++) {
		const pv_access *who = pass ? &fin : &admin;
		pv_rc rc;
		char *text = export_text(g_v, who, PV_EXPORT_JSONL, &rc);
		assert_int_equal(rc, PV_OK);
		size_t count = 0;
		char *save = NULL;
		char prev_id[16] = "";
		for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			json_error_t err;
			json_t *o = json_loads(line, 0, &err);
			if (!o)
				fail_msg("JSONL line %zu: %s", count + 1, err.text);
			assert_true(json_is_object(o));
			const char *id = json_string_value(json_object_get(o, "customer_id"));
			assert_non_null(id);
			assert_true(strcmp(prev_id, id) < 0);
			snprintf(prev_id, sizeof prev_id, "%s", id);
			size_t src = row_of(&g_csv, id);
			assert_true(src > 0);
			for (int f = 0; f < NFIELDS; f++) {
				json_t *val = json_object_get(o, fields[f].name);
				char *clear = expect(&g_csv, src, f);
				if (!pass) {
					assert_true(json_is_string(val));
					assert_string_equal(json_string_value(val), clear);
				} else if (f == 3 || f == 4 || f == 10 || f == 11) {
					assert_null(val); /* hidden from finance */
				} else {
					assert_true(json_is_string(val));
					check_masked(f, clear, json_string_value(val));
				}
				free(clear);
			}
			assert_string_equal(json_string_value(json_object_get(o, "consent_marketing")),
					    pvt_csv_get(&g_csv, src, "consent_marketing"));
			json_decref(o);
			count++;
		}
		assert_int_equal(count, NCUST);
		free(text);
	}
	/* an unknown format is a usage error */
	FILE *f = tmpfile();
	assert_int_equal(pv_export(g_v, &admin, (pv_export_format)99, f), PV_ERR_USAGE);
	assert_int_equal(ftell(f), 0);
	fclose(f);
}

/* ---- pv_update (each on a fresh small vault) ---- */

static char *clear_value(pv_vault *v, const char *id, const char *field)
{
	pv_access admin = { "admin", "all", 1 };
	pv_record *rec = get_ok(v, &admin, id);
	char *val = strdup(rec_value(rec, field));
	pv_record_free(rec);
	return val;
}

static int finds(pv_vault *v, const char *field, const char *value, const char *id)
{
	struct hits h;
	find_into(v, field, value, &h);
	return hits_have(&h, id);
}

static void test_update_phone_reindexed(void **state)
{
	struct small *s = *state;
	pv_access admin = { "admin", NULL, 1 };
	const char *id = row_id(&s->csv, 5);
	char old[32];
	snprintf(old, sizeof old, "%s", pvt_csv_get(&s->csv, 5, "phone"));
	char *before_name = clear_value(s->v, id, "name");
	assert_true(finds(s->v, "phone", old, id));

	const char *newp = "+86 139-0000-1234";
	for (size_t r = 1; r < s->csv.nrows; r++)
		assert_string_not_equal(pvt_csv_get(&s->csv, r, "phone"), "+8613900001234");
	assert_int_equal(pv_update(s->v, &admin, id, "phone", newp), PV_OK);
	char *now = clear_value(s->v, id, "phone");
	assert_string_equal(now, "+8613900001234"); /* stored normalised */
	free(now);
	assert_true(finds(s->v, "phone", "13900001234", id));
	assert_false(finds(s->v, "phone", old, id));
	struct hits h;
	find_into(s->v, "phone", old, &h);
	assert_int_equal(h.n, 0);
	/* the other fields of the group are untouched */
	char *after_name = clear_value(s->v, id, "name");
	assert_string_equal(before_name, after_name);
	free(before_name);
	free(after_name);
	/* a second customer is untouched */
	char *other = clear_value(s->v, row_id(&s->csv, 6), "phone");
	assert_string_equal(other, pvt_csv_get(&s->csv, 6, "phone"));
	free(other);
	/* the change survives closing and reopening */
	pv_vault_close(s->v);
	char *dir = pvt_path(s->tmp, "vault"), *kp = pvt_path(s->tmp, "root.key");
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(kp, &key), PV_OK);
	assert_int_equal(pv_vault_open(dir, NULL, key, &s->v), PV_OK);
	pv_key_free(key);
	free(dir);
	free(kp);
	assert_true(finds(s->v, "phone", "139 0000 1234", id));
	now = clear_value(s->v, id, "phone");
	assert_string_equal(now, "+8613900001234");
	free(now);
}

static void test_update_name_email_reindexed(void **state)
{
	struct small *s = *state;
	pv_access admin = { "admin", NULL, 1 };
	const char *id = row_id(&s->csv, 2);
	char old_name[128], old_email[128];
	snprintf(old_name, sizeof old_name, "%s", pvt_csv_get(&s->csv, 2, "name"));
	snprintf(old_email, sizeof old_email, "%s", pvt_csv_get(&s->csv, 2, "email"));
	assert_int_equal(pv_update(s->v, &admin, id, "name", "  欧阳修远 "), PV_OK);
	char *now = clear_value(s->v, id, "name");
	assert_string_equal(now, "欧阳修远"); /* trimmed */
	free(now);
	assert_true(finds(s->v, "name", "欧阳修远", id));
	assert_false(finds(s->v, "name", old_name, id));
	pv_access masked = { "admin", "all", 0 };
	pv_record *rec = get_ok(s->v, &masked, id);
	assert_string_equal(rec_value(rec, "name"), "欧阳**");
	pv_record_free(rec);

	assert_int_equal(pv_update(s->v, &admin, id, "email", "Zhang.San@Example.COM"), PV_OK);
	now = clear_value(s->v, id, "email");
	assert_string_equal(now, "Zhang.San@example.com");
	free(now);
	assert_true(finds(s->v, "email", "zhang.san@example.com", id));
	if (*old_email)
		assert_false(finds(s->v, "email", old_email, id));
	/* an optional field may be emptied: value "" and no index entry */
	assert_int_equal(pv_update(s->v, &admin, id, "email", ""), PV_OK);
	now = clear_value(s->v, id, "email");
	assert_string_equal(now, "");
	free(now);
	assert_false(finds(s->v, "email", "zhang.san@example.com", id));
}

static void test_update_id_number_lower_x(void **state)
{
	struct small *s = *state;
	pv_access admin = { "admin", NULL, 1 };
	const char *id = row_id(&s->csv, 3);
	/* a valid ID number whose check character is X, typed with a lower-case x */
	char idn[19] = "";
	for (int k = 0; k < 1000; k++) {
		snprintf(idn, sizeof idn, "11010519900307%03d", k);
		if (pv_resident_id_check_char(idn) == 'X')
			break;
	}
	assert_int_equal(pv_resident_id_check_char(idn), 'X');
	idn[17] = 'x';
	idn[18] = '\0';
	assert_int_equal(pv_update(s->v, &admin, id, "id_number", idn), PV_OK);
	char *now = clear_value(s->v, id, "id_number");
	idn[17] = 'X';
	assert_string_equal(now, idn);
	free(now);
	idn[17] = 'x';
	assert_true(finds(s->v, "id_number", idn, id));
	assert_false(finds(s->v, "id_number", pvt_csv_get(&s->csv, 3, "id_number"), id));
}

static void test_update_invalid_refused(void **state)
{
	struct small *s = *state;
	pv_access admin = { "admin", "all", 1 };
	const char *id = row_id(&s->csv, 4);
	/* a bank card and a USCC with a wrong check character */
	char card[20] = "622202123456789012", uscc[19] = "91110000600037341";
	char good = pv_luhn_check_digit(card, 18);
	card[18] = good == '9' ? '0' : (char)(good + 1);
	good = pv_uscc_check_char(uscc);
	uscc[17] = good == '0' ? '1' : '0';
	const struct {
		const char *field, *value;
	} bad[] = {
		{ "phone", "12345" },
		{ "phone", "+1 415 555 0100" },
		{ "id_number", "110105194912310021" }, /* wrong check digit */
		{ "email", "not-an-email" },
		{ "bank_card", card },
		{ "company_uscc", uscc },
		{ "last_order_date", "2024-02-30" },
		{ "last_order_amount", "12.345" },
		{ "created_at", "yesterday" },
		{ "name", "bad\001name" },
		{ "name", "" },             /* required */
		{ "phone", "   " },         /* required, empty after trimming */
		{ "id_number", "" },
		{ "last_order_amount", "" },
	};
	/* the customer's values before */
	pv_record *before = get_ok(s->v, &admin, id);
	for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
		pv_rc rc = pv_update(s->v, &admin, id, bad[k].field, bad[k].value);
		if (rc != PV_ERR_INPUT)
			fail_msg("update %s to an invalid value: %s, want bad input", bad[k].field,
				 pv_strerror(rc));
		const char *msg = pv_errmsg(s->v);
		assert_non_null(strstr(msg, bad[k].field));
		assert_non_null(strstr(msg, id));
		if (strlen(bad[k].value) > 3)
			assert_null(strstr(msg, bad[k].value)); /* never the value */
	}
	pv_record *after = get_ok(s->v, &admin, id);
	for (size_t f = 0; f < NFIELDS; f++)
		assert_string_equal(pv_record_field_value(before, f), pv_record_field_value(after, f));
	pv_record_free(before);
	pv_record_free(after);
	/* the blind index still finds the old values */
	assert_true(finds(s->v, "phone", pvt_csv_get(&s->csv, 4, "phone"), id));
	assert_true(finds(s->v, "id_number", pvt_csv_get(&s->csv, 4, "id_number"), id));
	assert_true(finds(s->v, "name", pvt_csv_get(&s->csv, 4, "name"), id));
}

/* Several fields at once: one invalid value (or an unknown field, or one given twice)
 * and none of the others is applied, the blind index untouched; all valid, all applied
 * with one audit entry. */
static void test_update_fields_all_or_none(void **state)
{
	struct small *s = *state;
	pv_access admin = { "admin", "all", 1 };
	const char *id = row_id(&s->csv, 5);
	pv_record *before = get_ok(s->v, &admin, id);
	const char *f1[] = { "name", "phone", "email" };
	const char *v1[] = { "改名字", "13900007777", "not-an-email" };
	assert_int_equal(pv_update_fields(s->v, &admin, id, f1, v1, 3), PV_ERR_INPUT);
	assert_non_null(strstr(pv_errmsg(s->v), "email"));
	const char *f2[] = { "name", "shoe_size" };
	const char *v2[] = { "改名字", "42" };
	assert_int_equal(pv_update_fields(s->v, &admin, id, f2, v2, 2), PV_ERR_USAGE);
	const char *f3[] = { "name", "name" };
	const char *v3[] = { "改名字", "又改了" };
	assert_int_equal(pv_update_fields(s->v, &admin, id, f3, v3, 2), PV_ERR_USAGE);
	pv_record *after = get_ok(s->v, &admin, id);
	for (size_t f = 0; f < NFIELDS; f++)
		assert_string_equal(pv_record_field_value(before, f), pv_record_field_value(after, f));
	pv_record_free(after);
	assert_false(finds(s->v, "phone", "13900007777", id));
	assert_true(finds(s->v, "phone", pvt_csv_get(&s->csv, 5, "phone"), id));

	const char *v4[] = { "改名字", "13900007777", "new@example.com" };
	assert_ok(s->v, pv_update_fields(s->v, &admin, id, f1, v4, 3));
	assert_true(finds(s->v, "phone", "13900007777", id));
	assert_true(finds(s->v, "name", "改名字", id));
	assert_false(finds(s->v, "phone", pvt_csv_get(&s->csv, 5, "phone"), id));
	pv_record_free(before);
}

static void test_update_consent(void **state)
{
	struct small *s = *state;
	pv_access admin = { "admin", "all", 1 };
	const char *id = row_id(&s->csv, 7);
	static const struct {
		const char *value;
		int granted;
	} steps[] = { { "no", 0 }, { "yes", 1 }, { "N", 0 }, { "是", 1 }, { "false", 0 } };
	for (size_t k = 0; k < sizeof steps / sizeof *steps; k++) {
		assert_int_equal(pv_update(s->v, &admin, id, "consent_marketing", steps[k].value),
				 PV_OK);
		pv_record *rec = get_ok(s->v, &admin, id);
		assert_int_equal(rec_consent(rec, "marketing"), steps[k].granted);
		assert_int_equal(pv_record_consent_count(rec), 1);
		pv_record_free(rec);
	}
	assert_int_equal(pv_update(s->v, &admin, id, "consent_marketing", "maybe"), PV_ERR_INPUT);
	assert_int_equal(pv_update(s->v, &admin, id, "consent_marketing", ""), PV_ERR_INPUT);
	pv_record *rec = get_ok(s->v, &admin, id);
	assert_int_equal(rec_consent(rec, "marketing"), 0);
	pv_record_free(rec);
	/* the export shows the consent column */
	pv_rc rc;
	char *text = export_text(s->v, &admin, PV_EXPORT_CSV, &rc);
	assert_int_equal(rc, PV_OK);
	struct pvt_csv t;
	assert_int_equal(pvt_csv_parse(text, &t), 0);
	size_t r = row_of(&t, id);
	assert_true(r > 0);
	assert_string_equal(pvt_csv_get(&t, r, "consent_marketing"), "no");
	pvt_csv_free(&t);
	free(text);
	/* the purpose itself is not a field or column */
	assert_int_equal(pv_update(s->v, &admin, id, "marketing", "yes"), PV_ERR_USAGE);
}

static void test_update_unknown(void **state)
{
	struct small *s = *state;
	pv_access admin = { "admin", NULL, 1 };
	assert_int_equal(pv_update(s->v, &admin, row_id(&s->csv, 1), "shoe_size", "42"),
			 PV_ERR_USAGE);
	assert_non_null(strstr(pv_errmsg(s->v), "shoe_size"));
	/* the id column is not a field that can be changed */
	assert_int_equal(pv_update(s->v, &admin, row_id(&s->csv, 1), "customer_id", "C1"),
			 PV_ERR_USAGE);
	assert_int_equal(pv_update(s->v, &admin, "C99999999", "name", "王五"), PV_ERR_NOT_FOUND);
	assert_non_null(strstr(pv_errmsg(s->v), "C99999999"));
	uint64_t n = 0;
	assert_int_equal(pv_vault_count(s->v, &n), PV_OK);
	assert_int_equal(n, 20);
	/* and a later update still works (no transaction left open) */
	assert_int_equal(pv_update(s->v, &admin, row_id(&s->csv, 1), "contract_no", "HT-9"),
			 PV_OK);
	char *now = clear_value(s->v, row_id(&s->csv, 1), "contract_no");
	assert_string_equal(now, "HT-9");
	free(now);
}

static void test_update_financial_group(void **state)
{
	struct small *s = *state;
	pv_access admin = { "admin", "all", 1 };
	const char *id = row_id(&s->csv, 8);
	pv_record *before = get_ok(s->v, &admin, id);
	char card[20] = "622202123456789012", spaced[32];
	card[18] = pv_luhn_check_digit(card, 18);
	card[19] = '\0';
	snprintf(spaced, sizeof spaced, "%.4s %.4s %.4s %.4s-%.3s", card, card + 4, card + 8,
		 card + 12, card + 16);
	assert_int_equal(pv_update(s->v, &admin, id, "bank_card", spaced), PV_OK);
	assert_int_equal(pv_update(s->v, &admin, id, "last_order_amount", "1,234,567.5"), PV_OK);
	pv_record *after = get_ok(s->v, &admin, id);
	for (size_t f = 0; f < NFIELDS; f++) {
		const char *name = fields[f].name;
		if (strcmp(name, "bank_card") == 0)
			assert_string_equal(pv_record_field_value(after, f), card);
		else if (strcmp(name, "last_order_amount") == 0)
			assert_string_equal(pv_record_field_value(after, f), "1234567.5");
		else
			assert_string_equal(pv_record_field_value(after, f),
					    pv_record_field_value(before, f));
	}
	pv_record_free(before);
	pv_record_free(after);
	pv_access fin = { "finance", "billing", 0 };
	pv_record *rec = get_ok(s->v, &fin, id);
	char want[32];
	snprintf(want, sizeof want, "6222***********%s", card + 15);
	assert_string_equal(rec_value(rec, "bank_card"), want);
	assert_string_equal(rec_value(rec, "last_order_amount"), ">=1000000");
	pv_record_free(rec);
}

/* The blind index must keep working after the vault is closed and opened again: the
 * index keys are derived from the root key, the same in every session. */
static void test_find_after_reopen(void **state)
{
	struct small *s = *state;
	pv_vault_close(s->v);
	s->v = NULL;
	char *dir = pvt_path(s->tmp, "vault"), *kp = pvt_path(s->tmp, "root.key");
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(kp, &key), PV_OK);
	pv_rc rc = pv_vault_open(dir, NULL, key, &s->v);
	pv_key_free(key);
	free(dir);
	free(kp);
	if (rc)
		fail_msg("pv_vault_open: %s", pv_errmsg(s->v));
	int found = 0, total = 0;
	for (size_t r = 1; r < s->csv.nrows; r++) {
		const char *id = row_id(&s->csv, r);
		static const char *const idx[] = { "name", "phone", "id_number", "email" };
		for (size_t k = 0; k < 4; k++) {
			const char *val = pvt_csv_get(&s->csv, r, idx[k]);
			if (!*val)
				continue;
			total++;
			found += finds(s->v, idx[k], val, id);
		}
	}
	if (found != total)
		fail_msg("after reopening, pv_find found %d of %d customers by their own values",
			 found, total);
}

int main(void)
{
	const struct CMUnitTest reads[] = {
		cmocka_unit_test(test_canonical_input_is_normal_form),
		cmocka_unit_test(test_find_only_role),
		cmocka_unit_test(test_export_file),
		cmocka_unit_test(test_get_admin_clear),
		cmocka_unit_test(test_get_admin_masked),
		cmocka_unit_test(test_get_clerk),
		cmocka_unit_test(test_get_finance),
		cmocka_unit_test(test_auditor_masked),
		cmocka_unit_test(test_purpose_filter),
		cmocka_unit_test(test_unknown_role_denied),
		cmocka_unit_test(test_operations_default_deny),
		cmocka_unit_test(test_get_not_found),
		cmocka_unit_test(test_find_every_indexed_field),
		cmocka_unit_test(test_find_errors),
		cmocka_unit_test(test_list_paging),
		cmocka_unit_test(test_export_csv_admin_clear),
		cmocka_unit_test(test_export_csv_masked_roles),
		cmocka_unit_test(test_export_jsonl),
	};
	const struct CMUnitTest updates[] = {
		cmocka_unit_test_setup_teardown(test_update_phone_reindexed, small_setup, small_teardown),
		cmocka_unit_test_setup_teardown(test_update_name_email_reindexed, small_setup,
						small_teardown),
		cmocka_unit_test_setup_teardown(test_update_id_number_lower_x, small_setup,
						small_teardown),
		cmocka_unit_test_setup_teardown(test_update_invalid_refused, small_setup, small_teardown),
		cmocka_unit_test_setup_teardown(test_update_fields_all_or_none, small_setup,
						small_teardown),
		cmocka_unit_test_setup_teardown(test_update_consent, small_setup, small_teardown),
		cmocka_unit_test_setup_teardown(test_update_unknown, small_setup, small_teardown),
		cmocka_unit_test_setup_teardown(test_update_financial_group, small_setup,
						small_teardown),
		cmocka_unit_test_setup_teardown(test_find_after_reopen, small_setup, small_teardown),
	};
	int failed = cmocka_run_group_tests_name("query: reads", reads, group_setup, group_teardown);
	failed += cmocka_run_group_tests_name("query: updates", updates, NULL, NULL);
	return failed ? 1 : 0;
}
