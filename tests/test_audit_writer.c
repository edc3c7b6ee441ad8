/* SPDX-License-Identifier: Apache-2.0 */
/* test_audit_writer.c: one audit writer shared by many handles (pv_audit_writer_start,
 * pv_vault_join_audit_writer). Threads reading through their own handles get every entry
 * into one unbroken chain, in fewer commits than entries; a read returns only once its
 * entry is on disk (another connection sees it at once); when the writer cannot commit
 * (a DBA's trigger refuses inserts into the log) the read fails and shows nothing, and
 * reads work again once the log can be written; a batch's entries are durable at its end,
 * which reports a failure of any of them; direct writers (an update in its own
 * transaction) interleave with the writer's groups without breaking the chain; the writer
 * refuses a handle of another vault and will not stop while handles use it. A withheld
 * span (pv_vault_withhold_begin, as the server uses) returns reads at once and tells its
 * waiter only once their entries are durable, or that one failed; that failure is the
 * span's alone. The handles share the log's tail (so one appending in its own transaction
 * after others does not rebuild it): a tail shared before a transaction that then rolled
 * back is never built on. */
#include "dba.h"
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "pivault.h"
#include "store/store.h"
#include "vault.h"

#define CUSTOMERS 40
#define THREADS 4
#define READS 50

static const pv_access admin = { "admin", "service", PV_WANT_MASKED };

struct fx {
	char *tmp, *dir, *key;
	pv_audit_writer *aw;
	pv_vault *h[THREADS];
};

/* A root handle the test closes itself (the writer owns one; the others are closed
 * before the writer stops). */
static pv_vault *open_root(const struct fx *f)
{
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(f->key, &key), PV_OK);
	pv_vault *v = NULL;
	pv_rc rc = pv_vault_open(f->dir, NULL, key, &v);
	pv_key_free(key);
	if (rc)
		fail_msg("open: %s", pv_errmsg(v));
	return v;
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	f->tmp = pvt_tempdir();
	f->dir = pvt_path(f->tmp, "vault");
	f->key = pvt_path(f->tmp, "root.key");
	pv_vault_close(pvt_sample_vault(f->dir, f->key, CUSTOMERS, 3, NULL));
	pv_vault *w = open_root(f);
	assert_ok(w, pv_audit_writer_start(w, &f->aw));
	for (int i = 0; i < THREADS; i++) {
		f->h[i] = open_root(f);
		assert_ok(f->h[i], pv_vault_join_audit_writer(f->h[i], f->aw));
	}
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	for (int i = 0; i < THREADS; i++)
		pv_vault_close(f->h[i]);
	assert_int_equal(pv_audit_writer_stop(f->aw), PV_OK);
	pvt_release_all();
	pvt_rmtree(f->tmp);
	free(f->key);
	free(f->dir);
	free(f->tmp);
	free(f);
	return 0;
}

static void customer_id(char *out, size_t n, unsigned k)
{
	snprintf(out, n, "C%08u", 1 + k % CUSTOMERS);
}

/* Entries in the log whose op is op (and ids, unless NULL), from a connection of the
 * test's own, as a DBA's (dba.h); -1 if they cannot be counted. Asserts nothing on the
 * SQL's failure: it also runs on the readers' threads. */
static long count_entries_or_fail(const struct fx *f, const char *op, const char *ids)
{
	char *out = NULL;
	long n = -1;
	if (pvt_dba(&out, f->dir, "SELECT count(*) FROM audit WHERE op = '%s'%s%s%s", op,
		    ids ? " AND ids = '" : "", ids ? ids : "", ids ? "'" : "") == 0 && out)
		n = strtol(out, NULL, 10);
	free(out);
	return n;
}

static long count_entries(const struct fx *f, const char *op, const char *ids)
{
	long n = count_entries_or_fail(f, op, ids);
	assert_true(n >= 0);
	return n;
}

/* A DBA's trigger named name refusing every insert into table ("refused"), or (on 0)
 * gone again: SQLite's, or PostgreSQL's with its function. */
static void refuse_inserts(const struct fx *f, const char *table, const char *name, int on)
{
	int pg = pvt_dba_pg(f->dir), rc;
	if (on && pg)
		rc = pvt_dba(NULL, f->dir, "CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS "
			     "$$BEGIN RAISE EXCEPTION 'refused'; END$$; CREATE TRIGGER %s BEFORE "
			     "INSERT ON %s FOR EACH ROW EXECUTE FUNCTION %s()", name, name, table,
			     name);
	else if (on)
		rc = pvt_dba(NULL, f->dir, "CREATE TRIGGER %s BEFORE INSERT ON %s BEGIN "
			     "SELECT RAISE(ABORT, 'refused'); END;", name, table);
	else if (pg)
		rc = pvt_dba(NULL, f->dir, "DROP TRIGGER %s ON %s; DROP FUNCTION %s()", name, table,
			     name);
	else
		rc = pvt_dba(NULL, f->dir, "DROP TRIGGER %s;", name);
	assert_int_equal(rc, 0);
}

static void verify_chain(const struct fx *f)
{
	pv_vault *v = open_root(f);
	char *report = NULL;
	pv_rc rc = pv_audit_verify(v, NULL, NULL, &report);
	if (rc)
		fail_msg("audit verify: %s", report ? report : pv_errmsg(v));
	pv_free(report);
	pv_vault_close(v);
}

struct reader {
	struct fx *f;
	int i;
	int failures;
	int shown_before_durable;
};

/* READS reads on handle i; after each, the entry naming the customer must already be
 * in the log as another connection sees it. */
static void *read_many(void *p)
{
	struct reader *r = p;
	pv_vault *v = r->f->h[r->i];
	for (unsigned k = 0; k < READS; k++) {
		char id[16];
		customer_id(id, sizeof id, k * THREADS + (unsigned)r->i);
		long before = count_entries_or_fail(r->f, "read", id);
		pv_record *rec = NULL;
		if (before < 0 || pv_get(v, &admin, id, &rec) != PV_OK || !rec) {
			r->failures++;
			continue;
		}
		pv_record_free(rec);
		if (count_entries_or_fail(r->f, "read", id) <= before)
			r->shown_before_durable++;
	}
	return NULL;
}

static void concurrent_reads_share_commits(void **state)
{
	struct fx *f = *state;
	pthread_t t[THREADS];
	struct reader r[THREADS];
	for (int i = 0; i < THREADS; i++) {
		r[i] = (struct reader){ f, i, 0, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, read_many, &r[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(r[i].failures, 0);
		assert_int_equal(r[i].shown_before_durable, 0);
	}
	uint64_t groups = 0, entries = 0;
	pv_audit_writer_counts(f->aw, &groups, &entries);
	assert_int_equal(entries, THREADS * READS);
	assert_true(groups >= 1 && groups <= entries);
	assert_int_equal(count_entries(f, "read", NULL), THREADS * READS);
	verify_chain(f);
}

/* A DBA's trigger makes every insert into the log fail: the writer cannot commit, so a
 * read fails and returns nothing; the same read works once the trigger is gone. */
static void failed_group_shows_nothing(void **state)
{
	struct fx *f = *state;
	refuse_inserts(f, "audit", "no_audit", 1);
	pv_record *rec = NULL;
	assert_int_equal(pv_get(f->h[0], &admin, "C00000001", &rec), PV_ERR_STORE);
	assert_null(rec);
	assert_non_null(strstr(pv_errmsg(f->h[0]), "audit log cannot be written"));
	refuse_inserts(f, "audit", "no_audit", 0);
	assert_ok(f->h[0], pv_get(f->h[0], &admin, "C00000001", &rec));
	assert_non_null(rec);
	pv_record_free(rec);
	assert_int_equal(count_entries(f, "read", "C00000001"), 1);
	verify_chain(f);
}

/* In a batch, entries are queued without waiting and are all durable at its end; a
 * failure of one is reported there, and reads after it in the batch are refused. */
static void batch_is_durable_at_its_end(void **state)
{
	struct fx *f = *state;
	pv_vault *v = f->h[1];
	assert_ok(v, pv_vault_batch_begin(v));
	for (unsigned k = 0; k < 30; k++) {
		char id[16];
		customer_id(id, sizeof id, k);
		pv_record *rec = NULL;
		assert_ok(v, pv_get(v, &admin, id, &rec));
		pv_record_free(rec);
	}
	assert_ok(v, pv_vault_batch_end(v, PV_BATCH_COMMIT));
	assert_int_equal(count_entries(f, "read", NULL), 30);

	refuse_inserts(f, "audit", "no_audit", 1);
	assert_ok(v, pv_vault_batch_begin(v));
	int refused = 0;
	for (int k = 0; k < 100000 && !refused; k++) { /* until the writer's group failed */
		pv_record *rec = NULL;
		pv_rc rc = pv_get(v, &admin, "C00000003", &rec);
		refused = rc == PV_ERR_STORE;
		assert_true(refused ? rec == NULL : rec != NULL);
		pv_record_free(rec);
	}
	assert_true(refused);
	assert_int_equal(pv_vault_batch_end(v, PV_BATCH_COMMIT), PV_ERR_STORE);
	assert_non_null(strstr(pv_errmsg(v), "could not all be written"));
	refuse_inserts(f, "audit", "no_audit", 0);
	assert_int_equal(count_entries(f, "read", NULL), 30);
	verify_chain(f);
}

struct updater {
	struct fx *f;
	int failures;
};

/* Updates in their own transactions on a handle without the writer, while readers go
 * through it: both append to one chain. */
static void *update_many(void *p)
{
	struct updater *u = p;
	pv_vault *v = open_root(u->f);
	pv_access upd = { "admin", "service", PV_WANT_MASKED };
	for (unsigned k = 0; k < 20; k++) {
		char id[16];
		customer_id(id, sizeof id, k);
		if (pv_update(v, &upd, id, "email", k % 2 ? "a@example.com" : "b@example.com"))
			u->failures++;
	}
	pv_vault_close(v);
	return NULL;
}

static void direct_writers_interleave(void **state)
{
	struct fx *f = *state;
	pthread_t t[THREADS], tu;
	struct reader r[THREADS];
	struct updater u = { f, 0 };
	assert_int_equal(pthread_create(&tu, NULL, update_many, &u), 0);
	for (int i = 0; i < THREADS; i++) {
		r[i] = (struct reader){ f, i, 0, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, read_many, &r[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(r[i].failures, 0);
	}
	pthread_join(tu, NULL);
	assert_int_equal(u.failures, 0);
	assert_int_equal(count_entries(f, "read", NULL), THREADS * READS);
	assert_int_equal(count_entries(f, "update", NULL), 20);
	verify_chain(f);
}

/* A batch on a handle with a writer is for reads: a change inside it is refused, and
 * nothing of it is stored; after the batch the same change goes through. */
static void batch_refuses_changes(void **state)
{
	struct fx *f = *state;
	pv_vault *v = f->h[2];
	pv_access upd = { "admin", "service", PV_WANT_MASKED };
	assert_ok(v, pv_vault_batch_begin(v));
	assert_int_not_equal(pv_update(v, &upd, "C00000004", "email", "z@example.com"), PV_OK);
	assert_non_null(strstr(pv_errmsg(v), "batch of reads"));
	pv_record *rec = NULL;
	assert_ok(v, pv_get(v, &admin, "C00000004", &rec)); /* reads still go on */
	pv_record_free(rec);
	assert_ok(v, pv_vault_batch_end(v, PV_BATCH_COMMIT));
	assert_int_equal(count_entries(f, "update", NULL), 0);
	assert_ok(v, pv_update(v, &upd, "C00000004", "email", "z@example.com"));
	assert_int_equal(count_entries(f, "update", NULL), 1);
	verify_chain(f);
}

/* A handle of another vault cannot join; a handle cannot join twice; the writer does
 * not stop while a handle uses it. */
static void joining_and_stopping_rules(void **state)
{
	struct fx *f = *state;
	char *other = pvt_path(f->tmp, "other"), *okey = pvt_path(f->tmp, "other.key");
	pv_vault *o = pvt_sample_vault(other, okey, 2, 9, NULL);
	assert_int_equal(pv_vault_join_audit_writer(o, f->aw), PV_ERR_USAGE);
	assert_non_null(strstr(pv_errmsg(o), "another vault"));
	assert_int_equal(pv_vault_join_audit_writer(f->h[0], f->aw), PV_ERR_USAGE);
	assert_int_equal(pv_audit_writer_stop(f->aw), PV_ERR_USAGE);
	assert_non_null(strstr(pv_errmsg(NULL), "close them first"));
	pv_vault *w2 = open_root(f), *joined = open_root(f);
	assert_ok(joined, pv_vault_join_audit_writer(joined, f->aw));
	pv_audit_writer *aw2 = NULL;
	assert_int_equal(pv_audit_writer_start(joined, &aw2), PV_ERR_USAGE); /* a member */
	pv_vault_close(joined);
	pv_vault_close(w2);
	free(other);
	free(okey);
}

/* What a span's waiter was told, and the log as the writer's thread saw it then. */
struct told {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	const struct fx *f;
	const char *ids;
	int called, ok;
	long entries; /* entries for ids in the log when told (another connection's view) */
};

static void tell(void *ctx, int ok)
{
	struct told *t = ctx;
	long n = count_entries_or_fail(t->f, "read", t->ids);
	pthread_mutex_lock(&t->mu);
	t->called++;
	t->ok = ok;
	t->entries = n;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->mu);
}

static void told_init(struct told *t, const struct fx *f, const char *ids)
{
	*t = (struct told){ .f = f, .ids = ids };
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cond, NULL);
}

/* Wait (at most 20 s) until the waiter was told; then its ok. */
static int told_wait(struct told *t)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 20;
	pthread_mutex_lock(&t->mu);
	while (!t->called && pthread_cond_timedwait(&t->cond, &t->mu, &until) == 0)
		;
	int called = t->called, ok = t->ok;
	pthread_mutex_unlock(&t->mu);
	assert_int_equal(called, 1);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->mu);
	return ok;
}

/* A withheld read returns its record before its entry is durable; the waiter is told
 * only when it is (the entry is then in the log, seen from another connection). */
static void withheld_span_told_when_durable(void **state)
{
	struct fx *f = *state;
	pv_vault *v = f->h[2];
	assert_ok(v, pv_vault_withhold_begin(v));
	assert_int_equal(pv_vault_withhold_begin(v), PV_ERR_USAGE); /* one span at a time */
	for (int k = 0; k < 3; k++) {
		pv_record *rec = NULL;
		assert_ok(v, pv_get(v, &admin, "C00000005", &rec));
		assert_non_null(rec);
		pv_record_free(rec);
	}
	pv_audit_span span = pv_vault_withhold_end(v);
	assert_true(span.first > 0 && span.last == span.first + 2);
	struct told t;
	told_init(&t, f, "C00000005");
	assert_int_equal(pv_audit_writer_when_durable(f->aw, span, tell, &t), PV_OK);
	assert_int_equal(told_wait(&t), 1);
	assert_int_equal(t.entries, 3);

	told_init(&t, f, "C00000005"); /* resolved already: told at once, in this thread */
	assert_int_equal(pv_audit_writer_when_durable(f->aw, span, tell, &t), PV_OK);
	assert_int_equal(t.called, 1);
	assert_int_equal(told_wait(&t), 1);

	assert_ok(v, pv_vault_withhold_begin(v)); /* nothing read: an empty span, told at once */
	span = pv_vault_withhold_end(v);
	assert_true(span.first == 0 && span.last == 0);
	told_init(&t, f, "C00000005");
	assert_int_equal(pv_audit_writer_when_durable(f->aw, span, tell, &t), PV_OK);
	assert_int_equal(t.called, 1);
	assert_int_equal(told_wait(&t), 1);

	assert_ok(v, pv_vault_batch_begin(v)); /* not inside a batch */
	assert_int_equal(pv_vault_withhold_begin(v), PV_ERR_USAGE);
	assert_ok(v, pv_vault_batch_end(v, PV_BATCH_COMMIT));
	pv_vault *alone = open_root(f); /* nor on a handle without a writer */
	assert_int_equal(pv_vault_withhold_begin(alone), PV_ERR_USAGE);
	pv_vault_close(alone);
	verify_chain(f);
}

/* When the writer cannot commit a withheld entry, its span's waiter is told (ok 0), so
 * its caller shows nothing; the failure is that span's alone: the handle's next read,
 * withheld or not, works once the log can be written. */
static void withheld_failure_is_its_spans(void **state)
{
	struct fx *f = *state;
	pv_vault *v = f->h[3];
	refuse_inserts(f, "audit", "no_audit", 1);
	assert_ok(v, pv_vault_withhold_begin(v));
	pv_record *rec = NULL;
	assert_ok(v, pv_get(v, &admin, "C00000007", &rec)); /* returned, to be withheld */
	pv_record_free(rec);
	pv_audit_span failed = pv_vault_withhold_end(v);
	struct told t;
	told_init(&t, f, "C00000007");
	assert_int_equal(pv_audit_writer_when_durable(f->aw, failed, tell, &t), PV_OK);
	assert_int_equal(told_wait(&t), 0);
	assert_int_equal(t.entries, 0);
	refuse_inserts(f, "audit", "no_audit", 0);

	assert_ok(v, pv_get(v, &admin, "C00000007", &rec)); /* not the member's failure */
	pv_record_free(rec);
	assert_ok(v, pv_vault_withhold_begin(v));
	assert_ok(v, pv_get(v, &admin, "C00000007", &rec));
	pv_record_free(rec);
	pv_audit_span later = pv_vault_withhold_end(v);
	told_init(&t, f, "C00000007");
	assert_int_equal(pv_audit_writer_when_durable(f->aw, later, tell, &t), PV_OK);
	assert_int_equal(told_wait(&t), 1);
	assert_int_equal(t.entries, 2);
	told_init(&t, f, "C00000007"); /* asked again later, the failed span is still failed */
	assert_int_equal(pv_audit_writer_when_durable(f->aw, failed, tell, &t), PV_OK);
	assert_int_equal(told_wait(&t), 0);
	verify_chain(f);
}

/* A token's row that the log's group cannot store (a DBA's trigger refuses it) fails the
 * span: the token is never shown, and neither its row nor its entry is kept. */
static void token_row_refused_fails_its_span(void **state)
{
	struct fx *f = *state;
	pv_vault *v = f->h[1];
	refuse_inserts(f, "tokens", "no_tokens", 1);
	char *token = NULL, *value = NULL;
	assert_ok(v, pv_vault_withhold_begin(v));
	assert_ok(v, pv_tokenize(v, &admin, "C00000015", "phone", PV_TOKEN_RANDOM,
				 PV_TOKEN_OPAQUE, &token));
	pv_audit_span span = pv_vault_withhold_end(v);
	struct told t;
	told_init(&t, f, "C00000015");
	assert_int_equal(pv_audit_writer_when_durable(f->aw, span, tell, &t), PV_OK);
	assert_int_equal(told_wait(&t), 0);
	refuse_inserts(f, "tokens", "no_tokens", 0);
	assert_int_equal(count_entries_or_fail(f, "tokenize", "C00000015"), 0);
	assert_int_equal(pv_detokenize(f->h[2], &admin, token, &value), PV_ERR_NOT_FOUND);
	assert_null(value);
	pv_free(token);
	verify_chain(f);
}

/* A server stopping while a span still waits (its writer held up by a DBA's write lock)
 * closes the waiters: the one waiting is told at once, in the closing thread, that its
 * entries are not durable (ok 0), and never again, even once its entry is committed; nobody
 * is told afterwards (PV_ERR_BUSY), so nothing calls back into what the server frees. The
 * entry itself is committed as ever. */
static void closed_waiters_are_told_once_now(void **state)
{
	struct fx *f = *state;
	pv_vault *v = f->h[1];
	struct pvt_dba_lock *lock = pvt_dba_write_lock(f->dir);
	assert_ok(v, pv_vault_withhold_begin(v));
	pv_record *rec = NULL;
	assert_ok(v, pv_get(v, &admin, "C00000009", &rec));
	pv_record_free(rec);
	pv_audit_span span = pv_vault_withhold_end(v);
	struct told t;
	told_init(&t, f, "C00000009");
	assert_int_equal(pv_audit_writer_when_durable(f->aw, span, tell, &t), PV_OK);
	struct timespec nap = { 0, 50 * 1000000L };
	nanosleep(&nap, NULL);
	assert_int_equal(t.called, 0); /* the writer waits for the DBA's lock */

	pv_audit_writer_close_waiters(f->aw);
	assert_int_equal(t.called, 1); /* here and now: not durable */
	assert_int_equal(t.ok, 0);
	pvt_dba_unlock(lock);
	for (int i = 0; i < 400 && count_entries_or_fail(f, "read", "C00000009") < 1; i++)
		nanosleep(&nap, NULL);
	assert_int_equal(count_entries_or_fail(f, "read", "C00000009"), 1); /* committed */
	uint64_t groups = 0, entries = 0, later = 0;
	pv_audit_writer_counts(f->aw, &groups, &entries);
	for (int i = 0; i < 100 && later == entries; i++) { /* the group's end, waiters after */
		nanosleep(&nap, NULL);
		pv_audit_writer_counts(f->aw, &groups, &later);
	}
	nanosleep(&nap, NULL);
	pthread_mutex_lock(&t.mu);
	assert_int_equal(t.called, 1); /* not told again when its group committed */
	pthread_mutex_unlock(&t.mu);
	assert_int_equal(pv_audit_writer_when_durable(f->aw, span, tell, &t), PV_ERR_BUSY);
	assert_ok(v, pv_vault_withhold_begin(v)); /* a new span: nobody told either */
	assert_ok(v, pv_get(v, &admin, "C00000009", &rec));
	pv_record_free(rec);
	span = pv_vault_withhold_end(v);
	assert_int_equal(pv_audit_writer_when_durable(f->aw, span, tell, &t), PV_ERR_BUSY);
	assert_int_equal(t.called, 1);
	pthread_cond_destroy(&t.cond);
	pthread_mutex_destroy(&t.mu);
	verify_chain(f);
}

/* In a withheld span, a token takes no write lock (a DBA holds it meanwhile, and a call
 * that waited for it would fail): a deterministic one this customer has is found, a new
 * one's row rides with its entry through the writer and is stored with it once the lock
 * goes; outside a span a new token still waits for the lock. Every token then opens to
 * its customer's value. */
static void tokens_in_a_span_take_no_write_lock(void **state)
{
	struct fx *f = *state;
	pv_vault *v = f->h[0];
	char *made = NULL, *found = NULL, *fresh = NULL, *det = NULL, *other = NULL;
	assert_ok(v, pv_tokenize(v, &admin, "C00000011", "phone", PV_TOKEN_DETERMINISTIC,
				 PV_TOKEN_OPAQUE, &made));
	pv_set_wait(1, NULL, NULL); /* a call that waits for the lock fails after 1 s */
	struct pvt_dba_lock *lock = pvt_dba_write_lock(f->dir);
	/* outside a span, first (the wait it spends is the writer's allowance too: the
	 * span's group below waits for the same lock, and it must outlast the DBA's hold) */
	assert_int_equal(pv_tokenize(v, &admin, "C00000014", "phone", PV_TOKEN_RANDOM,
				     PV_TOKEN_OPAQUE, &other), PV_ERR_BUSY); /* its own write */
	assert_null(other);
	assert_ok(v, pv_vault_withhold_begin(v));
	assert_ok(v, pv_tokenize(v, &admin, "C00000011", "phone", PV_TOKEN_DETERMINISTIC,
				 PV_TOKEN_OPAQUE, &found));
	assert_string_equal(found, made);
	assert_ok(v, pv_tokenize(v, &admin, "C00000012", "phone", PV_TOKEN_RANDOM,
				 PV_TOKEN_LIKE_FIELD, &fresh));
	assert_ok(v, pv_tokenize(v, &admin, "C00000013", "phone", PV_TOKEN_DETERMINISTIC,
				 PV_TOKEN_OPAQUE, &det));
	pv_audit_span span = pv_vault_withhold_end(v);
	assert_true(span.first > 0 && span.last == span.first + 2);
	struct timespec nap = { 0, 200 * 1000000L };
	nanosleep(&nap, NULL);
	assert_int_equal(count_entries_or_fail(f, "tokenize", "C00000012"), 0); /* lock held */
	pvt_dba_unlock(lock);
	pv_set_wait(PV_WAIT_DEFAULT, NULL, NULL);
	struct told t;
	told_init(&t, f, "C00000011");
	assert_int_equal(pv_audit_writer_when_durable(f->aw, span, tell, &t), PV_OK);
	assert_int_equal(told_wait(&t), 1);
	assert_int_equal(count_entries_or_fail(f, "tokenize", "C00000011"), 2);
	assert_int_equal(count_entries_or_fail(f, "tokenize", "C00000012"), 1);
	const char *tokens[] = { made, fresh, det }, *ids[] = { "C00000011", "C00000012",
								"C00000013" };
	for (int i = 0; i < 3; i++) { /* through another handle */
		char *value = NULL;
		assert_ok(f->h[2], pv_detokenize(f->h[2], &admin, tokens[i], &value));
		pv_access clear = { "admin", "service", PV_WANT_CLEAR };
		pv_record *rec = NULL;
		assert_ok(f->h[2], pv_get(f->h[2], &clear, ids[i], &rec));
		size_t k = 0;
		while (k < pv_record_field_count(rec) && strcmp(pv_record_field_name(rec, k), "phone"))
			k++;
		assert_true(k < pv_record_field_count(rec));
		assert_string_equal(value, pv_record_field_value(rec, k));
		pv_record_free(rec);
		pv_free(value);
	}
	pv_free(made);
	pv_free(found);
	pv_free(fresh);
	pv_free(det);
	verify_chain(f);
}

/* One entry appended by h in a transaction of its own, committed or rolled back. */
static void direct_entry(pv_vault *h, const char *detail, int commit)
{
	struct pv_audit_event e = { "test entry", NULL, NULL, NULL, "ok", detail };
	assert_int_equal(pv_store_begin(h->store), 0);
	assert_ok(h, pv_audit_append(h, &e));
	if (commit)
		assert_int_equal(pv_store_commit(h->store), 0);
	else
		assert_int_equal(pv_store_rollback(h->store), 0);
}

/* A member's entry shares its tail before its commit; when its transaction rolls back,
 * the entry stored under its number is another one (here by a handle outside the writer,
 * as another process's), and the chain built on it stays whole. */
static void rolled_back_tail_never_built_on(void **state)
{
	struct fx *f = *state;
	direct_entry(f->h[0], "kept 1", 1);
	direct_entry(f->h[1], "rolled back", 0); /* shared its tail, then rolled back */
	pv_vault *outside = open_root(f);
	direct_entry(outside, "kept 0", 1); /* the same number, not shared */
	pv_vault_close(outside);
	direct_entry(f->h[0], "kept 1b", 1); /* not on the rolled-back tail */
	pv_record *rec = NULL;
	assert_ok(f->h[2], pv_get(f->h[2], &admin, "C00000009", &rec)); /* the writer's */
	pv_record_free(rec);
	direct_entry(f->h[3], "kept 2", 1); /* on the writer's tail */
	direct_entry(f->h[1], "kept 3", 1); /* its own tail is stale: the shared one */
	assert_ok(f->h[0], pv_get(f->h[0], &admin, "C00000009", &rec));
	pv_record_free(rec);
	assert_int_equal(count_entries(f, "test entry", NULL), 5);
	assert_int_equal(count_entries(f, "read", "C00000009"), 2);
	verify_chain(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(concurrent_reads_share_commits, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(failed_group_shows_nothing, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(batch_is_durable_at_its_end, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(direct_writers_interleave, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(batch_refuses_changes, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(joining_and_stopping_rules, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(withheld_span_told_when_durable, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(token_row_refused_fails_its_span, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(tokens_in_a_span_take_no_write_lock, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(closed_waiters_are_told_once_now, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(withheld_failure_is_its_spans, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(rolled_back_tail_never_built_on, fx_setup,
						fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
