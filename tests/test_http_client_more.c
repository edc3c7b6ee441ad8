/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_client_more.c: the command's remaining API twins (PIVAULT_SERVER), run against a
 * server started here over HTTPS with its certificate pinned, each compared with the same
 * command run on the vault itself (standard output, message and exit status, table and
 * --json): the audit log's checkpoints and proofs (a proof made through the server checked
 * by the local `audit check-proof` without the vault; `audit verify --checkpoint` with a
 * checkpoint kept and with one forged), ...; a role without the permission refused through
 * the server with the local command's exit status and a message that holds no value; the
 * vault and key paths the client's environment names never touched. */
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pivault.h"
#include "cli_client.h"

static const char PW[] = "more-twins-password-1";

static int group_setup(void **state)
{
	(void)state;
	pvtc_up(&(struct pvts_spec){ .customers = 8, .seed = 21, .password = PW,
				     .max_body = 1 << 20, .tls = 1 });
	return 0;
}

/* A path in the fixture's folder (malloc'd). */
static char *file_in(const char *name)
{
	return pvt_path(pvtc.f.tmp, name);
}

/* `pivault ARGS` on the vault itself as user: its status st asserted, stdout returned. */
static char *local(const char *user, int st, const char *args)
{
	char *out = NULL, *err = NULL;
	int got = pvtc_cli(&out, &err, pvtc_local_env(user), "%s", args);
	if (got != st)
		fail_msg("pivault %s on the vault as %s: %d, not %d [%s] [%s]", args, user, got, st,
			 out, err);
	free(err);
	return out;
}

/* Numbers in text made '#' (the log's size grows with each command). */
static void numbers_out(char *text)
{
	char *to = text;
	for (const char *p = text; *p; p++)
		if (*p < '0' || *p > '9')
			*to++ = *p;
		else if (to == text || to[-1] != '#')
			*to++ = '#';
	*to = '\0';
}

/* args run locally as user and through the server: the same exit status, and the same
 * output and message but for their numbers. */
static void same_as_local_but_numbers(const char *user, const char *args)
{
	char *lout = NULL, *lerr = NULL, *rout = NULL, *rerr = NULL;
	int lst = pvtc_cli(&lout, &lerr, pvtc_local_env(user), "%s", args);
	int rst = pvtc_cli(&rout, &rerr, pvtc_server_env(), "%s", args);
	numbers_out(lout);
	numbers_out(rout);
	numbers_out(lerr);
	numbers_out(rerr);
	if (lst != rst || strcmp(lout, rout) != 0 || strcmp(lerr, rerr) != 0)
		fail_msg("pivault %s as %s: local %d [%s] [%s], server %d [%s] [%s]", args, user,
			 lst, lout, lerr, rst, rout, rerr);
	free(lout);
	free(lerr);
	free(rout);
	free(rerr);
}

/* ---- 1. The audit log's checkpoints and proofs ---------------------------------------- */

/* The vault's public key as `pivault pubkey` prints it (malloc'd, no newline). */
static char *public_key(void)
{
	char *key = local("adm", 0, "pubkey --role admin");
	key[strcspn(key, "\n")] = '\0';
	return key;
}

/* `audit check-proof` on the client's machine, without the vault: its exit status, stdout. */
static int check_proof(char **out, const char *proof, const char *ck, const char *old)
{
	char *key = public_key(), args[8192];
	snprintf(args, sizeof args, "audit check-proof '%s' --checkpoint '%s'%s%s%s "
		 "--public-key %s", proof, ck, old ? " --old-checkpoint '" : "", old ? old : "",
		 old ? "'" : "", key);
	free(key);
	return pvtc_cli(out, NULL, pvtc_server_env(), "%s", args);
}

/* A checkpoint made through the server into file name (its path, malloc'd). */
static char *checkpoint_through_server(const char *name)
{
	char *path = file_in(name), args[4096];
	snprintf(args, sizeof args, "audit checkpoint -o '%s'", path);
	pvtc_remote(0, NULL, NULL, args);
	char *text = pvt_read_file(path, NULL);
	assert_non_null(strstr(text, "pivault-audit-checkpoint v1"));
	free(text);
	return path;
}

/* Checkpoints made and listed through the server as locally (table, --json, a page and its
 * "more:" line, a bad --after); an inclusion proof and a consistency proof made through
 * the server, written to a file, are valid for `audit check-proof` against the vault's key
 * without the vault, and printed as the local command prints them. */
static void test_audit_proofs(void **state)
{
	(void)state;
	pvtc_login("aud");
	char *ck1 = checkpoint_through_server("ck1.txt"), *out = NULL, args[8192];
	pvtc_same_as_local("aud", "get C00000001 --purpose all"); /* the log grows */
	char *ck2 = checkpoint_through_server("ck2.txt");
	pvtc_same_as_local("aud", "audit checkpoints");
	pvtc_same_as_local("aud", "audit checkpoints --json");
	pvtc_same_as_local("aud", "audit checkpoints --limit 1");
	pvtc_same_as_local("aud", "audit checkpoints --after x"); /* usage: 2 */
	pvtc_same_as_local("aud", "audit prove 3");
	pvtc_same_as_local("aud", "audit prove three");	  /* usage */
	pvtc_same_as_local("aud", "audit prove 99999999"); /* beyond the checkpoint */
	char *proof = file_in("inclusion.txt"), *cons = file_in("consistency.txt");
	snprintf(args, sizeof args, "audit prove 3 -o '%s'", proof);
	pvtc_remote(0, NULL, NULL, args);
	assert_int_equal(check_proof(&out, proof, ck2, NULL), 0);
	assert_non_null(strstr(out, "valid: "));
	free(out);
	snprintf(args, sizeof args, "audit consistency '%s'", ck1);
	pvtc_same_as_local("aud", args);
	snprintf(args, sizeof args, "audit consistency '%s' -o '%s'", ck1, cons);
	pvtc_remote(0, NULL, NULL, args);
	assert_int_equal(check_proof(&out, cons, ck2, ck1), 0);
	assert_non_null(strstr(out, "valid: "));
	free(out);
	pvtc_remote(1, NULL, NULL, args); /* never over the file written */
	free(ck1);
	free(ck2);
	free(proof);
	free(cons);
	pvtc_trap_untouched();
}

/* `audit verify --checkpoint` through the server as locally: a checkpoint kept proves the
 * log still holds what it signed; one forged (its root changed) and one that is not a
 * checkpoint are refused alike. */
static void test_audit_verify_checkpoint(void **state)
{
	(void)state;
	pvtc_login("aud");
	char *ck = checkpoint_through_server("kept.txt"), *forged = file_in("forged.txt");
	char *junk = file_in("junk.txt"), args[8192];
	pvtc_same_as_local("aud", "get C00000002 --purpose all");
	snprintf(args, sizeof args, "audit verify --checkpoint '%s'", ck);
	same_as_local_but_numbers("aud", args);
	char *text = pvt_read_file(ck, NULL), *root = strstr(text, "\nroot ");
	assert_non_null(root);
	root[6] = root[6] == 'a' ? 'b' : 'a';
	assert_int_equal(pvt_write_file(forged, text, strlen(text)), 0);
	snprintf(args, sizeof args, "audit verify --checkpoint '%s'", forged);
	same_as_local_but_numbers("aud", args);
	assert_int_equal(pvt_write_file(junk, "not a checkpoint\n", 17), 0);
	snprintf(args, sizeof args, "audit verify --checkpoint '%s'", junk);
	same_as_local_but_numbers("aud", args);
	free(text);
	free(ck);
	free(forged);
	free(junk);
}

/* A clerk (no 'audit') refused through the server as on the vault, the message naming no
 * value. */
static void test_audit_refused(void **state)
{
	(void)state;
	pvtc_login("clerk1");
	char *ck = file_in("ck1.txt"), args[8192], *err = NULL;
	pvtc_same_as_local("clerk1", "audit checkpoints");
	pvtc_same_as_local("clerk1", "audit prove 1");
	snprintf(args, sizeof args, "audit consistency '%s'", ck);
	pvtc_same_as_local("clerk1", args);
	snprintf(args, sizeof args, "audit verify --checkpoint '%s'", ck);
	pvtc_same_as_local("clerk1", args);
	pvtc_remote(1, NULL, &err, "audit checkpoint");
	assert_null(strstr(err, "root"));
	free(err);
	free(ck);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audit_proofs),
		cmocka_unit_test(test_audit_verify_checkpoint),
		cmocka_unit_test(test_audit_refused),
	};
	return cmocka_run_group_tests(tests, group_setup, pvtc_group_teardown);
}
