/* SPDX-License-Identifier: Apache-2.0 */
/* backup.c: online backups and restores. A backup is a consistent copy of the vault's
 * database taken while it is in use (SQLite's backup API): ciphertext and wrapped keys
 * only, never the keyring. The file is that database image followed by a trailer signed
 * with the vault key (the image's size and SHA-256, the vault, the time), then a fixed
 * footer giving the trailer's length:
 *
 *   [image][trailer JSON: {"backup": {...}, "signature": "<hex>"}]["pivault-backup <16 hex>\n"]
 *
 * A restore writes the image into a new directory, opens it with the root key and the
 * LIVE keyring, and re-applies the shred ledger kept beside the keyring: customers
 * shredded since the backup are deleted again, and those whose bucket was re-keyed get
 * the data key re-wrapped since. So a restore can never bring back a shredded customer,
 * and every other customer of the backup reads as before. The directory is built as
 * DIR.partial and renamed to DIR once complete: a restore killed midway never leaves a
 * DIR that looks like a vault, and running it again clears what the killed one left. */
#include "audit.h"
#include "dates.h"
#include "files.h"
#include "keyring.h"
#include "ledger.h"
#include "pinned_key.h"
#include "policy.h"
#include "record.h"
#include "validate.h"
#include "signed_json.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BACKUP_TYPE "pivault backup"
#define FOOTER_LEN 32 /* "pivault-backup " + 16 hex + "\n" */
#define TRAILER_MAX (64 * 1024)

/* SHA-256 of the first n bytes of fd (from its start) into out; 0 or -1. */
static int hash_prefix(int fd, uint64_t n, uint8_t out[32])
{
	struct pv_sha256_stream *st = pv_sha256_begin();
	uint8_t *buf = malloc(1 << 20);
	int rc = st && buf && lseek(fd, 0, SEEK_SET) == 0 ? 0 : -1;
	while (!rc && n > 0) {
		ssize_t got = read(fd, buf, n < (1u << 20) ? (size_t)n : (1u << 20));
		if (got <= 0) {
			rc = -1;
			break;
		}
		pv_sha256_update(st, buf, (size_t)got);
		n -= (uint64_t)got;
	}
	free(buf);
	if (st)
		pv_sha256_end(st, out);
	return rc;
}

/* The signed trailer for an image of size bytes with hash h. */
static char *trailer_text(pv_vault *v, uint64_t size, const uint8_t h[32])
{
	char hex[65], now[32], pkh[65];
	uint64_t customers = 0, seq = 0;
	uint8_t head[PV_AUDIT_HASH];
	(void)pv_store_customer_count(v->store, &customers);
	(void)pv_store_audit_last(v->store, &seq, head);
	pv_hex(hex, h, 32);
	pv_time_now(now, sizeof now);
	if (pv_vault_public_key(v, pkh) != PV_OK)
		return NULL;
	json_t *body = json_pack("{s:s, s:i, s:s, s:s, s:I, s:s, s:I, s:I, s:s}", "type",
				 BACKUP_TYPE, "version", 1, "vault", v->vault_id_hex, "created", now,
				 "image_bytes", (json_int_t)size, "image_sha256", hex, "customers",
				 (json_int_t)customers, "audit_entries", (json_int_t)seq, "signed_by",
				 pkh);
	json_t *doc = body ? pv_signed_json(v, "backup", body) : NULL;
	char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(doc);
	return text;
}

pv_rc pv_backup_create(pv_vault *v, const pv_access *who, const char *path, char **summary)
{
	*summary = NULL;
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_BACKUP, &role);
	if (rc)
		return pv_audit_failure(v, rc, "backup create", NULL, NULL);
	if (access(path, F_OK) == 0)
		return pv_fail(v, PV_ERR_EXISTS, "%s exists: a backup goes to a new file", path);
	size_t plen = strlen(path) + 16;
	char *tmp = malloc(plen);
	if (!tmp)
		return pv_fail(v, PV_ERR_NOMEM, "out of memory");
	snprintf(tmp, plen, "%s.partial", path);
	unlink(tmp);
	/* the audit entry comes first: a backup that cannot be audited is not taken, and the
	 * image then holds its own entry */
	struct pv_audit_event e = { "backup create", "*", NULL, NULL, "ok", path };
	rc = pv_audit_append(v, &e);
	int made = -1; /* the copy goes into a new file of ours, never through a link */
	if (!rc && (rc = pv_file_create_for(v, tmp, "the backup's partial file", &made)) == PV_OK)
		close(made);
	/* one read snapshot for the image and the trailer's counts: a writer beside it (an
	 * import committing chunk after chunk) neither waits for it nor changes what it
	 * copies */
	uint64_t customers = 0;
	int snapshot = !rc && pv_store_read_begin(v->store) == 0;
	if (!rc && (!snapshot || pv_store_customer_count(v->store, &customers) != 0))
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store)); /* read: fixed */
	if (!rc && pv_store_backup_to(v->store, tmp) != 0)
		rc = pv_fail(v, PV_ERR_IO, "cannot copy the database to %s: %s", tmp,
			     pv_store_errmsg(v->store));
	int fd = rc ? -1 : open(tmp, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && fchmod(fd, 0600) != 0) /* ciphertext, but nobody else's business */
		rc = pv_fail(v, PV_ERR_IO, "cannot protect %s: %s", tmp, strerror(errno));
	struct stat st;
	uint8_t h[32];
	char *trailer = NULL, footer[FOOTER_LEN + 1];
	if (!rc && (fd < 0 || fstat(fd, &st) != 0 || hash_prefix(fd, (uint64_t)st.st_size, h)))
		rc = pv_fail(v, PV_ERR_IO, "cannot read %s: %s", tmp, strerror(errno));
	if (!rc && !(trailer = trailer_text(v, (uint64_t)st.st_size, h)))
		rc = pv_fail(v, PV_ERR_NOMEM, "cannot sign the backup");
	if (snapshot) {
		pv_store_release_rows(v->store);
		(void)pv_store_rollback(v->store); /* a read only: nothing to keep */
	}
	if (!rc) {
		snprintf(footer, sizeof footer, "pivault-backup %016llx\n",
			 (unsigned long long)strlen(trailer));
		if (lseek(fd, 0, SEEK_END) < 0 || pv_file_write_all(fd, trailer, strlen(trailer)) != 0 ||
		    pv_file_write_all(fd, footer, FOOTER_LEN) != 0 || fsync(fd) != 0)
			rc = pv_fail(v, PV_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
	}
	if (fd >= 0 && close(fd) != 0 && !rc)
		rc = pv_fail(v, PV_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
	if (!rc && link(tmp, path) != 0)
		rc = pv_fail(v, PV_ERR_IO, "cannot create %s: %s", path, strerror(errno));
	unlink(tmp);
	free(tmp);
	if (!rc)
		*summary = trailer;
	else
		free(trailer);
	if (rc)
		return pv_audit_failure(v, rc, "backup create", NULL, NULL);
	return pv_ok(v);
}

/* ------------------------------------------------------------- reading ---- */

struct backup_file {
	int fd;
	uint64_t image_bytes;
	json_t *doc, *body;
	char pk_hex[65];
};

static void backup_close(struct backup_file *b)
{
	if (b->fd >= 0)
		close(b->fd);
	json_decref(b->doc);
	memset(b, 0, sizeof *b);
	b->fd = -1;
}

/* Open a backup file and check everything it can prove by itself: the footer, the
 * trailer's signature by the key it names, the image's size and SHA-256. 0, or -1 with
 * the reason in why. */
static int backup_open(const char *path, struct backup_file *b, char *why, size_t whylen)
{
	memset(b, 0, sizeof *b);
	b->fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char footer[FOOTER_LEN + 1] = "";
	if (b->fd < 0 || fstat(b->fd, &st) != 0) {
		snprintf(why, whylen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	unsigned long long tlen = 0;
	if (st.st_size < FOOTER_LEN || pread(b->fd, footer, FOOTER_LEN, st.st_size - FOOTER_LEN) !=
						 FOOTER_LEN ||
	    sscanf(footer, "pivault-backup %16llx\n", &tlen) != 1 || tlen == 0 ||
	    tlen > TRAILER_MAX || (uint64_t)st.st_size < tlen + FOOTER_LEN) {
		snprintf(why, whylen, "%s is not a pivault backup (no footer: truncated?)", path);
		return -1;
	}
	char *trailer = malloc(tlen + 1);
	off_t at = st.st_size - FOOTER_LEN - (off_t)tlen;
	if (!trailer || pread(b->fd, trailer, tlen, at) != (ssize_t)tlen) {
		free(trailer);
		snprintf(why, whylen, "cannot read the trailer of %s", path);
		return -1;
	}
	trailer[tlen] = '\0';
	json_error_t je;
	b->doc = json_loads(trailer, JSON_REJECT_DUPLICATES, &je);
	free(trailer);
	b->body = json_object_get(b->doc, "backup");
	const char *type = json_string_value(json_object_get(b->body, "type"));
	const char *pkh = json_string_value(json_object_get(b->body, "signed_by"));
	const char *hh = json_string_value(json_object_get(b->body, "image_sha256"));
	json_t *size = json_object_get(b->body, "image_bytes");
	uint8_t pk[PV_SIGN_PUBLIC], h[32], want[32];
	if (!type || strcmp(type, BACKUP_TYPE) != 0 || !pkh || !hh || !json_is_integer(size) ||
	    pv_unhex(pk, sizeof pk, pkh, strlen(pkh)) != 0 ||
	    pv_unhex(want, sizeof want, hh, strlen(hh)) != 0) {
		snprintf(why, whylen, "%s: the trailer is malformed", path);
		return -1;
	}
	if (pv_signed_json_check(b->doc, "backup", pk) != 0) {
		snprintf(why, whylen, "%s: the trailer's signature does not verify (changed)", path);
		return -1;
	}
	b->image_bytes = (uint64_t)json_integer_value(size);
	if (b->image_bytes != (uint64_t)at) {
		snprintf(why, whylen, "%s: the image is %llu bytes, the trailer says %llu (truncated "
			 "or extended)", path, (unsigned long long)at,
			 (unsigned long long)b->image_bytes);
		return -1;
	}
	if (hash_prefix(b->fd, b->image_bytes, h) != 0 || pv_ct_compare(h, want, 32) != 0) {
		snprintf(why, whylen, "%s: the database image does not match its signed SHA-256 "
			 "(changed)", path);
		return -1;
	}
	snprintf(b->pk_hex, sizeof b->pk_hex, "%s", pkh);
	return 0;
}

static pv_rc backup_verify(const char *path, const char *public_key_hex, char *why,
			   size_t whylen)
{
	struct backup_file b;
	uint8_t pk[PV_SIGN_PUBLIC], found[PV_SIGN_PUBLIC];
	char fp[PV_FINGERPRINT_SIZE];
	if (pv_pinned_key_parse(public_key_hex, pk) != 0) {
		snprintf(why, whylen, "the vault's public key is needed (64 hex digits, as its "
			 "`pivault pubkey` prints)");
		return PV_ERR_USAGE;
	}
	pv_rc rc = PV_OK;
	if (backup_open(path, &b, why, whylen) != 0) {
		rc = PV_ERR_CORRUPT;
	} else if (pv_pinned_key_parse(b.pk_hex, found) != 0 ||
		   memcmp(found, pk, sizeof pk) != 0) {
		pv_key_mismatch(why, whylen, path, pk,
				pv_pinned_key_parse(b.pk_hex, found) == 0 ? found : NULL);
		rc = PV_ERR_CORRUPT;
	} else {
		pv_fingerprint_of(pk, fp);
		snprintf(why, whylen, "valid: vault %s, made %s, %lld customers, %llu bytes, signed "
			 "by the expected vault key %s",
			 pv_json_text(b.body, "vault"),
			 pv_json_text(b.body, "created"),
			 (long long)json_integer_value(json_object_get(b.body, "customers")),
			 (unsigned long long)b.image_bytes, fp);
	}
	backup_close(&b);
	return rc;
}

/* ------------------------------------------------------------- restoring ---- */

/* Copy the image into dir/vault.db (dir must not exist). */
static int write_image(struct backup_file *b, const char *dir, char *why, size_t whylen)
{
	if (mkdir(dir, 0700) != 0) {
		snprintf(why, whylen, "cannot create %s: %s (it must not exist)", dir,
			 strerror(errno));
		return -1;
	}
	size_t plen = strlen(dir) + 16;
	char *db = malloc(plen);
	uint8_t *buf = malloc(1 << 20);
	int out = -1, rc = -1;
	if (db && buf) {
		snprintf(db, plen, "%s/vault.db", dir);
		out = pv_file_create_fd(db);
	}
	uint64_t left = b->image_bytes;
	if (out >= 0 && lseek(b->fd, 0, SEEK_SET) == 0) {
		rc = 0;
		while (!rc && left > 0) {
			ssize_t got = read(b->fd, buf, left < (1u << 20) ? (size_t)left : (1u << 20));
			rc = got <= 0 || pv_file_write_all(out, buf, (size_t)got) != 0 ? -1 : 0;
			left -= got > 0 ? (uint64_t)got : 0;
		}
		rc = rc || fsync(out) != 0 ? -1 : 0;
	}
	if (out >= 0 && close(out) != 0)
		rc = -1;
	if (rc)
		snprintf(why, whylen, "cannot write %s/vault.db: %s", dir, strerror(errno));
	free(db);
	free(buf);
	return rc;
}

struct replay {
	pv_vault *v;
	uint64_t removed, rewrapped, damaged;
	pv_rc rc;
};

/* One ledger line: a shredded customer goes again; a re-wrapped key is put back. */
static int replay_line(void *ctx, json_t *o)
{
	struct replay *r = ctx;
	pv_vault *v = r->v;
	const char *id = json_string_value(json_object_get(o, "id"));
	const char *rw = json_string_value(json_object_get(o, "rewrap"));
	struct pv_stored_customer c;
	int st = 0;
	if (id && pv_customer_id_ok(id) && (st = pv_store_customer_get(v->store, id, &c)) == 0) {
		st = pv_store_doomed_add(v->store, c.rid, id);
		r->removed += st == 0;
	} else if (rw && pv_customer_id_ok(rw) &&
		   (st = pv_store_customer_get(v->store, rw, &c)) == 0) {
		json_int_t gen = json_integer_value(json_object_get(o, "gen"));
		json_int_t bucket = json_integer_value(json_object_get(o, "bucket"));
		json_t *dek = json_object_get(o, "dek");
		const char *hex = json_string_value(json_object_get(o, "wdek"));
		uint8_t wdek[PV_KEY_BYTES + PV_SEAL_OVERHEAD];
		/* The wrap binds the customer's version: a line of a later version (the
		 * customer changed since the backup) is bound again to the image's version,
		 * when the line's bucket key is the live one (a rekey --data since the backup
		 * made another data key: the image's groups then stay unreadable). */
		uint32_t line_version = dek ? (uint32_t)json_integer_value(dek) : c.dek_version;
		int usable = hex && bucket == (json_int_t)c.bucket &&
			     gen > (json_int_t)c.bucket_gen &&
			     pv_unhex(wdek, sizeof wdek, hex, strlen(hex)) == 0;
		if (usable && line_version != c.dek_version)
			usable = pv_rebind_dek_version(v, rw, c.bucket, (uint32_t)gen, line_version,
						       c.dek_version, wdek) == PV_OK;
		if (usable) {
			int64_t rid = c.rid;
			st = pv_store_customer_set_wdek(v->store, rid, (uint32_t)gen, wdek,
							sizeof wdek);
			r->rewrapped += st == 0;
		}
	}
	if (st < 0) {
		r->rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
		return -1;
	}
	return 0;
}

/* After the ledger: every data key must be wrapped by its bucket's live key. A customer
 * whose key is wrapped by an older one can be read by no one: the ledger lacks that
 * shred's or rekey's lines (lost, or the keyring is not this vault's), and the restored
 * vault would hold unreadable customers, shredded ones among them. */
static pv_rc check_keys(struct replay *r)
{
	uint64_t stale, ahead;
	pv_rc rc = pv_ledger_keys_unmatched(r->v, &stale, &ahead);
	if (rc || (!stale && !ahead))
		return rc;
	return pv_fail(r->v, PV_ERR_CORRUPT, "restore refused: after the shred ledger was "
		       "re-applied, %llu customer%s of the backup %s data keys wrapped by bucket "
		       "keys %s (%llu damaged ledger line%s skipped). The ledger beside the "
		       "keyring lacks lines of a shred or rekey made since the backup, or the "
		       "keyring is not the one this vault used; restoring would leave them "
		       "unreadable", (unsigned long long)(stale + ahead),
		       stale + ahead == 1 ? "" : "s", stale + ahead == 1 ? "has its" : "have their",
		       stale ? "the live keyring no longer holds" : "newer than the live keyring's",
		       (unsigned long long)r->damaged, r->damaged == 1 ? "" : "s");
}

/* Re-apply the ledger beside the keyring to the restored store, in one transaction. */
static pv_rc replay_ledger(pv_vault *v, struct replay *r, const char *how)
{
	char why[300] = "";
	if (pv_store_begin(v->store) != 0 || pv_store_doomed_begin(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (pv_ledger_each(v, replay_line, r, &r->damaged, why, sizeof why) < 0 && !r->rc)
		r->rc = pv_fail(v, PV_ERR_IO, "%s", why);
	if (!r->rc && pv_store_doomed_remove(v->store) != 0)
		r->rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (!r->rc)
		r->rc = check_keys(r);
	char detail[200];
	snprintf(detail, sizeof detail, "%s; shred ledger re-applied: %llu customers removed "
		 "again, %llu data keys re-wrapped, %llu damaged lines skipped", how,
		 (unsigned long long)r->removed, (unsigned long long)r->rewrapped,
		 (unsigned long long)r->damaged);
	struct pv_audit_event e = { "restore", "*", NULL, NULL, "ok", detail };
	r->rc = pv_audit_commit(v, &e, r->rc);
	return r->rc;
}

/* Remove what a failed restore wrote. */
static void unrestore(const char *dir)
{
	static const char *const files[] = { "vault.db", "vault.db-wal", "vault.db-shm",
					     "vault.db-journal" };
	size_t plen = strlen(dir) + 24;
	char *p = malloc(plen);
	for (size_t i = 0; p && i < sizeof files / sizeof *files; i++) {
		snprintf(p, plen, "%s/%s", dir, files[i]);
		unlink(p);
	}
	free(p);
	rmdir(dir);
}

/* 1 when the keyring has a journal left by a shred or rekey interrupted around its commit.
 * Opening the backup's older data would settle it by that data, as not committed, and
 * drop it: the live vault's committed bucket keys lost, its customers of those buckets
 * unreadable, and the customers it shredded readable in the restore. Only the live vault
 * can settle it. */
static int journal_pending(const char *keyring_path)
{
	size_t plen = strlen(keyring_path) + sizeof ".journal";
	char *p = malloc(plen);
	if (!p)
		return 1;
	snprintf(p, plen, "%s.journal", keyring_path);
	struct stat st;
	int pending = lstat(p, &st) == 0;
	free(p);
	return pending;
}

/* The directory a restore into dir is built in: dir.partial (malloc'd, or NULL). */
static char *partial_dir(const char *dir)
{
	size_t plen = strlen(dir) + sizeof ".partial";
	char *p = malloc(plen);
	if (p)
		snprintf(p, plen, "%s.partial", dir);
	return p;
}

/* Remove a partial restore directory: only a directory of ours, never through a link. */
static void clear_partial(const char *partial)
{
	struct stat st;
	if (lstat(partial, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid())
		unrestore(partial);
}

/* Put the complete restore in its place: rename the partial directory to dir, synced. */
static int place_restored(const char *partial, const char *dir, char *why, size_t whylen)
{
	if (rename(partial, dir) != 0) {
		snprintf(why, whylen, "cannot rename %s to %s: %s", partial, dir, strerror(errno));
		return -1;
	}
	char *parent = strdup(dir), *slash = parent ? strrchr(parent, '/') : NULL;
	const char *at = !parent ? NULL : !slash ? "." : slash == parent ? "/" : parent;
	if (slash && slash != parent)
		*slash = '\0';
	int fd = at ? open(at, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (fd >= 0) { /* the rename is durable before success is reported */
		(void)fsync(fd);
		close(fd);
	}
	free(parent);
	return 0;
}

static pv_rc restore(const char *backup, const char *dir, const char *keyring_path,
		     const pv_key *key, pv_restore_result *out, char *why, size_t whylen)
{
	memset(out, 0, sizeof *out);
	struct backup_file b;
	if (backup_open(backup, &b, why, whylen) != 0) {
		backup_close(&b);
		return PV_ERR_CORRUPT;
	}
	if (!keyring_path || access(keyring_path, R_OK | W_OK) != 0) {
		backup_close(&b);
		snprintf(why, whylen, "a restore needs the live keyring (--keyring FILE): the "
			 "backup holds no keys");
		return PV_ERR_USAGE;
	}
	if (journal_pending(keyring_path)) {
		backup_close(&b);
		snprintf(why, whylen, "the live keyring %s has a change of bucket keys pending from "
			 "an interrupted shred or rekey (%s.journal): open the live vault once (any "
			 "command, e.g. pivault audit verify) so that it is completed, then restore",
			 keyring_path, keyring_path);
		return PV_ERR_USAGE;
	}
	char *partial = access(dir, F_OK) != 0 ? partial_dir(dir) : NULL;
	if (!partial) {
		if (access(dir, F_OK) == 0)
			snprintf(why, whylen, "cannot create %s: %s (it must not exist)", dir,
				 strerror(EEXIST));
		else
			snprintf(why, whylen, "out of memory");
		backup_close(&b);
		return PV_ERR_IO;
	}
	clear_partial(partial); /* what a restore killed midway left */
	if (write_image(&b, partial, why, whylen) != 0) {
		clear_partial(partial);
		free(partial);
		backup_close(&b);
		return PV_ERR_IO;
	}
	char pk[2 * PV_SIGN_PUBLIC + 1];
	pv_vault *v = NULL;
	pv_rc rc = pv_vault_open(partial, keyring_path, key, &v);
	if (!rc && (rc = pv_vault_public_key(v, pk)) == PV_OK && strcmp(pk, b.pk_hex) != 0)
		rc = pv_fail(v, PV_ERR_CORRUPT, "the backup was signed by another key than this "
			     "vault's");
	struct replay r = { .v = v };
	if (!rc)
		rc = replay_ledger(v, &r, "restored from a backup");
	if (!rc && pv_store_checkpoint(v->store) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (!rc) {
		(void)pv_store_customer_count(v->store, &out->customers);
		out->removed = r.removed;
		out->rewrapped = r.rewrapped;
		snprintf(why, whylen, "restored %llu customers into %s (shred ledger: %llu removed "
			 "again, %llu re-wrapped)", (unsigned long long)out->customers, dir,
			 (unsigned long long)r.removed, (unsigned long long)r.rewrapped);
	} else {
		snprintf(why, whylen, "%s", v ? pv_errmsg(v) : "cannot open the restored vault");
	}
	pv_vault_close(v);
	backup_close(&b);
	if (!rc && place_restored(partial, dir, why, whylen) != 0)
		rc = PV_ERR_IO;
	if (rc)
		clear_partial(partial);
	free(partial);
	return rc;
}

pv_rc pv_backup_verify(const char *path, const char *public_key_hex, char **summary)
{
	char why[600];
	return pv_lone_outcome(backup_verify(path, public_key_hex, why, sizeof why), why, summary);
}

pv_rc pv_restore(const char *backup, const char *dir, const char *keyring_path,
		 const pv_key *key, pv_restore_result *out)
{
	char why[1100];
	return pv_lone_outcome(restore(backup, dir, keyring_path, key, out, why, sizeof why), why,
			       NULL);
}

pv_rc pv_vault_replay_ledger(pv_vault *v, pv_restore_result *out)
{
	memset(out, 0, sizeof *out);
	if (v->user_roles || v->unlock_kind != PV_UNLOCK_ROOT)
		return pv_fail(v, PV_ERR_DENIED, "only a session opened with the root secret may "
			       "re-apply the shred ledger");
	struct replay r = { .v = v };
	pv_rc rc = replay_ledger(v, &r, "store put back by other means");
	if (rc)
		return rc;
	if (pv_store_checkpoint(v->store) != 0)
		return pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	(void)pv_store_customer_count(v->store, &out->customers);
	out->removed = r.removed;
	out->rewrapped = r.rewrapped;
	return pv_ok(v);
}
