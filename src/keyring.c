/* SPDX-License-Identifier: Apache-2.0 */
/* keyring.c: the keyring file format and its slots.
 * Layout: a 64-byte header ("PVKEYRG1", version, slot count, vault id, keyed BLAKE2b of
 * those 32 bytes), then one 80-byte slot per bucket at offset 64 + 80 * i: generation
 * (u32 LE), sealed bucket key (24-byte nonce, 32-byte key, 16-byte tag), 4 zero bytes.
 * A slot's associated data is vault id | slot index | generation. */
#include "keyring.h"
#include "crypto.h"
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KR_MAGIC "PVKEYRG1"
#define KR_VERSION 1u
#define KR_HEADER_BYTES 64
#define KR_SLOT_BYTES 80
#define KR_SEALED_BYTES (PV_KEY_BYTES + PV_SEAL_OVERHEAD)

/* A bucket key replacement waiting to be written in place. */
struct staged {
	uint32_t slot;
	uint8_t raw[KR_SLOT_BYTES];
};

struct pv_keyring {
	char *path;
	int fd;
	struct staged *staged;
	size_t nstaged, capstaged;
	uint32_t slots;
	uint8_t vault_id[16];
	uint8_t *wrap_key;   /* guarded: PV_KEY_BYTES */
	uint8_t *keys;       /* guarded: slots * PV_KEY_BYTES, filled lazily */
	uint32_t *gens;
	atomic_uchar *loaded; /* per slot: set (release) once its key and generation are in */
	pthread_mutex_t load_mu; /* one thread unwraps a slot on its first use */
};

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void slot_ad(uint8_t ad[24], const uint8_t vault_id[16], uint32_t slot, uint32_t gen)
{
	memcpy(ad, vault_id, 16);
	put_u32(ad + 16, slot);
	put_u32(ad + 20, gen);
}

/* Fill the header: magic, version, slots, vault id, MAC under wrap_key. */
static void header_build(uint8_t h[KR_HEADER_BYTES], const uint8_t vault_id[16], uint32_t slots,
			 const uint8_t wrap_key[32])
{
	memset(h, 0, KR_HEADER_BYTES);
	memcpy(h, KR_MAGIC, 8);
	put_u32(h + 8, KR_VERSION);
	put_u32(h + 12, slots);
	memcpy(h + 16, vault_id, 16);
	pv_keyed_hash(h + 32, 32, h, 32, wrap_key);
}

static int pread_all(int fd, uint8_t *p, size_t n, off_t off)
{
	while (n) {
		ssize_t r = pread(fd, p, n, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

int pv_keyring_create(const char *path, const uint8_t vault_id[16], uint32_t slots,
		      const uint8_t wrap_key[32], char *err, size_t errlen)
{
	if (slots < 16 || (slots & (slots - 1)) != 0) {
		snprintf(err, errlen, "keyring slot count must be a power of two from 16");
		return -1;
	}
	if (access(path, F_OK) == 0) {
		snprintf(err, errlen, "keyring %s already exists", path);
		return -1;
	}
	size_t tmplen = strlen(path) + 8;
	char *tmp = malloc(tmplen);
	if (!tmp) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(tmp, tmplen, "%s.tmp", path);
	int fd = pv_file_create_fd(tmp);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create keyring %s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	enum { BATCH = 1024 };
	uint8_t header[KR_HEADER_BYTES];
	uint8_t *buf = malloc((size_t)BATCH * KR_SLOT_BYTES);
	uint8_t *key = pv_secret_alloc(PV_KEY_BYTES);
	int ok = buf && key;
	header_build(header, vault_id, slots, wrap_key);
	ok = ok && pv_file_write_all(fd, header, sizeof header) == 0;
	for (uint32_t base = 0; ok && base < slots; base += BATCH) {
		uint32_t n = slots - base < BATCH ? slots - base : BATCH;
		memset(buf, 0, (size_t)n * KR_SLOT_BYTES);
		for (uint32_t i = 0; i < n; i++) {
			uint8_t *slot = buf + (size_t)i * KR_SLOT_BYTES;
			uint8_t ad[24];
			pv_random(key, PV_KEY_BYTES);
			put_u32(slot, 0);
			slot_ad(ad, vault_id, base + i, 0);
			pv_seal(slot + 4, key, PV_KEY_BYTES, ad, sizeof ad, wrap_key, NULL);
		}
		ok = pv_file_write_all(fd, buf, (size_t)n * KR_SLOT_BYTES) == 0;
	}
	ok = ok && fsync(fd) == 0;
	if (close(fd) != 0)
		ok = 0;
	ok = ok && rename(tmp, path) == 0;
	int renamed = ok;
	ok = ok && pv_file_sync_dir(path) == 0; /* the new keyring outlives a power loss */
	if (!ok) {
		snprintf(err, errlen, "cannot write keyring %s: %s", path, strerror(errno));
		unlink(renamed ? path : tmp);
	}
	pv_secret_free(key);
	free(buf);
	free(tmp);
	return ok ? 0 : -1;
}

struct pv_keyring *pv_keyring_open(const char *path, const uint8_t vault_id[16],
				   const uint8_t wrap_key[32], int *bad_key, char *err,
				   size_t errlen)
{
	*bad_key = 0;
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open keyring %s: %s", path, strerror(errno));
		return NULL;
	}
	uint8_t h[KR_HEADER_BYTES], want[KR_HEADER_BYTES];
	struct stat st;
	if (pread_all(fd, h, sizeof h, 0) != 0 || memcmp(h, KR_MAGIC, 8) != 0) {
		snprintf(err, errlen, "%s is not a pivault keyring", path);
		*bad_key = 1;
		close(fd);
		return NULL;
	}
	uint32_t slots = get_u32(h + 12);
	if (get_u32(h + 8) != KR_VERSION || slots < 16 || (slots & (slots - 1)) != 0 ||
	    fstat(fd, &st) != 0 ||
	    (uint64_t)st.st_size != KR_HEADER_BYTES + (uint64_t)slots * KR_SLOT_BYTES) {
		snprintf(err, errlen, "keyring %s is damaged or truncated", path);
		*bad_key = 1;
		close(fd);
		return NULL;
	}
	if (memcmp(h + 16, vault_id, 16) != 0) {
		snprintf(err, errlen, "keyring %s belongs to another vault", path);
		*bad_key = 1;
		close(fd);
		return NULL;
	}
	header_build(want, vault_id, slots, wrap_key);
	if (pv_ct_compare(want + 32, h + 32, 32) != 0) {
		snprintf(err, errlen, "keyring %s does not open with this vault's key", path);
		*bad_key = 1;
		close(fd);
		return NULL;
	}
	struct pv_keyring *kr = calloc(1, sizeof *kr);
	if (kr) {
		kr->path = strdup(path);
		kr->fd = fd;
		kr->slots = slots;
		memcpy(kr->vault_id, vault_id, 16);
		kr->wrap_key = pv_secret_alloc(PV_KEY_BYTES);
		kr->keys = pv_secret_alloc((size_t)slots * PV_KEY_BYTES);
		kr->gens = calloc(slots, sizeof *kr->gens);
		kr->loaded = calloc(slots, sizeof *kr->loaded);
		pthread_mutex_init(&kr->load_mu, NULL);
	}
	if (!kr || !kr->path || !kr->wrap_key || !kr->keys || !kr->gens || !kr->loaded) {
		snprintf(err, errlen, "out of memory opening keyring");
		if (!kr)
			close(fd);
		pv_keyring_close(kr);
		return NULL;
	}
	memcpy(kr->wrap_key, wrap_key, PV_KEY_BYTES);
	return kr;
}

uint32_t pv_keyring_slots(const struct pv_keyring *kr)
{
	return kr->slots;
}

/* Unwrap one slot's stored bytes into the cache. 0, or -1 on authentication failure. */
static int slot_unwrap(struct pv_keyring *kr, uint32_t slot, const uint8_t *raw)
{
	uint8_t ad[24];
	uint32_t gen = get_u32(raw);
	slot_ad(ad, kr->vault_id, slot, gen);
	if (pv_open_sealed(kr->keys + (size_t)slot * PV_KEY_BYTES, raw + 4, KR_SEALED_BYTES, ad,
			   sizeof ad, kr->wrap_key) != 0)
		return -1;
	kr->gens[slot] = gen;
	atomic_store_explicit(&kr->loaded[slot], 1, memory_order_release);
	return 0;
}

static int slot_loaded(struct pv_keyring *kr, uint32_t slot)
{
	return atomic_load_explicit(&kr->loaded[slot], memory_order_acquire);
}

/* Read and unwrap slot on its first use; threads that ask at once wait for the first. */
static int slot_load(struct pv_keyring *kr, uint32_t slot)
{
	pthread_mutex_lock(&kr->load_mu);
	int rc = 0;
	if (!slot_loaded(kr, slot)) {
		uint8_t raw[KR_SLOT_BYTES];
		rc = pread_all(kr->fd, raw, sizeof raw,
			       KR_HEADER_BYTES + (off_t)slot * KR_SLOT_BYTES) != 0 ||
			     slot_unwrap(kr, slot, raw) != 0
			     ? -1
			     : 0;
	}
	pthread_mutex_unlock(&kr->load_mu);
	return rc;
}

const uint8_t *pv_keyring_key(struct pv_keyring *kr, uint32_t slot, uint32_t *gen)
{
	if (slot >= kr->slots)
		return NULL;
	if (!slot_loaded(kr, slot) && slot_load(kr, slot) != 0)
		return NULL;
	if (gen)
		*gen = kr->gens[slot];
	return kr->keys + (size_t)slot * PV_KEY_BYTES;
}

typedef int (*slot_visit_fn)(struct pv_keyring *kr, uint32_t slot, const uint8_t *raw,
			     char *err, size_t errlen);

/* Call visit for every slot as stored in the file, read a batch at a time; stops at the
 * first non-zero (which has set err). 0, or -1 with the reason in err. */
static int each_stored_slot(struct pv_keyring *kr, slot_visit_fn visit, char *err,
			    size_t errlen)
{
	enum { BATCH = 4096 };
	uint8_t *buf = malloc((size_t)BATCH * KR_SLOT_BYTES);
	if (!buf) {
		snprintf(err, errlen, "out of memory reading keyring");
		return -1;
	}
	int rc = 0;
	for (uint32_t base = 0; rc == 0 && base < kr->slots; base += BATCH) {
		uint32_t n = kr->slots - base < BATCH ? kr->slots - base : BATCH;
		if (pread_all(kr->fd, buf, (size_t)n * KR_SLOT_BYTES,
			      KR_HEADER_BYTES + (off_t)base * KR_SLOT_BYTES) != 0) {
			snprintf(err, errlen, "cannot read keyring: %s", strerror(errno));
			rc = -1;
		}
		for (uint32_t i = 0; rc == 0 && i < n; i++)
			rc = visit(kr, base + i, buf + (size_t)i * KR_SLOT_BYTES, err, errlen);
	}
	free(buf);
	return rc;
}

static int unwrap_if_unloaded(struct pv_keyring *kr, uint32_t slot, const uint8_t *raw,
			      char *err, size_t errlen)
{
	if (slot_loaded(kr, slot) || slot_unwrap(kr, slot, raw) == 0)
		return 0;
	snprintf(err, errlen, "keyring slot %u fails authentication", (unsigned)slot);
	return -1;
}

int pv_keyring_load_all(struct pv_keyring *kr, char *err, size_t errlen)
{
	return each_stored_slot(kr, unwrap_if_unloaded, err, errlen);
}

void pv_keyring_close(struct pv_keyring *kr)
{
	if (!kr)
		return;
	if (kr->fd >= 0)
		close(kr->fd);
	if (kr->staged)
		pv_wipe(kr->staged, kr->capstaged * sizeof *kr->staged);
	free(kr->staged);
	free(kr->path);
	pv_secret_free(kr->wrap_key);
	pv_secret_free(kr->keys);
	free(kr->gens);
	pthread_mutex_destroy(&kr->load_mu);
	free(kr->loaded);
	free(kr);
}

/* ---- Replacing bucket keys: staged, journalled, then written in place ---- */

int pv_keyring_stage(struct pv_keyring *kr, uint32_t slot, const uint8_t *key, uint32_t *new_gen)
{
	uint32_t gen;
	if (!pv_keyring_key(kr, slot, &gen))
		return -1;
	if (kr->nstaged == kr->capstaged) {
		size_t cap = kr->capstaged ? 2 * kr->capstaged : 16;
		struct staged *s = malloc(cap * sizeof *s);
		if (!s)
			return -1;
		if (kr->staged) {
			memcpy(s, kr->staged, kr->nstaged * sizeof *s);
			pv_wipe(kr->staged, kr->capstaged * sizeof *s);
			free(kr->staged);
		}
		kr->staged = s;
		kr->capstaged = cap;
	}
	struct staged *st = &kr->staged[kr->nstaged++];
	uint8_t ad[24];
	memset(st->raw, 0, sizeof st->raw);
	st->slot = slot;
	put_u32(st->raw, gen + 1);
	slot_ad(ad, kr->vault_id, slot, gen + 1);
	pv_seal(st->raw + 4, key, PV_KEY_BYTES, ad, sizeof ad, kr->wrap_key, NULL);
	*new_gen = gen + 1;
	return 0;
}

static char *journal_path(const struct pv_keyring *kr)
{
	size_t n = strlen(kr->path) + 9;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s.journal", kr->path);
	return p;
}

int pv_keyring_journal(struct pv_keyring *kr, char *err, size_t errlen)
{
	char *jp = journal_path(kr);
	if (!jp) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	unlink(jp); /* a journal already replayed at open; never written through a link */
	int fd = pv_file_create_fd(jp);
	int ok = fd >= 0;
	for (size_t i = 0; ok && i < kr->nstaged; i++) {
		uint8_t rec[4 + KR_SLOT_BYTES];
		put_u32(rec, kr->staged[i].slot);
		memcpy(rec + 4, kr->staged[i].raw, KR_SLOT_BYTES);
		ok = pv_file_write_all(fd, rec, sizeof rec) == 0;
	}
	ok = ok && fsync(fd) == 0;
	if (fd >= 0 && close(fd) != 0)
		ok = 0;
	ok = ok && pv_file_sync_dir(jp) == 0; /* the journal outlives a power loss */
	if (!ok) {
		snprintf(err, errlen, "cannot write keyring journal %s: %s", jp, strerror(errno));
		unlink(jp);
	}
	free(jp);
	return ok ? 0 : -1;
}

/* Write one sealed slot in place. 0, or -1 with errno. */
static int slot_put(struct pv_keyring *kr, uint32_t slot, const uint8_t *raw)
{
	off_t off = KR_HEADER_BYTES + (off_t)slot * KR_SLOT_BYTES;
	size_t n = KR_SLOT_BYTES;
	const uint8_t *p = raw;
	while (n) {
		ssize_t w = pwrite(kr->fd, p, n, off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

/* Take a sealed slot into the cache in place of the key there. */
static int slot_take(struct pv_keyring *kr, uint32_t slot, const uint8_t *raw)
{
	atomic_store(&kr->loaded[slot], 0); /* the old key is wiped as the new one loads */
	pv_wipe(kr->keys + (size_t)slot * PV_KEY_BYTES, PV_KEY_BYTES);
	return slot_unwrap(kr, slot, raw);
}

/* The store has committed the staged keys, so the handle uses them from now on even when
 * the file cannot take them: the journal keeps them until the file does (next open, or
 * the next write's pv_vault_fresh_keys). */
int pv_keyring_apply(struct pv_keyring *kr, char *err, size_t errlen)
{
	int ok = 1, e = 0;
	for (size_t i = 0; i < kr->nstaged; i++) {
		if (ok && slot_put(kr, kr->staged[i].slot, kr->staged[i].raw) != 0) {
			ok = 0;
			e = errno;
		}
		(void)slot_take(kr, kr->staged[i].slot, kr->staged[i].raw);
	}
	if (ok && fsync(kr->fd) != 0) {
		ok = 0;
		e = errno;
	}
	pv_keyring_discard(kr);
	if (!ok) {
		snprintf(err, errlen, "cannot overwrite keyring slots in %s: %s (the keyring "
			 "journal keeps them; they are applied when the vault is next opened)",
			 kr->path, strerror(e ? e : EIO));
		return -1;
	}
	char *jp = journal_path(kr);
	if (jp) {
		unlink(jp);
		free(jp);
	}
	return 0;
}

void pv_keyring_discard(struct pv_keyring *kr)
{
	if (kr->staged)
		pv_wipe(kr->staged, kr->capstaged * sizeof *kr->staged);
	kr->nstaged = 0;
}

/* 1 if raw, slot's stored bytes, opens with the wrap key. */
static int slot_opens(const struct pv_keyring *kr, uint32_t slot, const uint8_t *raw)
{
	uint8_t ad[24], *key = pv_secret_alloc(PV_KEY_BYTES);
	slot_ad(ad, kr->vault_id, slot, get_u32(raw));
	int ok = key && pv_open_sealed(key, raw + 4, KR_SEALED_BYTES, ad, sizeof ad,
				       kr->wrap_key) == 0;
	pv_secret_free(key);
	return ok;
}

/* Apply one journal record of a committed change to slot: only the successor of the key
 * in the file, or a key of the same generation where the file's was cut short; never an
 * older generation nor another key of the same one (a journal brought back after the
 * slot moved on, or of a change that never committed), and only once it opens. */
static int journal_record_apply(struct pv_keyring *kr, uint32_t slot, const uint8_t *raw,
				char *err, size_t errlen)
{
	uint8_t now[KR_SLOT_BYTES];
	if (pread_all(kr->fd, now, sizeof now, KR_HEADER_BYTES + (off_t)slot * KR_SLOT_BYTES) != 0) {
		snprintf(err, errlen, "cannot read keyring slot %u", (unsigned)slot);
		return -1;
	}
	uint32_t gen = get_u32(raw), at = get_u32(now);
	if ((gen != at && gen != at + 1) || (gen == at && slot_opens(kr, slot, now)))
		return 0; /* stale: the slot is past it, or holds its key already */
	if (slot_take(kr, slot, raw) != 0) {
		snprintf(err, errlen, "the keyring journal's record for slot %u fails "
			 "authentication", (unsigned)slot);
		return -1;
	}
	if (slot_put(kr, slot, raw) != 0) {
		snprintf(err, errlen, "cannot apply the keyring journal to slot %u: %s",
			 (unsigned)slot, strerror(errno));
		return -1;
	}
	return 0;
}

int pv_keyring_recover(struct pv_keyring *kr, int (*committed)(void *ctx, uint32_t slot,
							     uint32_t gen), void *ctx,
		       char *err, size_t errlen)
{
	char *jp = journal_path(kr);
	if (!jp)
		return -1;
	int fd = open(jp, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(jp);
		return 0; /* nothing pending */
	}
	uint8_t rec[4 + KR_SLOT_BYTES];
	int rc = 0;
	ssize_t got;
	while ((got = read(fd, rec, sizeof rec)) == (ssize_t)sizeof rec) {
		uint32_t slot = get_u32(rec), gen = get_u32(rec + 4);
		if (slot >= kr->slots)
			continue;
		int c = committed(ctx, slot, gen);
		if (c < 0) {
			rc = -1;
			break;
		}
		if (c && journal_record_apply(kr, slot, rec + 4, err, errlen) != 0) {
			rc = -1;
			break;
		}
	}
	close(fd);
	if (rc == 0 && fsync(kr->fd) == 0)
		unlink(jp);
	free(jp);
	return rc;
}

void pv_keyring_forget(struct pv_keyring *kr, uint32_t slot)
{
	if (slot < kr->slots && slot_loaded(kr, slot)) {
		pv_wipe(kr->keys + (size_t)slot * PV_KEY_BYTES, PV_KEY_BYTES);
		atomic_store(&kr->loaded[slot], 0);
	}
}

/* Forget a cached key whose slot in the file holds another generation. */
static int forget_if_replaced(struct pv_keyring *kr, uint32_t slot, const uint8_t *raw,
			      char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	if (get_u32(raw) != kr->gens[slot])
		pv_keyring_forget(kr, slot);
	return 0;
}

int pv_keyring_refresh(struct pv_keyring *kr, char *err, size_t errlen)
{
	return each_stored_slot(kr, forget_if_replaced, err, errlen);
}

int pv_keyring_write_rewrapped(struct pv_keyring *kr, const char *path,
			       const uint8_t new_wrap[32], char *err, size_t errlen)
{
	if (pv_keyring_load_all(kr, err, errlen) != 0)
		return -1;
	unlink(path); /* a leftover of an earlier attempt */
	int fd = pv_file_create_fd(path);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	enum { BATCH = 1024 };
	uint8_t header[KR_HEADER_BYTES];
	uint8_t *buf = malloc((size_t)BATCH * KR_SLOT_BYTES);
	int ok = buf != NULL;
	header_build(header, kr->vault_id, kr->slots, new_wrap);
	ok = ok && pv_file_write_all(fd, header, sizeof header) == 0;
	for (uint32_t base = 0; ok && base < kr->slots; base += BATCH) {
		uint32_t n = kr->slots - base < BATCH ? kr->slots - base : BATCH;
		for (uint32_t i = 0; i < n; i++) { /* the same key and generation, sealed anew */
			uint8_t *slot = buf + (size_t)i * KR_SLOT_BYTES, ad[24];
			uint32_t s = base + i;
			put_u32(slot, kr->gens[s]);
			slot_ad(ad, kr->vault_id, s, kr->gens[s]);
			pv_seal(slot + 4, kr->keys + (size_t)s * PV_KEY_BYTES, PV_KEY_BYTES, ad,
				sizeof ad, new_wrap, NULL);
		}
		ok = pv_file_write_all(fd, buf, (size_t)n * KR_SLOT_BYTES) == 0;
	}
	ok = ok && fsync(fd) == 0;
	if (close(fd) != 0)
		ok = 0;
	ok = ok && pv_file_sync_dir(path) == 0; /* there after a power loss, before the commit */
	free(buf);
	if (!ok) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

int pv_keyring_is_current(const struct pv_keyring *kr)
{
	struct stat open_st, path_st;
	if (fstat(kr->fd, &open_st) != 0 || stat(kr->path, &path_st) != 0)
		return 0;
	return open_st.st_ino == path_st.st_ino && open_st.st_dev == path_st.st_dev;
}
