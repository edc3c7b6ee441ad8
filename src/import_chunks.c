/* SPDX-License-Identifier: Apache-2.0 */
/* import_chunks.c: what lets a long import commit in chunks, so that others read and
 * write between them, and still be all or nothing. One import at a time holds the
 * vault's import lock (the store's, across processes and nodes, dropped when the process
 * dies); while it is held no operation may change keys (pv_vault_fresh_keys refuses), so
 * what the import sealed stays readable. Its customers stay out of every read until its
 * last transaction (store/sqlite/import_pending.c); an import that never got there is removed by
 * the next one, with an audit entry saying so. */
#include "import.h"

#include "audit.h"
#include "test_hooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

pv_rc pv_import_lock(pv_vault *v)
{
	double start = pv_store_monotonic();
	for (int first = 1;; first = 0) {
		int held = pv_store_import_lock(v->store);
		if (held == 0) {
			v->importing = 1;
			return PV_OK;
		}
		if (held < 0)
			return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
		if (!pv_store_wait_step(v->store, first, "the import under way",
					"another pivault process is importing into this vault"))
			return pv_fail(v, PV_ERR_BUSY, "the vault is busy: another pivault process was "
				       "importing into it for all of the %.1f s this command could "
				       "wait", pv_store_monotonic() - start);
	}
}

void pv_import_test_hold(void *unused)
{
	(void)unused;
	struct timespec step = { 0, 10 * 1000 * 1000 };
	while (pv_test_hooks.import_hold_path && access(pv_test_hooks.import_hold_path, F_OK) != 0)
		nanosleep(&step, NULL);
}

void pv_import_unlock(pv_vault *v)
{
	if (!v->importing)
		return;
	v->importing = 0;
	pv_store_import_unlock(v->store);
}

int pv_import_under_way(const pv_vault *v)
{
	return pv_store_import_locked(v->store) != 0; /* a failure to tell: as held */
}

/* Bytes of input below which an import is not taken for a bulk one, per customer the
 * vault already holds (a short row is about this long). */
#define BULK_BYTES_PER_CUSTOMER 128

pv_rc pv_import_chunks_begin(pv_vault *v, const char *op, const char *purpose,
			     uint64_t bytes_total, int64_t *rid_from)
{
	uint64_t removed = 0;
	if (pv_store_import_discard(v->store, &removed) != 0)
		return pv_fail(v, PV_ERR_STORE, "cannot remove an unfinished import: %s",
			       pv_store_errmsg(v->store));
	if (removed) {
		char detail[160];
		snprintf(detail, sizeof detail, "an unfinished import (stopped before its end) was "
			 "removed: %llu customers, never shown", (unsigned long long)removed);
		struct pv_audit_event e = { op, NULL, purpose, NULL, "failed", detail };
		pv_rc rc = pv_audit_append(v, &e);
		if (rc)
			return rc;
	}
	if (pv_store_import_mark(v->store, rid_from) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	/* as many customers as the vault holds may come: what is cheaper built once at the
	 * end is (an input of unknown size is a bulk one only into an empty vault) */
	uint64_t held = (uint64_t)(*rid_from - 1);
	if ((held == 0 || bytes_total / BULK_BYTES_PER_CUSTOMER >= held) &&
	    pv_store_import_bulk(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return PV_OK;
}

void pv_import_chunks_abandon(pv_vault *v)
{
	uint64_t removed = 0;
	if (pv_store_busy(v->store))
		return; /* the vault was busy: another long wait now helps nobody */
	if (pv_store_begin(v->store) != 0)
		return; /* left for the next import to remove */
	if (pv_store_import_discard(v->store, &removed) != 0 || pv_store_commit(v->store) != 0)
		(void)pv_store_rollback(v->store);
}
