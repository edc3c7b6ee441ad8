/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_complaints.c: the routes session 11 added for what only the CLI did:
 * complaints (open, note, resolve, list, show: permission 'dsr', their texts sealed and
 * never in the audit log) and the crypto-shred of one customer, under four eyes as
 * `pivault shred` is: asked for (202), run only by its requester once a second person
 * approved it, for that customer alone. */
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pivault.h"
#include "server.h"
#include "server_client.h"

static const char PW[] = "complaints-password-1";
static const char SECRET_TEXT[] = "called at night about the loan";

static struct pvts_fixture g_f; /* the vault with its users, the server */

static int group_setup(void **state)
{
	(void)state;
	pvts_fixture_up(&g_f, &(struct pvts_spec){ .customers = 6, .seed = 5, .password = PW,
						    .max_body = 65536 });
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	pvts_fixture_down(&g_f);
	return 0;
}

static char *sign_in(const char *user)
{
	return pvt_keep(pvts_sign_in(g_f.port, user, PW));
}

/* The call's reply, its status asserted (want). */
static struct pvts_resp expect(int want, const char *method, const char *path,
			       const char *token, const char *body)
{
	struct pvts_resp r = pvts_http(g_f.port, method, path, token, body,
				       body ? strlen(body) : 0);
	if (r.status != want)
		fail_msg("%s %s: want %d, got %d: %s", method, path, want, r.status,
			 r.body ? r.body : "");
	return r;
}

static const char *member(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	assert_non_null(s);
	return s;
}

/* Entries of the audit log that hold text anywhere. */
static long log_mentions(const char *text)
{
	return pvts_count_entries(g_f.dir, &(struct pvts_entries){ .text = text });
}

/* The complaint id in a list reply, or NULL. */
static json_t *listed(json_t *reply, const char *id)
{
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(reply, "complaints"), i, c)
		if (strcmp(member(c, "id"), id) == 0)
			return c;
	return NULL;
}

/* A complaint's life through the API: opened (201, due in 15 days), noted, listed open,
 * its notes shown in order with their texts, resolved once; the texts nowhere in the
 * audit log. */
static void test_complaint_lifecycle(void **state)
{
	(void)state;
	char *dpo = sign_in("dpo1"), body[256], path[96], id[64];
	snprintf(body, sizeof body, "{\"customer\":\"C00000002\",\"text\":\"%s\"}", SECRET_TEXT);
	struct pvts_resp r = expect(201, "POST", "/v1/complaints", dpo, body);
	snprintf(id, sizeof id, "%s", member(r.json, "id"));
	pvts_resp_free(&r);
	snprintf(path, sizeof path, "/v1/complaints/%s/notes", id);
	r = expect(204, "POST", path, dpo, "{\"text\":\"rang back, apologised\"}");
	pvts_resp_free(&r);
	r = expect(200, "GET", "/v1/complaints", dpo, NULL);
	json_t *c = listed(r.json, id);
	assert_non_null(c);
	assert_string_equal(member(c, "customer"), "C00000002");
	assert_string_equal(member(c, "state"), "open");
	assert_int_equal(strlen(member(c, "due")), 10); /* YYYY-MM-DD */
	assert_true(strcmp(member(c, "due"), member(c, "opened")) > 0);
	pvts_resp_free(&r);
	snprintf(path, sizeof path, "/v1/complaints/%s", id);
	r = expect(200, "GET", path, dpo, NULL);
	json_t *notes = json_object_get(r.json, "notes");
	assert_int_equal(json_array_size(notes), 2);
	assert_string_equal(member(json_array_get(notes, 0), "text"), SECRET_TEXT);
	assert_string_equal(member(json_array_get(notes, 0), "by"), "dpo1");
	assert_string_equal(member(json_array_get(notes, 1), "text"), "rang back, apologised");
	assert_true(json_integer_value(json_object_get(json_array_get(notes, 0), "at")) >
		    1700000000);
	pvts_resp_free(&r);
	snprintf(path, sizeof path, "/v1/complaints/%s/resolve", id);
	r = expect(204, "POST", path, dpo, "{\"outcome\":\"settled\"}");
	pvts_resp_free(&r);
	r = pvts_http(g_f.port, "POST", path, dpo, "{\"outcome\":\"again\"}", 20);
	assert_true(r.status == 400 || r.status == 409);
	pvts_resp_free(&r);
	r = expect(200, "GET", "/v1/complaints", dpo, NULL);
	assert_string_equal(member(listed(r.json, id), "state"), "resolved");
	pvts_resp_free(&r);
	assert_int_equal(log_mentions(SECRET_TEXT), 0);
	assert_int_equal(log_mentions("apologised"), 0);
	assert_int_equal(log_mentions("settled"), 0);
}

/* Attack: a clerk (no 'dsr') reads and writes complaints; malformed bodies; an unknown
 * complaint. Refused, naming the permission or the field, never a text. */
static void test_complaint_refusals(void **state)
{
	(void)state;
	char *clerk = sign_in("clerk1"), *dpo = sign_in("dpo1");
	struct pvts_resp r = expect(403, "GET", "/v1/complaints", clerk, NULL);
	assert_non_null(strstr(pvts_err_msg(&r), "'dsr'"));
	pvts_resp_free(&r);
	r = expect(403, "POST", "/v1/complaints", clerk,
		   "{\"customer\":\"C00000001\",\"text\":\"a clerk's complaint\"}");
	assert_null(strstr(r.body, "a clerk's complaint"));
	pvts_resp_free(&r);
	r = expect(400, "POST", "/v1/complaints", dpo, "{\"customer\":\"C00000001\"}");
	assert_non_null(strstr(pvts_err_msg(&r), "text"));
	pvts_resp_free(&r);
	r = expect(400, "POST", "/v1/complaints", dpo,
		   "{\"customer\":\"C00000001\",\"text\":\"x\",\"dsr\":7}");
	pvts_resp_free(&r);
	r = expect(400, "POST", "/v1/complaints/CP-nothing/notes", dpo, "{\"note\":\"x\"}");
	pvts_resp_free(&r);
	r = expect(404, "GET", "/v1/complaints/CP-nothing", dpo, NULL);
	pvts_resp_free(&r);
	r = expect(404, "POST", "/v1/complaints", dpo,
		   "{\"customer\":\"C09999999\",\"text\":\"nobody\"}");
	pvts_resp_free(&r);
}

static int customer_status(const char *token, const char *id)
{
	char path[96];
	snprintf(path, sizeof path, "/v1/customers/%s?purpose=service", id);
	struct pvts_resp r = pvts_http(g_f.port, "GET", path, token, NULL, 0);
	int status = r.status;
	pvts_resp_free(&r);
	return status;
}

/* Attack: shredding a customer through the API alone. Asked for: 202 and nothing shredded;
 * run before approval, or by another user, or for another customer under the approved
 * request: refused; the honest path (a second person approves, the requester runs it)
 * answers the signed certificate and the customer is gone. */
static void test_shred_four_eyes(void **state)
{
	(void)state;
	char *dpo = sign_in("dpo1"), *dpo2 = sign_in("dpo2"), *clerk = sign_in("clerk1");
	struct pvts_resp r = expect(403, "POST", "/v1/customers/C00000003/shred", clerk,
				    "{\"reason\":\"asked\"}");
	assert_non_null(strstr(pvts_err_msg(&r), "'shred'"));
	pvts_resp_free(&r);
	r = expect(202, "POST", "/v1/customers/C00000003/shred", dpo, "{\"reason\":\"asked\"}");
	char id[32], path[96], body[96];
	snprintf(id, sizeof id, "%s", member(json_object_get(r.json, "request"), "id"));
	pvts_resp_free(&r);
	assert_int_equal(customer_status(dpo, "C00000003"), 200);
	snprintf(body, sizeof body, "{\"request\":\"%s\"}", id);
	r = expect(403, "POST", "/v1/customers/C00000003/shred", dpo, body); /* not approved */
	pvts_resp_free(&r);
	snprintf(path, sizeof path, "/v1/requests/%s/approve", id);
	r = expect(403, "POST", path, dpo, NULL); /* the requester approves their own */
	pvts_resp_free(&r);
	r = expect(200, "POST", path, dpo2, NULL);
	pvts_resp_free(&r);
	r = expect(403, "POST", "/v1/customers/C00000004/shred", dpo, body); /* another one */
	pvts_resp_free(&r);
	r = expect(403, "POST", "/v1/customers/C00000003/shred", dpo2, body); /* not its own */
	pvts_resp_free(&r);
	assert_int_equal(customer_status(dpo, "C00000003"), 200);
	assert_int_equal(customer_status(dpo, "C00000004"), 200);
	r = expect(200, "POST", "/v1/customers/C00000003/shred", dpo, body);
	json_t *cert = json_object_get(r.json, "certificate");
	assert_true(json_is_object(cert));
	assert_non_null(strstr(r.body, "C00000003"));
	pvts_resp_free(&r);
	assert_int_equal(customer_status(dpo, "C00000003"), 404);
	assert_int_equal(customer_status(dpo, "C00000004"), 200);
	r = expect(403, "POST", "/v1/customers/C00000003/shred", dpo, body); /* used already */
	pvts_resp_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_complaint_lifecycle),
		cmocka_unit_test(test_complaint_refusals),
		cmocka_unit_test(test_shred_four_eyes),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
