/* SPDX-License-Identifier: Apache-2.0 */
/* incident_digest.c: digests of breach incidents (see incident_digest.h). The setting
 * holds one line per incident, "ID DIGEST", in the order incidents are scanned; a digest
 * is BLAKE2b-256 over the row's fields and then each scope row (customer, categories), in
 * customer order, each length-prefixed. */
#include "incident_digest.h"
#include "audit.h"
#include "authz_mac.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SETTING "incident_digests"

struct digests {
	pv_vault *v;
	char *text; /* "ID DIGEST\n" lines */
	size_t len, cap, n;
	int failed;
};

static void hash_text(crypto_generichash_state *h, const char *s)
{
	uint8_t len[8];
	size_t n = s ? strlen(s) : 0;
	for (int i = 0; i < 8; i++)
		len[i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
	crypto_generichash_update(h, len, sizeof len);
	if (n)
		crypto_generichash_update(h, (const uint8_t *)s, n);
}

static int hash_scope_row(void *ctx, const char *customer, const char *categories)
{
	hash_text(ctx, customer);
	hash_text(ctx, categories);
	return 0;
}

static int append(struct digests *d, const char *line)
{
	size_t n = strlen(line);
	if (d->len + n + 1 > d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 1024;
		while (cap < d->len + n + 1)
			cap *= 2;
		char *t = realloc(d->text, cap);
		if (!t)
			return d->failed = -1;
		d->text = t;
		d->cap = cap;
	}
	memcpy(d->text + d->len, line, n + 1);
	d->len += n;
	return 0;
}

static int digest_one(void *ctx, const struct pv_stored_incident *c)
{
	struct digests *d = ctx;
	static const char context[] = "pivault incident v1";
	crypto_generichash_state h;
	crypto_generichash_init(&h, NULL, 0, 32);
	hash_text(&h, context);
	const char *f[] = { c->id,	    c->kind,	    c->state,	     c->detected_at,
			    c->description, c->opened_by,   c->opened_at,    c->contained_at,
			    c->notified_at, c->closed_at,   c->scope_filter };
	for (size_t i = 0; i < sizeof f / sizeof *f; i++)
		hash_text(&h, f[i]);
	char id[40];
	snprintf(id, sizeof id, "%.32s", c->id); /* c's pointers die with the scope scan */
	if (pv_store_incident_scope_scan(d->v->store, id, hash_scope_row, &h) < 0)
		return d->failed = -1;
	uint8_t out[32];
	char line[120], hex[65];
	crypto_generichash_final(&h, out, sizeof out);
	pv_hex(hex, out, sizeof out);
	snprintf(line, sizeof line, "%s %s\n", id, hex);
	d->n++;
	return append(d, line);
}

/* Every incident's line as it is now into d. */
static pv_rc digests_now(pv_vault *v, struct digests *d)
{
	memset(d, 0, sizeof *d);
	d->v = v;
	if (append(d, "") != 0)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	if (pv_store_incident_scan(v->store, digest_one, d) < 0 || d->failed) {
		free(d->text);
		d->text = NULL;
		return d->failed && !pv_store_errmsg(v->store)[0]
			? pv_fail(v, PV_ERR_NOMEM, "out of memory")
			: pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	}
	return PV_OK;
}

pv_rc pv_incident_digests_record(pv_vault *v)
{
	struct digests d;
	pv_rc rc = digests_now(v, &d);
	if (rc)
		return rc;
	if (pv_authz_meta_put(v, SETTING, d.text, d.len) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	free(d.text);
	return rc;
}

/* The line of incident id in text (len bytes), or NULL. */
static const char *line_of(const char *text, size_t len, const char *id, size_t idlen)
{
	for (const char *p = text; p && p < text + len;) {
		if ((size_t)(text + len - p) > idlen && memcmp(p, id, idlen) == 0 && p[idlen] == ' ')
			return p;
		const char *nl = memchr(p, '\n', (size_t)(text + len - p));
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

/* How the lines now (a) differ from the lines kept (b): the first incident named, into
 * why; 0 when they are the same. */
static int differ(const char *a, size_t alen, const char *b, size_t blen, char *why, size_t n)
{
	for (int pass = 0; pass < 2; pass++) {
		const char *x = pass ? b : a, *y = pass ? a : b;
		size_t xlen = pass ? blen : alen, ylen = pass ? alen : blen;
		for (const char *p = x; p < x + xlen;) {
			const char *nl = memchr(p, '\n', (size_t)(x + xlen - p));
			size_t idlen = strcspn(p, " \n"), linelen = nl ? (size_t)(nl - p) + 1 : 0;
			const char *q = line_of(y, ylen, p, idlen);
			if (!q || (!pass && memcmp(q, p, linelen) != 0)) {
				snprintf(why, n, "incident %.*s fails its integrity check: %s outside "
					 "pivault", (int)(idlen < 32 ? idlen : 32), p,
					 q ? "its row or its scope edited"
					   : pass ? "removed" : "added (it has no integrity code)");
				return 1;
			}
			p = nl ? nl + 1 : x + xlen;
		}
	}
	return 0;
}

/* A vault from before the codes: record them now, audited. */
static pv_rc first_use(pv_vault *v, size_t n)
{
	if (pv_store_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	pv_rc rc = pv_incident_digests_record(v);
	char detail[96];
	snprintf(detail, sizeof detail, "incident integrity codes added: %zu incidents (a vault "
		 "from before them)", n);
	struct pv_audit_event e = { "integrity codes", NULL, NULL, NULL, "ok", detail };
	return pv_audit_commit(v, &e, rc);
}

pv_rc pv_incident_digests_check(pv_vault *v)
{
	uint8_t *kept = NULL;
	size_t klen = 0;
	int got = pv_authz_meta_get(v, SETTING, &kept, &klen);
	if (got < 0) {
		const char *msg = pv_store_errmsg(v->store);
		return pv_fail(v, strstr(msg, "integrity check") ? PV_ERR_CORRUPT : PV_ERR_STORE, "%s",
			       msg);
	}
	struct digests d;
	pv_rc rc = digests_now(v, &d);
	char why[200];
	if (!rc && got > 0 && d.n > 0)
		rc = first_use(v, d.n);
	else if (!rc && differ(d.text, d.len, got ? "" : (const char *)kept, got ? 0 : klen, why,
			       sizeof why)) {
		v->authz_tampered = 1;
		rc = pv_fail(v, PV_ERR_CORRUPT, "%s", why);
	}
	free(d.text);
	free(kept);
	return rc;
}
