/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_client.c: the pivault command as a client of `pivault serve`
 * (PIVAULT_SERVER), run as a clerk would run it against a server started here: login and
 * logout (the session file 0600 in a 0700 directory, gone after logout, its token dead);
 * reads masked as the server decides, printed exactly as the same command prints them
 * from the vault itself (table and --json, errors and exit codes alike); the server's
 * key pinned (a wrong pin, a wrong certificate, https without a pin, plain http off
 * loopback: refused before anything is sent, nothing audited); an expired session and a
 * revoked API token refused by the server; a session file others may read, a link, a
 * directory others may write, a file of another user, a session of another server:
 * refused before any request; and a
 * command without an API twin refused with exit 2, no vault file or key file touched. */
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pivault.h"
#include "server.h"
#include "cli_client.h"

static const char PW[] = "client-password-1";

/* The session file the client keeps. */
static char *session_path(void)
{
	return pvt_path(pvtc.run, "pivault/session");
}

/* How many entries of the audit log name user. */
static long audit_count(const char *user)
{
	return pvts_count_entries(pvtc.f.dir, &(struct pvts_entries){ .user = user });
}

/* ---- The vault and the server --------------------------------------------------------- */

static int group_setup(void **state)
{
	(void)state;
	pvtc_up(&(struct pvts_spec){ .customers = 5, .seed = 7, .password = PW,
				     .max_body = 1 << 20 });
	return 0;
}

/* ---- Signing in and out ---------------------------------------------------------------- */

/* Login keeps the session in a 0600 file in a 0700 directory; commands use it; logout
 * ends it at the server (its token then refused there) and removes the file. */
static void test_login_logout(void **state)
{
	(void)state;
	pvtc_login("clerk1");
	char *path = session_path(), *dir = pvt_path(pvtc.run, "pivault");
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	char *text = pvt_read_file(path, NULL), *tok = strstr(text, "\ntoken ");
	assert_non_null(tok);
	tok += 7;
	tok[strcspn(tok, "\n")] = '\0';
	assert_null(strstr(text, PW)); /* the password is never kept */
	char *out = NULL, *err = NULL;
	assert_int_equal(pvtc_cli(&out, NULL, pvtc_server_env(), "get C00000001 --purpose service"), 0);
	assert_non_null(strstr(out, "id: C00000001"));
	free(out);
	assert_int_equal(pvtc_cli(&out, NULL, pvtc_server_env(), "logout"), 0);
	assert_non_null(strstr(out, "signed out"));
	free(out);
	assert_int_not_equal(access(path, F_OK), 0);
	assert_int_equal(pvtc_cli(NULL, &err, pvtc_server_env(), "get C00000001 --purpose service"), 1);
	assert_non_null(strstr(err, "not signed in"));
	free(err);
	/* the ended session's token, replayed as if it were an API token: the server refuses */
	char env[8192];
	snprintf(env, sizeof env, "%s PIVAULT_TOKEN='%s'", pvtc_server_env(), tok);
	assert_int_equal(pvtc_cli(NULL, &err, env, "get C00000001 --purpose service"), 1);
	assert_non_null(strstr(err, "pivault: "));
	assert_null(strstr(err, tok));
	free(err);
	assert_int_equal(pvtc_cli(NULL, &err, pvtc_server_env(), "logout"), 1); /* not signed in */
	free(err);
	free(text);
	free(path);
	free(dir);
}

/* A wrong password: the server's one message, exit 1, no session file. */
static void test_login_wrong_password(void **state)
{
	(void)state;
	char *bad = pvt_path(pvtc.f.tmp, "bad-pw"), env[8192], *err = NULL, *path = session_path();
	assert_int_equal(pvt_write_file(bad, "not-it", 6), 0);
	snprintf(env, sizeof env, "%s PIVAULT_PASSWORD_FILE='%s'", pvtc_server_env(), bad);
	unlink(path);
	assert_int_equal(pvtc_cli(NULL, &err, env, "login --user adm"), 1);
	assert_non_null(strstr(err, "pivault: "));
	assert_null(strstr(err, "not-it"));
	assert_int_not_equal(access(path, F_OK), 0);
	free(err);
	assert_int_equal(pvtc_cli(NULL, &err, pvtc_server_env(), "login"), 2); /* no user named */
	free(err);
	free(bad);
	free(path);
}

/* ---- The same output as the vault's own command ----------------------------------------- */

/* A clerk asking for clear values gets the phone masked (the server's rule) and the name
 * clear, exactly as the command shows them from the vault; finds, errors and exit codes
 * alike; an administrator's reads, tokens list and token refusals alike. */
static void test_same_output_as_local(void **state)
{
	(void)state;
	pvtc_login("clerk1");
	char *out = NULL;
	assert_int_equal(pvtc_cli(&out, NULL, pvtc_server_env(), "get C00000002 --purpose service --clear"),
			 0);
	assert_null(strstr(out, pvt_csv_get(&pvtc.f.csv, 2, "phone") + 3)); /* masked */
	assert_non_null(strstr(out, pvt_csv_get(&pvtc.f.csv, 2, "name")));  /* clear */
	free(out);
	pvtc_same_as_local("clerk1", "get C00000002 --purpose service --clear");
	pvtc_same_as_local("clerk1", "get C00000001 C00000003 --purpose service --json");
	char args[256];
	snprintf(args, sizeof args, "find --phone '%s' --purpose service",
		 pvt_csv_get(&pvtc.f.csv, 3, "phone"));
	pvtc_same_as_local("clerk1", args);
	pvtc_same_as_local("clerk1", "find --phone 13800000000 --purpose service"); /* none: 1 */
	pvtc_same_as_local("clerk1", "find --no_such_field x --purpose service");   /* usage: 2 */
	pvtc_same_as_local("clerk1", "get C09999999 --purpose service");            /* not found */
	pvtc_same_as_local("clerk1", "get C00000001 --purpose billing");            /* denied */
	pvtc_same_as_local("clerk1", "tokenize --customer C00000001 --field phone --purpose service");
	pvtc_login("adm");
	pvtc_same_as_local("adm", "get C00000004 --purpose all --clear --json");
	pvtc_same_as_local("adm", "get C00000004 --purpose service");
	pvtc_same_as_local("adm", "token list");
	pvtc_same_as_local("adm", "token list --json");
	pvtc_same_as_local("adm", "detokenize pvk_not_a_token --purpose service");
}

/* Tokens through the server: tokenize then detokenize gives the value back; an API token
 * made remotely works as PIVAULT_TOKEN, is listed, and once revoked is refused by the
 * server; audit verify as the auditor. */
static void test_tokens_and_audit(void **state)
{
	(void)state;
	pvtc_login("adm");
	char *out = NULL, *err = NULL, env[8192];
	assert_int_equal(pvtc_cli(&out, NULL, pvtc_server_env(), "tokenize --customer C00000005 --field "
			     "phone --purpose service --deterministic --shaped"), 0);
	out[strcspn(out, "\n")] = '\0';
	assert_int_equal(strlen(out), 11);
	char *value = NULL;
	assert_int_equal(pvtc_cli(&value, NULL, pvtc_server_env(), "detokenize '%s' --purpose service",
			     out), 0);
	assert_non_null(strstr(value, pvt_csv_get(&pvtc.f.csv, 5, "phone") + 3));
	free(value);
	free(out);
	/* one's own token is made at once (one for another user is asked for: four eyes) */
	assert_int_equal(pvtc_cli(&out, &err, pvtc_server_env(), "token create --for adm --token-role "
			     "admin --purposes service --days 1 --json"), 0);
	json_t *made = json_loads(out, 0, NULL);
	assert_non_null(made);
	const char *id = json_string_value(json_object_get(made, "id"));
	const char *tok = json_string_value(json_object_get(made, "token"));
	assert_non_null(id);
	assert_non_null(tok);
	free(out);
	free(err);
	snprintf(env, sizeof env, "%s PIVAULT_TOKEN='%s'", pvtc_server_env(), tok);
	assert_int_equal(pvtc_cli(&out, NULL, env, "get C00000001 --purpose service"), 0);
	assert_non_null(strstr(out, "id: C00000001"));
	free(out);
	assert_int_equal(pvtc_cli(&out, NULL, pvtc_server_env(), "token list --for adm"), 0);
	assert_non_null(strstr(out, id));
	assert_null(strstr(out, tok));
	free(out);
	assert_int_equal(pvtc_cli(&out, NULL, pvtc_server_env(), "token revoke %s", id), 0);
	assert_non_null(strstr(out, "revoked"));
	free(out);
	assert_int_equal(pvtc_cli(NULL, &err, env, "get C00000001 --purpose service"), 1);
	assert_non_null(strstr(err, "revoked"));
	assert_null(strstr(err, "pivault login")); /* an API token: no sign-in hint */
	free(err);
	json_decref(made);
	pvtc_login("aud");
	assert_int_equal(pvtc_cli(&out, NULL, pvtc_server_env(), "audit verify"), 0);
	assert_non_null(strstr(out, "audit log verified: "));
	free(out);
	pvtc_same_as_local("aud", "audit verify --checkpoint no-such-file"); /* not read: 1 */
}

/* ---- Four eyes and data-subject requests --------------------------------------------------- */

/* The request id a local `pivault request ...` printed ("request R... recorded: ..."). */
static char *asked(const char *user, const char *args)
{
	char *out = NULL, *err = NULL;
	int st = pvtc_cli(&out, &err, pvtc_local_env(user), "request %s --reason 'asked in a test'", args);
	if (st != 0)
		fail_msg("request %s: %d %s", args, st, err);
	char id[64];
	assert_int_equal(sscanf(out, "request %63s recorded", id), 1);
	free(out);
	free(err);
	return strdup(id);
}

/* Requests listed, approved and rejected through the server as the command does it with
 * the vault (the same table; one's own request refused with the same message); the DSR
 * queue and the audit log's entries listed alike. */
static void test_requests_and_dsr(void **state)
{
	(void)state;
	char *one = asked("adm", "shred C00000005"), *two = asked("adm", "shred C00000004");
	pvtc_login("adm2");
	pvtc_same_as_local("adm2", "requests");
	char *out = NULL, *err = NULL;
	assert_int_equal(pvtc_cli(&out, NULL, pvtc_server_env(), "approve %s", one), 0);
	assert_non_null(strstr(out, "approved "));
	assert_non_null(strstr(out, one));
	free(out);
	assert_int_equal(pvtc_cli(&out, NULL, pvtc_server_env(), "reject %s", two), 0);
	free(out);
	pvtc_same_as_local("adm2", "requests");
	pvtc_same_as_local("adm2", "requests --json");
	pvtc_login("adm");
	char args[128];
	snprintf(args, sizeof args, "approve %s", two); /* decided already */
	pvtc_same_as_local("adm", args);
	char *three = asked("adm", "shred C00000003");
	snprintf(args, sizeof args, "approve %s", three); /* one's own: refused */
	pvtc_same_as_local("adm", args);
	pvtc_same_as_local("adm", "reject R-NO-SUCH");
	assert_int_equal(pvtc_cli(NULL, &err, pvtc_local_env("adm"), "dsr open --customer C00000002 "
			     "--type access"), 0);
	free(err);
	pvtc_same_as_local("adm", "dsr list");
	pvtc_same_as_local("adm", "dsr list --json");
	pvtc_same_as_local("adm", "dsr list --overdue");
	pvtc_login("aud");
	pvtc_same_as_local("aud", "audit log --user clerk1");
	pvtc_same_as_local("aud", "audit log --user clerk1 --json");
	pvtc_login("clerk1");
	pvtc_same_as_local("clerk1", "dsr list"); /* no 'dsr': refused alike */
	free(one);
	free(two);
	free(three);
}

/* ---- An expired session ------------------------------------------------------------------ */

/* The session's expiry in the file pushed forward (as a user might, to keep it): the
 * server still refuses the expired token; the client's own check removes a file whose
 * expiry passed. */
static void test_expired_session(void **state)
{
	(void)state;
	struct pvs_config c = { .plain_http = 1, .session_seconds = 1 };
	struct pvs_server *s = pvts_start(&c, pvtc.f.dir, pvtc.f.key_path, 1 << 20);
	unsigned saved = pvtc.f.port;
	pvtc.f.port = pvs_port(s);
	pvtc_login("clerk1");
	char *path = session_path(), *text = pvt_read_file(path, NULL), *err = NULL;
	char *exp = strstr(text, "\nexpires ");
	assert_non_null(exp);
	char forged[4096];
	snprintf(forged, sizeof forged, "%.*s\nexpires 99999999999%s", (int)(exp - text), text,
		 strchr(exp + 1, '\n'));
	sleep(2);
	unlink(path);
	assert_int_equal(pvt_write_file(path, forged, strlen(forged)), 0);
	chmod(path, 0600);
	assert_int_equal(pvtc_cli(NULL, &err, pvtc_server_env(), "get C00000001 --purpose service"), 1);
	assert_non_null(strstr(err, "pivault login"));
	free(err);
	unlink(path);
	assert_int_equal(pvt_write_file(path, text, strlen(text)), 0); /* its own expiry */
	chmod(path, 0600);
	assert_int_equal(pvtc_cli(NULL, &err, pvtc_server_env(), "get C00000001 --purpose service"), 1);
	assert_non_null(strstr(err, "expired"));
	assert_int_not_equal(access(path, F_OK), 0);
	free(err);
	pvtc.f.port = saved;
	pvs_stop(s);
	free(text);
	free(path);
}

/* ---- The session file's protection ---------------------------------------------------------- */

/* The session file made readable by others, replaced by a link, its directory made
 * writable by others, or owned by another user: refused before any request is sent. */
static void test_session_file_refused(void **state)
{
	(void)state;
	pvtc_login("clerk1");
	char *path = session_path(), *dir = pvt_path(pvtc.run, "pivault"), *err = NULL;
	long before = audit_count("clerk1");
	chmod(path, 0644);
	assert_int_equal(pvtc_cli(NULL, &err, pvtc_server_env(), "get C00000001 --purpose service"), 1);
	assert_non_null(strstr(err, "may be read or changed by others"));
	free(err);
	chmod(path, 0600);
	chmod(dir, 0777);
	assert_int_equal(pvtc_cli(NULL, &err, pvtc_server_env(), "get C00000001 --purpose service"), 1);
	assert_non_null(strstr(err, "may be read or changed by others"));
	free(err);
	chmod(dir, 0700);
	char *real = pvt_path(pvtc.f.tmp, "session-elsewhere");
	assert_int_equal(rename(path, real), 0);
	assert_int_equal(symlink(real, path), 0);
	assert_int_equal(pvtc_cli(NULL, &err, pvtc_server_env(), "get C00000001 --purpose service"), 1);
	assert_non_null(strstr(err, path));
	free(err);
	unlink(path);
	assert_int_equal(rename(real, path), 0);
	if (geteuid() == 0) { /* another user's file (only root can make one here) */
		assert_int_equal(chown(path, 65534, 65534), 0);
		assert_int_equal(pvtc_cli(NULL, &err, pvtc_server_env(), "get C00000001 --purpose service"), 1);
		assert_non_null(strstr(err, "belongs to another user"));
		free(err);
		assert_int_equal(chown(path, 0, 0), 0);
	}
	assert_int_equal(audit_count("clerk1"), before); /* nothing reached the server */
	assert_int_equal(pvtc_cli(NULL, NULL, pvtc_server_env(), "get C00000001 --purpose service"), 0);
	free(real);
	free(path);
	free(dir);
}

/* ---- Commands without an API twin ------------------------------------------------------------ */

/* Every command without a twin, and the local-only ones, refused with exit 2 naming
 * themselves; the vault and key paths the environment names never created or read. */
static void test_no_twin_refused(void **state)
{
	(void)state;
	pvtc_login("adm");
	const char *cmds[] = { "init",
			       "keyring escrow", "rekey", "backup create x.tar", "serve --listen 127.0.0.1:1",
			       "shred C00000001", "run R1", "doctor" };
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
		char *err = NULL;
		int st = pvtc_cli(NULL, &err, pvtc_server_env(), "%s", cmds[i]);
		if (st != 2 || (!strstr(err, "not available through a server")))
			fail_msg("pivault %s: %d %s", cmds[i], st, err);
		free(err);
	}
	char key[4096];
	snprintf(key, sizeof key, "%s.key", pvtc.trap);
	assert_int_not_equal(access(pvtc.trap, F_OK), 0);
	assert_int_not_equal(access(key, F_OK), 0);
	/* without PIVAULT_SERVER, login and logout say what they need */
	char *err = NULL;
	assert_int_equal(pvtc_cli(NULL, &err, "", "login --user adm"), 2);
	assert_non_null(strstr(err, "PIVAULT_SERVER"));
	free(err);
}

/* ---- Pinning the server ---------------------------------------------------------------------- */

/* A self-signed certificate for 127.0.0.1 made with certtool under name; its key and
 * certificate paths (malloc'd) and its public key pin as certtool prints it. */
static void make_certificate(const char *name, char **key, char **cert, char pin[128])
{
	char kn[64], cn[64];
	snprintf(kn, sizeof kn, "%s.key", name);
	snprintf(cn, sizeof cn, "%s.crt", name);
	*key = pvt_path(pvtc.f.tmp, kn);
	*cert = pvt_path(pvtc.f.tmp, cn);
	char *tmpl = pvt_path(pvtc.f.tmp, "tls.tmpl"), *info = NULL;
	const char t[] = "cn = \"localhost\"\nip_address = \"127.0.0.1\"\nexpiration_days = 2\n"
			 "tls_www_server\nsigning_key\nencryption_key\n";
	assert_int_equal(pvt_write_file(tmpl, t, strlen(t)), 0);
	if (pvt_run(NULL, "certtool --generate-privkey --key-type=ecdsa --outfile '%s' 2>&1",
		    *key) != 0 ||
	    pvt_run(NULL, "certtool --generate-self-signed --load-privkey '%s' --template '%s' "
		    "--outfile '%s' 2>&1", *key, tmpl, *cert) != 0 ||
	    pvt_run(&info, "certtool --certificate-info --infile '%s' 2>&1", *cert) != 0)
		fail_msg("certtool could not make a certificate (scripts/setup.sh installs "
			 "gnutls-bin)");
	char *p = strstr(info, "pin-sha256:");
	assert_non_null(p);
	p += strlen("pin-sha256:");
	snprintf(pin, 128, "sha256//%.*s", (int)strcspn(p, " \r\n"), p);
	free(info);
	free(tmpl);
}

/* The environment for the TLS server on port with pin_var=pin_value. */
static const char *tls_env(unsigned port, const char *pin_var, const char *pin_value)
{
	static char buf[8192];
	snprintf(buf, sizeof buf, "XDG_RUNTIME_DIR='%s' PIVAULT_SERVER='https://127.0.0.1:%u/' "
		 "PIVAULT_PASSWORD_FILE='%s' %s%s%s%s", pvtc.run, port, pvtc.pw_path,
		 pin_var ? pin_var : "", pin_var ? "='" : "", pin_var ? pin_value : "",
		 pin_var ? "'" : "");
	return buf;
}

/* Over TLS: the right pin and the right certificate work; a wrong pin, another
 * certificate, no pin at all and plain http off loopback are refused before any request
 * is sent (the sign-in with the right password never reaches the server: nothing is
 * audited). */
static void test_pinned_server(void **state)
{
	(void)state;
	char *key, *cert, *key2, *cert2, pin[128], pin2[128], *err = NULL, *out = NULL;
	make_certificate("tls", &key, &cert, pin);
	make_certificate("other", &key2, &cert2, pin2);
	struct pvs_config c = { .tls_cert = cert, .tls_key = key, .session_seconds = 600 };
	struct pvs_server *s = pvts_start(&c, pvtc.f.dir, pvtc.f.key_path, 1 << 20);
	unsigned port = pvs_port(s);
	assert_int_equal(pvtc_cli(&out, NULL, tls_env(port, "PIVAULT_SERVER_PIN", pin),
			     "login --user adm"), 0);
	free(out);
	assert_int_equal(pvtc_cli(&out, NULL, tls_env(port, "PIVAULT_SERVER_CERT", cert),
			     "get C00000001 --purpose all"), 0);
	assert_non_null(strstr(out, "id: C00000001"));
	free(out);
	long before = audit_count("adm");
	assert_int_equal(pvtc_cli(NULL, &err, tls_env(port, "PIVAULT_SERVER_PIN", pin2),
			     "login --user adm"), 1);
	assert_non_null(strstr(err, "nothing was sent"));
	free(err);
	assert_int_equal(pvtc_cli(NULL, &err, tls_env(port, "PIVAULT_SERVER_CERT", cert2),
			     "get C00000001 --purpose all"), 1);
	assert_non_null(strstr(err, "nothing was sent"));
	free(err);
	assert_int_equal(pvtc_cli(NULL, &err, tls_env(port, NULL, NULL), "login --user adm"), 2);
	assert_non_null(strstr(err, "pin the server"));
	free(err);
	assert_int_equal(pvtc_cli(NULL, &err, tls_env(port, "PIVAULT_SERVER_PIN", "sha256//abc"),
			     "login --user adm"), 2);
	free(err);
	/* the session's token is never sent to another server than the one it came from
	 * (PIVAULT_SERVER pointed elsewhere, as a colleague's script might) */
	assert_int_equal(pvtc_cli(NULL, &err, pvtc_server_env(), "get C00000001 --purpose all"), 1);
	assert_non_null(strstr(err, "another server"));
	free(err);
	assert_int_equal(audit_count("adm"), before); /* no sign-in, no read reached the server */
	char env[8192];
	snprintf(env, sizeof env, "XDG_RUNTIME_DIR='%s' PIVAULT_SERVER='http://192.0.2.1:%u' "
		 "PIVAULT_PASSWORD_FILE='%s'", pvtc.run, port, pvtc.pw_path);
	assert_int_equal(pvtc_cli(NULL, &err, env, "login --user adm"), 2);
	assert_non_null(strstr(err, "loopback"));
	free(err);
	pvs_stop(s);
	free(key);
	free(cert);
	free(key2);
	free(cert2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_login_logout),
		cmocka_unit_test(test_login_wrong_password),
		cmocka_unit_test(test_same_output_as_local),
		cmocka_unit_test(test_tokens_and_audit),
		cmocka_unit_test(test_requests_and_dsr),
		cmocka_unit_test(test_expired_session),
		cmocka_unit_test(test_session_file_refused),
		cmocka_unit_test(test_no_twin_refused),
		cmocka_unit_test(test_pinned_server),
	};
	return cmocka_run_group_tests(tests, group_setup, pvtc_group_teardown);
}
