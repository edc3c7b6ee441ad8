/* SPDX-License-Identifier: Apache-2.0 */
/* merkle.c: benchmark of the audit log's RFC 6962 Merkle tree (src/merkle.c) on one core:
 * the streaming root over N leaves of ~100-byte entries (leaves/s), the root recomputed
 * from stored leaf hashes, and inclusion and consistency proof generation and
 * verification at size N.
 * usage: bench_merkle [N]   (default 1000000) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "formats/merkle.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A made-up audit entry of about 100 bytes for sequence number i. */
static size_t entry(uint64_t i, char *buf, size_t cap)
{
	int n = snprintf(buf, cap,
			 "v1|seq=%llu|ts=2025-01-%02u T%02u:%02u:%02uZ|actor=clerk%03u|action=get|"
			 "record=c%010llu|via=cli|ip=10.%u.%u.%u",
			 (unsigned long long)i, (unsigned)(i % 28 + 1), (unsigned)(i / 3600 % 24),
			 (unsigned)(i / 60 % 60), (unsigned)(i % 60), (unsigned)(i % 997),
			 (unsigned long long)(i * 7919 % 10000000000ULL), (unsigned)(i >> 16 & 255),
			 (unsigned)(i >> 8 & 255), (unsigned)(i & 255));
	return n < 0 ? 0 : (size_t)n;
}

/* Leaf hashes kept in memory, as the audit log would keep them in its table. */
struct leaves {
	uint8_t (*h)[PV_MERKLE_HASH];
	uint64_t n, reads;
};

static int leaf_cb(void *ctx, uint64_t index, uint8_t out[PV_MERKLE_HASH])
{
	struct leaves *l = ctx;
	if (index >= l->n)
		return -1;
	l->reads++;
	memcpy(out, l->h[index], PV_MERKLE_HASH);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	if (n < 2 || n > 100000000) {
		fprintf(stderr, "usage: bench_merkle [N]  (2 <= N <= 1e8)\n");
		return 2;
	}
	struct leaves l = {malloc(n * PV_MERKLE_HASH), n, 0};
	if (!l.h) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}

	/* 1. Append: hash each entry, push it, keep the running root. */
	struct pv_merkle_stream s;
	uint8_t root[PV_MERKLE_HASH], check[PV_MERKLE_HASH];
	char buf[256];
	size_t bytes = 0;
	pv_merkle_stream_init(&s);
	double t0 = now();
	for (uint64_t i = 0; i < n; i++) {
		size_t len = entry(i, buf, sizeof buf);
		bytes += len;
		pv_merkle_leaf_hash(buf, len, l.h[i]);
		pv_merkle_stream_push(&s, l.h[i]);
	}
	pv_merkle_stream_root(&s, root);
	double t1 = now();
	printf("stream:       %llu leaves (%.0f bytes avg) in %.3f s = %.0f leaves/s\n",
	       (unsigned long long)n, (double)bytes / (double)n, t1 - t0, (double)n / (t1 - t0));

	/* Saving the frontier after each append would cost this much. */
	uint8_t state[PV_MERKLE_STATE_MAX];
	size_t slen = pv_merkle_stream_save(&s, state);
	printf("frontier:     %zu bytes at size %llu\n", slen, (unsigned long long)n);

	/* 2. The root from stored leaf hashes. */
	t0 = now();
	if (pv_merkle_root(n, leaf_cb, &l, check) != 0 || memcmp(root, check, sizeof root) != 0) {
		fprintf(stderr, "root mismatch\n");
		return 1;
	}
	t1 = now();
	printf("root:         from %llu stored leaf hashes in %.3f s\n", (unsigned long long)n,
	       t1 - t0);

	/* 3. Inclusion proofs: generation (O(n) leaf reads each) and verification. */
	uint8_t path[PV_MERKLE_MAX_PATH][PV_MERKLE_HASH];
	size_t plen;
	const uint64_t idx[] = {0, n / 3, n / 2, n - 1};
	const int nidx = (int)(sizeof idx / sizeof idx[0]);
	t0 = now();
	for (int k = 0; k < nidx; k++)
		if (pv_merkle_inclusion_proof(idx[k], n, leaf_cb, &l, path, &plen) != 0)
			return 1;
	t1 = now();
	printf("inclusion:    proof generation %.1f ms each (%zu hashes)\n", (t1 - t0) * 1e3 / nidx,
	       plen);
	const int reps = 200000;
	int bad = 0;
	t0 = now();
	for (int r = 0; r < reps; r++)
		bad |= pv_merkle_verify_inclusion(
		    n - 1, n, l.h[n - 1], (const uint8_t(*)[PV_MERKLE_HASH])path, plen, root);
	t1 = now();
	printf("inclusion:    verification %.2f us each%s\n", (t1 - t0) * 1e6 / reps,
	       bad ? "  FAILED" : "");

	/* 4. Consistency proofs from a few older sizes. */
	const uint64_t old[] = {1, n / 3, n / 2 + 1, n - 1};
	uint8_t old_root[PV_MERKLE_HASH];
	t0 = now();
	for (int k = 0; k < nidx; k++)
		if (pv_merkle_consistency_proof(old[k], n, leaf_cb, &l, path, &plen) != 0)
			return 1;
	t1 = now();
	printf("consistency:  proof generation %.1f ms each (%zu hashes)\n", (t1 - t0) * 1e3 / nidx,
	       plen);
	if (pv_merkle_root(n - 1, leaf_cb, &l, old_root) != 0)
		return 1;
	bad = 0;
	t0 = now();
	for (int r = 0; r < reps; r++)
		bad |= pv_merkle_verify_consistency(n - 1, n, old_root, root,
						    (const uint8_t(*)[PV_MERKLE_HASH])path, plen);
	t1 = now();
	printf("consistency:  verification %.2f us each%s\n", (t1 - t0) * 1e6 / reps,
	       bad ? "  FAILED" : "");

	free(l.h);
	return bad ? 1 : 0;
}
