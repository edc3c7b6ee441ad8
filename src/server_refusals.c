/* SPDX-License-Identifier: Apache-2.0 */
/* server_refusals.c: the audit entry of a request a server refused before acting on it
 * (a rate limit). The server counts and decides (transport policy); what the entry says is
 * the library's: operation "rate-limit", outcome "denied", under the user named only when
 * such a user exists (a name typed at sign-in may be anything, even a password: an unknown
 * one is written "(unknown)"), and a detail made here from fixed words (the limit, the
 * client's address class) and a count: never an address, a password or a value. */
#include "audit.h"

#include <stdio.h>
#include <string.h>

#define UNKNOWN_USER "(unknown)"

static const char *limit_name(pv_rate_limit limit)
{
	switch (limit) {
	case PV_LIMIT_SIGN_IN_ADDRESS:
		return "sign-in per address";
	case PV_LIMIT_SIGN_IN_USER:
		return "sign-in per user";
	case PV_LIMIT_READS:
		return "reads per user";
	}
	return NULL;
}

/* The class as given when it is one of the known words, else "other". */
static const char *class_word(const char *address_class)
{
	static const char *const known[] = { "loopback", "private", "public" };
	for (size_t i = 0; address_class && i < sizeof known / sizeof *known; i++)
		if (strcmp(address_class, known[i]) == 0)
			return known[i];
	return "other";
}

/* user when it names an existing user, else "(unknown)"; NULL on a store error. */
static const char *known_user(pv_vault *v, const char *user)
{
	if (!user || !*user || strlen(user) >= sizeof v->principal)
		return UNKNOWN_USER;
	struct pv_stored_user u;
	int got = pv_store_user_get(v->store, user, &u);
	if (got < 0) {
		pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
		return NULL;
	}
	return got == 0 ? user : UNKNOWN_USER;
}

pv_rc pv_audit_rate_limited(pv_vault *v, const char *user, pv_rate_limit limit,
			    const char *address_class, unsigned long refused)
{
	if (!v)
		return pv_fail(NULL, PV_ERR_USAGE, "a vault handle is required");
	const char *what = limit_name(limit);
	if (!v->serving || !what || refused == 0)
		return pv_fail(v, PV_ERR_USAGE, "a rate-limit entry needs a server's handle, a "
			       "known limit and at least one refusal");
	const char *who = known_user(v, user);
	if (!who)
		return PV_ERR_STORE;
	char detail[128], was[sizeof v->principal], name[sizeof v->principal];
	snprintf(detail, sizeof detail, "%s limit: %lu refused (address %s)", what, refused,
		 class_word(address_class));
	struct pv_audit_event e = { "rate-limit", NULL, NULL, NULL, "denied", detail };
	snprintf(name, sizeof name, "%s", who); /* who may be the principal itself */
	snprintf(was, sizeof was, "%s", v->principal);
	snprintf(v->principal, sizeof v->principal, "%s", name);
	pv_rc rc = pv_audit_append(v, &e);
	snprintf(v->principal, sizeof v->principal, "%s", was);
	return rc;
}
