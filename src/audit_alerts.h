/* SPDX-License-Identifier: Apache-2.0 */
/* audit_alerts.h: the bulk reads found in the audit log, for the operations that report
 * them under their own permission (the compliance report). */
#ifndef PV_AUDIT_ALERTS_H
#define PV_AUDIT_ALERTS_H

#include "vault.h"

/* Every bulk read in the log, in order, to fn (non-zero stops), as pv_audit_alerts gives
 * them, without its permission check or audit entry: the caller has done both. */
pv_rc pv_audit_alerts_each(pv_vault *v, pv_alert_fn fn, void *ctx);

#endif
