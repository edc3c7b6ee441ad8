/* SPDX-License-Identifier: Apache-2.0 */
/* seal_gate.c: which customers breach incidents sealed, checked (see seal_gate.h). The
 * protected setting "incident_seals" holds one line per sealed incident, in id order:
 * "ID COUNT DIGEST". The incident_seals rows of each must give that count and digest;
 * when they do not, or the setting fails its own integrity check, every customer counts
 * as sealed until the state is whole again. */
#include "seal_gate.h"
#include "authz_mac.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SETTING "incident_seals"

struct pv_seals {
	int known;		 /* what follows was read and checked */
	unsigned version;	 /* the store's data version then (0: unknown) */
	uint8_t fingerprint[32]; /* the setting's stored bytes then */
	pv_rc failed;		 /* the state failed its check, or could not be read: why */
	char problem[400];
	struct pv_sealed_incident *inc;
	size_t ninc;
	char hit[32]; /* the incident of the customer last found sealed */
};

static void entries_free(struct pv_seals *s)
{
	for (size_t i = 0; i < s->ninc; i++)
		pv_idset_free(&s->inc[i].ids);
	free(s->inc);
	s->inc = NULL;
	s->ninc = 0;
}

void pv_seal_forget(pv_vault *v)
{
	if (!v->seals)
		return;
	entries_free(v->seals);
	free(v->seals);
	v->seals = NULL;
}

void pv_seal_digest(const char *incident, const struct pv_idset *ids, char hex[65])
{
	static const uint8_t context[] = "pivault incident seal v1";
	crypto_generichash_state h;
	crypto_generichash_init(&h, NULL, 0, 32);
	crypto_generichash_update(&h, context, sizeof context);
	crypto_generichash_update(&h, (const uint8_t *)incident, strlen(incident) + 1);
	for (size_t i = 0; i < ids->n; i++)
		crypto_generichash_update(&h, (const uint8_t *)ids->ids[i], strlen(ids->ids[i]) + 1);
	uint8_t d[32];
	crypto_generichash_final(&h, d, sizeof d);
	pv_hex(hex, d, sizeof d);
}

/* ------------------------------------------------------- reading the state ---- */

static void fail(struct pv_seals *s, pv_rc why, const char *problem)
{
	entries_free(s);
	s->failed = why;
	snprintf(s->problem, sizeof s->problem, "%s", problem);
}

static int add_id(void *ctx, const char *customer)
{
	return pv_idset_add(ctx, customer) < 0 ? -1 : 0;
}

/* Incident e's rows against its count and digest: 0, 1 (s failed, said), -1. */
static int check_entry(pv_vault *v, struct pv_seals *s, struct pv_sealed_incident *e)
{
	if (pv_store_seal_scan(v->store, e->incident, add_id, &e->ids) < 0 || e->ids.oom)
		return -1;
	pv_idset_sort(&e->ids);
	char digest[65], problem[300];
	pv_seal_digest(e->incident, &e->ids, digest);
	if (e->ids.n == e->n && strcmp(digest, e->digest) == 0)
		return 0;
	snprintf(problem, sizeof problem, "the customers sealed by incident %s fail their "
		 "integrity check (%zu sealed rows where %zu were sealed): incident_seals edited "
		 "outside pivault", e->incident, e->ids.n, e->n);
	fail(s, PV_ERR_CORRUPT, problem);
	return 1;
}

/* One line of the setting into a new entry of s: 0, or 1 when malformed. */
static int parse_line(struct pv_seals *s, const char *line)
{
	char id[32], hex[65];
	unsigned long long n;
	if (sscanf(line, "%31s %llu %64s", id, &n, hex) != 3 || strlen(hex) != 64 || !n)
		return 1;
	struct pv_sealed_incident *e = &s->inc[s->ninc++];
	memset(e, 0, sizeof *e);
	snprintf(e->incident, sizeof e->incident, "%s", id);
	snprintf(e->digest, sizeof e->digest, "%s", hex);
	e->n = (size_t)n;
	return 0;
}

/* The setting's text (len bytes) into s's entries, each checked against its rows. */
static void parse_and_check(pv_vault *v, struct pv_seals *s, const char *text, size_t len)
{
	size_t lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	if (lines && !(s->inc = calloc(lines, sizeof *s->inc))) {
		fail(s, PV_ERR_NOMEM, "out of memory");
		return;
	}
	for (const char *p = text; p < text + len && !s->failed;) {
		const char *end = memchr(p, '\n', (size_t)(text + len - p));
		if (!end || parse_line(s, p) != 0)
			fail(s, PV_ERR_CORRUPT, "the setting incident_seals is malformed");
		else if (check_entry(v, s, &s->inc[s->ninc - 1]) < 0)
			fail(s, PV_ERR_STORE, pv_store_errmsg(v->store));
		p = end ? end + 1 : text + len;
	}
}

/* Read the setting through its integrity check and every sealed incident's rows. */
static void load(pv_vault *v, struct pv_seals *s)
{
	entries_free(s);
	s->failed = PV_OK;
	uint8_t *val = NULL;
	size_t len = 0;
	int got = pv_authz_meta_get(v, SETTING, &val, &len);
	if (got < 0) {
		const char *msg = pv_store_errmsg(v->store);
		fail(s, strstr(msg, "integrity check") ? PV_ERR_CORRUPT : PV_ERR_STORE, msg);
	} else if (got == 0) {
		char *text = malloc(len + 1);
		if (!text) {
			fail(s, PV_ERR_NOMEM, "out of memory");
		} else {
			memcpy(text, val, len);
			text[len] = '\0';
			parse_and_check(v, s, text, len);
			free(text);
		}
	}
	free(val);
	/* a store failure is asked again next time; a failed check stands until it changes */
	s->known = s->failed != PV_ERR_STORE && s->failed != PV_ERR_NOMEM;
}

/* The handle's seal state, read again when the store and the setting changed; NULL when
 * out of memory. */
static struct pv_seals *ensure(pv_vault *v)
{
	struct pv_seals *s = v->seals;
	if (!s && !(s = v->seals = calloc(1, sizeof *s)))
		return NULL;
	unsigned version = pv_store_data_version(v->store);
	if (s->known && version && version == s->version)
		return s;
	uint8_t fp[32];
	if (pv_authz_meta_fingerprint(v, SETTING, fp) != 0) {
		fail(s, PV_ERR_STORE, pv_store_errmsg(v->store));
		s->known = 0;
		return s;
	}
	if (!s->known || sodium_memcmp(fp, s->fingerprint, sizeof fp) != 0)
		load(v, s);
	memcpy(s->fingerprint, fp, sizeof fp);
	s->version = version;
	return s;
}

pv_rc pv_seal_reload(pv_vault *v)
{
	pv_seal_forget(v);
	struct pv_seals *s = ensure(v);
	if (!s)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	if (s->failed == PV_ERR_CORRUPT)
		v->authz_tampered = 1;
	return s->failed ? pv_fail(v, s->failed, "%s", s->problem) : PV_OK;
}

const struct pv_sealed_incident *pv_seal_incident(pv_vault *v, const char *incident)
{
	struct pv_seals *s = v->seals;
	for (size_t i = 0; s && !s->failed && i < s->ninc; i++)
		if (strcmp(s->inc[i].incident, incident) == 0)
			return &s->inc[i];
	return NULL;
}

/* ------------------------------------------------------------ for reads ---- */

int pv_seal_any(pv_vault *v)
{
	struct pv_seals *s = ensure(v);
	return !s || s->failed || s->ninc > 0;
}

int pv_seal_holds(pv_vault *v, const char *id)
{
	struct pv_seals *s = ensure(v);
	if (!s || s->failed)
		return 1;
	for (size_t i = 0; i < s->ninc; i++)
		if (pv_idset_has(&s->inc[i].ids, id)) {
			snprintf(s->hit, sizeof s->hit, "%s", s->inc[i].incident);
			return 1;
		}
	return 0;
}

pv_rc pv_seal_refused(pv_vault *v, const char *id)
{
	struct pv_seals *s = v->seals;
	if (!s)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	if (s->failed) {
		v->authz_tampered = s->failed == PV_ERR_CORRUPT;
		return pv_fail(v, s->failed, "customer %s is not read: %s", id, s->problem);
	}
	return pv_fail(v, PV_ERR_SEALED, "customer %s is sealed by incident %s (信息封存): it is "
		       "not read or exported until an approved 'incident release %s'", id, s->hit,
		       s->hit);
}

pv_rc pv_seal_refuse_any(pv_vault *v, const char *ids)
{
	if (!ids || !pv_seal_any(v))
		return PV_OK;
	char id[128]; /* a customer id has at most 64 characters (validate.h) */
	for (const char *p = ids; *p;) {
		size_t n = strcspn(p, ",");
		snprintf(id, sizeof id, "%.*s", (int)(n < sizeof id ? n : sizeof id - 1), p);
		if (n < sizeof id && pv_seal_holds(v, id))
			return pv_seal_refused(v, id);
		p += n + (p[n] == ',');
	}
	return PV_OK;
}

void pv_seal_note_write(pv_vault *v, const char *id, char *detail, size_t n)
{
	struct pv_seals *s = pv_seal_any(v) ? v->seals : NULL;
	if (!s || !pv_seal_holds(v, id))
		return;
	size_t at = strlen(detail);
	if (at < n)
		snprintf(detail + at, n - at, "; under seal of %s", s->failed ? "an incident "
			 "(the seal state failed its check)" : s->hit);
}

int pv_seal_incident_of(pv_vault *v, const char *id, char *out, size_t n)
{
	if (!pv_seal_any(v) || !pv_seal_holds(v, id))
		return 0;
	struct pv_seals *s = v->seals;
	snprintf(out, n, "%s", s && !s->failed ? s->hit : "an incident (the seal state failed "
		 "its check)");
	return 1;
}

pv_rc pv_seal_forbids_erasure(pv_vault *v, const char *id)
{
	if (!pv_seal_any(v) || !pv_seal_holds(v, id))
		return PV_OK;
	struct pv_seals *s = v->seals;
	if (!s || s->failed)
		return pv_seal_refused(v, id);
	return pv_fail(v, PV_ERR_SEALED, "customer %s is sealed by incident %s (信息封存): its "
		       "records are kept as evidence and cannot be shredded or erased until an "
		       "approved 'incident release %s'", id, s->hit, s->hit);
}

/* ------------------------------------------------- left out, and said so ---- */

void pv_seal_omitted_reset(pv_vault *v)
{
	v->sealed_omitted = 0;
	v->sealed_omitted_by[0] = '\0';
}

/* One more left out, sealed by incident. */
static void omitted(pv_vault *v, const char *incident)
{
	if (v->sealed_omitted++ == 0)
		snprintf(v->sealed_omitted_by, sizeof v->sealed_omitted_by, "%s", incident);
	else if (strcmp(v->sealed_omitted_by, incident) != 0)
		snprintf(v->sealed_omitted_by, sizeof v->sealed_omitted_by, "several incidents");
}

void pv_seal_omitted_add(pv_vault *v, const char *id)
{
	char incident[sizeof v->sealed_omitted_by];
	if (pv_seal_incident_of(v, id, incident, sizeof incident))
		omitted(v, incident);
}

int pv_seal_omitted_count_stored(pv_vault *v)
{
	pv_seal_omitted_reset(v);
	struct pv_seals *s = pv_seal_any(v) ? v->seals : NULL;
	if (s && s->failed) {
		omitted(v, "an incident (the seal state failed its check)");
		return 0;
	}
	for (size_t i = 0; s && i < s->ninc; i++)
		for (size_t k = 0; k < s->inc[i].ids.n; k++) {
			struct pv_stored_customer c;
			int got = pv_store_customer_get(v->store, s->inc[i].ids.ids[k], &c);
			if (got < 0)
				return -1;
			if (got == 0)
				omitted(v, s->inc[i].incident);
		}
	return 0;
}

uint64_t pv_sealed_left_out(const pv_vault *v, char *incident, size_t n)
{
	if (incident && n)
		snprintf(incident, n, "%s", v->sealed_omitted_by);
	return v->sealed_omitted;
}

void pv_seal_omitted_note(const pv_vault *v, char *detail, size_t n)
{
	size_t at = strlen(detail);
	if (v->sealed_omitted && at < n)
		snprintf(detail + at, n - at, "; %llu sealed customer%s left out (%s%s)",
			 (unsigned long long)v->sealed_omitted, v->sealed_omitted == 1 ? "" : "s",
			 strncmp(v->sealed_omitted_by, "INC-", 4) ? "" : "incident ",
			 v->sealed_omitted_by);
}

/* ------------------------------------------------------------ for writes ---- */

int pv_seal_record(pv_vault *v, const char *incident, size_t n, const char *digest)
{
	struct pv_seals *s = v->seals;
	size_t cap = ((s ? s->ninc : 0) + 1) * 128, at = 0;
	char *text = malloc(cap);
	if (!text)
		return pv_store_note_failure(v->store, "out of memory");
	int placed = n == 0;
	for (size_t i = 0; s && i <= s->ninc; i++) {
		const struct pv_sealed_incident *e = i < s->ninc ? &s->inc[i] : NULL;
		if (!placed && (!e || strcmp(incident, e->incident) <= 0)) {
			at += (size_t)snprintf(text + at, cap - at, "%s %zu %s\n", incident, n, digest);
			placed = 1;
		}
		if (e && strcmp(e->incident, incident) != 0)
			at += (size_t)snprintf(text + at, cap - at, "%s %zu %s\n", e->incident, e->n,
					       e->digest);
	}
	if (!placed)
		at += (size_t)snprintf(text + at, cap - at, "%s %zu %s\n", incident, n, digest);
	int rc = pv_authz_meta_put(v, SETTING, text, at);
	free(text);
	pv_seal_forget(v);
	return rc;
}
