/* SPDX-License-Identifier: Apache-2.0 */
/* keyring_sync.h: a shred's new bucket keys reaching every node (each vault directory
 * with its own keyring file over one store) through the store's keyring journal, sealed
 * under keys derived from the slots' previous keys; each node's identity (KEYRING.node)
 * and acknowledgement. */
#ifndef PV_KEYRING_SYNC_H
#define PV_KEYRING_SYNC_H

#include "vault.h"

#define PV_KJOURNAL_SEALED_BYTES (PV_KEY_BYTES + PV_SEAL_OVERHEAD)

/* Read this keyring's node file (KEYRING.node: its id and name), making it at first use,
 * and register the node in the store. A node file that cannot be read or made (damaged,
 * something else in its place, a directory that cannot be written) is PV_ERR_IO naming
 * the file: a node that is not registered would not be counted in shred certificates. */
pv_rc pv_node_ready(pv_vault *v);

/* Apply every journal entry past the ones this handle has applied, in order, through the
 * keyring's crash-safe path, then acknowledge them. A gap (the slot is more than one
 * generation behind an entry) or an entry that does not open is refused. */
pv_rc pv_keyring_catch_up(pv_vault *v);

/* For a handle that stays open (a server's): when the store's keyring journal has entries
 * this handle has not applied (another node's shreds since), apply them now under the
 * write lock (so that the handles of one node, and the nodes, take turns on the keyring
 * file) and acknowledge them; else only the one read of the journal's last number. */
pv_rc pv_keyring_keep_up(pv_vault *v);

/* Seal new_key of slot at generation new_gen under the key derived from the slot's
 * previous key old_key: only a holder of old_key can open it. */
void pv_kjournal_seal(const pv_vault *v, uint32_t slot, uint32_t new_gen,
		      const uint8_t old_key[PV_KEY_BYTES], const uint8_t new_key[PV_KEY_BYTES],
		      uint8_t out[PV_KJOURNAL_SEALED_BYTES]);

/* Open an entry's sealed key with old_key (0), or -1 when it does not open. */
int pv_kjournal_open(const pv_vault *v, uint32_t slot, uint32_t gen, const uint8_t *sealed,
		     size_t len, const uint8_t old_key[PV_KEY_BYTES], uint8_t new_key[PV_KEY_BYTES]);

/* Record that this node has applied every entry up to seq (no node id: nothing). */
pv_rc pv_node_acknowledge(pv_vault *v, uint64_t seq);

#endif
