/* SPDX-License-Identifier: Apache-2.0 */
/* rekey.c: key rotation. A bucket rekey gives every keyring slot a new random key and
 * re-wraps every customer's data key under its bucket's new key (no field ciphertext is
 * touched); a data rekey gives every customer a new data key and re-seals its field
 * groups under it. Both run in batches, each one transaction that records how far the
 * rekey got (store metadata "rekey_progress") and, for buckets, commits with its keyring
 * slots in the order shred.c keeps: stage, journal, commit, overwrite in place. An
 * interrupted rekey leaves every customer readable, and the next one goes on from the
 * progress record. */
#include "audit.h"
#include "dates.h"
#include "import.h"
#include "keyring_sync.h"
#include "ledger.h"
#include "policy.h"
#include "record.h"
#include "test_hooks.h"
#include "validate.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROGRESS_KEY "rekey_progress"
/* A bucket batch rewrites rows all over the table (buckets are keyed hashes), so each
 * batch costs about one pass over the file: few large batches. At least 4 of them (a
 * 1024-slot keyring goes in 256-slot batches), more when a batch would re-wrap more than
 * about BUCKET_BATCH_CUSTOMERS data keys (each batch's ledger lines commit with it). */
#define BATCHES_MIN 4u
#define BUCKET_BATCH_CUSTOMERS 250000u
/* A data batch goes in id order, so its rows sit together: small batches cost little.
 * DATA_BATCH customers per batch, or fewer so that there are at least BATCHES_MIN (a
 * 300-customer vault goes in batches of 75), but not below DATA_BATCH_MIN. */
#define DATA_BATCH 10000u
#define DATA_BATCH_MIN 16u
#define ID_MAX 64
#define WDEK_BYTES (PV_KEY_BYTES + PV_SEAL_OVERHEAD)

/* The progress record, as stored between batches. */
struct progress {
	int present;
	char started[32];
	uint32_t next_slot;    /* buckets: first slot not yet re-keyed */
	char after[ID_MAX + 1]; /* data: the last customer re-encrypted ("" none yet) */
	uint64_t done;         /* customers done since the rekey started */
};

struct rekey {
	pv_vault *v;
	int data;
	struct progress p;
	int resumed;
	uint64_t total;        /* customers in the vault, for progress reports */
	uint64_t customers;    /* customers done by this call */
	uint64_t buckets;      /* slots re-keyed by this call */
	uint32_t slots, batch_slots, batch_customers_max; /* bucket, data batch sizes */
	unsigned batches, stop_after;
	/* the batch in hand */
	uint32_t lo, hi;
	uint8_t *new_keys;     /* guarded: batch_slots * PV_KEY_BYTES */
	uint32_t *new_gens;
	uint64_t batch_customers;
	struct pv_ledger_intent *ledger; /* the batch's rewrap lines */
	uint64_t jlast;        /* the batch's marker in the keyring journal (0: none) */
	pv_rc rc;
};

static double now_seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static pv_rc store_fail(pv_vault *v)
{
	return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
}

/* Slots per bucket batch for a keyring of `slots` (a power of two from 16). */
static uint32_t bucket_batch_slots(uint32_t slots, uint64_t customers)
{
	uint64_t want = (customers + BUCKET_BATCH_CUSTOMERS - 1) / BUCKET_BATCH_CUSTOMERS;
	uint32_t n = BATCHES_MIN;
	while (n < want && n < slots / 16)
		n *= 2;
	return slots / n;
}

/* Customers per data batch. */
static uint32_t data_batch_size(uint64_t customers)
{
	uint64_t n = (customers + BATCHES_MIN - 1) / BATCHES_MIN;
	return n > DATA_BATCH ? DATA_BATCH : n < DATA_BATCH_MIN ? DATA_BATCH_MIN : (uint32_t)n;
}

/* ---- The progress record ---- */

static pv_rc progress_read(struct rekey *r, struct progress *p)
{
	pv_vault *v = r->v;
	uint8_t *val = NULL;
	size_t len = 0;
	memset(p, 0, sizeof *p);
	int st = pv_store_meta_get(v->store, PROGRESS_KEY, &val, &len);
	if (st < 0)
		return store_fail(v);
	if (st > 0)
		return PV_OK;
	json_t *o = json_loadb((const char *)val, len, 0, NULL);
	free(val);
	const char *kind = json_string_value(json_object_get(o, "kind"));
	const char *started = json_string_value(json_object_get(o, "started"));
	const char *after = json_string_value(json_object_get(o, "after"));
	json_int_t next = json_integer_value(json_object_get(o, "next_slot"));
	json_int_t slots = json_integer_value(json_object_get(o, "slots"));
	json_int_t done = json_integer_value(json_object_get(o, "done"));
	pv_rc rc = PV_OK;
	if (!kind || !started || done < 0 || (strcmp(kind, "buckets") != 0 && strcmp(kind, "data") != 0))
		rc = pv_fail(v, PV_ERR_CORRUPT, "the rekey progress record is malformed");
	else if (strcmp(kind, r->data ? "data" : "buckets") != 0)
		rc = pv_fail(v, PV_ERR_USAGE, "an interrupted %s rekey is pending: finish it first "
			     "(pivault rekey%s)", kind, r->data ? "" : " --data");
	else if (!r->data && (slots != (json_int_t)r->slots || next < 0 || next >= slots))
		rc = pv_fail(v, PV_ERR_CORRUPT, "the rekey progress record does not fit the keyring");
	else if (r->data && (!after || (*after && !pv_customer_id_ok(after))))
		rc = pv_fail(v, PV_ERR_CORRUPT, "the rekey progress record is malformed");
	if (!rc) {
		p->present = 1;
		snprintf(p->started, sizeof p->started, "%s", started);
		snprintf(p->after, sizeof p->after, "%s", after ? after : "");
		p->next_slot = (uint32_t)next;
		p->done = (uint64_t)done;
	}
	json_decref(o);
	return rc;
}

/* At the first batch, take up the record (resumed) or start afresh; at the next ones, the
 * record must be as the last batch left it (no other rekey ran in between). */
static pv_rc progress_sync(struct rekey *r)
{
	struct progress p;
	pv_rc rc = progress_read(r, &p);
	if (rc)
		return rc;
	if (r->batches == 0) {
		r->resumed = p.present;
		if (!p.present)
			pv_time_now(p.started, sizeof p.started);
		r->p = p;
		return PV_OK;
	}
	if (!p.present || p.next_slot != r->p.next_slot || strcmp(p.after, r->p.after) != 0)
		return pv_fail(r->v, PV_ERR_USAGE, "another rekey of this vault ran at the same time");
	return PV_OK;
}

/* Store the record as this batch leaves it, or remove it after the last batch. */
static pv_rc progress_save(struct rekey *r, int last)
{
	pv_vault *v = r->v;
	if (last)
		return pv_store_meta_delete(v->store, PROGRESS_KEY) ? store_fail(v) : PV_OK;
	json_t *o = r->data
		? json_pack("{s:s, s:s, s:s, s:I}", "kind", "data", "started", r->p.started,
			    "after", r->p.after, "done", (json_int_t)r->p.done)
		: json_pack("{s:s, s:s, s:I, s:I, s:I}", "kind", "buckets", "started",
			    r->p.started, "next_slot", (json_int_t)r->p.next_slot, "slots",
			    (json_int_t)r->slots, "done", (json_int_t)r->p.done);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!text)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	int st = pv_store_meta_put(v->store, PROGRESS_KEY, text, strlen(text));
	free(text);
	return st ? store_fail(v) : PV_OK;
}

/* ---- Bucket rekey: new slot keys, data keys re-wrapped ---- */

/* Add a rewrap line (as shred.c writes them) to the batch's ledger lines. */
static int ledger_add(struct rekey *r, const char *id, uint32_t bucket, uint32_t gen,
		      uint32_t dek_version, const uint8_t wdek[WDEK_BYTES])
{
	char hex[2 * WDEK_BYTES + 1], line[2 * WDEK_BYTES + ID_MAX + 96];
	pv_hex(hex, wdek, WDEK_BYTES);
	int n = snprintf(line, sizeof line, "{\"rewrap\":\"%s\",\"bucket\":%u,\"gen\":%u,"
			 "\"dek\":%u,\"wdek\":\"%s\"}", id, (unsigned)bucket, (unsigned)gen,
			 (unsigned)dek_version, hex);
	if (n < 0 || (size_t)n >= sizeof line)
		return -1;
	return pv_ledger_intent_add(r->ledger, line, (size_t)n);
}

/* Re-wrap one customer of the batch's buckets under its bucket's new key. */
static int rewrap_one(void *ctx, const struct pv_stored_customer *c)
{
	struct rekey *r = ctx;
	pv_vault *v = r->v;
	uint32_t i = c->bucket - r->lo;
	uint8_t wdek[WDEK_BYTES];
	r->rc = pv_rewrap_dek(v, c, r->new_keys + (size_t)i * PV_KEY_BYTES, r->new_gens[i], wdek);
	if (r->rc)
		return -1;
	if (ledger_add(r, c->id, c->bucket, r->new_gens[i], c->dek_version, wdek) != 0) {
		r->rc = pv_fail(v, PV_ERR_NOMEM, "out of memory");
		return -1;
	}
	if (pv_store_customer_set_wdek(v->store, c->rid, r->new_gens[i], wdek, sizeof wdek)) {
		r->rc = store_fail(v);
		return -1;
	}
	r->batch_customers++;
	uint64_t done = r->p.done + r->batch_customers;
	pv_progress(v, "rekey", done < r->total ? done : r->total, r->total);
	return 0;
}

/* The batch's marker in the keyring journal: its first slot's new generation, with no key.
 * A rekey's new keys are never journalled: sealed under the old keys, they would let any
 * copy of the keyring from before the rekey open the data again, which a rekey exists to
 * prevent. Another node meets the marker and refuses to open until it is given this
 * node's keyring (keyring_sync.c); a node that has it already passes it. */
static pv_rc journal_marker(struct rekey *r)
{
	static const uint8_t none[1];
	char when[32];
	pv_time_now(when, sizeof when);
	if (pv_store_kjournal_add(r->v->store, r->lo, r->new_gens[0], none, 0, when, "rekey",
				  &r->jlast) != 0)
		return store_fail(r->v);
	return PV_OK;
}

/* Stage new keys for slots [lo, hi) and re-wrap the data keys of their customers. */
static pv_rc bucket_batch(struct rekey *r, int *last)
{
	pv_vault *v = r->v;
	r->lo = r->p.next_slot;
	r->hi = r->slots - r->lo > r->batch_slots ? r->lo + r->batch_slots : r->slots;
	for (uint32_t s = r->lo; s < r->hi; s++) {
		uint8_t *key = r->new_keys + (size_t)(s - r->lo) * PV_KEY_BYTES;
		pv_random(key, PV_KEY_BYTES);
		if (pv_keyring_stage(v->keyring, s, key, &r->new_gens[s - r->lo]) != 0)
			return pv_fail(v, PV_ERR_BAD_KEY, "cannot stage a new key for slot %u",
				       (unsigned)s);
	}
	if ((r->rc = journal_marker(r)) != PV_OK)
		return r->rc;
	int st = pv_store_customer_scan_bucket_range(v->store, r->lo, r->hi, rewrap_one, r);
	if (st < 0 && !r->rc)
		r->rc = store_fail(v);
	if (r->rc)
		return r->rc;
	r->p.next_slot = r->hi;
	*last = r->hi == r->slots;
	return PV_OK;
}

/* ---- Data rekey: new data keys, field groups re-sealed ---- */

/* A new random data key for c, wrapped by its bucket's current key into out. */
static pv_rc wrap_new_dek(pv_vault *v, const struct pv_stored_customer *c,
			  uint8_t out[WDEK_BYTES])
{
	uint32_t gen;
	size_t idlen = strlen(c->id);
	const uint8_t *bkey = pv_keyring_key(v->keyring, c->bucket, &gen);
	if (!bkey)
		return pv_fail(v, PV_ERR_BAD_KEY, "customer %s: keyring slot %u fails "
			       "authentication", c->id, (unsigned)c->bucket);
	if (gen != c->bucket_gen || idlen > ID_MAX)
		return pv_fail(v, PV_ERR_CORRUPT, "customer %s: data key record does not match "
			       "its bucket key", c->id);
	uint8_t dek[PV_KEY_BYTES];
	pv_random(dek, sizeof dek);
	pv_wrap_dek(v, c->id, c->bucket, gen, c->dek_version + 1, dek, bkey, out);
	pv_wipe(dek, sizeof dek);
	return PV_OK;
}

/* Open c, give it a new data key (version + 1) and re-seal its groups under it. The
 * blind-index entries stay: their keys are derived from the root, not the data key. */
static pv_rc reseal_customer(pv_vault *v, const struct pv_stored_customer *c,
			     uint8_t wdek[WDEK_BYTES], uint8_t *sealed[PV_GROUPS],
			     size_t len[PV_GROUPS])
{
	if (c->dek_version == UINT32_MAX)
		return pv_fail(v, PV_ERR_CORRUPT, "customer %s: data key version exhausted", c->id);
	char **values = NULL;
	pv_rc rc = pv_open_customer(v, c, &values);
	if (rc)
		return rc;
	struct pv_stored_customer fresh = *c; /* the customer under its new data key */
	rc = wrap_new_dek(v, c, wdek);
	fresh.wdek = wdek;
	fresh.wdek_len = WDEK_BYTES;
	fresh.dek_version = c->dek_version + 1;
	for (int g = 0; !rc && g < PV_GROUPS; g++)
		rc = pv_reseal_group(v, &fresh, values, g, &sealed[g], &len[g]);
	pv_values_wipe_free(values, v->schema->nfields);
	return rc;
}

static int reseal_one(void *ctx, const struct pv_stored_customer *c)
{
	struct rekey *r = ctx;
	pv_vault *v = r->v;
	uint8_t wdek[WDEK_BYTES], *sealed[PV_GROUPS] = { NULL };
	size_t len[PV_GROUPS] = { 0 };
	r->rc = reseal_customer(v, c, wdek, sealed, len);
	if (!r->rc) {
		snprintf(r->p.after, sizeof r->p.after, "%s", c->id); /* c is borrowed: copy first */
		if (pv_store_customer_set_sealed(v->store, c->rid, c->dek_version + 1, wdek,
						 sizeof wdek, (const uint8_t *const *)sealed, len))
			r->rc = store_fail(v);
	}
	for (int g = 0; g < PV_GROUPS; g++)
		free(sealed[g]);
	if (r->rc)
		return -1;
	r->batch_customers++;
	uint64_t done = r->p.done + r->batch_customers;
	pv_progress(v, "rekey", done < r->total ? done : r->total, r->total);
	return 0;
}

/* Re-encrypt the next batch of customers after the last one done, in id order. */
static pv_rc data_batch(struct rekey *r, int *last)
{
	pv_vault *v = r->v;
	r->rc = PV_OK;
	int st = pv_store_customer_scan(v->store, r->p.after[0] ? r->p.after : NULL,
					r->batch_customers_max, reseal_one, r);
	if (st < 0 && !r->rc)
		r->rc = store_fail(v);
	*last = r->batch_customers < r->batch_customers_max;
	return r->rc;
}

/* ---- Batches ---- */

/* The audit entries of a batch (and, after the last one, of the whole rekey). */
static pv_rc audit_batch(struct rekey *r, int last)
{
	char detail[256];
	if (r->data)
		snprintf(detail, sizeof detail, "data rekey batch: %llu customers re-encrypted under "
			 "new data keys (%llu so far)", (unsigned long long)r->batch_customers,
			 (unsigned long long)r->p.done);
	else
		snprintf(detail, sizeof detail, "bucket rekey batch: slots %u-%u of %u re-keyed, %llu "
			 "data keys re-wrapped", (unsigned)r->lo, (unsigned)r->hi - 1,
			 (unsigned)r->slots, (unsigned long long)r->batch_customers);
	struct pv_audit_event e = { "rekey", "*", NULL, NULL, "ok", detail };
	pv_rc rc = pv_audit_append(r->v, &e);
	if (rc || !last)
		return rc;
	if (r->data)
		snprintf(detail, sizeof detail, "data rekey done: %llu customers re-encrypted under "
			 "new data keys since %s%s", (unsigned long long)r->p.done, r->p.started,
			 r->resumed ? " (resumed)" : "");
	else
		snprintf(detail, sizeof detail, "bucket rekey done: %u bucket keys replaced, %llu "
			 "data keys re-wrapped since %s%s", (unsigned)r->slots,
			 (unsigned long long)r->p.done, r->p.started, r->resumed ? " (resumed)" : "");
	return pv_audit_append(r->v, &e);
}

/* The batch's work, progress, keyring journal and audit entries, inside the transaction. */
static pv_rc batch_work(struct rekey *r, int *last)
{
	pv_vault *v = r->v;
	char err[512];
	/* every bucket key read afresh (another process may have replaced some); a data
	 * rekey does it once, as a slot replaced later is read again where it is used */
	pv_rc rc = r->batches == 0 || !r->data ? pv_vault_fresh_keys(v) : PV_OK;
	if (!rc)
		rc = progress_sync(r);
	r->batch_customers = 0;
	if (!rc && !r->data) {
		pv_ledger_intent_free(r->ledger);
		if (!(r->ledger = pv_ledger_intent_new("rekey")))
			rc = pv_fail(v, PV_ERR_NOMEM, "out of memory");
	}
	if (!rc)
		rc = r->data ? data_batch(r, last) : bucket_batch(r, last);
	r->p.done += r->batch_customers;
	if (!rc)
		rc = progress_save(r, *last);
	if (!rc && !r->data) { /* the rewrap lines commit with the batch */
		char when[32];
		pv_time_now(when, sizeof when);
		rc = pv_ledger_intent_stage(v, r->ledger, when, NULL, NULL);
	}
	if (!rc && !r->data && pv_keyring_journal(v->keyring, err, sizeof err) != 0)
		rc = pv_fail(v, PV_ERR_IO, "%s", err);
	if (!rc)
		rc = audit_batch(r, *last);
	return rc;
}

/* One batch: its transaction, then (committed) the keyring slots overwritten in place,
 * the write-ahead log checkpointed (no old wrapped key or ciphertext left in it) and the
 * rewrap lines appended to the ledger. */
static pv_rc batch_locked(struct rekey *r, int *last)
{
	pv_vault *v = r->v;
	char err[512];
	*last = 0;
	if (pv_store_begin(v->store) != 0)
		return store_fail(v);
	pv_rc rc = batch_work(r, last);
	if (!rc && pv_store_commit(v->store) != 0)
		rc = store_fail(v);
	if (rc) {
		(void)pv_store_rollback(v->store);
		pv_keyring_discard(v->keyring);
		v->audit_tail.valid = 0;
		return pv_audit_failure(v, rc, "rekey", "*", NULL);
	}
	r->batches++;
	r->customers += r->batch_customers;
	r->buckets += r->data ? 0 : r->hi - r->lo;
	/* after the commit, each failure is logged as such: the batch stays done */
	if (!r->data && pv_keyring_apply(v->keyring, err, sizeof err) != 0)
		return pv_audit_incomplete(v, pv_fail(v, PV_ERR_IO, "rekey batch committed, but "
						      "%s (the journal finishes it at the next "
						      "open)", err), "rekey", "*");
	if (!r->data && pv_node_acknowledge(v, r->jlast) != PV_OK)
		return pv_audit_incomplete(v, PV_ERR_STORE, "rekey", "*");
	if (pv_store_checkpoint(v->store) != 0)
		return pv_audit_incomplete(v, pv_fail(v, PV_ERR_STORE, "rekey batch committed, "
						      "but the write-ahead log could not be "
						      "checkpointed: %s", pv_store_errmsg(v->store)),
					   "rekey", "*");
	if (!r->data && pv_ledger_flush(v, err, sizeof err) != 0)
		return pv_audit_incomplete(v, pv_fail(v, PV_ERR_IO, "rekey batch committed, but "
						      "its lines could not be added to the shred "
						      "ledger (%s); they are kept in the vault and "
						      "added at its next open", err), "rekey", "*");
	return PV_OK;
}

/* A batch once no import is under way (keys cannot change under one: wait for it, as for
 * any writer), holding the import lock until the batch's keys are in place. */
static pv_rc run_batch(struct rekey *r, int *last)
{
	*last = 0;
	pv_rc rc = pv_import_lock(r->v);
	if (!rc)
		rc = batch_locked(r, last);
	pv_import_unlock(r->v);
	return rc;
}

/* Batches until the last, or until the test hook stops it. */
static pv_rc run_all(struct rekey *r)
{
	for (;;) {
		int last;
		pv_rc rc = run_batch(r, &last);
		if (rc || last)
			return rc;
		if (r->stop_after && r->batches == r->stop_after)
			return pv_fail(r->v, PV_ERR_IO, "interrupted (test) after %u batch%s", r->batches,
				       r->batches == 1 ? "" : "es");
	}
}

/* Ledger lines for a data rekey: none. A backup made before it holds each customer's old
 * data key and the ciphertext sealed under that key, which agree with each other and with
 * the bucket key (unchanged by a data rekey, so the live keyring still opens them); a line
 * giving such a row its new data key would pair that key with ciphertext it never sealed. */
pv_rc pv_rekey(pv_vault *v, const pv_access *who, pv_rekey_kind kind, pv_rekey_result *out)
{
	double t0 = now_seconds();
	memset(out, 0, sizeof *out);
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_REKEY, &role);
	if (rc)
		return pv_audit_failure(v, rc, "rekey", "*", NULL);
	(void)role;
	/* the keyring is overwritten after each commit: those must be real commits */
	if (pv_store_txn_id(v->store) != 0)
		return pv_fail(v, PV_ERR_USAGE, "rekey cannot run inside a batch (end it first)");
	struct rekey r = { .v = v, .data = kind == PV_REKEY_DATA };
	if (pv_test_hooks.rekey_stop_vault == v) {
		r.stop_after = pv_test_hooks.rekey_stop_batches;
		pv_test_hooks.rekey_stop_vault = NULL;
	}
	if (pv_store_customer_count(v->store, &r.total) != 0)
		return store_fail(v);
	r.slots = pv_keyring_slots(v->keyring);
	r.batch_slots = bucket_batch_slots(r.slots, r.total);
	r.batch_customers_max = data_batch_size(r.total);
	if (!r.data) {
		r.new_keys = pv_secret_alloc((size_t)r.batch_slots * PV_KEY_BYTES);
		r.new_gens = calloc(r.batch_slots, sizeof *r.new_gens);
	}
	if (!r.data && (!r.new_keys || !r.new_gens))
		rc = pv_fail(v, PV_ERR_NOMEM, "out of memory");
	else
		rc = run_all(&r);
	pv_secret_free(r.new_keys);
	free(r.new_gens);
	pv_ledger_intent_free(r.ledger);
	out->buckets = r.buckets;
	out->customers = r.customers;
	out->resumed = r.resumed;
	out->seconds = now_seconds() - t0;
	return rc ? rc : pv_ok(v);
}
