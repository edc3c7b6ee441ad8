/* SPDX-License-Identifier: Apache-2.0 */
/* test_cli_paths.c: command paths no other test runs: a vault under a passphrase (and a
 * wrong one), a keyring placed elsewhere at init (--keyring, then PIVAULT_KEYRING), `audit
 * verify` after a DBA's edit with SQL (exit 1, the entry named), and the audit proofs
 * (`audit prove`, `audit consistency`) checked by `audit check-proof` without the vault,
 * then with a changed byte. */
#include "dba.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *g_dir; /* a directory of the test's own */

/* Run the command line cmd (built like printf, run by sh in g_dir): its exit status,
 * its standard output into *out and its error output into *err (each may be NULL). */
static int sh(char **out, char **err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int sh(char **out, char **err, const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	int st = pvt_run(out, "cd '%s' && P='%s' && (%s) </dev/null 2>stderr.txt", g_dir,
			 pvt_program("pivault-test"), cmd);
	char *path = pvt_path(g_dir, "stderr.txt");
	char *e = pvt_read_file(path, NULL);
	free(path);
	assert_non_null(e);
	if (err)
		*err = e;
	else
		free(e);
	return st;
}

static int setup(void **state)
{
	(void)state;
	unsetenv("PIVAULT_VAULT");
	unsetenv("PIVAULT_KEY_FILE");
	unsetenv("PIVAULT_KEYRING");
	unsetenv("PIVAULT_PASSPHRASE_FILE");
	unsetenv("PIVAULT_USER");
	unsetenv("PIVAULT_PASSWORD_FILE");
	g_dir = pvt_tempdir();
	assert_int_equal(sh(NULL, NULL, "printf 'admin-password-1\\n' > admin.pw && "
			    "'%s' -n 20 --seed 9 --canonical -o in.csv", pvt_program("pvgen")), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pvt_rmtree(g_dir);
	free(g_dir);
	return 0;
}

/* A vault whose root secret is a passphrase, its keyring placed elsewhere at init: it
 * opens with that passphrase and PIVAULT_KEYRING naming the keyring; without the keyring
 * named, the message names the keyring it looked for; a wrong passphrase is refused and
 * never echoed. */
static void test_passphrase_and_keyring_elsewhere(void **state)
{
	(void)state;
	char *out = NULL, *err = NULL;
	assert_int_equal(sh(NULL, &err, "printf 'correct horse battery staple\\n' > pass && "
			    "printf 'wrong horse battery staple\\n' > wrong && "
			    "PIVAULT_PASSPHRASE_FILE=pass PIVAULT_PASSWORD_FILE=admin.pw $P init v "
			    "--schema '%s/examples/schema.yaml' --slots 1024 --keyring ring",
			    PV_SOURCE_DIR), 0);
	free(err);
	assert_int_equal(sh(NULL, NULL, "test -f ring && ! test -e v.keyring"), 0);
	assert_int_equal(sh(&out, &err, "PIVAULT_PASSPHRASE_FILE=pass PIVAULT_KEYRING=ring $P "
			    "import in.csv --vault v --role admin"), 0);
	free(out);
	free(err);
	assert_int_equal(sh(&out, &err, "PIVAULT_PASSPHRASE_FILE=pass $P audit verify --vault v "
			    "--keyring ring"), 0);
	assert_non_null(strstr(out, "chain intact"));
	free(out);
	free(err);
	/* the keyring not named: the default beside the directory is not there */
	assert_int_equal(sh(&out, &err, "PIVAULT_PASSPHRASE_FILE=pass $P audit verify --vault v"),
			 1);
	assert_non_null(strstr(err, "v.keyring"));
	free(out);
	free(err);
	/* a wrong passphrase */
	assert_int_equal(sh(&out, &err, "PIVAULT_PASSPHRASE_FILE=wrong PIVAULT_KEYRING=ring $P "
			    "audit verify --vault v"), 1);
	assert_non_null(strstr(err, "wrong passphrase"));
	assert_null(strstr(err, "horse"));
	free(out);
	free(err);
}

/* A vault under a key file, with some history and two exported checkpoints. */
static void make_keyed_vault(void)
{
	char *err = NULL;
	int st = sh(NULL, &err, "$P keygen root.key && PIVAULT_KEY_FILE=root.key "
		    "PIVAULT_PASSWORD_FILE=admin.pw $P init v --schema '%s/examples/schema.yaml' "
		    "--slots 1024 && export PIVAULT_VAULT=v PIVAULT_KEY_FILE=root.key && "
		    "$P import in.csv --role admin && $P audit checkpoint -o c1 && "
		    "$P list --role admin --purpose service >/dev/null && $P audit checkpoint -o c2 && "
		    "$P pubkey > pk", PV_SOURCE_DIR);
	if (st != 0)
		fail_msg("making the vault: exit %d: %s", st, err);
	free(err);
}

/* A DBA changes one audit entry with SQL: `audit verify` exits 1 and names the entry. */
static void test_audit_verify_after_sql_edit(void **state)
{
	(void)state;
	make_keyed_vault();
	char *out = NULL, *err = NULL;
	assert_int_equal(sh(&out, &err, "PIVAULT_VAULT=v PIVAULT_KEY_FILE=root.key $P audit "
			    "verify"), 0);
	free(out);
	free(err);
	char *vault = pvt_path(g_dir, "v"), *changed = NULL;
	assert_int_equal(pvt_dba(&changed, vault, "UPDATE audit SET %s = 'nobody' WHERE seq = 3 "
				 "RETURNING 1", pvt_dba_pg(vault) ? "user_name" : "user"), 0);
	assert_string_equal(changed, "1\n");
	free(changed);
	free(vault);
	assert_int_equal(sh(&out, &err, "PIVAULT_VAULT=v PIVAULT_KEY_FILE=root.key $P audit "
			    "verify"), 1);
	if (!strstr(err, "entry 3") && !strstr(err, "at 3"))
		fail_msg("the break is not named: %s", err);
	free(out);
	free(err);
}

/* Proofs made by the vault, checked with only the vault's public key; a changed byte of a
 * proof, or the other key, is refused. */
static void test_proofs_through_check_proof(void **state)
{
	(void)state;
	make_keyed_vault();
	char *out = NULL, *err = NULL;
	assert_int_equal(sh(NULL, &err, "export PIVAULT_VAULT=v PIVAULT_KEY_FILE=root.key && "
			    "$P audit prove 2 > inc && $P audit consistency c1 > cons"), 0);
	free(err);
	/* checked without the vault */
	assert_int_equal(sh(&out, &err, "env -i PATH=\"$PATH\" $P audit check-proof inc "
			    "--checkpoint c2 --public-key $(cat pk)"), 0);
	assert_non_null(strstr(out, "valid: entry 2 is in the log"));
	free(out);
	free(err);
	assert_int_equal(sh(&out, &err, "env -i PATH=\"$PATH\" $P audit check-proof cons "
			    "--checkpoint c2 --old-checkpoint c1 --public-key $(cat pk)"), 0);
	assert_non_null(strstr(out, "extends the log"));
	free(out);
	free(err);
	/* a changed byte of the proof's path */
	assert_int_equal(sh(NULL, NULL, "awk '!d && /^path / { c = substr($2, 1, 1); "
			    "$2 = (c == \"0\" ? \"1\" : \"0\") substr($2, 2); d = 1 } { print }' "
			    "inc > bad"), 0);
	assert_int_equal(sh(NULL, NULL, "! cmp -s inc bad"), 0);
	assert_int_equal(sh(&out, &err, "env -i PATH=\"$PATH\" $P audit check-proof bad "
			    "--checkpoint c2 --public-key $(cat pk)"), 1);
	free(out);
	free(err);
	/* another key */
	assert_int_equal(sh(&out, &err, "env -i PATH=\"$PATH\" $P audit check-proof inc "
			    "--checkpoint c2 --public-key %064d", 7), 1);
	free(out);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_passphrase_and_keyring_elsewhere, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_audit_verify_after_sql_edit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_proofs_through_check_proof, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
