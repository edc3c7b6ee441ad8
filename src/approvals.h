/* SPDX-License-Identifier: Apache-2.0 */
/* approvals.h: what guarded operations call to run under an approved request. */
#ifndef PV_APPROVALS_H
#define PV_APPROVALS_H

#include "vault.h"

/* Inside the operation's transaction: check that the request taken up with
 * pv_vault_use_request is for op and still approved, and mark it used. A session opened
 * with the root secret (break-glass, kept under dual control) needs no request. */
pv_rc pv_approval_consume(pv_vault *v, const char *op);

#endif
