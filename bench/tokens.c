/* SPDX-License-Identifier: Apache-2.0 */
/* tokens.c: benchmark of pv_tokenize and pv_detokenize on an existing vault (made with
 * bench_import, or pivault init and import), library level, one thread, the root key's
 * session (no bulk limit): tokens per second for each mode and shape, and detokenizations
 * per second, each phase for about SECONDS (default 0.5), once with each call its own
 * durable transaction and once grouped in batches of 256 (pv_vault_batch_*: one commit a
 * batch), with the process's CPU time a call (the rest is waiting for the disk). Tokens
 * are made for the first customers' phones, purpose service.
 * usage: bench_tokens VAULT_DIR KEY_FILE [SECONDS] */
#include "pivault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define IDS 512
#define BATCH 256
#define TOKENS 4096

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct ids {
	char *id[IDS];
	size_t n;
};

static int keep_id(void *ctx, const pv_record *r)
{
	struct ids *l = ctx;
	if (l->n < IDS)
		l->id[l->n++] = strdup(pv_record_id(r));
	return 0;
}

static const pv_access SERVICE = { "admin", "service", PV_WANT_CLEAR };
static char *g_tokens[TOKENS];
static size_t g_ntokens;

/* One call of a phase, number i: 0, or -1 (message printed). */
typedef int (*step_fn)(pv_vault *v, const struct ids *l, size_t i, const void *arg);

static int step_tokenize(pv_vault *v, const struct ids *l, size_t i, const void *arg)
{
	const int *how = arg; /* mode, shape */
	char *t = NULL;
	if (pv_tokenize(v, &SERVICE, l->id[i % l->n], "phone", (pv_token_mode)how[0],
			(pv_token_shape)how[1], &t)) {
		fprintf(stderr, "tokenize: %s\n", pv_errmsg(v));
		return -1;
	}
	if (g_ntokens < TOKENS)
		g_tokens[g_ntokens++] = t;
	else
		pv_free(t);
	return 0;
}

static int step_detokenize(pv_vault *v, const struct ids *l, size_t i, const void *arg)
{
	(void)l;
	(void)arg;
	char *value = NULL;
	if (pv_detokenize(v, &SERVICE, g_tokens[i % g_ntokens], &value)) {
		fprintf(stderr, "detokenize: %s\n", pv_errmsg(v));
		return -1;
	}
	pv_free(value);
	return 0;
}

static double cpu_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double g_cpu_us; /* CPU time a call of the last phase, in microseconds */

/* Run step for about seconds; calls per second, or -1. */
static double phase(pv_vault *v, const struct ids *l, double seconds, int batched, step_fn step,
		    const void *arg)
{
	size_t done = 0;
	double t0 = now(), t = t0, c0 = cpu_now();
	while (t - t0 < seconds) {
		if (batched && pv_vault_batch_begin(v))
			return -1;
		for (size_t k = 0; k < (batched ? BATCH : 16); k++, done++)
			if (step(v, l, done, arg))
				return -1;
		if (batched && pv_vault_batch_end(v, PV_BATCH_COMMIT))
			return -1;
		t = now();
	}
	g_cpu_us = (cpu_now() - c0) * 1e6 / (double)done;
	return (double)done / (t - t0);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench_tokens VAULT_DIR KEY_FILE [SECONDS]\n");
		return 2;
	}
	double seconds = argc > 3 ? atof(argv[3]) : 0.5;
	pv_key *key = NULL;
	pv_vault *v = NULL;
	if (pv_key_from_file(argv[2], &key) != PV_OK || pv_vault_open(argv[1], NULL, key, &v) ||
	    pv_vault_load_keys(v)) {
		fprintf(stderr, "cannot open vault: %s\n", pv_errmsg(v));
		return 1;
	}
	pv_key_free(key);
	struct ids l = { { NULL }, 0 };
	pv_access masked = { "admin", "all", PV_WANT_MASKED };
	if (pv_list(v, &masked, NULL, IDS, keep_id, &l, NULL) || l.n == 0) {
		fprintf(stderr, "no customers to tokenize: %s\n", pv_errmsg(v));
		return 1;
	}
	static const int kinds[][2] = { { PV_TOKEN_RANDOM, PV_TOKEN_OPAQUE },
					{ PV_TOKEN_DETERMINISTIC, PV_TOKEN_OPAQUE },
					{ PV_TOKEN_RANDOM, PV_TOKEN_LIKE_FIELD },
					{ PV_TOKEN_DETERMINISTIC, PV_TOKEN_LIKE_FIELD } };
	static const char *const names[] = { "random opaque", "deterministic opaque",
					      "random phone-shaped", "deterministic phone-shaped" };
	printf("%zu customers; phases of %.1f s; one thread\n", l.n, seconds);
	for (int batched = 0; batched < 2; batched++) {
		const char *how = batched ? "batches of 256" : "a commit each";
		for (int k = 0; k < 4; k++) {
			double r = phase(v, &l, seconds, batched, step_tokenize, kinds[k]);
			printf("tokenize %-27s %s: %8.0f /s, CPU %6.1f us a call\n", names[k],
			       how, r, g_cpu_us);
		}
		double r = phase(v, &l, seconds, batched, step_detokenize, NULL);
		printf("detokenize %-25s %s: %8.0f /s, CPU %6.1f us a call\n", "", how, r,
		       g_cpu_us);
	}
	for (size_t i = 0; i < g_ntokens; i++)
		pv_free(g_tokens[i]);
	for (size_t i = 0; i < l.n; i++)
		free(l.id[i]);
	pv_vault_close(v);
	return 0;
}
