/* SPDX-License-Identifier: Apache-2.0 */
/* schema.c: opening a vault's database: the connection (connection.c), then every table
 * family's tables, created when missing (the first format's only with a new vault: a file
 * without them is no vault), and the hooks by which the connection forgets at rollback,
 * and frees at close, what the blind index and the flags keep on it. The top of the
 * folder: it names every family, and no file calls it. */
#include "internal.h"

#include <stdio.h>

struct pv_store *pv_sqlite_open(const char *path, int create, char *err, size_t errlen)
{
	const char *const first[] = { pv_sqlite_meta_first_tables, pv_sqlite_customers_first_tables,
				      pv_sqlite_consents_first_tables };
	const char *const every[] = {
		pv_sqlite_index_tables,	    pv_sqlite_audit_tables,    pv_sqlite_users_tables,
		pv_sqlite_requests_tables,  pv_sqlite_holds_tables,    pv_sqlite_escrow_tables,
		pv_sqlite_notices_tables,   pv_sqlite_dsr_tables,      pv_sqlite_flags_tables,
		pv_sqlite_complaint_tables, pv_sqlite_transfer_tables, pv_sqlite_authz_tables,
		pv_sqlite_ledger_tables,    pv_sqlite_import_tables,   pv_sqlite_consents_tables,
		pv_sqlite_sessions_tables, pv_sqlite_incident_tables,
		pv_sqlite_api_token_tables,
		pv_sqlite_token_tables,
		pv_sqlite_seal_tables, /* incident_seals.c */
		pv_sqlite_keyring_journal_tables,
		pv_sqlite_customers_tables, /* last: in a file with no customers table it fails */
	};
	struct pv_store *s = pv_sqlite_connect(path, create, err, errlen);
	if (!s)
		return NULL;
	s->ops = &pv_sqlite_ops; /* from here on it is reached through store.h */
	for (size_t i = 0; create && i < sizeof first / sizeof *first; i++)
		if (pv_sqlite_exec(s, first[i]) != 0)
			return pv_sqlite_setup_failed(s, path, err, errlen);
	for (size_t i = 0; i < sizeof every / sizeof *every; i++)
		if (pv_sqlite_exec(s, every[i]) != 0)
			return pv_sqlite_setup_failed(s, path, err, errlen);
	int64_t pending_from = 0; /* a bulk import under way builds the bucket index itself */
	int none_pending = pv_sqlite_import_pending(s, &pending_from);
	if (none_pending < 0 || (none_pending == 1 && pv_sqlite_bucket_index_ensure(s) != 0))
		return pv_sqlite_setup_failed(s, path, err, errlen);
	pv_sqlite_on_rollback(s, pv_sqlite_flags_forget);
	pv_sqlite_on_rollback(s, pv_sqlite_index_group_discard);
	pv_sqlite_on_close(s, pv_sqlite_index_group_free);
	if (!create) { /* one row or none is enough to know the table is there (a count
			* would read the whole table) */
		sqlite3_stmt *q = pv_sqlite_stmt(s, "SELECT rid FROM customers LIMIT 1");
		int st = q ? sqlite3_step(q) : SQLITE_ERROR;
		if (st != SQLITE_ROW && st != SQLITE_DONE) {
			snprintf(err, errlen, "%s is not a pivault database: %s", path,
				 sqlite3_errmsg(s->db));
			pv_sqlite_close(s);
			return NULL;
		}
		sqlite3_reset(q);
	}
	return s;
}
