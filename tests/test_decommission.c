/* SPDX-License-Identifier: Apache-2.0 */
/* test_decommission.c: the wind-down of a deregistered company (注销) on the retail
 * schema, whose financial retention rule names a law. The plan (customers kept whole
 * under a legal hold, customers whose financial values a law keeps until last order + 10
 * years, how many are destroyed, open requests); the run (every customer shredded, the
 * signed final report checked by hand against the vault key, its counts and certificate
 * hashes, each certificate verified and naming the archive); the archive opened with the
 * keeper's age identity (the held customer whole, the law-kept one with its financial
 * values only, nobody else) and imported by another vault; bad keeper keys and an
 * existing archive refused before anything is destroyed; roles and four-eyes approval;
 * a deletion request refused while a law keeps the data; and a value typed in place of a
 * customer id never echoed in a message nor written to the audit log. */
#define _GNU_SOURCE /* memmem */
#include "testutil.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pivault.h"

#include "formats/age.h"
#include "formats/tar.h"

#define SCHEMA PV_SOURCE_DIR "/examples/schema-retail.yaml"
#define LAW "会计法 第23条, 会计档案管理办法 / Accounting Law art. 23"
#define KEEPER "Lianhua liquidation committee"
#define KEEPER_CONTACT "liquidation@lianhua.example"
#define HOLD_REASON "court order (2025) 沪0115民初1234号"
#define PW_AUD "auditor-password-1"
#define PW_DPO1 "dpo1-password-1"
#define PW_DPO2 "dpo2-password-1"

static const pv_access ADMIN = { "admin", NULL, 0 };
static const pv_access READER = { "admin", "all", 1 };

/* The retail schema's columns, in its order. */
#define NCOLS 9
static const char *const COLS[NCOLS] = { "customer_id", "name", "phone", "email",
					 "company_uscc", "contract_no", "last_order_amount",
					 "last_order_date", "created_at" };
enum { C_ID, C_NAME, C_PHONE, C_EMAIL, C_USCC, C_CONTRACT, C_AMOUNT, C_DATE, C_CREATED };
/* The financial fields (the rule with law:). */
static int financial(int col)
{
	return col == C_USCC || col == C_CONTRACT || col == C_AMOUNT || col == C_DATE;
}

/* The customers, written as the vault stores them (already normal forms); the order
 * dates are filled in relative to today. */
#define NCUST 5
enum { HELD, LAWKEPT, OLD1, OLD2, OLD3 };
static char g_rows[NCUST][NCOLS][80];

static void set_row(int r, const char *const vals[NCOLS])
{
	for (int c = 0; c < NCOLS; c++)
		snprintf(g_rows[r][c], sizeof g_rows[r][c], "%s", vals[c]);
}

struct fx {
	char *base, *dir, *key, *ident, *archive;
	uint8_t sk[PV_AGE_KEY], pk[PV_AGE_KEY];
	char *recipient; /* age1... */
	pv_vault *v;
	int year; /* this year (UTC) */
};

static int fx_setup(void **state)
{
	unsetenv("PIVAULT_VAULT");
	unsetenv("PIVAULT_KEY_FILE");
	unsetenv("PIVAULT_KEYRING");
	unsetenv("PIVAULT_USER");
	unsetenv("PIVAULT_PASSWORD_FILE");
	unsetenv("PIVAULT_PASSPHRASE_FILE");
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->base = pvt_tempdir();
	f->dir = pvt_path(f->base, "vault");
	f->key = pvt_path(f->base, "vault.key");
	f->ident = pvt_path(f->base, "keeper.agekey");
	f->archive = pvt_path(f->base, "archive.age");
	pv_age_keygen(f->sk, f->pk);
	f->recipient = pv_age_format_recipient(f->pk);
	assert_non_null(f->recipient);
	char *id = pv_age_format_identity(f->sk);
	assert_non_null(id);
	char text[512];
	int n = snprintf(text, sizeof text, "# created: 2025-01-01T00:00:00Z\n# public key: %s\n%s\n",
			 f->recipient, id);
	sodium_memzero(id, strlen(id));
	free(id);
	assert_int_equal(pvt_write_file(f->ident, text, (size_t)n), 0);
	assert_int_equal(chmod(f->ident, 0600), 0);

	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	f->year = tm.tm_year + 1900;
	char recent1[32], recent2[32], old1[32], old2[32], old3[32];
	snprintf(recent1, sizeof recent1, "%04d-03-15", f->year - 1);
	snprintf(recent2, sizeof recent2, "%04d-07-09", f->year - 2);
	snprintf(old1, sizeof old1, "%04d-05-20", f->year - 11);
	snprintf(old2, sizeof old2, "%04d-01-31", f->year - 12);
	snprintf(old3, sizeof old3, "%04d-11-02", f->year - 15);
	set_row(HELD, (const char *const[]){ "K-0001", "张伟", "+8613800138000",
					     "zhangwei@example.com", "91510107MA1DJE1EXW",
					     "HT-2024-000101", "12.50", recent1,
					     "2020-01-02T03:04:05+08:00" });
	set_row(LAWKEPT, (const char *const[]){ "K-0002", "李娜", "+8613912340002",
						"lina@example.com", "", "HT-2023-000202",
						"36496.00", recent2, "2019-06-07T08:09:10+08:00" });
	set_row(OLD1, (const char *const[]){ "K-0003", "王芳", "+8615012340003",
					     "wangfang@example.com", "", "HT-2013-000303",
					     "99.90", old1, "2012-02-03T04:05:06+08:00" });
	set_row(OLD2, (const char *const[]){ "K-0004", "刘洋", "+8618612340004", "", "",
					     "", "1500.00", old2, "2011-03-04T05:06:07+08:00" });
	set_row(OLD3, (const char *const[]){ "K-0005", "陈静", "+8617712340005",
					     "chenjing@example.com", "91510107MA1DJE1EXW",
					     "HT-2010-000505", "7.05", old3,
					     "2009-04-05T06:07:08+08:00" });
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	pvt_release_all();
	pvt_rmtree(f->base);
	free(f->base);
	free(f->dir);
	free(f->key);
	free(f->ident);
	free(f->archive);
	free(f->recipient);
	free(f);
	return 0;
}

/* An empty vault of the retail schema at dir, keyring beside it, root key in key_path
 * (new); returned open and tracked. */
static pv_vault *new_vault(const char *dir, const char *key_path)
{
	assert_int_equal(pv_key_generate_file(key_path), PV_OK);
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(key_path, &key), PV_OK);
	pv_create_opts o = { .schema_path = SCHEMA, .keyring_slots = 1024,
			     .kdf_cost = PV_KDF_FAST };
	pv_vault *v = NULL;
	pv_rc rc = pv_vault_create(dir, &o, key, &v);
	pv_key_free(key);
	if (rc)
		fail_msg("pv_vault_create: %s", pv_errmsg(v));
	return pvt_track(v);
}

/* Import the CSV file at path; n rows must be imported. */
static void import_file(pv_vault *v, const char *path, unsigned n, pv_import_result **keep)
{
	pv_import_opts io = { .flags = PV_IMPORT_DROP_UNDECLARED, .threads = 1 };
	pv_import_result *res = NULL;
	pv_rc rc = pv_import_csv(v, &ADMIN, path, &io, &res);
	if (rc)
		fail_msg("pv_import_csv: rc %d: %s", rc, pv_errmsg(v));
	assert_int_equal(pv_import_rows_imported(res), n);
	if (keep)
		*keep = res;
	else
		pv_import_free(res);
}

/* The vault of f with the first n customers of g_rows. */
static void make_vault(struct fx *f, int n)
{
	f->v = new_vault(f->dir, f->key);
	char *csv = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&csv, &len);
	assert_non_null(m);
	for (int c = 0; c < NCOLS; c++)
		fprintf(m, "%s%s", c ? "," : "", COLS[c]);
	fputs("\r\n", m);
	for (int r = 0; r < n; r++) {
		for (int c = 0; c < NCOLS; c++)
			fprintf(m, "%s%s", c ? "," : "", g_rows[r][c]);
		fputs("\r\n", m);
	}
	assert_int_equal(fclose(m), 0);
	char *path = pvt_keep(pvt_path(f->base, "customers.csv"));
	assert_int_equal(pvt_write_file(path, csv, len), 0);
	free(csv);
	import_file(f->v, path, (unsigned)n, NULL);
	assert_int_equal(unlink(path), 0);
}

static uint64_t count_of(pv_vault *v)
{
	uint64_t n = 12345;
	assert_ok(v, pv_vault_count(v, &n));
	return n;
}

/* The value of the customer's field as read in clear (kept copy). */
static char *value_of(pv_vault *v, const char *id, const char *field)
{
	pv_record *r = NULL;
	pv_rc rc = pv_get(v, &READER, id, &r);
	if (rc)
		fail_msg("pv_get(%s): rc %d: %s", id, rc, pv_errmsg(v));
	char *out = NULL;
	for (size_t i = 0; i < pv_record_field_count(r); i++)
		if (strcmp(pv_record_field_name(r, i), field) == 0) {
			assert_int_equal(pv_record_field_view(r, i), PV_SHOWN_CLEAR);
			out = pvt_keep(strdup(pv_record_field_value(r, i)));
		}
	pv_record_free(r);
	if (!out)
		fail_msg("customer %s has no field %s", id, field);
	return out;
}

/* Every imported value of row r reads back as written. */
static void expect_row(pv_vault *v, int r)
{
	for (int c = 1; c < NCOLS; c++) {
		const char *got = value_of(v, g_rows[r][C_ID], COLS[c]);
		if (strcmp(got, g_rows[r][c]) != 0)
			fail_msg("%s.%s reads '%s', imported '%s'", g_rows[r][C_ID], COLS[c], got,
				 g_rows[r][c]);
	}
}

static void expect_absent(pv_vault *v, const char *id)
{
	pv_record *r = NULL;
	pv_rc rc = pv_get(v, &READER, id, &r);
	pv_record_free(r);
	if (rc != PV_ERR_NOT_FOUND)
		fail_msg("customer %s: rc %d, expected not found", id, rc);
}

static json_t *parse(const char *text, const char *what)
{
	json_error_t je;
	json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	if (!doc)
		fail_msg("%s is not JSON (%s):\n%s", what, je.text, text);
	return doc;
}

static json_int_t jint(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_integer(v))
		fail_msg("\"%s\" is not an integer", key);
	return json_integer_value(v);
}

static const char *jstr(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	if (!s)
		fail_msg("\"%s\" is not a string", key);
	return s;
}

/* last_order_date + 10 years (the dates chosen have days <= 28). */
static void plus10y(const char *date, char out[11])
{
	assert_int_equal(strlen(date), 10);
	char year[5];
	snprintf(year, sizeof year, "%04u", (unsigned)(atoi(date) + 10) % 10000u);
	memcpy(out, year, 4);
	memcpy(out + 4, date + 4, 7);
}

static void hold(struct fx *f, int r)
{
	const char *ids[] = { g_rows[r][C_ID] };
	assert_ok(f->v, pv_hold_add(f->v, &ADMIN, ids, 1, HOLD_REASON));
}

/* Certificates handed to cert_fn. */
struct certs {
	char *text[16];
	size_t n;
};

static int keep_cert(void *ctx, const char *text)
{
	struct certs *c = ctx;
	assert_true(c->n < sizeof c->text / sizeof *c->text);
	c->text[c->n] = pvt_keep(strdup(text));
	assert_non_null(c->text[c->n]);
	c->n++;
	return 0;
}

static void sha256_hex(const char *s, char hex[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, (const unsigned char *)s, strlen(s));
	sodium_bin2hex(hex, 65, h, sizeof h);
}

static pv_decommission_spec spec_of(struct fx *f, const char *key, const char *path)
{
	pv_decommission_spec sp = { .keeper_name = KEEPER, .keeper_contact = KEEPER_CONTACT,
				    .keeper_key = key ? key : f->recipient,
				    .archive_path = path ? path : f->archive };
	return sp;
}

/* ---- 1. the plan ------------------------------------------------------------------ */

static void test_plan(void **state)
{
	struct fx *f = *state;
	make_vault(f, 4); /* HELD, LAWKEPT recent; OLD1, OLD2 old */
	hold(f, HELD);
	char *dsr = NULL, *closed = NULL;
	assert_ok(f->v, pv_dsr_open(f->v, &ADMIN, g_rows[OLD1][C_ID], "access", NULL, &dsr));
	pvt_keep(dsr);
	assert_ok(f->v, pv_dsr_open(f->v, &ADMIN, g_rows[OLD2][C_ID], "correct", NULL, &closed));
	pvt_keep(closed);
	assert_ok(f->v, pv_dsr_close(f->v, &ADMIN, closed, "corrected"));

	char *text = NULL;
	assert_ok(f->v, pv_decommission_plan(f->v, &ADMIN, &text));
	assert_non_null(text);
	pvt_keep(text);
	json_t *doc = parse(text, "the plan");
	assert_string_equal(jstr(doc, "type"), "pivault decommission plan");
	assert_string_equal(jstr(doc, "company"), "lianhua-retail");
	assert_int_equal(jint(doc, "customers"), 4);
	json_t *keep = json_object_get(doc, "keep");
	assert_int_equal(jint(doc, "destroy"), 2);
	assert_int_equal(jint(keep, "whole_under_legal_hold"), 1);
	assert_int_equal(jint(keep, "values_kept_by_law"), 1);

	json_t *held = json_object_get(keep, "held");
	assert_int_equal(json_array_size(held), 1);
	assert_string_equal(jstr(json_array_get(held, 0), "customer"), g_rows[HELD][C_ID]);
	assert_string_equal(jstr(json_array_get(held, 0), "hold"), HOLD_REASON);

	json_t *by_law = json_object_get(keep, "by_law");
	assert_int_equal(json_array_size(by_law), 1);
	json_t *k = json_array_get(by_law, 0);
	assert_string_equal(jstr(k, "customer"), g_rows[LAWKEPT][C_ID]);
	char until[11];
	plus10y(g_rows[LAWKEPT][C_DATE], until);
	assert_string_equal(jstr(k, "until"), until);
	assert_string_equal(jstr(k, "law"), LAW);
	/* the fields: the financial ones the customer has a value in (no USCC) */
	json_t *fields = json_object_get(k, "fields");
	size_t want = 0;
	for (int c = 1; c < NCOLS; c++) {
		if (!financial(c) || !g_rows[LAWKEPT][c][0])
			continue;
		assert_true(want < json_array_size(fields));
		assert_string_equal(json_string_value(json_array_get(fields, want)), COLS[c]);
		want++;
	}
	assert_int_equal(want, 3);
	assert_int_equal(json_array_size(fields), want);

	/* the open request, not the closed one */
	json_t *open = json_object_get(doc, "open_requests");
	assert_int_equal(json_array_size(open), 1);
	json_t *o = json_array_get(open, 0);
	assert_string_equal(jstr(o, "request"), dsr);
	assert_string_equal(jstr(o, "customer"), g_rows[OLD1][C_ID]);
	assert_string_equal(jstr(o, "type"), "access");
	/* no customer's value appears in the plan */
	for (int r = 0; r < 4; r++)
		for (int c = C_NAME; c <= C_EMAIL; c++)
			if (g_rows[r][c][0] && strstr(text, g_rows[r][c]))
				fail_msg("the plan shows %s of %s", COLS[c], g_rows[r][C_ID]);
	json_decref(doc);

	/* a plan changes nothing */
	assert_int_equal(count_of(f->v), 4);
	for (int r = 0; r < 4; r++)
		expect_row(f->v, r);

	/* releasing the hold moves the held customer to the law-kept ones */
	const char *ids[] = { g_rows[HELD][C_ID] };
	assert_ok(f->v, pv_hold_release(f->v, &ADMIN, ids, 1, "settled"));
	assert_ok(f->v, pv_decommission_plan(f->v, &ADMIN, &text));
	pvt_keep(text);
	doc = parse(text, "the second plan");
	keep = json_object_get(doc, "keep");
	assert_int_equal(jint(keep, "whole_under_legal_hold"), 0);
	assert_int_equal(jint(keep, "values_kept_by_law"), 2);
	assert_int_equal(jint(doc, "destroy"), 2);
	json_decref(doc);
}

/* ---- 2. the run and its signed report ------------------------------------------ */

struct held {
	size_t in_force, released;
};

static int count_holds(void *ctx, const pv_hold_info *h)
{
	struct held *c = ctx;
	if (h->released[0])
		c->released++;
	else
		c->in_force++;
	return 0;
}

/* Run as root with the keeper's key; returns the report (kept) and the certificates. */
static json_t *run_ok(struct fx *f, struct certs *c, char **text_out)
{
	pv_decommission_spec sp = spec_of(f, NULL, NULL);
	char *report = NULL;
	assert_ok(f->v, pv_decommission_run(f->v, &ADMIN, &sp, keep_cert, c, &report));
	assert_non_null(report);
	pvt_keep(report);
	if (text_out)
		*text_out = report;
	return parse(report, "the report");
}

static void test_run(void **state)
{
	struct fx *f = *state;
	make_vault(f, NCUST);
	hold(f, HELD);
	char pk[65];
	assert_ok(f->v, pv_vault_public_key(f->v, pk));

	struct certs c = { 0 };
	char *text = NULL;
	json_t *doc = run_ok(f, &c, &text);
	assert_int_equal(count_of(f->v), 0);
	for (int r = 0; r < NCUST; r++)
		expect_absent(f->v, g_rows[r][C_ID]);
	struct held h = { 0 };
	assert_ok(f->v, pv_hold_list(f->v, &ADMIN, count_holds, &h));
	assert_int_equal(h.in_force, 0);
	assert_int_equal(h.released, 1);

	/* the signature: Ed25519 by signed_by over the compact sorted-keys report */
	const char *signer = jstr(doc, "signed_by");
	assert_string_equal(signer, pk);
	const char *sigh = jstr(doc, "signature");
	unsigned char sig[crypto_sign_BYTES], key[crypto_sign_PUBLICKEYBYTES];
	assert_int_equal(strlen(sigh), 2 * sizeof sig);
	assert_int_equal(sodium_hex2bin(sig, sizeof sig, sigh, strlen(sigh), NULL, NULL, NULL), 0);
	assert_int_equal(sodium_hex2bin(key, sizeof key, signer, strlen(signer), NULL, NULL, NULL),
			 0);
	json_t *body = json_object_get(doc, "report");
	assert_true(json_is_object(body));
	char *canon = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	assert_non_null(canon);
	assert_int_equal(crypto_sign_verify_detached(sig, (const unsigned char *)canon,
						     strlen(canon), key), 0);
	/* ... and not over anything else: one count changed fails */
	json_t *counts = json_object_get(body, "counts");
	json_t *copy = json_deep_copy(body);
	json_object_set_new(json_object_get(copy, "counts"), "shredded", json_integer(4));
	char *forged = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(copy);
	assert_non_null(forged);
	assert_int_not_equal(crypto_sign_verify_detached(sig, (const unsigned char *)forged,
							 strlen(forged), key), 0);
	free(forged);
	free(canon);

	assert_string_equal(jstr(body, "type"), "pivault decommission report");
	assert_string_equal(jstr(body, "vault"), pv_vault_id(f->v));
	assert_int_equal(jint(counts, "customers_before"), NCUST);
	assert_int_equal(jint(counts, "archived_whole"), 1);
	assert_int_equal(jint(counts, "archived_values_kept_by_law"), 1);
	assert_int_equal(jint(counts, "shredded"), NCUST);
	assert_int_equal(jint(counts, "customers_left"), 0);
	assert_int_equal(jint(body, "holds_released"), 1);
	json_t *audit = json_object_get(body, "audit");
	assert_true(json_is_true(json_object_get(audit, "verified")));
	json_t *archive = json_object_get(body, "archive");
	const char *package = jstr(archive, "package");
	assert_true(strlen(package) > 2);
	assert_string_equal(jstr(archive, "file"), f->archive);
	assert_string_equal(jstr(archive, "keeper"), KEEPER);
	assert_int_equal(jint(archive, "records"), 2);
	assert_int_equal(strlen(jstr(archive, "root_hash")), 64);

	/* the certificates: as many as the report lists, each listed by its SHA-256 */
	json_t *hashes = json_object_get(body, "certificates");
	assert_true(c.n >= 1);
	assert_int_equal(json_array_size(hashes), c.n);
	int64_t total = 0;
	for (size_t i = 0; i < c.n; i++) {
		char hex[65];
		sha256_hex(c.text[i], hex);
		int listed = 0;
		for (size_t j = 0; j < json_array_size(hashes); j++)
			listed |= strcmp(json_string_value(json_array_get(hashes, j)), hex) == 0;
		if (!listed)
			fail_msg("certificate %zu (SHA-256 %s) is not in the report", i, hex);
		char why[400];
		pv_rc rc = pvt_certificate_verify(c.text[i], pk, why, sizeof why);
		if (rc != PV_OK)
			fail_msg("certificate %zu: rc %d: %s", i, rc, why);
		json_t *cd = parse(c.text[i], "a certificate");
		json_t *cert = json_object_get(cd, "certificate");
		const char *grounds = jstr(cert, "grounds");
		if (!strstr(grounds, package))
			fail_msg("certificate grounds do not name the archive %s: %s", package,
				 grounds);
		total += jint(cert, "count");
		json_decref(cd);
	}
	assert_int_equal(total, NCUST);
	/* the report names no customer value */
	for (int r = 0; r < NCUST; r++)
		for (int c2 = C_NAME; c2 <= C_EMAIL; c2++)
			if (g_rows[r][c2][0] && strstr(text, g_rows[r][c2]))
				fail_msg("the report shows %s of %s", COLS[c2], g_rows[r][C_ID]);
	json_decref(doc);

	/* a certificate changed by one character no longer verifies */
	char *bad = pvt_keep(strdup(c.text[0]));
	char *at = strstr(bad, g_rows[HELD][C_ID]);
	assert_non_null(at);
	at[strlen(g_rows[HELD][C_ID]) - 1] = '9';
	char why[400];
	assert_int_not_equal(pvt_certificate_verify(bad, pk, why, sizeof why), PV_OK);
}

/* ---- 3. the archive, as the keeper opens it ------------------------------------------ */

struct mem_in {
	const unsigned char *p;
	size_t len, off;
};

static long mem_read(void *ctx, void *buf, size_t len)
{
	struct mem_in *m = ctx;
	size_t n = m->len - m->off < len ? m->len - m->off : len;
	memcpy(buf, m->p + m->off, n);
	m->off += n;
	return (long)n;
}

struct member {
	char name[PV_TAR_NAME_MAX + 1];
	char *data; /* NUL-terminated, kept */
	size_t len;
};

struct archive {
	struct member m[32];
	size_t n;
};

/* Decrypt path with identity sk and read its tar members. */
static void load_archive(const char *path, const uint8_t sk[PV_AGE_KEY], struct archive *a)
{
	size_t flen = 0;
	char *file = pvt_keep(pvt_read_file(path, &flen));
	assert_non_null(file);
	assert_int_equal(memcmp(file, "age-encryption.org/v1\n", 22), 0);
	struct mem_in in = { (const unsigned char *)file, flen, 0 };
	pv_age_status st;
	char err[300];
	pv_age_reader *r = pv_age_reader_new((const uint8_t(*)[PV_AGE_KEY])sk, 1, mem_read, &in,
					     &st, err, sizeof err);
	if (!r)
		fail_msg("age: %s", err);
	unsigned char *plain = NULL;
	size_t plen = 0, cap = 0;
	unsigned char buf[PV_AGE_CHUNK];
	long n;
	while ((n = pv_age_read(r, buf, sizeof buf)) > 0) {
		if (plen + (size_t)n > cap) {
			cap = (plen + (size_t)n) * 2;
			plain = realloc(plain, cap);
			assert_non_null(plain);
		}
		memcpy(plain + plen, buf, (size_t)n);
		plen += (size_t)n;
	}
	assert_int_equal(n, 0);
	pv_age_reader_free(r);
	pvt_drop(file);
	pvt_keep(plain);

	struct mem_in tin = { plain, plen, 0 };
	struct pv_tar_reader *t = pv_tar_reader_new(mem_read, &tin);
	assert_non_null(t);
	memset(a, 0, sizeof *a);
	uint64_t size;
	int got;
	while ((got = pv_tar_next(t, a->m[a->n].name, &size)) == 1) {
		assert_true(a->n + 1 < sizeof a->m / sizeof *a->m);
		struct member *m = &a->m[a->n++];
		m->data = pvt_keep(malloc((size_t)size + 1));
		assert_non_null(m->data);
		size_t done = 0;
		while (done < size) {
			long k = pv_tar_read(t, m->data + done, (size_t)size - done);
			assert_true(k > 0);
			done += (size_t)k;
		}
		m->data[size] = '\0';
		m->len = (size_t)size;
	}
	if (got != 0)
		fail_msg("tar: %s", pv_tar_reader_error(t));
	pv_tar_reader_free(t);
	sodium_memzero(plain, plen);
	pvt_drop(plain);
}

static struct member *member_of(struct archive *a, const char *name)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->m[i].name, name) == 0)
			return &a->m[i];
	fail_msg("the archive has no member %s", name);
	return NULL;
}

/* The lines of a member as JSON objects (at most max). */
static size_t jsonl(const struct member *m, json_t **out, size_t max)
{
	size_t n = 0;
	const char *p = m->data, *end = m->data + m->len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		assert_non_null(nl);
		assert_true(n < max);
		json_error_t je;
		out[n] = json_loadb(p, (size_t)(nl - p), JSON_REJECT_DUPLICATES, &je);
		if (!out[n])
			fail_msg("%s line %zu: %s", m->name, n + 1, je.text);
		n++;
		p = nl + 1;
	}
	return n;
}

static void test_archive(void **state)
{
	struct fx *f = *state;
	make_vault(f, NCUST);
	hold(f, HELD);
	struct certs c = { 0 };
	json_t *doc = run_ok(f, &c, NULL);
	json_t *arch = json_object_get(json_object_get(doc, "report"), "archive");
	char package[64], root[65];
	snprintf(package, sizeof package, "%s", jstr(arch, "package"));
	snprintf(root, sizeof root, "%s", jstr(arch, "root_hash"));
	json_decref(doc);
	struct stat st;
	assert_int_equal(stat(f->archive, &st), 0);
	assert_int_equal(st.st_mode & 077, 0);

	/* no value in clear in the file */
	size_t flen = 0;
	char *raw = pvt_keep(pvt_read_file(f->archive, &flen));
	assert_non_null(raw);
	for (int r = 0; r < 2; r++)
		for (int col = 0; col < NCOLS; col++)
			if (strlen(g_rows[r][col]) > 4 &&
			    memmem(raw, flen, g_rows[r][col], strlen(g_rows[r][col])))
				fail_msg("the archive holds %s of row %d in clear", COLS[col], r);
	pvt_drop(raw);

	struct archive a;
	load_archive(f->archive, f->sk, &a);
	size_t nrec = 0;
	for (size_t i = 0; i < a.n; i++)
		nrec += strncmp(a.m[i].name, "records/", 8) == 0;
	assert_int_equal(nrec, 1);
	json_t *lines[8];
	size_t n = jsonl(member_of(&a, "records/000001.jsonl"), lines, 8);
	assert_int_equal(n, 2);
	/* in id order: the held customer whole, then the law-kept one's financial values */
	for (int c2 = 0; c2 < NCOLS; c2++) {
		json_t *v = json_object_get(lines[0], COLS[c2]);
		if (!json_is_string(v) || strcmp(json_string_value(v), g_rows[HELD][c2]) != 0)
			fail_msg("held customer: %s is '%s', imported '%s'", COLS[c2],
				 json_string_value(v) ? json_string_value(v) : "(none)",
				 g_rows[HELD][c2]);
	}
	for (int c2 = 0; c2 < NCOLS; c2++) {
		const char *want = c2 == C_ID || financial(c2) ? g_rows[LAWKEPT][c2] : "";
		json_t *v = json_object_get(lines[1], COLS[c2]);
		if (!json_is_string(v) || strcmp(json_string_value(v), want) != 0)
			fail_msg("law-kept customer: %s is '%s', expected '%s'", COLS[c2],
				 json_string_value(v) ? json_string_value(v) : "(none)", want);
	}
	for (size_t i = 0; i < n; i++)
		json_decref(lines[i]);
	/* nothing of the customers with old orders */
	for (size_t i = 0; i < a.n; i++)
		for (int r = OLD1; r <= OLD3; r++)
			if (strstr(a.m[i].data, g_rows[r][C_ID]) ||
			    strstr(a.m[i].data, g_rows[r][C_PHONE]))
				fail_msg("member %s names customer %s", a.m[i].name, g_rows[r][C_ID]);
	/* nor the law-kept customer's other values */
	for (size_t i = 0; i < a.n; i++)
		for (int c2 = C_NAME; c2 <= C_EMAIL; c2++)
			if (strstr(a.m[i].data, g_rows[LAWKEPT][c2]))
				fail_msg("member %s holds %s of the law-kept customer", a.m[i].name,
					 COLS[c2]);
	json_error_t je;
	struct member *mm = member_of(&a, "manifest.json");
	json_t *man = json_loadb(mm->data, mm->len, 0, &je);
	assert_non_null(man);
	assert_int_equal(jint(man, "records"), 2);
	assert_string_equal(jstr(man, "root_hash"), root);
	assert_string_equal(jstr(man, "package"), package);
	json_decref(man);
	(void)member_of(&a, "manifest.json.minisig");
	(void)member_of(&a, "sender.pub");

	/* and another identity cannot open it */
	uint8_t osk[PV_AGE_KEY], opk[PV_AGE_KEY];
	pv_age_keygen(osk, opk);
	struct mem_in in = { (const unsigned char *)pvt_keep(pvt_read_file(f->archive, &flen)),
			     0, 0 };
	in.len = flen;
	pv_age_status ast = PV_AGE_OK;
	pv_age_reader *other = pv_age_reader_new((const uint8_t(*)[PV_AGE_KEY])osk, 1, mem_read,
						 &in, &ast, NULL, 0);
	assert_null(other);
	assert_int_equal(ast, PV_AGE_NO_MATCH);

	/* the keeper reads it with pivault too: imported whole into a vault of the schema */
	char *kdir = pvt_keep(pvt_path(f->base, "keeper"));
	char *kkey = pvt_keep(pvt_path(f->base, "keeper.key"));
	pv_vault *k = new_vault(kdir, kkey);
	pv_handover_import_opts o = { .identity_file = f->ident };
	char *receipt = NULL;
	pv_handover_summary s;
	/* not taken for a transfer package: the keeper says it is an archive */
	assert_int_equal(pv_handover_import(k, &ADMIN, f->archive, &o, &receipt, &s),
			 PV_ERR_USAGE);
	assert_non_null(strstr(pv_errmsg(k), "decommission archive"));
	assert_null(receipt);
	assert_int_equal(count_of(k), 0);
	o.flags |= PV_HANDOVER_ARCHIVE;
	assert_ok(k, pv_handover_import(k, &ADMIN, f->archive, &o, &receipt, &s));
	pvt_keep(receipt);
	assert_int_equal(s.records, 2);
	assert_string_equal(s.package_id, package);
	assert_string_equal(s.root_hash, root);
	assert_int_equal(count_of(k), 2);
	expect_row(k, HELD);
	for (int c2 = 1; c2 < NCOLS; c2++) {
		const char *want = financial(c2) ? g_rows[LAWKEPT][c2] : "";
		const char *got = value_of(k, g_rows[LAWKEPT][C_ID], COLS[c2]);
		if (strcmp(got, want) != 0)
			fail_msg("keeper's %s.%s is '%s', expected '%s'", g_rows[LAWKEPT][C_ID],
				 COLS[c2], got, want);
	}
	for (int r = OLD1; r <= OLD3; r++)
		expect_absent(k, g_rows[r][C_ID]);
	char why[300], kpk[65];
	assert_ok(k, pv_vault_public_key(k, kpk));
	assert_int_equal(pvt_receipt_verify(receipt, kpk, why, sizeof why), PV_OK);
}

/* ---- 4. refused before anything is destroyed ---------------------------------------- */

/* The run with spec must fail with want (needle in the message), leaving every customer,
 * the hold in force, no report and no certificate. */
static void refused(struct fx *f, pv_vault *v, const pv_access *who,
		    const pv_decommission_spec *sp, pv_rc want, const char *needle)
{
	struct certs c = { 0 };
	char *report = (char *)"untouched";
	pv_rc rc = pv_decommission_run(v, who, sp, keep_cert, &c, &report);
	assert_rc_msg(v, rc, want, needle);
	assert_null(report);
	assert_int_equal(c.n, 0);
	pv_vault *root = v;
	if (who == NULL) { /* a user session: look with the root key */
		root = pvt_open_root(f->dir, NULL, f->key);
	}
	assert_int_equal(count_of(root), NCUST);
	for (int r = 0; r < NCUST; r++)
		expect_row(root, r);
	struct held h = { 0 };
	assert_ok(root, pv_hold_list(root, &ADMIN, count_holds, &h));
	assert_int_equal(h.in_force, 1);
	assert_int_equal(h.released, 0);
	if (root != v)
		pvt_vclose(root);
}

static void test_refused(void **state)
{
	struct fx *f = *state;
	make_vault(f, NCUST);
	hold(f, HELD);

	/* keeper keys that are not age public keys */
	char *secret = pv_age_format_identity(f->sk); /* a secret key in place of the public */
	assert_non_null(secret);
	char *junk = pvt_keep(pvt_path(f->base, "junk.pub"));
	assert_int_equal(pvt_write_file(junk, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 x\n", 35), 0);
	char bad_age[128];
	snprintf(bad_age, sizeof bad_age, "%s", f->recipient);
	bad_age[strlen(bad_age) - 1] = bad_age[strlen(bad_age) - 1] == 'q' ? 'p' : 'q';
	const char *bad[] = { "not-a-key", secret, junk, bad_age, "age1" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		pv_decommission_spec sp = spec_of(f, bad[i], NULL);
		refused(f, f->v, &ADMIN, &sp, PV_ERR_USAGE, "not an age public key");
		assert_int_not_equal(access(f->archive, F_OK), 0);
		if (strstr(pv_errmsg(f->v), "AGE-SECRET-KEY"))
			fail_msg("the message repeats the key: %s", pv_errmsg(f->v));
	}
	sodium_memzero(secret, strlen(secret));
	free(secret);
	/* no keeper named */
	pv_decommission_spec sp = spec_of(f, NULL, NULL);
	sp.keeper_name = NULL;
	refused(f, f->v, &ADMIN, &sp, PV_ERR_USAGE, "keeper");
	assert_int_not_equal(access(f->archive, F_OK), 0);

	/* an archive path that exists: refused, the file left as it was */
	assert_int_equal(pvt_write_file(f->archive, "earlier archive\n", 16), 0);
	sp = spec_of(f, NULL, NULL);
	refused(f, f->v, &ADMIN, &sp, PV_ERR_EXISTS, "exists");
	size_t len = 0;
	char *still = pvt_keep(pvt_read_file(f->archive, &len));
	assert_non_null(still);
	assert_int_equal(len, 16);
	assert_memory_equal(still, "earlier archive\n", 16);

	/* a keeper key given as a file (as age-keygen writes it) is accepted, and then the
	 * run goes through */
	char *pubfile = pvt_keep(pvt_path(f->base, "keeper.pub"));
	char line[160];
	int n = snprintf(line, sizeof line, "# keeper\n%s\n", f->recipient);
	assert_int_equal(pvt_write_file(pubfile, line, (size_t)n), 0);
	char *fresh = pvt_keep(pvt_path(f->base, "archive2.age"));
	sp = spec_of(f, pubfile, fresh);
	struct certs c = { 0 };
	char *report = NULL;
	assert_ok(f->v, pv_decommission_run(f->v, &ADMIN, &sp, keep_cert, &c, &report));
	pvt_keep(report);
	assert_int_equal(count_of(f->v), 0);
	assert_true(c.n >= 1);
	struct archive a;
	load_archive(fresh, f->sk, &a);
	json_t *lines[8];
	size_t nl = jsonl(member_of(&a, "records/000001.jsonl"), lines, 8);
	assert_int_equal(nl, 2);
	for (size_t i = 0; i < nl; i++)
		json_decref(lines[i]);
}

/* ---- 5. roles and four-eyes approval ------------------------------------------------ */

static void test_roles(void **state)
{
	struct fx *f = *state;
	make_vault(f, NCUST);
	hold(f, HELD);
	assert_ok(f->v, pvt_user_add(f->v, &ADMIN, "aud1", "auditor", PW_AUD, strlen(PW_AUD)));
	assert_ok(f->v, pvt_user_add(f->v, &ADMIN, "dpo1", "dpo", PW_DPO1, strlen(PW_DPO1)));
	assert_ok(f->v, pvt_user_add(f->v, &ADMIN, "dpo2", "dpo", PW_DPO2, strlen(PW_DPO2)));
	/* the auditor role, through the root key */
	static const pv_access AUDITOR = { "auditor", NULL, 0 };
	char *plan = (char *)"untouched";
	assert_int_equal(pv_decommission_plan(f->v, &AUDITOR, &plan), PV_ERR_DENIED);
	assert_null(plan);
	pv_decommission_spec sp = spec_of(f, NULL, NULL);
	refused(f, f->v, &AUDITOR, &sp, PV_ERR_DENIED, "");
	assert_int_not_equal(access(f->archive, F_OK), 0);
	pvt_vclose(f->v);
	f->v = NULL;

	/* ... and as a user */
	pv_vault *u = pvt_open_user(f->dir, "aud1", PW_AUD);
	plan = (char *)"untouched";
	assert_int_equal(pv_decommission_plan(u, NULL, &plan), PV_ERR_DENIED);
	assert_null(plan);
	refused(f, u, NULL, &sp, PV_ERR_DENIED, "");
	assert_int_not_equal(access(f->archive, F_OK), 0);
	pvt_vclose(u);

	/* a dpo may plan, but not run without an approved request */
	u = pvt_open_user(f->dir, "dpo1", PW_DPO1);
	assert_ok(u, pv_decommission_plan(u, NULL, &plan));
	pvt_keep(plan);
	json_t *doc = parse(plan, "the dpo's plan");
	assert_int_equal(jint(doc, "customers"), NCUST);
	json_decref(doc);
	refused(f, u, NULL, &sp, PV_ERR_DENIED, "four-eyes approval");
	assert_int_not_equal(access(f->archive, F_OK), 0);

	/* a request approved by another dpo lets it run, once */
	char *rid = NULL;
	assert_ok(u, pv_request_begin(u, "company deregistered", 0, NULL));
	assert_int_equal(pv_decommission_run(u, NULL, &sp, keep_cert, NULL, &plan), PV_REQUESTED);
	assert_int_not_equal(access(f->archive, F_OK), 0); /* asking wrote nothing */
	assert_ok(u, pv_request_submit(u, &rid));
	pvt_keep(rid);
	/* not approved yet */
	assert_int_not_equal(pv_vault_use_request(u, rid), PV_OK);
	pvt_vclose(u);
	u = pvt_open_user(f->dir, "dpo1", PW_DPO1);
	assert_int_equal(pv_request_decide(u, NULL, rid, 1, NULL), PV_ERR_DENIED); /* not one's own */
	pvt_vclose(u);
	pv_vault *u2 = pvt_open_user(f->dir, "dpo2", PW_DPO2);
	assert_ok(u2, pv_request_decide(u2, NULL, rid, 1, NULL));
	pvt_vclose(u2);
	u = pvt_open_user(f->dir, "dpo1", PW_DPO1);
	assert_ok(u, pv_vault_use_request(u, rid));
	struct certs c = { 0 };
	char *report = NULL;
	assert_ok(u, pv_decommission_run(u, NULL, &sp, keep_cert, &c, &report));
	pvt_keep(report);
	assert_true(c.n >= 1);
	doc = parse(report, "the dpo's report");
	json_t *counts = json_object_get(json_object_get(doc, "report"), "counts");
	assert_int_equal(jint(counts, "shredded"), NCUST);
	assert_int_equal(jint(counts, "customers_left"), 0);
	json_decref(doc);
	assert_int_equal(count_of(u), 0);
	pvt_vclose(u);
}

/* The approval binds the keeper's key as the file held it when asked: a file changed
 * after the approval (the archive re-targeted to another key) is refused at run, and
 * nothing is archived or destroyed. */
static void test_keeper_key_file_bound(void **state)
{
	struct fx *f = *state;
	make_vault(f, NCUST);
	assert_ok(f->v, pvt_user_add(f->v, &ADMIN, "dpo1", "dpo", PW_DPO1, strlen(PW_DPO1)));
	assert_ok(f->v, pvt_user_add(f->v, &ADMIN, "dpo2", "dpo", PW_DPO2, strlen(PW_DPO2)));
	pvt_vclose(f->v);
	f->v = NULL;
	char *pubfile = pvt_keep(pvt_path(f->base, "keeper.pub"));
	char line[160];
	int n = snprintf(line, sizeof line, "# keeper\n%s\n", f->recipient);
	assert_int_equal(pvt_write_file(pubfile, line, (size_t)n), 0);
	pv_decommission_spec sp = spec_of(f, pubfile, NULL);

	pv_vault *u = pvt_open_user(f->dir, "dpo1", PW_DPO1);
	char *rid = NULL, *report = NULL;
	assert_ok(u, pv_request_begin(u, "company deregistered", 0, NULL));
	assert_int_equal(pv_decommission_run(u, NULL, &sp, keep_cert, NULL, &report), PV_REQUESTED);
	assert_ok(u, pv_request_submit(u, &rid));
	pvt_keep(rid);
	pvt_vclose(u);
	pv_vault *u2 = pvt_open_user(f->dir, "dpo2", PW_DPO2);
	assert_ok(u2, pv_request_decide(u2, NULL, rid, 1, NULL));
	pvt_vclose(u2);

	/* the file now names a key of someone else's */
	uint8_t other_sk[32], other_pk[32];
	pv_age_keygen(other_sk, other_pk);
	char *other = pvt_keep(pv_age_format_recipient(other_pk));
	n = snprintf(line, sizeof line, "# keeper\n%s\n", other);
	assert_int_equal(pvt_write_file(pubfile, line, (size_t)n), 0);
	u = pvt_open_user(f->dir, "dpo1", PW_DPO1);
	assert_ok(u, pv_vault_use_request(u, rid));
	struct certs c = { 0 };
	assert_rc_msg(u, pv_decommission_run(u, NULL, &sp, keep_cert, &c, &report), PV_ERR_DENIED,
		      "differs from what was approved");
	assert_null(report);
	assert_int_equal(c.n, 0);
	assert_int_not_equal(access(f->archive, F_OK), 0);
	assert_int_equal(count_of(u), NCUST);
	pvt_vclose(u);
}

/* ---- 6. a deletion request refused while a law keeps the data ------------------------- */

struct dsr_state {
	const char *id;
	char state[32];
	int seen;
};

static int find_dsr(void *ctx, const pv_dsr_info *d)
{
	struct dsr_state *s = ctx;
	if (strcmp(d->id, s->id) == 0) {
		snprintf(s->state, sizeof s->state, "%s", d->state);
		s->seen++;
	}
	return 0;
}

static const char *dsr_state(pv_vault *v, const char *id)
{
	static struct dsr_state s;
	memset(&s, 0, sizeof s);
	s.id = id;
	assert_ok(v, pv_dsr_list(v, &ADMIN, 0, find_dsr, &s));
	assert_int_equal(s.seen, 1);
	return s.state;
}

static void test_dsr_delete_by_law(void **state)
{
	struct fx *f = *state;
	make_vault(f, NCUST);
	char pk[65];
	assert_ok(f->v, pv_vault_public_key(f->v, pk));

	/* a recent order: the law keeps it */
	char *d1 = NULL;
	assert_ok(f->v, pv_dsr_open(f->v, &ADMIN, g_rows[LAWKEPT][C_ID], "delete", NULL, &d1));
	pvt_keep(d1);
	char *cert = (char *)"untouched";
	pv_rc rc = pv_dsr_delete(f->v, &ADMIN, d1, &cert);
	assert_int_equal(rc, PV_ERR_DENIED);
	assert_null(cert);
	char until[11];
	plus10y(g_rows[LAWKEPT][C_DATE], until);
	const char *msg = pv_errmsg(f->v);
	if (!strstr(msg, LAW) || !strstr(msg, until) || !strstr(msg, g_rows[LAWKEPT][C_ID]))
		fail_msg("the refusal does not name the law, the date %s and the customer: %s",
			 until, msg);
	for (int c2 = C_NAME; c2 < NCOLS; c2++)
		if (g_rows[LAWKEPT][c2][0] && strstr(msg, g_rows[LAWKEPT][c2]))
			fail_msg("the refusal shows %s: %s", COLS[c2], msg);
	expect_row(f->v, LAWKEPT);
	assert_string_equal(dsr_state(f->v, d1), "open");
	assert_int_equal(count_of(f->v), NCUST);

	/* the held customer: the hold is named first, still nothing destroyed */
	hold(f, HELD);
	char *d2 = NULL;
	assert_ok(f->v, pv_dsr_open(f->v, &ADMIN, g_rows[HELD][C_ID], "delete", NULL, &d2));
	pvt_keep(d2);
	assert_rc_msg(f->v, pv_dsr_delete(f->v, &ADMIN, d2, &cert), PV_ERR_DENIED, "legal hold");
	assert_null(cert);
	expect_row(f->v, HELD);
	assert_string_equal(dsr_state(f->v, d2), "open");

	/* an old order: nothing kept, the customer is shredded with a certificate */
	char *d3 = NULL;
	assert_ok(f->v, pv_dsr_open(f->v, &ADMIN, g_rows[OLD1][C_ID], "delete", NULL, &d3));
	pvt_keep(d3);
	assert_ok(f->v, pv_dsr_delete(f->v, &ADMIN, d3, &cert));
	assert_non_null(cert);
	pvt_keep(cert);
	char why[400];
	assert_int_equal(pvt_certificate_verify(cert, pk, why, sizeof why), PV_OK);
	json_t *cd = parse(cert, "the certificate");
	json_t *body = json_object_get(cd, "certificate");
	assert_int_equal(jint(body, "count"), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(body, "customers"), 0)),
			    g_rows[OLD1][C_ID]);
	json_decref(cd);
	expect_absent(f->v, g_rows[OLD1][C_ID]);
	assert_int_equal(count_of(f->v), NCUST - 1);
	const char *st = dsr_state(f->v, d3);
	assert_true(strncmp(st, "closed", 6) == 0);
	/* the refused request is still open after all that */
	assert_string_equal(dsr_state(f->v, d1), "open");
	expect_row(f->v, LAWKEPT);
}

/* ---- 7. a value typed in place of an id ----------------------------------------------- */

#define TYPED "13912345678 张三"
#define TYPED_PHONE "13912345678"
#define TYPED_NAME "张三"

struct leak {
	size_t entries, leaks, masked;
};

static int scan_entry(void *ctx, const pv_audit_entry *e)
{
	struct leak *l = ctx;
	l->entries++;
	const char *s[] = { e->at, e->user, e->op, e->ids, e->purpose, e->request, e->outcome,
			    e->detail };
	for (size_t i = 0; i < sizeof s / sizeof *s; i++)
		if (s[i] && (strstr(s[i], TYPED_PHONE) || strstr(s[i], TYPED_NAME)))
			l->leaks++;
	if (e->ids && strstr(e->ids, "not an id"))
		l->masked++;
	return 0;
}

static void no_echo(pv_vault *v, pv_rc rc, const char *what)
{
	if (rc == PV_OK)
		fail_msg("%s with a phone and name as the customer id succeeded", what);
	const char *msg = pv_errmsg(v);
	if (strstr(msg, TYPED_PHONE) || strstr(msg, TYPED_NAME))
		fail_msg("%s echoes the value typed: %s", what, msg);
	if (!*msg)
		fail_msg("%s gives no message", what);
}

static void test_no_echo(void **state)
{
	struct fx *f = *state;
	/* customers from pvgen, its extra columns dropped */
	f->v = new_vault(f->dir, f->key);
	char *gen = NULL;
	assert_int_equal(pvt_run(&gen, "'%s' -n 6 --seed 21", pvt_program("pvgen")), 0);
	pvt_keep(gen);
	assert_null(strstr(gen, TYPED_PHONE));
	char *path = pvt_keep(pvt_path(f->base, "gen.csv"));
	assert_int_equal(pvt_write_file(path, gen, strlen(gen)), 0);
	pv_import_result *res = NULL;
	import_file(f->v, path, 6, &res);
	assert_non_null(strstr(pv_import_dropped_columns(res), "id_number"));
	pv_import_free(res);
	assert_int_equal(count_of(f->v), 6);

	const char *ids[] = { TYPED };
	no_echo(f->v, pv_hold_add(f->v, &ADMIN, ids, 1, "inquiry"), "pv_hold_add");
	char *rid = NULL;
	no_echo(f->v, pv_dsr_open(f->v, &ADMIN, TYPED, "delete", NULL, &rid), "pv_dsr_open");
	assert_null(rid);
	no_echo(f->v, pv_consent_set(f->v, &ADMIN, TYPED, "billing", 1, "web", "v1"),
		"pv_consent_set");
	no_echo(f->v, pv_consent_set(f->v, &ADMIN, TYPED, "billing", 0, "phone", "v1"),
		"pv_consent_set (withdraw)");
	pv_record *r = NULL;
	no_echo(f->v, pv_get(f->v, &READER, TYPED, &r), "pv_get");
	assert_null(r);
	int64_t notice = 0;
	no_echo(f->v, pv_notice_record(f->v, &ADMIN, TYPED, "dsr-reply", "v1", "sms", "sent",
				       &notice), "pv_notice_record");
	char *cert = NULL;
	no_echo(f->v, pv_shred(f->v, &ADMIN, ids, 1, &cert), "pv_shred");
	assert_null(cert);
	/* a role without the permission: refused before the id is looked at */
	static const pv_access AUDITOR = { "auditor", NULL, 0 };
	no_echo(f->v, pv_hold_add(f->v, &AUDITOR, ids, 1, "inquiry"), "pv_hold_add (auditor)");
	no_echo(f->v, pv_dsr_open(f->v, &AUDITOR, TYPED, "access", NULL, &rid),
		"pv_dsr_open (auditor)");
	no_echo(f->v, pv_consent_set(f->v, &AUDITOR, TYPED, "billing", 1, "web", "v1"),
		"pv_consent_set (auditor)");
	assert_int_equal(count_of(f->v), 6);

	/* the audit log holds the refusals, but not the value */
	pv_audit_filter all = { 0 };
	struct leak l = { 0 };
	assert_ok(f->v, pv_audit_log(f->v, &ADMIN, &all, scan_entry, &l));
	assert_true(l.entries >= 10);
	assert_int_equal(l.leaks, 0);
	assert_true(l.masked >= 1);
	/* and nowhere in the database files either */
	char *out = NULL;
	int st = pvt_run(&out, "cat '%s'/* 2>/dev/null | grep -a -c -e '%s' -e '%s' || true",
			 f->dir, TYPED_PHONE, TYPED_NAME);
	pvt_keep(out);
	assert_int_equal(st, 0);
	assert_non_null(out);
	if (atoi(out) != 0)
		fail_msg("the vault's files hold the value typed (%s lines)", out);

	/* a real id in the same calls works (the refusals were about the id) */
	char *ok = NULL;
	assert_ok(f->v, pv_dsr_open(f->v, &ADMIN, "C00000001", "access", NULL, &ok));
	pvt_keep(ok);
	const char *real[] = { "C00000001" };
	assert_ok(f->v, pv_hold_add(f->v, &ADMIN, real, 1, "inquiry"));
	assert_ok(f->v, pv_consent_set(f->v, &ADMIN, "C00000001", "billing", 1, "web", "v1"));

	/* releasing a hold on such an "id": neither the message nor the log repeats it */
	no_echo(f->v, pv_hold_release(f->v, &ADMIN, ids, 1, "done"), "pv_hold_release");
	memset(&l, 0, sizeof l);
	assert_ok(f->v, pv_audit_log(f->v, &ADMIN, &all, scan_entry, &l));
	assert_int_equal(l.leaks, 0);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plan, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_run, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_archive, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_refused, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_roles, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_keeper_key_file_bound, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_dsr_delete_by_law, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_no_echo, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
