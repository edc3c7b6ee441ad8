/* SPDX-License-Identifier: Apache-2.0 */
/* test_blind_index.c: the blind index's postings rows in the SQLite store, driven
 * directly with hashes chosen to share rows: sorted bulk adds merged into rows that
 * already hold entries, single adds, replacements, lookups in id order, the row ids below
 * a bound, removal of many customers, and a rolled-back bulk add that leaves nothing. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

struct fx {
	char *dir;
	struct pv_store *s;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	f->dir = pvt_tempdir();
	char *path = pvt_path(f->dir, "vault.db"), err[256];
	f->s = pv_store_open(path, 1, err, sizeof err);
	free(path);
	if (!f->s) {
		fprintf(stderr, "open: %s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	pv_store_close(f->s);
	pvt_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* A hash in row `prefix` (its first two bytes) with `tail` making it distinct. */
static void hash(uint8_t h[PV_BLIND_BYTES], unsigned prefix, unsigned tail)
{
	memset(h, 0, PV_BLIND_BYTES);
	h[0] = (uint8_t)(prefix >> 8);
	h[1] = (uint8_t)prefix;
	h[14] = (uint8_t)(tail >> 8);
	h[15] = (uint8_t)tail;
}

/* Insert customer "C<n>" (n decides the id's order); its row id. */
static int64_t customer(struct fx *f, unsigned n)
{
	char id[16];
	snprintf(id, sizeof id, "C%05u", n);
	static const uint8_t wdek[72], g[48];
	struct pv_stored_customer c = { .id = id, .wdek = wdek, .wdek_len = sizeof wdek };
	for (int i = 0; i < PV_GROUPS; i++) {
		c.group[i] = g;
		c.group_len[i] = sizeof g;
	}
	int64_t rid = 0;
	assert_int_equal(pv_store_customer_insert(f->s, &c, &rid), 0);
	return rid;
}

struct ids {
	char all[512];
};

static int collect(void *ctx, const struct pv_stored_customer *c)
{
	const char *id = c->id;
	struct ids *l = ctx;
	size_t n = strlen(l->all);
	snprintf(l->all + n, sizeof l->all - n, "%s%s", n ? "," : "", id);
	return 0;
}

static void expect_ids(struct fx *f, int field, const uint8_t *h, const char *want)
{
	struct ids l = { "" };
	assert_int_equal(pv_store_index_lookup(f->s, field, h, collect, &l), 0);
	assert_string_equal(l.all, want);
}

static void test_sorted_adds_merge_into_existing_rows(void **state)
{
	struct fx *f = *state;
	assert_int_equal(pv_store_begin(f->s), 0);
	int64_t r[10];
	for (unsigned i = 0; i < 10; i++)
		r[i] = customer(f, 10 - i); /* ids in the opposite order of row ids */
	uint8_t a[PV_BLIND_BYTES], b[PV_BLIND_BYTES], c[PV_BLIND_BYTES];
	hash(a, 0x1234, 1);
	hash(b, 0x1234, 2); /* the same row as a */
	hash(c, 0x1235, 1);
	/* A first load: a for customers 0, 1; b for 2; c for 3 (field 1); a for 4 in field 2. */
	assert_int_equal(pv_store_index_add_sorted(f->s, 1, a, r[0]), 0);
	assert_int_equal(pv_store_index_add_sorted(f->s, 1, a, r[1]), 0);
	assert_int_equal(pv_store_index_add_sorted(f->s, 1, b, r[2]), 0);
	assert_int_equal(pv_store_index_add_sorted(f->s, 1, c, r[3]), 0);
	assert_int_equal(pv_store_index_add_sorted(f->s, 2, a, r[4]), 0);
	assert_int_equal(pv_store_index_flush(f->s), 0);
	expect_ids(f, 1, a, "C00009,C00010");
	expect_ids(f, 1, b, "C00008");
	expect_ids(f, 1, c, "C00007");
	expect_ids(f, 2, a, "C00006");
	expect_ids(f, 2, b, "");
	/* A second load into the same rows: a for 5, b for 6, and a repeat of a for 1. */
	assert_int_equal(pv_store_index_add_sorted(f->s, 1, a, r[1]), 0);
	assert_int_equal(pv_store_index_add_sorted(f->s, 1, a, r[5]), 0);
	assert_int_equal(pv_store_index_add_sorted(f->s, 1, b, r[6]), 0);
	assert_int_equal(pv_store_index_flush(f->s), 0);
	expect_ids(f, 1, a, "C00005,C00009,C00010");
	expect_ids(f, 1, b, "C00004,C00008");
	/* The row ids below a bound, ascending. */
	int64_t rids[8];
	size_t n = 0;
	assert_int_equal(pv_store_index_rids_below(f->s, 1, a, r[5], rids, 8, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(rids[0], r[0]);
	assert_int_equal(rids[1], r[1]);
	assert_int_equal(pv_store_index_rids_below(f->s, 1, a, r[5], rids, 1, &n), 0);
	assert_int_equal(n, 1);
	/* Single adds and replacements. */
	assert_int_equal(pv_store_index_add(f->s, 1, c, r[7]), 0);
	expect_ids(f, 1, c, "C00003,C00007");
	assert_int_equal(pv_store_index_replace(f->s, r[7], 1, c, b), 0);
	expect_ids(f, 1, c, "C00007");
	expect_ids(f, 1, b, "C00003,C00004,C00008");
	assert_int_equal(pv_store_index_replace(f->s, r[3], 1, c, NULL), 0);
	expect_ids(f, 1, c, "");
	/* Removing an entry that is not there changes nothing. */
	assert_int_equal(pv_store_index_replace(f->s, r[9], 1, a, NULL), 0);
	expect_ids(f, 1, a, "C00005,C00009,C00010");
	assert_int_equal(pv_store_commit(f->s), 0);
}

static void test_remove_many_customers(void **state)
{
	struct fx *f = *state;
	assert_int_equal(pv_store_begin(f->s), 0);
	enum { N = 300 };
	int64_t r[N];
	for (unsigned i = 0; i < N; i++)
		r[i] = customer(f, i);
	/* Three customers per hash, ten hashes per row: rows of 30 entries. */
	for (unsigned i = 0; i < N; i++) {
		uint8_t h[PV_BLIND_BYTES];
		hash(h, 0x4000 + i / 30, (i % 30) / 3);
		assert_int_equal(pv_store_index_add_sorted(f->s, 3, h, r[i]), 0);
	}
	assert_int_equal(pv_store_index_flush(f->s), 0);
	/* Remove every customer whose number is a multiple of 3, and all of row 0x4001. */
	assert_int_equal(pv_store_doomed_begin(f->s), 0);
	for (unsigned i = 0; i < N; i++)
		if (i % 3 == 0 || i / 30 == 1) {
			char id[16];
			snprintf(id, sizeof id, "C%05u", i);
			assert_int_equal(pv_store_doomed_add(f->s, r[i], id), 0);
		}
	assert_int_equal(pv_store_doomed_remove(f->s), 0);
	for (unsigned i = 0; i < N; i += 3) {
		uint8_t h[PV_BLIND_BYTES];
		hash(h, 0x4000 + i / 30, (i % 30) / 3);
		char want[32];
		if (i / 30 == 1)
			want[0] = 0;
		else
			snprintf(want, sizeof want, "C%05u,C%05u", i + 1, i + 2);
		expect_ids(f, 3, h, want);
	}
	assert_int_equal(pv_store_commit(f->s), 0);
	/* No row is left for 0x4001, and no entry names a removed customer. */
	uint64_t n = 0;
	assert_int_equal(pv_store_customer_count(f->s, &n), 0);
	assert_int_equal(n, N - N / 3 - 20);
}

static void test_rolled_back_sorted_add_leaves_nothing(void **state)
{
	struct fx *f = *state;
	assert_int_equal(pv_store_begin(f->s), 0);
	int64_t r = customer(f, 1);
	assert_int_equal(pv_store_commit(f->s), 0);
	uint8_t a[PV_BLIND_BYTES], b[PV_BLIND_BYTES];
	hash(a, 7, 1);
	hash(b, 8, 1);
	assert_int_equal(pv_store_begin(f->s), 0);
	assert_int_equal(pv_store_index_add_sorted(f->s, 1, a, r), 0);
	assert_int_equal(pv_store_index_add_sorted(f->s, 1, b, r), 0); /* a's row written */
	assert_int_equal(pv_store_rollback(f->s), 0);                 /* b's row pending */
	/* The pending row was forgotten with the transaction: a later flush writes nothing. */
	assert_int_equal(pv_store_begin(f->s), 0);
	assert_int_equal(pv_store_index_flush(f->s), 0);
	assert_int_equal(pv_store_commit(f->s), 0);
	expect_ids(f, 1, a, "");
	expect_ids(f, 1, b, "");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_sorted_adds_merge_into_existing_rows),
		T(test_remove_many_customers),
		T(test_rolled_back_sorted_add_leaves_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
