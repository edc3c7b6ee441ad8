/* SPDX-License-Identifier: Apache-2.0 */
/* lookup.c: benchmark of `find` by phone through the library API on an existing vault:
 * blind-index lookup, opening (decrypting) the record and its audit entry, on one core,
 * with the audit entries committed as one batch, after the keyring is loaded as a serving
 * process loads it at start (its time printed apart). Prints lookups/s and latencies, for
 * a first pass over COUNT customers drawn from the whole file in random order (a fixed
 * seed: the same ones on every run), the phones as the file writes them (any of the forms
 * pvgen writes), and for a second pass over the same ones.
 * With --unbatched (after COUNT), each lookup commits its own audit entry, synced to disk
 * before the lookup returns, as a single interactive read does. With --threads N, N
 * threads share the lookups, each on its own handle, their audit entries committed by one
 * audit writer (pv_audit_writer_start) as a server's are, each thread's run a batch.
 * usage: bench_lookup VAULT KEY_FILE CSV [COUNT [--unbatched | --threads N]]
 * (CSV: the file imported) */
#include "pivault.h"

#include <pthread.h>
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

static pv_vault *open_vault(const char *dir, const char *key_file)
{
	pv_key *key;
	pv_vault *v = NULL;
	if (pv_key_from_file(key_file, &key) != PV_OK || pv_vault_open(dir, NULL, key, &v) != PV_OK) {
		fprintf(stderr, "cannot open vault: %s\n", pv_errmsg(v));
		exit(1);
	}
	pv_key_free(key);
	/* As a serving process does at start: every bucket key unsealed once. */
	if (pv_vault_load_keys(v) != PV_OK) {
		fprintf(stderr, "cannot load the keyring: %s\n", pv_errmsg(v));
		exit(1);
	}
	return v;
}

/* One thread's share of a pass: lookups [from, to) of phones on its handle. */
struct share {
	pv_vault *v;
	char **phones;
	size_t from, to;
	double *lat;
	int batched;
	long found;
	int failed;
};

static void *run_share(void *p)
{
	struct share *s = p;
	static const pv_access who = { "admin", "all", PV_WANT_CLEAR };
	struct ctx c = { s->v, &who, 0 };
	if (s->batched && pv_vault_batch_begin(s->v) != PV_OK)
		s->failed = 1;
	for (size_t i = s->from; i < s->to && !s->failed; i++) {
		double a = now();
		if (pv_find_records(s->v, &who, "phone", s->phones[i], count_hit, &c) != PV_OK) {
			fprintf(stderr, "find failed: %s\n", pv_errmsg(s->v));
			s->failed = 1;
		}
		s->lat[i] = now() - a;
	}
	if (s->batched && pv_vault_batch_end(s->v, PV_BATCH_COMMIT) != PV_OK) {
		fprintf(stderr, "batch end failed: %s\n", pv_errmsg(s->v));
		s->failed = 1;
	}
	s->found = c.found;
	return NULL;
}

/* One pass over phones[0, n) on nthreads handles; prints its figures. */
static int run_pass(pv_vault **v, int nthreads, char **phones, size_t n, double *lat,
		    int batched, const char *name)
{
	struct share sh[16];
	pthread_t t[16];
	long found = 0;
	int failed = 0;
	double t0 = now();
	for (int k = 0; k < nthreads; k++) {
		sh[k] = (struct share){ v[k], phones, n * (size_t)k / (size_t)nthreads,
					n * (size_t)(k + 1) / (size_t)nthreads, lat, batched, 0, 0 };
		if (pthread_create(&t[k], NULL, run_share, &sh[k]) != 0)
			return 1;
	}
	for (int k = 0; k < nthreads; k++) {
		pthread_join(t[k], NULL);
		found += sh[k].found;
		failed |= sh[k].failed;
	}
	double dt = now() - t0;
	if (failed)
		return 1;
	qsort(lat, n, sizeof *lat, cmp_double);
	printf("find by phone + decrypt%s, %s: %zu lookups on %d thread%s, %ld records opened, "
	       "%.2f s, %.0f lookups/s\n", batched ? "" : " (unbatched)", name, n, nthreads,
	       nthreads == 1 ? "" : "s", found, dt, (double)n / dt);
	printf("  latency: p50 %.1f us, p99 %.1f us, max %.1f us\n", lat[n / 2] * 1e6,
	       lat[n * 99 / 100] * 1e6, lat[n - 1] * 1e6);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: bench_lookup VAULT KEY_FILE CSV [COUNT [--unbatched | "
				"--threads N]]\n");
		return 2;
	}
	size_t want = argc > 4 ? strtoul(argv[4], NULL, 10) : 100000, n = 0, all = 0;
	int batched = !(argc > 5 && strcmp(argv[5], "--unbatched") == 0);
	int nthreads = argc > 6 && strcmp(argv[5], "--threads") == 0 ? atoi(argv[6]) : 1;
	if (nthreads < 1 || nthreads > 16) {
		fprintf(stderr, "--threads: 1 to 16\n");
		return 2;
	}
	char **phones = read_phones(argv[3], &all);
	if (!phones || all == 0) {
		fprintf(stderr, "no phones read from %s\n", argv[3]);
		return 1;
	}
	shuffle(phones, all); /* COUNT customers drawn from the whole file, in random order */
	n = want < all ? want : all;
	double tk = now();
	pv_vault *v[16];
	for (int k = 0; k < nthreads; k++)
		v[k] = open_vault(argv[1], argv[2]);
	printf("keyring loaded (every bucket key unsealed once, %d handle%s): %.3f s\n", nthreads,
	       nthreads == 1 ? "" : "s", now() - tk);
	pv_audit_writer *aw = NULL;
	if (nthreads > 1) { /* the handles' audit entries through one writer */
		pv_key *key;
		pv_vault *w = NULL;
		if (pv_key_from_file(argv[2], &key) != PV_OK ||
		    pv_vault_open(argv[1], NULL, key, &w) != PV_OK ||
		    pv_audit_writer_start(w, &aw) != PV_OK) {
			fprintf(stderr, "cannot start the audit writer: %s\n", pv_errmsg(w));
			return 1;
		}
		pv_key_free(key);
		for (int k = 0; k < nthreads; k++)
			if (pv_vault_join_audit_writer(v[k], aw) != PV_OK)
				return 1;
	}
	double *lat = malloc(n * sizeof *lat);
	/* Two passes over the same customers: the first reads each one's pages for the
	 * first time in this process; the second is a serving process's steady state. */
	if (run_pass(v, nthreads, phones, n, lat, batched, "first pass (pages cold)") != 0 ||
	    run_pass(v, nthreads, phones, n, lat, batched, "second pass (warm)") != 0)
		return 1;
	if (aw) {
		uint64_t groups, entries;
		pv_audit_writer_counts(aw, &groups, &entries);
		printf("  audit writer: %llu entries in %llu commits\n", (unsigned long long)entries,
		       (unsigned long long)groups);
	}
	for (int k = 0; k < nthreads; k++)
		pv_vault_close(v[k]);
	if (pv_audit_writer_stop(aw) != PV_OK)
		return 1;
	for (size_t i = 0; i < all; i++)
		free(phones[i]);
	free(phones);
	free(lat);
	return 0;
}
