/* SPDX-License-Identifier: Apache-2.0 */
/* test_doctor.c: the security self-check. A vault set up with care has no finding; each
 * careless state (a keyring others may read, a root key beside the vault, a backup gone
 * bad, keys never rotated, a disabled user before a root rotation, a clerk without
 * training, an escrow row deleted or forged with SQL, fast Argon2id, core dumps) brings
 * its finding, which goes away once fixed. The command: exit status, --json, and who may
 * run it. */
#include "dba.h"
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const pv_access admin = { "admin", NULL, 0 };

/* A vault with everything in order: root key file kept in its own directory, keyring
 * beside the vault, a checkpoint exported, a backup and an escrow copy made elsewhere. */
struct fix {
	char *base, *site, *dir, *keyring, *keys, *key_file, *backup, *escrow_secret;
	char *escrow_copy, *pattern;
	pv_vault *v;
	char escrow_pub[65];
};

static void write_pattern(struct fix *f, const char *text)
{
	assert_int_equal(pvt_write_file(f->pattern, text, strlen(text)), 0);
}

static void make_vault(struct fix *f, int kdf_fast, const char *admin_user)
{
	assert_int_equal(pv_key_generate_file(f->key_file), PV_OK);
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(f->key_file, &key), PV_OK);
	char schema[512];
	snprintf(schema, sizeof schema, "%s/examples/schema.yaml", PV_SOURCE_DIR);
	pv_create_opts o = { schema, NULL, 16, kdf_fast, admin_user, NULL, "admin-pass-1",
			     12 };
	pv_vault *v = NULL;
	pv_rc rc = pv_vault_create(f->dir, &o, key, &v);
	if (rc)
		fail_msg("create: %s", pv_errmsg(v));
	pv_key_free(key);
	f->v = pvt_track(v);
}

static int setup(void **state)
{
	struct fix *f = pvt_keep(calloc(1, sizeof *f));
	f->base = pvt_keep(pvt_tempdir());
	f->site = pvt_keep(pvt_path(f->base, "site"));
	f->keys = pvt_keep(pvt_path(f->base, "keys"));
	assert_int_equal(mkdir(f->site, 0700), 0);
	assert_int_equal(mkdir(f->keys, 0700), 0);
	f->dir = pvt_keep(pvt_path(f->site, "v"));
	f->keyring = pvt_keep(pvt_path(f->site, "v.keyring"));
	f->key_file = pvt_keep(pvt_path(f->keys, "root.key"));
	f->backup = pvt_keep(pvt_path(f->keys, "backup-1"));
	f->escrow_secret = pvt_keep(pvt_path(f->keys, "escrow-secret"));
	f->escrow_copy = pvt_keep(pvt_path(f->keys, "escrow-copy"));
	f->pattern = pvt_keep(pvt_path(f->keys, "core_pattern"));
	write_pattern(f, "core\n");
	assert_int_equal(pv_test_control(NULL, PV_TEST_CORE_PATTERN, 0, f->pattern), PV_OK);
	*state = f;
	return 0;
}

/* setup, then the careful state. */
static int setup_careful(void **state)
{
	setup(state);
	struct fix *f = *state;
	make_vault(f, 0, NULL);
	char *text = NULL, *summary = NULL;
	assert_ok(f->v, pv_audit_checkpoint(f->v, NULL, &text));
	assert_ok(f->v, pv_backup_create(f->v, &admin, f->backup, &summary));
	assert_int_equal(pv_escrow_keygen(f->escrow_secret, f->escrow_pub), PV_OK);
	assert_ok(f->v, pv_keyring_escrow(f->v, &admin, f->escrow_pub, f->escrow_copy));
	pv_free(text);
	pv_free(summary);
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	assert_int_equal(pv_test_control(NULL, PV_TEST_CORE_PATTERN, 0, NULL), PV_OK);
	char *base = f ? strdup(f->base) : NULL; /* f goes with what the test kept */
	pvt_release_all();
	pvt_rmtree(base);
	free(base);
	return 0;
}

/* ---- Running the check ---- */

struct seen {
	char text[64][800];
	pv_severity sev[64];
	size_t n;
};

static int collect(void *ctx, const pv_finding *x)
{
	struct seen *s = ctx;
	if (s->n < 64) {
		snprintf(s->text[s->n], sizeof s->text[0], "%s: %s | %s", x->check, x->what, x->fix);
		s->sev[s->n++] = x->severity;
	}
	return 0;
}

/* Run the check (as_of NULL: today) with the root key file named; findings into s. */
static unsigned doctor(struct fix *f, const char *as_of, struct seen *s)
{
	pv_doctor_opts o = { f->key_file, NULL, NULL, 0, 0, 0, as_of };
	unsigned high = 99;
	memset(s, 0, sizeof *s);
	assert_ok(f->v, pv_doctor(f->v, NULL, &o, collect, s, &high));
	return high;
}

/* The severity of the first finding containing both needles, or 0 when there is none. */
static int found(const struct seen *s, const char *a, const char *b)
{
	for (size_t i = 0; i < s->n; i++)
		if (strstr(s->text[i], a) && (!b || strstr(s->text[i], b)))
			return (int)s->sev[i];
	return 0;
}

/* Fails the test, listing the findings, unless none but the core limit's are there (the
 * test process may have been started with core dumps on). */
static void assert_clean(const struct seen *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (strncmp(s->text[i], "core-dumps:", 11) != 0)
			fail_msg("unexpected finding: %s", s->text[i]);
}

static char *days_from_today(int n)
{
	static char out[11];
	time_t t = time(NULL) + (time_t)n * 86400;
	struct tm tm;
	strftime(out, sizeof out, "%Y-%m-%d", gmtime_r(&t, &tm));
	return out;
}

/* ---- The careful vault ---- */

static void test_careful_vault_has_no_finding(void **state)
{
	struct fix *f = *state;
	struct seen s;
	unsigned high = doctor(f, NULL, &s);
	assert_clean(&s);
	assert_int_equal(high, 0);
}

/* The check is one audit entry, named doctor, with the counts; nothing else is written. */
static void test_one_audit_entry(void **state)
{
	struct fix *f = *state;
	chmod(f->keyring, 0644);
	struct seen s;
	assert_int_equal(doctor(f, NULL, &s), 1);
	char *rows = NULL;
	assert_int_equal(pvt_dba(&rows, f->dir, "SELECT op, outcome, detail FROM audit ORDER BY "
				 "seq DESC LIMIT 2"), 0);
	char *second = strchr(rows, '\n');
	assert_non_null(second);
	*second++ = '\0';
	assert_int_equal(strncmp(rows, "doctor|ok|", 10), 0);
	assert_non_null(strstr(rows + 10, "1 high"));
	assert_int_equal(strncmp(second, "keyring escrow|", 15), 0);
	free(rows);
}

/* ---- Permissions ---- */

static void test_keyring_readable_by_others(void **state)
{
	struct fix *f = *state;
	struct seen s;
	assert_int_equal(chmod(f->keyring, 0644), 0);
	assert_int_equal(doctor(f, NULL, &s), 1);
	assert_int_equal(found(&s, "permissions: the keyring", "readable by group and others"),
			 PV_SEVERITY_HIGH);
	assert_int_equal(chmod(f->keyring, 0620), 0);
	doctor(f, NULL, &s);
	assert_int_equal(found(&s, "the keyring", "writable by its group"), PV_SEVERITY_HIGH);
	assert_int_equal(chmod(f->keyring, 0600), 0);
	assert_int_equal(doctor(f, NULL, &s), 0);
	assert_clean(&s);
}

/* The ledger beside the keyring, the vault directory and, once others may reach into the
 * directory, the database file. A vault kept in PostgreSQL has no database file there (its
 * directory holds the record naming the server; the server's files are its own): the
 * same directory then brings no finding about one. */
static void test_ledger_directory_and_database(void **state)
{
	struct fix *f = *state;
	struct seen s;
	char *ledger = pvt_keep(pvt_path(f->site, "v.keyring.ledger"));
	assert_int_equal(pvt_write_file(ledger, "", 0), 0);
	assert_int_equal(chmod(ledger, 0640), 0);
	assert_int_equal(chmod(f->dir, 0755), 0);
	char *db = pvt_keep(pvt_path(f->dir, "vault.db"));
	int in_sqlite = !pvt_dba_pg(f->dir);
	assert_int_equal(in_sqlite ? chmod(db, 0644) : access(db, F_OK), in_sqlite ? 0 : -1);
	assert_int_equal(doctor(f, NULL, &s), 1);
	assert_int_equal(found(&s, "the shred ledger", "readable by its group"), PV_SEVERITY_HIGH);
	assert_int_equal(found(&s, "the vault directory", "readable by group and others"),
			 PV_SEVERITY_MEDIUM);
	assert_int_equal(found(&s, "the database file", in_sqlite ? "vault.db is readable" : NULL),
			 in_sqlite ? PV_SEVERITY_MEDIUM : 0);
	assert_int_equal(chmod(f->dir, 0777), 0);
	doctor(f, NULL, &s);
	assert_int_equal(found(&s, "the vault directory", "writable"), PV_SEVERITY_HIGH);
	assert_int_equal(chmod(f->site, 0777), 0); /* the directory holding vault and keyring */
	doctor(f, NULL, &s);
	assert_int_equal(found(&s, "holding the keyring", "can replace"), PV_SEVERITY_HIGH);
	assert_int_equal(chmod(f->site, 0700), 0);
	assert_int_equal(chmod(f->dir, 0700), 0);
	assert_int_equal(chmod(ledger, 0600), 0);
	assert_int_equal(doctor(f, NULL, &s), 0); /* vault.db 0644 inside a private directory */
	assert_clean(&s);
}

/* Run stmt (one UPDATE, INSERT or DELETE) on the vault's store as its DBA would (with the
 * sqlite3 tool or psql: dba.h), the vault open meanwhile; the number of rows it changed. */
static int sql(struct fix *f, const char *stmt)
{
	char *rows = NULL;
	if (pvt_dba(&rows, f->dir, "%s RETURNING 1", stmt) != 0)
		fail_msg("the DBA's statement failed: %s", stmt);
	int changed = 0;
	for (const char *p = rows; (p = strchr(p, '\n')) != NULL; p++)
		changed++;
	free(rows);
	return changed;
}

/* ---- The shred ledger against the data ---- */

/* Ten customers imported (pvgen's), their ids in ids[0..10). */
static void import_ten(struct fix *f, char ids[10][32])
{
	char *csv = pvt_keep(pvt_path(f->keys, "ten.csv"));
	assert_int_equal(pvt_run(NULL, "'%s' -n 10 --seed 7 --canonical > '%s'",
				 pvt_program("pvgen"), csv), 0);
	pv_import_opts io = { 0 };
	io.threads = 1;
	pv_import_result *res = NULL;
	assert_ok(f->v, pv_import_csv(f->v, &admin, csv, &io, &res));
	assert_int_equal(pv_import_rows_imported(res), 10);
	pv_import_free(res);
	struct pvt_csv t;
	char *text = pvt_keep(pvt_read_file(csv, NULL));
	assert_int_equal(pvt_csv_parse(text, &t), 0);
	for (size_t r = 1; r <= 10; r++)
		snprintf(ids[r - 1], 32, "%s", pvt_csv_get(&t, r, "customer_id"));
	pvt_csv_free(&t);
}

/* A shred whose ledger lines could not reach the ledger file (a directory in its place):
 * high until the ledger can be written, gone once the next check adds them. */
static void test_ledger_lacks_a_shred(void **state)
{
	struct fix *f = *state;
	struct seen s;
	char ids[10][32];
	import_ten(f, ids);
	char *ledger = pvt_keep(pvt_path(f->site, "v.keyring.ledger"));
	assert_int_equal(mkdir(ledger, 0700), 0);
	const char *victim[] = { ids[3] };
	char *cert = NULL;
	assert_int_equal(pv_shred(f->v, &admin, victim, 1, &cert), PV_ERR_IO);
	assert_non_null(cert);
	pv_free(cert);
	assert_int_equal(doctor(f, NULL, &s), 1);
	assert_int_equal(found(&s, "shred ledger", "lacks the lines of a committed shred"),
			 PV_SEVERITY_HIGH);
	assert_int_equal(rmdir(ledger), 0);
	assert_int_equal(doctor(f, NULL, &s), 0);
	assert_int_equal(found(&s, "shred ledger", NULL), 0);
	json_t *lines = pvt_ledger_read(ledger, NULL);
	assert_true(json_array_size(lines) >= 1);
	json_decref(lines);
}

/* A DBA moves a customer's data key to another generation of its bucket key with the
 * sqlite3 tool (or a keyring from elsewhere is put in place): no key opens it, and the
 * check says so. */
static void test_keys_the_keyring_cannot_open(void **state)
{
	struct fix *f = *state;
	struct seen s;
	char ids[10][32];
	import_ten(f, ids);
	assert_int_equal(doctor(f, NULL, &s), 0);
	assert_int_equal(found(&s, "keys", "unreadable"), 0);
	assert_int_equal(sql(f, "UPDATE customers SET bucket_gen = bucket_gen + 1 "
			     "WHERE rid IN (SELECT rid FROM customers LIMIT 2)"), 2);
	assert_int_equal(doctor(f, NULL, &s), 1);
	assert_int_equal(found(&s, "keys", "2 customers' data keys are wrapped by bucket keys "
			       "newer than the keyring's"), PV_SEVERITY_HIGH);
}

/* A DBA rewrites, with the sqlite3 tool, the log's record of a shred (so that an escrow
 * copy older than it would not be reported stale): the check verifies the log it reads
 * and says it does not verify. */
static void test_log_rewritten(void **state)
{
	struct fix *f = *state;
	struct seen s;
	char ids[10][32];
	import_ten(f, ids);
	const char *victim[] = { ids[1] };
	char *cert = NULL;
	assert_ok(f->v, pv_shred(f->v, &admin, victim, 1, &cert));
	pv_free(cert);
	doctor(f, NULL, &s);
	assert_int_equal(found(&s, "audit log", NULL), 0);
	assert_int_equal(sql(f, "UPDATE audit SET op = 'audit log' WHERE op = 'shred'"), 1);
	assert_int_equal(doctor(f, NULL, &s) >= 1, 1);
	assert_int_equal(found(&s, "audit log", "does not verify"), PV_SEVERITY_HIGH);
}

/* A handover package the transfer records name, made readable by others after it was
 * written: a finding, gone once the mode is put back. (The transfer row is written here
 * with SQL: only its package's file name matters to the check.) */
static void test_package_readable_by_others(void **state)
{
	struct fix *f = *state;
	struct seen s;
	char *pkg = pvt_keep(pvt_path(f->keys, "handover.age"));
	assert_int_equal(pvt_write_file(pkg, "age", 3), 0);
	assert_int_equal(chmod(pkg, 0644), 0);
	char row[1024];
	snprintf(row, sizeof row, "INSERT INTO transfers(id, created, created_by, state, plan, "
		 "keep_until, package) VALUES ('T-1', '2026-01-01', 'admin', 'exported', '{}', "
		 "'2029-01-01', '{\"file\":\"%s\"}')", pkg);
	assert_int_equal(sql(f, row), 1);
	doctor(f, NULL, &s);
	assert_int_equal(found(&s, "the handover package", "readable by group and others"),
			 PV_SEVERITY_MEDIUM);
	assert_int_equal(chmod(pkg, 0600), 0);
	doctor(f, NULL, &s);
	assert_int_equal(found(&s, "the handover package", NULL), 0);
}

/* ---- Key and password files ---- */

static void test_root_key_beside_the_vault(void **state)
{
	struct fix *f = *state;
	struct seen s;
	char *beside = pvt_keep(pvt_path(f->site, "root.key"));
	size_t len;
	char *key = pvt_keep(pvt_read_file(f->key_file, &len));
	assert_int_equal(pvt_write_file(beside, key, len), 0);
	assert_int_equal(chmod(beside, 0600), 0);
	assert_int_equal(doctor(f, NULL, &s), 1);
	assert_int_equal(found(&s, "secret-file", "root.key is named like a key"), PV_SEVERITY_HIGH);
	assert_non_null(strstr(s.text[0], "beside the vault directory"));
	assert_int_equal(unlink(beside), 0);
	/* inside the vault directory, a password file */
	char *inside = pvt_keep(pvt_path(f->dir, "admin.pw"));
	assert_int_equal(pvt_write_file(inside, "pw\n", 3), 0);
	doctor(f, NULL, &s);
	assert_int_equal(found(&s, "admin.pw", "inside the vault directory"), PV_SEVERITY_HIGH);
	assert_int_equal(unlink(inside), 0);
	assert_int_equal(doctor(f, NULL, &s), 0);
	assert_clean(&s);
}

/* A secret file the caller names is found whatever its name, and its mode is checked. */
static void test_named_secret_files(void **state)
{
	struct fix *f = *state;
	struct seen s;
	char *pwfile = pvt_keep(pvt_path(f->site, "credentials"));
	assert_int_equal(pvt_write_file(pwfile, "pw\n", 3), 0);
	assert_int_equal(chmod(pwfile, 0600), 0);
	pv_doctor_opts o = { f->key_file, NULL, pwfile, 0, 0, 0, NULL };
	unsigned high = 0;
	memset(&s, 0, sizeof s);
	assert_ok(f->v, pv_doctor(f->v, NULL, &o, collect, &s, &high));
	assert_int_equal(found(&s, "the password file", "beside the vault directory"),
			 PV_SEVERITY_HIGH);
	assert_int_equal(chmod(f->key_file, 0644), 0); /* the root key, away but readable */
	assert_int_equal(doctor(f, NULL, &s), 1);
	assert_int_equal(found(&s, "root key file", "readable by group and others"),
			 PV_SEVERITY_HIGH);
	assert_int_equal(chmod(f->key_file, 0600), 0);
	assert_int_equal(doctor(f, NULL, &s), 0);
	assert_clean(&s);
}

/* ---- Core dumps ---- */

static void test_core_pattern_pipe(void **state)
{
	struct fix *f = *state;
	struct seen s;
	write_pattern(f, "|/usr/lib/systemd/systemd-coredump %P %u %g %s %t %c %h\n");
	doctor(f, NULL, &s);
	assert_int_equal(found(&s, "core-dumps", "systemd-coredump"), PV_SEVERITY_LOW);
	write_pattern(f, "core\n");
	doctor(f, NULL, &s);
	assert_int_equal(found(&s, "core_pattern", NULL), 0);
}

/* ---- What the audit log says ---- */

static void test_checkpoint_missing_and_stale(void **state)
{
	struct fix *f = *state;
	make_vault(f, 0, NULL);
	struct seen s;
	doctor(f, NULL, &s);
	assert_int_equal(found(&s, "checkpoint", "no audit checkpoint was ever exported"),
			 PV_SEVERITY_MEDIUM);
	char *text = NULL;
	assert_ok(f->v, pv_audit_checkpoint(f->v, NULL, &text));
	pv_free(text);
	doctor(f, NULL, &s);
	assert_int_equal(found(&s, "checkpoint:", NULL), 0);
	doctor(f, days_from_today(30), &s);
	assert_int_equal(found(&s, "checkpoint", "is 30 days old"), PV_SEVERITY_LOW);
}

static void test_backup_missing_old_bad_and_gone(void **state)
{
	struct fix *f = *state;
	make_vault(f, 0, NULL);
	struct seen s;
	doctor(f, NULL, &s);
	assert_int_equal(found(&s, "backup", "records no backup"), PV_SEVERITY_MEDIUM);
	char *summary = NULL;
	assert_ok(f->v, pv_backup_create(f->v, &admin, f->backup, &summary));
	pv_free(summary);
	doctor(f, NULL, &s);
	assert_int_equal(found(&s, "backup:", NULL), 0);
	doctor(f, days_from_today(10), &s);
	assert_int_equal(found(&s, "backup", "is 10 days old"), PV_SEVERITY_MEDIUM);
	/* an output file others may read */
	assert_int_equal(chmod(f->backup, 0644), 0);
	doctor(f, NULL, &s);
	assert_int_equal(found(&s, "the backup", "readable by group and others"),
			 PV_SEVERITY_MEDIUM);
	assert_int_equal(chmod(f->backup, 0600), 0);
	/* a byte of the image changed: it no longer verifies */
	size_t len;
	char *img = pvt_keep(pvt_read_file(f->backup, &len));
	img[100] ^= 1;
	assert_int_equal(unlink(f->backup), 0);
	assert_int_equal(pvt_write_file(f->backup, img, len), 0);
	assert_int_equal(chmod(f->backup, 0600), 0);
	assert_int_equal(doctor(f, NULL, &s), 1);
	assert_int_equal(found(&s, "backup", "does not verify"), PV_SEVERITY_HIGH);
	/* moved away: it cannot be verified here */
	assert_int_equal(unlink(f->backup), 0);
	doctor(f, NULL, &s);
	assert_int_equal(found(&s, "backup", "cannot be verified here"), PV_SEVERITY_LOW);
}

static void test_keys_never_rotated(void **state)
{
	struct fix *f = *state;
	struct seen s;
	const char *later = days_from_today(400);
	doctor(f, later, &s);
	assert_int_equal(found(&s, "rotation", "bucket keys were never rotated"),
			 PV_SEVERITY_MEDIUM);
	assert_int_equal(found(&s, "rotation", "root secret and master key were never"),
			 PV_SEVERITY_MEDIUM);
	pv_rekey_result r;
	assert_ok(f->v, pv_rekey(f->v, &admin, 0, &r));
	doctor(f, later, &s);
	assert_int_equal(found(&s, "bucket keys were never", NULL), 0);
	char *new_file = pvt_keep(pvt_path(f->keys, "root2"));
	assert_int_equal(pv_key_generate_file(new_file), PV_OK);
	pv_key *k = NULL;
	assert_int_equal(pv_key_from_file(new_file, &k), PV_OK);
	assert_ok(f->v, pv_vault_rekey_root(f->v, &admin, k));
	pv_key_free(k);
	doctor(f, later, &s); /* both rotated today, 400 days before then */
	assert_int_equal(found(&s, "never rotated", NULL), 0);
	assert_int_equal(found(&s, "bucket keys were last rotated 400 days ago", NULL),
			 PV_SEVERITY_LOW);
	assert_int_equal(found(&s, "master key were last rotated 400 days ago", NULL),
			 PV_SEVERITY_LOW);
	doctor(f, NULL, &s);
	assert_int_equal(found(&s, "rotation:", NULL), 0);
}

/* A disabled user keeps what an earlier session unsealed until the root is rotated. */
static void test_disabled_user_before_root_rotation(void **state)
{
	struct fix *f = *state;
	struct seen s;
	assert_ok(f->v, pvt_user_add(f->v, &admin, "dave", "auditor", "dave-pass-1", 11));
	assert_ok(f->v, pv_user_disable(f->v, &admin, "dave"));
	assert_int_equal(doctor(f, NULL, &s), 1);
	assert_int_equal(found(&s, "rotation", "user dave was disabled"), PV_SEVERITY_HIGH);
	char *new_file = pvt_keep(pvt_path(f->keys, "root2"));
	assert_int_equal(pv_key_generate_file(new_file), PV_OK);
	pv_key *k = NULL;
	assert_int_equal(pv_key_from_file(new_file, &k), PV_OK);
	assert_ok(f->v, pv_vault_rekey_root(f->v, &admin, k));
	pv_key_free(k);
	doctor(f, NULL, &s);
	assert_int_equal(found(&s, "user dave was disabled", NULL), 0);
}

/* Active users without their agreement or training; a full-strength password slot is no
 * finding. */
static void test_users_without_obligations(void **state)
{
	struct fix *f = *state;
	struct seen s;
	assert_ok(f->v, pvt_user_add(f->v, &admin, "carol", "clerk", "carol-pass-1", 12));
	assert_int_equal(doctor(f, NULL, &s), 0);
	assert_int_equal(found(&s, "obligations", "user carol"), PV_SEVERITY_MEDIUM);
	assert_non_null(strstr(s.text[0], "no privacy training on record"));
	assert_int_equal(found(&s, "kdf", NULL), 0);
	char today[11], trained[11], expired[11];
	snprintf(today, sizeof today, "%s", days_from_today(0));
	snprintf(trained, sizeof trained, "%s", days_from_today(-400));
	snprintf(expired, sizeof expired, "%s", days_from_today(-35));
	assert_ok(f->v, pv_user_attest(f->v, &admin, "carol", today, trained, expired));
	doctor(f, NULL, &s);
	assert_int_equal(found(&s, "user carol", "training expired"), PV_SEVERITY_MEDIUM);
	assert_ok(f->v, pv_user_attest(f->v, &admin, "carol", NULL, today, NULL));
	doctor(f, NULL, &s);
	assert_clean(&s);
}

/* ---- Escrow copies ---- */

/* A DBA deletes the record of an escrow copy (so that certificates stop naming it), or
 * adds one of a copy never made. */
static void test_escrow_rows_deleted_or_forged(void **state)
{
	struct fix *f = *state;
	struct seen s;
	sql(f, "DELETE FROM escrow_copies");
	assert_int_equal(doctor(f, NULL, &s), 1);
	assert_int_equal(found(&s, "escrow", "not in the escrow records"), PV_SEVERITY_HIGH);
	sql(f, "INSERT INTO escrow_copies(made, recipient, digest, made_by) VALUES "
	       "('2026-01-01T00:00:00Z', 'ab', '" "0123456789abcdef0123456789abcdef"
	       "0123456789abcdef0123456789abcdef', 'admin')");
	assert_int_equal(doctor(f, NULL, &s), 2);
	assert_int_equal(found(&s, "escrow record 0123456789abcdef", "added outside pivault"),
			 PV_SEVERITY_HIGH);
}

static void test_escrow_missing_and_stale(void **state)
{
	struct fix *f = *state;
	make_vault(f, 0, NULL);
	struct seen s;
	doctor(f, NULL, &s);
	assert_int_equal(found(&s, "escrow", "no escrow copy"), PV_SEVERITY_LOW);
	assert_int_equal(pv_escrow_keygen(f->escrow_secret, f->escrow_pub), PV_OK);
	assert_ok(f->v, pv_keyring_escrow(f->v, &admin, f->escrow_pub, f->escrow_copy));
	doctor(f, NULL, &s);
	assert_int_equal(found(&s, "escrow:", NULL), 0);
	sleep(1); /* the rotation's time after the copy's */
	pv_rekey_result r;
	assert_ok(f->v, pv_rekey(f->v, &admin, 0, &r));
	doctor(f, NULL, &s);
	assert_int_equal(found(&s, "escrow", "older than the last shred or key rotation"),
			 PV_SEVERITY_MEDIUM);
	char *copy2 = pvt_keep(pvt_path(f->keys, "escrow-copy-2"));
	sleep(1);
	assert_ok(f->v, pv_keyring_escrow(f->v, &admin, f->escrow_pub, copy2));
	doctor(f, NULL, &s);
	assert_int_equal(found(&s, "escrow:", NULL), 0);
}

/* ---- Argon2id ---- */

static void test_kdf_below_floor(void **state)
{
	struct fix *f = *state;
	make_vault(f, 1, "admin"); /* the fast setting, as only test builds accept */
	struct seen s;
	assert_int_equal(doctor(f, NULL, &s), 1);
	assert_int_equal(found(&s, "kdf", "user admin's password is stretched"), PV_SEVERITY_HIGH);
}

/* A root passphrase stretched with the fast setting. */
static void test_root_passphrase_below_floor(void **state)
{
	struct fix *f = *state;
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_passphrase("a passphrase", 12, &key), PV_OK);
	char schema[512];
	snprintf(schema, sizeof schema, "%s/examples/schema.yaml", PV_SOURCE_DIR);
	pv_create_opts o = { schema, NULL, 16, 1, NULL, NULL, NULL, 0 };
	pv_vault *v = NULL;
	pv_rc rc = pv_vault_create(f->dir, &o, key, &v);
	pv_key_free(key);
	if (rc)
		fail_msg("create: %s", pv_errmsg(v));
	f->v = pvt_track(v);
	struct seen s;
	assert_int_equal(doctor(f, NULL, &s), 1);
	assert_int_equal(found(&s, "kdf", "root passphrase is stretched"), PV_SEVERITY_HIGH);
}

/* The keyring kept inside the data directory, where a copy of one carries the other. */
static void test_keyring_inside_the_vault(void **state)
{
	struct fix *f = *state;
	assert_int_equal(pv_key_generate_file(f->key_file), PV_OK);
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(f->key_file, &key), PV_OK);
	char schema[512];
	snprintf(schema, sizeof schema, "%s/examples/schema.yaml", PV_SOURCE_DIR);
	assert_int_equal(mkdir(f->dir, 0700), 0);
	char *ring = pvt_keep(pvt_path(f->dir, "keys.ring"));
	pv_create_opts o = { schema, ring, 16, 0, NULL, NULL, NULL, 0 };
	pv_vault *v = NULL;
	pv_rc rc = pv_vault_create(f->dir, &o, key, &v);
	pv_key_free(key);
	if (rc)
		fail_msg("create: %s", pv_errmsg(v));
	f->v = pvt_track(v);
	struct seen s;
	assert_int_equal(doctor(f, NULL, &s), 0);
	assert_int_equal(found(&s, "keyring-place", "inside the vault directory"),
			 PV_SEVERITY_MEDIUM);
}

/* ---- Who may run it ---- */

static void test_user_without_audit_refused(void **state)
{
	struct fix *f = *state;
	assert_ok(f->v, pvt_user_add(f->v, &admin, "carol", "clerk", "carol-pass-1", 12));
	assert_ok(f->v, pvt_user_add(f->v, &admin, "otto", "auditor", "otto-pass-1", 11));
	pv_vault *u = pvt_open_user(f->dir, "carol", "carol-pass-1");
	struct seen s = { .n = 0 };
	assert_rc_msg(u, pv_doctor(u, NULL, NULL, collect, &s, NULL), PV_ERR_DENIED, "'audit'");
	assert_int_equal(s.n, 0);
	pv_vault *a = pvt_open_user(f->dir, "otto", "otto-pass-1");
	unsigned high = 0;
	assert_ok(a, pv_doctor(a, NULL, NULL, collect, &s, &high));
	assert_true(found(&s, "obligations", "user carol") == PV_SEVERITY_MEDIUM);
}

/* ---- The command ---- */

static int run_cli(struct fix *f, char **out, const char *pre, const char *args)
{
	return pvt_run(out, "%s PIVAULT_PASSWORD_FILE= PIVAULT_PASSPHRASE_FILE= '%s' doctor "
		       "--vault '%s' --key-file '%s' %s 2>&1", pre, pvt_program("pivault-test"),
		       f->dir, f->key_file, args);
}

static void test_cli_exit_status_and_json(void **state)
{
	struct fix *f = *state;
	char *out = NULL;
	assert_int_equal(run_cli(f, &out, "ulimit -c 0;", "--json"), 0);
	pvt_keep(out);
	assert_non_null(strstr(out, "{\"findings\":["));
	assert_non_null(strstr(out, "\"high\":0,\"medium\":0,\"low\":0}"));
	assert_int_equal(chmod(f->keyring, 0644), 0);
	assert_int_equal(run_cli(f, &out, "ulimit -c 0;", "--json"), 1);
	pvt_keep(out);
	assert_non_null(strstr(out, "{\"check\":\"permissions\",\"severity\":\"high\",\"what\":"
				    "\"the keyring "));
	assert_non_null(strstr(out, "\"fix\":\"chmod go-rwx"));
	assert_non_null(strstr(out, "\"high\":1,"));
	assert_int_equal(run_cli(f, &out, "ulimit -c 0;", ""), 1);
	pvt_keep(out);
	assert_non_null(strstr(out, "high    permissions: the keyring"));
	assert_non_null(strstr(out, "1 finding: 1 high, 0 medium, 0 low"));
	assert_int_equal(chmod(f->keyring, 0600), 0);
	assert_int_equal(run_cli(f, &out, "ulimit -c 0;", ""), 0);
	pvt_keep(out);
	assert_non_null(strstr(out, "no findings"));
	/* a medium finding alone leaves the status 0 */
	assert_int_equal(run_cli(f, &out, "ulimit -c 0;", "--as-of 2099-01-01"), 0);
	pvt_keep(out);
	assert_non_null(strstr(out, "medium  rotation"));
	assert_int_equal(run_cli(f, NULL, "", "--backup-days 0"), 2);
	assert_int_equal(run_cli(f, NULL, "", "--frobnicate"), 2);
}

/* Core dumps on where the command starts: pivault turns them off only once the vault is
 * open, after it has read the secret. Run first: once this process has opened a vault,
 * its children cannot turn core dumps on again; the vault is made by the command. */
#ifndef __SANITIZE_ADDRESS__ /* ASan switches core dumps off when the command starts: the
			     * test is left out of sanitizer builds (run in the plain one) */
static void test_cli_core_dumps_enabled(void **state)
{
	struct fix *f = *state;
	if (pvt_run(NULL, "ulimit -c 4096 2>/dev/null") != 0)
		fail_msg("cannot raise the core size limit here, so the check cannot be tested");
	assert_int_equal(pv_key_generate_file(f->key_file), PV_OK);
	char *pw = pvt_keep(pvt_path(f->keys, "admin-password"));
	assert_int_equal(pvt_write_file(pw, "admin-pass-1\n", 13), 0);
	assert_int_equal(pvt_run(NULL, "PIVAULT_PASSWORD_FILE='%s' '%s' init '%s' --key-file '%s' "
				 "--schema '%s/examples/schema.yaml' --slots 16 >/dev/null", pw,
				 pvt_program("pivault-test"), f->dir, f->key_file, PV_SOURCE_DIR),
			 0);
	char *out = NULL;
	run_cli(f, &out, "ulimit -c 4096;", "");
	pvt_keep(out);
	assert_non_null(strstr(out, "medium  core-dumps: core dumps are enabled"));
	run_cli(f, &out, "ulimit -c 0;", "");
	pvt_keep(out);
	assert_null(strstr(out, "core-dumps"));
}
#endif

static void test_cli_user_without_audit(void **state)
{
	struct fix *f = *state;
	assert_ok(f->v, pvt_user_add(f->v, &admin, "carol", "clerk", "carol-pass-1", 12));
	char *pw = pvt_keep(pvt_path(f->keys, "carol-password"));
	assert_int_equal(pvt_write_file(pw, "carol-pass-1\n", 13), 0);
	char *out = NULL;
	int rc = pvt_run(&out, "PIVAULT_KEY_FILE= PIVAULT_PASSWORD_FILE='%s' '%s' doctor --vault "
			 "'%s' --user carol 2>&1", pw, pvt_program("pivault-test"), f->dir);
	pvt_keep(out);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "permission 'audit'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#ifndef __SANITIZE_ADDRESS__
		cmocka_unit_test_setup_teardown(test_cli_core_dumps_enabled, setup, teardown),
#endif
		cmocka_unit_test_setup_teardown(test_careful_vault_has_no_finding, setup_careful,
						teardown),
		cmocka_unit_test_setup_teardown(test_one_audit_entry, setup_careful, teardown),
		cmocka_unit_test_setup_teardown(test_ledger_lacks_a_shred, setup_careful, teardown),
		cmocka_unit_test_setup_teardown(test_log_rewritten, setup_careful, teardown),
		cmocka_unit_test_setup_teardown(test_package_readable_by_others, setup_careful,
						teardown),
		cmocka_unit_test_setup_teardown(test_keys_the_keyring_cannot_open, setup_careful,
						teardown),
		cmocka_unit_test_setup_teardown(test_keyring_readable_by_others, setup_careful,
						teardown),
		cmocka_unit_test_setup_teardown(test_ledger_directory_and_database, setup_careful,
						teardown),
		cmocka_unit_test_setup_teardown(test_root_key_beside_the_vault, setup_careful,
						teardown),
		cmocka_unit_test_setup_teardown(test_named_secret_files, setup_careful, teardown),
		cmocka_unit_test_setup_teardown(test_core_pattern_pipe, setup_careful, teardown),
		cmocka_unit_test_setup_teardown(test_checkpoint_missing_and_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup_missing_old_bad_and_gone, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_keys_never_rotated, setup_careful, teardown),
		cmocka_unit_test_setup_teardown(test_disabled_user_before_root_rotation,
						setup_careful, teardown),
		cmocka_unit_test_setup_teardown(test_users_without_obligations, setup_careful,
						teardown),
		cmocka_unit_test_setup_teardown(test_escrow_rows_deleted_or_forged, setup_careful,
						teardown),
		cmocka_unit_test_setup_teardown(test_escrow_missing_and_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kdf_below_floor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_root_passphrase_below_floor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keyring_inside_the_vault, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_without_audit_refused, setup_careful,
						teardown),
		cmocka_unit_test_setup_teardown(test_cli_exit_status_and_json, setup_careful,
						teardown),
		cmocka_unit_test_setup_teardown(test_cli_user_without_audit, setup_careful, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
