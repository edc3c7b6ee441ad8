/* SPDX-License-Identifier: Apache-2.0 */
/* testutil.c: temporary directories, file helpers and program runner for the tests. */
#include "testutil.h"

#include "pivault.h"
#include "vault.h"
#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glob.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The backend the tests' vaults are made in, as the command takes it: PIVAULT_STORE (a
 * postgresql:// URI, set by tests/with_postgresql.sh for the suite's PostgreSQL run), read
 * before main so that the library's own calls make their vaults there as the command's do.
 * A location refused here fails every test at once rather than testing SQLite instead. */
__attribute__((constructor)) static void pvt_store_from_environment(void)
{
	const char *store = getenv("PIVAULT_STORE");
	if (store && *store && pv_set_store(store) != PV_OK) {
		fprintf(stderr, "PIVAULT_STORE: %s\n", pv_errmsg(NULL));
		exit(1);
	}
}

char *pvt_tempdir(void)
{
	const char *base = getenv("TMPDIR");
	char tmpl[4096];
	snprintf(tmpl, sizeof tmpl, "%s/pvtest-XXXXXX", base && *base ? base : "/tmp");
	char *dir = mkdtemp(tmpl);
	assert_non_null(dir);
	return strdup(dir);
}

void pvt_rmtree(const char *path)
{
	if (!path || !*path)
		return;
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", path);
}

char *pvt_path(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	assert_non_null(p);
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

char *pvt_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	size_t got;
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			char *nb = realloc(buf, 2 * cap + 1);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (!buf)
		return NULL;
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

int pvt_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t put = fwrite(data, 1, len, f);
	return (fclose(f) == 0 && put == len) ? 0 : -1;
}

int pvt_run(char **out, const char *fmt, ...)
{
	char cmd[16384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	assert_non_null(buf);
	size_t got;
	while ((got = fread(buf + n, 1, cap - n, p)) > 0) {
		n += got;
		if (n == cap) {
			buf = realloc(buf, 2 * cap + 1);
			assert_non_null(buf);
			cap *= 2;
		}
	}
	buf[n] = '\0';
	int st = pclose(p);
	if (out)
		*out = buf;
	else
		free(buf);
	return (st != -1 && WIFEXITED(st)) ? WEXITSTATUS(st) : -1;
}

const char *pvt_program(const char *name)
{
	static char path[4096];
	snprintf(path, sizeof path, "%s/%s", PV_BINARY_DIR, name);
	return path;
}

void pvt_program_needs_shared(const char *path)
{
	struct stat st;
	if (stat(path, &st) == 0)
		return;
	const char *must = getenv("PV_REQUIRE_SHARED");
	if (must && strcmp(must, "1") == 0) {
		fprintf(stderr, "FAILED: %s is absent, and PV_REQUIRE_SHARED=1 says it must be "
			"there\n", path);
		exit(1);
	}
	fprintf(stderr, "skipped: %s is absent (a clone without ../shared)\n", path);
	exit(77);
}

const char *pvt_program_needs_postgresql(void)
{
	const char *uri = getenv("PIVAULT_TEST_PG");
	if (uri && *uri)
		return uri;
	const char *must = getenv("PV_REQUIRE_POSTGRESQL");
	if (must && strcmp(must, "1") == 0) {
		fprintf(stderr, "FAILED: no PostgreSQL cluster (PIVAULT_TEST_PG), and "
			"PV_REQUIRE_POSTGRESQL=1 says the tests must run\n");
		exit(1);
	}
	fprintf(stderr, "skipped: no PostgreSQL cluster (scripts/test.sh starts one where "
		"PostgreSQL is installed)\n");
	exit(77);
}

void pvt_program_needs_postgresql_binaries(void)
{
	glob_t found;
	if (glob("/usr/lib/postgresql/*/bin/initdb", 0, NULL, &found) == 0) {
		globfree(&found);
		return;
	}
	const char *must = getenv("PV_REQUIRE_POSTGRESQL");
	if (must && strcmp(must, "1") == 0) {
		fprintf(stderr, "FAILED: PostgreSQL is not installed (no initdb), and "
			"PV_REQUIRE_POSTGRESQL=1 says the tests must run\n");
		exit(1);
	}
	fprintf(stderr, "skipped: PostgreSQL is not installed (scripts/setup.sh installs it)\n");
	exit(77);
}

/* ---- CSV tables ---- */

/* Append one cell (copied from buf[0..n)) to a growing array. */
static void csv_push(char ***cells, size_t *ncells, size_t *cap, const char *buf, size_t n)
{
	if (*ncells == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		*cells = realloc(*cells, *cap * sizeof **cells);
		assert_non_null(*cells);
	}
	char *c = malloc(n + 1);
	assert_non_null(c);
	memcpy(c, buf, n);
	c[n] = '\0';
	(*cells)[(*ncells)++] = c;
}

int pvt_csv_parse(const char *text, struct pvt_csv *out)
{
	memset(out, 0, sizeof *out);
	size_t len = strlen(text), ncells = 0, cap = 0, rowstart = 0, ncols = 0, nrows = 0;
	char **cells = NULL;
	char *field = malloc(len + 1);
	assert_non_null(field);
	size_t i = 0;
	int bad = 0;
	while (i < len && !bad) {
		/* one record */
		for (;;) {
			size_t n = 0;
			if (text[i] == '"') {
				i++;
				for (;;) {
					if (i >= len) {
						bad = 1;
						break;
					}
					if (text[i] == '"') {
						if (i + 1 < len && text[i + 1] == '"') {
							field[n++] = '"';
							i += 2;
							continue;
						}
						i++;
						break;
					}
					field[n++] = text[i++];
				}
				if (!bad && i < len && text[i] != ',' && text[i] != '\r' && text[i] != '\n')
					bad = 1;
			} else {
				while (i < len && text[i] != ',' && text[i] != '\r' && text[i] != '\n') {
					if (text[i] == '"')
						bad = 1;
					field[n++] = text[i++];
				}
			}
			if (bad)
				break;
			csv_push(&cells, &ncells, &cap, field, n);
			if (i < len && text[i] == ',') {
				i++;
				continue;
			}
			if (i < len && text[i] == '\r')
				i++;
			if (i < len && text[i] == '\n')
				i++;
			break;
		}
		if (bad)
			break;
		size_t w = ncells - rowstart;
		if (nrows == 0)
			ncols = w;
		else if (w != ncols)
			bad = 1;
		nrows++;
		rowstart = ncells;
	}
	free(field);
	if (bad) {
		for (size_t k = 0; k < ncells; k++)
			free(cells[k]);
		free(cells);
		return -1;
	}
	out->cell = cells;
	out->nrows = nrows;
	out->ncols = ncols;
	return 0;
}

int pvt_csv_col(const struct pvt_csv *t, const char *name)
{
	for (size_t c = 0; t->nrows && c < t->ncols; c++)
		if (strcmp(t->cell[c], name) == 0)
			return (int)c;
	return -1;
}

const char *pvt_csv_get(const struct pvt_csv *t, size_t r, const char *col)
{
	int c = pvt_csv_col(t, col);
	if (c < 0 || r >= t->nrows)
		return NULL;
	return t->cell[r * t->ncols + (size_t)c];
}

void pvt_csv_free(struct pvt_csv *t)
{
	if (!t || !t->cell)
		return;
	for (size_t k = 0; k < t->nrows * t->ncols; k++)
		free(t->cell[k]);
	free(t->cell);
	memset(t, 0, sizeof *t);
}

/* ---- sample vaults ---- */

struct pv_vault *pvt_sample_vault(const char *dir, const char *key_path, unsigned n,
				  unsigned long seed, char **csv)
{
	char *text = NULL;
	int st = pvt_run(&text, "'%s' -n %u --seed %lu --canonical", pvt_program("pvgen"), n, seed);
	assert_int_equal(st, 0);
	size_t dlen = strlen(dir);
	char *csv_path = malloc(dlen + 8);
	assert_non_null(csv_path);
	snprintf(csv_path, dlen + 8, "%s.in.csv", dir);
	assert_int_equal(pvt_write_file(csv_path, text, strlen(text)), 0);

	assert_int_equal(pv_key_generate_file(key_path), PV_OK);
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(key_path, &key), PV_OK);
	pv_create_opts opts = { .schema_path = PV_SOURCE_DIR "/examples/schema.yaml",
				.keyring_path = NULL, .keyring_slots = 1024,
				.kdf_cost = PV_KDF_FAST };
	pv_vault *v = NULL;
	pv_rc rc = pv_vault_create(dir, &opts, key, &v);
	pv_key_free(key);
	if (rc)
		fail_msg("pv_vault_create: %s", pv_errmsg(v));
	pv_access admin = { "admin", NULL, 0 };
	pv_import_opts io = { 0 };
	io.threads = 2;
	pv_import_result *res = NULL;
	rc = pv_import_csv(v, &admin, csv_path, &io, &res);
	if (rc)
		fail_msg("pv_import_csv: %s", pv_errmsg(v));
	assert_int_equal(pv_import_rows_imported(res), n);
	pv_import_free(res);
	unlink(csv_path);
	free(csv_path);
	if (csv)
		*csv = text;
	else
		free(text);
	return v;
}

/* ---- what a test holds, released at teardown even when an assertion fails ---- */

static struct pv_vault *g_vaults[32];
static void **g_kept;
static size_t g_nkept, g_capkept;

void *pvt_keep(void *p)
{
	if (!p)
		return p;
	if (g_nkept == g_capkept) {
		size_t cap = g_capkept ? 2 * g_capkept : 64;
		void **k = realloc(g_kept, cap * sizeof *k);
		if (!k) {
			fprintf(stderr, "pvt_keep: out of memory\n");
			abort();
		}
		g_kept = k;
		g_capkept = cap;
	}
	g_kept[g_nkept++] = p;
	return p;
}

void pvt_drop(void *p)
{
	for (size_t i = 0; p && i < g_nkept; i++)
		if (g_kept[i] == p) {
			g_kept[i] = g_kept[--g_nkept];
			break;
		}
	free(p);
}

struct pv_vault *pvt_track(struct pv_vault *v)
{
	for (size_t i = 0; v && i < sizeof g_vaults / sizeof *g_vaults; i++)
		if (!g_vaults[i]) {
			g_vaults[i] = v;
			return v;
		}
	if (v) {
		fprintf(stderr, "pvt_track: too many open vault handles\n");
		abort();
	}
	return v;
}

void pvt_vclose(struct pv_vault *v)
{
	for (size_t i = 0; v && i < sizeof g_vaults / sizeof *g_vaults; i++)
		if (g_vaults[i] == v)
			g_vaults[i] = NULL;
	pv_vault_close(v);
}

void pvt_release_all(void)
{
	for (size_t i = 0; i < sizeof g_vaults / sizeof *g_vaults; i++) {
		pv_vault_close(g_vaults[i]);
		g_vaults[i] = NULL;
	}
	for (size_t i = 0; i < g_nkept; i++)
		free(g_kept[i]);
	free(g_kept);
	g_kept = NULL;
	g_nkept = g_capkept = 0;
}

struct pv_vault *pvt_open_root(const char *dir, const char *keyring, const char *key_path)
{
	pv_key *key = NULL;
	assert_int_equal(pv_key_from_file(key_path, &key), PV_OK);
	pv_vault *v = NULL;
	pv_rc rc = pv_vault_open(dir, keyring, key, &v);
	pv_key_free(key);
	pvt_track(v);
	if (rc)
		fail_msg("pv_vault_open(%s): rc %d: %s", dir, rc, pv_errmsg(v));
	return v;
}

struct pv_vault *pvt_open_user(const char *dir, const char *user, const char *pw)
{
	pv_vault *v = NULL;
	pv_rc rc = pv_vault_open_user(dir, NULL, user, pw, strlen(pw), &v);
	pvt_track(v);
	if (rc)
		fail_msg("pv_vault_open_user(%s): rc %d: %s", user, rc, pv_errmsg(v));
	return v;
}

pv_rc pvt_enrol(pv_vault *v, const char *name, const char *half_a, const char *half_b,
	       const char *pw, size_t len)
{
	pv_vault *u = NULL;
	pv_rc rc = pv_user_enrol(v->dir, v->keyring_path, name, half_a, half_b, pw, len, &u);
	if (rc)
		snprintf(v->errmsg, sizeof v->errmsg, "%s", pv_errmsg(u));
	pv_vault_close(u);
	return rc;
}

pv_rc pvt_user_add(pv_vault *v, const pv_access *who, const char *name, const char *roles,
		   const char *pw, size_t len)
{
	if (!pw || len < 8) /* as the enrolment would refuse it, before anything is made */
		return PV_ERR_USAGE;
	char *halves = NULL;
	pv_rc rc = pv_user_add(v, who, name, roles, &halves);
	if (rc)
		return rc;
	char *space = strchr(halves, ' ');
	if (!space)
		fail_msg("pvt_user_add(%s): only a root-secret session gets both halves", name);
	*space = '\0';
	rc = pvt_enrol(v, name, halves, space + 1, pw, len);
	pv_free(halves);
	return rc;
}

void pvt_blind_entries(sqlite3 *db, const char *schema, const char *table)
{
	char sql[512];
	snprintf(sql, sizeof sql, "CREATE TEMP TABLE %s(field INTEGER, h BLOB, rid INTEGER)",
		 table);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_stmt *get = NULL, *put = NULL;
	snprintf(sql, sizeof sql, "SELECT k, entries FROM %s.blind_index", schema);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &get, NULL), SQLITE_OK);
	snprintf(sql, sizeof sql, "INSERT INTO temp.%s VALUES (?1, ?2, ?3)", table);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &put, NULL), SQLITE_OK);
	while (sqlite3_step(get) == SQLITE_ROW) {
		long long k = sqlite3_column_int64(get, 0);
		const unsigned char *p = sqlite3_column_blob(get, 1);
		int n = sqlite3_column_bytes(get, 1);
		assert_int_equal(n % 24, 0);
		for (int i = 0; i < n; i += 24) {
			const unsigned char *e = p + i;
			assert_int_equal((k & 0xffff), (e[0] << 8) | e[1]);
			unsigned long long rid = 0;
			for (int b = 16; b < 24; b++)
				rid = rid << 8 | e[b];
			sqlite3_bind_int64(put, 1, k >> 16);
			sqlite3_bind_blob(put, 2, e, 16, SQLITE_TRANSIENT);
			sqlite3_bind_int64(put, 3, (sqlite3_int64)rid);
			assert_int_equal(sqlite3_step(put), SQLITE_DONE);
			sqlite3_reset(put);
		}
	}
	sqlite3_finalize(get);
	sqlite3_finalize(put);
}

/* One framed ledger line (JSON, a tab, the hex of its BLAKE2b-128), checked and parsed. */
static json_t *ledger_line(char *line)
{
	char *tab = strchr(line, '\t');
	if (!tab || strlen(tab + 1) != 32)
		fail_msg("ledger line without its checksum: %.80s", line);
	uint8_t sum[16];
	char hex[33];
	crypto_generichash(sum, sizeof sum, (const uint8_t *)line, (size_t)(tab - line), NULL, 0);
	sodium_bin2hex(hex, sizeof hex, sum, sizeof sum);
	if (strcmp(hex, tab + 1) != 0)
		fail_msg("ledger line with a wrong checksum: %.80s", line);
	*tab = '\0';
	json_t *o = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
	if (!o || !json_is_object(o))
		fail_msg("ledger line is not a JSON object: %.80s", line);
	return o;
}

void *pvt_ledger_read(const char *path, void **heads)
{
	json_t *lines = json_array(), *h = json_array();
	char *text = pvt_read_file(path, NULL), *save = NULL;
	for (char *line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		json_t *o = ledger_line(line);
		if (json_object_get(o, "intent"))
			json_array_append(h, o);
		else if (!json_object_get(o, "intent_end"))
			json_array_append(lines, o);
		json_decref(o);
	}
	free(text);
	if (heads)
		*heads = h;
	else
		json_decref(h);
	return lines;
}

/* Fill why from a call without a vault and check what it promised. */
static pv_rc lone_outcome(pv_rc rc, char *summary, char *why, size_t n)
{
	if (rc == PV_OK) {
		assert_non_null(summary);
		assert_string_equal(pv_errmsg(NULL), "no error");
	} else {
		assert_null(summary);
	}
	snprintf(why, n, "%s", rc == PV_OK ? summary : pv_errmsg(NULL));
	pv_free(summary);
	return rc;
}

pv_rc pvt_certificate_verify(const char *text, const char *pk, char *why, size_t n)
{
	char *summary = NULL;
	pv_rc rc = pv_certificate_verify(text, pk, &summary);
	return lone_outcome(rc, summary, why, n);
}

pv_rc pvt_receipt_verify(const char *text, const char *pk, char *why, size_t n)
{
	char *summary = NULL;
	pv_rc rc = pv_receipt_verify(text, pk, &summary);
	return lone_outcome(rc, summary, why, n);
}

pv_rc pvt_backup_verify(const char *path, const char *pk, char *why, size_t n)
{
	char *summary = NULL;
	pv_rc rc = pv_backup_verify(path, pk, &summary);
	return lone_outcome(rc, summary, why, n);
}

pv_rc pvt_audit_check_proof(const char *proof, const char *new_checkpoint,
			    const char *old_checkpoint, const char *pk, char *why, size_t n)
{
	char *summary = NULL;
	pv_rc rc = pv_audit_check_proof(proof, new_checkpoint, old_checkpoint, pk, &summary);
	return lone_outcome(rc, summary, why, n);
}

pv_rc pvt_restore(const char *backup, const char *dir, const char *keyring, const pv_key *key,
		  pv_restore_result *out, char *why, size_t n)
{
	pv_rc rc = pv_restore(backup, dir, keyring, key, out);
	if (rc == PV_OK)
		snprintf(why, n, "restored %llu customers into %s", (unsigned long long)out->customers,
			 dir);
	else
		snprintf(why, n, "%s", pv_errmsg(NULL));
	return rc;
}

pv_rc pvt_handover_check_receipt(pv_vault *v, const pv_access *who, const char *receipt,
				 char *why, size_t n)
{
	char *summary = NULL;
	pv_rc rc = pv_handover_check_receipt(v, who, receipt, &summary);
	snprintf(why, n, "%s", rc == PV_OK ? summary : pv_errmsg(v));
	pv_free(summary);
	return rc;
}

double pvt_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}
