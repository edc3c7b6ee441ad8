/* SPDX-License-Identifier: Apache-2.0 */
/* store.h: the storage interface: what the vault keeps (metadata, sealed customers,
 * blind-index entries, consent records) without knowing how. store_sqlite.c is the
 * embedded implementation. Nothing passed here is ever plaintext personal data.
 * Functions return 0 on success, -1 on error (message in pv_store_errmsg), and lookups
 * return 1 for "not found". */
#ifndef PV_STORE_H
#define PV_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

struct pv_store;

#define PV_GROUPS 3          /* sealed groups per customer: one per category */
#define PV_BLIND_BYTES 16    /* stored blind-index length */

/* One customer as stored: sealed data key and sealed field groups. Pointers are
 * borrowed (until the next store call when returned by the store). */
struct pv_stored_customer {
	int64_t rid;
	const char *id;
	uint32_t bucket;
	uint32_t bucket_gen;
	uint32_t dek_version;
	const uint8_t *wdek;
	size_t wdek_len;
	const uint8_t *group[PV_GROUPS];
	size_t group_len[PV_GROUPS];
	int malformed; /* set by the store when a stored number is out of range */
};

/* Open (create = 1: create and set up the schema) the database at path. NULL with the
 * reason in err; errno is then EBUSY when another process's write lock was held longer
 * than the process may wait (pv_set_wait). */
struct pv_store *pv_store_open(const char *path, int create, char *err, size_t errlen);
void pv_store_close(struct pv_store *s);
/* Close without checkpointing the write-ahead log: after a refused open, so the files
 * stay exactly as they were. */
void pv_store_close_untouched(struct pv_store *s);
const char *pv_store_errmsg(struct pv_store *s);

/* 1 when the store's last failure was a wait for another process's write lock that ran
 * out (pv_set_wait's limit): the operation failed because the vault was busy. */
int pv_store_busy(const struct pv_store *s);
/* Waiting in the caller's own loop for something another process holds (one call per
 * try; first = 1 at the first try): 1 after a short sleep (the process's note function
 * told once the wait lasted PV_WAIT_NOTE_MS, with what and why), 0 once the process's
 * limit is reached; afterwards s's message may be set with pv_store_note_busy. */
int pv_store_wait_step(struct pv_store *s, int first, const char *what, const char *why);
/* Record on s that a wait ran out (the message says how long it lasted); returns -1. */
int pv_store_note_busy(struct pv_store *s);
/* Seconds on a clock that only goes forward. */
double pv_store_monotonic(void);

int pv_store_begin(struct pv_store *s);
/* A transaction for reading only (one snapshot for several reads, without taking the
 * writer's lock); ended by commit or rollback as any. Inside an open transaction, a
 * savepoint as pv_store_begin. */
int pv_store_read_begin(struct pv_store *s);
/* End every row read still borrowed (its pointers are then invalid), so that no read
 * keeps its snapshot of the database once the transaction ends. */
void pv_store_release_rows(struct pv_store *s);
int pv_store_commit(struct pv_store *s);
/* A number naming the transaction in progress (each begin gets a new one), or 0 outside
 * any transaction: lets a cache know it is still inside the transaction it was made in. */
uint64_t pv_store_txn_id(struct pv_store *s);
int pv_store_rollback(struct pv_store *s);
/* Point reads (a lookup, a record by id): on = 1 reads pages through a memory map of the
 * database, without copying each into the page cache; every walk of a whole table and
 * every bulk load turns it off again, so their memory stays bounded whatever the size.
 * Off when the store opens. */
void pv_store_map_reads(struct pv_store *s, int on);

/* Metadata. get: *val malloc'd (NUL-terminated beyond len); 1 when absent. */
int pv_store_meta_get(struct pv_store *s, const char *key, uint8_t **val, size_t *len);
int pv_store_meta_put(struct pv_store *s, const char *key, const void *val, size_t len);

/* The stable number of a field name in blind-index entries, assigned on first use. */
int pv_store_field_number(struct pv_store *s, const char *name, int *num);

/* Insert a new customer; *rid receives its row id. 1 when the id exists already. */
int pv_store_customer_insert(struct pv_store *s, const struct pv_stored_customer *c,
			     int64_t *rid);
/* Read a customer by id (out's pointers borrowed until the next call); 1 when absent. */
int pv_store_customer_get(struct pv_store *s, const char *id, struct pv_stored_customer *out);
/* The same by row id (as the blind index gives them). */
int pv_store_customer_get_rid(struct pv_store *s, int64_t rid, struct pv_stored_customer *out);
/* Replace one sealed group of a customer. */
int pv_store_customer_set_group(struct pv_store *s, int64_t rid, int group,
				const uint8_t *sealed, size_t len);
typedef int (*pv_store_customer_fn)(void *ctx, const struct pv_stored_customer *c);

/* Replace a customer's wrapped data key and its bucket generation. */
int pv_store_customer_set_wdek(struct pv_store *s, int64_t rid, uint32_t gen,
			       const uint8_t *wdek, size_t len);
/* How a shred re-wraps the data keys of the buckets it re-keys: new_gen(ctx, bucket)
 * gives a bucket's new (non-zero) generation, 0 for a bucket left as it is; fn(ctx, c,
 * out) writes c's data key sealed under its bucket's new key into out (0), or fails
 * (non-zero: the pass stops and nothing of it stays). */
struct pv_store_rewrap {
	uint32_t (*new_gen)(void *ctx, uint32_t bucket);
	int (*fn)(void *ctx, const struct pv_stored_customer *c,
		  uint8_t out[PV_KEY_BYTES + PV_SEAL_OVERHEAD]);
	void *ctx;
};
/* 1 if a customer of bucket still has a data key wrapped by a generation below gen (an
 * index lookup: its cost does not grow with the number of customers). */
int pv_store_bucket_behind(struct pv_store *s, uint32_t bucket, uint32_t gen);
/* Tests only: what the calls of pv_store_bucket_behind cost so far on this store, in
 * calls, SQLite virtual-machine steps, and steps of full table scans. */
struct pv_store_bucket_checks {
	uint64_t queries, steps, scan_steps;
};
struct pv_store_bucket_checks pv_store_bucket_check_counts(const struct pv_store *s);

/* Customers with id > after (NULL: all) in id order, at most limit (0: no limit); fn
 * returning non-zero stops (then returned as is). */
int pv_store_customer_scan(struct pv_store *s, const char *after, size_t limit,
			   pv_store_customer_fn fn, void *ctx);
int pv_store_customer_count(struct pv_store *s, uint64_t *n);

/* Blind index: add one entry. */
int pv_store_index_add(struct pv_store *s, int field_num, const uint8_t *h, int64_t rid);
/* A bulk load's entries, in (field, hash, row id) order: each postings row is written
 * once, when the next entry falls in another; flush writes the last. */
int pv_store_index_add_sorted(struct pv_store *s, int field_num, const uint8_t *h, int64_t rid);
int pv_store_index_flush(struct pv_store *s);
/* Customers whose entry for field_num equals h, in id order: fn gets each one's row
 * (borrowed for the call) until it answers nonzero. */
int pv_store_index_lookup(struct pv_store *s, int field_num, const uint8_t *h,
			  int (*fn)(void *ctx, const struct pv_stored_customer *c), void *ctx);
/* Replace a customer's entry old_h for a field by h (either may be NULL: nothing to
 * remove, nothing to add). */
int pv_store_index_replace(struct pv_store *s, int64_t rid, int field_num,
			   const uint8_t *old_h, const uint8_t *h);
/* Row ids (at most max, ascending, count in *n) of customers with entry h for field_num
 * and a row id below `below`. */
int pv_store_index_rids_below(struct pv_store *s, int field_num, const uint8_t *h,
			      int64_t below, int64_t *rids, size_t max, size_t *n);
/* The customer id of row rid into id (cap bytes); 1 when absent. Unlike every other read
 * it sees an unfinished import's rows: the import names its own duplicates with it. */
int pv_store_customer_id(struct pv_store *s, int64_t rid, char *id, size_t cap);

/* Consent records: purpose name, granted (1/0), when, by what channel. */
int pv_store_consent_put(struct pv_store *s, int64_t rid, const char *purpose, int granted,
			 const char *at, const char *channel);
int pv_store_consent_scan(struct pv_store *s, int64_t rid,
			  int (*fn)(void *ctx, const char *purpose, int granted), void *ctx);

/* ---- Audit log ---- */

#define PV_AUDIT_HASH 32 /* BLAKE2b-256 chain hashes and Merkle roots */
#define PV_AUDIT_SIG 64  /* Ed25519 signatures */

/* One audit entry as stored (strings never NULL when read back; "" when empty). */
struct pv_audit_row {
	uint64_t seq;
	const char *at, *user, *op, *ids, *purpose, *request, *outcome, *detail;
	const uint8_t *hash; /* chain hash; NULL when read back malformed */
	/* the eight texts' lengths in the order above, when has_len (set when read back;
	 * when appending, saves measuring them again) */
	int has_len;
	size_t len[8];
};

/* A signed checkpoint: the log's size, chain head and Merkle root at that size, the
 * Merkle frontier (to go on appending), and the vault key's signature. */
struct pv_audit_checkpoint {
	uint64_t size;
	const char *at;
	const uint8_t *head, *root;
	const uint8_t *frontier;
	size_t frontier_len;
	const uint8_t *signature;
};

int pv_store_audit_append(struct pv_store *s, const struct pv_audit_row *e);
/* The last entry's sequence number and hash; 1 when the log is empty. */
int pv_store_audit_last(struct pv_store *s, uint64_t *seq, uint8_t hash[PV_AUDIT_HASH]);
/* Entries with seq >= from in order; fn returning non-zero stops (returned as is). */
typedef int (*pv_store_audit_fn)(void *ctx, const struct pv_audit_row *e);
int pv_store_audit_scan(struct pv_store *s, uint64_t from, pv_store_audit_fn fn, void *ctx);
int pv_store_audit_checkpoint_put(struct pv_store *s, const struct pv_audit_checkpoint *c);
/* The latest checkpoint of size <= max_size (borrowed until the next store call); 1 if
 * there is none. */
int pv_store_audit_checkpoint_last(struct pv_store *s, uint64_t max_size,
				   struct pv_audit_checkpoint *c);
typedef int (*pv_store_checkpoint_fn)(void *ctx, const struct pv_audit_checkpoint *c);
int pv_store_audit_checkpoint_scan(struct pv_store *s, pv_store_checkpoint_fn fn, void *ctx);

/* A forward cursor over audit entries from seq `from` (its own statement). next: 0 and
 * the row (borrowed until the next call), 1 at the end, -1 on error. */
struct pv_store_audit_cursor;
struct pv_store_audit_cursor *pv_store_audit_cursor_open(struct pv_store *s, uint64_t from);
int pv_store_audit_cursor_next(struct pv_store_audit_cursor *c, struct pv_audit_row *e);
void pv_store_audit_cursor_close(struct pv_store_audit_cursor *c);

/* A second connection to s's database, read-only, for reading the audit log in another
 * thread beside s (the database is in WAL mode, so both can read at once): only
 * pv_store_audit_scan and pv_store_errmsg may be used on it, from one thread at a time;
 * it sees what is committed. Close it with pv_store_close. NULL (message on s) when it
 * cannot be opened. */
struct pv_store *pv_store_audit_reader(struct pv_store *s);

/* ---- Users ---- */

/* One user as stored (strings "" when empty; pointers borrowed until the next call). */
struct pv_stored_user {
	const char *name, *roles;
	const uint8_t *slot;
	size_t slot_len;
	int disabled, failures;
	int64_t locked_until; /* Unix time; 0 when not locked */
	const char *agreement, *training, *training_expires, *created;
	const uint8_t *access; /* the master key sealed to the user's key; NULL: none */
	size_t access_len;
	const uint8_t *enrol;  /* a pending enrolment (users.c); NULL: none */
	size_t enrol_len;
};

int pv_store_user_get(struct pv_store *s, const char *name, struct pv_stored_user *u);
int pv_store_user_put(struct pv_store *s, const struct pv_stored_user *u);
int pv_store_user_set_failures(struct pv_store *s, const char *name, int failures,
			       int64_t locked_until);
/* Replace a user's access (NULL, 0: delete it). */
int pv_store_user_set_access(struct pv_store *s, const char *name, const uint8_t *access,
			     size_t len);
/* Replace a user's pending enrolment (NULL, 0: delete it). */
int pv_store_user_set_enrol(struct pv_store *s, const char *name, const uint8_t *enrol,
			    size_t len);
typedef int (*pv_store_user_fn)(void *ctx, const struct pv_stored_user *u);
int pv_store_user_scan(struct pv_store *s, pv_store_user_fn fn, void *ctx);

/* ---- Approval requests ---- */

/* A request binds op and the hash of its canonical parameters (params_hash, hex); params
 * is their readable form for the approver, and command how the front end runs it again
 * (shown, never trusted). enrol_key: the public key of the approver's enrolment half
 * (hex; "" for operations without one). */
struct pv_stored_request {
	const char *id, *requester, *op, *params, *params_hash, *command, *reason, *created;
	int64_t expires; /* Unix time */
	const char *state; /* pending, approved, rejected, used */
	const char *approver, *decided, *used, *enrol_key;
};
int pv_store_request_put(struct pv_store *s, const struct pv_stored_request *r);
/* 1 when absent; r's strings borrowed until the next store call. */
int pv_store_request_get(struct pv_store *s, const char *id, struct pv_stored_request *r);
typedef int (*pv_store_request_fn)(void *ctx, const struct pv_stored_request *r);
int pv_store_request_scan(struct pv_store *s, pv_store_request_fn fn, void *ctx);

/* ---- Legal holds ---- */

int pv_store_hold_add(struct pv_store *s, const char *customer, const char *reason,
		      const char *by, const char *since);
/* Release every hold in force on customer; *released says how many. */
int pv_store_hold_release(struct pv_store *s, const char *customer, const char *when,
			  const char *by, int *released);
/* 1 (reason and since filled) when a hold is in force on customer, 0 when none. */
int pv_store_hold_active(struct pv_store *s, const char *customer, char *reason, size_t rlen,
			 char *since, size_t slen);
typedef int (*pv_store_hold_fn)(void *ctx, const char *customer, const char *reason,
				const char *by, const char *since, const char *released,
				const char *released_by);
int pv_store_hold_scan(struct pv_store *s, pv_store_hold_fn fn, void *ctx);

/* ---- Integrity codes of authorisation state (authz_mac.c makes them) ---- */

/* One code per (table, row key); put replaces. get: 0 (the code's length in *len, copied
 * when it fits cap), 1 when absent. */
int pv_store_authz_put(struct pv_store *s, const char *tbl, const char *k, const uint8_t *mac,
		       size_t len);
int pv_store_authz_get(struct pv_store *s, const char *tbl, const char *k, uint8_t *mac,
		       size_t cap, size_t *len);
int pv_store_authz_delete(struct pv_store *s, const char *tbl, const char *k);
/* A table's codes in row-key order (byte order). */
typedef int (*pv_store_authz_fn)(void *ctx, const char *k, const uint8_t *mac, size_t len);
int pv_store_authz_scan(struct pv_store *s, const char *tbl, pv_store_authz_fn fn, void *ctx);
/* Record a failure found above the store (printf-style) as the store's message, so a
 * caller that reports pv_store_errmsg reports it; returns -1. */
int pv_store_note_failure(struct pv_store *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A legal hold row with its number (what its integrity code is keyed by). */
struct pv_stored_hold {
	int64_t hold;
	const char *customer, *reason, *placed_by, *since, *released, *released_by;
};
typedef int (*pv_store_hold_row_fn)(void *ctx, const struct pv_stored_hold *h);
int pv_store_hold_rows(struct pv_store *s, pv_store_hold_row_fn fn, void *ctx);

/* A notice sent to a customer, as recorded (no personal value). */
struct pv_store_notice {
	const char *customer, *kind, *text_version, *channel, *sent, *sent_by, *state, *state_at;
};
/* Record a notice (state_at = sent); *notice gets its number. */
int pv_store_notice_add(struct pv_store *s, const struct pv_store_notice *n, int64_t *notice);
/* Set a notice's delivery state; 0 (customer filled), 1 when there is no such notice. */
int pv_store_notice_set_state(struct pv_store *s, int64_t notice, const char *state,
			      const char *when, char *customer, size_t clen);
/* The kind and customer of notice; 0, or 1 when there is no such notice. */
int pv_store_notice_kind(struct pv_store *s, int64_t notice, char *kind, size_t klen,
			 char *customer, size_t clen);
typedef int (*pv_store_notice_fn)(void *ctx, int64_t notice, const struct pv_store_notice *n);
/* Every notice (customer NULL) or a customer's, oldest first. */
int pv_store_notice_scan(struct pv_store *s, const char *customer, pv_store_notice_fn fn,
			 void *ctx);

/* The consent state of customer rid for purpose: 1 given, 0 withdrawn or never given. */
int pv_store_consent_state(struct pv_store *s, int64_t rid, const char *purpose);
/* One change of consent, kept as history (the current state is in pv_store_consent_put). */
struct pv_consent_event_row {
	const char *customer, *purpose;
	int granted;
	const char *at, *channel, *text_version, *recorded_by;
};
int pv_store_consent_log(struct pv_store *s, const struct pv_consent_event_row *e);
int pv_store_consent_log_scan(struct pv_store *s, const char *customer,
			      int (*fn)(void *ctx, const struct pv_consent_event_row *e), void *ctx);

/* ---- Escrow copies of the keyring ---- */

int pv_store_escrow_add(struct pv_store *s, const char *made, const char *recipient,
			const char *digest, const char *by);
int pv_store_escrow_scan(struct pv_store *s, int (*fn)(void *ctx, const char *made,
						       const char *recipient, const char *digest),
			 void *ctx);

/* ---- Data-subject requests ---- */

struct pv_stored_dsr {
	const char *id, *customer, *type, *jurisdiction, *opened, *due, *opened_by, *closed,
		*outcome;
};
int pv_store_dsr_put(struct pv_store *s, const struct pv_stored_dsr *d);
/* 1 when absent; d's strings borrowed until the next store call. */
int pv_store_dsr_get(struct pv_store *s, const char *id, struct pv_stored_dsr *d);
int pv_store_dsr_scan(struct pv_store *s, int (*fn)(void *ctx, const struct pv_stored_dsr *d),
		      void *ctx);

/* Restriction (objection = 0) or objection (1) of a customer: since a date, or "" to
 * lift it; read both; scan the customers with either. */
int pv_store_customer_flag_set(struct pv_store *s, const char *customer, int objection,
			       const char *since);
int pv_store_customer_flags(struct pv_store *s, const char *customer, int *restricted,
			    int *objected);
/* 1 if any customer is restricted or objected, 0 if none, -1 on error. */
int pv_store_customer_flags_any(struct pv_store *s);
int pv_store_customer_flag_scan(struct pv_store *s,
				int (*fn)(void *ctx, const char *customer, int restricted,
					  int objected),
				void *ctx);

/* ---- Complaints ---- */

struct pv_stored_complaint {
	const char *id, *customer, *dsr, *opened, *due, *resolved;
};
int pv_store_complaint_put(struct pv_store *s, const struct pv_stored_complaint *c);
int pv_store_complaint_get(struct pv_store *s, const char *id, struct pv_stored_complaint *c);
int pv_store_complaint_scan(struct pv_store *s,
			    int (*fn)(void *ctx, const struct pv_stored_complaint *c), void *ctx);
int pv_store_complaint_note_add(struct pv_store *s, const char *complaint, const char *note_id,
				const char *at, const char *by, const char *kind,
				const uint8_t *sealed, size_t len);
int pv_store_complaint_note_scan(struct pv_store *s, const char *complaint,
				 int (*fn)(void *ctx, const char *note_id, const char *at,
					   const char *by, const char *kind, const uint8_t *sealed,
					   size_t len),
				 void *ctx);

/* ---- Accuracy reviews ---- */

/* Record that customer's data was confirmed on day (YYYY-MM-DD) by channel. */
int pv_store_review_confirm(struct pv_store *s, const char *customer, const char *day,
			    const char *channel, const char *by);
/* Customers last confirmed (or imported) before day, oldest first. */
int pv_store_review_due(struct pv_store *s, const char *before,
			int (*fn)(void *ctx, const struct pv_stored_customer *c, const char *last),
			void *ctx);

/* Checkpoint the WAL into the main file and truncate it. */
int pv_store_checkpoint(struct pv_store *s);

/* ---- Transfers to a new holder (handover) ---- */

/* A transfer plan as stored: plan is a JSON document (no personal value); assessment,
 * package and receipt are JSON texts filled in as the transfer goes ("" until then). */
struct pv_stored_transfer {
	const char *id, *created, *created_by, *state, *plan, *keep_until, *assessment,
		*package, *receipt;
};
enum pv_transfer_column { PV_TRANSFER_STATE, PV_TRANSFER_ASSESSMENT, PV_TRANSFER_PACKAGE,
			  PV_TRANSFER_RECEIPT, PV_TRANSFER_PLAN };
int pv_store_transfer_put(struct pv_store *s, const struct pv_stored_transfer *t);
/* 0 (t's strings borrowed until the next store call), 1 when absent, -1 on error. */
int pv_store_transfer_get(struct pv_store *s, const char *id, struct pv_stored_transfer *t);
int pv_store_transfer_set(struct pv_store *s, const char *id, enum pv_transfer_column col,
			  const char *value);
typedef int (*pv_store_transfer_fn)(void *ctx, const struct pv_stored_transfer *t);
int pv_store_transfer_scan(struct pv_store *s, pv_store_transfer_fn fn, void *ctx);
/* The customers a transfer's package held (ids). */
int pv_store_transfer_member_add(struct pv_store *s, const char *transfer, const char *customer);
int pv_store_transfer_members_clear(struct pv_store *s, const char *transfer);
int pv_store_transfer_member_scan(struct pv_store *s, const char *transfer,
				  int (*fn)(void *ctx, const char *customer), void *ctx);
/* The transfers whose package held customer (for the customer's access report). */
int pv_store_customer_transfers(struct pv_store *s, const char *customer,
				pv_store_transfer_fn fn, void *ctx);
/* Separate consent to a cross-border transfer: put, and read (1 given, 0 not, -1 error). */
int pv_store_transfer_consent_put(struct pv_store *s, const char *transfer, const char *customer,
				  int granted, const char *at, const char *channel);
int pv_store_transfer_consent_get(struct pv_store *s, const char *transfer, const char *customer);
/* The consent history and the notices of the customers a transfer's package held, in
 * customer order. */
int pv_store_transfer_consent_log_scan(struct pv_store *s, const char *transfer,
				       int (*fn)(void *ctx, const struct pv_consent_event_row *e),
				       void *ctx);
int pv_store_transfer_notice_scan(struct pv_store *s, const char *transfer,
				  pv_store_notice_fn fn, void *ctx);
/* Every (customer, purpose) with a withdrawal of consent in its history. */
int pv_store_consent_withdrawals(struct pv_store *s,
				 int (*fn)(void *ctx, const char *customer, const char *purpose),
				 void *ctx);
/* Receiving side: packages taken in (package id, when, sender key, root hash, count,
 * receipt hash); get: 0 with when received, 1 when not yet. */
int pv_store_handover_received_put(struct pv_store *s, const char *package, const char *received,
				   const char *sender, const char *root, uint64_t records,
				   const char *receipt);
int pv_store_handover_received_get(struct pv_store *s, const char *package, char *received,
				   size_t len);

/* ---- Imports committed in chunks (store_sqlite_import.c) ---- */

/* The first row id of an unfinished import (0, or 1 when there is none): its rows, from
 * that id up, are in no read until pv_store_import_done. */
int pv_store_import_pending(struct pv_store *s, int64_t *rid_from);
/* Mark an import under way, its customers' row ids from *rid_from up (inside its first
 * transaction, before its first customer). */
int pv_store_import_mark(struct pv_store *s, int64_t *rid_from);
/* Show the import's customers: in its last transaction. */
int pv_store_import_done(struct pv_store *s);
/* Remove an unfinished import's customers (consents, blind-index entries) and its mark;
 * *removed says how many (0 when none was under way). */
int pv_store_import_discard(struct pv_store *s, uint64_t *removed);
/* Commit the transaction open and begin the next, with a pause between in which another
 * process can get the write lock (and between(ctx) called, when not NULL, with no
 * transaction open); inside a caller's outer transaction, nothing. */
int pv_store_chunk(struct pv_store *s, void (*between)(void *ctx), void *ctx);

/* ---- Backups ---- */

/* A consistent copy of the whole database into a new file at path (rollback journal
 * mode, no write-ahead log), taken while others may write: the snapshot of the read
 * transaction open on s, when one is, so that what else is read in it matches. */
int pv_store_backup_to(struct pv_store *s, const char *path);
/* Remove many customers at once: begin a list, add each (rid, id), then remove them all
 * (rows, consents and their history, reviews, flags, and their blind-index entries). */
int pv_store_doomed_begin(struct pv_store *s);
int pv_store_doomed_add(struct pv_store *s, int64_t rid, const char *id);
int pv_store_doomed_remove(struct pv_store *s);
/* The same for a shred, re-wrapping as how says the data keys of the customers who stay
 * in its buckets, in the same pass over the customers table: a range of rows at a time
 * is removed and re-wrapped, so each page of the table is changed once while it is in
 * the cache, not once per step. */
int pv_store_doomed_remove_rewrap(struct pv_store *s, const struct pv_store_rewrap *how);

/* ---- The shred ledger's outbox (ledger.c) ---- */

/* Lines for the ledger file, kept in the store with the operation's data so that they
 * commit with it: chunk seq of intent (ledger_size: the ledger file's size when the
 * intent was staged; its lines, if ever appended, come after that offset). */
int pv_store_outbox_put(struct pv_store *s, const char *intent, uint32_t seq,
			uint64_t ledger_size, const void *chunk, size_t len);
/* 1 when the outbox holds lines not yet known to be in the ledger file, 0 when empty. */
int pv_store_outbox_pending(struct pv_store *s);
/* Every chunk, by intent then seq; fn answers nonzero to stop (returned). */
typedef int (*pv_store_outbox_fn)(void *ctx, const char *intent, uint32_t seq,
				  uint64_t ledger_size, const void *chunk, size_t len);
int pv_store_outbox_scan(struct pv_store *s, pv_store_outbox_fn fn, void *ctx);
/* Forget an intent's chunks (they are in the ledger file). */
int pv_store_outbox_drop(struct pv_store *s, const char *intent);
/* How many customers each (bucket, generation) pair wraps, from the index; fn answers
 * nonzero to stop (returned). */
int pv_store_bucket_gens(struct pv_store *s,
			 int (*fn)(void *ctx, uint32_t bucket, uint32_t gen, uint64_t customers),
			 void *ctx);

/* ---- Key rotation (rekey.c) ---- */

/* Delete a metadata entry (absent: nothing to do). */
int pv_store_meta_delete(struct pv_store *s, const char *key);
/* Customers with lo <= bucket < hi, in row order (one pass over the table, so the rows
 * rewritten are written in the order they sit in the file); fn as for the scans above. */
int pv_store_customer_scan_bucket_range(struct pv_store *s, uint32_t lo, uint32_t hi,
					pv_store_customer_fn fn, void *ctx);
/* Replace a customer's wrapped data key, its data key version and all its sealed groups
 * at once (a new data key: bucket and bucket generation unchanged). */
int pv_store_customer_set_sealed(struct pv_store *s, int64_t rid, uint32_t dek_version,
				 const uint8_t *wdek, size_t wdek_len,
				 const uint8_t *const group[PV_GROUPS],
				 const size_t group_len[PV_GROUPS]);

#endif
