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

/* The index of the retention rule that applies to field i (the first that matches it),
 * or -1 when none does (the field is kept with no end). */
int pv_retention_rule_of(const struct pv_schema *s, size_t i);

/* The due date of value i of a customer's opened values (nfields strings) under its rule:
 * 0 with due set, or 1 when it cannot be computed (an empty value, no rule, or no date
 * to count from in the record): what the retention plan counts as undetermined. */
int pv_retention_value_due(const struct pv_schema *s, char **values, size_t i, char due[11]);

#endif
