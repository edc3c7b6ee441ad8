/* SPDX-License-Identifier: Apache-2.0 */
/* record.c: sealing and opening customers (data key under the bucket key, one sealed
 * message per category of fields), blind-index hashes, and the pv_record shown to a
 * role. Plaintext lives only in buffers that are wiped before they are freed. */
#include "keys.h"
#include "record.h"
#include "mask.h"
#include "policy.h"
#include "validate.h"

#include <stdlib.h>
#include <string.h>

#define ID_MAX 64
#define AD_MAX (PV_VAULT_ID_BYTES + 4 + 4 + 4 + ID_MAX)
#define DEK_VERSION 1u

static const char *const group_names[PV_GROUPS] = { "basic", "financial", "other" };

static void put_u32(uint8_t *p, uint32_t x)
{
	p[0] = (uint8_t)x;
	p[1] = (uint8_t)(x >> 8);
	p[2] = (uint8_t)(x >> 16);
	p[3] = (uint8_t)(x >> 24);
}

/* Associated data of a wrapped data key: vault id | bucket | generation | version |
 * customer id. The version is the one the customer's groups are sealed with (their
 * associated data carries it too), raised by every change of the customer: a group put
 * back from an earlier copy carries an older version than the stored one, and the stored
 * version cannot be put back with it, for the data key's wrap under the bucket key binds
 * it (an earlier wrap opens only while the bucket keeps the same key: see
 * docs/threat-model.md). */
static size_t dek_ad(uint8_t *ad, const pv_vault *v, uint32_t bucket, uint32_t gen,
		     uint32_t version, const char *id, size_t idlen)
{
	memcpy(ad, v->vault_id, PV_VAULT_ID_BYTES);
	put_u32(ad + 16, bucket);
	put_u32(ad + 20, gen);
	put_u32(ad + 24, version);
	memcpy(ad + 28, id, idlen);
	return 28 + idlen;
}

/* Associated data of a group: vault id | group | version | customer id. */
static size_t group_ad(uint8_t *ad, const pv_vault *v, int group, uint32_t version,
		       const char *id, size_t idlen)
{
	memcpy(ad, v->vault_id, PV_VAULT_ID_BYTES);
	ad[16] = (uint8_t)group;
	put_u32(ad + 17, version);
	memcpy(ad + 21, id, idlen);
	return 21 + idlen;
}

uint32_t pv_bucket_of(const pv_vault *v, const char *id)
{
	uint64_t x = pv_short_hash(id, strlen(id), v->keys->bucket_hash);
	return (uint32_t)(x & (pv_keyring_slots(v->keyring) - 1));
}

void pv_blind_hash(const pv_vault *v, size_t field, const char *norm, size_t len,
		   uint8_t out[PV_BLIND_BYTES])
{
	char form[4 * PV_VALUE_MAX + 1];
	long n = pv_index_form(v->schema->fields[field].type, norm, len, form, sizeof form);
	if (n < 0) { /* cannot happen for validated values; hash the value itself */
		pv_keyed_hash(out, PV_BLIND_BYTES, norm, len, v->field_keys + field * PV_KEY_BYTES);
		return;
	}
	pv_keyed_hash(out, PV_BLIND_BYTES, form, (size_t)n, v->field_keys + field * PV_KEY_BYTES);
	pv_wipe(form, (size_t)n);
}

/* Bytes the encoded plaintext of group g takes. */
static size_t group_plain_size(const pv_vault *v, int g, const struct pv_values *vals)
{
	size_t n = 0;
	for (size_t i = 0; i < v->schema->nfields; i++)
		if ((int)v->schema->fields[i].category == g && vals->len[i])
			n += 4 + vals->len[i];
	return n;
}

/* Encode group g: per non-empty field, its stored field number (2 bytes LE), value
 * length (2 LE), value. Numbers, not positions, so the schema can grow. */
static size_t group_encode(const pv_vault *v, int g, const struct pv_values *vals, uint8_t *out)
{
	size_t n = 0;
	for (size_t i = 0; i < v->schema->nfields; i++) {
		const struct pv_schema_field *f = &v->schema->fields[i];
		if ((int)f->category != g || !vals->len[i])
			continue;
		out[n++] = (uint8_t)v->field_nums[i];
		out[n++] = (uint8_t)(v->field_nums[i] >> 8);
		out[n++] = (uint8_t)vals->len[i];
		out[n++] = (uint8_t)(vals->len[i] >> 8);
		memcpy(out + n, vals->value[i], vals->len[i]);
		n += vals->len[i];
	}
	return n;
}

static size_t count_indexed(const pv_vault *v)
{
	size_t n = 0;
	for (size_t i = 0; i < v->schema->nfields; i++)
		n += v->schema->fields[i].indexed ? 1 : 0;
	return n;
}

pv_rc pv_seal_customer(pv_vault *v, const char *id, const struct pv_values *vals,
		       struct pv_sealed *s, struct pv_rng *rng, char *err, size_t errlen)
{
	size_t idlen = strlen(id);
	uint32_t bucket = pv_bucket_of(v, id), gen;
	const uint8_t *bkey = pv_keyring_key(v->keyring, bucket, &gen);
	if (!bkey) {
		snprintf(err, errlen, "keyring slot %u fails authentication", (unsigned)bucket);
		return PV_ERR_BAD_KEY;
	}
	size_t plain[PV_GROUPS], need = 0, scratch = 0;
	for (int g = 0; g < PV_GROUPS; g++) {
		plain[g] = group_plain_size(v, g, vals);
		need += plain[g] + PV_SEAL_OVERHEAD;
		if (plain[g] > scratch)
			scratch = plain[g];
	}
	size_t nidx = count_indexed(v);
	if (need + scratch > s->cap) {
		size_t cap = (need + scratch) * 2;
		uint8_t *nb = realloc(s->buf, cap);
		if (!nb) {
			snprintf(err, errlen, "out of memory");
			return PV_ERR_NOMEM;
		}
		s->buf = nb;
		s->cap = cap;
	}
	if (!s->hashes && nidx) {
		s->hashes = malloc(nidx * PV_BLIND_BYTES);
		if (!s->hashes) {
			snprintf(err, errlen, "out of memory");
			return PV_ERR_NOMEM;
		}
	}
	uint8_t dek[PV_KEY_BYTES], ad[AD_MAX];
	pv_rng_bytes(rng, dek, sizeof dek);
	size_t adlen = dek_ad(ad, v, bucket, gen, DEK_VERSION, id, idlen);
	pv_seal(s->wdek, dek, sizeof dek, ad, adlen, bkey, rng);

	uint8_t *pt = s->buf + need, *at = s->buf;
	for (int g = 0; g < PV_GROUPS; g++) {
		size_t n = group_encode(v, g, vals, pt);
		adlen = group_ad(ad, v, g, DEK_VERSION, id, idlen);
		pv_seal(at, pt, n, ad, adlen, dek, rng);
		pv_wipe(pt, n);
		s->c.group[g] = at;
		s->c.group_len[g] = n + PV_SEAL_OVERHEAD;
		at += n + PV_SEAL_OVERHEAD;
	}
	pv_wipe(dek, sizeof dek);

	size_t k = 0;
	for (size_t i = 0; i < v->schema->nfields; i++) {
		if (!v->schema->fields[i].indexed)
			continue;
		uint8_t *h = s->hashes + k++ * PV_BLIND_BYTES;
		if (vals->len[i])
			pv_blind_hash(v, i, vals->value[i], vals->len[i], h);
		else
			memset(h, 0, PV_BLIND_BYTES);
	}
	s->hashes_len = nidx * PV_BLIND_BYTES;
	s->c.id = id;
	s->c.bucket = bucket;
	s->c.bucket_gen = gen;
	s->c.dek_version = DEK_VERSION;
	s->c.wdek = s->wdek;
	s->c.wdek_len = sizeof s->wdek;
	return PV_OK;
}

void pv_sealed_free(struct pv_sealed *s)
{
	free(s->buf);
	free(s->hashes);
	memset(s, 0, sizeof *s);
}

pv_rc pv_no_customer(pv_vault *v, const char *id)
{
	if (pv_customer_id_ok(id))
		return pv_fail(v, PV_ERR_NOT_FOUND, "no customer %s", id);
	return pv_fail(v, PV_ERR_NOT_FOUND, "no customer with the id given (not repeated here: "
		       "it does not have the shape of a customer id)");
}

pv_rc pv_customer_find(pv_vault *v, const char *id, struct pv_stored_customer *c)
{
	int got = pv_store_customer_get(v->store, id, c);
	if (got < 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return got ? pv_no_customer(v, id) : PV_OK;
}

void pv_values_wipe_free(char **values, size_t n)
{
	if (!values)
		return;
	for (size_t i = 0; i < n; i++) {
		if (values[i]) {
			pv_wipe(values[i], strlen(values[i]));
			free(values[i]);
		}
	}
	free(values);
}

/* Unwrap c's data key into dek. */
static pv_rc unwrap_dek(pv_vault *v, const struct pv_stored_customer *c, uint8_t *dek)
{
	size_t idlen = strlen(c->id);
	/* The bucket needs no check of its own here: the sealed key's associated data names
	 * it, so a key moved to another bucket fails to open (and is then named as such). */
	if (c->malformed || idlen > ID_MAX || c->bucket >= pv_keyring_slots(v->keyring) ||
	    c->wdek_len != PV_KEY_BYTES + PV_SEAL_OVERHEAD)
		return pv_fail(v, PV_ERR_CORRUPT, "customer %s: data key record is malformed or "
			       "does not belong to this customer (tampered or moved)", c->id);
	uint32_t gen;
	const uint8_t *bkey = pv_keyring_key(v->keyring, c->bucket, &gen);
	if (bkey && gen < c->bucket_gen) { /* replaced since we read it: read it again */
		pv_keyring_forget(v->keyring, c->bucket);
		bkey = pv_keyring_key(v->keyring, c->bucket, &gen);
	}
	if (!bkey)
		return pv_fail(v, PV_ERR_BAD_KEY, "customer %s: keyring slot %u fails authentication",
			       c->id, (unsigned)c->bucket);
	uint8_t ad[AD_MAX];
	if (gen != c->bucket_gen && c->bucket != pv_bucket_of(v, c->id))
		return pv_fail(v, PV_ERR_CORRUPT, "customer %s: data key record is malformed or "
			       "does not belong to this customer (tampered or moved)", c->id);
	/* newer than the keyring's: another node's shred not yet applied here, or tampering
	 * (no store call here: c's strings are borrowed from the store's last row) */
	if (gen < c->bucket_gen)
		return pv_fail(v, PV_ERR_CORRUPT, "customer %s: data key was wrapped by another "
			       "generation of its bucket key, newer than this node's keyring holds: "
			       "this node's keyring lags (open the vault again to apply the keyring "
			       "journal; pivault doctor lists the nodes that lag), or the record was "
			       "tampered with", c->id);
	if (gen != c->bucket_gen)
		return pv_fail(v, PV_ERR_CORRUPT, "customer %s: data key was wrapped by another "
			       "generation of its bucket key (tampered, or restored after a shred)",
			       c->id);
	size_t adlen = dek_ad(ad, v, c->bucket, gen, c->dek_version, c->id, idlen);
	if (pv_open_sealed(dek, c->wdek, c->wdek_len, ad, adlen, bkey) != 0)
		return pv_fail(v, PV_ERR_CORRUPT, c->bucket != pv_bucket_of(v, c->id)
			       ? "customer %s: data key record is malformed or does not belong to "
				 "this customer (tampered or moved)"
			       : "customer %s: data key fails authentication (tampered, moved from "
				 "another customer, or wrong key)", c->id);
	return PV_OK;
}

/* Decode one group's plaintext into values (copies). 0, or -1 when malformed. */
static int group_decode(const pv_vault *v, int g, const uint8_t *pt, size_t n, char **values)
{
	size_t at = 0;
	while (at < n) {
		if (at + 4 > n)
			return -1;
		int num = pt[at] | pt[at + 1] << 8;
		at += 2;
		size_t vl = (size_t)pt[at] | (size_t)pt[at + 1] << 8;
		at += 2;
		if (at + vl > n)
			return -1;
		for (size_t i = 0; i < v->schema->nfields; i++) {
			const struct pv_schema_field *f = &v->schema->fields[i];
			if ((int)f->category == g && v->field_nums[i] == num) {
				char *val = malloc(vl + 1);
				if (!val)
					return -1;
				memcpy(val, pt + at, vl);
				val[vl] = '\0';
				if (values[i]) {
					pv_wipe(values[i], strlen(values[i]));
					free(values[i]);
				}
				values[i] = val;
			}
		}
		at += vl;
	}
	return 0;
}

pv_rc pv_open_customer(pv_vault *v, const struct pv_stored_customer *c, char ***out_values)
{
	*out_values = NULL;
	size_t nf = v->schema->nfields, idlen = strlen(c->id);
	char **values = calloc(nf + 1, sizeof *values);
	if (!values)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	uint8_t dek[PV_KEY_BYTES], ad[AD_MAX];
	pv_rc rc = unwrap_dek(v, c, dek);
	for (int g = 0; rc == PV_OK && g < PV_GROUPS; g++) {
		if (!c->group[g] || c->group_len[g] < PV_SEAL_OVERHEAD) {
			rc = pv_fail(v, PV_ERR_CORRUPT, "customer %s, field group %s: missing or "
				     "truncated ciphertext", c->id, group_names[g]);
			break;
		}
		size_t n = c->group_len[g] - PV_SEAL_OVERHEAD;
		uint8_t *pt = malloc(n + 1);
		if (!pt) {
			rc = pv_fail(v, PV_ERR_NOMEM, "out of memory");
			break;
		}
		size_t adlen = group_ad(ad, v, g, c->dek_version, c->id, idlen);
		if (pv_open_sealed(pt, c->group[g], c->group_len[g], ad, adlen, dek) != 0)
			rc = pv_fail(v, PV_ERR_CORRUPT, "customer %s, field group %s (%s): ciphertext "
				     "fails authentication (tampered, moved from another customer "
				     "or field, or wrong key)", c->id, group_names[g],
				     g == 0 ? "basic fields" : g == 1 ? "financial fields" : "other fields");
		else if (group_decode(v, g, pt, n, values) != 0)
			rc = pv_fail(v, PV_ERR_CORRUPT, "customer %s, field group %s: malformed "
				     "plaintext", c->id, group_names[g]);
		pv_wipe(pt, n);
		free(pt);
	}
	pv_wipe(dek, sizeof dek);
	for (size_t i = 0; rc == PV_OK && i < nf; i++)
		if (!values[i] && !(values[i] = calloc(1, 1)))
			rc = pv_fail(v, PV_ERR_NOMEM, "out of memory");
	if (rc) {
		pv_values_wipe_free(values, nf);
		return rc;
	}
	*out_values = values;
	return PV_OK;
}

pv_rc pv_reseal_group(pv_vault *v, const struct pv_stored_customer *c, char **values,
		      int group, uint8_t **sealed, size_t *sealed_len)
{
	size_t nf = v->schema->nfields;
	size_t *lens = calloc(nf + 1, sizeof *lens);
	if (!lens)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < nf; i++)
		lens[i] = strlen(values[i]);
	struct pv_values vals = { (const char **)values, lens };
	size_t n = group_plain_size(v, group, &vals);
	uint8_t *pt = malloc(n + 1), *out = malloc(n + PV_SEAL_OVERHEAD);
	uint8_t dek[PV_KEY_BYTES], ad[AD_MAX];
	pv_rc rc = (pt && out) ? unwrap_dek(v, c, dek) : pv_fail(v, PV_ERR_NOMEM, "out of memory");
	if (rc == PV_OK) {
		group_encode(v, group, &vals, pt);
		size_t adlen = group_ad(ad, v, group, c->dek_version, c->id, strlen(c->id));
		pv_seal(out, pt, n, ad, adlen, dek, NULL);
		pv_wipe(pt, n);
		pv_wipe(dek, sizeof dek);
		*sealed = out;
		*sealed_len = n + PV_SEAL_OVERHEAD;
		out = NULL;
	}
	free(pt);
	free(out);
	free(lens);
	return rc;
}

/* ---- The record shown to a role ---- */

struct pv_record {
	char *id;
	size_t n;
	const char **names;
	char **shown;
	pv_field_view *views;
	size_t ncons, capcons;
	char **cons_purpose;
	int *cons_granted;
};

void pv_record_free(pv_record *r)
{
	if (!r)
		return;
	pv_values_wipe_free(r->shown, r->n);
	for (size_t i = 0; i < r->ncons; i++)
		free(r->cons_purpose[i]);
	free(r->cons_purpose);
	free(r->cons_granted);
	free(r->names);
	free(r->views);
	free(r->id);
	free(r);
}

static int add_consent(void *ctx, const char *purpose, int granted)
{
	pv_record *r = ctx;
	if (r->ncons == r->capcons) {
		size_t cap = r->capcons ? 2 * r->capcons : 4;
		char **np = realloc(r->cons_purpose, cap * sizeof *np);
		if (!np)
			return -1;
		r->cons_purpose = np;
		int *ng = realloc(r->cons_granted, cap * sizeof *ng);
		if (!ng)
			return -1;
		r->cons_granted = ng;
		r->capcons = cap;
	}
	size_t n = strlen(purpose) + 1;
	char *p = malloc(n);
	if (!p)
		return -1;
	memcpy(p, purpose, n);
	r->cons_purpose[r->ncons] = p;
	r->cons_granted[r->ncons++] = granted;
	return 0;
}

pv_rc pv_record_build(pv_vault *v, int role, const pv_access *who, const char *id,
		      int64_t rid, char **values, pv_record **out)
{
	size_t nf = v->schema->nfields;
	pv_record *r = calloc(1, sizeof *r);
	size_t idlen = strlen(id) + 1;
	if (r) {
		r->n = nf;
		r->shown = values;
		r->names = calloc(nf + 1, sizeof *r->names);
		r->views = calloc(nf + 1, sizeof *r->views);
		r->id = malloc(idlen);
	}
	if (!r || !r->names || !r->views || !r->id) {
		if (r)
			pv_record_free(r);
		else
			pv_values_wipe_free(values, nf);
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	}
	memcpy(r->id, id, idlen);
	for (size_t i = 0; i < nf; i++) {
		const struct pv_schema_field *f = &v->schema->fields[i];
		enum pv_view view = pv_policy_field_view(v, role, who, i);
		r->names[i] = f->name;
		r->views[i] = (pv_field_view)view;
		if (view == PV_VIEW_CLEAR)
			continue;
		char *shown = NULL;
		if (view == PV_VIEW_MASKED &&
		    !(shown = pv_mask_value(f->mask, values[i], strlen(values[i])))) {
			pv_record_free(r);
			return pv_fail(v, PV_ERR_NOMEM, "out of memory");
		}
		pv_wipe(values[i], strlen(values[i]));
		free(values[i]);
		values[i] = shown;
	}
	if (pv_store_consent_scan(v->store, rid, add_consent, r) != 0) {
		pv_record_free(r);
		return pv_fail(v, PV_ERR_STORE, "customer %s: cannot read consents", id);
	}
	*out = r;
	return PV_OK;
}

const char *pv_record_id(const pv_record *r) { return r->id; }
size_t pv_record_field_count(const pv_record *r) { return r->n; }
const char *pv_record_field_name(const pv_record *r, size_t i) { return i < r->n ? r->names[i] : NULL; }
const char *pv_record_field_value(const pv_record *r, size_t i) { return i < r->n ? r->shown[i] : NULL; }
pv_field_view pv_record_field_view(const pv_record *r, size_t i) { return i < r->n ? r->views[i] : PV_SHOWN_HIDDEN; }
size_t pv_record_consent_count(const pv_record *r) { return r->ncons; }
const char *pv_record_consent_purpose(const pv_record *r, size_t i) { return i < r->ncons ? r->cons_purpose[i] : NULL; }
int pv_record_consent_granted(const pv_record *r, size_t i) { return i < r->ncons ? r->cons_granted[i] : 0; }

void pv_wrap_dek(const pv_vault *v, const char *id, uint32_t bucket, uint32_t gen,
		 uint32_t version, const uint8_t *dek, const uint8_t *bucket_key,
		 uint8_t out[PV_KEY_BYTES + PV_SEAL_OVERHEAD])
{
	uint8_t ad[AD_MAX];
	size_t idlen = strlen(id);
	if (idlen > ID_MAX)
		idlen = ID_MAX; /* ids are checked long before: never longer */
	size_t adlen = dek_ad(ad, v, bucket, gen, version, id, idlen);
	pv_seal(out, dek, PV_KEY_BYTES, ad, adlen, bucket_key, pv_vault_rng((pv_vault *)v));
}

pv_rc pv_rewrap_dek(pv_vault *v, const struct pv_stored_customer *c, const uint8_t *new_key,
		    uint32_t new_gen, uint8_t out[PV_KEY_BYTES + PV_SEAL_OVERHEAD])
{
	uint8_t dek[PV_KEY_BYTES];
	pv_rc rc = unwrap_dek(v, c, dek);
	if (rc)
		return rc;
	pv_wrap_dek(v, c->id, c->bucket, new_gen, c->dek_version, dek, new_key, out);
	pv_wipe(dek, sizeof dek);
	return PV_OK;
}

pv_rc pv_rebind_dek_version(pv_vault *v, const char *id, uint32_t bucket, uint32_t gen,
			    uint32_t from, uint32_t to, uint8_t wdek[PV_KEY_BYTES + PV_SEAL_OVERHEAD])
{
	uint32_t now;
	size_t idlen = strlen(id);
	const uint8_t *bkey = pv_keyring_key(v->keyring, bucket, &now);
	if (!bkey || now != gen || idlen > ID_MAX)
		return PV_ERR_BAD_KEY; /* not the bucket's key now: a later line will be */
	uint8_t dek[PV_KEY_BYTES], ad[AD_MAX];
	size_t adlen = dek_ad(ad, v, bucket, gen, from, id, idlen);
	if (pv_open_sealed(dek, wdek, PV_KEY_BYTES + PV_SEAL_OVERHEAD, ad, adlen, bkey) != 0)
		return PV_ERR_CORRUPT;
	pv_wrap_dek(v, id, bucket, gen, to, dek, bkey, wdek);
	pv_wipe(dek, sizeof dek);
	return PV_OK;
}

pv_rc pv_reseal_next_version(pv_vault *v, const struct pv_stored_customer *c, char **values,
			     uint8_t wdek[PV_KEY_BYTES + PV_SEAL_OVERHEAD],
			     uint8_t *sealed[PV_GROUPS], size_t len[PV_GROUPS])
{
	if (c->dek_version == UINT32_MAX)
		return pv_fail(v, PV_ERR_CORRUPT, "customer %s: version exhausted", c->id);
	uint8_t dek[PV_KEY_BYTES];
	pv_rc rc = unwrap_dek(v, c, dek); /* also: the bucket's key is the generation c names */
	if (rc)
		return rc;
	uint32_t gen;
	const uint8_t *bkey = pv_keyring_key(v->keyring, c->bucket, &gen);
	if (!bkey || gen != c->bucket_gen) {
		pv_wipe(dek, sizeof dek);
		return pv_fail(v, PV_ERR_BAD_KEY, "customer %s: keyring slot %u changed while it "
			       "was read", c->id, (unsigned)c->bucket);
	}
	struct pv_stored_customer next = *c;
	next.dek_version = c->dek_version + 1;
	pv_wrap_dek(v, c->id, c->bucket, gen, next.dek_version, dek, bkey, wdek);
	pv_wipe(dek, sizeof dek);
	next.wdek = wdek;
	next.wdek_len = PV_KEY_BYTES + PV_SEAL_OVERHEAD;
	for (int g = 0; g < PV_GROUPS; g++)
		sealed[g] = NULL;
	for (int g = 0; !rc && g < PV_GROUPS; g++)
		rc = pv_reseal_group(v, &next, values, g, &sealed[g], &len[g]);
	for (int g = 0; rc && g < PV_GROUPS; g++) {
		free(sealed[g]);
		sealed[g] = NULL;
	}
	return rc;
}

/* Associated data of a note sealed under a customer's data key: vault id | "note" |
 * customer id | note id. */
static size_t note_ad(uint8_t *ad, const pv_vault *v, const char *id, const char *note_id)
{
	size_t n = 0, il = strlen(id), nl = strlen(note_id);
	memcpy(ad, v->vault_id, PV_VAULT_ID_BYTES);
	n += PV_VAULT_ID_BYTES;
	memcpy(ad + n, "note", 4);
	n += 4;
	ad[n++] = (uint8_t)il;
	memcpy(ad + n, id, il);
	n += il;
	memcpy(ad + n, note_id, nl);
	return n + nl;
}

pv_rc pv_seal_note(pv_vault *v, const struct pv_stored_customer *c, const char *note_id,
		   const char *text, uint8_t **sealed, size_t *len)
{
	uint8_t dek[PV_KEY_BYTES], ad[PV_VAULT_ID_BYTES + 5 + ID_MAX + 64];
	size_t n = strlen(text);
	if (strlen(c->id) > ID_MAX || strlen(note_id) > 64)
		return pv_fail(v, PV_ERR_USAGE, "id too long");
	uint8_t *out = malloc(n + PV_SEAL_OVERHEAD);
	if (!out)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	pv_rc rc = unwrap_dek(v, c, dek);
	if (rc) {
		free(out);
		return rc;
	}
	pv_seal(out, (const uint8_t *)text, n, ad, note_ad(ad, v, c->id, note_id), dek, NULL);
	pv_wipe(dek, sizeof dek);
	*sealed = out;
	*len = n + PV_SEAL_OVERHEAD;
	return PV_OK;
}

pv_rc pv_open_note(pv_vault *v, const struct pv_stored_customer *c, const char *note_id,
		   const uint8_t *sealed, size_t len, char **text)
{
	uint8_t dek[PV_KEY_BYTES], ad[PV_VAULT_ID_BYTES + 5 + ID_MAX + 64];
	*text = NULL;
	if (len < PV_SEAL_OVERHEAD || strlen(c->id) > ID_MAX || strlen(note_id) > 64)
		return pv_fail(v, PV_ERR_CORRUPT, "note %s is malformed", note_id);
	char *out = malloc(len - PV_SEAL_OVERHEAD + 1);
	if (!out)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	pv_rc rc = unwrap_dek(v, c, dek);
	if (!rc && pv_open_sealed((uint8_t *)out, sealed, len, ad, note_ad(ad, v, c->id, note_id),
				  dek) != 0)
		rc = pv_fail(v, PV_ERR_CORRUPT, "note %s of customer %s fails authentication",
			     note_id, c->id);
	pv_wipe(dek, sizeof dek);
	if (rc) {
		free(out);
		return rc;
	}
	out[len - PV_SEAL_OVERHEAD] = '\0';
	*text = out;
	return PV_OK;
}
