/* SPDX-License-Identifier: Apache-2.0 */
/* import.h: the CSV import pipeline over any file descriptor, for imports that feed it
 * from elsewhere (a handover package): the caller names the audit operation and may
 * check its own conditions at the last moment, inside the import's transaction. */
#ifndef PV_IMPORT_H
#define PV_IMPORT_H

#include "vault.h"

struct pv_import_hook {
	const char *audit_op; /* the operation the audit entry names ("import") */
	/* Called after every row is stored and before the commit (NULL: none); a non-OK
	 * result rolls the whole import back. */
	pv_rc (*before_commit)(void *ctx, pv_vault *v, const pv_import_result *r);
	void *ctx;
	/* Roughly how many bytes the load brings when the input's own size is not known
	 * (0: unknown); from PV_BULK_LOAD_BYTES up, it runs as a bulk load. */
	uint64_t size_hint;
};

/* Loads of at least this many bytes run as bulk loads (pv_store_bulk_begin): below it
 * the write-ahead log costs little, and other readers of the vault need not wait. */
#define PV_BULK_LOAD_BYTES (8u << 20)

/* pv_import_csv over fd (not closed), bytes_total its size when known (for progress). */
pv_rc pv_import_fd(pv_vault *v, const pv_access *who, int fd, uint64_t bytes_total,
		   const pv_import_opts *opts, const struct pv_import_hook *hook,
		   pv_import_result **out);

#endif
