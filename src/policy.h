/* SPDX-License-Identifier: Apache-2.0 */
/* policy.h: what a caller may do and see, from the roles and purposes of the schema:
 * default deny for operations, and a view (clear, masked, hidden) per field. */
#ifndef PV_POLICY_H
#define PV_POLICY_H

#include "vault.h"

/* Check that who may run op: the role exists and grants op, and the purpose (if given)
 * is declared and allowed to the role. Sets *role to the role's index. On refusal,
 * PV_ERR_DENIED with a message naming the missing permission. */
pv_rc pv_policy_authorize(pv_vault *v, const pv_access *who, enum pv_operation op, int *role);

/* Only the role part of pv_policy_authorize: the role is the user's and grants op (no
 * purpose or obligation checks; for asking approval of an operation). */
pv_rc pv_policy_permits(pv_vault *v, const pv_access *who, enum pv_operation op, int *role);

/* For operations that read no customer data (audit, doctor, requests, certificates): 1
 * when who->role, one of the user's roles, grants op, or, when who or its role is NULL,
 * when any of the user's roles does (always for the root secret, which acts as any role).
 * The caller words the refusal. */
int pv_policy_may(pv_vault *v, const pv_access *who, enum pv_operation op);

/* pv_policy_may, refusing with PV_ERR_DENIED and a message naming the permission. */
pv_rc pv_policy_require(pv_vault *v, const pv_access *who, enum pv_operation op);

/* How field i is shown to who (role index from pv_policy_authorize): hidden when the
 * role does not see it or the declared purpose does not cover it; masked when the role
 * sees it masked or did not ask for clear values; else clear. */
enum pv_view pv_policy_field_view(const pv_vault *v, int role, const pv_access *who, size_t i);

#endif
