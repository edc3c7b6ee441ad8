/* SPDX-License-Identifier: Apache-2.0 */
/* dispatch.c: store.h's functions, each calling the same function of the backend that
 * opened the store (its table of functions, store_ops.h). pv_store_open chooses the
 * backend from the location it is given: a postgresql:// URI (location.c) or an SQLite
 * file. */
#include "store_ops.h"

#include <stdio.h>
#include <stdlib.h>

static const struct pv_store_ops *ops_of(const void *store_or_cursor)
{
	return ((const struct pv_store_head *)store_or_cursor)->ops;
}

struct pv_store *pv_store_open(const char *path, int create, char *err, size_t errlen)
{
	if (!pv_store_location_is_postgresql(path))
		return pv_sqlite_open(path, create, err, errlen);
	if (pv_store_location_check(path, err, errlen) != 0)
		return NULL;
	char schema[64];
	char *conninfo = pv_store_location_conninfo(path, schema, sizeof schema);
	if (!conninfo) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	struct pv_store *s = NULL;
	if (!schema[0])
		snprintf(err, errlen, "the store's URI names no schema (its parameter schema=NAME)");
	else
		s = pv_pg_open(conninfo, schema, create, err, errlen);
	free(conninfo);
	return s;
}

#define PV_STORE_FN(ret, name, params, args) \
	ret pv_store_##name params               \
	{                                        \
		return ops_of(s)->name args;     \
	}
#define PV_STORE_VOID(name, params, args) \
	void pv_store_##name params           \
	{                                     \
		if (s) /* close(NULL): nothing */ \
			ops_of(s)->name args; \
	}
#include "store_functions.def"
#undef PV_STORE_FN
#undef PV_STORE_VOID

int pv_store_note_failure(struct pv_store *s, const char *fmt, ...)
{
	char message[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	return ops_of(s)->note_failure(s, message);
}

int pv_store_busy(const struct pv_store *s)
{
	return s && ops_of(s)->busy(s);
}

int pv_store_audit_cursor_next(struct pv_store_audit_cursor *c, struct pv_audit_row *e)
{
	return ops_of(c)->audit_cursor_next(c, e);
}

void pv_store_audit_cursor_close(struct pv_store_audit_cursor *c)
{
	if (c)
		ops_of(c)->audit_cursor_close(c);
}
