/* SPDX-License-Identifier: Apache-2.0 */
/* test_retention.c: the schema's retention rules (examples/schema.yaml: financial fields
 * kept 10y from last_order_date then shred; preferences kept 2y from created_at then
 * erase; everything else kept 5y from created_at then shred) as pv_retention_plan lists
 * them and pv_retention_apply carries them out.
 *
 * Four customers with chosen dates (not pvgen's random ones) make the due dates exact:
 *   C00000001 created 2020-01-15, last order 2019-06-01, preferences set
 *             -> erase preferences due 2022-01-15; whole shred due 2029-06-01 (financial)
 *   C00000002 created 2020-02-29 (leap day), last order 2021-07-01, preferences set
 *             -> erase preferences due 2022-02-28 (day clamped to the month's end)
 *   C00000003 created 2021-03-10, last order 2010-01-01, no preferences
 *             -> whole shred due 2026-03-10 (created_at + 5y is the latest due)
 *   C00000004 created 2015-05-20, last order 2018-11-30, preferences set
 *             -> erase preferences due 2017-05-20; whole shred due 2028-11-30
 * Covered: exact due dates and their boundaries, the leap day, the whole-customer due
 * date being the latest value's, plans never carrying values, apply (erase, shred, the
 * signed certificate, exact counts), legal holds, roles and four-eyes approval, bad
 * --as-of dates, and the pivault retention plan --json / apply -o commands. */
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pivault.h"

#define SCHEMA PV_SOURCE_DIR "/examples/schema.yaml"
#define AS_OF "2026-03-10"

static const char ADMIN_PW[] = "admin-password-1";
static const char DPO_PW[] = "dpo-password-1";
static const char CLERK_PW[] = "clerk-password-1";

static const pv_access ADMIN = { "admin", NULL, 0 };
static const pv_access CLERK = { "clerk", NULL, 0 };
static const pv_access READ_ALL = { "admin", "all", 1 };

static const char CSV[] =
	"customer_id,name,phone,id_number,email,address,bank_card,company_uscc,contract_no,"
	"last_order_amount,last_order_date,preferences,created_at,consent_marketing\n"
	"C00000001,李航泽,+8618454174663,510107198905120119,qpz2d73d@ruifeng-auto.com.cn,"
	"四川省成都市武侯区朝阳路34号翠苑小区4号楼2单元1601室,6228485961249359447,,,339.79,"
	"2019-06-01,周末送货PREFALPHA,2020-01-15T10:00:00+08:00,no\n"
	"C00000002,魏文斌,+8615753996866,340104196801142532,weiwenbin3556@aliyun.com,"
	"安徽省合肥市蜀山区复兴路74号9栋2507,6217008054363600050,,HT-2024-111558,36496.00,"
	"2021-07-01,对坚果过敏PREFBETA,2020-02-29T09:00:00+08:00,yes\n"
	"C00000003,宁文,+8613486858639,510104200509290483,,"
	"四川省成都市锦江区创业路45号紫荆园20号楼6单元2701室,6222623331779576008,,,4491.16,"
	"2010-01-01,,2021-03-10T12:00:00+08:00,yes\n"
	"C00000004,李清丽,+8613427198533,500103195408149729,lucky_li@163.com,"
	"重庆市渝中区和平路98弄16号1802室,4367422369903633,,,437.00,"
	"2018-11-30,不要发送营销短信PREFGAMMA,2015-05-20T08:00:00+08:00,yes\n";

static char *g_base;         /* pristine vault: vault/, vault.keyring, root.key */
static char *g_key_path;
static struct pvt_csv g_csv; /* the customers imported */

struct fx {
	char *tmp;
	char *dir;
};



/* ---- plans ---- */

struct item {
	char id[64], action[16], fields[256], rule[256], due[16], held[128];
};

struct plan {
	size_t n;
	struct item it[16];
};

static int collect(void *ctx, const pv_retention_item *it)
{
	struct plan *p = ctx;
	if (p->n == sizeof p->it / sizeof *p->it)
		return 1; /* more items than there are customers: fails the count checks */
	struct item *d = &p->it[p->n++];
	snprintf(d->id, sizeof d->id, "%s", it->id);
	snprintf(d->action, sizeof d->action, "%s", it->action);
	snprintf(d->fields, sizeof d->fields, "%s", it->fields);
	snprintf(d->rule, sizeof d->rule, "%s", it->rule);
	snprintf(d->due, sizeof d->due, "%s", it->due);
	snprintf(d->held, sizeof d->held, "%s", it->held);
	return 0;
}

static pv_rc plan_rc(pv_vault *v, const pv_access *who, const char *as_of, struct plan *p)
{
	memset(p, 0, sizeof *p);
	return pv_retention_plan(v, who, as_of, collect, p, NULL);
}

static void plan_ok(pv_vault *v, const char *as_of, struct plan *p)
{
	assert_ok(v, plan_rc(v, &ADMIN, as_of, p));
}

static const struct item *find_item(const struct plan *p, const char *id)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->it[i].id, id) == 0)
			return &p->it[i];
	return NULL;
}

/* id is in the plan with exactly this action, fields, due date and hold. */
static void expect_item(const struct plan *p, const char *id, const char *action,
			const char *fields, const char *due, const char *held)
{
	const struct item *it = find_item(p, id);
	if (!it)
		fail_msg("%s is not in the plan (%zu items)", id, p->n);
	assert_string_equal(it->action, action);
	assert_string_equal(it->fields, fields);
	assert_string_equal(it->due, due);
	assert_string_equal(it->held, held);
	assert_true(*it->rule);
}

/* The plan as of AS_OF on the untouched vault. */
static void expect_base_plan(const struct plan *p, const char *held1, const char *held3)
{
	assert_int_equal(p->n, 4);
	expect_item(p, "C00000001", "erase", "preferences", "2022-01-15", held1);
	expect_item(p, "C00000002", "erase", "preferences", "2022-02-28", "");
	expect_item(p, "C00000003", "shred", "", "2026-03-10", held3);
	expect_item(p, "C00000004", "erase", "preferences", "2017-05-20", "");
}

/* ---- records ---- */

static pv_rc get_rc(pv_vault *v, const char *id)
{
	pv_record *r = NULL;
	pv_rc rc = pv_get(v, &READ_ALL, id, &r);
	pv_record_free(r);
	return rc;
}

static size_t row_of(const char *id)
{
	for (size_t r = 1; r < g_csv.nrows; r++)
		if (strcmp(pvt_csv_get(&g_csv, r, "customer_id"), id) == 0)
			return r;
	fail_msg("no customer %s in the CSV", id);
	return 0;
}

static const char *cust(const char *id, const char *col)
{
	const char *s = pvt_csv_get(&g_csv, row_of(id), col);
	assert_non_null(s);
	return s;
}

/* Every field of customer id reads in clear as imported, except `erased`, which must
 * read empty (NULL: none erased). */
static void expect_record(pv_vault *v, const char *id, const char *erased)
{
	pv_record *r = NULL;
	pv_rc rc = pv_get(v, &READ_ALL, id, &r);
	if (rc)
		fail_msg("pv_get(%s): rc %d: %s", id, rc, pv_errmsg(v));
	size_t checked = 0;
	for (size_t i = 0; i < pv_record_field_count(r); i++) {
		const char *name = pv_record_field_name(r, i);
		const char *val = pv_record_field_value(r, i);
		if (!val) {
			pv_record_free(r);
			fail_msg("%s: field %s hidden", id, name);
		}
		const char *want = erased && strcmp(name, erased) == 0 ? "" : cust(id, name);
		if (strcmp(val, want) != 0) {
			pv_record_free(r);
			fail_msg("%s: field %s reads '%s', want '%s'", id, name, val, want);
		}
		checked++;
	}
	pv_record_free(r);
	assert_int_equal(checked, 12);
}

static uint64_t count_of(pv_vault *v)
{
	uint64_t n = 0;
	assert_ok(v, pv_vault_count(v, &n));
	return n;
}

/* ---- certificates ---- */

struct certs {
	size_t n;
	char *text[8];
};

static int keep_cert(void *ctx, const char *cert)
{
	struct certs *c = ctx;
	if (c->n == sizeof c->text / sizeof *c->text)
		return 1;
	c->text[c->n++] = pvt_keep(strdup(cert));
	return 0;
}

/* The certificate verifies with v's public key, covers exactly the ids given, and fails
 * once a digit of it is changed. */
static void expect_certificate(pv_vault *v, const char *cert, const char *const *ids, size_t n)
{
	char pk[65], why[512];
	assert_ok(v, pv_vault_public_key(v, pk));
	pv_rc rc = pvt_certificate_verify(cert, pk, why, sizeof why);
	if (rc)
		fail_msg("certificate does not verify: rc %d: %s", rc, why);
	json_error_t err;
	json_t *doc = json_loads(cert, 0, &err);
	assert_non_null(doc);
	json_t *body = json_object_get(doc, "certificate"); /* the signed part */
	json_t *cs = json_object_get(body, "customers");
	int ok = json_is_array(cs) && json_array_size(cs) == n &&
		 json_integer_value(json_object_get(body, "count")) == (json_int_t)n;
	for (size_t i = 0; ok && i < n; i++) {
		int found = 0;
		for (size_t k = 0; k < json_array_size(cs); k++) {
			json_t *e = json_array_get(cs, k);
			const char *s = json_is_string(e) ? json_string_value(e)
				      : json_string_value(json_object_get(e, "id"));
			found |= s && strcmp(s, ids[i]) == 0;
		}
		ok = found;
	}
	json_decref(doc);
	if (!ok)
		fail_msg("certificate does not list exactly the shredded ids: %s", cert);
	/* tampered: the count changed */
	char *t = pvt_keep(strdup(cert));
	char *c = strstr(t, "\"count\"");
	assert_non_null(c);
	c = strpbrk(c, "0123456789");
	assert_non_null(c);
	*c = *c == '9' ? '8' : (char)(*c + 1);
	assert_int_not_equal(pvt_certificate_verify(t, pk, why, sizeof why), PV_OK);
}

/* ---- fixtures ---- */

static void add_user_root(const char *dir, const char *name, const char *roles, const char *pw)
{
	pv_vault *v = pvt_open_root(dir, NULL, g_key_path);
	pv_rc rc = pvt_user_add(v, &ADMIN, name, roles, pw, strlen(pw));
	if (rc)
		fail_msg("pvt_user_add(%s): %s", name, pv_errmsg(v));
	pvt_vclose(v);
}

static int group_setup(void **state)
{
	(void)state;
	unsetenv("PIVAULT_VAULT");
	unsetenv("PIVAULT_KEY_FILE");
	unsetenv("PIVAULT_KEYRING");
	unsetenv("PIVAULT_PASSPHRASE_FILE");
	unsetenv("PIVAULT_USER");
	unsetenv("PIVAULT_PASSWORD_FILE");
	g_base = pvt_tempdir();
	g_key_path = pvt_path(g_base, "root.key");
	char *dir = pvt_path(g_base, "vault");
	char *csv_path = pvt_path(g_base, "in.csv");
	assert_int_equal(pvt_write_file(csv_path, CSV, strlen(CSV)), 0);
	assert_int_equal(pvt_csv_parse(CSV, &g_csv), 0);
	assert_int_equal(g_csv.nrows, 5);

	assert_int_equal(pv_key_generate_file(g_key_path), PV_OK);
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(g_key_path, &key), PV_OK);
	pv_create_opts opts = { .schema_path = SCHEMA, .keyring_slots = 1024, .kdf_cost = PV_KDF_FAST,
				.admin_user = "admin", .admin_password = ADMIN_PW,
				.admin_password_len = strlen(ADMIN_PW) };
	pv_vault *v = NULL;
	pv_rc rc = pv_vault_create(dir, &opts, key, &v);
	pv_key_free(key);
	if (rc)
		fail_msg("pv_vault_create: %s", pv_errmsg(v));
	pv_import_opts io = { 0 };
	io.threads = 1;
	pv_import_result *res = NULL;
	rc = pv_import_csv(v, &ADMIN, csv_path, &io, &res);
	if (rc)
		fail_msg("pv_import_csv: %s", pv_errmsg(v));
	assert_int_equal(pv_import_rows_imported(res), 4);
	pv_import_free(res);
	pvt_vclose(v);
	add_user_root(dir, "dpo1", "dpo", DPO_PW);
	add_user_root(dir, "clerk1", "clerk", CLERK_PW);
	unlink(csv_path);
	free(csv_path);
	free(dir);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	pvt_release_all();
	pvt_csv_free(&g_csv);
	pvt_rmtree(g_base);
	free(g_base);
	free(g_key_path);
	return 0;
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->tmp = pvt_tempdir();
	f->dir = pvt_path(f->tmp, "vault");
	pvt_copy_vault(g_base, f->tmp);
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
	free(f);
	return 0;
}

/* ---- 1. due dates ---------------------------------------------------------------- */

static void test_plan_due_dates(void **state)
{
	struct fx *f = *state;
	pv_vault *v = pvt_open_root(f->dir, NULL, g_key_path);
	struct plan p;

	/* preferences: created_at + 2y, to the day */
	plan_ok(v, "2022-01-14", &p);
	assert_null(find_item(&p, "C00000001"));
	expect_item(&p, "C00000004", "erase", "preferences", "2017-05-20", "");
	plan_ok(v, "2022-01-15", &p);
	expect_item(&p, "C00000001", "erase", "preferences", "2022-01-15", "");
	assert_null(find_item(&p, "C00000002"));

	/* the leap day: 2020-02-29 + 2y = 2022-02-28 */
	plan_ok(v, "2022-02-27", &p);
	assert_null(find_item(&p, "C00000002"));
	plan_ok(v, "2022-02-28", &p);
	expect_item(&p, "C00000002", "erase", "preferences", "2022-02-28", "");

	/* nothing due at all before the first preferences fell due */
	plan_ok(v, "2017-05-19", &p);
	assert_int_equal(p.n, 0);

	/* the whole customer: due when the latest value is. C00000003's financial values fell
	 * due in 2020 but its created_at + 5y only on 2026-03-10 */
	plan_ok(v, "2026-03-09", &p);
	assert_null(find_item(&p, "C00000003"));
	assert_int_equal(p.n, 3);
	plan_ok(v, AS_OF, &p);
	expect_base_plan(&p, "", "");

	/* C00000004: created_at + 5y in 2020, the last order + 10y on 2028-11-30 */
	plan_ok(v, "2028-11-29", &p);
	expect_item(&p, "C00000004", "erase", "preferences", "2017-05-20", "");
	plan_ok(v, "2028-11-30", &p);
	expect_item(&p, "C00000004", "shred", "", "2028-11-30", "");

	/* C00000001: 2019-06-01 + 10y */
	plan_ok(v, "2029-05-31", &p);
	expect_item(&p, "C00000001", "erase", "preferences", "2022-01-15", "");
	plan_ok(v, "2029-06-01", &p);
	expect_item(&p, "C00000001", "shred", "", "2029-06-01", "");
	/* C00000002: 2021-07-01 + 10y */
	plan_ok(v, "2031-07-01", &p);
	assert_int_equal(p.n, 4);
	expect_item(&p, "C00000002", "shred", "", "2031-07-01", "");

	/* the plan changes nothing */
	assert_int_equal(count_of(v), 4);
	expect_record(v, "C00000001", NULL);
	expect_record(v, "C00000003", NULL);
}

/* ---- 2. no values in a plan -------------------------------------------------------- */

static void expect_no_values(const struct plan *p)
{
	static const char *const cols[] = { "name", "phone", "id_number", "email", "address",
					    "bank_card", "contract_no", "last_order_amount",
					    "preferences" };
	for (size_t i = 0; i < p->n; i++) {
		const struct item *it = &p->it[i];
		char all[1024];
		snprintf(all, sizeof all, "%s|%s|%s|%s|%s|%s", it->id, it->action, it->fields,
			 it->rule, it->due, it->held);
		for (size_t r = 1; r < g_csv.nrows; r++)
			for (size_t c = 0; c < sizeof cols / sizeof *cols; c++) {
				const char *val = pvt_csv_get(&g_csv, r, cols[c]);
				if (*val && strstr(all, val))
					fail_msg("plan item '%s' carries the %s of row %zu", all,
						 cols[c], r);
			}
		/* the phone without its country code, and a recognisable part of the
		 * preferences text */
		for (size_t r = 1; r < g_csv.nrows; r++) {
			const char *ph = pvt_csv_get(&g_csv, r, "phone");
			assert_null(strstr(all, ph + 3));
		}
		assert_null(strstr(all, "PREF"));
	}
}

static void test_plan_no_values(void **state)
{
	struct fx *f = *state;
	pv_vault *v = pvt_open_root(f->dir, NULL, g_key_path);
	struct plan p;
	plan_ok(v, AS_OF, &p);
	assert_int_equal(p.n, 4);
	expect_no_values(&p);
	plan_ok(v, "2040-01-01", &p);
	assert_int_equal(p.n, 4);
	for (size_t i = 0; i < p.n; i++)
		assert_string_equal(p.it[i].action, "shred");
	expect_no_values(&p);
	/* and a hold reason is shown as given (it is not a customer value) */
	const char *ids[] = { "C00000003" };
	assert_ok(v, pv_hold_add(v, &ADMIN, ids, 1, "case 7 audit"));
	plan_ok(v, AS_OF, &p);
	expect_no_values(&p);
	expect_item(&p, "C00000003", "shred", "", "2026-03-10", "case 7 audit");
}

/* ---- 3. apply ---------------------------------------------------------------------- */

static void test_apply(void **state)
{
	struct fx *f = *state;
	pv_vault *v = pvt_open_root(f->dir, NULL, g_key_path);
	struct certs c = { 0 };
	uint64_t shredded = 99, erased = 99, held = 99, undetermined = 99;
	assert_ok(v, pv_retention_apply(v, &ADMIN, AS_OF, keep_cert, &c, &shredded, &erased,
					&held, &undetermined));
	assert_int_equal(shredded, 1);
	assert_int_equal(erased, 3);
	assert_int_equal(undetermined, 0);
	assert_int_equal(held, 0);

	/* erased: preferences only; everything else as imported */
	expect_record(v, "C00000001", "preferences");
	expect_record(v, "C00000002", "preferences");
	expect_record(v, "C00000004", "preferences");
	/* shredded whole, with one certificate */
	assert_int_equal(get_rc(v, "C00000003"), PV_ERR_NOT_FOUND);
	assert_int_equal(count_of(v), 3);
	assert_int_equal(c.n, 1);
	const char *ids[] = { "C00000003" };
	expect_certificate(v, c.text[0], ids, 1);

	/* done: nothing left due, and a second run does nothing */
	struct plan p;
	plan_ok(v, AS_OF, &p);
	assert_int_equal(p.n, 0);
	assert_ok(v, pv_retention_apply(v, &ADMIN, AS_OF, keep_cert, &c, &shredded, &erased,
					&held, &undetermined));
	assert_int_equal(shredded, 0);
	assert_int_equal(erased, 0);
	assert_int_equal(held, 0);
	assert_int_equal(c.n, 1);

	/* the erase holds in a fresh session too */
	pvt_vclose(v);
	v = pvt_open_root(f->dir, NULL, g_key_path);
	expect_record(v, "C00000001", "preferences");
	assert_int_equal(get_rc(v, "C00000003"), PV_ERR_NOT_FOUND);

	/* years later the rest is shredded, several customers under one certificate */
	c.n = 0;
	assert_ok(v, pv_retention_apply(v, &ADMIN, "2031-07-01", keep_cert, &c, &shredded,
					&erased, &held, &undetermined));
	assert_int_equal(shredded, 3);
	assert_int_equal(erased, 0);
	assert_int_equal(held, 0);
	assert_int_equal(count_of(v), 0);
	assert_int_equal(c.n, 1);
	const char *rest[] = { "C00000001", "C00000002", "C00000004" };
	expect_certificate(v, c.text[0], rest, 3);
}

/* ---- 4. legal holds --------------------------------------------------------------- */

static void test_holds(void **state)
{
	struct fx *f = *state;
	pv_vault *v = pvt_open_root(f->dir, NULL, g_key_path);
	const char *ids[] = { "C00000003", "C00000001" };
	assert_ok(v, pv_hold_add(v, &ADMIN, ids, 2, "litigation 2026-17"));
	struct plan p;
	plan_ok(v, AS_OF, &p);
	expect_base_plan(&p, "litigation 2026-17", "litigation 2026-17");

	struct certs c = { 0 };
	uint64_t shredded = 99, erased = 99, held = 99, undetermined = 99;
	assert_ok(v, pv_retention_apply(v, &ADMIN, AS_OF, keep_cert, &c, &shredded, &erased,
					&held, &undetermined));
	assert_int_equal(shredded, 0);
	assert_int_equal(erased, 2);
	assert_int_equal(held, 2);
	assert_int_equal(c.n, 0);
	expect_record(v, "C00000003", NULL);
	expect_record(v, "C00000001", NULL);
	expect_record(v, "C00000002", "preferences");
	expect_record(v, "C00000004", "preferences");
	plan_ok(v, AS_OF, &p);
	assert_int_equal(p.n, 2);
	expect_item(&p, "C00000001", "erase", "preferences", "2022-01-15", "litigation 2026-17");
	expect_item(&p, "C00000003", "shred", "", "2026-03-10", "litigation 2026-17");

	/* released: applied */
	assert_ok(v, pv_hold_release(v, &ADMIN, ids, 2, "case closed"));
	plan_ok(v, AS_OF, &p);
	assert_int_equal(p.n, 2);
	expect_item(&p, "C00000001", "erase", "preferences", "2022-01-15", "");
	expect_item(&p, "C00000003", "shred", "", "2026-03-10", "");
	assert_ok(v, pv_retention_apply(v, &ADMIN, AS_OF, keep_cert, &c, &shredded, &erased,
					&held, &undetermined));
	assert_int_equal(shredded, 1);
	assert_int_equal(erased, 1);
	assert_int_equal(held, 0);
	assert_int_equal(c.n, 1);
	const char *gone[] = { "C00000003" };
	expect_certificate(v, c.text[0], gone, 1);
	assert_int_equal(get_rc(v, "C00000003"), PV_ERR_NOT_FOUND);
	expect_record(v, "C00000001", "preferences");
}

/* ---- 5. roles and four-eyes approval ------------------------------------------------- */

/* Ask on a (admin) for applying retention as of as_of: the run stops before doing
 * anything, having stated what it would shred and erase; the request id (kept). */
static char *ask_apply(pv_vault *a, const char *as_of)
{
	uint64_t shredded = 9, erased = 9, held = 9, undetermined = 9;
	assert_ok(a, pv_request_begin(a, "yearly purge", 0, NULL));
	assert_int_equal(pv_retention_apply(a, NULL, as_of, NULL, NULL, &shredded, &erased, &held, &undetermined),
			 PV_REQUESTED);
	assert_int_equal(shredded + erased + held, 0);
	char *id = NULL;
	assert_ok(a, pv_request_submit(a, &id));
	return pvt_keep(id);
}

/* The vault is as imported: the base plan, and every customer reads unchanged. */
static void expect_untouched(const char *dir)
{
	pv_vault *v = pvt_open_root(dir, NULL, g_key_path);
	struct plan p;
	plan_ok(v, AS_OF, &p);
	expect_base_plan(&p, "", "");
	assert_int_equal(count_of(v), 4);
	for (size_t r = 1; r < g_csv.nrows; r++)
		expect_record(v, pvt_csv_get(&g_csv, r, "customer_id"), NULL);
	pvt_vclose(v);
}

static void test_authorization(void **state)
{
	struct fx *f = *state;
	struct plan p;
	uint64_t shredded = 99, erased = 99, held = 99, undetermined = 99;

	/* a role without 'retention', through the root key and as a user */
	pv_vault *v = pvt_open_root(f->dir, NULL, g_key_path);
	assert_int_equal(plan_rc(v, &CLERK, AS_OF, &p), PV_ERR_DENIED);
	assert_int_equal(p.n, 0);
	assert_int_equal(pv_retention_apply(v, &CLERK, AS_OF, NULL, NULL, &shredded, &erased,
					     &held, &undetermined), PV_ERR_DENIED);
	assert_int_equal(shredded + erased + held, 0);
	pvt_vclose(v);
	v = pvt_open_user(f->dir, "clerk1", CLERK_PW);
	assert_int_equal(plan_rc(v, NULL, AS_OF, &p), PV_ERR_DENIED);
	assert_int_equal(p.n, 0);
	assert_int_equal(pv_retention_apply(v, NULL, AS_OF, NULL, NULL, &shredded, &erased,
					    &held, &undetermined), PV_ERR_DENIED);
	pvt_vclose(v);
	expect_untouched(f->dir);

	/* a user with 'retention' may plan, but not apply without an approved request */
	pv_vault *a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	assert_ok(a, plan_rc(a, NULL, AS_OF, &p));
	expect_base_plan(&p, "", "");
	struct certs c = { 0 };
	assert_rc_msg(a, pv_retention_apply(a, NULL, AS_OF, keep_cert, &c, &shredded, &erased,
					    &held, &undetermined), PV_ERR_DENIED, "four-eyes");
	assert_int_equal(shredded + erased + held, 0);
	assert_int_equal(c.n, 0);
	pvt_vclose(a);
	expect_untouched(f->dir);

	/* a request: not approved yet, then not by its own requester */
	a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	char *id = ask_apply(a, AS_OF);
	assert_int_equal(pv_vault_use_request(a, id),
			 PV_ERR_DENIED);
	assert_rc_msg(a, pv_request_decide(a, NULL, id, 1, NULL), PV_ERR_DENIED, "four eyes");
	assert_int_equal(pv_retention_apply(a, NULL, AS_OF, keep_cert, &c, &shredded, &erased,
					    &held, &undetermined), PV_ERR_DENIED);
	pvt_vclose(a);
	expect_untouched(f->dir);

	/* approved by another user: it runs, once */
	pv_vault *d = pvt_open_user(f->dir, "dpo1", DPO_PW);
	assert_ok(d, pv_request_decide(d, NULL, id, 1, NULL));
	pvt_vclose(d);
	a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	assert_ok(a, pv_vault_use_request(a, id));
	assert_ok(a, pv_retention_apply(a, NULL, AS_OF, keep_cert, &c, &shredded, &erased,
					&held, &undetermined));
	assert_int_equal(shredded, 1);
	assert_int_equal(erased, 3);
	assert_int_equal(held, 0);
	assert_int_equal(c.n, 1);
	/* not twice in the same session ... */
	assert_rc_msg(a, pv_retention_apply(a, NULL, "2031-07-01", keep_cert, &c, &shredded,
					    &erased, &held, &undetermined), PV_ERR_DENIED, "four-eyes");
	assert_int_equal(shredded + erased + held, 0);
	pvt_vclose(a);
	/* ... nor in another */
	a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	assert_rc_msg(a, pv_vault_use_request(a, id), PV_ERR_DENIED,
		      "used already");
	assert_int_equal(pv_retention_apply(a, NULL, "2031-07-01", keep_cert, &c, &shredded,
					    &erased, &held, &undetermined), PV_ERR_DENIED);
	pvt_vclose(a);

	v = pvt_open_root(f->dir, NULL, g_key_path);
	assert_int_equal(count_of(v), 3);
	assert_int_equal(get_rc(v, "C00000003"), PV_ERR_NOT_FOUND);
	expect_record(v, "C00000002", "preferences");
	expect_certificate(v, c.text[0], (const char *[]){ "C00000003" }, 1);
}

/* What is due is frozen into the request: when the set changes after the approval (a
 * customer put under a legal hold, so no longer shredded), the run is refused and nothing
 * is erased or shredded; asked again, it runs. */
static void test_approved_set_frozen(void **state)
{
	struct fx *f = *state;
	pv_vault *a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	char *id = ask_apply(a, AS_OF);
	pvt_vclose(a);
	pv_vault *d = pvt_open_user(f->dir, "dpo1", DPO_PW);
	assert_ok(d, pv_request_decide(d, NULL, id, 1, NULL));
	pvt_vclose(d);
	pv_vault *v = pvt_open_root(f->dir, NULL, g_key_path);
	const char *ids[] = { "C00000003" };
	assert_ok(v, pv_hold_add(v, &ADMIN, ids, 1, "dispute opened after the approval"));
	pvt_vclose(v);

	a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	assert_ok(a, pv_vault_use_request(a, id));
	uint64_t shredded = 9, erased = 9, held = 9, undetermined = 9;
	assert_rc_msg(a, pv_retention_apply(a, NULL, AS_OF, NULL, NULL, &shredded, &erased, &held, &undetermined),
		      PV_ERR_DENIED, "differs from what was approved");
	assert_int_equal(shredded + erased, 0);
	pvt_vclose(a);
	v = pvt_open_root(f->dir, NULL, g_key_path);
	assert_int_equal(count_of(v), 4);
	for (size_t r = 1; r < g_csv.nrows; r++)
		expect_record(v, pvt_csv_get(&g_csv, r, "customer_id"), NULL);
	pvt_vclose(v);
}

/* ---- 6. bad dates ------------------------------------------------------------------ */

static void test_bad_as_of(void **state)
{
	struct fx *f = *state;
	static const char *const bad[] = { "2022-13-01", "yesterday", "2022-02-30", "2022-00-10",
					   "", "2022-01-15T00:00:00Z", "20220115", "2022-1-150",
					   "2022-01-1x", " 2022-1-15", "+2022-01-15" };
	pv_vault *v = pvt_open_root(f->dir, NULL, g_key_path);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct plan p;
		pv_rc rc = plan_rc(v, &ADMIN, bad[i], &p);
		if (rc != PV_ERR_USAGE)
			fail_msg("plan --as-of '%s': rc %d, want PV_ERR_USAGE", bad[i], rc);
		assert_int_equal(p.n, 0);
		uint64_t shredded = 99, erased = 99, held = 99, undetermined = 99;
		struct certs c = { 0 };
		rc = pv_retention_apply(v, &ADMIN, bad[i], keep_cert, &c, &shredded, &erased, &held, &undetermined);
		if (rc != PV_ERR_USAGE)
			fail_msg("apply --as-of '%s': rc %d, want PV_ERR_USAGE", bad[i], rc);
		assert_int_equal(shredded + erased + held, 0);
		assert_int_equal(c.n, 0);
	}
	pvt_vclose(v);
	expect_untouched(f->dir);

	/* a bad date does not use up an approval */
	pv_vault *a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	char *id = ask_apply(a, AS_OF);
	pvt_vclose(a);
	pv_vault *d = pvt_open_user(f->dir, "dpo1", DPO_PW);
	assert_ok(d, pv_request_decide(d, NULL, id, 1, NULL));
	pvt_vclose(d);
	a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	assert_ok(a, pv_vault_use_request(a, id));
	uint64_t shredded, erased, held, undetermined;
	assert_int_equal(pv_retention_apply(a, NULL, "yesterday", NULL, NULL, &shredded, &erased,
					    &held, &undetermined), PV_ERR_USAGE);
	pvt_vclose(a);
	expect_untouched(f->dir);
	a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	assert_ok(a, pv_vault_use_request(a, id));
	assert_ok(a, pv_retention_apply(a, NULL, AS_OF, NULL, NULL, &shredded, &erased, &held, &undetermined));
	assert_int_equal(shredded, 1);
	assert_int_equal(erased, 3);
}

/* ---- 7. the pivault retention command ------------------------------------------------- */

#define CLI_ENV "PIVAULT_VAULT='%s' PIVAULT_KEY_FILE='%s' '%s' retention "

static void test_cli(void **state)
{
	struct fx *f = *state;
	const char *pv = pvt_program("pivault-test");
	char *errp = pvt_keep(pvt_path(f->tmp, "stderr.txt"));
	char *out = NULL;
	assert_int_equal(pvt_run(&out, CLI_ENV "plan --as-of " AS_OF " --json --role admin "
				 "2>'%s'", f->dir, g_key_path, pv, errp), 0);
	pvt_keep(out);

	/* one JSON object a line, the same as the API's plan */
	struct plan p = { 0 };
	size_t lines = 0, summaries = 0;
	char *save = NULL;
	char *copy = pvt_keep(strdup(out));
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_error_t err;
		json_t *o = json_loads(line, 0, &err);
		if (!o)
			fail_msg("not JSON: '%s': %s", line, err.text);
		json_t *sum = json_object_get(o, "summary");
		if (sum) { /* the last line: the counts */
			assert_null(strtok_r(NULL, "\n", &save));
			assert_string_equal(json_string_value(json_object_get(sum, "as_of")), AS_OF);
			assert_int_equal(json_integer_value(json_object_get(sum, "shred")), 1);
			assert_int_equal(json_integer_value(json_object_get(sum, "erase")), 3);
			assert_int_equal(json_integer_value(json_object_get(sum, "held")), 0);
			assert_int_equal(json_integer_value(json_object_get(sum, "undetermined")), 0);
			json_decref(o);
			summaries++;
			break;
		}
		const char *keys[] = { "id", "action", "fields", "rule", "due", "held" };
		pv_retention_item it;
		const char **dst[] = { &it.id, &it.action, &it.fields, &it.rule, &it.due, &it.held };
		for (size_t k = 0; k < 6; k++) {
			json_t *s = json_object_get(o, keys[k]);
			if (!json_is_string(s)) {
				json_decref(o);
				fail_msg("line '%s' has no string %s", line, keys[k]);
			}
			*dst[k] = json_string_value(s);
		}
		collect(&p, &it);
		json_decref(o);
		lines++;
	}
	assert_int_equal(lines, 4);
	assert_int_equal(summaries, 1);
	expect_base_plan(&p, "", "");
	expect_no_values(&p);

	/* apply -o refuses a file that exists, and does nothing */
	char *existing = pvt_keep(pvt_path(f->tmp, "certs.jsonl"));
	assert_int_equal(pvt_write_file(existing, "keep me\n", 8), 0);
	int st = pvt_run(NULL, CLI_ENV "apply --as-of " AS_OF " -o '%s' --role admin 2>'%s'",
			 f->dir, g_key_path, pv, existing, errp);
	assert_int_not_equal(st, 0);
	char *kept = pvt_keep(pvt_read_file(existing, NULL));
	assert_non_null(kept);
	assert_string_equal(kept, "keep me\n");
	char *out2 = NULL;
	assert_int_equal(pvt_run(&out2, CLI_ENV "plan --as-of " AS_OF " --json --role admin "
				 "2>'%s'", f->dir, g_key_path, pv, errp), 0);
	pvt_keep(out2);
	assert_string_equal(out2, out);
	expect_untouched(f->dir);

	/* to a new file: applied, the certificate there, and it verifies */
	char *fresh = pvt_keep(pvt_path(f->tmp, "new-certs.jsonl"));
	assert_int_equal(pvt_run(NULL, CLI_ENV "apply --as-of " AS_OF " -o '%s' --role admin "
				 "2>'%s'", f->dir, g_key_path, pv, fresh, errp), 0);
	char *msg = pvt_keep(pvt_read_file(errp, NULL));
	assert_non_null(msg);
	assert_non_null(strstr(msg, "1 customers shredded, 3 erased, 0 held back, 0 values "
				"undetermined"));
	char *cert = pvt_keep(pvt_read_file(fresh, NULL));
	assert_non_null(cert);
	pv_vault *v = pvt_open_root(f->dir, NULL, g_key_path);
	expect_certificate(v, cert, (const char *[]){ "C00000003" }, 1);
	char pk[65];
	assert_ok(v, pv_vault_public_key(v, pk));
	pvt_vclose(v);
	char *vout = NULL;
	assert_int_equal(pvt_run(&vout, "'%s' certificate verify '%s' --public-key %s 2>'%s'", pv,
				 fresh, pk, errp), 0);
	pvt_keep(vout);
	assert_non_null(strstr(vout, "valid"));
	char *out3 = NULL;
	assert_int_equal(pvt_run(&out3, CLI_ENV "plan --as-of " AS_OF " --json --role admin "
				 "2>'%s'", f->dir, g_key_path, pv, errp), 0);
	pvt_keep(out3);
	assert_string_equal(out3, "{\"summary\":{\"as_of\":\"" AS_OF "\",\"shred\":0,\"erase\":0,"
			    "\"held\":0,\"undetermined\":0,\"undetermined_customers\":0}}\n");
}

/* An anonymise rule keeps only the public fields (company_uscc, created_at) once due: a
 * copy of the sample schema whose preferences rule says anonymise instead of erase. */
static void test_anonymise(void **state)
{
	struct fx *f = *state;
	char *text = pvt_keep(pvt_read_file(SCHEMA, NULL));
	assert_non_null(text);
	char *at = strstr(text, "then: erase}");
	assert_non_null(at);
	char *schema = pvt_keep(malloc(strlen(text) + 16));
	assert_non_null(schema);
	sprintf(schema, "%.*sthen: anonymise}%s", (int)(at - text), text, at + strlen("then: erase}"));
	char *schema_path = pvt_keep(pvt_path(f->tmp, "anonymise.yaml"));
	char *csv_path = pvt_keep(pvt_path(f->tmp, "in.csv"));
	char *dir = pvt_keep(pvt_path(f->tmp, "anon"));
	assert_int_equal(pvt_write_file(schema_path, schema, strlen(schema)), 0);
	assert_int_equal(pvt_write_file(csv_path, CSV, strlen(CSV)), 0);
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(g_key_path, &key), PV_OK);
	pv_create_opts opts = { .schema_path = schema_path, .keyring_slots = 1024 };
	pv_vault *v = NULL;
	pv_rc rc = pv_vault_create(dir, &opts, key, &v);
	pv_key_free(key);
	if (rc)
		fail_msg("pv_vault_create: %s", pv_errmsg(v));
	pvt_track(v);
	pv_import_opts io = { .threads = 1 };
	pv_import_result *res = NULL;
	assert_ok(v, pv_import_csv(v, &ADMIN, csv_path, &io, &res));
	pv_import_free(res);

	/* as of 2022-01-15: C00000001 (due that day) and C00000004 (due 2017-05-20) */
	uint64_t shredded, erased, held, undetermined;
	assert_ok(v, pv_retention_apply(v, &ADMIN, "2022-01-15", NULL, NULL, &shredded, &erased,
					&held, &undetermined));
	assert_int_equal(shredded, 0);
	assert_int_equal(erased, 2);
	assert_int_equal(held, 0);
	static const char *const anonymised[] = { "C00000001", "C00000004" };
	for (size_t k = 0; k < 2; k++) {
		pv_record *r = NULL;
		assert_ok(v, pv_get(v, &READ_ALL, anonymised[k], &r));
		size_t kept = 0;
		for (size_t i = 0; i < pv_record_field_count(r); i++) {
			const char *name = pv_record_field_name(r, i);
			const char *val = pv_record_field_value(r, i);
			int public = strcmp(name, "company_uscc") == 0 || strcmp(name, "created_at") == 0;
			const char *want = public ? cust(anonymised[k], name) : "";
			if (!val || strcmp(val, want) != 0) {
				pv_record_free(r);
				fail_msg("%s: %s reads '%s', want '%s'", anonymised[k], name,
					 val ? val : "(hidden)", want);
			}
			kept += public;
		}
		pv_record_free(r);
		assert_int_equal(kept, 2);
	}
	expect_record(v, "C00000002", NULL);
	expect_record(v, "C00000003", NULL);
	pvt_vclose(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plan_due_dates, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_plan_no_values, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_apply, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_holds, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_authorization, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_approved_set_frozen, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bad_as_of, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_cli, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_anonymise, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
