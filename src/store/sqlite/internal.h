/* SPDX-License-Identifier: Apache-2.0 */
/* internal.h: what the files of the SQLite store share, and nothing outside src/store/sqlite/
 * includes: the handle, the connection's helpers (connection.c, wait.c) that every table
 * file runs its SQL through, and the few declarations one layer offers the layer above it.
 * The files form one chain, each calling only those below it (README.md):
 *   wait <- connection <- table files (meta, customers, consents, users, ...) <- blind_index
 *   <- doomed <- import_pending, and schema (pv_store_open) on top, naming every family. */
#ifndef PV_STORE_SQLITE_INTERNAL_H
#define PV_STORE_SQLITE_INTERNAL_H

#include "store/store.h"
#include "store/store_ops.h"

#include <sqlite3.h>

struct pv_sqlite_cached {
	const char *sql; /* the static text it was prepared from: the key */
	sqlite3_stmt *q;
};

/* The postings row a sorted bulk add is filling (blind_index.c). */
struct pv_index_group {
	int64_t k;
	uint8_t *buf;
	size_t n, cap;
};

#define PV_SQLITE_HOOKS 4

struct pv_store {
	const struct pv_store_ops *ops; /* first: pv_sqlite_ops (store_ops.h) */
	sqlite3 *db;
	struct pv_sqlite_cached *cache;
	size_t ncache, capcache;
	struct {                   /* statements of walks kept between them (pv_sqlite_rows_kept) */
		const char *sql;
		sqlite3_stmt *q;
		int running;
	} kept[8];
	int nkept;
	uint64_t txn, txn_counter; /* the open transaction's number (pv_store_txn_id) */
	int depth;                 /* nesting: 1 = a transaction, more = savepoints in it */
	int snapshot;              /* a read-only snapshot is open (pv_store_snapshot_begin) */
	int audited;               /* the open transaction carries an audit entry */
	int mapped;                /* reads through a memory map (pv_store_map_reads) */
	/* lingering reads (pv_store_linger_reads): a read transaction left open after its commit,
	 * for the next read to go on in it while it is young and nothing was changed here */
	unsigned linger_ms;        /* 0: reads do not linger */
	int lingering;             /* one is open now, outside any transaction of the caller */
	int log_writer;            /* its commits change only the audit log (pv_store_writes_log) */
	int wrote_data;            /* ... except this transaction's (pv_store_writes_data) */
	uint64_t linger_since;     /* when its snapshot began (monotonic ms) */
	uint64_t linger_changes;   /* the process's changes counted when it began */
	struct pv_index_group group;
	/* whether any customer is restricted or objected, as of the database version seen
	 * (every read asks; the table rarely changes) */
	int flags_known, flags_any;
	unsigned flags_version;
	struct pv_store_bucket_checks bucket_checks; /* the cost of pv_store_bucket_behind */
	struct pv_wait_state wait; /* the wait in progress, or the last (wait.c) */
	int busy;                  /* the last failure was a wait for the write lock running out */
	int import_lock_fd;        /* the import lock held (import_lock.c), or -1 */
	/* what the layers above keep on the connection (the index's group, the flags): forgotten
	 * at each rollback, freed at close (pv_sqlite_on_rollback, pv_sqlite_on_close) */
	void (*rollback_hooks[PV_SQLITE_HOOKS])(struct pv_store *s);
	void (*close_hooks[PV_SQLITE_HOOKS])(struct pv_store *s);
	int nrollback_hooks, nclose_hooks;
	char err[512];
};

/* ---- The connection (connection.c, wait.c): the bottom of the chain ---- */

/* Waiting for another process's write (wait.c): the busy handler on s's
 * connection; whether SQLite's last failure on s was a lock it could not get. */
void pv_sqlite_wait_setup(struct pv_store *s);
int pv_sqlite_failed_busy(struct pv_store *s);

/* Record SQLite's message for what failed (a lock not got in time: as
 * pv_store_note_busy); returns -1. */
int pv_sqlite_fail(struct pv_store *s, const char *what);

/* Outside a transaction, a statement still on a borrowed row from an earlier call would
 * keep the connection on an old snapshot (and make a later write fail): end such reads
 * (all but the statement keep) so the next read sees the database as it is now. Every
 * query, cached or not, starts with it. */
void pv_sqlite_fresh(struct pv_store *s, const char *keep);

/* The prepared statement for sql, which must be a string with static storage (its
 * address is the cache key), reset and with its bindings cleared; NULL on failure. */
sqlite3_stmt *pv_sqlite_stmt(struct pv_store *s, const char *sql);

/* Step a statement that returns no rows, then reset it; 0, or -1 naming what. */
int pv_sqlite_run(struct pv_store *s, sqlite3_stmt *q, const char *what);

/* Bind key to ?1 of q (a statement from pv_sqlite_stmt; NULL is a failure already
 * recorded) and step it to its row: 0 when there is one (borrowed until the statement is
 * next used), 1 when there is none, -1 naming what on failure. */
int pv_sqlite_row_by_key(struct pv_store *s, sqlite3_stmt *q, const char *key,
			 const char *what);

/* Walks of a whole table read through the bounded page cache: each turns the map off. */
void pv_sqlite_walk_begins(struct pv_store *s);

/* Run SQL text with no results; 0 or -1. */
int pv_sqlite_exec(struct pv_store *s, const char *sql);
/* The page cache of a connection (PRAGMA cache_size: negative KiB), and the smaller one
 * while a sort that may take as much runs beside it. */
#define PV_SQLITE_CACHE "-16384"
#define PV_SQLITE_SORT_CACHE "-4096"

/* A new connection to the database at path (create: the file may be made, with 16 KiB
 * pages), set up (WAL, secure_delete, a bounded cache), with no table made yet; NULL with
 * the reason in err. pv_sqlite_setup_failed: what an open does when a setup step failed on
 * s: err says why, s is closed, errno is EBUSY when a lock was waited for in vain; NULL. */
struct pv_store *pv_sqlite_connect(const char *path, int create, char *err, size_t errlen);
struct pv_store *pv_sqlite_setup_failed(struct pv_store *s, const char *path, char *err,
					size_t errlen);

/* Have fn called at every rollback (to forget what a layer keeps for the transaction), or
 * at close (to free it): how the connection serves layers it must not call. At most
 * PV_SQLITE_HOOKS of each. */
void pv_sqlite_on_rollback(struct pv_store *s, void (*fn)(struct pv_store *s));
void pv_sqlite_on_close(struct pv_store *s, void (*fn)(struct pv_store *s));

/* Run sql (its ?1 bound to key, unless key is NULL) on a statement of its own and hand
 * row(ctx, q) each row until it answers nonzero, which is returned; a failure is recorded
 * as what and returns -1. The scans of every store file are made of it. */
int pv_sqlite_rows(struct pv_store *s, const char *sql, const char *key,
		   int (*row)(void *ctx, sqlite3_stmt *q), void *ctx, const char *what);
/* The same with nints integers bound after key (from ?1 when key is NULL, else ?2). */
/* pv_sqlite_rows for a literal sql walked often (on every request): its statement kept
 * between walks, by the literal's address; one of its own while a walk over the same sql
 * still runs (a row's callback may walk again). */
int pv_sqlite_rows_kept(struct pv_store *s, const char *sql, const char *key,
			int (*row)(void *ctx, sqlite3_stmt *q), void *ctx, const char *what);
int pv_sqlite_rows_with(struct pv_store *s, const char *sql, const char *key,
			const int64_t *ints, int nints, int (*row)(void *ctx, sqlite3_stmt *q),
			void *ctx, const char *what);

/* ---- What one table family offers another ---- */

/* (notices.c) A notices row (notice, customer, kind, text_version, channel, sent,
 * sent_by, state, state_at) handed to a pv_store_notice_fn (ctx: struct
 * pv_sqlite_notice_walk). */
struct pv_sqlite_notice_walk {
	pv_store_notice_fn fn;
	void *ctx;
};
int pv_sqlite_notice_row(void *ctx, sqlite3_stmt *q);

/* (consents.c) Run sql (its ?1 bound to key), a SELECT of consent_log's customer,
 * purpose, granted, at, channel, text_version, recorded_by in that order, and hand fn each
 * row until it answers nonzero, which is returned; a failure is recorded as what and
 * returns -1. */
int pv_sqlite_consent_rows(struct pv_store *s, const char *sql, const char *key,
			   int (*fn)(void *ctx, const struct pv_consent_event_row *e), void *ctx,
			   const char *what);

/* (customer_flags.c) Forget whether any customer is flagged: at rollback. */
void pv_sqlite_flags_forget(struct pv_store *s);

/* (blind_index.c) Drop the entries of every customer listed in temp.doomed (doomed.c);
 * forget, or free, a sorted add's unwritten row (hooks: at rollback, at close). */
int pv_sqlite_index_remove_doomed(struct pv_store *s);
void pv_sqlite_index_group_discard(struct pv_store *s);
void pv_sqlite_index_group_free(struct pv_store *s);

/* ---- The customers' bucket index, which a bulk import builds at its end (customers.c) ---- */

/* Create the index when it is missing (a scan of the table); 0 or -1. */
int pv_sqlite_bucket_index_ensure(struct pv_store *s);
/* Drop it, inside a bulk import's first transaction; 0 or -1. */
int pv_sqlite_bucket_index_drop(struct pv_store *s);

/* ---- Each family's tables, for schema.c ---- */

/* The first format's tables, created with a new vault only. */
extern const char pv_sqlite_meta_first_tables[];
extern const char pv_sqlite_customers_first_tables[];
extern const char pv_sqlite_consents_first_tables[];
/* Each family's tables, created (IF NOT EXISTS) whenever a vault is opened. */
extern const char pv_sqlite_customers_tables[];
extern const char pv_sqlite_consents_tables[];
extern const char pv_sqlite_escrow_tables[];
extern const char pv_sqlite_keyring_journal_tables[];
extern const char pv_sqlite_flags_tables[];
extern const char pv_sqlite_index_tables[];
extern const char pv_sqlite_audit_tables[];
extern const char pv_sqlite_users_tables[];
extern const char pv_sqlite_requests_tables[];
extern const char pv_sqlite_holds_tables[];
extern const char pv_sqlite_notices_tables[];
extern const char pv_sqlite_dsr_tables[];
extern const char pv_sqlite_complaint_tables[];
extern const char pv_sqlite_incident_tables[];
extern const char pv_sqlite_seal_tables[];
extern const char pv_sqlite_transfer_tables[];
extern const char pv_sqlite_authz_tables[];
extern const char pv_sqlite_ledger_tables[];
extern const char pv_sqlite_import_tables[];
extern const char pv_sqlite_sessions_tables[];
extern const char pv_sqlite_api_token_tables[];
extern const char pv_sqlite_token_tables[];

/* The condition on a customers row (its row id, "rid" or as qualified) that keeps an
 * unfinished import's rows out of every read (import_pending.c). */
#define PV_SQL_VISIBLE(rid) \
	" " rid " < (SELECT coalesce(min(rid_from), 9223372036854775807) FROM import_pending) "

/* ---- store.h's functions, as this backend names them (ops.c puts them in its table) ---- */

#define PV_STORE_FN(ret, name, params, args) ret pv_sqlite_##name params;
#define PV_STORE_VOID(name, params, args) void pv_sqlite_##name params;
#include "store/store_functions.def"
#undef PV_STORE_FN
#undef PV_STORE_VOID
int pv_sqlite_note_failure(struct pv_store *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int pv_sqlite_busy(const struct pv_store *s);
int pv_sqlite_audit_cursor_next(struct pv_store_audit_cursor *c, struct pv_audit_row *e);
void pv_sqlite_audit_cursor_close(struct pv_store_audit_cursor *c);
extern const struct pv_store_ops pv_sqlite_ops;

#endif
