/* SPDX-License-Identifier: Apache-2.0 */
/* pivault.h: the one public interface of libpivault, a personal-information vault for
 * companies whose customer data changes hands: customers kept encrypted, classified,
 * access-controlled, masked and audited; approvals by four eyes; customers' requests,
 * consent, retention and legal holds; transfer plans, notices and sealed handover
 * packages with signed receipts; crypto-shredding with destruction certificates; backups,
 * key rotation, deregistration and a security self-check.
 *
 * Conventions, the same for every function:
 * - Every function returns a pv_rc (PV_OK = 0) unless it says otherwise. On failure the
 *   vault handle keeps a message for pv_errmsg(v); it never holds a secret or a personal
 *   value.
 * - Who acts is a pv_access (role, purpose, clear or masked) on every operation that a
 *   permission guards; the refusal is PV_ERR_DENIED naming the permission.
 * - Texts and buffers the library returns through char ** are freed with pv_free; opaque
 *   objects with their own _free or _close (which wipe); every one accepts NULL.
 * - Long operations report through the one progress callback (pv_vault_on_progress).
 * - Switches are named enums, never bare ints.
 * - Tests bend the library only through pv_test_control (pivault_testing.h), which the
 *   release builds do not contain. */
#ifndef PIVAULT_H
#define PIVAULT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define PV_API __attribute__((visibility("default")))
#define PV_CHECK __attribute__((warn_unused_result))
#else
#define PV_API
#define PV_CHECK
#endif

/* Result codes. Each value is numbered and never reused. */
typedef enum pv_rc {
	PV_OK = 0,
	PV_ERR_NOMEM = 1,     /* out of memory */
	PV_ERR_IO = 2,        /* a file could not be read or written */
	PV_ERR_USAGE = 3,     /* a bad argument from the caller */
	PV_ERR_SCHEMA = 4,    /* the schema is invalid */
	PV_ERR_BAD_KEY = 5,   /* wrong passphrase, key file or keyring */
	PV_ERR_CORRUPT = 6,   /* stored data failed authentication or is malformed */
	PV_ERR_NOT_FOUND = 7, /* no such customer, field or file */
	PV_ERR_EXISTS = 8,    /* already exists */
	PV_ERR_DENIED = 9,    /* the role does not grant this */
	PV_ERR_INPUT = 10,    /* bad input data (for example CSV rows) */
	PV_ERR_STORE = 11,    /* the database refused an operation */
	PV_ERR_CRYPTO = 12,   /* a cryptographic operation failed */
	PV_REQUESTED = 13,    /* not run: recorded to be asked for (pv_request_begin) */
	PV_ERR_BUSY = 14,     /* another process held the vault's write lock longer than the
			       * wait allowed (pv_set_wait); nothing was changed */
	PV_ERR_FIND_ONLY = 15, /* the role may find customers (pv_find gives their ids) but
				* not read their records */
	PV_ERR_TOKEN_DEAD = 16, /* the token's value is gone: its customer was shredded, or
				 * the field was erased or changed since (pv_detokenize) */
	PV_ERR_SEALED = 17     /* the customer is sealed by a breach incident (信息封存): not
				* read or exported until an approved release */
} pv_rc;

/* A static English description of rc. */
PV_API const char *pv_strerror(pv_rc rc);

/* ---- Root secret --------------------------------------------------------------- */

/* The vault's root secret, held in locked, guarded memory. */
typedef struct pv_key pv_key;

/* A passphrase (stretched with Argon2id when the vault is created or opened). The bytes
 * are copied; the caller should wipe its own copy. */
PV_API PV_CHECK pv_rc pv_key_from_passphrase(const char *passphrase, size_t len, pv_key **out);

/* A key file holding exactly 32 raw bytes. */
PV_API PV_CHECK pv_rc pv_key_from_file(const char *path, pv_key **out);

/* Write a new random 32-byte key file (mode 0600, refusing to overwrite). */
PV_API PV_CHECK pv_rc pv_key_generate_file(const char *path);

/* Wipe and free; NULL harmless. */
PV_API void pv_key_free(pv_key *key);

/* ---- Files pivault writes ------------------------------------------------------ */

/* Create path as a new file for writing (mode 0600, O_CREAT|O_EXCL|O_NOFOLLOW): nothing
 * already there, a symbolic link included, is truncated or written through. PV_ERR_EXISTS
 * when something is there, PV_ERR_IO otherwise (errno kept); *out open for writing on
 * PV_OK. Every report, certificate, package or other output goes through it. */
PV_API PV_CHECK pv_rc pv_file_create(const char *path, FILE **out);

/* ---- Vaults -------------------------------------------------------------------- */

typedef struct pv_vault pv_vault;

/* Argon2id's cost when a vault is created. */
typedef enum pv_kdf_cost {
	PV_KDF_STANDARD = 0, /* the release floor or above */
	PV_KDF_FAST = 1      /* interactive limits: accepted by test builds only */
} pv_kdf_cost;

typedef struct pv_create_opts {
	const char *schema_path;  /* YAML schema file (required) */
	const char *keyring_path; /* NULL: DIR.keyring beside the directory */
	uint32_t keyring_slots;   /* 0: 262144; a power of two from 16 */
	pv_kdf_cost kdf_cost;     /* PV_KDF_FAST: Argon2id at interactive limits (tests only) */
	const char *admin_user;   /* the first administrator (NULL: none yet) */
	const char *admin_role;   /* its role (NULL: "admin") */
	const char *admin_password;
	size_t admin_password_len;
} pv_create_opts;

/* Create a vault in directory dir (created; must not exist or be empty) and its keyring.
 * *out is set even on failure (read pv_errmsg, then pv_vault_close); on failure nothing
 * is left behind. */
PV_API PV_CHECK pv_rc pv_vault_create(const char *dir, const pv_create_opts *opts,
				      const pv_key *key, pv_vault **out);

/* Open an existing vault. keyring_path NULL: DIR.keyring. A wrong key or a keyring of
 * another vault fails with PV_ERR_BAD_KEY and changes nothing. *out is set even on
 * failure, as for pv_vault_create. */
PV_API PV_CHECK pv_rc pv_vault_open(const char *dir, const char *keyring_path,
				    const pv_key *key, pv_vault **out);

/* Open as a user: the user's password opens the user's own key slot, which holds the
 * vault's root key, so daily work needs no vault passphrase. A wrong password is counted;
 * after 5 in a row the user is locked out for a growing delay. Every failure is audited.
 * PV_ERR_BAD_KEY for an unknown user or a wrong password (one message for both),
 * PV_ERR_DENIED for a disabled or locked user. *out is set even on failure. */
PV_API PV_CHECK pv_rc pv_vault_open_user(const char *dir, const char *keyring_path,
					 const char *user, const char *password,
					 size_t password_len, pv_vault **out);

/* Who the handle acts for: a user name, or "(root key)" (borrowed). */
PV_API const char *pv_vault_user(const pv_vault *v);
/* The roles of the user the handle acts for (in a server's session, the session's user;
 * an API token's, its one role), comma-separated; NULL for the root key (borrowed). */
PV_API const char *pv_vault_user_roles(const pv_vault *v);

/* Close, wiping every key held; NULL harmless. */
PV_API void pv_vault_close(pv_vault *v);

/* The last error's message (never NULL: "no error" when there is none; borrowed until the
 * next call on v). With v NULL, the message of the calling thread's last call made without
 * a vault handle (pv_key_*, pv_file_create, pv_schema_check_file, pv_key_fingerprint, the
 * pv_*_verify functions, pv_audit_check_proof, pv_restore, pv_escrow_keygen, and a create
 * or open that could not make a handle), as sqlite3_errmsg does for its handle. */
PV_API const char *pv_errmsg(const pv_vault *v);
/* 1 when the handle's last failure (pv_errmsg) was a read refused for going beyond the
 * vault's bulk limit of customers in clear (PV_ERR_DENIED: the read needs an approved
 * "read clear" request, which `pivault request COMMAND` asks for), else 0. A caller tells
 * that refusal from other denials by this, never by the message. */
PV_API int pv_failed_bulk_limit(const pv_vault *v);

/* The vault id as 32 hex characters (borrowed for the handle's life). */
PV_API const char *pv_vault_id(const pv_vault *v);

/* The schema YAML stored in the vault (borrowed for the handle's life). */
PV_API const char *pv_vault_schema_text(const pv_vault *v);

/* Number of customers in the vault. */
PV_API PV_CHECK pv_rc pv_vault_count(pv_vault *v, uint64_t *count);

/* Group many operations (typically reads at a high rate) into one transaction: their
 * audit entries are written as each operation runs (an operation whose entry cannot be
 * written is still refused) and become durable together at pv_vault_batch_end, which
 * commits (PV_BATCH_COMMIT) or discards the batch. Operations that change data run inside it
 * as nested savepoints. */
PV_API PV_CHECK pv_rc pv_vault_batch_begin(pv_vault *v);
typedef enum pv_batch_end { PV_BATCH_DISCARD = 0, PV_BATCH_COMMIT = 1 } pv_batch_end;
PV_API PV_CHECK pv_rc pv_vault_batch_end(pv_vault *v, pv_batch_end how);

/* ---- One audit writer for many handles (a server's threads) ----
 * Every read's audit entry is on disk before the read returns; one handle pays a sync per
 * entry. Handles of one vault in one process can share an audit writer instead: a thread
 * that commits the entries queued by all of them in one transaction with one sync, so
 * concurrent callers share syncs. A caller still returns only after its entry's group is
 * durable (or fails, and shows nothing). A batch (pv_vault_batch_begin) on such a handle is
 * a run of reads in one snapshot (taken again every 65536 operations): their entries are
 * queued without waiting and are durable at pv_vault_batch_end, which waits for them and
 * reports a failure of any; a change inside such a batch is refused. Entries written
 * inside a change's own transaction (an update, an import) stay in it. */
typedef struct pv_audit_writer pv_audit_writer;

/* Start a writer on w, a handle of the vault opened with the root secret (it signs the
 * log's checkpoints); the writer owns w from now on. Errors on w (then still the
 * caller's). */
PV_API PV_CHECK pv_rc pv_audit_writer_start(pv_vault *w, pv_audit_writer **out);

/* From now on v's entries go through aw (a writer of the same vault) until v is closed.
 * PV_ERR_USAGE when v is of another vault or already joined a writer. */
PV_API PV_CHECK pv_rc pv_vault_join_audit_writer(pv_vault *v, pv_audit_writer *aw);

/* How many groups the writer committed and how many entries they held (for benches and
 * the server's statistics). */
PV_API void pv_audit_writer_counts(pv_audit_writer *aw, uint64_t *groups, uint64_t *entries);

/* Answering without a thread that waits (a server that parks a request until its
 * entries are durable). Between pv_vault_withhold_begin and pv_vault_withhold_end on a
 * handle that joined a writer (outside a batch), an entry its caller would wait for (a
 * read's, before the read returns what it shows) is queued without waiting: the read
 * returns at once, and the caller MUST withhold all it returned until
 * pv_audit_writer_when_durable reports the span's entries durable (ok 1); with ok 0 one
 * of them failed and nothing of it may be shown (answer as if the read had failed with
 * PV_ERR_STORE). Entries that change data are still written in their change's own
 * transaction, as ever. */
typedef struct pv_audit_span {
	uint64_t first, last; /* the entries withheld; both 0 when none */
} pv_audit_span;
PV_API PV_CHECK pv_rc pv_vault_withhold_begin(pv_vault *v);
/* The end of the span: what it withheld (the handle may serve another caller at once). */
PV_API pv_audit_span pv_vault_withhold_end(pv_vault *v);
/* Call done(ctx, ok) once the span's entries are all committed (ok 1) or one of them
 * failed (ok 0): at once in this thread when that is already so (always for an empty
 * span), else in the writer's thread after the group, which done must not block.
 * PV_ERR_NOMEM when it cannot be arranged (then done is never called). */
PV_API PV_CHECK pv_rc pv_audit_writer_when_durable(pv_audit_writer *aw, pv_audit_span span,
						   void (*done)(void *ctx, int ok), void *ctx);
/* Tell every span still waiting now, in this thread, that it is not durable (ok 0: its
 * caller shows nothing); a done already under way in the writer's thread has returned
 * when this returns, and no done is called after (later calls of
 * pv_audit_writer_when_durable answer PV_ERR_BUSY). For a server that stops while replies
 * still wait for a group held up past its grace: each is answered (as failed) before the
 * server frees its requests, and nothing calls back into them afterwards. The entries
 * themselves are committed as ever. NULL is a no-op. */
PV_API void pv_audit_writer_close_waiters(pv_audit_writer *aw);

/* Commit what is queued, stop the writer and close its handle. Every handle that joined
 * it must be closed first: PV_ERR_USAGE otherwise (the writer then runs on; message on
 * the thread, pv_errmsg(NULL)). NULL is a no-op. */
PV_API PV_CHECK pv_rc pv_audit_writer_stop(pv_audit_writer *aw);

/* Checkpoint the write-ahead log into the database file and truncate it. */
PV_API PV_CHECK pv_rc pv_vault_checkpoint(pv_vault *v);

/* Unseal every bucket key of the keyring now, rather than each at its first use (a
 * process that answers many lookups does this once at start: about half a microsecond a
 * slot, so 0.1-0.2 s for the default 262,144 slots). The keys stay in guarded memory
 * until the vault is closed. PV_ERR_BAD_KEY when a slot fails authentication. */
PV_API PV_CHECK pv_rc pv_vault_load_keys(pv_vault *v);

/* The one progress report: long operations on v call fn now and then (at most about five
 * times a second, and once when a stage completes) with their stage, the work done and
 * the total (0 when not known). The stages and what they count: "import" bytes of the
 * input read (total: its size; 0 for a pipe or a package's stream), "scan" customers
 * looked at, "erase" customers whose fields are erased, "shred" customers shredded,
 * "rekey" customers re-keyed. NULL stops the reports. */
typedef void (*pv_progress_fn)(void *ctx, const char *stage, uint64_t done, uint64_t total);
PV_API void pv_vault_on_progress(pv_vault *v, pv_progress_fn fn, void *ctx);

/* ---- Server sessions (pivault serve) ---------------------------------------------- */

/* A server opens the vault with the root secret (one handle per thread: a handle is used
 * by one thread at a time) and acts for many users through sessions. pv_vault_serve makes
 * such a handle a server's: from then on it acts for nobody (every guarded operation is
 * refused, and nothing is waived as for the root secret) except inside a session entered
 * with pv_session_enter, where it acts exactly as the session's user would in a handle
 * opened with their password: their roles and obligations (read again from the checked
 * users row at each entry), four eyes, the bulk limit of clear reads (counted per session),
 * and every audit entry under their name. PV_ERR_USAGE for a handle opened as a user. */
PV_API PV_CHECK pv_rc pv_vault_serve(pv_vault *v);

/* A server's handle may let its reads linger: a read that changed nothing leaves its
 * snapshot of the vault open, and the handle's next reads go on in it (SQLite's page cache
 * stays warm instead of being dropped at every commit of the audit log) while it is younger
 * than ms milliseconds and nothing was changed through any handle of this process since it
 * began: a change made here is seen by the next read, one made by another process (a CLI,
 * a DBA) within ms. Changes end a lingering read first; reads of the audit log see every
 * entry. ms 0: reads do not linger (the default). PV_ERR_USAGE unless a server's handle. */
PV_API PV_CHECK pv_rc pv_vault_linger_reads(pv_vault *v, unsigned ms);
/* End the handle's lingering read if it is no longer young (a server calls it on idle
 * handles, so that no old snapshot holds back the log's checkpoints). */
PV_API void pv_vault_expire_lingering(pv_vault *v);

/* Length of a session token: 64 hexadecimal characters (32 random bytes). */
#define PV_SESSION_TOKEN_CHARS 64

/* Sign user in on a server's handle: the password is checked as pv_vault_open_user checks
 * it (Argon2id, the attempt counted first, lock-out, PV_ERR_BAD_KEY with one message for
 * an unknown user and a wrong password, PV_ERR_DENIED for a locked or disabled user, every
 * failure audited under the name tried); the handle stays as it was. On PV_OK *token
 * (pv_free) receives a new session token valid for ttl_seconds (1 to 86400), shown this
 * once: the vault keeps only a keyed hash of it. The sign-in is audited. */
PV_API PV_CHECK pv_rc pv_session_create(pv_vault *v, const char *user, const char *password,
					size_t password_len, uint32_t ttl_seconds,
					char **token);

/* Act as token's user on a server's handle until pv_session_leave. Every use is audited
 * under the user (operation "session"); an unknown, malformed, expired or signed-out
 * token, a session row altered outside pivault, and a user since disabled are refused with
 * PV_ERR_DENIED and one message, audited. */
PV_API PV_CHECK pv_rc pv_session_enter(pv_vault *v, const char *token);

/* Leave the session entered: the customers it was shown in clear are added to the
 * session's count, and the handle acts for nobody again (even when the count cannot be
 * written, which is the error). PV_OK when no session was entered. */
PV_API PV_CHECK pv_rc pv_session_leave(pv_vault *v);

/* Sign out of the session entered (its token opens nothing from now on), audited; the
 * handle leaves it. */
PV_API PV_CHECK pv_rc pv_session_end(pv_vault *v);

/* Enrol user on a server's handle, outside any session, as pv_user_enrol does: both halves
 * of the enrolment code and a password of at least 8 characters (PV_ERR_USAGE before the
 * code is tried); the attempt counted first, the lock-out, PV_ERR_BAD_KEY with one message
 * for an unknown user, no enrolment waiting and a wrong half, PV_ERR_DENIED when locked,
 * every refusal audited under the name tried; then the user's new key pair sealed under
 * the password (Argon2id) and the code used up, audited. No session is made (the user
 * signs in with pv_session_create); the handle stays as it was. */
PV_API PV_CHECK pv_rc pv_session_enrol(pv_vault *v, const char *user, const char *half_a,
				       const char *half_b, const char *password, size_t len);

/* Change the password of the session's user, in a sign-in session entered (an API token's
 * session: PV_ERR_DENIED): the old password checked as at sign-in (the attempt counted
 * first, the lock-out, a wrong one PV_ERR_BAD_KEY, audited), then as pv_user_passwd: the
 * user's key pair sealed under the new one (at least 8 characters; Argon2id) and every
 * other sign-in session of the user ended. Audited. */
PV_API PV_CHECK pv_rc pv_session_passwd(pv_vault *v, const char *old_password, size_t old_len,
					const char *password, size_t len);

/* The rate limits a server applies before acting (it counts; the library audits). */
typedef enum {
	PV_LIMIT_SIGN_IN_ADDRESS, /* sign-in attempts from one client address */
	PV_LIMIT_SIGN_IN_USER,    /* sign-in attempts naming one user */
	PV_LIMIT_READS            /* reads by one session user */
} pv_rate_limit;

/* Record on a server's handle (in a session or not) that refused requests were turned
 * away under limit since the last such entry for the same key: one entry, operation
 * "rate-limit", outcome "denied", under user when it names an existing user and else
 * "(unknown)", its detail naming the limit, the count and the client's address class
 * ("loopback", "private" or "public"; anything else is written "other"), never an
 * address or a password. PV_ERR_USAGE for another handle or refused == 0. */
PV_API PV_CHECK pv_rc pv_audit_rate_limited(pv_vault *v, const char *user, pv_rate_limit limit,
					    const char *address_class, unsigned long refused);

/* ---- Waiting for another writer ------------------------------------------------ */

/* One process at a time writes to a vault, and every read writes its audit entry, so a
 * command can find another process's write under way (an import commits every fraction
 * of a second, a shred or a rekey holds the lock to its end). It then waits, for at most
 * max_seconds (0: not at all) and, once it has waited PV_WAIT_NOTE_MS, tells fn once per
 * wait: what it waits for and why (static texts), and the most it will wait. When the
 * wait runs out the operation fails with PV_ERR_BUSY, its message saying how long it
 * waited. The setting is the process's, for every vault handle open or opened later
 * (fn NULL: no notes); without a call, PV_WAIT_DEFAULT seconds and no notes. */
#define PV_WAIT_DEFAULT 600
#define PV_WAIT_NOTE_MS 500
typedef void (*pv_wait_fn)(void *ctx, const char *what, const char *why, double max_seconds);
PV_API void pv_set_wait(double max_seconds, pv_wait_fn fn, void *ctx);

/* Where vaults created from now on keep their data: NULL or "" (the default) for the
 * SQLite file in each vault's directory; or a PostgreSQL server, as a URI
 * "postgresql://[user@]host[:port]/database[?param=value&...]" whose parameter schema=NAME
 * names the PostgreSQL schema to make the vault in (without it: pv_ and the vault id's
 * first 16 hex digits). The vault's directory records where it is (its file `store`), so
 * later opens follow it; a store set at an open replaces only the recorded connection
 * (a new primary's address), never the schema. The password comes from PGPASSWORD or
 * PGPASSFILE: a URI holding one is refused (PV_ERR_USAGE, message in pv_errmsg(NULL)).
 * The setting is the process's. */
PV_API PV_CHECK pv_rc pv_set_store(const char *location);

/* ---- Schema checking ------------------------------------------------------------ */

/* Called once per problem found; line and column 1-based. */
typedef void (*pv_diag_fn)(void *ctx, const char *file, int line, int column,
			   const char *message);

/* Validate a schema file, reporting every problem through diag. PV_OK when valid,
 * PV_ERR_SCHEMA when any problem was reported, PV_ERR_IO when unreadable. */
PV_API PV_CHECK pv_rc pv_schema_check_file(const char *path, pv_diag_fn diag, void *ctx);

/* ---- Who is asking --------------------------------------------------------------- */

/* Whether a reader asks for values in clear. */
typedef enum pv_want { PV_WANT_MASKED = 0, PV_WANT_CLEAR = 1 } pv_want;

/* The caller of an operation: a role from the schema (NULL: the user's first role; for
 * operations that read no customer data, any of the user's roles), the purpose declared
 * ("all", or one the role may use; a read of customer data must name one), and whether
 * clear values are asked for (PV_WANT_MASKED: everything the role may see is shown
 * masked). */
typedef struct pv_access {
	const char *role;
	const char *purpose;
	pv_want want_clear;
} pv_access;

/* ---- Records --------------------------------------------------------------------- */

/* One customer as a role sees it. */
typedef struct pv_record pv_record;

typedef enum pv_field_view {
	PV_SHOWN_HIDDEN = 0, /* the role may not see this field */
	PV_SHOWN_MASKED = 1,
	PV_SHOWN_CLEAR = 2
} pv_field_view;

/* Read customer id. PV_ERR_NOT_FOUND when absent, PV_ERR_CORRUPT (message naming the
 * customer and field) when stored data fails authentication. Free with pv_record_free.
 *
 * Bulk reads in clear: a handle shows at most the vault's bulk limit of customers with
 * values in clear (default 100, set by the approved 'audit threshold'), whatever the call
 * (get, get_many, find_records, list); a read that would go beyond it needs an approved
 * "read clear" request for exactly its customers, role and purpose (PV_ERR_DENIED
 * without one). Sessions opened with the root secret are not limited. */
PV_API PV_CHECK pv_rc pv_get(pv_vault *v, const pv_access *who, const char *id,
			     pv_record **out);

/* Read customers ids[0..n) as pv_get would, counted against the bulk limit together, each
 * passed to fn (borrowed for the call); fn returning non-zero stops. */
typedef int (*pv_record_fn)(void *ctx, const pv_record *r);
PV_API PV_CHECK pv_rc pv_get_many(pv_vault *v, const pv_access *who, const char *const *ids,
				  size_t n, pv_record_fn fn, void *ctx);

/* The customer id (borrowed for the record's life). */
PV_API const char *pv_record_id(const pv_record *r);
/* Number of fields, in schema order, hidden ones included. */
PV_API size_t pv_record_field_count(const pv_record *r);
/* Field i's name (borrowed). */
PV_API const char *pv_record_field_name(const pv_record *r, size_t i);
/* Field i's value as shown (borrowed; "" when empty; NULL when hidden). */
PV_API const char *pv_record_field_value(const pv_record *r, size_t i);
/* How field i is shown. */
PV_API pv_field_view pv_record_field_view(const pv_record *r, size_t i);
/* Consent records of the customer: count, purpose name and state (1 yes, 0 no). */
PV_API size_t pv_record_consent_count(const pv_record *r);
PV_API const char *pv_record_consent_purpose(const pv_record *r, size_t i);
PV_API int pv_record_consent_granted(const pv_record *r, size_t i);
/* Wipe and free; NULL harmless. */
PV_API void pv_record_free(pv_record *r);

/* Find customers whose indexed field equals value (after normalising), through the
 * blind index. Calls fn with each matching id in id order; fn returning non-zero stops.
 * PV_ERR_USAGE (message naming the field) when the field is not indexed. */
typedef int (*pv_id_fn)(void *ctx, const char *id);
PV_API PV_CHECK pv_rc pv_find(pv_vault *v, const pv_access *who, const char *field,
			      const char *value, pv_id_fn fn, void *ctx);

/* Find customers as pv_find does and show each as pv_get would, under one audit entry
 * (needs both 'find' and 'read'). fn receives each record (borrowed for the call).
 * PV_ERR_FIND_ONLY when the role has 'find' but not 'read' (pv_find then gives the ids). */
PV_API PV_CHECK pv_rc pv_find_records(pv_vault *v, const pv_access *who, const char *field,
				      const char *value, pv_record_fn fn, void *ctx);

/* Customers in id order after the id `after` (NULL: from the start), at most limit of
 * them; each passed to fn as a record (borrowed for the call): exactly the customers its
 * audit entry names (found before anything is shown). fn returning non-zero stops.
 * *next_after (may be NULL) receives an id to continue from (pv_free), or NULL
 * when the list is exhausted. */
PV_API PV_CHECK pv_rc pv_list(pv_vault *v, const pv_access *who, const char *after,
			      size_t limit, pv_record_fn fn, void *ctx, char **next_after);

/* How many customers sealed by a breach incident (信息封存, see pv_incident_seal) the
 * last pv_list or pv_export on v left out, with into incident (n bytes; may be NULL) the
 * incident sealing them ("several incidents" when more than one, "" when none). The
 * call's audit entry says the same, so the omission is never silent. */
PV_API uint64_t pv_sealed_left_out(const pv_vault *v, char *incident, size_t n);

/* Set fields[i] of a customer to values[i], for i < n, in one transaction: every change
 * or none (each value validated and normalised as at import; blind index updated; one
 * audit entry naming the fields). A field may also be a consent column, with a yes/no
 * value. PV_ERR_USAGE for a name the schema lacks or a field given twice, PV_ERR_INPUT
 * for a value that fails validation (the message names the field, never the value). */
PV_API PV_CHECK pv_rc pv_update_fields(pv_vault *v, const pv_access *who, const char *id,
				       const char *const *fields, const char *const *values,
				       size_t n);
/* pv_update_fields of one field. */
PV_API PV_CHECK pv_rc pv_update(pv_vault *v, const pv_access *who, const char *id,
				const char *field, const char *value);

typedef enum pv_export_format { PV_EXPORT_CSV = 1, PV_EXPORT_JSONL = 2 } pv_export_format;
/* How a report is rendered. */
typedef enum pv_render { PV_RENDER_JSON = 0, PV_RENDER_HTML = 1 } pv_render;

/* Stream every customer to out, as the role sees it (masked unless who->want_clear and
 * the role may see a field in clear). CSV: header of the visible fields and consent
 * columns; JSONL: one object per customer. Memory does not grow with the count. */
PV_API PV_CHECK pv_rc pv_export(pv_vault *v, const pv_access *who, pv_export_format fmt,
				FILE *out);
/* What pv_export by who would leave out now because breach incidents sealed them: *n
 * customers, and into incident (len bytes; may be NULL) the incident sealing them
 * ("several incidents" when more than one, "" when none): the count an export makes
 * before its first row and writes in its audit entry (a seal or release between the two
 * calls changes it). For a caller that cannot read pv_sealed_left_out after its export (a
 * server whose streamed reply's headers go out before the export ends). Needs 'export' as
 * pv_export does; audited. */
PV_API PV_CHECK pv_rc pv_export_sealed(pv_vault *v, const pv_access *who, uint64_t *n,
				       char *incident, size_t len);
/* pv_export into a new file at path (mode 0600, never over anything), removed again if
 * the export fails. Masked values only: clear values go to a caller's stream (standard
 * output), never straight to a file (PV_ERR_USAGE when who->want_clear). */
PV_API PV_CHECK pv_rc pv_export_file(pv_vault *v, const pv_access *who, pv_export_format fmt,
				     const char *path);
/* An export received from a server (the client's `pivault export -o FILE`) written to a new
 * file under pv_export_file's rules (PV_ERR_USAGE when want_clear, PV_ERR_EXISTS when
 * something is at path), atomically: open makes a temporary file (0600) beside path; commit
 * syncs it and gives it path's name (never over anything that appeared meanwhile); discard
 * (or a failed commit) removes it. No vault: the message of a failure is pv_errmsg(NULL).
 * commit and discard free the sink. */
typedef struct pv_export_sink pv_export_sink;
PV_API PV_CHECK pv_rc pv_export_sink_open(int want_clear, const char *path,
					  pv_export_sink **out);
PV_API PV_CHECK pv_rc pv_export_sink_write(pv_export_sink *s, const void *data, size_t n);
PV_API PV_CHECK pv_rc pv_export_sink_commit(pv_export_sink *s);
PV_API void pv_export_sink_discard(pv_export_sink *s);

/* ---- Import ---------------------------------------------------------------------- */

/* Called for each problem in the input: line (1-based, physical line where the row
 * starts), column name (NULL for whole-row problems) and reason. Never the value. */
typedef void (*pv_row_error_fn)(void *ctx, uint64_t line, const char *column,
				const char *reason);

typedef enum pv_import_flags {
	PV_IMPORT_DROP_UNDECLARED = 1,     /* ignore columns the schema does not declare */
	PV_IMPORT_ALLOW_EMPTY_REQUIRED = 2 /* a required field may be empty (an archive that
					    * holds only what a law keeps) */
} pv_import_flags;

typedef struct pv_import_opts {
	const char *reject_path;  /* NULL: all-or-nothing; else good rows are imported and
				   * bad ones written here, masked */
	pv_import_flags flags;
	unsigned threads;         /* 0: one per core */
	pv_row_error_fn on_error;
	void *ctx;                /* for on_error; progress goes to pv_vault_on_progress */
} pv_import_opts;

/* What an import did. Read with the accessors; free with pv_import_free. */
typedef struct pv_import_result pv_import_result;

/* Import CSV (RFC 4180, UTF-8, header row) from path. PV_ERR_INPUT when any row is bad
 * and no reject file was given: then nothing is written. *out (may be NULL) receives the
 * summary, also on PV_ERR_INPUT. */
PV_API PV_CHECK pv_rc pv_import_csv(pv_vault *v, const pv_access *who, const char *path,
				    const pv_import_opts *opts, pv_import_result **out);

/* pv_import_csv of the CSV read from fd (a pipe or a socket, read to its end; not closed),
 * for input that arrives over a network. The end of fd may be a sender that stopped half
 * way: before anything is committed, whole(ctx) says whether the input really ended (1)
 * or not (0: everything rolled back, PV_ERR_INPUT naming it). whole NULL: the end of fd
 * is the end of the input. */
PV_API PV_CHECK pv_rc pv_import_csv_fd(pv_vault *v, const pv_access *who, int fd,
				       int (*whole)(void *ctx), void *whole_ctx,
				       const pv_import_opts *opts, pv_import_result **out);

PV_API uint64_t pv_import_rows_read(const pv_import_result *r);
/* The customers the import committed: 0 whenever it failed (nothing is kept), however
 * many rows were stored before the failure. */
PV_API uint64_t pv_import_rows_imported(const pv_import_result *r);
PV_API uint64_t pv_import_rows_rejected(const pv_import_result *r);
PV_API double pv_import_seconds(const pv_import_result *r);
/* Duplicate groups: customers sharing a resident ID number or phone with another
 * customer (in the file or already in the vault). Each group: the field and the ids. */
PV_API size_t pv_import_duplicate_count(const pv_import_result *r);
PV_API const char *pv_import_duplicate_field(const pv_import_result *r, size_t i);
PV_API const char *pv_import_duplicate_ids(const pv_import_result *r, size_t i); /* "C1,C7" */
/* Columns dropped by drop_undeclared, comma-separated ("" if none); and warnings. */
PV_API const char *pv_import_dropped_columns(const pv_import_result *r);
PV_API const char *pv_import_warnings(const pv_import_result *r);
/* Customers already in the vault that a breach incident sealed, left out of the duplicate
 * groups (no read shows a sealed customer; a group left with one customer is not
 * reported), each counted once, with into incident (n bytes; may be NULL) the incident
 * ("several incidents" when more than one, "" when none). The import's audit entry says
 * the same. An import touches sealed customers nowhere else: an id already in the vault,
 * sealed or not, is rejected alike. */
PV_API uint64_t pv_import_sealed_left_out(const pv_import_result *r, char *incident, size_t n);
/* The summary as a JSON object (malloc'd; pv_free); "sealed_left_out": {"customers",
 * "incident"} present when the duplicate groups left sealed customers out. */
PV_API char *pv_import_json(const pv_import_result *r);
PV_API void pv_import_free(pv_import_result *r);

/* ---- Users ------------------------------------------------------------------- */

/* A user as listed. gaps says which staff obligations are not met ("" when none). */
typedef struct pv_user_info {
	const char *name, *roles;
	int disabled, failures;
	int64_t locked_until; /* Unix time, 0 when not locked */
	const char *agreement, *training, *training_expires;
	const char *gaps;
	int waiting; /* made or reset, has not yet set a password with the enrolment code */
} pv_user_info;
typedef int (*pv_user_fn)(void *ctx, const pv_user_info *u);

/* Add a user with roles (comma-separated, from the schema). Needs 'users' and, for users,
 * an approved request ("user add"). Nobody chooses the new user's password: the user is
 * made waiting for enrolment with a one-time code in two halves. The approver received
 * half A at approval (pv_request_decide); *enrol_half (malloc'd; pv_free) receives half
 * B, for the requester alone. A root-secret session (break-glass, no request) receives
 * both, "A B", to hand over. The new user opens nothing and approves nothing until they
 * set their password with both halves (pv_user_enrol). */
PV_API PV_CHECK pv_rc pv_user_add(pv_vault *v, const pv_access *who, const char *name,
				  const char *roles, char **enrol_half);
/* Reset another user's credential: their password opens nothing from now on, a lock-out
 * is cleared, and they enrol again with a new two-half code, given as for pv_user_add.
 * Needs 'users' and, for users, an approved request ("user reset"). */
PV_API PV_CHECK pv_rc pv_user_reset(pv_vault *v, const pv_access *who, const char *name,
				    char **enrol_half);
/* Set one's own password with both halves of the enrolment code (half A from the
 * approver, half B from the requester): a new key pair sealed under the password, the
 * code then used up. Counted and audited as a login; a wrong half gets the message of an
 * unknown user. On success *out is a handle opened as that user (*out is set even on
 * failure, as for pv_vault_open). */
PV_API PV_CHECK pv_rc pv_user_enrol(const char *dir, const char *keyring_path,
				    const char *user, const char *half_a, const char *half_b,
				    const char *password, size_t len, pv_vault **out);
/* Disable a user: their access to the master key is deleted at once; revocation is
 * complete after the next pv_vault_rekey_root, which makes a new master key (one the user
 * may have kept from an earlier session opens the vault until then). Needs 'users'. */
PV_API PV_CHECK pv_rc pv_user_disable(pv_vault *v, const pv_access *who, const char *name);
/* Change one's own password (a session opened as that user): the old one must be given;
 * the user's key pair is sealed under the new one, and the user's sign-in sessions on a
 * server are ended. Another user's password is never set: see pv_user_reset. */
PV_API PV_CHECK pv_rc pv_user_passwd(pv_vault *v, const char *old_password, size_t old_len,
				     const char *password, size_t len);
/* Record when the confidentiality agreement was signed and privacy training passed
 * (YYYY-MM-DD; NULL leaves one as it is); training expires after a year unless
 * training_expires is given. Needs 'users'. */
PV_API PV_CHECK pv_rc pv_user_attest(pv_vault *v, const pv_access *who, const char *name,
				     const char *agreement, const char *training,
				     const char *training_expires);
typedef enum pv_user_filter { PV_USERS_ALL = 0, PV_USERS_WITH_GAPS = 1 } pv_user_filter;
/* List users (PV_USERS_WITH_GAPS: those missing an obligation). Needs 'users'. */
PV_API PV_CHECK pv_rc pv_user_list(pv_vault *v, const pv_access *who, pv_user_filter which,
				   pv_user_fn fn, void *ctx);

/* ---- API tokens for scripts (pivault serve) ----------------------------------------- */

/* An API token is a session for another system (the order system, the call centre) with
 * a longer life and a narrower scope: made for a named user, it acts as that user with
 * one role only (a role the user holds, checked again at every use: a role taken from the
 * user, or a user disabled, ends the token), may use only its purposes (a read naming
 * another purpose, or "all" when it has not every one, is refused), and expires. It is
 * entered, acted in and left like a session (pv_session_enter with the token; the bulk
 * limit of clear reads counts over the token's whole life), every use audited under the
 * user naming the token's id, never its secret. The vault keeps a keyed hash of the
 * secret and the row under an integrity tag; a revoked token's id is also kept in a
 * setting under the vault's integrity seal, so a row put back from before its revocation
 * is refused too. Making, listing and revoking tokens need permission 'users' (issuing a
 * credential for a user is user administration) and are refused inside a token's own
 * session (a token cannot make or revoke tokens). Replacing the root secret (a new master
 * key) ends every token, as it ends every session. */
#define PV_API_TOKEN_PREFIX "pvt_"
/* Length of an API token: the prefix and 64 hexadecimal characters (32 random bytes). */
#define PV_API_TOKEN_CHARS 68
/* Its public id: 16 hexadecimal characters. */
#define PV_API_TOKEN_ID_CHARS 16
/* The longest life of a token: 365 days. */
#define PV_API_TOKEN_MAX_SECONDS (365u * 86400u)

/* Make a token for user with role (one of the user's roles) and purposes (declared
 * purposes the role may use, comma-separated, at least one), valid for ttl_seconds (1 to
 * PV_API_TOKEN_MAX_SECONDS). On PV_OK *id (pv_free) receives its public id and *token
 * (pv_free) the token, shown this once. Audited under the user and the maker. */
PV_API PV_CHECK pv_rc pv_api_token_create(pv_vault *v, const pv_access *who, const char *user,
					  const char *role, const char *purposes,
					  uint32_t ttl_seconds, char **id, char **token);
/* A token for another user than the caller's own is a credential issued in their name:
 * for a user session it runs only under a request ("api token create") that a second
 * person approved, binding the user, the role, the purposes (as checked: declared, each
 * once, in the order given) and ttl_seconds (see "Four-eyes approvals"). 1 when making a
 * token for user on v needs such a request (not the caller's own, not break-glass). */
PV_API int pv_api_token_needs_approval(const pv_vault *v, const char *user);

/* One token as listed (borrowed during the callback); never its secret. state is
 * "active", "expired", "revoked" or "altered" (its row fails its integrity check). */
typedef struct pv_api_token_info {
	const char *id, *user, *role, *purposes, *created_by, *state;
	int64_t created, expires, revoked; /* Unix seconds; revoked 0 when not */
} pv_api_token_info;
typedef int (*pv_api_token_fn)(void *ctx, const pv_api_token_info *t);

/* Every token of user (NULL: of every user), oldest first; fn non-zero stops. Audited. */
PV_API PV_CHECK pv_rc pv_api_token_list(pv_vault *v, const pv_access *who, const char *user,
					pv_api_token_fn fn, void *ctx);

/* Revoke the token with public id: refused from now on, on every handle. Audited.
 * PV_ERR_NOT_FOUND for an unknown id; revoking a revoked token is PV_OK. */
PV_API PV_CHECK pv_rc pv_api_token_revoke(pv_vault *v, const pv_access *who, const char *id);

/* ---- Four-eyes approvals (审批) ----------------------------------------------- */

/* An operation that can do lasting harm (export in clear, a read in clear of more
 * customers than the bulk limit, user add and reset, shred, retention apply, dsr delete,
 * schema, handover export and confirm, transfer shred-excluded and pin-key, decommission
 * run, audit threshold, an API token for another user) runs for a user only under a
 * request another user approved. The request binds the operation's own canonical
 * parameters (the ids it acts on, format, purpose and role, the hashes of the files it
 * reads, the sets it computes), so what runs is checked in the library against what was
 * approved.
 *
 * To ask: pv_request_begin, then call the operation itself with the arguments it is to
 * run with; it checks the caller's permission and its arguments, states its parameters
 * and returns PV_REQUESTED without acting; pv_request_submit then records the request.
 * reason: why (shown to the approver); ttl_seconds: 0 for 24 hours, at most 30 days;
 * command: how the front end will run it again (shown; never compared). An operation that
 * needs no approval as called is refused while asking (nothing runs). */
PV_API PV_CHECK pv_rc pv_request_begin(pv_vault *v, const char *reason, unsigned ttl_seconds,
				       const char *command);
/* Record what the operation called after pv_request_begin stated; *id gets the request
 * id ("R-..."; pv_free). PV_ERR_USAGE when no operation stopped for approval. */
PV_API PV_CHECK pv_rc pv_request_submit(pv_vault *v, char **id);

typedef enum pv_decision { PV_REJECT = 0, PV_APPROVE = 1 } pv_decision;

/* Approve or reject a pending request: needs 'approve', and the decider cannot be
 * the requester. Approving "user add" or "user reset" makes the approver's half of the
 * new user's one-time enrolment code: *enrol_half (malloc'd; pv_free; NULL otherwise) is
 * shown to the approver alone, who hands it to the new user. */
PV_API PV_CHECK pv_rc pv_request_decide(pv_vault *v, const pv_access *who, const char *id,
					pv_decision decision, char **enrol_half);
/* As pv_request_decide, with the decider's reason (NULL: none) kept in the decision's
 * audit entry (free text: like a request's reason, it must not hold a personal value). */
PV_API PV_CHECK pv_rc pv_request_decide_why(pv_vault *v, const pv_access *who, const char *id,
					    pv_decision decision, const char *reason,
					    char **enrol_half);

/* Take up an approved request before running its operation: refused unless the caller
 * is its requester and it is approved, unexpired and unused. The operation then compares
 * its own parameters with the approved ones and marks the request used. */
PV_API PV_CHECK pv_rc pv_vault_use_request(pv_vault *v, const char *id);

/* A request as listed (state: pending, approved, rejected, used, expired). params is
 * what was approved, in readable form; command how the front end runs it. */
typedef struct pv_request_info {
	const char *id, *requester, *op, *params, *command, *reason, *created;
	int64_t expires;
	const char *state, *approver, *decided;
	/* params as a JSON object, {"key": "value", ...} in the order the operation bound
	 * them ("truncated": true when the text kept for the approver was cut) */
	const char *args;
	int64_t created_at, decided_at; /* Unix seconds; decided_at 0 while undecided */
} pv_request_info;
typedef int (*pv_request_fn)(void *ctx, const pv_request_info *r);
/* Every request when who->role grants 'approve' or 'audit' (who or its role NULL: any of
 * the user's roles); only the caller's own otherwise. Audited. */
PV_API PV_CHECK pv_rc pv_request_list(pv_vault *v, const pv_access *who, pv_request_fn fn,
				      void *ctx);

/* A request's operation and command (malloc'd; pv_free), to run it again. */
PV_API PV_CHECK pv_rc pv_request_get(pv_vault *v, const char *id, char **op, char **command);

/* A time the library printed (ISO 8601 "YYYY-MM-DDTHH:MM:SSZ", or a date "YYYY-MM-DD": its
 * midnight) as Unix seconds (UTC); -1 when it is neither. */
PV_API int64_t pv_time_unix(const char *text);

/* ---- Crypto-shredding and destruction certificates ---------------------------- */

/* Destroy customers ids[0..n): their wrapped data keys, sealed fields, blind-index
 * entries and consents are deleted, the buckets that held them get new keys (the
 * remaining data keys re-wrapped), and the old bucket keys are overwritten in place in
 * the keyring; the write-ahead log is checkpointed; a line per customer goes to the
 * shred ledger beside the keyring. Needs 'shred' and, for users, an approved request.
 * *certificate receives the signed destruction certificate (JSON; pv_free).
 *
 * Once the store commits, the customers are gone for good: *certificate is then set
 * even when a step after the commit fails (the keyring's overwrite, the checkpoint, the
 * ledger), and the return is PV_ERR_IO (PV_ERR_STORE: the checkpoint alone) with a
 * message that says what was done, what failed and what is left to do. Keep the
 * certificate whenever it is set; *certificate is NULL when nothing was shredded.
 * A customer under a legal hold, or sealed by a breach incident (PV_ERR_SEALED naming
 * it), is never shredded: the whole call is refused. */
PV_API PV_CHECK pv_rc pv_shred(pv_vault *v, const pv_access *who, const char *const *ids,
			       size_t n, char **certificate);

/* A destruction certificate as the shred ledger keeps it (strings borrowed for the
 * callback): the hash of its text (hex, as the audit entry names it), its time, how many
 * customers it names, and its text (signed JSON, as pv_shred returned it). */
typedef struct {
	const char *hash, *time, *text;
	uint64_t customers;
} pv_certificate_info;
typedef int (*pv_certificate_kept_fn)(void *ctx, const pv_certificate_info *c);

/* Every destruction certificate in the shred ledger beside the keyring, oldest first,
 * each once: a certificate is never lost with the file it was written to, nor with a
 * restore of older data. Needs who->role to grant 'audit' or 'shred' (who or its role
 * NULL: any of the user's roles; the root secret acts as any role); audited. fn answers
 * nonzero to stop. */
PV_API PV_CHECK pv_rc pv_certificates(pv_vault *v, const pv_access *who,
				      pv_certificate_kept_fn fn, void *ctx);

/* Whether the shred a destruction certificate (text, as pv_shred returned it) records is
 * complete on every node: *nodes gets how many nodes (keyrings over this vault's store)
 * are registered, *pending how many have not yet applied and acknowledged the keyring
 * journal's entries the certificate names (0: complete; pivault doctor names them). The
 * certificate's signature is not checked here (pv_certificate_verify does). */
PV_API PV_CHECK pv_rc pv_certificate_nodes_pending(pv_vault *v, const char *text,
						    unsigned *nodes, unsigned *pending);

/* A keyring node (a vault directory with a keyring file of its own over this vault's
 * store), strings borrowed for the callback. */
typedef struct {
	const char *id;            /* 32 hex digits (the keyring's KEYRING.node) */
	const char *name;          /* the host's name when it registered */
	const char *registered_at; /* active nodes; NULL for a retired one */
	const char *retired_at;    /* retired nodes; NULL for an active one */
	uint64_t applied;          /* the last keyring journal entry it applied */
	uint64_t behind;           /* journal entries it lacks (shreds not complete on it) */
	int self;                  /* 1: the node this handle runs on */
} pv_node_info;
typedef int (*pv_node_fn)(void *ctx, const pv_node_info *n);

/* Every node: the active ones in order of registration, then the retired ones. Needs
 * 'audit'; audited. fn answers nonzero to stop. */
PV_API PV_CHECK pv_rc pv_node_list(pv_vault *v, const pv_access *who, pv_node_fn fn,
				   void *ctx);

/* Retire node node_id (as pv_node_list gives it): a machine gone for good, its keyring
 * file and every copy of it destroyed. Certificates stop waiting for it (a shred's
 * certificate names the nodes retired so far), pivault doctor stops naming it, and its
 * keyring is refused at open from then on. Not the node this handle runs on
 * (PV_ERR_USAGE); PV_ERR_NOT_FOUND when no such node is registered. Needs 'shred' and,
 * for users, an approved request ("node retire", four eyes: a retirement that was not
 * true would let certificates say complete while a keyring still holds destroyed keys);
 * audited. */
PV_API PV_CHECK pv_rc pv_node_retire(pv_vault *v, const pv_access *who, const char *node_id);

/* The vault's Ed25519 public key (64 hex digits + NUL), to verify what it signs. */
PV_API PV_CHECK pv_rc pv_vault_public_key(pv_vault *v, char hex[65]);

/* A public key's fingerprint, short enough to compare by voice: the first 10 bytes of
 * its BLAKE2b-256 hash as five groups of four hex digits ("3f2a 9c81 0b7d 44e2 a9f0").
 * PV_ERR_USAGE when public_key_hex is not 64 hex digits. */
#define PV_FINGERPRINT_SIZE 25
PV_API PV_CHECK pv_rc pv_key_fingerprint(const char *public_key_hex,
					 char out[PV_FINGERPRINT_SIZE]);

/* Check a destruction certificate with only the vault's public key (hex), which the
 * caller pinned (the key the certificate names is never trusted alone). PV_OK with a
 * summary naming the key's fingerprint in *summary (pv_free; summary may be NULL), or
 * PV_ERR_CORRUPT / PV_ERR_INPUT / PV_ERR_USAGE with the reason in pv_errmsg(NULL) (a
 * wrong key: both fingerprints). */
PV_API PV_CHECK pv_rc pv_certificate_verify(const char *text, const char *public_key_hex,
					    char **summary);

/* ---- Consent ---------------------------------------------------------------------- */

typedef enum pv_consent_state {
	PV_CONSENT_WITHDRAWN = 0,
	PV_CONSENT_GRANTED = 1
} pv_consent_state;

/* Record that customer id gave (PV_CONSENT_GRANTED) or withdrew consent for purpose, by
 * channel ("web", "paper", "phone", ...) under consent text text_version. From then on a
 * read naming a purpose that needs consent reaches only customers whose consent is in
 * force. Needs 'consent'. */
PV_API PV_CHECK pv_rc pv_consent_set(pv_vault *v, const pv_access *who, const char *id,
				     const char *purpose, pv_consent_state granted,
				     const char *channel, const char *text_version);
/* One recorded change of consent. */
typedef struct pv_consent_event {
	const char *purpose;
	pv_consent_state granted;
	const char *at, *channel, *text_version, *recorded_by;
} pv_consent_event;
typedef int (*pv_consent_fn)(void *ctx, const pv_consent_event *e);
/* A customer's consent history, oldest first (import sets the state without history).
 * Needs 'consent'. */
PV_API PV_CHECK pv_rc pv_consent_history(pv_vault *v, const pv_access *who, const char *id,
					 pv_consent_fn fn, void *ctx);

/* ---- Data-subject requests (PIPL art. 44-47, GDPR art. 15-21) --------------------- */

/* Record a customer's request (type access, correct, delete, restrict or object) under
 * law "pipl" (NULL: the default; 15 days), "gdpr" (30) or "ccpa" (45). *id receives the
 * request id (pv_free). Needs 'dsr'. */
PV_API PV_CHECK pv_rc pv_dsr_open(pv_vault *v, const pv_access *who, const char *customer,
				  const char *type, const char *law, char **id);
/* Fulfil deletion request dsr_id: crypto-shred its customer (as pv_shred) and close the
 * request. *certificate gets the signed destruction certificate (pv_free), set whenever
 * the customer was shredded, even with an error (as pv_shred: a step after the shred, or
 * the request's closing, failed; the message says which). Refused, the
 * request left open, while the customer is under a legal hold (the message names it)
 * or sealed by a breach incident (PV_ERR_SEALED naming it: answer after the release).
 * Needs 'dsr' and 'shred' and, for users, an approved request ("dsr delete"). */
PV_API PV_CHECK pv_rc pv_dsr_delete(pv_vault *v, const pv_access *who, const char *dsr_id,
				    char **certificate);
/* Fulfil a restrict request (the data stays, read only under the purpose
 * "legal-claims") or an object request (the customer is left out of every handover and
 * of every purpose that needs consent, such as marketing), and close it. Needs 'dsr'. */
PV_API PV_CHECK pv_rc pv_dsr_fulfil(pv_vault *v, const pv_access *who, const char *dsr_id);
typedef enum pv_dsr_lift_what {
	PV_LIFT_RESTRICTION = 0,
	PV_LIFT_OBJECTION = 1
} pv_dsr_lift_what;
/* Lift a customer's restriction or objection. Needs 'dsr'. */
PV_API PV_CHECK pv_rc pv_dsr_lift(pv_vault *v, const pv_access *who, const char *customer,
				  pv_dsr_lift_what what);
/* Fulfil a correction request: set fields[i] to values[i] (each an audited update,
 * validated as at import; needs 'update' too), then close the request. Needs 'dsr'. */
PV_API PV_CHECK pv_rc pv_dsr_correct(pv_vault *v, const pv_access *who, const char *dsr_id,
				     const char *const *fields, const char *const *values,
				     size_t n);
/* Close a request with how it was answered. Needs 'dsr'. */
PV_API PV_CHECK pv_rc pv_dsr_close(pv_vault *v, const pv_access *who, const char *id,
				   const char *outcome);
/* A request as listed; state is open, overdue, closed or closed late. */
typedef struct pv_dsr_info {
	const char *id, *customer, *type, *law, *opened, *due, *state, *closed, *outcome;
} pv_dsr_info;
typedef int (*pv_dsr_fn)(void *ctx, const pv_dsr_info *d);
typedef enum pv_dsr_filter { PV_DSR_ALL = 0, PV_DSR_OVERDUE = 1 } pv_dsr_filter;
/* The queue by due date (PV_DSR_OVERDUE: only those past their deadline). Needs 'dsr'. */
PV_API PV_CHECK pv_rc pv_dsr_list(pv_vault *v, const pv_access *who, pv_dsr_filter which,
				  pv_dsr_fn fn, void *ctx);

/* Answer access request dsr_id: the customer's data in clear, purposes, consents,
 * retention rules, who accessed the data and when, and handovers, as JSON or
 * (PV_RENDER_HTML) an HTML page, written to out (standard output in the CLI). The
 * caller's role must read every field ('read' with purpose 'all', as dpo and admin can). */
PV_API PV_CHECK pv_rc pv_dsr_access_report(pv_vault *v, const pv_access *who,
					   const char *dsr_id, pv_render form, FILE *out);

/* ---- Accuracy reviews (定期审查) -------------------------------------------------- */

/* Record that customer id confirmed its data today, by channel. Needs 'update'. */
PV_API PV_CHECK pv_rc pv_review_confirm(pv_vault *v, const pv_access *who, const char *id,
					const char *channel);
/* A customer to re-confirm: its id, when last confirmed (or imported), and the contact
 * channels it has ("phone,email"); never a value. */
typedef struct pv_review_info {
	const char *id, *last_confirmed, *channels;
} pv_review_info;
typedef int (*pv_review_fn)(void *ctx, const pv_review_info *r);
/* Customers last confirmed more than months ago (0: PV_REVIEW_MONTHS_DEFAULT), oldest
 * first. Needs 'list'. */
#define PV_REVIEW_MONTHS_DEFAULT 24
PV_API PV_CHECK pv_rc pv_review_due(pv_vault *v, const pv_access *who, unsigned months,
				    pv_review_fn fn, void *ctx);

/* ---- Complaints (投诉, 争议) ------------------------------------------------------ */

/* Open a complaint about customer's personal information (dsr: a linked request id or
 * NULL), due in 15 days; text is sealed under the customer's data key. Needs 'dsr'. */
PV_API PV_CHECK pv_rc pv_complaint_open(pv_vault *v, const pv_access *who, const char *customer,
					const char *dsr, const char *text, char **id);
/* Add a note; resolve with the outcome (also sealed). Need 'dsr'. */
PV_API PV_CHECK pv_rc pv_complaint_note(pv_vault *v, const pv_access *who, const char *id,
					const char *text);
PV_API PV_CHECK pv_rc pv_complaint_resolve(pv_vault *v, const pv_access *who, const char *id,
					   const char *outcome);
/* A complaint as listed: state open, late, resolved or resolved late. */
typedef struct pv_complaint_info {
	const char *id, *customer, *dsr, *opened, *due, *state, *resolved;
} pv_complaint_info;
typedef int (*pv_complaint_fn)(void *ctx, const pv_complaint_info *c);
PV_API PV_CHECK pv_rc pv_complaint_list(pv_vault *v, const pv_access *who, pv_complaint_fn fn,
					void *ctx);
/* A complaint's notes, oldest first; text NULL once the customer has been shredded. */
typedef struct pv_note_info {
	const char *at, *by, *kind, *text;
} pv_note_info;
typedef int (*pv_note_fn)(void *ctx, const pv_note_info *n);
PV_API PV_CHECK pv_rc pv_complaint_show(pv_vault *v, const pv_access *who, const char *id,
					pv_note_fn fn, void *ctx);

/* ---- Breach incidents (信息泄露应急) ---------------------------------------------- */

/* What happened; names as the CLI spells them: leak, tamper, loss, unauthorised-access. */
typedef enum pv_incident_kind {
	PV_INCIDENT_LEAK, PV_INCIDENT_TAMPER, PV_INCIDENT_LOSS, PV_INCIDENT_UNAUTHORISED_ACCESS
} pv_incident_kind;
/* Where an incident stands; it only moves forward: open, contained, notified, closed. */
typedef enum pv_incident_state {
	PV_INCIDENT_OPEN, PV_INCIDENT_CONTAINED, PV_INCIDENT_NOTIFIED, PV_INCIDENT_CLOSED
} pv_incident_state;
/* The enums' names, and back (-1 for an unknown name). */
PV_API const char *pv_incident_kind_name(pv_incident_kind kind);
PV_API int pv_incident_kind_from_name(const char *name);
PV_API const char *pv_incident_state_name(pv_incident_state state);
PV_API int pv_incident_state_from_name(const char *name);

/* Record an incident detected at detected_at (ISO 8601: YYYY-MM-DDTHH:MM:SSZ or with an
 * offset; not in the future) and start its clock (opened now, state open). description
 * says what happened in general terms (stored as written: no personal data in it).
 * *id gets the incident's id (pv_free). Needs 'incident'; audited. */
PV_API PV_CHECK pv_rc pv_incident_open(pv_vault *v, const pv_access *who, pv_incident_kind kind,
				       const char *detected_at, const char *description,
				       char **id);

/* Which audit entries an incident's scope comes from: successful reads, finds, lists,
 * exports and updates of customers, narrowed by each field given (NULL: any): the user
 * who acted, a time window (since inclusive, until exclusive; ISO 8601 prefixes), the
 * operation ("read", "find", "list", "export", "update"), and customer ids (only these). */
typedef struct pv_incident_filter {
	const char *user, *since, *until, *operation;
	const char *const *customers;
	size_t ncustomers;
} pv_incident_filter;
typedef struct pv_incident_counts {
	size_t entries;    /* audit entries matched */
	size_t customers;  /* customers touched */
	size_t categories; /* field categories touched (basic, financial, other) */
} pv_incident_counts;
/* Find from the audit log which customers and which field categories (those the entry's
 * purpose covers, or the fields an update names; every category when no purpose was
 * declared) the matching entries touched, and store that as the incident's scope (ids
 * and category names only), replacing any earlier scope. Needs 'incident'; audited. */
PV_API PV_CHECK pv_rc pv_incident_scope(pv_vault *v, const pv_access *who, const char *id,
					const pv_incident_filter *f, pv_incident_counts *counts);

/* Move an incident to a later state, recording the time; a state already reached or
 * passed is refused. Needs 'incident'; audited. */
PV_API PV_CHECK pv_rc pv_incident_set_state(pv_vault *v, const pv_access *who, const char *id,
					    pv_incident_state state);

/* An incident as JSON (id, kind, state, detected_at, description, opened_by, the time of
 * each state, the scope's filter, scope: [{customer, categories: [..]}], scope_customers,
 * and seal: {state: "sealed" | "released" | "never", customers: how many it seals now,
 * sealed_at and sealed_by: the seal in force or the last one lifted, and once released
 * (and not sealed again) released_at, released_by and approved_by}), or every incident (a
 * JSON array, without their scopes but with their sizes). *json is freed with pv_free.
 * Need 'incident'; audited. */
PV_API PV_CHECK pv_rc pv_incident_get(pv_vault *v, const pv_access *who, const char *id,
				      char **json);
PV_API PV_CHECK pv_rc pv_incident_list(pv_vault *v, const pv_access *who, char **json);

/* ---- Breach notices (告知, PIPL art. 57) ------------------------------------------- */

/* What the notices and the regulator's report say beyond the incident's own record.
 * notice_text: a notice file's text, lines "field: text" (blank lines and lines starting
 * with # skipped), field one of company, contact, cause, harm, remedies, actions (what
 * the customer can do), measures (for the regulator; default: remedies), each also as
 * field.zh or field.en for one language; notice_file names the file in errors
 * (file:line: field). The other members, when given, stand for the file's line in both
 * languages. company defaults to the schema's vault label. Every field must be said for
 * both languages, since the regulator's report is written in both. */
typedef struct pv_breach_text {
	const char *notice_text, *notice_file;
	const char *company, *contact, *cause, *harm, *remedies, *actions, *measures;
} pv_breach_text;
typedef struct pv_breach_counts {
	size_t customers;         /* in the incident's scope */
	size_t notices;           /* rendered and recorded now */
	size_t skipped;           /* notified before: not rendered again */
	size_t gone;              /* in the scope but no longer stored (shredded): not told */
	size_t by_category[3];    /* scope customers per category: basic, financial, other */
	size_t by_sensitivity[3]; /* scope customers with a field of that sensitivity in their
				     categories: public, sensitive, confidential */
	int report_recorded;      /* 1: the regulator's report recorded now, 0: it was before */
} pv_breach_counts;
/* Render the notice art. 57 requires to each customer of incident id's scope not told
 * before (the categories the scope recorded for that customer, cause, possible harm,
 * remedies, what the customer can do, the company's contact), from the built-in
 * template in lang ("zh", "en", or NULL: the customer's "language" field when the schema
 * has one, else zh) to notices as a mail-merge stream like pv_transfer_notify's (CSV
 * or JSON Lines: customer_id, channel, address, text; names and contacts in clear, so
 * who must declare a purpose under which the role sees them in clear, and more customers
 * than the bulk limit take an approved "read clear"). Each notice is recorded in the
 * notices register (kind "breach", queued); the audit entry naming the customers told is
 * committed before the first notice is written. The incident moves to notified (its
 * time recorded) and the report to the regulator (counts per category and sensitivity,
 * timeline, measures; Chinese then English, no personal data) goes to report, recorded
 * once in the register (kind "breach-report", no customer). Running it again tells no
 * one twice. A closed incident or one without a scope is refused. Needs 'incident';
 * audited. */
PV_API PV_CHECK pv_rc pv_incident_notify(pv_vault *v, const pv_access *who, const char *id,
					 const pv_breach_text *text, const char *lang,
					 pv_export_format fmt, FILE *notices, FILE *report,
					 pv_breach_counts *counts);
/* Seal an incident's customers (信息封存): every customer of its stored scope is frozen.
 * A read of one (get, find, a DSR access reply, a handover export) is refused with
 * PV_ERR_SEALED naming the customer and the incident; list and export leave them out;
 * other customers stay readable. The records are kept as evidence: a shred, retention's
 * erasure and a deletion request of a sealed customer are refused with PV_ERR_SEALED
 * naming the incident (the deletion request stays open, to be answered after the
 * release; retention's plan lists such values as held, "held by incident INC-...").
 * Other writes to them go on, their audit entries saying "under seal of INC-...". Sealing again adds the scope as it is then (a seal only grows until released).
 * An open incident becomes contained; a closed one, or one without scope, is refused.
 * The seal is kept under the authorisation integrity codes: rows removed or edited
 * outside pivault make every read fail closed (PV_ERR_CORRUPT). *sealed gets how many
 * customers the incident seals. Needs 'incident'; audited. */
PV_API PV_CHECK pv_rc pv_incident_seal(pv_vault *v, const pv_access *who, const char *id,
				       size_t *sealed);
/* Lift an incident's seal: its customers are read again. Four eyes: it runs only under a
 * request ("incident release") another user approved, bound to the incident and the exact
 * set it seals (a set that grew since the approval is refused). *released gets how many
 * customers. Needs 'incident'; audited. */
PV_API PV_CHECK pv_rc pv_incident_release(pv_vault *v, const pv_access *who, const char *id,
					  size_t *released);

/* ---- Retention -------------------------------------------------------------------- */

/* What retention makes due as of a date: action "shred" (the whole customer: every
 * value is due, under shred or erase rules, and one at least under a shred rule) or
 * "erase" (fields of due erase or anonymise rules), the fields, the rule, the latest due
 * date, and the legal hold that stops it ("" if none; "held by incident INC-..." when a
 * breach incident's seal keeps the customer as evidence). Or action "undetermined": one value
 * whose due date cannot be computed (a rule applies, but none of its from date fields
 * holds a date): fields names that field, missing the date fields it lacks, comma-separated
 * ("last_order_date,created_at"; one that holds something not a date is followed by
 * " (not a date)"), due is "". Such a value is never acted upon: it is kept until a date
 * field is filled in or the schema names a fallback (from: [last_order_date, created_at]).
 * missing is "" for the other actions. */
typedef struct pv_retention_item {
	const char *id, *action, *fields, *rule, *due, *held;
	const char *missing;
} pv_retention_item;
typedef int (*pv_retention_fn)(void *ctx, const pv_retention_item *it);
/* A plan's counts: the date it is as of, customers with a "shred" item, with an "erase"
 * item, how many of these a legal hold stops, the "undetermined" values and the customers
 * holding them. */
typedef struct pv_retention_summary {
	char as_of[11];
	uint64_t shred, erase, held;
	uint64_t undetermined, undetermined_customers;
} pv_retention_summary;
/* List what is due as of as_of (YYYY-MM-DD; NULL: today), and the values without a due
 * date, with the counts in *summary (may be NULL). Ids and field names only. Needs
 * 'retention'. */
PV_API PV_CHECK pv_rc pv_retention_plan(pv_vault *v, const pv_access *who, const char *as_of,
					pv_retention_fn fn, void *ctx,
					pv_retention_summary *summary);
/* How many values have no retention due date (the plan's "undetermined" items): a rule
 * applies to them, but none of its from date fields holds a date, so no rule would ever
 * erase them (PIPL art. 19, 47: kept no longer than needed, deleted when due). The
 * compliance report's finding. Needs 'retention' or 'report'; audited with the counts. */
PV_API PV_CHECK pv_rc pv_retention_undetermined_count(pv_vault *v, const pv_access *who,
						      uint64_t *values);
/* A signed destruction certificate (JSON text), handed over as soon as it is made; a
 * non-zero return stops the run (what is already shredded stays shredded). A batch whose
 * shred committed has its certificate passed even when a step after it failed (see
 * pv_shred); the run then stops with that error. */
typedef int (*pv_certificate_fn)(void *ctx, const char *certificate);
/* Carry the plan out: erase due fields, shred due customers in batches of 100,000, each
 * batch with a destruction certificate passed to cert_fn; held customers are skipped, and
 * undetermined values left alone (their count in *undetermined).
 * Needs 'retention' and, for users, an approved request ("retention apply"). */
PV_API PV_CHECK pv_rc pv_retention_apply(pv_vault *v, const pv_access *who, const char *as_of,
					 pv_certificate_fn cert_fn, void *ctx,
					 uint64_t *shredded, uint64_t *erased, uint64_t *held,
					 uint64_t *undetermined);

/* ---- Transfers to a new holder and the handover package (PIPL art. 22, 38-39, 55) -- */

/* A transfer to plan. recipient_key is the recipient's age public key (age1...), or the
 * path of a file holding one (as age-keygen writes), which the package is encrypted to.
 * recipient_vault_key: the recipient vault's signing key as its `pivault pubkey` prints
 * it (64 hex digits), confirmed by fingerprint out of band; its receipt is checked
 * against this key alone. NULL: pinned later (pv_transfer_pin_vault_key), and until then
 * the transfer cannot be confirmed. A recipient_country other than CN (the default) makes it
 * a cross-border provision: legal_basis must be standard-contract, certification or
 * security-assessment, and each customer's separate consent is needed
 * (pv_transfer_consent). scope: "all" (NULL), "consent:PURPOSE" (customers who gave it),
 * "category:CATEGORY" (customers with a value in it) or "FIELD=VALUE". fields: NULL or
 * "all", or names separated by commas. purposes: NULL (the recipient keeps the purposes
 * of collection) or a comma list (a purpose not in the schema means new consent).
 * deadline: the last day to object (YYYY-MM-DD; NULL: 30 days from today). */
typedef struct pv_transfer_spec {
	const char *recipient_name, *recipient_contact, *recipient_key, *recipient_country;
	const char *legal_basis, *scope, *fields, *purposes, *deadline;
	const char *recipient_vault_key;
} pv_transfer_spec;

/* Record a transfer plan (needs 'handover'); *id gets its id ("T-..."; pv_free). */
PV_API PV_CHECK pv_rc pv_transfer_plan(pv_vault *v, const pv_access *who,
				       const pv_transfer_spec *spec, char **id);
/* Pin the recipient vault's signing key (64 hex digits, as its `pivault pubkey` prints)
 * to plan id, which has none yet: once pinned it never changes (a wrong key needs a new
 * plan), and a confirmed transfer takes none. Needs 'handover' and, for users, an
 * approved request ("transfer pin-key"): the approver vouches for the key. */
PV_API PV_CHECK pv_rc pv_transfer_pin_vault_key(pv_vault *v, const pv_access *who,
						const char *id, const char *public_key_hex);
/* Plans as JSON (one object for id, else an array of all), each with the fingerprint of
 * its recipient vault key ("recipient_vault_key_fingerprint", null if none) and its
 * "steps" ([{"step", "done"}]: plan, assessment, notices, objections (the deadline has
 * come), export, receipt, confirmation); needs 'handover'. */
PV_API PV_CHECK pv_rc pv_transfer_list(pv_vault *v, const pv_access *who, const char *id,
				       char **json);
/* The personal information protection impact assessment of a plan (PIPL art. 55-56):
 * purposes and necessity, fields by category and sensitivity, counts, risks, measures in
 * force (encryption, roles, audit state). Made and stored (kept three years) the first
 * time it is asked for, as JSON; PV_RENDER_HTML renders it as a page. Needs 'handover'. */
PV_API PV_CHECK pv_rc pv_transfer_assessment(pv_vault *v, const pv_access *who, const char *id,
					     pv_render form, char **out);
/* Record a customer's separate consent (PV_CONSENT_GRANTED) or refusal to a cross-border plan.
 * Needs 'consent'. */
PV_API PV_CHECK pv_rc pv_transfer_consent(pv_vault *v, const pv_access *who, const char *id,
					  const char *customer, pv_consent_state granted,
					  const char *channel);
/* The customers of a plan's scope that stay out of its package, and why (objection or
 * deletion request by the deadline, withdrawn consent, no separate consent, legal hold). */
typedef int (*pv_exclusion_fn)(void *ctx, const char *customer, const char *reason);
PV_API PV_CHECK pv_rc pv_transfer_exclusions(pv_vault *v, const pv_access *who, const char *id,
					     pv_exclusion_fn fn, void *ctx);

/* Render one notice per customer in the plan's scope (告知) from template (NULL: the
 * default of lang, "zh" or "en") into a mail-merge stream on out (PV_EXPORT_CSV or
 * PV_EXPORT_JSONL): customer id, channel, address and text. It holds contact details in clear, so
 * it goes only to out (standard output): the vault never sends mail. Each notice is
 * recorded (kind transfer, state queued) with the template's version label. Needs
 * 'handover'; *count gets the number of notices. Placeholders: {{customer_id}},
 * {{customer_name}}, {{company}}, {{recipient_name}}, {{recipient_contact}},
 * {{recipient_country}}, {{data}}, {{purposes}}, {{deadline}}, {{cross_border}}. */
PV_API PV_CHECK pv_rc pv_transfer_notify(pv_vault *v, const pv_access *who, const char *id,
					 const char *template_text, const char *lang,
					 pv_export_format fmt, FILE *out, uint64_t *count);
/* Crypto-shred the customers a plan leaves out because they objected or asked for
 * deletion (one certificate naming the plan). Needs 'shred' and, for users, an approved
 * request ("transfer shred-excluded"). *count gets how many; *certificate NULL if none
 * (set, with an error, when a step after the shred failed: see pv_shred). */
PV_API PV_CHECK pv_rc pv_transfer_shred_excluded(pv_vault *v, const pv_access *who,
						 const char *id, uint64_t *count,
						 char **certificate);

/* What a handover export or import did. */
typedef struct pv_handover_summary {
	char package_id[40];
	char root_hash[65];	 /* RFC 6962 Merkle root over the record hashes */
	uint64_t records, excluded, bytes;
	double seconds;
} pv_handover_summary;

/* Write the handover package of plan id to path (which must not exist): an age file to
 * the plan's recipient key holding a tar archive of the records in clear, the schema,
 * consent and notice records, the checklist (交接清单) with a hash per record, and the
 * manifest signed in minisign format with the vault key. Needs 'handover' and, for
 * users, an approved request ("handover export"). */
PV_API PV_CHECK pv_rc pv_handover_export(pv_vault *v, const pv_access *who, const char *id,
					 const char *path, pv_handover_summary *out);

typedef enum pv_handover_flags {
	PV_HANDOVER_DROP_UNMAPPED = 1, /* drop fields this vault's schema does not declare */
	PV_HANDOVER_ARCHIVE = 2        /* a decommission archive, for its keeper: values the
					* law did not keep are empty, required or not */
} pv_handover_flags;

typedef struct pv_handover_import_opts {
	const char *identity_file;   /* the age identity (AGE-SECRET-KEY-1...) */
	const char *sender_key;	     /* minisign public key text the sender must have; NULL:
				      * the key in the package (its fingerprint is reported) */
	pv_handover_flags flags;
} pv_handover_import_opts;

/* Verify and import a handover package into this vault under its own keys and schema:
 * all or nothing (any mismatch of signature, record hash, root hash or count refuses the
 * whole package). *receipt gets the signed receipt (JSON; pv_free). Needs 'import'. */
PV_API PV_CHECK pv_rc pv_handover_import(pv_vault *v, const pv_access *who, const char *path,
					 const pv_handover_import_opts *o, char **receipt,
					 pv_handover_summary *out);

/* Check a receipt's signature by the recipient vault key the caller pinned
 * (recipient_key_hex, 64 hex digits); the key the receipt names is never trusted. PV_OK
 * with a summary naming the key's fingerprint in *summary (pv_free; may be NULL);
 * PV_ERR_CORRUPT when it was changed or signed by another key (pv_errmsg(NULL) names both
 * fingerprints), PV_ERR_INPUT when it is not a receipt, PV_ERR_USAGE when no key is given. */
PV_API PV_CHECK pv_rc pv_receipt_verify(const char *text, const char *recipient_key_hex,
					char **summary);

/* Sender side, without confirming: check a receipt against the transfer it names, as
 * pv_handover_confirm would (signed by the key the plan pinned, answering the package
 * exported). PV_OK with a summary in *summary (pv_free); else the reason in pv_errmsg(v).
 * Needs 'handover'. */
PV_API PV_CHECK pv_rc pv_handover_check_receipt(pv_vault *v, const pv_access *who,
						const char *receipt, char **summary);

/* Sender side: check receipt against the package this vault sent (signed by the recipient
 * vault key the plan pinned: a plan without one cannot be confirmed), then crypto-shred
 * every handed-over customer, in batches of 100,000, each with a destruction certificate
 * that names the receipt, passed to cert_fn. Needs 'handover' and 'shred' and, for
 * users, an approved request ("handover confirm"). *shredded gets the count. */
PV_API PV_CHECK pv_rc pv_handover_confirm(pv_vault *v, const pv_access *who, const char *receipt,
					  pv_certificate_fn cert_fn, void *ctx,
					  uint64_t *shredded);

/* ---- Deregistration (注销) ------------------------------------------------------ */

/* What a wind-down would do, as JSON: customers kept whole (under a legal hold), customers
 * with values a law keeps (retention rules with law:, until due), how many are destroyed,
 * and the requests still open. Needs 'decommission'. */
PV_API PV_CHECK pv_rc pv_decommission_plan(pv_vault *v, const pv_access *who, char **json);

typedef struct pv_decommission_spec {
	const char *keeper_name, *keeper_contact; /* who keeps the archive */
	const char *keeper_key;	 /* the keeper's age public key (age1...) or a file holding it */
	const char *archive_path; /* where the archive goes; must not exist */
} pv_decommission_spec;

/* Wind the vault down: archive what must be kept (held customers whole, values a law
 * keeps) into an age package for the keeper (the handover package format), release the
 * holds so covered, crypto-shred every customer in batches of 100,000 with destruction
 * certificates (to cert_fn), and return the final report signed by the vault key (JSON:
 * counts, certificates, notices, open requests, audit verification; pv_free). Needs
 * 'decommission' and, for users, an approved request ("decommission run"). */
PV_API PV_CHECK pv_rc pv_decommission_run(pv_vault *v, const pv_access *who,
					  const pv_decommission_spec *spec,
					  pv_certificate_fn cert_fn, void *ctx, char **report);

/* ---- Backup and restore ----------------------------------------------------- */

/* Take a consistent online backup of the data into path (which must not exist): the
 * database image (ciphertext and wrapped keys only; never the keyring) and a trailer
 * signed with the vault key. *summary gets the trailer (JSON; pv_free). Needs 'backup'. */
PV_API PV_CHECK pv_rc pv_backup_create(pv_vault *v, const pv_access *who, const char *path,
				       char **summary);

/* Check a backup without restoring it: its trailer's signature by the vault's public key
 * (hex, as pv_vault_public_key), which the caller pinned (the key the trailer names is
 * never trusted alone), and the image's size and SHA-256. PV_OK with a summary naming the
 * key's fingerprint in *summary (pv_free; may be NULL), or PV_ERR_CORRUPT with the reason
 * in pv_errmsg(NULL) (a wrong key: both fingerprints). */
PV_API PV_CHECK pv_rc pv_backup_verify(const char *path, const char *public_key_hex,
				       char **summary);

typedef struct pv_restore_result {
	uint64_t customers; /* customers in the restored vault */
	uint64_t removed;   /* shredded since the backup, removed again */
	uint64_t rewrapped; /* data keys re-wrapped since the backup, put back */
} pv_restore_result;

/* Restore a backup into a new directory dir, under the LIVE keyring (keyring_path, the
 * one the vault uses now) and the root key, then re-apply the shred ledger beside that
 * keyring: customers shredded since the backup are removed again, and data keys
 * re-wrapped since are put back, so no shredded customer comes back and every other one
 * reads. On failure nothing is left in dir, and the reason is in pv_errmsg(NULL). */
PV_API PV_CHECK pv_rc pv_restore(const char *backup, const char *dir, const char *keyring_path,
				 const pv_key *key, pv_restore_result *out);

/* Re-apply the shred ledger beside v's keyring to v's store where it stands, after the store
 * was put back by other means than pv_restore (a PostgreSQL point-in-time recovery, a
 * base backup, a DBA's restore of the database): customers shredded since are removed
 * again and data keys re-wrapped since are put back, so every customer not shredded reads
 * with the live keyring. Running it on a vault that was not put back changes nothing.
 * Refused (PV_ERR_CORRUPT) when data keys are left wrapped by bucket keys the keyring does
 * not hold (the ledger lacks lines); nothing is changed then. Only a session opened with
 * the root secret (PV_ERR_DENIED otherwise); audited as "restore". */
PV_API PV_CHECK pv_rc pv_vault_replay_ledger(pv_vault *v, pv_restore_result *out);

/* ---- Key rotation ------------------------------------------------------------- */

/* What a rekey did. */
typedef struct pv_rekey_result {
	uint64_t buckets;   /* bucket keys replaced (bucket rekey) */
	uint64_t customers; /* data keys re-wrapped, or customers re-encrypted (data) */
	int resumed;	    /* 1 when it went on from an interrupted run */
	double seconds;
} pv_rekey_result;

typedef enum pv_rekey_kind { PV_REKEY_BUCKETS = 0, PV_REKEY_DATA = 1 } pv_rekey_kind;

/* Rotate keys. PV_REKEY_BUCKETS: give every bucket a new key and re-wrap every data key
 * under it (no field is re-encrypted); PV_REKEY_DATA: re-encrypt every customer's fields
 * under a new data key. Either works in batches, each committed with its keyring slots, so an
 * interrupted rekey leaves every customer readable and running it again goes on from
 * where it stopped. Re-wrapped keys are written to the shred ledger, so backups made
 * before stay restorable. Needs 'rekey'; audited. */
PV_API PV_CHECK pv_rc pv_rekey(pv_vault *v, const pv_access *who, pv_rekey_kind kind,
			       pv_rekey_result *out);

/* Replace the root secret (a key file or passphrase, given as new_key) and with it the
 * vault's master key: a new random master is sealed under the new secret, the keyring's
 * slots under the new master's wrap key, and the new master to every active user's public
 * key (and pending enrolment), without their passwords; disabled users are left out. No
 * data is re-encrypted and users keep their passwords. The old secret, a disabled user's
 * password and the rows of an earlier copy of the database then open nothing current.
 * Refused (PV_ERR_USAGE) when new_key is the current secret, and (PV_ERR_CORRUPT, naming
 * the row) when a user's public key is not the one the vault bound to the user. Only a
 * session opened with the current root secret may do it; needs 'rekey'; audited. */
PV_API PV_CHECK pv_rc pv_vault_rekey_root(pv_vault *v, const pv_access *who,
					  const pv_key *new_key);

/* ---- Notices (告知) ------------------------------------------------------------- */

/* Record a notice sent to a customer: kind "transfer" (new holder, PIPL art. 22; needs
 * 'handover'), "breach" (art. 57; 'incident'), "dsr-reply" ('dsr'), "consent" or
 * "policy" ('consent'); the version of the text sent (the text itself stays outside
 * pivault); channel "sms", "email", "letter", "phone", "app" or "in-person"; state
 * "queued", "sent", "delivered", "failed" or "returned". *notice gets its number. */
PV_API PV_CHECK pv_rc pv_notice_record(pv_vault *v, const pv_access *who, const char *customer,
				       const char *kind, const char *text_version,
				       const char *channel, const char *state, int64_t *notice);
/* Move notice to a new delivery state (same permission as its kind). */
PV_API PV_CHECK pv_rc pv_notice_set_state(pv_vault *v, const pv_access *who, int64_t notice,
					  const char *state);
typedef struct pv_notice_info {
	int64_t notice;
	const char *customer, *kind, *text_version, *channel, *sent, *sent_by, *state, *state_at;
} pv_notice_info;
typedef int (*pv_notice_fn)(void *ctx, const pv_notice_info *n);
/* Every notice, or customer's (customer non-NULL), oldest first. Needs 'report'. */
PV_API PV_CHECK pv_rc pv_notice_list(pv_vault *v, const pv_access *who, const char *customer,
				     pv_notice_fn fn, void *ctx);

/* ---- Legal holds ---------------------------------------------------------------- */

/* Place a legal hold on customers (a reason is required): held customers are never
 * shredded until the hold is released. Needs 'hold'. */
PV_API PV_CHECK pv_rc pv_hold_add(pv_vault *v, const pv_access *who, const char *const *ids,
				  size_t n, const char *reason);
/* Release the holds in force on customers. Needs 'hold'. */
PV_API PV_CHECK pv_rc pv_hold_release(pv_vault *v, const pv_access *who,
				      const char *const *ids, size_t n, const char *reason);
/* A hold as listed (released "" while in force). */
typedef struct pv_hold_info {
	const char *customer, *reason, *placed_by, *since, *released, *released_by;
} pv_hold_info;
typedef int (*pv_hold_fn)(void *ctx, const pv_hold_info *h);
PV_API PV_CHECK pv_rc pv_hold_list(pv_vault *v, const pv_access *who, pv_hold_fn fn, void *ctx);

/* ---- Keyring escrow ------------------------------------------------------------- */

/* Write the keyring, sealed to an escrow X25519 public key (hex), to out_path (created;
 * it must not exist), and record the copy: destruction certificates name the copies made
 * before them, which still hold the destroyed bucket keys. Needs 'backup'. */
PV_API PV_CHECK pv_rc pv_keyring_escrow(pv_vault *v, const pv_access *who,
					const char *recipient_hex, const char *out_path);
/* A new escrow key pair: the secret key to secret_path (0600, must not exist), the
 * public key into public_hex. */
PV_API PV_CHECK pv_rc pv_escrow_keygen(const char *secret_path, char public_hex[65]);

/* ---- Audit log ---------------------------------------------------------------- */

/* Free memory the library returned (texts, reports); NULL harmless. */
PV_API void pv_free(void *p);

/* The audit functions below need who->role, one of the user's roles, to grant 'audit'; a
 * NULL who or role: any of the user's roles (the root secret acts as any role). */

/* Sign a checkpoint of the audit log as it stands (its size, chain head and Merkle root)
 * and return it as a small text a third party can keep (free with pv_free). */
PV_API PV_CHECK pv_rc pv_audit_checkpoint(pv_vault *v, const pv_access *who, char **text);

/* Recompute the whole chain and Merkle tree and check every stored checkpoint's
 * signature and hashes, and, when checkpoint_text is given (an exported checkpoint), that
 * the log still holds what it signed. PV_OK with a summary in *report, or PV_ERR_CORRUPT
 * with the first break in *report (an edited, removed, inserted or reordered entry, or a
 * truncated log). *report is freed with pv_free. */
PV_API PV_CHECK pv_rc pv_audit_verify(pv_vault *v, const pv_access *who,
				      const char *checkpoint_text, char **report);

/* One audit entry as listed. */
typedef struct pv_audit_entry {
	uint64_t seq;
	const char *at, *user, *op, *ids, *purpose, *request, *outcome, *detail;
} pv_audit_entry;

/* Which entries to list: NULL fields match everything. customer matches entries naming
 * that id and entries over all customers ("*"). since is an ISO 8601 time prefix. */
typedef struct pv_audit_filter {
	const char *customer;
	const char *user;
	const char *since;
} pv_audit_filter;

/* List matching entries in order; fn returning non-zero stops. Listing is itself an
 * audited operation. */
typedef int (*pv_audit_entry_fn)(void *ctx, const pv_audit_entry *e);
PV_API PV_CHECK pv_rc pv_audit_log(pv_vault *v, const pv_access *who, const pv_audit_filter *f,
				   pv_audit_entry_fn fn, void *ctx);

/* A bulk read found in the log: kind is "bulk export", "clear list" or "many reads"
 * (a user read more customers in one clock hour than the threshold). */
typedef struct pv_audit_alert {
	uint64_t seq;
	const char *at, *user, *kind, *detail;
} pv_audit_alert;
typedef int (*pv_alert_fn)(void *ctx, const pv_audit_alert *a);
/* Every bulk read in the log, in order. Needs 'audit'. */
PV_API PV_CHECK pv_rc pv_audit_alerts(pv_vault *v, const pv_access *who, pv_alert_fn fn, void *ctx);
/* The vault's bulk limit (default 100): customers a session may show in clear without an
 * approved "read clear" request, and customers a user may read in one hour before "many
 * reads" is flagged. Needs 'audit' and, for users, an approved request ("audit
 * threshold"). per_hour runs from 1 to PV_BULK_LIMIT_MAX (PV_ERR_USAGE otherwise, before any
 * request is asked for). */
#define PV_BULK_LIMIT_MAX 1000000u
PV_API PV_CHECK pv_rc pv_audit_set_alert_threshold(pv_vault *v, const pv_access *who,
						   unsigned per_hour);

/* An RFC 6962 inclusion proof of entry seq in the log at its latest checkpoint (text;
 * free with pv_free). */
PV_API PV_CHECK pv_rc pv_audit_prove(pv_vault *v, const pv_access *who, uint64_t seq,
				     char **proof);

/* A consistency proof from an exported checkpoint to the latest checkpoint (text; free
 * with pv_free). */
PV_API PV_CHECK pv_rc pv_audit_consistency(pv_vault *v, const pv_access *who,
					   const char *old_checkpoint, char **proof);

/* A signed checkpoint as listed: the log's size it covers (its position), its Merkle root
 * (64 hex digits), when it was signed, and whether its signature verifies under the
 * vault's key over what it covers (0: the stored row was altered or forged). */
typedef struct pv_audit_checkpoint_info {
	uint64_t size;
	const char *root, *at;
	int verified;
} pv_audit_checkpoint_info;
typedef int (*pv_checkpoint_fn)(void *ctx, const pv_audit_checkpoint_info *c);
/* The stored checkpoints of size above after (0: from the first), by size, at most limit of
 * them (1 to 1000); *next_after (may be NULL) receives the after of the following page, 0
 * on the last. fn returning non-zero stops. Needs 'audit'; audited. */
PV_API PV_CHECK pv_rc pv_audit_checkpoints(pv_vault *v, const pv_access *who, uint64_t after,
					   size_t limit, pv_checkpoint_fn fn, void *ctx,
					   uint64_t *next_after);

/* Check a proof without any vault: its hashes, and, when checkpoint texts are given, that
 * its roots are the signed ones (new_checkpoint for the tree the proof is about, and for a
 * consistency proof old_checkpoint for the older tree), each signed by public_key_hex: the
 * vault's key as its `pivault pubkey` prints it, pinned by the caller (the key a checkpoint
 * names is never trusted alone; a checkpoint without it is PV_ERR_USAGE). Returns PV_OK with
 * the key's fingerprint in *summary (pv_free; may be NULL), or PV_ERR_CORRUPT /
 * PV_ERR_INPUT / PV_ERR_USAGE with the reason in pv_errmsg(NULL) (a checkpoint by another
 * key: both fingerprints). */
PV_API PV_CHECK pv_rc pv_audit_check_proof(const char *proof, const char *new_checkpoint,
					   const char *old_checkpoint, const char *public_key_hex,
					   char **summary);

/* ---- Security self-check (doctor) ------------------------------------------------- */

/* How much a finding matters: high makes `pivault doctor` exit 1. */
typedef enum pv_severity {
	PV_SEVERITY_LOW = 1,
	PV_SEVERITY_MEDIUM = 2,
	PV_SEVERITY_HIGH = 3
} pv_severity;

/* One thing a careless deployment got wrong: check is a stable name ("permissions",
 * "secret-file", "core-dumps", "checkpoint", "backup", "rotation", "obligations", "escrow",
 * "kdf", "keyring-place", "keyring-nodes"); what names files, users, dates and counts, never
 * a value or a secret; fix says how to put it right. Strings borrowed for the call. */
typedef struct pv_finding {
	const char *check;
	pv_severity severity;
	const char *what, *fix;
} pv_finding;
typedef int (*pv_finding_fn)(void *ctx, const pv_finding *f);

typedef struct pv_doctor_opts {
	/* the files the caller reads secrets from (NULL: none): checked for where they lie
	 * (inside or beside the vault directory) and who may read them */
	const char *key_file, *passphrase_file, *password_file;
	unsigned checkpoint_days; /* an exported audit checkpoint older is stale (0: 7) */
	unsigned backup_days;	  /* a backup older is not recent (0: 7) */
	unsigned rotation_days;	  /* keys not rotated for longer are due (0: 365) */
	const char *as_of;	  /* the day to judge ages on, YYYY-MM-DD (NULL: today) */
} pv_doctor_opts;

/* Check what a careless deployment gets wrong: permissions of the vault directory, the
 * database, the keyring, its ledger, the backups the log names and the handover packages
 * the transfers name (group or others may read or write them); a key or password file
 * inside or beside the vault directory; core dumps enabled; no exported audit checkpoint,
 * or a stale one; no recent backup, or one that no longer verifies; keys never rotated,
 * and users disabled since the last root rotation; active users without their current
 * agreement or training; escrow copies the escrow records and the audit log disagree on,
 * or older than the last shred or rotation; Argon2id settings under the floor; a shred
 * ledger lacking the lines of a committed shred or rekey (they are added first, when the
 * ledger can be written); data keys wrapped by bucket keys the keyring does not hold; keyring
 * nodes that lag the keyring journal (name, id, how many entries behind); an
 * audit log that does not verify (the other checks read it). Reads no customer value. The
 * findings are counted into one audit entry ("doctor"), then passed to fn, high ones first
 * (fn returning non-zero stops); *high (may be NULL) gets the number of high ones. o may
 * be NULL. Needs 'audit', as the audit functions (who NULL: any of the user's roles). */
PV_API PV_CHECK pv_rc pv_doctor(pv_vault *v, const pv_access *who, const pv_doctor_opts *o,
				pv_finding_fn fn, void *ctx, unsigned *high);

/* ---- Tokens for other systems (去标识化, PIPL art. 51 and 73) --------------------- */

/* A token stands for one declared field's value of one customer, for one purpose, in
 * another system (an order system, a call centre) that stores the token instead of the
 * value. The value tokenized is always the one the vault holds for that customer: a token
 * obeys the schema (declared fields, their purposes), consent and restriction, retention
 * and crypto-shredding as the record does. The token's row keeps the value sealed under
 * the customer's data key, bound to the token, customer, field and purpose, so shredding
 * the customer kills it, and a row edited or swapped in the database opens nothing.
 * docs/tokens.md describes the formats. */
typedef enum pv_token_mode {
	PV_TOKEN_RANDOM = 0,       /* a new random token at each call */
	PV_TOKEN_DETERMINISTIC = 1 /* the same token for the same value, field and purpose (for
				    * joins): keyed BLAKE2b under a key derived per field and
				    * purpose from the vault's data root, never a plain hash */
} pv_token_mode;

typedef enum pv_token_shape {
	PV_TOKEN_OPAQUE = 0,       /* "tok_" and 32 lower-case hexadecimal digits */
	PV_TOKEN_LIKE_FIELD = 1    /* shaped like the field's type, never a valid value of it:
				    * phone_cn gives 11 digits starting 10 (no mainland mobile
				    * number starts 10); other types are refused (PV_ERR_USAGE) */
} pv_token_shape;

/* A token for the value of field of customer id, for who->purpose (one declared purpose
 * the role may use and the field is declared for; not "all"). Needs 'tokenize'; the
 * customer must be readable for that purpose (consent, restriction) and hold a value in
 * the field (PV_ERR_INPUT naming customer and field otherwise). Audited (customer, field,
 * mode; never the value or the token). *token (pv_free) on PV_OK. */
PV_API PV_CHECK pv_rc pv_tokenize(pv_vault *v, const pv_access *who, const char *id,
				  const char *field, pv_token_mode mode, pv_token_shape shape,
				  char **token);

/* The value token stands for, into *value (pv_free). Needs 'read' and the token's own
 * purpose declared in who (another purpose is refused), a role that sees the field in
 * clear for it, the customer readable for it (consent, restriction), and obeys the bulk
 * limit of clear reads as pv_get does (each token shown counts its customer). Audited
 * (customer, field; never the value or the token). PV_ERR_NOT_FOUND for a token the vault
 * never made (the token is not repeated); PV_ERR_TOKEN_DEAD when its customer was
 * shredded or the field erased or changed since; PV_ERR_CORRUPT when its row was edited
 * or moved in the database. */
PV_API PV_CHECK pv_rc pv_detokenize(pv_vault *v, const pv_access *who, const char *token,
				    char **value);

/* ---- PII discovery (个人信息发现) ------------------------------------------------- */

/* What kind of personal information a span of free text holds. */
typedef enum pv_pii_type {
	PV_PII_RESIDENT_ID = 0, /* mainland resident ID number (18 characters; 15 old form) */
	PV_PII_PHONE = 1,       /* mainland mobile or landline number, in any written form */
	PV_PII_BANK_CARD = 2,   /* bank card number, 16 to 19 digits passing Luhn */
	PV_PII_USCC = 3,        /* unified social credit code (GB 32100-2015) */
	PV_PII_EMAIL = 4,       /* e-mail address */
	PV_PII_PASSPORT = 5,    /* passport-like number (E/G + 8 digits, ...) */
	PV_PII_ADDRESS = 6,     /* Chinese postal address down to road or house number */
	PV_PII_NAME = 7         /* Chinese personal name marked by its context */
} pv_pii_type;
#define PV_PII_TYPES 8

/* A stable lower-case name of t ("resident_id", "phone", "bank_card", "uscc", "email",
 * "passport", "address", "name"); "unknown" outside the enum. */
PV_API const char *pv_pii_type_name(pv_pii_type t);

/* One span found: bytes [start, end) of the text, its type, and a confidence 0..100
 * (context words such as 身份证, 手机, 电话, 卡号, 联系 before it raise it; 订单, 运单, 发票
 * lower it). */
typedef struct pv_pii_span {
	size_t start, end;
	pv_pii_type type;
	int confidence;
} pv_pii_span;

/* Called for each span, in text order, spans never overlapping; non-zero stops the scan. */
typedef int (*pv_pii_found_fn)(void *ctx, const pv_pii_span *span);

/* The confidence from which a span is reported when the caller has no reason to choose. */
#define PV_PII_MIN_CONFIDENCE 50

/* Find personal information in the UTF-8 text[0..len): every span of confidence at least
 * min_confidence is passed to fn. Check characters, Luhn, birth dates and prefixes tell
 * numbers that are personal information from look-alikes (order, tracking, invoice and
 * member numbers, dates, amounts). Bytes that are not valid UTF-8 are skipped. Needs no
 * vault; reads nothing but the text. Returns the number of spans passed to fn. */
PV_API size_t pv_pii_scan(const char *text, size_t len, int min_confidence, pv_pii_found_fn fn,
			  void *ctx);

/* One CSV column or text field holding personal information its declaration does not
 * cover (the field's mask covers its kind: name covers names, address addresses,
 * free_text every kind). Counts only, never a value. Strings borrowed for the call. */
typedef struct pv_scan_column {
	const char *name;     /* the column's header, or the field's name */
	const char *declared; /* how the schema declares it ("text, mask none"), or NULL */
	uint64_t rows;        /* rows (customers) read */
	uint64_t with[PV_PII_TYPES]; /* rows holding at least one span of each kind */
	const char *suggestion;      /* the schema change suggested, in a few words */
} pv_scan_column;
typedef int (*pv_scan_column_fn)(void *ctx, const pv_scan_column *c);

typedef struct pv_scan_opts {
	const char *schema_path; /* pv_scan_csv: the schema declaring its columns (NULL: none) */
	int min_confidence;      /* 0: PV_PII_MIN_CONFIDENCE */
} pv_scan_opts;

/* Scan the CSV file at path (a header row, then data rows) for personal information in
 * columns the schema (o->schema_path) does not declare with its type: every column when
 * there is none; columns declared with a type other than text are not read. fn gets each
 * column holding some, in header order (non-zero stops); *rows (may be NULL) the data
 * rows read. Needs no vault; prints and keeps nothing of the values. PV_ERR_IO or
 * PV_ERR_INPUT name the file and line; the message is pv_errmsg(NULL). o may be NULL. */
PV_API PV_CHECK pv_rc pv_scan_csv(const char *path, const pv_scan_opts *o, pv_scan_column_fn fn,
				  void *ctx, uint64_t *rows);

/* Scan CSV text read from in (a header row, then data rows; name names it in messages)
 * as pv_scan_csv does, the vault's stored schema saying how each column is declared: the
 * API's scan of an uploaded file, which never touches a disk. Needs 'scan'; audited with
 * the row count (never a value; the report is counts only). */
PV_API PV_CHECK pv_rc pv_scan_csv_stream(pv_vault *v, const pv_access *who, FILE *in,
					 const char *name, const pv_scan_opts *o,
					 pv_scan_column_fn fn, void *ctx, uint64_t *rows);

/* Scan the opened values of the vault's fields declared as plain text (type text) for
 * personal information their mask does not cover, as pv_scan_csv does for columns. Needs
 * 'scan'; only the text fields who's role may see in clear are read (the others are
 * passed to fn with rows 0 and the suggestion saying they were not read). One audit entry
 * ("scan", all customers, the fields and counts) is written before any value is opened.
 * *customers (may be NULL) gets the number read. o->schema_path is not used. */
PV_API PV_CHECK pv_rc pv_scan_vault(pv_vault *v, const pv_access *who, const pv_scan_opts *o,
				    pv_scan_column_fn fn, void *ctx, uint64_t *customers);

/* ---- Compliance audit report (合规审计, PIPL art. 54) ------------------------------ */

/* How the compliance report is rendered: a text summary (a table of findings, then the
 * main figures), the structured result as JSON, or one self-contained HTML page (inline
 * CSS, no script, nothing fetched; charts as inline SVG). */
typedef enum pv_report_form {
	PV_REPORT_TEXT = 0,
	PV_REPORT_JSON = 1,
	PV_REPORT_HTML = 2
} pv_report_form;

/* What a DPO hands to an auditor, as of as_of (YYYY-MM-DD; NULL: today), into *out
 * (pv_free): the inventory (values per field, category and sensitivity); encryption
 * coverage, checked by opening every stored customer (those that fail authentication are
 * counted and named by id, not assumed); fields without retention or purpose; values past
 * their retention date, those held, those whose due date cannot be computed, and those
 * falling due by month; consents by purpose; data-subject requests open, overdue and
 * closed late; reads per user and purpose and per day, bulk-read alerts; four-eyes
 * requests; incidents; transfers and destruction certificates; the audit chain's
 * verification and last checkpoint; key ages and last rotations; the last backup and its
 * verification; staff without a current agreement or training. "findings" judges them,
 * each with an id, a severity (info, low, medium, high) and the PIPL article; what the
 * vault does not record is said to be "not recorded". Counts, ids and staff names only,
 * never a personal value. Needs 'report'; one audit entry ("report", all customers) is
 * written before anything is read. */
PV_API PV_CHECK pv_rc pv_compliance_report(pv_vault *v, const pv_access *who, const char *as_of,
					   pv_report_form form, char **out);
/* A report pv_compliance_report made as JSON (a server's reply, for the client's `pivault
 * report`) rendered in form into *out (pv_free), exactly as pv_compliance_report renders
 * it. No vault: a failure's message is pv_errmsg(NULL) (PV_ERR_INPUT: not a report). */
PV_API PV_CHECK pv_rc pv_compliance_report_render(const char *json, pv_report_form form,
						  char **out);

#ifdef __cplusplus
}
#endif
#endif
