/* SPDX-License-Identifier: Apache-2.0 */
/* pii_scan.c: pv_scan_csv, undeclared personal information in the columns of a CSV file,
 * and the tallies and suggestions it shares with pv_scan_vault (pii_scan_vault.c). Values
 * are read, counted and forgotten; nothing of them is kept or printed. */
#include "pii_scan.h"

#include "errors.h"
#include "pii_detect.h"

#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------ */
/* Tallies                                                                              */
/* ------------------------------------------------------------------------------------ */

void pv_pii_tally_init(struct pv_pii_tally *t, enum pv_mask mask)
{
	memset(t, 0, sizeof *t);
	if (mask == PV_MASK_FREE_TEXT)
		t->covered = (1u << PV_PII_TYPES) - 1;
	else if (mask == PV_MASK_NAME)
		t->covered = 1u << PV_PII_NAME;
	else if (mask == PV_MASK_ADDRESS)
		t->covered = 1u << PV_PII_ADDRESS;
}

struct row_seen {
	unsigned kinds;
	int whole; /* the kind of a span covering the whole value, or -1 */
	size_t start, end;
};

static int seen_span(void *ctx, const pv_pii_span *s)
{
	struct row_seen *r = ctx;
	r->kinds |= 1u << s->type;
	if (s->start <= r->start && s->end >= r->end)
		r->whole = (int)s->type;
	return 0;
}

void pv_pii_tally_value(struct pv_pii_tally *t, const char *s, size_t len, int min_confidence)
{
	t->rows++;
	struct row_seen r = { 0, -1, 0, len };
	while (r.start < r.end && s[r.start] == ' ')
		r.start++;
	while (r.end > r.start && s[r.end - 1] == ' ')
		r.end--;
	if (r.start == r.end)
		return;
	t->filled++;
	if (pv_pii_scan(s, len, min_confidence, seen_span, &r) == 0 &&
	    pv_pii_name_alone(s + r.start, r.end - r.start))
		t->name_alone++;
	for (int k = 0; k < PV_PII_TYPES; k++) {
		if (!(r.kinds & (1u << k)) || (t->covered & (1u << k)))
			continue;
		t->with[k]++;
		t->whole[k] += r.whole == k;
	}
}

/* Names need context in free text; a column where most values are a name alone holds
 * names: they count when they are half the values or more (and names are not covered). */
static uint64_t names_alone(const struct pv_pii_tally *t)
{
	if (t->covered & (1u << PV_PII_NAME))
		return 0;
	return t->name_alone * 2 >= t->filled ? t->name_alone : 0;
}

int pv_pii_tally_found(const struct pv_pii_tally *t)
{
	for (int k = 0; k < PV_PII_TYPES; k++)
		if (t->with[k])
			return 1;
	return names_alone(t) > 0;
}

/* How a column holding only kind k is declared: the schema's type, or text with a mask. */
static const char *declaration_for(pv_pii_type k)
{
	switch (k) {
	case PV_PII_RESIDENT_ID: return "type cn_resident_id";
	case PV_PII_PHONE: return "type phone_cn";
	case PV_PII_BANK_CARD: return "type bank_card";
	case PV_PII_USCC: return "type uscc";
	case PV_PII_EMAIL: return "type email";
	case PV_PII_ADDRESS: return "mask address";
	case PV_PII_NAME: return "mask name";
	case PV_PII_PASSPORT: return "mask free_text";
	}
	return "mask free_text";
}

/* The suggestion: a column of one kind alone (nine values in ten that kind and nothing
 * else) is declared as that kind; one kind inside text, that kind or mask free_text;
 * several kinds, mask free_text. */
static void suggest(const struct pv_pii_tally *t, char *buf, size_t cap)
{
	int kinds = 0, top = 0;
	for (int k = 0; k < PV_PII_TYPES; k++) {
		kinds += t->with[k] > 0;
		if (t->with[k] > t->with[top])
			top = k;
	}
	const char *decl = declaration_for((pv_pii_type)top);
	if (kinds > 1)
		snprintf(buf, cap, "declare it mask free_text: it holds %d kinds", kinds);
	else if (t->whole[top] * 10 >= t->filled * 9 && strcmp(decl, "mask free_text") != 0)
		snprintf(buf, cap, "declare it %s", decl);
	else if (strcmp(decl, "mask free_text") == 0)
		snprintf(buf, cap, "declare it mask free_text");
	else
		snprintf(buf, cap, "declare it %s or mask free_text", decl);
}

void pv_pii_tally_report(const struct pv_pii_tally *t, const char *name, const char *declared,
			 pv_scan_column *c, char *buf, size_t cap)
{
	struct pv_pii_tally all = *t;
	all.with[PV_PII_NAME] += names_alone(t);
	all.whole[PV_PII_NAME] += names_alone(t);
	memset(c, 0, sizeof *c);
	c->name = name;
	c->declared = declared;
	c->rows = t->rows;
	memcpy(c->with, all.with, sizeof c->with);
	suggest(&all, buf, cap);
	c->suggestion = buf;
}

/* ------------------------------------------------------------------------------------ */
/* CSV files                                                                            */
/* ------------------------------------------------------------------------------------ */

#define SCAN_COLUMNS_MAX 4096
#define SCAN_FIELD_MAX (1024 * 1024) /* a longer field is a malformed file (unclosed quote) */
#define SCAN_CHUNK 65536

struct csv_column {
	char *name;
	char *declared;  /* "text, mask none", or NULL when the schema does not name it */
	int read;        /* 0: declared with a type of its own (checked at import) */
	struct pv_pii_tally tally;
};

struct csv_scan {
	const char *path;
	const struct pv_schema *schema; /* may be NULL */
	int min_conf;
	struct csv_column *col;
	size_t ncol, at;  /* columns; the field being read in the current row */
	uint64_t rows;    /* data rows */
	int header_done;
	pv_rc rc;
};

/* What the schema says of column name: read or not, and its declaration. */
static int declare_column(struct csv_scan *cs, struct csv_column *c)
{
	c->read = 1;
	pv_pii_tally_init(&c->tally, PV_MASK_NONE);
	int f = cs->schema ? pv_schema_field_index(cs->schema, c->name) : -1;
	if (f < 0)
		return 0;
	const struct pv_schema_field *fd = &cs->schema->fields[f];
	char buf[64];
	snprintf(buf, sizeof buf, "%s, mask %s", pv_ftype_name(fd->type), pv_mask_name(fd->mask));
	c->declared = strdup(buf);
	c->read = fd->type == PV_T_TEXT;
	pv_pii_tally_init(&c->tally, fd->mask);
	return c->declared ? 0 : -1;
}

static void header_field(struct csv_scan *cs, const char *s, size_t len)
{
	if (cs->ncol == SCAN_COLUMNS_MAX) {
		cs->rc = pv_fail(NULL, PV_ERR_INPUT, "%s: more than %d columns", cs->path,
				 SCAN_COLUMNS_MAX);
		return;
	}
	if (cs->ncol % 64 == 0) {
		struct csv_column *n = realloc(cs->col, (cs->ncol + 64) * sizeof *n);
		if (!n) {
			cs->rc = pv_fail(NULL, PV_ERR_NOMEM, "out of memory");
			return;
		}
		cs->col = n;
	}
	struct csv_column *c = &cs->col[cs->ncol++];
	memset(c, 0, sizeof *c);
	c->name = strndup(s, len);
	if (!c->name || declare_column(cs, c) != 0)
		cs->rc = pv_fail(NULL, PV_ERR_NOMEM, "out of memory");
}

static void on_field(void *data, size_t len, void *ctx)
{
	struct csv_scan *cs = ctx;
	if (cs->rc)
		return;
	if (!cs->header_done)
		header_field(cs, data ? data : "", data ? len : 0);
	else if (cs->at < cs->ncol && cs->col[cs->at].read)
		pv_pii_tally_value(&cs->col[cs->at].tally, data ? data : "", data ? len : 0,
				   cs->min_conf);
	cs->at++;
}

static void on_row(int term, void *ctx)
{
	struct csv_scan *cs = ctx;
	(void)term;
	if (cs->rc || (cs->header_done && cs->at == 0))
		return; /* a blank line */
	if (cs->header_done && cs->at != cs->ncol)
		cs->rc = pv_fail(NULL, PV_ERR_INPUT, "%s: data row %llu has %zu fields, the header "
				 "%zu", cs->path, (unsigned long long)cs->rows + 1, cs->at, cs->ncol);
	cs->rows += cs->header_done;
	cs->header_done = 1;
	cs->at = 0;
}

/* Read the file f through the parser into cs. */
static void read_csv(struct csv_scan *cs, FILE *f)
{
	struct csv_parser p;
	char buf[SCAN_CHUNK];
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL) != 0) {
		cs->rc = pv_fail(NULL, PV_ERR_NOMEM, "out of memory");
		return;
	}
	size_t n;
	while (!cs->rc && (n = fread(buf, 1, sizeof buf, f)) > 0) {
		if (csv_parse(&p, buf, n, on_field, on_row, cs) != n && !cs->rc)
			cs->rc = pv_fail(NULL, PV_ERR_INPUT, "%s: malformed CSV after data row %llu",
					 cs->path, (unsigned long long)cs->rows);
		if (!cs->rc && csv_get_buffer_size(&p) > SCAN_FIELD_MAX)
			cs->rc = pv_fail(NULL, PV_ERR_INPUT, "%s: a field after data row %llu is "
					 "longer than 1 MiB (an unclosed quote?)", cs->path,
					 (unsigned long long)cs->rows);
	}
	if (!cs->rc && ferror(f))
		cs->rc = pv_fail(NULL, PV_ERR_IO, "cannot read %s: %s", cs->path, strerror(errno));
	if (!cs->rc && csv_fini(&p, on_field, on_row, cs) != 0 && !cs->rc)
		cs->rc = pv_fail(NULL, PV_ERR_INPUT, "%s: the file ends inside a quoted field",
				 cs->path);
	csv_free(&p);
}

/* Read the schema file at path into *out. */
static pv_rc load_schema(const char *path, struct pv_schema **out)
{
	*out = NULL;
	if (!path)
		return PV_OK;
	FILE *f = fopen(path, "rb");
	if (!f)
		return pv_fail(NULL, PV_ERR_IO, "cannot read schema %s: %s", path, strerror(errno));
	size_t cap = 1 << 20;
	char *text = malloc(cap + 1);
	size_t n = text ? fread(text, 1, cap + 1, f) : 0;
	fclose(f);
	if (!text)
		return pv_fail(NULL, PV_ERR_NOMEM, "out of memory");
	text[n > cap ? cap : n] = '\0';
	*out = n > cap ? NULL : pv_schema_parse(text, n, path, NULL, NULL);
	free(text);
	return *out ? PV_OK : pv_fail(NULL, PV_ERR_SCHEMA, "schema %s is not valid (pivault schema "
				      "check %s says why)", path, path);
}

/* Pass each column that found something to fn; free the columns. */
static pv_rc report_columns(struct csv_scan *cs, pv_scan_column_fn fn, void *ctx)
{
	int stop = cs->rc != PV_OK;
	for (size_t i = 0; i < cs->ncol; i++) {
		struct csv_column *c = &cs->col[i];
		if (!stop && c->read && pv_pii_tally_found(&c->tally)) {
			pv_scan_column out;
			char why[128];
			pv_pii_tally_report(&c->tally, c->name, c->declared, &out, why, sizeof why);
			stop = fn && fn(ctx, &out) != 0;
		}
		free(c->name);
		free(c->declared);
	}
	free(cs->col);
	return cs->rc;
}

pv_rc pv_scan_csv_read(FILE *f, const char *name, const struct pv_schema *schema,
		       int min_confidence, pv_scan_column_fn fn, void *ctx, uint64_t *rows)
{
	int min = min_confidence > 0 ? min_confidence : PV_PII_MIN_CONFIDENCE;
	struct csv_scan cs = { name, schema, min, NULL, 0, 0, 0, 0, PV_OK };
	read_csv(&cs, f);
	if (rows)
		*rows = cs.rows;
	return report_columns(&cs, fn, ctx);
}

pv_rc pv_scan_csv(const char *path, const pv_scan_opts *o, pv_scan_column_fn fn, void *ctx,
		  uint64_t *rows)
{
	if (!path)
		return pv_fail(NULL, PV_ERR_USAGE, "no CSV file to scan");
	struct pv_schema *schema = NULL;
	pv_rc rc = load_schema(o ? o->schema_path : NULL, &schema);
	if (rc)
		return rc;
	FILE *f = fopen(path, "rb");
	if (!f) {
		pv_schema_free(schema);
		return pv_fail(NULL, PV_ERR_IO, "cannot read %s: %s", path, strerror(errno));
	}
	rc = pv_scan_csv_read(f, path, schema, o ? o->min_confidence : 0, fn, ctx, rows);
	fclose(f);
	pv_schema_free(schema);
	return rc ? rc : pv_ok(NULL);
}
