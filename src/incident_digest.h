/* SPDX-License-Identifier: Apache-2.0 */
/* incident_digest.h: breach incidents a DBA cannot edit unnoticed. Each incident's row and
 * its scope rows have a digest, kept in the protected setting "incident_digests" (under
 * the authorisation integrity codes); every incident operation checks them all first and
 * records them again after a change. A vault made before the codes existed gets them at
 * its first incident operation (audited as such); from then on a missing setting is a
 * failed check of the settings table. */
#ifndef PV_INCIDENT_DIGEST_H
#define PV_INCIDENT_DIGEST_H

#include "vault.h"

/* Every incident and its scope against its digest: PV_OK; PV_ERR_CORRUPT naming the
 * incident edited, added or removed outside pivault (the handle marked tampered for the
 * audit entry); PV_ERR_STORE. Records the digests, audited, when the vault has none yet. */
pv_rc pv_incident_digests_check(pv_vault *v);

/* In the caller's transaction, after a change it checked first: record every incident's
 * digest as it is now. PV_OK or PV_ERR_STORE/PV_ERR_NOMEM. */
pv_rc pv_incident_digests_record(pv_vault *v);

#endif
