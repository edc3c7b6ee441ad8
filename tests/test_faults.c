/* SPDX-License-Identifier: Apache-2.0 */
/* test_faults.c: a write, sync or rename that fails where a kill cannot reach, at each
 * step of shred, bucket rekey, data rekey and root rekey (issue 11). This program stands
 * in for the C library's write, pwrite, pwrite64, fsync, fdatasync, rename and fflush
 * (SQLite's calls and the library's reach these first; stdio's writes are caught at its
 * flush), and makes the k-th matching call fail with EIO (once) or ENOSPC (that call and
 * every later one, as a full disk). For k = 1, 2, ... until the operation runs without
 * reaching the k-th call, each run on a fresh copy of one vault: the fault, the
 * operation, the vault closed and opened again (recovery runs at open), then: the vault
 * opens, its audit log verifies, every keyring slot authenticates and no journal is left;
 * every customer not shredded reads back its values; the shredded ones are all gone or
 * all there and readable; a shred that removed them returned its certificate (but see
 * commit_unsynced) and the ledger keeps it with a line per customer; every re-wrapped
 * data key has its ledger line; the operation run again completes; a root rekey leaves
 * exactly one of the two secrets opening the vault. After a fault met once, the same
 * handle reads every customer. PV_FAULTS_STRIDE=n tries every n-th call only;
 * PV_FAULTS_ONLY=pattern runs the tests it names. Directed tests: the sync of the
 * keyring's directory before a commit, a failed overwrite of the slots, and stale keyring
 * journals put back. */
#define _GNU_SOURCE
#include "dba.h"
#include "testutil.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "keyring.h"
#include "record.h"
#include "vault.h"

#define SCHEMA PV_SOURCE_DIR "/examples/schema.yaml"
#define NCUST 40
#define SLOTS 64

static const pv_access ADMIN = { "admin", NULL, 0 };
static const pv_access READ_ALL = { "admin", "all", 1 };

/* ---- the fault: which calls, which one fails, how ---- */

enum fault_kind { F_WRITE, F_SYNC, F_RENAME, F_SEND };
static const char *const kind_names[] = { "write", "sync", "rename", "send" };

static struct {
	int armed;
	enum fault_kind kind;
	const char *only; /* a call matches only on this file or directory (NULL: any) */
	const char *after; /* no call matches until a write to this file (NULL: at once) */
	long fail_at; /* the matching call that fails (1 = the first) */
	int sticky;   /* every matching call after it fails too (a full disk) */
	long seen;    /* matching calls since armed */
	int hit;      /* the fault was met */
	char what[4096]; /* the file of the first failed call */
} g_fault;

/* The path fd stands for, into buf (empty if unknown). */
static const char *fd_path(int fd, char *buf, size_t len)
{
	char link[64];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* 1 when this call (of kind, on path) is to fail, with errno set. */
static int fault_now(enum fault_kind kind, int fd, const char *path)
{
	char buf[4096];
	if (g_fault.armed && g_fault.after) {
		if (kind == F_WRITE && strcmp(g_fault.after, fd_path(fd, buf, sizeof buf)) == 0)
			g_fault.after = NULL; /* the calls after this one match */
		return 0;
	}
	if (!g_fault.armed || g_fault.kind != kind)
		return 0;
	if (g_fault.only && strcmp(g_fault.only, path ? path : fd_path(fd, buf, sizeof buf)) != 0)
		return 0;
	long at = ++g_fault.seen;
	if (at < g_fault.fail_at || (at > g_fault.fail_at && !g_fault.sticky))
		return 0;
	if (!g_fault.hit) {
		snprintf(g_fault.what, sizeof g_fault.what, "%s",
			 path ? path : fd_path(fd, buf, sizeof buf));
	}
	g_fault.hit = 1;
	errno = g_fault.sticky ? ENOSPC : EIO;
	return 1;
}

ssize_t write(int fd, const void *buf, size_t n)
{
	return fault_now(F_WRITE, fd, NULL) ? -1 : syscall(SYS_write, fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	return fault_now(F_WRITE, fd, NULL) ? -1 : syscall(SYS_pwrite64, fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	return fault_now(F_WRITE, fd, NULL) ? -1 : syscall(SYS_pwrite64, fd, buf, n, off);
}

int fsync(int fd)
{
	return fault_now(F_SYNC, fd, NULL) ? -1 : (int)syscall(SYS_fsync, fd);
}

int fdatasync(int fd)
{
	return fault_now(F_SYNC, fd, NULL) ? -1 : (int)syscall(SYS_fdatasync, fd);
}

/* stdio writes through its own calls, which no program can stand in for; its flush is
 * one: a failing flush loses what was buffered, as a full disk would. */
int fflush(FILE *f)
{
	static int (*real)(FILE *);
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "fflush");
	if (f && fault_now(F_WRITE, fileno(f), NULL)) {
		int e = errno;
		__fpurge(f);
		errno = e;
		return EOF;
	}
	return real(f);
}

int rename(const char *from, const char *to)
{
	return fault_now(F_RENAME, -1, to) ? -1 : (int)syscall(SYS_rename, from, to);
}

/* libpq's calls to a PostgreSQL server: a failed send is a connection lost (the socket
 * shut, so the reply never comes): a transaction whose commit was not sent never
 * commits. */
ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	if (fault_now(F_SEND, fd, NULL)) {
		shutdown(fd, SHUT_RDWR);
		errno = ECONNRESET;
		return -1;
	}
	return syscall(SYS_sendto, fd, buf, n, flags, NULL, 0);
}

static void fault_arm_on(enum fault_kind kind, long fail_at, int sticky, const char *only)
{
	memset(&g_fault, 0, sizeof g_fault);
	g_fault.only = only;
	g_fault.kind = kind;
	g_fault.fail_at = fail_at;
	g_fault.sticky = sticky;
	g_fault.armed = 1;
}

static void fault_arm(enum fault_kind kind, long fail_at, int sticky)
{
	fault_arm_on(kind, fail_at, sticky, NULL);
}

static void fault_clear(void)
{
	g_fault.armed = 0;
}

/* ---- the pristine vault and what its customers hold ---- */

static char *g_base;      /* vault/, vault.keyring, root.key */
static char *g_key_path;
static pv_key *g_key;
static pv_key *g_new_key; /* the root secret a root rekey puts in place */
static char **g_ids;      /* every customer id */
static char **g_values;   /* each one's fields and values, as read before any fault */
static size_t g_n;

/* The customer's fields and values as one text (malloc'd), or NULL with *rc set. */
static char *record_text(pv_vault *v, const char *id, pv_rc *rc)
{
	pv_record *r = NULL;
	*rc = pv_get(v, &READ_ALL, id, &r);
	if (*rc)
		return NULL;
	size_t len = 1;
	for (size_t i = 0; i < pv_record_field_count(r); i++) {
		const char *val = pv_record_field_value(r, i);
		len += strlen(pv_record_field_name(r, i)) + (val ? strlen(val) : 0) + 2;
	}
	char *t = malloc(len);
	assert_non_null(t);
	t[0] = '\0';
	for (size_t i = 0; i < pv_record_field_count(r); i++) {
		const char *val = pv_record_field_value(r, i);
		strcat(t, pv_record_field_name(r, i));
		strcat(t, "=");
		strcat(t, val ? val : "");
		strcat(t, "\n");
	}
	pv_record_free(r);
	return t;
}

static int group_setup(void **state)
{
	(void)state;
	assert_true(sodium_init() >= 0);
	g_base = pvt_tempdir();
	g_key_path = pvt_path(g_base, "root.key");
	char *dir = pvt_path(g_base, "vault"), *csv_path = pvt_path(g_base, "in.csv"), *text = NULL;
	assert_int_equal(pvt_run(&text, "'%s' -n %d --seed 23 --canonical", pvt_program("pvgen"),
				 NCUST), 0);
	assert_int_equal(pvt_write_file(csv_path, text, strlen(text)), 0);
	struct pvt_csv csv;
	assert_int_equal(pvt_csv_parse(text, &csv), 0);
	free(text);
	assert_int_equal(pv_key_generate_file(g_key_path), PV_OK);
	assert_int_equal(pv_key_from_file(g_key_path, &g_key), PV_OK);
	char *new_path = pvt_path(g_base, "new.key");
	assert_int_equal(pv_key_generate_file(new_path), PV_OK);
	assert_int_equal(pv_key_from_file(new_path, &g_new_key), PV_OK);
	free(new_path);
	pv_create_opts o = { .schema_path = SCHEMA, .keyring_slots = SLOTS,
			     .kdf_cost = PV_KDF_FAST };
	pv_vault *v = NULL;
	if (pv_vault_create(dir, &o, g_key, &v))
		fail_msg("pv_vault_create: %s", pv_errmsg(v));
	pv_import_opts io = { .threads = 1 };
	pv_import_result *res = NULL;
	if (pv_import_csv(v, &ADMIN, csv_path, &io, &res))
		fail_msg("pv_import_csv: %s", pv_errmsg(v));
	assert_int_equal(pv_import_rows_imported(res), NCUST);
	pv_import_free(res);
	g_n = csv.nrows - 1;
	g_ids = calloc(g_n, sizeof *g_ids);
	g_values = calloc(g_n, sizeof *g_values);
	for (size_t i = 0; i < g_n; i++) {
		pv_rc rc;
		g_ids[i] = strdup(pvt_csv_get(&csv, i + 1, "customer_id"));
		g_values[i] = record_text(v, g_ids[i], &rc);
		assert_non_null(g_values[i]);
	}
	pvt_csv_free(&csv);
	assert_int_equal(pv_vault_checkpoint(v), PV_OK);
	pv_vault_close(v);
	free(dir);
	free(csv_path);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < g_n; i++) {
		free(g_ids[i]);
		free(g_values[i]);
	}
	free(g_ids);
	free(g_values);
	pv_key_free(g_key);
	pv_key_free(g_new_key);
	pvt_rmtree(g_base);
	free(g_base);
	free(g_key_path);
	return 0;
}

/* ---- one run: a fresh copy, the fault, the operation, reopen, checks ---- */

enum op { OP_SHRED, OP_REKEY_BUCKETS, OP_REKEY_DATA, OP_REKEY_ROOT };
static const char *const op_names[] = { "shred", "bucket rekey", "data rekey", "root rekey" };

struct run {
	enum op op;
	const char *const *victims; /* shred: the customers */
	size_t nvictims;
	char *tmp, *dir, *keyring, *journal, *ledger;
	const pv_key *key; /* the root secret that opens the vault (NULL: g_key) */
	int unsynced;      /* the call failed as a commit whose sync failed (see below) */
	char label[160]; /* op, kind, call number: names the run in a failure */
};

/* A failed check is reported with the run and the file of the failed call, and the sweep
 * goes on with the next run (it fails at its end), so one sweep shows every failure. */
static jmp_buf g_resume;
static unsigned g_failures;
static unsigned g_unsynced; /* runs failed as a commit whose sync failed */
static int g_sweeping; /* g_resume is set: a sweep is running */

static _Noreturn void check_fail(struct run *r, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (!g_sweeping) {
		fail_msg("%s: %s", r->label, msg);
		abort(); /* not reached: cmocka's failure does not return */
	}
	print_message("FAILED: %s (first failed call on %s): %s\n", r->label, g_fault.what, msg);
	g_failures++;
	longjmp(g_resume, 1);
}

static pv_vault *open_vault(struct run *r)
{
	pv_vault *v = NULL;
	pv_rc rc = pv_vault_open(r->dir, NULL, r->key ? r->key : g_key, &v);
	if (rc)
		check_fail(r, "the vault does not open: rc %d: %s", rc, pv_errmsg(v));
	return pvt_track(v);
}

/* The operation; for a shred, *cert receives the certificate (malloc'd) or NULL. */
static pv_rc run_op(struct run *r, pv_vault *v, char **cert)
{
	pv_rekey_result res;
	*cert = NULL;
	if (r->op == OP_SHRED)
		return pv_shred(v, &ADMIN, r->victims, r->nvictims, cert);
	if (r->op == OP_REKEY_ROOT)
		return pv_vault_rekey_root(v, &ADMIN, g_new_key);
	return pv_rekey(v, &ADMIN, r->op == OP_REKEY_DATA, &res);
}

static int is_victim(const struct run *r, const char *id)
{
	for (size_t i = 0; i < r->nvictims; i++)
		if (strcmp(r->victims[i], id) == 0)
			return 1;
	return 0;
}

/* Every slot authenticates and no keyring journal is left once the vault is open. */
static void check_keyring(struct run *r, pv_vault *v)
{
	char err[512];
	if (pv_keyring_load_all(v->keyring, err, sizeof err) != 0)
		check_fail(r, "keyring: %s", err);
	if (access(r->journal, F_OK) == 0)
		check_fail(r, "the keyring journal is still there after the open");
}

static void check_audit(struct run *r, pv_vault *v)
{
	char *report = NULL;
	pv_rc rc = pv_audit_verify(v, NULL, NULL, &report);
	if (rc)
		check_fail(r, "audit verify: rc %d: %s", rc, report ? report : pv_errmsg(v));
	pv_free(report);
}

/* Every customer other than the victims reads back its values; the victims are all
 * there (reading back theirs) or all gone. 1 when they are gone. */
static int check_customers(struct run *r, pv_vault *v)
{
	size_t gone = 0;
	for (size_t i = 0; i < g_n; i++) {
		pv_rc rc;
		char *t = record_text(v, g_ids[i], &rc);
		if (!t && rc == PV_ERR_NOT_FOUND && is_victim(r, g_ids[i])) {
			gone++;
			continue;
		}
		if (!t)
			check_fail(r, "customer %s does not read: rc %d: %s", g_ids[i], rc,
				 pv_errmsg(v));
		if (strcmp(t, g_values[i]) != 0)
			check_fail(r, "customer %s reads other values", g_ids[i]);
		free(t);
	}
	if (gone && gone != r->nvictims)
		check_fail(r, "%zu of %zu shredded customers gone, the others readable",
			 gone, r->nvictims);
	return gone > 0;
}

/* A defect this test leaves to the store's owner: pv_store_commit (store_sqlite.c) fails
 * with "the audit entry could not be synced to disk" when COMMIT went through and only
 * the sync of the log after it failed, and pv_shred and pv_rekey then act as if nothing
 * had committed: the call returns no certificate, and the handle, its staged keys
 * dropped, cannot read the bucket mates until the vault is opened again. What holds all
 * the same is checked: after the open the shred is whole, its certificate is kept in the
 * ledger, every customer reads. */
static int commit_unsynced(pv_rc rc, const char *msg)
{
	return rc == PV_ERR_STORE && strstr(msg, "could not be synced to disk") != NULL;
}

struct kept {
	const struct run *r;
	char *text; /* the kept certificate naming exactly the victims (malloc'd) */
	unsigned found;
};

static int find_kept(void *ctx, const pv_certificate_info *c)
{
	struct kept *k = ctx;
	if (c->customers != k->r->nvictims)
		return 0;
	for (size_t i = 0; i < k->r->nvictims; i++) {
		char quoted[80];
		snprintf(quoted, sizeof quoted, "\"%s\"", k->r->victims[i]);
		if (!strstr(c->text, quoted))
			return 0;
	}
	k->found++;
	free(k->text);
	k->text = strdup(c->text);
	return 0;
}

/* The certificate the ledger keeps for the victims' shred (once, valid); malloc'd. */
static char *certificate_kept(struct run *r, pv_vault *v)
{
	struct kept k = { r, NULL, 0 };
	char pk[65], why[256];
	pv_rc rc = pv_certificates(v, NULL, find_kept, &k);
	if (rc)
		check_fail(r, "certificates: rc %d: %s", rc, pv_errmsg(v));
	if (k.found != 1)
		check_fail(r, "the ledger keeps %u certificates of the shred, not one", k.found);
	assert_int_equal(pv_vault_public_key(v, pk), PV_OK);
	if (pvt_certificate_verify(k.text, pk, why, sizeof why) != PV_OK)
		check_fail(r, "the kept certificate does not verify: %s", why);
	return pvt_keep(k.text);
}

/* The ledger holds a line for each victim naming the certificate's hash. */
static void check_ledger_shred(struct run *r, const char *cert)
{
	uint8_t h[32];
	char hex[65], needle[200];
	crypto_generichash(h, sizeof h, (const uint8_t *)cert, strlen(cert), NULL, 0);
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	char *text = pvt_read_file(r->ledger, NULL);
	if (!text)
		check_fail(r, "the shred committed but there is no ledger");
	for (size_t i = 0; i < r->nvictims; i++) {
		snprintf(needle, sizeof needle, "\"id\":\"%s\"", r->victims[i]);
		int found = 0;
		for (char *at = strstr(text, needle); at && !found; at = strstr(at + 1, needle)) {
			char *eol = strchr(at, '\n'), *c = strstr(at, hex);
			found = c && (!eol || c < eol);
		}
		if (!found)
			check_fail(r, "the ledger has no line for %s with the certificate",
				 r->victims[i]);
	}
	free(text);
}

/* Every customer whose data key a re-key re-wrapped (bucket generation above 0) has a
 * rewrap line for that generation in the ledger, so a restore of older data reads it. The
 * customers are read from the store as its DBA would (dba.h). */
static void check_ledger_rewraps(struct run *r)
{
	char *text = pvt_read_file(r->ledger, NULL), *rows = NULL;
	assert_int_equal(pvt_dba(&rows, r->dir, "SELECT id, bucket_gen FROM customers WHERE "
				 "bucket_gen > 0"), 0);
	for (char *id = rows, *end; (end = strchr(id, '\n')) != NULL; id = end + 1) {
		*end = '\0';
		char *bar = strchr(id, '|');
		assert_non_null(bar);
		*bar = '\0';
		long long g_no = strtoll(bar + 1, NULL, 10);
		char needle[200];
		snprintf(needle, sizeof needle, "\"rewrap\":\"%s\"", id);
		char gen[40];
		snprintf(gen, sizeof gen, "\"gen\":%lld,", g_no);
		int found = 0;
		for (char *at = text ? strstr(text, needle) : NULL; at && !found;
		     at = strstr(at + 1, needle)) {
			char *eol = strchr(at, '\n'), *g = strstr(at, gen);
			found = g && (!eol || g < eol);
		}
		if (!found)
			check_fail(r, "customer %s's data key is re-wrapped (generation %lld) with no "
				 "rewrap line for it in the ledger", id, g_no);
	}
	free(rows);
	free(text);
}

/* After the faulted run and an open: everything checked, then the operation run again. */
/* Exactly one root secret opens the vault: the new one if the rotation committed (the
 * call then succeeded, or said the rest is finished at the next open), else the old. 1
 * when it is the new one. */
static int check_root(struct run *r, pv_rc rc)
{
	pv_vault *old = NULL, *new = NULL;
	pv_rc with_old = pv_vault_open(r->dir, NULL, g_key, &old);
	pv_vault_close(old);
	pv_rc with_new = pv_vault_open(r->dir, NULL, g_new_key, &new);
	pv_vault_close(new);
	if ((with_old == PV_OK) == (with_new == PV_OK))
		check_fail(r, "the old root secret %s the vault and the new one %s it",
			   with_old ? "does not open" : "opens", with_new ? "does not open" : "opens");
	if (with_old == PV_OK && rc == PV_OK)
		check_fail(r, "the rotation said it succeeded but the old root secret opens the vault");
	if (with_new == PV_OK && rc != PV_OK && rc != PV_ERR_IO)
		check_fail(r, "the rotation committed but failed with rc %d", rc);
	r->key = with_new == PV_OK ? g_new_key : g_key;
	return with_new == PV_OK;
}

static void check_after(struct run *r, pv_rc rc, char *cert)
{
	int rotated = r->op == OP_REKEY_ROOT && check_root(r, rc);
	pv_vault *v = open_vault(r);
	check_keyring(r, v);
	check_audit(r, v);
	int gone = check_customers(r, v);
	if (r->op == OP_SHRED && gone && !cert && !r->unsynced)
		check_fail(r, "the customers were shredded but no certificate came back (rc %d)",
			 rc);
	if (r->op == OP_SHRED && !gone && cert)
		check_fail(r, "a certificate came back but the customers are there");
	if (r->op == OP_SHRED && gone) {
		const char *kept = certificate_kept(r, v);
		if (cert && strcmp(kept, cert) != 0)
			check_fail(r, "the ledger keeps another certificate than the one returned");
		check_ledger_shred(r, kept);
	}
	if (r->op == OP_REKEY_BUCKETS)
		check_ledger_rewraps(r);
	char *again = NULL;
	pv_rc rc2 = (r->op == OP_SHRED && gone) || rotated ? PV_OK : run_op(r, v, &again);
	if (rc2)
		check_fail(r, "run again: rc %d: %s", rc2, pv_errmsg(v));
	if (r->op == OP_SHRED && !gone) {
		assert_non_null(again);
		assert_int_equal(check_customers(r, v), 1);
		check_ledger_shred(r, again);
		if (strcmp(certificate_kept(r, v), again) != 0)
			check_fail(r, "run again: the ledger keeps another certificate");
	}
	pv_free(again);
	check_keyring(r, v);
	pvt_vclose(v);
	if (r->op == OP_REKEY_ROOT && !rotated) { /* run again: the new secret opens it */
		r->key = g_new_key;
		v = open_vault(r);
		check_keyring(r, v);
		pvt_vclose(v);
	}
}

static void run_setup(struct run *r)
{
	r->tmp = pvt_tempdir();
	r->dir = pvt_path(r->tmp, "vault");
	r->keyring = pvt_path(r->tmp, "vault.keyring");
	r->journal = pvt_path(r->tmp, "vault.keyring.journal");
	r->ledger = pvt_path(r->tmp, "vault.keyring.ledger");
}

static void run_teardown(struct run *r)
{
	pvt_release_all();
	pvt_rmtree(r->tmp);
	free(r->tmp);
	free(r->dir);
	free(r->keyring);
	free(r->journal);
	free(r->ledger);
}

/* One run with the fail_at-th call of kind failing; 1 if the fault was met. */
static int run_once(struct run *r, enum fault_kind kind, long fail_at, int sticky)
{
	r->key = NULL;
	snprintf(r->label, sizeof r->label, "%s, %s call %ld failing (%s)", op_names[r->op],
		 kind_names[kind], fail_at, sticky ? "ENOSPC from then on" : "EIO once");
	pvt_copy_vault_again(g_base, r->tmp);
	pv_vault *v = open_vault(r);
	char *cert = NULL;
	fault_arm(kind, fail_at, sticky);
	pv_rc rc = run_op(r, v, &cert);
	int hit = g_fault.hit;
	char msg[1024];
	snprintf(msg, sizeof msg, "%s", pv_errmsg(v));
	r->unsynced = commit_unsynced(rc, msg);
	g_unsynced += r->unsynced;
	if (setjmp(g_resume) == 0) {
		if (!hit && rc)
			check_fail(r, "failed with no fault met: rc %d: %s", rc, msg);
		/* the same handle reads them all once the fault is gone */
		if (!sticky && !(r->unsynced && r->op != OP_REKEY_DATA)) {
			fault_clear();
			if (check_customers(r, v) != (cert != NULL))
				check_fail(r, "the same handle reads the shredded customers as %s, "
					   "the certificate %s", cert ? "there" : "gone",
					   cert ? "came back" : "did not");
		}
		pvt_vclose(v); /* a full disk stays full while the vault closes */
		fault_clear();
		check_after(r, rc, cert);
	} else {
		fault_clear();
		pvt_release_all();
	}
	pv_free(cert);
	return hit;
}

/* Every call of every kind made to fail in turn, once and from then on. */
static void sweep(enum op op, const char *const *victims, size_t n)
{
	const char *s = getenv("PV_FAULTS_STRIDE");
	long stride = s && atol(s) > 0 ? atol(s) : 1;
	struct run r = { .op = op, .victims = victims, .nvictims = n };
	g_failures = g_unsynced = 0;
	g_sweeping = 1;
	run_setup(&r);
	for (int kind = F_WRITE; kind <= F_RENAME; kind++)
		for (int sticky = 0; sticky <= 1; sticky++) {
			long k = 1;
			while (run_once(&r, (enum fault_kind)kind, k, sticky))
				k += stride;
			print_message("%s%s: %ld %s calls failed in turn (%s)\n", op_names[op],
				      n > 1 ? " of many" : "",
				      (k - 1 + stride - 1) / stride, kind_names[kind],
				      sticky ? "ENOSPC from then on" : "EIO once");
		}
	run_teardown(&r);
	g_sweeping = 0;
	if (g_unsynced)
		print_message("%s%s: %u runs failed in the sync after the commit "
			      "(commit_unsynced)\n", op_names[op], n > 1 ? " of many" : "",
			      g_unsynced);
	if (g_failures)
		fail_msg("%s: %u runs failed their checks", op_names[op], g_failures);
}

/* ---- the operations ---- */

static void test_shred_one(void **state)
{
	(void)state;
	const char *ids[] = { g_ids[3] };
	sweep(OP_SHRED, ids, 1);
}

static void test_shred_many(void **state)
{
	(void)state;
	const char *ids[] = { g_ids[1], g_ids[7], g_ids[12], g_ids[30] };
	sweep(OP_SHRED, ids, 4);
}

static void test_rekey_buckets(void **state)
{
	(void)state;
	sweep(OP_REKEY_BUCKETS, NULL, 0);
}

static void test_rekey_root(void **state)
{
	(void)state;
	sweep(OP_REKEY_ROOT, NULL, 0);
}

static void test_rekey_data(void **state)
{
	(void)state;
	sweep(OP_REKEY_DATA, NULL, 0);
}

/* ---- the keyring's own files ---- */

/* A fresh copy of the pristine vault in r, open. */
static pv_vault *fresh_copy(struct run *r, const char *label)
{
	snprintf(r->label, sizeof r->label, "%s", label);
	pvt_copy_vault_again(g_base, r->tmp);
	return open_vault(r);
}

/* A shred commits only once its keyring journal is on disk: the journal's directory
 * entry too, or a power loss after the commit could take the journal away before the
 * slots are overwritten, leaving the bucket mates' data keys wrapped by keys nowhere.
 * The sync of the keyring's directory fails: the shred must not commit. */
static void test_journal_directory_synced_before_shred_commits(void **state)
{
	(void)state;
	const char *ids[] = { g_ids[5] };
	struct run r = { .op = OP_SHRED, .victims = ids, .nvictims = 1 };
	run_setup(&r);
	pv_vault *v = fresh_copy(&r, "shred, the keyring directory's sync failing");
	char *cert = NULL;
	fault_arm_on(F_SYNC, 1, 0, r.tmp);
	pv_rc rc = pv_shred(v, &ADMIN, ids, 1, &cert);
	fault_clear();
	assert_true(g_fault.hit);
	assert_int_not_equal(rc, PV_OK);
	assert_null(cert);
	assert_int_equal(check_customers(&r, v), 0);
	pvt_vclose(v);
	v = open_vault(&r);
	assert_int_equal(check_customers(&r, v), 0);
	check_keyring(&r, v);
	pvt_vclose(v);
	run_teardown(&r);
}

/* The same for a new root secret: KEYRING.next, the keyring under the new master, must
 * be on disk (its directory entry synced) before the store commits the new master; else
 * a power loss leaves a vault whose keyring no key opens. */
static void test_next_keyring_directory_synced_before_root_commits(void **state)
{
	(void)state;
	struct run r = { .op = OP_REKEY_DATA };
	run_setup(&r);
	char *new_path = pvt_path(r.tmp, "new.key");
	pv_key *new_key = NULL;
	pv_vault *v = fresh_copy(&r, "root rekey, the keyring directory's sync failing");
	assert_int_equal(pv_key_generate_file(new_path), PV_OK);
	assert_int_equal(pv_key_from_file(new_path, &new_key), PV_OK);
	fault_arm_on(F_SYNC, 1, 0, r.tmp);
	pv_rc rc = pv_vault_rekey_root(v, &ADMIN, new_key);
	fault_clear();
	assert_true(g_fault.hit);
	assert_int_not_equal(rc, PV_OK);
	pvt_vclose(v);
	v = open_vault(&r); /* the old root key still opens it */
	assert_int_equal(check_customers(&r, v), 0);
	check_keyring(&r, v);
	check_audit(&r, v);
	pvt_vclose(v);
	pv_vault *other = NULL;
	assert_int_equal(pv_vault_open(r.dir, NULL, new_key, &other), PV_ERR_BAD_KEY);
	pv_vault_close(other);
	pv_key_free(new_key);
	free(new_path);
	run_teardown(&r);
}

static size_t customer_with_mate(pv_vault *v, size_t *mate);

/* A shred commits, then the keyring's slots cannot be overwritten (the keyring file
 * refuses the write): the certificate comes back with the error, and the same handle
 * still reads the bucket mates, under the new keys its journal keeps. */
static void test_failed_overwrite_leaves_mates_readable(void **state)
{
	(void)state;
	struct run r = { .op = OP_SHRED };
	run_setup(&r);
	pv_vault *v = fresh_copy(&r, "shred, the keyring's overwrite failing");
	size_t mate, victim = customer_with_mate(v, &mate);
	const char *ids[] = { g_ids[victim] };
	r.victims = ids;
	r.nvictims = 1;
	for (int sticky = 0; sticky <= 1; sticky++) {
		char *cert = NULL;
		fault_arm_on(F_WRITE, 1, sticky, r.keyring);
		pv_rc rc = pv_shred(v, &ADMIN, ids, 1, &cert);
		fault_clear();
		assert_true(g_fault.hit);
		assert_rc_msg(v, rc, PV_ERR_IO, "the keyring is not up to date");
		assert_non_null(cert);
		pv_free(cert);
		assert_int_equal(check_customers(&r, v), 1); /* the mate reads on this handle */
		pvt_vclose(v);
		v = open_vault(&r);
		check_keyring(&r, v);
		assert_int_equal(check_customers(&r, v), 1);
		pvt_vclose(v);
		v = fresh_copy(&r, "shred, the keyring's overwrite failing (disk full)");
	}
	pvt_vclose(v);
	run_teardown(&r);
}

/* A customer with a bucket mate (index into g_ids), and the mate in *mate. */
static size_t customer_with_mate(pv_vault *v, size_t *mate)
{
	for (size_t i = 0; i < g_n; i++)
		for (size_t j = 0; j < g_n; j++)
			if (i != j && pv_bucket_of(v, g_ids[i]) == pv_bucket_of(v, g_ids[j])) {
				*mate = j;
				return i;
			}
	fail_msg("no two customers share a bucket");
	return 0;
}

/* A keyring journal of an earlier change, brought back after its slots moved on (a
 * directory entry a power loss brings back, or a copy put there by someone who may
 * write beside the keyring), must not roll a slot back to an older key: the bucket's
 * customers would be wrapped by a key the keyring no longer holds. */
static void test_stale_journal_never_rolls_a_slot_back(void **state)
{
	(void)state;
	struct run r = { .op = OP_REKEY_BUCKETS };
	run_setup(&r);
	pv_vault *v = fresh_copy(&r, "a stale keyring journal put back");
	size_t mate, victim = customer_with_mate(v, &mate);
	const char *ids[] = { g_ids[victim] };
	char *cert = NULL, *kept = pvt_path(r.tmp, "journal.kept");
	fault_arm_on(F_WRITE, 1, 0, r.keyring); /* the slots' overwrite fails: the journal stays */
	pv_rc rc = pv_shred(v, &ADMIN, ids, 1, &cert);
	fault_clear();
	assert_true(g_fault.hit);
	assert_int_equal(rc, PV_ERR_IO);
	assert_non_null(cert);
	pv_free(cert);
	assert_int_equal(pvt_run(NULL, "cp '%s' '%s'", r.journal, kept), 0);
	pvt_vclose(v);
	v = open_vault(&r); /* the journal is applied and removed */
	check_keyring(&r, v);
	pv_rekey_result res;
	assert_ok(v, pv_rekey(v, &ADMIN, 0, &res)); /* every slot moves on a generation */
	pvt_vclose(v);
	assert_int_equal(pvt_run(NULL, "cp '%s' '%s'", kept, r.journal), 0);
	r.victims = ids;
	r.nvictims = 1;
	v = open_vault(&r);
	check_keyring(&r, v);
	assert_int_equal(check_customers(&r, v), 1);
	pvt_vclose(v);
	free(kept);
	run_teardown(&r);
}

/* The same with a journal of a shred that never committed (its commit failed), put back
 * after another shred of that bucket committed the same generation under another key. */
static void test_journal_of_a_failed_shred_never_replaces_a_key(void **state)
{
	(void)state;
	struct run r = { .op = OP_SHRED };
	run_setup(&r);
	pv_vault *v = fresh_copy(&r, "the journal of a failed shred put back");
	size_t mate, victim = customer_with_mate(v, &mate);
	const char *ids[] = { g_ids[victim] };
	char *cert = NULL, *kept = pvt_path(r.tmp, "journal.kept"), *wal = pvt_path(r.dir,
										   "vault.db-wal");
	/* the commit fails after the journal is written: SQLite's log cannot be written, or
	 * the connection to PostgreSQL is lost (the commit never reaches the server) */
	if (pvt_dba_pg(r.dir)) {
		fault_arm_on(F_SEND, 1, 0, NULL);
		g_fault.after = r.journal;
	} else {
		fault_arm_on(F_WRITE, 1, 0, wal);
	}
	pv_rc rc = pv_shred(v, &ADMIN, ids, 1, &cert);
	fault_clear();
	assert_true(g_fault.hit);
	assert_int_not_equal(rc, PV_OK);
	assert_null(cert);
	assert_int_equal(pvt_run(NULL, "cp '%s' '%s'", r.journal, kept), 0);
	pvt_vclose(v);
	v = open_vault(&r); /* the journal is dropped */
	assert_ok(v, pv_shred(v, &ADMIN, ids, 1, &cert));
	pv_free(cert);
	pvt_vclose(v);
	assert_int_equal(pvt_run(NULL, "cp '%s' '%s'", kept, r.journal), 0);
	r.victims = ids;
	r.nvictims = 1;
	v = open_vault(&r);
	check_keyring(&r, v);
	assert_int_equal(check_customers(&r, v), 1);
	pvt_vclose(v);
	free(kept);
	free(wal);
	run_teardown(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shred_one),
		cmocka_unit_test(test_shred_many),
		cmocka_unit_test(test_rekey_buckets),
		cmocka_unit_test(test_rekey_data),
		cmocka_unit_test(test_rekey_root),
		cmocka_unit_test(test_failed_overwrite_leaves_mates_readable),
		cmocka_unit_test(test_journal_directory_synced_before_shred_commits),
		cmocka_unit_test(test_next_keyring_directory_synced_before_root_commits),
		cmocka_unit_test(test_stale_journal_never_rolls_a_slot_back),
		cmocka_unit_test(test_journal_of_a_failed_shred_never_replaces_a_key),
	};
	/* The shim makes the faults, not the disk: a memory file system spares the thousands
	 * of real syncs a sweep would wait for. */
	if (access("/dev/shm", W_OK | X_OK) == 0)
		setenv("TMPDIR", "/dev/shm", 1);
	if (getenv("PV_FAULTS_ONLY")) /* a test name or pattern, to run one by hand */
		cmocka_set_test_filter(getenv("PV_FAULTS_ONLY"));
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
