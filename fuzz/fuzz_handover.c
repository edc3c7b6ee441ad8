/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_handover.c: the handover package's manifest and checklist checks (pv_handover_import).
 * A fuzzer cannot forge the package's age encryption or its manifest's signature, so the
 * harness builds the package itself from the input's parts, separated by NUL bytes:
 *   control, plan.json, columns.json, records/000001.jsonl, checklist/000001.tsv,
 *   records/000002.jsonl, checklist/000002.tsv, manifest.json
 * It writes the tar members the control string names, in its order (an empty control:
 * "SPC1a2bMG"), signs the manifest text with a fixed sender key, encrypts the archive to a
 * fixed age recipient and imports it into an empty vault of the example schema, made once
 * per process and anew after each import that succeeds (a refused one leaves nothing), so
 * that an input's outcome does not depend on the inputs before it.
 * Control characters, members: S sender.pub, s sender.pub of another key, P plan.json,
 * C columns.json, 1 and a records/000001.jsonl and its checklist, 2 and b the second pair,
 * 3 records/000003.jsonl (the first records text), M manifest.json, G its signature by the
 * sender key, g by another key, R README.txt, N notices/000001.jsonl, X an unknown member.
 * Options: ! the sender key pinned, ? another key pinned, # a decommission archive
 * expected, D fields the schema lacks dropped. Other characters are ignored. */
#include "fuzz.h"

#include "formats/age.h"
#include "crypto.h"
#include "formats/minisign.h"
#include "formats/tar.h"

#include <pivault.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { CONTROL, PLAN, COLUMNS, RECORDS1, CHECKLIST1, RECORDS2, CHECKLIST2, MANIFEST, NPARTS };

/* The fixed keys: sender Ed25519 seeds of 0x53 ("S") and 0x4f ("O", the other key), the
 * age identity of 0x48 ("H"). The seeds hold the manifest unsigned, naming the sender key
 * of 0x53 (make_seeds.c). */
struct sender {
	uint8_t pk[PV_SIGN_PUBLIC], sk[PV_SIGN_SECRET];
	char *pub; /* sender.pub text */
};

static struct {
	struct sender sender, other;
	uint8_t age_pk[1][PV_AGE_KEY];
	char identity[160], key_path[160], package[160];
	pv_vault *vault;
	unsigned vaults;
} fx;

static void make_sender(struct sender *s, uint8_t seed_byte)
{
	uint8_t seed[32];
	memset(seed, seed_byte, sizeof seed);
	pv_sign_keypair(seed, s->pk, s->sk);
	if (!(s->pub = pv_minisign_public_key_text(s->pk, NULL)))
		abort();
}

static void write_identity(void)
{
	uint8_t sk[PV_AGE_KEY];
	memset(sk, 0x48, sizeof sk);
	pv_age_public_key(sk, fx.age_pk[0]);
	char *id = pv_age_format_identity(sk);
	snprintf(fx.identity, sizeof fx.identity, "%s/identity", fuzz_tempdir());
	if (!id || fuzz_write(fx.identity, id, strlen(id)) != 0)
		abort();
	free(id);
}

static void open_vault(void)
{
	char dir[200];
	snprintf(dir, sizeof dir, "%s/vault-%u", fuzz_tempdir(), fx.vaults++);
	pv_key *key = NULL;
	if (pv_key_from_file(fx.key_path, &key) != PV_OK)
		abort();
	pv_create_opts co = { .schema_path = FUZZ_SCHEMA, .keyring_slots = 16,
			      .kdf_cost = PV_KDF_FAST };
	if (pv_vault_create(dir, &co, key, &fx.vault) != PV_OK) {
		fprintf(stderr, "fuzz_handover: cannot create the vault: %s\n", pv_errmsg(fx.vault));
		abort();
	}
	pv_key_free(key);
}

static void close_vault(void)
{
	char dir[200];
	pv_vault_close(fx.vault);
	fx.vault = NULL;
	snprintf(dir, sizeof dir, "%s/vault-%u", fuzz_tempdir(), fx.vaults - 1);
	fuzz_remove_tree(dir);
}

static void set_up(void)
{
	if (pv_crypto_init() != 0)
		abort();
	make_sender(&fx.sender, 0x53);
	make_sender(&fx.other, 0x4f);
	write_identity();
	snprintf(fx.key_path, sizeof fx.key_path, "%s/root.key", fuzz_tempdir());
	snprintf(fx.package, sizeof fx.package, "%s/package.age", fuzz_tempdir());
	if (pv_key_generate_file(fx.key_path) != PV_OK)
		abort();
	open_vault();
	atexit(close_vault);
}

static int to_age(void *ctx, const void *buf, size_t len)
{
	return pv_age_write(ctx, buf, len);
}

static int add_text(struct pv_tar_writer *w, const char *name, const char *text)
{
	return pv_tar_write_file(w, name, text, strlen(text));
}

static int add_signature(struct pv_tar_writer *w, const struct sender *s, const char *manifest)
{
	char *sig = pv_minisign_sign(s->sk, manifest, strlen(manifest), "fuzz", NULL);
	int st = sig ? add_text(w, "manifest.json.minisig", sig) : -1;
	free(sig);
	return st;
}

/* The member control character c names, written to w; 0 / -1. */
static int add_member(struct pv_tar_writer *w, char c, const char *const *part)
{
	switch (c) {
	case 'S': return add_text(w, "sender.pub", fx.sender.pub);
	case 's': return add_text(w, "sender.pub", fx.other.pub);
	case 'P': return add_text(w, "plan.json", part[PLAN]);
	case 'C': return add_text(w, "columns.json", part[COLUMNS]);
	case '1': return add_text(w, "records/000001.jsonl", part[RECORDS1]);
	case 'a': return add_text(w, "checklist/000001.tsv", part[CHECKLIST1]);
	case '2': return add_text(w, "records/000002.jsonl", part[RECORDS2]);
	case 'b': return add_text(w, "checklist/000002.tsv", part[CHECKLIST2]);
	case '3': return add_text(w, "records/000003.jsonl", part[RECORDS1]);
	case 'M': return add_text(w, "manifest.json", part[MANIFEST]);
	case 'G': return add_signature(w, &fx.sender, part[MANIFEST]);
	case 'g': return add_signature(w, &fx.other, part[MANIFEST]);
	case 'R': return add_text(w, "README.txt", "how to open it\n");
	case 'N': return add_text(w, "notices/000001.jsonl", "");
	case 'X': return add_text(w, "unexpected.txt", "x");
	default: return 0;
	}
}

/* The package of the parts, encrypted to the fixed recipient, at fx.package; 0 / -1. */
static int write_package(const char *const *part)
{
	const char *control = part[CONTROL][0] ? part[CONTROL] : "SPC1a2bMG";
	FILE *f = fopen(fx.package, "wb");
	if (!f)
		return -1;
	int fd = fileno(f);
	pv_age_writer *age = pv_age_writer_new((const uint8_t(*)[PV_AGE_KEY])fx.age_pk, 1,
					       pv_age_fd_write, &fd);
	struct pv_tar_writer w = { .out = to_age, .ctx = age, .mtime = 1700000000 };
	int st = age ? 0 : -1;
	for (const char *c = control; !st && *c; c++)
		st = add_member(&w, *c, part);
	if (!st)
		st = pv_tar_finish(&w);
	if (age && st)
		pv_age_writer_free(age);
	else if (age)
		st = pv_age_writer_finish(age);
	return fclose(f) != 0 ? -1 : st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fx.vault)
		set_up();
	char *buf;
	const char *part[NPARTS];
	size_t rest_len;
	(void)fuzz_parts(data, size, &buf, part, NPARTS, &rest_len);
	for (int i = 0; i < NPARTS; i++)
		if (!part[i])
			part[i] = "";
	if (write_package(part) == 0) {
		const char *control = part[CONTROL];
		pv_handover_import_opts o = {
			.identity_file = fx.identity,
			.sender_key = strchr(control, '!')   ? fx.sender.pub
				      : strchr(control, '?') ? fx.other.pub
							     : NULL,
			.flags = (strchr(control, '#') ? PV_HANDOVER_ARCHIVE : 0) |
				 (strchr(control, 'D') ? PV_HANDOVER_DROP_UNMAPPED : 0),
		};
		pv_access admin = { "admin", NULL, 0 };
		char *receipt = NULL;
		pv_handover_summary sum;
		pv_rc rc = pv_handover_import(fx.vault, &admin, fx.package, &o, &receipt, &sum);
		fuzz_report("handover", rc, rc ? pv_errmsg(fx.vault) : "imported");
		pv_free(receipt);
		if (rc == PV_OK) {
			close_vault();
			open_vault();
		}
	}
	unlink(fx.package);
	free(buf);
	return 0;
}
