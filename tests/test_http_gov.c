/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_gov.c: the governance routes of `pivault serve` over HTTP on loopback:
 * four-eyes requests (listed with their bound arguments, approved or rejected by a second
 * person), data-subject requests (the queue, open, fulfil, correct, lift, close, delete
 * under four eyes, the access report), users (list, add and reset under four eyes,
 * disable, attest) and the audit log (entries paged, checkpoints, proofs, alerts). For
 * each route: the right role, a wrong one (403 naming the permission), malformed JSON and
 * unknown ids (404). The insider attacks through the API: a requester approving their own
 * request, approving with a role they do not hold or one without 'approve', replaying an
 * approval or a used request, a clerk listing others' requests, and the access report's
 * clear values read by a role without the right; an administrator making an API token for
 * another user alone. */
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pivault.h"
#include "server.h"
#include "server_client.h"

static const char PW[] = "gov-password-1";

static struct pvts_fixture g_f; /* the vault with its users, the server */

static struct pvts_resp http(const char *method, const char *path, const char *token,
			     const char *body)
{
	return pvts_http(g_f.port, method, path, token, body, body ? strlen(body) : 0);
}

static char *sign_in(const char *user)
{
	return pvts_sign_in(g_f.port, user, PW);
}

/* One call answered with status; the reply kept for the caller (pvts_resp_free). */
static struct pvts_resp expect(int status, const char *method, const char *path,
			       const char *token, const char *body)
{
	struct pvts_resp r = http(method, path, token, body);
	if (r.status != status)
		fail_msg("%s %s: %d (wanted %d): %s", method, path, r.status, status,
			 r.body ? r.body : "");
	return r;
}

/* One call answered with status (and, when code, that error code; when needle, a
 * message holding it). */
static void check(int status, const char *code, const char *needle, const char *method,
		  const char *path, const char *token, const char *body)
{
	struct pvts_resp r = expect(status, method, path, token, body);
	if (code)
		assert_string_equal(pvts_err_code(&r), code);
	if (needle && !strstr(pvts_err_msg(&r), needle))
		fail_msg("%s %s: message \"%s\" lacks \"%s\"", method, path, pvts_err_msg(&r),
			 needle);
	pvts_resp_free(&r);
}

static const char *member(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* ---- The vault and the server ---------------------------------------------------- */

static int group_setup(void **state)
{
	(void)state;
	static const struct pvts_user quitter[] = { { "quitter", "clerk", 1 }, { NULL, NULL, 0 } };
	pvts_fixture_up(&g_f, &(struct pvts_spec){ .customers = 8, .seed = 13, .password = PW,
						    .extra = quitter, .max_body = 8192 });
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	pvts_fixture_down(&g_f);
	return 0;
}

/* ---- Four-eyes requests ------------------------------------------------------------ */

/* adm asks to reset user's credential: the request's id (into id, 16 bytes). */
static void ask_reset(const char *token, const char *user, char id[16])
{
	char path[96];
	snprintf(path, sizeof path, "/v1/users/%s/reset", user);
	struct pvts_resp r = expect(202, "POST", path, token, "{\"reason\":\"forgot it\"}");
	json_t *req = json_object_get(r.json, "request");
	assert_string_equal(member(req, "op"), "user reset");
	assert_string_equal(member(req, "state"), "pending");
	assert_string_equal(member(req, "requested_by"), "adm");
	assert_int_equal(json_integer_value(json_object_get(req, "needed")), 1);
	assert_int_equal(json_array_size(json_object_get(req, "approvals")), 0);
	/* the exact arguments the library bound */
	assert_string_equal(member(json_object_get(req, "args"), "user"), user);
	assert_true(json_integer_value(json_object_get(req, "created")) > 1700000000);
	snprintf(id, 16, "%s", member(req, "id"));
	pvts_resp_free(&r);
}

static void test_request_listed_with_args(void **state)
{
	(void)state;
	char *adm = sign_in("adm"), *dpo = sign_in("dpo1"), *clerk = sign_in("clerk1"), id[16];
	ask_reset(adm, "quitter", id);
	struct pvts_resp r = expect(200, "GET", "/v1/requests", dpo, NULL);
	json_t *list = json_object_get(r.json, "requests"), *one;
	size_t i, seen = 0;
	json_array_foreach(list, i, one) {
		assert_string_equal(member(one, "state"), "pending"); /* the default: pending */
		if (!strcmp(member(one, "id"), id))
			seen++;
	}
	assert_int_equal(seen, 1);
	pvts_resp_free(&r);
	char path[96];
	snprintf(path, sizeof path, "/v1/requests/%s", id);
	r = expect(200, "GET", path, dpo, NULL);
	assert_string_equal(member(json_object_get(json_object_get(r.json, "request"), "args"),
				   "user"), "quitter");
	pvts_resp_free(&r);
	/* a clerk sees their own requests only: adm's is not there, not even by id */
	r = expect(200, "GET", "/v1/requests?state=all", clerk, NULL);
	assert_int_equal(json_array_size(json_object_get(r.json, "requests")), 0);
	pvts_resp_free(&r);
	check(404, "not_found", NULL, "GET", path, clerk, NULL);
	check(404, "not_found", NULL, "GET", "/v1/requests/R-0000000000", dpo, NULL);
	check(400, "bad_request", "state", "GET", "/v1/requests?state=maybe", dpo, NULL);
	check(401, "unauthenticated", NULL, "GET", "/v1/requests", NULL, NULL);
	free(adm);
	free(dpo);
	free(clerk);
}

/* The insider attacks on four eyes, through the API, then the honest path. */
static void test_four_eyes_through_http(void **state)
{
	(void)state;
	char *adm = sign_in("adm"), *dpo = sign_in("dpo1"), *dpo2 = sign_in("dpo2");
	char *clerk = sign_in("clerk1"), id[16], path[96];
	ask_reset(adm, "clerk1", id);
	snprintf(path, sizeof path, "/v1/requests/%s/approve", id);
	/* the requester approves their own request */
	check(403, "forbidden", "four eyes", "POST", path, adm, "{}");
	/* a clerk (no 'approve'), a clerk naming a role they do not hold */
	check(403, "forbidden", "'approve'", "POST", path, clerk, NULL);
	check(403, "forbidden", "does not have role 'dpo'", "POST", path, clerk,
	      "{\"role\":\"dpo\"}");
	check(403, "forbidden", "unknown role", "POST", path, adm, "{\"role\":\"nobody\"}");
	/* malformed bodies, unknown requests */
	check(400, "malformed_json", NULL, "POST", path, dpo, "{\"role\":");
	check(400, "bad_request", NULL, "POST", path, dpo, "{\"reason\":7}");
	check(404, "not_found", NULL, "POST", "/v1/requests/R-0000000000/approve", dpo, "{}");
	/* the reset cannot run before it is approved */
	char body[128];
	snprintf(body, sizeof body, "{\"request\":\"%s\"}", id);
	check(403, "forbidden", "not approved", "POST", "/v1/users/clerk1/reset", adm, body);
	/* a second person approves: the approver's half of the enrolment code, once */
	struct pvts_resp r = expect(200, "POST", path, dpo, "{\"reason\":\"ticket 42\"}");
	json_t *req = json_object_get(r.json, "request");
	assert_string_equal(member(req, "state"), "approved");
	assert_int_equal(json_integer_value(json_object_get(req, "needed")), 0);
	json_t *approval = json_array_get(json_object_get(req, "approvals"), 0);
	assert_string_equal(member(approval, "by"), "dpo1");
	char half_a[128];
	snprintf(half_a, sizeof half_a, "%s", member(r.json, "enrol_half"));
	assert_true(strlen(half_a) > 8);
	pvts_resp_free(&r);
	/* replays: the same approver, another approver, a rejection after approval */
	check(403, "forbidden", "not pending", "POST", path, dpo, NULL);
	check(403, "forbidden", "not pending", "POST", path, dpo2, NULL);
	snprintf(path, sizeof path, "/v1/requests/%s/reject", id);
	check(403, "forbidden", "not pending", "POST", path, dpo2, NULL);
	/* only the requester runs it, once */
	check(403, "forbidden", "only its requester", "POST", "/v1/users/clerk1/reset", dpo2,
	      body);
	r = expect(200, "POST", "/v1/users/clerk1/reset", adm, body);
	char half_b[128];
	snprintf(half_b, sizeof half_b, "%s", member(r.json, "enrol_half"));
	assert_string_equal(member(r.json, "state"), "waiting");
	pvts_resp_free(&r);
	check(403, "forbidden", "used already", "POST", "/v1/users/clerk1/reset", adm, body);
	/* the request run for one user runs for no other */
	/* the two halves enrol clerk1 again */
	pv_vault *u = NULL;
	pv_rc rc = pv_user_enrol(g_f.dir, NULL, "clerk1", half_a, half_b, PW, strlen(PW), &u);
	if (rc)
		fail_msg("pv_user_enrol: %s", pv_errmsg(u));
	pv_vault_close(u);
	snprintf(path, sizeof path, "/v1/requests/%s", id);
	r = expect(200, "GET", path, dpo2, NULL);
	assert_string_equal(member(json_object_get(r.json, "request"), "state"), "used");
	pvts_resp_free(&r);
	free(adm);
	free(dpo);
	free(dpo2);
	free(clerk);
}

/* An approved request runs only what it bound: another user's reset is refused. */
static void test_approved_request_binds_its_user(void **state)
{
	(void)state;
	char *adm = sign_in("adm"), *dpo = sign_in("dpo1"), id[16], path[96], body[128];
	ask_reset(adm, "aud", id);
	snprintf(path, sizeof path, "/v1/requests/%s/approve", id);
	struct pvts_resp r = expect(200, "POST", path, dpo, NULL);
	pvts_resp_free(&r);
	snprintf(body, sizeof body, "{\"request\":\"%s\"}", id);
	check(403, "forbidden", "differs from what was approved", "POST", "/v1/users/dpo2/reset",
	      adm, body);
	free(adm);
	free(dpo);
}

static void test_reject(void **state)
{
	(void)state;
	char *adm = sign_in("adm"), *dpo = sign_in("dpo1"), id[16], path[96], body[128];
	ask_reset(adm, "quitter", id);
	snprintf(path, sizeof path, "/v1/requests/%s/reject", id);
	check(403, "forbidden", "four eyes", "POST", path, adm, NULL);
	struct pvts_resp r = expect(200, "POST", path, dpo, "{\"reason\":\"no ticket\"}");
	json_t *req = json_object_get(r.json, "request");
	assert_string_equal(member(req, "state"), "rejected");
	assert_int_equal(json_array_size(json_object_get(req, "approvals")), 0);
	assert_string_equal(member(json_object_get(req, "rejection"), "by"), "dpo1");
	assert_null(json_object_get(r.json, "enrol_half"));
	pvts_resp_free(&r);
	snprintf(body, sizeof body, "{\"request\":\"%s\"}", id);
	check(403, "forbidden", "not approved", "POST", "/v1/users/quitter/reset", adm, body);
	free(adm);
	free(dpo);
}

/* ---- Users ----------------------------------------------------------------------- */

static void test_users(void **state)
{
	(void)state;
	char *adm = sign_in("adm"), *adm2 = sign_in("adm2"), *clerk = sign_in("clerk1");
	char *aud = sign_in("aud");
	struct pvts_resp r = expect(200, "GET", "/v1/users", adm, NULL);
	json_t *list = json_object_get(r.json, "users"), *u;
	size_t i, found = 0;
	json_array_foreach(list, i, u) {
		if (strcmp(member(u, "name"), "dpo2") == 0) {
			found = 1;
			assert_string_equal(member(u, "roles"), "dpo");
			assert_string_equal(member(u, "state"), "active");
			assert_true(json_is_true(json_object_get(u, "obligations_current")));
			assert_int_equal(strlen(member(u, "agreement")), 10);
		}
	}
	assert_int_equal(found, 1);
	pvts_resp_free(&r);
	check(403, "forbidden", "'users'", "GET", "/v1/users", clerk, NULL);
	check(403, "forbidden", "does not have role 'dpo'", "GET", "/v1/users?role=dpo", adm, NULL);
	check(403, "forbidden", "'users'", "GET", "/v1/users", aud, NULL);
	/* add: asked (202), approved by another, run by the requester */
	check(400, "malformed_json", NULL, "POST", "/v1/users", adm, "[\"newbie\"]");
	check(400, "bad_request", NULL, "POST", "/v1/users", adm, "{\"name\":\"newbie\"}");
	check(403, "forbidden", "'users'", "POST", "/v1/users", clerk,
	      "{\"name\":\"newbie\",\"roles\":\"clerk\"}");
	r = expect(202, "POST", "/v1/users", adm, "{\"name\":\"newbie\",\"roles\":\"clerk\"}");
	json_t *req = json_object_get(r.json, "request");
	assert_string_equal(member(json_object_get(req, "args"), "roles"), "clerk");
	char id[16], path[96], body[160];
	snprintf(id, sizeof id, "%s", member(req, "id"));
	pvts_resp_free(&r);
	snprintf(path, sizeof path, "/v1/requests/%s/approve", id);
	r = expect(200, "POST", path, adm2, NULL);
	pvts_resp_free(&r);
	snprintf(body, sizeof body, "{\"name\":\"newbie\",\"roles\":\"admin\",\"request\":\"%s\"}",
		 id); /* a role other than the approved one */
	check(403, "forbidden", "differs", "POST", "/v1/users", adm, body);
	snprintf(body, sizeof body, "{\"name\":\"newbie\",\"roles\":\"clerk\",\"request\":\"%s\"}",
		 id);
	r = expect(200, "POST", "/v1/users", adm, body);
	assert_true(strlen(member(r.json, "enrol_half")) > 8);
	pvts_resp_free(&r);
	/* attest, disable */
	check(400, "bad_request", NULL, "POST", "/v1/users/newbie/attest", adm, "{}");
	check(403, "forbidden", "'users'", "POST", "/v1/users/newbie/attest", clerk,
	      "{\"agreement\":\"2026-01-05\"}");
	check(204, NULL, NULL, "POST", "/v1/users/newbie/attest", adm,
	      "{\"agreement\":\"2026-01-05\",\"training\":\"2026-01-06\"}");
	check(404, "not_found", NULL, "POST", "/v1/users/nobody-here/attest", adm,
	      "{\"agreement\":\"2026-01-05\"}");
	check(403, "forbidden", "'users'", "POST", "/v1/users/newbie/disable", clerk, NULL);
	check(404, "not_found", NULL, "POST", "/v1/users/nobody-here/disable", adm, NULL);
	check(204, NULL, NULL, "POST", "/v1/users/newbie/disable", adm, NULL);
	r = expect(200, "GET", "/v1/users?gaps=false", adm, NULL);
	json_array_foreach(json_object_get(r.json, "users"), i, u)
		if (!strcmp(member(u, "name"), "newbie"))
			assert_string_equal(member(u, "state"), "disabled");
	pvts_resp_free(&r);
	free(adm);
	free(adm2);
	free(clerk);
	free(aud);
}

/* ---- Data-subject requests ------------------------------------------------------- */

/* dpo1 opens a request of kind for customer: its id (16 bytes). */
static void open_dsr(const char *token, const char *customer, const char *kind, char id[16])
{
	char body[160];
	snprintf(body, sizeof body, "{\"customer\":\"%s\",\"kind\":\"%s\"}", customer, kind);
	struct pvts_resp r = expect(201, "POST", "/v1/dsr", token, body);
	snprintf(id, 16, "%s", member(r.json, "id"));
	pvts_resp_free(&r);
}

static void test_dsr_queue(void **state)
{
	(void)state;
	char *dpo = sign_in("dpo1"), *clerk = sign_in("clerk1"), id[16], path[96];
	check(403, "forbidden", "'dsr'", "POST", "/v1/dsr", clerk,
	      "{\"customer\":\"C00000001\",\"kind\":\"access\"}");
	check(400, "malformed_json", NULL, "POST", "/v1/dsr", dpo, "{customer}");
	check(400, "bad_request", NULL, "POST", "/v1/dsr", dpo, "{\"customer\":\"C00000001\"}");
	check(404, "not_found", NULL, "POST", "/v1/dsr", dpo,
	      "{\"customer\":\"C99999999\",\"kind\":\"access\"}");
	open_dsr(dpo, "C00000001", "access", id);
	struct pvts_resp r = expect(200, "GET", "/v1/dsr", dpo, NULL);
	json_t *d = NULL, *one;
	size_t i;
	json_array_foreach(json_object_get(r.json, "dsr"), i, one)
		if (!strcmp(member(one, "id"), id))
			d = one;
	assert_non_null(d);
	assert_string_equal(member(d, "customer"), "C00000001");
	assert_string_equal(member(d, "kind"), "access");
	assert_false(json_is_true(json_object_get(d, "overdue")));
	json_int_t opened = json_integer_value(json_object_get(d, "opened"));
	json_int_t deadline = json_integer_value(json_object_get(d, "deadline"));
	assert_true(opened > 1700000000);
	assert_true(deadline > opened + 13 * 86400 && deadline < opened + 16 * 86400); /* pipl */
	pvts_resp_free(&r);
	check(403, "forbidden", "'dsr'", "GET", "/v1/dsr", clerk, NULL);
	check(400, "bad_request", NULL, "GET", "/v1/dsr?state=late", dpo, NULL);
	snprintf(path, sizeof path, "/v1/dsr/%s", id);
	r = expect(200, "GET", path, dpo, NULL);
	assert_string_equal(member(json_object_get(r.json, "dsr"), "state"), "open");
	pvts_resp_free(&r);
	check(404, "not_found", NULL, "GET", "/v1/dsr/D-nothing", dpo, NULL);
	/* closed: out of the open queue, in ?state=all */
	snprintf(path, sizeof path, "/v1/dsr/%s/close", id);
	check(400, "bad_request", NULL, "POST", path, dpo, "{}");
	check(403, "forbidden", "'dsr'", "POST", path, clerk, "{\"outcome\":\"sent\"}");
	check(204, NULL, NULL, "POST", path, dpo, "{\"outcome\":\"report sent by post\"}");
	check(404, "not_found", NULL, "POST", "/v1/dsr/D-nothing/close", dpo,
	      "{\"outcome\":\"x\"}");
	r = expect(200, "GET", "/v1/dsr", dpo, NULL);
	json_array_foreach(json_object_get(r.json, "dsr"), i, one)
		assert_string_not_equal(member(one, "id"), id);
	pvts_resp_free(&r);
	r = expect(200, "GET", "/v1/dsr?state=all", dpo, NULL);
	size_t seen = 0;
	json_array_foreach(json_object_get(r.json, "dsr"), i, one)
		seen += !strcmp(member(one, "id"), id);
	assert_int_equal(seen, 1);
	pvts_resp_free(&r);
	free(dpo);
	free(clerk);
}

/* The access report: clear values to dpo; a clerk, an auditor (masked only) and a role
 * the caller does not hold get none. */
static void test_dsr_access_report(void **state)
{
	(void)state;
	char *dpo = sign_in("dpo1"), *clerk = sign_in("clerk1"), *aud = sign_in("aud");
	char id[16], path[96];
	open_dsr(dpo, "C00000002", "access", id);
	const char *phone = pvt_csv_get(&g_f.csv, 2, "phone"); /* C00000002's */
	snprintf(path, sizeof path, "/v1/dsr/%s/report", id);
	struct pvts_resp r = expect(200, "GET", path, dpo, NULL);
	assert_non_null(r.json);
	assert_non_null(strstr(r.body, phone));
	pvts_resp_free(&r);
	snprintf(path, sizeof path, "/v1/dsr/%s/report?format=html", id);
	r = expect(200, "GET", path, dpo, NULL);
	assert_non_null(strstr(r.body, "<"));
	pvts_resp_free(&r);
	const char *who[][2] = { { "clerk", NULL }, { "aud", NULL }, { "clerk", "dpo" } };
	char *tokens[] = { clerk, aud, clerk };
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "/v1/dsr/%s/report%s%s", id, who[i][1] ? "?role=" : "",
			 who[i][1] ? who[i][1] : "");
		r = expect(403, "GET", path, tokens[i], NULL);
		assert_null(strstr(r.body, phone));
		assert_string_equal(pvts_err_code(&r), "forbidden");
		pvts_resp_free(&r);
	}
	check(404, "not_found", NULL, "GET", "/v1/dsr/D-nothing/report", dpo, NULL);
	check(400, "bad_request", NULL, "GET", "/v1/dsr/D-nothing/report?format=pdf", dpo, NULL);
	free(dpo);
	free(clerk);
	free(aud);
}

static void test_dsr_restrict_correct_lift(void **state)
{
	(void)state;
	char *dpo = sign_in("dpo1"), *adm = sign_in("adm"), *clerk = sign_in("clerk1");
	char id[16], path[96];
	open_dsr(dpo, "C00000003", "restrict", id);
	snprintf(path, sizeof path, "/v1/dsr/%s/fulfil", id);
	check(403, "forbidden", "'dsr'", "POST", path, clerk, NULL);
	check(400, "malformed_json", NULL, "POST", path, dpo, "nope");
	check(204, NULL, NULL, "POST", path, dpo, NULL);
	check(404, "not_found", NULL, "POST", "/v1/dsr/D-nothing/fulfil", dpo, NULL);
	check(400, "bad_request", NULL, "POST", "/v1/dsr/lift", dpo,
	      "{\"customer\":\"C00000003\",\"what\":\"everything\"}");
	check(403, "forbidden", "'dsr'", "POST", "/v1/dsr/lift", clerk,
	      "{\"customer\":\"C00000003\",\"what\":\"restriction\"}");
	check(204, NULL, NULL, "POST", "/v1/dsr/lift", dpo,
	      "{\"customer\":\"C00000003\",\"what\":\"restriction\"}");
	/* correct: 'update' too (dpo has none; admin has every permission) */
	open_dsr(adm, "C00000004", "correct", id);
	snprintf(path, sizeof path, "/v1/dsr/%s/correct", id);
	const char *body = "{\"fields\":{\"email\":\"fixed@example.com\"}}";
	check(400, "bad_request", NULL, "POST", path, adm, "{\"fields\":{\"email\":7}}");
	check(400, "bad_request", NULL, "POST", path, adm, "{\"fields\":{}}");
	check(403, "forbidden", "'update'", "POST", path, dpo, body);
	check(204, NULL, NULL, "POST", path, adm, body);
	check(404, "not_found", NULL, "POST", "/v1/dsr/D-nothing/correct", adm, body);
	free(dpo);
	free(adm);
	free(clerk);
}

/* delete: asked (202), the requester cannot approve, another dpo approves, it runs once. */
static void test_dsr_delete_four_eyes(void **state)
{
	(void)state;
	char *dpo = sign_in("dpo1"), *dpo2 = sign_in("dpo2"), *clerk = sign_in("clerk1");
	char id[16], path[96], rid[16], body[128];
	open_dsr(dpo, "C00000005", "delete", id);
	snprintf(path, sizeof path, "/v1/dsr/%s/delete", id);
	check(403, "forbidden", "'dsr'", "POST", path, clerk, NULL);
	struct pvts_resp r = expect(202, "POST", path, dpo, "{\"reason\":\"customer asked\"}");
	json_t *req = json_object_get(r.json, "request");
	assert_string_equal(member(req, "op"), "dsr delete");
	assert_string_equal(member(json_object_get(req, "args"), "customer"), "C00000005");
	assert_string_equal(member(json_object_get(req, "args"), "request"), id);
	snprintf(rid, sizeof rid, "%s", member(req, "id"));
	pvts_resp_free(&r);
	snprintf(body, sizeof body, "{\"request\":\"%s\"}", rid);
	check(403, "forbidden", "not approved", "POST", path, dpo, body);
	char approve[96];
	snprintf(approve, sizeof approve, "/v1/requests/%s/approve", rid);
	check(403, "forbidden", "four eyes", "POST", approve, dpo, NULL);
	r = expect(200, "POST", approve, dpo2, NULL);
	pvts_resp_free(&r);
	r = expect(200, "POST", path, dpo, body);
	assert_true(json_is_object(json_object_get(r.json, "certificate")));
	pvts_resp_free(&r);
	check(403, "forbidden", NULL, "POST", path, dpo, body); /* replayed */
	check(404, "not_found", NULL, "GET", "/v1/customers/C00000005?purpose=all", dpo, NULL);
	free(dpo);
	free(dpo2);
	free(clerk);
}

/* ---- The audit log --------------------------------------------------------------- */

static void test_audit_paged(void **state)
{
	(void)state;
	char *aud = sign_in("aud"), *clerk = sign_in("clerk1");
	struct pvts_resp r = expect(200, "GET", "/v1/audit?limit=3", aud, NULL);
	json_t *entries = json_object_get(r.json, "entries");
	assert_int_equal(json_array_size(entries), 3);
	json_int_t next = json_integer_value(json_object_get(r.json, "next"));
	assert_int_equal(next, json_integer_value(json_object_get(json_array_get(entries, 2),
								    "seq")));
	pvts_resp_free(&r);
	char path[96];
	snprintf(path, sizeof path, "/v1/audit?limit=2&after=%lld", (long long)next);
	r = expect(200, "GET", path, aud, NULL);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
				 json_object_get(r.json, "entries"), 0), "seq")), next + 1);
	pvts_resp_free(&r);
	r = expect(200, "GET", "/v1/audit?user=dpo1&limit=1000", aud, NULL);
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(r.json, "entries"), i, e)
		assert_string_equal(member(e, "user"), "dpo1");
	pvts_resp_free(&r);
	check(403, "forbidden", "'audit'", "GET", "/v1/audit", clerk, NULL);
	check(400, "bad_request", NULL, "GET", "/v1/audit?limit=0", aud, NULL);
	check(400, "bad_request", NULL, "GET", "/v1/audit?after=x", aud, NULL);
	r = expect(200, "GET", "/v1/audit/alerts", aud, NULL);
	assert_true(json_is_array(json_object_get(r.json, "alerts")));
	pvts_resp_free(&r);
	check(403, "forbidden", "'audit'", "GET", "/v1/audit/alerts", clerk, NULL);
	free(aud);
	free(clerk);
}

static void test_audit_checkpoints_and_proofs(void **state)
{
	(void)state;
	char *aud = sign_in("aud"), *clerk = sign_in("clerk1");
	check(403, "forbidden", "'audit'", "POST", "/v1/audit/checkpoints", clerk, NULL);
	struct pvts_resp r = expect(201, "POST", "/v1/audit/checkpoints", aud, NULL);
	json_t *body = json_pack("{s:s}", "checkpoint", member(r.json, "checkpoint"));
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	pvts_resp_free(&r);
	r = expect(201, "POST", "/v1/audit/checkpoints", aud, NULL); /* a later one */
	pvts_resp_free(&r);
	r = expect(200, "GET", "/v1/audit/proofs/1", aud, NULL);
	assert_true(strlen(member(r.json, "proof")) > 10);
	pvts_resp_free(&r);
	check(403, "forbidden", "'audit'", "GET", "/v1/audit/proofs/1", clerk, NULL);
	check(400, "bad_request", NULL, "GET", "/v1/audit/proofs/one", aud, NULL);
	r = expect(200, "POST", "/v1/audit/consistency", aud, text);
	assert_true(strlen(member(r.json, "proof")) > 10);
	pvts_resp_free(&r);
	check(403, "forbidden", "'audit'", "POST", "/v1/audit/consistency", clerk, text);
	check(400, "malformed_json", NULL, "POST", "/v1/audit/consistency", aud, "{");
	check(400, "bad_request", NULL, "POST", "/v1/audit/consistency", aud, "{}");
	free(text);
	/* the threshold: four eyes */
	check(403, "forbidden", "'audit'", "POST", "/v1/audit/threshold", clerk,
	      "{\"per_hour\":50}");
	r = expect(202, "POST", "/v1/audit/threshold", aud, "{\"per_hour\":50}");
	assert_string_equal(member(json_object_get(json_object_get(r.json, "request"), "args"),
				   "limit"), "50");
	pvts_resp_free(&r);
	/* the limit's range is the library's: past it, refused before any request is asked for */
	check(400, "bad_request", "at most 1000000", "POST", "/v1/audit/threshold", aud,
	      "{\"per_hour\":1000001}");
	check(400, "bad_request", "per_hour", "POST", "/v1/audit/threshold", aud,
	      "{\"per_hour\":99999999999}");
	r = expect(200, "GET", "/v1/requests", aud, NULL);
	assert_non_null(strstr(r.body, "\"limit\":\"50\""));
	assert_null(strstr(r.body, "1000001"));
	pvts_resp_free(&r);
	free(aud);
	free(clerk);
}

/* ---- API tokens for another user ------------------------------------------------- */

/* Attack: an administrator makes a token for a clerk alone. It is asked for (202, bound
 * to user, role, purposes and expiry), the requester cannot approve it, another approves,
 * the requester makes it once and only as approved; one's own token is made at once. */
static void test_api_token_for_another_four_eyes(void **state)
{
	(void)state;
	char *adm = sign_in("adm"), *adm2 = sign_in("adm2"), rid[16], path[96], body[256];
	const char *ask = "{\"user\":\"clerk1\",\"role\":\"clerk\",\"purposes\":[\"service\"],"
			  "\"expires_in\":600,\"reason\":\"call centre script\"}";
	struct pvts_resp r = expect(202, "POST", "/v1/tokens", adm, ask);
	json_t *req = json_object_get(r.json, "request"), *args = json_object_get(req, "args");
	assert_string_equal(member(req, "op"), "api token create");
	assert_string_equal(member(args, "user"), "clerk1");
	assert_string_equal(member(args, "role"), "clerk");
	assert_string_equal(member(args, "purposes"), "service");
	assert_string_equal(member(args, "expires_in"), "600");
	assert_null(json_object_get(r.json, "token"));
	snprintf(rid, sizeof rid, "%s", member(req, "id"));
	pvts_resp_free(&r);
	snprintf(path, sizeof path, "/v1/requests/%s/approve", rid);
	check(403, "forbidden", "four eyes", "POST", path, adm, NULL);
	snprintf(body, sizeof body, "{\"user\":\"clerk1\",\"role\":\"clerk\",\"purposes\":"
		 "[\"service\"],\"expires_in\":600,\"request\":\"%s\"}", rid);
	check(403, "forbidden", "not approved", "POST", "/v1/tokens", adm, body);
	r = expect(200, "POST", path, adm2, NULL);
	pvts_resp_free(&r);
	char longer[256];
	snprintf(longer, sizeof longer, "{\"user\":\"clerk1\",\"role\":\"clerk\",\"purposes\":"
		 "[\"service\"],\"expires_in\":31536000,\"request\":\"%s\"}", rid);
	check(403, "forbidden", "differs", "POST", "/v1/tokens", adm, longer);
	check(403, "forbidden", "only its requester", "POST", "/v1/tokens", adm2, body);
	r = expect(201, "POST", "/v1/tokens", adm, body);
	char *token = strdup(member(r.json, "token"));
	pvts_resp_free(&r);
	check(403, "forbidden", "used already", "POST", "/v1/tokens", adm, body);
	r = expect(200, "GET", "/v1/customers/C00000001?purpose=service", token, NULL);
	pvts_resp_free(&r);
	r = expect(201, "POST", "/v1/tokens", adm, "{\"user\":\"adm\",\"role\":\"admin\","
		   "\"purposes\":[\"service\"],\"expires_in\":60}"); /* one's own */
	pvts_resp_free(&r);
	free(token);
	free(adm);
	free(adm2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_listed_with_args),
		cmocka_unit_test(test_four_eyes_through_http),
		cmocka_unit_test(test_approved_request_binds_its_user),
		cmocka_unit_test(test_reject),
		cmocka_unit_test(test_users),
		cmocka_unit_test(test_dsr_queue),
		cmocka_unit_test(test_dsr_access_report),
		cmocka_unit_test(test_dsr_restrict_correct_lift),
		cmocka_unit_test(test_dsr_delete_four_eyes),
		cmocka_unit_test(test_audit_paged),
		cmocka_unit_test(test_audit_checkpoints_and_proofs),
		cmocka_unit_test(test_api_token_for_another_four_eyes),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
