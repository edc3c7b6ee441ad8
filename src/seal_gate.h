/* SPDX-License-Identifier: Apache-2.0 */
/* seal_gate.h: which customers breach incidents sealed (信息封存), as the reads ask it.
 * What is sealed is vouched for by a protected setting ("incident_seals", under the
 * authorisation integrity codes) holding each sealed incident's count and digest; the
 * rows listing the ids are checked against it whenever the setting is read afresh. The
 * handle keeps what it checked and reads it again only when the store's data version and
 * the setting's stored bytes changed: with nothing sealed, a read costs one data-version
 * query (and two point reads after a commit). A seal state that fails its check counts
 * every customer as sealed: reads fail closed. */
#ifndef PV_SEAL_GATE_H
#define PV_SEAL_GATE_H

#include "idset.h"
#include "vault.h"

/* 1 when some customer is sealed, or the seal state failed its check; 0 when none. */
int pv_seal_any(pv_vault *v);

/* 1 when customer id is sealed (or the seal state failed its check), 0 when not. */
int pv_seal_holds(pv_vault *v, const char *id);

/* The refusal of a read of a customer pv_seal_holds found sealed, into v's message:
 * PV_ERR_SEALED naming the customer and the incident, or PV_ERR_CORRUPT naming what
 * failed its integrity check (the handle then marked tampered for the audit entry). */
pv_rc pv_seal_refused(pv_vault *v, const char *id);

/* PV_OK when none of the comma-separated ids is sealed, else pv_seal_refused's refusal
 * for the first that is. */
pv_rc pv_seal_refuse_any(pv_vault *v, const char *ids);

/* A write of customer id: when it is sealed, "; under seal of INC-..." appended to the
 * audit entry's detail (at most n bytes with its end). */
void pv_seal_note_write(pv_vault *v, const char *id, char *detail, size_t n);

/* An erasure of customer id (shred, retention's erasure of fields, a deletion request):
 * a seal keeps the customer's records as evidence, so a sealed one is refused with
 * PV_ERR_SEALED naming the incident (PV_ERR_CORRUPT when the seal state failed its
 * check); PV_OK when not sealed. */
pv_rc pv_seal_forbids_erasure(pv_vault *v, const char *id);

/* 1 when customer id is sealed, with the incident sealing it into out (n bytes; "an
 * incident (the seal state failed its check)" when that is all that is known); 0 when
 * not. */
int pv_seal_incident_of(pv_vault *v, const char *id, char *out, size_t n);

/* ---- Sealed customers a list or an export leaves out, said rather than silent ---- */

/* Start counting (v->sealed_omitted 0, no incident). */
void pv_seal_omitted_reset(pv_vault *v);
/* One more left out: customer id, which pv_seal_holds just found sealed. */
void pv_seal_omitted_add(pv_vault *v, const char *id);
/* How many sealed customers are stored now, counted into v->sealed_omitted (and the
 * incident): what an export will leave out, for its audit entry written first. 0 or -1
 * (message on the store). */
int pv_seal_omitted_count_stored(pv_vault *v);
/* "; N sealed customers left out (incident INC-...)" appended to an audit entry's detail
 * (at most n bytes with its end) when some were; nothing otherwise. */
void pv_seal_omitted_note(const pv_vault *v, char *detail, size_t n);

/* ---- For the seal and release operations (incident_seal.c), in their transaction ---- */

struct pv_sealed_incident {
	char incident[32];
	size_t n;
	char digest[65];     /* BLAKE2b-256 of the incident id and its sorted ids, hex */
	struct pv_idset ids; /* sorted */
};

/* Read and check the seal state now, whatever the handle kept: PV_OK, PV_ERR_CORRUPT (a
 * row or the setting edited outside pivault, named), PV_ERR_STORE. */
pv_rc pv_seal_reload(pv_vault *v);

/* The checked entry of incident (after pv_seal_reload), or NULL when it seals nothing. */
const struct pv_sealed_incident *pv_seal_incident(pv_vault *v, const char *incident);

/* The digest of incident's sealed ids (sorted, without repeats) into hex. */
void pv_seal_digest(const char *incident, const struct pv_idset *ids, char hex[65]);

/* Record in the protected setting that incident seals n ids with digest (n = 0: it
 * seals nothing any more), other incidents kept; the handle forgets what it kept. 0 or
 * -1 (message on the store). */
int pv_seal_record(pv_vault *v, const char *incident, size_t n, const char *digest);

/* Forget what the handle kept (after a seal or release, and at close). */
void pv_seal_forget(pv_vault *v);

#endif
