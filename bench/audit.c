/* SPDX-License-Identifier: Apache-2.0 */
/* audit.c: benchmark of the audit log: append rate (entries/s with the hash chain and
 * the automatic signed checkpoints, in one transaction as an import uses it) and verify
 * rate (entries/s recomputing the chain, the Merkle tree and every signature).
 * usage: bench_audit WORK_DIR [ENTRIES]   (default 1,000,000) */
#include "audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* "C" and eight digits of k. */
static void customer_id(char out[10], unsigned long k)
{
	out[0] = 'C';
	for (int i = 8; i >= 1; i--, k /= 10)
		out[i] = (char)('0' + k % 10);
	out[9] = '\0';
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_audit WORK_DIR [ENTRIES]\n");
		return 2;
	}
	unsigned long n = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000000;
	char dir[4096], keyfile[4096];
	snprintf(dir, sizeof dir, "%s/vault", argv[1]);
	snprintf(keyfile, sizeof keyfile, "%s/root.key", argv[1]);
	pv_key *key;
	pv_vault *v = NULL;
	pv_create_opts co = { .schema_path = PV_SOURCE_DIR "/examples/schema.yaml",
			      .keyring_slots = 1024 };
	if (pv_key_generate_file(keyfile) != PV_OK || pv_key_from_file(keyfile, &key) != PV_OK ||
	    pv_vault_create(dir, &co, key, &v) != PV_OK) {
		fprintf(stderr, "cannot create vault in %s: %s\n", dir, pv_errmsg(v));
		return 1;
	}
	pv_key_free(key);
	char ids[32];
	struct pv_audit_event e = { "read", ids, "service", NULL, "ok", "masked" };
	double t0 = now();
	if (pv_store_begin(v->store) != 0)
		return 1;
	for (unsigned long i = 0; i < n; i++) {
		customer_id(ids, i % 100000000); /* the bench's own share kept small */
		if (pv_audit_append(v, &e) != PV_OK) {
			fprintf(stderr, "append failed: %s\n", pv_errmsg(v));
			return 1;
		}
	}
	if (pv_store_commit(v->store) != 0)
		return 1;
	double ta = now() - t0;
	printf("audit append: %lu entries in %.2f s, %.0f entries/s (one transaction, chain + "
	       "signed checkpoint every %d)\n", n, ta, (double)n / ta, PV_AUDIT_CHECKPOINT_EVERY);
	char *report = NULL;
	t0 = now();
	pv_rc rc = pv_audit_verify(v, NULL, NULL, &report);
	double tv = now() - t0;
	printf("audit verify: %s; %.2f s, %.0f entries/s\n", report ? report : pv_errmsg(v), tv,
	       (double)n / tv);
	pv_free(report);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("peak RSS %.1f MiB\n", (double)ru.ru_maxrss / 1024.0);
	pv_vault_close(v);
	return rc == PV_OK ? 0 : 1;
}
