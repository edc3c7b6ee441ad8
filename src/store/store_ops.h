/* SPDX-License-Identifier: Apache-2.0 */
/* store_ops.h: how a backend plugs into store.h. A backend's store (and audit cursor)
 * begins with a pointer to its table of functions, struct pv_store_ops, filled from
 * store_functions.def; pv_store_* (dispatch.c) call through it, so one process can open
 * vaults of several backends. A backend includes this file; the library never does (it
 * calls pv_store_*). */
#ifndef PV_STORE_OPS_H
#define PV_STORE_OPS_H

#include <stdarg.h>

#include "store.h"

struct pv_store_ops {
	const char *backend; /* "sqlite", ... */
#define PV_STORE_FN(ret, name, params, args) ret(*name) params;
#define PV_STORE_VOID(name, params, args) void(*name) params;
#include "store_functions.def"
#undef PV_STORE_FN
#undef PV_STORE_VOID
	/* the store.h functions that take a format (here the message already formatted), that
	 * take NULL, or whose first argument is not the store (the audit cursor's) */
	int (*note_failure)(struct pv_store *s, const char *message);
	int (*busy)(const struct pv_store *s); /* never called with NULL (pv_store_busy: 0) */
	int (*audit_cursor_next)(struct pv_store_audit_cursor *c, struct pv_audit_row *e);
	void (*audit_cursor_close)(struct pv_store_audit_cursor *c);
};

/* What every backend's store and audit cursor begin with. */
struct pv_store_head {
	const struct pv_store_ops *ops;
};

/* How long this process waits for another process's write lock (pv_set_wait, in
 * wait_policy.c): at most max_seconds (0: not at all), telling note(ctx, what, why,
 * max_seconds) once a wait has lasted PV_WAIT_NOTE_MS (note NULL: no notes). */
struct pv_wait_policy {
	double max_seconds;
	void (*note)(void *ctx, const char *what, const char *why, double max_seconds);
	void *ctx;
};
const struct pv_wait_policy *pv_store_wait_policy(void);
/* One wait in progress, or the last, on a store. */
struct pv_wait_state {
	double start, waited; /* when it began, how long it lasted (seconds, monotonic) */
	int noted;            /* the note function was told of it */
};
/* A backend's pv_store_wait_step: one try of w (first = 1 starts it) under the policy:
 * 1 after sleeping step_ns (the note function told once past PV_WAIT_NOTE_MS, with what
 * and why), 0 once the limit is reached. */
int pv_store_wait_next(struct pv_wait_state *w, int first, const char *what, const char *why,
		       long step_ns);

/* Open the SQLite database at path (store/sqlite/schema.c): as pv_store_open. */
struct pv_store *pv_sqlite_open(const char *path, int create, char *err, size_t errlen);
/* Close what pv_sqlite_open opened, for another backend that makes one (PostgreSQL's
 * backup image) without calling back through dispatch.c. */
void pv_sqlite_close(struct pv_store *s);
/* Open the vault kept in the PostgreSQL schema named schema, connecting with conninfo
 * (store/postgresql/schema.c): as pv_store_open. */
struct pv_store *pv_pg_open(const char *conninfo, const char *schema, int create, char *err,
			    size_t errlen);

#endif
