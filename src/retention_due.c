/* SPDX-License-Identifier: Apache-2.0 */
/* retention_due.c: the one computation of retention due dates. For a value, the first
 * rule matching its field (by field, category, or the default) applies; the rule counts
 * from the first of its from fields that holds a value (fallbacks in order), plus its keep
 * period. A value whose rule finds no date (every from field empty, or the first holding
 * a value unreadable as a date) has no due date: it is undetermined, never taken as due
 * and never silently skipped (the plan lists it, the count reports it). */
#include "retention.h"
#include "dates.h"

#include <stdio.h>
#include <string.h>

int pv_retention_rule_of(const struct pv_schema *s, size_t i)
{
	for (size_t r = 0; r < s->nretention; r++) {
		const struct pv_schema_retention *rt = &s->retention[r];
		if (rt->is_default)
			return (int)r;
		if (rt->has_category && rt->category == s->fields[i].category)
			return (int)r;
		for (size_t k = 0; k < rt->nfields; k++)
			if (rt->fields[k] == i)
				return (int)r;
	}
	return -1;
}

enum pv_due_kind pv_retention_due(const struct pv_schema *s, char **values, size_t i,
				  struct pv_value_due *out)
{
	memset(out, 0, sizeof *out);
	out->rule = pv_retention_rule_of(s, i);
	if (out->rule < 0)
		return PV_DUE_NO_RULE;
	const struct pv_schema_retention *rt = &s->retention[out->rule];
	for (size_t k = 0; k < rt->nfrom; k++) {
		const char *from = values[rt->from[k]];
		out->tried = k + 1;
		if (!*from)
			continue;
		if (pv_date_add(from, rt->keep_years, rt->keep_months, rt->keep_days, out->due))
			break;
		return PV_DUE_DATE;
	}
	out->unreadable = out->tried && *values[rt->from[out->tried - 1]];
	out->due[0] = '\0';
	return PV_DUE_UNDETERMINED;
}

int pv_retention_value_due(const struct pv_schema *s, char **values, size_t i, char due[11])
{
	struct pv_value_due d;
	if (!*values[i])
		return -1;
	switch (pv_retention_due(s, values, i, &d)) {
	case PV_DUE_DATE:
		memcpy(due, d.due, sizeof d.due);
		return 0;
	case PV_DUE_UNDETERMINED:
		return 1;
	case PV_DUE_NO_RULE:
		break;
	}
	return -1;
}

void pv_retention_missing_text(const struct pv_schema *s, const struct pv_value_due *d,
			       char *out, size_t cap)
{
	const struct pv_schema_retention *rt = &s->retention[d->rule];
	out[0] = '\0';
	for (size_t k = 0; k < d->tried; k++) {
		size_t used = strlen(out);
		int bad = d->unreadable && k + 1 == d->tried;
		snprintf(out + used, cap - used, "%s%s%s", k ? "," : "", s->fields[rt->from[k]].name,
			 bad ? " (not a date)" : "");
	}
}

void pv_retention_from_text(const struct pv_schema *s, const struct pv_schema_retention *rt,
			    char *out, size_t cap)
{
	out[0] = '\0';
	for (size_t k = 0; k < rt->nfrom; k++) {
		size_t used = strlen(out);
		snprintf(out + used, cap - used, "%s%s", k ? ", else " : "",
			 s->fields[rt->from[k]].name);
	}
	if (!rt->nfrom)
		snprintf(out, cap, "?");
}

int pv_retention_legal_keep(const struct pv_schema *s, char **values, const char *as_of,
			    char until[11], const char **law, unsigned char *keep)
{
	int any = 0;
	until[0] = '\0';
	*law = NULL;
	for (size_t i = 0; i < s->nfields; i++) {
		if (keep)
			keep[i] = 0;
		struct pv_value_due d;
		if (!*values[i] || pv_retention_due(s, values, i, &d) != PV_DUE_DATE ||
		    !s->retention[d.rule].law || strcmp(d.due, as_of) <= 0)
			continue;
		any = 1;
		if (keep)
			keep[i] = 1;
		if (strcmp(d.due, until) > 0) {
			memcpy(until, d.due, 11);
			*law = s->retention[d.rule].law;
		}
	}
	return any;
}
