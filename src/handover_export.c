/* SPDX-License-Identifier: Apache-2.0 */
/* handover_export.c: writes the sealed handover package of a transfer plan (layout in
 * handover.h): every customer the plan hands over, opened and written in clear only
 * inside an age stream to the recipient's key, with the checklist (交接清单) of a hash
 * per record, a Merkle root over them, the consent and notice records, and a manifest
 * signed with the vault key in minisign format. Streaming: a few chunks in memory at any
 * size. The file appears under its name only when complete; the customers it holds are
 * recorded (ids) so that the recipient's receipt can later release them for shredding. */
#include "handover.h"
#include "seal_gate.h"
#include "transfers.h"

#include "formats/age.h"
#include "approvals.h"
#include "audit.h"
#include "formats/buf.h"
#include "dates.h"
#include "files.h"
#include "formats/merkle.h"
#include "formats/minisign.h"
#include "policy.h"
#include "formats/tar.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char readme[] =
	"pivault handover package\n"
	"========================\n\n"
	"This archive was decrypted from an age file; it holds personal information in clear.\n"
	"Keep it only as long as the import takes, on an encrypted disk, then delete it.\n\n"
	"Check it without pivault:\n"
	"  minisign -V -p sender.pub -m manifest.json       (the signed checklist)\n"
	"  then compare the SHA-256 of every other member but records/ with manifest.json\n"
	"  \"files\" (sha256sum), and each record line's SHA-256 with checklist/*.tsv.\n"
	"The sender's key should be compared with one obtained from the sender directly.\n"
	"Import it with: pivault handover import PACKAGE --identity KEYFILE\n";

struct exporter {
	pv_vault *v;
	struct pv_plan *p;
	const struct pv_package_source *src;
	int fd;
	uint64_t bytes;
	pv_age_writer *age;
	struct pv_tar_writer tar;
	struct pv_buf rec, chk, cons, notes, line;
	unsigned rec_n, cons_n, notes_n;
	json_t *files;
	struct pv_merkle_stream merkle;
	uint64_t records, excluded;
	uint64_t *values; /* per field: non-empty values handed over */
	pv_rc rc;
};

static int fd_out(void *ctx, const void *buf, size_t len)
{
	struct exporter *e = ctx;
	if (pv_age_fd_write(&e->fd, buf, len) != 0)
		return -1;
	e->bytes += len;
	return 0;
}

static int tar_out(void *ctx, const void *buf, size_t len)
{
	return pv_age_write(((struct exporter *)ctx)->age, buf, len);
}

/* Add one member, its SHA-256 noted for the manifest; but a records member's lines each
 * have theirs in its checklist, which is listed: hashing the member again adds nothing. */
static int member(struct exporter *e, const char *name, const void *data, size_t len)
{
	if (strncmp(name, "records/", 8) != 0) {
		uint8_t h[32];
		char hex[65];
		pv_sha256(h, data, len, NULL, 0, NULL, 0);
		pv_hex(hex, h, sizeof h);
		json_object_set_new(e->files, name, json_string(hex));
	}
	if (pv_tar_write_file(&e->tar, name, data, len) != 0) {
		e->rc = pv_fail(e->v, PV_ERR_IO, "cannot write the package: %s",
				errno ? strerror(errno) : "write failed");
		return -1;
	}
	return 0;
}

/* Close the current chunk of buffer b as dir/NNNNNN.ext. */
static int flush_chunk(struct exporter *e, struct pv_buf *b, const char *dir, unsigned n,
		       const char *ext)
{
	char name[64];
	snprintf(name, sizeof name, "%s/%06u.%s", dir, n, ext);
	if (b->oom) {
		e->rc = pv_fail(e->v, PV_ERR_NOMEM, "out of memory");
		return -1;
	}
	int st = member(e, name, b->p ? b->p : "", b->len);
	pv_buf_clear(b);
	return st;
}

static int flush_records(struct exporter *e)
{
	if (!e->rec.len)
		return 0;
	e->rec_n++;
	if (flush_chunk(e, &e->rec, "records", e->rec_n, "jsonl") != 0 ||
	    flush_chunk(e, &e->chk, "checklist", e->rec_n, "tsv") != 0)
		return -1;
	return 0;
}

/* After a consent event or notice: close the chunk when it is full. */
static int full(struct exporter *e, struct pv_buf *b, const char *dir, unsigned *n)
{
	if (b->oom) {
		e->rc = pv_fail(e->v, PV_ERR_NOMEM, "out of memory");
		return -1;
	}
	return b->len >= PV_HANDOVER_CHUNK ? flush_chunk(e, b, dir, ++*n, "jsonl") : 0;
}

static int add_consent_event(void *ctx, const struct pv_consent_event_row *r)
{
	struct pv_buf *b = &((struct exporter *)ctx)->cons;
	pv_buf_str(b, "{\"customer\":");
	pv_buf_json(b, r->customer);
	pv_buf_str(b, ",\"purpose\":");
	pv_buf_json(b, r->purpose);
	pv_buf_str(b, r->granted ? ",\"granted\":true,\"at\":" : ",\"granted\":false,\"at\":");
	pv_buf_json(b, r->at);
	pv_buf_str(b, ",\"channel\":");
	pv_buf_json(b, r->channel);
	pv_buf_str(b, ",\"text_version\":");
	pv_buf_json(b, r->text_version);
	pv_buf_str(b, "}\n");
	return full((struct exporter *)ctx, b, "consents", &((struct exporter *)ctx)->cons_n);
}

static int add_notice(void *ctx, int64_t notice, const struct pv_store_notice *n)
{
	(void)notice;
	struct pv_buf *b = &((struct exporter *)ctx)->notes;
	const char *keys[] = { "customer", "kind", "text_version", "channel", "sent", "state",
			       "state_at" };
	const char *vals[] = { n->customer, n->kind, n->text_version, n->channel, n->sent,
			       n->state, n->state_at };
	for (int i = 0; i < 7; i++) {
		pv_buf_str(b, i ? ",\"" : "{\"");
		pv_buf_str(b, keys[i]);
		pv_buf_str(b, "\":");
		pv_buf_json(b, vals[i]);
	}
	pv_buf_str(b, "}\n");
	return full((struct exporter *)ctx, b, "notices", &((struct exporter *)ctx)->notes_n);
}

/* The record's line: the id, every moving field, every consent column. */
static void record_line(struct exporter *e, const struct pv_stored_customer *c, char **values)
{
	const struct pv_schema *s = e->v->schema;
	struct pv_buf *l = &e->line;
	pv_buf_clear(l);
	pv_buf_str(l, "{");
	pv_buf_json(l, s->id_column);
	pv_buf_str(l, ":");
	pv_buf_json(l, c->id);
	for (size_t i = 0; i < s->nfields; i++) {
		if (!e->p->moves[i])
			continue;
		pv_buf_str(l, ",");
		pv_buf_json(l, s->fields[i].name);
		pv_buf_str(l, ":");
		pv_buf_json(l, values[i]);
		if (values[i][0])
			e->values[i]++;
	}
	for (size_t k = 0; k < s->nconsents; k++) {
		const char *purpose = s->purposes[s->consents[k].purpose].name;
		int st = pv_store_consent_state(e->v->store, c->rid, purpose);
		pv_buf_str(l, ",");
		pv_buf_json(l, s->consents[k].column);
		pv_buf_str(l, st == 1 ? ":\"yes\"" : ":\"no\"");
	}
	pv_buf_str(l, "}");
}

static int export_one(void *ctx, const struct pv_stored_customer *c, char **values,
		      const char *excluded)
{
	struct exporter *e = ctx;
	pv_vault *v = e->v;
	if (excluded) {
		e->excluded++;
		return 0;
	}
	if (pv_seal_holds(v, c->id)) { /* frozen by a breach incident: no package is made */
		e->rc = pv_seal_refused(v, c->id);
		return -1;
	}
	record_line(e, c, values);
	uint8_t h[32], leaf[PV_MERKLE_HASH];
	char hex[65];
	pv_sha256(h, e->line.p, e->line.len, NULL, 0, NULL, 0);
	pv_merkle_leaf_hash(h, sizeof h, leaf);
	pv_merkle_stream_push(&e->merkle, leaf);
	pv_hex(hex, h, sizeof h);
	pv_buf_add(&e->rec, e->line.p, e->line.len);
	pv_buf_str(&e->rec, "\n");
	pv_buf_str(&e->chk, c->id);
	pv_buf_str(&e->chk, "\t");
	pv_buf_str(&e->chk, hex);
	pv_buf_str(&e->chk, "\n");
	e->records++;
	if (e->src->record_members &&
	    pv_store_transfer_member_add(v->store, e->p->id, c->id) != 0) {
		e->rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
		return -1;
	}
	if (e->line.oom || e->rec.oom || e->chk.oom) {
		e->rc = pv_fail(v, PV_ERR_NOMEM, "out of memory");
		return -1;
	}
	if (e->rec.len >= PV_HANDOVER_CHUNK && flush_records(e) != 0)
		return -1;
	return 0;
}

/* The consent history and the notices of the customers handed over (recorded in the
 * same transaction while the records were written), each in its own chunks. */
static int history_members(struct exporter *e)
{
	pv_vault *v = e->v;
	if (pv_store_transfer_consent_log_scan(v->store, e->p->id, add_consent_event, e) != 0 ||
	    (e->cons.len && flush_chunk(e, &e->cons, "consents", ++e->cons_n, "jsonl") != 0) ||
	    pv_store_transfer_notice_scan(v->store, e->p->id, add_notice, e) != 0 ||
	    (e->notes.len && flush_chunk(e, &e->notes, "notices", ++e->notes_n, "jsonl") != 0)) {
		if (!e->rc)
			e->rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
		return -1;
	}
	return 0;
}

/* columns.json: what the keys of a record line are. */
static json_t *columns_doc(const pv_vault *v, const struct pv_plan *p)
{
	const struct pv_schema *s = v->schema;
	json_t *fields = json_array(), *consents = json_array();
	for (size_t i = 0; i < s->nfields; i++)
		if (p->moves[i])
			json_array_append_new(
				fields, json_pack("{s:s, s:s, s:s, s:s}", "name", s->fields[i].name,
						  "type", pv_ftype_name(s->fields[i].type), "category",
						  pv_category_name(s->fields[i].category), "sensitivity",
						  pv_sensitivity_name(s->fields[i].sensitivity)));
	for (size_t k = 0; k < s->nconsents; k++)
		json_array_append_new(consents,
				      json_pack("{s:s, s:s}", "column", s->consents[k].column,
						"purpose", s->purposes[s->consents[k].purpose].name));
	return json_pack("{s:s, s:o, s:o}", "id_column", s->id_column, "fields", fields,
			 "consents", consents);
}

static int json_member(struct exporter *e, const char *name, json_t *doc)
{
	char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(doc);
	if (!text) {
		e->rc = pv_fail(e->v, PV_ERR_NOMEM, "out of memory");
		return -1;
	}
	int st = member(e, name, text, strlen(text));
	free(text);
	return st;
}

/* The opening members: README, the sender's key, plan, schema, columns. */
static int head_members(struct exporter *e, const uint8_t pk[32])
{
	char *pub = pv_minisign_public_key_text(pk, "pivault vault public key");
	int st = pub ? member(e, "sender.pub", pub, strlen(pub)) : -1;
	free(pub);
	if (!pub)
		e->rc = pv_fail(e->v, PV_ERR_NOMEM, "out of memory");
	if (st == 0)
		st = member(e, "README.txt", readme, sizeof readme - 1);
	if (st == 0)
		st = json_member(e, "plan.json", json_incref(e->p->doc));
	if (st == 0)
		st = member(e, "schema.yaml", pv_vault_schema_text(e->v),
			    strlen(pv_vault_schema_text(e->v)));
	if (st == 0)
		st = json_member(e, "columns.json", columns_doc(e->v, e->p));
	return st;
}

/* Counts of non-empty values handed over, by category and by sensitivity. */
static json_t *counts_doc(const struct exporter *e)
{
	const struct pv_schema *s = e->v->schema;
	json_t *cat = json_object(), *sens = json_object();
	for (size_t i = 0; i < s->nfields; i++) {
		if (!e->p->moves[i])
			continue;
		const char *c = pv_category_name(s->fields[i].category);
		const char *t = pv_sensitivity_name(s->fields[i].sensitivity);
		json_t *a = json_object_get(cat, c), *b = json_object_get(sens, t);
		json_object_set_new(cat, c, json_integer((a ? json_integer_value(a) : 0) +
							 (json_int_t)e->values[i]));
		json_object_set_new(sens, t, json_integer((b ? json_integer_value(b) : 0) +
							  (json_int_t)e->values[i]));
	}
	return json_pack("{s:o, s:o}", "values_by_category", cat, "values_by_sensitivity", sens);
}

/* The manifest and its signature; *manifest_hash gets the manifest's SHA-256. */
static int manifest_members(struct exporter *e, const char *package, const char *now,
			    const uint8_t pk[32], const uint8_t *sk, char root_hex[65],
			    char manifest_hex[65])
{
	uint8_t root[PV_MERKLE_HASH], mh[32];
	char pkhex[65];
	pv_merkle_stream_root(&e->merkle, root);
	pv_hex(root_hex, root, sizeof root);
	pv_hex(pkhex, pk, 32);
	char *pub = pv_minisign_public_key_text(pk, NULL);
	char *nl = pub ? strchr(pub, '\n') : NULL;
	if (nl)
		nl[strcspn(nl + 1, "\r\n") + 1] = '\0'; /* the key line alone */
	json_t *doc = json_pack(
		"{s:s, s:i, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s}, s:O, s:I, s:I, s:o, s:s, s:s, "
		"s:O, s:O}",
		"type", PV_MANIFEST_TYPE, "version", 1, "package", package, "transfer", e->p->id,
		"created", now, "sender", "vault", e->v->vault_id_hex, "company",
		e->v->schema->vault_label ? e->v->schema->vault_label : "", "public_key", pkhex,
		"minisign_key", nl ? nl + 1 : "", "recipient",
		json_object_get(e->p->doc, "recipient"), "records", (json_int_t)e->records,
		"excluded", (json_int_t)e->excluded, "counts", counts_doc(e), "root_hash",
		root_hex, "record_hash", "SHA-256 of each record line; root: RFC 6962 Merkle tree "
		"over them", "files", e->files, "plan", e->p->doc);
	free(pub);
	char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(doc);
	if (!text) {
		e->rc = pv_fail(e->v, PV_ERR_NOMEM, "out of memory");
		return -1;
	}
	size_t len = strlen(text);
	pv_sha256(mh, text, len, NULL, 0, NULL, 0);
	pv_hex(manifest_hex, mh, sizeof mh);
	char comment[160];
	snprintf(comment, sizeof comment, "pivault handover %s of transfer %s, %llu records",
		 package, e->p->id, (unsigned long long)e->records);
	char *sig = pv_minisign_sign(sk, text, len, comment, NULL);
	int st = sig ? 0 : -1;
	if (!sig)
		e->rc = pv_fail(e->v, PV_ERR_CRYPTO, "cannot sign the manifest");
	/* the tar members after the manifest are not listed in it */
	if (st == 0 && pv_tar_write_file(&e->tar, "manifest.json", text, len) != 0)
		st = -1;
	if (st == 0 && pv_tar_write_file(&e->tar, "manifest.json.minisig", sig, strlen(sig)) != 0)
		st = -1;
	if (st && !e->rc)
		e->rc = pv_fail(e->v, PV_ERR_IO, "cannot write the package");
	free(sig);
	free(text);
	return st;
}

/* Write the whole package to e->fd. */
static pv_rc write_package(struct exporter *e, const char *package, const char *now,
			   char root_hex[65], char manifest_hex[65])
{
	pv_vault *v = e->v;
	const uint8_t *pk = v->keys->sign_public, *sk = v->keys->sign_secret;
	uint8_t rpk[PV_AGE_KEY];
	if (pv_age_parse_recipient(e->p->recipient_key, strlen(e->p->recipient_key), rpk) != 0)
		return pv_fail(v, PV_ERR_CORRUPT, "plan %s: bad recipient key", e->p->id);
	e->age = pv_age_writer_new((const uint8_t(*)[PV_AGE_KEY])rpk, 1, fd_out, e);
	e->tar = (struct pv_tar_writer){ .out = tar_out, .ctx = e, .mtime = (int64_t)time(NULL) };
	if (!e->age)
		e->rc = pv_fail(v, PV_ERR_IO, "cannot write the package");
	if (!e->rc && head_members(e, pk) == 0) {
		pv_rc rc = e->src->walk ? e->src->walk(v, e->src->walk_ctx, export_one, e)
					: pv_plan_walk(v, e->p, 1, export_one, e);
		if (rc && !e->rc)
			e->rc = rc;
	}
	if (!e->rc && flush_records(e) == 0 && (!e->src->record_members || history_members(e) == 0))
		(void)manifest_members(e, package, now, pk, sk, root_hex, manifest_hex);
	if (!e->rc && pv_tar_finish(&e->tar) != 0)
		e->rc = pv_fail(v, PV_ERR_IO, "cannot write the package");
	if (e->age) {
		int st = e->rc ? (pv_age_writer_free(e->age), 0) : pv_age_writer_finish(e->age);
		e->age = NULL;
		if (st != 0 && !e->rc)
			e->rc = pv_fail(v, PV_ERR_IO, "cannot write the package");
	}
	return e->rc;
}

static void exporter_free(struct exporter *e)
{
	pv_buf_free(&e->rec);
	pv_buf_free(&e->chk);
	pv_buf_free(&e->cons);
	pv_buf_free(&e->notes);
	pv_buf_free(&e->line);
	json_decref(e->files);
	free(e->values);
}

static double since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

pv_rc pv_package_write(pv_vault *v, const struct pv_package_source *src, const char *path,
		       pv_handover_summary *out, char manifest_hex[65])
{
	memset(out, 0, sizeof *out);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	size_t plen = strlen(path) + 16;
	char *tmp = malloc(plen);
	struct exporter e = { .v = v, .p = src->plan, .src = src, .fd = -1, .files = json_object(),
			      .values = calloc(v->schema->nfields + 1, sizeof(uint64_t)) };
	pv_merkle_stream_init(&e.merkle);
	pv_rc rc = PV_OK;
	if (!tmp || !e.files || !e.values)
		rc = pv_fail(v, PV_ERR_NOMEM, "out of memory");
	uint8_t rnd[8];
	char package[40], hex[17], now[32], root_hex[65] = "";
	pv_random(rnd, sizeof rnd);
	pv_hex(hex, rnd, sizeof rnd);
	snprintf(package, sizeof package, "P-%s", hex);
	pv_time_now(now, sizeof now);
	if (!rc) {
		snprintf(tmp, plen, "%s.partial", path);
		if (access(path, F_OK) == 0)
			rc = pv_fail(v, PV_ERR_EXISTS, "%s exists: a package is written to a new file",
				     path);
		else if ((e.fd = pv_file_create_fd(tmp)) < 0)
			rc = pv_fail(v, PV_ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
	}
	if (!rc)
		rc = write_package(&e, package, now, root_hex, manifest_hex);
	if (!rc && (fsync(e.fd) != 0 || close(e.fd) != 0))
		rc = pv_fail(v, PV_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
	else if (!rc)
		e.fd = -1;
	if (!rc && link(tmp, path) != 0) /* under its name only when complete */
		rc = pv_fail(v, PV_ERR_IO, "cannot create %s: %s", path, strerror(errno));
	if (e.fd >= 0)
		close(e.fd);
	if (tmp)
		unlink(tmp);
	free(tmp);
	if (!rc) {
		snprintf(out->package_id, sizeof out->package_id, "%s", package);
		snprintf(out->root_hash, sizeof out->root_hash, "%s", root_hex);
		out->records = e.records;
		out->excluded = e.excluded;
		out->bytes = e.bytes;
		out->seconds = since(&t0);
	}
	exporter_free(&e);
	return rc;
}

/* Checks before anything is written: the plan's state and its deadline. */
static pv_rc ready(pv_vault *v, const struct pv_plan *p)
{
	char today[11];
	pv_date_today(0, today);
	if (strcmp(p->state, "confirmed") == 0)
		return pv_fail(v, PV_ERR_USAGE, "transfer %s is already confirmed and its customers "
			       "shredded", p->id);
	if (strcmp(today, p->deadline) < 0)
		return pv_fail(v, PV_ERR_USAGE, "customers of transfer %s may object until %s: "
			       "export after that day", p->id, p->deadline);
	return PV_OK;
}

/* What the vault keeps of a package it sent, for the receipt to be checked against. */
static char *package_record(const pv_handover_summary *s, const char *manifest_hex,
			    const char *path)
{
	char now[32];
	pv_time_now(now, sizeof now);
	json_t *pkg = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s}", "package", s->package_id,
				"created", now, "root_hash", s->root_hash, "manifest_sha256",
				manifest_hex, "records", (json_int_t)s->records, "excluded",
				(json_int_t)s->excluded, "file", path);
	char *text = pkg ? json_dumps(pkg, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(pkg);
	return text;
}

/* The ids of the customers a plan's package holds, as its walk finds them now. */
struct scope_ids {
	char **ids;
	size_t n, cap;
	int oom;
};

static int keep_scope_id(void *ctx, const struct pv_stored_customer *c, char **values,
			 const char *excluded)
{
	(void)values;
	struct scope_ids *s = ctx;
	if (excluded)
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1024;
		char **t = realloc(s->ids, cap * sizeof *t);
		if (!t) {
			s->oom = 1;
			return 1;
		}
		s->ids = t;
		s->cap = cap;
	}
	if (!(s->ids[s->n] = strdup(c->id))) {
		s->oom = 1;
		return 1;
	}
	s->n++;
	return 0;
}

/* The approval of an export of plan p, for exactly the customers its package would hold
 * now (inside the export's transaction, so the package holds the same). */
static pv_rc consume_export_approval(pv_vault *v, struct pv_plan *p)
{
	struct scope_ids s = { 0 };
	pv_rc rc = pv_plan_walk(v, p, 0, keep_scope_id, &s);
	if (!rc && s.oom)
		rc = pv_fail(v, PV_ERR_NOMEM, "out of memory");
	struct pv_params ap;
	pv_params_init(&ap);
	pv_params_add(&ap, "plan", p->id);
	pv_params_add_ids(&ap, "customers", (const char *const *)s.ids, s.n);
	if (!rc)
		rc = pv_approval_consume(v, "handover export", &ap);
	pv_params_free(&ap);
	for (size_t i = 0; i < s.n; i++)
		free(s.ids[i]);
	free(s.ids);
	return rc;
}

pv_rc pv_handover_export(pv_vault *v, const pv_access *who, const char *id, const char *path,
			 pv_handover_summary *out)
{
	memset(out, 0, sizeof *out);
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_HANDOVER, &role);
	if (rc)
		return pv_audit_failure(v, rc, "handover export", NULL, NULL);
	struct pv_plan p;
	if ((rc = pv_plan_load(v, id, &p)))
		return rc;
	if ((rc = ready(v, &p))) {
		pv_plan_free(&p);
		return rc;
	}
	if (pv_store_begin(v->store) != 0) {
		pv_plan_free(&p);
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	}
	struct pv_package_source src = { .plan = &p, .record_members = 1 };
	char manifest_hex[65] = "", *pkg_text = NULL;
	int written = 0;
	rc = consume_export_approval(v, &p);
	if (!rc && pv_store_transfer_members_clear(v->store, p.id) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (!rc && !(rc = pv_package_write(v, &src, path, out, manifest_hex)))
		written = 1;
	if (!rc && (!(pkg_text = package_record(out, manifest_hex, path)) ||
		    pv_store_transfer_set(v->store, p.id, PV_TRANSFER_PACKAGE, pkg_text) ||
		    pv_store_transfer_set(v->store, p.id, PV_TRANSFER_STATE, "exported")))
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	free(pkg_text);
	char detail[300];
	snprintf(detail, sizeof detail, "package %s of %s: %llu records, %llu left out, root %s",
		 out->package_id, p.id, (unsigned long long)out->records,
		 (unsigned long long)out->excluded, out->root_hash);
	struct pv_audit_event ev = { "handover export", "*", NULL, NULL, "ok", detail };
	rc = pv_audit_commit(v, &ev, rc);
	if (rc) {
		if (written) /* the vault has no record of it: it must not exist either */
			unlink(path);
		memset(out, 0, sizeof *out);
	}
	pv_plan_free(&p);
	if (rc)
		return pv_audit_failure(v, rc, "handover export", NULL, NULL);
	return pv_ok(v);
}
