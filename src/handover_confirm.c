/* SPDX-License-Identifier: Apache-2.0 */
/* handover_confirm.c: closing a handover on the sender's side. The recipient's signed
 * receipt is checked (handover_receipt.c: signed by the recipient vault key the plan
 * pinned, and answering the package this vault recorded when it exported: package id,
 * manifest hash, root hash, record count); then every
 * customer the package held is crypto-shredded, in batches, each with a destruction
 * certificate whose grounds name the receipt. The transfer ends "confirmed". Customers
 * already gone (shredded since the export, or by a confirm killed before it closed the
 * transfer) are left out, so running a confirm again completes it. */
#include "handover.h"
#include "transfers.h"

#include "approvals.h"
#include "audit.h"
#include "policy.h"
#include "record.h"
#include "erasure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIRM_BATCH 1000000 /* a batch rewrites the tables once */

struct members {
	char **ids;
	size_t n, cap;
	int oom;
};

static int add_member(void *ctx, const char *customer)
{
	struct members *m = ctx;
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 1024;
		char **a = realloc(m->ids, cap * sizeof *a);
		if (!a)
			return m->oom = -1;
		m->ids = a;
		m->cap = cap;
	}
	if (!(m->ids[m->n] = strdup(customer)))
		return m->oom = -1;
	m->n++;
	return 0;
}

/* Leave out the members no longer in the vault: shredded since the export, or by a
 * confirm that was stopped before it closed the transfer. */
static pv_rc drop_gone(pv_vault *v, struct members *m)
{
	size_t kept = 0;
	for (size_t i = 0; i < m->n; i++) {
		struct pv_stored_customer c;
		int got = pv_store_customer_get(v->store, m->ids[i], &c);
		if (got < 0)
			return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
		if (got == 1)
			free(m->ids[i]);
		else
			m->ids[kept++] = m->ids[i];
	}
	m->n = kept;
	return PV_OK;
}

/* Check the receipt and read the handed-over customers; *t_id gets the transfer. */
static pv_rc prepare(pv_vault *v, const char *receipt, char *t_id, size_t idlen,
		     char *grounds, size_t glen, struct members *m)
{
	struct pv_receipt_facts f;
	pv_rc rc = pv_receipt_check(v, receipt, &f);
	if (!rc && strcmp(f.state, "confirmed") == 0)
		rc = pv_fail(v, PV_ERR_USAGE, "transfer %s is already confirmed", f.transfer);
	if (!rc) {
		uint8_t h[32];
		char hex[65];
		pv_hash2(h, receipt, strlen(receipt), NULL, 0);
		pv_hex(hex, h, sizeof h);
		snprintf(t_id, idlen, "%s", f.transfer);
		snprintf(grounds, glen, "handed over in transfer %s, package %s; receipt %s signed by "
			 "recipient vault key %s (fingerprint %s, pinned in the plan)", f.transfer,
			 f.package, hex, f.key_hex, f.key_fp);
		if (pv_store_transfer_member_scan(v->store, f.transfer, add_member, m) != 0)
			rc = m->oom ? pv_fail(v, PV_ERR_NOMEM, "out of memory")
				    : pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
		else
			rc = drop_gone(v, m);
	}
	return rc;
}

/* Record the receipt and the end of the transfer, with its audit entry. */
static pv_rc close_transfer(pv_vault *v, const char *t_id, const char *receipt, uint64_t n)
{
	json_error_t je;
	json_t *doc = json_loads(receipt, 0, &je);
	char *compact = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(doc);
	pv_rc rc = compact ? PV_OK : pv_fail(v, PV_ERR_NOMEM, "out of memory");
	if (!rc && pv_store_begin(v->store) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (!rc) {
		char detail[160];
		snprintf(detail, sizeof detail, "transfer %s confirmed by the recipient's receipt; "
			 "%llu customers shredded", t_id, (unsigned long long)n);
		struct pv_audit_event e = { "handover confirm", "*", NULL, NULL, "ok", detail };
		if (pv_store_transfer_set(v->store, t_id, PV_TRANSFER_RECEIPT, compact) != 0 ||
		    pv_store_transfer_set(v->store, t_id, PV_TRANSFER_STATE, "confirmed") != 0)
			rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
		rc = pv_audit_commit(v, &e, rc);
	}
	free(compact);
	return rc;
}

pv_rc pv_handover_confirm(pv_vault *v, const pv_access *who, const char *receipt,
			  pv_certificate_fn cert_fn, void *ctx, uint64_t *shredded)
{
	*shredded = 0;
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_HANDOVER, &role);
	if (!rc)
		rc = pv_policy_authorize(v, who, PV_OP_SHRED, &role);
	if (rc)
		return pv_audit_failure(v, rc, "handover confirm", NULL, NULL);
	char t_id[64], grounds[400];
	struct members m = { 0 };
	rc = prepare(v, receipt, t_id, sizeof t_id, grounds, sizeof grounds, &m);
	/* the approval, for this receipt's exact bytes, is used up by the first batch; the
	 * others ride on it */
	const char *approval = "handover confirm";
	struct pv_params ap;
	pv_params_init(&ap);
	pv_params_add(&ap, "transfer", t_id);
	pv_params_add_bytes(&ap, "receipt", receipt, strlen(receipt));
	for (size_t i = 0; !rc && i < m.n; i += CONFIRM_BATCH) {
		size_t n = m.n - i < CONFIRM_BATCH ? m.n - i : CONFIRM_BATCH;
		char *cert = NULL;
		rc = pv_shred_run(v, (const char *const *)m.ids + i, n, approval, &ap, grounds,
				  &cert);
		approval = NULL;
		if (cert) { /* the batch committed, even if a step after it failed (rc) */
			*shredded += n;
			pv_progress(v, "shred", *shredded, m.n);
			if (cert_fn && cert_fn(ctx, cert) != 0 && !rc)
				rc = pv_fail(v, PV_ERR_IO, "the certificate could not be kept: stopped "
					     "after %llu customers", (unsigned long long)*shredded);
		}
		pv_free(cert);
	}
	if (!rc && m.n == 0)
		rc = pv_approval_consume(v, "handover confirm", &ap);
	pv_params_free(&ap);
	if (!rc)
		rc = close_transfer(v, t_id, receipt, *shredded);
	for (size_t i = 0; i < m.n; i++)
		free(m.ids[i]);
	free(m.ids);
	if (rc)
		return pv_audit_failure(v, rc, "handover confirm", NULL, NULL);
	return pv_ok(v);
}
