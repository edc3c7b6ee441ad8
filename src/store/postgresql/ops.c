/* SPDX-License-Identifier: Apache-2.0 */
/* ops.c: the PostgreSQL backend's table of functions (store_ops.h), filled from
 * store_functions.def, which every store it opens and every audit cursor carries first. */
#include "internal.h"
#include "pg_store.h"

const struct pv_store_ops pv_pg_ops = {
	.backend = "postgresql",
#define PV_STORE_FN(ret, name, params, args) .name = pv_pg_##name,
#define PV_STORE_VOID(name, params, args) .name = pv_pg_##name,
#include "store/store_functions.def"
#undef PV_STORE_FN
#undef PV_STORE_VOID
	.note_failure = pv_pg_note_failure,
	.busy = pv_pg_busy,
	.audit_cursor_next = pv_pg_audit_cursor_next,
	.audit_cursor_close = pv_pg_audit_cursor_close,
};
