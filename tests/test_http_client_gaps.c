/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_client_gaps.c: the client's (PIVAULT_SERVER) small gaps, each against the local
 * command it twins, on a vault whose bulk limit of customers in clear is 3.
 * Bulk limit: `transfer notify` of a plan with more customers than the limit is refused
 * through the server as locally, with the stable code bulk_limit (not forbidden) that the
 * library's pv_failed_bulk_limit gives, the local message, nothing on standard output and
 * nothing notified (no notice in the register, no audit entry of notices rendered); a
 * denial of another kind (no 'handover') keeps the code forbidden; asked for with
 * `pivault request`, approved by another user, it runs once; a plan within the limit is
 * notified. A list in clear past the limit, asked for and run the same way.
 * Non-UTF-8: a file whose path is not UTF-8 is still scanned through the server.
 * Partial shred-excluded: when the objectors were shredded and a later step failed (the
 * shred ledger unwritable), the route's error carries "shredded" and "certificate" and
 * the client prints the certificate, the message and the count as locally (exit 3).
 * A malformed CSV scanned through the server: the message names the file as its user gave
 * it (line, reason, never a value), as the local command does; ?name= must be printable.
 * A package uploaded by `handover import` goes as application/octet-stream (what an age
 * file is), not text/csv: a listener standing in for the server reads the request's head. */
#include "testutil.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

/* `pivault request ARGS` through the server as user (the request's id into id), approved
 * through the server by approver; user signed in again. */
static void ask_and_approve(const char *user, const char *approver, const char *args,
			    char id[64])
{
	char *out = NULL, line[512];
	pvtc_login(user);
	snprintf(line, sizeof line, "request %s --reason 'four eyes through the server'", args);
	pvtc_remote(0, &out, NULL, line);
	assert_int_equal(sscanf(out, "request %63s recorded", id), 1);
	free(out);
	pvtc_login(approver);
	snprintf(line, sizeof line, "approve %s", id);
	pvtc_remote(0, NULL, NULL, line);
	pvtc_login(user);
}

/* ---- 1. transfer notify past the bulk limit ----------------------------------------------- */

/* Attack: a DPO renders the notices (names and contacts in clear) of more customers than
 * the bulk limit through the server: refused as locally, until asked for with `pivault
 * request`, approved by another DPO, and run once under the request. */
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
	assert_string_equal(rerr, lerr); /* the library's message, as locally */
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
	/* with four eyes through the server (`pivault request`): asked for, approved by
	 * another DPO, and run once as approved: every customer's notice */
	char id[64], run[400];
	ask_and_approve("dpo1", "dpo2", args, id);
	assert_int_equal(notices_recorded(), before);
	snprintf(run, sizeof run, "%s --request %s", args, id);
	free(out);
	pvtc_remote(0, &out, NULL, run);
	assert_int_equal(notices_recorded(), before + NCUST);
	pvtc_remote(1, NULL, NULL, run); /* a request runs once */
	free(out);
	free(rerr);
	free(lerr);
}

/* ---- 1b. a read in clear past the bulk limit, under four eyes through the server -------- */

/* `list --clear` past the limit is refused as locally; asked for with `pivault request`
 * (bound to the customers it would show), approved by a DPO and run with --request, it
 * shows the names in clear, once; the same request does not cover another page. */
static void test_read_clear_four_eyes(void **state)
{
	(void)state;
	const char *args = "list --purpose service --clear --limit 5";
	char id[64], run[256], *out = NULL, *err = NULL;
	pvtc_login("clerk1");
	pvtc_remote(1, NULL, &err, args);
	assert_non_null(strstr(err, "beyond the bulk limit"));
	free(err);
	ask_and_approve("clerk1", "dpo1", args, id);
	snprintf(run, sizeof run, "%s --after C00000001 --request %s", args, id);
	pvtc_remote(1, NULL, &err, run); /* other customers than approved */
	free(err);
	snprintf(run, sizeof run, "%s --request %s", args, id);
	pvtc_remote(0, &out, NULL, run);
	for (size_t r = 1; r <= 5; r++)
		assert_non_null(strstr(out, pvt_csv_get(&pvtc.f.csv, r, "name")));
	free(out);
	pvtc_remote(1, NULL, NULL, run); /* once */
	/* --json of the ask: the request as JSON, as locally */
	pvtc_remote(0, &out, NULL, "request list --purpose service --clear --limit 4 --json");
	json_t *doc = json_loads(out, 0, NULL);
	assert_true(json_is_string(json_object_get(doc, "request")));
	json_decref(doc);
	free(out);
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

/* ---- 2. shred-excluded that shredded, then failed ------------------------------------------ */

/* The transfer's objectors shredded through the server under four eyes while the shred
 * ledger cannot be written (a directory in its place, as test_dsr does it): the certificate
 * comes back with the error and the client prints it as `transfer shred-excluded` does
 * locally (the certificate on standard output, the library's message, the count; exit 3);
 * the customers are gone. */
static void test_shred_excluded_partial(void **state)
{
	(void)state;
	const char *objectors[] = { pvt_csv_get(&pvtc.f.csv, 2, "customer_id"),
				    pvt_csv_get(&pvtc.f.csv, 5, "customer_id") };
	pv_vault *root = pvt_open_root(pvtc.f.dir, NULL, pvtc.f.key_path);
	pv_access admin = { "admin", NULL, PV_WANT_MASKED };
	for (size_t i = 0; i < 2; i++) {
		char *d = NULL;
		assert_ok(root, pv_dsr_open(root, &admin, objectors[i], "object", NULL, &d));
		pv_free(d);
	}
	pvt_vclose(root);
	char *plan = plan_of(NULL), args[256], *out = NULL, *err = NULL, id[64], again[400];
	char *keyring = pvt_keep(pvt_path(pvtc.f.tmp, "vault.keyring"));
	char *ledger = pvt_keep(pvt_path(pvtc.f.tmp, "vault.keyring.ledger"));
	assert_int_equal(access(keyring, F_OK), 0);
	assert_int_equal(mkdir(ledger, 0700), 0);

	snprintf(args, sizeof args, "transfer shred-excluded %s --role dpo", plan);
	pvtc_login("dpo1");
	pvtc_remote(0, &out, NULL, args);
	assert_int_equal(sscanf(out, "request %63s recorded", id), 1);
	free(out);
	pvtc_login("dpo2");
	snprintf(again, sizeof again, "approve %s", id);
	pvtc_remote(0, NULL, NULL, again);
	pvtc_login("dpo1");
	snprintf(again, sizeof again, "%s --request %s", args, id);
	assert_int_equal(pvtc_cli(&out, &err, pvtc_server_env(), "%s", again), 3);

	json_error_t je;
	json_t *cert = json_loads(out, 0, &je); /* the certificate, as the library gives it */
	if (!cert)
		fail_msg("no certificate on standard output: [%s] [%s]", out, err);
	for (size_t i = 0; i < 2; i++)
		assert_non_null(strstr(out, objectors[i]));
	json_decref(cert);
	char count[128];
	snprintf(count, sizeof count, "\n2 customers of %s shredded\n", plan);
	const char *said = strstr(err, "pivault: 2 customers were shredded and the certificate "
				  "issued, but the shred ledger is not up to date (");
	if (!said || strstr(said, count) == NULL)
		fail_msg("not the local command's messages: [%s]", err);
	root = pvt_open_root(pvtc.f.dir, NULL, pvtc.f.key_path);
	for (size_t i = 0; i < 2; i++) {
		pv_record *r = NULL;
		assert_int_not_equal(pv_get(root, &admin, objectors[i], &r), PV_OK);
		pv_record_free(r);
	}
	pvt_vclose(root);
	free(out);
	free(err);
}

/* ---- 3. a malformed CSV scanned through the server ---------------------------------------- */

/* `scan FILE` of a malformed file through the server says what the local command says
 * against the vault's schema: the file as its user named it, the line and the reason,
 * never a value; the route without ?name= says "the request's body", and a name that is
 * no printable text is refused (400) before anything is scanned. */
static void test_scan_malformed_names_the_file(void **state)
{
	(void)state;
	const char *texts[] = { "id,name,notes\nC1,Li Na,13812345678\nC2,Wang Wei,x,Zhao\n",
				"id,name,notes\nC1,\"Li Na,13812345678\nC2,Wang Wei,x\n" };
	pvtc_login("dpo1");
	for (size_t i = 0; i < 2; i++) {
		char file[32], *csv, *lout = NULL, *lerr = NULL, *rout = NULL, *rerr = NULL;
		snprintf(file, sizeof file, "bad-%zu.csv", i);
		csv = pvt_keep(pvt_path(pvtc.f.tmp, file));
		assert_int_equal(pvt_write_file(csv, texts[i], strlen(texts[i])), 0);
		int lst = pvtc_cli(&lout, &lerr, "", "scan '%s' --schema '%s'", csv,
				   PV_SOURCE_DIR "/examples/schema.yaml");
		int rst = pvtc_cli(&rout, &rerr, pvtc_server_env(), "scan '%s'", csv);
		if (lst != 1 || rst != lst || strcmp(lout, rout) || strcmp(lerr, rerr) ||
		    !strstr(rerr, csv))
			fail_msg("scan %s: here %d [%s] [%s], server %d [%s] [%s]", csv, lst, lout,
				 lerr, rst, rout, rerr);
		assert_null(strstr(rerr, "13812345678"));
		assert_null(strstr(rerr, "Zhao"));
		free(lout);
		free(lerr);
		free(rout);
		free(rerr);
	}
	char *token = pvts_sign_in(pvtc.f.port, "dpo2", PW);
	struct pvts_resp r = pvts_http(pvtc.f.port, "POST", "/v1/scan", token, texts[0],
				       strlen(texts[0]));
	assert_int_equal(r.status, 422);
	assert_non_null(strstr(pvts_err_msg(&r), "the request's body: data row 2"));
	pvts_resp_free(&r);
	r = pvts_http(pvtc.f.port, "POST", "/v1/scan?name=a%0Ab.csv", token, texts[0],
		      strlen(texts[0]));
	assert_int_equal(r.status, 400);
	assert_string_equal(pvts_err_code(&r), "bad_request");
	pvts_resp_free(&r);
	free(token);
	/* a path that is no UTF-8 (a file named in Latin-1): the client leaves out ?name=, so
	 * the file is still scanned and its fault said by line, not refused for its name */
	char *odd = pvt_keep(pvt_path(pvtc.f.tmp, "bad-\xe9t\xe9.csv")), *out = NULL, *err = NULL;
	assert_int_equal(pvt_write_file(odd, texts[0], strlen(texts[0])), 0);
	assert_int_equal(pvtc_cli(&out, &err, pvtc_server_env(), "scan '%s'", odd), 1);
	if (!strstr(err, "the request's body: data row 2"))
		fail_msg("scan of a Latin-1 path through the server: [%s]", err);
	free(out);
	free(err);
}

/* ---- 4. the media type of an uploaded package ---------------------------------------------- */

/* A listener on loopback that takes one request, keeps its head and answers 400. */
struct head_catcher {
	int fd;
	unsigned port;
	char head[4096];
};

static void *catch_head(void *arg)
{
	struct head_catcher *h = arg;
	int c = accept(h->fd, NULL, NULL);
	size_t n = 0;
	while (c >= 0 && n < sizeof h->head - 1 && !strstr(h->head, "\r\n\r\n")) {
		ssize_t k = recv(c, h->head + n, sizeof h->head - 1 - n, 0);
		if (k <= 0)
			break;
		n += (size_t)k;
		h->head[n] = '\0';
	}
	static const char no[] = "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n"
				 "Content-Length: 2\r\nConnection: close\r\n\r\n{}";
	if (c >= 0) {
		(void)send(c, no, sizeof no - 1, MSG_NOSIGNAL);
		close(c);
	}
	return NULL;
}

static void catcher_up(struct head_catcher *h)
{
	memset(h, 0, sizeof *h);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	h->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(h->fd >= 0);
	assert_int_equal(bind(h->fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(h->fd, 1), 0);
	assert_int_equal(getsockname(h->fd, (struct sockaddr *)&a, &len), 0);
	h->port = ntohs(a.sin_port);
}

/* `handover import` through a server sends the package as what it is, an age file
 * (application/octet-stream), not as CSV text. */
static void test_handover_import_media_type(void **state)
{
	(void)state;
	char *pkg = pvt_keep(pvt_path(pvtc.f.tmp, "some.age")), env[1024];
	assert_int_equal(pvt_write_file(pkg, "age-encryption.org/v1\n", 22), 0);
	struct head_catcher h;
	catcher_up(&h);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, catch_head, &h), 0);
	snprintf(env, sizeof env, "XDG_RUNTIME_DIR='%s' PIVAULT_SERVER='http://127.0.0.1:%u' "
		 "PIVAULT_TOKEN='pvt_%064d'", pvtc.run, h.port, 0);
	int st = pvtc_cli(NULL, NULL, env, "handover import '%s' --role admin", pkg);
	assert_int_equal(pthread_join(t, NULL), 0);
	close(h.fd);
	assert_int_equal(st, 2); /* as the client says a 400 */
	if (!strstr(h.head, "\r\nContent-Type: application/octet-stream\r\n"))
		fail_msg("the upload's head: [%s]", h.head);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notify_past_bulk_limit),
		cmocka_unit_test(test_notify_within_bulk_limit),
		cmocka_unit_test(test_read_clear_four_eyes),
		cmocka_unit_test(test_shred_excluded_partial),
		cmocka_unit_test(test_scan_malformed_names_the_file),
		cmocka_unit_test(test_handover_import_media_type),
	};
	return cmocka_run_group_tests(tests, group_setup, pvtc_group_teardown);
}
