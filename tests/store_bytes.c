/* SPDX-License-Identifier: Apache-2.0 */
/* store_bytes.c: every byte a vault's store holds (store_bytes.h): the SQLite file and its
 * log read as files, or the PostgreSQL schema's values read through pvt_dba in one
 * statement (one snapshot), each in its stored form. */
#define _GNU_SOURCE /* memmem */
#include "store_bytes.h"
#include "dba.h"
#include "testutil.h"

#include "formats/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- SQLite: the files ---- */

static void add_file(struct pv_buf *b, const char *dir, const char *name)
{
	char *path = pvt_path(dir, name);
	size_t len = 0;
	char *bytes = pvt_read_file(path, &len);
	free(path);
	if (bytes)
		pv_buf_add(b, bytes, len);
	free(bytes);
}

/* ---- PostgreSQL: the values ---- */

/* A column's value as bytea, as PostgreSQL keeps it (NULL as nothing). */
static void add_column_bytes(struct pv_buf *q, const char *column, const char *type)
{
	static const struct {
		const char *type, *fmt;
	} forms[] = {
		{ "bytea", "\"%s\"" },
		{ "text", "convert_to(\"%s\", 'UTF8')" },
		{ "bigint", "int8send(\"%s\")" },
		{ "integer", "int4send(\"%s\")" },
		{ "smallint", "int2send(\"%s\")" },
		{ "boolean", "boolsend(\"%s\")" },
	};
	const char *fmt = "convert_to(\"%s\"::text, 'UTF8')";
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++)
		if (strcmp(type, forms[i].type) == 0)
			fmt = forms[i].fmt;
	char expr[256];
	snprintf(expr, sizeof expr, fmt, column);
	pv_buf_str(q, "coalesce(");
	pv_buf_str(q, expr);
	pv_buf_str(q, ", ''::bytea)");
}

/* Ends the SELECT of one table's values (opened by open_table). */
static void close_table(struct pv_buf *q, const char *table)
{
	pv_buf_str(q, ", ''::bytea), ''::bytea), 'hex') FROM \"");
	pv_buf_str(q, table);
	pv_buf_str(q, "\"");
}

static void open_table(struct pv_buf *q, const char *previous)
{
	if (previous[0]) {
		close_table(q, previous);
		pv_buf_str(q, " UNION ALL ");
	}
	pv_buf_str(q, "SELECT encode(coalesce(string_agg(''::bytea");
}

/* One SELECT giving, per table, the hex of all its rows' values (tables and their columns
 * from `columns`: lines "table|column|type" in order). */
static char *values_query(char *columns)
{
	struct pv_buf q = { 0 };
	char table[128] = "";
	char *save = NULL;
	for (char *line = strtok_r(columns, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *column = strchr(line, '|');
		char *type = column ? strchr(column + 1, '|') : NULL;
		assert_non_null(type);
		*column++ = '\0';
		*type++ = '\0';
		if (strcmp(line, table) != 0) {
			open_table(&q, table);
			snprintf(table, sizeof table, "%s", line);
		}
		pv_buf_str(&q, " || ");
		add_column_bytes(&q, column, type);
	}
	assert_true(table[0] != '\0');
	close_table(&q, table);
	pv_buf_add(&q, "", 1);
	assert_false(q.oom);
	return q.p;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Every value of every table of the vault's PostgreSQL schema, appended to b. */
static void add_pg_values(struct pv_buf *b, const char *dir)
{
	char *columns = NULL;
	assert_int_equal(pvt_dba(&columns, dir, "SELECT c.table_name, c.column_name, c.data_type "
				 "FROM information_schema.columns c JOIN "
				 "information_schema.tables t USING (table_schema, table_name) "
				 "WHERE c.table_schema = current_schema() "
				 "AND t.table_type = 'BASE TABLE' "
				 "ORDER BY c.table_name, c.ordinal_position"), 0);
	char *query = values_query(columns);
	free(columns);
	char *hex = NULL;
	assert_int_equal(pvt_dba(&hex, dir, "%s", query), 0);
	free(query);
	for (const char *p = hex; *p; p++) {
		int hi = hex_digit(p[0]), lo = hi < 0 ? -1 : hex_digit(p[1]);
		if (lo < 0)
			continue; /* a line's end */
		unsigned char byte = (unsigned char)(hi << 4 | lo);
		pv_buf_add(b, &byte, 1);
		p++;
	}
	free(hex);
}

char *pvt_store_bytes(const char *dir, size_t *len)
{
	struct pv_buf b = { 0 };
	if (pvt_dba_pg(dir)) {
		add_pg_values(&b, dir);
	} else {
		add_file(&b, dir, "vault.db");
		add_file(&b, dir, "vault.db-wal");
	}
	assert_true(b.len > 0); /* the store is there */
	pv_buf_add(&b, "", 1);
	assert_false(b.oom);
	*len = b.len - 1;
	return b.p;
}

int pvt_store_holds(const char *dir, const void *needle, size_t n)
{
	size_t len = 0;
	char *bytes = pvt_store_bytes(dir, &len);
	int found = n > 0 && memmem(bytes, len, needle, n) != NULL;
	free(bytes);
	return found;
}
