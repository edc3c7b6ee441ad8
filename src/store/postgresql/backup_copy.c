/* SPDX-License-Identifier: Apache-2.0 */
/* backup_copy.c: a backup of a PostgreSQL vault, as the image a backup carries: a new
 * SQLite database holding the vault exactly as the SQLite store would (its own schema, made
 * by pv_sqlite_open), every table copied from the vault's PostgreSQL schema in one
 * snapshot, column by column by name, rows streamed through a cursor a batch at a time and
 * inserted in one SQLite transaction. The file ends in rollback-journal mode, synced. The
 * two schemas must agree: a table or column on one side only fails the copy, naming it.
 * The one file of this folder that calls SQLite: it writes the SQLite store's image. */
#include "internal.h"
#include "pg_store.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FETCH_SQL "FETCH 4096 FROM pv_backup_rows" /* rows held in memory at once */
#define MAX_COLUMNS 64 /* columns of a table, and tables of a vault */
#define NAME_MAX_LEN 64
#define ENTRY_BYTES (PV_BLIND_BYTES + 8) /* a postings entry: hash | row id, big-endian */
#define PG_EPOCH_DAYS 10957 /* 1970-01-01 to 2000-01-01, PostgreSQL's day 0 */

/* PostgreSQL's type numbers (pg_type) that have an SQLite image. */
enum { OID_BOOL = 16, OID_BYTEA = 17, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23,
       OID_TEXT = 25, OID_FLOAT8 = 701, OID_VARCHAR = 1043, OID_DATE = 1082 };

/* A column SQLite names user is user_name in PostgreSQL, where user is a reserved word. */
static const char *pg_name_of(const char *sqlite_column)
{
	return strcmp(sqlite_column, "user") == 0 ? "user_name" : sqlite_column;
}

/* The table not copied column by column: PostgreSQL keeps the blind index as one row per
 * entry (field, h, rid), SQLite as postings rows (k, entries); it is regrouped. */
static const char REGROUPED[] = "blind_index";

struct columns {
	int n;
	char name[MAX_COLUMNS][NAME_MAX_LEN];
};

struct copy {
	struct pv_pg_store *s;
	sqlite3 *db;
	const char *table;
	struct columns lite; /* the SQLite table's columns, in its order */
};

static int fail_lite(struct copy *c, const char *what)
{
	snprintf(c->s->err, sizeof c->s->err, "backup: cannot %s (table %s): %s", what,
		 c->table ? c->table : "-", sqlite3_errmsg(c->db));
	return -1;
}

static int fail_column(struct copy *c, const char *column, const char *why)
{
	snprintf(c->s->err, sizeof c->s->err, "backup: table %s, column %s: %s", c->table, column,
		 why);
	return -1;
}

/* ---- The file: a new one (or an empty one the caller just made), removed on failure ---- */

static const char *const side_files[] = { "-journal", "-wal", "-shm" };

/* 1 when path with suffix exists (or cannot be checked), else 0. */
static int exists_with(const char *path, const char *suffix)
{
	char p[4096];
	struct stat st;
	if ((size_t)snprintf(p, sizeof p, "%s%s", path, suffix) >= sizeof p)
		return 1;
	return lstat(p, &st) == 0 || errno != ENOENT;
}

/* Take path for the image: created (*made = 1), or an empty regular file that is no link
 * (*made = 0: backup.c makes its partial file so). Anything else is refused, untouched. */
static int take_path(struct pv_pg_store *s, const char *path, int *made)
{
	for (size_t i = 0; i < sizeof side_files / sizeof *side_files; i++)
		if (exists_with(path, side_files[i])) {
			snprintf(s->err, sizeof s->err,
				 "backup: %s%s exists: a backup goes to a new file", path,
				 side_files[i]);
			return -1;
		}
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	*made = fd >= 0;
	struct stat st;
	if (fd < 0 && errno == EEXIST)
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && !*made && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != 0)) {
		close(fd);
		snprintf(s->err, sizeof s->err, "backup: %s exists: a backup goes to a new file",
			 path);
		return -1;
	}
	if (fd < 0) {
		snprintf(s->err, sizeof s->err, "backup: cannot create %s: %s", path,
			 errno == ELOOP ? "it is a link" : strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/* Leave nothing half-written: the file removed (emptied again when the caller made it),
 * SQLite's files beside it too. */
static void discard_path(const char *path, int made)
{
	int fd = made ? -1 : open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (made)
		unlink(path);
	else if (fd >= 0 && ftruncate(fd, 0) == 0)
		(void)fsync(fd);
	if (fd >= 0)
		close(fd);
	char p[4096];
	for (size_t i = 0; i < sizeof side_files / sizeof *side_files; i++)
		if ((size_t)snprintf(p, sizeof p, "%s%s", path, side_files[i]) < sizeof p)
			unlink(p);
}

/* Make the SQLite store's schema in the file, then open it for the copy, in rollback
 * journal mode (no write-ahead log). */
static int open_image(struct pv_pg_store *s, const char *path, sqlite3 **db)
{
	char err[400];
	struct pv_store *made = pv_sqlite_open(path, 1, err, sizeof err);
	if (!made) {
		snprintf(s->err, sizeof s->err, "backup: %s", err);
		return -1;
	}
	pv_sqlite_close(made);
	sqlite3_stmt *q = NULL;
	int ok = sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) ==
			 SQLITE_OK &&
		 sqlite3_exec(*db, "PRAGMA synchronous=FULL", NULL, NULL, NULL) == SQLITE_OK &&
		 sqlite3_prepare_v2(*db, "PRAGMA journal_mode=DELETE", -1, &q, NULL) == SQLITE_OK &&
		 sqlite3_step(q) == SQLITE_ROW &&
		 sqlite3_stricmp((const char *)sqlite3_column_text(q, 0), "delete") == 0;
	sqlite3_finalize(q);
	if (!ok)
		snprintf(s->err, sizeof s->err, "backup: cannot open the new database: %s",
			 *db ? sqlite3_errmsg(*db) : "out of memory");
	return ok ? 0 : -1;
}

/* The file and its folder's entry on disk. */
static int sync_path(struct pv_pg_store *s, const char *path)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", path);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int ok = fd >= 0 && fsync(fd) == 0;
	if (fd >= 0)
		close(fd);
	fd = ok ? open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	ok = fd >= 0 && fsync(fd) == 0;
	if (fd >= 0)
		close(fd);
	if (!ok)
		snprintf(s->err, sizeof s->err, "backup: cannot sync %s: %s", path,
			 strerror(errno));
	return ok ? 0 : -1;
}

/* ---- Names: tables and columns on both sides ---- */

/* name quoted as an SQL identifier ("" doubled) into out. */
static void quote_name(char *out, size_t cap, const char *name)
{
	size_t o = 0;
	if (cap < 3)
		return;
	out[o++] = '"';
	for (const char *p = name; *p && o + 3 < cap; p++) {
		if (*p == '"')
			out[o++] = '"';
		out[o++] = *p;
	}
	out[o++] = '"';
	out[o] = '\0';
}

static int add_name(struct columns *cols, const char *name, size_t len)
{
	if (cols->n == MAX_COLUMNS || len >= NAME_MAX_LEN)
		return -1;
	memcpy(cols->name[cols->n], name, len);
	cols->name[cols->n++][len] = '\0';
	return 0;
}

static int has_name(const struct columns *cols, const char *name)
{
	for (int i = 0; i < cols->n; i++)
		if (strcmp(cols->name[i], name) == 0)
			return 1;
	return 0;
}

/* The SQLite table's columns in order (PRAGMA table_info). */
static int lite_columns(struct copy *c)
{
	char sql[160], quoted[NAME_MAX_LEN * 2 + 3];
	quote_name(quoted, sizeof quoted, c->table);
	snprintf(sql, sizeof sql, "PRAGMA table_info(%s)", quoted);
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(c->db, sql, -1, &q, NULL) != SQLITE_OK)
		return fail_lite(c, "list the columns");
	c->lite.n = 0;
	int rc, bad = 0;
	while (!bad && (rc = sqlite3_step(q)) == SQLITE_ROW)
		bad = add_name(&c->lite, (const char *)sqlite3_column_text(q, 1),
			       (size_t)sqlite3_column_bytes(q, 1));
	sqlite3_finalize(q);
	if (bad)
		return fail_column(c, "*", "more columns, or longer names, than a backup copies");
	return rc == SQLITE_DONE ? 0 : fail_lite(c, "list the columns");
}

/* The names sql (parameters: the vault's schema, then arg) answers in its first column. */
static int pg_names(struct copy *c, const char *sql, const char *arg, struct columns *out,
		    const char *what)
{
	const char *values[] = { c->s->schema_name, arg };
	PGresult *r = pv_pg_query(c->s, sql, arg ? 2 : 1, values, NULL, NULL, what);
	if (!r)
		return -1;
	out->n = 0;
	int bad = 0;
	for (int i = 0; i < PQntuples(r) && !bad; i++)
		bad = add_name(out, PQgetvalue(r, i, 0), (size_t)PQgetlength(r, i, 0));
	PQclear(r);
	if (bad)
		snprintf(c->s->err, sizeof c->s->err, "backup: more %s, or longer names, than a "
			 "backup copies", arg ? "columns" : "tables");
	return bad ? -1 : 0;
}

static int pg_columns(struct copy *c, struct columns *out)
{
	static const char sql[] =
		"SELECT a.attname::text FROM pg_catalog.pg_attribute a "
		"JOIN pg_catalog.pg_class t ON t.oid = a.attrelid "
		"JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace "
		"WHERE n.nspname = $1 AND t.relname = $2 AND t.relkind IN ('r', 'p') "
		"AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";
	return pg_names(c, sql, c->table, out, "list the vault's columns");
}

/* Every column of the SQLite table is in PostgreSQL's (by its name there), and every one of
 * PostgreSQL's in SQLite's: else fail naming the first missing. */
static int columns_aligned(struct copy *c)
{
	struct columns pg;
	if (pg_columns(c, &pg) != 0)
		return -1;
	if (pg.n == 0) {
		snprintf(c->s->err, sizeof c->s->err, "backup: table %s is not in the vault's "
			 "PostgreSQL schema", c->table);
		return -1;
	}
	for (int i = 0; i < c->lite.n; i++)
		if (!has_name(&pg, pg_name_of(c->lite.name[i])))
			return fail_column(c, c->lite.name[i], "not in the PostgreSQL table");
	for (int i = 0; i < pg.n; i++) {
		int found = 0;
		for (int j = 0; j < c->lite.n && !found; j++)
			found = strcmp(pg_name_of(c->lite.name[j]), pg.name[i]) == 0;
		if (!found)
			return fail_column(c, pg.name[i], "not in the SQLite table");
	}
	return 0;
}

/* ---- Values: PostgreSQL's binary form to SQLite's ---- */

static int known_type(Oid t)
{
	return t == OID_BOOL || t == OID_BYTEA || t == OID_INT8 || t == OID_INT2 ||
	       t == OID_INT4 || t == OID_TEXT || t == OID_FLOAT8 || t == OID_VARCHAR ||
	       t == OID_DATE;
}

static uint64_t big_endian(const unsigned char *p, int n)
{
	uint64_t x = 0;
	for (int i = 0; i < n; i++)
		x = x << 8 | p[i];
	return x;
}

/* A date (days from 2000-01-01) as SQLite's CURRENT_DATE writes it: YYYY-MM-DD. */
static int date_text(int32_t days, char out[40])
{
	if (days == INT32_MAX || days == INT32_MIN) /* infinity */
		return -1;
	time_t t = ((time_t)days + PG_EPOCH_DAYS) * 86400;
	struct tm tm;
	if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 < 1 || tm.tm_year + 1900 > 9999)
		return -1;
	snprintf(out, 40, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	return 0;
}

/* Bind field (row, col) of r to parameter at: 0, 1 when the value is malformed for its
 * type, -1 when SQLite refused it. */
static int bind_value(sqlite3_stmt *q, int at, const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return sqlite3_bind_null(q, at) == SQLITE_OK ? 0 : -1;
	const unsigned char *v = (const unsigned char *)PQgetvalue(r, row, col);
	int len = PQgetlength(r, row, col), rc;
	char day[40];
	double d;
	uint64_t bits;
	switch (PQftype(r, col)) {
	case OID_BOOL:
		rc = len == 1 ? sqlite3_bind_int(q, at, v[0] != 0) : -2;
		break;
	case OID_INT2:
		rc = len == 2 ? sqlite3_bind_int64(q, at, (int16_t)big_endian(v, 2)) : -2;
		break;
	case OID_INT4:
		rc = len == 4 ? sqlite3_bind_int64(q, at, (int32_t)big_endian(v, 4)) : -2;
		break;
	case OID_INT8:
		rc = len == 8 ? sqlite3_bind_int64(q, at, (int64_t)big_endian(v, 8)) : -2;
		break;
	case OID_FLOAT8:
		bits = big_endian(v, 8);
		memcpy(&d, &bits, sizeof d);
		rc = len == 8 ? sqlite3_bind_double(q, at, d) : -2;
		break;
	case OID_DATE:
		rc = len == 4 && date_text((int32_t)big_endian(v, 4), day) == 0
			     ? sqlite3_bind_text(q, at, day, -1, SQLITE_TRANSIENT)
			     : -2;
		break;
	case OID_BYTEA: /* an empty one stays a blob, not NULL */
		rc = len ? sqlite3_bind_blob(q, at, v, len, SQLITE_STATIC)
			 : sqlite3_bind_zeroblob(q, at, 0);
		break;
	default: /* text, varchar: UTF-8 (the client's encoding) */
		rc = sqlite3_bind_text(q, at, (const char *)v, len, SQLITE_STATIC);
	}
	return rc == -2 ? 1 : rc == SQLITE_OK ? 0 : -1;
}

/* Every column of a fetched batch has a type with an SQLite image, in binary form. */
static int types_known(struct copy *c, const PGresult *r)
{
	for (int i = 0; i < PQnfields(r); i++)
		if (!known_type(PQftype(r, i)) || PQfformat(r, i) != 1)
			return fail_column(c, c->lite.name[i], "a PostgreSQL type with no SQLite "
					   "image in a backup");
	return 0;
}

/* ---- Rows: a cursor over the PostgreSQL table, a batch at a time ---- */

/* Open the cursor over sql; each batch handed to batch(c, r, arg) until it fails. */
static int each_batch(struct copy *c, const char *sql,
		      int (*batch)(struct copy *c, const PGresult *r, void *arg), void *arg)
{
	char declare[4096];
	if ((size_t)snprintf(declare, sizeof declare, "DECLARE pv_backup_rows NO SCROLL CURSOR "
			     "FOR %s", sql) >= sizeof declare)
		return fail_column(c, "*", "too many columns to name");
	if (pv_pg_exec(c->s, declare, "read a table for the backup") != 0)
		return -1;
	int rows, failed = 0;
	do {
		PGresult *r = pv_pg_query(c->s, FETCH_SQL, 0, NULL, NULL, NULL,
					  "read a table for the backup");
		if (!r)
			return -1;
		rows = PQntuples(r);
		failed = batch(c, r, arg);
		PQclear(r);
	} while (!failed && rows > 0);
	if (failed)
		return -1;
	return pv_pg_exec(c->s, "CLOSE pv_backup_rows", "read a table for the backup");
}

/* Insert each row of a batch (columns in the SQLite table's order) with statement q. */
static int insert_rows(struct copy *c, const PGresult *r, void *arg)
{
	sqlite3_stmt *q = arg;
	if (types_known(c, r) != 0)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		for (int j = 0; j < c->lite.n; j++) {
			int st = bind_value(q, j + 1, r, i, j);
			if (st > 0)
				return fail_column(c, c->lite.name[j], "a malformed value");
			if (st < 0)
				return fail_lite(c, "write a row");
		}
		int rc = sqlite3_step(q);
		sqlite3_reset(q);
		if (rc != SQLITE_DONE)
			return fail_lite(c, "write a row");
	}
	return 0;
}

/* The SELECT of the table's columns from PostgreSQL and the INSERT into SQLite. */
static int table_sql(struct copy *c, char *select, size_t slen, char *insert, size_t ilen)
{
	char quoted[NAME_MAX_LEN * 2 + 3];
	size_t so, io, vo = 0;
	char values[MAX_COLUMNS * 6] = "";
	quote_name(quoted, sizeof quoted, c->table);
	so = (size_t)snprintf(select, slen, "SELECT ");
	io = (size_t)snprintf(insert, ilen, "INSERT INTO %s(", quoted);
	for (int i = 0; i < c->lite.n && so < slen && io < ilen; i++) {
		const char *sep = i ? ", " : "";
		quote_name(quoted, sizeof quoted, pg_name_of(c->lite.name[i]));
		so += (size_t)snprintf(select + so, slen - so, "%s%s", sep, quoted);
		quote_name(quoted, sizeof quoted, c->lite.name[i]);
		io += (size_t)snprintf(insert + io, ilen - io, "%s%s", sep, quoted);
		vo += (size_t)snprintf(values + vo, sizeof values - vo, "%s?%d", sep, i + 1);
	}
	quote_name(quoted, sizeof quoted, c->table);
	if (so < slen)
		so += (size_t)snprintf(select + so, slen - so, " FROM %s.%s", c->s->schema, quoted);
	if (io < ilen)
		io += (size_t)snprintf(insert + io, ilen - io, ") VALUES (%s)", values);
	return so < slen && io < ilen ? 0 : fail_column(c, "*", "too many columns to name");
}

/* Copy the table column by column by name. */
static int copy_table(struct copy *c)
{
	char select[3072], insert[3072];
	if (lite_columns(c) != 0 || columns_aligned(c) != 0 ||
	    table_sql(c, select, sizeof select, insert, sizeof insert) != 0)
		return -1;
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(c->db, insert, -1, &q, NULL) != SQLITE_OK)
		return fail_lite(c, "prepare the copy");
	int st = each_batch(c, select, insert_rows, q);
	sqlite3_finalize(q);
	return st;
}

/* ---- The blind index: PostgreSQL's entries regrouped into SQLite's postings rows ---- */

/* One postings row being gathered: key (field << 16 | the hash's first two bytes) and its
 * entries, in (hash, row id) order as PostgreSQL's primary key gives them. */
struct postings {
	sqlite3_stmt *q;
	int64_t k;
	uint8_t *buf;
	size_t n, cap;
};

static int postings_write(struct copy *c, struct postings *p)
{
	if (!p->n)
		return 0;
	sqlite3_bind_int64(p->q, 1, p->k);
	sqlite3_bind_blob(p->q, 2, p->buf, (int)(p->n * ENTRY_BYTES), SQLITE_STATIC);
	int rc = sqlite3_step(p->q);
	sqlite3_reset(p->q);
	p->n = 0;
	return rc == SQLITE_DONE ? 0 : fail_lite(c, "write a row");
}

static int postings_add(struct copy *c, struct postings *p, int64_t k, const uint8_t *h,
			uint64_t rid)
{
	if (p->n && p->k != k && postings_write(c, p) != 0)
		return -1;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		uint8_t *b = realloc(p->buf, cap * ENTRY_BYTES);
		if (!b)
			return fail_column(c, "entries", "out of memory");
		p->buf = b;
		p->cap = cap;
	}
	uint8_t *e = p->buf + p->n++ * ENTRY_BYTES;
	memcpy(e, h, PV_BLIND_BYTES);
	for (int i = 0; i < 8; i++)
		e[PV_BLIND_BYTES + i] = (uint8_t)(rid >> (56 - 8 * i));
	p->k = k;
	return 0;
}

static int postings_batch(struct copy *c, const PGresult *r, void *arg)
{
	struct postings *p = arg;
	if (PQntuples(r) == 0) /* the end: the last row */
		return postings_write(c, p);
	static const Oid want[] = { OID_INT4, OID_BYTEA, OID_INT8 };
	static const char *const names[] = { "field", "h", "rid" };
	for (int i = 0; i < 3; i++)
		if (PQftype(r, i) != want[i] || PQfformat(r, i) != 1)
			return fail_column(c, names[i], "not of the type the blind index has");
	for (int i = 0; i < PQntuples(r); i++) {
		for (int j = 0; j < 3; j++)
			if (PQgetisnull(r, i, j) || PQgetlength(r, i, j) != (j == 0 ? 4 : j == 1 ?
						PV_BLIND_BYTES : 8))
				return fail_column(c, names[j], "a malformed value");
		int32_t field = (int32_t)big_endian((const unsigned char *)PQgetvalue(r, i, 0), 4);
		const uint8_t *h = (const uint8_t *)PQgetvalue(r, i, 1);
		uint64_t rid = big_endian((const unsigned char *)PQgetvalue(r, i, 2), 8);
		if (field < 0 || (int64_t)rid <= 0)
			return fail_column(c, field < 0 ? "field" : "rid", "a malformed value");
		int64_t k = ((int64_t)field << 16) | ((int64_t)h[0] << 8) | h[1];
		if (postings_add(c, p, k, h, rid) != 0)
			return -1;
	}
	return 0;
}

/* The SQLite table is (k, entries), PostgreSQL's (field, h, rid): else fail naming them. */
static int regrouped_aligned(struct copy *c)
{
	struct columns pg;
	if (lite_columns(c) != 0 || pg_columns(c, &pg) != 0)
		return -1;
	int lite_ok = c->lite.n == 2 && has_name(&c->lite, "k") && has_name(&c->lite, "entries");
	int pg_ok = pg.n == 3 && has_name(&pg, "field") && has_name(&pg, "h") &&
		    has_name(&pg, "rid");
	if (!lite_ok || !pg_ok) {
		snprintf(c->s->err, sizeof c->s->err,
			 "backup: table %s: the %s table's columns are not those the backup "
			 "regroups (SQLite k, entries; PostgreSQL field, h, rid)",
			 c->table, lite_ok ? "PostgreSQL" : "SQLite");
		return -1;
	}
	return 0;
}

static int copy_blind_index(struct copy *c)
{
	char select[256];
	if (regrouped_aligned(c) != 0)
		return -1;
	snprintf(select, sizeof select, "SELECT field, h, rid FROM %s.blind_index "
		 "ORDER BY field, h, rid", c->s->schema);
	struct postings p = { 0 };
	if (sqlite3_prepare_v2(c->db, "INSERT INTO blind_index(k, entries) VALUES (?1, ?2)", -1,
			       &p.q, NULL) != SQLITE_OK)
		return fail_lite(c, "prepare the copy");
	int st = each_batch(c, select, postings_batch, &p);
	sqlite3_finalize(p.q);
	free(p.buf);
	return st;
}

/* ---- The whole database ---- */

/* Every table of the vault's PostgreSQL schema is one the SQLite schema has. */
static int pg_tables_known(struct copy *c, const struct columns *lite_tables)
{
	static const char sql[] =
		"SELECT t.relname::text FROM pg_catalog.pg_class t "
		"JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace "
		"WHERE n.nspname = $1 AND t.relkind IN ('r', 'p') ORDER BY 1";
	struct columns pg;
	if (pg_names(c, sql, NULL, &pg, "list the vault's tables") != 0)
		return -1;
	for (int i = 0; i < pg.n; i++)
		if (!has_name(lite_tables, pg.name[i])) {
			snprintf(c->s->err, sizeof c->s->err, "backup: table %s of the vault's "
				 "PostgreSQL schema is not in the SQLite schema", pg.name[i]);
			return -1;
		}
	return 0;
}

/* The SQLite schema's tables (SQLite's own aside). */
static int lite_tables(struct copy *c, struct columns *out)
{
	static const char sql[] = "SELECT name FROM sqlite_schema WHERE type = 'table' AND "
				  "name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name";
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(c->db, sql, -1, &q, NULL) != SQLITE_OK)
		return fail_lite(c, "list the tables");
	out->n = 0;
	int rc, bad = 0;
	while (!bad && (rc = sqlite3_step(q)) == SQLITE_ROW)
		bad = add_name(out, (const char *)sqlite3_column_text(q, 0),
			       (size_t)sqlite3_column_bytes(q, 0));
	sqlite3_finalize(q);
	if (bad) {
		snprintf(c->s->err, sizeof c->s->err, "backup: more tables, or longer names, than "
			 "a backup copies");
		return -1;
	}
	return rc == SQLITE_DONE ? 0 : fail_lite(c, "list the tables");
}

/* Copy every table in one SQLite transaction (PostgreSQL's snapshot is the caller's). */
static int copy_all(struct copy *c)
{
	struct columns tables;
	if (lite_tables(c, &tables) != 0 || pg_tables_known(c, &tables) != 0)
		return -1;
	if (sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return fail_lite(c, "begin the copy");
	for (int i = 0; i < tables.n; i++) {
		c->table = tables.name[i];
		int st = strcmp(c->table, REGROUPED) == 0 ? copy_blind_index(c) : copy_table(c);
		if (st != 0) {
			sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	c->table = NULL;
	return sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK
		       ? 0 : fail_lite(c, "commit the copy");
}

/* The snapshot read: the caller's transaction (in a savepoint, so that a failure here
 * leaves it as it was), or a REPEATABLE READ READ ONLY one of the backup's own. */
static int snapshot_begin(struct pv_pg_store *s, int *own)
{
	*own = s->depth == 0;
	if (*own)
		return pv_pg_read_begin((struct pv_store *)(void *)s);
	return pv_pg_exec(s, "SAVEPOINT pv_backup", "begin the backup in the transaction");
}

static int snapshot_end(struct pv_pg_store *s, int own, int failed)
{
	struct pv_store *store = (struct pv_store *)(void *)s;
	if (!failed)
		return own ? pv_pg_commit(store)
			   : pv_pg_exec(s, "RELEASE SAVEPOINT pv_backup",
					"end the backup in the transaction");
	char kept[sizeof s->err];
	memcpy(kept, s->err, sizeof kept); /* the failure's message, not the rollback's */
	if (own)
		(void)pv_pg_rollback(store);
	else
		(void)pv_pg_exec(s, "ROLLBACK TO SAVEPOINT pv_backup; RELEASE SAVEPOINT pv_backup",
				 "end the backup in the transaction");
	memcpy(s->err, kept, sizeof kept);
	return -1;
}

int pv_pg_backup_to(struct pv_store *store, const char *path)
{
	struct pv_pg_store *s = pg_of(store);
	int made = 0, own = 0;
	if (take_path(s, path, &made) != 0)
		return -1;
	struct copy c = { .s = s };
	int failed = open_image(s, path, &c.db) != 0;
	if (!failed) {
		failed = snapshot_begin(s, &own) != 0;
		if (!failed)
			failed = snapshot_end(s, own, copy_all(&c) != 0) != 0;
	}
	if (c.db && sqlite3_close(c.db) != SQLITE_OK && !failed) {
		snprintf(s->err, sizeof s->err, "backup: cannot finish the copy");
		failed = 1;
	}
	if (!failed)
		failed = sync_path(s, path) != 0;
	if (failed)
		discard_path(path, made);
	return failed ? -1 : 0;
}
