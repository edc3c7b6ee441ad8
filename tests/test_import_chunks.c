/* SPDX-License-Identifier: Apache-2.0 */
/* test_import_chunks.c: a long import commits in chunks, so that readers (whose audit
 * entries are writes) and backups get in while it runs, yet nobody ever sees part of it:
 * the customer count, reads by id and finds by an indexed field show nothing of it until
 * it ends. An import killed half-way (SIGKILL, with chunks committed) leaves nothing a
 * read can see, and the next import removes what it left, with an audit entry; the killed
 * file then imports whole. Keys cannot change while an import runs: a shred waits for it
 * (refused as busy when its wait runs out first). The import runs in a child process, as
 * another pivault process would. */
#define _DEFAULT_SOURCE
#include "dba.h"
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pivault.h"
#include "store/store.h"

#define BASE 20          /* customers in the vault before the import */
#define BIG 60000u       /* the long import: several seconds in a debug build */
#define BIG_FIRST 1001u  /* its first customer: C00001001 */

static const pv_access ADMIN = { "admin", "all", 0 };

struct fx {
	char *base, *dir, *key, *csv;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	f->base = pvt_tempdir();
	f->dir = pvt_path(f->base, "vault");
	f->key = pvt_path(f->base, "root.key");
	f->csv = pvt_path(f->base, "big.csv");
	pv_vault_close(pvt_sample_vault(f->dir, f->key, BASE, 51, NULL));
	assert_int_equal(pvt_run(NULL, "'%s' -n %u --start %u --seed 52 --canonical -o '%s'",
				 pvt_program("pvgen"), BIG, BIG_FIRST, f->csv), 0);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	pvt_release_all();
	pv_set_wait(PV_WAIT_DEFAULT, NULL, NULL);
	pvt_rmtree(f->base);
	free(f->base);
	free(f->dir);
	free(f->key);
	free(f->csv);
	free(f);
	return 0;
}

/* The rows of customers as stored, an unfinished import's included (as the DBA sees the
 * store: dba.h). */
static long long raw_rows(const struct fx *f)
{
	char *v = pvt_dba_value(f->dir, "SELECT count(*) FROM customers");
	long long n = strtoll(v, NULL, 10);
	free(v);
	return n;
}

/* 1 when the store holds the customers' bucket index. A bulk import on SQLite drops it and
 * builds it again at its end; PostgreSQL keeps it throughout (a DROP INDEX there would
 * lock readers out of customers until the chunk commits: postgresql/README.md). */
static int has_bucket_index(const struct fx *f)
{
	char *v = pvt_dba_pg(f->dir)
		? pvt_dba_value(f->dir, "SELECT count(*) FROM pg_indexes WHERE schemaname = "
				"current_schema() AND indexname = 'customers_bucket'")
		: pvt_dba_value(f->dir, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' "
				"AND name = 'customers_bucket'");
	int found = (int)strtol(v, NULL, 10);
	free(v);
	assert_true(found == 0 || found == 1);
	return found;
}

/* What has_bucket_index says while a bulk import is under way or was killed. */
static int bucket_index_during_import(const struct fx *f)
{
	return pvt_dba_pg(f->dir);
}

/* Start the import of path in a child process; returns its pid. With hold, the import
 * waits after its first chunk until a file exists there. */
static pid_t import_in_child(const struct fx *f, const char *path, const char *hold)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		assert_int_equal(pv_test_control(NULL, PV_TEST_IMPORT_HOLD, 0, hold), PV_OK);
		pv_key *key = NULL;
		pv_vault *v = NULL;
		pv_import_result *res = NULL;
		int ok = pv_key_from_file(f->key, &key) == PV_OK &&
			 pv_vault_open(f->dir, NULL, key, &v) == PV_OK &&
			 pv_import_csv(v, &ADMIN, path, NULL, &res) == PV_OK;
		_exit(ok ? 0 : 1);
	}
	return pid;
}

/* The location of the vault's store, as pv_store_open takes it: its SQLite file, or the
 * PostgreSQL location its directory's record names (malloc'd). */
static char *store_location(const struct fx *f)
{
	if (!pvt_dba_pg(f->dir))
		return pvt_path(f->dir, "vault.db");
	char *record = pvt_path(f->dir, "store");
	char *text = pvt_read_file(record, NULL);
	free(record);
	assert_non_null(text);
	text[strcspn(text, "\n")] = '\0';
	return text;
}

/* A child process holding the vault's import lock, as an import under way does (the
 * store's own lock: a lock file's flock beside SQLite's file, a session advisory lock in
 * PostgreSQL): for seconds, or with release not NULL until *release is written to or
 * closed; returns once it holds it. */
static pid_t hold_import_lock_for(const struct fx *f, double seconds, int *release)
{
	char *location = store_location(f);
	int ready[2], go[2];
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(go[1]);
		char err[256];
		struct pv_store *s = pv_store_open(location, 0, err, sizeof err);
		int ok = s && pv_store_import_lock(s) == 0;
		if (write(ready[1], ok ? "1" : "0", 1) != 1)
			_exit(1);
		char c;
		if (release)
			(void)!read(go[0], &c, 1); /* until told, or the test is gone */
		else
			usleep((useconds_t)(seconds * 1e6));
		pv_store_close(s);
		_exit(ok ? 0 : 1);
	}
	free(location);
	close(go[0]);
	char got = 0;
	assert_int_equal(read(ready[0], &got, 1), 1);
	assert_int_equal(got, '1');
	close(ready[0]);
	close(ready[1]);
	if (release)
		*release = go[1];
	else
		close(go[1]);
	return pid;
}

static pid_t hold_import_lock(const struct fx *f, double seconds)
{
	return hold_import_lock_for(f, seconds, NULL);
}

static pid_t hold_import_lock_until_told(const struct fx *f, int *release)
{
	return hold_import_lock_for(f, 0, release);
}

/* Shred id in a child process that may wait as long as it needs (an import under way
 * makes it wait); returns its pid, which exits 0 once the shred is done. */
static pid_t shred_in_child(const struct fx *f, const char *id)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pv_set_wait(300, NULL, NULL);
		pv_key *key = NULL;
		pv_vault *v = NULL;
		char *cert = NULL;
		const char *ids[] = { id };
		int ok = pv_key_from_file(f->key, &key) == PV_OK &&
			 pv_vault_open(f->dir, NULL, key, &v) == PV_OK &&
			 pv_shred(v, &ADMIN, ids, 1, &cert) == PV_OK && cert;
		_exit(ok ? 0 : 1);
	}
	return pid;
}

/* Wait until the child's import has committed a chunk (rows in the file beyond BASE). */
static void wait_for_chunk(const struct fx *f, pid_t child)
{
	double t0 = pvt_now();
	while (raw_rows(f) <= BASE) {
		assert_true(pvt_now() - t0 < 120);
		assert_int_equal(waitpid(child, NULL, WNOHANG), 0); /* still running */
		usleep(20000);
	}
}

static char *id_of(unsigned k)
{
	static char id[16];
	snprintf(id, sizeof id, "C%08u", k);
	return id;
}

/* Readers and a backup during a long import: each read returns within a bound, far under
 * the time the import holds the vault; none sees any of the import until it ends. */
static void test_readers_get_in_and_see_none_of_it(void **state)
{
	struct fx *f = *state;
	pv_vault *v = pvt_open_root(f->dir, NULL, f->key);
	/* the import holds after its first chunk until told: it is surely under way while
	 * the reads below run, however fast the machine */
	char *hold = pvt_keep(pvt_path(f->base, "go-on"));
	pid_t child = import_in_child(f, f->csv, hold);
	wait_for_chunk(f, child);
	double slowest = 0, t_start = pvt_now();
	int reads = 0, status = 0;
	int backup_done = 0;
	while (reads < 5) {
		pv_record *r = NULL;
		double t0 = pvt_now();
		assert_int_equal(pv_get(v, &ADMIN, "C00000001", &r), PV_OK);
		pv_record_free(r);
		double took = pvt_now() - t0;
		slowest = took > slowest ? took : slowest;
		reads++;
		uint64_t n = 0;
		assert_int_equal(pv_vault_count(v, &n), PV_OK);
		assert_int_equal(n, BASE); /* nothing of the import yet */
		assert_int_equal(pv_get(v, &ADMIN, id_of(BIG_FIRST), &r), PV_ERR_NOT_FOUND);
		if (!backup_done) { /* a backup beside the import: a read snapshot */
			char *bk = pvt_keep(pvt_path(f->base, "during.backup"));
			char *summary = NULL;
			assert_int_equal(pv_backup_create(v, &ADMIN, bk, &summary), PV_OK);
			assert_non_null(strstr(summary, "\"customers\":20"));
			pv_free(summary);
			backup_done = 1;
		}
		usleep(50000);
	}
	assert_int_equal(waitpid(child, &status, WNOHANG), 0); /* held, still under way */
	/* a bulk import (its file could hold more customers than the vault has) keeps the
	 * bucket index away until its end, and a handle opened meanwhile does not build it */
	assert_int_equal(has_bucket_index(f), bucket_index_during_import(f));
	pvt_vclose(pvt_open_root(f->dir, NULL, f->key));
	assert_int_equal(has_bucket_index(f), bucket_index_during_import(f));
	assert_int_equal(pvt_write_file(hold, "", 0), 0);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(backup_done);
	print_message("import ran %.1f s beside %d reads, slowest %.3f s\n", pvt_now() - t_start, reads,
		      slowest);
	assert_true(slowest < 2.0);
	uint64_t n = 0;
	assert_int_equal(pv_vault_count(v, &n), PV_OK);
	assert_int_equal(n, BASE + BIG);
	pv_record *r = NULL;
	assert_int_equal(pv_get(v, &ADMIN, id_of(BIG_FIRST + BIG - 1), &r), PV_OK);
	pv_record_free(r);
	assert_int_equal(has_bucket_index(f), 1); /* built in the import's last transaction */
}

/* A shred while an import holds the vault's import lock (held here by a process of the
 * test's own, as an import under way would, so that nothing depends on how long an
 * import takes): with a short wait it is refused as busy, saying why; with a long one
 * it waits as long as the lock is held, then shreds. */
static void test_shred_waits_for_an_import(void **state)
{
	struct fx *f = *state;
	pid_t holder = hold_import_lock(f, 1.5);
	pv_vault *v = pvt_open_root(f->dir, NULL, f->key);
	const char *ids[] = { "C00000002" };
	char *cert = NULL;
	pv_set_wait(0.05, NULL, NULL);
	assert_int_equal(pv_shred(v, &ADMIN, ids, 1, &cert), PV_ERR_BUSY);
	assert_non_null(strstr(pv_errmsg(v), "importing"));
	assert_null(cert);
	pv_set_wait(PV_WAIT_DEFAULT, NULL, NULL);
	pid_t shredder = shred_in_child(f, "C00000003");
	usleep(300000);
	assert_int_equal(waitpid(shredder, NULL, WNOHANG), 0); /* still waiting */
	int status = 0;
	assert_int_equal(waitpid(holder, &status, 0), holder);
	assert_int_equal(waitpid(shredder, &status, 0), shredder);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	pv_record *r = NULL;
	assert_int_equal(pv_get(v, &ADMIN, "C00000003", &r), PV_ERR_NOT_FOUND);
	assert_int_equal(pv_get(v, &ADMIN, "C00000004", &r), PV_OK);
	pv_record_free(r);
}

struct found {
	int n;
};

static int count_found(void *ctx, const char *id)
{
	(void)id;
	((struct found *)ctx)->n++;
	return 0;
}

/* The phone of the first customer of the big file, read from the CSV. */
static char *first_phone(const struct fx *f)
{
	char *text = pvt_keep(pvt_read_file(f->csv, NULL));
	struct pvt_csv t;
	assert_int_equal(pvt_csv_parse(text, &t), 0);
	char *phone = pvt_keep(strdup(pvt_csv_get(&t, 1, "phone")) /* row 0: the header */);
	pvt_csv_free(&t);
	return phone;
}

struct audit_seen {
	int removed;
};

static int audit_row(void *ctx, const pv_audit_entry *e)
{
	struct audit_seen *s = ctx;
	if (strstr(e->detail, "unfinished import"))
		s->removed++;
	return 0;
}

/* SIGKILL half-way (chunks committed): a fresh handle sees none of it, by count, id or
 * blind index; the next import removes the rows left (audited) and runs; the killed file
 * then imports whole (no id "already exists"); the audit log verifies. */
static void test_killed_import_is_removed_by_the_next(void **state)
{
	struct fx *f = *state;
	char *phone = first_phone(f);
	/* held after its first chunk (the file never made): killed surely half-way */
	char *hold = pvt_keep(pvt_path(f->base, "never"));
	pid_t child = import_in_child(f, f->csv, hold);
	wait_for_chunk(f, child);
	assert_int_equal(kill(child, SIGKILL), 0);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSIGNALED(status));
	long long left = raw_rows(f);
	assert_true(left > BASE); /* committed chunks are in the file */
	/* dropped by the bulk import killed (SQLite) */
	assert_int_equal(has_bucket_index(f), bucket_index_during_import(f));

	pv_vault *v = pvt_open_root(f->dir, NULL, f->key);
	uint64_t n = 0;
	assert_int_equal(pv_vault_count(v, &n), PV_OK);
	assert_int_equal(n, BASE);
	pv_record *r = NULL;
	assert_int_equal(pv_get(v, &ADMIN, id_of(BIG_FIRST), &r), PV_ERR_NOT_FOUND);
	struct found fd = { 0 };
	assert_int_equal(pv_find(v, &ADMIN, "phone", phone, count_found, &fd), PV_OK);
	assert_int_equal(fd.n, 0);

	/* the next import (another file) removes the leftovers first */
	char *small = pvt_keep(pvt_path(f->base, "small.csv"));
	assert_int_equal(pvt_run(NULL, "'%s' -n 5 --start 900 --seed 53 --canonical -o '%s'",
				 pvt_program("pvgen"), small), 0);
	pv_import_result *res = NULL;
	assert_int_equal(pv_import_csv(v, &ADMIN, small, NULL, &res), PV_OK);
	pv_import_free(res);
	assert_int_equal(raw_rows(f), BASE + 5);
	assert_int_equal(has_bucket_index(f), 1); /* built again with the leftovers removed */
	struct audit_seen seen = { 0 };
	assert_int_equal(pv_audit_log(v, &ADMIN, NULL, audit_row, &seen), PV_OK);
	assert_int_equal(seen.removed, 1);

	/* and the killed file imports whole */
	res = NULL;
	assert_int_equal(pv_import_csv(v, &ADMIN, f->csv, NULL, &res), PV_OK);
	assert_int_equal(pv_import_rows_imported(res), BIG);
	pv_import_free(res);
	assert_int_equal(pv_vault_count(v, &n), PV_OK);
	assert_int_equal(n, BASE + 5 + BIG);
	fd.n = 0;
	assert_int_equal(pv_find(v, &ADMIN, "phone", phone, count_found, &fd), PV_OK);
	assert_int_equal(fd.n, 1);
	char *report = NULL;
	assert_int_equal(pv_audit_verify(v, NULL, NULL, &report), PV_OK);
	pv_free(report);
}

/* A bad row at the very end of a long import, after chunks were committed: nothing is
 * imported, and nothing is left in the file for anyone (the import removes its chunks
 * itself; the next import finds nothing to remove). */
static void test_bad_last_row_leaves_nothing(void **state)
{
	struct fx *f = *state;
	char *bad = pvt_keep(pvt_path(f->base, "bad.csv"));
	assert_int_equal(pvt_run(NULL, "'%s' -n %u --start %u --seed 52 --canonical --bad-every %u "
				 "-o '%s'", pvt_program("pvgen"), BIG, BIG_FIRST, BIG, bad), 0);
	pv_vault *v = pvt_open_root(f->dir, NULL, f->key);
	pv_import_result *res = NULL;
	assert_int_equal(pv_import_csv(v, &ADMIN, bad, NULL, &res), PV_ERR_INPUT);
	assert_int_equal(pv_import_rows_imported(res), 0);
	assert_int_equal(pv_import_rows_rejected(res), 1);
	pv_import_free(res);
	assert_int_equal(raw_rows(f), BASE);
	assert_int_equal(has_bucket_index(f), 1); /* the failed bulk import built it again */
	uint64_t n = 0;
	assert_int_equal(pv_vault_count(v, &n), PV_OK);
	assert_int_equal(n, BASE);
	res = NULL;
	assert_int_equal(pv_import_csv(v, &ADMIN, f->csv, NULL, &res), PV_OK);
	pv_import_free(res);
	struct audit_seen seen = { 0 };
	assert_int_equal(pv_audit_log(v, &ADMIN, NULL, audit_row, &seen), PV_OK);
	assert_int_equal(seen.removed, 0);
	assert_int_equal(raw_rows(f), BASE + BIG);
}

struct notes {
	int count;
	char what[64];
	int release; /* when >= 0: closed at the first note, which lets the lock go */
};

static void note(void *ctx, const char *what, const char *why, double max_seconds)
{
	(void)why;
	(void)max_seconds;
	struct notes *n = ctx;
	n->count++;
	snprintf(n->what, sizeof n->what, "%s", what);
	if (n->release >= 0) {
		close(n->release);
		n->release = -1;
	}
}

/* A second import while one runs: with a short wait it is refused as busy, saying another
 * import holds the vault; with a long one it says it waits, then runs after the first. */
static void test_second_import_waits_for_the_first(void **state)
{
	struct fx *f = *state;
	char *small = pvt_keep(pvt_path(f->base, "small.csv"));
	assert_int_equal(pvt_run(NULL, "'%s' -n 5 --start 900 --seed 53 --canonical -o '%s'",
				 pvt_program("pvgen"), small), 0);
	pv_vault *v = pvt_open_root(f->dir, NULL, f->key);
	/* an import under way until the second import says it waits: however slow the
	 * machine, the first is refused and the second waits */
	int release = -1;
	pid_t child = hold_import_lock_until_told(f, &release);
	struct notes n = { .release = -1 };
	pv_set_wait(0.6, note, &n);
	pv_import_result *res = NULL;
	assert_int_equal(pv_import_csv(v, &ADMIN, small, NULL, &res), PV_ERR_BUSY);
	pv_import_free(res);
	assert_non_null(strstr(pv_errmsg(v), "importing"));
	assert_int_equal(n.count, 1);
	assert_string_equal(n.what, "the import under way");
	n.count = 0;
	n.release = release;
	pv_set_wait(300, note, &n);
	res = NULL;
	assert_int_equal(pv_import_csv(v, &ADMIN, small, NULL, &res), PV_OK);
	assert_int_equal(pv_import_rows_imported(res), 5);
	pv_import_free(res);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(n.count, 1);
	uint64_t count = 0;
	assert_int_equal(pv_vault_count(v, &count), PV_OK);
	assert_int_equal(count, BASE + 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_readers_get_in_and_see_none_of_it, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_killed_import_is_removed_by_the_next, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_bad_last_row_leaves_nothing, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_shred_waits_for_an_import, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_second_import_waits_for_the_first, fx_setup,
						fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
