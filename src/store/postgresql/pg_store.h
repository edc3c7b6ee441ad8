/* SPDX-License-Identifier: Apache-2.0 */
/* pg_store.h: the PostgreSQL store's entry points, as far as they are built (README.md):
 * open a vault's schema on a server and the store.h functions it implements so far, under
 * the names the backend's table will carry (pv_pg_* for pv_store_*). Until every function
 * of store.h is there, pv_store_open does not choose this backend; its tests call these. */
#ifndef PV_STORE_PG_STORE_H
#define PV_STORE_PG_STORE_H

#include "store/store.h"

/* Connect with conninfo (a libpq connection string or URI; the password comes from the
 * environment or a password file, as libpq reads them: PGPASSWORD, PGPASSFILE), and use
 * the PostgreSQL schema named schema (letters, digits and _ only), made with its tables
 * when create is 1; without create, a schema that holds no vault is refused. NULL with the
 * reason in err (never the password). */
struct pv_store *pv_pg_open(const char *conninfo, const char *schema, int create, char *err,
			    size_t errlen);
void pv_pg_close(struct pv_store *s);
const char *pv_pg_errmsg(struct pv_store *s);
int pv_pg_busy(const struct pv_store *s);
int pv_pg_begin(struct pv_store *s);
int pv_pg_read_begin(struct pv_store *s);
int pv_pg_commit(struct pv_store *s);
int pv_pg_rollback(struct pv_store *s);
uint64_t pv_pg_txn_id(struct pv_store *s);
void pv_pg_linger_reads(struct pv_store *s, unsigned ms);
void pv_pg_linger_end(struct pv_store *s);
void pv_pg_linger_expire(struct pv_store *s);
void pv_pg_writes_log(struct pv_store *s);
void pv_pg_writes_data(struct pv_store *s);
void pv_pg_map_reads(struct pv_store *s, int on);
void pv_pg_release_rows(struct pv_store *s);
int pv_pg_checkpoint(struct pv_store *s);
void pv_pg_close_untouched(struct pv_store *s);
int pv_pg_note_failure(struct pv_store *s, const char *message);
int pv_pg_snapshot_begin(struct pv_store *s);
void pv_pg_snapshot_end(struct pv_store *s);
int pv_pg_meta_get(struct pv_store *s, const char *key, uint8_t **val, size_t *len);
int pv_pg_meta_put(struct pv_store *s, const char *key, const void *val, size_t len);
int pv_pg_meta_delete(struct pv_store *s, const char *key);
int pv_pg_field_number(struct pv_store *s, const char *name, int *num);
int pv_pg_customer_insert(struct pv_store *s, const struct pv_stored_customer *c, int64_t *rid);
int pv_pg_customer_get(struct pv_store *s, const char *id, struct pv_stored_customer *out);
int pv_pg_customer_get_rid(struct pv_store *s, int64_t rid, struct pv_stored_customer *out);
int pv_pg_customer_id(struct pv_store *s, int64_t rid, char *id, size_t cap);
int pv_pg_customer_scan(struct pv_store *s, const char *after, size_t limit,
			pv_store_customer_fn fn, void *ctx);
int pv_pg_customer_count(struct pv_store *s, uint64_t *n);
int pv_pg_customer_set_group(struct pv_store *s, int64_t rid, int group, const uint8_t *sealed,
			     size_t len);
int pv_pg_customer_set_wdek(struct pv_store *s, int64_t rid, uint32_t gen, const uint8_t *wdek,
			    size_t len);
int pv_pg_customer_set_sealed(struct pv_store *s, int64_t rid, uint32_t dek_version,
			      const uint8_t *wdek, size_t wdek_len,
			      const uint8_t *const group[PV_GROUPS], const size_t group_len[PV_GROUPS]);

int pv_pg_consent_put(struct pv_store *s, int64_t rid, const char *purpose, int granted,
		      const char *at, const char *channel);
int pv_pg_consent_scan(struct pv_store *s, int64_t rid,
		       int (*fn)(void *ctx, const char *purpose, int granted), void *ctx);
int pv_pg_consent_state(struct pv_store *s, int64_t rid, const char *purpose);
int pv_pg_consent_log(struct pv_store *s, const struct pv_consent_event_row *e);
int pv_pg_consent_log_scan(struct pv_store *s, const char *customer,
			   int (*fn)(void *ctx, const struct pv_consent_event_row *e), void *ctx);
int pv_pg_consent_withdrawals(struct pv_store *s,
			      int (*fn)(void *ctx, const char *customer, const char *purpose),
			      void *ctx);
int pv_pg_customer_flag_set(struct pv_store *s, const char *customer, int objection,
			    const char *since);
int pv_pg_customer_flags(struct pv_store *s, const char *customer, int *restricted,
			 int *objected);
int pv_pg_customer_flags_any(struct pv_store *s);
int pv_pg_customer_flag_scan(struct pv_store *s,
			     int (*fn)(void *ctx, const char *customer, int restricted,
				       int objected),
			     void *ctx);
int pv_pg_user_get(struct pv_store *s, const char *name, struct pv_stored_user *u);
int pv_pg_user_put(struct pv_store *s, const struct pv_stored_user *u);
int pv_pg_user_set_failures(struct pv_store *s, const char *name, int failures,
			    int64_t locked_until);
int pv_pg_user_set_access(struct pv_store *s, const char *name, const uint8_t *access,
			  size_t len);
int pv_pg_user_set_enrol(struct pv_store *s, const char *name, const uint8_t *enrol, size_t len);
int pv_pg_user_scan(struct pv_store *s, pv_store_user_fn fn, void *ctx);
int pv_pg_authz_put(struct pv_store *s, const char *tbl, const char *k, const uint8_t *mac,
		    size_t len);
int pv_pg_authz_get(struct pv_store *s, const char *tbl, const char *k, uint8_t *mac,
		    size_t cap, size_t *len);
int pv_pg_authz_delete(struct pv_store *s, const char *tbl, const char *k);
int pv_pg_authz_scan(struct pv_store *s, const char *tbl, pv_store_authz_fn fn, void *ctx);
int pv_pg_session_get(struct pv_store *s, const char *id, struct pv_stored_session *x);
int pv_pg_session_put(struct pv_store *s, const struct pv_stored_session *x);
int pv_pg_session_delete(struct pv_store *s, const char *id);
int pv_pg_session_purge(struct pv_store *s, int64_t now);
int pv_pg_session_end_user(struct pv_store *s, const char *user, const char *keep_id);
int pv_pg_api_token_get(struct pv_store *s, const char *hash, struct pv_stored_api_token *x);
int pv_pg_api_token_get_by_id(struct pv_store *s, const char *id,
			      struct pv_stored_api_token *x);
int pv_pg_api_token_put(struct pv_store *s, const struct pv_stored_api_token *x);
int pv_pg_api_token_scan(struct pv_store *s, const char *user, pv_store_api_token_fn fn,
			 void *ctx);
int pv_pg_request_put(struct pv_store *s, const struct pv_stored_request *r);
int pv_pg_request_get(struct pv_store *s, const char *id, struct pv_stored_request *r);
int pv_pg_request_scan(struct pv_store *s, pv_store_request_fn fn, void *ctx);
int pv_pg_hold_add(struct pv_store *s, const char *customer, const char *reason, const char *by,
		   const char *since);
int pv_pg_hold_release(struct pv_store *s, const char *customer, const char *when, const char *by,
		       int *released);
int pv_pg_hold_active(struct pv_store *s, const char *customer, char *reason, size_t rlen,
		      char *since, size_t slen);
int pv_pg_hold_scan(struct pv_store *s, pv_store_hold_fn fn, void *ctx);
int pv_pg_hold_rows(struct pv_store *s, pv_store_hold_row_fn fn, void *ctx);
int pv_pg_escrow_add(struct pv_store *s, const char *made, const char *recipient,
		     const char *digest, const char *by);
int pv_pg_escrow_scan(struct pv_store *s,
		      int (*fn)(void *ctx, const char *made, const char *recipient,
				const char *digest),
		      void *ctx);
int pv_pg_notice_add(struct pv_store *s, const struct pv_store_notice *n, int64_t *notice);
int pv_pg_notice_set_state(struct pv_store *s, int64_t notice, const char *state,
			   const char *when, char *customer, size_t clen);
int pv_pg_notice_kind(struct pv_store *s, int64_t notice, char *kind, size_t klen,
		      char *customer, size_t clen);
int pv_pg_notice_scan(struct pv_store *s, const char *customer, pv_store_notice_fn fn,
		      void *ctx);
int pv_pg_dsr_put(struct pv_store *s, const struct pv_stored_dsr *d);
int pv_pg_dsr_get(struct pv_store *s, const char *id, struct pv_stored_dsr *d);
int pv_pg_dsr_scan(struct pv_store *s, int (*fn)(void *ctx, const struct pv_stored_dsr *d),
		   void *ctx);
int pv_pg_complaint_put(struct pv_store *s, const struct pv_stored_complaint *c);
int pv_pg_complaint_get(struct pv_store *s, const char *id, struct pv_stored_complaint *c);
int pv_pg_complaint_scan(struct pv_store *s,
			 int (*fn)(void *ctx, const struct pv_stored_complaint *c), void *ctx);
int pv_pg_complaint_note_add(struct pv_store *s, const char *complaint, const char *note_id,
			     const char *at, const char *by, const char *kind, const uint8_t *sealed,
			     size_t len);
int pv_pg_complaint_note_scan(struct pv_store *s, const char *complaint,
			      int (*fn)(void *ctx, const char *note_id, const char *at,
					const char *by, const char *kind, const uint8_t *sealed,
					size_t len),
			      void *ctx);
int pv_pg_incident_put(struct pv_store *s, const struct pv_stored_incident *c);
int pv_pg_incident_get(struct pv_store *s, const char *id, struct pv_stored_incident *c);
int pv_pg_incident_scan(struct pv_store *s,
			int (*fn)(void *ctx, const struct pv_stored_incident *c), void *ctx);
int pv_pg_incident_scope_clear(struct pv_store *s, const char *incident);
int pv_pg_incident_scope_add(struct pv_store *s, const char *incident, const char *customer,
			     const char *categories);
int pv_pg_incident_scope_scan(struct pv_store *s, const char *incident, pv_store_scope_fn fn,
			      void *ctx);
int pv_pg_seal_add(struct pv_store *s, const char *incident, const char *customer);
int pv_pg_seal_clear(struct pv_store *s, const char *incident);
int pv_pg_seal_scan(struct pv_store *s, const char *incident,
		    int (*fn)(void *ctx, const char *customer), void *ctx);
unsigned pv_pg_data_version(struct pv_store *s);
int pv_pg_transfer_put(struct pv_store *s, const struct pv_stored_transfer *t);
int pv_pg_transfer_get(struct pv_store *s, const char *id, struct pv_stored_transfer *t);
int pv_pg_transfer_set(struct pv_store *s, const char *id, enum pv_transfer_column col,
		       const char *value);
int pv_pg_transfer_scan(struct pv_store *s, pv_store_transfer_fn fn, void *ctx);
int pv_pg_customer_transfers(struct pv_store *s, const char *customer, pv_store_transfer_fn fn,
			     void *ctx);
int pv_pg_transfer_member_add(struct pv_store *s, const char *transfer, const char *customer);
int pv_pg_transfer_members_clear(struct pv_store *s, const char *transfer);
int pv_pg_transfer_member_scan(struct pv_store *s, const char *transfer,
			       int (*fn)(void *ctx, const char *customer), void *ctx);
int pv_pg_transfer_consent_put(struct pv_store *s, const char *transfer, const char *customer,
			       int granted, const char *at, const char *channel);
int pv_pg_transfer_consent_get(struct pv_store *s, const char *transfer, const char *customer);
int pv_pg_transfer_consent_log_scan(struct pv_store *s, const char *transfer,
				    int (*fn)(void *ctx, const struct pv_consent_event_row *e),
				    void *ctx);
int pv_pg_transfer_notice_scan(struct pv_store *s, const char *transfer, pv_store_notice_fn fn,
			       void *ctx);
int pv_pg_handover_received_put(struct pv_store *s, const char *package, const char *received,
				const char *sender, const char *root, uint64_t records,
				const char *receipt);
int pv_pg_handover_received_get(struct pv_store *s, const char *package, char *received,
				size_t len);
int pv_pg_customer_scan_bucket_range(struct pv_store *s, uint32_t lo, uint32_t hi,
				     pv_store_customer_fn fn, void *ctx);
int pv_pg_bucket_behind(struct pv_store *s, uint32_t bucket, uint32_t gen);
struct pv_store_bucket_checks pv_pg_bucket_check_counts(const struct pv_store *s);
int pv_pg_bucket_gens(struct pv_store *s,
		      int (*fn)(void *ctx, uint32_t bucket, uint32_t gen, uint64_t customers),
		      void *ctx);
int pv_pg_review_confirm(struct pv_store *s, const char *customer, const char *day,
			 const char *channel, const char *by);
int pv_pg_review_due(struct pv_store *s, const char *before,
		     int (*fn)(void *ctx, const struct pv_stored_customer *c, const char *last),
		     void *ctx);
int pv_pg_outbox_put(struct pv_store *s, const char *intent, uint32_t seq, uint64_t ledger_size,
		     const void *chunk, size_t len);
int pv_pg_outbox_pending(struct pv_store *s);
int pv_pg_outbox_scan(struct pv_store *s, pv_store_outbox_fn fn, void *ctx);
int pv_pg_outbox_drop(struct pv_store *s, const char *intent);
int pv_pg_token_add(struct pv_store *s, const struct pv_stored_token *t);
int pv_pg_token_scan(struct pv_store *s, const char *token,
		     int (*fn)(void *ctx, const struct pv_stored_token *t), void *ctx);
int pv_pg_index_add(struct pv_store *s, int field_num, const uint8_t *h, int64_t rid);
int pv_pg_index_add_sorted(struct pv_store *s, int field_num, const uint8_t *h, int64_t rid);
int pv_pg_index_flush(struct pv_store *s);
int pv_pg_index_lookup(struct pv_store *s, int field_num, const uint8_t *h,
		       int (*fn)(void *ctx, const struct pv_stored_customer *c), void *ctx);
int pv_pg_index_replace(struct pv_store *s, int64_t rid, int field_num, const uint8_t *old_h,
			const uint8_t *h);
int pv_pg_index_rids_below(struct pv_store *s, int field_num, const uint8_t *h, int64_t below,
			   int64_t *rids, size_t max, size_t *n);
int pv_pg_audit_append(struct pv_store *s, const struct pv_audit_row *e);
int pv_pg_audit_last(struct pv_store *s, uint64_t *seq, uint8_t hash[PV_AUDIT_HASH]);
int pv_pg_audit_scan(struct pv_store *s, uint64_t from, pv_store_audit_fn fn, void *ctx);
struct pv_store_audit_cursor *pv_pg_audit_cursor_open(struct pv_store *s, uint64_t from);
int pv_pg_audit_cursor_next(struct pv_store_audit_cursor *c, struct pv_audit_row *e);
void pv_pg_audit_cursor_close(struct pv_store_audit_cursor *c);
struct pv_store *pv_pg_audit_reader(struct pv_store *s);
int pv_pg_audit_checkpoint_put(struct pv_store *s, const struct pv_audit_checkpoint *c);
int pv_pg_audit_checkpoint_last(struct pv_store *s, uint64_t max_size,
				struct pv_audit_checkpoint *c);
int pv_pg_audit_checkpoint_scan(struct pv_store *s, uint64_t after, pv_store_checkpoint_fn fn,
				void *ctx);
/* A backup's image: the vault as a new SQLite database (backup_copy.c). */
int pv_pg_backup_to(struct pv_store *s, const char *path);

#endif
