/* SPDX-License-Identifier: Apache-2.0 */
/* reviews.c: keeping data accurate (定期审查, 及时更新和修正): each customer carries the date
 * its data was last confirmed (its import, then each confirmation); the due list names the
 * customers to re-confirm and the channels to reach them by, never the values. */
#include "dates.h"
#include "audit.h"
#include "policy.h"
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

pv_rc pv_review_confirm(pv_vault *v, const pv_access *who, const char *id, const char *channel)
{
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_UPDATE, &role);
	if (rc)
		return pv_audit_failure(v, rc, "review confirm", id, NULL);
	if (!channel || !*channel)
		return pv_fail(v, PV_ERR_USAGE, "say how the data was confirmed (--channel)");
	char day[11];
	pv_date_today(0, day);
	if (pv_store_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	struct pv_stored_customer c;
	rc = pv_customer_find(v, id, &c);
	if (!rc && pv_store_review_confirm(v->store, id, day, channel, v->principal) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	struct pv_audit_event e = { "review confirm", id, NULL, NULL, "ok", channel };
	rc = pv_audit_commit(v, &e, rc);
	return rc ? pv_audit_failure(v, rc, "review confirm", id, NULL) : pv_ok(v);
}

struct due_ctx {
	pv_vault *v;
	pv_review_fn fn;
	void *ctx;
	pv_rc rc;
	uint64_t count;
	struct pv_shown shown;
};

/* The contact channels a customer has (non-empty phone and email fields), found by
 * opening the record; the values themselves go nowhere. */
static int due_one(void *p, const struct pv_stored_customer *c, const char *last)
{
	struct due_ctx *d = p;
	int show = pv_shown_row(&d->shown, c->id);
	if (show <= 0)
		return show; /* the first pass opens nothing */
	char **values;
	d->rc = pv_open_customer(d->v, c, &values);
	if (d->rc)
		return -1;
	char channels[128] = "";
	const struct pv_schema *s = d->v->schema;
	for (size_t i = 0; i < s->nfields; i++) {
		if (!*values[i] || (s->fields[i].type != PV_T_PHONE && s->fields[i].type != PV_T_EMAIL))
			continue;
		size_t n = strlen(channels);
		snprintf(channels + n, sizeof channels - n, "%s%s", n ? "," : "", s->fields[i].name);
	}
	pv_values_wipe_free(values, s->nfields);
	d->count++;
	pv_review_info r = { c->id, last, channels };
	return d->fn(d->ctx, &r) ? 1 : 0;
}

pv_rc pv_review_due(pv_vault *v, const pv_access *who, unsigned months, pv_review_fn fn,
		    void *ctx)
{
	int role;
	pv_rc rc = pv_policy_permits(v, who, PV_OP_LIST, &role); /* ids only: no purpose */
	if (rc)
		return pv_audit_failure(v, rc, "review due", NULL, NULL);
	if (months == 0)
		months = PV_REVIEW_MONTHS_DEFAULT;
	if (months > 1200)
		return pv_fail(v, PV_ERR_USAGE, "--older-than takes 1 to 1200 months");
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	int y = tm.tm_year + 1900, m = tm.tm_mon + 1 - (int)months;
	while (m < 1) {
		m += 12;
		y--;
	}
	char before[32];
	snprintf(before, sizeof before, "%04d-%02d-%02d", y % 10000, m % 13,
		 tm.tm_mday > 28 ? 28 : tm.tm_mday);
	char detail[64];
	snprintf(detail, sizeof detail, "confirmed before %s", before);
	struct pv_audit_event e = { "review due", NULL, NULL, NULL, "ok", detail };
	struct due_ctx d = { v, fn, ctx, PV_OK, 0, { { 0 }, 0 } };
	if (pv_store_review_due(v->store, before, due_one, &d) < 0) /* the ids, named first */
		d.rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (!d.rc)
		d.rc = pv_shown_audit(v, &d.shown, &e);
	if (!d.rc && pv_store_review_due(v->store, before, due_one, &d) < 0 && !d.rc)
		d.rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	pv_shown_free(&d.shown);
	return d.rc ? d.rc : pv_ok(v);
}
