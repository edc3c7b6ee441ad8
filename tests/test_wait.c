/* SPDX-License-Identifier: Apache-2.0 */
/* test_wait.c: a command that finds another process writing to the vault waits for it,
 * says so once the wait lasts, and when the wait it was allowed runs out fails with
 * PV_ERR_BUSY (exit status 4 from the command) and a message saying how long it waited,
 * never a bare "database is locked" after a fixed 5 s. The writer is a second handle
 * holding the write lock (a batch), in this process or (for the command) beside it. */
#define _DEFAULT_SOURCE
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pivault.h"

static const pv_access READER = { "admin", "all", 0 };

struct fx {
	char *base, *dir, *key;
};

struct notes {
	int count;
	double max;
	char what[128], why[128];
};

static void note(void *ctx, const char *what, const char *why, double max_seconds)
{
	struct notes *n = ctx;
	n->count++;
	n->max = max_seconds;
	snprintf(n->what, sizeof n->what, "%s", what);
	snprintf(n->why, sizeof n->why, "%s", why);
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	f->base = pvt_tempdir();
	f->dir = pvt_path(f->base, "vault");
	f->key = pvt_path(f->base, "root.key");
	pv_vault_close(pvt_sample_vault(f->dir, f->key, 20, 41, NULL));
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
	free(f);
	return 0;
}

/* A reader (its audit entry is a write) while another handle holds the write lock: it
 * waits the time allowed, says once that it waits and why, then fails with PV_ERR_BUSY
 * and a message naming the wait; with no wait allowed it fails at once. */
static void test_reader_waits_then_busy(void **state)
{
	struct fx *f = *state;
	pv_vault *writer = pvt_open_root(f->dir, NULL, f->key);
	pv_vault *reader = pvt_open_root(f->dir, NULL, f->key);
	assert_int_equal(pv_vault_batch_begin(writer), PV_OK); /* holds the write lock */
	struct notes n = { 0 };
	pv_set_wait(1.0, note, &n);
	pv_record *r = NULL;
	double t0 = pvt_now();
	pv_rc rc = pv_get(reader, &READER, "C00000001", &r);
	double took = pvt_now() - t0;
	assert_int_equal(rc, PV_ERR_BUSY);
	assert_null(r);
	assert_true(took >= 0.95 && took < 3.0);
	assert_int_equal(n.count, 1);
	assert_true(n.max == 1.0);
	assert_string_equal(n.what, "the vault");
	assert_non_null(strstr(n.why, "another pivault process holds the vault's write lock"));
	assert_non_null(strstr(pv_errmsg(reader), "busy"));
	assert_non_null(strstr(pv_errmsg(reader), "1.0 s"));
	assert_null(strstr(pv_errmsg(reader), "locked"));
	assert_string_equal(pv_strerror(PV_ERR_BUSY), "the vault is busy with another writer");

	n.count = 0; /* no wait allowed: refused at once, no note */
	pv_set_wait(0, note, &n);
	t0 = pvt_now();
	assert_int_equal(pv_get(reader, &READER, "C00000001", &r), PV_ERR_BUSY);
	assert_true(pvt_now() - t0 < 0.5);
	assert_int_equal(n.count, 0);

	assert_int_equal(pv_vault_batch_end(writer, 1), PV_OK);
	pv_set_wait(1.0, note, &n); /* the lock free: the read goes through */
	assert_int_equal(pv_get(reader, &READER, "C00000001", &r), PV_OK);
	pv_record_free(r);
	assert_int_equal(n.count, 0);
}

struct release_later {
	pv_vault *writer;
	double after;
};

static void *end_batch_later(void *p)
{
	struct release_later *l = p;
	usleep((useconds_t)(l->after * 1e6));
	assert_int_equal(pv_vault_batch_end(l->writer, 1), PV_OK);
	return NULL;
}

/* A writer that ends within the wait: the waiter gets in as soon as it does. */
static void test_waiter_gets_in(void **state)
{
	struct fx *f = *state;
	pv_vault *writer = pvt_open_root(f->dir, NULL, f->key);
	pv_vault *reader = pvt_open_root(f->dir, NULL, f->key);
	assert_int_equal(pv_vault_batch_begin(writer), PV_OK);
	struct notes n = { 0 };
	pv_set_wait(30, note, &n);
	struct release_later l = { writer, 1.0 };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, end_batch_later, &l), 0);
	double t0 = pvt_now();
	pv_record *r = NULL;
	assert_int_equal(pv_get(reader, &READER, "C00000001", &r), PV_OK);
	double took = pvt_now() - t0;
	pthread_join(t, NULL);
	pv_record_free(r);
	assert_true(took >= 0.9 && took < 5.0);
	assert_int_equal(n.count, 1); /* told once, after PV_WAIT_NOTE_MS */
}

/* The command: a get while this process holds the write lock says on standard error that
 * it waits and for what, and after --wait fails with exit status 4 and a message that
 * says the vault was busy and for how long; PIVAULT_WAIT sets the same, and a bad value
 * is a usage error. */
static void test_cli_waits_and_says_so(void **state)
{
	struct fx *f = *state;
	pv_vault *writer = pvt_open_root(f->dir, NULL, f->key);
	assert_int_equal(pv_vault_batch_begin(writer), PV_OK);
	char *errf = pvt_keep(pvt_path(f->base, "stderr"));
	const char *pv = pvt_program("pivault-test");
	double t0 = pvt_now();
	int st = pvt_run(NULL, "PIVAULT_KEY_FILE='%s' '%s' get C00000001 --vault '%s' --role admin "
			 "--purpose all --wait 1.5 </dev/null 2>'%s'", f->key, pv, f->dir, errf);
	double took = pvt_now() - t0;
	char *err = pvt_keep(pvt_read_file(errf, NULL));
	assert_int_equal(st, 4);
	assert_true(took >= 1.4 && took < 10);
	assert_non_null(strstr(err, "pivault: waiting for the vault (another pivault process holds "
				    "the vault's write lock)"));
	assert_non_null(strstr(err, "the vault is busy"));
	assert_non_null(strstr(err, "1.5 s"));
	assert_null(strstr(err, "database is locked"));

	st = pvt_run(NULL, "PIVAULT_WAIT=0 PIVAULT_KEY_FILE='%s' '%s' get C00000001 --vault '%s' "
		     "--role admin --purpose all </dev/null 2>'%s'", f->key, pv, f->dir, errf);
	assert_int_equal(st, 4);
	st = pvt_run(NULL, "PIVAULT_WAIT=soon PIVAULT_KEY_FILE='%s' '%s' get C00000001 --vault '%s' "
		     "--role admin --purpose all </dev/null 2>'%s'", f->key, pv, f->dir, errf);
	assert_int_equal(st, 2);
	st = pvt_run(NULL, "PIVAULT_KEY_FILE='%s' '%s' get C00000001 --vault '%s' --role admin "
		     "--purpose all --wait -1 </dev/null 2>'%s'", f->key, pv, f->dir, errf);
	assert_int_equal(st, 2);

	assert_int_equal(pv_vault_batch_end(writer, 1), PV_OK);
	st = pvt_run(NULL, "PIVAULT_KEY_FILE='%s' '%s' get C00000001 --vault '%s' --role admin "
		     "--purpose all --wait 1 </dev/null >/dev/null 2>'%s'", f->key, pv, f->dir, errf);
	assert_int_equal(st, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reader_waits_then_busy, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_waiter_gets_in, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_cli_waits_and_says_so, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
