/* SPDX-License-Identifier: Apache-2.0 */
/* cli_client.c: running the pivault command against the test server and on the vault
 * itself, for the tests of the command as a client (cli_client.h). */
#include "cli_client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct pvtc_client pvtc;

void pvtc_up(const struct pvts_spec *s)
{
	pvts_fixture_up(&pvtc.f, s);
	pvtc.pw_path = pvt_path(pvtc.f.tmp, "pw");
	pvtc.run = pvt_path(pvtc.f.tmp, "run");
	pvtc.err = pvt_path(pvtc.f.tmp, "stderr");
	pvtc.trap = pvt_path(pvtc.f.tmp, "no-vault-here");
	assert_int_equal(mkdir(pvtc.run, 0700), 0);
	assert_int_equal(pvt_write_file(pvtc.pw_path, s->password, strlen(s->password)), 0);
}

void pvtc_down(void)
{
	pvts_fixture_down(&pvtc.f);
	free(pvtc.pw_path);
	free(pvtc.run);
	free(pvtc.err);
	free(pvtc.trap);
	memset(&pvtc, 0, sizeof pvtc);
}

int pvtc_group_teardown(void **state)
{
	(void)state;
	pvtc_down();
	return 0;
}

const char *pvtc_server_env(void)
{
	static char buf[8192];
	int n = snprintf(buf, sizeof buf, "XDG_RUNTIME_DIR='%s' PIVAULT_PASSWORD_FILE='%s' "
			 "PIVAULT_VAULT='%s' PIVAULT_KEY_FILE='%s.key' ", pvtc.run, pvtc.pw_path,
			 pvtc.trap, pvtc.trap);
	if (pvtc.f.tls_cert)
		snprintf(buf + n, sizeof buf - (size_t)n, "PIVAULT_SERVER='https://127.0.0.1:%u' "
			 "PIVAULT_SERVER_CERT='%s'", pvtc.f.port, pvtc.f.tls_cert);
	else
		snprintf(buf + n, sizeof buf - (size_t)n, "PIVAULT_SERVER='http://127.0.0.1:%u'",
			 pvtc.f.port);
	return buf;
}

const char *pvtc_local_env(const char *user)
{
	static char buf[4096];
	snprintf(buf, sizeof buf, "PIVAULT_VAULT='%s' PIVAULT_USER='%s' PIVAULT_PASSWORD_FILE='%s'",
		 pvtc.f.dir, user, pvtc.pw_path);
	return buf;
}

int pvtc_cli(char **out, char **err, const char *env, const char *fmt, ...)
{
	char args[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	int st = pvt_run(out, "env -u PIVAULT_TOKEN -u PIVAULT_SERVER_PIN -u PIVAULT_SERVER_CERT "
			 "%s '%s' %s </dev/null 2>'%s'", env, pvt_program("pivault-test"), args,
			 pvtc.err);
	char *e = pvt_read_file(pvtc.err, NULL);
	assert_non_null(e);
	if (err)
		*err = e;
	else
		free(e);
	return st;
}

void pvtc_login(const char *user)
{
	char *out = NULL, *err = NULL;
	int st = pvtc_cli(&out, &err, pvtc_server_env(), "login --user %s", user);
	if (st != 0)
		fail_msg("login %s: %d %s", user, st, err);
	assert_non_null(strstr(out, "signed in to"));
	free(out);
	free(err);
}

void pvtc_remote(int st, char **out, char **err, const char *args)
{
	char *o = NULL, *e = NULL;
	int got = pvtc_cli(&o, &e, pvtc_server_env(), "%s", args);
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

void pvtc_same_as_local(const char *user, const char *args)
{
	char *lout = NULL, *lerr = NULL, *rout = NULL, *rerr = NULL;
	int lst = pvtc_cli(&lout, &lerr, pvtc_local_env(user), "%s", args);
	int rst = pvtc_cli(&rout, &rerr, pvtc_server_env(), "%s", args);
	if (lst != rst || strcmp(lout, rout) != 0 || strcmp(lerr, rerr) != 0)
		fail_msg("pivault %s as %s: local %d [%s] [%s], server %d [%s] [%s]", args, user,
			 lst, lout, lerr, rst, rout, rerr);
	free(lout);
	free(lerr);
	free(rout);
	free(rerr);
}

void pvtc_trap_untouched(void)
{
	char key[4096];
	snprintf(key, sizeof key, "%s.key", pvtc.trap);
	assert_int_not_equal(access(pvtc.trap, F_OK), 0);
	assert_int_not_equal(access(key, F_OK), 0);
}
