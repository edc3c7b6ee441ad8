/* SPDX-License-Identifier: Apache-2.0 */
/* test_handover.c: transfers to a new holder and the handover package, end to end between
 * two vaults. The round trip (plan, export, import, signed receipt, confirm with
 * destruction certificates, the counts of manifest, receipt and certificate in
 * agreement, every value read back unchanged); packages changed on the way (a byte of
 * the age header or payload, a record removed, added or changed with its checklist line
 * recomputed, the signature swapped, another sender key pinned, the wrong identity, a
 * truncated file), each refused with its reason and nothing imported; objections and
 * deletion requests keeping customers out and shredded apart; an import killed half-way
 * (SIGKILL of `pivault handover import`, fed through a FIFO up to a point where chunks of
 * its records have committed) leaving nothing behind; the package opened and
 * checked with the real age and minisign tools, and a package re-encrypted by age
 * accepted; roles and four-eyes approval; cross-border plans; notices to customers. */
#define _GNU_SOURCE /* memmem */
#include "dba.h"
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pivault.h"

#include "formats/age.h"
#include "dates.h"
#include "formats/merkle.h"
#include "formats/minisign.h"
#include "formats/tar.h"
#include "vault.h"

#define RNAME "NewCo Logistics Ltd"
#define RCONTACT "dpo@newco.example"

static const pv_access ADMIN = { "admin", NULL, 0 };
static const pv_access READER = { "admin", "all", 1 };
static const pv_access CLERK = { "clerk", NULL, 0 };
/* Notices to customers show names and contacts: a purpose that covers them. */
static const pv_access NOTIFY = { "admin", "service", 0 };
static const pv_access USER_NOTIFY = { NULL, "service", 0 };

/* One seller, one buyer and the recipient's age key, in a fresh directory per test. */
struct fx {
	char *base, *seller_dir, *seller_key, *buyer_dir, *buyer_key, *ident, *pkg;
	uint8_t sk[PV_AGE_KEY], pk[PV_AGE_KEY];
	char *recipient; /* age1... */
	pv_vault *seller, *buyer;
	char *csv;	 /* the seller's imported CSV */
	char buyer_pk[65]; /* the buyer vault's signing key, as the seller pins it */
};

static int fx_setup(void **state)
{
	unsetenv("PIVAULT_VAULT");
	unsetenv("PIVAULT_KEY_FILE");
	unsetenv("PIVAULT_KEYRING");
	unsetenv("PIVAULT_USER");
	unsetenv("PIVAULT_PASSWORD_FILE");
	unsetenv("PIVAULT_PASSPHRASE_FILE");
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->base = pvt_tempdir();
	f->seller_dir = pvt_path(f->base, "seller");
	f->seller_key = pvt_path(f->base, "seller.key");
	f->buyer_dir = pvt_path(f->base, "buyer");
	f->buyer_key = pvt_path(f->base, "buyer.key");
	f->ident = pvt_path(f->base, "recipient.agekey");
	f->pkg = pvt_path(f->base, "handover.age");
	pv_age_keygen(f->sk, f->pk);
	f->recipient = pv_age_format_recipient(f->pk);
	assert_non_null(f->recipient);
	char *id = pv_age_format_identity(f->sk);
	assert_non_null(id);
	char text[512];
	int n = snprintf(text, sizeof text, "# created: 2025-01-01T00:00:00Z\n# public key: %s\n%s\n",
			 f->recipient, id);
	sodium_memzero(id, strlen(id));
	free(id);
	assert_int_equal(pvt_write_file(f->ident, text, (size_t)n), 0);
	assert_int_equal(chmod(f->ident, 0600), 0);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	pvt_release_all();
	pvt_rmtree(f->base);
	free(f->base);
	free(f->seller_dir);
	free(f->seller_key);
	free(f->buyer_dir);
	free(f->buyer_key);
	free(f->ident);
	free(f->pkg);
	free(f->recipient);
	free(f->csv);
	free(f);
	return 0;
}

/* The seller with n customers (ids C00000001...) and an empty buyer of the same schema. */
static void make_vaults(struct fx *f, unsigned n, unsigned long seed)
{
	f->seller = pvt_track(pvt_sample_vault(f->seller_dir, f->seller_key, n, seed, &f->csv));
	f->buyer = pvt_track(pvt_sample_vault(f->buyer_dir, f->buyer_key, 0, seed + 1, NULL));
	assert_ok(f->buyer, pv_vault_public_key(f->buyer, f->buyer_pk));
}

static uint64_t count_of(pv_vault *v)
{
	uint64_t n = 12345;
	assert_ok(v, pv_vault_count(v, &n));
	return n;
}

static void cid(char out[16], unsigned i)
{
	snprintf(out, 16, "C%08u", i % 100000000u);
}

/* A plan to RNAME under the recipient's key, pinning the buyer vault's signing key;
 * deadline NULL: today (export allowed now). */
static char *plan_with(struct fx *f, pv_vault *v, const pv_access *who, const char *country,
		       const char *basis, const char *deadline)
{
	char today[11];
	pv_date_today(0, today);
	pv_transfer_spec sp = { .recipient_name = RNAME, .recipient_contact = RCONTACT,
				.recipient_key = f->recipient, .recipient_country = country,
				.legal_basis = basis, .deadline = deadline ? deadline : today,
				.recipient_vault_key = f->buyer_pk[0] ? f->buyer_pk : NULL };
	char *id = NULL;
	assert_ok(v, pv_transfer_plan(v, who, &sp, &id));
	assert_non_null(id);
	assert_int_equal(strncmp(id, "T-", 2), 0);
	return pvt_keep(id);
}

static char *plan(struct fx *f)
{
	return plan_with(f, f->seller, &ADMIN, NULL, NULL, NULL);
}

/* The import of pkg into the buyer must succeed; the receipt (kept) is returned. */
static char *import_ok(struct fx *f, const char *pkg, const char *sender_key,
		       pv_handover_summary *s)
{
	pv_handover_import_opts o = { .identity_file = f->ident, .sender_key = sender_key };
	char *receipt = NULL;
	assert_ok(f->buyer, pv_handover_import(f->buyer, &ADMIN, pkg, &o, &receipt, s));
	assert_non_null(receipt);
	return pvt_keep(receipt);
}

/* The import of pkg must be refused with want and needle in the message, the buyer left
 * with no customer and no receipt given. */
static void import_refused(struct fx *f, const char *pkg, const char *ident,
			   const char *sender_key, pv_rc want, const char *needle)
{
	pv_handover_import_opts o = { .identity_file = ident ? ident : f->ident,
				      .sender_key = sender_key };
	char *receipt = (char *)"untouched";
	pv_handover_summary s;
	pv_rc rc = pv_handover_import(f->buyer, &ADMIN, pkg, &o, &receipt, &s);
	assert_rc_msg(f->buyer, rc, want, needle);
	assert_null(receipt);
	assert_int_equal(count_of(f->buyer), 0);
}

/* The transfer's JSON (pv_transfer_list) and its state. */
static json_t *transfer_doc(pv_vault *v, const char *id)
{
	char *text = NULL;
	const pv_access *who = strcmp(pv_vault_user(v), "(root key)") == 0 ? &ADMIN : NULL;
	assert_ok(v, pv_transfer_list(v, who, id, &text));
	json_error_t je;
	json_t *doc = json_loads(text, 0, &je);
	pv_free(text);
	if (!doc)
		fail_msg("pv_transfer_list: not JSON: %s", je.text);
	return doc;
}

static void expect_state(pv_vault *v, const char *id, const char *want)
{
	json_t *doc = transfer_doc(v, id);
	const char *st = json_string_value(json_object_get(doc, "state"));
	if (!st || strcmp(st, want) != 0)
		fail_msg("transfer %s is '%s', expected '%s'", id, st ? st : "(none)", want);
	json_decref(doc);
}

/* A customer as read in clear, one "field=value" line per field and consent. */
static char *record_text(pv_vault *v, const char *id)
{
	pv_record *r = NULL;
	pv_rc rc = pv_get(v, &READER, id, &r);
	if (rc)
		fail_msg("pv_get(%s): rc %d: %s", id, rc, pv_errmsg(v));
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	assert_non_null(m);
	assert_string_equal(pv_record_id(r), id);
	assert_true(pv_record_field_count(r) >= 10);
	fprintf(m, "id=%s\n", id);
	for (size_t i = 0; i < pv_record_field_count(r); i++) {
		assert_int_equal(pv_record_field_view(r, i), PV_SHOWN_CLEAR);
		fprintf(m, "%s=%s\n", pv_record_field_name(r, i), pv_record_field_value(r, i));
	}
	for (size_t i = 0; i < pv_record_consent_count(r); i++)
		fprintf(m, "consent %s=%d\n", pv_record_consent_purpose(r, i),
			pv_record_consent_granted(r, i));
	assert_int_equal(fclose(m), 0);
	pv_record_free(r);
	return pvt_keep(buf);
}

static void expect_absent(pv_vault *v, const char *id)
{
	pv_record *r = NULL;
	pv_rc rc = pv_get(v, &READER, id, &r);
	pv_record_free(r);
	if (rc != PV_ERR_NOT_FOUND)
		fail_msg("customer %s: rc %d, expected not found", id, rc);
}

/* Destruction certificates handed over by confirm / retention. */
struct certs {
	json_t *doc[16];
	size_t n;
};

static int keep_cert(void *ctx, const char *text)
{
	struct certs *c = ctx;
	assert_true(c->n < sizeof c->doc / sizeof *c->doc);
	json_error_t je;
	c->doc[c->n] = json_loads(text, 0, &je);
	assert_non_null(c->doc[c->n]);
	c->n++;
	return 0;
}

static void certs_free(struct certs *c)
{
	for (size_t i = 0; i < c->n; i++)
		json_decref(c->doc[i]);
	c->n = 0;
}

/* The sum of the certificates' "count", checked against the length of "customers". */
static int64_t certs_count(const struct certs *c)
{
	int64_t total = 0;
	for (size_t i = 0; i < c->n; i++) {
		json_t *cert = json_object_get(c->doc[i], "certificate");
		json_t *cnt = json_object_get(cert, "count");
		assert_true(json_is_integer(cnt));
		assert_int_equal(json_integer_value(cnt),
				 json_array_size(json_object_get(cert, "customers")));
		total += json_integer_value(cnt);
	}
	return total;
}

/* ---- the package taken apart and put together again, as an attacker would ---------- */

struct mem_in {
	const unsigned char *p;
	size_t len, off;
};

static long mem_read(void *ctx, void *buf, size_t len)
{
	struct mem_in *m = ctx;
	size_t n = m->len - m->off < len ? m->len - m->off : len;
	memcpy(buf, m->p + m->off, n);
	m->off += n;
	return (long)n;
}

struct mem_out {
	unsigned char *p;
	size_t len, cap;
};

static int mem_write(void *ctx, const void *buf, size_t len)
{
	struct mem_out *m = ctx;
	if (m->len + len > m->cap) {
		size_t cap = m->cap ? m->cap : 65536;
		while (cap < m->len + len)
			cap *= 2;
		unsigned char *p = realloc(m->p, cap);
		if (!p)
			return -1;
		m->p = p;
		m->cap = cap;
	}
	memcpy(m->p + m->len, buf, len);
	m->len += len;
	return 0;
}

struct member {
	char name[PV_TAR_NAME_MAX + 1];
	char *data; /* NUL-terminated, kept */
	size_t len;
};

struct archive {
	struct member m[64];
	size_t n;
};

/* Decrypt pkg with the recipient's identity sk and read its tar members. */
static void load_archive(const char *pkg, const uint8_t sk[PV_AGE_KEY], struct archive *a)
{
	size_t flen = 0;
	char *file = pvt_keep(pvt_read_file(pkg, &flen));
	assert_non_null(file);
	struct mem_in in = { (const unsigned char *)file, flen, 0 };
	pv_age_status st;
	char err[300];
	pv_age_reader *r = pv_age_reader_new((const uint8_t(*)[PV_AGE_KEY])sk, 1, mem_read, &in,
					     &st, err, sizeof err);
	if (!r)
		fail_msg("age: %s", err);
	struct mem_out plain = { 0 };
	unsigned char buf[PV_AGE_CHUNK];
	long n;
	while ((n = pv_age_read(r, buf, sizeof buf)) > 0)
		assert_int_equal(mem_write(&plain, buf, (size_t)n), 0);
	assert_int_equal(n, 0);
	pv_age_reader_free(r);
	pvt_drop(file);
	pvt_keep(plain.p);

	struct mem_in tin = { plain.p, plain.len, 0 };
	struct pv_tar_reader *t = pv_tar_reader_new(mem_read, &tin);
	assert_non_null(t);
	memset(a, 0, sizeof *a);
	uint64_t size;
	int got;
	while ((got = pv_tar_next(t, a->m[a->n].name, &size)) == 1) {
		assert_true(a->n + 1 < sizeof a->m / sizeof *a->m);
		struct member *m = &a->m[a->n++];
		m->data = pvt_keep(malloc((size_t)size + 1));
		assert_non_null(m->data);
		size_t done = 0;
		while (done < size) {
			long k = pv_tar_read(t, m->data + done, (size_t)size - done);
			assert_true(k > 0);
			done += (size_t)k;
		}
		m->data[size] = '\0';
		m->len = (size_t)size;
	}
	if (got != 0)
		fail_msg("tar: %s", pv_tar_reader_error(t));
	pv_tar_reader_free(t);
	sodium_memzero(plain.p, plain.len);
	pvt_drop(plain.p);
}

/* Write the members as a tar archive encrypted to pk, at path. */
static void save_archive(const struct archive *a, const uint8_t pk[PV_AGE_KEY], const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	pv_age_writer *w = pv_age_writer_new((const uint8_t(*)[PV_AGE_KEY])pk, 1, pv_age_fd_write,
					     &fd);
	assert_non_null(w);
	struct mem_out tar = { 0 };
	struct pv_tar_writer tw = { .out = mem_write, .ctx = &tar, .mtime = 1700000000 };
	for (size_t i = 0; i < a->n; i++)
		assert_int_equal(pv_tar_write_file(&tw, a->m[i].name, a->m[i].data, a->m[i].len), 0);
	assert_int_equal(pv_tar_finish(&tw), 0);
	assert_int_equal(pv_age_write(w, tar.p, tar.len), 0);
	assert_int_equal(pv_age_writer_finish(w), 0);
	assert_int_equal(close(fd), 0);
	free(tar.p);
}

static struct member *member_of(struct archive *a, const char *name)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->m[i].name, name) == 0)
			return &a->m[i];
	fail_msg("the package has no member %s", name);
	return NULL;
}

static void set_member(struct member *m, char *data, size_t len)
{
	pvt_drop(m->data);
	m->data = pvt_keep(data);
	m->len = len;
}

static size_t line_count(const struct member *m)
{
	size_t n = 0;
	for (size_t i = 0; i < m->len; i++)
		n += m->data[i] == '\n';
	return n;
}

/* Line i (0-based) of m, without its newline (kept copy). */
static char *line_of(const struct member *m, size_t i)
{
	const char *p = m->data, *end = m->data + m->len;
	for (; i > 0; i--) {
		p = memchr(p, '\n', (size_t)(end - p));
		assert_non_null(p);
		p++;
	}
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	assert_non_null(nl);
	char *s = pvt_keep(strndup(p, (size_t)(nl - p)));
	assert_non_null(s);
	return s;
}

/* m with `remove` lines from line `at` taken out and the line `insert` (if any) put there. */
static void edit_lines(struct member *m, size_t at, size_t remove, const char *insert)
{
	struct mem_out o = { 0 };
	const char *p = m->data, *end = m->data + m->len;
	for (size_t i = 0; p < end; i++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		assert_non_null(nl);
		if (i == at && insert) {
			assert_int_equal(mem_write(&o, insert, strlen(insert)), 0);
			assert_int_equal(mem_write(&o, "\n", 1), 0);
		}
		if (i < at || i >= at + remove)
			assert_int_equal(mem_write(&o, p, (size_t)(nl - p) + 1), 0);
		p = nl + 1;
	}
	assert_int_equal(mem_write(&o, "", 1), 0);
	set_member(m, (char *)o.p, o.len - 1);
}

static void sha256_hex(const char *s, char hex[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, (const unsigned char *)s, strlen(s));
	sodium_bin2hex(hex, 65, h, sizeof h);
}

/* The checklist line of a record line: "<id>\t<SHA-256 of the line>". */
static char *checklist_line(const char *id, const char *record)
{
	char hex[65], *s = malloc(strlen(id) + 70);
	assert_non_null(s);
	sha256_hex(record, hex);
	sprintf(s, "%s\t%s", id, hex);
	return pvt_keep(s);
}

/* record with its customer id replaced by id (a kept copy). */
static char *with_id(const char *record, const char *old, const char *id)
{
	const char *at = strstr(record, old);
	assert_non_null(at);
	assert_int_equal(strlen(old), strlen(id));
	char *s = pvt_keep(strdup(record));
	assert_non_null(s);
	memcpy(s + (at - record), id, strlen(id));
	return s;
}

static json_t *manifest_of(struct archive *a)
{
	struct member *m = member_of(a, "manifest.json");
	json_error_t je;
	json_t *doc = json_loadb(m->data, m->len, 0, &je);
	if (!doc)
		fail_msg("manifest.json: %s", je.text);
	return doc;
}

static json_int_t jint(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_integer(v))
		fail_msg("\"%s\" is not an integer", key);
	return json_integer_value(v);
}

static const char *jstr(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	if (!s)
		fail_msg("\"%s\" is not a string", key);
	return s;
}

/* A copy of file src at dst with fn applied to its bytes. */
static void copy_changed(const char *src, const char *dst, size_t keep_len,
			 void (*fn)(char *p, size_t len))
{
	size_t len = 0;
	char *p = pvt_read_file(src, &len);
	assert_non_null(p);
	if (fn)
		fn(p, len);
	assert_int_equal(pvt_write_file(dst, p, keep_len && keep_len < len ? keep_len : len), 0);
	free(p);
}

static void flip_payload(char *p, size_t len)
{
	p[len - len / 4] ^= 0x01; /* three quarters in: inside the payload */
}

static void flip_header_mac(char *p, size_t len)
{
	char *mac = memmem(p, len < 4096 ? len : 4096, "\n--- ", 5);
	assert_non_null(mac);
	mac += 5;
	*mac = *mac == 'A' ? 'B' : 'A';
}

/* ---- a. the round trip ------------------------------------------------------------ */

#define RT_N 200

/* The buyer's schema lacks a field the seller sends (contract_no): the import is refused,
 * naming the field, with nothing imported; asked to drop what it does not declare, the
 * buyer imports every customer without it. */
static void test_recipient_schema_lacks_a_field(void **state)
{
	struct fx *f = *state;
	f->seller = pvt_track(pvt_sample_vault(f->seller_dir, f->seller_key, 12, 21, &f->csv));
	char *text = pvt_keep(pvt_read_file(PV_SOURCE_DIR "/examples/schema.yaml", NULL));
	assert_non_null(text);
	char *line = strstr(text, "\n  contract_no:");
	assert_non_null(line);
	char *end = strchr(line + 1, '\n');
	memmove(line, end, strlen(end) + 1); /* the field's line gone */
	char *in_role = strstr(text, ", contract_no");
	assert_non_null(in_role);
	memmove(in_role, in_role + 13, strlen(in_role + 13) + 1); /* and from finance's list */
	assert_null(strstr(text, "contract_no"));
	char *schema = pvt_keep(pvt_path(f->base, "buyer-schema.yaml"));
	assert_int_equal(pvt_write_file(schema, text, strlen(text)), 0);
	assert_int_equal(pv_key_generate_file(f->buyer_key), PV_OK);
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(f->buyer_key, &key), PV_OK);
	pv_create_opts o = { .schema_path = schema, .keyring_slots = 1024, .kdf_cost = PV_KDF_FAST,
			     .admin_user = "admin", .admin_password = "admin-pass-1",
			     .admin_password_len = 12 };
	pv_rc rc = pv_vault_create(f->buyer_dir, &o, key, &f->buyer);
	pv_key_free(key);
	if (rc)
		fail_msg("create: %s", pv_errmsg(f->buyer));
	pvt_track(f->buyer);
	assert_ok(f->buyer, pv_vault_public_key(f->buyer, f->buyer_pk));

	char *id = plan(f);
	pv_handover_summary ex;
	assert_ok(f->seller, pv_handover_export(f->seller, &ADMIN, id, f->pkg, &ex));
	import_refused(f, f->pkg, NULL, NULL, PV_ERR_INPUT, "contract_no");

	pv_handover_import_opts io = { .identity_file = f->ident, .flags = PV_HANDOVER_DROP_UNMAPPED };
	char *receipt = NULL;
	pv_handover_summary s;
	assert_ok(f->buyer, pv_handover_import(f->buyer, &ADMIN, f->pkg, &io, &receipt, &s));
	pv_free(receipt);
	assert_int_equal(count_of(f->buyer), 12);
	char c1[16];
	cid(c1, 1);
	char *rec = record_text(f->buyer, c1);
	assert_null(strstr(rec, "contract_no"));
	assert_non_null(strstr(rec, "\nname="));
}

static void test_round_trip(void **state)
{
	struct fx *f = *state;
	make_vaults(f, RT_N, 11);
	assert_int_equal(count_of(f->seller), RT_N);
	assert_int_equal(count_of(f->buyer), 0);

	/* every 20th customer and the last, as the seller has them before the export */
	unsigned sample[] = { 1, 21, 41, 61, 81, 101, 121, 141, 161, 181, 200 };
	size_t ns = sizeof sample / sizeof *sample;
	char *before[sizeof sample / sizeof *sample];
	for (size_t i = 0; i < ns; i++) {
		char id[16];
		cid(id, sample[i]);
		before[i] = record_text(f->seller, id);
	}
	struct pvt_csv csv;
	assert_int_equal(pvt_csv_parse(f->csv, &csv), 0);
	const char *name1 = pvt_csv_get(&csv, 1, "name");
	assert_non_null(name1);
	char want_name[256];
	snprintf(want_name, sizeof want_name, "\nname=%s\n", name1);
	assert_non_null(strstr(before[0], want_name));

	char *id = plan(f);
	expect_state(f->seller, id, "planned");
	pv_handover_summary ex;
	assert_ok(f->seller, pv_handover_export(f->seller, &ADMIN, id, f->pkg, &ex));
	assert_int_equal(ex.records, RT_N);
	assert_int_equal(ex.excluded, 0);
	assert_int_equal(strlen(ex.root_hash), 64);
	assert_int_equal(strncmp(ex.package_id, "P-", 2), 0);
	struct stat st;
	assert_int_equal(stat(f->pkg, &st), 0);
	assert_int_equal((uint64_t)st.st_size, ex.bytes);
	assert_int_equal(st.st_mode & 077, 0);
	char partial[4200];
	snprintf(partial, sizeof partial, "%s.partial", f->pkg);
	assert_int_not_equal(access(partial, F_OK), 0);
	expect_state(f->seller, id, "exported");
	/* until the seller's copy is gone, the customer's access report names the recipient */
	{
		char *dsr = NULL, *text = NULL;
		size_t tlen = 0;
		char c1[16];
		cid(c1, 1);
		assert_ok(f->seller, pv_dsr_open(f->seller, &ADMIN, c1, "access", NULL, &dsr));
		FILE *mem = open_memstream(&text, &tlen);
		pv_access all = { "admin", "all", 1 };
		assert_ok(f->seller, pv_dsr_access_report(f->seller, &all, dsr, 0, mem));
		fclose(mem);
		json_error_t je;
		json_t *rep = json_loads(text, 0, &je);
		json_t *h = json_array_get(json_object_get(rep, "handovers"), 0);
		assert_non_null(h);
		assert_string_equal(json_string_value(json_object_get(h, "recipient")), RNAME);
		assert_string_equal(json_string_value(json_object_get(h, "state")), "exported");
		json_decref(rep);
		free(text);
		pv_free(dsr);
	}
	/* an age file, and no value in clear in it */
	size_t plen = 0;
	char *raw = pvt_keep(pvt_read_file(f->pkg, &plen));
	assert_non_null(raw);
	assert_int_equal(memcmp(raw, "age-encryption.org/v1\n", 22), 0);
	assert_null(memmem(raw, plen, name1, strlen(name1)));
	assert_null(memmem(raw, plen, "C00000001", 9));
	pvt_drop(raw);
	/* a second export to the same file is refused and leaves the package alone */
	pv_handover_summary ex2;
	assert_rc_msg(f->seller, pv_handover_export(f->seller, &ADMIN, id, f->pkg, &ex2),
		      PV_ERR_EXISTS, "exists");

	struct archive a;
	load_archive(f->pkg, f->sk, &a);
	json_t *man = manifest_of(&a);
	assert_int_equal(jint(man, "records"), RT_N);
	assert_int_equal(jint(man, "excluded"), 0);
	assert_string_equal(jstr(man, "root_hash"), ex.root_hash);
	assert_string_equal(jstr(man, "package"), ex.package_id);
	assert_string_equal(jstr(man, "transfer"), id);
	assert_int_equal(line_count(member_of(&a, "records/000001.jsonl")), RT_N);
	assert_int_equal(line_count(member_of(&a, "checklist/000001.tsv")), RT_N);

	pv_handover_summary im;
	char *receipt = import_ok(f, f->pkg, NULL, &im);
	assert_int_equal(im.records, RT_N);
	assert_int_equal(im.records, ex.records);
	assert_string_equal(im.root_hash, ex.root_hash);
	assert_string_equal(im.package_id, ex.package_id);
	assert_int_equal(count_of(f->buyer), RT_N);
	for (size_t i = 0; i < ns; i++) {
		char cust[16];
		cid(cust, sample[i]);
		char *after = record_text(f->buyer, cust);
		if (strcmp(before[i], after) != 0)
			fail_msg("customer %s differs after the handover:\n%s---\n%s", cust,
				 before[i], after);
	}

	char why[400];
	assert_int_equal(pvt_receipt_verify(receipt, f->buyer_pk, why, sizeof why), PV_OK);
	assert_non_null(strstr(why, ex.package_id));
	json_error_t je;
	json_t *rdoc = json_loads(receipt, 0, &je);
	assert_non_null(rdoc);
	json_t *rb = json_object_get(rdoc, "receipt");
	assert_string_equal(jstr(rb, "root_hash"), ex.root_hash);
	assert_string_equal(jstr(rb, "package"), ex.package_id);
	assert_string_equal(jstr(rb, "transfer"), id);
	assert_string_equal(jstr(rb, "recipient_vault"), pv_vault_id(f->buyer));
	assert_string_equal(jstr(rb, "sender_vault"), pv_vault_id(f->seller));
	assert_int_equal(jint(rb, "records"), RT_N);
	assert_int_equal(jint(rb, "imported"), RT_N);
	char seller_pk[65];
	assert_ok(f->seller, pv_vault_public_key(f->seller, seller_pk));
	assert_string_equal(jstr(rb, "sender_public_key"), seller_pk);

	/* the same package again: refused, nothing doubled */
	char *again = NULL;
	pv_handover_summary s3;
	pv_handover_import_opts o = { .identity_file = f->ident };
	assert_rc_msg(f->buyer, pv_handover_import(f->buyer, &ADMIN, f->pkg, &o, &again, &s3),
		      PV_ERR_EXISTS, "already imported");
	assert_null(again);
	assert_int_equal(count_of(f->buyer), RT_N);

	struct certs c = { 0 };
	uint64_t shredded = 0;
	assert_ok(f->seller, pv_handover_confirm(f->seller, &ADMIN, receipt, keep_cert, &c,
						 &shredded));
	assert_int_equal(shredded, RT_N);
	assert_int_equal(count_of(f->seller), 0);
	expect_absent(f->seller, "C00000001");
	expect_state(f->seller, id, "confirmed");
	assert_true(c.n >= 1);
	assert_int_equal(certs_count(&c), jint(rb, "records"));
	assert_int_equal(certs_count(&c), jint(man, "records"));
	for (size_t i = 0; i < c.n; i++) {
		char *text = json_dumps(c.doc[i], JSON_COMPACT);
		assert_non_null(text);
		assert_int_equal(pvt_certificate_verify(text, seller_pk, why, sizeof why), PV_OK);
		free(text);
		const char *grounds = jstr(json_object_get(c.doc[i], "certificate"), "grounds");
		assert_non_null(strstr(grounds, ex.package_id));
	}
	/* confirmed once only */
	certs_free(&c);
	assert_rc_msg(f->seller, pv_handover_confirm(f->seller, &ADMIN, receipt, keep_cert, &c,
						     &shredded), PV_ERR_USAGE, "already confirmed");
	assert_int_equal(c.n, 0);
	/* the buyer still has them all */
	assert_int_equal(count_of(f->buyer), RT_N);
	json_decref(rdoc);
	json_decref(man);
	pvt_csv_free(&csv);
}

/* ---- b. packages changed on the way --------------------------------------------------- */

#define TP_N 60

static void test_tampering(void **state)
{
	struct fx *f = *state;
	make_vaults(f, TP_N, 12);
	char *id = plan(f);
	pv_handover_summary ex;
	assert_ok(f->seller, pv_handover_export(f->seller, &ADMIN, id, f->pkg, &ex));
	char *bad = pvt_keep(pvt_path(f->base, "tampered.age"));

	/* one byte of the payload, one of the header's MAC */
	copy_changed(f->pkg, bad, 0, flip_payload);
	import_refused(f, bad, NULL, NULL, PV_ERR_CORRUPT, "fails to decrypt");
	copy_changed(f->pkg, bad, 0, flip_header_mac);
	import_refused(f, bad, NULL, NULL, PV_ERR_CORRUPT, "HMAC failure");

	/* truncated at half */
	struct stat st;
	assert_int_equal(stat(f->pkg, &st), 0);
	copy_changed(f->pkg, bad, (size_t)st.st_size / 2, NULL);
	import_refused(f, bad, NULL, NULL, PV_ERR_CORRUPT, "truncated");

	/* the wrong identity */
	uint8_t osk[PV_AGE_KEY], opk[PV_AGE_KEY];
	pv_age_keygen(osk, opk);
	char *other_id = pvt_keep(pvt_path(f->base, "other.agekey"));
	char *ot = pv_age_format_identity(osk);
	assert_non_null(ot);
	assert_int_equal(pvt_write_file(other_id, ot, strlen(ot)), 0);
	free(ot);
	import_refused(f, f->pkg, other_id, NULL, PV_ERR_BAD_KEY,
		       "not encrypted to this identity");

	/* inside: records and checklists */
	struct archive a;
	const char *rec = "records/000001.jsonl", *chk = "checklist/000001.tsv";

	/* a record removed from the middle, then the last one */
	load_archive(f->pkg, f->sk, &a);
	assert_int_equal(line_count(member_of(&a, rec)), TP_N);
	edit_lines(member_of(&a, rec), 10, 1, NULL);
	assert_int_equal(line_count(member_of(&a, rec)), TP_N - 1);
	save_archive(&a, f->pk, bad);
	import_refused(f, bad, NULL, NULL, PV_ERR_CORRUPT, "checklist");
	load_archive(f->pkg, f->sk, &a);
	edit_lines(member_of(&a, rec), TP_N - 1, 1, NULL);
	save_archive(&a, f->pk, bad);
	import_refused(f, bad, NULL, NULL, PV_ERR_CORRUPT, "added or removed");
	/* ... and with its checklist line removed too: the count is the manifest's no more */
	load_archive(f->pkg, f->sk, &a);
	edit_lines(member_of(&a, rec), 10, 1, NULL);
	edit_lines(member_of(&a, chk), 10, 1, NULL);
	save_archive(&a, f->pk, bad);
	import_refused(f, bad, NULL, NULL, PV_ERR_CORRUPT, "the manifest says");

	/* a record added: a copy of line 11 under a new customer id */
	load_archive(f->pkg, f->sk, &a);
	char *line = line_of(member_of(&a, rec), 10);
	assert_non_null(strstr(line, "\"C00000011\""));
	char *added = with_id(line, "C00000011", "C00009999");
	edit_lines(member_of(&a, rec), 11, 0, added);
	save_archive(&a, f->pk, bad);
	import_refused(f, bad, NULL, NULL, PV_ERR_CORRUPT, "checklist");
	/* ... with its checklist line as well */
	edit_lines(member_of(&a, chk), 11, 0, checklist_line("C00009999", added));
	save_archive(&a, f->pk, bad);
	import_refused(f, bad, NULL, NULL, PV_ERR_CORRUPT, "the manifest says");

	/* bytes after the last record that make no record: a records member is covered line
	 * by line (the manifest lists no hash of it), so nothing may hide between lines */
	static const char *const tails[] = { "\n", "{}\n", "x" };
	for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
		load_archive(f->pkg, f->sk, &a);
		struct member *m = member_of(&a, rec);
		size_t tl = strlen(tails[i]);
		char *more = malloc(m->len + tl + 1);
		assert_non_null(more);
		memcpy(more, m->data, m->len);
		memcpy(more + m->len, tails[i], tl + 1);
		set_member(m, more, m->len + tl);
		save_archive(&a, f->pk, bad);
		import_refused(f, bad, NULL, NULL, PV_ERR_CORRUPT, rec);
	}

	/* a value changed and its checklist line recomputed: the manifest's root refuses it */
	load_archive(f->pkg, f->sk, &a);
	line = line_of(member_of(&a, rec), 20);
	char *amount = strstr(line, "\"last_order_amount\":\"");
	assert_non_null(amount);
	amount += strlen("\"last_order_amount\":\"");
	assert_true(*amount >= '1' && *amount <= '9');
	*amount = *amount == '9' ? '1' : (char)(*amount + 1);
	assert_non_null(strstr(line_of(member_of(&a, chk), 20), "C00000021\t"));
	edit_lines(member_of(&a, rec), 20, 1, line);
	edit_lines(member_of(&a, chk), 20, 1, checklist_line("C00000021", line));
	save_archive(&a, f->pk, bad);
	import_refused(f, bad, NULL, NULL, PV_ERR_CORRUPT, "root hash");

	/* the manifest signed by another Ed25519 key */
	uint8_t epk[crypto_sign_PUBLICKEYBYTES], esk[crypto_sign_SECRETKEYBYTES];
	crypto_sign_keypair(epk, esk);
	load_archive(f->pkg, f->sk, &a);
	struct member *mf = member_of(&a, "manifest.json");
	char *sig = pv_minisign_sign(esk, mf->data, mf->len, "forged", NULL);
	assert_non_null(sig);
	set_member(member_of(&a, "manifest.json.minisig"), sig, strlen(sig));
	save_archive(&a, f->pk, bad);
	import_refused(f, bad, NULL, NULL, PV_ERR_CORRUPT, "signature does not verify");

	/* the package as sent, but another sender key pinned */
	char *epub = pvt_keep(pv_minisign_public_key_text(epk, NULL));
	assert_non_null(epub);
	import_refused(f, f->pkg, NULL, epub, PV_ERR_CORRUPT, "another key");
	/* a full forgery (the attacker's sender.pub, manifest re-signed) against the pinned key */
	load_archive(f->pkg, f->sk, &a);
	char *fpub = pv_minisign_public_key_text(epk, "pivault vault public key");
	assert_non_null(fpub);
	char hex[65];
	sha256_hex(fpub, hex);
	set_member(member_of(&a, "sender.pub"), fpub, strlen(fpub));
	json_t *man = manifest_of(&a);
	char epkhex[65];
	sodium_bin2hex(epkhex, sizeof epkhex, epk, sizeof epk);
	json_object_set_new(json_object_get(man, "sender"), "public_key", json_string(epkhex));
	json_object_set_new(json_object_get(man, "files"), "sender.pub", json_string(hex));
	char *mtext = json_dumps(man, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(man);
	assert_non_null(mtext);
	set_member(member_of(&a, "manifest.json"), mtext, strlen(mtext));
	sig = pv_minisign_sign(esk, mtext, strlen(mtext), "forged", NULL);
	assert_non_null(sig);
	set_member(member_of(&a, "manifest.json.minisig"), sig, strlen(sig));
	save_archive(&a, f->pk, bad);
	char seller_hex[65];
	uint8_t seller_pk[32];
	assert_ok(f->seller, pv_vault_public_key(f->seller, seller_hex));
	assert_int_equal(sodium_hex2bin(seller_pk, sizeof seller_pk, seller_hex, 64, NULL, NULL,
					NULL), 0);
	char *spub = pvt_keep(pv_minisign_public_key_text(seller_pk, NULL));
	assert_non_null(spub);
	import_refused(f, bad, NULL, spub, PV_ERR_CORRUPT, "another key");
	sodium_memzero(esk, sizeof esk);

	/* control: the archive as sent, taken apart and put together the same way, imports
	 * (so each refusal above was the change's), with the seller's key pinned */
	load_archive(f->pkg, f->sk, &a);
	save_archive(&a, f->pk, bad);
	pv_handover_summary im;
	char *receipt = import_ok(f, bad, spub, &im);
	assert_int_equal(im.records, TP_N);
	assert_string_equal(im.root_hash, ex.root_hash);
	assert_int_equal(count_of(f->buyer), TP_N);
	char why[300];
	assert_int_equal(pvt_receipt_verify(receipt, f->buyer_pk, why, sizeof why), PV_OK);
}

/* The package re-signed by a sender key of its own (epk, esk; nothing pinned), its manifest
 * changed by edit first (NULL: not changed). */
static void forge_signed(struct archive *a, const uint8_t epk[32], const uint8_t *esk,
			 void (*edit)(json_t *m))
{
	char *fpub = pv_minisign_public_key_text(epk, NULL), hex[65], epkhex[65];
	assert_non_null(fpub);
	sha256_hex(fpub, hex);
	set_member(member_of(a, "sender.pub"), fpub, strlen(fpub));
	json_t *man = manifest_of(a);
	sodium_bin2hex(epkhex, sizeof epkhex, epk, 32);
	json_object_set_new(json_object_get(man, "sender"), "public_key", json_string(epkhex));
	json_object_set_new(json_object_get(man, "files"), "sender.pub", json_string(hex));
	if (edit)
		edit(man);
	char *mtext = json_dumps(man, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(man);
	assert_non_null(mtext);
	set_member(member_of(a, "manifest.json"), mtext, strlen(mtext));
	char *sig = pv_minisign_sign(esk, mtext, strlen(mtext), "forged", NULL);
	assert_non_null(sig);
	set_member(member_of(a, "manifest.json.minisig"), sig, strlen(sig));
}

static void drop_package(json_t *m)
{
	json_object_del(m, "package");
}

static void drop_transfer(json_t *m)
{
	json_object_del(m, "transfer");
}

static void drop_sender_vault(json_t *m)
{
	json_object_del(json_object_get(m, "sender"), "vault");
}

static void number_package(json_t *m)
{
	json_object_set_new(m, "package", json_integer(7));
}

static void number_transfer(json_t *m)
{
	json_object_set_new(m, "transfer", json_integer(7));
}

static void long_package(json_t *m)
{
	char id[300];
	memset(id, 'P', sizeof id - 1);
	id[sizeof id - 1] = '\0';
	json_object_set_new(m, "package", json_string(id));
}

/* A signed manifest without the names the receipt repeats (found by fuzz_handover): the
 * package is refused as malformed, naming the field, not as a store failure or as out of
 * memory; nothing lands. */
static void test_manifest_names_missing(void **state)
{
	struct fx *f = *state;
	make_vaults(f, 3, 31);
	char *id = plan(f);
	pv_handover_summary ex;
	assert_ok(f->seller, pv_handover_export(f->seller, &ADMIN, id, f->pkg, &ex));
	char *bad = pvt_keep(pvt_path(f->base, "forged.age"));
	uint8_t epk[crypto_sign_PUBLICKEYBYTES], esk[crypto_sign_SECRETKEYBYTES];
	crypto_sign_keypair(epk, esk);
	static const struct {
		void (*edit)(json_t *m);
		const char *needle;
	} cases[] = { { drop_package, "manifest.json: package" },
		      { number_package, "manifest.json: package" },
		      { long_package, "manifest.json: package" },
		      { drop_transfer, "manifest.json: transfer" },
		      { number_transfer, "manifest.json: transfer" },
		      { drop_sender_vault, "manifest.json: sender vault" } };
	struct archive a;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		load_archive(f->pkg, f->sk, &a);
		forge_signed(&a, epk, esk, cases[i].edit);
		save_archive(&a, f->pk, bad);
		import_refused(f, bad, NULL, NULL, PV_ERR_CORRUPT, cases[i].needle);
	}
	/* control: the same forgery without the change imports (no key was pinned) */
	load_archive(f->pkg, f->sk, &a);
	forge_signed(&a, epk, esk, NULL);
	save_archive(&a, f->pk, bad);
	pv_handover_summary im;
	(void)import_ok(f, bad, NULL, &im);
	assert_int_equal(im.records, 3);
	sodium_memzero(esk, sizeof esk);
}

/* The root hash over the lines of a records member, as the manifest states it. */
static char forged_root[65];

static void set_forged_root(json_t *m)
{
	json_object_set_new(m, "root_hash", json_string(forged_root));
}

/* Line i of records/000001.jsonl replaced by line, with its checklist line and the
 * manifest's root made to match (re-signed by the forger's key). */
static void forge_record(struct archive *a, size_t i, const char *id, const char *line,
			 const uint8_t epk[32], const uint8_t *esk)
{
	struct member *rec = member_of(a, "records/000001.jsonl");
	edit_lines(rec, i, 1, line);
	edit_lines(member_of(a, "checklist/000001.tsv"), i, 1, checklist_line(id, line));
	json_t *man = manifest_of(a);
	char hex[65];
	sha256_hex(member_of(a, "checklist/000001.tsv")->data, hex);
	json_object_set_new(json_object_get(man, "files"), "checklist/000001.tsv",
			    json_string(hex));
	char *mtext = json_dumps(man, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(man);
	assert_non_null(mtext);
	set_member(member_of(a, "manifest.json"), mtext, strlen(mtext));
	struct pv_merkle_stream ms;
	pv_merkle_stream_init(&ms);
	for (size_t k = 0; k < line_count(rec); k++) {
		const char *l = line_of(rec, k);
		uint8_t h[32], leaf[PV_MERKLE_HASH], root[PV_MERKLE_HASH];
		crypto_hash_sha256(h, (const unsigned char *)l, strlen(l));
		pv_merkle_leaf_hash(h, sizeof h, leaf);
		assert_int_equal(pv_merkle_stream_push(&ms, leaf), 0);
		pv_merkle_stream_root(&ms, root);
		sodium_bin2hex(forged_root, sizeof forged_root, root, sizeof root);
	}
	forge_signed(a, epk, esk, set_forged_root);
}

/* A record whose value (or key) holds an escaped NUL character: the signed line and the
 * value stored would differ (the value was cut at the NUL), so the package is refused,
 * naming the member, the line and the column. */
static void test_record_with_nul(void **state)
{
	struct fx *f = *state;
	make_vaults(f, 3, 37);
	char *id = plan(f);
	pv_handover_summary ex;
	assert_ok(f->seller, pv_handover_export(f->seller, &ADMIN, id, f->pkg, &ex));
	char *bad = pvt_keep(pvt_path(f->base, "forged.age"));
	uint8_t epk[crypto_sign_PUBLICKEYBYTES], esk[crypto_sign_SECRETKEYBYTES];
	crypto_sign_keypair(epk, esk);
	static const struct {
		const char *from, *to, *needle;
	} cases[] = { { "\"last_order_amount\":\"", "\"last_order_amount\":\"1\\u0000",
			"records/000001.jsonl line 2: last_order_amount holds a NUL character" },
		      { "\"last_order_amount\":\"", "\"last_order_amount\\u0000x\":\"",
			"records/000001.jsonl line 2: a column name holds a NUL character" } };
	struct archive a;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		load_archive(f->pkg, f->sk, &a);
		const char *line = line_of(member_of(&a, "records/000001.jsonl"), 1);
		const char *at = strstr(line, cases[i].from);
		assert_non_null(at);
		char *changed = malloc(strlen(line) + strlen(cases[i].to) + 1);
		assert_non_null(changed);
		sprintf(changed, "%.*s%s%s", (int)(at - line), line, cases[i].to,
			at + strlen(cases[i].from));
		forge_record(&a, 1, "C00000002", pvt_keep(changed), epk, esk);
		save_archive(&a, f->pk, bad);
		import_refused(f, bad, NULL, NULL, PV_ERR_CORRUPT, cases[i].needle);
	}
	/* control: the same forgery with a plain character imports */
	load_archive(f->pkg, f->sk, &a);
	const char *line = line_of(member_of(&a, "records/000001.jsonl"), 1);
	const char *at = strstr(line, "\"last_order_amount\":\"");
	char *changed = malloc(strlen(line) + 2);
	assert_non_null(changed);
	sprintf(changed, "%.*s\"last_order_amount\":\"1%s", (int)(at - line), line,
		at + strlen("\"last_order_amount\":\""));
	forge_record(&a, 1, "C00000002", pvt_keep(changed), epk, esk);
	save_archive(&a, f->pk, bad);
	pv_handover_summary im;
	(void)import_ok(f, bad, NULL, &im);
	assert_int_equal(im.records, 3);
	sodium_memzero(esk, sizeof esk);
}

/* ---- c. objections and deletion requests ------------------------------------------ */

#define OB_N 40

struct excl {
	char id[8][16];
	size_t n;
	int other;
};

static int collect_excl(void *ctx, const char *customer, const char *reason)
{
	struct excl *e = ctx;
	if (e->n >= 8 || strlen(customer) >= 16 ||
	    strcmp(reason, "objection or deletion request") != 0) {
		e->other++;
		return 0;
	}
	snprintf(e->id[e->n++], 16, "%s", customer);
	return 0;
}

static void test_objections(void **state)
{
	struct fx *f = *state;
	make_vaults(f, OB_N, 13);
	const char *out[] = { "C00000003", "C00000017", "C00000030" };
	const char *types[] = { "object", "object", "delete" };
	for (size_t i = 0; i < 3; i++) {
		char *d = NULL;
		assert_ok(f->seller, pv_dsr_open(f->seller, &ADMIN, out[i], types[i], NULL, &d));
		pv_free(d);
	}
	/* an access request keeps nobody out */
	char *d = NULL;
	assert_ok(f->seller, pv_dsr_open(f->seller, &ADMIN, "C00000005", "access", NULL, &d));
	pv_free(d);
	char *id = plan(f);
	struct excl e = { 0 };
	assert_ok(f->seller, pv_transfer_exclusions(f->seller, &ADMIN, id, collect_excl, &e));
	assert_int_equal(e.other, 0);
	assert_int_equal(e.n, 3);
	for (size_t i = 0; i < 3; i++)
		assert_string_equal(e.id[i], out[i]);

	pv_handover_summary ex;
	assert_ok(f->seller, pv_handover_export(f->seller, &ADMIN, id, f->pkg, &ex));
	assert_int_equal(ex.records, OB_N - 3);
	assert_int_equal(ex.excluded, 3);
	struct archive a;
	load_archive(f->pkg, f->sk, &a);
	json_t *man = manifest_of(&a);
	assert_int_equal(jint(man, "records"), OB_N - 3);
	assert_int_equal(jint(man, "excluded"), 3);
	struct member *rec = member_of(&a, "records/000001.jsonl");
	assert_int_equal(line_count(rec), OB_N - 3);
	for (size_t i = 0; i < 3; i++) {
		char q[20];
		snprintf(q, sizeof q, "\"%s\"", out[i]);
		assert_null(strstr(rec->data, q));
		assert_null(strstr(member_of(&a, "checklist/000001.tsv")->data, out[i]));
	}
	assert_non_null(strstr(rec->data, "\"C00000005\""));

	pv_handover_summary im;
	char *receipt = import_ok(f, f->pkg, NULL, &im);
	assert_int_equal(im.records, OB_N - 3);
	assert_int_equal(count_of(f->buyer), OB_N - 3);
	for (size_t i = 0; i < 3; i++)
		expect_absent(f->buyer, out[i]);
	(void)record_text(f->buyer, "C00000005");

	uint64_t n = 0;
	char *cert = NULL;
	assert_ok(f->seller, pv_transfer_shred_excluded(f->seller, &ADMIN, id, &n, &cert));
	assert_int_equal(n, 3);
	assert_non_null(cert);
	json_error_t je;
	json_t *cd = json_loads(cert, 0, &je);
	pv_free(cert);
	assert_non_null(cd);
	json_t *cust = json_object_get(json_object_get(cd, "certificate"), "customers");
	assert_int_equal(json_array_size(cust), 3);
	for (size_t i = 0; i < 3; i++) {
		int found = 0;
		for (size_t k = 0; k < 3; k++)
			found += strcmp(json_string_value(json_array_get(cust, k)), out[i]) == 0;
		assert_int_equal(found, 1);
	}
	assert_int_equal(jint(json_object_get(cd, "certificate"), "count"), 3);
	json_decref(cd);
	assert_int_equal(count_of(f->seller), OB_N - 3);
	for (size_t i = 0; i < 3; i++)
		expect_absent(f->seller, out[i]);

	struct certs c = { 0 };
	uint64_t shredded = 0;
	assert_ok(f->seller, pv_handover_confirm(f->seller, &ADMIN, receipt, keep_cert, &c,
						 &shredded));
	json_t *rdoc = json_loads(receipt, 0, &je);
	assert_non_null(rdoc);
	json_t *rb = json_object_get(rdoc, "receipt");
	assert_int_equal(jint(rb, "records"), jint(man, "records"));
	assert_int_equal(jint(rb, "imported"), jint(man, "records"));
	assert_int_equal(certs_count(&c), jint(man, "records"));
	assert_int_equal(shredded, OB_N - 3);
	assert_int_equal(count_of(f->seller), 0);
	certs_free(&c);
	json_decref(rdoc);
	json_decref(man);
}

/* ---- d. an import killed half-way --------------------------------------------------- */

/* 1 when every thread of process pid sleeps (state S in /proc/PID/task/TID/stat): waiting
 * for input, nothing under way. */
static int all_threads_sleep(pid_t pid)
{
	char dir[64], path[128], stat[512];
	snprintf(dir, sizeof dir, "/proc/%d/task", (int)pid);
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int threads = 0, sleeping = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		threads++;
		snprintf(path, sizeof path, "%s/%.20s/stat", dir, de->d_name);
		FILE *f = fopen(path, "r");
		size_t n = f ? fread(stat, 1, sizeof stat - 1, f) : 0;
		if (f)
			fclose(f);
		stat[n] = '\0';
		const char *end = strrchr(stat, ')'); /* the name may hold spaces and parentheses */
		sleeping += end && end[1] == ' ' && end[2] == 'S';
	}
	closedir(d);
	return threads > 0 && sleeping == threads;
}

/* The FIFO fifo opened for writing once process pid opened it for reading; -1 when pid
 * exited first (its status in *status). */
static int open_fifo_for(const char *fifo, pid_t pid, int *status)
{
	struct timespec nap = { 0, 1000000 };
	for (;;) {
		int fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0) {
			assert_int_equal(fcntl(fd, F_SETFL, 0), 0); /* blocking writes from here */
			return fd;
		}
		assert_int_equal(errno, ENXIO); /* no reader yet */
		if (waitpid(pid, status, WNOHANG) == pid)
			return -1;
		nanosleep(&nap, NULL);
	}
}

/* Wait until process pid has read everything written to the FIFO fd (nothing left in it)
 * and every thread of it sleeps, for 50 checks a millisecond apart in a row: it has done
 * what it can with what it read. 0, or -1 when it exited (status in *status) or 120 s
 * passed. */
static int wait_fifo_drained(int fd, pid_t pid, int *status)
{
	struct timespec t0, t, nap = { 0, 1000000 };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int quiet = 0; quiet < 50;) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return -1;
		int left = -1;
		assert_int_equal(ioctl(fd, FIONREAD, &left), 0);
		quiet = left == 0 && all_threads_sleep(pid) ? quiet + 1 : 0;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 120)
			return -1;
		nanosleep(&nap, NULL);
	}
	return 0;
}

/* Rows of the customers table in the store of the vault at dir, as its DBA counts them
 * (dba.h; customers of an unfinished import included). */
static long long raw_customers(const char *dir)
{
	char *v = pvt_dba_value(dir, "SELECT count(*) FROM customers");
	long long n = strtoll(v, NULL, 10);
	free(v);
	return n;
}

/* Write len bytes to the FIFO fd (its reader must keep reading). */
static void feed(int fd, const char *bytes, size_t len)
{
	void (*was)(int) = signal(SIGPIPE, SIG_IGN);
	for (size_t off = 0; off < len;) {
		ssize_t k = write(fd, bytes + off, len - off);
		if (k <= 0)
			fail_msg("the import stopped reading after %zu of %zu bytes: %s", off, len,
				 strerror(errno));
		off += (size_t)k;
	}
	signal(SIGPIPE, was);
}

static void test_interrupted_import(void **state)
{
	struct fx *f = *state;
	unsigned n = 30000;
	make_vaults(f, n, 14);
	char *id = plan(f);
	pv_handover_summary ex;
	assert_ok(f->seller, pv_handover_export(f->seller, &ADMIN, id, f->pkg, &ex));
	assert_int_equal(ex.records, n);
	pvt_vclose(f->seller);
	f->seller = NULL;
	pvt_vclose(f->buyer);
	f->buyer = NULL;
	char pkg_real[4096];
	assert_non_null(realpath(f->pkg, pkg_real));
	struct stat st;
	assert_int_equal(stat(pkg_real, &st), 0);
	char receipt_path[4200];
	snprintf(receipt_path, sizeof receipt_path, "%s.receipt.json", f->pkg);

	/* The import reads the package from a FIFO the test feeds. Its records come in members
	 * of 4 MiB (PV_HANDOVER_CHUNK), each passed on to the import once read whole, so a
	 * quarter of the file read is not yet a record imported. The test feeds 3/8 of the
	 * package (the first records member whole), waits until the import has read it all
	 * and gone idle, and until its transaction has been open longer than a chunk may be
	 * (import_csv.c: 0.25 s); then 2/8 more (the second member), whose records make it
	 * commit a chunk (kept out of reads until the end). Once it is idle again, with at
	 * least a quarter of the customers committed in the file but not all, it is killed:
	 * well into its records, far from its end. */
	char *fifo = pvt_keep(pvt_path(f->base, "package.fifo"));
	assert_int_equal(mkfifo(fifo, 0600), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);
		if (nul >= 0) {
			dup2(nul, 0);
			dup2(nul, 1);
			dup2(nul, 2);
		}
		execl(pvt_program("pivault-test"), "pivault", "handover", "import", fifo, "--identity",
		      f->ident, "--role", "admin", "--vault", f->buyer_dir, "--key-file",
		      f->buyer_key, (char *)NULL);
		_exit(127);
	}
	int status = 0;
	int wfd = open_fifo_for(fifo, pid, &status);
	if (wfd < 0)
		fail_msg("the import exited (status %d) before it opened the package", status);
	size_t len = 0, eighth = (size_t)st.st_size / 8;
	char *bytes = pvt_keep(pvt_read_file(pkg_real, &len));
	assert_non_null(bytes);
	assert_int_equal(len, (size_t)st.st_size);
	long long rows_before = raw_customers(f->buyer_dir);
	size_t first = 3 * eighth;
	feed(wfd, bytes, first);
	if (wait_fifo_drained(wfd, pid, &status) != 0)
		fail_msg("the import did not wait for more after 3/8 of the package (status %d)",
			 status);
	struct timespec chunk = { 0, 300000000 }; /* longer than a chunk may hold the lock */
	nanosleep(&chunk, NULL);
	feed(wfd, bytes + first, 2 * eighth);
	if (wait_fifo_drained(wfd, pid, &status) != 0)
		fail_msg("the import did not wait for the rest of the package after 5/8 of it "
			 "(status %d)", status);
	/* chunks of its records committed, none of them seen by a read */
	long long rows_in = raw_customers(f->buyer_dir) - rows_before;
	if (rows_in < n / 4 || rows_in >= n)
		fail_msg("5/8 into the package, %lld of its %u customers are committed in the "
			 "store (want a quarter at least, not all)", rows_in, n);
	/* it read exactly what was written and waits, alive, for the rest */
	assert_int_equal(waitpid(pid, &status, WNOHANG), 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(wfd);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		fail_msg("the import was not killed (status %d)", status);
	print_message("import of %u customers killed after reading %zu of %lld bytes, with %lld "
		      "customers committed unseen\n", n, 5 * eighth, (long long)st.st_size, rows_in);
	assert_int_not_equal(access(receipt_path, F_OK), 0);
	char fifo_receipt[4200];
	snprintf(fifo_receipt, sizeof fifo_receipt, "%s.receipt.json", fifo);
	assert_int_not_equal(access(fifo_receipt, F_OK), 0);

	f->buyer = pvt_open_root(f->buyer_dir, NULL, f->buyer_key);
	assert_int_equal(count_of(f->buyer), 0);
	pvt_vclose(f->buyer);
	f->buyer = NULL;

	char *out = NULL;
	int rc = pvt_run(&out, "'%s' handover import '%s' --identity '%s' --role admin --vault '%s' "
			 "--key-file '%s' </dev/null 2>&1", pvt_program("pivault-test"), f->pkg, f->ident,
			 f->buyer_dir, f->buyer_key);
	pvt_keep(out);
	if (rc != 0)
		fail_msg("second import: exit %d: %s", rc, out);
	assert_non_null(strstr(out, ex.package_id));
	f->buyer = pvt_open_root(f->buyer_dir, NULL, f->buyer_key);
	assert_int_equal(count_of(f->buyer), n);
	/* what the killed import left was removed: the file holds each customer once */
	assert_int_equal(raw_customers(f->buyer_dir) - rows_before, n);
	char *receipt = pvt_keep(pvt_read_file(receipt_path, NULL));
	assert_non_null(receipt);
	char why[300];
	assert_int_equal(pvt_receipt_verify(receipt, f->buyer_pk, why, sizeof why), PV_OK);
	json_error_t je;
	json_t *rdoc = json_loads(receipt, 0, &je);
	assert_non_null(rdoc);
	assert_string_equal(jstr(json_object_get(rdoc, "receipt"), "root_hash"), ex.root_hash);
	assert_int_equal(jint(json_object_get(rdoc, "receipt"), "imported"), n);
	json_decref(rdoc);
}

/* ---- e. the real age and minisign tools ------------------------------------------- */

#define IO_N 25

static void test_interop(void **state)
{
	struct fx *f = *state;
	if (access("/usr/bin/age", X_OK) != 0 || access("/usr/bin/minisign", X_OK) != 0)
		fail_msg("/usr/bin/age and /usr/bin/minisign are needed (installed by the set-up)");
	make_vaults(f, IO_N, 15);
	char *id = plan(f);
	pv_handover_summary ex;
	assert_ok(f->seller, pv_handover_export(f->seller, &ADMIN, id, f->pkg, &ex));

	char *x = pvt_keep(pvt_path(f->base, "opened"));
	assert_int_equal(mkdir(x, 0700), 0);
	char *out = NULL;
	int rc = pvt_run(&out, "set -e; cd '%s'; age -d -i '%s' '%s' | tar xf -; "
			 "minisign -V -p sender.pub -m manifest.json 2>&1", x, f->ident, f->pkg);
	pvt_keep(out);
	if (rc != 0)
		fail_msg("age | tar | minisign -V: exit %d: %s", rc, out);
	/* the files are those the manifest lists, with the hashes it gives */
	char *mpath = pvt_keep(pvt_path(x, "manifest.json"));
	json_error_t je;
	json_t *man = json_load_file(mpath, 0, &je);
	assert_non_null(man);
	const char *name;
	json_t *h;
	size_t nfiles = 0;
	json_object_foreach(json_object_get(man, "files"), name, h) {
		char *sum = NULL;
		assert_int_equal(pvt_run(&sum, "cd '%s' && sha256sum '%s'", x, name), 0);
		assert_int_equal(strncmp(sum, json_string_value(h), 64), 0);
		free(sum);
		nfiles++;
	}
	assert_true(nfiles >= 6);
	assert_int_equal(jint(man, "records"), IO_N);
	json_decref(man);
	/* minisign notices a changed manifest */
	assert_int_equal(pvt_run(NULL, "cd '%s' && sed -i 's/\"records\": %d/\"records\": %d/' "
				 "manifest.json && grep -q '\"records\": %d' manifest.json", x, IO_N,
				 IO_N + 1, IO_N + 1), 0);
	assert_int_not_equal(pvt_run(NULL, "cd '%s' && minisign -V -p sender.pub -m manifest.json "
				     ">/dev/null 2>&1", x), 0);

	/* the same tar, re-encrypted by age itself, is a package pivault accepts */
	char *plain = pvt_keep(pvt_path(f->base, "plain.tar"));
	char *pkg2 = pvt_keep(pvt_path(f->base, "by-age.age"));
	rc = pvt_run(&out, "age -d -i '%s' -o '%s' '%s' 2>&1 && age -r '%s' -o '%s' '%s' 2>&1",
		     f->ident, plain, f->pkg, f->recipient, pkg2, plain);
	pvt_keep(out);
	if (rc != 0)
		fail_msg("age: exit %d: %s", rc, out);
	size_t a_len = 0, b_len = 0;
	char *a = pvt_keep(pvt_read_file(f->pkg, &a_len)), *b = pvt_keep(pvt_read_file(pkg2, &b_len));
	assert_true(a && b);
	assert_false(a_len == b_len && memcmp(a, b, a_len) == 0);
	pv_handover_summary im;
	char *receipt = import_ok(f, pkg2, NULL, &im);
	assert_int_equal(im.records, IO_N);
	assert_string_equal(im.root_hash, ex.root_hash);
	assert_int_equal(count_of(f->buyer), IO_N);
	char why[300];
	assert_int_equal(pvt_receipt_verify(receipt, f->buyer_pk, why, sizeof why), PV_OK);
}

/* ---- e2. receipts checked against the key the plan pinned ------------------------------ */

#define FR_N 30

/* A receipt for transfer id made by the holder of sk (an insider's fresh key, not the
 * recipient vault's), naming the package the seller recorded and carrying pk as its
 * "recipient_public_key"; imported sets the count it claims. Kept. */
static char *forge_receipt(struct fx *f, const char *id, const uint8_t sk[64], const uint8_t pk[32],
			   json_int_t imported)
{
	json_t *t = transfer_doc(f->seller, id), *pkg = json_object_get(t, "package");
	assert_non_null(pkg);
	char pkhex[65], now[32] = "2026-01-01T00:00:00Z";
	sodium_bin2hex(pkhex, sizeof pkhex, pk, 32);
	json_t *body = json_pack("{s:s, s:i, s:O, s:s, s:O, s:O, s:O, s:I, s:s, s:s, s:s}",
				 "type", "pivault handover receipt", "version", 1, "package",
				 json_object_get(pkg, "package"), "transfer", id, "manifest_sha256",
				 json_object_get(pkg, "manifest_sha256"), "root_hash",
				 json_object_get(pkg, "root_hash"), "records",
				 json_object_get(pkg, "records"), "imported", imported, "received", now,
				 "recipient_vault", "00000000000000000000000000000000",
				 "recipient_public_key", pkhex);
	assert_non_null(body);
	char *canon = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	uint8_t sig[64];
	char sighex[129];
	crypto_sign_detached(sig, NULL, (const unsigned char *)canon, strlen(canon), sk);
	sodium_bin2hex(sighex, sizeof sighex, sig, sizeof sig);
	json_t *doc = json_pack("{s:o, s:s}", "receipt", body, "signature", sighex);
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	free(canon);
	json_decref(doc);
	json_decref(t);
	return pvt_keep(text);
}

/* confirm must refuse receipt with want and needle (and needle2, unless NULL) in the
 * message, shredding nothing. */
static void confirm_refused2(struct fx *f, const char *id, const char *receipt, pv_rc want,
			     const char *needle, const char *needle2, uint64_t customers)
{
	struct certs c = { 0 };
	uint64_t shredded = 99;
	pv_rc rc = pv_handover_confirm(f->seller, &ADMIN, receipt, keep_cert, &c, &shredded);
	if (rc == PV_OK)
		fail_msg("receipt accepted: %llu customers shredded", (unsigned long long)shredded);
	assert_rc_msg(f->seller, rc, want, needle);
	if (needle2 && !strstr(pv_errmsg(f->seller), needle2))
		fail_msg("'%s' not in: %s", needle2, pv_errmsg(f->seller));
	assert_int_equal(shredded, 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(count_of(f->seller), customers);
	expect_state(f->seller, id, "exported");
}

static void confirm_refused(struct fx *f, const char *id, const char *receipt, pv_rc want,
			    const char *needle, uint64_t customers)
{
	confirm_refused2(f, id, receipt, want, needle, NULL, customers);
}

/* The attack as it was run: an insider exports the approved package, keeps it (never
 * imported anywhere), signs a receipt for it with a key of their own that the receipt
 * itself carries, and has it confirmed. Nothing may be shredded: the plan pinned the
 * buyer vault's key, and only that key is accepted. */
static void test_forged_receipt(void **state)
{
	struct fx *f = *state;
	make_vaults(f, FR_N, 21);
	char *id = plan(f);
	pv_handover_summary ex;
	assert_ok(f->seller, pv_handover_export(f->seller, &ADMIN, id, f->pkg, &ex));
	uint8_t pk[32], sk[64], buyer[32];
	crypto_sign_keypair(pk, sk);
	char *forged = forge_receipt(f, id, sk, pk, FR_N);
	char want_fp[PV_FINGERPRINT_SIZE], got_fp[PV_FINGERPRINT_SIZE], pkhex[65], why[400];
	sodium_bin2hex(pkhex, sizeof pkhex, pk, sizeof pk);
	assert_int_equal(pv_key_fingerprint(f->buyer_pk, want_fp), PV_OK);
	assert_int_equal(pv_key_fingerprint(pkhex, got_fp), PV_OK);
	confirm_refused2(f, id, forged, PV_ERR_CORRUPT, want_fp, got_fp, FR_N);
	assert_int_equal(pvt_receipt_verify(forged, f->buyer_pk, why, sizeof why), PV_ERR_CORRUPT);
	assert_non_null(strstr(why, want_fp));
	assert_non_null(strstr(why, got_fp));
	/* the key a receipt carries is never enough, even checked alone */
	assert_int_equal(pvt_receipt_verify(forged, NULL, why, sizeof why), PV_ERR_USAGE);
	assert_int_equal(pvt_handover_check_receipt(f->seller, &ADMIN, forged, why, sizeof why),
			 PV_ERR_CORRUPT);
	/* nor does naming the buyer's key help a receipt the buyer did not sign */
	assert_int_equal(sodium_hex2bin(buyer, sizeof buyer, f->buyer_pk, 64, NULL, NULL, NULL),
			 0);
	char *posing = forge_receipt(f, id, sk, buyer, FR_N);
	confirm_refused(f, id, posing, PV_ERR_CORRUPT, "does not verify", FR_N);
	/* the insider cannot re-pin the plan to their own key: a pinned key never changes */
	assert_rc_msg(f->seller, pv_transfer_pin_vault_key(f->seller, &ADMIN, id, pkhex),
		      PV_ERR_EXISTS, "never changes");
	confirm_refused(f, id, forged, PV_ERR_CORRUPT, want_fp, FR_N);
	/* the genuine receipt goes through and names the pinned key */
	pv_handover_summary im;
	char *receipt = import_ok(f, f->pkg, NULL, &im);
	assert_int_equal(pvt_handover_check_receipt(f->seller, &ADMIN, receipt, why, sizeof why),
			 PV_OK);
	assert_non_null(strstr(why, want_fp));
	struct certs c = { 0 };
	uint64_t shredded = 0;
	assert_ok(f->seller, pv_handover_confirm(f->seller, &ADMIN, receipt, keep_cert, &c,
						 &shredded));
	assert_int_equal(shredded, FR_N);
	const char *grounds = jstr(json_object_get(c.doc[0], "certificate"), "grounds");
	assert_non_null(strstr(grounds, want_fp));
	certs_free(&c);
	sodium_memzero(sk, sizeof sk);
}

/* A transfer of KC_N customers exported and received; then the customers of ids
 * C00000001... numbered from..to are shredded outside the confirm; then the confirm must
 * complete, shredding the rest (want of them), and close the transfer. */
#define KC_N 30
static void confirm_after_shreds(struct fx *f, unsigned from, unsigned to, uint64_t want)
{
	make_vaults(f, KC_N, 41);
	char *id = plan(f);
	pv_handover_summary ex, im;
	assert_ok(f->seller, pv_handover_export(f->seller, &ADMIN, id, f->pkg, &ex));
	char *receipt = import_ok(f, f->pkg, NULL, &im);
	char ids[KC_N][16];
	const char *gone[KC_N];
	size_t n = 0;
	for (unsigned i = from; i <= to; i++, n++) {
		cid(ids[n], i);
		gone[n] = ids[n];
	}
	char *cert = NULL;
	assert_ok(f->seller, pv_shred(f->seller, &ADMIN, gone, n, &cert));
	pv_free(cert);
	expect_state(f->seller, id, "exported");
	struct certs c = { 0 };
	uint64_t shredded = 12345;
	assert_ok(f->seller, pv_handover_confirm(f->seller, &ADMIN, receipt, keep_cert, &c,
						 &shredded));
	assert_int_equal(shredded, want);
	assert_int_equal(certs_count(&c), (int64_t)want);
	assert_int_equal(count_of(f->seller), 0);
	expect_state(f->seller, id, "confirmed");
	certs_free(&c);
}

/* A confirm killed after its shred committed and before it closed the transfer (kill -9,
 * a crash): every handed-over customer is gone, the transfer still "exported". Running
 * the confirm again completes and closes the transfer. */
static void test_confirm_after_killed_confirm(void **state)
{
	confirm_after_shreds(*state, 1, KC_N, 0);
}

/* A customer shredded between the export and the confirm (a deletion request) does not
 * block the others' shred. */
static void test_confirm_after_one_left(void **state)
{
	confirm_after_shreds(*state, 7, 7, KC_N - 1);
}

/* A plan made without the recipient vault key cannot be confirmed, whoever signed the
 * receipt; the refusal says how to pin it, and once pinned (by the root key holder here)
 * only that key is accepted. */
static void test_receipt_needs_pinned_key(void **state)
{
	struct fx *f = *state;
	make_vaults(f, FR_N, 22);
	char today[11];
	pv_date_today(0, today);
	pv_transfer_spec sp = { .recipient_name = RNAME, .recipient_contact = RCONTACT,
				.recipient_key = f->recipient, .deadline = today };
	char *id = NULL;
	assert_ok(f->seller, pv_transfer_plan(f->seller, &ADMIN, &sp, &id));
	pvt_keep(id);
	json_t *t = transfer_doc(f->seller, id);
	assert_true(json_is_null(json_object_get(t, "recipient_vault_key_fingerprint")));
	json_decref(t);
	pv_handover_summary ex, im;
	assert_ok(f->seller, pv_handover_export(f->seller, &ADMIN, id, f->pkg, &ex));
	char *receipt = import_ok(f, f->pkg, NULL, &im);
	confirm_refused(f, id, receipt, PV_ERR_USAGE, "transfer pin-key", FR_N);
	uint8_t pk[32], sk[64];
	crypto_sign_keypair(pk, sk);
	confirm_refused(f, id, forge_receipt(f, id, sk, pk, FR_N), PV_ERR_USAGE, "no recipient "
			"vault key", FR_N);
	sodium_memzero(sk, sizeof sk);
	/* malformed keys and this vault's own key are refused */
	char own[65];
	assert_ok(f->seller, pv_vault_public_key(f->seller, own));
	assert_rc_msg(f->seller, pv_transfer_pin_vault_key(f->seller, &ADMIN, id, "abc"),
		      PV_ERR_USAGE, "64 hex digits");
	assert_rc_msg(f->seller, pv_transfer_pin_vault_key(f->seller, &ADMIN, id, own),
		      PV_ERR_USAGE, "own key");
	assert_ok(f->seller, pv_transfer_pin_vault_key(f->seller, &ADMIN, id, f->buyer_pk));
	char fp[PV_FINGERPRINT_SIZE];
	assert_int_equal(pv_key_fingerprint(f->buyer_pk, fp), PV_OK);
	t = transfer_doc(f->seller, id);
	assert_string_equal(jstr(t, "recipient_vault_key_fingerprint"), fp);
	json_decref(t);
	struct certs c = { 0 };
	uint64_t shredded = 0;
	assert_ok(f->seller, pv_handover_confirm(f->seller, &ADMIN, receipt, keep_cert, &c,
						 &shredded));
	assert_int_equal(shredded, FR_N);
	certs_free(&c);
	/* a confirmed transfer takes no key */
	assert_rc_msg(f->seller, pv_transfer_pin_vault_key(f->seller, &ADMIN, id, f->buyer_pk),
		      PV_ERR_USAGE, "already confirmed");
}

/* A DBA copies the pin's seal of plan from into plan to's row (SQLite's JSON functions, or
 * PostgreSQL's jsonb: the plan is text in both). */
static void copy_vault_key_seal(const char *dir, const char *from, const char *to)
{
	if (pvt_dba_pg(dir))
		assert_int_equal(pvt_dba(NULL, dir, "UPDATE transfers SET plan = jsonb_set("
					 "plan::jsonb, '{recipient,vault_key_seal}', (SELECT "
					 "plan::jsonb #> '{recipient,vault_key_seal}' FROM transfers "
					 "WHERE id = '%s'))::text WHERE id = '%s'", from, to), 0);
	else
		assert_int_equal(pvt_dba(NULL, dir, "UPDATE transfers SET plan = json_set(plan, "
					 "'$.recipient.vault_key_seal', (SELECT json_extract(plan, "
					 "'$.recipient.vault_key_seal') FROM transfers WHERE id = '%s')) "
					 "WHERE id = '%s'", from, to), 0);
}

/* A DBA with SQL on the seller's store swaps the pinned key in the plan's row for a key of
 * their own, then hands in a receipt signed by it. The pin carries the vault's seal over
 * the plan id and the key: the changed pin is refused, and nothing is shredded. */
static void test_pinned_key_edited_by_sql(void **state)
{
	struct fx *f = *state;
	make_vaults(f, FR_N, 25);
	char *id = plan(f);
	pv_handover_summary ex;
	assert_ok(f->seller, pv_handover_export(f->seller, &ADMIN, id, f->pkg, &ex));
	uint8_t pk[32], sk[64];
	crypto_sign_keypair(pk, sk);
	char pkhex[65];
	sodium_bin2hex(pkhex, sizeof pkhex, pk, sizeof pk);
	char *forged = forge_receipt(f, id, sk, pk, FR_N);
	sodium_memzero(sk, sizeof sk);
	pvt_vclose(f->seller);
	assert_int_equal(pvt_dba(NULL, f->seller_dir, "UPDATE transfers SET plan = replace(plan, "
				 "'%s', '%s') WHERE id = '%s'", f->buyer_pk, pkhex, id), 0);
	f->seller = pvt_open_root(f->seller_dir, NULL, f->seller_key);
	json_t *t = transfer_doc(f->seller, id);
	char *plan_text = json_dumps(json_object_get(t, "plan"), 0);
	assert_non_null(strstr(plan_text, pkhex)); /* the row was edited */
	free(plan_text);
	json_decref(t);
	confirm_refused(f, id, forged, PV_ERR_CORRUPT, "seal", FR_N);
	/* the listing says so; a new pin is refused too (a changed pin is never replaced) */
	t = transfer_doc(f->seller, id);
	assert_non_null(strstr(jstr(t, "recipient_vault_key_fingerprint"), "changed outside"));
	json_decref(t);
	assert_rc_msg(f->seller, pv_transfer_pin_vault_key(f->seller, &ADMIN, id, f->buyer_pk),
		      PV_ERR_CORRUPT, "seal");
	/* a pin sealed for another plan (an insider's plan naming their own key) copied into
	 * this plan's row: the seal names the other plan, so it is refused as well */
	char today[11], *other = NULL;
	pv_date_today(0, today);
	pv_transfer_spec sp = { .recipient_name = RNAME, .recipient_contact = RCONTACT,
				.recipient_key = f->recipient, .deadline = today,
				.recipient_vault_key = pkhex };
	assert_ok(f->seller, pv_transfer_plan(f->seller, &ADMIN, &sp, &other));
	pvt_keep(other);
	pvt_vclose(f->seller);
	copy_vault_key_seal(f->seller_dir, other, id);
	f->seller = pvt_open_root(f->seller_dir, NULL, f->seller_key);
	confirm_refused(f, id, forged, PV_ERR_CORRUPT, "seal", FR_N);
}

/* My variant: a receipt by a real vault's key, for a plan that pinned another vault. Two
 * buyers; the plan pins the second. The first buyer (it holds the age identity, as one
 * group's two companies might) cannot import the package (the manifest names the pinned
 * key), and a receipt it signs all the same (here with its vault's signing key directly,
 * as a modified pivault would) is sound and matches the package, yet is refused: the plan
 * pinned the second buyer's key. */
static void test_receipt_by_another_recipient(void **state)
{
	struct fx *f = *state;
	make_vaults(f, FR_N, 23);
	char *b2dir = pvt_keep(pvt_path(f->base, "buyer2"));
	char *b2key = pvt_keep(pvt_path(f->base, "buyer2.key"));
	pv_vault *b2 = pvt_track(pvt_sample_vault(b2dir, b2key, 0, 24, NULL));
	char b2pk[65], today[11];
	assert_ok(b2, pv_vault_public_key(b2, b2pk));
	pv_date_today(0, today);
	pv_transfer_spec sp = { .recipient_name = RNAME, .recipient_contact = RCONTACT,
				.recipient_key = f->recipient, .deadline = today,
				.recipient_vault_key = b2pk };
	char *id = NULL;
	assert_ok(f->seller, pv_transfer_plan(f->seller, &ADMIN, &sp, &id));
	pvt_keep(id);
	pv_handover_summary ex, im;
	assert_ok(f->seller, pv_handover_export(f->seller, &ADMIN, id, f->pkg, &ex));
	char why[400], fp1[PV_FINGERPRINT_SIZE], fp2[PV_FINGERPRINT_SIZE];
	assert_int_equal(pv_key_fingerprint(f->buyer_pk, fp1), PV_OK);
	assert_int_equal(pv_key_fingerprint(b2pk, fp2), PV_OK);
	import_refused(f, f->pkg, NULL, NULL, PV_ERR_USAGE, fp2);
	uint8_t buyer[32];
	assert_int_equal(sodium_hex2bin(buyer, sizeof buyer, f->buyer_pk, 64, NULL, NULL, NULL),
			 0);
	char *receipt = forge_receipt(f, id, f->buyer->keys->sign_secret, buyer, FR_N);
	assert_int_equal(pvt_receipt_verify(receipt, f->buyer_pk, why, sizeof why), PV_OK);
	confirm_refused2(f, id, receipt, PV_ERR_CORRUPT, fp2, fp1, FR_N);
	/* the second buyer's own receipt for the same package is accepted */
	pv_handover_import_opts o = { .identity_file = f->ident };
	char *r2 = NULL;
	assert_ok(b2, pv_handover_import(b2, &ADMIN, f->pkg, &o, &r2, &im));
	pvt_keep(r2);
	struct certs c = { 0 };
	uint64_t shredded = 0;
	assert_ok(f->seller, pv_handover_confirm(f->seller, &ADMIN, r2, keep_cert, &c, &shredded));
	assert_int_equal(shredded, FR_N);
	certs_free(&c);
}

/* ---- f. roles, four-eyes approval, a changed receipt ------------------------------------ */

#define RL_N 20
#define PW_CLERK "clerk-password-1"
#define PW_DPO1 "dpo1-password-1"
#define PW_DPO2 "dpo2-password-1"

static void test_roles(void **state)
{
	struct fx *f = *state;
	make_vaults(f, RL_N, 16);
	assert_ok(f->seller, pvt_user_add(f->seller, &ADMIN, "clerk1", "clerk", PW_CLERK,
					 strlen(PW_CLERK)));
	assert_ok(f->seller, pvt_user_add(f->seller, &ADMIN, "dpo1", "dpo", PW_DPO1,
					 strlen(PW_DPO1)));
	assert_ok(f->seller, pvt_user_add(f->seller, &ADMIN, "dpo2", "dpo", PW_DPO2,
					 strlen(PW_DPO2)));
	char *id = plan(f);
	char today[11];
	pv_date_today(0, today);
	pv_transfer_spec sp = { .recipient_name = RNAME, .recipient_contact = RCONTACT,
				.recipient_key = f->recipient, .deadline = today };
	char *nid = NULL;
	pv_handover_summary s;

	/* no 'handover': the clerk role, through the root key and as a user */
	assert_int_equal(pv_transfer_plan(f->seller, &CLERK, &sp, &nid), PV_ERR_DENIED);
	assert_null(nid);
	assert_int_equal(pv_handover_export(f->seller, &CLERK, id, f->pkg, &s), PV_ERR_DENIED);
	assert_int_not_equal(access(f->pkg, F_OK), 0);
	pvt_vclose(f->seller);
	pv_vault *u = pvt_open_user(f->seller_dir, "clerk1", PW_CLERK);
	assert_int_equal(pv_transfer_plan(u, NULL, &sp, &nid), PV_ERR_DENIED);
	assert_null(nid);
	assert_rc_msg(u, pv_handover_export(u, NULL, id, f->pkg, &s), PV_ERR_DENIED, "");
	assert_int_not_equal(access(f->pkg, F_OK), 0);
	pvt_vclose(u);

	/* 'handover' without an approved request: may plan, may not export */
	u = pvt_open_user(f->seller_dir, "dpo1", PW_DPO1);
	assert_ok(u, pv_transfer_plan(u, NULL, &sp, &nid));
	pvt_keep(nid);
	/* pinning a recipient vault key to a plan after the fact takes a second person */
	assert_rc_msg(u, pv_transfer_pin_vault_key(u, NULL, nid, f->buyer_pk), PV_ERR_DENIED,
		      "four-eyes approval");
	assert_rc_msg(u, pv_handover_export(u, NULL, id, f->pkg, &s), PV_ERR_DENIED,
		      "four-eyes approval");
	assert_int_not_equal(access(f->pkg, F_OK), 0);
	expect_state(u, id, "planned");
	/* notices carry contact details in clear: a dpo without a signed agreement and
	 * current training (the role requires them) may not render them */
	{
		char *text = NULL;
		size_t tlen = 0;
		uint64_t sent = 0;
		FILE *mem = open_memstream(&text, &tlen);
		assert_rc_msg(u, pv_transfer_notify(u, &USER_NOTIFY, id, NULL, "en", PV_EXPORT_CSV,
						    mem, &sent),
			      PV_ERR_DENIED, "in clear");
		fclose(mem);
		assert_int_equal(sent, 0);
		assert_null(strstr(text, "@")); /* nothing written */
		free(text);
	}
	/* with one approved by another user, it may */
	char *rid = NULL;
	pv_handover_summary asked;
	assert_ok(u, pv_request_begin(u, "sale of the business", 0, NULL));
	assert_int_equal(pv_handover_export(u, NULL, id, f->pkg, &asked), PV_REQUESTED);
	assert_int_not_equal(access(f->pkg, F_OK), 0); /* asking writes no package */
	assert_ok(u, pv_request_submit(u, &rid));
	pvt_keep(rid);
	pvt_vclose(u);
	pv_vault *u2 = pvt_open_user(f->seller_dir, "dpo2", PW_DPO2);
	assert_ok(u2, pv_request_decide(u2, NULL, rid, 1, NULL));
	pvt_vclose(u2);
	u = pvt_open_user(f->seller_dir, "dpo1", PW_DPO1);
	assert_ok(u, pv_vault_use_request(u, rid));
	pv_handover_summary ex;
	assert_ok(u, pv_handover_export(u, NULL, id, f->pkg, &ex));
	assert_int_equal(ex.records, RL_N);
	pvt_vclose(u);

	/* a receipt edited after signing is refused, and the seller keeps its customers */
	pv_handover_summary im;
	char *receipt = import_ok(f, f->pkg, NULL, &im);
	json_error_t je;
	json_t *doc = json_loads(receipt, 0, &je);
	assert_non_null(doc);
	json_t *body = json_object_get(doc, "receipt");
	json_object_set_new(body, "records", json_integer(RL_N - 1));
	json_object_set_new(body, "imported", json_integer(RL_N - 1));
	char *edited = pvt_keep(json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS));
	json_decref(doc);
	assert_non_null(edited);
	char why[300];
	assert_int_equal(pvt_receipt_verify(receipt, f->buyer_pk, why, sizeof why), PV_OK);
	assert_int_equal(pvt_receipt_verify(edited, f->buyer_pk, why, sizeof why), PV_ERR_CORRUPT);
	assert_non_null(strstr(why, "signature"));
	f->seller = pvt_open_root(f->seller_dir, NULL, f->seller_key);
	struct certs c = { 0 };
	uint64_t shredded = 99;
	assert_rc_msg(f->seller, pv_handover_confirm(f->seller, &ADMIN, edited, keep_cert, &c,
						     &shredded), PV_ERR_CORRUPT, "receipt refused");
	assert_int_equal(shredded, 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(count_of(f->seller), RL_N);
	expect_state(f->seller, id, "exported");
	/* nor may a user without an approved request confirm with the genuine one */
	pvt_vclose(f->seller);
	u = pvt_open_user(f->seller_dir, "dpo1", PW_DPO1);
	assert_rc_msg(u, pv_handover_confirm(u, NULL, receipt, keep_cert, &c, &shredded),
		      PV_ERR_DENIED, "four-eyes");
	assert_int_equal(c.n, 0);

	/* The approval binds the receipt's bytes: asked and approved for the genuine one, it
	 * cannot confirm with another text, not even the same receipt laid out anew. */
	assert_ok(u, pv_request_begin(u, "buyer's receipt", 0, NULL));
	assert_int_equal(pv_handover_confirm(u, NULL, receipt, keep_cert, &c, &shredded),
			 PV_REQUESTED);
	assert_int_equal(c.n, 0);
	assert_ok(u, pv_request_submit(u, &rid));
	pvt_keep(rid);
	pvt_vclose(u);
	u2 = pvt_open_user(f->seller_dir, "dpo2", PW_DPO2);
	assert_ok(u2, pv_request_decide(u2, NULL, rid, 1, NULL));
	pvt_vclose(u2);
	json_t *same = json_loads(receipt, 0, &je);
	assert_non_null(same);
	char *relaid = pvt_keep(json_dumps(same, JSON_COMPACT | JSON_SORT_KEYS));
	json_decref(same);
	assert_non_null(relaid);
	assert_string_not_equal(relaid, receipt);
	u = pvt_open_user(f->seller_dir, "dpo1", PW_DPO1);
	assert_ok(u, pv_vault_use_request(u, rid));
	assert_rc_msg(u, pv_handover_confirm(u, NULL, relaid, keep_cert, &c, &shredded),
		      PV_ERR_DENIED, "differs from what was approved");
	assert_int_equal(shredded, 0);
	assert_int_equal(c.n, 0);
	pvt_vclose(u);
	f->seller = pvt_open_root(f->seller_dir, NULL, f->seller_key);
	assert_int_equal(count_of(f->seller), RL_N);
}

/* ---- f2. sets frozen into an approval ------------------------------------------------ */

/* The customers a plan leaves out, and those its package holds, are computed when the
 * request is made and bound to it: a customer who objects after the approval changes
 * both sets, so the approved shred of the excluded and the approved export are refused
 * at run, with nothing shredded and no package written. */
static void test_approved_sets_frozen(void **state)
{
	struct fx *f = *state;
	make_vaults(f, OB_N, 13);
	assert_ok(f->seller, pvt_user_add(f->seller, &ADMIN, "dpo1", "dpo", PW_DPO1,
					 strlen(PW_DPO1)));
	assert_ok(f->seller, pvt_user_add(f->seller, &ADMIN, "dpo2", "dpo", PW_DPO2,
					 strlen(PW_DPO2)));
	char *d = NULL;
	assert_ok(f->seller, pv_dsr_open(f->seller, &ADMIN, "C00000003", "object", NULL, &d));
	pv_free(d);
	char *id = plan(f);
	pvt_vclose(f->seller);
	f->seller = NULL;

	pv_vault *u = pvt_open_user(f->seller_dir, "dpo1", PW_DPO1);
	char *shred_req = NULL, *export_req = NULL, *cert = NULL;
	uint64_t n = 0;
	pv_handover_summary ex;
	assert_ok(u, pv_request_begin(u, "objectors", 0, NULL));
	assert_int_equal(pv_transfer_shred_excluded(u, NULL, id, &n, &cert), PV_REQUESTED);
	assert_ok(u, pv_request_submit(u, &shred_req));
	pvt_keep(shred_req);
	assert_ok(u, pv_request_begin(u, "sale of the business", 0, NULL));
	assert_int_equal(pv_handover_export(u, NULL, id, f->pkg, &ex), PV_REQUESTED);
	assert_ok(u, pv_request_submit(u, &export_req));
	pvt_keep(export_req);
	pvt_vclose(u);
	pv_vault *u2 = pvt_open_user(f->seller_dir, "dpo2", PW_DPO2);
	assert_ok(u2, pv_request_decide(u2, NULL, shred_req, 1, NULL));
	assert_ok(u2, pv_request_decide(u2, NULL, export_req, 1, NULL));
	pvt_vclose(u2);

	/* after the approvals, a second customer objects */
	f->seller = pvt_open_root(f->seller_dir, NULL, f->seller_key);
	assert_ok(f->seller, pv_dsr_open(f->seller, &ADMIN, "C00000017", "object", NULL, &d));
	pv_free(d);
	pvt_vclose(f->seller);
	f->seller = NULL;

	u = pvt_open_user(f->seller_dir, "dpo1", PW_DPO1);
	assert_ok(u, pv_vault_use_request(u, shred_req));
	assert_rc_msg(u, pv_transfer_shred_excluded(u, NULL, id, &n, &cert), PV_ERR_DENIED,
		      "differs from what was approved");
	assert_null(cert);
	pvt_vclose(u);
	u = pvt_open_user(f->seller_dir, "dpo1", PW_DPO1);
	assert_ok(u, pv_vault_use_request(u, export_req));
	assert_rc_msg(u, pv_handover_export(u, NULL, id, f->pkg, &ex), PV_ERR_DENIED,
		      "differs from what was approved");
	assert_int_not_equal(access(f->pkg, F_OK), 0);
	pvt_vclose(u);
	f->seller = pvt_open_root(f->seller_dir, NULL, f->seller_key);
	assert_int_equal(count_of(f->seller), OB_N);
}

/* ---- g. cross-border provision ------------------------------------------------------ */

#define CB_N 20

struct reasons {
	size_t n, no_consent;
};

static int count_reasons(void *ctx, const char *customer, const char *reason)
{
	(void)customer;
	struct reasons *r = ctx;
	r->n++;
	r->no_consent += strstr(reason, "separate consent") != NULL;
	return 0;
}

static void test_cross_border(void **state)
{
	struct fx *f = *state;
	make_vaults(f, CB_N, 17);
	char today[11];
	pv_date_today(0, today);
	pv_transfer_spec sp = { .recipient_name = RNAME, .recipient_contact = RCONTACT,
				.recipient_key = f->recipient, .recipient_country = "US",
				.deadline = today };
	char *id = NULL;
	assert_rc_msg(f->seller, pv_transfer_plan(f->seller, &ADMIN, &sp, &id), PV_ERR_USAGE,
		      "legal basis");
	assert_null(id);
	sp.legal_basis = "handshake";
	assert_rc_msg(f->seller, pv_transfer_plan(f->seller, &ADMIN, &sp, &id), PV_ERR_USAGE,
		      "cross-border");
	assert_null(id);
	id = plan_with(f, f->seller, &ADMIN, "US", "standard-contract", NULL);
	json_t *doc = transfer_doc(f->seller, id);
	assert_true(json_is_true(json_object_get(json_object_get(doc, "plan"), "cross_border")));
	json_decref(doc);

	/* separate consent from three customers; one refuses */
	const char *yes[] = { "C00000002", "C00000005", "C00000011" };
	for (size_t i = 0; i < 3; i++)
		assert_ok(f->seller, pv_transfer_consent(f->seller, &ADMIN, id, yes[i], 1, "web"));
	assert_ok(f->seller, pv_transfer_consent(f->seller, &ADMIN, id, "C00000007", 0, "web"));
	/* a domestic plan needs no separate consent */
	char *dom = plan(f);
	assert_rc_msg(f->seller, pv_transfer_consent(f->seller, &ADMIN, dom, "C00000002", 1, "web"),
		      PV_ERR_USAGE, "not a cross-border");

	struct reasons r = { 0 };
	assert_ok(f->seller, pv_transfer_exclusions(f->seller, &ADMIN, id, count_reasons, &r));
	assert_int_equal(r.n, CB_N - 3);
	assert_int_equal(r.no_consent, CB_N - 3);

	/* the consent history of those handed over goes with them; of the others, nothing */
	assert_ok(f->seller, pv_consent_set(f->seller, &ADMIN, yes[1], "marketing", 1, "letter",
					    "consent-v7"));
	assert_ok(f->seller, pv_consent_set(f->seller, &ADMIN, "C00000007", "marketing", 1,
					    "letter", "consent-v7"));

	pv_handover_summary ex;
	assert_ok(f->seller, pv_handover_export(f->seller, &ADMIN, id, f->pkg, &ex));
	assert_int_equal(ex.records, 3);
	assert_int_equal(ex.excluded, CB_N - 3);
	struct archive a;
	load_archive(f->pkg, f->sk, &a);
	const char *events = member_of(&a, "consents/000001.jsonl")->data;
	assert_non_null(strstr(events, "{\"customer\":\"C00000005\",\"purpose\":\"marketing\","
				      "\"granted\":true"));
	assert_non_null(strstr(events, "\"text_version\":\"consent-v7\""));
	assert_null(strstr(events, "C00000007"));
	assert_null(strstr(events, "C00000001"));
	pv_handover_summary im;
	(void)import_ok(f, f->pkg, NULL, &im);
	assert_int_equal(im.records, 3);
	assert_int_equal(count_of(f->buyer), 3);
	for (size_t i = 0; i < 3; i++)
		(void)record_text(f->buyer, yes[i]);
	expect_absent(f->buyer, "C00000007");
	expect_absent(f->buyer, "C00000001");
}

/* ---- h. notices to the customers ---------------------------------------------------- */

#define NT_N 12

struct notices {
	size_t n, bad;
	char customer[NT_N + 4][16];
	char version[80];
};

static int collect_notice(void *ctx, const pv_notice_info *ni)
{
	struct notices *c = ctx;
	if (c->n >= NT_N + 4 || strcmp(ni->kind, "transfer") != 0 ||
	    strcmp(ni->state, "queued") != 0) {
		c->bad++;
		return 0;
	}
	snprintf(c->customer[c->n++], 16, "%s", ni->customer);
	snprintf(c->version, sizeof c->version, "%s", ni->text_version);
	return 0;
}

static void test_notices(void **state)
{
	struct fx *f = *state;
	make_vaults(f, NT_N, 18);
	char deadline[11];
	pv_date_today(30, deadline);
	char *id = plan_with(f, f->seller, &ADMIN, NULL, NULL, deadline);
	/* before the deadline the package may not be made */
	pv_handover_summary ex;
	assert_rc_msg(f->seller, pv_handover_export(f->seller, &ADMIN, id, f->pkg, &ex),
		      PV_ERR_USAGE, deadline);
	assert_int_not_equal(access(f->pkg, F_OK), 0);

	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	assert_non_null(m);
	uint64_t count = 0;
	pv_rc rc =
		pv_transfer_notify(f->seller, &NOTIFY, id, NULL, "en", PV_EXPORT_CSV, m, &count);
	assert_int_equal(fclose(m), 0);
	pvt_keep(buf);
	assert_ok(f->seller, rc);
	assert_int_equal(count, NT_N);
	struct pvt_csv t;
	assert_int_equal(pvt_csv_parse(buf, &t), 0);
	assert_int_equal(t.nrows, NT_N + 1);
	assert_int_equal(t.ncols, 4);
	assert_string_equal(t.cell[0], "customer_id");
	assert_string_equal(t.cell[3], "text");
	for (size_t r = 1; r <= NT_N; r++) {
		char want[16];
		cid(want, (unsigned)r);
		assert_string_equal(pvt_csv_get(&t, r, "customer_id"), want);
		const char *text = pvt_csv_get(&t, r, "text");
		if (!strstr(text, RNAME) || !strstr(text, deadline))
			fail_msg("notice %zu lacks the recipient or the deadline:\n%s", r, text);
		const char *ch = pvt_csv_get(&t, r, "channel");
		assert_true(strcmp(ch, "email") == 0 || strcmp(ch, "sms") == 0 ||
			    strcmp(ch, "letter") == 0);
		assert_true(strlen(pvt_csv_get(&t, r, "address")) > 0);
	}
	pvt_csv_free(&t);
	expect_state(f->seller, id, "notified");

	struct notices c = { 0 };
	assert_ok(f->seller, pv_notice_list(f->seller, &ADMIN, NULL, collect_notice, &c));
	assert_int_equal(c.bad, 0);
	assert_int_equal(c.n, NT_N);
	for (size_t i = 0; i < NT_N; i++) {
		char want[16];
		cid(want, (unsigned)i + 1);
		assert_string_equal(c.customer[i], want);
	}
	assert_non_null(strstr(c.version, id));
}

/* The "transfer notify" entries that name customers, their ids gathered comma-separated. */
struct told {
	const char *op;
	int entries;
	char ids[1 << 16];
};

static int collect_told(void *ctx, const pv_audit_entry *e)
{
	struct told *t = ctx;
	if (strcmp(e->op, t->op) != 0 || strcmp(e->outcome, "ok") != 0 || !e->ids[0])
		return 0;
	t->entries++;
	size_t l = strlen(t->ids);
	snprintf(t->ids + l, sizeof t->ids - l, "%s%s,", l ? "" : ",", e->ids);
	return 0;
}

static int names(const struct told *t, const char *id)
{
	char want[200];
	snprintf(want, sizeof want, ",%.190s,", id);
	return strstr(t->ids, want) != NULL;
}

#define HEAD_N 300

/* The attack: `notify | head -n 5`. The reader takes five notices and closes the pipe; the
 * notifier dies of SIGPIPE at its next write. The entry naming the five customers shown
 * must be in the log all the same (the old code wrote it, naming no one, only at the end,
 * so a killed run left none). */
static void test_notify_head_attack(void **state)
{
	struct fx *f = *state;
	make_vaults(f, HEAD_N, 21);
	char *id = plan(f);
	pvt_vclose(f->seller);
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		close(fds[0]);
		pv_key *key = NULL;
		pv_vault *v = NULL;
		if (pv_key_from_file(f->seller_key, &key) || pv_vault_open(f->seller_dir, NULL, key, &v))
			_exit(3);
		FILE *out = fdopen(fds[1], "w");
		setvbuf(out, NULL, _IOLBF, 0);
		uint64_t n = 0;
		pv_rc rc = pv_transfer_notify(v, &NOTIFY, id, NULL, "en", PV_EXPORT_JSONL, out, &n);
		_exit(rc == PV_OK ? 0 : 4);
	}
	close(fds[1]);
	FILE *in = fdopen(fds[0], "r");
	char shown[5][32], line[1 << 14];
	for (int i = 0; i < 5; i++) {
		assert_non_null(fgets(line, sizeof line, in));
		json_t *o = json_loads(line, 0, NULL);
		assert_non_null(o);
		snprintf(shown[i], sizeof shown[i], "%s",
			 json_string_value(json_object_get(o, "customer_id")));
		json_decref(o);
	}
	fclose(in); /* head exits */
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGPIPE)
		fail_msg("the notifier was not stopped by the closed pipe (status %d)", st);
	f->seller = pvt_open_root(f->seller_dir, NULL, f->seller_key);
	struct told t = { "transfer notify", 0, "" };
	assert_ok(f->seller, pv_audit_log(f->seller, &ADMIN, NULL, collect_told, &t));
	assert_int_equal(t.entries, 1);
	for (int i = 0; i < 5; i++)
		if (!names(&t, shown[i]))
			fail_msg("customer %s was shown but no audit entry names it", shown[i]);
}

/* Variants: notify names its purpose, and a purpose that does not cover the contact
 * details (billing: no e-mail, no address) renders nothing, whatever the role; a full run
 * names in its entry exactly the customers it showed; inside a batch (where the entry
 * would wait for the batch to commit) it is refused. */
static void test_notify_purpose_and_exact_ids(void **state)
{
	struct fx *f = *state;
	make_vaults(f, NT_N, 22);
	char *id = plan(f);
	static const pv_access none = { "admin", NULL, 0 }, billing = { "admin", "billing", 0 };
	const pv_access *refused[] = { &none, &billing };
	const char *why[] = { "purpose", "in clear" };
	for (int k = 0; k < 2; k++) {
		char *buf = NULL;
		size_t len = 0;
		uint64_t n = 0;
		FILE *m = open_memstream(&buf, &len);
		assert_rc_msg(f->seller, pv_transfer_notify(f->seller, refused[k], id, NULL, "en",
							    PV_EXPORT_JSONL, m, &n),
			      PV_ERR_DENIED, why[k]);
		fclose(m);
		assert_int_equal(len, 0);
		free(buf);
	}
	/* inside a caller's batch the entry could not be committed first: refused */
	{
		char *buf = NULL;
		size_t len = 0;
		uint64_t n = 0;
		assert_ok(f->seller, pv_vault_batch_begin(f->seller));
		FILE *m = open_memstream(&buf, &len);
		assert_rc_msg(f->seller, pv_transfer_notify(f->seller, &NOTIFY, id, NULL, "en",
							    PV_EXPORT_JSONL, m, &n),
			      PV_ERR_USAGE, "batch");
		fclose(m);
		assert_int_equal(len, 0);
		free(buf);
		assert_ok(f->seller, pv_vault_batch_end(f->seller, 0));
	}
	/* a full run: every customer shown is named, and no one else */
	char *buf = NULL;
	size_t len = 0;
	uint64_t n = 0;
	FILE *m = open_memstream(&buf, &len);
	assert_ok(f->seller,
		  pv_transfer_notify(f->seller, &NOTIFY, id, NULL, "en", PV_EXPORT_JSONL, m, &n));
	fclose(m);
	pvt_keep(buf);
	assert_int_equal(n, NT_N);
	struct told t = { "transfer notify", 0, "" };
	assert_ok(f->seller, pv_audit_log(f->seller, &ADMIN, NULL, collect_told, &t));
	assert_int_equal(t.entries, 1);
	size_t shown = 0;
	for (char *l = buf, *e; l && *l; l = e ? e + 1 : NULL, shown++) {
		e = strchr(l, '\n');
		json_t *o = json_loadb(l, e ? (size_t)(e - l) : strlen(l), 0, NULL);
		assert_non_null(o);
		const char *cid_shown = json_string_value(json_object_get(o, "customer_id"));
		if (!names(&t, cid_shown))
			fail_msg("customer %s shown but not named", cid_shown);
		json_decref(o);
	}
	assert_int_equal(shown, NT_N);
	size_t named = 0;
	for (const char *p = t.ids; *p; p++)
		named += *p == ',';
	assert_int_equal(named - 1, NT_N); /* ",a,b,...,z," */
}

static int ignore_dsr(void *ctx, const pv_dsr_info *d)
{
	(void)ctx, (void)d;
	return 0;
}

static int ignore_hold(void *ctx, const pv_hold_info *h)
{
	(void)ctx, (void)h;
	return 0;
}

/* The attack: `transfer exclusions` showed who stays out (and why) with no audit entry at
 * all. Now its entry names them. Variant: the other listings of customer ids (dsr list,
 * hold list) wrote an entry naming no one; theirs name the ids shown. */
static void test_id_listings_audited(void **state)
{
	struct fx *f = *state;
	make_vaults(f, NT_N, 23);
	char *d = NULL;
	assert_ok(f->seller, pv_dsr_open(f->seller, &ADMIN, "C00000003", "object", NULL, &d));
	pv_free(d);
	assert_ok(f->seller, pv_dsr_open(f->seller, &ADMIN, "C00000007", "delete", NULL, &d));
	pv_free(d);
	const char *held[] = { "C00000009" };
	assert_ok(f->seller, pv_hold_add(f->seller, &ADMIN, held, 1, "litigation"));
	char *id = plan(f);
	struct excl e = { 0 };
	assert_ok(f->seller, pv_transfer_exclusions(f->seller, &ADMIN, id, collect_excl, &e));
	assert_int_equal(e.n, 2);
	assert_int_equal(e.other, 1); /* the hold */
	struct told t = { "transfer exclusions", 0, "" };
	assert_ok(f->seller, pv_audit_log(f->seller, &ADMIN, NULL, collect_told, &t));
	assert_int_equal(t.entries, 1);
	for (size_t i = 0; i < e.n; i++)
		if (!names(&t, e.id[i]))
			fail_msg("exclusions showed %s but the entry does not name it", e.id[i]);
	assert_true(names(&t, "C00000009"));
	assert_false(names(&t, "C00000001"));

	assert_ok(f->seller, pv_dsr_list(f->seller, &ADMIN, 0, ignore_dsr, NULL));
	struct told dl = { "dsr list", 0, "" };
	assert_ok(f->seller, pv_audit_log(f->seller, &ADMIN, NULL, collect_told, &dl));
	assert_int_equal(dl.entries, 1);
	assert_true(names(&dl, "C00000003") && names(&dl, "C00000007"));
	assert_false(names(&dl, "C00000009"));

	assert_ok(f->seller, pv_hold_list(f->seller, &ADMIN, ignore_hold, NULL));
	struct told hl = { "hold list", 0, "" };
	assert_ok(f->seller, pv_audit_log(f->seller, &ADMIN, NULL, collect_told, &hl));
	assert_int_equal(hl.entries, 1);
	assert_true(names(&hl, "C00000009"));
	assert_false(names(&hl, "C00000003"));
}

/* A customer sealed by a breach incident (H-seal): no package is made, the refusal names
 * the incident; released (the root secret needs no approval), the export runs. */
static void test_sealed_customer_stops_export(void **state)
{
	struct fx *f = *state;
	make_vaults(f, 5, 31);
	const pv_access service = { "admin", "service", 0 };
	pv_record *r = NULL;
	assert_ok(f->seller, pv_get(f->seller, &service, "C00000003", &r));
	pv_record_free(r);
	char *inc = NULL, at[] = "2026-01-02T03:04:05Z";
	assert_ok(f->seller, pv_incident_open(f->seller, &ADMIN, PV_INCIDENT_LEAK, at,
					      "a printout left behind", &inc));
	const char *only[] = { "C00000003" };
	pv_incident_filter by = { NULL, NULL, NULL, NULL, only, 1 };
	pv_incident_counts n;
	size_t sealed = 0;
	assert_ok(f->seller, pv_incident_scope(f->seller, &ADMIN, inc, &by, &n));
	assert_ok(f->seller, pv_incident_seal(f->seller, &ADMIN, inc, &sealed));
	char *id = plan(f);
	pv_handover_summary ex;
	assert_rc_msg(f->seller, pv_handover_export(f->seller, &ADMIN, id, f->pkg, &ex),
		      PV_ERR_SEALED, inc);
	assert_int_equal(access(f->pkg, F_OK), -1);
	assert_ok(f->seller, pv_incident_release(f->seller, &ADMIN, inc, &sealed));
	assert_ok(f->seller, pv_handover_export(f->seller, &ADMIN, id, f->pkg, &ex));
	assert_int_equal(ex.records, 5);
	pv_free(inc);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_recipient_schema_lacks_a_field, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_tampering, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_manifest_names_missing, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_record_with_nul, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_objections, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_approved_sets_frozen, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_interrupted_import, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_interop, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_forged_receipt, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_confirm_after_killed_confirm, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_confirm_after_one_left, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_receipt_needs_pinned_key, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_pinned_key_edited_by_sql, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_receipt_by_another_recipient, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_roles, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_cross_border, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_notices, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_notify_head_attack, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_id_listings_audited, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_notify_purpose_and_exact_ids, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_sealed_customer_stops_export, fx_setup,
						fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
