/* SPDX-License-Identifier: Apache-2.0 */
/* test_index_sort.c: the external sort of blind-index entries gives exactly the
 * (field, hash, rid) order, with runs in memory and spilled to a file, for uniform
 * hashes, many repeated hashes (one value shared by thousands), field numbers large
 * enough to need the comparison path, and entries added in no particular rid order. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/index_sort.h"

struct e {
	int field;
	uint8_t h[16];
	int64_t rid;
};

static int cmp(const void *pa, const void *pb)
{
	const struct e *a = pa, *b = pb;
	if (a->field != b->field)
		return a->field < b->field ? -1 : 1;
	int c = memcmp(a->h, b->h, 16);
	if (c)
		return c;
	return (a->rid > b->rid) - (a->rid < b->rid);
}

struct check {
	const struct e *want;
	size_t n, at;
};

static int emit(void *ctx, int field, const uint8_t *h, int64_t rid)
{
	struct check *c = ctx;
	if (c->at >= c->n)
		fail_msg("more entries out than in");
	const struct e *w = &c->want[c->at++];
	if (w->field != field || memcmp(w->h, h, 16) != 0 || w->rid != rid)
		fail_msg("entry %zu out of order: field %d rid %lld, want field %d rid %lld",
			 c->at - 1, field, (long long)rid, w->field, (long long)w->rid);
	return 0;
}

static uint64_t rng_state = 88172645463325252ull;

static uint64_t next(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* n entries; `distinct` hashes in all (0: every hash random); fields from `fields`. */
static void run(size_t n, size_t mem, size_t distinct, const int *fields, size_t nfields,
		int shuffled_rids)
{
	struct e *in = calloc(n, sizeof *in);
	assert_non_null(in);
	for (size_t i = 0; i < n; i++) {
		in[i].field = fields[next() % nfields];
		uint64_t seed = distinct ? next() % distinct : next();
		for (int b = 0; b < 16; b++)
			in[i].h[b] = (uint8_t)(seed >> (8 * (b % 8)) ^ (uint64_t)b * 37);
		in[i].rid = shuffled_rids ? (int64_t)(next() % 1000000000) : (int64_t)i + 1;
	}
	char *dir = pvt_tempdir();
	struct pv_index_sorter *s = pv_index_sorter_new(dir, mem);
	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(pv_index_sorter_add(s, in[i].field, in[i].h, in[i].rid), 0);
	qsort(in, n, sizeof *in, cmp);
	struct check c = { in, n, 0 };
	assert_int_equal(pv_index_sorter_finish(s, emit, &c), 0);
	assert_int_equal(c.at, n);
	pv_index_sorter_free(s);
	pvt_rmtree(dir);
	free(dir);
	free(in);
}

static const int four[] = { 3, 5, 6, 9 };

static void test_in_memory(void **state)
{
	(void)state;
	run(50000, 65536, 0, four, 4, 0);
	run(500, 65536, 0, four, 4, 1); /* below the distribution's threshold */
}

static void test_spilled_runs(void **state)
{
	(void)state;
	run(100000, 4096, 0, four, 4, 0);
	run(100000, 4096, 0, four, 4, 1);
}

static void test_repeated_hashes(void **state)
{
	(void)state;
	run(60000, 8192, 3, four, 4, 1);  /* thousands of entries per hash */
	run(60000, 65536, 1, four, 1, 1); /* one value for everyone */
}

static void test_large_field_numbers(void **state)
{
	(void)state;
	static const int big[] = { 1, 4095, 4096, 70000 };
	run(30000, 8192, 0, big, 4, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_memory),
		cmocka_unit_test(test_spilled_runs),
		cmocka_unit_test(test_repeated_hashes),
		cmocka_unit_test(test_large_field_numbers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
