/* SPDX-License-Identifier: Apache-2.0 */
/* audit_writer.c: one writer of the audit log for many handles of a vault in one process
 * (a server's threads, a multi-threaded reader). A handle that joined a writer queues its
 * entries here instead of committing each with a sync of its own; the writer's thread
 * takes everything queued, commits it in one transaction on its own handle (one sync for
 * the whole group) and wakes those who wait. A caller outside a batch waits until its
 * entry's group is durable, so nothing it shows precedes its entry on disk; inside a
 * batch (pv_vault_batch_begin) it goes on at once and waits at the batch's end, as a
 * batch's entries become durable at its end on any handle. What appends an entry is
 * audit.c's, handed in at start: this file only queues, commits in order and reports. */
#include "audit_writer.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The most entries one transaction takes, and the most a queue holds before a caller
 * that does not wait is made to (so a fast reader cannot outrun the disk without
 * bound). */
#define GROUP_MAX 8192
#define QUEUE_MAX 65536
/* When nobody waits for the entries queued (all from batches), the writer lets a group
 * grow this long, or to LINGER_ENTRIES, before committing: each commit makes every other
 * handle's next read start over with an empty page cache (SQLite's rule after another
 * connection wrote), so fewer, larger commits keep readers fast. */
#define LINGER_NS 5000000L
#define LINGER_ENTRIES 2048
/* The failed groups' ticket ranges remembered for withheld spans resolved later (a group
 * fails only when the disk or the log does; older failures make a span count as failed). */
#define FAILURES_KEPT 16

/* Who waits, without a thread, for a withheld span's entries (first..last). */
struct pv_audit_waiter {
	struct pv_audit_waiter *next;
	uint64_t first, last;
	void (*done)(void *ctx, int ok);
	void *ctx;
	int failed;
};

struct pv_audit_writer {
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	pthread_t thread;
	pv_vault *w;
	pv_audit_commit_fn commit;
	struct pv_audit_item *head, *tail;
	size_t queued;
	uint64_t next_ticket, resolved; /* every ticket up to resolved is committed or failed */
	int stopping;
	unsigned waiting; /* callers waiting for their entries */
	unsigned members;
	uint64_t commits, entries;
	struct pv_audit_waiter *waiters; /* withheld spans not yet resolved */
	int firing;            /* telling resolved waiters (the lock released meanwhile) */
	int waiters_closed;    /* pv_audit_writer_close_waiters: nobody is told any more */
	uint64_t failed_first[FAILURES_KEPT], failed_last[FAILURES_KEPT];
	uint64_t failures; /* groups that failed; the last FAILURES_KEPT kept above */
	struct pv_audit_tail log_tail; /* pv_audit_writer_tail_publish (valid when set) */
};

/* An event's strings copied after the item, so a caller that goes on leaves nothing
 * behind that it may change. */
static char *put(char **p, const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *at = memcpy(*p, s, n);
	*p += n;
	return at;
}

static size_t len0(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

static struct pv_audit_item *item_new(const struct pv_audit_event *e, const char *principal)
{
	size_t n = len0(e->op) + len0(e->ids) + len0(e->purpose) + len0(e->request) +
		   len0(e->outcome) + len0(e->detail) + len0(principal);
	struct pv_audit_item *it = malloc(sizeof *it + n);
	if (!it)
		return NULL;
	char *p = it->text;
	it->next = NULL;
	it->e.op = put(&p, e->op);
	it->e.ids = put(&p, e->ids);
	it->e.purpose = put(&p, e->purpose);
	it->e.request = put(&p, e->request);
	it->e.outcome = put(&p, e->outcome);
	it->e.detail = put(&p, e->detail);
	it->principal = put(&p, principal);
	it->rider = (struct pv_audit_rider){ 0 };
	return it;
}

static void item_free(struct pv_audit_item *it)
{
	if (it->rider.free)
		it->rider.free(it->rider.data);
	free(it);
}

/* Mark the items of a group resolved (failed with why when ok is 0) and free them. A
 * withheld item's failure is its span's (pv_audit_writer_when_resolved), not its member's:
 * the request that queued it has ended, and the next one on the handle did not fail. */
static void resolve(struct pv_audit_writer *aw, struct pv_audit_item *it, int ok,
		    const char *why)
{
	if (!ok && it) {
		unsigned slot = aw->failures++ % FAILURES_KEPT;
		aw->failed_first[slot] = it->ticket;
		aw->failed_last[slot] = it->ticket;
		for (const struct pv_audit_item *i = it; i; i = i->next)
			aw->failed_last[slot] = i->ticket;
	}
	while (it) {
		struct pv_audit_item *next = it->next;
		if (!ok && !it->withheld && !it->member->failed) {
			it->member->failed = 1;
			snprintf(it->member->why, sizeof it->member->why, "%s", why);
		}
		aw->resolved = it->ticket;
		aw->entries += ok;
		item_free(it);
		it = next;
	}
	aw->commits += ok;
}

/* Detach up to GROUP_MAX queued items (the lock held). */
static struct pv_audit_item *take_group(struct pv_audit_writer *aw)
{
	struct pv_audit_item *first = aw->head, *last = first;
	size_t n = 1;
	while (last->next && n < GROUP_MAX) {
		last = last->next;
		n++;
	}
	aw->head = last->next;
	if (!aw->head)
		aw->tail = NULL;
	last->next = NULL;
	aw->queued -= n;
	return first;
}

/* With the lock held and entries queued that nobody waits for: let the group grow for
 * up to LINGER_NS, until someone waits, or LINGER_ENTRIES are queued. */
static void linger(struct pv_audit_writer *aw)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += LINGER_NS;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (!aw->waiting && !aw->stopping && aw->queued < LINGER_ENTRIES &&
	       pthread_cond_timedwait(&aw->work, &aw->mu, &until) == 0)
		;
}

/* 1 when a group that held one of the tickets first..last failed (the lock held). */
static int span_failed(const struct pv_audit_writer *aw, uint64_t first, uint64_t last)
{
	uint64_t kept = aw->failures < FAILURES_KEPT ? aw->failures : FAILURES_KEPT;
	uint64_t oldest = UINT64_MAX;
	for (uint64_t k = 0; k < kept; k++) {
		if (aw->failed_first[k] <= last && first <= aw->failed_last[k])
			return 1;
		if (aw->failed_first[k] < oldest)
			oldest = aw->failed_first[k];
	}
	return aw->failures > FAILURES_KEPT && first < oldest; /* forgotten failures: assume */
}

/* Tell the waiters whose spans are resolved now (the lock held; released while telling,
 * so a waiter's done may take locks of its own). */
static void fire_resolved(struct pv_audit_writer *aw)
{
	struct pv_audit_waiter *ready = NULL, **at = &aw->waiters;
	while (*at) {
		struct pv_audit_waiter *w = *at;
		if (w->last > aw->resolved) {
			at = &w->next;
			continue;
		}
		*at = w->next;
		w->next = ready;
		ready = w;
		w->failed = span_failed(aw, w->first, w->last);
		aw->waiting--;
	}
	if (!ready)
		return;
	aw->firing = 1;
	pthread_mutex_unlock(&aw->mu);
	while (ready) {
		struct pv_audit_waiter *next = ready->next;
		ready->done(ready->ctx, !ready->failed);
		free(ready);
		ready = next;
	}
	pthread_mutex_lock(&aw->mu);
	aw->firing = 0;
	pthread_cond_broadcast(&aw->done); /* pv_audit_writer_close_waiters waits for this */
}

int pv_audit_writer_when_resolved(pv_audit_writer *aw, uint64_t first, uint64_t last,
				  void (*done)(void *ctx, int ok), void *ctx)
{
	pthread_mutex_lock(&aw->mu);
	if (aw->waiters_closed) {
		pthread_mutex_unlock(&aw->mu);
		return -2;
	}
	if (last <= aw->resolved) {
		int failed = span_failed(aw, first, last);
		pthread_mutex_unlock(&aw->mu);
		done(ctx, !failed);
		return 0;
	}
	struct pv_audit_waiter *w = malloc(sizeof *w);
	if (!w) {
		pthread_mutex_unlock(&aw->mu);
		return -1;
	}
	*w = (struct pv_audit_waiter){ aw->waiters, first, last, done, ctx, 0 };
	aw->waiters = w;
	aw->waiting++; /* a lingering writer commits now: someone waits */
	pthread_cond_signal(&aw->work);
	pthread_mutex_unlock(&aw->mu);
	return 0;
}

void pv_audit_writer_tail_publish(pv_audit_writer *aw, const struct pv_audit_tail *t)
{
	pthread_mutex_lock(&aw->mu);
	if (t->valid && (!aw->log_tail.valid || t->seq >= aw->log_tail.seq))
		aw->log_tail = *t;
	pthread_mutex_unlock(&aw->mu);
}

int pv_audit_writer_tail_take(pv_audit_writer *aw, uint64_t seq, const uint8_t *head,
			      struct pv_audit_tail *t)
{
	pthread_mutex_lock(&aw->mu);
	int same = aw->log_tail.valid && aw->log_tail.seq == seq &&
		   memcmp(aw->log_tail.head, head, sizeof aw->log_tail.head) == 0;
	if (same)
		*t = aw->log_tail;
	pthread_mutex_unlock(&aw->mu);
	return same;
}

pv_rc pv_audit_writer_when_durable(pv_audit_writer *aw, pv_audit_span span,
				   void (*done)(void *ctx, int ok), void *ctx)
{
	if (!span.last) { /* nothing was withheld */
		done(ctx, 1);
		return PV_OK;
	}
	int r = pv_audit_writer_when_resolved(aw, span.first, span.last, done, ctx);
	return r == 0 ? PV_OK : r == -2 ? PV_ERR_BUSY : PV_ERR_NOMEM;
}

void pv_audit_writer_close_waiters(pv_audit_writer *aw)
{
	if (!aw)
		return;
	pthread_mutex_lock(&aw->mu);
	aw->waiters_closed = 1;
	struct pv_audit_waiter *left = aw->waiters;
	aw->waiters = NULL;
	for (struct pv_audit_waiter *w = left; w; w = w->next)
		aw->waiting--;
	while (aw->firing) /* a done already under way returns first */
		pthread_cond_wait(&aw->done, &aw->mu);
	pthread_mutex_unlock(&aw->mu);
	while (left) { /* not known durable: told so, here and now */
		struct pv_audit_waiter *next = left->next;
		left->done(left->ctx, 0);
		free(left);
		left = next;
	}
}

static void *run(void *p)
{
	struct pv_audit_writer *aw = p;
	pthread_mutex_lock(&aw->mu);
	for (;;) {
		while (!aw->head && !aw->stopping)
			pthread_cond_wait(&aw->work, &aw->mu);
		if (!aw->head)
			break; /* stopping, and nothing left */
		if (!aw->waiting)
			linger(aw);
		struct pv_audit_item *group = take_group(aw);
		pthread_cond_broadcast(&aw->done); /* room in the queue again */
		pthread_mutex_unlock(&aw->mu);
		char why[256] = "";
		int ok = aw->commit(aw->w, group, why, sizeof why) == 0;
		pthread_mutex_lock(&aw->mu);
		resolve(aw, group, ok, why);
		pthread_cond_broadcast(&aw->done);
		fire_resolved(aw);
	}
	pthread_mutex_unlock(&aw->mu);
	return NULL;
}

int pv_audit_writer_run(pv_vault *w, pv_audit_commit_fn commit, pv_audit_writer **out)
{
	struct pv_audit_writer *aw = calloc(1, sizeof *aw);
	if (!aw)
		return -1;
	aw->w = w;
	aw->commit = commit;
	w->audit_writing = aw; /* its commits publish the tail they leave */
	pthread_mutex_init(&aw->mu, NULL);
	pthread_cond_init(&aw->work, NULL);
	pthread_cond_init(&aw->done, NULL);
	if (pthread_create(&aw->thread, NULL, run, aw) != 0) {
		w->audit_writing = NULL;
		pthread_cond_destroy(&aw->done);
		pthread_cond_destroy(&aw->work);
		pthread_mutex_destroy(&aw->mu);
		free(aw);
		return -1;
	}
	*out = aw;
	return 0;
}

pv_vault *pv_audit_writer_handle(const pv_audit_writer *aw)
{
	return aw->w;
}

/* Wait until every ticket up to t is resolved (the lock held). */
static void wait_for(struct pv_audit_writer *aw, uint64_t t)
{
	if (aw->resolved >= t)
		return;
	aw->waiting++;
	pthread_cond_signal(&aw->work); /* a lingering writer commits now */
	while (aw->resolved < t)
		pthread_cond_wait(&aw->done, &aw->mu);
	aw->waiting--;
}

/* The member's failure, if any, into why, and cleared: -1 if there was one. */
static int take_failure(struct pv_audit_member *m, char *why, size_t whylen)
{
	if (!m->failed)
		return 0;
	snprintf(why, whylen, "%s", m->why);
	m->failed = 0;
	return -1;
}

/* Queue item it (see pv_audit_member_queue). */
static int queue_item(struct pv_audit_member *m, struct pv_audit_item *it, int wait,
		      char *why, size_t whylen)
{
	struct pv_audit_writer *aw = m->writer;
	it->member = m;
	it->withheld = 0;
	pthread_mutex_lock(&aw->mu);
	while (aw->queued >= QUEUE_MAX) /* the disk is behind: wait for room */
		pthread_cond_wait(&aw->done, &aw->mu);
	if (m->deferring && m->failed) {
		/* an earlier entry of the batch failed: nothing more is shown in it (the failure
		 * stays for the batch's end to report) */
		snprintf(why, whylen, "%s", m->why);
		pthread_mutex_unlock(&aw->mu);
		item_free(it);
		return -1;
	}
	it->ticket = ++aw->next_ticket;
	m->last_ticket = it->ticket;
	if (wait && m->withholding) { /* its caller withholds what it shows instead of waiting */
		it->withheld = 1;
		wait = 0;
		if (!m->withheld_first)
			m->withheld_first = it->ticket;
		m->withheld_last = it->ticket;
	}
	if (aw->tail)
		aw->tail->next = it;
	else
		aw->head = it;
	aw->tail = it;
	aw->queued++;
	if (aw->queued == 1 || aw->queued == LINGER_ENTRIES) /* an idle or lingering writer */
		pthread_cond_signal(&aw->work);
	int rc = 0;
	if (wait && !m->deferring) {
		wait_for(aw, m->last_ticket);
		rc = take_failure(m, why, whylen);
	}
	pthread_mutex_unlock(&aw->mu);
	return rc;
}

int pv_audit_member_queue(struct pv_audit_member *m, const struct pv_audit_event *e,
			  const char *principal, int wait, char *why, size_t whylen)
{
	struct pv_audit_item *it = item_new(e, principal);
	if (!it) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	return queue_item(m, it, wait, why, whylen);
}

int pv_audit_member_queue_riding(struct pv_audit_member *m, const struct pv_audit_event *e,
				 const char *principal, const struct pv_audit_rider *r,
				 char *why, size_t whylen)
{
	struct pv_audit_item *it = m->withholding && !m->deferring ? item_new(e, principal)
								   : NULL;
	if (!it) {
		snprintf(why, whylen, m->withholding && !m->deferring ? "out of memory"
			 : "a row rides only in a withheld span");
		if (r->free)
			r->free(r->data);
		return -1;
	}
	it->rider = *r;
	return queue_item(m, it, 1, why, whylen);
}

int pv_audit_member_settle(struct pv_audit_member *m, char *why, size_t whylen)
{
	struct pv_audit_writer *aw = m->writer;
	if (!aw)
		return 0;
	pthread_mutex_lock(&aw->mu);
	wait_for(aw, m->last_ticket);
	int rc = take_failure(m, why, whylen);
	pthread_mutex_unlock(&aw->mu);
	return rc;
}

int pv_audit_member_join(struct pv_audit_member *m, pv_audit_writer *aw)
{
	if (m->writer)
		return -1;
	pthread_mutex_lock(&aw->mu);
	aw->members++;
	pthread_mutex_unlock(&aw->mu);
	memset(m, 0, sizeof *m);
	m->writer = aw;
	return 0;
}

void pv_audit_member_leave(struct pv_audit_member *m)
{
	struct pv_audit_writer *aw = m->writer;
	if (!aw)
		return;
	pthread_mutex_lock(&aw->mu);
	wait_for(aw, m->last_ticket); /* the writer's thread is done with m */
	aw->members--;
	pthread_mutex_unlock(&aw->mu);
	m->writer = NULL;
}

void pv_audit_writer_counts(pv_audit_writer *aw, uint64_t *commits, uint64_t *entries)
{
	pthread_mutex_lock(&aw->mu);
	*commits = aw->commits;
	*entries = aw->entries;
	pthread_mutex_unlock(&aw->mu);
}

pv_vault *pv_audit_writer_end(pv_audit_writer *aw)
{
	if (!aw)
		return NULL;
	pthread_mutex_lock(&aw->mu);
	aw->stopping = 1;
	pthread_cond_signal(&aw->work);
	pthread_mutex_unlock(&aw->mu);
	pthread_join(aw->thread, NULL); /* what was queued is committed first */
	pv_vault *w = aw->w;
	w->audit_writing = NULL;
	pthread_cond_destroy(&aw->done);
	pthread_cond_destroy(&aw->work);
	pthread_mutex_destroy(&aw->mu);
	free(aw);
	return w;
}

unsigned pv_audit_writer_members(pv_audit_writer *aw)
{
	pthread_mutex_lock(&aw->mu);
	unsigned n = aw->members;
	pthread_mutex_unlock(&aw->mu);
	return n;
}
