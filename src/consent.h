/* SPDX-License-Identifier: Apache-2.0 */
/* consent.h: what reads call so that a purpose needing consent reaches only customers
 * who gave it (withdrawing stops such reads at once), a customer who restricted the
 * processing is read only for legal claims, and one who objected is not read for
 * purposes that need consent. */
#ifndef PV_CONSENT_H
#define PV_CONSENT_H

#include "vault.h"

/* 1 if who's declared purpose needs consent (consent: required in the schema). */
int pv_consent_needed(const pv_vault *v, const pv_access *who);

/* Why customer (rid, id) may not be read for who's declared purpose, or 0 when it may:
 * PV_BLOCK_CONSENT (the purpose needs consent, never given or withdrawn),
 * PV_BLOCK_RESTRICTED (processing restricted at the customer's request: only the purpose
 * "legal-claims" may read), PV_BLOCK_OBJECTED (the customer objected: no purpose that
 * needs consent, such as marketing, may read); -1 on a store error (message on v). */
enum { PV_BLOCK_CONSENT = 1, PV_BLOCK_RESTRICTED = 2, PV_BLOCK_OBJECTED = 3 };
/* ... and PV_BLOCK_SEALED (a breach incident sealed the customer: no purpose reads it;
 * seal_gate.h), asked before the others. */
enum { PV_BLOCK_SEALED = 4 };
int pv_read_blocked(pv_vault *v, const pv_access *who, int64_t rid, const char *id);

/* 1 when reads for who may be blocked at all (the purpose needs consent, some customer
 * restricted or objected, or some customer is sealed): then each customer is checked with pv_read_blocked. */
int pv_read_gated(pv_vault *v, const pv_access *who);

/* The refusal for a block: "customer ID ..." into v's message; returns PV_ERR_DENIED
 * (PV_BLOCK_SEALED: pv_seal_refused's PV_ERR_SEALED, or PV_ERR_CORRUPT). */
pv_rc pv_read_refused(pv_vault *v, const pv_access *who, const char *id, int block);

#endif
