/* SPDX-License-Identifier: Apache-2.0 */
/* wait.c: waiting for another process's write. Every connection gets one busy
 * handler: it sleeps a little at a time, tells the process's note function once a wait
 * has lasted PV_WAIT_NOTE_MS, and gives up after the process's limit (pv_set_wait; the
 * policy and a wait's steps are store/wait_policy.c's, shared by every backend). A
 * failure it ends is recorded as such (pv_store_busy), so that the vault reports
 * PV_ERR_BUSY, not a database error. */
#include "internal.h"

#include <stdio.h>

/* Sleep between tries: short, so that a waiter gets in between two chunks of a long
 * writer (pv_store_chunk, import_pending.c, leaves a gap after each of its commits). */
#define WAIT_STEP_NS 1000000L

int pv_sqlite_wait_step(struct pv_store *s, int first, const char *what, const char *why)
{
	return pv_store_wait_next(&s->wait, first, what, why, WAIT_STEP_NS);
}

/* SQLite's busy handler: count is 0 at the first try of a new wait. */
static int on_busy(void *arg, int count)
{
	return pv_sqlite_wait_step(arg, count == 0, "the vault",
				  "another pivault process holds the vault's write lock");
}

void pv_sqlite_wait_setup(struct pv_store *s)
{
	sqlite3_busy_handler(s->db, on_busy, s);
}

int pv_sqlite_note_busy(struct pv_store *s)
{
	s->busy = 1;
	snprintf(s->err, sizeof s->err, "the vault is busy: another pivault process held its "
		 "write lock for the %.1f s this command could wait", s->wait.waited);
	return -1;
}

int pv_sqlite_failed_busy(struct pv_store *s)
{
	return (sqlite3_errcode(s->db) & 0xff) == SQLITE_BUSY;
}

int pv_sqlite_busy(const struct pv_store *s)
{
	return s && s->busy;
}
