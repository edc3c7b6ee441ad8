/* SPDX-License-Identifier: Apache-2.0 */
/* policy.h: what a caller may do and see, from the roles and purposes of the schema:
 * default deny for operations, and a view (clear, masked, hidden) per field. */
#ifndef PV_POLICY_H
#define PV_POLICY_H

#include "vault.h"

/* The purpose under which a restricted customer may still be read (consent.c), and which
 * covers every field (it may need any of the data). */
#define PV_PURPOSE_LEGAL_CLAIMS "legal-claims"

/* Check that who may run op: the role exists and grants op, and the purpose (if given)
 * is declared and allowed to the role. Sets *role to the role's index. On refusal,
 * PV_ERR_DENIED with a message naming the missing permission. */
pv_rc pv_policy_authorize(pv_vault *v, const pv_access *who, enum pv_operation op, int *role);

/* Only the role part of pv_policy_authorize: the role is the user's and grants op (no
 * purpose or obligation checks; for asking approval of an operation). */
pv_rc pv_policy_permits(pv_vault *v, const pv_access *who, enum pv_operation op, int *role);

/* 1 if any of the session user's roles grants op (always for the root secret): for
 * operations whose interface names no role. */
int pv_policy_user_may(const pv_vault *v, enum pv_operation op);

/* How field i is shown to who (role index from pv_policy_authorize): hidden when the
 * role does not see it or the declared purpose does not cover it; masked when the role
 * sees it masked or did not ask for clear values; else clear. */
enum pv_view pv_policy_field_view(const pv_vault *v, int role, const pv_access *who, size_t i);

#endif
