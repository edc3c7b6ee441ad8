/* SPDX-License-Identifier: Apache-2.0 */
/* audit_writer.h: the queue of audit entries that many handles of a vault share with one
 * writer (audit_writer.c), and a handle's membership in it (struct pv_audit_member, in
 * vault.h). */
#ifndef PV_AUDIT_WRITER_H
#define PV_AUDIT_WRITER_H
#include "audit.h"

/* A row that rides with an entry: stored by the writer in the entry's group transaction,
 * just before the entry, so that both are kept or neither (a request that changes one row,
 * such as a token made, then shares its group's sync instead of committing its own).
 * apply runs on the writer's handle w: 0, or -1 with why (the whole group fails). free
 * releases data (wiping what must be), whatever became of it. */
struct pv_audit_rider {
	int (*apply)(pv_vault *w, void *data, char *why, size_t whylen);
	void (*free)(void *data);
	void *data;
};

/* One queued entry: the event and who acted, its strings copied into text. */
struct pv_audit_item {
	struct pv_audit_item *next;
	struct pv_audit_member *member;
	uint64_t ticket;
	int withheld; /* queued in a withheld span: its failure goes to the span's waiter */
	struct pv_audit_rider rider; /* apply NULL: none */
	struct pv_audit_event e;
	const char *principal;
	char text[];
};

/* Append the group of items (linked by next) and commit them on the writer's handle w:
 * 0, or -1 with why (the group rolled back, nothing of it stored). */
typedef int (*pv_audit_commit_fn)(pv_vault *w, const struct pv_audit_item *group, char *why,
				  size_t whylen);

/* Start the writer's thread on handle w, committing with commit: 0, or -1. */
int pv_audit_writer_run(pv_vault *w, pv_audit_commit_fn commit, pv_audit_writer **out);
pv_vault *pv_audit_writer_handle(const pv_audit_writer *aw);
/* Stop: what is queued is committed first. Returns the writer's handle (not closed). */
pv_vault *pv_audit_writer_end(pv_audit_writer *aw);
unsigned pv_audit_writer_members(pv_audit_writer *aw);

/* Queue e as principal's entry. With wait, outside a batch (m->deferring 0), wait until
 * its group is committed: 0 when it is durable, -1 with why when not (or when an entry
 * queued before it without waiting failed). Else 0 once queued, -1 with why if an
 * earlier entry of the batch failed (this one is then not queued). */
int pv_audit_member_queue(struct pv_audit_member *m, const struct pv_audit_event *e,
			  const char *principal, int wait, char *why, size_t whylen);
/* Queue e with rider r, in m's withheld span (the caller withholds its answer until the
 * span is durable): 0, or -1 with why. r's data is the writer's from now on, even on
 * failure. */
int pv_audit_member_queue_riding(struct pv_audit_member *m, const struct pv_audit_event *e,
				 const char *principal, const struct pv_audit_rider *r,
				 char *why, size_t whylen);
/* Call done(ctx, ok) once every entry numbered first..last is resolved: ok 1 when all were
 * committed, 0 when one of them failed. At once in this thread when they already are,
 * else in the writer's thread after its group. 0, or -1 when out of memory, -2 after
 * pv_audit_writer_close_waiters (either way nothing will be called). */
int pv_audit_writer_when_resolved(pv_audit_writer *aw, uint64_t first, uint64_t last,
				  void (*done)(void *ctx, int ok), void *ctx);
/* The latest tail of the log (last sequence number, chain head, Merkle state) written in
 * this process, shared by the writer and its members: a handle appending in a transaction
 * of its own after others appended copies it rather than rebuilding the tree from the
 * last checkpoint. Publish a tail just written (committed or about to be: a tail whose
 * transaction rolls back is never taken); take copies the shared one into *t when it is
 * at seq with head, the last entry the taker sees stored (1), else leaves *t (0). */
void pv_audit_writer_tail_publish(pv_audit_writer *aw, const struct pv_audit_tail *t);
int pv_audit_writer_tail_take(pv_audit_writer *aw, uint64_t seq, const uint8_t *head,
			      struct pv_audit_tail *t);
/* Wait until every entry m queued is committed: 0, or -1 with why if one failed. */
int pv_audit_member_settle(struct pv_audit_member *m, char *why, size_t whylen);
/* Join writer aw (-1 if m is already a member) / leave it, after its entries settled. */
int pv_audit_member_join(struct pv_audit_member *m, pv_audit_writer *aw);
void pv_audit_member_leave(struct pv_audit_member *m);
#endif
