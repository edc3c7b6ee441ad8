/* SPDX-License-Identifier: Apache-2.0 */
/* escrow.c: the keyring's explicit escrow for disaster recovery. The keyring file is
 * sealed (X25519 sealed box) to an escrow public key and written out; the vault records
 * when each copy was made, so that a destruction certificate can name the copies that
 * still hold a destroyed bucket key. */
#include "dates.h"
#include "audit.h"
#include "files.h"
#include "policy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ESCROW_MAGIC "PVESCRW1"

/* The whole keyring file, read into malloc'd memory. */
static uint8_t *read_keyring(pv_vault *v, size_t *len)
{
	int fd = open(v->keyring_path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || st.st_size <= 0) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	uint8_t *buf = malloc((size_t)st.st_size);
	size_t got = 0;
	while (buf && got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r <= 0) {
			free(buf);
			buf = NULL;
			break;
		}
		got += (size_t)r;
	}
	close(fd);
	*len = got;
	return buf;
}

pv_rc pv_keyring_escrow(pv_vault *v, const pv_access *who, const char *recipient_hex,
			const char *out_path)
{
	int role;
	pv_rc rc = pv_policy_authorize(v, who, PV_OP_BACKUP, &role);
	if (rc)
		return pv_audit_failure(v, rc, "keyring escrow", NULL, NULL);
	uint8_t pk[PV_BOX_PUBLIC];
	if (!recipient_hex || pv_unhex(pk, sizeof pk, recipient_hex, strlen(recipient_hex)) != 0)
		return pv_fail(v, PV_ERR_USAGE, "the escrow key is 64 hex digits (an X25519 public "
			       "key, from 'pivault keyring escrow-key')");
	size_t len;
	uint8_t *ring = read_keyring(v, &len);
	uint8_t *sealed = ring ? malloc(len + PV_BOX_SEAL_OVERHEAD) : NULL;
	if (!sealed) {
		free(ring);
		return pv_fail(v, PV_ERR_IO, "cannot read the keyring %s", v->keyring_path);
	}
	pv_box_seal(sealed, ring, len, pk);
	pv_wipe(ring, len); /* sealed bucket keys only, but no copy lingers */
	free(ring);
	char made[32], digest_hex[65];
	pv_time_now(made, sizeof made);
	uint8_t digest[32];
	pv_hash2(digest, sealed, len + PV_BOX_SEAL_OVERHEAD, NULL, 0);
	pv_hex(digest_hex, digest, sizeof digest);
	int fd = pv_file_create_fd(out_path);
	int ok = fd >= 0;
	uint8_t head[8 + 16];
	memcpy(head, ESCROW_MAGIC, 8);
	memcpy(head + 8, v->vault_id, 16);
	ok = ok && write(fd, head, sizeof head) == (ssize_t)sizeof head &&
	     write(fd, sealed, len + PV_BOX_SEAL_OVERHEAD) == (ssize_t)(len + PV_BOX_SEAL_OVERHEAD) &&
	     fsync(fd) == 0;
	if (fd >= 0 && close(fd) != 0)
		ok = 0;
	free(sealed);
	if (!ok) {
		if (fd >= 0)
			unlink(out_path);
		return pv_fail(v, PV_ERR_IO, "cannot write the escrow copy %s (it must not exist)",
			       out_path);
	}
	char detail[200];
	snprintf(detail, sizeof detail, "keyring sealed to %.16s..., copy %s", recipient_hex,
		 digest_hex);
	if (pv_store_begin(v->store) != 0)
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	if (!rc && pv_store_escrow_add(v->store, made, recipient_hex, digest_hex, v->principal))
		rc = pv_fail(v, PV_ERR_STORE, "%s", pv_store_errmsg(v->store));
	struct pv_audit_event e = { "keyring escrow", NULL, NULL, NULL, "ok", detail };
	if ((rc = pv_audit_commit(v, &e, rc)) != PV_OK) {
		unlink(out_path); /* a copy the vault does not know of must not exist */
		return rc;
	}
	return pv_ok(v);
}

pv_rc pv_escrow_keygen(const char *secret_path, char public_hex[65])
{
	if (pv_crypto_init() != 0)
		return pv_fail(NULL, PV_ERR_CRYPTO, "libsodium cannot start");
	uint8_t pk[PV_BOX_PUBLIC], *sk = pv_secret_alloc(PV_BOX_SECRET);
	if (!sk)
		return pv_fail(NULL, PV_ERR_NOMEM, "out of locked memory for the secret key");
	pv_box_keypair(pk, sk);
	int fd = pv_file_create_fd(secret_path);
	int exists = fd < 0 && (errno == EEXIST || errno == ELOOP);
	int ok = fd >= 0 && write(fd, sk, PV_BOX_SECRET) == PV_BOX_SECRET && fsync(fd) == 0;
	if (fd >= 0 && close(fd) != 0)
		ok = 0;
	pv_secret_free(sk);
	if (!ok) {
		int e = errno;
		if (fd >= 0)
			unlink(secret_path);
		return exists ? pv_fail(NULL, PV_ERR_EXISTS, "%s already exists (an escrow key is "
					"never written over)", secret_path)
			      : pv_fail(NULL, PV_ERR_IO, "cannot write the escrow secret key %s: %s",
					secret_path, strerror(e));
	}
	pv_hex(public_hex, pk, sizeof pk);
	return pv_ok(NULL);
}
