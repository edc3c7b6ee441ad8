/* SPDX-License-Identifier: Apache-2.0 */
/* test_records.c: the records a vault keeps about its customers besides their data.
 * Complaints (投诉, 争议): opened against a customer, linked or not to one of that
 * customer's data-subject requests, noted and resolved, listed as open, late, resolved or
 * resolved late against their 15-day deadline; what staff write is sealed under the
 * customer's data key, so it is in no file of the vault in clear and is destroyed (text
 * NULL, the notes still listed) when the customer is shredded. Accuracy reviews (定期审查):
 * customers last confirmed longer ago than a period, oldest first, with the channels to
 * reach them and never a value; a confirmation takes a customer off the list. Keyring
 * escrow: a key pair for the escrow holder, the keyring sealed to it (opened here with
 * libsodium to exactly the keyring's bytes), and destruction certificates naming every
 * escrow copy, which still holds the destroyed keys. Permissions, audit entries, and the
 * pivault complaint / review / keyring commands run as a user would. */
#include "dba.h"
#include "testutil.h"

#include <dirent.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pivault.h"

#define NCUST 20
#define SEED 21

static const pv_access ADMIN = { "admin", NULL, 0 };
static const pv_access DPO = { "dpo", NULL, 0 };
static const pv_access CLERK = { "clerk", NULL, 0 };

/* A phone number and a Chinese name written into complaint notes: neither may be found
 * in clear in any file of the vault. */
#define NOTE_PHONE "13987654321"
#define NOTE_NAME "欧阳娜娜"
#define NOTE_TEXT "客户" NOTE_NAME "来电（" NOTE_PHONE "）称地址有误，要求更正"

/* One vault per test: tmp/vault, tmp/vault.keyring, tmp/root.key; the imported CSV. */
struct fixture {
	char *tmp, *dir, *key, *ring, *err;
	pv_vault *v;
	struct pvt_csv csv;
};

/* ------------------------------------------------------------------ helpers ---- */

static void ok(pv_vault *v, pv_rc rc, const char *what)
{
	if (rc != PV_OK)
		fail_msg("%s: %s: %s", what, pv_strerror(rc), pv_errmsg(v));
}

static void expect_rc(pv_vault *v, pv_rc rc, pv_rc want, const char *what)
{
	if (rc != want)
		fail_msg("%s: got %s (%d), want %s (%d): %s", what, pv_strerror(rc), (int)rc,
			 pv_strerror(want), (int)want, pv_errmsg(v));
}

static void open_vault(struct fixture *f)
{
	assert_null(f->v);
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(f->key, &key), PV_OK);
	pv_rc rc = pv_vault_open(f->dir, NULL, key, &f->v);
	pv_key_free(key);
	ok(f->v, rc, "pv_vault_open");
}

static void close_vault(struct fixture *f)
{
	pv_vault_close(f->v);
	f->v = NULL;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->tmp = pvt_tempdir();
	f->dir = pvt_path(f->tmp, "vault");
	f->key = pvt_path(f->tmp, "root.key");
	f->ring = pvt_path(f->tmp, "vault.keyring");
	f->err = pvt_path(f->tmp, "stderr.txt");
	char *text = NULL;
	assert_int_equal(pvt_run(&text, "'%s' -n %u --seed %u --canonical", pvt_program("pvgen"),
				 NCUST, SEED), 0);
	assert_int_equal(pvt_csv_parse(text, &f->csv), 0);
	assert_int_equal(f->csv.nrows, NCUST + 1);
	char *csv_path = pvt_path(f->tmp, "in.csv");
	assert_int_equal(pvt_write_file(csv_path, text, strlen(text)), 0);
	free(text);

	assert_int_equal(pv_key_generate_file(f->key), PV_OK);
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(f->key, &key), PV_OK);
	pv_create_opts opts = { .schema_path = PV_SOURCE_DIR "/examples/schema.yaml",
				.keyring_slots = 64, .kdf_cost = PV_KDF_FAST };
	pv_rc rc = pv_vault_create(f->dir, &opts, key, &f->v);
	pv_key_free(key);
	ok(f->v, rc, "pv_vault_create");
	pv_import_opts io = { 0 };
	io.threads = 2;
	pv_import_result *res = NULL;
	ok(f->v, pv_import_csv(f->v, &ADMIN, csv_path, &io, &res), "pv_import_csv");
	assert_int_equal(pv_import_rows_imported(res), NCUST);
	pv_import_free(res);
	unlink(csv_path);
	free(csv_path);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	pv_vault_close(f->v);
	pvt_csv_free(&f->csv);
	pvt_rmtree(f->tmp);
	free(f->tmp);
	free(f->dir);
	free(f->key);
	free(f->ring);
	free(f->err);
	free(f);
	return 0;
}

static const char *cell(const struct fixture *f, size_t r, const char *col)
{
	const char *s = pvt_csv_get(&f->csv, r, col);
	assert_non_null(s);
	return s;
}

/* Run SQL on the vault's store behind the library's back, as its DBA would (dba.h; the
 * vault closed); the statements (each ending in ';') must change exactly `changes` rows. */
static void sql_exec(const struct fixture *f, const char *sql, int changes)
{
	assert_null(f->v);
	int changed = 0;
	for (const char *s = sql; *s; s += strcspn(s, ";") + (s[strcspn(s, ";")] == ';')) {
		int len = (int)strcspn(s, ";");
		char *rows = NULL;
		if (pvt_dba(&rows, f->dir, "%.*s RETURNING 1", len, s) != 0)
			fail_msg("the DBA's SQL failed on: %s", sql);
		for (const char *p = rows; *p; p++)
			changed += *p == '\n';
		free(rows);
	}
	assert_int_equal(changed, changes);
}

/* In PostgreSQL the vault's data is rows of its schema, not files: needle (as text, or as
 * the hex of a bytea) found in them is appended to hits, as a file of search_tree is. */
static void search_store(const char *dir, const char *needle, char *hits, size_t hitslen)
{
	if (!pvt_dba_pg(dir))
		return;
	char *rows = pvt_dba_pg_dump(dir);
	if (pvt_dba_pg_dump_holds(rows, needle, strlen(needle))) {
		size_t n = strlen(hits);
		snprintf(hits + n, hitslen - n, " %s (its PostgreSQL schema)", dir);
	}
	free(rows);
}

/* Today (UTC) plus days, as YYYY-MM-DD. */
static void utc_day(char out[11], long days)
{
	time_t t = time(NULL) + (time_t)days * 86400;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static int is_iso_utc(const char *s)
{
	/* YYYY-MM-DDTHH:MM:SSZ */
	if (strlen(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || s[19] != 'Z')
		return 0;
	for (int i = 0; i < 19; i++)
		if (i != 4 && i != 7 && i != 10 && i != 13 && i != 16 && (s[i] < '0' || s[i] > '9'))
			return 0;
	return 1;
}

static int is_lower_hex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int has_digit(const char *s)
{
	for (; *s; s++)
		if (*s >= '0' && *s <= '9')
			return 1;
	return 0;
}

static const char *find_bytes(const char *hay, size_t hn, const char *needle, size_t nn)
{
	if (nn == 0 || hn < nn)
		return NULL;
	for (size_t i = 0; i + nn <= hn; i++)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, nn) == 0)
			return hay + i;
	return NULL;
}

/* Every regular file under path (recursively) that holds needle: their names appended
 * to hits; the number of files searched is returned through *files. */
static void search_tree(const char *path, const char *needle, char *hits, size_t hitslen,
			size_t *files)
{
	struct stat st;
	assert_int_equal(lstat(path, &st), 0);
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		assert_non_null(d);
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			char *sub = pvt_path(path, e->d_name);
			search_tree(sub, needle, hits, hitslen, files);
			free(sub);
		}
		closedir(d);
		return;
	}
	if (!S_ISREG(st.st_mode))
		return;
	size_t len = 0;
	char *data = pvt_read_file(path, &len);
	assert_non_null(data);
	(*files)++;
	if (find_bytes(data, len, needle, strlen(needle))) {
		size_t n = strlen(hits);
		snprintf(hits + n, hitslen - n, " %s", path);
	}
	free(data);
}

/* ---- collected listings ---- */

#define MAXC 16
struct complaint_row {
	char id[32], customer[32], dsr[48], opened[16], due[16], state[24], resolved[16];
};
struct complaints {
	size_t n;
	struct complaint_row c[MAXC];
};

static int collect_complaint(void *ctx, const pv_complaint_info *c)
{
	struct complaints *l = ctx;
	assert_true(l->n < MAXC);
	struct complaint_row *r = &l->c[l->n++];
	assert_non_null(c->id);
	assert_non_null(c->customer);
	assert_non_null(c->dsr);
	assert_non_null(c->opened);
	assert_non_null(c->due);
	assert_non_null(c->state);
	assert_non_null(c->resolved);
	assert_true(strlen(c->id) < sizeof r->id && strlen(c->customer) < sizeof r->customer &&
		    strlen(c->dsr) < sizeof r->dsr && strlen(c->opened) < sizeof r->opened &&
		    strlen(c->due) < sizeof r->due && strlen(c->state) < sizeof r->state &&
		    strlen(c->resolved) < sizeof r->resolved);
	strcpy(r->id, c->id);
	strcpy(r->customer, c->customer);
	strcpy(r->dsr, c->dsr);
	strcpy(r->opened, c->opened);
	strcpy(r->due, c->due);
	strcpy(r->state, c->state);
	strcpy(r->resolved, c->resolved);
	return 0;
}

static const struct complaint_row *list_complaints(pv_vault *v, struct complaints *l,
						   const char *want_id)
{
	memset(l, 0, sizeof *l);
	ok(v, pv_complaint_list(v, &DPO, collect_complaint, l), "pv_complaint_list");
	for (size_t i = 0; want_id && i < l->n; i++)
		if (strcmp(l->c[i].id, want_id) == 0)
			return &l->c[i];
	if (want_id)
		fail_msg("complaint %s is not listed", want_id);
	return NULL;
}

#define MAXN 8
struct note_row {
	char at[32], by[72], kind[24];
	char *text; /* NULL when the library gave NULL */
};
struct notes {
	size_t n;
	struct note_row r[MAXN];
};

static int collect_note(void *ctx, const pv_note_info *n)
{
	struct notes *l = ctx;
	assert_true(l->n < MAXN);
	struct note_row *r = &l->r[l->n++];
	assert_non_null(n->at);
	assert_non_null(n->by);
	assert_non_null(n->kind);
	assert_true(strlen(n->at) < sizeof r->at && strlen(n->by) < sizeof r->by &&
		    strlen(n->kind) < sizeof r->kind);
	strcpy(r->at, n->at);
	strcpy(r->by, n->by);
	strcpy(r->kind, n->kind);
	r->text = n->text ? strdup(n->text) : NULL;
	if (n->text)
		assert_non_null(r->text);
	return 0;
}

static void notes_free(struct notes *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->r[i].text);
	memset(l, 0, sizeof *l);
}

static pv_rc show(pv_vault *v, const pv_access *who, const char *id, struct notes *l)
{
	memset(l, 0, sizeof *l);
	return pv_complaint_show(v, who, id, collect_note, l);
}

#define MAXR (NCUST + 4)
struct review_row {
	char id[32], last[16], channels[64];
};
struct reviews {
	size_t n;
	struct review_row r[MAXR];
};

static int collect_review(void *ctx, const pv_review_info *r)
{
	struct reviews *l = ctx;
	assert_true(l->n < MAXR);
	struct review_row *o = &l->r[l->n++];
	assert_non_null(r->id);
	assert_non_null(r->last_confirmed);
	assert_non_null(r->channels);
	assert_true(strlen(r->id) < sizeof o->id && strlen(r->last_confirmed) < sizeof o->last &&
		    strlen(r->channels) < sizeof o->channels);
	strcpy(o->id, r->id);
	strcpy(o->last, r->last_confirmed);
	strcpy(o->channels, r->channels);
	return 0;
}

/* ---- the audit log ---- */

struct audit_row {
	char *op, *user, *ids, *outcome, *detail;
};
struct audit_rows {
	size_t n, cap;
	struct audit_row *r;
};

static char *dup_or_empty(const char *s)
{
	char *d = strdup(s ? s : "");
	assert_non_null(d);
	return d;
}

static int collect_audit(void *ctx, const pv_audit_entry *e)
{
	struct audit_rows *a = ctx;
	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 64;
		a->r = realloc(a->r, a->cap * sizeof *a->r);
		assert_non_null(a->r);
	}
	struct audit_row *r = &a->r[a->n++];
	r->op = dup_or_empty(e->op);
	r->user = dup_or_empty(e->user);
	r->ids = dup_or_empty(e->ids);
	r->outcome = dup_or_empty(e->outcome);
	r->detail = dup_or_empty(e->detail);
	return 0;
}

static void audit_read(pv_vault *v, struct audit_rows *a)
{
	memset(a, 0, sizeof *a);
	pv_audit_filter all = { NULL, NULL, NULL };
	ok(v, pv_audit_log(v, &ADMIN, &all, collect_audit, a), "pv_audit_log");
}

static void audit_free(struct audit_rows *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->r[i].op);
		free(a->r[i].user);
		free(a->r[i].ids);
		free(a->r[i].outcome);
		free(a->r[i].detail);
	}
	free(a->r);
	memset(a, 0, sizeof *a);
}

/* Entries with exactly op and outcome, ids equal to ids (NULL: any) and a detail
 * containing detail (NULL: any). */
static size_t audit_count(const struct audit_rows *a, const char *op, const char *outcome,
			  const char *ids, const char *detail)
{
	size_t n = 0;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->r[i].op, op) == 0 && strcmp(a->r[i].outcome, outcome) == 0 &&
		    (!ids || strcmp(a->r[i].ids, ids) == 0) &&
		    (!detail || strstr(a->r[i].detail, detail)))
			n++;
	return n;
}

/* ---- files ---- */

static uint8_t *read_bytes(const char *path, size_t *len)
{
	char *d = pvt_read_file(path, len);
	if (!d)
		fail_msg("cannot read %s", path);
	return (uint8_t *)d;
}

static void make_escrow_key(const char *path, char pk_hex[65], uint8_t sk[32])
{
	ok(NULL, pv_escrow_keygen(path, pk_hex), "pv_escrow_keygen");
	size_t len = 0;
	uint8_t *s = read_bytes(path, &len);
	assert_int_equal(len, 32);
	memcpy(sk, s, 32);
	sodium_memzero(s, len);
	free(s);
}

/* Open the escrow file at path (header, vault id, sealed keyring) with the key pair;
 * the keyring's bytes (malloc'd) into *ring, or NULL when the box does not open. The
 * sealed part's BLAKE2b-256 into digest_hex. */
static void open_escrow(pv_vault *v, const char *path, const char *pk_hex, const uint8_t sk[32],
			uint8_t **ring, size_t *ring_len, char digest_hex[65])
{
	size_t len = 0;
	uint8_t *file = read_bytes(path, &len);
	assert_true(len > 24 + crypto_box_SEALBYTES);
	assert_memory_equal(file, "PVESCRW1", 8);
	uint8_t id[16];
	size_t idlen = 0;
	assert_int_equal(sodium_hex2bin(id, sizeof id, pv_vault_id(v), strlen(pv_vault_id(v)),
					NULL, &idlen, NULL), 0);
	assert_int_equal(idlen, 16);
	assert_memory_equal(file + 8, id, 16);
	const uint8_t *sealed = file + 24;
	size_t slen = len - 24;
	uint8_t digest[32];
	crypto_generichash(digest, sizeof digest, sealed, slen, NULL, 0);
	sodium_bin2hex(digest_hex, 65, digest, sizeof digest);
	uint8_t pk[32];
	assert_int_equal(sodium_hex2bin(pk, sizeof pk, pk_hex, 64, NULL, &idlen, NULL), 0);
	assert_int_equal(idlen, 32);
	*ring_len = slen - crypto_box_SEALBYTES;
	*ring = malloc(*ring_len + 1);
	assert_non_null(*ring);
	if (crypto_box_seal_open(*ring, sealed, slen, pk, sk) != 0) {
		free(*ring);
		*ring = NULL;
	}
	free(file);
}

/* The certificate's object (json_t owned by *doc). */
static json_t *certificate_of(const char *text, json_t **doc)
{
	json_error_t jerr;
	*doc = json_loads(text, 0, &jerr);
	if (!*doc)
		fail_msg("certificate is not JSON: %s", jerr.text);
	json_t *c = json_object_get(*doc, "certificate");
	assert_true(json_is_object(c));
	return c;
}

/* ---- the command line ---- */

/* Run `pivault ARGS` against the fixture's vault and root key, stdin from /dev/null;
 * stdout into *out, stderr into *err (both may be NULL). Returns the exit status. */
static int cli(const struct fixture *f, char **out, char **err, const char *fmt, ...)
{
	char args[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	int st = pvt_run(out, "env -u PIVAULT_USER -u PIVAULT_KEYRING -u PIVAULT_PASSPHRASE_FILE "
			 "PIVAULT_VAULT='%s' PIVAULT_KEY_FILE='%s' '%s' %s </dev/null 2>'%s'",
			 f->dir, f->key, pvt_program("pivault-test"), args, f->err);
	char *e = pvt_read_file(f->err, NULL);
	assert_non_null(e);
	if (err)
		*err = e;
	else
		free(e);
	return st;
}

/* ============================================================== complaints ==== */

static void test_complaint_open(void **state)
{
	struct fixture *f = *state;
	const char *c1 = cell(f, 1, "customer_id"), *c2 = cell(f, 2, "customer_id");
	char *dsr1 = NULL, *dsr2 = NULL;
	ok(f->v, pv_dsr_open(f->v, &DPO, c1, "correct", NULL, &dsr1), "pv_dsr_open");
	ok(f->v, pv_dsr_open(f->v, &DPO, c2, "access", NULL, &dsr2), "pv_dsr_open");

	/* Unlinked, then linked to a request of the same customer. */
	char t0[11], d0[11], t1[11], d1[11];
	utc_day(t0, 0);
	utc_day(d0, 15);
	char *k1 = NULL, *k2 = NULL;
	ok(f->v, pv_complaint_open(f->v, &DPO, c1, NULL, "地址写错了", &k1), "open unlinked");
	ok(f->v, pv_complaint_open(f->v, &DPO, c1, dsr1, "更正迟迟未处理", &k2), "open linked");
	utc_day(t1, 0);
	utc_day(d1, 15);
	assert_non_null(k1);
	assert_non_null(k2);
	assert_string_not_equal(k1, k2);
	assert_true(strncmp(k1, "K-", 2) == 0);

	struct complaints l;
	const struct complaint_row *r1 = list_complaints(f->v, &l, k1);
	assert_string_equal(r1->customer, c1);
	assert_string_equal(r1->dsr, "");
	assert_string_equal(r1->state, "open");
	assert_string_equal(r1->resolved, "");
	assert_true((strcmp(r1->opened, t0) == 0 && strcmp(r1->due, d0) == 0) ||
		    (strcmp(r1->opened, t1) == 0 && strcmp(r1->due, d1) == 0));
	const struct complaint_row *r2 = list_complaints(f->v, &l, k2);
	assert_string_equal(r2->customer, c1);
	assert_string_equal(r2->dsr, dsr1);
	assert_string_equal(r2->state, "open");
	assert_int_equal(l.n, 2);

	/* A request of another customer, an unknown request, no text: refused, nothing made. */
	char *k = NULL;
	expect_rc(f->v, pv_complaint_open(f->v, &DPO, c1, dsr2, "text", &k), PV_ERR_USAGE,
		  "request of another customer");
	assert_null(k);
	assert_non_null(strstr(pv_errmsg(f->v), dsr2));
	expect_rc(f->v, pv_complaint_open(f->v, &DPO, c1, "D-00000000", "text", &k),
		  PV_ERR_NOT_FOUND, "unknown request");
	assert_null(k);
	expect_rc(f->v, pv_complaint_open(f->v, &DPO, c1, NULL, "", &k), PV_ERR_USAGE,
		  "empty text");
	assert_null(k);
	expect_rc(f->v, pv_complaint_open(f->v, &DPO, c1, NULL, NULL, &k), PV_ERR_USAGE,
		  "no text");
	assert_null(k);
	expect_rc(f->v, pv_complaint_open(f->v, &DPO, "C99999999", NULL, "text", &k),
		  PV_ERR_NOT_FOUND, "unknown customer");
	assert_null(k);
	list_complaints(f->v, &l, NULL);
	assert_int_equal(l.n, 2);

	/* clerk lacks 'dsr': every complaint operation is refused, naming it. */
	expect_rc(f->v, pv_complaint_open(f->v, &CLERK, c1, NULL, "text", &k), PV_ERR_DENIED,
		  "clerk open");
	assert_null(k);
	assert_non_null(strstr(pv_errmsg(f->v), "'dsr'"));
	expect_rc(f->v, pv_complaint_note(f->v, &CLERK, k1, "text"), PV_ERR_DENIED, "clerk note");
	assert_non_null(strstr(pv_errmsg(f->v), "'dsr'"));
	expect_rc(f->v, pv_complaint_resolve(f->v, &CLERK, k1, "done"), PV_ERR_DENIED,
		  "clerk resolve");
	assert_non_null(strstr(pv_errmsg(f->v), "'dsr'"));
	l.n = 0;
	expect_rc(f->v, pv_complaint_list(f->v, &CLERK, collect_complaint, &l), PV_ERR_DENIED,
		  "clerk list");
	assert_int_equal(l.n, 0);
	assert_non_null(strstr(pv_errmsg(f->v), "'dsr'"));
	struct notes n;
	expect_rc(f->v, show(f->v, &CLERK, k1, &n), PV_ERR_DENIED, "clerk show");
	assert_int_equal(n.n, 0);
	assert_non_null(strstr(pv_errmsg(f->v), "'dsr'"));
	/* No role at all (root key) is refused too. */
	expect_rc(f->v, pv_complaint_open(f->v, NULL, c1, NULL, "text", &k), PV_ERR_DENIED,
		  "no role");
	assert_null(k);
	/* admin has every permission. */
	ok(f->v, pv_complaint_open(f->v, &ADMIN, c2, dsr2, "admin opens", &k), "admin open");
	pv_free(k);

	pv_free(k1);
	pv_free(k2);
	pv_free(dsr1);
	pv_free(dsr2);
}

static void test_complaint_notes_resolve(void **state)
{
	struct fixture *f = *state;
	const char *c = cell(f, 3, "customer_id");
	char *k = NULL;
	ok(f->v, pv_complaint_open(f->v, &DPO, c, NULL, "第一条：客户投诉", &k), "open");
	ok(f->v, pv_complaint_note(f->v, &DPO, k, "第二条：已回电"), "note");
	ok(f->v, pv_complaint_note(f->v, &ADMIN, k, "third: address checked"), "note 2");
	expect_rc(f->v, pv_complaint_note(f->v, &DPO, k, ""), PV_ERR_USAGE, "empty note");
	expect_rc(f->v, pv_complaint_note(f->v, &DPO, "K-00000000", "x"), PV_ERR_NOT_FOUND,
		  "note on unknown complaint");
	expect_rc(f->v, pv_complaint_resolve(f->v, &DPO, k, ""), PV_ERR_USAGE, "empty outcome");

	struct complaints l;
	assert_string_equal(list_complaints(f->v, &l, k)->state, "open");
	ok(f->v, pv_complaint_resolve(f->v, &DPO, k, "已更正地址，客户满意"), "resolve");
	char today[11];
	utc_day(today, 0);
	const struct complaint_row *r = list_complaints(f->v, &l, k);
	assert_string_equal(r->state, "resolved");
	assert_true(strcmp(r->resolved, today) == 0 || strcmp(r->resolved, r->opened) == 0);
	assert_true(strcmp(r->resolved, r->due) <= 0);

	/* After resolution no note and no second resolution are taken. */
	expect_rc(f->v, pv_complaint_note(f->v, &DPO, k, "too late"), PV_ERR_USAGE,
		  "note after resolution");
	expect_rc(f->v, pv_complaint_resolve(f->v, &DPO, k, "again"), PV_ERR_USAGE,
		  "resolve twice");

	/* Shown in order, with kind, author and clear text. */
	struct notes n;
	ok(f->v, show(f->v, &DPO, k, &n), "show");
	assert_int_equal(n.n, 4);
	static const char *const kinds[] = { "opened", "note", "note", "resolution" };
	static const char *const texts[] = { "第一条：客户投诉", "第二条：已回电",
					     "third: address checked", "已更正地址，客户满意" };
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(n.r[i].kind, kinds[i]);
		assert_non_null(n.r[i].text);
		assert_string_equal(n.r[i].text, texts[i]);
		assert_string_equal(n.r[i].by, pv_vault_user(f->v));
		assert_true(is_iso_utc(n.r[i].at));
		if (i)
			assert_true(strcmp(n.r[i - 1].at, n.r[i].at) <= 0);
	}
	notes_free(&n);
	expect_rc(f->v, show(f->v, &DPO, "K-00000000", &n), PV_ERR_NOT_FOUND, "show unknown");
	assert_int_equal(n.n, 0);
	pv_free(k);
}

/* Notes name the user who wrote them. */
static void test_complaint_note_author(void **state)
{
	struct fixture *f = *state;
	const char *c = cell(f, 4, "customer_id");
	static const char pw[] = "correct horse battery";
	ok(f->v, pvt_user_add(f->v, &ADMIN, "wang.li", "dpo", pw, strlen(pw)), "user add");
	char *k = NULL;
	ok(f->v, pv_complaint_open(f->v, &DPO, c, NULL, "opened by the root key", &k), "open");
	char kid[32];
	snprintf(kid, sizeof kid, "%s", k);
	pv_free(k);
	close_vault(f);

	ok(f->v, pv_vault_open_user(f->dir, NULL, "wang.li", pw, strlen(pw), &f->v), "open user");
	ok(f->v, pv_complaint_note(f->v, NULL, kid, "王丽 rang the customer back"), "user note");
	struct notes n;
	ok(f->v, show(f->v, NULL, kid, &n), "user show");
	assert_int_equal(n.n, 2);
	assert_string_equal(n.r[0].by, "(root key)");
	assert_string_equal(n.r[1].by, "wang.li");
	assert_string_equal(n.r[1].kind, "note");
	assert_string_equal(n.r[1].text, "王丽 rang the customer back");
	notes_free(&n);
	close_vault(f);
	open_vault(f);
}

static void test_complaint_late_states(void **state)
{
	struct fixture *f = *state;
	const char *c = cell(f, 5, "customer_id");
	char *a = NULL, *b = NULL, *o = NULL, *r = NULL;
	ok(f->v, pv_complaint_open(f->v, &DPO, c, NULL, "will be late", &a), "open a");
	ok(f->v, pv_complaint_open(f->v, &DPO, c, NULL, "will be resolved late", &b), "open b");
	ok(f->v, pv_complaint_open(f->v, &DPO, c, NULL, "stays open", &o), "open o");
	ok(f->v, pv_complaint_open(f->v, &DPO, c, NULL, "resolved in time", &r), "open r");
	ok(f->v, pv_complaint_resolve(f->v, &DPO, r, "done in time"), "resolve r");
	close_vault(f);

	char sql[256];
	snprintf(sql, sizeof sql, "UPDATE complaints SET opened = '2000-01-01', due = '2000-01-16' "
		 "WHERE id IN ('%s', '%s');", a, b);
	sql_exec(f, sql, 2);
	open_vault(f);

	struct complaints l;
	assert_string_equal(list_complaints(f->v, &l, a)->state, "late");
	assert_string_equal(list_complaints(f->v, &l, b)->state, "late");
	assert_string_equal(list_complaints(f->v, &l, o)->state, "open");
	assert_string_equal(list_complaints(f->v, &l, r)->state, "resolved");
	/* Listed by due date: the late ones first. */
	assert_int_equal(l.n, 4);
	assert_string_equal(l.c[0].due, "2000-01-16");
	assert_string_equal(l.c[1].due, "2000-01-16");
	for (size_t i = 1; i < l.n; i++)
		assert_true(strcmp(l.c[i - 1].due, l.c[i].due) <= 0);

	ok(f->v, pv_complaint_resolve(f->v, &DPO, b, "resolved after the deadline"), "resolve b");
	const struct complaint_row *rb = list_complaints(f->v, &l, b);
	assert_string_equal(rb->state, "resolved late");
	assert_true(strcmp(rb->resolved, rb->due) > 0);
	assert_string_equal(list_complaints(f->v, &l, a)->state, "late");
	pv_free(a);
	pv_free(b);
	pv_free(o);
	pv_free(r);
}

/* What staff write is sealed: no file of the vault holds it in clear. */
static void test_complaint_text_sealed(void **state)
{
	struct fixture *f = *state;
	const char *c = cell(f, 6, "customer_id");
	char *k = NULL;
	ok(f->v, pv_complaint_open(f->v, &DPO, c, NULL, NOTE_TEXT, &k), "open");
	ok(f->v, pv_complaint_note(f->v, &DPO, k, "回访：" NOTE_NAME "确认新号码 " NOTE_PHONE),
	   "note");
	ok(f->v, pv_complaint_resolve(f->v, &DPO, k, NOTE_NAME "的地址已更正"), "resolve");
	ok(f->v, pv_vault_checkpoint(f->v), "checkpoint");
	close_vault(f);

	/* The search finds what is kept in clear: the customer id. */
	char found[4096] = "";
	size_t nfiles = 0;
	search_tree(f->tmp, c, found, sizeof found, &nfiles);
	search_store(f->dir, c, found, sizeof found);
	assert_non_null(strstr(found, pvt_dba_pg(f->dir) ? "PostgreSQL schema" : "vault.db"));

	static const char *const needles[] = { NOTE_PHONE, NOTE_NAME, NOTE_TEXT, "确认新号码",
					       "的地址已更正" };
	for (size_t i = 0; i < sizeof needles / sizeof *needles; i++) {
		char hits[4096] = "";
		size_t files = 0;
		search_tree(f->tmp, needles[i], hits, sizeof hits, &files);
		search_store(f->dir, needles[i], hits, sizeof hits);
		assert_true(files >= 3); /* vault.db (PostgreSQL: its record), the keyring, the key */
		if (hits[0])
			fail_msg("'%s' is in clear in:%s", needles[i], hits);
	}

	open_vault(f);
	struct notes n;
	ok(f->v, show(f->v, &DPO, k, &n), "show");
	assert_int_equal(n.n, 3);
	assert_string_equal(n.r[0].text, NOTE_TEXT);
	assert_string_equal(n.r[1].text, "回访：" NOTE_NAME "确认新号码 " NOTE_PHONE);
	assert_string_equal(n.r[2].text, NOTE_NAME "的地址已更正");
	notes_free(&n);
	pv_free(k);
}

/* Shredding the customer destroys what was written: the notes are still listed, their
 * text is gone. */
static void test_complaint_after_shred(void **state)
{
	struct fixture *f = *state;
	const char *c = cell(f, 7, "customer_id"), *other = cell(f, 8, "customer_id");
	char *done = NULL, *pending = NULL, *kept = NULL;
	ok(f->v, pv_complaint_open(f->v, &DPO, c, NULL, NOTE_TEXT, &done), "open");
	ok(f->v, pv_complaint_note(f->v, &DPO, done, "note " NOTE_PHONE), "note");
	ok(f->v, pv_complaint_resolve(f->v, &DPO, done, "outcome"), "resolve");
	ok(f->v, pv_complaint_open(f->v, &DPO, c, NULL, "still pending", &pending), "open 2");
	ok(f->v, pv_complaint_open(f->v, &DPO, other, NULL, "another customer", &kept), "open 3");
	struct notes before;
	ok(f->v, show(f->v, &DPO, done, &before), "show before");
	assert_int_equal(before.n, 3);

	const char *ids[] = { c };
	char *cert = NULL;
	ok(f->v, pv_shred(f->v, &ADMIN, ids, 1, &cert), "pv_shred");
	pv_free(cert);

	struct notes n;
	ok(f->v, show(f->v, &DPO, done, &n), "show after shred");
	assert_int_equal(n.n, 3);
	for (size_t i = 0; i < n.n; i++) {
		assert_null(n.r[i].text);
		assert_string_equal(n.r[i].kind, before.r[i].kind);
		assert_string_equal(n.r[i].by, before.r[i].by);
		assert_string_equal(n.r[i].at, before.r[i].at);
	}
	notes_free(&n);
	notes_free(&before);
	ok(f->v, show(f->v, &DPO, pending, &n), "show pending after shred");
	assert_int_equal(n.n, 1);
	assert_string_equal(n.r[0].kind, "opened");
	assert_null(n.r[0].text);
	notes_free(&n);
	/* Nothing more can be written about a shredded customer. */
	expect_rc(f->v, pv_complaint_note(f->v, &DPO, pending, "more"), PV_ERR_NOT_FOUND,
		  "note about a shredded customer");
	expect_rc(f->v, pv_complaint_open(f->v, &DPO, c, NULL, "new", &cert), PV_ERR_NOT_FOUND,
		  "open about a shredded customer");
	assert_null(cert);

	struct complaints l;
	const struct complaint_row *r = list_complaints(f->v, &l, done);
	assert_string_equal(r->customer, c);
	assert_string_equal(r->state, "resolved");
	assert_string_equal(list_complaints(f->v, &l, pending)->state, "open");
	/* Another customer's complaint is untouched. */
	ok(f->v, show(f->v, &DPO, kept, &n), "show other");
	assert_int_equal(n.n, 1);
	assert_string_equal(n.r[0].text, "another customer");
	notes_free(&n);
	pv_free(done);
	pv_free(pending);
	pv_free(kept);
}

/* A note whose sealed text was altered in the database fails authentication: show must
 * report it, not pass it off as destroyed with a shredded customer. */
static void test_complaint_tampered_note(void **state)
{
	struct fixture *f = *state;
	const char *c = cell(f, 9, "customer_id");
	char *k = NULL;
	ok(f->v, pv_complaint_open(f->v, &DPO, c, NULL, "genuine text", &k), "open");
	close_vault(f);
	char sql[256];
	snprintf(sql, sizeof sql, "UPDATE complaint_notes SET sealed = zeroblob(length(sealed)) "
		 "WHERE complaint = '%s';", k);
	sql_exec(f, sql, 1);
	open_vault(f);
	struct notes n;
	pv_rc rc = show(f->v, &DPO, k, &n);
	int shown_as_destroyed = n.n == 1 && n.r[0].text == NULL;
	notes_free(&n);
	pv_free(k);
	if (rc != PV_ERR_CORRUPT)
		fail_msg("pv_complaint_show on a tampered note of a live customer returned %s%s, "
			 "want PV_ERR_CORRUPT", pv_strerror(rc),
			 shown_as_destroyed ? " with the note shown as destroyed (text NULL)" : "");
}

static void test_complaint_audit(void **state)
{
	struct fixture *f = *state;
	const char *c = cell(f, 10, "customer_id");
	char *k = NULL, *none = NULL;
	ok(f->v, pv_complaint_open(f->v, &DPO, c, NULL, "audit me " NOTE_PHONE, &k), "open");
	ok(f->v, pv_complaint_note(f->v, &DPO, k, "a note " NOTE_NAME), "note");
	ok(f->v, pv_complaint_resolve(f->v, &DPO, k, "resolved " NOTE_NAME), "resolve");
	struct notes n;
	ok(f->v, show(f->v, &DPO, k, &n), "show");
	notes_free(&n);
	struct complaints l;
	list_complaints(f->v, &l, k);
	expect_rc(f->v, pv_complaint_open(f->v, &CLERK, c, NULL, "x", &none), PV_ERR_DENIED,
		  "clerk open");
	expect_rc(f->v, show(f->v, &CLERK, k, &n), PV_ERR_DENIED, "clerk show");

	struct audit_rows a;
	audit_read(f->v, &a);
	assert_int_equal(audit_count(&a, "complaint open", "ok", c, k), 1);
	assert_int_equal(audit_count(&a, "complaint note", "ok", NULL, k), 1);
	assert_int_equal(audit_count(&a, "complaint resolve", "ok", NULL, k), 1);
	assert_int_equal(audit_count(&a, "complaint show", "ok", c, k), 1);
	assert_int_equal(audit_count(&a, "complaint list", "ok", NULL, NULL), 1);
	assert_int_equal(audit_count(&a, "complaint open", "denied", c, "'dsr'"), 1);
	assert_int_equal(audit_count(&a, "complaint show", "denied", NULL, "'dsr'"), 1);
	for (size_t i = 0; i < a.n; i++) {
		if (strncmp(a.r[i].op, "complaint", 9) == 0)
			assert_string_equal(a.r[i].user, "(root key)");
		/* The log never holds what was written. */
		assert_null(strstr(a.r[i].detail, NOTE_PHONE));
		assert_null(strstr(a.r[i].detail, NOTE_NAME));
		assert_null(strstr(a.r[i].detail, "audit me"));
	}
	audit_free(&a);
	pv_free(k);
}

/* ================================================================= reviews ==== */

static void test_review_due(void **state)
{
	struct fixture *f = *state;
	struct reviews l = { 0 };
	ok(f->v, pv_review_due(f->v, &ADMIN, 24, collect_review, &l), "due (fresh)");
	assert_int_equal(l.n, 0);
	ok(f->v, pv_review_due(f->v, &ADMIN, 1, collect_review, &l), "due 1 month (fresh)");
	assert_int_equal(l.n, 0);

	/* One customer without an email, one with. */
	size_t no_email = 0, with_email = 0;
	for (size_t r = 1; r <= NCUST; r++) {
		if (!*cell(f, r, "email") && !no_email)
			no_email = r;
		else if (*cell(f, r, "email") && !with_email)
			with_email = r;
	}
	if (!no_email || !with_email)
		fail_msg("pvgen seed %d gave no customer %s an email", SEED,
			 no_email ? "with" : "without");
	/* The one with the later id is made the older, so the order is by date, not id. */
	size_t older = strcmp(cell(f, no_email, "customer_id"),
			      cell(f, with_email, "customer_id")) > 0 ? no_email : with_email;
	size_t newer = older == no_email ? with_email : no_email;
	close_vault(f);
	char sql[512];
	snprintf(sql, sizeof sql,
		 "UPDATE customers SET confirmed = '2019-06-30' WHERE id = '%s';"
		 "UPDATE customers SET confirmed = '2020-01-01' WHERE id = '%s';",
		 cell(f, older, "customer_id"), cell(f, newer, "customer_id"));
	sql_exec(f, sql, 2);
	open_vault(f);

	memset(&l, 0, sizeof l);
	ok(f->v, pv_review_due(f->v, &ADMIN, 24, collect_review, &l), "due");
	assert_int_equal(l.n, 2);
	assert_string_equal(l.r[0].id, cell(f, older, "customer_id"));
	assert_string_equal(l.r[0].last, "2019-06-30");
	assert_string_equal(l.r[1].id, cell(f, newer, "customer_id"));
	assert_string_equal(l.r[1].last, "2020-01-01");
	for (size_t i = 0; i < 2; i++) {
		size_t row = i == 0 ? older : newer;
		assert_string_equal(l.r[i].channels, row == no_email ? "phone" : "phone,email");
		/* Never a value: no digit of a phone, no name, no email. */
		const char *phone = cell(f, row, "phone");
		assert_false(has_digit(l.r[i].channels));
		assert_null(strstr(l.r[i].id, phone));
		assert_null(strstr(l.r[i].id, phone + 3)); /* without +86 */
		assert_null(strstr(l.r[i].channels, cell(f, row, "name")));
		if (*cell(f, row, "email"))
			assert_null(strstr(l.r[i].channels, cell(f, row, "email")));
	}
	/* A period reaching back past both confirmations lists neither. */
	memset(&l, 0, sizeof l);
	ok(f->v, pv_review_due(f->v, &ADMIN, 12 * 30, collect_review, &l), "due 30 years");
	assert_int_equal(l.n, 0);

	/* The default period (0) is the library's 24 months: a customer confirmed 18 months
	 * ago is due at 12 months, not by default. */
	size_t mid = 1;
	while (mid == older || mid == newer)
		mid++;
	time_t back = time(NULL) - (time_t)548 * 86400;
	struct tm tm;
	gmtime_r(&back, &tm);
	close_vault(f);
	snprintf(sql, sizeof sql, "UPDATE customers SET confirmed = '%04d-%02d-%02d' WHERE id = "
		 "'%s';", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, cell(f, mid, "customer_id"));
	sql_exec(f, sql, 1);
	open_vault(f);
	memset(&l, 0, sizeof l);
	ok(f->v, pv_review_due(f->v, &ADMIN, 0, collect_review, &l), "due by default");
	assert_int_equal(l.n, 2);
	memset(&l, 0, sizeof l);
	ok(f->v, pv_review_due(f->v, &ADMIN, 12, collect_review, &l), "due 12 months");
	assert_int_equal(l.n, 3);

	/* Confirming takes a customer off the list. */
	ok(f->v, pv_review_confirm(f->v, &ADMIN, cell(f, older, "customer_id"), "phone"),
	   "confirm");
	memset(&l, 0, sizeof l);
	ok(f->v, pv_review_due(f->v, &ADMIN, 24, collect_review, &l), "due after confirm");
	assert_int_equal(l.n, 1);
	assert_string_equal(l.r[0].id, cell(f, newer, "customer_id"));
	/* A role with 'list' may see the list (ids and channels only). */
	memset(&l, 0, sizeof l);
	ok(f->v, pv_review_due(f->v, &CLERK, 24, collect_review, &l), "clerk due");
	assert_int_equal(l.n, 1);

	struct audit_rows a;
	audit_read(f->v, &a);
	assert_int_equal(audit_count(&a, "review confirm", "ok", cell(f, older, "customer_id"),
				     "phone"), 1);
	assert_int_equal(audit_count(&a, "review due", "ok", NULL, "confirmed before"), 8);
	audit_free(&a);
}

static void test_review_errors(void **state)
{
	struct fixture *f = *state;
	const char *c = cell(f, 1, "customer_id");
	expect_rc(f->v, pv_review_confirm(f->v, &ADMIN, "C99999999", "phone"), PV_ERR_NOT_FOUND,
		  "confirm unknown");
	expect_rc(f->v, pv_review_confirm(f->v, &ADMIN, c, NULL), PV_ERR_USAGE, "no channel");
	expect_rc(f->v, pv_review_confirm(f->v, &ADMIN, c, ""), PV_ERR_USAGE, "empty channel");
	struct reviews l = { 0 };
	expect_rc(f->v, pv_review_due(f->v, &ADMIN, 1201, collect_review, &l), PV_ERR_USAGE,
		  "months 1201");
	assert_int_equal(l.n, 0);
	/* clerk lacks 'update'; the dpo lacks it too. */
	expect_rc(f->v, pv_review_confirm(f->v, &CLERK, c, "phone"), PV_ERR_DENIED,
		  "clerk confirm");
	assert_non_null(strstr(pv_errmsg(f->v), "'update'"));
	expect_rc(f->v, pv_review_due(f->v, NULL, 24, collect_review, &l), PV_ERR_DENIED,
		  "no role");

	struct audit_rows a;
	audit_read(f->v, &a);
	assert_int_equal(audit_count(&a, "review confirm", "ok", NULL, NULL), 0);
	assert_int_equal(audit_count(&a, "review confirm", "denied", c, "'update'"), 1);
	assert_int_equal(audit_count(&a, "review confirm", "failed", "C99999999", NULL), 1);
	audit_free(&a);
}

/* ================================================================== escrow ==== */

static void test_escrow_keygen(void **state)
{
	struct fixture *f = *state;
	char *path = pvt_path(f->tmp, "escrow.sk");
	char pk[65] = "";
	ok(NULL, pv_escrow_keygen(path, pk), "keygen");
	assert_true(is_lower_hex(pk, 64));
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 32);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* The public key is the secret key's. */
	size_t len = 0;
	uint8_t *sk = read_bytes(path, &len);
	assert_int_equal(len, 32);
	uint8_t derived[32];
	char hex[65];
	assert_int_equal(crypto_scalarmult_base(derived, sk), 0);
	sodium_bin2hex(hex, sizeof hex, derived, sizeof derived);
	assert_string_equal(hex, pk);

	/* Never overwritten. */
	char pk2[65] = "untouched";
	expect_rc(NULL, pv_escrow_keygen(path, pk2), PV_ERR_EXISTS, "keygen over a file");
	assert_string_equal(pk2, "untouched");
	size_t len2 = 0;
	uint8_t *again = read_bytes(path, &len2);
	assert_int_equal(len2, 32);
	assert_memory_equal(again, sk, 32);
	free(again);
	free(sk);

	/* Two key pairs differ. */
	char *path2 = pvt_path(f->tmp, "escrow2.sk");
	ok(NULL, pv_escrow_keygen(path2, pk2), "keygen 2");
	assert_string_not_equal(pk, pk2);
	free(path2);
	free(path);
}

/* A directory that does not exist is an I/O failure, not a file that exists already. */
static void test_escrow_keygen_no_dir(void **state)
{
	struct fixture *f = *state;
	char *path = pvt_path(f->tmp, "no/such/dir/escrow.sk");
	char pk[65] = "";
	pv_rc rc = pv_escrow_keygen(path, pk);
	free(path);
	if (rc != PV_ERR_IO)
		fail_msg("pv_escrow_keygen into a missing directory: %s (%d), want %s as "
			 "pv_key_generate_file gives", pv_strerror(rc), (int)rc,
			 pv_strerror(PV_ERR_IO));
}

static void test_escrow_copy(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(sodium_init() < 0, 0);
	char *skp = pvt_path(f->tmp, "escrow.sk"), *wrongp = pvt_path(f->tmp, "wrong.sk");
	char *out = pvt_path(f->tmp, "keyring.escrow");
	char pk[65], wrong_pk[65];
	uint8_t sk[32], wrong_sk[32];
	make_escrow_key(skp, pk, sk);
	make_escrow_key(wrongp, wrong_pk, wrong_sk);

	ok(f->v, pv_keyring_escrow(f->v, &ADMIN, pk, out), "escrow");
	struct stat st;
	assert_int_equal(stat(out, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	size_t ring_len = 0, got_len = 0;
	uint8_t *ring = read_bytes(f->ring, &ring_len);
	assert_true(ring_len > 0);
	assert_int_equal((size_t)st.st_size, 24 + ring_len + crypto_box_SEALBYTES);
	uint8_t *got = NULL;
	char digest[65];
	open_escrow(f->v, out, pk, sk, &got, &got_len, digest);
	assert_non_null(got);
	assert_int_equal(got_len, ring_len);
	assert_memory_equal(got, ring, ring_len);
	free(got);
	/* Another key cannot open it. */
	char digest2[65];
	open_escrow(f->v, out, wrong_pk, wrong_sk, &got, &got_len, digest2);
	assert_null(got);
	assert_string_equal(digest, digest2);
	/* Neither can the right secret key with another public key. */
	open_escrow(f->v, out, wrong_pk, sk, &got, &got_len, digest2);
	assert_null(got);

	/* The out file must not exist: refused, left as it was, nothing recorded. */
	size_t before_len = 0;
	uint8_t *before = read_bytes(out, &before_len);
	expect_rc(f->v, pv_keyring_escrow(f->v, &ADMIN, pk, out), PV_ERR_IO, "escrow over a file");
	size_t after_len = 0;
	uint8_t *after = read_bytes(out, &after_len);
	assert_int_equal(after_len, before_len);
	assert_memory_equal(after, before, before_len);
	free(before);
	free(after);

	/* A malformed key, a clerk, a dpo: refused, no file made. */
	char *out2 = pvt_path(f->tmp, "keyring2.escrow");
	expect_rc(f->v, pv_keyring_escrow(f->v, &ADMIN, "abcd", out2), PV_ERR_USAGE, "short key");
	expect_rc(f->v, pv_keyring_escrow(f->v, &ADMIN, NULL, out2), PV_ERR_USAGE, "no key");
	expect_rc(f->v, pv_keyring_escrow(f->v, &CLERK, pk, out2), PV_ERR_DENIED, "clerk");
	assert_non_null(strstr(pv_errmsg(f->v), "'backup'"));
	expect_rc(f->v, pv_keyring_escrow(f->v, &DPO, pk, out2), PV_ERR_DENIED, "dpo");
	assert_non_null(strstr(pv_errmsg(f->v), "'backup'"));
	assert_int_equal(access(out2, F_OK), -1);

	struct audit_rows a;
	audit_read(f->v, &a);
	assert_int_equal(audit_count(&a, "keyring escrow", "ok", NULL, digest), 1);
	assert_int_equal(audit_count(&a, "keyring escrow", "ok", NULL, NULL), 1);
	assert_int_equal(audit_count(&a, "keyring escrow", "denied", NULL, "'backup'"), 2);
	audit_free(&a);

	sodium_memzero(sk, sizeof sk);
	free(ring);
	free(out2);
	free(out);
	free(skp);
	free(wrongp);
}

/* A destruction certificate names the escrow copies made before it; they still hold the
 * destroyed keys. */
static void test_escrow_in_certificate(void **state)
{
	struct fixture *f = *state;
	char *skp = pvt_path(f->tmp, "escrow.sk"), *out = pvt_path(f->tmp, "keyring.escrow");
	char pk[65];
	uint8_t sk[32];
	make_escrow_key(skp, pk, sk);
	char before[32];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(before, sizeof before, "%Y-%m-%dT%H:%M:%SZ", &tm);
	ok(f->v, pv_keyring_escrow(f->v, &ADMIN, pk, out), "escrow");
	/* A refused second copy is not recorded. */
	expect_rc(f->v, pv_keyring_escrow(f->v, &ADMIN, pk, out), PV_ERR_IO, "escrow over a file");

	uint8_t *escrowed = NULL;
	size_t escrowed_len = 0;
	char digest[65];
	open_escrow(f->v, out, pk, sk, &escrowed, &escrowed_len, digest);
	assert_non_null(escrowed);

	const char *ids[] = { cell(f, 2, "customer_id") };
	char *cert = NULL;
	ok(f->v, pv_shred(f->v, &ADMIN, ids, 1, &cert), "shred");
	json_t *doc;
	json_t *c = certificate_of(cert, &doc);
	json_t *esc = json_object_get(c, "escrow_copies_holding_destroyed_keys");
	assert_true(json_is_array(esc));
	assert_int_equal(json_array_size(esc), 1);
	json_t *copy = json_array_get(esc, 0);
	const char *made = json_string_value(json_object_get(copy, "made"));
	const char *key = json_string_value(json_object_get(copy, "escrow_key"));
	const char *dig = json_string_value(json_object_get(copy, "copy_digest"));
	assert_non_null(made);
	assert_non_null(key);
	assert_non_null(dig);
	assert_true(is_iso_utc(made));
	assert_true(strcmp(made, before) >= 0);
	const char *when = json_string_value(json_object_get(c, "time"));
	assert_non_null(when);
	assert_true(strcmp(made, when) <= 0);
	assert_string_equal(key, pk);
	assert_string_equal(dig, digest);
	/* The list is signed with the rest. */
	char vpk[65], why[256];
	ok(f->v, pv_vault_public_key(f->v, vpk), "public key");
	ok(f->v, pvt_certificate_verify(cert, vpk, why, sizeof why), "verify");
	json_decref(doc);
	pv_free(cert);

	/* The copy is the keyring as it was: the live keyring has new keys now. */
	size_t ring_len = 0;
	uint8_t *ring = read_bytes(f->ring, &ring_len);
	assert_int_equal(ring_len, escrowed_len);
	assert_memory_not_equal(ring, escrowed, ring_len);
	free(ring);
	free(escrowed);

	/* A later shred still names that copy (it was made before it too). */
	const char *ids2[] = { cell(f, 3, "customer_id") };
	ok(f->v, pv_shred(f->v, &ADMIN, ids2, 1, &cert), "shred 2");
	c = certificate_of(cert, &doc);
	esc = json_object_get(c, "escrow_copies_holding_destroyed_keys");
	assert_int_equal(json_array_size(esc), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(esc, 0),
							      "copy_digest")), digest);
	json_decref(doc);
	pv_free(cert);
	sodium_memzero(sk, sizeof sk);
	free(skp);
	free(out);
}

static void test_certificate_without_escrow(void **state)
{
	struct fixture *f = *state;
	const char *ids[] = { cell(f, 4, "customer_id"), cell(f, 5, "customer_id") };
	char *cert = NULL;
	ok(f->v, pv_shred(f->v, &ADMIN, ids, 2, &cert), "shred");
	json_t *doc;
	json_t *c = certificate_of(cert, &doc);
	json_t *esc = json_object_get(c, "escrow_copies_holding_destroyed_keys");
	assert_true(json_is_array(esc));
	assert_int_equal(json_array_size(esc), 0);
	json_decref(doc);
	pv_free(cert);
}

/* ===================================================================== CLI ==== */

static void test_cli(void **state)
{
	struct fixture *f = *state;
	const char *cust = cell(f, 1, "customer_id");
	const char *phone = cell(f, 1, "phone");
	close_vault(f);
	char *out = NULL, *err = NULL;

	static const char *const helps[] = { "complaint", "review", "keyring" };
	for (size_t i = 0; i < 3; i++) {
		int st = cli(f, &out, NULL, "%s --help", helps[i]);
		if (st != 0)
			fail_msg("pivault %s --help: exit %d", helps[i], st);
		char want[64];
		snprintf(want, sizeof want, "usage: pivault %s", helps[i]);
		assert_non_null(strstr(out, want));
		free(out);
	}
	/* Without a subcommand: usage on stderr, exit 2. */
	assert_int_equal(cli(f, &out, &err, "complaint"), 2);
	assert_non_null(strstr(err, "usage"));
	free(out);
	free(err);

	/* complaint open / list / show */
	assert_int_equal(cli(f, &out, NULL, "complaint open --customer %s --text '客户称地址有误' "
			     "--role dpo --json", cust), 0);
	json_error_t jerr;
	json_t *j = json_loads(out, 0, &jerr);
	if (!j)
		fail_msg("complaint open --json printed no JSON: %s", out);
	const char *kid = json_string_value(json_object_get(j, "complaint"));
	assert_non_null(kid);
	assert_true(strncmp(kid, "K-", 2) == 0);
	char id[32];
	snprintf(id, sizeof id, "%s", kid);
	json_decref(j);
	free(out);

	assert_int_equal(cli(f, &out, NULL, "complaint list --role dpo --json"), 0);
	j = json_loads(out, JSON_DISABLE_EOF_CHECK, &jerr);
	if (!j)
		fail_msg("complaint list --json printed no JSON: %s", out);
	assert_string_equal(json_string_value(json_object_get(j, "id")), id);
	assert_string_equal(json_string_value(json_object_get(j, "customer")), cust);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "open");
	assert_string_equal(json_string_value(json_object_get(j, "dsr")), "");
	json_decref(j);
	assert_non_null(strchr(out, '\n'));
	assert_int_equal(strchr(out, '\n') - out + 1, (long)strlen(out)); /* one line */
	free(out);
	/* The root key assumes no role; clerk lacks 'dsr'. */
	assert_int_equal(cli(f, &out, &err, "complaint list --json"), 1);
	assert_string_equal(out, "");
	assert_non_null(strstr(err, "'dsr'"));
	free(out);
	free(err);
	assert_int_equal(cli(f, &out, &err, "complaint list --role clerk --json"), 1);
	assert_non_null(strstr(err, "'dsr'"));
	free(out);
	free(err);
	assert_int_equal(cli(f, &out, NULL, "complaint show %s --role dpo", id), 0);
	assert_non_null(strstr(out, "客户称地址有误"));
	assert_non_null(strstr(out, "opened"));
	free(out);
	assert_int_equal(cli(f, &out, NULL, "complaint open --customer %s --role dpo", cust), 2);
	free(out);

	/* review due */
	assert_int_equal(cli(f, &out, NULL, "review due --older-than 2y --role admin --json"), 0);
	assert_string_equal(out, "");
	free(out);
	char sql[256];
	snprintf(sql, sizeof sql, "UPDATE customers SET confirmed = '2020-01-01' WHERE id = '%s';",
		 cust);
	sql_exec(f, sql, 1);
	assert_int_equal(cli(f, &out, NULL, "review due --older-than 2y --role admin --json"), 0);
	j = json_loads(out, JSON_DISABLE_EOF_CHECK, &jerr);
	if (!j)
		fail_msg("review due --json printed no JSON: %s", out);
	assert_string_equal(json_string_value(json_object_get(j, "id")), cust);
	assert_string_equal(json_string_value(json_object_get(j, "last_confirmed")), "2020-01-01");
	assert_string_equal(json_string_value(json_object_get(j, "channels")),
			    *cell(f, 1, "email") ? "phone,email" : "phone");
	json_decref(j);
	assert_non_null(strchr(out, '\n'));
	assert_int_equal(strchr(out, '\n') - out + 1, (long)strlen(out));
	assert_null(strstr(out, phone + 3));
	free(out);
	assert_int_equal(cli(f, &out, NULL, "review due --older-than 7y --role admin --json"), 0);
	assert_string_equal(out, "");
	free(out);
	assert_int_equal(cli(f, &out, NULL, "review due --older-than 0 --role admin"), 2);
	free(out);

	/* keyring escrow-key / escrow */
	char *skp = pvt_path(f->tmp, "cli-escrow.sk"), *copy = pvt_path(f->tmp, "cli.escrow");
	char *copy2 = pvt_path(f->tmp, "cli2.escrow");
	assert_int_equal(cli(f, &out, NULL, "keyring escrow-key '%s'", skp), 0);
	assert_int_equal(strlen(out), 65);
	assert_int_equal(out[64], '\n');
	out[64] = '\0';
	assert_true(is_lower_hex(out, 64));
	char pk[65];
	snprintf(pk, sizeof pk, "%s", out);
	free(out);
	struct stat st;
	assert_int_equal(stat(skp, &st), 0);
	assert_int_equal(st.st_size, 32);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(cli(f, &out, &err, "keyring escrow-key '%s'", skp), 1);
	assert_non_null(strstr(err, "exists"));
	free(out);
	free(err);

	assert_int_equal(cli(f, &out, NULL, "keyring escrow --to %s -o '%s' --role admin", pk,
			     copy), 0);
	assert_non_null(strstr(out, copy));
	free(out);
	size_t len = 0;
	uint8_t *sk = read_bytes(skp, &len);
	assert_int_equal(len, 32);
	open_vault(f);
	uint8_t *got = NULL;
	size_t got_len = 0;
	char digest[65];
	open_escrow(f->v, copy, pk, sk, &got, &got_len, digest);
	close_vault(f);
	assert_non_null(got);
	size_t ring_len = 0;
	uint8_t *ring = read_bytes(f->ring, &ring_len);
	assert_int_equal(got_len, ring_len);
	assert_memory_equal(got, ring, ring_len);
	free(ring);
	free(got);
	free(sk);
	assert_int_equal(cli(f, &out, NULL, "keyring escrow --to %s -o '%s' --role admin", pk,
			     copy), 1);
	free(out);
	assert_int_equal(cli(f, &out, &err, "keyring escrow --to %s -o '%s' --role clerk", pk,
			     copy2), 1);
	assert_non_null(strstr(err, "'backup'"));
	assert_int_equal(access(copy2, F_OK), -1);
	free(out);
	free(err);
	assert_int_equal(cli(f, &out, NULL, "keyring escrow --to %s --role admin", pk), 2);
	free(out);

	free(skp);
	free(copy);
	free(copy2);
	open_vault(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_complaint_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_complaint_notes_resolve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_complaint_note_author, setup, teardown),
		cmocka_unit_test_setup_teardown(test_complaint_late_states, setup, teardown),
		cmocka_unit_test_setup_teardown(test_complaint_text_sealed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_complaint_after_shred, setup, teardown),
		cmocka_unit_test_setup_teardown(test_complaint_tampered_note, setup, teardown),
		cmocka_unit_test_setup_teardown(test_complaint_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_review_due, setup, teardown),
		cmocka_unit_test_setup_teardown(test_review_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escrow_keygen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escrow_keygen_no_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escrow_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escrow_in_certificate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_certificate_without_escrow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
