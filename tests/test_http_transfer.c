/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_transfer.c: the transfer wizard and the handover through `pivault serve`,
 * over HTTP on loopback: a plan made, listed and shown with its steps, its assessment,
 * the notices (the mail merge as the reply, the register listing them), separate
 * consents, exclusions, four eyes (202 with the request, run again after another user's
 * approval); every route refused (403) to a role without its permission. The handover:
 * the whole wizard through HTTP (plan, assessment, notices, an objection shredded apart,
 * export, the package downloaded streamed, uploaded to the recipient's server and imported
 * there, its receipt checked and confirmed on the sender's) ending with a package the
 * library's import accepted and certificates its check accepts; a forged or truncated
 * package upload refused with nothing imported; a receipt for another package (an earlier
 * export of the plan), a changed receipt and no receipt at all refused at confirmation,
 * nothing shredded; a transfer row changed with SQL to name another file is not served;
 * an upload over the package cap refused, no spooled file left behind. Deregistration:
 * the plan, the run under four eyes and the keeper's archive downloaded. */
#define _GNU_SOURCE /* memmem */
#include "dba.h"
#include "testutil.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#include "pivault.h"
#include "server.h"
#include "server_client.h"

#include "formats/age.h"

static const char PW[] = "transfer-password-1";
#define NCUST 6

static struct pvts_fixture g_f; /* the seller's vault with its users, its server */
static char *g_buyer_dir, *g_buyer_key, *g_ident;
static char *g_buyer2_dir, *g_buyer2_key;
static char *g_recipient;   /* age1... */
static char g_buyer_pk[65]; /* the buyer vault's signing key */
static char g_buyer2_pk[65];
static char g_seller_pk[65];
static struct pvs_server *g_buyer_srv; /* the buyer's */
static unsigned g_buyer_port;

static struct pvts_resp http(const char *method, const char *path, const char *token,
			     const char *body)
{
	return pvts_http(g_f.port, method, path, token, body, body ? strlen(body) : 0);
}

/* The reply must have status want; else fail naming its body. */
static void expect_status(const struct pvts_resp *r, int want, const char *what)
{
	if (r->status != want)
		fail_msg("%s: status %d, want %d: %s", what, r->status, want, r->body);
}

/* ---- The vaults, users and the server ---------------------------------------------- */

/* The recipient's age identity file (0600). */
static void make_identity(void)
{
	uint8_t sk[PV_AGE_KEY], pk[PV_AGE_KEY];
	pv_age_keygen(sk, pk);
	g_recipient = pv_age_format_recipient(pk);
	char *id = pv_age_format_identity(sk);
	assert_non_null(g_recipient);
	assert_non_null(id);
	char text[512];
	int n = snprintf(text, sizeof text, "# public key: %s\n%s\n", g_recipient, id);
	sodium_memzero(id, strlen(id));
	sodium_memzero(sk, sizeof sk);
	free(id);
	assert_int_equal(pvt_write_file(g_ident, text, (size_t)n), 0);
	assert_int_equal(chmod(g_ident, 0600), 0);
}

static int group_setup(void **state)
{
	(void)state;
	pvts_fixture_up(&g_f, &(struct pvts_spec){ .customers = NCUST, .seed = 7, .password = PW,
						    .max_body = 65536 });
	pv_vault *seller = pvt_open_root(g_f.dir, NULL, g_f.key_path);
	assert_ok(seller, pv_vault_public_key(seller, g_seller_pk));
	pvt_vclose(seller);
	g_buyer_dir = pvt_path(g_f.tmp, "buyer");
	g_buyer_key = pvt_path(g_f.tmp, "buyer.key");
	g_ident = pvt_path(g_f.tmp, "recipient.agekey");
	g_buyer2_dir = pvt_path(g_f.tmp, "buyer2");
	g_buyer2_key = pvt_path(g_f.tmp, "buyer2.key");
	pv_vault *buyer = pvt_sample_vault(g_buyer_dir, g_buyer_key, 0, 8, NULL);
	assert_ok(buyer, pv_vault_public_key(buyer, g_buyer_pk));
	pvt_vclose(buyer);
	buyer = pvt_sample_vault(g_buyer2_dir, g_buyer2_key, 0, 9, NULL);
	assert_ok(buyer, pv_vault_public_key(buyer, g_buyer2_pk));
	pvt_vclose(buyer);
	pvts_add_users(g_buyer_dir, g_buyer_key, pvts_cast, PW);
	make_identity();
	struct pvs_config b = pvts_roomy_config();
	b.handover_identity = g_ident;
	g_buyer_srv = pvts_start(&b, g_buyer_dir, g_buyer_key, 65536);
	g_buyer_port = pvs_port(g_buyer_srv);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	pvs_stop(g_buyer_srv);
	pvts_fixture_down(&g_f);
	free(g_buyer_dir);
	free(g_buyer_key);
	free(g_buyer2_dir);
	free(g_buyer2_key);
	free(g_ident);
	free(g_recipient);
	return 0;
}

/* ---- Helpers ----------------------------------------------------------------------- */

/* A plan to the recipient (deadline today: export allowed now); its id (kept). */
static char *plan_with(const char *token, const char *country, const char *basis,
		       const char *vault_key)
{
	char today[11], body[1024], key_member[128] = "";
	if (vault_key)
		snprintf(key_member, sizeof key_member, "\"recipient_vault_key\":\"%s\",", vault_key);
	time_t now = time(NULL);
	strftime(today, sizeof today, "%Y-%m-%d", gmtime(&now));
	snprintf(body, sizeof body, "{\"recipient_name\":\"NewCo Ltd\",\"recipient_contact\":"
		 "\"dpo@newco.example\",\"recipient_key\":\"%s\",%s"
		 "\"deadline\":\"%s\",\"role\":\"dpo\"%s%s%s%s%s}", g_recipient, key_member, today,
		 country ? ",\"recipient_country\":\"" : "", country ? country : "",
		 country ? "\",\"legal_basis\":\"" : "", country ? basis : "", country ? "\"" : "");
	struct pvts_resp r = http("POST", "/v1/transfers", token, body);
	expect_status(&r, 201, "POST /v1/transfers");
	const char *id = json_string_value(json_object_get(r.json, "id"));
	assert_non_null(id);
	assert_int_equal(strncmp(id, "T-", 2), 0);
	char *kept = pvt_keep(strdup(id));
	pvts_resp_free(&r);
	return kept;
}

static char *plan_transfer(const char *token, const char *country, const char *basis)
{
	return plan_with(token, country, basis, g_buyer_pk);
}

/* Another user (dpo2) of the vault in dir approves request id, as POST
 * /v1/requests/{id}/approve would. */
static void approve_in(const char *dir, const char *id)
{
	pv_vault *d = pvt_open_user(dir, "dpo2", PW);
	pv_access who = { "dpo", NULL, PV_WANT_MASKED };
	assert_ok(d, pv_request_decide(d, &who, id, PV_APPROVE, NULL));
	pvt_vclose(d);
}

static void approve(const char *id)
{
	approve_in(g_f.dir, id);
}

/* The id of the request a 202 names (kept). */
static char *requested(const struct pvts_resp *r, const char *what)
{
	expect_status(r, 202, what);
	json_t *req = json_object_get(r->json, "request");
	const char *id = json_string_value(json_object_get(req, "id"));
	assert_non_null(id);
	assert_string_equal(json_string_value(json_object_get(req, "state")), "pending");
	return pvt_keep(strdup(id));
}

/* The step named of a transfer as GET /v1/transfers/{id} shows it: 1 done, 0 not. */
static int step_done(const char *token, const char *id, const char *step)
{
	char path[128];
	snprintf(path, sizeof path, "/v1/transfers/%s", id);
	struct pvts_resp r = http("GET", path, token, NULL);
	expect_status(&r, 200, path);
	json_t *steps = json_object_get(r.json, "steps"), *s;
	size_t i;
	int done = -1;
	assert_int_equal(json_array_size(steps), 7);
	json_array_foreach(steps, i, s)
		if (strcmp(json_string_value(json_object_get(s, "step")), step) == 0)
			done = json_is_true(json_object_get(s, "done"));
	pvts_resp_free(&r);
	if (done < 0)
		fail_msg("no step %s", step);
	return done;
}

static size_t count_lines(const char *text)
{
	size_t n = 0;
	for (; *text; text++)
		n += *text == '\n';
	return n;
}

/* ---- The wizard's transfer steps ----------------------------------------------------- */

static void test_transfer_steps(void **state)
{
	(void)state;
	char *dpo = pvt_keep(pvts_sign_in(g_f.port, "dpo1", PW));
	char *id = plan_transfer(dpo, NULL, NULL);
	assert_true(step_done(dpo, id, "plan"));
	assert_false(step_done(dpo, id, "assessment"));
	assert_false(step_done(dpo, id, "notices"));
	assert_true(step_done(dpo, id, "objections")); /* the deadline is today */
	assert_false(step_done(dpo, id, "export"));

	struct pvts_resp r = http("GET", "/v1/transfers?role=dpo", dpo, NULL);
	expect_status(&r, 200, "GET /v1/transfers");
	assert_true(json_array_size(json_object_get(r.json, "transfers")) >= 1);
	pvts_resp_free(&r);

	char path[160];
	snprintf(path, sizeof path, "/v1/transfers/%s/assessment", id);
	r = http("GET", path, dpo, NULL);
	expect_status(&r, 200, path);
	assert_true(json_is_object(r.json));
	pvts_resp_free(&r);
	assert_true(step_done(dpo, id, "assessment"));
	snprintf(path, sizeof path, "/v1/transfers/%s/assessment?format=html", id);
	r = http("GET", path, dpo, NULL);
	expect_status(&r, 200, path);
	assert_non_null(strstr(r.body, "<html"));
	pvts_resp_free(&r);

	snprintf(path, sizeof path, "/v1/transfers/%s/notices", id);
	r = http("POST", path, dpo, "{\"purpose\":\"service\",\"lang\":\"en\",\"format\":\"jsonl\"}");
	expect_status(&r, 200, path);
	assert_int_equal(count_lines(r.body), NCUST); /* one per customer */
	pvts_resp_free(&r);
	assert_true(step_done(dpo, id, "notices"));
	r = http("GET", "/v1/notices", dpo, NULL);
	expect_status(&r, 200, "GET /v1/notices");
	assert_true(json_array_size(json_object_get(r.json, "notices")) >= NCUST);
	pvts_resp_free(&r);

	snprintf(path, sizeof path, "/v1/transfers/%s/exclusions", id);
	r = http("GET", path, dpo, NULL);
	expect_status(&r, 200, path);
	assert_int_equal(json_array_size(json_object_get(r.json, "exclusions")), 0);
	pvts_resp_free(&r);
}

/* Abroad: a customer without separate consent stays out; one given it moves. */
static void test_cross_border_consents(void **state)
{
	(void)state;
	char *dpo = pvt_keep(pvts_sign_in(g_f.port, "dpo1", PW));
	char *id = plan_transfer(dpo, "SG", "standard-contract");
	char path[160];
	snprintf(path, sizeof path, "/v1/transfers/%s/exclusions", id);
	struct pvts_resp r = http("GET", path, dpo, NULL);
	expect_status(&r, 200, path);
	size_t out = json_array_size(json_object_get(r.json, "exclusions"));
	assert_true(out >= 1);
	pvts_resp_free(&r);

	snprintf(path, sizeof path, "/v1/transfers/%s/consents", id);
	r = http("POST", path, dpo, "{\"customer\":\"C00000001\",\"granted\":true,"
		 "\"channel\":\"app\"}");
	expect_status(&r, 204, path);
	pvts_resp_free(&r);
	r = http("POST", path, dpo, "{\"customer\":\"C00000001\",\"granted\":\"yes\","
		 "\"channel\":\"app\"}");
	expect_status(&r, 400, path);
	pvts_resp_free(&r);

	snprintf(path, sizeof path, "/v1/transfers/%s/exclusions", id);
	r = http("GET", path, dpo, NULL);
	expect_status(&r, 200, path);
	assert_int_equal(json_array_size(json_object_get(r.json, "exclusions")), out - 1);
	pvts_resp_free(&r);
}

/* A plan made without the recipient vault key gets it under four eyes: asked for (202),
 * approved by another user, run with the request; the request runs once and only for the
 * key approved. */
static void test_pin_key_four_eyes(void **state)
{
	(void)state;
	char *dpo = pvt_keep(pvts_sign_in(g_f.port, "dpo1", PW));
	char *id = plan_with(dpo, NULL, NULL, NULL);
	char path[160], body[256];
	snprintf(path, sizeof path, "/v1/transfers/%s/vault-key", id);
	snprintf(body, sizeof body, "{\"key\":\"%s\",\"reason\":\"read back by phone\"}",
		 g_buyer_pk);
	struct pvts_resp r = http("POST", path, dpo, body);
	char *req = requested(&r, path);
	pvts_resp_free(&r);
	snprintf(body, sizeof body, "{\"key\":\"%s\",\"request\":\"%s\"}", g_buyer_pk, req);
	r = http("POST", path, dpo, body); /* not approved yet */
	expect_status(&r, 403, "pin-key before the approval");
	pvts_resp_free(&r);
	approve(req);
	char other[65];
	memset(other, 'a', 64);
	other[64] = '\0';
	snprintf(body, sizeof body, "{\"key\":\"%s\",\"request\":\"%s\"}", other, req);
	r = http("POST", path, dpo, body); /* another key than the one approved */
	expect_status(&r, 403, "pin-key of another key");
	pvts_resp_free(&r);
	snprintf(body, sizeof body, "{\"key\":\"%s\",\"request\":\"%s\"}", g_buyer_pk, req);
	r = http("POST", path, dpo, body);
	expect_status(&r, 204, "pin-key approved");
	pvts_resp_free(&r);
	snprintf(path, sizeof path, "/v1/transfers/%s", id);
	r = http("GET", path, dpo, NULL);
	expect_status(&r, 200, path);
	assert_true(json_is_string(json_object_get(r.json, "recipient_vault_key_fingerprint")));
	pvts_resp_free(&r);
}

/* ---- The handover ------------------------------------------------------------------ */

static const pv_access ADMIN = { "admin", NULL, PV_WANT_MASKED };

static uint64_t customers_in(const char *dir, const char *key_path)
{
	pv_vault *v = pvt_open_root(dir, NULL, key_path);
	uint64_t n = 12345;
	assert_ok(v, pv_vault_count(v, &n));
	pvt_vclose(v);
	return n;
}

/* POST body (taken) to path: four eyes asked for (202), approved by another user, then
 * run with the request; the last reply. */
static struct pvts_resp approved_post(const char *token, const char *path, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);
	struct pvts_resp r = http("POST", path, token, text);
	free(text);
	char *req = requested(&r, path);
	pvts_resp_free(&r);
	approve(req);
	json_object_set_new(body, "request", json_string(req));
	text = json_dumps(body, JSON_COMPACT);
	r = http("POST", path, token, text);
	free(text);
	json_decref(body);
	return r;
}

/* The plan's package written under four eyes; its summary (the caller decrefs). */
static json_t *export_approved(const char *token, const char *id)
{
	char path[160];
	snprintf(path, sizeof path, "/v1/transfers/%s/package", id);
	struct pvts_resp r = approved_post(token, path, json_pack("{s:s}", "reason", "handover"));
	expect_status(&r, 201, path);
	json_t *s = json_incref(json_object_get(r.json, "package"));
	assert_non_null(s);
	pvts_resp_free(&r);
	return s;
}

/* GET path on port with its raw body (a package), *status its status. Kept. */
static char *download(unsigned port, const char *path, const char *token, size_t *len,
		      int *status)
{
	int fd = pvts_connect(port);
	char *req = pvts_request_text("GET", path, token, NULL, 0);
	size_t n = strlen(req);
	for (size_t done = 0; done < n;) {
		ssize_t w = send(fd, req + done, n - done, 0);
		assert_true(w > 0);
		done += (size_t)w;
	}
	free(req);
	size_t cap = 1 << 16, used = 0;
	char *buf = malloc(cap);
	for (ssize_t got; (got = recv(fd, buf + used, cap - used, 0)) > 0;) {
		used += (size_t)got;
		if (used == cap)
			buf = realloc(buf, cap *= 2);
	}
	close(fd);
	char *end = memmem(buf, used, "\r\n\r\n", 4);
	assert_non_null(end);
	*status = atoi(buf + 9); /* "HTTP/1.1 200" */
	*len = used - (size_t)(end + 4 - buf);
	char *body = malloc(*len + 1);
	memcpy(body, end + 4, *len);
	body[*len] = '\0';
	free(buf);
	return pvt_keep(body);
}

static char *download_package(const char *token, const char *id, size_t *len)
{
	char path[160];
	int status = 0;
	snprintf(path, sizeof path, "/v1/transfers/%s/package", id);
	char *pkg = download(g_f.port, path, token, len, &status);
	if (status != 200)
		fail_msg("GET %s: status %d: %s", path, status, pkg);
	assert_memory_equal(pkg, "age-encryption.org/v1\n", 22);
	return pkg;
}

/* The upload of a package to the buyer's server (as its admin). */
static struct pvts_resp upload(const char *token, const char *pkg, size_t len)
{
	return pvts_http(g_buyer_port, "POST", "/v1/handover/imports?role=admin", token, pkg,
			 len);
}

/* A confirmation of receipt (JSON text or NULL: none) that must be refused with status
 * want: asked for first where the library asks (then approved and run), nothing shredded. */
static void confirm_refused(const char *token, const char *receipt, int want)
{
	uint64_t before = customers_in(g_f.dir, g_f.key_path);
	json_t *body = receipt ? json_pack("{s:s}", "receipt", receipt) : json_object();
	char *text = json_dumps(body, JSON_COMPACT);
	struct pvts_resp r = http("POST", "/v1/handover/confirmations", token, text);
	free(text);
	if (r.status == 202) {
		pvts_resp_free(&r);
		r = approved_post(token, "/v1/handover/confirmations", body);
	} else {
		json_decref(body);
	}
	expect_status(&r, want, "confirmation refused");
	pvts_resp_free(&r);
	assert_int_equal(customers_in(g_f.dir, g_f.key_path), before);
}

/* The receipt of an earlier package of a plan, exported again since, is refused at
 * confirmation (and at its check); so are a changed receipt, text that is no receipt,
 * and no receipt. Nothing is shredded. */
static void test_receipt_for_another_package(void **state)
{
	(void)state;
	char *dpo = pvt_keep(pvts_sign_in(g_f.port, "dpo1", PW));
	char *id = plan_with(dpo, NULL, NULL, g_buyer2_pk);
	json_decref(export_approved(dpo, id));
	size_t len;
	char *pkg = download_package(dpo, id, &len);
	char *file = pvt_keep(pvt_path(g_f.tmp, "first.age"));
	assert_int_equal(pvt_write_file(file, pkg, len), 0);
	pv_vault *b2 = pvt_open_root(g_buyer2_dir, NULL, g_buyer2_key);
	pv_handover_import_opts o = { .identity_file = g_ident };
	char *receipt = NULL;
	pv_handover_summary s;
	assert_ok(b2, pv_handover_import(b2, &ADMIN, file, &o, &receipt, &s));
	pvt_keep(receipt);
	pvt_vclose(b2);
	json_decref(export_approved(dpo, id)); /* a new package: the first is not the one sent */

	json_t *body = json_pack("{s:s}", "receipt", receipt);
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	struct pvts_resp r = http("POST", "/v1/handover/receipt-checks", dpo, text);
	free(text);
	expect_status(&r, 422, "check of a receipt for another package");
	assert_string_equal(pvts_err_code(&r), "receipt_refused");
	pvts_resp_free(&r);
	confirm_refused(dpo, receipt, 422);

	char *changed = pvt_keep(strdup(receipt));
	char *imported = strstr(changed, "\"imported\"");
	assert_non_null(imported);
	char *digit = imported + strcspn(imported, "0123456789");
	*digit = *digit == '9' ? '8' : (char)(*digit + 1);
	confirm_refused(dpo, changed, 422);
	confirm_refused(dpo, "not a receipt", 422);
	confirm_refused(dpo, NULL, 400);
}

/* A package over the server's cap is refused (413) before it is read, nothing kept. */
static void test_upload_over_the_cap(void **state)
{
	(void)state;
	struct pvs_config c = pvts_roomy_config();
	c.handover_identity = g_ident;
	c.max_package = 2048;
	struct pvs_server *small = pvts_start(&c, g_buyer_dir, g_buyer_key, 65536);
	unsigned port = pvs_port(small);
	char *adm = pvt_keep(pvts_sign_in(port, "adm", PW));
	char *big = pvt_keep(calloc(1, 8192));
	memcpy(big, "age-encryption.org/v1\n", 22);
	struct pvts_resp r = pvts_http(port, "POST", "/v1/handover/imports", adm, big, 8192);
	expect_status(&r, 413, "a package over the cap");
	pvts_resp_free(&r);
	pvs_stop(small);
	assert_int_equal(customers_in(g_buyer_dir, g_buyer_key), 0);
	assert_int_equal(pvts_uploads_left(g_buyer_dir), 0);
}

/* The whole wizard through HTTP, from the plan to the confirmation. */
static void test_wizard_end_to_end(void **state)
{
	(void)state;
	char *dpo = pvt_keep(pvts_sign_in(g_f.port, "dpo1", PW));
	char *id = plan_transfer(dpo, NULL, NULL);
	char path[160];
	snprintf(path, sizeof path, "/v1/transfers/%s/assessment", id);
	struct pvts_resp r = http("GET", path, dpo, NULL);
	expect_status(&r, 200, path);
	pvts_resp_free(&r);
	snprintf(path, sizeof path, "/v1/transfers/%s/notices", id);
	r = http("POST", path, dpo, "{\"purpose\":\"service\"}");
	expect_status(&r, 200, path);
	pvts_resp_free(&r);

	/* objections: C00000006 objects, stays out and is shredded apart */
	pv_vault *u = pvt_open_user(g_f.dir, "dpo1", PW);
	pv_access dpo_role = { "dpo", NULL, PV_WANT_MASKED };
	char *dsr = NULL;
	assert_ok(u, pv_dsr_open(u, &dpo_role, "C00000006", "object", NULL, &dsr));
	pv_free(dsr);
	pvt_vclose(u);
	snprintf(path, sizeof path, "/v1/transfers/%s/exclusions", id);
	r = http("GET", path, dpo, NULL);
	expect_status(&r, 200, path);
	json_t *ex = json_array_get(json_object_get(r.json, "exclusions"), 0);
	assert_string_equal(json_string_value(json_object_get(ex, "customer")), "C00000006");
	pvts_resp_free(&r);
	snprintf(path, sizeof path, "/v1/transfers/%s/shred-excluded", id);
	r = approved_post(dpo, path, json_object());
	expect_status(&r, 200, path);
	assert_int_equal(json_integer_value(json_object_get(r.json, "shredded")), 1);
	assert_true(json_is_object(json_object_get(r.json, "certificate")));
	pvts_resp_free(&r);
	assert_int_equal(customers_in(g_f.dir, g_f.key_path), NCUST - 1);

	/* export, downloaded streamed */
	json_t *sum = export_approved(dpo, id);
	assert_int_equal(json_integer_value(json_object_get(sum, "records")), NCUST - 1);
	size_t len;
	char *pkg = download_package(dpo, id, &len);
	assert_int_equal(len, json_integer_value(json_object_get(sum, "bytes")));
	json_decref(sum);
	assert_true(step_done(dpo, id, "export"));
	assert_false(step_done(dpo, id, "confirmation"));

	/* the recipient: forged and truncated uploads refused, nothing imported */
	char *adm = pvt_keep(pvts_sign_in(g_buyer_port, "adm", PW));
	char *forged = pvt_keep(malloc(len));
	memcpy(forged, pkg, len);
	forged[len / 2] ^= 0x20;
	r = upload(adm, forged, len);
	expect_status(&r, 422, "a forged package");
	assert_string_equal(pvts_err_code(&r), "package_refused");
	pvts_resp_free(&r);
	assert_int_equal(customers_in(g_buyer_dir, g_buyer_key), 0);
	r = upload(adm, pkg, len - len / 3);
	expect_status(&r, 422, "a truncated package");
	pvts_resp_free(&r);
	assert_int_equal(customers_in(g_buyer_dir, g_buyer_key), 0);
	r = upload(adm, pkg, len);
	expect_status(&r, 201, "the package");
	assert_int_equal(customers_in(g_buyer_dir, g_buyer_key), NCUST - 1);
	assert_int_equal(pvts_uploads_left(g_buyer_dir), 0);
	json_t *receipt = json_incref(json_object_get(r.json, "receipt"));
	assert_true(json_is_object(receipt));
	pvts_resp_free(&r);

	/* the sender checks the receipt and confirms it */
	json_t *check = json_pack("{s:O}", "receipt", receipt);
	char *text = json_dumps(check, JSON_COMPACT);
	json_decref(check);
	r = http("POST", "/v1/handover/receipt-checks", dpo, text);
	free(text);
	expect_status(&r, 200, "receipt check");
	pvts_resp_free(&r);
	r = approved_post(dpo, "/v1/handover/confirmations", json_pack("{s:o}", "receipt",
								      receipt));
	expect_status(&r, 200, "confirmation");
	assert_int_equal(json_integer_value(json_object_get(r.json, "shredded")), NCUST - 1);
	json_t *cert = json_array_get(json_object_get(r.json, "certificates"), 0);
	char *cert_text = json_dumps(cert, JSON_COMPACT | JSON_SORT_KEYS);
	char why[256];
	assert_int_equal(pvt_certificate_verify(cert_text, g_seller_pk, why, sizeof why), PV_OK);
	free(cert_text);
	pvts_resp_free(&r);
	assert_int_equal(customers_in(g_f.dir, g_f.key_path), 0);
	const char *steps[] = { "plan", "assessment", "notices", "objections", "export",
				"receipt", "confirmation" };
	for (size_t i = 0; i < 7; i++)
		assert_true(step_done(dpo, id, steps[i]));
}

/* A change made outside the server (a DBA's SQL) is seen by its reads within the 20 ms
 * their snapshot may linger (server/handles.c): wait that long. */
static void nap_past_linger(void)
{
	struct timespec t = { 0, 40 * 1000000L };
	nanosleep(&t, NULL);
}

/* The DBA sets the file named in transfer id's package (its JSON) to file, with SQL on the
 * store (the text column parsed as JSON on either backend). */
static void set_package_file(const char *id, const char *file)
{
	char *changed = NULL;
	if (pvt_dba_pg(g_f.dir))
		assert_int_equal(pvt_dba(&changed, g_f.dir, "UPDATE transfers SET package = "
					 "jsonb_set(package::jsonb, '{file}', "
					 "to_jsonb('%s'::text))::text WHERE id = '%s' "
					 "RETURNING 1", file, id), 0);
	else
		assert_int_equal(pvt_dba(&changed, g_f.dir, "UPDATE transfers SET package = "
					 "json_set(package, '$.file', '%s') WHERE id = '%s' "
					 "RETURNING 1", file, id), 0);
	assert_string_equal(changed, "1\n");
	free(changed);
}

/* A transfer's row changed with SQL to name another file (the vault's root key) as its
 * package: the server serves no file but the packages it wrote for that plan; nor a link
 * planted in its directory under a package's name. */
static void test_package_row_names_another_file(void **state)
{
	(void)state;
	char *dpo = pvt_keep(pvts_sign_in(g_f.port, "dpo1", PW));
	char *id = plan_transfer(dpo, NULL, NULL);
	json_decref(export_approved(dpo, id));
	set_package_file(id, g_f.key_path);
	nap_past_linger();
	char path[160];
	size_t len;
	int status = 0;
	snprintf(path, sizeof path, "/v1/transfers/%s/package", id);
	char *body = download(g_f.port, path, dpo, &len, &status);
	assert_int_equal(status, 404);
	char *key = pvt_keep(pvt_read_file(g_f.key_path, NULL));
	assert_null(strstr(body, key));
	/* a name the server would give, made a link to the key file: not followed */
	char link_path[512];
	snprintf(link_path, sizeof link_path, "%s.handover/%s.1-000000001.age", g_f.dir, id);
	assert_int_equal(symlink(g_f.key_path, link_path), 0);
	set_package_file(id, link_path);
	nap_past_linger();
	body = download(g_f.port, path, dpo, &len, &status);
	assert_int_equal(status, 410);
	assert_null(strstr(body, key));
}

/* Deregistration through HTTP on the vault that took the first package in: the plan, the
 * run under four eyes (every customer shredded, the report and certificates in the reply)
 * and the keeper's archive downloaded; a clerk reaches none of it. */
static void test_decommission(void **state)
{
	(void)state;
	pvts_add_users(g_buyer2_dir, g_buyer2_key, pvts_cast, PW);
	uint64_t before = customers_in(g_buyer2_dir, g_buyer2_key);
	assert_true(before > 0);
	struct pvs_config c = pvts_roomy_config();
	struct pvs_server *srv = pvts_start(&c, g_buyer2_dir, g_buyer2_key, 65536);
	unsigned port = pvs_port(srv);
	char *dpo = pvt_keep(pvts_sign_in(port, "dpo1", PW));
	char *clerk = pvt_keep(pvts_sign_in(port, "clerk1", PW));
	struct pvts_resp r = pvts_http(port, "GET", "/v1/decommission", dpo, NULL, 0);
	expect_status(&r, 200, "GET /v1/decommission");
	pvts_resp_free(&r);
	r = pvts_http(port, "GET", "/v1/decommission", clerk, NULL, 0);
	expect_status(&r, 403, "GET /v1/decommission as clerk");
	pvts_resp_free(&r);
	char body[512];
	snprintf(body, sizeof body, "{\"keeper_name\":\"Archive Co\",\"keeper_contact\":"
		 "\"keeper@archive.example\",\"keeper_key\":\"%s\"}", g_recipient);
	r = pvts_http(port, "POST", "/v1/decommission", clerk, body, strlen(body));
	expect_status(&r, 403, "POST /v1/decommission as clerk");
	pvts_resp_free(&r);
	/* a keeper's key given as a file on the server's machine: never opened */
	char *key_file = pvt_keep(pvt_path(g_f.tmp, "keeper-key.txt")), named[768];
	assert_int_equal(pvt_write_file(key_file, g_recipient, strlen(g_recipient)), 0);
	snprintf(named, sizeof named, "{\"keeper_name\":\"Archive Co\",\"keeper_contact\":"
		 "\"keeper@archive.example\",\"keeper_key\":\"%s\"}", key_file);
	r = pvts_http(port, "POST", "/v1/decommission", dpo, named, strlen(named));
	expect_status(&r, 400, "POST /v1/decommission naming a server file");
	assert_string_equal(pvts_err_code(&r), "bad_request");
	pvts_resp_free(&r);
	r = pvts_http(port, "POST", "/v1/decommission", dpo, body, strlen(body));
	char *req = requested(&r, "POST /v1/decommission");
	pvts_resp_free(&r);
	assert_int_equal(customers_in(g_buyer2_dir, g_buyer2_key), before); /* asked, not run */
	approve_in(g_buyer2_dir, req);
	snprintf(body, sizeof body, "{\"keeper_name\":\"Archive Co\",\"keeper_contact\":"
		 "\"keeper@archive.example\",\"keeper_key\":\"%s\",\"request\":\"%s\"}",
		 g_recipient, req);
	r = pvts_http(port, "POST", "/v1/decommission", dpo, body, strlen(body));
	expect_status(&r, 200, "decommission run");
	assert_true(json_is_object(json_object_get(r.json, "report")));
	assert_true(json_array_size(json_object_get(r.json, "certificates")) >= 1);
	pvts_resp_free(&r);
	const char *path = "/v1/decommission/archive";
	assert_int_equal(customers_in(g_buyer2_dir, g_buyer2_key), 0);
	size_t len;
	int status = 0;
	char *archive = download(port, path, dpo, &len, &status);
	assert_int_equal(status, 200);
	assert_memory_equal(archive, "age-encryption.org/v1\n", 22);
	download(port, path, clerk, &len, &status);
	assert_int_equal(status, 403);
	pvs_stop(srv);
}

/* A clerk (read, find, list) and an auditor reach none of the transfer routes. */
static void test_transfer_routes_wrong_role(void **state)
{
	(void)state;
	char *dpo = pvt_keep(pvts_sign_in(g_f.port, "dpo1", PW));
	char *id = plan_transfer(dpo, NULL, NULL);
	char *clerk = pvt_keep(pvts_sign_in(g_f.port, "clerk1", PW));
	char *aud = pvt_keep(pvts_sign_in(g_f.port, "aud", PW));
	char plan_body[512];
	snprintf(plan_body, sizeof plan_body, "{\"recipient_name\":\"X\",\"recipient_contact\":"
		 "\"x@x.example\",\"recipient_key\":\"%s\"}", g_recipient);
	struct {
		const char *method, *fmt, *body;
	} calls[] = {
		{ "POST", "/v1/transfers", plan_body },
		{ "GET", "/v1/transfers", NULL },
		{ "GET", "/v1/transfers/%s", NULL },
		{ "GET", "/v1/transfers/%s/assessment", NULL },
		{ "POST", "/v1/transfers/%s/notices", "{\"purpose\":\"service\"}" },
		{ "POST", "/v1/transfers/%s/consents",
		  "{\"customer\":\"C00000001\",\"granted\":true,\"channel\":\"app\"}" },
		{ "GET", "/v1/transfers/%s/exclusions", NULL },
		{ "POST", "/v1/transfers/%s/shred-excluded", "{}" },
		{ "POST", "/v1/transfers/%s/vault-key", "{\"key\":\"00\"}" },
		{ "POST", "/v1/transfers/%s/package", "{}" },
		{ "GET", "/v1/transfers/%s/package", NULL },
		{ "POST", "/v1/handover/receipt-checks", "{\"receipt\":\"{}\"}" },
		{ "POST", "/v1/handover/confirmations", "{\"receipt\":\"{}\"}" },
	};
	const char *tokens[] = { clerk, aud };
	for (size_t t = 0; t < 2; t++)
		for (size_t i = 0; i < sizeof calls / sizeof *calls; i++) {
			char path[160];
			snprintf(path, sizeof path, calls[i].fmt, id);
			struct pvts_resp r = http(calls[i].method, path, tokens[t], calls[i].body);
			if (r.status != 403)
				fail_msg("%s %s as %s: status %d: %s", calls[i].method, path,
					 t ? "auditor" : "clerk", r.status, r.body);
			assert_string_equal(pvts_err_code(&r), "forbidden");
			pvts_resp_free(&r);
		}
	/* the register needs 'report': the auditor reads it, the clerk does not */
	struct pvts_resp r = http("GET", "/v1/notices", clerk, NULL);
	expect_status(&r, 403, "GET /v1/notices as clerk");
	pvts_resp_free(&r);
	r = http("GET", "/v1/notices", aud, NULL);
	expect_status(&r, 200, "GET /v1/notices as auditor");
	pvts_resp_free(&r);
	r = http("POST", "/v1/notices/1/state", clerk, "{\"state\":\"sent\"}");
	expect_status(&r, 403, "POST /v1/notices/1/state as clerk");
	pvts_resp_free(&r);
	/* the import needs 'import' on the recipient's server: nothing is taken in */
	char *buyer_clerk = pvt_keep(pvts_sign_in(g_buyer_port, "clerk1", PW));
	r = pvts_http(g_buyer_port, "POST", "/v1/handover/imports", buyer_clerk, "age", 3);
	expect_status(&r, 403, "POST /v1/handover/imports as clerk");
	pvts_resp_free(&r);
	assert_int_equal(customers_in(g_buyer_dir, g_buyer_key), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transfer_steps),
		cmocka_unit_test(test_cross_border_consents),
		cmocka_unit_test(test_pin_key_four_eyes),
		cmocka_unit_test(test_transfer_routes_wrong_role),
		cmocka_unit_test(test_upload_over_the_cap),
		cmocka_unit_test(test_receipt_for_another_package),
		cmocka_unit_test(test_decommission),
		cmocka_unit_test(test_package_row_names_another_file),
		cmocka_unit_test(test_wizard_end_to_end),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
