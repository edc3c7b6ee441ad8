/* SPDX-License-Identifier: Apache-2.0 */
/* pii.c: benchmark of the PII detector (pv_pii_scan) and the free_text mask on one core,
 * over mixed Chinese text: the documents of the labelled test corpus (tests/pii_corpus.c,
 * customer-service notes dense with IDs, phones, cards, codes, names, addresses and
 * look-alikes) joined into one buffer, scanned whole and note by note. Prints MB/s of wall
 * time and of the process's CPU time (the machine may be shared).
 * usage: bench_pii [MB] [rounds]   (default 16 MB, 3 rounds) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mask.h"
#include "pii_corpus.h"
#include "pivault.h"

static double wall(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int count_span(void *ctx, const pv_pii_span *s)
{
	(void)s;
	(*(size_t *)ctx)++;
	return 0;
}

/* Notes of the corpus until size bytes, joined by newlines; doc_end[i] ends note i. */
static char *make_text(size_t size, size_t **doc_end, size_t *ndocs)
{
	static struct pvt_pii_doc d;
	char *text = malloc(size + PVT_DOC_MAX + 1);
	size_t cap = size / 64 + 16, n = 0, len = 0;
	*doc_end = malloc(cap * sizeof **doc_end);
	if (!text || !*doc_end)
		return NULL;
	pvt_pii_corpus_seed(0xBE7C4ULL);
	while (len < size) {
		pvt_pii_doc_make(&d);
		memcpy(text + len, d.text, d.len);
		len += d.len;
		text[len++] = '\n';
		if (n == cap && !(*doc_end = realloc(*doc_end, (cap *= 2) * sizeof **doc_end)))
			return NULL;
		(*doc_end)[n++] = len;
	}
	text[len] = '\0';
	*ndocs = n;
	return text;
}

static void report(const char *what, size_t bytes, int rounds, double w, double c,
		   size_t spans)
{
	double mb = (double)bytes * rounds / 1e6;
	printf("%-28s %8.1f MB/s wall %8.1f MB/s cpu  (%.2f s wall, %.2f s cpu, %zu spans/round)\n",
	       what, mb / w, mb / c, w, c, spans);
}

int main(int argc, char **argv)
{
	size_t mb = argc > 1 ? (size_t)atol(argv[1]) : 16, ndocs = 0, *doc_end = NULL;
	int rounds = argc > 2 ? atoi(argv[2]) : 3;
	char *text = make_text(mb * 1000000, &doc_end, &ndocs);
	if (!text || mb == 0 || rounds <= 0)
		return 1;
	size_t len = strlen(text), spans = 0;
	printf("text: %zu bytes, %zu notes (avg %zu bytes), %d rounds\n", len, ndocs, len / ndocs,
	       rounds);

	double w = wall(), c = cpu();
	for (int r = 0; r < rounds; r++) {
		spans = 0;
		pv_pii_scan(text, len, PV_PII_MIN_CONFIDENCE, count_span, &spans);
	}
	report("scan, one buffer", len, rounds, wall() - w, cpu() - c, spans);

	w = wall(), c = cpu();
	for (int r = 0; r < rounds; r++) {
		spans = 0;
		for (size_t i = 0, start = 0; i < ndocs; start = doc_end[i++])
			pv_pii_scan(text + start, doc_end[i] - start, PV_PII_MIN_CONFIDENCE,
				    count_span, &spans);
	}
	report("scan, note by note", len, rounds, wall() - w, cpu() - c, spans);

	w = wall(), c = cpu();
	for (int r = 0; r < rounds; r++) {
		for (size_t i = 0, start = 0; i < ndocs; start = doc_end[i++])
			free(pv_mask_value(PV_MASK_FREE_TEXT, text + start, doc_end[i] - start));
	}
	report("free_text mask, note by note", len, rounds, wall() - w, cpu() - c, 0);
	free(doc_end);
	free(text);
	return 0;
}
