/* SPDX-License-Identifier: Apache-2.0 */
/* import.h: the CSV import pipeline over any file descriptor, for imports that feed it
 * from elsewhere (a handover package): the caller names the audit operation and may
 * check its own conditions at the last moment, inside the import's transaction. */
#ifndef PV_IMPORT_H
#define PV_IMPORT_H

#include "vault.h"

struct pv_import_hook {
	const char *audit_op; /* the operation the audit entry names ("import") */
	/* Called after every row is stored and before the commit (NULL: none), r's imported
	 * count being what the commit will keep; a non-OK result rolls the whole import back
	 * (and the result then counts 0 imported). */
	pv_rc (*before_commit)(void *ctx, pv_vault *v, const pv_import_result *r);
	void *ctx;
};

/* One import at a time (import_chunks.c): take the vault's import lock, waiting for
 * another import as for any writer (PV_ERR_BUSY when the wait runs out); release it (not
 * held: nothing). Shreds and rekeys take it too: keys cannot change under an import.
 * While v holds it, v->importing is set. */
pv_rc pv_import_lock(pv_vault *v);
/* Between two chunks, with no transaction open: where the import-hold test hook names a
 * file, wait until it exists (tests only; nothing is waited for otherwise). */
void pv_import_test_hold(void *unused);
void pv_import_unlock(pv_vault *v);
/* 1 when an import holds the lock (this handle's own included), or when that cannot be
 * told. */
int pv_import_under_way(const pv_vault *v);
/* In the import's first transaction: remove what an unfinished import left (audited as
 * op's failure, for purpose), then mark this one under way from row id *rid_from, a bulk
 * one (pv_store_import_bulk) when its bytes_total (0: unknown) could hold as many
 * customers as the vault has. */
pv_rc pv_import_chunks_begin(pv_vault *v, const char *op, const char *purpose,
			     uint64_t bytes_total, int64_t *rid_from);
/* After a failure, once the import's open transaction is rolled back: remove the chunks
 * it committed (left to the next import when that cannot be done now). */
void pv_import_chunks_abandon(pv_vault *v);

/* pv_import_csv over fd (not closed), bytes_total its size when known (for progress). */
pv_rc pv_import_fd(pv_vault *v, const pv_access *who, int fd, uint64_t bytes_total,
		   const pv_import_opts *opts, const struct pv_import_hook *hook,
		   pv_import_result **out);

#endif
