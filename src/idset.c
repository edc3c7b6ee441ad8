/* SPDX-License-Identifier: Apache-2.0 */
/* idset.c: sets of customer ids (idset.h): filled, sorted once, searched by halves. */
#include "idset.h"

#include <stdlib.h>
#include <string.h>

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int pv_idset_add(struct pv_idset *set, const char *id)
{
	if (set->n == set->cap) {
		size_t cap = set->cap ? 2 * set->cap : 64;
		char **a = realloc(set->ids, cap * sizeof *a);
		if (!a)
			return set->oom = -1;
		set->ids = a;
		set->cap = cap;
	}
	if (!(set->ids[set->n] = strdup(id)))
		return set->oom = -1;
	set->n++;
	return 0;
}

void pv_idset_sort(struct pv_idset *set)
{
	if (!set->n) /* an empty set has no array at all */
		return;
	qsort(set->ids, set->n, sizeof *set->ids, cmp_str);
	size_t kept = 1;
	for (size_t i = 1; i < set->n; i++) {
		if (strcmp(set->ids[i], set->ids[kept - 1]) == 0)
			free(set->ids[i]);
		else
			set->ids[kept++] = set->ids[i];
	}
	set->n = kept;
}

int pv_idset_has(const struct pv_idset *set, const char *id)
{
	return set->n && bsearch(&id, set->ids, set->n, sizeof *set->ids, cmp_str) != NULL;
}

char *pv_idset_join(const struct pv_idset *set)
{
	size_t len = 1;
	for (size_t i = 0; i < set->n; i++)
		len += strlen(set->ids[i]) + 1;
	char *out = malloc(len), *at = out;
	if (!out)
		return NULL;
	*at = '\0';
	for (size_t i = 0; i < set->n; i++) {
		size_t k = strlen(set->ids[i]);
		if (i)
			*at++ = ',';
		memcpy(at, set->ids[i], k + 1);
		at += k;
	}
	return out;
}

void pv_idset_free(struct pv_idset *set)
{
	for (size_t i = 0; i < set->n; i++)
		free(set->ids[i]);
	free(set->ids);
	memset(set, 0, sizeof *set);
}
