/* SPDX-License-Identifier: Apache-2.0 */
/* keyring_sync.c: every node (a vault directory with its own keyring file, over one
 * store) gets a shred's new bucket keys from the store's keyring journal. An entry seals
 * the slot's new key under a key derived from its previous key, so only a node that
 * still holds the previous key opens it; once every node has overwritten that key, no
 * copy of the store (a WAL archive, a base backup, a standby) yields the new one either.
 * Each node applies entries in order through the keyring's crash-safe path (stage,
 * journal file, apply) and acknowledges them (its applied_seq). */
#include "keyring_sync.h"
#include "dates.h"
#include "files.h"
#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define JOURNAL_CONTEXT "pivault keyring journal"
#define NODE_FILE_MAX 200

static void put_u32le(uint8_t *p, uint32_t x)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(x >> (8 * i));
}

/* Associated data of an entry: vault id | slot | new generation. */
static size_t entry_ad(uint8_t ad[PV_VAULT_ID_BYTES + 8], const pv_vault *v, uint32_t slot,
		       uint32_t gen)
{
	memcpy(ad, v->vault_id, PV_VAULT_ID_BYTES);
	put_u32le(ad + PV_VAULT_ID_BYTES, slot);
	put_u32le(ad + PV_VAULT_ID_BYTES + 4, gen);
	return PV_VAULT_ID_BYTES + 8;
}

void pv_kjournal_seal(const pv_vault *v, uint32_t slot, uint32_t new_gen,
		      const uint8_t old_key[PV_KEY_BYTES], const uint8_t new_key[PV_KEY_BYTES],
		      uint8_t out[PV_KJOURNAL_SEALED_BYTES])
{
	uint8_t jk[PV_KEY_BYTES], ad[PV_VAULT_ID_BYTES + 8];
	pv_keyed_hash(jk, sizeof jk, JOURNAL_CONTEXT, strlen(JOURNAL_CONTEXT), old_key);
	size_t adlen = entry_ad(ad, v, slot, new_gen);
	pv_seal(out, new_key, PV_KEY_BYTES, ad, adlen, jk, NULL);
	pv_wipe(jk, sizeof jk);
}

int pv_kjournal_open(const pv_vault *v, uint32_t slot, uint32_t gen, const uint8_t *sealed,
		     size_t len, const uint8_t old_key[PV_KEY_BYTES], uint8_t new_key[PV_KEY_BYTES])
{
	if (len != PV_KJOURNAL_SEALED_BYTES)
		return -1;
	uint8_t jk[PV_KEY_BYTES], ad[PV_VAULT_ID_BYTES + 8];
	pv_keyed_hash(jk, sizeof jk, JOURNAL_CONTEXT, strlen(JOURNAL_CONTEXT), old_key);
	size_t adlen = entry_ad(ad, v, slot, gen);
	int rc = pv_open_sealed(new_key, sealed, len, ad, adlen, jk);
	pv_wipe(jk, sizeof jk);
	return rc;
}

/* ---- The node file: "<32 hex digits>\n<name>\n" ---- */

/* The host name, kept to letters, digits, '.', '-' and '_' ("node" when there is none). */
static void default_name(char *name, size_t cap)
{
	char host[256] = "";
	if (gethostname(host, sizeof host - 1) != 0 || !host[0])
		snprintf(host, sizeof host, "node");
	size_t n = 0;
	for (const char *p = host; *p && n + 1 < cap; p++)
		name[n++] = (strchr("._-", *p) || (*p >= '0' && *p <= '9') ||
			     (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) ? *p : '_';
	name[n] = '\0';
}

/* Parse a node file's text into v; 0, or -1 when it is not one. */
static int node_parse(pv_vault *v, char *text)
{
	char *nl = strchr(text, '\n');
	if (!nl || nl - text != 32)
		return -1;
	*nl = '\0';
	for (int i = 0; i < 32; i++)
		if (!strchr("0123456789abcdef", text[i]))
			return -1;
	char *name = nl + 1, *end = strchr(name, '\n');
	if (!end || end == name || (size_t)(end - name) >= sizeof v->node_name)
		return -1;
	*end = '\0';
	memcpy(v->node_id, text, 32); /* 32 hex digits, checked above */
	v->node_id[32] = '\0';
	memcpy(v->node_name, name, (size_t)(end - name) + 1); /* shorter, checked above */
	return 0;
}

/* Read the node file at path into v: 0, 1 when there is none, -1 when it is unreadable or
 * not a node file (the reason in why). */
static int node_read(pv_vault *v, const char *path, char *why, size_t whylen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		snprintf(why, whylen, "it cannot be opened: %s", strerror(errno));
		return -1;
	}
	char text[NODE_FILE_MAX + 1];
	ssize_t got = read(fd, text, NODE_FILE_MAX);
	int err = errno;
	close(fd);
	if (got < 0) {
		snprintf(why, whylen, "it cannot be read: %s", strerror(err));
		return -1;
	}
	text[got] = '\0';
	if (node_parse(v, text) != 0) {
		snprintf(why, whylen, "it is not a node file (an id of 32 hex digits, then a name)");
		return -1;
	}
	return 0;
}

/* Make the node file at path with a new id and the default name. 0, or -1 (the reason in
 * why). */
static int node_make(pv_vault *v, const char *path, char *why, size_t whylen)
{
	uint8_t id[16];
	char hex[33], name[64], text[NODE_FILE_MAX];
	pv_random(id, sizeof id);
	pv_hex(hex, id, sizeof id);
	default_name(name, sizeof name);
	int len = snprintf(text, sizeof text, "%s\n%s\n", hex, name);
	int fd = pv_file_create_fd(path);
	if (fd < 0) {
		snprintf(why, whylen, "it cannot be made: %s", strerror(errno));
		return -1;
	}
	int ok = pv_file_write_all(fd, text, (size_t)len) == 0 && fsync(fd) == 0;
	int err = errno;
	if (close(fd) != 0 && ok) {
		ok = 0;
		err = errno;
	}
	if (ok && pv_file_sync_dir(path) != 0) {
		ok = 0;
		err = errno;
	}
	if (!ok) {
		unlink(path);
		snprintf(why, whylen, "it cannot be written: %s", strerror(err));
		return -1;
	}
	snprintf(v->node_id, sizeof v->node_id, "%s", hex);
	snprintf(v->node_name, sizeof v->node_name, "%s", name);
	return 0;
}

/* A retired node (pivault node retire) met again: its retirement time into at. */
struct retired_look {
	const char *node_id;
	char at[32];
};

static int retired_match(void *ctx, const char *node_id, const char *name,
			 const char *retired_at, uint64_t applied_seq)
{
	struct retired_look *l = ctx;
	(void)name;
	(void)applied_seq;
	if (strcmp(node_id, l->node_id) != 0)
		return 0;
	snprintf(l->at, sizeof l->at, "%s", retired_at);
	return 1;
}

/* Register this keyring's node unless it was retired; read its acknowledgement. */
static pv_rc node_register(pv_vault *v)
{
	struct retired_look l = { v->node_id, "" };
	int st = pv_store_node_retired_scan(v->store, retired_match, &l);
	if (st < 0)
		return pv_fail(v, PV_ERR_STORE, "cannot read the keyring's retired nodes: %s",
			       pv_store_errmsg(v->store));
	if (st > 0)
		return pv_fail(v, PV_ERR_DENIED, "this keyring's node %s (%s) was retired at %s "
			       "(pivault node retire): its keyring was to be destroyed, and shreds' "
			       "certificates no longer count it; destroy this keyring file and its "
			       "copies, and use a keyring copied from a node in service",
			       v->node_id, v->node_name, l.at);
	char at[32];
	pv_time_now(at, sizeof at);
	int known = pv_store_node_applied(v->store, v->node_id, &v->kjournal_applied);
	if (known == 1 && pv_store_node_register(v->store, v->node_id, v->node_name, at) == 0)
		known = pv_store_node_applied(v->store, v->node_id, &v->kjournal_applied);
	if (known != 0)
		return pv_fail(v, PV_ERR_STORE, "cannot register this keyring's node: %s",
			       pv_store_errmsg(v->store));
	return PV_OK;
}

/* A keyring whose node is not registered would never be counted: the certificates of
 * shreds could then say complete while it still holds the old bucket keys. So a keyring
 * without a readable node file is not used. */
pv_rc pv_node_ready(pv_vault *v)
{
	char *path = pv_keyring_sibling(v, ".node");
	if (!path)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	char why[200] = "";
	int got = node_read(v, path, why, sizeof why);
	if (got == 1)
		got = node_make(v, path, why, sizeof why);
	if (got != 0) {
		v->node_id[0] = '\0';
		pv_rc rc = pv_fail(v, PV_ERR_IO, "this keyring's node file %s is unusable (%s): "
				   "without it the node is not registered, and shreds' "
				   "certificates could not count it; make the file's directory "
				   "writable, or move a damaged file away (the keyring then "
				   "registers as a new node: retire the old one with pivault node "
				   "retire)", path, why);
		free(path);
		return rc;
	}
	free(path);
	return node_register(v);
}

pv_rc pv_node_acknowledge(pv_vault *v, uint64_t seq)
{
	if (seq > v->kjournal_applied)
		v->kjournal_applied = seq;
	if (!v->node_id[0])
		return PV_OK;
	if (pv_store_node_ack(v->store, v->node_id, seq) != 0)
		return pv_fail(v, PV_ERR_STORE, "cannot record this node's keyring acknowledgement: "
			       "%s", pv_store_errmsg(v->store));
	return PV_OK;
}

/* ---- Applying the journal ---- */

/* One entry as read from the store (the scan gathers them before any is applied). */
struct entry {
	uint64_t seq;
	uint32_t slot, gen;
	uint8_t sealed[PV_KJOURNAL_SEALED_BYTES];
	int malformed;
	int rekey; /* a bucket rekey's marker: no key (rekey.c) */
};

struct entries {
	struct entry *e;
	size_t n, cap;
};

static int entry_gather(void *ctx, uint64_t seq, uint32_t slot, uint32_t gen,
			const uint8_t *sealed, size_t len)
{
	struct entries *es = ctx;
	if (es->n == es->cap) {
		size_t cap = es->cap ? 2 * es->cap : 16;
		struct entry *e = realloc(es->e, cap * sizeof *e);
		if (!e)
			return -1;
		es->e = e;
		es->cap = cap;
	}
	struct entry *e = &es->e[es->n++];
	memset(e, 0, sizeof *e);
	e->seq = seq;
	e->slot = slot;
	e->gen = gen;
	e->rekey = len == 0;
	e->malformed = len != sizeof e->sealed;
	if (!e->malformed)
		memcpy(e->sealed, sealed, len);
	return 0;
}

/* Stage one entry in the keyring (*staged 1), or skip it when the slot has it already
 * (*staged 0); refused on a gap or when it does not open with the slot's key. */
static pv_rc entry_stage(pv_vault *v, const struct entry *e, int *staged)
{
	uint32_t gen;
	*staged = 0;
	if (e->slot >= pv_keyring_slots(v->keyring))
		return pv_fail(v, PV_ERR_CORRUPT, "keyring journal entry %llu names no slot of "
			       "this keyring", (unsigned long long)e->seq);
	const uint8_t *old = pv_keyring_key(v->keyring, e->slot, &gen);
	if (!old)
		return pv_fail(v, PV_ERR_BAD_KEY, "keyring slot %u fails authentication",
			       (unsigned)e->slot);
	if (gen >= e->gen)
		return PV_OK;
	if (e->rekey)
		return pv_fail(v, PV_ERR_BAD_KEY, "this node's keyring lacks the bucket rekey that "
			       "another node made (keyring journal entry %llu): a rekey's keys are not "
			       "journalled, so that no keyring copy from before it opens the data; copy "
			       "the rekeyed keyring file from that node over this one (keep this "
			       "keyring's node file), then open again", (unsigned long long)e->seq);
	if (gen + 1 != e->gen)
		return pv_fail(v, PV_ERR_CORRUPT, "this node's keyring slot %u is at generation %u, "
			       "and the keyring journal's entry %llu brings generation %u: the "
			       "entries between are missing; restore this keyring from a node that "
			       "is up to date (run pivault doctor)", (unsigned)e->slot,
			       (unsigned)gen, (unsigned long long)e->seq, (unsigned)e->gen);
	uint8_t *key = pv_secret_alloc(PV_KEY_BYTES);
	if (!key)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	uint32_t got;
	pv_rc rc = PV_OK;
	if (e->malformed || pv_kjournal_open(v, e->slot, e->gen, e->sealed, sizeof e->sealed,
					     old, key) != 0)
		rc = pv_fail(v, PV_ERR_CORRUPT, "keyring journal entry %llu (slot %u) fails "
			     "authentication: tampered, or not sealed under this slot's key",
			     (unsigned long long)e->seq, (unsigned)e->slot);
	else if (pv_keyring_stage(v->keyring, e->slot, key, &got) != 0 || got != e->gen)
		rc = pv_fail(v, PV_ERR_NOMEM, "cannot stage keyring slot %u", (unsigned)e->slot);
	pv_secret_free(key);
	*staged = !rc;
	return rc;
}

/* The slots staged so far, overwritten through the keyring's crash-safe path. */
static pv_rc group_apply(pv_vault *v)
{
	char err[512];
	if (pv_keyring_journal(v->keyring, err, sizeof err) != 0 ||
	    pv_keyring_apply(v->keyring, err, sizeof err) != 0)
		return pv_fail(v, PV_ERR_IO, "%s", err);
	return PV_OK;
}

/* Entries applied a group at a time (a rekey brings one for every slot): a group ends
 * before an entry for a slot it holds already (its key must be the applied one) and at
 * GROUP_MAX entries. *done: the last entry applied. */
#define GROUP_MAX 4096
static pv_rc entries_apply(pv_vault *v, const struct entries *es, uint64_t *done)
{
	uint32_t slots = pv_keyring_slots(v->keyring);
	uint8_t *held = calloc(slots / 8 + 1, 1);
	if (!held)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	pv_rc rc = PV_OK;
	size_t staged = 0;
	uint64_t last = *done;
	for (size_t i = 0; !rc && i < es->n; i++) {
		const struct entry *e = &es->e[i];
		int in = e->slot < slots && (held[e->slot / 8] >> (e->slot % 8) & 1);
		if ((in || staged == GROUP_MAX) && !(rc = group_apply(v))) {
			*done = last;
			staged = 0;
			memset(held, 0, slots / 8 + 1);
		}
		int st = 0;
		if (!rc && !(rc = entry_stage(v, e, &st))) {
			last = e->seq;
			if (st) {
				held[e->slot / 8] |= (uint8_t)(1u << (e->slot % 8));
				staged++;
			}
		}
	}
	if (!rc && (!staged || !(rc = group_apply(v))))
		*done = last;
	if (rc)
		pv_keyring_discard(v->keyring);
	free(held);
	return rc;
}

pv_rc pv_keyring_catch_up(pv_vault *v)
{
	struct entries es = { 0 };
	if (pv_store_kjournal_scan(v->store, v->kjournal_applied, entry_gather, &es) != 0) {
		free(es.e);
		return pv_fail(v, PV_ERR_STORE, "cannot read the keyring journal: %s",
			       pv_store_errmsg(v->store));
	}
	uint64_t done = v->kjournal_applied;
	pv_rc rc = es.n ? entries_apply(v, &es, &done) : PV_OK;
	free(es.e);
	if (done > v->kjournal_applied) {
		char msg[sizeof v->errmsg];
		snprintf(msg, sizeof msg, "%s", v->errmsg);
		pv_rc ack = pv_node_acknowledge(v, done);
		if (rc) /* the failure that stopped it is the one to tell */
			pv_fail(v, rc, "%s", msg);
		else
			rc = ack;
	}
	return rc;
}

pv_rc pv_keyring_keep_up(pv_vault *v)
{
	uint64_t last = 0;
	if (pv_store_kjournal_last(v->store, &last) != 0)
		return pv_fail(v, PV_ERR_STORE, "cannot read the keyring journal: %s",
			       pv_store_errmsg(v->store));
	if (last <= v->kjournal_applied)
		return PV_OK;
	if (pv_store_begin(v->store) != 0)
		return pv_fail(v, pv_store_busy(v->store) ? PV_ERR_BUSY : PV_ERR_STORE,
			       "cannot apply the keyring journal: %s", pv_store_errmsg(v->store));
	char err[512];
	pv_rc rc = PV_OK;
	/* slots another handle of this node replaced in the file are read from it again */
	if (pv_keyring_refresh(v->keyring, err, sizeof err) != 0)
		rc = pv_fail(v, PV_ERR_BAD_KEY, "%s", err);
	if (!rc)
		rc = pv_keyring_catch_up(v);
	if (!rc && pv_store_commit(v->store) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (rc)
		(void)pv_store_rollback(v->store);
	return rc;
}
