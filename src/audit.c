/* SPDX-License-Identifier: Apache-2.0 */
/* audit.c: the audit log. Each entry has canonical bytes; its chain hash is BLAKE2b-256
 * of 0x00, the previous chain hash and those bytes, and is also its leaf in a Merkle tree
 * (RFC 6962's, over BLAKE2b-256), so one entry can be proven in the log and the log proven
 * to have only grown. Checkpoints sign (size, chain head, Merkle root) with the vault's
 * Ed25519 key. Verification runs in two threads when the log is long. */
#include "audit.h"
#include "audit_writer.h"
#include "validate.h"
#include "formats/merkle.h"
#include "pinned_key.h"
#include "policy.h"
#include "test_hooks.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHECKPOINT_MAGIC "pivault-audit-checkpoint v1"
#define SIGNED_CONTEXT "pivault audit checkpoint v1"

/* ---------------------------------------------------------- canonical bytes ---- */

static void put_u32(uint8_t *p, uint32_t x)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(x >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t x)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(x >> (8 * i));
}

/* Unsigned LEB128: seven bits a byte, low bits first, the top bit set on all but the
 * last. varint_size says how many bytes x takes; varint_put writes them, returns that. */
static size_t varint_size(uint64_t x)
{
	size_t n = 1;
	while (x >= 0x80) {
		x >>= 7;
		n++;
	}
	return n;
}

static size_t varint_put(uint8_t *p, uint64_t x)
{
	size_t n = 0;
	while (x >= 0x80) {
		p[n++] = (uint8_t)(x | 0x80);
		x >>= 7;
	}
	p[n++] = (uint8_t)x;
	return n;
}

/* The entry's canonical bytes: "PVA2", seq as a varint, then each text field as its
 * length (a varint) and bytes, in a fixed order. canonical_size measures each field once
 * (into len) (or takes the lengths the row carries) and says how many bytes;
 * canonical_write writes them. A text is hashed up to its length: one read back with a
 * NUL inside is hashed whole, so it does not match what was appended. */
#define FIELDS(e) { (e)->at, (e)->user, (e)->op, (e)->ids, (e)->purpose, (e)->request, \
		    (e)->outcome, (e)->detail }
#define NFIELDS 8
#define CANONICAL_MAGIC "PVA2"

static size_t canonical_size(const struct pv_audit_row *e, size_t len[NFIELDS])
{
	const char *f[] = FIELDS(e);
	size_t n = 4 + varint_size(e->seq);
	for (int i = 0; i < NFIELDS; i++) {
		len[i] = e->has_len ? e->len[i] : f[i] ? strlen(f[i]) : 0;
		n += varint_size(len[i]) + len[i];
	}
	return n;
}

static void canonical_write(const struct pv_audit_row *e, const size_t len[NFIELDS], uint8_t *p)
{
	const char *f[] = FIELDS(e);
	memcpy(p, CANONICAL_MAGIC, 4);
	p += 4;
	p += varint_put(p, e->seq);
	for (int i = 0; i < NFIELDS; i++) {
		p += varint_put(p, len[i]);
		if (len[i])
			memcpy(p, f[i], len[i]);
		p += len[i];
	}
}

/* The audit log's Merkle tree: RFC 6962's over BLAKE2b-256. */
#define TREE_HASH PV_MERKLE_BLAKE2B

/* An entry's chain hash, which is also its Merkle leaf hash: BLAKE2b-256(0x00 | prev |
 * canonical bytes), where prev is its predecessor's chain hash (zeros before the first):
 * RFC 6962's leaf hash of the leaf data prev | canonical bytes. One BLAKE2b block for an
 * entry of up to 95 canonical bytes. 0, or -1 when out of memory (an entry over 1 KiB). */
static int entry_hash(const struct pv_audit_row *e, const uint8_t prev[PV_AUDIT_HASH],
		      uint8_t out[PV_AUDIT_HASH])
{
	uint8_t stack[1024], *b = stack;
	size_t len[NFIELDS], n = 1 + PV_AUDIT_HASH + canonical_size(e, len);
	if (n > sizeof stack && !(b = malloc(n)))
		return -1;
	b[0] = 0x00; /* RFC 6962's leaf prefix, framed with the bytes: hashed in one call */
	memcpy(b + 1, prev, PV_AUDIT_HASH);
	canonical_write(e, len, b + 1 + PV_AUDIT_HASH);
	pv_merkle_leaf_hash_framed(TREE_HASH, b, n, out);
	if (b != stack)
		free(b);
	return 0;
}

/* The bytes a checkpoint's signature covers. */
static size_t signed_bytes(uint8_t *out, const uint8_t vault_id[16], uint64_t size,
			   const char *at, const uint8_t head[32], const uint8_t root[32])
{
	size_t n = 0, al = strlen(at);
	memcpy(out, SIGNED_CONTEXT, sizeof SIGNED_CONTEXT);
	n += sizeof SIGNED_CONTEXT;
	memcpy(out + n, vault_id, 16);
	n += 16;
	put_u64(out + n, size);
	n += 8;
	memcpy(out + n, head, 32);
	n += 32;
	memcpy(out + n, root, 32);
	n += 32;
	put_u32(out + n, (uint32_t)al);
	n += 4;
	memcpy(out + n, at, al);
	return n + al;
}

#define SIGNED_AT_MAX 64 /* the longest time a checkpoint's signed bytes hold */
#define SIGNED_MAX (sizeof SIGNED_CONTEXT + 16 + 8 + 64 + 4 + SIGNED_AT_MAX)

/* The time now as YYYY-MM-DDTHH:MM:SS.mmmZ; the date part is formatted once a second. */
static void now_iso(char *buf, size_t n)
{
	static _Thread_local time_t cached_sec = -1;
	static _Thread_local char base[24];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != cached_sec) {
		struct tm tm;
		gmtime_r(&ts.tv_sec, &tm);
		strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
		cached_sec = ts.tv_sec;
	}
	int ms = (int)(ts.tv_nsec / 1000000) % 1000;
	if (n >= 25) {
		memcpy(buf, base, 19);
		buf[19] = '.';
		buf[20] = (char)('0' + ms / 100);
		buf[21] = (char)('0' + ms / 10 % 10);
		buf[22] = (char)('0' + ms % 10);
		buf[23] = 'Z';
		buf[24] = '\0';
	}
}

/* ------------------------------------------------------------------ state ---- */

static struct pv_audit_tail *tail_of(pv_vault *v)
{
	return &v->audit_tail;
}

/* ----------------------------------------------------------- checkpoints ---- */

struct root_ctx {
	struct pv_merkle_stream tree;
	uint8_t prev[PV_AUDIT_HASH];
	uint64_t upto;
	pv_vault *v;
	int bad;
};

static int push_leaf(void *p, const struct pv_audit_row *e)
{
	struct root_ctx *r = p;
	if (e->seq > r->upto)
		return 1;
	uint8_t chain[PV_AUDIT_HASH];
	if (entry_hash(e, r->prev, chain) != 0 || pv_merkle_stream_push(&r->tree, chain) != 0)
		return -1;
	memcpy(r->prev, chain, PV_AUDIT_HASH);
	return 0;
}

int pv_audit_checkpoint_signed(pv_vault *v, const struct pv_audit_checkpoint *c)
{
	if (!v->has_keys || strlen(c->at) > SIGNED_AT_MAX)
		return 0;
	uint8_t msg[SIGNED_MAX];
	size_t mlen = signed_bytes(msg, v->vault_id, c->size, c->at, c->head, c->root);
	return pv_sign_verify(c->signature, msg, mlen, v->keys->sign_public) == 0;
}

/* 1 if stored checkpoint c can be built on: its Merkle state loads, gives its root, and
 * (when the vault's keys are at hand) its signature verifies. tree receives the state. */
static int checkpoint_trusted(pv_vault *v, const struct pv_audit_checkpoint *c,
			      struct pv_merkle_stream *tree)
{
	uint8_t root[PV_AUDIT_HASH];
	if (pv_merkle_stream_load_with(tree, TREE_HASH, c->frontier, c->frontier_len) != 0 ||
	    tree->size != c->size || strlen(c->at) > SIGNED_AT_MAX)
		return 0;
	pv_merkle_stream_root(tree, root);
	if (memcmp(root, c->root, PV_AUDIT_HASH) != 0)
		return 0;
	if (!v->has_keys)
		return 1; /* no checkpoint is signed in such a session */
	return pv_audit_checkpoint_signed(v, c);
}

/* The Merkle tree state after `size` entries: from the latest stored checkpoint at or
 * below size that passes its checks, then the entries after it. */
static pv_rc tree_at(pv_vault *v, uint64_t size, struct root_ctx *r)
{
	struct pv_audit_checkpoint c;
	memset(r, 0, sizeof *r);
	pv_merkle_stream_init_with(&r->tree, TREE_HASH);
	r->upto = size;
	r->v = v;
	uint64_t from = 1;
	int got = pv_store_audit_checkpoint_last(v->store, size, &c);
	if (got < 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (got == 0 && checkpoint_trusted(v, &c, &r->tree)) {
		memcpy(r->prev, c.head, PV_AUDIT_HASH);
		from = c.size + 1;
	} else { /* none, or one that fails its checks: from the first entry */
		pv_merkle_stream_init_with(&r->tree, TREE_HASH);
	}
	if (from <= size && pv_store_audit_scan(v->store, from, push_leaf, r) < 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (r->tree.size != size)
		return pv_fail(v, PV_ERR_CORRUPT, "the audit log has fewer than %llu entries",
			       (unsigned long long)size);
	return PV_OK;
}

/* Bring the handle's view of the log's tail up to date: trusted inside the transaction
 * that last wrote it, else checked against the stored last entry, else rebuilt from the
 * latest checkpoint (at most PV_AUDIT_CHECKPOINT_EVERY entries to read). */
static pv_rc tail_load(pv_vault *v)
{
	struct pv_audit_tail *t = tail_of(v);
	uint64_t txn = pv_store_txn_id(v->store);
	if (t->valid && txn && t->txn == txn)
		return PV_OK;
	uint64_t seq;
	uint8_t head[PV_AUDIT_HASH];
	int got = pv_store_audit_last(v->store, &seq, head);
	if (got < 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (got == 1) {
		seq = 0;
		memset(head, 0, sizeof head);
	}
	pv_audit_writer *aw = v->audit_member.writer ? v->audit_member.writer : v->audit_writing;
	if (!(t->valid && t->seq == seq && memcmp(t->head, head, sizeof head) == 0) &&
	    !(aw && pv_audit_writer_tail_take(aw, seq, head, t))) {
		struct root_ctx r;
		t->valid = 0;
		pv_rc rc = tree_at(v, seq, &r);
		if (rc)
			return rc;
		t->tree = r.tree;
		t->seq = seq;
		memcpy(t->head, head, sizeof head);
		t->valid = 1;
		if (aw) /* committed as read: the others need not read it again */
			pv_audit_writer_tail_publish(aw, t);
	}
	t->txn = txn;
	return PV_OK;
}

/* The last sequence number and chain hash (zeros for an empty log). */
static int read_tail(pv_vault *v, uint64_t *seq, uint8_t head[PV_AUDIT_HASH])
{
	if (tail_load(v) != PV_OK)
		return -1;
	*seq = tail_of(v)->seq;
	memcpy(head, tail_of(v)->head, PV_AUDIT_HASH);
	return 0;
}

/* Sign and store a checkpoint at the log's current size. */
static pv_rc make_checkpoint(pv_vault *v, uint64_t size, const uint8_t head[PV_AUDIT_HASH],
			     char *at_out, size_t at_len)
{
	struct root_ctx r;
	struct pv_audit_tail *t = tail_of(v);
	if (t->valid && t->seq == size) { /* the running tree: no need to read the log */
		r.tree = t->tree;
	} else {
		pv_rc rc = tree_at(v, size, &r);
		if (rc)
			return rc;
	}
	uint8_t root[PV_AUDIT_HASH], frontier[PV_MERKLE_STATE_MAX], msg[SIGNED_MAX];
	uint8_t sig[PV_SIGNATURE];
	pv_merkle_stream_root(&r.tree, root);
	size_t flen = pv_merkle_stream_save(&r.tree, frontier);
	char at[40];
	now_iso(at, sizeof at);
	size_t mlen = signed_bytes(msg, v->vault_id, size, at, head, root);
	pv_sign(sig, msg, mlen, v->keys->sign_secret);
	struct pv_audit_checkpoint c = { size, at, head, root, frontier, flen, sig };
	if (pv_store_audit_checkpoint_put(v->store, &c) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (at_out)
		snprintf(at_out, at_len, "%s", at);
	return PV_OK;
}

/* ---------------------------------------------------------------- append ---- */

/* Append e, principal's entry, in v's open transaction. */
static pv_rc append_in_txn(pv_vault *v, const struct pv_audit_event *e, const char *principal)
{
	if (tail_load(v) != PV_OK)
		return PV_ERR_STORE;
	struct pv_audit_tail *t = tail_of(v);
	uint8_t hash[PV_AUDIT_HASH];
	char at[40];
	now_iso(at, sizeof at);
	struct pv_audit_row row = { t->seq + 1, at, principal, e->op, e->ids, e->purpose,
				    e->request, e->outcome, e->detail, hash, 0, { 0 } };
	canonical_size(&row, row.len); /* measured once, for the hash and the store */
	row.has_len = 1;
	if (entry_hash(&row, t->head, hash) != 0 || pv_store_audit_append(v->store, &row) != 0) {
		t->valid = 0;
		return PV_ERR_STORE;
	}
	if (pv_merkle_stream_push(&t->tree, hash) != 0) {
		t->valid = 0;
		return PV_ERR_STORE;
	}
	t->seq = row.seq;
	memcpy(t->head, hash, PV_AUDIT_HASH);
	if (v->has_keys && row.seq % PV_AUDIT_CHECKPOINT_EVERY == 0 &&
	    make_checkpoint(v, row.seq, hash, NULL, 0) != PV_OK)
		return PV_ERR_STORE;
	return PV_OK;
}

/* 1 if ids is "*" or customer ids separated by commas: what an entry may name. A value
 * typed where an id was expected (a phone, a name) is never written to the log. */
static int ids_ok(const char *ids)
{
	if (strcmp(ids, "*") == 0)
		return 1;
	for (const char *p = ids;;) {
		size_t n = strcspn(p, ",");
		if (!pv_customer_id_ok_len(p, n))
			return 0;
		if (!p[n])
			return 1;
		p += n + 1;
	}
}

/* Append e on v's store: in the open transaction, or (own) in one of its own. */
static pv_rc append_to_store(pv_vault *v, const struct pv_audit_event *e, int own)
{
	if (own && pv_store_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "the audit log cannot be written (%s); the "
			       "operation was not carried out", pv_store_errmsg(v->store));
	pv_rc rc = append_in_txn(v, e, v->principal);
	/* The tail is shared before its commit, so that no other handle of the process finds
	 * the log moved on without it: one that takes it checks it against the last stored
	 * entry it sees, which it cannot match unless this transaction committed. */
	if (rc == PV_OK && v->audit_member.writer)
		pv_audit_writer_tail_publish(v->audit_member.writer, tail_of(v));
	if (rc == PV_OK && own && pv_store_commit(v->store) != 0)
		rc = PV_ERR_STORE;
	if (rc) {
		char why[600];
		snprintf(why, sizeof why, "%s", pv_store_errmsg(v->store));
		if (own)
			(void)pv_store_rollback(v->store);
		tail_of(v)->valid = 0;
		return pv_fail(v, rc, "the audit log cannot be written (%s); the operation was not "
			       "carried out", why);
	}
	return PV_OK;
}

/* Queue e with the handle's audit writer (waiting for it to be durable unless in a
 * batch). */
static pv_rc append_through_writer(pv_vault *v, const struct pv_audit_event *e, int wait,
				   const struct pv_audit_rider *rider)
{
	char why[256];
	struct pv_audit_member *m = &v->audit_member;
	if ((rider ? pv_audit_member_queue_riding(m, e, v->principal, rider, why, sizeof why)
		   : pv_audit_member_queue(m, e, v->principal, wait, why, sizeof why)) != 0)
		return pv_fail(v, PV_ERR_STORE, "the audit log cannot be written (%s); the "
			       "operation was not carried out", why);
	return PV_OK;
}

/* A batch on a handle with an audit writer reads in one snapshot (its page cache and
 * mapping kept between lookups), taken again every SNAPSHOT_OPERATIONS entries so that it
 * does not hold the log's checkpoints back for long (the log grows by about 20 MB of
 * audit entries meanwhile). */
#define SNAPSHOT_OPERATIONS 65536

static pv_rc renew_batch_snapshot(pv_vault *v)
{
	if (++v->audit_member.in_snapshot < SNAPSHOT_OPERATIONS)
		return PV_OK;
	v->audit_member.in_snapshot = 0;
	pv_store_snapshot_end(v->store);
	if (pv_store_snapshot_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return PV_OK;
}

/* The audit writer's commit: the group appended in one transaction on w's store. */
static int commit_group(pv_vault *w, const struct pv_audit_item *group, char *why,
			size_t whylen)
{
	if (pv_store_begin(w->store) != 0) {
		snprintf(why, whylen, "%s", pv_store_errmsg(w->store));
		return -1;
	}
	pv_rc rc = PV_OK;
	for (const struct pv_audit_item *it = group; it && !rc; it = it->next) {
		if (it->rider.apply && it->rider.apply(w, it->rider.data, why, whylen) != 0)
			rc = PV_ERR_STORE; /* why says what */
		else
			rc = append_in_txn(w, &it->e, it->principal);
	}
	if (!rc) /* shared before the commit, as append_to_store does */
		pv_audit_writer_tail_publish(w->audit_writing, tail_of(w));
	if (!rc && pv_store_commit(w->store) != 0)
		rc = PV_ERR_STORE;
	if (rc) {
		if (!why[0])
			snprintf(why, whylen, "%s", pv_store_errmsg(w->store));
		(void)pv_store_rollback(w->store);
		tail_of(w)->valid = 0;
		return -1;
	}
	pv_store_release_rows(w->store); /* the tail's read holds no snapshot until the next */
	return 0;
}

void pv_audit_fresh(pv_vault *v)
{
	if (v && v->store)
		pv_store_linger_end(v->store);
}

pv_rc pv_audit_writer_start(pv_vault *w, pv_audit_writer **out)
{
	*out = NULL;
	if (!w->has_keys || w->serving || w->audit_member.writer)
		return pv_fail(w, PV_ERR_USAGE, "an audit writer needs a handle of its own, opened "
			       "with the root secret");
	pv_store_writes_log(w->store); /* its groups leave lingering reads be (store.h) */
	if (pv_audit_writer_run(w, commit_group, out) != 0)
		return pv_fail(w, PV_ERR_NOMEM, "the audit writer's thread cannot be started");
	return pv_ok(w);
}

/* Append in (wait: its entry durable before returning, when through a writer; rider: a
 * row stored with it, pv_audit_append_riding). */
static pv_rc append(pv_vault *v, const struct pv_audit_event *in, int wait,
		    const struct pv_audit_rider *rider)
{
	struct pv_audit_event safe = *in;
	const struct pv_audit_event *e = &safe;
	if (safe.ids && *safe.ids && !ids_ok(safe.ids))
		safe.ids = "(not an id: not recorded)";
	if (v->asking && strcmp(e->outcome, "ok") == 0) /* asking: nothing runs, or is shown */
		return pv_fail(v, PV_ERR_USAGE, "%s needs no approval as asked: run it without "
			       "asking", e->op);
	if (v->audit_fault) /* test hook: the audit storage fails */
		return pv_fail(v, PV_ERR_STORE, "the audit log cannot be written (simulated "
			       "failure); the operation was not carried out");
	if (!safe.request)
		safe.request = v->request_id;
	int own = pv_store_txn_id(v->store) == 0;
	pv_rc rc;
	if (v->audit_member.deferring) { /* a batch's snapshot is open: the entry is queued */
		rc = append_through_writer(v, e, 0, NULL);
		if (!rc)
			rc = renew_batch_snapshot(v);
	}
	else if (own && v->audit_member.writer)
		rc = append_through_writer(v, e, wait, rider);
	else
		rc = append_to_store(v, e, own);
	if (rc == PV_OK && !in->request && v->request_id[0] && !v->request_op[0])
		v->request_id[0] = '\0'; /* the used request's run is recorded: done with it */
	return rc;
}

pv_rc pv_audit_append(pv_vault *v, const struct pv_audit_event *e)
{
	return append(v, e, 1, NULL);
}

int pv_audit_rides(const pv_vault *v)
{
	const struct pv_audit_member *m = &v->audit_member;
	return m->writer && m->withholding && !m->deferring && !v->asking && !v->audit_fault &&
	       pv_store_txn_id(v->store) == 0;
}

pv_rc pv_audit_append_riding(pv_vault *v, const struct pv_audit_event *e,
			     const struct pv_audit_rider *rider)
{
	if (pv_audit_rides(v)) /* so append takes the writer's way, where rider goes along */
		return append(v, e, 1, rider);
	if (rider->free)
		rider->free(rider->data);
	return pv_fail(v, PV_ERR_USAGE, "a row rides with its entry only in a withheld span "
		       "through an audit writer");
}
pv_rc pv_audit_append_showing_nothing(pv_vault *v, const struct pv_audit_event *e)
{
	return append(v, e, 0, NULL);
}

pv_rc pv_audit_commit(pv_vault *v, const struct pv_audit_event *e, pv_rc rc)
{
	if (!rc)
		rc = pv_audit_append(v, e);
	if (!rc && pv_store_commit(v->store) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (rc)
		(void)pv_store_rollback(v->store);
	if (rc && v->authz_tampered) /* a failed integrity check is audited whoever asked */
		rc = pv_audit_failure(v, rc, e->op, e->ids, e->purpose);
	return rc;
}

pv_rc pv_audit_failure(pv_vault *v, pv_rc rc, const char *op, const char *ids,
		       const char *purpose)
{
	if (rc == PV_REQUESTED) /* stopped to be asked for: nothing was tried */
		return rc;
	if (rc == PV_ERR_BUSY) /* nothing was done, and the entry would wait as long again */
		return rc;
	char msg[sizeof v->errmsg];
	snprintf(msg, sizeof msg, "%s", v->errmsg);
	/* a failed integrity check of authorisation state (authz_mac.c) says so */
	const char *outcome = v->authz_tampered ? "tampered"
			      : rc == PV_ERR_DENIED ? "denied" : "failed";
	v->authz_tampered = 0;
	int bulk_refused = v->bulk_refused; /* the refusal stays the bulk limit's */
	struct pv_audit_event e = { op, ids, purpose, NULL, outcome, msg };
	if (pv_audit_append(v, &e) == PV_OK || strcmp(v->errmsg, msg) == 0)
		rc = pv_fail(v, rc, "%s", msg); /* the failure was the audit log's: said once */
	else
		rc = pv_fail(v, rc, "%s (and the audit entry could not be written: %s)", msg,
			     v->errmsg); /* pv_fail formats apart from v->errmsg */
	v->bulk_refused = bulk_refused;
	return rc;
}

pv_rc pv_audit_incomplete(pv_vault *v, pv_rc rc, const char *op, const char *ids)
{
	char msg[sizeof v->errmsg];
	snprintf(msg, sizeof msg, "%s", v->errmsg);
	struct pv_audit_event e = { op, ids, NULL, NULL, "incomplete", msg };
	(void)pv_audit_append(v, &e); /* on a full disk this fails too: the message tells */
	return pv_fail(v, rc, "%s", msg);
}

/* ------------------------------------------------------ checkpoint text ---- */

/* Parsed checkpoint file. */
struct ckpt_text {
	uint8_t vault_id[16];
	uint64_t size;
	char at[40];
	uint8_t head[32], root[32], key[32], sig[64];
};

static char *checkpoint_to_text(const uint8_t vault_id[16], const struct pv_audit_checkpoint *c,
				const uint8_t pk[32])
{
	char id[33], head[65], root[65], key[65], sig[129];
	pv_hex(id, vault_id, 16);
	pv_hex(head, c->head, 32);
	pv_hex(root, c->root, 32);
	pv_hex(key, pk, 32);
	pv_hex(sig, c->signature, 64);
	size_t n = 1024;
	char *t = malloc(n);
	if (t)
		snprintf(t, n, CHECKPOINT_MAGIC "\nvault %s\nsize %llu\nat %s\nhead %s\nroot %s\n"
			 "key %s\nsignature %s\n", id, (unsigned long long)c->size, c->at, head,
			 root, key, sig);
	return t;
}

/* Read "name value" from the next line of *p. 0 or -1. */
static int next_line(const char **p, const char *name, char *val, size_t cap)
{
	size_t nl = strlen(name);
	const char *s = *p, *end = strchr(s, '\n');
	if (!end || strncmp(s, name, nl) != 0 || s[nl] != ' ')
		return -1;
	size_t vl = (size_t)(end - (s + nl + 1));
	if (vl == 0 || vl >= cap)
		return -1;
	memcpy(val, s + nl + 1, vl);
	val[vl] = '\0';
	*p = end + 1;
	return 0;
}

static int parse_u64(const char *s, uint64_t *x)
{
	if (!*s || *s == '-' || (s[0] == '0' && s[1]))
		return -1;
	char *end;
	errno = 0;
	unsigned long long n = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*x = n;
	return 0;
}

/* Parse a checkpoint file's text strictly and check its signature. 0, or -1 with a
 * reason in why. */
static int checkpoint_parse(const char *text, struct ckpt_text *c, char *why, size_t whylen)
{
	char val[200];
	const char *p = text;
	size_t ml = strlen(CHECKPOINT_MAGIC);
	if (strncmp(p, CHECKPOINT_MAGIC "\n", ml + 1) != 0) {
		snprintf(why, whylen, "not a pivault audit checkpoint (first line)");
		return -1;
	}
	p += ml + 1;
	int bad = next_line(&p, "vault", val, sizeof val) || pv_unhex(c->vault_id, 16, val, strlen(val));
	bad = bad || next_line(&p, "size", val, sizeof val) || parse_u64(val, &c->size);
	bad = bad || next_line(&p, "at", c->at, sizeof c->at);
	bad = bad || next_line(&p, "head", val, sizeof val) || pv_unhex(c->head, 32, val, strlen(val));
	bad = bad || next_line(&p, "root", val, sizeof val) || pv_unhex(c->root, 32, val, strlen(val));
	bad = bad || next_line(&p, "key", val, sizeof val) || pv_unhex(c->key, 32, val, strlen(val));
	bad = bad || next_line(&p, "signature", val, sizeof val) || pv_unhex(c->sig, 64, val, strlen(val));
	if (bad || *p) {
		snprintf(why, whylen, "malformed checkpoint text (expected lines vault, size, at, "
			 "head, root, key, signature)");
		return -1;
	}
	uint8_t msg[SIGNED_MAX];
	size_t mlen = signed_bytes(msg, c->vault_id, c->size, c->at, c->head, c->root);
	if (pv_sign_verify(c->sig, msg, mlen, c->key) != 0) {
		snprintf(why, whylen, "the checkpoint's signature does not verify");
		return -1;
	}
	return 0;
}

pv_rc pv_audit_checkpoint(pv_vault *v, const pv_access *who, char **text)
{
	pv_audit_fresh(v); /* the log as it is now */
	if (pv_policy_require(v, who, PV_OP_AUDIT))
		return pv_audit_failure(v, PV_ERR_DENIED, "audit checkpoint", NULL, NULL);
	*text = NULL;
	struct pv_audit_event e = { "audit checkpoint", NULL, NULL, NULL, "ok", NULL };
	if (pv_store_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	pv_rc rc = pv_audit_append(v, &e);
	uint64_t seq = 0;
	uint8_t head[PV_AUDIT_HASH];
	if (!rc && read_tail(v, &seq, head) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (!rc && seq % PV_AUDIT_CHECKPOINT_EVERY != 0) /* else the append made it */
		rc = make_checkpoint(v, seq, head, NULL, 0);
	if (!rc && pv_store_commit(v->store) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (rc) {
		(void)pv_store_rollback(v->store);
		tail_of(v)->valid = 0;
		return rc;
	}
	struct pv_audit_checkpoint c;
	if (pv_store_audit_checkpoint_last(v->store, seq, &c) != 0 || c.size != seq)
		return pv_fail(v, PV_ERR_STORE, "the checkpoint just made cannot be read back");
	*text = checkpoint_to_text(v->vault_id, &c, v->keys->sign_public);
	return *text ? pv_ok(v) : pv_fail(v, PV_ERR_NOMEM, "out of memory");
}

/* ---------------------------------------------------------------- verify ---- */

/* Logs of at least this many entries are verified in two runs, one per thread, split at
 * a signed checkpoint; shorter ones in one run, where a thread would not pay. */
#define SPLIT_MIN_DEFAULT 65536

/* The stored checkpoints, in size order, with what their signatures cover. */
struct ckpt_list {
	uint64_t *size;
	uint8_t (*head)[32], (*root)[32], (*sig)[PV_AUDIT_SIG];
	char (*at)[SIGNED_AT_MAX + 1]; /* "" when the stored one is too long to be signed */
	size_t n, cap;
};

/* One run of the scan, over entries expect..last: the chain hash and Merkle state just
 * before entry `expect`, and the checkpoints ck[next_ck, end_ck) it must meet. Each run
 * reads through its own store connection, so two runs can go on in two threads. */
struct verify_ctx {
	struct pv_merkle_stream tree;
	uint8_t prev[PV_AUDIT_HASH];
	uint64_t expect;       /* next sequence number expected */
	uint64_t last;         /* the run's last entry; UINT64_MAX: to the end of the log */
	const struct ckpt_list *ck;
	size_t sig_from;       /* the run checks the signatures of ck[sig_from, end_ck) */
	size_t next_ck, end_ck;
	size_t bad_sig;        /* the first of those that does not verify; SIZE_MAX: none */
	const uint8_t *vault_id, *pk;
	const struct ckpt_text *external; /* checked where the run reaches its size */
	int tail;              /* the run that ends the log: truncation is judged there */
	struct pv_store *store;
	int st;                /* the scan's result: 0, 1 (a problem) or -1 (store error) */
	char *problem;         /* the run's first break, malloc'd */
};

/* verify_entry's answer on meeting an entry past the run's last one. */
#define RUN_DONE 2

/* Record the first problem into *slot (later ones are dropped); returns 1. */
static int set_problem(char **slot, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int set_problem(char **slot, const char *fmt, ...)
{
	if (!*slot) {
		va_list ap;
		va_start(ap, fmt);
		*slot = malloc(512);
		if (*slot)
			vsnprintf(*slot, 512, fmt, ap);
		va_end(ap);
	}
	return 1;
}

/* Compare the state after `size` entries with a checkpoint's head and root. */
static int check_point(struct verify_ctx *c, uint64_t size, const uint8_t head[32],
		       const uint8_t root[32], const char *which)
{
	uint8_t r[32];
	pv_merkle_stream_root(&c->tree, r);
	if (memcmp(c->prev, head, 32) != 0 || memcmp(r, root, 32) != 0)
		return set_problem(&c->problem, "the log's first %llu entries no longer match the "
				   "%s checkpoint at %llu: an entry up to %llu was changed, "
				   "removed or inserted and the chain recomputed",
				   (unsigned long long)size, which, (unsigned long long)size,
				   (unsigned long long)size);
	return 0;
}

static int verify_entry(void *p, const struct pv_audit_row *e)
{
	struct verify_ctx *c = p;
	if (c->expect > c->last)
		return RUN_DONE;
	if (e->seq != c->expect) {
		if (e->seq > c->expect)
			return set_problem(&c->problem, "entry %llu is missing (the log goes from "
					   "%llu to %llu)", (unsigned long long)c->expect,
					   (unsigned long long)c->expect - 1,
					   (unsigned long long)e->seq);
		return set_problem(&c->problem, "entry %llu is out of order",
				   (unsigned long long)e->seq);
	}
	uint8_t chain[32];
	if (entry_hash(e, c->prev, chain) != 0)
		return -1;
	if (!e->hash || memcmp(chain, e->hash, 32) != 0)
		return set_problem(&c->problem, "entry %llu does not match its chain hash: it was "
				   "edited, moved, or an entry before it was removed or inserted",
				   (unsigned long long)e->seq);
	memcpy(c->prev, chain, 32);
	if (pv_merkle_stream_push(&c->tree, chain) != 0)
		return -1;
	c->expect++;
	const struct ckpt_list *k = c->ck;
	for (; c->next_ck < c->end_ck && k->size[c->next_ck] == e->seq; c->next_ck++)
		if (check_point(c, e->seq, k->head[c->next_ck], k->root[c->next_ck], "signed"))
			return 1;
	if (c->external && c->external->size == e->seq &&
	    check_point(c, e->seq, c->external->head, c->external->root, "exported"))
		return 1;
	return 0;
}

/* Check the signatures of the run's checkpoints, scan its entries, then judge what it did
 * not reach: a signed checkpoint inside the run, or (for the run that ends the log) the
 * exported checkpoint, beyond the last entry means the log was truncated. */
static void run(struct verify_ctx *c)
{
	const struct ckpt_list *k = c->ck;
	uint8_t msg[SIGNED_MAX];
	c->bad_sig = SIZE_MAX;
	for (size_t i = c->sig_from; i < c->end_ck && c->bad_sig == SIZE_MAX; i++) {
		size_t mlen = signed_bytes(msg, c->vault_id, k->size[i], k->at[i], k->head[i],
					   k->root[i]);
		if (!k->at[i][0] || pv_sign_verify(k->sig[i], msg, mlen, c->pk) != 0)
			c->bad_sig = i;
	}
	c->st = pv_store_audit_scan(c->store, c->expect, verify_entry, c);
	if (c->st == RUN_DONE)
		c->st = 0;
	if (c->st < 0 || c->problem)
		return;
	uint64_t entries = c->expect - 1;
	if (c->next_ck < c->end_ck)
		set_problem(&c->problem, "a signed checkpoint covers %llu entries but the log has "
			    "only %llu: the log was truncated",
			    (unsigned long long)c->ck->size[c->next_ck], (unsigned long long)entries);
	else if (c->tail && c->external && c->external->size > entries)
		set_problem(&c->problem, "the exported checkpoint covers %llu entries but the log "
			    "has only %llu: the log was truncated",
			    (unsigned long long)c->external->size, (unsigned long long)entries);
}

static void *run_thread(void *p)
{
	run(p);
	return NULL;
}

/* Gather a stored checkpoint into the list (ckpt_list *p); its signature is checked by
 * the run whose entries it covers. */
static int collect_checkpoint(void *p, const struct pv_audit_checkpoint *k)
{
	struct ckpt_list *l = p;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
#define GROW(field)                                                                    \
	do {                                                                           \
		void *grown = realloc(l->field, cap * sizeof *l->field);               \
		if (!grown)                                                            \
			return -1;                                                     \
		l->field = grown;                                                      \
	} while (0)
		GROW(size);
		GROW(head);
		GROW(root);
		GROW(sig);
		GROW(at);
#undef GROW
		l->cap = cap;
	}
	l->size[l->n] = k->size;
	memcpy(l->head[l->n], k->head, 32);
	memcpy(l->root[l->n], k->root, 32);
	memcpy(l->sig[l->n], k->signature, PV_AUDIT_SIG);
	size_t al = strlen(k->at);
	if (al > SIGNED_AT_MAX)
		al = 0; /* no signature covers it: reported as a bad signature */
	memcpy(l->at[l->n], k->at, al);
	l->at[l->n][al] = '\0';
	l->n++;
	return 0;
}

/* 1 if the checkpoint ck[i] can start a run: its stored Merkle state (frontier, which
 * the signature does not cover) loads into second's tree with the checkpoint's size and
 * gives its root; second's chain then starts from its head. Its signature is checked by
 * the first run: when it does not verify, that is reported and the second run's result
 * is not used. */
static int split_point_ok(pv_vault *v, const struct ckpt_list *ck, size_t i,
			  struct verify_ctx *second)
{
	struct pv_audit_checkpoint c;
	uint8_t root[PV_AUDIT_HASH];
	if (pv_store_audit_checkpoint_last(v->store, ck->size[i], &c) != 0 ||
	    c.size != ck->size[i] || memcmp(c.head, ck->head[i], 32) != 0 ||
	    memcmp(c.root, ck->root[i], 32) != 0 ||
	    pv_merkle_stream_load_with(&second->tree, TREE_HASH, c.frontier, c.frontier_len) != 0 ||
	    second->tree.size != ck->size[i])
		return 0;
	pv_merkle_stream_root(&second->tree, root);
	if (memcmp(root, ck->root[i], 32) != 0)
		return 0;
	memcpy(second->prev, ck->head[i], 32);
	second->expect = ck->size[i] + 1;
	return 1;
}

/* Where to split a log of n entries in two runs: of the checkpoints nearest the middle
 * (a few tried, nearest first), the first that split_point_ok accepts. Its index in ck,
 * or -1 (one run). */
static long pick_split(pv_vault *v, const struct ckpt_list *ck, uint64_t n,
		       struct verify_ctx *second)
{
	uint64_t half = n / 2;
	size_t hi = 0;
	while (hi < ck->n && ck->size[hi] < half)
		hi++;
	size_t lo = hi; /* candidates below the middle are lo - 1, lo - 2, ... */
	for (int tries = 0; tries < 8 && (lo > 0 || hi < ck->n); tries++) {
		size_t i;
		if (hi >= ck->n || (lo > 0 && half - ck->size[lo - 1] < ck->size[hi] - half))
			i = --lo;
		else
			i = hi++;
		if (ck->size[i] > 0 && ck->size[i] < n && split_point_ok(v, ck, i, second))
			return (long)i;
	}
	return -1;
}

static void ckpt_list_free(struct ckpt_list *ck)
{
	free(ck->size);
	free(ck->head);
	free(ck->root);
	free(ck->sig);
	free(ck->at);
}

/* Read the stored checkpoints into ck and check the log: in two runs on two threads when
 * it is long and read outside a transaction (a second connection sees only what is
 * committed), split at checkpoint *split with second reading through *reader; else in
 * one (*split -1). A failure to read the store is returned, with its message. */
static pv_rc verify_runs(pv_vault *v, struct ckpt_list *ck, struct verify_ctx *first,
			 struct verify_ctx *second, long *split, struct pv_store **reader)
{
	uint64_t n = 0;
	uint8_t head[PV_AUDIT_HASH];
	int st = pv_store_audit_checkpoint_scan(v->store, 0, collect_checkpoint, ck);
	if (st == 0)
		st = pv_store_audit_last(v->store, &n, head) < 0 ? -1 : 0;
	if (st != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	first->end_ck = second->end_ck = ck->n;
	uint64_t split_min = pv_test_hooks.audit_split_min ? pv_test_hooks.audit_split_min
							   : SPLIT_MIN_DEFAULT;
	if (n >= split_min && pv_store_txn_id(v->store) == 0 &&
	    (*split = pick_split(v, ck, n, second)) >= 0 &&
	    !(*reader = pv_store_audit_reader(v->store)))
		*split = -1;
	if (*split < 0) {
		run(first);
		return PV_OK;
	}
	first->last = ck->size[*split];
	first->end_ck = (size_t)*split + 1;
	first->tail = 0;
	second->sig_from = second->next_ck = (size_t)*split + 1;
	second->store = *reader;
	pthread_t t;
	if (pthread_create(&t, NULL, run_thread, second) == 0) {
		run(first);
		pthread_join(t, NULL);
	} else {
		run(first);
		run(second);
	}
	return PV_OK;
}

/* What the runs found, into *problem: a checkpoint with a bad signature first (the first
 * one), as when they were checked before the entries; then the first break in sequence
 * order, the first run's before the second's. A run's failure to read the store is
 * returned instead, with its message. */
static pv_rc verify_problem(pv_vault *v, const struct ckpt_list *ck, struct verify_ctx *first,
			    struct verify_ctx *second, long split, char **problem)
{
	size_t bad = split >= 0 && second->bad_sig < first->bad_sig ? second->bad_sig
								    : first->bad_sig;
	if (bad != SIZE_MAX) {
		set_problem(problem, "the checkpoint at %llu has a bad signature",
			    (unsigned long long)ck->size[bad]);
		return PV_OK;
	}
	struct verify_ctx *runs[2] = { first, split >= 0 ? second : NULL };
	for (int i = 0; i < 2 && runs[i] && !*problem; i++) {
		if (runs[i]->problem) {
			*problem = runs[i]->problem;
			runs[i]->problem = NULL;
		} else if (runs[i]->st < 0) {
			return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(runs[i]->store));
		}
	}
	return PV_OK;
}

/* The verification's report (malloc'd, into *report): the problem found (PV_ERR_CORRUPT;
 * problem is freed), or what was verified. */
static pv_rc verify_report(pv_vault *v, char *problem, uint64_t entries, size_t nck,
			   long split, uint64_t split_at, int external, char **report)
{
	char *out = malloc(700);
	if (!out) {
		free(problem);
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	}
	if (problem) {
		snprintf(out, 700, "%s", problem);
		free(problem);
		*report = out;
		return pv_fail(v, PV_ERR_CORRUPT, "audit log verification failed: %s", out);
	}
	char part[96] = "";
	if (split >= 0)
		snprintf(part, sizeof part, " (in two parts, split at the signed checkpoint at %llu)",
			 (unsigned long long)split_at);
	snprintf(out, 700, "%llu entries, chain intact; %zu signed checkpoint%s verified%s%s",
		 (unsigned long long)entries, nck, nck == 1 ? "" : "s", part,
		 external ? "; the exported checkpoint matches" : "");
	*report = out;
	return pv_ok(v);
}

pv_rc pv_audit_verify_quiet(pv_vault *v, const char *checkpoint_text, char **report)
{
	pv_audit_fresh(v); /* the log as it is now */
	*report = NULL;
	struct ckpt_text ext;
	char why[256];
	uint8_t pk[PV_SIGN_PUBLIC];
	memcpy(pk, v->keys->sign_public, sizeof pk);
	if (checkpoint_text) {
		if (checkpoint_parse(checkpoint_text, &ext, why, sizeof why) != 0)
			return pv_fail(v, PV_ERR_INPUT, "checkpoint file: %s", why);
		if (memcmp(ext.vault_id, v->vault_id, 16) != 0 || memcmp(ext.key, pk, 32) != 0)
			return pv_fail(v, PV_ERR_INPUT, "checkpoint file: it belongs to another vault "
				       "(vault id or key differ)");
	}
	struct ckpt_list ck = { 0 };
	struct verify_ctx first = { .expect = 1, .last = UINT64_MAX, .ck = &ck,
				    .bad_sig = SIZE_MAX, .vault_id = v->vault_id, .pk = pk,
				    .external = checkpoint_text ? &ext : NULL, .tail = 1,
				    .store = v->store };
	pv_merkle_stream_init_with(&first.tree, TREE_HASH);
	struct verify_ctx second = first;
	struct pv_store *reader = NULL;
	long split = -1;
	char *problem = NULL;
	pv_rc rc = verify_runs(v, &ck, &first, &second, &split, &reader);
	if (!rc)
		rc = verify_problem(v, &ck, &first, &second, split, &problem);
	free(first.problem);
	free(second.problem);
	pv_store_close(reader);
	uint64_t entries = (split >= 0 ? &second : &first)->expect - 1;
	size_t nck = ck.n;
	uint64_t split_at = split >= 0 ? ck.size[split] : 0;
	ckpt_list_free(&ck);
	if (rc) {
		free(problem);
		return rc;
	}
	return verify_report(v, problem, entries, nck, split, split_at, checkpoint_text != NULL,
			     report);
}

pv_rc pv_audit_verify(pv_vault *v, const pv_access *who, const char *checkpoint_text,
		      char **report)
{
	pv_audit_fresh(v); /* the log as it is now */
	*report = NULL;
	if (pv_policy_require(v, who, PV_OP_AUDIT))
		return pv_audit_failure(v, PV_ERR_DENIED, "audit verify", NULL, NULL);
	pv_rc rc = pv_audit_verify_quiet(v, checkpoint_text, report);
	if (rc == PV_ERR_CORRUPT && *report)
		return pv_audit_failure(v, rc, "audit verify", NULL, NULL);
	if (rc)
		return rc;
	struct pv_audit_event e = { "audit verify", NULL, NULL, NULL, "ok", *report };
	if ((rc = pv_audit_append(v, &e)) != PV_OK) {
		free(*report);
		*report = NULL;
		return rc;
	}
	return pv_ok(v);
}

/* ------------------------------------------------------------------ log ---- */

struct log_ctx {
	const pv_audit_filter *f;
	pv_audit_entry_fn fn;
	void *ctx;
};

/* 1 if the comma-separated list ids names id, or covers all customers ("*"). */
static int names_customer(const char *ids, const char *id)
{
	if (strcmp(ids, "*") == 0)
		return 1;
	size_t n = strlen(id);
	for (const char *p = ids; (p = strstr(p, id)) != NULL; p += n)
		if ((p == ids || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return 1;
	return 0;
}

static int log_one(void *p, const struct pv_audit_row *e)
{
	struct log_ctx *l = p;
	const pv_audit_filter *f = l->f;
	if (f && f->customer && !names_customer(e->ids, f->customer))
		return 0;
	if (f && f->user && strcmp(e->user, f->user) != 0)
		return 0;
	if (f && f->since && strcmp(e->at, f->since) < 0)
		return 0;
	pv_audit_entry out = { e->seq, e->at, e->user, e->op, e->ids, e->purpose, e->request,
			       e->outcome, e->detail };
	return l->fn(l->ctx, &out) ? 1 : 0;
}

pv_rc pv_audit_log(pv_vault *v, const pv_access *who, const pv_audit_filter *f,
		   pv_audit_entry_fn fn, void *ctx)
{
	pv_audit_fresh(v); /* the log as it is now */
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_AUDIT, &role);
	if (rc)
		return pv_audit_failure(v, rc, "audit log", f && f->customer ? f->customer : NULL,
					NULL);
	struct pv_audit_event e = { "audit log", f && f->customer ? f->customer : NULL, NULL, NULL,
				    "ok", f && f->user ? "filtered by user" : NULL };
	if ((rc = pv_audit_append(v, &e)) != PV_OK)
		return rc;
	struct log_ctx l = { f, fn, ctx };
	if (pv_store_audit_scan(v->store, 1, log_one, &l) < 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return pv_ok(v);
}

/* --------------------------------------------------------------- proofs ---- */

/* Leaf hashes read from the log through a cursor that moves forward, reopened only
 * when the Merkle code jumps elsewhere. */
struct leaf_reader {
	pv_vault *v;
	struct pv_store_audit_cursor *cur;
	uint64_t next; /* 0-based index the cursor reads next */
	uint8_t prev[PV_AUDIT_HASH]; /* the hash of the entry before it */
};

/* A pv_merkle_leaf_fn over the stored log: the leaf of entry index + 1, from its
 * canonical bytes and its predecessor's hash (read first when the reader jumps). */
static int read_leaf(void *p, uint64_t index, uint8_t out[32])
{
	struct leaf_reader *r = p;
	struct pv_audit_row e;
	if (!r->cur || r->next != index) {
		pv_store_audit_cursor_close(r->cur);
		r->cur = pv_store_audit_cursor_open(r->v->store, index ? index : 1);
		if (!r->cur)
			return -1;
		memset(r->prev, 0, sizeof r->prev);
		if (index && (pv_store_audit_cursor_next(r->cur, &e) != 0 || e.seq != index ||
			      !e.hash))
			return -1;
		if (index)
			memcpy(r->prev, e.hash, sizeof r->prev);
		r->next = index;
	}
	if (pv_store_audit_cursor_next(r->cur, &e) != 0 || e.seq != index + 1 ||
	    entry_hash(&e, r->prev, out) != 0)
		return -1;
	memcpy(r->prev, out, sizeof r->prev);
	r->next++;
	return 0;
}

/* The latest checkpoint covering at least `size` entries, made now when none does.
 * Fills the exported text of it. */
static pv_rc covering_checkpoint(pv_vault *v, const pv_access *who, uint64_t size, char **text)
{
	*text = NULL;
	struct pv_audit_checkpoint c;
	int got = pv_store_audit_checkpoint_last(v->store, UINT64_MAX, &c);
	if (got < 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (got == 1 || c.size < size)
		return pv_audit_checkpoint(v, who, text);
	*text = checkpoint_to_text(v->vault_id, &c, v->keys->sign_public);
	return *text ? PV_OK : pv_fail(v, PV_ERR_NOMEM, "out of memory");
}

/* The end of making proof p (rc: how building it went): check it against its own roots
 * (else PV_ERR_CORRUPT with broken), print it, audit op, free p. */
static pv_rc finish_proof(pv_vault *v, pv_rc rc, struct pv_merkle_proof *p, const char *op,
			  const char *detail, const char *broken, char **proof)
{
	if (!rc && pv_merkle_proof_verify(p) != 0)
		rc = pv_fail(v, PV_ERR_CORRUPT, "%s", broken);
	if (!rc && !(*proof = pv_merkle_proof_to_text(p)))
		rc = pv_fail(v, PV_ERR_NOMEM, "out of memory");
	free(p);
	if (!rc) {
		struct pv_audit_event e = { op, NULL, NULL, NULL, "ok", detail };
		rc = pv_audit_append(v, &e);
		if (rc) {
			free(*proof);
			*proof = NULL;
		}
	}
	return rc ? rc : pv_ok(v);
}

pv_rc pv_audit_prove(pv_vault *v, const pv_access *who, uint64_t seq, char **proof)
{
	pv_audit_fresh(v); /* the log as it is now */
	if (pv_policy_require(v, who, PV_OP_AUDIT))
		return pv_audit_failure(v, PV_ERR_DENIED, "audit prove", NULL, NULL);
	*proof = NULL;
	uint64_t last;
	uint8_t head[32];
	if (read_tail(v, &last, head) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (seq == 0 || seq > last)
		return pv_fail(v, PV_ERR_NOT_FOUND, "no audit entry %llu (the log has %llu)",
			       (unsigned long long)seq, (unsigned long long)last);
	char *ck;
	pv_rc rc = covering_checkpoint(v, who, seq, &ck);
	if (rc)
		return rc;
	struct ckpt_text c;
	char why[256];
	if (checkpoint_parse(ck, &c, why, sizeof why) != 0) {
		free(ck);
		return pv_fail(v, PV_ERR_CORRUPT, "latest checkpoint: %s", why);
	}
	free(ck);
	struct pv_merkle_proof *p = calloc(1, sizeof *p);
	struct leaf_reader r = { .v = v };
	if (!p)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	p->kind = PV_MERKLE_INCLUSION;
	p->hash = TREE_HASH;
	p->index = seq - 1;
	p->size = c.size;
	memcpy(p->root, c.root, 32);
	rc = PV_OK;
	if (read_leaf(&r, seq - 1, p->leaf) != 0 ||
	    pv_merkle_inclusion_proof_with(TREE_HASH, seq - 1, c.size, read_leaf, &r, p->path,
					   &p->path_len) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "cannot read the audit log to build the proof");
	pv_store_audit_cursor_close(r.cur);
	char id[32];
	snprintf(id, sizeof id, "entry %llu", (unsigned long long)seq);
	return finish_proof(v, rc, p, "audit prove", id, "the log no longer matches its latest "
			    "checkpoint; run pivault audit verify", proof);
}

pv_rc pv_audit_consistency(pv_vault *v, const pv_access *who, const char *old_checkpoint,
			   char **proof)
{
	pv_audit_fresh(v); /* the log as it is now */
	if (pv_policy_require(v, who, PV_OP_AUDIT))
		return pv_audit_failure(v, PV_ERR_DENIED, "audit consistency", NULL, NULL);
	*proof = NULL;
	struct ckpt_text old, cur;
	char why[256];
	if (checkpoint_parse(old_checkpoint, &old, why, sizeof why) != 0)
		return pv_fail(v, PV_ERR_INPUT, "old checkpoint: %s", why);
	if (memcmp(old.vault_id, v->vault_id, 16) != 0)
		return pv_fail(v, PV_ERR_INPUT, "old checkpoint: it belongs to another vault");
	char *ck;
	pv_rc rc = covering_checkpoint(v, who, old.size, &ck);
	if (rc)
		return rc;
	int bad = checkpoint_parse(ck, &cur, why, sizeof why);
	free(ck);
	if (bad)
		return pv_fail(v, PV_ERR_CORRUPT, "latest checkpoint: %s", why);
	struct pv_merkle_proof *p = calloc(1, sizeof *p);
	struct leaf_reader r = { .v = v };
	if (!p)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	p->kind = PV_MERKLE_CONSISTENCY;
	p->hash = TREE_HASH;
	p->old_size = old.size;
	p->size = cur.size;
	memcpy(p->old_root, old.root, 32);
	memcpy(p->root, cur.root, 32);
	if (pv_merkle_consistency_proof_with(TREE_HASH, old.size, cur.size, read_leaf, &r, p->path,
					     &p->path_len) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "cannot read the audit log to build the proof");
	pv_store_audit_cursor_close(r.cur);
	return finish_proof(v, rc, p, "audit consistency", NULL, "the log is not an extension of "
			    "the old checkpoint: entries it covered were changed or removed", proof);
}

/* A checkpoint given to check a proof must be signed by the pinned key pk. 0, or -1 with
 * the reason (both keys' fingerprints) in why. */
static int signed_by_pinned(const struct ckpt_text *c, const char *what, const uint8_t pk[32],
			    char *why, size_t whylen)
{
	if (memcmp(c->key, pk, 32) == 0)
		return 0;
	pv_key_mismatch(why, whylen, what, pk, c->key);
	return -1;
}

static pv_rc check_proof(const char *proof, const char *new_checkpoint,
			 const char *old_checkpoint, const char *public_key_hex, char *why,
			 size_t whylen)
{
	struct pv_merkle_proof *p = calloc(1, sizeof *p);
	pv_rc rc = PV_OK;
	struct ckpt_text c, old;
	uint8_t pk[32];
	char reason[256], fp[PV_FINGERPRINT_SIZE] = "";
	int pinned = pv_pinned_key_parse(public_key_hex, pk) == 0;
	if (pinned)
		pv_fingerprint_of(pk, fp);
	if (!p) {
		snprintf(why, whylen, "out of memory");
		return PV_ERR_NOMEM;
	}
	if ((new_checkpoint || old_checkpoint) && !pinned) {
		snprintf(why, whylen, "a checkpoint is checked against the vault's public key, as "
			 "its `pivault pubkey` prints it (64 hex digits): give it");
		rc = PV_ERR_USAGE;
	} else if (pv_merkle_proof_from_text(proof, strlen(proof), p) != 0) {
		snprintf(why, whylen, "not a well-formed pivault proof");
		rc = PV_ERR_INPUT;
	} else if (p->hash != TREE_HASH) {
		snprintf(why, whylen, "not an audit log proof (a v1 proof is over SHA-256; the audit "
			 "log's tree is over BLAKE2b-256, v2)");
		rc = PV_ERR_INPUT;
	} else if (pv_merkle_proof_verify(p) != 0) {
		snprintf(why, whylen, "the proof's hashes do not add up");
		rc = PV_ERR_CORRUPT;
	} else if (new_checkpoint && checkpoint_parse(new_checkpoint, &c, reason, sizeof reason)) {
		snprintf(why, whylen, "checkpoint: %s", reason);
		rc = PV_ERR_INPUT;
	} else if (new_checkpoint && signed_by_pinned(&c, "the checkpoint", pk, why, whylen)) {
		rc = PV_ERR_CORRUPT;
	} else if (new_checkpoint && (c.size != p->size || memcmp(c.root, p->root, 32) != 0)) {
		snprintf(why, whylen, "the proof is not about the signed checkpoint (size %llu)",
			 (unsigned long long)c.size);
		rc = PV_ERR_CORRUPT;
	} else if (old_checkpoint && p->kind != PV_MERKLE_CONSISTENCY) {
		snprintf(why, whylen, "an old checkpoint goes with a consistency proof only");
		rc = PV_ERR_INPUT;
	} else if (old_checkpoint && checkpoint_parse(old_checkpoint, &old, reason, sizeof reason)) {
		snprintf(why, whylen, "old checkpoint: %s", reason);
		rc = PV_ERR_INPUT;
	} else if (old_checkpoint && signed_by_pinned(&old, "the old checkpoint", pk, why,
						      whylen)) {
		rc = PV_ERR_CORRUPT;
	} else if (old_checkpoint && new_checkpoint &&
		   (memcmp(old.vault_id, c.vault_id, 16) != 0 || memcmp(old.key, c.key, 32) != 0)) {
		snprintf(why, whylen, "the two checkpoints are of different vaults (vault id or "
			 "signing key differ)");
		rc = PV_ERR_CORRUPT;
	} else if (old_checkpoint &&
		   (old.size != p->old_size || memcmp(old.root, p->old_root, 32) != 0)) {
		snprintf(why, whylen, "the proof does not start from the old signed checkpoint");
		rc = PV_ERR_CORRUPT;
	} else if (p->kind == PV_MERKLE_INCLUSION) {
		snprintf(why, whylen, "entry %llu is in the log of %llu entries%s%s",
			 (unsigned long long)p->index + 1, (unsigned long long)p->size,
			 new_checkpoint ? " signed by the checkpoint, by the expected key "
					: " (no checkpoint given: whose log is not shown)",
			 new_checkpoint ? fp : "");
	} else {
		const char *note = new_checkpoint && old_checkpoint ? ", both signed by the expected key "
				   : new_checkpoint ? ", the newer signed by the expected key "
				   : old_checkpoint ? ", the older signed by the expected key "
						    : " (no checkpoint given: whose log is not shown)";
		snprintf(why, whylen, "the log of %llu entries extends the log of %llu%s%s",
			 (unsigned long long)p->size, (unsigned long long)p->old_size, note,
			 new_checkpoint || old_checkpoint ? fp : "");
	}
	free(p);
	return rc;
}

pv_rc pv_audit_check_proof(const char *proof, const char *new_checkpoint,
			   const char *old_checkpoint, const char *public_key_hex, char **summary)
{
	char why[512];
	return pv_lone_outcome(check_proof(proof, new_checkpoint, old_checkpoint, public_key_hex,
					   why, sizeof why),
			       why, summary);
}
