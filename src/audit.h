/* SPDX-License-Identifier: Apache-2.0 */
/* audit.h: appending to the tamper-evident audit log from inside the library. Every
 * operation records one entry (who, what, which customer ids, purpose, request, outcome;
 * never a value); an operation whose entry cannot be written is not carried out. */
#ifndef PV_AUDIT_H
#define PV_AUDIT_H

#include "idset.h"
#include "vault.h"

/* What an operation records. NULL strings are stored as "". */
struct pv_audit_event {
	const char *op;      /* the operation's name: "read", "import", "export", ... */
	const char *ids;     /* customer ids touched, comma-separated; "*" for all */
	const char *purpose; /* the declared purpose */
	const char *request; /* the approval request id */
	const char *outcome; /* "ok", "denied", "failed" */
	const char *detail;  /* short, value-free: counts, the refusal's reason */
};

/* Append one entry: in the store's open transaction if there is one (so it commits or
 * rolls back with the operation), else in a transaction of its own. Signs a checkpoint
 * when the log has grown by the automatic interval and the vault's keys are at hand.
 * PV_ERR_STORE (message saying the operation was refused) when it cannot be written. */
pv_rc pv_audit_append(pv_vault *v, const struct pv_audit_event *e);

/* pv_audit_append for an operation that shows no data (a session's use): through an
 * audit writer it goes on without waiting for the entry to be durable; the handle's next
 * entry that waits covers it (entries are committed in order), and a failure of it is
 * reported there. Without a writer, the same as pv_audit_append. */
pv_rc pv_audit_append_showing_nothing(pv_vault *v, const struct pv_audit_event *e);

/* 1 when v's next entry would go through an audit writer in a withheld span (a server's
 * request that withholds its answer until the span is durable), outside any transaction:
 * then a change of one row may ride with its entry (pv_audit_append_riding) and share the
 * group's sync instead of committing on its own. */
int pv_audit_rides(const pv_vault *v);
/* Queue e with a row that the writer stores in e's group transaction just before it
 * (struct pv_audit_rider, audit_writer.h): both are kept, or neither and the span fails.
 * The rider's data is taken whatever happens. PV_ERR_USAGE unless pv_audit_rides(v). */
struct pv_audit_rider;
pv_rc pv_audit_append_riding(pv_vault *v, const struct pv_audit_event *e,
			     const struct pv_audit_rider *rider);

/* Before a read of the audit log: a server handle's lingering read (which began before the
 * audit writer committed the latest entries) ends, so that the read sees every entry. */
void pv_audit_fresh(pv_vault *v);
/* End the open transaction of a change: when rc is PV_OK, append e and commit; on any
 * failure (rc, the entry, the commit) roll everything back. Returns the outcome. */
pv_rc pv_audit_commit(pv_vault *v, const struct pv_audit_event *e, pv_rc rc);

/* Record the outcome of an operation that failed with rc (its message already on v),
 * keeping that message; returns rc. The entry's own failure is added to the message. */
pv_rc pv_audit_failure(pv_vault *v, pv_rc rc, const char *op, const char *ids,
		       const char *purpose);

/* pv_audit_verify without its permission check and without an audit entry of its own
 * (for pv_doctor, which writes one entry for the whole check). */
pv_rc pv_audit_verify_quiet(pv_vault *v, const char *checkpoint_text, char **report);

/* Record that an operation committed but a step after its commit failed (rc, its message
 * on v, which is kept): an entry with outcome "incomplete" beside the operation's own.
 * Returns rc. */
pv_rc pv_audit_incomplete(pv_vault *v, pv_rc rc, const char *op, const char *ids);

/* A listing that shows customer ids goes over its rows twice: pv_shown_row in each row
 * returns 0 in the first pass (the id gathered; -1 when out of memory); pv_shown_audit
 * then appends e (its ids: those gathered, sorted, each once) and turns to showing, where
 * pv_shown_row returns 1 for a row whose id the entry names, 0 for any other (a row
 * added since is not shown). */
struct pv_shown {
	struct pv_idset ids;
	int showing;
};
int pv_shown_row(struct pv_shown *s, const char *id);
pv_rc pv_shown_audit(pv_vault *v, struct pv_shown *s, struct pv_audit_event *e);
void pv_shown_free(struct pv_shown *s);

/* 1 when stored checkpoint c's signature verifies under the vault's key over what it covers
 * (vault id, size, chain head, Merkle root, time); 0 otherwise, or when the handle has no
 * keys. */
int pv_audit_checkpoint_signed(pv_vault *v, const struct pv_audit_checkpoint *c);

/* Entries between automatic checkpoints. */
#define PV_AUDIT_CHECKPOINT_EVERY 1024

#endif
