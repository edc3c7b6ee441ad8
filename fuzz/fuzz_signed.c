/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_signed.c: the checks of the signed JSON documents a vault hands out, with the
 * public key the caller pinned. Input: the pinned key (hex), NUL, then the document; one
 * build per document (FUZZ_DOC): FUZZ_RECEIPT a handover receipt (pv_receipt_verify),
 * FUZZ_CERTIFICATE a destruction certificate (pv_certificate_verify). */
#include "fuzz.h"

#include <pivault.h>

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf;
	const char *part[2];
	size_t rest;
	fuzz_parts(data, size, &buf, part, 2, &rest);
	char *summary = NULL;
	if (part[1]) {
#if defined(FUZZ_RECEIPT)
		pv_rc rc = pv_receipt_verify(part[1], part[0], &summary);
#elif defined(FUZZ_CERTIFICATE)
		pv_rc rc = pv_certificate_verify(part[1], part[0], &summary);
#else
#error "FUZZ_RECEIPT or FUZZ_CERTIFICATE"
#endif
		fuzz_report("signed", rc, rc ? pv_errmsg(NULL) : summary);
		pv_free(summary);
	}
	free(buf);
	return 0;
}
