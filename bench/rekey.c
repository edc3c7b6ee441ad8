/* SPDX-License-Identifier: Apache-2.0 */
/* rekey.c: benchmark of key rotation (pv_rekey) on an existing vault: a bucket rekey
 * (every data key re-wrapped under a new bucket key) or, with "data", a data rekey
 * (every customer re-encrypted under a new data key); customers/s, seconds, peak RSS.
 * usage: bench_rekey VAULT_DIR KEY_FILE [data] */
#include "pivault.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

int main(int argc, char **argv)
{
	if (argc < 3 || (argc > 3 && strcmp(argv[3], "data") != 0)) {
		fprintf(stderr, "usage: bench_rekey VAULT_DIR KEY_FILE [data]\n");
		return 2;
	}
	int data = argc > 3;
	pv_key *key;
	pv_vault *v = NULL;
	if (pv_key_from_file(argv[2], &key) != PV_OK || pv_vault_open(argv[1], NULL, key, &v)) {
		fprintf(stderr, "cannot open vault: %s\n", pv_errmsg(v));
		return 1;
	}
	pv_key_free(key);
	pv_access who = { "admin", NULL, 0 };
	pv_rekey_result res;
	pv_rc rc = pv_rekey(v, &who, data, &res);
	if (rc) {
		fprintf(stderr, "rekey failed: %s\n", pv_errmsg(v));
		pv_vault_close(v);
		return 1;
	}
	pv_vault_close(v);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("rekey%s: %llu customers %s, %llu bucket keys replaced, %.2f s, %.0f customers/s%s\n",
	       data ? " --data" : "", (unsigned long long)res.customers,
	       data ? "re-encrypted" : "re-wrapped", (unsigned long long)res.buckets, res.seconds,
	       res.seconds > 0 ? (double)res.customers / res.seconds : 0.0,
	       res.resumed ? " (resumed)" : "");
	printf("  peak RSS %.1f MiB, cpu user %.2f s sys %.2f s\n", (double)ru.ru_maxrss / 1024.0,
	       (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
	return 0;
}
