/* SPDX-License-Identifier: Apache-2.0 */
/* test_merkle.c: tests of src/merkle.c against a naive recursive reference written here
 * straight from RFC 6962 section 2.1 (MTH, PATH, PROOF), the published Certificate
 * Transparency vectors and the RFC's 7-leaf example, tampered proofs, the streaming
 * builder with its saved state, and the proof text format (round trip, strict parsing,
 * every truncation and many single-byte mutations); and the same construction over
 * BLAKE2b-256 (the audit log's), against a small reference built here with libsodium. */
#include "testutil.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/merkle.h"

#define H	PV_MERKLE_HASH
#define NMAX	70 /* trees of every size 1..NMAX against the reference */
#define NSWEEP	28 /* every pair of claimed sizes up to this */
#define NSTREAM 1000

/* ---- reference implementation (recursive, from the RFC's definitions) ------------- */

/* SHA-256(prefix || a || b) with libsodium directly; prefix < 0 means none. */
static void ref_sha(uint8_t out[H], int prefix, const void *a, size_t alen, const void *b,
		    size_t blen)
{
	crypto_hash_sha256_state st;
	uint8_t p = (uint8_t)prefix;
	crypto_hash_sha256_init(&st);
	if (prefix >= 0)
		crypto_hash_sha256_update(&st, &p, 1);
	if (alen)
		crypto_hash_sha256_update(&st, a, alen);
	if (blen)
		crypto_hash_sha256_update(&st, b, blen);
	crypto_hash_sha256_final(&st, out);
}

/* Largest power of two strictly less than n (n >= 2). */
static size_t ref_k(size_t n)
{
	size_t k = 1;
	while (k * 2 < n)
		k *= 2;
	return k;
}

/* MTH(D[n]) where d holds the leaf hashes. */
static void ref_mth(const uint8_t (*d)[H], size_t n, uint8_t out[H])
{
	if (n == 0) {
		ref_sha(out, -1, NULL, 0, NULL, 0);
		return;
	}
	if (n == 1) {
		memcpy(out, d[0], H);
		return;
	}
	size_t k = ref_k(n);
	uint8_t l[H], r[H];
	ref_mth(d, k, l);
	ref_mth(d + k, n - k, r);
	ref_sha(out, 1, l, H, r, H);
}

/* A reference proof: its hashes, and per hash its role: 'L' a left sibling, 'R' a right
 * sibling, 'S' the starting subtree of a consistency proof; pow2 is set when
 * SUBPROOF ended with b == true (the old root itself is the start). */
struct ref_proof {
	size_t len;
	int pow2;
	uint8_t h[80][H];
	char side[80];
};

/* Append MTH(d[0..n)) (when hashing) with its role. */
static void ref_add(struct ref_proof *p, const uint8_t (*d)[H], size_t n, char side, int hash)
{
	if (hash)
		ref_mth(d, n, p->h[p->len]);
	p->side[p->len++] = side;
}

/* PATH(m, D[n]). */
static void ref_path(size_t m, const uint8_t (*d)[H], size_t n, struct ref_proof *p, int hash)
{
	if (n <= 1)
		return;
	size_t k = ref_k(n);
	if (m < k) {
		ref_path(m, d, k, p, hash);
		ref_add(p, d + k, n - k, 'R', hash);
	} else {
		ref_path(m - k, d + k, n - k, p, hash);
		ref_add(p, d, k, 'L', hash);
	}
}

/* SUBPROOF(m, D[n], b). */
static void ref_subproof(size_t m, const uint8_t (*d)[H], size_t n, int b, struct ref_proof *p,
			 int hash)
{
	if (m == n) {
		if (b)
			p->pow2 = 1;
		else
			ref_add(p, d, n, 'S', hash);
		return;
	}
	size_t k = ref_k(n);
	if (m <= k) {
		ref_subproof(m, d, k, b, p, hash);
		ref_add(p, d + k, n - k, 'R', hash);
	} else {
		ref_subproof(m - k, d + k, n - k, 0, p, hash);
		ref_add(p, d, k, 'L', hash);
	}
}

static void ref_inclusion(size_t m, const uint8_t (*d)[H], size_t n, struct ref_proof *p, int hash)
{
	memset(p, 0, sizeof *p);
	ref_path(m, d, n, p, hash);
}

/* PROOF(m, D[n]) for 0 < m < n; empty otherwise. */
static void ref_consistency(size_t m, const uint8_t (*d)[H], size_t n, struct ref_proof *p,
			    int hash)
{
	memset(p, 0, sizeof *p);
	if (m > 0 && m < n)
		ref_subproof(m, d, n, 1, p, hash);
}

/* The shape a verifier follows: the roles of the hashes in order (and "P" first when the
 * old root is the start). Two size pairs with the same shape verify the same paths. */
static void ref_shape(const struct ref_proof *p, char *out)
{
	size_t o = 0;
	if (p->pow2)
		out[o++] = 'P';
	memcpy(out + o, p->side, p->len);
	out[o + p->len] = '\0';
}

/* ---- fixtures ---------------------------------------------------------------------- */

/* Leaf hashes of NSTREAM distinct entries ("audit entry <i>" and some bytes). */
static uint8_t leaves[NSTREAM][H];
/* Reference roots of the first n leaves, n = 0..NMAX. */
static uint8_t roots[NMAX + 1][H];

static void make_leaves(void)
{
	static int done;
	if (done)
		return;
	for (unsigned i = 0; i < NSTREAM; i++) {
		char data[64];
		int len = snprintf(data, sizeof data, "audit entry %u|%08x", i, i * 2654435761u);
		ref_sha(leaves[i], 0, data, (size_t)len, NULL, 0);
	}
	for (size_t n = 0; n <= NMAX; n++)
		ref_mth((const uint8_t(*)[H])leaves, n, roots[n]);
	done = 1;
}

/* Leaf callback over an array; counts reads and fails at index fail_at. */
struct leaf_src {
	const uint8_t (*d)[H];
	uint64_t n;
	uint64_t reads;
	uint64_t fail_at;
};

static int leaf_cb(void *ctx, uint64_t index, uint8_t out[H])
{
	struct leaf_src *s = ctx;
	if (index >= s->n || index == s->fail_at)
		return -1;
	s->reads++;
	memcpy(out, s->d[index], H);
	return 0;
}

static struct leaf_src src_of(const uint8_t (*d)[H], uint64_t n)
{
	struct leaf_src s = {d, n, 0, UINT64_MAX};
	return s;
}

static void unhex(const char *hex, uint8_t *out)
{
	size_t len = strlen(hex);
	assert_int_equal(sodium_hex2bin(out, len / 2, hex, len, NULL, NULL, NULL), 0);
}

/* Lower-case hex of a hash. */
static void tohex(char out[2 * H + 1], const uint8_t h[H])
{
	sodium_bin2hex(out, 2 * H + 1, h, H);
}

/* verify_inclusion / verify_consistency on a plain path array. */
static int vinc(uint64_t i, uint64_t n, const uint8_t *leaf, uint8_t (*path)[H], size_t len,
		const uint8_t *root)
{
	return pv_merkle_verify_inclusion(i, n, leaf, (const uint8_t(*)[H])path, len, root);
}

static int vcons(uint64_t m, uint64_t n, const uint8_t *o, const uint8_t *r, uint8_t (*path)[H],
		 size_t len)
{
	return pv_merkle_verify_consistency(m, n, o, r, (const uint8_t(*)[H])path, len);
}

/* ---- hashes and published vectors -------------------------------------------------- */

/* The CT test leaves (certificate-transparency / transparency-dev test data). */
static const char *const ct_data_hex[8] = {
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
};
static const char *const ct_roots_hex[9] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static void ct_leaves(uint8_t out[8][H])
{
	for (int i = 0; i < 8; i++) {
		uint8_t data[16];
		size_t len = strlen(ct_data_hex[i]) / 2;
		if (len)
			unhex(ct_data_hex[i], data);
		pv_merkle_leaf_hash(data, len, out[i]);
	}
}

static void test_ct_vectors(void **state)
{
	(void)state;
	uint8_t d[8][H], want[H], got[H];
	ct_leaves(d);

	/* Empty tree, leaf and node hashes. */
	pv_merkle_empty_root(got);
	unhex(ct_roots_hex[0], want);
	assert_memory_equal(got, want, H);
	pv_merkle_leaf_hash(NULL, 0, got);
	unhex(ct_roots_hex[1], want);
	assert_memory_equal(got, want, H);
	uint8_t node[H];
	ref_sha(node, 1, d[0], H, d[1], H);
	pv_merkle_node_hash(d[0], d[1], got);
	assert_memory_equal(got, node, H);
	unhex(ct_roots_hex[2], want);
	assert_memory_equal(got, want, H);

	/* Roots of sizes 0..8, by pv_merkle_root and by the streaming builder. */
	struct pv_merkle_stream s;
	pv_merkle_stream_init(&s);
	for (uint64_t n = 0; n <= 8; n++) {
		struct leaf_src src = src_of((const uint8_t(*)[H])d, 8);
		unhex(ct_roots_hex[n], want);
		assert_int_equal(pv_merkle_root(n, leaf_cb, &src, got), 0);
		assert_memory_equal(got, want, H);
		assert_int_equal(src.reads, n);
		pv_merkle_stream_root(&s, got);
		assert_memory_equal(got, want, H);
		if (n < 8) {
			uint8_t data[16];
			size_t len = strlen(ct_data_hex[n]) / 2;
			if (len)
				unhex(ct_data_hex[n], data);
			assert_int_equal(pv_merkle_stream_push_data(&s, data, len), 0);
		}
	}

	/* Published inclusion and consistency proofs in the 8-leaf tree. */
	static const struct {
		int kind; /* 0 inclusion (a = index), 1 consistency (a = old size) */
		uint64_t a, n;
		size_t len;
		const char *path[3];
	} vec[] = {
	    {0,
	     0,
	     8,
	     3,
	     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
	    {0,
	     5,
	     8,
	     3,
	     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
	      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
	    {1,
	     1,
	     8,
	     3,
	     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
	    {1,
	     2,
	     8,
	     2,
	     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
	    {1,
	     6,
	     8,
	     3,
	     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
	};
	for (size_t v = 0; v < sizeof vec / sizeof vec[0]; v++) {
		uint8_t path[PV_MERKLE_MAX_PATH][H], root_a[H], root_n[H];
		size_t len = 99;
		struct leaf_src src = src_of((const uint8_t(*)[H])d, 8);
		unhex(ct_roots_hex[vec[v].n], root_n);
		if (vec[v].kind == 0)
			assert_int_equal(pv_merkle_inclusion_proof(vec[v].a, vec[v].n, leaf_cb,
								   &src, path, &len),
					 0);
		else
			assert_int_equal(pv_merkle_consistency_proof(vec[v].a, vec[v].n, leaf_cb,
								     &src, path, &len),
					 0);
		assert_int_equal(len, vec[v].len);
		for (size_t j = 0; j < len; j++) {
			unhex(vec[v].path[j], want);
			assert_memory_equal(path[j], want, H);
		}
		if (vec[v].kind == 0) {
			assert_int_equal(vinc(vec[v].a, vec[v].n, d[vec[v].a], path, len, root_n),
					 0);
		} else {
			unhex(ct_roots_hex[vec[v].a], root_a);
			assert_int_equal(vcons(vec[v].a, vec[v].n, root_a, root_n, path, len), 0);
		}
	}
}

/* RFC 6962 section 2.1.3: the 7-leaf tree, its audit paths and consistency proofs, with
 * the nodes named as in the RFC's figures. */
static void test_rfc6962_example(void **state)
{
	(void)state;
	make_leaves();
	const uint8_t(*d)[H] = (const uint8_t(*)[H])leaves;
	uint8_t a[H], b[H], c[H], dd[H], e[H], f[H], g[H], h[H], i[H], j[H], k[H], l[H], top[H];
	memcpy(a, d[0], H);
	memcpy(b, d[1], H);
	memcpy(c, d[2], H);
	memcpy(dd, d[3], H);
	memcpy(e, d[4], H);
	memcpy(f, d[5], H);
	memcpy(j, d[6], H); /* d6 is promoted: j is its leaf hash */
	pv_merkle_node_hash(a, b, g);
	pv_merkle_node_hash(c, dd, h);
	pv_merkle_node_hash(e, f, i);
	pv_merkle_node_hash(g, h, k);
	pv_merkle_node_hash(i, j, l);
	pv_merkle_node_hash(k, l, top);

	uint8_t got[H];
	struct leaf_src src = src_of(d, 7);
	assert_int_equal(pv_merkle_root(7, leaf_cb, &src, got), 0);
	assert_memory_equal(got, top, H);

	struct {
		uint64_t idx;
		size_t len;
		const uint8_t *p[4];
	} inc[] = {
	    {0, 3, {b, h, l}},
	    {3, 3, {c, g, l}},
	    {4, 3, {f, j, k}},
	    {6, 2, {i, k}},
	};
	for (size_t t = 0; t < 4; t++) {
		uint8_t path[PV_MERKLE_MAX_PATH][H];
		size_t len;
		assert_int_equal(
		    pv_merkle_inclusion_proof(inc[t].idx, 7, leaf_cb, &src, path, &len), 0);
		assert_int_equal(len, inc[t].len);
		for (size_t x = 0; x < len; x++)
			assert_memory_equal(path[x], inc[t].p[x], H);
		assert_int_equal(vinc(inc[t].idx, 7, d[inc[t].idx], path, len, top), 0);
	}

	/* hash0 = tree of 3 (d0..d2), hash1 = tree of 4 (k), hash2 = tree of 6. */
	uint8_t hash0[H], hash2[H];
	pv_merkle_node_hash(g, c, hash0);
	pv_merkle_node_hash(k, i, hash2);
	struct {
		uint64_t m;
		const uint8_t *old;
		size_t len;
		const uint8_t *p[4];
	} con[] = {
	    {3, hash0, 4, {c, dd, g, l}},
	    {4, k, 1, {l}},
	    {6, hash2, 3, {i, j, k}},
	};
	for (size_t t = 0; t < 3; t++) {
		uint8_t path[PV_MERKLE_MAX_PATH][H];
		size_t len;
		assert_int_equal(
		    pv_merkle_consistency_proof(con[t].m, 7, leaf_cb, &src, path, &len), 0);
		assert_int_equal(len, con[t].len);
		for (size_t x = 0; x < len; x++)
			assert_memory_equal(path[x], con[t].p[x], H);
		assert_int_equal(vcons(con[t].m, 7, con[t].old, top, path, len), 0);
	}
}

/* ---- inclusion against the reference ----------------------------------------------- */

static void test_inclusion_matches_reference(void **state)
{
	(void)state;
	make_leaves();
	const uint8_t(*d)[H] = (const uint8_t(*)[H])leaves;
	unsigned long checked = 0;
	for (uint64_t n = 1; n <= NMAX; n++) {
		uint8_t root[H];
		struct leaf_src src = src_of(d, n);
		assert_int_equal(pv_merkle_root(n, leaf_cb, &src, root), 0);
		assert_memory_equal(root, roots[n], H);
		for (uint64_t i = 0; i < n; i++) {
			struct ref_proof ref;
			uint8_t path[PV_MERKLE_MAX_PATH][H];
			size_t len = 99;
			ref_inclusion(i, d, n, &ref, 1);
			src.reads = 0;
			assert_int_equal(pv_merkle_inclusion_proof(i, n, leaf_cb, &src, path, &len),
					 0);
			assert_int_equal(src.reads, n - 1);
			assert_int_equal(len, ref.len);
			assert_int_equal(len, pv_merkle_inclusion_path_len(i, n));
			for (size_t x = 0; x < len; x++)
				assert_memory_equal(path[x], ref.h[x], H);
			assert_int_equal(vinc(i, n, d[i], path, len, roots[n]), 0);
			checked++;
		}
	}
	assert_int_equal(checked, NMAX * (NMAX + 1) / 2);
}

static void test_inclusion_tampering(void **state)
{
	(void)state;
	make_leaves();
	const uint8_t(*d)[H] = (const uint8_t(*)[H])leaves;
	for (uint64_t n = 1; n <= NMAX; n++) {
		struct leaf_src src = src_of(d, n);
		for (uint64_t i = 0; i < n; i++) {
			uint8_t path[PV_MERKLE_MAX_PATH + 1][H], bad[H];
			size_t len;
			assert_int_equal(pv_merkle_inclusion_proof(i, n, leaf_cb, &src, path, &len),
					 0);

			/* A flipped bit in any path element (every bit in small trees). */
			for (size_t x = 0; x < len; x++) {
				for (unsigned bit = 0; bit < 8 * H; bit++) {
					if (n > 12 && bit != (x * 37 + i * 11) % (8 * H))
						continue;
					path[x][bit / 8] ^= (uint8_t)(1u << (bit % 8));
					assert_int_equal(vinc(i, n, d[i], path, len, roots[n]), -1);
					path[x][bit / 8] ^= (uint8_t)(1u << (bit % 8));
				}
			}
			/* Every wrong index; out-of-range indices. */
			for (uint64_t w = 0; w < n + 2; w++)
				if (w != i)
					assert_int_equal(vinc(w, n, d[i], path, len, roots[n]), -1);
			assert_int_equal(vinc(UINT64_MAX, n, d[i], path, len, roots[n]), -1);
			/* Wrong leaf, wrong root. */
			memcpy(bad, d[i], H);
			bad[5] ^= 0x40;
			assert_int_equal(vinc(i, n, bad, path, len, roots[n]), -1);
			memcpy(bad, roots[n], H);
			bad[31] ^= 0x01;
			assert_int_equal(vinc(i, n, d[i], path, len, bad), -1);
			/* Truncated (at the end and at the start), extra elements. */
			if (len > 0) {
				assert_int_equal(vinc(i, n, d[i], path, len - 1, roots[n]), -1);
				assert_int_equal(vinc(i, n, d[i], path + 1, len - 1, roots[n]), -1);
			}
			memset(path[len], 0xab, H);
			assert_int_equal(vinc(i, n, d[i], path, len + 1, roots[n]), -1);
			memcpy(path[len], roots[n], H);
			assert_int_equal(vinc(i, n, d[i], path, len + 1, roots[n]), -1);
			/* Elements swapped. */
			if (len >= 2) {
				memcpy(bad, path[0], H);
				memcpy(path[0], path[1], H);
				memcpy(path[1], bad, H);
				assert_int_equal(vinc(i, n, d[i], path, len, roots[n]), -1);
			}
			/* Size zero, sizes out of range, overlong path. */
			assert_int_equal(vinc(0, 0, d[i], path, 0, roots[0]), -1);
			assert_int_equal(vinc(i, PV_MERKLE_MAX_SIZE + 1, d[i], path, len, roots[n]),
					 -1);
		}
	}
	/* A single-leaf tree: the root is the leaf hash, the path empty. */
	uint8_t none[1][H];
	assert_int_equal(vinc(0, 1, leaves[0], none, 0, leaves[0]), 0);
	assert_int_equal(vinc(0, 1, leaves[0], none, 0, leaves[1]), -1);
	assert_int_equal(vinc(1, 1, leaves[0], none, 0, leaves[0]), -1);
	uint8_t many[PV_MERKLE_MAX_PATH + 1][H];
	memset(many, 7, sizeof many);
	assert_int_equal(
	    vinc(0, PV_MERKLE_MAX_SIZE, leaves[0], many, PV_MERKLE_MAX_PATH + 1, roots[1]), -1);
	assert_int_equal(
	    vinc(PV_MERKLE_MAX_SIZE - 1, PV_MERKLE_MAX_SIZE, leaves[0], many, 63, roots[1]), -1);
}

/* A wrong size: against the true root of the claimed size a proof always fails; against
 * its own root it verifies exactly when the claimed size gives the audit path the same
 * shape (a root does not commit to its size, which is why checkpoints pair the two). */
static void test_inclusion_wrong_size(void **state)
{
	(void)state;
	make_leaves();
	const uint8_t(*d)[H] = (const uint8_t(*)[H])leaves;
	unsigned long same_shape = 0;
	for (uint64_t n = 1; n <= NMAX; n++) {
		struct leaf_src src = src_of(d, n);
		for (uint64_t i = 0; i < n; i++) {
			uint8_t path[PV_MERKLE_MAX_PATH][H];
			size_t len;
			struct ref_proof ref;
			char shape[90], other[90];
			assert_int_equal(pv_merkle_inclusion_proof(i, n, leaf_cb, &src, path, &len),
					 0);
			ref_inclusion(i, d, n, &ref, 0);
			ref_shape(&ref, shape);
			for (uint64_t w = 1; w <= NMAX; w++) {
				if (w == n)
					continue;
				if (i >= w) {
					assert_int_equal(vinc(i, w, d[i], path, len, roots[n]), -1);
					continue;
				}
				assert_int_equal(vinc(i, w, d[i], path, len, roots[w]), -1);
				ref_inclusion(i, d, w, &ref, 0);
				ref_shape(&ref, other);
				int want = strcmp(shape, other) == 0 ? 0 : -1;
				same_shape += want == 0;
				assert_int_equal(vinc(i, w, d[i], path, len, roots[n]), want);
			}
		}
	}
	assert_true(same_shape > 0); /* e.g. leaf 0 of 3 claimed in a tree of 4 */
}

/* ---- consistency against the reference --------------------------------------------- */

static void test_consistency_matches_reference(void **state)
{
	(void)state;
	make_leaves();
	const uint8_t(*d)[H] = (const uint8_t(*)[H])leaves;
	for (uint64_t n = 1; n <= NMAX; n++) {
		struct leaf_src src = src_of(d, n);
		for (uint64_t m = 0; m <= n; m++) {
			struct ref_proof ref;
			uint8_t path[PV_MERKLE_MAX_PATH][H];
			size_t len = 99;
			ref_consistency(m, d, n, &ref, 1);
			src.reads = 0;
			assert_int_equal(
			    pv_merkle_consistency_proof(m, n, leaf_cb, &src, path, &len), 0);
			assert_true(src.reads <= n);
			assert_int_equal(len, ref.len);
			assert_int_equal(len, pv_merkle_consistency_path_len(m, n));
			for (size_t x = 0; x < len; x++)
				assert_memory_equal(path[x], ref.h[x], H);
			assert_int_equal(vcons(m, n, roots[m], roots[n], path, len), 0);
		}
	}
}

static void test_consistency_tampering(void **state)
{
	(void)state;
	make_leaves();
	const uint8_t(*d)[H] = (const uint8_t(*)[H])leaves;
	for (uint64_t n = 1; n <= NMAX; n++) {
		struct leaf_src src = src_of(d, n);
		for (uint64_t m = 1; m < n; m++) {
			uint8_t path[PV_MERKLE_MAX_PATH + 1][H], bad[H];
			size_t len;
			assert_int_equal(
			    pv_merkle_consistency_proof(m, n, leaf_cb, &src, path, &len), 0);
			assert_true(len > 0);
			for (size_t x = 0; x < len; x++) {
				for (unsigned bit = 0; bit < 8 * H; bit++) {
					if (n > 12 && bit != (x * 41 + m * 7) % (8 * H))
						continue;
					path[x][bit / 8] ^= (uint8_t)(1u << (bit % 8));
					assert_int_equal(vcons(m, n, roots[m], roots[n], path, len),
							 -1);
					path[x][bit / 8] ^= (uint8_t)(1u << (bit % 8));
				}
			}
			/* Wrong roots, swapped roots, sizes swapped (m > n). */
			memcpy(bad, roots[m], H);
			bad[0] ^= 0x80;
			assert_int_equal(vcons(m, n, bad, roots[n], path, len), -1);
			memcpy(bad, roots[n], H);
			bad[17] ^= 0x02;
			assert_int_equal(vcons(m, n, roots[m], bad, path, len), -1);
			assert_int_equal(vcons(m, n, roots[n], roots[m], path, len), -1);
			assert_int_equal(vcons(n, m, roots[n], roots[m], path, len), -1);
			assert_int_equal(vcons(n, m, roots[m], roots[n], path, len), -1);
			/* Truncated, shifted, extended, empty. */
			assert_int_equal(vcons(m, n, roots[m], roots[n], path, len - 1), -1);
			assert_int_equal(vcons(m, n, roots[m], roots[n], path + 1, len - 1), -1);
			assert_int_equal(vcons(m, n, roots[m], roots[n], path, 0), -1);
			memset(path[len], 0xcd, H);
			assert_int_equal(vcons(m, n, roots[m], roots[n], path, len + 1), -1);
			memcpy(path[len], roots[m], H);
			assert_int_equal(vcons(m, n, roots[m], roots[n], path, len + 1), -1);
			if (len >= 2) {
				memcpy(bad, path[0], H);
				memcpy(path[0], path[1], H);
				memcpy(path[1], bad, H);
				assert_int_equal(vcons(m, n, roots[m], roots[n], path, len), -1);
			}
			/* m == n and m == 0 never take a path. */
			assert_int_equal(vcons(n, n, roots[n], roots[n], path, len), -1);
			assert_int_equal(vcons(0, n, roots[0], roots[n], path, len), -1);
		}
	}
}

/* The degenerate sizes, as pv_merkle_verify_consistency defines them. */
static void test_consistency_degenerate(void **state)
{
	(void)state;
	make_leaves();
	const uint8_t(*d)[H] = (const uint8_t(*)[H])leaves;
	uint8_t path[PV_MERKLE_MAX_PATH][H];
	size_t len = 99;
	struct leaf_src src = src_of(d, NMAX);

	/* m == n: empty proof, valid iff the roots are equal. */
	for (uint64_t n = 0; n <= 9; n++) {
		assert_int_equal(pv_merkle_consistency_proof(n, n, leaf_cb, &src, path, &len), 0);
		assert_int_equal(len, 0);
		assert_int_equal(vcons(n, n, roots[n], roots[n], path, 0), 0);
		assert_int_equal(vcons(n, n, roots[n], roots[n + 1], path, 0), -1);
	}
	/* m == 0: empty proof, valid iff old_root is the empty root (any new root). */
	src.reads = 0;
	assert_int_equal(pv_merkle_consistency_proof(0, 9, leaf_cb, &src, path, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(src.reads, 0);
	assert_int_equal(vcons(0, 9, roots[0], roots[9], path, 0), 0);
	assert_int_equal(vcons(0, 9, roots[1], roots[9], path, 0), -1);
	assert_int_equal(vcons(0, 9, roots[9], roots[9], path, 0), -1);
	memcpy(path[0], roots[9], H);
	assert_int_equal(vcons(0, 9, roots[0], roots[9], path, 1), -1);
	assert_int_equal(vcons(0, 0, roots[0], roots[0], path, 0), 0);
	assert_int_equal(vcons(0, 0, roots[0], roots[1], path, 0), -1);

	/* m > n, sizes out of range. */
	assert_int_equal(pv_merkle_consistency_proof(5, 4, leaf_cb, &src, path, &len), -1);
	assert_int_equal(len, 0);
	assert_int_equal(vcons(5, 4, roots[5], roots[4], path, 0), -1);
	assert_int_equal(
	    pv_merkle_consistency_proof(1, PV_MERKLE_MAX_SIZE + 1, leaf_cb, &src, path, &len), -1);
	assert_int_equal(
	    vcons(PV_MERKLE_MAX_SIZE + 1, PV_MERKLE_MAX_SIZE + 1, roots[1], roots[1], path, 0), -1);
	uint8_t many[PV_MERKLE_MAX_PATH + 1][H];
	memset(many, 3, sizeof many);
	assert_int_equal(
	    vcons(3, PV_MERKLE_MAX_SIZE, roots[3], roots[4], many, PV_MERKLE_MAX_PATH + 1), -1);
	assert_int_equal(vcons(PV_MERKLE_MAX_SIZE - 1, PV_MERKLE_MAX_SIZE, roots[3], roots[4], many,
			       PV_MERKLE_MAX_PATH),
			 -1);
	assert_int_equal(vcons(UINT64_MAX, UINT64_MAX, roots[3], roots[3], many, 0), -1);
}

/* Claimed sizes (m', n') other than the proof's: against the claimed sizes' true roots
 * always invalid; against the proof's own roots valid exactly when the verifier's walk
 * for (m', n') has the same shape as for (m, n). */
static void test_consistency_wrong_sizes(void **state)
{
	(void)state;
	make_leaves();
	const uint8_t(*d)[H] = (const uint8_t(*)[H])leaves;
	static char shapes[NSWEEP + 1][NSWEEP + 1][90];
	for (size_t n = 1; n <= NSWEEP; n++)
		for (size_t m = 1; m < n; m++) {
			struct ref_proof ref;
			ref_consistency(m, d, n, &ref, 0);
			ref_shape(&ref, shapes[m][n]);
		}
	unsigned long same_shape = 0;
	for (uint64_t n = 2; n <= NSWEEP; n++) {
		struct leaf_src src = src_of(d, n);
		for (uint64_t m = 1; m < n; m++) {
			uint8_t path[PV_MERKLE_MAX_PATH][H];
			size_t len;
			assert_int_equal(
			    pv_merkle_consistency_proof(m, n, leaf_cb, &src, path, &len), 0);
			for (uint64_t n2 = 2; n2 <= NSWEEP; n2++)
				for (uint64_t m2 = 1; m2 < n2; m2++) {
					if (m2 == m && n2 == n)
						continue;
					assert_int_equal(
					    vcons(m2, n2, roots[m2], roots[n2], path, len), -1);
					int want =
					    strcmp(shapes[m][n], shapes[m2][n2]) == 0 ? 0 : -1;
					same_shape += want == 0;
					assert_int_equal(
					    vcons(m2, n2, roots[m], roots[n], path, len), want);
				}
		}
	}
	assert_true(same_shape > 0);
}

/* ---- streaming builder ------------------------------------------------------------- */

static void test_stream(void **state)
{
	(void)state;
	make_leaves();
	const uint8_t(*d)[H] = (const uint8_t(*)[H])leaves;
	struct pv_merkle_stream s, t;
	uint8_t buf[PV_MERKLE_STATE_MAX], got[H], want[H];
	pv_merkle_stream_init(&s);
	for (uint64_t n = 0; n <= NSTREAM; n++) {
		struct leaf_src src = src_of(d, n);
		assert_int_equal(pv_merkle_root(n, leaf_cb, &src, want), 0);
		assert_int_equal(s.size, n);
		pv_merkle_stream_root(&s, got);
		assert_memory_equal(got, want, H);
		if (n <= NMAX)
			assert_memory_equal(got, roots[n], H);

		/* Save and restore; carry on with the restored copy every other time. */
		size_t len = pv_merkle_stream_save(&s, buf);
		unsigned bits = 0;
		for (uint64_t x = n; x; x >>= 1)
			bits += x & 1;
		assert_int_equal(len, 8 + 32 * bits);
		assert_int_equal(pv_merkle_stream_load(&t, buf, len), 0);
		pv_merkle_stream_root(&t, got);
		assert_memory_equal(got, want, H);
		assert_int_equal(pv_merkle_stream_load(&t, buf, len + 1), -1);
		assert_int_equal(t.size, 0);
		if (len > 8)
			assert_int_equal(pv_merkle_stream_load(&t, buf, len - 1), -1);
		assert_int_equal(pv_merkle_stream_load(&t, buf, len), 0);
		if (n % 2)
			s = t;
		if (n < NSTREAM)
			assert_int_equal(pv_merkle_stream_push(&s, d[n]), 0);
	}

	/* Malformed states. */
	memset(buf, 0, sizeof buf);
	assert_int_equal(pv_merkle_stream_load(&t, buf, 7), -1);
	assert_int_equal(pv_merkle_stream_load(&t, NULL, 0), -1);
	assert_int_equal(pv_merkle_stream_load(&t, buf, 8), 0); /* the empty tree */
	pv_merkle_stream_root(&t, got);
	assert_memory_equal(got, roots[0], H);
	buf[7] = 1; /* size 1 needs one root */
	assert_int_equal(pv_merkle_stream_load(&t, buf, 8), -1);
	assert_int_equal(pv_merkle_stream_load(&t, buf, 40), 0);
	memset(buf, 0xff, 8); /* size 2^64 - 1: over the limit */
	assert_int_equal(pv_merkle_stream_load(&t, buf, 8 + 64 * 32), -1);
	memset(buf, 0, 8);
	buf[0] = 0x80; /* exactly 2^63: allowed, but full */
	assert_int_equal(pv_merkle_stream_load(&t, buf, 40), 0);
	assert_int_equal(t.size, PV_MERKLE_MAX_SIZE);
	assert_int_equal(pv_merkle_stream_push(&t, d[0]), -1);
	assert_int_equal(t.size, PV_MERKLE_MAX_SIZE);
	buf[7] = 1; /* 2^63 + 1 */
	assert_int_equal(pv_merkle_stream_load(&t, buf, 72), -1);

	/* 2^63 - 1 leaves: 63 pending roots; one more push folds them all into one. */
	memset(buf, 0xff, 8);
	buf[0] = 0x7f;
	for (unsigned r = 0; r < 63; r++)
		memcpy(buf + 8 + 32 * r, d[r], H);
	assert_int_equal(pv_merkle_stream_load(&t, buf, 8 + 63 * 32), 0);
	assert_int_equal(t.count, 63);
	uint8_t expect[H];
	memcpy(expect, d[63], H);
	for (unsigned r = 63; r-- > 0;)
		ref_sha(expect, 1, d[r], H, expect, H);
	assert_int_equal(pv_merkle_stream_push(&t, d[63]), 0);
	assert_int_equal(t.count, 1);
	pv_merkle_stream_root(&t, got);
	assert_memory_equal(got, expect, H);
}

/* ---- bounds and failing callbacks -------------------------------------------------- */

static void test_errors_and_bounds(void **state)
{
	(void)state;
	make_leaves();
	const uint8_t(*d)[H] = (const uint8_t(*)[H])leaves;
	uint8_t path[PV_MERKLE_MAX_PATH][H], out[H];
	size_t len;

	/* A failing leaf read aborts every computation. */
	for (uint64_t fail = 0; fail < 20; fail++) {
		struct leaf_src src = src_of(d, 20);
		src.fail_at = fail;
		assert_int_equal(pv_merkle_root(20, leaf_cb, &src, out), -1);
		for (uint64_t i = 0; i < 20; i++) {
			len = 99;
			int rc = pv_merkle_inclusion_proof(i, 20, leaf_cb, &src, path, &len);
			assert_int_equal(rc, i == fail ? 0 : -1); /* its own leaf is not read */
			if (rc)
				assert_int_equal(len, 0);
		}
		for (uint64_t m = 1; m < 20; m++) {
			len = 99;
			/* Leaves from m on are read only where a subtree crosses m... */
			int rc = pv_merkle_consistency_proof(m, 20, leaf_cb, &src, path, &len);
			if (rc)
				assert_int_equal(len, 0);
		}
		len = 99;
		assert_int_equal(pv_merkle_consistency_proof(1, 20, leaf_cb, &src, path, &len),
				 fail == 0 ? 0 : -1);
	}

	/* Bad arguments. */
	struct leaf_src src = src_of(d, 20);
	assert_int_equal(pv_merkle_inclusion_proof(0, 0, leaf_cb, &src, path, &len), -1);
	assert_int_equal(pv_merkle_inclusion_proof(20, 20, leaf_cb, &src, path, &len), -1);
	assert_int_equal(
	    pv_merkle_inclusion_proof(0, PV_MERKLE_MAX_SIZE + 1, leaf_cb, &src, path, &len), -1);
	assert_int_equal(pv_merkle_root(PV_MERKLE_MAX_SIZE + 1, leaf_cb, &src, out), -1);
	assert_int_equal(pv_merkle_root(0, leaf_cb, &src, out), 0);
	assert_memory_equal(out, roots[0], H);

	/* Path lengths at the largest size stay within PV_MERKLE_MAX_PATH. */
	const uint64_t big = PV_MERKLE_MAX_SIZE;
	assert_int_equal(pv_merkle_inclusion_path_len(0, big), 63);
	assert_int_equal(pv_merkle_inclusion_path_len(big - 1, big), 63);
	assert_int_equal(pv_merkle_inclusion_path_len(0, big - 1), 63);
	assert_int_equal(pv_merkle_inclusion_path_len(big - 2, big - 1), 62);
	assert_int_equal(pv_merkle_inclusion_path_len(5, 5), 0);
	assert_int_equal(pv_merkle_consistency_path_len(big - 1, big), 64);
	assert_int_equal(pv_merkle_consistency_path_len(1, big), 63);
	assert_int_equal(pv_merkle_consistency_path_len(big / 2, big), 1);
	assert_int_equal(pv_merkle_consistency_path_len(0, big), 0);
	assert_int_equal(pv_merkle_consistency_path_len(big, big), 0);
	assert_int_equal(pv_merkle_consistency_path_len(4, 3), 0);
	uint64_t x = 0x9e3779b97f4a7c15u;
	for (int r = 0; r < 10000; r++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		uint64_t n = (x >> (x & 63)) % big + 1, m = (x * 31) % n;
		assert_true(pv_merkle_inclusion_path_len(m, n) <= 63);
		assert_true(pv_merkle_consistency_path_len(m, n) <= PV_MERKLE_MAX_PATH);
	}
}

/* ---- text format ------------------------------------------------------------------- */

/* Parse text[0..len) from an exact-size heap copy, so any overread shows under ASan. */
static int parse_exact(const char *text, size_t len, struct pv_merkle_proof *out)
{
	char *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	memcpy(copy, text, len);
	int rc = pv_merkle_proof_from_text(copy, len, out);
	free(copy);
	return rc;
}

/* The proof of the given kind for (a, n) over the test leaves. */
static void make_proof(int consistency, uint64_t a, uint64_t n, struct pv_merkle_proof *p)
{
	struct leaf_src src = src_of((const uint8_t(*)[H])leaves, n);
	memset(p, 0, sizeof *p);
	p->size = n;
	memcpy(p->root, roots[n], H);
	if (consistency) {
		p->kind = PV_MERKLE_CONSISTENCY;
		p->old_size = a;
		memcpy(p->old_root, roots[a], H);
		assert_int_equal(
		    pv_merkle_consistency_proof(a, n, leaf_cb, &src, p->path, &p->path_len), 0);
	} else {
		p->kind = PV_MERKLE_INCLUSION;
		p->index = a;
		memcpy(p->leaf, leaves[a], H);
		assert_int_equal(
		    pv_merkle_inclusion_proof(a, n, leaf_cb, &src, p->path, &p->path_len), 0);
	}
}

static void test_text_round_trip(void **state)
{
	(void)state;
	make_leaves();
	for (int kind = 0; kind < 2; kind++)
		for (uint64_t n = 1; n <= 20; n++)
			for (uint64_t a = 0; a < n + kind; a++) {
				struct pv_merkle_proof p, q;
				make_proof(kind, a, n, &p);
				assert_int_equal(pv_merkle_proof_verify(&p), 0);
				char *text = pv_merkle_proof_to_text(&p);
				assert_non_null(text);
				assert_int_equal(parse_exact(text, strlen(text), &q), 0);
				assert_memory_equal(&p, &q, sizeof p);
				assert_int_equal(pv_merkle_proof_verify(&q), 0);
				if (kind == 0 || a > 0) { /* m == 0 fits any new root */
					q.root[3] ^= 1;
					assert_int_equal(pv_merkle_proof_verify(&q), -1);
					q.root[3] ^= 1;
				}
				q.leaf[0] ^= (uint8_t)(kind == 0);
				q.old_root[0] ^= (uint8_t)(kind == 1);
				assert_int_equal(pv_merkle_proof_verify(&q), -1);
				free(text);
			}

	/* The exact text of one proof of each kind (RFC 6962's tree of 7, leaf 6). */
	struct pv_merkle_proof p;
	make_proof(0, 6, 7, &p);
	char *text = pv_merkle_proof_to_text(&p);
	char want[512], hx[4][65];
	tohex(hx[0], leaves[6]);
	tohex(hx[1], roots[7]);
	tohex(hx[2], p.path[0]);
	tohex(hx[3], p.path[1]);
	snprintf(want, sizeof want,
		 "pivault-inclusion-proof v1\nindex 6\nsize 7\nleaf %s\nroot %s\npath %s\n"
		 "path %s\n",
		 hx[0], hx[1], hx[2], hx[3]);
	assert_string_equal(text, want);
	free(text);
	make_proof(1, 4, 7, &p);
	text = pv_merkle_proof_to_text(&p);
	tohex(hx[0], roots[4]);
	tohex(hx[1], roots[7]);
	tohex(hx[2], p.path[0]);
	snprintf(want, sizeof want,
		 "pivault-consistency-proof v1\nold-size 4\nnew-size 7\nold-root %s\n"
		 "new-root %s\npath %s\n",
		 hx[0], hx[1], hx[2]);
	assert_string_equal(text, want);
	free(text);

	/* Degenerate consistency proofs print with no path lines. */
	make_proof(1, 0, 5, &p);
	text = pv_merkle_proof_to_text(&p);
	assert_non_null(strstr(text, "old-size 0\nnew-size 5\n"));
	assert_null(strstr(text, "path"));
	free(text);

	/* What cannot be parsed back is not printed. */
	make_proof(0, 3, 9, &p);
	p.path_len--;
	assert_null(pv_merkle_proof_to_text(&p));
	assert_int_equal(pv_merkle_proof_verify(&p), -1);
	p.path_len++;
	p.index = 9;
	assert_null(pv_merkle_proof_to_text(&p));
	p.index = 3;
	p.kind = 0;
	assert_null(pv_merkle_proof_to_text(&p));
	assert_int_equal(pv_merkle_proof_verify(&p), -1);
	assert_null(pv_merkle_proof_to_text(NULL));
	make_proof(1, 3, 9, &p);
	p.old_size = 10;
	assert_null(pv_merkle_proof_to_text(&p));
}

/* Replace the first occurrence of from in text by to; returns a malloc'd string. */
static char *replace(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	assert_non_null(at);
	size_t pre = (size_t)(at - text), fl = strlen(from), tl = strlen(to);
	char *out = malloc(strlen(text) - fl + tl + 1);
	assert_non_null(out);
	memcpy(out, text, pre);
	memcpy(out + pre, to, tl);
	strcpy(out + pre + tl, at + fl);
	return out;
}

static void expect_rejected(const char *text, size_t len)
{
	struct pv_merkle_proof q;
	memset(&q, 0x5a, sizeof q);
	if (parse_exact(text, len, &q) != -1) {
		print_error("accepted:\n%.*s\n", (int)len, text);
		fail();
	}
	struct pv_merkle_proof zero;
	memset(&zero, 0, sizeof zero);
	assert_memory_equal(&q, &zero, sizeof q);
}

static void test_text_rejects_malformed(void **state)
{
	(void)state;
	make_leaves();
	struct pv_merkle_proof p, q;
	make_proof(0, 5, 12, &p);
	char *inc = pv_merkle_proof_to_text(&p);
	make_proof(1, 5, 12, &p);
	char *con = pv_merkle_proof_to_text(&p);
	char leafhex[65], pathline[80];
	tohex(leafhex, leaves[5]);
	snprintf(pathline, sizeof pathline, "path %s\n", strstr(inc, "path ") + 5);
	pathline[5 + 64] = '\n';
	pathline[6 + 64] = '\0';

	/* Edits of a valid inclusion proof, each of which must be refused. */
	static const char *const edits[][2] = {
	    {"pivault-inclusion-proof v1", "pivault-inclusion-proof v3"},
	    {"pivault-inclusion-proof v1", "pivault-inclusion-proof  v1"},
	    {"pivault-inclusion-proof v1\n", "pivault-inclusion-proof v1\r\n"},
	    {"pivault-inclusion-proof v1\n", "\npivault-inclusion-proof v1\n"},
	    {"pivault-inclusion-proof v1\n", "pivault-consistency-proof v1\n"},
	    {"index 5\n", "index 05\n"},
	    {"index 5\n", "index +5\n"},
	    {"index 5\n", "index -5\n"},
	    {"index 5\n", "index 5 \n"},
	    {"index 5\n", "index  5\n"},
	    {"index 5\n", "index\t5\n"},
	    {"index 5\n", "index \n"},
	    {"index 5\n", "index 0x5\n"},
	    {"index 5\n", "Index 5\n"},
	    {"index 5\n", "index 12\n"},
	    {"index 5\n", "index 13\n"},
	    {"index 5\n", "index 9\n"}, /* leaf 9 of 12 has a shorter path */
	    {"index 5\n", "index 18446744073709551616\n"},
	    {"index 5\n", "index 99999999999999999999999\n"},
	    {"size 12\n", "size 0\n"},
	    {"size 12\n", "size 5\n"},
	    {"size 12\n", "size 9223372036854775809\n"},
	    {"size 12\n", "size 18446744073709551615\n"},
	    {"size 12\n", "size 8\n"}, /* leaf 5 of 8 has a shorter path */
	    {"index 5\nsize 12\n", "size 12\nindex 5\n"},
	    {"leaf ", "leaf  "},
	    {"leaf ", "root "},
	    {"root ", "leaf "},
	    {"leaf ", "path "},
	    {"\nroot ", "\nroot 00\nroot "},
	    {"\npath ", "\n\npath "},
	    {"\npath ", "\npath  "},
	    {"\npath ", "\nPath "},
	    {"\npath ", "\npaths "},
	};
	for (size_t e = 0; e < sizeof edits / sizeof edits[0]; e++) {
		char *t = replace(inc, edits[e][0], edits[e][1]);
		expect_rejected(t, strlen(t));
		free(t);
	}
	/* Hex: upper case, short, long, a non-hex digit anywhere in it. */
	char bad[80];
	snprintf(bad, sizeof bad, "%s", leafhex);
	for (size_t c = 0; c < 64; c++)
		if (bad[c] >= 'a')
			bad[c] = (char)(bad[c] - 'a' + 'A');
	char *t = replace(inc, leafhex, bad);
	if (strcmp(t, inc) != 0)
		expect_rejected(t, strlen(t));
	free(t);
	snprintf(bad, sizeof bad, "%.63s", leafhex);
	t = replace(inc, leafhex, bad);
	expect_rejected(t, strlen(t));
	free(t);
	snprintf(bad, sizeof bad, "%s0", leafhex);
	t = replace(inc, leafhex, bad);
	expect_rejected(t, strlen(t));
	free(t);
	size_t il = strlen(inc), leaf_at = (size_t)(strstr(inc, leafhex) - inc);
	static const char nonhex[] = {'g', 'x', 'G', 'F', ' ', ':', '\n', '\r', '\0', (char)0xff};
	for (size_t g = 0; g < sizeof nonhex; g++)
		for (size_t c = 0; c < 64; c += 7) {
			char *v = malloc(il);
			memcpy(v, inc, il);
			v[leaf_at + c] = nonhex[g];
			expect_rejected(v, il);
			free(v);
		}

	/* Missing final newline, trailing garbage, an extra or a missing path line. */
	expect_rejected(inc, il - 1);
	char *longer = malloc(il + 100);
	memcpy(longer, inc, il);
	memcpy(longer + il, "\n", 1);
	expect_rejected(longer, il + 1);
	memcpy(longer + il, "x", 1);
	expect_rejected(longer, il + 1);
	memcpy(longer + il, "", 1);
	expect_rejected(longer, il + 1);
	memcpy(longer + il, pathline, strlen(pathline));
	expect_rejected(longer, il + strlen(pathline));
	free(longer);
	char *last = strstr(inc, pathline);
	assert_non_null(last);
	expect_rejected(inc, (size_t)(last - inc)); /* first path line and after removed */

	/* Consistency: old-size above new-size, key names, 2^63 is the largest size. */
	t = replace(con, "old-size 5\n", "old-size 13\n");
	expect_rejected(t, strlen(t));
	free(t);
	t = replace(con, "old-size 5\nnew-size 12\n", "new-size 12\nold-size 5\n");
	expect_rejected(t, strlen(t));
	free(t);
	t = replace(con, "old-root", "old_root");
	expect_rejected(t, strlen(t));
	free(t);
	t = replace(con, "old-size 5\nnew-size 12\n", "old-size 12\nnew-size 12\n");
	expect_rejected(t, strlen(t)); /* m == n takes no path lines */
	free(t);

	char hx[2][65], buf[1024];
	tohex(hx[0], roots[0]);
	tohex(hx[1], roots[1]);
	snprintf(buf, sizeof buf,
		 "pivault-consistency-proof v1\nold-size 0\nnew-size 9223372036854775808\n"
		 "old-root %s\nnew-root %s\n",
		 hx[0], hx[1]);
	assert_int_equal(parse_exact(buf, strlen(buf), &q), 0);
	assert_true(q.size == PV_MERKLE_MAX_SIZE);
	t = pv_merkle_proof_to_text(&q);
	assert_string_equal(t, buf);
	free(t);
	t = replace(buf, "9223372036854775808", "9223372036854775809");
	expect_rejected(t, strlen(t));
	free(t);
	snprintf(buf, sizeof buf,
		 "pivault-consistency-proof v1\nold-size 0\nnew-size 0\nold-root %s\nnew-root %s\n",
		 hx[0], hx[0]);
	assert_int_equal(parse_exact(buf, strlen(buf), &q), 0);
	assert_int_equal(pv_merkle_proof_verify(&q), 0);

	/* Empty and junk input. */
	expect_rejected("", 0);
	expect_rejected("\n", 1);
	expect_rejected("pivault-inclusion-proof v1", 26);
	expect_rejected("pivault-inclusion-proof v1\n", 27);
	assert_int_equal(pv_merkle_proof_from_text(NULL, 0, &q), -1);
	assert_int_equal(pv_merkle_proof_from_text(NULL, 10, &q), -1);

	free(inc);
	free(con);
}

/* Every truncation of a valid proof is refused; no single-byte change crashes the parser,
 * and whatever it accepts prints back to the same text (one text per proof). */
static void test_text_truncation_and_mutation(void **state)
{
	(void)state;
	make_leaves();
	static const unsigned char subst[] = {'0',  '9',  'a',	'f', 'g', 'A',	' ',
					      '\n', '\r', '\0', '-', 'x', 0x80, 0xff};
	unsigned long accepted = 0;
	for (int kind = 0; kind < 2; kind++) {
		static const uint64_t cases[][2] = {{0, 1}, {5, 12}, {11, 12},
						    {1, 2}, {6, 7},  {32, 70}};
		for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
			struct pv_merkle_proof p, q;
			make_proof(kind, cases[c][0], cases[c][1], &p);
			char *text = pv_merkle_proof_to_text(&p);
			assert_non_null(text);
			size_t len = strlen(text);
			for (size_t cut = 0; cut < len; cut++)
				expect_rejected(text, cut);
			assert_int_equal(parse_exact(text, len, &q), 0);

			char *m = malloc(len);
			for (size_t at = 0; at < len; at++)
				for (size_t s = 0; s < sizeof subst; s++) {
					if ((unsigned char)text[at] == subst[s])
						continue;
					memcpy(m, text, len);
					m[at] = (char)subst[s];
					if (parse_exact(m, len, &q) != 0)
						continue;
					/* Only a changed hex digit (or a number that keeps the
					 * shape) can be accepted: it must print back the same. */
					accepted++;
					char *back = pv_merkle_proof_to_text(&q);
					assert_non_null(back);
					assert_int_equal(strlen(back), len);
					assert_memory_equal(back, m, len);
					free(back);
				}
			free(m);
			free(text);
		}
	}
	assert_true(accepted > 0);
}

/* ---- the BLAKE2b-256 variant --------------------------------------------------------- */

/* BLAKE2b-256(prefix || a || b) with libsodium directly. */
static void ref_b2(uint8_t out[H], uint8_t prefix, const void *a, size_t alen, const void *b,
		   size_t blen)
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, H);
	crypto_generichash_update(&st, &prefix, 1);
	if (alen)
		crypto_generichash_update(&st, a, alen);
	if (blen)
		crypto_generichash_update(&st, b, blen);
	crypto_generichash_final(&st, out, H);
}

static uint8_t b2_leaves[5][H];

static int b2_leaf_cb(void *ctx, uint64_t index, uint8_t out[H])
{
	(void)ctx;
	if (index >= 5)
		return -1;
	memcpy(out, b2_leaves[index], H);
	return 0;
}

/* The tree over BLAKE2b-256: leaf, node and empty root by the definitions, roots of five
 * leaves by hand, proofs that verify over BLAKE2b-256 only, and their text ("v2"). */
static void test_blake2b_variant(void **state)
{
	(void)state;
	static const char *const data[5] = { "a", "bb", "", "dddd", "eeeee" };
	uint8_t want[H], got[H], n01[H], n23[H], n0123[H];
	for (int i = 0; i < 5; i++) {
		ref_b2(want, 0x00, data[i], strlen(data[i]), NULL, 0);
		pv_merkle_leaf_hash_with(PV_MERKLE_BLAKE2B, data[i], strlen(data[i]),
					 b2_leaves[i]);
		assert_memory_equal(b2_leaves[i], want, H);
		uint8_t framed[8] = { 0x00 };
		memcpy(framed + 1, data[i], strlen(data[i]));
		pv_merkle_leaf_hash_framed(PV_MERKLE_BLAKE2B, framed, 1 + strlen(data[i]), got);
		assert_memory_equal(got, want, H);
		pv_merkle_leaf_hash(data[i], strlen(data[i]), got); /* SHA-256: another hash */
		assert_memory_not_equal(got, want, H);
	}
	crypto_generichash(want, H, NULL, 0, NULL, 0);
	pv_merkle_empty_root_with(PV_MERKLE_BLAKE2B, got);
	assert_memory_equal(got, want, H);
	ref_b2(n01, 0x01, b2_leaves[0], H, b2_leaves[1], H);
	ref_b2(n23, 0x01, b2_leaves[2], H, b2_leaves[3], H);
	ref_b2(n0123, 0x01, n01, H, n23, H);
	ref_b2(want, 0x01, n0123, H, b2_leaves[4], H);
	assert_int_equal(pv_merkle_root_with(PV_MERKLE_BLAKE2B, 5, b2_leaf_cb, NULL, got), 0);
	assert_memory_equal(got, want, H);
	struct pv_merkle_stream s;
	pv_merkle_stream_init_with(&s, PV_MERKLE_BLAKE2B);
	for (int i = 0; i < 5; i++)
		assert_int_equal(pv_merkle_stream_push(&s, b2_leaves[i]), 0);
	pv_merkle_stream_root(&s, got);
	assert_memory_equal(got, want, H);
	uint8_t saved[PV_MERKLE_STATE_MAX];
	size_t len = pv_merkle_stream_save(&s, saved);
	assert_int_equal(pv_merkle_stream_load_with(&s, PV_MERKLE_BLAKE2B, saved, len), 0);
	pv_merkle_stream_root(&s, got);
	assert_memory_equal(got, want, H);
	assert_int_equal(pv_merkle_stream_load(&s, saved, len), 0); /* read as SHA-256 */
	pv_merkle_stream_root(&s, got);
	assert_memory_not_equal(got, want, H);

	/* Inclusion of leaf 2 and consistency 3 -> 5, in text and back. */
	struct pv_merkle_proof p, q;
	memset(&p, 0, sizeof p);
	p.kind = PV_MERKLE_INCLUSION;
	p.hash = PV_MERKLE_BLAKE2B;
	p.index = 2;
	p.size = 5;
	memcpy(p.leaf, b2_leaves[2], H);
	memcpy(p.root, want, H);
	assert_int_equal(pv_merkle_inclusion_proof_with(PV_MERKLE_BLAKE2B, 2, 5, b2_leaf_cb, NULL,
							p.path, &p.path_len), 0);
	assert_int_equal(pv_merkle_proof_verify(&p), 0);
	assert_int_not_equal(pv_merkle_verify_inclusion(2, 5, p.leaf,
							(const uint8_t(*)[H])p.path,
							p.path_len, p.root), 0);
	char *text = pv_merkle_proof_to_text(&p);
	assert_non_null(text);
	assert_true(strncmp(text, "pivault-inclusion-proof v2\n", 27) == 0);
	assert_int_equal(pv_merkle_proof_from_text(text, strlen(text), &q), 0);
	assert_int_equal(q.hash, PV_MERKLE_BLAKE2B);
	assert_memory_equal(&p, &q, sizeof p);
	text[25] = '1'; /* the same lines read as a SHA-256 proof: they do not add up */
	assert_int_equal(pv_merkle_proof_from_text(text, strlen(text), &q), 0);
	assert_int_equal(q.hash, PV_MERKLE_SHA256);
	assert_int_not_equal(pv_merkle_proof_verify(&q), 0);
	free(text);

	memset(&p, 0, sizeof p);
	p.kind = PV_MERKLE_CONSISTENCY;
	p.hash = PV_MERKLE_BLAKE2B;
	p.old_size = 3;
	p.size = 5;
	assert_int_equal(pv_merkle_root_with(PV_MERKLE_BLAKE2B, 3, b2_leaf_cb, NULL, p.old_root), 0);
	memcpy(p.root, want, H);
	assert_int_equal(pv_merkle_consistency_proof_with(PV_MERKLE_BLAKE2B, 3, 5, b2_leaf_cb, NULL,
							  p.path, &p.path_len), 0);
	assert_int_equal(pv_merkle_proof_verify(&p), 0);
	text = pv_merkle_proof_to_text(&p);
	assert_non_null(text);
	assert_true(strncmp(text, "pivault-consistency-proof v2\n", 29) == 0);
	assert_int_equal(pv_merkle_proof_from_text(text, strlen(text), &q), 0);
	assert_memory_equal(&p, &q, sizeof p);
	free(text);
	p.hash = PV_MERKLE_SHA256;
	assert_int_not_equal(pv_merkle_proof_verify(&p), 0);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ct_vectors),
	    cmocka_unit_test(test_blake2b_variant),
	    cmocka_unit_test(test_rfc6962_example),
	    cmocka_unit_test(test_inclusion_matches_reference),
	    cmocka_unit_test(test_inclusion_tampering),
	    cmocka_unit_test(test_inclusion_wrong_size),
	    cmocka_unit_test(test_consistency_matches_reference),
	    cmocka_unit_test(test_consistency_tampering),
	    cmocka_unit_test(test_consistency_degenerate),
	    cmocka_unit_test(test_consistency_wrong_sizes),
	    cmocka_unit_test(test_stream),
	    cmocka_unit_test(test_errors_and_bounds),
	    cmocka_unit_test(test_text_round_trip),
	    cmocka_unit_test(test_text_rejects_malformed),
	    cmocka_unit_test(test_text_truncation_and_mutation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
