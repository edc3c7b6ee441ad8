/* SPDX-License-Identifier: Apache-2.0 */
/* test_keyring_journal.c: a shred's new bucket keys reach every node through the store's
 * keyring journal, and nothing in the store can undo a shred.
 *
 * Two "nodes" over one store: the vault directory opened with its own keyring (node 1)
 * and with a copy of that keyring made before the shred (node 2, its own node file beside
 * the copy). A shred on node 1 leaves node 2 lagging (certificate incomplete, doctor
 * names it) until node 2 opens and applies the entries; it then reads the bucket mates
 * and not the shredded customer. The journal's sealed keys open with neither the root
 * key's keyring key nor the current keyrings; a copy of the database from before the
 * shred, put back, does not yield the shredded customer (SQLite only: the copy is of its
 * files). A forged entry, two shreds of one bucket applied in order by a lagging node, and
 * a gap (a keyring put back from before an entry it had applied) are tested too. Runs on
 * SQLite, and on PostgreSQL as pg:test_keyring_journal (PIVAULT_STORE set). */
#include "testutil.h"
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pivault.h"
#include "keyring_sync.h"
#include "record.h"
#include "vault.h"

#define SCHEMA PV_SOURCE_DIR "/examples/schema.yaml"
#define NCUST 60
#define SLOTS 16

static const char ADMIN_PW[] = "admin-password-1";
static const pv_access ADMIN = { "admin", NULL, 0 };
static const pv_access READ_ALL = { "admin", "all", 1 };

struct fx {
	char *tmp, *dir, *key_path;
	char *kr1, *kr2, *kr2_old; /* node 1's keyring, node 2's, node 2's put-back copy */
	struct pvt_csv csv;
	char victim[64], mate[64], other[64]; /* a bucket's customer, its mate, another's */
	char victim2[64];                      /* a second customer of the victim's bucket */
};

static int on_postgresql(void)
{
	const char *s = getenv("PIVAULT_STORE");
	return s && *s;
}

/* Pick the victim (a customer with at least two bucket mates), its mates and a customer
 * of another bucket. */
static void pick_customers(struct fx *f, pv_vault *v)
{
	for (size_t a = 1; a < f->csv.nrows && !f->victim[0]; a++) {
		const char *id = pvt_csv_get(&f->csv, a, "customer_id");
		const char *m[2] = { NULL, NULL };
		size_t nm = 0;
		for (size_t b = 1; b < f->csv.nrows && nm < 2; b++) {
			const char *o = pvt_csv_get(&f->csv, b, "customer_id");
			if (b != a && pv_bucket_of(v, o) == pv_bucket_of(v, id))
				m[nm++] = o;
		}
		if (nm < 2)
			continue;
		snprintf(f->victim, sizeof f->victim, "%s", id);
		snprintf(f->victim2, sizeof f->victim2, "%s", m[0]);
		snprintf(f->mate, sizeof f->mate, "%s", m[1]);
	}
	assert_true(f->victim[0]);
	for (size_t a = 1; a < f->csv.nrows && !f->other[0]; a++) {
		const char *id = pvt_csv_get(&f->csv, a, "customer_id");
		if (pv_bucket_of(v, id) != pv_bucket_of(v, f->victim))
			snprintf(f->other, sizeof f->other, "%s", id);
	}
	assert_true(f->other[0]);
}

/* A new vault of NCUST customers (keyring of SLOTS slots); with_node2: node 2's keyring a
 * copy of node 1's, and node 2 registered (opened once). */
static int fx_make(void **state, int with_node2)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->tmp = pvt_tempdir();
	f->dir = pvt_path(f->tmp, "vault");
	f->key_path = pvt_path(f->tmp, "root.key");
	f->kr1 = pvt_path(f->tmp, "vault.keyring");
	f->kr2 = pvt_path(f->tmp, "node2.keyring");
	f->kr2_old = pvt_path(f->tmp, "node2-old.keyring");
	char *csv_path = pvt_path(f->tmp, "in.csv"), *text = NULL;
	assert_int_equal(pvt_run(&text, "'%s' -n %d --seed 5 --canonical", pvt_program("pvgen"),
				 NCUST), 0);
	assert_int_equal(pvt_write_file(csv_path, text, strlen(text)), 0);
	assert_int_equal(pvt_csv_parse(text, &f->csv), 0);
	free(text);
	assert_int_equal(pv_key_generate_file(f->key_path), PV_OK);
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(f->key_path, &key), PV_OK);
	pv_create_opts o = { .schema_path = SCHEMA, .keyring_slots = SLOTS, .kdf_cost = PV_KDF_FAST,
			     .admin_user = "admin", .admin_password = ADMIN_PW,
			     .admin_password_len = strlen(ADMIN_PW) };
	pv_vault *v = NULL;
	if (pv_vault_create(f->dir, &o, key, &v) != PV_OK)
		fail_msg("pv_vault_create: %s", pv_errmsg(v));
	pv_key_free(key);
	pv_import_opts io = { .threads = 1 };
	pv_import_result *res = NULL;
	if (pv_import_csv(v, &ADMIN, csv_path, &io, &res) != PV_OK)
		fail_msg("pv_import_csv: %s", pv_errmsg(v));
	pv_import_free(res);
	pick_customers(f, v);
	pv_vault_close(v);
	free(csv_path);
	if (with_node2) {
		assert_int_equal(pvt_run(NULL, "cp '%s' '%s'", f->kr1, f->kr2), 0);
		pvt_vclose(pvt_open_root(f->dir, f->kr2, f->key_path));
	}
	*state = f;
	return 0;
}

static int fx_setup(void **state)
{
	return fx_make(state, 1);
}

static int fx_setup_single(void **state)
{
	return fx_make(state, 0);
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	pvt_release_all();
	pvt_rmtree(f->tmp);
	pvt_csv_free(&f->csv);
	free(f->tmp);
	free(f->dir);
	free(f->key_path);
	free(f->kr1);
	free(f->kr2);
	free(f->kr2_old);
	free(f);
	return 0;
}

static pv_rc get_rc(pv_vault *v, const char *id)
{
	pv_record *r = NULL;
	pv_rc rc = pv_get(v, &READ_ALL, id, &r);
	pv_record_free(r);
	return rc;
}

/* Shred id on v; the certificate (malloc'd). */
static char *shred(pv_vault *v, const char *id)
{
	const char *ids[1] = { id };
	char *cert = NULL;
	if (pv_shred(v, &ADMIN, ids, 1, &cert) != PV_OK)
		fail_msg("pv_shred: %s", pv_errmsg(v));
	assert_non_null(cert);
	return cert;
}

/* The node id in a keyring's node file (its first line). */
static void node_id_of(const char *keyring, char id[33])
{
	char path[4096];
	snprintf(path, sizeof path, "%s.node", keyring);
	size_t len = 0;
	char *text = pvt_read_file(path, &len);
	assert_non_null(text);
	assert_true(len > 33 && text[32] == '\n');
	memcpy(id, text, 32);
	id[32] = '\0';
	free(text);
}

struct lag_look {
	const char *node_id;
	int named;
};

static int finding_names_node(void *ctx, const pv_finding *x)
{
	struct lag_look *l = ctx;
	if (strcmp(x->check, "keyring-nodes") == 0 && strstr(x->what, l->node_id) &&
	    strstr(x->what, "lags the keyring journal by 1 entry"))
		l->named++;
	return 0;
}

/* 1 when doctor on v says node_id lags by one entry, else 0. */
static int doctor_names_lagging(pv_vault *v, const char *node_id)
{
	struct lag_look l = { node_id, 0 };
	assert_int_equal(pv_doctor(v, &ADMIN, NULL, finding_names_node, &l, NULL), PV_OK);
	return l.named;
}

/* The certificate's keyring_nodes part: its number of nodes and whether it is complete. */
static void cert_nodes(const char *cert, size_t *n, int *complete)
{
	json_t *doc = json_loads(cert, 0, NULL);
	json_t *part = json_object_get(json_object_get(doc, "certificate"), "keyring_nodes");
	assert_non_null(part);
	*n = json_array_size(json_object_get(part, "nodes"));
	*complete = json_is_true(json_object_get(part, "complete"));
	json_decref(doc);
}

/* A single node (the SQLite vault as before): the certificate is complete at once and
 * doctor names no lagging node. */
static void test_single_node_complete(void **state)
{
	struct fx *f = *state;
	char id1[33];
	node_id_of(f->kr1, id1);
	pv_vault *v1 = pvt_open_root(f->dir, NULL, f->key_path);
	char *cert = shred(v1, f->victim);
	size_t n;
	int complete;
	cert_nodes(cert, &n, &complete);
	assert_int_equal(n, 1);
	assert_true(complete);
	assert_true(strstr(cert, id1) != NULL);
	unsigned nodes = 0, pending = 9;
	assert_int_equal(pv_certificate_nodes_pending(v1, cert, &nodes, &pending), PV_OK);
	assert_int_equal(nodes, 1);
	assert_int_equal(pending, 0);
	assert_int_equal(doctor_names_lagging(v1, id1), 0);
	assert_int_equal(get_rc(v1, f->mate), PV_OK);
	assert_int_equal(get_rc(v1, f->victim), PV_ERR_NOT_FOUND);
	free(cert);
	pvt_vclose(v1);
	/* reopened: nothing to apply, the same answers */
	v1 = pvt_open_root(f->dir, NULL, f->key_path);
	assert_int_equal(get_rc(v1, f->mate), PV_OK);
	pvt_vclose(v1);
}

/* Shred on node 1; node 2 lags (certificate, doctor) until it opens, then reads the bucket
 * mates and not the shredded customer. */
static void test_second_node_applies(void **state)
{
	struct fx *f = *state;
	char id2[33];
	node_id_of(f->kr2, id2);
	pv_vault *v1 = pvt_open_root(f->dir, NULL, f->key_path);
	char *cert = shred(v1, f->victim);
	size_t n;
	int complete;
	cert_nodes(cert, &n, &complete);
	assert_int_equal(n, 2);
	assert_false(complete);
	assert_true(strstr(cert, id2) != NULL);
	unsigned nodes, pending;
	assert_int_equal(pv_certificate_nodes_pending(v1, cert, &nodes, &pending), PV_OK);
	assert_int_equal(pending, 1);
	assert_int_equal(doctor_names_lagging(v1, id2), 1);
	assert_int_equal(get_rc(v1, f->mate), PV_OK);
	assert_int_equal(get_rc(v1, f->victim), PV_ERR_NOT_FOUND);

	pv_vault *v2 = pvt_open_root(f->dir, f->kr2, f->key_path);
	assert_int_equal(get_rc(v2, f->mate), PV_OK);
	assert_int_equal(get_rc(v2, f->victim2), PV_OK);
	assert_int_equal(get_rc(v2, f->other), PV_OK);
	assert_int_equal(get_rc(v2, f->victim), PV_ERR_NOT_FOUND);
	uint32_t g1, g2, b = pv_bucket_of(v1, f->victim);
	assert_non_null(pv_keyring_key(v1->keyring, b, &g1));
	assert_non_null(pv_keyring_key(v2->keyring, b, &g2));
	assert_int_equal(g1, g2);
	assert_memory_equal(pv_keyring_key(v1->keyring, b, NULL),
			    pv_keyring_key(v2->keyring, b, NULL), PV_KEY_BYTES);
	assert_int_equal(pv_certificate_nodes_pending(v1, cert, &nodes, &pending), PV_OK);
	assert_int_equal(nodes, 2);
	assert_int_equal(pending, 0);
	assert_int_equal(doctor_names_lagging(v1, id2), 0);
	free(cert);
	pvt_vclose(v2);
	pvt_vclose(v1);
}

struct opened {
	pv_vault *v;
	const uint8_t *wrong_key;
	size_t entries, opened;
};

/* Try an entry with the slot's CURRENT key of v's keyring and with wrong_key. */
static int try_entry(void *ctx, uint64_t seq, uint32_t slot, uint32_t gen,
		     const uint8_t *sealed, size_t len)
{
	struct opened *o = ctx;
	uint8_t key[PV_KEY_BYTES];
	(void)seq;
	o->entries++;
	const uint8_t *now = pv_keyring_key(o->v->keyring, slot, NULL);
	assert_non_null(now);
	o->opened += pv_kjournal_open(o->v, slot, gen, sealed, len, now, key) == 0;
	o->opened += pv_kjournal_open(o->v, slot, gen, sealed, len, o->wrong_key, key) == 0;
	return 0;
}

/* Once both nodes applied, the journal's sealed keys open with neither the current
 * keyrings nor the root-derived keyring key; a copy of the database from before the shred,
 * put back, does not yield the shredded customer with the current keyrings (SQLite). */
static void test_store_cannot_undo(void **state)
{
	struct fx *f = *state;
	char *before = pvt_path(f->tmp, "vault-before");
	if (!on_postgresql())
		assert_int_equal(pvt_run(NULL, "cp -a '%s' '%s'", f->dir, before), 0);
	pv_vault *v1 = pvt_open_root(f->dir, NULL, f->key_path);
	free(shred(v1, f->victim));
	pv_vault *v2 = pvt_open_root(f->dir, f->kr2, f->key_path);
	struct opened o = { v1, v1->keys->keyring_wrap, 0, 0 };
	assert_int_equal(pv_store_kjournal_scan(v1->store, 0, try_entry, &o), 0);
	o.v = v2;
	assert_int_equal(pv_store_kjournal_scan(v2->store, 0, try_entry, &o), 0);
	assert_int_equal(o.entries, 2);
	assert_int_equal(o.opened, 0);
	pvt_vclose(v2);
	pvt_vclose(v1);
	if (!on_postgresql()) { /* the point-in-time attacker: yesterday's database put back */
		assert_int_equal(pvt_run(NULL, "rm -rf '%s' && cp -a '%s' '%s'", f->dir, before,
					 f->dir), 0);
		const char *rings[2] = { NULL, f->kr2 };
		for (int i = 0; i < 2; i++) {
			pv_vault *v = pvt_open_root(f->dir, rings[i], f->key_path);
			pv_rc rc = get_rc(v, f->victim);
			assert_true(rc == PV_ERR_CORRUPT || rc == PV_ERR_BAD_KEY);
			assert_int_equal(get_rc(v, f->other), PV_OK);
			pvt_vclose(v);
		}
	}
	free(before);
}

/* An entry that does not open with the slot's key is refused, and nothing is applied. */
static void test_forged_entry_refused(void **state)
{
	struct fx *f = *state;
	pv_vault *v1 = pvt_open_root(f->dir, NULL, f->key_path);
	uint32_t gen, b = pv_bucket_of(v1, f->victim);
	assert_non_null(pv_keyring_key(v1->keyring, b, &gen));
	uint8_t forged[PV_KJOURNAL_SEALED_BYTES];
	randombytes_buf(forged, sizeof forged);
	uint64_t seq;
	assert_int_equal(pv_store_kjournal_add(v1->store, b, gen + 1, forged, sizeof forged, "now",
					       "forged", &seq), 0);
	pvt_vclose(v1);
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(f->key_path, &key), PV_OK);
	pv_vault *v2 = NULL;
	assert_int_equal(pv_vault_open(f->dir, f->kr2, key, &v2), PV_ERR_CORRUPT);
	assert_non_null(strstr(pv_errmsg(v2), "fails authentication"));
	pv_vault_close(v2);
	pv_key_free(key);
	/* node 2's slot is as it was */
	char *ring = pvt_read_file(f->kr2, NULL);
	char *orig = pvt_read_file(f->kr1, NULL);
	assert_memory_equal(ring + 64 + 80 * b, orig + 64 + 80 * b, 80);
	free(ring);
	free(orig);
}

/* Two shreds of one bucket in a row: a lagging node applies both, in order. */
static void test_two_shreds_in_order(void **state)
{
	struct fx *f = *state;
	pv_vault *v1 = pvt_open_root(f->dir, NULL, f->key_path);
	free(shred(v1, f->victim));
	free(shred(v1, f->victim2));
	uint32_t g1, b = pv_bucket_of(v1, f->victim);
	assert_non_null(pv_keyring_key(v1->keyring, b, &g1));
	assert_int_equal(g1, 2);
	pv_vault *v2 = pvt_open_root(f->dir, f->kr2, f->key_path);
	uint32_t g2;
	assert_non_null(pv_keyring_key(v2->keyring, b, &g2));
	assert_int_equal(g2, 2);
	assert_int_equal(get_rc(v2, f->mate), PV_OK);
	assert_int_equal(get_rc(v2, f->victim), PV_ERR_NOT_FOUND);
	assert_int_equal(get_rc(v2, f->victim2), PV_ERR_NOT_FOUND);
	pvt_vclose(v2);
	pvt_vclose(v1);
}

/* A keyring put back from before an entry its node had applied meets the next entry with
 * a generation missing between: refused, naming the gap. */
static void test_gap_refused(void **state)
{
	struct fx *f = *state;
	assert_int_equal(pvt_run(NULL, "cp '%s' '%s'", f->kr2, f->kr2_old), 0);
	pv_vault *v1 = pvt_open_root(f->dir, NULL, f->key_path);
	free(shred(v1, f->victim));
	pvt_vclose(pvt_open_root(f->dir, f->kr2, f->key_path)); /* node 2 applies it */
	free(shred(v1, f->victim2));
	pvt_vclose(v1);
	assert_int_equal(pvt_run(NULL, "cp '%s' '%s'", f->kr2_old, f->kr2), 0);
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(f->key_path, &key), PV_OK);
	pv_vault *v2 = NULL;
	assert_int_equal(pv_vault_open(f->dir, f->kr2, key, &v2), PV_ERR_CORRUPT);
	assert_non_null(strstr(pv_errmsg(v2), "entries between are missing"));
	pv_vault_close(v2);
	pv_key_free(key);
}

/* A handle of node 2 open during node 1's shred reads a bucket mate after it: refused,
 * saying the keyring lags; opened again, node 2 reads it. */
static void test_open_handle_told_it_lags(void **state)
{
	struct fx *f = *state;
	pv_vault *v2 = pvt_open_root(f->dir, f->kr2, f->key_path);
	assert_int_equal(get_rc(v2, f->mate), PV_OK);
	pv_vault *v1 = pvt_open_root(f->dir, NULL, f->key_path);
	free(shred(v1, f->victim));
	pvt_vclose(v1);
	assert_int_equal(get_rc(v2, f->mate), PV_ERR_CORRUPT);
	assert_non_null(strstr(pv_errmsg(v2), "keyring lags"));
	assert_int_equal(get_rc(v2, f->other), PV_OK);
	pvt_vclose(v2);
	v2 = pvt_open_root(f->dir, f->kr2, f->key_path);
	assert_int_equal(get_rc(v2, f->mate), PV_OK);
	pvt_vclose(v2);
}

/* Node 2's keyring whose node file cannot be used (damaged, a directory, a link to
 * nowhere) is refused at open, the message naming the file; nothing of node 2 is
 * registered anew, and a shred's certificate then still counts node 2 as it was. */
static void test_unusable_node_file_refused(void **state)
{
	struct fx *f = *state;
	char node[4096], id2[33];
	snprintf(node, sizeof node, "%s.node", f->kr2);
	node_id_of(f->kr2, id2);
	static const char *const spoil[] = {
		"printf 'not a node file\\n' > '%s'",
		"rm -f '%s' && mkdir '%s'",
		"rm -f '%s' && ln -s /nonexistent/pivault-node '%s'",
	};
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(f->key_path, &key), PV_OK);
	for (size_t i = 0; i < sizeof spoil / sizeof *spoil; i++) {
		assert_int_equal(pvt_run(NULL, "rm -rf '%s.keep' && cp -a '%s' '%s.keep'", node, node,
					 node), 0);
		assert_int_equal(pvt_run(NULL, spoil[i], node, node), 0);
		pv_vault *v2 = NULL;
		pv_rc rc = pv_vault_open(f->dir, f->kr2, key, &v2);
		if (rc != PV_ERR_IO || !strstr(pv_errmsg(v2), node) ||
		    !strstr(pv_errmsg(v2), "node file"))
			fail_msg("spoiled node file %zu: rc %d, '%s'", i, rc, pv_errmsg(v2));
		pv_vault_close(v2);
		assert_int_equal(pvt_run(NULL, "rm -rf '%s' && mv '%s.keep' '%s'", node, node, node),
				 0);
	}
	pv_key_free(key);
	/* still two nodes, node 2 among them and lagging after a shred */
	pv_vault *v1 = pvt_open_root(f->dir, NULL, f->key_path);
	char *cert = shred(v1, f->victim);
	size_t n;
	int complete;
	cert_nodes(cert, &n, &complete);
	assert_int_equal(n, 2);
	assert_false(complete);
	assert_non_null(strstr(cert, id2));
	free(cert);
	pvt_vclose(v1);
}

struct node_seen {
	const char *id;
	size_t active, retired;
	uint64_t behind;
	int self, found_retired;
};

static int node_seen(void *ctx, const pv_node_info *n)
{
	struct node_seen *s = ctx;
	if (n->retired_at)
		s->retired++;
	else
		s->active++;
	if (strcmp(n->id, s->id) == 0) {
		s->behind = n->behind;
		s->self = n->self;
		s->found_retired = n->retired_at != NULL;
	}
	return 0;
}

/* What pv_node_list on v says of node id. */
static struct node_seen nodes_seen(pv_vault *v, const char *id)
{
	struct node_seen s = { .id = id };
	assert_ok(v, pv_node_list(v, &ADMIN, node_seen, &s));
	return s;
}

/* A user's retirement of a node runs only under a request another user approved. */
static void retire_needs_four_eyes(pv_vault *root, const char *dir, const char *id2)
{
	static const char PW1[] = "retire-pw-one-1", PW2[] = "retire-pw-two-2";
	assert_ok(root, pvt_user_add(root, &ADMIN, "ops1", "admin", PW1, strlen(PW1)));
	assert_ok(root, pvt_user_add(root, &ADMIN, "ops2", "admin", PW2, strlen(PW2)));
	pv_vault *u1 = pvt_open_user(dir, "ops1", PW1);
	pv_access as_admin = { "admin", NULL, 0 };
	assert_rc_msg(u1, pv_node_retire(u1, &as_admin, id2), PV_ERR_DENIED, "request");
	char *req = NULL;
	assert_ok(u1, pv_request_begin(u1, "machine scrapped", 0, NULL));
	assert_int_equal(pv_node_retire(u1, &as_admin, id2), PV_REQUESTED);
	assert_ok(u1, pv_request_submit(u1, &req));
	pv_vault *u2 = pvt_open_user(dir, "ops2", PW2);
	assert_ok(u2, pv_request_decide(u2, &as_admin, req, PV_APPROVE, NULL));
	pvt_vclose(u2);
	assert_ok(u1, pv_vault_use_request(u1, req));
	assert_ok(u1, pv_node_retire(u1, &as_admin, id2));
	pv_free(req);
	pvt_vclose(u1);
}

/* A node gone for good is retired: the certificate it held back says complete, doctor no
 * longer names it, the list shows it retired, the next certificate names it retired, and
 * its keyring is refused. A wrong id, an unknown one and the node one runs on are
 * refused; a user needs an approved request. */
static void test_retire_stale_node(void **state)
{
	struct fx *f = *state;
	char id1[33], id2[33];
	node_id_of(f->kr1, id1);
	node_id_of(f->kr2, id2);
	pv_vault *v1 = pvt_open_root(f->dir, NULL, f->key_path);
	char *cert = shred(v1, f->victim);
	struct node_seen s = nodes_seen(v1, id2);
	assert_int_equal(s.active, 2);
	assert_int_equal(s.behind, 1);
	assert_false(s.self);
	assert_true(nodes_seen(v1, id1).self);
	assert_rc_msg(v1, pv_node_retire(v1, &ADMIN, "zz"), PV_ERR_USAGE, "not a node id");
	assert_rc_msg(v1, pv_node_retire(v1, &ADMIN, id1), PV_ERR_USAGE, "node you run on");
	assert_rc_msg(v1, pv_node_retire(v1, &ADMIN, "0123456789abcdef0123456789abcdef"),
		      PV_ERR_NOT_FOUND, "no node");
	retire_needs_four_eyes(v1, f->dir, id2);
	unsigned nodes, pending;
	assert_int_equal(pv_certificate_nodes_pending(v1, cert, &nodes, &pending), PV_OK);
	assert_int_equal(nodes, 1);
	assert_int_equal(pending, 0);
	assert_int_equal(doctor_names_lagging(v1, id2), 0);
	s = nodes_seen(v1, id2);
	assert_int_equal(s.active, 1);
	assert_int_equal(s.retired, 1);
	assert_true(s.found_retired);
	assert_rc_msg(v1, pv_node_retire(v1, &ADMIN, id2), PV_ERR_NOT_FOUND, "no node");
	free(cert);
	cert = shred(v1, f->victim2);
	size_t n;
	int complete;
	cert_nodes(cert, &n, &complete);
	assert_int_equal(n, 1);
	assert_true(complete);
	json_t *doc = json_loads(cert, 0, NULL);
	json_t *retired = json_object_get(json_object_get(json_object_get(doc, "certificate"),
							  "keyring_nodes"), "retired_nodes");
	assert_int_equal(json_array_size(retired), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(retired, 0), "node")),
			    id2);
	json_decref(doc);
	free(cert);
	pvt_vclose(v1);
	/* the retired node's keyring, met again, is refused */
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(f->key_path, &key), PV_OK);
	pv_vault *v2 = NULL;
	assert_int_equal(pv_vault_open(f->dir, f->kr2, key, &v2), PV_ERR_DENIED);
	assert_non_null(strstr(pv_errmsg(v2), "was retired"));
	pv_vault_close(v2);
	pv_key_free(key);
}

/* A data rekey on node 1 changes no bucket key: node 2 reads on. A bucket rekey's keys
 * are not journalled (a keyring copy from before it would open the data again), only a
 * marker: node 2 is refused at open, saying to copy node 1's keyring; once copied (node 2
 * keeping its node file), it holds every slot's new key and reads every customer, and a
 * shred after the rekey reaches it through the journal. */
static void test_rekey_on_other_node(void **state)
{
	struct fx *f = *state;
	pv_vault *v1 = pvt_open_root(f->dir, NULL, f->key_path);
	pv_rekey_result res;
	assert_ok(v1, pv_rekey(v1, &ADMIN, PV_REKEY_DATA, &res));
	pv_vault *v2 = pvt_open_root(f->dir, f->kr2, f->key_path);
	for (size_t row = 1; row < f->csv.nrows; row++)
		assert_int_equal(get_rc(v2, pvt_csv_get(&f->csv, row, "customer_id")), PV_OK);
	pvt_vclose(v2);
	assert_ok(v1, pv_rekey(v1, &ADMIN, PV_REKEY_BUCKETS, &res));
	assert_int_equal(res.buckets, SLOTS);
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(f->key_path, &key), PV_OK);
	assert_int_equal(pv_vault_open(f->dir, f->kr2, key, &v2), PV_ERR_BAD_KEY);
	assert_non_null(strstr(pv_errmsg(v2), "lacks the bucket rekey"));
	pv_vault_close(v2);
	pv_key_free(key);
	char id2[33];
	node_id_of(f->kr2, id2);
	assert_true(nodes_seen(v1, id2).behind > 0);
	assert_int_equal(pvt_run(NULL, "cp '%s' '%s'", f->kr1, f->kr2), 0);
	unsigned nodes, pending;
	v2 = pvt_open_root(f->dir, f->kr2, f->key_path);
	assert_int_equal(nodes_seen(v1, id2).behind, 0);
	for (uint32_t s = 0; s < SLOTS; s++) {
		uint32_t g1, g2;
		const uint8_t *k1 = pv_keyring_key(v1->keyring, s, &g1);
		const uint8_t *k2 = pv_keyring_key(v2->keyring, s, &g2);
		assert_non_null(k1);
		assert_non_null(k2);
		assert_int_equal(g1, 1);
		assert_int_equal(g2, 1);
		assert_memory_equal(k1, k2, PV_KEY_BYTES);
	}
	for (size_t row = 1; row < f->csv.nrows; row++)
		assert_int_equal(get_rc(v2, pvt_csv_get(&f->csv, row, "customer_id")), PV_OK);
	pvt_vclose(v2);
	assert_ok(v1, pv_rekey(v1, &ADMIN, PV_REKEY_DATA, &res));
	char *cert = shred(v1, f->victim);
	v2 = pvt_open_root(f->dir, f->kr2, f->key_path);
	for (size_t row = 1; row < f->csv.nrows; row++) {
		const char *id = pvt_csv_get(&f->csv, row, "customer_id");
		assert_int_equal(get_rc(v2, id), strcmp(id, f->victim) ? PV_OK : PV_ERR_NOT_FOUND);
	}
	assert_int_equal(pv_certificate_nodes_pending(v1, cert, &nodes, &pending), PV_OK);
	assert_int_equal(nodes, 2);
	assert_int_equal(pending, 0);
	free(cert);
	pvt_vclose(v2);
	pvt_vclose(v1);
}

int main(void)
{
	unsetenv("PIVAULT_VAULT");
	unsetenv("PIVAULT_KEY_FILE");
	unsetenv("PIVAULT_KEYRING");
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_single_node_complete, fx_setup_single,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_second_node_applies, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_store_cannot_undo, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_forged_entry_refused, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_two_shreds_in_order, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_gap_refused, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_open_handle_told_it_lags, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_unusable_node_file_refused, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_retire_stale_node, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rekey_on_other_node, fx_setup,
						fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
