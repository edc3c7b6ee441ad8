/* SPDX-License-Identifier: Apache-2.0 */
/* pinned_key.h: documents from outside (receipts, checkpoints, certificates, backups) are
 * checked against a public key pinned beforehand, never against a key they carry. These
 * read such a key as `pivault pubkey` prints it, make its short fingerprint for a check by
 * voice, and word the refusal that names both the expected and the found key. */
#ifndef PV_PINNED_KEY_H
#define PV_PINNED_KEY_H

#include "pivault.h"

#include <stddef.h>
#include <stdint.h>

/* Read an Ed25519 public key given as 64 hex digits (either case). 0, or -1. */
int pv_pinned_key_parse(const char *hex, uint8_t pk[32]);

/* The fingerprint of pk (see pv_key_fingerprint). */
void pv_fingerprint_of(const uint8_t pk[32], char out[PV_FINGERPRINT_SIZE]);

/* why = "<what> was signed by another key (<found's fingerprint>), not by the expected
 * key <expected's fingerprint>"; found NULL when the document names no readable key. */
void pv_key_mismatch(char *why, size_t whylen, const char *what, const uint8_t expected[32],
		     const uint8_t *found);

#endif
