/* SPDX-License-Identifier: Apache-2.0 */
/* test_dsr.c: data-subject requests. Every request type under PIPL (15 days, also the
 * default), GDPR (30) and CCPA (45), with the deadline computed here independently from
 * today's UTC date (the arithmetic checked against a table of known dates, and the
 * per-vault setting meta "dsr_days_<law>" set behind the library's back); the refusals
 * (unknown type, law or customer; a role without 'dsr'); the queue in due order and what
 * is overdue (a due date edited with SQL while the vault is closed); closing with an
 * outcome, late or on time, and not twice; the access report as JSON (checked against the
 * imported CSV) and as an escaped HTML page; the audit entries of every step; and the
 * `pivault dsr` command. Fulfilling a deletion request (pv_dsr_delete, `pivault dsr delete`):
 * the signed certificate, the customer shredded and the request closed; refused under a
 * legal hold, for other request types, without 'dsr'/'shred', and for a user without an
 * approved four-eyes request. */
#include "dba.h"
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pivault.h"

#define SCHEMA PV_SOURCE_DIR "/examples/schema.yaml"
#define NCUST 8
#define SEED 7UL

static const pv_access DPO = { "dpo", NULL, 0 };
static const pv_access CLERK = { "clerk", NULL, 0 };
static const pv_access ADMIN_SERVICE = { "admin", "service", 0 };

/* One fresh vault per test. */
struct fx {
	char *base; /* vault/, vault.keyring, root.key, in.csv, err.txt */
	char *dir, *key, *err;
	pv_vault *v;
	struct pvt_csv csv; /* the imported (canonical) table */
};

/* ---- dates, computed independently of the library -------------------------------- */

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
	static const int len[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && leap(y) ? 29 : len[m - 1];
}

/* date (YYYY-MM-DD) plus n >= 0 days, counted one day at a time. */
static void plus_days(const char *date, int n, char out[11])
{
	int y, m, d;
	assert_int_equal(sscanf(date, "%4d-%2d-%2d", &y, &m, &d), 3);
	while (n-- > 0) {
		if (++d > month_days(y, m)) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 13u,
		 (unsigned)d % 32u);
}

static void today(char out[11])
{
	time_t t = time(NULL);
	struct tm tm;
	assert_non_null(gmtime_r(&t, &tm));
	assert_int_equal(strftime(out, 11, "%Y-%m-%d", &tm), 10);
}

/* got must be day0 + n, where day0 is one of the two dates taken around the call (so a
 * call that straddles midnight UTC is not a failure). */
static void assert_due(const char *got, int n, const char *before, const char *after)
{
	char a[11], b[11];
	plus_days(before, n, a);
	plus_days(after, n, b);
	if (strcmp(got, a) != 0 && strcmp(got, b) != 0)
		fail_msg("due %s, expected %s + %d days = %s", got, before, n, a);
}

static void assert_today(const char *got, const char *before, const char *after)
{
	if (strcmp(got, before) != 0 && strcmp(got, after) != 0)
		fail_msg("date %s, expected today %s", got, before);
}

/* ---- fixture ------------------------------------------------------------------------ */

static pv_vault *open_root(struct fx *f)
{
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(f->key, &key), PV_OK);
	pv_vault *v = NULL;
	pv_rc rc = pv_vault_open(f->dir, NULL, key, &v);
	pv_key_free(key);
	if (rc)
		fail_msg("pv_vault_open: %s", pv_errmsg(v));
	return v;
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->base = pvt_tempdir();
	f->dir = pvt_path(f->base, "vault");
	f->key = pvt_path(f->base, "root.key");
	f->err = pvt_path(f->base, "err.txt");
	char *csv_path = pvt_path(f->base, "in.csv");
	char *text = NULL;
	assert_int_equal(pvt_run(&text, "'%s' -n %u --seed %lu --canonical", pvt_program("pvgen"),
				 NCUST, SEED),
			 0);
	assert_int_equal(pvt_write_file(csv_path, text, strlen(text)), 0);
	assert_int_equal(pvt_csv_parse(text, &f->csv), 0);
	assert_int_equal(f->csv.nrows, NCUST + 1);
	free(text);

	assert_int_equal(pv_key_generate_file(f->key), PV_OK);
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(f->key, &key), PV_OK);
	pv_create_opts opts = { .schema_path = SCHEMA, .keyring_slots = 64,
				.kdf_cost = PV_KDF_FAST };
	pv_rc rc = pv_vault_create(f->dir, &opts, key, &f->v);
	pv_key_free(key);
	if (rc)
		fail_msg("pv_vault_create: %s", pv_errmsg(f->v));
	pv_access admin = { "admin", NULL, 0 };
	pv_import_opts io = { 0 };
	io.threads = 1;
	pv_import_result *res = NULL;
	rc = pv_import_csv(f->v, &admin, csv_path, &io, &res);
	if (rc)
		fail_msg("pv_import_csv: %s", pv_errmsg(f->v));
	assert_int_equal(pv_import_rows_imported(res), NCUST);
	pv_import_free(res);
	free(csv_path);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	pv_vault_close(f->v);
	pvt_csv_free(&f->csv);
	pvt_rmtree(f->base);
	free(f->base);
	free(f->dir);
	free(f->key);
	free(f->err);
	free(f);
	return 0;
}

/* Close the vault, run SQL on its store behind the library's back (the SQLite file, or its
 * PostgreSQL schema), open it again. The last statement (an INSERT or UPDATE, without its
 * semicolon) must change a row. */
static void sql_behind(struct fx *f, const char *statements)
{
	pv_vault_close(f->v);
	f->v = NULL;
	char *changed = NULL;
	if (pvt_dba(&changed, f->dir, "%s RETURNING 1", statements) != 0)
		fail_msg("the SQL behind the library's back failed: %s", statements);
	assert_true(changed[0] != '\0');
	free(changed);
	f->v = open_root(f);
}

/* Customer id of data row r (1-based). */
static const char *cust(struct fx *f, size_t r)
{
	const char *id = pvt_csv_get(&f->csv, r, "customer_id");
	assert_non_null(id);
	return id;
}

/* The first data row whose consent_marketing is want ("yes"/"no"). */
static size_t row_with_consent(struct fx *f, const char *want)
{
	for (size_t r = 1; r < f->csv.nrows; r++)
		if (strcmp(pvt_csv_get(&f->csv, r, "consent_marketing"), want) == 0)
			return r;
	fail_msg("the sample has no customer with consent_marketing=%s", want);
	return 0;
}

/* Open a request; fails the test unless it succeeds. Returns the id (pv_free). */
static char *open_req(struct fx *f, const char *customer, const char *type, const char *law)
{
	char *id = NULL;
	pv_rc rc = pv_dsr_open(f->v, &DPO, customer, type, law, &id);
	if (rc)
		fail_msg("pv_dsr_open(%s, %s, %s): %s", customer, type, law ? law : "(default)",
			 pv_errmsg(f->v));
	assert_non_null(id);
	assert_int_equal(strncmp(id, "D-", 2), 0);
	return id;
}

/* ---- the queue as listed --------------------------------------------------------- */

struct item {
	char id[40], customer[40], type[16], law[16], opened[16], due[16], state[16],
		closed[16], outcome[200];
};

struct queue {
	struct item it[64];
	size_t n;
};

static void copy(char *dst, size_t n, const char *src)
{
	assert_non_null(src);
	assert_true(strlen(src) < n);
	memcpy(dst, src, strlen(src) + 1);
}

static int collect(void *ctx, const pv_dsr_info *d)
{
	struct queue *q = ctx;
	assert_true(q->n < sizeof q->it / sizeof *q->it);
	struct item *it = &q->it[q->n++];
	copy(it->id, sizeof it->id, d->id);
	copy(it->customer, sizeof it->customer, d->customer);
	copy(it->type, sizeof it->type, d->type);
	copy(it->law, sizeof it->law, d->law);
	copy(it->opened, sizeof it->opened, d->opened);
	copy(it->due, sizeof it->due, d->due);
	copy(it->state, sizeof it->state, d->state);
	copy(it->closed, sizeof it->closed, d->closed);
	copy(it->outcome, sizeof it->outcome, d->outcome);
	return 0;
}

static void list(struct fx *f, int overdue_only, struct queue *q)
{
	memset(q, 0, sizeof *q);
	pv_rc rc = pv_dsr_list(f->v, &DPO, overdue_only, collect, q);
	if (rc)
		fail_msg("pv_dsr_list: %s", pv_errmsg(f->v));
}

static const struct item *find(const struct queue *q, const char *id)
{
	for (size_t i = 0; i < q->n; i++)
		if (strcmp(q->it[i].id, id) == 0)
			return &q->it[i];
	fail_msg("request %s is not listed", id);
	abort(); /* not reached: cmocka's failure leaves the test (it is not declared so) */
}

/* The queue is in due order (ties by id). */
static void assert_due_order(const struct queue *q)
{
	for (size_t i = 1; i < q->n; i++) {
		int c = strcmp(q->it[i - 1].due, q->it[i].due);
		if (c > 0 || (c == 0 && strcmp(q->it[i - 1].id, q->it[i].id) >= 0))
			fail_msg("not in due order: %s (due %s) before %s (due %s)", q->it[i - 1].id,
				 q->it[i - 1].due, q->it[i].id, q->it[i].due);
	}
}

/* ---- the audit log ------------------------------------------------------------------ */

/* Entries matching every non-NULL field (detail: a substring). */
struct audit_match {
	const char *op, *ids, *purpose, *outcome, *user, *detail;
	int count;
	uint64_t last_seq;
};

static int match_entry(void *ctx, const pv_audit_entry *e)
{
	struct audit_match *m = ctx;
	if ((!m->op || strcmp(e->op, m->op) == 0) && (!m->ids || strcmp(e->ids, m->ids) == 0) &&
	    (!m->purpose || strcmp(e->purpose, m->purpose) == 0) &&
	    (!m->outcome || strcmp(e->outcome, m->outcome) == 0) &&
	    (!m->user || strcmp(e->user, m->user) == 0) &&
	    (!m->detail || strstr(e->detail, m->detail))) {
		m->count++;
		m->last_seq = e->seq;
	}
	return 0;
}

static int audit_count(struct fx *f, const char *op, const char *ids, const char *purpose,
		       const char *outcome, const char *detail)
{
	struct audit_match m = { op, ids, purpose, outcome, pv_vault_user(f->v), detail, 0, 0 };
	pv_rc rc = pv_audit_log(f->v, &DPO, NULL, match_entry, &m);
	if (rc)
		fail_msg("pv_audit_log: %s", pv_errmsg(f->v));
	return m.count;
}

/* ---- reports ------------------------------------------------------------------------ */

/* The report for request id as who, into a malloc'd string (*text, "" if nothing was
 * written). */
static pv_rc report(struct fx *f, const pv_access *who, const char *id, int as_html,
		    char **text)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	pv_rc rc = pv_dsr_access_report(f->v, who, id, as_html, out);
	assert_int_equal(fclose(out), 0);
	assert_non_null(buf);
	*text = buf;
	return rc;
}

static json_t *json_report(struct fx *f, const char *id)
{
	char *text = NULL;
	pv_rc rc = report(f, &DPO, id, 0, &text);
	if (rc)
		fail_msg("pv_dsr_access_report: %s", pv_errmsg(f->v));
	json_error_t err;
	json_t *doc = json_loads(text, 0, &err);
	if (!doc)
		fail_msg("report is not JSON (line %d: %s):\n%s", err.line, err.text, text);
	free(text);
	assert_true(json_is_object(doc));
	return doc;
}

static const char *jstr(json_t *obj, const char *key)
{
	json_t *x = json_object_get(obj, key);
	if (!json_is_string(x))
		fail_msg("report: \"%s\" is not a string", key);
	return json_string_value(x);
}

/* The report's data equals the imported row r for every non-empty field, and holds
 * nothing else; except field `changed`, which must hold `changed_value`. */
static void assert_data_is_row(struct fx *f, json_t *data, size_t r, const char *changed,
			       const char *changed_value)
{
	assert_true(json_is_object(data));
	size_t expected = 0;
	for (size_t c = 0; c < f->csv.ncols; c++) {
		const char *col = f->csv.cell[c];
		if (strcmp(col, "customer_id") == 0 || strcmp(col, "consent_marketing") == 0)
			continue;
		const char *want = f->csv.cell[r * f->csv.ncols + c];
		if (changed && strcmp(col, changed) == 0)
			want = changed_value;
		json_t *got = json_object_get(data, col);
		if (!*want) {
			if (got)
				fail_msg("field %s is empty in the CSV but in the report", col);
			continue;
		}
		expected++;
		if (!json_is_string(got))
			fail_msg("field %s missing from the report's data", col);
		if (strcmp(json_string_value(got), want) != 0)
			fail_msg("field %s: report has '%s', imported '%s'", col,
				 json_string_value(got), want);
	}
	assert_true(expected >= 9); /* the required fields at least */
	assert_int_equal(json_object_size(data), expected);
}

/* ---- tests -------------------------------------------------------------------------- */

/* The test's own date arithmetic, against dates worked out by hand. */
static void test_date_table(void **state)
{
	(void)state;
	static const struct {
		const char *from;
		int n;
		const char *to;
	} t[] = {
		{ "2024-02-20", 15, "2024-03-06" }, /* leap February */
		{ "2023-02-20", 15, "2023-03-07" },
		{ "2023-12-20", 15, "2024-01-04" }, /* year end */
		{ "2024-12-31", 30, "2025-01-30" },
		{ "2024-01-31", 45, "2024-03-16" },
		{ "2025-11-20", 45, "2026-01-04" },
		{ "2025-04-30", 1, "2025-05-01" },
		{ "2000-02-28", 1, "2000-02-29" },  /* 400-year leap */
		{ "2100-02-28", 1, "2100-03-01" },  /* century, not leap */
		{ "2024-01-01", 366, "2025-01-01" },
		{ "2025-06-15", 0, "2025-06-15" },
	};
	for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
		char got[11];
		plus_days(t[i].from, t[i].n, got);
		assert_string_equal(got, t[i].to);
	}
}

/* Every type under every law: the deadline, the fields as listed, the audit entries. */
static void test_open_each_type_and_law(void **state)
{
	struct fx *f = *state;
	static const char *const types[] = { "access", "correct", "delete", "restrict", "object" };
	static const struct {
		const char *law, *stored;
		int days;
	} laws[] = { { NULL, "pipl", 15 }, { "pipl", "pipl", 15 }, { "gdpr", "gdpr", 30 },
		     { "ccpa", "ccpa", 45 } };
	const char *c = cust(f, 2);
	char *ids[20];
	size_t n = 0;
	char before[11], after[11];
	today(before);
	for (size_t l = 0; l < 4; l++)
		for (size_t t = 0; t < 5; t++)
			ids[n++] = open_req(f, c, types[t], laws[l].law);
	today(after);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			assert_string_not_equal(ids[i], ids[j]);

	struct queue q;
	list(f, 0, &q);
	assert_int_equal(q.n, 20);
	assert_due_order(&q);
	n = 0;
	for (size_t l = 0; l < 4; l++) {
		for (size_t t = 0; t < 5; t++, n++) {
			const struct item *it = find(&q, ids[n]);
			assert_string_equal(it->customer, c);
			assert_string_equal(it->type, types[t]);
			assert_string_equal(it->law, laws[l].stored);
			assert_today(it->opened, before, after);
			assert_due(it->due, laws[l].days, it->opened, it->opened);
			assert_due(it->due, laws[l].days, before, after);
			assert_string_equal(it->state, "open");
			assert_string_equal(it->closed, "");
			assert_string_equal(it->outcome, "");
			/* its audit entry names the customer, the request and its deadline */
			char detail[96];
			snprintf(detail, sizeof detail, "%s request %s under %s, due %s", types[t],
				 ids[n], laws[l].stored, it->due);
			assert_int_equal(audit_count(f, "dsr open", c, NULL, "ok", detail), 1);
		}
	}
	/* the pipl ones first, then gdpr, then ccpa */
	for (size_t i = 0; i < 10; i++)
		assert_string_equal(q.it[i].law, "pipl");
	for (size_t i = 10; i < 15; i++)
		assert_string_equal(q.it[i].law, "gdpr");
	for (size_t i = 15; i < 20; i++)
		assert_string_equal(q.it[i].law, "ccpa");
	assert_int_equal(audit_count(f, "dsr open", NULL, NULL, "ok", NULL), 20);
	for (size_t i = 0; i < 20; i++)
		pv_free(ids[i]);
}

/* Refusals: nothing is recorded, the caller learns why. */
static void test_open_refused(void **state)
{
	struct fx *f = *state;
	const char *c = cust(f, 1);
	char *id = (char *)"stale";
	assert_int_equal(pv_dsr_open(f->v, &DPO, c, "erase", "pipl", &id), PV_ERR_USAGE);
	assert_null(id);
	assert_non_null(strstr(pv_errmsg(f->v), "access"));
	id = (char *)"stale";
	assert_int_equal(pv_dsr_open(f->v, &DPO, c, "", NULL, &id), PV_ERR_USAGE);
	assert_null(id);
	id = (char *)"stale";
	assert_int_equal(pv_dsr_open(f->v, &DPO, c, "access", "hipaa", &id), PV_ERR_USAGE);
	assert_null(id);
	assert_non_null(strstr(pv_errmsg(f->v), "hipaa"));
	id = (char *)"stale";
	assert_int_equal(pv_dsr_open(f->v, &DPO, c, "access", "GDPR", &id), PV_ERR_USAGE);
	assert_null(id);
	id = (char *)"stale";
	assert_int_equal(pv_dsr_open(f->v, &DPO, "C99999999", "access", "gdpr", &id),
			 PV_ERR_NOT_FOUND);
	assert_null(id);
	assert_non_null(strstr(pv_errmsg(f->v), "C99999999"));
	id = (char *)"stale";
	assert_int_equal(pv_dsr_open(f->v, &CLERK, c, "access", "gdpr", &id), PV_ERR_DENIED);
	assert_null(id);
	assert_non_null(strstr(pv_errmsg(f->v), "'dsr'"));

	struct queue q;
	list(f, 0, &q);
	assert_int_equal(q.n, 0);
	/* the refusal and the failure are in the log; no success is */
	assert_int_equal(audit_count(f, "dsr open", c, NULL, "denied", "'dsr'"), 1);
	assert_int_equal(audit_count(f, "dsr open", "C99999999", NULL, "failed", NULL), 1);
	assert_int_equal(audit_count(f, "dsr open", NULL, NULL, "ok", NULL), 0);
	/* a clerk may neither list nor close */
	struct queue none = { .n = 0 };
	assert_int_equal(pv_dsr_list(f->v, &CLERK, 0, collect, &none), PV_ERR_DENIED);
	assert_non_null(strstr(pv_errmsg(f->v), "'dsr'"));
	assert_int_equal(none.n, 0);
	char *rid = open_req(f, c, "delete", NULL);
	assert_int_equal(pv_dsr_close(f->v, &CLERK, rid, "done"), PV_ERR_DENIED);
	assert_non_null(strstr(pv_errmsg(f->v), "'dsr'"));
	list(f, 0, &q);
	assert_int_equal(q.n, 1);
	assert_string_equal(q.it[0].state, "open");
	assert_int_equal(audit_count(f, "dsr list", NULL, NULL, "denied", NULL), 1);
	assert_int_equal(audit_count(f, "dsr close", NULL, NULL, "denied", NULL), 1);
	pv_free(rid);
}

/* The per-vault deadlines (meta dsr_days_<law>), set with SQL: long ones cross month and
 * year ends; a zero or non-number falls back to the default. */
static void test_deadline_setting(void **state)
{
	struct fx *f = *state;
	const char *c = cust(f, 3);
	static const struct {
		const char *pipl, *gdpr, *ccpa;
		int dp, dg, dc;
	} rounds[] = {
		{ "1", "366", "1000", 1, 366, 1000 },
		{ "59", "400", "731", 59, 400, 731 },
		{ "0", "abc", "17", 15, 30, 17 },
	};
	for (size_t r = 0; r < sizeof rounds / sizeof *rounds; r++) {
		char sql[512];
		snprintf(sql, sizeof sql,
			 "DELETE FROM meta WHERE k IN ('dsr_days_pipl', 'dsr_days_gdpr', "
			 "'dsr_days_ccpa'); INSERT INTO meta(k, v) VALUES ('dsr_days_pipl', '%s'), "
			 "('dsr_days_gdpr', '%s'), ('dsr_days_ccpa', '%s')",
			 rounds[r].pipl, rounds[r].gdpr, rounds[r].ccpa);
		sql_behind(f, sql);
		char before[11], after[11];
		today(before);
		char *a = open_req(f, c, "access", NULL);
		char *b = open_req(f, c, "correct", "gdpr");
		char *d = open_req(f, c, "object", "ccpa");
		today(after);
		struct queue q;
		list(f, 0, &q);
		assert_due_order(&q);
		assert_due(find(&q, a)->due, rounds[r].dp, before, after);
		assert_due(find(&q, b)->due, rounds[r].dg, before, after);
		assert_due(find(&q, d)->due, rounds[r].dc, before, after);
		pv_free(a);
		pv_free(b);
		pv_free(d);
	}
}

/* An overdue request (its due date moved into the past with SQL) is listed alone by
 * overdue_only, first in the queue, and becomes "closed late" when closed. */
static void test_overdue(void **state)
{
	struct fx *f = *state;
	char *a = open_req(f, cust(f, 1), "access", "pipl");
	char *b = open_req(f, cust(f, 2), "delete", "gdpr");
	char *c = open_req(f, cust(f, 3), "restrict", "ccpa");
	struct queue q;
	list(f, 1, &q);
	assert_int_equal(q.n, 0);

	char sql[200];
	snprintf(sql, sizeof sql, "UPDATE dsr SET due = '2020-01-01' WHERE id = '%s'", b);
	sql_behind(f, sql);

	list(f, 1, &q);
	assert_int_equal(q.n, 1);
	assert_string_equal(q.it[0].id, b);
	assert_string_equal(q.it[0].state, "overdue");
	assert_string_equal(q.it[0].due, "2020-01-01");
	assert_string_equal(q.it[0].customer, cust(f, 2));

	list(f, 0, &q);
	assert_int_equal(q.n, 3);
	assert_due_order(&q);
	assert_string_equal(q.it[0].id, b);
	assert_string_equal(q.it[0].state, "overdue");
	assert_string_equal(q.it[1].id, a);
	assert_string_equal(q.it[1].state, "open");
	assert_string_equal(q.it[2].id, c);
	assert_string_equal(q.it[2].state, "open");

	/* closed after its deadline: closed late, and no longer overdue */
	char before[11], after[11];
	today(before);
	assert_int_equal(pv_dsr_close(f->v, &DPO, b, "erased after the deadline"), PV_OK);
	assert_int_equal(pv_dsr_close(f->v, &DPO, a, "copy sent"), PV_OK);
	today(after);
	list(f, 1, &q);
	assert_int_equal(q.n, 0);
	list(f, 0, &q);
	assert_int_equal(q.n, 3);
	assert_string_equal(find(&q, b)->state, "closed late");
	assert_today(find(&q, b)->closed, before, after);
	assert_string_equal(find(&q, b)->outcome, "erased after the deadline");
	assert_string_equal(find(&q, a)->state, "closed");
	assert_string_equal(find(&q, c)->state, "open");
	char detail[64];
	snprintf(detail, sizeof detail, "%s closed late", b);
	assert_int_equal(audit_count(f, "dsr close", cust(f, 2), NULL, "ok", detail), 1);
	assert_int_equal(audit_count(f, "dsr list", NULL, NULL, "ok", "overdue only"), 3);
	pv_free(a);
	pv_free(b);
	pv_free(c);
}

/* Closing: an outcome is required, the state and date are recorded, and a closed
 * request cannot be closed again. */
static void test_close(void **state)
{
	struct fx *f = *state;
	const char *c = cust(f, 4);
	char *a = open_req(f, c, "correct", "gdpr");
	assert_int_equal(pv_dsr_close(f->v, &DPO, a, NULL), PV_ERR_USAGE);
	assert_int_equal(pv_dsr_close(f->v, &DPO, a, ""), PV_ERR_USAGE);
	assert_non_null(strstr(pv_errmsg(f->v), "outcome"));
	assert_int_equal(pv_dsr_close(f->v, &DPO, "D-00000000", "done"), PV_ERR_NOT_FOUND);
	struct queue q;
	list(f, 0, &q);
	assert_int_equal(q.n, 1);
	assert_string_equal(q.it[0].state, "open");
	assert_string_equal(q.it[0].closed, "");

	char before[11], after[11];
	today(before);
	pv_rc rc = pv_dsr_close(f->v, &DPO, a, "address corrected, customer told by phone");
	today(after);
	if (rc)
		fail_msg("pv_dsr_close: %s", pv_errmsg(f->v));
	list(f, 0, &q);
	assert_int_equal(q.n, 1);
	assert_string_equal(q.it[0].id, a);
	assert_string_equal(q.it[0].state, "closed");
	assert_today(q.it[0].closed, before, after);
	assert_string_equal(q.it[0].outcome, "address corrected, customer told by phone");
	assert_string_equal(q.it[0].type, "correct");
	assert_string_equal(q.it[0].law, "gdpr");
	assert_due(q.it[0].due, 30, q.it[0].opened, q.it[0].opened);
	char detail[64];
	snprintf(detail, sizeof detail, "%s closed", a);
	assert_int_equal(audit_count(f, "dsr close", c, NULL, "ok", detail), 1);
	assert_int_equal(audit_count(f, "dsr close", c, NULL, "ok", "late"), 0);

	/* twice: refused, and the first outcome stays */
	rc = pv_dsr_close(f->v, &DPO, a, "something else");
	assert_int_not_equal(rc, PV_OK);
	assert_int_equal(rc, PV_ERR_USAGE);
	assert_non_null(strstr(pv_errmsg(f->v), "closed"));
	list(f, 0, &q);
	assert_int_equal(q.n, 1);
	assert_string_equal(q.it[0].state, "closed");
	assert_string_equal(q.it[0].outcome, "address corrected, customer told by phone");
	assert_int_equal(audit_count(f, "dsr close", NULL, NULL, "ok", NULL), 1);
	assert_int_equal(audit_count(f, "dsr close", NULL, NULL, "failed", NULL), 2);
	pv_free(a);
}

/* The JSON reply to an access request: data in clear as imported, purposes, consents,
 * retention rules, the reads made before, no handovers. */
static void test_report_json(void **state)
{
	struct fx *f = *state;
	size_t ry = row_with_consent(f, "yes"), rn = row_with_consent(f, "no");
	const char *cy = cust(f, ry), *cn = cust(f, rn);
	for (int i = 0; i < 2; i++) {
		pv_record *r = NULL;
		assert_int_equal(pv_get(f->v, &ADMIN_SERVICE, cy, &r), PV_OK);
		assert_string_equal(pv_record_id(r), cy);
		pv_record_free(r);
	}
	char *ay = open_req(f, cy, "access", "pipl");
	char *an = open_req(f, cn, "access", "gdpr");
	char before[11];
	today(before);
	int64_t n1 = 0, n2 = 0; /* a notice for each: each report lists only its own */
	assert_int_equal(pv_notice_record(f->v, &DPO, cy, "dsr-reply", "reply-v1", "letter", NULL,
					  &n1), PV_OK);
	assert_int_equal(pv_notice_record(f->v, &DPO, cn, "transfer", "transfer-v2", "sms",
					  "queued", &n2), PV_OK);

	json_t *doc = json_report(f, ay);
	assert_string_equal(jstr(doc, "request"), ay);
	assert_string_equal(jstr(doc, "customer"), cy);
	struct queue q;
	list(f, 0, &q);
	assert_string_equal(jstr(doc, "request_opened"), find(&q, ay)->opened);
	assert_string_equal(jstr(doc, "controller"), "acme-logistics");
	assert_data_is_row(f, json_object_get(doc, "data"), ry, NULL, NULL);

	json_t *purposes = json_object_get(doc, "purposes");
	assert_true(json_is_array(purposes));
	assert_int_equal(json_array_size(purposes), 4); /* and legal-claims */
	static const char *const pnames[] = { "service", "billing", "marketing" };
	for (size_t i = 0; i < 3; i++) {
		json_t *p = json_array_get(purposes, i);
		assert_string_equal(jstr(p, "name"), pnames[i]);
		assert_true(strlen(jstr(p, "description")) > 0);
		assert_true(json_is_boolean(json_object_get(p, "consent_required")));
		assert_int_equal(json_is_true(json_object_get(p, "consent_required")), i == 2);
	}

	json_t *cs = json_object_get(doc, "consent_state");
	assert_true(json_is_object(cs));
	assert_int_equal(json_object_size(cs), 1);
	assert_string_equal(jstr(cs, "marketing"), "given");
	assert_true(json_is_array(json_object_get(doc, "consents")));

	json_t *ret = json_object_get(doc, "retention");
	assert_true(json_is_array(ret));
	assert_int_equal(json_array_size(ret), 3);
	for (size_t i = 0; i < 3; i++)
		assert_true(strlen(jstr(json_array_get(ret, i), "rule")) > 0);
	assert_non_null(strstr(jstr(json_array_get(ret, 0), "rule"), "last_order_date"));
	assert_non_null(strstr(jstr(json_array_get(ret, 1), "rule"), "created_at"));

	json_t *acc = json_object_get(doc, "accesses");
	assert_true(json_is_array(acc));
	size_t i;
	json_t *e;
	int service_reads = 0, opens = 0;
	json_array_foreach(acc, i, e) {
		assert_true(json_is_integer(json_object_get(e, "seq")));
		assert_true(strlen(jstr(e, "at")) >= 10);
		if (strcmp(jstr(e, "operation"), "read") == 0 &&
		    strcmp(jstr(e, "purpose"), "service") == 0) {
			service_reads++;
			assert_string_equal(jstr(e, "by"), pv_vault_user(f->v));
			assert_string_equal(jstr(e, "outcome"), "ok");
		}
		opens += strcmp(jstr(e, "operation"), "dsr open") == 0;
	}
	assert_int_equal(service_reads, 2);
	assert_int_equal(opens, 1); /* this customer's request, not the other one's */
	json_t *hand = json_object_get(doc, "handovers");
	assert_true(json_is_array(hand));
	assert_int_equal(json_array_size(hand), 0);
	json_t *notices = json_object_get(doc, "notices");
	assert_true(json_is_array(notices));
	assert_int_equal(json_array_size(notices), 1);
	json_t *n = json_array_get(notices, 0);
	assert_string_equal(jstr(n, "kind"), "dsr-reply");
	assert_string_equal(jstr(n, "text_version"), "reply-v1");
	assert_string_equal(jstr(n, "channel"), "letter");
	assert_string_equal(jstr(n, "state"), "sent");
	assert_string_equal(jstr(n, "sent"), jstr(n, "state_at"));
	json_decref(doc);

	/* the customer who refused marketing, never read for service */
	doc = json_report(f, an);
	assert_string_equal(jstr(doc, "customer"), cn);
	assert_data_is_row(f, json_object_get(doc, "data"), rn, NULL, NULL);
	assert_string_equal(jstr(json_object_get(doc, "consent_state"), "marketing"), "not given");
	service_reads = 0;
	json_array_foreach(json_object_get(doc, "accesses"), i, e)
		service_reads += strcmp(jstr(e, "operation"), "read") == 0 &&
				 strcmp(jstr(e, "purpose"), "service") == 0;
	assert_int_equal(service_reads, 0);
	notices = json_object_get(doc, "notices");
	assert_int_equal(json_array_size(notices), 1);
	assert_string_equal(jstr(json_array_get(notices, 0), "kind"), "transfer");
	assert_string_equal(jstr(json_array_get(notices, 0), "state"), "queued");
	json_decref(doc);
	pv_free(ay);
	pv_free(an);
}

/* The HTML page: whole, naming the customer, every value escaped. */
static void test_report_html(void **state)
{
	struct fx *f = *state;
	const char *c = cust(f, 5);
	pv_access admin = { "admin", "service", 0 };
	pv_rc rc = pv_update(f->v, &admin, c, "preferences", "a<b&c");
	if (rc)
		fail_msg("pv_update: %s", pv_errmsg(f->v));
	char *id = open_req(f, c, "access", "ccpa");
	char *html = NULL;
	rc = report(f, &DPO, id, 1, &html);
	if (rc)
		fail_msg("pv_dsr_access_report (html): %s", pv_errmsg(f->v));
	assert_int_equal(strncmp(html, "<!DOCTYPE html>", 15), 0);
	assert_non_null(strstr(html, "<html"));
	assert_non_null(strstr(html, "<head>"));
	assert_non_null(strstr(html, "<body>"));
	size_t len = strlen(html);
	assert_true(len > 20);
	assert_string_equal(html + len - strlen("</body></html>\n"), "</body></html>\n");
	assert_non_null(strstr(html, c));
	assert_non_null(strstr(html, id));
	assert_non_null(strstr(html, "a&lt;b&amp;c"));
	assert_null(strstr(html, "a<b"));
	assert_null(strstr(html, "<b&"));
	assert_null(strstr(html, "<b>"));
	/* other values are there too (the name needs no escaping) */
	assert_non_null(strstr(html, pvt_csv_get(&f->csv, 5, "name")));
	assert_non_null(strstr(html, pvt_csv_get(&f->csv, 5, "phone")));
	free(html);

	/* the JSON form carries the value itself */
	json_t *doc = json_report(f, id);
	assert_data_is_row(f, json_object_get(doc, "data"), 5, "preferences", "a<b&c");
	json_decref(doc);
	pv_free(id);
}

/* A report only answers an access request, and only to a role that reads everything. */
static void test_report_refused(void **state)
{
	struct fx *f = *state;
	const char *c = cust(f, 6);
	char *del = open_req(f, c, "delete", NULL);
	char *acc = open_req(f, c, "access", NULL);
	char *text = NULL;
	assert_int_equal(report(f, &DPO, del, 0, &text), PV_ERR_USAGE);
	assert_string_equal(text, "");
	free(text);
	assert_int_equal(report(f, &DPO, del, 1, &text), PV_ERR_USAGE);
	assert_string_equal(text, "");
	free(text);
	assert_int_equal(report(f, &CLERK, acc, 0, &text), PV_ERR_DENIED);
	assert_string_equal(text, "");
	free(text);
	assert_int_equal(report(f, &CLERK, acc, 1, &text), PV_ERR_DENIED);
	assert_string_equal(text, "");
	free(text);
	assert_int_equal(report(f, &DPO, "D-00000000", 0, &text), PV_ERR_NOT_FOUND);
	assert_string_equal(text, "");
	free(text);
	/* the clerk's attempts are logged as refused ('dsr' is missing), and nothing is read */
	assert_int_equal(audit_count(f, "dsr report", "", "", "denied", "'dsr'"), 2);
	assert_int_equal(audit_count(f, "read", c, "all", "ok", NULL), 0);
	pv_free(del);
	pv_free(acc);
}

/* Each step leaves its entry in the audit log, in order. */
static void test_audit_trail(void **state)
{
	struct fx *f = *state;
	const char *c = cust(f, 7);
	char *acc = open_req(f, c, "access", "gdpr");
	char *obj = open_req(f, c, "object", "pipl");
	struct queue q;
	list(f, 0, &q);
	list(f, 1, &q);
	assert_int_equal(pv_dsr_close(f->v, &DPO, obj, "marketing stopped"), PV_OK);
	char *text = NULL;
	assert_int_equal(report(f, &DPO, acc, 0, &text), PV_OK);
	free(text);
	assert_int_equal(report(f, &DPO, acc, 1, &text), PV_OK);
	free(text);

	struct audit_match m[] = {
		{ "dsr open", c, NULL, "ok", NULL, acc, 0, 0 },
		{ "dsr open", c, NULL, "ok", NULL, obj, 0, 0 },
		{ "dsr list", NULL, NULL, "ok", NULL, NULL, 0, 0 },
		{ "dsr close", c, NULL, "ok", NULL, obj, 0, 0 },
		{ "read", c, "all", "ok", NULL, NULL, 0, 0 },
	};
	static const int want[] = { 1, 1, 2, 1, 2 };
	for (size_t i = 0; i < sizeof m / sizeof *m; i++) {
		m[i].user = pv_vault_user(f->v);
		assert_int_equal(pv_audit_log(f->v, &DPO, NULL, match_entry, &m[i]), PV_OK);
		if (m[i].count != want[i])
			fail_msg("audit: %d entries '%s' %s, expected %d", m[i].count, m[i].op,
				 m[i].detail ? m[i].detail : "", want[i]);
	}
	/* in the order they happened */
	assert_true(m[0].last_seq < m[1].last_seq);
	assert_true(m[1].last_seq < m[2].last_seq);
	assert_true(m[2].last_seq < m[3].last_seq);
	assert_true(m[3].last_seq < m[4].last_seq);
	/* the list that asked only for the overdue ones says so */
	assert_int_equal(audit_count(f, "dsr list", NULL, NULL, "ok", "overdue only"), 1);
	/* the log is intact */
	char *rep = NULL;
	pv_vault_close(f->v);
	f->v = open_root(f);
	pv_rc rc = pv_audit_verify(f->v, NULL, NULL, &rep);
	if (rc)
		fail_msg("pv_audit_verify: %s", rep ? rep : pv_errmsg(f->v));
	pv_free(rep);
	pv_free(acc);
	pv_free(obj);
}

/* ---- the command ------------------------------------------------------------------- */

static int cli(struct fx *f, char **out, const char *fmt, ...)
{
	char args[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	return pvt_run(out, "PIVAULT_VAULT='%s' PIVAULT_KEY_FILE='%s' '%s' %s </dev/null 2>'%s'",
		       f->dir, f->key, pvt_program("pivault-test"), args, f->err);
}

static char *cli_err(struct fx *f)
{
	char *e = pvt_read_file(f->err, NULL);
	assert_non_null(e);
	return e;
}

static char *cli_open(struct fx *f, const char *customer, const char *type, const char *law)
{
	char *out = NULL;
	int st = law ? cli(f, &out, "dsr open --customer %s --type %s --law %s --role dpo --json",
			   customer, type, law)
		     : cli(f, &out, "dsr open --customer %s --type %s --role dpo --json", customer,
			   type);
	if (st != 0) {
		char *e = cli_err(f);
		fail_msg("dsr open exited %d: %s", st, e);
	}
	json_error_t err;
	json_t *j = json_loads(out, 0, &err);
	if (!j)
		fail_msg("dsr open --json printed no JSON: %s", out);
	assert_int_equal(json_object_size(j), 1);
	const char *rid = json_string_value(json_object_get(j, "request"));
	assert_non_null(rid);
	assert_int_equal(strncmp(rid, "D-", 2), 0);
	char *id = strdup(rid);
	assert_non_null(id);
	json_decref(j);
	free(out);
	return id;
}

/* `dsr list --json`: one object a line, parsed into a queue. */
static void cli_list(struct fx *f, const char *extra, struct queue *q)
{
	char *out = NULL;
	assert_int_equal(cli(f, &out, "dsr list --role dpo --json %s", extra), 0);
	memset(q, 0, sizeof *q);
	char *save = NULL;
	for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_error_t err;
		json_t *j = json_loads(line, 0, &err);
		if (!j)
			fail_msg("dsr list --json: not JSON: %s", line);
		pv_dsr_info d = { jstr(j, "id"), jstr(j, "customer"), jstr(j, "type"), jstr(j, "law"),
				  jstr(j, "opened"), jstr(j, "due"), jstr(j, "state"), jstr(j, "closed"),
				  jstr(j, "outcome") };
		assert_int_equal(collect(q, &d), 0);
		json_decref(j);
	}
	free(out);
}

static void test_cli(void **state)
{
	struct fx *f = *state;
	const char *c = cust(f, 8);
	pv_vault_close(f->v); /* the command opens the vault itself */
	f->v = NULL;

	char *out = NULL;
	assert_int_equal(cli(f, &out, "dsr --help"), 0);
	assert_non_null(strstr(out, "usage: pivault dsr open"));
	assert_non_null(strstr(out, "report"));
	free(out);

	char before[11], after[11];
	today(before);
	char *acc = cli_open(f, c, "access", NULL);
	char *del = cli_open(f, c, "delete", "ccpa");
	today(after);
	assert_string_not_equal(acc, del);

	struct queue q;
	cli_list(f, "", &q);
	assert_int_equal(q.n, 2);
	assert_string_equal(q.it[0].id, acc); /* pipl: 15 days, before ccpa's 45 */
	assert_string_equal(q.it[1].id, del);
	assert_string_equal(q.it[0].customer, c);
	assert_string_equal(q.it[0].type, "access");
	assert_string_equal(q.it[0].law, "pipl");
	assert_string_equal(q.it[0].state, "open");
	assert_due(q.it[0].due, 15, before, after);
	assert_string_equal(q.it[1].type, "delete");
	assert_string_equal(q.it[1].law, "ccpa");
	assert_due(q.it[1].due, 45, before, after);

	assert_int_equal(cli(f, &out, "dsr report %s --role dpo --html", acc), 0);
	assert_int_equal(strncmp(out, "<!DOCTYPE html>", 15), 0);
	assert_non_null(strstr(out, c));
	assert_non_null(strstr(out, acc));
	assert_non_null(strstr(out, "</html>"));
	assert_non_null(strstr(out, pvt_csv_get(&f->csv, 8, "name")));
	free(out);

	assert_int_equal(cli(f, &out, "dsr report %s --role dpo", acc), 0);
	json_error_t err;
	json_t *doc = json_loads(out, 0, &err);
	if (!doc)
		fail_msg("dsr report printed no JSON: %s", out);
	assert_string_equal(jstr(doc, "customer"), c);
	assert_data_is_row(f, json_object_get(doc, "data"), 8, NULL, NULL);
	json_decref(doc);
	free(out);

	/* -o is refused, not ignored: the reply in clear never goes straight to a file */
	char *file = pvt_keep(pvt_path(f->base, "reply.json"));
	assert_int_equal(cli(f, &out, "dsr report %s --role dpo -o '%s'", acc, file), 2);
	assert_string_equal(out, "");
	free(out);
	assert_int_not_equal(access(file, F_OK), 0);
	char *said = cli_err(f);
	assert_non_null(strstr(said, "standard output only"));
	free(said);

	/* refused: a clerk's report, a report of a deletion request */
	assert_int_not_equal(cli(f, &out, "dsr report %s --role clerk --html", acc), 0);
	assert_null(strstr(out, "<html"));
	free(out);
	assert_int_not_equal(cli(f, &out, "dsr report %s --role dpo", del), 0);
	assert_string_equal(out, "");
	free(out);
	assert_int_not_equal(cli(f, &out, "dsr open --customer %s --type access --role clerk", c),
			     0);
	free(out);
	char *e = cli_err(f);
	assert_non_null(strstr(e, "dsr"));
	free(e);

	assert_int_equal(cli(f, &out, "dsr close %s --outcome 'erased' --role dpo", del), 0);
	free(out);
	cli_list(f, "", &q);
	assert_int_equal(q.n, 2);
	assert_string_equal(find(&q, del)->state, "closed");
	assert_string_equal(find(&q, del)->outcome, "erased");
	assert_string_equal(find(&q, acc)->state, "open");
	cli_list(f, "--overdue", &q);
	assert_int_equal(q.n, 0);

	f->v = open_root(f);
	pv_free(acc);
	pv_free(del);
}

/* ---- fulfilling a deletion request (pv_dsr_delete) --------------------------------- */

static const pv_access AUDITOR = { "auditor", NULL, 0 };

/* 1 if customer id still reads (as admin, purpose service), 0 if it is not found. */
static int reads(struct fx *f, const char *id)
{
	pv_record *r = NULL;
	pv_rc rc = pv_get(f->v, &ADMIN_SERVICE, id, &r);
	if (rc == PV_OK) {
		assert_string_equal(pv_record_id(r), id);
		pv_record_free(r);
		return 1;
	}
	if (rc != PV_ERR_NOT_FOUND)
		fail_msg("pv_get(%s): rc %d: %s", id, rc, pv_errmsg(f->v));
	assert_null(r);
	return 0;
}

/* The certificate verifies with the vault's public key and names exactly customer. */
static void assert_certificate_for(struct fx *f, const char *cert, const char *customer)
{
	assert_non_null(cert);
	char pk[65];
	assert_int_equal(pv_vault_public_key(f->v, pk), PV_OK);
	char why[512] = "";
	pv_rc rc = pvt_certificate_verify(cert, pk, why, sizeof why);
	if (rc)
		fail_msg("certificate does not verify (rc %d): %s\n%s", rc, why, cert);
	json_error_t err;
	json_t *doc = json_loads(cert, 0, &err);
	if (!doc)
		fail_msg("certificate is not JSON: %s", cert);
	json_t *body = json_object_get(doc, "certificate");
	assert_true(json_is_object(body));
	json_t *ids = json_object_get(body, "customers");
	assert_true(json_is_array(ids));
	assert_int_equal(json_array_size(ids), 1);
	assert_string_equal(json_string_value(json_array_get(ids, 0)), customer);
	assert_true(json_is_integer(json_object_get(body, "count")));
	assert_int_equal(json_integer_value(json_object_get(body, "count")), 1);
	json_decref(doc);
	/* a flipped signature digit no longer verifies */
	char *bad = strdup(cert);
	assert_non_null(bad);
	char *sig = strstr(bad, "\"signature\": \"");
	assert_non_null(sig);
	sig += strlen("\"signature\": \"");
	*sig = *sig == '0' ? '1' : '0';
	assert_int_not_equal(pvt_certificate_verify(bad, pk, why, sizeof why), PV_OK);
	free(bad);
}

static void test_delete_fulfils(void **state)
{
	struct fx *f = *state;
	const char *c = cust(f, 3);
	char *del = open_req(f, c, "delete", "gdpr");
	char *other = open_req(f, cust(f, 4), "delete", NULL);
	for (size_t r = 1; r <= NCUST; r++)
		assert_int_equal(reads(f, cust(f, r)), 1);

	char *cert = NULL;
	char before[11], after[11];
	today(before);
	pv_rc rc = pv_dsr_delete(f->v, &DPO, del, &cert);
	today(after);
	if (rc)
		fail_msg("pv_dsr_delete: rc %d: %s", rc, pv_errmsg(f->v));
	assert_certificate_for(f, cert, c);
	pv_free(cert);

	/* the customer is gone, every other one still reads */
	for (size_t r = 1; r <= NCUST; r++)
		assert_int_equal(reads(f, cust(f, r)), r != 3);
	/* and stays gone once the vault is opened again */
	pv_vault_close(f->v);
	f->v = open_root(f);
	assert_int_equal(reads(f, c), 0);
	assert_int_equal(reads(f, cust(f, 4)), 1);

	struct queue q;
	list(f, 0, &q);
	assert_int_equal(q.n, 2);
	const struct item *it = find(&q, del);
	assert_string_equal(it->state, "closed");
	assert_today(it->closed, before, after);
	assert_true(strlen(it->outcome) > 0);
	assert_non_null(strstr(it->outcome, "shred"));
	assert_string_equal(it->customer, c);
	/* the other request is untouched */
	it = find(&q, other);
	assert_string_equal(it->state, "open");
	assert_string_equal(it->outcome, "");

	/* a second time: the request is closed */
	cert = (char *)"sentinel";
	rc = pv_dsr_delete(f->v, &DPO, del, &cert);
	assert_int_equal(rc, PV_ERR_USAGE);
	assert_null(cert);
	assert_non_null(strstr(pv_errmsg(f->v), "closed"));
	assert_int_equal(reads(f, cust(f, 4)), 1);
	list(f, 0, &q);
	assert_string_equal(find(&q, del)->state, "closed");
	assert_string_equal(find(&q, other)->state, "open");
	pv_free(del);
	pv_free(other);
}

/* The shred ledger cannot be written (a directory in its place) once the shred has
 * committed: the customer is gone, so the certificate comes back all the same, the
 * request is closed, and the message says what failed and what is left to do. */
static void test_delete_ledger_unwritable(void **state)
{
	struct fx *f = *state;
	char *ledger = pvt_path(f->base, "vault.keyring.ledger");
	assert_int_equal(mkdir(ledger, 0700), 0);
	const char *c = cust(f, 3);
	char *del = open_req(f, c, "delete", NULL);
	char *cert = NULL;
	assert_int_equal(pv_dsr_delete(f->v, &DPO, del, &cert), PV_ERR_IO);
	if (!cert)
		fail_msg("the customer was shredded but the certificate was lost: %s",
			 pv_errmsg(f->v));
	char m[1024];
	snprintf(m, sizeof m, "%s", pv_errmsg(f->v));
	assert_certificate_for(f, cert, c);
	pv_free(cert);
	if (strncmp(m, "1 customer was shredded and the certificate issued, but the shred "
		    "ledger is not up to date (", 90) != 0 || !strstr(m, ledger) ||
	    !strstr(m, "kept in the vault and added at its next open"))
		fail_msg("the message does not say what happened and what is left: %s", m);
	assert_int_equal(reads(f, c), 0);
	assert_int_equal(reads(f, cust(f, 4)), 1);
	struct queue q;
	list(f, 0, &q);
	assert_string_equal(find(&q, del)->state, "closed");
	pv_free(del);
	free(ledger);
}

static void test_delete_held(void **state)
{
	struct fx *f = *state;
	const char *c = cust(f, 2);
	const char *one[] = { c };
	assert_int_equal(pv_hold_add(f->v, &DPO, one, 1, "litigation 2026-17"), PV_OK);
	char *del = open_req(f, c, "delete", NULL);

	char *cert = (char *)"sentinel";
	pv_rc rc = pv_dsr_delete(f->v, &DPO, del, &cert);
	assert_int_equal(rc, PV_ERR_DENIED);
	assert_null(cert);
	if (!strstr(pv_errmsg(f->v), "litigation 2026-17"))
		fail_msg("the refusal does not name the hold: %s", pv_errmsg(f->v));
	assert_int_equal(reads(f, c), 1);
	struct queue q;
	list(f, 0, &q);
	assert_int_equal(q.n, 1);
	assert_string_equal(find(&q, del)->state, "open");
	assert_string_equal(find(&q, del)->closed, "");
	assert_string_equal(find(&q, del)->outcome, "");

	/* released: now it goes through */
	assert_int_equal(pv_hold_release(f->v, &DPO, one, 1, "case settled"), PV_OK);
	cert = NULL;
	rc = pv_dsr_delete(f->v, &DPO, del, &cert);
	if (rc)
		fail_msg("pv_dsr_delete after release: rc %d: %s", rc, pv_errmsg(f->v));
	assert_certificate_for(f, cert, c);
	pv_free(cert);
	assert_int_equal(reads(f, c), 0);
	assert_int_equal(reads(f, cust(f, 1)), 1);
	list(f, 0, &q);
	assert_string_equal(find(&q, del)->state, "closed");
	pv_free(del);
}

static void test_delete_wrong_request(void **state)
{
	struct fx *f = *state;
	const char *c = cust(f, 5);
	char *acc = open_req(f, c, "access", NULL);
	char *cert = (char *)"sentinel";
	pv_rc rc = pv_dsr_delete(f->v, &DPO, acc, &cert);
	assert_int_equal(rc, PV_ERR_USAGE);
	assert_null(cert);
	assert_int_equal(reads(f, c), 1);
	struct queue q;
	list(f, 0, &q);
	assert_string_equal(find(&q, acc)->state, "open");

	/* an unknown request */
	cert = (char *)"sentinel";
	rc = pv_dsr_delete(f->v, &DPO, "D-00000000", &cert);
	assert_int_equal(rc, PV_ERR_NOT_FOUND);
	assert_null(cert);

	/* another type of request than delete: still refused */
	char *cor = open_req(f, c, "correct", NULL);
	cert = (char *)"sentinel";
	assert_int_equal(pv_dsr_delete(f->v, &DPO, cor, &cert), PV_ERR_USAGE);
	assert_null(cert);
	for (size_t r = 1; r <= NCUST; r++)
		assert_int_equal(reads(f, cust(f, r)), 1);
	pv_free(acc);
	pv_free(cor);
}

static void test_delete_permissions(void **state)
{
	struct fx *f = *state;
	const char *c = cust(f, 6);
	char *del = open_req(f, c, "delete", NULL);
	const pv_access *who[] = { &CLERK, &AUDITOR };
	for (size_t i = 0; i < 2; i++) {
		char *cert = (char *)"sentinel";
		pv_rc rc = pv_dsr_delete(f->v, who[i], del, &cert);
		if (rc != PV_ERR_DENIED)
			fail_msg("role %s: rc %d, expected denied: %s", who[i]->role, rc,
				 pv_errmsg(f->v));
		assert_null(cert);
		assert_int_equal(reads(f, c), 1);
	}
	struct queue q;
	list(f, 0, &q);
	assert_string_equal(find(&q, del)->state, "open");
	/* the refusals are audited */
	assert_int_equal(audit_count(f, "dsr delete", NULL, NULL, "denied", NULL), 2);
	/* and the dpo can still do it */
	char *cert = NULL;
	assert_int_equal(pv_dsr_delete(f->v, &DPO, del, &cert), PV_OK);
	assert_certificate_for(f, cert, c);
	pv_free(cert);
	assert_int_equal(reads(f, c), 0);
	pv_free(del);
}

/* A user session (not the root key) needs an approved four-eyes request "dsr delete". */
static pv_vault *open_user(struct fx *f, const char *name, const char *pw)
{
	pv_vault *v = NULL;
	pv_rc rc = pv_vault_open_user(f->dir, NULL, name, pw, strlen(pw), &v);
	if (rc)
		fail_msg("pv_vault_open_user(%s): rc %d: %s", name, rc, v ? pv_errmsg(v) : "?");
	return v;
}

static void test_delete_user_needs_approval(void **state)
{
	struct fx *f = *state;
	static const char ALICE_PW[] = "alice-secret-1", BOB_PW[] = "bob-secret-22";
	const pv_access admin = { "admin", NULL, 0 };
	assert_int_equal(pvt_user_add(f->v, &admin, "alice", "dpo", ALICE_PW, strlen(ALICE_PW)),
			 PV_OK);
	assert_int_equal(pvt_user_add(f->v, &admin, "bob", "dpo", BOB_PW, strlen(BOB_PW)), PV_OK);
	const char *c = cust(f, 4);
	char *del = open_req(f, c, "delete", NULL);
	pv_vault_close(f->v);
	f->v = NULL;

	/* without a request: refused, nothing shredded */
	pv_vault *a = open_user(f, "alice", ALICE_PW);
	char *cert = (char *)"sentinel";
	pv_rc rc = pv_dsr_delete(a, NULL, del, &cert);
	if (rc != PV_ERR_DENIED)
		fail_msg("user without approval: rc %d: %s", rc, pv_errmsg(a));
	assert_null(cert);
	assert_non_null(strstr(pv_errmsg(a), "four-eyes"));

	/* ask; not yet approved, the request cannot be used */
	assert_int_equal(pv_request_begin(a, "customer asked for erasure", 0, NULL), PV_OK);
	rc = pv_dsr_delete(a, NULL, del, &cert);
	if (rc != PV_REQUESTED)
		fail_msg("asking for dsr delete: rc %d: %s", rc, pv_errmsg(a));
	char *rid = NULL;
	rc = pv_request_submit(a, &rid);
	if (rc)
		fail_msg("pv_request_submit: %s", pv_errmsg(a));
	assert_int_equal(pv_vault_use_request(a, rid), PV_ERR_DENIED);
	/* the requester cannot approve it herself */
	assert_int_not_equal(pv_request_decide(a, NULL, rid, 1, NULL), PV_OK);
	pv_vault_close(a);

	f->v = open_root(f);
	assert_int_equal(reads(f, c), 1);
	struct queue q;
	list(f, 0, &q);
	assert_string_equal(find(&q, del)->state, "open");
	pv_vault_close(f->v);
	f->v = NULL;

	pv_vault *b = open_user(f, "bob", BOB_PW);
	rc = pv_request_decide(b, NULL, rid, 1, NULL);
	if (rc)
		fail_msg("pv_request_decide: %s", pv_errmsg(b));
	pv_vault_close(b);

	a = open_user(f, "alice", ALICE_PW);
	rc = pv_vault_use_request(a, rid);
	if (rc)
		fail_msg("pv_vault_use_request: %s", pv_errmsg(a));
	cert = NULL;
	rc = pv_dsr_delete(a, NULL, del, &cert);
	if (rc)
		fail_msg("pv_dsr_delete with an approved request: rc %d: %s", rc, pv_errmsg(a));
	assert_non_null(cert);
	/* the certificate names the approval */
	json_error_t err;
	json_t *doc = json_loads(cert, 0, &err);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "certificate"),
							      "approval")),
			    rid);
	json_decref(doc);
	/* the approval is used up: the same session cannot run it again */
	char *cert2 = (char *)"sentinel";
	assert_int_not_equal(pv_dsr_delete(a, NULL, del, &cert2), PV_OK);
	assert_null(cert2);
	pv_vault_close(a);

	f->v = open_root(f);
	assert_certificate_for(f, cert, c);
	assert_int_equal(reads(f, c), 0);
	assert_int_equal(reads(f, cust(f, 5)), 1);
	list(f, 0, &q);
	assert_string_equal(find(&q, del)->state, "closed");
	pv_free(cert);
	pv_free(rid);
	pv_free(del);
}

/* A deletion request whose customer was shredded already (pv_shred): refused, not closed
 * as if done. */
static void test_delete_already_shredded(void **state)
{
	struct fx *f = *state;
	const char *c = cust(f, 1);
	char *del = open_req(f, c, "delete", NULL);
	const char *one[] = { c };
	char *cert = NULL;
	assert_int_equal(pv_shred(f->v, &DPO, one, 1, &cert), PV_OK);
	pv_free(cert);
	cert = (char *)"sentinel";
	pv_rc rc = pv_dsr_delete(f->v, &DPO, del, &cert);
	assert_int_equal(rc, PV_ERR_NOT_FOUND);
	assert_null(cert);
	assert_non_null(strstr(pv_errmsg(f->v), c));
	struct queue q;
	list(f, 0, &q);
	assert_string_equal(find(&q, del)->state, "open");
	assert_string_equal(find(&q, del)->outcome, "");
	assert_int_equal(reads(f, cust(f, 2)), 1);
	/* the request can still be closed by hand */
	assert_int_equal(pv_dsr_close(f->v, &DPO, del, "already erased"), PV_OK);
	pv_free(del);
}

static void test_delete_cli(void **state)
{
	struct fx *f = *state;
	const char *c = cust(f, 7);
	pv_vault_close(f->v);
	f->v = NULL;
	char *del = cli_open(f, c, "delete", NULL);
	char *certp = pvt_path(f->base, "cert.json");
	char *out = NULL;
	int st = cli(f, &out, "dsr delete %s --role dpo -o '%s'", del, certp);
	if (st != 0) {
		char *e = cli_err(f);
		fail_msg("dsr delete exited %d: %s", st, e);
	}
	assert_non_null(strstr(out, del));
	free(out);
	size_t len = 0;
	char *cert = pvt_read_file(certp, &len);
	assert_non_null(cert);
	assert_true(len > 0);

	assert_int_equal(cli(f, &out, "pubkey --role admin"), 0);
	assert_int_equal(strlen(out), 65);
	char pk[65];
	snprintf(pk, sizeof pk, "%s", out);
	free(out);
	st = cli(f, &out, "certificate verify '%s' --public-key %s", certp, pk);
	if (st != 0) {
		char *e = cli_err(f);
		fail_msg("certificate verify exited %d: %s", st, e);
	}
	assert_non_null(strstr(out, "valid"));
	free(out);

	struct queue q;
	cli_list(f, "", &q);
	assert_int_equal(q.n, 1);
	assert_string_equal(q.it[0].state, "closed");
	/* twice: refused */
	assert_int_not_equal(cli(f, &out, "dsr delete %s --role dpo -o '%s.2'", del, certp), 0);
	free(out);

	f->v = open_root(f);
	assert_certificate_for(f, cert, c);
	assert_int_equal(reads(f, c), 0);
	assert_int_equal(reads(f, cust(f, 1)), 1);
	free(cert);
	free(certp);
	pv_free(del);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_date_table),
		cmocka_unit_test_setup_teardown(test_open_each_type_and_law, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_open_refused, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_deadline_setting, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_overdue, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_close, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_report_json, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_report_html, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_report_refused, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_audit_trail, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_cli, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_delete_fulfils, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_delete_ledger_unwritable, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_delete_held, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_delete_wrong_request, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_delete_permissions, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_delete_user_needs_approval, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_delete_cli, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_delete_already_shredded, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
