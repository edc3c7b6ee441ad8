/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_client_register.c: the last API twins of the command (PIVAULT_SERVER), run
 * against a server started here over HTTPS with its certificate pinned, each compared with
 * the same command run on the vault itself (standard output, message and exit status, table
 * and --json): `audit alerts` and `audit threshold` (under four eyes: asked for, approved,
 * run with --request, and the request not run twice), the notices register (`notice
 * record|state|list`) and the accuracy reviews (`review due|confirm`, with customers a DBA
 * made due); each with a role that lacks the permission refused as locally, and bad input
 * (an unknown kind, channel or state, a period out of range, a missing option) refused as
 * locally, naming what was wrong; the vault and key paths the client's environment names
 * never touched. */
#include "dba.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pivault.h"
#include "cli_client.h"

static const char PW[] = "register-twins-password-1";

static int group_setup(void **state)
{
	(void)state;
	pvtc_up(&(struct pvts_spec){ .customers = 8, .seed = 23, .password = PW,
				     .max_body = 1 << 20, .tls = 1 });
	return 0;
}

/* `pivault ARGS` through the server: its status st asserted, and err holding want. */
static void refused_saying(int st, const char *args, const char *want)
{
	char *err = NULL;
	pvtc_remote(st, NULL, &err, args);
	if (!strstr(err, want))
		fail_msg("pivault %s through the server: [%s] does not say %s", args, err, want);
	free(err);
}

/* Numbers and request ids (R-hex) in text made '#' (each side makes its own). */
static void numbers_out(char *text)
{
	char *to = text;
	for (const char *p = text; *p;) {
		int id = p[0] == 'R' && p[1] == '-';
		if (id)
			p += 2;
		size_t n = id ? strspn(p, "0123456789abcdef") : strspn(p, "0123456789");
		if (n) {
			*to++ = '#';
			p += n;
		} else if (id) {
			*to++ = 'R';
			*to++ = '-';
		} else {
			*to++ = *p++;
		}
	}
	*to = '\0';
}

/* args run locally as user and through the server: the same exit status, and the same
 * output and message but for their numbers and request ids. */
static void same_but_numbers(const char *user, const char *args)
{
	char *lout = NULL, *lerr = NULL, *rout = NULL, *rerr = NULL;
	int lst = pvtc_cli(&lout, &lerr, pvtc_local_env(user), "%s", args);
	int rst = pvtc_cli(&rout, &rerr, pvtc_server_env(), "%s", args);
	numbers_out(lout);
	numbers_out(rout);
	if (lst != rst || strcmp(lout, rout) != 0 || strcmp(lerr, rerr) != 0)
		fail_msg("pivault %s as %s: local %d [%s] [%s], server %d [%s] [%s]", args, user,
			 lst, lout, lerr, rst, rout, rerr);
	free(lout);
	free(lerr);
	free(rout);
	free(rerr);
}

/* ---- 1. Bulk-read alerts and their threshold ---------------------------------------- */

/* Alerts made (a masked export, on the vault and through the server), then listed through
 * the server as locally (table and --json); a clerk (no 'audit') refused alike, naming the
 * permission; an argument too many refused as locally. */
static void test_audit_alerts(void **state)
{
	(void)state;
	char *out = NULL;
	pvtc_login("dpo1");
	pvtc_remote(0, &out, NULL, "export --purpose all");
	assert_non_null(strstr(out, "C00000001"));
	free(out);
	pvtc_login("aud");
	pvtc_same_as_local("aud", "audit alerts");
	pvtc_same_as_local("aud", "audit alerts --json");
	pvtc_remote(0, &out, NULL, "audit alerts --json");
	assert_non_null(strstr(out, "\"kind\":\"bulk export\""));
	assert_non_null(strstr(out, "\"user\":\"dpo1\""));
	free(out);
	pvtc_same_as_local("aud", "audit alerts now"); /* usage */
	pvtc_login("clerk1");
	pvtc_same_as_local("clerk1", "audit alerts");
	refused_saying(1, "audit alerts", "'audit'");
	pvtc_trap_untouched();
}

/* A twin under four eyes given --json says the request it asked for as the command does
 * locally (`pivault request ... --json`): {"request":"ID"}, the id a pending request's. */
static void json_asked_alike(const char *args)
{
	char *out = NULL, *asked = NULL, local[256];
	pvtc_remote(0, &out, NULL, args);
	snprintf(local, sizeof local, "request %s", args);
	assert_int_equal(pvtc_cli(&asked, NULL, pvtc_local_env("aud"), local), 0);
	const char *texts[2] = { out, asked };
	for (int i = 0; i < 2; i++) {
		json_t *doc = json_loads(texts[i], 0, NULL);
		assert_non_null(doc);
		assert_int_equal(json_object_size(doc), 1);
		const char *id = json_string_value(json_object_get(doc, "request"));
		assert_non_null(id);
		assert_true(id[0] == 'R' && strlen(id) > 8);
		json_decref(doc);
	}
	free(out);
	free(asked);
}

/* The threshold under four eyes through the server: bad numbers and counts refused as
 * locally; a clerk refused alike; asked for without --request (as every twin under four
 * eyes: the request's id printed, as `pivault request` prints it locally), approved by
 * another user, refused with another number, run with --request (nothing printed, as
 * locally; the log says the new limit), and refused when run again. */
static void test_audit_threshold(void **state)
{
	(void)state;
	char *out = NULL, args[256], id[64];
	pvtc_login("aud");
	pvtc_same_as_local("aud", "audit threshold 0");
	pvtc_same_as_local("aud", "audit threshold -5");
	pvtc_same_as_local("aud", "audit threshold");
	pvtc_same_as_local("aud", "audit threshold 5 6");
	pvtc_same_as_local("aud", "audit threshold 1000001"); /* past the library's limit */
	pvtc_remote(0, &out, NULL, "audit threshold 7");
	assert_int_equal(sscanf(out, "request %63s recorded", id), 1);
	char *asked = NULL;
	int st = pvtc_cli(&asked, NULL, pvtc_local_env("aud"), "request audit threshold 7");
	assert_int_equal(st, 0);
	numbers_out(out);
	numbers_out(asked);
	assert_string_equal(out, asked);
	free(asked);
	free(out);
	json_asked_alike("audit threshold 9 --json");
	pvtc_login("dpo1");
	snprintf(args, sizeof args, "approve %s", id);
	pvtc_remote(0, NULL, NULL, args);
	pvtc_login("aud");
	snprintf(args, sizeof args, "audit threshold 8 --request %s", id);
	pvtc_remote(1, NULL, NULL, args); /* not what was approved */
	snprintf(args, sizeof args, "audit threshold 7 --request %s", id);
	pvtc_remote(0, &out, NULL, args);
	assert_string_equal(out, "");
	free(out);
	pvtc_remote(1, NULL, NULL, args); /* a request runs once */
	pvtc_remote(0, &out, NULL, "audit log --json --user aud");
	assert_non_null(strstr(out, "bulk limit 7 customers"));
	assert_null(strstr(out, "bulk limit 8 customers"));
	free(out);
	pvtc_login("clerk1");
	pvtc_same_as_local("clerk1", "audit threshold 50");
	refused_saying(1, "audit threshold 50", "'audit'");
	pvtc_trap_untouched();
}

/* ---- 2. The notices register ---------------------------------------------------------- */

/* A notice recorded through the server (its number read back), one recorded on the vault:
 * the same words; their states moved; the register listed as locally (all, one customer's,
 * --json) and holding the server's notice; bad input refused as locally naming what was
 * wrong; a role without the kind's permission, and without 'report' for the list, refused
 * alike. */
static void test_notices(void **state)
{
	(void)state;
	char *out = NULL, args[256];
	long long number = 0;
	pvtc_login("dpo1");
	pvtc_remote(0, &out, NULL, "notice record C00000002 --kind dsr-reply --text-version v3 "
		    "--channel email --state queued");
	assert_int_equal(sscanf(out, "notice %lld recorded", &number), 1);
	free(out);
	same_but_numbers("dpo1", "notice record C00000003 --kind consent --text-version v1 "
			      "--channel app");
	same_but_numbers("dpo1", "notice record C00000003 --kind policy --text-version v1 "
			      "--channel letter --json");
	snprintf(args, sizeof args, "notice state %lld delivered", number);
	pvtc_same_as_local("dpo1", args);
	pvtc_same_as_local("dpo1", "notice list");
	pvtc_same_as_local("dpo1", "notice list --json");
	pvtc_same_as_local("dpo1", "notice list --customer C00000002");
	pvtc_remote(0, &out, NULL, "notice list --customer C00000002 --json");
	assert_non_null(strstr(out, "\"text_version\":\"v3\""));
	assert_non_null(strstr(out, "\"state\":\"delivered\""));
	free(out);
	/* bad input: the same refusal and exit status, naming what was wrong */
	pvtc_same_as_local("dpo1", "notice record C00000002 --kind gossip --text-version v1 "
			   "--channel email");
	pvtc_same_as_local("dpo1", "notice record C00000002 --kind consent --text-version v1 "
			   "--channel pigeon");
	pvtc_same_as_local("dpo1", "notice record C00000002 --kind consent --text-version v1 "
			   "--channel sms --state lost");
	pvtc_same_as_local("dpo1", "notice record C99999999 --kind consent --text-version v1 "
			   "--channel sms");
	pvtc_same_as_local("dpo1", "notice record C00000002 --kind consent --channel sms");
	pvtc_same_as_local("dpo1", "notice state 0 sent");
	pvtc_same_as_local("dpo1", "notice state x sent");
	snprintf(args, sizeof args, "notice state %lld misplaced", number);
	pvtc_same_as_local("dpo1", args);
	pvtc_same_as_local("dpo1", "notice state 999999 sent");
	pvtc_same_as_local("dpo1", "notice list C00000002");
	refused_saying(2, "notice record C00000002 --kind gossip --text-version v1 --channel "
		       "email", "kind");
	refused_saying(2, "notice record C00000002 --kind consent --text-version v1 --channel "
		       "pigeon", "channel");
	/* a role without the permission */
	pvtc_login("clerk1");
	pvtc_same_as_local("clerk1", "notice record C00000002 --kind dsr-reply --text-version v1 "
			   "--channel email");
	pvtc_same_as_local("clerk1", args);
	pvtc_same_as_local("clerk1", "notice list");
	refused_saying(1, "notice record C00000002 --kind consent --text-version v1 --channel sms",
		       "'consent'");
	refused_saying(1, "notice list", "'report'");
	pvtc_login("aud"); /* 'report': the list, not a record */
	pvtc_same_as_local("aud", "notice list --customer C00000002");
	pvtc_same_as_local("aud", "notice record C00000002 --kind breach --text-version v1 "
			   "--channel sms");
	pvtc_trap_untouched();
}

/* ---- 3. Accuracy reviews -------------------------------------------------------------- */

/* As a DBA with SQL on the store (the SQLite file, or the PostgreSQL schema): customers'
 * last confirmations moved into the past. */
static void confirmed_long_ago(void)
{
	char *changed = NULL;
	assert_int_equal(pvt_dba(&changed, pvtc.f.dir, "UPDATE customers SET confirmed = "
				 "'2019-06-30' WHERE id IN ('C00000004', 'C00000006');"
				 "UPDATE customers SET confirmed = '2022-01-15' WHERE "
				 "id = 'C00000005' RETURNING 1"), 0);
	assert_string_equal(changed, "1\n");
	free(changed);
}

/* The customers due listed through the server as locally (the default period, another,
 * --json), one confirmed through the server leaving the list; bad periods refused as
 * locally; a clerk (no 'update') refused a confirmation alike, an auditor (with 'list')
 * shown the list. */
static void test_reviews(void **state)
{
	(void)state;
	char *out = NULL;
	confirmed_long_ago();
	pvtc_login("adm");
	pvtc_remote(0, &out, NULL, "review confirm C00000001 --channel phone");
	assert_string_equal(out, "confirmed C00000001\n");
	free(out);
	pvtc_same_as_local("adm", "review due");
	pvtc_same_as_local("adm", "review due --json");
	pvtc_same_as_local("adm", "review due --older-than 5y");
	pvtc_same_as_local("adm", "review due --older-than 36m");
	pvtc_remote(0, &out, NULL, "review due");
	assert_non_null(strstr(out, "C00000004"));
	assert_non_null(strstr(out, "C00000005"));
	assert_null(strstr(out, "C00000001"));
	free(out);
	pvtc_same_as_local("adm", "review confirm C00000005 --channel phone");
	pvtc_remote(0, &out, NULL, "review due");
	assert_null(strstr(out, "C00000005"));
	free(out);
	/* bad input */
	pvtc_same_as_local("adm", "review due --older-than 0");
	pvtc_same_as_local("adm", "review due --older-than 3w");
	pvtc_same_as_local("adm", "review due --older-than 5000m");
	pvtc_same_as_local("adm", "review due C00000004");
	pvtc_same_as_local("adm", "review confirm C00000004");
	pvtc_same_as_local("adm", "review confirm C99999999 --channel phone");
	refused_saying(2, "review due --older-than 5000m", "1200 months");
	/* roles */
	pvtc_login("clerk1");
	pvtc_same_as_local("clerk1", "review confirm C00000006 --channel email");
	refused_saying(1, "review confirm C00000006 --channel email", "'update'");
	pvtc_login("aud");
	pvtc_same_as_local("aud", "review due");
	pvtc_trap_untouched();
}

/* ---- 4. The new routes' own refusals (what the client never sends) -------------------- */

/* path with body (NULL: a GET) as adm: 400 bad_request whose message names want. */
static void bad_request_naming(const char *bearer, const char *path, const char *body,
			       const char *want)
{
	struct pvts_resp r = pvts_http(pvtc.f.port, body ? "POST" : "GET", path, bearer, body,
				       body ? strlen(body) : 0);
	const char *code = pvts_err_code(&r), *msg = pvts_err_msg(&r);
	if (r.status != 400 || !code || strcmp(code, "bad_request") != 0 || !msg ||
	    !strstr(msg, want))
		fail_msg("%s %s: want 400 bad_request naming %s, got %d: %s", body ? "POST" : "GET",
			 path, want, r.status, r.body ? r.body : "");
	pvts_resp_free(&r);
}

/* A body without a member the route needs, or with one that is not a string, and a period
 * that is not a number: 400, naming it; nothing recorded. */
static void test_routes_bad_input(void **state)
{
	(void)state;
	char *bearer = pvts_sign_in(pvtc.f.port, "adm", PW);
	bad_request_naming(bearer, "/v1/notices", "{\"customer\":\"C00000001\",\"kind\":"
			   "\"consent\",\"channel\":\"sms\"}", "\"text_version\"");
	bad_request_naming(bearer, "/v1/notices", "{\"customer\":\"C00000001\",\"kind\":"
			   "\"consent\",\"text_version\":\"v1\",\"channel\":\"sms\",\"state\":7}",
			   "\"state\"");
	bad_request_naming(bearer, "/v1/notices", "{\"customer\":\"C00000001\",\"kind\":"
			   "\"consent\",\"text_version\":\"v1\",\"channel\":\"sms\",\"role\":1}",
			   "\"role\"");
	bad_request_naming(bearer, "/v1/customers/C00000001/confirmations", "{}", "\"channel\"");
	bad_request_naming(bearer, "/v1/customers/C00000001/confirmations",
			   "{\"channel\":[\"phone\"]}", "\"channel\"");
	bad_request_naming(bearer, "/v1/reviews/due?months=two", NULL, "?months=");
	bad_request_naming(bearer, "/v1/reviews/due?months=-1", NULL, "?months=");
	bad_request_naming(bearer, "/v1/reviews/due?months=99999999999", NULL, "?months=");
	bad_request_naming(bearer, "/v1/reviews/due?months=1201", NULL, "1200 months");
	free(bearer);
	char *out = NULL;
	pvtc_login("aud");
	pvtc_remote(0, &out, NULL, "notice list --customer C00000001");
	assert_string_equal(out, ""); /* nothing recorded for that customer */
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audit_alerts),
		cmocka_unit_test(test_audit_threshold),
		cmocka_unit_test(test_notices),
		cmocka_unit_test(test_reviews),
		cmocka_unit_test(test_routes_bad_input),
	};
	return cmocka_run_group_tests(tests, group_setup, pvtc_group_teardown);
}
