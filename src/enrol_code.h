/* SPDX-License-Identifier: Apache-2.0 */
/* enrol_code.h: the halves of a one-time enrolment code. The approver of a new or reset
 * user is shown one half, the requester the other; each half seeds an X25519 key pair,
 * and what the new user needs is sealed to both, so neither person alone can enrol. */
#ifndef PV_ENROL_CODE_H
#define PV_ENROL_CODE_H

#include <stddef.h>
#include <stdint.h>

#define PV_ENROL_HALF_BYTES 16
/* 26 base32 characters in groups of five: "ABCDE-FGHIJ-KLMNO-PQRST-UVWXY-Z" */
#define PV_ENROL_HALF_TEXT 32

/* A new random half: its text (NUL-terminated) and public key. */
void pv_enrol_half_new(char text[PV_ENROL_HALF_TEXT], uint8_t pk[32]);

/* The key pair a half's text gives (case, spaces and hyphens ignored); 0, or -1 when the
 * text is not a half. */
int pv_enrol_half_keys(const char *text, uint8_t pk[32], uint8_t sk[32]);

/* A 32-byte key sealed to half B's public key, then that box to half A's (crypto_box_seal
 * twice): opening it needs both halves. */
#define PV_ENROL_SEALED (32 + 2 * 48)
void pv_enrol_seal(uint8_t out[PV_ENROL_SEALED], const uint8_t key[32], const uint8_t pk_a[32],
		   const uint8_t pk_b[32]);
/* Open what pv_enrol_seal made with the halves' texts into key: 0, or -1 when either half
 * is not the right one (key is then wiped). */
int pv_enrol_open(uint8_t key[32], const uint8_t sealed[PV_ENROL_SEALED], const char *half_a,
		  const char *half_b);

#endif
