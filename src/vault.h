/* SPDX-License-Identifier: Apache-2.0 */
/* vault.h: the inside of a pv_vault handle (open store, keyring, schema, derived keys)
 * shared by the library's operation files, and its error-reporting helper. */
#ifndef PV_VAULT_H
#define PV_VAULT_H

#include "pivault.h"
#include "crypto.h"
#include "errors.h"
#include "keyring.h"
#include "formats/merkle.h"
#include "schema.h"
#include "store/store.h"

#define PV_VAULT_ID_BYTES 16

/* The vault's derived keys, kept in guarded memory (docs/formats.md, "Keys"). The first
 * four derive from the master key and change when it is replaced (rekey --root): a copy
 * of the master taken before opens nothing current. The others derive from the data
 * root, which stays the same for the vault's life (customers keep their buckets, blind
 * indexes and the audit chain stay valid, receivers keep the pinned signing key). */
struct pv_vault_keys {
	uint8_t keyring_wrap[PV_KEY_BYTES];
	uint8_t key_check[PV_KEY_BYTES];
	uint8_t authz_mac[PV_KEY_BYTES];  /* integrity codes of authorisation state */
	uint8_t user_bind[PV_KEY_BYTES];  /* binds a user's public key to the user's name */
	uint8_t blind_master[PV_KEY_BYTES];
	uint8_t bucket_hash[PV_SHORT_HASH_KEY_BYTES];
	uint8_t audit_mac[PV_KEY_BYTES];
	uint8_t token_master[PV_KEY_BYTES]; /* deterministic tokens' per field and purpose keys */
	/* the vault's Ed25519 pair: checkpoints, certificates, receipts, reports */
	uint8_t sign_secret[PV_SIGN_SECRET];
	uint8_t sign_public[PV_SIGN_PUBLIC];
};

/* What opened the handle, kept to read the master key again after another process
 * replaced it: the root secret's wrap key, or the user's X25519 key pair. */
enum pv_unlock_kind { PV_UNLOCK_NONE, PV_UNLOCK_ROOT, PV_UNLOCK_USER };
#define PV_UNLOCK_BYTES 64

/* The audit log's tail as this handle last saw it: its size, chain head and Merkle
 * state. Trusted inside transaction txn, or after checking the stored last entry. */
struct pv_audit_tail {
	int valid;
	uint64_t txn;
	uint64_t seq;
	uint8_t head[32];
	struct pv_merkle_stream tree;
};

/* A handle's membership in an audit writer shared by handles of the vault in one
 * process (audit_writer.c): its entries are committed by the writer's thread. Guarded by
 * the writer's lock once joined. */
struct pv_audit_member {
	pv_audit_writer *writer; /* NULL: the handle commits its own entries */
	int deferring;           /* in a batch: entries queued without waiting */
	unsigned in_snapshot;    /* entries queued in the batch's current read snapshot */
	uint64_t last_ticket;    /* the last entry queued */
	int withholding;         /* in a withheld span (pv_vault_withhold_begin) */
	uint64_t withheld_first, withheld_last; /* its entries queued without waiting */
	int failed;              /* an entry failed since the last look */
	char why[256];
};

struct pv_vault {
	char *dir;
	char *keyring_path;
	struct pv_store *store;
	struct pv_keyring *keyring;
	struct pv_schema *schema;
	char *schema_text;
	uint8_t vault_id[PV_VAULT_ID_BYTES];
	char vault_id_hex[2 * PV_VAULT_ID_BYTES + 1];
	struct pv_vault_keys *keys;   /* guarded */
	uint8_t *master;              /* guarded: the master key (sealed to each active user) */
	uint8_t *unlock;              /* guarded: root wrap key, or user secret | public key */
	enum pv_unlock_kind unlock_kind;
	uint8_t *field_keys;          /* guarded: nfields * PV_KEY_BYTES blind-index keys */
	int *field_nums;              /* stored number of each schema field */
	char principal[72];           /* who acts: a user name, or "(root key)" */
	char node_id[33];             /* this keyring's node (KEYRING.node), "" when none */
	char node_name[64];
	uint64_t kjournal_applied;    /* the keyring journal's entries applied up to here */
	char *user_roles;             /* the user's roles, comma-separated; NULL: root key */
	unsigned user_gaps;           /* PV_REQUIRES_* obligations the user does not meet */
	char user_gap_reason[160];    /* why, for refusals */
	int has_keys;                 /* the root key's sub-keys are derived */
	struct pv_audit_tail audit_tail;
	struct pv_audit_member audit_member;
	pv_audit_writer *audit_writing; /* the writer this handle is the handle of, if any */
	int audit_fault;              /* tests: make audit appends fail */
	int authz_tampered;           /* the last failure was an integrity check's (authz_mac.c) */
	int bulk_refused;             /* the last failure was the bulk limit's (bulk_reads.c) */
	uint64_t authz_checked[4];    /* per protected table: the transaction it was checked in */
	struct pv_authz_seen *authz_seen; /* what point reads last verified (authz_mac.c) */
	char request_id[24];          /* the approval request this session runs under */
	char request_op[32];          /* its operation, until used */
	uint8_t request_enrol_key[32];/* the approver's enrolment half's public key, if any */
	int request_has_enrol_key;
	struct pv_asking *asking;     /* asking for approval instead of running, or NULL */
	uint64_t clear_shown;         /* customers shown with values in clear (bulk limit) */
	uint64_t bulk_limit;          /* the vault's bulk limit once read, or 0 */
	pv_progress_fn progress; /* long operations report here (NULL: nobody asks) */
	void *progress_ctx;
	double progress_last;         /* monotonic seconds of the last report */
	struct pv_rng *rng;           /* nonces for bulk sealing on the handle's thread, or NULL */
	int importing;                /* this handle holds the import lock (import_chunks.c) */
	int serving;                  /* a server's handle: acts only inside sessions.c's sessions */
	char session_id[65];          /* the session acted in ("" when none): its token's hash */
	struct session_secrets *session_secrets; /* guarded: serving.c's token keys, once derived */
	uint64_t session_clear_base;  /* clear_shown when the session was entered */
	char api_token[17];           /* the API token acted in ("" when none): its public id */
	uint64_t api_token_purposes;  /* ...and the purposes it may use (bit per schema purpose) */
	struct pv_seals *seals;       /* customers sealed by incidents, as checked (seal_gate.c) */
	uint64_t sealed_omitted;      /* sealed customers the last list or export left out */
	char sealed_omitted_by[48];   /* ...and the incident sealing them ("several incidents") */
	char errmsg[1024];
};

/* Report progress of a long operation (stage, done of total; total 0 when unknown). */
void pv_progress(pv_vault *v, const char *stage, uint64_t done, uint64_t total);

/* Inside a write transaction (other writers wait): finish any keyring journal another
 * process left and read every bucket key again, so what is sealed now uses the keys the
 * store expects. PV_ERR_BUSY, for any caller but the import itself, while an import is
 * under way: it sealed its customers with the keys as they are. */
pv_rc pv_vault_fresh_keys(pv_vault *v);

/* Where the vault in dir keeps its data (vault_store.c), as a store location (malloc'd
 * into *location). Creating: the SQLite file in dir, or the process's PostgreSQL store
 * (pv_set_store) with a schema of its own, recorded in dir/store. Opening: as recorded
 * (the process's store replacing the connection, never the schema), else dir's SQLite
 * file; PV_ERR_NOT_FOUND when dir holds neither. */
pv_rc pv_vault_store_create(pv_vault *v, const char *dir, char **location);
pv_rc pv_vault_store_locate(pv_vault *v, const char *dir, char **location);
/* Remove the record a failed create wrote. */
void pv_vault_store_forget(const char *dir);

/* The soft core file size limit the process had when a vault was first opened, before
 * core dumps were switched off (UINT64_MAX: unlimited; 0: off, or no vault opened yet). */
uint64_t pv_core_limit_before_open(void);

#endif
