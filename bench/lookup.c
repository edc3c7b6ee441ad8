/* SPDX-License-Identifier: Apache-2.0 */
/* lookup.c: benchmark of `find` by phone through the library API on an existing vault:
 * blind-index lookup, opening (decrypting) the record and its audit entry, on one core,
 * with the audit entries committed as one batch, after the keyring is loaded as a serving
 * process loads it at start (its time printed apart). Prints lookups/s and latencies, for
 * a first pass over COUNT customers drawn from the whole file in random order (a fixed
 * seed: the same ones on every run), the phones as the file writes them (any of the forms
 * pvgen writes), and for a second pass over the same ones.
 * With --unbatched (after COUNT), each lookup commits its own audit entry, synced to disk
 * before the lookup returns, as a single interactive read does.
 * usage: bench_lookup VAULT KEY_FILE CSV [COUNT [--unbatched]]   (CSV: the file imported) */
#include "pivault.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct ctx {
	pv_vault *v;
	const pv_access *who;
	long found;
};

static int count_hit(void *p, const pv_record *r)
{
	struct ctx *c = p;
	c->found += pv_record_field_count(r) > 0;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The next number of a fixed-seed xorshift64* sequence: the same order on every run. */
static uint64_t next_random(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* Shuffle a (Fisher-Yates), so lookups go in random order, not in the file's. */
static void shuffle(char **a, size_t n)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)(next_random(&seed) % i);
		char *t = a[i - 1];
		a[i - 1] = a[j];
		a[j] = t;
	}
}

/* Every phone value of the file, as written (pvgen writes them in several forms): the
 * third column of pvgen's records (ids C + 8 digits). */
static char **read_phones(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t max = 1 << 16;
	char **out = calloc(max, sizeof *out);
	char line[8192];
	size_t k = 0;
	int header = 1;
	while (out && fgets(line, sizeof line, f)) {
		if (k == max) {
			char **more = realloc(out, 2 * max * sizeof *out);
			if (!more)
				break;
			out = more;
			max *= 2;
		}
		if (header) {
			header = 0;
			continue;
		}
		char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL,
		     *c3 = c2 ? strchr(c2 + 1, ',') : NULL;
		if (!c3 || line[0] != 'C' || c1 - line != 9) /* a record's first line: C + 8 digits */
			continue;
		*c3 = '\0';
		out[k++] = strdup(c2 + 1);
	}
	fclose(f);
	*n = k;
	return out;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: bench_lookup VAULT KEY_FILE CSV [COUNT [--unbatched]]\n");
		return 2;
	}
	size_t want = argc > 4 ? strtoul(argv[4], NULL, 10) : 100000, n = 0, all = 0;
	int batched = !(argc > 5 && strcmp(argv[5], "--unbatched") == 0);
	char **phones = read_phones(argv[3], &all);
	if (!phones || all == 0) {
		fprintf(stderr, "no phones read from %s\n", argv[3]);
		return 1;
	}
	shuffle(phones, all); /* COUNT customers drawn from the whole file, in random order */
	n = want < all ? want : all;
	pv_key *key;
	pv_vault *v = NULL;
	if (pv_key_from_file(argv[2], &key) != PV_OK ||
	    pv_vault_open(argv[1], NULL, key, &v) != PV_OK) {
		fprintf(stderr, "cannot open vault: %s\n", pv_errmsg(v));
		return 1;
	}
	pv_key_free(key);
	pv_access who = { "admin", "all", 1 };
	/* Audit entries of a run of reads are made durable together (group commit). */
	if (batched && pv_vault_batch_begin(v) != PV_OK)
		return 1;
	/* As a serving process does at start: every bucket key unsealed once. */
	double tk = now();
	if (pv_vault_load_keys(v) != PV_OK) {
		fprintf(stderr, "cannot load the keyring: %s\n", pv_errmsg(v));
		return 1;
	}
	printf("keyring loaded (every bucket key unsealed once): %.3f s\n", now() - tk);
	struct ctx c = { v, &who, 0 };
	double *lat = malloc(n * sizeof *lat);
	/* Two passes over the same customers: the first reads each one's pages for the
	 * first time in this process; the second is a serving process's steady state. */
	static const char *const pass_name[2] = { "first pass (pages cold)",
						   "second pass (warm)" };
	for (int pass = 0; pass < 2; pass++) {
		c.found = 0;
		double t0 = now();
		for (size_t i = 0; i < n; i++) {
			double a = now();
			if (pv_find_records(v, &who, "phone", phones[i], count_hit, &c) != PV_OK) {
				fprintf(stderr, "find failed: %s\n", pv_errmsg(v));
				return 1;
			}
			lat[i] = now() - a;
		}
		double dt = now() - t0;
		qsort(lat, n, sizeof *lat, cmp_double);
		printf("find by phone + decrypt%s, %s: %zu lookups, %ld records opened, %.2f s, "
		       "%.0f lookups/s\n", batched ? "" : " (unbatched)", pass_name[pass], n, c.found, dt, (double)n / dt);
		printf("  latency: p50 %.1f us, p99 %.1f us, max %.1f us\n", lat[n / 2] * 1e6,
		       lat[n * 99 / 100] * 1e6, lat[n - 1] * 1e6);
	}
	if (batched && pv_vault_batch_end(v, 1) != PV_OK)
		return 1;
	for (size_t i = 0; i < all; i++)
		free(phones[i]);
	free(phones);
	free(lat);
	pv_vault_close(v);
	return 0;
}
