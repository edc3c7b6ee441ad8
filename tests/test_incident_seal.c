/* SPDX-License-Identifier: Apache-2.0 */
/* test_incident_seal.c: sealing a breach incident's customers (信息封存) and releasing them.
 * End to end as the issue asks: a user reads 500 customers, the incident is scoped to
 * exactly those by the user, sealed: get, find by phone and export of each refused (or
 * left out) naming the incident, another customer still readable; a release by the same
 * user refused (four eyes), approved by a second user it runs and reads work again.
 * Insiders: a DBA (SQL on either backend) deletes the seal rows, the protected setting (with
 * or without its integrity code), edits the incident's state and its scope; a clerk without
 * 'incident'; a release approved for another incident or for a seal that grew since. A
 * handle kept open sees another's seal and release. The commands as a user runs them. */
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

#include "authz_mac.h" /* to make a vault as one from before the incident codes */
#include "vault.h"

#define NCUST 510 /* the end-to-end test's vault; the others have SMALL customers */
#define SMALL 12
#define NREAD 500
#define SEED 57

static const pv_access ADMIN = { "admin", NULL, 0 };
static const pv_access CLERK = { "clerk", "service", 0 };
static const pv_access READ = { "admin", "service", 0 }; /* reads name their purpose */
static const char PW[] = "correct horse battery";

struct fixture {
	char *tmp, *dir, *key, *err, *pwfile;
	pv_vault *v; /* the root handle, kept open through each test */
	struct pvt_csv csv;
};

static void ok(pv_vault *v, pv_rc rc, const char *what)
{
	if (rc != PV_OK)
		fail_msg("%s: %s: %s", what, pv_strerror(rc), pv_errmsg(v));
}

/* A vault of NCUST customers, with users reader and clerk2 (clerks), lead and second
 * (admins); the first NREAD customers read by reader (rows 1..NREAD), once. */
static int setup_n(void **state, unsigned ncust)
{
	static char *csv_text;
	struct fixture *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->tmp = pvt_tempdir();
	f->dir = pvt_path(f->tmp, "vault");
	f->key = pvt_path(f->tmp, "root.key");
	f->err = pvt_path(f->tmp, "stderr.txt");
	f->pwfile = pvt_path(f->tmp, "pw.txt");
	assert_int_equal(pvt_write_file(f->pwfile, PW, strlen(PW)), 0);
	f->v = pvt_sample_vault(f->dir, f->key, ncust, SEED, &csv_text);
	assert_int_equal(pvt_csv_parse(csv_text, &f->csv), 0);
	free(csv_text);
	const char *users[][2] = { { "reader", "clerk" }, { "clerk2", "clerk" },
				   { "lead", "admin" },	  { "second", "admin" } };
	for (size_t i = 0; i < 4; i++)
		ok(f->v, pvt_user_add(f->v, &ADMIN, users[i][0], users[i][1], PW, strlen(PW)),
		   users[i][0]);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_n(state, SMALL);
}

static int setup_big(void **state)
{
	return setup_n(state, NCUST);
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
	free(f->pwfile);
	free(f);
	return 0;
}

static const char *cell(const struct fixture *f, size_t r, const char *col)
{
	const char *s = pvt_csv_get(&f->csv, r, col);
	assert_non_null(s);
	return s;
}

static const char *cid(const struct fixture *f, size_t r)
{
	return cell(f, r, "customer_id");
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

static pv_vault *as(const struct fixture *f, const char *user)
{
	pv_vault *v = NULL;
	ok(v, pv_vault_open_user(f->dir, NULL, user, PW, strlen(PW), &v), user);
	return v;
}

/* Run SQL on the vault's store as a DBA would (dba.h: the SQLite file or the PostgreSQL
 * schema, where SQLite's type BLOB is called bytea). */
static void dba(const struct fixture *f, const char *sql)
{
	char *q = malloc(2 * strlen(sql) + 1), *at = q;
	assert_non_null(q);
	int pg = pvt_dba_pg(f->dir);
	for (const char *p = sql; *p;) {
		if (pg && strncmp(p, "AS BLOB)", 8) == 0) {
			at = stpcpy(at, "AS bytea)");
			p += 8;
		} else {
			*at++ = *p++;
		}
	}
	*at = '\0';
	if (pvt_dba(NULL, f->dir, "%s", q) != 0)
		fail_msg("the DBA's SQL failed: %s", sql);
	free(q);
}

/* A copy of the vault as it is now (f->v closed), to put back with pvt_vault_restore
 * (malloc'd: its directory). */
static char *vault_copy(const struct fixture *f)
{
	char *copy = pvt_path(f->tmp, "copy");
	assert_int_equal(pvt_run(NULL, "rm -rf '%s' && cp -a '%s' '%s'", copy, f->dir, copy), 0);
	pvt_vault_copied(copy);
	return copy;
}

/* As reader, read customers first..last (rows of the CSV). */
static void reader_reads(const struct fixture *f, size_t first, size_t last)
{
	pv_vault *v = as(f, "reader");
	for (size_t r = first; r <= last; r++) {
		pv_record *rec = NULL;
		ok(v, pv_get(v, &CLERK, cid(f, r), &rec), "reader's pv_get");
		pv_record_free(rec);
	}
	pv_vault_close(v);
}

/* An incident opened by v, scoped to what user read: its id (pv_free). */
static char *incident_of(pv_vault *v, const char *user, size_t want)
{
	char *id = NULL, at[32];
	time_t t = time(NULL) - 3600;
	strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	ok(v, pv_incident_open(v, &ADMIN, PV_INCIDENT_UNAUTHORISED_ACCESS, at,
			       "a clerk browsed customers without a ticket", &id),
	   "pv_incident_open");
	pv_incident_filter by = { user, NULL, NULL, NULL, NULL, 0 };
	pv_incident_counts n;
	ok(v, pv_incident_scope(v, &ADMIN, id, &by, &n), "pv_incident_scope");
	assert_int_equal(n.customers, want);
	return id;
}

static char *sealed_incident(const struct fixture *f, pv_vault *v, size_t want)
{
	char *id = incident_of(v, "reader", want);
	size_t sealed = 0;
	ok(v, pv_incident_seal(v, &ADMIN, id, &sealed), "pv_incident_seal");
	assert_int_equal(sealed, want);
	(void)f;
	return id;
}

/* pv_get of row r by v: its result (the record freed). */
static pv_rc get_rc(const struct fixture *f, pv_vault *v, size_t r)
{
	pv_record *rec = NULL;
	pv_rc rc = pv_get(v, &READ, cid(f, r), &rec);
	if (rc)
		assert_null(rec);
	pv_record_free(rec);
	return rc;
}

static int count_record(void *ctx, const pv_record *r)
{
	(void)r;
	(*(int *)ctx)++;
	return 0;
}

static int count_id(void *ctx, const char *id)
{
	(void)id;
	(*(int *)ctx)++;
	return 0;
}

/* Export of v as admin (masked) into a malloc'd text. */
static char *export_text(pv_vault *v)
{
	static unsigned serial;
	char name[32];
	snprintf(name, sizeof name, "/tmp/pv-seal-export-%d-%u.csv", (int)getpid(), ++serial);
	ok(v, pv_export_file(v, &READ, PV_EXPORT_CSV, name), "pv_export_file");
	char *text = pvt_read_file(name, NULL);
	unlink(name);
	assert_non_null(text);
	return text;
}

/* A release of id asked for by v: the request's id (pv_free). */
static char *ask_release(pv_vault *v, const char *id)
{
	char *req = NULL;
	size_t n = 9;
	ok(v, pv_request_begin(v, "the leak is contained", 0, NULL), "pv_request_begin");
	assert_rc_msg(v, pv_incident_release(v, &ADMIN, id, &n), PV_REQUESTED, "approval");
	assert_int_equal(n, 0);
	ok(v, pv_request_submit(v, &req), "pv_request_submit");
	return req;
}

static void approve(const struct fixture *f, const char *req)
{
	pv_vault *second = as(f, "second");
	ok(second, pv_request_decide(second, &ADMIN, req, PV_APPROVE, NULL), "approve");
	pv_vault_close(second);
}

struct audit_find {
	const char *op, *needle;
	int n;
};

static int find_entry(void *ctx, const pv_audit_entry *e)
{
	struct audit_find *a = ctx;
	a->n += strcmp(e->op, a->op) == 0 && e->detail && strstr(e->detail, a->needle);
	return 0;
}

static int audited(pv_vault *v, const char *op, const char *needle)
{
	struct audit_find a = { op, needle, 0 };
	ok(v, pv_audit_log(v, &ADMIN, NULL, find_entry, &a), "pv_audit_log");
	return a.n;
}

/* ============================================================ end to end ==== */

static void check_all_refused(const struct fixture *f, pv_vault *v, const char *id)
{
	for (size_t r = 1; r <= NREAD; r++)
		assert_rc_msg(v, get_rc(f, v, r), PV_ERR_SEALED, id);
	/* the refusal names customer and incident, never a value */
	assert_non_null(strstr(pv_errmsg(v), cid(f, NREAD)));
	assert_null(strstr(pv_errmsg(v), cell(f, NREAD, "phone")));
	int n = 0;
	for (size_t r = 1; r <= NREAD; r += 83) {
		assert_rc_msg(v, pv_find_records(v, &READ, "phone", cell(f, r, "phone"),
						 count_record, &n),
			      PV_ERR_SEALED, id);
		assert_rc_msg(v, pv_find(v, &READ, "phone", cell(f, r, "phone"), count_id, &n),
			      PV_ERR_SEALED, id);
	}
	assert_int_equal(n, 0);
	char *csv = export_text(v);
	for (size_t r = 1; r <= NREAD; r++)
		assert_null(strstr(csv, cid(f, r)));
	for (size_t r = NREAD + 1; r <= NCUST; r++)
		assert_non_null(strstr(csv, cid(f, r)));
	free(csv);
}

static void test_end_to_end(void **state)
{
	struct fixture *f = *state;
	reader_reads(f, 1, NREAD);
	pv_vault *lead = as(f, "lead");
	char *id = sealed_incident(f, lead, NREAD);
	/* f->v was open before the seal: it sees it all the same */
	check_all_refused(f, f->v, id);
	int n = 0;
	ok(f->v, get_rc(f, f->v, NREAD + 5), "another customer");
	ok(f->v, pv_find_records(f->v, &READ, "phone", cell(f, NREAD + 5, "phone"),
				 count_record, &n), "find another");
	assert_int_equal(n, 1);
	size_t k = 0;
	assert_rc_msg(lead, pv_incident_release(lead, &ADMIN, id, &k), PV_ERR_DENIED, "four-eyes");
	char *req = ask_release(lead, id);
	assert_rc_msg(lead, pv_request_decide(lead, &ADMIN, req, PV_APPROVE, NULL), PV_ERR_DENIED,
		      "four eyes");
	assert_rc_msg(f->v, get_rc(f, f->v, 1), PV_ERR_SEALED, id);
	approve(f, req);
	ok(lead, pv_vault_use_request(lead, req), "use");
	ok(lead, pv_incident_release(lead, &ADMIN, id, &k), "release");
	assert_int_equal(k, NREAD);
	for (size_t r = 1; r <= NREAD; r += 7)
		ok(f->v, get_rc(f, f->v, r), "read after release");
	ok(f->v, pv_find_records(f->v, &READ, "phone", cell(f, 1, "phone"), count_record, &n),
	   "find after release");
	assert_true(audited(f->v, "incident seal", "500 customers sealed") == 1);
	assert_true(audited(f->v, "incident release", "500 customers released") == 1);
	pv_vault_close(lead);
	pv_free(req);
	pv_free(id);
}

/* The incident moves open -> contained; sealing again keeps the seal (a seal only grows). */
static void test_seal_contains_and_only_grows(void **state)
{
	struct fixture *f = *state;
	reader_reads(f, 1, 3);
	char *id = sealed_incident(f, f->v, 3);
	char *json = NULL;
	ok(f->v, pv_incident_get(f->v, &ADMIN, id, &json), "get");
	assert_non_null(strstr(json, "\"contained\""));
	pv_free(json);
	/* the scope found again, narrower: sealing again still seals the first three */
	const char *only[] = { cid(f, 1) };
	pv_incident_filter narrow = { NULL, NULL, NULL, NULL, only, 1 };
	pv_incident_counts c;
	ok(f->v, pv_incident_scope(f->v, &ADMIN, id, &narrow, &c), "narrower scope");
	size_t sealed = 0;
	ok(f->v, pv_incident_seal(f->v, &ADMIN, id, &sealed), "seal again");
	assert_int_equal(sealed, 3);
	assert_rc_msg(f->v, get_rc(f, f->v, 3), PV_ERR_SEALED, id);
	/* an incident without scope seals nothing */
	char *bare = NULL, at[] = "2026-01-01T00:00:00Z";
	ok(f->v, pv_incident_open(f->v, &ADMIN, PV_INCIDENT_LOSS, at, "a lost phone", &bare),
	   "open");
	assert_rc_msg(f->v, pv_incident_seal(f->v, &ADMIN, bare, &sealed), PV_ERR_USAGE,
		      "no scope");
	pv_free(bare);
	pv_free(id);
}

/* Writes to a sealed customer go on, audited as under seal. */
static void test_write_under_seal_audited(void **state)
{
	struct fixture *f = *state;
	reader_reads(f, 1, 2);
	char *id = sealed_incident(f, f->v, 2);
	ok(f->v, pv_update(f->v, &READ, cid(f, 1), "contract_no", "HT-2026-000001"), "update");
	char needle[64];
	snprintf(needle, sizeof needle, "under seal of %s", id);
	assert_int_equal(audited(f->v, "update", needle), 1);
	ok(f->v, pv_update(f->v, &READ, cid(f, 9), "contract_no", "HT-2026-000002"), "update");
	assert_int_equal(audited(f->v, "update", "under seal"), 1);
	pv_free(id);
}

/* A token made for another system before the seal does not give the value back while
 * the customer is sealed (detokenize is a read), and does again after the release. */
static void test_detokenize_under_seal_refused(void **state)
{
	struct fixture *f = *state;
	reader_reads(f, 1, 1);
	char *token = NULL, *value = NULL;
	ok(f->v, pv_tokenize(f->v, &READ, cid(f, 1), "phone", PV_TOKEN_RANDOM, PV_TOKEN_OPAQUE,
			     &token), "pv_tokenize");
	char *id = sealed_incident(f, f->v, 1);
	assert_int_equal(pv_detokenize(f->v, &READ, token, &value), PV_ERR_SEALED);
	assert_null(value);
	assert_non_null(strstr(pv_errmsg(f->v), id));
	size_t released = 0;
	ok(f->v, pv_incident_release(f->v, &ADMIN, id, &released), "pv_incident_release");
	ok(f->v, pv_detokenize(f->v, &READ, token, &value), "pv_detokenize after release");
	assert_string_equal(value, cell(f, 1, "phone"));
	pv_free(value);
	pv_free(token);
	pv_free(id);
}

/* ============================================================ insiders ==== */

/* A DBA deletes the seal's rows: the seal state fails its check, every read fails closed
 * (the deleted ones included), naming what was edited. */
static void test_dba_deletes_seal_rows(void **state)
{
	struct fixture *f = *state;
	reader_reads(f, 1, 4);
	char *id = sealed_incident(f, f->v, 4);
	pv_vault_close(f->v);
	f->v = NULL;
	dba(f, "DELETE FROM incident_seals");
	reopen_root(f);
	assert_rc_msg(f->v, get_rc(f, f->v, 1), PV_ERR_CORRUPT, "incident_seals edited outside");
	assert_rc_msg(f->v, get_rc(f, f->v, 9), PV_ERR_CORRUPT, "integrity check");
	int n = 0;
	assert_rc_msg(f->v, pv_find(f->v, &READ, "phone", cell(f, 2, "phone"), count_id, &n),
		      PV_ERR_CORRUPT, "integrity check");
	size_t k;
	assert_rc_msg(f->v, pv_incident_release(f->v, &ADMIN, id, &k), PV_ERR_CORRUPT,
		      "integrity check");
	pv_free(id);
}

/* A DBA deletes one row only, and, in a handle kept open, nothing changes: still refused. */
static void test_dba_deletes_one_row_open_handle(void **state)
{
	struct fixture *f = *state;
	reader_reads(f, 1, 4);
	char *id = sealed_incident(f, f->v, 4);
	assert_rc_msg(f->v, get_rc(f, f->v, 2), PV_ERR_SEALED, id); /* checked, and kept */
	char sql[160];
	snprintf(sql, sizeof sql, "DELETE FROM incident_seals WHERE customer = '%s'", cid(f, 2));
	dba(f, sql);
	assert_rc_msg(f->v, get_rc(f, f->v, 2), PV_ERR_SEALED, id);
	pv_vault *other = pvt_open_root(f->dir, NULL, f->key);
	assert_rc_msg(other, get_rc(f, other, 2), PV_ERR_CORRUPT, "3 sealed rows where 4");
	pvt_vclose(other);
	pv_free(id);
}

/* What a vault opened after an attack answers (the read the attack is to break). */
typedef pv_rc (*attack_probe)(const struct fixture *f, pv_vault *v, const char *id);

/* Each SQL attack in turn, by a DBA on a copy of the vault as it is now (f->v closed):
 * the vault opened with the root secret and probed must refuse it as tampering (its
 * message names the integrity check; the code PV_ERR_CORRUPT, or also_ok), at the open
 * or at the probe. At the end the vault is as it was, reopened in f->v. */
static void attacks_refused(struct fixture *f, const char *const *attacks, size_t n,
			    attack_probe probe, const char *id, pv_rc also_ok)
{
	pv_vault_close(f->v);
	f->v = NULL;
	char *copy = vault_copy(f);
	for (size_t i = 0; i < n; i++) {
		pvt_vault_restore(copy, f->dir);
		dba(f, attacks[i]);
		pv_key *key = NULL;
		pv_vault *v = NULL;
		assert_int_equal(pv_key_from_file(f->key, &key), PV_OK);
		pv_rc rc = pv_vault_open(f->dir, NULL, key, &v);
		pv_key_free(key);
		if (rc == PV_OK)
			rc = probe(f, v, id);
		if ((rc != PV_ERR_CORRUPT && rc != also_ok) ||
		    !strstr(pv_errmsg(v), "integrity check"))
			fail_msg("attack %zu: rc %d, '%s'", i, rc, pv_errmsg(v));
		pv_vault_close(v);
	}
	pvt_vault_restore(copy, f->dir);
	reopen_root(f);
	free(copy);
}

static pv_rc probe_incident(const struct fixture *f, pv_vault *v, const char *id)
{
	(void)f;
	char *json = NULL;
	pv_rc rc = pv_incident_get(v, &ADMIN, id, &json);
	pv_free(json);
	return rc;
}

static pv_rc probe_read(const struct fixture *f, pv_vault *v, const char *id)
{
	(void)id;
	return get_rc(f, v, 1);
}

/* A DBA rewrites or deletes the seal's history (who sealed, who released and who
 * approved): its integrity code, or the settings table's seal, no longer matches, and the
 * incident is not shown with a history the DBA wrote. */
static void test_dba_edits_seal_history(void **state)
{
	struct fixture *f = *state;
	reader_reads(f, 1, 2);
	char *id = sealed_incident(f, f->v, 2);
	const char *attacks[] = {
		"UPDATE meta SET v = v || CAST(' ' AS BLOB) WHERE k = 'incident_seal_history'",
		"DELETE FROM meta WHERE k = 'incident_seal_history'; "
		"DELETE FROM authz_macs WHERE k = 'incident_seal_history'",
	};
	/* found at the setting's read: a store failure whose message names the check, as
	 * test_authz_mac accepts */
	attacks_refused(f, attacks, sizeof attacks / sizeof *attacks, probe_incident, id,
			PV_ERR_STORE);
	char *json = NULL;
	ok(f->v, pv_incident_get(f->v, &ADMIN, id, &json), "the history as it was");
	pv_free(json);
	pv_free(id);
}

/* A DBA deletes the protected setting that says what is sealed (with the seal's rows),
 * with or without its integrity code, or empties it: the setting's code or the settings
 * table's seal no longer matches (the vault reports the tampering at open, since it reads
 * its schema, a setting too, or the read is refused). */
static void test_dba_deletes_seal_setting(void **state)
{
	struct fixture *f = *state;
	reader_reads(f, 1, 2);
	char *id = sealed_incident(f, f->v, 2);
	const char *attacks[] = {
		"DELETE FROM incident_seals; DELETE FROM meta WHERE k = 'incident_seals'",
		"DELETE FROM incident_seals; DELETE FROM meta WHERE k = 'incident_seals'; "
		"DELETE FROM authz_macs WHERE k = 'incident_seals'",
		"UPDATE meta SET v = CAST('' AS BLOB) WHERE k = 'incident_seals'",
	};
	attacks_refused(f, attacks, sizeof attacks / sizeof *attacks, probe_read, id,
			PV_ERR_CORRUPT);
	assert_rc_msg(f->v, get_rc(f, f->v, 1), PV_ERR_SEALED, id);
	pv_free(id);
}

/* A DBA edits the incident (closed, its scope emptied): the seal stands. */
static void test_dba_edits_incident_and_scope(void **state)
{
	struct fixture *f = *state;
	reader_reads(f, 1, 3);
	char *id = sealed_incident(f, f->v, 3);
	pv_vault_close(f->v);
	f->v = NULL;
	dba(f, "UPDATE incidents SET state = 'closed', closed_at = '2026-01-01T00:00:00Z'; "
	       "DELETE FROM incident_scope");
	reopen_root(f);
	for (size_t r = 1; r <= 3; r++)
		assert_rc_msg(f->v, get_rc(f, f->v, r), PV_ERR_SEALED, id);
	ok(f->v, get_rc(f, f->v, 7), "another customer");
	/* and the edit is seen: every incident operation refuses, naming the incident */
	char *json = NULL, want[96];
	size_t n = 0;
	snprintf(want, sizeof want, "incident %s fails its integrity check", id);
	assert_rc_msg(f->v, pv_incident_get(f->v, &ADMIN, id, &json), PV_ERR_CORRUPT, want);
	assert_rc_msg(f->v, pv_incident_list(f->v, &ADMIN, &json), PV_ERR_CORRUPT, want);
	assert_rc_msg(f->v, pv_incident_release(f->v, &ADMIN, id, &n), PV_ERR_CORRUPT, want);
	assert_rc_msg(f->v, pv_incident_set_state(f->v, &ADMIN, id, PV_INCIDENT_NOTIFIED),
		      PV_ERR_CORRUPT, want);
	assert_null(json);
	pv_free(id);
}

/* A DBA adds a customer to a scope, forges an incident, or deletes one: each is named. */
static void test_dba_incident_rows_detected(void **state)
{
	struct fixture *f = *state;
	reader_reads(f, 1, 2);
	char *id = incident_of(f->v, "reader", 2);
	pv_vault_close(f->v);
	f->v = NULL;
	char sql[3][300];
	snprintf(sql[0], sizeof sql[0], "INSERT INTO incident_scope VALUES ('%s', '%s', 'basic')",
		 id, cid(f, 5));
	snprintf(sql[1], sizeof sql[1], "INSERT INTO incidents(id, kind, state, detected_at, "
		 "description, opened_by, opened_at) VALUES ('INC-00000000', 'leak', 'closed', "
		 "'2026-01-01T00:00:00Z', 'x', 'lead', '2026-01-01T00:00:00Z')");
	snprintf(sql[2], sizeof sql[2], "DELETE FROM incidents WHERE id = '%s'", id);
	const char *want[] = { "its row or its scope edited", "INC-00000000 fails its integrity "
			       "check: added", "removed outside pivault" };
	char *copy = vault_copy(f);
	for (int i = 0; i < 3; i++) {
		pvt_vault_restore(copy, f->dir);
		dba(f, sql[i]);
		reopen_root(f);
		char *json = NULL;
		assert_rc_msg(f->v, pv_incident_list(f->v, &ADMIN, &json), PV_ERR_CORRUPT, want[i]);
		pv_vault_close(f->v);
		f->v = NULL;
	}
	pvt_vault_restore(copy, f->dir);
	reopen_root(f);
	free(copy);
	pv_free(id);
}

/* A vault from before the incident codes (its incidents without them) opens and works:
 * the first incident operation adds them, audited; an edit after that is seen. */
static void test_older_vault_gets_codes_on_first_use(void **state)
{
	struct fixture *f = *state;
	reader_reads(f, 1, 2);
	char *id = incident_of(f->v, "reader", 2);
	/* as the older version left it: no setting, the settings table sealed without it */
	pv_vault *v = f->v;
	ok(v, pv_store_begin(v->store) ? PV_ERR_STORE : PV_OK, "begin");
	assert_int_equal(pv_store_meta_delete(v->store, "incident_digests"), 0);
	assert_int_equal(pv_store_authz_delete(v->store, "settings", "incident_digests"), 0);
	ok(v, pv_authz_seal_new_vault(v), "seal as an older version did");
	ok(v, pv_store_commit(v->store) ? PV_ERR_STORE : PV_OK, "commit");
	reopen_root(f);
	ok(f->v, get_rc(f, f->v, 1), "read");
	char *json = NULL;
	ok(f->v, pv_incident_get(f->v, &ADMIN, id, &json), "first use");
	pv_free(json);
	assert_int_equal(audited(f->v, "integrity codes", "1 incidents"), 1);
	ok(f->v, pv_incident_list(f->v, &ADMIN, &json), "second use");
	pv_free(json);
	assert_int_equal(audited(f->v, "integrity codes", "incidents"), 1);
	pv_vault_close(f->v);
	f->v = NULL;
	dba(f, "UPDATE incidents SET state = 'notified'");
	reopen_root(f);
	assert_rc_msg(f->v, pv_incident_list(f->v, &ADMIN, &json), PV_ERR_CORRUPT,
		      "integrity check");
	pv_free(id);
}

/* A clerk (no 'incident') can neither seal nor release; nor ask for a release. */
static void test_clerk_cannot_seal_or_release(void **state)
{
	struct fixture *f = *state;
	reader_reads(f, 1, 2);
	char *id = incident_of(f->v, "reader", 2);
	pv_vault *clerk = as(f, "clerk2");
	size_t n = 0;
	const pv_access c = { "clerk", NULL, 0 };
	assert_rc_msg(clerk, pv_incident_seal(clerk, &c, id, &n), PV_ERR_DENIED, "'incident'");
	ok(f->v, get_rc(f, f->v, 1), "not sealed");
	ok(f->v, pv_incident_seal(f->v, &ADMIN, id, &n), "seal");
	assert_rc_msg(clerk, pv_incident_release(clerk, &c, id, &n), PV_ERR_DENIED, "'incident'");
	ok(clerk, pv_request_begin(clerk, NULL, 0, NULL), "begin");
	assert_rc_msg(clerk, pv_incident_release(clerk, &c, id, &n), PV_ERR_DENIED, "'incident'");
	pv_vault_close(clerk);
	assert_rc_msg(f->v, get_rc(f, f->v, 1), PV_ERR_SEALED, id);
	pv_free(id);
}

/* A release approved for incident A runs for no other; one approved before the seal grew
 * runs no more. */
static void test_release_for_other_incident_or_stale_seal(void **state)
{
	struct fixture *f = *state;
	reader_reads(f, 1, 2);
	pv_vault *lead = as(f, "lead");
	char *a = sealed_incident(f, lead, 2);
	char *b = sealed_incident(f, lead, 2);
	char *req = ask_release(lead, a);
	approve(f, req);
	ok(lead, pv_vault_use_request(lead, req), "use");
	size_t n;
	assert_rc_msg(lead, pv_incident_release(lead, &ADMIN, b, &n), PV_ERR_DENIED, "differs");
	pv_free(req);
	/* approved for a's seal of 2; then the reader reads a third, a is scoped and sealed
	 * again (3): the approval no longer fits */
	req = ask_release(lead, a);
	approve(f, req);
	reader_reads(f, 3, 3);
	pv_incident_filter by = { "reader", NULL, NULL, NULL, NULL, 0 };
	pv_incident_counts c;
	ok(lead, pv_incident_scope(lead, &ADMIN, a, &by, &c), "scope again");
	ok(lead, pv_incident_seal(lead, &ADMIN, a, &n), "seal again");
	assert_int_equal(n, 3);
	ok(lead, pv_vault_use_request(lead, req), "use");
	assert_rc_msg(lead, pv_incident_release(lead, &ADMIN, a, &n), PV_ERR_DENIED, "differs");
	assert_rc_msg(f->v, get_rc(f, f->v, 3), PV_ERR_SEALED, a);
	pv_vault_close(lead);
	pv_free(req);
	pv_free(a);
	pv_free(b);
}


/* ==================================================== erasure under seal ==== */

/* The release of id on the root handle (a break-glass session needs no request). */
static void release_now(struct fixture *f, const char *id)
{
	size_t n = 0;
	ok(f->v, pv_incident_release(f->v, &ADMIN, id, &n), "pv_incident_release");
}

/* A seal keeps the records as evidence: a shred of a sealed customer is refused naming
 * the incident, alone or in a batch with one not sealed (then nothing is shredded); the
 * one not sealed is shredded alone; after the release the sealed one is shredded. */
static void test_shred_under_seal_refused(void **state)
{
	struct fixture *f = *state;
	reader_reads(f, 1, 2);
	char *id = sealed_incident(f, f->v, 2), *cert = NULL;
	const char *one[] = { cid(f, 1) }, *two[] = { cid(f, 9), cid(f, 2) };
	assert_rc_msg(f->v, pv_shred(f->v, &ADMIN, one, 1, &cert), PV_ERR_SEALED, id);
	assert_null(cert);
	assert_non_null(strstr(pv_errmsg(f->v), "kept as evidence"));
	assert_rc_msg(f->v, pv_shred(f->v, &ADMIN, two, 2, &cert), PV_ERR_SEALED, cid(f, 2));
	assert_null(cert);
	assert_int_equal(get_rc(f, f->v, 9), PV_OK); /* nothing of the batch shredded */
	ok(f->v, pv_shred(f->v, &ADMIN, two, 1, &cert), "shred of one not sealed");
	pv_free(cert);
	assert_int_equal(get_rc(f, f->v, 9), PV_ERR_NOT_FOUND);
	release_now(f, id);
	ok(f->v, pv_shred(f->v, &ADMIN, one, 1, &cert), "shred after the release");
	pv_free(cert);
	pv_free(id);
}

struct plan_lines {
	char text[8192];
	int certificates;
};

static int plan_line(void *ctx, const pv_retention_item *it)
{
	struct plan_lines *p = ctx;
	size_t n = strlen(p->text);
	snprintf(p->text + n, sizeof p->text - n, "%s|%s|%s\n", it->id, it->action, it->held);
	return 0;
}

static int count_certificate(void *ctx, const char *certificate)
{
	(void)certificate;
	((struct plan_lines *)ctx)->certificates++;
	return 0;
}

/* Retention: the plan lists a sealed customer's due values as held by the incident, and
 * applying it shreds and erases the others but neither shreds nor erases the sealed. */
static void test_retention_under_seal_held(void **state)
{
	struct fixture *f = *state;
	reader_reads(f, 1, 2);
	char *id = sealed_incident(f, f->v, 2), line[160];
	struct plan_lines p = { "", 0 };
	pv_retention_summary sum;
	ok(f->v, pv_retention_plan(f->v, &ADMIN, "2200-01-01", plan_line, &p, &sum), "plan");
	snprintf(line, sizeof line, "%s|shred|held by incident %s\n", cid(f, 1), id);
	assert_non_null(strstr(p.text, line));
	assert_int_equal(sum.held, 2);
	assert_int_equal(sum.shred, SMALL);
	uint64_t shredded = 0, erased = 0, held = 0, undetermined = 0;
	ok(f->v, pv_retention_apply(f->v, &ADMIN, "2200-01-01", count_certificate, &p, &shredded,
				    &erased, &held, &undetermined), "apply");
	assert_int_equal(shredded, SMALL - 2);
	assert_int_equal(held, 2);
	assert_int_equal(get_rc(f, f->v, 1), PV_ERR_SEALED); /* still there, still sealed */
	assert_int_equal(get_rc(f, f->v, 3), PV_ERR_NOT_FOUND);
	release_now(f, id);
	assert_int_equal(get_rc(f, f->v, 2), PV_OK);
	pv_free(id);
}

struct dsr_state {
	const char *id;
	char state[16];
};

static int dsr_state_of(void *ctx, const pv_dsr_info *d)
{
	struct dsr_state *s = ctx;
	if (strcmp(d->id, s->id) == 0)
		snprintf(s->state, sizeof s->state, "%s", d->state);
	return 0;
}

/* A deletion request of a sealed customer is refused naming the incident and stays
 * open; after the release it is answered (shredded, closed). */
static void test_dsr_delete_waits_for_release(void **state)
{
	struct fixture *f = *state;
	reader_reads(f, 1, 1);
	char *id = sealed_incident(f, f->v, 1), *dsr = NULL, *cert = NULL;
	ok(f->v, pv_dsr_open(f->v, &ADMIN, cid(f, 1), "delete", NULL, &dsr), "pv_dsr_open");
	assert_rc_msg(f->v, pv_dsr_delete(f->v, &ADMIN, dsr, &cert), PV_ERR_SEALED, id);
	assert_non_null(strstr(pv_errmsg(f->v), "stays open"));
	assert_null(cert);
	struct dsr_state st = { dsr, "" };
	ok(f->v, pv_dsr_list(f->v, &ADMIN, PV_DSR_ALL, dsr_state_of, &st), "pv_dsr_list");
	assert_string_equal(st.state, "open");
	release_now(f, id);
	ok(f->v, pv_dsr_delete(f->v, &ADMIN, dsr, &cert), "pv_dsr_delete after the release");
	assert_non_null(cert);
	ok(f->v, pv_dsr_list(f->v, &ADMIN, PV_DSR_ALL, dsr_state_of, &st), "pv_dsr_list");
	assert_string_equal(st.state, "closed");
	pv_free(cert);
	pv_free(dsr);
	pv_free(id);
}


/* ========================================== list and export say what they left out ==== */

/* List and export leave sealed customers out, and say so: how many and under which
 * incident, from pv_sealed_left_out and in their audit entries; a second incident's seal
 * makes it "several incidents"; after the releases nothing is left out. */
static void test_list_export_say_sealed_left_out(void **state)
{
	struct fixture *f = *state;
	reader_reads(f, 1, 2);
	char *id = sealed_incident(f, f->v, 2), needle[96], incident[64];
	int n = 0;
	ok(f->v, pv_list(f->v, &READ, NULL, 100, count_record, &n, NULL), "pv_list");
	assert_int_equal(n, SMALL - 2);
	assert_int_equal(pv_sealed_left_out(f->v, incident, sizeof incident), 2);
	assert_string_equal(incident, id);
	snprintf(needle, sizeof needle, "2 sealed customers left out (incident %s)", id);
	assert_int_equal(audited(f->v, "list", needle), 1);
	free(export_text(f->v));
	assert_int_equal(pv_sealed_left_out(f->v, incident, sizeof incident), 2);
	assert_int_equal(audited(f->v, "export", needle), 1);
	/* a second incident seals customer 5 */
	reader_reads(f, 5, 5);
	char *id2 = NULL, at[32];
	time_t t = time(NULL) - 60;
	strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	ok(f->v, pv_incident_open(f->v, &ADMIN, PV_INCIDENT_LEAK, at, "second", &id2), "open");
	const char *five[] = { cid(f, 5) };
	pv_incident_filter by = { NULL, NULL, NULL, NULL, five, 1 };
	pv_incident_counts cnt;
	size_t sealed = 0;
	ok(f->v, pv_incident_scope(f->v, &ADMIN, id2, &by, &cnt), "scope");
	ok(f->v, pv_incident_seal(f->v, &ADMIN, id2, &sealed), "seal");
	n = 0;
	ok(f->v, pv_list(f->v, &READ, NULL, 100, count_record, &n, NULL), "pv_list");
	assert_int_equal(n, SMALL - 3);
	assert_int_equal(pv_sealed_left_out(f->v, incident, sizeof incident), 3);
	assert_string_equal(incident, "several incidents");
	assert_int_equal(audited(f->v, "list", "3 sealed customers left out (several incidents)"),
			 1);
	release_now(f, id);
	release_now(f, id2);
	ok(f->v, pv_list(f->v, &READ, NULL, 100, count_record, &n, NULL), "pv_list");
	assert_int_equal(pv_sealed_left_out(f->v, incident, sizeof incident), 0);
	assert_string_equal(incident, "");
	pv_free(id2);
	pv_free(id);
}

/* ================================================================== CLI ==== */

static int cli(const struct fixture *f, char **out, char **err, const char *user,
	       const char *fmt, ...)
{
	char args[1024], who[256] = "";
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	if (user)
		snprintf(who, sizeof who, "PIVAULT_USER='%s' PIVAULT_PASSWORD_FILE='%s'", user,
			 f->pwfile);
	else
		snprintf(who, sizeof who, "PIVAULT_KEY_FILE='%s'", f->key);
	int st = pvt_run(out, "env -u PIVAULT_USER -u PIVAULT_KEYRING -u PIVAULT_PASSPHRASE_FILE "
			 "-u PIVAULT_KEY_FILE PIVAULT_VAULT='%s' %s '%s' %s </dev/null 2>'%s'",
			 f->dir, who, pvt_program("pivault-test"), args, f->err);
	char *e = pvt_read_file(f->err, NULL);
	assert_non_null(e);
	if (err)
		*err = e;
	else
		free(e);
	return st;
}

static char *run_ok(const struct fixture *f, const char *user, const char *args)
{
	char *out = NULL, *err = NULL;
	int st = cli(f, &out, &err, user, "%s", args);
	if (st != 0)
		fail_msg("pivault %s: exit %d: %s", args, st, err);
	free(err);
	return out;
}

static void expect_fail(const struct fixture *f, const char *user, const char *needle,
			const char *args)
{
	char *out = NULL, *err = NULL;
	int st = cli(f, &out, &err, user, "%s", args);
	if (st == 0 || !strstr(err, needle))
		fail_msg("pivault %s: exit %d, stderr '%s' (want '%s')", args, st, err, needle);
	free(out);
	free(err);
}

/* The "request" id a --json request printed. */
static void request_id(const char *out, char *id, size_t n)
{
	json_t *o = json_loads(out, 0, NULL);
	const char *req = json_string_value(json_object_get(o, "request"));
	assert_non_null(req);
	snprintf(id, n, "%s", req);
	json_decref(o);
}

static void test_cli(void **state)
{
	struct fixture *f = *state;
	reader_reads(f, 1, 3);
	char *id = incident_of(f->v, "reader", 3), args[256];
	pv_vault_close(f->v);
	f->v = NULL;
	snprintf(args, sizeof args, "incident seal %s --role clerk", id);
	expect_fail(f, "clerk2", "'incident'", args);
	snprintf(args, sizeof args, "incident seal %s --json", id);
	char *out = run_ok(f, "lead", args);
	assert_non_null(strstr(out, "\"sealed\":3"));
	free(out);
	snprintf(args, sizeof args, "get %s --role admin --purpose service", cid(f, 2));
	expect_fail(f, NULL, id, args);
	snprintf(args, sizeof args, "find --phone '%s' --role admin --purpose service",
		 cell(f, 1, "phone"));
	expect_fail(f, NULL, "sealed by incident", args);
	snprintf(args, sizeof args, "get %s --role admin --purpose service", cid(f, 8));
	free(run_ok(f, NULL, args));
	snprintf(args, sizeof args, "incident release %s", id);
	expect_fail(f, "lead", "four-eyes", args);
	snprintf(args, sizeof args, "request incident release %s --reason contained --json", id);
	out = run_ok(f, "lead", args);
	char req[32];
	request_id(out, req, sizeof req);
	free(out);
	snprintf(args, sizeof args, "approve %s", req);
	expect_fail(f, "lead", "four eyes", args);
	free(run_ok(f, "second", args));
	snprintf(args, sizeof args, "incident release %s --request %s --json", id, req);
	out = run_ok(f, "lead", args);
	assert_non_null(strstr(out, "\"released\":3"));
	free(out);
	snprintf(args, sizeof args, "get %s --role admin --purpose service", cid(f, 2));
	free(run_ok(f, NULL, args));
	reopen_root(f);
	pv_free(id);
}

/* The commands a user meets under seal: shred and dsr delete refused naming the
 * incident, retention plan listing the customer as held by it. */
static void test_cli_erasure_under_seal(void **state)
{
	struct fixture *f = *state;
	reader_reads(f, 1, 2);
	char *id = sealed_incident(f, f->v, 2), args[256], *dsr = NULL;
	ok(f->v, pv_dsr_open(f->v, &ADMIN, cid(f, 2), "delete", NULL, &dsr), "pv_dsr_open");
	pv_vault_close(f->v);
	f->v = NULL;
	snprintf(args, sizeof args, "shred %s --role admin", cid(f, 1));
	expect_fail(f, NULL, id, args);
	snprintf(args, sizeof args, "dsr delete %s --role admin", dsr);
	expect_fail(f, NULL, "stays open", args);
	char *out = run_ok(f, NULL, "retention plan --as-of 2200-01-01 --role admin");
	char want[128];
	snprintf(want, sizeof want, "held by incident %s", id);
	assert_non_null(strstr(out, want));
	free(out);
	reopen_root(f);
	pv_free(dsr);
	pv_free(id);
}

/* What a user meets: list and export say on standard error how many sealed customers
 * they left out, and under which incident. */
static void test_cli_list_export_say_left_out(void **state)
{
	struct fixture *f = *state;
	reader_reads(f, 1, 3);
	char *id = sealed_incident(f, f->v, 3), want[96];
	pv_vault_close(f->v);
	f->v = NULL;
	snprintf(want, sizeof want, "3 sealed customers left out (incident %s)", id);
	const char *cmds[] = { "list --role admin --purpose service --limit 100",
			       "export --role admin --purpose service" };
	for (size_t i = 0; i < 2; i++) {
		char *out = NULL, *err = NULL;
		assert_int_equal(cli(f, &out, &err, NULL, "%s", cmds[i]), 0);
		if (!strstr(err, want))
			fail_msg("pivault %s: stderr '%s' (want '%s')", cmds[i], err, want);
		assert_null(strstr(out, cid(f, 1)));
		assert_non_null(strstr(out, cid(f, 4)));
		free(out);
		free(err);
	}
	reopen_root(f);
	pv_free(id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_end_to_end, setup_big, teardown),
		cmocka_unit_test_setup_teardown(test_seal_contains_and_only_grows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_under_seal_audited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_detokenize_under_seal_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_dba_deletes_seal_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dba_deletes_one_row_open_handle, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_dba_edits_seal_history, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dba_deletes_seal_setting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dba_edits_incident_and_scope, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dba_incident_rows_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_older_vault_gets_codes_on_first_use, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_clerk_cannot_seal_or_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_for_other_incident_or_stale_seal, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cli, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shred_under_seal_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention_under_seal_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dsr_delete_waits_for_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli_erasure_under_seal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_export_say_sealed_left_out, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cli_list_export_say_left_out, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
