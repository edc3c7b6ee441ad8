/* SPDX-License-Identifier: Apache-2.0 */
/* incident_scope.h: which customers and which field categories audit entries touched,
 * for an incident's scope (incidents.c). */
#ifndef PV_INCIDENT_SCOPE_H
#define PV_INCIDENT_SCOPE_H

#include "idset.h"
#include "schema.h"
#include "vault.h"

/* What the matching entries touched: every customer (all), and per category those whose
 * fields of that category were shown or changed; sorted. */
struct pv_scope_found {
	struct pv_idset all;
	struct pv_idset by_category[PV_CATEGORY_COUNT];
	size_t entries;
};

/* Scan the audit log for f (its bounds and filter already checked by the caller, since
 * and until in the log's UTC form) and fill out. */
pv_rc pv_scope_find(pv_vault *v, const pv_incident_filter *f, struct pv_scope_found *out);
void pv_scope_found_free(struct pv_scope_found *s);

/* 1 when op is one of the operations a scope is found from (read, find, list, export,
 * update). */
int pv_scope_operation_known(const char *op);

#endif
