/* SPDX-License-Identifier: Apache-2.0 */
/* test_rekey_root.c: replacing the root secret. The new secret opens the vault and the
 * old one is refused; users keep their passwords; every customer reads; an old copy of
 * the vault's files opened with the old secret cannot open the live keyring; only a
 * root-secret session with 'rekey' may do it; a change interrupted between the store's
 * commit and the keyring's rename is finished at the next open; it can be done twice,
 * and to a passphrase. */
#include "testutil.h"

#include "pivault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N 40
static const char PW[] = "dpo-password-1";
static const pv_access ADMIN = { "admin", NULL, 0 };
static const pv_access ALL = { "admin", "all", 1 };

struct fixture {
	char *dir, *vault, *keyring, *key, *key2;
	pv_vault *v;
};

static void write_key(const char *path, unsigned char seed)
{
	unsigned char k[32];
	for (int i = 0; i < 32; i++)
		k[i] = (unsigned char)(seed * 31 + i);
	assert_int_equal(pvt_write_file(path, k, sizeof k), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	f->dir = pvt_tempdir();
	f->vault = pvt_path(f->dir, "vault");
	f->keyring = pvt_path(f->dir, "vault.keyring");
	f->key = pvt_path(f->dir, "root.key");
	f->key2 = pvt_path(f->dir, "new.key");
	write_key(f->key2, 7);
	f->v = pvt_sample_vault(f->vault, f->key, N, 3, NULL);
	assert_ok(f->v, pv_user_add(f->v, &ADMIN, "dpo1", "dpo", PW, strlen(PW)));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	pv_vault_close(f->v);
	pvt_release_all();
	pvt_rmtree(f->dir);
	free(f->dir);
	free(f->vault);
	free(f->keyring);
	free(f->key);
	free(f->key2);
	free(f);
	return 0;
}

static pv_key *key_of(const char *path)
{
	pv_key *k = NULL;
	assert_int_equal(pv_key_from_file(path, &k), PV_OK);
	return k;
}

static pv_rc open_with(const char *dir, const char *keyring, const char *key_path,
		       pv_vault **out)
{
	pv_key *k = key_of(key_path);
	pv_rc rc = pv_vault_open(dir, keyring, k, out);
	pv_key_free(k);
	return rc;
}

/* Every customer reads. */
static void assert_all_read(pv_vault *v)
{
	for (int i = 1; i <= N; i++) {
		char id[16];
		pv_record *r = NULL;
		snprintf(id, sizeof id, "C%08d", i);
		if (pv_get(v, &ALL, id, &r) != PV_OK)
			fail_msg("%s does not read: %s", id, pv_errmsg(v));
		pv_record_free(r);
	}
}

static void rotate(struct fixture *f, const char *new_key_path)
{
	pv_key *k = key_of(new_key_path);
	assert_ok(f->v, pv_vault_rekey_root(f->v, &ADMIN, k));
	pv_key_free(k);
}

static void test_rotate_key_file(void **state)
{
	struct fixture *f = *state;
	/* an old copy of the vault's files, as a thief might have */
	char *old = pvt_keep(pvt_path(f->dir, "old"));
	assert_int_equal(pvt_run(NULL, "cp -r '%s' '%s'", f->vault, old), 0);
	rotate(f, f->key2);
	assert_all_read(f->v); /* the open handle goes on */
	pvt_vclose(f->v);
	f->v = NULL;

	pv_vault *w = NULL;
	assert_int_equal(open_with(f->vault, NULL, f->key, &w), PV_ERR_BAD_KEY);
	pv_vault_close(w);
	w = NULL;
	assert_int_equal(open_with(f->vault, NULL, f->key2, &w), PV_OK);
	pvt_track(w);
	assert_all_read(w);
	char *report = NULL;
	assert_ok(w, pv_audit_verify(w, NULL, &report));
	pv_free(report);
	pv_vault *u = pvt_open_user(f->vault, "dpo1", PW); /* passwords unchanged */
	pvt_vclose(u);
	/* the old copy with the old secret: its header opens, the live keyring does not */
	pv_vault *o = NULL;
	assert_int_equal(open_with(old, f->keyring, f->key, &o), PV_ERR_BAD_KEY);
	pv_vault_close(o);
}

/* A handle opened before another one replaced the root secret still destroys keys in
 * the live keyring when it shreds. */
static void test_other_handle_shreds_after(void **state)
{
	struct fixture *f = *state;
	pv_vault *early = NULL;
	assert_int_equal(open_with(f->vault, NULL, f->key, &early), PV_OK);
	pvt_track(early);
	rotate(f, f->key2);
	size_t len0, len1;
	char *live0 = pvt_keep(pvt_read_file(f->keyring, &len0));
	const char *ids[] = { "C00000005" };
	char *cert = NULL;
	assert_ok(early, pv_shred(early, &ADMIN, ids, 1, &cert));
	pv_free(cert);
	/* the bucket's slot was overwritten in the live keyring, not in the replaced file */
	char *live1 = pvt_keep(pvt_read_file(f->keyring, &len1));
	assert_int_equal(len0, len1);
	assert_memory_not_equal(live0, live1, len0);
	pvt_vclose(early);
	pvt_vclose(f->v);
	f->v = NULL;
	pv_vault *w = NULL;
	assert_int_equal(open_with(f->vault, NULL, f->key2, &w), PV_OK);
	pvt_track(w);
	pv_record *r = NULL;
	assert_int_equal(pv_get(w, &ALL, "C00000005", &r), PV_ERR_NOT_FOUND);
	assert_ok(w, pv_get(w, &ALL, "C00000006", &r));
	pv_record_free(r);
}

static void test_who_may(void **state)
{
	struct fixture *f = *state;
	pv_key *k = key_of(f->key2);
	pv_access clerk = { "clerk", NULL, 0 };
	assert_int_equal(pv_vault_rekey_root(f->v, &clerk, k), PV_ERR_DENIED);
	pv_vault *u = pvt_open_user(f->vault, "dpo1", PW);
	pv_rc rc = pv_vault_rekey_root(u, NULL, k);
	assert_int_equal(rc, PV_ERR_DENIED);
	pvt_vclose(u);
	pv_key_free(k);
	pvt_vclose(f->v);
	f->v = NULL;
	pv_vault *w = NULL;
	assert_int_equal(open_with(f->vault, NULL, f->key, &w), PV_OK); /* unchanged */
	pv_vault_close(w);
}

static void test_interrupted_then_finished(void **state)
{
	struct fixture *f = *state;
	size_t len;
	char *before = pvt_keep(pvt_read_file(f->keyring, &len));
	rotate(f, f->key2);
	pvt_vclose(f->v);
	f->v = NULL;
	size_t len2;
	char *after = pvt_keep(pvt_read_file(f->keyring, &len2));
	/* as a crash after the commit and before the rename would leave it */
	char *next = pvt_keep(pvt_path(f->dir, "vault.keyring.next"));
	assert_int_equal(pvt_write_file(next, after, len2), 0);
	assert_int_equal(pvt_write_file(f->keyring, before, len), 0);
	pv_vault *w = NULL;
	assert_int_equal(open_with(f->vault, NULL, f->key2, &w), PV_OK);
	pvt_track(w);
	assert_all_read(w);
	assert_int_not_equal(access(next, F_OK), 0);
	/* and a leftover of a change that never committed is dropped */
	assert_int_equal(pvt_write_file(next, before, len), 0);
	pvt_vclose(w);
	assert_int_equal(open_with(f->vault, NULL, f->key2, &w), PV_OK);
	pvt_track(w);
	assert_all_read(w);
	assert_int_not_equal(access(next, F_OK), 0);
}

static void test_twice_and_to_a_passphrase(void **state)
{
	struct fixture *f = *state;
	rotate(f, f->key2);
	char *key3 = pvt_keep(pvt_path(f->dir, "third.key"));
	write_key(key3, 9);
	rotate(f, key3);
	static const char pass[] = "a long and new passphrase";
	pv_key *p = NULL;
	assert_int_equal(pv_key_from_passphrase(pass, strlen(pass), &p), PV_OK);
	assert_ok(f->v, pv_vault_rekey_root(f->v, &ADMIN, p));
	pvt_vclose(f->v);
	f->v = NULL;
	pv_vault *w = NULL;
	assert_int_equal(open_with(f->vault, NULL, key3, &w), PV_ERR_BAD_KEY);
	pv_vault_close(w);
	w = NULL;
	assert_int_equal(pv_vault_open(f->vault, NULL, p, &w), PV_OK);
	pvt_track(w);
	assert_all_read(w);
	pv_key_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rotate_key_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_handle_shreds_after, setup, teardown),
		cmocka_unit_test_setup_teardown(test_who_may, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interrupted_then_finished, setup, teardown),
		cmocka_unit_test_setup_teardown(test_twice_and_to_a_passphrase, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
