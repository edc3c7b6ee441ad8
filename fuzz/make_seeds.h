/* SPDX-License-Identifier: Apache-2.0 */
/* make_seeds.h: the seed writers make_seeds.c calls from other files. */
#ifndef PV_MAKE_SEEDS_H
#define PV_MAKE_SEEDS_H

/* corpus/handover/: packages' parts from a real export of the customers of csv_path (see
 * fuzz_handover.c), the valid ones and variants each refused for one reason. */
void handover_seeds(const char *corpus, const char *csv_path);

#endif
