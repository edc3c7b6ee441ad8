/* SPDX-License-Identifier: Apache-2.0 */
/* clock.c: the store's clock that only goes forward (pv_store_monotonic), under every
 * backend and the dispatch alike. */
#include "store.h"

#include <time.h>

double pv_store_monotonic(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}
