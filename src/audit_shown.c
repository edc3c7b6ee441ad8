/* SPDX-License-Identifier: Apache-2.0 */
/* audit_shown.c: listings that show customer ids name them in their audit entry, written
 * before anything is shown: a first pass over the rows gathers the ids, the entry naming
 * them is appended, and the second pass shows only rows whose id it names (audit.h). */
#include "audit.h"

#include <stdlib.h>

int pv_shown_row(struct pv_shown *s, const char *id)
{
	if (!s->showing)
		return pv_idset_add(&s->ids, id) ? -1 : 0;
	return pv_idset_has(&s->ids, id);
}

pv_rc pv_shown_audit(pv_vault *v, struct pv_shown *s, struct pv_audit_event *e)
{
	if (s->ids.oom)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	pv_idset_sort(&s->ids);
	char *ids = pv_idset_join(&s->ids);
	if (!ids)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	e->ids = ids;
	pv_rc rc = pv_audit_append(v, e);
	e->ids = NULL;
	free(ids);
	s->showing = 1;
	return rc;
}

void pv_shown_free(struct pv_shown *s)
{
	pv_idset_free(&s->ids);
}
