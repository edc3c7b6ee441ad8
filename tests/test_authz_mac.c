/* SPDX-License-Identifier: Apache-2.0 */
/* test_authz_mac.c: authorisation state a DBA cannot edit. Each attack is made as a DBA
 * would make it, with SQL on the closed vault's store, SQLite file or PostgreSQL schema
 * (users' roles, disabled flag and obligations, a request's state, a legal hold removed,
 * the stored schema, the alert threshold; rows put back from an earlier copy, integrity codes swapped between rows),
 * and must be refused with a message naming the table and row, and audited "tampered". */
#include "dba.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pivault.h"
#include "authz_mac.h"
#include "vault.h"

#define NCUST 6

static const char CLERK_PW[] = "clerk-password-1";
static const char ADMIN_PW[] = "admin-password-1";
static const char DPO_PW[] = "dpo-password-1";

static char *g_base;     /* vault/, vault.keyring, root.key: the pristine vault */
static char *g_key_path;

struct fx {
	char *tmp;
	char *dir;
};

/* ---- helpers ----------------------------------------------------------------------- */

static const pv_access ADMIN = { "admin", NULL, 0 };

static void add_user(pv_vault *v, const char *name, const char *roles, const char *pw)
{
	if (pvt_user_add(v, &ADMIN, name, roles, pw, strlen(pw)) != PV_OK)
		fail_msg("pv_user_add(%s): %s", name, pv_errmsg(v));
}

/* Run SQL on the vault's store as a DBA would (the SQLite file, or its PostgreSQL schema). */
static void dba(const char *dir, const char *sql)
{
	if (pvt_dba(NULL, dir, "%s", sql) != 0)
		fail_msg("the DBA's SQL failed: %s", sql);
}

/* The user rows and their codes kept in old_users and old_macs put back over the current
 * ones (SQLite's INSERT OR REPLACE, written so that PostgreSQL runs it too). */
#define PUT_BACK_USERS \
	"DELETE FROM users WHERE name IN (SELECT name FROM old_users);" \
	"INSERT INTO users SELECT * FROM old_users;" \
	"DELETE FROM authz_macs WHERE (tbl, k) IN (SELECT tbl, k FROM old_macs);" \
	"INSERT INTO authz_macs SELECT * FROM old_macs"

/* Try to log in as user; the result, and the message (kept) in *msg. */
static pv_rc login(const char *dir, const char *user, const char *pw, char **msg)
{
	pv_vault *v = NULL;
	pv_rc rc = pv_vault_open_user(dir, NULL, user, pw, strlen(pw), &v);
	if (msg)
		*msg = pvt_keep(strdup(pv_errmsg(v)));
	pv_vault_close(v);
	return rc;
}

struct tamper_count {
	const char *needle;
	int n;
};

static int count_tampered(void *ctx, const pv_audit_entry *e)
{
	struct tamper_count *c = ctx;
	if (strcmp(e->outcome, "tampered") == 0 && strstr(e->detail, c->needle))
		c->n++;
	return 0;
}

/* The audit entries with outcome "tampered" whose detail contains needle. */
static int tampered_entries(const char *dir, const char *needle)
{
	pv_vault *v = pvt_open_root(dir, NULL, g_key_path);
	struct tamper_count c = { needle, 0 };
	pv_audit_filter f = { NULL, NULL, NULL };
	if (pv_audit_log(v, &ADMIN, &f, count_tampered, &c) != PV_OK)
		fail_msg("pv_audit_log: %s", pv_errmsg(v));
	pvt_vclose(v);
	return c.n;
}

static void assert_refused(pv_rc rc, const char *msg, const char *needle)
{
	if (rc != PV_ERR_CORRUPT && rc != PV_ERR_STORE)
		fail_msg("expected a refusal naming \"%s\", got rc %d: %s", needle, rc, msg);
	if (!strstr(msg, needle))
		fail_msg("message \"%s\" does not name \"%s\"", msg, needle);
}

static int ignore_user(void *ctx, const pv_user_info *u)
{
	(void)ctx, (void)u;
	return 0;
}

static int ignore_request(void *ctx, const pv_request_info *r)
{
	(void)ctx, (void)r;
	return 0;
}

/* ---- fixtures ---------------------------------------------------------------------- */

static int group_setup(void **state)
{
	(void)state;
	g_base = pvt_tempdir();
	g_key_path = pvt_path(g_base, "root.key");
	char *dir = pvt_path(g_base, "vault");
	pv_vault *v = pvt_sample_vault(dir, g_key_path, NCUST, 5, NULL);
	add_user(v, "admin", "admin", ADMIN_PW);
	add_user(v, "dpo", "dpo", DPO_PW);
	add_user(v, "clerk", "clerk", CLERK_PW);
	pv_vault_close(v);
	free(dir);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	pvt_rmtree(g_base);
	free(g_base);
	free(g_key_path);
	return 0;
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->tmp = pvt_tempdir();
	f->dir = pvt_path(f->tmp, "vault");
	pvt_copy_vault(g_base, f->tmp);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	pvt_release_all();
	pvt_rmtree(f->tmp);
	free(f->tmp);
	free(f->dir);
	free(f);
	return 0;
}

/* ---- users ------------------------------------------------------------------------- */

/* The attack: the clerk made an administrator with one UPDATE. */
static void test_clerk_made_admin(void **state)
{
	struct fx *f = *state;
	assert_int_equal(login(f->dir, "clerk", CLERK_PW, NULL), PV_OK);
	dba(f->dir, "UPDATE users SET roles='admin' WHERE name='clerk'");
	char *msg = NULL;
	pv_rc rc = login(f->dir, "clerk", CLERK_PW, &msg);
	assert_refused(rc, msg, "users row 'clerk' fails its integrity check: edited outside "
		       "pivault");
	assert_int_equal(tampered_entries(f->dir, "users row 'clerk'"), 1);
	/* the other users are untouched and still log in */
	assert_int_equal(login(f->dir, "dpo", DPO_PW, NULL), PV_OK);
}

/* The same attack met at the command line: `pivault user list` as the clerk. */
static void test_clerk_made_admin_cli(void **state)
{
	struct fx *f = *state;
	char *pw = pvt_keep(pvt_path(f->tmp, "clerk.pw"));
	assert_int_equal(pvt_write_file(pw, CLERK_PW, strlen(CLERK_PW)), 0);
	char *errf = pvt_keep(pvt_path(f->tmp, "err.txt"));
	const char *prog = pvt_program("pivault");
	int st = pvt_run(NULL, "PIVAULT_VAULT='%s' PIVAULT_USER=clerk PIVAULT_PASSWORD_FILE='%s' "
			 "'%s' user list </dev/null 2>'%s'", f->dir, pw, prog, errf);
	assert_int_not_equal(st, 0); /* a clerk may not list users */
	dba(f->dir, "UPDATE users SET roles='admin' WHERE name='clerk'");
	char *out = NULL;
	st = pvt_run(&out, "PIVAULT_VAULT='%s' PIVAULT_USER=clerk PIVAULT_PASSWORD_FILE='%s' "
		     "'%s' user list </dev/null 2>'%s'", f->dir, pw, prog, errf);
	pvt_keep(out);
	char *err = pvt_keep(pvt_read_file(errf, NULL));
	assert_non_null(err);
	if (st == 0 || !strstr(err, "users row 'clerk' fails its integrity check"))
		fail_msg("user list as the clerk made admin: exit %d, stderr: %s", st, err);
	assert_null(strstr(out ? out : "", "dpo"));
}

/* Every column that grants or limits access, edited one at a time. */
static void test_each_user_column(void **state)
{
	struct fx *f = *state;
	static const char *const edits[] = {
		"UPDATE users SET disabled=1-disabled WHERE name='clerk'",
		"UPDATE users SET agreement='2000-01-01' WHERE name='clerk'",
		"UPDATE users SET training='2099-01-01' WHERE name='clerk'",
		"UPDATE users SET training_expires='2099-12-31' WHERE name='clerk'",
		"UPDATE users SET created='1999-01-01T00:00:00Z' WHERE name='clerk'",
	};
	for (size_t i = 0; i < sizeof edits / sizeof *edits; i++) {
		assert_int_equal(pvt_run(NULL, "rm -rf '%s' '%s/vault.keyring'", f->dir, f->tmp), 0);
		pvt_copy_vault(g_base, f->tmp);
		dba(f->dir, edits[i]);
		char *msg = NULL;
		pv_rc rc = login(f->dir, "clerk", CLERK_PW, &msg);
		if (rc == PV_OK)
			fail_msg("%s: the clerk still logs in", edits[i]);
		if (i > 0) /* disabled set: refused as disabled before the keys are at hand */
			assert_refused(rc, msg, "users row 'clerk' fails its integrity check");
	}
}

/* A disabled user put back as they were before the disable: their old row and its old
 * integrity code together (what a per-row code alone would accept). */
static void test_disable_undone_from_old_copy(void **state)
{
	struct fx *f = *state;
	dba(f->dir, "CREATE TABLE old_users AS SELECT * FROM users WHERE name='clerk';"
		    "CREATE TABLE old_macs AS SELECT * FROM authz_macs WHERE tbl='users' AND "
		    "k='clerk'");
	pv_vault *v = pvt_open_user(f->dir, "admin", ADMIN_PW);
	if (pv_user_disable(v, &ADMIN, "clerk") != PV_OK)
		fail_msg("pv_user_disable: %s", pv_errmsg(v));
	pvt_vclose(v);
	char *msg = NULL;
	assert_int_equal(login(f->dir, "clerk", CLERK_PW, &msg), PV_ERR_DENIED);
	dba(f->dir, PUT_BACK_USERS);
	pv_rc rc = login(f->dir, "clerk", CLERK_PW, &msg);
	assert_refused(rc, msg, "the users table fails its integrity check");
	assert_int_equal(tampered_entries(f->dir, "users table"), 1);
}

/* One table put back whole from an older copy (its rows, codes and seal) while the others
 * went on: the clerk's disable undone with the users table of before. */
static void test_users_table_put_back_whole(void **state)
{
	struct fx *f = *state;
	dba(f->dir, "CREATE TABLE old_users AS SELECT * FROM users;"
		    "CREATE TABLE old_macs AS SELECT * FROM authz_macs WHERE tbl='users' OR "
		    "(tbl='#seal' AND k='users')");
	pv_vault *v = pvt_open_user(f->dir, "admin", ADMIN_PW);
	if (pv_user_disable(v, &ADMIN, "clerk") != PV_OK)
		fail_msg("pv_user_disable: %s", pv_errmsg(v));
	pvt_vclose(v);
	dba(f->dir, "DELETE FROM users; INSERT INTO users SELECT * FROM old_users;"
		    "DELETE FROM authz_macs WHERE tbl='users' OR (tbl='#seal' AND k='users');"
		    "INSERT INTO authz_macs SELECT * FROM old_macs");
	char *msg = NULL;
	pv_rc rc = login(f->dir, "clerk", CLERK_PW, &msg);
	assert_refused(rc, msg, "another authorisation table, was put back from an older copy");
}

/* Integrity codes swapped between two users, or one user's row and code copied over
 * another's: a code is bound to its row key. */
static void test_codes_moved_between_users(void **state)
{
	struct fx *f = *state;
	dba(f->dir, "UPDATE authz_macs SET mac = (SELECT mac FROM authz_macs WHERE tbl='users' "
		    "AND k='dpo') WHERE tbl='users' AND k='clerk'");
	char *msg = NULL;
	pv_rc rc = login(f->dir, "clerk", CLERK_PW, &msg);
	assert_refused(rc, msg, "users row 'clerk'");

	assert_int_equal(pvt_run(NULL, "rm -rf '%s' '%s/vault.keyring'", f->dir, f->tmp), 0);
	pvt_copy_vault(g_base, f->tmp);
	/* admin's roles and code given to the clerk's row */
	dba(f->dir, "UPDATE users SET roles=(SELECT roles FROM users WHERE name='admin') "
		    "WHERE name='clerk';"
		    "UPDATE authz_macs SET mac=(SELECT mac FROM authz_macs WHERE tbl='users' AND "
		    "k='admin') WHERE tbl='users' AND k='clerk'");
	rc = login(f->dir, "clerk", CLERK_PW, &msg);
	assert_refused(rc, msg, "users row 'clerk'");
	/* and listing users refuses too, naming the row */
	pv_vault *v = pvt_open_root(f->dir, NULL, g_key_path);
	assert_int_equal(pv_user_list(v, &ADMIN, 0, ignore_user, NULL) == PV_OK, 0);
	assert_non_null(strstr(pv_errmsg(v), "users row 'clerk'"));
	pvt_vclose(v);
}

/* Every integrity code dropped with its table (pivault makes the table again, empty): no
 * table has its seal, so nothing protected is read. PostgreSQL's store makes no table
 * again at open: there the dropped table is refused by name, then the DBA puts back the
 * empty table SQLite's pivault would have made, which must be refused as on SQLite. */
static void test_codes_dropped(void **state)
{
	struct fx *f = *state;
	char *msg = NULL;
	pv_rc rc;
	if (pvt_dba_pg(f->dir)) {
		dba(f->dir, "CREATE TABLE empty_macs (LIKE authz_macs INCLUDING ALL)");
		dba(f->dir, "DROP TABLE authz_macs");
		rc = login(f->dir, "clerk", CLERK_PW, &msg);
		assert_refused(rc, msg, "authz_macs");
		dba(f->dir, "ALTER TABLE empty_macs RENAME TO authz_macs");
	} else {
		dba(f->dir, "DROP TABLE authz_macs");
	}
	rc = login(f->dir, "clerk", CLERK_PW, &msg);
	assert_refused(rc, msg, "fails its integrity check");
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(g_key_path, &key), PV_OK);
	pv_vault *v = NULL;
	rc = pv_vault_open(f->dir, NULL, key, &v);
	pv_key_free(key);
	assert_refused(rc, pv_errmsg(v), "settings row 'schema' fails its integrity check");
	pv_vault_close(v);
}

/* ---- a handle that stays open (a server's) ------------------------------------------ */

/* A server's handle on the vault, as `pivault serve` keeps one for many requests. */
static pv_vault *server_handle(const char *dir)
{
	pv_vault *v = pvt_open_root(dir, NULL, g_key_path);
	if (pv_vault_serve(v) != PV_OK)
		fail_msg("pv_vault_serve: %s", pv_errmsg(v));
	return v;
}

/* One request in the session of token on the server's handle: its rc, the handle's
 * message in *msg (kept). */
static pv_rc request_in(pv_vault *srv, const char *token, char **msg)
{
	pv_rc rc = pv_session_enter(srv, token);
	*msg = pvt_keep(strdup(pv_errmsg(srv)));
	if (rc == PV_OK && pv_session_leave(srv) != PV_OK)
		fail_msg("pv_session_leave: %s", pv_errmsg(srv));
	return rc;
}

static char *session_of(pv_vault *srv, const char *user, const char *pw)
{
	char *token = NULL;
	if (pv_session_create(srv, user, pw, strlen(pw), 600, &token) != PV_OK)
		fail_msg("pv_session_create(%s): %s", user, pv_errmsg(srv));
	return pvt_keep(token);
}

/* The disable undone from an older copy while a server's handle stays open: the handle had
 * verified the users table (before and after the disable), and what it remembers must not
 * let the older row and code through. */
static void test_open_handle_disable_undone(void **state)
{
	struct fx *f = *state;
	dba(f->dir, "CREATE TABLE old_users AS SELECT * FROM users WHERE name='clerk';"
		    "CREATE TABLE old_macs AS SELECT * FROM authz_macs WHERE tbl='users' AND "
		    "k='clerk'");
	pv_vault *srv = server_handle(f->dir);
	char *token = session_of(srv, "clerk", CLERK_PW), *msg = NULL;
	assert_int_equal(request_in(srv, token, &msg), PV_OK);
	pv_vault *a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	if (pv_user_disable(a, &ADMIN, "clerk") != PV_OK)
		fail_msg("pv_user_disable: %s", pv_errmsg(a));
	pvt_vclose(a);
	assert_int_equal(request_in(srv, token, &msg), PV_ERR_DENIED); /* seen at once */
	dba(f->dir, PUT_BACK_USERS);
	pv_rc rc = request_in(srv, token, &msg);
	assert_refused(rc, msg, "the users table fails its integrity check");
	pvt_vclose(srv);
}

/* Codes edited and rows removed with their codes, seals left, while a server's handle
 * stays open: another user's code edited is found when that user's row is read, and a
 * removed user is not taken for one that never existed. */
static void test_open_handle_rows_removed(void **state)
{
	struct fx *f = *state;
	pv_vault *srv = server_handle(f->dir);
	char *clerk = session_of(srv, "clerk", CLERK_PW), *dpo = session_of(srv, "dpo", DPO_PW);
	char *msg = NULL;
	assert_int_equal(request_in(srv, clerk, &msg), PV_OK);
	assert_int_equal(request_in(srv, dpo, &msg), PV_OK);
	dba(f->dir, "UPDATE authz_macs SET mac = (SELECT mac FROM authz_macs WHERE tbl='users' "
		    "AND k='admin') WHERE tbl='users' AND k='dpo'");
	assert_int_equal(request_in(srv, clerk, &msg), PV_OK); /* the clerk's row is as it was */
	pv_rc rc = request_in(srv, dpo, &msg);
	assert_refused(rc, msg, "users row 'dpo'");
	dba(f->dir, "DELETE FROM users WHERE name='clerk';"
		    "DELETE FROM authz_macs WHERE tbl='users' AND k='clerk'");
	rc = request_in(srv, clerk, &msg); /* not taken for a user who never was */
	assert_refused(rc, msg, "the users table fails its integrity check");
	pvt_vclose(srv);
}

/* ---- requests ---------------------------------------------------------------------- */

/* Ask on a for a clear export of everything: the export stops for approval; the rc of
 * recording the request. */
static pv_rc ask_export(pv_vault *a, char **id)
{
	pv_access clear_all = { "admin", "all", 1 };
	char *text = NULL;
	size_t len = 0;
	pv_rc rc = pv_request_begin(a, "audit", 0, NULL);
	FILE *out = open_memstream(&text, &len);
	if (!rc && (rc = pv_export(a, &clear_all, PV_EXPORT_CSV, out)) == PV_REQUESTED)
		rc = pv_request_submit(a, id);
	fclose(out);
	free(text);
	return rc;
}

static char *make_request(const char *dir)
{
	pv_vault *a = pvt_open_user(dir, "admin", ADMIN_PW);
	char *id = NULL;
	if (ask_export(a, &id) != PV_OK)
		fail_msg("asking for an export: %s", pv_errmsg(a));
	pvt_vclose(a);
	return pvt_keep(id);
}

/* A DBA approves a request by setting its state. */
static void test_request_approved_by_sql(void **state)
{
	struct fx *f = *state;
	char *id = make_request(f->dir), sql[200];
	snprintf(sql, sizeof sql, "UPDATE requests SET state='approved', approver='dpo', "
		 "decided='2026-01-01T00:00:00Z' WHERE id='%s'", id);
	dba(f->dir, sql);
	pv_vault *a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	pv_rc rc = pv_vault_use_request(a, id);
	char want[80];
	snprintf(want, sizeof want, "requests row '%s' fails its integrity check", id);
	assert_refused(rc, pv_errmsg(a), want);
	pvt_vclose(a);
}

/* A request removed: alone (its code left), or with its code; the next list, or the next
 * request made, is refused and audited. */
static void test_request_deleted(void **state)
{
	struct fx *f = *state;
	char *id = make_request(f->dir), sql[300];
	snprintf(sql, sizeof sql, "DELETE FROM requests WHERE id='%s'", id);
	dba(f->dir, sql);
	pv_vault *a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	pv_rc rc = pv_request_list(a, NULL, ignore_request, NULL);
	char want[80];
	snprintf(want, sizeof want, "requests row '%s' fails its integrity check: removed", id);
	assert_refused(rc, pv_errmsg(a), want);
	pvt_vclose(a);

	snprintf(sql, sizeof sql, "DELETE FROM authz_macs WHERE tbl='requests' AND k='%s'", id);
	dba(f->dir, sql);
	a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	char *id2 = NULL;
	rc = ask_export(a, &id2);
	pv_free(id2);
	assert_refused(rc, pv_errmsg(a), "the requests table fails its integrity check");
	pvt_vclose(a);
	assert_true(tampered_entries(f->dir, "requests table") >= 1);
}

/* A used approval put back as it was when approved (row and code from an earlier copy):
 * the table's seal sees it. */
static void test_used_request_replayed(void **state)
{
	struct fx *f = *state;
	char *id = make_request(f->dir), sql[400];
	pv_vault *d = pvt_open_user(f->dir, "dpo", DPO_PW);
	if (pv_request_decide(d, NULL, id, 1, NULL) != PV_OK)
		fail_msg("approve: %s", pv_errmsg(d));
	pvt_vclose(d);
	snprintf(sql, sizeof sql, "CREATE TABLE old_req AS SELECT * FROM requests WHERE id='%s';"
		 "CREATE TABLE old_mac AS SELECT * FROM authz_macs WHERE tbl='requests' AND k='%s'",
		 id, id);
	dba(f->dir, sql);
	pv_vault *a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	if (pv_vault_use_request(a, id) != PV_OK)
		fail_msg("use: %s", pv_errmsg(a));
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	pv_access clear_all = { "admin", "all", 1 };
	pv_rc rc = pv_export(a, &clear_all, PV_EXPORT_CSV, out);
	fclose(out);
	free(text);
	if (rc)
		fail_msg("export: %s", pv_errmsg(a));
	pvt_vclose(a);
	dba(f->dir, "DELETE FROM requests WHERE id IN (SELECT id FROM old_req);"
		    "INSERT INTO requests SELECT * FROM old_req;"
		    "DELETE FROM authz_macs WHERE (tbl, k) IN (SELECT tbl, k FROM old_mac);"
		    "INSERT INTO authz_macs SELECT * FROM old_mac");
	a = pvt_open_user(f->dir, "admin", ADMIN_PW);
	rc = pv_vault_use_request(a, id);
	assert_refused(rc, pv_errmsg(a), "the requests table fails its integrity check");
	pvt_vclose(a);
}

/* ---- holds ------------------------------------------------------------------------- */

static void place_hold(const char *dir, const char *id)
{
	pv_vault *v = pvt_open_root(dir, NULL, g_key_path);
	const char *ids[] = { id };
	if (pv_hold_add(v, &ADMIN, ids, 1, "litigation") != PV_OK)
		fail_msg("pv_hold_add: %s", pv_errmsg(v));
	pvt_vclose(v);
}

static pv_rc shred_one(const char *dir, const char *id, char **msg)
{
	pv_vault *v = pvt_open_root(dir, NULL, g_key_path);
	const char *ids[] = { id };
	char *cert = NULL;
	pv_rc rc = pv_shred(v, &ADMIN, ids, 1, &cert);
	pv_free(cert);
	*msg = pvt_keep(strdup(pv_errmsg(v)));
	pvt_vclose(v);
	return rc;
}

/* The hold row deleted, then the customer shredded. */
static void test_hold_deleted_then_shred(void **state)
{
	struct fx *f = *state;
	place_hold(f->dir, "C00000002");
	char *msg = NULL;
	assert_int_equal(shred_one(f->dir, "C00000002", &msg), PV_ERR_DENIED);
	dba(f->dir, "DELETE FROM holds WHERE customer='C00000002'");
	pv_rc rc = shred_one(f->dir, "C00000002", &msg);
	assert_refused(rc, msg, "holds row '1' fails its integrity check: removed outside pivault");
	assert_true(tampered_entries(f->dir, "holds row '1'") >= 1);
}

/* The same with the hold's integrity code deleted too, or the hold marked released. */
static void test_hold_and_code_deleted(void **state)
{
	struct fx *f = *state;
	place_hold(f->dir, "C00000003");
	dba(f->dir, "DELETE FROM holds WHERE customer='C00000003';"
		    "DELETE FROM authz_macs WHERE tbl='holds'");
	char *msg = NULL;
	pv_rc rc = shred_one(f->dir, "C00000003", &msg);
	assert_refused(rc, msg,
		       "the holds table fails its integrity check");
	assert_int_equal(pvt_run(NULL, "rm -rf '%s' '%s/vault.keyring'", f->dir, f->tmp), 0);
	pvt_copy_vault(g_base, f->tmp);
	place_hold(f->dir, "C00000003");
	dba(f->dir, "UPDATE holds SET released='2026-01-01T00:00:00Z', released_by='dpo'");
	rc = shred_one(f->dir, "C00000003", &msg);
	assert_refused(rc, msg,
		       "holds row '1' fails its integrity check: edited outside pivault");
}

/* ---- settings ---------------------------------------------------------------------- */

/* The stored schema (the role definitions) edited: the vault does not open. */
static void test_schema_edited(void **state)
{
	struct fx *f = *state;
	if (pvt_dba_pg(f->dir)) /* v is a bytea there */
		dba(f->dir, "UPDATE meta SET v = v || x'0A' WHERE k='schema'");
	else
		dba(f->dir, "UPDATE meta SET v = CAST(CAST(v AS TEXT) || X'0A' AS BLOB) "
		    "WHERE k='schema'");
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(g_key_path, &key), PV_OK);
	pv_vault *v = NULL;
	pv_rc rc = pv_vault_open(f->dir, NULL, key, &v);
	pv_key_free(key);
	assert_refused(rc, pv_errmsg(v), "settings row 'schema' fails its integrity check");
	pv_vault_close(v);
	char *msg = NULL;
	rc = login(f->dir, "dpo", DPO_PW, &msg);
	assert_refused(rc, msg, "settings row 'schema'");
}

struct alerts {
	int n;
};

static int count_alert(void *ctx, const pv_audit_alert *a)
{
	(void)a;
	((struct alerts *)ctx)->n++;
	return 0;
}

/* The alert threshold raised, or reset to its default by deleting it. */
static void test_threshold_edited(void **state)
{
	struct fx *f = *state;
	pv_vault *v = pvt_open_root(f->dir, NULL, g_key_path);
	assert_int_equal(pv_audit_set_alert_threshold(v, &ADMIN, 3), PV_OK);
	struct alerts al = { 0 };
	assert_int_equal(pv_audit_alerts(v, &ADMIN, count_alert, &al), PV_OK);
	pvt_vclose(v);
	dba(f->dir, "UPDATE meta SET v='1000000' WHERE k='alert_reads_per_hour'");
	v = pvt_open_root(f->dir, NULL, g_key_path);
	pv_rc rc = pv_audit_alerts(v, &ADMIN, count_alert, &al);
	assert_refused(rc, pv_errmsg(v), "settings row 'alert_reads_per_hour' fails its "
		       "integrity check");
	pvt_vclose(v);
	dba(f->dir, "DELETE FROM meta WHERE k='alert_reads_per_hour'");
	v = pvt_open_root(f->dir, NULL, g_key_path);
	rc = pv_audit_alerts(v, &ADMIN, count_alert, &al);
	assert_refused(rc, pv_errmsg(v), "settings row 'alert_reads_per_hour' fails its "
		       "integrity check: removed");
	pvt_vclose(v);
	assert_true(tampered_entries(f->dir, "alert_reads_per_hour") >= 2);
}

/* ---- key rotation ------------------------------------------------------------------ */

/* pv_authz_rekey moves every code to a new key: checked under it afterwards, and a row
 * edited before the rotation is refused rather than re-coded. */
static void test_rekey_codes(void **state)
{
	struct fx *f = *state;
	place_hold(f->dir, "C00000004");
	pv_vault *v = pvt_open_root(f->dir, NULL, g_key_path);
	uint8_t old_key[PV_KEY_BYTES], new_key[PV_KEY_BYTES];
	memcpy(old_key, v->keys->authz_mac, sizeof old_key);
	pv_random(new_key, sizeof new_key);
	assert_int_equal(pv_vault_batch_begin(v), PV_OK);
	assert_int_equal(pv_authz_rekey(v, old_key, new_key), PV_OK);
	assert_int_equal(pv_vault_batch_end(v, 1), PV_OK);
	assert_int_equal(pv_authz_check_all(v), PV_OK);
	memcpy(v->keys->authz_mac, old_key, sizeof old_key); /* the old key: nothing passes */
	assert_int_equal(pv_authz_check_all(v), PV_ERR_CORRUPT);
	memcpy(v->keys->authz_mac, new_key, sizeof new_key);

	dba(f->dir, "UPDATE users SET roles='admin' WHERE name='clerk'");
	assert_int_equal(pv_vault_batch_begin(v), PV_OK);
	assert_int_equal(pv_authz_rekey(v, new_key, old_key), PV_ERR_CORRUPT);
	assert_non_null(strstr(pv_errmsg(v), "users row 'clerk'"));
	assert_int_equal(pv_vault_batch_end(v, 0), PV_OK);
	assert_memory_equal(v->keys->authz_mac, new_key, sizeof new_key); /* not rotated */
	pvt_vclose(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_clerk_made_admin, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_clerk_made_admin_cli, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_each_user_column, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_disable_undone_from_old_copy, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_users_table_put_back_whole, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_codes_moved_between_users, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_codes_dropped, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_open_handle_disable_undone, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_open_handle_rows_removed, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_request_approved_by_sql, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_request_deleted, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_used_request_replayed, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_hold_deleted_then_shred, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_hold_and_code_deleted, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_schema_edited, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_threshold_edited, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rekey_codes, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
