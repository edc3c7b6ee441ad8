/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_data.c: the data operations through `pivault serve` over HTTP on loopback, with
 * the same rules as the CLI because both call the library: the list a page at a time
 * (masked; in clear only within the bulk limit, also across pages), changing fields
 * (every change or none; a clerk may not; errors name the field, never the value),
 * consent set and its history (withdrawing stops reads for the purpose), legal holds,
 * the retention plan (undetermined values included) and its apply under four eyes (asked
 * for, approved by another user, run once with the approved date only). Each
 * route with the right role, a wrong one (403) and malformed input. */
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pivault.h"
#include "server.h"
#include "server_client.h"

static const char PW[] = "data-password-1";
#define MAX_BODY 4096
#define CUSTOMERS 130 /* more than the bulk limit (100) */

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

/* ---- The vault and the server ---------------------------------------------------- */

static int group_setup(void **state)
{
	(void)state;
	pvts_fixture_up(&g_f, &(struct pvts_spec){ .customers = CUSTOMERS, .seed = 9,
						    .password = PW, .max_body = MAX_BODY });
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	pvts_fixture_down(&g_f);
	return 0;
}

/* A customer's field as the root secret's admin reads it in clear (malloc'd). */
static char *stored_value(const char *id, const char *field)
{
	pv_vault *root = pvt_open_root(g_f.dir, NULL, g_f.key_path);
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
	assert_string_not_equal(field_of(first, "phone", "value"), pvt_csv_get(&g_f.csv, 1, "phone"));
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
	assert_null(strstr(r.body, pvt_csv_get(&g_f.csv, 1, "name")));
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

/* ---- Consent ---------------------------------------------------------------------- */

static struct pvts_resp consent(const char *token, const char *id, const char *body)
{
	char path[96];
	snprintf(path, sizeof path, "/v1/customers/%s/consent", id);
	return http(body ? "POST" : "GET", path, token, body);
}

static void test_consent(void **state)
{
	(void)state;
	char *token = sign_in("dpo1");
	struct pvts_resp r = consent(token, "C00000007", "{\"purpose\":\"marketing\","
				     "\"granted\":false,\"channel\":\"phone\"}");
	assert_int_equal(r.status, 204);
	pvts_resp_free(&r);
	r = consent(token, "C00000007", "{\"purpose\":\"marketing\",\"granted\":true,"
		    "\"channel\":\"web\",\"text_version\":\"v3\"}");
	assert_int_equal(r.status, 204);
	pvts_resp_free(&r);
	r = consent(token, "C00000007", NULL);
	assert_int_equal(r.status, 200);
	json_t *events = json_object_get(r.json, "events");
	assert_int_equal(json_array_size(events), 2);
	json_t *last = json_array_get(events, 1);
	assert_true(json_is_true(json_object_get(last, "granted")));
	assert_string_equal(json_string_value(json_object_get(last, "channel")), "web");
	assert_string_equal(json_string_value(json_object_get(last, "text_version")), "v3");
	assert_string_equal(json_string_value(json_object_get(last, "recorded_by")), "dpo1");
	json_int_t at = json_integer_value(json_object_get(last, "at"));
	assert_true(at > time(NULL) - 600 && at <= time(NULL) + 1);
	pvts_resp_free(&r);
	free(token);
}

/* Withdrawing over the API stops reads for that purpose at once. */
static void test_consent_withdrawn_stops_reads(void **state)
{
	(void)state;
	char *dpo = sign_in("dpo1"), *adm = sign_in("adm");
	struct pvts_resp r = consent(dpo, "C00000009", "{\"purpose\":\"marketing\","
				     "\"granted\":true,\"channel\":\"web\"}");
	assert_int_equal(r.status, 204);
	pvts_resp_free(&r);
	r = http("GET", "/v1/customers/C00000009?purpose=marketing", adm, NULL);
	assert_int_equal(r.status, 200);
	pvts_resp_free(&r);
	r = consent(dpo, "C00000009", "{\"purpose\":\"marketing\",\"granted\":false,"
		    "\"channel\":\"web\"}");
	assert_int_equal(r.status, 204);
	pvts_resp_free(&r);
	r = http("GET", "/v1/customers/C00000009?purpose=marketing", adm, NULL);
	assert_int_not_equal(r.status, 200);
	pvts_resp_free(&r);
	free(dpo);
	free(adm);
}

static void test_consent_refusals(void **state)
{
	(void)state;
	char *token = sign_in("clerk1");
	struct pvts_resp r = consent(token, "C00000007", "{\"purpose\":\"marketing\","
				     "\"granted\":true,\"channel\":\"web\"}");
	assert_int_equal(r.status, 403);
	assert_non_null(strstr(pvts_err_msg(&r), "consent"));
	pvts_resp_free(&r);
	r = consent(token, "C00000007", NULL);
	assert_int_equal(r.status, 403);
	pvts_resp_free(&r);
	free(token);
	token = sign_in("dpo1");
	const char *bad[] = { "x", "{\"purpose\":\"marketing\",\"channel\":\"web\"}",
			      "{\"purpose\":\"marketing\",\"granted\":\"yes\",\"channel\":\"web\"}",
			      "{\"purpose\":\"marketing\",\"granted\":true}",
			      "{\"purpose\":7,\"granted\":true,\"channel\":\"web\"}",
			      "{\"purpose\":\"fishing\",\"granted\":true,\"channel\":\"web\"}" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		r = consent(token, "C00000007", bad[i]);
		assert_int_equal(r.status, 400);
		pvts_resp_free(&r);
	}
	r = consent(token, "C99999999", "{\"purpose\":\"marketing\",\"granted\":true,"
		    "\"channel\":\"web\"}");
	assert_int_equal(r.status, 404);
	pvts_resp_free(&r);
	free(token);
}

/* ---- Holds ------------------------------------------------------------------------ */

static json_t *hold_of(json_t *holds, const char *customer)
{
	size_t i;
	json_t *h, *found = NULL;
	json_array_foreach(json_object_get(holds, "holds"), i, h)
		if (strcmp(json_string_value(json_object_get(h, "customer")), customer) == 0)
			found = h; /* the latest */
	return found;
}

static void test_holds(void **state)
{
	(void)state;
	char *token = sign_in("dpo1");
	struct pvts_resp r = http("POST", "/v1/holds", token, "{\"customers\":[\"C00000008\","
				  "\"C00000010\"],\"reason\":\"litigation 2026-17\"}");
	assert_int_equal(r.status, 204);
	pvts_resp_free(&r);
	r = http("GET", "/v1/holds", token, NULL);
	assert_int_equal(r.status, 200);
	json_t *h = hold_of(r.json, "C00000008");
	assert_non_null(h);
	assert_string_equal(json_string_value(json_object_get(h, "placed_by")), "dpo1");
	assert_string_equal(json_string_value(json_object_get(h, "reason")), "litigation 2026-17");
	assert_true(json_is_integer(json_object_get(h, "since")));
	assert_true(json_is_null(json_object_get(h, "released")));
	pvts_resp_free(&r);
	r = http("POST", "/v1/holds/release", token, "{\"customers\":[\"C00000008\"]}");
	assert_int_equal(r.status, 204);
	pvts_resp_free(&r);
	r = http("GET", "/v1/holds", token, NULL);
	h = hold_of(r.json, "C00000008");
	assert_true(json_is_integer(json_object_get(h, "released")));
	assert_string_equal(json_string_value(json_object_get(h, "released_by")), "dpo1");
	assert_true(json_is_null(json_object_get(hold_of(r.json, "C00000010"), "released")));
	pvts_resp_free(&r);
	r = http("POST", "/v1/holds/release", token, "{\"customers\":[\"C00000008\"]}");
	assert_int_equal(r.status, 404); /* none in force */
	pvts_resp_free(&r);
	free(token);
}

static void test_hold_refusals(void **state)
{
	(void)state;
	char *token = sign_in("clerk1");
	struct pvts_resp r = http("POST", "/v1/holds", token, "{\"customers\":[\"C00000011\"],"
				  "\"reason\":\"x\"}");
	assert_int_equal(r.status, 403);
	pvts_resp_free(&r);
	r = http("GET", "/v1/holds", token, NULL);
	assert_int_equal(r.status, 403);
	pvts_resp_free(&r);
	free(token);
	token = sign_in("dpo1");
	const char *bad[] = { "{\"customers\":[\"C00000011\"]}", /* a hold needs a reason */
			      "{\"customers\":[],\"reason\":\"x\"}",
			      "{\"customers\":\"C00000011\",\"reason\":\"x\"}",
			      "{\"customers\":[1],\"reason\":\"x\"}", "{\"reason\":\"x\"}", "[]" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		r = http("POST", "/v1/holds", token, bad[i]);
		assert_int_equal(r.status, 400);
		pvts_resp_free(&r);
	}
	r = http("POST", "/v1/holds", token, "{\"customers\":[\"C00000011\",\"C99999999\"],"
		 "\"reason\":\"x\"}"); /* one unknown: none held */
	assert_int_equal(r.status, 404);
	pvts_resp_free(&r);
	r = http("GET", "/v1/holds", token, NULL);
	assert_null(hold_of(r.json, "C00000011"));
	pvts_resp_free(&r);
	free(token);
}

/* ---- Retention -------------------------------------------------------------------- */

static void test_retention_plan(void **state)
{
	(void)state;
	char *token = sign_in("dpo1");
	struct pvts_resp r = http("GET", "/v1/retention/plan?as_of=2099-01-01", token, NULL);
	assert_int_equal(r.status, 200);
	json_t *sum = json_object_get(r.json, "summary");
	assert_string_equal(json_string_value(json_object_get(sum, "as_of")), "2099-01-01");
	assert_true(json_integer_value(json_object_get(sum, "shred")) > 0);
	json_t *first = json_array_get(json_object_get(r.json, "items"), 0);
	assert_non_null(json_object_get(first, "action"));
	assert_non_null(json_object_get(first, "missing"));
	pvts_resp_free(&r);
	r = http("GET", "/v1/retention/plan?as_of=2099-13-45", token, NULL);
	assert_int_equal(r.status, 400);
	pvts_resp_free(&r);
	free(token);
	token = sign_in("clerk1");
	r = http("GET", "/v1/retention/plan", token, NULL);
	assert_int_equal(r.status, 403);
	pvts_resp_free(&r);
	free(token);
}

/* ---- A second vault for retention apply --------------------------------------------- */

#define HEADER                                                                               \
	"customer_id,name,phone,id_number,email,address,bank_card,company_uscc,contract_no,"  \
	"last_order_amount,last_order_date,preferences,created_at,consent_marketing\n"
/* R1 has a bank card and no last order: its financial values have no due date */
#define R1 "R1,李航泽,+8618454174663,510107198905120119,,四川省成都市武侯区朝阳路34号," \
	   "6228485961249359447,,,339.79,,,2020-01-15T10:00:00+08:00,no\n"
#define R2 "R2,魏文斌,+8615753996866,340104196801142532,,安徽省合肥市蜀山区复兴路74号," \
	   "6217008054363600050,,,36496.00,2019-06-01,,2020-01-15T09:00:00+08:00,yes\n"

/* examples/schema.yaml with last_order_date optional (customers who never ordered), in
 * tmp; its path (malloc'd). */
static char *schema_lod_optional(const char *tmp)
{
	char *text = pvt_read_file(PV_SOURCE_DIR "/examples/schema.yaml", NULL);
	const char *from = "purposes: [billing]}\n  preferences:";
	char *at = text ? strstr(text, from) : NULL;
	assert_non_null(at);
	char *out = malloc(strlen(text) + 32);
	sprintf(out, "%.*spurposes: [billing], required: false}\n  preferences:%s",
		(int)(at - text), text, at + strlen(from));
	char *path = pvt_path(tmp, "schema-lod.yaml");
	assert_int_equal(pvt_write_file(path, out, strlen(out)), 0);
	free(text);
	free(out);
	return path;
}

/* A vault of R1 and R2 with the users of the first, in dir under key_path. */
static void retention_vault(const char *dir, const char *key_path)
{
	char *schema = schema_lod_optional(g_f.tmp), *csv = pvt_path(g_f.tmp, "r.csv");
	const char *text = HEADER R1 R2;
	assert_int_equal(pvt_write_file(csv, text, strlen(text)), 0);
	pv_key *key = NULL;
	assert_int_equal(pv_key_generate_file(key_path), PV_OK);
	assert_int_equal(pv_key_from_file(key_path, &key), PV_OK);
	pv_create_opts opts = { .schema_path = schema, .keyring_slots = 1024,
				.kdf_cost = PV_KDF_FAST };
	pv_vault *v = NULL;
	pv_rc rc = pv_vault_create(dir, &opts, key, &v);
	pv_key_free(key);
	if (rc)
		fail_msg("pv_vault_create: %s", pv_errmsg(v));
	pv_access admin = { "admin", NULL, PV_WANT_MASKED };
	pv_import_opts io = { .threads = 1 };
	pv_import_result *res = NULL;
	assert_ok(v, pv_import_csv(v, &admin, csv, &io, &res));
	pv_import_free(res);
	pv_vault_close(v);
	pvts_add_users(dir, key_path, pvts_cast, PW);
	free(schema);
	free(csv);
}

/* Approve request id as the admin adm (another user than its requester). */
static void approve(const char *dir, const char *id)
{
	pv_vault *v = pvt_open_user(dir, "adm", PW);
	pv_access admin = { "admin", NULL, PV_WANT_MASKED };
	char *half = NULL;
	assert_ok(v, pv_request_decide(v, &admin, id, PV_APPROVE, &half));
	pv_free(half);
	pvt_vclose(v);
}

static struct pvts_resp http_at(unsigned port, const char *method, const char *path,
				const char *token, const char *body)
{
	return pvts_http(port, method, path, token, body, body ? strlen(body) : 0);
}

/* The plan lists R1's financial values as undetermined; apply is asked for (202), runs
 * only with the caller's approved request and its own as_of, once; a clerk cannot ask. */
static void test_retention_apply_four_eyes(void **state)
{
	(void)state;
	char *dir = pvt_path(g_f.tmp, "rvault"), *key_path = pvt_path(g_f.tmp, "rvault.key");
	retention_vault(dir, key_path);
	struct pvs_config c = { .plain_http = 1, .sign_in_per_address = 10000,
				.sign_in_per_user = 10000 };
	struct pvs_server *s = pvts_start(&c, dir, key_path, MAX_BODY);
	unsigned port = pvs_port(s);
	char *dpo = pvts_sign_in(port, "dpo1", PW), *clerk = pvts_sign_in(port, "clerk1", PW);
	struct pvts_resp r = http_at(port, "GET", "/v1/retention/plan?as_of=2099-01-01", dpo, NULL);
	assert_int_equal(r.status, 200);
	json_t *sum = json_object_get(r.json, "summary");
	assert_int_equal(json_integer_value(json_object_get(sum, "undetermined")), 2);
	assert_int_equal(json_integer_value(json_object_get(sum, "undetermined_customers")), 1);
	assert_non_null(strstr(r.body, "\"missing\":\"last_order_date\""));
	pvts_resp_free(&r);
	r = http_at(port, "POST", "/v1/retention/apply", clerk, "{\"as_of\":\"2099-01-01\"}");
	assert_int_equal(r.status, 403);
	pvts_resp_free(&r);
	r = http_at(port, "POST", "/v1/retention/apply", dpo,
		    "{\"as_of\":\"2099-01-01\",\"reason\":\"yearly run\"}");
	assert_int_equal(r.status, 202);
	char *id = strdup(json_string_value(json_object_get(json_object_get(r.json, "request"),
								"id")));
	pvts_resp_free(&r);
	char body[160];
	snprintf(body, sizeof body, "{\"as_of\":\"2099-01-01\",\"request\":\"%s\"}", id);
	r = http_at(port, "POST", "/v1/retention/apply", dpo, body); /* not approved yet */
	assert_int_equal(r.status, 403);
	pvts_resp_free(&r);
	approve(dir, id);
	snprintf(body, sizeof body, "{\"as_of\":\"2098-01-01\",\"request\":\"%s\"}", id);
	r = http_at(port, "POST", "/v1/retention/apply", dpo, body); /* not what was approved */
	assert_int_equal(r.status, 403);
	pvts_resp_free(&r);
	snprintf(body, sizeof body, "{\"as_of\":\"2099-01-01\",\"request\":\"%s\"}", id);
	r = http_at(port, "POST", "/v1/retention/apply", dpo, body);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "shredded")), 1);
	assert_int_equal(json_integer_value(json_object_get(r.json, "undetermined")), 2);
	assert_int_equal(json_array_size(json_object_get(r.json, "certificates")), 1);
	pvts_resp_free(&r);
	r = http_at(port, "POST", "/v1/retention/apply", dpo, body); /* used */
	assert_int_equal(r.status, 403);
	pvts_resp_free(&r);
	free(id);
	free(dpo);
	free(clerk);
	pvs_stop(s);
	free(dir);
	free(key_path);
}

/* ---- Export, streamed ------------------------------------------------------------- */

/* A streamed answer: status, content type, the body with its chunks joined, and whether
 * the chunked body came to its end (the last, empty chunk). */
struct streamed {
	int status, complete;
	char type[64];
	char *body;
};

static void dechunk(const char *p, struct streamed *out)
{
	size_t n = 0;
	out->body = calloc(1, strlen(p) + 1);
	for (;;) {
		char *end;
		unsigned long len = strtoul(p, &end, 16);
		if (end == p || strncmp(end, "\r\n", 2) != 0)
			return;
		if (len == 0) {
			out->complete = 1;
			return;
		}
		p = end + 2;
		if (strlen(p) < len + 2)
			return;
		memcpy(out->body + n, p, len);
		n += len;
		p += len + 2;
	}
}

static struct streamed get_streamed(unsigned port, const char *path, const char *token)
{
	struct streamed out = { 0, 0, "", NULL };
	int fd = pvts_connect(port);
	char *text = pvts_request_text("GET", path, token, NULL, 0);
	assert_int_equal(send(fd, text, strlen(text), MSG_NOSIGNAL), (ssize_t)strlen(text));
	free(text);
	char *raw = pvts_read_all(fd);
	close(fd);
	assert_int_equal(sscanf(raw, "HTTP/1.1 %d", &out.status), 1);
	char *body = strstr(raw, "\r\n\r\n"), *type = strstr(raw, "\r\nContent-Type: ");
	assert_non_null(body);
	if (type && type < body)
		sscanf(type + 16, "%63[^\r]", out.type);
	const char *te = strstr(raw, "\r\nTransfer-Encoding: chunked");
	if (te && te < body)
		dechunk(body + 4, &out);
	else
		out.body = strdup(body + 4);
	free(raw);
	return out;
}

static size_t lines_in(const char *text)
{
	size_t n = 0;
	for (const char *p = text; (p = strchr(p, '\n')); p++)
		n++;
	return n;
}

static void test_export(void **state)
{
	(void)state;
	char *token = sign_in("fin");
	struct streamed r = get_streamed(g_f.port, "/v1/export?purpose=billing", token);
	assert_int_equal(r.status, 200);
	assert_true(r.complete);
	assert_string_equal(r.type, "text/csv; charset=utf-8");
	assert_true(strncmp(r.body, "customer_id,", 12) == 0);
	assert_int_equal(lines_in(r.body), CUSTOMERS + 1);
	assert_null(strstr(r.body, pvt_csv_get(&g_f.csv, 20, "bank_card"))); /* masked */
	free(r.body);
	r = get_streamed(g_f.port, "/v1/export?purpose=billing&format=jsonl", token);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.type, "application/x-ndjson");
	assert_int_equal(lines_in(r.body), CUSTOMERS);
	free(r.body);
	struct pvts_resp e = http("GET", "/v1/export?purpose=billing&format=xml", token, NULL);
	assert_int_equal(e.status, 400);
	pvts_resp_free(&e);
	free(token);
}

/* Attack: roles without 'export' (a clerk, an auditor) ask for every customer. */
static void test_export_refused(void **state)
{
	(void)state;
	const char *users[] = { "clerk1", "aud" };
	for (size_t i = 0; i < 2; i++) {
		char *token = sign_in(users[i]);
		struct pvts_resp r = http("GET", "/v1/export?purpose=service", token, NULL);
		assert_int_equal(r.status, 403);
		assert_non_null(strstr(pvts_err_msg(&r), "export"));
		assert_null(strstr(r.body, pvt_csv_get(&g_f.csv, 1, "phone") + 3));
		pvts_resp_free(&r);
		r = http("GET", "/v1/export?purpose=service&clear=true", token, NULL);
		assert_int_equal(r.status, 403); /* nor asked for */
		pvts_resp_free(&r);
		free(token);
	}
	struct pvts_resp r = http("GET", "/v1/export", NULL, NULL);
	assert_int_equal(r.status, 401);
	pvts_resp_free(&r);
}

/* An export in clear is asked for (202) and runs once approved, for its requester only. */
static void test_export_clear_four_eyes(void **state)
{
	(void)state;
	char *token = sign_in("fin");
	struct pvts_resp r = http("GET", "/v1/export?purpose=billing&clear=true&reason=audit",
				  token, NULL);
	assert_int_equal(r.status, 202);
	char *id = strdup(json_string_value(json_object_get(json_object_get(r.json, "request"),
								"id")));
	pvts_resp_free(&r);
	char path[160];
	snprintf(path, sizeof path, "/v1/export?purpose=billing&clear=true&request=%s", id);
	r = http("GET", path, token, NULL);
	assert_int_equal(r.status, 403); /* not approved yet */
	pvts_resp_free(&r);
	approve(g_f.dir, id);
	char *dpo = sign_in("dpo1");
	r = http("GET", path, dpo, NULL); /* another user's request */
	assert_int_equal(r.status, 403);
	pvts_resp_free(&r);
	free(dpo);
	struct streamed s = get_streamed(g_f.port, path, token);
	assert_int_equal(s.status, 200);
	assert_true(s.complete);
	assert_int_equal(lines_in(s.body), CUSTOMERS + 1);
	assert_non_null(strstr(s.body, pvt_csv_get(&g_f.csv, 20, "contract_no")));
	free(s.body);
	r = http("GET", path, token, NULL); /* used */
	assert_int_equal(r.status, 403);
	pvts_resp_free(&r);
	free(id);
	free(token);
}

/* A client that reads a little of an export and hangs up: the server stops the export,
 * takes its handle back and serves on. */
static void test_export_client_gone(void **state)
{
	(void)state;
	char *token = sign_in("adm");
	for (int i = 0; i < 4; i++) { /* more than the server's two handles */
		int fd = pvts_connect(g_f.port);
		char *text = pvts_request_text("GET", "/v1/export?purpose=all&format=jsonl", token,
					       NULL, 0);
		assert_int_equal(send(fd, text, strlen(text), MSG_NOSIGNAL), (ssize_t)strlen(text));
		free(text);
		char buf[64];
		assert_true(recv(fd, buf, sizeof buf, 0) > 0);
		close(fd);
	}
	struct pvts_resp r = http("GET", "/v1/customers/C00000001?purpose=service", token, NULL);
	assert_int_equal(r.status, 200);
	pvts_resp_free(&r);
	free(token);
}

/* ---- Import, streamed upload ------------------------------------------------------ */

/* A good row of the sample schema under id (R2's values; a duplicate of nothing here). */
static char *good_row(const char *id)
{
	const char *rest = strchr(R2, ',');
	char *row = malloc(strlen(id) + strlen(rest) + 1);
	sprintf(row, "%s%s", id, rest);
	return row;
}

/* The header and a good row for each id, the row at bad_at (0: none) with a bad phone. */
static char *csv_of(const char *const *ids, size_t n, size_t bad_at)
{
	size_t cap = strlen(HEADER) + n * (strlen(R2) + 32) + 1;
	char *text = malloc(cap);
	strcpy(text, HEADER);
	for (size_t i = 0; i < n; i++) {
		char *row = good_row(ids[i]);
		if (i + 1 == bad_at) {
			char *phone = strstr(row, "+8615753996866");
			memcpy(phone, "12345-secret12", 14);
		}
		strcat(text, row);
		free(row);
	}
	return text;
}

static int customer_status(unsigned port, const char *token, const char *id)
{
	char path[96];
	snprintf(path, sizeof path, "/v1/customers/%s?purpose=service", id);
	struct pvts_resp r = http_at(port, "GET", path, token, NULL);
	int status = r.status;
	pvts_resp_free(&r);
	return status;
}

static void test_import(void **state)
{
	(void)state;
	char *token = sign_in("adm");
	const char *ids[] = { "I1", "I2", "I3" };
	char *csv = csv_of(ids, 3, 0);
	struct pvts_resp r = http("POST", "/v1/import?purpose=service", token, csv);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "imported")), 3);
	assert_int_equal(json_integer_value(json_object_get(r.json, "rows_read")), 3);
	pvts_resp_free(&r);
	assert_int_equal(customer_status(g_f.port, token, "I2"), 200);
	r = http("GET", "/v1/import", token, NULL);
	assert_int_equal(r.status, 405);
	pvts_resp_free(&r);
	free(csv);
	free(token);
}

/* Attack: a bad row between good ones. Nothing is imported; the error names the line and
 * the field, never the value. */
static void test_import_bad_row_in_middle(void **state)
{
	(void)state;
	char *token = sign_in("adm");
	const char *ids[] = { "J1", "J2", "J3" };
	char *csv = csv_of(ids, 3, 2);
	struct pvts_resp r = http("POST", "/v1/import?purpose=service", token, csv);
	assert_int_equal(r.status, 422);
	assert_null(strstr(r.body, "12345-secret"));
	json_t *summary = json_object_get(json_object_get(r.json, "error"), "summary");
	assert_int_equal(json_integer_value(json_object_get(summary, "imported")), 0);
	json_t *first = json_array_get(json_object_get(summary, "errors"), 0);
	assert_int_equal(json_integer_value(json_object_get(first, "line")), 3);
	assert_string_equal(json_string_value(json_object_get(first, "column")), "phone");
	pvts_resp_free(&r);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(customer_status(g_f.port, token, ids[i]), 404);
	free(csv);
	free(token);
}

/* Attack: roles without 'import' upload customers. */
static void test_import_refused(void **state)
{
	(void)state;
	const char *ids[] = { "K1" };
	char *csv = csv_of(ids, 1, 0);
	const char *users[] = { "clerk1", "dpo1" };
	for (size_t i = 0; i < 2; i++) {
		char *token = sign_in(users[i]);
		struct pvts_resp r = http("POST", "/v1/import?purpose=service", token, csv);
		assert_int_equal(r.status, 403);
		assert_non_null(strstr(pvts_err_msg(&r), "import"));
		pvts_resp_free(&r);
		free(token);
	}
	struct pvts_resp r = http("POST", "/v1/import", NULL, csv);
	assert_int_equal(r.status, 401);
	pvts_resp_free(&r);
	char *token = sign_in("adm");
	assert_int_equal(customer_status(g_f.port, token, "K1"), 404);
	r = http("POST", "/v1/import?purpose=service", token, "not,a\nvalid,header\n");
	assert_int_equal(r.status, 422); /* malformed input */
	pvts_resp_free(&r);
	free(token);
	free(csv);
}

/* The CSV of n good rows with ids P<from>.. (a body larger than the import cap below). */
static char *many_rows(size_t from, size_t n)
{
	const char **ids = calloc(n, sizeof *ids);
	char (*names)[16] = calloc(n, sizeof *names);
	for (size_t i = 0; i < n; i++) {
		snprintf(names[i], sizeof names[i], "P%zu", from + i);
		ids[i] = names[i];
	}
	char *csv = csv_of(ids, n, 0);
	free(ids);
	free(names);
	return csv;
}

/* Send text as a request with headers (no body); the connection. */
static int send_head(unsigned port, const char *token, const char *extra)
{
	int fd = pvts_connect(port);
	char head[512];
	snprintf(head, sizeof head, "POST /v1/import?purpose=service HTTP/1.1\r\nHost: localhost\r\n"
		 "Connection: close\r\nAuthorization: Bearer %s\r\n%s\r\n", token, extra);
	assert_int_equal(send(fd, head, strlen(head), MSG_NOSIGNAL), (ssize_t)strlen(head));
	return fd;
}

static void send_chunk(int fd, const char *data, size_t n)
{
	char size[32];
	snprintf(size, sizeof size, "%zx\r\n", n);
	assert_true(send(fd, size, strlen(size), MSG_NOSIGNAL) > 0);
	if (n)
		assert_true(send(fd, data, n, MSG_NOSIGNAL) == (ssize_t)n);
	assert_true(send(fd, "\r\n", 2, MSG_NOSIGNAL) == 2);
}

static int status_of_answer(int fd)
{
	char *raw = pvts_read_all(fd);
	int status = -1;
	if (sscanf(raw, "HTTP/1.1 %d", &status) != 1)
		status = 0; /* closed without an answer */
	free(raw);
	return status;
}

#define IMPORT_CAP 4096

/* Attack: an upload over the import cap (which the server's max_body is not): 413 and
 * nothing imported, whether the size is announced or the body is chunked. */
static void test_import_over_cap(void **state)
{
	(void)state;
	struct pvs_config c = { .plain_http = 1, .max_import = IMPORT_CAP,
				.sign_in_per_address = 10000, .sign_in_per_user = 10000 };
	struct pvs_server *s = pvts_start(&c, g_f.dir, g_f.key_path, MAX_BODY);
	unsigned port = pvs_port(s);
	char *token = pvts_sign_in(port, "adm", PW);
	char *csv = many_rows(100, 40); /* about 6 KB: over 4096, each row good */
	assert_true(strlen(csv) > IMPORT_CAP);
	struct pvts_resp r = http_at(port, "POST", "/v1/import?purpose=service", token, csv);
	assert_int_equal(r.status, 413);
	pvts_resp_free(&r);
	int fd = send_head(port, token, "Transfer-Encoding: chunked\r\n");
	for (size_t at = 0, len = strlen(csv); at < len; at += 1000)
		send_chunk(fd, csv + at, len - at < 1000 ? len - at : 1000);
	send_chunk(fd, NULL, 0);
	assert_int_equal(status_of_answer(fd), 413);
	close(fd);
	assert_int_equal(customer_status(port, token, "P100"), 404);
	assert_int_equal(customer_status(port, token, "P139"), 404);
	char *small = many_rows(200, 3); /* under the cap: imported */
	r = http_at(port, "POST", "/v1/import?purpose=service", token, small);
	assert_int_equal(r.status, 200);
	pvts_resp_free(&r);
	assert_int_equal(customer_status(port, token, "P201"), 200);
	free(small);
	free(csv);
	free(token);
	pvs_stop(s);
}

static void nap_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&t, NULL);
}

/* Attack: a client stops mid-upload at a row's end (what came is a valid CSV): nothing is
 * imported, with the size announced or the body chunked. */
static void test_import_client_stops(void **state)
{
	(void)state;
	char *token = sign_in("adm");
	char *csv = many_rows(300, 20);
	size_t half = (size_t)(strstr(csv, "P310,") - csv); /* rows P300..P309 whole */
	char length[64];
	snprintf(length, sizeof length, "Content-Length: %zu\r\n", strlen(csv));
	int fd = send_head(g_f.port, token, length);
	assert_int_equal(send(fd, csv, half, MSG_NOSIGNAL), (ssize_t)half);
	nap_ms(300);
	close(fd);
	fd = send_head(g_f.port, token, "Transfer-Encoding: chunked\r\n");
	send_chunk(fd, csv, half);
	nap_ms(300);
	close(fd);
	nap_ms(500);
	assert_int_equal(customer_status(g_f.port, token, "P300"), 404);
	assert_int_equal(customer_status(g_f.port, token, "P309"), 404);
	struct pvts_resp r = http("POST", "/v1/import?purpose=service", token, csv);
	assert_int_equal(r.status, 200); /* the server and the import lock are free again */
	assert_int_equal(json_integer_value(json_object_get(r.json, "imported")), 20);
	pvts_resp_free(&r);
	free(csv);
	free(token);
}

/* More good rows than a batch, a pause (they are stored meanwhile), then the body ends
 * inside a quoted field: 422, and the summary in the error says 0 imported, as nothing
 * was kept (it once counted the rows stored before the end). */
static void test_import_open_quote_at_end(void **state)
{
	(void)state;
	char *token = sign_in("adm");
	char *good = many_rows(1000, 600);
	int fd = send_head(g_f.port, token, "Transfer-Encoding: chunked\r\n");
	send_chunk(fd, good, strlen(good));
	nap_ms(500);
	const char open_end[] = "P1600,\"never closed\r\n";
	send_chunk(fd, open_end, strlen(open_end));
	send_chunk(fd, NULL, 0);
	char *raw = pvts_read_all(fd);
	close(fd);
	struct pvts_resp r = { 0 };
	pvts_parse_answer(raw, &r);
	free(raw);
	assert_int_equal(r.status, 422);
	json_t *summary = json_object_get(json_object_get(r.json, "error"), "summary");
	assert_non_null(summary);
	assert_int_equal(json_integer_value(json_object_get(summary, "rows_read")), 600);
	assert_int_equal(json_integer_value(json_object_get(summary, "imported")), 0);
	pvts_resp_free(&r);
	assert_int_equal(customer_status(g_f.port, token, "P1000"), 404);
	assert_int_equal(customer_status(g_f.port, token, "P1599"), 404);
	free(good);
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
		cmocka_unit_test(test_consent),
		cmocka_unit_test(test_consent_withdrawn_stops_reads),
		cmocka_unit_test(test_consent_refusals),
		cmocka_unit_test(test_holds),
		cmocka_unit_test(test_hold_refusals),
		cmocka_unit_test(test_retention_plan),
		cmocka_unit_test(test_retention_apply_four_eyes),
		cmocka_unit_test(test_export),
		cmocka_unit_test(test_export_refused),
		cmocka_unit_test(test_export_clear_four_eyes),
		cmocka_unit_test(test_export_client_gone),
		cmocka_unit_test(test_import),
		cmocka_unit_test(test_import_bad_row_in_middle),
		cmocka_unit_test(test_import_refused),
		cmocka_unit_test(test_import_over_cap),
		cmocka_unit_test(test_import_client_stops),
		cmocka_unit_test(test_import_open_quote_at_end),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
