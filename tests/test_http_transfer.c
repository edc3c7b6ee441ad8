/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_transfer.c: the transfer wizard and the handover through `pivault serve`,
 * over HTTP on loopback: a plan made, listed and shown with its steps, its assessment,
 * the notices (the mail merge as the reply, the register listing them), separate
 * consents, exclusions, four eyes (202 with the request, run again after another user's
 * approval); every route refused (403) to a role without its permission. */
#include "testutil.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "pivault.h"
#include "server.h"
#include "server_client.h"

#include "formats/age.h"

static const char PW[] = "transfer-password-1";
#define NCUST 6

static char *g_tmp, *g_dir, *g_key_path, *g_buyer_dir, *g_buyer_key, *g_ident;
static char *g_recipient;   /* age1... */
static char g_buyer_pk[65]; /* the buyer vault's signing key */
static struct pvs_server *g_srv;
static unsigned g_port;

static struct pvts_resp http(const char *method, const char *path, const char *token,
			     const char *body)
{
	return pvts_http(g_port, method, path, token, body, body ? strlen(body) : 0);
}

/* The reply must have status want; else fail naming its body. */
static void expect_status(const struct pvts_resp *r, int want, const char *what)
{
	if (r->status != want)
		fail_msg("%s: status %d, want %d: %s", what, r->status, want, r->body);
}

/* ---- The vaults, users and the server ---------------------------------------------- */

static void add_users(const char *dir, const char *key_path)
{
	pv_vault *root = pvt_open_root(dir, NULL, key_path);
	pv_access admin = { "admin", NULL, PV_WANT_MASKED };
	const char *users[][2] = { { "dpo1", "dpo" }, { "dpo2", "dpo" }, { "clerk1", "clerk" },
				   { "aud", "auditor" }, { "adm", "admin" } };
	char today[11];
	time_t now = time(NULL);
	strftime(today, sizeof today, "%Y-%m-%d", gmtime(&now));
	for (size_t i = 0; i < sizeof users / sizeof *users; i++) {
		assert_ok(root, pvt_user_add(root, &admin, users[i][0], users[i][1], PW, strlen(PW)));
		if (strcmp(users[i][1], "auditor") && strcmp(users[i][1], "admin"))
			assert_ok(root, pv_user_attest(root, &admin, users[i][0], today, today, NULL));
	}
	pvt_vclose(root);
}

/* The recipient's age identity file (0600). */
static void make_identity(void)
{
	uint8_t sk[PV_AGE_KEY], pk[PV_AGE_KEY];
	pv_age_keygen(sk, pk);
	g_recipient = pv_age_format_recipient(pk);
	char *id = pv_age_format_identity(sk);
	assert_non_null(g_recipient);
	assert_non_null(id);
	char text[512];
	int n = snprintf(text, sizeof text, "# public key: %s\n%s\n", g_recipient, id);
	sodium_memzero(id, strlen(id));
	sodium_memzero(sk, sizeof sk);
	free(id);
	assert_int_equal(pvt_write_file(g_ident, text, (size_t)n), 0);
	assert_int_equal(chmod(g_ident, 0600), 0);
}

static int group_setup(void **state)
{
	(void)state;
	g_tmp = pvt_tempdir();
	g_dir = pvt_path(g_tmp, "seller");
	g_key_path = pvt_path(g_tmp, "seller.key");
	g_buyer_dir = pvt_path(g_tmp, "buyer");
	g_buyer_key = pvt_path(g_tmp, "buyer.key");
	g_ident = pvt_path(g_tmp, "recipient.agekey");
	pvt_vclose(pvt_sample_vault(g_dir, g_key_path, NCUST, 7, NULL));
	pv_vault *buyer = pvt_sample_vault(g_buyer_dir, g_buyer_key, 0, 8, NULL);
	assert_ok(buyer, pv_vault_public_key(buyer, g_buyer_pk));
	pvt_vclose(buyer);
	add_users(g_dir, g_key_path);
	make_identity();
	struct pvs_config c = { .plain_http = 1, .session_seconds = 600,
				.sign_in_per_address = 10000, .sign_in_per_user = 10000,
				.reads_per_second = 10000, .reads_burst = 10000 };
	g_srv = pvts_start(&c, g_dir, g_key_path, 65536);
	g_port = pvs_port(g_srv);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	pvs_stop(g_srv);
	pvt_release_all();
	pvt_rmtree(g_tmp);
	free(g_tmp);
	free(g_dir);
	free(g_key_path);
	free(g_buyer_dir);
	free(g_buyer_key);
	free(g_ident);
	free(g_recipient);
	return 0;
}

/* ---- Helpers ----------------------------------------------------------------------- */

/* A plan to the recipient (deadline today: export allowed now); its id (kept). */
static char *plan_with(const char *token, const char *country, const char *basis,
		       const char *vault_key)
{
	char today[11], body[1024], key_member[128] = "";
	if (vault_key)
		snprintf(key_member, sizeof key_member, "\"recipient_vault_key\":\"%s\",", vault_key);
	time_t now = time(NULL);
	strftime(today, sizeof today, "%Y-%m-%d", gmtime(&now));
	snprintf(body, sizeof body, "{\"recipient_name\":\"NewCo Ltd\",\"recipient_contact\":"
		 "\"dpo@newco.example\",\"recipient_key\":\"%s\",%s"
		 "\"deadline\":\"%s\",\"role\":\"dpo\"%s%s%s%s%s}", g_recipient, key_member, today,
		 country ? ",\"recipient_country\":\"" : "", country ? country : "",
		 country ? "\",\"legal_basis\":\"" : "", country ? basis : "", country ? "\"" : "");
	struct pvts_resp r = http("POST", "/v1/transfers", token, body);
	expect_status(&r, 201, "POST /v1/transfers");
	const char *id = json_string_value(json_object_get(r.json, "id"));
	assert_non_null(id);
	assert_int_equal(strncmp(id, "T-", 2), 0);
	char *kept = pvt_keep(strdup(id));
	pvts_resp_free(&r);
	return kept;
}

static char *plan_transfer(const char *token, const char *country, const char *basis)
{
	return plan_with(token, country, basis, g_buyer_pk);
}

/* Another user (dpo2) approves request id, as POST /v1/requests/{id}/approve would. */
static void approve(const char *id)
{
	pv_vault *d = pvt_open_user(g_dir, "dpo2", PW);
	pv_access who = { "dpo", NULL, PV_WANT_MASKED };
	assert_ok(d, pv_request_decide(d, &who, id, PV_APPROVE, NULL));
	pvt_vclose(d);
}

/* The id of the request a 202 names (kept). */
static char *requested(const struct pvts_resp *r, const char *what)
{
	expect_status(r, 202, what);
	json_t *req = json_object_get(r->json, "request");
	const char *id = json_string_value(json_object_get(req, "id"));
	assert_non_null(id);
	assert_string_equal(json_string_value(json_object_get(req, "state")), "pending");
	return pvt_keep(strdup(id));
}

/* The step named of a transfer as GET /v1/transfers/{id} shows it: 1 done, 0 not. */
static int step_done(const char *token, const char *id, const char *step)
{
	char path[128];
	snprintf(path, sizeof path, "/v1/transfers/%s", id);
	struct pvts_resp r = http("GET", path, token, NULL);
	expect_status(&r, 200, path);
	json_t *steps = json_object_get(r.json, "steps"), *s;
	size_t i;
	int done = -1;
	assert_int_equal(json_array_size(steps), 7);
	json_array_foreach(steps, i, s)
		if (strcmp(json_string_value(json_object_get(s, "step")), step) == 0)
			done = json_is_true(json_object_get(s, "done"));
	pvts_resp_free(&r);
	if (done < 0)
		fail_msg("no step %s", step);
	return done;
}

static size_t count_lines(const char *text)
{
	size_t n = 0;
	for (; *text; text++)
		n += *text == '\n';
	return n;
}

/* ---- The wizard's transfer steps ----------------------------------------------------- */

static void test_transfer_steps(void **state)
{
	(void)state;
	char *dpo = pvt_keep(pvts_sign_in(g_port, "dpo1", PW));
	char *id = plan_transfer(dpo, NULL, NULL);
	assert_true(step_done(dpo, id, "plan"));
	assert_false(step_done(dpo, id, "assessment"));
	assert_false(step_done(dpo, id, "notices"));
	assert_true(step_done(dpo, id, "objections")); /* the deadline is today */
	assert_false(step_done(dpo, id, "export"));

	struct pvts_resp r = http("GET", "/v1/transfers?role=dpo", dpo, NULL);
	expect_status(&r, 200, "GET /v1/transfers");
	assert_true(json_array_size(json_object_get(r.json, "transfers")) >= 1);
	pvts_resp_free(&r);

	char path[160];
	snprintf(path, sizeof path, "/v1/transfers/%s/assessment", id);
	r = http("GET", path, dpo, NULL);
	expect_status(&r, 200, path);
	assert_true(json_is_object(r.json));
	pvts_resp_free(&r);
	assert_true(step_done(dpo, id, "assessment"));
	snprintf(path, sizeof path, "/v1/transfers/%s/assessment?format=html", id);
	r = http("GET", path, dpo, NULL);
	expect_status(&r, 200, path);
	assert_non_null(strstr(r.body, "<html"));
	pvts_resp_free(&r);

	snprintf(path, sizeof path, "/v1/transfers/%s/notices", id);
	r = http("POST", path, dpo, "{\"purpose\":\"service\",\"lang\":\"en\",\"format\":\"jsonl\"}");
	expect_status(&r, 200, path);
	assert_int_equal(count_lines(r.body), NCUST); /* one per customer */
	pvts_resp_free(&r);
	assert_true(step_done(dpo, id, "notices"));
	r = http("GET", "/v1/notices", dpo, NULL);
	expect_status(&r, 200, "GET /v1/notices");
	assert_true(json_array_size(json_object_get(r.json, "notices")) >= NCUST);
	pvts_resp_free(&r);

	snprintf(path, sizeof path, "/v1/transfers/%s/exclusions", id);
	r = http("GET", path, dpo, NULL);
	expect_status(&r, 200, path);
	assert_int_equal(json_array_size(json_object_get(r.json, "exclusions")), 0);
	pvts_resp_free(&r);
}

/* Abroad: a customer without separate consent stays out; one given it moves. */
static void test_cross_border_consents(void **state)
{
	(void)state;
	char *dpo = pvt_keep(pvts_sign_in(g_port, "dpo1", PW));
	char *id = plan_transfer(dpo, "SG", "standard-contract");
	char path[160];
	snprintf(path, sizeof path, "/v1/transfers/%s/exclusions", id);
	struct pvts_resp r = http("GET", path, dpo, NULL);
	expect_status(&r, 200, path);
	size_t out = json_array_size(json_object_get(r.json, "exclusions"));
	assert_true(out >= 1);
	pvts_resp_free(&r);

	snprintf(path, sizeof path, "/v1/transfers/%s/consents", id);
	r = http("POST", path, dpo, "{\"customer\":\"C00000001\",\"granted\":true,"
		 "\"channel\":\"app\"}");
	expect_status(&r, 204, path);
	pvts_resp_free(&r);
	r = http("POST", path, dpo, "{\"customer\":\"C00000001\",\"granted\":\"yes\","
		 "\"channel\":\"app\"}");
	expect_status(&r, 400, path);
	pvts_resp_free(&r);

	snprintf(path, sizeof path, "/v1/transfers/%s/exclusions", id);
	r = http("GET", path, dpo, NULL);
	expect_status(&r, 200, path);
	assert_int_equal(json_array_size(json_object_get(r.json, "exclusions")), out - 1);
	pvts_resp_free(&r);
}

/* A plan made without the recipient vault key gets it under four eyes: asked for (202),
 * approved by another user, run with the request; the request runs once and only for the
 * key approved. */
static void test_pin_key_four_eyes(void **state)
{
	(void)state;
	char *dpo = pvt_keep(pvts_sign_in(g_port, "dpo1", PW));
	char *id = plan_with(dpo, NULL, NULL, NULL);
	char path[160], body[256];
	snprintf(path, sizeof path, "/v1/transfers/%s/vault-key", id);
	snprintf(body, sizeof body, "{\"key\":\"%s\",\"reason\":\"read back by phone\"}",
		 g_buyer_pk);
	struct pvts_resp r = http("POST", path, dpo, body);
	char *req = requested(&r, path);
	pvts_resp_free(&r);
	snprintf(body, sizeof body, "{\"key\":\"%s\",\"request\":\"%s\"}", g_buyer_pk, req);
	r = http("POST", path, dpo, body); /* not approved yet */
	expect_status(&r, 403, "pin-key before the approval");
	pvts_resp_free(&r);
	approve(req);
	char other[65];
	memset(other, 'a', 64);
	other[64] = '\0';
	snprintf(body, sizeof body, "{\"key\":\"%s\",\"request\":\"%s\"}", other, req);
	r = http("POST", path, dpo, body); /* another key than the one approved */
	expect_status(&r, 403, "pin-key of another key");
	pvts_resp_free(&r);
	snprintf(body, sizeof body, "{\"key\":\"%s\",\"request\":\"%s\"}", g_buyer_pk, req);
	r = http("POST", path, dpo, body);
	expect_status(&r, 204, "pin-key approved");
	pvts_resp_free(&r);
	snprintf(path, sizeof path, "/v1/transfers/%s", id);
	r = http("GET", path, dpo, NULL);
	expect_status(&r, 200, path);
	assert_true(json_is_string(json_object_get(r.json, "recipient_vault_key_fingerprint")));
	pvts_resp_free(&r);
}

/* A clerk (read, find, list) and an auditor reach none of the transfer routes. */
static void test_transfer_routes_wrong_role(void **state)
{
	(void)state;
	char *dpo = pvt_keep(pvts_sign_in(g_port, "dpo1", PW));
	char *id = plan_transfer(dpo, NULL, NULL);
	char *clerk = pvt_keep(pvts_sign_in(g_port, "clerk1", PW));
	char *aud = pvt_keep(pvts_sign_in(g_port, "aud", PW));
	char plan_body[512];
	snprintf(plan_body, sizeof plan_body, "{\"recipient_name\":\"X\",\"recipient_contact\":"
		 "\"x@x.example\",\"recipient_key\":\"%s\"}", g_recipient);
	struct {
		const char *method, *fmt, *body;
	} calls[] = {
		{ "POST", "/v1/transfers", plan_body },
		{ "GET", "/v1/transfers", NULL },
		{ "GET", "/v1/transfers/%s", NULL },
		{ "GET", "/v1/transfers/%s/assessment", NULL },
		{ "POST", "/v1/transfers/%s/notices", "{\"purpose\":\"service\"}" },
		{ "POST", "/v1/transfers/%s/consents",
		  "{\"customer\":\"C00000001\",\"granted\":true,\"channel\":\"app\"}" },
		{ "GET", "/v1/transfers/%s/exclusions", NULL },
		{ "POST", "/v1/transfers/%s/shred-excluded", "{}" },
		{ "POST", "/v1/transfers/%s/vault-key", "{\"key\":\"00\"}" },
	};
	const char *tokens[] = { clerk, aud };
	for (size_t t = 0; t < 2; t++)
		for (size_t i = 0; i < sizeof calls / sizeof *calls; i++) {
			char path[160];
			snprintf(path, sizeof path, calls[i].fmt, id);
			struct pvts_resp r = http(calls[i].method, path, tokens[t], calls[i].body);
			if (r.status != 403)
				fail_msg("%s %s as %s: status %d: %s", calls[i].method, path,
					 t ? "auditor" : "clerk", r.status, r.body);
			assert_string_equal(pvts_err_code(&r), "forbidden");
			pvts_resp_free(&r);
		}
	/* the register needs 'report': the auditor reads it, the clerk does not */
	struct pvts_resp r = http("GET", "/v1/notices", clerk, NULL);
	expect_status(&r, 403, "GET /v1/notices as clerk");
	pvts_resp_free(&r);
	r = http("GET", "/v1/notices", aud, NULL);
	expect_status(&r, 200, "GET /v1/notices as auditor");
	pvts_resp_free(&r);
	r = http("POST", "/v1/notices/1/state", clerk, "{\"state\":\"sent\"}");
	expect_status(&r, 403, "POST /v1/notices/1/state as clerk");
	pvts_resp_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transfer_steps),
		cmocka_unit_test(test_cross_border_consents),
		cmocka_unit_test(test_pin_key_four_eyes),
		cmocka_unit_test(test_transfer_routes_wrong_role),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
