/* SPDX-License-Identifier: Apache-2.0 */
/* shred.c: crypto-shredding with a destruction certificate. A customer's wrapped data
 * key, sealed fields, blind-index entries and consent records are deleted (secure_delete,
 * write-ahead log checkpointed), and every bucket that held one of them gets a new key
 * that re-wraps its remaining data keys; the old key is overwritten in place in the
 * keyring. No copy of the data made before (a backup, a copied file) can then yield the
 * shredded customers, root key included. The certificate is signed by the vault key; a
 * shred ledger beside the keyring (ids, time, certificate hash, and the bucket mates'
 * re-wrapped data keys, sealed) outlives any restore of older data. */
#include "approvals.h"
#include "audit.h"
#include "dates.h"
#include "files.h"
#include "holds.h"
#include "seal_gate.h"
#include "import.h"
#include "ledger.h"
#include "keyring_sync.h"
#include "pinned_key.h"
#include "policy.h"
#include "record.h"
#include "erasure.h"
#include "validate.h"
#include "signed_json.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CERT_TYPE "pivault destruction certificate"
#define MAX_SHRED 1000000

static const char *const group_names[PV_GROUPS] = { "basic", "financial", "other" };

/* What one shred run gathers before it commits. */
struct shred_run {
	pv_vault *v;
	uint32_t *buckets;  /* affected buckets, distinct */
	uint32_t *new_gens;
	uint8_t *new_keys;  /* guarded: nbuckets * PV_KEY_BYTES */
	size_t nbuckets, capbuckets;
	uint32_t *position; /* per keyring slot: 1 + its index in buckets, or 0 */
	uint32_t slots;
	unsigned categories; /* bit per group holding data that was destroyed */
	/* the fingerprint, over the sealed data keys and the old bucket keys' hashes as they
	 * are met (a hash state, so memory does not grow with the run) */
	crypto_generichash_state material;
	size_t nrewrapped;  /* remaining customers of those buckets, re-wrapped */
	uint8_t *jsealed;   /* per bucket: its new key sealed for the keyring journal
			     * (under a key derived from the old one) */
	uint64_t jfirst, jlast; /* the keyring journal entries added */
	struct pv_ledger_intent *ledger; /* its ledger lines: each re-wrapped data key
					  * (sealed), for restores, and each shredded id */
	pv_rc rc;
};

static int material_add(struct shred_run *r, const void *p, size_t n)
{
	return crypto_generichash_update(&r->material, p, n);
}

static int bucket_add(struct shred_run *r, uint32_t b)
{
	if (!r->position) { /* one entry per slot: a shred of many finds its buckets at once */
		r->slots = pv_keyring_slots(r->v->keyring);
		if (!(r->position = calloc(r->slots + 1, sizeof *r->position)))
			return -1;
	}
	if (b >= r->slots)
		return -1;
	if (r->position[b])
		return 0;
	if (r->nbuckets == r->capbuckets) {
		size_t cap = r->capbuckets ? 2 * r->capbuckets : 64;
		uint32_t *nb = realloc(r->buckets, cap * sizeof *nb);
		if (!nb)
			return -1;
		r->buckets = nb;
		r->capbuckets = cap;
	}
	r->buckets[r->nbuckets++] = b;
	r->position[b] = (uint32_t)r->nbuckets;
	return 0;
}

/* Note one customer for removal (the removal is one set operation for the whole run).
 * Records the categories destroyed and the sealed key for the fingerprint. */
static pv_rc shred_one(struct shred_run *r, const char *id)
{
	pv_vault *v = r->v;
	struct pv_stored_customer c;
	pv_rc rc = pv_customer_find(v, id, &c);
	if (rc)
		return rc;
	if (material_add(r, id, strlen(id) + 1) != 0 || material_add(r, c.wdek, c.wdek_len) != 0 ||
	    bucket_add(r, c.bucket) != 0)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	/* A group sealed over an empty plaintext holds no value of its category; nothing is
	 * opened, so a damaged record is destroyed like any other. */
	for (int g = 0; g < PV_GROUPS; g++)
		if (c.group[g] && c.group_len[g] > PV_SEAL_OVERHEAD)
			r->categories |= 1u << g;
	return pv_store_doomed_add(v->store, c.rid, id) ? pv_fail(v, PV_ERR_STORE, "%s",
								   pv_store_errmsg(v->store))
							: PV_OK;
}

/* The new generation of an affected bucket, 0 for the others. */
static uint32_t affected_gen(void *p, uint32_t bucket)
{
	struct shred_run *r = p;
	return bucket < r->slots && r->position[bucket] ? r->new_gens[r->position[bucket] - 1]
							 : 0;
}

/* Re-wrap one remaining customer of an affected bucket under its bucket's new key. */
static int rewrap_one(void *p, const struct pv_stored_customer *c,
		      uint8_t wdek[PV_KEY_BYTES + PV_SEAL_OVERHEAD])
{
	struct shred_run *r = p;
	size_t i = r->position[c->bucket] - 1;
	r->rc = pv_rewrap_dek(r->v, c, r->new_keys + i * PV_KEY_BYTES, r->new_gens[i], wdek);
	if (r->rc)
		return -1;
	/* The ledger keeps the new sealed key too, so a restore of older data can give this
	 * customer (not shredded) the key its bucket has now. */
	char hex[2 * (PV_KEY_BYTES + PV_SEAL_OVERHEAD) + 1], line[300];
	pv_hex(hex, wdek, PV_KEY_BYTES + PV_SEAL_OVERHEAD);
	int len = snprintf(line, sizeof line, "{\"rewrap\":\"%s\",\"bucket\":%u,\"gen\":%u,"
			   "\"dek\":%u,\"wdek\":\"%s\"}", c->id, (unsigned)c->bucket,
			   (unsigned)r->new_gens[i], (unsigned)c->dek_version, hex);
	if (len < 0 || (size_t)len >= sizeof line ||
	    pv_ledger_intent_add(r->ledger, line, (size_t)len) != 0) {
		r->rc = pv_fail(r->v, PV_ERR_NOMEM, "cannot keep the ledger lines");
		return -1;
	}
	r->nrewrapped++;
	return 0;
}

/* New keys for every affected bucket, staged in the keyring; then the shredded customers'
 * rows removed and the remaining data keys of those buckets re-wrapped under the new
 * keys, in one pass. */
static pv_rc rekey_buckets(struct shred_run *r)
{
	pv_vault *v = r->v;
	r->new_keys = pv_secret_alloc(r->nbuckets * PV_KEY_BYTES + 1);
	r->new_gens = calloc(r->nbuckets + 1, sizeof *r->new_gens);
	r->jsealed = malloc(r->nbuckets * PV_KJOURNAL_SEALED_BYTES + 1);
	if (!r->new_keys || !r->new_gens || !r->jsealed)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < r->nbuckets; i++) {
		uint32_t gen;
		const uint8_t *old = pv_keyring_key(v->keyring, r->buckets[i], &gen);
		if (!old)
			return pv_fail(v, PV_ERR_BAD_KEY, "keyring slot %u fails authentication",
				       (unsigned)r->buckets[i]);
		uint8_t hold[32], rec[8];
		pv_keyed_hash(hold, sizeof hold, "destroyed bucket key", 20, old);
		memcpy(rec, &r->buckets[i], 4);
		memcpy(rec + 4, &gen, 4);
		uint8_t *key = r->new_keys + i * PV_KEY_BYTES;
		pv_random(key, PV_KEY_BYTES);
		if (material_add(r, rec, sizeof rec) != 0 || material_add(r, hold, sizeof hold) != 0 ||
		    pv_keyring_stage(v->keyring, r->buckets[i], key, &r->new_gens[i]) != 0)
			return pv_fail(v, PV_ERR_NOMEM, "cannot stage a new key for slot %u",
				       (unsigned)r->buckets[i]);
		pv_kjournal_seal(v, r->buckets[i], r->new_gens[i], old, key,
				 r->jsealed + i * PV_KJOURNAL_SEALED_BYTES);
	}
	/* the shredded customers go, and every remaining customer of those buckets is
	 * re-wrapped, in one pass over the table */
	r->rc = PV_OK;
	struct pv_store_rewrap how = { affected_gen, rewrap_one, r };
	if (pv_store_doomed_remove_rewrap(v->store, &how) != 0 && !r->rc)
		r->rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return r->rc;
}

/* The keyring journal's entries for the other nodes: each affected slot's new key sealed
 * under a key derived from its old one, added in the shred's transaction. */
static pv_rc journal_entries(struct shred_run *r, const char *when)
{
	char ref[64];
	snprintf(ref, sizeof ref, "shred at %s", when);
	for (size_t i = 0; i < r->nbuckets; i++) {
		uint64_t seq;
		if (pv_store_kjournal_add(r->v->store, r->buckets[i], r->new_gens[i],
					  r->jsealed + i * PV_KJOURNAL_SEALED_BYTES,
					  PV_KJOURNAL_SEALED_BYTES, when, ref, &seq) != 0)
			return pv_fail(r->v, PV_ERR_STORE, "%s", pv_store_errmsg(r->v->store));
		if (!r->jfirst)
			r->jfirst = seq;
		r->jlast = seq;
	}
	return PV_OK;
}

struct node_list {
	json_t *nodes;
	const char *self;
	uint64_t last;
	size_t pending;
};

/* One registered node for the certificate: acknowledged when it is this node (it does
 * right after the keyring is overwritten) or has applied the shred's entries already. */
static int node_listed(void *ctx, const char *node_id, const char *name,
		       const char *registered_at, uint64_t applied_seq)
{
	struct node_list *l = ctx;
	(void)registered_at;
	int acked = strcmp(node_id, l->self) == 0 || applied_seq >= l->last;
	if (!acked)
		l->pending++;
	json_array_append_new(l->nodes, json_pack("{s:s, s:s, s:b}", "node", node_id, "name",
						  name, "acknowledged", acked));
	return 0;
}

/* One retired node (pivault node retire) for the certificate: no longer waited for. */
static int node_retired(void *ctx, const char *node_id, const char *name,
			const char *retired_at, uint64_t applied_seq)
{
	(void)applied_seq;
	json_array_append_new((json_t *)ctx, json_pack("{s:s, s:s, s:s}", "node", node_id,
							"name", name, "retired", retired_at));
	return 0;
}

/* What the certificate says of the keyring's nodes (NULL when they cannot be read): those
 * in service, each acknowledged or not, and those retired so far. */
static json_t *nodes_part(struct shred_run *r)
{
	struct node_list l = { json_array(), r->v->node_id, r->jlast, 0 };
	json_t *retired = json_array();
	if (pv_store_node_scan(r->v->store, node_listed, &l) != 0 ||
	    pv_store_node_retired_scan(r->v->store, node_retired, retired) != 0) {
		json_decref(l.nodes);
		json_decref(retired);
		return NULL;
	}
	return json_pack("{s:[I, I], s:o, s:o, s:b, s:s}", "journal_entries",
			 (json_int_t)r->jfirst, (json_int_t)r->jlast, "nodes", l.nodes,
			 "retired_nodes", retired, "complete", l.pending == 0, "complete_when",
			 "every node listed has applied the keyring journal's entries of this shred "
			 "(overwritten the old bucket keys in its own keyring) and acknowledged "
			 "them; pivault doctor lists the nodes that lag; a retired node (its keyring "
			 "destroyed: pivault node retire) is not waited for");
}

/* Each escrow copy of the keyring made so far holds the keys destroyed now. */
static int add_escrow(void *ctx, const char *made, const char *recipient, const char *digest)
{
	json_array_append_new((json_t *)ctx, json_pack("{s:s, s:s, s:s}", "made", made,
							"escrow_key", recipient, "copy_digest",
							digest));
	return 0;
}

/* The signed certificate as text (malloc'd) and the hash of that text. */
static char *certificate(struct shred_run *r, const char *const *ids, size_t n,
			 const char *when, const char *grounds, uint8_t cert_hash[32])
{
	pv_vault *v = r->v;
	uint8_t fp[32];
	char fph[65], pkh[65];
	crypto_generichash_final(&r->material, fp, sizeof fp);
	pv_hex(fph, fp, sizeof fp);
	if (pv_vault_public_key(v, pkh) != PV_OK)
		return NULL;
	json_t *cats = json_array(), *list = json_array(), *limits = json_array();
	for (int g = 0; g < PV_GROUPS; g++)
		if (r->categories & (1u << g))
			json_array_append_new(cats, json_string(group_names[g]));
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_string(ids[i]));
	json_array_append_new(limits, json_string(
		"Overwriting in place is not guaranteed erasure on flash storage or copy-on-write "
		"file systems; an HSM-held keyring is the answer there."));
	json_array_append_new(limits, json_string(
		"Copies of the keyring made before this time (escrow exports, backups of the "
		"keyring file) still hold the destroyed bucket keys until they are renewed."));
	json_array_append_new(limits, json_string(
		"This certifies what pivault did to its own store and keyring; it cannot attest "
		"copies made outside pivault of data read in clear."));
	json_t *escrow = json_array();
	if (pv_store_escrow_scan(v->store, add_escrow, escrow) < 0) {
		json_decref(escrow);
		json_decref(cats);
		json_decref(list);
		json_decref(limits);
		escrow = NULL;
	}
	json_t *cert = !escrow ? NULL : json_pack(
		"{s:s, s:i, s:s, s:o, s:I, s:o, s:s, s:s, s:s, s:s, s:o, s:o, s:s}",
		"type", CERT_TYPE, "version", 1, "vault", v->vault_id_hex, "customers", list,
		"count", (json_int_t)n, "categories", cats, "method",
		"crypto-shredding: each customer's data key, sealed fields, blind-index entries and "
		"consents deleted (SQLite secure_delete, write-ahead log checkpointed); each bucket "
		"that held one re-keyed, its remaining data keys re-wrapped, and its old key "
		"overwritten in place in the keyring and synced",
		"time", when, "approval", v->request_id, "destroyed_key_material_fingerprint", fph,
		"limits", limits, "escrow_copies_holding_destroyed_keys", escrow, "signed_by", pkh);
	if (cert && grounds)
		json_object_set_new(cert, "grounds", json_string(grounds));
	json_t *nodes = cert ? nodes_part(r) : NULL;
	if (cert && !nodes) {
		json_decref(cert);
		cert = NULL;
	}
	if (cert)
		json_object_set_new(cert, "keyring_nodes", nodes);
	json_t *doc = cert ? pv_signed_json(v, "certificate", cert) : NULL;
	char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(doc);
	if (text)
		pv_hash2(cert_hash, text, strlen(text), NULL, 0);
	return text;
}

/* The shred's ledger lines (each shredded id, after the re-wrapped keys gathered in the
 * pass), kept in the store inside the shred's transaction with the certificate: they
 * reach the ledger file after the commit, or at the next open if this process dies. */
static pv_rc ledger_stage(struct shred_run *r, const char *const *ids, size_t n,
			  const char *when, const char *cert, const uint8_t cert_hash[32])
{
	char h[65], line[200];
	pv_hex(h, cert_hash, 32);
	for (size_t i = 0; i < n; i++) {
		int len = snprintf(line, sizeof line, "{\"id\":\"%s\",\"time\":\"%s\","
				   "\"certificate\":\"%s\"}", ids[i], when, h);
		if (len < 0 || (size_t)len >= sizeof line ||
		    pv_ledger_intent_add(r->ledger, line, (size_t)len) != 0)
			return pv_fail(r->v, PV_ERR_NOMEM, "cannot keep the ledger lines");
	}
	return pv_ledger_intent_stage(r->v, r->ledger, when, cert, cert_hash);
}

/* The message for steps after the commit that failed (each non-empty text is the reason
 * one failed): what was done, what was not, and what is left to do. */
static pv_rc report_after_commit(struct shred_run *r, size_t n, const char *keyring,
				 const char *wal, const char *ledger)
{
	pv_vault *v = r->v;
	char msg[sizeof v->errmsg];
	size_t at = (size_t)snprintf(msg, sizeof msg, "%zu customer%s %s shredded and the "
				     "certificate issued, but", n, n == 1 ? "" : "s",
				     n == 1 ? "was" : "were");
	if (keyring[0] && at < sizeof msg)
		at += (size_t)snprintf(msg + at, sizeof msg - at, " the keyring is not up to date "
				       "(%s);", keyring);
	if (wal[0] && at < sizeof msg)
		at += (size_t)snprintf(msg + at, sizeof msg - at, " the write-ahead log could not "
				       "be checkpointed (%s): the deleted rows' pages may stay in "
				       "it until a later checkpoint (SQLite makes one when the last "
				       "session closes the vault);", wal);
	if (ledger[0] && at < sizeof msg)
		at += (size_t)snprintf(msg + at, sizeof msg - at, " the shred ledger is not up to "
				       "date (%s). Its lines are kept in the vault and added at its "
				       "next open; until then, restore no backup made before now (it "
				       "would bring these customers' records back, unreadable, and "
				       "leave %zu customer%s of their buckets unreadable);", ledger,
				       r->nrewrapped, r->nrewrapped == 1 ? "" : "s");
	if (at >= sizeof msg)
		at = sizeof msg - 1;
	if (msg[at - 1] == ';')
		msg[at - 1] = '\0';
	return pv_fail(v, ledger[0] || keyring[0] ? PV_ERR_IO : PV_ERR_STORE, "%s", msg);
}

/* Once the store has committed, the customers are gone whatever follows. The old keys
 * are overwritten in the keyring, the write-ahead log checkpointed and the ledger lines
 * appended, each tried even when one before failed (the caller keeps the certificate
 * either way). */
static pv_rc after_commit(struct shred_run *r, size_t n)
{
	pv_vault *v = r->v;
	char keyring[512] = "", wal[600] = "", ledger[300] = "";
	if (pv_keyring_apply(v->keyring, keyring, sizeof keyring) != 0 && !keyring[0])
		snprintf(keyring, sizeof keyring, "its slots could not be overwritten");
	else if (!keyring[0] && pv_node_acknowledge(v, r->jlast) != PV_OK)
		snprintf(keyring, sizeof keyring, "%.400s", v->errmsg);
	if (pv_store_checkpoint(v->store) != 0)
		snprintf(wal, sizeof wal, "%s", pv_store_errmsg(v->store));
	if (pv_ledger_flush(v, ledger, sizeof ledger) != 0 && !ledger[0])
		snprintf(ledger, sizeof ledger, "unknown failure");
	return keyring[0] || wal[0] || ledger[0] ? report_after_commit(r, n, keyring, wal, ledger)
						 : PV_OK;
}

pv_rc pv_shred(pv_vault *v, const pv_access *who, const char *const *ids, size_t n,
	       char **cert_out)
{
	*cert_out = NULL;
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_SHRED, &role);
	if (rc)
		return pv_audit_failure(v, rc, "shred", NULL, NULL);
	struct pv_params p; /* what is approved: exactly these customers */
	pv_params_init(&p);
	pv_params_add_ids(&p, "customers", ids, n);
	rc = pv_shred_run(v, ids, n, "shred", &p, NULL, cert_out);
	pv_params_free(&p);
	return rc;
}

/* The ids, comma-separated, for the audit entry (up to about 8 KiB of them; malloc'd, or
 * NULL when out of memory before the first). */
static char *ids_joined(const char *const *ids, size_t n)
{
	char *ids_text = NULL;
	for (size_t i = 0; i < n; i++)
		if (!ids_text || strlen(ids_text) < 8192) {
			size_t old = ids_text ? strlen(ids_text) : 0, add = strlen(ids[i]) + 2;
			char *t = realloc(ids_text, old + add);
			if (!t)
				break;
			snprintf(t + old, add, "%s%s", old ? "," : "", ids[i]);
			ids_text = t;
		}
	return ids_text;
}

static void shred_run_free(struct shred_run *r)
{
	pv_secret_free(r->new_keys);
	free(r->new_gens);
	free(r->jsealed);
	free(r->buckets);
	free(r->position);
	pv_wipe(&r->material, sizeof r->material);
	pv_ledger_intent_free(r->ledger);
}

/* The shred inside its write transaction, up to its audit entry: the approval used up,
 * holds checked, the customers removed, their buckets re-keyed, the certificate (into
 * *cert, malloc'd) and the ledger lines staged, the keyring's journal written. */
static pv_rc shred_in_txn(struct shred_run *r, const char *const *ids, size_t n,
			  const char *approval_op, const struct pv_params *approval_params,
			  const char *grounds, const char *when, const char *ids_text, char **cert)
{
	pv_vault *v = r->v;
	uint8_t cert_hash[32];
	pv_rc rc = pv_vault_fresh_keys(v);
	if (!rc && approval_op)
		rc = pv_approval_consume(v, approval_op, approval_params);
	for (size_t i = 0; !rc && i < n; i++) /* held or sealed customers are never shredded */
		if (!(rc = pv_hold_check(v, ids[i])))
			rc = pv_seal_forbids_erasure(v, ids[i]);
	if (!rc && pv_store_doomed_begin(v->store) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	for (size_t i = 0; !rc && i < n; i++)
		rc = shred_one(r, ids[i]);
	/* new keys for their buckets; then their rows and blind-index entries go and the
	 * buckets' other data keys are re-wrapped, in one pass over each table */
	if (!rc)
		rc = rekey_buckets(r);
	if (!rc)
		rc = journal_entries(r, when);
	if (!rc && !(*cert = certificate(r, ids, n, when, grounds, cert_hash)))
		rc = pv_fail(v, PV_ERR_NOMEM, "cannot make the certificate");
	if (!rc)
		rc = ledger_stage(r, ids, n, when, *cert, cert_hash);
	char err[512];
	if (!rc && pv_keyring_journal(v->keyring, err, sizeof err) != 0)
		rc = pv_fail(v, PV_ERR_IO, "%s", err);
	if (!rc) {
		char h[65], detail[160];
		pv_hex(h, cert_hash, sizeof cert_hash);
		snprintf(detail, sizeof detail, "%zu customer%s, %zu bucket%s re-keyed, certificate %s",
			 n, n == 1 ? "" : "s", r->nbuckets, r->nbuckets == 1 ? "" : "s", h);
		struct pv_audit_event e = { "shred", ids_text, NULL, NULL, "ok", detail };
		rc = pv_audit_append(v, &e);
	}
	return rc;
}

pv_rc pv_shred_run(pv_vault *v, const char *const *ids, size_t n, const char *approval_op,
		   const struct pv_params *approval_params, const char *grounds,
		   char **cert_out)
{
	*cert_out = NULL;
	pv_rc rc = PV_OK;
	if (n == 0 || n > MAX_SHRED)
		return pv_fail(v, PV_ERR_USAGE, "shred takes 1 to %d customer ids", MAX_SHRED);
	for (size_t i = 0; i < n; i++)
		if (!pv_customer_id_ok(ids[i]))
			return pv_fail(v, PV_ERR_USAGE, "not a customer id: give ids as at import");
	struct shred_run r = { .v = v, .ledger = pv_ledger_intent_new("shred") };
	if (!r.ledger)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	crypto_generichash_init(&r.material, NULL, 0, 32);
	crypto_generichash_update(&r.material, (const uint8_t *)"pivault destroyed key material v1",
				  33);
	char when[32];
	pv_time_now(when, sizeof when);
	char *ids_text = ids_joined(ids, n);
	/* The keyring is overwritten right after the commit: that must be the real commit,
	 * not a step of a caller's batch that could still be thrown away. */
	if (pv_store_txn_id(v->store) != 0)
		rc = pv_fail(v, PV_ERR_USAGE, "shred cannot run inside a batch (end it first)");
	/* keys cannot change under an import: wait for one under way, as for any writer */
	if (!rc && (rc = pv_import_lock(v)) == PV_OK && pv_store_begin(v->store) != 0) {
		pv_import_unlock(v);
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	}
	if (rc) {
		free(ids_text);
		shred_run_free(&r);
		return rc;
	}
	char *cert = NULL;
	rc = shred_in_txn(&r, ids, n, approval_op, approval_params, grounds, when, ids_text, &cert);
	if (!rc && pv_store_commit(v->store) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (rc) {
		(void)pv_store_rollback(v->store);
		pv_keyring_discard(v->keyring);
		char msg[sizeof v->errmsg];
		snprintf(msg, sizeof msg, "%s", v->errmsg);
		free(cert);
		cert = NULL;
		pv_fail(v, rc, "%s", msg);
		rc = pv_audit_failure(v, rc, "shred", ids_text, NULL);
	} else {
		rc = after_commit(&r, n);
		if (rc)
			rc = pv_audit_incomplete(v, rc, "shred", ids_text);
	}
	pv_import_unlock(v);
	free(ids_text);
	shred_run_free(&r);
	*cert_out = cert; /* NULL unless the shred committed: kept whatever failed after */
	return rc ? rc : pv_ok(v);
}

/* What a certificate's keyring_nodes part said at issue, for its summary ("" for a
 * certificate made before nodes were recorded): the nodes, how many had acknowledged,
 * the retired ones. */
static void nodes_summary(const json_t *part, char *out, size_t len)
{
	const json_t *nodes = json_object_get(part, "nodes");
	out[0] = '\0';
	if (!json_is_array(nodes))
		return;
	size_t acked = 0, n = json_array_size(nodes);
	for (size_t i = 0; i < n; i++)
		acked += json_is_true(json_object_get(json_array_get(nodes, i), "acknowledged"));
	size_t retired = json_array_size(json_object_get(part, "retired_nodes"));
	snprintf(out, len, "; at issue %zu keyring node%s, %zu acknowledged (%s), %zu retired", n,
		 n == 1 ? "" : "s", acked, acked == n ? "complete" : "not complete: pivault "
		 "doctor names the nodes that lag", retired);
}

static pv_rc certificate_verify(const char *text, const char *public_key_hex, char *why,
				 size_t whylen)
{
	json_error_t jerr;
	json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	json_t *cert = doc ? json_object_get(doc, "certificate") : NULL;
	const char *sigh = doc ? json_string_value(json_object_get(doc, "signature")) : NULL;
	const char *type = cert ? json_string_value(json_object_get(cert, "type")) : NULL;
	char fp[PV_FINGERPRINT_SIZE];
	pv_rc rc = PV_OK;
	if (!cert || !json_is_object(cert) || !sigh || !type || strcmp(type, CERT_TYPE) != 0 ||
	    json_object_size(doc) != 2) {
		snprintf(why, whylen, "not a pivault destruction certificate");
		rc = PV_ERR_INPUT;
	} else if ((rc = pv_signed_json_pinned(doc, "certificate", "signed_by", public_key_hex,
					       "the certificate", fp, why, whylen)) == PV_OK) {
		char nodes[300];
		nodes_summary(json_object_get(cert, "keyring_nodes"), nodes, sizeof nodes);
		snprintf(why, whylen, "valid: %lld customer(s) destroyed at %s, signed by the "
			 "expected vault key %s%s",
			 (long long)json_integer_value(json_object_get(cert, "count")),
			 pv_json_text(cert, "time"), fp, nodes);
	}
	json_decref(doc);
	return rc;
}

pv_rc pv_certificate_verify(const char *text, const char *public_key_hex, char **summary)
{
	char why[512];
	return pv_lone_outcome(certificate_verify(text, public_key_hex, why, sizeof why), why,
			       summary);
}
