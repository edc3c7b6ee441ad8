/* SPDX-License-Identifier: Apache-2.0 */
/* tokens.c: tokens for other systems (去标识化, PIPL art. 51 and 73). A token stands for the
 * value one customer holds in one declared field, for one purpose. Its row keeps the
 * value sealed under the customer's data key (record.c's notes), bound to the token,
 * customer, field, purpose and kind, so that shredding the customer kills the token and a
 * row edited or swapped in the database opens nothing. Random tokens come from the
 * system's generator; deterministic ones (for joins) from keyed BLAKE2b under a key
 * derived per field and purpose from the vault's data root, never from a plain hash.
 * A phone-shaped token is 11 digits starting 10, which no mainland mobile number does.
 * Detokenizing reads the customer's record too: a token whose value was erased, changed
 * or shredded since is dead. docs/tokens.md describes the formats. */
#include "audit.h"
#include "audit_writer.h"
#include "bulk_reads.h"
#include "consent.h"
#include "dates.h"
#include "policy.h"
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPAQUE_PREFIX "tok_"
#define OPAQUE_HEX 32
#define PHONE_PREFIX "10"
#define PHONE_DIGITS 11
#define TOKEN_MAX 48
#define MATERIAL_BYTES 16
#define VTAG_BYTES 16
#define TRIES 32 /* candidates tried before the token space is called crowded */

/* A token's kind as stored: mode | shape << 1. */
static int kind_of(pv_token_mode mode, pv_token_shape shape)
{
	return (int)mode | (int)shape << 1;
}

/* 1 when text has the form of a token this vault makes. */
static int token_form_ok(const char *t)
{
	size_t n = strlen(t), plen = strlen(OPAQUE_PREFIX);
	if (n == plen + OPAQUE_HEX && strncmp(t, OPAQUE_PREFIX, plen) == 0)
		return strspn(t + plen, "0123456789abcdef") == OPAQUE_HEX;
	if (n == PHONE_DIGITS && strncmp(t, PHONE_PREFIX, strlen(PHONE_PREFIX)) == 0)
		return strspn(t, "0123456789") == PHONE_DIGITS;
	return 0;
}

/* The token text of 16 bytes of material: "tok_" and their hex, or "10" and nine digits
 * from their first eight (modulo 10^9: a bias under 10^-10). */
static void token_text(char out[TOKEN_MAX], pv_token_shape shape, const uint8_t m[MATERIAL_BYTES])
{
	if (shape == PV_TOKEN_OPAQUE) {
		memcpy(out, OPAQUE_PREFIX, strlen(OPAQUE_PREFIX));
		pv_hex(out + strlen(OPAQUE_PREFIX), m, MATERIAL_BYTES);
		return;
	}
	uint64_t x = 0;
	for (int i = 0; i < 8; i++)
		x = x << 8 | m[i];
	snprintf(out, TOKEN_MAX, "%s%09llu", PHONE_PREFIX, (unsigned long long)(x % 1000000000ULL));
}

/* Keyed BLAKE2b of tag | counter | value under key into out (n bytes). */
static pv_rc keyed_of_value(pv_vault *v, uint8_t *out, size_t n, char tag, uint8_t counter,
			    const char *value, const uint8_t key[PV_KEY_BYTES])
{
	size_t len = strlen(value);
	uint8_t *msg = malloc(len + 2);
	if (!msg)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	msg[0] = (uint8_t)tag;
	msg[1] = counter;
	memcpy(msg + 2, value, len);
	pv_keyed_hash(out, n, msg, len + 2, key);
	pv_wipe(msg, len + 2);
	free(msg);
	return PV_OK;
}

/* The key of deterministic tokens of field i for purpose: keyed BLAKE2b-256, under the
 * vault's token key (data root), of "pivault token" | field number (2 bytes LE) | purpose.
 * Field numbers, not names or positions: they stay as the schema grows. */
static void field_purpose_key(const pv_vault *v, size_t i, const char *purpose,
			      uint8_t out[PV_KEY_BYTES])
{
	char msg[160];
	int num = v->field_nums[i];
	int n = snprintf(msg, sizeof msg, "pivault token%c%c%s", (char)(num & 0xff),
			 (char)(num >> 8), purpose);
	pv_keyed_hash(out, PV_KEY_BYTES, msg, (size_t)n, v->keys->token_master);
}

/* The note id a token's sealed value is bound to (the customer is bound by the note's
 * own associated data): "tok:" and the hex of BLAKE2b-128 of token | 0 | field number |
 * kind | purpose. */
static void token_note_id(char out[40], const char *token, int field_num, int kind,
			  const char *purpose)
{
	uint8_t bind[3 + 128], h[32];
	size_t pl = strlen(purpose);
	if (pl > 128)
		pl = 128; /* purposes are short names; never longer */
	bind[0] = (uint8_t)field_num;
	bind[1] = (uint8_t)(field_num >> 8);
	bind[2] = (uint8_t)kind;
	memcpy(bind + 3, purpose, pl);
	pv_hash2(h, token, strlen(token) + 1, bind, 3 + pl);
	memcpy(out, "tok:", 4);
	pv_hex(out + 4, h, 16);
}

/* Customer id's row into c (borrowed until the store is next used), once nothing blocks
 * reading it for who's purpose (consent, restriction, objection). */
static pv_rc readable_customer(pv_vault *v, const pv_access *who, const char *id,
			       struct pv_stored_customer *c)
{
	int gated = pv_read_gated(v, who); /* asked first: a query ends the row borrowed */
	pv_rc rc = pv_customer_find(v, id, c);
	if (rc || !gated)
		return rc;
	int blocked = pv_read_blocked(v, who, c->rid, id);
	if (blocked < 0)
		return PV_ERR_STORE;
	if (blocked)
		return pv_read_refused(v, who, id, blocked);
	return pv_customer_find(v, id, c); /* read again: the consent query ended the first */
}

/* ---- Tokenize ---- */

/* One call of pv_tokenize. */
struct making {
	pv_vault *v;
	const pv_access *who;
	const char *id;
	size_t field;
	pv_token_mode mode;
	pv_token_shape shape;
	char *value;                /* the customer's value, in normal form (wiped) */
	uint8_t vtag[VTAG_BYTES];   /* deterministic: keyed tag of the value */
	uint8_t key[PV_KEY_BYTES];  /* deterministic: the field and purpose key (wiped) */
	char token[TOKEN_MAX];
	int reused;                 /* the deterministic token exists for this value */
	int own_row;                /* ... and has a row of this customer's */
	int unlocked;               /* the write lock could not be taken */
};

/* The value of the customer's field, into m->value. */
static pv_rc read_value(struct making *m)
{
	struct pv_stored_customer c;
	pv_rc rc = readable_customer(m->v, m->who, m->id, &c);
	char **values = NULL;
	if (!rc)
		rc = pv_open_customer(m->v, &c, &values);
	if (rc)
		return rc;
	size_t nf = m->v->schema->nfields;
	m->value = values[m->field];
	values[m->field] = NULL;
	pv_values_wipe_free(values, nf);
	if (!m->value[0])
		return pv_fail(m->v, PV_ERR_INPUT, "customer %s has no value in field %s",
			       m->id, m->v->schema->fields[m->field].name);
	return PV_OK;
}

/* A candidate's rows, one by one: a row of this value's deterministic token (same field,
 * purpose, kind and tag) is noted, and ends the scan (3) when it is this customer's; any
 * other row means the candidate is taken (1). */
static int judge_row(void *ctx, const struct pv_stored_token *t)
{
	struct making *m = ctx;
	if (m->mode == PV_TOKEN_DETERMINISTIC && t && t->vtag_len == VTAG_BYTES &&
	    t->field == m->v->field_nums[m->field] && t->kind == kind_of(m->mode, m->shape) &&
	    strcmp(t->purpose, m->who->purpose) == 0 &&
	    pv_ct_compare(t->vtag, m->vtag, VTAG_BYTES) == 0) {
		m->reused = 1;
		return strcmp(t->customer, m->id) == 0 ? 3 : 0;
	}
	return 1;
}

/* Candidate number attempt into m->token. */
static pv_rc candidate(struct making *m, uint8_t attempt)
{
	uint8_t material[MATERIAL_BYTES];
	pv_rc rc = PV_OK;
	if (m->mode == PV_TOKEN_RANDOM)
		pv_random(material, sizeof material);
	else
		rc = keyed_of_value(m->v, material, sizeof material, 't', attempt, m->value, m->key);
	if (!rc)
		token_text(m->token, m->shape, material);
	pv_wipe(material, sizeof material);
	return rc;
}

/* A token no row holds for another value (the tokens table's key decides: a candidate
 * taken is passed over, the next one tried). */
static pv_rc choose_token(struct making *m)
{
	for (int attempt = 0; attempt < TRIES; attempt++) {
		pv_rc rc = candidate(m, (uint8_t)attempt);
		if (rc)
			return rc;
		m->reused = 0;
		int seen = pv_store_token_scan(m->v->store, m->token, judge_row, m);
		if (seen < 0)
			return pv_fail(m->v, PV_ERR_STORE, "%s", pv_store_errmsg(m->v->store));
		if (seen != 1) {
			m->own_row = seen == 3;
			return PV_OK;
		}
	}
	return pv_fail(m->v, PV_ERR_EXISTS, "no free token for field %s after %d tries (its "
		       "token space is crowded)", m->v->schema->fields[m->field].name, TRIES);
}

/* The row of m->token for the customer: the value sealed under its data key. */
static pv_rc store_token(struct making *m)
{
	struct pv_stored_customer c;
	pv_rc rc = pv_customer_find(m->v, m->id, &c);
	if (rc)
		return rc;
	int num = m->v->field_nums[m->field], kind = kind_of(m->mode, m->shape);
	char note_id[40], created[32];
	token_note_id(note_id, m->token, num, kind, m->who->purpose);
	uint8_t *sealed = NULL;
	size_t len = 0;
	if ((rc = pv_seal_note(m->v, &c, note_id, m->value, &sealed, &len)) != PV_OK)
		return rc;
	pv_time_now(created, sizeof created);
	int det = m->mode == PV_TOKEN_DETERMINISTIC;
	struct pv_stored_token t = { m->token, m->id, m->who->purpose, created, num, kind,
				     det ? m->vtag : NULL, det ? VTAG_BYTES : 0, sealed, len };
	if (pv_store_token_add(m->v->store, &t) < 0)
		rc = pv_fail(m->v, PV_ERR_STORE, "%s", pv_store_errmsg(m->v->store));
	free(sealed);
	return rc;
}

/* Read the value, choose the token and store its row (inside the transaction). */
static pv_rc make_token(struct making *m)
{
	pv_rc rc = read_value(m);
	if (!rc && m->mode == PV_TOKEN_DETERMINISTIC) {
		field_purpose_key(m->v, m->field, m->who->purpose, m->key);
		rc = keyed_of_value(m->v, m->vtag, VTAG_BYTES, 'v', 0, m->value, m->key);
	}
	if (!rc)
		rc = choose_token(m);
	if (!rc)
		rc = store_token(m);
	return rc;
}

/* What the caller may not ask: an unknown field, a purpose that is not one declared
 * purpose the field serves, a shape the field's type has none of. */
static pv_rc check_request(pv_vault *v, const pv_access *who, const char *field,
			   pv_token_mode mode, pv_token_shape shape, int *fi)
{
	const struct pv_schema *s = v->schema;
	if ((mode != PV_TOKEN_RANDOM && mode != PV_TOKEN_DETERMINISTIC) ||
	    (shape != PV_TOKEN_OPAQUE && shape != PV_TOKEN_LIKE_FIELD))
		return pv_fail(v, PV_ERR_USAGE, "unknown token mode or shape");
	if (!field || (*fi = pv_schema_field_index(s, field)) < 0)
		return pv_fail(v, PV_ERR_USAGE, "the schema declares no field '%s'",
			       field ? field : "");
	const char *purpose = who ? who->purpose : NULL;
	if (!purpose || strcmp(purpose, "all") == 0)
		return pv_fail(v, PV_ERR_DENIED, "a token is made for one declared purpose "
			       "(--purpose P; not 'all')");
	int p = pv_schema_purpose_index(s, purpose);
	if (p >= 0 && !(s->fields[*fi].purposes & (1ULL << p)))
		return pv_fail(v, PV_ERR_DENIED, "field %s is not declared for purpose '%s'",
			       field, purpose);
	if (shape == PV_TOKEN_LIKE_FIELD && s->fields[*fi].type != PV_T_PHONE)
		return pv_fail(v, PV_ERR_USAGE, "field %s (type %s) has no token of its own shape "
			       "(only phone_cn fields have one)", field,
			       pv_ftype_name(s->fields[*fi].type));
	return PV_OK;
}

/* The audit detail of a token made: field, mode and shape. */
static void making_detail(const struct making *m, char *out, size_t n)
{
	snprintf(out, n, "field %s, %s%s%s", m->v->schema->fields[m->field].name,
		 m->mode == PV_TOKEN_DETERMINISTIC ? "deterministic" : "random",
		 m->shape == PV_TOKEN_LIKE_FIELD ? ", shaped like the field" : "",
		 m->reused ? ", existing token" : "");
}

/* A deterministic token already made for this value and customer needs no write (so no
 * write lock and no sync of its own: its entry goes with others'): the value is read and
 * the token looked up in one read-only transaction; m->own_row says whether it was there. */
static pv_rc find_made(struct making *m)
{
	if (pv_store_read_begin(m->v->store) != 0)
		return pv_fail(m->v, PV_ERR_STORE, "%s", pv_store_errmsg(m->v->store));
	pv_rc rc = read_value(m);
	if (!rc) {
		field_purpose_key(m->v, m->field, m->who->purpose, m->key);
		rc = keyed_of_value(m->v, m->vtag, VTAG_BYTES, 'v', 0, m->value, m->key);
	}
	if (!rc)
		rc = choose_token(m);
	(void)pv_store_commit(m->v->store); /* reads only: nothing to keep */
	return rc;
}

/* Forget what was read (wiped), to read it again in a write. */
static void making_forget(struct making *m)
{
	if (m->value) {
		pv_wipe(m->value, strlen(m->value));
		free(m->value);
		m->value = NULL;
	}
	pv_wipe(m->key, sizeof m->key);
	pv_wipe(m->vtag, sizeof m->vtag);
	m->reused = m->own_row = 0;
}

/* ---- A token made in a server's request: its row rides with its entry ---- */

/* The row the writer stores with the entry (copied out of the request). */
struct token_ride {
	struct pv_stored_token t;
	char token[TOKEN_MAX], created[32];
	char *customer, *purpose;
	uint8_t vtag[VTAG_BYTES];
	uint8_t *sealed;
};

static void ride_free(void *data)
{
	struct token_ride *r = data;
	if (!r)
		return;
	free(r->customer);
	free(r->purpose);
	free(r->sealed);
	free(r);
}

/* Another row of the token, at the writer's commit: 0 when it is this value's
 * deterministic token (for another customer), 1 when the token is taken. */
static int ride_judge(void *ctx, const struct pv_stored_token *row)
{
	const struct token_ride *r = ctx;
	return !(r->t.vtag && row && row->vtag_len == VTAG_BYTES && row->field == r->t.field &&
		 row->kind == r->t.kind && strcmp(row->purpose, r->t.purpose) == 0 &&
		 pv_ct_compare(row->vtag, r->t.vtag, VTAG_BYTES) == 0);
}

/* In the writer's group transaction: the token still free (no request made the same one
 * meanwhile), its row stored. */
static int ride_apply(pv_vault *w, void *data, char *why, size_t whylen)
{
	struct token_ride *r = data;
	int seen = pv_store_token_scan(w->store, r->t.token, ride_judge, r);
	if (seen == 0 && pv_store_token_add(w->store, &r->t) >= 0) {
		pv_store_writes_data(w->store); /* readers see the token from now on */
		return 0;
	}
	snprintf(why, whylen, "%s", seen > 0 ? "a token made meanwhile for another value "
		 "was chosen too" : pv_store_errmsg(w->store));
	return -1;
}

/* m's row, to ride: the value sealed under the customer's data key (in m's read). */
static pv_rc ride_new(struct making *m, struct token_ride **out)
{
	struct pv_stored_customer c;
	pv_rc rc = pv_customer_find(m->v, m->id, &c);
	struct token_ride *r = rc ? NULL : calloc(1, sizeof *r);
	if (!rc && (!r || !(r->customer = strdup(m->id)) ||
		    !(r->purpose = strdup(m->who->purpose))))
		rc = pv_fail(m->v, PV_ERR_NOMEM, "out of memory");
	int num = m->v->field_nums[m->field], kind = kind_of(m->mode, m->shape);
	char note_id[40];
	size_t len = 0;
	if (!rc) {
		token_note_id(note_id, m->token, num, kind, m->who->purpose);
		rc = pv_seal_note(m->v, &c, note_id, m->value, &r->sealed, &len);
	}
	if (rc) {
		ride_free(r);
		return rc;
	}
	snprintf(r->token, sizeof r->token, "%s", m->token);
	pv_time_now(r->created, sizeof r->created);
	int det = m->mode == PV_TOKEN_DETERMINISTIC;
	if (det)
		memcpy(r->vtag, m->vtag, VTAG_BYTES);
	r->t = (struct pv_stored_token){ r->token, r->customer, r->purpose, r->created, num, kind,
					 det ? r->vtag : NULL, det ? VTAG_BYTES : 0, r->sealed,
					 len };
	*out = r;
	return PV_OK;
}

/* Read the value and choose the token in one read-only transaction, then queue the entry
 * with the row riding: the caller withholds the token until the group is durable. */
static pv_rc make_riding(struct making *m)
{
	pv_vault *v = m->v;
	if (pv_store_read_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	pv_rc rc = read_value(m);
	if (!rc && m->mode == PV_TOKEN_DETERMINISTIC) {
		field_purpose_key(v, m->field, m->who->purpose, m->key);
		rc = keyed_of_value(v, m->vtag, VTAG_BYTES, 'v', 0, m->value, m->key);
	}
	if (!rc)
		rc = choose_token(m);
	struct token_ride *r = NULL;
	if (!rc)
		rc = ride_new(m, &r);
	(void)pv_store_commit(v->store); /* reads only */
	if (rc)
		return rc;
	char detail[160];
	making_detail(m, detail, sizeof detail);
	struct pv_audit_event e = { "tokenize", m->id, m->who->purpose, NULL, "ok", detail };
	struct pv_audit_rider rider = { ride_apply, ride_free, r };
	return pv_audit_append_riding(v, &e, &rider);
}

/* The token made, or the deterministic one found, with its entry. */
static pv_rc make_with_entry(struct making *m)
{
	pv_vault *v = m->v;
	pv_rc rc = m->mode == PV_TOKEN_DETERMINISTIC ? find_made(m) : PV_OK;
	char detail[160];
	if (!rc && m->own_row) {
		making_detail(m, detail, sizeof detail);
		struct pv_audit_event e = { "tokenize", m->id, m->who->purpose, NULL, "ok", detail };
		return pv_audit_append(v, &e);
	}
	if (rc)
		return rc;
	making_forget(m); /* read again: another may have made it meanwhile */
	if (pv_audit_rides(v))
		return make_riding(m);
	if (pv_store_begin(v->store) != 0) {
		m->unlocked = 1;
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	}
	rc = make_token(m);
	making_detail(m, detail, sizeof detail);
	struct pv_audit_event e = { "tokenize", m->id, m->who->purpose, NULL, "ok", detail };
	return pv_audit_commit(v, &e, rc);
}

pv_rc pv_tokenize(pv_vault *v, const pv_access *who, const char *id, const char *field,
		  pv_token_mode mode, pv_token_shape shape, char **token)
{
	*token = NULL;
	int role, fi = -1;
	const char *purpose = who ? who->purpose : NULL;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_TOKENIZE, &role);
	if (!rc)
		rc = check_request(v, who, field, mode, shape, &fi);
	if (!rc && (!id || !*id))
		rc = pv_fail(v, PV_ERR_USAGE, "a customer id is required");
	if (rc)
		return pv_audit_failure(v, rc, "tokenize", id, purpose);
	struct making m = { .v = v, .who = who, .id = id, .field = (size_t)fi, .mode = mode,
			    .shape = shape };
	rc = make_with_entry(&m);
	making_forget(&m);
	if (m.unlocked) /* no write lock: an entry would wait for it as long again */
		return rc;
	if (rc)
		return pv_audit_failure(v, rc, "tokenize", id, purpose);
	if (!(*token = strdup(m.token)))
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	return pv_ok(v);
}

/* ---- Detokenize ---- */

/* A token's row copied out of the store. */
struct token_row {
	char *customer, *purpose;
	int field, kind;
	uint8_t *sealed;
	size_t sealed_len;
};

struct token_rows {
	struct token_row *row;
	size_t n, cap;
	int bad; /* a row missing a column, or out of memory */
};

static int copy_token_row(void *ctx, const struct pv_stored_token *t)
{
	struct token_rows *l = ctx;
	if (!t) {
		l->bad = 1;
		return 1;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 2;
		struct token_row *nr = realloc(l->row, cap * sizeof *nr);
		if (!nr)
			return l->bad = 1;
		l->row = nr;
		l->cap = cap;
	}
	struct token_row *r = &l->row[l->n];
	r->customer = strdup(t->customer);
	r->purpose = strdup(t->purpose);
	r->sealed = malloc(t->sealed_len);
	r->field = t->field;
	r->kind = t->kind;
	r->sealed_len = t->sealed_len;
	l->n++;
	if (!r->customer || !r->purpose || !r->sealed)
		return l->bad = 1;
	memcpy(r->sealed, t->sealed, t->sealed_len);
	return 0;
}

static void token_rows_free(struct token_rows *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->row[i].customer);
		free(l->row[i].purpose);
		free(l->row[i].sealed);
	}
	free(l->row);
}

/* One call of pv_detokenize. */
struct reading {
	pv_vault *v;
	pv_access who;         /* the caller's, asking for clear values */
	int role;
	const char *token;
	size_t field;          /* the rows' field (schema index) */
	int shredded, changed; /* rows passed over: customer gone, value no longer held */
	const char *shown_id;  /* the customer whose value is returned */
};

/* The schema index of stored field number num, or -1. */
static int field_of_num(const pv_vault *v, int num)
{
	for (size_t i = 0; i < v->schema->nfields; i++)
		if (v->field_nums[i] == num)
			return (int)i;
	return -1;
}

/* The rows agree on field, purpose and kind; the caller's purpose is theirs and its role
 * sees the field in clear for it. */
static pv_rc check_rows(struct reading *r, const struct token_rows *l)
{
	pv_vault *v = r->v;
	const struct token_row *first = &l->row[0];
	for (size_t i = 1; i < l->n; i++)
		if (l->row[i].field != first->field || l->row[i].kind != first->kind ||
		    strcmp(l->row[i].purpose, first->purpose) != 0)
			return pv_fail(v, PV_ERR_CORRUPT, "the token's rows disagree (edited in the "
				       "database)");
	int fi = field_of_num(v, first->field);
	if (fi < 0)
		return pv_fail(v, PV_ERR_CORRUPT, "the token's row names no field of the schema "
			       "(edited in the database)");
	r->field = (size_t)fi;
	if (strcmp(first->purpose, r->who.purpose) != 0)
		return pv_fail(v, PV_ERR_DENIED, "the token was made for purpose '%s', not '%s'",
			       first->purpose, r->who.purpose);
	if (pv_policy_field_view(v, r->role, &r->who, r->field) != PV_VIEW_CLEAR)
		return pv_fail(v, PV_ERR_DENIED, "role '%s' does not see field %s in clear for "
			       "purpose '%s'", v->schema->roles[r->role].name,
			       v->schema->fields[r->field].name, r->who.purpose);
	return PV_OK;
}

/* The value of row t if its customer still holds it in the field: PV_OK with *value, or
 * PV_OK with *value NULL when the row is dead (counted in r), or a failure. */
static pv_rc open_row(struct reading *r, const struct token_row *t, char **value)
{
	*value = NULL;
	struct pv_stored_customer c;
	pv_rc rc = readable_customer(r->v, &r->who, t->customer, &c);
	if (rc == PV_ERR_NOT_FOUND) {
		r->shredded++;
		return PV_OK;
	}
	if (!rc)
		rc = pv_bulk_clear_gate(r->v, r->role, &r->who, "detokenize", t->customer, 1);
	if (!rc)
		rc = pv_customer_find(r->v, t->customer, &c); /* the gate may have read */
	char note_id[40], *sealed_value = NULL, **values = NULL;
	token_note_id(note_id, r->token, t->field, t->kind, t->purpose);
	if (!rc)
		rc = pv_open_note(r->v, &c, note_id, t->sealed, t->sealed_len, &sealed_value);
	if (rc == PV_ERR_CORRUPT)
		return pv_fail(r->v, rc, "the token's row fails authentication (edited, moved to "
			       "another customer or field, or swapped in the database)");
	if (!rc)
		rc = pv_open_customer(r->v, &c, &values);
	if (!rc && strcmp(values[r->field], sealed_value) == 0) {
		*value = sealed_value;
		r->shown_id = t->customer;
		sealed_value = NULL;
	} else if (!rc) {
		r->changed++;
	}
	if (sealed_value) {
		pv_wipe(sealed_value, strlen(sealed_value));
		free(sealed_value);
	}
	pv_values_wipe_free(values, r->v->schema->nfields);
	return rc;
}

/* The first live row's value, or PV_ERR_TOKEN_DEAD. */
static pv_rc open_rows(struct reading *r, const struct token_rows *l, char **value)
{
	for (size_t i = 0; i < l->n; i++) {
		pv_rc rc = open_row(r, &l->row[i], value);
		if (rc || *value)
			return rc;
	}
	if (r->changed)
		return pv_fail(r->v, PV_ERR_TOKEN_DEAD, "the token is dead: field %s was erased or "
			       "changed since it was made", r->v->schema->fields[r->field].name);
	return pv_fail(r->v, PV_ERR_TOKEN_DEAD, "the token is dead: the customer it stood for "
		       "was shredded, and its value with it");
}

/* The token's rows, checked, into l. */
static pv_rc load_rows(struct reading *r, struct token_rows *l)
{
	if (!r->token || !token_form_ok(r->token))
		return pv_fail(r->v, PV_ERR_NOT_FOUND, "no such token (it does not have the form "
			       "of a pivault token; not repeated here)");
	int st = pv_store_token_scan(r->v->store, r->token, copy_token_row, l);
	if (st < 0)
		return pv_fail(r->v, PV_ERR_STORE, "%s", pv_store_errmsg(r->v->store));
	if (l->bad)
		return pv_fail(r->v, PV_ERR_CORRUPT, "the token's row is malformed (edited in the "
			       "database), or memory ran out reading it");
	if (l->n == 0)
		return pv_fail(r->v, PV_ERR_NOT_FOUND, "no such token in this vault (not repeated "
			       "here)");
	return check_rows(r, l);
}

pv_rc pv_detokenize(pv_vault *v, const pv_access *who, const char *token, char **value)
{
	*value = NULL;
	struct reading r = { .v = v, .token = token };
	const char *purpose = who ? who->purpose : NULL;
	struct token_rows l = { 0 };
	if (who) { /* a token shows its value in clear, whatever the caller asked */
		r.who = *who;
		r.who.want_clear = PV_WANT_CLEAR;
	}
	pv_rc rc = pv_policy_authorize(v, who ? &r.who : NULL, PV_OP_READ, &r.role);
	if (!rc)
		rc = load_rows(&r, &l);
	if (!rc)
		rc = open_rows(&r, &l, value);
	char ids[80];
	snprintf(ids, sizeof ids, "%s", r.shown_id ? r.shown_id : l.n ? l.row[0].customer : "");
	token_rows_free(&l);
	if (rc)
		return pv_audit_failure(v, rc, "detokenize", ids, purpose);
	char detail[96];
	snprintf(detail, sizeof detail, "field %s", v->schema->fields[r.field].name);
	struct pv_audit_event e = { "detokenize", ids, purpose, NULL, "ok", detail };
	if ((rc = pv_audit_append(v, &e)) != PV_OK) { /* fail closed: nothing is shown */
		pv_wipe(*value, strlen(*value));
		free(*value);
		*value = NULL;
		return rc;
	}
	return pv_ok(v);
}
