/* SPDX-License-Identifier: Apache-2.0 */
/* store.h: the storage contract: everything the vault keeps (metadata, sealed customers,
 * blind-index entries, consent, audit, users, requests, holds, ...) and nothing of how.
 * store/sqlite/ is the embedded implementation; a second backend implements every function
 * below with the same meaning and plugs in through its table of functions (store_ops.h,
 * store/README.md). Declarations are grouped by table family.
 *
 * What every function may assume, and must guarantee, unless its own comment says more:
 * - Nothing passed here is plaintext personal data: values arrive sealed or as blind-index
 *   hashes; ids, names, dates and states are not personal values.
 * - Returns: 0 on success, -1 on error with the reason in pv_store_errmsg (naming what
 *   failed, never a value); reads of one row return 1 when it is absent. A failure caused
 *   by waiting in vain for another process's write lock is -1 with pv_store_busy(s) = 1.
 * - Scans hand fn each row in the order stated; fn answering nonzero stops the scan, which
 *   returns that value as is (0 when fn never stopped it, -1 on error). fn may call other
 *   functions of the same store; the row's pointers are borrowed for the call only.
 * - Pointers in a row returned by a read (get) are borrowed until the next call on the
 *   store; strings read back are never NULL unless said.
 * - One thread uses a store at a time. Transactions nest: pv_store_begin opens one (taking
 *   the database's write lock, waiting as pv_set_wait allows) or, inside one, a savepoint;
 *   commit and rollback end the innermost. A write called outside any transaction is
 *   atomic on its own; inside one, it stands or falls with it. Functions marked "in a
 *   transaction" must be called inside one the caller began with pv_store_begin.
 * - Visibility: the customers of an unfinished chunked import (rows from the row id
 *   pv_store_import_mark gave up; see "Imports committed in chunks") are in no read of
 *   customers, until pv_store_import_done shows them all at once, unless a function says
 *   that it sees them ("an import's rows too"). In SQLite this is PV_SQL_VISIBLE. */
#ifndef PV_STORE_H
#define PV_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

struct pv_store;

#define PV_GROUPS 3          /* sealed groups per customer: one per category */
#define PV_BLIND_BYTES 16    /* stored blind-index length */

/* ==== The connection: open, errors, waiting, transactions ==== */

/* Where a store lives (location.c): an SQLite file's path, or a PostgreSQL URI
 * "postgresql://[user@]host[:port]/database[?param&...]" whose parameter schema=NAME (pivault's
 * own) names the PostgreSQL schema the vault is kept in. A location never holds a password
 * (libpq reads it from PGPASSWORD or PGPASSFILE). */
int pv_store_location_is_postgresql(const char *location);
/* 0 when location is a PostgreSQL URI without a password, else -1 with why in err. */
int pv_store_location_check(const char *location, char *err, size_t errlen);
/* A PostgreSQL location's connection URI for libpq, without the schema parameter
 * (malloc'd; NULL: out of memory), and the schema's name into schema ("" when none). */
char *pv_store_location_conninfo(const char *location, char *schema, size_t cap);
/* location with its schema parameter set to schema (malloc'd; NULL: out of memory). */
char *pv_store_location_with_schema(const char *location, const char *schema);

/* Open (create = 1: create and set up the schema) the database at path (a location, as
 * above); without create, a database that holds no vault is refused. NULL with the reason in err; errno is then EBUSY
 * when another process's write lock was held longer than the process may wait
 * (pv_set_wait). */
struct pv_store *pv_store_open(const char *path, int create, char *err, size_t errlen);
/* Close (NULL: nothing); a transaction still open is rolled back. */
void pv_store_close(struct pv_store *s);
/* Close without checkpointing the write-ahead log: after a refused open, so the files
 * stay exactly as they were. */
void pv_store_close_untouched(struct pv_store *s);
/* The message of the last failure on s (borrowed; "" when none). */
const char *pv_store_errmsg(struct pv_store *s);
/* Record a failure found above the store (printf-style) as the store's message, so a
 * caller that reports pv_store_errmsg reports it; returns -1. */
int pv_store_note_failure(struct pv_store *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

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

/* Begin a transaction holding the write lock (waiting for it as pv_set_wait allows; rows
 * still borrowed from earlier reads are released first), or inside an open one a
 * savepoint. */
int pv_store_begin(struct pv_store *s);
/* A transaction for reading only (one snapshot for several reads, without taking the
 * writer's lock); ended by commit or rollback as any. Inside an open transaction, a
 * savepoint as pv_store_begin. */
int pv_store_read_begin(struct pv_store *s);
/* Lingering reads, for a server's handles: a read-only transaction's commit leaves it
 * open, and the next read transaction goes on in the same snapshot (the page cache and map
 * of the database stay warm: a commit elsewhere makes SQLite drop them at each new read)
 * while it is younger than ms milliseconds and no write transaction was committed by any
 * connection of this process since it began (an audit writer's groups aside: see
 * pv_store_writes_log). A change made by another process is seen within ms. A write, or a
 * statement that writes, ends a lingering read first. ms 0: off. Reads of the audit log end
 * it (they must see every entry committed). */
void pv_store_linger_reads(struct pv_store *s, unsigned ms);
/* End a lingering read now (an idle handle, before a read that must see the latest). */
void pv_store_linger_end(struct pv_store *s);
/* End a lingering read that is no longer young (an idle handle's). */
void pv_store_linger_expire(struct pv_store *s);
/* The connection's commits change only the audit log (an audit writer's): they do not end
 * other connections' lingering reads. */
void pv_store_writes_log(struct pv_store *s);
/* ...but the transaction open on it changes data too (a row that rode with an entry): its
 * commit ends lingering reads as any write's does. */
void pv_store_writes_data(struct pv_store *s);

/* A snapshot for a run of reads only (a batch of lookups): a read transaction in which
 * pv_store_begin fails (-1, saying why) until pv_store_snapshot_end ends it. 0, or -1
 * when a transaction is open or it cannot begin. */
int pv_store_snapshot_begin(struct pv_store *s);
void pv_store_snapshot_end(struct pv_store *s);
/* End every row read still borrowed (its pointers are then invalid), so that no read
 * keeps its snapshot of the database once the transaction ends. */
void pv_store_release_rows(struct pv_store *s);
/* End the innermost transaction or savepoint, keeping its writes; -1 without one. When
 * the outermost commits a transaction that appended an audit entry, the entry is on disk
 * (synced) before this returns: no power loss takes back an entry for data shown. On
 * failure the transaction is still open: the caller rolls back. */
int pv_store_commit(struct pv_store *s);
/* Undo the innermost transaction or savepoint (none open: nothing). What the store kept
 * for it (a sorted add's unwritten entries, cached answers) is forgotten too. */
int pv_store_rollback(struct pv_store *s);
/* A number naming the transaction in progress (each begin gets a new one), or 0 outside
 * any transaction: lets a cache know it is still inside the transaction it was made in. */
uint64_t pv_store_txn_id(struct pv_store *s);
/* Point reads (a lookup, a record by id): on = 1 reads pages through a memory map of the
 * database, without copying each into the page cache; every walk of a whole table and
 * every bulk load turns it off again, so their memory stays bounded whatever the size.
 * Off when the store opens. A hint: a backend without it does nothing. */
void pv_store_map_reads(struct pv_store *s, int on);
/* Make everything committed durable in the main file and shrink what a crash would need
 * to replay (SQLite: checkpoint the WAL, truncate it); rows still borrowed are released.
 * Meant for outside any transaction. */
int pv_store_checkpoint(struct pv_store *s);

/* ==== Metadata and field numbers (meta, fields) ==== */

/* get: *val malloc'd (the caller frees it; NUL-terminated beyond len), 1 when absent.
 * put replaces; delete of an absent key does nothing. */
int pv_store_meta_get(struct pv_store *s, const char *key, uint8_t **val, size_t *len);
int pv_store_meta_put(struct pv_store *s, const char *key, const void *val, size_t len);
int pv_store_meta_delete(struct pv_store *s, const char *key);
/* The stable number of a field name in blind-index entries, assigned on first use (the
 * next after the highest) and never changed. */
int pv_store_field_number(struct pv_store *s, const char *name, int *num);

/* ==== Customers (customers) ==== */

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
typedef int (*pv_store_customer_fn)(void *ctx, const struct pv_stored_customer *c);

/* Insert a new customer (groups NULL: none); *rid receives its row id, greater than every
 * row id present. 1 when the id exists already (nothing written). Only imports insert, one at a
 * time, under the import lock (import_chunks.c). */
int pv_store_customer_insert(struct pv_store *s, const struct pv_stored_customer *c,
			     int64_t *rid);
/* Read a customer by id (out's pointers borrowed until the next call); 1 when absent. */
int pv_store_customer_get(struct pv_store *s, const char *id, struct pv_stored_customer *out);
/* The same by row id (as the blind index gives them). */
int pv_store_customer_get_rid(struct pv_store *s, int64_t rid, struct pv_stored_customer *out);
/* The customer id of row rid into id (cap bytes); 1 when absent. Unlike every other read
 * it sees an import's rows too: the import names its own duplicates with it. */
int pv_store_customer_id(struct pv_store *s, int64_t rid, char *id, size_t cap);
/* Customers with id > after (NULL: all) in id order, at most limit (0: no limit). */
int pv_store_customer_scan(struct pv_store *s, const char *after, size_t limit,
			   pv_store_customer_fn fn, void *ctx);
/* Customers with lo <= bucket < hi, an import's rows too, in row order (one pass over the
 * table, so the rows rewritten are written in the order they sit in the file). */
int pv_store_customer_scan_bucket_range(struct pv_store *s, uint32_t lo, uint32_t hi,
					pv_store_customer_fn fn, void *ctx);
int pv_store_customer_count(struct pv_store *s, uint64_t *n);

/* Writes by row id (any row, an import's too; an absent row: nothing, and 0). */
/* Replace one sealed group (0 .. PV_GROUPS-1; another: -1) of a customer. */
int pv_store_customer_set_group(struct pv_store *s, int64_t rid, int group,
				const uint8_t *sealed, size_t len);
/* Replace a customer's wrapped data key and its bucket generation. */
int pv_store_customer_set_wdek(struct pv_store *s, int64_t rid, uint32_t gen,
			       const uint8_t *wdek, size_t len);
/* Replace a customer's wrapped data key, its data key version and all its sealed groups
 * at once (a new data key: bucket and bucket generation unchanged). */
int pv_store_customer_set_sealed(struct pv_store *s, int64_t rid, uint32_t dek_version,
				 const uint8_t *wdek, size_t wdek_len,
				 const uint8_t *const group[PV_GROUPS],
				 const size_t group_len[PV_GROUPS]);

/* 1 if a customer of bucket (an import's rows too) still has a data key wrapped by a
 * generation below gen, else 0 (an index lookup: its cost does not grow with the number
 * of customers). */
int pv_store_bucket_behind(struct pv_store *s, uint32_t bucket, uint32_t gen);
/* What the calls of pv_store_bucket_behind cost so far on this store, in
 * calls, virtual-machine steps, and steps of full table scans, for the tests (a backend
 * without such counts returns zeros). */
struct pv_store_bucket_checks {
	uint64_t queries, steps, scan_steps;
};
struct pv_store_bucket_checks pv_store_bucket_check_counts(const struct pv_store *s);
/* How many customers each (bucket, generation) pair wraps, from an index, not a table
 * scan; any order. */
int pv_store_bucket_gens(struct pv_store *s,
			 int (*fn)(void *ctx, uint32_t bucket, uint32_t gen, uint64_t customers),
			 void *ctx);

/* ==== Accuracy reviews (reviews, read with customers) ==== */

/* Record that customer's data was confirmed on day (YYYY-MM-DD) by channel (replaces). */
int pv_store_review_confirm(struct pv_store *s, const char *customer, const char *day,
			    const char *channel, const char *by);
/* Customers last confirmed (or, never confirmed, imported) before day, oldest first then
 * by id; last: that day. */
int pv_store_review_due(struct pv_store *s, const char *before,
			int (*fn)(void *ctx, const struct pv_stored_customer *c, const char *last),
			void *ctx);

/* ==== Consent (consents: the state; consent_log: its history) ==== */

/* Consent records of customer rid: purpose name, granted (1/0), when, by what channel
 * (put replaces the purpose's state). */
int pv_store_consent_put(struct pv_store *s, int64_t rid, const char *purpose, int granted,
			 const char *at, const char *channel);
/* Every purpose of rid in name order. Unlike the other scans: -1 on error or when fn
 * answered negative, else 0. */
int pv_store_consent_scan(struct pv_store *s, int64_t rid,
			  int (*fn)(void *ctx, const char *purpose, int granted), void *ctx);
/* The consent state of customer rid for purpose: 1 given, 0 withdrawn or never given. */
int pv_store_consent_state(struct pv_store *s, int64_t rid, const char *purpose);
/* One change of consent, kept as history (the current state is in pv_store_consent_put). */
struct pv_consent_event_row {
	const char *customer, *purpose;
	int granted;
	const char *at, *channel, *text_version, *recorded_by;
};
/* Append to the history; scan a customer's, oldest first. */
int pv_store_consent_log(struct pv_store *s, const struct pv_consent_event_row *e);
int pv_store_consent_log_scan(struct pv_store *s, const char *customer,
			      int (*fn)(void *ctx, const struct pv_consent_event_row *e), void *ctx);
/* Every (customer, purpose) with a withdrawal of consent in its history, once each, in
 * customer order. */
int pv_store_consent_withdrawals(struct pv_store *s,
				 int (*fn)(void *ctx, const char *customer, const char *purpose),
				 void *ctx);

/* ==== Restriction and objection (customer_flags) ==== */

/* Restriction (objection = 0) or objection (1) of a customer: since a date, or "" to
 * lift it; read both (0 and 0 when the customer has no row); scan the customers with
 * either, in id order. */
int pv_store_customer_flag_set(struct pv_store *s, const char *customer, int objection,
			       const char *since);
int pv_store_customer_flags(struct pv_store *s, const char *customer, int *restricted,
			    int *objected);
/* 1 if any customer is restricted or objected, 0 if none, -1 on error. Asked by every
 * read, so it must be cheap: SQLite caches the answer until the database changes (its own
 * uncommitted changes and a rollback included). */
int pv_store_customer_flags_any(struct pv_store *s);
int pv_store_customer_flag_scan(struct pv_store *s,
				int (*fn)(void *ctx, const char *customer, int restricted,
					  int objected),
				void *ctx);

/* ==== The blind index (blind_index) ==== */

/* Add one entry (field_num, hash h of PV_BLIND_BYTES, row id); an entry there already is
 * kept once. */
int pv_store_index_add(struct pv_store *s, int field_num, const uint8_t *h, int64_t rid);
/* In a transaction: a bulk load's entries, in (field, hash, row id) order: each postings
 * row is written once, when the next entry falls in another; flush writes the last (before
 * the commit). A rollback forgets entries not yet written. */
int pv_store_index_add_sorted(struct pv_store *s, int field_num, const uint8_t *h, int64_t rid);
int pv_store_index_flush(struct pv_store *s);
/* Customers (as visible: an import's rows are not) whose entry for field_num equals h, in
 * id order: fn gets each one's row (borrowed for the call) until it answers nonzero. 0 or
 * -1: fn's answer is not returned. */
int pv_store_index_lookup(struct pv_store *s, int field_num, const uint8_t *h,
			  int (*fn)(void *ctx, const struct pv_stored_customer *c), void *ctx);
/* Replace a customer's entry old_h for a field by h (either may be NULL: nothing to
 * remove, nothing to add; an old_h not there: nothing removed). */
int pv_store_index_replace(struct pv_store *s, int64_t rid, int field_num,
			   const uint8_t *old_h, const uint8_t *h);
/* Row ids (at most max, ascending, count in *n) of entries h for field_num with a row id
 * below `below` (an import's rows too: it checks its duplicates with it). */
int pv_store_index_rids_below(struct pv_store *s, int field_num, const uint8_t *h,
			      int64_t below, int64_t *rids, size_t max, size_t *n);

/* ==== Removing many customers at once (shreds, restores, a discarded import) ==== */

/* In a transaction: begin a list, add each (rid, id), then remove them all without
 * opening them (their keys may be gone): rows, consents and their history, reviews,
 * flags and blind-index entries, so that no read finds any of it; the list is then
 * empty. Removed rows leave no ciphertext in the file (SQLite: secure_delete). */
int pv_store_doomed_begin(struct pv_store *s);
int pv_store_doomed_add(struct pv_store *s, int64_t rid, const char *id);
int pv_store_doomed_remove(struct pv_store *s);
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
/* The same for a shred, re-wrapping as how says the data keys of the customers who stay
 * in its buckets (an import's rows too), in the same pass over the customers table: a
 * range of rows at a time is removed and re-wrapped, so each page of the table is
 * changed once while it is in the cache, not once per step. -1 (the caller rolls back)
 * when how->fn failed for any customer. */
int pv_store_doomed_remove_rewrap(struct pv_store *s, const struct pv_store_rewrap *how);

/* ==== One import at a time: the import lock ==== */

/* The vault's import lock, held across an import's chunks (and by shreds and rekeys: keys
 * cannot change under an import), by one process of any node at a time: taken without
 * waiting (the caller waits with pv_store_wait_step between tries): 0 when taken, 1 when
 * another holds it, -1 on error (this store holding it already is an error). It goes with
 * pv_store_import_unlock, or when the process or its connection ends (a killed import
 * leaves no lock behind). */
int pv_store_import_lock(struct pv_store *s);
void pv_store_import_unlock(struct pv_store *s);
/* 1 when some store holds the import lock (this one included), 0 when none. */
int pv_store_import_locked(struct pv_store *s);

/* ==== Imports committed in chunks (import_pending) ==== */

/* An import's customers are the rows from the first row id it was given up (only imports
 * insert, one at a time): while it is pending, no read of customers sees them; done shows
 * them all at once, in the import's last, short transaction. A killed import leaves its
 * rows and its mark: the next import removes them (discard) before it begins. */

/* The first row id of an unfinished import (0, or 1 when there is none). */
int pv_store_import_pending(struct pv_store *s, int64_t *rid_from);
/* In the import's first transaction, before its first customer: mark an import under
 * way, its customers' row ids from *rid_from up. */
int pv_store_import_mark(struct pv_store *s, int64_t *rid_from);
/* In a bulk import's first transaction (one that may add as many customers as the vault
 * holds): drop what is cheaper built once at the end than kept up row by row (the
 * SQLite store's index of customers by bucket). Until done or discard builds it again,
 * queries by bucket still answer, by a scan. */
int pv_store_import_bulk(struct pv_store *s);
/* Show the import's customers, and build what pv_store_import_bulk dropped: in its last
 * transaction. */
int pv_store_import_done(struct pv_store *s);
/* In a transaction: remove an unfinished import's customers (as pv_store_doomed_remove)
 * and its mark; *removed says how many (0 when none was under way). */
int pv_store_import_discard(struct pv_store *s, uint64_t *removed);
/* Commit the transaction open and begin the next, with a pause between in which another
 * process can get the write lock (and between(ctx) called, when not NULL, with no
 * transaction open); inside a caller's outer transaction (a savepoint), nothing. */
int pv_store_chunk(struct pv_store *s, void (*between)(void *ctx), void *ctx);

/* ==== Audit log (audit, audit_checkpoints) ==== */

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

/* Append an entry (seq: the caller's next; one there already: -1). The transaction it is
 * appended in is made durable at its commit (pv_store_commit). */
int pv_store_audit_append(struct pv_store *s, const struct pv_audit_row *e);
/* The last entry's sequence number and hash; 1 when the log is empty; -1 when its stored
 * hash is malformed. */
int pv_store_audit_last(struct pv_store *s, uint64_t *seq, uint8_t hash[PV_AUDIT_HASH]);
/* Entries with seq >= from in order. */
typedef int (*pv_store_audit_fn)(void *ctx, const struct pv_audit_row *e);
int pv_store_audit_scan(struct pv_store *s, uint64_t from, pv_store_audit_fn fn, void *ctx);
/* Record a checkpoint (one of the same size is replaced). */
int pv_store_audit_checkpoint_put(struct pv_store *s, const struct pv_audit_checkpoint *c);
/* The latest checkpoint of size <= max_size (borrowed until the next store call); 1 if
 * there is none; -1 when it is malformed. */
int pv_store_audit_checkpoint_last(struct pv_store *s, uint64_t max_size,
				   struct pv_audit_checkpoint *c);
/* Every checkpoint of size above after, by size (after 0: all); fn returning nonzero stops
 * the scan with its value; a malformed one stops it with -1. */
typedef int (*pv_store_checkpoint_fn)(void *ctx, const struct pv_audit_checkpoint *c);
int pv_store_audit_checkpoint_scan(struct pv_store *s, uint64_t after, pv_store_checkpoint_fn fn,
				   void *ctx);

/* A forward cursor over audit entries from seq `from` (its own statement: other store
 * calls may come between two next). open: NULL on failure. next: 0 and the row (borrowed
 * until the next call), 1 at the end, -1 on error. close(NULL): nothing. */
struct pv_store_audit_cursor;
struct pv_store_audit_cursor *pv_store_audit_cursor_open(struct pv_store *s, uint64_t from);
int pv_store_audit_cursor_next(struct pv_store_audit_cursor *c, struct pv_audit_row *e);
void pv_store_audit_cursor_close(struct pv_store_audit_cursor *c);

/* A second connection to s's database, read-only, for reading the audit log in another
 * thread beside s (both can read at once): only pv_store_audit_scan and pv_store_errmsg
 * may be used on it, from one thread at a time; it sees what is committed. Close it with
 * pv_store_close. NULL (message on s) when it cannot be opened. */
struct pv_store *pv_store_audit_reader(struct pv_store *s);

/* ==== Users (users) ==== */

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

/* 1 when absent. put: inserts or replaces the whole row. */
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
/* Every user in name order. */
typedef int (*pv_store_user_fn)(void *ctx, const struct pv_stored_user *u);
int pv_store_user_scan(struct pv_store *s, pv_store_user_fn fn, void *ctx);

/* ==== Approval requests (requests) ==== */

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
/* Insert or replace the whole row. */
int pv_store_request_put(struct pv_store *s, const struct pv_stored_request *r);
/* 1 when absent; r's strings borrowed until the next store call. */
int pv_store_request_get(struct pv_store *s, const char *id, struct pv_stored_request *r);
/* Every request by creation time, then id. */
typedef int (*pv_store_request_fn)(void *ctx, const struct pv_stored_request *r);
int pv_store_request_scan(struct pv_store *s, pv_store_request_fn fn, void *ctx);

/* ==== Integrity codes of authorisation state (authz_macs; authz_mac.c makes them) ==== */

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

/* ==== Legal holds (holds) ==== */

/* Place a hold (numbered in order: the number keys its integrity code). */
int pv_store_hold_add(struct pv_store *s, const char *customer, const char *reason,
		      const char *by, const char *since);
/* Release every hold in force on customer; *released says how many. */
int pv_store_hold_release(struct pv_store *s, const char *customer, const char *when,
			  const char *by, int *released);
/* 1 (reason and since filled, of the oldest) when a hold is in force on customer, 0 when
 * none. */
int pv_store_hold_active(struct pv_store *s, const char *customer, char *reason, size_t rlen,
			 char *since, size_t slen);
/* Every hold in order of number (released "" while in force). */
typedef int (*pv_store_hold_fn)(void *ctx, const char *customer, const char *reason,
				const char *by, const char *since, const char *released,
				const char *released_by);
int pv_store_hold_scan(struct pv_store *s, pv_store_hold_fn fn, void *ctx);
/* The same with each hold's number (strings "" when empty). */
struct pv_stored_hold {
	int64_t hold;
	const char *customer, *reason, *placed_by, *since, *released, *released_by;
};
typedef int (*pv_store_hold_row_fn)(void *ctx, const struct pv_stored_hold *h);
int pv_store_hold_rows(struct pv_store *s, pv_store_hold_row_fn fn, void *ctx);

/* ==== Escrow copies of the keyring (escrow_copies) ==== */

/* Record a copy; scan every copy in the order they were made. */
int pv_store_escrow_add(struct pv_store *s, const char *made, const char *recipient,
			const char *digest, const char *by);
int pv_store_escrow_scan(struct pv_store *s, int (*fn)(void *ctx, const char *made,
						       const char *recipient, const char *digest),
			 void *ctx);

/* ==== Keyring nodes and the keyring journal (keyring_nodes, keyring_nodes_retired,
 * keyring_journal) ==== */

/* The keyring (bucket keys) never enters the store. Each node (a vault directory with its
 * own keyring file) is registered here, and a shred's new bucket keys reach the other
 * nodes as journal entries: (seq, slot, gen, the new key sealed under a key derived from
 * the slot's previous key, when, the shred's certificate hash). seq increases with each
 * entry; entries are added in the shred's transaction. A node's applied_seq is its
 * acknowledgement: every entry up to it is in its keyring. */
/* Register node_id (hex) named name at time at, with applied_seq 0; nothing when it is
 * registered already. */
int pv_store_node_register(struct pv_store *s, const char *node_id, const char *name,
			   const char *at);
/* A node's applied_seq: 0 (*applied filled), 1 when the node is not registered. */
int pv_store_node_applied(struct pv_store *s, const char *node_id, uint64_t *applied);
/* Raise a node's applied_seq to seq (never lowers it). */
int pv_store_node_ack(struct pv_store *s, const char *node_id, uint64_t seq);
/* Every registered node in order of registration. */
typedef int (*pv_store_node_fn)(void *ctx, const char *node_id, const char *name,
				const char *registered_at, uint64_t applied_seq);
int pv_store_node_scan(struct pv_store *s, pv_store_node_fn fn, void *ctx);
/* Retire node_id at time at, inside a transaction: its row moves to the retired nodes
 * (keyring_nodes_retired, keeping its name, registration and applied_seq), so that no scan
 * of nodes lists it any more and no certificate waits for it. 0, 1 when it is not
 * registered. */
int pv_store_node_retire(struct pv_store *s, const char *node_id, const char *at);
/* Every retired node in order of retirement; fn gets the time of retirement in place of
 * registered_at. */
int pv_store_node_retired_scan(struct pv_store *s, pv_store_node_fn fn, void *ctx);
/* Add an entry; *seq gets its number. */
int pv_store_kjournal_add(struct pv_store *s, uint32_t slot, uint32_t gen, const uint8_t *sealed,
			  size_t len, const char *at, const char *shred_ref, uint64_t *seq);
/* Every entry with seq > after, in order of seq. */
typedef int (*pv_store_kjournal_fn)(void *ctx, uint64_t seq, uint32_t slot, uint32_t gen,
				    const uint8_t *sealed, size_t len);
int pv_store_kjournal_scan(struct pv_store *s, uint64_t after, pv_store_kjournal_fn fn,
			   void *ctx);
/* The last entry's seq (0 when there is none). */
int pv_store_kjournal_last(struct pv_store *s, uint64_t *seq);

/* ==== Notices sent to customers (notices) ==== */

/* A notice sent to a customer, as recorded (no personal value). */
struct pv_store_notice {
	const char *customer, *kind, *text_version, *channel, *sent, *sent_by, *state, *state_at;
};
/* Record a notice (state_at = sent); *notice gets its number (increasing). */
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

/* ==== Data-subject requests (dsr) ==== */

/* Strings "" when empty (NULL is written as ""). */
struct pv_stored_dsr {
	const char *id, *customer, *type, *jurisdiction, *opened, *due, *opened_by, *closed,
		*outcome;
};
/* Insert or replace the whole row. */
int pv_store_dsr_put(struct pv_store *s, const struct pv_stored_dsr *d);
/* 1 when absent; d's strings borrowed until the next store call. */
int pv_store_dsr_get(struct pv_store *s, const char *id, struct pv_stored_dsr *d);
/* Every request by due date, then id. */
int pv_store_dsr_scan(struct pv_store *s, int (*fn)(void *ctx, const struct pv_stored_dsr *d),
		      void *ctx);

/* ==== Complaints (complaints, complaint_notes) ==== */

/* Strings "" when empty (NULL is written as ""). */
struct pv_stored_complaint {
	const char *id, *customer, *dsr, *opened, *due, *resolved;
};
/* Insert or replace the whole row; get: 1 when absent (borrowed until the next call);
 * scan: by due date, then id. */
int pv_store_complaint_put(struct pv_store *s, const struct pv_stored_complaint *c);
int pv_store_complaint_get(struct pv_store *s, const char *id, struct pv_stored_complaint *c);
int pv_store_complaint_scan(struct pv_store *s,
			    int (*fn)(void *ctx, const struct pv_stored_complaint *c), void *ctx);
/* A complaint's notes, sealed by the caller under the customer's data key: add one; scan
 * them in the order they were added. */
int pv_store_complaint_note_add(struct pv_store *s, const char *complaint, const char *note_id,
				const char *at, const char *by, const char *kind,
				const uint8_t *sealed, size_t len);
int pv_store_complaint_note_scan(struct pv_store *s, const char *complaint,
				 int (*fn)(void *ctx, const char *note_id, const char *at,
					   const char *by, const char *kind, const uint8_t *sealed,
					   size_t len),
				 void *ctx);

/* ==== Breach incidents (incidents, incident_scope) ==== */

/* Strings "" when empty (NULL is written as ""); the *_at of a state not reached is "". */
struct pv_stored_incident {
	const char *id, *kind, *state, *detected_at, *description, *opened_by, *opened_at,
		*contained_at, *notified_at, *closed_at, *scope_filter;
};
/* Insert or replace the whole row; get: 1 when absent (borrowed until the next call);
 * scan: by opening time, then id. */
int pv_store_incident_put(struct pv_store *s, const struct pv_stored_incident *c);
int pv_store_incident_get(struct pv_store *s, const char *id, struct pv_stored_incident *c);
int pv_store_incident_scan(struct pv_store *s,
			   int (*fn)(void *ctx, const struct pv_stored_incident *c), void *ctx);
/* An incident's scope: customer ids with the category names touched (comma-separated).
 * Clear it, add one customer, scan by customer id. */
typedef int (*pv_store_scope_fn)(void *ctx, const char *customer, const char *categories);
int pv_store_incident_scope_clear(struct pv_store *s, const char *incident);
int pv_store_incident_scope_add(struct pv_store *s, const char *incident, const char *customer,
				const char *categories);
int pv_store_incident_scope_scan(struct pv_store *s, const char *incident, pv_store_scope_fn fn,
				 void *ctx);

/* ==== Sealed customers of breach incidents (incident_seals) ====
 * Add one (a customer already there is kept once), clear an incident's, scan one
 * incident's in customer id order. The list alone proves nothing: incident_seal.c keeps
 * its count and digest under an integrity code and checks the rows against it. */
int pv_store_seal_add(struct pv_store *s, const char *incident, const char *customer);
int pv_store_seal_clear(struct pv_store *s, const char *incident);
int pv_store_seal_scan(struct pv_store *s, const char *incident,
		       int (*fn)(void *ctx, const char *customer), void *ctx);
/* A number that changes with every commit to the store, by this or any other connection
 * (0 when the backend cannot tell: then callers check every time). */
unsigned pv_store_data_version(struct pv_store *s);

/* ==== Transfers to a new holder (transfers, transfer_members, transfer_consents,
 * handovers_received) ==== */

/* A transfer plan as stored: plan is a JSON document (no personal value); assessment,
 * package and receipt are JSON texts filled in as the transfer goes ("" until then). */
struct pv_stored_transfer {
	const char *id, *created, *created_by, *state, *plan, *keep_until, *assessment,
		*package, *receipt;
};
enum pv_transfer_column { PV_TRANSFER_STATE, PV_TRANSFER_ASSESSMENT, PV_TRANSFER_PACKAGE,
			  PV_TRANSFER_RECEIPT, PV_TRANSFER_PLAN };
/* Insert a plan (its id there already: -1). */
int pv_store_transfer_put(struct pv_store *s, const struct pv_stored_transfer *t);
/* 0 (t's strings borrowed until the next store call), 1 when absent, -1 on error. */
int pv_store_transfer_get(struct pv_store *s, const char *id, struct pv_stored_transfer *t);
/* Set one column of a plan (an absent plan: nothing, and 0). */
int pv_store_transfer_set(struct pv_store *s, const char *id, enum pv_transfer_column col,
			  const char *value);
/* Every plan by creation time, then id. */
typedef int (*pv_store_transfer_fn)(void *ctx, const struct pv_stored_transfer *t);
int pv_store_transfer_scan(struct pv_store *s, pv_store_transfer_fn fn, void *ctx);
/* The customers a transfer's package held (ids; add again: kept once; scan in id order). */
int pv_store_transfer_member_add(struct pv_store *s, const char *transfer, const char *customer);
int pv_store_transfer_members_clear(struct pv_store *s, const char *transfer);
int pv_store_transfer_member_scan(struct pv_store *s, const char *transfer,
				  int (*fn)(void *ctx, const char *customer), void *ctx);
/* The transfers whose package held customer (for the customer's access report), oldest
 * first. */
int pv_store_customer_transfers(struct pv_store *s, const char *customer,
				pv_store_transfer_fn fn, void *ctx);
/* Separate consent to a cross-border transfer: put (replaces), and read (1 given, 0 not,
 * -1 error). */
int pv_store_transfer_consent_put(struct pv_store *s, const char *transfer, const char *customer,
				  int granted, const char *at, const char *channel);
int pv_store_transfer_consent_get(struct pv_store *s, const char *transfer, const char *customer);
/* The consent history and the notices of the customers a transfer's package held, in
 * customer order, then oldest first. */
int pv_store_transfer_consent_log_scan(struct pv_store *s, const char *transfer,
				       int (*fn)(void *ctx, const struct pv_consent_event_row *e),
				       void *ctx);
int pv_store_transfer_notice_scan(struct pv_store *s, const char *transfer,
				  pv_store_notice_fn fn, void *ctx);
/* Receiving side: packages taken in (package id, when, sender key, root hash, count,
 * receipt hash; one taken in already: -1); get: 0 with when received, 1 when not yet. */
int pv_store_handover_received_put(struct pv_store *s, const char *package, const char *received,
				   const char *sender, const char *root, uint64_t records,
				   const char *receipt);
int pv_store_handover_received_get(struct pv_store *s, const char *package, char *received,
				   size_t len);

/* ==== The shred ledger's outbox (ledger_outbox; ledger.c) ==== */

/* Lines for the ledger file, kept in the store with the operation's data so that they
 * commit with it: chunk seq of intent (ledger_size: the ledger file's size when the
 * intent was staged; its lines, if ever appended, come after that offset). */
int pv_store_outbox_put(struct pv_store *s, const char *intent, uint32_t seq,
			uint64_t ledger_size, const void *chunk, size_t len);
/* 1 when the outbox holds lines not yet known to be in the ledger file, 0 when empty. */
int pv_store_outbox_pending(struct pv_store *s);
/* Every chunk, by intent then seq. */
typedef int (*pv_store_outbox_fn)(void *ctx, const char *intent, uint32_t seq,
				  uint64_t ledger_size, const void *chunk, size_t len);
int pv_store_outbox_scan(struct pv_store *s, pv_store_outbox_fn fn, void *ctx);
/* Forget an intent's chunks (they are in the ledger file). */
int pv_store_outbox_drop(struct pv_store *s, const char *intent);

/* ==== The server's sign-in sessions (sessions; sessions.c) ==== */

/* One session as stored: id is a keyed hash of its bearer token (hex), never the token;
 * times are Unix seconds; tag is the library's integrity code over the row (pointers
 * borrowed until the next call). */
struct pv_stored_session {
	const char *id, *user;
	int64_t created, expires;
	uint64_t clear_shown; /* customers shown in clear in this session (the bulk limit) */
	const uint8_t *tag;
	size_t tag_len;
};

/* 1 when absent. put: inserts or replaces the whole row. */
int pv_store_session_get(struct pv_store *s, const char *id, struct pv_stored_session *x);
int pv_store_session_put(struct pv_store *s, const struct pv_stored_session *x);
/* Delete one session (none there: not an error), or every session expired at now. */
int pv_store_session_delete(struct pv_store *s, const char *id);
int pv_store_session_purge(struct pv_store *s, int64_t now);
/* Delete every session of user but keep_id's (keep_id "" or NULL: all): how many, or -1. */
int pv_store_session_end_user(struct pv_store *s, const char *user, const char *keep_id);

/* ==== API tokens for scripts (api_tokens; api_tokens.c) ==== */

/* One API token as stored: hash is a keyed hash of the token (hex), never the token; id
 * its public name (the hash's first 16 hex characters); role and purposes (names,
 * comma-separated) its scope; times are Unix seconds; revoked 0 or the time it was;
 * tag the library's integrity code over the row (pointers borrowed until the next call). */
struct pv_stored_api_token {
	const char *hash, *id, *user, *role, *purposes, *created_by;
	int64_t created, expires, revoked;
	uint64_t clear_shown; /* customers shown in clear with this token (the bulk limit) */
	const uint8_t *tag;
	size_t tag_len;
};

/* 1 when absent. get_by_id: by the public id. put: inserts or replaces the whole row. */
int pv_store_api_token_get(struct pv_store *s, const char *hash, struct pv_stored_api_token *x);
int pv_store_api_token_get_by_id(struct pv_store *s, const char *id,
				 struct pv_stored_api_token *x);
int pv_store_api_token_put(struct pv_store *s, const struct pv_stored_api_token *x);
/* Every token (of user; NULL: of everyone) by creation time; fn non-zero stops. */
typedef int (*pv_store_api_token_fn)(void *ctx, const struct pv_stored_api_token *x);
int pv_store_api_token_scan(struct pv_store *s, const char *user, pv_store_api_token_fn fn,
			    void *ctx);
/* ==== Tokens for other systems (tokens; tokens.c) ==== */

/* One row of a token: the customer and field it stands for, the purpose it was made for,
 * its kind (the library's mode and shape), when it was made, for a deterministic token a
 * keyed tag of the value (NULL, 0 otherwise), and the value sealed by the library under
 * the customer's data key. A deterministic token shared by customers holding the same
 * value has a row per customer. */
struct pv_stored_token {
	const char *token, *customer, *purpose, *created;
	int field;  /* the field's stored number */
	int kind;
	const uint8_t *vtag;
	size_t vtag_len;
	const uint8_t *sealed;
	size_t sealed_len;
};
/* Add a row: 0, 1 when (token, customer) has one already (nothing changed), -1. */
int pv_store_token_add(struct pv_store *s, const struct pv_stored_token *t);
/* Each row of token in customer order, its pointers borrowed for the call (t NULL for a
 * row missing a column; fn must not use the store); fn returning non-zero stops the scan and is returned; 0 when
 * every row (or none) was passed, -1 on failure. */
int pv_store_token_scan(struct pv_store *s, const char *token,
			int (*fn)(void *ctx, const struct pv_stored_token *t), void *ctx);

/* ==== Backups: the whole database ==== */

/* A consistent copy of the whole database into a new file at path (rollback journal
 * mode, no write-ahead log), taken while others may write: the snapshot of the read
 * transaction open on s, when one is, so that what else is read in it matches. */
int pv_store_backup_to(struct pv_store *s, const char *path);

#endif
