/* SPDX-License-Identifier: Apache-2.0 */
/* policy.c: role and purpose checks (default deny) and per-field views. */
#include "policy.h"

pv_rc pv_policy_authorize(pv_vault *v, const pv_access *who, enum pv_operation op, int *role)
{
	const struct pv_schema *s = v->schema;
	if (!who || !who->role)
		return pv_fail(v, PV_ERR_DENIED, "no role given: permission '%s' is required",
			       pv_operation_name(op));
	int r = pv_schema_role_index(s, who->role);
	if (r < 0)
		return pv_fail(v, PV_ERR_DENIED, "unknown role '%s'", who->role);
	if (!(s->roles[r].operations & (1ULL << op)))
		return pv_fail(v, PV_ERR_DENIED, "role '%s' lacks permission '%s'", who->role,
			       pv_operation_name(op));
	if (who->purpose) {
		int p = pv_schema_purpose_index(s, who->purpose);
		if (p < 0)
			return pv_fail(v, PV_ERR_DENIED, "unknown purpose '%s'", who->purpose);
		if (!(s->roles[r].purposes & (1ULL << p)))
			return pv_fail(v, PV_ERR_DENIED, "role '%s' may not use purpose '%s'",
				       who->role, who->purpose);
	}
	*role = r;
	return PV_OK;
}

enum pv_view pv_policy_field_view(const pv_vault *v, int role, const pv_access *who, size_t i)
{
	const struct pv_schema *s = v->schema;
	enum pv_view view = s->roles[role].view[i];
	if (who->purpose) {
		int p = pv_schema_purpose_index(s, who->purpose);
		if (p < 0 || !(s->fields[i].purposes & (1ULL << p)))
			return PV_VIEW_HIDDEN;
	}
	if (view == PV_VIEW_CLEAR && !who->want_clear)
		return PV_VIEW_MASKED;
	return view;
}
