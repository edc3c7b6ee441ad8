/* SPDX-License-Identifier: Apache-2.0 */
/* vault.c: creating and opening vaults: the header (format, vault id, the root secret's
 * stretching setting, the sealed master and data root), the keyring beside the data
 * directory, the stored schema, the opening credential (the root secret, a user's
 * password or enrolment code) checked before anything changes, and replacing the root
 * secret, which replaces the master key too. The keys themselves: keys.c. */
#include "vault.h"
#include "import.h"
#include "keys.h"
#include "keyring_sync.h"
#include "approvals.h"
#include "audit.h"
#include "audit_writer.h"
#include "authz_mac.h"
#include "seal_gate.h"
#include "files.h"
#include "ledger.h"
#include "policy.h"
#include "users.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define DB_NAME "vault.db"
#define FORMAT_TAG "pivault-3"
/* The core file size limit this process had before a vault first switched core dumps
 * off (the doctor reports it); RLIM_INFINITY stands for none, and 0 before any open. */
static uint64_t core_limit_found;

uint64_t pv_core_limit_before_open(void)
{
	return core_limit_found;
}

/* Core dumps could hold keys and plaintext: switch them off for this process. */
static void disable_core_dumps(void)
{
	struct rlimit rl = { 0, 0 };
	if (getrlimit(RLIMIT_CORE, &rl) == 0 && rl.rlim_cur > 0)
		core_limit_found = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max = 0;
	setrlimit(RLIMIT_CORE, &rl);
}

static char *dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);
	if (p)
		memcpy(p, s, n);
	return p;
}

/* dir without trailing slashes + ".keyring" (malloc'd). */
static char *default_keyring_path(const char *dir)
{
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	char *p = malloc(n + 9);
	if (p) {
		memcpy(p, dir, n);
		memcpy(p + n, ".keyring", 9);
	}
	return p;
}

/* A fresh handle holding the paths; NULL when out of memory. */
static pv_vault *vault_new(const char *dir, const char *keyring_path)
{
	if (pv_crypto_init() != 0)
		return NULL;
	pv_vault *v = calloc(1, sizeof *v);
	if (!v)
		return NULL;
	v->dir = dup_str(dir);
	v->keyring_path = keyring_path ? dup_str(keyring_path) : default_keyring_path(dir);
	v->keys = pv_secret_alloc(sizeof *v->keys);
	v->master = pv_secret_alloc(PV_KEY_BYTES);
	v->unlock = pv_secret_alloc(PV_UNLOCK_BYTES);
	snprintf(v->principal, sizeof v->principal, "(root key)");
	if (!v->dir || !v->keyring_path || !v->keys || !v->master || !v->unlock) {
		pv_vault_close(v);
		return NULL;
	}
	return v;
}

/* Parse the schema text into v->schema, reporting the first problems in the message. */
struct diag_buf {
	char *msg;
	size_t cap, len;
	int count;
};

static void diag_collect(void *ctx, int line, int column, const char *message)
{
	struct diag_buf *d = ctx;
	if (d->count++ < 5 && d->len < d->cap) {
		int n = snprintf(d->msg + d->len, d->cap - d->len, "%s%d:%d: %s",
				 d->len ? "; " : "", line, column, message);
		if (n > 0)
			d->len += (size_t)n;
		if (d->len > d->cap)
			d->len = d->cap;
	}
}

static pv_rc load_schema(pv_vault *v, const char *text, size_t len, const char *name)
{
	char msg[700] = "";
	struct diag_buf d = { msg, sizeof msg, 0, 0 };
	v->schema = pv_schema_parse(text, len, name, diag_collect, &d);
	if (!v->schema)
		return pv_fail(v, PV_ERR_SCHEMA, "schema %s: %d problem%s: %s", name, d.count,
			       d.count == 1 ? "" : "s", msg);
	v->schema_text = malloc(len + 1);
	size_t n = v->schema->nfields;
	v->field_keys = pv_secret_alloc(n * PV_KEY_BYTES + 1);
	v->field_nums = calloc(n + 1, sizeof *v->field_nums);
	if (!v->schema_text || !v->field_keys || !v->field_nums)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	memcpy(v->schema_text, text, len);
	v->schema_text[len] = '\0';
	return PV_OK;
}

static pv_rc number_fields(pv_vault *v)
{
	for (size_t i = 0; i < v->schema->nfields; i++)
		if (pv_store_field_number(v->store, v->schema->fields[i].name, &v->field_nums[i]))
			return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return PV_OK;
}

/* Read a whole small file (the schema) into malloc'd memory. */
static char *read_small_file(const char *path, size_t *len, size_t max)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = malloc(max + 1);
	size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
	int bad = ferror(f) || n > max;
	fclose(f);
	if (!buf || bad) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* 1 if dir does not exist or is an empty directory. */
static int dir_is_free(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT;
	struct dirent *e;
	int empty = 1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	return empty;
}

/* Remove what a failed create left: the database files, the keyring, the directory. */
static void remove_partial(const char *dir, const char *keyring, int made_dir)
{
	static const char *const names[] = { DB_NAME, DB_NAME "-wal", DB_NAME "-shm",
					     DB_NAME "-journal" };
	char path[4096];
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		unlink(path);
	}
	if (keyring)
		unlink(keyring);
	if (made_dir)
		rmdir(dir);
}

static pv_rc put_u64_meta(pv_vault *v, const char *k, uint64_t x)
{
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%llu", (unsigned long long)x);
	if (pv_store_meta_put(v->store, k, buf, (size_t)n) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return PV_OK;
}

static pv_rc put_meta(pv_vault *v, const char *k, const void *val, size_t len)
{
	if (pv_store_meta_put(v->store, k, val, len) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return PV_OK;
}

/* How a new vault's root secret is stretched (a passphrase's; unused for a key file). */
struct root_setting {
	uint8_t salt[PV_SALT_BYTES];
	uint64_t ops;
	size_t mem;
};

/* Write the vault's metadata, inside one transaction. */
static pv_rc write_header(pv_vault *v, const pv_key *key, const struct root_setting *rs,
			  uint32_t slots, const pv_create_opts *opts,
			  const struct pv_master_rows *rows)
{
	if (pv_store_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	pv_rc rc = put_meta(v, "format", FORMAT_TAG, strlen(FORMAT_TAG));
	if (!rc) rc = put_meta(v, "vault_id", v->vault_id, sizeof v->vault_id);
	if (!rc) rc = put_meta(v, "kdf", key->is_passphrase ? "argon2id" : "raw",
			       key->is_passphrase ? 8 : 3);
	if (!rc && key->is_passphrase) {
		rc = put_meta(v, "kdf_salt", rs->salt, PV_SALT_BYTES);
		if (!rc) rc = put_u64_meta(v, "kdf_ops", rs->ops);
		if (!rc) rc = put_u64_meta(v, "kdf_mem", rs->mem);
	}
	if (!rc) rc = put_meta(v, "master_sealed", rows->master, PV_SEALED_KEY_BYTES);
	if (!rc) rc = put_meta(v, "data_root_sealed", rows->data_root, PV_SEALED_KEY_BYTES);
	if (!rc) rc = put_meta(v, "key_check", rows->check, sizeof rows->check);
	if (!rc) rc = put_u64_meta(v, "keyring_slots", slots);
	if (!rc) rc = put_meta(v, "schema", v->schema_text, strlen(v->schema_text));
	if (!rc) rc = number_fields(v);
	if (!rc) rc = pv_authz_seal_new_vault(v);
	if (!rc) {
		struct pv_audit_event e = { "init", NULL, NULL, NULL, "ok", "vault created" };
		rc = pv_audit_append(v, &e);
	}
	if (!rc && opts->admin_user) /* the first administrator, in the same transaction */
		rc = pv_user_create_first(v, opts->admin_user,
					  opts->admin_role ? opts->admin_role : "admin",
					  opts->admin_password, opts->admin_password_len,
					  opts->kdf_cost == PV_KDF_FAST);
	if (!rc && pv_store_commit(v->store) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (rc)
		(void)pv_store_rollback(v->store);
	return rc;
}

/* The checks made before anything is written; *slots gets the keyring's slot count. */
static pv_rc check_create(pv_vault *v, const char *dir, const pv_create_opts *opts,
			  const pv_key *key, uint32_t *slots)
{
	if (pv_crypto_init() != 0)
		return pv_fail(v, PV_ERR_CRYPTO, "cannot initialise libsodium");
	if (!opts || !opts->schema_path || !key)
		return pv_fail(v, PV_ERR_USAGE, "a schema file and a key are required");
	if (opts->kdf_cost != PV_KDF_STANDARD && opts->kdf_cost != PV_KDF_FAST)
		return pv_fail(v, PV_ERR_USAGE, "kdf_cost is PV_KDF_STANDARD or PV_KDF_FAST");
	if (opts->kdf_cost == PV_KDF_FAST && !pv_kdf_fast_allowed())
		return pv_fail(v, PV_ERR_USAGE, "PV_KDF_FAST is for test builds only: a release build "
			       "stretches passwords at %s or more", PV_KDF_FLOOR);
	disable_core_dumps();
	*slots = opts->keyring_slots ? opts->keyring_slots : PV_KEYRING_DEFAULT_SLOTS;
	if (*slots < 16 || (*slots & (*slots - 1)))
		return pv_fail(v, PV_ERR_USAGE, "keyring slots must be a power of two from 16");
	if (!dir_is_free(dir))
		return pv_fail(v, PV_ERR_EXISTS, "%s exists and is not empty", dir);
	if (access(v->keyring_path, F_OK) == 0)
		return pv_fail(v, PV_ERR_EXISTS, "keyring %s already exists", v->keyring_path);
	return PV_OK;
}

/* The new vault's id, the setting its root secret is stretched with, and its keys. */
static pv_rc create_keys(pv_vault *v, const pv_key *key, int kdf_fast, struct root_setting *rs,
			 struct pv_master_rows *rows)
{
	pv_stretch_limits(kdf_fast, &rs->ops, &rs->mem);
	pv_random(rs->salt, sizeof rs->salt);
	pv_random(v->vault_id, sizeof v->vault_id);
	pv_hex(v->vault_id_hex, v->vault_id, sizeof v->vault_id);
	uint8_t *root = pv_secret_alloc(PV_KEY_BYTES);
	pv_rc rc = root ? pv_root_from_key(v, key, rs->salt, rs->ops, rs->mem, root)
			: pv_fail(v, PV_ERR_NOMEM, "out of memory");
	if (!rc) /* a random master and data root; the root secret seals the master */
		rc = pv_keys_create(v, root, rows);
	pv_secret_free(root);
	return rc;
}

pv_rc pv_vault_create(const char *dir, const pv_create_opts *opts, const pv_key *key,
		      pv_vault **out)
{
	pv_vault *v = *out = vault_new(dir, opts ? opts->keyring_path : NULL);
	if (!v)
		return pv_fail(NULL, PV_ERR_NOMEM, "out of memory: no vault handle was made");
	uint32_t slots = 0;
	pv_rc rc = check_create(v, dir, opts, key, &slots);
	if (rc)
		return rc;
	size_t len;
	char *text = read_small_file(opts->schema_path, &len, 1 << 20);
	if (!text)
		return pv_fail(v, PV_ERR_IO, "cannot read schema %s (missing, unreadable or over 1 MiB)",
			       opts->schema_path);
	rc = load_schema(v, text, len, opts->schema_path);
	free(text);
	if (rc)
		return rc;

	int made_dir = 0;
	if (mkdir(dir, 0700) == 0)
		made_dir = 1;
	else if (errno != EEXIST)
		return pv_fail(v, PV_ERR_IO, "cannot create %s: %s", dir, strerror(errno));

	struct root_setting rs;
	struct pv_master_rows rows;
	rc = create_keys(v, key, opts->kdf_cost == PV_KDF_FAST, &rs, &rows);
	char err[512];
	int keyring_made = 0;
	if (!rc) {
		if (pv_keyring_create(v->keyring_path, v->vault_id, slots, v->keys->keyring_wrap,
				      err, sizeof err) != 0)
			rc = pv_fail(v, PV_ERR_IO, "%s", err);
		else
			keyring_made = 1;
	}
	char *location = NULL;
	if (!rc)
		rc = pv_vault_store_create(v, dir, &location);
	if (!rc && !(v->store = pv_store_open(location, 1, err, sizeof err)))
		rc = pv_fail(v, PV_ERR_STORE, "%s", err);
	free(location);
	if (!rc)
		rc = write_header(v, key, &rs, slots, opts, &rows);
	if (!rc) {
		int bad;
		v->keyring = pv_keyring_open(v->keyring_path, v->vault_id, v->keys->keyring_wrap,
					     &bad, err, sizeof err);
		if (!v->keyring)
			rc = pv_fail(v, PV_ERR_IO, "%s", err);
		else
			rc = pv_node_ready(v);
	}
	if (rc) {
		pv_store_close(v->store);
		v->store = NULL;
		pv_vault_store_forget(dir);
		remove_partial(dir, keyring_made ? v->keyring_path : NULL, made_dir);
		return rc;
	}
	return pv_ok(v);
}

/* Read a decimal metadata value. */
static int meta_u64(pv_vault *v, const char *k, uint64_t *x)
{
	uint8_t *val;
	if (pv_store_meta_get(v->store, k, &val, NULL) != 0)
		return -1;
	char *end;
	errno = 0;
	unsigned long long n = strtoull((const char *)val, &end, 10);
	int bad = errno || *end || end == (char *)val;
	free(val);
	*x = n;
	return bad ? -1 : 0;
}

/* Who opens a vault: the root secret, a user and password, or a user and the two halves
 * of an enrolment code. */
struct credential {
	const pv_key *key;
	const char *user;
	const char *password;
	size_t password_len;
	const char *half_a, *half_b;
};

/* Make a rename in path's directory durable. */
static void sync_dir_of(const char *path)
{
	char *dir = strdup(path);
	char *slash = dir ? strrchr(dir, '/') : NULL;
	if (slash == dir && dir)
		dir[1] = '\0'; /* the root directory */
	else if (slash)
		*slash = '\0';
	int fd = dir ? open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
}

/* A root change interrupted between the store's commit and the keyring's rename is
 * finished here: KEYRING.next opens with the committed wrap key, so it becomes the
 * keyring. One left by a change that never committed is removed. */
static void finish_root_change(pv_vault *v)
{
	char *next = pv_keyring_sibling(v, ".next"), err[512];
	int bad = 0;
	struct pv_keyring *kr = next && access(next, F_OK) == 0
					? pv_keyring_open(next, v->vault_id, v->keys->keyring_wrap,
							  &bad, err, sizeof err)
					: NULL;
	if (kr) {
		pv_keyring_close(kr);
		if (rename(next, v->keyring_path) == 0)
			sync_dir_of(v->keyring_path);
	} else if (next && bad) {
		unlink(next);
	}
	free(next);
}

static pv_rc vault_open(pv_vault *v, const char *dir, const struct credential *cred);

/* Open with cred; a refused open leaves every file as it was, except that a user's
 * failed login is counted (and audited). */
static pv_rc open_with(const char *dir, const char *keyring_path, const struct credential *cred,
		       pv_vault **out)
{
	pv_vault *v = *out = vault_new(dir, keyring_path);
	if (!v)
		return pv_fail(NULL, PV_ERR_NOMEM, "out of memory: no vault handle was made");
	/* A log left by an earlier writer stays unmerged; a log this open created is empty
	 * and goes with the close. */
	char wal[4096];
	snprintf(wal, sizeof wal, "%s/%s-wal", dir, DB_NAME);
	int wal_existed = access(wal, F_OK) == 0;
	pv_rc rc = vault_open(v, dir, cred);
	if (rc) {
		if (wal_existed && !cred->user)
			pv_store_close_untouched(v->store);
		else
			pv_store_close(v->store);
		v->store = NULL;
	}
	return rc;
}

pv_rc pv_vault_open(const char *dir, const char *keyring_path, const pv_key *key,
		    pv_vault **out)
{
	struct credential cred = { key, NULL, NULL, 0, NULL, NULL };
	if (!key) {
		*out = vault_new(dir, keyring_path);
		return pv_fail(*out, PV_ERR_USAGE, "a key is required");
	}
	return open_with(dir, keyring_path, &cred, out);
}

pv_rc pv_vault_open_user(const char *dir, const char *keyring_path, const char *user,
			 const char *password, size_t password_len, pv_vault **out)
{
	struct credential cred = { NULL, user, password, password_len, NULL, NULL };
	if (!user || !*user || !password) {
		*out = vault_new(dir, keyring_path);
		return pv_fail(*out, PV_ERR_USAGE, "a user name and a password are required");
	}
	return open_with(dir, keyring_path, &cred, out);
}

pv_rc pv_user_enrol(const char *dir, const char *keyring_path, const char *user,
		    const char *half_a, const char *half_b, const char *password, size_t len,
		    pv_vault **out)
{
	struct credential cred = { NULL, user, NULL, 0, half_a, half_b };
	if (!user || !*user || !half_a || !half_b || !*half_a || !*half_b) {
		*out = vault_new(dir, keyring_path);
		return pv_fail(*out, PV_ERR_USAGE, "a user name and both halves of the enrolment "
			       "code are required");
	}
	if (!password || len < 8) { /* refused before the code is tried */
		*out = vault_new(dir, keyring_path);
		return pv_fail(*out, PV_ERR_USAGE, "a password of at least 8 characters is "
			       "required");
	}
	pv_rc rc = open_with(dir, keyring_path, &cred, out);
	if (!rc)
		rc = pv_user_enrol_finish(*out, password, len);
	return rc;
}

/* The master key as the handle's credential opens it now (v->unlock): from the row the
 * root secret seals, or from the user's own access (users.c). */
static pv_rc master_from_credential(pv_vault *v, uint8_t *master)
{
	if (v->unlock_kind == PV_UNLOCK_USER)
		return pv_user_open_access(v, master);
	int st = v->unlock_kind == PV_UNLOCK_ROOT
			 ? pv_keys_open_master(v, v->unlock, master)
			 : -1;
	if (st > 0)
		return pv_fail(v, PV_ERR_CORRUPT, "vault header: the sealed master key "
			       "(master_sealed) is missing");
	if (st < 0 || pv_master_matches(v, master) != 0)
		return pv_fail(v, PV_ERR_BAD_KEY, "the root secret does not open vault %s", v->dir);
	return PV_OK;
}

/* Read the master key again with the handle's credential (after another process
 * replaced it) and take it up. */
static pv_rc reload_master(pv_vault *v)
{
	uint8_t *master = pv_secret_alloc(PV_KEY_BYTES);
	if (!master)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	pv_rc rc = master_from_credential(v, master);
	if (rc)
		rc = pv_fail(v, rc, "the vault's master key was replaced since this handle was "
			     "opened, and %s does not open the new one: open the vault again",
			     v->unlock_kind == PV_UNLOCK_USER ? "this user's access"
							      : "the root secret it was opened with");
	if (!rc)
		rc = pv_keys_use_master(v, master);
	pv_secret_free(master);
	return rc;
}

/* The root secret's wrap key from the vault's own secret (key file or passphrase) into
 * v->unlock, and the master key it opens, checked against the stored key check. */
static pv_rc open_with_secret(pv_vault *v, const char *dir, const pv_key *key)
{
	uint8_t *salt = NULL, *kdf = NULL;
	size_t salt_len = 0;
	pv_rc rc = PV_OK;
	if (pv_store_meta_get(v->store, "kdf", &kdf, NULL) != 0)
		rc = pv_fail(v, PV_ERR_CORRUPT, "vault header: key parameters missing");
	int vault_uses_passphrase = kdf && strcmp((char *)kdf, "argon2id") == 0;
	if (!rc && vault_uses_passphrase != key->is_passphrase)
		rc = pv_fail(v, PV_ERR_BAD_KEY, "this vault is opened with a %s, not a %s",
			     vault_uses_passphrase ? "passphrase" : "key file",
			     key->is_passphrase ? "passphrase" : "key file");
	uint64_t ops = 0, mem = 0;
	if (!rc && vault_uses_passphrase &&
	    (pv_store_meta_get(v->store, "kdf_salt", &salt, &salt_len) != 0 ||
	     salt_len != PV_SALT_BYTES || meta_u64(v, "kdf_ops", &ops) != 0 ||
	     meta_u64(v, "kdf_mem", &mem) != 0 || mem > ((uint64_t)4 << 30)))
		rc = pv_fail(v, PV_ERR_CORRUPT, "vault header: Argon2id parameters missing or bad");
	if (!rc && vault_uses_passphrase && !pv_kdf_acceptable(ops, mem))
		rc = pv_fail(v, PV_ERR_CORRUPT, "vault header: the passphrase's Argon2id setting "
			     "(kdf_ops, kdf_mem) is under the floor of %s", PV_KDF_FLOOR);
	uint8_t *root = rc ? NULL : pv_secret_alloc(PV_KEY_BYTES);
	if (!rc && !root)
		rc = pv_fail(v, PV_ERR_NOMEM, "out of memory");
	if (!rc)
		rc = pv_root_from_key(v, key, salt, ops, (size_t)mem, root);
	if (!rc) {
		pv_root_wrap_of(v->unlock, root);
		v->unlock_kind = PV_UNLOCK_ROOT;
		rc = master_from_credential(v, v->master);
		if (rc == PV_ERR_BAD_KEY)
			rc = pv_fail(v, rc, "wrong %s for vault %s",
				     key->is_passphrase ? "passphrase" : "key file", dir);
	}
	pv_secret_free(root);
	free(kdf);
	free(salt);
	return rc;
}

/* For the keyring journal: 1 when the data store committed the change of bucket to
 * generation gen (no data key of it is still wrapped by an older generation). */
static int bucket_committed(void *ctx, uint32_t bucket, uint32_t gen)
{
	pv_vault *v = ctx;
	int behind = pv_store_bucket_behind(v->store, bucket, gen);
	return behind < 0 ? -1 : !behind;
}

static pv_rc vault_open(pv_vault *v, const char *dir, const struct credential *cred)
{
	if (pv_crypto_init() != 0)
		return pv_fail(v, PV_ERR_CRYPTO, "cannot initialise libsodium");
	disable_core_dumps();
	char err[512], *location = NULL;
	pv_rc found = pv_vault_store_locate(v, dir, &location);
	if (found)
		return found;
	v->store = pv_store_open(location, 0, err, sizeof err);
	int busy = !v->store && errno == EBUSY;
	free(location);
	if (!v->store)
		return pv_fail(v, busy ? PV_ERR_BUSY : PV_ERR_STORE, "%s", err);

	uint8_t *val = NULL;
	size_t len = 0;
	pv_rc rc = PV_OK;
	if (pv_store_meta_get(v->store, "format", &val, &len) != 0 ||
	    len != strlen(FORMAT_TAG) || memcmp(val, FORMAT_TAG, len) != 0)
		rc = pv_fail(v, PV_ERR_CORRUPT, "%s is not a pivault vault of a known format", dir);
	free(val);
	val = NULL;
	if (!rc && (pv_store_meta_get(v->store, "vault_id", &val, &len) != 0 ||
		    len != PV_VAULT_ID_BYTES))
		rc = pv_fail(v, PV_ERR_CORRUPT, "vault header: vault id missing");
	if (!rc) {
		memcpy(v->vault_id, val, PV_VAULT_ID_BYTES);
		pv_hex(v->vault_id_hex, v->vault_id, sizeof v->vault_id);
	}
	free(val);
	val = NULL;
	if (!rc)
		rc = cred->key	  ? open_with_secret(v, dir, cred->key)
		     : cred->half_a ? pv_user_enrol_unlock(v, cred->user, cred->half_a, cred->half_b)
				    : pv_user_unlock(v, cred->user, cred->password, cred->password_len);
	if (!rc)
		rc = pv_keys_use_master(v, v->master);
	if (rc)
		return rc;
	v->has_keys = 1;
	if ((rc = pv_user_session_verify(v)) != PV_OK)
		return rc;

	int got = pv_authz_meta_get(v, "schema", &val, &len);
	if (got != 0)
		return pv_fail(v, PV_ERR_CORRUPT, "%s", got < 0 ? pv_store_errmsg(v->store)
							    : "vault header: schema missing");
	rc = load_schema(v, (const char *)val, len, "(stored schema)");
	free(val);
	if (!rc) {
		pv_keys_derive_fields(v);
		rc = number_fields(v);
	}
	if (rc)
		return rc;
	int bad = 0;
	finish_root_change(v);
	v->keyring = pv_keyring_open(v->keyring_path, v->vault_id, v->keys->keyring_wrap, &bad,
				     err, sizeof err);
	if (!v->keyring)
		return pv_fail(v, bad ? PV_ERR_BAD_KEY : PV_ERR_NOT_FOUND, "%s", err);
	/* A shred interrupted between its commit and the keyring's overwrite is finished. */
	if (pv_keyring_recover(v->keyring, bucket_committed, v, err, sizeof err) != 0)
		return pv_fail(v, PV_ERR_IO, "%s", err);
	/* this node registered, and the bucket keys other nodes' shreds replaced taken in */
	if ((rc = pv_node_ready(v)) != PV_OK || (rc = pv_keyring_catch_up(v)) != PV_OK)
		return rc;
	/* and its ledger lines, if they did not reach the ledger file, are added now; if they
	 * still cannot be, they stay in the store for the next open (pivault doctor says so) */
	(void)pv_ledger_flush(v, err, sizeof err);
	return pv_ok(v);
}

void pv_vault_close(pv_vault *v)
{
	if (!v)
		return;
	pv_audit_member_leave(&v->audit_member); /* once its entries are committed */
	pv_approval_close(v);
	pv_seal_forget(v);
	pv_authz_forget(v);
	pv_store_close(v->store);
	pv_keyring_close(v->keyring);
	pv_schema_free(v->schema);
	free(v->schema_text);
	pv_rng_free(v->rng);
	pv_secret_free(v->keys);
	pv_secret_free(v->master);
	pv_secret_free(v->session_secrets);
	pv_secret_free(v->unlock);
	free(v->user_roles);
	pv_secret_free(v->field_keys);
	free(v->field_nums);
	free(v->dir);
	free(v->keyring_path);
	free(v);
}

const char *pv_vault_id(const pv_vault *v)
{
	return v->vault_id_hex;
}

const char *pv_vault_schema_text(const pv_vault *v)
{
	return v->schema_text ? v->schema_text : "";
}

pv_rc pv_vault_count(pv_vault *v, uint64_t *count)
{
	if (pv_store_customer_count(v->store, count) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return pv_ok(v);
}

pv_rc pv_vault_fresh_keys(pv_vault *v)
{
	char err[512];
	if (!v->importing && pv_import_under_way(v))
		return pv_fail(v, PV_ERR_BUSY, "the vault is busy: another pivault process is "
			       "importing into it, and keys cannot change until the import ends; "
			       "run this again then");
	if (!pv_keyring_is_current(v->keyring)) { /* another process replaced the master key */
		pv_rc rc = reload_master(v);
		int bad = 0;
		if (rc)
			return rc;
		finish_root_change(v);
		struct pv_keyring *kr = pv_keyring_open(v->keyring_path, v->vault_id,
							v->keys->keyring_wrap, &bad, err, sizeof err);
		if (!kr)
			return pv_fail(v, PV_ERR_BAD_KEY, "%s", err);
		pv_keyring_close(v->keyring);
		v->keyring = kr;
	}
	if (pv_keyring_recover(v->keyring, bucket_committed, v, err, sizeof err) != 0 ||
	    pv_keyring_refresh(v->keyring, err, sizeof err) != 0)
		return pv_fail(v, PV_ERR_BAD_KEY, "%s", err);
	return pv_keyring_catch_up(v); /* another node's shreds, before anything is sealed */
}

pv_rc pv_vault_batch_begin(pv_vault *v)
{
	if (v->audit_member.writer) { /* entries queued without waiting; reads in a snapshot */
		(void)pv_seal_any(v); /* seal_gate.h: read now; in the snapshot nothing can begin */
		if (v->audit_member.deferring || pv_store_snapshot_begin(v->store) != 0)
			return pv_fail(v, PV_ERR_USAGE, "a batch cannot begin on this handle (one is "
				       "open already, or a transaction)");
		v->audit_member.deferring = 1;
		return pv_ok(v);
	}
	if (pv_store_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return pv_ok(v);
}

pv_rc pv_vault_withhold_begin(pv_vault *v)
{
	struct pv_audit_member *m = &v->audit_member;
	if (!m->writer || m->deferring || m->withholding)
		return pv_fail(v, PV_ERR_USAGE, "entries can be withheld only on a handle that "
			       "joined an audit writer, outside a batch, once at a time");
	m->withholding = 1;
	m->withheld_first = m->withheld_last = 0;
	return pv_ok(v);
}

pv_audit_span pv_vault_withhold_end(pv_vault *v)
{
	struct pv_audit_member *m = &v->audit_member;
	pv_audit_span span = { m->withheld_first, m->withheld_last };
	m->withholding = 0;
	m->withheld_first = m->withheld_last = 0;
	return span;
}

/* The end of a batch on a handle with an audit writer: its entries cannot be taken back,
 * so either way it waits for them, and says whether they all became durable. */
static pv_rc batch_end_through_writer(pv_vault *v)
{
	char why[256];
	pv_store_snapshot_end(v->store);
	int failed = pv_audit_member_settle(&v->audit_member, why, sizeof why);
	v->audit_member.deferring = 0;
	if (failed)
		return pv_fail(v, PV_ERR_STORE, "the batch's audit entries could not all be "
			       "written (%s)", why);
	return pv_ok(v);
}

pv_rc pv_vault_batch_end(pv_vault *v, pv_batch_end how)
{
	if (v->audit_member.deferring)
		return batch_end_through_writer(v);
	if (how == PV_BATCH_COMMIT && pv_store_commit(v->store) == 0)
		return pv_ok(v);
	pv_rc rc = how == PV_BATCH_COMMIT ? pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store))
					 : PV_OK;
	(void)pv_store_rollback(v->store);
	v->audit_tail.valid = 0;
	return rc;
}

void pv_vault_on_progress(pv_vault *v, pv_progress_fn fn, void *ctx)
{
	v->progress = fn;
	v->progress_ctx = ctx;
}

void pv_progress(pv_vault *v, const char *stage, uint64_t done, uint64_t total)
{
	if (!v->progress)
		return;
	struct timespec t; /* a few reports a second, and the last one */
	clock_gettime(CLOCK_MONOTONIC, &t);
	double now = (double)t.tv_sec + (double)t.tv_nsec / 1e9;
	if (done != total && now - v->progress_last < 0.2)
		return;
	v->progress_last = now;
	v->progress(v->progress_ctx, stage, done, total);
}

pv_rc pv_vault_checkpoint(pv_vault *v)
{
	if (pv_store_checkpoint(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return pv_ok(v);
}

pv_rc pv_vault_load_keys(pv_vault *v)
{
	char err[512];
	if (!v->keyring)
		return pv_fail(v, PV_ERR_USAGE, "the vault is not open with its keys");
	if (pv_keyring_load_all(v->keyring, err, sizeof err) != 0)
		return pv_fail(v, PV_ERR_BAD_KEY, "%s", err);
	return pv_ok(v);
}

/* ---- Replacing the root secret, and with it the master key ---- */

/* 1 when key is the root secret this handle was opened with (it opens the header as it
 * stands), 0 when it is another, -1 when that cannot be told. */
static int is_current_secret(pv_vault *v, const pv_key *key)
{
	uint8_t *kdf = NULL, *salt = NULL;
	size_t salt_len = 0;
	uint64_t ops = 0, mem = 0;
	if (pv_store_meta_get(v->store, "kdf", &kdf, NULL) != 0)
		return -1;
	int passphrase = strcmp((char *)kdf, "argon2id") == 0;
	free(kdf);
	if (passphrase != key->is_passphrase)
		return 0;
	if (passphrase && (pv_store_meta_get(v->store, "kdf_salt", &salt, &salt_len) != 0 ||
			   salt_len != PV_SALT_BYTES || meta_u64(v, "kdf_ops", &ops) != 0 ||
			   meta_u64(v, "kdf_mem", &mem) != 0 || mem > ((uint64_t)4 << 30))) {
		free(salt);
		return -1;
	}
	uint8_t *root = pv_secret_alloc(PV_KEY_BYTES), wrap[PV_KEY_BYTES];
	int same = -1;
	if (root && pv_root_from_key(v, key, salt, ops, (size_t)mem, root) == PV_OK) {
		pv_root_wrap_of(wrap, root);
		same = pv_ct_compare(wrap, v->unlock, PV_KEY_BYTES) == 0;
		pv_wipe(wrap, sizeof wrap);
	}
	pv_secret_free(root);
	free(salt);
	return same;
}

/* The new secret's key-stretching parameters and root key, written to the header. */
static pv_rc new_root_header(pv_vault *v, const pv_key *key, uint8_t *root)
{
	uint8_t salt[PV_SALT_BYTES];
	uint64_t ops = 0, mem = 0;
	size_t memlim = 0;
	pv_rc rc = PV_OK;
	if (key->is_passphrase) { /* as strong as the passphrase it replaces, at least */
		pv_random(salt, sizeof salt);
		pv_stretch_limits(0, &ops, &memlim);
		mem = memlim;
		uint64_t old_ops = 0, old_mem = 0;
		if (meta_u64(v, "kdf_ops", &old_ops) == 0 && meta_u64(v, "kdf_mem", &old_mem) == 0 &&
		    old_mem <= ((uint64_t)4 << 30)) {
			ops = old_ops > ops ? old_ops : ops;
			mem = old_mem > mem ? old_mem : mem;
		}
	}
	rc = pv_root_from_key(v, key, salt, ops, (size_t)mem, root);
	if (!rc)
		rc = put_meta(v, "kdf", key->is_passphrase ? "argon2id" : "raw",
			      key->is_passphrase ? 8 : 3);
	if (!rc && key->is_passphrase) {
		rc = put_meta(v, "kdf_salt", salt, sizeof salt);
		if (!rc)
			rc = put_u64_meta(v, "kdf_ops", ops);
		if (!rc)
			rc = put_u64_meta(v, "kdf_mem", mem);
	} else if (!rc && (pv_store_meta_delete(v->store, "kdf_salt") != 0 ||
			   pv_store_meta_delete(v->store, "kdf_ops") != 0 ||
			   pv_store_meta_delete(v->store, "kdf_mem") != 0)) {
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	}
	return rc;
}

/* What a rotation makes, in guarded memory until its commit: the new root secret's wrap
 * key, the new master key and the keys derived from it. */
struct rotation {
	uint8_t *root;       /* the new root secret's 32-byte key */
	uint8_t *root_wrap;
	uint8_t *master;
	struct pv_vault_keys *keys; /* the new master's keys (keyring wrap, key check, authz) */
	char *next;          /* KEYRING.next: the keyring sealed under the new wrap key */
	unsigned users;      /* users whose access was sealed anew */
	char names[600];     /* their names, for the audit entry */
};

static void rotation_free(struct rotation *r)
{
	pv_secret_free(r->root);
	pv_secret_free(r->root_wrap);
	pv_secret_free(r->master);
	pv_secret_free(r->keys);
	free(r->next);
}

/* The header rows of the new master: sealed under the new root secret, its key check,
 * and the data root (the same) sealed under it. */
static pv_rc write_master_rows(pv_vault *v, const struct rotation *r)
{
	struct pv_master_rows rows;
	int st = 0;
	pv_rc rc = pv_keys_reseal_master(v, r->master, r->keys, r->root_wrap, &rows, &st);
	if (!rc && st)
		rc = pv_fail(v, PV_ERR_CORRUPT, "vault header: the sealed data root "
			     "(data_root_sealed) does not open");
	if (!rc)
		rc = put_meta(v, "data_root_sealed", rows.data_root, sizeof rows.data_root);
	if (!rc)
		rc = put_meta(v, "master_sealed", rows.master, sizeof rows.master);
	if (!rc)
		rc = put_meta(v, "key_check", rows.check, sizeof rows.check);
	return rc;
}

/* Inside the write transaction: the new root secret's header, a new master key, its rows,
 * the keyring sealed under its wrap key (to KEYRING.next), every active user's access
 * sealed to the new master (disabled users left without). */
static pv_rc rotate_in_txn(pv_vault *v, const pv_key *new_key, struct rotation *r)
{
	char err[512];
	pv_rc rc = pv_vault_fresh_keys(v); /* the writer lock, and the master as it is now */
	if (!rc)
		rc = new_root_header(v, new_key, r->root);
	if (rc)
		return rc;
	pv_root_wrap_of(r->root_wrap, r->root);
	pv_random(r->master, PV_KEY_BYTES);
	pv_keys_derive_master(r->keys, r->master);
	if ((rc = write_master_rows(v, r)) != PV_OK)
		return rc;
	if (pv_keyring_write_rewrapped(v->keyring, r->next, r->keys->keyring_wrap, err,
				       sizeof err) != 0)
		return pv_fail(v, PV_ERR_IO, "%s", err);
	/* the authorisation rows, checked under the old master's key and coded under the
	 * new one's, so an old master codes nothing current */
	if ((rc = pv_authz_rekey(v, v->keys->authz_mac, r->keys->authz_mac)) != PV_OK)
		return rc;
	return pv_users_reseal(v, r->master, r->keys->user_bind, &r->users, r->names,
			       sizeof r->names);
}

/* After the commit: KEYRING.next becomes the keyring and the handle takes up the new
 * master and credential. */
static pv_rc rotation_finish(pv_vault *v, struct rotation *r)
{
	char err[512];
	memcpy(v->master, r->master, PV_KEY_BYTES);
	pv_keys_derive_master(v->keys, v->master);
	memcpy(v->unlock, r->root_wrap, PV_KEY_BYTES);
	if (rename(r->next, v->keyring_path) != 0) /* else finished at the next open */
		return pv_fail(v, PV_ERR_IO, "the new root secret is in place, but %s could not be "
			       "renamed: the next open finishes it", r->next);
	sync_dir_of(v->keyring_path);
	int bad = 0;
	pv_keyring_close(v->keyring);
	v->keyring = pv_keyring_open(v->keyring_path, v->vault_id, v->keys->keyring_wrap, &bad, err,
				     sizeof err);
	return v->keyring ? PV_OK : pv_fail(v, PV_ERR_IO, "%s", err);
}

/* 1 if the store holds r's master as the one the new root secret opens: a commit that
 * failed in its sync after the log took it. */
static int rotation_committed(pv_vault *v, const struct rotation *r)
{
	uint8_t *stored = pv_secret_alloc(PV_KEY_BYTES);
	int in = stored && pv_keys_open_master(v, r->root_wrap, stored) == 0 &&
		 pv_ct_compare(stored, r->master, PV_KEY_BYTES) == 0;
	pv_secret_free(stored);
	return in;
}

/* The rotation is in the store although its commit reported a failure: finish it, and
 * say that the new secret is the one to keep. */
static pv_rc rotation_unsynced(pv_vault *v, struct rotation *r)
{
	char why[sizeof v->errmsg];
	snprintf(why, sizeof why, "%s", v->errmsg);
	pv_rc rc = rotation_finish(v, r);
	rotation_free(r);
	return pv_fail(v, PV_ERR_IO, "the new root secret is in place (keep it: the old one no "
		       "longer opens the vault), but the change could not be synced to disk (%s)%s",
		       why, rc ? "; the keyring is finished at the next open" : "");
}

pv_rc pv_vault_rekey_root(pv_vault *v, const pv_access *who, const pv_key *new_key)
{
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_REKEY, &role);
	if (rc)
		return pv_audit_failure(v, rc, "rekey root", NULL, NULL);
	if (v->user_roles || v->unlock_kind != PV_UNLOCK_ROOT || !new_key)
		return pv_fail(v, PV_ERR_DENIED, "only a session opened with the root secret may "
			       "replace it");
	int same = is_current_secret(v, new_key);
	if (same != 0)
		return pv_fail(v, same > 0 ? PV_ERR_USAGE : PV_ERR_CORRUPT, same > 0
			       ? "the new root secret is the current one: the old secret would "
				 "still open the vault; choose another"
			       : "vault header: the root secret's parameters cannot be read");
	struct rotation r = { pv_secret_alloc(PV_KEY_BYTES), pv_secret_alloc(PV_KEY_BYTES),
			      pv_secret_alloc(PV_KEY_BYTES), pv_secret_alloc(sizeof *r.keys),
			      pv_keyring_sibling(v, ".next"), 0, "" };
	if (!r.root || !r.root_wrap || !r.master || !r.keys || !r.next)
		rc = pv_fail(v, PV_ERR_NOMEM, "out of memory");
	if (!rc && pv_store_begin(v->store) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	int in_txn = !rc;
	if (!rc)
		rc = rotate_in_txn(v, new_key, &r);
	char detail[900];
	snprintf(detail, sizeof detail, "root secret replaced by a %s; new master key; keyring "
		 "and %u users' access sealed anew (%s), disabled users left out",
		 new_key->is_passphrase ? "passphrase" : "key file", r.users, r.names);
	struct pv_audit_event e = { "rekey root", NULL, NULL, NULL, "ok", detail };
	/* A commit that fails may still be in the log (its sync failed after the frames were
	 * written): KEYRING.next then stays for the next open, which takes it up if the new
	 * master is the committed one and removes it if not. */
	int before_commit = rc != PV_OK;
	if (in_txn)
		rc = pv_audit_commit(v, &e, rc);
	if (rc && in_txn && !before_commit && rotation_committed(v, &r))
		return rotation_unsynced(v, &r);
	if (rc)
		pv_keys_derive_master(v->keys, v->master); /* the handle keeps the old master's keys */
	if (rc && r.next && before_commit)
		unlink(r.next);
	else if (!rc)
		rc = rotation_finish(v, &r);
	rotation_free(&r);
	if (rc)
		return pv_audit_failure(v, rc, "rekey root", NULL, NULL);
	return pv_ok(v);
}

/* ---- The audit writer a server's handles share ---- */

pv_rc pv_vault_join_audit_writer(pv_vault *v, pv_audit_writer *aw)
{
	pv_vault *w = pv_audit_writer_handle(aw);
	if (memcmp(w->vault_id, v->vault_id, sizeof v->vault_id) != 0)
		return pv_fail(v, PV_ERR_USAGE, "the audit writer is of another vault");
	if (v == w || pv_store_txn_id(v->store) != 0 ||
	    pv_audit_member_join(&v->audit_member, aw) != 0)
		return pv_fail(v, PV_ERR_USAGE, "this handle cannot join the audit writer (it is "
			       "the writer's, has a transaction open, or joined one already)");
	return pv_ok(v);
}

pv_rc pv_audit_writer_stop(pv_audit_writer *aw)
{
	if (!aw)
		return pv_ok(NULL);
	if (pv_audit_writer_members(aw) != 0)
		return pv_fail(NULL, PV_ERR_USAGE, "the audit writer still has handles: close them "
			       "first");
	pv_vault_close(pv_audit_writer_end(aw));
	return pv_ok(NULL);
}
