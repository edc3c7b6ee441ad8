/* SPDX-License-Identifier: Apache-2.0 */
/* wait_policy.c: how long this process waits for another's write lock, whichever backend
 * holds the vault: the limit and the note function pv_set_wait sets (include/pivault.h),
 * kept once for the process and read by every backend's waits (store_ops.h). */
#include "pivault.h"
#include "store_ops.h"

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
