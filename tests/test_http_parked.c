/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_parked.c: reads whose replies are parked until their audit entries are
 * durable (PVS_PARKS: the request's connection is suspended, its thread serves others).
 * Many clients at once on a server of two threads each get every reply, and each reply
 * arrives only once its entry is in the log (seen from a connection of the test's own);
 * when a DBA's trigger makes the log refuse entries, a parked reply is withheld (503,
 * nothing of the record in it) and the same read works once the trigger is gone; a stop
 * while a reply is parked past the grace answers it as failed; the server stops cleanly
 * after. */
#include "dba.h"
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pivault.h"
#include "server.h"
#include "server_client.h"

static const char PW[] = "parked-password-1";
#define CUSTOMERS 64
#define CLIENTS 16
#define READS 12

static char *g_tmp, *g_dir, *g_key_path;
static struct pvs_server *g_srv;
static unsigned g_port;
static char *g_dpo; /* the session's bearer token */

static int group_setup(void **state)
{
	(void)state;
	g_tmp = pvt_tempdir();
	g_dir = pvt_path(g_tmp, "vault");
	g_key_path = pvt_path(g_tmp, "root.key");
	pv_vault *root = pvt_sample_vault(g_dir, g_key_path, CUSTOMERS, 11, NULL);
	pv_access admin = { "admin", NULL, PV_WANT_MASKED };
	char today[16];
	time_t now = time(NULL);
	strftime(today, sizeof today, "%Y-%m-%d", gmtime(&now));
	assert_ok(root, pvt_user_add(root, &admin, "dpo1", "dpo", PW, strlen(PW)));
	assert_ok(root, pv_user_attest(root, &admin, "dpo1", today, today, NULL));
	pv_vault_close(root);
	struct pvs_config c = { .plain_http = 1, .threads = 2, .reads_per_second = 100000,
				.reads_burst = 100000 };
	g_srv = pvts_start(&c, g_dir, g_key_path, 65536);
	g_port = pvs_port(g_srv);
	g_dpo = pvts_sign_in(g_port, "dpo1", PW);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	pvs_stop(g_srv);
	free(g_dpo);
	pvt_rmtree(g_tmp);
	free(g_key_path);
	free(g_dir);
	free(g_tmp);
	return 0;
}

/* Read entries of customer id in the log, from the test's own connection (a DBA's);
 * -1 when they cannot be counted. Asserts nothing (it runs on the clients' threads). */
static long read_entries(const char *id)
{
	return pvts_count_entries(g_dir, &(struct pvts_entries){ .op = "read", .ids = id });
}

/* SQL run on the vault's store by its DBA (the SQLite file, or its PostgreSQL schema). */
static void dba(const char *sql)
{
	if (pvt_dba(NULL, g_dir, "%s", sql) != 0)
		fail_msg("the DBA's SQL failed: %s", sql);
	struct timespec nap = { 0, 40 * 1000000L }; /* the server's reads linger 20 ms */
	nanosleep(&nap, NULL);
}

struct client {
	pthread_t thread;
	char id[16];
	int replies;     /* 200s received */
	int early;       /* replies received before their entry was in the log */
	int other;       /* replies that were not 200 */
};

/* One client reading its own customer READS times; after each reply, its entries in the
 * log must number at least the replies it got. */
static void *client_main(void *arg)
{
	struct client *cl = arg;
	char path[96];
	snprintf(path, sizeof path, "/v1/customers/%s?purpose=service", cl->id);
	for (int k = 0; k < READS; k++) {
		struct pvts_resp r = pvts_http(g_port, "GET", path, g_dpo, NULL, 0);
		if (r.status == 200) {
			cl->replies++;
			if (read_entries(cl->id) < cl->replies)
				cl->early++;
		} else {
			cl->other++;
		}
		pvts_resp_free(&r);
	}
	return NULL;
}

/* CLIENTS at once on two threads: every reply comes, none before its entry. */
static void many_clients_each_reply_after_its_entry(void **state)
{
	(void)state;
	struct client cl[CLIENTS];
	memset(cl, 0, sizeof cl);
	for (int i = 0; i < CLIENTS; i++) {
		snprintf(cl[i].id, sizeof cl[i].id, "C%08d", i + 1);
		assert_int_equal(pthread_create(&cl[i].thread, NULL, client_main, &cl[i]), 0);
	}
	for (int i = 0; i < CLIENTS; i++) {
		pthread_join(cl[i].thread, NULL);
		assert_int_equal(cl[i].other, 0);
		assert_int_equal(cl[i].replies, READS);
		assert_int_equal(cl[i].early, 0);
		assert_int_equal(read_entries(cl[i].id), READS);
	}
}

/* The log refuses entries: the parked reply is withheld, and nothing of the record is in
 * the answer; the read works again once the log can be written. */
static void failed_entry_withholds_the_reply(void **state)
{
	(void)state;
	const char *path = "/v1/customers/C00000040?purpose=service";
	struct pvts_resp ok = pvts_http(g_port, "GET", path, g_dpo, NULL, 0);
	assert_int_equal(ok.status, 200);
	assert_non_null(strstr(ok.body, "C00000040"));
	pvts_resp_free(&ok);
	long before = read_entries("C00000040");

	if (pvt_dba_pg(g_dir))
		dba("CREATE FUNCTION no_audit() RETURNS trigger LANGUAGE plpgsql AS "
		    "$$BEGIN RAISE EXCEPTION 'refused'; END$$; CREATE TRIGGER no_audit BEFORE "
		    "INSERT ON audit FOR EACH ROW EXECUTE FUNCTION no_audit()");
	else
		dba("CREATE TRIGGER no_audit BEFORE INSERT ON audit BEGIN "
		    "SELECT RAISE(ABORT, 'refused'); END;");
	for (int k = 0; k < 3; k++) { /* the same threads, handles and writer each time */
		struct pvts_resp r = pvts_http(g_port, "GET", path, g_dpo, NULL, 0);
		assert_int_equal(r.status, 503);
		assert_string_equal(pvts_err_code(&r), "store_unavailable");
		assert_null(strstr(r.body, "C00000040"));
		assert_null(strstr(r.body, "fields"));
		pvts_resp_free(&r);
	}
	dba(pvt_dba_pg(g_dir) ? "DROP TRIGGER no_audit ON audit; DROP FUNCTION no_audit()"
			      : "DROP TRIGGER no_audit;");
	assert_int_equal(read_entries("C00000040"), before);

	struct pvts_resp again = pvts_http(g_port, "GET", path, g_dpo, NULL, 0);
	assert_int_equal(again.status, 200);
	assert_non_null(strstr(again.body, "C00000040"));
	pvts_resp_free(&again);
	assert_int_equal(read_entries("C00000040"), before + 1);
}

struct one_get {
	unsigned port;
	const char *bearer;
	struct pvts_resp r;
};

static void *get_once(void *p)
{
	struct one_get *g = p;
	g->r = pvts_http(g->port, "GET", "/v1/customers/C00000041?purpose=service", g->bearer,
			 NULL, 0);
	return NULL;
}

static void *stop_server(void *p)
{
	pvs_stop(p);
	return NULL;
}

/* A stop while a reply is parked and its group is held up past the grace (a DBA holds the
 * write lock): the parked reply is answered as failed (503) or its connection closed,
 * never with the record, and the server stops without touching the freed request; the
 * entry is committed once the lock goes, as ever. */
static void stop_answers_parked_replies(void **state)
{
	(void)state;
	struct pvs_config c = { .plain_http = 1, .threads = 2, .reads_per_second = 100000,
				.reads_burst = 100000, .grace_seconds = 1 };
	struct pvs_server *srv = pvts_start(&c, g_dir, g_key_path, 65536);
	struct one_get g = { pvs_port(srv), NULL, { 0 } };
	char *bearer = pvts_sign_in(g.port, "dpo1", PW);
	g.bearer = bearer;
	long before = read_entries("C00000041");
	struct pvt_dba_lock *lock = pvt_dba_write_lock(g_dir);
	pthread_t client, stopper;
	assert_int_equal(pthread_create(&client, NULL, get_once, &g), 0);
	struct timespec nap = { 0, 300 * 1000000L }; /* parked: its group waits for the lock */
	nanosleep(&nap, NULL);
	assert_int_equal(pthread_create(&stopper, NULL, stop_server, srv), 0);
	pthread_join(client, NULL);
	assert_true(g.r.status == 503 || g.r.status == -1);
	assert_null(strstr(g.r.body ? g.r.body : "", "C00000041"));
	pvts_resp_free(&g.r);
	pvt_dba_unlock(lock);
	pthread_join(stopper, NULL);
	assert_int_equal(read_entries("C00000041"), before + 1);
	free(bearer);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(many_clients_each_reply_after_its_entry),
		cmocka_unit_test(failed_entry_withholds_the_reply),
		cmocka_unit_test(stop_answers_parked_replies),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
