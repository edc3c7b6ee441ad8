/* SPDX-License-Identifier: Apache-2.0 */
/* test_durable.c: a commit that carries an audit entry is on disk before anything it
 * audits is shown. The vault runs its write-ahead log with synchronous=NORMAL, where a
 * commit reaches the disk only at the next checkpoint, so a power loss could take back
 * the entry of a read already shown. This program counts the syncs of the log file by
 * standing in for fsync and fdatasync (SQLite's and the library's calls reach these
 * first), and checks that a read's entry is synced before the read returns, and before a
 * find shows its first id; a batch of reads is synced once at its end. For a vault kept in
 * PostgreSQL the twin: the entry is committed (seen through another connection) when the
 * read returns and when find shows its first id, and a batch's entries when it ends. */
#define _GNU_SOURCE
#include "dba.h"
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pivault.h"

static int g_log_syncs; /* syncs of a *-wal file */

static void count_if_log(int fd)
{
	char link[64], target[4096];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, target, sizeof target - 1);
	if (n > 4) {
		target[n] = '\0';
		g_log_syncs += strcmp(target + n - 4, "-wal") == 0;
	}
}

int fsync(int fd)
{
	count_if_log(fd);
	return (int)syscall(SYS_fsync, fd);
}

int fdatasync(int fd)
{
	count_if_log(fd);
	return (int)syscall(SYS_fdatasync, fd);
}

static const pv_access READER = { "admin", "all", 1 };

/* The audit entries in the store, as the DBA counts them through a connection of their
 * own (dba.h): for a vault kept in PostgreSQL, what that counts is committed, and a
 * commit there is on disk before it returns (synchronous_commit on, the store's
 * setting): the twin of SQLite's log synced. */
static long long audit_rows(const char *dir)
{
	char *n = pvt_dba_value(dir, "SELECT count(*) FROM audit");
	long long rows = strtoll(n, NULL, 10);
	free(n);
	return rows;
}

struct fx {
	char *base, *dir, *key;
	pv_vault *v;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	f->base = pvt_tempdir();
	f->dir = pvt_path(f->base, "vault");
	f->key = pvt_path(f->base, "root.key");
	pv_vault *v = pvt_sample_vault(f->dir, f->key, 20, 31, NULL);
	pv_vault_close(v);
	f->v = pvt_open_root(f->dir, NULL, f->key);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	pvt_release_all();
	pvt_rmtree(f->base);
	free(f->base);
	free(f->dir);
	free(f->key);
	free(f);
	return 0;
}

/* The attack's premise: a read shown while its entry sits in the log unsynced. */
static void test_read_entry_synced_before_return(void **state)
{
	struct fx *f = *state;
	pv_record *r = NULL;
	/* the first write after opening starts the log afresh (its header is synced anyway) */
	assert_ok(f->v, pv_get(f->v, &READER, "C00000004", &r));
	pv_record_free(r);
	int pg = pvt_dba_pg(f->dir);
	long long before = pg ? audit_rows(f->dir) : 0;
	g_log_syncs = 0;
	assert_ok(f->v, pv_get(f->v, &READER, "C00000001", &r));
	pv_record_free(r);
	if (pg ? audit_rows(f->dir) < before + 1 : g_log_syncs < 1)
		fail_msg("a read returned with its audit entry not synced to disk");
	/* a refused read is audited too, and as durably */
	before = pg ? audit_rows(f->dir) : 0;
	g_log_syncs = 0;
	static const pv_access nopurpose = { "admin", NULL, 1 };
	assert_int_equal(pv_get(f->v, &nopurpose, "C00000002", &r), PV_ERR_DENIED);
	assert_true(pg ? audit_rows(f->dir) >= before + 1 : g_log_syncs >= 1);
}

struct seen {
	int ids, syncs_at_first;
	const char *pg_dir; /* a vault kept in PostgreSQL: its entries counted at the first id */
	long long rows_before, rows_at_first;
};

static int on_id(void *ctx, const char *id)
{
	(void)id;
	struct seen *s = ctx;
	if (!s->ids++) {
		s->syncs_at_first = g_log_syncs;
		if (s->pg_dir)
			s->rows_at_first = audit_rows(s->pg_dir);
	}
	return 0;
}

/* Variant: an id shown by find (through the callback, before the call returns) comes
 * after the sync; a batch of reads costs one sync, at its end. */
static void test_find_and_batch(void **state)
{
	struct fx *f = *state;
	pv_record *r = NULL;
	assert_ok(f->v, pv_get(f->v, &READER, "C00000003", &r));
	char *phone = NULL;
	for (size_t i = 0; i < pv_record_field_count(r); i++)
		if (strcmp(pv_record_field_name(r, i), "phone") == 0)
			phone = strdup(pv_record_field_value(r, i));
	pv_record_free(r);
	assert_non_null(phone);
	g_log_syncs = 0;
	int pg = pvt_dba_pg(f->dir);
	struct seen s = { 0, 0, pg ? f->dir : NULL, pg ? audit_rows(f->dir) : 0, 0 };
	assert_ok(f->v, pv_find(f->v, &READER, "phone", phone, on_id, &s));
	free(phone);
	assert_true(s.ids >= 1);
	if (pg ? s.rows_at_first < s.rows_before + 1 : s.syncs_at_first < 1)
		fail_msg("find showed an id before its audit entry was synced");

	assert_ok(f->v, pv_vault_batch_begin(f->v));
	long long before = pg ? audit_rows(f->dir) : 0;
	g_log_syncs = 0;
	for (int i = 1; i <= 10; i++) {
		char id[16];
		snprintf(id, sizeof id, "C%08d", i);
		assert_ok(f->v, pv_get(f->v, &READER, id, &r));
		pv_record_free(r);
	}
	assert_int_equal(g_log_syncs, 0);
	assert_ok(f->v, pv_vault_batch_end(f->v, 1));
	if (pg) /* every entry of the batch committed (on disk) when it ends */
		assert_true(audit_rows(f->dir) >= before + 10);
	else
		assert_int_equal(g_log_syncs, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read_entry_synced_before_return, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_find_and_batch, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
