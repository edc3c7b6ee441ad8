/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_backup.c: a backup file's check without restoring it (its trailer, signature, size
 * and SHA-256). Input: the pinned key (hex), NUL, then the backup file's bytes, written to
 * a private temporary file for pv_backup_verify. */
#include "fuzz.h"

#include <pivault.h>

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf;
	const char *part[1];
	size_t file_len;
	const char *file = fuzz_parts(data, size, &buf, part, 1, &file_len);
	char path[128], *summary = NULL;
	snprintf(path, sizeof path, "%s/backup", fuzz_tempdir());
	if (fuzz_write(path, file, file_len) == 0) {
		pv_rc rc = pv_backup_verify(path, part[0], &summary);
		fuzz_report("backup", rc, rc ? pv_errmsg(NULL) : summary);
		pv_free(summary);
	}
	free(buf);
	return 0;
}
