/* SPDX-License-Identifier: Apache-2.0 */
/* bulk_reads.h: the limit on reads in clear. One handle (one command, one program's
 * session) shows at most the vault's bulk limit of customers in clear; a read that would
 * go beyond it runs only under an approved request for exactly that read. */
#ifndef PV_BULK_READS_H
#define PV_BULK_READS_H

#include "vault.h"

#define PV_BULK_LIMIT_DEFAULT 100

/* The vault's bulk limit (customers in clear per handle, and per user and hour before the
 * "many reads" alert): set by the approved 'audit threshold', else the default; read once
 * a handle (a server's handle: once a request, pv_session_enter), checked against its
 * integrity code (PV_ERR_CORRUPT when edited). */
pv_rc pv_bulk_limit(pv_vault *v, uint64_t *limit);

/* Before showing the n customers of ids (comma-separated) to who (role index role) in
 * the read kind ("list", "get", "find", "transfer notify"): PV_OK when nothing is shown in
 * clear or the handle stays within the limit; else the approval of a "read clear" of
 * exactly these customers by this role for this purpose (PV_ERR_DENIED without one;
 * PV_REQUESTED while asking). */
pv_rc pv_bulk_clear_gate(pv_vault *v, int role, const pv_access *who, const char *kind,
			 const char *ids, size_t n);

#endif
