/* SPDX-License-Identifier: Apache-2.0 */
/* test_approvals.c: four-eyes approvals (审批) and the audit alerts. A user session may
 * not export in clear or add a user without a request that another user holding
 * 'approve' approved; the requester alone runs it, once, before it expires, with exactly
 * the approved operation and arguments. Every request, decision, run and refusal is in
 * the audit log. Also: the canonical form of request arguments, the whole flow through
 * the pivault command (request, approve, run, requests, export --request), and the bulk
 * read alerts (bulk export, clear list, many reads over the hourly threshold). Sessions
 * open at the same time (requester and approver at their desks) must see each other's
 * decisions. */
#include "dba.h"
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "approvals.h"
#include "pivault.h"

#define SCHEMA PV_SOURCE_DIR "/examples/schema.yaml"
#define NCUST 12

static const char ADMIN_PW[] = "admin-password-1";
static const char DPO_PW[] = "dpo-password-1";
static const char CLERK_PW[] = "clerk-password-1";
static const char ALICE_PW[] = "alice-password-1";
static const char BOB_PW[] = "bob-password-1";
static const char EVE_PW[] = "eve-password-1";

static char *g_base;     /* the pristine vault: vault/, vault.keyring */
static char *g_key_path; /* its root key */
static struct pvt_csv g_csv; /* the customers imported */

struct fx {
	char *tmp;
	char *dir;
	char *err; /* stderr of CLI runs */
};

/* ---- helpers ----------------------------------------------------------------------- */

static void add_user_root(const char *dir, const char *name, const char *roles, const char *pw)
{
	pv_vault *v = pvt_open_root(dir, NULL, g_key_path);
	pv_access admin = { "admin", NULL, 0 };
	pv_rc rc = pvt_user_add(v, &admin, name, roles, pw, strlen(pw));
	if (rc)
		fail_msg("pv_user_add(%s): %s", name, pv_errmsg(v));
	pvt_vclose(v);
}

/* pv_user_add as admin on v; the requester's half of the enrolment code it gives is kept
 * in g_half_b. */
static char *g_half_b;

static pv_rc add_as_admin(pv_vault *v, const char *name, const char *roles)
{
	pv_access adm = { "admin", NULL, 0 };
	g_half_b = NULL;
	pv_rc rc = pv_user_add(v, &adm, name, roles, &g_half_b);
	pvt_keep(g_half_b);
	return rc;
}

/* Assert rc == want and that the handle's message contains needle. */

static pv_rc export_mem(pv_vault *v, const pv_access *who, char **text, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	assert_non_null(f);
	pv_rc rc = pv_export(v, who, PV_EXPORT_CSV, f);
	assert_int_equal(fclose(f), 0);
	*text = pvt_keep(buf);
	if (len)
		*len = n;
	return rc;
}

/* Customer r's field in the imported CSV. */
static const char *cust(size_t r, const char *col)
{
	const char *s = pvt_csv_get(&g_csv, r, col);
	assert_non_null(s);
	return s;
}

/* The name of customer id in an exported CSV text (NULL if absent). Malloc'd. */
static char *name_in_export(const char *text, const char *id)
{
	struct pvt_csv t;
	if (pvt_csv_parse(text, &t) != 0)
		fail_msg("the export is not valid CSV");
	char *name = NULL;
	for (size_t r = 1; r < t.nrows; r++) {
		const char *cid = pvt_csv_get(&t, r, "customer_id");
		if (cid && strcmp(cid, id) == 0) {
			const char *n = pvt_csv_get(&t, r, "name");
			name = n ? pvt_keep(strdup(n)) : NULL;
		}
	}
	pvt_csv_free(&t);
	return name;
}

/* ---- request list snapshot ---- */

struct req_row {
	char id[32], requester[72], op[32], state[16], approver[72];
	char params[512], reason[128];
	int64_t expires;
};

struct req_list {
	struct req_row rows[64];
	size_t n;
};

static int collect_req(void *ctx, const pv_request_info *r)
{
	struct req_list *l = ctx;
	if (l->n == 64)
		return 1;
	struct req_row *o = &l->rows[l->n++];
	snprintf(o->id, sizeof o->id, "%s", r->id);
	snprintf(o->requester, sizeof o->requester, "%s", r->requester);
	snprintf(o->op, sizeof o->op, "%s", r->op);
	snprintf(o->state, sizeof o->state, "%s", r->state);
	snprintf(o->approver, sizeof o->approver, "%s", r->approver ? r->approver : "");
	snprintf(o->params, sizeof o->params, "%s", r->params);
	snprintf(o->reason, sizeof o->reason, "%s", r->reason ? r->reason : "");
	o->expires = r->expires;
	return 0;
}

/* The listed row of request id (the test fails when it is not listed). */
static struct req_row req_of(pv_vault *v, const char *id)
{
	struct req_list *l = calloc(1, sizeof *l);
	assert_non_null(l);
	pv_rc rc = pv_request_list(v, NULL, collect_req, l);
	if (rc)
		fail_msg("pv_request_list: %s", pv_errmsg(v));
	struct req_row out;
	memset(&out, 0, sizeof out);
	int found = 0;
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->rows[i].id, id) == 0) {
			out = l->rows[i];
			found++;
		}
	pvt_drop(l);
	if (found != 1)
		fail_msg("request %s listed %d times", id, found);
	return out;
}

#define assert_state(v, id, want)                                                           \
	do {                                                                                 \
		struct req_row r_ = req_of((v), (id));                                       \
		if (strcmp(r_.state, (want)) != 0)                                           \
			fail_msg("%s:%d: request %s is listed as '%s', expected '%s'", __FILE__, \
				 __LINE__, (id), r_.state, (want));                          \
	} while (0)

/* ---- audit snapshot ---- */

struct audit_row {
	uint64_t seq;
	char *user, *op, *ids, *purpose, *request, *outcome, *detail;
};

struct audit_list {
	struct audit_row *rows;
	size_t n, cap;
};

static char *dup0(const char *s)
{
	char *d = strdup(s ? s : "");
	assert_non_null(d);
	return pvt_keep(d);
}

static int collect_audit(void *ctx, const pv_audit_entry *e)
{
	struct audit_list *l = ctx;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->rows = realloc(l->rows, l->cap * sizeof *l->rows);
		assert_non_null(l->rows);
	}
	struct audit_row *r = &l->rows[l->n++];
	r->seq = e->seq;
	r->user = dup0(e->user);
	r->op = dup0(e->op);
	r->ids = dup0(e->ids);
	r->purpose = dup0(e->purpose);
	r->request = dup0(e->request);
	r->outcome = dup0(e->outcome);
	r->detail = dup0(e->detail);
	return 0;
}

static void audit_load(const char *dir, struct audit_list *l)
{
	memset(l, 0, sizeof *l);
	pv_vault *v = pvt_open_root(dir, NULL, g_key_path);
	pv_access aud = { "auditor", NULL, 0 };
	pv_rc rc = pv_audit_log(v, &aud, NULL, collect_audit, l);
	pvt_keep(l->rows);
	if (rc)
		fail_msg("pv_audit_log: %s", pv_errmsg(v));
	pvt_vclose(v);
}

static void audit_free(struct audit_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct audit_row *r = &l->rows[i];
		pvt_drop(r->user);
		pvt_drop(r->op);
		pvt_drop(r->ids);
		pvt_drop(r->purpose);
		pvt_drop(r->request);
		pvt_drop(r->outcome);
		pvt_drop(r->detail);
	}
	pvt_drop(l->rows);
	memset(l, 0, sizeof *l);
}

/* Entries matching every non-NULL criterion (detail: a substring). */
static size_t audit_count(const struct audit_list *l, const char *user, const char *op,
			  const char *outcome, const char *request, const char *detail)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct audit_row *r = &l->rows[i];
		if ((user && strcmp(r->user, user)) || (op && strcmp(r->op, op)) ||
		    (outcome && strcmp(r->outcome, outcome)) ||
		    (request && strcmp(r->request, request)) ||
		    (detail && !strstr(r->detail, detail)))
			continue;
		n++;
	}
	return n;
}

static void dump_audit(const struct audit_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct audit_row *r = &l->rows[i];
		fprintf(stderr, "  %llu %s %s %s ids=%s purpose=%s request=%s: %s\n",
			(unsigned long long)r->seq, r->user, r->op, r->outcome, r->ids, r->purpose,
			r->request, r->detail);
	}
}

#define assert_audit(l, want, user, op, outcome, request, detail)                            \
	do {                                                                                 \
		size_t got_ = audit_count((l), (user), (op), (outcome), (request), (detail));    \
		if (got_ != (size_t)(want)) {                                                \
			dump_audit(l);                                                       \
			fail_msg("%s:%d: %zu audit entries by %s, op %s, %s, request %s, detail " \
				 "~'%s' (want %d)", __FILE__, __LINE__, got_, (user) ? (user) : "*", \
				 (op) ? (op) : "*", (outcome) ? (outcome) : "*",             \
				 (request) ? (request) : "*", (detail) ? (detail) : "*",     \
				 (int)(want));                                               \
		}                                                                            \
	} while (0)

/* Ask on v for a clear CSV export for purpose, in the user's first role: the export
 * stops for approval and writes nothing; the request id, kept for teardown, in *id (NULL
 * on failure). */
static pv_rc ask_export(pv_vault *v, const char *purpose, const char *reason, unsigned ttl,
			char **id)
{
	*id = NULL;
	pv_rc rc = pv_request_begin(v, reason, ttl, "[\"export\",\"--clear\"]");
	if (rc)
		return rc;
	pv_access clear = { NULL, purpose, 1 };
	char *text = NULL;
	size_t len = 99;
	rc = export_mem(v, &clear, &text, &len);
	pvt_drop(text);
	assert_int_equal(len, 0); /* nothing is written while asking */
	if (rc != PV_REQUESTED)
		return rc;
	rc = pv_request_submit(v, id);
	pvt_keep(*id);
	return rc;
}

/* Ask on v for adding user name with roles. */
static pv_rc ask_user_add(pv_vault *v, const char *name, const char *roles, char **id)
{
	*id = NULL;
	pv_rc rc = pv_request_begin(v, NULL, 0, NULL);
	if (!rc)
		rc = add_as_admin(v, name, roles);
	if (rc != PV_REQUESTED)
		return rc ? rc : PV_ERR_USAGE;
	rc = pv_request_submit(v, id);
	pvt_keep(*id);
	return rc;
}

/* A clear export for purpose all asked by admin and approved by dpo1; its id. */
static char *approved_export(const char *dir, unsigned ttl)
{
	pv_vault *a = pvt_open_user(dir, "admin", ADMIN_PW);
	char *id = NULL;
	pv_rc rc = ask_export(a, "all", "test", ttl, &id);
	if (rc)
		fail_msg("asking for an export: %s", pv_errmsg(a));
	pvt_vclose(a);
	pv_vault *d = pvt_open_user(dir, "dpo1", DPO_PW);
	rc = pv_request_decide(d, NULL, id, 1, NULL);
	if (rc)
		fail_msg("pv_request_decide: %s", pv_errmsg(d));
	pvt_vclose(d);
	return id;
}

/* ---- fixtures ---------------------------------------------------------------------- */

static int group_setup(void **state)
{
	(void)state;
	unsetenv("PIVAULT_VAULT");
	unsetenv("PIVAULT_KEY_FILE");
	unsetenv("PIVAULT_KEYRING");
	unsetenv("PIVAULT_PASSPHRASE_FILE");
	unsetenv("PIVAULT_USER");
	unsetenv("PIVAULT_PASSWORD_FILE");
	g_base = pvt_tempdir();
	g_key_path = pvt_path(g_base, "root.key");
	char *dir = pvt_path(g_base, "vault");
	char *csv_path = pvt_path(g_base, "in.csv");

	char *text = NULL;
	assert_int_equal(pvt_run(&text, "'%s' -n %d --seed 7 --canonical", pvt_program("pvgen"),
				 NCUST), 0);
	assert_int_equal(pvt_write_file(csv_path, text, strlen(text)), 0);
	assert_int_equal(pvt_csv_parse(text, &g_csv), 0);
	assert_int_equal(g_csv.nrows, NCUST + 1);
	pvt_drop(text);

	assert_int_equal(pv_key_generate_file(g_key_path), PV_OK);
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(g_key_path, &key), PV_OK);
	pv_create_opts opts = { .schema_path = SCHEMA, .keyring_slots = 1024, .kdf_cost = PV_KDF_FAST,
				.admin_user = "admin", .admin_password = ADMIN_PW,
				.admin_password_len = strlen(ADMIN_PW) };
	pv_vault *v = NULL;
	pv_rc rc = pv_vault_create(dir, &opts, key, &v);
	pv_key_free(key);
	if (rc)
		fail_msg("pv_vault_create: %s", pv_errmsg(v));
	pv_access admin = { "admin", NULL, 0 };
	pv_import_opts io = { 0 };
	io.threads = 1;
	pv_import_result *res = NULL;
	rc = pv_import_csv(v, &admin, csv_path, &io, &res);
	if (rc)
		fail_msg("pv_import_csv: %s", pv_errmsg(v));
	assert_int_equal(pv_import_rows_imported(res), NCUST);
	pv_import_free(res);
	pvt_vclose(v);

	/* Through a root-key session: break-glass, no approval needed. */
	add_user_root(dir, "dpo1", "dpo", DPO_PW);
	add_user_root(dir, "clerk1", "clerk", CLERK_PW);
	unlink(csv_path);
	pvt_drop(csv_path);
	pvt_drop(dir);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	pvt_release_all();
	pvt_csv_free(&g_csv);
	pvt_rmtree(g_base);
	pvt_drop(g_base);
	pvt_drop(g_key_path);
	return 0;
}

static void write_pw(const char *tmp, const char *user, const char *pw)
{
	char name[96];
	snprintf(name, sizeof name, "%s.pw", user);
	char *p = pvt_path(tmp, name);
	char line[128];
	snprintf(line, sizeof line, "%s\n", pw);
	assert_int_equal(pvt_write_file(p, line, strlen(line)), 0);
	pvt_drop(p);
}

/* A copy of the pristine vault, and password files for the CLI. */
static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->tmp = pvt_tempdir();
	f->dir = pvt_path(f->tmp, "vault");
	f->err = pvt_path(f->tmp, "stderr.txt");
	pvt_copy_vault(g_base, f->tmp);
	write_pw(f->tmp, "admin", ADMIN_PW);
	write_pw(f->tmp, "dpo1", DPO_PW);
	write_pw(f->tmp, "clerk1", CLERK_PW);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	pvt_release_all();
	pvt_rmtree(f->tmp);
	pvt_drop(f->tmp);
	pvt_drop(f->dir);
	pvt_drop(f->err);
	pvt_drop(f);
	return 0;
}

/* ---- tests ------------------------------------------------------------------------- */

/* The users made at setup: admin from init, dpo1 and clerk1 added with the root key. */
static void test_setup_users(void **state)
{
	struct fx *f = *state;
	pv_vault *v = pvt_open_user(f->dir, "admin", ADMIN_PW);
	assert_string_equal(pv_vault_user(v), "admin");
	pvt_vclose(v);
	v = pvt_open_user(f->dir, "dpo1", DPO_PW);
	assert_string_equal(pv_vault_user(v), "dpo1");
	pvt_vclose(v);
	v = pvt_open_user(f->dir, "clerk1", CLERK_PW);
	assert_string_equal(pv_vault_user(v), "clerk1");
	pvt_vclose(v);

	struct audit_list l;
	audit_load(f->dir, &l);
	assert_audit(&l, 1, "(root key)", "user add", "ok", NULL, "user dpo1, roles dpo");
	assert_audit(&l, 1, "(root key)", "user add", "ok", NULL, "user clerk1, roles clerk");
	audit_free(&l);
}

/* Without a request, a user may not export in clear nor add a user. */
static void test_guarded_need_request(void **state)
{
	struct fx *f = *state;
	pv_vault *a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	pv_access clear = { "admin", "all", 1 };
	char *text = NULL;
	size_t len = 99;
	assert_rc_msg(a, export_mem(a, &clear, &text, &len), PV_ERR_DENIED,
		      "needs a four-eyes approval");
	assert_int_equal(len, 0); /* nothing written */
	pvt_drop(text);

	/* a masked export is not guarded */
	pv_access masked = { "admin", "all", 0 };
	pv_rc rc = export_mem(a, &masked, &text, &len);
	if (rc)
		fail_msg("masked export: %s", pv_errmsg(a));
	char *name = name_in_export(text, cust(1, "customer_id"));
	assert_non_null(name);
	assert_string_not_equal(name, cust(1, "name"));
	pvt_drop(name);
	pvt_drop(text);

	assert_rc_msg(a, add_as_admin(a, "eve", "clerk"),
		      PV_ERR_DENIED, "four-eyes");
	pvt_vclose(a);

	pv_vault *e = NULL;
	rc = pv_vault_open_user(f->dir, NULL, "eve", EVE_PW, strlen(EVE_PW), &e);
	pvt_vclose(e);
	assert_int_equal(rc, PV_ERR_BAD_KEY);

	struct audit_list l;
	audit_load(f->dir, &l);
	assert_audit(&l, 1, "admin", "export", "denied", "", "four-eyes approval");
	assert_audit(&l, 1, "admin", "export", "ok", "", "masked");
	assert_audit(&l, 1, "admin", "user add", "denied", "", "four-eyes approval");
	assert_audit(&l, 0, NULL, "user add", "ok", NULL, "eve");
	audit_free(&l);
}

/* The whole life of an export request through the library. Each person works in a
 * session of their own, opened and closed in turn (as the command line does). */
static void test_export_request_flow(void **state)
{
	struct fx *f = *state;
	pv_vault *a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	char *id = NULL;
	time_t t0 = time(NULL);
	pv_rc rc = ask_export(a, "all", "quarterly audit", 0, &id);
	if (rc)
		fail_msg("asking for an export: %s", pv_errmsg(a));
	assert_non_null(id);
	assert_int_equal(strncmp(id, "R-", 2), 0);
	struct req_row r = req_of(a, id);
	assert_string_equal(r.state, "pending");
	assert_string_equal(r.requester, "admin");
	assert_string_equal(r.op, "export");
	/* what is approved, as the export itself stated it */
	assert_string_equal(r.params, "format=csv;role=admin;purpose=all;clear=yes");
	assert_string_equal(r.reason, "quarterly audit");
	assert_string_equal(r.approver, "");
	assert_true(r.expires >= (int64_t)t0 + 24 * 3600 - 5 &&
		    r.expires <= (int64_t)time(NULL) + 24 * 3600 + 5);
	char *gop = NULL, *gargs = NULL;
	assert_int_equal(pv_request_get(a, id, &gop, &gargs), PV_OK);
	pvt_keep(gop);
	pvt_keep(gargs);
	assert_string_equal(gop, "export");
	assert_string_equal(gargs, "[\"export\",\"--clear\"]");
	pvt_drop(gop);
	pvt_drop(gargs);

	/* not yet approved: cannot run */
	assert_rc_msg(a, pv_vault_use_request(a, id), PV_ERR_DENIED,
		      "not approved");
	/* the requester cannot approve their own request */
	assert_rc_msg(a, pv_request_decide(a, NULL, id, 1, NULL), PV_ERR_DENIED, "four eyes");
	assert_state(a, id, "pending");
	pvt_vclose(a);

	/* a role without 'approve' cannot decide */
	pv_vault *c = pvt_open_user(f->dir, "clerk1", CLERK_PW);
	assert_rc_msg(c, pv_request_decide(c, NULL, id, 1, NULL), PV_ERR_DENIED, "'approve'");
	assert_rc_msg(c, pv_request_decide(c, NULL, id, 0, NULL), PV_ERR_DENIED, "'approve'");
	{ /* nor see other people's requests: without 'approve' or 'audit', only one's own */
		struct req_list *l = calloc(1, sizeof *l);
		assert_non_null(l);
		assert_int_equal(pv_request_list(c, NULL, collect_req, l), PV_OK);
		for (size_t i = 0; i < l->n; i++)
			assert_string_not_equal(l->rows[i].id, id);
		pvt_drop(l);
	}
	pvt_vclose(c);

	/* the dpo approves */
	pv_vault *d = pvt_open_user(f->dir, "dpo1", DPO_PW);
	rc = pv_request_decide(d, NULL, id, 1, NULL);
	if (rc)
		fail_msg("approve by dpo1: %s", pv_errmsg(d));
	r = req_of(d, id);
	assert_string_equal(r.state, "approved");
	assert_string_equal(r.approver, "dpo1");
	/* a second decision is refused */
	assert_rc_msg(d, pv_request_decide(d, NULL, id, 0, NULL), PV_ERR_DENIED, "not pending");
	/* only the requester may run it */
	assert_rc_msg(d, pv_vault_use_request(d, id), PV_ERR_DENIED,
		      "only its requester");
	pvt_vclose(d);

	/* other arguments, another operation: refused, and nothing is taken up */
	a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	pv_access clear = { "admin", "all", 1 };
	char *text = NULL;
	size_t len = 99;
	pv_access billing = { "admin", "billing", 1 };
	assert_int_equal(pv_vault_use_request(a, id), PV_OK);
	assert_rc_msg(a, export_mem(a, &billing, &text, &len), PV_ERR_DENIED,
		      "differs from what was approved");
	assert_int_equal(len, 0);
	pvt_drop(text);
	pv_access jsonl = { "admin", "all", 1 };
	assert_rc_msg(a, pv_export(a, &jsonl, PV_EXPORT_JSONL, stdout), PV_ERR_DENIED,
		      "differs from what was approved");
	assert_rc_msg(a, add_as_admin(a, "eve", "clerk"),
		      PV_ERR_DENIED, "four-eyes");
	pvt_vclose(a);
	a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	assert_rc_msg(a, pv_vault_use_request(a, "R-0000000000"),
		      PV_ERR_NOT_FOUND, "no request");
	assert_state(a, id, "approved");

	/* the approved run */
	rc = pv_vault_use_request(a, id);
	if (rc)
		fail_msg("pv_vault_use_request: %s", pv_errmsg(a));
	rc = export_mem(a, &clear, &text, &len);
	if (rc)
		fail_msg("export under %s: %s", id, pv_errmsg(a));
	for (size_t i = 1; i <= NCUST; i++) {
		char *name = name_in_export(text, cust(i, "customer_id"));
		assert_non_null(name);
		assert_string_equal(name, cust(i, "name"));
		pvt_drop(name);
	}
	assert_non_null(strstr(text, cust(3, "id_number")));
	pvt_drop(text);
	assert_state(a, id, "used");

	/* one request, one run */
	assert_rc_msg(a, export_mem(a, &clear, &text, &len), PV_ERR_DENIED, "four-eyes");
	assert_int_equal(len, 0);
	pvt_drop(text);
	assert_rc_msg(a, pv_vault_use_request(a, id), PV_ERR_DENIED,
		      "used already");
	pvt_vclose(a);
	a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	assert_rc_msg(a, pv_vault_use_request(a, id), PV_ERR_DENIED,
		      "used already");
	assert_rc_msg(a, export_mem(a, &clear, &text, &len), PV_ERR_DENIED, "four-eyes");
	assert_int_equal(len, 0);
	pvt_drop(text);
	r = req_of(a, id);
	assert_string_equal(r.state, "used");
	assert_string_equal(r.approver, "dpo1");
	pvt_vclose(a);

	struct audit_list l;
	audit_load(f->dir, &l);
	assert_audit(&l, 1, "admin", "request", "ok", id, "export");
	assert_audit(&l, 1, "admin", "approve", "denied", id, "four eyes");
	assert_audit(&l, 2, "clerk1", NULL, "denied", NULL, "'approve'");
	assert_audit(&l, 1, "dpo1", "approve", "ok", id, NULL);
	assert_audit(&l, 1, "dpo1", "reject", "denied", id, "not pending");
	assert_audit(&l, 1, "dpo1", "run", "denied", NULL, "only its requester");
	assert_audit(&l, 1, "admin", "run", "denied", NULL, "not approved");
	assert_audit(&l, 2, "admin", "export", "denied", NULL, "differs from what was approved");
	assert_audit(&l, 1, "admin", "user add", "denied", NULL, "four-eyes");
	assert_audit(&l, 2, "admin", "run", "denied", NULL, "used already");
	assert_audit(&l, 2, "admin", "export", "denied", NULL, "four-eyes approval");
	/* the run itself: one clear export carrying the request id */
	assert_audit(&l, 1, "admin", "export", "ok", NULL, NULL);
	assert_audit(&l, 1, "admin", "export", "ok", id, "clear");
	for (size_t i = 0; i < l.n; i++)
		if (!strcmp(l.rows[i].op, "export") && !strcmp(l.rows[i].outcome, "ok")) {
			assert_string_equal(l.rows[i].ids, "*");
			assert_string_equal(l.rows[i].purpose, "all");
		}
	audit_free(&l);
	pvt_drop(id);
}

/* Two people at work at the same time, each with a session open (as a program using the
 * library would): the dpo's session, opened before the request was made, can decide it. */
static void test_concurrent_sessions_decide(void **state)
{
	struct fx *f = *state;
	pv_vault *a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	pv_vault *d = pvt_open_user(f->dir, "dpo1", DPO_PW); /* opened before the request */
	char *id = NULL;
	assert_int_equal(ask_export(a, "all", NULL, 0, &id), PV_OK);
	pv_rc rc = pv_request_decide(d, NULL, id, 1, NULL);
	if (rc)
		fail_msg("approve by dpo1 in a session opened before the request: rc %d: %s", rc,
			 pv_errmsg(d));
	pvt_vclose(d);
	pvt_vclose(a);
	pvt_drop(id);
}

/* The requester logs in, the dpo approves meanwhile, then the requester runs it. */
static void test_concurrent_approval_after_login(void **state)
{
	struct fx *f = *state;
	pv_vault *a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	char *id = NULL;
	assert_int_equal(ask_export(a, "all", NULL, 0, &id), PV_OK);
	pvt_vclose(a);
	a = pvt_open_user(f->dir, "admin", ADMIN_PW); /* logged in, nothing done yet */
	pv_vault *d = pvt_open_user(f->dir, "dpo1", DPO_PW);
	pv_rc rc = pv_request_decide(d, NULL, id, 1, NULL);
	if (rc)
		fail_msg("approve by dpo1: %s", pv_errmsg(d));
	pvt_vclose(d);
	rc = pv_vault_use_request(a, id);
	if (rc)
		fail_msg("use_request in a session opened before the approval: %s", pv_errmsg(a));
	pv_access clear = { "admin", "all", 1 };
	char *text = NULL;
	rc = export_mem(a, &clear, &text, NULL);
	if (rc)
		fail_msg("export: %s", pv_errmsg(a));
	pvt_drop(text);
	assert_state(a, id, "used");
	pvt_vclose(a);
	pvt_drop(id);
}

/* The requester's session read the request before the approval and then sees it. */
static void test_concurrent_sessions_see_decision(void **state)
{
	struct fx *f = *state;
	pv_vault *a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	char *id = NULL;
	assert_int_equal(ask_export(a, "all", NULL, 0, &id), PV_OK);
	/* reads in the requester's session before the decision */
	char *gop = NULL, *gargs = NULL;
	assert_int_equal(pv_request_get(a, id, &gop, &gargs), PV_OK);
	pvt_drop(gop);
	pvt_drop(gargs);
	assert_state(a, id, "pending");
	pv_vault *d = pvt_open_user(f->dir, "dpo1", DPO_PW); /* opened after the request */
	pv_rc rc = pv_request_decide(d, NULL, id, 1, NULL);
	if (rc)
		fail_msg("approve by dpo1: %s", pv_errmsg(d));
	assert_state(d, id, "approved");
	pvt_vclose(d);
	/* the requester's session, open all along, sees the approval and runs it */
	assert_state(a, id, "approved");
	rc = pv_vault_use_request(a, id);
	if (rc)
		fail_msg("use_request in the requester's open session: %s", pv_errmsg(a));
	pv_access clear = { "admin", "all", 1 };
	char *text = NULL;
	rc = export_mem(a, &clear, &text, NULL);
	if (rc)
		fail_msg("export: %s", pv_errmsg(a));
	pvt_drop(text);
	pvt_vclose(a);
	pvt_drop(id);
}

/* After the approved run, the session no longer acts under the request: later entries
 * must not carry its id. */
static void test_request_ends_with_run(void **state)
{
	struct fx *f = *state;
	char *id = approved_export(f->dir, 0);
	pv_vault *a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	assert_int_equal(pv_vault_use_request(a, id), PV_OK);
	pv_access clear = { "admin", "all", 1 }, masked = { "admin", "all", 0 };
	char *text = NULL;
	assert_int_equal(export_mem(a, &clear, &text, NULL), PV_OK);
	pvt_drop(text);
	assert_int_equal(export_mem(a, &masked, &text, NULL), PV_OK); /* not guarded */
	pvt_drop(text);
	pvt_vclose(a);

	struct audit_list l;
	audit_load(f->dir, &l);
	assert_audit(&l, 1, "admin", "export", "ok", id, "clear where allowed");
	/* the masked export was not run under the (already used) request */
	assert_audit(&l, 1, "admin", "export", "ok", "", "masked");
	audit_free(&l);
	pvt_drop(id);
}

/* Rejected requests cannot run; approved "user add" requests add exactly once. */
static void test_user_add_reject_and_approve(void **state)
{
	struct fx *f = *state;
	pv_vault *a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	char *id = NULL, *id2 = NULL, *half = NULL;
	assert_int_equal(ask_user_add(a, "eve", "clerk", &id), PV_OK);
	assert_int_equal(ask_user_add(a, "eve", "clerk", &id2), PV_OK);
	assert_string_not_equal(id, id2);
	pvt_vclose(a);

	pv_vault *d = pvt_open_user(f->dir, "dpo1", DPO_PW);
	pv_rc rc = pv_request_decide(d, NULL, id, 0, NULL);
	if (rc)
		fail_msg("reject: %s", pv_errmsg(d));
	struct req_row r = req_of(d, id);
	assert_string_equal(r.state, "rejected");
	assert_string_equal(r.approver, "dpo1");
	assert_rc_msg(d, pv_request_decide(d, NULL, id, 1, NULL), PV_ERR_DENIED, "not pending");
	assert_state(d, id, "rejected");
	/* approving a user add gives the approver half of the enrolment code, and must */
	assert_rc_msg(d, pv_request_decide(d, NULL, id2, 1, NULL), PV_ERR_USAGE, "enrolment");
	rc = pv_request_decide(d, NULL, id2, 1, &half);
	if (rc)
		fail_msg("approve: %s", pv_errmsg(d));
	assert_non_null(half);
	pvt_keep(half);
	pvt_vclose(d);

	a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	assert_rc_msg(a, pv_vault_use_request(a, id), PV_ERR_DENIED,
		      "not approved");
	assert_rc_msg(a, add_as_admin(a, "eve", "clerk"),
		      PV_ERR_DENIED, "four-eyes");
	/* the approved one; its arguments are those of the user added */
	rc = pv_vault_use_request(a, id2);
	if (rc)
		fail_msg("use %s: %s", id2, pv_errmsg(a));
	rc = add_as_admin(a, "eve", "clerk");
	if (rc)
		fail_msg("user add under %s: %s", id2, pv_errmsg(a));
	const char *eve_half_b = g_half_b;
	assert_non_null(eve_half_b);
	assert_state(a, id2, "used");
	/* a second user add in the same session is not covered */
	assert_rc_msg(a, add_as_admin(a, "mallory", "admin"),
		      PV_ERR_DENIED, "four-eyes");
	assert_rc_msg(a, pv_vault_use_request(a, id2), PV_ERR_DENIED,
		      "used already");
	pvt_vclose(a);
	/* eve opens nothing until she enrols with both halves */
	pv_vault *e = NULL;
	assert_int_not_equal(pv_vault_open_user(f->dir, NULL, "eve", EVE_PW, strlen(EVE_PW), &e),
			     PV_OK);
	pvt_vclose(e);
	a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	assert_ok(a, pvt_enrol(a, "eve", half, eve_half_b, EVE_PW, strlen(EVE_PW)));
	pvt_vclose(a);
	e = pvt_open_user(f->dir, "eve", EVE_PW);
	pvt_vclose(e);
	pv_vault *m = NULL;
	rc = pv_vault_open_user(f->dir, NULL, "mallory", EVE_PW, strlen(EVE_PW), &m);
	pvt_vclose(m);
	assert_int_equal(rc, PV_ERR_BAD_KEY);

	struct audit_list l;
	audit_load(f->dir, &l);
	assert_audit(&l, 2, "admin", "request", "ok", NULL, "user add user=eve;roles=clerk");
	assert_audit(&l, 1, "dpo1", "reject", "ok", id, "user add");
	assert_audit(&l, 1, "dpo1", "approve", "denied", id, "not pending");
	assert_audit(&l, 1, "admin", "run", "denied", NULL, "not approved");
	assert_audit(&l, 1, "dpo1", "approve", "ok", id2, NULL);
	assert_audit(&l, 1, "admin", "user add", "ok", id2, "user eve, roles clerk");
	assert_audit(&l, 1, "admin", "run", "denied", NULL, "used already");
	assert_audit(&l, 0, NULL, "user add", "ok", NULL, "mallory");
	audit_free(&l);
	pvt_drop(id);
	pvt_drop(id2);
	pvt_drop(half);
}

/* Expiry, bad requests, and every state as listed. */
static void test_expiry_and_states(void **state)
{
	struct fx *f = *state;
	char *ae = NULL, *pend = NULL, *exp = NULL, *appr = NULL, *rej = NULL, *used = NULL,
	     *late = NULL, *bad = NULL;
	time_t t0 = time(NULL);
	pv_vault *a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	/* to be approved, then left to expire (TTL s leave at least TTL-1 to approve them
	 * and take one up) */
	enum { TTL = 3 };
	assert_int_equal(ask_export(a, "all", NULL, TTL, &ae), PV_OK);
	assert_int_equal(ask_export(a, "all", NULL, TTL, &late), PV_OK);
	assert_int_equal(ask_export(a, "all", NULL, 1, &exp), PV_OK);
	assert_int_equal(ask_export(a, "all", NULL, 0, &pend), PV_OK);
	assert_int_equal(ask_export(a, "all", NULL, 3600, &appr), PV_OK);
	assert_int_equal(ask_export(a, "all", NULL, 0, &rej), PV_OK);
	assert_int_equal(ask_export(a, "all", NULL, 30 * 24 * 3600, &used),
			 PV_OK);
	/* bad requests */
	assert_rc_msg(a, ask_export(a, "all", NULL, 30 * 24 * 3600 + 1, &bad),
		      PV_ERR_USAGE, "30 days");
	assert_null(bad);
	/* what needs no approval is refused while asking, and does not run */
	assert_int_equal(pv_request_begin(a, NULL, 0, NULL), PV_OK);
	pv_access masked = { "admin", "all", 0 };
	char *shown = NULL;
	size_t shown_len = 99;
	assert_rc_msg(a, export_mem(a, &masked, &shown, &shown_len), PV_ERR_USAGE,
		      "needs no approval");
	assert_int_equal(shown_len, 0);
	pvt_drop(shown);
	assert_rc_msg(a, pv_request_submit(a, &bad), PV_ERR_USAGE, "no operation was asked for");
	assert_null(bad);
	pvt_vclose(a);

	pv_vault *d = pvt_open_user(f->dir, "dpo1", DPO_PW);
	pv_rc rc = pv_request_decide(d, NULL, ae, 1, NULL);
	if (rc)
		fail_msg("approve %s: %s", ae, pv_errmsg(d));
	rc = pv_request_decide(d, NULL, late, 1, NULL);
	if (rc)
		fail_msg("approve %s: %s", late, pv_errmsg(d));
	assert_int_equal(pv_request_decide(d, NULL, appr, 1, NULL), PV_OK);
	assert_int_equal(pv_request_decide(d, NULL, rej, 0, NULL), PV_OK);
	assert_int_equal(pv_request_decide(d, NULL, used, 1, NULL), PV_OK);
	pvt_vclose(d);

	pv_vault *c = pvt_open_user(f->dir, "clerk1", CLERK_PW);
	assert_rc_msg(c, ask_export(c, "all", NULL, 0, &bad), PV_ERR_DENIED,
		      "'export'");
	assert_null(bad);
	pvt_vclose(c);

	a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	assert_int_equal(pv_vault_use_request(a, used), PV_OK);
	pv_access clear = { "admin", "all", 1 };
	char *text = NULL;
	assert_int_equal(export_mem(a, &clear, &text, NULL), PV_OK);
	pvt_drop(text);
	pvt_vclose(a);

	/* taken up while valid, in a session kept open past its expiry */
	pv_vault *lt = pvt_open_user(f->dir, "admin", ADMIN_PW);
	rc = pv_vault_use_request(lt, late);
	if (rc)
		fail_msg("use %s (%lds after creation): %s", late, (long)(time(NULL) - t0),
			 pv_errmsg(lt));

	sleep(TTL + 1); /* exp, ae and late are past their expiry */

	a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	assert_rc_msg(a, pv_vault_use_request(a, ae), PV_ERR_DENIED, "expired");
	size_t len = 99;
	assert_rc_msg(a, export_mem(a, &clear, &text, &len), PV_ERR_DENIED, "four-eyes");
	assert_int_equal(len, 0);
	pvt_drop(text);
	pvt_vclose(a);
	d = pvt_open_user(f->dir, "dpo1", DPO_PW);
	assert_rc_msg(d, pv_request_decide(d, NULL, exp, 1, NULL), PV_ERR_DENIED, "expired");
	assert_rc_msg(d, pv_request_decide(d, NULL, exp, 0, NULL), PV_ERR_DENIED, "expired");
	assert_rc_msg(d, pv_request_decide(d, NULL, "R-0000000000", 1, NULL), PV_ERR_NOT_FOUND,
		      "no request");
	pvt_vclose(d);

	a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	assert_state(a, pend, "pending");
	assert_state(a, appr, "approved");
	assert_state(a, rej, "rejected");
	assert_state(a, used, "used");
	assert_state(a, exp, "expired");

	struct audit_list l;
	audit_load(f->dir, &l);
	assert_audit(&l, 1, "admin", "run", "denied", NULL, "expired");
	assert_audit(&l, 2, "dpo1", NULL, "denied", exp, "expired");
	assert_audit(&l, 1, "dpo1", "reject", "ok", rej, NULL);
	assert_audit(&l, 4, "dpo1", "approve", "ok", NULL, NULL);
	assert_audit(&l, 1, "admin", "export", "ok", used, "clear");
	assert_audit(&l, 1, "clerk1", "export", "denied", NULL, "'export'");
	audit_free(&l);

	/* An approved request past its expiry can no longer run: it is listed as expired,
	 * not as approved. */
	assert_state(a, ae, "expired");
	assert_state(a, late, "expired");
	pvt_vclose(a);

	/* The run itself comes after the expiry: refused, nothing written. */
	len = 99;
	assert_rc_msg(lt, export_mem(lt, &clear, &text, &len), PV_ERR_DENIED, "expired");
	assert_int_equal(len, 0);
	pvt_drop(text);
	pvt_vclose(lt);
	pvt_drop(late);

	pvt_drop(ae);
	pvt_drop(pend);
	pvt_drop(exp);
	pvt_drop(appr);
	pvt_drop(rej);
	pvt_drop(used);
}

/* ---- the command line ---- */

/* Run pivault as user (password from the fixture's file); stdout into *out, stderr into
 * *err (either may be NULL). */
static int cli(struct fx *f, char **out, char **err, const char *user, const char *fmt, ...)
{
	char args[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	char *o = NULL;
	int st = pvt_run(&o, "PIVAULT_VAULT='%s' PIVAULT_USER='%s' PIVAULT_PASSWORD_FILE='%s/%s.pw' "
			 "'%s' %s </dev/null 2>'%s'", f->dir, user, f->tmp, user,
			 pvt_program("pivault-test"), args, f->err);
	pvt_keep(o);
	if (out)
		*out = o;
	else
		pvt_drop(o);
	char *e = pvt_keep(pvt_read_file(f->err, NULL));
	assert_non_null(e);
	if (err)
		*err = e;
	else
		pvt_drop(e);
	return st;
}

/* The id of `request ... --json` output. */
static char *request_id_of(const char *out)
{
	json_error_t jerr;
	json_t *j = json_loads(out, 0, &jerr);
	if (!j)
		fail_msg("request --json printed no JSON: %s", out);
	const char *id = json_string_value(json_object_get(j, "request"));
	char *s = id ? pvt_keep(strdup(id)) : NULL;
	json_decref(j);
	assert_non_null(s);
	assert_int_equal(strncmp(s, "R-", 2), 0);
	return s;
}

/* Ask on v (admin) for shredding ids[0..n); the request id (kept). */
static char *ask_shred(pv_vault *v, const char *const *ids, size_t n)
{
	pv_access adm = { "admin", NULL, 0 };
	char *cert = NULL, *id = NULL;
	assert_int_equal(pv_request_begin(v, "customer asked", 0, NULL), PV_OK);
	pv_rc rc = pv_shred(v, &adm, ids, n, &cert);
	if (rc != PV_REQUESTED)
		fail_msg("asking for a shred: rc %d: %s", rc, pv_errmsg(v));
	assert_null(cert);
	rc = pv_request_submit(v, &id);
	if (rc)
		fail_msg("pv_request_submit: %s", pv_errmsg(v));
	return pvt_keep(id);
}

static void approve_as_dpo(const char *dir, const char *id)
{
	pv_vault *d = pvt_open_user(dir, "dpo1", DPO_PW);
	pv_rc rc = pv_request_decide(d, NULL, id, 1, NULL);
	if (rc)
		fail_msg("approve %s: %s", id, pv_errmsg(d));
	pvt_vclose(d);
}

/* 1 if customer id is still in the vault (read with the root key). */
static int still_there(const char *dir, const char *id)
{
	pv_vault *v = pvt_open_root(dir, NULL, g_key_path);
	pv_access adm = { "admin", "all", 0 };
	pv_record *r = NULL;
	pv_rc rc = pv_get(v, &adm, id, &r);
	pv_record_free(r);
	pvt_vclose(v);
	assert_true(rc == PV_OK || rc == PV_ERR_NOT_FOUND);
	return rc == PV_OK;
}

/* The approval binds what the operation itself states, in the library: an approved
 * shred of C1 cannot shred C2, nor C1 with C2, whatever front end calls it; the same set
 * in another order or with a repeated id is the same approval. */
static void test_approval_binds_parameters(void **state)
{
	struct fx *f = *state;
	const char *c1 = cust(1, "customer_id"), *c2 = cust(2, "customer_id");
	const char *c3 = cust(3, "customer_id"), *c4 = cust(4, "customer_id");
	pv_vault *a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	const char *one[] = { c1 };
	char *id = ask_shred(a, one, 1);
	struct req_row r = req_of(a, id);
	assert_non_null(strstr(r.params, c1));
	assert_null(strstr(r.params, c2));
	pvt_vclose(a);
	assert_true(still_there(f->dir, c1)); /* asking destroyed nothing */
	approve_as_dpo(f->dir, id);

	a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	pv_access adm = { "admin", NULL, 0 };
	char *cert = NULL;
	assert_int_equal(pv_vault_use_request(a, id), PV_OK);
	const char *other[] = { c2 }, *more[] = { c1, c2 };
	assert_rc_msg(a, pv_shred(a, &adm, other, 1, &cert), PV_ERR_DENIED,
		      "differs from what was approved");
	assert_rc_msg(a, pv_shred(a, &adm, more, 2, &cert), PV_ERR_DENIED,
		      "differs from what was approved");
	assert_null(cert);
	assert_state(a, id, "approved"); /* a refused run does not use the request up */
	pv_rc rc = pv_shred(a, &adm, one, 1, &cert);
	if (rc)
		fail_msg("the approved shred: %s", pv_errmsg(a));
	pvt_drop(cert);
	assert_state(a, id, "used");
	pvt_vclose(a);
	assert_false(still_there(f->dir, c1));
	assert_true(still_there(f->dir, c2));

	/* a set is a set: approved as {C3, C4}, run as C4, C3, C4 */
	a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	const char *pair[] = { c3, c4 }, *again[] = { c4, c3, c4 };
	char *id2 = ask_shred(a, pair, 2);
	pvt_vclose(a);
	approve_as_dpo(f->dir, id2);
	a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	assert_int_equal(pv_vault_use_request(a, id2), PV_OK);
	const char *just3[] = { c3 };
	assert_rc_msg(a, pv_shred(a, &adm, just3, 1, &cert), PV_ERR_DENIED, "differs");
	rc = pv_shred(a, &adm, again, 3, &cert);
	if (rc)
		fail_msg("the approved pair: %s", pv_errmsg(a));
	pvt_drop(cert);
	pvt_vclose(a);
	assert_false(still_there(f->dir, c3));
	assert_false(still_there(f->dir, c4));

	struct audit_list l;
	audit_load(f->dir, &l);
	assert_audit(&l, 3, "admin", "shred", "denied", NULL, "differs from what was approved");
	assert_audit(&l, 1, "admin", "shred", "ok", id, NULL);
	assert_audit(&l, 1, "admin", "shred", "ok", id2, NULL);
	audit_free(&l);
}

/* Variant: the command kept for `run` is shown, never trusted. A DBA rewrites the
 * approved request's command to shred another customer; the run is refused (by the
 * request's integrity code, and behind it by the parameters the shred states) and that
 * customer stays. */
static void test_edited_command_refused(void **state)
{
	struct fx *f = *state;
	const char *c1 = cust(5, "customer_id"), *c2 = cust(6, "customer_id");
	char *out = NULL, *err = NULL;
	int st = cli(f, &out, &err, "admin", "request shred %s --json", c1);
	if (st != 0)
		fail_msg("request shred: exit %d: %s", st, err);
	char *id = request_id_of(out);
	approve_as_dpo(f->dir, id);
	char *changed = NULL;
	assert_int_equal(pvt_dba(&changed, f->dir, "UPDATE requests SET command = "
				 "'[\"shred\",\"%s\"]' WHERE id = '%s' RETURNING 1", c2, id), 0);
	assert_string_equal(changed, "1\n");
	free(changed);
	st = cli(f, &out, &err, "admin", "run %s", id);
	assert_int_equal(st, 1);
	/* the row's integrity code sees the edit; were it recomputed, the parameters the
	 * shred states would still differ from the approved ones */
	if (!strstr(err, "integrity check") && !strstr(err, "differs from what was approved"))
		fail_msg("the run of an edited request: %s", err);
	assert_true(still_there(f->dir, c2));
	assert_true(still_there(f->dir, c1));
}

/* ---- bulk reads in clear ---- */

/* The ids of the records shown, comma-separated, and a count. */
struct shown {
	char ids[4096];
	size_t n;
};

static int note_shown(void *ctx, const pv_record *r)
{
	struct shown *s = ctx;
	size_t at = strlen(s->ids);
	snprintf(s->ids + at, sizeof s->ids - at, "%s%s", at ? "," : "", pv_record_id(r));
	s->n++;
	return 0;
}

/* The root key holder sets the bulk limit (break-glass: a user needs four eyes). */
static void set_bulk_limit(const char *dir, unsigned limit)
{
	pv_vault *root = pvt_open_root(dir, NULL, g_key_path);
	pv_access adm = { "admin", NULL, 0 };
	pv_rc rc = pv_audit_set_alert_threshold(root, &adm, limit);
	if (rc)
		fail_msg("threshold: %s", pv_errmsg(root));
	pvt_vclose(root);
}

/* The attack: `list --clear --purpose all --limit 100000000` printed every customer in
 * clear with no approval. Now any read in clear of more customers than the bulk limit
 * needs one, whatever the call; masked reads do not. */
static void test_bulk_clear_reads(void **state)
{
	struct fx *f = *state;
	set_bulk_limit(f->dir, 5);
	pv_vault *a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	pv_access clear = { "admin", "all", 1 }, masked = { "admin", "all", 0 };
	/* a user cannot raise the limit alone */
	assert_rc_msg(a, pv_audit_set_alert_threshold(a, NULL, 100000), PV_ERR_DENIED, "four-eyes");
	struct shown s = { "", 0 };
	assert_rc_msg(a, pv_list(a, &clear, NULL, 100000000, note_shown, &s, NULL), PV_ERR_DENIED,
		      "bulk limit");
	assert_int_equal(s.n, 0);
	assert_ok(a, pv_list(a, &masked, NULL, 100000000, note_shown, &s, NULL));
	assert_int_equal(s.n, NCUST);
	/* within the limit, then one more: the session's total counts */
	memset(&s, 0, sizeof s);
	assert_ok(a, pv_list(a, &clear, NULL, 5, note_shown, &s, NULL));
	assert_int_equal(s.n, 5);
	pv_record *r = NULL;
	assert_rc_msg(a, pv_get(a, &clear, cust(9, "customer_id"), &r), PV_ERR_DENIED, "bulk limit");
	assert_null(r);
	pvt_vclose(a);
	/* many ids in one get */
	a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	const char *six[6];
	for (size_t i = 0; i < 6; i++)
		six[i] = cust(i + 1, "customer_id");
	memset(&s, 0, sizeof s);
	assert_rc_msg(a, pv_get_many(a, &clear, six, 6, note_shown, &s), PV_ERR_DENIED,
		      "bulk limit");
	assert_int_equal(s.n, 0);
	assert_ok(a, pv_get_many(a, &clear, six, 5, note_shown, &s));
	assert_int_equal(s.n, 5);
	pvt_vclose(a);

	/* asked, approved and run: every customer in clear, and the entry names exactly them */
	a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	assert_ok(a, pv_request_begin(a, "yearly review", 0, NULL));
	memset(&s, 0, sizeof s);
	assert_int_equal(pv_list(a, &clear, NULL, 100000000, note_shown, &s, NULL), PV_REQUESTED);
	assert_int_equal(s.n, 0);
	char *id = NULL;
	assert_ok(a, pv_request_submit(a, &id));
	pvt_keep(id);
	pvt_vclose(a);
	approve_as_dpo(f->dir, id);
	a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	assert_ok(a, pv_vault_use_request(a, id));
	pv_access billing = { "admin", "billing", 1 };
	assert_rc_msg(a, pv_list(a, &billing, NULL, 100000000, note_shown, &s, NULL),
		      PV_ERR_DENIED, "differs from what was approved");
	assert_ok(a, pv_list(a, &clear, NULL, 100000000, note_shown, &s, NULL));
	assert_int_equal(s.n, NCUST);
	assert_non_null(strstr(s.ids, cust(3, "customer_id")));
	pvt_vclose(a);
	struct audit_list l;
	audit_load(f->dir, &l);
	size_t runs = 0;
	for (size_t i = 0; i < l.n; i++)
		if (!strcmp(l.rows[i].op, "list") && !strcmp(l.rows[i].request, id) &&
		    !strcmp(l.rows[i].outcome, "ok")) {
			assert_string_equal(l.rows[i].ids, s.ids);
			runs++;
		}
	assert_int_equal(runs, 1);
	assert_audit(&l, 1, "admin", "list", "denied", NULL, "bulk limit");
	assert_audit(&l, 2, "admin", "read", "denied", NULL, "bulk limit");
	audit_free(&l);
}

/* The same through the pivault command, as the issue found it. */
static void test_cli_bulk_list(void **state)
{
	struct fx *f = *state;
	set_bulk_limit(f->dir, 5);
	char *out = NULL, *err = NULL;
	int st = cli(f, &out, &err, "admin", "list --clear --purpose all --limit 100000000");
	assert_int_equal(st, 1);
	assert_non_null(strstr(err, "bulk limit"));
	assert_null(strstr(out, cust(1, "name")));
	st = cli(f, &out, &err, "admin", "list --purpose all --limit 100000000");
	assert_int_equal(st, 0);
	st = cli(f, &out, &err, "admin", "request list --clear --purpose all --limit 100000000 --json");
	if (st != 0)
		fail_msg("request list: exit %d: %s", st, err);
	char *id = request_id_of(out);
	approve_as_dpo(f->dir, id);
	st = cli(f, &out, &err, "admin", "run %s", id);
	if (st != 0)
		fail_msg("run: exit %d: %s", st, err);
	assert_non_null(strstr(out, cust(NCUST, "name")));
}

static void test_cli_flow(void **state)
{
	struct fx *f = *state;
	char *out = NULL, *err = NULL;
	int st = cli(f, &out, &err, "admin",
		     "request export --format csv --clear --purpose all --reason 'yearly check' --json");
	if (st != 0)
		fail_msg("request: exit %d: %s", st, err);
	char *id = request_id_of(out);
	pvt_drop(out);
	pvt_drop(err);

	/* a command that never needs approval is refused, not run */
	char *kf = pvt_path(f->tmp, "asked.key");
	st = cli(f, &out, &err, "admin", "request keygen '%s'", kf);
	assert_int_equal(st, 2);
	assert_non_null(strstr(err, "never needs approval"));
	assert_int_not_equal(access(kf, F_OK), 0);
	pvt_drop(kf);
	pvt_drop(out);
	pvt_drop(err);

	/* the requester cannot approve */
	st = cli(f, &out, &err, "admin", "approve %s", id);
	assert_int_equal(st, 1);
	assert_non_null(strstr(err, "four eyes"));
	pvt_drop(out);
	pvt_drop(err);
	/* nor a clerk */
	st = cli(f, &out, &err, "clerk1", "approve %s", id);
	assert_int_equal(st, 1);
	assert_non_null(strstr(err, "'approve'"));
	pvt_drop(out);
	pvt_drop(err);
	/* running before approval fails */
	st = cli(f, &out, &err, "admin", "run %s", id);
	assert_int_equal(st, 1);
	assert_non_null(strstr(err, "not approved"));
	assert_string_equal(out, "");
	pvt_drop(out);
	pvt_drop(err);
	/* the dpo approves */
	st = cli(f, &out, &err, "dpo1", "approve %s", id);
	if (st != 0)
		fail_msg("approve: exit %d: %s", st, err);
	assert_non_null(strstr(out, id));
	pvt_drop(out);
	pvt_drop(err);
	/* someone else cannot run it */
	st = cli(f, &out, &err, "dpo1", "run %s", id);
	assert_int_equal(st, 1);
	assert_non_null(strstr(err, "only its requester"));
	assert_string_equal(out, "");
	pvt_drop(out);
	pvt_drop(err);

	/* the requester runs it: CSV in clear */
	st = cli(f, &out, &err, "admin", "run %s", id);
	if (st != 0)
		fail_msg("run: exit %d: %s", st, err);
	for (size_t i = 1; i <= NCUST; i += 5) {
		char *name = name_in_export(out, cust(i, "customer_id"));
		assert_non_null(name);
		assert_string_equal(name, cust(i, "name"));
		pvt_drop(name);
	}
	pvt_drop(out);
	pvt_drop(err);
	/* not twice */
	st = cli(f, &out, &err, "admin", "run %s", id);
	assert_int_equal(st, 1);
	assert_non_null(strstr(err, "used already"));
	assert_string_equal(out, "");
	pvt_drop(out);
	pvt_drop(err);

	/* a second request, approved for --purpose all, run for --purpose billing */
	st = cli(f, &out, &err, "admin", "request export --format csv --clear --purpose all --json");
	assert_int_equal(st, 0);
	char *id2 = request_id_of(out);
	pvt_drop(out);
	pvt_drop(err);
	st = cli(f, &out, &err, "dpo1", "approve %s", id2);
	assert_int_equal(st, 0);
	pvt_drop(out);
	pvt_drop(err);
	st = cli(f, &out, &err, "admin", "export --format csv --clear --purpose billing --request %s",
		 id2);
	assert_int_equal(st, 1);
	assert_non_null(strstr(err, "differs from what was approved"));
	assert_string_equal(out, "");
	pvt_drop(out);
	pvt_drop(err);
	/* and a clear export without any request */
	st = cli(f, &out, &err, "admin", "export --format csv --clear --purpose all");
	assert_int_equal(st, 1);
	assert_non_null(strstr(err, "four-eyes"));
	assert_string_equal(out, "");
	pvt_drop(out);
	pvt_drop(err);
	/* a third, rejected */
	st = cli(f, &out, &err, "admin", "request export --format csv --clear --purpose all --json");
	assert_int_equal(st, 0);
	char *id3 = request_id_of(out);
	pvt_drop(out);
	pvt_drop(err);
	st = cli(f, &out, &err, "dpo1", "reject %s", id3);
	assert_int_equal(st, 0);
	pvt_drop(out);
	pvt_drop(err);

	/* requests --json lists them with their states */
	st = cli(f, &out, &err, "admin", "requests --json");
	if (st != 0)
		fail_msg("requests: exit %d: %s", st, err);
	int seen = 0;
	char *save = NULL;
	for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_error_t jerr;
		json_t *j = json_loads(line, 0, &jerr);
		if (!j)
			fail_msg("requests --json: not JSON: %s", line);
		/* copy out, then check */
		char rid[64], st_[16], req[72], op[32], appr[72], reason[64];
		const char *src[] = { "id", "state", "requester", "op", "approver", "reason" };
		char *dst[] = { rid, st_, req, op, appr, reason };
		size_t len[] = { sizeof rid, sizeof st_, sizeof req, sizeof op, sizeof appr,
				 sizeof reason };
		for (int k = 0; k < 6; k++) {
			const char *x = json_string_value(json_object_get(j, src[k]));
			snprintf(dst[k], len[k], "%s", x ? x : "(missing)");
		}
		int command_array = json_is_array(json_object_get(j, "command"));
		json_decref(j);
		assert_true(command_array);
		assert_string_equal(req, "admin");
		assert_string_equal(op, "export");
		if (strcmp(rid, id) == 0) {
			assert_string_equal(st_, "used");
			assert_string_equal(appr, "dpo1");
			assert_string_equal(reason, "yearly check");
			seen |= 1;
		} else if (strcmp(rid, id2) == 0) {
			assert_string_equal(st_, "approved");
			assert_string_equal(appr, "dpo1");
			seen |= 2;
		} else if (strcmp(rid, id3) == 0) {
			assert_string_equal(st_, "rejected");
			assert_string_equal(appr, "dpo1");
			seen |= 4;
		} else {
			fail_msg("unexpected request %s", rid);
		}
	}
	assert_int_equal(seen, 7);
	pvt_drop(out);
	pvt_drop(err);

	/* the audit log: the CLI run carries the request id */
	struct audit_list l;
	audit_load(f->dir, &l);
	assert_audit(&l, 1, "admin", "export", "ok", id, "clear");
	assert_audit(&l, 1, "admin", "export", "denied", NULL, "differs from what was approved");
	assert_audit(&l, 1, "dpo1", "approve", "ok", id2, NULL);
	assert_audit(&l, 1, "dpo1", "reject", "ok", id3, NULL);
	assert_audit(&l, 1, "admin", "approve", "denied", id, "four eyes");
	audit_free(&l);
	pvt_drop(id);
	pvt_drop(id2);
	pvt_drop(id3);
}

/* A user with several roles asks in the role named by --role: the request is checked
 * against that role, and running it uses the same role. */
static void test_cli_request_role(void **state)
{
	struct fx *f = *state;
	add_user_root(f->dir, "fin", "clerk,finance", BOB_PW);
	write_pw(f->tmp, "fin", BOB_PW);
	{ /* asking runs the export's own checks: finance sees clear values once trained */
		char today[16];
		time_t now = time(NULL);
		strftime(today, sizeof today, "%Y-%m-%d", gmtime(&now));
		pv_vault *v = pvt_open_root(f->dir, NULL, g_key_path);
		pv_access admin = { "admin", NULL, 0 };
		pv_rc rc = pv_user_attest(v, &admin, "fin", today, today, NULL);
		if (rc)
			fail_msg("attest: %s", pv_errmsg(v));
		pvt_vclose(v);
	}
	char *out = NULL, *err = NULL;
	/* clerk, the first role, may not export; finance may */
	int st = cli(f, &out, &err, "fin", "export --format csv --purpose billing");
	assert_int_equal(st, 1);
	assert_non_null(strstr(err, "'export'"));
	st = cli(f, &out, &err, "fin", "export --format csv --purpose billing --role finance");
	if (st != 0)
		fail_msg("masked export as finance: exit %d: %s", st, err);
	st = cli(f, &out, &err, "fin",
		 "request export --format csv --clear --purpose billing --role finance --json");
	if (st != 0)
		fail_msg("request as finance: exit %d: %s", st, err);
	json_error_t jerr;
	json_t *j = json_loads(out, 0, &jerr);
	const char *x = json_string_value(json_object_get(j, "request"));
	char *id = x ? pvt_keep(strdup(x)) : NULL;
	json_decref(j);
	assert_non_null(id);
	struct audit_list l;
	audit_load(f->dir, &l);
	assert_audit(&l, 1, "fin", "request", "ok", id, "role=finance;purpose=billing");
	audit_free(&l);
}

/* ---- alerts ---- */

struct alert_row {
	uint64_t seq;
	char user[72], kind[32], detail[256];
};

struct alert_list {
	struct alert_row rows[64];
	size_t n;
};

static int collect_alert(void *ctx, const pv_audit_alert *a)
{
	struct alert_list *l = ctx;
	if (l->n == 64)
		return 1;
	struct alert_row *r = &l->rows[l->n++];
	r->seq = a->seq;
	snprintf(r->user, sizeof r->user, "%s", a->user);
	snprintf(r->kind, sizeof r->kind, "%s", a->kind);
	snprintf(r->detail, sizeof r->detail, "%s", a->detail);
	return 0;
}

static size_t alerts_of(const struct alert_list *l, const char *user, const char *kind)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n; i++)
		n += (!user || !strcmp(l->rows[i].user, user)) && !strcmp(l->rows[i].kind, kind);
	return n;
}

static int count_record(void *ctx, const pv_record *r)
{
	(void)r;
	++*(size_t *)ctx;
	return 0;
}

static void test_alerts(void **state)
{
	struct fx *f = *state;
	add_user_root(f->dir, "alice", "clerk", ALICE_PW);
	add_user_root(f->dir, "bob", "clerk", BOB_PW);
	pv_vault *root = pvt_open_root(f->dir, NULL, g_key_path);
	pv_access adm = { "admin", NULL, 0 };
	assert_int_equal(pv_user_attest(root, &adm, "alice", "2024-01-02", "2024-01-02",
					"2099-12-31"), PV_OK);
	pvt_vclose(root);

	/* alice: a list of 8 in clear, then 3 single reads: 11 customers in the hour */
	pv_vault *al = pvt_open_user(f->dir, "alice", ALICE_PW);
	pv_access svc_clear = { "clerk", "service", 1 }, svc = { "clerk", "service", 0 };
	size_t n = 0;
	char *next = NULL;
	pv_rc rc = pv_list(al, &svc_clear, NULL, 8, count_record, &n, &next);
	pvt_keep(next);
	if (rc)
		fail_msg("alice list: %s", pv_errmsg(al));
	assert_int_equal(n, 8);
	pvt_drop(next);
	for (size_t i = 9; i <= 11; i++) {
		pv_record *r = NULL;
		rc = pv_get(al, &svc, cust(i, "customer_id"), &r);
		if (rc)
			fail_msg("alice get: %s", pv_errmsg(al));
		pv_record_free(r);
	}
	pvt_vclose(al);

	/* bob: a masked list of 2 and 3 reads: 5 customers, not above a threshold of 5 */
	pv_vault *b = pvt_open_user(f->dir, "bob", BOB_PW);
	n = 0;
	rc = pv_list(b, &svc, NULL, 2, count_record, &n, &next);
	pvt_keep(next);
	assert_int_equal(rc, PV_OK);
	assert_int_equal(n, 2);
	pvt_drop(next);
	for (size_t i = 1; i <= 3; i++) {
		pv_record *r = NULL;
		assert_int_equal(pv_get(b, &svc, cust(i, "customer_id"), &r), PV_OK);
		pv_record_free(r);
	}
	/* a clerk may neither read the alerts nor set the threshold */
	struct alert_list *l = pvt_keep(calloc(1, sizeof *l));
	assert_non_null(l);
	assert_rc_msg(b, pv_audit_alerts(b, NULL, collect_alert, l), PV_ERR_DENIED, "'audit'");
	assert_int_equal(l->n, 0);
	assert_rc_msg(b, pv_audit_set_alert_threshold(b, NULL, 1), PV_ERR_DENIED, "'audit'");
	pvt_vclose(b);

	/* two exports (masked, and clear by the root key: break-glass) */
	root = pvt_open_root(f->dir, NULL, g_key_path);
	pv_access all = { "admin", "all", 0 }, all_clear = { "admin", "all", 1 };
	char *text = NULL;
	assert_int_equal(export_mem(root, &all, &text, NULL), PV_OK);
	pvt_drop(text);
	assert_int_equal(export_mem(root, &all_clear, &text, NULL), PV_OK);
	pvt_drop(text);

	/* the default threshold (100): no "many reads" yet */
	pv_access aud = { "auditor", NULL, 0 };
	rc = pv_audit_alerts(root, &aud, collect_alert, l);
	if (rc)
		fail_msg("alerts: %s", pv_errmsg(root));
	assert_int_equal(alerts_of(l, NULL, "many reads"), 0);
	assert_int_equal(alerts_of(l, "(root key)", "bulk export"), 2);
	assert_int_equal(alerts_of(l, NULL, "bulk export"), 2);
	assert_int_equal(alerts_of(l, "alice", "clear list"), 1);
	assert_int_equal(alerts_of(l, NULL, "clear list"), 1);

	assert_rc_msg(root, pv_audit_set_alert_threshold(root, &aud, 0), PV_ERR_USAGE,
		      "at least 1");
	assert_rc_msg(root, pv_audit_set_alert_threshold(root, &aud, PV_BULK_LIMIT_MAX + 1),
		      PV_ERR_USAGE, "at most 1000000");
	rc = pv_audit_set_alert_threshold(root, &aud, 5);
	if (rc)
		fail_msg("threshold: %s", pv_errmsg(root));
	memset(l, 0, sizeof *l);
	assert_int_equal(pv_audit_alerts(root, &aud, collect_alert, l), PV_OK);
	pvt_vclose(root);
	assert_int_equal(alerts_of(l, "alice", "many reads"), 1);
	assert_int_equal(alerts_of(l, NULL, "many reads"), 1);
	assert_int_equal(alerts_of(l, NULL, "bulk export"), 2);
	assert_int_equal(alerts_of(l, "alice", "clear list"), 1);
	assert_int_equal(alerts_of(l, NULL, "clear list"), 1);
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->rows[i].kind, "many reads"))
			assert_non_null(strstr(l->rows[i].detail, "more than 5 customers"));
	/* alerts are in log order, each naming its entry */
	for (size_t i = 1; i < l->n; i++)
		assert_true(l->rows[i].seq >= l->rows[i - 1].seq);

	struct audit_list al_log;
	audit_load(f->dir, &al_log);
	for (size_t i = 0; i < l->n; i++) {
		const struct alert_row *r = &l->rows[i];
		const char *op = !strcmp(r->kind, "bulk export") ? "export"
				 : !strcmp(r->kind, "clear list") ? "list" : NULL;
		int found = 0;
		for (size_t k = 0; k < al_log.n; k++)
			if (al_log.rows[k].seq == r->seq) {
				found = 1;
				assert_string_equal(al_log.rows[k].user, r->user);
				if (op)
					assert_string_equal(al_log.rows[k].op, op);
			}
		assert_true(found);
	}
	assert_audit(&al_log, 1, "(root key)", "audit threshold", "ok", NULL, "5");
	assert_audit(&al_log, 1, "bob", "audit alerts", "denied", NULL, "'audit'");
	assert_audit(&al_log, 1, "bob", "audit threshold", "denied", NULL, "'audit'");
	assert_audit(&al_log, 2, "(root key)", "audit alerts", "ok", NULL, NULL);
	audit_free(&al_log);
	pvt_drop(l);
}

/* pv_request_info's new members of one request. */
struct info_seen {
	const char *id;
	int found;
	char args[256];
	int64_t created_at, decided_at;
};

static int info_of(void *ctx, const pv_request_info *r)
{
	struct info_seen *s = ctx;
	if (strcmp(r->id, s->id) != 0)
		return 0;
	s->found++;
	snprintf(s->args, sizeof s->args, "%s", r->args);
	s->created_at = r->created_at;
	s->decided_at = r->decided_at;
	return 0;
}

/* A request's bound arguments as the API shows them (pv_request_info.args): each key with
 * its value, escapes undone, a ';' inside a value kept, a cut text marked; its times as
 * Unix seconds; and the decider's reason in the decision's audit entry. */
static void test_request_args_and_reason(void **state)
{
	struct fx *f = *state;
	const struct {
		const char *shown, *json;
	} cases[] = {
		{ "user=eve;roles=clerk", "{\"user\":\"eve\",\"roles\":\"clerk\"}" },
		{ "a=x\\ny;b=c\\\\d", "{\"a\":\"x\\ny\",\"b\":\"c\\\\d\"}" },
		{ "a=1;2;b=3", "{\"a\":\"1;2\",\"b\":\"3\"}" },
		{ "a=b=c", "{\"a\":\"b=c\"}" },
		{ "", "{}" },
		{ "ids=3 customers ...", "{\"ids\":\"3 customers\",\"truncated\":true}" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *got = pv_request_args_json(cases[i].shown);
		assert_non_null(got);
		if (strcmp(got, cases[i].json) != 0)
			fail_msg("\"%s\": %s, want %s", cases[i].shown, got, cases[i].json);
		free(got);
	}
	pv_vault *a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	char *id = NULL, *half = NULL;
	assert_ok(a, pv_request_begin(a, "new colleague", 0, NULL));
	assert_int_equal(add_as_admin(a, "eve", "clerk"), PV_REQUESTED);
	assert_ok(a, pv_request_submit(a, &id));
	struct info_seen seen = { id, 0, "", 0, 0 };
	assert_ok(a, pv_request_list(a, NULL, info_of, &seen));
	assert_int_equal(seen.found, 1);
	assert_string_equal(seen.args, "{\"user\":\"eve\",\"roles\":\"clerk\"}");
	assert_true(llabs(seen.created_at - (int64_t)time(NULL)) < 60);
	assert_int_equal(seen.decided_at, 0);
	pv_vault *d = pvt_open_user(f->dir, "dpo1", DPO_PW);
	pv_access dpo = { "dpo", NULL, 0 };
	assert_ok(d, pv_request_decide_why(d, &dpo, id, PV_APPROVE, "ticket 7", &half));
	pv_free(half);
	seen.found = 0;
	assert_ok(a, pv_request_list(a, NULL, info_of, &seen));
	assert_true(seen.decided_at >= seen.created_at);
	struct audit_list l;
	audit_load(f->dir, &l);
	assert_audit(&l, 1, "dpo1", "approve", "ok", id, "user=eve;roles=clerk by admin; "
		     "reason: ticket 7");
	audit_free(&l);
	pv_free(id);
	pvt_vclose(a);
	pvt_vclose(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_setup_users, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_request_args_and_reason, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_guarded_need_request, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_export_request_flow, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_sessions_decide, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_approval_after_login, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_sessions_see_decision, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_request_ends_with_run, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_user_add_reject_and_approve, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_expiry_and_states, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_approval_binds_parameters, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_edited_command_refused, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bulk_clear_reads, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_cli_bulk_list, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_cli_flow, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_cli_request_role, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_alerts, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
