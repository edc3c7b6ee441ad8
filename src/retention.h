/* SPDX-License-Identifier: Apache-2.0 */
/* retention.h: what other work asks of the retention rules: whether a law (a rule with
 * law:) makes a customer's values be kept beyond a date, for deletion requests and for
 * deregistration. */
#ifndef PV_RETENTION_H
#define PV_RETENTION_H

#include "schema.h"

/* For a customer's opened values (nfields strings): 1 when a rule with law: still
 * requires keeping some value after as_of (YYYY-MM-DD), with the latest such due date in
 * until, that rule's law in *law, and keep[i] set for each value so kept (keep may be
 * NULL); 0 when no law keeps anything. */
int pv_retention_legal_keep(const struct pv_schema *s, char **values, const char *as_of,
			    char until[11], const char **law, unsigned char *keep);

#endif
