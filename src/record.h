/* SPDX-License-Identifier: Apache-2.0 */
/* record.h: sealing and opening one customer: a random data key wrapped by the key of
 * the customer's bucket, one XChaCha20-Poly1305 message per category of fields whose
 * associated data binds vault, customer, group and key version, and the blind-index
 * hashes of the indexed fields. Also the pv_record a role is shown. */
#ifndef PV_RECORD_H
#define PV_RECORD_H

#include "vault.h"

/* One customer's values in normal form, one per schema field ("" for empty); owned by
 * the caller. */
struct pv_values {
	const char **value;
	size_t *len;
};

/* Everything needed to store one customer; buffers owned by the struct. */
struct pv_sealed {
	struct pv_stored_customer c;
	uint8_t wdek[PV_KEY_BYTES + PV_SEAL_OVERHEAD];
	uint8_t *buf;          /* the three groups, one after another */
	size_t cap;
	uint8_t *hashes;       /* nindexed * PV_BLIND_BYTES */
	size_t hashes_len;
};

/* Bucket of a customer id (keyed hash mod the keyring's slot count). */
uint32_t pv_bucket_of(const pv_vault *v, const char *id);

/* Seal customer id with values (normal form), drawing the data key and nonces from rng
 * (NULL: the system). The bucket key must be loadable; with threads, the keyring must
 * have been fully loaded first. Reuses s's buffers. Returns PV_OK or a failure with the
 * message in err. */
pv_rc pv_seal_customer(pv_vault *v, const char *id, const struct pv_values *vals,
		       struct pv_sealed *s, struct pv_rng *rng, char *err, size_t errlen);
void pv_sealed_free(struct pv_sealed *s);

/* Blind-index hash of a value already in normal form, for schema field i. */
void pv_blind_hash(const pv_vault *v, size_t field, const char *norm, size_t len,
		   uint8_t out[PV_BLIND_BYTES]);

/* Open a stored customer: out_values receives nfields malloc'd NUL-terminated strings
 * (free with pv_values_wipe_free). PV_ERR_CORRUPT (message naming customer and field
 * group) when any part fails authentication. */
pv_rc pv_open_customer(pv_vault *v, const struct pv_stored_customer *c, char ***out_values);
void pv_values_wipe_free(char **values, size_t n);

/* Re-seal one group of an opened customer after a change (values in normal form). */
pv_rc pv_reseal_group(pv_vault *v, const struct pv_stored_customer *c, char **values,
		      int group, uint8_t **sealed, size_t *sealed_len);

/* Wrap data key dek of customer id (bucket, generation gen, groups sealed with version)
 * under bucket_key into out. */
void pv_wrap_dek(const pv_vault *v, const char *id, uint32_t bucket, uint32_t gen,
		 uint32_t version, const uint8_t *dek, const uint8_t *bucket_key,
		 uint8_t out[PV_KEY_BYTES + PV_SEAL_OVERHEAD]);

/* A restore's re-wrap (the shred ledger's wdek of customer id, wrapped under the bucket's
 * key of generation gen for version from) bound instead to version to, the version of the
 * restored image's groups, in place: the restore puts the customer back as the image holds
 * it, on purpose. PV_ERR_BAD_KEY when gen is not the bucket's generation now,
 * PV_ERR_CORRUPT when the wrap does not open. */
pv_rc pv_rebind_dek_version(pv_vault *v, const char *id, uint32_t bucket, uint32_t gen,
			    uint32_t from, uint32_t to, uint8_t wdek[PV_KEY_BYTES + PV_SEAL_OVERHEAD]);

/* After a change of an opened customer (values in normal form): the same data key wrapped
 * again for version dek_version + 1, and every group sealed with that version, into wdek,
 * sealed[g] (malloc'd) and len[g], for pv_store_customer_set_sealed. Every earlier copy of
 * the customer's groups then fails to open (PV_ERR_CORRUPT naming customer and group). */
pv_rc pv_reseal_next_version(pv_vault *v, const struct pv_stored_customer *c, char **values,
			     uint8_t wdek[PV_KEY_BYTES + PV_SEAL_OVERHEAD],
			     uint8_t *sealed[PV_GROUPS], size_t len[PV_GROUPS]);

/* Re-wrap c's data key under a new key of its bucket (generation new_gen) into out. */
pv_rc pv_rewrap_dek(pv_vault *v, const struct pv_stored_customer *c, const uint8_t *new_key,
		    uint32_t new_gen, uint8_t out[PV_KEY_BYTES + PV_SEAL_OVERHEAD]);

/* Seal free text about customer c (a complaint's note) under the customer's data key,
 * bound to note_id, so shredding the customer destroys it too; and open it again. */
pv_rc pv_seal_note(pv_vault *v, const struct pv_stored_customer *c, const char *note_id,
		   const char *text, uint8_t **sealed, size_t *len);
pv_rc pv_open_note(pv_vault *v, const struct pv_stored_customer *c, const char *note_id,
		   const uint8_t *sealed, size_t len, char **text);

/* Build the record a role is shown from opened values (takes ownership of values). */
pv_rc pv_record_build(pv_vault *v, int role, const pv_access *who, const char *id,
		      int64_t rid, char **values, pv_record **out);

/* PV_ERR_NOT_FOUND for id, whose text the message repeats only when it has the shape of
 * an id (a value typed in its place is never echoed). */
pv_rc pv_no_customer(pv_vault *v, const char *id);

/* Customer id's stored row into c (borrowed until the store is next used): PV_OK, or the
 * failure recorded: the store's, or pv_no_customer's. */
pv_rc pv_customer_find(pv_vault *v, const char *id, struct pv_stored_customer *c);

#endif
