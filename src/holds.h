/* SPDX-License-Identifier: Apache-2.0 */
/* holds.h: what destructive operations call to respect legal holds. */
#ifndef PV_HOLDS_H
#define PV_HOLDS_H

#include "vault.h"

/* PV_OK when customer id may be destroyed; PV_ERR_DENIED (naming the hold's reason and
 * date) while a legal hold is in force on it. */
pv_rc pv_hold_check(pv_vault *v, const char *id);

#endif
