/* SPDX-License-Identifier: Apache-2.0 */
/* handover.h: the layout of the handover package, shared by its writer and its reader.
 *
 * An age file (X25519, to the recipient's key) holding a POSIX tar archive, members in
 * this order:
 *   README.txt                how to open and check it without pivault
 *   sender.pub                the sender vault's key, minisign format
 *   plan.json                 the transfer plan
 *   schema.yaml               the sender's schema
 *   columns.json              id column, moving fields (type, category, sensitivity),
 *                             consent columns: the keys of each record line
 *   records/NNNNNN.jsonl      records in clear, one JSON object per line, in id order
 *   checklist/NNNNNN.tsv      for the records member of the same number: one line per
 *                             record, "<customer id> TAB <SHA-256 of its line>"
 *   consents/NNNNNN.jsonl     consent history of the customers handed over
 *   notices/NNNNNN.jsonl      notices sent to them
 *   manifest.json             the 交接清单: counts per category and sensitivity, record
 *                             count, Merkle root over the record hashes, SHA-256 of every
 *                             member above, the plan, the sender's key
 *   manifest.json.minisig     minisign signature of manifest.json by the sender vault
 * The record hash is SHA-256 of the record's line without its newline; the root is the
 * RFC 6962 Merkle tree hash whose leaves are those 32-byte record hashes in order. */
#ifndef PV_HANDOVER_H
#define PV_HANDOVER_H

/* A records (and consents, notices) member is closed once it reaches this size. */
#define PV_HANDOVER_CHUNK (4u << 20)
/* Largest member a reader accepts (a chunk plus one long record). */
#define PV_HANDOVER_MEMBER_MAX (PV_HANDOVER_CHUNK + (2u << 20))

#define PV_MANIFEST_TYPE "pivault handover manifest"
#define PV_RECEIPT_TYPE "pivault handover receipt"

#include "transfers.h"

/* Where a package's records come from. */
struct pv_package_source {
	struct pv_plan *plan; /* id, plan.json, the recipient's key, the fields that move */
	/* The customers, called like pv_plan_walk (NULL: pv_plan_walk of the plan's scope,
	 * opening values). A walk may blank values that must not go. */
	pv_rc (*walk)(pv_vault *v, void *ctx, pv_plan_fn fn, void *fn_ctx);
	void *walk_ctx;
	int record_members; /* note each customer as handed over, and add consent history and
			     * notices of them (a transfer) */
};

/* Write the package of src to path, which must not exist: the file appears under its
 * name only once complete and synced. out gets its id, root hash and counts;
 * manifest_hex the SHA-256 of its manifest. */
pv_rc pv_package_write(pv_vault *v, const struct pv_package_source *src, const char *path,
		       pv_handover_summary *out, char manifest_hex[65]);

/* What a receipt checked on the sender's side answers: the transfer it names (and its
 * state), the package, and the recipient vault key the plan pinned, which signed it. */
struct pv_receipt_facts {
	char transfer[64], state[24], package[64];
	char key_hex[65], key_fp[PV_FINGERPRINT_SIZE];
};

/* Check receipt against the transfer it names: the plan must pin a recipient vault key,
 * the receipt be signed by that key (not by one it carries) and answer the package
 * exported for the transfer, every record imported. PV_OK with out filled, or the
 * reason (pv_errmsg). */
pv_rc pv_receipt_check(pv_vault *v, const char *receipt, struct pv_receipt_facts *out);

#endif
