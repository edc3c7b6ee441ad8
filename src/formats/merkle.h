/* SPDX-License-Identifier: Apache-2.0 */
/* merkle.h: RFC 6962 (Certificate Transparency) Merkle tree hashes, inclusion proofs and
 * consistency proofs, over SHA-256 (the RFC's hash: the handover manifest) or BLAKE2b-256
 * (the audit log); pure functions that read leaf hashes through a callback and never hold
 * the whole tree, plus a plain-text proof format a third party can check without the
 * vault. Functions without "_with" use SHA-256. */
#ifndef PV_MERKLE_H
#define PV_MERKLE_H

#include <stddef.h>
#include <stdint.h>

/* On functions that verify: ignoring their result is a bug. */
#define PV_MERKLE_CHECK __attribute__((warn_unused_result))

/* Bytes in a hash (SHA-256 or BLAKE2b-256). */
#define PV_MERKLE_HASH 32

/* The hash function of a tree. The construction is RFC 6962's either way; BLAKE2b-256 is
 * libsodium's crypto_generichash with a 32-byte output and no key, put in place of
 * SHA-256 everywhere below (leaf, node, empty tree). Zero is SHA-256. */
enum pv_merkle_hash {
	PV_MERKLE_SHA256 = 0,
	PV_MERKLE_BLAKE2B = 1,
};

/* Largest tree size handled: 2^63 leaves (fits a signed 64-bit sequence number). With it
 * an inclusion path has at most 63 hashes and a consistency path at most 64. */
#define PV_MERKLE_MAX_SIZE (UINT64_C(1) << 63)

/* Capacity of a proof path, in hashes. */
#define PV_MERKLE_MAX_PATH 64

/* Hashes (as defined in RFC 6962 section 2.1, SHA-256 throughout):
 *   empty tree  MTH({})  = SHA-256()                       (e3b0c442...b855)
 *   leaf        MTH({d}) = SHA-256(0x00 || d)
 *   node                   SHA-256(0x01 || left || right)
 * and for n > 1 leaves, with k the largest power of two below n,
 *   MTH(D[n]) = node(MTH(D[0:k]), MTH(D[k:n])). */

/* Leaf hash of data[0..len): SHA-256(0x00 || data). data may be NULL when len is 0. */
void pv_merkle_leaf_hash(const void *data, size_t len, uint8_t out[PV_MERKLE_HASH]);
void pv_merkle_leaf_hash_with(enum pv_merkle_hash h, const void *data, size_t len,
			      uint8_t out[PV_MERKLE_HASH]);

/* The same leaf hash of data already framed: framed[0..len) is the 0x00 prefix followed
 * by the leaf's data (len >= 1), hashed as it stands, in one call. */
void pv_merkle_leaf_hash_framed(enum pv_merkle_hash h, const uint8_t *framed, size_t len,
				uint8_t out[PV_MERKLE_HASH]);

/* Interior node hash SHA-256(0x01 || l || r); out may be the same buffer as l or r. */
void pv_merkle_node_hash(const uint8_t l[PV_MERKLE_HASH], const uint8_t r[PV_MERKLE_HASH],
			 uint8_t out[PV_MERKLE_HASH]);
void pv_merkle_node_hash_with(enum pv_merkle_hash h, const uint8_t l[PV_MERKLE_HASH],
			      const uint8_t r[PV_MERKLE_HASH], uint8_t out[PV_MERKLE_HASH]);

/* The root of the empty tree, SHA-256 of nothing. */
void pv_merkle_empty_root(uint8_t out[PV_MERKLE_HASH]);
void pv_merkle_empty_root_with(enum pv_merkle_hash h, uint8_t out[PV_MERKLE_HASH]);

/* How the module reads the tree: write the leaf hash (pv_merkle_leaf_hash of the entry's
 * canonical bytes, or a stored leaf hash) of leaf number index (0-based) into out and
 * return 0, or return -1 when it cannot be read, which aborts the computation. Called in
 * increasing index order within each contiguous range the module reads. */
typedef int (*pv_merkle_leaf_fn)(void *ctx, uint64_t index, uint8_t out[PV_MERKLE_HASH]);

/* ---- Streaming builder: the running root of an append-only list ---- */

/* The "frontier" of a tree of size leaves: the roots of its maximal perfect subtrees,
 * left (largest) to right, one per set bit of size. O(1) amortised per append, 2 KiB. A
 * plain struct: zero it with pv_merkle_stream_init, copy it freely. */
struct pv_merkle_stream {
	enum pv_merkle_hash hash;			     /* the tree's hash function */
	uint64_t size;					     /* leaves pushed so far */
	unsigned count;					     /* pending roots (popcount(size)) */
	uint8_t pending[PV_MERKLE_MAX_PATH][PV_MERKLE_HASH]; /* [0..count) left to right */
};

/* Start an empty tree (SHA-256; with h for _with). */
void pv_merkle_stream_init(struct pv_merkle_stream *s);
void pv_merkle_stream_init_with(struct pv_merkle_stream *s, enum pv_merkle_hash h);

/* Append one leaf given by its leaf hash. 0, or -1 when the tree already has
 * PV_MERKLE_MAX_SIZE leaves (s unchanged). */
int pv_merkle_stream_push(struct pv_merkle_stream *s, const uint8_t leaf[PV_MERKLE_HASH]);

/* Append one leaf given by its data (hashed with the tree's leaf hash). As push. */
int pv_merkle_stream_push_data(struct pv_merkle_stream *s, const void *data, size_t len);

/* MTH of the s->size leaves pushed so far (the empty root when none). O(log size). */
void pv_merkle_stream_root(const struct pv_merkle_stream *s, uint8_t out[PV_MERKLE_HASH]);

/* Saved state (the hash function is not saved: the caller knows it): 8 bytes of size (big-endian), then the popcount(size) pending roots, left
 * to right, 32 bytes each. At most PV_MERKLE_STATE_MAX bytes. */
#define PV_MERKLE_STATE_MAX (8 + PV_MERKLE_MAX_PATH * PV_MERKLE_HASH)

/* Write s's state to out (PV_MERKLE_STATE_MAX bytes available); returns its length. */
size_t pv_merkle_stream_save(const struct pv_merkle_stream *s, uint8_t *out);

/* Restore a state written by pv_merkle_stream_save, as a tree over SHA-256 (over h for
 * _with). 0, or -1 (s emptied) when in[0..len) is not exactly one well-formed state (size
 * over PV_MERKLE_MAX_SIZE, wrong length). The roots themselves cannot be checked here:
 * compare the restored root with a trusted one. */
int pv_merkle_stream_load(struct pv_merkle_stream *s, const uint8_t *in, size_t len);
int pv_merkle_stream_load_with(struct pv_merkle_stream *s, enum pv_merkle_hash h,
			       const uint8_t *in, size_t len);

/* ---- Whole-tree computations through the leaf callback (O(log n) memory) ---- */

/* MTH of the first n leaves into out: n leaf reads, O(n) hashing. 0, or -1 when n is over
 * PV_MERKLE_MAX_SIZE or leaf fails. */
int pv_merkle_root(uint64_t n, pv_merkle_leaf_fn leaf, void *ctx, uint8_t out[PV_MERKLE_HASH]);
int pv_merkle_root_with(enum pv_merkle_hash h, uint64_t n, pv_merkle_leaf_fn leaf, void *ctx,
			uint8_t out[PV_MERKLE_HASH]);

/* Number of hashes in the inclusion path of leaf index in a tree of n leaves (0 when
 * index >= n). */
size_t pv_merkle_inclusion_path_len(uint64_t index, uint64_t n);

/* Number of hashes in the consistency proof from size m to size n (0 when m == 0, m == n
 * or m > n). */
size_t pv_merkle_consistency_path_len(uint64_t m, uint64_t n);

/* The audit path PATH(index, D[n]) of RFC 6962 section 2.1.1, deepest sibling first, into
 * path (capacity PV_MERKLE_MAX_PATH) and its length into *path_len. Reads each leaf
 * except leaf index once (n - 1 reads). 0, or -1 (*path_len = 0) when index >= n,
 * n > PV_MERKLE_MAX_SIZE or leaf fails. */
int pv_merkle_inclusion_proof(uint64_t index, uint64_t n, pv_merkle_leaf_fn leaf, void *ctx,
			      uint8_t (*path)[PV_MERKLE_HASH], size_t *path_len);
int pv_merkle_inclusion_proof_with(enum pv_merkle_hash h, uint64_t index, uint64_t n,
				   pv_merkle_leaf_fn leaf, void *ctx,
				   uint8_t (*path)[PV_MERKLE_HASH], size_t *path_len);

/* Check that leaf is leaf number index of the tree of n leaves whose root is root, with
 * the audit path path[0..path_len) (RFC 9162 section 2.1.3.2). 0 when valid, -1
 * otherwise (including index >= n and a path of the wrong length).
 * A root hash does not commit to the size: a proof can also verify for another n whose
 * path has the same shape. Take (n, root) together from a trusted checkpoint. */
PV_MERKLE_CHECK int pv_merkle_verify_inclusion(uint64_t index, uint64_t n,
					       const uint8_t leaf[PV_MERKLE_HASH],
					       const uint8_t (*path)[PV_MERKLE_HASH],
					       size_t path_len, const uint8_t root[PV_MERKLE_HASH]);
PV_MERKLE_CHECK int pv_merkle_verify_inclusion_with(enum pv_merkle_hash h, uint64_t index,
						    uint64_t n, const uint8_t leaf[PV_MERKLE_HASH],
						    const uint8_t (*path)[PV_MERKLE_HASH],
						    size_t path_len,
						    const uint8_t root[PV_MERKLE_HASH]);

/* The consistency proof PROOF(m, D[n]) of RFC 6962 section 2.1.2 into path (capacity
 * PV_MERKLE_MAX_PATH) and *path_len: it shows that the tree of the first m leaves is a
 * prefix of the tree of n leaves. For 0 < m < n as in the RFC; for m == 0 and m == n
 * the proof is empty (see pv_merkle_verify_consistency). At most n leaf reads. 0, or -1
 * (*path_len = 0) when m > n, n > PV_MERKLE_MAX_SIZE or leaf fails. */
int pv_merkle_consistency_proof(uint64_t m, uint64_t n, pv_merkle_leaf_fn leaf, void *ctx,
				uint8_t (*path)[PV_MERKLE_HASH], size_t *path_len);
int pv_merkle_consistency_proof_with(enum pv_merkle_hash h, uint64_t m, uint64_t n,
				     pv_merkle_leaf_fn leaf, void *ctx,
				     uint8_t (*path)[PV_MERKLE_HASH], size_t *path_len);

/* Check that the tree of m leaves with root old_root is a prefix of the tree of n leaves
 * with root new_root, given path[0..path_len) (RFC 9162 section 2.1.4.2). 0 when valid,
 * -1 otherwise. Sizes:
 *   m > n or n > PV_MERKLE_MAX_SIZE   always invalid;
 *   m == n        valid iff path_len == 0 and old_root == new_root;
 *   m == 0 < n    valid iff path_len == 0 and old_root is the empty root (the empty tree
 *                 is a prefix of every tree, but a wrong "empty" root is not accepted);
 *   0 < m < n     the RFC algorithm (it takes old_root as the first hash when m is a
 *                 power of two). */
PV_MERKLE_CHECK int pv_merkle_verify_consistency(uint64_t m, uint64_t n,
						 const uint8_t old_root[PV_MERKLE_HASH],
						 const uint8_t new_root[PV_MERKLE_HASH],
						 const uint8_t (*path)[PV_MERKLE_HASH],
						 size_t path_len);
PV_MERKLE_CHECK int pv_merkle_verify_consistency_with(enum pv_merkle_hash h, uint64_t m,
						      uint64_t n,
						      const uint8_t old_root[PV_MERKLE_HASH],
						      const uint8_t new_root[PV_MERKLE_HASH],
						      const uint8_t (*path)[PV_MERKLE_HASH],
						      size_t path_len);

/* ---- Proofs as text ----
 *
 * A proof is printed as lines of printable ASCII, each ended by one LF, in this exact
 * order and nothing else (no blank lines, no spaces beyond the single one shown, no CR):
 *
 *   pivault-inclusion-proof v1          pivault-consistency-proof v1
 *   index <I>                           old-size <M>
 *   size <N>                            new-size <N>
 *   leaf <hash>                         old-root <hash>
 *   root <hash>                         new-root <hash>
 *   path <hash>    (one line per        path <hash>    (one line per
 *   ...             path element,       ...             path element,
 *                   deepest first)                      in proof order)
 *
 * <I>, <M>, <N> are decimal, no sign, no leading zero (but "0"), at most
 * PV_MERKLE_MAX_SIZE; an inclusion proof needs I < N, a consistency proof M <= N. <hash>
 * is 64 lower-case hex digits. "v1" on the first line means a tree over SHA-256; a proof
 * over BLAKE2b-256 (the audit log's) reads "v2" there instead and is otherwise the same. The number of path lines must be exactly
 * pv_merkle_inclusion_path_len(I, N) or pv_merkle_consistency_path_len(M, N). Parsing is
 * strict, so each proof has exactly one text. A third party checks it with any RFC 6962
 * verifier and compares the root(s) with a trusted checkpoint. */

enum pv_merkle_proof_kind {
	PV_MERKLE_INCLUSION = 1,
	PV_MERKLE_CONSISTENCY = 2,
};

/* A proof with everything needed to check it. Fields not of its kind are zero. */
struct pv_merkle_proof {
	enum pv_merkle_proof_kind kind;
	enum pv_merkle_hash hash;	  /* the tree's hash (zero: SHA-256) */
	uint64_t index;			  /* inclusion: the leaf's index */
	uint64_t old_size;		  /* consistency: m */
	uint64_t size;			  /* n: the size of the tree root belongs to */
	uint8_t leaf[PV_MERKLE_HASH];	  /* inclusion: the leaf hash */
	uint8_t old_root[PV_MERKLE_HASH]; /* consistency: the root of the first m leaves */
	uint8_t root[PV_MERKLE_HASH];	  /* the root of the tree of size leaves */
	size_t path_len;
	uint8_t path[PV_MERKLE_MAX_PATH][PV_MERKLE_HASH];
};

/* The text of p (format above); malloc'd, free with free(). NULL when p could not be
 * parsed back (unknown kind, sizes out of range, path_len not the expected length) or
 * when out of memory. p's hashes are not checked: use pv_merkle_proof_verify. */
char *pv_merkle_proof_to_text(const struct pv_merkle_proof *p);

/* Parse text[0..len) (need not be NUL-terminated) into *out. 0, or -1 (*out zeroed) when
 * it is not exactly one proof in the format above. Never reads outside text[0..len). */
int pv_merkle_proof_from_text(const char *text, size_t len, struct pv_merkle_proof *out);

/* Check p's path against its own leaf and root(s) with the verify functions above. 0 when
 * valid. This only shows the proof is coherent: the caller must still compare p->root
 * (and p->old_root) with roots it trusts. */
PV_MERKLE_CHECK int pv_merkle_proof_verify(const struct pv_merkle_proof *p);

#endif
