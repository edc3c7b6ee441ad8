/* SPDX-License-Identifier: Apache-2.0 */
/* pg_store.h: the PostgreSQL store's entry points: open a vault's schema on a server, and
 * every function of store.h under the name the backend's table carries (pv_pg_* for
 * pv_store_*; ops.c puts them in pv_pg_ops), declared from store_functions.def. The library
 * reaches them through store.h once pv_store_open chooses this backend; its tests call
 * them directly. */
#ifndef PV_STORE_PG_STORE_H
#define PV_STORE_PG_STORE_H

#include "store/store.h"

/* Connect with conninfo (a libpq connection string or URI; the password comes from the
 * environment or a password file, as libpq reads them: PGPASSWORD, PGPASSFILE), and use
 * the PostgreSQL schema named schema (letters, digits and _ only), made with its tables
 * when create is 1; without create, a schema that holds no vault is refused. NULL with the
 * reason in err (never the password). The store carries pv_pg_ops. */
struct pv_store *pv_pg_open(const char *conninfo, const char *schema, int create, char *err,
			    size_t errlen);

/* store.h's functions, as this backend names them */
#define PV_STORE_FN(ret, name, params, args) ret pv_pg_##name params;
#define PV_STORE_VOID(name, params, args) void pv_pg_##name params;
#include "store/store_functions.def"
#undef PV_STORE_FN
#undef PV_STORE_VOID
/* ...and those the table holds apart (store_ops.h): a failure's message already
 * formatted, the busy flag, the audit cursor's */
int pv_pg_note_failure(struct pv_store *s, const char *message);
int pv_pg_busy(const struct pv_store *s);
int pv_pg_audit_cursor_next(struct pv_store_audit_cursor *c, struct pv_audit_row *e);
void pv_pg_audit_cursor_close(struct pv_store_audit_cursor *c);

/* The backend's table of functions (ops.c; struct pv_store_ops is in store_ops.h). */
struct pv_store_ops;
extern const struct pv_store_ops pv_pg_ops;

#endif
