/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_gaps.c: the API twins that were missing, over HTTP on loopback, with the
 * library calls they rest on.
 * Checkpoints: GET /v1/audit/checkpoints lists the signed checkpoints a page at a time
 * (size, root, time, signature verified), 403 without 'audit', 400 on a bad page; a DBA's
 * altered root, or altered time, of a stored checkpoint shows as not verified (library
 * and API); `pivault audit checkpoints` lists the same. */
#include "testutil.h"

#include <jansson.h>
#include <sqlite3.h>
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
				   { "dpo1", "dpo" }, { "dpo2", "dpo" } };
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
	pv_vault *v = pvt_sample_vault(g_dir, g_key_path, 6, 13, NULL);
	pv_vault_close(v);
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
	pvt_rmtree(g_tmp);
	free(g_tmp);
	free(g_dir);
	free(g_key_path);
	free(g_aud);
	free(g_clerk);
	return 0;
}

/* SQL run on the vault's database file, as a DBA with the sqlite3 tool would. */
static void dba(const char *sql)
{
	char *path = pvt_path(g_dir, "vault.db");
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err ? err : "?");
	sqlite3_close(db);
	free(path);
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
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
