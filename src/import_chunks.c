/* SPDX-License-Identifier: Apache-2.0 */
/* import_chunks.c: what lets a long import commit in chunks, so that others read and
 * write between them, and still be all or nothing. One import at a time holds the
 * vault's import lock (a lock on DIR/import.lock, which the system drops when the process
 * dies); while it is held no operation may change keys (pv_vault_fresh_keys refuses), so
 * what the import sealed stays readable. Its customers stay out of every read until its
 * last transaction (store/sqlite/import_pending.c); an import that never got there is removed by
 * the next one, with an audit entry saying so. */
#include "import.h"

#include "audit.h"
#include "test_hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#define IMPORT_LOCK_NAME "import.lock"

static int open_lock_file(const pv_vault *v, int create)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", v->dir, IMPORT_LOCK_NAME);
	return open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0), 0600);
}

pv_rc pv_import_lock(pv_vault *v, int *fd)
{
	*fd = open_lock_file(v, 1);
	if (*fd < 0)
		return pv_fail(v, PV_ERR_IO, "cannot open the vault's import lock %s/%s: %s", v->dir,
			       IMPORT_LOCK_NAME, strerror(errno));
	double start = pv_store_monotonic();
	for (int first = 1;; first = 0) {
		if (flock(*fd, LOCK_EX | LOCK_NB) == 0) {
			v->importing = 1;
			return PV_OK;
		}
		if (errno != EWOULDBLOCK && errno != EINTR)
			break;
		if (!pv_store_wait_step(v->store, first, "the import under way",
					"another pivault process is importing into this vault")) {
			close(*fd);
			*fd = -1;
			return pv_fail(v, PV_ERR_BUSY, "the vault is busy: another pivault process was "
				       "importing into it for all of the %.1f s this command could "
				       "wait", pv_store_monotonic() - start);
		}
	}
	pv_rc rc = pv_fail(v, PV_ERR_IO, "cannot take the vault's import lock: %s", strerror(errno));
	close(*fd);
	*fd = -1;
	return rc;
}


void pv_import_test_hold(void *unused)
{
	(void)unused;
	struct timespec step = { 0, 10 * 1000 * 1000 };
	while (pv_test_hooks.import_hold_path && access(pv_test_hooks.import_hold_path, F_OK) != 0)
		nanosleep(&step, NULL);
}

void pv_import_unlock(pv_vault *v, int fd)
{
	if (fd < 0)
		return;
	v->importing = 0;
	close(fd); /* the lock goes with it */
}

int pv_import_under_way(const pv_vault *v)
{
	int fd = open_lock_file(v, 0);
	if (fd < 0)
		return 0; /* never imported since the lock came in */
	int held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
	close(fd);
	return held;
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
