/* SPDX-License-Identifier: Apache-2.0 */
/* retention.c: benchmark of a retention run (pv_retention_apply) on an existing vault:
 * the time to scan every customer, the erasure rate and the shred rate (with bucket
 * re-keying, keyring overwrite and certificates), and peak resident memory.
 * usage: bench_retention VAULT_DIR KEY_FILE [AS_OF] */
#include "pivault.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* When each stage was first and last reported. */
struct stages {
	double start, scan_end, erase_end, shred_end;
};

static void on_progress(void *ctx, const char *stage, uint64_t done, uint64_t total)
{
	struct stages *s = ctx;
	(void)done;
	(void)total;
	double t = now();
	if (strcmp(stage, "scan") == 0)
		s->scan_end = t;
	else if (strcmp(stage, "erase") == 0)
		s->erase_end = t;
	else if (strcmp(stage, "shred") == 0)
		s->shred_end = t;
}

static int count_cert(void *ctx, const char *cert)
{
	(void)cert;
	++*(unsigned *)ctx;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench_retention VAULT_DIR KEY_FILE [AS_OF]\n");
		return 2;
	}
	pv_key *key;
	pv_vault *v = NULL;
	if (pv_key_from_file(argv[2], &key) != PV_OK || pv_vault_open(argv[1], NULL, key, &v)) {
		fprintf(stderr, "cannot open vault: %s\n", pv_errmsg(v));
		return 1;
	}
	pv_key_free(key);
	pv_access who = { "admin", NULL, 0 };
	struct stages s = { 0 };
	unsigned certs = 0;
	uint64_t shredded, erased, held, undetermined;
	pv_vault_on_progress(v, on_progress, &s);
	s.start = now();
	pv_rc rc = pv_retention_apply(v, &who, argc > 3 ? argv[3] : NULL, count_cert, &certs,
				      &shredded, &erased, &held, &undetermined);
	double end = now();
	if (rc) {
		fprintf(stderr, "retention apply failed: %s\n", pv_errmsg(v));
		pv_vault_close(v);
		return 1;
	}
	pv_vault_close(v);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	/* a stage with nothing to do reports nothing: it took no time after the one before */
	double scan = s.scan_end ? s.scan_end : s.start;
	double erase = s.erase_end ? s.erase_end : scan;
	double shred = s.shred_end ? s.shred_end : erase;
	printf("retention apply: %.2f s, %llu customers shredded (%u certificates), %llu erased, "
	       "%llu held back, %llu values undetermined\n", end - s.start,
	       (unsigned long long)shredded, certs, (unsigned long long)erased,
	       (unsigned long long)held, (unsigned long long)undetermined);
	printf("  scan %.2f s; erase %.2f s (%.0f/s); shred %.2f s (%.0f customers/s); "
	       "peak RSS %.1f MiB\n", scan - s.start, erase - scan,
	       erase > scan ? (double)erased / (erase - scan) : 0.0, shred - erase,
	       shred > erase ? (double)shredded / (shred - erase) : 0.0,
	       (double)ru.ru_maxrss / 1024.0);
	return 0;
}
