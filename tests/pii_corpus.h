/* SPDX-License-Identifier: Apache-2.0 */
/* pii_corpus.h: a labelled corpus of generated Chinese text for the PII detector
 * (test_pii.c measures precision and recall on it, bench/pii.c its speed): customer-service
 * notes with embedded resident IDs, phones in their written forms, bank cards, USCC codes,
 * e-mail addresses, passport numbers, addresses and names in context, each labelled, and
 * look-alikes that must not match (order, tracking, invoice and member numbers, IDs, cards
 * and codes with a wrong check character, dates, amounts, context words without a name).
 * Deterministic from its seed; the check characters are computed here, apart from the
 * library's own code. */
#ifndef PVT_PII_CORPUS_H
#define PVT_PII_CORPUS_H

#include <stddef.h>
#include <stdint.h>

#include "pivault.h"

#define PVT_DOC_MAX 4096
#define PVT_DOC_LABELS 32

struct pvt_pii_label {
	size_t start, end; /* bytes of the document */
	pv_pii_type type;
};

struct pvt_pii_doc {
	char text[PVT_DOC_MAX];
	size_t len;
	struct pvt_pii_label label[PVT_DOC_LABELS];
	size_t nlabels;
	size_t lookalikes; /* look-alikes written into the text */
};

/* Start the generator's sequence from seed. */
void pvt_pii_corpus_seed(uint64_t seed);

/* Write the next document into d. */
void pvt_pii_doc_make(struct pvt_pii_doc *d);

/* Check characters: of a resident ID (17 digits d; ISO 7064 MOD 11-2: '0'..'9' or 'X'), the
 * Luhn digit completing the n digits d, the USCC check of the 17 characters c, and the
 * GB 11714 check of the 8 characters c of an organisation code. */
char pvt_resident_id_check(const char *d);
char pvt_luhn_digit(const char *d, size_t n);
char pvt_uscc_check(const char *c);
char pvt_org_code_check(const char *c);

#endif
