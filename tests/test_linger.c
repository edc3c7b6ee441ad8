/* SPDX-License-Identifier: Apache-2.0 */
/* test_linger.c: a server's handle whose reads linger in one snapshot
 * (pv_vault_linger_reads) must not show the vault as it was where that would break a
 * promise: a change made through any handle of the process (a user disabled, a customer
 * corrected) is seen by the very next read however young the snapshot; a change made
 * elsewhere (a DBA's SQL, another process) is seen once the snapshot's time is up; a write
 * after lingering reads is made on the vault as it is now; the audit log read through the
 * handle holds every entry committed, also those of its own reads committed by the audit
 * writer after its snapshot began; and an idle handle's old snapshot, once expired, does
 * not keep the log from being checkpointed. */
#include "dba.h"
#include "testutil.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "pivault.h"

static const char PW[] = "linger-password-1";
static const pv_access ADMIN = { "admin", NULL, PV_WANT_MASKED };

struct fx {
	char *tmp, *dir, *key;
	pv_vault *srv;  /* the server's handle, its reads lingering */
	pv_vault *wh;   /* the audit writer's handle */
	pv_audit_writer *w;
};

static void nap_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&t, NULL);
}

/* A server's handle joined to an audit writer, as `pivault serve` makes them, its reads
 * lingering for ms. */
static void serve(struct fx *f, unsigned ms)
{
	pv_key *key = NULL; /* the writer's handle is its own: closed by pv_audit_writer_stop */
	assert_int_equal(pv_key_from_file(f->key, &key), PV_OK);
	assert_int_equal(pv_vault_open(f->dir, NULL, key, &f->wh), PV_OK);
	pv_key_free(key);
	assert_ok(f->wh, pv_audit_writer_start(f->wh, &f->w));
	f->srv = pvt_open_root(f->dir, NULL, f->key);
	assert_ok(f->srv, pv_vault_join_audit_writer(f->srv, f->w));
	assert_ok(f->srv, pv_vault_serve(f->srv));
	assert_ok(f->srv, pv_vault_linger_reads(f->srv, ms));
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	f->tmp = pvt_tempdir();
	f->dir = pvt_path(f->tmp, "vault");
	f->key = pvt_path(f->tmp, "root.key");
	pv_vault *root = pvt_sample_vault(f->dir, f->key, 3, 11, NULL);
	const char *users[][2] = { { "clerk1", "clerk" }, { "aud", "auditor" }, { "adm", "admin" } };
	for (size_t i = 0; i < 3; i++)
		assert_ok(root, pvt_user_add(root, &ADMIN, users[i][0], users[i][1], PW, strlen(PW)));
	char today[16];
	time_t now = time(NULL);
	strftime(today, sizeof today, "%Y-%m-%d", gmtime(&now));
	assert_ok(root, pv_user_attest(root, &ADMIN, "clerk1", today, today, NULL));
	pv_vault_close(root);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	pvt_vclose(f->srv);
	if (f->w)
		assert_int_equal(pv_audit_writer_stop(f->w), PV_OK);
	pvt_release_all();
	pvt_rmtree(f->tmp);
	free(f->tmp);
	free(f->dir);
	free(f->key);
	free(f);
	return 0;
}

static char *session(struct fx *f, const char *user)
{
	char *token = NULL;
	assert_ok(f->srv, pv_session_create(f->srv, user, PW, strlen(PW), 600, &token));
	return pvt_keep(token);
}

/* One read of customer id in the session of token (masked, purpose service); its rc, the
 * name shown into name (when read). */
static pv_rc read_name(struct fx *f, const char *token, const char *id, char *name, size_t n)
{
	pv_rc rc = pv_session_enter(f->srv, token);
	if (rc)
		return rc;
	pv_access who = { NULL, "service", PV_WANT_MASKED };
	pv_record *r = NULL;
	rc = pv_get(f->srv, &who, id, &r);
	for (size_t i = 0; !rc && i < pv_record_field_count(r); i++)
		if (strcmp(pv_record_field_name(r, i), "preferences") == 0)
			snprintf(name, n, "%s", pv_record_field_value(r, i));
	pv_record_free(r);
	assert_ok(f->srv, pv_session_leave(f->srv));
	return rc;
}

/* Run SQL on the vault's store as a DBA would (not through pivault; dba.h). */
static void dba(struct fx *f, const char *sql)
{
	if (pvt_dba(NULL, f->dir, "%s", sql) != 0)
		fail_msg("the DBA's SQL failed: %s", sql);
}

/* Snapshots as long as a test could take: only the rules, never the clock, end them. */
#define FOREVER 600000

static void test_changes_here_seen_at_once(void **state)
{
	struct fx *f = *state;
	serve(f, FOREVER);
	char *clerk = session(f, "clerk1"), before[256] = "", after[256] = "";
	assert_int_equal(read_name(f, clerk, "C00000002", before, sizeof before), PV_OK);
	pv_vault *adm = pvt_open_user(f->dir, "adm", PW);
	pv_access admin_service = { "admin", "service", PV_WANT_MASKED };
	assert_ok(adm, pv_update(adm, &admin_service, "C00000002", "preferences", "无特别要求"));
	assert_int_equal(read_name(f, clerk, "C00000002", after, sizeof after), PV_OK);
	assert_string_not_equal(before, after);
	assert_string_equal(after, "无特别要求");
	assert_ok(adm, pv_user_disable(adm, &ADMIN, "clerk1"));
	pvt_vclose(adm);
	assert_int_equal(pv_session_enter(f->srv, clerk), PV_ERR_DENIED); /* at once */
}

static void flag_done(void *ctx, int ok)
{
	atomic_store((_Atomic int *)ctx, ok ? 1 : 2);
}

/* A token made in a withheld span (its row stored by the audit writer, with the entry) is
 * a change like any other: the handle's next read, in a snapshot that began before it,
 * finds the token at once. */
static void test_token_riding_seen_at_once(void **state)
{
	struct fx *f = *state;
	serve(f, FOREVER);
	char *adm = session(f, "adm"), name[256];
	assert_int_equal(read_name(f, adm, "C00000001", name, sizeof name), PV_OK);
	assert_ok(f->srv, pv_session_enter(f->srv, adm));
	pv_access who = { NULL, "service", PV_WANT_MASKED };
	char *token = NULL, *value = NULL;
	assert_ok(f->srv, pv_vault_withhold_begin(f->srv));
	assert_ok(f->srv, pv_tokenize(f->srv, &who, "C00000002", "phone", PV_TOKEN_RANDOM,
				      PV_TOKEN_OPAQUE, &token));
	pv_audit_span span = pv_vault_withhold_end(f->srv);
	assert_true(span.last > 0);
	_Atomic int told = 0;
	assert_int_equal(pv_audit_writer_when_durable(f->w, span, flag_done, &told), PV_OK);
	for (int i = 0; i < 1000 && !atomic_load(&told); i++)
		nap_ms(10);
	assert_int_equal(atomic_load(&told), 1);
	assert_ok(f->srv, pv_detokenize(f->srv, &who, token, &value));
	assert_true(strlen(value) > 0);
	pv_free(value);
	pv_free(token);
	assert_ok(f->srv, pv_session_leave(f->srv));
}

static void test_changes_elsewhere_seen_in_time(void **state)
{
	struct fx *f = *state;
	serve(f, 150);
	char *clerk = session(f, "clerk1"), name[256];
	assert_int_equal(read_name(f, clerk, "C00000001", name, sizeof name), PV_OK);
	dba(f, "DELETE FROM sessions"); /* every session ended by hand */
	nap_ms(200);
	assert_int_not_equal(pv_session_enter(f->srv, clerk), PV_OK);
}

/* A DBA's write after the snapshot began (nothing this process counts), then a write on
 * the lingering handle: made on the vault as it is now, not refused as out of date. */
static void test_write_after_lingering(void **state)
{
	struct fx *f = *state;
	serve(f, FOREVER);
	char *clerk = session(f, "clerk1"), name[256];
	assert_int_equal(read_name(f, clerk, "C00000001", name, sizeof name), PV_OK);
	/* SQLite: the file's user version; PostgreSQL: the rows of meta written again as they are */
	dba(f, pvt_dba_pg(f->dir) ? "UPDATE meta SET v = v" : "PRAGMA user_version = 7");
	assert_ok(f->srv, pv_session_enter(f->srv, clerk));
	assert_ok(f->srv, pv_session_end(f->srv)); /* signing out writes */
	assert_int_not_equal(pv_session_enter(f->srv, clerk), PV_OK);
}

static int count_reads_of(void *ctx, const pv_audit_entry *e)
{
	if (strcmp(e->user, "clerk1") == 0 && strcmp(e->op, "read") == 0)
		++*(int *)ctx;
	return 0;
}

/* The entries of the handle's own reads reach the log through the writer, after the
 * snapshot the next read goes on in began: the log read through the handle has them. */
static void test_audit_log_has_every_entry(void **state)
{
	struct fx *f = *state;
	serve(f, FOREVER);
	char *clerk = session(f, "clerk1"), *aud = session(f, "aud"), name[256];
	for (int i = 1; i <= 3; i++) {
		char id[16];
		snprintf(id, sizeof id, "C%08d", i);
		assert_int_equal(read_name(f, clerk, id, name, sizeof name), PV_OK);
		assert_ok(f->srv, pv_session_enter(f->srv, aud));
		pv_access auditor = { "auditor", NULL, PV_WANT_MASKED };
		int reads = 0;
		assert_ok(f->srv, pv_audit_log(f->srv, &auditor, NULL, count_reads_of, &reads));
		assert_ok(f->srv, pv_session_leave(f->srv));
		assert_int_equal(reads, i);
	}
}

static off_t log_size(struct fx *f)
{
	char *wal = pvt_path(f->dir, "vault.db-wal");
	struct stat st;
	off_t n = stat(wal, &st) == 0 ? st.st_size : 0;
	free(wal);
	return n;
}

/* An idle handle's expired snapshot is ended, and the log can be truncated; a young one is
 * left be. */
static void test_idle_handle_expires(void **state)
{
	struct fx *f = *state;
	serve(f, 100);
	char *clerk = session(f, "clerk1"), name[256];
	assert_int_equal(read_name(f, clerk, "C00000001", name, sizeof name), PV_OK);
	pv_vault_expire_lingering(f->srv); /* young: it stays */
	pv_vault *other = pvt_open_root(f->dir, NULL, f->key);
	nap_ms(150);
	pv_vault_expire_lingering(f->srv);
	assert_ok(other, pv_vault_checkpoint(other));
	/* SQLite's own: its log truncated. A PostgreSQL snapshot holds back no log file (its
	 * checkpoint is the server's), so there the rest, backend-neutral, is checked. */
	if (!pvt_dba_pg(f->dir))
		assert_int_equal(log_size(f), 0);
	pvt_vclose(other);
	assert_int_equal(read_name(f, clerk, "C00000001", name, sizeof name), PV_OK);
}

static void test_only_servers_linger(void **state)
{
	struct fx *f = *state;
	pv_vault *root = pvt_open_root(f->dir, NULL, f->key);
	assert_int_equal(pv_vault_linger_reads(root, 20), PV_ERR_USAGE);
	pvt_vclose(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_changes_here_seen_at_once, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_token_riding_seen_at_once, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_changes_elsewhere_seen_in_time, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_write_after_lingering, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_audit_log_has_every_entry, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_idle_handle_expires, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_only_servers_linger, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
