/* SPDX-License-Identifier: Apache-2.0 */
/* authz_mac.c: integrity codes of authorisation state (see authz_mac.h). Every protected
 * row has a MAC: keyed BLAKE2b under the vault's authz key over a canonical encoding
 * (each field length-prefixed, after the vault id, the table and the row key, so a MAC
 * cannot be moved to another row, table or vault). Each table has a seal: a MAC over its
 * row keys and row MACs in key order, so removing a row, or putting back an older row with
 * its older MAC, is seen; and one seal over all the tables' seals, so one table put back
 * from an older copy while the others went on is seen too. A table is checked whole (every
 * row against its MAC, no MAC without its row, the seal) once per transaction, and every
 * read runs inside one; a read of one row checks that row and the seals, from what the
 * handle last verified while the stored seals are the ones it verified. */
#include "authz_mac.h"
#include "audit.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAC_BYTES 32
#define SEALS "#seal" /* the table name under which each table's seal is kept */
#define ALL_SEALS "*"  /* ... and, under it, the seal of all the tables' seals */

enum table { T_USERS, T_REQUESTS, T_HOLDS, T_SETTINGS, NTABLES };
static const char *const table_name[NTABLES] = { "users", "requests", "holds", "settings" };
_Static_assert(sizeof ((pv_vault *)0)->authz_checked == NTABLES * sizeof(uint64_t),
	       "one check mark per protected table");

/* Metadata entries that govern access. */
static const char *const protected_settings[] = { "schema", "alert_reads_per_hour",
						   "api_tokens_revoked" /* api_tokens.c */,
						   "incident_seals" /* seal_gate.c */,
						   "incident_digests" /* incident_digest.c */,
						   "incident_seal_history" /* seal_history.c */ };
#define NSETTINGS (sizeof protected_settings / sizeof *protected_settings)

/* ---- Canonical encoding ---- */

struct enc {
	crypto_generichash_state st;
};

static void enc_bytes(struct enc *e, const void *p, size_t n)
{
	uint8_t len[8];
	for (int i = 0; i < 8; i++)
		len[i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
	crypto_generichash_update(&e->st, len, sizeof len);
	if (n)
		crypto_generichash_update(&e->st, p, n);
}

static void enc_str(struct enc *e, const char *s)
{
	enc_bytes(e, s ? s : "", s ? strlen(s) : 0);
}

static void enc_int(struct enc *e, int64_t x)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)((uint64_t)x >> (56 - 8 * i));
	enc_bytes(e, b, sizeof b);
}

/* Start a MAC of kind ("row" or "seal") for table t and row key k. */
static void enc_begin(struct enc *e, const uint8_t *key, const pv_vault *v, const char *kind,
		      enum table t, const char *k)
{
	crypto_generichash_init(&e->st, key, PV_KEY_BYTES, MAC_BYTES);
	enc_str(e, "pivault authz v1");
	enc_str(e, kind);
	enc_bytes(e, v->vault_id, sizeof v->vault_id);
	enc_str(e, table_name[t]);
	enc_str(e, k);
}

static void enc_end(struct enc *e, uint8_t out[MAC_BYTES])
{
	crypto_generichash_final(&e->st, out, MAC_BYTES);
}

/* ---- The fields of each kind of row: one function each, so a field added to a row is
 * one line here ---- */

/* failures and locked_until are left out: a failed login writes them and holds no key.
 * (A DBA who resets them gains nothing: the slot they guard is on the file to guess at.) */
static void user_fields(struct enc *e, const struct pv_stored_user *u)
{
	enc_str(e, u->name);
	enc_str(e, u->roles);
	enc_bytes(e, u->slot, u->slot_len);
	enc_int(e, u->disabled);
	enc_str(e, u->agreement);
	enc_str(e, u->training);
	enc_str(e, u->training_expires);
	enc_str(e, u->created);
	enc_bytes(e, u->access, u->access_len);
	enc_bytes(e, u->enrol, u->enrol_len);
}

static void request_fields(struct enc *e, const struct pv_stored_request *r)
{
	const char *t[] = { r->id,	 r->requester, r->op,	   r->params,
			    r->params_hash, r->command,   r->reason, r->created };
	for (size_t i = 0; i < sizeof t / sizeof *t; i++)
		enc_str(e, t[i]);
	enc_int(e, r->expires);
	const char *u[] = { r->state, r->approver, r->decided, r->used, r->enrol_key };
	for (size_t i = 0; i < sizeof u / sizeof *u; i++)
		enc_str(e, u[i]);
}

static void hold_fields(struct enc *e, const struct pv_stored_hold *h)
{
	enc_int(e, h->hold);
	const char *t[] = { h->customer, h->reason, h->placed_by, h->since, h->released,
			    h->released_by };
	for (size_t i = 0; i < sizeof t / sizeof *t; i++)
		enc_str(e, t[i]);
}

/* ---- A table being checked or rewritten ---- */

struct entry {
	char *k;
	uint8_t mac[MAC_BYTES];
	int malformed, seen;
};

struct pass {
	pv_vault *v;
	const uint8_t *key;
	enum table t;
	struct entry *e;
	size_t n, cap;
	int rewrite;       /* write each row's MAC rather than check it */
	char problem[400]; /* the first problem found */
	/* what check_seal last found stored and verified: the table's seal and the seal of
	 * all seals */
	uint8_t seal_stored[MAC_BYTES], all_stored[MAC_BYTES];
};

static void pass_free(struct pass *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->e[i].k);
	free(p->e);
	p->e = NULL;
	p->n = p->cap = 0;
}

static int collect(void *ctx, const char *k, const uint8_t *mac, size_t len)
{
	struct pass *p = ctx;
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 16;
		struct entry *e = realloc(p->e, cap * sizeof *e);
		if (!e)
			return pv_store_note_failure(p->v->store, "out of memory");
		p->e = e;
		p->cap = cap;
	}
	struct entry *e = &p->e[p->n];
	if (!(e->k = strdup(k)))
		return pv_store_note_failure(p->v->store, "out of memory");
	e->malformed = len != MAC_BYTES;
	e->seen = 0;
	memset(e->mac, 0, sizeof e->mac);
	if (!e->malformed)
		memcpy(e->mac, mac, MAC_BYTES);
	p->n++;
	return 0;
}

static int load_entries(struct pass *p)
{
	pass_free(p);
	return pv_store_authz_scan(p->v->store, table_name[p->t], collect, p) < 0 ? -1 : 0;
}

static struct entry *find(struct pass *p, const char *k)
{
	size_t lo = 0, hi = p->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(p->e[mid].k, k);
		if (c == 0)
			return &p->e[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void seal_of(const struct pass *p, uint8_t out[MAC_BYTES])
{
	struct enc e;
	enc_begin(&e, p->key, p->v, "seal", p->t, "");
	enc_int(&e, (int64_t)p->n);
	for (size_t i = 0; i < p->n; i++) {
		enc_str(&e, p->e[i].k);
		enc_bytes(&e, p->e[i].mac, MAC_BYTES);
	}
	enc_end(&e, out);
}

static int problem(struct pass *p, const char *k, const char *what)
{
	if (!p->problem[0])
		snprintf(p->problem, sizeof p->problem, "%s row '%s' fails its integrity check: %s",
			 table_name[p->t], k, what);
	return 0; /* go on: the first problem is the one reported */
}

/* One row as read with its MAC: check it against its entry, or write its entry. */
static int visit(struct pass *p, const char *k, const uint8_t mac[MAC_BYTES])
{
	if (p->rewrite)
		return pv_store_authz_put(p->v->store, table_name[p->t], k, mac, MAC_BYTES);
	struct entry *e = find(p, k);
	if (!e)
		return problem(p, k, "added outside pivault (it has no integrity code)");
	e->seen = 1;
	if (e->malformed || sodium_memcmp(e->mac, mac, MAC_BYTES) != 0)
		return problem(p, k, "edited outside pivault");
	return 0;
}

/* Each kind of row's MAC under key. */
static void user_mac(const struct pass *p, const struct pv_stored_user *u, uint8_t out[MAC_BYTES])
{
	struct enc e;
	enc_begin(&e, p->key, p->v, "row", T_USERS, u->name);
	user_fields(&e, u);
	enc_end(&e, out);
}

static void request_mac(const struct pass *p, const struct pv_stored_request *r,
			uint8_t out[MAC_BYTES])
{
	struct enc e;
	enc_begin(&e, p->key, p->v, "row", T_REQUESTS, r->id);
	request_fields(&e, r);
	enc_end(&e, out);
}

static void setting_mac(const struct pass *p, const char *key, const uint8_t *val, size_t len,
			uint8_t out[MAC_BYTES])
{
	struct enc e;
	enc_begin(&e, p->key, p->v, "row", T_SETTINGS, key);
	enc_bytes(&e, val, len);
	enc_end(&e, out);
}

static int visit_user(void *ctx, const struct pv_stored_user *u)
{
	struct pass *p = ctx;
	uint8_t mac[MAC_BYTES];
	user_mac(p, u, mac);
	return visit(p, u->name, mac);
}

static int visit_request(void *ctx, const struct pv_stored_request *r)
{
	struct pass *p = ctx;
	uint8_t mac[MAC_BYTES];
	request_mac(p, r, mac);
	return visit(p, r->id, mac);
}

static int visit_hold(void *ctx, const struct pv_stored_hold *h)
{
	struct pass *p = ctx;
	char k[24];
	snprintf(k, sizeof k, "%lld", (long long)h->hold);
	struct enc e;
	uint8_t mac[MAC_BYTES];
	enc_begin(&e, p->key, p->v, "row", T_HOLDS, k);
	hold_fields(&e, h);
	enc_end(&e, mac);
	return visit(p, k, mac);
}

static int visit_settings(struct pass *p)
{
	for (size_t i = 0; i < NSETTINGS; i++) {
		uint8_t *val = NULL, mac[MAC_BYTES];
		size_t len = 0;
		int got = pv_store_meta_get(p->v->store, protected_settings[i], &val, &len);
		if (got < 0)
			return -1;
		int rc = 0;
		if (got == 0) {
			setting_mac(p, protected_settings[i], val, len, mac);
			rc = visit(p, protected_settings[i], mac);
		}
		free(val);
		if (rc)
			return rc;
	}
	return 0;
}

/* Hand every row of the table to visit. */
static int walk_rows(struct pass *p)
{
	struct pv_store *s = p->v->store;
	switch (p->t) {
	case T_USERS:
		return pv_store_user_scan(s, visit_user, p) ? -1 : 0;
	case T_REQUESTS:
		return pv_store_request_scan(s, visit_request, p) ? -1 : 0;
	case T_HOLDS:
		return pv_store_hold_rows(s, visit_hold, p) ? -1 : 0;
	default:
		return visit_settings(p);
	}
}

/* The seal over every table's stored seal (an absent one counts as empty). */
static int all_seals_of(const struct pass *p, uint8_t out[MAC_BYTES])
{
	struct enc e;
	crypto_generichash_init(&e.st, p->key, PV_KEY_BYTES, MAC_BYTES);
	enc_str(&e, "pivault authz v1");
	enc_str(&e, "all seals");
	enc_bytes(&e, p->v->vault_id, sizeof p->v->vault_id);
	for (int t = 0; t < NTABLES; t++) {
		uint8_t seal[MAC_BYTES];
		size_t len = 0;
		int st = pv_store_authz_get(p->v->store, SEALS, table_name[t], seal, sizeof seal,
					    &len);
		if (st < 0)
			return -1;
		enc_str(&e, table_name[t]);
		enc_bytes(&e, seal, st == 0 && len == MAC_BYTES ? MAC_BYTES : 0);
	}
	enc_end(&e, out);
	return 0;
}

static int check_all_seals(struct pass *p)
{
	uint8_t want[MAC_BYTES], got[MAC_BYTES];
	size_t len = 0;
	if (all_seals_of(p, want) != 0)
		return -1;
	int st = pv_store_authz_get(p->v->store, SEALS, ALL_SEALS, got, sizeof got, &len);
	if (st < 0)
		return -1;
	if (st > 0 || len != MAC_BYTES || sodium_memcmp(want, got, MAC_BYTES) != 0) {
		snprintf(p->problem, sizeof p->problem, "the %s table fails its integrity check: "
			 "it, or another authorisation table, was put back from an older copy "
			 "outside pivault", table_name[p->t]);
		return 1;
	}
	memcpy(p->all_stored, got, MAC_BYTES);
	return 0;
}

/* Check the table's seal over its row MACs as they are now: 0, 1 with p->problem said, or
 * -1 (store failure). */
static int check_seal(struct pass *p)
{
	uint8_t want[MAC_BYTES], got[MAC_BYTES];
	size_t len = 0;
	if (load_entries(p) != 0)
		return -1;
	int st = pv_store_authz_get(p->v->store, SEALS, table_name[p->t], got, sizeof got, &len);
	if (st < 0)
		return -1;
	seal_of(p, want);
	if (st > 0 || len != MAC_BYTES || sodium_memcmp(want, got, MAC_BYTES) != 0) {
		snprintf(p->problem, sizeof p->problem, "the %s table fails its integrity check: "
			 "rows were removed, or put back from an older copy, outside pivault",
			 table_name[p->t]);
		return 1;
	}
	memcpy(p->seal_stored, got, MAC_BYTES);
	return check_all_seals(p);
}

/* ---- What this handle last verified (point reads between changes) ----
 * A table's seal is a MAC over its entries, and the seal of all seals a MAC over the
 * tables' seals: once checked, "seal S covers entries E" and "A covers S" stay true. So
 * while the stored seal and seal of all seals are byte for byte the ones verified, a row's
 * kept MAC is current exactly when it is the one E holds for the row (or the row is absent
 * from E when it has none): one read of each seal instead of every entry of the table. A
 * changed seal (a write here or elsewhere, or a forgery) sends the read to the whole check,
 * which remembers anew. */
struct pv_authz_seen {
	struct remembered {
		int valid;
		uint8_t seal[MAC_BYTES], all[MAC_BYTES];
		struct entry *e; /* in key order */
		size_t n;
	} table[NTABLES];
};

static void forget_table(struct remembered *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->e[i].k);
	free(r->e);
	memset(r, 0, sizeof *r);
}

void pv_authz_forget(pv_vault *v)
{
	if (!v->authz_seen)
		return;
	for (int t = 0; t < NTABLES; t++)
		forget_table(&v->authz_seen->table[t]);
	free(v->authz_seen);
	v->authz_seen = NULL;
}

/* Keep what check_seal just verified (the pass's entries move to the handle). */
static void remember(struct pass *p)
{
	if (!p->v->authz_seen && !(p->v->authz_seen = calloc(1, sizeof *p->v->authz_seen)))
		return; /* nothing kept: the next read checks whole again */
	struct remembered *r = &p->v->authz_seen->table[p->t];
	forget_table(r);
	r->e = p->e;
	r->n = p->n;
	memcpy(r->seal, p->seal_stored, MAC_BYTES);
	memcpy(r->all, p->all_stored, MAC_BYTES);
	r->valid = 1;
	p->e = NULL;
	p->n = p->cap = 0;
}

/* 1 when the table's stored seal and the seal of all seals are the ones remembered, 0 when
 * not, -1 on a store failure. */
static int seals_as_remembered(const struct pass *p, const struct remembered *r)
{
	uint8_t seal[MAC_BYTES], all[MAC_BYTES];
	size_t seal_len = 0, all_len = 0;
	int st = pv_store_authz_get(p->v->store, SEALS, table_name[p->t], seal, sizeof seal,
				    &seal_len);
	int st_all = st < 0 ? st : pv_store_authz_get(p->v->store, SEALS, ALL_SEALS, all,
						      sizeof all, &all_len);
	if (st < 0 || st_all < 0)
		return -1;
	return st == 0 && st_all == 0 && seal_len == MAC_BYTES && all_len == MAC_BYTES &&
	       sodium_memcmp(seal, r->seal, MAC_BYTES) == 0 &&
	       sodium_memcmp(all, r->all, MAC_BYTES) == 0;
}

/* 1 when row k's kept MAC (NULL: it has none) is the one the remembered entries hold. */
static int entry_as_remembered(const struct remembered *r, const char *k, const uint8_t *kept)
{
	size_t lo = 0, hi = r->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(r->e[mid].k, k);
		if (c == 0)
			return kept && !r->e[mid].malformed &&
			       sodium_memcmp(r->e[mid].mac, kept, MAC_BYTES) == 0;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return !kept;
}

/* check_seal for a read of row k (kept: its kept MAC, NULL when it has none), answered from
 * what was remembered while the seals stand. */
static int check_seal_for_row(struct pass *p, const char *k, const uint8_t *kept)
{
	const struct remembered *r = p->v->authz_seen ? &p->v->authz_seen->table[p->t] : NULL;
	if (r && r->valid) {
		int same = seals_as_remembered(p, r);
		if (same < 0)
			return -1;
		if (same && entry_as_remembered(r, k, kept))
			return 0;
	}
	int st = check_seal(p);
	if (st == 0)
		remember(p);
	return st;
}

/* Check table t whole: every row against its MAC, no MAC without its row, the seal. */
static int check_table(struct pass *p)
{
	p->problem[0] = '\0';
	p->rewrite = 0;
	if (load_entries(p) != 0 || walk_rows(p) != 0)
		return -1;
	for (size_t i = 0; i < p->n && !p->problem[0]; i++)
		if (!p->e[i].seen)
			problem(p, p->e[i].k, "removed outside pivault");
	return p->problem[0] ? 1 : check_seal(p);
}

/* The seal of the table's row MACs as they are now, written. */
static int write_seal(struct pass *p)
{
	uint8_t seal[MAC_BYTES];
	if (load_entries(p) != 0)
		return -1;
	seal_of(p, seal);
	if (pv_store_authz_put(p->v->store, SEALS, table_name[p->t], seal, sizeof seal) != 0 ||
	    all_seals_of(p, seal) != 0)
		return -1;
	return pv_store_authz_put(p->v->store, SEALS, ALL_SEALS, seal, sizeof seal);
}

/* Write every row's MAC and the table's seal under key (inside a transaction, after the
 * table was checked in it, or at creation). */
static int rewrite_table(struct pass *p)
{
	p->rewrite = 1;
	int rc = walk_rows(p);
	p->rewrite = 0;
	return rc ? -1 : write_seal(p);
}

/* ---- Guarded access: a transaction around each, the table checked first ----
 * A read of one row checks the table's seal and that row's MAC; a read of several rows
 * (a scan, the holds of a customer) checks the whole table, once per transaction. A write
 * of one row checks the seal, then writes the row's MAC and the seal again; a write that
 * changes rows it does not name (holds) checks the whole table, then writes all MACs. */

enum check { SEAL_ONLY, WHOLE_TABLE };

struct guard {
	pv_vault *v;
	int outer;        /* inside the caller's transaction */
	int seal_pending; /* a read of one row: the seal is checked after the row, so that a
			   * bad row is the one named */
	struct pass p;
};

static int tampered(struct guard *g, const char *what)
{
	pv_vault *v = g->v;
	v->authz_tampered = 1;
	pv_store_note_failure(v->store, "%s", what);
	pv_fail(v, PV_ERR_CORRUPT, "%s", what);
	return -1;
}

/* Open the guard's transaction (write: a writer's) and check table t in it. */
static int guard_begin(struct guard *g, pv_vault *v, enum table t, int write, enum check how)
{
	memset(g, 0, sizeof *g);
	g->v = v;
	g->p.v = v;
	g->p.t = t;
	if (!v->has_keys)
		return pv_store_note_failure(v->store, "the %s table cannot be read before the "
					     "vault's keys are at hand", table_name[t]);
	g->p.key = v->keys->authz_mac;
	g->outer = pv_store_txn_id(v->store) != 0;
	if ((write ? pv_store_begin(v->store) : pv_store_read_begin(v->store)) != 0)
		return -1;
	uint64_t txn = pv_store_txn_id(v->store);
	if (v->authz_checked[t] == txn)
		return 0; /* checked whole in this transaction, and kept so since */
	if (how == SEAL_ONLY && !write) {
		g->seal_pending = 1;
		return 0;
	}
	int st = how == WHOLE_TABLE ? check_table(&g->p) : check_seal(&g->p);
	if (st == 0 && how == WHOLE_TABLE)
		v->authz_checked[t] = txn;
	if (st > 0)
		tampered(g, g->p.problem);
	if (st != 0)
		(void)pv_store_rollback(v->store);
	return st ? -1 : 0;
}

/* Close the guard's transaction (if began) with the operation's result st, returned. A
 * failed check found outside any caller's transaction is audited here. */
static int guard_end(struct guard *g, int st, int began)
{
	pv_vault *v = g->v;
	pass_free(&g->p);
	if (began && st >= 0 && pv_store_commit(v->store) != 0)
		st = -1;
	if (began && st < 0)
		(void)pv_store_rollback(v->store);
	if (st < 0 && v->authz_tampered && !g->outer) {
		char msg[sizeof v->errmsg];
		snprintf(msg, sizeof msg, "%s", pv_store_errmsg(v->store));
		struct pv_audit_event e = { "integrity check", NULL, NULL, NULL, "tampered", msg };
		(void)pv_audit_append(v, &e); /* the refusal stands whether or not it is written */
		v->authz_tampered = 0;
		pv_store_note_failure(v->store, "%s", msg);
		pv_fail(v, PV_ERR_CORRUPT, "%s", msg);
	}
	return st;
}

/* One row as read (got: the store's answer, mac: its MAC when got is 0) against the MAC
 * kept for key k. */
static int point_check(struct guard *g, int got, const char *k, const uint8_t *mac)
{
	if (got < 0)
		return got;
	uint8_t kept[MAC_BYTES];
	size_t len = 0;
	int st = pv_store_authz_get(g->v->store, table_name[g->p.t], k, kept, sizeof kept, &len);
	if (st < 0)
		return -1;
	char what[400];
	const char *why = got > 0 ? (st == 0 ? "removed outside pivault" : NULL)
		: st > 0 ? "added outside pivault (it has no integrity code)"
		: len != MAC_BYTES || sodium_memcmp(kept, mac, MAC_BYTES) != 0
			? "edited outside pivault" : NULL;
	if (!why && g->seal_pending) {
		if ((st = check_seal_for_row(&g->p, k, st == 0 ? kept : NULL)) < 0)
			return -1;
		if (st > 0)
			return tampered(g, g->p.problem);
	}
	if (!why)
		return got;
	snprintf(what, sizeof what, "%s row '%s' fails its integrity check: %s",
		 table_name[g->p.t], k, why);
	return tampered(g, what);
}

/* After a write of the row k (mac: its new MAC) in the guard's transaction. */
static int point_written(struct guard *g, int st, const char *k, const uint8_t *mac)
{
	if (st == 0 && (pv_store_authz_put(g->v->store, table_name[g->p.t], k, mac,
					   MAC_BYTES) != 0 || write_seal(&g->p) != 0))
		st = -1;
	return guard_end(g, st, 1);
}

/* After a write of rows not named (holds), the table checked whole before it. */
static int table_written(struct guard *g, int st)
{
	if (st == 0 && rewrite_table(&g->p) != 0)
		st = -1;
	return guard_end(g, st, 1);
}

/* ---- Users ---- */

int pv_authz_user_get(pv_vault *v, const char *name, struct pv_stored_user *u)
{
	struct guard g;
	if (guard_begin(&g, v, T_USERS, 0, SEAL_ONLY) != 0)
		return guard_end(&g, -1, 0);
	int got = pv_store_user_get(v->store, name, u);
	uint8_t mac[MAC_BYTES];
	if (got == 0)
		user_mac(&g.p, u, mac);
	return guard_end(&g, point_check(&g, got, name, mac), 1);
}

int pv_authz_user_put(pv_vault *v, const struct pv_stored_user *u)
{
	struct guard g;
	if (guard_begin(&g, v, T_USERS, 1, SEAL_ONLY) != 0)
		return guard_end(&g, -1, 0);
	uint8_t mac[MAC_BYTES];
	user_mac(&g.p, u, mac);
	return point_written(&g, pv_store_user_put(v->store, u), u->name, mac);
}

int pv_authz_user_scan(pv_vault *v, pv_store_user_fn fn, void *ctx)
{
	struct guard g;
	if (guard_begin(&g, v, T_USERS, 0, WHOLE_TABLE) != 0)
		return guard_end(&g, -1, 0);
	return guard_end(&g, pv_store_user_scan(v->store, fn, ctx), 1);
}

/* ---- Requests ---- */

int pv_authz_request_get(pv_vault *v, const char *id, struct pv_stored_request *r)
{
	struct guard g;
	if (guard_begin(&g, v, T_REQUESTS, 0, SEAL_ONLY) != 0)
		return guard_end(&g, -1, 0);
	int got = pv_store_request_get(v->store, id, r);
	uint8_t mac[MAC_BYTES];
	if (got == 0)
		request_mac(&g.p, r, mac);
	return guard_end(&g, point_check(&g, got, id, mac), 1);
}

int pv_authz_request_put(pv_vault *v, const struct pv_stored_request *r)
{
	struct guard g;
	if (guard_begin(&g, v, T_REQUESTS, 1, SEAL_ONLY) != 0)
		return guard_end(&g, -1, 0);
	uint8_t mac[MAC_BYTES];
	request_mac(&g.p, r, mac);
	return point_written(&g, pv_store_request_put(v->store, r), r->id, mac);
}

int pv_authz_request_scan(pv_vault *v, pv_store_request_fn fn, void *ctx)
{
	struct guard g;
	if (guard_begin(&g, v, T_REQUESTS, 0, WHOLE_TABLE) != 0)
		return guard_end(&g, -1, 0);
	return guard_end(&g, pv_store_request_scan(v->store, fn, ctx), 1);
}

/* ---- Holds: a customer's holds are found by a query, so the table is checked whole ---- */

int pv_authz_hold_add(pv_vault *v, const char *customer, const char *reason, const char *by,
		      const char *since)
{
	struct guard g;
	if (guard_begin(&g, v, T_HOLDS, 1, WHOLE_TABLE) != 0)
		return guard_end(&g, -1, 0);
	return table_written(&g, pv_store_hold_add(v->store, customer, reason, by, since));
}

int pv_authz_hold_release(pv_vault *v, const char *customer, const char *when, const char *by,
			  int *released)
{
	struct guard g;
	if (guard_begin(&g, v, T_HOLDS, 1, WHOLE_TABLE) != 0)
		return guard_end(&g, -1, 0);
	return table_written(&g, pv_store_hold_release(v->store, customer, when, by, released));
}

int pv_authz_hold_active(pv_vault *v, const char *customer, char *reason, size_t rlen,
			 char *since, size_t slen)
{
	struct guard g;
	if (guard_begin(&g, v, T_HOLDS, 0, WHOLE_TABLE) != 0)
		return guard_end(&g, -1, 0);
	/* 1 (held) is an answer here, not "absent" */
	return guard_end(&g, pv_store_hold_active(v->store, customer, reason, rlen, since, slen), 1);
}

int pv_authz_hold_scan(pv_vault *v, pv_store_hold_fn fn, void *ctx)
{
	struct guard g;
	if (guard_begin(&g, v, T_HOLDS, 0, WHOLE_TABLE) != 0)
		return guard_end(&g, -1, 0);
	return guard_end(&g, pv_store_hold_scan(v->store, fn, ctx), 1);
}

/* ---- Settings ---- */

static int setting_known(pv_vault *v, const char *key)
{
	for (size_t i = 0; i < NSETTINGS; i++)
		if (strcmp(protected_settings[i], key) == 0)
			return 1;
	pv_store_note_failure(v->store, "setting '%s' is not among those kept with an integrity "
			      "code", key);
	return 0;
}

int pv_authz_meta_get(pv_vault *v, const char *key, uint8_t **val, size_t *len)
{
	if (!setting_known(v, key))
		return -1;
	struct guard g;
	if (guard_begin(&g, v, T_SETTINGS, 0, SEAL_ONLY) != 0)
		return guard_end(&g, -1, 0);
	uint8_t *got_val = NULL, mac[MAC_BYTES];
	size_t got_len = 0;
	int got = pv_store_meta_get(v->store, key, &got_val, &got_len);
	if (got == 0)
		setting_mac(&g.p, key, got_val, got_len, mac);
	got = guard_end(&g, point_check(&g, got, key, mac), 1);
	if (got == 0) {
		*val = got_val;
		if (len)
			*len = got_len;
	} else {
		free(got_val);
	}
	return got;
}

int pv_authz_meta_put(pv_vault *v, const char *key, const void *val, size_t len)
{
	if (!setting_known(v, key))
		return -1;
	struct guard g;
	if (guard_begin(&g, v, T_SETTINGS, 1, SEAL_ONLY) != 0)
		return guard_end(&g, -1, 0);
	uint8_t mac[MAC_BYTES];
	setting_mac(&g.p, key, val, len, mac);
	return point_written(&g, pv_store_meta_put(v->store, key, val, len), key, mac);
}

int pv_authz_meta_fingerprint(pv_vault *v, const char *key, uint8_t out[32])
{
	if (!setting_known(v, key))
		return -1;
	uint8_t *val = NULL, mac[MAC_BYTES];
	size_t len = 0, mac_len = 0;
	int got = pv_store_meta_get(v->store, key, &val, &len);
	int has = got < 0 ? -1 : pv_store_authz_get(v->store, table_name[T_SETTINGS], key, mac,
						    sizeof mac, &mac_len);
	if (got >= 0 && has >= 0) {
		struct enc e;
		crypto_generichash_init(&e.st, NULL, 0, 32);
		enc_int(&e, got);
		enc_bytes(&e, val, got == 0 ? len : 0);
		enc_int(&e, has);
		enc_bytes(&e, mac, has == 0 && mac_len <= MAC_BYTES ? mac_len : 0);
		crypto_generichash_final(&e.st, out, 32);
	}
	free(val);
	return got < 0 || has < 0 ? -1 : 0;
}

/* ---- Whole vault ---- */

pv_rc pv_authz_seal_new_vault(pv_vault *v)
{
	struct pass p = { .v = v, .key = v->keys->authz_mac };
	int st = 0;
	for (int t = 0; t < NTABLES && st == 0; t++) {
		p.t = (enum table)t;
		st = rewrite_table(&p);
	}
	pass_free(&p);
	return st ? pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store)) : PV_OK;
}

pv_rc pv_authz_check_all(pv_vault *v)
{
	for (int t = 0; t < NTABLES; t++) {
		struct guard g;
		int st = guard_begin(&g, v, (enum table)t, 0, WHOLE_TABLE);
		if (guard_end(&g, st, st == 0) != 0)
			return pv_fail(v, PV_ERR_CORRUPT, "%s", pv_store_errmsg(v->store));
	}
	return pv_ok(v);
}

pv_rc pv_authz_rekey(pv_vault *v, const uint8_t *old_key, const uint8_t *new_key)
{
	struct pass p = { .v = v };
	int st = 0;
	p.key = old_key; /* every table checked before any is written again */
	for (int t = 0; t < NTABLES && st == 0; t++) {
		p.t = (enum table)t;
		st = check_table(&p);
	}
	p.key = new_key;
	for (int t = 0; t < NTABLES && st == 0; t++) {
		p.t = (enum table)t;
		st = rewrite_table(&p);
	}
	pass_free(&p);
	if (st > 0) {
		v->authz_tampered = 1;
		return pv_fail(v, PV_ERR_CORRUPT, "%s", p.problem);
	}
	if (st < 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	memcpy(v->keys->authz_mac, new_key, PV_KEY_BYTES);
	memset(v->authz_checked, 0, sizeof v->authz_checked);
	pv_authz_forget(v);
	return PV_OK;
}
