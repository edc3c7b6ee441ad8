/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_client_gaps.c: the client's (PIVAULT_SERVER) small gaps, each against the local
 * command it twins, on a vault whose bulk limit of customers in clear is 3.
 * Bulk limit: `transfer notify` of a plan with more customers than the limit is refused
 * through the server as locally, with the stable code bulk_limit (not forbidden) that the
 * library's pv_failed_bulk_limit gives, the local message, a word that `pivault request`
 * has no twin through a server, nothing on standard output and nothing notified (no
 * notice in the register, no audit entry of notices rendered); a denial of another kind
 * (no 'handover') keeps the code forbidden; a plan within the limit is notified. */
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pivault.h"
#include "server.h"
#include "cli_client.h"

#include "formats/age.h"

static const char PW[] = "gaps-client-1";
#define NCUST 8
#define BULK_LIMIT 3

static int group_setup(void **state)
{
	(void)state;
	pvtc_up(&(struct pvts_spec){ .customers = NCUST, .seed = 17, .password = PW,
				     .max_body = 1 << 20, .tls = 1 });
	pv_vault *root = pvt_open_root(pvtc.f.dir, NULL, pvtc.f.key_path);
	pv_access admin = { "admin", NULL, PV_WANT_MASKED };
	assert_ok(root, pv_audit_set_alert_threshold(root, &admin, BULK_LIMIT));
	pvt_vclose(root);
	return 0;
}

/* ---- Reading the effect back with the root key ----------------------------------------- */

static int count_notice(void *ctx, const pv_notice_info *n)
{
	(void)n;
	(*(size_t *)ctx)++;
	return 0;
}

/* The notices in the vault's register. */
static size_t notices_recorded(void)
{
	pv_vault *root = pvt_open_root(pvtc.f.dir, NULL, pvtc.f.key_path);
	pv_access admin = { "admin", NULL, PV_WANT_MASKED };
	size_t n = 0;
	assert_ok(root, pv_notice_list(root, &admin, NULL, count_notice, &n));
	pvt_vclose(root);
	return n;
}

/* A transfer plan of scope (NULL: every customer), made with the root key; its id (kept). */
static char *plan_of(const char *scope)
{
	pv_vault *root = pvt_open_root(pvtc.f.dir, NULL, pvtc.f.key_path);
	pv_access admin = { "admin", NULL, PV_WANT_MASKED };
	uint8_t sk[PV_AGE_KEY], pk[PV_AGE_KEY];
	pv_age_keygen(sk, pk);
	char *recipient = pvt_keep(pv_age_format_recipient(pk));
	pv_transfer_spec spec = { .recipient_name = "NewCo Ltd",
				  .recipient_contact = "dpo@newco.example",
				  .recipient_key = recipient,
				  .scope = scope };
	char *id = NULL;
	assert_ok(root, pv_transfer_plan(root, &admin, &spec, &id));
	pvt_vclose(root);
	char *kept = pvt_keep(strdup(id));
	pv_free(id);
	return kept;
}

/* ---- 1. transfer notify past the bulk limit ----------------------------------------------- */

/* Attack: a DPO renders the notices (names and contacts in clear) of more customers than
 * the bulk limit through the server, where no four-eyes "read clear" can be asked for. */
static void test_notify_past_bulk_limit(void **state)
{
	(void)state;
	char *plan = plan_of(NULL), args[256], *out = NULL, *rerr = NULL, *lerr = NULL;
	snprintf(args, sizeof args, "transfer notify %s --purpose service --lang en --role dpo",
		 plan);
	pvtc_login("dpo1");
	size_t before = notices_recorded();
	assert_int_equal(pvtc_cli(&out, &rerr, pvtc_server_env(), "%s", args), 1);
	assert_string_equal(out, "");
	assert_int_equal(pvtc_cli(NULL, &lerr, pvtc_local_env("dpo1"), "%s", args), 1);
	assert_non_null(strstr(lerr, "beyond the bulk limit"));
	assert_int_equal(strncmp(rerr, lerr, strlen(lerr)), 0); /* the local message first */
	assert_non_null(strstr(rerr + strlen(lerr), "`pivault request` has no twin through a "
				"server"));
	assert_int_equal(notices_recorded(), before);
	struct pvts_entries rendered = { .op = "transfer notify", .outcome = "ok" };
	assert_int_equal(pvts_count_entries(pvtc.f.dir, &rendered), 0);

	/* the route: the stable code, the library's message, nothing rendered */
	char *token = pvts_sign_in(pvtc.f.port, "dpo2", PW), path[128];
	snprintf(path, sizeof path, "/v1/transfers/%s/notices", plan);
	const char *body = "{\"purpose\":\"service\",\"role\":\"dpo\",\"lang\":\"en\"}";
	struct pvts_resp r = pvts_http(pvtc.f.port, "POST", path, token, body, strlen(body));
	assert_int_equal(r.status, 403);
	assert_string_equal(pvts_err_code(&r), "bulk_limit");
	assert_non_null(strstr(pvts_err_msg(&r), "beyond the bulk limit"));
	pvts_resp_free(&r);
	free(token);
	/* a denial of another kind (a clerk has no 'handover') keeps its own code */
	token = pvts_sign_in(pvtc.f.port, "clerk1", PW);
	body = "{\"purpose\":\"service\",\"role\":\"clerk\",\"lang\":\"en\"}";
	r = pvts_http(pvtc.f.port, "POST", path, token, body, strlen(body));
	assert_int_equal(r.status, 403);
	assert_string_equal(pvts_err_code(&r), "forbidden");
	pvts_resp_free(&r);
	free(token);
	assert_int_equal(notices_recorded(), before);
	free(out);
	free(rerr);
	free(lerr);
}

/* Within the limit (a plan of one customer) the notices are rendered and recorded. */
static void test_notify_within_bulk_limit(void **state)
{
	(void)state;
	char scope[96], args[256], *out = NULL, *err = NULL;
	snprintf(scope, sizeof scope, "phone=%s", pvt_csv_get(&pvtc.f.csv, 1, "phone"));
	char *plan = plan_of(scope);
	snprintf(args, sizeof args, "transfer notify %s --purpose service --lang en --role dpo",
		 plan);
	pvtc_login("dpo1");
	size_t before = notices_recorded();
	assert_int_equal(pvtc_cli(&out, &err, pvtc_server_env(), "%s", args), 0);
	assert_non_null(strstr(err, "1 notice rendered and recorded as queued"));
	assert_non_null(strstr(out, "customer_id"));
	assert_int_equal(notices_recorded(), before + 1);
	free(out);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notify_past_bulk_limit),
		cmocka_unit_test(test_notify_within_bulk_limit),
	};
	return cmocka_run_group_tests(tests, group_setup, pvtc_group_teardown);
}
