/* SPDX-License-Identifier: Apache-2.0 */
/* seal_history.h: when each breach incident's seal was set and lifted, and by whom, for
 * `incident show`. Kept in the protected setting "incident_seal_history" (under the
 * authorisation integrity codes, so a DBA cannot move a time or a name unnoticed): one
 * line per incident ever sealed, "ID\tSEALED_AT\tSEALED_BY\tRELEASED_AT\tRELEASED_BY\t
 * APPROVED_BY" ("-" for what has not happened). Ids, times and user names only. */
#ifndef PV_SEAL_HISTORY_H
#define PV_SEAL_HISTORY_H

#include "vault.h"

struct pv_seal_history {
	char sealed_at[32], sealed_by[72];  /* the seal in force, or the last one lifted */
	char released_at[32], released_by[72], approved_by[72]; /* the last release */
};

/* Incident id's history into h: 0 found, 1 never sealed, -1 (message on the store: the
 * setting failed its integrity check, or could not be read). */
int pv_seal_history_get(pv_vault *v, const char *id, struct pv_seal_history *h);

/* In the seal's transaction: incident id sealed now by v's principal. A seal that adds
 * to one in force keeps its first time. 0 or -1 (message on the store). */
int pv_seal_history_sealed(pv_vault *v, const char *id, int was_in_force);

/* In the release's transaction: incident id released now by v's principal, under the
 * request approved by approver ("" when none was needed). 0 or -1. */
int pv_seal_history_released(pv_vault *v, const char *id, const char *approver);

#endif
