/* SPDX-License-Identifier: Apache-2.0 */
/* test_noplaintext.c: after importing thousands of generated customers (one import fed
 * through standard input, one with bad rows and a reject file inside the vault), no
 * name, phone, resident ID number, bank card or email appears in clear in any file of
 * the vault directory (nor, for a vault kept in PostgreSQL, in the cluster's files), in
 * the keyring or in the reject file; the same search finds them in the input CSV and in a
 * clear export, so it could fail. */
#include "dba.h"
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pivault.h"

#define SCHEMA PV_SOURCE_DIR "/examples/schema.yaml"
#define N_FIRST 3000
#define N_SECOND 300
#define BAD_EVERY 10

static time_t g_started; /* when the test began (the cluster's log segments since) */

enum { C_ID = 0, C_NAME = 1, C_PHONE = 2, C_IDNO = 3, C_EMAIL = 4, C_CARD = 6, NCOLS = 14 };

/* Imports need no purpose; reads of customer data name one ("all": every field). */
static const pv_access ADMIN = { "admin", NULL, 1 };
static const pv_access ADMIN_READ = { "admin", "all", 1 };

/* ---- the input, parsed ------------------------------------------------------------- */

struct trow {
	size_t n;
	char **f;
};
struct table {
	size_t nrows;
	struct trow *rows;
};

static char *dup_n(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	assert_non_null(p);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* RFC 4180: quoted fields with "" and line breaks; CRLF or LF record ends. */
static void table_parse(const char *s, size_t n, struct table *t)
{
	memset(t, 0, sizeof *t);
	size_t i = 0;
	char *fld = malloc(n + 1);
	assert_non_null(fld);
	while (i < n) {
		struct trow row = { 0, NULL };
		for (;;) {
			size_t fl = 0;
			if (s[i] == '"') {
				for (i++;; i++) {
					assert_true(i < n);
					if (s[i] == '"') {
						if (i + 1 < n && s[i + 1] == '"')
							i++;
						else {
							i++;
							break;
						}
					}
					fld[fl++] = s[i];
				}
			} else {
				while (i < n && s[i] != ',' && s[i] != '\r' && s[i] != '\n')
					fld[fl++] = s[i++];
			}
			row.f = realloc(row.f, (row.n + 1) * sizeof *row.f);
			assert_non_null(row.f);
			row.f[row.n++] = dup_n(fld, fl);
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
	free(fld);
}

static void table_free(struct table *t)
{
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t i = 0; i < t->rows[r].n; i++)
			free(t->rows[r].f[i]);
		free(t->rows[r].f);
	}
	free(t->rows);
}

/* ---- the patterns searched for ------------------------------------------------------ */

enum kind {
	K_NAME, K_PHONE_RAW, K_PHONE_NATIONAL, K_PHONE_E164, K_ID_RAW, K_ID_UPPER, K_ID_LOWER,
	K_EMAIL_RAW, K_EMAIL_LOWER, K_CARD_RAW, K_CARD_DIGITS, K_COUNT
};
static const char *const kind_name[K_COUNT] = {
	"name", "phone as written", "phone national", "phone E.164", "id number as written",
	"id number upper-case", "id number lower-case x", "email as written",
	"email lower-case", "bank card as written", "bank card digits",
};

struct pat {
	char *s;
	size_t n;
	enum kind kind;
	const char *id; /* borrowed from the table */
	int in_second;  /* from the file with bad rows */
	uint64_t hits;
};

struct pats {
	struct pat *p;
	size_t n, cap;
	size_t skipped; /* too short to search for */
};

static void pat_add(struct pats *ps, const char *s, enum kind k, const char *id, int second)
{
	size_t n = strlen(s);
	if (n == 0)
		return;
	if (n < 5) { /* shorter strings could match ciphertext by chance */
		ps->skipped++;
		return;
	}
	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? 2 * ps->cap : 1024;
		ps->p = realloc(ps->p, ps->cap * sizeof *ps->p);
		assert_non_null(ps->p);
	}
	ps->p[ps->n++] = (struct pat){ dup_n(s, n), n, k, id, second, 0 };
}

/* Add every spelling of the personal values of the data rows of t. */
static void pats_from_table(struct pats *ps, const struct table *t, int second)
{
	for (size_t r = 1; r < t->nrows; r++) {
		const struct trow *row = &t->rows[r];
		assert_int_equal(row->n, NCOLS);
		const char *id = row->f[C_ID];
		pat_add(ps, row->f[C_NAME], K_NAME, id, second);
		/* phone: as written; its digits (full-width folded), the last 11; +86 and those */
		const unsigned char *p = (const unsigned char *)row->f[C_PHONE];
		char digits[64];
		size_t nd = 0;
		for (; *p && nd < 63; p++) {
			if (*p >= '0' && *p <= '9')
				digits[nd++] = (char)*p;
			else if (p[0] == 0xEF && p[1] == 0xBC && p[2] >= 0x90 && p[2] <= 0x99) {
				digits[nd++] = (char)('0' + p[2] - 0x90);
				p += 2;
			}
		}
		digits[nd] = '\0';
		const char *national = nd > 11 ? digits + nd - 11 : digits;
		char e164[80];
		snprintf(e164, sizeof e164, "+86%s", national);
		pat_add(ps, row->f[C_PHONE], K_PHONE_RAW, id, second);
		pat_add(ps, national, K_PHONE_NATIONAL, id, second);
		pat_add(ps, e164, K_PHONE_E164, id, second);
		/* id number: as written, upper-case X, lower-case x */
		char up[64], low[64];
		snprintf(up, sizeof up, "%s", row->f[C_IDNO]);
		snprintf(low, sizeof low, "%s", row->f[C_IDNO]);
		for (char *c = up; *c; c++)
			if (*c == 'x')
				*c = 'X';
		for (char *c = low; *c; c++)
			if (*c == 'X')
				*c = 'x';
		pat_add(ps, row->f[C_IDNO], K_ID_RAW, id, second);
		pat_add(ps, up, K_ID_UPPER, id, second);
		pat_add(ps, low, K_ID_LOWER, id, second);
		/* email: as written and lower-cased */
		char lower[256];
		snprintf(lower, sizeof lower, "%s", row->f[C_EMAIL]);
		for (char *c = lower; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		pat_add(ps, row->f[C_EMAIL], K_EMAIL_RAW, id, second);
		pat_add(ps, lower, K_EMAIL_LOWER, id, second);
		/* bank card: as written and its digits alone */
		char cd[64];
		size_t nc = 0;
		for (const char *c = row->f[C_CARD]; *c && nc < 63; c++)
			if (*c >= '0' && *c <= '9')
				cd[nc++] = *c;
		cd[nc] = '\0';
		pat_add(ps, row->f[C_CARD], K_CARD_RAW, id, second);
		pat_add(ps, cd, K_CARD_DIGITS, id, second);
	}
}

static void pats_free(struct pats *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		free(ps->p[i].s);
	free(ps->p);
}

/* ---- multi-pattern search: one rolling hash per distinct pattern length ------------- */

#define BASE 0x100000001b3ULL

struct slot {
	uint64_t h;
	size_t idx; /* pattern index + 1; 0 empty */
};

/* Count, into each pattern's hits, its occurrences in buf[0..n); returns the total. */
static uint64_t search(struct pats *ps, const unsigned char *buf, size_t n)
{
	for (size_t i = 0; i < ps->n; i++)
		ps->p[i].hits = 0;
	uint64_t total = 0;
	size_t maxlen = 0;
	for (size_t i = 0; i < ps->n; i++)
		if (ps->p[i].n > maxlen)
			maxlen = ps->p[i].n;
	size_t cap = 1;
	while (cap < 4 * ps->n)
		cap <<= 1;
	struct slot *tab = malloc(cap * sizeof *tab);
	size_t *per_len = calloc(maxlen + 1, sizeof *per_len);
	assert_non_null(tab);
	assert_non_null(per_len);
	for (size_t i = 0; i < ps->n; i++)
		per_len[ps->p[i].n]++;
	for (size_t len = 1; len <= maxlen && len <= n; len++) {
		if (!per_len[len])
			continue;
		memset(tab, 0, cap * sizeof *tab);
		size_t count = 0;
		for (size_t i = 0; i < ps->n; i++) {
			if (ps->p[i].n != len)
				continue;
			uint64_t h = 0;
			for (size_t k = 0; k < len; k++)
				h = h * BASE + (unsigned char)ps->p[i].s[k];
			size_t at = (size_t)(h ^ (h >> 29)) & (cap - 1);
			while (tab[at].idx)
				at = (at + 1) & (cap - 1);
			tab[at] = (struct slot){ h, i + 1 };
			count++;
		}
		if (!count)
			continue;
		uint64_t top = 1; /* BASE^(len-1) */
		for (size_t k = 1; k < len; k++)
			top *= BASE;
		uint64_t h = 0;
		for (size_t k = 0; k < len; k++)
			h = h * BASE + buf[k];
		for (size_t pos = 0;; pos++) {
			size_t at = (size_t)(h ^ (h >> 29)) & (cap - 1);
			for (; tab[at].idx; at = (at + 1) & (cap - 1)) {
				struct pat *p = &ps->p[tab[at].idx - 1];
				if (tab[at].h == h && memcmp(buf + pos, p->s, len) == 0) {
					p->hits++;
					total++;
				}
			}
			if (pos + len >= n)
				break;
			h = (h - buf[pos] * top) * BASE + buf[pos + len];
		}
	}
	free(tab);
	free(per_len);
	return total;
}

/* Search file path; fail, naming the first few hits, if anything is found. A file that
 * vanished before it was read is skipped when vanish_ok (a running server's files). */
static void search_file(struct pats *ps, const char *path, int vanish_ok)
{
	size_t n;
	char *buf = pvt_read_file(path, &n);
	if (!buf && vanish_ok && access(path, F_OK) != 0)
		return;
	if (!buf)
		fail_msg("cannot read %s", path);
	uint64_t total = search(ps, (const unsigned char *)buf, n);
	if (total) {
		int shown = 0;
		for (size_t i = 0; i < ps->n && shown < 10; i++)
			if (ps->p[i].hits) {
				print_message("  %s: %s of customer %s in clear (%llu times)\n", path,
					      kind_name[ps->p[i].kind], ps->p[i].id,
					      (unsigned long long)ps->p[i].hits);
				shown++;
			}
		fail_msg("%s (%zu bytes) holds %llu personal values in clear", path, n,
			 (unsigned long long)total);
	}
	free(buf);
}

static void assert_no_plaintext(struct pats *ps, const char *path)
{
	search_file(ps, path, 0);
}

/* Every regular file in dir, searched; returns how many were searched. */
static int assert_dir_clean(struct pats *ps, const char *dir, size_t *bytes)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	int files = 0;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char *p = pvt_path(dir, e->d_name);
		struct stat st;
		assert_int_equal(lstat(p, &st), 0);
		if (S_ISDIR(st.st_mode))
			assert_dir_clean(ps, p, bytes);
		else {
			assert_no_plaintext(ps, p);
			*bytes += (size_t)st.st_size;
			files++;
		}
		free(p);
	}
	closedir(d);
	return files;
}

/* The regular files directly in dir changed since `since`, searched (a running server's:
 * one that vanishes meanwhile is skipped); the bytes searched. */
static size_t search_since(struct pats *ps, const char *dir, time_t since)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	size_t bytes = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		char *p = pvt_path(dir, e->d_name);
		struct stat st;
		if (lstat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_mtime >= since) {
			search_file(ps, p, 1);
			bytes += (size_t)st.st_size;
		}
		free(p);
	}
	closedir(d);
	return bytes;
}

/* A vault kept in PostgreSQL: its rows live in the cluster's files, so those are searched
 * too, once a checkpoint has written the tables out: every table and index of the vault's
 * schema (and their TOAST tables), the write-ahead log's segments written since the test
 * began, and the server's log beside the data directory. The cluster's data directory
 * comes from PIVAULT_TEST_PG_DATA (scripts/test.sh); without it the search cannot be
 * made, and the test fails rather than pass unsearched. Returns the bytes searched. */
static size_t assert_cluster_clean(struct pats *ps, const char *dir)
{
	if (!pvt_dba_pg(dir))
		return 0;
	const char *data = getenv("PIVAULT_TEST_PG_DATA");
	if (!data || !*data)
		fail_msg("the vault is in PostgreSQL but PIVAULT_TEST_PG_DATA (the cluster's data "
			 "directory) is not set: its files cannot be searched");
	char *files = NULL;
	assert_int_equal(pvt_dba(&files, dir, "CHECKPOINT; SELECT pg_relation_filepath(oid) "
				 "FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
				 "AND relkind IN ('r', 'i') UNION SELECT pg_relation_filepath("
				 "reltoastrelid) FROM pg_class WHERE relnamespace = "
				 "current_schema()::regnamespace AND reltoastrelid <> 0"), 0);
	size_t bytes = 0;
	int tables = 0;
	for (char *rel = files, *end; (end = strchr(rel, '\n')) != NULL; rel = end + 1) {
		*end = '\0';
		char *path = pvt_path(data, rel);
		struct stat st;
		if (stat(path, &st) == 0) {
			assert_no_plaintext(ps, path);
			bytes += (size_t)st.st_size;
			tables++;
		}
		free(path);
	}
	free(files);
	assert_true(tables > 10);
	char *wal = pvt_path(data, "pg_wal");
	bytes += search_since(ps, wal, g_started);
	free(wal);
	char *log = pvt_path(data, "../server.log");
	if (access(log, R_OK) == 0)
		assert_no_plaintext(ps, log);
	free(log);
	return bytes;
}

/* The control: in buf, every pattern of the given kinds, of the first file (which 0), of
 * the second (1) or of both (2), restricted to the ids in only when not NULL, must be
 * found. */
static void assert_found(struct pats *ps, const char *what, const char *buf, size_t n,
			 const enum kind *kinds, size_t nkinds, int which,
			 const struct table *only)
{
	search(ps, (const unsigned char *)buf, n);
	size_t checked = 0;
	for (size_t i = 0; i < ps->n; i++) {
		const struct pat *p = &ps->p[i];
		int want = 0;
		for (size_t k = 0; k < nkinds; k++)
			want |= p->kind == kinds[k];
		if (!want || (which != 2 && p->in_second != which))
			continue;
		if (only) { /* only's rows are in id order: binary search */
			size_t lo = 1, hi = only->nrows;
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				if (strcmp(only->rows[mid].f[0], p->id) < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo == only->nrows || strcmp(only->rows[lo].f[0], p->id) != 0)
				continue;
		}
		checked++;
		if (!p->hits)
			fail_msg("control: %s of %s not found in %s", kind_name[p->kind], p->id,
				 what);
	}
	assert_true(checked > 1000);
	if (only)
		assert_true(checked > 6 * (only->nrows - 1) * 9 / 10);
}

/* ---- the test ------------------------------------------------------------------------ */

/* Import text as admin through standard input ("-"), fed by a child process through a
 * pipe, so no file of it exists anywhere. */
static pv_rc import_from_pipe(pv_vault *v, const char *text, size_t n)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		size_t done = 0;
		while (done < n) {
			ssize_t w = write(fds[1], text + done, n - done);
			if (w <= 0)
				_exit(1);
			done += (size_t)w;
		}
		_exit(0);
	}
	close(fds[1]);
	int saved = dup(0);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fds[0], 0), 0);
	close(fds[0]);
	pv_import_opts o = { 0 };
	o.threads = 4;
	pv_import_result *res = NULL;
	pv_rc rc = pv_import_csv(v, &ADMIN, "-", &o, &res);
	assert_int_equal(dup2(saved, 0), 0);
	close(saved);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	if (rc == PV_OK)
		assert_int_equal(pv_import_rows_imported(res), N_FIRST);
	pv_import_free(res);
	return rc;
}

struct fx {
	char *vroot, *inroot;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	f->vroot = pvt_tempdir();
	f->inroot = pvt_tempdir(); /* the input, apart from the vault and its keyring */
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	pvt_rmtree(f->vroot);
	pvt_rmtree(f->inroot);
	free(f->vroot);
	free(f->inroot);
	free(f);
	return 0;
}

static void test_no_plaintext_anywhere(void **state)
{
	struct fx *f = *state;
	const char *vroot = f->vroot, *inroot = f->inroot;
	char *dir = pvt_path(vroot, "v"), *kr = pvt_path(vroot, "v.keyring");
	char *keyp = pvt_path(vroot, "root.key");
	g_started = time(NULL) - 1;

	/* The input, generated into memory (and, for the control only, into a file in a
	 * directory of its own, apart from the vault and the keyring). */
	char *first = NULL;
	assert_int_equal(pvt_run(&first, "'%s' -n %d --seed 31", pvt_program("pvgen"), N_FIRST), 0);
	size_t n1 = strlen(first);
	char *first_path = pvt_path(inroot, "first.csv");
	assert_int_equal(pvt_write_file(first_path, first, n1), 0);
	char *second_path = pvt_path(inroot, "second.csv");
	assert_int_equal(pvt_run(NULL, "'%s' -n %d --start %d --seed 31 --bad-every %d -o '%s'",
				 pvt_program("pvgen"), N_SECOND, N_FIRST + 1, BAD_EVERY,
				 second_path), 0);
	size_t n2;
	char *second = pvt_read_file(second_path, &n2);
	assert_non_null(second);

	struct table t1, t2;
	table_parse(first, n1, &t1);
	table_parse(second, n2, &t2);
	assert_int_equal(t1.nrows, N_FIRST + 1);
	assert_int_equal(t2.nrows, N_SECOND + 1);
	struct pats ps = { 0 };
	pats_from_table(&ps, &t1, 0);
	pats_from_table(&ps, &t2, 1);
	assert_true(ps.skipped * 1000 < ps.n);

	/* Control: the search finds every value as written in the CSV files themselves. */
	const enum kind raw[] = { K_NAME, K_PHONE_RAW, K_ID_RAW, K_EMAIL_RAW, K_CARD_RAW };
	assert_found(&ps, first_path, first, n1, raw, 5, 0, NULL);
	assert_found(&ps, second_path, second, n2, raw, 5, 1, NULL);

	/* The vault. */
	pv_key *key = NULL;
	assert_int_equal(pv_key_generate_file(keyp), PV_OK);
	assert_int_equal(pv_key_from_file(keyp, &key), PV_OK);
	pv_create_opts co = { .schema_path = SCHEMA, .keyring_path = NULL, .keyring_slots = 1024,
			      .kdf_cost = PV_KDF_STANDARD };
	pv_vault *v = NULL;
	if (pv_vault_create(dir, &co, key, &v) != PV_OK)
		fail_msg("create: %s", pv_errmsg(v));
	pv_rc rc = import_from_pipe(v, first, n1);
	if (rc != PV_OK)
		fail_msg("import from standard input: %s", pv_errmsg(v));
	char *rej = pvt_path(dir, "rejects.csv");
	pv_import_opts o = { 0 };
	o.reject_path = rej;
	pv_import_result *res = NULL;
	rc = pv_import_csv(v, &ADMIN, second_path, &o, &res);
	if (rc != PV_OK)
		fail_msg("import with rejects: %s", pv_errmsg(v));
	assert_int_equal(pv_import_rows_rejected(res), N_SECOND / BAD_EVERY);
	assert_int_equal(pv_import_rows_imported(res), N_SECOND - N_SECOND / BAD_EVERY);
	pv_import_free(res);
	uint64_t count = 0;
	assert_int_equal(pv_vault_count(v, &count), PV_OK);
	assert_int_equal(count, N_FIRST + N_SECOND - N_SECOND / BAD_EVERY);
	/* Control: a clear export (written outside the vault) holds every value of every
	 * imported customer in its normal form: E.164 phones, upper-case X, digits only. */
	char *export_path = pvt_path(inroot, "export.csv");
	FILE *ex = fopen(export_path, "wb");
	assert_non_null(ex);
	assert_int_equal(pv_export(v, &ADMIN_READ, PV_EXPORT_CSV, ex), PV_OK);
	assert_int_equal(fclose(ex), 0);
	size_t ne;
	char *exported = pvt_read_file(export_path, &ne);
	struct table te;
	table_parse(exported, ne, &te);
	assert_int_equal(te.nrows, count + 1);
	const enum kind norm[] = { K_NAME, K_PHONE_NATIONAL, K_PHONE_E164, K_ID_UPPER,
				   K_EMAIL_LOWER, K_CARD_DIGITS };
	assert_found(&ps, export_path, exported, ne, norm, 6, 2, &te);

	/* While open, after a checkpoint: every file in the directory, and the keyring. */
	rc = pv_vault_checkpoint(v);
	if (rc != PV_OK)
		fail_msg("checkpoint: %s: %s", pv_strerror(rc), pv_errmsg(v));
	size_t bytes = 0;
	int files = assert_dir_clean(&ps, dir, &bytes);
	assert_true(files >= 2); /* vault.db (or the record `store`) and the reject file */
	bytes += assert_cluster_clean(&ps, dir);
	assert_true(bytes > 1000000);
	assert_no_plaintext(&ps, kr);
	/* Reads leave nothing behind either. */
	pv_record *r = NULL;
	assert_int_equal(pv_get(v, &ADMIN_READ, "C00000042", &r), PV_OK);
	pv_record_free(r);
	pv_vault_close(v);

	/* Closed: again, whatever the store left (SQLite's files, or the cluster's). */
	bytes = 0;
	files = assert_dir_clean(&ps, dir, &bytes);
	assert_true(files >= 2);
	assert_cluster_clean(&ps, dir);
	assert_no_plaintext(&ps, kr);
	assert_no_plaintext(&ps, rej);
	size_t rn;
	char *rt = pvt_read_file(rej, &rn);
	assert_non_null(rt);
	assert_true(rn > 100); /* the reject file has the masked rows */
	free(rt);

	/* And reopened: still nothing after a read-only session. */
	v = NULL;
	assert_int_equal(pv_vault_open(dir, NULL, key, &v), PV_OK);
	r = NULL;
	assert_int_equal(pv_get(v, &ADMIN_READ, "C00003001", &r), PV_OK);
	pv_record_free(r);
	pv_vault_close(v);
	bytes = 0;
	assert_dir_clean(&ps, dir, &bytes);
	assert_cluster_clean(&ps, dir);

	table_free(&te);
	free(exported);
	free(export_path);
	pats_free(&ps);
	table_free(&t1);
	table_free(&t2);
	pv_key_free(key);
	free(rej);
	free(first);
	free(second);
	free(first_path);
	free(second_path);
	free(dir);
	free(kr);
	free(keyp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_no_plaintext_anywhere, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
