/* SPDX-License-Identifier: Apache-2.0 */
/* pii_scan.h: what pv_scan_csv and pv_scan_vault share: the tally of one column's values
 * (rows holding each kind of personal information, and whether a value is that alone), the
 * kinds a declared mask covers, and the schema change suggested for a column. */
#ifndef PV_PII_SCAN_H
#define PV_PII_SCAN_H

#include <stdint.h>
#include <stdio.h>

#include "pivault.h"
#include "schema.h"

struct pv_pii_tally {
	uint64_t rows, filled;        /* rows read; of them, not empty */
	uint64_t with[PV_PII_TYPES];  /* rows holding at least one span of the kind */
	uint64_t whole[PV_PII_TYPES]; /* rows whose whole value is one span of the kind */
	uint64_t name_alone;          /* rows whose value is shaped like a name and nothing else */
	unsigned covered;             /* bit per kind the declaration covers (not counted) */
};

/* A tally for a column declared with mask (PV_MASK_NONE for an undeclared column). */
void pv_pii_tally_init(struct pv_pii_tally *t, enum pv_mask mask);

/* Count one row's value s[0..len) into t. */
void pv_pii_tally_value(struct pv_pii_tally *t, const char *s, size_t len, int min_confidence);

/* 1 if t found something its declaration does not cover. */
int pv_pii_tally_found(const struct pv_pii_tally *t);

/* Fill c from t (name and declared borrowed); the suggestion is written into buf. */
void pv_pii_tally_report(const struct pv_pii_tally *t, const char *name, const char *declared,
			 pv_scan_column *c, char *buf, size_t cap);

/* Scan the CSV text read from f (named name in messages) as pv_scan_csv does, the columns
 * declared by schema (may be NULL); min_confidence 0: the default. Errors through
 * pv_fail(NULL, ...). */
pv_rc pv_scan_csv_read(FILE *f, const char *name, const struct pv_schema *schema,
		       int min_confidence, pv_scan_column_fn fn, void *ctx, uint64_t *rows);

#endif
