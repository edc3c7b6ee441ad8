/* SPDX-License-Identifier: Apache-2.0 */
/* test_rekey.c: key rotation. A bucket rekey gives every keyring slot its next
 * generation and re-wraps every data key (customers read back unchanged; the keyring as
 * it was before no longer opens them; the ledger gets one rewrap line per customer, and a
 * backup made before restores under the live keyring); a data rekey re-encrypts every
 * customer under a new data key (ciphertext and data key version change, lookups by blind
 * index still work). Both are interrupted after one batch and resumed; a role without
 * 'rekey' is refused; a shred after a rekey works.
 *
 * The sample vault has 300 customers and a 1024-slot keyring, so a bucket rekey goes in
 * four batches of 256 slots and a data rekey in four of 75 customers (rekey.c). The test
 * reads the keyring file, and the store as its DBA would (dba.h), directly.
 *
 * Real crashes too: a rekey of each kind run in a child process is killed with SIGKILL
 * inside a batch (its transaction open) once an earlier batch has committed, as the
 * committed progress record shows; the vault then reads whole and the rekey resumes. */
#include "dba.h"
#include "testutil.h"

#include <jansson.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pivault.h"
#include "store/store.h"
#include "vault.h"

#define NCUST 300
#define SLOTS 1024
#define KR_HEADER 64
#define KR_SLOT 80

static const pv_access ADMIN = { "admin", NULL, 0 };
static const pv_access READ_ALL = { "admin", "all", 1 };
static const pv_access CLERK = { "clerk", "service", 0 };

struct fx {
	char *tmp, *dir, *key, *keyring, *ledger;
	char *csv_text;
	struct pvt_csv csv;
	pv_vault *v;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->tmp = pvt_tempdir();
	f->dir = pvt_path(f->tmp, "vault");
	f->key = pvt_path(f->tmp, "root.key");
	f->keyring = pvt_path(f->tmp, "vault.keyring");
	f->ledger = pvt_path(f->tmp, "vault.keyring.ledger");
	f->v = pvt_sample_vault(f->dir, f->key, NCUST, 7, &f->csv_text);
	pvt_track(f->v);
	assert_int_equal(pvt_csv_parse(f->csv_text, &f->csv), 0);
	assert_int_equal(f->csv.nrows, NCUST + 1);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	pvt_release_all();
	pvt_rmtree(f->tmp);
	pvt_csv_free(&f->csv);
	free(f->csv_text);
	free(f->tmp);
	free(f->dir);
	free(f->key);
	free(f->keyring);
	free(f->ledger);
	free(f);
	return 0;
}

static const char *id_of(struct fx *f, size_t r)
{
	const char *id = pvt_csv_get(&f->csv, r, "customer_id");
	assert_non_null(id);
	return id;
}

/* ---- customers as read ---- */

/* Every field of customer id as "name=value\n" lines (malloc'd), or NULL (rc in *rc)
 * when it does not read. */
static char *customer_text(pv_vault *v, const char *id, pv_rc *rc)
{
	pv_record *r = NULL;
	*rc = pv_get(v, &READ_ALL, id, &r);
	if (*rc)
		return NULL;
	size_t cap = 64, n = 0;
	for (size_t i = 0; i < pv_record_field_count(r); i++)
		cap += strlen(pv_record_field_name(r, i)) + strlen(pv_record_field_value(r, i)) + 2;
	char *s = malloc(cap);
	assert_non_null(s);
	for (size_t i = 0; i < pv_record_field_count(r); i++)
		n += (size_t)snprintf(s + n, cap - n, "%s=%s\n", pv_record_field_name(r, i),
				      pv_record_field_value(r, i));
	pv_record_free(r);
	return s;
}

/* Every customer's text, in CSV order (kept until teardown). */
static char **snapshot(struct fx *f, pv_vault *v)
{
	char **all = pvt_keep(calloc(f->csv.nrows, sizeof *all));
	assert_non_null(all);
	for (size_t r = 1; r < f->csv.nrows; r++) {
		pv_rc rc;
		all[r] = pvt_keep(customer_text(v, id_of(f, r), &rc));
		if (!all[r])
			fail_msg("customer %s does not read: %s", id_of(f, r), pv_errmsg(v));
	}
	return all;
}

/* Every customer reads back exactly as in before. */
static void assert_unchanged(struct fx *f, pv_vault *v, char **before)
{
	for (size_t r = 1; r < f->csv.nrows; r++) {
		pv_rc rc;
		char *now = customer_text(v, id_of(f, r), &rc);
		if (!now)
			fail_msg("customer %s does not read: rc %d: %s", id_of(f, r), rc,
				 pv_errmsg(v));
		int same = strcmp(now, before[r]) == 0;
		free(now);
		if (!same)
			fail_msg("customer %s reads back different values", id_of(f, r));
	}
}

/* ---- the keyring, the ledger and the database, read directly ---- */

/* The generation of every slot (kept). */
static uint32_t *generations(struct fx *f)
{
	size_t len = 0;
	uint8_t *kr = (uint8_t *)pvt_read_file(f->keyring, &len);
	assert_non_null(kr);
	assert_int_equal(len, KR_HEADER + (size_t)SLOTS * KR_SLOT);
	uint32_t *g = pvt_keep(calloc(SLOTS, sizeof *g));
	assert_non_null(g);
	for (size_t i = 0; i < SLOTS; i++) {
		const uint8_t *p = kr + KR_HEADER + i * KR_SLOT;
		g[i] = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		       (uint32_t)p[3] << 24;
	}
	free(kr);
	return g;
}

/* Slots [lo, hi) are exactly `plus` generations after before, the others unchanged. */
static void assert_generations(struct fx *f, const uint32_t *before, uint32_t lo, uint32_t hi,
			       uint32_t plus)
{
	uint32_t *now = generations(f);
	for (uint32_t i = 0; i < SLOTS; i++) {
		uint32_t want = before[i] + (i >= lo && i < hi ? plus : 0);
		if (now[i] != want)
			fail_msg("slot %u: generation %u, want %u", i, now[i], want);
	}
}

/* Number of rewrap lines in the ledger for each CSV customer (kept); *other counts lines
 * of any other kind. */
static unsigned *ledger_rewraps(struct fx *f, size_t *other)
{
	unsigned *n = pvt_keep(calloc(f->csv.nrows, sizeof *n));
	assert_non_null(n);
	*other = 0;
	json_t *lines = pvt_ledger_read(f->ledger, NULL), *o;
	size_t k;
	json_array_foreach(lines, k, o) {
		const char *id = json_string_value(json_object_get(o, "rewrap"));
		const char *hex = json_string_value(json_object_get(o, "wdek"));
		size_t r = 1;
		while (id && r < f->csv.nrows && strcmp(id_of(f, r), id) != 0)
			r++;
		if (id && r < f->csv.nrows && hex && strlen(hex) == 2 * (PV_KEY_BYTES + PV_SEAL_OVERHEAD) &&
		    json_is_integer(json_object_get(o, "bucket")) &&
		    json_is_integer(json_object_get(o, "gen")))
			n[r]++;
		else
			++*other;
	}
	json_decref(lines);
	return n;
}

struct raw {
	uint32_t gen, dekv;
	char *wdek, *g_basic, *g_financial; /* hex, kept */
};

/* Customer id's row as stored, read as the DBA would (dba.h). */
static struct raw raw_customer(struct fx *f, const char *id)
{
	struct raw c = { 0 };
	char *row = NULL;
	assert_int_equal(pvt_dba(&row, f->dir, "SELECT bucket_gen, dek_version, hex(wdek), "
				 "hex(g_basic), hex(g_financial) FROM customers WHERE id = '%s'",
				 id), 0);
	char *col[5], *at = row;
	for (int i = 0; i < 5; i++) {
		col[i] = at;
		at += strcspn(at, "|\n");
		assert_true(*at != '\0');
		*at++ = '\0';
	}
	c.gen = (uint32_t)strtoll(col[0], NULL, 10);
	c.dekv = (uint32_t)strtoll(col[1], NULL, 10);
	c.wdek = pvt_keep(strdup(col[2]));
	c.g_basic = pvt_keep(strdup(col[3]));
	c.g_financial = pvt_keep(strdup(col[4]));
	assert_true(c.wdek && c.g_basic && c.g_financial);
	free(row);
	return c;
}

/* count(*) of customers with the data key version given. */
static long long count_dek_version(struct fx *f, uint32_t version)
{
	char *v = pvt_dba_value(f->dir, "SELECT count(*) FROM customers WHERE dek_version = %u",
				version);
	long long n = strtoll(v, NULL, 10);
	free(v);
	return n;
}

/* 1 when the vault holds a rekey progress record. */
static int has_progress(pv_vault *v)
{
	uint8_t *val = NULL;
	int st = pv_store_meta_get(v->store, "rekey_progress", &val, NULL);
	assert_true(st >= 0);
	free(val);
	return st == 0;
}

static void assert_audit_verifies(pv_vault *v)
{
	char *report = NULL;
	pv_rc rc = pv_audit_verify(v, NULL, NULL, &report);
	if (rc)
		fail_msg("audit log does not verify: %s", report ? report : pv_errmsg(v));
	pv_free(report);
}

static pv_vault *reopen(struct fx *f, pv_vault *v)
{
	pvt_vclose(v);
	return pvt_open_root(f->dir, NULL, f->key);
}

/* ---- bucket rekey ---- */

static void test_bucket_rekey(void **state)
{
	struct fx *f = *state;
	pv_vault *v = f->v;
	char **before = snapshot(f, v);
	uint32_t *gens = generations(f);
	char *old_keyring = pvt_keep(pvt_path(f->tmp, "old.keyring"));
	assert_int_equal(pvt_run(NULL, "cp '%s' '%s'", f->keyring, old_keyring), 0);

	pv_rekey_result res;
	assert_ok(v, pv_rekey(v, &ADMIN, 0, &res));
	assert_int_equal(res.buckets, SLOTS);
	assert_int_equal(res.customers, NCUST);
	assert_int_equal(res.resumed, 0);
	assert_true(res.seconds >= 0);
	assert_false(has_progress(v));
	assert_unchanged(f, v, before);
	assert_generations(f, gens, 0, SLOTS, 1);
	assert_audit_verifies(v);

	/* after closing, too; and the keyring as it was before is refused at open: the keyring
	 * journal holds the rekey's marker, never its keys */
	v = reopen(f, v);
	assert_unchanged(f, v, before);
	pvt_vclose(v);
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(f->key, &key), PV_OK);
	pv_vault *old = NULL;
	assert_int_equal(pv_vault_open(f->dir, old_keyring, key, &old), PV_ERR_BAD_KEY);
	assert_non_null(strstr(pv_errmsg(old), "lacks the bucket rekey"));
	pv_vault_close(old);
	pv_key_free(key);
	/* a DBA who removes the markers gets it opened, and it reads no customer */
	assert_int_equal(pvt_dba(NULL, f->dir, "DELETE FROM keyring_journal"), 0);
	old = pvt_open_root(f->dir, old_keyring, f->key);
	for (size_t r = 1; r < f->csv.nrows; r++) {
		pv_rc rc;
		char *text = customer_text(old, id_of(f, r), &rc);
		if (text)
			fail_msg("customer %s still reads with the keyring from before", id_of(f, r));
		assert_int_equal(rc, PV_ERR_CORRUPT);
	}
	pvt_vclose(old);
}

static void test_bucket_rekey_interrupted(void **state)
{
	struct fx *f = *state;
	pv_vault *v = f->v;
	char **before = snapshot(f, v);
	uint32_t *gens = generations(f);

	pv_rekey_result res;
	assert_int_equal(pv_test_control(v, PV_TEST_REKEY_STOP, 1, NULL), PV_OK);
	assert_rc_msg(v, pv_rekey(v, &ADMIN, 0, &res), PV_ERR_IO, "interrupted (test)");
	assert_int_equal(res.buckets, SLOTS / 4);
	assert_true(has_progress(v));
	assert_generations(f, gens, 0, SLOTS / 4, 1);

	/* as after a crash: closed and opened again, every customer reads */
	v = reopen(f, v);
	assert_true(has_progress(v));
	assert_unchanged(f, v, before);

	/* a data rekey is refused while the bucket rekey is pending */
	assert_rc_msg(v, pv_rekey(v, &ADMIN, 1, &res), PV_ERR_USAGE, "bucket");

	assert_ok(v, pv_rekey(v, &ADMIN, 0, &res));
	assert_int_equal(res.resumed, 1);
	assert_int_equal(res.buckets, SLOTS - SLOTS / 4);
	assert_false(has_progress(v));
	assert_unchanged(f, v, before);
	assert_generations(f, gens, 0, SLOTS, 1);
	assert_audit_verifies(v);

	/* one rewrap line per customer over the two runs */
	size_t other;
	unsigned *lines = ledger_rewraps(f, &other);
	assert_int_equal(other, 0);
	for (size_t r = 1; r < f->csv.nrows; r++)
		if (lines[r] != 1)
			fail_msg("customer %s has %u rewrap lines", id_of(f, r), lines[r]);
}

/* ---- data rekey ---- */

struct found {
	const char *want;
	int hit;
};

static int on_found(void *ctx, const char *id)
{
	struct found *fd = ctx;
	fd->hit |= strcmp(id, fd->want) == 0;
	return 0;
}

/* Customer row r is found by its phone number. */
static void assert_found_by_phone(struct fx *f, pv_vault *v, size_t r)
{
	const char *phone = pvt_csv_get(&f->csv, r, "phone");
	assert_non_null(phone);
	assert_true(*phone);
	struct found fd = { id_of(f, r), 0 };
	assert_ok(v, pv_find(v, &READ_ALL, "phone", phone, on_found, &fd));
	if (!fd.hit)
		fail_msg("customer %s not found by phone after the rekey", id_of(f, r));
}

static void test_data_rekey(void **state)
{
	struct fx *f = *state;
	pv_vault *v = f->v;
	char **before = snapshot(f, v);
	uint32_t *gens = generations(f);
	size_t pick = 1;
	while (pick < f->csv.nrows && !*pvt_csv_get(&f->csv, pick, "phone"))
		pick++;
	assert_true(pick < f->csv.nrows);
	struct raw old = raw_customer(f, id_of(f, pick));

	pv_rekey_result res;
	assert_ok(v, pv_rekey(v, &ADMIN, 1, &res));
	assert_int_equal(res.customers, NCUST);
	assert_int_equal(res.buckets, 0);
	assert_int_equal(res.resumed, 0);
	assert_false(has_progress(v));
	assert_unchanged(f, v, before);
	assert_generations(f, gens, 0, 0, 0); /* bucket keys untouched */

	struct raw now = raw_customer(f, id_of(f, pick));
	assert_int_equal(now.dekv, old.dekv + 1);
	assert_int_equal(now.gen, old.gen);
	assert_string_not_equal(now.wdek, old.wdek);
	assert_string_not_equal(now.g_basic, old.g_basic);
	assert_string_not_equal(now.g_financial, old.g_financial);
	assert_int_equal(count_dek_version(f, old.dekv + 1), NCUST);
	assert_found_by_phone(f, v, pick);
	assert_audit_verifies(v);

	/* a data rekey writes no ledger line */
	size_t other;
	unsigned *lines = ledger_rewraps(f, &other);
	for (size_t r = 1; r < f->csv.nrows; r++)
		assert_int_equal(lines[r], 0);

	v = reopen(f, v);
	assert_unchanged(f, v, before);
}

static void test_data_rekey_interrupted(void **state)
{
	struct fx *f = *state;
	pv_vault *v = f->v;
	char **before = snapshot(f, v);
	uint32_t version = raw_customer(f, id_of(f, 1)).dekv;

	pv_rekey_result res;
	assert_int_equal(pv_test_control(v, PV_TEST_REKEY_STOP, 1, NULL), PV_OK);
	assert_rc_msg(v, pv_rekey(v, &ADMIN, 1, &res), PV_ERR_IO, "interrupted (test)");
	assert_int_equal(res.customers, NCUST / 4);
	assert_int_equal(count_dek_version(f, version + 1), NCUST / 4);
	assert_true(has_progress(v));

	v = reopen(f, v);
	assert_unchanged(f, v, before);
	assert_rc_msg(v, pv_rekey(v, &ADMIN, 0, &res), PV_ERR_USAGE, "data");
	assert_ok(v, pv_rekey(v, &ADMIN, 1, &res));
	assert_int_equal(res.resumed, 1);
	assert_int_equal(res.customers, NCUST - NCUST / 4);
	assert_false(has_progress(v));
	/* every customer re-encrypted exactly once */
	assert_int_equal(count_dek_version(f, version + 1), NCUST);
	assert_unchanged(f, v, before);
	assert_found_by_phone(f, v, 2);
	assert_audit_verifies(v);
}

/* ---- real crashes: SIGKILL inside a batch ---- */

/* The rekey progress record as committed, read as another process sees it (the DBA:
 * dba.h): its customer count ("done"), or -1 when there is none. kind (may be NULL) must
 * be its kind. */
static long long committed_done(struct fx *f, const char *kind)
{
	char *hex = pvt_dba_value(f->dir, "SELECT hex(v) FROM meta WHERE k = 'rekey_progress'");
	long long done = -1;
	if (hex[0]) {
		size_t n = 0, cap = strlen(hex) / 2 + 1;
		char *text = malloc(cap);
		assert_non_null(text);
		assert_int_equal(sodium_hex2bin((unsigned char *)text, cap, hex, strlen(hex), NULL,
						&n, NULL), 0);
		json_error_t je;
		json_t *o = json_loadb(text, n, 0, &je);
		free(text);
		assert_non_null(o);
		assert_true(json_is_integer(json_object_get(o, "done")));
		done = json_integer_value(json_object_get(o, "done"));
		if (kind)
			assert_string_equal(json_string_value(json_object_get(o, "kind")), kind);
		json_decref(o);
	}
	free(hex);
	return done;
}

/* The child's progress reports: each customer's count to the test, then wait for its go. */
struct lockstep {
	pv_vault *v;
	int report, go;
};

static void report_and_wait(void *ctx, const char *stage, uint64_t done, uint64_t total)
{
	struct lockstep *k = ctx;
	(void)stage;
	(void)total;
	k->v->progress_last = 0; /* no throttling of reports: the test sees every customer */
	if (write(k->report, &done, sizeof done) != (ssize_t)sizeof done)
		_exit(3);
	char go;
	if (read(k->go, &go, 1) != 1)
		_exit(4);
}

/* A child process that opens the vault on its own and rekeys it, reporting each customer
 * on *report and going on at each byte on *go. */
static pid_t start_rekey(struct fx *f, pv_rekey_kind kind, int *report, int *go)
{
	int rp[2], gp[2];
	assert_int_equal(pipe(rp), 0);
	assert_int_equal(pipe(gp), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(rp[0]);
		close(gp[1]);
		pv_key *key = NULL;
		pv_vault *v = NULL;
		if (pv_key_from_file(f->key, &key) != PV_OK ||
		    pv_vault_open(f->dir, NULL, key, &v) != PV_OK)
			_exit(2);
		pv_key_free(key);
		struct lockstep k = { v, rp[1], gp[0] };
		pv_vault_on_progress(v, report_and_wait, &k);
		pv_rekey_result res;
		_exit(pv_rekey(v, &ADMIN, kind, &res) == PV_OK ? 0 : 1);
	}
	close(rp[1]);
	close(gp[0]);
	*report = rp[0];
	*go = gp[1];
	return pid;
}

/* Rekey in a child and SIGKILL it inside a batch (a customer of it done, its transaction
 * open) once an earlier batch has committed. Returns the customers the committed batches
 * did, checked to be some but not all. The test's own handle is closed first. */
static long long kill_rekey_mid_batch(struct fx *f, pv_rekey_kind rekey)
{
	pvt_vclose(f->v);
	f->v = NULL;
	const char *kind = rekey == PV_REKEY_DATA ? "data" : "buckets";
	assert_int_equal(committed_done(f, NULL), -1);
	int report, go, status = 0;
	pid_t pid = start_rekey(f, rekey, &report, &go);
	long long committed = -1;
	uint64_t done = 0;
	unsigned reports = 0;
	for (;;) {
		if (read(report, &done, sizeof done) != (ssize_t)sizeof done) {
			assert_int_equal(waitpid(pid, &status, 0), pid);
			fail_msg("the %s rekey ended (status %d) before a batch committed and the "
				 "next was under way (%u reports)", kind, status, reports);
		}
		reports++;
		committed = committed_done(f, kind);
		if (committed > 0 && done > (uint64_t)committed)
			break; /* the child waits inside the next batch */
		assert_int_equal(write(go, "g", 1), 1);
	}
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(report);
	close(go);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		fail_msg("the %s rekey was not killed (status %d)", kind, status);
	/* what the kill left: the batches committed before, not the one under way */
	assert_int_equal(committed_done(f, kind), committed);
	assert_true(committed > 0 && committed < NCUST);
	print_message("%s rekey killed with %llu of %d customers done, %lld committed\n", kind,
		      (unsigned long long)done, NCUST, committed);
	return committed;
}

static void test_bucket_rekey_killed(void **state)
{
	struct fx *f = *state;
	char **before = snapshot(f, f->v);
	uint32_t *gens = generations(f);
	long long committed = kill_rekey_mid_batch(f, PV_REKEY_BUCKETS);
	/* the first batch's slots have their next key, the others their old one */
	assert_generations(f, gens, 0, SLOTS / 4, 1);

	pv_vault *v = f->v = pvt_open_root(f->dir, NULL, f->key);
	assert_true(has_progress(v));
	assert_unchanged(f, v, before);
	pv_rekey_result res;
	assert_ok(v, pv_rekey(v, &ADMIN, PV_REKEY_BUCKETS, &res));
	assert_int_equal(res.resumed, 1);
	assert_int_equal(res.customers, NCUST - committed);
	assert_int_equal(res.buckets, SLOTS - SLOTS / 4);
	assert_false(has_progress(v));
	assert_generations(f, gens, 0, SLOTS, 1);
	assert_unchanged(f, v, before);
	assert_audit_verifies(v);
	/* one rewrap line per customer: none from the batch the kill cut short */
	size_t other;
	unsigned *lines = ledger_rewraps(f, &other);
	assert_int_equal(other, 0);
	for (size_t r = 1; r < f->csv.nrows; r++)
		if (lines[r] != 1)
			fail_msg("customer %s has %u rewrap lines", id_of(f, r), lines[r]);
	/* and it reads after a fresh open */
	v = f->v = reopen(f, v);
	assert_unchanged(f, v, before);
}

static void test_data_rekey_killed(void **state)
{
	struct fx *f = *state;
	char **before = snapshot(f, f->v);
	uint32_t version = raw_customer(f, id_of(f, 1)).dekv;
	long long committed = kill_rekey_mid_batch(f, PV_REKEY_DATA);
	assert_int_equal(count_dek_version(f, version + 1), committed);

	pv_vault *v = f->v = pvt_open_root(f->dir, NULL, f->key);
	assert_true(has_progress(v));
	assert_unchanged(f, v, before);
	pv_rekey_result res;
	assert_ok(v, pv_rekey(v, &ADMIN, PV_REKEY_DATA, &res));
	assert_int_equal(res.resumed, 1);
	assert_int_equal(res.customers, NCUST - committed);
	assert_false(has_progress(v));
	/* every customer re-encrypted exactly once */
	assert_int_equal(count_dek_version(f, version + 1), NCUST);
	assert_unchanged(f, v, before);
	assert_found_by_phone(f, v, 2);
	assert_audit_verifies(v);
	v = f->v = reopen(f, v);
	assert_unchanged(f, v, before);
}

/* ---- permission ---- */

static void test_rekey_denied(void **state)
{
	struct fx *f = *state;
	pv_vault *v = f->v;
	uint32_t *gens = generations(f);
	uint32_t version = raw_customer(f, id_of(f, 1)).dekv;
	pv_rekey_result res;
	assert_int_equal(pv_rekey(v, &CLERK, 0, &res), PV_ERR_DENIED);
	assert_int_equal(pv_rekey(v, &CLERK, 1, &res), PV_ERR_DENIED);
	assert_generations(f, gens, 0, 0, 0);
	assert_int_equal(count_dek_version(f, version), NCUST);
	assert_false(has_progress(v));
	assert_audit_verifies(v);
}

/* ---- shred and restore after a rekey ---- */

static void test_shred_and_restore_after_rekey(void **state)
{
	struct fx *f = *state;
	pv_vault *v = f->v;
	char **before = snapshot(f, v);
	char *backup = pvt_keep(pvt_path(f->tmp, "before.backup"));
	char *summary = NULL;
	assert_ok(v, pv_backup_create(v, &ADMIN, backup, &summary));
	pv_free(summary);

	pv_rekey_result res;
	assert_ok(v, pv_rekey(v, &ADMIN, 0, &res));
	size_t other;
	unsigned *lines = ledger_rewraps(f, &other);
	assert_int_equal(other, 0);
	for (size_t r = 1; r < f->csv.nrows; r++)
		if (lines[r] != 1)
			fail_msg("customer %s has %u rewrap lines", id_of(f, r), lines[r]);

	/* the backup made before the rekey restores under the live keyring */
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(f->key, &key), PV_OK);
	char *restored = pvt_keep(pvt_path(f->tmp, "restored"));
	pv_restore_result rr;
	char why[512];
	pv_rc rc = pvt_restore(backup, restored, f->keyring, key, &rr, why, sizeof why);
	pv_key_free(key);
	if (rc)
		fail_msg("restore: %s", why);
	assert_int_equal(rr.customers, NCUST);
	assert_int_equal(rr.rewrapped, NCUST);
	pv_vault *rv = pvt_open_root(restored, f->keyring, f->key);
	assert_unchanged(f, rv, before);
	pvt_vclose(rv);

	/* a shred after the rekey: the customer is gone, everyone else reads */
	const char *victim = id_of(f, 5);
	char *cert = NULL;
	assert_ok(v, pv_shred(v, &ADMIN, &victim, 1, &cert));
	assert_non_null(cert);
	pv_free(cert);
	for (size_t r = 1; r < f->csv.nrows; r++) {
		pv_rc grc;
		char *text = customer_text(v, id_of(f, r), &grc);
		if (r == 5) {
			assert_null(text);
			assert_int_equal(grc, PV_ERR_NOT_FOUND);
		} else if (!text || strcmp(text, before[r]) != 0) {
			fail_msg("customer %s does not read back after the shred", id_of(f, r));
		}
		free(text);
	}
	/* and a second rekey after the shred */
	assert_ok(v, pv_rekey(v, &ADMIN, 0, &res));
	assert_int_equal(res.customers, NCUST - 1);
	assert_audit_verifies(v);
}

int main(void)
{
	unsetenv("PIVAULT_VAULT");
	unsetenv("PIVAULT_KEY_FILE");
	unsetenv("PIVAULT_KEYRING");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bucket_rekey, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bucket_rekey_interrupted, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_data_rekey, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_data_rekey_interrupted, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bucket_rekey_killed, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_data_rekey_killed, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rekey_denied, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_shred_and_restore_after_rekey, fx_setup,
						fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
