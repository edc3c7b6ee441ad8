/* SPDX-License-Identifier: Apache-2.0 */
/* ops.c: the SQLite backend's table of functions (store_ops.h), which every store it opens
 * and every audit cursor carries first. */
#include "internal.h"

static int note_failure_text(struct pv_store *s, const char *message)
{
	return pv_sqlite_note_failure(s, "%s", message);
}

const struct pv_store_ops pv_sqlite_ops = {
	.backend = "sqlite",
#define PV_STORE_FN(ret, name, params, args) .name = pv_sqlite_##name,
#define PV_STORE_VOID(name, params, args) .name = pv_sqlite_##name,
#include "store/store_functions.def"
#undef PV_STORE_FN
#undef PV_STORE_VOID
	.note_failure = note_failure_text,
	.busy = pv_sqlite_busy,
	.audit_cursor_next = pv_sqlite_audit_cursor_next,
	.audit_cursor_close = pv_sqlite_audit_cursor_close,
};
