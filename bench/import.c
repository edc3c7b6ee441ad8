/* SPDX-License-Identifier: Apache-2.0 */
/* import.c: benchmark of a CSV import into a fresh vault through the library API.
 * Prints records/s, MB/s and the process's peak resident memory.
 * usage: bench_import CSV VAULT_DIR KEY_FILE [THREADS] */
#include "pivault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

/* The bytes this process has caused to be written to storage (/proc/self/io), or -1. */
static double bytes_written(void)
{
	FILE *f = fopen("/proc/self/io", "r");
	char line[128];
	double b = -1;
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, "write_bytes: ", 13) == 0)
			b = atof(line + 13);
	if (f)
		fclose(f);
	return b;
}

/* CPU seconds (user + system) this process has used so far. */
static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: bench_import CSV VAULT_DIR KEY_FILE [THREADS]\n");
		return 2;
	}
	struct stat st;
	if (stat(argv[1], &st) != 0) {
		perror(argv[1]);
		return 1;
	}
	pv_key *key;
	pv_vault *v = NULL;
	pv_create_opts co = { .schema_path = PV_SOURCE_DIR "/examples/schema.yaml" };
	if (pv_key_from_file(argv[3], &key) != PV_OK || pv_vault_create(argv[2], &co, key, &v)) {
		fprintf(stderr, "cannot create vault: %s\n", pv_errmsg(v));
		return 1;
	}
	pv_key_free(key);
	pv_access who = { "admin", NULL, 0 };
	pv_import_opts io = { .threads = argc > 4 ? (unsigned)atoi(argv[4]) : 0 };
	pv_import_result *res = NULL;
	double w0 = bytes_written(), c0 = cpu_seconds(), t0 = now();
	pv_rc rc = pv_import_csv(v, &who, argv[1], &io, &res);
	double t_import = now() - t0;
	pv_vault_close(v); /* closing checkpoints the write-ahead log: part of the cost */
	double dt = now() - t0, cpu = cpu_seconds() - c0;
	if (rc) {
		fprintf(stderr, "import failed: %s\n", pv_strerror(rc));
		return 1;
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	uint64_t n = pv_import_rows_imported(res);
	printf("pivault import: %llu records, %.1f MB CSV, %.2f s (import %.2f s + close %.2f s)\n",
	       (unsigned long long)n, (double)st.st_size / 1e6, dt, t_import, dt - t_import);
	printf("  %.0f records/s, %.1f MB/s, peak RSS %.1f MiB, cpu user %.2f s sys %.2f s\n",
	       (double)n / dt, (double)st.st_size / 1e6 / dt, (double)ru.ru_maxrss / 1024.0,
	       (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
	printf("  import and close: cpu %.2f s (%.1f us a record), written to storage: %.0f MB\n",
	       cpu, cpu * 1e6 / (double)(n ? n : 1), (bytes_written() - w0) / 1e6);
	printf("pivault_seconds=%.3f\npivault_rss_mib=%.1f\n", dt, (double)ru.ru_maxrss / 1024.0);
	pv_import_free(res);
	return 0;
}
