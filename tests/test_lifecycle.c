/* SPDX-License-Identifier: Apache-2.0 */
/* test_lifecycle.c: consent and legal holds over a customer's life. A purpose marked
 * `consent: required` (marketing in examples/schema.yaml) reaches only customers whose
 * consent is in force: those imported with consent_marketing=no are refused by pv_get and
 * left out of pv_list, pv_export, pv_find and pv_find_records, until a pv_consent_set
 * grant; a withdrawal stops such reads at once, in the same session and in a fresh one.
 * Consent changes keep a history and one audit entry each, and need 'consent'. A legal
 * hold keeps a customer (and any shred naming it) from being shredded until released.
 * The pivault consent / hold commands are run as a user would. */
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pivault.h"

#define NCUST 40
#define SEED 11
#define MAXIDS (NCUST + 8)

/* One vault per test: tmp/vault, tmp/vault.keyring, tmp/root.key; the imported CSV. */
struct fixture {
	char *tmp, *dir, *key;
	pv_vault *v;
	struct pvt_csv csv;
};

static const pv_access ADMIN = { "admin", NULL, 0 };
static const pv_access DPO = { "dpo", NULL, 0 };
static const pv_access CLERK = { "clerk", NULL, 0 };
static const pv_access FINANCE = { "finance", NULL, 0 };
static const pv_access MARKETING = { "admin", "marketing", 0 };
static const pv_access SERVICE = { "admin", "service", 0 };
static const pv_access BILLING = { "admin", "billing", 0 };

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->tmp = pvt_tempdir();
	f->dir = pvt_path(f->tmp, "vault");
	f->key = pvt_path(f->tmp, "root.key");
	char *text = NULL;
	f->v = pvt_sample_vault(f->dir, f->key, NCUST, SEED, &text);
	assert_non_null(text);
	assert_int_equal(pvt_csv_parse(text, &f->csv), 0);
	free(text);
	assert_int_equal(f->csv.nrows, NCUST + 1);
	assert_true(pvt_csv_col(&f->csv, "consent_marketing") >= 0);
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
	free(f);
	return 0;
}

/* Close the vault and open it again with the root key: a fresh session. */
static void reopen(struct fixture *f)
{
	pv_vault_close(f->v);
	f->v = NULL;
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(f->key, &key), PV_OK);
	pv_rc rc = pv_vault_open(f->dir, NULL, key, &f->v);
	pv_key_free(key);
	if (rc)
		fail_msg("pv_vault_open: %s", pv_errmsg(f->v));
}

static const char *cell(const struct fixture *f, size_t r, const char *col)
{
	const char *s = pvt_csv_get(&f->csv, r, col);
	assert_non_null(s);
	return s;
}

static const char *row_id(const struct fixture *f, size_t r)
{
	return cell(f, r, "customer_id");
}

static int row_consents(const struct fixture *f, size_t r)
{
	return strcmp(cell(f, r, "consent_marketing"), "yes") == 0;
}

static size_t row_of(const struct fixture *f, const char *id)
{
	for (size_t r = 1; r < f->csv.nrows; r++)
		if (strcmp(row_id(f, r), id) == 0)
			return r;
	fail_msg("customer %s is not in the CSV", id);
	return 0;
}

/* The nth (0-based) data row imported with consent_marketing yes (want = 1) or not. */
static size_t nth_row(const struct fixture *f, int want, size_t nth)
{
	for (size_t r = 1; r < f->csv.nrows; r++)
		if (row_consents(f, r) == want && nth-- == 0)
			return r;
	fail_msg("the sample has too few customers with consent_marketing %s", want ? "yes" : "no");
	return 0;
}

static size_t consenting_count(const struct fixture *f)
{
	size_t n = 0;
	for (size_t r = 1; r < f->csv.nrows; r++)
		n += (size_t)row_consents(f, r);
	return n;
}

/* pv_get's result code (the record, if any, is checked for its id and freed). */
static pv_rc get_rc(pv_vault *v, const pv_access *who, const char *id)
{
	pv_record *r = NULL;
	pv_rc rc = pv_get(v, who, id, &r);
	if (rc == PV_OK) {
		assert_non_null(r);
		assert_string_equal(pv_record_id(r), id);
	} else {
		assert_null(r);
	}
	pv_record_free(r);
	return rc;
}

static void assert_refused_for_consent(pv_vault *v, const char *id)
{
	assert_int_equal(get_rc(v, &MARKETING, id), PV_ERR_DENIED);
	const char *msg = pv_errmsg(v);
	if (!strstr(msg, "consent") || !strstr(msg, id))
		fail_msg("refusal of %s does not name consent and the customer: %s", id, msg);
}

/* The marketing consent state a read shows for id (via purpose service): 1, 0, or -1
 * when the record has no marketing consent. */
static int shown_consent(pv_vault *v, const pv_access *who, const char *id)
{
	pv_record *r = NULL;
	pv_rc rc = pv_get(v, who, id, &r);
	if (rc)
		fail_msg("pv_get(%s): %s", id, pv_errmsg(v));
	int state = -1;
	for (size_t i = 0; i < pv_record_consent_count(r); i++)
		if (strcmp(pv_record_consent_purpose(r, i), "marketing") == 0) {
			assert_int_equal(state, -1); /* one state per purpose */
			state = pv_record_consent_granted(r, i);
		}
	pv_record_free(r);
	return state;
}

/* ---- sets of customer ids ---- */

struct idset {
	size_t n;
	char id[MAXIDS][40];
};

static int idset_has(const struct idset *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->id[i], id) == 0)
			return 1;
	return 0;
}

static void idset_add(struct idset *s, const char *id)
{
	assert_true(s->n < MAXIDS);
	assert_true(strlen(id) < sizeof s->id[0]);
	if (idset_has(s, id))
		fail_msg("customer %s given twice", id);
	strcpy(s->id[s->n++], id);
}

static int collect_id(void *ctx, const char *id)
{
	idset_add(ctx, id);
	return 0;
}

static int collect_record(void *ctx, const pv_record *r)
{
	idset_add(ctx, pv_record_id(r));
	return 0;
}

/* The ids of the CSV whose row satisfies consenting (-1: every row). */
static void expected_ids(const struct fixture *f, struct idset *s, int consenting)
{
	memset(s, 0, sizeof *s);
	for (size_t r = 1; r < f->csv.nrows; r++)
		if (consenting < 0 || row_consents(f, r) == consenting)
			idset_add(s, row_id(f, r));
}

static void assert_same_ids(const struct idset *got, const struct idset *want, const char *what)
{
	for (size_t i = 0; i < want->n; i++)
		if (!idset_has(got, want->id[i]))
			fail_msg("%s: customer %s is missing", what, want->id[i]);
	for (size_t i = 0; i < got->n; i++)
		if (!idset_has(want, got->id[i]))
			fail_msg("%s: customer %s should not be there", what, got->id[i]);
	assert_int_equal(got->n, want->n);
}

static void list_ids(pv_vault *v, const pv_access *who, struct idset *s)
{
	memset(s, 0, sizeof *s);
	char *next = NULL;
	pv_rc rc = pv_list(v, who, NULL, 0, collect_record, s, &next);
	if (rc)
		fail_msg("pv_list: %s", pv_errmsg(v));
	assert_null(next);
}

/* Export as CSV into a parsed table. */
static void export_csv(pv_vault *v, const pv_access *who, struct pvt_csv *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	pv_rc rc = pv_export(v, who, PV_EXPORT_CSV, out);
	assert_int_equal(fclose(out), 0);
	if (rc)
		fail_msg("pv_export: %s", pv_errmsg(v));
	assert_int_equal(pvt_csv_parse(buf, t), 0);
	free(buf);
}

static void export_ids(pv_vault *v, const pv_access *who, struct idset *s)
{
	struct pvt_csv t;
	export_csv(v, who, &t);
	memset(s, 0, sizeof *s);
	assert_true(t.nrows >= 1);
	for (size_t r = 1; r < t.nrows; r++)
		idset_add(s, pvt_csv_get(&t, r, "customer_id"));
	pvt_csv_free(&t);
}

/* Whether pv_find and pv_find_records by phone reach customer row r for who. Both must
 * agree. */
static int find_reaches(const struct fixture *f, const pv_access *who, size_t r)
{
	const char *id = row_id(f, r), *phone = cell(f, r, "phone");
	struct idset a = { 0 }, b = { 0 };
	pv_rc rc = pv_find(f->v, who, "phone", phone, collect_id, &a);
	if (rc)
		fail_msg("pv_find: %s", pv_errmsg(f->v));
	rc = pv_find_records(f->v, who, "phone", phone, collect_record, &b);
	if (rc)
		fail_msg("pv_find_records: %s", pv_errmsg(f->v));
	assert_same_ids(&b, &a, "pv_find_records against pv_find");
	return idset_has(&a, id);
}

/* Everything a marketing read may do with customer row r agrees on reached (1) or not. */
static void assert_marketing_reaches(const struct fixture *f, size_t r, int reached)
{
	const char *id = row_id(f, r);
	if (reached)
		assert_int_equal(get_rc(f->v, &MARKETING, id), PV_OK);
	else
		assert_refused_for_consent(f->v, id);
	struct idset s;
	list_ids(f->v, &MARKETING, &s);
	assert_int_equal(idset_has(&s, id), reached);
	export_ids(f->v, &MARKETING, &s);
	assert_int_equal(idset_has(&s, id), reached);
	assert_int_equal(find_reaches(f, &MARKETING, r), reached);
}

/* ---- audit entries ---- */

struct audit_pick {
	const char *id;
	size_t n;
	char op[8][32], purpose[8][32], outcome[8][16];
};

static int pick_entry(void *ctx, const pv_audit_entry *e)
{
	struct audit_pick *p = ctx;
	if (strncmp(e->op, "consent ", 8) != 0 && strncmp(e->op, "hold ", 5) != 0)
		return 0;
	if (strcmp(e->op, "consent show") == 0 || strcmp(e->op, "hold list") == 0)
		return 0;
	if (!e->ids || strcmp(e->ids, p->id) != 0)
		return 0;
	assert_true(p->n < 8);
	snprintf(p->op[p->n], sizeof p->op[0], "%s", e->op);
	snprintf(p->purpose[p->n], sizeof p->purpose[0], "%s", e->purpose ? e->purpose : "");
	snprintf(p->outcome[p->n], sizeof p->outcome[0], "%s", e->outcome ? e->outcome : "");
	p->n++;
	return 0;
}

/* The consent and hold changes the audit log records for customer, with ids exactly
 * ids (NULL: customer alone). */
static void audit_changes(pv_vault *v, const char *customer, const char *ids,
			  struct audit_pick *p)
{
	memset(p, 0, sizeof *p);
	p->id = ids ? ids : customer;
	pv_audit_filter flt = { customer, NULL, NULL };
	pv_rc rc = pv_audit_log(v, &ADMIN, &flt, pick_entry, p);
	if (rc)
		fail_msg("pv_audit_log: %s", pv_errmsg(v));
}

/* ---- consent history ---- */

struct history {
	size_t n;
	char purpose[8][32], channel[8][32], version[8][32], by[8][64], at[8][32];
	int granted[8];
};

static int collect_event(void *ctx, const pv_consent_event *e)
{
	struct history *h = ctx;
	assert_true(h->n < 8);
	assert_non_null(e->purpose);
	assert_non_null(e->at);
	assert_non_null(e->channel);
	assert_non_null(e->text_version);
	assert_non_null(e->recorded_by);
	snprintf(h->purpose[h->n], sizeof h->purpose[0], "%s", e->purpose);
	snprintf(h->channel[h->n], sizeof h->channel[0], "%s", e->channel);
	snprintf(h->version[h->n], sizeof h->version[0], "%s", e->text_version);
	snprintf(h->by[h->n], sizeof h->by[0], "%s", e->recorded_by);
	snprintf(h->at[h->n], sizeof h->at[0], "%s", e->at);
	h->granted[h->n] = e->granted;
	h->n++;
	return 0;
}

static void history_of(pv_vault *v, const pv_access *who, const char *id, struct history *h)
{
	memset(h, 0, sizeof *h);
	pv_rc rc = pv_consent_history(v, who, id, collect_event, h);
	if (rc)
		fail_msg("pv_consent_history(%s): %s", id, pv_errmsg(v));
}

static void consent_ok(pv_vault *v, const pv_access *who, const char *id, int granted,
		       const char *channel, const char *version)
{
	pv_rc rc = pv_consent_set(v, who, id, "marketing", granted, channel, version);
	if (rc)
		fail_msg("pv_consent_set(%s, %d): %s", id, granted, pv_errmsg(v));
}

/* ================================================================ consent ==== */

/* As imported: consent_marketing=no refused for marketing everywhere, reached for
 * service and billing; yes reached; the state shows in the record's consents. */
static void test_consent_as_imported(void **state)
{
	struct fixture *f = *state;
	size_t no = nth_row(f, 0, 0), no2 = nth_row(f, 0, 1), yes = nth_row(f, 1, 0);
	const char *id_no = row_id(f, no), *id_yes = row_id(f, yes);

	assert_marketing_reaches(f, no, 0);
	assert_marketing_reaches(f, no2, 0);
	assert_marketing_reaches(f, yes, 1);

	/* Other purposes do not need consent. */
	assert_int_equal(get_rc(f->v, &SERVICE, id_no), PV_OK);
	assert_int_equal(get_rc(f->v, &BILLING, id_no), PV_OK);
	assert_int_equal(find_reaches(f, &SERVICE, no), 1);
	assert_int_equal(find_reaches(f, &BILLING, no), 1);

	/* The imported state is what reads show. */
	assert_int_equal(shown_consent(f->v, &SERVICE, id_no), 0);
	assert_int_equal(shown_consent(f->v, &SERVICE, id_yes), 1);
	assert_int_equal(shown_consent(f->v, &MARKETING, id_yes), 1);

	/* Import sets the state without history. */
	struct history h;
	history_of(f->v, &ADMIN, id_yes, &h);
	assert_int_equal(h.n, 0);
}

/* Bulk reads for marketing hold exactly the consenting customers; for service, all. */
static void test_consent_bulk_reads(void **state)
{
	struct fixture *f = *state;
	size_t ncons = consenting_count(f);
	assert_true(ncons > 0 && ncons < NCUST); /* the sample has both kinds */

	struct idset want_yes, want_all, got;
	expected_ids(f, &want_yes, 1);
	expected_ids(f, &want_all, -1);
	assert_int_equal(want_yes.n, ncons);

	list_ids(f->v, &MARKETING, &got);
	assert_same_ids(&got, &want_yes, "pv_list for marketing");
	list_ids(f->v, &SERVICE, &got);
	assert_same_ids(&got, &want_all, "pv_list for service");

	/* pv_list in pages for marketing: still only the consenting ones, each once. */
	struct idset paged = { 0 };
	char *after = NULL;
	for (int pages = 0; pages < NCUST; pages++) {
		char *next = NULL;
		pv_rc rc = pv_list(f->v, &MARKETING, after, 7, collect_record, &paged, &next);
		if (rc)
			fail_msg("pv_list page: %s", pv_errmsg(f->v));
		free(after);
		after = next;
		if (!after)
			break;
	}
	assert_null(after);
	assert_same_ids(&paged, &want_yes, "pv_list pages for marketing");

	/* The masked marketing export: exactly the consenting customers, marketing fields
	 * only, masked, each with consent_marketing yes. */
	struct pvt_csv t;
	export_csv(f->v, &MARKETING, &t);
	assert_int_equal(t.nrows, ncons + 1);
	assert_true(pvt_csv_col(&t, "phone") >= 0);
	assert_int_equal(pvt_csv_col(&t, "id_number"), -1);
	assert_int_equal(pvt_csv_col(&t, "bank_card"), -1);
	assert_int_equal(pvt_csv_col(&t, "address"), -1);
	memset(&got, 0, sizeof got);
	for (size_t r = 1; r < t.nrows; r++) {
		const char *id = pvt_csv_get(&t, r, "customer_id");
		idset_add(&got, id);
		assert_string_equal(pvt_csv_get(&t, r, "consent_marketing"), "yes");
		size_t src = row_of(f, id);
		assert_string_not_equal(pvt_csv_get(&t, r, "phone"), cell(f, src, "phone"));
	}
	pvt_csv_free(&t);
	assert_same_ids(&got, &want_yes, "pv_export for marketing");

	export_ids(f->v, &SERVICE, &got);
	assert_same_ids(&got, &want_all, "pv_export for service");

	/* pv_find / pv_find_records by phone for each customer agree with the consents. */
	for (size_t r = 1; r < f->csv.nrows; r++)
		assert_int_equal(find_reaches(f, &MARKETING, r), row_consents(f, r));
}

/* Grant reaches at once, withdrawal refuses at once, in this and in a fresh session. */
static void test_consent_grant_withdraw(void **state)
{
	struct fixture *f = *state;
	size_t r = nth_row(f, 0, 2), other = nth_row(f, 0, 3);
	const char *id = row_id(f, r);
	size_t ncons = consenting_count(f);

	assert_marketing_reaches(f, r, 0);
	consent_ok(f->v, &DPO, id, 1, "web", "v3");
	assert_marketing_reaches(f, r, 1);
	assert_int_equal(shown_consent(f->v, &MARKETING, id), 1);
	assert_int_equal(shown_consent(f->v, &SERVICE, id), 1);
	assert_marketing_reaches(f, other, 0); /* only that customer */

	struct idset got;
	export_ids(f->v, &MARKETING, &got);
	assert_int_equal(got.n, ncons + 1);

	/* The grant holds in a fresh session. */
	reopen(f);
	assert_int_equal(get_rc(f->v, &MARKETING, id), PV_OK);

	consent_ok(f->v, &ADMIN, id, 0, "phone", "v3");
	assert_marketing_reaches(f, r, 0);
	assert_int_equal(shown_consent(f->v, &SERVICE, id), 0);
	assert_int_equal(get_rc(f->v, &SERVICE, id), PV_OK);
	export_ids(f->v, &MARKETING, &got);
	assert_int_equal(got.n, ncons);

	reopen(f);
	assert_marketing_reaches(f, r, 0);
	assert_int_equal(shown_consent(f->v, &SERVICE, id), 0);

	/* A consenting customer who withdraws is refused at once too. */
	size_t y = nth_row(f, 1, 0);
	consent_ok(f->v, &DPO, row_id(f, y), 0, "paper", NULL);
	assert_marketing_reaches(f, y, 0);
	reopen(f);
	assert_refused_for_consent(f->v, row_id(f, y));
}

/* The history lists each change in order, with channel, text version and who. */
static void test_consent_history(void **state)
{
	struct fixture *f = *state;
	const char *id = row_id(f, nth_row(f, 0, 0));

	/* A user with role dpo records a change under their own name. */
	assert_int_equal(pvt_user_add(f->v, &ADMIN, "dora", "dpo", "dora-password-1", 15), PV_OK);

	consent_ok(f->v, &DPO, id, 1, "web", "v3");
	consent_ok(f->v, &ADMIN, id, 0, "phone", "v4");
	pv_vault *u = NULL;
	pv_rc rc = pv_vault_open_user(f->dir, NULL, "dora", "dora-password-1", 15, &u);
	if (rc)
		fail_msg("pv_vault_open_user: %s", pv_errmsg(u));
	rc = pv_consent_set(u, &DPO, id, "marketing", 1, "paper", "");
	if (rc)
		fail_msg("pv_consent_set as dora: %s", pv_errmsg(u));
	pv_vault_close(u);

	struct history h;
	history_of(f->v, &DPO, id, &h);
	assert_int_equal(h.n, 3);
	for (size_t i = 0; i < h.n; i++) {
		assert_string_equal(h.purpose[i], "marketing");
		assert_int_equal(strlen(h.at[i]), 20); /* YYYY-MM-DDTHH:MM:SSZ */
		if (i)
			assert_true(strcmp(h.at[i - 1], h.at[i]) <= 0);
	}
	assert_int_equal(h.granted[0], 1);
	assert_string_equal(h.channel[0], "web");
	assert_string_equal(h.version[0], "v3");
	assert_string_equal(h.by[0], pv_vault_user(f->v));
	assert_int_equal(h.granted[1], 0);
	assert_string_equal(h.channel[1], "phone");
	assert_string_equal(h.version[1], "v4");
	assert_string_equal(h.by[1], pv_vault_user(f->v));
	assert_int_equal(h.granted[2], 1);
	assert_string_equal(h.channel[2], "paper");
	assert_string_equal(h.version[2], "");
	assert_string_equal(h.by[2], "dora");

	/* The current state is the last change. */
	assert_int_equal(shown_consent(f->v, &SERVICE, id), 1);
	assert_int_equal(get_rc(f->v, &MARKETING, id), PV_OK);

	/* Another customer's history is its own. */
	history_of(f->v, &ADMIN, row_id(f, nth_row(f, 0, 1)), &h);
	assert_int_equal(h.n, 0);
}

/* Refusals: permission, purpose, channel, customer; none changes anything. */
static void test_consent_errors(void **state)
{
	struct fixture *f = *state;
	size_t r = nth_row(f, 0, 0);
	const char *id = row_id(f, r);
	pv_rc rc;

	rc = pv_consent_set(f->v, &CLERK, id, "marketing", 1, "web", "v3");
	assert_int_equal(rc, PV_ERR_DENIED);
	assert_non_null(strstr(pv_errmsg(f->v), "'consent'"));
	rc = pv_consent_set(f->v, &FINANCE, id, "marketing", 1, "web", "v3");
	assert_int_equal(rc, PV_ERR_DENIED);
	assert_non_null(strstr(pv_errmsg(f->v), "'consent'"));
	struct history h = { 0 };
	rc = pv_consent_history(f->v, &CLERK, id, collect_event, &h);
	assert_int_equal(rc, PV_ERR_DENIED);
	assert_non_null(strstr(pv_errmsg(f->v), "'consent'"));
	assert_int_equal(h.n, 0);

	rc = pv_consent_set(f->v, &ADMIN, id, "newsletter", 1, "web", "v3");
	assert_int_equal(rc, PV_ERR_USAGE);
	assert_non_null(strstr(pv_errmsg(f->v), "newsletter"));

	rc = pv_consent_set(f->v, &ADMIN, id, "marketing", 1, NULL, "v3");
	assert_int_equal(rc, PV_ERR_USAGE);
	assert_non_null(strstr(pv_errmsg(f->v), "channel"));
	rc = pv_consent_set(f->v, &ADMIN, id, "marketing", 1, "", "v3");
	assert_int_equal(rc, PV_ERR_USAGE);

	rc = pv_consent_set(f->v, &ADMIN, "C99999999", "marketing", 1, "web", "v3");
	assert_int_equal(rc, PV_ERR_NOT_FOUND);
	assert_non_null(strstr(pv_errmsg(f->v), "C99999999"));

	/* Nothing changed. */
	assert_marketing_reaches(f, r, 0);
	history_of(f->v, &ADMIN, id, &h);
	assert_int_equal(h.n, 0);
	struct audit_pick p;
	audit_changes(f->v, id, NULL, &p);
	for (size_t i = 0; i < p.n; i++)
		assert_string_not_equal(p.outcome[i], "ok");
}

/* Each change is one audit entry: op, the customer, the purpose. */
static void test_consent_audit(void **state)
{
	struct fixture *f = *state;
	const char *id = row_id(f, nth_row(f, 0, 0));
	struct audit_pick p;

	audit_changes(f->v, id, NULL, &p);
	assert_int_equal(p.n, 0);
	consent_ok(f->v, &ADMIN, id, 1, "web", "v3");
	audit_changes(f->v, id, NULL, &p);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.op[0], "consent grant");
	assert_string_equal(p.purpose[0], "marketing");
	assert_string_equal(p.outcome[0], "ok");

	consent_ok(f->v, &ADMIN, id, 0, "web", "v3");
	consent_ok(f->v, &ADMIN, id, 1, "paper", "v4");
	audit_changes(f->v, id, NULL, &p);
	assert_int_equal(p.n, 3);
	assert_string_equal(p.op[1], "consent withdraw");
	assert_string_equal(p.op[2], "consent grant");
	for (size_t i = 0; i < p.n; i++) {
		assert_string_equal(p.purpose[i], "marketing");
		assert_string_equal(p.outcome[i], "ok");
	}

	/* Another customer's changes are not counted against this one. */
	consent_ok(f->v, &ADMIN, row_id(f, nth_row(f, 0, 1)), 1, "web", "v3");
	audit_changes(f->v, id, NULL, &p);
	assert_int_equal(p.n, 3);

	char *report = NULL;
	pv_rc rc = pv_audit_verify(f->v, NULL, NULL, &report);
	if (rc)
		fail_msg("pv_audit_verify: %s", report ? report : pv_errmsg(f->v));
	pv_free(report);
}

/* ================================================================ holds ====== */

struct holds {
	size_t n;
	char customer[8][40], reason[8][64], by[8][64], since[8][32], released[8][32],
		released_by[8][64];
};

static int collect_hold(void *ctx, const pv_hold_info *i)
{
	struct holds *h = ctx;
	assert_true(h->n < 8);
	assert_non_null(i->customer);
	assert_non_null(i->reason);
	assert_non_null(i->placed_by);
	assert_non_null(i->since);
	assert_non_null(i->released);
	assert_non_null(i->released_by);
	snprintf(h->customer[h->n], sizeof h->customer[0], "%s", i->customer);
	snprintf(h->reason[h->n], sizeof h->reason[0], "%s", i->reason);
	snprintf(h->by[h->n], sizeof h->by[0], "%s", i->placed_by);
	snprintf(h->since[h->n], sizeof h->since[0], "%s", i->since);
	snprintf(h->released[h->n], sizeof h->released[0], "%s", i->released);
	snprintf(h->released_by[h->n], sizeof h->released_by[0], "%s", i->released_by);
	h->n++;
	return 0;
}

static void hold_list(pv_vault *v, struct holds *h)
{
	memset(h, 0, sizeof *h);
	pv_rc rc = pv_hold_list(v, &DPO, collect_hold, h);
	if (rc)
		fail_msg("pv_hold_list: %s", pv_errmsg(v));
}

static uint64_t count_of(pv_vault *v)
{
	uint64_t n = 0;
	assert_int_equal(pv_vault_count(v, &n), PV_OK);
	return n;
}

static void test_hold_errors(void **state)
{
	struct fixture *f = *state;
	const char *a = row_id(f, 1), *b = row_id(f, 2);
	const char *one[] = { a }, *with_unknown[] = { b, "C99999999" };
	pv_rc rc;

	rc = pv_hold_add(f->v, &ADMIN, one, 1, NULL);
	assert_int_equal(rc, PV_ERR_USAGE);
	assert_non_null(strstr(pv_errmsg(f->v), "reason"));
	rc = pv_hold_add(f->v, &ADMIN, one, 1, "");
	assert_int_equal(rc, PV_ERR_USAGE);

	rc = pv_hold_add(f->v, &CLERK, one, 1, "case 1");
	assert_int_equal(rc, PV_ERR_DENIED);
	assert_non_null(strstr(pv_errmsg(f->v), "'hold'"));
	struct holds h = { 0 };
	rc = pv_hold_list(f->v, &CLERK, collect_hold, &h);
	assert_int_equal(rc, PV_ERR_DENIED);
	assert_int_equal(h.n, 0);

	/* An unknown customer among several: nothing is held. */
	rc = pv_hold_add(f->v, &ADMIN, with_unknown, 2, "case 1");
	assert_int_equal(rc, PV_ERR_NOT_FOUND);
	assert_non_null(strstr(pv_errmsg(f->v), "C99999999"));

	/* Releasing where no hold is in force. */
	rc = pv_hold_release(f->v, &ADMIN, one, 1, "done");
	assert_int_equal(rc, PV_ERR_NOT_FOUND);
	assert_non_null(strstr(pv_errmsg(f->v), a));
	rc = pv_hold_release(f->v, &CLERK, one, 1, "done");
	assert_int_equal(rc, PV_ERR_DENIED);

	hold_list(f->v, &h);
	assert_int_equal(h.n, 0);

	/* So b can still be shredded. */
	const char *just_b[] = { b };
	char *cert = NULL;
	rc = pv_shred(f->v, &ADMIN, just_b, 1, &cert);
	if (rc)
		fail_msg("pv_shred(%s): %s", b, pv_errmsg(f->v));
	assert_non_null(cert);
	pv_free(cert);
	assert_int_equal(get_rc(f->v, &SERVICE, b), PV_ERR_NOT_FOUND);
}

static void test_hold_blocks_shred(void **state)
{
	struct fixture *f = *state;
	const char *a = row_id(f, 2), *b = row_id(f, 1), *c = row_id(f, 3);
	const char *held[] = { a }, *several[] = { b, a, c };
	char *cert = NULL;
	pv_rc rc;

	rc = pv_hold_add(f->v, &DPO, held, 1, "litigation 2024-17");
	if (rc)
		fail_msg("pv_hold_add: %s", pv_errmsg(f->v));

	rc = pv_shred(f->v, &ADMIN, held, 1, &cert);
	assert_int_equal(rc, PV_ERR_DENIED);
	assert_null(cert);
	const char *msg = pv_errmsg(f->v);
	if (!strstr(msg, "litigation 2024-17") || !strstr(msg, a))
		fail_msg("the refusal does not name the customer and the hold's reason: %s", msg);
	assert_int_equal(get_rc(f->v, &SERVICE, a), PV_OK);

	/* All or nothing: the others named with it stay. */
	rc = pv_shred(f->v, &ADMIN, several, 3, &cert);
	assert_int_equal(rc, PV_ERR_DENIED);
	assert_null(cert);
	assert_non_null(strstr(pv_errmsg(f->v), "litigation 2024-17"));
	assert_int_equal(count_of(f->v), NCUST);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(get_rc(f->v, &SERVICE, several[i]), PV_OK);
	assert_int_equal(get_rc(f->v, &BILLING, b), PV_OK);

	/* The hold outlives the session. */
	reopen(f);
	rc = pv_shred(f->v, &ADMIN, held, 1, &cert);
	assert_int_equal(rc, PV_ERR_DENIED);
	assert_null(cert);

	rc = pv_hold_release(f->v, &DPO, held, 1, "settled");
	if (rc)
		fail_msg("pv_hold_release: %s", pv_errmsg(f->v));
	rc = pv_hold_release(f->v, &DPO, held, 1, "settled");
	assert_int_equal(rc, PV_ERR_NOT_FOUND);

	rc = pv_shred(f->v, &ADMIN, several, 3, &cert);
	if (rc)
		fail_msg("pv_shred after release: %s", pv_errmsg(f->v));
	assert_non_null(cert);
	char pk[65], why[256];
	assert_int_equal(pv_vault_public_key(f->v, pk), PV_OK);
	rc = pvt_certificate_verify(cert, pk, why, sizeof why);
	if (rc)
		fail_msg("certificate: %s", why);
	pv_free(cert);
	assert_int_equal(count_of(f->v), NCUST - 3);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(get_rc(f->v, &SERVICE, several[i]), PV_ERR_NOT_FOUND);
	assert_int_equal(get_rc(f->v, &SERVICE, row_id(f, 4)), PV_OK);
}

static void test_hold_list_and_audit(void **state)
{
	struct fixture *f = *state;
	const char *a = row_id(f, 5), *b = row_id(f, 6);
	const char *ids[] = { a, b }, *just_a[] = { a };
	pv_rc rc;

	assert_int_equal(pvt_user_add(f->v, &ADMIN, "dora", "dpo", "dora-password-1", 15), PV_OK);
	rc = pv_hold_add(f->v, &ADMIN, ids, 2, "regulator request 9");
	if (rc)
		fail_msg("pv_hold_add: %s", pv_errmsg(f->v));

	pv_vault *u = NULL;
	rc = pv_vault_open_user(f->dir, NULL, "dora", "dora-password-1", 15, &u);
	if (rc)
		fail_msg("pv_vault_open_user: %s", pv_errmsg(u));
	rc = pv_hold_release(u, &DPO, just_a, 1, "request answered");
	if (rc)
		fail_msg("pv_hold_release as dora: %s", pv_errmsg(u));
	pv_vault_close(u);

	struct holds h;
	hold_list(f->v, &h);
	assert_int_equal(h.n, 2);
	const char *root = pv_vault_user(f->v);
	for (size_t i = 0; i < 2; i++) {
		assert_string_equal(h.reason[i], "regulator request 9");
		assert_string_equal(h.by[i], root);
		assert_int_equal(strlen(h.since[i]), 20);
	}
	size_t ia = strcmp(h.customer[0], a) == 0 ? 0 : 1, ib = 1 - ia;
	assert_string_equal(h.customer[ia], a);
	assert_string_equal(h.customer[ib], b);
	assert_int_equal(strlen(h.released[ia]), 20);
	assert_true(strcmp(h.since[ia], h.released[ia]) <= 0);
	assert_string_equal(h.released_by[ia], "dora");
	assert_string_equal(h.released[ib], "");
	assert_string_equal(h.released_by[ib], "");

	/* b is still held, a no longer. */
	const char *just_b[] = { b };
	char *cert = NULL;
	assert_int_equal(pv_shred(f->v, &ADMIN, just_b, 1, &cert), PV_ERR_DENIED);
	assert_null(cert);
	rc = pv_shred(f->v, &ADMIN, just_a, 1, &cert);
	if (rc)
		fail_msg("pv_shred(%s): %s", a, pv_errmsg(f->v));
	pv_free(cert);

	/* Audit: the add names both customers; the release names a. */
	struct audit_pick p;
	char both[96];
	snprintf(both, sizeof both, "%s,%s", a, b);
	audit_changes(f->v, b, both, &p);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.op[0], "hold add");
	assert_string_equal(p.outcome[0], "ok");
	audit_changes(f->v, a, NULL, &p);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.op[0], "hold release");
	assert_string_equal(p.outcome[0], "ok");
}

/* ================================================================ CLI ======== */

static char *g_err_path;

/* Run `pivault ARGS` against the fixture's vault; stdout to *out, stderr to *err. */
static int cli(const struct fixture *f, char **out, char **err, const char *fmt, ...)
{
	char args[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	int st = pvt_run(out, "PIVAULT_VAULT='%s' PIVAULT_KEY_FILE='%s' '%s' %s </dev/null 2>'%s'",
			 f->dir, f->key, pvt_program("pivault-test"), args, g_err_path);
	char *e = pvt_read_file(g_err_path, NULL);
	assert_non_null(e);
	if (err)
		*err = e;
	else
		free(e);
	return st;
}

static void test_cli(void **state)
{
	struct fixture *f = *state;
	unsetenv("PIVAULT_USER");
	unsetenv("PIVAULT_KEYRING");
	unsetenv("PIVAULT_PASSPHRASE_FILE");
	pv_vault_close(f->v); /* the commands open it themselves */
	f->v = NULL;
	g_err_path = pvt_path(f->tmp, "stderr.txt");
	const char *id = row_id(f, nth_row(f, 0, 0));
	const char *hid = row_id(f, nth_row(f, 1, 0));
	char *out = NULL, *err = NULL;
	int st;

	st = cli(f, NULL, &err, "get %s --purpose marketing --role admin", id);
	assert_int_equal(st, 1);
	assert_non_null(strstr(err, "consent"));
	free(err);

	st = cli(f, NULL, &err, "consent grant %s --purpose marketing --channel web "
		 "--text-version v3 --role admin", id);
	if (st != 0)
		fail_msg("consent grant: exit %d: %s", st, err);
	free(err);
	st = cli(f, &out, &err, "get %s --purpose marketing --role admin", id);
	if (st != 0)
		fail_msg("get after grant: exit %d: %s", st, err);
	assert_non_null(strstr(out, id));
	free(out);
	free(err);

	st = cli(f, NULL, &err, "consent withdraw %s --purpose marketing --channel phone "
		 "--role admin", id);
	if (st != 0)
		fail_msg("consent withdraw: exit %d: %s", st, err);
	free(err);
	st = cli(f, &out, &err, "get %s --purpose marketing --role admin", id);
	assert_int_equal(st, 1);
	assert_non_null(strstr(err, "consent"));
	assert_null(strstr(out, cell(f, row_of(f, id), "phone")));
	free(out);
	free(err);
	assert_int_equal(cli(f, NULL, NULL, "get %s --purpose service --role admin", id), 0);

	/* grant without --channel is a usage error */
	assert_int_equal(cli(f, NULL, NULL, "consent grant %s --purpose marketing --role admin",
			     id), 2);

	st = cli(f, &out, &err, "consent show %s --json --role admin", id);
	if (st != 0)
		fail_msg("consent show: exit %d: %s", st, err);
	free(err);
	size_t lines = 0;
	char *save = NULL;
	const char *want_channel[] = { "web", "phone" };
	for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_error_t jerr;
		json_t *o = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
		if (!o)
			fail_msg("consent show: not JSON: %s (%s)", line, jerr.text);
		assert_true(json_is_object(o));
		assert_true(lines < 2);
		assert_string_equal(json_string_value(json_object_get(o, "purpose")), "marketing");
		assert_true(json_is_boolean(json_object_get(o, "granted")));
		assert_int_equal(json_is_true(json_object_get(o, "granted")), lines == 0);
		assert_string_equal(json_string_value(json_object_get(o, "channel")),
				    want_channel[lines]);
		assert_string_equal(json_string_value(json_object_get(o, "text_version")),
				    lines == 0 ? "v3" : "");
		assert_non_null(json_string_value(json_object_get(o, "at")));
		assert_non_null(json_string_value(json_object_get(o, "recorded_by")));
		json_decref(o);
		lines++;
	}
	assert_int_equal(lines, 2);
	free(out);

	st = cli(f, NULL, &err, "hold add %s --reason \"case 1\" --role admin", hid);
	if (st != 0)
		fail_msg("hold add: exit %d: %s", st, err);
	free(err);
	st = cli(f, NULL, &err, "shred %s --role admin", hid);
	assert_int_equal(st, 1);
	assert_non_null(strstr(err, "case 1"));
	free(err);
	assert_int_equal(cli(f, NULL, NULL, "get %s --purpose service --role admin", hid), 0);
	assert_int_equal(cli(f, NULL, NULL, "hold add %s --role admin", hid), 2);

	st = cli(f, &out, NULL, "hold list --json --role admin");
	assert_int_equal(st, 0);
	json_error_t jerr;
	json_t *o = json_loads(out, JSON_DISABLE_EOF_CHECK, &jerr);
	if (!o)
		fail_msg("hold list: not JSON: %s", out);
	assert_string_equal(json_string_value(json_object_get(o, "customer")), hid);
	assert_string_equal(json_string_value(json_object_get(o, "reason")), "case 1");
	assert_string_equal(json_string_value(json_object_get(o, "released")), "");
	json_decref(o);
	free(out);

	assert_int_equal(cli(f, NULL, NULL, "hold release %s --role admin", hid), 0);
	st = cli(f, &out, &err, "shred %s --role admin", hid);
	if (st != 0)
		fail_msg("shred after release: exit %d: %s", st, err);
	assert_non_null(strstr(out, "pivault destruction certificate"));
	free(out);
	free(err);
	assert_int_equal(cli(f, NULL, NULL, "get %s --purpose service --role admin", hid), 1);

	st = cli(f, &out, NULL, "hold --help");
	assert_int_equal(st, 0);
	assert_non_null(strstr(out, "hold add"));
	free(out);
	st = cli(f, &out, NULL, "consent --help");
	assert_int_equal(st, 0);
	assert_non_null(strstr(out, "consent grant"));
	free(out);

	free(g_err_path);
	g_err_path = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_consent_as_imported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_consent_bulk_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_consent_grant_withdraw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_consent_history, setup, teardown),
		cmocka_unit_test_setup_teardown(test_consent_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_consent_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_blocks_shred, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_list_and_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
