/* SPDX-License-Identifier: Apache-2.0 */
/* handover_import.c: the receiving side of a handover. One thread opens the package (age,
 * then tar), checks every member against the manifest as it streams by (record hashes
 * against the checklist, the Merkle root, the counts, the SHA-256 of each member, the
 * minisign signature) and feeds the records as CSV to the ordinary import pipeline,
 * which stores them under this vault's own keys and schema (fields mapped by name)
 * inside one transaction. The transaction commits only if the whole package verified;
 * then the vault signs a receipt naming the package's root hash and counts. A package
 * killed half-way leaves nothing behind: the transaction never committed. */
#include "handover.h"

#include "formats/age.h"
#include "audit.h"
#include "formats/buf.h"
#include "dates.h"
#include "import.h"
#include "formats/merkle.h"
#include "formats/minisign.h"
#include "pinned_key.h"
#include "signed_json.h"
#include "formats/tar.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_COLUMNS 1024

struct reader {
	/* input */
	int pkg_fd, sock;
	pv_age_reader *age;
	struct pv_tar_reader *tar;
	const char *recipient_id_column;
	int archive_expected;	  /* the caller imports a decommission archive */
	int have_pinned;
	uint8_t pinned_pk[32];
	/* what has been seen */
	json_t *files;		  /* member name -> SHA-256 (hex) */
	json_t *columns;	  /* columns.json */
	size_t ncols;
	const char *colname[MAX_COLUMNS];
	const char *colcat[MAX_COLUMNS], *colsens[MAX_COLUMNS]; /* NULL: id or consent */
	uint64_t colcount[MAX_COLUMNS]; /* non-empty values seen per column */
	json_t *by_cat, *by_sens;	/* the counts folded by category and sensitivity */
	struct pv_merkle_stream merkle;
	uint64_t records;
	unsigned next_records;	  /* number of the next records member expected */
	unsigned awaiting;	  /* records member whose checklist comes next (0: none) */
	struct pv_buf chunk_ids;  /* "<id>\t<hash>\n" of that records member */
	struct pv_buf csv;
	struct pv_buf key, value; /* the member being read */
	uint8_t sender_pk[32], sender_id[PV_MINISIGN_KEYID];
	int have_sender;
	char *manifest, *signature;
	size_t manifest_len, signature_len;
	/* verdict */
	int failed;
	int import_gone; /* failed because the import stopped reading: its reason stands */
	pv_rc rc;
	char err[600];
	json_t *manifest_doc;
	char root_hex[65], manifest_hex[65];
};

static void fail(struct reader *r, pv_rc rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fail(struct reader *r, pv_rc rc, const char *fmt, ...)
{
	if (r->failed)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof r->err, fmt, ap);
	va_end(ap);
	r->failed = 1;
	r->rc = rc;
}

static long age_in(void *ctx, void *buf, size_t len)
{
	return pv_age_read(((struct reader *)ctx)->age, buf, len);
}

#define CSV_SEND_BYTES (64 * 1024) /* rows sent on while a member is still being read */

/* Send the CSV built so far to the import pipeline. */
static int send_csv(struct reader *r)
{
	size_t off = 0;
	while (off < r->csv.len) {
		ssize_t n = send(r->sock, r->csv.p + off, r->csv.len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r->import_gone = !r->failed;
			fail(r, PV_ERR_INPUT, "the import stopped before the package was read");
			return -1;
		}
		off += (size_t)n;
	}
	pv_buf_clear(&r->csv);
	return 0;
}

/* columns.json: the keys of every record line, and the CSV header they become. */
static int take_columns(struct reader *r, const char *text, size_t len)
{
	json_error_t je;
	r->columns = json_loadb(text, len, 0, &je);
	json_t *fields = json_object_get(r->columns, "fields");
	json_t *consents = json_object_get(r->columns, "consents");
	const char *id = json_string_value(json_object_get(r->columns, "id_column"));
	if (!id || !json_is_array(fields) || !json_is_array(consents) ||
	    json_array_size(fields) + json_array_size(consents) + 1 > MAX_COLUMNS) {
		fail(r, PV_ERR_CORRUPT, "columns.json is malformed");
		return -1;
	}
	r->colname[r->ncols++] = id;
	size_t i;
	json_t *f;
	json_array_foreach(fields, i, f) {
		const char *name = json_string_value(json_object_get(f, "name"));
		r->colcat[r->ncols] = json_string_value(json_object_get(f, "category"));
		r->colsens[r->ncols] = json_string_value(json_object_get(f, "sensitivity"));
		if (!name || !r->colcat[r->ncols] || !r->colsens[r->ncols]) {
			fail(r, PV_ERR_CORRUPT, "columns.json: field %zu is malformed", i + 1);
			return -1;
		}
		r->colname[r->ncols++] = name;
	}
	json_array_foreach(consents, i, f) {
		if (!(r->colname[r->ncols++] = json_string_value(json_object_get(f, "column")))) {
			fail(r, PV_ERR_CORRUPT, "columns.json: consent %zu is malformed", i + 1);
			return -1;
		}
	}
	/* the header: this vault's id column, then the sender's names, mapped by name */
	pv_buf_csv(&r->csv, r->recipient_id_column);
	for (size_t c = 1; c < r->ncols; c++) {
		pv_buf_str(&r->csv, ",");
		pv_buf_csv(&r->csv, r->colname[c]);
	}
	pv_buf_str(&r->csv, "\r\n");
	return send_csv(r);
}

static void add_count(json_t *obj, const char *key, uint64_t n)
{
	json_t *was = json_object_get(obj, key);
	json_object_set_new(obj, key, json_integer((was ? json_integer_value(was) : 0) +
						   (json_int_t)n));
}

/* The per-column counts, folded by category and by sensitivity (as the manifest has
 * them: every category and sensitivity of a moving field, zero or not). */
static void fold_counts(struct reader *r)
{
	for (size_t c = 0; c < r->ncols; c++)
		if (r->colcat[c]) {
			add_count(r->by_cat, r->colcat[c], r->colcount[c]);
			add_count(r->by_sens, r->colsens[c], r->colcount[c]);
		}
}

/* Append the UTF-8 of code point cp to b. */
static void put_utf8(struct pv_buf *b, unsigned long cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp, n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), u[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
	}
	pv_buf_add(b, u, n);
}

static long hex4(const char *p, const char *end)
{
	if (end - p < 4)
		return -1;
	char h[5] = { p[0], p[1], p[2], p[3], 0 }, *e;
	long v = strtol(h, &e, 16);
	return *e || h[0] == '-' || h[0] == '+' || h[0] == ' ' ? -1 : v;
}

/* The JSON string at *p (its opening quote) unescaped into out (cleared first); *p moves
 * past the closing quote. 0, or -1 when it is not a well-formed string. Parsed here, not
 * with jansson, so that values pass only through buffers that are wiped. */
static int json_string_at(const char **p, const char *end, struct pv_buf *out)
{
	const char *s = *p;
	pv_buf_clear(out);
	if (s >= end || *s++ != '"')
		return -1;
	while (s < end && *s != '"') {
		const char *run = s;
		while (s < end && *s != '"' && *s != '\\' && (unsigned char)*s >= 0x20)
			s++;
		pv_buf_add(out, run, (size_t)(s - run));
		if (s >= end || *s == '"')
			break;
		if (*s != '\\' || ++s >= end)
			return -1; /* a raw control character, or a lone backslash at the end */
		char c = *s++;
		const char *simple = strchr("\"\\/bfnrt", c);
		if (c && simple) {
			static const char to[] = "\"\\/\b\f\n\r\t";
			pv_buf_add(out, &to[simple - "\"\\/bfnrt"], 1);
			continue;
		}
		long cp = c == 'u' ? hex4(s, end) : -1;
		if (cp < 0)
			return -1;
		s += 4;
		if (cp >= 0xd800 && cp < 0xdc00) { /* a surrogate pair */
			long lo = end - s >= 6 && s[0] == '\\' && s[1] == 'u' ? hex4(s + 2, end) : -1;
			if (lo < 0xdc00 || lo > 0xdfff)
				return -1;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			s += 6;
		} else if (cp >= 0xdc00 && cp < 0xe000) {
			return -1;
		}
		put_utf8(out, (unsigned long)cp);
	}
	if (s >= end)
		return -1;
	*p = s + 1;
	return out->oom ? -1 : 0;
}

/* A string with an escaped NUL character (\u0000) in it: its C string, which the CSV row
 * and the name comparison read, would end there and differ from the line hashed. */
static int holds_nul(struct reader *r, const struct pv_buf *s, const char *member,
		     size_t lineno, const char *column)
{
	if (!memchr(s->p, '\0', s->len))
		return 0;
	if (column)
		fail(r, PV_ERR_CORRUPT, "%s line %zu: %s holds a NUL character", member, lineno,
		     column);
	else
		fail(r, PV_ERR_CORRUPT, "%s line %zu: a column name holds a NUL character", member,
		     lineno);
	return 1;
}

/* One record line: read its members (the columns of columns.json, in that order, every
 * value a string without NUL characters) into a CSV row, and its id into ids. */
static int take_record(struct reader *r, const char *line, size_t len, const char *member,
		       size_t lineno, struct pv_buf *ids)
{
	const char *p = line, *end = line + len;
	int ok = p < end && *p++ == '{';
	for (size_t c = 0; ok && c < r->ncols; c++) {
		ok = (c == 0 || (p < end && *p++ == ',')) && json_string_at(&p, end, &r->key) == 0;
		if (ok && holds_nul(r, &r->key, member, lineno, NULL))
			return -1;
		ok = ok && strcmp(r->key.p, r->colname[c]) == 0 && p < end && *p++ == ':' &&
		     json_string_at(&p, end, &r->value) == 0;
		if (ok && holds_nul(r, &r->value, member, lineno, r->colname[c]))
			return -1;
		if (!ok)
			break;
		if (c)
			pv_buf_str(&r->csv, ",");
		else
			pv_buf_add(ids, r->value.p, r->value.len + 1); /* NUL-separated */
		pv_buf_csv(&r->csv, r->value.p);
		r->colcount[c] += r->value.len != 0;
	}
	if (!ok || p + 1 != end || *p != '}') {
		fail(r, PV_ERR_CORRUPT, "%s line %zu: not a record with the columns of columns.json "
		     "in order", member, lineno);
		return -1;
	}
	pv_buf_str(&r->csv, "\r\n");
	r->records++;
	return 0;
}

/* The SHA-256 of every line of a records member, computed on a second thread while the
 * lines are parsed. */
struct line_hashes {
	const char *data;
	size_t len, n;
	uint8_t (*h)[32];
};

static void *hash_lines(void *arg)
{
	struct line_hashes *lh = arg;
	lh->n = 0;
	for (size_t off = 0; off < lh->len;) {
		const char *nl = memchr(lh->data + off, '\n', lh->len - off);
		if (!nl)
			break;
		pv_sha256(lh->h[lh->n++], lh->data + off, (size_t)(nl - lh->data - off), NULL, 0,
			  NULL, 0);
		off = (size_t)(nl - lh->data) + 1;
	}
	return NULL;
}

/* Each record's hash into the Merkle tree and, with its id, into the checklist to
 * compare with the member that follows. */
static int add_hashes(struct reader *r, const struct line_hashes *lh, const struct pv_buf *ids)
{
	const char *id = ids->p;
	for (size_t i = 0; i < lh->n; i++, id += strlen(id) + 1) {
		uint8_t leaf[PV_MERKLE_HASH];
		char hex[65];
		pv_merkle_leaf_hash(lh->h[i], 32, leaf);
		if (pv_merkle_stream_push(&r->merkle, leaf) != 0) {
			fail(r, PV_ERR_CORRUPT, "too many records");
			return -1;
		}
		pv_hex(hex, lh->h[i], 32);
		pv_buf_str(&r->chunk_ids, id);
		pv_buf_str(&r->chunk_ids, "\t");
		pv_buf_str(&r->chunk_ids, hex);
		pv_buf_str(&r->chunk_ids, "\n");
	}
	return 0;
}

static int take_records(struct reader *r, const char *name, unsigned n, const char *data,
			size_t len)
{
	if (n != r->next_records || r->awaiting || !r->columns) {
		fail(r, PV_ERR_CORRUPT, "%s is out of order", name);
		return -1;
	}
	r->next_records++;
	r->awaiting = n;
	pv_buf_clear(&r->chunk_ids);
	size_t lines = 0;
	for (const char *p = data; (p = memchr(p, '\n', (size_t)(data + len - p))); p++)
		lines++;
	struct line_hashes lh = { data, len, 0, malloc((lines + 1) * 32) };
	struct pv_buf ids = { 0 };
	pthread_t t;
	int threaded = lh.h && pthread_create(&t, NULL, hash_lines, &lh) == 0;
	int st = lh.h ? 0 : (fail(r, PV_ERR_NOMEM, "out of memory"), -1);
	size_t lineno = 0;
	for (size_t off = 0; !st && off < len;) {
		const char *nl = memchr(data + off, '\n', len - off);
		if (!nl) {
			fail(r, PV_ERR_CORRUPT, "%s: the last line is not ended", name);
			st = -1;
			break;
		}
		st = take_record(r, data + off, (size_t)(nl - data - off), name, ++lineno, &ids);
		off = (size_t)(nl - data) + 1;
		/* rows go on as they are made, so the import works while this member is read */
		if (!st && r->csv.len >= CSV_SEND_BYTES)
			st = send_csv(r);
	}
	if (threaded)
		pthread_join(t, NULL);
	else if (lh.h)
		hash_lines(&lh);
	if (!st && ids.oom) {
		fail(r, PV_ERR_NOMEM, "out of memory");
		st = -1;
	}
	if (!st)
		st = add_hashes(r, &lh, &ids);
	free(lh.h);
	pv_buf_free(&ids);
	if (!st && (r->csv.oom || r->chunk_ids.oom)) {
		fail(r, PV_ERR_NOMEM, "out of memory");
		st = -1;
	}
	return st ? st : send_csv(r);
}

/* The checklist of the records member just read must list exactly its records. */
static int take_checklist(struct reader *r, const char *name, unsigned n, const char *data,
			  size_t len)
{
	if (n != r->awaiting) {
		fail(r, PV_ERR_CORRUPT, "%s does not follow records/%06u.jsonl", name, n);
		return -1;
	}
	r->awaiting = 0;
	const char *a = r->chunk_ids.p ? r->chunk_ids.p : "", *b = data;
	size_t alen = r->chunk_ids.len, line = 1;
	while (alen && len) {
		const char *ea = memchr(a, '\n', alen), *eb = memchr(b, '\n', len);
		size_t la = (size_t)(ea - a) + 1, lb = eb ? (size_t)(eb - b) + 1 : len;
		if (la != lb || memcmp(a, b, la) != 0) {
			fail(r, PV_ERR_CORRUPT, "record %zu of records/%06u.jsonl (customer %.*s) "
			     "does not match %s: changed, added or removed", line, n,
			     (int)strcspn(a, "\t"), a, name);
			return -1;
		}
		a += la, alen -= la, b += lb, len -= lb, line++;
	}
	if (alen || len) {
		fail(r, PV_ERR_CORRUPT, "records/%06u.jsonl and %s differ in length from record "
		     "%zu: a record was added or removed", n, name, line);
		return -1;
	}
	return 0;
}

/* plan.json: a transfer's plan, or a decommission archive's, as the caller expects. */
static int take_plan(struct reader *r, const char *text, size_t len)
{
	json_error_t je;
	json_t *plan = json_loadb(text, len, 0, &je);
	const char *type = json_string_value(json_object_get(plan, "type"));
	int archive = type && strcmp(type, "pivault decommission archive") == 0;
	json_decref(plan);
	if (archive != r->archive_expected) {
		fail(r, PV_ERR_USAGE, archive ? "this is a decommission archive, for its keeper: "
						"import it as an archive (--archive)"
					      : "this is a transfer package, not a decommission "
						"archive");
		return -1;
	}
	return 0;
}

/* 1 if name is dir/NNNNNN.ext, with the number in *n. */
static int numbered(const char *name, const char *dir, const char *ext, unsigned *n)
{
	size_t d = strlen(dir);
	if (strncmp(name, dir, d) != 0 || name[d] != '/')
		return 0;
	const char *p = name + d + 1;
	for (int i = 0; i < 6; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	if (p[6] != '.' || strcmp(p + 7, ext) != 0)
		return 0;
	*n = (unsigned)strtoul(p, NULL, 10);
	return *n > 0;
}

static char *dup_bytes(const char *p, size_t n)
{
	char *s = malloc(n + 1);
	if (s) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

static int take_content(struct reader *r, const char *name, const char *data, size_t len);

/* One member read whole: its hash for the manifest's list, and its content. A records
 * member is not listed: each of its lines is checked against its checklist, which is. */
static int take_member(struct reader *r, const char *name, const char *data, size_t len)
{
	unsigned n;
	int listed = strcmp(name, "manifest.json") != 0 &&
		     strcmp(name, "manifest.json.minisig") != 0 &&
		     !numbered(name, "records", "jsonl", &n);
	if (listed && json_object_get(r->files, name)) {
		fail(r, PV_ERR_CORRUPT, "member %s appears twice", name);
		return -1;
	}
	if (listed) {
		uint8_t h[32];
		char hex[65];
		pv_sha256(h, data, len, NULL, 0, NULL, 0);
		pv_hex(hex, h, sizeof h);
		json_object_set_new(r->files, name, json_string(hex));
	}
	return take_content(r, name, data, len);
}

/* What a member holds, by its name. */
static int take_content(struct reader *r, const char *name, const char *data, size_t len)
{
	unsigned n;
	if (r->manifest && r->signature) {
		fail(r, PV_ERR_CORRUPT, "member %s follows the signature", name);
		return -1;
	}
	if (strcmp(name, "sender.pub") == 0) {
		char why[200];
		if (pv_minisign_parse_public_key(data, len, r->sender_pk, r->sender_id, why,
						 sizeof why) != 0) {
			fail(r, PV_ERR_CORRUPT, "sender.pub: %s", why);
			return -1;
		}
		r->have_sender = 1;
		return 0;
	}
	if (strcmp(name, "columns.json") == 0)
		return take_columns(r, data, len);
	if (numbered(name, "records", "jsonl", &n))
		return take_records(r, name, n, data, len);
	if (numbered(name, "checklist", "tsv", &n))
		return take_checklist(r, name, n, data, len);
	if (strcmp(name, "manifest.json") == 0 && !r->manifest) {
		r->manifest_len = len;
		return (r->manifest = dup_bytes(data, len)) ? 0 : (fail(r, PV_ERR_NOMEM, "out of memory"), -1);
	}
	if (strcmp(name, "manifest.json.minisig") == 0 && r->manifest && !r->signature) {
		r->signature_len = len;
		return (r->signature = dup_bytes(data, len)) ? 0 : (fail(r, PV_ERR_NOMEM, "out of memory"), -1);
	}
	if (strcmp(name, "plan.json") == 0)
		return take_plan(r, data, len);
	if (strcmp(name, "README.txt") == 0 ||
	    strcmp(name, "schema.yaml") == 0 || numbered(name, "consents", "jsonl", &n) ||
	    numbered(name, "notices", "jsonl", &n))
		return 0;
	fail(r, PV_ERR_CORRUPT, "unexpected member %.200s in the package", name);
	return -1;
}

/* The names the receipt and the summary repeat: the package id (which fits the
 * summary), the transfer and the sender vault, each a string. */
static int check_manifest_names(struct reader *r, json_t *m)
{
	const char *package = json_string_value(json_object_get(m, "package"));
	const char *bad = !package || !package[0] ||
				  strlen(package) >= sizeof ((pv_handover_summary *)0)->package_id
				  ? "package"
			  : !json_is_string(json_object_get(m, "transfer")) ? "transfer"
			  : !json_is_string(json_object_get(json_object_get(m, "sender"), "vault"))
				  ? "sender vault"
				  : NULL;
	if (bad)
		fail(r, PV_ERR_CORRUPT, "manifest.json: %s is missing or malformed", bad);
	return bad ? -1 : 0;
}

/* The manifest's counts and hashes against what was read. */
static int check_manifest(struct reader *r)
{
	json_error_t je;
	json_t *m = r->manifest_doc = json_loadb(r->manifest, r->manifest_len, 0, &je);
	const char *type = json_string_value(json_object_get(m, "type"));
	if (!type || strcmp(type, PV_MANIFEST_TYPE) != 0) {
		fail(r, PV_ERR_CORRUPT, "manifest.json is not a pivault handover manifest");
		return -1;
	}
	if (check_manifest_names(r, m) != 0)
		return -1;
	char pkhex[65];
	pv_hex(pkhex, r->sender_pk, 32);
	const char *mpk = json_string_value(json_object_get(json_object_get(m, "sender"),
							     "public_key"));
	if (!mpk || strcmp(mpk, pkhex) != 0) {
		fail(r, PV_ERR_CORRUPT, "the manifest names another sender key than sender.pub");
		return -1;
	}
	uint8_t root[PV_MERKLE_HASH];
	pv_merkle_stream_root(&r->merkle, root);
	pv_hex(r->root_hex, root, sizeof root);
	json_t *records = json_object_get(m, "records");
	if (!json_is_integer(records) || (uint64_t)json_integer_value(records) != r->records) {
		fail(r, PV_ERR_CORRUPT, "the package holds %llu records, the manifest says %lld",
		     (unsigned long long)r->records, (long long)json_integer_value(records));
		return -1;
	}
	const char *mroot = json_string_value(json_object_get(m, "root_hash"));
	if (!mroot || strcmp(mroot, r->root_hex) != 0) {
		fail(r, PV_ERR_CORRUPT, "the records' root hash %s is not the manifest's", r->root_hex);
		return -1;
	}
	if (!json_equal(json_object_get(m, "files"), r->files)) {
		const char *k;
		json_t *val;
		json_object_foreach(r->files, k, val)
			if (!json_equal(json_object_get(json_object_get(m, "files"), k), val)) {
				fail(r, PV_ERR_CORRUPT, "member %s does not match the manifest", k);
				return -1;
			}
		fail(r, PV_ERR_CORRUPT, "a member listed in the manifest is missing");
		return -1;
	}
	json_t *counts = json_object_get(m, "counts");
	fold_counts(r);
	if (!json_equal(json_object_get(counts, "values_by_category"), r->by_cat) ||
	    !json_equal(json_object_get(counts, "values_by_sensitivity"), r->by_sens)) {
		fail(r, PV_ERR_CORRUPT, "the values per category or sensitivity do not add up to "
		     "the manifest's counts");
		return -1;
	}
	uint8_t mh[32];
	pv_sha256(mh, r->manifest, r->manifest_len, NULL, 0, NULL, 0);
	pv_hex(r->manifest_hex, mh, sizeof mh);
	return 0;
}

/* Read the whole package; called on the reading thread. */
static void read_package(struct reader *r)
{
	char name[PV_TAR_NAME_MAX + 1];
	uint64_t size;
	char *buf = malloc(PV_HANDOVER_MEMBER_MAX);
	if (!buf) {
		fail(r, PV_ERR_NOMEM, "out of memory");
		return;
	}
	int st;
	while (!r->failed && (st = pv_tar_next(r->tar, name, &size)) == 1) {
		if (size > PV_HANDOVER_MEMBER_MAX) {
			fail(r, PV_ERR_CORRUPT, "member %s is larger than a package member can be", name);
			break;
		}
		size_t got = 0;
		long n = 1;
		while (got < size && (n = pv_tar_read(r->tar, buf + got, (size_t)size - got)) > 0)
			got += (size_t)n;
		if (got < size)
			break; /* the age or tar layer says why, below */
		(void)take_member(r, name, buf, got);
		pv_wipe(buf, got);
	}
	free(buf);
	if (r->failed)
		return;
	pv_age_status as = pv_age_reader_status(r->age);
	if (as != PV_AGE_OK) {
		fail(r, PV_ERR_CORRUPT, "the package fails to decrypt: %s (a changed or truncated "
		     "file)", pv_age_status_name(as));
		return;
	}
	if (st != 0) {
		fail(r, PV_ERR_CORRUPT, "the archive inside the package is malformed: %s",
		     pv_tar_reader_error(r->tar));
		return;
	}
	char tail[512]; /* nothing but the archive's padding may follow; the end authenticates */
	long n;
	while ((n = pv_age_read(r->age, tail, sizeof tail)) > 0)
		;
	if (n < 0) {
		fail(r, PV_ERR_CORRUPT, "the package fails to decrypt: %s",
		     pv_age_status_name(pv_age_reader_status(r->age)));
		return;
	}
	if (!r->manifest || !r->signature || !r->have_sender || r->awaiting) {
		fail(r, PV_ERR_CORRUPT, "the package is incomplete: %s is missing",
		     !r->have_sender ? "sender.pub" : !r->manifest ? "manifest.json"
			     : !r->signature ? "manifest.json.minisig" : "a checklist");
		return;
	}
	if (r->have_pinned && memcmp(r->pinned_pk, r->sender_pk, 32) != 0) {
		fail(r, PV_ERR_CORRUPT, "the package was signed by another key than the sender's");
		return;
	}
	char why[300];
	if (pv_minisign_verify_id(r->signature, r->signature_len, r->manifest, r->manifest_len,
				  r->sender_pk, r->sender_id, NULL, why, sizeof why) != 0) {
		fail(r, PV_ERR_CORRUPT, "the manifest's signature does not verify: %s", why);
		return;
	}
	(void)check_manifest(r);
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	read_package(r);
	shutdown(r->sock, SHUT_WR); /* the import sees the end only once the verdict is in */
	return NULL;
}

/* ---------------------------------------------------------------- receipt ---- */

struct import_ctx {
	pv_vault *v;
	struct reader *r;
	pthread_t thread;
	int joined;
	char *receipt;
	char first_error[200]; /* the first bad record's column and reason */
};

static void note_row_error(void *ctx, uint64_t line, const char *column, const char *reason)
{
	(void)line; /* a line of the converted stream: meaningless to the user */
	struct import_ctx *c = ctx;
	if (!c->first_error[0])
		snprintf(c->first_error, sizeof c->first_error, "column %s: %s",
			 column ? column : "(whole record)", reason);
}

static void join_reader(struct import_ctx *c)
{
	if (!c->joined) {
		pthread_join(c->thread, NULL);
		c->joined = 1;
	}
}

/* The receipt, signed by this vault. */
static char *make_receipt(pv_vault *v, struct reader *r, uint64_t imported)
{
	json_t *m = r->manifest_doc;
	char pkhex[65], senderhex[65], now[32];
	if (pv_vault_public_key(v, pkhex) != PV_OK)
		return NULL;
	pv_hex(senderhex, r->sender_pk, 32);
	pv_time_now(now, sizeof now);
	json_t *body = json_pack(
		"{s:s, s:i, s:O, s:O, s:s, s:O, s:s, s:s, s:I, s:I, s:O, s:s, s:s, s:s}", "type",
		PV_RECEIPT_TYPE, "version", 1, "package", json_object_get(m, "package"), "transfer",
		json_object_get(m, "transfer"), "sender_public_key", senderhex, "sender_vault",
		json_object_get(json_object_get(m, "sender"), "vault"), "manifest_sha256",
		r->manifest_hex, "root_hash", r->root_hex, "records", (json_int_t)r->records,
		"imported", (json_int_t)imported, "counts", json_object_get(m, "counts"), "received",
		now, "recipient_vault", v->vault_id_hex, "recipient_public_key", pkhex);
	json_t *doc = body ? pv_signed_json(v, "receipt", body) : NULL;
	char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(doc);
	return text;
}

/* A package whose plan pinned the recipient vault's key goes only into that vault (the
 * sender would refuse any other vault's receipt): found out before anything lands. */
static pv_rc meant_for_this_vault(pv_vault *v, json_t *manifest)
{
	json_t *key = json_object_get(json_object_get(manifest, "recipient"), "vault_key");
	uint8_t pk[PV_SIGN_PUBLIC];
	char want[PV_FINGERPRINT_SIZE], mine[PV_FINGERPRINT_SIZE];
	if (!key)
		return PV_OK;
	if (pv_pinned_key_parse(json_string_value(key), pk) != 0)
		return pv_fail(v, PV_ERR_CORRUPT, "package refused, nothing imported: the manifest's "
			       "recipient vault key is malformed");
	if (memcmp(pk, v->keys->sign_public, sizeof pk) == 0)
		return PV_OK;
	pv_fingerprint_of(pk, want);
	pv_fingerprint_of(v->keys->sign_public, mine);
	return pv_fail(v, PV_ERR_USAGE, "package refused, nothing imported: the sender pinned the "
		       "recipient vault key %s, and this vault's key is %s: import it into the vault "
		       "whose `pivault pubkey` gave that key", want, mine);
}

/* Inside the import's transaction: the package must have verified, whole. */
static pv_rc before_commit(void *ctx, pv_vault *v, const pv_import_result *res)
{
	struct import_ctx *c = ctx;
	struct reader *r = c->r;
	join_reader(c);
	if (r->failed)
		return pv_fail(v, r->rc, "package refused, nothing imported: %s", r->err);
	if (pv_import_rows_imported(res) != r->records)
		return pv_fail(v, PV_ERR_INPUT, "package refused, nothing imported: %llu of %llu "
			       "records could be imported",
			       (unsigned long long)pv_import_rows_imported(res),
			       (unsigned long long)r->records);
	pv_rc rc = meant_for_this_vault(v, r->manifest_doc);
	if (rc)
		return rc;
	const char *package = json_string_value(json_object_get(r->manifest_doc, "package"));
	char when[40];
	int got = package ? pv_store_handover_received_get(v->store, package, when, sizeof when) : -1;
	if (got == 0)
		return pv_fail(v, PV_ERR_EXISTS, "package %s was already imported on %s", package,
			       when);
	if (got < 0)
		return pv_fail(v, PV_ERR_STORE, "%s", package ? pv_store_errmsg(v->store)
							      : "the manifest names no package");
	if (!(c->receipt = make_receipt(v, r, pv_import_rows_imported(res))))
		return pv_fail(v, PV_ERR_NOMEM, "cannot make the receipt");
	uint8_t h[32];
	char hex[65], senderhex[65], now[32];
	pv_hash2(h, c->receipt, strlen(c->receipt), NULL, 0);
	pv_hex(hex, h, sizeof h);
	pv_hex(senderhex, r->sender_pk, 32);
	pv_time_now(now, sizeof now);
	if (pv_store_handover_received_put(v->store, package, now, senderhex, r->root_hex,
					   r->records, hex) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return PV_OK;
}

static void reader_free(struct reader *r)
{
	pv_age_reader_free(r->age);
	pv_tar_reader_free(r->tar);
	json_decref(r->files);
	json_decref(r->columns);
	json_decref(r->by_cat);
	json_decref(r->by_sens);
	json_decref(r->manifest_doc);
	pv_buf_free(&r->chunk_ids);
	pv_buf_free(&r->csv);
	pv_buf_free(&r->key);
	pv_buf_free(&r->value);
	free(r->manifest);
	free(r->signature);
}

/* Open the package: the identity, the file, the age header. */
static pv_rc open_package(pv_vault *v, struct reader *r, const char *path,
			  const pv_handover_import_opts *o)
{
	char err[512];
	uint8_t *sk = pv_secret_alloc(PV_AGE_KEY);
	if (!sk)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	if (!o->identity_file || pv_age_read_identity_file(o->identity_file, sk, err, sizeof err)) {
		pv_secret_free(sk);
		return pv_fail(v, PV_ERR_BAD_KEY, "%s", o->identity_file ? err
				       : "a handover import needs the recipient's age identity");
	}
	if (o->sender_key) {
		if (pv_minisign_parse_public_key(o->sender_key, strlen(o->sender_key), r->pinned_pk,
						 NULL, err, sizeof err) != 0) {
			pv_secret_free(sk);
			return pv_fail(v, PV_ERR_USAGE, "the sender key: %s", err);
		}
		r->have_pinned = 1;
	}
	if ((r->pkg_fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		pv_secret_free(sk);
		return pv_fail(v, PV_ERR_IO, "cannot open %s: %s", path, strerror(errno));
	}
	pv_age_status st;
	r->age = pv_age_reader_new((const uint8_t(*)[PV_AGE_KEY])sk, 1, pv_age_fd_read, &r->pkg_fd,
				   &st, err, sizeof err);
	pv_secret_free(sk);
	if (!r->age)
		return pv_fail(v, st == PV_AGE_NO_MATCH ? PV_ERR_BAD_KEY : PV_ERR_CORRUPT,
			       "%s: %s", path, st == PV_AGE_NO_MATCH
				       ? "the package is not encrypted to this identity"
				       : err);
	if (!(r->tar = pv_tar_reader_new(age_in, r)) || !(r->files = json_object()) ||
	    !(r->by_cat = json_object()) || !(r->by_sens = json_object()))
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	return PV_OK;
}

/* After a failed import of a package that verified: say so if it came in before. */
static pv_rc already_imported(pv_vault *v, struct reader *r, pv_rc rc)
{
	const char *package = json_string_value(json_object_get(r->manifest_doc, "package"));
	char when[40];
	if (package && pv_store_handover_received_get(v->store, package, when, sizeof when) == 0)
		return pv_fail(v, PV_ERR_EXISTS, "package %s was already imported on %s; nothing "
			       "imported again", package, when);
	return rc;
}

pv_rc pv_handover_import(pv_vault *v, const pv_access *who, const char *path,
			 const pv_handover_import_opts *o, char **receipt, pv_handover_summary *out)
{
	*receipt = NULL;
	memset(out, 0, sizeof *out);
	static const pv_handover_import_opts none;
	o = o ? o : &none;
	struct reader r = { .pkg_fd = -1, .sock = -1, .next_records = 1,
			    .recipient_id_column = v->schema->id_column,
			    .archive_expected = (o->flags & PV_HANDOVER_ARCHIVE) != 0 };
	pv_merkle_stream_init(&r.merkle);
	pv_rc rc = open_package(v, &r, path, o);
	int sv[2] = { -1, -1 };
	if (!rc && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		rc = pv_fail(v, PV_ERR_IO, "cannot set up the import: %s", strerror(errno));
	if (!rc) { /* room for the rows of a member or so in flight (kernel memory; a hint) */
		int bytes = 2 << 20;
		(void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
		(void)setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
	}
	struct import_ctx c = { .v = v, .r = &r, .joined = 1 };
	if (!rc) {
		r.sock = sv[1];
		if (pthread_create(&c.thread, NULL, reader_main, &r) != 0)
			rc = pv_fail(v, PV_ERR_NOMEM, "cannot start the package reader");
		else
			c.joined = 0;
	}
	pv_import_result *res = NULL;
	if (!rc) {
		struct pv_import_hook hook = { "handover import", before_commit, &c };
		pv_import_opts io = { .flags = (o->flags & PV_HANDOVER_DROP_UNMAPPED ?
						PV_IMPORT_DROP_UNDECLARED : 0) |
					       (o->flags & PV_HANDOVER_ARCHIVE ?
						PV_IMPORT_ALLOW_EMPTY_REQUIRED : 0),
				      .on_error = note_row_error, .ctx = &c };
		rc = pv_import_fd(v, who, sv[0], 0, &io, &hook, &res);
		close(sv[0]); /* a reader still sending sees the import gone */
		sv[0] = -1;
		join_reader(&c);
		/* the package's fault says more than the import's, unless the import stopped
		 * first (a column this vault lacks) and the reader only found it gone */
		if (rc && r.failed && !r.import_gone)
			rc = pv_fail(v, r.rc, "package refused, nothing imported: %s", r.err);
		else if (rc && r.manifest_doc)
			rc = already_imported(v, &r, rc);
		if (rc == PV_ERR_INPUT && c.first_error[0])
			rc = pv_fail(v, rc, "package refused, nothing imported: a record does not "
				     "fit this vault's schema (first: %s)", c.first_error);
	}
	if (!rc) {
		*receipt = c.receipt;
		c.receipt = NULL;
		snprintf(out->package_id, sizeof out->package_id, "%s",
			 json_string_value(json_object_get(r.manifest_doc, "package")));
		snprintf(out->root_hash, sizeof out->root_hash, "%s", r.root_hex);
		out->records = pv_import_rows_imported(res);
		out->seconds = pv_import_seconds(res);
	}
	free(c.receipt);
	pv_import_free(res);
	for (int i = 0; i < 2; i++)
		if (sv[i] >= 0)
			close(sv[i]);
	if (r.pkg_fd >= 0)
		close(r.pkg_fd);
	reader_free(&r);
	return rc ? rc : pv_ok(v);
}
