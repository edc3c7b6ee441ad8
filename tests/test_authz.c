/* SPDX-License-Identifier: Apache-2.0 */
/* test_authz.c: the authorisation matrix of examples/schema.yaml: for every role and every
 * operation the library exposes, the call is allowed or refused exactly as the schema's
 * operations lists say (default deny), a refusal being PV_ERR_DENIED naming the missing
 * permission; and the purpose rules: a read of customer data must name a purpose the role
 * may use, and 'all' only for roles that may use every purpose. The expected table is
 * written out by hand from the schema text, not computed from the parsed schema. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pivault.h"

#define NCUST 6

static char *g_base;
static char *g_dir;
static char *g_key_path;
static char *g_csv_path;   /* new customers (C00000101..) for the allowed import */
static char *g_name1;      /* name of C00000001, for find */
static pv_vault *g_v;      /* opened with the root key: roles are given per call */
static char g_msg[1024];   /* the message of the operation call_op ran */

static void keep_msg(void)
{
	snprintf(g_msg, sizeof g_msg, "%s", pv_errmsg(g_v));
}

/* ---- the expected matrix, from examples/schema.yaml ----------------------------------
 *   admin:   operations: all
 *   dpo:     operations: [read, find, list, export, shred, retention, consent, dsr, hold,
 *                         approve, audit, report, handover, decommission, incident, scan]
 *   clerk:   operations: [read, find, list]
 *   finance: operations: [read, find, list, export]
 *   auditor: operations: [audit, report, list]
 * Purposes: admin all, dpo all, clerk [service], finance [billing], auditor all. */

enum op { OP_READ, OP_FIND, OP_LIST, OP_EXPORT, OP_UPDATE, OP_IMPORT, OP_AUDIT, OP_USERS, NOPS };

static const char *const op_names[NOPS] = { "read", "find", "list", "export",
					    "update", "import", "audit", "users" };

struct role_row {
	const char *role;
	const char *purpose; /* one the role may use */
	int allowed[NOPS];   /* read find list export update import audit users */
};

static const struct role_row matrix[] = {
	{ "admin",   "all",     { 1, 1, 1, 1, 1, 1, 1, 1 } },
	{ "dpo",     "all",     { 1, 1, 1, 1, 0, 0, 1, 0 } },
	{ "clerk",   "service", { 1, 1, 1, 0, 0, 0, 0, 0 } },
	{ "finance", "billing", { 1, 1, 1, 1, 0, 0, 0, 0 } },
	{ "auditor", "all",     { 0, 0, 1, 0, 0, 0, 1, 0 } },
};

#define NROLES (sizeof matrix / sizeof *matrix)

/* ---- fixtures ----------------------------------------------------------------------- */

static int group_setup(void **state)
{
	(void)state;
	g_base = pvt_tempdir();
	g_dir = pvt_path(g_base, "vault");
	g_key_path = pvt_path(g_base, "root.key");
	g_csv_path = pvt_path(g_base, "more.csv");
	char *csv = NULL;
	g_v = pvt_sample_vault(g_dir, g_key_path, NCUST, 5, &csv);
	struct pvt_csv t;
	assert_int_equal(pvt_csv_parse(csv, &t), 0);
	assert_string_equal(pvt_csv_get(&t, 1, "customer_id"), "C00000001");
	g_name1 = strdup(pvt_csv_get(&t, 1, "name"));
	pvt_csv_free(&t);
	free(csv);
	assert_int_equal(pvt_run(NULL, "'%s' -n 3 --start 101 --seed 5 --canonical -o '%s'",
				 pvt_program("pvgen"), g_csv_path), 0);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	pv_vault_close(g_v);
	pvt_rmtree(g_base);
	free(g_base);
	free(g_dir);
	free(g_key_path);
	free(g_csv_path);
	free(g_name1);
	return 0;
}

/* ---- calling each operation --------------------------------------------------------- */

static int count_id(void *ctx, const char *id)
{
	(void)id;
	++*(int *)ctx;
	return 0;
}

static int count_record(void *ctx, const pv_record *r)
{
	(void)r;
	++*(int *)ctx;
	return 0;
}

static int count_entry(void *ctx, const pv_audit_entry *e)
{
	(void)e;
	++*(int *)ctx;
	return 0;
}

static int count_alert(void *ctx, const pv_audit_alert *a)
{
	(void)a;
	++*(int *)ctx;
	return 0;
}

static int count_user(void *ctx, const pv_user_info *u)
{
	(void)u;
	++*(int *)ctx;
	return 0;
}

/* Run operation op as who. *out_count receives what the call produced (records, ids,
 * bytes, entries), so a refused call can be checked to have produced nothing. For
 * 'audit', pv_audit_log and pv_audit_alerts are called; for 'users', pv_user_list,
 * pv_user_add and pv_user_attest; each set must agree. */
static pv_rc call_op(enum op op, const pv_access *who, int *out_count, int serial)
{
	int n = 0;
	pv_rc rc = PV_ERR_USAGE;
	switch (op) {
	case OP_READ: {
		pv_record *r = NULL;
		rc = pv_get(g_v, who, "C00000002", &r);
		keep_msg();
		n = r != NULL;
		if (rc == PV_OK)
			assert_string_equal(pv_record_id(r), "C00000002");
		pv_record_free(r);
		break;
	}
	case OP_FIND:
		rc = pv_find(g_v, who, "name", g_name1, count_id, &n);
		keep_msg();
		if (rc == PV_OK)
			assert_true(n >= 1);
		break;
	case OP_LIST: {
		char *next = NULL;
		rc = pv_list(g_v, who, NULL, 3, count_record, &n, &next);
		keep_msg();
		free(next);
		if (rc == PV_OK)
			assert_int_equal(n, 3);
		break;
	}
	case OP_EXPORT: {
		FILE *f = tmpfile();
		assert_non_null(f);
		rc = pv_export(g_v, who, PV_EXPORT_CSV, f);
		keep_msg();
		n = (int)ftell(f);
		fclose(f);
		if (rc == PV_OK)
			assert_true(n > 100);
		break;
	}
	case OP_UPDATE: {
		char val[64];
		snprintf(val, sizeof val, "prefers deliveries, note %d", serial);
		rc = pv_update(g_v, who, "C00000003", "preferences", val);
		keep_msg();
		break;
	}
	case OP_IMPORT: {
		pv_import_opts io = { 0 };
		io.threads = 1;
		pv_import_result *res = NULL;
		uint64_t before = 0, after = 0;
		assert_int_equal(pv_vault_count(g_v, &before), PV_OK);
		rc = pv_import_csv(g_v, who, g_csv_path, &io, &res);
		keep_msg();
		assert_int_equal(pv_vault_count(g_v, &after), PV_OK);
		n = (int)(after - before);
		if (rc == PV_OK)
			assert_int_equal(n, 3);
		pv_import_free(res);
		break;
	}
	case OP_AUDIT:
		rc = pv_audit_log(g_v, who, NULL, count_entry, &n);
		keep_msg();
		if (rc == PV_OK)
			assert_true(n > 0);
		int alerts = 0;
		pv_rc rc2 = pv_audit_alerts(g_v, who, count_alert, &alerts);
		if (rc2 != rc)
			fail_msg("pv_audit_log gave %d but pv_audit_alerts %d for role %s: %s", rc, rc2,
				 who->role, pv_errmsg(g_v));
		if (rc2 == PV_ERR_DENIED) {
			assert_int_equal(alerts, 0);
			if (!strstr(pv_errmsg(g_v), "'audit'"))
				fail_msg("pv_audit_alerts refused without naming 'audit': %s",
					 pv_errmsg(g_v));
		}
		break;
	case OP_USERS: {
		rc = pv_user_list(g_v, who, 0, count_user, &n);
		keep_msg();
		char name[32];
		snprintf(name, sizeof name, "user%d", serial);
		pv_rc rc2 = pvt_user_add(g_v, who, name, "clerk", "password-for-user", 17);
		if (rc2 != rc)
			fail_msg("pv_user_list gave %d but pv_user_add %d for role %s: %s", rc, rc2,
				 who->role, pv_errmsg(g_v));
		if (rc2 == PV_ERR_DENIED && !strstr(pv_errmsg(g_v), "'users'"))
			fail_msg("pv_user_add refused without naming 'users': %s", pv_errmsg(g_v));
		rc2 = pv_user_attest(g_v, who, rc == PV_OK ? name : "user1", "2025-01-01", NULL, NULL);
		if (rc2 != rc)
			fail_msg("pv_user_list gave %d but pv_user_attest %d for role %s: %s", rc, rc2,
				 who->role, pv_errmsg(g_v));
		if (rc2 == PV_ERR_DENIED && !strstr(pv_errmsg(g_v), "'users'"))
			fail_msg("pv_user_attest refused without naming 'users': %s", pv_errmsg(g_v));
		if (rc == PV_OK) {
			int m = 0;
			assert_int_equal(pv_user_list(g_v, who, 0, count_user, &m), PV_OK);
			assert_int_equal(m, n + 1);
		}
		break;
	}
	case NOPS:
		break;
	}
	*out_count = n;
	return rc;
}

struct outcome_count {
	int denied;
};

static int count_denied(void *ctx, const pv_audit_entry *e)
{
	struct outcome_count *c = ctx;
	if (strcmp(e->outcome, "denied") == 0)
		c->denied++;
	return 0;
}

static int denied_entries(void)
{
	struct outcome_count c = { 0 };
	pv_access admin = { "admin", NULL, 0 };
	assert_int_equal(pv_audit_log(g_v, &admin, NULL, count_denied, &c), PV_OK);
	return c.denied;
}

/* ---- tests -------------------------------------------------------------------------- */

/* Every role against every operation, as the schema says; each refusal audited. */
static void test_matrix(void **state)
{
	(void)state;
	int denied_before = denied_entries();
	int refusals = 0, serial = 0;
	for (size_t r = 0; r < NROLES; r++) {
		for (int op = 0; op < NOPS; op++) {
			pv_access who = { matrix[r].role, matrix[r].purpose, 0 };
			int produced = -1;
			pv_rc rc = call_op((enum op)op, &who, &produced, ++serial);
			const char *msg = g_msg;
			if (matrix[r].allowed[op]) {
				if (rc != PV_OK)
					fail_msg("role %s, operation %s: expected allowed, got %d: %s",
						 matrix[r].role, op_names[op], rc, msg);
				continue;
			}
			if (rc != PV_ERR_DENIED)
				fail_msg("role %s, operation %s: expected PV_ERR_DENIED, got %d: %s",
					 matrix[r].role, op_names[op], rc, msg);
			char want[64];
			snprintf(want, sizeof want, "'%s'", op_names[op]);
			if (!strstr(msg, want) || !strstr(msg, "permission"))
				fail_msg("role %s, operation %s: the refusal does not name the "
					 "permission %s: %s", matrix[r].role, op_names[op], want, msg);
			snprintf(want, sizeof want, "'%s'", matrix[r].role);
			if (!strstr(msg, want))
				fail_msg("role %s, operation %s: the refusal does not name the role: %s",
					 matrix[r].role, op_names[op], msg);
			if (produced != 0)
				fail_msg("role %s, operation %s: refused but produced %d", matrix[r].role,
					 op_names[op], produced);
			refusals += op == OP_USERS ? 3 : op == OP_AUDIT ? 2 : 1;
		}
	}
	/* dpo 3 + clerk 5 + finance 4 + auditor 6 refused operations; for each of these four
	 * roles the second and third calls of 'users'; for clerk and finance the second call
	 * of 'audit'. */
	assert_int_equal(refusals, 3 + 5 + 4 + 6 + 4 * 2 + 2);
	assert_int_equal(denied_entries() - denied_before, refusals);
}

/* Clear values too: the same matrix holds when clear values are asked for (the root key
 * has no staff obligations, and no approval is needed for it). */
static void test_matrix_clear(void **state)
{
	(void)state;
	static const enum op reads[] = { OP_READ, OP_FIND, OP_LIST };
	for (size_t r = 0; r < NROLES; r++)
		for (size_t k = 0; k < sizeof reads / sizeof *reads; k++) {
			pv_access who = { matrix[r].role, matrix[r].purpose, 1 };
			int produced;
			pv_rc rc = call_op(reads[k], &who, &produced, 0);
			assert_int_equal(rc, matrix[r].allowed[reads[k]] ? PV_OK : PV_ERR_DENIED);
		}
}

/* An unknown role, and no role at all (the root key has no roles of its own), are refused. */
static void test_no_or_unknown_role(void **state)
{
	(void)state;
	pv_record *r = NULL;
	pv_access nobody = { NULL, "all", 0 };
	assert_int_equal(pv_get(g_v, &nobody, "C00000001", &r), PV_ERR_DENIED);
	assert_null(r);
	assert_non_null(strstr(pv_errmsg(g_v), "'read'"));
	assert_int_equal(pv_get(g_v, NULL, "C00000001", &r), PV_ERR_DENIED);
	assert_null(r);
	pv_access ghost = { "superuser", "all", 0 };
	assert_int_equal(pv_get(g_v, &ghost, "C00000001", &r), PV_ERR_DENIED);
	assert_null(r);
	assert_non_null(strstr(pv_errmsg(g_v), "superuser"));
	assert_int_equal(pv_update(g_v, &ghost, "C00000001", "preferences", "x"), PV_ERR_DENIED);
}

/* A read with no purpose is refused for every role, saying a purpose is needed. */
static void test_no_purpose(void **state)
{
	(void)state;
	for (size_t i = 0; i < NROLES; i++) {
		pv_access who = { matrix[i].role, NULL, 0 };
		pv_record *r = NULL;
		assert_int_equal(pv_get(g_v, &who, "C00000001", &r), PV_ERR_DENIED);
		assert_null(r);
		if (matrix[i].allowed[OP_READ])
			assert_non_null(strstr(pv_errmsg(g_v), "purpose"));
		else
			assert_non_null(strstr(pv_errmsg(g_v), "'read'"));
		/* Every role may list: the refusal is about the purpose alone. */
		int n = 0;
		assert_int_equal(pv_list(g_v, &who, NULL, 2, count_record, &n, NULL), PV_ERR_DENIED);
		assert_int_equal(n, 0);
		assert_non_null(strstr(pv_errmsg(g_v), "purpose"));
		if (matrix[i].allowed[OP_FIND]) {
			assert_int_equal(pv_find(g_v, &who, "name", g_name1, count_id, &n),
					 PV_ERR_DENIED);
			assert_int_equal(n, 0);
			assert_non_null(strstr(pv_errmsg(g_v), "purpose"));
		}
		if (matrix[i].allowed[OP_EXPORT]) {
			FILE *f = tmpfile();
			assert_non_null(f);
			assert_int_equal(pv_export(g_v, &who, PV_EXPORT_JSONL, f), PV_ERR_DENIED);
			assert_int_equal(ftell(f), 0);
			fclose(f);
			assert_non_null(strstr(pv_errmsg(g_v), "purpose"));
		}
	}
}

/* A purpose the role may not use is refused, naming it; so is an undeclared purpose. */
static void test_purpose_not_granted(void **state)
{
	(void)state;
	static const struct {
		const char *role, *purpose;
	} refused[] = {
		{ "clerk", "billing" }, { "clerk", "marketing" },
		{ "finance", "service" }, { "finance", "marketing" },
	};
	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
		pv_access who = { refused[i].role, refused[i].purpose, 0 };
		pv_record *r = NULL;
		assert_int_equal(pv_get(g_v, &who, "C00000001", &r), PV_ERR_DENIED);
		assert_null(r);
		char want[64];
		snprintf(want, sizeof want, "'%s'", refused[i].purpose);
		assert_non_null(strstr(pv_errmsg(g_v), want));
		int n = 0;
		assert_int_equal(pv_list(g_v, &who, NULL, 2, count_record, &n, NULL), PV_ERR_DENIED);
		assert_int_equal(n, 0);
	}
	/* Roles with every purpose may use each declared one, but not an undeclared one. */
	static const char *const wide[] = { "admin", "dpo", "auditor" };
	static const char *const declared[] = { "service", "billing", "marketing" };
	for (size_t i = 0; i < 3; i++) {
		for (size_t k = 0; k < 3; k++) {
			pv_access who = { wide[i], declared[k], 0 };
			int n = 0;
			assert_int_equal(pv_list(g_v, &who, NULL, 2, count_record, &n, NULL), PV_OK);
			/* marketing needs consent: customers without it are left out of the page */
			if (strcmp(declared[k], "marketing") == 0)
				assert_true(n <= 2);
			else
				assert_int_equal(n, 2);
		}
		pv_access who = { wide[i], "gossip", 0 };
		int n = 0;
		assert_int_equal(pv_list(g_v, &who, NULL, 2, count_record, &n, NULL), PV_ERR_DENIED);
		assert_non_null(strstr(pv_errmsg(g_v), "gossip"));
	}
	/* The roles' own purposes work. */
	pv_access clerk = { "clerk", "service", 0 }, fin = { "finance", "billing", 0 };
	pv_record *r = NULL;
	assert_int_equal(pv_get(g_v, &clerk, "C00000001", &r), PV_OK);
	pv_record_free(r);
	assert_int_equal(pv_get(g_v, &fin, "C00000001", &r), PV_OK);
	pv_record_free(r);
}

/* 'all' is refused for clerk and finance (they may not use every purpose), and allowed
 * for admin, dpo and auditor. */
static void test_purpose_all(void **state)
{
	(void)state;
	static const char *const narrow[] = { "clerk", "finance" };
	for (size_t i = 0; i < 2; i++) {
		pv_access who = { narrow[i], "all", 0 };
		pv_record *r = NULL;
		assert_int_equal(pv_get(g_v, &who, "C00000001", &r), PV_ERR_DENIED);
		assert_null(r);
		assert_non_null(strstr(pv_errmsg(g_v), "'all'"));
		int n = 0;
		assert_int_equal(pv_list(g_v, &who, NULL, 2, count_record, &n, NULL), PV_ERR_DENIED);
		assert_int_equal(n, 0);
		assert_int_equal(pv_find(g_v, &who, "name", g_name1, count_id, &n), PV_ERR_DENIED);
		assert_int_equal(n, 0);
	}
	pv_access fin = { "finance", "all", 0 };
	FILE *f = tmpfile();
	assert_non_null(f);
	assert_int_equal(pv_export(g_v, &fin, PV_EXPORT_CSV, f), PV_ERR_DENIED);
	assert_int_equal(ftell(f), 0);
	fclose(f);
	static const char *const wide[] = { "admin", "dpo", "auditor" };
	for (size_t i = 0; i < 3; i++) {
		pv_access who = { wide[i], "all", 0 };
		int n = 0;
		assert_int_equal(pv_list(g_v, &who, NULL, 2, count_record, &n, NULL), PV_OK);
		assert_int_equal(n, 2);
	}
}

/* A read is limited to the fields of its purpose and role (docs/threat-model.md: "every
 * read names a purpose and is limited to that purpose's fields"). A find through the blind
 * index of a field the caller may not see is a read of that field: it tells whether a
 * customer has a guessed value. It must be refused. */
static void test_find_limited_to_visible_fields(void **state)
{
	(void)state;
	pv_record *r = NULL;
	char idn[32] = "", email[128] = "", phone[32] = "";
	/* The values, read in clear by admin. */
	pv_access clear_admin = { "admin", "all", 1 };
	assert_int_equal(pv_get(g_v, &clear_admin, "C00000001", &r), PV_OK);
	for (size_t i = 0; i < pv_record_field_count(r); i++) {
		const char *n = pv_record_field_name(r, i);
		if (strcmp(n, "id_number") == 0)
			snprintf(idn, sizeof idn, "%s", pv_record_field_value(r, i));
		else if (strcmp(n, "email") == 0)
			snprintf(email, sizeof email, "%s", pv_record_field_value(r, i));
		else if (strcmp(n, "phone") == 0)
			snprintf(phone, sizeof phone, "%s", pv_record_field_value(r, i));
	}
	pv_record_free(r);
	assert_true(strlen(idn) == 18 && strchr(email, '@') && phone[0] == '+');

	/* Controls: a field the role sees (masked) under the purpose may be searched. */
	int n = 0;
	pv_access clerk = { "clerk", "service", 0 };
	assert_int_equal(pv_find(g_v, &clerk, "phone", phone, count_id, &n), PV_OK);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(pv_find(g_v, &clear_admin, "id_number", idn, count_id, &n), PV_OK);
	assert_int_equal(n, 1);

	/* id_number: not visible to a clerk at all (and not a 'service' field). */
	n = 0;
	pv_rc rc = pv_find(g_v, &clerk, "id_number", idn, count_id, &n);
	if (rc != PV_ERR_DENIED || n != 0)
		fail_msg("a clerk (purpose service) searched id_number, a field hidden to the "
			 "role and the purpose: rc %d, %d match(es): %s", rc, n, pv_errmsg(g_v));
	/* email: not visible to finance, and not a 'billing' field. */
	pv_access fin = { "finance", "billing", 0 };
	n = 0;
	rc = pv_find(g_v, &fin, "email", email, count_id, &n);
	if (rc != PV_ERR_DENIED || n != 0)
		fail_msg("finance (purpose billing) searched email, a field hidden to the role "
			 "and the purpose: rc %d, %d match(es): %s", rc, n, pv_errmsg(g_v));
	/* id_number under purpose 'service' is hidden even to admin. */
	pv_access admin_service = { "admin", "service", 0 };
	n = 0;
	rc = pv_find(g_v, &admin_service, "id_number", idn, count_id, &n);
	if (rc != PV_ERR_DENIED || n != 0)
		fail_msg("admin with purpose service searched id_number (a billing-only field): "
			 "rc %d, %d match(es): %s", rc, n, pv_errmsg(g_v));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matrix),
		cmocka_unit_test(test_matrix_clear),
		cmocka_unit_test(test_no_or_unknown_role),
		cmocka_unit_test(test_no_purpose),
		cmocka_unit_test(test_purpose_not_granted),
		cmocka_unit_test(test_purpose_all),
		cmocka_unit_test(test_find_limited_to_visible_fields),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
