/* SPDX-License-Identifier: Apache-2.0 */
/* ledger.c: the shred ledger beside the keyring (ledger.h): intents staged in the store
 * with the operation, appended to the file after the commit or at the next open, and the
 * file read back line by line, each line checked against its checksum. */
#include "keys.h"
#include "ledger.h"

#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define SUM_BYTES 16
#define SUM_HEX (2 * SUM_BYTES)
#define CHUNK ((size_t)1 << 20)
#define INTENT_HEX 32

struct pv_ledger_intent {
	char id[INTENT_HEX + 1];
	char kind[16];
	FILE *lines; /* framed lines, in an unnamed temporary file: memory stays bounded */
	size_t count;
};

/* A line as written: the JSON, a tab, the hex of its BLAKE2b-128 checksum, a newline. */
static int frame(FILE *out, const char *json, size_t len)
{
	uint8_t sum[SUM_BYTES];
	char hex[SUM_HEX + 1];
	crypto_generichash(sum, sizeof sum, (const uint8_t *)json, len, NULL, 0);
	pv_hex(hex, sum, sizeof sum);
	return fwrite(json, 1, len, out) == len && fprintf(out, "\t%s\n", hex) > 0 ? 0 : -1;
}

/* The JSON of a line read back (its newline gone), or NULL when the line is damaged: a
 * checksum that does not hold, or (a line of an older ledger, without one) no JSON. */
static json_t *unframe(char *line, size_t len)
{
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	char *tab = memchr(line, '\t', len);
	if (tab) {
		uint8_t sum[SUM_BYTES], want[SUM_BYTES];
		if (len - (size_t)(tab + 1 - line) != SUM_HEX ||
		    pv_unhex(want, sizeof want, tab + 1, SUM_HEX) != 0)
			return NULL;
		crypto_generichash(sum, sizeof sum, (const uint8_t *)line, (size_t)(tab - line),
				   NULL, 0);
		if (memcmp(sum, want, sizeof sum) != 0)
			return NULL;
		*tab = '\0';
	}
	json_error_t je;
	json_t *o = json_loads(line, 0, &je);
	if (o && !json_is_object(o)) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

struct pv_ledger_intent *pv_ledger_intent_new(const char *kind)
{
	struct pv_ledger_intent *li = calloc(1, sizeof *li);
	if (!li)
		return NULL;
	uint8_t id[INTENT_HEX / 2];
	pv_random(id, sizeof id);
	pv_hex(li->id, id, sizeof id);
	snprintf(li->kind, sizeof li->kind, "%s", kind);
	if (!(li->lines = tmpfile())) {
		free(li);
		return NULL;
	}
	return li;
}

void pv_ledger_intent_free(struct pv_ledger_intent *li)
{
	if (!li)
		return;
	fclose(li->lines);
	free(li);
}

int pv_ledger_intent_add(struct pv_ledger_intent *li, const char *json, size_t len)
{
	if (memchr(json, '\n', len) || memchr(json, '\t', len) || frame(li->lines, json, len))
		return -1;
	li->count++;
	return 0;
}

/* The ledger file's size; 0 when there is no regular file there (a directory in its way
 * has a size, which the file made there later would then be searched from). */
static uint64_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
}

/* The head line: which intent, what kind, when, how many lines follow, and the
 * certificate of a shred. Framed, in text (malloc'd). */
static char *head_line(const struct pv_ledger_intent *li, const char *when,
		       const char *certificate, const uint8_t cert_hash[32], size_t *len)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:I}", "intent", li->id, "kind", li->kind, "time",
			      when, "lines", (json_int_t)li->count);
	if (o && certificate) {
		char h[65];
		pv_hex(h, cert_hash, 32);
		json_object_set_new(o, "certificate", json_string(h));
		json_object_set_new(o, "certificate_text", json_string(certificate));
	}
	char *json = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	char *text = NULL;
	FILE *mem = json ? open_memstream(&text, len) : NULL;
	int ok = mem && frame(mem, json, strlen(json)) == 0;
	if (mem && fclose(mem) != 0)
		ok = 0;
	free(json);
	if (!ok) {
		free(text);
		return NULL;
	}
	return text;
}

pv_rc pv_ledger_intent_stage(pv_vault *v, struct pv_ledger_intent *li, const char *when,
			     const char *certificate, const uint8_t cert_hash[32])
{
	char *path = pv_keyring_sibling(v, ".ledger");
	size_t hlen = 0;
	char *head = path ? head_line(li, when, certificate, cert_hash, &hlen) : NULL;
	uint8_t *buf = head ? malloc(CHUNK) : NULL;
	if (!buf) {
		free(path);
		free(head);
		return pv_fail(v, PV_ERR_NOMEM, "cannot keep the shred ledger's lines");
	}
	uint64_t at = file_size(path);
	free(path);
	uint32_t seq = 0;
	int st = pv_store_outbox_put(v->store, li->id, seq++, at, head, hlen);
	free(head);
	int ok = fflush(li->lines) == 0 && fseek(li->lines, 0, SEEK_SET) == 0;
	size_t got;
	while (!st && ok && (got = fread(buf, 1, CHUNK, li->lines)) > 0)
		st = pv_store_outbox_put(v->store, li->id, seq++, at, buf, got);
	ok = ok && !ferror(li->lines);
	free(buf);
	if (st)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	return ok ? PV_OK : pv_fail(v, PV_ERR_IO, "cannot read back the shred ledger's lines");
}

/* ---- Flushing the outbox into the file ---- */

struct flush {
	int fd;
	const char *path;
	char intent[INTENT_HEX + 1]; /* the intent in hand */
	int append;                   /* its lines go to the file */
	char **seen;                  /* every intent met, to forget in the store */
	size_t nseen;
	int err;                      /* errno of a failed write, or -1 out of memory */
};

/* 1 when the file, from offset from on, holds the closing line of intent. */
static int closed_in_file(const char *path, uint64_t from, const char *intent)
{
	char marker[INTENT_HEX + 24];
	snprintf(marker, sizeof marker, "{\"intent_end\":\"%s\"", intent);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	if (from > file_size(path))
		from = 0; /* the file is not the one the intent saw: look through all of it */
	int found = 0;
	char *line = NULL;
	size_t cap = 0;
	if (fseeko(f, (off_t)from, SEEK_SET) == 0)
		while (!found && getline(&line, &cap, f) > 0)
			found = strncmp(line, marker, strlen(marker)) == 0;
	free(line);
	fclose(f);
	return found;
}

/* The closing line of the intent in hand, when its lines went to the file. */
static int close_intent(struct flush *f)
{
	if (!f->intent[0] || !f->append)
		return 0;
	char json[INTENT_HEX + 24], *text = NULL;
	size_t len = 0;
	snprintf(json, sizeof json, "{\"intent_end\":\"%s\"}", f->intent);
	FILE *mem = open_memstream(&text, &len);
	int ok = mem && frame(mem, json, strlen(json)) == 0;
	if (mem && fclose(mem) != 0)
		ok = 0;
	ok = ok && pv_file_write_all(f->fd, text, len) == 0;
	free(text);
	if (!ok)
		f->err = errno ? errno : EIO;
	return ok ? 0 : -1;
}

static int flush_chunk(void *ctx, const char *intent, uint32_t seq, uint64_t ledger_size,
		       const void *chunk, size_t len)
{
	struct flush *f = ctx;
	(void)seq;
	if (strcmp(intent, f->intent) != 0) { /* the next intent */
		if (close_intent(f) != 0)
			return 1;
		char **seen = realloc(f->seen, (f->nseen + 1) * sizeof *seen);
		if (!seen || !(seen[f->nseen] = strdup(intent))) {
			f->seen = seen ? seen : f->seen;
			f->err = -1;
			return 1;
		}
		f->seen = seen;
		f->nseen++;
		snprintf(f->intent, sizeof f->intent, "%s", intent);
		f->append = !closed_in_file(f->path, ledger_size, intent);
	}
	if (f->append && pv_file_write_all(f->fd, chunk, len) != 0) {
		f->err = errno ? errno : EIO;
		return 1;
	}
	return 0;
}

int pv_ledger_flush(pv_vault *v, char *why, size_t whylen)
{
	int pending = pv_store_outbox_pending(v->store);
	if (pending <= 0) {
		if (pending < 0)
			snprintf(why, whylen, "%s", pv_store_errmsg(v->store));
		return pending;
	}
	char *path = pv_keyring_sibling(v, ".ledger");
	struct flush f = { .fd = -1, .path = path };
	if (!path) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	int rc = -1;
	/* one flusher at a time: the lock, then the torn-line check again under it */
	if ((f.fd = pv_file_append_fd(path)) < 0 || flock(f.fd, LOCK_EX) != 0 ||
	    pv_file_end_line(f.fd) != 0) {
		snprintf(why, whylen, "%s cannot be opened: %s", path, strerror(errno));
		goto out;
	}
	int st = pv_store_outbox_scan(v->store, flush_chunk, &f);
	if (st == 0 && close_intent(&f) != 0)
		st = 1;
	if (st < 0) {
		snprintf(why, whylen, "%s", pv_store_errmsg(v->store));
		goto out;
	}
	if (st > 0 || fsync(f.fd) != 0) {
		snprintf(why, whylen, "%s could not be written: %s", path,
			 f.err == -1 ? "out of memory" : strerror(f.err > 0 ? f.err : errno));
		goto out;
	}
	rc = 0;
	for (size_t i = 0; !rc && i < f.nseen; i++)
		if (pv_store_outbox_drop(v->store, f.seen[i]) != 0) {
			snprintf(why, whylen, "%s", pv_store_errmsg(v->store));
			rc = -1; /* appended; the next flush finds their closing lines */
		}
out:
	if (f.fd >= 0)
		close(f.fd); /* and the lock with it */
	for (size_t i = 0; i < f.nseen; i++)
		free(f.seen[i]);
	free(f.seen);
	free(path);
	return rc;
}

/* ---- Reading ---- */

int pv_ledger_each(pv_vault *v, int (*fn)(void *ctx, json_t *line), void *ctx,
		   uint64_t *damaged, char *why, size_t whylen)
{
	*damaged = 0;
	char *path = pv_keyring_sibling(v, ".ledger");
	if (!path) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	FILE *f = fopen(path, "r");
	if (!f) {
		int e = errno;
		if (e != ENOENT)
			snprintf(why, whylen, "cannot read the shred ledger %s: %s", path,
				 strerror(e));
		free(path);
		return e == ENOENT ? 0 : -1;
	}
	free(path);
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc = 0;
	while (!rc && (len = getline(&line, &cap, f)) > 0) {
		if (len == 1 && line[0] == '\n')
			continue; /* the end put after a line cut short */
		json_t *o = unframe(line, (size_t)len);
		if (!o) {
			(*damaged)++;
			continue;
		}
		rc = fn(ctx, o);
		json_decref(o);
	}
	if (!rc && ferror(f)) {
		snprintf(why, whylen, "cannot read the shred ledger: %s", strerror(errno));
		rc = -1;
	}
	free(line);
	fclose(f);
	return rc;
}

/* ---- Keys against the keyring ---- */

struct unmatched {
	pv_vault *v;
	uint64_t stale, ahead;
};

static int count_unmatched(void *ctx, uint32_t bucket, uint32_t gen, uint64_t customers)
{
	struct unmatched *u = ctx;
	uint32_t live = 0;
	if (!pv_keyring_key(u->v->keyring, bucket, &live) || gen < live)
		u->stale += customers;
	else if (gen > live)
		u->ahead += customers;
	return 0;
}

pv_rc pv_ledger_keys_unmatched(pv_vault *v, uint64_t *stale, uint64_t *ahead)
{
	struct unmatched u = { v, 0, 0 };
	int st = pv_store_bucket_gens(v->store, count_unmatched, &u);
	*stale = u.stale;
	*ahead = u.ahead;
	return st < 0 ? pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store)) : PV_OK;
}
