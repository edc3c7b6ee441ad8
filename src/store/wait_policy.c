/* SPDX-License-Identifier: Apache-2.0 */
/* wait_policy.c: how long this process waits for another's write lock, whichever backend
 * holds the vault: the limit and the note function pv_set_wait sets (include/pivault.h),
 * kept once for the process, and the steps of a wait under it that every backend's
 * pv_store_wait_step takes (store_ops.h). */
#include "pivault.h"
#include "store_ops.h"

#include <time.h>

/* The process's setting: without a call to pv_set_wait, PV_WAIT_DEFAULT and no notes. */
static struct pv_wait_policy wait_policy = { PV_WAIT_DEFAULT, NULL, NULL };

void pv_set_wait(double max_seconds, pv_wait_fn fn, void *ctx)
{
	wait_policy.max_seconds = max_seconds > 0 ? max_seconds : 0;
	wait_policy.note = fn;
	wait_policy.ctx = ctx;
}

const struct pv_wait_policy *pv_store_wait_policy(void)
{
	return &wait_policy;
}

int pv_store_wait_next(struct pv_wait_state *w, int first, const char *what, const char *why,
		       long step_ns)
{
	double now = pv_store_monotonic();
	if (first) {
		w->start = now;
		w->noted = 0;
	}
	w->waited = now - w->start;
	if (w->waited >= wait_policy.max_seconds)
		return 0;
	if (!w->noted && w->waited * 1000 >= PV_WAIT_NOTE_MS) {
		w->noted = 1;
		if (wait_policy.note)
			wait_policy.note(wait_policy.ctx, what, why, wait_policy.max_seconds);
	}
	struct timespec step = { 0, step_ns };
	nanosleep(&step, NULL);
	return 1;
}
