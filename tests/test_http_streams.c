/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_streams.c: long streams (exports, imports, package uploads) and the server's
 * availability. A slow client with the right to export could once hold a worker's vault
 * handle for the whole export, so a few of them made every other request wait: here
 * stalled exports (the client reads nothing) and stalled imports (the client sends part
 * of the body and stops) are started, and an ordinary read must still answer at once;
 * beyond the cap on streams (in all, and per user) the server answers 503 with
 * Retry-After and a code that says why. A package upload that stops half-way leaves no
 * file in the handover directory. */
#include "testutil.h"

#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "pivault.h"
#include "server.h"
#include "server_client.h"

static const char PW[] = "streams-password-1";
#define CUSTOMERS 1000 /* an export (~430 KB) larger than every buffer on its way */
#define STREAMS 2      /* the server's cap on streams (as many as its worker threads) */

static char *g_tmp, *g_dir, *g_key_path;
static struct pvs_server *g_srv;
static unsigned g_port;

/* ---- The vault and the server ---------------------------------------------------- */

static int group_setup(void **state)
{
	(void)state;
	g_tmp = pvt_tempdir();
	g_dir = pvt_path(g_tmp, "vault");
	g_key_path = pvt_path(g_tmp, "root.key");
	pv_vault_close(pvt_sample_vault(g_dir, g_key_path, CUSTOMERS, 13, NULL));
	pv_vault *root = pvt_open_root(g_dir, NULL, g_key_path);
	pv_access admin = { "admin", NULL, PV_WANT_MASKED };
	const char *users[][2] = { { "adm1", "admin" }, { "adm2", "admin" }, { "adm3", "admin" },
				   { "clerk1", "clerk" } };
	for (size_t i = 0; i < sizeof users / sizeof *users; i++)
		assert_ok(root, pvt_user_add(root, &admin, users[i][0], users[i][1], PW, strlen(PW)));
	char today[16];
	time_t now = time(NULL);
	strftime(today, sizeof today, "%Y-%m-%d", gmtime(&now));
	assert_ok(root, pv_user_attest(root, &admin, "clerk1", today, today, NULL));
	pvt_vclose(root);
	struct pvs_config c = { .plain_http = 1, .session_seconds = 600, .threads = STREAMS,
				.streams = STREAMS, .streams_per_user = 1,
				.sign_in_per_address = 10000, .sign_in_per_user = 10000,
				.reads_per_second = 10000, .reads_burst = 10000 };
	g_srv = pvts_start(&c, g_dir, g_key_path, 4096);
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
	return 0;
}

static char *sign_in(const char *user)
{
	return pvt_keep(pvts_sign_in(g_port, user, PW));
}

/* ---- Slow clients ----------------------------------------------------------------- */

static unsigned port_of(const struct sockaddr_in *a)
{
	return ntohs(a->sin_port);
}

/* The server runs in this process: its end of the connection whose client end is bound
 * to client_port gets a small send buffer (the kernel would otherwise buffer megabytes
 * on loopback before an export by a client that reads nothing backs up). 1 when found. */
static int shrink_server_end(unsigned client_port)
{
	int small = 4096;
	for (int fd = 3; fd < 4096; fd++) {
		struct sockaddr_in me, peer;
		socklen_t n = sizeof me, m = sizeof peer;
		if (getsockname(fd, (struct sockaddr *)&me, &n) == 0 && n == sizeof me &&
		    me.sin_family == AF_INET && port_of(&me) == g_port &&
		    getpeername(fd, (struct sockaddr *)&peer, &m) == 0 &&
		    port_of(&peer) == client_port)
			return setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small) == 0;
	}
	return 0;
}

/* A connection whose buffers are small at both ends (so the server's writes back up
 * soon when the client reads nothing). */
static int slow_connect(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	int small = 4096;
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)g_port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	struct timeval tv = { 10, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	struct sockaddr_in me;
	socklen_t n = sizeof me;
	assert_int_equal(getsockname(fd, (struct sockaddr *)&me, &n), 0);
	int found = 0;
	for (int tries = 0; tries < 200 && !(found = shrink_server_end(port_of(&me))); tries++) {
		struct timespec nap = { 0, 5 * 1000 * 1000 }; /* until the server has accepted */
		nanosleep(&nap, NULL);
	}
	assert_true(found);
	return fd;
}

static void send_all(int fd, const char *data, size_t n)
{
	for (size_t done = 0; done < n;) {
		ssize_t w = send(fd, data + done, n - done, MSG_NOSIGNAL);
		assert_true(w > 0);
		done += (size_t)w;
	}
}

/* An export asked for by token whose client then reads nothing (its connection open). */
static int stalled_export(const char *token)
{
	int fd = slow_connect();
	char *text = pvts_request_text("GET", "/v1/export?purpose=all&format=jsonl", token,
				       NULL, 0);
	send_all(fd, text, strlen(text));
	free(text);
	return fd;
}

/* The status line's code of what fd answers first (it reads a little only). */
static int first_status(int fd)
{
	char buf[16] = { 0 };
	assert_true(recv(fd, buf, 12, MSG_WAITALL) == 12);
	return atoi(buf + 9); /* "HTTP/1.1 200" */
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* A customer read answers (200) within a second, whatever the streams do. */
static void read_answers_promptly(const char *token)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct pvts_resp r = pvts_http(g_port, "GET", "/v1/customers/C00000001?purpose=service",
				       token, NULL, 0);
	double took = seconds_since(&t0);
	assert_int_equal(r.status, 200);
	pvts_resp_free(&r);
	if (took > 1.0)
		fail_msg("the read took %.1f s while exports were stalled", took);
}

/* Once the streams of an earlier step have noticed their clients gone (within seconds),
 * an export by token runs whole again. */
static void streams_settled(const char *token)
{
	struct pvts_resp r = { 0 };
	for (int tries = 0; tries < 100; tries++) {
		r = pvts_http(g_port, "GET", "/v1/export?purpose=all&format=jsonl", token, NULL, 0);
		if (r.status != 503)
			break;
		pvts_resp_free(&r);
		struct timespec nap = { 0, 50 * 1000 * 1000 };
		nanosleep(&nap, NULL);
	}
	assert_int_equal(r.status, 200);
	pvts_resp_free(&r);
}

/* As many stalled exports as the server has worker threads (each by another user): a
 * read still answers at once, from a worker's handle no stream holds. */
static void test_stalled_exports_leave_reads_alone(void **state)
{
	(void)state;
	char *exporters[STREAMS] = { sign_in("adm1"), sign_in("adm2") };
	char *clerk = sign_in("clerk1"), *adm3 = sign_in("adm3");
	int fds[STREAMS];
	for (size_t i = 0; i < STREAMS; i++) {
		fds[i] = stalled_export(exporters[i]);
		assert_int_equal(first_status(fds[i]), 200);
	}
	struct timespec nap = { 0, 200 * 1000 * 1000 }; /* the producers fill every buffer */
	nanosleep(&nap, NULL);
	read_answers_promptly(clerk);
	read_answers_promptly(adm3);
	char *late = sign_in("clerk1"); /* a sign-in too finds a handle */
	read_answers_promptly(late);
	for (size_t i = 0; i < STREAMS; i++)
		close(fds[i]);
}

/* The answer to a request beyond a cap: 503, "streams_busy", Retry-After, and whose. */
static void expect_busy(struct pvts_resp *r, const char *whose)
{
	assert_int_equal(r->status, 503);
	assert_string_equal(pvts_err_code(r), "streams_busy");
	assert_true(r->retry_after > 0);
	assert_non_null(strstr(pvts_err_msg(r), whose));
	pvts_resp_free(r);
}

/* Beyond the cap: a third stream while two are stalled (503, the server's), a second one
 * of the same user (503, the user's), an import as well as an export; once the stalled
 * clients are gone, exports run again. */
static void test_streams_over_the_cap(void **state)
{
	(void)state;
	char *adm1 = sign_in("adm1"), *adm2 = sign_in("adm2"), *adm3 = sign_in("adm3");
	streams_settled(adm3);
	int a = stalled_export(adm1);
	assert_int_equal(first_status(a), 200);
	struct pvts_resp r = pvts_http(g_port, "GET", "/v1/export?purpose=all", adm1, NULL, 0);
	expect_busy(&r, "this user's");
	int b = stalled_export(adm2);
	assert_int_equal(first_status(b), 200);
	r = pvts_http(g_port, "GET", "/v1/export?purpose=all", adm3, NULL, 0);
	expect_busy(&r, "the server's");
	r = pvts_http(g_port, "POST", "/v1/import?purpose=all", adm3, "id\n", 3);
	expect_busy(&r, "the server's");
	read_answers_promptly(adm3);
	close(a);
	close(b);
	streams_settled(adm3);
}

/* The answer to a request without a valid bearer: 401, never a word of the server's load. */
static void expect_unauthenticated(struct pvts_resp *r)
{
	assert_int_equal(r->status, 401);
	assert_string_equal(pvts_err_code(r), "unauthenticated");
	assert_true(r->retry_after < 0);
	pvts_resp_free(r);
}

/* Attack: a caller without a valid bearer probes the server's load while every stream is
 * in use. An export or an import without a bearer, with a made-up one, with one signed out:
 * 401 as at any time (the cap was once checked first: 503 told them the streams were
 * full); a signed-in user still gets the 503. */
static void test_streams_full_unauthenticated_gets_401(void **state)
{
	(void)state;
	char *adm1 = sign_in("adm1"), *adm2 = sign_in("adm2"), *adm3 = sign_in("adm3");
	char *gone = pvts_sign_in(g_port, "clerk1", PW);
	struct pvts_resp r = pvts_http(g_port, "DELETE", "/v1/sessions/current", gone, NULL, 0);
	assert_int_equal(r.status / 100, 2);
	pvts_resp_free(&r);
	streams_settled(adm3);
	int a = pvts_stalled_upload(g_port, "/v1/import?purpose=all", adm1, 100000, "id,name\n");
	int b = stalled_export(adm2);
	assert_int_equal(first_status(b), 200);
	r = pvts_http(g_port, "GET", "/v1/export?purpose=all", adm3, NULL, 0);
	expect_busy(&r, "the server's"); /* every stream in use */
	const char *bearers[] = {
		NULL, "not-a-token", gone,
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	};
	for (size_t i = 0; i < sizeof bearers / sizeof *bearers; i++) {
		r = pvts_http(g_port, "GET", "/v1/export?purpose=all", bearers[i], NULL, 0);
		expect_unauthenticated(&r);
		r = pvts_http(g_port, "POST", "/v1/import?purpose=all", bearers[i], "id\n", 3);
		expect_unauthenticated(&r);
	}
	free(gone);
	close(a);
	close(b);
	streams_settled(adm3);
}

/* Imports whose client sends the headers and a little of the body, then waits: they hold
 * streams' handles only; a read answers at once. */
static void test_stalled_imports_leave_reads_alone(void **state)
{
	(void)state;
	char *importers[STREAMS] = { sign_in("adm1"), sign_in("adm2") };
	char *clerk = sign_in("clerk1");
	int fds[STREAMS];
	streams_settled(sign_in("adm3"));
	for (size_t i = 0; i < STREAMS; i++)
		fds[i] = pvts_stalled_upload(g_port, "/v1/import?purpose=all", importers[i], 100000,
					     "id,name\n");
	struct timespec nap = { 0, 200 * 1000 * 1000 };
	nanosleep(&nap, NULL);
	read_answers_promptly(clerk);
	for (size_t i = 0; i < STREAMS; i++)
		close(fds[i]);
}

/* A package upload that stops half-way: the server keeps nothing of it. */
static void test_package_upload_stopped_half_way(void **state)
{
	(void)state;
	int fd = pvts_stalled_upload(g_port, "/v1/handover/imports", sign_in("adm1"), 100000,
				     "age-encryption.org/v1\n-> X25519 ");
	struct timespec nap = { 0, 100 * 1000 * 1000 };
	nanosleep(&nap, NULL);
	close(fd);
	assert_int_equal(pvts_uploads_left(g_dir), 0);
	read_answers_promptly(sign_in("clerk1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stalled_exports_leave_reads_alone),
		cmocka_unit_test(test_streams_over_the_cap),
		cmocka_unit_test(test_streams_full_unauthenticated_gets_401),
		cmocka_unit_test(test_stalled_imports_leave_reads_alone),
		cmocka_unit_test(test_package_upload_stopped_half_way),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
