/* SPDX-License-Identifier: Apache-2.0 */
/* merkle.c: RFC 6962 Merkle tree hashes (SHA-256 or BLAKE2b-256), audit paths and
 * consistency proofs, computed by walking down the RFC's recursion iteratively and hashing
 * each needed subtree with the streaming builder, so memory stays O(log n); plus the
 * proofs' text format. */
#include "merkle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

void pv_merkle_leaf_hash_with(enum pv_merkle_hash h, const void *data, size_t len,
			      uint8_t out[PV_MERKLE_HASH])
{
	static const uint8_t prefix = 0x00;
	if (h == PV_MERKLE_BLAKE2B)
		pv_hash2(out, &prefix, 1, data, len);
	else
		pv_sha256(out, &prefix, 1, data, len, NULL, 0);
}

void pv_merkle_leaf_hash_framed(enum pv_merkle_hash h, const uint8_t *framed, size_t len,
				uint8_t out[PV_MERKLE_HASH])
{
	if (h == PV_MERKLE_BLAKE2B)
		pv_hash2(out, framed, len, NULL, 0);
	else
		pv_sha256(out, framed, len, NULL, 0, NULL, 0);
}

void pv_merkle_leaf_hash(const void *data, size_t len, uint8_t out[PV_MERKLE_HASH])
{
	pv_merkle_leaf_hash_with(PV_MERKLE_SHA256, data, len, out);
}

void pv_merkle_node_hash_with(enum pv_merkle_hash h, const uint8_t l[PV_MERKLE_HASH],
			      const uint8_t r[PV_MERKLE_HASH], uint8_t out[PV_MERKLE_HASH])
{
	/* One buffer so that out may alias l or r. */
	uint8_t buf[1 + 2 * PV_MERKLE_HASH];
	buf[0] = 0x01;
	memcpy(buf + 1, l, PV_MERKLE_HASH);
	memcpy(buf + 1 + PV_MERKLE_HASH, r, PV_MERKLE_HASH);
	if (h == PV_MERKLE_BLAKE2B)
		pv_hash2(out, buf, sizeof buf, NULL, 0);
	else
		pv_sha256(out, buf, sizeof buf, NULL, 0, NULL, 0);
}

void pv_merkle_node_hash(const uint8_t l[PV_MERKLE_HASH], const uint8_t r[PV_MERKLE_HASH],
			 uint8_t out[PV_MERKLE_HASH])
{
	pv_merkle_node_hash_with(PV_MERKLE_SHA256, l, r, out);
}

void pv_merkle_empty_root_with(enum pv_merkle_hash h, uint8_t out[PV_MERKLE_HASH])
{
	if (h == PV_MERKLE_BLAKE2B)
		pv_hash2(out, NULL, 0, NULL, 0);
	else
		pv_sha256(out, NULL, 0, NULL, 0, NULL, 0);
}

void pv_merkle_empty_root(uint8_t out[PV_MERKLE_HASH])
{
	pv_merkle_empty_root_with(PV_MERKLE_SHA256, out);
}

/* 1 if the two hashes are equal. Hashes here are public: no constant time needed. */
static int same(const uint8_t a[PV_MERKLE_HASH], const uint8_t b[PV_MERKLE_HASH])
{
	return memcmp(a, b, PV_MERKLE_HASH) == 0;
}

/* The RFC's split point for n >= 2 leaves: the largest power of two strictly below n. */
static uint64_t split(uint64_t n)
{
	uint64_t k = 1;
	while (k < n - k) /* 2k < n, without overflow */
		k <<= 1;
	return k;
}

/* ---- Streaming builder ---- */

void pv_merkle_stream_init_with(struct pv_merkle_stream *s, enum pv_merkle_hash h)
{
	memset(s, 0, sizeof *s);
	s->hash = h;
}

void pv_merkle_stream_init(struct pv_merkle_stream *s)
{
	pv_merkle_stream_init_with(s, PV_MERKLE_SHA256);
}

int pv_merkle_stream_push(struct pv_merkle_stream *s, const uint8_t leaf[PV_MERKLE_HASH])
{
	if (s->size >= PV_MERKLE_MAX_SIZE)
		return -1;
	/* Each trailing 1 bit of size is a perfect subtree of the same height as the one
	 * being carried: merge them, like incrementing a binary counter. */
	uint8_t h[PV_MERKLE_HASH];
	memcpy(h, leaf, PV_MERKLE_HASH);
	uint64_t bits = s->size;
	unsigned top = s->count;
	while (bits & 1) {
		pv_merkle_node_hash_with(s->hash, s->pending[--top], h, h);
		bits >>= 1;
	}
	memcpy(s->pending[top], h, PV_MERKLE_HASH);
	s->count = top + 1;
	s->size++;
	return 0;
}

int pv_merkle_stream_push_data(struct pv_merkle_stream *s, const void *data, size_t len)
{
	uint8_t h[PV_MERKLE_HASH];
	pv_merkle_leaf_hash_with(s->hash, data, len, h);
	return pv_merkle_stream_push(s, h);
}

void pv_merkle_stream_root(const struct pv_merkle_stream *s, uint8_t out[PV_MERKLE_HASH])
{
	if (s->count == 0) {
		pv_merkle_empty_root_with(s->hash, out);
		return;
	}
	/* MTH splits off the largest perfect subtree on the left and recurses on the rest,
	 * so the root folds the pending roots from the right. */
	uint8_t r[PV_MERKLE_HASH];
	memcpy(r, s->pending[s->count - 1], PV_MERKLE_HASH);
	for (unsigned i = s->count - 1; i-- > 0;)
		pv_merkle_node_hash_with(s->hash, s->pending[i], r, r);
	memcpy(out, r, PV_MERKLE_HASH);
}

/* Number of 1 bits in x. */
static unsigned popcount(uint64_t x)
{
	unsigned c = 0;
	for (; x; x &= x - 1)
		c++;
	return c;
}

size_t pv_merkle_stream_save(const struct pv_merkle_stream *s, uint8_t *out)
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(s->size >> (56 - 8 * i));
	memcpy(out + 8, s->pending, (size_t)s->count * PV_MERKLE_HASH);
	return 8 + (size_t)s->count * PV_MERKLE_HASH;
}

int pv_merkle_stream_load(struct pv_merkle_stream *s, const uint8_t *in, size_t len)
{
	return pv_merkle_stream_load_with(s, PV_MERKLE_SHA256, in, len);
}

int pv_merkle_stream_load_with(struct pv_merkle_stream *s, enum pv_merkle_hash h,
			       const uint8_t *in, size_t len)
{
	pv_merkle_stream_init_with(s, h);
	if (!in || len < 8)
		return -1;
	uint64_t size = 0;
	for (int i = 0; i < 8; i++)
		size = size << 8 | in[i];
	unsigned count = popcount(size);
	if (size > PV_MERKLE_MAX_SIZE || len != 8 + (size_t)count * PV_MERKLE_HASH)
		return -1;
	memcpy(s->pending, in + 8, (size_t)count * PV_MERKLE_HASH);
	s->size = size;
	s->count = count;
	return 0;
}

/* ---- Whole-tree computations ---- */

/* MTH(D[lo:hi]) into out, reading leaves lo..hi-1 once each. 0 or -1. */
static int range_root(enum pv_merkle_hash hf, uint64_t lo, uint64_t hi, pv_merkle_leaf_fn leaf,
		      void *ctx, uint8_t out[PV_MERKLE_HASH])
{
	struct pv_merkle_stream s;
	uint8_t h[PV_MERKLE_HASH];
	pv_merkle_stream_init_with(&s, hf);
	for (uint64_t i = lo; i < hi; i++) {
		if (leaf(ctx, i, h) != 0)
			return -1;
		pv_merkle_stream_push(&s, h); /* hi - lo <= PV_MERKLE_MAX_SIZE: cannot fail */
	}
	pv_merkle_stream_root(&s, out);
	return 0;
}

int pv_merkle_root_with(enum pv_merkle_hash h, uint64_t n, pv_merkle_leaf_fn leaf, void *ctx,
			uint8_t out[PV_MERKLE_HASH])
{
	if (n > PV_MERKLE_MAX_SIZE)
		return -1;
	return range_root(h, 0, n, leaf, ctx, out);
}

int pv_merkle_root(uint64_t n, pv_merkle_leaf_fn leaf, void *ctx, uint8_t out[PV_MERKLE_HASH])
{
	return pv_merkle_root_with(PV_MERKLE_SHA256, n, leaf, ctx, out);
}

/* Reverse path[0..len) in place: the proofs are found top-down, the RFC lists them
 * bottom-up. */
static void reverse(uint8_t (*path)[PV_MERKLE_HASH], size_t len)
{
	uint8_t t[PV_MERKLE_HASH];
	for (size_t i = 0, j = len; i + 1 < j; i++, j--) {
		memcpy(t, path[i], PV_MERKLE_HASH);
		memcpy(path[i], path[j - 1], PV_MERKLE_HASH);
		memcpy(path[j - 1], t, PV_MERKLE_HASH);
	}
}

/* PATH(index, D[n]) = PATH(index, D[0:k]) : MTH(D[k:n]) when index < k, else
 * PATH(index - k, D[k:n]) : MTH(D[0:k]); walked from the root down to the leaf, each step
 * narrowing [lo, hi) to the half holding index. */
size_t pv_merkle_inclusion_path_len(uint64_t index, uint64_t n)
{
	size_t len = 0;
	if (index >= n)
		return 0;
	for (uint64_t lo = 0, hi = n; hi - lo > 1; len++) {
		uint64_t mid = lo + split(hi - lo);
		if (index < mid)
			hi = mid;
		else
			lo = mid;
	}
	return len;
}

int pv_merkle_inclusion_proof(uint64_t index, uint64_t n, pv_merkle_leaf_fn leaf, void *ctx,
			      uint8_t (*path)[PV_MERKLE_HASH], size_t *path_len)
{
	return pv_merkle_inclusion_proof_with(PV_MERKLE_SHA256, index, n, leaf, ctx, path,
					      path_len);
}

int pv_merkle_inclusion_proof_with(enum pv_merkle_hash h, uint64_t index, uint64_t n,
				   pv_merkle_leaf_fn leaf, void *ctx,
				   uint8_t (*path)[PV_MERKLE_HASH], size_t *path_len)
{
	size_t len = 0;
	*path_len = 0;
	if (index >= n || n > PV_MERKLE_MAX_SIZE)
		return -1;
	for (uint64_t lo = 0, hi = n; hi - lo > 1; len++) {
		uint64_t mid = lo + split(hi - lo);
		int rc;
		if (index < mid) {
			rc = range_root(h, mid, hi, leaf, ctx, path[len]);
			hi = mid;
		} else {
			rc = range_root(h, lo, mid, leaf, ctx, path[len]);
			lo = mid;
		}
		if (rc != 0)
			return -1;
	}
	reverse(path, len);
	*path_len = len;
	return 0;
}

/* The RFC 9162 walk shared by both verifiers: fn and sn are the positions of the current
 * node and of the last node on the current level. One step with sibling p, for an
 * inclusion (fr == NULL) or a consistency proof. Returns -1 when the path is too long. */
static int verify_step(enum pv_merkle_hash h, uint64_t *fn, uint64_t *sn,
		       const uint8_t p[PV_MERKLE_HASH], uint8_t *fr, uint8_t *sr)
{
	if (*sn == 0)
		return -1;
	if ((*fn & 1) || *fn == *sn) {
		/* p is a left sibling (of a right child, or of a last node promoted up). */
		if (fr)
			pv_merkle_node_hash_with(h, p, fr, fr);
		pv_merkle_node_hash_with(h, p, sr, sr);
		while (!(*fn & 1) && *fn != 0) {
			*fn >>= 1;
			*sn >>= 1;
		}
	} else {
		/* p is a right sibling: only in the larger tree. */
		pv_merkle_node_hash_with(h, sr, p, sr);
	}
	*fn >>= 1;
	*sn >>= 1;
	return 0;
}

int pv_merkle_verify_inclusion(uint64_t index, uint64_t n, const uint8_t leaf[PV_MERKLE_HASH],
			       const uint8_t (*path)[PV_MERKLE_HASH], size_t path_len,
			       const uint8_t root[PV_MERKLE_HASH])
{
	return pv_merkle_verify_inclusion_with(PV_MERKLE_SHA256, index, n, leaf, path, path_len,
					       root);
}

int pv_merkle_verify_inclusion_with(enum pv_merkle_hash h, uint64_t index, uint64_t n,
				    const uint8_t leaf[PV_MERKLE_HASH],
				    const uint8_t (*path)[PV_MERKLE_HASH], size_t path_len,
				    const uint8_t root[PV_MERKLE_HASH])
{
	if (index >= n || n > PV_MERKLE_MAX_SIZE || path_len > PV_MERKLE_MAX_PATH)
		return -1;
	uint64_t fn = index, sn = n - 1;
	uint8_t r[PV_MERKLE_HASH];
	memcpy(r, leaf, PV_MERKLE_HASH);
	for (size_t i = 0; i < path_len; i++)
		if (verify_step(h, &fn, &sn, path[i], NULL, r) != 0)
			return -1;
	return sn == 0 && same(r, root) ? 0 : -1;
}

/* PROOF(m, D[n]) = SUBPROOF(m, D[n], true), where SUBPROOF(m, D[m], true) = {},
 * SUBPROOF(m, D[m], false) = {MTH(D[m])}, and for m < n:
 * SUBPROOF(m, D[0:k], b) : MTH(D[k:n]) when m <= k, else
 * SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k]).
 * Walked top-down over [lo, hi) until the old size m is its right end. */
size_t pv_merkle_consistency_path_len(uint64_t m, uint64_t n)
{
	size_t len = 0;
	int whole = 1; /* b: [lo, hi) still starts at leaf 0 */
	uint64_t lo = 0, hi = n;
	if (m == 0 || m >= n)
		return 0;
	for (; m != hi; len++) {
		uint64_t mid = lo + split(hi - lo);
		if (m <= mid) {
			hi = mid;
		} else {
			lo = mid;
			whole = 0;
		}
	}
	return len + !whole;
}

int pv_merkle_consistency_proof(uint64_t m, uint64_t n, pv_merkle_leaf_fn leaf, void *ctx,
				uint8_t (*path)[PV_MERKLE_HASH], size_t *path_len)
{
	return pv_merkle_consistency_proof_with(PV_MERKLE_SHA256, m, n, leaf, ctx, path, path_len);
}

int pv_merkle_consistency_proof_with(enum pv_merkle_hash h, uint64_t m, uint64_t n,
				     pv_merkle_leaf_fn leaf, void *ctx,
				     uint8_t (*path)[PV_MERKLE_HASH], size_t *path_len)
{
	size_t len = 0;
	int whole = 1;
	uint64_t lo = 0, hi = n;
	*path_len = 0;
	if (m > n || n > PV_MERKLE_MAX_SIZE)
		return -1;
	if (m == 0 || m == n)
		return 0;
	for (; m != hi; len++) {
		/* Here lo < m < hi, so hi - lo >= 2. */
		uint64_t mid = lo + split(hi - lo);
		int rc;
		if (m <= mid) {
			rc = range_root(h, mid, hi, leaf, ctx, path[len]);
			hi = mid;
		} else {
			rc = range_root(h, lo, mid, leaf, ctx, path[len]);
			lo = mid;
			whole = 0;
		}
		if (rc != 0)
			return -1;
	}
	if (!whole && range_root(h, lo, hi, leaf, ctx, path[len++]) != 0)
		return -1;
	reverse(path, len);
	*path_len = len;
	return 0;
}

int pv_merkle_verify_consistency(uint64_t m, uint64_t n, const uint8_t old_root[PV_MERKLE_HASH],
				 const uint8_t new_root[PV_MERKLE_HASH],
				 const uint8_t (*path)[PV_MERKLE_HASH], size_t path_len)
{
	return pv_merkle_verify_consistency_with(PV_MERKLE_SHA256, m, n, old_root, new_root, path,
						 path_len);
}

int pv_merkle_verify_consistency_with(enum pv_merkle_hash h, uint64_t m, uint64_t n,
				      const uint8_t old_root[PV_MERKLE_HASH],
				      const uint8_t new_root[PV_MERKLE_HASH],
				      const uint8_t (*path)[PV_MERKLE_HASH], size_t path_len)
{
	if (m > n || n > PV_MERKLE_MAX_SIZE || path_len > PV_MERKLE_MAX_PATH)
		return -1;
	if (m == n)
		return path_len == 0 && same(old_root, new_root) ? 0 : -1;
	if (m == 0) {
		uint8_t empty[PV_MERKLE_HASH];
		pv_merkle_empty_root_with(h, empty);
		return path_len == 0 && same(old_root, empty) ? 0 : -1;
	}
	if (path_len == 0)
		return -1;
	/* When m is a power of two the old tree is a complete subtree of the new one and
	 * the proof leaves out its root: start from old_root instead. */
	size_t i = 0;
	const uint8_t *seed = old_root;
	if (m & (m - 1))
		seed = path[i++];
	uint64_t fn = m - 1, sn = n - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	uint8_t fr[PV_MERKLE_HASH], sr[PV_MERKLE_HASH];
	memcpy(fr, seed, PV_MERKLE_HASH);
	memcpy(sr, seed, PV_MERKLE_HASH);
	for (; i < path_len; i++)
		if (verify_step(h, &fn, &sn, path[i], fr, sr) != 0)
			return -1;
	return sn == 0 && same(fr, old_root) && same(sr, new_root) ? 0 : -1;
}

/* ---- Text format ---- */

/* Each kind's first line, [0] for SHA-256 and [1] for BLAKE2b-256. */
static const char *const inclusion_magic[] = { "pivault-inclusion-proof v1",
					       "pivault-inclusion-proof v2" };
static const char *const consistency_magic[] = { "pivault-consistency-proof v1",
						 "pivault-consistency-proof v2" };

/* 0 if p's kind, sizes and path length are those a parsed proof can have. */
static int proof_shape_ok(const struct pv_merkle_proof *p)
{
	if (p->hash != PV_MERKLE_SHA256 && p->hash != PV_MERKLE_BLAKE2B)
		return -1;
	switch (p->kind) {
	case PV_MERKLE_INCLUSION:
		if (p->index >= p->size || p->size > PV_MERKLE_MAX_SIZE)
			return -1;
		return p->path_len == pv_merkle_inclusion_path_len(p->index, p->size) ? 0 : -1;
	case PV_MERKLE_CONSISTENCY:
		if (p->old_size > p->size || p->size > PV_MERKLE_MAX_SIZE)
			return -1;
		return p->path_len == pv_merkle_consistency_path_len(p->old_size, p->size) ? 0 : -1;
	}
	return -1;
}

/* Append "key <hex of h>\n" at out; returns the characters written. */
static size_t put_hash(char *out, const char *key, const uint8_t h[PV_MERKLE_HASH])
{
	static const char digits[] = "0123456789abcdef";
	size_t k = strlen(key), o = 0;
	memcpy(out, key, k);
	o += k;
	out[o++] = ' ';
	for (size_t i = 0; i < PV_MERKLE_HASH; i++) {
		out[o++] = digits[h[i] >> 4];
		out[o++] = digits[h[i] & 15];
	}
	out[o++] = '\n';
	return o;
}

/* Append "key <decimal v>\n" at out; returns the characters written (at most 31). */
static size_t put_number(char *out, const char *key, uint64_t v)
{
	int w = sprintf(out, "%s %llu\n", key, (unsigned long long)v);
	return w < 0 ? 0 : (size_t)w;
}

char *pv_merkle_proof_to_text(const struct pv_merkle_proof *p)
{
	if (!p || proof_shape_ok(p) != 0)
		return NULL;
	/* Header and four lines under 200 characters; each path line 70. */
	char *out = malloc(256 + p->path_len * (6 + 2 * PV_MERKLE_HASH));
	if (!out)
		return NULL;
	size_t o = 0;
	int inc = p->kind == PV_MERKLE_INCLUSION;
	const char *magic = inc ? inclusion_magic[p->hash] : consistency_magic[p->hash];
	memcpy(out, magic, strlen(magic));
	o += strlen(magic);
	out[o++] = '\n';
	if (inc) {
		o += put_number(out + o, "index", p->index);
		o += put_number(out + o, "size", p->size);
		o += put_hash(out + o, "leaf", p->leaf);
		o += put_hash(out + o, "root", p->root);
	} else {
		o += put_number(out + o, "old-size", p->old_size);
		o += put_number(out + o, "new-size", p->size);
		o += put_hash(out + o, "old-root", p->old_root);
		o += put_hash(out + o, "new-root", p->root);
	}
	for (size_t i = 0; i < p->path_len; i++)
		o += put_hash(out + o, "path", p->path[i]);
	out[o] = '\0';
	return out;
}

/* A read position in the text being parsed. */
struct cursor {
	const char *p, *end;
};

/* The next LF-terminated line (without its LF) into line[0..*len). 0, or -1 at the end
 * or when the rest has no LF. */
static int next_line(struct cursor *c, const char **line, size_t *len)
{
	if (c->p >= c->end)
		return -1;
	const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
	if (!nl)
		return -1;
	*line = c->p;
	*len = (size_t)(nl - c->p);
	c->p = nl + 1;
	return 0;
}

/* The value of the next line if it reads "key <value>": 0, or -1. */
static int next_value(struct cursor *c, const char *key, const char **val, size_t *vlen)
{
	const char *line;
	size_t len, k = strlen(key);
	if (next_line(c, &line, &len) != 0 || len < k + 1 || memcmp(line, key, k) != 0 ||
	    line[k] != ' ')
		return -1;
	*val = line + k + 1;
	*vlen = len - k - 1;
	return 0;
}

/* A decimal number in canonical form, at most PV_MERKLE_MAX_SIZE. 0 or -1. */
static int next_number(struct cursor *c, const char *key, uint64_t *out)
{
	const char *s;
	size_t len;
	uint64_t v = 0;
	if (next_value(c, key, &s, &len) != 0 || len == 0 || len > 20 || (s[0] == '0' && len > 1))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		uint64_t d = (uint64_t)(s[i] - '0');
		if (v > (PV_MERKLE_MAX_SIZE - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* Value of one lower-case hex digit, or -1. */
static int hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* A hash in 64 lower-case hex digits. 0 or -1. */
static int next_hash(struct cursor *c, const char *key, uint8_t out[PV_MERKLE_HASH])
{
	const char *s;
	size_t len;
	if (next_value(c, key, &s, &len) != 0 || len != 2 * PV_MERKLE_HASH)
		return -1;
	for (size_t i = 0; i < PV_MERKLE_HASH; i++) {
		int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* Which of a kind's two first lines line[0..len) is (the hash's number), or -1. */
static int magic_index(const char *const magic[2], const char *line, size_t len)
{
	for (int i = 0; i < 2; i++)
		if (len == strlen(magic[i]) && memcmp(line, magic[i], len) == 0)
			return i;
	return -1;
}

/* Parse into *out, which the caller has zeroed; 0 or -1. */
static int parse_proof(struct cursor *c, struct pv_merkle_proof *out)
{
	const char *line;
	size_t len, want;
	if (next_line(c, &line, &len) != 0)
		return -1;
	int hash = magic_index(inclusion_magic, line, len);
	if (hash >= 0) {
		out->kind = PV_MERKLE_INCLUSION;
		out->hash = (enum pv_merkle_hash)hash;
		if (next_number(c, "index", &out->index) != 0 ||
		    next_number(c, "size", &out->size) != 0 || out->index >= out->size ||
		    next_hash(c, "leaf", out->leaf) != 0 || next_hash(c, "root", out->root) != 0)
			return -1;
		want = pv_merkle_inclusion_path_len(out->index, out->size);
	} else if ((hash = magic_index(consistency_magic, line, len)) >= 0) {
		out->kind = PV_MERKLE_CONSISTENCY;
		out->hash = (enum pv_merkle_hash)hash;
		if (next_number(c, "old-size", &out->old_size) != 0 ||
		    next_number(c, "new-size", &out->size) != 0 || out->old_size > out->size ||
		    next_hash(c, "old-root", out->old_root) != 0 ||
		    next_hash(c, "new-root", out->root) != 0)
			return -1;
		want = pv_merkle_consistency_path_len(out->old_size, out->size);
	} else {
		return -1;
	}
	if (want > PV_MERKLE_MAX_PATH) /* cannot happen within PV_MERKLE_MAX_SIZE */
		return -1;
	for (out->path_len = 0; out->path_len < want; out->path_len++)
		if (next_hash(c, "path", out->path[out->path_len]) != 0)
			return -1;
	return c->p == c->end ? 0 : -1;
}

int pv_merkle_proof_from_text(const char *text, size_t len, struct pv_merkle_proof *out)
{
	memset(out, 0, sizeof *out);
	if (!text)
		return -1;
	struct cursor c = {text, text + len};
	if (parse_proof(&c, out) != 0) {
		memset(out, 0, sizeof *out);
		return -1;
	}
	return 0;
}

int pv_merkle_proof_verify(const struct pv_merkle_proof *p)
{
	if (!p || proof_shape_ok(p) != 0)
		return -1;
	if (p->kind == PV_MERKLE_INCLUSION)
		return pv_merkle_verify_inclusion_with(p->hash, p->index, p->size, p->leaf,
						       (const uint8_t(*)[PV_MERKLE_HASH])p->path,
						       p->path_len, p->root);
	return pv_merkle_verify_consistency_with(p->hash, p->old_size, p->size, p->old_root,
						 p->root,
						 (const uint8_t(*)[PV_MERKLE_HASH])p->path,
						 p->path_len);
}
