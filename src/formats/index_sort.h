/* SPDX-License-Identifier: Apache-2.0 */
/* index_sort.h: external sort of blind-index entries (field, hash, row id) for bulk
 * loads: entries gather in a bounded buffer, each full buffer is sorted and written as a
 * run to an unlinked temporary file, and the runs are merged back in (field, hash, rid)
 * order, so each blind-index postings row is written once. Entries hold keyed hashes and row
 * ids only, never values. */
#ifndef PV_INDEX_SORT_H
#define PV_INDEX_SORT_H

#include <stddef.h>
#include <stdint.h>

struct pv_index_sorter;

/* A sorter keeping at most mem_entries entries in memory, spilling runs to a temporary
 * file in tmpdir. NULL when out of memory. */
struct pv_index_sorter *pv_index_sorter_new(const char *tmpdir, size_t mem_entries);

/* Add one entry. 0, or -1 on an I/O or memory failure. */
int pv_index_sorter_add(struct pv_index_sorter *s, int field, const uint8_t h[16], int64_t rid);


/* Call emit for every entry in (field, hash, rid) order; emit returning non-zero stops
 * with that value. 0, emit's value, or -1 on an I/O or memory failure. */
typedef int (*pv_index_emit_fn)(void *ctx, int field, const uint8_t *h, int64_t rid);
int pv_index_sorter_finish(struct pv_index_sorter *s, pv_index_emit_fn emit, void *ctx);

/* Free, closing the temporary file; NULL harmless. */
void pv_index_sorter_free(struct pv_index_sorter *s);

#endif
