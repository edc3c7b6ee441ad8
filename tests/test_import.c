/* SPDX-License-Identifier: Apache-2.0 */
/* test_import.c: CSV import through pv_import_csv, on pvgen output and hand-written
 * files: counts, all-or-nothing refusal, error lines and columns, reject files, header
 * checks, encodings, malformed CSV, duplicates, consents, the JSON summary, and a round
 * trip import -> clear export that must give back every value in its normal form. */
#include "testutil.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pivault.h"
#include "validate.h"
#include "vault.h"

#define SCHEMA PV_SOURCE_DIR "/examples/schema.yaml"
#define HEADER                                                                              \
	"customer_id,name,phone,id_number,email,address,bank_card,company_uscc,contract_no,"    \
	"last_order_amount,last_order_date,preferences,created_at,consent_marketing"

enum {
	C_ID, C_NAME, C_PHONE, C_IDNO, C_EMAIL, C_ADDR, C_CARD, C_USCC, C_CONTRACT, C_AMOUNT,
	C_DATE, C_PREF, C_CREATED, C_CONSENT, NCOLS
};
static const char *const colname[NCOLS] = {
	"customer_id", "name", "phone", "id_number", "email", "address", "bank_card",
	"company_uscc", "contract_no", "last_order_amount", "last_order_date", "preferences",
	"created_at", "consent_marketing"
};

/* Imports and updates need no purpose. */
static const pv_access ADMIN = { "admin", NULL, 1 };
/* Reads of customer data name a purpose; "all" shows every field admin sees. */
static const pv_access ADMIN_READ = { "admin", "all", 1 };

/* ---- growing byte buffers ----------------------------------------------------------- */

struct sb {
	char *p;
	size_t n, cap;
};

static void sb_add(struct sb *b, const void *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->n + n + 1) * 2;
		char *p = realloc(b->p, cap);
		assert_non_null(p);
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void sb_str(struct sb *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_fill(struct sb *b, char c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sb_add(b, &c, 1);
}

/* Number of '\n' in s[0..n). */
static uint64_t newlines(const char *s, size_t n)
{
	uint64_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += s[i] == '\n';
	return k;
}

/* Offset of needle in hay[0..n), or -1. */
static long find_bytes(const char *hay, size_t n, const char *needle, size_t m)
{
	if (m == 0 || m > n)
		return m == 0 ? 0 : -1;
	for (size_t i = 0; i + m <= n; i++)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, m) == 0)
			return (long)i;
	return -1;
}

static int contains(const char *hay, size_t n, const char *needle)
{
	return find_bytes(hay, n, needle, strlen(needle)) >= 0;
}

/* ---- a small RFC 4180 reader, independent of the library's ------------------------- */

struct trow {
	size_t n;
	char **f;
};
struct table {
	size_t nrows;
	struct trow *rows;
};

static void table_free(struct table *t)
{
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t i = 0; i < t->rows[r].n; i++)
			free(t->rows[r].f[i]);
		free(t->rows[r].f);
	}
	free(t->rows);
	memset(t, 0, sizeof *t);
}

/* Parse s[0..n): quoted fields with "" and line breaks; CRLF or LF record ends. */
static void table_parse(const char *s, size_t n, struct table *t)
{
	memset(t, 0, sizeof *t);
	size_t i = 0;
	while (i < n) {
		struct trow row = { 0, NULL };
		for (;;) {
			struct sb fld = { 0 };
			sb_add(&fld, "", 0);
			if (i < n && s[i] == '"') {
				i++;
				for (;;) {
					assert_true(i < n); /* unterminated quote */
					if (s[i] == '"') {
						if (i + 1 < n && s[i + 1] == '"') {
							sb_add(&fld, "\"", 1);
							i += 2;
							continue;
						}
						i++;
						break;
					}
					sb_add(&fld, s + i, 1);
					i++;
				}
			} else {
				while (i < n && s[i] != ',' && s[i] != '\r' && s[i] != '\n')
					sb_add(&fld, s + i++, 1);
			}
			row.f = realloc(row.f, (row.n + 1) * sizeof *row.f);
			assert_non_null(row.f);
			row.f[row.n++] = fld.p;
			if (i < n && s[i] == ',') {
				i++;
				continue;
			}
			if (i < n && s[i] == '\r')
				i++;
			if (i < n && s[i] == '\n')
				i++;
			break;
		}
		t->rows = realloc(t->rows, (t->nrows + 1) * sizeof *t->rows);
		assert_non_null(t->rows);
		t->rows[t->nrows++] = row;
	}
}

/* ---- hand-written rows --------------------------------------------------------------- */

static const char *const names[] = { "张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊",
				     "赵敏", "黄勇", "周杰伦", "吴霞", "欧阳明月", "孙悟" };

struct crow {
	const char *f[NCOLS];
	char buf[NCOLS][96];
};

/* A valid resident ID number for sequence k (born 1990-01-01, Beijing Dongcheng). */
static void make_idno(char *out, unsigned k)
{
	snprintf(out, 19, "11010119900101%03u", k % 1000);
	out[17] = pv_resident_id_check_char(out);
	out[18] = '\0';
}

/* A valid row for customer id with values derived from k (unique for k < 1000). */
static void crow_good(struct crow *r, const char *id, unsigned k)
{
	memset(r, 0, sizeof *r);
	for (int c = 0; c < NCOLS; c++)
		r->f[c] = r->buf[c];
	snprintf(r->buf[C_ID], 96, "%s", id);
	snprintf(r->buf[C_NAME], 96, "%s", names[k % (sizeof names / sizeof *names)]);
	snprintf(r->buf[C_PHONE], 96, "139%08u", 10000000u + k);
	make_idno(r->buf[C_IDNO], k);
	snprintf(r->buf[C_EMAIL], 96, "user%u@example.com", k);
	snprintf(r->buf[C_ADDR], 96, "北京市朝阳区建国路%u号", k + 1);
	snprintf(r->buf[C_CARD], 96, "62284800%010u", k);
	r->buf[C_CARD][18] = pv_luhn_check_digit(r->buf[C_CARD], 18);
	r->buf[C_CARD][19] = '\0';
	snprintf(r->buf[C_CONTRACT], 96, "HT-%u", k);
	snprintf(r->buf[C_AMOUNT], 96, "%u.50", 100 + k);
	snprintf(r->buf[C_DATE], 96, "2024-01-15");
	snprintf(r->buf[C_CREATED], 96, "2024-01-15T10:00:00+08:00");
	snprintf(r->buf[C_CONSENT], 96, "yes");
}

static void csv_field(struct sb *b, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		sb_str(b, s);
		return;
	}
	sb_add(b, "\"", 1);
	for (; *s; s++) {
		if (*s == '"')
			sb_add(b, "\"", 1);
		sb_add(b, s, 1);
	}
	sb_add(b, "\"", 1);
}

/* Append the first ncols fields of r, without a line end. */
static void crow_fields(struct sb *b, const struct crow *r, int ncols)
{
	for (int c = 0; c < ncols; c++) {
		if (c)
			sb_add(b, ",", 1);
		csv_field(b, r->f[c]);
	}
}

/* Append the first ncols fields of r and a CRLF. */
static void crow_csv_n(struct sb *b, const struct crow *r, int ncols)
{
	crow_fields(b, r, ncols);
	sb_str(b, "\r\n");
}

static void crow_csv(struct sb *b, const struct crow *r)
{
	crow_csv_n(b, r, NCOLS);
}

/* ---- errors seen by the callback --------------------------------------------------- */

struct err {
	uint64_t line;
	int has_col;
	char col[64];
	char reason[256];
};
struct errs {
	size_t n;
	struct err e[4096];
};

static void on_err(void *ctx, uint64_t line, const char *column, const char *reason)
{
	struct errs *es = ctx;
	if (es->n >= sizeof es->e / sizeof *es->e)
		return;
	struct err *e = &es->e[es->n++];
	e->line = line;
	e->has_col = column != NULL;
	snprintf(e->col, sizeof e->col, "%s", column ? column : "");
	snprintf(e->reason, sizeof e->reason, "%s", reason ? reason : "(null)");
}

static void dump_errs(const struct errs *es)
{
	for (size_t i = 0; i < es->n; i++)
		print_message("  error %zu: line %llu, column %s: %s\n", i,
			      (unsigned long long)es->e[i].line,
			      es->e[i].has_col ? es->e[i].col : "(none)", es->e[i].reason);
}

/* Error i must be on line with column col (NULL: a whole-row problem). */
static void expect_err(const struct errs *es, size_t i, uint64_t line, const char *col)
{
	if (i >= es->n) {
		dump_errs(es);
		fail_msg("expected an error %zu (line %llu), only %zu reported", i,
			 (unsigned long long)line, es->n);
	}
	const struct err *e = &es->e[i];
	int col_ok = col ? (e->has_col && strcmp(e->col, col) == 0) : !e->has_col;
	if (e->line != line || !col_ok) {
		dump_errs(es);
		fail_msg("error %zu: got line %llu column %s, want line %llu column %s", i,
			 (unsigned long long)e->line, e->has_col ? e->col : "(none)",
			 (unsigned long long)line, col ? col : "(none)");
	}
	assert_true(strlen(e->reason) > 0);
}

/* Error i must be on line (whatever its column). */
static void expect_line(const struct errs *es, size_t i, uint64_t line)
{
	if (i >= es->n || es->e[i].line != line) {
		dump_errs(es);
		fail_msg("expected error %zu on line %llu", i, (unsigned long long)line);
	}
}

/* ---- fixture: a fresh vault per test ----------------------------------------------- */

struct fx {
	char *root, *dir;
	pv_key *key;
	pv_vault *v;
	struct errs errs;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	f->root = pvt_tempdir();
	f->dir = pvt_path(f->root, "v");
	char *keyp = pvt_path(f->root, "root.key");
	if (pv_key_generate_file(keyp) != PV_OK || pv_key_from_file(keyp, &f->key) != PV_OK)
		return -1;
	free(keyp);
	pv_create_opts o = { .schema_path = SCHEMA, .keyring_path = NULL, .keyring_slots = 1024,
			     .kdf_cost = PV_KDF_STANDARD };
	if (pv_vault_create(f->dir, &o, f->key, &f->v) != PV_OK) {
		fprintf(stderr, "create: %s\n", pv_errmsg(f->v));
		return -1;
	}
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	pv_vault_close(f->v);
	pv_key_free(f->key);
	pvt_rmtree(f->root);
	free(f->root);
	free(f->dir);
	free(f);
	return 0;
}

/* Write data to root/name; malloc'd path. */
static char *put(struct fx *f, const char *name, const void *data, size_t n)
{
	char *p = pvt_path(f->root, name);
	assert_int_equal(pvt_write_file(p, data, n), 0);
	return p;
}

/* pvgen output for args (stdout); malloc'd text. */
static char *gen(const char *args, size_t *len)
{
	char *out = NULL;
	assert_int_equal(pvt_run(&out, "'%s' %s", pvt_program("pvgen"), args), 0);
	assert_non_null(out);
	if (len)
		*len = strlen(out);
	return out;
}

/* Import path as admin with opts (NULL: defaults plus the error collector). */
static pv_rc imp(struct fx *f, const char *path, pv_import_opts *opts, pv_import_result **res)
{
	pv_import_opts o = { 0 };
	if (!opts) {
		o.on_error = on_err;
		o.ctx = &f->errs;
		opts = &o;
	}
	f->errs.n = 0;
	return pv_import_csv(f->v, &ADMIN, path, opts, res);
}

static pv_import_opts opts_err(struct fx *f)
{
	pv_import_opts o = { 0 };
	o.on_error = on_err;
	o.ctx = &f->errs;
	return o;
}

static uint64_t count_of(struct fx *f)
{
	uint64_t n = 999999;
	assert_int_equal(pv_vault_count(f->v, &n), PV_OK);
	return n;
}

static int gettable(struct fx *f, const char *id)
{
	pv_record *r = NULL;
	pv_rc rc = pv_get(f->v, &ADMIN_READ, id, &r);
	pv_record_free(r);
	if (rc != PV_OK && rc != PV_ERR_NOT_FOUND)
		fail_msg("pv_get(%s): %s", id, pv_errmsg(f->v));
	return rc == PV_OK;
}

/* A clear field of customer id as admin (malloc'd). */
static char *field_of(struct fx *f, const char *id, const char *field)
{
	pv_record *r = NULL;
	if (pv_get(f->v, &ADMIN_READ, id, &r) != PV_OK)
		fail_msg("pv_get(%s): %s", id, pv_errmsg(f->v));
	char *out = NULL;
	for (size_t i = 0; i < pv_record_field_count(r); i++)
		if (strcmp(pv_record_field_name(r, i), field) == 0)
			out = strdup(pv_record_field_value(r, i));
	pv_record_free(r);
	assert_non_null(out);
	return out;
}

/* The errors pvgen -v announces on standard error for its invalid records. */
struct gen_bad {
	size_t n;
	struct {
		char id[16];
		uint64_t line;
		char col[64];
	} b[256];
};

static void parse_gen_bad(const char *out, struct gen_bad *g)
{
	g->n = 0;
	for (const char *p = out; (p = strstr(p, "pvgen: record ")) != NULL; p++) {
		unsigned long long line;
		char id[16], col[64];
		if (sscanf(p, "pvgen: record %*u (%15[^,], line %llu): %63[^:]:", id, &line, col) == 3 &&
		    g->n < 256) {
			snprintf(g->b[g->n].id, sizeof g->b[g->n].id, "%s", id);
			g->b[g->n].line = line;
			snprintf(g->b[g->n].col, sizeof g->b[g->n].col, "%s", col);
			g->n++;
		}
	}
}

/* ---- tests ---------------------------------------------------------------------------- */

struct progress {
	int calls, other_stage;
	uint64_t done, total;
};

static void on_progress(void *ctx, const char *stage, uint64_t done, uint64_t total)
{
	struct progress *p = ctx;
	p->calls++;
	p->other_stage += strcmp(stage, "import") != 0;
	p->done = done;
	p->total = total;
}

static void test_import_2000_generated_rows(void **state)
{
	struct fx *f = *state;
	size_t n;
	char *csv = gen("-n 2000 --seed 3", &n);
	char *path = put(f, "gen.csv", csv, n);
	struct progress pr = { 0 };
	pv_import_opts o = opts_err(f);
	pv_import_result *res = NULL;
	pv_rc rc = imp(f, path, &o, &res);
	if (rc != PV_OK)
		fail_msg("import: %s", pv_errmsg(f->v));
	assert_int_equal(f->errs.n, 0);
	assert_non_null(res);
	assert_int_equal(pv_import_rows_read(res), 2000);
	assert_int_equal(pv_import_rows_imported(res), 2000);
	assert_int_equal(pv_import_rows_rejected(res), 0);
	assert_true(pv_import_seconds(res) >= 0);
	assert_int_equal(pv_import_duplicate_count(res), 0); /* pvgen: unique per seed */
	assert_string_equal(pv_import_dropped_columns(res), "");
	assert_string_equal(pv_import_warnings(res), "");
	pv_import_free(res);
	assert_int_equal(count_of(f), 2000);
	assert_true(gettable(f, "C00000001"));
	assert_true(gettable(f, "C00001000"));
	assert_true(gettable(f, "C00002000"));
	assert_false(gettable(f, "C00002001"));

	/* Another chunk with progress reports, in one thread. */
	char *csv2 = gen("-n 700 --seed 3 --start 2001", &n);
	char *path2 = put(f, "gen2.csv", csv2, n);
	pv_import_opts o2 = { 0 };
	o2.threads = 1;
	res = NULL;
	pv_vault_on_progress(f->v, on_progress, &pr);
	assert_int_equal(pv_import_csv(f->v, &ADMIN, path2, &o2, &res), PV_OK);
	pv_vault_on_progress(f->v, NULL, NULL);
	assert_int_equal(pv_import_rows_imported(res), 700);
	assert_true(pr.calls >= 1);
	assert_int_equal(pr.other_stage, 0);
	assert_int_equal(pr.total, n);
	assert_int_equal(pr.done, n);
	pv_import_free(res);
	assert_int_equal(count_of(f), 2700);
	free(csv2);
	free(path2);
	free(csv);
	free(path);
}

static void test_import_role_denied(void **state)
{
	struct fx *f = *state;
	size_t n;
	char *csv = gen("-n 5", &n);
	char *path = put(f, "gen.csv", csv, n);
	static const char *const roles[] = { "clerk", "finance", "dpo", "auditor", "nobody" };
	for (size_t i = 0; i < sizeof roles / sizeof *roles; i++) {
		pv_access who = { roles[i], NULL, 1 };
		pv_import_result *res = NULL;
		assert_int_equal(pv_import_csv(f->v, &who, path, NULL, &res), PV_ERR_DENIED);
		pv_import_free(res);
		assert_non_null(strstr(pv_errmsg(f->v), roles[i]));
	}
	assert_int_equal(pv_import_csv(f->v, NULL, path, NULL, NULL), PV_ERR_DENIED);
	assert_int_equal(count_of(f), 0);
	free(csv);
	free(path);
}

/* One bad row in the middle of 1999: nothing is written; the callback gets its line (an
 * earlier record holds a quoted field with line breaks) and column. */
static void test_one_bad_row_leaves_vault_unchanged(void **state)
{
	struct fx *f = *state;
	char *out = NULL;
	char *path = pvt_path(f->root, "one-bad.csv");
	assert_int_equal(pvt_run(&out, "'%s' -n 1999 --seed 9 --bad-every 1000 -v -o '%s' 2>&1",
				 pvt_program("pvgen"), path), 0);
	struct gen_bad g;
	parse_gen_bad(out, &g);
	free(out);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.b[0].id, "C00001000");
	/* Independently: the physical line of that record's start. */
	size_t n;
	char *text = pvt_read_file(path, &n);
	long at = find_bytes(text, n, "\nC00001000,", 11);
	assert_true(at > 0);
	uint64_t line = newlines(text, (size_t)at + 1) + 1;
	assert_int_equal(line, g.b[0].line);
	assert_true(line > 1000 + 1); /* records before it span several lines */

	uint64_t before = count_of(f);
	assert_int_equal(before, 0);
	pv_import_result *res = NULL;
	pv_rc rc = imp(f, path, NULL, &res);
	assert_int_equal(rc, PV_ERR_INPUT);
	assert_non_null(strstr(pv_errmsg(f->v), "1 bad row"));
	assert_int_equal(f->errs.n, 1);
	expect_err(&f->errs, 0, line, g.b[0].col);
	assert_non_null(res);
	assert_int_equal(pv_import_rows_read(res), 1999);
	assert_int_equal(pv_import_rows_imported(res), 0);
	assert_int_equal(pv_import_rows_rejected(res), 1);
	pv_import_free(res);
	assert_int_equal(count_of(f), 0);
	for (unsigned i = 1; i <= 1999; i++) {
		char id[16];
		snprintf(id, sizeof id, "C%08u", i);
		if (gettable(f, id))
			fail_msg("customer %s of the refused file is in the vault", id);
	}
	/* The vault still takes a good file afterwards. */
	char *good = gen("-n 10 --seed 9", &n);
	char *gp = put(f, "good.csv", good, n);
	assert_int_equal(imp(f, gp, NULL, NULL), PV_OK);
	assert_int_equal(count_of(f), 10);
	free(good);
	free(gp);
	free(text);
	free(path);
}

static void test_bad_row_after_multiline_field(void **state)
{
	struct fx *f = *state;
	for (int lf_only = 0; lf_only < 2; lf_only++) {
		struct sb b = { 0 };
		struct crow r;
		sb_str(&b, HEADER "\r\n");                          /* line 1 */
		crow_good(&r, "M1", 1);
		r.f[C_PREF] = "第一行\n第二行\n第三行";
		crow_csv(&b, &r);                                   /* lines 2-4 */
		crow_good(&r, "M2", 2);
		r.f[C_PREF] = "a\r\nb, \"quoted\"";
		crow_csv(&b, &r);                                   /* lines 5-6 */
		crow_good(&r, "M3", 3);
		r.f[C_PHONE] = "12345";
		crow_csv(&b, &r);                                   /* line 7 */
		crow_good(&r, "M4", 4);
		r.f[C_ADDR] = "上海市\n浦东新区\n世纪大道1号";
		r.f[C_DATE] = "2024-13-01";
		crow_csv(&b, &r);                                   /* lines 8-10 */
		crow_good(&r, "M5", 5);
		r.f[C_CARD] = "6228480000000000001"; /* Luhn digit wrong */
		if (pv_luhn_check_digit(r.f[C_CARD], 18) == '1')
			r.f[C_CARD] = "6228480000000000002";
		crow_csv(&b, &r);                                   /* line 11 */
		if (lf_only) { /* the same with LF line ends throughout */
			struct sb c = { 0 };
			for (size_t i = 0; i < b.n; i++)
				if (!(b.p[i] == '\r' && i + 1 < b.n && b.p[i + 1] == '\n'))
					sb_add(&c, b.p + i, 1);
			free(b.p);
			b = c;
		}
		char *path = put(f, "ml.csv", b.p, b.n);
		pv_import_result *res = NULL;
		assert_int_equal(imp(f, path, NULL, &res), PV_ERR_INPUT);
		assert_int_equal(pv_import_rows_read(res), 5);
		pv_import_free(res);
		assert_int_equal(f->errs.n, 3);
		expect_err(&f->errs, 0, 7, "phone");
		expect_err(&f->errs, 1, 8, "last_order_date");
		expect_err(&f->errs, 2, 11, "bank_card");
		assert_int_equal(count_of(f), 0);
		free(path);
		free(b.p);
	}
}

/* Every bad row is reported, in line order, across batches and threads; checked against
 * pvgen's own list of the invalid records it wrote. */
static void test_every_bad_row_reported(void **state)
{
	struct fx *f = *state;
	char *out = NULL;
	char *path = pvt_path(f->root, "many-bad.csv");
	assert_int_equal(pvt_run(&out, "'%s' -n 3000 --seed 21 --bad-every 113 -v -o '%s' 2>&1",
				 pvt_program("pvgen"), path), 0);
	struct gen_bad g;
	parse_gen_bad(out, &g);
	free(out);
	assert_int_equal(g.n, 3000 / 113);
	static const unsigned thread_counts[] = { 1, 3, 8 };
	for (size_t t = 0; t < sizeof thread_counts / sizeof *thread_counts; t++) {
		pv_import_opts o = opts_err(f);
		o.threads = thread_counts[t];
		pv_import_result *res = NULL;
		assert_int_equal(imp(f, path, &o, &res), PV_ERR_INPUT);
		if (f->errs.n != g.n) {
			dump_errs(&f->errs);
			fail_msg("%u threads: %zu errors reported, pvgen wrote %zu bad records",
				 thread_counts[t], f->errs.n, g.n);
		}
		for (size_t i = 0; i < g.n; i++)
			expect_err(&f->errs, i, g.b[i].line, g.b[i].col);
		assert_int_equal(pv_import_rows_rejected(res), g.n);
		assert_int_equal(pv_import_rows_imported(res), 0);
		char *js = pv_import_json(res);
		json_t *j = json_loads(js, 0, NULL);
		assert_non_null(j);
		assert_int_equal(json_integer_value(json_object_get(j, "errors_total")), g.n);
		json_decref(j);
		free(js);
		pv_import_free(res);
		assert_int_equal(count_of(f), 0);
	}

	/* Hand-written: several bad fields in one row come in column order; whole-row
	 * problems have no column. */
	struct sb b = { 0 };
	struct crow r;
	sb_str(&b, HEADER "\r\n");
	crow_good(&r, "H1", 1);
	crow_csv(&b, &r);                           /* 2: good */
	crow_good(&r, "H2", 2);
	r.f[C_EMAIL] = "not-an-email";
	r.f[C_DATE] = "2023-02-30";
	r.f[C_AMOUNT] = "12.345";
	crow_csv(&b, &r);                           /* 3: three bad fields */
	crow_good(&r, "H3", 3);
	crow_csv_n(&b, &r, NCOLS - 1);              /* 4: too few */
	crow_good(&r, "H4", 4);
	crow_csv(&b, &r);                           /* 5: good */
	crow_good(&r, "", 5);
	crow_csv(&b, &r);                           /* 6: empty id */
	crow_good(&r, "H 7", 7);
	crow_csv(&b, &r);                           /* 7: bad id */
	crow_good(&r, "H8", 8);
	r.f[C_NAME] = "";
	crow_csv(&b, &r);                           /* 8: required value missing */
	char *p2 = put(f, "hand.csv", b.p, b.n);
	assert_int_equal(imp(f, p2, NULL, NULL), PV_ERR_INPUT);
	assert_int_equal(f->errs.n, 7);
	expect_err(&f->errs, 0, 3, "email");
	expect_err(&f->errs, 1, 3, "last_order_amount");
	expect_err(&f->errs, 2, 3, "last_order_date");
	expect_err(&f->errs, 3, 4, NULL);
	expect_err(&f->errs, 4, 6, "customer_id");
	expect_err(&f->errs, 5, 7, "customer_id");
	expect_err(&f->errs, 6, 8, "name");
	assert_int_equal(count_of(f), 0);
	free(p2);
	free(b.p);
	free(path);
}

/* A customer id repeated after an earlier bad row is a bad row too and must be reported,
 * although nothing is being written any more. */
static void test_duplicate_id_after_bad_row_reported(void **state)
{
	struct fx *f = *state;
	struct sb b = { 0 };
	struct crow r;
	sb_str(&b, HEADER "\r\n");
	crow_good(&r, "D1", 1);
	crow_csv(&b, &r);                    /* 2 */
	crow_good(&r, "D2", 2);
	r.f[C_PHONE] = "999";
	crow_csv(&b, &r);                    /* 3: bad phone */
	crow_good(&r, "D3", 3);
	crow_csv(&b, &r);                    /* 4 */
	crow_good(&r, "D1", 4);
	crow_csv(&b, &r);                    /* 5: D1 again */
	char *path = put(f, "dup.csv", b.p, b.n);
	assert_int_equal(imp(f, path, NULL, NULL), PV_ERR_INPUT);
	assert_int_equal(count_of(f), 0);
	if (f->errs.n != 2)
		dump_errs(&f->errs);
	expect_err(&f->errs, 0, 3, "phone");
	expect_err(&f->errs, 1, 5, "customer_id");
	assert_int_equal(f->errs.n, 2);
	free(path);
	free(b.p);
}

/* Phone spellings of a (possibly invalid) phone: its ASCII digits (full-width digits
 * folded), the last 11 of them, and +86 with those. */
static void phone_forms(const char *raw, char digits[64], char national[16], char e164[20])
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)raw; *p && n < 63; p++) {
		if (*p >= '0' && *p <= '9')
			digits[n++] = (char)*p;
		else if (p[0] == 0xEF && p[1] == 0xBC && p[2] >= 0x90 && p[2] <= 0x99) {
			digits[n++] = (char)('0' + p[2] - 0x90);
			p += 2;
		}
	}
	digits[n] = '\0';
	const char *last = n > 11 ? digits + n - 11 : digits;
	snprintf(national, 16, "%s", last);
	snprintf(e164, 20, "+86%s", last);
}

static void test_reject_file_masks_bad_rows(void **state)
{
	struct fx *f = *state;
	char *out = NULL;
	char *path = pvt_path(f->root, "rej-in.csv");
	assert_int_equal(pvt_run(&out, "'%s' -n 1200 --seed 5 --bad-every 40 -v -o '%s' 2>&1",
				 pvt_program("pvgen"), path), 0);
	struct gen_bad g;
	parse_gen_bad(out, &g);
	free(out);
	assert_int_equal(g.n, 30);
	size_t n;
	char *text = pvt_read_file(path, &n);
	struct table in;
	table_parse(text, n, &in);
	assert_int_equal(in.nrows, 1201);

	char *rej = pvt_path(f->root, "rejects.csv");
	pv_import_opts o = opts_err(f);
	o.reject_path = rej;
	o.threads = 3;
	pv_import_result *res = NULL;
	pv_rc rc = imp(f, path, &o, &res);
	if (rc != PV_OK)
		fail_msg("import with reject file: %s", pv_errmsg(f->v));
	assert_int_equal(pv_import_rows_read(res), 1200);
	assert_int_equal(pv_import_rows_imported(res), 1170);
	assert_int_equal(pv_import_rows_rejected(res), 30);
	pv_import_free(res);
	assert_int_equal(count_of(f), 1170);
	assert_int_equal(f->errs.n, 30);
	for (size_t i = 0; i < g.n; i++) {
		expect_err(&f->errs, i, g.b[i].line, g.b[i].col);
		assert_false(gettable(f, g.b[i].id));
	}
	assert_true(gettable(f, "C00000001"));
	assert_true(gettable(f, "C00001199"));

	size_t rn;
	char *rtext = pvt_read_file(rej, &rn);
	assert_non_null(rtext);
	struct stat st;
	assert_int_equal(stat(rej, &st), 0);
	assert_int_equal(st.st_mode & 077, 0);
	struct table rt;
	table_parse(rtext, rn, &rt);
	assert_int_equal(rt.nrows, 1 + g.n); /* a header line, then one line per bad row */
	for (size_t i = 0; i < g.n; i++) {
		const struct trow *row = &rt.rows[1 + i];
		char num[32];
		snprintf(num, sizeof num, "%llu", (unsigned long long)g.b[i].line);
		assert_true(row->n >= 3);
		assert_string_equal(row->f[0], num);            /* the line number first */
		assert_non_null(strstr(row->f[1], g.b[i].col)); /* the reason names the column */
		assert_string_equal(row->f[2], g.b[i].id);      /* the id is kept */
		assert_int_equal(row->n, 2 + NCOLS);
		/* The input row of this customer: none of its personal values in clear. */
		const struct trow *src = NULL;
		for (size_t r = 1; r < in.nrows; r++)
			if (strcmp(in.rows[r].f[C_ID], g.b[i].id) == 0)
				src = &in.rows[r];
		assert_non_null(src);
		const int pii[] = { C_NAME, C_PHONE, C_IDNO, C_EMAIL, C_CARD, C_ADDR };
		for (size_t k = 0; k < sizeof pii / sizeof *pii; k++) {
			const char *val = src->f[pii[k]];
			if (strlen(val) >= 4 && contains(rtext, rn, val))
				fail_msg("reject file holds %s of %s in clear", colname[pii[k]],
					 g.b[i].id);
		}
		char digits[64], national[16], e164[20];
		phone_forms(src->f[C_PHONE], digits, national, e164);
		assert_false(contains(rtext, rn, digits));
		assert_false(contains(rtext, rn, national));
		assert_false(contains(rtext, rn, e164));
		/* The name: not even in its own masked column. */
		assert_false(contains(rtext, rn, src->f[C_NAME]));
	}
	table_free(&rt);
	table_free(&in);
	free(rtext);
	free(text);
	free(rej);
	free(path);
}

static void test_reject_file_hand_written(void **state)
{
	struct fx *f = *state;
	struct sb b = { 0 };
	struct crow r;
	sb_str(&b, HEADER "\r\n");
	crow_good(&r, "R1", 1);
	crow_csv(&b, &r);                    /* 2 */
	crow_good(&r, "R2", 2);
	char badid[19];
	make_idno(badid, 2);
	badid[17] = badid[17] == '5' ? '6' : '5';
	r.f[C_IDNO] = badid;
	r.f[C_NAME] = "司马相如";
	crow_csv(&b, &r);                    /* 3: bad id number */
	crow_good(&r, "R3", 3);
	r.f[C_PREF] = "两行\n说明";
	crow_csv(&b, &r);                    /* 4-5 */
	crow_good(&r, "R4", 4);
	r.f[C_NAME] = "上官婉儿";
	r.f[C_EMAIL] = "wan.er@@example.com";
	crow_csv(&b, &r);                    /* 6: bad email */
	crow_good(&r, "R5", 5);
	crow_csv(&b, &r);                    /* 7 */
	char *path = put(f, "hand.csv", b.p, b.n);
	char *rej = pvt_path(f->root, "hand-rejects.csv");
	pv_import_opts o = opts_err(f);
	o.reject_path = rej;
	pv_import_result *res = NULL;
	assert_int_equal(imp(f, path, &o, &res), PV_OK);
	assert_int_equal(pv_import_rows_imported(res), 3);
	assert_int_equal(pv_import_rows_rejected(res), 2);
	pv_import_free(res);
	assert_int_equal(count_of(f), 3);
	assert_true(gettable(f, "R1") && gettable(f, "R3") && gettable(f, "R5"));
	assert_false(gettable(f, "R2") || gettable(f, "R4"));
	char *pref = field_of(f, "R3", "preferences");
	assert_string_equal(pref, "两行\n说明");
	free(pref);

	size_t rn;
	char *rt = pvt_read_file(rej, &rn);
	assert_non_null(rt);
	assert_true(contains(rt, rn, "\n3,"));
	assert_true(contains(rt, rn, "\n6,"));
	assert_false(contains(rt, rn, "\n2,"));
	assert_false(contains(rt, rn, badid));
	assert_false(contains(rt, rn, "wan.er@@example.com"));
	assert_false(contains(rt, rn, "司马相如"));
	assert_false(contains(rt, rn, "上官婉儿"));
	struct crow r2, r4;
	crow_good(&r2, "R2", 2);
	crow_good(&r4, "R4", 4);
	const struct crow *rows[] = { &r2, &r4 };
	for (int i = 0; i < 2; i++) {
		assert_false(contains(rt, rn, rows[i]->f[C_PHONE]));
		assert_false(contains(rt, rn, rows[i]->f[C_CARD]));
		char e164[20];
		snprintf(e164, sizeof e164, "+86%s", rows[i]->f[C_PHONE]);
		assert_false(contains(rt, rn, e164));
	}
	make_idno(badid, 4);
	assert_false(contains(rt, rn, badid));
	/* Good rows are not in the reject file at all. */
	assert_false(contains(rt, rn, "R1"));
	assert_false(contains(rt, rn, "R5"));
	free(rt);
	free(rej);
	free(path);
	free(b.p);
}

/* Two good rows and one bad (a bad e-mail address): the import writes a reject file. */
static char *one_bad_row_csv(struct fx *f, const char *name)
{
	struct sb b = { 0 };
	struct crow r;
	sb_str(&b, HEADER "\r\n");
	crow_good(&r, "S1", 1);
	crow_csv(&b, &r);
	crow_good(&r, "S2", 2);
	r.f[C_EMAIL] = "bad@@example.com";
	crow_csv(&b, &r);
	crow_good(&r, "S3", 3);
	crow_csv(&b, &r);
	char *path = put(f, name, b.p, b.n);
	free(b.p);
	return path;
}

/* The attack: --reject-file naming a symbolic link to the keyring. The old code opened it
 * with O_TRUNC through the link and emptied the keyring; now nothing is written, the
 * message names the path, and the keyring is untouched. */
static void test_reject_file_symlink_to_keyring(void **state)
{
	struct fx *f = *state;
	char *csv = one_bad_row_csv(f, "sym.csv");
	char *keyring = pvt_path(f->root, "v.keyring"), *link = pvt_path(f->root, "rejects.csv");
	size_t before_len, after_len;
	char *before = pvt_read_file(keyring, &before_len);
	assert_non_null(before);
	assert_true(before_len > 0);
	assert_int_equal(symlink(keyring, link), 0);
	pv_import_opts o = opts_err(f);
	o.reject_path = link;
	pv_import_result *res = NULL;
	assert_rc_msg(f->v, imp(f, csv, &o, &res), PV_ERR_EXISTS, link);
	pv_import_free(res);
	char *after = pvt_read_file(keyring, &after_len);
	assert_non_null(after);
	assert_int_equal(after_len, before_len);
	assert_memory_equal(after, before, before_len);
	assert_int_equal(count_of(f), 0);
	free(after);
	free(before);
	free(link);
	free(keyring);
	free(csv);
}

/* Variants: a file already there is not truncated, and a dangling link is not followed to
 * create its target (the old code, with O_CREAT through the link, made the target). The
 * reject file made when the name is free is the caller's alone (0600). */
static void test_reject_file_never_over_anything(void **state)
{
	struct fx *f = *state;
	char *csv = one_bad_row_csv(f, "pre.csv");
	char *pre = put(f, "precious.txt", "keep me\n", 8);
	char *target = pvt_path(f->root, "made-through-link"), *dangling = pvt_path(f->root, "dl");
	assert_int_equal(symlink(target, dangling), 0);
	pv_import_opts o = opts_err(f);
	pv_import_result *res = NULL;
	o.reject_path = pre;
	assert_rc_msg(f->v, imp(f, csv, &o, &res), PV_ERR_EXISTS, pre);
	pv_import_free(res);
	char *text = pvt_read_file(pre, NULL);
	assert_string_equal(text, "keep me\n");
	free(text);
	o.reject_path = dangling;
	res = NULL;
	assert_rc_msg(f->v, imp(f, csv, &o, &res), PV_ERR_EXISTS, dangling);
	pv_import_free(res);
	assert_int_not_equal(access(target, F_OK), 0);
	assert_int_equal(count_of(f), 0);
	mode_t old = umask(0);
	char *fresh = pvt_path(f->root, "fresh-rejects.csv");
	o.reject_path = fresh;
	res = NULL;
	pv_rc rc = imp(f, csv, &o, &res);
	umask(old);
	assert_ok(f->v, rc);
	assert_int_equal(pv_import_rows_rejected(res), 1);
	pv_import_free(res);
	struct stat st;
	assert_int_equal(lstat(fresh, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	free(fresh);
	free(dangling);
	free(target);
	free(pre);
	free(csv);
}

/* A header longer than 64 KiB is refused before it is buffered, with the limit named: as
 * many short columns, and as one long column (the old code read up to 4,096 columns of
 * up to 1 MiB each, then checked them). */
static void test_header_size_bounded(void **state)
{
	struct fx *f = *state;
	struct sb b = { 0 };
	sb_str(&b, HEADER);
	for (int i = 0; b.n <= 65 * 1024; i++) {
		char col[32];
		snprintf(col, sizeof col, ",an_extra_column_%05d", i);
		sb_str(&b, col);
	}
	sb_str(&b, "\r\n");
	char *wide = put(f, "wide-header.csv", b.p, b.n);
	pv_import_opts o = opts_err(f);
	o.flags = PV_IMPORT_DROP_UNDECLARED;
	assert_rc_msg(f->v, imp(f, wide, &o, NULL), PV_ERR_INPUT, "64 KiB");
	assert_non_null(strstr(pv_errmsg(f->v), "line 1"));
	b.n = 0;
	sb_str(&b, HEADER ",");
	sb_fill(&b, 'x', 65 * 1024);
	sb_str(&b, "\r\n");
	char *longcol = put(f, "long-header.csv", b.p, b.n);
	assert_rc_msg(f->v, imp(f, longcol, &o, NULL), PV_ERR_INPUT, "64 KiB");
	assert_int_equal(count_of(f), 0);
	free(longcol);
	free(wide);
	free(b.p);
}

/* Many columns: a duplicate among 4,000 (the last against one far back) is named, found
 * by sorting rather than by comparing every pair; 4,097 columns are refused. */
static void test_header_many_columns(void **state)
{
	struct fx *f = *state;
	struct sb b = { 0 };
	sb_str(&b, HEADER);
	for (int i = 0; i < 4000; i++) {
		char col[16];
		snprintf(col, sizeof col, ",c%04d", i);
		sb_str(&b, col);
	}
	sb_str(&b, ",c0007\r\n");
	char *dup = put(f, "dup-header.csv", b.p, b.n);
	pv_import_opts o = opts_err(f);
	o.flags = PV_IMPORT_DROP_UNDECLARED;
	assert_rc_msg(f->v, imp(f, dup, &o, NULL), PV_ERR_INPUT, "column 'c0007' appears twice");
	b.n = 0;
	sb_str(&b, HEADER);
	for (int i = 0; i < 4096 - NCOLS + 1; i++) {
		char col[16];
		snprintf(col, sizeof col, ",c%04d", i);
		sb_str(&b, col);
	}
	sb_str(&b, "\r\n");
	char *many = put(f, "many-header.csv", b.p, b.n);
	assert_rc_msg(f->v, imp(f, many, &o, NULL), PV_ERR_INPUT, "more than 4096 columns");
	/* 4,096 distinct columns are read, the undeclared dropped */
	b.n = 0;
	sb_str(&b, HEADER);
	for (int i = 0; i < 4096 - NCOLS; i++) {
		char col[16];
		snprintf(col, sizeof col, ",c%04d", i);
		sb_str(&b, col);
	}
	sb_str(&b, "\r\n");
	struct crow r;
	crow_good(&r, "W1", 1);
	crow_csv(&b, &r);
	b.n -= 2; /* the row's CRLF: its extra columns are empty */
	for (int i = 0; i < 4096 - NCOLS; i++)
		sb_str(&b, ",");
	sb_str(&b, "\r\n");
	char *ok = put(f, "ok-header.csv", b.p, b.n);
	pv_import_result *res = NULL;
	assert_ok(f->v, imp(f, ok, &o, &res));
	assert_int_equal(pv_import_rows_imported(res), 1);
	pv_import_free(res);
	free(ok);
	free(many);
	free(dup);
	free(b.p);
}

static void test_undeclared_column(void **state)
{
	struct fx *f = *state;
	struct sb b = { 0 };
	struct crow r;
	sb_str(&b, HEADER ",wechat_id,loyalty_tier\r\n");
	for (unsigned k = 1; k <= 3; k++) {
		char id[8];
		snprintf(id, sizeof id, "U%u", k);
		crow_good(&r, id, k);
		struct sb line = { 0 };
		crow_csv(&line, &r);
		sb_add(&b, line.p, line.n - 2);
		sb_str(&b, ",wxid_secret_42,gold\r\n");
		free(line.p);
	}
	char *path = put(f, "extra.csv", b.p, b.n);
	pv_import_result *res = NULL;
	assert_int_equal(imp(f, path, NULL, &res), PV_ERR_INPUT);
	pv_import_free(res);
	assert_non_null(strstr(pv_errmsg(f->v), "wechat_id"));
	assert_null(strstr(pv_errmsg(f->v), "wxid_secret_42"));
	assert_int_equal(count_of(f), 0);

	pv_import_opts o = opts_err(f);
	o.flags = PV_IMPORT_DROP_UNDECLARED;
	res = NULL;
	assert_int_equal(imp(f, path, &o, &res), PV_OK);
	assert_string_equal(pv_import_dropped_columns(res), "wechat_id,loyalty_tier");
	assert_int_equal(pv_import_rows_imported(res), 3);
	pv_import_free(res);
	assert_int_equal(count_of(f), 3);
	/* The dropped values are kept nowhere: not in an export, not in the database. */
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	assert_int_equal(pv_export(f->v, &ADMIN_READ, PV_EXPORT_CSV, mem), PV_OK);
	fclose(mem);
	assert_false(contains(buf, len, "wxid_secret_42"));
	assert_false(contains(buf, len, "wechat_id"));
	free(buf);
	free(path);
	free(b.p);
}

static void test_missing_columns(void **state)
{
	struct fx *f = *state;
	/* Without a required column, and without the id column. */
	static const int drop[] = { C_PHONE, C_ID, C_NAME, C_CREATED };
	for (size_t d = 0; d < sizeof drop / sizeof *drop; d++) {
		struct sb b = { 0 };
		for (int c = 0, first = 1; c < NCOLS; c++)
			if (c != drop[d]) {
				sb_str(&b, first ? "" : ",");
				sb_str(&b, colname[c]);
				first = 0;
			}
		sb_str(&b, "\r\n");
		struct crow r;
		crow_good(&r, "X1", 1);
		for (int c = 0, first = 1; c < NCOLS; c++)
			if (c != drop[d]) {
				sb_str(&b, first ? "" : ",");
				csv_field(&b, r.f[c]);
				first = 0;
			}
		sb_str(&b, "\r\n");
		char *path = put(f, "missing.csv", b.p, b.n);
		assert_int_equal(imp(f, path, NULL, NULL), PV_ERR_INPUT);
		if (!strstr(pv_errmsg(f->v), colname[drop[d]]))
			fail_msg("message \"%s\" does not name %s", pv_errmsg(f->v),
				 colname[drop[d]]);
		assert_int_equal(count_of(f), 0);
		free(path);
		free(b.p);
	}
	/* Optional columns may be left out. */
	struct sb b = { 0 };
	sb_str(&b, "customer_id,name,phone,id_number,address,last_order_amount,"
		   "last_order_date,created_at\r\n");
	struct crow r;
	crow_good(&r, "X2", 2);
	const int keep[] = { C_ID, C_NAME, C_PHONE, C_IDNO, C_ADDR, C_AMOUNT, C_DATE, C_CREATED };
	for (size_t i = 0; i < sizeof keep / sizeof *keep; i++) {
		sb_str(&b, i ? "," : "");
		csv_field(&b, r.f[keep[i]]);
	}
	sb_str(&b, "\r\n");
	char *path = put(f, "optional.csv", b.p, b.n);
	if (imp(f, path, NULL, NULL) != PV_OK)
		fail_msg("without optional columns: %s", pv_errmsg(f->v));
	assert_int_equal(count_of(f), 1);
	char *email = field_of(f, "X2", "email");
	assert_string_equal(email, "");
	free(email);
	/* A column named twice is refused. */
	struct sb t = { 0 };
	sb_str(&t, HEADER ",phone\r\n");
	char *p2 = put(f, "twice.csv", t.p, t.n);
	assert_int_equal(imp(f, p2, NULL, NULL), PV_ERR_INPUT);
	assert_non_null(strstr(pv_errmsg(f->v), "phone"));
	free(p2);
	free(t.p);
	free(path);
	free(b.p);
}

static void test_bom(void **state)
{
	struct fx *f = *state;
	struct sb b = { 0 };
	struct crow r;
	sb_str(&b, "\xEF\xBB\xBF" HEADER "\r\n");
	crow_good(&r, "B1", 1);
	crow_csv(&b, &r);
	crow_good(&r, "B2", 2);
	crow_csv(&b, &r);
	char *path = put(f, "bom8.csv", b.p, b.n);
	pv_import_result *res = NULL;
	pv_rc rc = imp(f, path, NULL, &res);
	if (rc != PV_OK)
		fail_msg("UTF-8 BOM: %s", pv_errmsg(f->v));
	assert_int_equal(pv_import_rows_imported(res), 2);
	assert_non_null(strstr(pv_import_warnings(res), "byte-order mark"));
	pv_import_free(res);
	assert_true(gettable(f, "B1"));

	/* UTF-16, little and big endian: refused with a clear message, nothing written. */
	static const unsigned char le[] = { 0xFF, 0xFE, 'c', 0, 'u', 0, 's', 0, '\r', 0, '\n', 0 };
	static const unsigned char be[] = { 0xFE, 0xFF, 0, 'c', 0, 'u', 0, 's', 0, '\r', 0, '\n' };
	const unsigned char *boms[] = { le, be };
	for (int i = 0; i < 2; i++) {
		char *p = put(f, "bom16.csv", boms[i], sizeof le);
		res = NULL;
		assert_int_equal(imp(f, p, NULL, &res), PV_ERR_INPUT);
		pv_import_free(res);
		assert_non_null(strstr(pv_errmsg(f->v), "UTF-16"));
		assert_non_null(strstr(pv_errmsg(f->v), "UTF-8"));
		free(p);
	}
	assert_int_equal(count_of(f), 2);
	free(path);
	free(b.p);
}

static void test_invalid_utf8(void **state)
{
	struct fx *f = *state;
	struct sb b = { 0 };
	struct crow r;
	sb_str(&b, HEADER "\r\n");
	crow_good(&r, "G1", 1);
	crow_csv(&b, &r);                                  /* 2 */
	crow_good(&r, "G2", 2);
	r.f[C_NAME] = "\xD5\xC5\xC8\xFD";                  /* 张三 in GBK */
	crow_csv(&b, &r);                                  /* 3 */
	crow_good(&r, "G3", 3);
	r.f[C_ADDR] = "\xB1\xB1\xBE\xA9\xCA\xD0";          /* 北京市 in GBK */
	r.f[C_PREF] = "ok\xC0\xAF";                         /* overlong '/' */
	crow_csv(&b, &r);                                  /* 4 */
	crow_good(&r, "G4", 4);
	r.f[C_CONTRACT] = "HT-\xED\xA0\x80";                /* a UTF-16 surrogate */
	crow_csv(&b, &r);                                  /* 5 */
	char *path = put(f, "gbk.csv", b.p, b.n);
	assert_int_equal(imp(f, path, NULL, NULL), PV_ERR_INPUT);
	assert_int_equal(f->errs.n, 4);
	expect_err(&f->errs, 0, 3, "name");
	expect_err(&f->errs, 1, 4, "address");
	expect_err(&f->errs, 2, 4, "preferences");
	expect_err(&f->errs, 3, 5, "contract_no");
	for (size_t i = 0; i < f->errs.n; i++)
		assert_null(strchr(f->errs.e[i].reason, '\xD5'));
	assert_int_equal(count_of(f), 0);
	/* GBK in the header: refused as a whole. */
	struct sb h = { 0 };
	sb_str(&h, HEADER ",\xD0\xD5\xC3\xFB\r\n");
	char *p2 = put(f, "gbk-header.csv", h.p, h.n);
	pv_import_opts o = opts_err(f);
	o.flags = PV_IMPORT_DROP_UNDECLARED;
	assert_int_equal(imp(f, p2, &o, NULL), PV_ERR_INPUT);
	assert_non_null(strstr(pv_errmsg(f->v), "UTF-8"));
	free(p2);
	free(h.p);
	free(path);
	free(b.p);
}

/* Replace the first "@NUL@" in b by one NUL byte. */
static void put_nul(struct sb *b)
{
	long at = find_bytes(b->p, b->n, "@NUL@", 5);
	assert_true(at >= 0);
	b->p[at] = '\0';
	memmove(b->p + at + 1, b->p + at + 5, b->n - (size_t)at - 5);
	b->n -= 4;
}

static void test_embedded_nul(void **state)
{
	struct fx *f = *state;
	struct sb b = { 0 };
	struct crow r;
	sb_str(&b, HEADER "\r\n");
	crow_good(&r, "N1", 1);
	crow_csv(&b, &r);                        /* 2 */
	crow_good(&r, "N2", 2);
	r.f[C_ADDR] = "北京市@NUL@朝阳区";
	crow_csv(&b, &r);                        /* 3 */
	put_nul(&b);
	crow_good(&r, "N3", 3);
	r.f[C_PREF] = "\"quoted @NUL@ value\"";
	crow_csv(&b, &r);                        /* 4 */
	put_nul(&b);
	crow_good(&r, "N4", 4);
	crow_csv(&b, &r);                        /* 5 */
	char *path = put(f, "nul.csv", b.p, b.n);
	pv_import_result *res = NULL;
	assert_int_equal(imp(f, path, NULL, &res), PV_ERR_INPUT);
	assert_int_equal(pv_import_rows_read(res), 4);
	assert_int_equal(pv_import_rows_rejected(res), 2);
	pv_import_free(res);
	assert_int_equal(count_of(f), 0);
	assert_int_equal(f->errs.n, 2);
	expect_line(&f->errs, 0, 3);
	expect_line(&f->errs, 1, 4);
	assert_non_null(strstr(f->errs.e[0].reason, "NUL"));
	/* With a reject file the other rows go in. */
	char *rej = pvt_path(f->root, "nul-rej.csv");
	pv_import_opts o = opts_err(f);
	o.reject_path = rej;
	assert_int_equal(imp(f, path, &o, NULL), PV_OK);
	assert_int_equal(count_of(f), 2);
	assert_true(gettable(f, "N1") && gettable(f, "N4"));
	assert_false(gettable(f, "N2") || gettable(f, "N3"));
	size_t rn;
	char *rt = pvt_read_file(rej, &rn);
	assert_false(contains(rt, rn, "朝阳区"));
	assert_false(contains(rt, rn, "quoted"));
	free(rt);
	free(rej);
	/* A problem of one field: the field is named, as for any other bad value. */
	expect_err(&f->errs, 0, 3, "address");
	expect_err(&f->errs, 1, 4, "preferences");
	free(path);
	free(b.p);
}

static void test_long_fields(void **state)
{
	struct fx *f = *state;
	struct sb b = { 0 };
	struct crow r;
	sb_str(&b, HEADER "\r\n");
	struct sb big = { 0 };
	sb_fill(&big, 'a', 4096);
	crow_good(&r, "L1", 1);
	r.f[C_PREF] = big.p;                     /* 2: exactly the limit */
	crow_csv(&b, &r);
	struct sb over = { 0 };
	sb_fill(&over, 'b', 5000);
	crow_good(&r, "L2", 2);
	r.f[C_PREF] = over.p;                    /* 3: 5000 bytes */
	crow_csv(&b, &r);
	struct sb cjk = { 0 };
	for (int i = 0; i < 1700; i++)
		sb_str(&cjk, "长");                   /* 5100 bytes, 1700 characters */
	crow_good(&r, "L3", 3);
	r.f[C_ADDR] = cjk.p;                     /* 4 */
	crow_csv(&b, &r);
	crow_good(&r, "L4", 4);
	crow_csv(&b, &r);                        /* 5 */
	char *path = put(f, "long.csv", b.p, b.n);
	char *rej = pvt_path(f->root, "long-rej.csv");
	pv_import_opts o = opts_err(f);
	o.reject_path = rej;
	assert_int_equal(imp(f, path, &o, NULL), PV_OK);
	assert_int_equal(count_of(f), 2);
	assert_true(gettable(f, "L1"));
	assert_true(gettable(f, "L4"));
	char *pref = field_of(f, "L1", "preferences");
	assert_string_equal(pref, big.p);
	free(pref);
	assert_int_equal(f->errs.n, 2);
	expect_line(&f->errs, 0, 3);
	expect_line(&f->errs, 1, 4);
	size_t rn;
	char *rt = pvt_read_file(rej, &rn);
	assert_false(contains(rt, rn, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"));
	assert_false(contains(rt, rn, "长长长长长长长长"));
	free(rt);
	/* A problem of one field: the field is named, as for any other bad value. */
	expect_err(&f->errs, 0, 3, "preferences");
	expect_err(&f->errs, 1, 4, "address");
	free(rej);
	free(path);
	free(b.p);
	free(big.p);
	free(over.p);
	free(cjk.p);
}

static void test_unterminated_quote(void **state)
{
	struct fx *f = *state;
	struct sb b = { 0 };
	struct crow r;
	sb_str(&b, HEADER "\r\n");
	crow_good(&r, "Q1", 1);
	crow_csv(&b, &r);                                         /* 2 */
	crow_good(&r, "Q2", 2);
	r.f[C_PREF] = "first\nsecond";
	crow_csv(&b, &r);                                         /* 3-4 */
	crow_good(&r, "Q3", 3);
	crow_fields(&b, &r, C_PREF);                              /* 5: ... */
	sb_str(&b, ",\"never closed\r\nC00000009,more,text\r\nand more\r\n");
	char *path = put(f, "unterminated.csv", b.p, b.n);
	pv_import_result *res = NULL;
	assert_int_equal(imp(f, path, NULL, &res), PV_ERR_INPUT);
	pv_import_free(res);
	const char *msg = pv_errmsg(f->v);
	assert_non_null(strstr(msg, "quote"));
	if (!strstr(msg, "line 5"))
		fail_msg("message \"%s\" does not give line 5, where the open quote's row starts",
			 msg);
	assert_int_equal(count_of(f), 0);
	/* A stray quote inside an unquoted field is malformed CSV too. */
	struct sb s = { 0 };
	sb_str(&s, HEADER "\r\n");
	crow_good(&r, "Q4", 4);
	crow_csv(&s, &r);                                         /* 2 */
	crow_good(&r, "Q5", 5);
	r.f[C_PREF] = "ab";
	struct sb line = { 0 };
	crow_csv(&line, &r);
	long at = find_bytes(line.p, line.n, ",ab,", 4);
	assert_true(at > 0);
	line.p[at + 2] = '"';                                     /* a"b */
	sb_add(&s, line.p, line.n);                               /* 3 */
	char *p2 = put(f, "stray.csv", s.p, s.n);
	assert_int_equal(imp(f, p2, NULL, NULL), PV_ERR_INPUT);
	assert_non_null(strstr(pv_errmsg(f->v), "line 3"));
	assert_int_equal(count_of(f), 0);
	free(p2);
	free(s.p);
	free(line.p);
	free(path);
	free(b.p);
}

/* A 2 MiB field, properly quoted and closed: refused cleanly, nothing written. (An
 * unterminated one, far larger, is test_huge_field_bounded_memory.) */
static void test_huge_field(void **state)
{
	struct fx *f = *state;
	for (int closed = 1; closed < 2; closed++) {
		struct sb b = { 0 };
		struct crow r;
		sb_str(&b, HEADER "\r\n");
		crow_good(&r, "Z1", 1);
		crow_csv(&b, &r);
		crow_good(&r, "Z2", 2);
		crow_fields(&b, &r, C_PREF);
		sb_str(&b, ",\"");
		sb_fill(&b, 'x', 2u << 20);
		if (closed) {
			sb_str(&b, "\",");
			sb_str(&b, r.f[C_CREATED]);
			sb_str(&b, ",yes\r\n");
		}
		char *path = put(f, "huge.csv", b.p, b.n);
		free(b.p);
		pv_import_result *res = NULL;
		pv_rc rc = imp(f, path, NULL, &res);
		assert_int_equal(rc, PV_ERR_INPUT);
		pv_import_free(res);
		assert_non_null(strstr(pv_errmsg(f->v), "line 3"));
		assert_non_null(strstr(pv_errmsg(f->v), "1 MiB"));
		assert_int_equal(count_of(f), 0);
		assert_false(gettable(f, "Z1"));
		free(path);
	}
}

/* Under AddressSanitizer freed memory sits in a quarantine, so the resident size says
 * little about what is live: sample the sanitizer's count of allocated bytes instead. */
#if defined(__SANITIZE_ADDRESS__)
#define PVT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PVT_ASAN 1
#endif
#endif

#ifdef PVT_ASAN
size_t __sanitizer_get_current_allocated_bytes(void);

struct sampler {
	volatile int stop;
	size_t peak;
};

static void *sample_allocated(void *arg)
{
	struct sampler *s = arg;
	while (!s->stop) {
		size_t now = __sanitizer_get_current_allocated_bytes();
		if (now > s->peak)
			s->peak = now;
		nanosleep(&(struct timespec){ 0, 200000 }, NULL);
	}
	return NULL;
}
#endif

/* Peak growth of memory in use (KiB) while running pv_import_csv(v, path). */
static long import_memory_growth(pv_vault *v, const char *path, pv_rc *rc)
{
#ifdef PVT_ASAN
	struct sampler s = { 0, __sanitizer_get_current_allocated_bytes() };
	size_t before = s.peak;
	pthread_t t;
	if (pthread_create(&t, NULL, sample_allocated, &s) != 0)
		return -1;
	*rc = pv_import_csv(v, &ADMIN, path, NULL, NULL);
	size_t now = __sanitizer_get_current_allocated_bytes();
	s.stop = 1;
	pthread_join(t, NULL);
	if (now > s.peak)
		s.peak = now;
	return (long)((s.peak - before) / 1024);
#else
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	long before = ru.ru_maxrss;
	*rc = pv_import_csv(v, &ADMIN, path, NULL, NULL);
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss - before;
#endif
}

/* Memory stays bounded by a constant when one field is far larger than any limit: run in a
 * child process (its own fresh vault) and compare its peak memory before and during the
 * import of a 48 MiB unterminated field (kept whole, it would need 48 MiB or more; the
 * pipeline's own buffers take a few MiB). */
static void test_huge_field_bounded_memory(void **state)
{
	struct fx *f = *state;
	char *path = pvt_path(f->root, "huge48.csv");
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	fputs(HEADER "\r\nC1,\"", fp);
	static char chunk[1 << 16];
	memset(chunk, 'y', sizeof chunk);
	for (int i = 0; i < 48 * 16; i++)
		assert_int_equal(fwrite(chunk, 1, sizeof chunk, fp), sizeof chunk);
	assert_int_equal(fclose(fp), 0);
	char *dir = pvt_path(f->root, "child-vault");
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pv_create_opts o = { .schema_path = SCHEMA, .keyring_path = NULL,
				     .keyring_slots = 1024, .kdf_cost = PV_KDF_STANDARD };
		pv_vault *v = NULL;
		if (pv_vault_create(dir, &o, f->key, &v) != PV_OK)
			_exit(10);
		pv_rc rc = PV_OK;
		long grew_kib = import_memory_growth(v, path, &rc);
		fprintf(stderr, "child: import rc %d, peak memory grew by %ld KiB\n", (int)rc,
			grew_kib);
		pv_vault_close(v);
		if (rc != PV_ERR_INPUT)
			_exit(11);
		_exit(grew_kib >= 0 && grew_kib < 32 * 1024 ? 0 : 12);
	}
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) != 0)
		fail_msg("child failed with status %d (11: wrong rc, 12: memory grew 32 MiB or more)",
			 WEXITSTATUS(st));
	free(dir);
	free(path);
}

static void test_column_counts(void **state)
{
	struct fx *f = *state;
	struct sb b = { 0 };
	struct crow r;
	sb_str(&b, HEADER "\r\n");                 /* 1 */
	crow_good(&r, "W1", 1);
	crow_csv_n(&b, &r, NCOLS - 1);             /* 2: too few */
	crow_good(&r, "W2", 2);
	struct sb line = { 0 };
	crow_csv(&line, &r);
	sb_add(&b, line.p, line.n - 2);
	sb_str(&b, ",extra\r\n");                  /* 3: too many */
	sb_str(&b, "\r\n");                        /* 4: blank, ignored */
	sb_str(&b, "W3\r\n");                      /* 5: a single field */
	crow_good(&r, "W4", 4);
	crow_csv(&b, &r);                          /* 6: good */
	crow_good(&r, "W5", 5);
	crow_csv_n(&b, &r, 1);                     /* 7: only the id */
	char *path = put(f, "widths.csv", b.p, b.n);
	pv_import_result *res = NULL;
	assert_int_equal(imp(f, path, NULL, &res), PV_ERR_INPUT);
	assert_int_equal(pv_import_rows_read(res), 5);
	assert_int_equal(pv_import_rows_rejected(res), 4);
	pv_import_free(res);
	assert_int_equal(f->errs.n, 4);
	expect_err(&f->errs, 0, 2, NULL);
	assert_non_null(strstr(f->errs.e[0].reason, "few"));
	expect_err(&f->errs, 1, 3, NULL);
	assert_non_null(strstr(f->errs.e[1].reason, "many"));
	expect_err(&f->errs, 2, 5, NULL);
	expect_err(&f->errs, 3, 7, NULL);
	assert_int_equal(count_of(f), 0);
	assert_false(gettable(f, "W4"));
	free(line.p);
	free(path);
	free(b.p);
}

static void test_empty_and_header_only(void **state)
{
	struct fx *f = *state;
	char *empty = put(f, "empty.csv", "", 0);
	pv_import_result *res = NULL;
	assert_int_equal(imp(f, empty, NULL, &res), PV_ERR_INPUT);
	pv_import_free(res);
	assert_non_null(strstr(pv_errmsg(f->v), "empty"));
	char *blank = put(f, "blank.csv", "\r\n\r\n", 4);
	assert_int_equal(imp(f, blank, NULL, NULL), PV_ERR_INPUT);

	static const char *const heads[] = { HEADER "\r\n", HEADER, HEADER "\n", HEADER "\r\n\r\n" };
	for (size_t i = 0; i < sizeof heads / sizeof *heads; i++) {
		char *p = put(f, "head.csv", heads[i], strlen(heads[i]));
		res = NULL;
		pv_rc rc = imp(f, p, NULL, &res);
		if (rc != PV_OK)
			fail_msg("header only (%zu): %s", i, pv_errmsg(f->v));
		assert_int_equal(pv_import_rows_read(res), 0);
		assert_int_equal(pv_import_rows_imported(res), 0);
		assert_int_equal(pv_import_rows_rejected(res), 0);
		pv_import_free(res);
		free(p);
	}
	assert_int_equal(count_of(f), 0);
	/* A missing input file. */
	char *none = pvt_path(f->root, "no-such.csv");
	assert_int_equal(imp(f, none, NULL, NULL), PV_ERR_IO);
	assert_non_null(strstr(pv_errmsg(f->v), "no-such.csv"));
	free(none);
	free(empty);
	free(blank);
}

static void test_duplicate_customer_ids(void **state)
{
	struct fx *f = *state;
	/* Within the file. */
	struct sb b = { 0 };
	struct crow r;
	sb_str(&b, HEADER "\r\n");
	crow_good(&r, "K1", 1);
	crow_csv(&b, &r);               /* 2 */
	crow_good(&r, "K2", 2);
	crow_csv(&b, &r);               /* 3 */
	crow_good(&r, "K1", 3);
	crow_csv(&b, &r);               /* 4 */
	char *path = put(f, "dups.csv", b.p, b.n);
	assert_int_equal(imp(f, path, NULL, NULL), PV_ERR_INPUT);
	assert_int_equal(f->errs.n, 1);
	expect_err(&f->errs, 0, 4, "customer_id");
	assert_non_null(strstr(f->errs.e[0].reason, "exists"));
	assert_int_equal(count_of(f), 0);
	assert_false(gettable(f, "K1"));

	/* Against the vault. */
	struct sb a = { 0 };
	sb_str(&a, HEADER "\r\n");
	crow_good(&r, "K1", 1);
	crow_csv(&a, &r);
	crow_good(&r, "K2", 2);
	crow_csv(&a, &r);
	char *pa = put(f, "first.csv", a.p, a.n);
	assert_int_equal(imp(f, pa, NULL, NULL), PV_OK);
	assert_int_equal(count_of(f), 2);
	struct sb c = { 0 };
	sb_str(&c, HEADER "\r\n");
	crow_good(&r, "K3", 3);
	crow_csv(&c, &r);               /* 2 */
	crow_good(&r, "K2", 7);
	r.f[C_NAME] = "冒名顶替";
	crow_csv(&c, &r);               /* 3 */
	char *pc = put(f, "second.csv", c.p, c.n);
	assert_int_equal(imp(f, pc, NULL, NULL), PV_ERR_INPUT);
	assert_int_equal(f->errs.n, 1);
	expect_err(&f->errs, 0, 3, "customer_id");
	assert_int_equal(count_of(f), 2);
	assert_false(gettable(f, "K3"));
	char *name = field_of(f, "K2", "name");
	assert_string_equal(name, names[2]);
	free(name);
	/* With a reject file, the new customer goes in and the duplicate is rejected. */
	char *rej = pvt_path(f->root, "dup-rej.csv");
	pv_import_opts o = opts_err(f);
	o.reject_path = rej;
	pv_import_result *res = NULL;
	assert_int_equal(imp(f, pc, &o, &res), PV_OK);
	assert_int_equal(pv_import_rows_imported(res), 1);
	assert_int_equal(pv_import_rows_rejected(res), 1);
	pv_import_free(res);
	assert_int_equal(count_of(f), 3);
	name = field_of(f, "K2", "name");
	assert_string_equal(name, names[2]);
	free(name);
	size_t rn;
	char *rt = pvt_read_file(rej, &rn);
	assert_true(contains(rt, rn, "\n3,"));
	assert_false(contains(rt, rn, "冒名顶替"));
	free(rt);

	/* A rejected duplicate is written like any other bad row (line, reason, the row
	 * masked, id kept), and the reject file stays in line order. */
	struct sb d = { 0 };
	sb_str(&d, HEADER "\r\n");
	crow_good(&r, "K10", 10);
	r.f[C_PHONE] = "12";
	crow_csv(&d, &r);               /* 2: bad phone */
	crow_good(&r, "K1", 11);
	r.f[C_NAME] = "重复客户";
	crow_csv(&d, &r);               /* 3: K1 exists */
	crow_good(&r, "K12", 12);
	r.f[C_DATE] = "2024-02-30";
	crow_csv(&d, &r);               /* 4: bad date */
	crow_good(&r, "K13", 13);
	crow_csv(&d, &r);               /* 5: good */
	char *pd = put(f, "dup-order.csv", d.p, d.n);
	res = NULL;
	free(rej); /* a reject file is always a new file */
	rej = pvt_path(f->root, "dup-order-rej.csv");
	o.reject_path = rej;
	assert_int_equal(imp(f, pd, &o, &res), PV_OK);
	assert_int_equal(pv_import_rows_imported(res), 1);
	assert_int_equal(pv_import_rows_rejected(res), 3);
	pv_import_free(res);
	assert_int_equal(f->errs.n, 3);
	expect_err(&f->errs, 0, 2, "phone");
	expect_err(&f->errs, 1, 3, "customer_id");
	expect_err(&f->errs, 2, 4, "last_order_date");
	rt = pvt_read_file(rej, &rn);
	assert_false(contains(rt, rn, "重复客户"));
	struct table t;
	table_parse(rt, rn, &t);
	assert_int_equal(t.nrows, 4);
	static const char *const want_line[] = { "2", "3", "4" };
	static const char *const want_id[] = { "K10", "K1", "K12" };
	for (size_t i = 0; i < 3; i++) {
		const struct trow *row = &t.rows[1 + i];
		if (strcmp(row->f[0], want_line[i]) != 0)
			fail_msg("reject row %zu is for line %s, want line %s (line order)", i + 1,
				 row->f[0], want_line[i]);
		if (row->n != 2 + NCOLS)
			fail_msg("reject row for line %s has %zu fields, want %d like the others",
				 row->f[0], row->n, 2 + NCOLS);
		assert_string_equal(row->f[2], want_id[i]);
	}
	table_free(&t);
	free(rt);
	free(pd);
	free(d.p);
	free(rej);
	free(pa);
	free(pc);
	free(path);
	free(a.p);
	free(b.p);
	free(c.p);
}

/* Duplicate groups: {field, sorted ids} pairs, compared as sets. */
static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static char *sorted_ids(const char *ids)
{
	char *copy = strdup(ids), *parts[64];
	size_t n = 0;
	for (char *save, *t = strtok_r(copy, ",", &save); t && n < 64; t = strtok_r(NULL, ",", &save))
		parts[n++] = t;
	qsort(parts, n, sizeof *parts, cmp_str);
	char *out = calloc(1, strlen(ids) + 2);
	for (size_t i = 0; i < n; i++) {
		strcat(out, i ? "," : "");
		strcat(out, parts[i]);
	}
	free(copy);
	return out;
}

static void expect_dups(const pv_import_result *res, const char *const *want, size_t nwant)
{
	size_t n = pv_import_duplicate_count(res);
	int *seen = calloc(nwant + 1, sizeof *seen);
	for (size_t i = 0; i < n; i++) {
		char *ids = sorted_ids(pv_import_duplicate_ids(res, i));
		char key[256];
		snprintf(key, sizeof key, "%s:%s", pv_import_duplicate_field(res, i), ids);
		free(ids);
		size_t k = 0;
		while (k < nwant && strcmp(want[k], key) != 0)
			k++;
		if (k == nwant)
			fail_msg("unexpected duplicate group %s", key);
		seen[k]++;
	}
	for (size_t k = 0; k < nwant; k++)
		if (seen[k] != 1)
			fail_msg("duplicate group %s reported %d times", want[k], seen[k]);
	assert_int_equal(n, nwant);
	free(seen);
}

static int collect_id(void *ctx, const char *id)
{
	struct sb *b = ctx;
	sb_str(b, b->n ? "," : "");
	sb_str(b, id);
	return 0;
}

/* "id=name" of each record found, comma-separated. */
static int collect_id_name(void *ctx, const pv_record *r)
{
	struct sb *b = ctx;
	sb_str(b, b->n ? "," : "");
	sb_str(b, pv_record_id(r));
	for (size_t i = 0; i < pv_record_field_count(r); i++)
		if (strcmp(pv_record_field_name(r, i), "name") == 0) {
			sb_str(b, "=");
			sb_str(b, pv_record_field_value(r, i));
		}
	return 0;
}

static void test_duplicate_phone_and_id_number(void **state)
{
	struct fx *f = *state;
	/* An id number ending in X, for spelling it with a lower-case x. */
	unsigned kx = 0;
	char idx[19];
	for (kx = 500; kx < 1000; kx++) {
		make_idno(idx, kx);
		if (idx[17] == 'X')
			break;
	}
	assert_int_equal(idx[17], 'X');
	char idx_lower[19];
	memcpy(idx_lower, idx, 19);
	idx_lower[17] = 'x';

	struct sb b = { 0 };
	struct crow r;
	sb_str(&b, HEADER "\r\n");
	crow_good(&r, "P1", 1);
	r.f[C_PHONE] = "13912345678";
	crow_csv(&b, &r);
	crow_good(&r, "P2", 2);
	r.f[C_PHONE] = "+86 139-1234-5678";
	crow_csv(&b, &r);
	crow_good(&r, "P3", 3);
	r.f[C_IDNO] = idx;
	crow_csv(&b, &r);
	crow_good(&r, "P4", 4);
	r.f[C_IDNO] = idx_lower;
	crow_csv(&b, &r);
	crow_good(&r, "P5", 5);
	crow_csv(&b, &r);
	char *path = put(f, "dupfields.csv", b.p, b.n);
	pv_import_result *res = NULL;
	pv_rc rc = imp(f, path, NULL, &res);
	if (rc != PV_OK)
		fail_msg("import: %s", pv_errmsg(f->v));
	assert_int_equal(pv_import_rows_imported(res), 5);
	const char *const want1[] = { "phone:P1,P2", "id_number:P3,P4" };
	expect_dups(res, want1, 2);
	char *js = pv_import_json(res);
	json_t *j = json_loads(js, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, "duplicates")), 2);
	assert_int_equal(json_integer_value(json_object_get(j, "duplicate_groups")), 2);
	json_decref(j);
	free(js);
	pv_import_free(res);
	/* Not merged: five customers, each with its own values. */
	assert_int_equal(count_of(f), 5);
	char *n1 = field_of(f, "P1", "name"), *n2 = field_of(f, "P2", "name");
	assert_string_equal(n1, names[1]);
	assert_string_equal(n2, names[2]);
	free(n1);
	free(n2);
	char *id4 = field_of(f, "P4", "id_number");
	assert_string_equal(id4, idx); /* normalised to upper-case X */
	free(id4);
	struct sb found = { 0 };
	assert_int_equal(pv_find(f->v, &ADMIN_READ, "phone", "139 1234 5678", collect_id, &found),
			 PV_OK);
	assert_string_equal(found.p, "P1,P2");
	free(found.p);

	/* A later import: duplicates against customers already in the vault, and a third
	 * customer joining an old group. The old group alone is not reported again. */
	struct crow p5;
	crow_good(&p5, "P5", 5);
	struct crow p1;
	crow_good(&p1, "P1", 1);
	struct sb c = { 0 };
	sb_str(&c, HEADER "\r\n");
	crow_good(&r, "P6", 6);
	r.f[C_PHONE] = p5.f[C_PHONE];
	crow_csv(&c, &r);
	crow_good(&r, "P7", 7);
	r.f[C_IDNO] = p1.f[C_IDNO];
	crow_csv(&c, &r);
	crow_good(&r, "P8", 8);
	r.f[C_PHONE] = "0086 13912345678";
	crow_csv(&c, &r);
	crow_good(&r, "P9", 9);
	crow_csv(&c, &r);
	char *p2 = put(f, "dupfields2.csv", c.p, c.n);
	res = NULL;
	assert_int_equal(imp(f, p2, NULL, &res), PV_OK);
	assert_int_equal(pv_import_rows_imported(res), 4);
	const char *const want2[] = { "phone:P5,P6", "id_number:P1,P7", "phone:P1,P2,P8" };
	expect_dups(res, want2, 3);
	pv_import_free(res);
	/* Their records, found by the shared phone: each its own, in id order. */
	struct sb want = { 0 }, got = { 0 };
	const char *const shared[] = { "P1", "P2", "P8" };
	for (size_t i = 0; i < 3; i++) {
		char *name = field_of(f, shared[i], "name");
		sb_str(&want, i ? "," : "");
		sb_str(&want, shared[i]);
		sb_str(&want, "=");
		sb_str(&want, name);
		free(name);
	}
	assert_int_equal(pv_find_records(f->v, &ADMIN_READ, "phone", "+8613912345678",
					 collect_id_name, &got), PV_OK);
	assert_string_equal(got.p, want.p);
	free(want.p);
	free(got.p);
	assert_int_equal(count_of(f), 9);
	char *n6 = field_of(f, "P6", "name"), *n5 = field_of(f, "P5", "name");
	assert_string_equal(n6, names[6]);
	assert_string_equal(n5, names[5]);
	free(n6);
	free(n5);
	free(p2);
	free(c.p);
	free(path);
	free(b.p);
}

static void test_consent_values(void **state)
{
	struct fx *f = *state;
	static const struct {
		const char *in;
		int want; /* 1 granted, 0 refused, -1 no record */
	} cases[] = {
		{ "yes", 1 }, { "no", 0 }, { "", -1 }, { "是", 1 }, { "否", 0 }, { "Y", 1 },
		{ "n", 0 }, { "TRUE", 1 }, { "false", 0 }, { "1", 1 }, { "0", 0 }, { " yes ", 1 },
	};
	const size_t ncases = sizeof cases / sizeof *cases;
	struct sb b = { 0 };
	struct crow r;
	sb_str(&b, HEADER "\r\n");
	for (size_t i = 0; i < ncases; i++) {
		char id[8];
		snprintf(id, sizeof id, "S%zu", i);
		crow_good(&r, id, (unsigned)i);
		r.f[C_CONSENT] = cases[i].in;
		crow_csv(&b, &r);
	}
	char *path = put(f, "consent.csv", b.p, b.n);
	pv_rc rc = imp(f, path, NULL, NULL);
	if (rc != PV_OK) {
		dump_errs(&f->errs);
		fail_msg("consents: %s", pv_errmsg(f->v));
	}
	for (size_t i = 0; i < ncases; i++) {
		char id[8];
		snprintf(id, sizeof id, "S%zu", i);
		pv_record *rec = NULL;
		assert_int_equal(pv_get(f->v, &ADMIN_READ, id, &rec), PV_OK);
		if (cases[i].want < 0) {
			assert_int_equal(pv_record_consent_count(rec), 0);
		} else {
			if (pv_record_consent_count(rec) != 1)
				fail_msg("consent \"%s\": %zu records", cases[i].in,
					 pv_record_consent_count(rec));
			assert_string_equal(pv_record_consent_purpose(rec, 0), "marketing");
			if (pv_record_consent_granted(rec, 0) != cases[i].want)
				fail_msg("consent \"%s\": granted %d, want %d", cases[i].in,
					 pv_record_consent_granted(rec, 0), cases[i].want);
		}
		pv_record_free(rec);
	}
	/* Anything else is a bad value of that column. */
	struct sb c = { 0 };
	sb_str(&c, HEADER "\r\n");
	crow_good(&r, "S100", 100);
	r.f[C_CONSENT] = "maybe";
	crow_csv(&c, &r);
	char *p2 = put(f, "consent-bad.csv", c.p, c.n);
	assert_int_equal(imp(f, p2, NULL, NULL), PV_ERR_INPUT);
	assert_int_equal(f->errs.n, 1);
	expect_err(&f->errs, 0, 2, "consent_marketing");
	assert_false(gettable(f, "S100"));
	free(p2);
	free(c.p);
	free(path);
	free(b.p);
}

static void test_import_json(void **state)
{
	struct fx *f = *state;
	struct sb b = { 0 };
	struct crow r;
	sb_str(&b, "\xEF\xBB\xBF" HEADER ",fax\r\n");
	for (unsigned k = 1; k <= 4; k++) {
		char id[8];
		snprintf(id, sizeof id, "J%u", k);
		crow_good(&r, id, k);
		if (k == 3)
			r.f[C_CARD] = "6228480000000000000000";
		struct sb line = { 0 };
		crow_csv(&line, &r);
		sb_add(&b, line.p, line.n - 2);
		sb_str(&b, ",010-12345678\r\n");
		free(line.p);
	}
	char *path = put(f, "json.csv", b.p, b.n);
	char *rej = pvt_path(f->root, "json-rej.csv");
	pv_import_opts o = opts_err(f);
	o.reject_path = rej;
	o.flags = PV_IMPORT_DROP_UNDECLARED;
	pv_import_result *res = NULL;
	assert_int_equal(imp(f, path, &o, &res), PV_OK);
	char *js = pv_import_json(res);
	assert_non_null(js);
	json_error_t jerr;
	json_t *j = json_loads(js, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		fail_msg("pv_import_json is not JSON: %s (line %d): %s", jerr.text, jerr.line, js);
	assert_true(json_is_object(j));
	assert_true(json_is_integer(json_object_get(j, "rows_read")));
	assert_int_equal(json_integer_value(json_object_get(j, "rows_read")), 4);
	assert_int_equal(json_integer_value(json_object_get(j, "imported")), 3);
	assert_int_equal(json_integer_value(json_object_get(j, "rejected")), 1);
	assert_int_equal(json_integer_value(json_object_get(j, "rows_read")),
			 pv_import_rows_read(res));
	assert_true(json_is_number(json_object_get(j, "seconds")));
	assert_true(json_number_value(json_object_get(j, "seconds")) >= 0);
	assert_true(json_is_array(json_object_get(j, "duplicates")));
	assert_string_equal(json_string_value(json_object_get(j, "dropped_columns")), "fax");
	assert_non_null(strstr(json_string_value(json_object_get(j, "warnings")),
			       "byte-order mark"));
	assert_int_equal(json_integer_value(json_object_get(j, "errors_total")), 1);
	json_t *errs = json_object_get(j, "errors");
	assert_true(json_is_array(errs));
	assert_int_equal(json_array_size(errs), 1);
	json_t *e0 = json_array_get(errs, 0);
	assert_int_equal(json_integer_value(json_object_get(e0, "line")), 4);
	assert_string_equal(json_string_value(json_object_get(e0, "column")), "bank_card");
	assert_true(json_is_string(json_object_get(e0, "reason")));
	/* No personal value in the summary. */
	assert_null(strstr(js, "6228480000000000000000"));
	assert_null(strstr(js, "010-12345678"));
	assert_null(strstr(js, names[3]));
	json_decref(j);
	free(js);
	pv_import_free(res);

	/* After a refused import the summary is JSON as well. */
	res = NULL;
	assert_int_equal(imp(f, path, NULL, &res), PV_ERR_INPUT);
	assert_non_null(res);
	js = pv_import_json(res);
	j = json_loads(js, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "imported")), 0);
	json_decref(j);
	free(js);
	pv_import_free(res);
	free(rej);
	free(path);
	free(b.p);
}

/* Import pvgen --canonical rows, export them in clear as admin, and compare every field
 * with its normal form (pv_validate), which for this data is the value as generated. */
static void test_round_trip(void **state)
{
	struct fx *f = *state;
	size_t n;
	char *csv = gen("-n 600 --seed 77 --canonical", &n);
	char *path = put(f, "canon.csv", csv, n);
	assert_int_equal(imp(f, path, NULL, NULL), PV_OK);
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	assert_non_null(mem);
	assert_int_equal(pv_export(f->v, &ADMIN_READ, PV_EXPORT_CSV, mem), PV_OK);
	assert_int_equal(fclose(mem), 0);

	struct table in, out;
	table_parse(csv, n, &in);
	table_parse(buf, len, &out);
	assert_int_equal(in.nrows, 601);
	assert_int_equal(out.nrows, in.nrows);
	assert_int_equal(out.rows[0].n, NCOLS);
	for (int c = 0; c < NCOLS; c++)
		assert_string_equal(out.rows[0].f[c], colname[c]);
	const struct pv_schema *s = f->v->schema;
	size_t multiline = 0, quoted = 0;
	for (size_t r = 1; r < in.nrows; r++) {
		assert_int_equal(in.rows[r].n, NCOLS);
		assert_int_equal(out.rows[r].n, NCOLS);
		for (int c = 0; c < NCOLS; c++) {
			const char *a = in.rows[r].f[c], *e = out.rows[r].f[c];
			char want[PV_VALUE_MAX + 1];
			size_t wl;
			int fi = pv_schema_field_index(s, colname[c]);
			if (fi >= 0) {
				const char *why = pv_validate(s->fields[fi].type, a, strlen(a), want,
							      sizeof want, &wl);
				if (why)
					fail_msg("pvgen wrote an invalid %s (%s)", colname[c], why);
			} else {
				snprintf(want, sizeof want, "%s", a); /* id, consent yes/no */
			}
			if (strcmp(e, want) != 0)
				fail_msg("row %zu, %s: exported \"%s\", normal form \"%s\"", r,
					 colname[c], e, want);
			if (strcmp(e, a) != 0)
				fail_msg("row %zu, %s: exported \"%s\", generated \"%s\"", r,
					 colname[c], e, a);
		}
		multiline += strchr(in.rows[r].f[C_PREF], '\n') != NULL;
		quoted += strchr(in.rows[r].f[C_PREF], '"') != NULL;
		assert_true(strncmp(in.rows[r].f[C_PHONE], "+86", 3) == 0);
		assert_true(!strcmp(in.rows[r].f[C_CONSENT], "yes") ||
			    !strcmp(in.rows[r].f[C_CONSENT], "no"));
	}
	assert_true(multiline > 0); /* the data exercised quoting */
	assert_true(quoted > 0);

	/* Non-canonical spellings come back in their normal forms. */
	struct sb b = { 0 };
	struct crow cr;
	sb_str(&b, HEADER "\r\n");
	crow_good(&cr, "RT1", 1);
	cr.f[C_PHONE] = "(0086) 139-1000-0001";
	cr.f[C_AMOUNT] = "1,234.5";
	cr.f[C_CREATED] = "2024-01-15 10:00:00Z";
	cr.f[C_EMAIL] = "Zhang.San@Example.COM";
	cr.f[C_NAME] = "  张 三  ";
	cr.f[C_CONSENT] = "是";
	crow_csv(&b, &cr);
	char *p2 = put(f, "rt.csv", b.p, b.n);
	assert_int_equal(imp(f, p2, NULL, NULL), PV_OK);
	static const struct {
		const char *field, *want;
	} norm[] = {
		{ "phone", "+8613910000001" }, { "last_order_amount", "1234.5" },
		{ "created_at", "2024-01-15T10:00:00Z" }, { "email", "Zhang.San@example.com" },
		{ "name", "张 三" },
	};
	for (size_t i = 0; i < sizeof norm / sizeof *norm; i++) {
		char *got = field_of(f, "RT1", norm[i].field);
		char want[PV_VALUE_MAX + 1];
		size_t wl;
		int fi = pv_schema_field_index(s, norm[i].field);
		const char *raw = NULL;
		for (int c = 0; c < NCOLS; c++)
			if (strcmp(colname[c], norm[i].field) == 0)
				raw = cr.f[c];
		assert_non_null(raw);
		assert_null(pv_validate(s->fields[fi].type, raw, strlen(raw), want, sizeof want, &wl));
		assert_string_equal(got, want);
		assert_string_equal(got, norm[i].want);
		free(got);
	}
	free(p2);
	free(b.p);
	table_free(&in);
	table_free(&out);
	free(buf);
	free(csv);
	free(path);
}

/* ---- pv_import_csv_fd: input from a descriptor whose end may not be the input's ------ */

static int says_whole(void *ctx)
{
	return *(int *)ctx;
}

/* The text in a pipe (it fits the pipe's buffer), its write end closed; the read end. */
static int pipe_of(const char *text, size_t n)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], text, n), (ssize_t)n);
	close(p[1]);
	return p[0];
}

/* A sender that stopped at a row's end leaves a valid CSV: only the whole check stops it;
 * the same rows with the input whole are imported. */
static void test_import_fd_whole_check(void **state)
{
	struct fx *f = *state;
	size_t n;
	char *csv = gen("-n 40 --seed 5", &n);
	int whole = 0, fd = pipe_of(csv, n);
	pv_import_result *res = NULL;
	pv_import_opts o = opts_err(f);
	assert_int_equal(pv_import_csv_fd(f->v, &ADMIN, fd, says_whole, &whole, &o, &res),
			 PV_ERR_INPUT);
	assert_non_null(strstr(pv_errmsg(f->v), "stopped before its end"));
	pv_import_free(res);
	close(fd);
	assert_int_equal(count_of(f), 0);
	whole = 1;
	fd = pipe_of(csv, n);
	assert_ok(f->v, pv_import_csv_fd(f->v, &ADMIN, fd, says_whole, &whole, &o, NULL));
	close(fd);
	assert_int_equal(count_of(f), 40);
	free(csv);
}

/* The summary of an import that failed after its rows were counted (the file ends inside
 * a quoted field, or the caller's last check refuses): nothing is kept, so it says 0
 * imported, in the result and in its JSON, with or without a reject file. */
static void expect_summary_imported_none(const pv_import_result *res)
{
	assert_non_null(res);
	assert_int_equal(pv_import_rows_imported(res), 0);
	char *js = pv_import_json(res);
	json_t *j = json_loads(js, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "imported")), 0);
	json_decref(j);
	free(js);
}

static void test_failed_at_end_counts_nothing(void **state)
{
	struct fx *f = *state;
	/* Valid CSV refused by the caller's check just before the commit. */
	size_t n;
	char *csv = gen("-n 5 --seed 9", &n);
	int whole = 0, fd = pipe_of(csv, n);
	pv_import_opts o = opts_err(f);
	pv_import_result *res = NULL;
	assert_int_equal(pv_import_csv_fd(f->v, &ADMIN, fd, says_whole, &whole, &o, &res),
			 PV_ERR_INPUT);
	close(fd);
	expect_summary_imported_none(res);
	pv_import_free(res);
	assert_int_equal(count_of(f), 0);
	/* A good row, then the file ends inside a quoted field. */
	struct sb b = { 0 };
	struct crow r;
	sb_str(&b, HEADER "\r\n");
	crow_good(&r, "E1", 1);
	crow_csv(&b, &r);                                         /* 2 */
	crow_good(&r, "E2", 2);
	crow_fields(&b, &r, C_PREF);                              /* 3: an open quote */
	sb_str(&b, ",\"never closed\r\n");
	char *path = put(f, "open-at-end.csv", b.p, b.n);
	res = NULL;
	assert_int_equal(imp(f, path, NULL, &res), PV_ERR_INPUT);
	expect_summary_imported_none(res);
	pv_import_free(res);
	assert_int_equal(count_of(f), 0);
	/* With a reject file, good rows are kept when the import succeeds; this one fails. */
	char *rej = pvt_path(f->root, "open-at-end-rej.csv");
	o.reject_path = rej;
	res = NULL;
	assert_int_equal(imp(f, path, &o, &res), PV_ERR_INPUT);
	expect_summary_imported_none(res);
	pv_import_free(res);
	assert_int_equal(count_of(f), 0);
	free(csv);
	free(rej);
	free(path);
	free(b.p);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_import_2000_generated_rows),
		T(test_import_role_denied),
		T(test_import_fd_whole_check),
		T(test_failed_at_end_counts_nothing),
		T(test_one_bad_row_leaves_vault_unchanged),
		T(test_bad_row_after_multiline_field),
		T(test_every_bad_row_reported),
		T(test_duplicate_id_after_bad_row_reported),
		T(test_reject_file_masks_bad_rows),
		T(test_reject_file_hand_written),
		T(test_reject_file_symlink_to_keyring),
		T(test_reject_file_never_over_anything),
		T(test_header_size_bounded),
		T(test_header_many_columns),
		T(test_undeclared_column),
		T(test_missing_columns),
		T(test_bom),
		T(test_invalid_utf8),
		T(test_embedded_nul),
		T(test_long_fields),
		T(test_unterminated_quote),
		T(test_huge_field),
		T(test_huge_field_bounded_memory),
		T(test_column_counts),
		T(test_empty_and_header_only),
		T(test_duplicate_customer_ids),
		T(test_duplicate_phone_and_id_number),
		T(test_consent_values),
		T(test_import_json),
		T(test_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
