/* SPDX-License-Identifier: Apache-2.0 */
/* test_incidents.c: breach incidents (信息泄露应急), the first part: an incident opened
 * with each kind, a bad kind or detection time refused naming the field; its scope found
 * from the audit log: by user and time window exactly the customers that user read (two
 * users read, one is scoped), by operation, by customer ids, re-scoping replacing the
 * scope; the scope kept as ids and category names only (a value read is in no byte of
 * the database); states only forward with their times; every step audited; a role without
 * 'incident' refused naming it. The pivault incident commands as a user would run them. */
#define _GNU_SOURCE
#include "dba.h"
#include "testutil.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pivault.h"

#define NCUST 12
#define SEED 14

static const pv_access ADMIN = { "admin", NULL, 0 };
static const pv_access CLERK = { "clerk", "service", 0 };
static const char PW[] = "correct horse battery";

struct fixture {
	char *tmp, *dir, *key, *err;
	pv_vault *v;
	struct pvt_csv csv;
};

static void ok(pv_vault *v, pv_rc rc, const char *what)
{
	if (rc != PV_OK)
		fail_msg("%s: %s: %s", what, pv_strerror(rc), pv_errmsg(v));
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->tmp = pvt_tempdir();
	f->dir = pvt_path(f->tmp, "vault");
	f->key = pvt_path(f->tmp, "root.key");
	f->err = pvt_path(f->tmp, "stderr.txt");
	char *csv = NULL;
	f->v = pvt_sample_vault(f->dir, f->key, NCUST, SEED, &csv);
	assert_int_equal(pvt_csv_parse(csv, &f->csv), 0);
	free(csv);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	pv_vault_close(f->v);
	pvt_csv_free(&f->csv);
	pvt_rmtree(f->tmp);
	free(f->tmp);
	free(f->dir);
	free(f->key);
	free(f->err);
	free(f);
	return 0;
}

static const char *cell(const struct fixture *f, size_t r, const char *col)
{
	const char *s = pvt_csv_get(&f->csv, r, col);
	assert_non_null(s);
	return s;
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

/* Now (UTC) plus seconds, as the audit log writes times. */
static void utc_time(char out[32], long seconds)
{
	time_t t = time(NULL) + seconds;
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
}

static char *open_one(pv_vault *v, pv_incident_kind kind)
{
	char *id = NULL, at[32];
	utc_time(at, -3600);
	ok(v, pv_incident_open(v, &ADMIN, kind, at, "laptop with an export left on a train",
			       &id),
	   "pv_incident_open");
	assert_non_null(id);
	return id;
}

/* The incident as JSON (owned by the caller). */
static json_t *get(pv_vault *v, const char *id)
{
	char *text = NULL;
	ok(v, pv_incident_get(v, &ADMIN, id, &text), "pv_incident_get");
	json_error_t je;
	json_t *doc = json_loads(text, 0, &je);
	pv_free(text);
	if (!doc)
		fail_msg("pv_incident_get: not JSON: %s", je.text);
	return doc;
}

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The scope's customers, comma-joined, into out; categories of the first into cats. */
static void scope_of(pv_vault *v, const char *id, char *out, size_t n, char *cats, size_t cn)
{
	json_t *doc = get(v, id), *one;
	size_t i;
	out[0] = cats[0] = '\0';
	json_array_foreach(json_object_get(doc, "scope"), i, one) {
		size_t l = strlen(out);
		snprintf(out + l, n - l, "%s%s", i ? "," : "", str(one, "customer"));
		json_t *c;
		size_t j;
		json_array_foreach(json_object_get(one, "categories"), j, c) if (i == 0)
		{
			size_t k = strlen(cats);
			snprintf(cats + k, cn - k, "%s%s", j ? "," : "", json_string_value(c));
		}
	}
	json_decref(doc);
}

/* Add users reader.a and reader.b (clerks); as each, read customers rows of the CSV
 * (1-based, 0 ends each list); the root handle open again at the end. */
static void two_readers(struct fixture *f, const int *rows_a, const int *rows_b)
{
	ok(f->v, pvt_user_add(f->v, &ADMIN, "reader.a", "clerk", PW, strlen(PW)), "add a");
	ok(f->v, pvt_user_add(f->v, &ADMIN, "reader.b", "clerk", PW, strlen(PW)), "add b");
	const char *users[] = { "reader.a", "reader.b" };
	const int *rows[] = { rows_a, rows_b };
	pv_vault_close(f->v);
	f->v = NULL;
	for (int u = 0; u < 2; u++) {
		pv_vault *v = NULL;
		ok(v, pv_vault_open_user(f->dir, NULL, users[u], PW, strlen(PW), &v), users[u]);
		for (const int *r = rows[u]; *r; r++) {
			pv_record *rec = NULL;
			ok(v, pv_get(v, &CLERK, cell(f, (size_t)*r, "customer_id"), &rec), "pv_get");
			pv_record_free(rec);
		}
		pv_vault_close(v);
	}
	reopen_root(f);
}

/* ids of rows (0 ends), comma-joined and sorted as the scope lists them. */
static void ids_of(const struct fixture *f, const int *rows, char *out, size_t n)
{
	const char *ids[NCUST];
	size_t k = 0;
	for (const int *r = rows; *r; r++)
		ids[k++] = cell(f, (size_t)*r, "customer_id");
	for (size_t i = 1; i < k; i++)
		for (size_t j = i; j > 0 && strcmp(ids[j - 1], ids[j]) > 0; j--) {
			const char *t = ids[j];
			ids[j] = ids[j - 1];
			ids[j - 1] = t;
		}
	out[0] = '\0';
	for (size_t i = 0; i < k; i++) {
		size_t l = strlen(out);
		snprintf(out + l, n - l, "%s%s", i ? "," : "", ids[i]);
	}
}

/* ================================================================== open ==== */

static void test_open_each_kind(void **state)
{
	struct fixture *f = *state;
	for (int k = PV_INCIDENT_LEAK; k <= PV_INCIDENT_UNAUTHORISED_ACCESS; k++) {
		char *id = open_one(f->v, (pv_incident_kind)k);
		json_t *doc = get(f->v, id);
		assert_string_equal(str(doc, "id"), id);
		assert_string_equal(str(doc, "kind"), pv_incident_kind_name((pv_incident_kind)k));
		assert_int_equal(pv_incident_kind_from_name(str(doc, "kind")), k);
		assert_string_equal(str(doc, "state"), "open");
		assert_non_null(str(doc, "opened_at")); /* the clock started */
		assert_null(str(doc, "contained_at"));
		assert_int_equal(json_array_size(json_object_get(doc, "scope")), 0);
		json_decref(doc);
		pv_free(id);
	}
	char *list = NULL;
	ok(f->v, pv_incident_list(f->v, &ADMIN, &list), "pv_incident_list");
	json_t *all = json_loads(list, 0, NULL);
	assert_int_equal(json_array_size(all), 4);
	json_decref(all);
	pv_free(list);
}

static void test_open_refused_naming_field(void **state)
{
	struct fixture *f = *state;
	char *id = NULL, future[32], at[32];
	utc_time(future, 3600);
	utc_time(at, -60);
	assert_rc_msg(f->v, pv_incident_open(f->v, &ADMIN, (pv_incident_kind)9, at, "x", &id),
		      PV_ERR_USAGE, "kind");
	assert_int_equal(pv_incident_kind_from_name("leaked"), -1);
	static const char *const bad[] = { "yesterday", "2026-13-01T00:00:00Z", "2026-12-01",
					   "2026-02-30T10:00:00Z", "" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_rc_msg(f->v, pv_incident_open(f->v, &ADMIN, PV_INCIDENT_LEAK, bad[i], "x",
						     &id),
			      PV_ERR_USAGE, "detected_at");
	assert_rc_msg(f->v, pv_incident_open(f->v, &ADMIN, PV_INCIDENT_LEAK, future, "x", &id),
		      PV_ERR_USAGE, "detected_at: in the future");
	assert_rc_msg(f->v, pv_incident_open(f->v, &ADMIN, PV_INCIDENT_LEAK, at, "", &id),
		      PV_ERR_USAGE, "description");
	char longer[257];
	memset(longer, 'x', 256);
	longer[256] = '\0';
	assert_rc_msg(f->v, pv_incident_open(f->v, &ADMIN, PV_INCIDENT_LEAK, at, longer, &id),
		      PV_ERR_USAGE, "description: at most 255 bytes");
	assert_null(id);
	/* the longest one kept is kept whole through a change of state */
	longer[255] = '\0';
	ok(f->v, pv_incident_open(f->v, &ADMIN, PV_INCIDENT_LEAK, at, longer, &id), "255 bytes");
	ok(f->v, pv_incident_set_state(f->v, &ADMIN, id, PV_INCIDENT_CONTAINED), "contained");
	json_t *whole = get(f->v, id);
	assert_string_equal(str(whole, "description"), longer);
	json_decref(whole);
	pv_free(id);
	id = NULL;
	/* an offset is accepted and kept in UTC */
	ok(f->v, pv_incident_open(f->v, &ADMIN, PV_INCIDENT_LOSS, "2026-01-02T08:30:00+08:00",
				  "lost", &id), "offset");
	json_t *doc = get(f->v, id);
	assert_string_equal(str(doc, "detected_at"), "2026-01-02T00:30:00Z");
	json_decref(doc);
	pv_free(id);
}

/* ================================================================= scope ==== */

static const int ROWS_A[] = { 2, 5, 7, 0 }, ROWS_B[] = { 3, 5, 9, 11, 0 };

static void test_scope_by_user_and_window(void **state)
{
	struct fixture *f = *state;
	char since[32], until[32], later[32];
	utc_time(since, -1);
	two_readers(f, ROWS_A, ROWS_B);
	utc_time(until, 2);
	char *id = open_one(f->v, PV_INCIDENT_UNAUTHORISED_ACCESS);
	pv_incident_filter flt = { "reader.a", since, until, NULL, NULL, 0 };
	pv_incident_counts n;
	ok(f->v, pv_incident_scope(f->v, &ADMIN, id, &flt, &n), "scope a");
	char want[256], got[256], cats[64];
	ids_of(f, ROWS_A, want, sizeof want);
	scope_of(f->v, id, got, sizeof got, cats, sizeof cats);
	assert_string_equal(got, want);
	assert_int_equal(n.customers, 3);
	assert_int_equal(n.entries, 3);
	/* clerk reads for "service": basic and other fields, no financial one */
	assert_string_equal(cats, "basic,other");
	assert_int_equal(n.categories, 2);

	/* a window that ends before the reads finds none */
	pv_incident_filter before = { "reader.a", "2000-01-01", since, NULL, NULL, 0 };
	ok(f->v, pv_incident_scope(f->v, &ADMIN, id, &before, &n), "scope before");
	assert_int_equal(n.customers, 0);
	scope_of(f->v, id, got, sizeof got, cats, sizeof cats);
	assert_string_equal(got, "");

	/* re-scoping replaces: reader.b's customers only */
	utc_time(later, 5);
	pv_incident_filter flt_b = { "reader.b", since, later, NULL, NULL, 0 };
	ok(f->v, pv_incident_scope(f->v, &ADMIN, id, &flt_b, &n), "scope b");
	ids_of(f, ROWS_B, want, sizeof want);
	scope_of(f->v, id, got, sizeof got, cats, sizeof cats);
	assert_string_equal(got, want);
	assert_int_equal(n.customers, 4);

	pv_incident_filter bad = { NULL, "last week", NULL, NULL, NULL, 0 };
	assert_rc_msg(f->v, pv_incident_scope(f->v, &ADMIN, id, &bad, &n), PV_ERR_USAGE, "since");
	pv_incident_filter inverted = { NULL, until, since, NULL, NULL, 0 };
	assert_rc_msg(f->v, pv_incident_scope(f->v, &ADMIN, id, &inverted, &n), PV_ERR_USAGE,
		      "until");
	pv_incident_filter shred = { NULL, NULL, NULL, "shred", NULL, 0 };
	assert_rc_msg(f->v, pv_incident_scope(f->v, &ADMIN, id, &shred, &n), PV_ERR_USAGE,
		      "operation");
	assert_rc_msg(f->v, pv_incident_scope(f->v, &ADMIN, "INC-none", &flt, &n),
		      PV_ERR_NOT_FOUND, "INC-none");
	pv_free(id);
}

static void test_scope_by_operation_and_ids(void **state)
{
	struct fixture *f = *state;
	two_readers(f, ROWS_A, ROWS_B);
	const char *c4 = cell(f, 4, "customer_id");
	ok(f->v, pv_update(f->v, &ADMIN, c4, "contract_no", "HT-2026-0042"), "pv_update");
	char *id = open_one(f->v, PV_INCIDENT_TAMPER);
	pv_incident_filter upd = { NULL, NULL, NULL, "update", NULL, 0 };
	pv_incident_counts n;
	ok(f->v, pv_incident_scope(f->v, &ADMIN, id, &upd, &n), "scope update");
	char got[256], cats[64];
	scope_of(f->v, id, got, sizeof got, cats, sizeof cats);
	assert_string_equal(got, c4);
	assert_string_equal(cats, "financial"); /* the field the update named */
	assert_int_equal(n.entries, 1);

	/* only the customers named: row 5 (read by both) and row 4 (updated); row 12 untouched */
	const char *only[] = { cell(f, 5, "customer_id"), c4, cell(f, 12, "customer_id") };
	pv_incident_filter ids = { NULL, NULL, NULL, NULL, only, 3 };
	ok(f->v, pv_incident_scope(f->v, &ADMIN, id, &ids, &n), "scope ids");
	assert_int_equal(n.customers, 2);
	const int rows[] = { 4, 5, 0 };
	char want[128];
	ids_of(f, rows, want, sizeof want);
	scope_of(f->v, id, got, sizeof got, cats, sizeof cats);
	assert_string_equal(got, want);

	pv_incident_filter reads = { NULL, NULL, NULL, "read", NULL, 0 };
	ok(f->v, pv_incident_scope(f->v, &ADMIN, id, &reads, &n), "scope reads");
	assert_int_equal(n.customers, 6); /* 2,3,5,7,9,11 */
	assert_int_equal(n.entries, 7);
	pv_free(id);
}

/* The scope holds ids and category names: no value read is in the database file. */
static void test_scope_stores_ids_only(void **state)
{
	struct fixture *f = *state;
	two_readers(f, ROWS_A, ROWS_B);
	char *id = open_one(f->v, PV_INCIDENT_LEAK);
	pv_incident_filter all = { 0 };
	pv_incident_counts n;
	ok(f->v, pv_incident_scope(f->v, &ADMIN, id, &all, &n), "scope");
	assert_int_equal(n.customers, 6);
	pv_vault_close(f->v);
	f->v = NULL;
	/* the SQLite file, or every row of the vault's PostgreSQL schema */
	int pg = pvt_dba_pg(f->dir);
	char *path = pvt_path(f->dir, "vault.db");
	size_t len = 0;
	char *db = pg ? pvt_dba_pg_dump(f->dir) : pvt_read_file(path, &len);
	assert_non_null(db);
	if (pg)
		len = strlen(db);
	for (const int *r = ROWS_A; *r; r++) {
		static const char *const cols[] = { "name", "phone", "email" };
		for (size_t c = 0; c < 3; c++) {
			const char *value = cell(f, (size_t)*r, cols[c]);
			if (*value && (pg ? pvt_dba_pg_dump_holds(db, value, strlen(value))
				       : memmem(db, len, value, strlen(value)) != NULL))
				fail_msg("row %d: the %s read is in the store in clear", *r, cols[c]);
		}
	}
	free(db);
	char *ncols = pvt_dba_value(f->dir, pg ? "SELECT count(*) FROM information_schema.columns "
				    "WHERE table_schema = current_schema() AND table_name = "
				    "'incident_scope'" : "SELECT count(*) FROM "
				    "pragma_table_info('incident_scope')");
	assert_string_equal(ncols, "3"); /* incident, customer, categories */
	free(ncols);
	char *scope = NULL;
	assert_int_equal(pvt_dba(&scope, f->dir, "SELECT * FROM incident_scope"), 0);
	int rows = 0;
	for (char *line = strtok(scope, "\n"); line; line = strtok(NULL, "\n")) {
		rows++;
		const char *bar = strrchr(line, '|');
		assert_non_null(bar);
		const char *cats = bar + 1;
		assert_true(strspn(cats, "abcefhilnorst,") == strlen(cats));
	}
	assert_int_equal(rows, 6);
	free(scope);
	free(path);
	reopen_root(f);
	pv_free(id);
}

/* ================================================================ states ==== */

static void test_states_forward_with_times(void **state)
{
	struct fixture *f = *state;
	char *id = open_one(f->v, PV_INCIDENT_LEAK);
	assert_rc_msg(f->v, pv_incident_set_state(f->v, &ADMIN, id, PV_INCIDENT_OPEN),
		      PV_ERR_USAGE, "state");
	ok(f->v, pv_incident_set_state(f->v, &ADMIN, id, PV_INCIDENT_CONTAINED), "contained");
	assert_rc_msg(f->v, pv_incident_set_state(f->v, &ADMIN, id, PV_INCIDENT_CONTAINED),
		      PV_ERR_USAGE, "only moves forward");
	ok(f->v, pv_incident_set_state(f->v, &ADMIN, id, PV_INCIDENT_NOTIFIED), "notified");
	assert_rc_msg(f->v, pv_incident_set_state(f->v, &ADMIN, id, PV_INCIDENT_CONTAINED),
		      PV_ERR_USAGE, "is notified");
	ok(f->v, pv_incident_set_state(f->v, &ADMIN, id, PV_INCIDENT_CLOSED), "closed");
	assert_rc_msg(f->v, pv_incident_set_state(f->v, &ADMIN, id, PV_INCIDENT_NOTIFIED),
		      PV_ERR_USAGE, "is closed");
	pv_incident_filter all = { 0 };
	pv_incident_counts n;
	assert_rc_msg(f->v, pv_incident_scope(f->v, &ADMIN, id, &all, &n), PV_ERR_USAGE,
		      "is closed");
	json_t *doc = get(f->v, id);
	assert_string_equal(str(doc, "state"), "closed");
	const char *t[] = { str(doc, "opened_at"), str(doc, "contained_at"),
			    str(doc, "notified_at"), str(doc, "closed_at") };
	for (int i = 0; i < 4; i++) {
		assert_non_null(t[i]);
		assert_int_equal(strlen(t[i]), 20);
		if (i)
			assert_true(strcmp(t[i - 1], t[i]) <= 0);
	}
	json_decref(doc);
	/* a skip forward is allowed (contained straight to closed) */
	char *id2 = open_one(f->v, PV_INCIDENT_LOSS);
	ok(f->v, pv_incident_set_state(f->v, &ADMIN, id2, PV_INCIDENT_CLOSED), "skip");
	pv_free(id2);
	pv_free(id);
}

struct audit_count {
	const char *op, *outcome;
	int n;
};

static int count_entry(void *ctx, const pv_audit_entry *e)
{
	struct audit_count *c = ctx;
	c->n += strcmp(e->op, c->op) == 0 && strcmp(e->outcome, c->outcome) == 0;
	return 0;
}

static int audited(pv_vault *v, const char *op, const char *outcome)
{
	struct audit_count c = { op, outcome, 0 };
	ok(v, pv_audit_log(v, &ADMIN, NULL, count_entry, &c), "pv_audit_log");
	return c.n;
}

static void test_each_step_audited(void **state)
{
	struct fixture *f = *state;
	char *id = open_one(f->v, PV_INCIDENT_LEAK);
	pv_incident_counts n;
	pv_incident_filter all = { 0 };
	ok(f->v, pv_incident_scope(f->v, &ADMIN, id, &all, &n), "scope 1");
	ok(f->v, pv_incident_scope(f->v, &ADMIN, id, &all, &n), "scope 2");
	ok(f->v, pv_incident_set_state(f->v, &ADMIN, id, PV_INCIDENT_CONTAINED), "contained");
	ok(f->v, pv_incident_set_state(f->v, &ADMIN, id, PV_INCIDENT_NOTIFIED), "notified");
	ok(f->v, pv_incident_set_state(f->v, &ADMIN, id, PV_INCIDENT_CLOSED), "closed");
	assert_int_not_equal(pv_incident_set_state(f->v, &ADMIN, id, PV_INCIDENT_CLOSED), PV_OK);
	json_decref(get(f->v, id));
	assert_int_equal(audited(f->v, "incident open", "ok"), 1);
	assert_int_equal(audited(f->v, "incident scope", "ok"), 2);
	assert_int_equal(audited(f->v, "incident state", "ok"), 3);
	assert_int_equal(audited(f->v, "incident state", "failed") +
				 audited(f->v, "incident state", "refused") +
				 audited(f->v, "incident state", "denied"),
			 1);
	assert_int_equal(audited(f->v, "incident show", "ok"), 1);
	pv_free(id);
}

static void test_role_without_permission(void **state)
{
	struct fixture *f = *state;
	char *id = open_one(f->v, PV_INCIDENT_LEAK), *out = NULL, at[32];
	utc_time(at, -60);
	const pv_access clerk = { "clerk", NULL, 0 }, auditor = { "auditor", NULL, 0 };
	const pv_access *who[] = { &clerk, &auditor };
	pv_incident_counts n;
	pv_incident_filter all = { 0 };
	for (int i = 0; i < 2; i++) {
		assert_rc_msg(f->v, pv_incident_open(f->v, who[i], PV_INCIDENT_LEAK, at, "x", &out),
			      PV_ERR_DENIED, "'incident'");
		assert_rc_msg(f->v, pv_incident_scope(f->v, who[i], id, &all, &n), PV_ERR_DENIED,
			      "'incident'");
		assert_rc_msg(f->v, pv_incident_set_state(f->v, who[i], id, PV_INCIDENT_CLOSED),
			      PV_ERR_DENIED, "'incident'");
		assert_rc_msg(f->v, pv_incident_get(f->v, who[i], id, &out), PV_ERR_DENIED,
			      "'incident'");
		assert_rc_msg(f->v, pv_incident_list(f->v, who[i], &out), PV_ERR_DENIED,
			      "'incident'");
	}
	assert_null(out);
	assert_int_equal(audited(f->v, "incident open", "denied"), 2);
	json_t *doc = get(f->v, id);
	assert_string_equal(str(doc, "state"), "open");
	json_decref(doc);
	pv_free(id);
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

/* Run pivault ARGS, which must succeed; stdout into *out. */
static void run_ok(const struct fixture *f, char **out, const char *args)
{
	char *err = NULL;
	int st = cli(f, out, &err, "%s", args);
	if (st != 0)
		fail_msg("pivault %s: exit %d: %s", args, st, err);
	free(err);
}

static void expect_fail(const struct fixture *f, const char *needle, const char *args)
{
	char *out = NULL, *err = NULL;
	int st = cli(f, &out, &err, "%s", args);
	if (st == 0 || !strstr(err, needle))
		fail_msg("pivault %s: exit %d, stderr '%s' (want '%s')", args, st, err, needle);
	free(out);
	free(err);
}

static void test_cli(void **state)
{
	struct fixture *f = *state;
	two_readers(f, ROWS_A, ROWS_B);
	pv_vault_close(f->v);
	f->v = NULL;
	char *out = NULL, at[32];
	utc_time(at, -600);
	{
		char cmd_[512];
		snprintf(cmd_, sizeof cmd_, "incident open --role admin --kind unauthorised-access "
				 "--detected-at %s --description 'reader.a browsed' --json", at);
		run_ok(f, &out, cmd_);
	}
	json_t *doc = json_loads(out, 0, NULL);
	free(out);
	char id[32];
	snprintf(id, sizeof id, "%s", json_string_value(json_object_get(doc, "incident")));
	json_decref(doc);
	assert_true(strncmp(id, "INC-", 4) == 0);

	expect_fail(f, "--kind", "incident open --kind spill --detected-at 2026-01-01T00:00:00Z "
		    "--description x");
	expect_fail(f, "detected_at", "incident open --role admin --kind leak --detected-at tomorrow "
		    "--description x");
	expect_fail(f, "--to", "incident state INC-x --to reopened");
	expect_fail(f, "'incident'", "incident list --role clerk");

	{
		char cmd_[512];
		snprintf(cmd_, sizeof cmd_, "incident scope %s --role admin --by reader.a --json", id);
		run_ok(f, &out, cmd_);
	}
	doc = json_loads(out, 0, NULL);
	free(out);
	assert_int_equal(json_integer_value(json_object_get(doc, "customers")), 3);
	json_decref(doc);
	{
		char cmd_[512];
		snprintf(cmd_, sizeof cmd_, "incident state %s --role admin --to contained", id);
		run_ok(f, &out, cmd_);
	}
	free(out);
	expect_fail(f, "no incident INC-x", "incident state INC-x --role admin --to contained");
	char back[96];
	snprintf(back, sizeof back, "incident state %s --role admin --to contained", id);
	expect_fail(f, "only moves forward", back);

	{
		char cmd_[512];
		snprintf(cmd_, sizeof cmd_, "incident show %s --role admin --json", id);
		run_ok(f, &out, cmd_);
	}
	doc = json_loads(out, 0, NULL);
	free(out);
	assert_non_null(doc);
	assert_string_equal(str(doc, "state"), "contained");
	assert_int_equal(json_array_size(json_object_get(doc, "scope")), 3);
	json_decref(doc);
	{
		char cmd_[512];
		snprintf(cmd_, sizeof cmd_, "incident show %s --role admin", id);
		run_ok(f, &out, cmd_);
	}
	assert_non_null(strstr(out, "contained_at"));
	assert_non_null(strstr(out, cell(f, 2, "customer_id")));
	free(out);
	{
		char cmd_[512];
		snprintf(cmd_, sizeof cmd_, "incident list --role admin");
		run_ok(f, &out, cmd_);
	}
	assert_non_null(strstr(out, id));
	assert_non_null(strstr(out, "3 customers"));
	free(out);
	reopen_root(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_each_kind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_refused_naming_field, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scope_by_user_and_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scope_by_operation_and_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scope_stores_ids_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_states_forward_with_times, setup, teardown),
		cmocka_unit_test_setup_teardown(test_each_step_audited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_role_without_permission, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
