/* SPDX-License-Identifier: Apache-2.0 */
/* test_sessions.c: the server's sessions (src/sessions.c) on a handle opened with the root
 * secret: signing in with the right password, a wrong one and an unknown name (one
 * message, each audited), the lock-out, a session acting exactly as its user (a clerk sees
 * masked values, a role without 'read' is refused naming it, every use audited under the
 * user), nothing acted for outside a session, expiry, signing out, and a DBA's edits of
 * the sessions table (moving a session to another user, a later expiry, a reset count of
 * clear reads) refused. The token itself is nowhere in the database. A server's
 * rate-limit refusals are audited by pv_audit_rate_limited: under an existing user, or
 * "(unknown)" for any other name (a password typed as a name is not written), from fixed
 * words only, and only on a server's handle. */
#include "dba.h"
#include "store_bytes.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pivault.h"

static const char PW[] = "session-password-1";

struct fx {
	char *tmp, *dir, *key;
	pv_vault *srv; /* the server's handle */
};

static pv_vault *open_root(const char *dir, const char *key_path)
{
	return pvt_open_root(dir, NULL, key_path);
}

/* Users: clerk (clerk, obligations met), aud (auditor), adm (admin). */
static void add_users(pv_vault *root)
{
	pv_access admin = { "admin", NULL, PV_WANT_MASKED };
	const char *users[][2] = { { "clerk1", "clerk" }, { "aud", "auditor" }, { "adm", "admin" } };
	for (size_t i = 0; i < 3; i++)
		assert_ok(root, pvt_user_add(root, &admin, users[i][0], users[i][1], PW, strlen(PW)));
	char today[16];
	time_t now = time(NULL);
	strftime(today, sizeof today, "%Y-%m-%d", gmtime(&now));
	assert_ok(root, pv_user_attest(root, &admin, "clerk1", today, today, NULL));
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	f->tmp = pvt_tempdir();
	f->dir = pvt_path(f->tmp, "vault");
	f->key = pvt_path(f->tmp, "root.key");
	pv_vault *root = pvt_sample_vault(f->dir, f->key, 3, 7, NULL);
	add_users(root);
	pv_vault_close(root);
	f->srv = open_root(f->dir, f->key);
	assert_ok(f->srv, pv_vault_serve(f->srv));
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
	free(f->key);
	free(f);
	return 0;
}

static int append_line(void *ctx, const pv_audit_entry *e)
{
	char **buf = ctx;
	size_t n = strlen(*buf);
	char line[300];
	int len = snprintf(line, sizeof line, "%s|%s|%s|%s\n", e->user, e->op, e->outcome,
			   e->detail ? e->detail : "");
	*buf = realloc(*buf, n + (size_t)len + 1);
	memcpy(*buf + n, line, (size_t)len + 1);
	return 0;
}

static char *audit_lines(struct fx *f)
{
	pv_vault *root = open_root(f->dir, f->key);
	char *buf = calloc(1, 1);
	pv_access admin = { "admin", NULL, PV_WANT_MASKED };
	assert_ok(root, pv_audit_log(root, &admin, NULL, append_line, &buf));
	pvt_vclose(root);
	return buf;
}

static char *sign_in(struct fx *f, const char *user)
{
	char *token = NULL;
	assert_ok(f->srv, pv_session_create(f->srv, user, PW, strlen(PW), 600, &token));
	assert_non_null(token);
	assert_int_equal(strlen(token), PV_SESSION_TOKEN_CHARS);
	return token;
}

static void test_sign_in_one_message(void **state)
{
	struct fx *f = *state;
	char *token = sign_in(f, "clerk1");
	char wrong[256], unknown[256];
	char *t2 = NULL;
	assert_int_equal(pv_session_create(f->srv, "clerk1", "nope-nope-1", 11, 600, &t2),
			 PV_ERR_BAD_KEY);
	assert_null(t2);
	snprintf(wrong, sizeof wrong, "%s", pv_errmsg(f->srv));
	assert_int_equal(pv_session_create(f->srv, "nobody", "nope-nope-1", 11, 600, &t2),
			 PV_ERR_BAD_KEY);
	snprintf(unknown, sizeof unknown, "%s", pv_errmsg(f->srv));
	assert_string_equal(wrong, unknown);
	assert_string_equal(pv_vault_user(f->srv), "(no session)");
	char *log = audit_lines(f);
	assert_non_null(strstr(log, "clerk1|sign in|ok|session "));
	assert_non_null(strstr(log, "clerk1|login|failed|wrong password (1 in a row)"));
	assert_non_null(strstr(log, "nobody|login|failed|unknown user"));
	free(log);
	free(token);
}

static void test_lockout(void **state)
{
	struct fx *f = *state;
	char *t = NULL;
	for (int i = 0; i < 5; i++)
		assert_int_equal(pv_session_create(f->srv, "aud", "wrong-pass", 10, 600, &t),
				 PV_ERR_BAD_KEY);
	assert_rc_msg(f->srv, pv_session_create(f->srv, "aud", PW, strlen(PW), 600, &t),
		      PV_ERR_DENIED, "locked until");
	assert_null(t);
}

/* The clerk's session reads masked; outside the session the handle reads nothing. */
static void test_session_acts_as_user(void **state)
{
	struct fx *f = *state;
	char *token = sign_in(f, "clerk1");
	pv_access clear = { NULL, "service", PV_WANT_CLEAR };
	pv_record *r = NULL;
	assert_rc_msg(f->srv, pv_get(f->srv, &clear, "C00000001", &r), PV_ERR_DENIED,
		      "role");
	assert_ok(f->srv, pv_session_enter(f->srv, token));
	assert_string_equal(pv_vault_user(f->srv), "clerk1");
	assert_ok(f->srv, pv_get(f->srv, &clear, "C00000001", &r));
	for (size_t i = 0; i < pv_record_field_count(r); i++)
		if (strcmp(pv_record_field_name(r, i), "phone") == 0)
			assert_int_equal(pv_record_field_view(r, i), PV_SHOWN_MASKED);
	pv_record_free(r);
	assert_ok(f->srv, pv_session_leave(f->srv));
	assert_string_equal(pv_vault_user(f->srv), "(no session)");
	char *log = audit_lines(f);
	assert_non_null(strstr(log, "clerk1|session|ok|token used (session "));
	assert_non_null(strstr(log, "clerk1|read|ok|"));
	free(log);
	free(token);
}

static void test_role_without_read(void **state)
{
	struct fx *f = *state;
	char *token = sign_in(f, "aud");
	assert_ok(f->srv, pv_session_enter(f->srv, token));
	pv_access who = { NULL, "service", PV_WANT_MASKED };
	pv_record *r = NULL;
	assert_rc_msg(f->srv, pv_get(f->srv, &who, "C00000001", &r), PV_ERR_DENIED,
		      "permission 'read'");
	char *report = NULL;
	assert_ok(f->srv, pv_audit_verify(f->srv, NULL, NULL, &report));
	pv_free(report);
	assert_ok(f->srv, pv_session_leave(f->srv));
	free(token);
}

static void test_expiry(void **state)
{
	struct fx *f = *state;
	char *token = NULL;
	assert_ok(f->srv, pv_session_create(f->srv, "clerk1", PW, strlen(PW), 1, &token));
	sleep(2);
	assert_rc_msg(f->srv, pv_session_enter(f->srv, token), PV_ERR_DENIED, "not valid");
	assert_string_equal(pv_vault_user(f->srv), "(no session)");
	char *log = audit_lines(f);
	assert_non_null(strstr(log, "clerk1|session|denied|expired token"));
	free(log);
	free(token);
}

static void test_sign_out(void **state)
{
	struct fx *f = *state;
	char *token = sign_in(f, "clerk1");
	assert_ok(f->srv, pv_session_enter(f->srv, token));
	assert_ok(f->srv, pv_session_end(f->srv));
	assert_rc_msg(f->srv, pv_session_enter(f->srv, token), PV_ERR_DENIED, "not valid");
	char bad[PV_SESSION_TOKEN_CHARS + 1];
	memset(bad, 'a', PV_SESSION_TOKEN_CHARS);
	bad[PV_SESSION_TOKEN_CHARS] = '\0';
	assert_rc_msg(f->srv, pv_session_enter(f->srv, bad), PV_ERR_DENIED, "not valid");
	assert_rc_msg(f->srv, pv_session_enter(f->srv, "x"), PV_ERR_DENIED, "not valid");
	char *log = audit_lines(f);
	assert_non_null(strstr(log, "clerk1|sign out|ok|session "));
	assert_non_null(strstr(log, "(unknown session)|session|denied|unknown or signed-out token"));
	assert_non_null(strstr(log, "(unknown session)|session|denied|malformed token"));
	free(log);
	free(token);
}

/* A DBA runs one statement on the vault's store (either backend), changing one row: each
 * %s in the statement is the sessions' user column (`user`, `user_name` in PostgreSQL). */
static void dba(struct fx *f, const char *statement)
{
	const char *user = pvt_dba_pg(f->dir) ? "user_name" : "user";
	char sql[256], *rows = NULL;
	snprintf(sql, sizeof sql, statement, user, user);
	if (pvt_dba(&rows, f->dir, "%s RETURNING 1", sql) != 0)
		fail_msg("the DBA's statement failed: %s", sql);
	assert_string_equal(rows, "1\n");
	free(rows);
}

/* Attack: a DBA with a clerk's session moves it to an administrator; variant: gives it a
 * later expiry; variant: resets its count of clear reads (the bulk limit). */
static void test_dba_edits_refused(void **state)
{
	struct fx *f = *state;
	const char *edits[] = {
		"UPDATE sessions SET %s = 'adm' WHERE %s = 'clerk1'",
		"UPDATE sessions SET expires = expires + 86400 WHERE %s = 'clerk1'",
		"UPDATE sessions SET clear_shown = 0 WHERE %s = 'clerk1'",
	};
	for (size_t i = 0; i < 3; i++) {
		char *token = sign_in(f, "clerk1");
		if (i == 2) { /* the session was shown one customer in clear */
			assert_ok(f->srv, pv_session_enter(f->srv, token));
			pv_access clear = { NULL, "service", PV_WANT_CLEAR };
			pv_record *r = NULL;
			assert_ok(f->srv, pv_get(f->srv, &clear, "C00000002", &r));
			pv_record_free(r);
			assert_ok(f->srv, pv_session_leave(f->srv));
		}
		dba(f, edits[i]);
		assert_rc_msg(f->srv, pv_session_enter(f->srv, token), PV_ERR_DENIED, "not valid");
		assert_string_equal(pv_vault_user(f->srv), "(no session)");
		dba(f, "DELETE FROM sessions WHERE %s IN ('clerk1', 'adm')");
		free(token);
	}
	char *log = audit_lines(f);
	assert_non_null(strstr(log, "|session|denied|session row altered outside pivault"));
	free(log);
}

/* n reads in clear of one customer in the session entered on v. */
static void clear_reads(pv_vault *v, int n)
{
	pv_access clear = { NULL, "service", PV_WANT_CLEAR };
	for (int i = 0; i < n; i++) {
		pv_record *r = NULL;
		assert_ok(v, pv_get(v, &clear, "C00000001", &r));
		pv_record_free(r);
	}
}

/* The bulk limit of clear reads (100) counts per session, across its requests and across
 * the server's handles acting in it at once: entering anew does not start again at 0. */
static void test_bulk_limit_per_session(void **state)
{
	struct fx *f = *state;
	pv_vault *other = open_root(f->dir, f->key); /* a second worker thread's handle */
	assert_ok(other, pv_vault_serve(other));
	char *token = sign_in(f, "clerk1");
	assert_ok(f->srv, pv_session_enter(f->srv, token));
	assert_ok(other, pv_session_enter(other, token));
	clear_reads(f->srv, 60);
	clear_reads(other, 40);
	assert_ok(f->srv, pv_session_leave(f->srv));
	assert_ok(other, pv_session_leave(other));
	assert_ok(f->srv, pv_session_enter(f->srv, token));
	pv_access clear = { NULL, "service", PV_WANT_CLEAR };
	pv_record *r = NULL;
	assert_rc_msg(f->srv, pv_get(f->srv, &clear, "C00000001", &r), PV_ERR_DENIED,
		      "bulk limit");
	pv_access masked = { NULL, "service", PV_WANT_MASKED }; /* masked reads go on */
	assert_ok(f->srv, pv_get(f->srv, &masked, "C00000001", &r));
	pv_record_free(r);
	assert_ok(f->srv, pv_session_leave(f->srv));
	free(token);
}

/* A user disabled while signed in: the next use of the token is refused (roles and state
 * are read again at every entry), and signing in again too. */
static void test_disabled_user_session_ends(void **state)
{
	struct fx *f = *state;
	char *token = sign_in(f, "clerk1");
	pv_vault *root = open_root(f->dir, f->key);
	pv_access admin = { "admin", NULL, PV_WANT_MASKED };
	assert_ok(root, pv_user_disable(root, &admin, "clerk1"));
	assert_rc_msg(f->srv, pv_session_enter(f->srv, token), PV_ERR_DENIED, "not valid");
	assert_string_equal(pv_vault_user(f->srv), "(no session)");
	char *t2 = NULL;
	assert_rc_msg(f->srv, pv_session_create(f->srv, "clerk1", PW, strlen(PW), 60, &t2),
		      PV_ERR_DENIED, "disabled");
	assert_null(t2);
	char *log = audit_lines(f);
	assert_non_null(strstr(log, "clerk1|session|denied|user disabled"));
	free(log);
	free(token);
}

/* A user's credentials reset (they leaked) while signed in: every session of the user
 * ends, so whoever took a session token has nothing left; other users' go on. */
static void test_reset_user_sessions_end(void **state)
{
	struct fx *f = *state;
	char *token = sign_in(f, "clerk1"), *other = sign_in(f, "aud");
	assert_ok(f->srv, pv_session_enter(f->srv, token)); /* it works before the reset */
	assert_ok(f->srv, pv_session_leave(f->srv));
	pv_vault *root = open_root(f->dir, f->key);
	pv_access admin = { "admin", NULL, PV_WANT_MASKED };
	char *halves = NULL;
	assert_ok(root, pv_user_reset(root, &admin, "clerk1", &halves));
	pv_free(halves);
	struct timespec nap = { 0, 40 * 1000000L }; /* past a lingering read (20 ms) */
	nanosleep(&nap, NULL);
	assert_rc_msg(f->srv, pv_session_enter(f->srv, token), PV_ERR_DENIED, "not valid");
	assert_ok(f->srv, pv_session_enter(f->srv, other));
	assert_ok(f->srv, pv_session_leave(f->srv));
	free(token);
	free(other);
}

/* The token is stored only as a keyed hash: neither it nor its bytes are in the store (the
 * SQLite file and its log, or every value of the vault's PostgreSQL schema). */
static void test_token_not_stored(void **state)
{
	struct fx *f = *state;
	char *token = sign_in(f, "clerk1");
	pvt_vclose(f->srv);
	f->srv = NULL;
	uint8_t raw[32];
	for (int i = 0; i < 32; i++)
		sscanf(token + 2 * i, "%2hhx", &raw[i]);
	assert_false(pvt_store_holds(f->dir, token, strlen(token)));
	assert_false(pvt_store_holds(f->dir, raw, sizeof raw));
	assert_true(pvt_store_holds(f->dir, "clerk1", 6)); /* the scan sees the users */
	free(token);
}

/* A handle opened as a user cannot serve, and sessions need a served handle. */
static void test_serve_needs_root(void **state)
{
	struct fx *f = *state;
	pv_vault *u = pvt_open_user(f->dir, "clerk1", PW);
	assert_rc_msg(u, pv_vault_serve(u), PV_ERR_USAGE, "root secret");
	char *t = NULL;
	assert_rc_msg(u, pv_session_create(u, "clerk1", PW, strlen(PW), 60, &t), PV_ERR_USAGE,
		      "server's handle");
	pv_vault *root = open_root(f->dir, f->key);
	assert_rc_msg(root, pv_session_enter(root, "x"), PV_ERR_USAGE, "server's handle");
}

static void test_rate_limited_entries(void **state)
{
	struct fx *f = *state;
	assert_ok(f->srv, pv_audit_rate_limited(f->srv, "aud", PV_LIMIT_SIGN_IN_USER, "private",
						 3));
	assert_ok(f->srv, pv_audit_rate_limited(f->srv, "Tr0ub4dor&3", PV_LIMIT_SIGN_IN_ADDRESS,
						 "10.1.2.3", 1));
	char *token = sign_in(f, "clerk1");
	assert_ok(f->srv, pv_session_enter(f->srv, token));
	assert_ok(f->srv, pv_audit_rate_limited(f->srv, pv_vault_user(f->srv), PV_LIMIT_READS,
						 "public", 7));
	assert_string_equal(pv_vault_user(f->srv), "clerk1");
	assert_ok(f->srv, pv_session_leave(f->srv));
	assert_rc_msg(f->srv, pv_audit_rate_limited(f->srv, "aud", PV_LIMIT_READS, "public", 0),
		      PV_ERR_USAGE, "at least one refusal");
	assert_rc_msg(f->srv, pv_audit_rate_limited(f->srv, "aud", (pv_rate_limit)9, "public",
						     1), PV_ERR_USAGE, "known limit");
	pv_vault *root = open_root(f->dir, f->key);
	assert_rc_msg(root, pv_audit_rate_limited(root, "aud", PV_LIMIT_READS, "public", 1),
		      PV_ERR_USAGE, "server's handle");
	pvt_vclose(root);
	char *log = audit_lines(f);
	assert_non_null(strstr(log, "aud|rate-limit|denied|sign-in per user limit: 3 refused "
				    "(address private)\n"));
	assert_non_null(strstr(log, "(unknown)|rate-limit|denied|sign-in per address limit: 1 "
				    "refused (address other)\n"));
	assert_non_null(strstr(log, "clerk1|rate-limit|denied|reads per user limit: 7 refused "
				    "(address public)\n"));
	assert_null(strstr(log, "Tr0ub4dor"));
	assert_null(strstr(log, "10.1.2.3"));
	free(log);
	free(token);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sign_in_one_message, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_lockout, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_session_acts_as_user, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_role_without_read, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_expiry, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_sign_out, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_dba_edits_refused, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_token_not_stored, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bulk_limit_per_session, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_reset_user_sessions_end, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_disabled_user_session_ends, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_serve_needs_root, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rate_limited_entries, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
