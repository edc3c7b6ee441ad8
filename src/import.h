/* SPDX-License-Identifier: Apache-2.0 */
/* import.h: the CSV import pipeline over any file descriptor, for imports that feed it
 * from elsewhere (a handover package): the caller names the audit operation and may
 * check its own conditions at the last moment, inside the import's transaction. */
#ifndef PV_IMPORT_H
#define PV_IMPORT_H

#include "vault.h"

struct pv_import_hook {
	const char *audit_op; /* the operation the audit entry names ("import") */
	/* Called after every row is stored and before the commit (NULL: none); a non-OK
	 * result rolls the whole import back. */
	pv_rc (*before_commit)(void *ctx, pv_vault *v, const pv_import_result *r);
	void *ctx;
};

/* pv_import_csv over fd (not closed), bytes_total its size when known (for progress). */
pv_rc pv_import_fd(pv_vault *v, const pv_access *who, int fd, uint64_t bytes_total,
		   const pv_import_opts *opts, const struct pv_import_hook *hook,
		   pv_import_result **out);

#endif
