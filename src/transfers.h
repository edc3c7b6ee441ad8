/* SPDX-License-Identifier: Apache-2.0 */
/* transfers.h: what the transfer files share (plan, notices, package, receipt): a plan
 * loaded from the store with its scope parsed, and the walk over the customers it
 * covers, each with the reason it is left out of the package, if any. */
#ifndef PV_TRANSFERS_H
#define PV_TRANSFERS_H

#include "idset.h"
#include "vault.h"

#include <jansson.h>

enum pv_scope_kind { PV_SCOPE_ALL, PV_SCOPE_CONSENT, PV_SCOPE_CATEGORY, PV_SCOPE_FIELD };

struct pv_plan {
	char id[24];
	json_t *doc;		 /* the plan document as stored */
	char state[24];
	const char *recipient_name, *recipient_contact, *recipient_key, *country, *legal_basis;
	const char *recipient_vault_key; /* 64 hex digits, or NULL until pinned */
	const char *deadline;	 /* objections and deletion requests count until this day */
	int cross_border;
	int same_purposes;	 /* 1: the recipient keeps the purposes of collection */
	unsigned char *moves;	 /* moves[i]: field i of the schema goes in the package */
	enum pv_scope_kind scope;
	const char *scope_purpose; /* PV_SCOPE_CONSENT */
	int scope_category;	   /* PV_SCOPE_CATEGORY */
	int scope_field;	   /* PV_SCOPE_FIELD: index, and the value in normal form */
	char *scope_value;
	char **purposes_withdrawable; /* consent-needing purposes the recipient will use */
	size_t npurposes_withdrawable;
	struct pv_idset objectors; /* an object or delete request by the deadline */
	struct pv_idset withdrawn; /* withdrew consent to a purpose the recipient will use */
	struct pv_idset held;	   /* under an active legal hold */
	struct pv_idset restricted; /* processing restricted at the customer's request */
};

/* Set recipient.vault_key (hex, the recipient vault's public key) and its seal, this
 * vault's signature over plan id and key; non-zero when hex is malformed or out of
 * memory. */
int pv_plan_seal_pin(pv_vault *v, const char *id, json_t *recipient, const char *hex);

/* The recipient vault's signing key plan id's document pins: 0 with *hex the key (64 hex
 * digits, borrowed from plan_doc) or NULL when none is pinned; -1 (pv_errmsg says why)
 * when the pin is malformed or does not carry this vault's seal over the plan id and the
 * key (the row was changed outside pivault). */
int pv_plan_vault_key(pv_vault *v, const char *id, json_t *plan_doc, const char **hex);

/* Load plan id (PV_ERR_NOT_FOUND when there is none). */
pv_rc pv_plan_load(pv_vault *v, const char *id, struct pv_plan *p);
void pv_plan_free(struct pv_plan *p);

/* Called for each customer in the plan's scope, in id order: values are its opened
 * values (nfields, borrowed) when the walk was asked for them, else NULL; excluded is why
 * it stays out of the package ("objection", "legal hold", ...) or NULL. Non-zero stops. */
typedef int (*pv_plan_fn)(void *ctx, const struct pv_stored_customer *c, char **values,
			  const char *excluded);
/* Walk the plan's scope. want_values: open every customer (needed for a field or
 * category scope anyway). */
pv_rc pv_plan_walk(pv_vault *v, struct pv_plan *p, int want_values, pv_plan_fn fn, void *ctx);

#endif
