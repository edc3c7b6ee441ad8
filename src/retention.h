/* SPDX-License-Identifier: Apache-2.0 */
/* retention.h: what the schema's retention rules make of one customer's values, the one
 * computation of due dates that every operation uses (the retention plan and run, deletion
 * requests, deregistration, reports): which rule applies to a value, the date it counts
 * from (the first of the rule's from fields holding a date), and the due date, or why
 * there is none. Knows no vault: values are given opened. */
#ifndef PV_RETENTION_H
#define PV_RETENTION_H

#include "schema.h"

/* The index of the first rule matching field i (by its fields, its category, or the
 * default), or -1 when none does. */
int pv_retention_rule_of(const struct pv_schema *s, size_t i);

/* What the rules make of one value. */
enum pv_due_kind {
	PV_DUE_NO_RULE,      /* no rule matches the field: the schema keeps it unlimited */
	PV_DUE_DATE,         /* due on a date */
	PV_DUE_UNDETERMINED  /* a rule applies but none of its from fields gives a date */
};

struct pv_value_due {
	int rule;       /* the rule's index, -1 with PV_DUE_NO_RULE */
	char due[11];   /* PV_DUE_DATE: YYYY-MM-DD */
	size_t tried;   /* from[0..tried) looked at: with PV_DUE_DATE the last gave the date;
			 * with PV_DUE_UNDETERMINED each was empty (the last unreadable, if so) */
	int unreadable; /* PV_DUE_UNDETERMINED: from[tried - 1] holds a value that is not a
			 * date (the search stops there rather than count from a later field) */
};

/* The due date of field i of a customer's opened values (nfields strings; the value
 * itself may be empty: the caller skips what has nothing to keep). */
enum pv_due_kind pv_retention_due(const struct pv_schema *s, char **values, size_t i,
				  struct pv_value_due *out);

/* The same in short, for counting: 0 with due set; 1 when value i holds something but has
 * no due date (what the plan lists as undetermined); -1 when it is empty or no rule
 * matches its field (the schema's gap, not the value's). */
int pv_retention_value_due(const struct pv_schema *s, char **values, size_t i, char due[11]);

/* The date fields an undetermined value missed, "last_order_date,created_at" (an
 * unreadable one followed by " (not a date)"), into out (cap bytes). */
void pv_retention_missing_text(const struct pv_schema *s, const struct pv_value_due *d,
			       char *out, size_t cap);

/* A rule's from fields as written for people: "last_order_date, else created_at". */
void pv_retention_from_text(const struct pv_schema *s, const struct pv_schema_retention *rt,
			    char *out, size_t cap);

/* For a customer's opened values (nfields strings): 1 when a rule with law: still
 * requires keeping some value after as_of (YYYY-MM-DD), with the latest such due date in
 * until, that rule's law in *law, and keep[i] set for each value so kept (keep may be
 * NULL); 0 when no law keeps anything. A value without a due date is not kept by law
 * here (its count is pv_retention_undetermined_count's). */
int pv_retention_legal_keep(const struct pv_schema *s, char **values, const char *as_of,
			    char until[11], const char **law, unsigned char *keep);

#endif
