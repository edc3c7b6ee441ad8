/* SPDX-License-Identifier: Apache-2.0 */
/* transfers.c: the plan of a transfer to a new holder (PIPL art. 22): who receives (name,
 * contact, age public key, country), which customers (a scope) and which fields, for
 * which purposes, until when customers may object; a recipient abroad makes it a
 * cross-border provision (art. 38-39) that names its legal basis and needs each
 * customer's separate consent, recorded here. The plan also pins the recipient vault's
 * signing key, the only key its receipt is checked against (handover_receipt.c): given
 * with the plan or pinned once later under four eyes, never changed (the pin's seal:
 * transfer_pin.c). Who a plan covers: transfer_scope.c. */
#include "transfers.h"

#include "formats/age.h"
#include "approvals.h"
#include "audit.h"
#include "dates.h"
#include "pinned_key.h"
#include "policy.h"
#include "record.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const legal_bases[] = { "standard-contract", "certification",
					   "security-assessment", NULL };

static int in_list(const char *s, const char *const *list)
{
	for (; s && *list; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

/* A label typed by a person (name, contact): 1 to 200 bytes, no control characters. */
static int label_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 200)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* Split a comma list into a JSON array of its items; NULL when an item is empty. */
static json_t *comma_list(const char *s)
{
	json_t *a = json_array();
	const char *p = s;
	while (a && p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0) {
			json_decref(a);
			return NULL;
		}
		json_array_append_new(a, json_stringn(p, n));
		p = e ? e + 1 : NULL;
	}
	return a;
}

/* Check the scope text against the schema: all, consent:PURPOSE, category:CAT or
 * FIELD=VALUE. */
static pv_rc check_scope(pv_vault *v, const char *scope)
{
	const struct pv_schema *s = v->schema;
	if (strcmp(scope, "all") == 0)
		return PV_OK;
	if (strncmp(scope, "consent:", 8) == 0) {
		if (pv_schema_purpose_index(s, scope + 8) < 0)
			return pv_fail(v, PV_ERR_USAGE, "scope %s: no purpose '%s' in the schema", scope,
				       scope + 8);
		return PV_OK;
	}
	if (strncmp(scope, "category:", 9) == 0) {
		for (int c = 0; c < PV_CATEGORY_COUNT; c++)
			if (strcmp(pv_category_name((enum pv_category)c), scope + 9) == 0)
				return PV_OK;
		return pv_fail(v, PV_ERR_USAGE, "scope %s: categories are basic, financial, other",
			       scope);
	}
	const char *eq = strchr(scope, '=');
	if (eq) {
		char name[64];
		snprintf(name, sizeof name, "%.*s", (int)(eq - scope), scope);
		if (pv_schema_field_index(s, name) >= 0)
			return PV_OK;
		return pv_fail(v, PV_ERR_USAGE, "scope: no field '%s' in the schema", name);
	}
	return pv_fail(v, PV_ERR_USAGE, "a scope is all, consent:PURPOSE, category:CATEGORY or "
		       "FIELD=VALUE");
}

/* The fields that move, as a JSON array of names (all when spec is NULL or "all"). */
static pv_rc fields_of(pv_vault *v, const char *spec, json_t **out)
{
	const struct pv_schema *s = v->schema;
	json_t *a = spec && strcmp(spec, "all") != 0 ? comma_list(spec) : json_array();
	if (!a)
		return pv_fail(v, PV_ERR_USAGE, "--fields takes names separated by commas");
	if (json_array_size(a) == 0)
		for (size_t i = 0; i < s->nfields; i++)
			json_array_append_new(a, json_string(s->fields[i].name));
	size_t i;
	json_t *f;
	json_array_foreach(a, i, f) if (pv_schema_field_index(s, json_string_value(f)) < 0)
	{
		pv_rc rc = pv_fail(v, PV_ERR_USAGE, "--fields: no field '%s' in the schema",
				   json_string_value(f));
		json_decref(a);
		return rc;
	}
	*out = a;
	return PV_OK;
}

/* The purposes the recipient will use: the schema's (same purposes) or those given. */
static pv_rc purposes_of(pv_vault *v, const char *spec, json_t **out, int *same)
{
	const struct pv_schema *s = v->schema;
	*same = 1;
	json_t *a = spec ? comma_list(spec) : json_array();
	if (!a)
		return pv_fail(v, PV_ERR_USAGE, "--purposes takes names separated by commas");
	if (!spec)
		for (size_t i = 0; i < s->npurposes; i++)
			json_array_append_new(a, json_string(s->purposes[i].name));
	size_t i;
	json_t *p;
	json_array_foreach(a, i, p)
	{
		const char *name = json_string_value(p);
		if (!label_ok(name) || strlen(name) > 64) {
			json_decref(a);
			return pv_fail(v, PV_ERR_USAGE, "--purposes: a purpose name is 1 to 64 "
				       "printable characters");
		}
		if (pv_schema_purpose_index(s, name) < 0)
			*same = 0; /* a new purpose: the notice asks for new consent */
	}
	*out = a;
	return PV_OK;
}

/* Read a recipient vault key given by a person into canonical hex (lower case). */
static pv_rc vault_key_of(pv_vault *v, const char *given, char hex[65])
{
	uint8_t pk[PV_SIGN_PUBLIC];
	if (pv_pinned_key_parse(given, pk) != 0)
		return pv_fail(v, PV_ERR_USAGE, "--recipient-vault-key takes the recipient vault's "
			       "public key as its `pivault pubkey` prints it (64 hex digits)");
	if (memcmp(pk, v->keys->sign_public, sizeof pk) == 0)
		return pv_fail(v, PV_ERR_USAGE, "--recipient-vault-key is this vault's own key: give "
			       "the key of the recipient's vault");
	pv_hex(hex, pk, sizeof pk);
	return PV_OK;
}

/* Check spec; *recipient gets the recipient's age key in canonical form (malloc'd). */
static pv_rc check_spec(pv_vault *v, const pv_transfer_spec *sp, int *cross_border,
			 char **recipient)
{
	if (!label_ok(sp->recipient_name) || !label_ok(sp->recipient_contact))
		return pv_fail(v, PV_ERR_USAGE, "a transfer needs the recipient's name and contact "
			       "(1 to 200 printable characters each)");
	uint8_t pk[PV_AGE_KEY];
	char err[512];
	if (!sp->recipient_key)
		return pv_fail(v, PV_ERR_USAGE, "a transfer needs the recipient's age public key");
	if (strncmp(sp->recipient_key, "age1", 4) == 0) {
		if (pv_age_parse_recipient(sp->recipient_key, strlen(sp->recipient_key), pk) != 0)
			return pv_fail(v, PV_ERR_USAGE, "the recipient key is not a valid age public "
				       "key (age1...)");
	} else if (pv_age_read_recipient_file(sp->recipient_key, pk, err, sizeof err) != 0) {
		return pv_fail(v, PV_ERR_USAGE, "%s", err);
	}
	if (!(*recipient = pv_age_format_recipient(pk)))
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	const char *cc = sp->recipient_country ? sp->recipient_country : "CN";
	if (strlen(cc) != 2 || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z')
		return pv_fail(v, PV_ERR_USAGE, "--recipient-country takes an ISO 3166 code such as "
			       "CN, HK, DE or US");
	/* Hong Kong, Macao and Taiwan are outside the mainland for PIPL art. 38 purposes. */
	*cross_border = strcmp(cc, "CN") != 0;
	if (*cross_border && !in_list(sp->legal_basis, legal_bases))
		return pv_fail(v, PV_ERR_USAGE, "a recipient outside mainland China makes this a "
			       "cross-border provision (PIPL art. 38): name its legal basis with "
			       "--legal-basis standard-contract, certification or security-assessment");
	if (!*cross_border && sp->legal_basis)
		return pv_fail(v, PV_ERR_USAGE, "--legal-basis is for a recipient outside mainland "
			       "China (give --recipient-country)");
	int y, m, d;
	if (sp->deadline && (pv_date_parse(sp->deadline, &y, &m, &d) != 0 ||
			     strlen(sp->deadline) != 10))
		return pv_fail(v, PV_ERR_USAGE, "--deadline takes a date YYYY-MM-DD");
	char vault_key[65];
	pv_rc rc = sp->recipient_vault_key ? vault_key_of(v, sp->recipient_vault_key, vault_key)
					   : PV_OK;
	return rc ? rc : check_scope(v, sp->scope ? sp->scope : "all");
}

static json_t *plan_document(pv_vault *v, const pv_transfer_spec *sp, const char *recipient_key,
			     const char *id, const char *now, int cross_border, json_t *fields,
			     json_t *purposes, int same)
{
	char deadline[11];
	if (sp->deadline)
		snprintf(deadline, sizeof deadline, "%s", sp->deadline);
	else
		pv_date_today(30, deadline);
	json_t *recipient = json_pack("{s:s, s:s, s:s, s:s}", "name", sp->recipient_name,
				      "contact", sp->recipient_contact, "country",
				      sp->recipient_country ? sp->recipient_country : "CN",
				      "age_recipient", recipient_key);
	char vault_key[65];
	if (recipient && sp->recipient_vault_key &&
	    (vault_key_of(v, sp->recipient_vault_key, vault_key) != PV_OK ||
	     pv_plan_seal_pin(v, id, recipient, vault_key) != 0)) {
		json_decref(recipient);
		json_decref(fields);
		json_decref(purposes);
		return NULL;
	}
	return json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:o, s:b, s:o, s:s, s:o, s:o, "
			 "s:b, s:s}",
			 "type", "pivault transfer plan", "version", 1, "id", id, "vault",
			 v->vault_id_hex, "company", v->schema->vault_label ? v->schema->vault_label : "",
			 "created", now, "created_by", v->principal, "recipient", recipient,
			 "cross_border", cross_border, "legal_basis",
			 sp->legal_basis ? json_string(sp->legal_basis) : json_null(), "scope",
			 sp->scope ? sp->scope : "all", "fields", fields, "purposes", purposes,
			 "same_purposes", same, "deadline", deadline);
}

pv_rc pv_transfer_plan(pv_vault *v, const pv_access *who, const pv_transfer_spec *sp, char **id)
{
	*id = NULL;
	int role, cross_border = 0, same = 1;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_HANDOVER, &role);
	if (rc)
		return pv_audit_failure(v, rc, "transfer plan", NULL, NULL);
	json_t *fields = NULL, *purposes = NULL;
	char *recipient = NULL;
	if ((rc = check_spec(v, sp, &cross_border, &recipient)) ||
	    (rc = fields_of(v, sp->fields, &fields)) ||
	    (rc = purposes_of(v, sp->purposes, &purposes, &same))) {
		json_decref(fields);
		free(recipient);
		return rc;
	}
	uint8_t rnd[4];
	char hex[9], tid[16], now[32], keep[11];
	pv_random(rnd, sizeof rnd);
	pv_hex(hex, rnd, sizeof rnd);
	snprintf(tid, sizeof tid, "T-%s", hex);
	pv_time_now(now, sizeof now);
	pv_date_today(0, keep);
	(void)pv_date_add(keep, 3, 0, 0, keep); /* art. 56: the assessment is kept 3 years */
	json_t *doc = plan_document(v, sp, recipient, tid, now, cross_border, fields, purposes,
				    same);
	free(recipient);
	char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(doc);
	if (!text)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	if (pv_store_begin(v->store) != 0) {
		free(text);
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	}
	struct pv_stored_transfer t = { tid, now, v->principal, "planned", text, keep, "", "", "" };
	if (pv_store_transfer_put(v->store, &t) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	free(text);
	char detail[300];
	char fp[PV_FINGERPRINT_SIZE] = "none";
	if (sp->recipient_vault_key && pv_key_fingerprint(sp->recipient_vault_key, fp) != PV_OK)
		snprintf(fp, sizeof fp, "none");
	snprintf(detail, sizeof detail, "plan %s: to %s (%s)%s, scope %s, recipient vault key %s",
		 tid, sp->recipient_name, sp->recipient_country ? sp->recipient_country : "CN",
		 cross_border ? ", cross-border" : "", sp->scope ? sp->scope : "all", fp);
	struct pv_audit_event e = { "transfer plan", NULL, NULL, NULL, "ok", detail };
	rc = pv_audit_commit(v, &e, rc);
	if (rc)
		return pv_audit_failure(v, rc, "transfer plan", NULL, NULL);
	if (!(*id = strdup(tid)))
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	return pv_ok(v);
}

/* ------------------------------------------- the recipient vault's key, pinned ---- */

/* Inside the transaction: put the key into plan id, which must have none. */
static pv_rc pin_key(pv_vault *v, const char *id, const char *hex)
{
	struct pv_stored_transfer t;
	int got = pv_store_transfer_get(v->store, id, &t);
	if (got != 0)
		return got < 0 ? pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store))
			       : pv_fail(v, PV_ERR_NOT_FOUND, "no transfer plan %s", id);
	if (strcmp(t.state, "confirmed") == 0)
		return pv_fail(v, PV_ERR_USAGE, "transfer %s is already confirmed", id);
	json_error_t je;
	json_t *doc = json_loads(t.plan, 0, &je), *recipient = json_object_get(doc, "recipient");
	const char *had = NULL;
	char fp[PV_FINGERPRINT_SIZE];
	pv_rc rc = PV_OK;
	if (!json_is_object(recipient))
		rc = pv_fail(v, PV_ERR_CORRUPT, "transfer plan %s is malformed", id);
	else if (pv_plan_vault_key(v, id, doc, &had) != 0)
		rc = PV_ERR_CORRUPT; /* a pin changed outside pivault is never replaced */
	else if (had)
		rc = pv_fail(v, PV_ERR_EXISTS, "transfer %s already pins the recipient vault key %s; "
			     "a pinned key never changes (a wrong one needs a new plan)", id,
			     pv_key_fingerprint(had, fp) == PV_OK ? fp : "(malformed)");
	char *text = NULL;
	if (!rc && pv_plan_seal_pin(v, id, recipient, hex) != 0)
		rc = pv_fail(v, PV_ERR_NOMEM, "out of memory");
	if (!rc && !(text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS)))
		rc = pv_fail(v, PV_ERR_NOMEM, "out of memory");
	json_decref(doc);
	struct pv_params ap; /* what is approved: this key for this plan */
	pv_params_init(&ap);
	pv_params_add(&ap, "plan", id);
	pv_params_add(&ap, "recipient_vault_key", hex);
	if (!rc)
		rc = pv_approval_consume(v, "transfer pin-key", &ap);
	pv_params_free(&ap);
	if (!rc && pv_store_transfer_set(v->store, id, PV_TRANSFER_PLAN, text) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	free(text);
	return rc;
}

pv_rc pv_transfer_pin_vault_key(pv_vault *v, const pv_access *who, const char *id,
				const char *public_key_hex)
{
	int role;
	char hex[65], fp[PV_FINGERPRINT_SIZE], detail[160];
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_HANDOVER, &role);
	if (!rc)
		rc = vault_key_of(v, public_key_hex, hex);
	if (!rc && !id)
		rc = pv_fail(v, PV_ERR_USAGE, "name the transfer plan (T-...)");
	if (!rc && pv_store_begin(v->store) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (rc)
		return pv_audit_failure(v, rc, "transfer pin-key", NULL, NULL);
	rc = pin_key(v, id, hex);
	if (pv_key_fingerprint(hex, fp) != PV_OK)
		snprintf(fp, sizeof fp, "?");
	snprintf(detail, sizeof detail, "plan %s: recipient vault key %s pinned", id, fp);
	struct pv_audit_event e = { "transfer pin-key", NULL, NULL, NULL, "ok", detail };
	rc = pv_audit_commit(v, &e, rc);
	if (rc)
		return pv_audit_failure(v, rc, "transfer pin-key", NULL, NULL);
	return pv_ok(v);
}

/* ------------------------------------------------- separate consent (art. 39) ---- */

pv_rc pv_transfer_consent(pv_vault *v, const pv_access *who, const char *id, const char *customer,
			  pv_consent_state granted, const char *channel)
{
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_CONSENT, &role);
	if (rc)
		return pv_audit_failure(v, rc, "transfer consent", customer, NULL);
	if (!pv_customer_id_ok(customer))
		return pv_fail(v, PV_ERR_USAGE, "give the customer's id as at import");
	if (!label_ok(channel) || strlen(channel) > 32)
		return pv_fail(v, PV_ERR_USAGE, "name the channel the consent came by");
	struct pv_plan p;
	if ((rc = pv_plan_load(v, id, &p)))
		return rc;
	int cross = p.cross_border;
	pv_plan_free(&p);
	if (!cross)
		return pv_fail(v, PV_ERR_USAGE, "plan %s is not a cross-border transfer: it needs no "
			       "separate consent", id);
	if (pv_store_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	struct pv_stored_customer c;
	char now[32], detail[96];
	pv_time_now(now, sizeof now);
	rc = pv_customer_find(v, customer, &c);
	if (!rc && pv_store_transfer_consent_put(v->store, id, customer, granted, now, channel) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	snprintf(detail, sizeof detail, "separate consent to %s %s by %s", id,
		 granted ? "given" : "refused", channel);
	struct pv_audit_event e = { "transfer consent", customer, NULL, NULL, "ok", detail };
	rc = pv_audit_commit(v, &e, rc);
	if (rc)
		return pv_audit_failure(v, rc, "transfer consent", customer, NULL);
	return pv_ok(v);
}

/* ------------------------------------------------------------ listing ---- */

struct listing {
	pv_vault *v;
	json_t *out;
};

/* The transfer's steps in the order a front end shows them, each done or not: plan,
 * assessment (made), notices (rendered), objections (the deadline has come), export (the
 * package written), receipt and confirmation (a receipt checked and the copy shredded). */
static json_t *steps_of(const struct pv_stored_transfer *t, json_t *plan)
{
	static const char *const names[] = { "plan", "assessment", "notices", "objections",
					     "export", "receipt", "confirmation" };
	char today[11];
	pv_date_today(0, today);
	const char *deadline = json_string_value(json_object_get(plan, "deadline"));
	int confirmed = strcmp(t->state, "confirmed") == 0;
	int exported = confirmed || strcmp(t->state, "exported") == 0;
	int done[] = { 1, t->assessment[0] != '\0', exported || strcmp(t->state, "notified") == 0,
		       deadline && strcmp(today, deadline) >= 0, exported && t->package[0] != '\0',
		       t->receipt[0] != '\0', confirmed };
	json_t *steps = json_array();
	for (size_t i = 0; steps && i < sizeof names / sizeof *names; i++)
		json_array_append_new(steps, json_pack("{s:s, s:b}", "step", names[i], "done",
						       done[i]));
	return steps;
}

static int list_one(void *ctx, const struct pv_stored_transfer *t)
{
	struct listing *l = ctx;
	json_error_t je;
	json_t *plan = json_loads(t->plan, 0, &je);
	char fp[PV_FINGERPRINT_SIZE];
	const char *key = NULL;
	int sealed = pv_plan_vault_key(l->v, t->id, plan, &key) == 0;
	int pinned = key && pv_key_fingerprint(key, fp) == PV_OK;
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "id", t->id, "created", t->created,
			      "created_by", t->created_by, "state", t->state, "plan",
			      plan ? plan : json_null(), "recipient_vault_key_fingerprint",
			      pinned ? json_string(fp)
			      : sealed ? json_null()
				       : json_string("changed outside pivault: not trusted"));
	if (o && t->package[0])
		json_object_set_new(o, "package", json_loads(t->package, 0, &je));
	if (o && t->receipt[0])
		json_object_set_new(o, "receipt", json_loads(t->receipt, 0, &je));
	if (o)
		json_object_set_new(o, "steps", steps_of(t, plan));
	return o ? json_array_append_new(l->out, o) : -1;
}

pv_rc pv_transfer_list(pv_vault *v, const pv_access *who, const char *id, char **json)
{
	*json = NULL;
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_HANDOVER, &role);
	if (rc)
		return pv_audit_failure(v, rc, "transfer list", NULL, NULL);
	json_t *a = json_array();
	struct listing l = { v, a };
	if (!a)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	if (id) {
		struct pv_stored_transfer t;
		int got = pv_store_transfer_get(v->store, id, &t);
		if (got != 0) {
			json_decref(a);
			return got < 0 ? pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store))
				       : pv_fail(v, PV_ERR_NOT_FOUND, "no transfer plan %s", id);
		}
		list_one(&l, &t);
	} else if (pv_store_transfer_scan(v->store, list_one, &l) != 0) {
		json_decref(a);
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	}
	*json = json_dumps(id ? json_array_get(a, 0) : a, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(a);
	return *json ? pv_ok(v) : pv_fail(v, PV_ERR_NOMEM, "out of memory");
}
