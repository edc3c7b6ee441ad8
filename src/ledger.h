/* SPDX-License-Identifier: Apache-2.0 */
/* ledger.h: the shred ledger beside the keyring (KEYRING.ledger). It outlives any restore
 * of older data: which customers were shredded (with each certificate), and each data key
 * a shred or a bucket rekey re-wrapped. An operation gathers its lines in an intent, which
 * commits inside the operation's own transaction (the store's outbox) and is appended to
 * the file after the commit, or at the next open when a kill or a full disk stopped that:
 * a committed shred never lacks its ledger lines or its certificate. Each line carries a
 * checksum, so a line cut short by a crash is skipped, never misread. */
#ifndef PV_LEDGER_H
#define PV_LEDGER_H

#include "vault.h"

#include <jansson.h>

struct pv_ledger_intent;

/* A new intent of kind ("shred", "rekey"); NULL when out of memory. */
struct pv_ledger_intent *pv_ledger_intent_new(const char *kind);
void pv_ledger_intent_free(struct pv_ledger_intent *li);
/* Add one line: a JSON object, without a newline or a tab. 0, or -1. */
int pv_ledger_intent_add(struct pv_ledger_intent *li, const char *json, size_t len);

/* Inside the operation's transaction: keep the intent's lines in the store, after a head
 * line with its time and, for a shred, the certificate (its text and hash). */
pv_rc pv_ledger_intent_stage(pv_vault *v, struct pv_ledger_intent *li, const char *when,
			     const char *certificate, const uint8_t cert_hash[32]);

/* After the commit, and at each open: append every intent the store holds to the ledger
 * file (unless a run before appended it whole), each ended by a closing line, sync the
 * file, and forget them in the store. Another process doing the same waits (a lock on
 * the file). 0, or -1 with the reason in why; the intents then stay for the next try. */
int pv_ledger_flush(pv_vault *v, char *why, size_t whylen);

/* Each line of the ledger that is whole (its checksum holds; or, written before lines had
 * one, it parses) as a JSON object; fn answers nonzero to stop (returned). damaged counts
 * lines skipped. A missing ledger has no lines. -1 with the reason in why. */
int pv_ledger_each(pv_vault *v, int (*fn)(void *ctx, json_t *line), void *ctx,
		   uint64_t *damaged, char *why, size_t whylen);

/* Customers whose data key is wrapped by another generation of its bucket's key than the
 * keyring holds: stale (older: the keyring cannot open them) and ahead (newer than the
 * keyring: a keyring older than the data). */
pv_rc pv_ledger_keys_unmatched(pv_vault *v, uint64_t *stale, uint64_t *ahead);

#endif
