/* SPDX-License-Identifier: Apache-2.0 */
/* erasure.h: the erasures other operations run once they made their own authorisation
 * (retention, deletion requests, transfers, decommissioning): shredding whole customers
 * (shred.c) and emptying some of a customer's fields (query.c). */
#ifndef PV_ERASURE_H
#define PV_ERASURE_H

#include "vault.h"

struct pv_params;
/* The work of pv_shred after its authorisation: approval_op names the approval to use
 * up, for exactly approval_params (NULL op: the caller took care of it); grounds (NULL:
 * none) says why, in the certificate (a transfer and its receipt, a deletion request...). */
pv_rc pv_shred_run(pv_vault *v, const char *const *ids, size_t n, const char *approval_op,
		   const struct pv_params *approval_params, const char *grounds,
		   char **cert_out);

/* Erase fields (schema indexes) of customer id in one transaction with an audit entry
 * (op, detail): values emptied, groups re-sealed, index entries removed. No permission
 * check: for library operations that made their own (retention). */
pv_rc pv_erase_fields(pv_vault *v, const char *id, const size_t *fields, size_t n,
		      const char *op, const char *detail);

#endif
