/* SPDX-License-Identifier: Apache-2.0 */
/* test_api_tokens.c: API tokens for scripts (src/api_tokens.c) on a server's handle: a
 * token made by an administrator acts as its user with its one role and its purposes
 * only, every use audited under the user naming the token's id; it expires, and once
 * revoked it is refused at once on every handle. Insider attacks: a user without
 * permission 'users' makes or revokes tokens; a token makes tokens; a DBA (SQL on the store)
 * extends a token, widens its role or purposes, moves it to another user, resets its
 * clear-read count, clears its revoked mark, copies back its row from before the
 * revocation (with and without deleting the sealed list of revoked ids), or inserts a
 * row for a token he made up; an administrator in a user session makes a token for another
 * user alone (it takes a second person's approval, bound to user, role, purposes and
 * expiry, and is used once). The secret is nowhere in the store, the audit log or an
 * error message. The command (pivault token) prints the token once, on standard
 * output. */
#include "dba.h"
#include "store_bytes.h"
#include "testutil.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pivault.h"

static const char PW[] = "api-token-password-1";
static const pv_access ADMIN = { "admin", NULL, PV_WANT_MASKED };

struct fx {
	char *tmp, *dir, *key;
	pv_vault *root; /* the administrator's handle (root secret) */
	pv_vault *srv;  /* the server's handle */
};

/* Users: clerk1 (clerk), dp (dpo), multi (admin and clerk), adm (admin); all attested. */
static void add_users(pv_vault *root)
{
	const char *users[][2] = { { "clerk1", "clerk" }, { "dp", "dpo" },
				   { "multi", "admin,clerk" }, { "adm", "admin" } };
	char today[16];
	time_t now = time(NULL);
	strftime(today, sizeof today, "%Y-%m-%d", gmtime(&now));
	for (size_t i = 0; i < 4; i++) {
		assert_ok(root, pvt_user_add(root, &ADMIN, users[i][0], users[i][1], PW,
					     strlen(PW)));
		assert_ok(root, pv_user_attest(root, &ADMIN, users[i][0], today, today, NULL));
	}
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
	f->root = pvt_open_root(f->dir, NULL, f->key);
	f->srv = pvt_open_root(f->dir, NULL, f->key);
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
	char line[1200];
	int len = snprintf(line, sizeof line, "%s|%s|%s|%s\n", e->user, e->op, e->outcome,
			   e->detail ? e->detail : "");
	*buf = realloc(*buf, n + (size_t)len + 1);
	memcpy(*buf + n, line, (size_t)len + 1);
	return 0;
}

static char *audit_lines(struct fx *f)
{
	char *buf = calloc(1, 1);
	assert_ok(f->root, pv_audit_log(f->root, &ADMIN, NULL, append_line, &buf));
	return buf;
}

/* A token for user with role and purposes, lasting ttl seconds; its id into id. */
static char *make(struct fx *f, const char *user, const char *role, const char *purposes,
		  uint32_t ttl, char id[PV_API_TOKEN_ID_CHARS + 1])
{
	char *tid = NULL, *token = NULL;
	assert_ok(f->root, pv_api_token_create(f->root, &ADMIN, user, role, purposes, ttl, &tid,
					       &token));
	assert_int_equal(strlen(token), PV_API_TOKEN_CHARS);
	assert_int_equal(strncmp(token, PV_API_TOKEN_PREFIX, 4), 0);
	assert_int_equal(strlen(tid), PV_API_TOKEN_ID_CHARS);
	if (id)
		snprintf(id, PV_API_TOKEN_ID_CHARS + 1, "%s", tid);
	pv_free(tid);
	return token;
}

static pv_rc read_one(pv_vault *v, const char *role, const char *purpose, pv_want want)
{
	pv_access who = { role, purpose, want };
	pv_record *r = NULL;
	pv_rc rc = pv_get(v, &who, "C00000001", &r);
	pv_record_free(r);
	return rc;
}

/* The token acts as clerk1, masked as a clerk reads; every use is audited under clerk1
 * naming the token's id; outside it the handle acts for nobody. */
static void test_token_acts_as_user(void **state)
{
	struct fx *f = *state;
	char id[17], want[160];
	char *token = make(f, "clerk1", "clerk", "service", 600, id);
	assert_ok(f->srv, pv_session_enter(f->srv, token));
	assert_string_equal(pv_vault_user(f->srv), "clerk1");
	assert_ok(f->srv, read_one(f->srv, NULL, "service", PV_WANT_CLEAR));
	assert_rc_msg(f->srv, pv_session_end(f->srv), PV_ERR_USAGE, "revoke");
	assert_ok(f->srv, pv_session_leave(f->srv));
	assert_string_equal(pv_vault_user(f->srv), "(no session)");
	assert_rc_msg(f->srv, read_one(f->srv, NULL, "service", PV_WANT_MASKED), PV_ERR_DENIED,
		      "role");
	char *log = audit_lines(f);
	snprintf(want, sizeof want, "clerk1|api token|ok|token used (api token %s)", id);
	assert_non_null(strstr(log, want));
	assert_non_null(strstr(log, "clerk1|read|ok|"));
	snprintf(want, sizeof want, "(root key)|api token create|ok|api token %s for clerk1 as "
		 "clerk for service until ", id);
	assert_non_null(strstr(log, want));
	free(log);
	free(token);
}

/* Attack: a script reads with a purpose its token was not given (the role may use it). */
static void test_purpose_outside_scope(void **state)
{
	struct fx *f = *state;
	char *token = make(f, "dp", "dpo", "service", 600, NULL);
	assert_ok(f->srv, pv_session_enter(f->srv, token));
	assert_ok(f->srv, read_one(f->srv, NULL, "service", PV_WANT_MASKED));
	assert_rc_msg(f->srv, read_one(f->srv, NULL, "billing", PV_WANT_MASKED), PV_ERR_DENIED,
		      "may not use purpose 'billing'");
	/* variant: "all" names every purpose at once */
	assert_rc_msg(f->srv, read_one(f->srv, NULL, "all", PV_WANT_MASKED), PV_ERR_DENIED,
		      "may not use purpose 'all'");
	assert_ok(f->srv, pv_session_leave(f->srv));
	char *log = audit_lines(f);
	assert_non_null(strstr(log, "dp|read|denied|API token "));
	free(log);
	free(token);
	/* purposes are checked at creation too: the role's, declared, at least one */
	char *id = NULL, *t = NULL;
	assert_rc_msg(f->root, pv_api_token_create(f->root, &ADMIN, "clerk1", "clerk", "billing",
						   60, &id, &t), PV_ERR_USAGE, "purposes");
	assert_rc_msg(f->root, pv_api_token_create(f->root, &ADMIN, "clerk1", "clerk", "nope", 60,
						   &id, &t), PV_ERR_USAGE, "not a declared purpose");
	assert_rc_msg(f->root, pv_api_token_create(f->root, &ADMIN, "clerk1", "clerk", "", 60,
						   &id, &t), PV_ERR_USAGE, "at least one");
	assert_null(t);
}

static int any_user(void *ctx, const pv_user_info *u)
{
	(void)ctx;
	(void)u;
	return 0;
}

/* A token of user multi (admin and clerk) made with role clerk acts as a clerk only. */
static void test_role_narrower_than_owner(void **state)
{
	struct fx *f = *state;
	char *token = make(f, "multi", "clerk", "service", 600, NULL);
	assert_ok(f->srv, pv_session_enter(f->srv, token));
	assert_rc_msg(f->srv, read_one(f->srv, "admin", "service", PV_WANT_MASKED), PV_ERR_DENIED,
		      "does not have role 'admin'");
	assert_rc_msg(f->srv, pv_user_list(f->srv, NULL, PV_USERS_ALL, any_user, NULL),
		      PV_ERR_DENIED, "users");
	assert_ok(f->srv, read_one(f->srv, NULL, "service", PV_WANT_MASKED));
	assert_ok(f->srv, pv_session_leave(f->srv));
	free(token);
	/* a role the user does not hold is refused at creation */
	char *id = NULL, *t = NULL;
	assert_rc_msg(f->root, pv_api_token_create(f->root, &ADMIN, "clerk1", "admin", "service",
						   60, &id, &t), PV_ERR_USAGE,
		      "does not hold role 'admin'");
}

/* Attack: a script's token, entered, makes a token (for its own user, or an admin). */
static void test_token_cannot_make_tokens(void **state)
{
	struct fx *f = *state;
	char *token = make(f, "adm", "admin", "service", 600, NULL);
	assert_ok(f->srv, pv_session_enter(f->srv, token));
	char *id = NULL, *t = NULL;
	assert_rc_msg(f->srv, pv_api_token_create(f->srv, &ADMIN, "adm", "admin", "service",
						  PV_API_TOKEN_MAX_SECONDS, &id, &t),
		      PV_ERR_DENIED, "an API token cannot make");
	assert_null(t);
	assert_rc_msg(f->srv, pv_api_token_revoke(f->srv, &ADMIN, "0123456789abcdef"),
		      PV_ERR_DENIED, "an API token cannot");
	assert_ok(f->srv, pv_session_leave(f->srv));
	free(token);
}

/* Attack: a clerk makes a token for the administrator (or himself), lists or revokes. */
static void test_no_permission(void **state)
{
	struct fx *f = *state;
	pv_vault *u = pvt_open_user(f->dir, "clerk1", PW);
	pv_access clerk = { "clerk", NULL, PV_WANT_MASKED };
	char *id = NULL, *t = NULL;
	assert_rc_msg(u, pv_api_token_create(u, &clerk, "adm", "admin", "service", 60, &id, &t),
		      PV_ERR_DENIED, "permission 'users'");
	assert_rc_msg(u, pv_api_token_create(u, NULL, "clerk1", "clerk", "service", 60, &id, &t),
		      PV_ERR_DENIED, "'users'");
	assert_null(t);
	assert_null(id);
	char tid[17];
	char *token = make(f, "clerk1", "clerk", "service", 600, tid);
	assert_rc_msg(u, pv_api_token_revoke(u, &clerk, tid), PV_ERR_DENIED, "'users'");
	assert_rc_msg(u, pv_api_token_list(u, &clerk, NULL, NULL, NULL), PV_ERR_DENIED, "'users'");
	assert_ok(f->srv, pv_session_enter(f->srv, token)); /* still valid */
	assert_ok(f->srv, pv_session_leave(f->srv));
	char *log = audit_lines(f);
	assert_non_null(strstr(log, "clerk1|api token create|denied|"));
	assert_non_null(strstr(log, "clerk1|api token revoke|denied|"));
	free(log);
	free(token);
}

static void test_expiry(void **state)
{
	struct fx *f = *state;
	char *token = make(f, "clerk1", "clerk", "service", 1, NULL);
	sleep(2);
	assert_rc_msg(f->srv, pv_session_enter(f->srv, token), PV_ERR_DENIED, "not valid");
	assert_string_equal(pv_vault_user(f->srv), "(no session)");
	char *log = audit_lines(f);
	assert_non_null(strstr(log, "clerk1|api token|denied|expired token"));
	free(log);
	free(token);
	char *id = NULL, *t = NULL;
	assert_rc_msg(f->root, pv_api_token_create(f->root, &ADMIN, "clerk1", "clerk", "service",
						   0, &id, &t), PV_ERR_USAGE, "expiry");
	assert_rc_msg(f->root, pv_api_token_create(f->root, &ADMIN, "clerk1", "clerk", "service",
						   PV_API_TOKEN_MAX_SECONDS + 1, &id, &t),
		      PV_ERR_USAGE, "365 days");
}

/* Revoked on the administrator's handle: refused at once on both of a server's handles,
 * the one that had just used it included. */
static void test_revocation_everywhere(void **state)
{
	struct fx *f = *state;
	pv_vault *other = pvt_open_root(f->dir, NULL, f->key); /* another worker thread */
	assert_ok(other, pv_vault_serve(other));
	char id[17];
	char *token = make(f, "clerk1", "clerk", "service", 600, id);
	assert_ok(other, pv_session_enter(other, token));
	assert_ok(other, pv_session_leave(other));
	assert_ok(f->root, pv_api_token_revoke(f->root, &ADMIN, id));
	assert_ok(f->root, pv_api_token_revoke(f->root, &ADMIN, id)); /* again: nothing more */
	assert_rc_msg(f->srv, pv_session_enter(f->srv, token), PV_ERR_DENIED, "not valid");
	assert_rc_msg(other, pv_session_enter(other, token), PV_ERR_DENIED, "not valid");
	assert_rc_msg(f->root, pv_api_token_revoke(f->root, &ADMIN, "ffffffffffffffff"),
		      PV_ERR_NOT_FOUND, "no API token");
	char *log = audit_lines(f);
	assert_non_null(strstr(log, "clerk1|api token|denied|revoked token"));
	assert_non_null(strstr(log, "(root key)|api token revoke|ok|api token "));
	free(log);
	free(token);
}

struct seen {
	char text[2048];
	int n;
};

static int seen_token(void *ctx, const pv_api_token_info *t)
{
	struct seen *s = ctx;
	size_t n = strlen(s->text);
	snprintf(s->text + n, sizeof s->text - n, "%s %s %s %s %s %s\n", t->id, t->user, t->role,
		 t->purposes, t->state, t->created_by);
	s->n++;
	return 0;
}

/* The list names each token's id, user, role, purposes and state, never a secret. */
static void test_list(void **state)
{
	struct fx *f = *state;
	char a[17], b[17], want[160];
	char *ta = make(f, "clerk1", "clerk", "service", 600, a);
	char *tb = make(f, "dp", "dpo", "billing,service,billing", 600, b);
	assert_ok(f->root, pv_api_token_revoke(f->root, &ADMIN, b));
	struct seen s = { "", 0 };
	assert_ok(f->root, pv_api_token_list(f->root, &ADMIN, NULL, seen_token, &s));
	assert_int_equal(s.n, 2);
	snprintf(want, sizeof want, "%s clerk1 clerk service active (root key)\n", a);
	assert_non_null(strstr(s.text, want));
	snprintf(want, sizeof want, "%s dp dpo billing,service revoked (root key)\n", b);
	assert_non_null(strstr(s.text, want));
	assert_null(strstr(s.text, ta + 4));
	struct seen one = { "", 0 };
	assert_ok(f->root, pv_api_token_list(f->root, &ADMIN, "dp", seen_token, &one));
	assert_int_equal(one.n, 1);
	free(ta);
	free(tb);
}

/* The SQL a DBA runs on the vault's store (either backend), with each %s in statement the
 * user column's name (`user`, `user_name` in PostgreSQL); suffix added at its end. */
static int dba_run(struct fx *f, const char *statement, const char *suffix)
{
	const char *user = pvt_dba_pg(f->dir) ? "user_name" : "user";
	char sql[1024], *rows = NULL;
	snprintf(sql, sizeof sql, statement, user, user);
	if (pvt_dba(&rows, f->dir, "%s%s", sql, suffix) != 0)
		fail_msg("the DBA's SQL failed: %s", sql);
	int n = 0;
	for (const char *p = rows; *p; p++)
		n += *p == '\n';
	free(rows);
	return n;
}

/* A DBA runs SQL (statements) on the vault's store. */
static void dba(struct fx *f, const char *statements)
{
	dba_run(f, statements, "");
}

/* A DBA runs one INSERT, UPDATE or DELETE on the vault's store; the rows it changed. */
static int dba_changes(struct fx *f, const char *statement)
{
	return dba_run(f, statement, " RETURNING 1");
}

/* Attacks: a DBA edits a token's row with SQL: a later expiry (after it expired), a
 * wider role (multi's clerk token made admin), wider purposes, another user, a reset
 * count of clear reads, a cleared revoked mark. Each is refused. */
static void test_dba_edits_refused(void **state)
{
	struct fx *f = *state;
	const struct {
		const char *user, *role, *sql;
		int revoke, ttl;
	} edits[] = {
		{ "clerk1", "clerk", "UPDATE api_tokens SET expires = expires + 86400", 0, 1 },
		{ "multi", "clerk", "UPDATE api_tokens SET role = 'admin'", 0, 600 },
		{ "dp", "dpo", "UPDATE api_tokens SET purposes = 'service,billing'", 0, 600 },
		{ "clerk1", "clerk", "UPDATE api_tokens SET %s = 'multi'", 0, 600 },
		{ "clerk1", "clerk", "UPDATE api_tokens SET clear_shown = 0", 0, 600 },
		{ "clerk1", "clerk", "UPDATE api_tokens SET revoked = 0", 1, 600 },
	};
	for (size_t i = 0; i < sizeof edits / sizeof *edits; i++) {
		char id[17];
		char *token = make(f, edits[i].user, edits[i].role, "service", edits[i].ttl, id);
		if (edits[i].revoke)
			assert_ok(f->root, pv_api_token_revoke(f->root, &ADMIN, id));
		if (strstr(edits[i].sql, "clear_shown")) { /* one customer shown in clear */
			assert_ok(f->srv, pv_session_enter(f->srv, token));
			assert_ok(f->srv, read_one(f->srv, NULL, "service", PV_WANT_CLEAR));
			assert_ok(f->srv, pv_session_leave(f->srv));
		}
		if (edits[i].ttl == 1)
			sleep(2);
		assert_int_equal(dba_changes(f, edits[i].sql), 1);
		assert_rc_msg(f->srv, pv_session_enter(f->srv, token), PV_ERR_DENIED, "not valid");
		assert_string_equal(pv_vault_user(f->srv), "(no session)");
		dba(f, "DELETE FROM api_tokens");
		free(token);
	}
	char *log = audit_lines(f);
	assert_non_null(strstr(log, "|api token|denied|API token row altered outside pivault"));
	free(log);
}

/* Attack (what the row's tag alone would not stop): the DBA keeps a copy of the row before
 * the revocation and puts it back after; variant: he also deletes the sealed list of
 * revoked ids from the metadata. Both refused. */
static void test_dba_restores_revoked_row(void **state)
{
	struct fx *f = *state;
	char id[17];
	char *token = make(f, "clerk1", "clerk", "service", 600, id);
	dba(f, "CREATE TABLE saved AS SELECT * FROM api_tokens");
	assert_ok(f->root, pv_api_token_revoke(f->root, &ADMIN, id));
	dba(f, "DELETE FROM api_tokens; INSERT INTO api_tokens SELECT * FROM saved");
	assert_rc_msg(f->srv, pv_session_enter(f->srv, token), PV_ERR_DENIED, "not valid");
	char *log = audit_lines(f);
	assert_non_null(strstr(log, "clerk1|api token|denied|revoked token"));
	free(log);
	assert_int_equal(dba_changes(f, "DELETE FROM meta WHERE k = 'api_tokens_revoked'"), 1);
	assert_int_not_equal(pv_session_enter(f->srv, token), PV_OK);
	assert_string_equal(pv_vault_user(f->srv), "(no session)");
	free(token);
}

/* Attack: the DBA makes up a token, stores its plain BLAKE2b hash (he has no key) with a
 * tag copied from a real row, for the administrator; variant: a real row's hash and tag
 * under his own id. Both refused (unknown token; altered row). */
static void test_dba_inserts_made_up_token(void **state)
{
	struct fx *f = *state;
	char *real = make(f, "clerk1", "clerk", "service", 600, NULL);
	uint8_t raw[32], h[32];
	randombytes_buf(raw, sizeof raw);
	char token[PV_API_TOKEN_CHARS + 1] = "pvt_", hash[65], sql[1024];
	sodium_bin2hex(token + 4, 65, raw, sizeof raw);
	crypto_generichash(h, sizeof h, raw, sizeof raw, NULL, 0);
	sodium_bin2hex(hash, sizeof hash, h, sizeof h);
	snprintf(sql, sizeof sql, "INSERT INTO api_tokens SELECT '%s', '%.16s', 'adm', 'admin', "
		 "purposes, created_by, created, expires + 86400, 0, 0, tag FROM api_tokens", hash,
		 hash);
	assert_int_equal(dba_changes(f, sql), 1);
	assert_rc_msg(f->srv, pv_session_enter(f->srv, token), PV_ERR_DENIED, "not valid");
	assert_int_equal(dba_changes(f, "UPDATE api_tokens SET id = 'aaaaaaaaaaaaaaaa', "
					"%s = 'adm' WHERE %s = 'clerk1'"), 1);
	assert_rc_msg(f->srv, pv_session_enter(f->srv, real), PV_ERR_DENIED, "not valid");
	char *log = audit_lines(f);
	assert_non_null(strstr(log, "(unknown API token)|api token|denied|unknown token"));
	assert_non_null(strstr(log, "adm|api token|denied|API token row altered outside pivault"));
	free(log);
	free(real);
}

/* The secret is nowhere in the store (the SQLite file and its log, or every value of the
 * vault's PostgreSQL schema), no audit entry and no error message. */
static void test_secret_nowhere(void **state)
{
	struct fx *f = *state;
	char id[17];
	char *token = make(f, "clerk1", "clerk", "service", 600, id);
	assert_ok(f->srv, pv_session_enter(f->srv, token));
	assert_ok(f->srv, pv_session_leave(f->srv));
	assert_ok(f->root, pv_api_token_revoke(f->root, &ADMIN, id));
	assert_int_not_equal(pv_session_enter(f->srv, token), PV_OK);
	assert_null(strstr(pv_errmsg(f->srv), token + 4));
	char bad[PV_API_TOKEN_CHARS + 2];
	snprintf(bad, sizeof bad, "%sx", token);
	assert_int_not_equal(pv_session_enter(f->srv, bad), PV_OK);
	assert_null(strstr(pv_errmsg(f->srv), token + 4));
	char *log = audit_lines(f);
	assert_null(strstr(log, token + 4));
	free(log);
	pvt_vclose(f->srv);
	pvt_vclose(f->root);
	f->srv = f->root = NULL;
	uint8_t raw[32];
	for (int i = 0; i < 32; i++)
		sscanf(token + 4 + 2 * i, "%2hhx", &raw[i]);
	assert_false(pvt_store_holds(f->dir, token + 4, 64));
	assert_false(pvt_store_holds(f->dir, raw, sizeof raw));
	assert_true(pvt_store_holds(f->dir, id, 16)); /* the scan sees the token's row */
	free(token);
}

/* The user disabled: the token is refused at its next use. */
static void test_disabled_user(void **state)
{
	struct fx *f = *state;
	char *token = make(f, "clerk1", "clerk", "service", 600, NULL);
	assert_ok(f->root, pv_user_disable(f->root, &ADMIN, "clerk1"));
	assert_rc_msg(f->srv, pv_session_enter(f->srv, token), PV_ERR_DENIED, "not valid");
	char *log = audit_lines(f);
	assert_non_null(strstr(log, "clerk1|api token|denied|user disabled"));
	free(log);
	free(token);
}

/* ---- The command: pivault token ---- */

/* Run pivault-test ARGS with the root key (or as user, password PW); exit status, stdout
 * and stderr. */
static int cli(struct fx *f, const char *user, char **out, char **err, const char *args)
{
	char *err_path = pvt_path(f->tmp, "stderr"), *pw_path = pvt_path(f->tmp, "pw");
	FILE *pw = fopen(pw_path, "w");
	fputs(PW, pw);
	fclose(pw);
	char who[512] = "";
	if (user)
		snprintf(who, sizeof who, "PIVAULT_USER='%s' PIVAULT_PASSWORD_FILE='%s'", user,
			 pw_path);
	int st = pvt_run(out, "env -u PIVAULT_USER -u PIVAULT_KEYRING -u PIVAULT_PASSPHRASE_FILE "
			 "PIVAULT_VAULT='%s' %s%s%s '%s' %s </dev/null 2>'%s'", f->dir,
			 user ? "" : "PIVAULT_KEY_FILE='", user ? "" : f->key, user ? who : "'",
			 pvt_program("pivault-test"), args, err_path);
	*err = pvt_read_file(err_path, NULL);
	assert_non_null(*err);
	free(err_path);
	free(pw_path);
	return st;
}

/* create prints the token alone on standard output (its id on standard error), list
 * shows it without the secret, revoke ends it; a clerk is refused naming 'users'. */
static void test_cli(void **state)
{
	struct fx *f = *state;
	char *out = NULL, *err = NULL;
	int st = cli(f, NULL, &out, &err, "token create --role admin --for clerk1 --token-role "
		     "clerk --purposes service --days 30");
	if (st != 0)
		fail_msg("token create: exit %d: %s", st, err);
	assert_int_equal(strlen(out), PV_API_TOKEN_CHARS + 1);
	assert_int_equal(strncmp(out, "pvt_", 4), 0);
	char token[PV_API_TOKEN_CHARS + 1], id[17];
	snprintf(token, sizeof token, "%s", out);
	assert_null(strstr(err, token + 4));
	assert_non_null(strstr(err, "API token "));
	snprintf(id, sizeof id, "%s", strstr(err, "API token ") + 10);
	free(out), free(err);
	assert_ok(f->srv, pv_session_enter(f->srv, token));
	assert_string_equal(pv_vault_user(f->srv), "clerk1");
	assert_ok(f->srv, pv_session_leave(f->srv));
	assert_int_equal(cli(f, NULL, &out, &err, "token list --role admin --json"), 0);
	assert_non_null(strstr(out, id));
	assert_non_null(strstr(out, "\"state\":\"active\""));
	assert_null(strstr(out, token + 4));
	free(out), free(err);
	assert_int_not_equal(cli(f, "clerk1", &out, &err, "token create --for adm --token-role "
				 "admin --purposes service --days 1"), 0);
	assert_non_null(strstr(err, "'users'"));
	assert_string_equal(out, "");
	free(out), free(err);
	char args[64];
	snprintf(args, sizeof args, "token revoke --role admin %s", id);
	assert_int_equal(cli(f, NULL, &out, &err, args), 0);
	assert_non_null(strstr(out, "revoked"));
	free(out), free(err);
	assert_rc_msg(f->srv, pv_session_enter(f->srv, token), PV_ERR_DENIED, "not valid");
	assert_int_not_equal(cli(f, NULL, &out, &err, "token create --role admin --for clerk1 "
				 "--token-role clerk --purposes service --days 366"), 0);
	assert_non_null(strstr(err, "--days"));
	free(out), free(err);
}

/* adm (a user session) asks for a token for user with role, purposes and ttl: the request
 * id (pv_free). */
static char *ask_token(pv_vault *adm, const char *user, const char *role,
		       const char *purposes, uint32_t ttl)
{
	char *id = NULL, *t = NULL, *rid = NULL;
	assert_ok(adm, pv_request_begin(adm, "a script for the call centre", 0, NULL));
	assert_rc_msg(adm, pv_api_token_create(adm, &ADMIN, user, role, purposes, ttl, &id, &t),
		      PV_REQUESTED, "asked for");
	assert_null(t);
	assert_ok(adm, pv_request_submit(adm, &rid));
	return rid;
}

/* pv_api_token_create on v for user under request rid: its result (the token freed). */
static pv_rc token_under(pv_vault *v, const char *rid, const char *user, const char *role,
			 const char *purposes, uint32_t ttl)
{
	char *id = NULL, *t = NULL;
	pv_rc rc = pv_vault_use_request(v, rid);
	if (!rc)
		rc = pv_api_token_create(v, &ADMIN, user, role, purposes, ttl, &id, &t);
	pv_free(id);
	pv_free(t);
	return rc;
}

/* Attack: an administrator in a user session makes a token for another user alone. The
 * token is a credential in that user's name: it takes a second person's approval, bound
 * to its user, role, purposes and expiry; the requester cannot approve it; it is used
 * once. One's own token needs no one else (and cannot be asked for). */
static void test_token_for_another_needs_four_eyes(void **state)
{
	struct fx *f = *state;
	pv_vault *adm = pvt_open_user(f->dir, "adm", PW), *dp = pvt_open_user(f->dir, "dp", PW);
	pv_access dpo = { "dpo", NULL, PV_WANT_MASKED };
	char *id = NULL, *t = NULL, *half = NULL;
	assert_rc_msg(adm, pv_api_token_create(adm, &ADMIN, "clerk1", "clerk", "service", 600,
					       &id, &t),
		      PV_ERR_DENIED, "four-eyes approval");
	assert_null(t);
	assert_int_equal(pv_api_token_needs_approval(adm, "clerk1"), 1);
	assert_int_equal(pv_api_token_needs_approval(adm, "adm"), 0);
	assert_int_equal(pv_api_token_needs_approval(f->root, "clerk1"), 0); /* break-glass */
	char *rid = ask_token(adm, "clerk1", "clerk", "service", 600);
	assert_rc_msg(adm, pv_request_decide(adm, &ADMIN, rid, PV_APPROVE, &half),
		      PV_ERR_DENIED, "four eyes");
	assert_rc_msg(adm, token_under(adm, rid, "clerk1", "clerk", "service", 600),
		      PV_ERR_DENIED, "not approved");
	assert_ok(dp, pv_request_decide(dp, &dpo, rid, PV_APPROVE, &half));
	assert_null(half);
	/* the approver cannot run it; the requester cannot run something else under it */
	assert_rc_msg(dp, pv_vault_use_request(dp, rid), PV_ERR_DENIED, "only its requester");
	assert_rc_msg(adm, token_under(adm, rid, "clerk1", "clerk", "service", 31536000),
		      PV_ERR_DENIED, "differs from what was approved");
	assert_rc_msg(adm, token_under(adm, rid, "dp", "dpo", "service", 600),
		      PV_ERR_DENIED, "differs from what was approved");
	assert_rc_msg(adm, token_under(adm, rid, "multi", "clerk", "service", 600),
		      PV_ERR_DENIED, "differs from what was approved");
	assert_ok(adm, token_under(adm, rid, "clerk1", "clerk", "service", 600));
	assert_rc_msg(adm, token_under(adm, rid, "clerk1", "clerk", "service", 600),
		      PV_ERR_DENIED, "used already");
	/* one's own token: no request, and none can be asked for */
	assert_ok(adm, pv_api_token_create(adm, &ADMIN, "adm", "admin", "service", 600, &id, &t));
	pv_free(id), pv_free(t);
	id = t = NULL;
	assert_ok(adm, pv_request_begin(adm, NULL, 0, NULL));
	assert_rc_msg(adm, pv_api_token_create(adm, &ADMIN, "adm", "admin", "service", 600, &id,
					       &t),
		      PV_ERR_USAGE, "needs no approval");
	assert_null(t);
	char *none = NULL;
	assert_int_equal(pv_request_submit(adm, &none), PV_ERR_USAGE);
	char *log = audit_lines(f);
	assert_non_null(strstr(log, "adm|request|ok|api token create user=clerk1;role=clerk;"
				    "purposes=service;expires_in=600"));
	assert_non_null(strstr(log, "dp|approve|ok|api token create"));
	free(log);
	pv_free(rid);
}

/* The command: a user's token for another user is asked for with `pivault request token
 * create ...`, approved by another user, and made by `pivault run REQ` (printed once). */
static void test_cli_four_eyes(void **state)
{
	struct fx *f = *state;
	char *out = NULL, *err = NULL;
	const char *create = "token create --role admin --for clerk1 --token-role clerk "
			     "--purposes service --days 30";
	assert_int_not_equal(cli(f, "adm", &out, &err, create), 0);
	assert_non_null(strstr(err, "four-eyes approval"));
	assert_string_equal(out, "");
	free(out), free(err);
	char args[160];
	snprintf(args, sizeof args, "request %s --reason script --json", create);
	int st = cli(f, "adm", &out, &err, args);
	if (st != 0)
		fail_msg("request token create: exit %d: %s", st, err);
	json_error_t jerr;
	json_t *j = json_loads(out, 0, &jerr);
	char rid[32];
	snprintf(rid, sizeof rid, "%s", json_string_value(json_object_get(j, "request")));
	json_decref(j);
	free(out), free(err);
	snprintf(args, sizeof args, "approve --role dpo %s", rid);
	assert_int_equal(cli(f, "dp", &out, &err, args), 0);
	free(out), free(err);
	snprintf(args, sizeof args, "run %s", rid);
	st = cli(f, "adm", &out, &err, args);
	if (st != 0)
		fail_msg("run: exit %d: %s", st, err);
	assert_int_equal(strncmp(out, "pvt_", 4), 0);
	free(out), free(err);
	assert_int_not_equal(cli(f, "adm", &out, &err, args), 0); /* once */
	assert_non_null(strstr(err, "used already"));
	free(out), free(err);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_token_acts_as_user),	  T(test_purpose_outside_scope),
		T(test_role_narrower_than_owner), T(test_token_cannot_make_tokens),
		T(test_no_permission),		  T(test_expiry),
		T(test_revocation_everywhere),	  T(test_list),
		T(test_dba_edits_refused),	  T(test_dba_restores_revoked_row),
		T(test_dba_inserts_made_up_token), T(test_secret_nowhere),
		T(test_disabled_user),		  T(test_cli),
		T(test_token_for_another_needs_four_eyes), T(test_cli_four_eyes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
