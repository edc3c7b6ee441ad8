/* SPDX-License-Identifier: Apache-2.0 */
/* make_seeds.c: writes the valid seeds of the fuzz corpus (fuzz/corpus/TARGET/valid-*)
 * with the library's own writers: age files to the fixed identity of fuzz_age.c, tar
 * archives, minisign keys and signatures, and, from a fresh vault with a few customers, a
 * destruction certificate, a receipt signed as a recipient vault signs it, audit
 * checkpoints with an inclusion and a consistency proof, and a backup; and the handover
 * seeds (make_seeds_handover.c). Run by hand (`make_seeds CORPUS_DIR CSV_FILE [handover]`,
 * CSV_FILE from `pvgen -n 3 --canonical`; with "handover", only those seeds); the
 * malformed seeds beside them are written by hand, except the handover ones. */
#include "fuzz.h"
#include "make_seeds.h"

#include "formats/age.h"
#include "crypto.h"
#include "handover.h"
#include "formats/minisign.h"
#include "signed_json.h"
#include "formats/tar.h"

#include <pivault.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *corpus;

/* corpus/target/name from the parts given, joined with NUL bytes. */
static void seed(const char *target, const char *name, size_t n, const void *const *parts,
		 const size_t *lens)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s/valid-%s", corpus, target, name);
	FILE *f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(1);
	}
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(0, f);
		fwrite(parts[i], 1, lens[i], f);
	}
	if (fclose(f) != 0)
		exit(1);
}

static void seed_text(const char *target, const char *name, const char *a, const char *b,
		      const char *c, const char *d)
{
	const void *parts[4] = { a, b, c, d };
	size_t lens[4] = { strlen(a), b ? strlen(b) : 0, c ? strlen(c) : 0, d ? strlen(d) : 0 };
	seed(target, name, d ? 4 : c ? 3 : b ? 2 : 1, parts, lens);
}

struct mem {
	uint8_t *data;
	size_t len;
};

static int mem_write(void *ctx, const void *buf, size_t len)
{
	struct mem *m = ctx;
	m->data = realloc(m->data, m->len + len);
	memcpy(m->data + m->len, buf, len);
	m->len += len;
	return 0;
}

static void age_seeds(void)
{
	uint8_t sk[PV_AGE_KEY], pk[1][PV_AGE_KEY], other_sk[PV_AGE_KEY], other[PV_AGE_KEY];
	memset(sk, 0x42, sizeof sk);
	pv_age_public_key(sk, pk[0]);
	static uint8_t plain[PV_AGE_CHUNK + 100];
	memset(plain, 'p', sizeof plain);
	const size_t sizes[] = { 0, 5, PV_AGE_CHUNK, PV_AGE_CHUNK + 100 };
	for (size_t i = 0; i < 4; i++) {
		struct mem m = { 0 };
		pv_age_writer *w = pv_age_writer_new((const uint8_t(*)[PV_AGE_KEY])pk, 1,
						     mem_write, &m);
		if (!w || pv_age_write(w, plain, sizes[i]) || pv_age_writer_finish(w))
			exit(1);
		char name[32];
		snprintf(name, sizeof name, "file-%zu", sizes[i]);
		const void *parts[1] = { m.data };
		seed("age", name, 1, parts, &m.len);
		free(m.data);
	}
	/* Two recipients, the fixed identity second. */
	uint8_t two[2][PV_AGE_KEY];
	pv_age_keygen(other_sk, other);
	memcpy(two[0], other, PV_AGE_KEY);
	memcpy(two[1], pk[0], PV_AGE_KEY);
	struct mem m = { 0 };
	pv_age_writer *w = pv_age_writer_new((const uint8_t(*)[PV_AGE_KEY])two, 2, mem_write, &m);
	if (!w || pv_age_write(w, "two", 3) || pv_age_writer_finish(w))
		exit(1);
	const void *parts[1] = { m.data };
	seed("age", "two-recipients", 1, parts, &m.len);
	free(m.data);
	char *r = pv_age_format_recipient(pk[0]), *id = pv_age_format_identity(sk);
	seed_text("age", "recipient", r, NULL, NULL, NULL);
	seed_text("age", "identity", id, NULL, NULL, NULL);
	free(r);
	free(id);
}

static void tar_seeds(void)
{
	struct mem m = { 0 };
	struct pv_tar_writer w = { .out = mem_write, .ctx = &m, .mtime = 1700000000 };
	static char data[1500];
	memset(data, 'd', sizeof data);
	if (pv_tar_write_file(&w, "manifest.json", "{}", 2) ||
	    pv_tar_write_file(&w, "records/part-0001.jsonl", data, sizeof data) ||
	    pv_tar_write_file(&w, "empty", "", 0) || pv_tar_finish(&w))
		exit(1);
	const void *parts[1] = { m.data };
	seed("tar", "three-members", 1, parts, &m.len);
	free(m.data);
	m = (struct mem){ 0 };
	struct pv_tar_writer w2 = { .out = mem_write, .ctx = &m };
	char longname[200];
	memset(longname, 'n', sizeof longname);
	memcpy(longname + 100, "/", 1);
	longname[199] = '\0';
	if (pv_tar_write_file(&w2, longname, "x", 1) || pv_tar_finish(&w2))
		exit(1);
	parts[0] = m.data;
	seed("tar", "prefix-name", 1, parts, &m.len);
	free(m.data);
}

static void minisign_seeds(void)
{
	uint8_t kseed[32], pk[PV_SIGN_PUBLIC], sk[PV_SIGN_SECRET];
	memset(kseed, 7, sizeof kseed);
	pv_sign_keypair(kseed, pk, sk);
	char *key = pv_minisign_public_key_text(pk, NULL);
	const char *msg = "the signed message\n";
	char *sig = pv_minisign_sign(sk, msg, strlen(msg), "timestamp:1700000000\tfile:m", NULL);
	seed_text("minisign", "key-and-signature", key, sig, msg, NULL);
	char *sig2 = pv_minisign_sign(sk, "", 0, NULL, "another comment");
	seed_text("minisign", "empty-message", key, sig2, "", NULL);
	free(key);
	free(sig);
	free(sig2);
}

static void must(pv_rc rc, pv_vault *v, const char *what)
{
	if (rc != PV_OK) {
		fprintf(stderr, "%s: %s\n", what, pv_errmsg(v));
		exit(1);
	}
}

static void vault_seeds(const char *csv_path)
{
	char dir[160], key_path[160];
	snprintf(dir, sizeof dir, "%s/vault", fuzz_tempdir());
	snprintf(key_path, sizeof key_path, "%s/root.key", fuzz_tempdir());
	pv_key *key = NULL;
	if (pv_key_generate_file(key_path) || pv_key_from_file(key_path, &key))
		exit(1);
	pv_create_opts co = { .schema_path = FUZZ_SCHEMA, .keyring_slots = 16,
			      .kdf_cost = PV_KDF_FAST };
	pv_vault *v = NULL;
	must(pv_vault_create(dir, &co, key, &v), v, "create");
	pv_key_free(key);
	pv_access admin = { "admin", NULL, 0 };
	pv_import_opts io = { .threads = 1 };
	pv_import_result *res = NULL;
	must(pv_import_csv(v, &admin, csv_path, &io, &res), v, "import");
	pv_import_free(res);
	char pk[65];
	must(pv_vault_public_key(v, pk), v, "pubkey");

	char *cp1 = NULL, *cp2 = NULL, *incl = NULL, *cons = NULL, *cert = NULL;
	must(pv_audit_checkpoint(v, NULL, &cp1), v, "checkpoint");
	char *first_id = NULL;
	{
		FILE *f = fopen(csv_path, "r");
		char line[4096];
		if (!f || !fgets(line, sizeof line, f) || !fgets(line, sizeof line, f))
			exit(1);
		fclose(f);
		line[strcspn(line, ",")] = '\0';
		first_id = strdup(line);
	}
	const char *ids[1] = { first_id };
	must(pv_shred(v, &admin, ids, 1, &cert), v, "shred");
	must(pv_audit_checkpoint(v, NULL, &cp2), v, "checkpoint");
	must(pv_audit_prove(v, NULL, 1, &incl), v, "prove");
	must(pv_audit_consistency(v, NULL, cp1, &cons), v, "consistency");
	seed_text("certificate", "certificate", pk, cert, NULL, NULL);
	seed_text("audit_proof", "inclusion", pk, incl, cp2, NULL);
	seed_text("audit_proof", "consistency", pk, cons, cp2, cp1);
	seed_text("audit_proof", "proof-only", pk, cons, NULL, NULL);

	json_t *body = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:{s:I},"
				 " s:s, s:s, s:s}", "type", PV_RECEIPT_TYPE, "version", 1,
				 "package", "P-1", "transfer", "T-1", "sender_public_key", pk,
				 "sender_vault", "00", "manifest_sha256", "00", "root_hash", "00",
				 "records", (json_int_t)2, "imported", (json_int_t)2, "counts",
				 "customers", (json_int_t)2, "received", "2026-01-01T00:00:00Z",
				 "recipient_vault", "00", "recipient_public_key", pk);
	json_t *doc = pv_signed_json(v, "receipt", body);
	char *receipt = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(doc);
	seed_text("receipt", "receipt", pk, receipt, NULL, NULL);

	/* A backup as pv_backup_create lays it out (image, signed trailer, footer), over a
	 * small image so the fuzzer works on the trailer rather than on a database. */
	const char image[] = "a small database image";
	uint8_t h[32];
	char hhex[65];
	crypto_hash_sha256(h, (const uint8_t *)image, sizeof image - 1);
	for (int i = 0; i < 32; i++)
		snprintf(hhex + 2 * i, 3, "%02x", h[i]);
	body = json_pack("{s:s, s:i, s:s, s:s, s:I, s:s, s:I, s:I, s:s}", "type",
			 "pivault backup", "version", 1, "vault", "00", "created",
			 "2026-01-01T00:00:00Z", "image_bytes", (json_int_t)(sizeof image - 1),
			 "image_sha256", hhex, "customers", (json_int_t)2, "audit_entries",
			 (json_int_t)9, "signed_by", pk);
	doc = pv_signed_json(v, "backup", body);
	char *trailer = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(doc);
	char footer[64];
	snprintf(footer, sizeof footer, "pivault-backup %016llx\n",
		 (unsigned long long)strlen(trailer));
	size_t blen = sizeof image - 1 + strlen(trailer) + strlen(footer);
	char *file = malloc(blen + 1);
	snprintf(file, blen + 1, "%s%s%s", image, trailer, footer);
	const void *parts[2] = { pk, file };
	size_t lens[2] = { 64, blen };
	seed("backup", "backup", 2, parts, lens);
	free(trailer);
	free(file);
	pv_free(cp1), pv_free(cp2), pv_free(incl), pv_free(cons), pv_free(cert);
	free(receipt);
	free(first_id);
	pv_vault_close(v);
}

int main(int argc, char **argv)
{
	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: make_seeds CORPUS_DIR CSV_FILE [handover]\n");
		return 2;
	}
	corpus = argv[1];
	if (pv_crypto_init() != 0)
		return 1;
	if (argc == 4) { /* one target's seeds alone, the others left as they are */
		if (strcmp(argv[3], "handover") != 0)
			return 2;
		handover_seeds(corpus, argv[2]);
		return 0;
	}
	age_seeds();
	tar_seeds();
	minisign_seeds();
	vault_seeds(argv[2]);
	handover_seeds(corpus, argv[2]);
	return 0;
}
