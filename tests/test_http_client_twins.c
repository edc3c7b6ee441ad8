/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_client_twins.c: the command's API twins beyond reading (PIVAULT_SERVER), run as
 * a clerk's or an administrator's machine would run them against a server started here:
 * each twin's real effect read back from the vault with the root key (the record changed,
 * the consent and the hold recorded), its output the same as the same command's on the
 * vault itself (table and --json), a wrong role refused with the local command's message
 * and exit status and nothing changed, malformed arguments refused before anything is
 * sent; the vault and key paths the environment names never touched. */
#include "testutil.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pivault.h"
#include "server.h"
#include "server_client.h"

static const char PW[] = "twins-password-1";

static char *g_tmp, *g_dir, *g_key_path, *g_pw_path, *g_run, *g_err, *g_trap;
static struct pvt_csv g_csv;
static struct pvs_server *g_srv;
static unsigned g_port;

/* ---- Running the command ------------------------------------------------------------ */

/* A clerk's machine: the server, a runtime directory and a password file; the vault and
 * key paths name nothing (the client must never need them). */
static const char *server_env(void)
{
	static char buf[4096];
	snprintf(buf, sizeof buf, "XDG_RUNTIME_DIR='%s' PIVAULT_SERVER='http://127.0.0.1:%u' "
		 "PIVAULT_PASSWORD_FILE='%s' PIVAULT_VAULT='%s' PIVAULT_KEY_FILE='%s.key'", g_run,
		 g_port, g_pw_path, g_trap, g_trap);
	return buf;
}

/* The vault's own machine, acting as user. */
static const char *local_env(const char *user)
{
	static char buf[4096];
	snprintf(buf, sizeof buf, "PIVAULT_VAULT='%s' PIVAULT_USER='%s' PIVAULT_PASSWORD_FILE='%s'",
		 g_dir, user, g_pw_path);
	return buf;
}

/* `pivault ARGS` with env: stdout into *out, stderr into *err (either may be NULL); the
 * exit status. */
static int cli(char **out, char **err, const char *env, const char *fmt, ...)
{
	char args[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	int st = pvt_run(out, "env -u PIVAULT_TOKEN -u PIVAULT_SERVER_PIN -u PIVAULT_SERVER_CERT "
			 "%s '%s' %s </dev/null 2>'%s'", env, pvt_program("pivault-test"), args,
			 g_err);
	char *e = pvt_read_file(g_err, NULL);
	assert_non_null(e);
	if (err)
		*err = e;
	else
		free(e);
	return st;
}

static void login(const char *user)
{
	char *out = NULL, *err = NULL;
	int st = cli(&out, &err, server_env(), "login --user %s", user);
	if (st != 0)
		fail_msg("login %s: %d %s", user, st, err);
	free(out);
	free(err);
}

/* args through the server: its status st asserted; its stdout and stderr returned
 * (either may be NULL). */
static void remote(int st, char **out, char **err, const char *args)
{
	char *o = NULL, *e = NULL;
	int got = cli(&o, &e, server_env(), "%s", args);
	if (got != st)
		fail_msg("pivault %s through the server: %d, not %d [%s] [%s]", args, got, st, o, e);
	if (out)
		*out = o;
	else
		free(o);
	if (err)
		*err = e;
	else
		free(e);
}

/* args run locally as user and through the server signed in as user: the same standard
 * output, exit status and message. */
static void same_as_local(const char *user, const char *args)
{
	char *lout = NULL, *lerr = NULL, *rout = NULL, *rerr = NULL;
	int lst = cli(&lout, &lerr, local_env(user), "%s", args);
	int rst = cli(&rout, &rerr, server_env(), "%s", args);
	if (lst != rst || strcmp(lout, rout) != 0 || strcmp(lerr, rerr) != 0)
		fail_msg("pivault %s as %s: local %d [%s] [%s], server %d [%s] [%s]", args, user,
			 lst, lout, lerr, rst, rout, rerr);
	free(lout);
	free(lerr);
	free(rout);
	free(rerr);
}

/* The vault's and key's paths the environment names: never created. */
static void trap_untouched(void)
{
	char key[4096];
	snprintf(key, sizeof key, "%s.key", g_trap);
	assert_int_not_equal(access(g_trap, F_OK), 0);
	assert_int_not_equal(access(key, F_OK), 0);
}

/* ---- Reading the effect back with the root key ----------------------------------------- */

static pv_vault *root_open(void)
{
	return pvt_open_root(g_dir, NULL, g_key_path);
}

/* The clear value of field name of customer id (malloc'd; NULL when not shown). */
static char *field_of(const char *id, const char *name)
{
	pv_vault *root = root_open();
	pv_access admin = { "admin", "all", PV_WANT_CLEAR };
	pv_record *r = NULL;
	assert_ok(root, pv_get(root, &admin, id, &r));
	char *value = NULL;
	for (size_t i = 0; i < pv_record_field_count(r); i++)
		if (strcmp(pv_record_field_name(r, i), name) == 0 && pv_record_field_value(r, i))
			value = strdup(pv_record_field_value(r, i));
	pv_record_free(r);
	pvt_vclose(root);
	return value;
}

/* The consent events of a customer, "purpose:granted:channel" joined by ';'. */
static int consent_one(void *ctx, const pv_consent_event *e)
{
	char *buf = ctx;
	size_t n = strlen(buf);
	snprintf(buf + n, 1024 - n, "%s:%d:%s;", e->purpose, e->granted == PV_CONSENT_GRANTED,
		 e->channel);
	return 0;
}

static void consent_events(const char *id, char out[1024])
{
	pv_vault *root = root_open();
	pv_access admin = { "admin", NULL, PV_WANT_MASKED };
	out[0] = '\0';
	assert_ok(root, pv_consent_history(root, &admin, id, consent_one, out));
	pvt_vclose(root);
}

/* Whether customer id is under a hold in force. */
struct held {
	const char *id;
	int in_force;
};

static int hold_one(void *ctx, const pv_hold_info *h)
{
	struct held *q = ctx;
	if (strcmp(h->customer, q->id) == 0)
		q->in_force = !*h->released;
	return 0;
}

static int held(const char *id)
{
	pv_vault *root = root_open();
	pv_access admin = { "admin", NULL, PV_WANT_MASKED };
	struct held q = { id, 0 };
	assert_ok(root, pv_hold_list(root, &admin, hold_one, &q));
	pvt_vclose(root);
	return q.in_force;
}

/* ---- The vault and the server --------------------------------------------------------- */

static void add_users(void)
{
	pv_vault *root = root_open();
	pv_access admin = { "admin", NULL, PV_WANT_MASKED };
	const char *users[][2] = { { "clerk1", "clerk" }, { "aud", "auditor" }, { "adm", "admin" },
				   { "adm2", "admin" } };
	for (size_t i = 0; i < 4; i++)
		assert_ok(root, pvt_user_add(root, &admin, users[i][0], users[i][1], PW, strlen(PW)));
	char today[16];
	time_t now = time(NULL);
	strftime(today, sizeof today, "%Y-%m-%d", gmtime(&now));
	assert_ok(root, pv_user_attest(root, &admin, "clerk1", today, today, NULL));
	pvt_vclose(root);
}

static int group_setup(void **state)
{
	(void)state;
	g_tmp = pvt_tempdir();
	g_dir = pvt_path(g_tmp, "vault");
	g_key_path = pvt_path(g_tmp, "root.key");
	g_pw_path = pvt_path(g_tmp, "pw");
	g_run = pvt_path(g_tmp, "run");
	g_err = pvt_path(g_tmp, "stderr");
	g_trap = pvt_path(g_tmp, "no-vault-here");
	assert_int_equal(mkdir(g_run, 0700), 0);
	assert_int_equal(pvt_write_file(g_pw_path, PW, strlen(PW)), 0);
	char *csv = NULL;
	pv_vault *v = pvt_sample_vault(g_dir, g_key_path, 8, 13, &csv);
	pv_vault_close(v);
	assert_int_equal(pvt_csv_parse(csv, &g_csv), 0);
	free(csv);
	add_users();
	struct pvs_config c = { .plain_http = 1, .session_seconds = 600,
				.sign_in_per_address = 10000, .sign_in_per_user = 10000,
				.reads_per_second = 10000, .reads_burst = 10000 };
	g_srv = pvts_start(&c, g_dir, g_key_path, 1 << 20);
	g_port = pvs_port(g_srv);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	pvs_stop(g_srv);
	pvt_release_all();
	pvt_csv_free(&g_csv);
	pvt_rmtree(g_tmp);
	free(g_tmp);
	free(g_dir);
	free(g_key_path);
	free(g_pw_path);
	free(g_run);
	free(g_err);
	free(g_trap);
	return 0;
}

/* ---- 1. list, update, consent, holds ------------------------------------------------- */

/* The list page by page as the vault's own command prints it (table, --json, --after, the
 * "more:" line, --clear for a clerk); usage errors alike. */
static void test_list(void **state)
{
	(void)state;
	login("clerk1");
	same_as_local("clerk1", "list --purpose service");
	same_as_local("clerk1", "list --purpose service --limit 3");
	same_as_local("clerk1", "list --purpose service --limit 3 --after C00000003 --json");
	same_as_local("clerk1", "list --purpose service --clear --limit 2");
	same_as_local("clerk1", "list --purpose billing");	      /* denied */
	same_as_local("clerk1", "list --purpose service --limit 0"); /* usage: 2 */
	login("aud");
	same_as_local("aud", "list --purpose all --json");
	trap_untouched();
}

/* Several fields changed together through the server (read back with the root key); a
 * wrong value changes none; a clerk without 'update' refused as locally, nothing changed;
 * FIELD without =VALUE refused before anything is sent. */
static void test_update(void **state)
{
	(void)state;
	login("adm");
	char *out = NULL, *before = field_of("C00000002", "name");
	remote(0, &out, NULL, "update C00000002 name='Wen Twin' email=twin@example.com "
	       "--purpose all");
	assert_non_null(strstr(out, "updated C00000002: name\nupdated C00000002: email\n"));
	free(out);
	char *name = field_of("C00000002", "name"), *email = field_of("C00000002", "email");
	assert_string_equal(name, "Wen Twin");
	assert_string_equal(email, "twin@example.com");
	free(name);
	free(email);
	same_as_local("adm", "update C00000002 name=Other email=not-an-email --purpose all");
	name = field_of("C00000002", "name");
	assert_string_equal(name, "Wen Twin"); /* all or nothing */
	free(name);
	same_as_local("adm", "update C00000002 name");	   /* usage: 2 */
	same_as_local("adm", "update C09999999 name=X --purpose all"); /* not found */
	login("clerk1");
	same_as_local("clerk1", "update C00000003 name=Clerk --purpose service");
	name = field_of("C00000003", "name");
	assert_string_not_equal(name, "Clerk");
	free(name);
	free(before);
	trap_untouched();
}

/* Consent given and withdrawn through the server (recorded in the vault), its history
 * printed as locally (table and --json); a clerk refused alike; a missing --channel
 * refused before anything is sent. */
static void test_consent(void **state)
{
	(void)state;
	login("adm");
	char *out = NULL, events[1024];
	remote(0, &out, NULL, "consent grant C00000004 --purpose marketing --channel web "
	       "--text-version v3");
	assert_string_equal(out, "consent of C00000004 for marketing given\n");
	free(out);
	remote(0, NULL, NULL, "consent withdraw C00000004 --purpose marketing --channel phone");
	consent_events("C00000004", events);
	assert_non_null(strstr(events, "marketing:1:web;marketing:0:phone;"));
	same_as_local("adm", "consent show C00000004");
	same_as_local("adm", "consent show C00000004 --json");
	same_as_local("adm", "consent show C09999999");
	same_as_local("adm", "consent grant C00000004 --purpose marketing"); /* usage */
	login("clerk1");
	same_as_local("clerk1", "consent grant C00000005 --purpose marketing --channel web");
	same_as_local("clerk1", "consent show C00000004");
	consent_events("C00000005", events);
	assert_null(strstr(events, "marketing:1:web"));
	trap_untouched();
}

/* Holds placed and released through the server (in force, then not, in the vault), the
 * list printed as locally; a clerk refused alike, nothing held; a hold without a reason
 * refused before anything is sent. */
static void test_holds(void **state)
{
	(void)state;
	login("adm");
	char *out = NULL;
	remote(0, &out, NULL, "hold add C00000006 C00000007 --reason 'a regulator asked'");
	assert_string_equal(out, "held 2 customers\n");
	free(out);
	assert_true(held("C00000006"));
	assert_true(held("C00000007"));
	same_as_local("adm", "hold list");
	same_as_local("adm", "hold list --json");
	remote(0, &out, NULL, "hold release C00000007 --reason settled");
	assert_string_equal(out, "released 1 customer\n");
	free(out);
	assert_true(held("C00000006"));
	assert_false(held("C00000007"));
	same_as_local("adm", "hold list");
	same_as_local("adm", "hold add C00000008");	       /* no reason: usage */
	same_as_local("adm", "hold release C09999999"); /* not held */
	login("clerk1");
	same_as_local("clerk1", "hold add C00000008 --reason mine");
	same_as_local("clerk1", "hold list");
	assert_false(held("C00000008"));
	trap_untouched();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_update),
		cmocka_unit_test(test_consent),
		cmocka_unit_test(test_holds),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
