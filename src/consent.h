/* SPDX-License-Identifier: Apache-2.0 */
/* consent.h: what reads call so that a purpose needing consent reaches only customers
 * who gave it (withdrawing stops such reads at once). */
#ifndef PV_CONSENT_H
#define PV_CONSENT_H

#include "vault.h"

/* 1 if who's declared purpose needs consent (consent: required in the schema). */
int pv_consent_needed(const pv_vault *v, const pv_access *who);

/* 1 if who's declared purpose needs consent (consent: required in the schema) and
 * customer rid has not given it (or withdrew it); 0 if the read may go on; -1 on a store
 * error (message on v). */
int pv_consent_blocks(pv_vault *v, const pv_access *who, int64_t rid);

#endif
