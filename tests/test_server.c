/* SPDX-License-Identifier: Apache-2.0 */
/* test_server.c: `pivault serve` over real HTTP on loopback, with a small client of its
 * own: signing in (right password, wrong one, unknown user: one message), the lock-out,
 * tokens that expire and that signing out revokes, a clerk reading masked values only, a
 * role without 'read' refused naming the permission, finding by phone through the blind
 * index, malformed JSON, an oversized body (413), unknown routes (404) and methods (405),
 * a missing token, an idle connection closed, the audit entries each use writes, the
 * OpenAPI document and the route table naming the same routes, /healthz and /readyz
 * revealing nothing, TLS with a certificate made here by certtool (and plain HTTP refused
 * off loopback), the command's graceful stop on SIGTERM with a request in flight, and the
 * rate limits (a sign-in flood from one address, guesses at one user from two addresses,
 * reads over a user's rate): 429 with Retry-After before any password is checked, audited
 * once per key and window with the count, others unaffected, and allowed again after.
 * API tokens: made, used (with their purposes only), listed without their secret, and
 * revoked over HTTP; a clerk cannot make one, a token cannot manage tokens. */
#include "testutil.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pivault.h"
#include "server.h"
#include "server_client.h"

static const char PW[] = "server-password-1";
#define MAX_BODY 4096

static struct pvts_fixture g_f; /* the vault with its users, the server */

static void nap_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&t, NULL);
}

static struct pvts_resp http(const char *method, const char *path, const char *token,
			     const char *body)
{
	return pvts_http(g_f.port, method, path, token, body, body ? strlen(body) : 0);
}

static char *sign_in(const char *user, const char *pw)
{
	return pvts_sign_in(g_f.port, user, pw);
}

/* ---- The vault and the server ---------------------------------------------------- */

static struct pvs_server *start(struct pvs_config *c)
{
	return pvts_start(c, g_f.dir, g_f.key_path, MAX_BODY);
}

static int group_setup(void **state)
{
	(void)state;
	/* limits far above what the tests here do (test_rate_* start their own servers) */
	static const struct pvts_user locky[] = { { "locky", "clerk", 0 }, { NULL, NULL, 0 } };
	pvts_fixture_up(&g_f, &(struct pvts_spec){ .customers = 5, .seed = 3, .password = PW,
						    .extra = locky, .max_body = MAX_BODY });
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	pvts_fixture_down(&g_f);
	return 0;
}

/* The audit log as lines "user|op|outcome|detail". */
static int append_line(void *ctx, const pv_audit_entry *e)
{
	char **buf = ctx;
	size_t n = strlen(*buf);
	char line[400];
	int len = snprintf(line, sizeof line, "%s|%s|%s|%s\n", e->user, e->op, e->outcome,
			   e->detail ? e->detail : "");
	*buf = realloc(*buf, n + (size_t)len + 1);
	memcpy(*buf + n, line, (size_t)len + 1);
	return 0;
}

static char *audit_lines(void)
{
	pv_vault *root = pvt_open_root(g_f.dir, NULL, g_f.key_path);
	char *buf = calloc(1, 1);
	pv_access admin = { "admin", NULL, PV_WANT_MASKED };
	assert_ok(root, pv_audit_log(root, &admin, NULL, append_line, &buf));
	pvt_vclose(root);
	return buf;
}

/* ---- Signing in ------------------------------------------------------------------ */

static void test_sign_in_one_message(void **state)
{
	(void)state;
	free(sign_in("adm", PW));
	struct pvts_resp wrong = http("POST", "/v1/sessions", NULL,
				 "{\"user\":\"adm\",\"password\":\"not-the-one\"}");
	struct pvts_resp unknown = http("POST", "/v1/sessions", NULL,
				   "{\"user\":\"nobody\",\"password\":\"not-the-one\"}");
	assert_int_equal(wrong.status, 401);
	assert_int_equal(unknown.status, 401);
	assert_string_equal(wrong.body, unknown.body); /* code and message alike */
	assert_string_equal(pvts_err_code(&wrong), "unauthenticated");
	assert_null(strstr(wrong.body, "not-the-one"));
	pvts_resp_free(&wrong);
	pvts_resp_free(&unknown);
	char *log = audit_lines();
	assert_non_null(strstr(log, "adm|sign in|ok|session "));
	assert_non_null(strstr(log, "adm|login|failed|wrong password"));
	assert_non_null(strstr(log, "nobody|login|failed|unknown user"));
	free(log);
}

static void test_lockout(void **state)
{
	(void)state;
	for (int i = 0; i < 5; i++) {
		struct pvts_resp r = http("POST", "/v1/sessions", NULL,
				     "{\"user\":\"locky\",\"password\":\"guess-guess\"}");
		assert_int_equal(r.status, 401);
		pvts_resp_free(&r);
	}
	char body[128];
	snprintf(body, sizeof body, "{\"user\":\"locky\",\"password\":\"%s\"}", PW);
	struct pvts_resp r = http("POST", "/v1/sessions", NULL, body);
	assert_int_equal(r.status, 403);
	assert_string_equal(pvts_err_code(&r), "forbidden");
	assert_non_null(strstr(pvts_err_msg(&r), "locked until"));
	pvts_resp_free(&r);
}

/* ---- Reading as a user ------------------------------------------------------------- */

/* A clerk asks for clear values: the phone stays masked (the role's rule), the name is
 * clear, and the phone's value appears nowhere in the reply. */
static void test_clerk_reads_masked(void **state)
{
	(void)state;
	char *token = sign_in("clerk1", PW);
	struct pvts_resp r = http("GET", "/v1/customers/C00000001?purpose=service&clear=true", token,
			     NULL);
	assert_int_equal(r.status, 200);
	json_t *fields = json_object_get(r.json, "fields");
	json_t *phone = json_object_get(fields, "phone");
	assert_string_equal(json_string_value(json_object_get(phone, "shown")), "masked");
	const char *clear_phone = pvt_csv_get(&g_f.csv, 1, "phone");
	assert_null(strstr(r.body, clear_phone + 3)); /* not even without +86 */
	json_t *name = json_object_get(fields, "name");
	assert_string_equal(json_string_value(json_object_get(name, "value")),
			    pvt_csv_get(&g_f.csv, 1, "name"));
	assert_null(json_object_get(fields, "bank_card")); /* hidden from the clerk */
	pvts_resp_free(&r);
	r = http("GET", "/v1/customers/C00000001", token, NULL); /* no purpose */
	assert_int_equal(r.status, 403);
	assert_non_null(strstr(pvts_err_msg(&r), "purpose"));
	pvts_resp_free(&r);
	r = http("GET", "/v1/customers/C00000099?purpose=service", token, NULL);
	assert_int_equal(r.status, 404);
	assert_string_equal(pvts_err_code(&r), "not_found");
	pvts_resp_free(&r);
	free(token);
}

static void test_role_without_read(void **state)
{
	(void)state;
	char *token = sign_in("aud", PW);
	struct pvts_resp r = http("GET", "/v1/customers/C00000001?purpose=service", token, NULL);
	assert_int_equal(r.status, 403);
	assert_string_equal(pvts_err_code(&r), "forbidden");
	assert_non_null(strstr(pvts_err_msg(&r), "permission 'read'"));
	pvts_resp_free(&r);
	r = http("GET", "/v1/audit/verify", token, NULL); /* the auditor's own work */
	assert_int_equal(r.status, 200);
	assert_true(json_is_true(json_object_get(r.json, "verified")));
	pvts_resp_free(&r);
	free(token);
}

static void test_find_by_phone(void **state)
{
	(void)state;
	char *token = sign_in("adm", PW);
	char path[256];
	snprintf(path, sizeof path, "/v1/customers?phone=%s&purpose=service",
		 pvt_csv_get(&g_f.csv, 2, "phone") + 3);
	struct pvts_resp r = http("GET", path, token, NULL);
	assert_int_equal(r.status, 200);
	json_t *list = json_object_get(r.json, "customers");
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "id")),
			    "C00000002");
	pvts_resp_free(&r);
	r = http("GET", "/v1/customers?phone=1&name=x&purpose=service", token, NULL); /* two */
	assert_int_equal(r.status, 400);
	pvts_resp_free(&r);
	r = http("GET", "/v1/customers?address=x&purpose=service", token, NULL); /* not indexed */
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(pvts_err_msg(&r), "address"));
	pvts_resp_free(&r);
	free(token);
}

/* ---- Tokens for other systems ---------------------------------------------------- */

static struct pvts_resp post_json(const char *path, const char *token, const char *fmt,
			     const char *a, const char *b)
{
	char body[512];
	snprintf(body, sizeof body, fmt, a, b);
	return http("POST", path, token, body);
}

/* Tokenize and detokenize in a session: the round trip, the refusals (no session, a role
 * that does not see the field in clear, another purpose, no 'tokenize', a bad body), and
 * a shredded customer's token dead (410 token_dead, no value). */
static void test_tokens_over_http(void **state)
{
	(void)state;
	char *adm = sign_in("adm", PW), *clerk = sign_in("clerk1", PW), *aud = sign_in("aud", PW);
	const char *tok_fmt = "{\"customer\":\"%s\",\"field\":\"phone\",\"purpose\":\"service\","
			      "\"role\":\"admin\",\"mode\":\"deterministic\",\"shape\":\"%s\"}";
	struct pvts_resp r = post_json("/v1/tokenize", adm, tok_fmt, "C00000004", "like-field");
	assert_int_equal(r.status, 200);
	char *t = strdup(json_string_value(json_object_get(r.json, "token")));
	pvts_resp_free(&r);
	assert_int_equal(strlen(t), 11);
	assert_memory_equal(t, "10", 2);
	const char *detok_fmt = "{\"token\":\"%s\",\"purpose\":\"%s\",\"role\":\"admin\"}";
	r = post_json("/v1/detokenize", adm, detok_fmt, t, "service");
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(json_string_value(json_object_get(r.json, "value")),
			       pvt_csv_get(&g_f.csv, 4, "phone") + 3));
	pvts_resp_free(&r);
	r = post_json("/v1/detokenize", NULL, detok_fmt, t, "service"); /* no session */
	assert_int_equal(r.status, 401);
	pvts_resp_free(&r);
	r = post_json("/v1/detokenize", adm, detok_fmt, t, "billing");
	assert_int_equal(r.status, 403);
	assert_non_null(strstr(pvts_err_msg(&r), "made for purpose 'service'"));
	pvts_resp_free(&r);
	r = post_json("/v1/detokenize", clerk, "{\"token\":\"%s\",\"purpose\":\"%s\"}", t,
		      "service");
	assert_int_equal(r.status, 403);
	assert_non_null(strstr(pvts_err_msg(&r), "in clear"));
	assert_null(strstr(r.body, pvt_csv_get(&g_f.csv, 4, "phone") + 3));
	pvts_resp_free(&r);
	r = post_json("/v1/tokenize", aud, "{\"customer\":\"%s\",\"field\":\"%s\","
		      "\"purpose\":\"service\"}", "C00000004", "phone");
	assert_int_equal(r.status, 403);
	assert_non_null(strstr(pvts_err_msg(&r), "'tokenize'"));
	pvts_resp_free(&r);
	r = http("POST", "/v1/tokenize", adm, "{\"customer\":4}");
	assert_int_equal(r.status, 400);
	pvts_resp_free(&r);
	r = http("POST", "/v1/detokenize", adm, "not json");
	assert_int_equal(r.status, 400);
	assert_string_equal(pvts_err_code(&r), "malformed_json");
	pvts_resp_free(&r);
	/* the customer shredded: its token is dead */
	r = post_json("/v1/tokenize", adm, tok_fmt, "C00000005", "opaque");
	assert_int_equal(r.status, 200);
	char *dead = strdup(json_string_value(json_object_get(r.json, "token")));
	pvts_resp_free(&r);
	pv_vault *root = pvt_open_root(g_f.dir, NULL, g_f.key_path);
	pv_access admin = { "admin", NULL, PV_WANT_MASKED };
	const char *ids[] = { "C00000005" };
	char *cert = NULL;
	/* shredded, its checkpoint included, while the server runs: its handles and its
	 * audit writer hold no read snapshot between requests (with one held, the checkpoint
	 * waited for the whole wait, and this bounded one ran out) */
	pv_set_wait(20, NULL, NULL);
	pv_rc src = pv_shred(root, &admin, ids, 1, &cert);
	pv_set_wait(PV_WAIT_DEFAULT, NULL, NULL);
	if (src != PV_OK || !cert)
		fail_msg("pv_shred: rc %d: %s", src, pv_errmsg(root));
	pv_free(cert);
	pvt_vclose(root);
	r = post_json("/v1/detokenize", adm, detok_fmt, dead, "service");
	assert_int_equal(r.status, 410);
	assert_string_equal(pvts_err_code(&r), "token_dead");
	assert_null(json_object_get(r.json, "value"));
	pvts_resp_free(&r);
	char *log = audit_lines();
	assert_non_null(strstr(log, "adm|tokenize|ok|field phone, deterministic"));
	assert_non_null(strstr(log, "adm|detokenize|ok|field phone"));
	assert_non_null(strstr(log, "clerk1|detokenize|denied|"));
	assert_null(strstr(log, t));
	free(log);
	free(t);
	free(dead);
	free(adm);
	free(clerk);
	free(aud);
}

/* ---- Tokens ------------------------------------------------------------------------ */

static void test_sign_out_revokes(void **state)
{
	(void)state;
	char *token = sign_in("clerk1", PW);
	struct pvts_resp r = http("DELETE", "/v1/sessions/current", token, NULL);
	assert_int_equal(r.status, 204);
	pvts_resp_free(&r);
	r = http("GET", "/v1/customers/C00000001?purpose=service", token, NULL);
	assert_int_equal(r.status, 401);
	assert_string_equal(pvts_err_code(&r), "unauthenticated");
	pvts_resp_free(&r);
	r = http("DELETE", "/v1/sessions/current", token, NULL);
	assert_int_equal(r.status, 401);
	pvts_resp_free(&r);
	r = http("GET", "/v1/customers/C00000001?purpose=service", NULL, NULL); /* no token */
	assert_int_equal(r.status, 401);
	pvts_resp_free(&r);
	free(token);
}

static void test_token_expires(void **state)
{
	(void)state;
	struct pvs_config c = { .plain_http = 1, .session_seconds = 1 };
	struct pvs_server *s = start(&c);
	unsigned port = pvs_port(s);
	const char body[] = "{\"user\":\"clerk1\",\"password\":\"server-password-1\"}";
	struct pvts_resp r = pvts_http(port, "POST", "/v1/sessions", NULL, body, strlen(body));
	assert_int_equal(r.status, 201);
	assert_int_equal(json_integer_value(json_object_get(r.json, "expires_in")), 1);
	char *token = strdup(json_string_value(json_object_get(r.json, "token")));
	pvts_resp_free(&r);
	sleep(2);
	r = pvts_http(port, "GET", "/v1/customers/C00000001?purpose=service", token, NULL, 0);
	assert_int_equal(r.status, 401);
	pvts_resp_free(&r);
	pvs_stop(s);
	char *log = audit_lines();
	assert_non_null(strstr(log, "clerk1|session|denied|expired token"));
	free(log);
	free(token);
}

/* ---- Bad requests ---------------------------------------------------------------- */

static void test_malformed_json(void **state)
{
	(void)state;
	const char *bodies[] = { "{\"user\":", "[1,2]", "", "{\"user\":\"a\",\"user\":\"b\","
			       "\"password\":\"x\"}" };
	for (size_t i = 0; i < 4; i++) {
		struct pvts_resp r = http("POST", "/v1/sessions", NULL, bodies[i]);
		assert_int_equal(r.status, 400);
		assert_string_equal(pvts_err_code(&r), "malformed_json");
		pvts_resp_free(&r);
	}
	struct pvts_resp r = http("POST", "/v1/sessions", NULL, "{\"user\":1,\"password\":\"x\"}");
	assert_int_equal(r.status, 400);
	assert_string_equal(pvts_err_code(&r), "bad_request");
	pvts_resp_free(&r);
}

static void test_oversized_body(void **state)
{
	(void)state;
	size_t n = MAX_BODY + 1;
	char *big = malloc(n);
	memset(big, 'a', n);
	struct pvts_resp r = pvts_http(g_f.port, "POST", "/v1/sessions", NULL, big, n);
	assert_int_equal(r.status, 413);
	assert_string_equal(pvts_err_code(&r), "body_too_large");
	pvts_resp_free(&r);
	free(big);
	/* a body announced over the cap is refused at once, never read */
	int fd = pvts_connect(g_f.port);
	const char head[] = "POST /v1/sessions HTTP/1.1\r\nHost: localhost\r\n"
			    "Content-Length: 100000000\r\n\r\n";
	assert_int_equal(send(fd, head, strlen(head), MSG_NOSIGNAL), (ssize_t)strlen(head));
	char *raw = pvts_read_all(fd);
	close(fd);
	pvts_parse_answer(raw, &r);
	assert_int_equal(r.status, 413);
	pvts_resp_free(&r);
	free(raw);
	/* a chunked body (no length announced) is refused once it passes the cap */
	fd = pvts_connect(g_f.port);
	char chunked[MAX_BODY + 512];
	int n0 = snprintf(chunked, sizeof chunked, "POST /v1/sessions HTTP/1.1\r\nHost: x\r\n"
			  "Transfer-Encoding: chunked\r\n\r\n%x\r\n", MAX_BODY + 100);
	memset(chunked + n0, 'b', MAX_BODY + 100);
	memcpy(chunked + n0 + MAX_BODY + 100, "\r\n0\r\n\r\n", 7);
	size_t total = (size_t)n0 + MAX_BODY + 107;
	assert_int_equal(send(fd, chunked, total, MSG_NOSIGNAL), (ssize_t)total);
	raw = pvts_read_all(fd);
	close(fd);
	pvts_parse_answer(raw, &r);
	assert_int_equal(r.status, 413);
	pvts_resp_free(&r);
	free(raw);
	r = http("GET", "/healthz", NULL, NULL); /* and the server goes on */
	assert_int_equal(r.status, 200);
	pvts_resp_free(&r);
}

static void test_unknown_route(void **state)
{
	(void)state;
	struct pvts_resp r = http("GET", "/v1/nothing", NULL, NULL);
	assert_int_equal(r.status, 404);
	assert_string_equal(pvts_err_code(&r), "no_route");
	pvts_resp_free(&r);
	r = http("POST", "/healthz", NULL, NULL);
	assert_int_equal(r.status, 405);
	pvts_resp_free(&r);
	r = http("GET", "/v1/customers/", NULL, NULL);
	assert_int_equal(r.status, 404);
	pvts_resp_free(&r);
}

/* /healthz and /readyz say only that the server answers. */
static void test_health_reveals_nothing(void **state)
{
	(void)state;
	struct pvts_resp r = http("GET", "/healthz", NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"status\":\"ok\"}");
	pvts_resp_free(&r);
	r = http("GET", "/readyz", NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"status\":\"ready\"}");
	pvts_resp_free(&r);
}

/* An idle connection is closed after the timeout. */
static void test_idle_connection_closed(void **state)
{
	(void)state;
	struct pvs_config c = { .plain_http = 1, .timeout_seconds = 1 };
	struct pvs_server *s = start(&c);
	int fd = pvts_connect(pvs_port(s));
	double t0 = pvt_now();
	char b;
	assert_int_equal(recv(fd, &b, 1, 0), 0); /* closed by the server, not our timeout */
	assert_true(pvt_now() - t0 < 5);
	close(fd);
	pvs_stop(s);
}

/* Past the cap on connections a new one is not served (libmicrohttpd stops accepting:
 * it waits in the kernel's queue) until a held one closes; then it is answered. */
static void test_connection_cap(void **state)
{
	(void)state;
	struct pvs_config c = { .plain_http = 1, .threads = 1, .max_connections = 2 };
	struct pvs_server *s = start(&c);
	int held[2] = { pvts_connect(pvs_port(s)), pvts_connect(pvs_port(s)) };
	nap_ms(200);
	int fd = pvts_connect(pvs_port(s));
	char *text = pvts_request_text("GET", "/healthz", NULL, NULL, 0);
	assert_int_equal(send(fd, text, strlen(text), MSG_NOSIGNAL), (ssize_t)strlen(text));
	free(text);
	struct timeval brief = { 1, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &brief, sizeof brief);
	char b;
	assert_int_equal(recv(fd, &b, 1, MSG_PEEK), -1); /* not served while two are held */
	close(held[0]);
	struct timeval longer = { 10, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &longer, sizeof longer);
	char *raw = pvts_read_all(fd);
	struct pvts_resp r = { 0, NULL, NULL, -1 };
	pvts_parse_answer(raw, &r);
	assert_int_equal(r.status, 200);
	pvts_resp_free(&r);
	free(raw);
	close(fd);
	close(held[1]);
	pvs_stop(s);
}

/* ---- Audit -------------------------------------------------------------------------- */

/* Each use of a token is audited under its user, beside the operation's own entry; a
 * refused token under "(unknown session)". */
static void test_audit_entries(void **state)
{
	(void)state;
	char *token = sign_in("clerk1", PW);
	for (int i = 0; i < 2; i++) {
		struct pvts_resp r = http("GET", "/v1/customers/C00000003?purpose=service", token, NULL);
		assert_int_equal(r.status, 200);
		pvts_resp_free(&r);
	}
	struct pvts_resp r = http("GET", "/v1/customers/C00000003?purpose=service",
			     "0123456789012345678901234567890123456789012345678901234567890123",
			     NULL);
	assert_int_equal(r.status, 401);
	pvts_resp_free(&r);
	char *log = audit_lines(), *p = log;
	int uses = 0, reads = 0;
	char want[32];
	snprintf(want, sizeof want, "clerk1|read|ok|");
	while ((p = strstr(p, "clerk1|session|ok|token used (session ")) != NULL) {
		uses++;
		p++;
	}
	for (p = log; (p = strstr(p, want)) != NULL; p++)
		reads++;
	assert_true(uses >= 2);
	assert_true(reads >= 2);
	assert_non_null(strstr(log, "(unknown session)|session|denied|unknown or signed-out"));
	free(log);
	free(token);
	char *admin = sign_in("adm", PW);
	r = http("GET", "/v1/audit/verify", admin, NULL);
	assert_int_equal(r.status, 200);
	assert_true(json_is_true(json_object_get(r.json, "verified")));
	pvts_resp_free(&r);
	free(admin);
}

/* ---- API tokens for scripts (H-apitok) ------------------------------------------------ */

/* POST /v1/tokens as adm for another user: asked for (202), approved by adm2, then made
 * under the request (201 with the token), else fails the test. */
static char *api_token_made(const char *admin, const char *body, char id[17])
{
	struct pvts_resp r = http("POST", "/v1/tokens", admin, body);
	if (r.status != 202)
		fail_msg("POST /v1/tokens: %d %s (wanted 202: asked for)", r.status, r.body);
	char rid[32], path[64], *again = malloc(strlen(body) + 64);
	snprintf(rid, sizeof rid, "%s", json_string_value(json_object_get(
						 json_object_get(r.json, "request"), "id")));
	pvts_resp_free(&r);
	char *second = sign_in("adm2", PW);
	snprintf(path, sizeof path, "/v1/requests/%s/approve", rid);
	r = http("POST", path, second, NULL);
	assert_int_equal(r.status, 200);
	pvts_resp_free(&r);
	free(second);
	sprintf(again, "{\"request\":\"%s\",%s", rid, body + 1);
	r = http("POST", "/v1/tokens", admin, again);
	free(again);
	if (r.status != 201)
		fail_msg("POST /v1/tokens: %d %s", r.status, r.body);
	const char *token = json_string_value(json_object_get(r.json, "token"));
	assert_int_equal(strlen(token), PV_API_TOKEN_CHARS);
	assert_int_equal(strncmp(token, "pvt_", 4), 0);
	snprintf(id, 17, "%s", json_string_value(json_object_get(r.json, "id")));
	char *copy = strdup(token);
	pvts_resp_free(&r);
	return copy;
}

/* An administrator makes a token for clerk1 (clerk, service): it reads as clerk1 with
 * purpose service only, cannot list or make tokens, is listed without its secret, and is
 * refused (401) once revoked; a clerk cannot make one (403 naming 'users'). */
static void test_api_token_over_http(void **state)
{
	(void)state;
	char *admin = sign_in("adm", PW), id[17], path[64];
	char *token = api_token_made(admin, "{\"user\":\"clerk1\",\"role\":\"clerk\","
				     "\"purposes\":[\"service\"],\"expires_in\":600}", id);
	struct pvts_resp r = http("GET", "/v1/customers/C00000001?purpose=service", token, NULL);
	assert_int_equal(r.status, 200);
	pvts_resp_free(&r);
	r = http("GET", "/v1/customers/C00000001?purpose=billing&role=clerk", token, NULL);
	assert_int_equal(r.status, 403);
	pvts_resp_free(&r);
	r = http("GET", "/v1/tokens", token, NULL); /* a token cannot manage tokens */
	assert_int_equal(r.status, 403);
	assert_null(strstr(r.body, token + 4));
	pvts_resp_free(&r);
	r = http("GET", "/v1/tokens?user=clerk1", admin, NULL);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, id));
	assert_null(strstr(r.body, token + 4));
	assert_null(strstr(r.body, "\"token\""));
	pvts_resp_free(&r);
	char *clerk = sign_in("clerk2", PW);
	r = http("POST", "/v1/tokens", clerk, "{\"user\":\"adm\",\"role\":\"admin\","
		 "\"purposes\":[\"service\"],\"expires_in\":600}");
	assert_int_equal(r.status, 403);
	assert_non_null(strstr(pvts_err_msg(&r), "'users'"));
	pvts_resp_free(&r);
	snprintf(path, sizeof path, "/v1/tokens/%s", id);
	r = http("DELETE", path, admin, NULL);
	assert_int_equal(r.status, 204);
	pvts_resp_free(&r);
	r = http("GET", "/v1/customers/C00000001?purpose=service", token, NULL);
	assert_int_equal(r.status, 401);
	assert_null(strstr(r.body, token + 4));
	pvts_resp_free(&r);
	char *log = audit_lines();
	char want[96];
	snprintf(want, sizeof want, "clerk1|api token|ok|token used (api token %s)", id);
	assert_non_null(strstr(log, want));
	assert_non_null(strstr(log, "clerk1|api token|denied|revoked token"));
	assert_null(strstr(log, token + 4));
	free(log);
	free(token);
	free(clerk);
	free(admin);
}

/* Bad bodies are 400 naming what is wrong; a token lasting 1 second is refused after. */
static void test_api_token_bad_and_expired(void **state)
{
	(void)state;
	char *admin = sign_in("adm", PW), id[17];
	const char *bad[] = {
		"{\"user\":\"clerk1\",\"role\":\"clerk\",\"purposes\":[],\"expires_in\":60}",
		"{\"user\":\"clerk1\",\"role\":\"clerk\",\"purposes\":[\"service\"]}",
		"{\"user\":\"clerk1\",\"role\":\"clerk\",\"purposes\":[\"service\"],"
		"\"expires_in\":31536001}",
		"{\"user\":\"clerk1\",\"role\":\"admin\",\"purposes\":[\"service\"],"
		"\"expires_in\":60}",
		"[1",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct pvts_resp r = http("POST", "/v1/tokens", admin, bad[i]);
		assert_int_equal(r.status, 400);
		pvts_resp_free(&r);
	}
	char *token = api_token_made(admin, "{\"user\":\"clerk1\",\"role\":\"clerk\","
				     "\"purposes\":[\"service\"],\"expires_in\":1}", id);
	sleep(2);
	struct pvts_resp r = http("GET", "/v1/customers/C00000001?purpose=service", token, NULL);
	assert_int_equal(r.status, 401);
	pvts_resp_free(&r);
	r = http("DELETE", "/v1/tokens/0123456789abcdef", admin, NULL);
	assert_int_equal(r.status, 404);
	pvts_resp_free(&r);
	free(token);
	free(admin);
}

/* ---- The OpenAPI document ------------------------------------------------------------- */

/* Every route of the table is in server/openapi.json, and every path and method there
 * is in the table; the served document is the file. */
static void test_openapi_matches_routes(void **state)
{
	(void)state;
	json_error_t e;
	json_t *doc = json_load_file(PV_SOURCE_DIR "/server/openapi.json", 0, &e);
	if (!doc)
		fail_msg("server/openapi.json: line %d: %s", e.line, e.text);
	assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
	json_t *paths = json_object_get(doc, "paths");
	size_t in_doc = 0;
	const char *path;
	json_t *ops;
	json_object_foreach(paths, path, ops) {
		const char *m;
		json_t *op;
		json_object_foreach(ops, m, op) {
			in_doc++;
			int found = 0;
			for (size_t i = 0; i < pvs_route_count(); i++) {
				const char *rm, *rp;
				pvs_route_at(i, &rm, &rp);
				found |= strcasecmp(rm, m) == 0 && strcmp(rp, path) == 0;
			}
			if (!found)
				fail_msg("openapi.json: %s %s is not in the route table", m, path);
		}
	}
	for (size_t i = 0; i < pvs_route_count(); i++) {
		const char *rm, *rp;
		pvs_route_at(i, &rm, &rp);
		char lower[16];
		size_t k = 0;
		for (; rm[k] && k < sizeof lower - 1; k++)
			lower[k] = (char)(rm[k] - 'A' + 'a');
		lower[k] = '\0';
		if (!json_object_get(json_object_get(paths, rp), lower))
			fail_msg("route %s %s is not in openapi.json", rm, rp);
	}
	assert_int_equal(in_doc, pvs_route_count());
	json_decref(doc);
	struct pvts_resp r = http("GET", "/v1/openapi.json", NULL, NULL);
	assert_int_equal(r.status, 200);
	char *file = pvt_read_file(PV_SOURCE_DIR "/server/openapi.json", NULL);
	assert_string_equal(r.body, file);
	free(file);
	pvts_resp_free(&r);
}

/* ---- TLS -------------------------------------------------------------------------------- */

static void test_tls(void **state)
{
	(void)state;
	char *key, *cert, err[512];
	pvts_make_certificate(g_f.tmp, &key, &cert);
	struct pvs_config c = { .tls_cert = cert, .tls_key = key };
	struct pvs_server *s = start(&c);
	pvts_tls_ca = cert; /* the shared client speaks TLS, checking cert for "localhost" */
	struct pvts_resp r = pvts_http(pvs_port(s), "GET", "/healthz", NULL, NULL, 0);
	pvts_tls_ca = NULL;
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"status\":\"ok\"}");
	pvts_resp_free(&r);
	r = pvts_http(pvs_port(s), "GET", "/healthz", NULL, NULL, 0); /* plain HTTP to TLS */
	assert_int_not_equal(r.status, 200);
	pvts_resp_free(&r);
	pvs_stop(s);
	/* plain HTTP off loopback, and TLS without its key, are refused at start */
	pv_key *k = NULL;
	assert_int_equal(pv_key_from_file(g_f.key_path, &k), PV_OK);
	struct pvs_config off = { .vault = g_f.dir, .key = k, .host = "0.0.0.0", .plain_http = 1 };
	assert_null(pvs_start(&off, err, sizeof err));
	assert_non_null(strstr(err, "loopback"));
	struct pvs_config half = { .vault = g_f.dir, .key = k, .host = "127.0.0.1",
				   .tls_cert = cert };
	assert_null(pvs_start(&half, err, sizeof err));
	assert_non_null(strstr(err, "--tls-key"));
	pv_key_free(k);
	free(key);
	free(cert);
}

/* ---- The command: graceful stop on SIGTERM ----------------------------------------------- */

/* Start `pivault-test serve` on a free loopback port (with the option opt and its value,
 * unless NULL); its pid, port and stdout. */
static pid_t serve_child(unsigned *port, FILE **out, const char *opt, const char *value)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		setenv("PIVAULT_KEY_FILE", g_f.key_path, 1);
		execl(pvt_program("pivault-test"), "pivault-test", "serve", "--vault", g_f.dir,
		      "--listen", "127.0.0.1:0", "--plain-http", opt, value, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	*out = fdopen(fds[0], "r");
	char line[256] = "";
	assert_non_null(fgets(line, sizeof line, *out));
	const char *colon = strrchr(line, ':');
	assert_non_null(colon);
	*port = (unsigned)atoi(colon + 1);
	return pid;
}

/* A request is half sent when SIGTERM comes: it is still answered, then the command
 * stops with status 0; new connections are refused once it stops listening. */
static void test_sigterm_finishes_in_flight(void **state)
{
	(void)state;
	unsigned port;
	FILE *out;
	pid_t pid = serve_child(&port, &out, NULL, NULL);
	const char body[] = "{\"user\":\"adm\",\"password\":\"server-password-1\"}";
	char *text = pvts_request_text("POST", "/v1/sessions", NULL, body, strlen(body));
	size_t head = (size_t)(strstr(text, "\r\n\r\n") - text) + 4;
	int fd = pvts_connect(port);
	assert_int_equal(send(fd, text, head + 10, MSG_NOSIGNAL), (ssize_t)(head + 10));
	nap_ms(300);
	kill(pid, SIGTERM);
	nap_ms(300);
	size_t rest = strlen(text) - head - 10;
	assert_int_equal(send(fd, text + head + 10, rest, MSG_NOSIGNAL), (ssize_t)rest);
	char *raw = pvts_read_all(fd);
	close(fd);
	struct pvts_resp r = { 0, NULL, NULL, -1 };
	pvts_parse_answer(raw, &r);
	assert_int_equal(r.status, 201);
	pvts_resp_free(&r);
	free(raw);
	free(text);
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	char line[256];
	int stopped = 0;
	while (fgets(line, sizeof line, out))
		stopped |= strstr(line, "pivault serve: stopped") != NULL;
	fclose(out);
	assert_true(stopped);
}

/* The command refuses plain HTTP off loopback (1), and options that belong to requests
 * or no listening address (2). */
static void test_command_refusals(void **state)
{
	(void)state;
	char *out = NULL;
	const char *prog = pvt_program("pivault-test");
	int rc = pvt_run(&out, "PIVAULT_KEY_FILE='%s' '%s' serve --vault '%s' --listen "
			 "0.0.0.0:0 --plain-http 2>&1", g_f.key_path, prog, g_f.dir);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "loopback"));
	free(out);
	rc = pvt_run(&out, "PIVAULT_KEY_FILE='%s' '%s' serve --vault '%s' --listen "
		     "127.0.0.1:0 2>&1", g_f.key_path, prog, g_f.dir);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "--tls-cert"));
	free(out);
	rc = pvt_run(&out, "'%s' serve --vault '%s' --listen 127.0.0.1:0 --plain-http "
		     "--user adm 2>&1", prog, g_f.dir);
	assert_int_equal(rc, 2);
	assert_non_null(strstr(out, "refused"));
	free(out);
	rc = pvt_run(&out, "'%s' serve --vault '%s' --plain-http 2>&1", prog, g_f.dir);
	assert_int_equal(rc, 2);
	assert_non_null(strstr(out, "--listen"));
	free(out);
	rc = pvt_run(&out, "'%s' serve --vault '%s' --listen 127.0.0.1:0 --plain-http "
		     "--sign-in-window 0 2>&1", prog, g_f.dir);
	assert_int_equal(rc, 2);
	assert_non_null(strstr(out, "--sign-in-window needs a number"));
	free(out);
}

/* The command's rate-limit options reach the server: with one sign-in per address, the
 * second is refused with 429; the help names the options. */
static void test_rate_command_options(void **state)
{
	(void)state;
	unsigned port;
	FILE *out;
	pid_t pid = serve_child(&port, &out, "--sign-in-per-address", "1");
	const char body[] = "{\"user\":\"adm\",\"password\":\"server-password-1\"}";
	struct pvts_resp r = pvts_http(port, "POST", "/v1/sessions", NULL, body, strlen(body));
	assert_int_equal(r.status, 201);
	pvts_resp_free(&r);
	r = pvts_http(port, "POST", "/v1/sessions", NULL, body, strlen(body));
	assert_int_equal(r.status, 429);
	assert_true(r.retry_after >= 1);
	pvts_resp_free(&r);
	kill(pid, SIGTERM);
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	fclose(out);
	char *help = NULL;
	assert_int_equal(pvt_run(&help, "'%s' serve --help 2>&1", pvt_program("pivault-test")), 0);
	const char *opts[] = { "--sign-in-per-address", "--sign-in-per-user", "--sign-in-window",
			       "--reads-per-second", "--reads-burst", "Retry-After" };
	for (size_t i = 0; i < sizeof opts / sizeof *opts; i++)
		assert_non_null(strstr(help, opts[i]));
	free(help);
}

/* An export by token through port: its status (the body read whole and dropped). */
static int export_status(unsigned port, const char *token, const char **code)
{
	struct pvts_resp r = pvts_http(port, "GET", "/v1/export?purpose=all", token, NULL, 0);
	int status = r.status;
	static char seen[32];
	const char *c = pvts_err_code(&r);
	snprintf(seen, sizeof seen, "%s", c ? c : "");
	*code = seen;
	pvts_resp_free(&r);
	return status;
}

/* Whether the server has answered on fd within ms (a stalled upload it refused). */
static int answered_within(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, ms) > 0;
}

/* A stalled import by token that holds a stream: started again whenever the server
 * refused it (an export probing the caps may have held the stream when its headers came),
 * and believed to hold one only when an export by probe is refused 503 while the
 * import's connection stays unanswered. Returns its socket; *code: the probe's error. */
static int import_holding_stream(unsigned port, const char *token, const char *probe,
				 const char **code)
{
	int fd = -1;
	for (int tries = 0; tries < 500; tries++) {
		if (fd < 0) {
			fd = pvts_stalled_upload(port, "/v1/import?purpose=all", token, 100000,
						 "id\n");
			nap_ms(20);
		}
		if (answered_within(fd, 0)) { /* refused: try again */
			close(fd);
			fd = -1;
			continue;
		}
		if (export_status(port, probe, code) == 503 &&
		    strcmp(*code, "streams_busy") == 0) {
			if (!answered_within(fd, 100))
				return fd;
			close(fd); /* the probe's stream was the one held: the import refused */
			fd = -1;
		} else {
			nap_ms(20);
		}
	}
	fail_msg("the stalled import never held a stream");
	return -1;
}

/* The command's caps on streams reach the server: with --streams 1 one stalled import
 * fills them (another user's export: 503; a bearer that is not valid: 401); with
 * --streams-per-user 1 the same user's second stream is refused while another user's
 * runs. Out of range is a usage error, and --help names both. */
static void test_streams_command_options(void **state)
{
	(void)state;
	const char *opts[][2] = { { "--streams", "1" }, { "--streams-per-user", "1" } };
	for (size_t i = 0; i < 2; i++) {
		unsigned port;
		FILE *out;
		pid_t pid = serve_child(&port, &out, opts[i][0], opts[i][1]);
		char *adm = pvts_sign_in(port, "adm", PW), *adm2 = pvts_sign_in(port, "adm2", PW);
		const char *code = "";
		int fd = import_holding_stream(port, adm, i ? adm : adm2, &code);
		assert_string_equal(code, "streams_busy");
		assert_int_equal(export_status(port, "not-a-token", &code), 401);
		assert_int_equal(export_status(port, adm2, &code), i ? 200 : 503);
		close(fd);
		kill(pid, SIGTERM);
		int st = 0;
		assert_int_equal(waitpid(pid, &st, 0), pid);
		fclose(out);
		free(adm);
		free(adm2);
	}
	const char *prog = pvt_program("pivault-test");
	const char *bad[][2] = { { "--streams 0", "--streams needs a number from 1 to 256" },
				 { "--streams 257", "--streams needs a number from 1 to 256" },
				 { "--streams 2 --streams-per-user 3",
				   "--streams-per-user needs a number from 1 to 2" },
				 { "--streams-per-user 5", "--streams-per-user needs a number from 1 to 4" } };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char *out = NULL;
		int rc = pvt_run(&out, "'%s' serve --vault '%s' --listen 127.0.0.1:0 --plain-http "
				 "%s 2>&1", prog, g_f.dir, bad[i][0]);
		assert_int_equal(rc, 2);
		if (!strstr(out, bad[i][1]))
			fail_msg("%s: want \"%s\", got %s", bad[i][0], bad[i][1], out);
		free(out);
	}
	/* the server itself refuses one user's cap over the server's */
	struct pvs_config c = pvts_roomy_config();
	c.vault = g_f.dir;
	c.host = "127.0.0.1";
	c.streams = 2;
	c.streams_per_user = 3;
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(g_f.key_path, &key), PV_OK);
	c.key = key;
	char err[256] = "";
	assert_null(pvs_start(&c, err, sizeof err));
	pv_key_free(key);
	assert_non_null(strstr(err, "streams per user"));
	char *help = NULL;
	assert_int_equal(pvt_run(&help, "'%s' serve --help 2>&1", prog), 0);
	assert_non_null(strstr(help, "--streams "));
	assert_non_null(strstr(help, "--streams-per-user"));
	free(help);
}

/* ---- Rate limits ------------------------------------------------------------------------ */

/* A server of its own with these limits; g_f.port names it until rate_stop. */
static struct pvs_server *rate_start(unsigned per_address, unsigned per_user, unsigned window,
				     unsigned reads, unsigned burst)
{
	struct pvs_config c = { .plain_http = 1, .sign_in_per_address = per_address,
				.sign_in_per_user = per_user, .sign_in_window_seconds = window,
				.reads_per_second = reads, .reads_burst = burst };
	struct pvs_server *s = start(&c);
	g_f.port = pvs_port(s);
	return s;
}

static void rate_stop(struct pvs_server *s)
{
	pvs_stop(s);
	g_f.port = pvs_port(g_f.srv);
	pvts_from = NULL;
}

static int sign_in_status(const char *user, const char *pw, int *retry_after)
{
	char body[256];
	snprintf(body, sizeof body, "{\"user\":\"%s\",\"password\":\"%s\"}", user, pw);
	struct pvts_resp r = http("POST", "/v1/sessions", NULL, body);
	int status = r.status;
	if (status == 429) {
		assert_string_equal(pvts_err_code(&r), "rate_limited");
		assert_true(r.retry_after >= 1);
	}
	if (retry_after)
		*retry_after = r.retry_after;
	pvts_resp_free(&r);
	return status;
}

/* How many lines of log hold needle. */
static int count_in(const char *log, const char *needle)
{
	int n = 0;
	for (const char *p = log; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* The sum of the counts of the rate-limit entries of a limit ("sign-in per address"). */
static unsigned long refusals_audited(const char *log, const char *limit)
{
	unsigned long sum = 0;
	char want[96];
	snprintf(want, sizeof want, "|rate-limit|denied|%s limit: ", limit);
	for (const char *p = log; (p = strstr(p, want)) != NULL; p++)
		sum += strtoul(p + strlen(want), NULL, 10);
	return sum;
}

/* A flood of sign-ins from one address, each under a new unknown name (so no per-user
 * limit meets it): past 3 the server answers 429 with Retry-After, without checking a
 * password (no login entry for a refused attempt, so Argon2id never ran for it), and audits
 * the refusals in one entry under "(unknown)" (a name typed, even one that looks like a
 * password, is not written); another address signs in meanwhile; after the window the
 * address is served again and the refusals still counted are audited then. */
static void test_rate_sign_in_flood_from_one_address(void **state)
{
	(void)state;
	struct pvs_server *s = rate_start(3, 1000, 4, 1000, 1000); /* a token each 1.33 s */
	char name[64];
	int retry = -1, allowed = 0, st;
	double t0 = pvt_now();
	do { /* 3, and one more for each 4/3 s the sign-ins took (the bucket refills) */
		snprintf(name, sizeof name, "ghost%d", allowed);
		st = sign_in_status(name, "wrong-wrong", &retry);
		allowed += st == 401;
	} while (st == 401 && allowed < 12);
	double took = pvt_now() - t0;
	assert_int_equal(st, 429);
	assert_true(allowed >= 3 && allowed <= 3 + 1 + (int)(took * 3 / 4));
	for (int i = allowed + 1; i < allowed + 20; i++) {
		snprintf(name, sizeof name, i == 10 ? "Looks-Like-A-Pw-%d" : "ghost%d", i);
		assert_int_equal(sign_in_status(name, "wrong-wrong", &retry), 429);
	}
	char *log = audit_lines();
	for (int i = 0; i < allowed; i++) { /* checked: Argon2id ran, the failure audited */
		snprintf(name, sizeof name, "ghost%d|login|failed|unknown user", i);
		assert_non_null(strstr(log, name));
	}
	for (int i = allowed; i < allowed + 20; i++) {
		snprintf(name, sizeof name, i == 10 ? "Looks-Like-A-Pw-%d" : "ghost%d|", i);
		assert_null(strstr(log, name)); /* never checked, never named */
	}
	assert_int_equal(count_in(log, "|rate-limit|"), 1);
	assert_non_null(strstr(log, "(unknown)|rate-limit|denied|sign-in per address limit: 1 "
				    "refused (address loopback)"));
	free(log);
	pvts_from = "127.0.0.2"; /* another client is not affected */
	assert_int_equal(sign_in_status("adm", PW, NULL), 201);
	pvts_from = NULL;
	assert_true(retry >= 1 && retry <= 2);
	nap_ms(4100); /* the window, which also lets the counted refusals be audited */
	assert_int_equal(sign_in_status("adm", PW, NULL), 201);
	log = audit_lines();
	assert_int_equal(count_in(log, "|rate-limit|"), 2);
	assert_int_equal(refusals_audited(log, "sign-in per address"), 20);
	free(log);
	rate_stop(s);
}

/* Guesses at one user from two addresses: past 2 the user's sign-in is refused from
 * anywhere, even with the right password, without counting towards the lock-out; another
 * user signs in meanwhile; after the window the user signs in. The entry is under the
 * user's name (an existing user). */
static void test_rate_sign_in_per_user(void **state)
{
	(void)state;
	struct pvs_server *s = rate_start(1000, 2, 8, 1000, 1000); /* a token each 4 s */
	assert_int_equal(sign_in_status("aud", "guess-1", NULL), 401);
	pvts_from = "127.0.0.3";
	assert_int_equal(sign_in_status("aud", "guess-2", NULL), 401);
	for (int i = 0; i < 10; i++)
		assert_int_equal(sign_in_status("aud", i % 2 ? PW : "guess-3", NULL), 429);
	pvts_from = NULL;
	assert_int_equal(sign_in_status("aud", PW, NULL), 429);
	assert_int_equal(sign_in_status("clerk2", PW, NULL), 201);
	int retry = 0;
	assert_int_equal(sign_in_status("aud", PW, &retry), 429);
	assert_true(retry >= 1 && retry <= 4);
	nap_ms(retry * 1000L + 100);
	assert_int_equal(sign_in_status("aud", PW, NULL), 201); /* not locked out */
	char *log = audit_lines();
	assert_int_equal(count_in(log, "aud|login|failed|wrong password"), 2);
	assert_non_null(strstr(log, "aud|rate-limit|denied|sign-in per user limit: 1 refused "
				    "(address loopback)"));
	assert_int_equal(count_in(log, "aud|rate-limit|"), 1); /* the rest counted, not logged */
	free(log);
	rate_stop(s);
}

/* Reads over a user's rate (burst 3, 1 a second): 429 with Retry-After, the refused
 * reads never run (no read entry), one audit entry for them; another user reads
 * meanwhile; a second later the user reads again. */
static void test_rate_reads(void **state)
{
	(void)state;
	struct pvs_server *s = rate_start(1000, 1000, 60, 1, 3);
	char *token = sign_in("clerk1", PW), *other = sign_in("clerk2", PW);
	char *log = audit_lines();
	int reads_before = count_in(log, "clerk1|read|");
	free(log);
	const char *path = "/v1/customers/C00000002?purpose=service";
	int ok = 0, limited = 0;
	for (int i = 0; i < 12; i++) {
		struct pvts_resp r = http("GET", path, token, NULL);
		ok += r.status == 200;
		if (r.status == 429) {
			limited++;
			assert_string_equal(pvts_err_code(&r), "rate_limited");
			assert_true(r.retry_after == 1);
		}
		pvts_resp_free(&r);
	}
	assert_true(ok >= 3 && ok <= 5); /* the burst, and what refilled meanwhile */
	assert_int_equal(ok + limited, 12);
	struct pvts_resp r = http("GET", path, other, NULL);
	assert_int_equal(r.status, 200);
	pvts_resp_free(&r);
	nap_ms(1100);
	r = http("GET", path, token, NULL);
	assert_int_equal(r.status, 200);
	pvts_resp_free(&r);
	log = audit_lines();
	assert_int_equal(count_in(log, "clerk1|read|") - reads_before, ok + 1);
	assert_int_equal(count_in(log, "clerk1|rate-limit|denied|reads per user limit: 1 "
				       "refused (address loopback)"), 1);
	assert_int_equal(count_in(log, "clerk2|rate-limit|"), 0);
	free(log);
	r = http("GET", "/v1/openapi.json", NULL, NULL); /* the document names the 429s */
	const char *limited_routes[][2] = { { "/v1/sessions", "post" },
					    { "/v1/customers", "get" },
					    { "/v1/customers/{id}", "get" } };
	for (size_t i = 0; i < 3; i++) {
		json_t *op = json_object_get(json_object_get(json_object_get(r.json, "paths"),
							     limited_routes[i][0]),
					     limited_routes[i][1]);
		assert_non_null(json_object_get(json_object_get(op, "responses"), "429"));
	}
	pvts_resp_free(&r);
	free(token);
	free(other);
	rate_stop(s);
}

/* The table is of fixed size: a flood of 200,000 new names (far more than it holds)
 * cannot evict a limited user's bucket to free it, while each new name is still served. */
static void test_rate_table_flood_keeps_limited(void **state)
{
	(void)state;
	struct pvs_config c = { .sign_in_per_user = 2, .sign_in_window_seconds = 3600 };
	struct pvs_limits *l = pvs_limits_new(&c);
	assert_non_null(l);
	for (int i = 0; i < 2; i++)
		assert_true(pvs_limit_take(l, PV_LIMIT_SIGN_IN_USER, "victim", 6).allowed);
	struct pvs_verdict d = pvs_limit_take(l, PV_LIMIT_SIGN_IN_USER, "victim", 6);
	assert_false(d.allowed);
	assert_int_equal(d.to_audit, 1);
	char name[32];
	for (int i = 0; i < 200000; i++) {
		int n = snprintf(name, sizeof name, "flood%d", i);
		assert_true(pvs_limit_take(l, PV_LIMIT_SIGN_IN_USER, name, (size_t)n).allowed);
	}
	d = pvs_limit_take(l, PV_LIMIT_SIGN_IN_USER, "victim", 6);
	assert_false(d.allowed);
	assert_int_equal(d.to_audit, 0); /* counted, audited with the next entry */
	assert_true(d.retry_after > 1700); /* a token each 1800 s */
	pvs_limits_free(l);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_in_one_message),
		cmocka_unit_test(test_lockout),
		cmocka_unit_test(test_clerk_reads_masked),
		cmocka_unit_test(test_role_without_read),
		cmocka_unit_test(test_find_by_phone),
		cmocka_unit_test(test_sign_out_revokes),
		cmocka_unit_test(test_token_expires),
		cmocka_unit_test(test_malformed_json),
		cmocka_unit_test(test_oversized_body),
		cmocka_unit_test(test_unknown_route),
		cmocka_unit_test(test_health_reveals_nothing),
		cmocka_unit_test(test_idle_connection_closed),
		cmocka_unit_test(test_connection_cap),
		cmocka_unit_test(test_audit_entries),
		cmocka_unit_test(test_openapi_matches_routes),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_sigterm_finishes_in_flight),
		cmocka_unit_test(test_command_refusals),
		cmocka_unit_test(test_rate_sign_in_flood_from_one_address),
		cmocka_unit_test(test_rate_sign_in_per_user),
		cmocka_unit_test(test_rate_reads),
		cmocka_unit_test(test_rate_table_flood_keeps_limited),
		cmocka_unit_test(test_rate_command_options),
		cmocka_unit_test(test_streams_command_options),
		/* API tokens (H-apitok) */
		cmocka_unit_test(test_api_token_over_http),
		cmocka_unit_test(test_api_token_bad_and_expired),
		cmocka_unit_test(test_tokens_over_http),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
