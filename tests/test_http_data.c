/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_data.c: the data operations through `pivault serve` over HTTP on loopback, with
 * the same rules as the CLI because both call the library: the list a page at a time
 * (masked; in clear only within the bulk limit, also across pages), changing fields
 * (every change or none; a clerk may not; errors name the field, never the value). Each
 * route with the right role, a wrong one (403) and malformed input. */
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pivault.h"
#include "server.h"
#include "server_client.h"

static const char PW[] = "data-password-1";
#define MAX_BODY 4096
#define CUSTOMERS 130 /* more than the bulk limit (100) */

static char *g_tmp, *g_dir, *g_key_path;
static struct pvt_csv g_csv;
static struct pvs_server *g_srv;
static unsigned g_port;

static struct pvts_resp http(const char *method, const char *path, const char *token,
			     const char *body)
{
	return pvts_http(g_port, method, path, token, body, body ? strlen(body) : 0);
}

static char *sign_in(const char *user)
{
	return pvts_sign_in(g_port, user, PW);
}

/* ---- The vault and the server ---------------------------------------------------- */

static void add_users(void)
{
	pv_vault *root = pvt_open_root(g_dir, NULL, g_key_path);
	pv_access admin = { "admin", NULL, PV_WANT_MASKED };
	const char *users[][2] = { { "clerk1", "clerk" }, { "clerk2", "clerk" }, { "aud", "auditor" },
				   { "adm", "admin" }, { "dpo1", "dpo" }, { "fin", "finance" } };
	for (size_t i = 0; i < sizeof users / sizeof *users; i++)
		assert_ok(root, pvt_user_add(root, &admin, users[i][0], users[i][1], PW, strlen(PW)));
	char today[16];
	time_t now = time(NULL);
	strftime(today, sizeof today, "%Y-%m-%d", gmtime(&now));
	const char *attested[] = { "clerk1", "clerk2", "dpo1", "fin" };
	for (size_t i = 0; i < sizeof attested / sizeof *attested; i++)
		assert_ok(root, pv_user_attest(root, &admin, attested[i], today, today, NULL));
	pvt_vclose(root);
}

static int group_setup(void **state)
{
	(void)state;
	g_tmp = pvt_tempdir();
	g_dir = pvt_path(g_tmp, "vault");
	g_key_path = pvt_path(g_tmp, "root.key");
	char *csv = NULL;
	pv_vault *v = pvt_sample_vault(g_dir, g_key_path, CUSTOMERS, 9, &csv);
	pv_vault_close(v);
	assert_int_equal(pvt_csv_parse(csv, &g_csv), 0);
	free(csv);
	add_users();
	struct pvs_config c = { .plain_http = 1, .session_seconds = 600,
				.sign_in_per_address = 10000, .sign_in_per_user = 10000,
				.reads_per_second = 10000, .reads_burst = 10000 };
	g_srv = pvts_start(&c, g_dir, g_key_path, MAX_BODY);
	g_port = pvs_port(g_srv);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	pvs_stop(g_srv);
	pvt_release_all();
	pvt_csv_free(&g_csv);
	pvt_rmtree(g_tmp);
	free(g_tmp);
	free(g_dir);
	free(g_key_path);
	return 0;
}

/* A customer's field as the root secret's admin reads it in clear (malloc'd). */
static char *stored_value(const char *id, const char *field)
{
	pv_vault *root = pvt_open_root(g_dir, NULL, g_key_path);
	pv_access admin = { "admin", "all", PV_WANT_CLEAR };
	pv_record *r = NULL;
	assert_ok(root, pv_get(root, &admin, id, &r));
	char *value = NULL;
	for (size_t i = 0; i < pv_record_field_count(r); i++)
		if (strcmp(pv_record_field_name(r, i), field) == 0)
			value = strdup(pv_record_field_value(r, i));
	pv_record_free(r);
	pvt_vclose(root);
	assert_non_null(value);
	return value;
}

static const char *field_of(json_t *customer, const char *field, const char *what)
{
	return json_string_value(json_object_get(
		json_object_get(json_object_get(customer, "fields"), field), what));
}

/* ---- List ------------------------------------------------------------------------- */

static void test_list_pages(void **state)
{
	(void)state;
	char *token = sign_in("clerk1");
	struct pvts_resp r = http("GET", "/v1/customers?purpose=service&limit=50", token, NULL);
	assert_int_equal(r.status, 200);
	json_t *list = json_object_get(r.json, "customers");
	assert_int_equal(json_array_size(list), 50);
	json_t *first = json_array_get(list, 0);
	assert_string_equal(json_string_value(json_object_get(first, "id")), "C00000001");
	assert_string_equal(field_of(first, "phone", "shown"), "masked");
	assert_string_not_equal(field_of(first, "phone", "value"), pvt_csv_get(&g_csv, 1, "phone"));
	assert_null(json_object_get(json_object_get(first, "fields"), "id_number")); /* hidden */
	char path[128];
	snprintf(path, sizeof path, "/v1/customers?purpose=service&limit=100&after=%s",
		 json_string_value(json_object_get(r.json, "next")));
	pvts_resp_free(&r);
	r = http("GET", path, token, NULL); /* the rest: 80 */
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "customers")), CUSTOMERS - 50);
	assert_true(json_is_null(json_object_get(r.json, "next")));
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(json_object_get(r.json, "customers"), 0), "id")), "C00000051");
	pvts_resp_free(&r);
	free(token);
}

static void test_list_refusals(void **state)
{
	(void)state;
	char *token = sign_in("clerk1");
	const char *bad[] = { "limit=0", "limit=-1", "limit=x", "limit=1001", "limit=" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char path[128];
		snprintf(path, sizeof path, "/v1/customers?purpose=service&%s", bad[i]);
		struct pvts_resp r = http("GET", path, token, NULL);
		assert_int_equal(r.status, 400);
		assert_string_equal(pvts_err_code(&r), "bad_request");
		pvts_resp_free(&r);
	}
	struct pvts_resp r = http("GET", "/v1/customers?purpose=marketing", token, NULL);
	assert_int_equal(r.status, 403); /* a purpose the clerk's role lacks */
	pvts_resp_free(&r);
	r = http("GET", "/v1/customers?purpose=service", NULL, NULL);
	assert_int_equal(r.status, 401);
	pvts_resp_free(&r);
	free(token);
	token = sign_in("aud"); /* the auditor may list, masked */
	r = http("GET", "/v1/customers?purpose=service&limit=3", token, NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(json_object_get(r.json, "customers")), 3);
	pvts_resp_free(&r);
	free(token);
}

/* Attack: a clerk lists a page of 120 in clear (more than the bulk limit of 100). */
static void test_list_past_bulk_limit(void **state)
{
	(void)state;
	char *token = sign_in("clerk1");
	struct pvts_resp r = http("GET", "/v1/customers?purpose=service&clear=true&limit=120",
				  token, NULL);
	assert_int_equal(r.status, 403);
	assert_non_null(strstr(pvts_err_msg(&r), "bulk limit"));
	assert_null(strstr(r.body, pvt_csv_get(&g_csv, 1, "name")));
	pvts_resp_free(&r);
	/* masked, the same page is no bulk read */
	r = http("GET", "/v1/customers?purpose=service&limit=120", token, NULL);
	assert_int_equal(r.status, 200);
	pvts_resp_free(&r);
	free(token);
}

/* Variant: the clerk pages in clear 60 at a time; the session's second page goes past the
 * limit and is refused. */
static void test_list_past_bulk_limit_in_pages(void **state)
{
	(void)state;
	char *token = sign_in("clerk2");
	struct pvts_resp r = http("GET", "/v1/customers?purpose=service&clear=true&limit=60",
				  token, NULL);
	assert_int_equal(r.status, 200);
	json_t *first = json_array_get(json_object_get(r.json, "customers"), 0);
	assert_string_equal(field_of(first, "name", "shown"), "clear");
	char path[128];
	snprintf(path, sizeof path, "/v1/customers?purpose=service&clear=true&limit=60&after=%s",
		 json_string_value(json_object_get(r.json, "next")));
	pvts_resp_free(&r);
	r = http("GET", path, token, NULL);
	assert_int_equal(r.status, 403);
	assert_non_null(strstr(pvts_err_msg(&r), "bulk limit"));
	pvts_resp_free(&r);
	free(token);
}

/* ---- Update ----------------------------------------------------------------------- */

static void test_update(void **state)
{
	(void)state;
	char *token = sign_in("adm");
	struct pvts_resp r = http("PATCH", "/v1/customers/C00000003", token,
				  "{\"fields\":{\"name\":\"王五\",\"phone\":\"13900001111\"},"
				  "\"purpose\":\"service\"}");
	assert_int_equal(r.status, 204);
	pvts_resp_free(&r);
	char *name = stored_value("C00000003", "name"), *phone = stored_value("C00000003", "phone");
	assert_string_equal(name, "王五");
	assert_string_equal(phone, "+8613900001111"); /* normalised as at import */
	free(name);
	free(phone);
	r = http("PATCH", "/v1/customers/C99999999", token, "{\"fields\":{\"name\":\"x\"}}");
	assert_int_equal(r.status, 404);
	pvts_resp_free(&r);
	free(token);
}

/* One value fails validation: nothing changes (not even the good field before it), and the
 * error names the field, never the value. */
static void test_update_all_or_nothing(void **state)
{
	(void)state;
	char *token = sign_in("adm");
	char *before = stored_value("C00000004", "name");
	struct pvts_resp r = http("PATCH", "/v1/customers/C00000004", token,
				  "{\"fields\":{\"name\":\"赵六\",\"phone\":\"12345-secret\"}}");
	assert_int_equal(r.status, 422);
	assert_non_null(strstr(pvts_err_msg(&r), "phone"));
	assert_null(strstr(r.body, "12345-secret"));
	pvts_resp_free(&r);
	char *after = stored_value("C00000004", "name");
	assert_string_equal(before, after);
	free(after);
	r = http("PATCH", "/v1/customers/C00000004", token,
		 "{\"fields\":{\"name\":\"赵六\",\"shoe_size\":\"44\"}}"); /* not in the schema */
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(pvts_err_msg(&r), "shoe_size"));
	pvts_resp_free(&r);
	after = stored_value("C00000004", "name");
	assert_string_equal(before, after);
	free(after);
	free(before);
	free(token);
}

static void test_update_malformed(void **state)
{
	(void)state;
	char *token = sign_in("adm");
	const char *bad[] = { "not json", "[1]", "{}", "{\"fields\":{}}", "{\"fields\":[\"name\"]}",
			      "{\"fields\":{\"name\":1}}", "{\"fields\":{\"name\":\"x\"},\"role\":1}",
			      "{\"fields\":{\"name\":\"x\",\"name\":\"y\"}}" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct pvts_resp r = http("PATCH", "/v1/customers/C00000005", token, bad[i]);
		assert_int_equal(r.status, 400);
		pvts_resp_free(&r);
	}
	free(token);
}

/* Attack: a clerk (read, find, list only) changes a customer's phone; and again naming the
 * admin role they do not hold. Nothing changes. */
static void test_update_by_clerk(void **state)
{
	(void)state;
	char *token = sign_in("clerk1");
	char *before = stored_value("C00000006", "phone");
	struct pvts_resp r = http("PATCH", "/v1/customers/C00000006", token,
				  "{\"fields\":{\"phone\":\"13900002222\"},\"purpose\":\"service\"}");
	assert_int_equal(r.status, 403);
	assert_non_null(strstr(pvts_err_msg(&r), "update"));
	pvts_resp_free(&r);
	r = http("PATCH", "/v1/customers/C00000006", token,
		 "{\"fields\":{\"phone\":\"13900002222\"},\"role\":\"admin\"}");
	assert_int_equal(r.status, 403);
	pvts_resp_free(&r);
	r = http("PATCH", "/v1/customers/C00000006?role=admin", token,
		 "{\"fields\":{\"phone\":\"13900002222\"}}");
	assert_int_equal(r.status, 403);
	pvts_resp_free(&r);
	char *after = stored_value("C00000006", "phone");
	assert_string_equal(before, after);
	free(before);
	free(after);
	free(token);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_pages),
		cmocka_unit_test(test_list_refusals),
		cmocka_unit_test(test_list_past_bulk_limit),
		cmocka_unit_test(test_list_past_bulk_limit_in_pages),
		cmocka_unit_test(test_update),
		cmocka_unit_test(test_update_all_or_nothing),
		cmocka_unit_test(test_update_malformed),
		cmocka_unit_test(test_update_by_clerk),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
