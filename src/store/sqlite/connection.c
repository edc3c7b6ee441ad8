/* SPDX-License-Identifier: Apache-2.0 */
/* connection.c: the bottom of the SQLite store: one connection to a database in WAL mode
 * with secure_delete on; its transactions (nested as savepoints), the cache of prepared
 * statements, error recording and the helpers every table file runs its SQL through.
 * It calls nothing above it: what a layer above keeps on the connection is forgotten at
 * rollback and freed at close through the hooks that layer registers (pv_sqlite_on_*). */
#include "internal.h"

#include <errno.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* What the disk said, when SQLite's own message hides it: an I/O error whose cause is a
 * full disk (ENOSPC, as when the shared-memory or log file cannot grow) reads "disk I/O
 * error" alone. "" when there is nothing to add. */
static const char *os_cause(sqlite3 *db)
{
	if ((sqlite3_extended_errcode(db) & 0xff) != SQLITE_IOERR)
		return "";
	int e = sqlite3_system_errno(db);
	return e == ENOSPC ? " (no space left on device: the disk is full)"
	       : e == EDQUOT ? " (disk quota exceeded: the disk is full for this user)" : "";
}

int pv_sqlite_fail(struct pv_store *s, const char *what)
{
	if (pv_sqlite_failed_busy(s))
		return pv_sqlite_note_busy(s);
	s->busy = 0;
	snprintf(s->err, sizeof s->err, "%s: %s%s", what, sqlite3_errmsg(s->db), os_cause(s->db));
	return -1;
}

int pv_sqlite_row_by_key(struct pv_store *s, sqlite3_stmt *q, const char *key,
			 const char *what)
{
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		return 0;
	int got = rc == SQLITE_DONE ? 1 : pv_sqlite_fail(s, what);
	sqlite3_reset(q);
	return got;
}

static int linger_young(const struct pv_store *s);

void pv_sqlite_fresh(struct pv_store *s, const char *keep)
{
	if (s->lingering && s->depth == 0 && !linger_young(s))
		pv_sqlite_linger_end(s);
	if (!sqlite3_get_autocommit(s->db))
		return;
	for (size_t i = 0; i < s->ncache; i++)
		if (s->cache[i].sql != keep && sqlite3_stmt_busy(s->cache[i].q))
			sqlite3_reset(s->cache[i].q);
}

/* A statement about to run outside the caller's transactions in a lingering read: one that
 * writes ends it first (pv_sqlite_fresh ends one no longer young). */
static void linger_before(struct pv_store *s, sqlite3_stmt *q);

sqlite3_stmt *pv_sqlite_stmt(struct pv_store *s, const char *sql)
{
	pv_sqlite_fresh(s, sql);
	for (size_t i = 0; i < s->ncache; i++) {
		if (s->cache[i].sql == sql) {
			sqlite3_reset(s->cache[i].q);
			sqlite3_clear_bindings(s->cache[i].q);
			linger_before(s, s->cache[i].q);
			return s->cache[i].q;
		}
	}
	if (s->ncache == s->capcache) {
		size_t cap = s->capcache ? 2 * s->capcache : 32;
		struct pv_sqlite_cached *c = realloc(s->cache, cap * sizeof *c);
		if (!c) {
			snprintf(s->err, sizeof s->err, "out of memory");
			return NULL;
		}
		s->cache = c;
		s->capcache = cap;
	}
	sqlite3_stmt *q;
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &q, NULL) != SQLITE_OK) {
		pv_sqlite_fail(s, "prepare");
		return NULL;
	}
	s->cache[s->ncache++] = (struct pv_sqlite_cached){ sql, q };
	linger_before(s, q);
	return q;
}

int pv_sqlite_run(struct pv_store *s, sqlite3_stmt *q, const char *what)
{
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : pv_sqlite_fail(s, what);
}

int pv_sqlite_exec(struct pv_store *s, const char *sql)
{
	if (s->depth == 0)
		pv_sqlite_linger_end(s); /* text of any kind: as if it wrote */
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int busy = pv_sqlite_failed_busy(s);
		s->busy = 0;
		snprintf(s->err, sizeof s->err, "%s%s", msg ? msg : "database error",
			 os_cause(s->db));
		sqlite3_free(msg);
		return busy ? pv_sqlite_note_busy(s) : -1;
	}
	return 0;
}

/* One statement of transaction control (BEGIN, COMMIT, ROLLBACK), given as a literal:
 * prepared once and kept (by its address), instead of parsed again on every call as
 * sqlite3_exec would. As pv_sqlite_exec otherwise. */
static int control(struct pv_store *s, const char *sql)
{
	sqlite3_stmt *q = pv_sqlite_stmt(s, sql);
	if (!q)
		return -1;
	if (sqlite3_step(q) == SQLITE_DONE) {
		sqlite3_reset(q);
		return 0;
	}
	int busy = pv_sqlite_failed_busy(s);
	s->busy = 0;
	snprintf(s->err, sizeof s->err, "%s%s", sqlite3_errmsg(s->db), os_cause(s->db));
	sqlite3_reset(q);
	return busy ? pv_sqlite_note_busy(s) : -1;
}

/* Savepoints of the first nesting depths as control statements, kept (a server's read in
 * a session's transaction takes one a request); deeper ones are parsed each time. */
#define KEPT_DEPTHS 4
static const char *const SAVEPOINT_AT[KEPT_DEPTHS] = { "SAVEPOINT pv1", "SAVEPOINT pv2",
							"SAVEPOINT pv3", "SAVEPOINT pv4" };
static const char *const RELEASE_AT[KEPT_DEPTHS] = { "RELEASE pv1", "RELEASE pv2",
						      "RELEASE pv3", "RELEASE pv4" };

/* The savepoint statement of depth (1...) from kept, or written with format. */
static int savepoint_control(struct pv_store *s, const char *const *kept, const char *format,
			     int depth)
{
	if (depth >= 1 && depth <= KEPT_DEPTHS)
		return control(s, kept[depth - 1]);
	char sql[32];
	snprintf(sql, sizeof sql, format, depth);
	return pv_sqlite_exec(s, sql);
}

int pv_sqlite_rows(struct pv_store *s, const char *sql, const char *key,
		   int (*row)(void *ctx, sqlite3_stmt *q), void *ctx, const char *what)
{
	return pv_sqlite_rows_with(s, sql, key, NULL, 0, row, ctx, what);
}

/* The kept statement of sql, free to walk with (prepared on first use), or NULL. */
static sqlite3_stmt *kept_stmt(struct pv_store *s, const char *sql, int *slot)
{
	int i = 0;
	while (i < s->nkept && s->kept[i].sql != sql)
		i++;
	if (i == s->nkept) {
		if (i == (int)(sizeof s->kept / sizeof *s->kept) ||
		    sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->kept[i].q,
				       NULL) != SQLITE_OK)
			return NULL;
		s->kept[i].sql = sql;
		s->kept[i].running = 0;
		s->nkept++;
	}
	if (s->kept[i].running)
		return NULL;
	*slot = i;
	return s->kept[i].q;
}

int pv_sqlite_rows_kept(struct pv_store *s, const char *sql, const char *key,
			int (*row)(void *ctx, sqlite3_stmt *q), void *ctx, const char *what)
{
	int slot;
	pv_sqlite_fresh(s, NULL);
	sqlite3_stmt *q = kept_stmt(s, sql, &slot);
	if (!q)
		return pv_sqlite_rows(s, sql, key, row, ctx, what);
	s->kept[slot].running = 1;
	if (key)
		sqlite3_bind_text(q, 1, key, -1, SQLITE_TRANSIENT);
	int rc, stop = 0;
	while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW)
		stop = row(ctx, q);
	if (!stop && rc != SQLITE_DONE)
		stop = pv_sqlite_fail(s, what);
	sqlite3_reset(q); /* the walk's snapshot ends here, as a finalized statement's would */
	sqlite3_clear_bindings(q);
	s->kept[slot].running = 0;
	return stop;
}

int pv_sqlite_rows_with(struct pv_store *s, const char *sql, const char *key,
			const int64_t *ints, int nints, int (*row)(void *ctx, sqlite3_stmt *q),
			void *ctx, const char *what)
{
	sqlite3_stmt *q;
	pv_sqlite_fresh(s, NULL);
	if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK)
		return pv_sqlite_fail(s, what);
	int p = 1;
	if (key)
		sqlite3_bind_text(q, p++, key, -1, SQLITE_TRANSIENT);
	for (int i = 0; i < nints; i++)
		sqlite3_bind_int64(q, p++, ints[i]);
	int rc, stop = 0;
	while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW)
		stop = row(ctx, q);
	if (!stop && rc != SQLITE_DONE)
		stop = pv_sqlite_fail(s, what);
	sqlite3_finalize(q);
	return stop;
}

/* Set up the connection: secure_delete: freed pages are zeroed, so deleted rows leave no
 * ciphertext behind; the cache is bounded so memory does not grow with the vault. */
static const char setup_sql[] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
				"PRAGMA secure_delete=ON; PRAGMA foreign_keys=ON;"
				"PRAGMA cache_size=" PV_SQLITE_CACHE "; PRAGMA temp_store=FILE;";

/* Once per process, before SQLite starts: no memory statistics (they take one global mutex
 * on every allocation, which threads reading on their own connections then queue on). When
 * the program has already started SQLite this changes nothing, which is harmless. */
static void configure_sqlite(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

struct pv_store *pv_sqlite_connect(const char *path, int create, char *err, size_t errlen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, configure_sqlite);
	struct pv_store *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->import_lock_fd = -1;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open database %s: %s", path,
			 s->db ? sqlite3_errmsg(s->db) : "out of memory");
		pv_sqlite_close(s);
		return NULL;
	}
	sqlite3_extended_result_codes(s->db, 1);
	pv_sqlite_wait_setup(s);
	/* Records are a few hundred bytes: 16 KiB pages hold them with less waste and fewer
	 * B-tree levels than the default 4 KiB (set before the first table exists). */
	if ((create && pv_sqlite_exec(s, "PRAGMA page_size=16384") != 0) ||
	    pv_sqlite_exec(s, setup_sql) != 0)
		return pv_sqlite_setup_failed(s, path, err, errlen);
	return s;
}

struct pv_store *pv_sqlite_setup_failed(struct pv_store *s, const char *path, char *err,
					size_t errlen)
{
	snprintf(err, errlen, "cannot set up database %s: %s", path, s->err);
	int busy = s->busy;
	pv_sqlite_close(s);
	errno = busy ? EBUSY : 0;
	return NULL;
}

void pv_sqlite_on_rollback(struct pv_store *s, void (*fn)(struct pv_store *s))
{
	if (s->nrollback_hooks < PV_SQLITE_HOOKS)
		s->rollback_hooks[s->nrollback_hooks++] = fn;
}

void pv_sqlite_on_close(struct pv_store *s, void (*fn)(struct pv_store *s))
{
	if (s->nclose_hooks < PV_SQLITE_HOOKS)
		s->close_hooks[s->nclose_hooks++] = fn;
}

void pv_sqlite_close_untouched(struct pv_store *s)
{
	if (s)
		sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	pv_sqlite_close(s);
}

void pv_sqlite_close(struct pv_store *s)
{
	if (!s)
		return;
	pv_sqlite_linger_end(s);
	for (size_t i = 0; i < s->ncache; i++)
		sqlite3_finalize(s->cache[i].q);
	for (int i = 0; i < s->nkept; i++)
		sqlite3_finalize(s->kept[i].q);
	free(s->cache);
	for (int i = 0; i < s->nclose_hooks; i++)
		s->close_hooks[i](s);
	pv_sqlite_import_unlock(s);
	sqlite3_close(s->db);
	free(s);
}

const char *pv_sqlite_errmsg(struct pv_store *s)
{
	return s->err;
}

int pv_sqlite_note_failure(struct pv_store *s, const char *fmt, ...)
{
	char msg[sizeof s->err]; /* apart, then copied: an argument may be s->err itself */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	memcpy(s->err, msg, sizeof msg);
	return -1;
}

/* Transactions nest: the outermost is a real one, inner ones are savepoints, so an
 * operation can run inside a caller's batch (pv_vault_batch_begin). */
/* ---- Lingering reads (store.h: pv_store_linger_reads) ---- */

/* Write transactions committed by this process's connections (audit writers' aside). */
static _Atomic uint64_t changes_made;

static uint64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

void pv_sqlite_linger_reads(struct pv_store *s, unsigned ms)
{
	s->linger_ms = ms;
	if (!ms)
		pv_sqlite_linger_end(s);
}

void pv_sqlite_writes_log(struct pv_store *s)
{
	s->log_writer = 1;
}

void pv_sqlite_writes_data(struct pv_store *s)
{
	s->wrote_data = 1;
}

/* 1 while the lingering snapshot may serve the next read. */
static int linger_young(const struct pv_store *s)
{
	return !s->snapshot && atomic_load(&changes_made) == s->linger_changes &&
	       now_ms() - s->linger_since < s->linger_ms;
}

void pv_sqlite_linger_end(struct pv_store *s)
{
	if (!s->lingering)
		return;
	s->lingering = 0;
	for (size_t i = 0; i < s->ncache; i++)
		sqlite3_reset(s->cache[i].q);
	if (control(s, "COMMIT") != 0) /* reads only: nothing is lost */
		(void)control(s, "ROLLBACK");
}

void pv_sqlite_linger_expire(struct pv_store *s)
{
	if (s->lingering && !linger_young(s))
		pv_sqlite_linger_end(s);
}

static void linger_before(struct pv_store *s, sqlite3_stmt *q)
{
	if (s->lingering && s->depth == 0 && !sqlite3_stmt_readonly(q))
		pv_sqlite_linger_end(s);
}

/* At the commit of the caller's outermost transaction: 1 when it read only and may linger
 * (it stays open), 0 when it is to be committed. */
static int linger_after(struct pv_store *s)
{
	if (!s->linger_ms || s->audited || !linger_young(s) ||
	    sqlite3_txn_state(s->db, "main") == SQLITE_TXN_WRITE)
		return 0;
	s->depth = 0;
	s->lingering = 1;
	return 1;
}

int pv_sqlite_begin(struct pv_store *s)
{
	if (s->depth > 0 && sqlite3_get_autocommit(s->db))
		s->depth = 0; /* SQLite rolled the outer transaction back on an error */
	if (s->snapshot) {
		snprintf(s->err, sizeof s->err, "no change can be made inside a batch of reads on a "
			 "handle that shares an audit writer");
		return -1;
	}
	if (s->depth == 0) {
		pv_sqlite_linger_end(s); /* a write begins on the database as it is now */
		/* A statement left on a borrowed row holds an older read snapshot, which could
		 * not become a write transaction: end those reads first. */
		for (size_t i = 0; i < s->ncache; i++)
			sqlite3_reset(s->cache[i].q);
		s->busy = 0;
		s->wait.waited = 0;
		if (control(s, "BEGIN IMMEDIATE") != 0)
			return -1;
		s->txn = ++s->txn_counter;
	} else if (savepoint_control(s, SAVEPOINT_AT, "SAVEPOINT pv%d", s->depth) != 0) {
		return -1;
	}
	s->depth++;
	return 0;
}

int pv_sqlite_read_begin(struct pv_store *s)
{
	if (s->depth > 0 && sqlite3_get_autocommit(s->db))
		s->depth = 0; /* SQLite rolled the outer transaction back on an error */
	if (s->depth > 0)
		return pv_sqlite_begin(s); /* a savepoint in the transaction open */
	for (size_t i = 0; i < s->ncache; i++)
		sqlite3_reset(s->cache[i].q); /* no read left on an older snapshot */
	s->busy = 0;
	s->wait.waited = 0;
	if (s->lingering && linger_young(s)) {
		s->lingering = 0; /* the caller's transaction now */
	} else {
		pv_sqlite_linger_end(s);
		s->linger_changes = atomic_load(&changes_made); /* before its snapshot begins */
		s->linger_since = now_ms();
		if (control(s, "BEGIN DEFERRED") != 0)
			return -1;
	}
	s->txn = ++s->txn_counter;
	s->depth = 1;
	return 0;
}

int pv_sqlite_snapshot_begin(struct pv_store *s)
{
	if (s->snapshot || pv_sqlite_txn_id(s) != 0 || pv_sqlite_read_begin(s) != 0)
		return -1;
	s->snapshot = 1;
	return 0;
}

void pv_sqlite_snapshot_end(struct pv_store *s)
{
	if (!s->snapshot)
		return;
	s->snapshot = 0;
	(void)pv_sqlite_rollback(s); /* reads only: nothing to keep */
}

/* The most SQLite maps (its default SQLITE_MAX_MMAP_SIZE); a larger vault's tail is read
 * as usual. */
#define MAP_BYTES "2147418112"

void pv_sqlite_map_reads(struct pv_store *s, int on)
{
	if (s->mapped == !!on)
		return;
	/* a failure only leaves reads as they were: nothing to report */
	if (pv_sqlite_exec(s, on ? "PRAGMA mmap_size=" MAP_BYTES : "PRAGMA mmap_size=0") == 0)
		s->mapped = !!on;
}

void pv_sqlite_walk_begins(struct pv_store *s)
{
	pv_sqlite_map_reads(s, 0);
}

uint64_t pv_sqlite_txn_id(struct pv_store *s)
{
	return s->lingering || sqlite3_get_autocommit(s->db) ? 0 : s->txn; /* lingering: no caller's */
}

/* In the write-ahead log with synchronous=NORMAL a commit reaches the disk only at the
 * next checkpoint: a power loss could take back an audit entry for data already shown. A
 * commit carrying an entry is therefore followed by a sync of the log (one fdatasync, on
 * SQLite's own handle of it) before it returns; other commits keep NORMAL's cost. */
static int sync_log(struct pv_store *s)
{
	sqlite3_file *log = NULL;
	if (sqlite3_file_control(s->db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &log) != SQLITE_OK)
		return 0;
	if (!log || !log->pMethods)
		return 0; /* no log open: nothing was written to one */
	if (log->pMethods->xSync(log, SQLITE_SYNC_NORMAL) != SQLITE_OK) {
		snprintf(s->err, sizeof s->err, "the audit entry could not be synced to disk");
		return -1;
	}
	return 0;
}

void pv_sqlite_release_rows(struct pv_store *s)
{
	for (size_t i = 0; i < s->ncache; i++)
		sqlite3_reset(s->cache[i].q);
}

int pv_sqlite_commit(struct pv_store *s)
{
	if (s->depth == 0) {
		snprintf(s->err, sizeof s->err, "commit without a transaction");
		return -1;
	}
	if (s->depth == 1 && linger_after(s))
		return 0;
	int wrote = s->depth == 1 && sqlite3_txn_state(s->db, "main") == SQLITE_TXN_WRITE;
	if ((s->depth == 1 ? control(s, "COMMIT")
			   : savepoint_control(s, RELEASE_AT, "RELEASE pv%d", s->depth - 1)) != 0)
		return -1; /* still open: the caller rolls back */
	if (wrote && (!s->log_writer || s->wrote_data))
		atomic_fetch_add(&changes_made, 1);
	if (s->depth == 1)
		s->wrote_data = 0;
	s->depth--;
	if (s->depth == 0 && s->audited) {
		s->audited = 0;
		return sync_log(s);
	}
	return 0;
}

int pv_sqlite_rollback(struct pv_store *s)
{
	for (int i = 0; i < s->nrollback_hooks; i++) /* what the layers above kept */
		s->rollback_hooks[i](s);
	if (sqlite3_get_autocommit(s->db)) {
		s->depth = 0;
		s->audited = 0;
		s->wrote_data = 0;
		return 0;
	}
	if (s->depth <= 1) {
		s->depth = 0;
		s->audited = 0;
		s->wrote_data = 0;
		s->lingering = 0;
		return control(s, "ROLLBACK");
	}
	s->depth--;
	char sql[64];
	snprintf(sql, sizeof sql, "ROLLBACK TO pv%d; RELEASE pv%d", s->depth, s->depth);
	return pv_sqlite_exec(s, sql);
}

int pv_sqlite_checkpoint(struct pv_store *s)
{
	if (s->depth == 0)
		pv_sqlite_linger_end(s);
	for (size_t i = 0; i < s->ncache; i++) /* end any read a borrowed row still holds */
		sqlite3_reset(s->cache[i].q);
	int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	return rc == SQLITE_OK ? 0 : pv_sqlite_fail(s, "checkpoint");
}
