/* SPDX-License-Identifier: Apache-2.0 */
/* keyring.h: the keyring file kept apart from the data: a fixed number of slots, each a
 * random bucket key wrapped by the root-derived keyring key at a fixed offset, so one
 * slot can later be overwritten in place when a customer is shredded. */
#ifndef PV_KEYRING_H
#define PV_KEYRING_H

#include <stddef.h>
#include <stdint.h>

#define PV_KEYRING_DEFAULT_SLOTS 262144u

struct pv_keyring;

/* Create a keyring file at path (must not exist) with `slots` fresh random bucket keys
 * wrapped by wrap_key and bound to vault_id. The file is written whole to a temporary
 * name, synced, then renamed, and its directory synced. Returns 0, or -1 with a message in err. */
int pv_keyring_create(const char *path, const uint8_t vault_id[16], uint32_t slots,
		      const uint8_t wrap_key[32], char *err, size_t errlen);

/* Open a keyring and check it belongs to vault_id and opens with wrap_key. Returns NULL
 * with a message in err; *bad_key is set to 1 when the failure means a wrong key or a
 * keyring of another vault (rather than a missing or unreadable file). */
struct pv_keyring *pv_keyring_open(const char *path, const uint8_t vault_id[16],
				   const uint8_t wrap_key[32], int *bad_key, char *err,
				   size_t errlen);

/* Number of slots. */
uint32_t pv_keyring_slots(const struct pv_keyring *kr);

/* The bucket key in slot (unwrapped on first use, then cached in guarded memory;
 * borrowed for the keyring's life) and its generation. NULL when the slot fails
 * authentication. Threads may call it at once (an import's workers do) while no other
 * function of the keyring runs. */
const uint8_t *pv_keyring_key(struct pv_keyring *kr, uint32_t slot, uint32_t *gen);

/* Unwrap every slot, so later pv_keyring_key calls only read. 0, or -1 naming the
 * first slot that fails authentication in err. */
int pv_keyring_load_all(struct pv_keyring *kr, char *err, size_t errlen);

/* Replacing bucket keys (crypto-shredding, re-keying), crash-safe in three steps:
 *   stage    seal a new key for slot at the next generation, in memory (*new_gen);
 *   journal  write every staged slot to KEYRING.journal and sync it and its directory,
 *            before the data store commits the data keys re-wrapped under the new keys;
 *   apply    overwrite the slots in place, sync, remove the journal; the handle uses the
 *            new keys from then on even when the file could not take them (the journal
 *            keeps them for recover).
 * discard drops what is staged. At open, recover applies a journal left by a crash for
 * the slots whose change the data store committed (committed(ctx, slot, gen) returns 1),
 * and drops the rest. All return 0, or -1 (with a message in err where there is one). */
int pv_keyring_stage(struct pv_keyring *kr, uint32_t slot, const uint8_t *key, uint32_t *new_gen);
int pv_keyring_journal(struct pv_keyring *kr, char *err, size_t errlen);
int pv_keyring_apply(struct pv_keyring *kr, char *err, size_t errlen);
void pv_keyring_discard(struct pv_keyring *kr);
int pv_keyring_recover(struct pv_keyring *kr, int (*committed)(void *ctx, uint32_t slot,
							     uint32_t gen), void *ctx,
		       char *err, size_t errlen);

/* Write to path (replaced if there) a copy of the keyring with every slot's key and
 * generation sealed anew under new_wrap, synced with its directory: for a new root secret, renamed over the
 * keyring once the store has committed the new key. 0, or -1 with a message in err. */
int pv_keyring_write_rewrapped(struct pv_keyring *kr, const char *path,
			       const uint8_t new_wrap[32], char *err, size_t errlen);

/* 1 if the file open is still the one at the keyring's path (a root change renames a new
 * one over it), else 0. */
int pv_keyring_is_current(const struct pv_keyring *kr);

/* Drop slot's cached key, so the next use reads the file again (another process may
 * have replaced it). Refresh does it for every cached slot whose generation in the file
 * is not the one cached (each new key of a slot has a new generation; the same generation
 * is the same key, whatever wrap key seals it); the others stay, and slots never used
 * stay unread. 0, or -1 with the reason in err. */
void pv_keyring_forget(struct pv_keyring *kr, uint32_t slot);
int pv_keyring_refresh(struct pv_keyring *kr, char *err, size_t errlen);

/* Close, wiping cached keys; NULL harmless. */
void pv_keyring_close(struct pv_keyring *kr);

#endif
