/* SPDX-License-Identifier: Apache-2.0 */
/* release_kdf_floor.c: the release library (pivault_static, as shipped; not the test
 * library the other tests link) refuses the fast Argon2id setting at creation, and
 * refuses to open a vault whose stored settings are under the floor (made here by the
 * test-only pivault-test), naming the floor, both for the root passphrase and for a
 * user's password. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pivault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char g_dir[64];

static int run(const char *cmd)
{
	int st = system(cmd);
	return st == -1 ? -1 : WEXITSTATUS(st);
}

static int setup(void **state)
{
	(void)state;
	snprintf(g_dir, sizeof g_dir, "/tmp/pvrelease-XXXXXX");
	assert_non_null(mkdtemp(g_dir));
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "cd '%s' && printf 'a long passphrase here\\n' > pass && "
		 "printf 'admin-password-1\\n' > admin.pw && PIVAULT_PASSPHRASE_FILE=pass "
		 "PIVAULT_PASSWORD_FILE=admin.pw '%s/pivault-test' init v --schema "
		 "'%s/examples/schema.yaml' --slots 16 --admin admin >/dev/null", g_dir,
		 PV_BINARY_DIR, PV_SOURCE_DIR);
	assert_int_equal(run(cmd), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
	return run(cmd) == 0 ? 0 : -1;
}

static void test_fast_refused_at_creation(void **state)
{
	(void)state;
	char dir[128];
	snprintf(dir, sizeof dir, "%s/fast", g_dir);
	pv_key *k = NULL;
	assert_int_equal(pv_key_from_passphrase("another passphrase", 18, &k), PV_OK);
	pv_create_opts o = { .schema_path = PV_SOURCE_DIR "/examples/schema.yaml",
			     .keyring_slots = 16, .kdf_cost = PV_KDF_FAST };
	pv_vault *v = NULL;
	assert_int_equal(pv_vault_create(dir, &o, k, &v), PV_ERR_USAGE);
	assert_non_null(strstr(pv_errmsg(v), "test builds only"));
	pv_vault_close(v);
	/* a value no name stands for is not a way around the floor either */
	o.kdf_cost = (pv_kdf_cost)7;
	v = NULL;
	assert_int_equal(pv_vault_create(dir, &o, k, &v), PV_ERR_USAGE);
	assert_non_null(strstr(pv_errmsg(v), "PV_KDF_STANDARD or PV_KDF_FAST"));
	pv_vault_close(v);
	pv_key_free(k);
	assert_int_not_equal(access(dir, F_OK), 0);
}

static void test_weak_vault_refused(void **state)
{
	(void)state;
	char dir[128];
	snprintf(dir, sizeof dir, "%s/v", g_dir);
	pv_key *k = NULL;
	assert_int_equal(pv_key_from_passphrase("a long passphrase here", 22, &k), PV_OK);
	pv_vault *v = NULL;
	assert_int_equal(pv_vault_open(dir, NULL, k, &v), PV_ERR_CORRUPT);
	assert_non_null(strstr(pv_errmsg(v), "under the floor of Argon2id t=3, 64 MiB"));
	pv_vault_close(v);
	pv_key_free(k);
	v = NULL;
	assert_int_equal(pv_vault_open_user(dir, NULL, "admin", "admin-password-1", 16, &v),
			 PV_ERR_DENIED);
	assert_non_null(strstr(pv_errmsg(v), "under the floor of Argon2id t=3, 64 MiB"));
	pv_vault_close(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fast_refused_at_creation),
		cmocka_unit_test(test_weak_vault_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
