/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_insider.c: the insider attacks of docs/threat-model.md made through the API,
 * over HTTPS on loopback, by people with an account (and a DBA with SQL on the vault's
 * store, SQLite file or PostgreSQL schema, while the server runs). Each test first shows
 * the legitimate path works (so the attack would matter), then makes the attack and checks
 * it is refused and nothing changed (test_http_authz's digest of the vault's tables). The
 * attacks: an approval for one alert threshold used to set another (the threshold is also
 * the bulk limit); a disabled user's session and API token used after the disable; an API
 * token used in a role beyond its own; a clerk detokenizing a value the role sees masked;
 * parallel pages in one session to read past the bulk limit in clear; a DBA making a clerk
 * an administrator, editing the stored schema, or swapping two customers' rows, with the
 * server running. Then hostile input for each area's writes: malformed JSON, a body not an
 * object, members of the wrong type, a body over the cap (413), and slow clients that stop
 * half-way (closed, nothing changed). Elsewhere over HTTP: approving one's own request and
 * replays (test_http_gov), a changed role on an approved user add (test_http_gov), tokens
 * that expire or are revoked, purposes of API tokens (test_server), the bulk limit across
 * pages (test_http_data). */
#include "dba.h"
#include "testutil.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pivault.h"
#include "server.h"
#include "server_client.h"

static const char PW[] = "insider-password-1";
#define MAX_BODY 16384
#define CUSTOMERS 130 /* more than the bulk limit (100) */

static struct pvts_fixture g_f; /* the vault with its users, the server over HTTPS */

static int group_setup(void **state)
{
	(void)state;
	static const struct pvts_user multi[] = { { "multi", "clerk,admin", 1 }, { NULL, NULL, 0 } };
	struct pvs_config c = pvts_roomy_config();
	c.threads = 4; /* pages asked at once are served at once */
	pvts_fixture_up(&g_f, &(struct pvts_spec){ .customers = CUSTOMERS, .seed = 31,
						    .password = PW, .extra = multi,
						    .max_body = MAX_BODY, .config = &c,
						    .tls = 1 });
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	pvts_fixture_down(&g_f);
	return 0;
}

/* ---- helpers ---------------------------------------------------------------------------- */

static struct pvts_resp http(const char *method, const char *path, const char *token,
			     const char *body)
{
	return pvts_http(g_f.port, method, path, token, body, body ? strlen(body) : 0);
}

static char *sign_in(const char *user)
{
	return pvt_keep(pvts_sign_in(g_f.port, user, PW));
}

/* The status of one call (the reply freed). */
static int status_of(const char *method, const char *path, const char *token, const char *body)
{
	struct pvts_resp r = http(method, path, token, body);
	int status = r.status;
	pvts_resp_free(&r);
	return status;
}

/* One call answered with status and, when code, that error code; the reply freed. */
static void expect(int status, const char *code, const char *method, const char *path,
		   const char *token, const char *body)
{
	struct pvts_resp r = http(method, path, token, body);
	if (r.status != status || (code && (!pvts_err_code(&r) ||
					   strcmp(pvts_err_code(&r), code) != 0)))
		fail_msg("%s %s: %d (wanted %d %s): %s", method, path, r.status, status,
			 code ? code : "", r.body ? r.body : "");
	pvts_resp_free(&r);
}

/* The vault's digest now (into d). */
static void digest(unsigned char d[32])
{
	pvts_vault_digest(g_f.dir, d);
}

static void nap_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&t, NULL);
}

/* SQL on the vault's store as a DBA would (the SQLite file, or its PostgreSQL schema),
 * while the server runs; then the time its reads linger (up to 20 ms, SQLite's) passed. */
static void dba(const char *sql)
{
	if (pvt_dba(NULL, g_f.dir, "%s", sql) != 0)
		fail_msg("the DBA's SQL failed: %s", sql);
	nap_ms(40);
}

/* An API token (kept) for user in the clerk role with the purpose service, made by the root. */
static const char *api_token(const char *user)
{
	pv_vault *root = pvt_open_root(g_f.dir, NULL, g_f.key_path);
	pv_access admin = { "admin", "all", 0 };
	char *id = NULL, *token = NULL;
	assert_ok(root, pv_api_token_create(root, &admin, user, "clerk", "service", 3600, &id,
					    &token));
	pvt_vclose(root);
	char *copy = pvt_keep(strdup(token));
	pv_free(id);
	pv_free(token);
	return copy;
}

static char *request_id_of(const struct pvts_resp *r)
{
	const char *id = json_string_value(json_object_get(json_object_get(r->json, "request"),
							   "id"));
	assert_non_null(id);
	return pvt_keep(strdup(id));
}

/* ---- four eyes: an approval bound to its arguments ------------------------------------- */

/* A DPO asks for an alert threshold of 50 a hour; another approves; the requester uses the
 * approval to set 1000000 instead (the threshold is also the bulk limit: lifting it opens
 * bulk reads in clear). Refused, nothing changed; the approved value then goes through. */
static void test_threshold_approval_bound(void **state)
{
	(void)state;
	char *dpo = sign_in("dpo1"), *dpo2 = sign_in("dpo2"), path[96], body[160];
	struct pvts_resp r = http("POST", "/v1/audit/threshold", dpo,
				  "{\"per_hour\":50,\"reason\":\"tighter\"}");
	assert_int_equal(r.status, 202);
	char *id = request_id_of(&r);
	pvts_resp_free(&r);
	snprintf(path, sizeof path, "/v1/requests/%s/approve", id);
	expect(200, NULL, "POST", path, dpo2, "{}");
	unsigned char before[32], after[32];
	digest(before);
	snprintf(body, sizeof body, "{\"per_hour\":1000000,\"request\":\"%s\"}", id);
	expect(403, "forbidden", "POST", "/v1/audit/threshold", dpo, body);
	snprintf(body, sizeof body, "{\"per_hour\":1000000,\"role\":\"dpo\",\"request\":\"%s\"}", id);
	expect(403, "forbidden", "POST", "/v1/audit/threshold", dpo, body);
	digest(after);
	assert_memory_equal(before, after, sizeof before);
	snprintf(body, sizeof body, "{\"per_hour\":50,\"request\":\"%s\"}", id);
	r = http("POST", "/v1/audit/threshold", dpo, body);
	assert_int_equal(r.status / 100, 2);
	pvts_resp_free(&r);
	/* used once: the same approval again is refused */
	digest(before);
	assert_int_equal(status_of("POST", "/v1/audit/threshold", dpo, body) / 100, 4);
	digest(after);
	assert_memory_equal(before, after, sizeof before);
}

/* ---- sessions and tokens --------------------------------------------------------------- */

/* A clerk's session and API token work; the clerk is disabled (through the API); both are
 * refused from then on, and signing in again too. */
static void test_disabled_user_session_and_token(void **state)
{
	(void)state;
	char *session = sign_in("clerk2"), *adm = sign_in("adm");
	const char *token = api_token("clerk2");
	const char *get = "/v1/customers/C00000001?purpose=service";
	assert_int_equal(status_of("GET", get, session, NULL), 200);
	assert_int_equal(status_of("GET", get, token, NULL), 200);
	expect(204, NULL, "POST", "/v1/users/clerk2/disable", adm, "{}");
	int by_session = status_of("GET", get, session, NULL);
	int by_token = status_of("GET", get, token, NULL);
	if (by_session / 100 != 4 || by_token / 100 != 4)
		fail_msg("a disabled user's session read %d, token read %d", by_session, by_token);
	char body[128];
	snprintf(body, sizeof body, "{\"user\":\"clerk2\",\"password\":\"%s\"}", PW);
	assert_int_equal(status_of("POST", "/v1/sessions", NULL, body) / 100, 4);
	/* a DBA undoes the disable with SQL: still refused, as tampering */
	dba("UPDATE users SET disabled=0 WHERE name='clerk2'");
	assert_int_not_equal(status_of("POST", "/v1/sessions", NULL, body) / 100, 2);
	assert_int_not_equal(status_of("GET", get, session, NULL) / 100, 2);
	assert_int_not_equal(status_of("GET", get, token, NULL) / 100, 2);
	dba("UPDATE users SET disabled=1 WHERE name='clerk2'");
}

/* An API token of a user holding clerk and admin, made for the clerk role: it reads as a
 * clerk; asked to act as the administrator its user also is (?role= or "role"), it is refused. */
static void test_token_beyond_its_role(void **state)
{
	(void)state;
	const char *token = api_token("multi");
	assert_int_equal(status_of("GET", "/v1/customers/C00000002?purpose=service&role=clerk",
				   token, NULL), 200);
	unsigned char before[32], after[32];
	digest(before);
	expect(403, "forbidden", "GET", "/v1/users?role=admin", token, NULL);
	expect(403, "forbidden", "GET", "/v1/customers/C00000002?purpose=all&role=admin", token,
	       NULL);
	expect(403, "forbidden", "PATCH", "/v1/customers/C00000002?role=admin&purpose=service",
	       token, "{\"fields\":{\"email\":\"x@example.com\"},\"role\":\"admin\"}");
	expect(403, "forbidden", "POST", "/v1/holds", token,
	       "{\"customers\":[\"C00000002\"],\"reason\":\"x\",\"role\":\"admin\"}");
	digest(after);
	assert_memory_equal(before, after, sizeof before);
}

/* ---- clear values ---------------------------------------------------------------------- */

/* A token of a customer's phone for the clerk's own purpose: the administrator gets the
 * phone back; the clerk (who sees phones masked) never sees it in clear. */
static void test_clerk_detokenizes_a_masked_field(void **state)
{
	(void)state;
	pv_vault *root = pvt_open_root(g_f.dir, NULL, g_f.key_path);
	pv_access admin = { "admin", "service", 0 };
	char *t = NULL;
	assert_ok(root, pv_tokenize(root, &admin, "C00000003", "phone", PV_TOKEN_RANDOM,
				    PV_TOKEN_OPAQUE, &t));
	pvt_vclose(root);
	const char *phone = pvt_csv_get(&g_f.csv, 3, "phone");
	char body[256];
	snprintf(body, sizeof body, "{\"token\":\"%s\",\"purpose\":\"service\"}", t);
	pv_free(t);
	struct pvts_resp r = http("POST", "/v1/detokenize", sign_in("adm"), body);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, phone));
	pvts_resp_free(&r);
	r = http("POST", "/v1/detokenize", sign_in("clerk1"), body);
	if (r.body && strstr(r.body, phone))
		fail_msg("the clerk detokenized a phone in clear: %d", r.status);
	pvts_resp_free(&r);
	/* nor through a read asking clear, nor a find */
	r = http("GET", "/v1/customers/C00000003?purpose=service&clear=true", sign_in("clerk1"),
		 NULL);
	assert_null(r.body ? strstr(r.body, phone) : NULL);
	pvts_resp_free(&r);
}

/* Pages in clear asked at the same time in one session, each under the bulk limit, together
 * over it: the customers shown in clear stay within the limit. */
struct page_call {
	const char *token;
	char path[160];
	int status;
	size_t clear; /* customers whose name came in clear */
};

static void *page_thread(void *arg)
{
	struct page_call *p = arg;
	struct pvts_resp r = http("GET", p->path, p->token, NULL);
	p->status = r.status;
	json_t *list = json_object_get(r.json, "customers");
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *name = json_object_get(json_object_get(json_array_get(list, i), "fields"),
					       "name");
		p->clear += json_is_string(json_object_get(name, "shown")) &&
			    strcmp(json_string_value(json_object_get(name, "shown")), "clear") == 0;
	}
	pvts_resp_free(&r);
	return NULL;
}

/* Three pages of 50 in clear asked at once with bearer: the customers shown in clear (the
 * count; 0 when within the bulk limit of 100, the count printed otherwise). */
static size_t parallel_pages(const char *token)
{
	struct page_call calls[3];
	pthread_t th[3];
	for (int i = 0; i < 3; i++) {
		calls[i] = (struct page_call){ token, "", 0, 0 };
		snprintf(calls[i].path, sizeof calls[i].path, "/v1/customers?purpose=service&"
			 "clear=true&limit=50&after=C%08d", i * 50);
		assert_int_equal(pthread_create(&th[i], NULL, page_thread, &calls[i]), 0);
	}
	size_t shown = 0;
	for (int i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		shown += calls[i].clear;
	}
	if (shown > 100)
		print_error("one bearer was shown %zu customers in clear (statuses %d %d %d)\n",
			    shown, calls[0].status, calls[1].status, calls[2].status);
	return shown > 100 ? shown : 0;
}

static void test_bulk_limit_parallel_pages(void **state)
{
	(void)state;
	struct page_call one = { sign_in("clerk1"), "/v1/customers?purpose=service&clear=true&"
						    "limit=60", 0, 0 };
	page_thread(&one); /* one page of 60: within the limit */
	assert_int_equal(one.status, 200);
	assert_int_equal(one.clear, 60);
	assert_int_equal(parallel_pages(sign_in("clerk1")), 0);
}

/* Parallel pages read in clear with one API token (its row holds the count as a session's
 * does), each under the bulk limit, together over it. */
static void test_bulk_limit_parallel_pages_token(void **state)
{
	(void)state;
	const char *token = api_token("clerk1");
	assert_int_equal(parallel_pages(token), 0);
}

/* ---- a DBA with SQL while the server runs ---------------------------------------------- */

/* The clerk is not an administrator; a DBA makes them one with an UPDATE: the clerk's
 * session and a new sign-in are refused as tampering (nothing read or changed), others go
 * on; the row put back, the clerk works again. */
static void test_dba_makes_clerk_admin(void **state)
{
	(void)state;
	char *clerk = sign_in("clerk1"), *dpo = sign_in("dpo1");
	expect(403, "forbidden", "GET", "/v1/users?role=admin", clerk, NULL);
	dba("UPDATE users SET roles='admin' WHERE name='clerk1'");
	unsigned char before[32], after[32];
	digest(before);
	struct pvts_resp r = http("GET", "/v1/users?role=admin", clerk, NULL);
	if (r.status / 100 == 2)
		fail_msg("the DBA's clerk listed users as an administrator: %s", r.body);
	pvts_resp_free(&r);
	r = http("PATCH", "/v1/customers/C00000004?role=admin&purpose=all", clerk,
		 "{\"fields\":{\"email\":\"dba@example.com\"}}");
	assert_int_not_equal(r.status / 100, 2);
	pvts_resp_free(&r);
	char body[128];
	snprintf(body, sizeof body, "{\"user\":\"clerk1\",\"password\":\"%s\"}", PW);
	r = http("POST", "/v1/sessions", NULL, body);
	assert_int_not_equal(r.status / 100, 2);
	pvts_resp_free(&r);
	digest(after);
	assert_memory_equal(before, after, sizeof before);
	assert_int_equal(status_of("GET", "/v1/customers/C00000004?purpose=all", dpo, NULL), 200);
	dba("UPDATE users SET roles='clerk' WHERE name='clerk1'");
	assert_int_equal(status_of("GET", "/v1/customers/C00000004?purpose=service",
				   sign_in("clerk1"), NULL), 200);
}

/* Each of the two customers given the stored values (wrapped key and sealed groups) of the
 * row whose id compares with its own by op in table sw. */
#define SWAP(op)                                                                              \
	"UPDATE customers SET "                                                               \
	"wdek = (SELECT wdek FROM sw WHERE sw.id " op " customers.id), "                      \
	"dek_version = (SELECT dek_version FROM sw WHERE sw.id " op " customers.id), "        \
	"g_basic = (SELECT g_basic FROM sw WHERE sw.id " op " customers.id), "                \
	"g_financial = (SELECT g_financial FROM sw WHERE sw.id " op " customers.id), "        \
	"g_other = (SELECT g_other FROM sw WHERE sw.id " op " customers.id) "                 \
	"WHERE id IN ('C00000005', 'C00000006')"

/* Two customers' stored values swapped by a DBA: reading either through the API is refused
 * rather than showing one customer's values as the other's; put back, both read again. */
static void test_dba_swaps_customer_rows(void **state)
{
	(void)state;
	char *adm = sign_in("adm");
	const char *a = "/v1/customers/C00000005?purpose=all&clear=true";
	struct pvts_resp r = http("GET", a, adm, NULL);
	assert_int_equal(r.status, 200);
	pvts_resp_free(&r);
	dba("CREATE TABLE sw AS SELECT id, wdek, dek_version, g_basic, g_financial, g_other "
	    "FROM customers WHERE id IN ('C00000005', 'C00000006');" SWAP("<>"));
	const char *name6 = pvt_csv_get(&g_f.csv, 6, "name");
	r = http("GET", a, adm, NULL);
	if (r.body && strstr(r.body, name6))
		fail_msg("C00000005 read with C00000006's values: %d", r.status);
	assert_int_not_equal(r.status / 100, 2);
	pvts_resp_free(&r);
	dba(SWAP("=") "; DROP TABLE sw");
	assert_int_equal(status_of("GET", a, adm, NULL), 200);
}

/* The stored schema (meta's value, a blob: a bytea in PostgreSQL) as text, in SQL. */
static const char *schema_text(void)
{
	return pvt_dba_pg(g_f.dir) ? "convert_from(v, 'UTF8')" : "CAST(v AS TEXT)";
}

/* The DBA replaces from with to in the stored schema's text. */
static void replace_in_schema(const char *from, const char *to)
{
	char sql[512];
	if (pvt_dba_pg(g_f.dir))
		snprintf(sql, sizeof sql, "UPDATE meta SET v = convert_to(replace(%s, '%s', '%s'), "
			 "'UTF8') WHERE k = 'schema'", schema_text(), from, to);
	else
		snprintf(sql, sizeof sql, "UPDATE meta SET v = CAST(replace(%s, '%s', '%s') "
			 "AS BLOB) WHERE k = 'schema'", schema_text(), from, to);
	dba(sql);
}

/* A DBA grants the clerk role 'users' in the stored schema (the role definitions): the
 * clerk still cannot list the users, and nothing changed; the edit undone, all is as before. */
static void test_dba_grants_a_permission(void **state)
{
	(void)state;
	char *clerk = sign_in("clerk1");
	expect(403, "forbidden", "GET", "/v1/users?role=clerk", clerk, NULL);
	static const char from[] = "operations: [read, find, list]}";
	static const char to[] = "operations: [read, find, list, users]}";
	replace_in_schema(from, to);
	char *took = pvt_dba_value(g_f.dir, "SELECT CASE WHEN instr(%s, 'list, users]') > 0 "
				   "THEN 1 ELSE 0 END FROM meta WHERE k = 'schema'", schema_text());
	assert_string_equal(took, "1"); /* the edit took */
	free(took);
	unsigned char before[32], after[32];
	digest(before);
	struct pvts_resp r = http("GET", "/v1/users?role=clerk", clerk, NULL);
	if (r.status / 100 == 2)
		fail_msg("a DBA's edit of the schema let the clerk list users: %s", r.body);
	pvts_resp_free(&r);
	digest(after);
	assert_memory_equal(before, after, sizeof before);
	replace_in_schema(to, from);
	assert_int_equal(status_of("GET", "/v1/customers/C00000001?purpose=service", clerk, NULL),
			 200);
}

/* A DBA who knows a clerk's password copies the clerk's key slot and access into an
 * administrator's row, signs in as the administrator with the clerk's password, and puts
 * the row back: the session must not act as the administrator. */
static void test_dba_borrows_a_slot_to_sign_in(void **state)
{
	(void)state;
	static const char boss_pw[] = "boss-password-not-known";
	pv_vault *root = pvt_open_root(g_f.dir, NULL, g_f.key_path);
	pv_access admin = { "admin", "all", 0 };
	assert_ok(root, pvt_user_add(root, &admin, "boss", "admin", boss_pw, strlen(boss_pw)));
	pvt_vclose(root);
	char body[128];
	snprintf(body, sizeof body, "{\"user\":\"boss\",\"password\":\"%s\"}", PW);
	assert_int_equal(status_of("POST", "/v1/sessions", NULL, body), 401);
	dba("CREATE TABLE saved AS SELECT * FROM users WHERE name='boss';"
	    "UPDATE users SET slot=(SELECT slot FROM users WHERE name='clerk1'), "
	    "access=(SELECT access FROM users WHERE name='clerk1') WHERE name='boss'");
	struct pvts_resp r = http("POST", "/v1/sessions", NULL, body);
	char *token = r.status == 201 ? pvt_keep(strdup(json_string_value(
						json_object_get(r.json, "token")))) : NULL;
	pvts_resp_free(&r);
	dba("UPDATE users SET slot=(SELECT slot FROM saved), access=(SELECT access FROM saved) "
	    "WHERE name='boss'; DROP TABLE saved");
	if (token) {
		r = http("GET", "/v1/users?role=admin", token, NULL);
		if (r.status / 100 == 2)
			fail_msg("a session opened with a borrowed slot acts as the administrator");
		pvts_resp_free(&r);
	}
	char *own = pvt_keep(pvts_sign_in(g_f.port, "boss", boss_pw));
	assert_int_equal(status_of("GET", "/v1/users?role=admin", own, NULL), 200);
}

/* ---- hostile input for each area's writes ---------------------------------------------- */

/* A write route of each area (its path, the role it acts in). */
static const char *const writes[][2] = {
	{ "/v1/users", "adm" },
	{ "/v1/users/clerk1/attest", "adm" },
	{ "/v1/dsr", "dpo1" },
	{ "/v1/incidents", "dpo1" },
	{ "/v1/holds", "dpo1" },
	{ "/v1/retention/apply", "dpo1" },
	{ "/v1/transfers", "dpo1" },
	{ "/v1/customers/C00000001/consent", "dpo1" },
	{ "/v1/tokenize", "adm" },
	{ "/v1/detokenize", "adm" },
	{ "/v1/tokens", "adm" },
	{ "/v1/audit/threshold", "dpo1" },
	{ "/v1/audit/consistency", "aud" },
	{ "/v1/requests/R-0000000000/approve", "dpo1" },
	{ "/v1/handover/receipt-checks", "dpo1" },
	{ "/v1/decommission", "dpo1" },
};
#define NWRITES (sizeof writes / sizeof *writes)

/* Malformed JSON, a body that is no object, members of the wrong type and a body over the
 * cap, at every write route: 400 (malformed_json or bad_request) or 413, and nothing
 * changed. */
static void test_hostile_bodies(void **state)
{
	(void)state;
	static const char *const malformed[] = { "{", "{\"a\":}", "[1,2]", "\"text\"", "nul" };
	static const char *const wrong_types[] = {
		"{\"name\":7,\"roles\":[\"clerk\"],\"customer\":{},\"kind\":1,\"customers\":\"C1\","
		"\"reason\":false,\"per_hour\":\"many\",\"token\":3,\"role\":9,\"purpose\":[],"
		"\"recipient_name\":1,\"as_of\":20990101,\"checkpoint\":1,\"receipt\":2,"
		"\"keeper_name\":3,\"agreement\":4,\"user\":5,\"field\":6,\"granted\":\"yes\"}",
	};
	size_t big_len = MAX_BODY + 1024;
	char *big = pvt_keep(malloc(big_len + 1));
	memset(big, ' ', big_len);
	memcpy(big, "{\"reason\":\"", 11);
	big[big_len - 2] = '"';
	big[big_len - 1] = '}';
	big[big_len] = '\0';
	unsigned char before[32], after[32];
	digest(before);
	for (size_t k = 0; k < NWRITES; k++) {
		const char *token = sign_in(writes[k][1]), *path = writes[k][0];
		for (size_t i = 0; i < sizeof malformed / sizeof *malformed; i++)
			expect(400, "malformed_json", "POST", path, token, malformed[i]);
		struct pvts_resp r = http("POST", path, token, wrong_types[0]);
		if (r.status != 400 && r.status != 404 && r.status != 422)
			fail_msg("POST %s with members of the wrong type: %d %s", path, r.status,
				 r.body ? r.body : "");
		pvts_resp_free(&r);
		assert_int_equal(status_of("POST", path, token, big), 413);
	}
	digest(after);
	assert_memory_equal(before, after, sizeof before);
}

/* A connection that sent part of a request to port, then stalls: the headers cut short
 * (body NULL), or the whole head announcing 400 bytes of body and then only body. */
static int stall(unsigned port, const char *path, const char *token, const char *body)
{
	if (body)
		return pvts_stalled_upload(port, path, token, 400, body);
	int fd = pvts_connect(port);
	char head[512];
	int n = snprintf(head, sizeof head, "POST %s HTTP/1.1\r\nHost: localhost\r\n"
			 "Authorization: Bearer %s\r\nContent-Le", path, token);
	assert_int_equal(send(fd, head, (size_t)n, MSG_NOSIGNAL), n);
	return fd;
}

/* Slow clients at every write route, all at once, on a server with an idle timeout of one
 * second: each connection is closed without a success, within a few seconds, and nothing
 * changed; the server still answers. */
static void test_slow_clients(void **state)
{
	(void)state;
	struct pvs_config c = pvts_roomy_config();
	c.timeout_seconds = 1;
	struct pvs_server *s = pvts_start(&c, g_f.dir, g_f.key_path, MAX_BODY);
	unsigned port = pvs_port(s);
	int fds[2 * NWRITES];
	const char *tokens[NWRITES];
	for (size_t k = 0; k < NWRITES; k++) /* signing in takes its time: before the clock */
		tokens[k] = sign_in(writes[k][1]);
	unsigned char before[32], after[32];
	digest(before);
	time_t start = time(NULL);
	for (size_t k = 0; k < NWRITES; k++) {
		fds[2 * k] = stall(port, writes[k][0], tokens[k], NULL);
		fds[2 * k + 1] = stall(port, writes[k][0], tokens[k], "{\"reason\":\"slo");
	}
	for (size_t i = 0; i < 2 * NWRITES; i++) {
		char *raw = pvts_read_all(fds[i]); /* until the server closes (10 s at most) */
		close(fds[i]);
		int status = 0;
		if (sscanf(raw, "HTTP/1.1 %d", &status) == 1 && status / 100 == 2)
			fail_msg("a stalled request to %s was answered %d", writes[i / 2][0], status);
		free(raw);
	}
	assert_true(time(NULL) - start < 9);
	digest(after);
	assert_memory_equal(before, after, sizeof before);
	const char *ca = pvts_tls_ca; /* that server speaks plain HTTP */
	pvts_tls_ca = NULL;
	struct pvts_resp r = pvts_http(port, "GET", "/healthz", NULL, NULL, 0);
	pvts_tls_ca = ca;
	assert_int_equal(r.status, 200);
	pvts_resp_free(&r);
	pvs_stop(s);
	assert_int_equal(status_of("GET", "/v1/customers/C00000001?purpose=service",
				   sign_in("clerk1"), NULL), 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* first: the threshold test changes the bulk limit */
		cmocka_unit_test(test_bulk_limit_parallel_pages),
		cmocka_unit_test(test_bulk_limit_parallel_pages_token),
		cmocka_unit_test(test_dba_borrows_a_slot_to_sign_in),
		cmocka_unit_test(test_threshold_approval_bound),
		cmocka_unit_test(test_token_beyond_its_role),
		cmocka_unit_test(test_clerk_detokenizes_a_masked_field),
		cmocka_unit_test(test_hostile_bodies),
		cmocka_unit_test(test_slow_clients),
		cmocka_unit_test(test_dba_grants_a_permission),
		cmocka_unit_test(test_dba_swaps_customer_rows),
		cmocka_unit_test(test_dba_makes_clerk_admin),
		cmocka_unit_test(test_disabled_user_session_and_token),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
