/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_audit_proof.c: an audit proof (inclusion or consistency) checked without a vault,
 * with the checkpoint texts it must match. Input: the pinned key (hex), NUL, the proof,
 * NUL, the new checkpoint, NUL, the old checkpoint; a missing part is NULL. */
#include "fuzz.h"

#include <pivault.h>

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf;
	const char *part[4];
	size_t rest;
	fuzz_parts(data, size, &buf, part, 4, &rest);
	char *summary = NULL;
	if (part[1]) {
		pv_rc rc = pv_audit_check_proof(part[1], part[2], part[3], part[0], &summary);
		fuzz_report("audit_proof", rc, rc ? pv_errmsg(NULL) : summary);
		pv_free(summary);
	}
	free(buf);
	return 0;
}
