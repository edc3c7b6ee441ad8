/* SPDX-License-Identifier: Apache-2.0 */
/* kdf_policy.c: whether weak Argon2id settings may be used. Compiled twice: into the
 * release library (no PV_TESTING: the floor holds, fast settings are refused) and into the
 * test library linked only by the tests and the test-only CLI (PV_TESTING: fast settings
 * keep the tests quick). No environment variable or runtime switch changes it. */
#include "crypto.h"

int pv_kdf_fast_allowed(void)
{
#ifdef PV_TESTING
	return 1;
#else
	return 0;
#endif
}

int pv_kdf_acceptable(uint64_t opslimit, uint64_t memlimit)
{
	return pv_kdf_fast_allowed() ||
	       (opslimit >= PV_KDF_FLOOR_OPS && memlimit >= PV_KDF_FLOOR_MEM);
}
