/* SPDX-License-Identifier: Apache-2.0 */
/* approvals.h: what guarded operations call to run under an approved request. Each such
 * operation states its own parameters in canonical form (struct pv_params); the approval
 * binds their hash, so a request approved for one set of parameters runs no other. */
#ifndef PV_APPROVALS_H
#define PV_APPROVALS_H

#include "vault.h"

/* An operation's parameters in canonical form: "key=value" lines, in the order the
 * operation adds them. Values never hold a personal value (ids, names of fields, hashes,
 * dates, counts). */
struct pv_params {
	char *text;
	size_t len, cap;
	int oom;
};

void pv_params_init(struct pv_params *p);
void pv_params_add(struct pv_params *p, const char *key, const char *value);
void pv_params_addf(struct pv_params *p, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A set of customer ids, sorted and without duplicates: its count and BLAKE2b digest,
 * and the ids themselves while the set is short enough to read. */
void pv_params_add_ids(struct pv_params *p, const char *key, const char *const *ids, size_t n);
/* The contents of a file (its bytes' BLAKE2b-256), so a file changed after approval is
 * refused at run. */
void pv_params_add_bytes(struct pv_params *p, const char *key, const void *bytes, size_t len);
void pv_params_free(struct pv_params *p);

/* Inside or before the operation's transaction: check that the request taken up with
 * pv_vault_use_request is for op with exactly params, approved, unexpired and unused,
 * and mark it used. A session opened with the root secret (break-glass, kept under dual
 * control) needs no request. While the handle asks (pv_request_begin), the operation is
 * recorded to be asked for instead, and PV_REQUESTED returned: the operation must then
 * stop without acting. */
pv_rc pv_approval_consume(pv_vault *v, const char *op, const struct pv_params *params);

/* 1 when the handle needs no approval: a session opened with the root secret
 * (break-glass), neither asking nor running under a request. */
int pv_approval_waived(const pv_vault *v);

/* 1 while the handle asks instead of running (pv_request_begin). */
int pv_approval_asking(const pv_vault *v);

/* The enrolment public key the approver's half of the request being run gives ("user
 * add", "user reset"); PV_ERR_USAGE when the request has none. */
pv_rc pv_approval_enrol_public(pv_vault *v, uint8_t pk[32]);

/* A request's parameters as kept for the approver ("key=value" lines joined by ';', see
 * params_shown in approvals.c) as a JSON object text (malloc'd; NULL when out of memory):
 * each key with its value unescaped, and "truncated": true when the text was cut. */
char *pv_request_args_json(const char *shown);

/* Forget what a handle that asks kept (at close). */
void pv_approval_close(pv_vault *v);

#endif
