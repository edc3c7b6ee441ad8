/* SPDX-License-Identifier: Apache-2.0 */
/* import_csv.c: streaming CSV import. The calling thread parses RFC 4180 input with
 * libcsv into fixed-size batches; worker threads validate, normalise, seal and hash each
 * row; one writer thread stores the batches in input order, committing every
 * CHUNK_SECONDS so that other processes get in between, while the import's customers
 * stay out of every read until its last transaction (import_chunks.c).
 * Memory is bounded by the number of batches in flight, not by the file. Blind-index
 * entries are staged and merged in sorted order at the end, which keeps bulk loads cheap. */
#include "dates.h"
#include "files.h"
#include "formats/index_sort.h"
#include "import.h"
#include "audit.h"
#include "mask.h"
#include "policy.h"
#include "record.h"
#include "seal_gate.h"
#include "validate.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BATCH_ROWS 512
#define READ_CHUNK (64 * 1024)
#define HEADER_MAX (64 * 1024)      /* bytes of the header row, read before it is checked */
#define COLUMNS_MAX 4096
#define CSV_ENTRY_MAX (1024 * 1024) /* a field longer than this stops the import */
#define ID_MAX_LEN 64
#define MAX_WORKERS 16
#define DUP_IDS_MAX 1000            /* duplicate groups kept in the summary */
#define SORT_ENTRIES (256 * 1024)   /* blind-index entries sorted in memory at a time */
#define AUDIT_IDS_MAX 64            /* ids named in the audit entry; beyond, first and last */
#define CHUNK_SECONDS 0.25          /* the longest the import holds the write lock at a time */

/* What a CSV column holds. */
enum { COL_DROPPED = -3, COL_ID = -2 };       /* >= 0: a schema field; <= -10: consent */
#define COL_CONSENT(k) (-10 - (int)(k))
#define CONSENT_OF(c) (-10 - (c))

struct row_error {
	uint32_t row;
	int col;            /* column index, -1 for the whole row */
	const char *reason; /* static */
};

/* One row as parsed: its fields are NUL-terminated strings in the batch's raw arena. */
struct row {
	uint64_t line;
	uint32_t first;     /* index of its first field in the batch's field arrays */
	uint32_t nfields;
	const char *row_reason; /* a problem found by the parser, or NULL */
	int reason_col;         /* its column, or -1 for the whole row */
	int bad;            /* set by the worker when any error was found */
};

enum batch_state { B_FREE, B_FILLED, B_WORKING, B_DONE };

struct batch {
	enum batch_state state;
	uint64_t seq;
	size_t nrows;
	struct row rows[BATCH_ROWS];
	uint32_t *fstart, *flen; /* per field: offset into raw, length */
	size_t nf, capf;
	char *raw;
	size_t rawlen, rawcap;
	/* worker output */
	struct pv_sealed sealed[BATCH_ROWS];
	signed char *consent;     /* BATCH_ROWS * nconsents: -1 none, 0 no, 1 yes */
	struct row_error *errs;
	size_t nerrs, caperrs;
	char *reject;             /* masked reject lines, when a reject file is asked for */
	size_t rejlen, rejcap;
	size_t rej_off[BATCH_ROWS], rej_len[BATCH_ROWS]; /* each bad row's line in reject */
	int oom;
	pv_rc seal_rc;            /* a record could not be sealed, through no fault of its */
	char seal_msg[160];       /* own (a damaged keyring slot): the import stops */
};

struct pv_import_result {
	uint64_t rows_read, imported, rejected;
	double seconds;
	size_t ndups, capdups;
	char **dup_field, **dup_ids;
	uint64_t dup_groups_total;
	char *dropped;
	char *warnings;
	uint64_t errors_total;
	json_t *errors; /* the first errors, for the JSON summary */
	uint64_t sealed_left_out; /* customers left out of duplicate groups: sealed */
	char sealed_incident[64]; /* by this incident ("several incidents"; "" when none) */
};

struct importer {
	pv_vault *v;
	const pv_import_opts *o;
	pv_import_result *res;
	int role;
	/* columns */
	size_t ncols;
	int *col;
	char **colname;
	int id_col;
	/* parsing */
	struct csv_parser csv;
	uint64_t line;          /* physical line the next row starts on */
	int pending_cr;
	int header_done;
	size_t header_bytes;    /* parsed while the header row was not yet complete */
	uint64_t row_newlines;  /* newlines inside the current row's quoted fields */
	uint32_t row_fields;
	int row_too_wide;
	const char *row_reason;
	int row_reason_col;
	uint64_t bytes_done, bytes_total;
	pv_rc fatal;            /* a problem that stops the whole import */
	char fatal_msg[512];
	/* pipeline */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct batch *slots;
	size_t nslots;
	uint64_t next_fill, next_write;
	int eof, stop;
	struct batch *cur;
	/* writer */
	int failed;             /* any bad row (all-or-nothing mode: nothing is written) */
	pv_rc write_rc;
	uint64_t stored;        /* customers stored, not yet committed: the result's
				 * imported count only once the last transaction holds them */
	int64_t first_rid;
	char *first_ids;           /* the ids imported, while there are at most AUDIT_IDS_MAX */
	size_t nids;
	char first_id[ID_MAX_LEN + 1], last_id[ID_MAX_LEN + 1];
	struct pv_index_sorter *sorter;
	int *indexed_nums;         /* stored numbers of the indexed fields, in schema order */
	size_t nindexed;
	FILE *reject;
	char **reject_tmp;
	struct timespec t0, last_progress;
	struct timespec chunk_t0;  /* when the transaction open began */
	int64_t rid_from;          /* the import's first row id */
	struct pv_idset sealed;    /* customers sealed by an incident, left out of duplicates */
};

static double elapsed(const struct timespec *t0);

/* Once the open transaction has held the write lock CHUNK_SECONDS, commit it and begin
 * the next (the import's customers stay unseen); 0, or -1 with the store's message. */
static int maybe_next_chunk(struct importer *im)
{
	if (elapsed(&im->chunk_t0) < CHUNK_SECONDS)
		return 0;
	if (pv_store_chunk(im->v->store, pv_import_test_hold, NULL) != 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &im->chunk_t0);
	return 0;
}

/* ---------------------------------------------------------------- results ---- */

static pv_import_result *result_new(void)
{
	pv_import_result *r = calloc(1, sizeof *r);
	if (r && !(r->errors = json_array())) {
		free(r);
		return NULL;
	}
	return r;
}

void pv_import_free(pv_import_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->ndups; i++) {
		free(r->dup_field[i]);
		free(r->dup_ids[i]);
	}
	free(r->dup_field);
	free(r->dup_ids);
	free(r->dropped);
	free(r->warnings);
	json_decref(r->errors);
	free(r);
}

uint64_t pv_import_rows_read(const pv_import_result *r) { return r->rows_read; }
uint64_t pv_import_rows_imported(const pv_import_result *r) { return r->imported; }
uint64_t pv_import_rows_rejected(const pv_import_result *r) { return r->rejected; }
double pv_import_seconds(const pv_import_result *r) { return r->seconds; }
size_t pv_import_duplicate_count(const pv_import_result *r) { return r->ndups; }
const char *pv_import_duplicate_field(const pv_import_result *r, size_t i) { return i < r->ndups ? r->dup_field[i] : NULL; }
const char *pv_import_duplicate_ids(const pv_import_result *r, size_t i) { return i < r->ndups ? r->dup_ids[i] : NULL; }
const char *pv_import_dropped_columns(const pv_import_result *r) { return r->dropped ? r->dropped : ""; }
const char *pv_import_warnings(const pv_import_result *r) { return r->warnings ? r->warnings : ""; }

uint64_t pv_import_sealed_left_out(const pv_import_result *r, char *incident, size_t n)
{
	if (incident && n)
		snprintf(incident, n, "%s", r->sealed_incident);
	return r->sealed_left_out;
}

char *pv_import_json(const pv_import_result *r)
{
	json_t *o = json_object(), *dups = json_array();
	if (!o || !dups) {
		json_decref(o);
		json_decref(dups);
		return NULL;
	}
	for (size_t i = 0; i < r->ndups; i++)
		json_array_append_new(dups, json_pack("{s:s, s:s}", "field", r->dup_field[i], "ids",
						      r->dup_ids[i]));
	json_object_set_new(o, "rows_read", json_integer((json_int_t)r->rows_read));
	json_object_set_new(o, "imported", json_integer((json_int_t)r->imported));
	json_object_set_new(o, "rejected", json_integer((json_int_t)r->rejected));
	json_object_set_new(o, "seconds", json_real(r->seconds));
	json_object_set_new(o, "records_per_second",
			    json_real(r->seconds > 0 ? (double)r->imported / r->seconds : 0));
	json_object_set_new(o, "duplicate_groups", json_integer((json_int_t)r->dup_groups_total));
	json_object_set_new(o, "duplicates", dups);
	json_object_set_new(o, "dropped_columns", json_string(pv_import_dropped_columns(r)));
	json_object_set_new(o, "warnings", json_string(pv_import_warnings(r)));
	json_object_set_new(o, "errors_total", json_integer((json_int_t)r->errors_total));
	json_object_set_new(o, "errors", json_incref(r->errors));
	if (r->sealed_left_out) /* said, as a list says what it left out */
		json_object_set_new(o, "sealed_left_out",
				    json_pack("{s:I,s:s}", "customers", (json_int_t)r->sealed_left_out,
					      "incident", r->sealed_incident));
	char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

/* Append text to a comma-separated malloc'd list. 0 or -1. */
static int list_append(char **list, const char *sep, const char *item)
{
	size_t old = *list ? strlen(*list) : 0, add = strlen(item) + strlen(sep);
	char *n = realloc(*list, old + add + 1);
	if (!n)
		return -1;
	if (old)
		strcpy(n + old, sep);
	else
		n[0] = '\0';
	strcat(n, item);
	*list = n;
	return 0;
}

/* --------------------------------------------------------------- parsing ---- */

/* Realloc for libcsv that wipes the old block, so no copy of a field outlives it. It
 * grows geometrically (libcsv asks for 128 bytes more at a time), so a long field costs
 * linear, not quadratic, time. */
static void *wiping_realloc(void *p, size_t n)
{
	size_t old = p ? malloc_usable_size(p) : 0;
	if (p && old >= n)
		return p;
	void *q = malloc(n < 2 * old ? 2 * old : n);
	if (q && p) {
		memcpy(q, p, old < n ? old : n);
		pv_wipe(p, old);
		free(p);
	}
	return q;
}

static void wiping_free(void *p)
{
	if (p) {
		pv_wipe(p, malloc_usable_size(p));
		free(p);
	}
}

/* Make room for one more field and len bytes in batch b. 0 or -1. */
static int batch_reserve(struct batch *b, size_t len)
{
	if (b->nf == b->capf) {
		size_t cap = b->capf ? 2 * b->capf : 4096;
		uint32_t *s = realloc(b->fstart, cap * sizeof *s);
		if (!s)
			return -1;
		b->fstart = s;
		uint32_t *l = realloc(b->flen, cap * sizeof *l);
		if (!l)
			return -1;
		b->flen = l;
		b->capf = cap;
	}
	if (b->rawlen + len + 1 > b->rawcap) {
		size_t cap = (b->rawlen + len + 1) * 2;
		char *r = wiping_realloc(b->raw, cap);
		if (!r)
			return -1;
		b->raw = r;
		b->rawcap = cap;
	}
	return 0;
}

/* Take the next free batch slot in order (waits for the writer); NULL when stopping. */
static struct batch *take_free_slot(struct importer *im)
{
	pthread_mutex_lock(&im->mu);
	struct batch *b = &im->slots[im->next_fill % im->nslots];
	while (!im->stop && b->state != B_FREE)
		pthread_cond_wait(&im->cv, &im->mu);
	pthread_mutex_unlock(&im->mu);
	if (im->stop)
		return NULL;
	b->seq = im->next_fill++;
	b->nrows = b->nf = b->rawlen = b->nerrs = b->rejlen = 0;
	b->oom = 0;
	b->seal_rc = PV_OK;
	return b;
}

static void hand_over(struct importer *im, struct batch *b)
{
	pthread_mutex_lock(&im->mu);
	b->state = B_FILLED;
	pthread_cond_broadcast(&im->cv);
	pthread_mutex_unlock(&im->mu);
}

static void set_fatal(struct importer *im, pv_rc rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_fatal(struct importer *im, pv_rc rc, const char *fmt, ...)
{
	if (im->fatal)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(im->fatal_msg, sizeof im->fatal_msg, fmt, ap);
	va_end(ap);
	im->fatal = rc;
}

/* Write s to f as one CSV field (quoted when it needs to be). */
static void csv_put(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* The header row: map each column to a field, a consent, the id, or refuse it. */
static void header_field(struct importer *im, const char *name, size_t len)
{
	if (im->ncols >= COLUMNS_MAX) {
		set_fatal(im, PV_ERR_INPUT, "line 1: more than %d columns", COLUMNS_MAX);
		return;
	}
	char **cn = realloc(im->colname, (im->ncols + 1) * sizeof *cn);
	if (cn)
		im->colname = cn;
	int *col = realloc(im->col, (im->ncols + 1) * sizeof *col);
	if (col)
		im->col = col;
	char *copy = malloc(len + 1);
	if (!cn || !col || !copy) {
		free(copy);
		set_fatal(im, PV_ERR_NOMEM, "out of memory");
		return;
	}
	memcpy(copy, name, len);
	copy[len] = '\0';
	im->colname[im->ncols] = copy;
	im->col[im->ncols++] = COL_DROPPED;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A column name that appears twice, or NULL: sorted copies compared side by side. */
static const char *twice_named(struct importer *im)
{
	if (im->ncols < 2)
		return NULL;
	char **sorted = malloc(im->ncols * sizeof *sorted);
	if (!sorted) {
		set_fatal(im, PV_ERR_NOMEM, "out of memory");
		return NULL;
	}
	memcpy(sorted, im->colname, im->ncols * sizeof *sorted);
	qsort(sorted, im->ncols, sizeof *sorted, cmp_name);
	const char *twice = NULL;
	for (size_t c = 1; c < im->ncols && !twice; c++)
		if (strcmp(sorted[c - 1], sorted[c]) == 0)
			twice = sorted[c];
	free(sorted);
	return twice;
}

/* Check the header once complete. */
static void header_done(struct importer *im)
{
	const struct pv_schema *s = im->v->schema;
	im->header_done = 1;
	im->id_col = -1;
	const char *twice = twice_named(im);
	if (twice || im->fatal) {
		if (twice)
			set_fatal(im, PV_ERR_INPUT, "line 1: column '%s' appears twice", twice);
		return;
	}
	for (size_t c = 0; c < im->ncols; c++) {
		const char *name = im->colname[c];
		if (memchr(name, '\0', strlen(name) + 1) != name + strlen(name) ||
		    pv_validate(PV_T_TEXT, name, strlen(name), (char[PV_VALUE_MAX + 1]){ 0 },
				PV_VALUE_MAX + 1, &(size_t){ 0 })) {
			set_fatal(im, PV_ERR_INPUT, "line 1, column %zu: header is not valid UTF-8 "
				  "text (pivault reads UTF-8 only; convert GBK/GB18030 files first)",
				  c + 1);
			return;
		}
		int f = pv_schema_field_index(s, name), k = pv_schema_consent_index(s, name);
		if (strcmp(name, s->id_column) == 0) {
			im->col[c] = COL_ID;
			im->id_col = (int)c;
		} else if (f >= 0) {
			im->col[c] = f;
		} else if (k >= 0) {
			im->col[c] = COL_CONSENT(k);
		} else if (im->o->flags & PV_IMPORT_DROP_UNDECLARED) {
			if (list_append(&im->res->dropped, ",", name) != 0)
				set_fatal(im, PV_ERR_NOMEM, "out of memory");
		} else {
			set_fatal(im, PV_ERR_INPUT, "line 1: column '%s' is not declared in the schema "
				  "(data minimisation: remove it, or pass --drop-undeclared)", name);
			return;
		}
	}
	if (im->id_col < 0) {
		set_fatal(im, PV_ERR_INPUT, "line 1: the id column '%s' is missing", s->id_column);
		return;
	}
	if (im->reject) { /* the reject file's header: where, why, then the input's columns */
		fputs("line,reason", im->reject);
		for (size_t c = 0; c < im->ncols; c++) {
			fputc(',', im->reject);
			csv_put(im->reject, im->colname[c]);
		}
		fputs("\r\n", im->reject);
	}
	for (size_t i = 0; i < s->nfields; i++) {
		int present = 0;
		for (size_t c = 0; c < im->ncols; c++)
			present |= im->col[c] == (int)i;
		if (!present && s->fields[i].required) {
			set_fatal(im, PV_ERR_INPUT, "line 1: required field '%s' has no column",
				  s->fields[i].name);
			return;
		}
	}
}

/* libcsv: one field. */
static void on_field(void *data, size_t len, void *ctx)
{
	struct importer *im = ctx;
	if (im->fatal)
		return;
	for (const char *p = data, *end = p + len; p < end && (p = memchr(p, '\n', (size_t)(end - p)));
	     p++)
		im->row_newlines++;
	if (!im->header_done) {
		if (memchr(data, '\0', len))
			set_fatal(im, PV_ERR_INPUT, "line 1: header holds a NUL byte");
		else
			header_field(im, data, len);
		return;
	}
	struct batch *b = im->cur;
	if (!b && !(b = im->cur = take_free_slot(im)))
		return;
	struct row *r = &b->rows[b->nrows];
	if (im->row_fields == 0) {
		r->first = (uint32_t)b->nf;
		im->row_reason = NULL;
	}
	im->row_fields++;
	if (im->row_fields > im->ncols)
		return; /* counted; the row is refused at its end */
	const char *why = memchr(data, '\0', len) ? "field holds a NUL byte"
			  : len > PV_VALUE_MAX ? "field longer than 4096 bytes" : NULL;
	if (why) {
		if (!im->row_reason) {
			im->row_reason = why;
			im->row_reason_col = (int)im->row_fields - 1;
		}
		len = 0;
	}
	if (batch_reserve(b, len) != 0) {
		set_fatal(im, PV_ERR_NOMEM, "out of memory");
		return;
	}
	b->fstart[b->nf] = (uint32_t)b->rawlen;
	b->flen[b->nf++] = (uint32_t)len;
	memcpy(b->raw + b->rawlen, data, len);
	b->raw[b->rawlen + len] = '\0';
	b->rawlen += len + 1;
}

/* libcsv: end of a row (c is the terminator, -1 at end of input). */
static void on_row(int c, void *ctx)
{
	struct importer *im = ctx;
	int empty = im->header_done ? im->row_fields == 0 : im->ncols == 0;
	int cr_lf = im->pending_cr && c == '\n' && empty;
	im->pending_cr = c == '\r';
	uint64_t start = im->line;
	if (!cr_lf && (c == '\n' || c == '\r'))
		im->line++;
	im->line += im->row_newlines;
	im->row_newlines = 0;
	if (im->fatal)
		return;
	if (!im->header_done) {
		if (im->ncols)
			header_done(im);
		return;
	}
	if (im->row_fields == 0)
		return; /* a blank line, or the LF of a CR LF */
	struct batch *b = im->cur;
	if (!b) {
		im->row_fields = 0;
		return;
	}
	struct row *r = &b->rows[b->nrows++];
	r->line = start;
	r->nfields = im->row_fields < im->ncols ? im->row_fields : (uint32_t)im->ncols;
	r->row_reason = im->row_fields != im->ncols ? (im->row_fields < im->ncols
						       ? "too few fields for the header"
						       : "too many fields for the header")
						    : im->row_reason;
	r->reason_col = im->row_fields != im->ncols ? -1 : im->row_reason_col;
	r->bad = 0;
	im->res->rows_read++;
	im->row_fields = 0;
	if (b->nrows == BATCH_ROWS) {
		hand_over(im, b);
		im->cur = NULL;
	}
}

/* ------------------------------------------------------------- workers ---- */

static void add_error(struct batch *b, uint32_t row, int col, const char *reason)
{
	if (b->nerrs == b->caperrs) {
		size_t cap = b->caperrs ? 2 * b->caperrs : 64;
		struct row_error *e = realloc(b->errs, cap * sizeof *e);
		if (!e) {
			b->oom = 1;
			return;
		}
		b->errs = e;
		b->caperrs = cap;
	}
	b->errs[b->nerrs++] = (struct row_error){ row, col, reason };
	b->rows[row].bad = 1;
}

/* 1 if id is acceptable as a customer id: 1..64 of [A-Za-z0-9._:-]. */
static int rej_append(struct batch *b, const char *s, size_t n)
{
	if (b->rejlen + n > b->rejcap) {
		size_t cap = (b->rejlen + n) * 2 + 1024;
		char *r = realloc(b->reject, cap);
		if (!r) {
			b->oom = 1;
			return -1;
		}
		b->reject = r;
		b->rejcap = cap;
	}
	memcpy(b->reject + b->rejlen, s, n);
	b->rejlen += n;
	return 0;
}

static void rej_field(struct batch *b, const char *s)
{
	int quote = strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		rej_append(b, "\"", 1);
	for (; *s; s++) {
		if (*s == '"')
			rej_append(b, "\"", 1);
		rej_append(b, s, 1);
	}
	if (quote)
		rej_append(b, "\"", 1);
}

/* Write row ri to the batch's reject text: line, reasons, then every column masked (an
 * invalid value as "****", a valid one by its field's rule, non-public values with no
 * masking rule as "****"); never a value in clear except the customer id. */
static void reject_row(struct importer *im, struct batch *b, uint32_t ri, char **norm,
		       size_t first_err)
{
	const struct pv_schema *s = im->v->schema;
	struct row *r = &b->rows[ri];
	char num[32];
	snprintf(num, sizeof num, "%llu,", (unsigned long long)r->line);
	rej_append(b, num, strlen(num));
	char reasons[512] = "";
	for (size_t e = first_err; e < b->nerrs; e++) {
		size_t n = strlen(reasons);
		snprintf(reasons + n, sizeof reasons - n, "%s%s: %s", n ? "; " : "",
			 b->errs[e].col >= 0 ? im->colname[b->errs[e].col] : "row", b->errs[e].reason);
	}
	rej_field(b, reasons);
	for (size_t c = 0; c < im->ncols; c++) {
		rej_append(b, ",", 1);
		if (c >= r->nfields)
			continue;
		int bad = 0;
		for (size_t e = first_err; e < b->nerrs; e++)
			bad |= b->errs[e].col == (int)c;
		const char *raw = b->raw + b->fstart[r->first + c];
		int f = im->col[c];
		if (f == COL_ID) {
			rej_field(b, pv_customer_id_ok(raw) ? raw : "****");
		} else if (f >= 0 && !bad && norm[f]) {
			const struct pv_schema_field *fd = &s->fields[f];
			char *m = fd->mask == PV_MASK_NONE
					  ? (fd->sensitivity == PV_SENS_PUBLIC ? strdup(norm[f])
									       : strdup("****"))
					  : pv_mask_value(fd->mask, norm[f], strlen(norm[f]));
			if (!m) {
				b->oom = 1;
				continue;
			}
			rej_field(b, m);
			free(m);
		} else if (f <= COL_CONSENT(0) && !bad) {
			rej_field(b, raw);
		} else if (*raw) {
			rej_field(b, "****");
		}
	}
	rej_append(b, "\r\n", 2);
}

/* Validate, normalise and seal every row of batch b. norm_buf is the worker's scratch:
 * nfields slots of PV_VALUE_MAX + 1 bytes. */
static void process_batch(struct importer *im, struct batch *b, char *norm_buf,
			  struct pv_rng *rng)
{
	pv_vault *v = im->v;
	const struct pv_schema *s = v->schema;
	size_t nf = s->nfields, nc = s->nconsents;
	const char *vals[nf + 1];
	size_t lens[nf + 1];
	char *norm[nf + 1];
	struct pv_values pv = { vals, lens };
	for (uint32_t ri = 0; ri < b->nrows; ri++) {
		struct row *r = &b->rows[ri];
		size_t first_err = b->nerrs;
		signed char *cons = b->consent + (size_t)ri * nc;
		memset(cons, -1, nc);
		for (size_t i = 0; i < nf; i++) {
			vals[i] = "";
			lens[i] = 0;
			norm[i] = NULL;
		}
		b->rej_len[ri] = 0;
		if (r->row_reason)
			add_error(b, ri, r->reason_col, r->row_reason);
		const char *id = NULL;
		for (uint32_t c = 0; c < r->nfields && !r->row_reason; c++) {
			const char *raw = b->raw + b->fstart[r->first + c];
			size_t len = b->flen[r->first + c];
			int f = im->col[c];
			if (f == COL_ID) {
				if (!pv_customer_id_ok_len(raw, len))
					add_error(b, ri, (int)c, len ? "customer id must be 1-64 of A-Z a-z "
						  "0-9 . _ : -" : "customer id is empty");
				id = raw;
			} else if (f >= 0) {
				char *out = norm_buf + (size_t)f * (PV_VALUE_MAX + 1);
				const char *why = pv_validate(s->fields[f].type, raw, len, out,
							      PV_VALUE_MAX + 1, &lens[f]);
				if (!why && lens[f] == 0 && s->fields[f].required &&
				    !(im->o->flags & PV_IMPORT_ALLOW_EMPTY_REQUIRED))
					why = "a value is required";
				if (why) {
					add_error(b, ri, (int)c, why);
					lens[f] = 0;
				} else {
					vals[f] = norm[f] = out;
				}
			} else if (f <= COL_CONSENT(0)) {
				char out[16];
				size_t n;
				const char *why = pv_validate(PV_T_BOOL, raw, len, out, sizeof out, &n);
				if (why)
					add_error(b, ri, (int)c, "consent must be yes or no");
				else if (n)
					cons[CONSENT_OF(f)] = out[0] == 't';
			}
		}
		if (!r->bad) { /* a failure here is the keyring's or memory's, not the row's */
			char err[160];
			pv_rc rc = pv_seal_customer(v, id, &pv, &b->sealed[ri], rng, err, sizeof err);
			if (rc != PV_OK && b->seal_rc == PV_OK) {
				b->seal_rc = rc;
				snprintf(b->seal_msg, sizeof b->seal_msg, "%s", err);
			}
		}
		if (r->bad && im->reject) {
			b->rej_off[ri] = b->rejlen;
			reject_row(im, b, ri, norm, first_err);
			b->rej_len[ri] = b->rejlen - b->rej_off[ri];
		}
		for (size_t i = 0; i < nf; i++)
			if (norm[i])
				pv_wipe(norm[i], lens[i]);
	}
}

static void *worker_main(void *arg)
{
	struct importer *im = arg;
	char *norm_buf = malloc(im->v->schema->nfields * (PV_VALUE_MAX + 1) + 1);
	struct pv_rng *rng = pv_rng_new();
	pthread_mutex_lock(&im->mu);
	for (;;) {
		struct batch *b = NULL;
		for (size_t i = 0; i < im->nslots; i++)
			if (im->slots[i].state == B_FILLED) {
				b = &im->slots[i];
				break;
			}
		if (!b) {
			if (im->eof || im->stop)
				break;
			pthread_cond_wait(&im->cv, &im->mu);
			continue;
		}
		b->state = B_WORKING;
		pthread_mutex_unlock(&im->mu);
		if (norm_buf && rng)
			process_batch(im, b, norm_buf, rng);
		else
			b->oom = 1;
		pthread_mutex_lock(&im->mu);
		b->state = B_DONE;
		pthread_cond_broadcast(&im->cv);
	}
	pthread_mutex_unlock(&im->mu);
	free(norm_buf);
	pv_rng_free(rng);
	return NULL;
}

/* --------------------------------------------------------------- writer ---- */

static void report_error(struct importer *im, uint64_t line, int col, const char *reason)
{
	const char *cname = col >= 0 ? im->colname[col] : NULL;
	im->res->errors_total++;
	if (json_array_size(im->res->errors) < 1000) {
		json_t *e = json_pack("{s:I, s:s?, s:s}", "line", (json_int_t)line, "column", cname,
				      "reason", reason);
		json_array_append_new(im->res->errors, e);
	}
	if (im->o->on_error)
		im->o->on_error(im->o->ctx, line, cname, reason);
}

/* Count a customer stored and keep its id for the audit entry. */
static void note_imported(struct importer *im, const char *id)
{
	if (im->stored++ == 0)
		snprintf(im->first_id, sizeof im->first_id, "%s", id);
	snprintf(im->last_id, sizeof im->last_id, "%s", id);
	if (++im->nids <= AUDIT_IDS_MAX && list_append(&im->first_ids, ",", id) != 0)
		im->write_rc = pv_fail(im->v, PV_ERR_NOMEM, "out of memory");
	if (im->nids == AUDIT_IDS_MAX + 1) {
		free(im->first_ids);
		im->first_ids = NULL;
	}
}

/* Store batch b: report its errors in line order; insert its good rows unless the import
 * has already failed in all-or-nothing mode. */
static void write_batch(struct importer *im, struct batch *b)
{
	pv_vault *v = im->v;
	const struct pv_schema *s = v->schema;
	size_t e = 0;
	char at[32];
	pv_time_now(at, sizeof at);
	if (b->oom && !im->write_rc)
		im->write_rc = pv_fail(v, PV_ERR_NOMEM, "out of memory during import");
	if (b->seal_rc && !im->write_rc)
		im->write_rc = pv_fail(v, b->seal_rc, "%s", b->seal_msg);
	for (uint32_t ri = 0; ri < b->nrows && !im->write_rc; ri++) {
		struct row *r = &b->rows[ri];
		for (; e < b->nerrs && b->errs[e].row == ri; e++)
			report_error(im, r->line, b->errs[e].col, b->errs[e].reason);
		if (r->bad) {
			im->failed = 1;
			im->res->rejected++;
			if (im->reject && b->rej_len[ri] &&
			    fwrite(b->reject + b->rej_off[ri], 1, b->rej_len[ri], im->reject) !=
				    b->rej_len[ri])
				im->write_rc = pv_fail(v, PV_ERR_IO, "cannot write the reject file");
			continue;
		}
		/* After a bad row in all-or-nothing mode the transaction will be rolled back;
		 * customers are still inserted, only so that every repeated id is reported. */
		int64_t rid;
		int st = pv_store_customer_insert(v->store, &b->sealed[ri].c, &rid);
		if (st == 1) {
			report_error(im, r->line, im->id_col, "customer id already exists");
			im->failed = 1;
			im->res->rejected++;
			if (im->reject) { /* the id alone: the values were valid, so not kept */
				fprintf(im->reject, "%llu,", (unsigned long long)r->line);
				csv_put(im->reject, im->colname[im->id_col]);
				fputs(": customer id already exists", im->reject);
				for (size_t c = 0; c < im->ncols; c++)
					fprintf(im->reject, ",%s", (int)c == im->id_col ? b->sealed[ri].c.id : "");
				fputs("\r\n", im->reject);
			}
			continue;
		}
		if (st == 0 && im->failed && !im->reject)
			continue;
		if (st == 0 && im->first_rid == 0)
			im->first_rid = rid;
		static const uint8_t none[PV_BLIND_BYTES];
		for (size_t k = 0; st == 0 && k < im->nindexed; k++) {
			const uint8_t *h = b->sealed[ri].hashes + k * PV_BLIND_BYTES;
			if (memcmp(h, none, PV_BLIND_BYTES) != 0 &&
			    pv_index_sorter_add(im->sorter, im->indexed_nums[k], h, rid) != 0)
				im->write_rc = pv_fail(v, PV_ERR_IO, "cannot sort index entries: %s",
						       strerror(errno));
		}
		for (size_t k = 0; st == 0 && k < s->nconsents; k++) {
			signed char c = b->consent[(size_t)ri * s->nconsents + k];
			if (c >= 0)
				st = pv_store_consent_put(v->store, rid,
							  s->purposes[s->consents[k].purpose].name, c,
							  at, "import");
		}
		if (st != 0)
			im->write_rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
		else
			note_imported(im, b->sealed[ri].c.id);
	}
}

static void *writer_main(void *arg)
{
	struct importer *im = arg;
	pthread_mutex_lock(&im->mu);
	for (;;) {
		struct batch *b = &im->slots[im->next_write % im->nslots];
		if (b->state == B_DONE && b->seq == im->next_write) {
			pthread_mutex_unlock(&im->mu);
			write_batch(im, b);
			if (!im->write_rc && maybe_next_chunk(im) != 0)
				im->write_rc = pv_fail(im->v, PV_ERR_STORE, "%s",
						       pv_store_errmsg(im->v->store));
			pv_wipe(b->raw, b->rawlen);
			pthread_mutex_lock(&im->mu);
			b->state = B_FREE;
			im->next_write++;
			if (im->write_rc)
				im->stop = 1;
			pthread_cond_broadcast(&im->cv);
			continue;
		}
		if ((im->eof && im->next_write == im->next_fill) || im->stop)
			break;
		pthread_cond_wait(&im->cv, &im->mu);
	}
	pthread_mutex_unlock(&im->mu);
	return NULL;
}

/* ----------------------------------------------------------------- driver ---- */

static double elapsed(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void maybe_progress(struct importer *im, int force)
{
	if (!im->v->progress)
		return;
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	double since = (double)(t.tv_sec - im->last_progress.tv_sec) +
		       (double)(t.tv_nsec - im->last_progress.tv_nsec) / 1e9;
	if (!force && since < 0.25)
		return;
	im->last_progress = t;
	pv_progress(im->v, "import", im->bytes_done, im->bytes_total);
}

/* Recognise byte-order marks at the start of the file. Returns bytes to skip, or -1. */
static int check_bom(struct importer *im, const unsigned char *p, size_t n)
{
	if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
		if (list_append(&im->res->warnings, "; ", "UTF-8 byte-order mark skipped") != 0)
			return -1;
		return 3;
	}
	if (n >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF))) {
		set_fatal(im, PV_ERR_INPUT, "line 1: the file starts with a UTF-16/UTF-32 byte-order "
			  "mark; pivault reads UTF-8 only (convert it, e.g. iconv -f UTF-16 -t UTF-8)");
		return -1;
	}
	return 0;
}

/* Feed len bytes to the CSV parser. */
static void parse_bytes(struct importer *im, const unsigned char *p, size_t len)
{
	if (csv_parse(&im->csv, p, len, on_field, on_row, im) != len && !im->fatal)
		set_fatal(im, PV_ERR_INPUT, "line %llu: malformed CSV (%s): a quote inside an "
			  "unquoted field, or text after a closing quote",
			  (unsigned long long)im->line, csv_strerror(csv_error(&im->csv)));
	if (!im->fatal && csv_get_buffer_size(&im->csv) > CSV_ENTRY_MAX)
		set_fatal(im, PV_ERR_INPUT, "line %llu: a field is longer than 1 MiB (an "
			  "unterminated quote?)", (unsigned long long)im->line);
}

/* Feed a chunk; while the header row is incomplete, no more than HEADER_MAX bytes of it
 * reach the parser, so a huge header is refused before it is buffered. */
static void parse_chunk(struct importer *im, const unsigned char *p, size_t len)
{
	if (!im->header_done) {
		size_t part = HEADER_MAX - im->header_bytes;
		part = len < part ? len : part;
		parse_bytes(im, p, part);
		im->header_bytes += part;
		p += part;
		len -= part;
		if (!im->fatal && !im->header_done && im->header_bytes >= HEADER_MAX) {
			set_fatal(im, PV_ERR_INPUT, "line 1: the header row is longer than %d KiB "
				  "(%d bytes), the most pivault reads", HEADER_MAX / 1024, HEADER_MAX);
			return;
		}
	}
	if (len && !im->fatal)
		parse_bytes(im, p, len);
}

/* Parse the whole file into batches; runs on the calling thread. */
static void parse_file(struct importer *im, int fd)
{
	unsigned char *buf = malloc(READ_CHUNK);
	if (!buf) {
		set_fatal(im, PV_ERR_NOMEM, "out of memory");
		return;
	}
	int first = 1;
	for (;;) {
		ssize_t n = read(fd, buf, READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			set_fatal(im, PV_ERR_IO, "cannot read the input: %s", strerror(errno));
			break;
		}
		if (n == 0)
			break;
		size_t skip = 0;
		if (first) {
			int k = check_bom(im, buf, (size_t)n);
			if (k < 0)
				break;
			skip = (size_t)k;
			first = 0;
		}
		parse_chunk(im, buf + skip, (size_t)n - skip);
		im->bytes_done += (size_t)n;
		if (im->fatal || im->stop)
			break;
		maybe_progress(im, 0);
	}
	if (!im->fatal && !im->stop &&
	    csv_fini(&im->csv, on_field, on_row, im) != 0 && !im->fatal)
		set_fatal(im, PV_ERR_INPUT, "line %llu: the file ends inside a quoted field",
			  (unsigned long long)im->line);
	if (!im->fatal && !im->header_done)
		set_fatal(im, PV_ERR_INPUT, "the file is empty: no header row");
	if (im->cur) {
		if (im->cur->nrows)
			hand_over(im, im->cur);
		else {
			pthread_mutex_lock(&im->mu); /* give the unused slot back */
			im->next_fill--;
			pthread_mutex_unlock(&im->mu);
		}
		im->cur = NULL;
	}
	pv_wipe(buf, READ_CHUNK); /* the last chunk read: customers' values in clear */
	free(buf);
}

/* Duplicate detection rides on the sorted stream: equal (field, hash) entries arrive
 * together, so a group of new customers sharing a resident ID number or phone is seen
 * at once; customers already in the vault are found with one index probe per group. */
#define GROUP_MAX 64

struct dup_scan {
	struct importer *im;
	int field;
	uint8_t h[PV_BLIND_BYTES];
	int64_t rids[GROUP_MAX];
	size_t n;
	uint64_t total;  /* entries in the group, beyond GROUP_MAX too */
	uint32_t since_clock; /* entries since the chunk's time was last looked at */
};

/* The schema field with stored number num, or -1. */
static int field_of_num(const pv_vault *v, int num)
{
	for (size_t i = 0; i < v->schema->nfields; i++)
		if (v->field_nums[i] == num)
			return (int)i;
	return -1;
}

static int is_duplicate_key(const pv_vault *v, int num)
{
	int i = field_of_num(v, num);
	return i >= 0 && (v->schema->fields[i].type == PV_T_RESIDENT_ID ||
			  v->schema->fields[i].type == PV_T_PHONE);
}

static int record_dup_group(pv_import_result *r, const char *field, const char *ids)
{
	r->dup_groups_total++;
	if (r->ndups >= DUP_IDS_MAX)
		return 0;
	if (r->ndups == r->capdups) {
		size_t cap = r->capdups ? 2 * r->capdups : 16;
		char **f = realloc(r->dup_field, cap * sizeof *f);
		if (!f)
			return -1;
		r->dup_field = f;
		char **i = realloc(r->dup_ids, cap * sizeof *i);
		if (!i)
			return -1;
		r->dup_ids = i;
		r->capdups = cap;
	}
	r->dup_field[r->ndups] = strdup(field);
	r->dup_ids[r->ndups] = strdup(ids);
	if (!r->dup_field[r->ndups] || !r->dup_ids[r->ndups]) {
		free(r->dup_field[r->ndups]);
		free(r->dup_ids[r->ndups]);
		return -1;
	}
	r->ndups++;
	return 0;
}

/* Customer rid of a duplicate group, appended to ids: 1, or 0 when a breach incident
 * sealed it (no read shows it: left out, and counted for the summary, with its incident);
 * -1 on failure. */
static int group_member(struct importer *im, int64_t rid, char **ids)
{
	char id[ID_MAX_LEN + 1], incident[sizeof im->res->sealed_incident];
	if (pv_store_customer_id(im->v->store, rid, id, sizeof id) != 0)
		return -1;
	if (!pv_seal_incident_of(im->v, id, incident, sizeof incident))
		return list_append(ids, ",", id) == 0 ? 1 : -1;
	char *by = im->res->sealed_incident;
	if (!*by || strcmp(by, incident) == 0)
		snprintf(by, sizeof im->res->sealed_incident, "%s", incident);
	else
		snprintf(by, sizeof im->res->sealed_incident, "several incidents");
	return pv_idset_add(&im->sealed, id) == 0 ? 0 : -1;
}

/* Close the current group: report it when it holds two or more customers a read would
 * show (those sealed by a breach incident left out). */
static int dup_flush(struct dup_scan *d)
{
	struct importer *im = d->im;
	pv_vault *v = im->v;
	if (d->total == 0 || !is_duplicate_key(v, d->field))
		return 0;
	int64_t old[GROUP_MAX];
	size_t nold = 0;
	if (im->first_rid > 1 &&
	    pv_store_index_rids_below(v->store, d->field, d->h, im->first_rid, old, GROUP_MAX,
				      &nold) != 0)
		return -1;
	if (d->total + nold < 2)
		return 0;
	char *ids = NULL;
	size_t shown = 0;
	for (size_t k = 0; k < nold + d->n; k++) {
		int st = group_member(im, k < nold ? old[k] : d->rids[k - nold], &ids);
		if (st < 0) {
			free(ids);
			return -1;
		}
		shown += (size_t)st;
	}
	if (shown + (d->total - d->n) < 2) { /* the others were sealed: no group to show */
		free(ids);
		return 0;
	}
	if (d->total > d->n && list_append(&ids, ",", "...") != 0) {
		free(ids);
		return -1;
	}
	int rc = record_dup_group(im->res, v->schema->fields[field_of_num(v, d->field)].name, ids);
	free(ids);
	return rc;
}

static int add_sorted_entry(void *ctx, int field, const uint8_t *h, int64_t rid)
{
	struct dup_scan *d = ctx;
	if (d->total == 0 || field != d->field || memcmp(h, d->h, PV_BLIND_BYTES) != 0) {
		if (dup_flush(d) != 0)
			return -1;
		d->field = field;
		memcpy(d->h, h, PV_BLIND_BYTES);
		d->n = d->total = 0;
	}
	if (d->n < GROUP_MAX)
		d->rids[d->n++] = rid;
	d->total++;
	/* the clock read every 1024 entries, not for each (millions: it was a twentieth of
	 * this step's time) */
	if (++d->since_clock == 1024) {
		d->since_clock = 0;
		if (elapsed(&d->im->chunk_t0) >= CHUNK_SECONDS && /* the row so far, then commit */
		    (pv_store_index_flush(d->im->v->store) != 0 || maybe_next_chunk(d->im) != 0))
			return -1;
	}
	return pv_store_index_add_sorted(d->im->v->store, field, h, rid);
}

/* Add the sorted index entries, reporting duplicate resident IDs and phones. */
static pv_rc finish_index(struct importer *im)
{
	pv_vault *v = im->v;
	struct dup_scan d = { .im = im };
	if (pv_index_sorter_finish(im->sorter, add_sorted_entry, &d) != 0 || dup_flush(&d) != 0 ||
	    pv_store_index_flush(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "cannot write the blind index: %s",
			       pv_store_errmsg(v->store));
	pv_idset_sort(&im->sealed); /* each sealed customer once */
	im->res->sealed_left_out = im->sealed.n;
	return PV_OK;
}

static unsigned default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > MAX_WORKERS ? MAX_WORKERS : (unsigned)n;
}

static void importer_free(struct importer *im)
{
	for (size_t i = 0; im->slots && i < im->nslots; i++) {
		struct batch *b = &im->slots[i];
		for (size_t r = 0; r < BATCH_ROWS; r++)
			pv_sealed_free(&b->sealed[r]);
		free(b->fstart);
		free(b->flen);
		wiping_free(b->raw);
		free(b->consent);
		free(b->errs);
		free(b->reject);
	}
	free(im->slots);
	pv_index_sorter_free(im->sorter);
	free(im->first_ids);
	pv_idset_free(&im->sealed);
	free(im->indexed_nums);
	for (size_t c = 0; c < im->ncols; c++)
		free(im->colname[c]);
	free(im->colname);
	free(im->col);
	if (im->csv.entry_buf)
		pv_wipe(im->csv.entry_buf, im->csv.entry_size);
	csv_free(&im->csv);
}

/* Run the pipeline over fd inside the open transaction. */
static pv_rc run_pipeline(struct importer *im, int fd, unsigned nworkers)
{
	pthread_t workers[MAX_WORKERS], writer;
	unsigned started = 0;
	int writer_started = pthread_create(&writer, NULL, writer_main, im) == 0;
	for (unsigned i = 0; writer_started && i < nworkers; i++)
		if (pthread_create(&workers[i], NULL, worker_main, im) == 0)
			started++;
	if (!writer_started || started == 0) {
		pthread_mutex_lock(&im->mu);
		im->stop = 1;
		pthread_cond_broadcast(&im->cv);
		pthread_mutex_unlock(&im->mu);
		set_fatal(im, PV_ERR_NOMEM, "cannot start import threads");
	} else {
		parse_file(im, fd);
	}
	pthread_mutex_lock(&im->mu);
	im->eof = 1;
	if (im->fatal)
		im->stop = 1;
	pthread_cond_broadcast(&im->cv);
	pthread_mutex_unlock(&im->mu);
	for (unsigned i = 0; i < started; i++)
		pthread_join(workers[i], NULL);
	if (writer_started)
		pthread_join(writer, NULL);
	if (im->fatal)
		return pv_fail(im->v, im->fatal, "%s", im->fatal_msg);
	return im->write_rc;
}

pv_rc pv_import_csv(pv_vault *v, const pv_access *who, const char *path,
		    const pv_import_opts *opts, pv_import_result **out)
{
	if (out)
		*out = NULL;
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_IMPORT, &role);
	if (rc)
		return pv_audit_failure(v, rc, "import", NULL, who ? who->purpose : NULL);
	int fd = strcmp(path, "-") == 0 ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pv_fail(v, PV_ERR_IO, "cannot open %s: %s", path, strerror(errno));
	struct stat st;
	uint64_t total = 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		total = (uint64_t)st.st_size;
	static const struct pv_import_hook plain = { "import", NULL, NULL };
	rc = pv_import_fd(v, who, fd, total, opts, &plain, out);
	close(fd);
	return rc;
}

/* pv_import_csv_fd's check, before the commit, that the input was whole. */
struct whole_check {
	int (*whole)(void *ctx);
	void *ctx;
};

static pv_rc input_was_whole(void *ctx, pv_vault *v, const pv_import_result *r)
{
	(void)r;
	struct whole_check *w = ctx;
	if (w->whole && !w->whole(w->ctx))
		return pv_fail(v, PV_ERR_INPUT, "the input stopped before its end (the sender "
			       "broke off): nothing is imported");
	return PV_OK;
}

pv_rc pv_import_csv_fd(pv_vault *v, const pv_access *who, int fd, int (*whole)(void *ctx),
		       void *whole_ctx, const pv_import_opts *opts, pv_import_result **out)
{
	struct whole_check w = { whole, whole_ctx };
	const struct pv_import_hook hook = { "import", input_was_whole, &w };
	return pv_import_fd(v, who, fd, 0, opts, &hook, out);
}

/* The importer's buffers, parser and reject file, before any lock is taken. */
static pv_rc importer_setup(struct importer *im, unsigned nworkers)
{
	pv_vault *v = im->v;
	pv_rc rc = PV_OK;
	im->nslots = 2 * nworkers + 2;
	im->slots = calloc(im->nslots, sizeof *im->slots);
	size_t nc = v->schema->nconsents;
	for (size_t i = 0; im->slots && i < im->nslots; i++)
		if (!(im->slots[i].consent = malloc(BATCH_ROWS * nc + 1)))
			rc = PV_ERR_NOMEM;
	im->sorter = pv_index_sorter_new(v->dir, SORT_ENTRIES);
	im->indexed_nums = calloc(v->schema->nfields + 1, sizeof *im->indexed_nums);
	for (size_t i = 0; im->indexed_nums && i < v->schema->nfields; i++)
		if (v->schema->fields[i].indexed)
			im->indexed_nums[im->nindexed++] = v->field_nums[i];
	if (!im->slots || !im->sorter || !im->indexed_nums || rc ||
	    csv_init(&im->csv, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL) != 0)
		rc = pv_fail(v, PV_ERR_NOMEM, "out of memory");
	csv_set_realloc_func(&im->csv, wiping_realloc);
	csv_set_free_func(&im->csv, wiping_free);
	im->line = 1;
	if (!rc && im->o->reject_path) {
		int rfd = -1;
		rc = pv_file_create_for(v, im->o->reject_path, "the reject file", &rfd);
		if (!rc && !(im->reject = fdopen(rfd, "w"))) {
			close(rfd);
			rc = pv_fail(v, PV_ERR_IO, "cannot create the reject file %s: %s",
				     im->o->reject_path, strerror(errno));
		}
	}
	return rc;
}

/* The import's first transaction: the writer lock, the keys as they are now, and the
 * import marked under way (what an unfinished one left removed first). */
static pv_rc import_begin(struct importer *im, const struct pv_import_hook *hook,
			  const pv_access *who)
{
	pv_vault *v = im->v;
	if (pv_store_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	pv_rc rc = pv_vault_fresh_keys(v); /* the writer lock is ours now */
	if (!rc)
		rc = pv_import_chunks_begin(v, hook->audit_op, who->purpose, im->bytes_total,
					    &im->rid_from);
	if (rc)
		(void)pv_store_rollback(v->store);
	return rc;
}

/* After every row is stored: the index, the import shown, the caller's check, the audit
 * entry, all in the last transaction, which commits them together or nothing. */
static pv_rc import_finish(struct importer *im, const struct pv_import_hook *hook,
			   const pv_access *who)
{
	pv_vault *v = im->v;
	pv_rc rc = PV_OK;
	if (im->failed && !im->reject)
		rc = pv_fail(v, PV_ERR_INPUT, "%llu bad row%s: nothing imported",
			     (unsigned long long)im->res->rejected, im->res->rejected == 1 ? "" : "s");
	if (!rc)
		rc = finish_index(im);
	if (!rc) /* what the commit will keep, for the caller's check; 0 again on failure */
		im->res->imported = im->stored;
	if (!rc && pv_store_import_done(v->store) != 0) /* shown at the commit */
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (!rc && hook->before_commit)
		rc = hook->before_commit(hook->ctx, v, im->res);
	if (!rc) { /* the entry commits with the data, or neither does */
		char detail[256];
		int at = snprintf(detail, sizeof detail, "%llu imported (first %s, last %s), %llu "
				  "rejected", (unsigned long long)im->res->imported, im->first_id,
				  im->last_id, (unsigned long long)im->res->rejected);
		if (im->res->sealed_left_out && at > 0 && (size_t)at < sizeof detail)
			snprintf(detail + at, sizeof detail - (size_t)at, "; %llu sealed customer%s "
				 "left out of the duplicates (%s)",
				 (unsigned long long)im->res->sealed_left_out,
				 im->res->sealed_left_out == 1 ? "" : "s", im->res->sealed_incident);
		struct pv_audit_event e = { hook->audit_op, im->first_ids, who->purpose, NULL, "ok",
					    detail };
		rc = pv_audit_append(v, &e);
	}
	if (!rc && pv_store_commit(v->store) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return rc;
}

/* The pipeline and the last transaction, inside the import's first; on failure the open
 * transaction is rolled back and the chunks committed are removed. */
static pv_rc import_rows(struct importer *im, int fd, unsigned nworkers,
			 const struct pv_import_hook *hook, const pv_access *who)
{
	pv_vault *v = im->v;
	clock_gettime(CLOCK_MONOTONIC, &im->chunk_t0);
	pthread_mutex_init(&im->mu, NULL);
	pthread_cond_init(&im->cv, NULL);
	pv_rc rc = run_pipeline(im, fd, nworkers);
	pthread_cond_destroy(&im->cv);
	pthread_mutex_destroy(&im->mu);
	if (!rc)
		rc = import_finish(im, hook, who);
	if (rc) {
		(void)pv_store_rollback(v->store);
		if (pv_store_txn_id(v->store) == 0) /* not inside a caller's transaction */
			pv_import_chunks_abandon(v);
		im->res->imported = 0; /* nothing kept, whatever was stored on the way */
		rc = pv_audit_failure(v, rc, hook->audit_op, NULL, who->purpose);
	}
	return rc;
}

pv_rc pv_import_fd(pv_vault *v, const pv_access *who, int fd, uint64_t bytes_total,
		   const pv_import_opts *opts, const struct pv_import_hook *hook,
		   pv_import_result **out)
{
	static const pv_import_opts no_opts;
	if (out)
		*out = NULL;
	const pv_import_opts *o = opts ? opts : &no_opts;
	struct importer im = { .v = v, .o = o, .bytes_total = bytes_total };
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_IMPORT, &im.role);
	if (rc)
		return pv_audit_failure(v, rc, hook->audit_op, NULL, who ? who->purpose : NULL);
	if (!(im.res = result_new()))
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	clock_gettime(CLOCK_MONOTONIC, &im.t0);
	im.last_progress = im.t0;
	unsigned nworkers = o->threads ? o->threads : default_threads();
	if (nworkers > MAX_WORKERS)
		nworkers = MAX_WORKERS;
	rc = importer_setup(&im, nworkers);
	if (!rc)
		rc = pv_import_lock(v);
	if (!rc && (rc = import_begin(&im, hook, who)) == PV_OK)
		rc = import_rows(&im, fd, nworkers, hook, who);
	pv_import_unlock(v);
	if (im.reject && fclose(im.reject) != 0 && !rc)
		rc = pv_fail(v, PV_ERR_IO, "cannot write the reject file %s", o->reject_path);
	im.res->seconds = elapsed(&im.t0);
	maybe_progress(&im, 1);
	importer_free(&im);
	if (out)
		*out = im.res;
	else
		pv_import_free(im.res);
	return rc ? rc : pv_ok(v);
}
