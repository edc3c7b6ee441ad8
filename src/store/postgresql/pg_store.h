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

#endif
