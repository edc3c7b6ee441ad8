/* SPDX-License-Identifier: Apache-2.0 */
/* idset.h: a set of customer ids, filled in any order, then sorted once (each id kept
 * once) and searched; joined comma-separated for an audit entry. */
#ifndef PV_IDSET_H
#define PV_IDSET_H

#include <stddef.h>

struct pv_idset {
	char **ids;
	size_t n, cap;
	int oom;
};

/* Add a copy of id; -1 (and oom set) when out of memory. */
int pv_idset_add(struct pv_idset *set, const char *id);
/* Sort, dropping repeated ids; before pv_idset_has. */
void pv_idset_sort(struct pv_idset *set);
/* 1 if the sorted set holds id. */
int pv_idset_has(const struct pv_idset *set, const char *id);
/* The ids comma-separated, in order (malloc'd; NULL when out of memory). */
char *pv_idset_join(const struct pv_idset *set);
void pv_idset_free(struct pv_idset *set);

#endif
