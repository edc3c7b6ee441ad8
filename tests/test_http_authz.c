/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_authz.c: the authorisation matrix through the API, over HTTPS on loopback.
 * The same tables as test_authz_matrix (authz_table.c: what each role of the sample schema
 * is granted, what each operation needs) drive every operation that has a route: a user
 * holding one role signs in, acts in it (?role=, "role") with a purpose the role may use,
 * and calls the route. Allowed: the route's success (2xx; 202 with a request for an
 * operation under four eyes; the library's answer for an unknown object where the table
 * calls one). Refused: 403 "forbidden" whose message names a permission the role lacks,
 * nothing in the vault changed (every table but the audit log's and the sessions' read
 * back the same), and the refusal audited as denied. The same cells called again with an
 * API token of each role (a script's bearer acts in its token's one role). An operation of
 * the table without a route is listed as CLI only, with why: one neither driven nor
 * listed fails test_routes_name_rows. */
#include "testutil.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "authz_table.h"
#include "formats/age.h"
#include "pivault.h"
#include "server.h"
#include "server_client.h"

static const char PW[] = "authz-password-1";

static struct pvts_fixture g_f; /* the vault with its users, the server over HTTPS */
static pv_vault *g_root;        /* the root's handle: makes what a cell acts on */
static unsigned g_serial;       /* makes names unique */
static const pv_access ADMIN = { "admin", "all", 0 };

/* The user of the cast (server_client.c) holding each role alone. */
static const char *user_of(const char *role)
{
	static const char *const users[][2] = { { "admin", "adm" },   { "dpo", "dpo1" },
						{ "clerk", "clerk1" }, { "finance", "fin" },
						{ "auditor", "aud" } };
	for (size_t i = 0; i < sizeof users / sizeof *users; i++)
		if (strcmp(users[i][0], role) == 0)
			return users[i][1];
	fail_msg("no user holds role %s", role);
	return NULL;
}

/* An age identity file in a folder of its own (the server opens packages with it, so
 * that POST /v1/handover/imports reaches the library). */
static char *g_ident_dir, *g_ident;

static void make_identity(void)
{
	g_ident_dir = pvt_tempdir();
	g_ident = pvt_path(g_ident_dir, "handover.age-key");
	uint8_t sk[PV_AGE_KEY], pk[PV_AGE_KEY];
	pv_age_keygen(sk, pk);
	char *id = pv_age_format_identity(sk);
	assert_non_null(id);
	assert_int_equal(pvt_write_file(g_ident, id, strlen(id)), 0);
	assert_int_equal(chmod(g_ident, 0600), 0);
	sodium_memzero(id, strlen(id));
	sodium_memzero(sk, sizeof sk);
	free(id);
}

static int group_setup(void **state)
{
	(void)state;
	make_identity();
	struct pvs_config c = pvts_roomy_config();
	c.handover_identity = g_ident;
	pvts_fixture_up(&g_f, &(struct pvts_spec){ .customers = 8, .seed = 21, .password = PW,
						    .max_body = 65536, .config = &c, .tls = 1 });
	g_root = pvt_open_root(g_f.dir, NULL, g_f.key_path);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	pvts_fixture_down(&g_f); /* closes g_root too (pvt_release_all) */
	pvt_rmtree(g_ident_dir);
	free(g_ident_dir);
	free(g_ident);
	return 0;
}

/* ---- what a cell acts on, made by the root ------------------------------------------- */

static const char *kept(char *s)
{
	return pvt_keep(s);
}

static const char *an_hour_ago(void)
{
	static char at[32];
	time_t t = time(NULL) - 3600;
	strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	return at;
}

static const char *dsr_of(const char *customer, const char *type)
{
	char *id = NULL;
	assert_ok(g_root, pv_dsr_open(g_root, &ADMIN, customer, type, NULL, &id));
	return kept(id);
}

static const char *dsr_access(const struct pvat_role *r)
{
	(void)r;
	return dsr_of("C00000001", "access");
}
static const char *dsr_delete(const struct pvat_role *r)
{
	(void)r;
	return dsr_of("C00000005", "delete");
}
static const char *dsr_object(const struct pvat_role *r)
{
	(void)r;
	return dsr_of("C00000006", "object");
}
static const char *dsr_correct(const struct pvat_role *r)
{
	(void)r;
	return dsr_of("C00000003", "correct");
}

static const char *incident(const struct pvat_role *r)
{
	(void)r;
	char *id = NULL;
	assert_ok(g_root, pv_incident_open(g_root, &ADMIN, PV_INCIDENT_LEAK, an_hour_ago(),
					   "an incident", &id));
	return kept(id);
}

/* An incident scoped to C00000007 (read by the admin first); the last one made here
 * released first, in case a cell sealed it. */
static const char *scoped_incident(const struct pvat_role *r)
{
	static const char *last;
	size_t released = 0;
	if (last) { /* released when a cell sealed it, else refused as not sealed */
		pv_rc rc = pv_incident_release(g_root, &ADMIN, last, &released);
		(void)rc;
	}
	pv_record *rec = NULL;
	const pv_access reader = { "admin", "service", 0 };
	assert_ok(g_root, pv_get(g_root, &reader, "C00000007", &rec));
	pv_record_free(rec);
	const char *only[] = { "C00000007" };
	pv_incident_filter f = { NULL, NULL, NULL, "read", only, 1 };
	pv_incident_counts n;
	const char *id = incident(r);
	assert_ok(g_root, pv_incident_scope(g_root, &ADMIN, id, &f, &n));
	last = id;
	return id;
}

static const char *sealed_incident(const struct pvat_role *r)
{
	(void)r;
	const char *id = scoped_incident(r);
	size_t n = 0;
	assert_ok(g_root, pv_incident_seal(g_root, &ADMIN, id, &n));
	return id;
}

static const char *transfer_plan(const struct pvat_role *r)
{
	(void)r;
	uint8_t sk[PV_AGE_KEY], pk[PV_AGE_KEY];
	pv_age_keygen(sk, pk);
	char *key = pv_age_format_recipient(pk);
	char today[11];
	time_t t = time(NULL);
	strftime(today, sizeof today, "%Y-%m-%d", gmtime(&t));
	pv_transfer_spec spec = { .recipient_name = "Buyer Ltd", .recipient_contact = "dpo@buyer",
				  .recipient_key = key, .deadline = today };
	char *id = NULL;
	assert_ok(g_root, pv_transfer_plan(g_root, &ADMIN, &spec, &id));
	free(key);
	return kept(id);
}

static const char *breach_notice(const struct pvat_role *r)
{
	(void)r;
	int64_t id = 0;
	assert_ok(g_root, pv_notice_record(g_root, &ADMIN, "C00000001", "breach", "v1", "sms",
					   "sent", &id));
	char *s = malloc(24);
	snprintf(s, 24, "%lld", (long long)id);
	return kept(s);
}

static const char *fresh_user(const struct pvat_role *r)
{
	(void)r;
	char *name = malloc(32);
	snprintf(name, 32, "temp%u", ++g_serial);
	assert_ok(g_root, pvt_user_add(g_root, &ADMIN, name, "clerk", PW, strlen(PW)));
	return kept(name);
}

static const char *fresh_name(const struct pvat_role *r)
{
	(void)r;
	char *name = malloc(32);
	snprintf(name, 32, "newbie%u", ++g_serial);
	return kept(name);
}

static const char *checkpoint(const struct pvat_role *r)
{
	(void)r;
	char *text = NULL;
	assert_ok(g_root, pv_audit_checkpoint(g_root, &ADMIN, &text));
	json_t *s = json_string(text);
	pv_free(text);
	char *quoted = json_dumps(s, JSON_ENCODE_ANY);
	json_decref(s);
	return kept(quoted);
}

/* The purpose a role detokenizes for: billing for finance, service for the others. */
static const char *detok_purpose(const struct pvat_role *r)
{
	return strcmp(r->purpose, "billing") == 0 ? "billing" : "service";
}

/* A token of C00000002's name for the purpose r detokenizes for. */
static const char *name_token(const struct pvat_role *r)
{
	pv_access a = { "admin", detok_purpose(r), 0 };
	char *t = NULL;
	assert_ok(g_root, pv_tokenize(g_root, &a, "C00000002", "name", PV_TOKEN_RANDOM,
				      PV_TOKEN_OPAQUE, &t));
	char *copy = strdup(t);
	pv_free(t);
	return kept(copy);
}

/* C00000001's phone, as a query argument (percent-encoded). */
static const char *first_phone(const struct pvat_role *r)
{
	(void)r;
	const char *phone = pvt_csv_get(&g_f.csv, 1, "phone");
	assert_non_null(phone);
	char *q = malloc(3 * strlen(phone) + 1), *o = q;
	for (const unsigned char *p = (const unsigned char *)phone; *p; p++)
		o += sprintf(o, (*p >= '0' && *p <= '9') ? "%c" : "%%%02X", *p);
	return kept(q);
}

static const char *recipient(const struct pvat_role *r)
{
	(void)r;
	uint8_t sk[PV_AGE_KEY], pk[PV_AGE_KEY];
	pv_age_keygen(sk, pk);
	return kept(pv_age_format_recipient(pk));
}

/* A legal hold on C00000002 (what releasing one needs). */
static const char *held(const struct pvat_role *r)
{
	(void)r;
	static const char *const ids[] = { "C00000002" };
	pv_rc rc = pv_hold_add(g_root, &ADMIN, ids, 1, "litigation");
	assert_true(rc == PV_OK || rc == PV_ERR_EXISTS);
	return "";
}

/* A plan to a recipient abroad under a standard contract (it asks separate consent). */
static const char *cross_border_plan(const struct pvat_role *r)
{
	char *id = NULL;
	pv_transfer_spec spec = { .recipient_name = "Buyer Inc", .recipient_contact = "dpo@buyer",
				  .recipient_key = recipient(r), .recipient_country = "US",
				  .legal_basis = "standard-contract" };
	assert_ok(g_root, pv_transfer_plan(g_root, &ADMIN, &spec, &id));
	return kept(id);
}

/* A complaint about C00000004, opened by the root. */
static const char *complaint(const struct pvat_role *r)
{
	(void)r;
	char *id = NULL;
	assert_ok(g_root, pv_complaint_open(g_root, &ADMIN, "C00000004", NULL, "a rude call",
					    &id));
	return kept(id);
}

/* ---- the routes of the operations ----------------------------------------------------
 * path and body may hold {R} (the role acted in), {P} (its purpose), {T} (a purpose for a
 * token: billing for a role that may use them all), {D} (the purpose it detokenizes for)
 * and {A} (what prepare made). allowed: the status when let in (0: any 2xx; 404 and 422
 * where the table calls the library with an unknown object or a file that is not one). */
struct route {
	const char *fn, *variant;
	const char *method, *path, *body;
	int allowed;
	int no_token; /* 1: refused to every API token (403), whatever its role */
	const char *(*prepare)(const struct pvat_role *r);
};

#define Q "role={R}&purpose={P}"
static const char RAW_CSV[] = "remark\r\ncall 13912345678\r\n";
#define KEY64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const struct route routes[] = {
	{ "pv_get", NULL, "GET", "/v1/customers/C00000001?" Q, NULL, 0, 0, NULL },
	{ "pv_find_records", NULL, "GET", "/v1/customers?phone={A}&" Q, NULL, 0, 0, first_phone },
	{ "pv_list", NULL, "GET", "/v1/customers?limit=3&" Q, NULL, 0, 0, NULL },
	{ "pv_update_fields", NULL, "PATCH", "/v1/customers/C00000002?" Q,
	  "{\"fields\":{\"email\":\"changed@example.com\"}}", 0, 0, NULL },
	{ "pv_export", "masked", "GET", "/v1/export?" Q, NULL, 0, 0, NULL },
	{ "pv_export", "clear", "GET", "/v1/export?clear=true&reason=matrix&" Q, NULL, 202, 0, NULL },
	{ "pv_user_add", NULL, "POST", "/v1/users?" Q,
	  "{\"name\":\"{A}\",\"roles\":\"clerk\",\"role\":\"{R}\"}", 202, 0, fresh_name },
	{ "pv_user_reset", NULL, "POST", "/v1/users/{A}/reset?" Q,
	  "{\"reason\":\"matrix\",\"role\":\"{R}\"}", 202, 0, fresh_user },
	{ "pv_user_disable", NULL, "POST", "/v1/users/{A}/disable?" Q, "{\"role\":\"{R}\"}", 0, 0,
	  fresh_user },
	{ "pv_user_attest", NULL, "POST", "/v1/users/{A}/attest?" Q,
	  "{\"agreement\":\"2026-01-05\",\"training\":\"2026-01-06\",\"role\":\"{R}\"}", 0, 0,
	  fresh_user },
	{ "pv_user_list", NULL, "GET", "/v1/users?" Q, NULL, 0, 0, NULL },
	{ "pv_request_decide", "unknown request", "POST", "/v1/requests/R-0000000000/approve?" Q,
	  "{\"role\":\"{R}\"}", 404, 0, NULL },
	{ "pv_request_decide_why", "unknown request", "POST",
	  "/v1/requests/R-0000000000/reject?" Q, "{\"reason\":\"no\",\"role\":\"{R}\"}", 404, 0, NULL },
	{ "pv_consent_set", NULL, "POST", "/v1/customers/C00000003/consent?" Q,
	  "{\"purpose\":\"marketing\",\"granted\":true,\"channel\":\"web\",\"text_version\":\"v1\","
	  "\"role\":\"{R}\"}", 0, 0, NULL },
	{ "pv_consent_history", NULL, "GET", "/v1/customers/C00000003/consent?" Q, NULL, 0, 0, NULL },
	{ "pv_dsr_open", NULL, "POST", "/v1/dsr?" Q,
	  "{\"customer\":\"C00000004\",\"kind\":\"access\",\"role\":\"{R}\"}", 0, 0, NULL },
	{ "pv_dsr_delete", NULL, "POST", "/v1/dsr/{A}/delete?" Q,
	  "{\"reason\":\"asked\",\"role\":\"{R}\"}", 202, 0, dsr_delete },
	{ "pv_dsr_fulfil", NULL, "POST", "/v1/dsr/{A}/fulfil?" Q, "{\"role\":\"{R}\"}", 0, 0,
	  dsr_object },
	{ "pv_dsr_lift", NULL, "POST", "/v1/dsr/lift?" Q,
	  "{\"customer\":\"C00000006\",\"what\":\"objection\",\"role\":\"{R}\"}", 0, 0, NULL },
	{ "pv_dsr_correct", NULL, "POST", "/v1/dsr/{A}/correct?" Q,
	  "{\"fields\":{\"email\":\"fixed@example.com\"},\"role\":\"{R}\"}", 0, 0, dsr_correct },
	{ "pv_dsr_close", NULL, "POST", "/v1/dsr/{A}/close?" Q,
	  "{\"outcome\":\"answered\",\"role\":\"{R}\"}", 0, 0, dsr_access },
	{ "pv_dsr_list", NULL, "GET", "/v1/dsr?" Q, NULL, 0, 0, NULL },
	{ "pv_dsr_access_report", NULL, "GET", "/v1/dsr/{A}/report?" Q, NULL, 0, 1, dsr_access },
	{ "pv_incident_open", NULL, "POST", "/v1/incidents?" Q,
	  "{\"kind\":\"loss\",\"detected_at\":\"2026-01-02T03:04:05Z\",\"description\":\"a disk\","
	  "\"role\":\"{R}\"}", 0, 0, NULL },
	{ "pv_incident_scope", NULL, "POST", "/v1/incidents/{A}/scope?" Q,
	  "{\"customers\":[\"C00000008\"],\"role\":\"{R}\"}", 0, 0, incident },
	{ "pv_incident_set_state", NULL, "POST", "/v1/incidents/{A}/state?" Q,
	  "{\"to\":\"contained\",\"role\":\"{R}\"}", 0, 0, incident },
	{ "pv_incident_get", NULL, "GET", "/v1/incidents/{A}?" Q, NULL, 0, 0, incident },
	{ "pv_incident_list", NULL, "GET", "/v1/incidents?" Q, NULL, 0, 0, NULL },
	{ "pv_incident_notify", NULL, "POST", "/v1/incidents/{A}/notify?" Q,
	  "{\"purpose\":\"service\",\"lang\":\"en\",\"company\":\"Example Logistics\","
	  "\"contact\":\"dpo@example.com\",\"cause\":\"misuse\",\"harm\":\"calls\","
	  "\"remedies\":\"disabled\",\"actions\":\"beware\",\"role\":\"{R}\"}", 0, 0,
	  scoped_incident },
	{ "pv_incident_seal", NULL, "POST", "/v1/incidents/{A}/seal?" Q, "{\"role\":\"{R}\"}", 0, 0,
	  scoped_incident },
	{ "pv_incident_release", NULL, "POST", "/v1/incidents/{A}/release?" Q,
	  "{\"reason\":\"contained\",\"role\":\"{R}\"}", 202, 0, sealed_incident },
	{ "pv_retention_plan", NULL, "GET", "/v1/retention/plan?as_of=2099-01-01&" Q, NULL, 0, 0,
	  NULL },
	{ "pv_retention_apply", NULL, "POST", "/v1/retention/apply?" Q,
	  "{\"as_of\":\"2099-01-01\",\"reason\":\"yearly\",\"role\":\"{R}\"}", 202, 0, NULL },
	{ "pv_hold_add", NULL, "POST", "/v1/holds?" Q,
	  "{\"customers\":[\"C00000002\"],\"reason\":\"litigation\",\"role\":\"{R}\"}", 0, 0, NULL },
	{ "pv_hold_release", NULL, "POST", "/v1/holds/release?" Q,
	  "{\"customers\":[\"C00000002\"],\"reason\":\"settled\",\"role\":\"{R}\"}", 0, 0, held },
	{ "pv_hold_list", NULL, "GET", "/v1/holds?" Q, NULL, 0, 0, NULL },
	{ "pv_transfer_plan", NULL, "POST", "/v1/transfers?" Q,
	  "{\"recipient_name\":\"Buyer Ltd\",\"recipient_contact\":\"dpo@buyer\","
	  "\"recipient_key\":\"{A}\",\"role\":\"{R}\"}", 0, 0, recipient },
	{ "pv_transfer_list", NULL, "GET", "/v1/transfers?" Q, NULL, 0, 0, NULL },
	{ "pv_transfer_assessment", NULL, "GET", "/v1/transfers/{A}/assessment?" Q, NULL, 0, 0,
	  transfer_plan },
	{ "pv_transfer_notify", NULL, "POST", "/v1/transfers/{A}/notices?" Q,
	  "{\"purpose\":\"{P}\",\"role\":\"{R}\"}", 0, 0, transfer_plan },
	{ "pv_transfer_consent", NULL, "POST", "/v1/transfers/{A}/consents?" Q,
	  "{\"customer\":\"C00000001\",\"granted\":true,\"channel\":\"app\",\"role\":\"{R}\"}", 0, 0,
	  cross_border_plan },
	{ "pv_transfer_exclusions", NULL, "GET", "/v1/transfers/{A}/exclusions?" Q, NULL, 0, 0,
	  transfer_plan },
	{ "pv_transfer_shred_excluded", NULL, "POST", "/v1/transfers/{A}/shred-excluded?" Q,
	  "{\"reason\":\"refused\",\"role\":\"{R}\"}", 202, 0, transfer_plan },
	{ "pv_handover_export", NULL, "POST", "/v1/transfers/{A}/package?" Q,
	  "{\"reason\":\"handover\",\"role\":\"{R}\"}", 202, 0, transfer_plan },
	{ "pv_decommission_plan", NULL, "GET", "/v1/decommission?" Q, NULL, 0, 0, NULL },
	{ "pv_decommission_run", NULL, "POST", "/v1/decommission?" Q,
	  "{\"keeper_name\":\"Keeper\",\"keeper_contact\":\"k@keeper\",\"keeper_key\":\"{A}\","
	  "\"reason\":\"closing\",\"role\":\"{R}\"}", 202, 0, recipient },
	{ "pv_transfer_pin_vault_key", NULL, "POST", "/v1/transfers/{A}/vault-key?" Q,
	  "{\"key\":\"" KEY64 "\",\"reason\":\"read back\",\"role\":\"{R}\"}", 202, 0,
	  transfer_plan },
	{ "pv_handover_check_receipt", "not a receipt", "POST", "/v1/handover/receipt-checks?" Q,
	  "{\"receipt\":\"{}\",\"role\":\"{R}\"}", 422, 0, NULL },
	{ "pv_handover_confirm", "not a receipt", "POST", "/v1/handover/confirmations?" Q,
	  "{\"receipt\":\"{}\",\"reason\":\"received\",\"role\":\"{R}\"}", 422, 0, NULL },
	{ "pv_notice_set_state", "breach", "POST", "/v1/notices/{A}/state?" Q,
	  "{\"state\":\"delivered\",\"role\":\"{R}\"}", 0, 0, breach_notice },
	{ "pv_notice_list", NULL, "GET", "/v1/notices?" Q, NULL, 0, 0, NULL },
	{ "pv_audit_log", NULL, "GET", "/v1/audit?limit=3&" Q, NULL, 0, 0, NULL },
	{ "pv_audit_alerts", NULL, "GET", "/v1/audit/alerts?" Q, NULL, 0, 0, NULL },
	{ "pv_audit_set_alert_threshold", NULL, "POST", "/v1/audit/threshold?" Q,
	  "{\"per_hour\":100,\"reason\":\"matrix\",\"role\":\"{R}\"}", 202, 0, NULL },
	{ "pv_audit_checkpoint", NULL, "POST", "/v1/audit/checkpoints?" Q, NULL, 0, 0, NULL },
	{ "pv_audit_verify", NULL, "GET", "/v1/audit/verify?" Q, NULL, 0, 0, NULL },
	{ "pv_audit_prove", NULL, "GET", "/v1/audit/proofs/1?" Q, NULL, 0, 0, NULL },
	{ "pv_audit_consistency", NULL, "POST", "/v1/audit/consistency?" Q,
	  "{\"checkpoint\":{A},\"role\":\"{R}\"}", 0, 0, checkpoint },
	{ "pv_scan_vault", NULL, "GET", "/v1/scan/vault?" Q, NULL, 0, 0, NULL },
	{ "pv_scan_csv_stream", NULL, "POST", "/v1/scan?" Q, RAW_CSV, 0, 0, NULL },
	{ "pv_compliance_report", NULL, "GET", "/v1/report?" Q, NULL, 0, 0, NULL },
	{ "pv_api_token_create", NULL, "POST", "/v1/tokens?" Q,
	  "{\"user\":\"adm\",\"role\":\"admin\",\"purposes\":[\"service\"],\"expires_in\":600}", 0, 1,
	  NULL },
	{ "pv_api_token_list", NULL, "GET", "/v1/tokens?" Q, NULL, 0, 1, NULL },
	{ "pv_api_token_revoke", "unknown token", "DELETE", "/v1/tokens/0123456789abcdef?" Q,
	  NULL, 404, 1, NULL },
	{ "pv_tokenize", NULL, "POST", "/v1/tokenize?role={R}&purpose={T}",
	  "{\"customer\":\"C00000002\",\"field\":\"phone\",\"role\":\"{R}\",\"purpose\":\"{T}\"}", 0, 0,
	  NULL },
	{ "pv_detokenize", NULL, "POST", "/v1/detokenize?role={R}&purpose={D}",
	  "{\"token\":\"{A}\",\"role\":\"{R}\",\"purpose\":\"{D}\"}", 0, 0, name_token },
	{ "pv_request_list", NULL, "GET", "/v1/requests?" Q, NULL, 0, 0, NULL },
	/* session 11: the rest of the operations that have a route */
	{ "pv_find", NULL, "GET", "/v1/customers?phone={A}&" Q, NULL, 0, 0, first_phone },
	{ "pv_audit_checkpoints", NULL, "GET", "/v1/audit/checkpoints?" Q, NULL, 0, 0, NULL },
	{ "pv_export_sealed", NULL, "GET", "/v1/export/summary?" Q, NULL, 0, 0, NULL },
	{ "pv_import_csv_fd", NULL, "POST", "/v1/import?" Q, "not,a\r\nvalid,header\r\n", 422, 0,
	  NULL },
	{ "pv_handover_import", "no package", "POST", "/v1/handover/imports?" Q, "not a package",
	  422, 0, NULL },
	{ "pv_complaint_open", NULL, "POST", "/v1/complaints?" Q,
	  "{\"customer\":\"C00000004\",\"text\":\"a late reply\",\"role\":\"{R}\"}", 0, 0, NULL },
	{ "pv_complaint_note", NULL, "POST", "/v1/complaints/{A}/notes?" Q,
	  "{\"text\":\"called back\",\"role\":\"{R}\"}", 0, 0, complaint },
	{ "pv_complaint_resolve", NULL, "POST", "/v1/complaints/{A}/resolve?" Q,
	  "{\"outcome\":\"apologised\",\"role\":\"{R}\"}", 0, 0, complaint },
	{ "pv_complaint_list", NULL, "GET", "/v1/complaints?" Q, NULL, 0, 0, NULL },
	{ "pv_complaint_show", NULL, "GET", "/v1/complaints/{A}?" Q, NULL, 0, 0, complaint },
	{ "pv_shred", NULL, "POST", "/v1/customers/C00000008/shred?" Q,
	  "{\"reason\":\"asked\",\"role\":\"{R}\"}", 202, 0, NULL },
	/* session 12: the notices register's record and the accuracy reviews */
	{ "pv_notice_record", "transfer", "POST", "/v1/notices?" Q,
	  "{\"customer\":\"C00000001\",\"kind\":\"transfer\",\"text_version\":\"v1\","
	  "\"channel\":\"letter\",\"role\":\"{R}\"}", 0, 0, NULL },
	{ "pv_notice_record", "breach", "POST", "/v1/notices?" Q,
	  "{\"customer\":\"C00000001\",\"kind\":\"breach\",\"text_version\":\"v1\","
	  "\"channel\":\"sms\",\"role\":\"{R}\"}", 0, 0, NULL },
	{ "pv_notice_record", "dsr-reply", "POST", "/v1/notices?" Q,
	  "{\"customer\":\"C00000002\",\"kind\":\"dsr-reply\",\"text_version\":\"v1\","
	  "\"channel\":\"email\",\"state\":\"queued\",\"role\":\"{R}\"}", 0, 0, NULL },
	{ "pv_notice_record", "consent", "POST", "/v1/notices?" Q,
	  "{\"customer\":\"C00000003\",\"kind\":\"consent\",\"text_version\":\"v2\","
	  "\"channel\":\"app\",\"role\":\"{R}\"}", 0, 0, NULL },
	{ "pv_notice_record", "policy", "POST", "/v1/notices?" Q,
	  "{\"customer\":\"C00000004\",\"kind\":\"policy\",\"text_version\":\"2026\","
	  "\"channel\":\"in-person\",\"role\":\"{R}\"}", 0, 0, NULL },
	{ "pv_review_due", NULL, "GET", "/v1/reviews/due?months=1&" Q, NULL, 0, 0, NULL },
	{ "pv_review_confirm", NULL, "POST", "/v1/customers/C00000005/confirmations?" Q,
	  "{\"channel\":\"phone\",\"role\":\"{R}\"}", 0, 0, NULL },
};
#define NROUTES (sizeof routes / sizeof *routes)

/* The operations of authz_table.c that no route drives, each with why (a user of the API
 * does not need it: it acts on the vault's machine, or the API reaches it another way). */
static const struct {
	const char *fn, *variant, *why;
} cli_only[] = {
	{ "pv_get_many", NULL, "a batch read for programs linked with the library; over HTTP each "
	  "customer is one audited GET /v1/customers/{id}" },
	{ "pv_update", NULL, "the whole-record update; the API changes fields (PATCH "
	  "/v1/customers/{id}: pv_update_fields)" },
	{ "pv_export_file", NULL, "writes a file on the vault's machine; the API streams the "
	  "export (GET /v1/export)" },
	{ "pv_import_csv", NULL, "reads a file by path on the vault's machine; the API streams "
	  "the body (POST /v1/import: pv_import_csv_fd)" },
	{ "pv_retention_undetermined_count", "retention or report", "counted inside the report "
	  "and the retention plan the API answers" },
	{ "pv_certificates", "audit or shred", "reads the shred ledger beside the keyring; the "
	  "API answers each certificate with its shred" },
	{ "pv_backup_create", NULL, "writes a backup file on the vault's machine" },
	{ "pv_keyring_escrow", NULL, "writes the keyring's escrow file for offline keeping" },
	{ "pv_rekey", NULL, "re-encrypts the whole vault: an operator's task on its machine" },
	{ "pv_vault_rekey_root", "the current secret", "changes the root secret the server itself "
	  "was started with" },
	{ "pv_doctor", NULL, "checks the vault's files on its machine" },
	{ "pv_node_list", NULL, "the keyring nodes, each a vault directory on its own machine: "
	  "an operator's view" },
	{ "pv_node_retire", "unknown node", "says a machine's keyring is destroyed: an operator's "
	  "task, under four eyes" },
};
#define NCLI_ONLY (sizeof cli_only / sizeof *cli_only)

/* The audit log holds want denied entries (the server's group commit may lag: up to 2 s). */
static void expect_denied(int want)
{
	int got = pvat_denied_entries(g_root);
	for (int tries = 0; got < want && tries < 100; tries++) {
		struct timespec t = { 0, 20 * 1000000L };
		nanosleep(&t, NULL);
		got = pvat_denied_entries(g_root);
	}
	assert_int_equal(got, want);
}

/* ---- the cells ------------------------------------------------------------------------ */

/* tmpl with {R}, {P}, {T}, {D} and {A} replaced (into out, n bytes). */
static void fill(char *out, size_t n, const char *tmpl, const struct pvat_role *r,
		 const char *arg)
{
	const char *token_purpose = strcmp(r->purpose, "all") == 0 ? "billing" : r->purpose;
	size_t at = 0;
	for (const char *p = tmpl; *p; p++) {
		const char *put = NULL;
		if (p[0] == '{' && p[1] && p[2] == '}') {
			put = p[1] == 'R' ? r->name : p[1] == 'P' ? r->purpose : p[1] == 'T'
				? token_purpose : p[1] == 'D' ? detok_purpose(r) : p[1] == 'A'
				? arg : NULL;
		}
		if (put) {
			at += (size_t)snprintf(out + at, n - at, "%s", put);
			p += 2;
		} else if (at + 1 < n) {
			out[at++] = *p;
		}
		assert_true(at < n);
	}
	out[at] = '\0';
}

/* The route's call as role r with bearer (its path into path, n bytes); when changed is not
 * NULL, whether the vault changed meanwhile. */
static struct pvts_resp call_route(const struct route *rt, const struct pvat_role *r,
				   const char *bearer, char *path, size_t n, int *changed)
{
	const char *arg = rt->prepare ? rt->prepare(r) : "";
	char body[8192];
	fill(path, n, rt->path, r, arg);
	fill(body, sizeof body, rt->body ? rt->body : "", r, arg);
	unsigned char before[32], after[32];
	if (changed)
		pvts_vault_digest(g_f.dir, before);
	struct pvts_resp resp = pvts_http(g_f.port, rt->method, path, bearer, body, strlen(body));
	if (changed) {
		pvts_vault_digest(g_f.dir, after);
		*changed = memcmp(before, after, sizeof before) != 0;
	}
	return resp;
}

/* A route no API token may use, called with one: 2 when refused (403) with nothing
 * changed, -1 (printed) else. */
static int token_refused(const struct route *rt, const struct pvat_role *r, const char *bearer)
{
	char path[1024];
	int changed = 0;
	struct pvts_resp resp = call_route(rt, r, bearer, path, sizeof path, &changed);
	const char *code = pvts_err_code(&resp);
	int ok = resp.status == 403 && code && strcmp(code, "forbidden") == 0 && !changed;
	if (!ok)
		print_error("%s %s as %s with an API token: want 403 and nothing changed, got %d%s: "
			    "%s\n", rt->method, path, r->name, resp.status,
			    changed ? " (changed)" : "", resp.body ? resp.body : "");
	pvts_resp_free(&resp);
	return ok ? 2 : -1;
}

/* The route's call as role r with bearer (an API token when token): 0 when allowed as the
 * tables say, 1 when refused as they say (403 naming the permission, nothing changed), 2
 * when refused to an API token as the route says (403, nothing changed), -1 (printed) else. */
static int run_cell(const struct route *rt, const struct pvat_role *r, const char *bearer,
		    int token)
{
	const struct pvat_op *o = pvat_find(rt->fn, rt->variant);
	if (!o)
		fail_msg("%s (%s): no row in authz_table.c", rt->fn, rt->variant ? rt->variant : "");
	const char *missing = pvat_missing(o, r);
	if (token && rt->no_token)
		return token_refused(rt, r, bearer);
	char path[1024];
	int changed = 0;
	struct pvts_resp resp = call_route(rt, r, bearer, path, sizeof path,
					   missing ? &changed : NULL);
	int got = missing ? 1 : 0;
	const char *code = pvts_err_code(&resp);
	if (!missing && !(rt->allowed ? resp.status == rt->allowed
				      : resp.status >= 200 && resp.status < 300)) {
		print_error("%s %s as %s: allowed, so want %d, got %d: %s\n", rt->method, path,
			    r->name, rt->allowed ? rt->allowed : 200, resp.status,
			    resp.body ? resp.body : "");
		got = -1;
	} else if (missing && (resp.status != 403 || !code || strcmp(code, "forbidden") != 0 ||
			       !pvat_names_missing(o, r, pvts_err_msg(&resp)))) {
		print_error("%s %s as %s: the role lacks '%s', so want 403 forbidden naming it, "
			    "got %d: %s\n", rt->method, path, r->name, missing, resp.status,
			    resp.body ? resp.body : "");
		got = -1;
	} else if (missing && changed) {
		print_error("%s %s as %s: refused, but the vault changed\n", rt->method, path,
			    r->name);
		got = -1;
	}
	pvts_resp_free(&resp);
	return got;
}

/* Every route as every role of roles (pvat_nroles), with the bearer bearers[r] gives; each
 * refusal audited. */
static void run_matrix(const struct pvat_role *roles, char *const bearers[], int token,
		       const char *what)
{
	int before = pvat_denied_entries(g_root), refused = 0, wrong = 0, cells = 0, token_refusals = 0;
	for (size_t k = 0; k < NROUTES; k++)
		for (size_t r = 0; r < pvat_nroles; r++) {
			int got = run_cell(&routes[k], &roles[r], bearers[r], token);
			refused += got == 1;
			token_refusals += got == 2;
			wrong += got < 0;
			cells++;
		}
	print_message("%zu routes x %zu roles (%s): %d cells, %d refused (%d to any API token)\n",
		      NROUTES, pvat_nroles, what, cells, refused, token_refusals);
	if (wrong)
		fail_msg("%d of %d cells went otherwise than the schema says (listed above)", wrong,
			 cells);
	expect_denied(before + refused + token_refusals);
}

/* Each role's user signed in; the matrix with their sessions' tokens. */
static void test_matrix_sessions(void **state)
{
	(void)state;
	char *bearers[8];
	assert_true(pvat_nroles <= 8);
	for (size_t r = 0; r < pvat_nroles; r++)
		bearers[r] = pvt_keep(pvts_sign_in(g_f.port, user_of(pvat_roles[r].name), PW));
	run_matrix(pvat_roles, bearers, 0, "sign-in sessions");
}

/* An API token for each role's user, in that role with one purpose (service where the role
 * may use them all: a token names its purposes); the matrix again. */
static void test_matrix_api_tokens(void **state)
{
	(void)state;
	char *bearers[8];
	struct pvat_role roles[8];
	for (size_t r = 0; r < pvat_nroles; r++) {
		roles[r] = pvat_roles[r];
		if (strcmp(roles[r].purpose, "all") == 0)
			roles[r].purpose = "service";
		const struct pvat_role *role = &roles[r];
		char *id = NULL, *token = NULL;
		assert_ok(g_root, pv_api_token_create(g_root, &ADMIN, user_of(role->name),
						      role->name, role->purpose, 3600, &id,
						      &token));
		bearers[r] = pvt_keep(strdup(token));
		pv_free(id);
		pv_free(token);
	}
	run_matrix(roles, bearers, 1, "API tokens");
}

/* The digest a refusal is checked with sees a change: an allowed update moves it. */
static void test_digest_sees_a_change(void **state)
{
	(void)state;
	unsigned char before[32], after[32];
	pvts_vault_digest(g_f.dir, before);
	char *adm = pvts_sign_in(g_f.port, "adm", PW);
	const char body[] = "{\"fields\":{\"email\":\"seen@example.com\"}}";
	struct pvts_resp r = pvts_http(g_f.port, "PATCH", "/v1/customers/C00000008?role=admin&"
				       "purpose=all", adm, body, strlen(body));
	assert_int_equal(r.status / 100, 2);
	pvts_resp_free(&r);
	free(adm);
	pvts_vault_digest(g_f.dir, after);
	assert_memory_not_equal(before, after, sizeof before);
}

/* Every route and every CLI-only entry names a row of the shared table; every row is
 * driven here or listed as CLI only with why, never both. */
static void test_routes_name_rows(void **state)
{
	(void)state;
	size_t driven = 0, listed = 0;
	for (size_t k = 0; k < NROUTES; k++)
		if (!pvat_find(routes[k].fn, routes[k].variant))
			fail_msg("route %s %s: %s has no row in authz_table.c", routes[k].method,
				 routes[k].path, routes[k].fn);
	for (size_t k = 0; k < NCLI_ONLY; k++)
		if (!pvat_find(cli_only[k].fn, cli_only[k].variant) || !*cli_only[k].why)
			fail_msg("CLI only: %s (%s) has no row in authz_table.c, or no reason",
				 cli_only[k].fn, cli_only[k].variant ? cli_only[k].variant : "");
	for (size_t k = 0; k < pvat_nops; k++) {
		const struct pvat_op *o = &pvat_ops[k];
		int route = 0, cli = 0;
		for (size_t i = 0; i < NROUTES; i++)
			route |= pvat_find(routes[i].fn, routes[i].variant) == o;
		for (size_t i = 0; i < NCLI_ONLY; i++)
			cli |= pvat_find(cli_only[i].fn, cli_only[i].variant) == o;
		if (route == cli)
			fail_msg("%s (%s): %s", o->fn, o->variant ? o->variant : "",
				 route ? "driven here and listed as CLI only" : "neither driven over "
				 "HTTP nor listed as CLI only (with why)");
		driven += route;
		listed += cli;
	}
	print_message("%zu of %zu operations driven over HTTP, %zu CLI only\n", driven, pvat_nops,
		      listed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes_name_rows),
		cmocka_unit_test(test_digest_sees_a_change),
		cmocka_unit_test(test_matrix_sessions),
		cmocka_unit_test(test_matrix_api_tokens),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
