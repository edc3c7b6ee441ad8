/* SPDX-License-Identifier: Apache-2.0 */
/* make_seeds_handover.c: the seeds of fuzz_handover.c. A vault of the example schema
 * imports the CSV file's customers and exports a real handover package to the fuzz
 * target's fixed age recipient; its members are read back, and the manifest is made to
 * name the target's fixed sender key and to list only the members the target writes
 * (sender.pub, plan.json, columns.json, the checklists). Then the valid seeds (one and two
 * records members, the sender key pinned) and variants, each refused for one reason its
 * name gives (wrong counts, hashes, checklists, sender, JSON, member order). */
#include "fuzz.h"
#include "make_seeds.h"

#include "formats/age.h"
#include "crypto.h"
#include "dates.h"
#include "formats/minisign.h"
#include "formats/tar.h"

#include <fcntl.h>
#include <jansson.h>
#include <pivault.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { PLAN, COLUMNS, RECORDS1, CHECKLIST1, RECORDS2, CHECKLIST2, MANIFEST, NPARTS };

static const char *out_dir;

static void die(const char *what)
{
	fprintf(stderr, "make_seeds handover: %s\n", what);
	exit(1);
}

/* corpus/handover/name: control, then the parts, NUL-separated. */
static void write_seed(const char *name, const char *control, const char *const *part)
{
	char path[512];
	snprintf(path, sizeof path, "%s/handover/%s", out_dir, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		die(path);
	fputs(control, f);
	for (int i = 0; i < NPARTS; i++) {
		fputc(0, f);
		fputs(part[i], f);
	}
	if (fclose(f) != 0)
		die(path);
}

static char *sha256_hex(const char *text)
{
	uint8_t h[32];
	static char hex[65];
	crypto_hash_sha256(h, (const uint8_t *)text, strlen(text));
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	return hex;
}

/* ---- the real package ---- */

#define MAX_MEMBERS 32

struct members {
	char *name[MAX_MEMBERS], *text[MAX_MEMBERS];
	size_t n;
};

static const char *member(const struct members *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->name[i], name) == 0)
			return m->text[i];
	die(name);
	return NULL;
}

static long from_age(void *ctx, void *buf, size_t len)
{
	return pv_age_read(ctx, buf, len);
}

/* Every member of the package at path, decrypted with the age key sk. */
static void read_package(const char *path, const uint8_t sk[PV_AGE_KEY], struct members *m)
{
	int fd = open(path, O_RDONLY);
	pv_age_status st;
	pv_age_reader *age = fd < 0 ? NULL
				    : pv_age_reader_new((const uint8_t(*)[PV_AGE_KEY])sk, 1,
							pv_age_fd_read, &fd, &st, NULL, 0);
	struct pv_tar_reader *tar = age ? pv_tar_reader_new(from_age, age) : NULL;
	char name[PV_TAR_NAME_MAX + 1];
	uint64_t size;
	while (tar && m->n < MAX_MEMBERS && pv_tar_next(tar, name, &size) == 1) {
		char *text = malloc(size + 1);
		size_t got = 0;
		long n = 1;
		while (text && got < size && (n = pv_tar_read(tar, text + got, size - got)) > 0)
			got += (size_t)n;
		if (!text || got != size)
			die("cannot read the package");
		text[size] = '\0';
		m->name[m->n] = strdup(name);
		m->text[m->n++] = text;
	}
	if (!tar || m->n == 0)
		die("cannot open the package");
	pv_tar_reader_free(tar);
	pv_age_reader_free(age);
	close(fd);
}

static void must(pv_rc rc, pv_vault *v, const char *what)
{
	if (rc != PV_OK) {
		fprintf(stderr, "%s: %s\n", what, pv_errmsg(v));
		exit(1);
	}
}

/* A vault with the customers of csv_path exports its package to the age key of 0x48. */
static void export_package(const char *csv_path, struct members *m)
{
	char dir[200], key_path[200], pkg[200];
	snprintf(dir, sizeof dir, "%s/handover-vault", fuzz_tempdir());
	snprintf(key_path, sizeof key_path, "%s/handover.key", fuzz_tempdir());
	snprintf(pkg, sizeof pkg, "%s/handover.age", fuzz_tempdir());
	pv_key *key = NULL;
	if (pv_key_generate_file(key_path) || pv_key_from_file(key_path, &key))
		die("root key");
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

	uint8_t sk[PV_AGE_KEY], pk[PV_AGE_KEY];
	memset(sk, 0x48, sizeof sk);
	pv_age_public_key(sk, pk);
	char *recipient = pv_age_format_recipient(pk), today[11], *plan = NULL;
	pv_date_today(0, today);
	pv_transfer_spec sp = { .recipient_name = "Example Recipient Ltd",
				.recipient_contact = "dpo@recipient.example",
				.recipient_key = recipient, .deadline = today };
	must(pv_transfer_plan(v, &admin, &sp, &plan), v, "plan");
	pv_handover_summary sum;
	must(pv_handover_export(v, &admin, plan, pkg, &sum), v, "export");
	read_package(pkg, sk, m);
	pv_free(plan);
	free(recipient);
	pv_vault_close(v);
}

/* ---- the seeds ---- */

/* The manifest as the fuzz target's package needs it: signed by the sender key of 0x53,
 * listing only the members it writes; the checklists' hashes taken from part. */
static json_t *fit_manifest(const char *text, const char *const *part)
{
	uint8_t seed[32], pk[PV_SIGN_PUBLIC], sk[PV_SIGN_SECRET];
	memset(seed, 0x53, sizeof seed);
	pv_sign_keypair(seed, pk, sk);
	char *pub = pv_minisign_public_key_text(pk, NULL), pkhex[65];
	sodium_bin2hex(pkhex, sizeof pkhex, pk, sizeof pk);
	json_t *m = json_loads(text, 0, NULL);
	json_t *sender = json_object_get(m, "sender"), *files = json_object_get(m, "files");
	if (!pub || !sender || !files)
		die("the export's manifest");
	json_object_set_new(sender, "public_key", json_string(pkhex));
	const char *key_line = strchr(pub, '\n') + 1;
	json_object_set_new(sender, "minisign_key",
			    json_stringn(key_line, strcspn(key_line, "\n")));
	json_object_clear(files);
	json_object_set_new(files, "sender.pub", json_string(sha256_hex(pub)));
	json_object_set_new(files, "plan.json", json_string(sha256_hex(part[PLAN])));
	json_object_set_new(files, "columns.json", json_string(sha256_hex(part[COLUMNS])));
	json_object_set_new(files, "checklist/000001.tsv",
			    json_string(sha256_hex(part[CHECKLIST1])));
	if (part[CHECKLIST2][0])
		json_object_set_new(files, "checklist/000002.tsv",
				    json_string(sha256_hex(part[CHECKLIST2])));
	free(pub);
	return m;
}

static char *dump(json_t *m)
{
	char *text = json_dumps(m, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!text)
		die("out of memory");
	return text;
}

/* A seed whose manifest is fit_manifest's, changed by edit (NULL: not changed). */
static void manifest_seed(const char *name, const char *control, const char **part,
			  const char *manifest, void (*edit)(json_t *m))
{
	json_t *m = fit_manifest(manifest, part);
	if (edit)
		edit(m);
	char *text = dump(m);
	part[MANIFEST] = text;
	write_seed(name, control, part);
	part[MANIFEST] = NULL;
	free(text);
	json_decref(m);
}

static void one_more_record(json_t *m)
{
	json_t *n = json_object_get(m, "records");
	json_integer_set(n, json_integer_value(n) + 1);
}

static void other_root(json_t *m)
{
	json_object_set_new(m, "root_hash", json_string(sha256_hex("another root")));
}

static void other_columns_hash(json_t *m)
{
	json_object_set_new(json_object_get(m, "files"), "columns.json",
			    json_string(sha256_hex("other columns")));
}

static void lists_absent_member(json_t *m)
{
	json_object_set_new(json_object_get(m, "files"), "README.txt",
			    json_string(sha256_hex("how to open it\n")));
}

static void one_more_value(json_t *m)
{
	json_t *cat = json_object_get(json_object_get(m, "counts"), "values_by_category");
	void *it = json_object_iter(cat);
	json_t *n = it ? json_object_iter_value(it) : NULL;
	if (!n)
		die("the manifest's counts");
	json_integer_set(n, json_integer_value(n) + 1);
}

static void other_sender(json_t *m)
{
	json_object_set_new(json_object_get(m, "sender"), "public_key",
			    json_string(sha256_hex("another key")));
}

/* Another package id, so that the valid seeds each import once in a replay. */
static void package_2(json_t *m)
{
	char id[80];
	snprintf(id, sizeof id, "%s2", json_string_value(json_object_get(m, "package")));
	json_object_set_new(m, "package", json_string(id));
}

static void package_3(json_t *m)
{
	char id[80];
	snprintf(id, sizeof id, "%s3", json_string_value(json_object_get(m, "package")));
	json_object_set_new(m, "package", json_string(id));
}

static void no_package_id(json_t *m)
{
	json_object_del(m, "package");
}

static void no_transfer(json_t *m)
{
	json_object_del(m, "transfer");
}

static void long_package_id(json_t *m)
{
	json_object_set_new(m, "package", json_string("P-0123456789abcdef0123456789abcdef0123456789"));
}

/* A copy of text with its byte at offset at replaced by c. */
static char *changed(const char *text, size_t at, char c)
{
	char *s = strdup(text);
	if (!s || at >= strlen(s))
		die("cannot change a part");
	s[at] = s[at] == c ? (char)(c + 1) : c;
	return s;
}

/* Seeds whose records or checklists differ from the manifest's (signed) view. */
static void checklist_seeds(const char **part, const char *manifest)
{
	const char *rec = part[RECORDS1], *list = part[CHECKLIST1];
	const char *id = strstr(rec, "\":\"");
	char *bad_record = changed(rec, (size_t)(id - rec) + 3, 'Z'); /* the first id */
	char *bad_hash = changed(list, strcspn(list, "\t") + 5, '0');
	/* the first id with an escaped NUL character in front */
	char *nul_id = malloc(strlen(rec) + 7);
	sprintf(nul_id, "%.*s\\u0000%s", (int)(id - rec) + 3, rec, id + 3);
	const char *second_line = strchr(list, '\n') + 1;
	size_t first_len = (size_t)(second_line - list);
	/* the first line's id swapped for the second's: a checklist naming other ids */
	char *other_ids = malloc(strlen(list) + 64);
	snprintf(other_ids, strlen(list) + 64, "%.*s%s%s", (int)strcspn(second_line, "\t"),
		 second_line, list + strcspn(list, "\t"), "");
	char *extra = malloc(strlen(list) + first_len + 1);
	sprintf(extra, "%s%.*s", list, (int)first_len, list);
	struct {
		const char *name, *records, *checklist;
	} v[] = { { "record-changed", bad_record, list },
		  { "checklist-hash-changed", rec, bad_hash },
		  { "checklist-other-ids", rec, other_ids },
		  { "checklist-extra-line", rec, extra },
		  { "record-id-nul", nul_id, list } };
	for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
		part[RECORDS1] = v[i].records, part[CHECKLIST1] = v[i].checklist;
		manifest_seed(v[i].name, "SPC1aMG", part, manifest, NULL);
	}
	part[RECORDS1] = rec, part[CHECKLIST1] = list;
	free(bad_record), free(bad_hash), free(nul_id), free(other_ids), free(extra);
}

/* Seeds that change the manifest, or the members' order or set. */
static void manifest_seeds(const char **part, const char *manifest)
{
	manifest_seed("valid-one-member", "SPC1aMG", part, manifest, NULL);
	manifest_seed("valid-sender-pinned", "!SPC1aMG", part, manifest, package_2);
	manifest_seed("count-wrong", "SPC1aMG", part, manifest, one_more_record);
	manifest_seed("root-wrong", "SPC1aMG", part, manifest, other_root);
	manifest_seed("file-hash-wrong", "SPC1aMG", part, manifest, other_columns_hash);
	manifest_seed("file-missing", "SPC1aMG", part, manifest, lists_absent_member);
	manifest_seed("values-wrong", "SPC1aMG", part, manifest, one_more_value);
	manifest_seed("manifest-other-sender", "SPC1aMG", part, manifest, other_sender);
	manifest_seed("no-package-id", "SPC1aMG", part, manifest, no_package_id);
	manifest_seed("package-id-too-long", "SPC1aMG", part, manifest, long_package_id);
	manifest_seed("no-transfer", "SPC1aMG", part, manifest, no_transfer);
	manifest_seed("checklist-missing", "SPC1MG", part, manifest, NULL);
	manifest_seed("signed-by-other-key", "SPC1aMg", part, manifest, NULL);
	manifest_seed("sender-pub-other-key", "sPC1aMG", part, manifest, NULL);
	manifest_seed("pinned-other-key", "?SPC1aMG", part, manifest, NULL);
	manifest_seed("plan-twice", "SPPC1aMG", part, manifest, NULL);
	manifest_seed("records-numbered-3", "SPC3aMG", part, manifest, NULL);
	manifest_seed("records-before-columns", "SP1CaMG", part, manifest, NULL);
	manifest_seed("unexpected-member", "SPC1aXMG", part, manifest, NULL);
	manifest_seed("member-after-signature", "SPC1aMGR", part, manifest, NULL);
	manifest_seed("no-sender-pub", "PC1aMG", part, manifest, NULL);
	manifest_seed("archive-expected", "#SPC1aMG", part, manifest, NULL);
	json_t *m = fit_manifest(manifest, part);
	char *text = dump(m);
	text[strlen(text) / 2] = '\0';
	part[MANIFEST] = text;
	write_seed("manifest-bad-json", "SPC1aMG", part);
	part[MANIFEST] = NULL;
	free(text);
	json_decref(m);
	part[COLUMNS] = "{\"id_column\": \"customer_id\", \"fields\": {}}";
	manifest_seed("columns-bad", "SPC1aMG", part, manifest, NULL);
}

/* The records and checklist split after their first line into two members. */
static void two_member_seeds(const char **part, const char *manifest)
{
	const char *rec = part[RECORDS1], *list = part[CHECKLIST1];
	size_t r1 = (size_t)(strchr(rec, '\n') + 1 - rec);
	size_t c1 = (size_t)(strchr(list, '\n') + 1 - list);
	char *rec1 = strndup(rec, r1), *list1 = strndup(list, c1);
	part[RECORDS1] = rec1, part[CHECKLIST1] = list1;
	part[RECORDS2] = rec + r1, part[CHECKLIST2] = list + c1;
	manifest_seed("valid-two-members", "SPC1a2bMG", part, manifest, package_3);
	manifest_seed("records-swapped", "SPC2b1aMG", part, manifest, NULL);
	manifest_seed("checklists-swapped", "SPC1b2aMG", part, manifest, NULL);
	part[RECORDS1] = rec, part[CHECKLIST1] = list;
	part[RECORDS2] = part[CHECKLIST2] = "";
	free(rec1), free(list1);
}

void handover_seeds(const char *corpus, const char *csv_path)
{
	out_dir = corpus;
	struct members m = { 0 };
	export_package(csv_path, &m);
	const char *part[NPARTS] = { 0 };
	part[PLAN] = member(&m, "plan.json");
	part[COLUMNS] = member(&m, "columns.json");
	part[RECORDS1] = member(&m, "records/000001.jsonl");
	part[CHECKLIST1] = member(&m, "checklist/000001.tsv");
	part[RECORDS2] = part[CHECKLIST2] = "";
	const char *manifest = member(&m, "manifest.json");
	if (!strchr(strchr(part[CHECKLIST1], '\n') + 1, '\n'))
		die("the CSV file needs two customers at least");
	two_member_seeds(part, manifest);
	checklist_seeds(part, manifest);
	manifest_seeds(part, manifest);
	for (size_t i = 0; i < m.n; i++)
		free(m.name[i]), free(m.text[i]);
}
