/* SPDX-License-Identifier: Apache-2.0 */
/* test_tokens.c: tokens for other systems (pv_tokenize, pv_detokenize, and the pivault
 * tokenize / detokenize commands). Round trips per mode and shape; deterministic tokens
 * the same for the same value, field and purpose and different across purposes; the
 * phone-shaped token never a valid mainland mobile; refusals (no 'read', a role that does
 * not see the field in clear, another purpose, over the bulk limit); a shredded customer's
 * token dead, and a changed value's; and the insider's attacks as the store's DBA on
 * the tokens table (a row moved to another customer, sealed values swapped, a purpose
 * rewritten), deterministic tokens not derivable from the database, and no clear value in
 * the store (the SQLite file, or the PostgreSQL schema) or its audit log. */
#define _GNU_SOURCE /* memmem */
#include "dba.h"
#include "store_bytes.h"
#include "testutil.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pivault.h"
#include "validate.h"

#define NCUST 12

static const char ADMIN_PW[] = "admin-password-1";
static const char CLERK_PW[] = "clerk-password-1";
static const char AUDITOR_PW[] = "auditor-password-1";

static const pv_access ADMIN_SERVICE = { "admin", "service", 1 };
static const pv_access ADMIN_BILLING = { "admin", "billing", 1 };

static char *g_base;     /* the pristine vault: vault/, vault.keyring, root.key */
static char *g_key_path;
static struct pvt_csv g_csv;

struct fx {
	char *tmp, *dir, *key;
	pv_vault *v; /* opened with the root key */
};

/* Customer r's column col in the imported CSV. */
static const char *cust(size_t r, const char *col)
{
	const char *s = pvt_csv_get(&g_csv, r, col);
	assert_non_null(s);
	return s;
}

static const char *cid(size_t r)
{
	return cust(r, "customer_id");
}

/* The value of field of customer id as the vault holds it (normal form). */
static char *stored_value(pv_vault *v, const char *id, const char *field)
{
	pv_access all = { "admin", "all", 1 };
	pv_record *r = NULL;
	assert_ok(v, pv_get(v, &all, id, &r));
	char *out = NULL;
	for (size_t i = 0; i < pv_record_field_count(r); i++)
		if (strcmp(pv_record_field_name(r, i), field) == 0)
			out = pvt_keep(strdup(pv_record_field_value(r, i)));
	pv_record_free(r);
	assert_non_null(out);
	return out;
}

static char *tokenize(pv_vault *v, const pv_access *who, const char *id, const char *field,
		      pv_token_mode mode, pv_token_shape shape)
{
	char *t = NULL;
	assert_ok(v, pv_tokenize(v, who, id, field, mode, shape, &t));
	assert_non_null(t);
	return pvt_keep(t);
}

static char *detokenize(pv_vault *v, const pv_access *who, const char *token)
{
	char *value = NULL;
	assert_ok(v, pv_detokenize(v, who, token, &value));
	assert_non_null(value);
	return pvt_keep(value);
}

/* detokenize's refusal: rc want with needle in the message, and no value. */
static void detok_refused(pv_vault *v, const pv_access *who, const char *token, pv_rc want,
			  const char *needle)
{
	char *value = NULL;
	assert_rc_msg(v, pv_detokenize(v, who, token, &value), want, needle);
	assert_null(value);
}

/* Run SQL on the vault's store as a DBA would (the SQLite file, or its PostgreSQL schema). */
static void dba(const char *dir, const char *sql)
{
	if (pvt_dba(NULL, dir, "%s", sql) != 0)
		fail_msg("the DBA's SQL failed: %s", sql);
}

/* ---- fixtures ---- */

static void add_user(pv_vault *v, const char *name, const char *roles, const char *pw)
{
	pv_access admin = { "admin", NULL, 0 };
	pv_rc rc = pvt_user_add(v, &admin, name, roles, pw, strlen(pw));
	if (rc)
		fail_msg("pv_user_add(%s): %s", name, pv_errmsg(v));
}

static int group_setup(void **state)
{
	(void)state;
	g_base = pvt_tempdir();
	g_key_path = pvt_path(g_base, "root.key");
	char *dir = pvt_path(g_base, "vault"), *csv = NULL;
	pv_vault *v = pvt_sample_vault(dir, g_key_path, NCUST, 7, &csv);
	assert_int_equal(pvt_csv_parse(csv, &g_csv), 0);
	free(csv);
	add_user(v, "adm1", "admin", ADMIN_PW);
	add_user(v, "clerk1", "clerk", CLERK_PW);
	char today[16];
	time_t now = time(NULL);
	strftime(today, sizeof today, "%Y-%m-%d", gmtime(&now));
	pv_access users = { "admin", NULL, 0 };
	assert_ok(v, pv_user_attest(v, &users, "clerk1", today, today, NULL));
	add_user(v, "aud1", "auditor", AUDITOR_PW);
	pvt_vclose(v);
	pvt_drop(dir);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	pvt_release_all();
	pvt_csv_free(&g_csv);
	pvt_rmtree(g_base);
	pvt_drop(g_base);
	pvt_drop(g_key_path);
	return 0;
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->tmp = pvt_tempdir();
	f->dir = pvt_path(f->tmp, "vault");
	f->key = pvt_path(f->tmp, "root.key");
	pvt_copy_vault(g_base, f->tmp);
	assert_int_equal(pvt_run(NULL, "cp -a '%s/root.key' '%s/'", g_base, f->tmp), 0);
	f->v = pvt_open_root(f->dir, NULL, f->key);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	pvt_release_all();
	pvt_rmtree(f->tmp);
	pvt_drop(f->tmp);
	pvt_drop(f->dir);
	pvt_drop(f->key);
	pvt_drop(f);
	return 0;
}

/* ---- round trips and formats ---- */

/* Every mode and shape gives back the value the vault holds. */
static void test_round_trip(void **state)
{
	struct fx *f = *state;
	const pv_token_mode modes[] = { PV_TOKEN_RANDOM, PV_TOKEN_DETERMINISTIC };
	const pv_token_shape shapes[] = { PV_TOKEN_OPAQUE, PV_TOKEN_LIKE_FIELD };
	char *phone = stored_value(f->v, cid(1), "phone");
	for (int m = 0; m < 2; m++)
		for (int s = 0; s < 2; s++) {
			char *t = tokenize(f->v, &ADMIN_SERVICE, cid(1), "phone", modes[m], shapes[s]);
			assert_string_equal(detokenize(f->v, &ADMIN_SERVICE, t), phone);
			assert_null(strstr(t, phone + 3)); /* the number is not in the token */
		}
	char *name = stored_value(f->v, cid(2), "name");
	char *t = tokenize(f->v, &ADMIN_SERVICE, cid(2), "name", PV_TOKEN_RANDOM, PV_TOKEN_OPAQUE);
	assert_int_equal(strlen(t), 36);
	assert_memory_equal(t, "tok_", 4);
	assert_string_equal(detokenize(f->v, &ADMIN_SERVICE, t), name);
	/* a name has no token of its own shape; an unknown field or customer is named */
	char *none = NULL;
	assert_rc_msg(f->v, pv_tokenize(f->v, &ADMIN_SERVICE, cid(2), "name", PV_TOKEN_RANDOM,
					PV_TOKEN_LIKE_FIELD, &none), PV_ERR_USAGE, "only phone_cn");
	assert_rc_msg(f->v, pv_tokenize(f->v, &ADMIN_SERVICE, cid(2), "nickname", PV_TOKEN_RANDOM,
					PV_TOKEN_OPAQUE, &none), PV_ERR_USAGE, "nickname");
	assert_rc_msg(f->v, pv_tokenize(f->v, &ADMIN_SERVICE, "C09999999", "name", PV_TOKEN_RANDOM,
					PV_TOKEN_OPAQUE, &none), PV_ERR_NOT_FOUND, "C09999999");
	assert_null(none);
	/* a token the vault never made */
	detok_refused(f->v, &ADMIN_SERVICE, "tok_00000000000000000000000000000000", PV_ERR_NOT_FOUND,
		      "no such token");
	detok_refused(f->v, &ADMIN_SERVICE, phone, PV_ERR_NOT_FOUND, "no such token");
	assert_null(strstr(pv_errmsg(f->v), phone));
}

/* Deterministic: the same token for the same value, field and purpose (also across
 * customers holding the same value), another for another purpose; random: new each time. */
static void test_deterministic(void **state)
{
	struct fx *f = *state;
	for (int s = 0; s < 2; s++) {
		pv_token_shape shape = s ? PV_TOKEN_LIKE_FIELD : PV_TOKEN_OPAQUE;
		char *a = tokenize(f->v, &ADMIN_SERVICE, cid(3), "phone", PV_TOKEN_DETERMINISTIC, shape);
		char *b = tokenize(f->v, &ADMIN_SERVICE, cid(3), "phone", PV_TOKEN_DETERMINISTIC, shape);
		char *c = tokenize(f->v, &ADMIN_BILLING, cid(3), "phone", PV_TOKEN_DETERMINISTIC, shape);
		char *d = tokenize(f->v, &ADMIN_SERVICE, cid(4), "phone", PV_TOKEN_DETERMINISTIC, shape);
		char *r1 = tokenize(f->v, &ADMIN_SERVICE, cid(3), "phone", PV_TOKEN_RANDOM, shape);
		char *r2 = tokenize(f->v, &ADMIN_SERVICE, cid(3), "phone", PV_TOKEN_RANDOM, shape);
		assert_string_equal(a, b);
		assert_string_not_equal(a, c);
		assert_string_not_equal(a, d);
		assert_string_not_equal(r1, r2);
		assert_string_not_equal(a, r1);
		assert_string_equal(detokenize(f->v, &ADMIN_BILLING, c), stored_value(f->v, cid(3), "phone"));
	}
	/* customer 5 takes customer 3's number: the same token, and it outlives customer 3 */
	char *phone3 = stored_value(f->v, cid(3), "phone");
	pv_access upd = { "admin", "all", 0 };
	assert_ok(f->v, pv_update(f->v, &upd, cid(5), "phone", phone3));
	char *t3 = tokenize(f->v, &ADMIN_SERVICE, cid(3), "phone", PV_TOKEN_DETERMINISTIC,
			    PV_TOKEN_OPAQUE);
	char *t5 = tokenize(f->v, &ADMIN_SERVICE, cid(5), "phone", PV_TOKEN_DETERMINISTIC,
			    PV_TOKEN_OPAQUE);
	assert_string_equal(t3, t5);
	const char *ids[] = { cid(3) };
	char *cert = NULL;
	pv_access shred = { "admin", NULL, 0 };
	assert_ok(f->v, pv_shred(f->v, &shred, ids, 1, &cert));
	pv_free(cert);
	assert_string_equal(detokenize(f->v, &ADMIN_SERVICE, t5), phone3);
}

/* The phone-shaped token: 11 digits, starting 10, never a valid mainland mobile. */
static void test_shaped_phone_not_a_number(void **state)
{
	struct fx *f = *state;
	assert_ok(f->v, pv_vault_batch_begin(f->v));
	for (size_t i = 0; i < 200; i++) {
		int det = i % 2;
		const pv_access *who = i % 4 < 2 ? &ADMIN_SERVICE : &ADMIN_BILLING;
		char *t = tokenize(f->v, who, cid(1 + i % NCUST), "phone",
				   det ? PV_TOKEN_DETERMINISTIC : PV_TOKEN_RANDOM, PV_TOKEN_LIKE_FIELD);
		assert_int_equal(strlen(t), 11);
		assert_int_equal(strspn(t, "0123456789"), 11);
		assert_memory_equal(t, "10", 2);
		char out[64];
		size_t n;
		assert_non_null(pv_validate(PV_T_PHONE, t, strlen(t), out, sizeof out, &n));
		char plus[32];
		snprintf(plus, sizeof plus, "+86%s", t);
		assert_non_null(pv_validate(PV_T_PHONE, plus, strlen(plus), out, sizeof out, &n));
		pvt_drop(t);
	}
	assert_ok(f->v, pv_vault_batch_end(f->v, PV_BATCH_COMMIT));
}

/* ---- who may ---- */

/* The attack: a user whose role may not read the field asks for its value through a
 * token (the auditor has no 'read'; the clerk sees phones masked); a clerk without
 * 'tokenize' makes tokens. */
static void test_refused_roles(void **state)
{
	struct fx *f = *state;
	char *t = tokenize(f->v, &ADMIN_SERVICE, cid(1), "phone", PV_TOKEN_RANDOM, PV_TOKEN_OPAQUE);
	pvt_vclose(f->v);
	f->v = NULL;
	pv_vault *a = pvt_open_user(f->dir, "aud1", AUDITOR_PW);
	pv_access auditor = { "auditor", "service", 1 };
	detok_refused(a, &auditor, t, PV_ERR_DENIED, "lacks permission 'read'");
	pvt_vclose(a);
	pv_vault *c = pvt_open_user(f->dir, "clerk1", CLERK_PW);
	pv_access clerk = { "clerk", "service", 1 };
	detok_refused(c, &clerk, t, PV_ERR_DENIED, "does not see field phone in clear");
	/* the clerk sees names in clear for service: that token is shown */
	pvt_vclose(c);
	f->v = pvt_open_root(f->dir, NULL, f->key);
	char *n = tokenize(f->v, &ADMIN_SERVICE, cid(1), "name", PV_TOKEN_RANDOM, PV_TOKEN_OPAQUE);
	char *name = stored_value(f->v, cid(1), "name");
	pvt_vclose(f->v);
	f->v = NULL;
	c = pvt_open_user(f->dir, "clerk1", CLERK_PW);
	assert_string_equal(detokenize(c, &clerk, n), name);
	char *none = NULL;
	assert_rc_msg(c, pv_tokenize(c, &clerk, cid(1), "phone", PV_TOKEN_RANDOM, PV_TOKEN_OPAQUE,
				     &none), PV_ERR_DENIED, "lacks permission 'tokenize'");
	assert_null(none);
	/* a role the user does not hold */
	pv_access as_admin = { "admin", "service", 1 };
	detok_refused(c, &as_admin, t, PV_ERR_DENIED, "does not have role");
	pvt_vclose(c);
}

/* The attack: a token made for billing is read for service, or for every purpose; a
 * token asked for a purpose its field does not serve. */
static void test_wrong_purpose(void **state)
{
	struct fx *f = *state;
	char *t = tokenize(f->v, &ADMIN_BILLING, cid(1), "phone", PV_TOKEN_DETERMINISTIC,
			   PV_TOKEN_OPAQUE);
	detok_refused(f->v, &ADMIN_SERVICE, t, PV_ERR_DENIED, "made for purpose 'billing'");
	pv_access all = { "admin", "all", 1 }, none_given = { "admin", NULL, 1 };
	detok_refused(f->v, &all, t, PV_ERR_DENIED, "made for purpose 'billing'");
	detok_refused(f->v, &none_given, t, PV_ERR_DENIED, "purpose");
	char *x = NULL;
	assert_rc_msg(f->v, pv_tokenize(f->v, &ADMIN_SERVICE, cid(1), "id_number",
					PV_TOKEN_RANDOM, PV_TOKEN_OPAQUE, &x),
		      PV_ERR_DENIED, "not declared for purpose 'service'");
	assert_rc_msg(f->v, pv_tokenize(f->v, &all, cid(1), "phone", PV_TOKEN_RANDOM,
					PV_TOKEN_OPAQUE, &x), PV_ERR_DENIED, "not 'all'");
	assert_null(x);
}

/* The attack: a user detokenizes every customer's tokens one by one, past the bulk limit
 * of clear reads. */
static void test_bulk_limit(void **state)
{
	struct fx *f = *state;
	pv_access adm = { "admin", NULL, 0 };
	assert_ok(f->v, pv_audit_set_alert_threshold(f->v, &adm, 3));
	char *t[4];
	for (size_t i = 0; i < 4; i++)
		t[i] = tokenize(f->v, &ADMIN_SERVICE, cid(1 + i), "phone", PV_TOKEN_RANDOM,
				PV_TOKEN_OPAQUE);
	pvt_vclose(f->v);
	f->v = NULL;
	pv_vault *a = pvt_open_user(f->dir, "adm1", ADMIN_PW);
	for (size_t i = 0; i < 3; i++)
		detokenize(a, &ADMIN_SERVICE, t[i]);
	detok_refused(a, &ADMIN_SERVICE, t[3], PV_ERR_DENIED, "bulk limit");
	pvt_vclose(a);
}

/* ---- dead tokens ---- */

/* Shredding the customer kills its tokens; a changed value's token dies too. */
static void test_dead_after_shred(void **state)
{
	struct fx *f = *state;
	char *r = tokenize(f->v, &ADMIN_SERVICE, cid(6), "phone", PV_TOKEN_RANDOM, PV_TOKEN_OPAQUE);
	char *d = tokenize(f->v, &ADMIN_SERVICE, cid(6), "phone", PV_TOKEN_DETERMINISTIC,
			   PV_TOKEN_LIKE_FIELD);
	char *n = tokenize(f->v, &ADMIN_SERVICE, cid(7), "phone", PV_TOKEN_RANDOM, PV_TOKEN_OPAQUE);
	const char *ids[] = { cid(6) };
	char *cert = NULL;
	pv_access shred = { "admin", NULL, 0 };
	assert_ok(f->v, pv_shred(f->v, &shred, ids, 1, &cert));
	pv_free(cert);
	detok_refused(f->v, &ADMIN_SERVICE, r, PV_ERR_TOKEN_DEAD, "dead");
	detok_refused(f->v, &ADMIN_SERVICE, d, PV_ERR_TOKEN_DEAD, "shredded");
	/* the same holds after the vault is opened again */
	pvt_vclose(f->v);
	f->v = pvt_open_root(f->dir, NULL, f->key);
	detok_refused(f->v, &ADMIN_SERVICE, r, PV_ERR_TOKEN_DEAD, "shredded");
	/* a token of a value changed since is dead */
	pv_access upd = { "admin", "all", 0 };
	assert_ok(f->v, pv_update(f->v, &upd, cid(7), "phone", "13912345678"));
	detok_refused(f->v, &ADMIN_SERVICE, n, PV_ERR_TOKEN_DEAD, "changed");
	/* and the shredded customer cannot be tokenized again */
	char *x = NULL;
	assert_rc_msg(f->v, pv_tokenize(f->v, &ADMIN_SERVICE, cid(6), "phone", PV_TOKEN_RANDOM,
					PV_TOKEN_OPAQUE, &x), PV_ERR_NOT_FOUND, cid(6));
}

/* ---- the insider ---- */

/* The attack: a DBA points a token's row at another customer, so that detokenizing it
 * for a purpose the attacker may use yields that customer's value. */
static void test_dba_moves_row(void **state)
{
	struct fx *f = *state;
	char *t = tokenize(f->v, &ADMIN_SERVICE, cid(1), "phone", PV_TOKEN_RANDOM, PV_TOKEN_OPAQUE);
	char sql[256];
	snprintf(sql, sizeof sql, "UPDATE tokens SET customer = '%s' WHERE token = '%s'", cid(2), t);
	dba(f->dir, sql);
	detok_refused(f->v, &ADMIN_SERVICE, t, PV_ERR_CORRUPT, "fails authentication");
	/* moved to another field of the same customer */
	char *u = tokenize(f->v, &ADMIN_SERVICE, cid(3), "phone", PV_TOKEN_RANDOM, PV_TOKEN_OPAQUE);
	char *w = tokenize(f->v, &ADMIN_SERVICE, cid(3), "name", PV_TOKEN_RANDOM, PV_TOKEN_OPAQUE);
	snprintf(sql, sizeof sql, "UPDATE tokens SET field = (SELECT field FROM tokens WHERE "
		 "token = '%s') WHERE token = '%s'", w, u);
	dba(f->dir, sql);
	detok_refused(f->v, &ADMIN_SERVICE, u, PV_ERR_CORRUPT, "fails authentication");
}

/* The attack: a DBA swaps the sealed values of two rows (two customers' phone tokens). */
static void test_dba_swaps_sealed(void **state)
{
	struct fx *f = *state;
	char *a = tokenize(f->v, &ADMIN_SERVICE, cid(1), "phone", PV_TOKEN_RANDOM, PV_TOKEN_OPAQUE);
	char *b = tokenize(f->v, &ADMIN_SERVICE, cid(1), "name", PV_TOKEN_RANDOM, PV_TOKEN_OPAQUE);
	char sql[512];
	snprintf(sql, sizeof sql,
		 "CREATE TEMP TABLE s AS SELECT token, sealed FROM tokens WHERE token IN ('%s','%s');"
		 "UPDATE tokens SET sealed = (SELECT sealed FROM s WHERE s.token != tokens.token) "
		 "WHERE token IN ('%s','%s');", a, b, a, b);
	dba(f->dir, sql);
	detok_refused(f->v, &ADMIN_SERVICE, a, PV_ERR_CORRUPT, "fails authentication");
	detok_refused(f->v, &ADMIN_SERVICE, b, PV_ERR_CORRUPT, "fails authentication");
	/* the same customer's token renamed: the row no longer matches its token */
	char *c = tokenize(f->v, &ADMIN_SERVICE, cid(2), "phone", PV_TOKEN_RANDOM, PV_TOKEN_OPAQUE);
	snprintf(sql, sizeof sql, "UPDATE tokens SET token = 'tok_%032d' WHERE token = '%s'", 7, c);
	dba(f->dir, sql);
	char fake[64];
	snprintf(fake, sizeof fake, "tok_%032d", 7);
	detok_refused(f->v, &ADMIN_SERVICE, fake, PV_ERR_CORRUPT, "fails authentication");
}

/* Variant: the DBA leaves customer, field and value alone and rewrites the purpose, so a
 * role limited to service reads a token made for billing. */
static void test_dba_rewrites_purpose(void **state)
{
	struct fx *f = *state;
	char *t = tokenize(f->v, &ADMIN_BILLING, cid(1), "phone", PV_TOKEN_DETERMINISTIC,
			   PV_TOKEN_LIKE_FIELD);
	char sql[256];
	snprintf(sql, sizeof sql, "UPDATE tokens SET purpose = 'service' WHERE token = '%s'", t);
	dba(f->dir, sql);
	detok_refused(f->v, &ADMIN_SERVICE, t, PV_ERR_CORRUPT, "fails authentication");
	/* or the kind (a deterministic row made to pass as random) */
	char *u = tokenize(f->v, &ADMIN_SERVICE, cid(2), "phone", PV_TOKEN_DETERMINISTIC,
			   PV_TOKEN_OPAQUE);
	snprintf(sql, sizeof sql, "UPDATE tokens SET kind = 0 WHERE token = '%s'", u);
	dba(f->dir, sql);
	detok_refused(f->v, &ADMIN_SERVICE, u, PV_ERR_CORRUPT, "fails authentication");
}

/* The attack: a DBA with the database (and the same customers' values from elsewhere)
 * computes the deterministic tokens without the vault's keys: a plain hash of the value
 * is not the token, and another vault holding the same customers gives other tokens. */
static void test_dba_cannot_derive(void **state)
{
	struct fx *f = *state;
	char *phone = stored_value(f->v, cid(1), "phone");
	char *t = tokenize(f->v, &ADMIN_SERVICE, cid(1), "phone", PV_TOKEN_DETERMINISTIC,
			   PV_TOKEN_OPAQUE);
	const char *forms[] = { phone, phone + 3 };
	for (size_t i = 0; i < 2; i++) {
		uint8_t h[16];
		char hex[33];
		crypto_generichash(h, sizeof h, (const uint8_t *)forms[i], strlen(forms[i]), NULL, 0);
		sodium_bin2hex(hex, sizeof hex, h, sizeof h);
		assert_string_not_equal(t + 4, hex);
	}
	/* the same customers imported into another vault (another root key) */
	char *other = pvt_path(f->tmp, "other"), *okey = pvt_path(f->tmp, "other.key");
	pv_vault *o = pvt_sample_vault(other, okey, NCUST, 7, NULL);
	assert_string_equal(stored_value(o, cid(1), "phone"), phone);
	char *u = tokenize(o, &ADMIN_SERVICE, cid(1), "phone", PV_TOKEN_DETERMINISTIC,
			   PV_TOKEN_OPAQUE);
	assert_string_not_equal(t, u);
	pvt_vclose(o);
	pvt_drop(other);
	pvt_drop(okey);
}

/* The audit log's entries about tokens, as text. */
static int log_token_entry(void *ctx, const pv_audit_entry *e)
{
	char **buf = ctx;
	if (strstr(e->op, "tokenize")) {
		size_t n = strlen(*buf), add = strlen(e->ids) + strlen(e->detail) + 4;
		*buf = realloc(*buf, n + add);
		snprintf(*buf + n, add, "%s|%s\n", e->ids, e->detail);
	}
	return 0;
}

/* Nothing of the values tokenized, nor the tokens, is in the audit log; no value is in
 * the store in clear (the SQLite file and its write-ahead log, or every value of the
 * vault's PostgreSQL schema). */
static void test_no_clear_value_on_disk(void **state)
{
	struct fx *f = *state;
	char *tokens[8];
	for (size_t i = 1; i <= 4; i++) {
		const char *fields[] = { "phone", "name" };
		for (size_t k = 0; k < 2; k++) {
			char *t = tokenize(f->v, &ADMIN_SERVICE, cid(i), fields[k],
					   i % 2 ? PV_TOKEN_DETERMINISTIC : PV_TOKEN_RANDOM,
					   PV_TOKEN_OPAQUE);
			detokenize(f->v, &ADMIN_SERVICE, t);
			tokens[(i - 1) * 2 + k] = t;
		}
	}
	char *log = calloc(1, 1);
	pv_access adm = { "admin", NULL, 0 };
	assert_ok(f->v, pv_audit_log(f->v, &adm, NULL, log_token_entry, &log));
	assert_non_null(strstr(log, "field phone, deterministic"));
	for (size_t i = 0; i < 8; i++)
		assert_null(strstr(log, tokens[i] + 4));
	for (size_t i = 1; i <= 4; i++) {
		assert_null(strstr(log, stored_value(f->v, cid(i), "phone") + 3));
		assert_null(strstr(log, cust(i, "name")));
	}
	free(log);
	char *bad = NULL;
	assert_int_equal(pv_detokenize(f->v, &ADMIN_SERVICE, cust(1, "phone"), &bad),
			 PV_ERR_NOT_FOUND);
	assert_ok(f->v, pv_vault_checkpoint(f->v));
	size_t len = 0;
	char *bytes = pvt_store_bytes(f->dir, &len);
	for (size_t i = 1; i <= 4; i++) {
		char *phone = stored_value(f->v, cid(i), "phone");
		const char *vals[] = { phone, phone + 3, cust(i, "name") };
		for (size_t j = 0; j < 3; j++)
			if (memmem(bytes, len, vals[j], strlen(vals[j])))
				fail_msg("a value of customer %zu is in the store", i);
	}
	/* the scan sees the tokens table (a random token is its row's key) */
	assert_non_null(memmem(bytes, len, tokens[1], strlen(tokens[1])));
	free(bytes);
}

/* ---- the commands ---- */

/* pivault tokenize and detokenize with the root key: the token printed alone (or as
 * JSON), the value back, a dead token's refusal (exit 1, no value), and usage errors. */
static void test_cli(void **state)
{
	struct fx *f = *state;
	pvt_vclose(f->v);
	f->v = NULL;
	const char *pv = pvt_program("pivault-test");
	char *out = NULL;
	assert_int_equal(pvt_run(&out, "'%s' tokenize --vault '%s' --key-file '%s' --role admin "
				 "--purpose billing --customer %s --field phone --deterministic "
				 "--shaped 2>&1", pv, f->dir, f->key, cid(8)), 0);
	char token[64];
	assert_int_equal(sscanf(out, "%63s", token), 1);
	assert_int_equal(strlen(token), 11);
	pvt_drop(out);
	assert_int_equal(pvt_run(&out, "'%s' tokenize --vault '%s' --key-file '%s' --role admin "
				 "--purpose billing --customer %s --field phone --deterministic "
				 "--shaped --json 2>&1", pv, f->dir, f->key, cid(8)), 0);
	char want[96];
	snprintf(want, sizeof want, "{\"token\":\"%s\"}", token);
	assert_non_null(strstr(out, want));
	pvt_drop(out);
	assert_int_equal(pvt_run(&out, "'%s' detokenize %s --vault '%s' --key-file '%s' --role admin "
				 "--purpose billing 2>&1", pv, token, f->dir, f->key), 0);
	f->v = pvt_open_root(f->dir, NULL, f->key);
	char *phone = stored_value(f->v, cid(8), "phone");
	assert_non_null(strstr(out, phone));
	pvt_drop(out);
	const char *ids[] = { cid(8) };
	char *cert = NULL;
	pv_access shred = { "admin", NULL, 0 };
	assert_ok(f->v, pv_shred(f->v, &shred, ids, 1, &cert));
	pv_free(cert);
	assert_int_equal(pvt_run(&out, "'%s' detokenize %s --vault '%s' --key-file '%s' --role admin "
				 "--purpose billing 2>&1", pv, token, f->dir, f->key), 1);
	assert_non_null(strstr(out, "dead"));
	assert_null(strstr(out, phone + 3));
	pvt_drop(out);
	assert_int_equal(pvt_run(&out, "'%s' tokenize --vault '%s' --key-file '%s' --role admin "
				 "--purpose billing --field phone 2>&1", pv, f->dir, f->key), 2);
	assert_non_null(strstr(out, "--customer"));
	pvt_drop(out);
	assert_int_equal(pvt_run(&out, "'%s' detokenize --vault '%s' --key-file '%s' 2>&1", pv,
				 f->dir, f->key), 2);
	pvt_drop(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_deterministic, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_shaped_phone_not_a_number, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_refused_roles, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_wrong_purpose, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bulk_limit, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_dead_after_shred, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_dba_moves_row, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_dba_swaps_sealed, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_dba_rewrites_purpose, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_dba_cannot_derive, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_no_clear_value_on_disk, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_cli, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
