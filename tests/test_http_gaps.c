/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_gaps.c: the API twins that were missing, over HTTP on loopback, with the
 * library calls they rest on.
 * Checkpoints: GET /v1/audit/checkpoints lists the signed checkpoints a page at a time
 * (size, root, time, signature verified), 403 without 'audit', 400 on a bad page; a DBA's
 * altered root, or altered time, of a stored checkpoint shows as not verified (library
 * and API); `pivault audit checkpoints` lists the same.
 * Enrolment without a session (POST /v1/users/{name}/enrol): the two halves and a new
 * password enrol a waiting user, who then signs in; a wrong half, another user's code, an
 * unknown user and a used code get one answer (401), counted towards the lock-out (a
 * guesser is locked out even when the right code comes after) and audited; the sign-in
 * rate limits apply (429).
 * One's own password (POST /v1/sessions/current/password): the old one checked (a thief of
 * a session token guessing it is locked out, audited), the user's other sessions ended,
 * this one kept; an API token cannot; a password changed by the CLI (pv_user_passwd) ends
 * the user's server sessions too.
 * Sealed omissions: GET /v1/export/summary says how many customers an export leaves out
 * because an incident sealed them, and which incident (0 and "" before the seal; 403
 * without 'export'), and the export indeed leaves them out. An import whose rows share a
 * phone with a sealed customer does not name that customer among its duplicates (no read
 * shows a sealed customer) and its JSON summary says how many it left out, and under
 * which incident; a duplicate of an unsealed customer is still named. */
#include "dba.h"
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pivault.h"
#include "server.h"
#include "server_client.h"

static const char PW[] = "gaps-password-1";
#define MAX_BODY 65536

static char *g_tmp, *g_dir, *g_key_path;
static struct pvt_csv g_csv;
static struct pvs_server *g_srv;
static unsigned g_port;
static char *g_aud, *g_clerk; /* their sessions' bearer tokens */

static struct pvts_resp http(const char *method, const char *path, const char *token,
			     const char *body)
{
	return pvts_http(g_port, method, path, token, body, body ? strlen(body) : 0);
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

static void add_users(void)
{
	pv_vault *root = pvt_open_root(g_dir, NULL, g_key_path);
	pv_access admin = { "admin", NULL, PV_WANT_MASKED };
	const char *users[][2] = { { "aud", "auditor" }, { "clerk1", "clerk" },
				   { "dpo1", "dpo" }, { "dpo2", "dpo" }, { "pw1", "clerk" },
				   { "pw2", "clerk" }, { "pw3", "clerk" }, { "pw4", "clerk" },
				   { "adm", "admin" } };
	char today[16];
	time_t now = time(NULL);
	strftime(today, sizeof today, "%Y-%m-%d", gmtime(&now));
	for (size_t i = 0; i < sizeof users / sizeof *users; i++) {
		assert_ok(root, pvt_user_add(root, &admin, users[i][0], users[i][1], PW, strlen(PW)));
		assert_ok(root, pv_user_attest(root, &admin, users[i][0], today, today, NULL));
	}
	pvt_vclose(root);
}

static int group_setup(void **state)
{
	(void)state;
	g_tmp = pvt_tempdir();
	g_dir = pvt_path(g_tmp, "vault");
	g_key_path = pvt_path(g_tmp, "root.key");
	char *csv = NULL;
	pv_vault *v = pvt_sample_vault(g_dir, g_key_path, 6, 13, &csv);
	pv_vault_close(v);
	assert_int_equal(pvt_csv_parse(csv, &g_csv), 0);
	free(csv);
	add_users();
	struct pvs_config c = { .plain_http = 1, .session_seconds = 900,
				.sign_in_per_address = 10000, .sign_in_per_user = 10000,
				.reads_per_second = 10000, .reads_burst = 10000 };
	g_srv = pvts_start(&c, g_dir, g_key_path, MAX_BODY);
	g_port = pvs_port(g_srv);
	g_aud = pvts_sign_in(g_port, "aud", PW);
	g_clerk = pvts_sign_in(g_port, "clerk1", PW);
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
	free(g_aud);
	free(g_clerk);
	return 0;
}

/* SQL run on the vault's store as its DBA would (the SQLite file, or its PostgreSQL schema). */
static void dba(const char *sql)
{
	if (pvt_dba(NULL, g_dir, "%s", sql) != 0)
		fail_msg("the DBA's SQL failed: %s", sql);
}

/* ---- Checkpoints ---- */

/* A new checkpoint signed through the API; its size. */
static uint64_t sign_checkpoint(void)
{
	struct pvts_resp r = expect(201, "POST", "/v1/audit/checkpoints", g_aud, NULL);
	const char *text = json_string_value(json_object_get(r.json, "checkpoint"));
	assert_non_null(text);
	const char *size = strstr(text, "\nsize ");
	assert_non_null(size);
	uint64_t n = strtoull(size + 6, NULL, 10);
	pvts_resp_free(&r);
	return n;
}

/* The page GET path answers: its checkpoints (kept alive by r). */
static json_t *checkpoint_page(struct pvts_resp *r, const char *path)
{
	*r = expect(200, "GET", path, g_aud, NULL);
	json_t *list = json_object_get(r->json, "checkpoints");
	assert_true(json_is_array(list));
	return list;
}

/* The listed checkpoint of size n in list, or NULL. */
static json_t *listed(json_t *list, uint64_t n)
{
	size_t i;
	json_t *k;
	json_array_foreach(list, i, k)
		if ((uint64_t)json_integer_value(json_object_get(k, "size")) == n)
			return k;
	return NULL;
}

static void test_checkpoints_listed_and_paged(void **state)
{
	(void)state;
	uint64_t sizes[3];
	for (int i = 0; i < 3; i++)
		sizes[i] = sign_checkpoint();
	struct pvts_resp r;
	json_t *all = checkpoint_page(&r, "/v1/audit/checkpoints?limit=1000");
	assert_true(json_is_null(json_object_get(r.json, "next")));
	time_t now = time(NULL);
	uint64_t prev = 0;
	size_t i;
	json_t *k;
	json_array_foreach(all, i, k) {
		uint64_t size = (uint64_t)json_integer_value(json_object_get(k, "size"));
		assert_true(size > prev); /* by size */
		prev = size;
		assert_int_equal(strlen(json_string_value(json_object_get(k, "root"))), 64);
		json_int_t at = json_integer_value(json_object_get(k, "at"));
		assert_true(at > now - 3600 && at <= now + 5);
		assert_true(json_is_true(json_object_get(k, "verified")));
	}
	for (int j = 0; j < 3; j++)
		assert_non_null(listed(all, sizes[j]));
	pvts_resp_free(&r);
	/* paged: one at a time from the second-to-last signed */
	char path[96];
	snprintf(path, sizeof path, "/v1/audit/checkpoints?limit=1&after=%llu",
		 (unsigned long long)sizes[0]);
	json_t *page = checkpoint_page(&r, path);
	assert_int_equal(json_array_size(page), 1);
	assert_non_null(listed(page, sizes[1]));
	assert_int_equal(json_integer_value(json_object_get(r.json, "next")), (json_int_t)sizes[1]);
	pvts_resp_free(&r);
	snprintf(path, sizeof path, "/v1/audit/checkpoints?limit=1&after=%llu",
		 (unsigned long long)sizes[2]);
	page = checkpoint_page(&r, path);
	assert_int_equal(json_array_size(page), 0);
	assert_true(json_is_null(json_object_get(r.json, "next")));
	pvts_resp_free(&r);
}

static void test_checkpoints_refused(void **state)
{
	(void)state;
	expect_code(403, "forbidden", "GET", "/v1/audit/checkpoints", g_clerk, NULL);
	expect_code(401, "unauthenticated", "GET", "/v1/audit/checkpoints", NULL, NULL);
	expect_code(400, "bad_request", "GET", "/v1/audit/checkpoints?limit=0", g_aud, NULL);
	expect_code(400, "bad_request", "GET", "/v1/audit/checkpoints?limit=1001", g_aud, NULL);
	expect_code(400, "bad_request", "GET", "/v1/audit/checkpoints?after=-1", g_aud, NULL);
	expect_code(400, "bad_request", "GET", "/v1/audit/checkpoints?after=x", g_aud, NULL);
}

/* A DBA gives a stored checkpoint another root (to cover an edited log), or moves its
 * time: the listing says its signature does not verify, through the API and the library;
 * the others still verify. */
static void test_checkpoint_forged_by_dba(void **state)
{
	(void)state;
	uint64_t root_edited = sign_checkpoint(), time_edited = sign_checkpoint(),
		 honest = sign_checkpoint();
	char sql[256];
	snprintf(sql, sizeof sql, "UPDATE audit_checkpoints SET root = zeroblob(32) WHERE size = "
		 "%llu; UPDATE audit_checkpoints SET at = '2020-01-01T00:00:00.000Z' WHERE size = "
		 "%llu", (unsigned long long)root_edited, (unsigned long long)time_edited);
	dba(sql);
	struct pvts_resp r;
	json_t *all = checkpoint_page(&r, "/v1/audit/checkpoints?limit=1000");
	assert_true(json_is_false(json_object_get(listed(all, root_edited), "verified")));
	assert_true(json_is_false(json_object_get(listed(all, time_edited), "verified")));
	assert_true(json_is_true(json_object_get(listed(all, honest), "verified")));
	pvts_resp_free(&r);
}

/* `pivault audit checkpoints`: the same listing (JSON lines, a forged one false), paged. */
static void test_cli_checkpoints(void **state)
{
	(void)state;
	char *out = NULL;
	int st = pvt_run(&out, "PIVAULT_VAULT='%s' PIVAULT_KEY_FILE='%s' '%s' audit checkpoints "
			 "--json --role admin --limit 1000 </dev/null", g_dir, g_key_path,
			 pvt_program("pivault-test"));
	assert_int_equal(st, 0);
	assert_non_null(strstr(out, "\"verified\":true}"));
	assert_non_null(strstr(out, "\"verified\":false}")); /* the DBA's rows */
	free(out);
	st = pvt_run(&out, "PIVAULT_VAULT='%s' PIVAULT_KEY_FILE='%s' '%s' audit checkpoints "
		     "--role admin --limit 1 </dev/null", g_dir, g_key_path,
		     pvt_program("pivault-test"));
	assert_int_equal(st, 0);
	assert_non_null(strstr(out, "signature verified"));
	assert_non_null(strstr(out, "more: --after "));
	free(out);
	st = pvt_run(&out, "PIVAULT_VAULT='%s' PIVAULT_KEY_FILE='%s' '%s' audit checkpoints "
		     "--limit x 2>/dev/null </dev/null", g_dir, g_key_path,
		     pvt_program("pivault-test"));
	assert_int_equal(st, 2);
	free(out);
}

/* ---- Enrolment without a session ---- */

/* A user added with a root-secret session (both halves, "A B"), waiting for enrolment. */
static void add_waiting(const char *name, char a[64], char b[64])
{
	pv_vault *root = pvt_open_root(g_dir, NULL, g_key_path);
	pv_access admin = { "admin", NULL, PV_WANT_MASKED };
	char *halves = NULL;
	assert_ok(root, pv_user_add(root, &admin, name, "clerk", &halves));
	const char *space = strchr(halves, ' ');
	assert_non_null(space);
	snprintf(a, 64, "%.*s", (int)(space - halves), halves);
	snprintf(b, 64, "%s", space + 1);
	pv_free(halves);
	char today[16];
	time_t now = time(NULL);
	strftime(today, sizeof today, "%Y-%m-%d", gmtime(&now));
	assert_ok(root, pv_user_attest(root, &admin, name, today, today, NULL));
	pvt_vclose(root);
}

static char *enrol_body(const char *a, const char *b, const char *pw)
{
	char *body = malloc(256);
	snprintf(body, 256, "{\"half_a\":\"%s\",\"half_b\":\"%s\",\"password\":\"%s\"}", a, b, pw);
	return body;
}

/* POST /v1/users/{name}/enrol with the halves and password answers status; the error's
 * message (malloc'd; "" when none). */
static char *enrol_as(unsigned port, const char *name, const char *a, const char *b,
		      const char *pw, int status)
{
	char path[96], *body = enrol_body(a, b, pw);
	snprintf(path, sizeof path, "/v1/users/%s/enrol", name);
	struct pvts_resp r = pvts_http(port, "POST", path, NULL, body, strlen(body));
	if (r.status != status)
		fail_msg("enrol %s: %d, not %d: %s", name, r.status, status, r.body ? r.body : "");
	const char *m = pvts_err_msg(&r);
	char *msg = strdup(m ? m : "");
	pvts_resp_free(&r);
	free(body);
	return msg;
}

/* Entries of the audit log for user with op and outcome. */
static long audited(const char *user, const char *op, const char *outcome)
{
	return pvts_count_entries(g_dir, &(struct pvts_entries){ .user = user, .op = op,
								 .outcome = outcome });
}

static void test_enrol_through_http(void **state)
{
	(void)state;
	char a[64], b[64], a2[64], b2[64];
	add_waiting("newbie1", a, b);
	add_waiting("newbie2", a2, b2);
	/* one answer for a wrong half, another user's code, an unknown user */
	char *wrong = enrol_as(g_port, "newbie1", a, b2, "newbie-pass-1", 401);
	char *other = enrol_as(g_port, "newbie1", a2, b2, "newbie-pass-1", 401);
	char *unknown = enrol_as(g_port, "nobody", a, b, "newbie-pass-1", 401);
	assert_string_equal(wrong, unknown);
	assert_string_equal(other, unknown);
	assert_null(strstr(unknown, a));
	free(wrong);
	free(other);
	free(unknown);
	/* malformed: a short password (before the code is tried), a missing half, not JSON */
	free(enrol_as(g_port, "newbie1", a, b, "short", 400));
	expect_code(400, "bad_request", "POST", "/v1/users/newbie1/enrol", NULL,
		    "{\"half_a\":\"x\",\"password\":\"newbie-pass-1\"}");
	expect_code(400, "malformed_json", "POST", "/v1/users/newbie1/enrol", NULL, "{\"half_a\"");
	/* the right halves: enrolled, then signs in with the new password */
	free(enrol_as(g_port, "newbie1", a, b, "newbie-pass-1", 204));
	free(pvts_sign_in(g_port, "newbie1", "newbie-pass-1"));
	/* the code is used up */
	free(enrol_as(g_port, "newbie1", a, b, "taken-over-1", 401));
	assert_int_equal(audited("newbie1", "user enrol", "ok"), 1);
	assert_int_equal(audited("newbie1", "login", "failed"), 3);
	assert_int_equal(audited("nobody", "login", "failed"), 1);
}

/* Someone holding one half guesses the other: after five wrong tries the user is locked
 * out, and the right code no longer enrols (until the lock ends). */
static void test_enrol_guesses_locked_out(void **state)
{
	(void)state;
	char a[64], b[64];
	add_waiting("newbie3", a, b);
	char guess[64];
	snprintf(guess, sizeof guess, "%s", b);
	guess[0] = guess[0] == 'A' ? 'B' : 'A';
	for (int i = 0; i < 5; i++)
		free(enrol_as(g_port, "newbie3", a, guess, "newbie-pass-3", 401));
	free(enrol_as(g_port, "newbie3", a, b, "newbie-pass-3", 403));
	assert_true(audited("newbie3", "login", "denied") >= 1);
}

/* The sign-in rate limits hold for enrolment: a server allowing 3 attempts per user name
 * answers the fourth 429 with Retry-After, before any code is tried. */
static void test_enrol_rate_limited(void **state)
{
	(void)state;
	char a[64], b[64];
	add_waiting("newbie4", a, b);
	struct pvs_config c = { .plain_http = 1, .session_seconds = 900,
				.sign_in_per_address = 100, .sign_in_per_user = 3,
				.reads_per_second = 10000, .reads_burst = 10000 };
	struct pvs_server *srv = pvts_start(&c, g_dir, g_key_path, MAX_BODY);
	unsigned port = pvs_port(srv);
	for (int i = 0; i < 3; i++)
		free(enrol_as(port, "newbie4", a, "WRONG-WRONG-WRONG", "newbie-pass-4", 401));
	char *body = enrol_body(a, b, "newbie-pass-4");
	struct pvts_resp r = pvts_http(port, "POST", "/v1/users/newbie4/enrol", NULL, body,
				       strlen(body));
	assert_int_equal(r.status, 429);
	assert_true(r.retry_after > 0);
	pvts_resp_free(&r);
	free(body);
	pvs_stop(srv);
	/* refused before the code was tried: the user is still waiting, not locked */
	free(enrol_as(g_port, "newbie4", a, b, "newbie-pass-4", 204));
}

/* ---- One's own password ---- */

static char *password_body(const char *old, const char *pw)
{
	char *body = malloc(256);
	snprintf(body, 256, "{\"old_password\":\"%s\",\"password\":\"%s\"}", old, pw);
	return body;
}

static void change_password(const char *token, const char *old, const char *pw, int status,
			    const char *code)
{
	char *body = password_body(old, pw);
	struct pvts_resp r = expect(status, "POST", "/v1/sessions/current/password", token, body);
	if (code)
		assert_string_equal(pvts_err_code(&r), code);
	pvts_resp_free(&r);
	free(body);
}

static void test_password_changed_through_http(void **state)
{
	(void)state;
	char *s1 = pvts_sign_in(g_port, "pw1", PW), *s2 = pvts_sign_in(g_port, "pw1", PW);
	change_password(s1, "not-the-password", "new-password-1", 401, "unauthenticated");
	change_password(s1, PW, "short", 400, NULL);
	expect_code(400, "bad_request", "POST", "/v1/sessions/current/password", s1,
		    "{\"password\":\"new-password-1\"}");
	expect_code(401, "unauthenticated", "POST", "/v1/sessions/current/password", NULL,
		    "{\"old_password\":\"x\",\"password\":\"new-password-1\"}");
	change_password(s1, PW, "new-password-1", 204, NULL);
	/* this session goes on; the user's other one is ended */
	struct pvts_resp r = expect(200, "GET", "/v1/sessions/current", s1, NULL);
	pvts_resp_free(&r);
	expect_code(401, "unauthenticated", "GET", "/v1/sessions/current", s2, NULL);
	/* the old password opens nothing, the new one does */
	char *body = malloc(128);
	snprintf(body, 128, "{\"user\":\"pw1\",\"password\":\"%s\"}", PW);
	expect_code(401, "unauthenticated", "POST", "/v1/sessions", NULL, body);
	free(body);
	free(pvts_sign_in(g_port, "pw1", "new-password-1"));
	assert_int_equal(audited("pw1", "user passwd", "ok"), 1);
	free(s1);
	free(s2);
}

/* A thief of a session token guesses the password through the change route: counted as
 * sign-in attempts, so five wrong guesses lock the user out (and are audited); the right
 * old password no longer helps while locked. */
static void test_password_guessing_locked_out(void **state)
{
	(void)state;
	char *stolen = pvts_sign_in(g_port, "pw2", PW);
	for (int i = 0; i < 5; i++)
		change_password(stolen, "guess-guess-1", "thief-password-1", 401, NULL);
	change_password(stolen, PW, "thief-password-1", 403, "forbidden");
	assert_int_equal(audited("pw2", "login", "failed"), 5);
	assert_int_equal(audited("pw2", "user passwd", "ok"), 0);
	free(stolen);
}

/* An API token acts for its user but does not change the user's password. */
static void test_api_token_cannot_change_password(void **state)
{
	(void)state;
	pv_vault *root = pvt_open_root(g_dir, NULL, g_key_path);
	pv_access admin = { "admin", NULL, PV_WANT_MASKED };
	char *id = NULL, *token = NULL;
	assert_ok(root, pv_api_token_create(root, &admin, "pw3", "clerk", "service", 3600, &id,
					    &token));
	pvt_vclose(root);
	change_password(token, PW, "script-password-1", 403, "forbidden");
	free(pvts_sign_in(g_port, "pw3", PW)); /* unchanged */
	pv_free(id);
	pv_free(token);
}

/* A password changed where the user opened the vault themselves (the CLI's
 * pv_user_passwd) ends their sessions on the server as well. */
static void test_cli_password_change_ends_sessions(void **state)
{
	(void)state;
	char *s = pvts_sign_in(g_port, "pw4", PW);
	pv_vault *u = pvt_open_user(g_dir, "pw4", PW);
	assert_ok(u, pv_user_passwd(u, PW, strlen(PW), "cli-password-1", 14));
	pvt_vclose(u);
	expect_code(401, "unauthenticated", "GET", "/v1/sessions/current", s, NULL);
	free(s);
}

/* ---- Sealed omissions ---- */

static const char *customer(size_t row)
{
	return pvt_csv_get(&g_csv, row, "customer_id");
}

/* Customers of rows first..last read by admin, then sealed under a new incident: its id
 * (malloc'd). */
static char *seal_rows(size_t first, size_t last)
{
	pv_vault *root = pvt_open_root(g_dir, NULL, g_key_path);
	pv_access admin = { "admin", "service", PV_WANT_MASKED };
	const char *ids[8];
	size_t n = 0;
	for (size_t r = first; r <= last; r++) {
		pv_record *rec = NULL;
		assert_ok(root, pv_get(root, &admin, customer(r), &rec));
		pv_record_free(rec);
		ids[n++] = customer(r);
	}
	char *id = NULL, at[32];
	time_t t = time(NULL) - 60;
	strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	assert_ok(root, pv_incident_open(root, &admin, PV_INCIDENT_UNAUTHORISED_ACCESS, at,
					 "a test seal", &id));
	pv_incident_filter by = { NULL, NULL, NULL, "read", ids, n };
	pv_incident_counts counts;
	assert_ok(root, pv_incident_scope(root, &admin, id, &by, &counts));
	size_t sealed = 0;
	assert_ok(root, pv_incident_seal(root, &admin, id, &sealed));
	assert_int_equal(sealed, n);
	pvt_vclose(root);
	char *copy = strdup(id);
	pv_free(id);
	return copy;
}

/* GET /v1/export/summary as token: its customers count, and the incident into inc. */
static json_int_t export_summary(const char *token, char *inc, size_t n)
{
	struct pvts_resp r = expect(200, "GET", "/v1/export/summary?role=dpo&purpose=service",
				    token, NULL);
	json_t *o = json_object_get(r.json, "sealed_left_out");
	json_int_t count = json_integer_value(json_object_get(o, "customers"));
	snprintf(inc, n, "%s", json_string_value(json_object_get(o, "incident")));
	pvts_resp_free(&r);
	return count;
}

static void test_export_summary_of_sealed(void **state)
{
	(void)state;
	char *dpo = pvts_sign_in(g_port, "dpo1", PW), inc[64];
	assert_int_equal(export_summary(dpo, inc, sizeof inc), 0);
	assert_string_equal(inc, "");
	expect_code(403, "forbidden", "GET", "/v1/export/summary", g_clerk, NULL);
	expect_code(403, "forbidden", "GET", "/v1/export/summary?role=auditor&purpose=service",
		    g_aud, NULL);
	char *incident = seal_rows(1, 2);
	assert_int_equal(export_summary(dpo, inc, sizeof inc), 2);
	assert_string_equal(inc, incident);
	/* the export leaves those two out, and only those */
	struct pvts_resp r = expect(200, "GET", "/v1/export?format=jsonl&role=dpo&purpose=service",
				    dpo, NULL);
	size_t records = 0;
	for (const char *p = r.body; (p = strstr(p, "{\"customer_id\":")) != NULL; p++)
		records++; /* one a record (the body as read holds the chunks' sizes too) */
	assert_int_equal(records, g_csv.nrows - 1 - 2); /* nrows counts the header */
	assert_null(strstr(r.body, customer(1)));
	assert_null(strstr(r.body, customer(2)));
	assert_non_null(strstr(r.body, customer(3)));
	pvts_resp_free(&r);
	free(incident);
	free(dpo);
}

/* CSV text of the header and, for each row of rows, that row of the sample under the new
 * id of ids (every cell quoted; malloc'd). */
static char *csv_copy(const size_t *rows, const char *const *ids, size_t n)
{
	size_t cap = 65536, len = 0;
	char *out = malloc(cap);
	for (size_t r = 0; r <= n; r++) {
		for (size_t c = 0; c < g_csv.ncols; c++) {
			const char *col = g_csv.cell[c];
			const char *v = r == 0 ? col
					: strcmp(col, "customer_id") == 0 ? ids[r - 1]
					: pvt_csv_get(&g_csv, rows[r - 1], col);
			len += (size_t)snprintf(out + len, cap - len, "%s\"", c ? "," : "");
			for (const char *p = v; *p; p++)
				len += (size_t)snprintf(out + len, cap - len, *p == '"' ? "\"\"" : "%c",
							*p);
			len += (size_t)snprintf(out + len, cap - len, "\"");
		}
		len += (size_t)snprintf(out + len, cap - len, "\r\n");
		assert_true(len < cap - 1024);
	}
	return out;
}

static void test_import_summary_of_sealed(void **state)
{
	(void)state;
	char *adm = pvts_sign_in(g_port, "adm", PW), *dpo = pvts_sign_in(g_port, "dpo1", PW);
	char inc[64];
	assert_int_equal(export_summary(dpo, inc, sizeof inc), 2); /* rows 1 and 2, sealed */
	free(dpo);
	size_t rows[] = { 1, 3 };
	const char *ids[] = { "C90000001", "C90000003" };
	char *csv = csv_copy(rows, ids, 2);
	struct pvts_resp r = expect(200, "POST", "/v1/import?role=admin&purpose=service", adm,
				    csv);
	assert_int_equal(json_integer_value(json_object_get(r.json, "imported")), 2);
	/* the copy of row 3 is named with it; the sealed customer of row 1 is not, nor is a
	 * group left showing its copy alone (which would point at a hidden match) */
	assert_null(strstr(r.body, customer(1)));
	assert_non_null(strstr(r.body, customer(3)));
	assert_null(strstr(r.body, "C90000001"));
	size_t i;
	json_t *g;
	json_array_foreach(json_object_get(r.json, "duplicates"), i, g)
		assert_non_null(strchr(json_string_value(json_object_get(g, "ids")), ','));
	assert_int_equal(json_integer_value(json_object_get(r.json, "duplicate_groups")),
			 json_array_size(json_object_get(r.json, "duplicates")));
	json_t *left = json_object_get(r.json, "sealed_left_out");
	assert_int_equal(json_integer_value(json_object_get(left, "customers")), 1);
	assert_string_equal(json_string_value(json_object_get(left, "incident")), inc);
	pvts_resp_free(&r);
	free(csv);
	/* the import's audit entry says it too */
	r = expect(200, "GET", "/v1/audit?user=adm&limit=1000", g_aud, NULL);
	assert_non_null(strstr(r.body, "1 sealed customer left out of the duplicates"));
	pvts_resp_free(&r);
	free(adm);
}

/* ---- The library's listing ---- */

struct seen {
	uint64_t size[8];
	int verified[8];
	size_t n;
};

static int seen_one(void *ctx, const pv_audit_checkpoint_info *c)
{
	struct seen *s = ctx;
	assert_true(s->n < 8);
	assert_int_equal(strlen(c->root), 64);
	assert_true(strlen(c->at) >= 20);
	s->size[s->n] = c->size;
	s->verified[s->n++] = c->verified;
	return 0;
}

static void test_library_checkpoints(void **state)
{
	(void)state;
	char *tmp = pvt_tempdir(), *dir = pvt_path(tmp, "v"), *key = pvt_path(tmp, "k");
	pv_vault *v = pvt_track(pvt_sample_vault(dir, key, 2, 5, NULL));
	pv_access auditor = { "admin", NULL, PV_WANT_MASKED };
	char *texts[3];
	for (int i = 0; i < 3; i++)
		assert_ok(v, pv_audit_checkpoint(v, &auditor, &texts[i]));
	struct seen s = { { 0 }, { 0 }, 0 };
	uint64_t next = 99;
	assert_ok(v, pv_audit_checkpoints(v, &auditor, 0, 2, seen_one, &s, &next));
	assert_int_equal(s.n, 2);
	assert_true(s.size[0] < s.size[1] && s.verified[0] && s.verified[1]);
	assert_int_equal(next, s.size[1]);
	assert_ok(v, pv_audit_checkpoints(v, &auditor, next, 2, seen_one, &s, &next));
	assert_int_equal(s.n, 3);
	assert_int_equal(next, 0);
	/* a role without 'audit' is refused, and the refusal audited */
	pv_access clerk = { "clerk", NULL, PV_WANT_MASKED };
	assert_rc_msg(v, pv_audit_checkpoints(v, &clerk, 0, 10, seen_one, &s, NULL),
		      PV_ERR_DENIED, "audit");
	assert_int_equal(pv_audit_checkpoints(v, &auditor, 0, 0, seen_one, &s, NULL),
			 PV_ERR_USAGE);
	for (int i = 0; i < 3; i++)
		pv_free(texts[i]);
	pvt_vclose(v);
	pvt_rmtree(tmp);
	free(tmp);
	free(dir);
	free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checkpoints_listed_and_paged),
		cmocka_unit_test(test_checkpoints_refused),
		cmocka_unit_test(test_checkpoint_forged_by_dba),
		cmocka_unit_test(test_cli_checkpoints),
		cmocka_unit_test(test_library_checkpoints),
		cmocka_unit_test(test_enrol_through_http),
		cmocka_unit_test(test_enrol_guesses_locked_out),
		cmocka_unit_test(test_enrol_rate_limited),
		cmocka_unit_test(test_password_changed_through_http),
		cmocka_unit_test(test_password_guessing_locked_out),
		cmocka_unit_test(test_api_token_cannot_change_password),
		cmocka_unit_test(test_cli_password_change_ends_sessions),
		cmocka_unit_test(test_export_summary_of_sealed),
		cmocka_unit_test(test_import_summary_of_sealed),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
