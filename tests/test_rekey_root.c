/* SPDX-License-Identifier: Apache-2.0 */
/* test_rekey_root.c: replacing the root secret. The new secret opens the vault and the
 * old one is refused; users keep their passwords; every customer reads; an old copy of
 * the vault's files opened with the old secret cannot open the live keyring; only a
 * root-secret session with 'rekey' may do it; a change interrupted between the store's
 * commit and the keyring's rename is finished at the next open; it can be done twice,
 * and to a passphrase. A rotation makes a new master key: after it the old root secret, a
 * disabled user's password and the rows of a copy taken before open nothing, whatever a
 * DBA edits in the database (rows deleted, rows of the old copy put back). */
#include "dba.h"
#include "testutil.h"

#include "pivault.h"
#include "store/store.h"

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
	assert_ok(f->v, pvt_user_add(f->v, &ADMIN, "dpo1", "dpo", PW, strlen(PW)));
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
	pvt_vault_copied(old);
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
	assert_ok(w, pv_audit_verify(w, NULL, NULL, &report));
	pv_free(report);
	pv_vault *u = pvt_open_user(f->vault, "dpo1", PW); /* passwords unchanged */
	pvt_vclose(u);
	/* the old copy with the old secret: its header opens, the live keyring does not */
	pv_vault *o = NULL;
	assert_int_equal(open_with(old, f->keyring, f->key, &o), PV_ERR_BAD_KEY);
	pv_vault_close(o);
}

/* Handles opened before another one replaced the root secret (this test's behaviour
 * changed with issue 10: the master key is replaced too). One opened with the old secret
 * can no longer write: its shred is refused and the live keyring stays as it is. One
 * opened by a user who stays active takes up the new master with the user's own key pair
 * and re-keys the buckets in the live keyring. */
static void test_other_handles_after(void **state)
{
	struct fixture *f = *state;
	static const char OPS_PW[] = "ops-password-11";
	assert_ok(f->v, pvt_user_add(f->v, &ADMIN, "ops", "admin", OPS_PW, strlen(OPS_PW)));
	pv_vault *early = NULL;
	assert_int_equal(open_with(f->vault, NULL, f->key, &early), PV_OK);
	pvt_track(early);
	pv_vault *early_user = pvt_open_user(f->vault, "ops", OPS_PW);
	rotate(f, f->key2);
	size_t len0, len1;
	char *live0 = pvt_keep(pvt_read_file(f->keyring, &len0));
	const char *ids[] = { "C00000005" };
	char *cert = NULL;
	assert_int_equal(pv_shred(early, &ADMIN, ids, 1, &cert), PV_ERR_BAD_KEY);
	assert_non_null(strstr(pv_errmsg(early), "open the vault again"));
	char *live1 = pvt_keep(pvt_read_file(f->keyring, &len1));
	assert_int_equal(len0, len1);
	assert_memory_equal(live0, live1, len0);
	pvt_vclose(early);

	pv_rekey_result res;
	assert_ok(early_user, pv_rekey(early_user, &ADMIN, 0, &res));
	assert_true(res.buckets > 0);
	char *live2 = pvt_keep(pvt_read_file(f->keyring, &len1));
	assert_memory_not_equal(live0, live2, len0);
	pvt_vclose(early_user);
	pvt_vclose(f->v);
	f->v = NULL;
	pv_vault *w = NULL;
	assert_int_equal(open_with(f->vault, NULL, f->key2, &w), PV_OK);
	pvt_track(w);
	assert_all_read(w);
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

/* SQL on a vault's store, as a DBA would (dba.h). */
static void dba(const char *vault, const char *sql)
{
	assert_int_equal(pvt_dba(NULL, vault, "%s", sql), 0);
}

/* SQL on a vault's store that reads an old copy's tables as old.TABLE: in SQLite the
 * copy's file attached as old, in PostgreSQL the copy's own schema named instead. */
static void dba_with_old(const char *vault, const char *old, const char *sql)
{
	if (!pvt_dba_pg(vault)) {
		assert_int_equal(pvt_dba(NULL, vault, "ATTACH '%s/vault.db' AS old; %s", old, sql),
				 0);
		return;
	}
	char *record = pvt_path(old, "store");
	char *location = pvt_read_file(record, NULL);
	assert_non_null(location);
	location[strcspn(location, "\n")] = '\0';
	char schema[64];
	free(pv_store_location_conninfo(location, schema, sizeof schema));
	char *named = malloc(strlen(sql) * 8 + 1), *to = named;
	assert_non_null(named);
	for (const char *p = sql; *p;) {
		if (strncmp(p, "old.", 4) == 0 && (p == sql || p[-1] == ' ')) {
			to += sprintf(to, "%s.", schema);
			p += 4;
		} else {
			*to++ = *p++;
		}
	}
	*to = '\0';
	dba(vault, named);
	free(named);
	free(location);
	free(record);
}

/* A copy of the live vault directory (its database), to edit. */
static char *copy_of(struct fixture *f, const char *name)
{
	char *dir = pvt_keep(pvt_path(f->dir, name));
	assert_int_equal(pvt_run(NULL, "rm -rf '%s' && cp -r '%s' '%s'", dir, f->vault, dir), 0);
	pvt_vault_copied(dir);
	return dir;
}

/* open with key_path must not succeed on vault (with the live keyring). */
static void assert_old_root_refused(struct fixture *f, const char *vault, const char *what)
{
	pv_vault *w = NULL;
	pv_rc rc = open_with(vault, f->keyring, f->key, &w);
	if (rc == PV_OK)
		fail_msg("the old root secret opened the vault after %s", what);
	if (getenv("PVT_VERBOSE"))
		fprintf(stderr, "%s: %s\n", what, pv_errmsg(w));
	pv_vault_close(w);
}

/* A user's login must not succeed on vault (with the live keyring). */
static void assert_login_refused(struct fixture *f, const char *vault, const char *user,
				 const char *pw, const char *what)
{
	pv_vault *w = NULL;
	pv_rc rc = pv_vault_open_user(vault, f->keyring, user, pw, strlen(pw), &w);
	if (rc == PV_OK)
		fail_msg("%s's password opened the vault after %s", user, what);
	pv_vault_close(w);
}

/* The attack: after rekey --root, a DBA with the old root secret deletes the rows that
 * say the master is sealed (so that the root would be taken as the master), or puts back
 * every key row of a copy taken before the rotation. Neither opens the vault. */
static void test_old_root_after_dba_edits(void **state)
{
	struct fixture *f = *state;
	char *old = pvt_keep(pvt_path(f->dir, "old"));
	assert_int_equal(pvt_run(NULL, "cp -r '%s' '%s'", f->vault, old), 0);
	pvt_vault_copied(old);
	rotate(f, f->key2);
	pvt_vclose(f->v);
	f->v = NULL;
	assert_old_root_refused(f, f->vault, "the rotation");

	char *e1 = copy_of(f, "edit1");
	dba(e1, "DELETE FROM meta WHERE k = 'master_sealed'");
	assert_old_root_refused(f, e1, "the sealed master key's row was deleted");

	char *e2 = copy_of(f, "edit2");
	dba_with_old(e2, old, "DELETE FROM meta; "
		 "INSERT INTO meta SELECT * FROM old.meta");
	assert_old_root_refused(f, e2, "every meta row of an old copy was put back");

	/* variant: the old copy's rows, with the current rows of the keys sealed under the
	 * master added (as they would open if the master had not changed) */
	char *e3 = copy_of(f, "edit3");
	dba_with_old(e3, old, "DELETE FROM meta WHERE k IN "
		 "(SELECT k FROM old.meta); INSERT INTO meta SELECT * FROM old.meta");
	assert_old_root_refused(f, e3, "the old copy's meta rows were put back over the current");
	/* the live vault is untouched and opens with the new secret */
	pv_vault *w = NULL;
	assert_int_equal(open_with(f->vault, NULL, f->key2, &w), PV_OK);
	pvt_track(w);
	assert_all_read(w);
}

/* Keep the detail of the "rekey root" entry. */
static int rotation_detail(void *ctx, const pv_audit_entry *e)
{
	if (strcmp(e->op, "rekey root") == 0 && strcmp(e->outcome, "ok") == 0)
		snprintf(ctx, 1024, "%s", e->detail);
	return 0;
}

/* The attack: dave is disabled, the root secret replaced; then a DBA re-enables his row
 * (UPDATE), or puts back his row from a copy taken before, or that row and every meta
 * row of the copy. His password opens nothing; the active users still open, without
 * having given their passwords to the rotation. */
static void test_disabled_user_after_rotation(void **state)
{
	struct fixture *f = *state;
	static const char DAVE_PW[] = "dave-password-1";
	assert_ok(f->v, pvt_user_add(f->v, &ADMIN, "dave", "clerk", DAVE_PW, strlen(DAVE_PW)));
	char *old = pvt_keep(pvt_path(f->dir, "old"));
	assert_int_equal(pvt_run(NULL, "cp -r '%s' '%s'", f->vault, old), 0);
	pvt_vault_copied(old);
	assert_ok(f->v, pv_user_disable(f->v, &ADMIN, "dave"));
	rotate(f, f->key2);
	pvt_vclose(f->v);
	f->v = NULL;
	pv_vault *u = pvt_open_user(f->vault, "dpo1", PW);
	assert_ok(u, pv_vault_load_keys(u)); /* every bucket key opens */
	pvt_vclose(u);
	/* the rotation's audit entry names whom it sealed the new master to: not dave */
	pv_vault *w = NULL;
	assert_int_equal(open_with(f->vault, NULL, f->key2, &w), PV_OK);
	char detail[1024] = "";
	pv_audit_filter all = { NULL, NULL, NULL };
	assert_ok(w, pv_audit_log(w, &ADMIN, &all, rotation_detail, detail));
	pv_vault_close(w);
	assert_non_null(strstr(detail, "(dpo1)"));
	assert_null(strstr(detail, "dave"));

	char *e1 = copy_of(f, "edit1");
	dba(e1, "UPDATE users SET disabled = 0 WHERE name = 'dave'");
	assert_login_refused(f, e1, "dave", DAVE_PW, "his row was re-enabled");

	char *e2 = copy_of(f, "edit2");
	dba_with_old(e2, old, "DELETE FROM users WHERE name = "
		 "'dave'; INSERT INTO users SELECT * FROM old.users WHERE name = 'dave'");
	assert_login_refused(f, e2, "dave", DAVE_PW, "his row of an old copy was put back");

	/* variant: his old row and every meta row of the copy (key check included) */
	char *e3 = copy_of(f, "edit3");
	dba_with_old(e3, old, "DELETE FROM users WHERE name = "
		 "'dave'; INSERT INTO users SELECT * FROM old.users WHERE name = 'dave'; "
		 "DELETE FROM meta; INSERT INTO meta SELECT * FROM old.meta");
	assert_login_refused(f, e3, "dave", DAVE_PW, "his old row and the old meta rows were "
			     "put back");
	/* and an active user's slot of the old copy opens nothing current either */
	char *e4 = copy_of(f, "edit4");
	dba_with_old(e4, old, "DELETE FROM meta; "
		 "INSERT INTO meta SELECT * FROM old.meta; DELETE FROM users; "
		 "INSERT INTO users SELECT * FROM old.users");
	assert_login_refused(f, e4, "dpo1", PW, "the old copy's users and meta were put back");
}

/* A new secret that is the current one would leave "the old one" opening everything: it
 * is refused, and nothing changes. */
static void test_same_secret_refused(void **state)
{
	struct fixture *f = *state;
	pv_key *k = key_of(f->key);
	assert_int_equal(pv_vault_rekey_root(f->v, &ADMIN, k), PV_ERR_USAGE);
	assert_non_null(strstr(pv_errmsg(f->v), "current"));
	pv_key_free(k);
	assert_all_read(f->v);
}

/* Variant: before a rotation, a DBA puts the disabled dave's key pair (his slot, which his
 * password opens) into dpo1's row, so that the rotation would seal the new master to a key
 * dave holds. The vault bound each public key to its user under the master, so the
 * rotation refuses, naming the row, and changes nothing. */
static void test_rotation_refuses_swapped_key(void **state)
{
	struct fixture *f = *state;
	static const char DAVE_PW[] = "dave-password-1";
	assert_ok(f->v, pvt_user_add(f->v, &ADMIN, "dave", "clerk", DAVE_PW, strlen(DAVE_PW)));
	assert_ok(f->v, pv_user_disable(f->v, &ADMIN, "dave"));
	dba(f->vault, "UPDATE users SET slot = (SELECT slot FROM users WHERE name = 'dave') "
	    "WHERE name = 'dpo1'");
	pv_key *k = key_of(f->key2);
	assert_int_equal(pv_vault_rekey_root(f->v, &ADMIN, k), PV_ERR_CORRUPT);
	/* the row's integrity code sees the swap; behind it, the key's binding to the user */
	if (!strstr(pv_errmsg(f->v), "users row 'dpo1'") &&
	    !strstr(pv_errmsg(f->v), "users row dpo1"))
		fail_msg("the swapped key: %s", pv_errmsg(f->v));
	pv_key_free(k);
	pvt_vclose(f->v);
	f->v = NULL;
	pv_vault *w = NULL;
	assert_int_equal(open_with(f->vault, NULL, f->key, &w), PV_OK); /* unchanged */
	pvt_track(w);
	assert_all_read(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rotate_key_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_handles_after, setup, teardown),
		cmocka_unit_test_setup_teardown(test_who_may, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interrupted_then_finished, setup, teardown),
		cmocka_unit_test_setup_teardown(test_twice_and_to_a_passphrase, setup, teardown),
		cmocka_unit_test_setup_teardown(test_old_root_after_dba_edits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disabled_user_after_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_secret_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation_refuses_swapped_key, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
