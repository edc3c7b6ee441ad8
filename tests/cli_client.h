/* SPDX-License-Identifier: Apache-2.0 */
/* cli_client.h: what the tests of the command as a client (PIVAULT_SERVER) share: the
 * fixture (pvts_fixture_up) with a password file for its users, a runtime directory for
 * the session file and a vault path that must never be created; the command run on the
 * vault's own machine or as a client of the fixture's server (over HTTPS with its
 * certificate pinned when the fixture is served so), and the two compared. Every call
 * asserts (cmocka). */
#ifndef PV_TEST_CLI_CLIENT_H
#define PV_TEST_CLI_CLIENT_H

#include "server_client.h"

/* The fixture and the client machine's files. */
struct pvtc_client {
	struct pvts_fixture f;
	char *pw_path; /* the users' password (PIVAULT_PASSWORD_FILE) */
	char *run;     /* XDG_RUNTIME_DIR: the session file's */
	char *err;     /* the last command's standard error */
	char *trap;    /* the vault (and key) path the client's environment names */
};
extern struct pvtc_client pvtc;

/* The fixture of s up, the client's files made; and all of it removed. */
void pvtc_up(const struct pvts_spec *s);
void pvtc_down(void);
/* pvtc_down as a cmocka group teardown. */
int pvtc_group_teardown(void **state);

/* A clerk's machine talking to the fixture's server (the vault and key paths name
 * nothing), and the vault's own machine acting as user. Static buffers. */
const char *pvtc_server_env(void);
const char *pvtc_local_env(const char *user);

/* `pivault ARGS` with env: stdout into *out, stderr into *err (either may be NULL,
 * malloc'd); the exit status. */
int pvtc_cli(char **out, char **err, const char *env, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* `pivault login --user user` through the server (asserted). */
void pvtc_login(const char *user);
/* args through the server: its status st asserted; stdout and stderr returned (either
 * may be NULL). */
void pvtc_remote(int st, char **out, char **err, const char *args);
/* args run locally as user and through the server signed in as user: the same standard
 * output, exit status and message. */
void pvtc_same_as_local(const char *user, const char *args);
/* The vault's and key's paths the client's environment names: never created. */
void pvtc_trap_untouched(void);

#endif
