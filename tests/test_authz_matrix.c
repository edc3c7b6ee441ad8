/* SPDX-License-Identifier: Apache-2.0 */
/* test_authz_matrix.c: every operation of the public API that checks a permission, called
 * as every role of examples/schema.yaml (the schema the tests' sample vault uses; the
 * roles of ../shared/schema.example.yaml are the same five, written the same way). Each
 * call is allowed or refused exactly as the role's operations list says: the expectation
 * comes from tables written here by hand from the schema text (what each role is granted,
 * what each operation needs), never from the library's own permission check. A refusal
 * is PV_ERR_DENIED (PV_ERR_FIND_ONLY for pv_find_records as a role with 'find' alone)
 * whose message names a permission the role lacks, and is audited; an allowed call
 * returns what the operation returns for a caller it lets in (for an operation that needs
 * four eyes, asked for with pv_request_begin: PV_REQUESTED, so that nothing destructive
 * runs). The operations that also accept the roles of the user the session was opened as
 * (the audit functions) are called again in sessions of users holding one role each. The
 * table must be complete:
 * every pv_* function of include/pivault.h taking a pv_access (the header is read at test
 * time) has a row, every row names a function the header declares, and every role of the
 * schema has a row. */
#include "testutil.h"

#include <ctype.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authz_table.h"
#include "pivault.h"

#include "formats/age.h"
#include "dates.h"

#define HEADER PV_SOURCE_DIR "/include/pivault.h"
#define SCHEMA PV_SOURCE_DIR "/examples/schema.yaml"
#define NCUST 6

/* The roles (examples/schema.yaml) and what each operation needs: authz_table.c. */

/* ---- fixtures ------------------------------------------------------------------------ */

static char *g_base, *g_dir, *g_key_path, *g_csv_path, *g_name1, *g_recipient;
static char g_escrow_hex[65], g_other_pk[65]; /* another vault's key */
static char *g_plan;          /* a cross-border transfer plan */
static pv_vault *g_v;         /* opened with the root key: roles are given per call */
static pv_key *g_key;
static unsigned g_serial;     /* makes names and paths unique */
static const char *g_arg;     /* what an operation's prepare made for it */
static char *g_checkpoint;    /* an exported audit checkpoint */
static const pv_access ADMIN = { "admin", "all", 0 };

static char *fresh_path(const char *what)
{
	char name[64];
	snprintf(name, sizeof name, "%s-%u", what, ++g_serial);
	return pvt_keep(pvt_path(g_base, name));
}

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
	g_name1 = strdup(pvt_csv_get(&t, 1, "name"));
	pvt_csv_free(&t);
	free(csv);
	assert_int_equal(pvt_run(NULL, "'%s' -n 3 --start 101 --seed 5 --canonical -o '%s'",
				 pvt_program("pvgen"), g_csv_path), 0);
	assert_int_equal(pv_key_from_file(g_key_path, &g_key), PV_OK);
	uint8_t sk[PV_AGE_KEY], pk[PV_AGE_KEY];
	pv_age_keygen(sk, pk);
	g_recipient = pv_age_format_recipient(pk);
	assert_non_null(g_recipient);
	char *escrow = pvt_path(g_base, "escrow.key");
	assert_int_equal(pv_escrow_keygen(escrow, g_escrow_hex), PV_OK);
	free(escrow);
	unsigned char opk[crypto_sign_PUBLICKEYBYTES], osk[crypto_sign_SECRETKEYBYTES];
	crypto_sign_keypair(opk, osk);
	sodium_bin2hex(g_other_pk, sizeof g_other_pk, opk, sizeof opk);
	pv_transfer_spec spec = { .recipient_name = "Buyer Ltd", .recipient_contact = "dpo@buyer",
				  .recipient_key = g_recipient, .recipient_country = "US",
				  .legal_basis = "standard-contract" };
	assert_ok(g_v, pv_transfer_plan(g_v, &ADMIN, &spec, &g_plan));
	char *half = NULL;
	assert_ok(g_v, pv_user_add(g_v, &ADMIN, "u1", "clerk", &half));
	pv_free(half);
	assert_ok(g_v, pv_audit_checkpoint(g_v, &ADMIN, &g_checkpoint));
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	pvt_release_all();
	pv_vault_close(g_v);
	pv_key_free(g_key);
	pvt_rmtree(g_base);
	free(g_base);
	free(g_dir);
	free(g_key_path);
	free(g_csv_path);
	free(g_name1);
	free(g_recipient);
	pv_free(g_plan);
	pv_free(g_checkpoint);
	return 0;
}

/* ---- calling each operation ------------------------------------------------------------ */

static int any_id(void *ctx, const char *id) { (void)ctx; (void)id; return 0; }
static int any_record(void *ctx, const pv_record *r) { (void)ctx; (void)r; return 0; }
static int any_user(void *ctx, const pv_user_info *u) { (void)ctx; (void)u; return 0; }
static int any_consent(void *ctx, const pv_consent_event *e) { (void)ctx; (void)e; return 0; }
static int any_dsr(void *ctx, const pv_dsr_info *d) { (void)ctx; (void)d; return 0; }
static int any_review(void *ctx, const pv_review_info *r) { (void)ctx; (void)r; return 0; }
static int any_complaint(void *ctx, const pv_complaint_info *c) { (void)ctx; (void)c; return 0; }
static int any_note(void *ctx, const pv_note_info *n) { (void)ctx; (void)n; return 0; }
static int any_item(void *ctx, const pv_retention_item *i) { (void)ctx; (void)i; return 0; }
static int any_exclusion(void *ctx, const char *c, const char *r)
{
	(void)ctx; (void)c; (void)r;
	return 0;
}
static int any_cert(void *ctx, const char *c) { (void)ctx; (void)c; return 0; }
static int any_notice(void *ctx, const pv_notice_info *n) { (void)ctx; (void)n; return 0; }
static int any_hold(void *ctx, const pv_hold_info *h) { (void)ctx; (void)h; return 0; }
static int any_entry(void *ctx, const pv_audit_entry *e) { (void)ctx; (void)e; return 0; }
static int any_alert(void *ctx, const pv_audit_alert *a) { (void)ctx; (void)a; return 0; }

static const char *const IDS[] = { "C00000001", "C00000002" };

/* A data-subject request of type on customer, opened as admin (kept). */
static char *dsr_as_admin(const char *customer, const char *type)
{
	char *id = NULL;
	assert_ok(g_v, pv_dsr_open(g_v, &ADMIN, customer, type, NULL, &id));
	return pvt_keep(id);
}

/* A complaint about customer C00000001, opened as admin (kept). */
static char *complaint_as_admin(void)
{
	char *id = NULL;
	assert_ok(g_v, pv_complaint_open(g_v, &ADMIN, "C00000001", NULL, "a complaint", &id));
	return pvt_keep(id);
}

/* A transfer plan inside the country, its objection deadline today (so that it may be
 * exported), no vault key pinned, made as admin (kept). */
static char *plan_as_admin(void)
{
	char *id = NULL, today[11];
	pv_date_today(0, today);
	pv_transfer_spec spec = { .recipient_name = "Buyer Ltd", .recipient_contact = "dpo@buyer",
				  .recipient_key = g_recipient, .deadline = today };
	assert_ok(g_v, pv_transfer_plan(g_v, &ADMIN, &spec, &id));
	return pvt_keep(id);
}

static pv_rc op_get(const pv_access *w)
{
	pv_record *r = NULL;
	pv_rc rc = pv_get(g_v, w, "C00000002", &r);
	pv_record_free(r);
	return rc;
}
static pv_rc op_get_many(const pv_access *w)
{
	return pv_get_many(g_v, w, IDS, 2, any_record, NULL);
}
static pv_rc op_find(const pv_access *w)
{
	return pv_find(g_v, w, "name", g_name1, any_id, NULL);
}
static pv_rc op_find_records(const pv_access *w)
{
	return pv_find_records(g_v, w, "name", g_name1, any_record, NULL);
}
static pv_rc op_list(const pv_access *w)
{
	char *next = NULL;
	pv_rc rc = pv_list(g_v, w, NULL, 3, any_record, NULL, &next);
	pv_free(next);
	return rc;
}
static pv_rc op_update_fields(const pv_access *w)
{
	const char *f[] = { "preferences" }, *val[] = { "weekday deliveries" };
	return pv_update_fields(g_v, w, "C00000003", f, val, 1);
}
static pv_rc op_update(const pv_access *w)
{
	return pv_update(g_v, w, "C00000003", "preferences", "weekend deliveries");
}
static pv_rc op_export(const pv_access *w)
{
	FILE *f = tmpfile();
	assert_non_null(f);
	pv_rc rc = pv_export(g_v, w, PV_EXPORT_CSV, f);
	fclose(f);
	return rc;
}
static pv_rc op_export_clear(const pv_access *w)
{
	pv_access clear = *w;
	clear.want_clear = PV_WANT_CLEAR;
	return op_export(&clear);
}
static pv_rc op_export_file(const pv_access *w)
{
	return pv_export_file(g_v, w, PV_EXPORT_JSONL, fresh_path("export"));
}
static pv_rc op_import_csv(const pv_access *w)
{
	pv_import_opts io = { .threads = 1 };
	pv_import_result *res = NULL;
	pv_rc rc = pv_import_csv(g_v, w, g_csv_path, &io, &res);
	pv_import_free(res);
	return rc;
}
/* H-data: the import from a descriptor (the server's streamed upload), of new ids */
static pv_rc op_import_csv_fd(const pv_access *w)
{
	static unsigned calls;
	char *path = fresh_path("more-fd.csv");
	assert_int_equal(pvt_run(NULL, "'%s' -n 3 --start %u --seed 5 --canonical -o '%s'",
				 pvt_program("pvgen"), 201 + 10 * calls++, path), 0);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	pv_import_opts io = { .threads = 1 };
	pv_import_result *res = NULL;
	pv_rc rc = pv_import_csv_fd(g_v, w, fd, NULL, NULL, &io, &res);
	pv_import_free(res);
	close(fd);
	return rc;
}
static pv_rc op_user_add(const pv_access *w)
{
	char name[32], *half = NULL;
	snprintf(name, sizeof name, "new%u", ++g_serial);
	pv_rc rc = pv_user_add(g_v, w, name, "clerk", &half);
	pv_free(half);
	return rc;
}
static pv_rc op_user_reset(const pv_access *w)
{
	char *half = NULL;
	pv_rc rc = pv_user_reset(g_v, w, "u1", &half);
	pv_free(half);
	return rc;
}
static pv_rc op_user_disable(const pv_access *w)
{
	char name[32], *half = NULL;
	snprintf(name, sizeof name, "gone%u", ++g_serial);
	assert_ok(g_v, pv_user_add(g_v, &ADMIN, name, "clerk", &half));
	pv_free(half);
	return pv_user_disable(g_v, w, name);
}
static pv_rc op_user_attest(const pv_access *w)
{
	return pv_user_attest(g_v, w, "u1", "2026-01-05", "2026-01-06", NULL);
}
static pv_rc op_user_list(const pv_access *w)
{
	return pv_user_list(g_v, w, PV_USERS_ALL, any_user, NULL);
}
static pv_rc op_request_decide(const pv_access *w)
{
	char *half = NULL;
	pv_rc rc = pv_request_decide(g_v, w, "R-0000000000", PV_APPROVE, &half);
	pv_free(half);
	return rc;
}
static pv_rc op_request_decide_why(const pv_access *w)
{
	char *half = NULL;
	pv_rc rc = pv_request_decide_why(g_v, w, "R-0000000000", PV_REJECT, "why", &half);
	pv_free(half);
	return rc;
}
static pv_rc op_shred(const pv_access *w)
{
	char *cert = NULL;
	pv_rc rc = pv_shred(g_v, w, IDS, 1, &cert);
	pv_free(cert);
	return rc;
}
static pv_rc op_consent_set(const pv_access *w)
{
	return pv_consent_set(g_v, w, "C00000001", "marketing", PV_CONSENT_GRANTED, "web", "v1");
}
static pv_rc op_consent_history(const pv_access *w)
{
	return pv_consent_history(g_v, w, "C00000001", any_consent, NULL);
}
static pv_rc op_dsr_open(const pv_access *w)
{
	char *id = NULL;
	pv_rc rc = pv_dsr_open(g_v, w, "C00000001", "access", NULL, &id);
	pv_free(id);
	return rc;
}
static void prepare_delete_request(void)
{
	g_arg = dsr_as_admin("C00000005", "delete");
}
static pv_rc op_dsr_delete(const pv_access *w)
{
	char *cert = NULL;
	pv_rc rc = pv_dsr_delete(g_v, w, g_arg, &cert);
	pv_free(cert);
	return rc;
}
static pv_rc op_dsr_fulfil(const pv_access *w)
{
	return pv_dsr_fulfil(g_v, w, dsr_as_admin("C00000006", "object"));
}
static pv_rc op_dsr_lift(const pv_access *w)
{
	assert_ok(g_v, pv_dsr_fulfil(g_v, &ADMIN, dsr_as_admin("C00000006", "object")));
	return pv_dsr_lift(g_v, w, "C00000006", PV_LIFT_OBJECTION);
}
static pv_rc op_dsr_correct(const pv_access *w)
{
	const char *f[] = { "preferences" }, *val[] = { "no calls" };
	return pv_dsr_correct(g_v, w, dsr_as_admin("C00000003", "correct"), f, val, 1);
}
static pv_rc op_dsr_close(const pv_access *w)
{
	return pv_dsr_close(g_v, w, dsr_as_admin("C00000001", "access"), "answered");
}
static pv_rc op_dsr_list(const pv_access *w)
{
	return pv_dsr_list(g_v, w, PV_DSR_ALL, any_dsr, NULL);
}
static pv_rc op_dsr_access_report(const pv_access *w)
{
	FILE *f = tmpfile();
	assert_non_null(f);
	pv_rc rc = pv_dsr_access_report(g_v, w, dsr_as_admin("C00000001", "access"),
					 PV_RENDER_JSON, f);
	fclose(f);
	return rc;
}
static pv_rc op_review_confirm(const pv_access *w)
{
	return pv_review_confirm(g_v, w, "C00000001", "phone");
}
static pv_rc op_review_due(const pv_access *w)
{
	return pv_review_due(g_v, w, 0, any_review, NULL);
}
static pv_rc op_complaint_open(const pv_access *w)
{
	char *id = NULL;
	pv_rc rc = pv_complaint_open(g_v, w, "C00000001", NULL, "a complaint", &id);
	pv_free(id);
	return rc;
}
static pv_rc op_complaint_note(const pv_access *w)
{
	return pv_complaint_note(g_v, w, complaint_as_admin(), "called back");
}
static pv_rc op_complaint_resolve(const pv_access *w)
{
	return pv_complaint_resolve(g_v, w, complaint_as_admin(), "corrected");
}
static pv_rc op_complaint_list(const pv_access *w)
{
	return pv_complaint_list(g_v, w, any_complaint, NULL);
}
/* An incident opened as admin an hour ago (kept). */
static char *incident_as_admin(void)
{
	char *id = NULL, at[32];
	time_t t = time(NULL) - 3600;
	strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	assert_ok(g_v, pv_incident_open(g_v, &ADMIN, PV_INCIDENT_LEAK, at, "an incident", &id));
	return pvt_keep(id);
}
static pv_rc op_incident_open(const pv_access *w)
{
	char *id = NULL, at[32];
	time_t t = time(NULL) - 60;
	strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	pv_rc rc = pv_incident_open(g_v, w, PV_INCIDENT_LOSS, at, "lost a disk", &id);
	pv_free(id);
	return rc;
}
static pv_rc op_incident_scope(const pv_access *w)
{
	pv_incident_filter f = { NULL, NULL, NULL, "read", NULL, 0 };
	pv_incident_counts n;
	return pv_incident_scope(g_v, w, incident_as_admin(), &f, &n);
}
static pv_rc op_incident_set_state(const pv_access *w)
{
	return pv_incident_set_state(g_v, w, incident_as_admin(), PV_INCIDENT_CONTAINED);
}
static pv_rc op_incident_get(const pv_access *w)
{
	char *json = NULL;
	pv_rc rc = pv_incident_get(g_v, w, incident_as_admin(), &json);
	pv_free(json);
	return rc;
}
static pv_rc op_incident_list(const pv_access *w)
{
	char *json = NULL;
	pv_rc rc = pv_incident_list(g_v, w, &json);
	pv_free(json);
	return rc;
}
/* incident notify (H-notify): an incident whose scope is one customer read as admin. */
static pv_rc op_incident_notify(const pv_access *w)
{
	static const pv_access admin_service = { "admin", "service", 0 };
	static const char *const one[] = { "C00000002" };
	char *id = incident_as_admin();
	pv_record *r = NULL;
	assert_ok(g_v, pv_get(g_v, &admin_service, one[0], &r));
	pv_record_free(r);
	pv_incident_filter f = { NULL, NULL, NULL, "read", one, 1 };
	pv_incident_counts n;
	assert_ok(g_v, pv_incident_scope(g_v, &ADMIN, id, &f, &n));
	pv_breach_text t = { NULL, NULL, "Acme", "dpo@acme", "cause", "harm", "remedies",
			     "actions", NULL };
	FILE *a = tmpfile(), *b = tmpfile();
	assert_non_null(a);
	assert_non_null(b);
	pv_breach_counts c;
	pv_rc rc = pv_incident_notify(g_v, w, id, &t, "en", PV_EXPORT_CSV, a, b, &c);
	fclose(a);
	fclose(b);
	return rc;
}
/* end of incident notify */
/* Seal and release (H-seal): an incident scoped to C00000004 alone (read as admin first),
 * which no other row reads; a seal made is lifted again on a second root handle (the
 * root secret needs no approval), so that the rows after read as before. */
static char *incident_on_c4(void)
{
	pv_record *r = NULL;
	const pv_access reader = { "admin", "service", 0 };
	assert_ok(g_v, pv_get(g_v, &reader, "C00000004", &r));
	pv_record_free(r);
	const char *only[] = { "C00000004" };
	pv_incident_filter f = { NULL, NULL, NULL, "read", only, 1 };
	pv_incident_counts n;
	char *id = incident_as_admin();
	assert_ok(g_v, pv_incident_scope(g_v, &ADMIN, id, &f, &n));
	return id;
}
static void lift_elsewhere(const char *id)
{
	pv_vault *root = pvt_open_root(g_dir, NULL, g_key_path);
	size_t n = 0;
	assert_ok(root, pv_incident_release(root, &ADMIN, id, &n));
	pvt_vclose(root);
}
static pv_rc op_incident_seal(const pv_access *w)
{
	char *id = incident_on_c4();
	size_t n = 0;
	pv_rc rc = pv_incident_seal(g_v, w, id, &n);
	if (rc == PV_OK)
		lift_elsewhere(id);
	return rc;
}
static void prepare_sealed(void)
{
	char *id = incident_on_c4();
	size_t n = 0;
	assert_ok(g_v, pv_incident_seal(g_v, &ADMIN, id, &n));
	g_arg = id;
}
static pv_rc op_incident_release(const pv_access *w)
{
	size_t n = 0;
	pv_rc rc = pv_incident_release(g_v, w, g_arg, &n);
	lift_elsewhere(g_arg);
	return rc;
}
static pv_rc op_complaint_show(const pv_access *w)
{
	return pv_complaint_show(g_v, w, complaint_as_admin(), any_note, NULL);
}
static pv_rc op_retention_plan(const pv_access *w)
{
	return pv_retention_plan(g_v, w, "2090-01-01", any_item, NULL, NULL);
}
static pv_rc op_retention_apply(const pv_access *w)
{
	uint64_t shredded = 0, erased = 0, held = 0, undetermined = 0;
	return pv_retention_apply(g_v, w, "2090-01-01", any_cert, NULL, &shredded, &erased, &held,
				  &undetermined);
}
static pv_rc op_retention_undetermined_count(const pv_access *w)
{
	uint64_t n = 0;
	return pv_retention_undetermined_count(g_v, w, &n);
}
static pv_rc op_transfer_plan(const pv_access *w)
{
	char *id = NULL;
	pv_transfer_spec spec = { .recipient_name = "Buyer Ltd", .recipient_contact = "dpo@buyer",
				  .recipient_key = g_recipient };
	pv_rc rc = pv_transfer_plan(g_v, w, &spec, &id);
	pv_free(id);
	return rc;
}
static void prepare_plan(void)
{
	g_arg = plan_as_admin();
}
static pv_rc op_transfer_pin_vault_key(const pv_access *w)
{
	return pv_transfer_pin_vault_key(g_v, w, g_arg, g_other_pk);
}
static pv_rc op_transfer_list(const pv_access *w)
{
	char *json = NULL;
	pv_rc rc = pv_transfer_list(g_v, w, NULL, &json);
	pv_free(json);
	return rc;
}
static pv_rc op_transfer_assessment(const pv_access *w)
{
	char *out = NULL;
	pv_rc rc = pv_transfer_assessment(g_v, w, g_plan, PV_RENDER_JSON, &out);
	pv_free(out);
	return rc;
}
static pv_rc op_transfer_consent(const pv_access *w)
{
	return pv_transfer_consent(g_v, w, g_plan, "C00000001", PV_CONSENT_GRANTED, "web");
}
static pv_rc op_transfer_exclusions(const pv_access *w)
{
	return pv_transfer_exclusions(g_v, w, g_plan, any_exclusion, NULL);
}
static pv_rc op_transfer_notify(const pv_access *w)
{
	FILE *f = tmpfile();
	assert_non_null(f);
	uint64_t count = 0;
	pv_rc rc = pv_transfer_notify(g_v, w, plan_as_admin(), NULL, "en", PV_EXPORT_CSV, f,
				      &count);
	fclose(f);
	return rc;
}
static pv_rc op_transfer_shred_excluded(const pv_access *w)
{
	uint64_t count = 0;
	char *cert = NULL;
	pv_rc rc = pv_transfer_shred_excluded(g_v, w, g_plan, &count, &cert);
	pv_free(cert);
	return rc;
}
static pv_rc op_handover_export(const pv_access *w)
{
	pv_handover_summary s;
	return pv_handover_export(g_v, w, g_arg, fresh_path("package"), &s);
}
static pv_rc op_handover_import(const pv_access *w)
{
	pv_handover_import_opts o = { .identity_file = fresh_path("no-identity") };
	char *receipt = NULL;
	pv_handover_summary s;
	pv_rc rc = pv_handover_import(g_v, w, fresh_path("no-package"), &o, &receipt, &s);
	pv_free(receipt);
	return rc;
}
static pv_rc op_handover_check_receipt(const pv_access *w)
{
	char *summary = NULL;
	pv_rc rc = pv_handover_check_receipt(g_v, w, "{\"receipt\": {}}", &summary);
	pv_free(summary);
	return rc;
}
static pv_rc op_handover_confirm(const pv_access *w)
{
	uint64_t shredded = 0;
	return pv_handover_confirm(g_v, w, "{\"receipt\": {}}", any_cert, NULL, &shredded);
}
static pv_rc op_decommission_plan(const pv_access *w)
{
	char *json = NULL;
	pv_rc rc = pv_decommission_plan(g_v, w, &json);
	pv_free(json);
	return rc;
}
static pv_rc op_decommission_run(const pv_access *w)
{
	pv_decommission_spec spec = { .keeper_name = "Keeper", .keeper_contact = "keeper@law",
				      .keeper_key = g_recipient,
				      .archive_path = fresh_path("archive") };
	char *report = NULL;
	pv_rc rc = pv_decommission_run(g_v, w, &spec, any_cert, NULL, &report);
	pv_free(report);
	return rc;
}
static pv_rc op_backup_create(const pv_access *w)
{
	char *summary = NULL;
	pv_rc rc = pv_backup_create(g_v, w, fresh_path("backup"), &summary);
	pv_free(summary);
	return rc;
}
static pv_rc op_rekey(const pv_access *w)
{
	pv_rekey_result res;
	return pv_rekey(g_v, w, PV_REKEY_BUCKETS, &res);
}
static pv_rc op_vault_rekey_root(const pv_access *w)
{
	return pv_vault_rekey_root(g_v, w, g_key); /* the current secret: refused once let in */
}
static pv_rc notice(const pv_access *w, const char *kind)
{
	int64_t id = 0;
	return pv_notice_record(g_v, w, "C00000001", kind, "v1", "sms", "sent", &id);
}
static pv_rc op_notice_transfer(const pv_access *w) { return notice(w, "transfer"); }
static pv_rc op_notice_breach(const pv_access *w) { return notice(w, "breach"); }
static pv_rc op_notice_dsr_reply(const pv_access *w) { return notice(w, "dsr-reply"); }
static pv_rc op_notice_consent(const pv_access *w) { return notice(w, "consent"); }
static pv_rc op_notice_policy(const pv_access *w) { return notice(w, "policy"); }
static pv_rc op_notice_set_state(const pv_access *w)
{
	int64_t id = 0;
	assert_ok(g_v, pv_notice_record(g_v, &ADMIN, "C00000001", "breach", "v1", "sms", "sent",
					&id));
	return pv_notice_set_state(g_v, w, id, "delivered");
}
static pv_rc op_notice_list(const pv_access *w)
{
	return pv_notice_list(g_v, w, NULL, any_notice, NULL);
}
static pv_rc op_hold_add(const pv_access *w)
{
	return pv_hold_add(g_v, w, IDS + 1, 1, "litigation");
}
static pv_rc op_hold_release(const pv_access *w)
{
	assert_ok(g_v, pv_hold_add(g_v, &ADMIN, IDS, 1, "litigation"));
	return pv_hold_release(g_v, w, IDS, 1, "settled");
}
static pv_rc op_hold_list(const pv_access *w)
{
	return pv_hold_list(g_v, w, any_hold, NULL);
}
static pv_rc op_keyring_escrow(const pv_access *w)
{
	return pv_keyring_escrow(g_v, w, g_escrow_hex, fresh_path("escrow"));
}
static pv_rc op_audit_log(const pv_access *w)
{
	return pv_audit_log(g_v, w, NULL, any_entry, NULL);
}
static pv_rc op_audit_alerts(const pv_access *w)
{
	return pv_audit_alerts(g_v, w, any_alert, NULL);
}
static pv_rc op_audit_set_alert_threshold(const pv_access *w)
{
	return pv_audit_set_alert_threshold(g_v, w, 100);
}
static int any_node(void *ctx, const pv_node_info *n)
{
	(void)ctx;
	(void)n;
	return 0;
}
static pv_rc op_node_list(const pv_access *w)
{
	return pv_node_list(g_v, w, any_node, NULL);
}
static pv_rc op_node_retire(const pv_access *w)
{
	return pv_node_retire(g_v, w, "0123456789abcdef0123456789abcdef");
}

static pv_rc op_audit_checkpoint(const pv_access *w)
{
	char *text = NULL;
	pv_rc rc = pv_audit_checkpoint(g_v, w, &text);
	pv_free(text);
	return rc;
}
static pv_rc op_audit_verify(const pv_access *w)
{
	char *report = NULL;
	pv_rc rc = pv_audit_verify(g_v, w, g_checkpoint, &report);
	pv_free(report);
	return rc;
}
static pv_rc op_audit_prove(const pv_access *w)
{
	char *proof = NULL;
	pv_rc rc = pv_audit_prove(g_v, w, 1, &proof);
	pv_free(proof);
	return rc;
}
static pv_rc op_audit_consistency(const pv_access *w)
{
	char *proof = NULL;
	pv_rc rc = pv_audit_consistency(g_v, w, g_checkpoint, &proof);
	pv_free(proof);
	return rc;
}
static int any_finding(void *ctx, const pv_finding *f) { (void)ctx; (void)f; return 0; }
static pv_rc op_doctor(const pv_access *w)
{
	unsigned high = 0;
	return pv_doctor(g_v, w, NULL, any_finding, NULL, &high);
}
static int any_column(void *ctx, const pv_scan_column *c) { (void)ctx; (void)c; return 0; }
static pv_rc op_scan_vault(const pv_access *w)
{
	return pv_scan_vault(g_v, w, NULL, any_column, NULL, NULL);
}
/* A CSV text scanned against the vault's schema (the API's upload). */
static pv_rc op_scan_csv_stream(const pv_access *w)
{
	static char csv[] = "remark\r\ncall 13912345678\r\n";
	FILE *in = fmemopen(csv, sizeof csv - 1, "rb");
	pv_rc rc = pv_scan_csv_stream(g_v, w, in, "matrix.csv", NULL, any_column, NULL, NULL);
	fclose(in);
	return rc;
}
/* Tokens (tokens.c): made for one purpose, not "all" (billing for a role that may use
 * every purpose); detokenized for their own purpose, a field every reading role sees in
 * clear (name: service for the clerk, billing for finance, service for the others). */
static pv_rc op_tokenize(const pv_access *w)
{
	pv_access x = *w;
	if (x.purpose && strcmp(x.purpose, "all") == 0)
		x.purpose = "billing";
	char *t = NULL;
	pv_rc rc = pv_tokenize(g_v, &x, "C00000002", "phone", PV_TOKEN_RANDOM, PV_TOKEN_OPAQUE, &t);
	pv_free(t);
	return rc;
}
static char *name_token(const char *purpose)
{
	static char service[48], billing[48];
	char *slot = strcmp(purpose, "billing") == 0 ? billing : service;
	if (!slot[0]) {
		pv_access a = { "admin", purpose, 0 };
		char *t = NULL;
		assert_ok(g_v, pv_tokenize(g_v, &a, "C00000003", "name", PV_TOKEN_RANDOM,
					   PV_TOKEN_OPAQUE, &t));
		snprintf(slot, 48, "%s", t);
		pv_free(t);
	}
	return slot;
}
static pv_rc op_detokenize(const pv_access *w)
{
	pv_access x = *w;
	if (!x.purpose || strcmp(x.purpose, "billing") != 0)
		x.purpose = "service";
	const char *token = name_token(x.purpose);
	char *value = NULL;
	pv_rc rc = pv_detokenize(g_v, &x, token, &value);
	pv_free(value);
	return rc;
}
static pv_rc op_compliance_report(const pv_access *w)
{
	char *out = NULL;
	pv_rc rc = pv_compliance_report(g_v, w, NULL, PV_REPORT_JSON, &out);
	pv_free(out);
	return rc;
}
static int any_kept(void *ctx, const pv_certificate_info *c) { (void)ctx; (void)c; return 0; }
static pv_rc op_certificates(const pv_access *w)
{
	return pv_certificates(g_v, w, any_kept, NULL);
}

/* API tokens (H-apitok): made for u1 (clerk) with its purpose, listed, revoked. */
static pv_rc op_api_token_create(const pv_access *w)
{
	char *id = NULL, *token = NULL;
	pv_rc rc = pv_api_token_create(g_v, w, "u1", "clerk", "service", 3600, &id, &token);
	pv_free(id);
	pv_free(token);
	return rc;
}
static int any_token(void *ctx, const pv_api_token_info *t) { (void)ctx; (void)t; return 0; }
static pv_rc op_api_token_list(const pv_access *w)
{
	return pv_api_token_list(g_v, w, NULL, any_token, NULL);
}
static pv_rc op_api_token_revoke(const pv_access *w)
{
	return pv_api_token_revoke(g_v, w, "0123456789abcdef");
}

/* issue 13's API gaps: the checkpoints listed, what an export leaves out sealed */
static int any_checkpoint(void *ctx, const pv_audit_checkpoint_info *c)
{
	(void)ctx;
	(void)c;
	return 0;
}
static pv_rc op_audit_checkpoints(const pv_access *w)
{
	return pv_audit_checkpoints(g_v, w, 0, 10, any_checkpoint, NULL, NULL);
}
static pv_rc op_export_sealed(const pv_access *w)
{
	uint64_t n = 0;
	char incident[64];
	return pv_export_sealed(g_v, w, &n, incident, sizeof incident);
}

static int any_request(void *ctx, const pv_request_info *r) { (void)ctx; (void)r; return 0; }
static pv_rc op_request_list(const pv_access *w)
{
	return pv_request_list(g_v, w, any_request, NULL);
}

/* ---- how each operation is called (what it needs: authz_table.c) ----------------------
 * allowed: what it returns when let in (an operation that needs four eyes is asked for,
 * pv_request_begin, so that an allowed call stops at PV_REQUESTED). */
struct call {
	const char *fn, *variant;
	pv_rc allowed;
	pv_rc (*call)(const pv_access *who);
	void (*prepare)(void); /* made before a four-eyes call asks (NULL: nothing) */
};

static const struct call calls[] = {
	{ "pv_get", NULL, PV_OK, op_get, NULL },
	{ "pv_get_many", NULL, PV_OK, op_get_many, NULL },
	{ "pv_find", NULL, PV_OK, op_find, NULL },
	{ "pv_find_records", NULL, PV_OK, op_find_records, NULL },
	{ "pv_list", NULL, PV_OK, op_list, NULL },
	{ "pv_update_fields", NULL, PV_OK, op_update_fields, NULL },
	{ "pv_update", NULL, PV_OK, op_update, NULL },
	{ "pv_export", "masked", PV_OK, op_export, NULL },
	{ "pv_export", "clear", PV_REQUESTED, op_export_clear, NULL },
	{ "pv_export_file", NULL, PV_OK, op_export_file, NULL },
	{ "pv_import_csv", NULL, PV_OK, op_import_csv, NULL },
	{ "pv_import_csv_fd", NULL, PV_OK, op_import_csv_fd, NULL },
	{ "pv_user_add", NULL, PV_REQUESTED, op_user_add, NULL },
	{ "pv_user_reset", NULL, PV_REQUESTED, op_user_reset, NULL },
	{ "pv_user_disable", NULL, PV_OK, op_user_disable, NULL },
	{ "pv_user_attest", NULL, PV_OK, op_user_attest, NULL },
	{ "pv_user_list", NULL, PV_OK, op_user_list, NULL },
	{ "pv_request_decide", "unknown request", PV_ERR_NOT_FOUND, op_request_decide, NULL },
	{ "pv_request_decide_why", "unknown request", PV_ERR_NOT_FOUND, op_request_decide_why, NULL },
	{ "pv_shred", NULL, PV_REQUESTED, op_shred, NULL },
	{ "pv_consent_set", NULL, PV_OK, op_consent_set, NULL },
	{ "pv_consent_history", NULL, PV_OK, op_consent_history, NULL },
	{ "pv_dsr_open", NULL, PV_OK, op_dsr_open, NULL },
	{ "pv_dsr_delete", NULL, PV_REQUESTED, op_dsr_delete, prepare_delete_request },
	{ "pv_dsr_fulfil", NULL, PV_OK, op_dsr_fulfil, NULL },
	{ "pv_dsr_lift", NULL, PV_OK, op_dsr_lift, NULL },
	{ "pv_dsr_correct", NULL, PV_OK, op_dsr_correct, NULL },
	{ "pv_dsr_close", NULL, PV_OK, op_dsr_close, NULL },
	{ "pv_dsr_list", NULL, PV_OK, op_dsr_list, NULL },
	{ "pv_dsr_access_report", NULL, PV_OK, op_dsr_access_report, NULL },
	{ "pv_review_confirm", NULL, PV_OK, op_review_confirm, NULL },
	{ "pv_review_due", NULL, PV_OK, op_review_due, NULL },
	{ "pv_complaint_open", NULL, PV_OK, op_complaint_open, NULL },
	{ "pv_complaint_note", NULL, PV_OK, op_complaint_note, NULL },
	{ "pv_complaint_resolve", NULL, PV_OK, op_complaint_resolve, NULL },
	{ "pv_complaint_list", NULL, PV_OK, op_complaint_list, NULL },
	{ "pv_complaint_show", NULL, PV_OK, op_complaint_show, NULL },
	{ "pv_incident_open", NULL, PV_OK, op_incident_open, NULL },
	{ "pv_incident_scope", NULL, PV_OK, op_incident_scope, NULL },
	{ "pv_incident_set_state", NULL, PV_OK, op_incident_set_state, NULL },
	{ "pv_incident_get", NULL, PV_OK, op_incident_get, NULL },
	{ "pv_incident_list", NULL, PV_OK, op_incident_list, NULL },
	/* incident notify (H-notify) */
	{ "pv_incident_notify", NULL, PV_OK, op_incident_notify, NULL },
	{ "pv_incident_seal", NULL, PV_OK, op_incident_seal, NULL },
	{ "pv_incident_release", NULL, PV_REQUESTED, op_incident_release, prepare_sealed },
	{ "pv_retention_plan", NULL, PV_OK, op_retention_plan, NULL },
	{ "pv_retention_apply", NULL, PV_REQUESTED, op_retention_apply, NULL },
	{ "pv_retention_undetermined_count", "retention or report", PV_OK, op_retention_undetermined_count, NULL },
	{ "pv_transfer_plan", NULL, PV_OK, op_transfer_plan, NULL },
	{ "pv_transfer_pin_vault_key", NULL, PV_REQUESTED, op_transfer_pin_vault_key, prepare_plan },
	{ "pv_transfer_list", NULL, PV_OK, op_transfer_list, NULL },
	{ "pv_transfer_assessment", NULL, PV_OK, op_transfer_assessment, NULL },
	{ "pv_transfer_consent", NULL, PV_OK, op_transfer_consent, NULL },
	{ "pv_transfer_exclusions", NULL, PV_OK, op_transfer_exclusions, NULL },
	{ "pv_transfer_notify", NULL, PV_OK, op_transfer_notify, NULL },
	{ "pv_transfer_shred_excluded", NULL, PV_REQUESTED, op_transfer_shred_excluded, NULL },
	{ "pv_handover_export", NULL, PV_REQUESTED, op_handover_export, prepare_plan },
	{ "pv_handover_import", "no package", PV_ERR_BAD_KEY, op_handover_import, NULL },
	{ "pv_handover_check_receipt", "not a receipt", PV_ERR_NOT_FOUND, op_handover_check_receipt, NULL },
	{ "pv_handover_confirm", "not a receipt", PV_ERR_NOT_FOUND, op_handover_confirm, NULL },
	{ "pv_decommission_plan", NULL, PV_OK, op_decommission_plan, NULL },
	{ "pv_decommission_run", NULL, PV_REQUESTED, op_decommission_run, NULL },
	{ "pv_backup_create", NULL, PV_OK, op_backup_create, NULL },
	{ "pv_rekey", NULL, PV_OK, op_rekey, NULL },
	{ "pv_vault_rekey_root", "the current secret", PV_ERR_USAGE, op_vault_rekey_root, NULL },
	{ "pv_notice_record", "transfer", PV_OK, op_notice_transfer, NULL },
	{ "pv_notice_record", "breach", PV_OK, op_notice_breach, NULL },
	{ "pv_notice_record", "dsr-reply", PV_OK, op_notice_dsr_reply, NULL },
	{ "pv_notice_record", "consent", PV_OK, op_notice_consent, NULL },
	{ "pv_notice_record", "policy", PV_OK, op_notice_policy, NULL },
	{ "pv_notice_set_state", "breach", PV_OK, op_notice_set_state, NULL },
	{ "pv_notice_list", NULL, PV_OK, op_notice_list, NULL },
	{ "pv_hold_add", NULL, PV_OK, op_hold_add, NULL },
	{ "pv_hold_release", NULL, PV_OK, op_hold_release, NULL },
	{ "pv_hold_list", NULL, PV_OK, op_hold_list, NULL },
	{ "pv_keyring_escrow", NULL, PV_OK, op_keyring_escrow, NULL },
	{ "pv_audit_log", NULL, PV_OK, op_audit_log, NULL },
	{ "pv_audit_alerts", NULL, PV_OK, op_audit_alerts, NULL },
	{ "pv_audit_set_alert_threshold", NULL, PV_REQUESTED, op_audit_set_alert_threshold, NULL },
	{ "pv_audit_checkpoint", NULL, PV_OK, op_audit_checkpoint, NULL },
	{ "pv_audit_verify", NULL, PV_OK, op_audit_verify, NULL },
	{ "pv_audit_prove", NULL, PV_OK, op_audit_prove, NULL },
	{ "pv_audit_consistency", NULL, PV_OK, op_audit_consistency, NULL },
	{ "pv_doctor", NULL, PV_OK, op_doctor, NULL },
	{ "pv_scan_vault", NULL, PV_OK, op_scan_vault, NULL },
	{ "pv_scan_csv_stream", NULL, PV_OK, op_scan_csv_stream, NULL },
	{ "pv_compliance_report", NULL, PV_OK, op_compliance_report, NULL },
	{ "pv_certificates", "audit or shred", PV_OK, op_certificates, NULL },
	{ "pv_node_list", NULL, PV_OK, op_node_list, NULL },
	{ "pv_node_retire", "unknown node", PV_REQUESTED, op_node_retire, NULL },
	{ "pv_api_token_create", NULL, PV_OK, op_api_token_create, NULL },
	{ "pv_api_token_list", NULL, PV_OK, op_api_token_list, NULL },
	{ "pv_api_token_revoke", "unknown token", PV_ERR_NOT_FOUND, op_api_token_revoke, NULL },
	/* tokens for other systems */
	{ "pv_tokenize", NULL, PV_OK, op_tokenize, NULL },
	{ "pv_detokenize", NULL, PV_OK, op_detokenize, NULL },
	/* no refusal: every role lists (its own requests, or all with 'approve' or 'audit') */
	{ "pv_request_list", NULL, PV_OK, op_request_list, NULL },
	/* issue 13's API gaps */
	{ "pv_audit_checkpoints", NULL, PV_OK, op_audit_checkpoints, NULL },
	{ "pv_export_sealed", NULL, PV_OK, op_export_sealed, NULL },
};
#define NCALLS (sizeof calls / sizeof *calls)

/* The operations that check the roles of the user the session was opened as (who NULL:
 * any of them), called again in sessions of users holding one role each. */
static const struct call session_calls[] = {
	{ "pv_audit_checkpoint", NULL, PV_OK, op_audit_checkpoint, NULL },
	{ "pv_audit_verify", NULL, PV_OK, op_audit_verify, NULL },
	{ "pv_audit_prove", NULL, PV_OK, op_audit_prove, NULL },
	{ "pv_audit_consistency", NULL, PV_OK, op_audit_consistency, NULL },
	{ "pv_doctor", NULL, PV_OK, op_doctor, NULL },
	{ "pv_certificates", "audit or shred", PV_OK, op_certificates, NULL },
};
#define NSESSION_CALLS (sizeof session_calls / sizeof *session_calls)

/* ---- the cells --------------------------------------------------------------------------- */

/* The shared row of c (what it needs). */
static const struct pvat_op *needs_of(const struct call *c)
{
	const struct pvat_op *o = pvat_find(c->fn, c->variant);
	if (!o)
		fail_msg("%s (%s): no row in authz_table.c", c->fn, c->variant ? c->variant : "");
	return o;
}

/* Run c as role r and check the outcome against the tables: 1 when it was refused as
 * they say, 0 when allowed as they say, -1 (the cell printed) when it went otherwise. */
static int run_cell(const struct call *c, const struct pvat_role *r)
{
	const struct pvat_op *o = needs_of(c);
	pv_access who = { r->name, r->purpose, 0 };
	const char *missing = pvat_missing(o, r);
	if (c->prepare)
		c->prepare();
	if (o->four_eyes)
		assert_ok(g_v, pv_request_begin(g_v, "the authorisation matrix", 0, "matrix"));
	pv_rc rc = c->call(&who);
	char msg[1024];
	snprintf(msg, sizeof msg, "%s", pv_errmsg(g_v));
	if (o->four_eyes) { /* leave the asking state: record what was asked, or nothing */
		char *id = NULL;
		pv_rc src = pv_request_submit(g_v, &id);
		assert_true(src == PV_OK || src == PV_ERR_USAGE);
		pv_free(id);
	}
	const char *what = o->variant ? o->variant : "";
	if (!missing) {
		if (rc == c->allowed)
			return 0;
		print_error("%s (%s) as %s: allowed, so want rc %d, got %d: %s\n", o->fn, what,
			    r->name, c->allowed, rc, msg);
		return -1;
	}
	/* find without read: the ids may be had from pv_find, and the refusal says so */
	pv_rc want = strcmp(o->fn, "pv_find_records") == 0 && pvat_grants(r, "find")
		? PV_ERR_FIND_ONLY : PV_ERR_DENIED;
	if (rc != want) {
		print_error("%s (%s) as %s: the role lacks '%s', so want rc %d, got %d: %s\n",
			    o->fn, what, r->name, missing, want, rc, msg);
		return -1;
	}
	/* the message names a permission the role lacks (any of them, if several) */
	if (!pvat_names_missing(o, r, msg)) {
		print_error("%s (%s) as %s: the refusal does not name the missing permission '%s': "
			    "%s\n", o->fn, what, r->name, missing, msg);
		return -1;
	}
	return 1;
}

/* Every operation as every role; each refusal audited as denied. */
static void test_matrix(void **state)
{
	(void)state;
	int before = pvat_denied_entries(g_v), refused = 0, wrong = 0, cells = 0;
	for (size_t k = 0; k < NCALLS; k++)
		for (size_t r = 0; r < pvat_nroles; r++) {
			int got = run_cell(&calls[k], &pvat_roles[r]);
			refused += got == 1;
			wrong += got < 0;
			cells++;
		}
	print_message("%zu operations x %zu roles: %d cells, %d refused\n", NCALLS, pvat_nroles,
		      cells, refused);
	if (wrong)
		fail_msg("%d of %d cells went otherwise than the schema says (listed above)", wrong,
			 cells);
	assert_int_equal(pvat_denied_entries(g_v) - before, refused);
}

/* A user for each role, holding it alone (with the staff obligations its role requires
 * met), opened in a session of their own: the operations that check the session's roles,
 * as each role; each refusal audited as denied. */
static void test_session_roles(void **state)
{
	(void)state;
	pv_vault *root = g_v;
	char today[11];
	pv_date_today(0, today);
	int before = pvat_denied_entries(g_v), refused = 0, wrong = 0, cells = 0;
	for (size_t r = 0; r < pvat_nroles; r++) {
		char name[32], pw[] = "a password for the matrix";
		snprintf(name, sizeof name, "only-%s", pvat_roles[r].name);
		assert_ok(root, pvt_user_add(root, &ADMIN, name, pvat_roles[r].name, pw, strlen(pw)));
		assert_ok(root, pv_user_attest(root, &ADMIN, name, today, today, NULL));
		g_v = pvt_open_user(g_dir, name, pw);
		for (size_t k = 0; k < NSESSION_CALLS; k++) {
			int got = run_cell(&session_calls[k], &pvat_roles[r]);
			refused += got == 1;
			wrong += got < 0;
			cells++;
		}
		pvt_vclose(g_v);
		g_v = root;
	}
	print_message("%zu operations x %zu roles in their own sessions: %d cells, %d refused\n",
		      NSESSION_CALLS, pvat_nroles, cells, refused);
	if (wrong)
		fail_msg("%d of %d cells went otherwise than the schema says (listed above)", wrong,
			 cells);
	assert_int_equal(pvat_denied_entries(g_v) - before, refused);
}

/* ---- the tables are complete -------------------------------------------------------------- */

/* The header with comments blanked out (kept). */
static char *header_code(void)
{
	char *h = pvt_keep(pvt_read_file(HEADER, NULL));
	assert_non_null(h);
	for (char *p = h; (p = strstr(p, "/*")) != NULL;) {
		char *e = strstr(p + 2, "*/");
		assert_non_null(e);
		memset(p, ' ', (size_t)(e + 2 - p));
		p = e + 2;
	}
	return h;
}

static int op_has_row(const char *fn)
{
	for (size_t k = 0; k < pvat_nops; k++)
		if (strcmp(pvat_ops[k].fn, fn) == 0)
			return 1;
	return 0;
}

/* Every declared function taking a pv_access has a row; every row's function is declared. */
static void test_table_covers_the_header(void **state)
{
	(void)state;
	char *h = header_code();
	int with_access = 0;
	for (char *p = h; (p = strstr(p, "PV_API")) != NULL;) {
		char *semi = strchr(p, ';');
		assert_non_null(semi);
		char *paren = memchr(p, '(', (size_t)(semi - p));
		if (paren) {
			char *e = paren;
			while (e > p && isspace((unsigned char)e[-1]))
				e--;
			char *b = e;
			while (b > p && (isalnum((unsigned char)b[-1]) || b[-1] == '_'))
				b--;
			char fn[80];
			snprintf(fn, sizeof fn, "%.*s", (int)(e - b), b);
			char decl[4096];
			snprintf(decl, sizeof decl, "%.*s", (int)(semi - paren), paren);
			if (strncmp(fn, "pv_", 3) == 0 && strstr(decl, "pv_access")) {
				with_access++;
				if (!op_has_row(fn))
					fail_msg("%s takes a pv_access but has no row in the matrix", fn);
			}
		}
		p = semi;
	}
	assert_true(with_access >= 60);
	for (size_t k = 0; k < pvat_nops; k++) {
		const char *fn = pvat_ops[k].fn;
		char want[96];
		snprintf(want, sizeof want, " %s(", fn);
		if (!strstr(h, want))
			fail_msg("row %s: no such function in %s", fn, HEADER);
	}
}

/* Every row of the shared table is called here once, and every call here has its row. */
static void test_every_row_called(void **state)
{
	(void)state;
	for (size_t k = 0; k < pvat_nops; k++) {
		int n = 0;
		for (size_t c = 0; c < NCALLS; c++)
			n += needs_of(&calls[c]) == &pvat_ops[k];
		if (n != 1)
			fail_msg("%s (%s): called %d times", pvat_ops[k].fn,
				 pvat_ops[k].variant ? pvat_ops[k].variant : "", n);
	}
	for (size_t c = 0; c < NSESSION_CALLS; c++)
		needs_of(&session_calls[c]);
}

/* The roles table names exactly the roles the schema declares (the names under roles:). */
static void test_table_covers_the_roles(void **state)
{
	(void)state;
	char *s = pvt_keep(pvt_read_file(SCHEMA, NULL));
	assert_non_null(s);
	char *p = strstr(s, "\nroles:\n");
	assert_non_null(p);
	p += strlen("\nroles:\n");
	size_t declared = 0;
	while (*p == ' ' || *p == '#') {
		char name[64];
		if (sscanf(p, " %63[a-z_-]:", name) == 1 && p[0] == ' ' && p[2] != ' ') {
			declared++;
			int found = 0;
			for (size_t r = 0; r < pvat_nroles; r++)
				found |= strcmp(pvat_roles[r].name, name) == 0;
			if (!found)
				fail_msg("role %s of %s has no row in the matrix", name, SCHEMA);
		}
		char *nl = strchr(p, '\n');
		if (!nl)
			break;
		p = nl + 1;
	}
	assert_int_equal(declared, pvat_nroles);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_covers_the_header),
		cmocka_unit_test(test_table_covers_the_roles),
		cmocka_unit_test(test_every_row_called),
		cmocka_unit_test(test_matrix),
		cmocka_unit_test(test_session_roles),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
