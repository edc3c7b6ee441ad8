/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_breach.c: the API twins of issue 14's commands over HTTP on loopback.
 * Incidents: each route with a role that has 'incident' and one that has not (403),
 * malformed JSON (400), an unknown incident (404); a seal through the API stops a read
 * through the API (423 "sealed") and leaves others readable; `show` gives the seal's
 * state, time, customers, and after the release who released it and who approved; a
 * release is asked for (202), cannot be approved by the one who asked nor by a clerk
 * (POST /v1/requests/{id}/approve), and runs only with a second person's approval; state moves forward only; notify renders the notices
 * and the regulator's report.
 * Scan: a CSV body with phones in an undeclared column is reported by column and count,
 * the reply holding no value; the vault's text fields; 403 without 'scan'.
 * Report: JSON equal to the library's for the same user and day (what the report's own
 * audit entries change left aside); ?format=html the same page as the library's; 403
 * without 'report'; an unknown format 400. */
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pivault.h"
#include "server.h"
#include "server_client.h"

static const char PW[] = "breach-password-1";
#define MAX_BODY 65536

static struct pvts_fixture g_f; /* the vault with its users, the server */
static char *g_dpo1, *g_dpo2, *g_clerk, *g_aud; /* their sessions' bearer tokens */

static struct pvts_resp http(const char *method, const char *path, const char *token,
			     const char *body)
{
	return pvts_http(g_f.port, method, path, token, body, body ? strlen(body) : 0);
}

/* method path as token answers status; the reply (free it). */
static struct pvts_resp expect(int status, const char *method, const char *path,
			       const char *token, const char *body)
{
	struct pvts_resp r = http(method, path, token, body);
	if (r.status != status)
		fail_msg("%s %s: %d, not %d: %s", method, path, r.status, status,
			 r.body ? r.body : "");
	return r;
}

static void expect_code(int status, const char *code, const char *method, const char *path,
			const char *token, const char *body)
{
	struct pvts_resp r = expect(status, method, path, token, body);
	assert_string_equal(pvts_err_code(&r), code);
	pvts_resp_free(&r);
}

static const char *customer(size_t row)
{
	return pvt_csv_get(&g_f.csv, row, "customer_id");
}

static int group_setup(void **state)
{
	(void)state;
	struct pvs_config c = pvts_roomy_config();
	c.session_seconds = 900;
	pvts_fixture_up(&g_f, &(struct pvts_spec){ .customers = 8, .seed = 14, .password = PW,
						    .max_body = MAX_BODY, .config = &c });
	g_dpo1 = pvts_sign_in(g_f.port, "dpo1", PW);
	g_dpo2 = pvts_sign_in(g_f.port, "dpo2", PW);
	g_clerk = pvts_sign_in(g_f.port, "clerk1", PW);
	g_aud = pvts_sign_in(g_f.port, "aud", PW);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	pvts_fixture_down(&g_f);
	free(g_dpo1);
	free(g_dpo2);
	free(g_clerk);
	free(g_aud);
	return 0;
}

/* A new incident opened by dpo1 over HTTP; its id (malloc'd). */
static char *open_incident(void)
{
	struct pvts_resp r = expect(201, "POST", "/v1/incidents", g_dpo1,
				    "{\"kind\":\"leak\",\"detected_at\":\"2026-01-02T03:04:05Z\","
				    "\"description\":\"a clerk account misused\"}");
	char *id = strdup(json_string_value(json_object_get(r.json, "id")));
	pvts_resp_free(&r);
	return id;
}

static char *path_of(const char *id, const char *tail)
{
	char *p = malloc(strlen(id) + strlen(tail) + 16);
	sprintf(p, "/v1/incidents/%s%s", id, tail);
	return p;
}

/* ---- Who may, and what is refused ---------------------------------------------------- */

/* Every incident route with a role without 'incident' (the clerk's, the auditor's): 403,
 * and nothing opened. */
static void test_incident_routes_need_incident(void **state)
{
	(void)state;
	char *id = open_incident();
	const char *tails[][2] = { { "POST", "/scope" }, { "POST", "/state" }, { "POST", "/seal" },
				   { "POST", "/release" }, { "POST", "/notify" }, { "GET", "" } };
	const char *tokens[] = { g_clerk, g_aud };
	for (size_t t = 0; t < 2; t++) {
		expect_code(403, "forbidden", "POST", "/v1/incidents", tokens[t],
			    "{\"kind\":\"leak\",\"detected_at\":\"2026-01-02T03:04:05Z\","
			    "\"description\":\"x\"}");
		expect_code(403, "forbidden", "GET", "/v1/incidents", tokens[t], NULL);
		for (size_t i = 0; i < sizeof tails / sizeof *tails; i++) {
			char *p = path_of(id, tails[i][1]);
			const char *body = strcmp(tails[i][1], "/state") == 0 ? "{\"to\":\"closed\"}"
					 : strcmp(tails[i][1], "/notify") == 0 ? "{\"purpose\":\"service\"}"
									      : NULL;
			expect_code(403, "forbidden", tails[i][0], p, tokens[t], body);
			free(p);
		}
	}
	/* the dpo may: the incident is listed, and shown with its times in seconds */
	struct pvts_resp r = expect(200, "GET", "/v1/incidents", g_dpo1, NULL);
	json_t *list = json_object_get(r.json, "incidents");
	assert_true(json_array_size(list) >= 1);
	pvts_resp_free(&r);
	char *p = path_of(id, "");
	r = expect(200, "GET", p, g_dpo1, NULL);
	assert_string_equal(json_string_value(json_object_get(r.json, "state")), "open");
	assert_int_equal(json_integer_value(json_object_get(r.json, "detected")), 1767323045);
	assert_true(json_is_integer(json_object_get(r.json, "opened")));
	assert_null(json_object_get(r.json, "opened_at"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(r.json, "seal"),
							      "state")), "never");
	pvts_resp_free(&r);
	free(p);
	free(id);
}

/* Malformed JSON, members of the wrong type, unknown names, and an unknown incident. */
static void test_incident_bad_requests(void **state)
{
	(void)state;
	expect_code(400, "malformed_json", "POST", "/v1/incidents", g_dpo1, "{\"kind\":");
	expect_code(400, "malformed_json", "POST", "/v1/incidents", g_dpo1, "[1,2]");
	expect_code(400, "bad_request", "POST", "/v1/incidents", g_dpo1,
		    "{\"kind\":\"flood\",\"detected_at\":\"2026-01-02T03:04:05Z\","
		    "\"description\":\"x\"}");
	expect_code(400, "bad_request", "POST", "/v1/incidents", g_dpo1,
		    "{\"kind\":\"leak\",\"detected_at\":\"yesterday\",\"description\":\"x\"}");
	expect_code(400, "bad_request", "POST", "/v1/incidents", g_dpo1,
		    "{\"kind\":\"leak\",\"detected_at\":7,\"description\":\"x\"}");
	char *id = open_incident();
	char *p = path_of(id, "/scope");
	expect_code(400, "malformed_json", "POST", p, g_dpo1, "{\"user\":");
	expect_code(400, "bad_request", "POST", p, g_dpo1, "{\"customers\":\"C1\"}");
	free(p);
	p = path_of(id, "/state");
	expect_code(400, "bad_request", "POST", p, g_dpo1, "{\"to\":\"gone\"}");
	expect_code(400, "malformed_json", "POST", p, g_dpo1, "not json");
	free(p);
	p = path_of(id, "/seal"); /* no scope yet */
	expect_code(400, "bad_request", "POST", p, g_dpo1, NULL);
	free(p);
	const char *unknown[][2] = { { "GET", "" },	 { "POST", "/scope" }, { "POST", "/seal" },
				     { "POST", "/state" }, { "POST", "/release" } };
	for (size_t i = 0; i < sizeof unknown / sizeof *unknown; i++) {
		p = path_of("INC-00000000", unknown[i][1]);
		const char *body = strcmp(unknown[i][1], "/state") == 0 ? "{\"to\":\"closed\"}" : NULL;
		struct pvts_resp r = http(unknown[i][0], p, g_dpo1, body);
		/* a release of an incident that seals nothing: refused as such */
		if (strcmp(unknown[i][1], "/release") == 0)
			assert_int_equal(r.status, 400);
		else if (r.status != 404)
			fail_msg("%s %s: %d %s", unknown[i][0], p, r.status, r.body);
		pvts_resp_free(&r);
		free(p);
	}
	free(id);
}

/* ---- Seal, release ------------------------------------------------------------------- */

static void clerk_reads(const char *id, int status)
{
	char p[160];
	snprintf(p, sizeof p, "/v1/customers/%s?purpose=service", id);
	struct pvts_resp r = expect(status, "GET", p, g_clerk, NULL);
	if (status == 423) {
		assert_string_equal(pvts_err_code(&r), "sealed");
		assert_non_null(strstr(pvts_err_msg(&r), "incident INC-"));
	}
	pvts_resp_free(&r);
}

static json_t *seal_of(const char *id, struct pvts_resp *r)
{
	char *p = path_of(id, "");
	*r = expect(200, "GET", p, g_dpo1, NULL);
	free(p);
	return json_object_get(r->json, "seal");
}

/* The approval of request by the user of token over HTTP: its status. */
static int approve_as(const char *token, const char *request)
{
	char p[96];
	snprintf(p, sizeof p, "/v1/requests/%s/approve", request);
	struct pvts_resp r = http("POST", p, token, NULL);
	int status = r.status;
	pvts_resp_free(&r);
	return status;
}

/* The clerk reads one customer; the incident is scoped to what the clerk read and sealed
 * over the API: the clerk's read of it is refused (423) and another customer's is not;
 * the release is asked for (202), the asker cannot approve it, and with dpo2's approval
 * it runs; the clerk reads again; show says who released and who approved. */
static void test_seal_through_api_stops_reads(void **state)
{
	(void)state;
	clerk_reads(customer(3), 200);
	char *id = open_incident();
	char *p = path_of(id, "/scope");
	struct pvts_resp r = expect(200, "POST", p, g_dpo1, "{\"user\":\"clerk1\"}");
	assert_int_equal(json_integer_value(json_object_get(r.json, "customers")), 1);
	pvts_resp_free(&r);
	free(p);
	p = path_of(id, "/seal");
	r = expect(200, "POST", p, g_dpo1, NULL);
	assert_int_equal(json_integer_value(json_object_get(r.json, "sealed")), 1);
	pvts_resp_free(&r);
	free(p);
	clerk_reads(customer(3), 423);
	clerk_reads(customer(4), 200);
	/* the clerk's list leaves the sealed customer out, and says so */
	r = expect(200, "GET", "/v1/customers?purpose=service", g_clerk, NULL);
	json_t *left = json_object_get(r.json, "sealed_left_out");
	assert_int_equal(json_integer_value(json_object_get(left, "customers")), 1);
	assert_string_equal(json_string_value(json_object_get(left, "incident")), id);
	assert_null(strstr(r.body, customer(3)));
	pvts_resp_free(&r);
	json_t *seal = seal_of(id, &r);
	assert_string_equal(json_string_value(json_object_get(seal, "state")), "sealed");
	assert_int_equal(json_integer_value(json_object_get(seal, "customers")), 1);
	assert_string_equal(json_string_value(json_object_get(seal, "sealed_by")), "dpo1");
	assert_true(json_integer_value(json_object_get(seal, "sealed")) > 1767323045);
	assert_string_equal(json_string_value(json_object_get(r.json, "state")), "contained");
	pvts_resp_free(&r);

	p = path_of(id, "/release");
	r = expect(202, "POST", p, g_dpo1, "{\"reason\":\"contained, evidence kept\"}");
	char *req = strdup(json_string_value(json_object_get(json_object_get(r.json, "request"),
							      "id")));
	pvts_resp_free(&r);
	clerk_reads(customer(3), 423); /* asked for is not released */
	char body[96];
	snprintf(body, sizeof body, "{\"request\":\"%s\"}", req);
	r = http("POST", p, g_dpo1, body); /* not approved yet */
	assert_int_not_equal(r.status, 200);
	pvts_resp_free(&r);
	assert_int_equal(approve_as(g_dpo1, req), 403); /* four eyes: two people */
	assert_int_equal(approve_as(g_clerk, req), 403); /* and one who may approve */
	clerk_reads(customer(3), 423);
	assert_int_equal(approve_as(g_dpo2, req), 200);
	expect_code(403, "forbidden", "POST", p, g_dpo2, body); /* dpo2 did not ask */
	r = expect(200, "POST", p, g_dpo1, body);
	assert_int_equal(json_integer_value(json_object_get(r.json, "released")), 1);
	pvts_resp_free(&r);
	free(p);
	clerk_reads(customer(3), 200);
	seal = seal_of(id, &r);
	assert_string_equal(json_string_value(json_object_get(seal, "state")), "released");
	assert_int_equal(json_integer_value(json_object_get(seal, "customers")), 0);
	assert_string_equal(json_string_value(json_object_get(seal, "released_by")), "dpo1");
	assert_string_equal(json_string_value(json_object_get(seal, "approved_by")), "dpo2");
	assert_true(json_is_integer(json_object_get(seal, "released")));
	pvts_resp_free(&r);
	free(req);
	free(id);
}

/* ---- State, notify ------------------------------------------------------------------ */

static void test_state_forward_only(void **state)
{
	(void)state;
	char *id = open_incident();
	char *p = path_of(id, "/state");
	struct pvts_resp r = expect(200, "POST", p, g_dpo1, "{\"to\":\"contained\"}");
	assert_string_equal(json_string_value(json_object_get(r.json, "state")), "contained");
	pvts_resp_free(&r);
	expect_code(400, "bad_request", "POST", p, g_dpo1, "{\"to\":\"contained\"}");
	r = expect(200, "POST", p, g_dpo1, "{\"to\":\"closed\"}");
	pvts_resp_free(&r);
	free(p);
	p = path_of(id, "");
	r = expect(200, "GET", p, g_dpo1, NULL);
	assert_string_equal(json_string_value(json_object_get(r.json, "state")), "closed");
	assert_true(json_is_integer(json_object_get(r.json, "closed")));
	pvts_resp_free(&r);
	free(p);
	free(id);
}

static const char NOTIFY[] =
	"{\"purpose\":\"service\",\"lang\":\"en\",\"company\":\"Example Logistics\","
	"\"contact\":\"dpo@example.com\",\"cause\":\"a staff account was misused\","
	"\"harm\":\"fraudulent calls\",\"remedies\":\"account disabled\","
	"\"actions\":\"beware of callers\"}";

/* Notices to the scope's customer and the regulator's report, as text in the reply. */
static void test_notify_renders(void **state)
{
	(void)state;
	clerk_reads(customer(5), 200);
	char *id = open_incident();
	char *p = path_of(id, "/scope");
	char body[160];
	snprintf(body, sizeof body, "{\"customers\":[\"%s\"]}", customer(5));
	struct pvts_resp r = expect(200, "POST", p, g_dpo1, body);
	assert_int_equal(json_integer_value(json_object_get(r.json, "customers")), 1);
	pvts_resp_free(&r);
	free(p);
	p = path_of(id, "/notify");
	expect_code(400, "malformed_json", "POST", p, g_dpo1, "{");
	expect_code(400, "bad_request", "POST", p, g_dpo1, "{\"purpose\":\"service\","
		    "\"format\":\"pdf\"}");
	r = expect(200, "POST", p, g_dpo1, NOTIFY);
	assert_int_equal(json_integer_value(json_object_get(r.json, "notices")), 1);
	assert_true(json_is_true(json_object_get(r.json, "report_recorded")));
	const char *notices = json_string_value(json_object_get(r.json, "notices_text"));
	assert_non_null(strstr(notices, customer(5)));
	assert_non_null(strstr(json_string_value(json_object_get(r.json, "report_text")),
			       "Example Logistics"));
	pvts_resp_free(&r);
	r = expect(200, "POST", p, g_dpo1, NOTIFY); /* no one told twice */
	assert_int_equal(json_integer_value(json_object_get(r.json, "notices")), 0);
	pvts_resp_free(&r);
	free(p);
	p = path_of(id, "");
	r = expect(200, "GET", p, g_dpo1, NULL);
	assert_string_equal(json_string_value(json_object_get(r.json, "state")), "notified");
	pvts_resp_free(&r);
	free(p);
	free(id);
}

/* ---- Scan ----------------------------------------------------------------------------- */

static const char SCAN_CSV[] = "order_no,remark\r\n"
			       "SF1819000002970,call 13912345678 before noon\r\n"
			       "SF1819000002971,leave at the door\r\n"
			       "SF1819000002972,neighbour 13812340000 has a key\r\n";

static void test_scan_csv_body(void **state)
{
	(void)state;
	expect_code(403, "forbidden", "POST", "/v1/scan", g_clerk, SCAN_CSV);
	expect_code(400, "bad_request", "POST", "/v1/scan", g_dpo1, NULL);
	expect_code(422, "invalid_input", "POST", "/v1/scan", g_dpo1, "a,b\r\n\"open,1\r\n");
	struct pvts_resp r = expect(200, "POST", "/v1/scan", g_dpo1, SCAN_CSV);
	assert_int_equal(json_integer_value(json_object_get(r.json, "rows")), 3);
	json_t *cols = json_object_get(r.json, "columns");
	assert_int_equal(json_array_size(cols), 1);
	json_t *remark = json_array_get(cols, 0);
	assert_string_equal(json_string_value(json_object_get(remark, "name")), "remark");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(remark, "with"),
							    "phone")), 2);
	assert_null(strstr(r.body, "13912345678"));
	assert_null(strstr(r.body, "1234"));
	pvts_resp_free(&r);
}

static void test_scan_vault(void **state)
{
	(void)state;
	expect_code(403, "forbidden", "GET", "/v1/scan/vault", g_clerk, NULL);
	struct pvts_resp r = expect(200, "GET", "/v1/scan/vault", g_dpo1, NULL);
	assert_int_equal(json_integer_value(json_object_get(r.json, "customers")), 8);
	assert_true(json_is_array(json_object_get(r.json, "columns")));
	pvts_resp_free(&r);
}

/* ---- Report --------------------------------------------------------------------------- */

/* The report's members its own audit entries change between two runs (the time made, the
 * log's figures, the words of findings that count entries) left out of the comparison:
 * findings are compared by id, severity and article. */
static void without_volatile(json_t *doc)
{
	json_object_del(doc, "made");
	json_object_del(doc, "audit");
	size_t i;
	json_t *f, *kept = json_array();
	json_array_foreach(json_object_get(doc, "findings"), i, f)
		json_array_append_new(kept, json_pack("{s:O?,s:O?,s:O?}", "id",
						      json_object_get(f, "id"), "severity",
						      json_object_get(f, "severity"), "article",
						      json_object_get(f, "article")));
	json_object_set_new(doc, "findings", kept);
}

static char *library_report(pv_report_form form)
{
	pv_vault *v = pvt_open_user(g_f.dir, "dpo1", PW);
	pv_access dpo = { "dpo", NULL, PV_WANT_MASKED };
	char *text = NULL;
	assert_ok(v, pv_compliance_report(v, &dpo, "2026-06-30", form, &text));
	pvt_vclose(v);
	char *copy = strdup(text);
	pv_free(text);
	return copy;
}

static void test_report_equals_library(void **state)
{
	(void)state;
	expect_code(403, "forbidden", "GET", "/v1/report", g_clerk, NULL);
	expect_code(400, "bad_request", "GET", "/v1/report?format=pdf", g_dpo1, NULL);
	struct pvts_resp r = expect(200, "GET", "/v1/report?as_of=2026-06-30&role=dpo", g_dpo1,
				    NULL);
	char *text = library_report(PV_REPORT_JSON);
	json_t *lib = json_loads(text, 0, NULL);
	assert_non_null(lib);
	assert_non_null(json_object_get(r.json, "findings"));
	without_volatile(lib);
	without_volatile(r.json);
	const char *key;
	json_t *val;
	json_object_foreach(lib, key, val)
		if (!json_equal(val, json_object_get(r.json, key)))
			fail_msg("the report's %s differs over HTTP", key);
	assert_int_equal(json_object_size(lib), json_object_size(r.json));
	json_decref(lib);
	free(text);
	pvts_resp_free(&r);
	r = expect(200, "GET", "/v1/report?format=html&as_of=2026-06-30&role=dpo", g_dpo1, NULL);
	text = library_report(PV_REPORT_HTML);
	assert_non_null(strstr(r.body, "<svg"));
	assert_null(strstr(r.body, "<script"));
	assert_int_equal(strncmp(r.body, text, 200), 0); /* the same page, from its head */
	free(text);
	pvts_resp_free(&r);
	r = expect(200, "GET", "/v1/report", g_aud, NULL); /* the auditor's role may */
	pvts_resp_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_incident_routes_need_incident),
		cmocka_unit_test(test_incident_bad_requests),
		cmocka_unit_test(test_seal_through_api_stops_reads),
		cmocka_unit_test(test_state_forward_only),
		cmocka_unit_test(test_notify_renders),
		cmocka_unit_test(test_scan_csv_body),
		cmocka_unit_test(test_scan_vault),
		cmocka_unit_test(test_report_equals_library),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
