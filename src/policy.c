/* SPDX-License-Identifier: Apache-2.0 */
/* policy.c: who may do what and see which fields: the caller's role must be one of the
 * user's roles and must grant the operation (default deny); reads of customer data name a
 * declared purpose the role may use; a user short of the role's staff obligations sees no
 * sensitive or confidential field in clear; inside an API token, only the token's
 * purposes may be named. */
#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1 if role is in the comma-separated list. */
static int has_role(const char *list, const char *role)
{
	size_t n = strlen(role);
	for (const char *p = list; (p = strstr(p, role)) != NULL; p += n)
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return 1;
	return 0;
}

/* Operations that read customer data and so must name a purpose. */
static int reads_customers(enum pv_operation op)
{
	return op == PV_OP_READ || op == PV_OP_FIND || op == PV_OP_LIST || op == PV_OP_EXPORT;
}

/* The purposes the schema declares, comma-separated, into buf. */
static const char *purpose_names(const struct pv_schema *s, char *buf, size_t n)
{
	buf[0] = '\0';
	for (size_t i = 0; i < s->npurposes; i++) {
		size_t l = strlen(buf);
		snprintf(buf + l, n - l, "%s%s", i ? ", " : "", s->purposes[i].name);
	}
	return buf;
}

static unsigned long long all_purposes(const struct pv_schema *s)
{
	return s->npurposes >= 64 ? ~0ULL : (1ULL << s->npurposes) - 1;
}

/* 1 unless the handle acts in an API token (api_tokens.c) whose purposes do not include
 * purpose ("all": every declared purpose). */
static int api_token_may_use(const pv_vault *v, const char *purpose)
{
	if (!v->api_token[0])
		return 1;
	unsigned long long all = all_purposes(v->schema);
	if (strcmp(purpose, "all") == 0)
		return (v->api_token_purposes & all) == all;
	int p = pv_schema_purpose_index(v->schema, purpose);
	return p >= 0 && p < 64 && (v->api_token_purposes & (1ULL << p));
}

/* The role check shared by pv_policy_authorize and pv_policy_permits: the role exists,
 * is the user's, and grants op. */
static pv_rc role_grants(pv_vault *v, const pv_access *who, enum pv_operation op, int *role,
			 const char **role_name, char *first, size_t first_len)
{
	const struct pv_schema *s = v->schema;
	const char *name = who ? who->role : NULL;
	if (!name && v->user_roles) { /* a user's first role by default */
		size_t n = strcspn(v->user_roles, ",");
		snprintf(first, first_len, "%.*s", (int)n, v->user_roles);
		name = first;
	}
	if (!name)
		return pv_fail(v, PV_ERR_DENIED, "no role given: permission '%s' is required",
			       pv_operation_name(op));
	int r = pv_schema_role_index(s, name);
	if (r < 0)
		return pv_fail(v, PV_ERR_DENIED, "unknown role '%s'", name);
	if (v->user_roles && !has_role(v->user_roles, name))
		return pv_fail(v, PV_ERR_DENIED, "user %s does not have role '%s' (roles: %s)",
			       v->principal, name, v->user_roles);
	if (!(s->roles[r].operations & (1ULL << op)))
		return pv_fail(v, PV_ERR_DENIED, "role '%s' lacks permission '%s'", name,
			       pv_operation_name(op));
	*role = r;
	*role_name = name;
	return PV_OK;
}

/* 1 if any of the session user's roles grants op (always for the root secret). */
static int any_role_may(const pv_vault *v, enum pv_operation op)
{
	if (!v->user_roles)
		return 1; /* the root secret acts as any role */
	char *copy = strdup(v->user_roles), *save = NULL;
	int ok = 0;
	for (char *r = copy ? strtok_r(copy, ",", &save) : NULL; r && !ok;
	     r = strtok_r(NULL, ",", &save)) {
		int i = pv_schema_role_index(v->schema, r);
		ok = i >= 0 && (v->schema->roles[i].operations & (1ULL << op));
	}
	free(copy);
	return ok;
}

int pv_policy_may(pv_vault *v, const pv_access *who, enum pv_operation op)
{
	if (!who || !who->role)
		return any_role_may(v, op);
	int r;
	const char *name;
	char first[72];
	return role_grants(v, who, op, &r, &name, first, sizeof first) == PV_OK;
}

pv_rc pv_policy_require(pv_vault *v, const pv_access *who, enum pv_operation op)
{
	if (who && who->role) {
		int r;
		const char *name;
		char first[72];
		return role_grants(v, who, op, &r, &name, first, sizeof first);
	}
	if (any_role_may(v, op))
		return PV_OK;
	return pv_fail(v, PV_ERR_DENIED, "user %s has no role with permission '%s'", v->principal,
		       pv_operation_name(op));
}

pv_rc pv_policy_permits(pv_vault *v, const pv_access *who, enum pv_operation op, int *role)
{
	char first[72];
	const char *name;
	return role_grants(v, who, op, role, &name, first, sizeof first);
}

pv_rc pv_policy_authorize(pv_vault *v, const pv_access *who, enum pv_operation op, int *role)
{
	const struct pv_schema *s = v->schema;
	char first[72];
	const char *name;
	int r;
	pv_rc rc = role_grants(v, who, op, &r, &name, first, sizeof first);
	if (rc)
		return rc;
	const char *purpose = who ? who->purpose : NULL;
	char names[512];
	if (!purpose && reads_customers(op))
		return pv_fail(v, PV_ERR_DENIED, "a read of customer data must name its purpose "
			       "(--purpose P; the schema declares: %s)",
			       purpose_names(s, names, sizeof names));
	if (purpose && strcmp(purpose, "all") == 0) {
		if ((s->roles[r].purposes & all_purposes(s)) != all_purposes(s))
			return pv_fail(v, PV_ERR_DENIED, "role '%s' may not use every purpose, so "
				       "'all' is refused", name);
	} else if (purpose) {
		int p = pv_schema_purpose_index(s, purpose);
		if (p < 0)
			return pv_fail(v, PV_ERR_DENIED, "unknown purpose '%s' (the schema declares: "
				       "%s)", purpose, purpose_names(s, names, sizeof names));
		if (!(s->roles[r].purposes & (1ULL << p)))
			return pv_fail(v, PV_ERR_DENIED, "role '%s' may not use purpose '%s'", name,
				       purpose);
	}
	if (purpose && !api_token_may_use(v, purpose))
		return pv_fail(v, PV_ERR_DENIED, "API token %s may not use purpose '%s'",
			       v->api_token, purpose);
	unsigned missing = s->roles[r].requires & v->user_gaps;
	if (missing && reads_customers(op) && who && who->want_clear)
		return pv_fail(v, PV_ERR_DENIED, "user %s may not see sensitive or confidential "
			       "fields in clear as '%s': %s", v->principal, name,
			       v->user_gap_reason);
	*role = r;
	return PV_OK;
}

enum pv_view pv_policy_field_view(const pv_vault *v, int role, const pv_access *who, size_t i)
{
	const struct pv_schema *s = v->schema;
	enum pv_view view = s->roles[role].view[i];
	/* "all", and legal claims (which may need any of the data), cover every field */
	if (who->purpose && strcmp(who->purpose, "all") != 0 &&
	    strcmp(who->purpose, PV_PURPOSE_LEGAL_CLAIMS) != 0) {
		int p = pv_schema_purpose_index(s, who->purpose);
		if (p < 0 || !(s->fields[i].purposes & (1ULL << p)))
			return PV_VIEW_HIDDEN;
	}
	if (view == PV_VIEW_CLEAR && !who->want_clear)
		return PV_VIEW_MASKED;
	if (view == PV_VIEW_CLEAR && (s->roles[role].requires & v->user_gaps) &&
	    s->fields[i].sensitivity != PV_SENS_PUBLIC)
		return PV_VIEW_MASKED;
	return view;
}
