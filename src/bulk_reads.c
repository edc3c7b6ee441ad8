/* SPDX-License-Identifier: Apache-2.0 */
/* bulk_reads.c: the limit on reads in clear (bulk reads need four eyes, whatever command
 * makes them). Each handle counts the customers it has shown with at least one value in
 * clear; a read that would take the count past the vault's bulk limit needs an approved
 * "read clear" request naming exactly the customers shown, the role and the purpose. */
#include "bulk_reads.h"
#include "approvals.h"
#include "authz_mac.h"
#include "policy.h"
#include "serving.h"

#include <stdlib.h>
#include <string.h>

pv_rc pv_bulk_limit(pv_vault *v, uint64_t *limit)
{
	if (v->bulk_limit) { /* read once a handle (a server's: once a request) */
		*limit = v->bulk_limit;
		return PV_OK;
	}
	*limit = PV_BULK_LIMIT_DEFAULT;
	uint8_t *val = NULL;
	int got = pv_authz_meta_get(v, "alert_reads_per_hour", &val, NULL);
	if (got < 0)
		return pv_fail(v, PV_ERR_CORRUPT, "%s", pv_store_errmsg(v->store));
	if (got == 0) {
		long n = strtol((char *)val, NULL, 10);
		if (n > 0)
			*limit = (uint64_t)n;
	}
	free(val);
	v->bulk_limit = *limit;
	return PV_OK;
}

/* 1 if who (role index role) would see any field in clear. */
static int shows_clear(const pv_vault *v, int role, const pv_access *who)
{
	for (size_t i = 0; i < v->schema->nfields; i++)
		if (pv_policy_field_view(v, role, who, i) == PV_VIEW_CLEAR)
			return 1;
	return 0;
}

/* The approval of a read in clear of the customers of ids (comma-separated, n of them). */
static pv_rc consume_read(pv_vault *v, int role, const pv_access *who, const char *kind,
			  const char *ids, size_t n)
{
	char *copy = strdup(ids);
	const char **each = malloc((n ? n : 1) * sizeof *each);
	size_t k = 0;
	char *save = NULL;
	for (char *id = copy && each ? strtok_r(copy, ",", &save) : NULL; id && k < n;
	     id = strtok_r(NULL, ",", &save))
		each[k++] = id;
	struct pv_params p;
	pv_params_init(&p);
	pv_params_add(&p, "read", kind);
	pv_params_add(&p, "role", v->schema->roles[role].name);
	pv_params_add(&p, "purpose", who->purpose ? who->purpose : "");
	if (copy && each)
		pv_params_add_ids(&p, "customers", each, k);
	else
		p.oom = 1;
	pv_rc rc = pv_approval_consume(v, "read clear", &p);
	pv_params_free(&p);
	free(each);
	free(copy);
	return rc;
}

pv_rc pv_bulk_clear_gate(pv_vault *v, int role, const pv_access *who, const char *kind,
			 const char *ids, size_t n)
{
	if (!who || !who->want_clear || n == 0 || pv_approval_waived(v) ||
	    !shows_clear(v, role, who))
		return PV_OK;
	uint64_t limit;
	pv_rc rc = pv_bulk_limit(v, &limit);
	if (rc)
		return rc;
	if (v->session_id[0]) { /* a server's session: the count its row holds for them all */
		int taken = 0;
		if ((rc = pv_session_take_clear(v, n, limit, &taken)) != PV_OK || taken)
			return rc;
	} else if (v->clear_shown + n <= limit) {
		v->clear_shown += n;
		return PV_OK;
	}
	int approval_in_hand = v->request_id[0] && strcmp(v->request_op, "read clear") == 0;
	rc = consume_read(v, role, who, kind, ids, n);
	if (rc == PV_ERR_DENIED && !approval_in_hand) {
		rc = pv_fail(v, rc, "%s in clear of %zu customers goes beyond the bulk limit of "
			       "%llu a session (%llu shown already): it needs a four-eyes approval "
			       "(pivault request %s ...)", kind, n, (unsigned long long)limit,
			       (unsigned long long)v->clear_shown, kind);
		v->bulk_refused = 1; /* pv_failed_bulk_limit: callers test this, not the text */
		return rc;
	}
	if (!rc)
		v->clear_shown += n;
	return rc;
}
