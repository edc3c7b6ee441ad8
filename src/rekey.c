/* SPDX-License-Identifier: Apache-2.0 */
/* rekey.c: key rotation (being written). */
#include "vault.h"

pv_rc pv_rekey(pv_vault *v, const pv_access *who, int data, pv_rekey_result *out)
{
	(void)who, (void)data, (void)out;
	return pv_fail(v, PV_ERR_USAGE, "rekey is not built yet");
}

void pv_rekey_interrupt_for_tests(pv_vault *v, unsigned batches)
{
	(void)v, (void)batches;
}
